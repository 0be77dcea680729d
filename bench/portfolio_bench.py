"""Many questions (issue 26): ``forecast.portfolio`` on N synthetic folders.

1. ``--workers 1`` against ``--workers 2`` (the local process pool; target >= 1.7x on 2 cores);
2. the same folders on a Dask cluster of two single-threaded worker processes
   (``distributed.LocalCluster``, the route of ``--scheduler``): its overhead per folder against
   the local pool of two.

Each folder: a synthetic scenario (bench/synth.py, 20 uncertain items, 3 hypotheses), run
without charts (``--no-charts``) into a fresh ``OUT``, so every run is a first run. The load
average is recorded before and after each measurement: on a shared machine it says how much
of the two cores the runs had.

    python bench/portfolio_bench.py [--folders 200] [--charts]
    python bench/run.py --only portfolio
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import yaml  # noqa: E402
from synth import make_scenario  # noqa: E402

from forecast.portfolio import portfolio  # noqa: E402

TARGET_SPEEDUP = 1.7


def write_folders(base: Path, n: int) -> list[Path]:
    folders = []
    for k in range(n):
        data = make_scenario(20, 3, uncertain=True, seed=k)
        folder = base / f"q{k:04d}"
        (folder / "evidence").mkdir(parents=True)
        (folder / "priors.yaml").write_text(yaml.safe_dump(data["priors"], sort_keys=False))
        for item in data["evidence"]:
            path = folder / "evidence" / f"{item['id']}.yaml"
            path.write_text(yaml.safe_dump(item, sort_keys=False))
        folders.append(folder)
    return folders


def timed(label: str, folders: list[Path], out: Path, charts: bool, **where) -> dict:
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    port = portfolio(folders, out, charts=charts, **where)
    seconds = time.perf_counter() - start
    failed = len(port.failed)
    print(f"{label}: {seconds:.1f} s, {failed} failed", file=sys.stderr)
    return {
        "label": label,
        "seconds": seconds,
        "per_folder_s": seconds / len(folders),
        "failed": failed,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }


def bench_portfolio(n: int = 200, charts: bool = False, dask: bool = True) -> dict:
    """Measure the three routes on ``n`` folders; returns the figures."""
    res: dict = {"folders": n, "charts": charts, "cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="forecast-portfolio-bench-") as tmp:
        base = Path(tmp)
        folders = write_folders(base / "in", n)
        res["local1"] = timed("--workers 1", folders, base / "w1", charts, workers=1)
        res["local2"] = timed("--workers 2", folders, base / "w2", charts, workers=2)
        res["speedup"] = res["local1"]["seconds"] / res["local2"]["seconds"]
        if dask:
            try:
                from distributed import LocalCluster
            except ImportError:
                res["dask"] = None
            else:
                with LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster:
                    where = {"scheduler": cluster.scheduler_address}
                    res["dask"] = timed("Dask, 2 workers", folders, base / "dask", charts, **where)
                overhead = res["dask"]["seconds"] - res["local2"]["seconds"]
                res["dask_overhead_per_folder_s"] = overhead / n
    return res


def rows(res: dict) -> list[tuple[str, str, str]]:
    """(what, figure, load before -> after) lines for a table."""
    out = []
    for key in ("local1", "local2", "dask"):
        r = res.get(key)
        if r:
            out.append(
                (
                    f"{res['folders']} folders, {r['label']}",
                    f"{r['seconds']:.1f} s ({1000 * r['per_folder_s']:.0f} ms a folder)",
                    f"{r['load_before']:.1f} -> {r['load_after']:.1f}",
                )
            )
    verdict = "met" if res["speedup"] >= TARGET_SPEEDUP else "missed"
    out.append(("speed-up of 2 workers", f"{res['speedup']:.2f}x (target 1.7x: {verdict})", ""))
    if res.get("dask"):
        per = 1000 * res["dask_overhead_per_folder_s"]
        out.append(("Dask route overhead vs local pool", f"{per:+.0f} ms a folder", ""))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--folders", type=int, default=200, help="synthetic folders (200)")
    ap.add_argument("--charts", action="store_true", help="with charts and report.html")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask route")
    ap.add_argument("--json", default=None, help="write the figures here too")
    args = ap.parse_args(argv)
    res = bench_portfolio(args.folders, charts=args.charts, dask=not args.no_dask)
    width = max(len(r[0]) for r in rows(res))
    for what, figure, load in rows(res):
        print(f"{what:<{width}}  {figure}  {('load ' + load) if load else ''}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
