"""Stored outputs of ``forecast run``: hashes of every file written, to show a move changed nothing.

Two runs: the bundled scenario (charts, report, watch) and a seeded 2,000-item synthetic scenario
(``--no-charts``). Each file is hashed byte for byte except ``posterior.nc`` (netCDF holds its own
write time; its trajectory is in trajectory.csv); timestamps, the output path and the checkout's
path are blanked (in ``report.html`` and the terminal text), so that the hashes do not depend on
where the repository is.

Regenerate the reference after a change that is meant to change outputs (a new feature)::

    PYTHONPATH=$PWD .venv/bin/python tests/stored_outputs.py --write

and say in the commit why the outputs changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "stored_outputs.json"
SKIPPED = ("posterior.nc",)
STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")


def _digest(data: bytes, out: Path) -> str:
    data = data.replace(str(out).encode(), b"<out>").replace(str(ROOT).encode(), b"<root>")
    return hashlib.sha256(STAMP.sub(b"<time>", data)).hexdigest()


def _run(argv: list[str], out: Path) -> dict[str, str]:
    """Run ``forecast`` in-process; return the sha256 of each file in ``out`` and of its text."""
    from forecast.cli import main

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        code = main([*argv, "--out", str(out)])
    if code != 0:
        raise RuntimeError(f"forecast {' '.join(argv)} exited with {code}")
    hashes = {"<stdout>": _digest(text.getvalue().encode(), out)}
    for path in sorted(out.iterdir()):
        if path.name not in SKIPPED:
            hashes[path.name] = _digest(path.read_bytes(), out)
    return hashes


def synthetic(folder: Path, n_items: int = 2000) -> tuple[Path, Path]:
    """Write the seeded ``n_items`` synthetic scenario (bench/synth.py) into ``folder``."""
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers import write_scenario
    from synth import make_scenario

    spec = make_scenario(n_items, 4, uncertain=True, seed=0)
    return write_scenario(folder, spec["priors"], spec["evidence"])


def produce(work: Path) -> dict[str, dict[str, str]]:
    """Run both scenarios under ``work``; return the hashes by scenario and file name."""
    priors, evidence = synthetic(work / "synthetic")
    bundled = ["run", "--priors", str(ROOT / "priors.yaml"), "--evidence", str(ROOT / "evidence")]
    bundled += ["--indicators", str(ROOT / "indicators")]
    large = ["run", "--priors", str(priors), "--evidence", str(evidence), "--no-charts"]
    return {
        "bundled": _run(bundled, work / "out_bundled"),
        "synthetic_2000": _run(large, work / "out_synthetic"),
    }


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        hashes = produce(Path(tmp))
    if "--write" in sys.argv[1:]:
        REFERENCE.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
        print(f"wrote {REFERENCE}")
    else:
        print(json.dumps(hashes, indent=1, sort_keys=True))
