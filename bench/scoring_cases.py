"""Benchmark cases of issue 14: scoring 200 resolved scenarios of 20 items (<= 10 s, one
process, loading included) and recalibration on 200 questions (<= 60 s).

``python bench/scoring_cases.py`` prints the figures as JSON; ``bench/run.py`` adds them to
its table. Each case runs in a fresh process on SYNTHETIC scenarios written to a temporary
folder (``forecast.synthetic_portfolio``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCORE_TARGET_S, RECAL_TARGET_S = 10.0, 60.0
N_SCENARIOS, N_ITEMS = 200, 20


def write_portfolio(folder: Path, n: int = N_SCENARIOS, items: int = N_ITEMS) -> list[Path]:
    """``n`` synthetic resolved scenarios as folders (priors.yaml + evidence/<id>.yaml)."""
    import yaml

    sys.path.insert(0, str(ROOT))
    import forecast

    dirs = []
    for i, q in enumerate(forecast.synthetic_portfolio(n, items, s=0.8, seed=11)):
        d = folder / f"synthetic-{i:03d}"
        (d / "evidence").mkdir(parents=True)
        data = q.to_dict()
        (d / "priors.yaml").write_text(yaml.safe_dump(data["priors"], sort_keys=False))
        for e in data["evidence"]:
            (d / "evidence" / f"{e['id']}.yaml").write_text(yaml.safe_dump(e, sort_keys=False))
        dirs.append(d)
    return dirs


_SCORE = """
import sys, time, json
t0 = time.perf_counter()
import forecast
from forecast.scoring import load_scenarios, score_entries, calibration, postmortem
loaded = load_scenarios(sys.argv[1:])
t1 = time.perf_counter()
scores = score_entries(loaded)
cal = calibration(scores)
t2 = time.perf_counter()
post = [postmortem(s) for s in scores.attrs["scored"]]
t3 = time.perf_counter()
print(json.dumps({"total_s": t2 - t0, "load_s": t1 - t0, "score_s": t2 - t1,
                  "postmortem_s": t3 - t2, "n": len(scores)}))
"""

_RECAL = """
import sys, time, json
t0 = time.perf_counter()
import forecast
from forecast.scoring import load_scenarios, score_entries
scores = score_entries(load_scenarios(sys.argv[1:]))
t1 = time.perf_counter()
rec = forecast.recalibrate(scores, seed=0)
t2 = time.perf_counter()
row = rec.table.iloc[0]
print(json.dumps({"total_s": t2 - t0, "fit_s": t2 - t1, "median": row["median"],
                  "r_hat": row["r_hat"], "ess": row["ess"]}))
"""


def _fresh(code: str, dirs: list[Path]) -> dict:
    env_path = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, dirs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONPATH": env_path},
    )
    if proc.returncode != 0:
        return {"status": "failed: " + proc.stderr.strip()[-300:]}
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    got["status"] = "ok"
    return got


def bench_scoring(quick: bool = False) -> dict:
    """Both cases, each in a fresh process, plus the CLI's wall time (``quick``: scoring only)."""
    with tempfile.TemporaryDirectory() as tmp:
        dirs = write_portfolio(Path(tmp))
        res = {"score": _fresh(_SCORE, dirs)}
        if quick:
            return res
        t0 = time.perf_counter()
        cli = subprocess.run(
            [sys.executable, "-m", "forecast", "score", *map(str, dirs), "--out", f"{tmp}/out"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        res["score_cli_wall_s"] = time.perf_counter() - t0
        res["score_cli_ok"] = cli.returncode == 0
        res["recalibrate"] = _fresh(_RECAL, dirs)
    return res


def scoring_rows(res: dict) -> list[tuple[str, str, str, str, str]]:
    """Rows for bench/run.py's table."""
    if not res:
        return []
    rows = []
    s = res["score"]
    if s["status"] == "ok":
        met = "met" if s["total_s"] <= SCORE_TARGET_S else "MISSED"
        rows.append((f"score {N_SCENARIOS} scenarios x {N_ITEMS} items (one process, loading "
                     "included)", f"{s['total_s']:.2f} s", f"load {s['load_s']:.2f} s",
                     "<= 10 s", met))  # fmt: skip
        rows.append(("  + post-mortem (Shapley of ln p_o, forecast.attribution)",
                     f"{s['postmortem_s']:.2f} s", "", "", ""))  # fmt: skip
        if "score_cli_wall_s" in res:
            rows.append(("`forecast score` CLI on them (wall, charts included)",
                         f"{res['score_cli_wall_s']:.2f} s", "", "", ""))  # fmt: skip
    else:
        rows.append(("score 200 scenarios", s["status"], "", "<= 10 s", "MISSED"))
    r = res.get("recalibrate", {"status": "not run (--quick)"})
    if r["status"] == "ok":
        met = "met" if r["total_s"] <= RECAL_TARGET_S else "MISSED"
        rows.append((f"recalibrate on {N_SCENARIOS} questions (fresh process, compile included)",
                     f"{r['total_s']:.1f} s", f"fit {r['fit_s']:.1f} s, R-hat {r['r_hat']:.3f}",
                     "<= 60 s", met))  # fmt: skip
    else:
        verdict = "" if r["status"].startswith("not run") else "MISSED"
        rows.append(("recalibrate on 200 questions", r["status"], "", "<= 60 s", verdict))
    return rows


if __name__ == "__main__":
    print(json.dumps(bench_scoring(), indent=1))
