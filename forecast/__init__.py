"""forecast: Bayesian scenario forecasting with competing hypotheses and weighed evidence.

>>> import forecast
>>> scenario = forecast.load_scenario("priors.yaml", "evidence")  # doctest: +SKIP
>>> result = forecast.run(scenario, seed=1)  # doctest: +SKIP
>>> forecast.trajectory_frame(result).tail(1)  # doctest: +SKIP
"""

from .inference import BAND, DEFAULT_DRAWS, ForecastWarning, run
from .model import build_model, encode, probabilities
from .results import load_result, save_result, scenario_of, trajectory_frame
from .scenario import (
    EvidenceItem,
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    new_evidence,
)

__version__ = "0.1.0"

__all__ = [
    "BAND",
    "DEFAULT_DRAWS",
    "EvidenceItem",
    "ForecastWarning",
    "Problem",
    "Scenario",
    "ScenarioError",
    "build_model",
    "encode",
    "load_result",
    "load_scenario",
    "new_evidence",
    "probabilities",
    "run",
    "save_result",
    "scenario_of",
    "trajectory_frame",
]
