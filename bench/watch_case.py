"""Speed of ``forecast.watch`` (issue 13): run as ``python bench/watch_case.py [--quick]``.

1. The bundled scenario with 10 indicators (the bundled ones plus synthetic ones), warm:
   the median of repeated ``watch(result, folder)`` calls (reading and validating the files
   included; the run itself is done once before). Target <= 50 ms.
2. The 10,000-item uncertain scenario (5 hypotheses) with 1,000 indicators with intervals:
   the time of ``watch`` beyond the run itself. Target <= 2 s.

Prints JSON and writes ``bench/WATCH.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

BUNDLED_TARGET_S = 0.050
LARGE_TARGET_S = 2.0


def synthetic_indicators(names: list[str], n: int, *, seed: int = 0, start: int = 0) -> list[dict]:
    """``n`` indicators over ``names``, every p_seen a 90% interval (a third of them exact)."""
    rng = np.random.default_rng([seed, n, len(names)])
    out = []
    for i in range(n):
        centre = rng.uniform(0.05, 0.9, len(names))
        exact = i % 3 == 0
        p_seen = {
            h: round(float(c), 4)
            if exact
            else [round(float(c * 0.6), 4), round(float(min(c * 1.4, 0.99)), 4)]
            for h, c in zip(names, centre, strict=True)
        }
        out.append(
            {
                "id": f"w{start + i:05d}",
                "title": f"indicator {i}",
                "by": "2100-01-01",
                "p_seen": p_seen,
            }  # fmt: skip
        )
    return out


def bench_bundled(repeats: int) -> dict:
    import forecast
    from forecast.indicators import watch

    scenario = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    result = forecast.run(scenario)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "indicators"
        shutil.copytree(ROOT / "indicators", folder)
        extra = 10 - len(list(folder.glob("*.yaml")))
        for ind in synthetic_indicators(list(scenario.hypotheses), max(extra, 0)):
            (folder / f"{ind['id']}.yaml").write_text(yaml.safe_dump(ind))
        watch(result, folder)  # warm: imports, quadrature tables
        times, cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            table = watch(result, folder)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return {"indicators": len(table), "median_s": statistics.median(times),
            "median_cpu_s": statistics.median(cpu),
            "max_s": max(times), "repeats": repeats}  # fmt: skip


def bench_large(n_items: int, n_indicators: int) -> dict:
    from synth import make_scenario

    import forecast
    from forecast.indicators import Indicator, watch

    scenario = forecast.Scenario.from_dict(make_scenario(n_items, 5, uncertain=True))
    t0 = time.perf_counter()
    result = forecast.run(scenario)
    t1 = time.perf_counter()
    inds = [Indicator.model_validate(d)
            for d in synthetic_indicators(list(scenario.hypotheses), n_indicators)]  # fmt: skip
    t_imp = time.perf_counter()
    import arviz_stats.base  # noqa: F401 - a one-off import (scipy.stats), timed apart

    t2, c2 = time.perf_counter(), time.process_time()
    table = watch(result, inds)
    t3, c3 = time.perf_counter(), time.process_time()
    return {"items": n_items, "indicators": len(table), "run_s": t1 - t0,
            "validate_s": t_imp - t1, "import_s": t2 - t_imp, "watch_s": t3 - t2, "watch_cpu_s": c3 - c2,
            "max_pareto_k": float(np.nanmax([-np.inf, *table.attrs["band_checks"]["pareto_k"]])),
            "min_ess": float(np.min(table.attrs["band_checks"]["ess"]))}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="1,000 items instead of 10,000")
    ap.add_argument("--bundled-only", action="store_true", help="only the bundled case")
    args = ap.parse_args(argv)
    res = {"bundled": bench_bundled(5 if args.quick else 20)}
    print(json.dumps(res["bundled"]))
    if args.bundled_only:
        return 0
    res["large"] = bench_large(1000 if args.quick else 10_000, 1000)
    print(json.dumps(res, indent=1))
    b, big = res["bundled"], res["large"]
    load = os.getloadavg()[0]
    ok = lambda x, t: "ok" if x <= t else "OVER TARGET"  # noqa: E731
    text = f"""# forecast watch: speed (issue 13)

Written by `python bench/watch_case.py{" --quick" if args.quick else ""}`.

| case | measured | target | |
|---|---|---|---|
| bundled scenario, {b["indicators"]} indicators, warm `watch()` (median of {b["repeats"]}) | {1000 * b["median_s"]:.1f} ms | 50 ms | {ok(b["median_s"], BUNDLED_TARGET_S)} |
| {big["items"]:,} uncertain items x 5 hypotheses, {big["indicators"]:,} indicators, `watch()` beyond the run | {big["watch_s"]:.2f} s | 2 s | {ok(big["watch_s"], LARGE_TARGET_S)} |

CPU time: bundled {1000 * b["median_cpu_s"]:.1f} ms (median), large `watch()` {big["watch_cpu_s"]:.2f} s (what it takes on an idle core;
the wall times above are on a machine shared by other jobs: load average {load:.1f} on
{os.cpu_count()} cores at the end of this run).

The large case's run took {big["run_s"]:.1f} s and validating the indicators {big["validate_s"]:.2f} s
(not counted), and the one-off import of arviz-stats for the Pareto k-hat {big["import_s"]:.2f} s
(not counted: paid once per process, only when some weights are uneven); the band's importance weights: largest Pareto k-hat {big["max_pareto_k"]:.2f},
smallest ESS {big["min_ess"]:.0f} (of 4000 draws).
"""
    (HERE / "WATCH.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
