"""The cold run's drawing (issue 21, point 13): the early renderer, its queue, the PNG encoder.

Each is checked against the plain route: the files one process writes with matplotlib's own
PNG encoder (Pillow), and ``report.html`` written from the SVG files.
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import matplotlib as mpl
import numpy as np
import PIL.Image
import pytest
from helpers import item_dict, priors_dict, write_scenario

from forecast import charts, clock, renderer
from forecast.charts.png import encode_png
from forecast.charts.style import text_width, wrap_text
from forecast.pipeline import run_folder
from forecast.report import chart_marks, fill_charts, report_html


def _scenario(tmp_path: Path) -> tuple[Path, Path]:
    items = [
        item_dict("a", {"storm": [1.5, 4.0]}, reliability="B"),
        item_dict("b", {"calm": [0.3, 0.9]}, date="2022-02-16"),
        item_dict("c", {"storm": 4.0, "calm": 0.5}, date="2022-02-17"),
    ]
    return write_scenario(tmp_path / "scenario", priors_dict(), items)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "posterior.nc"}


def test_png_holds_the_pixels_and_resolution_of_matplotlibs_png(uncertain_result):
    theirs = io.BytesIO()  # matplotlib's route: Pillow (each figure new: its layout found once)
    with mpl.rc_context({"text.hinting": "no_hinting"}):  # as save_figure draws text
        charts.plot_impact(uncertain_result).savefig(theirs, format="png", dpi=150)
    ours = io.BytesIO()
    charts.export.save_figure(charts.plot_impact(uncertain_result), ours, "png", 150, "impact")
    a, b = PIL.Image.open(io.BytesIO(ours.getvalue())), PIL.Image.open(theirs)
    assert (a.mode, a.size, a.info) == (b.mode, b.size, b.info)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_png_encodes_any_rgba_image_exactly():
    rgba = np.random.default_rng(5).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    decoded = PIL.Image.open(io.BytesIO(encode_png(rgba, 72)))
    assert decoded.info["dpi"] == pytest.approx((72, 72), abs=0.01)
    np.testing.assert_array_equal(np.asarray(decoded), rgba)


def test_queue_does_every_task_once_across_processes(tmp_path):
    def do(task: str) -> None:
        (tmp_path / task).write_text(str(os.getpid()))

    tasks = [f"t{k}" for k in range(12)]
    renderer.share_out(do, tasks, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(tasks)
    pids = {int((tmp_path / t).read_text()) for t in tasks}
    assert os.getpid() in pids  # this process took tasks too


def test_queue_says_when_a_helper_failed(tmp_path, capfd):
    parent = os.getpid()

    took = tmp_path / "helper-took"

    def do(task: str) -> None:
        if os.getpid() != parent:
            took.write_text(task)
            raise RuntimeError("helper failed")
        end = time.monotonic() + 120
        while not took.exists() and time.monotonic() < end:  # until the helper took a task
            time.sleep(0.01)
        (tmp_path / task).write_text("done")

    with pytest.raises(RuntimeError, match="helper process failed"):
        renderer.share_out(do, ["a", "b", "c", "d"], 2)
    assert "Traceback" not in capfd.readouterr().err  # quietly: the caller shows the real error


def test_report_from_marks_is_the_report_from_svg_files(uncertain_result, tmp_path):
    with clock.fixed(0):
        paths = charts.save_all(uncertain_result, tmp_path, formats=("svg",), dpi=50)
        svgs = {p.stem: p for p in paths}
        direct = report_html(uncertain_result, svg_files=svgs)
        marked = report_html(uncertain_result, svgs=chart_marks(list(svgs)))
    assert "<!--forecast-chart:" in marked and "<!--forecast-chart:" not in direct
    assert fill_charts(marked, svgs) == direct


def _run(tmp_path: Path, name: str, processes: int) -> dict[str, bytes]:
    priors, evidence = _scenario(tmp_path)
    out = tmp_path / name
    with clock.fixed(0):
        done = run_folder(priors, evidence, out, draws=300, seed=2, processes=processes, dpi=40)
    assert len(done.charts) >= 10
    return _files(out)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="")
def test_renderer_writes_what_one_process_writes(tmp_path):
    assert _run(tmp_path, "two", 2) == _run(tmp_path, "one", 1)


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="")
def test_a_failing_renderer_leaves_the_drawing_to_this_process(tmp_path, monkeypatch):
    def broken(job, processes):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(renderer, "_draw", broken)  # before the fork: the renderer has it
    seen = []
    finish = renderer.Renderer.finish

    def spy(self):
        names = finish(self)
        seen.append((names, self.error))
        return names

    monkeypatch.setattr(renderer.Renderer, "finish", spy)
    two = _run(tmp_path, "two", 2)
    assert seen and seen[0][0] is None and "renderer broke" in seen[0][1]
    monkeypatch.undo()
    assert two == _run(tmp_path, "one", 1)


def test_a_renderer_whose_imports_failed_says_why(uncertain_result, tmp_path, monkeypatch):
    """Its error message, read by ready(), is kept: finish() gives it, nothing is drawn there."""

    def broken() -> None:
        raise RuntimeError("imports broke")

    monkeypatch.setattr(renderer, "warm_up", broken)  # before the fork: the renderer has it
    early = renderer.Renderer(2)
    deadline = time.monotonic() + 120  # a busy machine: a generous limit, not a sleep
    while early.error is None and not early.ready() and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a condition
    assert early.error is not None and "imports broke" in early.error
    out = tmp_path / "drawn"
    out.mkdir()
    early.start(renderer.DrawJob(uncertain_result, out, ("svg",), 40))
    assert early.finish() is None and "imports broke" in early.error
    assert not list(out.iterdir())


def test_a_job_handed_over_before_the_renderer_is_ready_does_not_wait(
    uncertain_result, tmp_path, monkeypatch
):
    """start() returns while the renderer still imports (held here until a file exists), with
    a job larger than the pipe holds; the renderer takes it once ready and draws it."""
    import threading

    release = tmp_path / "release"

    def held() -> None:
        end = time.monotonic() + 300  # a generous limit: the test releases it
        while not release.exists() and time.monotonic() < end:
            time.sleep(0.01)  # polling a condition

    monkeypatch.setattr(renderer, "warm_up", held)  # before the fork: the renderer has it
    big = uncertain_result.copy()
    big.attrs["padding"] = "x" * 4_000_000  # far more than a pipe's buffer
    out = tmp_path / "out"
    out.mkdir()
    early = renderer.Renderer(2)
    try:
        starting = threading.Thread(
            target=early.start, args=(renderer.DrawJob(big, out, ("svg",), 40),), daemon=True
        )
        starting.start()
        starting.join(timeout=60)  # generous: returning takes milliseconds
        assert not starting.is_alive(), "start() waited for the renderer to be ready"
    finally:
        release.touch()
    assert early.finish() is not None, early.error
    assert early.error is None and (out / "report.html").exists()


def test_no_renderer_for_one_process():
    with renderer.early_renderer(1) as early:
        assert early is None


def _greedy(text: str, size: float, width: float, weight: str) -> str:
    """The word wrap as it was: every word tried in turn (one measurement a word)."""
    nbsp = "\u00a0"
    text = re.sub(r"as of \d{1,2} \w{3}( \d{4})?", lambda m: m[0].replace(" ", nbsp), text)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        start = len(lines)
        for word in (w for w in paragraph.split(" ") if w):
            candidate = f"{lines[-1]} {word}" if len(lines) > start else ""
            if (
                candidate
                and text_width([candidate.replace(nbsp, " ")], size, weight=weight) <= width
            ):
                lines[-1] = candidate
            else:
                lines.append(word)
    return "\n".join(lines).replace(nbsp, " ")


def test_wrap_gives_the_lines_of_trying_every_word():
    import random

    rng = random.Random(3)
    vocab = [
        "a",
        "I",
        "of",
        "to",
        "be",
        "as",
        "on",
        "the",
        "fire",
        "Ukraine",
        "invasion",
        "Russia's",
        "launch",
        "military",
        "full-scale",
        "WWWWWWWWWWWWWW",
        "iiii",
        "ﬁne",
        "ffi",
        "résumé",
        "مرحبا",
        "שלום",
        "...",
        "—",
        "12.5%",
        "(B2)",
        "as",
        "of",
        "3",
        "Feb",
        "2022",
    ]
    for _ in range(300):
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 40)))
        text = text.replace(" ", "  ", rng.randint(0, 2)).replace(" ", "\n", rng.randint(0, 1))
        size, weight = rng.choice([7.5, 9.0, 13.0]), rng.choice(["normal", "bold"])
        width = rng.uniform(0.3, 8.0)
        assert wrap_text(text, size, width, weight=weight) == _greedy(text, size, width, weight)


def test_the_command_line_skips_its_last_collection(tmp_path, monkeypatch, capsys):
    """Run as the command (no argv given), ``main`` freezes the objects alive: the interpreter's
    last garbage collection, about 0.1-0.3 s of CPU, then skips them; called from Python, no."""
    import gc
    import sys

    from forecast.cli import main

    priors, evidence = _scenario(tmp_path)
    argv = ["validate", "--priors", str(priors), "--evidence", str(evidence)]
    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    assert main(argv) == 0
    assert frozen == []
    monkeypatch.setattr(sys, "argv", ["forecast", *argv])
    assert main() == 0
    assert frozen == [1]


@pytest.mark.parametrize("wait_ready", [True, False])
def test_renderer_draws_a_job_whether_or_not_ready_was_asked(
    uncertain_result, tmp_path, wait_ready
):
    out = tmp_path / "out"
    with renderer.early_renderer(2) as early:
        assert early is not None
        if wait_ready:
            end = time.monotonic() + 120
            while not early.ready() and time.monotonic() < end:
                time.sleep(0.01)
            assert early.ready()
        names = early.draw(renderer.DrawJob(uncertain_result, out, ("svg",), 40))
    assert early.error is None
    assert names == [
        *(f"{n}.svg" for n in charts.export.chart_builders(uncertain_result)),
        "report.html",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
