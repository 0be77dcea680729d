"""Upper limits and fixed tables of the scenario files: ``LIMITS``, ``ADMIRALTY``, defaults."""

from __future__ import annotations

ADMIRALTY = {"A": 0.95, "B": 0.80, "C": 0.60, "D": 0.40, "E": 0.20, "F": 0.50}
"""Source reliability of the Admiralty letters (docs/model.md, "Source reliability")."""

DEFAULT_CORRELATION = 0.5
"""Correlation of a dependence group that priors.yaml does not set."""

PRIOR_SUM_TOLERANCE = 1e-6

LIMITS = {
    "items": 20_000,  # evidence items in a scenario
    "files": 20_000,  # files in the evidence folder
    "hypotheses": 1_000,
    "csv_bytes": 64 << 20,  # one evidence table
    "name": 100,  # hypothesis, outcome and group names
    "label": 80,  # display labels of the outcome and the hypotheses
    "id": 200,
    "question": 2_000,
    "title": 1_000,  # title, source
    "url": 2_000,
    "text": 100_000,  # quote, rationale, description, a note
    "shown_problems": 50,  # problems listed in one error message
    "by_points": 1_000,  # dates of one hypothesis's `by:` timing shape
    "window_days": 36_600,  # days from opened to the deadline (100 years)
}
"""Upper limits on what a scenario may hold; anything larger is refused up front."""

TEXT_FIELDS = frozenset(
    {"question", "outcome", "description", "id", "date", "title", "source", "quote"}
    | {"rationale", "group", "url", "notes", "by", "analyst", "label", "outcome_label"}
)
"""Keys whose YAML values are read as the text written (no YAML 1.1 coercion)."""
