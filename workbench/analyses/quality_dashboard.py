"""The quality dashboard's analysis: review KPIs of a store at one moment, and the verdict.

:func:`read_snapshot` opens a review store read-only with a fresh connection, computes the KPIs
(:mod:`workbench.review.kpis`) and collects the latest report headlines from the run
manifests; it never raises for a missing, empty, damaged or busy store — the snapshot says what
is wrong instead, so the page never shows a traceback. :func:`run` is what the
``quality_dashboard`` notebook and ``workbench review kpis`` call; the live page
(:mod:`workbench.dashboard`) draws the same snapshots on a timer.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import QUALITY_DASHBOARD
from workbench.errors import WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    from workbench.review.kpis import ReviewKPIs

__all__ = [
    "DEFAULTS",
    "ENV_PREFIX",
    "DashboardConfig",
    "DashboardReport",
    "DashboardSnapshot",
    "EventLog",
    "RunHeadline",
    "event_frame",
    "configure",
    "demo_store",
    "read_snapshot",
    "recent_runs",
    "run",
]

#: Environment variables through which ``workbench dashboard`` hands its options to the
#: notebook that Voilà runs (Voilà has no parameter injection).
ENV_PREFIX = "WORKBENCH_DASHBOARD_"



@dataclass(frozen=True)
class DashboardConfig:
    """What the dashboard reads and how often.

    ``live`` is true when the notebook runs under ``workbench dashboard`` (Voilà): the page
    refreshes itself every ``refresh_s`` seconds. Headless (papermill) it draws once.
    """

    store: Path
    reports: Path | None = None
    gold: Path | None = None
    refresh_s: float = 10.0
    cost_per_hour: float = 30.0
    keep: tuple[str, ...] = ("Acceptable",)
    live: bool = False
    demo: bool = False
    idle: str = "10min"


@dataclass(frozen=True)
class RunHeadline:
    """One report run's record as the dashboard shows it (from its ``manifest.json``)."""

    report: str
    status: str
    finished_at: pd.Timestamp | None
    headlines: tuple[str, ...]
    path: Path
    verdict: dict[str, str] | None = None


@dataclass(frozen=True)
class DashboardSnapshot:
    """The KPIs of a review store at one moment.

    ``state`` is ``"ok"``, ``"empty"`` (a store with no decision in effect yet), or
    ``"error"`` (no store, not a store, damaged, or busy past the timeout); ``message`` says
    which in words a manager can act on.
    """

    store: Path
    read_at: pd.Timestamp
    state: Literal["ok", "empty", "error"]
    message: str = ""
    n_events: int = 0
    n_decisions: int = 0
    n_today: int = 0
    n_reviewers: int = 0
    per_reviewer: pd.DataFrame = field(default_factory=pd.DataFrame)
    agreement: pd.DataFrame = field(default_factory=pd.DataFrame)
    mean_kappa: float = float("nan")
    gold: pd.DataFrame = field(default_factory=pd.DataFrame)
    gold_accuracy: float = float("nan")
    gold_ci: tuple[float, float] = (float("nan"), float("nan"))
    n_gold: int = 0
    gold_given: bool = False
    cost_per_validated: float = float("nan")
    n_validated: int = 0
    backlog: pd.DataFrame = field(default_factory=pd.DataFrame)
    trends: pd.DataFrame = field(default_factory=pd.DataFrame)
    trend_freq: str = "1h"
    runs: tuple[RunHeadline, ...] = ()
    read_seconds: float = 0.0
    kpis: ReviewKPIs | None = None

    def summary(self) -> str:
        """One paragraph: the total, throughput, agreement, gold accuracy and cost."""
        if self.state == "error":
            return f"Dashboard of {self.store}: {self.message}"
        if self.state == "empty":
            return f"0 decisions in {self.store}: no decisions yet."
        kappa = "n/a" if np.isnan(self.mean_kappa) else f"{self.mean_kappa:.2f}"
        gold = "n/a" if np.isnan(self.gold_accuracy) else f"{self.gold_accuracy:.1%}"
        return (
            f"{self.n_decisions} decisions ({self.n_today} today) by {self.n_reviewers} reviewer(s); "
            f"Cohen's kappa on overlap items {kappa}; hidden-gold accuracy {gold}."
        )


def _env(name: str) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else None


def configure(
    *,
    store_path: str = "",
    reports_dir: str = "",
    gold_path: str = "",
    refresh_s: float = 10.0,
    cost_per_hour: float = 30.0,
    keep: Sequence[str] = ("Acceptable",),
    idle: str = "10min",
) -> DashboardConfig:
    """The dashboard's settings: the notebook's parameters, overridden by ``workbench dashboard``.

    ``workbench dashboard`` passes its options as ``WORKBENCH_DASHBOARD_*`` environment
    variables (Voilà cannot inject parameters); when they are present the page is live. An
    empty ``store_path`` (headless report with no store given) builds a demo store with
    simulated reviewers and its gold table (:func:`demo_store`) — the page says so.

    Examples
    --------
    >>> cfg = configure(store_path="reviews.sqlite", refresh_s=5)
    >>> cfg.store.name, cfg.refresh_s, cfg.live
    ('reviews.sqlite', 5.0, False)
    """
    store = _env("STORE") or store_path
    reports = _env("REPORTS") or reports_dir
    gold = _env("GOLD") or gold_path
    refresh = float(_env("REFRESH") or refresh_s)
    if not np.isfinite(refresh) or refresh < 0.5:
        raise WorkbenchError(
            f"dashboard: refresh_s={refresh!r} must be at least 0.5 seconds; e.g. 10."
        )
    if cost_per_hour < 0:
        raise WorkbenchError(f"dashboard: cost_per_hour={cost_per_hour} must not be negative.")
    live = _env("STORE") is not None
    demo = not store
    if demo:
        demo_path, demo_gold = demo_store()
        store, gold = str(demo_path), gold or str(demo_gold)
    return DashboardConfig(
        store=Path(store),
        reports=Path(reports) if reports else None,
        gold=Path(gold) if gold else None,
        refresh_s=refresh,
        cost_per_hour=float(cost_per_hour),
        keep=tuple(keep),
        live=live,
        demo=demo,
        idle=str(idle),
    )


def demo_store(
    folder: str | os.PathLike[str] | None = None,
    *,
    corpus: str | os.PathLike[str] | None = None,
    n_reviewers: int = 3,
    per_reviewer: int = 120,
    rng: int = 0,
) -> tuple[Path, Path]:
    """A review store of simulated reviewers on the sample corpus, and its gold table.

    Used by the headless dashboard report when no store is given. Returns ``(store, gold)``
    paths in ``folder`` (a new temporary folder by default).
    """
    from workbench import io
    from workbench._internal.files import remove_at_exit
    from workbench.review.simulate import SimulatedReviewer, simulate_session
    from workbench.review.store import ReviewStore
    from workbench.scoring.text import text_stats

    here = Path(folder) if folder is not None else remove_at_exit(Path(tempfile.mkdtemp(prefix="dashboard_demo_")))
    here.mkdir(parents=True, exist_ok=True)
    from workbench.report_inputs import sample_dir

    source = Path(corpus) if corpus is not None else sample_dir() / "corpus.jsonl"
    items = io.load_table(source, kind="corpus").head(600).reset_index(drop=True)
    scored = pd.concat([items, text_stats(items["text"])], axis=1)
    metric = "top_2gram_char_fraction"
    threshold = float(scored[metric].quantile(0.8))
    rule = SimulatedReviewer(metric, "max", threshold, error_rate=0.05)
    gold_rows = scored.sample(frac=0.1, random_state=rng)
    gold = pd.DataFrame({"item_id": gold_rows["doc_id"].astype(str),
                         "label": rule.truth(gold_rows[metric]).to_numpy()})
    gold_path = here / "gold.csv"
    gold.to_csv(gold_path, index=False)
    store_path = here / "reviews.sqlite"
    with ReviewStore(store_path, synchronous="NORMAL") as store:
        today = pd.Timestamp.now(tz="UTC").floor("D").tz_convert(None)
        for i in range(n_reviewers):
            simulate_session(
                scored, store, rule, name=f"reviewer-{i + 1}", n=per_reviewer,
                start=today - pd.Timedelta(days=n_reviewers - 1 - i) + pd.Timedelta(hours=9),
                rng=rng + 10 + i, queue_rng=rng, strategy="random", size=per_reviewer,
                gold=list(gold["item_id"]), gold_share=0.1, overlap_share=0.3, item="doc_id",
            )
    return store_path, gold_path


def recent_runs(reports: str | os.PathLike[str] | None, *, limit: int = 20) -> tuple[RunHeadline, ...]:
    """The newest report runs under ``reports`` (their ``manifest.json``), newest first.

    Read with :func:`workbench.manifest.load_manifests` (unreadable manifests are skipped);
    no folder or no manifest gives ``()``.
    """
    from workbench.manifest import load_manifests

    if reports is None:
        return ()
    runs: list[RunHeadline] = []
    for m in load_manifests(reports)[:limit]:
        try:
            when: pd.Timestamp | None = pd.Timestamp(m.finished_at or m.started_at)
            if when is not None and when.tzinfo is None:
                when = when.tz_localize("UTC")
        except (ValueError, TypeError):
            when = None
        runs.append(RunHeadline(report=m.report, status=str(m.status), finished_at=when,
                                headlines=tuple(str(h) for h in m.headlines),
                                path=m.folder if m.folder is not None else Path(reports),
                                verdict=dict(m.verdict) if m.verdict else None))
    epoch = pd.Timestamp(0, tz="UTC")
    runs.sort(key=lambda r: r.finished_at if r.finished_at is not None else epoch, reverse=True)
    return tuple(runs)


def _trend_freq(times: pd.Series) -> str:
    span = (times.max() - times.min()) if len(times) else pd.Timedelta(0)
    if span <= pd.Timedelta(hours=6):
        return "10min"
    if span <= pd.Timedelta(days=3):
        return "1h"
    if span <= pd.Timedelta(days=120):
        return "1D"
    return "7D"


class EventLog:
    """What a live page has read of one review store, kept between refreshes.

    Each :meth:`read` fetches only the events appended since the previous one (an event-id
    watermark, :meth:`ReviewStore.events_since`) and hands them to the page's
    :class:`~workbench.review.live.LiveKPIs`, so a refresh costs what changed, not the size of
    the store: at a million events, 50 new decisions are read, checked and counted in
    milliseconds. A store that was replaced (the last event seen is gone or different), or
    a change of the gold table or the KPI settings, starts again from the first event.
    """

    COLUMNS = ("event_id", "kind", "item_id", "reviewer", "decision", "queue", "session",
               "created_at", "undoes", "display_ms")

    def __init__(self) -> None:
        self.path: Path | None = None
        self.last_id = 0
        self._last_key: tuple[str, str] | None = None
        self.live: Any = None
        self._settings: tuple[Any, ...] | None = None
        self._planned: dict[int, float] = {}
        self._gold: tuple[tuple[Any, ...], Any, str] | None = None

    def _reset(self, path: Path) -> None:
        self.path, self.last_id, self._last_key, self.live, self._planned = path, 0, None, None, {}

    def checked_through(self, path: Path) -> int:
        """The last event this log read from ``path`` (rows up to it need no new check)."""
        return self.last_id if self.path == path.resolve() else 0

    def read(self, store: Any, settings: tuple[Any, ...], make: Any) -> Any:
        """Read the new events of ``store`` into this log's :class:`LiveKPIs` (made by
        ``make()`` on the first read, or again when ``settings`` change) and return it."""
        path = Path(store.path).resolve()
        if path != self.path or settings != self._settings:
            self._reset(path)
        elif self.last_id:
            last = store.event(self.last_id)
            if last is None or (last.kind, last.item_id) != self._last_key:
                self._reset(path)
        if self.live is None:
            self.live, self._settings = make(), settings
        new = event_frame(store.events_since(self.last_id))
        if len(new):
            self.live.add(new)
            self.last_id = int(new["event_id"].iloc[-1])
            self._last_key = (str(new["kind"].iloc[-1]), str(new["item_id"].iloc[-1]))
        return self.live

    def planned(self, store: Any, event_id: int) -> float:
        """The planned queue size event ``event_id`` recorded (read once per event)."""
        from workbench.review.live import planned_from_meta

        if event_id not in self._planned:
            event = store.event(int(event_id))
            self._planned[event_id] = planned_from_meta(event.meta if event is not None else None)
        return self._planned[event_id]

    def gold(self, path: Path | None) -> tuple[Any, str]:
        """The gold table at ``path`` and a note if it cannot be used; read again only when
        the file changes (its size and modification time)."""
        from workbench import io

        if path is None:
            return None, ""
        try:
            st = path.stat()
            key: tuple[Any, ...] = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        except OSError:
            key = (str(path), None, None)
        if self._gold is None or self._gold[0] != key:
            try:
                self._gold = (key, io.load_table(path, kind="gold"), "")
            except (WorkbenchError, OSError) as exc:
                self._gold = (key, None, f"Gold table not used: {exc}")
        return self._gold[1], self._gold[2]


def event_frame(rows: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
    """Rows of :meth:`ReviewStore.events_since` as an events frame (times as UTC timestamps)."""
    from workbench.review.store import event_times

    new = pd.DataFrame(list(rows), columns=list(EventLog.COLUMNS))
    new["event_id"] = new["event_id"].astype("int64")
    new["created_at"] = event_times(new["created_at"], new["event_id"])  # bad text: a clean error
    new["undoes"] = pd.array(new["undoes"], dtype="Int64")
    new["display_ms"] = pd.to_numeric(new["display_ms"], errors="coerce").astype(float)
    return new


def read_snapshot(
    config: DashboardConfig | str | os.PathLike[str],
    *,
    now: pd.Timestamp | None = None,
    timeout_s: float = 2.0,
    log: EventLog | None = None,
) -> DashboardSnapshot:
    """Read the store once (read-only, a fresh connection) and compute the dashboard's KPIs.

    ``log`` keeps the events read so far between calls (the live page passes its own), so a
    refresh reads only what was appended since the previous one.

    Never raises for a bad store: a missing file, a file that is not a review store, a
    damaged one or one locked past ``timeout_s`` give a snapshot with ``state="error"`` and a
    message naming the file; a store with no decisions gives ``state="empty"``.

    Examples
    --------
    >>> snap = read_snapshot("no/such/store.sqlite")
    >>> snap.state, "no review store" in snap.message
    ('error', True)
    """
    from workbench import io
    from workbench.review.kpis import gold_accuracy, review_kpis
    from workbench.review.store import ReviewStore, decisions_in_effect, events_in_effect

    cfg = config if isinstance(config, DashboardConfig) else DashboardConfig(store=Path(config))
    clock = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if clock.tzinfo is None:
        clock = clock.tz_localize("UTC")
    started = time.perf_counter()
    runs = recent_runs(cfg.reports)
    base = DashboardSnapshot(store=cfg.store, read_at=clock, state="error", runs=runs)
    if not cfg.store.is_file():
        return replace(base, message=(
            f"no review store at '{cfg.store}'. Start the review widget with store_path pointing "
            "at this file, or pass the .sqlite file it writes to."
        ))
    if log is not None:
        return _live_snapshot(cfg, log, base, started=started, timeout_s=timeout_s)
    try:
        with ReviewStore(cfg.store, read_only=True, timeout_s=timeout_s) as store:
            events = event_frame(store.events_since(0))
            active = events_in_effect(events)
            backlog = _backlog(active, store)
    except WorkbenchError as exc:
        return replace(base, message=str(exc))
    except Exception as exc:  # a page must never show a traceback  # noqa: BLE001
        return replace(base, message=f"could not read '{cfg.store}': {type(exc).__name__}: {exc}")
    gold = None
    gold_note = ""
    if cfg.gold is not None:
        try:
            gold = io.load_table(cfg.gold, kind="gold")
        except (WorkbenchError, OSError) as exc:
            gold_note = f"Gold table not used: {exc}"
    decisions = decisions_in_effect(active)
    if decisions.empty:
        return _empty(base, gold_note, len(events), started)
    freq = _trend_freq(decisions["created_at"])
    kpis = review_kpis(events, gold=gold, cost_per_hour=cfg.cost_per_hour, freq=freq,
                       keep=cfg.keep, idle=cfg.idle)
    gold_table = pd.DataFrame()
    gold_ci = (float("nan"), float("nan"))
    if gold is not None:
        gold_table = gold_accuracy(decisions, gold)
        if int(gold_table["n_gold"].sum()):
            pooled = gold_accuracy(decisions.assign(reviewer="all"), gold).iloc[0]
            gold_ci = (float(pooled["ci_low"]), float(pooled["ci_high"]))
    return _ok(base, kpis, message=gold_note, n_events=len(events),
               n_today=int((decisions["created_at"] >= base.read_at.floor("D")).sum()),
               n_reviewers=int(decisions["reviewer"].nunique()), gold_table=gold_table, gold_ci=gold_ci,
               gold_given=gold is not None, backlog=backlog, trends=_trend_table(decisions, freq), freq=freq,
               started=started)


def _empty(base: DashboardSnapshot, gold_note: str, n_events: int, started: float) -> DashboardSnapshot:
    return replace(base, state="empty", message="no decisions yet" + (f". {gold_note}" if gold_note else ""),
                   n_events=n_events, read_seconds=time.perf_counter() - started)


def _ok(base: DashboardSnapshot, kpis: ReviewKPIs, *, message: str, n_events: int, n_today: int, n_reviewers: int,
        gold_table: pd.DataFrame, gold_ci: tuple[float, float], gold_given: bool, backlog: pd.DataFrame,
        trends: pd.DataFrame, freq: str, started: float) -> DashboardSnapshot:
    return replace(
        base,
        state="ok",
        message=message,
        n_events=n_events,
        n_decisions=kpis.n_decisions,
        n_today=n_today,
        n_reviewers=n_reviewers,
        per_reviewer=kpis.per_reviewer,
        agreement=kpis.agreement,
        mean_kappa=kpis.mean_kappa,
        gold=gold_table,
        gold_accuracy=kpis.gold_accuracy,
        gold_ci=gold_ci,
        n_gold=int(gold_table["n_gold"].sum()) if len(gold_table) else 0,
        gold_given=gold_given,
        cost_per_validated=kpis.cost_per_validated,
        n_validated=kpis.n_validated,
        backlog=backlog,
        trends=trends,
        trend_freq=freq,
        read_seconds=time.perf_counter() - started,
        kpis=kpis,
    )


def _live_snapshot(cfg: DashboardConfig, log: EventLog, base: DashboardSnapshot, *, started: float,
                   timeout_s: float) -> DashboardSnapshot:
    """The snapshot of a live page: the same numbers as a full read (tests compare them), from
    the events appended since the page's previous refresh (:class:`EventLog`)."""
    from workbench.review.live import LiveKPIs
    from workbench.review.store import ReviewStore

    gold, gold_note = log.gold(cfg.gold)
    settings = (id(gold), cfg.cost_per_hour, tuple(cfg.keep), cfg.idle)
    try:
        with ReviewStore(cfg.store, read_only=True, timeout_s=timeout_s,
                         checked_through=log.checked_through(cfg.store)) as store:
            live = log.read(store, settings, lambda: LiveKPIs(gold=gold, cost_per_hour=cfg.cost_per_hour,
                                                              idle=cfg.idle, keep=cfg.keep))
            backlog = live.backlog(lambda event_id: log.planned(store, event_id))
    except WorkbenchError as exc:
        return replace(base, message=str(exc))
    except Exception as exc:  # a page must never show a traceback  # noqa: BLE001
        return replace(base, message=f"could not read '{cfg.store}': {type(exc).__name__}: {exc}")
    times = live.decision_times()
    if times.empty:
        return _empty(base, gold_note, live.n_events, started)
    freq = _trend_freq(times)
    kpis = live.kpis(freq)
    gold_table = live.gold_table() if gold is not None else pd.DataFrame()
    gold_ci = (float("nan"), float("nan"))
    if len(gold_table) and int(gold_table["n_gold"].sum()):
        pooled = live.gold_table(pooled=True).iloc[0]
        gold_ci = (float(pooled["ci_low"]), float(pooled["ci_high"]))
    return _ok(base, kpis, message=gold_note, n_events=live.n_events, n_today=live.n_today(base.read_at.floor("D")),
               n_reviewers=int((kpis.per_reviewer["n_decisions"] > 0).sum()), gold_table=gold_table,
               gold_ci=gold_ci, gold_given=gold is not None, backlog=backlog, trends=live.trend_table(freq),
               freq=freq, started=started)


def _backlog(active: pd.DataFrame, store: Any) -> pd.DataFrame:
    """Per queue: items planned, items handled (decided or skipped, by anyone) and items left.

    Each event's ``meta`` carries ``planned`` (the number of items the queue planned for its
    reviewer) when the queue wrote it. A queue's plan is the same items for every reviewer, so
    its size is the largest ``planned`` any reviewer's latest event recorded, and what is left
    is that size minus the distinct items handled in the queue: a reviewer who joins shares
    the backlog, never adds to it.
    """
    if active.empty:
        return pd.DataFrame(columns=["queue", "reviewers", "handled", "planned", "backlog"])

    def planned(event_id: int) -> float:
        event = store.event(int(event_id))
        try:
            value = json.loads(event.meta).get("planned") if event is not None else None
        except (ValueError, AttributeError):
            return float("nan")
        return float(value) if isinstance(value, (int, float)) else float("nan")

    a = active.assign(queue=active["queue"].replace("", "(none)")).sort_values("event_id")
    per = a.groupby(["queue", "reviewer"], sort=True).agg(last_event=("event_id", "last")).reset_index()
    per["planned"] = per.pop("last_event").map(planned)
    sizes = per.groupby("queue", sort=True).agg(
        reviewers=("reviewer", "nunique"), planned=("planned", lambda s: s.max(skipna=False)))
    handled = a.groupby("queue", sort=True)["item_id"].nunique().rename("handled")
    out = sizes.join(handled).reset_index()
    out["backlog"] = (out["planned"] - out["handled"]).clip(lower=0)
    return out[["queue", "reviewers", "handled", "planned", "backlog"]]


def _trend_table(decisions: pd.DataFrame, freq: str) -> pd.DataFrame:
    t = decisions["created_at"].dt.tz_convert(None).dt.floor(freq)
    return (decisions.assign(period=t).groupby(["period", "reviewer"], sort=True)
            .size().rename("n_decisions").reset_index())


# -- the analysis ----------------------------------------------------------------------------

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = QUALITY_DASHBOARD


#: Why a KPI column can be undefined (shown as "—" in :meth:`DashboardReport.summary`).
_UNDEFINED = {
    "items_per_hour": "no active time: one decision, or all within one idle gap",
    "median_display_ms": "no display times recorded: an older store, or decisions not made in the widget",
    "kappa": "both reviewers used a single label, so chance agreement is total",
    "agreement": "no overlap items",
    "accuracy": "no gold items",
}


@dataclass(frozen=True)
class DashboardReport:
    """The quality dashboard at one moment: the snapshot, its verdict and its checks."""

    verdict: Verdict
    config: DashboardConfig
    snapshot: DashboardSnapshot
    findings: tuple[str, ...] = ()
    inputs: None = None  # the store is named in the verdict; it is read, not hashed

    def summary(self) -> str:
        """The verdict, then the KPIs per reviewer and the agreement on overlap items."""
        snap = self.snapshot
        parts = [self.verdict.summary(), ""]
        if snap.kpis is not None:
            tables = [snap.kpis.to_frame(), *([snap.kpis.agreement] if len(snap.kpis.agreement) else [])]
            parts += [snap.kpis.summary(), *(t.to_string(index=False, na_rep="—") for t in tables)]
            undefined = [c for t in tables for c in t.columns if t[c].isna().any()]
            if undefined:  # never 'nan': a dash, and why
                parts.append("— undefined: " + "; ".join(f"{c} ({_UNDEFINED.get(c, 'no value to compute it from')})"
                                                       for c in dict.fromkeys(undefined)) + ".")
        parts += [*self.findings, self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """Counts that add up, kappa at most 1, gold accuracy inside its interval, and a demo
        store that holds decisions."""
        snap = self.snapshot
        items = [
            check("decisions today at most all decisions", snap.n_today <= snap.n_decisions,
                  f"{snap.n_today} <= {snap.n_decisions}"),
            check("mean kappa at most 1", not snap.mean_kappa > 1, f"{snap.mean_kappa:.4f}"),
        ]
        if snap.n_gold:
            lo, hi = snap.gold_ci
            items.append(check("gold accuracy inside its interval", lo <= snap.gold_accuracy <= hi,
                               f"{lo:.4f} <= {snap.gold_accuracy:.4f} <= {hi:.4f}"))
        if self.config.demo:
            items.append(check("the demo store holds decisions", snap.state == "ok", snap.state))
        if snap.kpis is not None:
            items.append(check("the KPIs count every decision in effect", snap.kpis.n_decisions == snap.n_decisions,
                               f"{snap.kpis.n_decisions} vs {snap.n_decisions}"))
        return Checks.of(items)


def _verdict(cfg: DashboardConfig, snap: DashboardSnapshot) -> Verdict:
    where = "the demo store (simulated reviewers)" if cfg.demo else str(cfg.store)
    if snap.state == "error":
        return Verdict("error", f"The dashboard cannot read {where}.", (snap.message,), "bad")
    if snap.state == "empty":
        return Verdict("empty", f"No decisions yet in {where}.",
                       ("Reviewers' decisions appear here as they are made.",), "neutral")
    bullets = [f"{fmt_count(snap.n_decisions)} decisions ({fmt_count(snap.n_today)} today) by "
               f"{snap.n_reviewers} reviewer(s), {fmt_count(snap.n_validated)} items validated."]
    tone: Tone = "good"
    kappa_low = not np.isnan(snap.mean_kappa) and snap.mean_kappa < 0.6
    if not np.isnan(snap.mean_kappa):
        bullets.append(f"Cohen's kappa on overlap items {snap.mean_kappa:.2f}"
                       + (" — below 0.6: reviewers read the guidelines differently." if kappa_low else "."))
    gold_low = bool(snap.n_gold) and snap.gold_ci[1] < 0.9
    if snap.n_gold:
        bullets.append(f"Hidden-gold accuracy {snap.gold_accuracy:.1%} "
                       f"({snap.gold_ci[0]:.1%}–{snap.gold_ci[1]:.1%}) on {fmt_count(snap.n_gold)} gold decisions"
                       + (" — below 90%." if gold_low else "."))
    fast = snap.kpis.too_fast if snap.kpis is not None else ()
    if fast:
        bullets.append(f"Too fast to have read the items: {', '.join(fast[:5])} (their rates are not comparable).")
    if not np.isnan(snap.cost_per_validated):
        bullets.append(f"Cost per validated sample {snap.cost_per_validated:.2f}.")
    if kappa_low or gold_low or fast:
        tone = "warning"
        outcome = "attention"
        head = "Review quality needs attention: " + ", ".join(
            x for x, on in (("low agreement", kappa_low), ("low gold accuracy", gold_low),
                            ("reviewers too fast", bool(fast))) if on) + "."
    else:
        outcome = "ok"
        head = f"Review on track: {snap.summary()}"
    if cfg.demo:
        head = "Demo (simulated reviewers): " + head
        tone = "neutral"
    return Verdict(outcome, head, tuple(bullets[:5]), tone)


def run(
    store_path: str | os.PathLike[str] = "",
    *,
    reports_dir: str | os.PathLike[str] = "",
    gold_path: str | os.PathLike[str] = "",
    refresh_s: float = DEFAULTS["refresh_s"],
    cost_per_hour: float = DEFAULTS["cost_per_hour"],
    idle: str = DEFAULTS["idle"],
) -> DashboardReport:
    """Read a review store once and decide whether the review is on track.

    Parameters
    ----------
    store_path
        The review store (SQLite file); ``""`` builds a demo store of simulated reviewers.
    reports_dir
        Reports folder whose run manifests give the latest headlines; ``""`` for none.
    gold_path
        Gold table (item_id, label) in the decision vocabulary, for hidden-gold accuracy.
    refresh_s, cost_per_hour, idle
        Seconds between refreshes of the live page; what an hour of reviewing costs; gaps
        longer than ``idle`` are breaks, not work.
    """
    cfg = configure(store_path=str(store_path), reports_dir=str(reports_dir), gold_path=str(gold_path),
                    refresh_s=refresh_s, cost_per_hour=cost_per_hour, idle=idle)
    snap = read_snapshot(cfg)
    findings = (snap.message,) if snap.message and snap.state == "ok" else ()
    return DashboardReport(verdict=_verdict(cfg, snap), config=cfg, snapshot=snap, findings=findings)

