"""The what-if panel's as-of slider (issue 23): one move, to a day not seen before and back.

Each figure is one move of the slider (``panel.as_of_slider.value = day``): what it computes
alone (``panel.compute``: the rows as of that day), the whole update (numbers, headline, the
chart's data; the chart not shown, as the last session's figures) and the whole update with
the chart drawn as once a browser shows it (blitted, the changed pixels encoded):

- bundled scenario, every slider day once on each of ``PANELS`` new panels (each day new),
  then back and forth over them (seen: remembered);
- 2,000 uncertain items over a 3,650-day window (``bench/time_case.py``; the band waits for
  the Band button at that size), ``LARGE_DAYS`` days spread over the window, each new;
- 100 uncertain items x 5 hypotheses over a year (the band live and drawn by the compiled
  route, whose draws of a step depend on the steps after it): a new day after the latest item
  (a slice of the rows computed once), and a new day before it (its stretch between two items
  computed as ``forecast.run(as_of=day)`` would).

Target: <= 15 ms for a move, as the other sliders. ``python bench/run.py --only whatif`` runs it
with the other what-if figures; ``PYTHONPATH=. python bench/asof_slider.py`` alone prints JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

MOVE_TARGET_S = 0.015
PANELS = 4
LARGE_DAYS = 100


def _moves(panel, days, compute_only: bool = False) -> list[float]:
    """Seconds of each move to ``days`` (slider offsets): the whole update, or its numbers only."""
    from forecast.asof_panel import slider_days

    slider = panel.as_of_slider
    first = slider_days(panel.base)[0]
    out = []
    for d in days:
        if compute_only:  # what a move computes (panel.compute), not shown
            panel.as_of = first + dt.timedelta(days=int(d))
            t0 = time.perf_counter()
            panel.compute({})
        else:
            t0 = time.perf_counter()
            slider.value = int(d)
        out.append(time.perf_counter() - t0)
    return out


def _panel(scenario, drawn: bool = True):
    from forecast.widgets import WhatIf

    panel = WhatIf(scenario, seed=0)
    # drawn: as once a browser shows it (the chart blitted, the changed pixels encoded)
    panel.chart.syncing_data_url = not drawn
    return panel


def bench_asof_slider(large: bool = True) -> dict:
    """Seconds per slider move (lists) and the day models computed meanwhile (``builds``)."""
    import ipympl.backend_nbagg  # noqa: F401  (imports are not the panel's time)
    from time_case import time_scenario

    import forecast
    from forecast.asof_live import DayModel

    out: dict = {"builds": {}}
    scenario = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    before = DayModel.builds
    for key in ("asof_new_day_compute", "asof_new_day", "asof_new_day_drawn"):
        out[key] = []
        for _ in range(PANELS):
            panel = _panel(scenario, drawn=key == "asof_new_day_drawn")
            days = [d for d in range(panel.as_of_slider.min, panel.as_of_slider.max + 1)
                    if d != panel.as_of_slider.value]  # fmt: skip
            out[key] += _moves(panel, days, compute_only=key.endswith("compute"))
    out["builds"]["asof_new_day"] = DayModel.builds - before - 3 * PANELS  # one per panel
    out["asof_seen_day_drawn"] = []
    for _ in range(5):  # back and forth: remembered
        out["asof_seen_day_drawn"] += _moves(panel, [*days[::-1], *days])
    if not large:
        return out
    panel = _panel(forecast.Scenario.from_dict(time_scenario(2000, 3650)[1]))
    slider = panel.as_of_slider
    spread = [d for d in np.random.default_rng(0).permutation(slider.max + 1)[: 2 * LARGE_DAYS]
              if d != slider.value]  # fmt: skip
    before = DayModel.builds
    out["asof_2000_compute"] = _moves(panel, spread[:LARGE_DAYS], compute_only=True)
    out["asof_2000_drawn"] = _moves(panel, spread[LARGE_DAYS:])
    out["builds"]["asof_2000"] = DayModel.builds - before
    panel = _panel(forecast.Scenario.from_dict(time_scenario(100, 365)[1]))
    slider = panel.as_of_slider
    before = DayModel.builds
    after = np.linspace(slider.value + 1, slider.max, 20).astype(int)
    out["asof_compiled_after"] = _moves(panel, after, compute_only=True)
    out["builds"]["asof_compiled_after"] = DayModel.builds - before
    before = DayModel.builds
    earlier = np.linspace(0, slider.value - 1, 10).astype(int)  # each in a stretch of its own
    out["asof_compiled_before"] = _moves(panel, earlier, compute_only=True)
    out["builds"]["asof_compiled_before"] = DayModel.builds - before
    return out


TARGETS = {
    "asof_new_day_compute": ("as-of slider: a day not seen before, compute only", MOVE_TARGET_S),
    "asof_new_day": ("as-of slider: a day not seen before, whole update (chart not shown)",
                     MOVE_TARGET_S),
    "asof_new_day_drawn": ("as-of slider: a day not seen before, whole update, chart drawn", None),
    "asof_seen_day_drawn": ("as-of slider: a day seen (a drag back), chart drawn", None),
    "asof_2000_compute": ("as-of slider: a new day, 2,000 items, 3,650-day window, compute only",
                          MOVE_TARGET_S),
    "asof_2000_drawn": ("as-of slider: a new day, 2,000 items, whole update, chart drawn", None),
    "asof_compiled_after": ("as-of slider: a new day after the last item, 100 uncertain items x 5 "
                            "hypotheses (compiled band), compute only", MOVE_TARGET_S),
    "asof_compiled_before": ("as-of slider: a new day between earlier items, same (its stretch "
                             "computed: a run as of it), compute only", None),
}  # fmt: skip


def main() -> None:
    res = bench_asof_slider(large="--no-large" not in sys.argv)

    def summary(xs: list[float]) -> dict:
        ms = 1000 * np.array(xs)
        return {
            "median_ms": round(float(np.median(ms)), 2),
            "p90_ms": round(float(np.quantile(ms, 0.9)), 2),
            "n": len(xs),
        }

    print(json.dumps({
        **{k: summary(v) for k, v in res.items() if k != "builds"},
        "day_models_computed": res["builds"],
        "target_ms": 1000 * MOVE_TARGET_S,
        "load": os.getloadavg(),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
