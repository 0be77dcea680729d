"""The team example (examples/team/): three illustrative readings of the bundled question."""

from __future__ import annotations

import pytest
import yaml
from helpers import ROOT

from forecast.cli import main

TEAM = ROOT / "examples" / "team"
NAMES = ["ana", "ben", "chloe"]


def likelihoods(folder) -> dict[str, dict]:
    return {
        p.stem: yaml.safe_load(p.read_text())["likelihoods"]
        for p in sorted((folder / "evidence").glob("*.yaml"))
    }


@pytest.mark.parametrize("name", NAMES)
def test_each_analyst_folder_validates_and_says_it_is_illustrative(name, capsys):
    folder = TEAM / name
    args = ["validate", "--priors", str(folder / "priors.yaml")]
    assert main([*args, "--evidence", str(folder / "evidence")]) == 0
    assert "OK: 13 evidence items" in capsys.readouterr().out
    assert (folder / "priors.yaml").read_text().startswith("# ILLUSTRATIVE")


@pytest.mark.parametrize("name", NAMES)
def test_a_handful_of_judgements_differ_from_the_bundled_each_with_its_reason(name):
    bundled, own = likelihoods(ROOT), likelihoods(TEAM / name)
    assert set(own) == set(bundled)  # the same items: all of them shared
    changed = sorted(k for k in own if own[k] != bundled[k])
    assert 2 <= len(changed) <= 5
    for item in changed:
        text = (TEAM / name / "evidence" / f"{item}.yaml").read_text()
        assert f"# {name} (illustrative): " in text
    priors = yaml.safe_load((TEAM / name / "priors.yaml").read_text())
    assert priors["outcome"] == "invasion"


def test_the_three_readings_differ():
    readings = [likelihoods(TEAM / n) for n in NAMES]
    for a in range(3):
        for b in range(a + 1, 3):
            assert readings[a] != readings[b]
