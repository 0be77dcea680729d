"""Packaging stays consistent: dependencies, JSON Schemas, exports, README, bundled scenario."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
import yaml
from helpers import ROOT

import forecast
from forecast.scenario import EvidenceItem, Priors

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")


def _requirement(spec: str) -> tuple[str, str | None]:
    """``"Name_x >=1.2, <2"`` -> ``("name-x", "1.2")``: normalised name and lower bound."""
    m = _REQ.match(spec)
    assert m, f"cannot parse requirement {spec!r}"
    name = re.sub(r"[-_.]+", "-", m[1]).lower()
    lower = re.search(r">=\s*([^,;\s]+)", m[2])
    return name, lower[1] if lower else None


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_matches_pyproject():
    project = _pyproject()["project"]
    specs = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    wanted = dict(_requirement(s) for s in specs)
    assert len(wanted) == len(specs), "a dependency is listed twice in pyproject.toml"
    assert all(v is not None for v in wanted.values()), wanted

    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    listed: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):  # a "pip:" sub-list
            listed += dep.get("pip", [])
        else:
            listed.append(dep)
    have = dict(_requirement(s) for s in listed)
    assert len(have) == len(listed), "a dependency is listed twice in environment.yml"
    python = have.pop("python", None)
    have.pop("pip", None)
    assert python == project["requires-python"].removeprefix(">=")
    assert have == wanted


def _lock(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            package, _, version = line.partition("==")
            assert version, f"{name}: {line!r} is not pinned"
            pins[re.sub(r"[-_.]+", "-", package).lower()] = version
    return pins


def test_runtime_and_dev_locks_are_apart_and_complete():
    """make run installs requirements.lock alone: every runtime and lab dependency, no test
    or lint tool; requirements-dev.lock adds the dev extra and nothing the runtime pins."""
    project = _pyproject()["project"]
    runtime, dev = _lock("requirements.lock"), _lock("requirements-dev.lock")
    assert not set(runtime) & set(dev)
    for spec in project["dependencies"] + project["optional-dependencies"]["lab"]:
        assert _requirement(spec)[0] in runtime, spec
    for spec in project["optional-dependencies"]["dev"]:
        name = _requirement(spec)[0]
        assert name in dev and name not in runtime, spec
    assert {"pytest", "ruff", "playwright", "hypothesis"} <= set(dev)


def test_requirement_parser():
    assert _requirement("Arviz_Base >= 1.3, <2") == ("arviz-base", "1.3")
    assert _requirement("pyyaml") == ("pyyaml", None)


@pytest.mark.parametrize(
    ("name", "model"), [("priors.schema.json", Priors), ("evidence.schema.json", EvidenceItem)]
)
def test_json_schemas_are_regenerated(name, model):
    path = ROOT / "forecast" / "schema" / name
    assert json.loads(path.read_text()) == model.model_json_schema(), (
        f"{path} is stale: run 'make schema'"
    )


def test_schema_files_are_package_data():
    data = _pyproject()["tool"]["setuptools"]["package-data"]["forecast"]
    assert "schema/*.json" in data
    assert sorted(p.name for p in (ROOT / "forecast" / "schema").glob("*.json")) == [
        "evidence.schema.json",
        "priors.schema.json",
    ]


def test_every_exported_name_exists():
    assert len(forecast.__all__) == len(set(forecast.__all__))
    missing = [name for name in forecast.__all__ if not hasattr(forecast, name)]
    assert missing == []
    assert forecast.__version__ == _pyproject()["project"]["version"]


def test_console_script_points_at_main():
    assert _pyproject()["project"]["scripts"]["forecast"] == "forecast.cli:main"
    from forecast.cli import main

    assert callable(main)


def _readme_commands() -> list[str]:
    """Commands in README.md's fenced code blocks, in order, without comments or prompts."""
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip().removeprefix("$ ").strip()
            if line:
                commands.append(line)
    return commands


def test_readme_starts_with_make_run_and_make_test():
    assert _readme_commands()[:2] == ["make run", "make test"]


def test_makefile_has_the_readme_targets():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test"):
        assert re.search(rf"^{target}:", makefile, flags=re.M), target


def test_bundled_scenario_is_complete():
    s = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    assert len(s.evidence) >= 10
    assert len(s.hypotheses) >= 2
    assert any(isinstance(h.p_outcome, tuple) for h in s.priors.hypotheses.values())
    incomplete = []
    for e in s.evidence:
        raw = yaml.safe_load((ROOT / "evidence" / f"{e.id}.yaml").read_text())
        checks = {
            "quote": bool(e.quote and e.quote.strip()),
            "rationale": bool(e.rationale and e.rationale.strip()),
            "source": bool(e.source.strip()),
            "reliability": "reliability" in raw,  # given explicitly, not the default
            "intervals": any(isinstance(v, tuple) for v in e.likelihoods.values()),
            "not a template": "TODO" not in f"{e.title} {e.source} {e.quote} {e.rationale}",
        }
        incomplete += [f"{e.id}: {k}" for k, ok in checks.items() if not ok]
    assert incomplete == []
    # every group an item uses is defined, with its reason, in priors.yaml
    used = {e.group for e in s.evidence if e.group}
    assert used <= set(s.priors.groups)
    assert all(s.priors.groups[g].description for g in used)


def test_checking_files_imports_no_computation_stack():
    """`forecast validate` (and `import forecast`) stay quick: no xarray, scipy, matplotlib."""
    import subprocess
    import sys

    code = (
        "import sys, forecast, forecast.cli; "
        "forecast.cli.main(['validate', '--priors', sys.argv[1], '--evidence', sys.argv[2]]); "
        "heavy = [m for m in ('xarray', 'scipy', 'matplotlib', 'pandas') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    args = [sys.executable, "-c", code, str(ROOT / "priors.yaml"), str(ROOT / "evidence")]
    subprocess.run(args, check=True, timeout=120, capture_output=True)
    assert forecast.run.__module__ == "forecast.inference"  # and the names still resolve
