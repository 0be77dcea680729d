"""The benchmark suite of forecast (issue 5): ``make bench`` / ``python bench/run.py``.

Prints a table and writes bench/RESULTS.md (and a JSON sidecar with every raw figure):

1. cold main job: ``forecast run --out <tmp>`` in a fresh process, and its phases;
2. warm update latency: ``forecast.run`` after one edit, in one process;
3. scaling: synthetic scenarios, N items x H hypotheses, exact and uncertain, each case in a
   fresh process (time, peak RSS; killed at --timeout seconds or --mem-cap-gb);
4. the hand-written PyMC baseline (bench/baseline_pymc.py) against forecast, both checked
   against an importance-sampling reference (bench/reference.py);
5. attribution (issue 10): ``forecast.shapley`` on the bundled scenario, 2,000 exact items
   and 10,000 uncertain items x 5 hypotheses, each in a fresh process.

6. the live what-if panel (bench/whatif.py): one update, the chart's Python side, a warm run,
   10,000 items; the as-of slider's moves (bench/asof_slider.py).

Options: ``--quick`` (N <= 1000, fewer repeats), ``--no-baseline``, ``--out PATH``,
``--only attribution``, ``--only whatif``, ``--only time``, ``--only cold`` or ``--only portfolio``
(that section alone: prints its table; whatif also writes bench/RESULTS_whatif.json;
portfolio is bench/portfolio_bench.py: 200 synthetic folders, --workers 1 against 2, and the
Dask route's overhead).
``--only cold`` is bench/cold_case.py: the cold run's wall and CPU, with and without charts.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import numpy as np  # noqa: E402
from charts_bench import bench_charts, chart_rows  # noqa: E402
from whatif import bench_whatif  # noqa: E402
from whatif import rows as whatif_rows  # noqa: E402

PY = sys.executable
FORECAST_CLI = str(Path(PY).with_name("forecast"))
WARM_TARGET_S = 0.020
COLD_TARGET_S = 3.0
SCALE_TARGET_S, SCALE_TARGET_MB = 10.0, 2048.0
ATTRIBUTION_CASES = {  # name: (arguments of _attribution_case.py, target s, MCSE target)
    "bundled scenario": (["bundled"], 0.3, None),
    "2,000 exact items x 5 hypotheses": (["2000", "5", "exact"], 5.0, 0.002),
    "10,000 uncertain items x 5 hypotheses": (["10000", "5", "uncertain"], 30.0, None),
    "2,000 exact items x 4 hypotheses, one group of 286": (
        ["2000", "4", "exact", "286"],
        3.0,
        0.002,
    ),
}


# ----------------------------------------------------------------------------- helpers
def summary(xs: list[float]) -> dict:
    a = np.asarray(xs, dtype=float)
    q1, q3 = np.percentile(a, [25, 75])
    return {
        "median": float(np.median(a)),
        "min": float(a.min()),
        "max": float(a.max()),
        "iqr": [float(q1), float(q3)],
        "n": int(a.size),
        "values": a.tolist(),
    }


def fmt_s(x: float) -> str:
    if x < 1e-3:
        return f"{x * 1e6:.0f} us"
    if x < 1:
        return f"{x * 1e3:.1f} ms"
    return f"{x:.2f} s"


def spread(s: dict) -> str:
    return f"{fmt_s(s['min'])} - {fmt_s(s['max'])} (n={s['n']})"


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    versions = {}
    for name in ("forecast", "numpy", "scipy", "xarray", "pymc", "pytensor", "nutpie", "arviz"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "loadavg_at_start": load,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "versions": versions,
    }


def profile_top(fn, n: int = 15) -> str:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(n)
    return _trim_profile(buf.getvalue())


def _trim_profile(text: str) -> str:
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if "function calls" in ln), 0)
    keep = [ln.replace(str(ROOT) + "/", "") for ln in lines[start:] if ln.strip()]
    return "\n".join(keep)


# ----------------------------------------------------------------------------- 1. cold
def bench_cold(repeats: int, phase_repeats: int) -> dict:
    walls = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            subprocess.run(
                [FORECAST_CLI, "run", "--out", tmp],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            walls.append(time.perf_counter() - t0)
    # import caches cold: no bytecode (.pyc) to reuse, a new matplotlib font cache
    cold_caches = []
    for _ in range(max(1, repeats // 2)):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, PYTHONPYCACHEPREFIX=f"{tmp}/pyc", MPLCONFIGDIR=f"{tmp}/mpl")
            t0 = time.perf_counter()
            subprocess.run(
                [FORECAST_CLI, "run", "--out", f"{tmp}/out"],
                cwd=ROOT,
                check=True,
                capture_output=True,
                env=env,
            )
            cold_caches.append(time.perf_counter() - t0)
    phases: dict[str, list[float]] = {}
    errors = []
    for _ in range(phase_repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [PY, str(HERE / "_phases.py")], cwd=ROOT, check=True, capture_output=True, text=True
        )
        total = time.perf_counter() - t0
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        for k, v in got.items():
            if isinstance(v, str):
                errors.append(f"{k}: {v}")
                continue
            phases.setdefault(k, []).append(v)
        known = sum(v for v in got.values() if not isinstance(v, str))
        phases.setdefault("interpreter start-up + exit (rest)", []).append(total - known)
    return {
        "wall": summary(walls),
        "wall_cold_caches": summary(cold_caches),
        "phases": {k: summary(v) for k, v in phases.items()},
        "charts": any(k.startswith("charts") for k in phases),
        "errors": errors,
    }


# ----------------------------------------------------------------------------- 2. warm
def bench_warm(repeats: int) -> dict:
    import forecast
    from forecast.model import encode, probabilities

    scenario = forecast.load_scenario(ROOT / "priors.yaml", ROOT / "evidence")
    forecast.run(scenario)  # the first run: imports, caches, compiled code
    target = scenario.evidence[len(scenario.evidence) // 2]
    hyp = scenario.hypotheses[-1]
    extra = {
        "id": "bench-extra-item",
        "date": str(scenario.evidence[-1].date),
        "title": "benchmark item",
        "source": "bench",
        "likelihoods": {hyp: [1.2, 2.5]},
        "reliability": 0.8,
    }
    edits = {
        "updated (one likelihood changed)": lambda j: scenario.updated(
            target.id, likelihoods={hyp: [1.0 + 0.01 * j, 3.0 + 0.01 * j]}
        ),
        "with_item (one item added)": lambda j: scenario.with_item(
            {**extra, "likelihoods": {hyp: [1.2 + 0.01 * j, 2.5]}}
        ),
        "without (one item dropped)": lambda j: scenario.without(
            scenario.ids[j % len(scenario.ids)]
        ),
    }
    out: dict = {"run": {}, "edit": {}}
    for name, edit in edits.items():
        runs, eds = [], []
        for j in range(repeats):
            t0 = time.perf_counter()
            s = edit(j)
            t1 = time.perf_counter()
            forecast.run(s)
            t2 = time.perf_counter()
            eds.append(t1 - t0)
            runs.append(t2 - t1)
        out["run"][name] = summary(runs)
        out["edit"][name] = summary(eds)
    probs = []
    for j in range(max(repeats, 10)):
        s = edits["updated (one likelihood changed)"](j)
        t0 = time.perf_counter()
        probabilities(encode(s))
        probs.append(time.perf_counter() - t0)
    out["probabilities"] = summary(probs)
    worst = max(v["median"] for v in out["run"].values())
    if worst > WARM_TARGET_S:
        s = edits["updated (one likelihood changed)"](999)
        out["profile_run"] = profile_top(lambda: forecast.run(s), 22)
    if out["probabilities"]["median"] > WARM_TARGET_S:
        s = edits["updated (one likelihood changed)"](998)
        out["profile_probabilities"] = profile_top(lambda: probabilities(encode(s)), 14)
    return out


# ----------------------------------------------------------------------------- 3. scaling
def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_case(args: list[str], timeout: float, mem_cap_mb: float) -> dict:
    """One fresh process; killed (by its own pid) past ``timeout`` s or ``mem_cap_mb`` RSS."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [PY, str(HERE / "_scale_case.py"), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak, status = 0.0, "ok"
    while proc.poll() is None:
        peak = max(peak, _rss_mb(proc.pid))
        elapsed = time.perf_counter() - t0
        if elapsed > timeout:
            status = f"stopped after {timeout:.0f} s"
        elif peak > mem_cap_mb:
            status = f"stopped at {peak / 1024:.1f} GB RSS after {elapsed:.0f} s"
        else:
            time.sleep(0.05)
            continue
        proc.kill()
        proc.wait()
        return {"status": status, "wall_s": elapsed, "peak_rss_mb": peak}
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"status": f"failed: {stderr.strip().splitlines()[-1:]}", "wall_s": wall}
    got = json.loads(stdout.strip().splitlines()[-1])
    got.update(status="ok", wall_s=wall)
    return got


def bench_scaling(ns, hs, repeats: int, timeout: float, mem_cap_mb: float) -> list[dict]:
    rows = []
    for kind in ("exact", "uncertain"):
        for h in hs:
            failed = None
            for n in ns:
                row = {"kind": kind, "H": h, "N": n}
                if failed:
                    row["status"] = f"not run (N={failed} already stopped)"
                    rows.append(row)
                    continue
                runs = [run_case([str(n), str(h), kind], timeout, mem_cap_mb)]
                if runs[0]["status"] == "ok":
                    runs += [run_case([str(n), str(h), kind], timeout, mem_cap_mb)
                             for _ in range(repeats - 1)]  # fmt: skip
                ok = [r for r in runs if r["status"] == "ok"]
                if len(ok) < len(runs):
                    bad = next(r for r in runs if r["status"] != "ok")
                    row.update(status=bad["status"], peak_rss_mb=bad.get("peak_rss_mb"))
                    failed = n
                else:
                    row.update(
                        status="ok",
                        run=summary([r["run_s"] for r in ok]),
                        peak_rss_mb=float(np.median([r["peak_rss_mb"] for r in ok])),
                        import_rss_mb=float(np.median([r["import_rss_mb"] for r in ok])),
                    )
                rows.append(row)
                print(f"  scaling {kind} H={h} N={n}: {row['status']}", file=sys.stderr)
    return rows


def profile_case(args: list[str]) -> str:
    """cProfile of one scaling case in a fresh process (top functions by cumulative time)."""
    with tempfile.TemporaryDirectory() as tmp:
        prof = Path(tmp) / "case.prof"
        subprocess.run(
            [PY, "-m", "cProfile", "-o", str(prof), str(HERE / "_scale_case.py"), *args],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        buf = io.StringIO()
        pstats.Stats(str(prof), stream=buf).sort_stats("cumulative").print_stats(
            r"forecast/|_logsumexp|numpy/_core"
        )
        return "\n".join(_trim_profile(buf.getvalue()).splitlines()[:32])


# ----------------------------------------------------------------------------- 4. baseline
def bench_baseline(which: str) -> dict:
    from reference import reference
    from spec import load, parse

    out: dict = {"scenario": which}
    with tempfile.TemporaryDirectory() as tmp:
        # forecast's fresh process is cheap: its median of 5; the PyMC loop once
        for tool, script, repeats in (
            ("forecast", "_fast_case.py", 5),
            ("pymc", "baseline_pymc.py", 1),
        ):
            path = Path(tmp) / f"{tool}.json"
            walls = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [PY, str(HERE / script), which, "--out", str(path)],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                walls.append(time.perf_counter() - t0)
                if proc.returncode != 0:
                    break
            if proc.returncode != 0:
                out[tool] = {"wall_s": walls[-1], "error": proc.stderr.strip().splitlines()[-3:]}
                continue
            out[tool] = {
                "wall_s": float(np.median(walls)),
                "walls": summary(walls),
                **json.loads(path.read_text()),
            }
    t0 = time.perf_counter()
    out["reference"] = reference(parse(load(which)))
    out["reference"]["time_s"] = time.perf_counter() - t0
    ref = np.asarray(out["reference"]["p_outcome"])
    for tool in ("forecast", "pymc"):
        if "p_outcome" in out[tool]:
            err = np.abs(np.asarray(out[tool]["p_outcome"]) - ref)
            out[tool]["max_error"] = float(err.max())
            out[tool]["max_error_step"] = int(err.argmax())
            for b in ("low", "high"):
                berr = np.abs(np.asarray(out[tool][b]) - np.asarray(out["reference"][b]))
                out[tool][f"max_{b}_error"] = float(berr.max())
    return out


# ----------------------------------------------------------------------------- 5. attribution
def bench_attribution(quick: bool) -> dict:
    """Each case in fresh processes (median of 3, of 1 for the large cases in --quick)."""
    out = {}
    for name, (args, target, _) in ATTRIBUTION_CASES.items():
        if quick and args[0] == "10000":
            continue
        repeats = 3 if args[0] == "bundled" or not quick else 1
        runs = []
        for _ in range(repeats):
            proc = subprocess.run(
                [PY, str(HERE / "_attribution_case.py"), *args],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=max(120.0, 10 * target),
            )
            if proc.returncode != 0:
                runs = [{"error": proc.stderr.strip().splitlines()[-1:]}]
                break
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        if "error" in runs[0]:
            out[name] = runs[0]
        else:
            out[name] = {**runs[-1], "wall": summary([r["wall_s"] for r in runs]),
                         "cpu": summary([r["cpu_s"] for r in runs])}  # fmt: skip
        print(f"  attribution {name}: done", file=sys.stderr)
    return out


def attribution_rows(res: dict) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for name, got in res.items():
        target, mcse_target = ATTRIBUTION_CASES[name][1:]
        if "error" in got:
            rows.append((f"attribution {name}", "failed", str(got["error"]), "", "MISSED"))
            continue
        med = got["wall"]["median"]
        how = got["method"] + (
            f", {got['n_permutations']} orders, max MCSE {got['max_mcse']:.4f} "
            f"(P(h): {got['max_mcse_hypothesis']:.4f})"
            if got["method"] != "exact"
            else ""
        )
        met = med <= target and (mcse_target is None or got["max_mcse"] <= mcse_target)
        goal = f"<= {target:g} s" + (f", MCSE <= {mcse_target:g}" if mcse_target else "")
        rows.append((f"attribution {name} ({how}; CPU {fmt_s(got['cpu']['median'])})",
                     fmt_s(med), spread(got["wall"]), goal, "met" if met else "MISSED"))  # fmt: skip
    return rows


# ----------------------------------------------------------------------------- report
def build_rows(res: dict) -> list[tuple[str, str, str, str, str]]:
    """(figure, median, spread, target, verdict) rows of the table."""
    rows = []
    if "cold" not in res:  # --only whatif
        return whatif_rows(res["whatif"], summary, fmt_s, spread)
    c = res["cold"]
    cold = c["wall"]["median"]
    rows.append(("cold: `forecast run --out tmp` (wall, charts included)", fmt_s(cold),
                 spread(c["wall"]), "<= 3 s",
                 "met" if cold <= COLD_TARGET_S else f"MISSED ({cold:.1f} s)"))  # fmt: skip
    if "wall_cold_caches" in c:
        v = c["wall_cold_caches"]
        rows.append(("cold, import caches cold too (no .pyc, new matplotlib font cache)",
                     fmt_s(v["median"]), spread(v), "", ""))  # fmt: skip
    for k, v in c["phases"].items():
        rows.append((f"cold phase: {k}", fmt_s(v["median"]), spread(v), "", ""))
    w = res["warm"]
    for k, v in w["run"].items():
        m = v["median"]
        verdict = "met" if m <= WARM_TARGET_S else f"MISSED ({m / WARM_TARGET_S:.0f}x over)"
        rows.append((f"warm run after {k}", fmt_s(m), spread(v), "<= 20 ms", verdict))
    p = w["probabilities"]
    verdict = "met" if p["median"] <= WARM_TARGET_S else f"over ({p['median'] / 0.02:.1f}x)"
    rows.append(("warm probabilities(encode(s)) only", fmt_s(p["median"]), spread(p),
                 "(<= 20 ms)", verdict))  # fmt: skip
    for r in res["scaling"]:
        name = f"scale {r['kind']} H={r['H']} N={r['N']}"
        target, verdict = "", ""
        if r["kind"] == "uncertain" and r["H"] == 5 and r["N"] == 10000:
            target = "<= 10 s, <= 2 GB"
        if r["status"] != "ok":
            if target:
                verdict = "MISSED"
            rows.append((name, r["status"], "", target, verdict))
            continue
        med = r["run"]["median"]
        if target:
            met = med <= SCALE_TARGET_S and r["peak_rss_mb"] <= SCALE_TARGET_MB
            verdict = "met" if met else "MISSED"
        rows.append((name, f"{fmt_s(med)}, {r['peak_rss_mb']:.0f} MB peak RSS",
                     spread(r["run"]), target, verdict))  # fmt: skip
    if "whatif" in res:
        rows += whatif_rows(res["whatif"], summary, fmt_s, spread)
    rows += chart_rows(res.get("charts_at_scale", []))  # bench/charts_bench.py
    for b in res.get("baseline", []):
        f, pm_ = b["forecast"], b["pymc"]
        tag = f"baseline [{b['scenario']}]"
        f_spread = spread(f["walls"]) if "walls" in f else "n=1"
        rows.append((f"{tag} forecast, fresh process", fmt_s(f["wall_s"]), f_spread, "", ""))
        if "error" in pm_:
            rows.append((f"{tag} PyMC baseline", "failed", str(pm_["error"]), "", ""))
            continue
        rows.append((f"{tag} PyMC baseline, fresh process", fmt_s(pm_["wall_s"]), "n=1", "", ""))
        ratio = pm_["wall_s"] / f["wall_s"]
        rows.append((f"{tag} time ratio PyMC / forecast", f"{ratio:.0f}x", "", ">= 50x",
                     "met" if ratio >= 50 else f"MISSED ({ratio:.0f}x)"))  # fmt: skip
        se = max(b["reference"]["se"])
        fe, pe = f.get("max_error", np.nan), pm_.get("max_error", np.nan)
        rows.append((f"{tag} largest error forecast / PyMC", f"{fe:.4f} / {pe:.4f}",
                     f"reference SE <= {se:.4f}", "forecast smaller",
                     "met" if fe < pe else "MISSED"))  # fmt: skip
    rows += attribution_rows(res.get("attribution", {}))
    return rows + _scoring_rows(res)


def _scoring_rows(res: dict) -> list:
    from scoring_cases import scoring_rows

    return scoring_rows(res.get("scoring", {}))


def table(rows) -> str:
    head = ("figure", "median", "spread (min - max)", "target", "verdict")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_markdown(res: dict, rows, path: Path) -> None:
    m = res["machine"]
    out = [
        "# forecast benchmarks",
        "",
        f"Written by `bench/run.py {' '.join(res['argv'])}` on {m['date']}.",
        "",
        f"- Machine: {m['nproc']} cores, {m['cpu']}, {m['memory']} RAM; {m['platform']}",
        f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"- Load average at start: {m['loadavg_at_start']}"
        + (
            ". **Other work was running on this 2-core machine**: absolute times are noisy and "
            "pessimistic; the spreads show by how much."
            if float(m["loadavg_at_start"].split()[0]) > 0.5
            else " (an otherwise idle machine)."
        ),
        "",
        "## Table",
        "",
        table(rows),
        "",
    ]
    w = res["warm"]
    for key, title in (("profile_run", "warm `forecast.run` after one edit"),
                       ("profile_probabilities", "warm `probabilities(encode(s))`")):  # fmt: skip
        if key in w:
            out += [f"## Profile: {title}", "", "```", w[key], "```", ""]
    if "scaling_profile" in res:
        out += [
            f"## Profile: scaling case {res['scaling_profile']['case']}",
            "",
            "```",
            res["scaling_profile"]["text"],
            "```",
            "",
        ]
    out += res.get("notes", [])
    analysis = HERE / "ANALYSIS.md"
    if analysis.exists():
        out += ["", analysis.read_text().rstrip()]
    path.write_text("\n".join(out) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N <= 1000 and fewer repeats")
    ap.add_argument("--no-baseline", action="store_true", help="skip the PyMC comparison")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"), help="markdown report path")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per scaling case")
    ap.add_argument("--mem-cap-gb", type=float, default=6.0, help="RSS cap per scaling case")
    ap.add_argument(
        "--only",
        choices=["attribution", "whatif", "portfolio", "time", "cold"],
        help="run one section and print its table (whatif also writes RESULTS_whatif.json)",
    )
    ap.add_argument(
        "--render", metavar="JSON", help="measure nothing: rewrite the report from saved results"
    )
    args = ap.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    if args.only == "attribution":
        print(table(attribution_rows(bench_attribution(args.quick))))
        return 0
    if args.only == "cold":  # bench/cold_case.py: wall and CPU, with and without charts
        from cold_case import bench_cold_cpu
        from cold_case import rows as cold_rows

        print("\n".join(cold_rows(bench_cold_cpu(FORECAST_CLI, ROOT, 2 if args.quick else 5))))
        return 0
    if args.only == "time":  # bench/time_case.py: a 3,650-day window with 2,000 items
        size = ["500", "365"] if args.quick else []
        subprocess.run([PY, str(HERE / "time_case.py"), *size], check=True)
        return 0
    if args.only == "portfolio":  # bench/portfolio_bench.py: many folders, local and Dask
        from portfolio_bench import bench_portfolio
        from portfolio_bench import rows as portfolio_rows

        for line in portfolio_rows(bench_portfolio(40 if args.quick else 200)):
            print("  ".join(line))
        return 0
    if args.render:  # e.g. after editing ANALYSIS.md
        res = json.loads(Path(args.render).read_text())
        rows = build_rows(res)
        print(table(rows))
        write_markdown(res, rows, Path(args.out))
        return 0
    q = args.quick
    res: dict = {"argv": argv, "machine": machine()}
    if args.only == "whatif":
        res["whatif"] = bench_whatif(large=not q)
        (HERE / "RESULTS_whatif.json").write_text(json.dumps(res, indent=1, default=str))
        print(table(build_rows(res)))
        return 0
    print("cold main job ...", file=sys.stderr)
    res["cold"] = bench_cold(2 if q else 5, 1 if q else 3)
    print("warm updates ...", file=sys.stderr)
    res["warm"] = bench_warm(5 if q else 20)
    print("scaling ...", file=sys.stderr)
    ns = (10, 100, 1000) if q else (10, 100, 1000, 10000)
    res["scaling"] = bench_scaling(ns, (2, 5), 1 if q else 3, args.timeout, args.mem_cap_gb * 1024)
    target = next(r for r in res["scaling"] if r["kind"] == "uncertain" and r["H"] == 5
                  and r["N"] == ns[-1])  # fmt: skip
    if target.get("status") != "ok" or target["run"]["median"] > SCALE_TARGET_S:
        ok = [r for r in res["scaling"] if r["kind"] == "uncertain" and r["H"] == 5
              and r["status"] == "ok"]  # fmt: skip
        if ok:
            case = ok[-1]
            res["scaling_profile"] = {
                "case": f"uncertain H=5 N={case['N']}",
                "text": profile_case([str(case["N"]), "5", "uncertain"]),
            }
    print("what-if panel ...", file=sys.stderr)
    res["whatif"] = bench_whatif(large=not q)
    print("scoring (issue 14) ...", file=sys.stderr)
    from scoring_cases import bench_scoring

    res["scoring"] = bench_scoring(quick=q)
    print("charts at scale ...", file=sys.stderr)
    res["charts_at_scale"] = bench_charts(q)  # bench/charts_bench.py
    if not args.no_baseline:
        res["baseline"] = []
        for which in ("bundled", "synth12"):
            print(f"baseline {which} ...", file=sys.stderr)
            res["baseline"].append(bench_baseline(which))
    print("attribution ...", file=sys.stderr)
    res["attribution"] = bench_attribution(q)
    res["self_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(res, indent=1, default=str))
    rows = build_rows(res)
    print(table(rows))
    write_markdown(res, rows, out)
    out.with_suffix(".json").write_text(json.dumps(res, indent=1, default=str))
    print(f"\nwrote {out} and {out.with_suffix('.json')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
