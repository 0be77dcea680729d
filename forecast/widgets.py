"""An interactive what-if panel for JupyterLab (ipywidgets and an ipympl figure).

>>> import forecast
>>> panel = forecast.what_if(forecast.load_scenario("priors.yaml", "evidence"))  # doctest: +SKIP
>>> panel  # doctest: +SKIP

For every evidence item the panel has three controls:

- **include**: a toggle; off is ``scenario.without(id)``.
- **diagnosticity** ``s`` (0 to 3, 1 = as written): every log-likelihood of the item is
  multiplied by ``s``, i.e. ``L_i(h) -> L_i(h) ** s`` (an interval ``[lo, hi]`` becomes
  ``[lo ** s, hi ** s]``: the log-normal's centre and spread both scale by ``s``). Every
  likelihood ratio of the item is raised to the power ``s``, so the choice of reference
  hypothesis does not matter (only ratios do, docs/model.md): ``s = 0`` makes the item prove
  nothing, ``s = 2`` makes it twice as diagnostic in log-odds, ``s = 0.5`` half.
- **reliability** ``r`` (0 to 1, starting at the item's value): the ``r`` of
  ``Lr_i(h) = r * L_i(h) / max_g L_i(g) + (1 - r)``. ``r = 0`` (which a file cannot say) is
  the limit "carries no information": the item's likelihoods are made neutral (all 1).

A neutral item (``s = 0`` or ``r = 0``) still counts in its dependence group, exactly as the
limit of a very weak item would; switching it off removes it from the group too.

How a move is computed: the controls describe the scenario :func:`scenario_for` builds, but a
move does not build or validate it. :class:`forecast.analysis.Encoded` writes the arrays that
``encode(scenario_for(...))`` would give (only the changed items' rows are recomputed, by the
same code), and :func:`forecast.inference.live_trajectory` gives the probability and the band
at every step, equal to :func:`forecast.run`'s, from the per-item memo and arrays kept from one
move to the next (a few ms for the bundled scenario). The full result (``panel.result``, a
DataTree equal to ``forecast.run(panel.scenario)``) is built when it is asked for.

The chart is an ipympl figure: a move replaces the data of its lines and band, and the
browser redraws the same canvas. Sliders report while they move (``continuous_update``);
the widget manager in the browser keeps at most one message per control in flight and sends
only the latest value when the kernel is free again, and the panel itself coalesces any
request made while an update runs, so updates never queue behind each other.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as W
import numpy as np
import xarray as xr

from .analysis import (
    TOL,
    Encoded,
    Setting,
    final_band,
    importance,
    scale_likelihoods,
    scenario_for,
)
from .asof_panel import TimedNumbers, as_of_row, as_of_suffix, as_of_xlim
from .constants import LIST_ALL, SHOWN
from .inference import DEFAULT_DRAWS, ForecastWarning, live_trajectory, run
from .labels import display_names, pct, pct_range
from .model import Arrays
from .result_schema import TRAJECTORY, band_label, dataset
from .scenario import Scenario, ScenarioError

if TYPE_CHECKING:
    from pathlib import Path

    from .indicators import Indicator

__all__ = [
    "DIAGNOSTICITY_MAX",
    "LIST_ALL",
    "Encoded",
    "Setting",
    "WhatIf",
    "format_headline",
    "headline",
    "importance",
    "scale_likelihoods",
    "scenario_for",
    "what_if",
]

DIAGNOSTICITY_MAX = 3.0
"""Upper end of the diagnosticity slider."""

PRETEND_SHOWN = 20
"""At most this many indicators get a "pretend seen / not seen" toggle (in the given order)."""

LIVE_BAND = 2_000_000
"""Steps times draws above which a move computes the probability only and the band waits for
the **Band** button or ``panel.result`` (10,000 items at 4,000 draws would take seconds)."""


def format_headline(
    outcome: str, p: float, low: float | None, high: float | None = None, *, band: str = ""
) -> str:
    """``"P(invasion) = 44.2% (90% band 25.3-63.5%)"``; ``low`` None: the probability alone.

    ``band`` is the band's label (:func:`forecast.result_schema.band_label`, by default that
    of :data:`forecast.result_schema.BAND`).

    >>> format_headline("rain", 0.442, 0.253, 0.635)
    'P(rain) = 44.2% (90% band 25.3-63.5%)'
    """
    if low is None or high is None:
        return f"P({outcome}) = {pct(p)}"
    band = band or band_label()
    return f"P({outcome}) = {pct(p)} ({band} band {pct_range(low, high, 1, sep='-')})"


def headline(result: xr.DataTree) -> str:
    """Return the final probability and band: ``"P(invasion) = 44.2% (90% band 25.3-63.5%)"``."""
    shown = display_names(result).outcome
    return format_headline(shown, *final_band(result), band=band_label(result))


@dataclass
class _State:
    """The numbers of the latest successful update (what the panel shows)."""

    changed: dict[str, Setting]
    arrays: Arrays
    ids: tuple[str, ...]
    live: dict[str, np.ndarray]
    notes: list[str]


class _Controls(Mapping):
    """``panel.controls[id]``.

    The item's widgets, made when first asked for (a scenario of 10,000 items lists a few dozen).
    """

    def __init__(self, panel: WhatIf) -> None:
        self._panel = panel
        self._made: dict[str, dict[str, W.Widget]] = {}

    def __getitem__(self, id: str) -> dict[str, W.Widget]:
        got = self._made.get(id)
        if got is None:
            if id not in self._panel.encoded.index:
                raise KeyError(id)
            got = self._made[id] = self._panel._make_controls(id)
        return got

    def __iter__(self) -> Iterator[str]:
        return iter(self._panel.base.ids)

    def __len__(self) -> int:
        return len(self._panel.base.ids)

    def made(self) -> dict[str, dict[str, W.Widget]]:
        """Return the widgets made so far, by id."""
        return self._made


def _ipympl():
    """Return ipympl's ``Canvas`` and ``FigureManager``, leaving the user's backend alone.

    Importing ipympl switches matplotlib's backend to ipympl whenever matplotlib is loaded
    (its ``__init__`` calls ``matplotlib.use``): every later ``plt.figure()`` of the session
    (``forecast.plot_timeline`` in the next cell too) would become a widget. The panel needs only
    the canvas class, so the backend in use before is put back.
    """
    import sys

    import matplotlib

    before = None if "ipympl" in sys.modules else matplotlib.get_backend()
    from ipympl.backend_nbagg import Canvas, FigureManager

    if before is not None and matplotlib.get_backend() != before:
        matplotlib.use(before)
    return Canvas, FigureManager


class WhatIf(W.VBox):
    """The what-if panel: a headline, a status line, the timeline and the controls.

    Attributes
    ----------
    base : Scenario
        The scenario as written.
    scenario : Scenario
        The scenario the controls describe (after the latest update; built when asked for).
    result : xarray.DataTree
        ``forecast.run(scenario, seed=seed, draws=draws)``: built when first asked for after
        an update (a move computes only what the panel shows).
    base_result : xarray.DataTree
        The result of the scenario as written (built when asked for).
    live : dict of arrays
        What the latest update computed (:func:`forecast.inference.live_trajectory`):
        ``p_outcome``, ``p_hypothesis`` and, unless the band waits, ``p_outcome_low`` and
        ``p_outcome_high``, at every step.
    controls : mapping
        By evidence id: ``{"include": Checkbox, "diagnosticity": FloatSlider,
        "reliability": FloatSlider, "box": VBox}`` (``box`` holds the other three).
    rows : ipywidgets.VBox
        The items listed now: every item's ``box`` up to :data:`LIST_ALL` items; above, a
        note of how many are listed, then the ``box`` of at most :data:`SHOWN` items (the
        filter's matches, those that matter most first, any moved ones kept).
    headline : ipywidgets.HTML
        Shows :attr:`text` in bold.
    status : ipywidgets.HTML
        What the controls change, and any warning or problem of the last update.
    chart : ipympl Canvas
        The timeline, an interactive matplotlib figure (:attr:`figure`); a move replaces the
        data of :attr:`traces` (``"outcome"``, ``"band"``, ``"as written"``, and
        ``"hypotheses"``, a dict by name) and the browser redraws the same canvas.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int = 0,
        draws: int = DEFAULT_DRAWS,
        dpi: int = 80,
        result: xr.DataTree | None = None,
        indicators: Sequence[Indicator] = (),
    ) -> None:
        self.base = scenario
        self._items = {e.id: e for e in scenario.evidence}
        # indicators already recorded as evidence have nothing left to pretend
        self.indicators = [i for i in indicators if i.id not in self._items]
        self.pretend: dict[str, bool] = {}
        self._pretended = scenario
        self.seed = seed
        self.draws = draws
        self.dpi = dpi
        self.updates = 0
        self.encoded = Encoded(scenario)
        n = len(scenario.ids)
        self.live_band = (n + 1) * draws <= LIVE_BAND
        self._hold = False
        self._busy = False
        self._pending = False
        self._changed: dict[str, Setting] = {}
        self._state: _State | None = None
        self._scenario: Scenario | None = None
        self._result: xr.DataTree | None = None
        self._base_result = result
        self.controls = _Controls(self)

        self.headline = W.HTML(layout=W.Layout(margin="0 0 2px 0"))
        self.headline.add_class("forecast-whatif-headline")
        self.status = W.HTML(layout=W.Layout(max_height="3.2em", overflow="hidden"))
        self._make_chart()

        # the list of items: all of them, or those that matter most and a filter box
        ranks = importance(self.encoded.base, result, scenario.ids)
        self._order = np.argsort(-ranks, kind="stable")
        self.rows = W.VBox(layout=W.Layout(flex="0 0 auto"))
        self.filter = W.Text(
            placeholder=f"filter the {n:,} items by id or title",
            continuous_update=True,
            layout=W.Layout(width="98%", display="" if n > LIST_ALL else "none"),
        )
        self.filter.add_class("forecast-whatif-filter")
        self.filter.observe(lambda _: self._list(), names="value")
        self._list()
        scroll = W.Box(
            [self.rows],
            # a block, not a flex box: its children keep their height and it scrolls
            layout=W.Layout(display="block", max_height="440px", overflow="hidden auto"),
        )
        scroll.add_class("forecast-whatif-controls")
        reset = W.Button(description="Reset", tooltip="back to the scenario as written")
        reset.on_click(lambda _: self.reset())
        buttons = [reset]
        if not self.live_band:
            band = W.Button(
                description="Band", tooltip=f"compute the {band_label()} band (a full run)"
            )
            band.on_click(lambda _: self.show_band())
            buttons.append(band)
        controls = W.VBox(
            [self.filter, scroll, W.HBox(buttons), *self._make_pretend()],
            layout=W.Layout(flex="0 1 460px", min_width="450px"),
        )
        body = W.HBox(
            [self.chart, controls],
            layout=W.Layout(flex_flow="row wrap", align_items="flex-start", grid_gap="12px"),
        )
        self.as_of: dt.date | None = None  # the as-of slider's day (None: the latest item's)
        self._timed = TimedNumbers(draws=draws, seed=seed, band=self.live_band)
        super().__init__([self.headline, self.status, *as_of_row(self), body])
        self.add_class("forecast-whatif")
        self.update()
        self._base_live = self._current.live
        self._set_canvas_image(self.snapshot())

    def _make_pretend(self) -> list[W.Widget]:
        """Make the folded section of "pretend seen / not seen" toggles, one per indicator.

        None without indicators; :attr:`pretend_controls` holds the toggles by indicator id.
        """
        self.pretend_controls: dict[str, W.ToggleButtons] = {}
        if not self.indicators:
            return []
        rows = []
        for ind in self.indicators[:PRETEND_SHOWN]:
            toggle = W.ToggleButtons(
                options=[("—", None), ("seen", True), ("not seen", False)],
                value=None,
                tooltips=["as now", f"pretend seen by {ind.by}", f"pretend not seen by {ind.by}"],
                style={"button_width": "auto"},  # "not seen" whole at any font size
            )
            toggle.observe(
                lambda change, id=ind.id: self._pretend_moved(id, change["new"]), "value"
            )
            self.pretend_controls[ind.id] = toggle
            label = W.HTML(
                f"<span title='{_escape(ind.title)}'>{_escape(ind.id)}</span>",
                layout=W.Layout(width="190px", overflow="hidden"),
            )
            rows.append(W.HBox([label, toggle]))
        more = len(self.indicators) - PRETEND_SHOWN
        if more > 0:
            rows.append(W.HTML(f"<span style='color:#666'>and {more:,} more indicators</span>"))
        box = W.Accordion([W.VBox(rows)], titles=("Indicators: pretend seen / not seen",))
        box.selected_index = None  # folded: the item list keeps the room
        return [box]

    def _pretend_moved(self, id: str, seen: bool | None) -> None:
        """Pretend an indicator seen, not seen, or neither (its toggle moved), then update.

        A sighting is added as ``forecast observe`` would record it, dated the indicator's
        ``by``.
        """
        if self._hold:
            return
        if seen is None:
            self.pretend.pop(id, None)
        else:
            self.pretend[id] = bool(seen)
        self._rebase()
        self.request_update()

    def _rebase(self) -> None:
        """The scenario the settings apply to: as written, plus the pretended sightings."""
        from .observations import indicator_evidence

        scenario = self.base
        found = {i.id: i for i in self.indicators}
        for id, seen in self.pretend.items():
            item = indicator_evidence(found[id], seen, found[id].by)
            scenario = scenario.with_item(item | {"source": "pretended in the what-if panel"})
        self._pretended = scenario
        self.encoded = Encoded(scenario)
        self._scenario = self._result = None

    def _set_canvas_image(self, png: bytes) -> None:
        """Return what ipympl sets when a figure is displayed on its own.

        Here it is a child of the panel. That is the first image the browser draws on the
        canvas, and the canvas's size.
        """
        import base64

        # ipympl 0.10 has no public setter: it writes these two synced traits itself only in
        # Canvas._repr_mimebundle_, which runs when the canvas is displayed alone, not as a child
        self.chart._data_url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        self.chart._size = tuple(self.figure.get_size_inches() * self.figure.dpi)

    # -- the parts
    def _make_chart(self) -> None:
        """The timeline (:class:`forecast.charts.live.LiveTimeline`) on an ipympl canvas."""
        from matplotlib.figure import Figure

        from .charts.live import LiveTimeline

        self.figure = fig = Figure(figsize=(6.0, 3.9), dpi=self.dpi)
        Canvas, FigureManager = _ipympl()
        canvas = Canvas(fig)
        FigureManager(canvas, 0)  # ipympl's canvas needs its manager; no pyplot state
        canvas.toolbar_visible = False
        canvas.header_visible = False
        canvas.footer_visible = False
        canvas.resizable = False
        canvas.capture_scroll = False
        canvas.add_class("forecast-whatif-chart")
        canvas.layout = W.Layout(flex="0 0 auto")
        self.timeline = LiveTimeline(fig, self.base)
        self.traces = self.timeline.traces
        self._background = None
        canvas.mpl_connect("draw_event", self._redrawn)
        self.chart = canvas

    def _make_controls(self, id: str) -> dict[str, W.Widget]:
        e = self._items[id]
        setting = self._changed.get(id, Setting())
        include = W.Checkbox(
            value=setting.include,
            description=f"{id}: {e.title}" if len(e.title) < 60 else f"{id}: {e.title[:57]}…",
            indent=False,
            description_allow_html=False,
            tooltip=f"{e.date} {e.title} (tick to include)",
            layout=W.Layout(width="440px"),
        )
        common = {
            "continuous_update": True,
            "readout_format": ".2f",
            "style": {"description_width": "90px"},
            "layout": W.Layout(width="440px"),  # the track itself about 255 px
        }
        s = W.FloatSlider(
            value=setting.diagnosticity,
            min=0.0,
            max=DIAGNOSTICITY_MAX,
            step=0.05,
            description="diagnosticity",
            tooltip="likelihood ratios to the power s: 0 proves nothing, 1 as written",
            **common,
        )
        r = W.FloatSlider(
            value=e.r if setting.reliability is None else setting.reliability,
            min=0.0,
            max=1.0,
            step=0.05,
            description="reliability",
            tooltip=f"source reliability (as written: {e.reliability})",
            **common,
        )
        for w in (include, s, r):
            w.observe(lambda _, id=id: self._moved(id), names="value")
            w.add_class("forecast-whatif-control")
        s.add_class("forecast-whatif-diagnosticity")
        r.add_class("forecast-whatif-reliability")
        box = W.VBox([include, s, r], layout=W.Layout(margin="0 0 6px 0", flex="0 0 auto"))
        box.add_class("forecast-whatif-item")
        return {"include": include, "diagnosticity": s, "reliability": r, "box": box}

    def _list(self) -> None:
        """Show the items: all of them, or the filter's matches, at most :data:`SHOWN`.

        Those that matter most first.
        """
        ids = self.base.ids
        if len(ids) <= LIST_ALL:
            shown, more = list(ids), 0
        else:
            words = self.filter.value.strip().lower()
            order = [ids[i] for i in self._order]
            if words:
                titles = {e.id: e.title.lower() for e in self.base.evidence}
                order = [id for id in order if words in id.lower() or words in titles[id]]
            changed = [id for id in order if id in self._changed]  # moved ones stay listed
            rest = [id for id in order if id not in self._changed]
            picked = (changed + rest)[: max(SHOWN, len(changed))]
            shown, more = picked, len(order) - len(picked)
        rows = [self.controls[id]["box"] for id in shown]
        if len(ids) > LIST_ALL:
            what = "matching" if self.filter.value.strip() else "listed by how much they matter"
            note = f"{len(shown)} items {what}"
            if more:
                note += f"; {more:,} more: narrow the filter"
            rows.insert(0, W.HTML(f"<span style='color:#666'>{_escape(note)}</span>"))
        self.rows.children = rows

    # -- the callback logic (pure apart from redrawing the widgets)
    def settings(self) -> dict[str, Setting]:
        """Every item's setting, by evidence id (the controls' current values)."""
        return {e.id: self._changed.get(e.id, Setting(reliability=e.r)) for e in self.base.evidence}

    def scenario_for(self, settings: Mapping[str, Setting] | None = None) -> Scenario:
        """:func:`scenario_for` of the base scenario and ``settings`` (default: the controls)."""
        return scenario_for(self._pretended, self._changed if settings is None else settings)

    def _moved(self, id: str) -> None:
        """Keep the setting of the control of ``id`` that moved, then update (coalesced)."""
        if self._hold:
            return
        c = self.controls[id]
        e = self._items[id]
        setting = Setting(
            include=bool(c["include"].value),
            diagnosticity=float(c["diagnosticity"].value),
            reliability=float(c["reliability"].value),
        )
        if setting.as_written(e):
            self._changed.pop(id, None)
        else:
            self._changed[id] = setting
        self.request_update()

    def request_update(self) -> None:
        """Update now, or, if an update is running, once it is done with the latest state.

        Requests made meanwhile are coalesced into one.
        """
        self._pending = True
        if self._busy:
            return
        self._busy = True
        try:
            while self._pending:
                self._pending = False
                self.update()
        finally:
            self._busy = False

    def compute(
        self, settings: Mapping[str, Setting]
    ) -> tuple[Arrays, tuple[str, ...], dict[str, np.ndarray]]:
        """Return what an update computes for ``settings`` (changed items only), without showing it.

        The arrays, the ids and :func:`~forecast.inference.live_trajectory`.

        Raises ScenarioError, ValueError or KeyError for settings whose scenario would not
        validate (:func:`scenario_for` says why).
        """
        got = self.encoded.arrays(settings)
        if got is None:  # a scaled likelihood out of range: validation says which
            scenario_for(self._pretended, settings)
            raise ValueError("the scenario does not validate")
        a, ids = got
        if self.base.priors.deadline is not None or self.base.priors.opened is not None:
            # the days that pass count (issue 23): time_numbers' rows, a new day a slice of them
            live = self._timed.get(
                settings, self.pretend, self.as_of, lambda: scenario_for(self._pretended, settings)
            )
            return a, ids, live
        live = live_trajectory(a, ids, draws=self.draws, seed=self.seed, band=self.live_band)
        return a, ids, live

    def update(self) -> dict[str, np.ndarray] | None:
        """Recompute what the panel shows for the controls' settings.

        Redraw the headline and the timeline in place.

        Returns :attr:`live` (None if nothing was updated). A problem (settings whose
        scenario does not validate) is shown in :attr:`status` and the previous numbers
        are kept. The full result is :attr:`result`, built when asked for.
        """
        changed = dict(self._changed)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ForecastWarning)
                a, ids, live = self.compute(changed)
        except (ScenarioError, ValueError, KeyError) as exc:
            self.status.value = f"<span style='color:#b00'>not updated: {_escape(exc)}</span>"
            return None
        self._state = _State(changed, a, ids, live, [str(w.message) for w in caught])
        self._scenario = self._result = None
        self.updates += 1
        self._show()
        return live

    def _show(self) -> None:
        state = self._current
        text = self.text + as_of_suffix(self)
        self.headline.value = f"<span style='font-size:1.3em'><b>{_escape(text)}</b></span>"
        notes = [_escape(n) for n in state.notes]
        self.status.value = " ".join(
            [self._describe()] + [f"<span style='color:#b00'>WARNING: {n}</span>" for n in notes]
        )
        self.update_chart()

    def update_chart(self) -> None:
        """Replace the timeline's data with :attr:`live`'s and ask the browser to redraw.

        Lines by ``set_data``, the band by a new ``fill_between``
        (:meth:`forecast.charts.live.LiveTimeline.set_data`).
        """
        written = self.updates == 1 or (not self._current.changed and not self.pretend)
        xlim = as_of_xlim(self, self.timeline.set_data(self.live, as_written=written))
        ax = self.timeline.ax
        if self.chart.syncing_data_url:
            # no browser has shown the canvas yet (ipympl draws it when one does): nothing
            # to send, and a draw now would replace its first image with one it cannot read
            ax.set_xlim(*xlim)
            return
        if self._background is None or ax.get_xlim() != xlim:
            ax.set_xlim(*xlim)
            self.chart.draw()  # the background anew (the axis changed); _redrawn adds the data
        else:  # the saved background, the data drawn over it, the changed pixels sent
            self.chart.restore_region(self._background)
            self.timeline.draw_traces()
            self.chart.blit(self.figure.bbox)

    def _redrawn(self, event=None) -> None:
        """After a full draw (the browser asked for one, or the axis changed).

        Keep the background without the data, then draw the data over it.
        """
        if self.chart.is_saving():  # savefig draws every artist itself
            return
        self._background = self.chart.copy_from_bbox(self.figure.bbox)
        self.timeline.draw_traces()

    @property
    def _current(self) -> _State:
        """The state of the last :meth:`update` (one runs in ``__init__``)."""
        assert self._state is not None, "update() runs in __init__"
        return self._state

    @property
    def live(self) -> dict[str, np.ndarray]:
        """The live trajectory of the last update (:func:`~forecast.inference.live_trajectory`)."""
        return self._current.live

    @property
    def text(self) -> str:
        """The headline as plain text: :func:`headline` of :attr:`result`, from :attr:`live`."""
        live = self.live
        if "p_outcome_low" in live:
            p, lo, hi = (live[k][-1] for k in ("p_outcome", "p_outcome_low", "p_outcome_high"))
            return format_headline(display_names(self.base).outcome, p, lo, hi)
        if self._result is not None:
            return headline(self._result)
        n = len(self._current.ids)
        return (
            f"{format_headline(display_names(self.base).outcome, live['p_outcome'][-1], None)} "
            f"({band_label()} band: not computed live at {n:,} items; press Band)"
        )

    @property
    def scenario(self) -> Scenario:
        """The scenario of the latest update (:func:`scenario_for`; validated when built)."""
        if self._scenario is None:
            self._scenario = scenario_for(self._pretended, self._current.changed)
        return self._scenario

    @property
    def result(self) -> xr.DataTree:
        """``forecast.run(scenario, seed=seed, draws=draws)`` of the latest update."""
        if self._result is None:
            as_written = not self._current.changed and not self.pretend and self.as_of is None
            if as_written and self._base_result is not None:
                self._result = self._base_result
            else:
                self._result = run(
                    self.scenario, seed=self.seed, draws=self.draws, as_of=self.as_of
                )
        return self._result

    @property
    def base_result(self) -> xr.DataTree:
        """``forecast.run`` of the scenario as written."""
        if self._base_result is None:
            if not self._current.changed and not self.pretend and self.as_of is None:
                self._base_result = self.result
            else:
                self._base_result = run(self.base, seed=self.seed, draws=self.draws)
        return self._base_result

    def show_band(self) -> xr.DataTree:
        """Build :attr:`result` and show its band (for scenarios whose band waits)."""
        result = self.result
        t = dataset(result, TRAJECTORY)
        self._current.live = {
            k: t[k].values for k in ("p_outcome", "p_hypothesis", "p_outcome_low", "p_outcome_high")
        }
        self._show()
        return result

    def reset(self) -> dict[str, np.ndarray] | None:
        """Every control back to the scenario as written (one update)."""
        self._hold = True
        try:
            for id, c in self.controls.made().items():
                e = self._items[id]
                c["include"].value = True
                c["diagnosticity"].value = 1.0
                c["reliability"].value = e.r
            self._changed.clear()
            for toggle in self.pretend_controls.values():
                toggle.value = None
            self.pretend.clear()
            self._rebase()
        finally:
            self._hold = False
        return self.update()

    def _describe(self) -> str:
        parts = [
            f"pretend {id} {'seen' if seen else 'not seen'}" for id, seen in self.pretend.items()
        ]
        for id, s in self._current.changed.items():
            e = self._items[id]
            if not s.include:
                parts.append(f"without {id}")
                continue
            bits = []
            if abs(s.diagnosticity - 1.0) > TOL:
                bits.append(f"s={s.diagnosticity:g}")
            if s.reliability is not None and abs(s.reliability - e.r) > TOL:
                bits.append(f"r={s.reliability:g}")
            parts.append(f"{id} {' '.join(bits)}")
        if not parts:
            return "<span style='color:#666'>the scenario as written; move a control</span>"
        if len(parts) > 6:
            parts = parts[:6] + [f"and {len(parts) - 6} more"]
        base = float(self._base_live["p_outcome"][-1])
        return (
            f"<span style='color:#666'>what if: {_escape('; '.join(parts))} "
            f"(as written: {pct(base)})</span>"
        )

    def snapshot(self) -> bytes:
        """Return the timeline as it is now, a PNG (for viewers without a kernel)."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=self.dpi)
        return buf.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        """Return the widget, plus a static HTML snapshot.

        The snapshot is for viewers without a kernel (nbconvert).
        """
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            import base64

            snapshot = self.snapshot()
            self._set_canvas_image(snapshot)
            png = base64.b64encode(snapshot).decode("ascii")
            bundle["text/html"] = (
                f"<div>{self.headline.value}<br>{self.status.value}<br>"
                f"<img alt='timeline' src='data:image/png;base64,{png}'></div>"
            )
        return bundle


def _escape(value: Any) -> str:
    return html.escape(str(value))


def what_if(
    scenario: Scenario,
    *,
    seed: int = 0,
    draws: int = DEFAULT_DRAWS,
    dpi: int = 80,
    result: xr.DataTree | None = None,
    indicators: str | Path | Sequence[Indicator] | None = None,
) -> WhatIf:
    """Return an interactive what-if panel for ``scenario`` (show it as a cell's last expression).

    Parameters
    ----------
    scenario : Scenario
        From :func:`forecast.load_scenario`.
    seed, draws : int
        As for :func:`forecast.run` (the band's draws; the probability is exact whatever
        they are): the panel's numbers equal ``forecast.run``'s with the same ones.
    dpi : int
        Resolution of the timeline.
    result : xarray.DataTree, optional
        ``forecast.run(scenario)`` if already computed; its ``attribution``, if any, orders
        the items of a large scenario.
    indicators : folder or sequence of Indicator, optional
        Indicators (:func:`forecast.load_indicators`): each gets a "pretend seen / not
        seen" toggle, which adds it to the scenario as ``forecast observe`` would record
        it (dated its ``by``). With point ``p_seen`` the panel then shows exactly
        ``P(outcome | seen)`` of :func:`forecast.watch`.

    Returns
    -------
    WhatIf
        An ``ipywidgets.VBox``; ``panel.result`` is the latest result, ``panel.update()``
        the callback, ``panel.controls[id]`` the item's controls.

    Examples
    --------
    >>> panel = what_if(scenario)  # doctest: +SKIP
    >>> panel.controls["maxar-new-deployments"]["diagnosticity"].value = 2.0  # doctest: +SKIP
    >>> panel.text  # doctest: +SKIP
    'P(invasion) = 64.1% (90% band 44.0-80.2%)'
    """
    if isinstance(indicators, str | os.PathLike):
        from .indicators import load_indicators

        indicators = load_indicators(indicators, scenario)
    return WhatIf(
        scenario, seed=seed, draws=draws, dpi=dpi, result=result, indicators=indicators or ()
    )
