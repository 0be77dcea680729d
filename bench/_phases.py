"""Where the cold main job's time goes, in a fresh process: prints JSON of phase times."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    t = {}
    t0 = time.perf_counter()
    import forecast

    t["import forecast"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    scenario = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    t["load_scenario"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = forecast.run(scenario)
    t["run"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        forecast.save_result(result, tmp)
        t["save_result"] = time.perf_counter() - t0
        try:
            import forecast.charts as charts  # not present in every version
        except ImportError:
            charts = None
        if charts is not None and hasattr(charts, "save_all"):
            t0 = time.perf_counter()
            try:
                charts.save_all(result, tmp)
                t["charts (forecast.charts.save_all)"] = time.perf_counter() - t0
            except Exception as exc:  # report, do not hide
                t["charts_error"] = repr(exc)
    print(json.dumps(t))


if __name__ == "__main__":
    main()
