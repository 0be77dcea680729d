"""Outputs of ``forecast run`` byte-identical to the stored reference (see tests/stored_outputs.py).

A change meant to change outputs regenerates the reference:
``PYTHONPATH=$PWD .venv/bin/python tests/stored_outputs.py --write``.
"""

from __future__ import annotations

import json

import pytest
from stored_outputs import REFERENCE, produce


@pytest.mark.slow
def test_run_outputs_match_the_stored_reference(tmp_path):
    expected = json.loads(REFERENCE.read_text())
    got = produce(tmp_path)
    for scenario, files in expected.items():
        assert sorted(got[scenario]) == sorted(files), scenario
        changed = [name for name, digest in files.items() if got[scenario][name] != digest]
        assert not changed, f"{scenario}: outputs changed: {changed}"
