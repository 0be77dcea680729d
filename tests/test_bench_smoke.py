"""Smoke test of the benchmark suite: ``bench/run.py --quick --no-baseline`` runs end to end."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bench_quick_writes_table(tmp_path):
    out = tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--no-baseline",
         "--out", str(out), "--timeout", "60", "--mem-cap-gb", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = out.read_text()
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| figure")
    }
    expected = [
        "cold: `forecast run --out tmp` (wall, charts included)",
        "cold, import caches cold too (no .pyc, new matplotlib font cache)",
        "cold phase: import forecast",
        "cold phase: charts (forecast.charts.save_all)",
        "cold phase: load_scenario",
        "cold phase: run",
        "cold phase: save_result",
        "warm run after updated (one likelihood changed)",
        "warm run after with_item (one item added)",
        "warm run after without (one item dropped)",
        "warm probabilities(encode(s)) only",
        "scale exact H=2 N=10",
        "scale exact H=5 N=1000",
        "scale uncertain H=2 N=10",
        "scale uncertain H=5 N=100",
    ]
    for name in expected:
        assert name in rows, f"missing row {name!r}"
    number = re.compile(r"([0-9.]+) (us|ms|s)\b")
    for name in expected:
        m = number.match(rows[name][0])
        assert m and float(m.group(1)) > 0, (name, rows[name])
    assert re.search(r"Machine: \d+ cores", text)
    raw = json.loads(out.with_suffix(".json").read_text())
    assert raw["warm"]["probabilities"]["median"] > 0
    assert all(r["N"] <= 1000 for r in raw["scaling"])
    # the report can be rewritten from the saved results without measuring again
    again = tmp_path / "AGAIN.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--render", str(out.with_suffix(".json")),
         "--out", str(again)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert again.read_text() == text
