"""forecast: Bayesian scenario forecasting with competing hypotheses and weighed evidence.

>>> import forecast
>>> scenario = forecast.load_scenario("priors.yaml", "evidence")  # doctest: +SKIP
>>> result = forecast.run(scenario, seed=1)  # doctest: +SKIP
>>> forecast.trajectory_frame(result).tail(1)  # doctest: +SKIP
"""

from .errors import InputError
from .scenario import (
    EvidenceItem,
    Problem,
    Scenario,
    ScenarioError,
    hypothesis_names,
    load_scenario,
    new_evidence,
)

__version__ = "0.1.0"

# The rest is imported on first use: the computations pull in xarray and scipy, the charts and
# the report matplotlib, so that reading and checking scenario files (``forecast validate``)
# stays quick.
_LAZY = {
    "BAND": "inference",
    "DEFAULT_DRAWS": "inference",
    "ForecastWarning": "inference",
    "run": "inference",
    "clear_caches": "caches",
    "Attribution": "attribution",
    "attribution_frame": "attribution",
    "explain_move": "attribution",
    "shapley": "attribution",
    "build_model": "pymc_model",
    "encode": "model",
    "probabilities": "model",
    "Changes": "results",
    "changes_since": "results",
    "load_result": "results",
    "save_result": "results",
    "scenario_of": "results",
    "trajectory_frame": "results",
    "ach_matrix": "charts",
    "distribution": "charts",
    "impact": "charts",
    "impact_table": "charts",
    "save_all": "charts",
    "sensitivity": "charts",
    "sensitivity_table": "charts",
    "timeline": "charts",
    "report_html": "report",
    "write_report": "report",
    "what_if": "widgets",
    "Indicator": "indicators",
    "load_indicators": "indicators",
    "observe": "indicators",
    "watch": "indicators",
    "watch_chart": "charts",
    "score": "scoring",
    "calibration": "scoring",
    "postmortem": "scoring",
    "recalibrate": "recalibration",
    "synthetic_portfolio": "recalibration",
    "score_chart": "charts.score",
    "calibration_chart": "charts.score",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Attribution",
    "BAND",
    "Changes",
    "DEFAULT_DRAWS",
    "EvidenceItem",
    "ForecastWarning",
    "Indicator",
    "InputError",
    "Problem",
    "Scenario",
    "ScenarioError",
    "ach_matrix",
    "attribution_frame",
    "build_model",
    "calibration",
    "calibration_chart",
    "changes_since",
    "clear_caches",
    "distribution",
    "encode",
    "explain_move",
    "hypothesis_names",
    "impact",
    "impact_table",
    "load_indicators",
    "load_result",
    "load_scenario",
    "new_evidence",
    "observe",
    "postmortem",
    "probabilities",
    "recalibrate",
    "report_html",
    "run",
    "save_all",
    "save_result",
    "scenario_of",
    "score",
    "score_chart",
    "sensitivity",
    "sensitivity_table",
    "shapley",
    "synthetic_portfolio",
    "timeline",
    "trajectory_frame",
    "watch",
    "watch_chart",
    "what_if",
    "write_report",
]
