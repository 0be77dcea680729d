"""The sensitivity table of a question with a deadline (docs/model.md, "Time"): every number is
given "no event by the as-of day", as the headline is, and a retracted item plays no part.

The reference is a brute-force re-run of the scenario with the input pinned to its end (every
other interval at its centre) through the exact time route.
"""

from __future__ import annotations

import math

import pytest
from helpers import item_dict
from scipy.special import expit, logit
from test_time import HYPS, day, scenario

import forecast
from forecast.asof import resolve_as_of
from forecast.time_numbers import time_numbers

ITEMS = [
    item_dict("a1", {"storm": [2.0, 4.5]}, date=day(5), group="g"),
    item_dict("a2", {"storm": [1.5, 3.0]}, date=day(12), group="g",
              retracted={"date": day(30), "reason": "fabricated"}),
    item_dict("a3", {"storm": [1.2, 5.0]}, date=day(14), group="g"),
    item_dict("b1", {"ruse": 0.5, "calm": [1.5, 3.0]}, date=day(12)),
    item_dict("c1", {"ruse": [2.0, 8.0]}, date=day(40)),
]  # fmt: skip
AS_OF = day(60)


def _pinned(kind: str, evidence: str, hypothesis: str, end: float | None, timing: str):
    """The scenario with every interval at its centre, the one input at ``end``."""
    hyps = {k: dict(v) for k, v in HYPS.items()}
    for name, h in hyps.items():
        v = h["p_outcome"]
        if isinstance(v, list):
            h["p_outcome"] = float(expit((logit(v[0]) + logit(v[1])) / 2))
            if kind == "p_outcome" and name == hypothesis:
                h["p_outcome"] = end
    items = []
    for it in ITEMS:
        it = dict(it, likelihoods=dict(it["likelihoods"]))
        for name, v in it["likelihoods"].items():
            if isinstance(v, list):
                it["likelihoods"][name] = math.sqrt(v[0] * v[1])
                if kind == "likelihood" and it["id"] == evidence and name == hypothesis:
                    it["likelihoods"][name] = end
        items.append(it)
    return scenario(hyps, items, deadline=day(90), timing=timing,
                    groups={"g": {"correlation": 0.5}})  # fmt: skip


def _rerun(s) -> float:
    t = time_numbers(resolve_as_of(s, AS_OF), draws=100, seed=0, band=False)
    return float(t.stats["p_outcome"][-1])


@pytest.mark.parametrize("timing", ["uniform", "constant"])
def test_sensitivity_with_a_deadline_equals_brute_force_reruns(timing):
    """Each input at its low and high end: the table's ``p_low``/``p_high`` equal a re-run of the
    scenario with that input pinned (every other interval at its centre), as of day 60 of a
    90-day window, to 1e-9; the centre equals the re-run with every input at its centre; the
    retracted item (a2) has no row."""
    s = scenario(HYPS, ITEMS, deadline=day(90), timing=timing, groups={"g": {"correlation": 0.5}})
    result = forecast.run(s, as_of=AS_OF, draws=100)
    table = forecast.sensitivity_table(result)
    assert "a2" not in set(table["evidence"])
    assert len(table) == 2 + 4  # p_outcome of calm and ruse; a1, a3, b1 and c1 intervals
    assert table.attrs["p_centre"] == pytest.approx(
        _rerun(_pinned("", "", "", None, timing)), abs=1e-9
    )
    assert table.attrs["p_final"] == float(result["trajectory"]["p_outcome"][-1])
    for row in table.itertuples():
        for end, col in ((row.lo, "p_low"), (row.hi, "p_high")):
            want = _rerun(_pinned(row.kind, row.evidence, row.hypothesis, end, timing))
            assert getattr(row, col) == pytest.approx(want, abs=1e-9), (row.input, col)
