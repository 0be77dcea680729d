"""The analysis behind the charts, the report and the what-if panel, apart from drawing.

One module per concept, all re-exported here (the names this module always had):
:mod:`forecast.impacts`, :mod:`forecast.sensitivities`, :mod:`forecast.whatif` and the shared
helpers of :mod:`forecast.steps`.

- :func:`impact_table`, :func:`leave_one_out`, :func:`most_important`: each evidence item's
  impact on the final probability (leave-one-out, and its Shapley value when the result holds
  an attribution), computed on the encoded arrays (no scenario re-validated).
- :func:`sensitivity_table`: how far the final probability moves when each interval input goes
  to its low or high end.
- :class:`Setting`, :func:`scale_likelihoods`, :func:`scenario_for`: the what-if
  modifications of a scenario (used by :mod:`forecast.widgets`, no ipywidgets needed here);
  :class:`Encoded`: the same modifications written straight into the encoded arrays;
  :func:`importance`: the order in which the panel lists a large scenario's items.

Everything is in log space: a likelihood of 0 (``log L = -inf``, "ruled out") gives neither
a warning nor a NaN.
"""

from __future__ import annotations

from .constants import MAX_ROWS, TOP_ITEMS
from .impacts import attribution_of, impact_table, impact_table_for, leave_one_out, most_important
from .sensitivities import sensitivity_table, sensitivity_table_for
from .steps import EPS, evidence_ids, final_band, split_log
from .whatif import (
    TOL,
    Encoded,
    Setting,
    importance,
    scale_likelihoods,
    scenario_for,
    setting_changes,
)

__all__ = [
    "EPS",
    "Encoded",
    "MAX_ROWS",
    "Setting",
    "TOL",
    "TOP_ITEMS",
    "attribution_of",
    "evidence_ids",
    "final_band",
    "impact_table",
    "impact_table_for",
    "importance",
    "leave_one_out",
    "most_important",
    "scale_likelihoods",
    "scenario_for",
    "sensitivity_table",
    "sensitivity_table_for",
    "setting_changes",
    "split_log",
]
