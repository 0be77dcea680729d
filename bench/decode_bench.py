"""``forecast report`` and ``forecast charts`` from a saved result: wall time of the command.

Issue 20 point 5 (decode once): the saved scenario is decoded once and encoded once for every
consumer (:mod:`forecast.view`). Each command runs in a fresh process (``python -m forecast``,
imports included) on the bundled scenario (with its indicators) and on the seeded 2,000-item
scenario of ``tests/stored_outputs.py``, each saved first by ``forecast run --no-charts``.
``--code DIR ...`` times each checkout's package in turn (e.g. this one and the commit before,
from ``git archive``) on the same saved results. Prints one JSON line per case and checkout: the
medians of the wall and CPU times, every run's CPU time (seconds), and the load average.

    python bench/decode_bench.py --repeat 3 --code /tmp/before .
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def forecast(args: list[str], code: Path) -> tuple[float, float]:
    """Run ``python -m forecast <args>`` with the package of ``code``.

    Returns its wall time and its CPU time (user and system, its forked workers included: on a
    shared machine the CPU time is the steadier figure).
    """
    env = {**os.environ, "PYTHONPATH": str(code), "MPLBACKEND": "Agg"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "forecast", *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def saved_runs(work: Path) -> dict[str, Path]:
    """Save the bundled and the 2,000-item run (this checkout's code); their output folders."""
    sys.path.insert(0, str(ROOT / "tests"))
    from stored_outputs import synthetic

    priors, evidence = synthetic(work / "synthetic")
    outs = {"bundled": work / "out_bundled", "items_2000": work / "out_2000"}
    bundled = ["--priors", str(ROOT / "priors.yaml"), "--evidence", str(ROOT / "evidence")]
    forecast(["run", *bundled, "--indicators", str(ROOT / "indicators"), "--no-charts",
              "--out", str(outs["bundled"])], ROOT)  # fmt: skip
    forecast(["run", "--priors", str(priors), "--evidence", str(evidence), "--no-charts",
              "--out", str(outs["items_2000"])], ROOT)  # fmt: skip
    return outs


def main() -> None:
    """Time each command on each saved run, the checkouts taking turns; print the JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--code", type=Path, nargs="+", default=[ROOT],
                        help="the checkouts whose code runs (in turns, so that load is shared)")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outs = saved_runs(Path(tmp))
        for scenario, out in outs.items():
            for command in ("report", "charts"):
                runs: dict[Path, list[tuple[float, float]]] = {code: [] for code in args.code}
                for _ in range(args.repeat):
                    for code in args.code:
                        runs[code].append(forecast([command, "--out", str(out)], code))
                for code, times in runs.items():
                    row = {"command": command, "scenario": scenario, "code": str(code),
                           "wall_s": round(statistics.median(t[0] for t in times), 2),
                           "cpu_s": round(statistics.median(t[1] for t in times), 2),
                           "runs_cpu_s": [round(t[1], 2) for t in times],
                           "load": round(os.getloadavg()[0], 1)}  # fmt: skip
                    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
