"""Briefing-ready outputs: the deck, slide-sized charts, display labels, moves in points, the
draws behind the band and the brief for any question (issue 25)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import copy_bundled, item_dict, write_scenario
from matplotlib.colors import to_rgb
from matplotlib.text import Text

import forecast
from forecast.cli import main

DRAWS = "400"
OUTCOME_LABEL = "Tram line approved"
LABELS = {"yes_bloc": "Council majority in favour", "no_bloc": "Council majority against"}


def labelled_priors() -> dict:
    return {
        "question": "Will the council approve the tram line on 30 June?",
        "outcome": "approved",
        "outcome_label": OUTCOME_LABEL,
        "hypotheses": {
            "yes_bloc": {"prior": 0.5, "p_outcome": [0.7, 0.95], "label": LABELS["yes_bloc"]},
            "no_bloc": {"prior": 0.5, "p_outcome": [0.05, 0.3], "label": LABELS["no_bloc"]},
        },
    }


def labelled_items() -> list[dict]:
    return [
        item_dict("budget-vote", {"yes_bloc": [1.5, 3.0]}, source="council minutes"),
        item_dict("mayor-speech", {"no_bloc": 1.4}, date="2022-02-16", source="city radio"),
        item_dict("poll-june", {"yes_bloc": [1.2, 2.0]}, date="2022-02-17", source="local poll"),
    ]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Path:
    """A question other than the bundled one, with labels, run once (400 draws, seed 1)."""
    work = tmp_path_factory.mktemp("tram")
    p, e = write_scenario(work, labelled_priors(), labelled_items())
    out = work / "out"
    args = ["--priors", str(p), "--evidence", str(e), "--out", str(out)]
    assert main(["run", "--draws", DRAWS, "--seed", "1", "--draws-csv", *args]) == 0
    return work


@pytest.fixture(scope="module")
def deck(labelled) -> Path:
    out = labelled / "out"
    assert main(["slides", "--out", str(out)]) == 0
    return out / "briefing.pptx"


def pictures(slide):
    return [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE


def slide_text(slide) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


# ----------------------------------------------------------------------------- the deck
def test_deck_is_16_9_with_alt_text_notes_and_labels(deck):
    from pptx import Presentation

    prs = Presentation(str(deck))
    assert (prs.slide_width, prs.slide_height) == (12_192_000, 6_858_000)
    slides = list(prs.slides)
    assert len(slides) >= 5
    charts = [s for s in slides if pictures(s)]
    assert len(charts) >= 3  # timeline, impact, distribution
    for slide in charts:
        for pic in pictures(slide):
            descr = pic.element.nvPicPr.cNvPr.get("descr")
            assert descr and len(descr) <= 120, descr
            assert re.search(r"\d+%", descr)  # written from the numbers
        assert len(slide.notes_slide.notes_text_frame.text) > 120  # the longer description
    text = "\n".join(slide_text(s) for s in slides)
    assert f"P({OUTCOME_LABEL})" in text
    assert "P(approved)" not in text  # the id stays in CSVs, not on slides
    first = slide_text(slides[0])
    assert "Will the council approve the tram line" in first
    assert re.search(r"\d+% \(90% band \d+%–\d+%\)", first)
    assert "As of 17 Feb 2022" in first
    last = slide_text(slides[-1])
    result = forecast.load_result(deck.parent / "posterior.nc")
    assert result.attrs["scenario_hash"][:16] in last and "seed 1" in last
    assert "council minutes" in last  # the sources


def test_deck_alt_text_names_start_end_band_and_driver(deck):
    from pptx import Presentation

    result = forecast.load_result(deck.parent / "posterior.nc")
    t = forecast.trajectory_frame(result)
    start, end = t["p_approved"].iloc[0], t["p_approved"].iloc[-1]
    low, high = t["p_approved_low"].iloc[-1], t["p_approved_high"].iloc[-1]
    timeline = Presentation(str(deck)).slides[1]
    descr = pictures(timeline)[0].element.nvPicPr.cNvPr.get("descr")
    assert f"from {100 * start:.0f}% to {100 * end:.0f}%" in descr
    assert f"band {100 * low:.0f}%–{100 * high:.0f}%" in descr
    top = forecast.attribution_frame(result)
    driver = top.loc[top["shapley"].abs().idxmax(), "evidence_id"]
    assert driver in descr


def test_deck_byte_identical_and_dated_by_the_result(deck, labelled):
    """Same result, same bytes; every date inside is the result's, never the clock."""
    from pptx import Presentation

    first = deck.read_bytes()
    again = labelled / "again.pptx"
    forecast.slides(forecast.load_result(deck.parent / "posterior.nc"), again)
    assert again.read_bytes() == first
    created = dt.datetime.fromisoformat(
        forecast.load_result(deck.parent / "posterior.nc").attrs["created"]
    ).replace(tzinfo=None)
    with zipfile.ZipFile(deck) as z:
        stamps = {i.date_time for i in z.infolist()}
    when = created.replace(second=created.second - created.second % 2)  # zip: 2-second steps
    assert stamps == {when.timetuple()[:6]}
    props = Presentation(str(deck)).core_properties
    assert props.created == props.modified == created


def test_deck_bounded_with_long_ids_and_many_items(tmp_path):
    """200-character ids and 300 items: alt text still at most 120 characters, sources cut."""
    from pptx import Presentation

    items = [
        item_dict(f"{'x' * 180}-{k:03d}", {"yes_bloc": 1.0 + (k % 7) / 10}, source=f"s{k}")
        for k in range(300)
    ]
    p, e = write_scenario(tmp_path, labelled_priors(), items)
    result = forecast.run(forecast.load_scenario(p, e), draws=200, seed=0, attribution=True)
    path = forecast.slides(result, tmp_path / "deck.pptx")
    prs = Presentation(str(path))
    for slide in prs.slides:
        for pic in pictures(slide):
            assert 0 < len(pic.element.nvPicPr.cNvPr.get("descr")) <= 120
    closing = slide_text(list(prs.slides)[-1])
    assert "+ 290 more items" in closing


def test_deck_has_a_by_date_slide_for_a_question_with_a_deadline(tmp_path):
    from pptx import Presentation

    from forecast.time_result import by_date_frame

    priors = {**labelled_priors(), "opened": "2022-02-10", "deadline": "2022-03-31"}
    p, e = write_scenario(tmp_path, priors, labelled_items())
    result = forecast.run(forecast.load_scenario(p, e), draws=200, seed=0, attribution=True)
    deck = Presentation(str(forecast.slides(result, tmp_path / "deck.pptx")))
    titles = [slide_text(s).splitlines()[0] for s in deck.slides]
    assert f"By when: P({OUTCOME_LABEL}) up to the deadline" in titles
    slide = deck.slides[titles.index(f"By when: P({OUTCOME_LABEL}) up to the deadline")]
    last = by_date_frame(result).iloc[-1]
    descr = pictures(slide)[0].element.nvPicPr.cNvPr.get("descr")
    assert f"{100 * last['p_approved_by']:.0f}% by the deadline 2022-03-31" in descr
    assert len(descr) <= 120 and slide.notes_slide.notes_text_frame.text


# ----------------------------------------------------------------------------- slide size
def _visible_texts(fig) -> list[Text]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_slide_charts_are_16_9_with_text_at_least_14pt(labelled):
    from forecast.charts.slide import slide_figures

    result = forecast.load_result(labelled / "out" / "posterior.nc")
    for name, draw in slide_figures(result).items():
        fig = draw()
        w, h = fig.get_size_inches()
        assert abs((w / h) / (16 / 9) - 1) < 0.01, name
        sizes = [t.get_fontsize() for t in _visible_texts(fig)]
        assert sizes and min(sizes) >= 14.0, (name, min(sizes))


def test_charts_size_slide_writes_16_9_pngs(labelled):
    from PIL import Image

    out = labelled / "slide-charts"
    res = ["--result", str(labelled / "out" / "posterior.nc")]
    assert main(["charts", "--out", str(out), "--format", "png", "--size", "slide", *res]) == 0
    for name in ("timeline", "impact", "distribution"):
        w, h = Image.open(out / f"{name}.png").size
        assert abs((w / h) / (16 / 9) - 1) < 0.01, name
    default = labelled / "default-charts"
    assert main(["charts", "--out", str(default), "--format", "png", *res]) == 0
    w, h = Image.open(default / "timeline.png").size
    assert abs((w / h) / (16 / 9) - 1) > 0.1  # the default size is each chart's own


def _luminance(colour) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG 2 contrast ratio of two colours."""
    hi, lo = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper_matches_wcag_reference_values():
    assert contrast("black", "white") == pytest.approx(21.0)
    assert contrast("#767676", "white") == pytest.approx(4.54, abs=0.01)  # WCAG's grey


def test_chart_text_contrast_at_least_4_5(labelled):
    """Every text on white (the slide charts; the full-size ones but the ACH cells' labels,
    which sit on their cell's colour)."""
    from forecast.charts.export import figures
    from forecast.charts.slide import slide_figures

    result = forecast.load_result(labelled / "out" / "posterior.nc")
    figs = {f"slide {n}": draw() for n, draw in slide_figures(result).items()}
    figs.update(figures(result, names=["timeline", "impact", "sensitivity", "distribution"]))
    for name, fig in figs.items():
        low = [(t.get_text(), t.get_color()) for t in _visible_texts(fig)
               if contrast(t.get_color(), "white") < 4.5]  # fmt: skip
        assert not low, (name, low)


def test_hypothesis_lines_differ_by_more_than_colour(labelled):
    from forecast.charts.style import series_style

    styles = [series_style(j) for j in range(8)]
    for a, b in zip(styles, styles[1:], strict=False):
        assert a["linestyle"] != b["linestyle"] and a["marker"] != b["marker"]
    fig = forecast.plot_timeline(forecast.load_result(labelled / "out" / "posterior.nc"))
    lines = [ln for ln in fig.axes[1].get_lines() if ln.get_label().startswith("Council")]
    assert len(lines) == 2
    assert {ln.get_marker() for ln in lines} == {"o", "s"}
    assert {ln.get_linestyle() for ln in lines} == {"-", "--"}


# ----------------------------------------------------------------------------- labels
def test_labels_in_charts_report_and_cli_ids_in_csvs(labelled, capsys):
    out = labelled / "out"
    result = forecast.load_result(out / "posterior.nc")
    texts = [t.get_text() for t in _visible_texts(forecast.plot_timeline(result))]
    joined = "\n".join(texts)
    assert f"P({OUTCOME_LABEL})" in joined and LABELS["yes_bloc"] in joined
    assert "P(approved)" not in joined
    report = (out / "report.html").read_text()
    assert OUTCOME_LABEL in report and LABELS["no_bloc"] in report
    header = (out / "trajectory.csv").read_text().splitlines()[0]
    assert "p_approved" in header and "p_yes_bloc" in header and "Council" not in header
    p, e = labelled / "priors.yaml", labelled / "evidence"
    assert main(["run", "--draws", DRAWS, "--priors", str(p), "--evidence", str(e),
                 "--out", str(labelled / "cli-out"), "--no-charts"]) == 0  # fmt: skip
    assert f"P({OUTCOME_LABEL}) = " in capsys.readouterr().out


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("x" * 81, "longer than 80 characters"),
        ("two\nlines", "control character U+000A"),
        ("bell\x07", "control character U+0007"),
        ("", "must not be empty"),
    ],
)
def test_bad_label_exit_2_names_file_and_field(tmp_path, capsys, label, message):
    priors = labelled_priors()
    priors["hypotheses"]["no_bloc"]["label"] = label
    p, e = write_scenario(tmp_path, priors, labelled_items())
    assert main(["validate", "--priors", str(p), "--evidence", str(e)]) == 2
    err = capsys.readouterr().err
    assert "priors.yaml" in err and "hypotheses.no_bloc.label" in err and message in err
    assert "Traceback" not in err


def test_label_keys_in_the_json_schema():
    schema = forecast.scenario.Priors.model_json_schema()
    assert "outcome_label" in schema["properties"]
    assert "label" in schema["$defs"]["Hypothesis"]["properties"]
    shipped = (Path(forecast.__file__).parent / "schema" / "priors.schema.json").read_text()
    assert "outcome_label" in shipped


# ----------------------------------------------------------------------------- units
@pytest.mark.parametrize(
    ("move", "kwargs", "text"),
    [
        (0.221, {}, "22 points"),
        (0.01, {}, "1 point"),
        (-0.0301, {"digits": 1, "sign": True}, "-3.0 points"),
        (0.115, {"sign": True}, "+12 points"),
        (-0.0004, {}, "0 points"),
        (0.0004, {"digits": 1, "sign": True}, "0.0 points"),
    ],
)
def test_points(move, kwargs, text):
    from forecast.labels import points

    assert points(move, **kwargs) == text


MOVE_AS_FRACTION = re.compile(r"(shift|move[sd]?(?: P\([^)]*\))?|by)\s+[-+]?0\.\d{2,}")
"""A move written as a bare fraction ("shift 0.181", "would move P(x) by 0.221")."""


def test_watch_report_and_cli_say_points_for_moves(tmp_path, capsys, monkeypatch):
    work = copy_bundled(tmp_path / "b", "indicators")
    monkeypatch.chdir(work)
    assert main(["run", "--draws", DRAWS, "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert main(["watch", "--draws", DRAWS, "--seed", "1", "--out", "w"]) == 0
    out += capsys.readouterr().out
    report = re.sub(r"<[^>]+>", " ", (work / "out" / "report.html").read_text())
    for text in (out, report):
        assert "points" in text
        assert not MOVE_AS_FRACTION.findall(text), MOVE_AS_FRACTION.findall(text)[:3]
    assert re.search(r"shift \d+\.\d points", out)
    assert re.search(r"would move P\(invasion\) by \d+ points on average", report)
    watch = pd.read_csv(work / "out" / "watch.csv")
    assert watch["expected_shift"].between(0, 1).all()  # the CSV stays in fractions


def test_move_pattern_catches_fractions():
    """The grep of the test above finds the old wordings."""
    assert MOVE_AS_FRACTION.search("shift 0.181, 0.178 bits")
    assert MOVE_AS_FRACTION.search("would move P(invasion) by 0.221 on average")
    assert not MOVE_AS_FRACTION.search("shift 18.1 points")


# ----------------------------------------------------------------------------- draws
def test_draws_csv_is_the_band(labelled):
    out = labelled / "out"
    path = out / "draws.csv"
    head = [ln for ln in path.read_text().splitlines() if ln.startswith("#")]
    result = forecast.load_result(out / "posterior.nc")
    assert f"# scenario_hash: {result.attrs['scenario_hash']}" in head
    assert "# seed: 1" in head
    frame = pd.read_csv(path, comment="#")
    assert len(frame) == int(DRAWS)
    assert list(frame.columns) == ["chain", "draw", "p_approved", "p_yes_bloc", "p_no_bloc"]
    band = pd.read_csv(out / "trajectory.csv").iloc[-1]
    low, high = np.quantile(frame["p_approved"], [0.05, 0.95])
    assert low == pytest.approx(band["p_approved_low"], abs=1e-6)  # csv: 6 decimals
    assert high == pytest.approx(band["p_approved_high"], abs=1e-6)
    assert np.allclose(frame["p_yes_bloc"] + frame["p_no_bloc"], 1.0, atol=1e-9)


# ----------------------------------------------------------------------------- the brief
def bundled_words() -> set[str]:
    """Names and distinctive words of the bundled scenario."""
    root = Path(forecast.__file__).resolve().parent.parent
    priors = yaml.safe_load((root / "priors.yaml").read_text())
    words = {priors["outcome"], *priors["hypotheses"], "Russia", "Ukraine", "Moscow", "Kyiv"}
    words |= {p.stem for p in (root / "evidence").glob("*.yaml")}
    return words


def test_brief_markdown_other_question_has_no_bundled_words(labelled):
    from forecast.brief import brief_markdown

    text = brief_markdown(forecast.load_result(labelled / "out" / "posterior.nc"))
    assert "tram line" in text and OUTCOME_LABEL in text
    assert not [w for w in bundled_words() if w.lower() in text.lower()]


@pytest.mark.slow
def test_brief_notebook_other_question(labelled, capsys):
    """report --notebook (the briefing by default) --no-code on another question."""
    out = labelled / "brief"
    args = ["--priors", str(labelled / "priors.yaml"), "--evidence", str(labelled / "evidence")]
    assert main(["report", "--notebook", "--no-code", "--out", str(out), *args]) == 0
    page = (out / "briefing.html").read_text()
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.S)
    assert "tram line" in text and OUTCOME_LABEL in text and "points" in text
    found = [w for w in bundled_words() if w.lower() in text.lower()]
    assert not found
    assert "import forecast" not in page  # --no-code: no code
    assert "Traceback" not in page


def test_what_if_panel_shows_the_labels(labelled):
    panel = forecast.what_if(
        forecast.load_scenario(labelled / "priors.yaml", labelled / "evidence"), draws=200
    )
    assert panel.text.startswith(f"P({OUTCOME_LABEL}) = ")
    legend = [t.get_text() for t in panel.traces["outcome"].axes.get_legend().get_texts()]
    assert f"P({LABELS['yes_bloc']})" in legend and f"P({OUTCOME_LABEL})" in legend
