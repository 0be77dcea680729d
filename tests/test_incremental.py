"""The what-if path: results after an edit are the same numbers a cold run gives, and only the
edited item is recomputed; large scenarios (draws only where used) agree in distribution."""

from __future__ import annotations

import numpy as np
import pytest

import forecast
from forecast import band, inference


@pytest.fixture(autouse=True)
def _cold():
    inference.clear_caches()  # other tests may have run the same numbers


def _arrays(result):
    t = result["trajectory"]
    keys = ("p_outcome", "p_outcome_low", "p_outcome_high", "p_hypothesis", "mcse")
    return {k: t[k].values for k in keys} | {"draws": result["posterior"]["p_outcome"].values}


def _edit(scenario):
    return scenario.updated("c", likelihoods={"storm": [1.5, 5.0]}, reliability=0.8)


def test_warm_run_after_edit_equals_cold_run(uncertain_scenario):
    forecast.run(uncertain_scenario, draws=1000, seed=3)
    edited = _edit(uncertain_scenario)
    warm = _arrays(forecast.run(edited, draws=1000, seed=3))
    inference.clear_caches()
    cold = _arrays(forecast.run(edited, draws=1000, seed=3))
    for key in cold:
        np.testing.assert_array_equal(warm[key], cold[key], err_msg=key)


@pytest.mark.parametrize("capacity", [0, 4096, 2**40])
def test_cache_size_changes_no_number(uncertain_scenario, monkeypatch, capacity):
    """A store's capacity decides what is remembered, never which route or which number."""
    from forecast import caches

    default = _arrays(forecast.run(uncertain_scenario, draws=1000, seed=3))
    inference.clear_caches()
    monkeypatch.setattr(caches.DRAWS, "max_bytes", capacity)
    monkeypatch.setattr(caches.TILTS, "max_bytes", capacity)
    for _ in range(2):  # cold, then warm with whatever fitted
        resized = _arrays(forecast.run(uncertain_scenario, draws=1000, seed=3))
        for key in default:
            np.testing.assert_array_equal(resized[key], default[key], err_msg=key)


@pytest.mark.parametrize("change", ["updated", "without", "with_item"])
def test_edit_samples_only_what_changed(uncertain_scenario, monkeypatch, change):
    forecast.run(uncertain_scenario, draws=1000, seed=3)
    sampled = []
    original = band.sample_tilted

    def counting(mu, sd, *args, **kwargs):
        sampled.append((tuple(mu), tuple(sd)))
        return original(mu, sd, *args, **kwargs)

    monkeypatch.setattr(band, "sample_tilted", counting)
    if change == "updated":
        edited = _edit(uncertain_scenario)
        expected = {forecast.encode(edited).mu[2].tobytes()}
    elif change == "without":
        edited = uncertain_scenario.without("a")  # in no group: the others keep their weights
        expected = set()
    else:
        extra = {
            "id": "z",
            "date": "2022-02-19",
            "title": "new",
            "source": "s",
            "likelihoods": {"bluff": [1.1, 3.0]},
        }
        edited = uncertain_scenario.with_item(extra)
        expected = {forecast.encode(edited).mu[-1].tobytes()}
    forecast.run(edited, draws=1000, seed=3)
    got = {np.array(mu).tobytes() for mu, _ in sampled}
    assert got == expected


def test_draws_only_where_used_agree_with_full_draws(uncertain_scenario, monkeypatch):
    """Large scenarios draw an item only for the (draw, hypothesis) pairs a later step uses."""
    full_run = forecast.run(uncertain_scenario, draws=4000, seed=8)
    monkeypatch.setattr(band, "NUMPY_ROUTE_MAX", 0)  # the large scenarios' route
    part_run = forecast.run(uncertain_scenario, draws=4000, seed=8)
    full, part = full_run["trajectory"], part_run["trajectory"]
    np.testing.assert_allclose(part["p_outcome"], full["p_outcome"], rtol=1e-12)
    mean_full, mean_part = (
        r["posterior"]["p_outcome"].mean(("chain", "draw")) for r in (full_run, part_run)
    )
    z_mean = np.abs(mean_part - mean_full) / np.hypot(part["mcse"], full["mcse"])
    assert (z_mean < 4.5).all(), z_mean.values
    for q, se in (("p_outcome_low", "mcse_low"), ("p_outcome_high", "mcse_high")):
        z = np.abs(part[q] - full[q]) / np.hypot(part[se], full[se])
        assert (z < 4.5).all(), (q, z.values)
    assert not np.array_equal(part["p_outcome_low"], full["p_outcome_low"])  # another route


def test_row_max_equals_numpy_max(rng):
    from forecast.model import row_max

    x = rng.normal(size=(50, 7, 5))
    np.testing.assert_array_equal(row_max(x), x.max(axis=-1))


def test_item_streams_differ_for_ids_whose_crc32_collide():
    """An item's band draws come from a stream keyed by its id: two ids that a 32-bit seed
    confused give different draws (the same scenario but for the id, the same seed)."""
    import zlib

    a, b = "item-29685295", "item-32060020"
    assert zlib.crc32(a.encode()) == zlib.crc32(b.encode())  # the pair a 32-bit seed confused
    priors = {
        "question": "q?",
        "outcome": "y",
        "hypotheses": {"calm": {"prior": 0.5, "p_outcome": 0.1},
                       "storm": {"prior": 0.5, "p_outcome": 0.9}},
    }  # fmt: skip
    draws = []
    for id in (a, b, a):
        item = {"id": id, "date": "2022-02-15", "title": "t", "source": "s",
                "likelihoods": {"storm": [1.5, 4.0]}}  # fmt: skip
        s = forecast.Scenario.from_dict({"priors": priors, "evidence": [item]})
        draws.append(forecast.run(s, draws=200, seed=0)["posterior"]["p_outcome"].values)
    np.testing.assert_array_equal(draws[0], draws[2])  # the id decides, nothing else
    assert not np.allclose(draws[0], draws[1])


def test_more_than_127_hypotheses():
    n = 130  # most mass on the last two: their indices do not fit in a signed byte
    hyps = {f"h{j}": {"prior": 0.1 / (n - 2), "p_outcome": [0.05, 0.2]} for j in range(n - 2)}
    hyps |= {f"h{j}": {"prior": 0.45, "p_outcome": [0.8, 0.95]} for j in (n - 2, n - 1)}
    items = [
        {"id": f"e{i}", "date": "2022-02-15", "title": "t", "source": "s",
         "likelihoods": {f"h{(7 * i) % n}": [2.0, 6.0], f"h{(11 * i) % n}": 3.0}}
        for i in range(4)
    ]  # fmt: skip
    s = forecast.Scenario.from_dict(
        {
            "priors": {"question": "q?", "outcome": "y", "hypotheses": hyps, "prior_strength": 2},
            "evidence": items,
        }
    )
    result = forecast.run(s, draws=400, seed=1)  # the draws' mean is checked against the exact
    draws = result["posterior"]["p_outcome"].values[0]
    t = result["trajectory"]
    assert (np.abs(draws.mean(axis=0) - t["p_outcome"].values) < 4.5 * t["mcse"].values).all()


def test_clear_caches_makes_the_next_run_cold(uncertain_scenario, monkeypatch):
    """After ``clear_caches`` a run samples every item again, as the first run did; and every
    store registered with ``caches.on_clear`` is emptied."""
    from forecast import caches

    calls = []
    original = band.sample_tilted
    monkeypatch.setattr(band, "sample_tilted", lambda *a, **k: calls.append(1) or original(*a, **k))
    first = _arrays(forecast.run(uncertain_scenario, draws=1000, seed=3))
    cold = len(calls)
    forecast.run(uncertain_scenario, draws=1000, seed=3)
    assert cold > 0 and len(calls) == cold  # the second run sampled nothing
    mine = {"kept": 1}
    caches.on_clear(mine.clear)
    forecast.clear_caches()
    again = _arrays(forecast.run(uncertain_scenario, draws=1000, seed=3))
    assert len(calls) == 2 * cold and not mine
    for key in first:
        np.testing.assert_array_equal(again[key], first[key], err_msg=key)
