"""Shared fixtures: small scenarios written to temporary folders, Agg backend, fixed seeds."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pytest
import yaml

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent


def write_scenario(folder: Path, priors: dict, items: list[dict]) -> tuple[Path, Path]:
    """Write priors.yaml and evidence/<id>.yaml files; returns (priors path, evidence dir)."""
    folder.mkdir(parents=True, exist_ok=True)
    priors_path = folder / "priors.yaml"
    priors_path.write_text(yaml.safe_dump(priors, sort_keys=False))
    evidence = folder / "evidence"
    evidence.mkdir(exist_ok=True)
    for item in items:
        (evidence / f"{item['id']}.yaml").write_text(yaml.safe_dump(item, sort_keys=False))
    return priors_path, evidence


def priors_dict(**over) -> dict:
    base = {
        "question": "Will it happen?",
        "outcome": "event",
        "hypotheses": {
            "calm": {"prior": 0.6, "p_outcome": 0.1},
            "storm": {"prior": 0.4, "p_outcome": 0.8},
        },
    }
    base.update(over)
    return base


def item_dict(id: str, likelihoods: dict, date: str = "2022-02-15", **over) -> dict:
    base = {
        "id": id,
        "date": date,
        "title": f"item {id}",
        "source": "test",
        "likelihoods": likelihoods,
    }
    base.update(over)
    return base


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
