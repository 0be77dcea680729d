"""One scaling case in a fresh process: prints JSON with times and peak memory."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def main() -> None:
    n_items, n_hyp, uncertain = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "uncertain"
    from synth import make_scenario

    import forecast

    rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    data = make_scenario(n_items, n_hyp, uncertain=uncertain)
    t0 = time.perf_counter()
    scenario = forecast.Scenario.from_dict(data)
    t1 = time.perf_counter()
    result = forecast.run(scenario)
    t2 = time.perf_counter()
    p = float(result["trajectory"]["p_outcome"][-1])
    print(
        json.dumps(
            {
                "validate_s": t1 - t0,
                "run_s": t2 - t1,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "import_rss_mb": rss_import / 1024,
                "p_final": p,
            }
        )
    )


if __name__ == "__main__":
    main()
