"""JupyterLab in a real browser: run the Ukraine notebook through the UI, see the charts, move
a what-if slider with the mouse and see the headline change.

Needs Debian's ``chromium`` at /usr/bin/chromium (``make test`` installs it when missing), driven by
Playwright; the browser is never downloaded. The server runs on 127.0.0.1 with a random
token, on a copy of notebooks/, priors.yaml and evidence/ (the repository is not modified).
Set ``FORECAST_SCREENSHOT=1`` to also copy the screenshot to docs/jupyterlab.png.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, copy_bundled

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # needed as root
    "--disable-background-networking",  # no network here: nothing may phone home
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START = 90  # seconds
KERNEL_READY = 120
RUN_ALL = 300
UPDATE = 90
HEADLINE = re.compile(
    r"^P\(invasion\) = \d+\.\d% \(90% band \d+\.\d-\d+\.\d%\), as of \d{4}-\d\d-\d\d$"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, url: str, token: str, root: Path, log: Path):
        self.url, self.token, self.root, self.log = url, token, root, log

    def log_tail(self, n: int = 40) -> str:
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """``jupyter lab`` from this environment on a free port of 127.0.0.1, with a random token,
    its root a temporary copy of the notebooks; shut down at the end whatever happens."""
    base = tmp_path_factory.mktemp("lab")
    root = copy_bundled(base / "repo", "notebooks", "indicators")
    # a private Jupyter configuration: no user settings, workspaces or news pop-ups
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("IPYTHONDIR", "ipython"),
        ("TMPDIR", "tmp"),
    ]:
        (base / sub).mkdir()
        env[var] = str(base / sub)
    notification = base / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port, token = free_port(), secrets.token_hex(24)
    log = base / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root / 'notebooks'}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Lab(f"http://127.0.0.1:{port}", token, root, log)
    try:
        deadline = time.monotonic() + SERVER_START
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                with urllib.request.urlopen(
                    f"{server.url}/api/status?token={token}", timeout=5
                ) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in {SERVER_START}s:\n{server.log_tail()}")
            time.sleep(0.5)
        yield server
    finally:
        proc.terminate()  # the server shuts its kernels down
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser test needs Debian's chromium package "
            "(apt-get install --no-install-recommends chromium; make test installs it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def test_ukraine_notebook_in_jupyterlab(lab, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page_errors: list[str] = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    screenshot = tmp_path / "jupyterlab.png"

    def fail(what: str) -> None:
        page.screenshot(path=str(tmp_path / "failure.png"))
        pytest.fail(
            f"{what} (screenshot {tmp_path / 'failure.png'}; page errors {page_errors})\n"
            f"server log:\n{lab.log_tail()}"
        )

    from playwright.sync_api import Error as PlaywrightError

    try:
        page.goto(f"{lab.url}/lab/tree/ukraine_2022.ipynb?token={lab.token}", timeout=60_000)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
        # the kernel must be up before "Run All Cells", or the cells are skipped
        page.wait_for_function(
            r"""() => Array.from(document.querySelectorAll('.jp-StatusBar-TextItem'))
                .some(e => /\|\s*Idle/.test(e.textContent))""",
            timeout=KERNEL_READY * 1000,
        )
        # more room for the notebook: collapse the file browser
        page.locator('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="filebrowser"]').click()
        # Run > Run All Cells, through the menu
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        page.wait_for_function(
            r"""() => {
                const p = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'));
                return p.length > 0 && p.every(e => /\[\d+\]/.test(e.textContent));
            }""",
            timeout=RUN_ALL * 1000,
        )
        page.wait_for_selector(
            '.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=KERNEL_READY * 1000
        )
    except PlaywrightError as exc:
        fail(f"running the notebook in JupyterLab failed: {exc}")

    # no cell shows an error
    tracebacks = page.locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
        has_text="Traceback",
    )
    if tracebacks.count():
        fail(f"a cell shows an error: {tracebacks.first.inner_text()[:2000]}")
    assert page.locator(".jp-OutputArea-output", has_text="Error displaying widget").count() == 0

    # the timeline is rendered: an image in the output of the cell that draws it
    timeline_cell = page.locator(".jp-CodeCell", has_text="forecast.plot_timeline(result)").first
    img = timeline_cell.locator(".jp-OutputArea-output img").first
    img.scroll_into_view_if_needed()
    size = img.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
    assert size[0] and size[1] > 500 and size[2] > 500, size
    charts = page.locator(".jp-OutputArea-output img").evaluate_all(
        "imgs => imgs.filter(i => i.naturalWidth > 300).length"
    )
    assert charts >= 5  # timeline, impact, ACH, sensitivity, what-if timeline

    check_what_if_panel(page, fail, screenshot)
    page.close()


def check_pretend_buttons(page, fail) -> None:
    """Issue 21 point 12: at 1366x768 the "pretend seen / not seen" buttons show their whole
    text ("not seen", not "not s..."): no button's text is wider than the button."""
    from playwright.sync_api import Error as PlaywrightError

    header = page.locator(".forecast-whatif").get_by_text("Indicators: pretend seen / not seen")
    try:
        header.scroll_into_view_if_needed(timeout=UPDATE * 1000)
        header.click()
    except PlaywrightError:
        fail("the what-if panel has no folded 'Indicators: pretend seen / not seen' section")
    buttons = page.locator(".forecast-whatif .widget-toggle-buttons button")
    try:
        buttons.first.wait_for(state="visible", timeout=UPDATE * 1000)
    except PlaywrightError:
        fail("the indicators' pretend toggles did not unfold")
    sizes = buttons.evaluate_all(
        "bs => bs.map(b => [b.textContent.trim(), b.scrollWidth, b.clientWidth])"
    )
    assert any(text == "not seen" for text, _, _ in sizes), sizes
    cut = [s for s in sizes if s[1] > s[2]]
    assert not cut, f"buttons whose text is cut at 1366x768: {cut}"
    header.click()  # folded again


def check_what_if_panel(page, fail, screenshot: Path) -> None:
    """Drag a diagnosticity slider across its range in one gesture: the headline follows
    during the drag and the chart's canvas is redrawn in place; then, at 1366x768, move the
    last item's slider and see the headline stay in view."""
    from playwright.sync_api import Error as PlaywrightError

    panel = page.locator(".forecast-whatif")
    headline = page.locator(".forecast-whatif-headline")
    panel.evaluate("e => e.scrollIntoView({block: 'start'})")
    before = headline.text_content().strip()
    assert HEADLINE.match(before), before
    # the timeline is an ipympl canvas: mark it, to see later that it is the same element
    canvas = panel.locator(".forecast-whatif-chart canvas").first
    try:
        page.wait_for_function(
            """() => { const c = document.querySelector('.forecast-whatif-chart canvas');
                       return c && c.width > 300 && c.toDataURL().length > 5000; }""",
            timeout=UPDATE * 1000,
        )
    except PlaywrightError:
        fail("the what-if panel's chart did not draw")
    canvas.evaluate("c => { c.dataset.marked = 'yes'; }")
    pixels_before = canvas.evaluate("c => c.toDataURL()")
    assert panel.locator("img").count() == 0

    item = page.locator(".forecast-whatif-item", has_text="maxar-new-deployments")
    slider = item.locator(".forecast-whatif-diagnosticity")
    handle = slider.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()  # the controls scroll in their own box
    track = slider.locator(".noUi-base").bounding_box()
    assert track is not None and track["width"] >= 250, track  # issue 11: wide enough to aim
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    seen = [before]

    def settled() -> None:
        """Wait until the panel shows the slider's current value (condition, not a sleep)."""
        page.wait_for_function(
            r"""() => {
                const item = Array.from(document.querySelectorAll('.forecast-whatif-item'))
                    .find(e => e.textContent.includes('maxar-new-deployments'));
                const v = parseFloat(item.querySelector(
                    '.forecast-whatif-diagnosticity .widget-readout').textContent);
                const status = document.querySelector('.forecast-whatif').textContent;
                const m = status.match(/maxar-new-deployments s=([0-9.]+)/);
                return Math.abs(v - 1) < 1e-9 ? !m : (m && Math.abs(parseFloat(m[1]) - v) < 1e-9);
            }""",
            timeout=UPDATE * 1000,
        )

    # one gesture: press, to the left end, across to the right end, release
    left, right = track["x"] + 2, track["x"] + track["width"] - 2
    path = list(np.linspace(x, left, 4)[1:]) + list(np.linspace(left, right, 9)[1:])
    page.mouse.move(x, y)
    page.mouse.down()
    try:
        for px in path:
            page.mouse.move(float(px), y, steps=3)
            settled()
            text = headline.text_content().strip()
            if text != seen[-1]:
                seen.append(text)
    except PlaywrightError:
        fail(f"the headline did not follow the slider during the drag (saw {seen})")
    finally:
        page.mouse.up()
    assert len(seen) >= 4, f"the headline changed {len(seen) - 1} times during the drag: {seen}"
    assert all(HEADLINE.match(t) for t in seen), seen
    readout = float(slider.locator(".widget-readout").text_content())
    assert readout == pytest.approx(3.0)
    p = [float(re.search(r"= (\d+\.\d)%", t)[1]) for t in seen]
    assert p[-1] > p[0]  # more weight on the imagery: invasion more likely
    try:  # the same canvas element, with new pixels
        page.wait_for_function(
            "old => { const c = document.querySelector('.forecast-whatif-chart canvas');"
            " return c.dataset.marked === 'yes' && c.toDataURL() !== old; }",
            arg=pixels_before,
            timeout=UPDATE * 1000,
        )
    except PlaywrightError:
        fail("the what-if chart's canvas was not redrawn in place")
    assert panel.locator("img").count() == 0  # no image re-rendered into the page

    # a 1366x768 laptop: the last item's slider moved, the headline still in view
    page.set_viewport_size({"width": 1366, "height": 768})
    panel.evaluate("e => e.scrollIntoView({block: 'start'})")
    last = page.locator(".forecast-whatif-item").last
    last_handle = last.locator(".forecast-whatif-diagnosticity .noUi-handle")
    last_handle.scroll_into_view_if_needed()
    box = last_handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    old = headline.text_content().strip()

    def headline_in_view() -> bool:
        return headline.evaluate(
            """e => { const r = e.getBoundingClientRect();
                      if (r.top < 0 || r.bottom > window.innerHeight || r.width === 0) return false;
                      const hit = document.elementFromPoint(r.left + 5, (r.top + r.bottom) / 2);
                      return e.contains(hit); }"""
        )

    assert headline_in_view(), "the headline is out of view when the last item's slider shows"
    page.mouse.move(x, y)
    page.mouse.down()
    try:
        page.mouse.move(x - 80, y, steps=4)
        page.wait_for_function(
            "old => document.querySelector('.forecast-whatif-headline').textContent.trim() !== old",
            arg=old,
            timeout=UPDATE * 1000,
        )
        assert headline_in_view(), "the headline left the view while the last slider moved"
    except PlaywrightError:
        fail("the headline did not change while the last item's slider moved")
    finally:
        page.mouse.up()
    assert headline_in_view()

    check_pretend_buttons(page, fail)

    # the screenshot: the panel on a laptop-sized screen
    panel.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_function("() => document.fonts.status === 'loaded'")
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 20_000
    if os.environ.get("FORECAST_SCREENSHOT"):
        shutil.copy(screenshot, ROOT / "docs" / "jupyterlab.png")


def visible_rows(page) -> tuple[list[str], list[str]]:
    """The ids of the dashboard's visible sorted views and the scenarios of their rows."""
    return page.evaluate(
        """() => {
        const shown = [...document.querySelectorAll('section.view')]
            .filter(s => getComputedStyle(s).display !== 'none');
        return [shown.map(s => s.id),
                shown.flatMap(s => [...s.querySelectorAll('tr[data-scenario]')]
                                       .map(r => r.dataset.scenario))];
        }"""
    )


def test_portfolio_dashboard_sorts_and_links(browser, tmp_path):
    """``forecast portfolio`` on the bundled scenario and two more folders, twice (one folder
    gains an item in between): the dashboard sorts by probability and by change, and every
    question's link opens its report."""
    import pandas as pd
    from helpers import item_dict, priors_dict, write_scenario

    from forecast.portfolio import portfolio

    ukraine = copy_bundled(tmp_path / "in" / "ukraine", "indicators")
    calm = [item_dict("a", {"calm": 4}, date="2022-02-15")]
    write_scenario(tmp_path / "in" / "calm", priors_dict(question="Calm?"), calm)
    storm = [item_dict("a", {"storm": 3}, date="2022-02-15")]
    write_scenario(tmp_path / "in" / "storm", priors_dict(question="Storm?"), storm)
    folders = [ukraine, tmp_path / "in" / "calm", tmp_path / "in" / "storm"]
    out = tmp_path / "out"
    portfolio(folders, out, workers=2)
    storm.append(item_dict("b", {"calm": 2}, date="2022-02-16"))  # storm moves, others do not
    write_scenario(tmp_path / "in" / "storm", priors_dict(question="Storm?"), storm)
    port = portfolio(folders, out, workers=2)
    table = port.table.set_index("scenario")
    assert (port.table["status"] == "ok").all()
    by_p = list(table["p"].sort_values(ascending=False).index)
    assert table.loc["storm", "change"] != 0 and table.loc["calm", "change"] == 0

    page = browser.new_page(viewport={"width": 1500, "height": 900})
    page.goto((out / "portfolio.html").as_uri())
    assert visible_rows(page) == [["by-p"], by_p]  # the default view: by probability
    page.click('#by-p th a[href="#by-change"]')
    views, rows = visible_rows(page)
    assert views == ["by-change"] and rows[0] == "storm"  # the one that moved, first
    assert page.url.endswith("#by-change")
    page.click('#by-change th a[href="#by-p"]')
    assert visible_rows(page) == [["by-p"], by_p]
    if os.environ.get("FORECAST_SCREENSHOT"):
        page.screenshot(path=str(ROOT / "docs" / "portfolio.png"))
    links = page.locator("#by-p td.q a").evaluate_all("as => as.map(a => a.href)")
    assert len(links) == 3
    for href in links:  # every link resolves to the question's report
        assert Path(urllib.request.url2pathname(href.removeprefix("file://"))).is_file()
    question = pd.read_csv(out / "portfolio.csv").set_index("scenario").loc[by_p[0], "question"]
    page.locator("#by-p td.q a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/{by_p[0]}/report.html")
    assert question in page.locator("h1").inner_text()
    page.close()
