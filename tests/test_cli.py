"""The ``forecast`` command end to end, in a temporary copy of the bundled scenario."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import (
    ROOT,
    copy_bundled,
    forbid_sampling,
    item_dict,
    priors_dict,
    snapshot,
    write_scenario,
)

import forecast
from forecast import charts
from forecast.cli import main

DRAWS = "400"
FINAL = re.compile(
    r"^P\((?P<o>\w+)\) = (?P<p>\d+\.\d)%(?P<as_of> as of \d{4}-\d{2}-\d{2})? "
    r"\(90% judgement band (?P<lo>\d+\.\d)% to "
    r"(?P<hi>\d+\.\d)%; MCSE (?P<mcse>0\.\d{4})\)$",
    re.M,
)


@pytest.fixture
def bundled(tmp_path, monkeypatch) -> Path:
    """A copy of the bundled priors.yaml and evidence/, and the current directory."""
    work = copy_bundled(tmp_path / "scenario")
    monkeypatch.chdir(work)
    return work


def columns(scenario) -> list[str]:
    o = scenario.outcome
    return [
        "step",
        "date",
        "evidence_id",
        "row",
        *(f"p_{h}" for h in scenario.hypotheses),
        f"p_{o}",
        f"p_{o}_low",
        f"p_{o}_high",
        "mcse",
    ]


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("FORECAST_DEBUG", None)
    return env


# ----------------------------------------------------------------------------- run
@pytest.mark.slow
def test_run_writes_table_csv_and_netcdf(bundled, capsys):
    assert main(["run", "--draws", DRAWS, "--seed", "1"]) == 0
    out, err = capsys.readouterr()
    s = forecast.load_scenario("priors.yaml", "evidence")
    o = s.outcome

    # the table and the final sentence
    assert s.question in out
    assert f"{len(s.evidence)} evidence items, {len(s.hypotheses)} hypotheses" in out
    header = next(line for line in out.splitlines() if "evidence_id" in line)
    assert header.split()[:3] == ["step", "date", "evidence_id"]
    assert f"p_{o}" in header and f"{o} 90% band" in header and "mcse" in header
    assert "(prior)" in out
    for item_id in s.ids:
        assert item_id in out
    final = FINAL.search(out)
    assert final is not None, out
    assert final["o"] == o
    assert final["as_of"] == f" as of {s.evidence[-1].date}"  # the latest item's day
    assert "Traceback" not in err

    # trajectory.csv: exactly the documented columns, row 0 the prior
    rows = read_csv(bundled / "out" / "trajectory.csv")
    assert rows[0] == columns(s)
    body = rows[1:]
    assert len(body) == len(s.evidence) + 1
    # the prior row is dated `opened` (docs/model.md, "Time"); the rows are prior, then items
    assert body[0][:4] == ["0", s.priors.opened.isoformat(), "", "prior"]
    assert [r[3] for r in body[1:]] == ["item"] * len(s.evidence)
    assert [r[0] for r in body] == [str(k) for k in range(len(body))]
    assert [r[2] for r in body[1:]] == list(s.ids)
    assert [r[1] for r in body[1:]] == [e.date.isoformat() for e in s.evidence]

    frame = pd.read_csv(bundled / "out" / "trajectory.csv", keep_default_na=False)
    # the bundled question has a deadline: the exact numbers of the time model, days counted
    from forecast.time_numbers import time_numbers

    exact = time_numbers(forecast.resolve_as_of(s), draws=100, seed=0, band=False).stats
    p_h, p_y = exact["p_hypothesis"], exact["p_outcome"]
    np.testing.assert_allclose(frame[[f"p_{h}" for h in s.hypotheses]], p_h, atol=1e-6)
    np.testing.assert_allclose(frame[f"p_{o}"], p_y, atol=1e-6)
    assert (frame[f"p_{o}_low"] <= frame[f"p_{o}"]).all()
    assert (frame[f"p_{o}"] <= frame[f"p_{o}_high"]).all()
    assert (frame["mcse"] > 0).all()
    last = frame.iloc[-1]
    assert final["p"] == f"{last[f'p_{o}'] * 100:.1f}"
    assert final["lo"] == f"{last[f'p_{o}_low'] * 100:.1f}"
    assert final["hi"] == f"{last[f'p_{o}_high'] * 100:.1f}"
    assert final["mcse"] == f"{last['mcse']:.4f}"

    # posterior.nc reads back with the same numbers
    result = forecast.load_result(bundled / "out" / "posterior.nc")
    back = forecast.trajectory_frame(result)
    assert list(back.columns) == columns(s)
    assert list(back["evidence_id"]) == ["", *s.ids]
    assert list(back["date"]) == list(frame["date"])
    numeric = columns(s)[4:]
    np.testing.assert_allclose(back[numeric], frame[numeric], rtol=0, atol=1e-6)
    assert result.attrs["scenario_hash"] == s.hash
    assert forecast.scenario_of(result).hash == s.hash
    assert int(result.attrs["seed"]) == 1
    assert result.attrs["command"] == f"forecast run --draws {DRAWS} --seed 1"

    # no temporary files left behind (written atomically)
    names = {p.name for p in (bundled / "out").iterdir()}
    assert {"posterior.nc", "trajectory.csv"} <= names
    assert not [n for n in names if n.startswith(".") or n.endswith(".tmp")]


@pytest.mark.slow
def test_run_as_subprocess_matches_in_process(bundled, capsys):
    args = ["run", "--draws", DRAWS, "--seed", "2"]
    proc = subprocess.run(
        [sys.executable, "-m", "forecast", *args],
        cwd=bundled,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert FINAL.search(proc.stdout), proc.stdout
    assert "wrote out/trajectory.csv, out/posterior.nc" in proc.stdout
    assert (bundled / "out" / "posterior.nc").is_file()
    result = forecast.load_result(bundled / "out" / "posterior.nc")
    assert result.attrs["command"] == f"forecast {' '.join(args)}"

    assert main([*args, "--out", "again"]) == 0
    in_process = capsys.readouterr().out
    assert (bundled / "again" / "trajectory.csv").read_bytes() == (
        bundled / "out" / "trajectory.csv"
    ).read_bytes()
    assert FINAL.search(in_process)[0] == FINAL.search(proc.stdout)[0]


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_band(bundled, capsys):
    for out, seed in [("a", "5"), ("b", "5"), ("c", "6")]:
        assert main(["run", "--draws", DRAWS, "--seed", seed, "--out", out]) == 0
    capsys.readouterr()
    a, b, c = (bundled / x / "trajectory.csv" for x in "abc")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()

    fa, fc = pd.read_csv(a), pd.read_csv(c)
    s = forecast.load_scenario()
    o = s.outcome
    exact = [f"p_{h}" for h in s.hypotheses] + [f"p_{o}"]
    pd.testing.assert_frame_equal(fa[exact], fc[exact])  # the probability is exact
    band = [f"p_{o}_low", f"p_{o}_high"]
    assert not np.allclose(fa[band], fc[band], rtol=0, atol=1e-7)
    # ... but both bands are estimates of the same percentiles
    np.testing.assert_allclose(fa[band], fc[band], atol=0.05)


@pytest.mark.slow
def test_analysts_files_never_modified(bundled, capsys):
    before = snapshot(bundled)
    assert main(["run", "--draws", DRAWS]) == 0
    assert main(["validate"]) == 0
    capsys.readouterr()
    after = snapshot(bundled)
    written = {k for k in after if k.startswith("out" + os.sep)}  # outputs go to out/ only
    assert {os.path.join("out", "trajectory.csv"), os.path.join("out", "posterior.nc")} <= written
    assert {k: v for k, v in after.items() if k not in written} == before


@pytest.mark.slow
def test_evidence_order_on_disk_does_not_matter(tmp_path, bundled, capsys):
    other = tmp_path / "renamed"
    shutil.copytree(bundled, other)
    ev = other / "evidence"
    names = sorted(p.name for p in ev.iterdir())
    for k, name in enumerate(names):  # sorting the new names reverses the order
        (ev / name).rename(ev / f"{len(names) - k:03d}_{name}")
    assert sorted(p.name.split("_", 1)[1] for p in ev.iterdir()) == names

    args = ["run", "--draws", DRAWS, "--seed", "4"]
    assert main([*args, "--out", str(tmp_path / "out1")]) == 0
    assert (
        main(
            [
                *args,
                "--priors",
                str(other / "priors.yaml"),
                "--evidence",
                str(ev),
                "--out",
                str(tmp_path / "out2"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    first = (tmp_path / "out1" / "trajectory.csv").read_bytes()
    second = (tmp_path / "out2" / "trajectory.csv").read_bytes()
    assert first == second
    r1 = forecast.load_result(tmp_path / "out1" / "posterior.nc")
    r2 = forecast.load_result(tmp_path / "out2" / "posterior.nc")
    assert r1.attrs["scenario_hash"] == r2.attrs["scenario_hash"]


# ----------------------------------------------------------------------------- bad input
BAD_INPUTS = {
    "priors-typo": (
        "priors.yaml",
        "prior_strength: 20",
        "prior_strenght: 20",
        "priors.yaml: prior_strenght: unknown key 'prior_strenght'; did you mean 'prior_strength'",
    ),
    "negative-likelihood": (
        "evidence/maxar-new-deployments.yaml",
        "de_escalation: [0.15, 0.5]",
        "de_escalation: -0.5",
        "evidence/maxar-new-deployments.yaml: likelihoods.de_escalation: -0.5 is not a finite"
        " number >= 0",
    ),
    "bad-date": (
        "evidence/maxar-new-deployments.yaml",
        "date: 2022-02-16",
        "date: 2022-02-30",
        "evidence/maxar-new-deployments.yaml: date: expected a date YYYY-MM-DD, got '2022-02-30'",
    ),
    "reliability-G": (
        "evidence/biden-sacrosanct-pledge.yaml",
        "reliability: A",
        "reliability: G",
        "evidence/biden-sacrosanct-pledge.yaml: reliability: expected a number in (0, 1]",
    ),
    "unknown-hypothesis": (
        "evidence/biden-sacrosanct-pledge.yaml",
        "coercive_bluff: [0.8, 1.3]",
        "coercive_blufff: [0.8, 1.3]",
        "likelihoods.coercive_blufff: unknown hypothesis 'coercive_blufff'; did you mean",
    ),
    "syntax": (
        "evidence/biden-sacrosanct-pledge.yaml",
        "reliability: A",
        "reliability: [A",
        "evidence/biden-sacrosanct-pledge.yaml: YAML syntax error",
    ),
    "python-tag": (
        "priors.yaml",
        "outcome: invasion",
        'outcome: !!python/object/apply:os.system ["echo pwned"]',
        "priors.yaml: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
}


def _break(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not (once) in {file}"
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exit_2_names_file_and_field_writes_nothing(bundled, capsys, case):
    file, old, new, expected = BAD_INPUTS[case]
    _break(bundled, file, old, new)
    before = snapshot(bundled)
    assert main(["run", "--draws", DRAWS, "--out", "results"]) == 2
    out, err = capsys.readouterr()
    assert expected in err
    assert err.startswith("error: 1 problem in the scenario files:")
    assert "Traceback" not in err
    assert out == ""
    assert not (bundled / "results").exists()
    assert snapshot(bundled) == before

    assert main(["validate"]) == 2
    assert expected in capsys.readouterr().err


def test_bad_input_leaves_existing_out_untouched(bundled, capsys):
    out = bundled / "out"
    out.mkdir()
    (out / "trajectory.csv").write_text("step,date\n0,\n")
    (out / "posterior.nc").write_bytes(b"\x89HDF\r\n\x1a\n old result")
    (out / "notes.md").write_text("keep me")
    before = snapshot(out)
    _break(bundled, *BAD_INPUTS["negative-likelihood"][:3])
    assert main(["run", "--draws", DRAWS]) == 2
    assert "likelihoods.de_escalation" in capsys.readouterr().err
    assert snapshot(out) == before


def test_several_problems_reported_at_once(bundled, capsys):
    for case in ("priors-typo", "negative-likelihood", "reliability-G"):
        _break(bundled, *BAD_INPUTS[case][:3])
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: 3 problems in the scenario files:")
    for case in ("priors-typo", "negative-likelihood", "reliability-G"):
        assert BAD_INPUTS[case][3] in err


def test_bad_input_as_subprocess(bundled):
    _break(bundled, *BAD_INPUTS["bad-date"][:3])
    proc = subprocess.run(
        [sys.executable, "-m", "forecast", "run", "--draws", DRAWS],
        cwd=bundled,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 2
    assert BAD_INPUTS["bad-date"][3] in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not (bundled / "out").exists()


def test_missing_files_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--draws", DRAWS]) == 2
    err = capsys.readouterr().err
    assert "priors.yaml: file not found" in err
    assert "evidence: evidence folder not found" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--method", "mcmc"], "invalid choice: 'mcmc'"),
        (["run", "--draws", "many"], "expected a whole number"),
        (["run", "--draws", "50"], "must be from 100 to 1,000,000"),
        (["run", "--draws", str(10**7)], "must be from 100 to 1,000,000"),
        (["run", "--seed", str(2**64)], "must be from 0 to 4,294,967,295"),
        (["run", "--seed", "-1"], "must be from 0 to"),
        (["report", "--notebook", "x.ipynb", "--seed", str(2**64)], "must be from 0 to"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_usage_errors_exit_2(bundled, capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (bundled / "out").exists()


# ----------------------------------------------------------------------------- validate
def test_validate_lists_items(bundled, capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    s = forecast.load_scenario()
    assert f"priors.yaml: OK: question: {s.question}" in out
    assert f"evidence: OK: {len(s.evidence)} evidence items" in out
    for h in s.hypotheses:
        assert f"hypothesis {h}: prior" in out
    for e in s.evidence:
        assert f"  {e.date} {e.id}: reliability {e.r:g}" in out
    for g in s.priors.groups:
        assert f"group {g}:" in out
    # items are listed in the order of the update
    positions = [out.index(f" {i}: ") for i in s.ids]
    assert positions == sorted(positions)


# ----------------------------------------------------------------------------- new-evidence
def test_new_evidence_writes_a_neutral_template(bundled, capsys):
    s = forecast.load_scenario()
    assert main(["new-evidence", "satellite-2022-02-20"]) == 0
    assert "evidence/satellite-2022-02-20.yaml" in capsys.readouterr().out
    path = bundled / "evidence" / "satellite-2022-02-20.yaml"
    assert path.is_file()

    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert f"{len(s.evidence) + 1} evidence items" in out
    assert "note: still a template (TODO): satellite-2022-02-20" in out

    t = forecast.load_scenario()
    item = next(e for e in t.evidence if e.id == "satellite-2022-02-20")
    assert item.likelihoods == dict.fromkeys(s.hypotheses, 1.0)
    # neutral: the probabilities with and without it are the same
    _, p_with = forecast.probabilities(forecast.encode(t))
    _, p_without = forecast.probabilities(forecast.encode(s))
    assert p_with[-1] == pytest.approx(p_without[-1], abs=1e-12)

    before = path.read_bytes()
    assert main(["new-evidence", "satellite-2022-02-20"]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "Traceback" not in err
    assert path.read_bytes() == before


def test_new_evidence_refuses_a_bad_id(bundled, capsys):
    before = snapshot(bundled)
    assert main(["new-evidence", "no spaces/allowed"]) == 2
    assert "may use only letters" in capsys.readouterr().err
    assert snapshot(bundled) == before


def test_new_evidence_works_when_the_scenario_has_problems(bundled, capsys):
    _break(bundled, *BAD_INPUTS["negative-likelihood"][:3])
    assert main(["new-evidence", "fresh"]) == 0
    capsys.readouterr()
    text = (bundled / "evidence" / "fresh.yaml").read_text()
    assert yaml.safe_load(text)["id"] == "fresh"
    # the names come from priors.yaml alone, whatever evidence/ holds
    assert "hypothesis_a" not in text
    for h in ("de_escalation", "coercive_bluff", "deception"):
        assert f"  {h}: 1 " in text


# ----------------------------------------------------------------------------- since last run
@pytest.mark.slow
def test_second_run_says_what_changed_and_keeps_the_previous_trajectory(bundled, capsys):
    assert main(["run", "--draws", DRAWS]) == 0
    first = capsys.readouterr().out
    assert "Since the run of" not in first
    before = forecast.load_result("out/posterior.nc")

    ev = bundled / "evidence"
    ids = forecast.load_scenario("priors.yaml", "evidence").ids
    removed, edited = ids[0], ids[3]
    (ev / f"{removed}.yaml").unlink()
    text = (ev / f"{edited}.yaml").read_text()
    (ev / f"{edited}.yaml").write_text(text.replace("title:", "title: Revised -", 1))
    (ev / "late-report.yaml").write_text(
        "id: late-report\ndate: 2022-02-17\ntitle: Late report\nsource: test\n"
        "likelihoods:\n  deception: 2.0\n"
    )
    assert main(["run", "--draws", DRAWS]) == 0
    out = capsys.readouterr().out
    after = forecast.load_result("out/posterior.nc")

    p0, p1 = (float(r["trajectory"]["p_outcome"][-1]) for r in (before, after))
    lo0, hi0 = (float(before["trajectory"][k][-1]) for k in ("p_outcome_low", "p_outcome_high"))
    assert f"Since the run of {before.attrs['created']}: " in out
    assert f"1 item added (late-report); 1 item removed ({removed}); " in out
    assert f"1 item edited ({edited})." in out
    assert f"P(invasion) {p0:.1%} (band {100 * lo0:.1f}-{100 * hi0:.1f}%) -> {p1:.1%}" in out
    assert f"{100 * (p1 - p0):+.1f} points" in out

    prev = after["previous_trajectory"]
    np.testing.assert_array_equal(prev["p_outcome"], before["trajectory"]["p_outcome"])
    assert list(prev["evidence_id"].values) == list(before["trajectory"]["evidence_id"].values)
    assert prev.attrs["created"] == before.attrs["created"]

    # an unchanged re-run says so and keeps the comparison with the run before the change
    assert main(["run", "--draws", DRAWS]) == 0
    out = capsys.readouterr().out
    assert "no change in the inputs or settings." in out
    again = forecast.load_result("out/posterior.nc")
    assert again["previous_trajectory"].attrs["created"] == before.attrs["created"]


def test_unreadable_earlier_result_is_refused_and_kept(bundled, capsys):
    """A file in out/ that is not a forecast result is untrusted: refused, exit 2, out/ as it was."""
    (bundled / "out").mkdir()
    (bundled / "out" / "posterior.nc").write_text("not a netCDF file")
    before = snapshot(bundled / "out")
    assert main(["run", "--draws", DRAWS]) == 2
    err = capsys.readouterr().err
    assert "out/posterior.nc is not a forecast result" in err
    assert "move it away or choose another --out" in err
    assert snapshot(bundled / "out") == before


def test_changes_since_reports_settings():
    s = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    a = forecast.run(s, draws=200, seed=1)
    b = forecast.run(s, draws=300, seed=1)
    ch = forecast.changes_since(a, b)
    assert not ch.inputs_changed
    assert ch.settings == ("draws 200 -> 300",)
    assert "settings changed: draws 200 -> 300." in ch.describe("invasion")


def test_kept_comparison_is_rebuilt_when_settings_change():
    from forecast.result_schema import PREVIOUS
    from forecast.results import keep_previous

    s = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    first = forecast.run(s.without(s.ids[0]), draws=200, seed=0)
    second = keep_previous(forecast.run(s, draws=200, seed=0), first)
    third = keep_previous(forecast.run(s, draws=200, seed=7), second)  # only the seed changed
    kept = third[PREVIOUS]
    assert kept.attrs["created"] == second.attrs["created"]
    assert "settings changed: seed 0 -> 7" in kept.attrs["changes"]
    np.testing.assert_array_equal(kept["p_outcome_low"], second["trajectory"]["p_outcome_low"])
    fourth = keep_previous(forecast.run(s, draws=200, seed=7), third)  # nothing changed
    assert fourth[PREVIOUS].attrs["created"] == second.attrs["created"]


def test_reordered_hypotheses_count_as_changed_priors():
    s = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    data = s.to_dict()
    hyps = data["priors"]["hypotheses"]
    data["priors"]["hypotheses"] = dict(reversed(list(hyps.items())))
    a = forecast.run(s, draws=200)
    b = forecast.run(forecast.Scenario.from_dict(data), draws=200)
    assert forecast.changes_since(a, b).priors_changed


# ----------------------------------------------------------------------------- one out/ per question
def other_scenario(folder: Path) -> tuple[str, str]:
    priors, evidence = write_scenario(
        folder,
        priors_dict(question="Will the cable be cut?", outcome="cut"),
        [item_dict("a", {"calm": 1, "storm": 2})],
    )
    return str(priors), str(evidence)


def test_second_question_into_the_same_out_is_not_compared(bundled, tmp_path, capsys):
    assert main(["run", "--draws", DRAWS, "--no-charts"]) == 0
    question = forecast.load_scenario("priors.yaml", "evidence").question
    capsys.readouterr()
    priors, evidence = other_scenario(tmp_path / "other")
    assert main(["run", "--priors", priors, "--evidence", evidence, "--draws", DRAWS]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "different question" in line]
    assert len(lines) == 1
    assert question in lines[0] and "Will the cable be cut?" in lines[0]
    assert "Since the run of" not in out and "P(cut)" not in out.split("different")[1]
    result = forecast.load_result("out/posterior.nc")
    assert "previous_trajectory" not in result.children
    assert "Russia" not in Path("out/report.html").read_text()  # nothing of it drawn or said


# ----------------------------------------------------------------------------- report and charts
UNDATED_CHARTS = [c for c in charts.CHARTS if c != "by_date"]
"""The charts of a question without a deadline (the by-date curve needs one)."""


def chart_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.suffix in (".png", ".svg", ".pdf")}


def test_run_writes_report_and_charts_no_charts_writes_neither(bundled, capsys):
    assert main(["run", "--draws", DRAWS]) == 0
    out = capsys.readouterr().out
    assert "report.html" in out
    names = {p.name for p in Path("out").iterdir()}
    assert {"trajectory.csv", "posterior.nc", "report.html"} <= names
    assert len(chart_files(Path("out"))) == 12  # six charts (by_date: it has a deadline), twice
    assert {"by_date.png", "by_date.svg"} <= chart_files(Path("out"))
    report = Path("out/report.html").read_text()
    assert report.count("<svg") >= 5  # the charts, inline
    assert 'http-equiv="Content-Security-Policy"' in report

    (bundled / "evidence" / "late.yaml").write_text(
        "id: late\ndate: 2022-02-17\ntitle: Late report\nsource: test\n"
        "likelihoods:\n  deception: 2.0\n"
    )
    assert main(["run", "--draws", DRAWS, "--no-charts"]) == 0
    out = capsys.readouterr().out
    names = {p.name for p in Path("out").iterdir()}
    assert names == {  # no old charts
        "trajectory.csv", "attribution.csv", "posterior.nc", "by_date.csv", "daily.csv",
    }  # fmt: skip
    assert "charts" not in out.split("P(invasion) =")[1] and "report.html" not in out
    assert "late" in Path("out/trajectory.csv").read_text()


@pytest.mark.slow
def test_report_says_when_the_files_changed(bundled, capsys):
    assert main(["run", "--draws", DRAWS, "--no-charts"]) == 0
    assert main(["report"]) == 0
    _, err = capsys.readouterr()
    assert "changed since" not in err
    assert "WARNING" not in Path("out/report.html").read_text()

    first = sorted((bundled / "evidence").glob("*.yaml"))[0]
    first.write_text(first.read_text().replace("title:", "title: Revised -", 1))
    assert main(["report"]) == 0
    _, err = capsys.readouterr()
    message = "the files changed since this result was computed: run `forecast run`"
    assert message in err and f"evidence/{first.name} (edited)" in err
    page = Path("out/report.html").read_text()
    assert page.index(message) < page.index("<h1>")  # at the top

    (bundled / "evidence" / "new-one.yaml").write_text(first.read_text())
    assert main(["report"]) == 0
    assert "evidence/new-one.yaml (new)" in capsys.readouterr().err


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("exc", [RuntimeError("boom"), ValueError("a defect, not input")])
def test_internal_error_exit_1_traceback_saved_out_unchanged(bundled, capsys, monkeypatch, exc):
    assert main(["run", "--draws", DRAWS, "--no-charts"]) == 0
    before = snapshot(bundled / "out")
    capsys.readouterr()

    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr("forecast.results.save_result", broken)
    assert main(["run", "--draws", DRAWS, "--seed", "3"]) == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "bad input" not in err
    saved = Path(re.search(r"traceback is saved in (\S+)", err)[1])
    assert saved.is_file() and "Traceback" in saved.read_text() and str(exc) in saved.read_text()
    assert "Traceback" not in err
    saved.unlink()
    assert snapshot(bundled / "out") == before
    assert not list(bundled.glob(".out.*"))  # no staging left


@pytest.mark.parametrize("out", ["evidence", "evidence/sub", ".", "..", "priors.yaml"])
def test_out_may_not_hold_the_scenario(bundled, capsys, out):
    before = snapshot(bundled)
    assert main(["run", "--draws", DRAWS, "--out", out]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "Traceback" not in err
    assert snapshot(bundled) == before


# ----------------------------------------------------------------------------- one set, one writer
def wait_for(condition, what: str, timeout: float = 300) -> None:
    import time

    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def session_processes(sid: int) -> list[int]:
    """Processes still alive in the session ``sid`` (zombies excluded)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            alive.append(int(stat.parent.name))
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PDEATHSIG")
@pytest.mark.slow
def test_killed_run_leaves_the_old_set_and_no_worker(bundled):
    import signal

    args = [sys.executable, "-m", "forecast", "run", "--draws", DRAWS]
    done = subprocess.run([*args, "--seed", "1"], env=subprocess_env(), capture_output=True)
    assert done.returncode == 0, done.stderr
    old = snapshot(bundled / "out")
    staging = bundled / ".out.forecast-staging"

    proc = subprocess.Popen(
        [*args, "--seed", "2"],
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # mid-way: the charts are being drawn (the renderer has forked) into the staging folder
    wait_for(
        lambda: staging.is_dir() and any(".png" in p.name for p in staging.iterdir()),
        "the run to draw its charts",
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    left = snapshot(staging)  # what the killed run left; a surviving worker would add to it
    wait_for(lambda: not session_processes(proc.pid), "the chart workers to end", timeout=120)
    assert snapshot(staging) == left, "a chart worker outlived the run and kept writing"
    assert snapshot(bundled / "out") == old  # the old set, whole

    done = subprocess.run([*args, "--seed", "2"], env=subprocess_env(), capture_output=True)
    assert done.returncode == 0, done.stderr
    new = snapshot(bundled / "out")
    assert set(new) == set(old)  # the new set, whole (the band's draws follow the seed)
    assert all(new[k] != old[k] for k in ("posterior.nc", "trajectory.csv", "report.html"))
    assert not staging.exists() and not list(bundled.glob(".out.*"))


@pytest.mark.slow
def test_concurrent_runs_wait_for_each_other(bundled):
    args = [sys.executable, "-m", "forecast", "run", "--draws", DRAWS]
    staging = bundled / ".out.forecast-staging"
    first = subprocess.Popen(
        [*args, "--seed", "1"], env=subprocess_env(), stdout=subprocess.PIPE, text=True
    )
    wait_for(staging.is_dir, "the first run to hold out/")
    second = subprocess.Popen(
        [*args, "--seed", "2"],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err2 = second.communicate(timeout=600)
    first.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0
    assert "another forecast command is writing into" in err2
    result = forecast.load_result("out/posterior.nc")
    assert int(result.attrs["seed"]) == 2  # the second run's set, whole
    frame = pd.read_csv("out/trajectory.csv", keep_default_na=False)
    np.testing.assert_allclose(
        frame["p_invasion_low"], result["trajectory"]["p_outcome_low"], atol=1e-6
    )
    assert "--seed 2" in Path("out/report.html").read_text()
    assert len(chart_files(Path("out"))) == 12  # six charts (by_date: it has a deadline), twice


# forecast charts and forecast report (moved from test_charts.py and test_report.py)


def two_item_files(tmp_path: Path):
    """Two items (one interval, one exact) under the default priors, in tmp_path/scenario."""
    return write_scenario(
        tmp_path / "scenario",
        priors_dict(),
        [item_dict("a", {"storm": [1.5, 4.0]}), item_dict("b", {"calm": 2.0}, date="2022-02-16")],
    )


def test_cli_run_writes_every_chart(tmp_path, capsys):
    priors, evidence = two_item_files(tmp_path)
    out = tmp_path / "out"
    code = main(
        [
            "run",
            "--priors",
            str(priors),
            "--evidence",
            str(evidence),
            "--out",
            str(out),
            "--draws",
            "400",
        ]
    )
    assert code == 0, capsys.readouterr().err
    for name in UNDATED_CHARTS:
        assert (out / f"{name}.png").is_file()
        assert (out / f"{name}.svg").is_file()
    assert not (out / "by_date.png").exists()  # no deadline: no curve by date


def test_cli_charts_redraws_from_posterior_nc(uncertain_result, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    forecast.save_result(uncertain_result, out)
    calls = forbid_sampling(monkeypatch)
    code = main(["charts", "--format", "png,svg,pdf", "--out", str(out)])
    assert calls == [], "charts must not re-sample"
    assert code == 0, capsys.readouterr().err
    for name in UNDATED_CHARTS:
        for fmt in ("png", "svg", "pdf"):
            assert (out / f"{name}.{fmt}").is_file()
    # --result elsewhere, charts written into --out
    other = tmp_path / "other"
    code = main(
        ["charts", "--format", "svg", "--out", str(other), "--result", str(out / "posterior.nc")]
    )
    assert code == 0
    assert sorted(p.name for p in other.iterdir()) == sorted(f"{c}.svg" for c in UNDATED_CHARTS)


def test_cli_charts_without_posterior_is_bad_input(tmp_path, capsys):
    code = main(["charts", "--out", str(tmp_path / "nowhere")])
    assert code == 2
    err = capsys.readouterr().err
    assert "no saved result at" in err and "posterior.nc" in err and "forecast run" in err


def test_cli_charts_rejects_unknown_format(uncertain_result, tmp_path, capsys):
    forecast.save_result(uncertain_result, tmp_path)
    assert main(["charts", "--format", "png,gif", "--out", str(tmp_path)]) == 2
    assert "--format takes png, svg and/or pdf" in capsys.readouterr().err


def test_cli_report_from_posterior(hostile_scenario, tmp_path, capsys):
    out = tmp_path / "out"
    result = forecast.run(hostile_scenario, draws=int(DRAWS), seed=1)
    forecast.save_result(result, out)
    assert main(["report", "--out", str(out)]) == 0, capsys.readouterr().err
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "alpha-1" in text and "<svg" in text
    assert str(out / "report.html") in capsys.readouterr().out


def test_cli_report_after_run(tmp_path, capsys):
    p, e = write_scenario(tmp_path / "s", priors_dict(), [item_dict("only", {"storm": 3.0})])
    out = tmp_path / "out"
    args = ["run", "--priors", str(p), "--evidence", str(e), "--out", str(out), "--draws", "400"]
    assert main(args) == 0
    assert main(["report", "--out", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "forecast run --priors" in text  # the command is recorded


def test_cli_report_without_posterior_is_bad_input(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"no saved result at {tmp_path / 'posterior.nc'}" in err
    assert not (tmp_path / "report.html").exists()


def test_cli_report_with_a_file_that_is_not_a_result(tmp_path, capsys):
    bad = tmp_path / "posterior.nc"
    bad.write_text("not netcdf")
    assert main(["report", "--out", str(tmp_path)]) == 2
    assert "is not a forecast result" in capsys.readouterr().err


def test_run_prints_a_bounded_table_at_scale(tmp_path, capsys):
    """Up to 60 steps every one is printed; beyond, the prior, a line saying how many are not
    shown, and the latest 40 (every step stays in trajectory.csv)."""
    items = [item_dict(f"i{k:03d}", {"storm": 1.1 if k % 2 else 0.9}) for k in range(150)]
    priors, evidence = write_scenario(tmp_path / "s", priors_dict(), items)
    out = tmp_path / "out"
    argv = ["run", "--no-charts", "--draws", "100", "--priors", str(priors)]
    assert main([*argv, "--evidence", str(evidence), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) < 60
    assert any("110 steps not shown (every step is in trajectory.csv)" in line for line in printed)
    steps = [line.split()[0] for line in printed if line.strip()[:1].isdigit() and "%" in line]
    assert steps == ["0", *map(str, range(111, 151))]
    assert len((out / "trajectory.csv").read_text().splitlines()) == 152


def test_dpi_out_of_range_is_a_usage_error(tmp_path, capsys):
    assert main(["charts", "--dpi", "0", "--out", str(tmp_path)]) == 2
    assert "--dpi: must be from 10 to 1,200, got 0" in capsys.readouterr().err


def test_run_help_gives_the_default_draws(capsys):
    from forecast.inference import DEFAULT_DRAWS

    assert main(["run", "--help"]) == 0
    assert f"(default {DEFAULT_DRAWS:,})" in " ".join(capsys.readouterr().out.split())
