"""A saved ``posterior.nc`` is untrusted input: crafted files are refused before any data is read.

Each crafted file is a real result changed with h5py the way an attacker would; the tests
check the refusal (exit 2, ``not a forecast result``), that nothing is written, and that the
bytes of a local file named by the crafted result never reach any output.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import xarray as xr
from helpers import ROOT, item_dict, priors_dict, write_scenario

import forecast
from forecast.cli import main
from forecast.errors import InputError
from forecast.results import load_result, save_result

SECRET = "TOPSECRET-" * 40


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A genuine posterior.nc (3 items, 2 hypotheses), with a kept earlier trajectory."""
    folder = tmp_path_factory.mktemp("genuine")
    priors, evidence = write_scenario(
        folder / "scenario",
        priors_dict(),
        [
            item_dict("a", {"calm": 1, "storm": [1.5, 3]}, group="g1"),
            item_dict("b", {"calm": 2, "storm": 1}, date="2022-02-16"),
            item_dict("c", {"calm": 1, "storm": 4}, date="2022-02-17", reliability="C"),
        ],
    )
    scenario = forecast.load_scenario(priors, evidence)
    first = forecast.run(scenario.without("c"), draws=200, seed=1)
    from forecast.results import keep_previous

    result = keep_previous(forecast.run(scenario, draws=200, seed=1, attribution=True), first)
    save_result(result, folder / "out")
    return folder / "out" / "posterior.nc"


def craft(saved: Path, tmp_path: Path, change) -> Path:
    """A copy of ``saved`` changed by ``change(h5py.File)``."""
    path = tmp_path / "crafted.nc"
    shutil.copy(saved, path)
    with h5py.File(path, "a") as f:
        change(f)
    return path


def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def external_storage(secret: Path):
    def change(f):
        n = f["evidence/title"].shape[0]
        attrs = dict(f["evidence/title"].attrs)
        del f["evidence/title"]
        ds = f["evidence"].create_dataset("title", (n,), "S16", external=[(str(secret), 0, 16 * n)])
        for k, v in attrs.items():
            ds.attrs[k] = v

    return change


def every_output(folder: Path) -> str:
    return "".join(
        p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()
    )


def test_genuine_result_loads(saved):
    result = load_result(saved)
    assert {"previous_trajectory", "attribution"} <= set(result.children)
    assert list(result["trajectory"]["evidence_id"].values) == ["", "a", "b", "c"]


def test_external_storage_would_read_a_local_file(saved, tmp_path):
    """The attack is real: without the check, xarray reads the secret through the result."""
    path = craft(saved, tmp_path, external_storage(secret_file(tmp_path)))
    with xr.open_datatree(path, engine="netcdf4") as tree:
        assert "TOPSECRET" in "".join(str(v) for v in tree["evidence"]["title"].values)
    with pytest.raises(InputError, match="not a forecast result: .*external storage"):
        load_result(path)


@pytest.mark.parametrize("command", ["report", "charts"])
def test_report_and_charts_refuse_external_storage(saved, tmp_path, capsys, command):
    path = craft(saved, tmp_path, external_storage(secret_file(tmp_path)))
    out = tmp_path / "out"
    assert main([command, "--result", str(path), "--out", str(out)]) == 2
    stdout, stderr = capsys.readouterr()
    assert "not a forecast result" in stderr and "external storage" in stderr
    assert "TOPSECRET" not in stdout + stderr
    assert not out.exists() or not any(out.iterdir())


def test_run_refuses_a_crafted_result_in_out(saved, tmp_path, capsys, monkeypatch):
    """Planted in out/, a crafted file is never copied forward: the run refuses, out/ as before."""
    priors, evidence = write_scenario(
        tmp_path / "s", priors_dict(), [item_dict("a", {"calm": 1, "storm": 2})]
    )
    out = tmp_path / "s" / "out"
    out.mkdir()
    crafted = craft(saved, tmp_path, external_storage(secret_file(tmp_path)))
    shutil.copy(crafted, out / "posterior.nc")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    args = ["run", "--priors", str(priors), "--evidence", str(evidence), "--out", str(out)]
    assert main([*args, "--draws", "200"]) == 2
    stdout, stderr = capsys.readouterr()
    assert "not a forecast result" in stderr and "move it away" in stderr
    assert "TOPSECRET" not in stdout + stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert "TOPSECRET" not in every_output(out).replace(
        (out / "posterior.nc").read_bytes().decode("utf-8", "replace"), ""
    )


def _external_link(f):
    f["evidence"]["elsewhere"] = h5py.ExternalLink("/etc/passwd", "/")


def _external_link_at_the_top(f):
    f["elsewhere"] = h5py.ExternalLink(str(f.filename) + ".other", "/")


def _soft_link(f):
    f["evidence"]["alias"] = h5py.SoftLink("/trajectory/p_outcome")


def _extra_group(f):
    f.create_group("payload").create_dataset("x", data=np.arange(3))


def _extra_variable(f):
    f["trajectory"].create_dataset("notes", data=np.arange(4))


def _huge_declared(f):
    # 10**9 float64 declared (8 GB), no chunk written: a file of a few KB
    del f["posterior/p_outcome"]
    f["posterior"].create_dataset("p_outcome", (1, 10**9, 4), "f8", chunks=(1, 1024, 4))


def _declare_draws(n: int):
    def change(f):
        # the declared draws match the variables, which hold no data (unwritten chunks)
        f.attrs["draws"] = n
        del f["posterior/p_outcome"], f["posterior/draw"]
        f["posterior"].create_dataset("draw", (n,), "i8", chunks=(2**16,))
        f["posterior"].create_dataset("p_outcome", (1, n, 4), "f8", chunks=(1, 2**16, 4))

    return change


def _wrong_dimension(f):
    del f["trajectory/p_outcome"]
    f["trajectory"].create_dataset("p_outcome", data=np.full(9, 0.5))


def _virtual(f):
    layout = h5py.VirtualLayout(shape=(4,), dtype="f8")
    layout[:] = h5py.VirtualSource("/tmp/other.h5", "x", shape=(4,))
    del f["trajectory/mcse"]
    f["trajectory"].create_virtual_dataset("mcse", layout, fillvalue=0)


def _compound(f):
    del f["trajectory/mcse"]
    f["trajectory"].create_dataset("mcse", (4,), dtype=np.dtype([("a", "f8"), ("b", "i4")]))


def _not_a_probability(f):
    f["trajectory/p_outcome"][2] = 1.5


def _nan_band(f):
    f["trajectory/p_outcome_low"][1] = np.nan


def _scenario_mismatch(f):
    f.attrs["outcome"] = "something_else"


def _bad_scenario_json(f):
    f.attrs["scenario_json"] = '{"priors": {}, "evidence": []}'


def _no_scenario(f):
    del f.attrs["scenario_json"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (_external_link, "external link"),
        (_external_link_at_the_top, "/elsewhere: external link"),
        (_soft_link, "soft link"),
        (_extra_group, "unexpected /payload"),
        (_extra_variable, "unexpected /trajectory/notes"),
        (_huge_declared, "dimension draw of size 1000000000"),
        (_declare_draws(10**8), "declares 4000"),  # 4 GB: over the bound
        (_declare_draws(3 * 10**6), "declares 1200"),  # 120 MB in a small file
        (_wrong_dimension, "dimension step of size 9"),
        (_virtual, "virtual dataset"),
        (_compound, "unexpected data type"),
        (_not_a_probability, "trajectory/p_outcome"),
        (_nan_band, "trajectory/p_outcome_low"),
        (_scenario_mismatch, "outcome"),
        (_bad_scenario_json, "scenario"),
        (_no_scenario, "scenario_json"),
    ],
)
def test_crafted_structure_refused(saved, tmp_path, capsys, change, why):
    path = craft(saved, tmp_path, change)
    with pytest.raises(InputError, match="not a forecast result") as info:
        load_result(path)
    assert why in str(info.value)
    assert len(str(info.value)) < 500
    assert main(["report", "--result", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "not a forecast result" in capsys.readouterr().err
    assert not (tmp_path / "out" / "report.html").exists()


@pytest.mark.parametrize("content", [b"", b"not a netCDF file", b"\x89HDF\r\n\x1a\n" + b"\0" * 100])
def test_not_hdf5_refused(tmp_path, capsys, content):
    path = tmp_path / "x.nc"
    path.write_bytes(content)
    assert main(["charts", "--result", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "not a forecast result" in capsys.readouterr().err


@pytest.mark.slow
def test_a_nuts_result_passes(tmp_path):
    """The NUTS route's result (4 chains, draws per chain, diagnostics) is a forecast result."""
    priors, evidence = write_scenario(
        tmp_path / "s", priors_dict(), [item_dict("a", {"calm": 1, "storm": 2})]
    )
    result = forecast.run(forecast.load_scenario(priors, evidence), method="nuts", draws=400)
    save_result(result, tmp_path / "out")
    back = load_result(tmp_path / "out" / "posterior.nc")
    assert back["posterior"].sizes["chain"] == 4
    assert "r_hat" in back["trajectory"]


def _set_attr(node: str, name: str, value):
    def change(f):
        (f if node == "/" else f[node]).attrs[name] = value

    return change


@pytest.mark.parametrize(
    ("node", "name", "value", "why"),
    [
        ("/", "input_files", "junk{", "attribute 'input_files' is not a JSON object of text"),
        ("/", "input_files", 7.5, "attribute 'input_files' is not a JSON object of text"),
        ("/", "versions", "[1, 2]", "attribute 'versions' is not a JSON object of text"),
        ("/", "band", "junk", "attribute 'band' is not two quantiles"),
        ("/", "band", "[0.95, 0.05]", "attribute 'band' is not two quantiles"),
        ("/", "seed", "x", "attribute 'seed' is not a whole number"),
        ("/", "question", 5, "attribute 'question' is not text"),
        ("attribution", "p_prior", "junk", "/attribution attribute 'p_prior' is not a probability"),
        ("attribution", "p_final", 1.5, "/attribution attribute 'p_final' is not a probability"),
        ("attribution", "explanation", 3, "/attribution attribute 'explanation' is not text"),
        ("previous_trajectory", "changes", 2.0, "attribute 'changes' is not text"),
    ],
)
def test_attributes_the_package_reads_are_checked(saved, tmp_path, capsys, node, name, value, why):
    """Junk in an attribute the report, charts or CLI parse is refused on loading (exit 2),
    never an internal error later (the QA review found JSONDecodeError, KeyError, ValueError)."""
    path = craft(saved, tmp_path, _set_attr(node, name, value))
    with pytest.raises(InputError, match="not a forecast result") as info:
        load_result(path)
    assert why in str(info.value)
    for command in ("report", "charts"):
        assert main([command, "--result", str(path), "--out", str(tmp_path / "out")]) == 2
        assert why in capsys.readouterr().err


def _del_attr(node: str, name: str):
    def change(f):
        del f[node].attrs[name]

    return change


@pytest.mark.parametrize("name", ["p_prior", "p_final", "n_permutations", "method"])
def test_attribution_attributes_the_report_reads_must_be_there(saved, tmp_path, capsys, name):
    path = craft(saved, tmp_path, _del_attr("attribution", name))
    assert main(["report", "--result", str(path), "--out", str(tmp_path / "out")]) == 2
    assert f"/attribution attribute {name!r} missing" in capsys.readouterr().err


def test_an_attribution_without_mcse_is_read_as_exact(saved, tmp_path, capsys):
    """An optional variable missing (``shapley_mcse``): charts and report still work (the
    table used to write into the result's read-only view: an internal error)."""
    path = craft(saved, tmp_path, lambda f: f["attribution"].__delitem__("shapley_mcse"))
    table = forecast.impact_table(load_result(path))
    assert (table["shapley_mcse"] == 0).all()
    assert main(["charts", "--result", str(path), "--out", str(tmp_path / "out")]) == 0
    assert main(["report", "--result", str(path), "--out", str(tmp_path / "out")]) == 0
    capsys.readouterr()


def test_watch_attributes_are_checked(tmp_path, capsys):
    from forecast.indicators import watch_dataset
    from forecast.result_schema import WATCH, with_node

    scenario = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    result = forecast.run(scenario, draws=200, seed=0)
    frame = forecast.watch(result, ROOT / "indicators")
    save_result(with_node(result, WATCH, watch_dataset(frame)), tmp_path / "good")
    good = tmp_path / "good" / "posterior.nc"
    assert main(["report", "--result", str(good), "--out", str(tmp_path / "good")]) == 0
    for value in ("junk{", 3.0, "[1, 2]", '{"a": 1}'):
        path = craft(good, tmp_path, _set_attr("watch", "watch", value))
        assert main(["report", "--result", str(path), "--out", str(tmp_path / "out")]) == 2
        assert "/watch attribute 'watch' is not the watch table" in capsys.readouterr().err
    other = json.dumps(frame.attrs | {"outcome": "zzz"}, default=str)
    crafted = {
        "/watch attribute 'watch' missing": _del_attr("watch", "watch"),
        "/watch is of outcome 'zzz', not 'invasion'": _set_attr("watch", "watch", other),
        "/watch has no 'p_invasion_if_seen'": lambda f: f["watch"].__delitem__(
            "p_invasion_if_seen"
        ),
    }
    for why, change in crafted.items():
        path = craft(good, tmp_path, change)
        for command in ("report", "charts"):
            assert main([command, "--result", str(path), "--out", str(tmp_path / "out")]) == 2
            assert why in capsys.readouterr().err


def test_text_beyond_ascii_reads_back(tmp_path, capsys):
    """netCDF4 stores a non-ASCII attribute as a one-element string array: a question in
    French, Hebrew or with an emoji must load (it made report, charts and the next run fail)."""
    question = "Sera-t-il élu ? — האם ייבחר 🙂"
    priors, evidence = write_scenario(
        tmp_path / "s", priors_dict(question=question), [item_dict("a", {"storm": 2})]
    )
    out = tmp_path / "s" / "out"
    argv = ["--priors", str(priors), "--evidence", str(evidence), "--out", str(out)]
    assert main(["run", "--no-charts", "--draws", "200", *argv]) == 0
    assert load_result(out / "posterior.nc").attrs["question"] == question
    assert main(["run", "--no-charts", "--draws", "200", *argv]) == 0  # the earlier run reads
    assert main(["report", "--out", str(out)]) == 0
    assert question in (out / "report.html").read_text(encoding="utf-8")
    capsys.readouterr()
