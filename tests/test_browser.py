"""The review widget in a real browser: JupyterLab + headless Debian Chromium via Playwright.

One JupyterLab server (a free localhost port, no token) and one Chromium serve the whole
module. Each test opens a copy of ``notebooks/spot_check_review.ipynb`` whose store points
into a temporary folder, runs all cells from the Run menu and works the widget as a reviewer
would: 50 keys 5 ms apart all stored in order; keys still work after a mouse click on a
button, after Tab, after adding a tag and after a click on the item text; a restarted kernel
is announced on the widget; Run All with the same store resumes on the same item; a decision
within the minimum display time is refused. It uses the system's ``/usr/bin/chromium``
(installed by ``tests/install_browser.sh``) and never downloads a browser.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

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


class Lab:
    """A JupyterLab server and a Chromium shared by the module's tests."""

    def __init__(self, url: str, work: Path, tmp: Path, context: Any) -> None:
        self.url, self.work, self.tmp, self.context = url, work, tmp, context

    def notebook(self, name: str, **params: Any) -> Path:
        """Write a fresh copy of the review notebook with these parameters; returns its store."""
        import nbformat
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        store = self.tmp / f"{name}.sqlite"
        nb = load_notebook_node(str(ROOT / "notebooks" / "spot_check_review.ipynb"))
        base = {
            "sample": str(ROOT / "data_samples" / "corpus.jsonl"),
            "store_path": str(store),
            "reviewer": REVIEWER,
            "n_items": 400,
            "simulate": False,
        }
        nb = parameterize_notebook(nb, {**base, **params})
        for cell in nb.cells:  # a fresh notebook, as a user would open it
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, self.work / f"{name}.ipynb")
        return store

    def log(self) -> str:
        return (self.tmp / "jupyterlab.log").read_text()[-3000:]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    from playwright.sync_api import sync_playwright

    _chromium()
    tmp = tmp_path_factory.mktemp("browser")
    work = tmp / "lab"
    work.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    news = tmp / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text('{"fetchNews": "false"}')  # no "Jupyter news?" toast over the widget
    log = open(tmp / "jupyterlab.log", "w")  # noqa: SIM115 - closed below
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
                raise RuntimeError(f"JupyterLab did not start: {(tmp / 'jupyterlab.log').read_text()[-2000:]}")
            time.sleep(0.5)
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(tmp / "chromium-profile"), executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000},
            )
            try:
                yield Lab(url, work, tmp, context)
            finally:
                context.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def _menu(page: Any, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def _open_and_run(lab: Lab, name: str) -> Any:
    """Open the notebook, run all cells, wait for the widget to show an item; the page."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page = lab.context.new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{lab.url}/lab/tree/{name}.ipynb?reset")  # only this notebook, no restored tabs
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    accept = page.locator(".jp-Dialog .jp-mod-accept")  # which kernel? the preselected Python 3
    try:
        accept.wait_for(state="visible", timeout=15_000)
        accept.click()
    except PlaywrightTimeoutError:
        pass
    page.get_by_text("| Idle").first.wait_for(timeout=120_000)
    _menu(page, "Run", "Run All Cells")
    _wait_for_item(page, lab)
    return page


def _wait_for_item(page: Any, lab: Lab) -> str:
    """Wait for a live widget showing an item; the item's id."""
    try:
        page.wait_for_function(
            "() => { const h = document.querySelector('.wb-review:not(.wb-is-dead) .wb-header b');"
            " return h !== null && h.innerText.trim().length > 0; }",
            timeout=240_000,
        )
    except Exception:
        page.screenshot(path=str(lab.tmp / "no_widget.png"), full_page=True)
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        raise AssertionError(
            f"the review widget never showed an item (screenshot {lab.tmp / 'no_widget.png'}); "
            f"cell outputs: {[o[:300] for o in outputs]}; JupyterLab log: {lab.log()}"
        ) from None
    page.locator(".wb-review:not(.wb-is-dead)").scroll_into_view_if_needed()
    return str(page.locator(".wb-review:not(.wb-is-dead) .wb-header b").first.inner_text()).strip()


def _decisions(store: Path, n: int, timeout_s: float = 120.0) -> pd.DataFrame:
    """The browser reviewer's decision events (whole history, oldest first) once there are n."""
    from workbench.review import ReviewStore

    deadline = time.monotonic() + timeout_s
    got = pd.DataFrame()
    while time.monotonic() < deadline:
        if store.exists():
            with ReviewStore(store, synchronous="NORMAL") as s:
                got = s.decisions(latest=False, reviewer=REVIEWER)
            if len(got) >= n:
                return got.sort_values("event_id").reset_index(drop=True)
        time.sleep(0.3)
    raise AssertionError(f"{len(got)} decisions reached the store, expected {n}")


def _settled(page: Any) -> None:
    """Every key sent has been acknowledged by the kernel."""
    page.wait_for_function("() => document.querySelector('.wb-review:not(.wb-is-dead) .wb-pending')"
                           ".dataset.n === '0'", timeout=60_000)


def test_fifty_fast_keys_focus_traps_restart_and_resume(lab: Lab) -> None:
    corpus = pd.read_json(ROOT / "data_samples" / "corpus.jsonl", lines=True).head(300)
    long = corpus.index % 5 == 0  # every fifth document four times over: longer than the item box
    corpus.loc[long, "text"] = corpus.loc[long, "text"].map(lambda t: "\n\n".join([t] * 4))
    sample = lab.tmp / "corpus_long.jsonl"
    corpus.to_json(sample, orient="records", lines=True)
    store = lab.notebook("fast", sample=str(sample), min_display_ms=0, review_tags=["spam", "pii"])
    page = _open_and_run(lab, "fast")
    widget = page.locator(".wb-review:not(.wb-is-dead)")
    assert widget.get_attribute("data-keys") == "off"  # says so until the reviewer clicks it
    page.locator(".wb-keys").click()
    assert widget.get_attribute("data-keys") == "on" and "keys on" in page.locator(".wb-keys").inner_text()

    # 50 keys, 5 ms apart: all handled, in the order typed, exactly once
    keys = "".join("123"[(i * 7) % 3] for i in range(50))
    page.evaluate("""() => { const p = document.querySelector('.wb-review .wb-pending'); window.wbMaxPending = 0;
        new MutationObserver(() => { window.wbMaxPending = Math.max(window.wbMaxPending, +p.dataset.n); })
            .observe(p, {attributes: true, childList: true, characterData: true, subtree: true}); }""")
    page.keyboard.type(keys, delay=5)
    got = _decisions(store, 50)
    assert len(got) == 50
    names = {"1": "Acceptable", "2": "Poor quality", "3": "Unsafe"}
    assert got["decision"].tolist() == [names[k] for k in keys]
    seqs = got["meta"].map(lambda m: json.loads(m)["key_seq"]).tolist()
    assert seqs == list(range(seqs[0], seqs[0] + 50))
    assert got["item_id"].is_unique
    _settled(page)
    assert page.evaluate("window.wbMaxPending") >= 1  # the widget showed keys waiting for the kernel
    time.sleep(1.0)
    assert len(_decisions(store, 50)) == 50  # nothing handled twice

    # after a mouse click on a decision button, the keys still work
    page.locator(".wb-decision", has_text="2 Poor quality").click()
    page.keyboard.press("3")
    got = _decisions(store, 52)
    assert got["decision"].tolist()[50:] == ["Poor quality", "Unsafe"]
    # Tab keeps the focus on the widget: the next key decides, it is not note text
    page.keyboard.press("Tab")
    page.keyboard.press("1")
    got = _decisions(store, 53)
    assert got["decision"].iloc[-1] == "Acceptable" and got["note"].iloc[-1] == ""
    assert page.locator(".wb-note").input_value() == ""
    # a tag: t, type, Enter gives the keys back; the tag goes with the next decision
    page.keyboard.press("t")
    page.keyboard.type("spam")
    page.keyboard.press("Enter")
    assert widget.get_attribute("data-keys") == "on"
    page.keyboard.press("2")
    got = _decisions(store, 54)
    assert got["decision"].iloc[-1] == "Poor quality" and got["tags"].iloc[-1] == ("spam",)
    # a note: n, type, Enter; then a click on the item text, then a key
    page.keyboard.press("n")
    page.keyboard.type("123 looks like spam")
    page.keyboard.press("Enter")
    page.locator(".wb-body").click()
    page.keyboard.press("3")
    got = _decisions(store, 55)
    assert got["decision"].iloc[-1] == "Unsafe" and got["note"].iloc[-1] == "123 looks like spam"
    # the history lists the last ten, newest first
    _settled(page)
    assert page.locator(".wb-hrow").count() == 10
    assert page.locator(".wb-hrow .wb-hitem").first.inner_text() == got["item_id"].iloc[-1]

    # a long item scrolls with the keyboard (s skips to the next item until one overflows)
    body = page.locator(".wb-review .wb-body")
    overflows = "e => e.scrollHeight > e.clientHeight + 20"
    for _ in range(40):
        if body.evaluate(overflows):
            break
        page.keyboard.press("s")
        _settled(page)
    assert body.evaluate(overflows), "no item of the sample is longer than the item box"
    assert body.evaluate("e => e.scrollTop") == 0
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('.wb-review .wb-body').scrollTop > 0")
    page.keyboard.press("End")
    page.wait_for_function("() => { const e = document.querySelector('.wb-review .wb-body');"
                           " return e.scrollTop + e.clientHeight >= e.scrollHeight - 2; }")

    # the kernel restarts: the widget says it is gone and takes no keys
    shown = str(page.locator(".wb-review .wb-header b").first.inner_text()).strip()
    _menu(page, "Kernel", "Restart Kernel…")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    dead = page.locator(".wb-dead")
    dead.wait_for(state="visible", timeout=60_000)
    assert "kernel is gone" in dead.inner_text()
    page.screenshot(path=str(lab.tmp / "dead_kernel.png"))
    page.locator(".wb-review").first.click()
    page.keyboard.press("1")
    # Run All with the same store: the widget resumes on the item that was on screen
    page.get_by_text("| Idle").first.wait_for(timeout=120_000)
    _menu(page, "Run", "Run All Cells")
    page.wait_for_function("() => document.querySelectorAll('.wb-review.wb-is-dead').length === 0",
                           timeout=240_000)
    assert _wait_for_item(page, lab) == shown
    assert len(_decisions(store, 55)) == 55  # the key on the dead widget recorded nothing
    page.close()


def test_decisions_within_the_minimum_display_time_are_refused(lab: Lab) -> None:
    store = lab.notebook("careful", min_display_ms=3000)
    page = _open_and_run(lab, "careful")
    page.locator(".wb-keys").click()
    time.sleep(3.3)  # the first item has been on screen long enough
    page.keyboard.type("1112", delay=30)  # the 2nd to 4th land on items nobody has seen
    _settled(page)
    status = page.locator(".wb-review .wb-status")
    assert status.get_attribute("data-level") == "refused" and "refused" in status.inner_text()
    assert len(_decisions(store, 1)) == 1
    time.sleep(3.3)
    page.keyboard.press("2")
    got = _decisions(store, 2)
    assert got["decision"].tolist() == ["Acceptable", "Poor quality"]
    assert (got["display_ms"] >= 3000).all() and (got["display_ms"] < 60_000).all()
    page.close()
