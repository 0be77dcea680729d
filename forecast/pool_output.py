"""``forecast pool``: the files of a pool, written into ``OUT`` as one set.

``pool.csv``, ``disagreement.csv`` (and ``boldness.csv`` with ``--hierarchical``), the charts
``pool`` and ``disagreement`` (PNG and SVG), ``report.html`` and ``consensus/`` (a scenario
folder: ``priors.yaml``, ``evidence/``, and the consensus run's outputs in ``consensus/out/``),
all through :func:`forecast.outdir.output_set`: ``OUT`` changes all at once or not at all.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any, Literal

import yaml

from .csvout import write_csv
from .errors import InputError
from .guard import Folder, refuse_out
from .labels import pct, pp
from .outdir import output_set
from .pooling import Pool, pool
from .scenario import printable

__all__ = ["POOL_FILES", "command", "parse_as_of", "write_consensus_folder", "write_pool"]

POOL_FILES = frozenset(
    {"pool.csv", "disagreement.csv", "boldness.csv", "report.html", "consensus"}
    | {f"{c}.{f}" for c in ("pool", "disagreement") for f in ("png", "svg")}
)
"""The names in ``OUT`` a pool replaces (or drops)."""


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_consensus_folder(
    p: Pool, folder: Path, *, charts: bool = True, draws: int | None = None, seed: int = 0
) -> tuple[list[str], list[str]]:
    """Write the consensus scenario (``priors.yaml``, ``evidence/``) and run it into ``out/``.

    The folder is read back from the files written and run by
    :func:`forecast.pipeline.run_folder`, as ``forecast run`` would: it is a real scenario.
    Returns the paths written (relative to ``folder``'s parent) and the run's warnings.
    """
    from .pipeline import run_folder

    c = p.consensus
    assert c is not None
    (folder / "evidence").mkdir(parents=True)
    header = (
        f"# The consensus of {len(p.team.analysts)} analysts ({', '.join(p.team.names)}), "
        f"written by forecast pool as of {p.team.as_of}.\n# Edit and run it like any scenario: "
        "forecast run --priors priors.yaml --evidence evidence --out out\n"
    )
    (folder / "priors.yaml").write_text(header + _dump(c.data["priors"]), encoding="utf-8")
    for item in c.data["evidence"]:
        (folder / "evidence" / f"{item['id']}.yaml").write_text(_dump(item), encoding="utf-8")
    names = ["consensus/priors.yaml", f"consensus/evidence/ ({len(c.data['evidence'])} items)"]
    done = run_folder(
        folder / "priors.yaml", folder / "evidence", folder / "out",
        seed=seed, draws=draws, charts=charts, command="forecast pool (the consensus)",
        as_of=str(p.team.as_of),
    )  # fmt: skip
    names += [f"consensus/out/{q.name}" for q in done.written if not q.name.endswith(".svg")]
    return names, done.warnings


def write_pool(
    p: Pool, staging: Path, *, charts: bool = True, draws: int | None = None, seed: int = 0
) -> tuple[list[str], list[str]]:
    """Write a pool's set into ``staging`` (the folder :func:`output_set` gives).

    ``draws`` and ``seed`` are the consensus run's. Returns the names written and the
    consensus run's warnings.

    Examples
    --------
    >>> with output_set("team-out", lambda n: n in POOL_FILES) as staging:  # doctest: +SKIP
    ...     write_pool(pool(["alice", "bob"]), staging)
    """
    from .charts.export import write_figure
    from .charts.pool import plot_disagreement, plot_pool
    from .pool_report import write_pool_report

    write_csv(p.table, staging / "pool.csv")
    names: list[str] = ["pool.csv"]
    warned: list[str] = []
    if p.consensus is not None:
        write_csv(p.consensus.disagreement, staging / "disagreement.csv")
        names.append("disagreement.csv")
        if p.consensus.boldness is not None:
            write_csv(p.consensus.boldness, staging / "boldness.csv")
            names.append("boldness.csv")
        written, warned = write_consensus_folder(
            p, staging / "consensus", charts=charts, draws=draws, seed=seed
        )
        names += written
    if charts:
        svgs = {}
        for name, draw in (("pool", plot_pool), ("disagreement", plot_disagreement)):
            if name == "disagreement" and p.consensus is None:
                continue
            paths = write_figure(draw(p), staging, name, formats=("png", "svg"))
            svgs[name] = next(q for q in paths if q.suffix == ".svg")
            names += [q.name for q in paths]
        names.append(write_pool_report(p, staging, svg_files=svgs).name)
    return names, warned


def parse_as_of(text: str | None) -> dt.date | None:
    """``--as-of``: a date ``YYYY-MM-DD``, ``today``, or None."""
    if text is None:
        return None
    if text.strip().lower() == "today":
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"--as-of: {printable(text)!r} is not a date (YYYY-MM-DD) or today"
        ) from None


def _check_out(out: Path, folders: list[str]) -> Path:
    """Refuse an ``OUT`` that is a link or a file, holds or lies inside an analyst's folder."""
    mine = [Folder(Path(f), f"the analyst's folder {printable(f)}") for f in folders]
    return refuse_out(out, protected=mine, holds=mine)


def _extremize(text: str) -> float | Literal["neyman"]:
    if text.strip().lower() == "neyman":
        return "neyman"
    try:
        return float(text)
    except ValueError:
        raise InputError(f"--extremize: {printable(text)!r} is not a number or neyman") from None


def _print_pool(p: Pool) -> None:
    o = p.team.outcome
    frame = p.table.copy()
    for col in (f"p_{o}", f"p_{o}_low", f"p_{o}_high", "weight"):
        frame[col] = [pct(v, missing="") for v in frame[col]]  # NaN: empty
    print(printable(p.team.analysts[0].scenario.question, 2000))
    print(f"{len(p.team.analysts)} analysts, as of {p.team.as_of}\n")
    print(frame.head(30).to_string(index=False))
    if len(frame) > 30:
        print(f"... and {len(frame) - 30} more rows (all in pool.csv)")
    print(f"\npooled P({o}) ({p.method}) = {pct(p.headline)}")
    c = p.consensus
    if c is not None and len(c.disagreement):
        top = c.disagreement.iloc[0]
        print(
            f"consensus P({o}) = {pct(c.p_point)}"
            + (
                " (point judgements; the intervals' run is in consensus/out)"
                if c.boldness is not None
                else ""
            )
            + "; the item worth a conversation: "
            f"{top['evidence_id']} (swing {pp(top['swing'])} points)"
        )
    for note in p.notes:
        print(f"note: {printable(note, 600)}")


def command(args) -> int:
    """Run ``forecast pool`` from parsed arguments; returns the exit code."""
    folders = list(args.folders)
    out = _check_out(Path(args.out), folders)
    p = pool(
        folders,
        method=args.method,
        extremize=_extremize(args.extremize),
        weights=args.weights,
        as_of=parse_as_of(args.as_of),
        draws=args.draws,
        seed=args.seed,
        hierarchical=args.hierarchical,
        run_consensus=False,  # run from the files written, below
    )
    with output_set(out, lambda name: name in POOL_FILES) as staging:
        names, warned = write_pool(
            p, staging, charts=not args.no_charts, draws=args.draws, seed=args.seed
        )
    _print_pool(p)
    for w in [*(p.consensus.warnings if p.consensus else ()), *warned]:
        print(f"WARNING: {printable(w, 600)}", file=sys.stderr)
    print("wrote " + ", ".join(str(out / n) for n in names))
    return 0
