"""The what-if panel's as-of slider (issue 23) on the bundled scenario.

Prints JSON: the median and spread (milliseconds) of one panel update through the slider
(``panel.as_of_slider.value = day``: the time model as of that day, the headline, the chart's
data), for days not seen before and for days seen (a drag back over them), and the load.
Target for seen values: <= 15 ms, as the other sliders.

    PYTHONPATH=. python bench/asof_slider.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

SEEN_TARGET_MS = 15.0


def main() -> None:
    import forecast
    from forecast.widgets import WhatIf

    panel = WhatIf(forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence"), seed=0)
    slider = panel.as_of_slider
    days = list(range(slider.min, slider.max + 1))
    new = []
    for d in days:  # each day once: computed
        t0 = time.perf_counter()
        slider.value = d
        new.append(time.perf_counter() - t0)
    seen = []
    for _ in range(5):  # back and forth: remembered
        for d in [*days[::-1], *days]:
            t0 = time.perf_counter()
            slider.value = d
            seen.append(time.perf_counter() - t0)

    def summary(xs: list[float]) -> dict:
        ms = 1000 * np.array(xs)
        return {
            "median_ms": round(float(np.median(ms)), 2),
            "p90_ms": round(float(np.quantile(ms, 0.9)), 2),
            "n": len(xs),
        }

    print(json.dumps({
        "days": len(days),
        "new_day": summary(new[1:]),
        "seen_day": summary(seen),
        "seen_target_ms": SEEN_TARGET_MS,
        "load": os.getloadavg(),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
