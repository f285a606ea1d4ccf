"""One real-browser check: JupyterLab + headless Debian Chromium driven by Playwright.

The test starts JupyterLab on localhost (a free port, no token, no browser), opens a copy of
``notebooks/spot_check_review.ipynb`` whose store points into a temporary folder, runs all
cells from the Run menu, types the decision key ``1`` into the widget's shortcut box, and
finds that decision in the SQLite store. It uses the system's ``/usr/bin/chromium`` (installed
by ``tests/install_browser.sh``) and never downloads a browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REVIEWER = "browser-test"


def _chromium() -> Path:
    """The system Chromium; installs it with tests/install_browser.sh where that can work."""
    if not CHROMIUM.exists():
        script = ROOT / "tests" / "install_browser.sh"
        subprocess.run(["sh", str(script)], check=False, timeout=900, capture_output=True)
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's chromium is not installed at /usr/bin/chromium and tests/install_browser.sh "
            "could not install it (needs root or password-less sudo and apt-get); install it with "
            "'apt-get install chromium' to run the browser test."
        )
    pytest.importorskip("playwright.sync_api", reason="playwright (Python) is not installed")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """JupyterLab serving a folder with the notebook (parameters pointing into tmp_path)."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    _chromium()
    work = tmp_path / "lab"
    work.mkdir()
    store = tmp_path / "reviews.sqlite"
    nb = load_notebook_node(str(ROOT / "notebooks" / "spot_check_review.ipynb"))
    nb = parameterize_notebook(
        nb,
        {
            "sample": str(ROOT / "data_samples" / "corpus.jsonl"),
            "store_path": str(store),
            "reviewer": REVIEWER,
            "n_items": 800,
            "simulated_per_reviewer": 120,
        },
    )
    for cell in nb.cells:  # a fresh notebook, as a user would open it
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, work / "spot_check_review.ipynb")
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    log = open(tmp_path / "jupyterlab.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--allow-root",
            "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={work}",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start: {(tmp_path / 'jupyterlab.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url, store, tmp_path
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def test_notebook_runs_in_jupyterlab_and_a_key_press_reaches_the_store(lab: tuple[str, Path, Path]) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import sync_playwright

    from workbench.review import ReviewStore

    url, store_path, tmp = lab
    profile = tmp / "chromium-profile"
    if profile.exists():
        shutil.rmtree(profile)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(f"{url}/lab/tree/spot_check_review.ipynb")
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
            # JupyterLab may ask which kernel to start: take the preselected Python 3
            accept = page.locator(".jp-Dialog .jp-mod-accept")
            try:
                accept.wait_for(state="visible", timeout=20_000)
                accept.click()
            except PlaywrightTimeoutError:
                pass
            page.get_by_text("| Idle").first.wait_for(timeout=120_000)
            # Run > Run All Cells
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            box = page.locator(".wb-shortcuts input")
            try:
                box.wait_for(state="attached", timeout=240_000)
            except Exception:
                page.screenshot(path=str(tmp / "no_widget.png"), full_page=True)
                outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
                raise AssertionError(
                    f"the review widget never appeared (screenshot {tmp / 'no_widget.png'}); "
                    f"cell outputs: {[o[:300] for o in outputs]}"
                ) from None
            box.scroll_into_view_if_needed()
            box.wait_for(state="visible", timeout=60_000)
            # the header names the item on display; wait until the widget has rendered it
            page.wait_for_function(
                "() => { const e = document.querySelector('.wb-review .widget-html-content');"
                " return e !== null && e.innerText.split('\u00b7')[0].trim().length > 0; }",
                timeout=60_000,
            )
            header = page.locator(".wb-review .widget-html-content").first
            shown = header.inner_text().split("·")[0].strip()
            box.click()
            page.keyboard.press("1")
            # the kernel handles the key once the cells queued before it have run
            deadline = time.monotonic() + 240
            decisions = None
            while time.monotonic() < deadline:
                if store_path.exists():
                    with ReviewStore(store_path, synchronous="NORMAL") as store:
                        decisions = store.decisions(reviewer=REVIEWER)
                    if len(decisions):
                        break
                time.sleep(1)
            assert decisions is not None and len(decisions) == 1, (
                "no decision of the browser reviewer reached the store; JupyterLab log:\n"
                + (tmp / "jupyterlab.log").read_text()[-3000:]
            )
            assert decisions["decision"].iloc[0] == "Acceptable"
            assert decisions["item_id"].iloc[0] == shown
            # the widget moved on and cleared the shortcut box
            page.wait_for_function(
                "() => document.querySelector('.wb-status') && document.querySelector('.wb-status').innerText.includes('saved')",
                timeout=60_000,
            )
            assert box.input_value() == ""
        finally:
            context.close()
