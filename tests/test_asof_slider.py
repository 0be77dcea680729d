"""The what-if panel's as-of slider (issue 23): a new day's numbers, and what a move computes.

Each day's numbers are checked against an independent route, ``forecast.run(scenario,
as_of=day)`` (every row's probability, hypotheses and band); the speed claim as counts of the
calls that would rebuild anything (encoding, drawing the band, the time model), not as time.
"""

from __future__ import annotations

import datetime as dt
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest
from helpers import item_dict, priors_dict

import forecast
from forecast import asof_live
from forecast.analysis import scenario_for
from forecast.asof_panel import slider_days
from forecast.band import band_route
from forecast.scenario import Scenario

# not imported here: importing ipympl switches matplotlib's backend for every later test
pytestmark = pytest.mark.skipif(find_spec("ipympl") is None, reason="the panel needs ipympl")

ROOT = Path(__file__).resolve().parent.parent
OPENED = dt.date(2022, 1, 1)
KEYS = ("p_outcome", "p_outcome_low", "p_outcome_high", "p_hypothesis")


def day(n: int) -> dt.date:
    return OPENED + dt.timedelta(days=n)


def window_scenario() -> Scenario:
    """Intervals, a dependence group, two items on one day, a retraction and reliability."""
    hyps = {
        "calm": {"prior": 0.5, "p_outcome": [0.02, 0.1]},
        "bluff": {"prior": 0.3, "p_outcome": 0.2},
        "storm": {"prior": 0.2, "p_outcome": [0.6, 0.9]},
    }
    p = priors_dict(hypotheses=hyps, opened=OPENED.isoformat(), deadline=day(60).isoformat(),
                    prior_strength=15, groups={"imagery": {"correlation": 0.6}})  # fmt: skip
    items = [
        item_dict("a", {"storm": [1.5, 4.0], "bluff": [0.8, 2.0]}, date=day(4).isoformat(),
                  reliability="B"),
        item_dict("b", {"calm": [0.3, 0.9]}, date=day(9).isoformat(), group="imagery",
                  retracted={"date": day(20).isoformat(), "reason": "the photo was old"}),
        item_dict("c", {"storm": [2.0, 6.0]}, date=day(9).isoformat(), group="imagery",
                  reliability=0.7),
        item_dict("d", {"calm": 2.0, "storm": [0.5, 1.2]}, date=day(30).isoformat()),
    ]  # fmt: skip
    return Scenario.from_dict({"priors": p, "evidence": items})


def panel_for(scenario: Scenario, draws: int):
    from forecast.widgets import WhatIf

    return WhatIf(scenario, seed=0, draws=draws)


def move(panel, to: dt.date) -> None:
    first = slider_days(panel.base)[0]
    if panel.as_of_slider.value == (to - first).days:  # the day it starts on: away and back
        panel.as_of_slider.value = int(panel.as_of_slider.value != 0)
    panel.as_of_slider.value = (to - first).days
    assert panel.as_of == to


def assert_as_run(panel, scenario: Scenario, to: dt.date, draws: int) -> None:
    t = forecast.run(scenario, seed=0, draws=draws, as_of=to)["trajectory"]
    for k in KEYS:
        assert panel.live[k].shape == t[k].shape, (to, k)
        np.testing.assert_allclose(panel.live[k], t[k].values, rtol=0, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("offset", [0, 3, 4, 9, 10, 19, 20, 21, 30, 45, 60])
def test_each_day_equals_run_as_of(offset):
    # before the first item, on item days (two on one day), a retraction's eve, day and next
    # day, the last item, after it, the deadline: each a day the panel has not seen
    s = window_scenario()
    panel = panel_for(s, draws=400)
    move(panel, day(offset))
    assert_as_run(panel, s, day(offset), 400)
    assert f"as of {day(offset)}" in panel.headline.value


def test_bundled_days_equal_run_as_of():
    s = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    panel = panel_for(s, draws=1000)
    first, last = slider_days(s)
    for to in (first, first + dt.timedelta(days=5), first + dt.timedelta(days=6), last):
        move(panel, to)
        assert_as_run(panel, s, to, 1000)


def test_a_new_day_rebuilds_nothing(monkeypatch):
    s = window_scenario()
    panel = panel_for(s, draws=400)
    calls: dict[str, int] = {}

    def counted(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    import forecast.time_numbers as tn
    import forecast.widgets as widgets

    for module, name in ((asof_live, "time_numbers"), (asof_live, "resolve_as_of"),
                         (tn, "encode"), (tn, "band_draws"), (tn, "log_posterior_by_step"),
                         (widgets, "scenario_for"), (widgets, "live_trajectory")):  # fmt: skip
        counted(module, name)
    builds = asof_live.DayModel.builds
    shown = []
    for offset in (60, 0, 5, 9, 15, 20, 25, 30, 31, 59):  # every one new to the panel
        move(panel, day(offset))
        shown.append(panel.live["p_outcome"][-1])
    assert calls == {} and asof_live.DayModel.builds == builds
    assert len(set(shown)) == len(shown)  # each move showed new numbers
    assert_as_run(panel, s, day(59), 400)  # the last of them, right


def test_a_settings_move_builds_one_model_then_days_are_free():
    from forecast.analysis import Setting

    s = window_scenario()
    panel = panel_for(s, draws=400)
    builds = asof_live.DayModel.builds
    panel.controls["d"]["diagnosticity"].value = 2.0
    assert asof_live.DayModel.builds == builds + 1
    move(panel, day(40))
    move(panel, day(12))
    assert asof_live.DayModel.builds == builds + 1
    edited = scenario_for(s, {"d": Setting(diagnosticity=2.0)})
    assert_as_run(panel, edited, day(12), 400)


def test_compiled_route_keeps_a_model_per_stretch(monkeypatch):
    # with the compiled route the draws of a step depend on the steps after it: a day before
    # the latest item gets the model of its own stretch (here the route is only said to be
    # compiled, so the numbers must still be run's whichever model serves the day)
    monkeypatch.setattr(asof_live, "band_route", lambda a, draws: "compiled")
    s = window_scenario()
    panel = panel_for(s, draws=400)
    builds = asof_live.DayModel.builds
    for offset, new in ((45, 0), (31, 0), (12, 1), (15, 0), (20, 0), (29, 0), (3, 1), (5, 1)):
        move(panel, day(offset))
        assert asof_live.DayModel.builds == builds + new, offset
        builds += new
        assert_as_run(panel, s, day(offset), 400)


@pytest.mark.slow
def test_compiled_route_days_equal_run_as_of():
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from time_case import time_scenario

    s = forecast.Scenario.from_dict(time_scenario(60, 200)[1])
    assert band_route(forecast.encode(s), 4000) == "compiled"
    panel = panel_for(s, draws=4000)
    first = slider_days(s)[0]
    for offset in (195, 100, 7):
        move(panel, first + dt.timedelta(days=offset))
        assert_as_run(panel, s, panel.as_of, 4000)


def test_a_day_run_refuses_is_refused():
    s = window_scenario()
    days = asof_live.LiveDays(s, day(60), draws=100, seed=0, band=False)
    with pytest.raises(ValueError, match="before the question opened"):
        days.numbers(day(-1))
    with pytest.raises(ValueError, match="after the deadline"):
        days.numbers(day(61))


def test_a_move_redraws_the_lines_not_the_chart(monkeypatch):
    # the timeline keeps room for the rows as of the slider's last day: a move blits the
    # lines over the saved background instead of drawing the whole figure again
    s = window_scenario()
    panel = panel_for(s, draws=400)
    panel.chart.syncing_data_url = False  # as once a browser shows it
    move(panel, day(1))  # the first draw: the background
    drawn = {"draw": 0, "blit": 0}
    for name in drawn:
        real = getattr(panel.chart, name)
        monkeypatch.setattr(
            panel.chart,
            name,
            lambda *a, _n=name, _r=real, **k: (drawn.__setitem__(_n, drawn[_n] + 1), _r(*a, **k)),
        )
    for offset in (60, 2, 9, 20, 33):
        move(panel, day(offset))
    assert drawn == {"draw": 0, "blit": 5}
    assert panel.timeline.ax.get_xlim() == (0, panel.as_of_rows - 1)


def test_without_a_deadline_days_equal_run_as_of():
    # opened and no deadline: no day weighs the draws (S_h = 1), the band is the draws' own
    data = window_scenario().to_dict()
    del data["priors"]["deadline"]
    s = Scenario.from_dict(data)
    panel = panel_for(s, draws=400)
    assert slider_days(s) == (OPENED, day(30))
    for offset in (0, 9, 21, 30, 3):
        move(panel, day(offset))
        assert_as_run(panel, s, day(offset), 400)
