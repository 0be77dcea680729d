"""The time model at scale (issue 23): a 3,650-day window with 2,000 items.

Prints JSON: the run without time (no ``opened``, no deadline: today's run), the same
scenario with ``opened`` and a deadline (rows with survival, ``daily`` and ``by_date`` with
their bands), the extra seconds and the peak memory. Target: the extra <= 10 s.

    PYTHONPATH=. python bench/time_case.py [N_ITEMS] [WINDOW_DAYS]
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

TARGET_EXTRA_S = 10.0


def time_scenario(n_items: int = 2000, days: int = 3650) -> tuple[dict, dict]:
    """The synthetic uncertain scenario (5 hypotheses), without and with a window.

    With the window: ``opened`` 2000-01-01, the deadline ``days`` later, the items spread
    evenly over the first 90% of it, half the hypotheses with uniform timing by ``by:``.
    """
    from synth import make_scenario

    plain = make_scenario(n_items, 5, uncertain=True)
    opened = dt.date(2000, 1, 1)
    timed = json.loads(json.dumps(plain))
    for i, item in enumerate(timed["evidence"]):
        item["date"] = (opened + dt.timedelta(days=1 + i * int(days * 0.9) // n_items)).isoformat()
    p = timed["priors"]
    p["opened"], p["deadline"] = opened.isoformat(), (opened + dt.timedelta(days=days)).isoformat()
    for name in list(p["hypotheses"])[::2]:
        p["hypotheses"][name]["by"] = {
            (opened + dt.timedelta(days=days // 4)).isoformat(): 0.5,
            (opened + dt.timedelta(days=days // 2)).isoformat(): 0.7,
        }
    return plain, timed


def main() -> None:
    n_items = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 3650
    import forecast
    from forecast.time_result import by_date_frame, daily_frame

    plain, timed = time_scenario(n_items, days)
    t0 = time.perf_counter()
    forecast.run(forecast.Scenario.from_dict(plain))
    t1 = time.perf_counter()
    result = forecast.run(forecast.Scenario.from_dict(timed))
    daily, by_date = daily_frame(result), by_date_frame(result)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "items": n_items,
                "window_days": days,
                "run_without_time_s": round(t1 - t0, 2),
                "run_with_time_s": round(t2 - t1, 2),
                "extra_s": round((t2 - t1) - (t1 - t0), 2),
                "target_extra_s": TARGET_EXTRA_S,
                "daily_rows": len(daily),
                "by_date_rows": len(by_date),
                "trajectory_rows": int(result["trajectory"].sizes["step"]),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "p_final": float(result["trajectory"]["p_outcome"][-1]),
            }
        )
    )


if __name__ == "__main__":
    main()
