"""An interactive what-if panel for JupyterLab (ipywidgets).

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

Every change rebuilds the scenario through the public :class:`~forecast.Scenario` methods
(:func:`scenario_for`) and re-runs :func:`forecast.run` (the fast route: quadrature and exact
draws, no model compilation; about 15 ms for the bundled scenario, since only the changed
item is recomputed), then redraws the headline and, about 0.3 s later, the timeline. Sliders
report only when released (``continuous_update=False``).
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as W
import xarray as xr

from .inference import DEFAULT_DRAWS, ForecastWarning, run
from .results import final_band
from .scenario import EvidenceItem, Scenario, ScenarioError

__all__ = [
    "DIAGNOSTICITY_MAX",
    "Setting",
    "WhatIf",
    "headline",
    "scale_likelihoods",
    "scenario_for",
    "what_if",
]

DIAGNOSTICITY_MAX = 3.0
"""Upper end of the diagnosticity slider."""

_TOL = 1e-9


@dataclass(frozen=True)
class Setting:
    """The what-if controls of one evidence item.

    ``include``: keep the item; ``diagnosticity``: the power ``s`` applied to its likelihoods
    (1 = as written); ``reliability``: ``r`` in [0, 1], or None for the item's own.
    """

    include: bool = True
    diagnosticity: float = 1.0
    reliability: float | None = None


def scale_likelihoods(likelihoods: Mapping[str, Any], s: float) -> dict[str, Any]:
    """Every likelihood raised to the power ``s`` (every log-likelihood times ``s``).

    A number ``L`` becomes ``L ** s``, an interval ``(lo, hi)`` becomes
    ``[lo ** s, hi ** s]``; ``s = 0`` gives neutral likelihoods (all 1).

    >>> scale_likelihoods({"a": 4.0, "b": (0.5, 2.0)}, 0.5)
    {'a': 2.0, 'b': [0.7071067811865476, 1.4142135623730951]}
    """
    if not (math.isfinite(s) and s >= 0):
        raise ValueError(f"diagnosticity must be a finite number >= 0, got {s!r}")
    out: dict[str, Any] = {}
    for name, value in likelihoods.items():
        if s < _TOL:
            out[name] = 1.0
        elif isinstance(value, tuple | list):
            lo, hi = float(value[0]) ** s, float(value[1]) ** s
            # a vanishing s can round an interval to one number: then it is one
            out[name] = [lo, hi] if lo < hi else math.sqrt(lo * hi)
        else:
            out[name] = float(value) ** s
    return out


def scenario_for(scenario: Scenario, settings: Mapping[str, Setting]) -> Scenario:
    """The scenario the what-if controls describe (a pure function of its inputs).

    Parameters
    ----------
    scenario : Scenario
        The scenario as written.
    settings : mapping of evidence id to :class:`Setting`
        Items not named keep their values. A setting equal to the item's own values
        changes nothing, so moving the controls back restores ``scenario`` exactly.

    Returns
    -------
    Scenario
        Items switched off left out, the others' likelihoods scaled by
        :func:`scale_likelihoods` and reliability replaced, through one
        :meth:`Scenario.replace_evidence`; validated like any scenario.

    Raises
    ------
    KeyError
        For an id that is not an evidence item.
    ValueError
        For a diagnosticity below 0 or a reliability outside [0, 1].
    """
    unknown = [id for id in settings if id not in scenario.ids]
    if unknown:
        raise KeyError(f"no evidence item {unknown[0]!r}")
    items: list[EvidenceItem | dict] = []
    for item in scenario.evidence:
        setting = settings.get(item.id)
        if setting is None:
            items.append(item)
        elif setting.include:
            changes = _changes(item, setting)
            items.append(
                item.model_dump(mode="json", exclude_none=True) | changes if changes else item
            )
    unchanged = len(items) == len(scenario.evidence) and all(
        isinstance(e, EvidenceItem) for e in items
    )
    return scenario if unchanged else scenario.replace_evidence(items)  # validated once


def _changes(item: EvidenceItem, setting: Setting) -> dict[str, Any]:
    """The fields of ``item`` that ``setting`` changes (empty: none)."""
    s = float(setting.diagnosticity)
    r = item.r if setting.reliability is None else float(setting.reliability)
    if not (0.0 <= r <= 1.0):
        raise ValueError(f"reliability of {item.id} must be between 0 and 1, got {r!r}")
    if r < _TOL:  # carries no information: the limit r -> 0
        return {"likelihoods": scale_likelihoods(item.likelihoods, 0.0)}
    changes: dict[str, Any] = {}
    if abs(s - 1.0) > _TOL:
        changes["likelihoods"] = scale_likelihoods(item.likelihoods, s)
    if abs(r - item.r) > _TOL:
        changes["reliability"] = r
    return changes


def headline(result: xr.DataTree) -> str:
    """The final probability and band: ``"P(invasion) = 44.2% (90% band 25.3-63.5%)"``."""
    p, lo, hi = final_band(result)
    return f"P({result.attrs['outcome']}) = {p:.1%} (90% band {lo * 100:.1f}-{hi * 100:.1f}%)"


def _png(result: xr.DataTree, dpi: int) -> bytes:
    from .charts import timeline

    buf = io.BytesIO()
    timeline(result).savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


class WhatIf(W.VBox):
    """The what-if panel: a headline, a status line, the controls and the timeline.

    Attributes
    ----------
    base : Scenario
        The scenario as written.
    scenario : Scenario
        The scenario the controls describe (after the latest update).
    result : xarray.DataTree
        ``forecast.run(scenario, seed=seed, draws=draws)``: the latest result.
    base_result : xarray.DataTree
        The result of the scenario as written.
    controls : dict
        By evidence id: ``{"include": Checkbox, "diagnosticity": FloatSlider,
        "reliability": FloatSlider}``.
    headline : ipywidgets.HTML
        Shows :func:`headline` of the latest result in bold (:attr:`text` is the plain text).
    status : ipywidgets.HTML
        What the controls change, and any warning or problem of the last update.
    chart : ipywidgets.Image
        The timeline (PNG) of the latest result.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int = 0,
        draws: int = DEFAULT_DRAWS,
        dpi: int = 72,
    ) -> None:
        self.base = scenario
        self.seed = seed
        self.draws = draws
        self.dpi = dpi
        self.updates = 0
        self._hold = False
        self.result: xr.DataTree | None = None
        self.base_result: xr.DataTree | None = None
        self.headline = W.HTML(layout=W.Layout(margin="0 0 2px 0"))
        self.headline.add_class("forecast-whatif-headline")
        self.status = W.HTML()
        self.chart = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
        self.controls: dict[str, dict[str, W.Widget]] = {}
        rows: list[W.Widget] = [
            W.HTML(
                "<b>evidence item</b> (tick to include)",
                layout=W.Layout(width="250px"),
            ),
            W.HTML(
                "<b>diagnosticity</b> s (ratios<sup>s</sup>)",
                layout=W.Layout(width="210px"),
            ),
            W.HTML("<b>reliability</b> r", layout=W.Layout(width="210px")),
        ]
        slider = {"continuous_update": False, "readout_format": ".2f", "description": ""}
        for e in scenario.evidence:
            include = W.Checkbox(
                value=True,
                description=e.id,
                indent=False,
                description_allow_html=False,
                tooltip=f"{e.date} {e.title}",
                layout=W.Layout(width="250px"),
            )
            s = W.FloatSlider(
                value=1.0,
                min=0.0,
                max=DIAGNOSTICITY_MAX,
                step=0.1,
                tooltip="likelihood ratios to the power s: 0 proves nothing, 1 as written",
                layout=W.Layout(width="210px"),
                **slider,
            )
            r = W.FloatSlider(
                value=e.r,
                min=0.0,
                max=1.0,
                step=0.05,
                tooltip=f"source reliability (as written: {e.reliability})",
                layout=W.Layout(width="210px"),
                **slider,
            )
            for w in (include, s, r):
                w.observe(self._changed, names="value")
                w.add_class("forecast-whatif-control")
            s.add_class("forecast-whatif-diagnosticity")
            r.add_class("forecast-whatif-reliability")
            self.controls[e.id] = {"include": include, "diagnosticity": s, "reliability": r}
            rows += [include, s, r]
        grid = W.GridBox(
            rows,
            layout=W.Layout(
                grid_template_columns="250px 210px 210px",
                grid_gap="0px 8px",
                align_items="center",
            ),
        )
        reset = W.Button(description="Reset", tooltip="back to the scenario as written")
        reset.on_click(lambda _: self.reset())
        controls = W.VBox([grid, reset], layout=W.Layout(flex="0 0 auto"))
        body = W.HBox(
            [controls, self.chart],
            layout=W.Layout(flex_flow="row wrap", align_items="flex-start", grid_gap="12px"),
        )
        super().__init__([self.headline, self.status, body])
        self.add_class("forecast-whatif")
        self.update()

    # -- the callback logic (pure apart from redrawing the widgets)
    def settings(self) -> dict[str, Setting]:
        """The controls' current values, by evidence id."""
        return {
            id: Setting(
                include=bool(c["include"].value),
                diagnosticity=float(c["diagnosticity"].value),
                reliability=float(c["reliability"].value),
            )
            for id, c in self.controls.items()
        }

    def scenario_for(self, settings: Mapping[str, Setting] | None = None) -> Scenario:
        """:func:`scenario_for` of the base scenario and ``settings`` (default: the controls)."""
        return scenario_for(self.base, self.settings() if settings is None else settings)

    def update(self) -> xr.DataTree:
        """Re-run the scenario the controls describe; redraw the headline and the timeline.

        Returns the new result (also kept as :attr:`result`). A problem (a scenario that
        does not validate) is shown in :attr:`status` and the previous result is kept.
        """
        try:
            scenario = self.scenario_for()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ForecastWarning)
                result = run(scenario, seed=self.seed, draws=self.draws)
        except (ScenarioError, ValueError, KeyError) as exc:
            self.status.value = f"<span style='color:#b00'>not updated: {_escape(exc)}</span>"
            return self.result
        self.scenario, self.result = scenario, result
        if self.base_result is None:
            self.base_result = result
        self.updates += 1
        self.headline.value = f"<span style='font-size:1.3em'><b>{_escape(self.text)}</b></span>"
        notes = [_escape(str(w.message)) for w in caught]
        self.status.value = " ".join(
            [self._describe()] + [f"<span style='color:#b00'>WARNING: {n}</span>" for n in notes]
        )
        self.chart.value = _png(result, self.dpi)
        return result

    @property
    def text(self) -> str:
        """The headline as plain text: :func:`headline` of :attr:`result`."""
        return headline(self.result)

    def reset(self) -> xr.DataTree:
        """Every control back to the scenario as written (one update)."""
        self._hold = True
        try:
            for e in self.base.evidence:
                c = self.controls[e.id]
                c["include"].value = True
                c["diagnosticity"].value = 1.0
                c["reliability"].value = e.r
        finally:
            self._hold = False
        return self.update()

    def _changed(self, change=None) -> None:
        if not self._hold:
            self.update()

    def _describe(self) -> str:
        parts = []
        settings = self.settings()
        for e in self.base.evidence:
            s = settings[e.id]
            if not s.include:
                parts.append(f"without {e.id}")
                continue
            bits = []
            if abs(s.diagnosticity - 1.0) > _TOL:
                bits.append(f"s={s.diagnosticity:g}")
            if s.reliability is not None and abs(s.reliability - e.r) > _TOL:
                bits.append(f"r={s.reliability:g}")
            if bits:
                parts.append(f"{e.id} {' '.join(bits)}")
        if not parts:
            return "<span style='color:#666'>the scenario as written; move a control</span>"
        base = float(self.base_result["trajectory"]["p_outcome"][-1])
        return (
            f"<span style='color:#666'>what if: {_escape('; '.join(parts))} "
            f"(as written: {base:.1%})</span>"
        )

    def _repr_mimebundle_(self, **kwargs):
        """The widget, plus a static HTML snapshot for viewers without a kernel (nbconvert)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):
            import base64

            png = base64.b64encode(bytes(self.chart.value)).decode("ascii")
            bundle["text/html"] = (
                f"<div>{self.headline.value}<br>{self.status.value}<br>"
                f"<img alt='timeline' src='data:image/png;base64,{png}'></div>"
            )
        return bundle


def _escape(value: Any) -> str:
    import html

    return html.escape(str(value))


def what_if(
    scenario: Scenario, *, seed: int = 0, draws: int = DEFAULT_DRAWS, dpi: int = 72
) -> WhatIf:
    """An interactive what-if panel for ``scenario`` (show it as a cell's last expression).

    Parameters
    ----------
    scenario : Scenario
        From :func:`forecast.load_scenario`.
    seed, draws : int
        Passed to :func:`forecast.run` on every change (the band's draws; the probability
        is exact whatever they are).
    dpi : int
        Resolution of the timeline image.

    Returns
    -------
    WhatIf
        An ``ipywidgets.VBox``; ``panel.result`` is the latest result, ``panel.update()``
        the callback, ``panel.controls[id]`` the item's controls.

    Examples
    --------
    >>> panel = what_if(scenario)  # doctest: +SKIP
    >>> panel.controls["maxar-new-deployments"]["diagnosticity"].value = 2.0  # doctest: +SKIP
    >>> panel.headline.value  # doctest: +SKIP
    """
    return WhatIf(scenario, seed=seed, draws=draws, dpi=dpi)
