"""Shared fixtures: small scenarios written to temporary folders, Agg backend, fixed seeds.

Plain helper functions and constants are in helpers.py."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from helpers import HOSTILE, URL, item_dict, priors_dict, write_scenario

matplotlib.use("Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20220215)


@pytest.fixture
def exact_scenario(tmp_path):
    """Two hypotheses, exact inputs, three items."""
    from forecast import load_scenario

    p, e = write_scenario(
        tmp_path,
        priors_dict(),
        [
            item_dict("a", {"storm": 3.0}),
            item_dict("b", {"calm": 2.0}, date="2022-02-16"),
            item_dict("c", {"storm": 4.0, "calm": 0.5}, date="2022-02-17"),
        ],
    )
    return load_scenario(p, e)


@pytest.fixture
def uncertain_scenario(tmp_path):
    """Three hypotheses with intervals, reliability, a group and a prior strength."""
    from forecast import load_scenario

    priors = {
        "question": "Will it happen?",
        "outcome": "event",
        "prior_strength": 15,
        "hypotheses": {
            "calm": {"prior": 0.5, "p_outcome": [0.02, 0.1]},
            "bluff": {"prior": 0.3, "p_outcome": 0.2},
            "storm": {"prior": 0.2, "p_outcome": [0.6, 0.9]},
        },
        "groups": {"imagery": {"correlation": 0.6}},
    }
    items = [
        item_dict("a", {"storm": [1.5, 4.0], "bluff": [0.8, 2.0]}, reliability="B"),
        item_dict("b", {"calm": [0.3, 0.9]}, date="2022-02-16", group="imagery"),
        item_dict("c", {"storm": [2.0, 6.0]}, date="2022-02-17", group="imagery", reliability=0.7),
        item_dict("d", {"calm": 2.0, "storm": [0.5, 1.2]}, date="2022-02-18"),
    ]
    p, e = write_scenario(tmp_path, priors, items)
    return load_scenario(p, e)


@pytest.fixture
def uncertain_result(uncertain_scenario):
    """``uncertain_scenario`` run with 400 draws, seed 1."""
    import forecast

    return forecast.run(uncertain_scenario, draws=400, seed=1)


@pytest.fixture
def hostile_scenario(tmp_path):
    """Text fields with HTML in them, a URL, intervals, a group."""
    from forecast import load_scenario

    priors = priors_dict(question="Will <b>it</b> happen & when?", prior_strength=10)
    priors["hypotheses"]["storm"]["p_outcome"] = [0.6, 0.9]
    items = [
        item_dict(
            "alpha-1",
            {"storm": [1.5, 4.0]},
            quote=HOSTILE,
            rationale=HOSTILE,
            url=URL,
            reliability="B",
            group="g",
        ),
        item_dict("beta_2", {"calm": 2.0}, date="2022-02-16", source=HOSTILE, group="g"),
        item_dict("gamma.3", {"storm": 0.5}, date="2022-02-17", title=HOSTILE),
    ]
    p, e = write_scenario(tmp_path / "s", priors, items)
    return load_scenario(p, e)
