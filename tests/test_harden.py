"""Hardening, round two (issue 22): each test replays one attack of the hostile pass.

Symbolic links for ``out/``, ``evidence/`` and ``indicators/``; result attributes naming local
files; ``score``/``watch`` writing one locked set; ``--recalibrate`` on an impossible
outcome; a 10,000-year window; a large non-ASCII table; CSV formula injection; repeated
folders; NaN in a result; ``observe`` writing what validates; and the minor items.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import ROOT, copy_bundled, item_dict, priors_dict, snapshot, write_scenario

from forecast.cli import main
from forecast.csvout import neutralise, neutralised
from forecast.errors import InputError
from forecast.outdir import output_set

SECRET = "TOPSECRET-" * 8
RESOLVED = {"outcome": True, "date": "2022-02-24", "source": "test"}


def _resolved(folder: Path, **over) -> Path:
    """A resolved two-hypothesis scenario in ``folder`` (an item on 15 and 18 Feb)."""
    priors = priors_dict(**{"opened": "2022-02-10", "resolution": dict(RESOLVED), **over})
    items = [item_dict("a", {"storm": 3.0}), item_dict("b", {"calm": 2.0}, date="2022-02-18")]
    write_scenario(folder, priors, items)
    return folder


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory) -> Path:
    """The bundled scenario with its indicators, run once (no charts) into ``out/``."""
    work = copy_bundled(tmp_path_factory.mktemp("bundled") / "scenario", "indicators")
    cwd = Path.cwd()
    os.chdir(work)
    try:
        assert main(["run", "--no-charts", "--draws", "400"]) == 0
    finally:
        os.chdir(cwd)
    return work


def _copy(bundled_run: Path, tmp_path: Path) -> Path:
    work = tmp_path / "scenario"
    shutil.copytree(bundled_run, work, symlinks=True)
    return work


# ----------------------------------------------------------------------------- critical 1
def _victim(tmp_path: Path) -> Path:
    """A folder outside the scenario with a file and a FIFO in it."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    os.mkfifo(victim / "pipe")
    return victim


@pytest.mark.parametrize("command", ["run", "score", "watch"])
def test_out_linked_to_a_folder_elsewhere_is_refused(
    bundled_run, tmp_path, capsys, monkeypatch, command
):
    work = _copy(bundled_run, tmp_path)
    _resolved(work)  # score needs a resolution: the small resolved scenario in place
    victim = _victim(tmp_path)
    (work / "link").symlink_to(victim)
    inode = victim.stat().st_ino
    monkeypatch.chdir(work)
    args = {"run": ["run", "--no-charts"], "score": ["score", "."], "watch": ["watch"]}[command]
    assert main([*args, "--out", "link"]) == 2
    err = capsys.readouterr().err
    assert "is a symbolic link" in err and "Traceback" not in err
    assert victim.stat().st_ino == inode
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt", "pipe"]
    assert (work / "link").is_symlink()


def test_output_set_never_swaps_through_a_link(tmp_path):
    victim = _victim(tmp_path)
    (tmp_path / "out").symlink_to(victim)
    with pytest.raises(InputError, match="symbolic link"), output_set(tmp_path / "out", bool):
        pass  # pragma: no cover - refused before the block
    assert sorted(p.name for p in victim.iterdir()) == ["keep.txt", "pipe"]


# ----------------------------------------------------------------------------- critical 2
def test_report_never_opens_what_a_result_names(bundled_run, tmp_path, capsys, monkeypatch):
    """input_files naming a local file (a hash oracle), /proc/self/mem, and an
    evidence_folder elsewhere: nothing of them is opened, hashed or listed."""
    work = _copy(bundled_run, tmp_path)
    secret_dir = tmp_path / "private"
    secret_dir.mkdir()
    secret = secret_dir / "secret.yaml"
    secret.write_text(SECRET)
    (secret_dir / "LISTED-ONLY-IF-READ.yaml").write_text("x")
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    crafted = tmp_path / "crafted.nc"
    shutil.copy(work / "out" / "posterior.nc", crafted)
    with h5py.File(crafted, "a") as f:
        files = json.loads(f.attrs["input_files"])
        files |= {str(secret): digest, "/proc/self/mem": "0" * 64}
        f.attrs["input_files"] = json.dumps(files)
        f.attrs["evidence_folder"] = str(secret_dir)
    touched: list[str] = []

    def spy(real):
        def call(path, *args, **kwargs):
            touched.append(str(path))
            return real(path, *args, **kwargs)

        return call

    monkeypatch.chdir(work)
    for name in ("read_bytes", "iterdir", "is_file", "is_dir", "exists", "open"):
        monkeypatch.setattr(Path, name, spy(getattr(Path, name)))
    monkeypatch.setattr("builtins.open", spy(open))
    monkeypatch.setattr(os, "listdir", spy(os.listdir))
    code = main(["report", "--result", str(crafted), "--out", str(tmp_path / "o")])
    monkeypatch.undo()
    assert code == 0
    assert not [p for p in touched if "private" in p or "/proc" in p]
    html = (tmp_path / "o" / "report.html").read_text()
    assert "LISTED-ONLY-IF-READ" not in html
    assert "(edited)" not in html and "(gone)" not in html
    err = capsys.readouterr().err
    assert "2 recorded files not of this scenario" in err  # counted, not named


def test_report_still_compares_with_the_scenario_named(bundled_run, tmp_path, capsys, monkeypatch):
    work = _copy(bundled_run, tmp_path)
    monkeypatch.chdir(work)
    first = sorted((work / "evidence").glob("*.yaml"))[0]
    first.write_text(first.read_text() + "\n# edited\n")
    (work / "evidence" / "zz-new.yaml").write_text("id: zz\n")
    assert main(["report", "--result", "out/posterior.nc", "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert f"evidence/{first.name} (edited)" in err
    assert "evidence/zz-new.yaml (new)" in err


# ----------------------------------------------------------------------------- critical 3
def _linked(tmp_path: Path, name: str) -> Path:
    """The bundled scenario whose ``name`` folder is a link to a copy outside it."""
    work = copy_bundled(tmp_path / "scenario", "indicators")
    outside = tmp_path / f"outside-{name}"
    shutil.move(work / name, outside)
    (work / name).symlink_to(outside)
    return work


@pytest.mark.parametrize("name", ["evidence", "indicators"])
def test_linked_folder_leaving_the_scenario_is_refused_unless_named(
    tmp_path, capsys, monkeypatch, name
):
    work = _linked(tmp_path, name)
    monkeypatch.chdir(work)
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "symbolic link leaving the scenario folder" in err and f"--{name}" in err
    assert main(["validate", f"--{name}", name]) == 0  # named on the command line: read


def test_score_refuses_a_linked_evidence_folder(tmp_path, capsys):
    work = _resolved(tmp_path / "q")
    shutil.move(work / "evidence", tmp_path / "elsewhere")
    (work / "evidence").symlink_to(tmp_path / "elsewhere")
    assert main(["score", str(work), "--out", str(tmp_path / "o")]) == 2
    assert "symbolic link leaving the scenario folder" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- major 4
@pytest.mark.parametrize(
    "args",
    [
        ["score", ".", "--out", "evidence"],
        ["score", ".", "--out", "evidence/sub"],
        ["watch", "--out", "evidence"],
        ["watch", "--out", "indicators"],
        ["run", "--no-charts", "--out", "indicators/x"],
    ],
)
def test_out_inside_the_scenario_folders_is_refused(
    bundled_run, tmp_path, capsys, monkeypatch, args
):
    work = _copy(bundled_run, tmp_path)
    _resolved(tmp_path / "unused")
    shutil.copy(tmp_path / "unused" / "priors.yaml", work / "priors.yaml")  # resolved
    before = snapshot(work)
    monkeypatch.chdir(work)
    assert main(args) == 2
    assert "choose another output folder" in capsys.readouterr().err
    assert snapshot(work) == before


# ----------------------------------------------------------------------------- major 5
def test_score_writes_one_set_or_nothing(tmp_path, capsys, monkeypatch):
    """A failure while writing (a full disk in the chart) leaves out/ exactly as it was."""
    q = _resolved(tmp_path / "q")
    out = tmp_path / "out"
    assert main(["score", str(q), "--out", str(out)]) == 0
    before = snapshot(out)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("forecast.charts.score.save_chart", full)
    _resolved(q, question="Will it happen? (edited)")
    assert main(["score", str(q), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "internal error" not in err
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".out.forecast-*"))


@pytest.mark.slow
@pytest.mark.parametrize("command", ["score", "watch"])
def test_score_and_watch_wait_for_the_lock_of_run(bundled_run, tmp_path, command):
    """While another command holds out/'s lock, score and watch write nothing into it."""
    work = _copy(bundled_run, tmp_path)
    _resolved(tmp_path / "q")
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    args = {"score": ["score", str(tmp_path / "q")], "watch": ["watch"]}[command]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "forecast", *args, "--out", str(out)],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()  # blocks until the command says it waits (or ends)
        assert "waiting for it to finish" in line
        assert list(out.iterdir()) == []
    finally:
        os.close(fd)  # releases the lock
    assert proc.wait(timeout=300) == 0
    assert (out / ("scores.csv" if command == "score" else "watch.csv")).is_file()


# ----------------------------------------------------------------------------- major 6
def test_recalibrate_refuses_a_forecast_of_zero_that_happened(tmp_path, capsys):
    dirs = []
    for i in range(5):
        over = {}
        if i == 2:  # P(outcome | h) = 0 under every hypothesis: the forecast is 0%
            over["hypotheses"] = {
                "calm": {"prior": 0.6, "p_outcome": 0},
                "storm": {"prior": 0.4, "p_outcome": 0},
            }
        dirs.append(_resolved(tmp_path / f"q{i}", **over))
    args = ["score", *map(str, dirs), "--recalibrate", "--out", str(tmp_path / "o")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "cannot recalibrate" in err and "q2" in err and "internal error" not in err
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- major 7
def test_a_ten_thousand_year_window_is_refused_up_front(tmp_path, capsys):
    q = _resolved(tmp_path / "q", opened="0001-01-01")
    data = yaml.safe_load((q / "priors.yaml").read_text())
    data["resolution"]["date"] = "9999-12-31"
    (q / "priors.yaml").write_text(yaml.safe_dump(data))
    start = time.monotonic()
    assert main(["score", str(q), "--out", str(tmp_path / "o")]) == 2
    assert time.monotonic() - start < 60
    err = capsys.readouterr().err
    assert "opened" in err and "3,652,058 days" in err


def test_a_window_near_year_9999_is_scored_and_drawn(tmp_path):
    q = tmp_path / "q"
    priors = priors_dict(opened="9990-01-01", resolution={**RESOLVED, "date": "9999-12-31"})
    write_scenario(q, priors, [item_dict("a", {"storm": 3.0}, date="9995-06-01")])
    assert main(["score", str(q), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "score.png").is_file()


# ----------------------------------------------------------------------------- major 8
def _quote_table(path: Path, rows: int, chars: int) -> None:
    quote = ("«軍隊»" * (chars // 4 + 1))[:chars]  # 2-3 bytes a character in UTF-8
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "date", "title", "source", "quote", "likelihood.storm"])
        for i in range(rows):
            writer.writerow([f"q{i}", "2022-02-15", f"item {i}", "test", quote, 1.1])


@pytest.mark.slow
def test_what_run_accepts_it_reads_back(tmp_path, capsys, monkeypatch):
    """28 MB of non-ASCII quotes: run, then report and a second run read its result."""
    write_scenario(tmp_path, priors_dict(), [])
    _quote_table(tmp_path / "evidence" / "table.csv", rows=130, chars=90_000)
    assert (tmp_path / "evidence" / "table.csv").stat().st_size > 28e6
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--no-charts", "--draws", "100"]) == 0
    assert main(["report"]) == 0
    assert main(["run", "--no-charts", "--draws", "100"]) == 0


def test_run_refuses_up_front_what_a_result_could_not_hold(tmp_path, capsys, monkeypatch):
    write_scenario(tmp_path, priors_dict(), [])
    _quote_table(tmp_path / "evidence" / "table.csv", rows=3, chars=2_000)
    monkeypatch.setattr("forecast.resultfile.MAX_ATTR_BYTES", 10_000)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--no-charts"]) == 2
    assert "a result holds at most" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- major 9
@pytest.mark.parametrize("text", ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(text):
    assert neutralise(text) == "'" + text


def test_only_text_cells_change():
    frame = pd.DataFrame({"name": ["=x", "plain", None], "p": [-0.5, 0.25, 1.0]})
    got = neutralised(frame)
    assert got["name"].tolist()[:2] == ["'=x", "plain"] and got["p"].tolist() == [-0.5, 0.25, 1.0]


def test_score_csvs_neutralise_folder_and_question(tmp_path):
    q = _resolved(tmp_path / "=HYPERLINK(1)", question="+cmd|' /C calc'!A0")
    out = tmp_path / "o"
    assert main(["score", str(q), "--out", str(out)]) == 0
    for name in ("scores.csv", "postmortem.csv"):
        with (out / name).open(encoding="utf-8", newline="") as fh:
            cells = [c for row in csv.reader(fh) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@")], name
        assert "'=HYPERLINK(1)" in cells


# ----------------------------------------------------------------------------- major 10
def test_a_folder_given_three_times_is_scored_once(tmp_path, capsys, monkeypatch):
    _resolved(tmp_path / "a")
    monkeypatch.chdir(tmp_path)
    assert main(["score", "a", "a", "./a", "--out", "o"]) == 0
    assert "scored once" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "o" / "scores.csv")) == 1


# ----------------------------------------------------------------------------- major 11
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("posterior/p_outcome", np.nan),
        ("evidence/log_likelihood", np.nan),
        ("attribution/shapley", np.nan),
        ("watch/expected_shift", np.inf),
        ("watch/p_seen", np.nan),
    ],
)
def test_nan_or_inf_in_a_result_is_refused_naming_it(
    bundled_run, tmp_path, capsys, variable, value
):
    crafted = tmp_path / "posterior.nc"
    shutil.copy(bundled_run / "out" / "posterior.nc", crafted)
    with h5py.File(crafted, "a") as f:
        data = f[variable][...]
        data.flat[0] = value
        f[variable][...] = data
    assert main(["report", "--result", str(crafted), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{variable} holds NaN or infinite values" in err


# ----------------------------------------------------------------------------- major 12
@pytest.mark.parametrize("field", ["title", "rationale"])
def test_observe_writes_only_what_validates(bundled_run, tmp_path, capsys, monkeypatch, field):
    work = _copy(bundled_run, tmp_path)
    path = sorted((work / "indicators").glob("*.yaml"))[0]
    data = yaml.safe_load(path.read_text())
    data[field] = "y" * (1_000 if field == "title" else 100_000)
    path.write_text(yaml.safe_dump(data))
    monkeypatch.chdir(work)
    assert main(["observe", data["id"], "--not-seen", "--date", "2022-02-23"]) == 0
    assert main(["validate"]) == 0


# ----------------------------------------------------------------------------- minor
def test_an_id_null_reads_back_as_text(tmp_path, monkeypatch):
    from forecast import load_scenario

    write_scenario(tmp_path, priors_dict(), [])
    monkeypatch.chdir(tmp_path)
    assert main(["new-evidence", "null"]) == 0
    text = (tmp_path / "evidence" / "null.yaml").read_text()
    (tmp_path / "evidence" / "null.yaml").write_text(text.replace("hypothesis_a", "calm"))
    assert load_scenario().ids == ("null",)


def test_ids_equal_up_to_case_are_duplicates(tmp_path, capsys):
    p, e = write_scenario(
        tmp_path, priors_dict(), [item_dict("Alpha", {"storm": 2}), item_dict("alpha", {"calm": 2})]
    )
    assert main(["validate", "--priors", str(p), "--evidence", str(e)]) == 2
    assert "duplicate id" in capsys.readouterr().err


@pytest.mark.parametrize(
    "option", [["--seed", "-1"], ["--draws", "0"], ["--draws", "-5"], ["--draws", "30000000"]]
)
def test_watch_options_are_range_checked(bundled_run, tmp_path, capsys, monkeypatch, option):
    monkeypatch.chdir(_copy(bundled_run, tmp_path))
    assert main(["watch", *option]) == 2
    assert "must be from" in capsys.readouterr().err


def test_escape_sequences_in_folder_names_never_reach_the_terminal(tmp_path, capsys):
    q = _resolved(tmp_path / "x\x1b]0;owned\x07\u202ey")
    assert main(["score", str(q), "--out", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "\x1b" not in text and "\u202e" not in text
    assert "x\\x1b]0;owned\\x07\\u202ey" in text


def test_an_ascii_terminal_keeps_the_run(tmp_path):
    """PYTHONIOENCODING=ascii and a Hebrew question: run writes its set, exit 0."""
    write_scenario(tmp_path, priors_dict(question="האם זה יקרה?"), [item_dict("a", {"storm": 2})])
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="ascii")
    done = subprocess.run(
        [sys.executable, "-m", "forecast", "run", "--no-charts", "--draws", "100"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "\\u05d4" in done.stdout
    assert (tmp_path / "out" / "posterior.nc").is_file()


def test_bidi_overrides_are_isolated_in_the_report(tmp_path):
    from forecast.inputs.text import isolate

    assert isolate("a\u202eb") == "\u2068a\u202eb\u202c\u2069"
    assert isolate("\u2069\u202e") == "\u2068\u202e\u202c\u2069"  # a stray closer is dropped
    assert isolate("שלום") == "שלום"
    q = "Will \u202eit\u2066 happen?"
    write_scenario(tmp_path, priors_dict(question=q), [item_dict("a", {"storm": 2})])
    out = tmp_path / "out"
    assert main(["run", "--priors", str(tmp_path / "priors.yaml"), "--evidence",
                 str(tmp_path / "evidence"), "--out", str(out), "--draws", "100"]) == 0  # fmt: skip
    html = (out / "report.html").read_text()
    assert "\u2068Will \u202eit\u2066 happen?\u2069\u202c\u2069" in html
    for svg in out.glob("*.svg"):
        assert "\u202e" not in svg.read_text(), svg.name


def test_a_p_outcome_of_1e_320_keeps_its_value(tmp_path):
    hyps = {
        "calm": {"prior": 0.6, "p_outcome": 1e-320},
        "storm": {"prior": 0.4, "p_outcome": 1e-320},
    }
    q = _resolved(tmp_path / "q", hypotheses=hyps)
    assert main(["score", str(q), "--out", str(tmp_path / "o")]) == 0
    scores = pd.read_csv(tmp_path / "o" / "scores.csv")
    post = pd.read_csv(tmp_path / "o" / "postmortem.csv")
    assert scores["log_score"].iloc[0] == pytest.approx(np.log(1e-320), abs=1e-3)
    assert not post.isna().any().any()


@pytest.mark.slow
def test_sigterm_while_writing_leaves_out_as_it_was(bundled_run, tmp_path):
    """SIGTERM during score's set: out/ keeps its earlier files, no staging folder is left."""
    q = _resolved(tmp_path / "q")
    out = tmp_path / "out"
    assert main(["score", str(q), "--out", str(out)]) == 0
    before = snapshot(out)
    fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # score waits for it, inside its set: then terminate it
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "forecast", "score", str(q), "--out", str(out)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert "waiting for it to finish" in proc.stderr.readline()
        proc.terminate()
        assert proc.wait(timeout=300) != 0
    finally:
        os.close(fd)
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".out.forecast-*"))
