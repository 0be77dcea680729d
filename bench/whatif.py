"""Benchmarks of the live what-if panel (issue 16): ``python bench/run.py --only whatif``.

On the bundled scenario, each figure the median of 50 with its spread:

- one panel update, compute only (``panel.compute``: the arrays of the settings and
  ``live_trajectory``), at a diagnosticity the item has not had before (its draws and
  quadrature computed anew) and at values revisited (a drag back and forth: remembered);
- the Python side of a chart update (``panel.update_chart``: new line data, a new band
  polygon, the saved background restored, the data drawn over it and the changed pixels
  encoded as ipympl sends them to a connected browser);
- one whole update through the widget (a slider's value set: compute, headline, chart);
- a warm ``forecast.run`` (the same scenario again, and after an edit, bench_warm's cases).

At 10,000 items: the panel's build (imports done) and one update, for exact items from a
cold start and for uncertain items once ``forecast.probabilities`` has seen them (as after
``forecast.run`` in a notebook; their first quadrature alone takes seconds).

Then the as-of slider's moves (``bench/asof_slider.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 50
UPDATE_TARGET_S = 0.010
RUN_TARGET_S = 0.020
CHART_TARGET_S = 0.040
BUILD_10K_TARGET_S = 2.0
UPDATE_10K_TARGET_S = 0.200
ITEM = "maxar-new-deployments"


def timed(fn: Callable[[int], object], repeats: int) -> list[float]:
    out = []
    for j in range(repeats):
        t0 = time.perf_counter()
        fn(j)
        out.append(time.perf_counter() - t0)
    return out


def bench_whatif(repeats: int = REPEATS, large: bool = True) -> dict:
    import forecast
    from forecast.widgets import Setting, what_if

    scenario = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    panel = what_if(scenario)
    panel.chart.syncing_data_url = False  # as once a browser shows it: only diffs are sent
    new = np.linspace(0.013, 2.987, repeats)  # never a slider step: new to the memo
    out: dict = {}
    out["update_new_value"] = timed(
        lambda j: panel.compute({ITEM: Setting(diagnosticity=float(new[j]))}), repeats
    )
    revisit = (0.5, 1.5, 2.0, 2.5)
    for v in revisit:
        panel.compute({ITEM: Setting(diagnosticity=v)})
    out["update_revisited"] = timed(
        lambda j: panel.compute({ITEM: Setting(diagnosticity=revisit[j % 4])}), repeats
    )
    slider = panel.controls[ITEM]["diagnosticity"]
    out["chart"] = []
    for j in range(repeats):
        slider.value = revisit[j % 4]  # new live numbers, then their chart alone timed
        t0 = time.perf_counter()
        panel.update_chart()
        out["chart"].append(time.perf_counter() - t0)
    out["widget_update"] = timed(lambda j: setattr(slider, "value", revisit[j % 4]), repeats)
    forecast.run(scenario)
    out["run_same"] = timed(lambda j: forecast.run(scenario), repeats)
    hyp = scenario.hypotheses[-1]
    target = scenario.evidence[len(scenario.evidence) // 2].id
    out["run_after_edit"] = timed(
        lambda j: forecast.run(
            scenario.updated(target, likelihoods={hyp: [1.0 + 0.01 * j, 3.0 + 0.01 * j]})
        ),
        repeats,
    )
    if large:
        out.update(bench_large())
    from asof_slider import bench_asof_slider  # the as-of slider (issue 23)

    out.update(bench_asof_slider(large))
    return out


def bench_large(repeats: int = 10) -> dict:
    import ipympl.backend_nbagg  # noqa: F401  (imports are not the panel's time)
    from synth import make_scenario

    import forecast
    from forecast.widgets import what_if

    out = {}
    values = (0.5, 1.5, 2.0, 2.5, 0.75)
    for kind in ("exact", "uncertain"):
        s = forecast.Scenario.from_dict(make_scenario(10_000, 5, uncertain=kind == "uncertain"))
        if kind == "uncertain":
            forecast.probabilities(forecast.encode(s))
        t0 = time.perf_counter()
        panel = what_if(s)
        out[f"build_10k_{kind}"] = [time.perf_counter() - t0]
        panel.chart.syncing_data_url = False  # a browser shows it: the chart is drawn too
        slider = panel.controls[s.ids[5000]]["diagnosticity"]
        out[f"update_10k_{kind}"] = timed(
            lambda j, sl=slider: setattr(sl, "value", values[j % 5]), repeats
        )
    return out


TARGETS = {
    "update_new_value": ("panel update, compute, a diagnosticity not seen before", UPDATE_TARGET_S),
    "update_revisited": ("panel update, compute, values revisited (a drag back)", UPDATE_TARGET_S),
    "chart": ("chart update, Python side (set data, blit, diff PNG)", CHART_TARGET_S),
    "widget_update": ("whole update via the slider (compute + headline + chart)", None),
    "run_same": ("warm forecast.run, same scenario", RUN_TARGET_S),
    "run_after_edit": ("warm forecast.run after one edited likelihood", RUN_TARGET_S),
    "build_10k_exact": ("panel build, 10,000 exact items, cold", BUILD_10K_TARGET_S),
    "update_10k_exact": ("panel update, 10,000 exact items", UPDATE_10K_TARGET_S),
    "build_10k_uncertain": ("panel build, 10,000 uncertain items, quadrature seen", BUILD_10K_TARGET_S),
    "update_10k_uncertain": ("panel update, 10,000 uncertain items", UPDATE_10K_TARGET_S),
}  # fmt: skip


def rows(res: dict, summary, fmt_s, spread) -> list[tuple[str, str, str, str, str]]:
    """Table rows (figure, median, spread, target, verdict) of :func:`bench_whatif`'s result."""
    from asof_slider import TARGETS as ASOF_TARGETS

    out = []
    for key, (name, target) in {**TARGETS, **ASOF_TARGETS}.items():
        if key not in res:
            continue
        s = summary(res[key])
        m = s["median"]
        verdict = (
            "" if target is None else ("met" if m <= target else f"MISSED ({m / target:.1f}x)")
        )
        out.append((f"what-if: {name}", fmt_s(m), spread(s),
                    "" if target is None else f"<= {fmt_s(target)}", verdict))  # fmt: skip
    return out


if __name__ == "__main__":
    import sys

    sys.path[:0] = [str(ROOT), str(Path(__file__).parent)]
    from run import fmt_s, spread, summary, table

    print(table(rows(bench_whatif(large="--no-large" not in sys.argv), summary, fmt_s, spread)))
