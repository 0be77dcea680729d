"""Charts at scale (issue 11): ``save_all`` for 2,000 exact items and 10,000 uncertain items.

Each case runs ``bench/_charts_case.py`` in a fresh process: the scenario is computed first
(not timed), then ``forecast.charts.save_all`` writes PNG and SVG in two processes, as
``forecast run`` does; the time covers the tables, the drawing and the writing. Part of
``bench/run.py`` (rows "charts ..."); alone: ``python bench/charts_bench.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable

CHART_CASES = ((2000, 3, "exact", 10.0), (10000, 5, "uncertain", 20.0))
"""(items, hypotheses, kind, target seconds) of each case."""
MAX_SIDE_PX = 4000


def bench_charts(quick: bool, timeout: float = 600.0) -> list[dict]:
    """Each case of :data:`CHART_CASES` (median of 3 runs, of 1 with ``quick``; ``quick``
    leaves out the 10,000-item case)."""
    from run import summary

    rows = []
    for n, h, kind, target in CHART_CASES:
        if quick and n > 2000:
            continue
        runs = []
        for _ in range(1 if quick else 3):
            try:
                proc = subprocess.run(
                    [PY, str(HERE / "_charts_case.py"), str(n), str(h), kind],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                runs.append({"status": f"stopped after {timeout:.0f} s"})
                break
            if proc.returncode != 0:
                runs.append({"status": f"failed: {proc.stderr.strip().splitlines()[-1:]}"})
                break
            runs.append({"status": "ok", **json.loads(proc.stdout.strip().splitlines()[-1])})
        row = {"kind": kind, "H": h, "N": n, "target_s": target}
        bad = [r for r in runs if r["status"] != "ok"]
        if bad:
            row["status"] = bad[0]["status"]
        else:
            row.update(
                status="ok",
                charts=summary([r["charts_s"] for r in runs]),
                charts_cpu=summary([r["charts_cpu_s"] for r in runs]),
                max_png_side_px=max(r["max_png_side_px"] for r in runs),
            )
        rows.append(row)
        print(f"  charts {kind} H={h} N={n}: {row['status']}", file=sys.stderr)
    return rows


def chart_rows(cases: list[dict]) -> list[tuple[str, str, str, str, str]]:
    """(figure, median, spread, target, verdict) rows of the table."""
    from run import fmt_s, spread

    rows = []
    for r in cases:
        name = f"charts (save_all, PNG + SVG) {r['kind']} H={r['H']} N={r['N']}"
        target = f"<= {r['target_s']:.0f} s, <= {MAX_SIDE_PX} px"
        if r["status"] != "ok":
            rows.append((name, r["status"], "", target, "MISSED"))
            continue
        med, cpu = r["charts"]["median"], r["charts_cpu"]["median"]
        met = med <= r["target_s"] and r["max_png_side_px"] <= MAX_SIDE_PX
        rows.append((name, f"{fmt_s(med)} ({fmt_s(cpu)} CPU), largest side "
                     f"{r['max_png_side_px']} px", spread(r["charts"]), target,
                     "met" if met else "MISSED"))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    sys.path[:0] = [str(ROOT), str(HERE)]
    from run import table

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="one run of the 2,000-item case only")
    args = ap.parse_args(argv)
    print(table(chart_rows(bench_charts(args.quick))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
