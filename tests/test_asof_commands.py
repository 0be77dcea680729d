"""``--as-of`` on report, charts, watch and score (docs/model.md, "Time"; issue 23).

Each command given another day than the saved result's must show what ``forecast run --as-of``
of that day shows: the report, the charts and the ranking are compared with those of a run as of
that day (an independent route through ``forecast run``), the scores with the scores of the
scenario written without the later items.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import item_dict, priors_dict, snapshot, write_scenario

from forecast.cli import main

DAY = "2022-02-05"  # after a and b, before c and before b's retraction
ITEMS = [
    item_dict("a", {"storm": 2}, date="2022-01-10"),
    item_dict(
        "b", {"calm": 3}, date="2022-02-01", retracted={"date": "2022-02-10", "reason": "forged"}
    ),
    item_dict("c", {"storm": [2, 5]}, date="2022-02-20"),
]
INDICATORS = [
    {"id": "early", "title": "t", "by": "2022-01-20", "p_seen": {"calm": 0.2, "storm": 0.6}},
    {"id": "middle", "title": "t", "by": "2022-02-12", "p_seen": {"calm": 0.3, "storm": 0.7}},
    {"id": "later", "title": "t", "by": "2022-03-20", "p_seen": {"calm": 0.1, "storm": 0.5}},
]


def folder(tmp_path: Path, items=ITEMS, **over) -> tuple[Path, Path]:
    p = priors_dict(**{"opened": "2022-01-01", "deadline": "2022-03-31", **over})
    priors, evidence = write_scenario(tmp_path, p, items)
    (tmp_path / "indicators").mkdir(exist_ok=True)
    for ind in INDICATORS:
        (tmp_path / "indicators" / f"{ind['id']}.yaml").write_text(yaml.safe_dump(ind))
    return priors, evidence


def cli(priors: Path, evidence: Path, *args: str) -> int:
    return main([*args, "--priors", str(priors), "--evidence", str(evidence)])


def run(priors: Path, evidence: Path, out: Path, *more: str) -> None:
    assert cli(priors, evidence, "run", "--out", str(out), "--draws", "400", "--no-charts",
               *more) == 0  # fmt: skip


def steady(html: str) -> str:
    """The report without what names the moment and the command line (its only differences)."""
    html = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[^<]*", "<time>", html)
    return re.sub(r"<code>forecast run [^<]*</code>", "<code>command</code>", html)


def test_report_as_of_equals_the_report_of_run_as_of(tmp_path, capsys):
    priors, evidence = folder(tmp_path)
    run(priors, evidence, tmp_path / "now")
    run(priors, evidence, tmp_path / "then", "--as-of", DAY)
    capsys.readouterr()
    assert cli(priors, evidence, "report", "--out", str(tmp_path / "now"), "--as-of", DAY) == 0
    said = capsys.readouterr().out
    assert cli(priors, evidence, "report", "--out", str(tmp_path / "then")) == 0
    now = (tmp_path / "now" / "report.html").read_text()
    then = (tmp_path / "then" / "report.html").read_text()
    assert steady(now) == steady(then)
    assert "As of 5 Feb 2022" in now and "Not yet known" in now and ">c</li>" in now
    assert "Retracted items" not in now  # b's retraction (10 Feb) is after the day
    p = pd.read_csv(tmp_path / "then" / "trajectory.csv")["p_event"].iloc[-1]
    assert f"P(event) = {p:.1%} as of {DAY}" in said
    assert "1 item(s) dated after the as-of day left out: c" in said
    # the saved result is the run's, untouched
    saved = pd.read_csv(tmp_path / "now" / "trajectory.csv")
    assert saved["row"].iloc[-1] == "item" and saved["evidence_id"].iloc[-1] == "c"


def test_report_as_of_the_saved_day_is_the_saved_report(tmp_path, monkeypatch):
    """--as-of naming the saved result's own day recomputes nothing."""
    import forecast.inference

    priors, evidence = folder(tmp_path)
    run(priors, evidence, tmp_path / "then", "--as-of", DAY)
    monkeypatch.setattr(forecast.inference, "run", lambda *a, **k: pytest.fail("recomputed"))
    assert cli(priors, evidence, "report", "--out", str(tmp_path / "then"), "--as-of", DAY) == 0


def test_charts_as_of_are_the_charts_of_run_as_of(tmp_path):
    priors, evidence = folder(tmp_path)
    run(priors, evidence, tmp_path / "now")
    run(priors, evidence, tmp_path / "then", "--as-of", DAY)
    for out, more in (("now", ["--as-of", DAY]), ("then", [])):
        code = cli(priors, evidence, "charts", "--out", str(tmp_path / out), "--format", "svg",
                   *more)  # fmt: skip
        assert code == 0
    for name in ("by_date.svg", "timeline.svg", "impact.svg", "watch.svg"):
        now = (tmp_path / "now" / name).read_text()
        assert now == (tmp_path / "then" / name).read_text(), name
    assert "as of 5 Feb 2022" in (tmp_path / "now" / "by_date.svg").read_text()


def test_watch_as_of_judges_lapsed_against_that_day(tmp_path):
    """`middle` (by 12 Feb) is open as of 5 Feb and lapsed as of 15 Feb; `early` (by 20 Jan) is
    lapsed on both; the table equals forecast.watch of a run as of the day."""
    import forecast

    priors, evidence = folder(tmp_path)
    run(priors, evidence, tmp_path / "out")  # saved: as of 20 Feb, the latest item
    scenario = forecast.load_scenario(priors, evidence)
    for day, want in ((DAY, "lapsed open open"), ("2022-02-15", "lapsed lapsed open")):
        assert cli(priors, evidence, "watch", "--out", str(tmp_path / "out"), "--as-of", day) == 0
        table = pd.read_csv(tmp_path / "out" / "watch.csv").set_index("indicator_id")
        assert " ".join(table.loc[["early", "middle", "later"], "status"]) == want
        ref = forecast.watch(forecast.run(scenario, seed=0, as_of=day), tmp_path / "indicators")
        ref = ref.set_index("indicator_id")
        pd.testing.assert_series_equal(table["p_event_if_seen"], ref["p_event_if_seen"],
                                       check_exact=False, rtol=0, atol=1e-9)  # fmt: skip


def test_score_as_of_equals_scoring_without_the_later_items(tmp_path, capsys):
    """q1 resolved on 15 Feb is scored on what was known by 25 Feb (c, 20 Feb, after its
    resolution, is left out either way); q2 resolved on 1 Mar is still open on 25 Feb."""
    import forecast

    q1, q2, ref = tmp_path / "q1", tmp_path / "q2", tmp_path / "ref" / "q1"
    late = item_dict("d", {"calm": 2}, date="2022-02-27")
    folder(q1, [*ITEMS, late], resolution={"outcome": False, "date": "2022-02-15"})
    folder(q2, ITEMS, resolution={"outcome": True, "date": "2022-03-01"})
    folder(ref, ITEMS, resolution={"outcome": False, "date": "2022-02-15"})
    out = tmp_path / "out"
    assert main(["score", str(q1), str(q2), "--out", str(out), "--as-of", "2022-02-25"]) == 0
    said = capsys.readouterr().out
    assert main(["score", str(ref), "--out", str(tmp_path / "refout")]) == 0
    got = pd.read_csv(out / "scores.csv")
    want = pd.read_csv(tmp_path / "refout" / "scores.csv")
    assert got["scenario"].tolist() == ["q1"]
    pd.testing.assert_frame_equal(got, want)
    api = forecast.score([q1, q2], as_of="2022-02-25")  # the Python API: the same
    assert api["scenario"].tolist() == ["q1"] and api.attrs["unresolved"] == ["q2"]
    assert api["final_p"].iloc[0] == pytest.approx(want["final_p"].iloc[0], abs=1e-8)
    assert "resolved after 2022-02-25, so still open then (not scored): q2" in said
    assert "day(s) have passed since 2022-02-25" in said
    assert "not resolved (skipped)" not in said  # q2 is said once, as open then
    # before any resolution nothing is resolved: refused (saying why), nothing written
    code = main(["score", str(q1), "--out", str(tmp_path / "none"), "--as-of", "2022-02-14"])
    std = capsys.readouterr()
    assert code == 2 and not (tmp_path / "none").exists()
    assert "no question was resolved on or before --as-of 2022-02-14" in std.err
    assert "not resolved (skipped)" not in std.out


BAD_DAYS = [("2022-02-30", "--as-of: expected a date"), ("soon", "--as-of: expected a date"),
            ("2021-12-31", "--as-of 2021-12-31: before the question opened")]  # fmt: skip


@pytest.mark.parametrize(
    ("command", "as_of", "message"),
    [(c, *bad) for c in ("report", "charts", "watch") for bad in BAD_DAYS]
    + [("score", *bad) for bad in BAD_DAYS[:2]],  # score: an early day leaves questions open
)
def test_bad_as_of_is_refused_on_every_command(tmp_path, capsys, command, as_of, message):
    priors, evidence = folder(tmp_path / "s", resolution={"outcome": True, "date": "2022-03-01"})
    out = tmp_path / "s" / "out"
    run(priors, evidence, out)
    before = snapshot(out)
    capsys.readouterr()
    if command == "score":
        code = main(["score", str(tmp_path / "s"), "--out", str(out), "--as-of", as_of])
    else:
        code = cli(priors, evidence, command, "--out", str(out), "--as-of", as_of)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert snapshot(out) == before


@pytest.mark.parametrize("command", ["report", "charts"])
def test_a_named_result_that_is_missing_is_refused_with_as_of(tmp_path, capsys, command):
    """``--result`` names a file: it must exist, ``--as-of`` or not (no silent recompute)."""
    priors, evidence = folder(tmp_path / "s")
    out = tmp_path / "s" / "out"
    run(priors, evidence, out)
    before = snapshot(out)
    capsys.readouterr()
    missing = tmp_path / "nope.nc"
    code = cli(priors, evidence, command, "--out", str(out), "--result", str(missing),
               "--as-of", DAY)  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert "no saved result" in err and "Traceback" not in err
    assert snapshot(out) == before


@pytest.mark.parametrize("command", ["report", "charts", "watch"])
def test_every_command_says_the_days_passed_since_the_as_of_day(tmp_path, capsys, command):
    """An open question whose as-of day is before today: how many days passed, how to count."""
    priors, evidence = folder(tmp_path)
    run(priors, evidence, tmp_path / "out")
    capsys.readouterr()
    args = ["--format", "svg"] if command == "charts" else []
    assert cli(priors, evidence, command, "--out", str(tmp_path / "out"), *args) == 0
    said = capsys.readouterr().out
    assert "the deadline 2022-03-31 has passed since the as-of day 2022-02-20" in said
    assert "--as-of 2022-03-31" in said


def test_an_open_window_says_how_many_days_passed_on_report_and_watch(tmp_path, capsys):
    """Deadline 30 days from today: the days since the as-of day, counted with --as-of today."""
    import datetime as dt

    today = dt.date.today()
    priors, evidence = folder(tmp_path, deadline=(today + dt.timedelta(days=30)).isoformat())
    run(priors, evidence, tmp_path / "out")
    passed = (today - dt.date(2022, 2, 20)).days
    for command in ("report", "watch"):
        capsys.readouterr()
        assert cli(priors, evidence, command, "--out", str(tmp_path / "out")) == 0
        said = capsys.readouterr().out
        assert f"{passed:,} day(s) without the outcome have passed since the as-of day " in said
        assert "--as-of today" in said


# ----------------------------------------------------------------------------- retracted items
def test_attribution_lists_a_retracted_item_as_retracted(tmp_path):
    """b retracted on 10 Feb: as of 20 Feb it has no share, leave-one-out is the final
    probability, attribution.csv says when it was retracted, the impact chart and the report
    say so with the reason; as of 5 Feb (before the retraction) it has a share and no label."""
    import forecast
    from forecast.charts.impact import plot_impact
    from forecast.report import report_html

    priors, evidence = folder(tmp_path)
    run(priors, evidence, tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "attribution.csv", keep_default_na=False)
    assert list(table.columns) == ["evidence_id", "step_move", "shapley", "shapley_mcse",
                                   "leave_one_out", "retracted_on"]  # fmt: skip
    final = pd.read_csv(tmp_path / "out" / "trajectory.csv")["p_event"].iloc[-1]
    b = table.set_index("evidence_id").loc["b"]
    assert b["retracted_on"] == "2022-02-10" and b["shapley"] == 0.0
    assert b["leave_one_out"] == pytest.approx(final, abs=6e-7)  # trajectory.csv: 6 decimals
    assert set(table["retracted_on"]) == {"", "2022-02-10"}
    result = forecast.load_result(tmp_path / "out" / "posterior.nc")
    fig = plot_impact(result)
    texts = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()] + [
        t.get_text() for t in fig.texts
    ]
    assert "b (retracted)" in texts
    assert any("b retracted on 10 Feb 2022: forged" in t for t in texts)
    assert "b (retracted on 10 Feb 2022: forged)" in report_html(result)
    before = forecast.run(forecast.load_scenario(priors, evidence), seed=0, draws=400,
                          attribution=True, as_of=DAY)  # fmt: skip
    frame = forecast.attribution_frame(before)
    assert "retracted_on" not in frame.columns
    assert frame.set_index("evidence_id").loc["b", "shapley"] != 0.0
    assert "(retracted" not in report_html(before)


# ----------------------------------------------------------------------------- event_date
SEEN = {"calm": 0.2, "storm": 0.6}


@pytest.mark.parametrize(
    ("over", "late"),
    [({"event_date": "2022-02-09"}, False), ({"event_date": "2022-02-11"}, True), ({}, True),
     ({"likelihoods": {"calm": 0.8, "storm": 0.4}}, False)],
    ids=["event-date-before-by", "event-date-after-by", "no-event-date", "recorded-not-seen"],
)  # fmt: skip
def test_an_indicator_seen_by_its_event_date_counts_as_seen_in_time(tmp_path, capsys, over, late):
    """Indicator `sign` by 10 Feb, reported on 15 Feb: in time with an event_date on or before
    10 Feb (or recorded as not seen, likelihoods 1 - p_seen), else recorded late; `watch`,
    `validate` and the report say which."""
    import forecast
    from forecast.observations import seen_in_time
    from forecast.watching import watch_into

    over = {"likelihoods": dict(SEEN), **over}
    item = item_dict("sign", date="2022-02-15", **over)
    priors, evidence = folder(tmp_path, [*ITEMS[:2], item])
    (tmp_path / "indicators" / "sign.yaml").write_text(
        yaml.safe_dump({"id": "sign", "title": "t", "by": "2022-02-10", "p_seen": SEEN})
    )
    scenario = forecast.load_scenario(priors, evidence)
    ind = next(i for i in forecast.load_indicators(tmp_path / "indicators", scenario)
               if i.id == "sign")  # fmt: skip
    assert seen_in_time(ind, scenario.evidence[-1]) is not late
    assert cli(priors, evidence, "watch", "--out", str(tmp_path / "out")) == 0
    said = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "out" / "watch.csv")
    assert "sign" not in set(table["indicator_id"])  # recorded: not to watch, never lapsed
    assert ("sign: by 2022-02-10, recorded 2022-02-15" in said) is late
    assert cli(priors, evidence, "validate") == 0
    said = capsys.readouterr().out
    line = next(x for x in said.splitlines() if "by 2022-02-10 sign" in x)
    assert ("not in time" in line) is late and "recorded as" in line
    result = forecast.run(scenario, seed=0, draws=400)
    result, _ = watch_into(result, [ind])
    assert ("Recorded as seen after their date" in forecast.report_html(result)) is late


def test_observe_event_date_records_a_sighting_in_time(tmp_path, monkeypatch, capsys):
    """`observe sign --seen --date 15 Feb --event-date 9 Feb` (by 10 Feb): the item carries its
    event_date and counts as seen in time; without it, it is recorded late. Bad dates: exit 2."""
    import forecast
    from forecast.observations import seen_in_time

    folder(tmp_path, ITEMS[:2])
    (tmp_path / "indicators" / "sign.yaml").write_text(
        yaml.safe_dump({"id": "sign", "title": "t", "by": "2022-02-10", "p_seen": SEEN})
    )
    monkeypatch.chdir(tmp_path)
    base = ["observe", "sign", "--seen", "--date", "2022-02-15"]
    assert main([*base, "--event-date", "2022-02-16"]) == 2  # after --date: refused
    assert main([*base, "--event-date", "9 Feb"]) == 2
    assert "--event-date expects YYYY-MM-DD" in capsys.readouterr().err
    assert not (tmp_path / "evidence" / "sign.yaml").exists()
    for event_date, in_time in (("2022-02-09", True), (None, False)):
        (tmp_path / "evidence" / "sign.yaml").unlink(missing_ok=True)
        more = ["--event-date", event_date] if event_date else []
        assert main([*base, *more]) == 0
        scenario = forecast.load_scenario("priors.yaml", "evidence")
        item = scenario.evidence[-1]
        assert item.id == "sign" and str(item.event_date) == str(event_date)
        (ind,) = [i for i in forecast.load_indicators("indicators", scenario) if i.id == "sign"]
        assert seen_in_time(ind, item) is in_time


def test_attribution_of_a_question_with_a_window_and_no_item():
    """No item, a window: the attribution is empty (no retracted item to label)."""
    import forecast
    from forecast.scenario import Scenario

    s = Scenario.from_dict({"priors": priors_dict(opened="2022-01-01", deadline="2022-03-31"),
                            "evidence": []})  # fmt: skip
    result = forecast.run(s, seed=0, draws=200, attribution=True, as_of="2022-02-01")
    assert forecast.attribution_frame(result).empty
