"""JupyterLab in a real browser: run the Ukraine notebook through the UI, see the charts, move
a what-if slider with the mouse and see the headline change.

Needs Debian's ``chromium`` at /usr/bin/chromium (``.ci/run`` installs it), driven by
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

import pytest
from conftest import ROOT

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
HEADLINE = re.compile(r"^P\(invasion\) = \d+\.\d% \(90% band \d+\.\d-\d+\.\d%\)$")


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
    root = base / "repo"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copy(ROOT / "priors.yaml", root / "priors.yaml")
    shutil.copytree(ROOT / "evidence", root / "evidence")
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
            "(apt-get install --no-install-recommends chromium; .ci/run installs it)"
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
    timeline_cell = page.locator(".jp-CodeCell", has_text="forecast.timeline(result)").first
    img = timeline_cell.locator(".jp-OutputArea-output img").first
    img.scroll_into_view_if_needed()
    size = img.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
    assert size[0] and size[1] > 500 and size[2] > 500, size
    charts = page.locator(".jp-OutputArea-output img").evaluate_all(
        "imgs => imgs.filter(i => i.naturalWidth > 300).length"
    )
    assert charts >= 6  # timeline, impact, ACH, sensitivity, what-if timeline, the panel's

    # the what-if panel: move the diagnosticity slider of one item with the mouse
    panel = page.locator(".forecast-whatif")
    headline = page.locator(".forecast-whatif-headline")
    panel.scroll_into_view_if_needed()
    before = headline.text_content().strip()
    assert HEADLINE.match(before), before
    panel_img = panel.locator("img").first
    src_before = panel_img.get_attribute("src")
    slider = page.locator(".forecast-whatif-diagnosticity").nth(10)  # maxar-new-deployments
    handle = slider.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 70, y, steps=10)
    page.mouse.up()
    try:
        page.wait_for_function(
            "old => document.querySelector('.forecast-whatif-headline').textContent.trim() !== old",
            arg=before,
            timeout=UPDATE * 1000,
        )
        page.wait_for_function(
            "old => document.querySelector('.forecast-whatif img').src !== old",
            arg=src_before,
            timeout=UPDATE * 1000,
        )
    except PlaywrightError:
        fail(f"the headline did not change after moving the slider (still {before!r})")
    after = headline.text_content().strip()
    assert HEADLINE.match(after) and after != before
    readout = float(slider.locator(".widget-readout").text_content())
    assert readout > 1.0
    p_before, p_after = (float(re.search(r"= (\d+\.\d)%", t)[1]) for t in (before, after))
    assert p_after > p_before  # more weight on the imagery: invasion more likely
    assert "maxar-new-deployments s=" in panel.text_content()

    # the screenshot: the panel at the top of the view
    panel.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 20_000
    if os.environ.get("FORECAST_SCREENSHOT"):
        shutil.copy(screenshot, ROOT / "docs" / "jupyterlab.png")
    page.close()
