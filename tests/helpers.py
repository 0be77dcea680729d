"""Plain test helpers and constants shared by the test files (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert('x')</script> & \"quoted\""
URL = "https://example.org/source?id=1&x=2"


def write_scenario(folder: Path, priors: dict, items: list[dict]) -> tuple[Path, Path]:
    """Write priors.yaml and evidence/<id>.yaml files; returns (priors path, evidence dir)."""
    folder.mkdir(parents=True, exist_ok=True)
    priors_path = folder / "priors.yaml"
    priors_path.write_text(yaml.safe_dump(priors, sort_keys=False))
    evidence = folder / "evidence"
    evidence.mkdir(exist_ok=True)
    for item in items:
        (evidence / f"{item['id']}.yaml").write_text(yaml.safe_dump(item, sort_keys=False))
    return priors_path, evidence


def priors_dict(**over) -> dict:
    base = {
        "question": "Will it happen?",
        "outcome": "event",
        "hypotheses": {
            "calm": {"prior": 0.6, "p_outcome": 0.1},
            "storm": {"prior": 0.4, "p_outcome": 0.8},
        },
    }
    base.update(over)
    return base


def item_dict(id: str, likelihoods: dict, date: str = "2022-02-15", **over) -> dict:
    base = {
        "id": id,
        "date": date,
        "title": f"item {id}",
        "source": "test",
        "likelihoods": likelihoods,
    }
    base.update(over)
    return base


def copy_bundled(work: Path, *folders: str) -> Path:
    """Copy the bundled ``priors.yaml`` and ``evidence/`` into ``work`` (created), with the
    repository's other named folders (``"indicators"``, ``"notebooks"``); returns ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "priors.yaml", work / "priors.yaml")
    for name in ("evidence", *folders):
        shutil.copytree(ROOT / name, work / name)
    return work


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def forbid_sampling(monkeypatch) -> list[str]:
    """Make every route to a new sample record its name and raise; returns the record.

    Patched where the callers look the names up: ``forecast.run`` (lazy attribute),
    ``forecast.inference.run`` (the CLI and widgets import it from there at call time) and
    ``band_draws`` both in ``forecast.band`` and as imported into ``forecast.inference``.
    A test asserts the returned list is empty after the code under test ran.
    """
    import forecast
    import forecast.band
    import forecast.inference

    calls: list[str] = []
    targets = [
        (forecast, "run"),
        (forecast.inference, "run"),
        (forecast.inference, "band_draws"),
        (forecast.band, "band_draws"),
    ]
    for module, name in targets:
        where = f"{module.__name__}.{name}"

        def refuse(*args, _where=where, **kwargs):
            calls.append(_where)
            raise AssertionError(f"{_where} called: must not re-sample")

        monkeypatch.setattr(module, name, refuse)
    return calls
