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


def load(folder):
    from forecast import load_scenario

    return load_scenario(folder / "priors.yaml", folder / "evidence")


def test_judgements_of_the_team_by_hand(tmp_path):
    """x for the partial-pooling model: effective log-likelihoods relative to the first hypothesis."""
    import math
    import shutil

    import numpy as np

    from forecast.errors import InputError
    from forecast.hierarchy import judgements

    chloe = tmp_path / "chloe"
    shutil.copytree(TEAM / "chloe", chloe)
    (chloe / "evidence" / "maxar-new-deployments.yaml").unlink()
    x = judgements({"ana": load(TEAM / "ana"), "ben": load(TEAM / "ben"), "chloe": load(chloe)})
    assert x.dims == ("analyst", "evidence", "hypothesis")
    assert list(x["hypothesis"].values) == ["coercive_bluff", "deception"]
    assert x.sizes["evidence"] == 13
    # ana, maxar: reliability B = 0.8, medians sqrt(0.08 * 0.3) and sqrt(0.25 * 0.7), deception 1
    lr = [0.8 * v + 0.2 for v in (math.sqrt(0.08 * 0.3), math.sqrt(0.25 * 0.7), 1.0)]
    got = x.sel(analyst="ana", evidence="maxar-new-deployments").values
    assert got == pytest.approx([math.log(lr[1] / lr[0]), math.log(lr[2] / lr[0])], rel=1e-12)
    assert np.isnan(x.sel(analyst="chloe", evidence="maxar-new-deployments")).all()
    with pytest.raises(InputError, match="at least 2 analysts"):
        judgements({"ana": load(TEAM / "ana")})


@pytest.mark.slow
def test_pool_hierarchical_on_the_team_uses_the_fit(tmp_path, capsys):
    """forecast pool --hierarchical with the real model: boldness.csv and the consensus items are
    the fit's, recomputed here from the folders by forecast.judgements (an independent x)."""
    import warnings

    import pandas as pd

    from forecast import ForecastWarning
    from forecast.hierarchy import fit_partial_pooling, judgements

    out = tmp_path / "team"
    folders = [str(TEAM / n) for n in NAMES]
    args = ["pool", *folders, "--out", str(out), "--draws", "2000", "--no-charts"]
    assert main([*args, "--hierarchical"]) == 0, capsys.readouterr().err
    x = judgements({n: load(TEAM / n) for n in NAMES})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        fit = fit_partial_pooling(x, seed=0, draws=500, tune=1000, chains=2)
    table = pd.read_csv(out / "boldness.csv")
    assert list(table["analyst"]) == NAMES
    assert table["s_median"].to_numpy() == pytest.approx(fit.boldness["s_median"], rel=1e-6)
    item = yaml.safe_load(
        (out / "consensus" / "evidence" / "duma-recognition-vote.yaml").read_text()
    )
    lo = fit.intervals["lo"].sel(evidence="duma-recognition-vote").values
    hi = fit.intervals["hi"].sel(evidence="duma-recognition-vote").values
    got = item["likelihoods"]
    assert got["coercive_bluff"] == pytest.approx([lo[0], hi[0]], rel=1e-6)
    assert got["deception"] == pytest.approx([lo[1], hi[1]], rel=1e-6)
