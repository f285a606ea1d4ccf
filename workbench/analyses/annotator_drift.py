"""The annotator-drift report as one analysis: timelines, change points, root causes, actions.

``run`` is what the ``annotator_drift`` notebook and ``workbench drift`` both call, with the
defaults declared once (:data:`DEFAULTS`); the notebook shows the result, the CLI prints its
``summary()``.

Examples
--------
>>> from workbench.samples import make_reviews
>>> s = make_reviews(600, 6, 3, 60, drift_annotator=None, cohort_confusion=False, gold_fraction=0.3, rng=0)
>>> result = run(s.tables["reviews_10x5000"], gold=s.tables["reviews_10x5000_gold"])
>>> result.verdict.outcome, result.checks().ok
('no_drift', True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from workbench import drift, io
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import ANNOTATOR_DRIFT
from workbench.errors import WorkbenchError
from workbench.findings import available_columns
from workbench.plots import drift as drift_plots
from workbench.report_inputs import ReportInputs, resolve_inputs

__all__ = ["DEFAULTS", "AnnotatorDriftReport", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = ANNOTATOR_DRIFT

_ALERT_COLUMNS = ["level", "group", "metric", "changed_at", "before", "after", "n_before", "n_after",
                  "p_value", "p_adjusted", "first_signal_at"]
_CAUSE_COLUMNS = ["rank", "segment", "n", "errors", "error_rate", "ci_low", "ci_high", "overall_rate",
                  "excess", "excess_low", "excess_high", "p_adjusted", "cause"]


@dataclass(frozen=True)
class AnnotatorDriftReport:
    """Everything the annotator-drift report shows, computed once (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    annotations: pd.DataFrame
    gold: pd.DataFrame | None
    scales: drift.TimeScales
    level_columns: tuple[str, ...]
    segment_columns: tuple[str, ...]
    cohort_column: str | None
    quality: pd.DataFrame
    """Windowed quality per annotator (:func:`workbench.drift.windowed_quality`)."""
    cohort_quality: pd.DataFrame | None
    drift: drift.DriftResult
    confusion: pd.DataFrame
    causes: pd.DataFrame
    """The ranked root-cause table (:func:`workbench.drift.segment_errors`)."""
    top_confusion: pd.DataFrame | None
    actions: pd.DataFrame
    n_gold_judgments: int
    findings: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    # ---- words ----------------------------------------------------------------------------
    @property
    def scales_line(self) -> str:
        auto = self.parameters.get("auto_scales", False)
        return self.scales.summary() + (" (chosen from the data)" if auto else "")

    @property
    def data_line(self) -> str:
        """What was read: judgments, items, annotators, time span and gold."""
        a = self.annotations
        g = "no gold" if self.gold is None else (
            f"{fmt_count(len(self.gold))} gold items ({fmt_count(self.n_gold_judgments)} judgments on them)")
        return (f"{fmt_count(len(a))} judgments of {fmt_count(a['item_id'].nunique())} items by "
                f"{a['annotator_id'].nunique()} annotators, {a['timestamp'].min()} to {a['timestamp'].max()}; {g}.")

    @property
    def main_metric(self) -> str:
        return "gold_accuracy" if self.gold is not None else "consensus_agreement"

    @property
    def alerted_annotators(self) -> tuple[str, ...]:
        al = self.drift.alerts
        return tuple(sorted({str(g) for g in al.loc[al["level"] == "annotator_id", "group"]}))

    @property
    def distinct_causes(self) -> pd.DataFrame:
        """The greedy explanation's rows (``cause`` 1, 2, …) that are significant in the whole
        table, in that order: the causes the recommended actions act on. (A segment can become
        significant only once an earlier cause's judgments are removed; it keeps its ``cause``
        number in the table but is no distinct cause of the whole batch.)"""
        c = self.causes
        if c.empty:
            return c
        return c[c["cause"].notna() & c["significant"].astype(bool)].sort_values("cause")

    def timeline_note(self) -> str | None:
        if not self.quality.empty:
            return None
        return ("No judgment has a reference (no gold item annotated and no item with other annotators): "
                "there is nothing to draw over time.")

    def cohort_note(self) -> str | None:
        return None if self.cohort_column else "No cohort column among the levels: cohort timelines skipped."

    def drift_notes(self) -> tuple[str, ...]:
        """Why control charts are flat or nothing was tested, when that is so."""
        out = []
        if self.scales.n_windows < 2:
            out.append("The data fit in a single window: the control charts have one point each; the change-point "
                       "tests, which use every judgment's time, are unaffected.")
        if self.drift.tests["p_value"].notna().sum() == 0:
            out.append(f"No annotator or cohort has {self.parameters['min_judgments']} or more judgments with a "
                       "reference, so nothing was tested for a change; lower min_judgments to test small groups.")
        return tuple(out)

    def causes_note(self) -> str | None:
        if not self.causes.empty:
            return None
        return (f"No segment of {', '.join(self.segment_columns)} has {self.parameters['min_segment_n']} or more "
                "judgments with a reference (and fewer than all of them): the root-cause table is empty; lower "
                "min_segment_n to rank small segments.")

    def action_lines(self) -> tuple[str, ...]:
        """The recommended actions, one sentence each with its evidence, in priority order."""
        if self.actions.empty:
            return ("No action: no drift alert and no root cause.",)
        return tuple(f"{a.priority}) {a.action} Evidence: {a.evidence}" for a in self.actions.itertuples(index=False))

    def conclusion(self) -> str:
        """The alerts and the strongest root cause in two sentences."""
        alerted = self.alerted_annotators
        n_ann = int((self.drift.alerts["level"] == "annotator_id").sum())
        alpha = self.parameters["alpha"]
        first = (f"{len(self.drift.alerts)} drift alert(s) at a family-wise false-alarm rate of {alpha:g} "
                 f"({n_ann} of them for {len(alerted)} annotator(s): {', '.join(alerted) if alerted else 'none'}).")
        return first + " " + self.cause_line()

    def cause_line(self) -> str:
        found = self.distinct_causes
        if len(found):
            c1 = found.iloc[0]
            level = self.causes.attrs["confidence"]
            return (f"The strongest root cause is {c1['segment']}: error rate {c1['error_rate']:.0%} "
                    f"({level:.0%} CI {c1['ci_low']:.0%}-{c1['ci_high']:.0%}, n={c1['n']}) against "
                    f"{c1['overall_rate']:.0%} overall; {len(found)} distinct cause(s) in all.")
        if self.causes.empty:
            return "No segment was large enough to test for a root cause."
        return "No segment has a significant excess of errors."

    # ---- tables ---------------------------------------------------------------------------
    def alerts_table(self) -> pd.DataFrame | None:
        """The drift alerts (None when there are none)."""
        al = self.drift.alerts
        if al.empty:
            return None
        cols = ["level", "group", *[c for c in self.level_columns if c not in ("level", "group")]]
        return al[cols + [c for c in _ALERT_COLUMNS if c not in cols]].reset_index(drop=True)

    def causes_table(self) -> pd.DataFrame | None:
        """The top rows of the root-cause table (``top_causes`` of them)."""
        if self.causes.empty:
            return None
        out = self.causes[_CAUSE_COLUMNS].head(self.parameters["top_causes"]).reset_index(drop=True)
        return out.assign(cause=pd.array(out["cause"], dtype="Int64"))

    # ---- figures --------------------------------------------------------------------------
    def timeline_figures(self) -> tuple[go.Figure, ...]:
        return tuple(drift_plots.timeline_figure(self.quality, group="annotator_id", metric=m)
                     for m in self.quality["metric"].unique())

    def cohort_figures(self) -> tuple[go.Figure, ...]:
        if self.cohort_quality is None:
            return ()
        return tuple(drift_plots.timeline_figure(self.cohort_quality, group=str(self.cohort_column), metric=m)
                     for m in self.cohort_quality["metric"].unique())

    def heatmaps(self) -> tuple[go.Figure, ...]:
        return tuple(drift_plots.quality_heatmap(self.quality, group="annotator_id", metric=m)
                     for m in self.quality["metric"].unique())

    def control_charts(self) -> tuple[go.Figure, ...]:
        figs = [drift_plots.control_charts_figure(self.drift, level="annotator_id", metric=m)
                for m in self.drift.charts["metric"].unique()]
        if self.cohort_column and len(self.drift.charts):
            figs.append(drift_plots.control_charts_figure(self.drift, level=self.cohort_column,
                                                          metric=self.main_metric))
        return tuple(figs)

    def confusion_figure(self) -> go.Figure:
        return drift_plots.confusion_figure(self.confusion, by=self.cohort_column or "annotator_id")

    def root_cause_figure(self) -> go.Figure | None:
        if self.causes.empty:
            return None
        return drift_plots.root_cause_figure(self.causes, top=self.parameters["top_causes"])

    def top_confusion_figure(self) -> go.Figure | None:
        """Confusion by cohort within the category (and guideline version) of the top root cause."""
        if self.top_confusion is None:
            return None
        by = self.cohort_column or "annotator_id"
        top = self.causes.iloc[0]
        # name the filter actually applied (category, guideline version), not the whole top segment:
        # a title "within cohort=night" over every cohort's rows said the opposite of the panels (issue 28)
        within = [f"category={top['category']}"]
        if "guideline_version" in self.causes.columns and pd.notna(top["guideline_version"]):
            within.append(f"guideline_version={top['guideline_version']}")
        fig = drift_plots.confusion_figure(self.top_confusion, by=by)
        fig.update_layout(title=f"Confusion by {by} within {', '.join(within)} (the top cause's category)")
        return fig

    # ---- the whole ------------------------------------------------------------------------
    def summary(self) -> str:
        """The verdict, then the alerts, the root-cause table and the actions (what ``workbench drift`` prints)."""
        parts = [self.verdict.summary(), "", self.scales_line, self.data_line, *self.findings,
                 self.drift.summary(), *self.drift_notes()]
        table = self.causes_table()
        if table is None:
            parts.append(self.causes_note() or "")
        else:
            parts.append(table.to_string(index=False))
        parts += [*self.action_lines(), self.conclusion(), self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """The report's invariants: rates are probabilities inside their intervals, gold
        judgments add up, alerts respect the family-wise alpha, the root-cause table is
        ranked with excesses inside their intervals, and the actions match the findings."""
        wq, res, causes = self.quality, self.drift, self.causes
        alpha = self.parameters["alpha"]
        tested = res.tests["p_value"].dropna()
        gold_n = int(wq.loc[wq["metric"] == "gold_accuracy", "n"].sum()) if len(wq) else 0
        rates = res.alerts[["before", "after"]].stack()
        n_expected = len(res.alerts.groupby(["level", "group"])) + min(3, len(self.distinct_causes))
        items = [
            check("windowed quality in [0, 1] and not below its lower CI",
                  bool(wq["value"].between(0, 1).all()) and bool((wq["ci_low"] <= wq["value"] + 1e-12).all()),
                  f"{len(wq)} windows"),
            check("gold judgments in the timelines add up", self.gold is None or gold_n == self.n_gold_judgments,
                  f"{gold_n} vs {self.n_gold_judgments}"),
            check("drift p-values in [0, 1]", bool(tested.between(0, 1).all()), f"{len(tested)} tests"),
            check("alert rates in [0, 1]", bool(rates.between(0, 1).all()), f"{len(rates)} rates"),
            check("no alert above the family-wise alpha", not bool((res.alerts["p_adjusted"] > alpha).any()),
                  f"max p_adjusted {res.alerts['p_adjusted'].max() if len(res.alerts) else float('nan'):.3g}"
                  f" vs alpha {alpha:g}"),
            check("root-cause excess inside its interval",
                  causes.empty or bool(((causes["excess_low"] <= causes["excess"] + 1e-12)
                                        & (causes["excess"] <= causes["excess_high"] + 1e-12)).all()),
                  f"{len(causes)} segments"),
            check("root-cause table ranked (significant segments first)",
                  causes.empty or not causes["significant"].any() or bool(causes["significant"].iloc[0])),
            check("recommended actions match the findings", len(self.actions) == n_expected,
                  f"{len(self.actions)} actions vs {n_expected} alerted groups + causes"),
        ]
        return Checks.of(items)


def _headline(res: drift.DriftResult, scales: drift.TimeScales, alpha: float) -> str:
    al = res.alerts[res.alerts["level"] == "annotator_id"].drop_duplicates("group")
    fmt = drift.time_format(scales.window)
    parts = [f"{len(res.alerts)} drift alert(s) at a false-alarm rate of {alpha:g}"]
    for a in al.head(3).itertuples():
        when = pd.Timestamp(a.changed_at).strftime(fmt) if pd.notna(a.changed_at) else "an unknown date"
        parts.append(f"{a.group} drifted on {when}")
    return "; ".join(parts)


def _verdict(report: AnnotatorDriftReport) -> Verdict:
    res, alpha = report.drift, report.parameters["alpha"]
    alerted = report.alerted_annotators
    n_tests = int(res.tests["p_value"].notna().sum())
    causes = report.distinct_causes
    bullets: list[str] = []
    if n_tests == 0:
        outcome, tone = "not_testable", "neutral"
        bullets.append(f"No group has {report.parameters['min_judgments']} judgments with a reference: "
                       "nothing was tested for a change.")
    else:
        others = sorted({f"{r.level} {r.group}" for r in res.alerts.itertuples() if r.level != "annotator_id"})
        bullets.append(f"{n_tests} sequences tested; {len(alerted)} annotator(s) drifted"
                       + (f" ({', '.join(alerted)})" if alerted else "")
                       + (f"; also {', '.join(others)}" if others else "") + ".")
        outcome = "drift" if len(res.alerts) else ("root_cause" if len(causes) else "no_drift")
        tone = "bad" if alerted else ("warning" if len(res.alerts) or len(causes) else "good")
    bullets.append(report.cause_line())
    tone_t: Tone = tone  # type: ignore[assignment]
    for a in report.actions.head(2).itertuples(index=False):
        bullets.append(f"Action {a.priority}: {a.action}")
    if len(report.actions) > 2:
        bullets.append(f"{len(report.actions) - 2} more recommended action(s), with their evidence, in section 5.")
    if report.actions.empty:
        bullets.append("Action: none; keep monitoring.")
    return Verdict(outcome=outcome, headline=_headline(res, report.scales, alpha), bullets=tuple(bullets[:5]),
                   tone=tone_t)


def run(
    annotations: pd.DataFrame | str | os.PathLike[str] | None = None,
    *,
    annotations_path: str | os.PathLike[str] | None = None,
    gold: pd.DataFrame | None = None,
    gold_path: str | os.PathLike[str] | None = "auto",
    format: str = DEFAULTS["format"],
    date_format: str | None = None,
    columns: dict[str, str] | None = None,
    window: str = DEFAULTS["window"],
    baseline: str = DEFAULTS["baseline"],
    levels: list[str] = DEFAULTS["levels"],
    alpha: float = DEFAULTS["alpha"],
    min_judgments: int = DEFAULTS["min_judgments"],
    segment_by: list[str] = DEFAULTS["segment_by"],
    period: str = DEFAULTS["period"],
    max_depth: int = DEFAULTS["max_depth"],
    min_segment_n: int = DEFAULTS["min_segment_n"],
    top_causes: int = DEFAULTS["top_causes"],
    options: dict[str, Any] = DEFAULTS["options"],
) -> AnnotatorDriftReport:
    """Detect annotator and cohort drift, rank root causes and recommend actions.

    Parameters
    ----------
    annotations, annotations_path
        The annotations table as a frame, or its file (item_id, annotator_id, label,
        timestamp; optional cohort, category, guideline_version).
    gold, gold_path
        Gold labels as a frame, or their file; ``"auto"`` takes the sample gold only with
        the sample annotations, ``""``/``None`` means no gold (agreement only).
    format, date_format, columns
        How the files are read (:func:`workbench.io.load_table`); ``columns`` maps data-model
        names to the file's, e.g. ``{"annotator_id": "worker"}`` (gold takes its ``item_id``
        and ``label`` entries when the gold file uses those names, else its own ``item_id, label``:
        :func:`workbench.io.load_gold`).
    options
        Reader options of the annotations file, e.g. ``{"question": "sentiment"}`` (one question
        of a multi-question export or table).
    window, baseline, period
        Time scales (``"auto"``: chosen from the data, see :func:`workbench.drift.suggest_time_scales`).
    levels, alpha, min_judgments
        Grouping columns tested for drift (absent ones skipped), the family-wise false-alarm
        rate (Holm) and the smallest sequence tested.
    segment_by, max_depth, min_segment_n, top_causes
        Root-cause columns (``"period"``: time bins), most columns per segment, smallest
        segment tested and rows shown.

    Returns
    -------
    AnnotatorDriftReport
    """
    path = annotations_path if annotations_path is not None else (
        None if isinstance(annotations, pd.DataFrame) else annotations)
    inputs: ReportInputs | None = None
    if path is not None:
        inputs = resolve_inputs("annotator_drift", annotations_path=str(path),
                                gold_path="" if gold_path is None else str(gold_path))
        ann_path = inputs.path("annotations_path")
        if ann_path is None:
            raise WorkbenchError("annotator_drift: no annotations file given; pass annotations_path.")
        ann = io.load_table(ann_path, kind="annotations", format=format,  # type: ignore[arg-type]
                            date_format=date_format, columns=columns or None, options=options or None)
        g_path = inputs.path("gold_path")
        gold_table = io.load_gold(g_path, columns=columns)[0] if g_path else None
    elif isinstance(annotations, pd.DataFrame):
        ann, gold_table = annotations, gold
    else:
        raise WorkbenchError("annotator_drift: pass an annotations table or annotations_path.")
    scales = drift.suggest_time_scales(ann, window=window, baseline=baseline, period=period)
    level_cols, level_note = available_columns(ann, levels, purpose="drift levels")
    segment_cols, segment_note = available_columns(ann, segment_by, purpose="root-cause columns",
                                                   virtual=["period"])
    findings = tuple(n for n in (level_note, segment_note) if n)
    level_cols = level_cols or ["annotator_id"]
    cohort_col = next((c for c in level_cols if c != "annotator_id"), None)
    n_gold = 0 if gold_table is None else int(ann["item_id"].isin(gold_table["item_id"]).sum())
    wq = drift.windowed_quality(ann, gold=gold_table, window=scales.window, by="annotator_id")
    wq_cohort = drift.windowed_quality(ann, gold=gold_table, window=scales.window, by=cohort_col) if cohort_col else None
    result = drift.detect_drift(ann, gold=gold_table, window=scales.window, levels=level_cols, alpha=alpha,
                                baseline=scales.baseline, min_judgments=min_judgments)
    confusion = drift.confusion_by(ann, gold=gold_table, by=cohort_col or "annotator_id")
    causes = drift.segment_errors(ann, gold=gold_table, by=segment_cols, period=scales.period, max_depth=max_depth,
                                  min_n=min_segment_n, if_empty="return")
    top_confusion = _top_confusion(ann, gold_table, causes, cohort_col)
    actions = drift.recommend_actions(result, causes)
    params = {"window": window, "baseline": baseline, "levels": list(levels), "alpha": alpha,
              "min_judgments": min_judgments, "segment_by": list(segment_by), "period": period,
              "max_depth": max_depth, "min_segment_n": min_segment_n, "top_causes": top_causes,
              "auto_scales": "auto" in (window, baseline, period)}
    report = AnnotatorDriftReport(
        verdict=Verdict("pending", "pending"), inputs=inputs, annotations=ann, gold=gold_table, scales=scales,
        level_columns=tuple(level_cols), segment_columns=tuple(segment_cols), cohort_column=cohort_col,
        quality=wq, cohort_quality=wq_cohort, drift=result, confusion=confusion, causes=causes,
        top_confusion=top_confusion, actions=actions, n_gold_judgments=n_gold, findings=findings,
        parameters=params,
    )
    object.__setattr__(report, "verdict", _verdict(report))
    return report


def _top_confusion(ann: pd.DataFrame, gold: pd.DataFrame | None, causes: pd.DataFrame,
                   cohort_col: str | None) -> pd.DataFrame | None:
    """Confusion by cohort within the category (and guideline version) of the top-ranked segment."""
    if causes.empty or "category" not in causes.columns or pd.isna(causes.iloc[0]["category"]):
        return None
    top = causes.iloc[0]
    sub = ann[ann["category"] == top["category"]]
    if "guideline_version" in causes.columns and pd.notna(top["guideline_version"]):
        sub = sub[sub["guideline_version"] == top["guideline_version"]]
    sub_gold = None if gold is None else gold[gold["item_id"].isin(sub["item_id"])]
    return drift.confusion_by(sub, gold=sub_gold, by=cohort_col or "annotator_id")
