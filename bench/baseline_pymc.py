"""The hand-written PyMC baseline: a fresh model per evidence prefix, sampled with nutpie.

What a PyMC user would write from MODEL.md without forecast: for each step k = 0..N build
``pm.Model`` (pi Dirichlet when ``prior_strength`` is set, ``p_outcome`` logit-normal, every
uncertain likelihood log-normal, reliability and group weights, the hypothesis marginalised
with a logsumexp Potential) and ``pm.sample(nuts_sampler="nutpie", draws=1000, tune=1000,
chains=4)``. Reports the posterior mean of ``p_outcome`` and its 5%/95% quantiles per step.

    python bench/baseline_pymc.py bundled|synth12 [--out result.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import numpy as np  # noqa: E402
import pymc as pm  # noqa: E402
import pytensor.tensor as pt  # noqa: E402
from spec import Spec, load, parse  # noqa: E402


def build(spec: Spec, k: int) -> pm.Model:
    """The model after the first ``k`` items."""
    n_h = len(spec.names)
    w = spec.weights(k)
    with pm.Model() as model:
        if spec.kappa is not None:
            pi = pm.Dirichlet("pi", a=spec.kappa * spec.prior)
            log_post = pt.log(pi)
        else:
            log_post = pt.as_tensor_variable(np.log(spec.prior))
        p = []
        for h in range(n_h):
            if spec.p_sd[h] > 0:
                p.append(pm.math.sigmoid(pm.Normal(f"logit_p_{h}", spec.p_mean[h], spec.p_sd[h])))
            else:
                p.append(pt.as_tensor_variable(1 / (1 + np.exp(-spec.p_mean[h]))))
        p = pt.stack(p)
        for i in range(k):
            log_l = []
            for h in range(n_h):
                if spec.sd[i, h] > 0:
                    log_l.append(pm.Normal(f"logL_{i}_{h}", spec.mu[i, h], spec.sd[i, h]))
                else:
                    log_l.append(pt.as_tensor_variable(spec.mu[i, h]))
            log_l = pt.stack(log_l)
            rel = log_l - pt.max(log_l)
            r = float(spec.r[i])
            log_lr = rel if r >= 1 else pt.logaddexp(np.log(r) + rel, np.log1p(-r))
            log_post = log_post + w[i] * log_lr
        pm.Potential("marginal", pt.logsumexp(log_post))
        pm.Deterministic("p_outcome", pt.sum(pt.special.softmax(log_post) * p))
    return model


def run_baseline(spec: Spec, seed: int = 0) -> dict:
    out: dict = {"p_outcome": [], "low": [], "high": [], "step_s": []}
    for k in range(spec.n_items + 1):
        t0 = time.perf_counter()
        with build(spec, k), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = pm.sample(
                nuts_sampler="nutpie",
                draws=1000,
                tune=1000,
                chains=4,
                random_seed=seed + k,
                progressbar=False,
            )
        y = np.asarray(idata["posterior"]["p_outcome"]).ravel()
        out["p_outcome"].append(float(y.mean()))
        lo, hi = np.quantile(y, [0.05, 0.95])
        out["low"].append(float(lo))
        out["high"].append(float(hi))
        out["step_s"].append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenario", choices=["bundled", "synth12"])
    ap.add_argument("--out", help="write the JSON here (default: stdout)")
    args = ap.parse_args()
    result = run_baseline(parse(load(args.scenario)))
    text = json.dumps(result)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
