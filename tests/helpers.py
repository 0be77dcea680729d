"""Plain test helpers and constants shared by the test files (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import itertools
import shutil
from pathlib import Path

import numpy as np
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


def draw_into_user_axes(chart, side: int = 1):
    """Call ``chart(ax)`` on one subplot of a user's 1x2 pyplot figure and check where it drew.

    The chart must return the user's figure, open no figure, add no axes, leave the other subplot
    empty and add nothing figure-level (no title, footer or figure legend). Returns the axes
    drawn into (for chart-specific checks); the figure is closed.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    try:
        before = plt.get_fignums()
        ax, other = axes[side], axes[1 - side]
        assert chart(ax) is fig
        assert plt.get_fignums() == before  # no figure of its own
        assert fig.axes == list(axes)  # no panel added
        assert ax.has_data() and ax.get_title(loc="left")
        assert not other.has_data() and not other.texts and not other.get_title(loc="left")
        assert not other.get_legend()
        assert fig.get_suptitle() == "" and not fig.texts and not fig.legends
        fig.canvas.draw()  # it draws without error
        return ax
    finally:
        plt.close(fig)


# ----------------------------------------------------------------------------- chart text
def drawn_texts(fig) -> list[tuple[str, np.ndarray]]:
    """Every piece of text the figure draws, with its bounding box in pixels."""
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)  # the charts come closed in pyplot, with a bare canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    all_ticks, drawn_ticks = set(), set()
    for ax in fig.findobj(lambda a: isinstance(a, mpl.axes.Axes)):
        for axis in (ax.xaxis, ax.yaxis):
            for tick in [*axis.majorTicks, *axis.minorTicks]:
                all_ticks.update({id(tick.label1), id(tick.label2)})
            for tick in axis._update_ticks():
                drawn_ticks.update({id(tick.label1), id(tick.label2)})
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        if id(t) in all_ticks and id(t) not in drawn_ticks:
            continue  # a tick outside the view: not drawn
        box = t.get_window_extent(renderer)
        out.append((t.get_text(), np.array([box.x0, box.y0, box.x1, box.y1])))
    return out


def overlapping(texts, tol: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of :func:`drawn_texts` whose boxes overlap by more than ``tol`` pixels."""
    pairs = []
    for (a, ba), (b, bb) in itertools.combinations(texts, 2):
        if (
            min(ba[2], bb[2]) - max(ba[0], bb[0]) > tol
            and min(ba[3], bb[3]) - max(ba[1], bb[1]) > tol
        ):
            pairs.append((a, b))
    return pairs


def outside(fig, texts, tol: float = 1.0) -> list[str]:
    """The :func:`drawn_texts` that reach beyond the figure by more than ``tol`` pixels."""
    w, h = fig.canvas.get_width_height()
    return [s for s, b in texts if b[0] < -tol or b[1] < -tol or b[2] > w + tol or b[3] > h + tol]
