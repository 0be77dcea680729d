"""One attribution case in a fresh process (issue 10): prints JSON with the time of
``forecast.shapley`` (its tables included: a cold quadrature), the permutations drawn and the
largest MCSE.

python bench/_attribution_case.py bundled
python bench/_attribution_case.py N H exact|uncertain [SIZE of one big group]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]


def main() -> None:
    import numpy as np

    import forecast
    import forecast.attribution  # noqa: F401 - imported before the clock starts

    if sys.argv[1] == "bundled":
        scenario = forecast.load_scenario(HERE.parent / "priors.yaml", HERE.parent / "evidence")
    else:
        from synth import make_scenario

        n_items, n_hyp, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
        big = int(sys.argv[4]) if len(sys.argv) > 4 else 0
        data = make_scenario(n_items, n_hyp, uncertain=kind == "uncertain", big_group=big)
        scenario = forecast.Scenario.from_dict(data)
    a = forecast.encode(scenario)
    t0, c0 = time.perf_counter(), time.process_time()
    att = forecast.shapley(a)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    gap = np.abs(att.values.sum(axis=0) - (att.total - att.base)).max()
    out = {
        "wall_s": wall,
        "cpu_s": cpu,
        "method": att.method,
        "n_permutations": att.n_permutations,
        "max_mcse": float(att.mcse[:, 0].max()),  # P(outcome): the CSV's shapley_mcse
        "max_mcse_hypothesis": float(att.mcse[:, 1:].max()),
        "sum_error": float(gap),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
