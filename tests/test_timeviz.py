"""Time in the charts, the report and the what-if panel (issue 23, item 4).

The marks are checked as artists (by ``gid``) and at the numbers of the result's nodes; the
report's table against ``by_date.csv``'s rows; the as-of slider against ``forecast.run(as_of=)``.
"""

from __future__ import annotations

import datetime as dt

import matplotlib.dates as mdates
import numpy as np
import pytest
from helpers import item_dict, priors_dict

import forecast
from forecast.charts.by_date import plot_by_date
from forecast.charts.export import figures
from forecast.charts.timeline import plot_timeline
from forecast.charts.timeline_time import MAX_RETRACTION_LABELS, row_x, time_line
from forecast.report import report_html
from forecast.report_time import milestones
from forecast.scenario import Scenario
from forecast.time_result import by_date_frame, daily_frame
from forecast.watching import watch_into

OPENED = dt.date(2022, 1, 1)
HYPS = {"calm": {"prior": 0.6, "p_outcome": 0.1}, "storm": {"prior": 0.4, "p_outcome": [0.5, 0.9]}}


def day(n: int) -> str:
    return (OPENED + dt.timedelta(days=n)).isoformat()


def timed(n_days: int = 60, items=None) -> Scenario:
    items = items or [
        item_dict("a", {"calm": 0.2, "storm": 0.6}, date=day(5)),
        item_dict("b", {"calm": 0.5, "storm": 0.3}, date=day(12),
                  retracted={"date": day(20), "reason": "the <b>photo</b> was from 2014"}),
        item_dict("c", {"calm": 0.3, "storm": 0.7}, date=day(25)),
    ]  # fmt: skip
    p = priors_dict(hypotheses=HYPS, opened=OPENED.isoformat(), deadline=day(n_days))
    return Scenario.from_dict({"priors": p, "evidence": items})


@pytest.fixture(scope="module")
def result():
    return forecast.run(timed(), seed=0, draws=400, as_of=day(30))


def gids(fig) -> set[str]:
    return {
        a.get_gid()
        for ax in fig.axes
        for a in [*ax.lines, *ax.texts, *ax.collections]
        if a.get_gid()
    }


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# ----------------------------------------------------------------------------- by_date chart
def test_by_date_chart_marks_the_as_of_day_the_deadline_and_the_headline(result):
    fig = plot_by_date(result)
    assert {"as_of_line", "deadline_line", "headline"} <= gids(fig)
    ax = fig.axes[0]
    deadline = next(line for line in ax.lines if line.get_gid() == "deadline_line")
    assert deadline.get_xdata()[0] == mdates.date2num(np.datetime64(day(60)))
    as_of = next(line for line in ax.lines if line.get_gid() == "as_of_line")
    assert as_of.get_xdata()[0] == mdates.date2num(np.datetime64(day(30)))
    head = float(result["trajectory"]["p_outcome"][-1])
    assert f"{100 * head:.1f}%" in texts(fig)
    curve = next(line for line in ax.lines if line.get_label().startswith("P("))
    by = by_date_frame(result)
    np.testing.assert_allclose(curve.get_ydata()[1:], 100 * by.iloc[:, 1].to_numpy(), atol=1e-12)
    assert curve.get_ydata()[0] == 0.0  # nothing by the as-of day itself (no event yet)


def test_by_date_chart_is_drawn_only_with_a_deadline(result):
    assert "by_date" in figures(result, names=["by_date"])
    p = priors_dict(hypotheses=HYPS, opened=OPENED.isoformat())
    plain = forecast.run(Scenario.from_dict({"priors": p, "evidence": []}), seed=0, draws=200)
    assert "by_date" not in figures(plain, names=["by_date"])


# ----------------------------------------------------------------------------- timeline
def test_timeline_marks_retraction_as_of_and_deadline_in_view():
    r = forecast.run(timed(n_days=40), seed=0, draws=400, as_of=day(40))
    fig = plot_timeline(r)
    assert {"retractions", "as_of_line", "deadline_line"} <= gids(fig)
    assert "retracted: b" in texts(fig)
    marks = next(line for ax in fig.axes for line in ax.lines if line.get_gid() == "retractions")
    rows = r["trajectory"]["row"].values.astype(str)
    k = int(np.flatnonzero(rows == "retracted")[0])
    assert marks.get_ydata()[0] == pytest.approx(100 * float(r["trajectory"]["p_outcome"][k]))
    assert marks.get_xdata()[0] == pytest.approx(row_x(r)[k])
    assert int(np.floor(row_x(r)[k])) == mdates.date2num(np.datetime64(day(20)))


def test_timeline_deadline_out_of_view_is_written_with_the_days_left(result):
    fig = plot_timeline(result)
    assert "deadline_line" not in gids(fig)
    assert any("(30 days on)" in t for t in texts(fig))


def test_timeline_line_passes_through_every_row_and_every_days_standing_forecast(result):
    x, p, lo, hi = time_line(result)
    daily = daily_frame(result)
    ends = mdates.date2num(daily["date"].to_numpy(dtype="datetime64[D]")) + 1.0
    for col, got in ((1, p), (2, lo), (3, hi)):
        np.testing.assert_array_equal(np.interp(ends, x, got), daily.iloc[:, col].to_numpy())
    t = result["trajectory"]
    np.testing.assert_array_equal(np.interp(row_x(result), x, p), t["p_outcome"].values)
    assert np.all(np.diff(x) >= 0)


@pytest.mark.slow
def test_timeline_at_scale_is_bounded():
    """3,650 days, 2,000 items, 50 retractions: one point per row and day, few labels."""
    items = [
        item_dict(f"e{i:04d}", {"calm": 0.5 + 0.4 * (i % 2), "storm": 0.5}, date=day(1 + i * 3650 // 2200),
                  **({"retracted": {"date": day(2 + i * 3650 // 2200), "reason": "x"}} if i % 40 == 0 else {}))
        for i in range(2000)
    ]  # fmt: skip
    p = priors_dict(hypotheses=HYPS, opened=OPENED.isoformat(), deadline=day(3650))
    r = forecast.run(Scenario.from_dict({"priors": p, "evidence": items}), seed=0, draws=200)
    fig = plot_timeline(r)
    x, *_ = time_line(r)
    assert x.size == r["trajectory"].sizes["step"] + r["daily"].sizes["day"]
    assert sum(t.startswith("retracted:") for t in texts(fig)) == MAX_RETRACTION_LABELS
    assert max(len(ax.lines) for ax in fig.axes) < 20


# ----------------------------------------------------------------------------- report
def test_report_has_as_of_by_what_date_retractions_and_lapsed_indicators(result):
    inds = [
        {
            "id": "late",
            "title": "troops <leave>",
            "by": day(20),
            "p_seen": {"calm": 0.2, "storm": 0.6},
        }
    ]
    with_inds, table = watch_into(result, inds)
    html = report_html(with_inds)
    assert "As of 31 Jan 2022" in html
    for section in (
        "<h2>By what date</h2>",
        "<h2>Retracted items</h2>",
        "<h2>Lapsed indicators</h2>",
    ):
        assert section in html
    m = milestones(result)
    assert m["when"].tolist() == ["+7 days", "deadline"]  # 30 days left: +30 is the deadline
    by = by_date_frame(result)
    assert m["date"].tolist() == [day(37), day(60)]
    assert m["p"].iloc[-1] == by.iloc[-1, 1]
    assert f"{100 * by.iloc[6, 1]:.1f}%" in html
    assert "the &lt;b&gt;photo&lt;/b&gt; was from 2014" in html and "<b>photo" not in html
    assert "troops &lt;leave&gt;" in html
    not_seen = table.set_index("indicator_id").loc["late", "p_event_if_not_seen"]
    assert f"{100 * not_seen:.1f}%" in html


def test_report_without_time_has_no_time_sections():
    p = priors_dict(hypotheses=HYPS)
    r = forecast.run(Scenario.from_dict({"priors": p, "evidence": [item_dict("a", {"calm": 0.2, "storm": 0.6})]}),
                     seed=0, draws=200)  # fmt: skip
    html = report_html(r)
    assert "By what date" not in html and "Retracted items" not in html


# ----------------------------------------------------------------------------- what-if
def test_as_of_slider_moves_the_headline_as_run_as_of_says():
    pytest.importorskip("ipympl")
    from forecast.widgets import WhatIf

    s = timed()
    panel = WhatIf(s, seed=0, draws=400)
    slider = panel.as_of_slider
    assert (slider.min, slider.max) == (0, 60)
    assert slider.value == 25  # the latest item's day
    for offset in (40, 15, 3, 40):
        slider.value = offset
        r = forecast.run(s, seed=0, draws=400, as_of=day(offset))
        t = r["trajectory"]
        for k in ("p_outcome", "p_outcome_low", "p_outcome_high"):
            np.testing.assert_allclose(panel.live[k], t[k].values, rtol=0, atol=1e-12)
        assert f"as of {day(offset)}" in panel.headline.value
        assert panel.result["trajectory"]["p_outcome"][-1] == t["p_outcome"][-1]


def test_no_slider_without_a_window():
    pytest.importorskip("ipympl")
    from forecast.widgets import WhatIf

    p = priors_dict(hypotheses=HYPS)
    panel = WhatIf(
        Scenario.from_dict({"priors": p, "evidence": [item_dict("a", {"calm": 0.2, "storm": 0.6})]})
    )
    assert not hasattr(panel, "as_of_slider") and "as of" not in panel.headline.value
