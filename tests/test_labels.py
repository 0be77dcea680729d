"""Human percents and points go through forecast.labels: each function writes exactly what the
inline formats it replaced wrote (issue 20: outputs byte-identical), edge cases included."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.labels import digits_for, pct, pct_range, pp

EDGES = [0.0, -0.0, 1.0, 0.5, 0.00049, -0.00049, 0.0005, -0.0005, 0.12345, 0.9995, 1e-300]


def values(n: int = 2000) -> list[float]:
    rng = np.random.default_rng(20)
    draws = np.concatenate([rng.random(n), rng.normal(0, 0.05, n), np.round(rng.random(n), 3)])
    return EDGES + [float(v) for v in draws] + [float(np.float64(0.125))]


@pytest.mark.parametrize("digits", [0, 1, 2])
def test_pct_writes_what_the_inline_formats_wrote(digits):
    for p in values():
        assert pct(p, digits) == f"{p:.{digits}%}" == f"{100 * p:.{digits}f}%"
        assert pct(p, 1, width=4) == f"{p:5.1%}"  # the watch list's P(seen)
        assert pct(p, 1, width=5) == f"{p * 100:5.1f}%"  # the run's table
        assert pct(100 * p, digits, scale=1) == f"{100 * p:.{digits}f}%"  # chart axes in percent
    assert pct(float("nan"), missing="") == "" and pct(float("nan")) == f"{float('nan'):.1%}"


def test_pct_range_writes_what_the_inline_formats_wrote():
    vs = values(500)
    for lo, hi in zip(vs, vs[::-1], strict=True):
        assert pct_range(lo, hi) == f"{100 * lo:.0f}–{100 * hi:.0f}%"
        assert pct_range(lo, hi, 1, sep="-") == f"{100 * lo:.1f}-{100 * hi:.1f}%"
        assert pct_range(lo, hi, 1, sep="-", width=4) == f"{lo * 100:4.1f}-{hi * 100:4.1f}%"


def test_pp_writes_what_the_inline_formats_wrote():
    for m in values():
        assert pp(m) == f"{m * 100:.1f}" == f"{100 * m:.1f}"
        assert pp(m, 2) == f"{m * 100:.2f}"
        assert pp(m, sign=True) == f"{100 * m:+.1f}"  # "-0.0" kept where it was written
        assert pp(m, sign=True, plus_zero=True) == f"{100 * m:+.1f}".replace("-0.0", "+0.0")
        assert pp(100 * m, sign=True, scale=1) == f"{100 * m:+.1f}"
    assert pp(-0.0004, sign=True) == "-0.0" and pp(-0.0004, sign=True, plus_zero=True) == "+0.0"


def test_digits_for_shows_a_small_move():
    # by hand: 0.004 points needs 3 decimals, 0.04 two, 3 points one; nothing at all: four
    assert digits_for(0.00004) == 3 and digits_for(0.0004, -0.0001) == 2
    assert digits_for(0.03, 0.0) == 1 and digits_for(0.0, 0.0) == 4 and digits_for(2.5) == 1
