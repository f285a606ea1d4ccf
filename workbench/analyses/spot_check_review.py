"""The spot-check review report as one analysis: queue, decisions, KPIs, calibrated thresholds.

``run`` scores the items with cheap text heuristics, opens (or makes) the review store,
builds the queue, optionally lets simulated reviewers seed the store (the headless demo),
then reads the decisions in effect, the reviewer KPIs and the thresholds calibrated from the
decisions, and writes the best rule to the YAML file ``scoring.decide`` reads.

Without simulation and without a gold table, no gold is made up: the queue serves no hidden
gold items and the KPIs report no gold accuracy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go

from workbench import io
from workbench._internal.tables import id_column
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import SPOT_CHECK_REVIEW
from workbench.calibration import CalibrationResult, calibrate, save_calibrated_rules
from workbench.errors import WorkbenchError
from workbench.plots import review as review_plots
from workbench.report_inputs import ReportInputs, resolve_inputs
from workbench.review import (
    ReviewKPIs,
    ReviewQueue,
    ReviewStore,
    SimulatedReviewer,
    review_kpis,
    simulate_session,
)
from workbench.review.simulate import SessionLog
from workbench.review.strategies import make_strategy
from workbench.scoring.text import text_stats

__all__ = ["DEFAULTS", "SpotCheckReport", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = SPOT_CHECK_REVIEW

#: Below this F1 against the reviewers a calibrated threshold is reported as a weak filter; so is
#: one whose precision is not at least this much above the share reviewers flag (a rule that flags
#: nearly everything has recall 1 and an F1 that looks good while it tells nothing).
_WEAK_F1 = 0.5
_MIN_LIFT = 0.1


@dataclass(frozen=True)
class SpotCheckReport:
    """Everything the spot-check report shows (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    scored: pd.DataFrame
    item_column: str
    text_column: str
    store: ReviewStore
    queue: ReviewQueue
    gold: pd.DataFrame | None
    hidden_threshold: float | None
    sessions: tuple[SessionLog, ...]
    decisions: pd.DataFrame
    n_events: int
    kpis: ReviewKPIs
    calibrations: tuple[CalibrationResult, ...]
    refused: tuple[str, ...]
    rules_file: Path | None
    n_scores: int = 0
    findings: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def best(self) -> CalibrationResult | None:
        """The calibrated score that best matches the reviewers (highest F-beta)."""
        return max(self.calibrations, key=attrgetter("fbeta")) if self.calibrations else None

    # ---- words ----------------------------------------------------------------------------
    def items_line(self) -> str:
        return (f"{fmt_count(len(self.scored))} items (id column {self.item_column}), "
                f"{self.n_scores} score columns from the text column {self.text_column}.")

    def store_line(self) -> str:
        p = self.parameters
        gold = (f"{len(self.gold_ids)} gold items in the sample" if self.gold is not None
                else "no gold table (no hidden gold is served)")
        where = ("a temporary store, removed when the kernel exits (set store_path to keep one)"
                 if self.store.is_temporary else str(self.store.path))
        line = f"Store: {where} ({fmt_count(self.n_events)} events). {gold}."
        if p.get("simulate") and self.hidden_threshold is not None:
            op = ">" if p["hidden_direction"] == "max" else "<"
            line += (f" Simulated reviewers flag {p['hidden_metric']} {op} {self.hidden_threshold:.4g} and err "
                     f"{p['reviewer_error_rate']:.0%} of the time.")
        return line

    @property
    def gold_ids(self) -> list[str]:
        if self.gold is None:
            return []
        return sorted(set(self.gold["item_id"].astype(str)) & set(self.scored[self.item_column].astype(str)))

    def decisions_line(self) -> str:
        n_rev = self.decisions["reviewer"].nunique() if len(self.decisions) else 0
        return (f"{fmt_count(len(self.decisions))} decisions in effect by {n_rev} reviewer(s); "
                f"{fmt_count(self.n_events)} events in the store (undos and skips included).")

    def session_lines(self) -> tuple[str, ...]:
        return tuple(s.summary() for s in self.sessions)

    def rules_text(self) -> str | None:
        """The rules file as written (shown verbatim, escaped)."""
        if self.rules_file is None or not self.rules_file.is_file():
            return None
        return self.rules_file.read_text(encoding="utf-8")

    def conclusion(self) -> str | None:
        b = self.best
        if b is None:
            return None
        side = "above" if b.direction == "max" else "below"
        line = (f"The score that best matches the reviewers is {b.metric} (F1 {b.fbeta:.2f}): flag items {side} "
                f"{b.threshold:.4g} ({b.confidence:.0%} CI {b.ci_low:.4g}–{b.ci_high:.4g}).")
        if self.parameters.get("simulate") and self.hidden_threshold is not None:
            inside = b.ci_low <= self.hidden_threshold <= b.ci_high
            line += (f" The simulated reviewers' hidden threshold was {self.hidden_threshold:.4g}: "
                     f"{'inside' if inside else 'outside'} the interval.")
        return line

    # ---- tables and figures ---------------------------------------------------------------
    def composition_figure(self) -> go.Figure:
        return review_plots.queue_composition_figure(
            self.queue.composition(),
            title=f"What the {self.queue.strategy} queue holds ({fmt_count(len(self.queue.plan))} items)")

    def decisions_figure(self) -> go.Figure | None:
        return review_plots.decisions_figure(self.decisions) if len(self.decisions) else None

    def trends_figure(self) -> go.Figure | None:
        return review_plots.trends_figure(self.kpis.trends) if len(self.kpis.trends) else None

    def calibration_figures(self) -> tuple[go.Figure, ...]:
        return tuple(review_plots.calibration_figure(r) for r in self.calibrations)

    def calibration_table(self) -> pd.DataFrame | None:
        return pd.concat([r.to_frame() for r in self.calibrations], ignore_index=True) if self.calibrations else None

    def calibration_notes(self) -> tuple[str, ...]:
        return tuple(f"Not calibrated: {t}" for t in self.refused) + tuple(r.summary() for r in self.calibrations)

    def review_widget(self) -> Any:
        """The review widget over this queue with a live line under it, or a sentence when the
        store is temporary.

        The line says how many decisions are in effect now and how many were when the report
        ran, so the sections below (computed at Run All) never seem to contradict the widget.
        """
        if self.store.is_temporary:  # decisions in a temporary store would be lost: the widget refuses it
            return ("Interactive review needs a store that is kept. Set store_path in the parameters cell "
                    "(e.g. \"reviews.sqlite\") and run all cells again.")
        import ipywidgets as widgets

        from workbench.review import ReviewWidget

        widget = ReviewWidget(self.queue, min_display_ms=self.parameters["min_display_ms"],
                              tags=list(self.parameters["review_tags"]), blind=self.parameters["blind"])
        line = widgets.HTML()
        at_run = len(self.decisions)

        def update(_change: object = None) -> None:
            now = len(self.store.decisions())
            line.value = (f"<span style='color:#52606d'>{now:,} decisions in effect now; the sections below are as "
                          f"of Run All ({at_run:,}), {now - at_run:+,} since. Run All again to update them.</span>")

        widget.observe(update, names="progress")
        update()
        return widgets.VBox([widget, line])

    def summary(self) -> str:
        parts = [self.verdict.summary(), "", self.items_line(), self.store_line(), *self.session_lines(),
                 self.decisions_line(), self.kpis.summary(), *self.calibration_notes(),
                 self.conclusion() or "", *self.findings, self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """The store counts what was simulated, the KPIs count the decisions, every
        calibration is consistent, and the hidden rule is recovered in a simulation."""
        p = self.parameters
        items = [check("the KPIs count the stored decisions", self.kpis.n_decisions == len(self.decisions),
                       f"{self.kpis.n_decisions} vs {len(self.decisions)}")]
        if p.get("simulate"):
            expected = p["n_simulated"] * p["simulated_per_reviewer"]
            items.append(check("the simulation stored its decisions", len(self.decisions) >= 0.8 * expected,
                               f"{len(self.decisions)} of about {expected}"))
        for r in self.calibrations:
            items.append(check(f"calibration of {r.metric} is consistent",
                               0 <= r.precision <= 1 and 0 <= r.recall <= 1 and r.ci_low <= r.threshold <= r.ci_high,
                               f"precision {r.precision:.3f}, recall {r.recall:.3f}, "
                               f"{r.ci_low:.4g} <= {r.threshold:.4g} <= {r.ci_high:.4g}"))
        hidden = next((r for r in self.calibrations if r.metric == p.get("hidden_metric")), None)
        if p.get("simulate") and hidden is not None and self.hidden_threshold is not None:
            items.append(check("calibration recovers the hidden threshold",
                               hidden.ci_low <= self.hidden_threshold <= hidden.ci_high,
                               f"{hidden.ci_low:.4g} <= {self.hidden_threshold:.4g} <= {hidden.ci_high:.4g}"))
        if p.get("simulate") and self.gold is not None:
            floor = 1 - 3 * p["reviewer_error_rate"] - 0.05
            items.append(check("simulated reviewers' gold accuracy matches their error rate",
                               self.kpis.gold_accuracy > floor, f"{self.kpis.gold_accuracy:.3f} > {floor:.3f}"))
        return Checks.of(items)


def _verdict(decisions: pd.DataFrame, kpis: ReviewKPIs, best: CalibrationResult | None, refused: tuple[str, ...],
             rules_file: Path | None, simulate: bool, temporary: bool) -> Verdict:
    n = len(decisions)
    demo = "Demo (simulated reviewers): " if simulate else ""
    bullets = [kpis.summary()]
    tone: Tone
    if best is not None:
        side = "above" if best.direction == "max" else "below"
        outcome, tone = "calibrated", "good"
        head = (f"{demo}{fmt_count(n)} review decisions; best filter {best.metric} {side} {best.threshold:.4g} "
                f"(F1 {best.fbeta:.2f}, {best.confidence:.0%} CI {best.ci_low:.4g}–{best.ci_high:.4g}).")
        base = best.n_flagged_by_humans / best.n_items if best.n_items else 0.0
        if best.fbeta < _WEAK_F1 or best.precision < base + _MIN_LIFT:  # flag-all rules reach F1 0.7 at base 0.55
            outcome, tone = "weak_filter", "warning"
            head = (f"{demo}{fmt_count(n)} review decisions; no calibrated score matches the reviewers well "
                    f"(best: {best.metric} {side} {best.threshold:.4g}, F1 {best.fbeta:.2f}, precision "
                    f"{best.precision:.2f} where reviewers flag {base:.0%}).")
        bullets.append(f"Precision {best.precision:.2f}, recall {best.recall:.2f} against the reviewers on "
                       f"{fmt_count(best.n_items)} reviewed items.")
        if rules_file is not None and not temporary:
            bullets.append(f"Rule written to {rules_file}; scoring.decide reads it.")
    elif n == 0:
        outcome, tone = "no_decisions", "neutral"
        head = f"{demo}No review decisions yet: review with the widget, then run the report again."
    else:
        outcome, tone = "not_calibrated", "warning"
        head = f"{demo}{fmt_count(n)} review decisions; too few on one side to calibrate a threshold yet."
    bullets += [f"Not calibrated: {r}" for r in refused[:2]]
    if kpis.too_fast:
        bullets.append(f"Too fast to have read the items: {', '.join(kpis.too_fast[:5])}.")
        tone = "warning" if tone == "good" else tone
    if simulate:
        tone = "neutral"
    return Verdict(outcome, head, tuple(bullets[:5]), tone)


def run(
    sample: str | os.PathLike[str],
    *,
    store_path: str | os.PathLike[str] = "",
    rules_path: str | os.PathLike[str] = "",
    gold_path: str | os.PathLike[str] = "",
    reviewer: str = DEFAULTS["reviewer"],
    min_display_ms: int = DEFAULTS["min_display_ms"],
    review_tags: list[str] = DEFAULTS["review_tags"],  # noqa: B006 - read only
    blind: bool = DEFAULTS["blind"],
    strategy: str = DEFAULTS["strategy"],
    n_items: int = DEFAULTS["n_items"],
    queue_size: int = DEFAULTS["queue_size"],
    gold_share: float = DEFAULTS["gold_share"],
    overlap_share: float = DEFAULTS["overlap_share"],
    triage_high: dict[str, float] = DEFAULTS["triage_high"],  # noqa: B006 - read only
    triage_low: dict[str, float] = DEFAULTS["triage_low"],  # noqa: B006 - read only
    patterns: list[str] = DEFAULTS["patterns"],  # noqa: B006 - read only
    explore_share: float = DEFAULTS["explore_share"],
    simulate: bool = DEFAULTS["simulate"],
    n_simulated: int = DEFAULTS["n_simulated"],
    simulated_per_reviewer: int = DEFAULTS["simulated_per_reviewer"],
    hidden_metric: str = DEFAULTS["hidden_metric"],
    hidden_direction: Literal["max", "min"] = DEFAULTS["hidden_direction"],
    hidden_quantile: float = DEFAULTS["hidden_quantile"],
    reviewer_error_rate: float = DEFAULTS["reviewer_error_rate"],
    calibrate_metrics: list[str] = DEFAULTS["calibrate_metrics"],  # noqa: B006 - read only
    calibrate_min_per_side: int = DEFAULTS["calibrate_min_per_side"],
    cost_per_hour: float = DEFAULTS["cost_per_hour"],
    seed: int = DEFAULTS["seed"],
) -> SpotCheckReport:
    """Build the review queue, (optionally) simulate reviewers, and calibrate thresholds.

    Parameters
    ----------
    sample
        Items to review: a corpus (doc_id, text), an image_captions table or a preferences
        table (the first response of each pair is reviewed).
    store_path
        Review store that is kept; ``""`` makes a temporary store (demo only: no widget).
    rules_path
        Where the calibrated rules go; ``""`` beside the store.
    gold_path
        Gold table (item_id, label). ``""``: with ``simulate`` the simulated reviewers' hidden
        rule makes gold on 10% of the items; without it there is no gold.
    blind
        Hide why an item was queued until it is decided (the reason would anchor the reviewer;
        calibration needs independent decisions).
    strategy, triage_high, triage_low, patterns, explore_share
        The queue's strategy (random, stratified, triage or uncertainty) and triage's options.
    simulate, n_simulated, simulated_per_reviewer, hidden_metric, hidden_direction,
    hidden_quantile, reviewer_error_rate
        Simulated reviewers who follow a hidden rule on one score (the headless demo).
    calibrate_metrics, calibrate_min_per_side
        Scores to calibrate, and the fewest flagged (or kept) items a threshold needs.
    """
    inputs = resolve_inputs("spot_check_review", sample=str(sample), gold_path=str(gold_path))
    sample_file = inputs.path("sample")
    if sample_file is None:
        raise WorkbenchError("spot_check_review: no items given; pass sample (a corpus, image_captions or preferences table).")
    table = io.load_table(sample_file)
    if "response_a" in table.columns:
        items, text_column = table.drop_duplicates("pair_id").reset_index(drop=True), "response_a"
    elif "image" in table.columns:
        items, text_column = table, "caption"
    else:
        items, text_column = table, "text"
    if n_items and len(items) > n_items:
        items = items.sample(n_items, random_state=seed)
    items = items.reset_index(drop=True)
    item_column = id_column(items, table=str(sample_file))  # the one id-column rule (_internal.tables)
    if text_column not in items.columns:
        raise WorkbenchError(f"spot_check_review: table '{sample_file}' has no {text_column!r} column to review.")
    scored = pd.concat([items, text_stats(items[text_column])], axis=1)

    store = ReviewStore(store_path) if store_path else ReviewStore.temporary()
    hidden_threshold = float(scored[hidden_metric].quantile(hidden_quantile)) if simulate else None
    simulated = (SimulatedReviewer(hidden_metric, hidden_direction, hidden_threshold, error_rate=reviewer_error_rate)
                 if simulate and hidden_threshold is not None else None)
    findings: list[str] = []
    gold: pd.DataFrame | None = None
    gold_file = inputs.path("gold_path")
    if gold_file:
        gold = io.load_table(gold_file, kind="gold")
    elif simulated is not None:
        gold_rows = scored.sample(frac=0.1, random_state=seed + 1)
        gold = pd.DataFrame({"item_id": gold_rows[item_column].astype(str),
                             "label": simulated.truth(gold_rows[hidden_metric]).to_numpy()})
    else:
        findings.append("No gold table was given, so no hidden gold items are served and no gold accuracy is "
                        "reported; pass gold_path to measure reviewers against known answers.")
    gold_ids = sorted(set(gold["item_id"].astype(str)) & set(scored[item_column].astype(str))) if gold is not None else []

    options: dict[str, Any] = {}
    if strategy == "triage":
        options = {"high": triage_high, "low": triage_low, "patterns": patterns, "explore_share": explore_share,
                   "text_columns": [text_column]}
    elif strategy == "uncertainty":
        options = {"score": hidden_metric, "threshold": float(scored[hidden_metric].median())}
    queue_options: dict[str, Any] = {
        "strategy": make_strategy(strategy, **options), "size": queue_size, "gold": gold_ids,
        "gold_share": gold_share if gold_ids else 0.0, "overlap_share": overlap_share, "item": item_column,
    }
    if "image" in scored.columns:
        queue_options["image_root"] = Path(sample_file).parent
    sessions: list[SessionLog] = []
    if simulated is not None:
        for i in range(n_simulated):
            sessions.append(simulate_session(
                scored, store, simulated, name=f"sim-{i + 1}", n=simulated_per_reviewer,
                start=pd.Timestamp("2026-01-05 09:00") + pd.Timedelta(days=i), rng=seed + 10 + i,
                queue_rng=seed, **queue_options))
    queue = ReviewQueue(scored, store, reviewer=reviewer, rng=seed, **queue_options)

    decisions = store.decisions()
    kpis = review_kpis(store, gold=gold, cost_per_hour=cost_per_hour)
    results: list[CalibrationResult] = []
    refused: list[str] = []
    for metric in calibrate_metrics:
        try:
            results.append(calibrate(scored, decisions, metric=metric, item=item_column, n_resamples=1000,
                                     min_per_side=calibrate_min_per_side, rng=seed))
        except WorkbenchError as exc:  # too few decisions (or none on one side): no rule is written
            refused.append(str(exc))
    rules_file: Path | None = None
    if results:
        rules_file = Path(rules_path) if rules_path else store.path.with_name("calibrated_rules.yaml")
        save_calibrated_rules([max(results, key=attrgetter("fbeta"))], rules_file)
    best = max(results, key=attrgetter("fbeta")) if results else None
    params = {"simulate": simulate, "n_simulated": n_simulated, "simulated_per_reviewer": simulated_per_reviewer,
              "hidden_metric": hidden_metric, "hidden_direction": hidden_direction,
              "reviewer_error_rate": reviewer_error_rate, "min_display_ms": min_display_ms,
              "review_tags": list(review_tags), "blind": blind, "strategy": strategy}
    return SpotCheckReport(
        verdict=_verdict(decisions, kpis, best, tuple(refused), rules_file, simulate, store.is_temporary),
        inputs=inputs,
        scored=scored, item_column=item_column, text_column=text_column, store=store, queue=queue, gold=gold,
        hidden_threshold=hidden_threshold, sessions=tuple(sessions), decisions=decisions, n_events=len(store),
        kpis=kpis, calibrations=tuple(results), refused=tuple(refused), rules_file=rules_file,
        n_scores=scored.shape[1] - items.shape[1], findings=tuple(findings), parameters=params,
    )
