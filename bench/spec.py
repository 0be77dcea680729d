"""A scenario dict as plain numbers, written from MODEL.md without calling forecast's model code.

Used by the PyMC baseline and the importance-sampling reference so that both are independent
of ``forecast.model`` (only the file parsing of the bundled scenario goes through forecast).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z90 = 1.6448536269514722
ADMIRALTY = {"A": 0.95, "B": 0.80, "C": 0.60, "D": 0.40, "E": 0.20, "F": 0.50}


@dataclass
class Spec:
    names: list[str]
    prior: np.ndarray  # (H,)
    kappa: float | None
    p_mean: np.ndarray  # (H,) logit scale
    p_sd: np.ndarray  # (H,) 0 = exact
    mu: np.ndarray  # (N, H) log-likelihood mean, 0 when unnamed
    sd: np.ndarray  # (N, H) 0 = exact
    r: np.ndarray  # (N,)
    group: list[str | None]
    rho: dict[str, float]

    @property
    def n_items(self) -> int:
        return self.mu.shape[0]

    def weights(self, k: int) -> np.ndarray:
        """w_i(k) for the first k items (MODEL.md, "Dependent evidence"): a group's items seen
        share n_eff(n) = n / (1 + rho (n - 1)) by strength rank, the strongest first (ties to
        the earlier item), the one at rank j weighing n_eff(j) - n_eff(j - 1)."""

        def n_eff(rho: float, n: int) -> float:
            return n / (1.0 + rho * (n - 1))

        def strength(i: int) -> float:  # max - min of log Lr at the medians, r applied
            lr = self.r[i] * np.exp(self.mu[i] - self.mu[i].max()) + (1.0 - self.r[i])
            return float(np.log(lr.max()) - np.log(lr.min()))

        w = np.ones(k)
        for g in {self.group[i] for i in range(k)} - {None}:
            rho = self.rho.get(g, 0.5)
            members = sorted(
                (i for i in range(k) if self.group[i] == g), key=lambda i: (-strength(i), i)
            )
            for rank, i in enumerate(members, start=1):
                w[i] = n_eff(rho, rank) - n_eff(rho, rank - 1)
        return w


def _params(value, transform) -> tuple[float, float]:
    if isinstance(value, list | tuple):
        lo, hi = transform(float(value[0])), transform(float(value[1]))
        return (lo + hi) / 2, (hi - lo) / (2 * Z90)
    return transform(float(value)), 0.0


def _logit(p: float) -> float:
    return float(np.log(p) - np.log1p(-p))


def parse(data: dict) -> Spec:
    pri = data["priors"]
    names = list(pri["hypotheses"])
    hyp = pri["hypotheses"]
    p = np.array([_params(hyp[n]["p_outcome"], _logit) for n in names])
    items = sorted(data["evidence"], key=lambda e: (str(e["date"]), e["id"]))
    mu = np.zeros((len(items), len(names)))
    sd = np.zeros_like(mu)
    r = np.ones(len(items))
    for i, e in enumerate(items):
        for h, v in e["likelihoods"].items():
            mu[i, names.index(h)], sd[i, names.index(h)] = _params(v, np.log)
        rel = e.get("reliability", 1.0)
        r[i] = ADMIRALTY[rel] if isinstance(rel, str) and rel in ADMIRALTY else float(rel)
    groups = pri.get("groups") or {}
    return Spec(
        names=names,
        prior=np.array([float(hyp[n]["prior"]) for n in names]),
        kappa=pri.get("prior_strength"),
        p_mean=p[:, 0],
        p_sd=p[:, 1],
        mu=mu,
        sd=sd,
        r=r,
        group=[e.get("group") for e in items],
        rho={g: float(v.get("correlation", 0.5)) for g, v in groups.items()},
    )


TIME_FIELDS = ("opened", "resolution", "deadline", "timing")
"""The priors' fields of MODEL.md's "Time", which the baseline and the reference leave out."""


def timeless(scenario: dict) -> dict:
    """``scenario`` without time: no window, no resolution, no ``by:`` on a hypothesis.

    The hand-written PyMC baseline and the reference implement the model without time (a
    notebook's model), so all three tools are compared on the bundled scenario without it.
    """
    priors = {k: v for k, v in scenario["priors"].items() if k not in TIME_FIELDS}
    priors["hypotheses"] = {
        name: {k: v for k, v in h.items() if k != "by"} for name, h in priors["hypotheses"].items()
    }
    return {**scenario, "priors": priors}


def load(which: str) -> dict:
    """``"bundled"`` (priors.yaml + evidence/, parsed by forecast's loader, :func:`timeless`)
    or ``"synth12"``."""
    if which == "bundled":
        from pathlib import Path

        from forecast.scenario import load_scenario

        root = Path(__file__).resolve().parent.parent
        return timeless(load_scenario(root / "priors.yaml", root / "evidence").to_dict())
    if which == "synth12":
        from synth import baseline_scenario

        return baseline_scenario()
    raise ValueError(which)
