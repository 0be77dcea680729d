"""The notebooks: stored clean, public API only, executed headless (nbclient, papermill and
``forecast report --notebook``), the conclusion equal to ``forecast run``'s."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from helpers import ROOT, copy_bundled, item_dict, snapshot, write_scenario

import forecast
from forecast.cli import main

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [p.name for p in NOTEBOOKS]
PARAMETERS = {"priors", "evidence", "out", "seed"}
FINAL = re.compile(
    r"^P\((?P<o>\w+)\) = (?P<p>\d+\.\d)%(?P<as_of> as of \d{4}-\d{2}-\d{2})? "
    r"\(90% judgement band (?P<lo>\d+\.\d)% to "
    r"(?P<hi>\d+\.\d)%; MCSE (?P<mcse>0\.\d{4})\)$",
    re.M,
)


def report_args(notebook, out, *extra, priors=ROOT / "priors.yaml", evidence=ROOT / "evidence"):
    """``forecast report --notebook`` arguments (``evidence=None``: the option left out)."""
    args = ["report", "--notebook", str(notebook), "--priors", str(priors)]
    args += ["--evidence", str(evidence)] if evidence is not None else []
    return [*args, "--out", str(out), *extra]


def code_cells(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code"]


def errors(nb) -> list[str]:
    """Error outputs (and tracebacks on stderr) of an executed notebook."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr" and "Traceback" in out.text:
                found.append(f"cell {i}: {out.text[:500]}")
    return found


def stdout(cell) -> str:
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream")


def test_the_notebooks_exist():
    assert {"ukraine_2022.ipynb", "new_scenario.ipynb", "team.ipynb"} <= set(NAMES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_stored_without_outputs_and_with_a_parameters_cell(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell is stored with outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"
        assert "attachments" not in cell or not cell.attachments
    assert "widgets" not in nb.metadata
    first = nb.cells[0]
    assert first.cell_type == "code" and "parameters" in first.metadata.get("tags", [])
    assigned = {
        t.id
        for node in ast.parse(first.source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert assigned >= PARAMETERS
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_only_the_public_api(path):
    """Code cells use what a user imports: ``forecast.<name in __all__>``, no ``_`` names,
    no submodule internals."""
    public = set(forecast.__all__)
    nb = nbformat.read(str(path), as_version=4)
    problems = []
    for source in code_cells(nb):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                problems += [a.name for a in node.names if a.name.startswith("forecast.")]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("forecast"):
                if node.module != "forecast":
                    problems.append(f"from {node.module} import ...")
                problems += [a.name for a in node.names if a.name not in public]
            elif isinstance(node, ast.Attribute):
                if node.attr.startswith("_"):
                    problems.append(f".{node.attr}")
                if (
                    isinstance(node.value, ast.Name)
                    and node.value.id == "forecast"
                    and node.attr not in public
                ):
                    problems.append(f"forecast.{node.attr}")
            elif isinstance(node, ast.Name) and node.id.startswith("_") and node.id != "_":
                problems.append(node.id)
    assert not problems, f"{path.name} uses non-public names: {problems}"


# ----------------------------------------------------------------------------- executed
@pytest.fixture
def repo_copy(tmp_path, monkeypatch) -> Path:
    """notebooks/, priors.yaml and evidence/ copied, as JupyterLab would see the repo; the
    kernel's temporary files go below tmp_path too."""
    work = copy_bundled(tmp_path / "repo", "notebooks", "indicators", "examples")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    return work


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_runs_top_to_bottom_with_its_defaults(repo_copy, name):
    """nbclient, a clean kernel, the stored notebook as it is, run from notebooks/."""
    from nbclient import NotebookClient

    path = repo_copy / "notebooks" / name
    before = snapshot(repo_copy / "evidence"), (repo_copy / "priors.yaml").read_bytes()
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    assert not errors(nb)
    charts = repo_copy / "out" / path.stem
    assert (charts / "timeline.png").is_file() and (charts / "report.html").is_file()
    assert (snapshot(repo_copy / "evidence"), (repo_copy / "priors.yaml").read_bytes()) == before
    assert snapshot(repo_copy / "notebooks") == snapshot(ROOT / "notebooks")
    images = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {}) and o.output_type in ("execute_result", "display_data")
    ]
    assert images, "no chart was displayed"


@pytest.fixture(scope="module")
def cli_final_line(tmp_path_factory) -> str:
    """The last line of ``forecast run`` on the bundled scenario (seed 0, default draws)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("run")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(
            [
                "run",
                "--priors",
                str(ROOT / "priors.yaml"),
                "--evidence",
                str(ROOT / "evidence"),
                "--out",
                str(out),
            ]
        )
    assert code == 0
    return FINAL.search(buf.getvalue()).group(0)


def check_html(path: Path) -> None:
    page = path.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "data:image/png;base64," in page
    # self-contained: no script, stylesheet or image is loaded from elsewhere
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I)
    assert not re.search(r"<link[^>]*\bhref=\"https?:", page, re.I)
    assert not re.search(r"<img[^>]*\bsrc=\"(?!data:)", page, re.I)


@pytest.mark.slow
def test_report_notebook_on_the_bundled_scenario(tmp_path, cli_final_line, capsys, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    out = tmp_path / "report"
    code = main(report_args(ROOT / "notebooks" / "ukraine_2022.ipynb", out))
    assert code == 0, capsys.readouterr().err
    ipynb, html = out / "ukraine_2022.ipynb", out / "ukraine_2022.html"
    assert f"wrote {ipynb}, {html}" in capsys.readouterr().out
    nb = nbformat.read(str(ipynb), as_version=4)
    assert not errors(nb)
    # papermill put the values in a cell after the parameters cell
    injected = nb.cells[1]
    assert "injected-parameters" in injected.metadata.get("tags", [])
    assert str(ROOT / "evidence") in injected.source
    # the conclusion, computed in the notebook, equals the command line's final line
    (conclusion,) = [c for c in nb.cells if "conclusion" in c.metadata.get("tags", [])]
    printed = FINAL.search(stdout(conclusion))
    assert printed is not None, stdout(conclusion)
    assert printed.group(0) == cli_final_line
    assert any("text/markdown" in o.get("data", {}) for o in conclusion.outputs)
    # ... and the number in-process
    result = forecast.run(forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence"), seed=0)
    assert printed["p"] == f"{float(result['trajectory']['p_outcome'][-1]) * 100:.1f}"
    check_html(html)
    assert printed.group(0) in html.read_text(encoding="utf-8")
    assert (out / "ukraine_2022" / "timeline.png").is_file()


@pytest.fixture
def other_scenario(tmp_path) -> tuple[Path, Path]:
    """Another question: other hypotheses and outcome, intervals, a group."""
    priors = {
        "question": "Will the merger close by June?",
        "outcome": "closes",
        "prior_strength": 12,
        "hypotheses": {
            "approved": {"prior": 0.5, "p_outcome": [0.7, 0.95]},
            "remedies": {"prior": 0.3, "p_outcome": [0.3, 0.7]},
            "blocked": {"prior": 0.2, "p_outcome": 0.05},
        },
        "groups": {"press": {"correlation": 0.5}},
    }
    items = [
        item_dict("regulator-questions", {"remedies": [1.5, 3.0], "blocked": [1.0, 2.5]}),
        item_dict("ceo-upbeat", {"approved": 1.5}, date="2022-02-16", reliability="D"),
        item_dict("leak", {"blocked": [1.2, 4.0]}, date="2022-02-17", group="press"),
        item_dict("denial", {"approved": [1.0, 2.0]}, date="2022-02-18", group="press"),
    ]
    return write_scenario(tmp_path / "other", priors, items)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_report_notebook_on_another_scenario(tmp_path, other_scenario, name, capsys, monkeypatch):
    """Either notebook re-executed on another question; the analyst's files are untouched."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    priors, evidence = other_scenario
    before = snapshot(priors.parent)
    out = tmp_path / "report"
    code = main(
        report_args(ROOT / "notebooks" / name, out, "--seed", "3", priors=priors, evidence=evidence)
    )
    assert code == 0, capsys.readouterr().err
    stem = Path(name).stem
    nb = nbformat.read(str(out / f"{stem}.ipynb"), as_version=4)
    assert not errors(nb)
    assert snapshot(priors.parent) == before
    check_html(out / f"{stem}.html")
    assert (out / stem / "timeline.png").is_file()
    text = "".join(stdout(c) for c in nb.cells)
    want = forecast.run(forecast.load_scenario(priors, evidence), seed=3)
    assert f"P(closes) = {float(want['trajectory']['p_outcome'][-1]):.1%}" in text


def test_report_notebook_bad_input(tmp_path, capsys):
    code = main(["report", "--notebook", str(tmp_path / "missing.ipynb"), "--out", str(tmp_path)])
    assert code == 2
    assert "missing.ipynb not found" in capsys.readouterr().err
    not_a_notebook = tmp_path / "x.ipynb"
    not_a_notebook.write_text("{ not json")
    code = main(report_args(not_a_notebook, tmp_path / "out"))
    assert code == 2
    assert "is not a Jupyter notebook" in capsys.readouterr().err
    code = main(
        report_args(
            ROOT / "notebooks" / "ukraine_2022.ipynb",
            tmp_path / "out",
            priors=tmp_path / "nope.yaml",
            evidence=None,
        )
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "nope.yaml: file not found" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_report_notebook_failing_cell(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('priors = "p"\nevidence = "e"\nout = "o"\nseed = 0')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("raise RuntimeError('boom in the notebook')")]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = tmp_path / "failing.ipynb"
    nbformat.write(nb, str(path))
    out = tmp_path / "out"
    code = main(report_args(path, out))
    assert code == 1
    err = capsys.readouterr().err
    assert "RuntimeError: boom in the notebook" in err and "failing.failed.ipynb" in err
    assert "Traceback" not in err
    assert (out / "failing.failed.ipynb").is_file()
    assert not (out / "failing.ipynb").exists() and not (out / "failing.html").exists()
    assert not list(out.glob(".*partial*"))


@pytest.mark.slow
def test_report_notebook_no_code_is_a_static_briefing(tmp_path, capsys, monkeypatch):
    """Analyst text never becomes markup in the export (the Styler tables included), the page
    runs no script and loads nothing (CSP), --no-code leaves the code out, dates are dates and
    descriptions are shown in full."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    script = "<script>alert(1)</script>"
    img = '<img src="https://evil.example/b.gif">'
    description = "A long description of the calm hypothesis, " * 6 + "END-OF-DESCRIPTION"
    priors = {
        "question": f"Will it happen? {img}",
        "outcome": "event",
        "hypotheses": {
            "calm": {"prior": 0.6, "p_outcome": 0.1, "description": description},
            "storm": {"prior": 0.4, "p_outcome": 0.8, "description": script},
        },
    }
    items = [
        item_dict("a", {"storm": [1.5, 3.0]}, group=script, title=img),
        item_dict("b", {"calm": 2.0}, date="2022-02-16", group=img, source=script),
    ]
    p, e = write_scenario(tmp_path / "hostile", priors, items)
    out = tmp_path / "report"
    code = main(
        report_args(
            ROOT / "notebooks" / "ukraine_2022.ipynb", out, "--no-code", priors=p, evidence=e
        )
    )
    assert code == 0, capsys.readouterr().err
    page = (out / "ukraine_2022.html").read_text(encoding="utf-8")
    check_html(out / "ukraine_2022.html")
    assert not re.search(r"<script", page, re.I)  # none at all, not only none from a CDN
    assert '<img src="https://evil' not in page and "evil.example" in page  # shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert re.search(
        r'<meta http-equiv="Content-Security-Policy" content="default-src \'none\';[^"]*'
        r"script-src 'none'",
        page,
    )
    assert page.index("Content-Security-Policy") < page.index("evil.example")
    # no code: neither the source of a cell nor a prompt
    assert "forecast.impact_table(result)" not in page and "In&nbsp;[" not in page
    assert "2022-02-15" in page and "2022-02-15 00:00:00" not in page
    assert "END-OF-DESCRIPTION" in page
    # the executed notebook keeps its code
    nb = nbformat.read(str(out / "ukraine_2022.ipynb"), as_version=4)
    assert any("forecast.impact_table(result)" in c for c in code_cells(nb))
