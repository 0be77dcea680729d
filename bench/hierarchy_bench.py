"""Benchmark of the partial-pooling fit (issue 24): 5 analysts x 100 items x 5 hypotheses.

``python bench/hierarchy_bench.py`` runs the fit in a fresh process with an empty PyTensor
compile directory, so the figure includes importing PyMC, building and compiling the model
(target: <= 60 s), then a second fit of new judgements of the same shape in that process (no
compilation). Prints one JSON line with the figures and the machine's load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 60.0
SHAPE = (5, 100, 4)  # analysts, items, hypotheses other than the reference (5 hypotheses)


def case() -> dict:
    """In this process: the cold fit (import, compile, sample), then a warm one."""
    t0 = time.perf_counter()
    from forecast.hierarchy import fit_partial_pooling, simulate_judgements

    x, _, _, _ = simulate_judgements(*SHAPE, seed=0)
    fit = fit_partial_pooling(x, seed=0)
    cold = time.perf_counter() - t0
    y, _, _, _ = simulate_judgements(*SHAPE, seed=1)
    t1 = time.perf_counter()
    again = fit_partial_pooling(y, seed=1)
    warm = time.perf_counter() - t1
    return {"cold_s": cold, "warm_s": warm, "warnings": fit.warnings + again.warnings}


def main() -> int:
    if sys.argv[1:] == ["--case"]:
        print(json.dumps(case()))
        return 0
    with tempfile.TemporaryDirectory() as compiledir:
        env = dict(os.environ, PYTENSOR_FLAGS=f"compiledir={compiledir}")
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
        done = subprocess.run(
            [sys.executable, "-W", "ignore", __file__, "--case"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures |= {"shape": SHAPE, "target_s": TARGET_S, "load": os.getloadavg()}
    print(json.dumps(figures))
    return 0 if figures["cold_s"] <= TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
