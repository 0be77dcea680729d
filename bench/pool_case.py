"""Several analysts at scale (issue 24), in a fresh process: prints JSON with the time of each phase.

A analysts x N shared items x H hypotheses (default 20 x 2,000 x 5): one synthetic scenario
(uncertain: intervals, reliabilities, about 10% of the items in groups of 5; or exact) read by every
analyst with their own numbers (each likelihood scaled by a seeded log-normal factor, sd 0.4).
Phases: point pooling (each analyst's exact probability and the three pools), the consensus
scenario (built and validated) and the disagreement (spread and swing of every shared item, in
log space). Target: all three together <= 30 s.

python bench/pool_case.py [A N H [exact|uncertain]]
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

TARGET_S = 30.0


def team_of(n_analysts: int, n_items: int, n_hyp: int, *, uncertain: bool = True):
    """The synthetic team (a :class:`forecast.pooling.Team`, built in memory)."""
    import numpy as np
    from synth import make_scenario

    from forecast.pooling import Analyst, Team
    from forecast.scenario import Scenario

    base = make_scenario(n_items, n_hyp, uncertain=uncertain, seed=0)
    analysts = []
    for a in range(n_analysts):
        rng = np.random.default_rng([24, a])
        data = copy.deepcopy(base)
        for item in data["evidence"]:
            for h, v in item["likelihoods"].items():
                f = float(np.exp(rng.normal(0.0, 0.4)))
                item["likelihoods"][h] = [v[0] * f, v[1] * f] if isinstance(v, list) else v * f
        scenario = Scenario.from_dict(data, name=f"analyst{a}")
        analysts.append(Analyst(f"analyst{a:02d}", Path(f"analyst{a:02d}"), scenario))
    last = max(e.date for e in analysts[0].scenario.evidence)
    return Team(tuple(analysts), as_of=last if isinstance(last, dt.date) else dt.date.today())


def main() -> None:
    import numpy as np

    from forecast.consensus import consensus_data, disagreement, swapped
    from forecast.pooling import analyst_probabilities, neyman_d, pool_values
    from forecast.scenario import Scenario

    n_a, n_i, n_h = (int(x) for x in sys.argv[1:4]) if len(sys.argv) > 3 else (20, 2000, 5)
    uncertain = sys.argv[4:5] != ["exact"]
    t0 = time.perf_counter()
    team = team_of(n_a, n_i, n_h, uncertain=uncertain)
    t_setup = time.perf_counter() - t0

    t0 = time.perf_counter()
    p = analyst_probabilities(team)
    w = np.full(n_a, 1.0 / n_a)
    pools = {m: float(pool_values(p, w, method=m, d=neyman_d(n_a)))
             for m in ("linear", "logodds", "extremized")}  # fmt: skip
    t_point = time.perf_counter() - t0

    t0 = time.perf_counter()
    got = consensus_data(team)
    assert got is not None
    data, shared = got
    consensus = Scenario.from_dict(data, name="consensus")
    t_consensus = time.perf_counter() - t0

    t0 = time.perf_counter()
    p_point, by_item = swapped(consensus, shared)
    table = disagreement(consensus, shared, by_item)
    t_disagreement = time.perf_counter() - t0
    total = t_point + t_consensus + t_disagreement
    print(
        json.dumps(
            {
                "case": f"{n_a} analysts x {n_i} shared items x {n_h} hypotheses, "
                + ("uncertain" if uncertain else "exact"),
                "setup_s": round(t_setup, 3),
                "point_pooling_s": round(t_point, 3),
                "consensus_s": round(t_consensus, 3),
                "disagreement_s": round(t_disagreement, 3),
                "total_s": round(total, 3),
                "target_s": TARGET_S,
                "pools": pools,
                "consensus_p": p_point,
                "shared_items": len(shared),
                "grouped_items": int(sum(1 for e in consensus.evidence if e.group)),
                "top_swing": float(table["swing"].iloc[0]),
            }
        )
    )


if __name__ == "__main__":
    main()
