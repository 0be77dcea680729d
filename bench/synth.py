"""Seeded synthetic scenarios for the benchmarks (plain dicts for ``Scenario.from_dict``)."""

from __future__ import annotations

import datetime as dt

import numpy as np


def make_scenario(
    n_items: int, n_hyp: int, *, uncertain: bool, seed: int = 0, big_group: int = 0
) -> dict:
    """A scenario with ``n_items`` evidence items and ``n_hyp`` hypotheses.

    Exact: every item names 1-2 hypotheses with a number, reliability 1, no groups.
    Uncertain: 1-2 named hypotheses with 90% intervals, about half the items with a
    reliability below 1, about 10% of the items in groups of 5; the priors have a
    ``prior_strength`` and the ``p_outcome`` values are intervals.
    ``big_group``: that many items (chosen by their own seeded generator, so that the rest of
    the scenario is unchanged) are put in one more group, ``big`` (correlation 0.5).
    """
    rng = np.random.default_rng([seed, n_items, n_hyp, int(uncertain)])
    names = [f"h{j}" for j in range(n_hyp)]
    prior = rng.dirichlet(np.full(n_hyp, 5.0))
    prior = np.round(prior, 6)
    prior[-1] = round(1.0 - prior[:-1].sum(), 6)
    hyps = {}
    for j, name in enumerate(names):
        p = float(np.clip((j + 0.5) / n_hyp, 0.05, 0.95))
        hyps[name] = {
            "prior": float(prior[j]),
            "p_outcome": [round(p * 0.7, 4), round(min(p * 1.3, 0.99), 4)] if uncertain else p,
        }
    n_grouped = (n_items // 10) // 5 * 5 if uncertain else 0
    n_groups = n_grouped // 5
    groups = {f"g{g}": {"correlation": 0.5} for g in range(n_groups)}
    priors: dict = {"question": "Synthetic?", "outcome": "event", "hypotheses": hyps}
    if uncertain:
        priors["prior_strength"] = 20.0
    if groups:
        priors["groups"] = groups
    grouped = (
        set(rng.choice(n_items, size=n_grouped, replace=False).tolist()) if n_grouped else set()
    )
    group_of = {i: f"g{k // 5}" for k, i in enumerate(sorted(grouped))}
    start = dt.date(2000, 1, 1)
    items = []
    for i in range(n_items):
        named = rng.choice(n_hyp, size=int(rng.integers(1, 3)), replace=False)
        lik: dict = {}
        for j in named:
            centre = float(np.exp(rng.normal(0.0, 0.7)))
            if uncertain:
                spread = float(np.exp(rng.uniform(0.2, 0.8)))
                lik[names[j]] = [round(centre / spread, 4), round(centre * spread, 4)]
            else:
                lik[names[j]] = round(centre, 4)
        item = {
            "id": f"e{i:05d}",
            "date": (start + dt.timedelta(days=i // 3)).isoformat(),
            "title": f"item {i}",
            "source": "synthetic",
            "likelihoods": lik,
        }
        if uncertain and rng.random() < 0.5:
            item["reliability"] = float(rng.choice([0.95, 0.8, 0.6, 0.4]))
        if i in group_of:
            item["group"] = group_of[i]
        items.append(item)
    if big_group:
        priors.setdefault("groups", {})["big"] = {"correlation": 0.5}
        pick = np.random.default_rng([seed, n_items, n_hyp, big_group])
        for i in pick.choice(n_items, size=big_group, replace=False):
            items[int(i)]["group"] = "big"
    return {"priors": priors, "evidence": items}


def baseline_scenario() -> dict:
    """The 12-item uncertain scenario with 3 hypotheses used against the PyMC baseline."""
    return make_scenario(12, 3, uncertain=True, seed=12)
