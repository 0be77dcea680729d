"""Fuzzing the file reader through the command line: a few hundred seeded mutations of the
bundled YAML files and of a CSV table of the same items. Whatever the mutation, ``forecast
validate`` exits 0 or 2 (never 1, never a traceback) with a short message and nothing a
terminal would interpret."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from helpers import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.cli import main

EVIDENCE = sorted((ROOT / "evidence").glob("*.yaml"))
CSV_COLUMNS = ["id", "date", "title", "source", "reliability", "group"]


def _bundled_table() -> str:
    """The bundled items as one CSV table (intervals as lo..hi)."""
    items = [yaml.safe_load(p.read_text()) for p in EVIDENCE]
    hyps = list(yaml.safe_load((ROOT / "priors.yaml").read_text())["hypotheses"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *(f"likelihood.{h}" for h in hyps), "notes"])
    for it in items:
        lik = it["likelihoods"]
        cells = [str(it.get(c, "")) for c in CSV_COLUMNS]
        for h in hyps:
            v = lik.get(h, "")
            cells.append(f"{v[0]}..{v[1]}" if isinstance(v, list) else str(v))
        writer.writerow([*cells, "a note"])
    return out.getvalue()


TABLE = _bundled_table().encode()
FILES = {"priors.yaml": (ROOT / "priors.yaml").read_bytes(), "table.csv": TABLE} | {
    f"evidence/{p.name}": p.read_bytes() for p in EVIDENCE[:4]
}

INTERESTING = [
    b"\t", b"\x00", b"\x1b]0;x\x07", b"\xe9", b"\xff\xfe", b"%", b"80%", b": ", b"- ", b"[", b"]",
    b"{", b"}", b"&a ", b"*a", b"!!python/object/apply:os.system [ls]", b"!!binary aGk=", b'"',
    b"'", b";", b",", b"..", b"\n", b"\r\n", b"  ", b"0b101", b"yes", b"~", b"1e999", b"-1",
    b"0", b"nan", b"9" * 5000, b"B2", b"b-7", b"2300-01-01", b"0000-01-01", b"<<: *a",
    b"invasion_low", b"x" * 3000, b"\xe2\x80\xae", b"likelihood.Deception", b"Notes", b"\\e",
]  # fmt: skip

mutation = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.sampled_from(INTERESTING)),
    st.tuples(st.just("replace"), st.integers(0, 10**6), st.sampled_from(INTERESTING)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 200)),
    st.tuples(st.just("repeat"), st.integers(0, 10**6), st.integers(1, 400)),
    st.tuples(st.just("line"), st.integers(0, 10**6), st.sampled_from(["drop", "tab", "dup"])),
    st.tuples(st.just("bytes"), st.integers(0, 10**6), st.binary(min_size=1, max_size=8)),
)


def mutate(data: bytes, steps: list[tuple]) -> bytes:
    for kind, where, what in steps:
        at = where % (len(data) + 1)
        if kind == "insert" or kind == "bytes":
            data = data[:at] + what + data[at:]
        elif kind == "replace":
            data = data[:at] + what + data[at + len(what) :]
        elif kind == "delete":
            data = data[:at] + data[at + what :]
        elif kind == "repeat":
            data = data[:at] + data[at : at + what] * 3 + data[at:]
        else:
            lines = data.split(b"\n")
            k = where % len(lines)
            if what == "drop":
                del lines[k]
            elif what == "tab":
                lines[k] = b"\t" + lines[k].lstrip(b" ")
            else:
                lines.insert(k, lines[k])
            data = b"\n".join(lines)
    return data


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exc:  # pragma: no cover - main returns, but be sure
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("target", sorted(FILES))
@settings(
    max_examples=45,
    derandomize=True,  # seeded: the same variants on every run
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=st.lists(mutation, min_size=1, max_size=3))
def test_validate_on_mutated_files_exits_0_or_2_with_a_short_message(target, steps):
    with tempfile.TemporaryDirectory(prefix="forecast-fuzz-") as tmp:
        work = Path(tmp)
        shutil.copy(ROOT / "priors.yaml", work / "priors.yaml")
        (work / "evidence").mkdir()
        if target == "table.csv":  # the table replaces the YAML items
            (work / "evidence" / "table.csv").write_bytes(mutate(TABLE, steps))
        else:
            for p in EVIDENCE:
                shutil.copy(p, work / "evidence" / p.name)
            (work / target).write_bytes(mutate(FILES[target], steps))
        code, out, err = run_cli(
            [
                "validate",
                "--priors",
                str(work / "priors.yaml"),
                "--evidence",
                str(work / "evidence"),
            ]
        )
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(out) + len(err) < 20_000
    assert all(len(line) < 1_500 for line in (out + err).splitlines()), err
    assert not CONTROL.search(out + err), (out + err)[:2000]
    if code == 2:
        assert err.startswith("error: "), err[:500]


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(new_id=st.text(min_size=0, max_size=40))
def test_new_evidence_on_any_id_writes_a_valid_template_or_refuses(new_id):
    with tempfile.TemporaryDirectory(prefix="forecast-fuzz-") as tmp:
        work = Path(tmp)
        shutil.copy(ROOT / "priors.yaml", work / "priors.yaml")
        args = ["--priors", str(work / "priors.yaml"), "--evidence", str(work / "evidence")]
        code, out, err = run_cli(["new-evidence", new_id, *args])
        assert code in (0, 2), err
        assert not CONTROL.search(out + err) and len(err) < 1_000
        written = sorted(p.name for p in (work / "evidence").glob("*")) if code == 0 else []
        if code == 0:
            assert written == [f"{new_id}.yaml"]
            assert run_cli(["validate", *args])[0] == 0


# ----------------------------------------------------------------------------- round two
# The newer commands (issue 22): observe and watch on mutated indicator files, score on a
# mutated resolved scenario, report on a result whose attributes were rewritten.
INDICATORS = sorted((ROOT / "indicators").glob("*.yaml"))


def _check_output(code: int, out: str, err: str) -> None:
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(out) + len(err) < 20_000
    assert not CONTROL.search(out + err), (out + err)[:2000]


@pytest.mark.slow
@settings(max_examples=12, derandomize=True, deadline=None, database=None)
@given(steps=st.lists(mutation, min_size=1, max_size=3), seen=st.booleans())
def test_observe_and_watch_on_mutated_indicators(steps, seen):
    with tempfile.TemporaryDirectory(prefix="forecast-fuzz-") as tmp:
        work = Path(tmp)
        shutil.copy(ROOT / "priors.yaml", work / "priors.yaml")
        shutil.copytree(ROOT / "evidence", work / "evidence")
        (work / "indicators").mkdir()
        for p in INDICATORS[:3]:
            shutil.copy(p, work / "indicators" / p.name)
        target = work / "indicators" / INDICATORS[0].name
        target.write_bytes(mutate(target.read_bytes(), steps))
        files = ["--priors", str(work / "priors.yaml"), "--evidence", str(work / "evidence")]
        files += ["--indicators", str(work / "indicators")]
        _check_output(*run_cli(["watch", *files, "--out", str(work / "out"), "--draws", "200"]))
        ident = INDICATORS[0].stem
        how = "--seen" if seen else "--not-seen"
        code, out, err = run_cli(["observe", ident, how, "--date", "2022-02-23", *files])
        _check_output(code, out, err)
        if code == 0:  # what observe wrote reads back
            assert run_cli(["validate", *files])[0] == 0


@settings(max_examples=30, derandomize=True, deadline=None, database=None)
@given(steps=st.lists(mutation, min_size=1, max_size=3))
def test_score_on_a_mutated_resolved_scenario(steps):
    with tempfile.TemporaryDirectory(prefix="forecast-fuzz-") as tmp:
        work = Path(tmp) / "q"
        work.mkdir()
        shutil.copytree(ROOT / "evidence", work / "evidence")
        priors = (ROOT / "priors.yaml").read_bytes()
        (work / "priors.yaml").write_bytes(mutate(priors, steps))
        _check_output(*run_cli(["score", str(work), "--out", str(Path(tmp) / "out")]))


ATTRIBUTES = ["input_files", "evidence_folder", "question", "command", "versions", "created"]
ATTR_VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            '{"/etc/hostname": "00"}',
            '{"/proc/self/mem": "x", "../../x": "y"}',
            "/proc/self",
            "/",
            "\x1b]0;x\x07",
            "{}",
            "[]",
            "nan",
        ]
    ),
    st.floats(allow_nan=True),
    st.integers(),
)


@pytest.fixture(scope="module")
def saved_result(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("fuzz-result")
    args = ["--priors", str(ROOT / "priors.yaml"), "--evidence", str(ROOT / "evidence")]
    assert run_cli(["run", *args, "--out", str(work), "--no-charts", "--draws", "200"])[0] == 0
    return work / "posterior.nc"


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(ATTRIBUTES), value=ATTR_VALUES)
def test_report_on_a_result_with_rewritten_attributes(saved_result, name, value):
    import h5py

    with tempfile.TemporaryDirectory(prefix="forecast-fuzz-") as tmp:
        crafted = Path(tmp) / "posterior.nc"
        shutil.copy(saved_result, crafted)
        with h5py.File(crafted, "a") as f:
            f.attrs[name] = value
        code, out, err = run_cli(
            ["report", "--result", str(crafted), "--out", str(Path(tmp) / "o")]
        )
        _check_output(code, out, err)
        if code == 0:
            html = (Path(tmp) / "o" / "report.html").read_text()
            assert "(edited)" not in html and "(gone)" not in html
