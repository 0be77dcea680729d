"""One charts-at-scale case in a fresh process (issue 11): prints JSON with the time of
``save_all`` (tables, drawing and writing PNG + SVG in two processes, as ``forecast run``
does), the CPU seconds it took (all processes: a steadier figure on a busy machine) and the
largest image side in pixels."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def png_side(path: Path) -> int:
    data = path.read_bytes()
    return max(int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))


def cpu_s() -> float:
    """CPU seconds of this process and its waited-for children (the forked renderer)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def main() -> None:
    n_items, n_hyp, uncertain = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "uncertain"
    from synth import make_scenario

    import forecast
    from forecast.charts import save_all

    scenario = forecast.Scenario.from_dict(make_scenario(n_items, n_hyp, uncertain=uncertain))
    result = forecast.run(scenario)
    with tempfile.TemporaryDirectory() as tmp:
        c0, t0 = cpu_s(), time.perf_counter()
        paths = save_all(result, tmp, formats=("png", "svg"), dpi=200, processes=2)
        charts_s, cpu = time.perf_counter() - t0, cpu_s() - c0
        side = max(png_side(p) for p in paths if p.suffix == ".png")
    print(json.dumps({"charts_s": charts_s, "charts_cpu_s": cpu, "max_png_side_px": side}))


if __name__ == "__main__":
    main()
