"""One charts-at-scale case in a fresh process (issue 11): prints JSON with the time of
``save_all`` (tables, drawing and writing PNG + SVG in two processes, as ``forecast run``
does) and the largest image side in pixels."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def png_side(path: Path) -> int:
    data = path.read_bytes()
    return max(int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))


def main() -> None:
    n_items, n_hyp, uncertain = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "uncertain"
    from synth import make_scenario

    import forecast
    from forecast.charts import save_all

    scenario = forecast.Scenario.from_dict(make_scenario(n_items, n_hyp, uncertain=uncertain))
    result = forecast.run(scenario)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = save_all(result, tmp, formats=("png", "svg"), dpi=200, processes=2)
        charts_s = time.perf_counter() - t0
        side = max(png_side(p) for p in paths if p.suffix == ".png")
    print(json.dumps({"charts_s": charts_s, "max_png_side_px": side}))


if __name__ == "__main__":
    main()
