"""forecast on one comparison scenario in a fresh process (the counterpart of baseline_pymc.py).

python bench/_fast_case.py bundled|synth12 --out result.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=["bundled", "synth12"])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    from spec import load  # the scenario the baseline and the reference read (no time)

    import forecast

    t = forecast.run(forecast.Scenario.from_dict(load(args.scenario)))["trajectory"]
    out = {
        "p_outcome": t["p_outcome"].values.tolist(),
        "low": t["p_outcome_low"].values.tolist(),
        "high": t["p_outcome_high"].values.tolist(),
    }
    Path(args.out).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
