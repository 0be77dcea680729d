"""The band's samplers: an item's draws checked against importance weights on prior draws
(an independent route), and the compiled route of large scenarios checked for
reproducibility and against the exact probability."""

from __future__ import annotations

import numpy as np
import pytest

import forecast
from forecast import band
from forecast.model import first_alike, log_effective, log_expected_tilt

# (mu, sd, r, w, h): the plain prior proposal for every h (cases 0-2) or a mixture proposal
# for h (c = E[Lr(h)^w] below 0.3: cases 3-4); reliability and weight 1 and below; repeated
# exact entries, which the compiled sampler draws once for all of them
CASES = [
    ([0.4, 0.0, 0.0], [0.5, 0.0, 0.0], 1.0, 1.0, 1),
    ([0.4, -0.3, 0.0, 0.0], [0.5, 0.4, 0.0, 0.0], 0.6, 1.0, 0),
    ([0.4, -0.3, 0.0], [0.5, 0.4, 0.0], 0.8, 0.5, 2),
    ([np.log(0.05), 0.0, 0.0], [1.2, 0.0, 0.0], 1.0, 1.0, 0),
    ([np.log(0.05), np.log(3.0)], [1.2, 0.8], 0.95, 0.7, 0),
]


def _contributions(sampler, mu, sd, r, w, size, rng):
    """``w log Lr(X)`` (size, H, H) of draws given each h (middle axis), and prior_mode."""
    n_h = mu.size
    rows = band.proposal_rows(mu[None], sd[None], np.array([r]), np.array([w]))
    if sampler == "numpy":
        draws = [band.sample_tilted(mu, sd, r, w, h, size, rng) for h in range(n_h)]
        return np.stack([w * log_effective(x, r) for x in draws], axis=1), rows[0][0]
    from forecast.band_loops import add_item

    out = np.zeros((size, n_h, n_h))
    used = np.ones((n_h, size), dtype=np.int64)  # every pair is used at step 1
    alike = first_alike(mu[None], sd[None])[0]
    add_item(out, used, 1, mu, sd, alike, r, w, *(m[0] for m in rows[:3]), rng)
    return out, rows[0][0]


@pytest.mark.parametrize("sampler", ["numpy", "compiled"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_tilted_draws_match_importance_weights(sampler, case):
    """Moments of an item's draws given each h, against prior draws weighted by Lr(h)^w."""
    mu, sd, r, w, h_low = (np.array(v) if i < 2 else v for i, v in enumerate(CASES[case]))
    rng = np.random.default_rng([7, case])
    got, prior_mode = _contributions(sampler, mu, sd, r, w, 20_000, rng)
    assert prior_mode[h_low] == (case < 3)
    prior = mu + sd * rng.standard_normal((2_000_000, mu.size))
    ref = w * log_effective(prior, r)
    for h in range(mu.size):
        weight = np.exp(ref[:, h])  # Lr(h) ** w
        for f in (lambda v: v, np.square):
            x, y = f(got[:, h]), f(ref)
            mean = weight @ y / weight.sum()
            ref_se = np.sqrt(weight**2 @ (y - mean) ** 2) / weight.sum()
            se = np.hypot(x.std(axis=0) / np.sqrt(x.shape[0]), ref_se)
            z = np.abs(x.mean(axis=0) - mean) / np.maximum(se, 1e-300)
            assert (z < 4.5).all(), (h, x.mean(axis=0), mean, se)
        # the normaliser: the importance estimate of c against the quadrature
        c = np.exp(log_expected_tilt(mu[None], sd[None], np.array([r]), np.array([w]))[0, h])
        assert abs(weight.mean() - c) < 4.5 * weight.std() / np.sqrt(weight.size)


@pytest.fixture
def compiled_route(monkeypatch):
    """Every scenario takes the large scenarios' route."""
    monkeypatch.setattr(band, "NUMPY_ROUTE_MAX", 0)


def test_compiled_route_same_seed_same_numbers(uncertain_scenario, compiled_route):
    runs = [forecast.run(uncertain_scenario, draws=1000, seed=4) for _ in range(2)]
    a, b = (r["posterior"]["p_outcome"].values for r in runs)
    np.testing.assert_array_equal(a, b)
    other = forecast.run(uncertain_scenario, draws=1000, seed=5)["posterior"]["p_outcome"]
    assert not np.array_equal(a, other.values)


def test_compiled_route_draws_average_to_probability(uncertain_scenario, compiled_route):
    result = forecast.run(uncertain_scenario, draws=4000, seed=11)
    t, draws = result["trajectory"], result["posterior"]["p_outcome"]
    z = np.abs(draws.mean(("chain", "draw")) - t["p_outcome"]) / t["mcse"]
    assert (z < 4.5).all(), z.values


@pytest.mark.parametrize("route", ["numpy", "compiled"])
def test_too_costly_item_is_refused_by_name(route, monkeypatch):
    """Extreme intervals against a hypothesis that later evidence revives: the band would
    need about 1e8 tries per draw, so it is refused with the item named (not a hang)."""
    if route == "compiled":
        monkeypatch.setattr(band, "NUMPY_ROUTE_MAX", 0)
    far, near = [1e-33, 1e-19], [1e19, 1e33]
    items = [
        {"id": "extreme", "date": "2022-02-15", "title": "t", "source": "s",
         "likelihoods": {"calm": far, "storm": near}},
        {"id": "reverse", "date": "2022-02-16", "title": "t", "source": "s",
         "likelihoods": {"calm": near, "storm": far}},
    ]  # fmt: skip
    hypotheses = {
        "calm": {"prior": 0.5, "p_outcome": 0.1},
        "storm": {"prior": 0.5, "p_outcome": 0.9},
    }
    priors = {"question": "q?", "outcome": "y", "hypotheses": hypotheses}
    s = forecast.Scenario.from_dict({"priors": priors, "evidence": items})
    with pytest.raises(ValueError, match="evidence item 'extreme': drawing the band would take"):
        forecast.run(s, draws=200, seed=0)


def test_a_failing_part_stops_the_other(uncertain_scenario, compiled_route):
    """An exception in one thread (here an interrupt from the progress callback, which part 0
    calls) reaches the caller, and no band thread is left running."""
    import threading

    before = threading.active_count()

    def interrupt(step, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        forecast.run(uncertain_scenario, draws=1000, seed=1, progress=interrupt)
    assert threading.active_count() == before


def test_compiled_loops_without_a_disk_cache(monkeypatch):
    """A read-only install with no writable user cache: numba cannot cache, the loops are
    compiled in the process instead of failing at import."""
    import importlib

    import numba

    from forecast import band_loops

    real = numba.njit
    refused = []

    def njit(*args, cache=False, **kwargs):
        if cache:
            refused.append(kwargs)
            raise RuntimeError("cannot cache function 'f': no locator available")
        return real(*args, **kwargs)

    monkeypatch.setattr(numba, "njit", njit)
    try:
        module = importlib.reload(band_loops)
        kernels = (module.add_item, module.draw_tilted, module.free_steps, module.predict_step)
        assert len(refused) >= len(kernels)  # each asked for a disk cache first
        for kernel in kernels:
            assert isinstance(kernel, numba.core.registry.CPUDispatcher)
            assert kernel.stats.cache_path is None  # compiled, not cached
        # a loop compiled in the process gives the numbers: the posterior-weighted p of one
        # draw, by hand
        out, log_pi = np.zeros(1), np.log([[[0.25, 0.75]], [[0.5, 0.5]]])
        drawn, p = np.zeros((1, 2, 2)), np.array([[0.1, 0.9]])
        module.predict_step(out, np.array([0]), log_pi, np.zeros(2), drawn, p)
        assert out[0] == pytest.approx(0.25 * 0.1 + 0.75 * 0.9, rel=1e-12)
    finally:
        monkeypatch.undo()
        importlib.reload(band_loops)


def test_compiled_route_compiles_nothing_for_new_numbers(uncertain_scenario, compiled_route):
    """A second update with new numbers reuses the machine code: no new signatures."""
    from forecast import band_loops

    forecast.run(uncertain_scenario, draws=400, seed=1)
    kernels = (band_loops.add_item, band_loops.free_steps, band_loops.predict_step)
    before = [len(k.signatures) for k in kernels]
    assert all(before)
    edited = uncertain_scenario.updated("c", likelihoods={"storm": [1.2, 9.0]}, reliability=0.5)
    forecast.run(edited, draws=400, seed=2)
    assert [len(k.signatures) for k in kernels] == before
