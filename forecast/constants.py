"""The numbers every module shares: band percentiles, ``Z90``, NUTS thresholds, display limits.

One home for each; the modules that used them import them from here (their old names there keep
working).

Examples
--------
>>> BAND, BAND_QUANTILES
((0.05, 0.95), (0.05, 0.5, 0.95))
>>> round(Z90, 4)
1.6449
"""

from __future__ import annotations

__all__ = [
    "BAND",
    "BAND_QUANTILES",
    "ESS_MIN",
    "LIST_ALL",
    "MAX_ROWS",
    "RHAT_MAX",
    "SHOWN",
    "TOP_ITEMS",
    "Z90",
]

BAND = (0.05, 0.95)
"""The judgement band: 5th and 95th percentiles of P(Y | E_1..k, theta) (attribute ``band``)."""

BAND_QUANTILES = (BAND[0], 0.5, BAND[1])
"""The band's ends and the median between them (a 90% interval and its centre)."""

Z90 = 1.6448536269514722
"""The 95th percentile of the standard normal: a 90% interval spans ``2 * Z90`` sd."""

RHAT_MAX = 1.01
"""NUTS diagnostics: the largest R-hat accepted (docs/model.md, "Checks")."""

ESS_MIN = 400
"""NUTS diagnostics: the smallest bulk effective sample size accepted."""

MAX_ROWS = 40
"""Charts and tables: up to this many items every item is shown, one row each."""

TOP_ITEMS = 25
"""Above :data:`MAX_ROWS` items: the items shown in the impact and ACH charts, then one row
counting the others."""

LIST_ALL = MAX_ROWS
"""The what-if panel: up to this many items it lists them all; above, the :data:`SHOWN` that
matter most."""

SHOWN = TOP_ITEMS
"""The what-if panel: the items listed above :data:`LIST_ALL`."""
