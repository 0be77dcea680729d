"""The cold bundled ``forecast run``, wall and CPU, with and without charts (issue 21, point 13).

``python bench/run.py --only cold``: each run in a fresh process, ``repeats`` times, alternating
the two variants; CPU is user + system time of the process and the chart worker it forks
(``RUSAGE_CHILDREN``), which on a shared machine says more than the wall time. The load average
(1 minute) is read before and after.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

VARIANTS = {"charts": [], "no charts": ["--no-charts"]}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bench_cold_cpu(cli: str, root: Path, repeats: int = 5) -> dict:
    """Median and range of wall and CPU seconds of ``forecast run --out <tmp>``, per variant.

    Examples
    --------
    >>> bench_cold_cpu("forecast", Path("."), repeats=1)["charts"]["cpu"]["median"]  # doctest: +SKIP
    4.9
    """
    seen: dict[str, dict[str, list[float]]] = {v: {"wall": [], "cpu": []} for v in VARIANTS}
    load_before = os.getloadavg()[0]
    for _ in range(repeats):
        for name, flags in VARIANTS.items():
            with tempfile.TemporaryDirectory() as tmp:
                c0, t0 = _cpu(), time.perf_counter()
                subprocess.run(
                    [cli, "run", "--out", tmp, *flags], cwd=root, check=True, capture_output=True
                )
                seen[name]["wall"].append(time.perf_counter() - t0)
                seen[name]["cpu"].append(_cpu() - c0)
    out: dict = {
        name: {
            k: {"median": statistics.median(v), "min": min(v), "max": max(v)}
            for k, v in kinds.items()
        }
        for name, kinds in seen.items()
    }
    out["load"] = {"before": load_before, "after": os.getloadavg()[0]}
    return out


def rows(res: dict) -> list[str]:
    """Lines to print: one per variant and measure, then the load."""
    lines = []
    for name in VARIANTS:
        for kind in ("wall", "cpu"):
            v = res[name][kind]
            lines.append(
                f"cold forecast run, {name}, {kind}: median {v['median']:.2f} s "
                f"({v['min']:.2f}-{v['max']:.2f})"
            )
    lines.append(
        f"load average (1 min): {res['load']['before']:.1f} before, {res['load']['after']:.1f} after"
    )
    return lines
