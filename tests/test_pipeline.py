"""The pipelines called from Python and the one table of artefacts (forecast/outputs.py)."""

from __future__ import annotations

import inspect

import pytest
from helpers import item_dict, priors_dict, write_scenario

from forecast import outputs
from forecast.errors import InputError
from forecast.pipeline import check_out, run_folder


@pytest.mark.parametrize("output", outputs.OUTPUTS, ids=lambda o: o.name)
def test_every_artefact_names_a_function_that_exists(output):
    assert callable(outputs.writer(output.name))


def test_the_table_lists_each_file_once():
    names = [n for o in outputs.OUTPUTS for n in o.file_names(("png", "svg"))]
    assert len(names) == len(set(names))
    assert outputs.files_of("run", formats=()) == (
        "trajectory.csv", "posterior.nc", "attribution.csv", "by_date.csv", "daily.csv",
        "report.html", "watch.csv", "draws.csv",
    )  # fmt: skip


@pytest.fixture
def folder(tmp_path):
    """A scenario folder: two hypotheses, two items."""
    items = [item_dict("a", {"storm": 3.0}), item_dict("b", {"calm": 2.0}, date="2022-02-16")]
    return write_scenario(tmp_path / "scenario", priors_dict(), items)


def test_run_folder_writes_the_run_set_silently(folder, tmp_path, capsys):
    priors, evidence = folder
    out = tmp_path / "out"
    done = run_folder(priors, evidence, out, seed=3, draws=200, charts=False)
    assert [p.name for p in done.written] == ["trajectory.csv", "posterior.nc", "attribution.csv"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in done.written)
    assert done.result.attrs["seed"] == 3 and done.charts == [] and done.watch is None
    assert capsys.readouterr() == ("", "")  # say and warn default to silence


def test_run_folder_refuses_to_write_into_the_evidence_folder(folder):
    priors, evidence = folder
    with pytest.raises(InputError, match="inside the evidence folder"):
        run_folder(priors, evidence, evidence / "out", charts=False)
    with pytest.raises(InputError, match="holds the scenario's"):
        check_out(evidence.parent, priors=priors, evidence=evidence)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("timeline", "plot_timeline"),
        ("ach_matrix", "plot_ach"),
        ("distribution", "plot_distribution"),
    ],
)
def test_old_chart_names_warn_and_draw_the_same_chart(old, new, uncertain_result):
    import forecast
    from forecast import charts

    with pytest.warns(DeprecationWarning, match=f"use forecast.{new}"):
        fig = getattr(forecast, old)(uncertain_result)
    assert charts.svg_text(fig) == charts.svg_text(getattr(forecast, new)(uncertain_result))
    assert inspect.ismodule(getattr(charts, old.split("_")[0]))  # no module/function clash
