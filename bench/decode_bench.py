"""``forecast report`` and ``forecast charts`` from a saved result: the command's wall and CPU time.

Issue 20 point 5 (decode once): the saved scenario is decoded once and encoded once for every
consumer (:mod:`forecast.view`). Each command runs in a fresh process (its imports done first, not
timed) on the bundled scenario (with its indicators) and on the seeded 2,000-item
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
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


RUNNER = """
import contextlib, io, json, resource, sys, time
import forecast.charts, forecast.cli, forecast.report, forecast.results  # imports: not timed
def used():
    me, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
cpu, wall = used(), time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = forecast.cli.main(sys.argv[1:])
print(json.dumps([code, time.perf_counter() - wall, used() - cpu]))
"""
"""Run in a fresh process: the command's wall and CPU time (its chart workers included)."""


def forecast(args: list[str], code: Path) -> tuple[float, float]:
    """Run ``forecast <args>`` in a fresh process with the package of ``code``.

    Returns the command's wall time and CPU time (user and system, its forked workers
    included), the imports left out: on a shared machine the CPU time is the steadier figure.
    """
    env = {**os.environ, "PYTHONPATH": str(code), "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-c", RUNNER, *args], check=True, env=env,
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    status, wall, cpu = json.loads(proc.stdout.strip().splitlines()[-1])
    if status != 0:
        raise RuntimeError(f"forecast {' '.join(args)} exited with {status}")
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
