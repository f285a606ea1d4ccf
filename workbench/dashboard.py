"""The live quality dashboard: review KPIs as they change, for people who do not open notebooks.

:func:`read_snapshot` opens a review store read-only with a fresh connection, computes the KPIs
(:mod:`workbench.review.kpis`) and collects the latest report headlines from the run
manifests; it never raises for a missing, empty, damaged or busy store — the snapshot says what
is wrong instead, so the page never shows a traceback. :func:`tiles_html` and
:func:`trend_figures` draw a snapshot; :class:`Dashboard` puts them in a widget that refreshes
on a timer (in Voilà, served by ``workbench dashboard STORE``) or shows them once (headless
report). :func:`serve` starts Voilà on 127.0.0.1.

The notebook ``notebooks/quality_dashboard.ipynb`` only calls these.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench._internal.escape import escape_html, plotly_text
from workbench.analyses.quality_dashboard import (  # the data part lives in the analysis
    ENV_PREFIX,
    DashboardConfig,
    DashboardSnapshot,
    EventLog,
    RunHeadline,
    configure,
    demo_store,
    read_snapshot,
    recent_runs,
)
from workbench.errors import WorkbenchError
from workbench.plots import mark_text_escaped

__all__ = [
    "DashboardConfig",
    "DashboardSnapshot",
    "EventLog",
    "RunHeadline",
    "Dashboard",
    "configure",
    "demo_store",
    "read_snapshot",
    "recent_runs",
    "serve",
    "tiles_html",
    "trend_figures",
]


# -- drawing ---------------------------------------------------------------------------------

#: A reviewer's rate counts in the "Items per hour" tile from this many decisions on: a few
#: quick decisions give absurd rates (12 decisions -> 11,863 items/hour).
MIN_DECISIONS_FOR_RATE = 20
_CSS = """
<style>
.wb-dash {font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1f2933;}
.wb-dash .wb-head {display:flex; justify-content:space-between; align-items:baseline; margin: 0 0 8px 0;}
.wb-dash .wb-head h2 {margin: 0; font-size: 20px;}
.wb-dash .wb-meta {color:#52606d; font-size: 12px;}
.wb-dash .wb-tiles {display:grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 10px;}
.wb-dash .wb-tile {border:1px solid #d9e2ec; border-radius: 8px; padding: 10px 12px; background:#fff;}
.wb-dash .wb-tile .wb-label {font-size: 12px; color:#52606d; text-transform: uppercase; letter-spacing: .03em;}
.wb-dash .wb-tile .wb-value {font-size: 26px; font-weight: 600; margin-top: 2px;}
.wb-dash .wb-tile .wb-sub {font-size: 12px; color:#52606d; margin-top: 2px;}
.wb-dash .wb-bad {border-color:#e12d39; background:#fff5f5;}
.wb-dash .wb-warn {border-color:#f0b429; background:#fffbea;}
.wb-dash .wb-good {border-color:#3ebd93;}
.wb-dash .wb-msg {padding: 10px 12px; border-radius: 8px; margin: 8px 0; background:#f0f4f8;}
.wb-dash .wb-msg.wb-error {background:#fff5f5; border:1px solid #e12d39;}
.wb-dash table {border-collapse: collapse; font-size: 13px; margin-top: 6px;}
.wb-dash th, .wb-dash td {padding: 3px 8px; border-bottom: 1px solid #e4e7eb; text-align: left;}
.wb-dash h3 {font-size: 15px; margin: 16px 0 4px 0;}
</style>
"""


def _fmt(value: float, spec: str, missing: str = "n/a") -> str:
    return missing if value is None or not np.isfinite(value) else format(value, spec)


def _tile(label: str, value: str, sub: str = "", tone: str = "") -> str:
    cls = f"wb-tile {tone}".strip()
    return (
        f'<div class="{cls}"><div class="wb-label">{escape_html(label)}</div>'
        f'<div class="wb-value">{escape_html(value)}</div>'
        f'<div class="wb-sub">{escape_html(sub)}</div></div>'
    )


def _table(frame: pd.DataFrame, columns: dict[str, str], formats: dict[str, str] | None = None) -> str:
    formats = formats or {}
    head = "".join(f"<th>{escape_html(title)}</th>" for title in columns.values())
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for col in columns:
            v = row[col]
            if col in formats and isinstance(v, (int, float, np.number)) and np.isfinite(v):
                text = format(v, formats[col])
            elif isinstance(v, float) and not np.isfinite(v):
                text = "n/a"
            else:
                text = str(v)
            cells.append(f"<td>{escape_html(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _latest(runs: Sequence[RunHeadline], report: str) -> RunHeadline | None:
    return next((r for r in runs if r.report == report), None)


def tiles_html(snap: DashboardSnapshot, *, demo: bool = False, refresh_s: float | None = None) -> str:
    """The dashboard's text part as one self-contained, escaped HTML fragment.

    Contains the total as ``N decisions`` (N the decisions in effect) whenever the store could
    be read, so people and tests can read it; an unreadable store shows "—", never a count.

    Examples
    --------
    >>> html = tiles_html(read_snapshot("missing.sqlite"))
    >>> "0 decisions" not in html and "cannot read" in html and "no review store" in html
    True
    """
    when = snap.read_at.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S UTC")
    refresh = f" · refreshes every {refresh_s:g} s" if refresh_s else ""
    parts = [_CSS, '<div class="wb-dash">']
    unread = snap.state == "error"
    total = "cannot read the store" if unread else f"{snap.n_decisions:,} decisions"
    parts.append(
        f'<div class="wb-head"><h2>Review quality — {total}</h2>'
        f'<span class="wb-meta">{escape_html(str(snap.store))} · read {escape_html(when)}'
        f"{escape_html(refresh)}</span></div>"
    )
    if demo:
        parts.append('<div class="wb-msg">Demo store: simulated reviewers on the sample corpus '
                     "(no store was given). Run <code>workbench dashboard STORE</code> on yours.</div>")
    if snap.state == "error":
        parts.append(f'<div class="wb-msg wb-error"><b>Cannot read the review store.</b> '
                     f"{escape_html(snap.message)}</div>")
    elif snap.state == "empty":
        parts.append(f'<div class="wb-msg">{escape_html(snap.message.capitalize())} '
                     f"({snap.n_events:,} events in the store). The tiles fill in as reviewers decide.</div>")
    elif snap.message:
        parts.append(f'<div class="wb-msg">{escape_html(snap.message)}</div>')
    parts.append('<div class="wb-tiles">')
    if unread:  # nothing is known: no tile shows a number
        parts.append(_tile("Decisions", "—", "the store could not be read", "wb-bad"))
        parts.append("</div></div>")
        return "".join(parts)
    parts.append(_tile("Decisions", f"{snap.n_decisions:,}", f"{snap.n_today:,} today · {snap.n_reviewers} reviewer(s)"))
    per = snap.per_reviewer
    fast = set(snap.kpis.too_fast) if snap.kpis is not None else set()
    if not per.empty and "items_per_hour" in per:
        steady = per[(per["n_decisions"] >= MIN_DECISIONS_FOR_RATE) & ~per["reviewer"].isin(fast)]
        note = (f"median over {len(steady)} reviewer(s) with {MIN_DECISIONS_FOR_RATE}+ decisions"
                if len(steady) else f"no reviewer has {MIN_DECISIONS_FOR_RATE} decisions yet")
        if fast:
            note += f"; too fast to have read the items: {', '.join(sorted(fast))}"
        value = _fmt(float(steady["items_per_hour"].median()), ".0f") if len(steady) else "—"
        parts.append(_tile("Items per hour", value, note, "wb-warn" if fast else ""))
    else:
        parts.append(_tile("Items per hour", "—", "no activity yet"))
    kappa_tone = "" if np.isnan(snap.mean_kappa) else ("wb-good" if snap.mean_kappa >= 0.6 else "wb-warn")
    n_pairs = int(snap.agreement["n_items"].sum()) if not snap.agreement.empty else 0
    parts.append(_tile("Reviewer agreement", _fmt(snap.mean_kappa, ".2f"),
                       f"Cohen's kappa on {n_pairs:,} overlap decisions" if n_pairs else "no overlap items yet",
                       kappa_tone))
    if snap.gold_given:
        low, high = snap.gold_ci
        sub = (f"95% CI {_fmt(low, '.0%')}–{_fmt(high, '.0%')} on {snap.n_gold:,} gold decisions"
               if snap.n_gold else "no gold item decided yet")
        tone = "" if np.isnan(snap.gold_accuracy) else ("wb-good" if low >= 0.9 else "wb-warn" if high >= 0.9 else "wb-bad")
        parts.append(_tile("Hidden-gold accuracy", _fmt(snap.gold_accuracy, ".1%"), sub, tone))
    else:
        parts.append(_tile("Hidden-gold accuracy", "n/a", "no gold table given (--gold)"))
    parts.append(_tile("Cost per validated sample", _fmt(snap.cost_per_validated, ",.2f"),
                       f"{snap.n_validated:,} validated items"))
    if not snap.backlog.empty and snap.backlog["backlog"].notna().any():
        left = float(snap.backlog["backlog"].sum())
        parts.append(_tile("Backlog", f"{left:,.0f}", f"items left in {len(snap.backlog)} queue(s)"))
    else:
        parts.append(_tile("Backlog", "n/a", "queues did not record their size"))
    acceptance = _latest(snap.runs, "annotation_reliability")
    if acceptance is not None and acceptance.verdict:  # the decision, not whether the notebook ran
        v = acceptance.verdict
        tone = {"good": "wb-good", "warning": "wb-warn", "bad": "wb-bad"}.get(v.get("tone", ""), "")
        parts.append(_tile("Latest batch", v.get("outcome", "").replace("_", " "), v.get("headline", ""), tone))
    elif acceptance is not None and acceptance.status != "succeeded":
        parts.append(_tile("Latest batch", f"report {acceptance.status}",
                           acceptance.headlines[0] if acceptance.headlines else "", "wb-bad"))
    parts.append("</div>")

    if not snap.per_reviewer.empty:
        per = snap.per_reviewer.copy()
        cols = {"reviewer": "reviewer", "n_decisions": "decisions", "items_per_hour": "items/hour",
                "active_hours": "active hours"}
        fmts = {"items_per_hour": ".0f", "active_hours": ".1f"}
        if "accuracy" in per.columns:
            cols.update({"n_gold": "gold decided", "accuracy": "gold accuracy"})
            fmts.update({"accuracy": ".1%", "n_gold": ".0f"})
        parts.append("<h3>Reviewers</h3>" + _table(per, cols, fmts))
    if not snap.backlog.empty:
        parts.append("<h3>Queues</h3>" + _table(
            snap.backlog, {"queue": "queue", "reviewers": "reviewers", "handled": "handled",
                           "planned": "planned", "backlog": "left"},
            {"planned": ",.0f", "backlog": ",.0f"}))
    parts.append("<h3>Latest reports</h3>")
    if not snap.runs:
        parts.append('<div class="wb-msg">No runs yet: report headlines (acceptance verdicts, drift '
                     "alerts) appear here once <code>workbench report</code> has run with run records.</div>")
    else:
        rows = []
        seen: set[str] = set()
        for run in snap.runs:
            if run.report in seen:
                continue
            seen.add(run.report)
            when_run = run.finished_at.strftime("%Y-%m-%d %H:%M") if run.finished_at is not None else ""
            head = "; ".join(run.headlines) if run.headlines else "(no headline)"
            rows.append({"report": run.report, "status": run.status, "when": when_run, "headline": head})
        parts.append(_table(pd.DataFrame(rows), {"report": "report", "status": "status",
                                                 "when": "finished (UTC)", "headline": "headline"}))
    parts.append("</div>")
    return "".join(parts)


def trend_figures(snap: DashboardSnapshot) -> list[go.Figure]:
    """Two plotly figures: decisions per period by reviewer, and items per hour by reviewer."""
    from workbench.plots import sanitize_figure

    # reviewer names are data: the builders escape them (and say so), sanitize_figure checks
    return [sanitize_figure(_decisions_figure(snap)), sanitize_figure(_rate_figure(snap))]


def _decisions_figure(snap: DashboardSnapshot) -> go.Figure:
    fig = go.Figure()
    t = snap.trends
    if not t.empty:
        for reviewer, g in t.groupby("reviewer", sort=True):
            fig.add_bar(x=g["period"], y=g["n_decisions"], name=plotly_text(str(reviewer)),
                        hovertemplate="%{x}<br>%{y} decisions<extra>" + escape_html(str(reviewer)) + "</extra>")
    label = {"10min": "10 minutes", "1h": "hour", "1D": "day", "7D": "week"}.get(snap.trend_freq, snap.trend_freq)
    fig.update_layout(barmode="stack", height=320, margin={"l": 50, "r": 20, "t": 50, "b": 40},
                      title=f"Decisions per {label}", yaxis_title="decisions", legend_title="reviewer")
    return mark_text_escaped(fig)


def _rate_figure(snap: DashboardSnapshot) -> go.Figure:
    per = snap.per_reviewer
    fig = go.Figure()
    if not per.empty and "items_per_hour" in per:
        per = per.sort_values("items_per_hour", na_position="first")
        fig.add_bar(x=per["items_per_hour"], y=[plotly_text(str(r)) for r in per["reviewer"]], orientation="h",
                    hovertemplate="%{y}: %{x:.0f} items/hour<extra></extra>")
    n = max(1, len(per))
    fig.update_layout(height=max(220, 60 + 26 * n), margin={"l": 120, "r": 20, "t": 50, "b": 40},
                      title="Items per hour of active time, by reviewer", xaxis_title="items per hour")
    return mark_text_escaped(fig)


class Dashboard:
    """The dashboard page: KPI tiles and trend charts over one review store.

    ``show()`` draws it: live (a widget that a daemon thread re-reads the store into every
    ``refresh_s`` seconds) or static (headless).
    """

    def __init__(self, config: DashboardConfig, *, first: DashboardSnapshot | None = None) -> None:
        self.config = config
        self.log = EventLog()
        # ``first``: the snapshot the analysis already read (the report shows the same numbers)
        self.snapshot = first if first is not None else read_snapshot(config, log=self.log)
        self._widgets: dict[str, Any] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.refreshes = 0

    def refresh(self, *_: object) -> DashboardSnapshot:
        """Read the store again and update the page (called by the timer)."""
        with self._lock:
            try:
                self.snapshot = read_snapshot(self.config, log=self.log)
                self.refreshes += 1
                if self._widgets:
                    self._update()
            except Exception as exc:  # the page keeps its last numbers and says why  # noqa: BLE001
                self.snapshot = replace(self.snapshot, state="error", message=f"refresh failed: {exc}")
                if self._widgets:
                    self._widgets["tiles"].value = self._html()
        return self.snapshot

    def _html(self) -> str:
        return tiles_html(self.snapshot, demo=self.config.demo,
                          refresh_s=self.config.refresh_s if self.config.live else None)

    def widget(self) -> Any:
        """The live page as an ipywidgets box (tiles and two charts); :meth:`start` runs the timer."""
        import ipywidgets as widgets

        tiles = widgets.HTML(self._html())
        figs = [go.FigureWidget(f) for f in trend_figures(self.snapshot)]
        self._widgets = {"tiles": tiles, "figs": figs}
        return widgets.VBox([tiles, *figs])

    def start(self) -> threading.Thread:
        """Refresh every ``refresh_s`` seconds in a daemon thread until :meth:`stop`.

        The thread only reads the store (a fresh read-only connection each time) and sets
        widget values, which ipykernel sends to the page from any thread.
        """
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(self.config.refresh_s):
                self.refresh()

        self._thread = threading.Thread(target=loop, name="workbench-dashboard", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Stop the refresh timer (the page keeps its last numbers)."""
        self._stop.set()

    def _update(self) -> None:
        self._widgets["tiles"].value = self._html()
        for live, fresh in zip(self._widgets["figs"], trend_figures(self.snapshot), strict=True):
            with live.batch_update():
                live.data = ()
                for trace in fresh.data:
                    live.add_trace(trace)
                live.layout = fresh.layout

    def show(self) -> None:
        """Display the page: the live widget under Voilà, the static tiles and figures headless."""
        from IPython.display import HTML, display

        if self.config.live:
            display(self.widget())
            self.start()
            return
        display(HTML(self._html()))
        for fig in trend_figures(self.snapshot):
            display(fig)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    store: str | os.PathLike[str],
    *,
    reports: str | os.PathLike[str] | None = None,
    gold: str | os.PathLike[str] | None = None,
    port: int = 0,
    refresh_s: float = 10.0,
    notebook: str | os.PathLike[str] | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> int:
    """Serve the dashboard notebook with Voilà on 127.0.0.1 until interrupted.

    Prints nothing itself; ``on_ready(url)`` is called once the server answers. Returns
    Voilà's exit code (0 after Ctrl-C). Ctrl-C (SIGINT) and SIGTERM both stop Voilà before
    returning, also when this process was started with SIGINT ignored (as by some process
    managers and test runners), so Voilà is never left running on its own.
    """
    from workbench.reports import notebooks_dir

    if refresh_s < 0.5:
        raise WorkbenchError(f"dashboard: --refresh {refresh_s} must be at least 0.5 seconds.")
    nb = Path(notebook) if notebook is not None else notebooks_dir() / "quality_dashboard.ipynb"
    if not nb.is_file():
        raise WorkbenchError(f"dashboard: the notebook '{nb}' is missing; set WORKBENCH_NOTEBOOKS "
                             "to the folder of the workbench notebooks.")
    store_path = Path(store).expanduser().resolve()
    if store_path.is_dir():
        raise WorkbenchError(f"dashboard: '{store_path}' is a folder; pass the review store's .sqlite file.")
    port = port or _free_port()
    env = dict(os.environ)
    env[ENV_PREFIX + "STORE"] = str(store_path)
    env[ENV_PREFIX + "REFRESH"] = repr(float(refresh_s))
    if reports is not None:
        env[ENV_PREFIX + "REPORTS"] = str(Path(reports).expanduser().resolve())
    if gold is not None:
        env[ENV_PREFIX + "GOLD"] = str(Path(gold).expanduser().resolve())
    cmd = [sys.executable, "-m", "voila", str(nb), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--show_tracebacks=False", "--theme=light",
           "--Voila.log_level=WARN"]
    restore = _stop_on_signals()
    proc = subprocess.Popen(cmd, env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        if proc.poll() is not None:
            raise WorkbenchError(f"dashboard: Voilà stopped at start (exit code {proc.returncode}); "
                                 f"is port {port} free?")
        if on_ready is not None:
            on_ready(url)
        return proc.wait()
    except KeyboardInterrupt:
        _stop(proc, first=signal.SIGINT)
        return 0
    finally:
        if proc.poll() is None:
            _stop(proc, first=signal.SIGTERM)
        restore()


def _stop(proc: subprocess.Popen[Any], *, first: signal.Signals) -> None:
    """Stop a child: ``first``, then SIGTERM, then SIGKILL, 5 seconds apart."""
    for sig in (first, signal.SIGTERM):
        if proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue
    proc.kill()
    proc.wait()


def _stop_on_signals() -> Callable[[], None]:
    """Make SIGINT and SIGTERM raise KeyboardInterrupt in this (main) thread; return an undo.

    Python leaves SIGINT ignored when the parent process ignored it, and SIGTERM ends a
    process without running ``finally`` blocks — either way the Voilà child would outlive us.
    Outside the main thread signals cannot be handled, and nothing is changed.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
