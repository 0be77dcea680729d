"""forecast: Bayesian scenario forecasting with competing hypotheses and weighed evidence.

>>> import forecast
>>> scenario = forecast.load_scenario("priors.yaml", "evidence")  # doctest: +SKIP
>>> result = forecast.run(scenario, seed=1)  # doctest: +SKIP
>>> forecast.trajectory_frame(result).tail(1)  # doctest: +SKIP
"""

from typing import TYPE_CHECKING, Any

from .errors import InputError

# forecast.portfolio is the function (many folders at once); its module stays importable by
# name (from forecast.portfolio import run_folder).
from .portfolio import portfolio
from .scenario import (
    EvidenceItem,
    Problem,
    Scenario,
    ScenarioError,
    hypothesis_names,
    load_scenario,
    new_evidence,
)

# The lazy names below, for type checkers and editors. The charts are plot_* (like arviz-plots);
# their old names (timeline, impact, ...) are deprecated aliases in forecast.charts.aliases.
if TYPE_CHECKING:
    from .analysis import impact_table, sensitivity_table
    from .asof import resolve_as_of
    from .attribution import Attribution, attribution_frame, explain_move, shapley
    from .brief import brief_markdown
    from .briefing import slides
    from .caches import clear_caches
    from .charts.ach import plot_ach
    from .charts.aliases import (
        ach_matrix,
        calibration_chart,
        distribution,
        impact,
        score_chart,
        sensitivity,
        timeline,
        watch_chart,
    )
    from .charts.by_date import plot_by_date
    from .charts.distribution import plot_distribution
    from .charts.export import save_all
    from .charts.impact import plot_impact
    from .charts.pool import plot_disagreement, plot_pool
    from .charts.score import plot_calibration, plot_score
    from .charts.sensitivity import plot_sensitivity
    from .charts.slide import slide_figures
    from .charts.timeline import plot_timeline
    from .charts.watch import plot_watch
    from .draws import draws_frame, write_draws_csv
    from .hierarchy import PartialPooling, fit_partial_pooling, judgements, write_boldness
    from .indicators import Indicator, load_indicators, watch
    from .inference import DEFAULT_DRAWS, ForecastWarning, run
    from .model import encode, probabilities
    from .observations import observe
    from .pipeline import charts_folder, report_folder, run_folder, watch_folder
    from .pooling import Pool, load_team, pool
    from .pymc_model import build_model
    from .recalibration import recalibrate, synthetic_portfolio
    from .report import report_html, write_report
    from .result_schema import BAND, scenario_of
    from .results import Changes, changes_since, load_result, save_result, trajectory_frame
    from .score_pipeline import score_folders
    from .scoring import calibration, postmortem, score
    from .time_result import by_date_frame, daily_frame
    from .widgets import what_if

__version__ = "0.1.0"

# The rest is imported on first use: the computations pull in xarray and scipy, the charts and
# the report matplotlib, so that reading and checking scenario files (``forecast validate``)
# stays quick.
_LAZY = {
    "BAND": "result_schema",
    "DEFAULT_DRAWS": "inference",
    "ForecastWarning": "inference",
    "run": "inference",
    "clear_caches": "caches",
    "Attribution": "attribution",
    "attribution_frame": "attribution",
    "explain_move": "attribution",
    "shapley": "attribution",
    "build_model": "pymc_model",
    "PartialPooling": "hierarchy",
    "fit_partial_pooling": "hierarchy",
    "judgements": "hierarchy",
    "write_boldness": "hierarchy",
    "encode": "model",
    "probabilities": "model",
    "Changes": "results",
    "changes_since": "results",
    "load_result": "results",
    "save_result": "results",
    "scenario_of": "result_schema",
    "trajectory_frame": "results",
    "plot_ach": "charts",
    "plot_distribution": "charts",
    "plot_impact": "charts",
    "by_date_frame": "time_result",
    "daily_frame": "time_result",
    "resolve_as_of": "asof",
    "impact_table": "analysis",
    "save_all": "charts",
    "plot_sensitivity": "charts",
    "sensitivity_table": "analysis",
    "plot_timeline": "charts",
    "plot_by_date": "charts.by_date",
    "report_html": "report",
    "write_report": "report",
    "what_if": "widgets",
    "Pool": "pooling",
    "load_team": "pooling",
    "pool": "pooling",
    "plot_pool": "charts.pool",
    "plot_disagreement": "charts.pool",
    "Indicator": "indicators",
    "load_indicators": "indicators",
    "observe": "observations",
    "watch": "indicators",
    "plot_watch": "charts",
    "score": "scoring",
    "calibration": "scoring",
    "postmortem": "scoring",
    "recalibrate": "recalibration",
    "slides": "briefing",
    "brief_markdown": "brief",
    "slide_figures": "charts.slide",
    "draws_frame": "draws",
    "write_draws_csv": "draws",
    "synthetic_portfolio": "recalibration",
    "plot_score": "charts.score",
    "plot_calibration": "charts.score",
    "run_folder": "pipeline",
    "charts_folder": "pipeline",
    "report_folder": "pipeline",
    "watch_folder": "pipeline",
    "score_folders": "score_pipeline",
    # the charts' old names, deprecated (forecast.charts.aliases)
    "ach_matrix": "charts.aliases",
    "calibration_chart": "charts.aliases",
    "distribution": "charts.aliases",
    "impact": "charts.aliases",
    "score_chart": "charts.aliases",
    "sensitivity": "charts.aliases",
    "timeline": "charts.aliases",
    "watch_chart": "charts.aliases",
}


def __getattr__(name: str) -> Any:
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
    "PartialPooling",
    "Pool",
    "Problem",
    "Scenario",
    "ScenarioError",
    "ach_matrix",
    "brief_markdown",
    "attribution_frame",
    "build_model",
    "calibration",
    "calibration_chart",
    "changes_since",
    "clear_caches",
    "distribution",
    "draws_frame",
    "encode",
    "explain_move",
    "fit_partial_pooling",
    "hypothesis_names",
    "impact",
    "impact_table",
    "judgements",
    "load_indicators",
    "load_result",
    "load_scenario",
    "load_team",
    "plot_pool",
    "plot_disagreement",
    "new_evidence",
    "portfolio",
    "observe",
    "plot_ach",
    "plot_by_date",
    "plot_calibration",
    "plot_distribution",
    "plot_impact",
    "plot_score",
    "plot_sensitivity",
    "plot_timeline",
    "plot_watch",
    "pool",
    "postmortem",
    "probabilities",
    "recalibrate",
    "report_html",
    "run",
    "run_folder",
    "charts_folder",
    "report_folder",
    "watch_folder",
    "score_folders",
    "save_all",
    "save_result",
    "scenario_of",
    "score",
    "score_chart",
    "sensitivity",
    "sensitivity_table",
    "shapley",
    "slide_figures",
    "slides",
    "synthetic_portfolio",
    "timeline",
    "trajectory_frame",
    "by_date_frame",
    "daily_frame",
    "resolve_as_of",
    "watch",
    "watch_chart",
    "what_if",
    "write_draws_csv",
    "write_boldness",
    "write_report",
]
