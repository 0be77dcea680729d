"""forecast portfolio: many folders through an executor, portfolio.csv and the dashboard.

Probabilities are checked against values worked out by hand from docs/model.md (exact
scenarios: no sampling error). The Dask test starts a real scheduler and two workers with the
``dask`` command-line entry points on free ports of 127.0.0.1 and stops them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import HOSTILE, ROOT, item_dict, priors_dict, snapshot, write_scenario

from forecast import clock
from forecast.cli import main
from forecast.dashboard import DASHBOARD_ROWS, FAILED_ROWS, dashboard_html, sparkline
from forecast.portfolio import (
    COLUMNS,
    FolderResult,
    folder_seed,
    output_names,
    portfolio,
    portfolio_table,
)
from forecast.report import CSP

EPOCH = "1700000000"  # SOURCE_DATE_EPOCH of the runs compared byte for byte

# By hand (docs/model.md, exact inputs, reliability 1): priors calm 0.6 / storm 0.4,
# P(event | calm) 0.1, P(event | storm) 0.8.
P_PRIOR = 0.6 * 0.1 + 0.4 * 0.8  # 0.38
# item a {storm: 3}: Lr = (1/3, 1); posterior (0.2, 0.4) / 0.6
P_A = (0.2 * 0.1 + 0.4 * 0.8) / 0.6  # 0.566667
# then item b {calm: 2}: Lr = (1, 1/2); posterior (0.2, 0.2) / 0.4
P_AB = (0.2 * 0.1 + 0.2 * 0.8) / 0.4  # 0.45


def small(folder: Path, *, two: bool = False, question: str = "Will it happen?") -> Path:
    items = [item_dict("a", {"storm": 3}, date="2022-02-15")]
    if two:
        items.append(item_dict("b", {"calm": 2}, date="2022-02-16"))
    write_scenario(folder, priors_dict(question=question), items)
    return folder


def broken(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "priors.yaml").write_text("question: [unclosed\n")
    (folder / "evidence").mkdir()
    return folder


def test_output_names_are_safe_unique_and_in_order():
    names = output_names(["x/ukraine", "y/ukraine", "z/Ukraine", "w/taiwan 2027", "v/..hid", "portfolio.csv"])  # fmt: skip
    assert names == ["ukraine", "ukraine-2", "Ukraine-3", "taiwan_2027", "hid", "portfolio.csv-2"]


def test_folder_seed_is_sha256_of_seed_and_name():
    expected = int(hashlib.sha256(b"0:ukraine").hexdigest()[:8], 16)
    assert folder_seed("ukraine") == expected
    assert folder_seed("ukraine", 1) != expected
    assert folder_seed("taiwan") != expected
    assert 0 <= folder_seed("x" * 200) < 2**32


def test_clock_honours_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert clock.stamp() == "1970-01-01T00:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")  # not seconds: the wall clock
    assert clock.now().year >= 2026


def test_portfolio_rows_by_hand_broken_folder_and_change(tmp_path, capsys):
    a = small(tmp_path / "in" / "alpha")
    b = small(tmp_path / "in" / "beta", two=True)
    bad = broken(tmp_path / "in" / "gamma")
    out = tmp_path / "out"
    args = ["portfolio", str(a), str(bad), str(b), "--out", str(out), "--no-charts"]
    assert main([*args, "--workers", "1"]) == 2  # bad input in one folder: 2, after the rest
    printed = capsys.readouterr().out
    assert "2 of 3 folders ran" in printed and "gamma" in printed
    table = pd.read_csv(out / "portfolio.csv")  # empty cells: NaN
    assert list(table.columns) == list(COLUMNS)
    assert list(table["scenario"]) == ["alpha", "gamma", "beta"]  # the order given
    rows = table.set_index("scenario")
    assert rows.loc["alpha", "p"] == pytest.approx(P_A, abs=1e-6)
    assert rows.loc["beta", "p"] == pytest.approx(P_AB, abs=1e-6)
    for name in ("alpha", "beta"):  # exact inputs: the band is the point
        assert rows.loc[name, "p_low"] == pytest.approx(rows.loc[name, "p"], abs=1e-6)
        assert rows.loc[name, "status"] == "ok"
        assert pd.isna(rows.loc[name, "change"])  # no previous run
        assert (out / name / "posterior.nc").is_file()
    assert rows.loc["beta", "last_item"] == "b" and rows.loc["beta", "as_of"] == "2022-02-16"
    # Shapley by hand: phi_a = ((P_A - P_PRIOR) + (P_AB - P_B)) / 2 with P_B the answer on b
    # alone (posterior (0.6, 0.2) / 0.8): 0.181 against phi_b = -0.111, so a drives it
    p_b = (0.6 * 0.1 + 0.2 * 0.8) / 0.8
    assert abs((P_A - P_PRIOR) + (P_AB - p_b)) > abs((p_b - P_PRIOR) + (P_AB - P_A))
    assert rows.loc["beta", "top_driver"] == "a"
    assert "YAML" in rows.loc["gamma", "status"] and "priors.yaml" in rows.loc["gamma", "status"]
    assert pd.isna(rows.loc["gamma", "p"])
    assert not (out / "gamma").exists()  # nothing half-written for the broken folder
    # a second run after alpha gets item b: change = P_AB - P_A
    small(a, two=True)
    assert main([*args, "--workers", "1"]) == 2
    rows = pd.read_csv(out / "portfolio.csv").set_index("scenario")
    assert rows.loc["alpha", "change"] == pytest.approx(P_AB - P_A, abs=1e-6)
    assert rows.loc["beta", "change"] == pytest.approx(0.0, abs=1e-9)
    page = (out / "portfolio.html").read_text()
    assert "gamma" in page and "did not run" in page


def test_as_of_deadline_lapsed_indicators_and_a_different_question(tmp_path):
    a = tmp_path / "alpha"
    priors = priors_dict(opened="2022-02-10", deadline="2022-03-31")
    write_scenario(a, priors, [item_dict("a", {"storm": 3}, date="2022-02-15")])
    (a / "indicators").mkdir()
    for ind, by in (("late", "2022-02-17"), ("open", "2022-03-01")):
        spec = {"id": ind, "title": ind, "by": by, "p_seen": {"calm": 0.2, "storm": 0.7}}
        (a / "indicators" / f"{ind}.yaml").write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    port = portfolio([a], out, workers=1, charts=False, as_of="2022-02-20")
    row = port.table.loc[0]
    # by hand (docs/model.md, Time): constant hazard, tau = 10/49 of the window passed by
    # 20 Feb with no event: S_h = (1 - p_h)^tau; P(h) ~ prior * Lr * S_h;
    # P(Y) = sum_h P(h) (p_h - (1 - S_h)) / S_h
    tau = 10 / 49
    s = {"calm": 0.9**tau, "storm": 0.2**tau}
    w = {"calm": 0.6 / 3 * s["calm"], "storm": 0.4 * s["storm"]}
    p = {"calm": 0.1, "storm": 0.8}
    expected = sum(w[h] * (p[h] - 1 + s[h]) / s[h] for h in w) / sum(w.values())
    assert row["p"] == pytest.approx(expected, abs=1e-6)
    assert (row["as_of"], row["deadline"]) == ("2022-02-20", "2022-03-31")
    assert row["lapsed_indicators"] == "late"  # by 17 Feb, before the as-of day, not recorded
    assert row["last_item"] == "a"  # not the "(as of ...)" row
    small(a, two=True, question="Another question?")  # not comparable: no change
    port = portfolio([a, a / "." / "evidence" / ".."], out, workers=1, charts=False)
    assert port.table.loc[0, "change"] == "" and port.table.loc[0, "status"] == "ok"
    assert len(port.table) == 1 and port.repeats == [str(a / "." / "evidence" / "..")]
    assert port.table.loc[0, "as_of"] == "2022-02-16"  # default: the latest item


def test_out_may_not_be_a_scenario_folder(tmp_path, capsys):
    a = small(tmp_path / "alpha")
    before = snapshot(a)
    assert main(["portfolio", str(a), "--out", str(a)]) == 2
    assert main(["portfolio", str(a), "--out", str(a / "evidence" / "x")]) == 2
    assert "choose another output folder" in capsys.readouterr().err
    assert snapshot(a) == before
    assert main(["portfolio", str(a), "--workers", "0"]) == 2
    assert main(["portfolio", str(a), "--as-of", "20/02/2022", "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()
    assert "--as-of expects YYYY-MM-DD" in capsys.readouterr().err


def fake_results(n: int, failed: int = 0) -> list[FolderResult]:
    results = []
    for k in range(n):
        row = dict.fromkeys(COLUMNS, "")
        row.update(scenario=f"q{k:05d}", question=f"question {k} {HOSTILE}", outcome="event")
        row.update(p=(k % 97) / 96, p_low=0.0, p_high=1.0, status="ok")
        row.update(change=((k % 7) - 3) / 100 if k % 5 else "", as_of="2022-02-16")
        row.update(deadline=f"2022-{1 + k % 12:02d}-{1 + k % 28:02d}" if k % 3 else "")
        results.append(FolderResult(row=row, trajectory=tuple((k % 97) / 96 for _ in range(5))))
    for k in range(failed):
        row = dict.fromkeys(COLUMNS, "")
        row.update(scenario=f"bad{k}", status=f"priors.yaml: {HOSTILE}")
        results.append(FolderResult(row=row))
    return results


def scenarios_in(section: str) -> list[str]:
    return re.findall(r'<tr data-scenario="([^"]+)"', section)


def test_dashboard_sorted_views_escaped_and_bounded_at_10000():
    results = fake_results(10_000, failed=300)
    page = dashboard_html(results, stamp=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), linked={"q00001"})
    assert CSP in page and "<script" not in page.replace("&lt;script", "")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert len(page) < 3_000_000  # bounded: 3 views of 250 rows and 100 failures
    views = dict(re.findall(r'<section class="view" id="([^"]+)">(.*?)</section>', page, re.S))
    assert set(views) == {"by-p", "by-change", "by-deadline"}
    ok = portfolio_table(results[:10_000])
    for view, column, ascending in (("by-p", "p", False), ("by-deadline", "deadline", True)):
        shown = scenarios_in(views[view])
        assert len(shown) == DASHBOARD_ROWS
        have = ok[ok[column] != ""]
        expected = have.sort_values(
            [column, "scenario"], ascending=[ascending, True], kind="stable"
        )
        assert shown == list(expected["scenario"][:DASHBOARD_ROWS])
    moved = ok[ok["change"] != ""].copy()
    moved["size"] = moved["change"].astype(float).abs()
    expected = moved.sort_values(["size", "scenario"], ascending=[False, True], kind="stable")
    assert scenarios_in(views["by-change"]) == list(expected["scenario"][:DASHBOARD_ROWS])
    failed = page[page.index('id="failed"') :]
    assert len(scenarios_in(failed)) == FAILED_ROWS and "and 200 more" in failed
    assert '<a href="q00001/report.html">' in page and 'href="q00002/report.html"' not in page


def test_sparkline_scale():
    svg = sparkline([0.0, 1.0], width=106, height=16)  # 3 px padding: x 3..103, y 13..3
    assert 'points="3.0,13.0 103.0,3.0"' in svg
    assert "P from 0% to 100% over 1 steps" in svg
    assert sparkline([]) == ""


# ----------------------------------------------------------------------------- Dask cluster
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, limit: float, what: str) -> None:
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what} after {limit:.0f} s")
        time.sleep(0.2)


@contextlib.contextmanager
def dask_cluster(tmp_path: Path, workers: int = 2):
    """``dask scheduler`` and ``dask worker`` processes on free ports of 127.0.0.1."""
    dask = Path(sys.executable).with_name("dask")
    port, dashboard = free_port(), free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []

    def start(name: str, *args: str) -> None:
        log = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        procs.append(
            subprocess.Popen(
                [str(dask), *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=tmp_path,
                start_new_session=True,
            )  # fmt: skip
        )

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port),
              "--dashboard-address", f"127.0.0.1:{dashboard}")  # fmt: skip
        for k in range(workers):
            start(f"worker{k}", "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                  "--no-dashboard", "--local-directory", str(tmp_path / f"w{k}"))  # fmt: skip
        from distributed import Client

        with Client(address, timeout=120) as client:
            client.wait_for_workers(workers, timeout=180)
        yield address, procs
    finally:
        import signal

        for p in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=30)


@pytest.mark.slow
def test_dask_cluster_writes_the_same_bytes_as_the_local_pool(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import psutil

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    folders = [small(tmp_path / "in" / f"q{k:02d}", two=k % 2 == 0) for k in range(20)]
    folders.insert(7, broken(tmp_path / "in" / "broken"))
    local = portfolio(folders, tmp_path / "local" / "out", workers=2, charts=False)
    with dask_cluster(tmp_path) as (address, procs):
        cluster = portfolio(folders, tmp_path / "cluster" / "out", scheduler=address, charts=False)
        pids = [p.pid for p in procs]
        children = [c.pid for p in procs for c in psutil.Process(p.pid).children(recursive=True)]
    assert snapshot(tmp_path / "local" / "out") == snapshot(tmp_path / "cluster" / "out")
    assert len(snapshot(tmp_path / "local" / "out")) == 2 + 20 * 3  # 3 files a folder
    for port in (local, cluster):
        rows = port.table.set_index("scenario")
        assert "YAML" in rows.loc["broken", "status"] and rows.loc["q00", "status"] == "ok"
        assert rows.loc["q00", "p"] == pytest.approx(P_AB, abs=1e-6)
        assert rows.loc["q01", "p"] == pytest.approx(P_A, abs=1e-6)
    # nothing left behind: the scheduler, the workers and their children are gone
    wait_until(lambda: not any(alive(p) for p in pids + children), 60, "the cluster to exit")


def alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_score_on_the_executor_equals_in_process(tmp_path):
    """forecast score --workers 2: the per-question work in two processes; the tables equal
    those computed here, question by question, in this process."""
    from forecast.scoring import load_scenarios, postmortem, score_entries

    dirs = []
    for i, (outcome, lik) in enumerate([(True, 4.0), (False, 0.3), (True, 0.5)]):
        res = {"outcome": outcome, "date": "2022-03-01"}
        items = [item_dict("a", {"storm": lik}), item_dict("b", {"calm": 1.5}, date="2022-02-17")]
        write_scenario(tmp_path / f"q{i}", priors_dict(resolution=res), items)
        dirs.append(str(tmp_path / f"q{i}"))
    assert main(["score", *dirs, "--out", str(tmp_path / "out"), "--workers", "2"]) == 0
    here = score_entries(load_scenarios(dirs))
    posts = pd.concat([postmortem(s, seed=0) for s in here.attrs["scored"]], ignore_index=True)
    got = pd.read_csv(tmp_path / "out" / "scores.csv")
    pd.testing.assert_frame_equal(got, pd.read_csv(io.StringIO(here.to_csv(index=False))))
    got = pd.read_csv(tmp_path / "out" / "postmortem.csv")
    pd.testing.assert_frame_equal(got, pd.read_csv(io.StringIO(posts.to_csv(index=False))))
    assert list(got["scenario"].unique()) == ["q0", "q1", "q2"]


def test_each_worker_gets_its_own_pytensor_compiledir(tmp_path):
    """own_compiledir in a fresh process: compiledir replaced (other flags kept), per pid, and
    PyTensor, imported after, uses it."""
    code = (
        "import os, sys; from forecast.portfolio import own_compiledir; "
        "d = own_compiledir(); import pytensor; "
        "print(d); print(os.getpid()); print(os.environ['PYTENSOR_FLAGS']); "
        "print(pytensor.config.compiledir)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTENSOR_FLAGS=f"compiledir={tmp_path},mode=FAST_COMPILE", TMPDIR=str(tmp_path))  # fmt: skip
    lines = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        lines.append(done.stdout.splitlines())
    (d1, pid1, flags, used), (d2, pid2, _, _) = lines
    assert d1 != d2 and d1.endswith(f"-{pid1}") and d2.endswith(f"-{pid2}")
    assert Path(d1).parent.parent == tmp_path  # in the temp folder, not the shared one
    assert flags == f"mode=FAST_COMPILE,compiledir={d1}" and used == d1
