"""The annotation-reliability report as one analysis: agreement, disagreement, annotators,
consensus labels, confusion and the batch verdict.

``run`` is what the ``annotation_reliability`` notebook and ``workbench reliability`` both
call, with the defaults declared once (:data:`DEFAULTS`); the notebook shows the result, the
CLI prints its ``summary()``.

Examples
--------
>>> from workbench.samples import make_reviews
>>> s = make_reviews(400, 5, 3, 40, drift_annotator=None, cohort_confusion=False, gold_fraction=0.3, rng=0)
>>> result = run(s.tables["reviews_10x5000"], gold=s.tables["reviews_10x5000_gold"], n_resamples=50)
>>> result.verdict.tone in ("good", "warning", "bad"), result.checks().ok
(True, True)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench import io
from workbench._internal.stats import percentile_interval
from workbench.acceptance import AcceptanceResult, check_batch
from workbench.aggregation import (
    DawidSkeneResult,
    annotator_flags,
    compare_to_gold,
    dawid_skene,
    majority_vote,
    vote_shares,
)
from workbench.agreement import (
    ConfidenceInterval,
    Level,
    ReliabilityTable,
    annotator_agreement,
    annotator_confusion,
    interpret,
    item_disagreement,
    numeric_bias,
    numeric_labels,
    pairwise_kappa,
    reliability_table,
)
from workbench.analyses.base import Checks, Tone, Verdict, check
from workbench.analyses.defaults import ANNOTATION_RELIABILITY
from workbench.errors import WorkbenchError
from workbench.findings import (
    AnnotationShape,
    Ranked,
    annotation_shape,
    available_columns,
    highest,
    lowest,
)
from workbench.plots import forest_plot
from workbench.plots import reliability as rplots
from workbench.report_inputs import ReportInputs, resolve_inputs

__all__ = ["DEFAULTS", "AnnotationReliabilityReport", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = ANNOTATION_RELIABILITY

_STATUSES = ("met", "not met", "inconclusive", "insufficient evidence")


def _names(xs: Sequence[Any]) -> str:
    """``['a', 'b']`` as the old report printed lists of flagged annotators; ``'none'`` when empty."""
    return str(list(xs)) if len(xs) else "none"


@dataclass(frozen=True)
class AnnotationReliabilityReport:
    """Everything the annotation-reliability report shows, computed once (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    annotations: pd.DataFrame
    gold: pd.DataFrame | None
    preferences: pd.DataFrame | None
    shape: AnnotationShape
    preference_shape: AnnotationShape | None
    reliability: ReliabilityTable
    alpha: ConfidenceInterval | None
    """Krippendorff's alpha of the annotations with its bootstrap interval (``None``: not measurable)."""
    preference_alpha: ConfidenceInterval | None
    disagreement: pd.DataFrame | None
    """Per item: n_ratings, disagreement, unanimous (:func:`workbench.agreement.item_disagreement`)."""
    segment_column: str | None
    by_segment: pd.DataFrame | None
    consensus_agreement: pd.DataFrame | None
    """Per annotator, against the leave-one-out consensus."""
    pairwise: pd.DataFrame | None
    preference_pairwise: pd.DataFrame | None
    per_annotator: pd.DataFrame | None
    """Per annotator, against gold (or the consensus), with ``kappa_vs_consensus``."""
    flags: pd.DataFrame | None
    preference_annotators: pd.DataFrame | None
    preference_flags: pd.DataFrame | None
    majority: pd.Series | None
    dawid_skene: DawidSkeneResult | None
    on_gold: pd.DataFrame | None
    differing: pd.DataFrame | None
    """Items where majority vote and Dawid–Skene differ, most confident first (all of them)."""
    preference_majority: pd.Series | None
    preference_dawid_skene: DawidSkeneResult | None
    preference_differing: pd.DataFrame | None
    confusion: pd.DataFrame | None
    acceptance: AcceptanceResult | None
    gold_columns: dict[str, str] = field(default_factory=dict)
    """Renames applied to the gold file (``{}``: it has ``item_id`` and ``label``)."""
    findings: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)
    numeric: bool = False
    """Numeric ratings (``level`` interval or ratio): the sections are chosen by measurement level —
    alpha, the mean absolute deviation from gold and a Bland–Altman bias per annotator; no
    Dawid–Skene, confusion, kappa or near-random flags on raw numbers (issue 27)."""
    bias: pd.DataFrame | None = None
    """Numeric ratings: per annotator, bias against gold (or the others' mean) with its interval,
    limits of agreement and mean absolute deviation (:func:`workbench.agreement.numeric_bias`)."""
    gold_deviation: ConfidenceInterval | None = None
    """Numeric ratings with gold: mean absolute deviation of the item mean from gold, items bootstrapped."""

    # ---- helpers --------------------------------------------------------------------------
    @property
    def reference_name(self) -> str:
        return "gold" if self.gold is not None else "leave-one-out consensus"

    @property
    def agreement_ok(self) -> bool:
        return self.shape.agreement_problem is None

    @property
    def preferences_ok(self) -> bool:
        return self.preference_shape is not None and self.preference_shape.agreement_problem is None

    def _p(self, key: str) -> Any:
        return self.parameters.get(key, DEFAULTS.get(key))

    # ---- 0. the data ----------------------------------------------------------------------
    def data_lines(self) -> list[str]:
        """What was read: annotations, gold and preferences, and what they do not allow."""
        ann = self.annotations
        if self.numeric:
            v = ann["label"]
            labels = (f"Ratings from {v.min():.6g} to {v.max():.6g} (mean {v.mean():.4g}, "
                      f"{v.nunique():,} distinct values), compared as {self._p('level')} numbers")
        else:
            labels = f"Labels {ann['label'].value_counts().to_dict()}"
        lines = [f"annotations: {self.shape.summary()} {labels}"]
        if not self.agreement_ok:
            lines.append(str(self.shape.agreement_problem))
        if self.gold is not None:
            lines.append(f"gold: {len(self.gold):,} items "
                         f"({self.gold['item_id'].isin(ann['item_id']).mean():.0%} of them annotated)")
        if self.preferences is not None and self.preference_shape is not None:
            lines.append(f"preferences: {self.preference_shape.summary()} "
                         f"Choices {self.preferences['choice'].value_counts().to_dict()}")
            if not self.preferences_ok:
                lines.append(f"Preferences: {self.preference_shape.agreement_problem}")
        return lines

    # ---- 1. agreement ---------------------------------------------------------------------
    def reliability_frame(self) -> pd.DataFrame | None:
        """Every agreement coefficient with its interval and band."""
        return self.reliability.to_frame() if self.reliability.rows else None

    def forest_figure(self) -> go.Figure | None:
        frame = self.reliability_frame()
        if frame is None:
            return None
        return forest_plot(frame.dropna(subset=["estimate"]), reference=None,
                           title=f"Agreement with {self._p('confidence'):.0%} bootstrap intervals (items resampled)")

    def multi_rated_share(self) -> float:
        """Share of items with two or more ratings."""
        if self.disagreement is None:
            if not self.numeric:
                return float("nan")
            return float((self.annotations.groupby("item_id").size() >= 2).mean())
        return float((self.disagreement["n_ratings"] >= 2).mean())

    def agreement_lines(self) -> list[str]:
        """The alpha sentence, its band, and a note when the interval is rough."""
        a = self.alpha
        if a is None:
            return [f"Agreement not measured: {self.shape.agreement_problem}"]
        conf = self._p("confidence")
        lines = [a.summary(),
                 f"By Krippendorff's (2004) bands the annotations are '{interpret(a.estimate, scale='krippendorff')}': "
                 f"alpha = {a.estimate:.3f}, {conf:.0%} CI [{a.low:.3f}, {a.high:.3f}]; "
                 f"{self.multi_rated_share():.0%} of items have two or more ratings."]
        n_res = self._p("n_resamples")
        if a.n_valid < 0.9 * n_res:
            lines.append(f"Only {a.n_valid} of {n_res} bootstrap resamples have a defined alpha: with "
                         f"{self.shape.n_items_multi} items judged twice or more, the interval is rough.")
        return lines

    # ---- 2. disagreement ------------------------------------------------------------------
    def disagreement_line(self) -> str:
        if self.numeric:
            return self._numeric_skip("Share of unanimous items and pairwise disagreement")
        if self.disagreement is None:
            return f"Disagreement not measured: {self.shape.agreement_problem}"
        d = self.disagreement
        return (f"{(~d['unanimous']).mean():.1%} of items are not unanimous; mean pairwise disagreement "
                f"{d['disagreement'].mean():.3f}.")

    def segment_table(self) -> pd.DataFrame | None:
        """Disagreement per segment, most disputed first."""
        if self.by_segment is None:
            return None
        return self.by_segment.sort_values("disagreement", ascending=False)

    def segment_figure(self) -> go.Figure | None:
        if self.by_segment is None or self.segment_column is None:
            return None
        return rplots.disagreement_figure(self.by_segment, by=self.segment_column)

    def most_disputed(self) -> Ranked | None:
        if self.by_segment is None or self.segment_column is None:
            return None
        col = self.segment_column
        return highest(self.by_segment.set_index(col), "disagreement", min_n=self._p("min_judgments"),
                       what=col, label=f"most disputed {col}")

    def most_disputed_line(self) -> str | None:
        ranked = self.most_disputed()
        return None if ranked is None else ranked.sentence

    def annotator_disagreement_figure(self) -> go.Figure | None:
        if self.consensus_agreement is None:
            return None
        by_ann = self.consensus_agreement
        frame = pd.DataFrame({"annotator_id": by_ann.index, "disagreement": 1 - by_ann["agreement"].to_numpy(),
                              "n": by_ann["n_compared"].to_numpy()})
        return rplots.disagreement_figure(frame.dropna(subset=["disagreement"]), by="annotator_id",
                                          title="Disagreement with the leave-one-out consensus, by annotator")

    def against_consensus(self) -> Ranked | None:
        if self.consensus_agreement is None:
            return None
        return lowest(self.consensus_agreement, "agreement", n_column="n_compared", min_n=self._p("min_judgments"),
                      label="annotator most often against the consensus")

    def against_consensus_line(self) -> str | None:
        ranked = self.against_consensus()
        return None if ranked is None else ranked.sentence

    def pairwise_figure(self) -> go.Figure | None:
        if self.pairwise is None:
            return None
        return rplots.agreement_matrix_figure(self.pairwise, title="Annotations: pairwise Cohen's kappa on shared items")

    def preference_pairwise_figure(self) -> go.Figure | None:
        if self.preference_pairwise is None:
            return None
        return rplots.agreement_matrix_figure(self.preference_pairwise, title="Preferences: pairwise Cohen's kappa")

    # ---- 3. annotator behaviour -----------------------------------------------------------
    @property
    def near_random(self) -> list[str]:
        return [] if self.flags is None else [str(x) for x in self.flags.index[self.flags["near_random"]]]

    @property
    def straight_lining(self) -> list[str]:
        return [] if self.flags is None else [str(x) for x in self.flags.index[self.flags["straight_lining"]]]

    @property
    def preference_near_random(self) -> list[str]:
        f = self.preference_flags
        return [] if f is None else [str(x) for x in f.index[f["near_random"]]]

    @property
    def preference_position_biased(self) -> list[str]:
        f = self.preference_flags
        return [] if f is None else [str(x) for x in f.index[f["position_biased"]]]

    def least_reliable(self) -> Ranked | None:
        if self.per_annotator is None:
            return None
        return lowest(self.per_annotator, "kappa", n_column="n_compared", min_n=self._p("min_judgments"))

    def annotator_figure(self) -> go.Figure | None:
        if self.per_annotator is None:
            return None
        return rplots.annotator_figure(self.per_annotator,
                                       title=f"Annotations: kappa vs {self.reference_name} and time per item")

    def annotator_lines(self) -> list[str]:
        """Agreement range against the reference, the least reliable annotator, and the flags."""
        if self.numeric:
            return [x for x in (self.largest_bias(), self._numeric_skip("Near-random and straight-lining flags")) if x]
        if self.per_annotator is None or self.flags is None:
            return ["Annotator behaviour against a consensus needs two or more annotators: "
                    f"{self.shape.agreement_problem}"]
        p = self.per_annotator
        least = self.least_reliable()
        margin, share = self._p("near_random_margin"), self._p("straight_line_share")
        return [
            f"Against {self.reference_name}: agreement ranges {p['agreement'].min():.3f}–{p['agreement'].max():.3f}. "
            f"{least.sentence if least is not None else ''}",
            f"Near-random (Dawid–Skene accuracy < chance {self.flags['chance_accuracy'].iloc[0]:.3f} + {margin}, "
            f"at least {self._p('min_judgments')} judgments): {_names(self.near_random)}; "
            f"straight-lining (one label >= {share:.0%}): {_names(self.straight_lining)}.",
        ]

    def preference_annotator_figure(self) -> go.Figure | None:
        if self.preference_annotators is None:
            return None
        return rplots.annotator_figure(self.preference_annotators, y="kappa",
                                       title="Preferences: kappa vs consensus and time per pair")

    def preference_annotator_line(self) -> str | None:
        if self.preference_flags is None:
            return None
        return (f"Preferences: near-random annotators (Dawid–Skene accuracy < chance + {self._p('near_random_margin')}): "
                f"{_names(self.preference_near_random)}; position preference (one side >= "
                f"{self._p('position_share'):.0%}): {_names(self.preference_position_biased)}.")

    # ---- 4. consensus labels --------------------------------------------------------------
    def consensus_lines(self) -> list[str]:
        """Dawid–Skene's summary, its accuracy on gold against majority vote, and how often they differ."""
        if self.numeric:
            return [self._numeric_skip("Dawid–Skene and majority vote")]
        if self.majority is None or self.dawid_skene is None or self.differing is None:
            return [f"Consensus labels need two or more annotators: {self.shape.agreement_problem}"]
        ds, mv = self.dawid_skene, self.majority
        lines = [ds.summary()]
        if not ds.converged:
            lines.append("Dawid–Skene did not converge within its iterations; read its labels with care.")
        g = self.on_gold
        if g is not None:
            lines.append(f"On {int(g.loc['dawid_skene', 'n']):,} gold items: majority vote accuracy "
                         f"{float(g.loc['majority_vote', 'accuracy']):.3f}, Dawid–Skene "
                         f"{float(g.loc['dawid_skene', 'accuracy']):.3f}.")
            n_settled = int(g["n_differing"].iloc[0])
            if n_settled:
                lines.append(f"Of the {n_settled} differing items with gold, DS is right on "
                             f"{int(g.loc['dawid_skene', 'correct_on_differing'])} and MV on "
                             f"{int(g.loc['majority_vote', 'correct_on_differing'])}.")
        n = len(self.differing)
        lines.append(f"Dawid–Skene and majority vote differ on {n:,} of {len(mv):,} items ({n / len(mv):.1%}).")
        return lines

    def differing_table(self, n: int = 15) -> pd.DataFrame | None:
        """The ``n`` most confident items where the two consensus labels differ."""
        return None if self.differing is None else self.differing.head(n)

    def preference_consensus_lines(self) -> list[str]:
        ds, mv, d = self.preference_dawid_skene, self.preference_majority, self.preference_differing
        if ds is None or mv is None or d is None:
            return []
        return ["Preferences: " + ds.summary(),
                f"Preferences: Dawid–Skene and majority vote differ on {len(d)} of {len(mv)} pairs "
                f"({mv.attrs['n_ties']} majority-vote ties broken at random)."]

    def preference_differing_table(self, n: int = 15) -> pd.DataFrame | None:
        return None if self.preference_differing is None else self.preference_differing.head(n)

    # ---- 5. confusion ---------------------------------------------------------------------
    def confusion_figure(self) -> go.Figure | None:
        if self.confusion is None:
            return None
        ref = self.reference_name
        return rplots.annotator_confusion_figure(
            self.confusion, title=f"Per-annotator confusion against {ref} (worst first; rows: {ref}, columns: given)")

    def confusion_line(self) -> str:
        """The largest error cell of any annotator, or why there is none."""
        ref = self.reference_name
        if self.numeric:
            return self._numeric_skip("Per-annotator confusion")
        if self.confusion is None:
            return f"Per-annotator confusion needs a reference from other annotators or gold: {self.shape.agreement_problem}"
        conf = self.confusion
        errors = conf[conf["reference"].astype(str) != conf["label"].astype(str)].reset_index(drop=True)
        worst = highest(errors, "rate", n_column="n_reference", min_n=self._p("min_judgments"), what="error cell",
                        label="largest error cell")
        if worst.name is None:
            return worst.sentence
        if not worst.value > 0:
            return f"No annotator gives a label other than the {ref}'s: there is no error cell to show."
        cell = errors.loc[worst.name]
        return (f"Largest error cell: {cell['annotator_id']} labels {ref} '{cell['reference']}' as "
                f"'{cell['label']}' {cell['rate']:.0%} of the time ({int(cell['count'])} of "
                f"{int(cell['n_reference'])} judgments).")

    # ---- 6. acceptance --------------------------------------------------------------------
    def criteria(self) -> pd.DataFrame | None:
        return None if self.acceptance is None else self.acceptance.criteria

    def violations(self, n: int = 20) -> pd.DataFrame | None:
        return None if self.acceptance is None else self.acceptance.violations.head(n)

    def acceptance_line(self) -> str:
        if self.acceptance is not None:
            return self.acceptance.summary()
        if self.numeric:
            return self._numeric_skip("Batch acceptance (kappa and QA accuracy)")
        if self.gold is None:
            return "No gold table given: the QA-sample and systematic-error criteria need one; skipped."
        return "Batch acceptance needs two or more annotators and gold items among the annotated ones; skipped."

    @property
    def not_passed(self) -> list[str]:
        """Acceptance criteria not passed, with their status."""
        if self.acceptance is None:
            return []
        return [f"{r.criterion} ({r.status})" for r in self.acceptance.criteria.itertuples() if not r.passed]

    def strongest_error_line(self) -> str | None:
        if self.acceptance is None or not len(self.acceptance.violations):
            return None
        v = self.acceptance.violations.iloc[0]
        return (f"Strongest systematic error: {v['segment']} = {v['value']} labels gold '{v['gold_label']}' "
                f"as '{v['given_label']}' {v['rate']:.0%} of the time (rest {v['rest_rate']:.0%}).")

    # ---- numeric ratings (interval / ratio) -------------------------------------------------
    def _numeric_skip(self, what: str) -> str:
        return (f"{what}: not computed for {self._p('level')} ratings (each distinct number would be a class); "
                "see the numeric-rating section.")

    def numeric_lines(self) -> list[str]:
        """Numeric ratings: the deviation from gold and the annotator with the largest bias."""
        if not self.numeric:
            return []
        lines: list[str] = []
        g = self.gold_deviation
        if g is not None:
            lines.append(f"Mean absolute deviation of the item mean from gold: {g.estimate:.3g} "
                         f"({g.confidence:.0%} CI [{g.low:.3g}, {g.high:.3g}], {g.n_units:,} gold items).")
        elif self.gold is None:
            lines.append("No gold table: each annotator is compared with the mean of the others on the same item.")
        worst = self.largest_bias()
        if worst is not None:
            lines.append(worst)
        return lines

    def bias_table(self) -> pd.DataFrame | None:
        """Numeric ratings: per annotator, bias with its interval, limits of agreement, mean absolute deviation."""
        return None if self.bias is None else self.bias.sort_values("bias", key=abs, ascending=False)

    def bias_figure(self) -> go.Figure | None:
        if self.bias is None or self.bias.empty:
            return None
        ref = str(self.bias["reference"].iloc[0])
        frame = self.bias.reset_index().rename(columns={self.bias.index.name or "index": "label", "bias": "estimate",
                                                        "bias_low": "ci_low", "bias_high": "ci_high"})
        frame["label"] = frame["label"].astype(str)
        return forest_plot(frame.dropna(subset=["estimate"]), reference=0.0,
                           title=f"Bias per annotator (rating − {ref}), {self._p('confidence'):.0%} intervals",
                           xaxis_title=f"mean rating − {ref}")

    def largest_bias(self) -> str | None:
        if self.bias is None or self.bias.empty:
            return None
        b = self.bias[self.bias["n"] >= self._p("min_judgments")]
        if b.empty:
            return f"No annotator has {self._p('min_judgments')} or more compared ratings to rank by bias."
        who = b["bias"].abs().idxmax()
        r = b.loc[who]
        ref = str(r["reference"])
        clear = r["bias_low"] > 0 or r["bias_high"] < 0
        return (f"Largest bias: {who} rates {abs(r['bias']):.3g} {'above' if r['bias'] > 0 else 'below'} {ref} on "
                f"average ({self._p('confidence'):.0%} CI [{r['bias_low']:.3g}, {r['bias_high']:.3g}], n={int(r['n'])}"
                f"{'' if clear else '; the interval includes 0'}); {self._p('confidence'):.0%} of their differences fall within "
                f"[{r['loa_low']:.3g}, {r['loa_high']:.3g}].")

    # ---- conclusions ----------------------------------------------------------------------
    def agreement_conclusion(self) -> str:
        a = self.alpha
        if a is None:
            return f"Agreement: not measured. {self.shape.agreement_problem}"
        return (f"Agreement: Krippendorff's alpha ({self._p('level')}) = {a.estimate:.3f} "
                f"[{a.low:.3f}, {a.high:.3f}], '{interpret(a.estimate, scale='krippendorff')}' "
                "by Krippendorff's (2004) bands.")

    def annotator_conclusion(self) -> str | None:
        if self.numeric:
            return self.largest_bias()
        least = self.least_reliable()
        return None if least is None else f"{least.sentence} Near-random: {_names(self.near_random)}."

    def consensus_conclusion(self) -> str | None:
        if self.majority is None or self.differing is None:
            return None
        n, m = len(self.differing), len(self.majority)
        text = f"Dawid–Skene changes {n:,} labels ({n / m:.1%}) relative to majority vote."
        if self.on_gold is not None:
            g = self.on_gold
            text += (f" On gold, Dawid–Skene accuracy {float(g.loc['dawid_skene', 'accuracy']):.3f} vs majority vote "
                     f"{float(g.loc['majority_vote', 'accuracy']):.3f}.")
        return text

    def batch_conclusion(self) -> str | None:
        if self.acceptance is None:
            return None
        failed = self.not_passed
        return (f"Batch {'ACCEPTED' if self.acceptance.accepted else 'REJECTED'}"
                + (f"; not passed: {', '.join(failed)}" if failed else "") + ".")

    def preference_conclusion(self) -> str | None:
        if self.preferences_ok and self.preference_alpha is not None:
            pa = self.preference_alpha
            return (f"Preferences: alpha {pa.estimate:.3f} ('{interpret(pa.estimate, scale='krippendorff')}'); "
                    f"near-random {_names(self.preference_near_random)}; position preference "
                    f"{_names(self.preference_position_biased)}.")
        if self.preference_shape is not None:
            return f"Preferences: agreement not measured. {self.preference_shape.agreement_problem}"
        return None

    def action(self) -> str:
        """The recommended action."""
        if self.acceptance is not None and not self.acceptance.accepted:
            return "Action: " + "; ".join(self._fix_words()) + "."
        if self.acceptance is not None:
            return "Action: accept the batch."
        if self.alpha is None:
            return "Action: have items judged by two or more annotators to measure agreement."
        band = interpret(self.alpha.estimate, scale="krippendorff")
        gold = " Add a gold table for the QA-sample and systematic-error criteria." if self.gold is None else ""
        if band == "reliable":
            return "Action: none for agreement." + gold
        disputed = self.most_disputed()
        where = (f" (most disputed {self.segment_column}: {disputed.name})"
                 if disputed is not None and disputed.name is not None else "")
        return f"Action: clarify the guideline on the most disputed items{where} and re-train annotators." + gold

    def _fix_words(self) -> list[str]:
        """The acceptance fixes, short (the full sentences are in :meth:`acceptance_line`)."""
        assert self.acceptance is not None
        disputed = self.most_disputed()
        where = (f" (most disputed {self.segment_column}: {disputed.name})"
                 if disputed is not None and disputed.name is not None else "")
        words = {"clarify_guideline": f"clarify the guideline on the most disputed items{where} and re-train annotators",
                 "more_multiply_rated_items": "have more items rated by two or more annotators to narrow alpha's CI",
                 "relabel_disagreeing_items": "re-label the items whose aggregate disagrees with gold",
                 "more_gold_items": "add gold items (or raise qa_fraction) to narrow the QA accuracy's CI"}
        out: list[str] = []
        for f in self.acceptance.fixes:
            d = f.details
            if f.code in words:
                out.append(words[f.code])
            elif f.code == "gold_label_more":
                out.append(f"gold-label at least {d['short']} more item(s) for a QA sample of {d['min_n']}")
            elif not any(x.startswith("correct the systematic error") for x in out):
                out.append(f"correct the systematic error of {d['segment']} = {d['value']} "
                           f"(gold '{d['gold_label']}' labelled '{d['given_label']}')")
        return out

    def conclusions(self) -> list[str]:
        """The old report's conclusion lines (the verdict bullets are a selection of them)."""
        lines = [self.agreement_conclusion(), self.annotator_conclusion(), self.consensus_conclusion(),
                 self.batch_conclusion(), self.strongest_error_line(), self.preference_conclusion()]
        return [x for x in lines if x]

    def summary(self) -> str:
        """The verdict, then the agreement, the annotators, the consensus and the batch (what
        ``workbench reliability`` prints)."""
        parts: list[str] = [self.verdict.summary(), "", *self.data_lines(), *self.agreement_lines()]
        if self.per_annotator is not None:
            cols = ["n", "n_compared", "agreement", "kappa", "reference", "top_label_share"]
            parts.append(self.per_annotator[[c for c in cols if c in self.per_annotator.columns]].round(3).to_string())
        parts += self.numeric_lines()
        if self.bias is not None:
            parts.append(self.bias_table().round(3).to_string())  # type: ignore[union-attr]
        parts += self.annotator_lines()
        if not self.numeric:
            parts += self.consensus_lines()
            parts.append(self.confusion_line())
            parts.append(self.acceptance_line())
        parts += [x for x in (self.preference_conclusion(),) if x]
        parts += [*self.findings, self.checks().summary()]
        return "\n".join(p for p in parts if p)

    # ---- checks ---------------------------------------------------------------------------
    def checks(self) -> Checks:
        """The report's old sanity-check cell as named invariants."""
        ann = self.annotations
        items = [check("every judgment is in the table's counts", self.shape.n_rows == len(ann),
                       f"{self.shape.n_rows} vs {len(ann)}")]
        a = self.alpha
        if a is not None and a.n_valid:
            items.append(check("alpha at most 1 and inside its interval", a.estimate <= 1 and a.low <= a.estimate <= a.high,
                               f"{a.low:.4f} <= {a.estimate:.4f} <= {a.high:.4f}"))
        if self.majority is not None and self.dawid_skene is not None:
            ds = self.dawid_skene
            n_items = ann["item_id"].nunique()
            items.append(check("every item has a majority-vote and a Dawid–Skene label",
                               len(self.majority) == len(ds.labels) == n_items,
                               f"{len(self.majority)}, {len(ds.labels)}, {n_items} items"))
            post = ds.posteriors
            worst = float((post.sum(axis=1) - 1).abs().max())
            items.append(check("posteriors are probabilities",
                               bool(((post >= 0) & (post <= 1)).all().all()) and worst < 1e-9,
                               f"max |row sum - 1| = {worst:.2g}"))
        if self.per_annotator is not None:
            p = self.per_annotator
            items.append(check("agreement shares are in [0, 1]", bool(p["agreement"].dropna().between(0, 1).all())))
            items.append(check("every judgment counted once per annotator", int(p["n"].sum()) == len(ann),
                               f"{int(p['n'].sum())} of {len(ann)}"))
        if self.confusion is not None:
            sums = self.confusion.groupby(["annotator_id", "reference"])["rate"].sum(min_count=1).dropna()
            items.append(check("confusion rates sum to 1 per reference label", bool(sums.sub(1).abs().le(1e-9).all()),
                               f"max |sum - 1| = {float(sums.sub(1).abs().max()) if len(sums) else 0.0:.2g}"))
        if self.bias is not None:
            b = self.bias.dropna(subset=["bias_low", "bias_high"])
            items.append(check("each annotator's bias lies inside its interval and its limits of agreement",
                               bool((b["bias"].between(b["bias_low"], b["bias_high"])
                                     & b["bias"].between(b["loa_low"], b["loa_high"])).all()),
                               f"{len(b)} annotators"))
            items.append(check("mean absolute deviation at least the absolute bias",
                               bool((self.bias["mad"] + 1e-9 >= self.bias["bias"].abs()).all())))
        if self.gold_deviation is not None:
            g2 = self.gold_deviation
            items.append(check("gold deviation inside its interval", g2.low <= g2.estimate <= g2.high,
                               f"{g2.low:.4g} <= {g2.estimate:.4g} <= {g2.high:.4g}"))
        if self.on_gold is not None:
            g = self.on_gold
            items.append(check("gold accuracies are in [0, 1] and inside their intervals",
                               bool(g["accuracy"].between(g["ci_low"], g["ci_high"]).all())))
        if self.acceptance is not None and self.gold is not None:
            v = self.acceptance
            items.append(check("verdict consistent with its criteria", v.accepted == bool(v.criteria["passed"].all()),
                               f"accepted={v.accepted}"))
            items.append(check("criterion status is one of the documented ones",
                               bool(v.criteria["status"].isin(_STATUSES).all()),
                               ", ".join(map(str, v.criteria["status"]))))
            items.append(check("QA sample drawn from gold items", bool(v.qa_items.isin(self.gold["item_id"]).all()),
                               f"{len(v.qa_items)} items"))
        return Checks.of(items)


def _verdict(r: AnnotationReliabilityReport) -> Verdict:
    a, acc = r.alpha, r.acceptance
    level = r._p("level")
    alpha_text = ("" if a is None else
                  f"Krippendorff's alpha ({level}) {a.estimate:.3f} [{a.low:.3f}, {a.high:.3f}], "
                  f"'{interpret(a.estimate, scale='krippendorff')}'")
    tone: Tone
    if acc is not None:
        statuses = set(acc.criteria["status"])
        n_crit, n_failed = len(acc.criteria), len(r.not_passed)
        if acc.accepted:
            outcome, tone, word = "accept", "good", "accepted"
        elif "not met" in statuses:
            outcome, tone, word = "reject", "bad", "rejected"
        else:
            outcome, tone, word = "inconclusive", "warning", "not accepted (evidence inconclusive)"
        passed = f"{n_crit - n_failed} of {n_crit} acceptance criteria met"
        head = f"Batch {word}: {passed}" + (f"; {alpha_text}." if alpha_text else ".")
    elif a is not None:
        band = interpret(a.estimate, scale="krippendorff")
        outcome = band
        tone = {"reliable": "good", "tentative": "warning"}.get(band, "bad")  # type: ignore[assignment]
        head = f"Annotations {band} by Krippendorff's (2004) bands: alpha ({level}) {a.estimate:.3f} [{a.low:.3f}, {a.high:.3f}]."
    else:
        outcome, tone = "not_measurable", "neutral"
        head = f"Agreement not measurable: {r.shape.agreement_problem}"
    bullets: list[str] = []
    if a is not None:
        bullets.append(f"{r.agreement_conclusion()} {r.multi_rated_share():.0%} of items have two or more ratings.")
    if acc is not None:
        bullets.append(" ".join(x for x in (r.batch_conclusion(), r.strongest_error_line()) if x))
    elif r.numeric and r.gold_deviation is not None:
        g = r.gold_deviation
        bullets.append(f"Item means deviate from gold by {g.estimate:.3g} on average ({g.confidence:.0%} CI "
                       f"[{g.low:.3g}, {g.high:.3g}]).")
    elif r.gold is None:
        bullets.append("No gold table: QA-sample accuracy and systematic errors are not checked.")
    bullets += [x for x in (r.annotator_conclusion(), r.preference_conclusion()) if x]
    if len(bullets) < 4:
        bullets += [x for x in (r.consensus_conclusion(),) if x]
    bullets.append(r.action())
    return Verdict(outcome=outcome, headline=head, bullets=tuple(bullets[:5]), tone=tone)


def _label_order(value_order: Sequence[Any], labels: pd.Series) -> list[Any] | None:
    """``value_order`` as the labels' type: ``["1", "2"]`` from the command line orders numeric labels."""
    order = list(value_order)
    if order and pd.api.types.is_numeric_dtype(labels.dtype) and all(isinstance(v, str) for v in order):
        converted = pd.to_numeric(pd.Series(order), errors="coerce")
        if converted.notna().all():
            order = converted.tolist()
    return order or None


def _gold_deviation(ann: pd.DataFrame, gold: pd.DataFrame, *, n_resamples: int, confidence: float,
                    seed: int) -> ConfidenceInterval | None:
    """Mean absolute deviation of each gold item's mean rating from gold, with a percentile bootstrap over items."""
    means = ann.groupby("item_id")["label"].mean()
    g = gold.drop_duplicates("item_id").set_index("item_id")["label"]
    err = (means.reindex(g.index) - g).abs().dropna().to_numpy(dtype=float)
    if not len(err):
        return None
    rng = np.random.default_rng(seed)
    reps = err[rng.integers(0, len(err), size=(n_resamples, len(err)))].mean(axis=1)
    low, high = percentile_interval(reps, confidence)
    return ConfidenceInterval("mean absolute deviation from gold", float(err.mean()), low, high, confidence,
                              n_resamples, int(np.isfinite(reps).sum()), n_units=len(err))


def _load(parameter: str, inputs: ReportInputs, **kwargs: Any) -> pd.DataFrame | None:
    resolved = inputs.path(parameter)
    return io.load_table(resolved, **kwargs) if resolved else None


def run(
    annotations: pd.DataFrame | str | os.PathLike[str] | None = None,
    *,
    annotations_path: str | os.PathLike[str] | None = None,
    gold: pd.DataFrame | None = None,
    gold_path: str | os.PathLike[str] | None = "auto",
    preferences: pd.DataFrame | None = None,
    preferences_path: str | os.PathLike[str] | None = "auto",
    format: str = DEFAULTS["format"],
    item_column: str = DEFAULTS["item_column"],
    annotator_column: str = DEFAULTS["annotator_column"],
    label_column: str = DEFAULTS["label_column"],
    normalize_labels: bool = False,
    level: str = DEFAULTS["level"],
    value_order: list[Any] = DEFAULTS["value_order"],
    segment_column: str = DEFAULTS["segment_column"],
    n_resamples: int = DEFAULTS["n_resamples"],
    confidence: float = DEFAULTS["confidence"],
    min_kappa: float = DEFAULTS["min_kappa"],
    min_qa_accuracy: float = DEFAULTS["min_qa_accuracy"],
    qa_fraction: float = DEFAULTS["qa_fraction"],
    min_qa_items: int = DEFAULTS["min_qa_items"],
    near_random_margin: float = DEFAULTS["near_random_margin"],
    straight_line_share: float = DEFAULTS["straight_line_share"],
    position_share: float = DEFAULTS["position_share"],
    min_judgments: int = DEFAULTS["min_judgments"],
    seed: int = DEFAULTS["seed"],
    options: dict[str, Any] = DEFAULTS["options"],
) -> AnnotationReliabilityReport:
    """Measure how reliable a labeled dataset is and decide whether to accept the batch.

    Parameters
    ----------
    annotations, annotations_path
        The annotations table (``item_id, annotator_id, label``) as a frame, or its file.
    gold, gold_path
        Gold labels as a frame, or their file (``item_id, label``; a file written with the
        annotation file's column names is accepted too, see :func:`workbench.io.load_gold`);
        ``"auto"``: the sample gold only with the sample annotations; ``""``/``None``: none.
    preferences, preferences_path
        An optional preferences table (``pair_id, annotator_id, choice``), same rules.
    format, item_column, annotator_column, label_column, normalize_labels
        How the annotations file is read (:func:`workbench.io.load_table`).
    level, value_order
        Krippendorff level and the label order for ordinal/interval data (``[]``: sorted labels).
    segment_column
        Column to segment disagreement by (``""``: none; absent: skipped with a note).
    n_resamples, confidence, seed
        Bootstrap resamples and level of every interval; the seed of the bootstrap, the QA
        sample and tie breaking.
    min_kappa, min_qa_accuracy, qa_fraction, min_qa_items
        The batch-acceptance bars (:func:`workbench.acceptance.check_batch`).
    options
        Reader options of the annotations file, e.g. ``{"question": "sentiment"}`` for one
        question of a multi-question export or table (:func:`workbench.io.load_table`).
    near_random_margin, straight_line_share, position_share, min_judgments
        Annotator flags (:func:`workbench.aggregation.annotator_flags`) and the smallest
        number of compared judgments for rankings and flags.

    Returns
    -------
    AnnotationReliabilityReport
    """
    path = annotations_path if annotations_path is not None else (
        None if isinstance(annotations, pd.DataFrame) else annotations)
    inputs: ReportInputs | None = None
    gold_columns: dict[str, str] = {}
    columns = {"item_id": item_column, "annotator_id": annotator_column, "label": label_column}
    renamed = {k: v for k, v in columns.items() if k != v}
    if path is not None:
        inputs = resolve_inputs("annotation_reliability", annotations_path=str(path),
                                gold_path="" if gold_path is None else str(gold_path),
                                preferences_path="" if preferences_path is None else str(preferences_path))
        ann_path = inputs.path("annotations_path")
        if ann_path is None:
            raise WorkbenchError("annotation_reliability: no annotations file given; pass annotations_path.")
        ann = io.load_table(ann_path, kind="annotations", columns=renamed or None, format=format,  # type: ignore[arg-type]
                            normalize_labels=normalize_labels, options=options or None)
        g_path = inputs.path("gold_path")
        gold_table = None
        if g_path:
            gold_table, gold_columns = io.load_gold(g_path, columns=renamed, normalize_labels=normalize_labels)
        prefs = _load("preferences_path", inputs, kind="preferences")
    elif isinstance(annotations, pd.DataFrame):
        ann, gold_table, prefs = annotations, gold, preferences
    else:
        raise WorkbenchError("annotation_reliability: pass an annotations table or annotations_path.")
    findings: list[str] = []
    if renamed and gold_table is not None and path is not None:
        names = ", ".join(f"{k} = {v!r}" for k, v in renamed.items() if k in ("item_id", "label"))
        if gold_columns:
            findings.append("The gold table was read with the annotation file's column names ("
                            + ", ".join(f"{k} = {v!r}" for k, v in gold_columns.items()) + ").")
        elif names:
            findings.append(f"The gold table was read with its own columns item_id and label (the annotation "
                            f"file's names, {names}, apply to the annotations only).")
    order = _label_order(value_order, ann["label"])
    shape = annotation_shape(ann)
    pref_shape = annotation_shape(prefs, item="pair_id", label="choice") if prefs is not None else None
    agreement_ok = shape.agreement_problem is None
    pref_ok = pref_shape is not None and pref_shape.agreement_problem is None
    lvl = cast(Level, level)
    numeric = level in ("interval", "ratio")
    if numeric:  # numbers compared as numbers: labels and gold must be numbers (an expert mean is fine)
        ann = ann.assign(label=numeric_labels(ann, level=level))
        if gold_table is not None:
            gold_table = gold_table.assign(label=numeric_labels(gold_table, table="gold", level=level))

    # 1. agreement
    reliability = reliability_table(ann if agreement_ok else None, preferences=prefs if pref_ok else None,
                                    level=lvl, value_order=order, n_resamples=n_resamples,
                                    confidence=confidence, rng=seed)
    alpha = reliability.interval("annotations") if agreement_ok else None
    pref_alpha = reliability.interval("preferences") if pref_ok else None

    # 2. disagreement
    dis = by_seg = by_ann = pk = None
    seg_col: str | None = None
    if agreement_ok:
        dis = None if numeric else item_disagreement(ann, value_order=order)
        seg_cols, seg_note = available_columns(ann, [segment_column] if segment_column else [],
                                               purpose="disagreement segments")
        if seg_note:
            findings.append(seg_note)
        if seg_cols:
            seg_col = segment_column
            seg = ann.groupby("item_id")[segment_column].first()
            by_seg = None if dis is None else (dis.join(seg).groupby(segment_column)
                      .agg(disagreement=("disagreement", "mean"), n=("disagreement", "size")).reset_index())
        if not numeric:
            by_ann = annotator_agreement(ann, value_order=order)
            pk = pairwise_kappa(ann, value_order=order)
    pk_pref = pairwise_kappa(prefs, item="pair_id", label="choice") if pref_ok and prefs is not None else None

    # 3. annotator behaviour
    per_ann = flags = pref_ann = pref_flags = None
    bias = gold_dev = None
    if numeric and (shape.can_aggregate or gold_table is not None):
        bias = numeric_bias(ann, reference=gold_table, confidence=confidence)
        if gold_table is not None:
            gold_dev = _gold_deviation(ann, gold_table, n_resamples=n_resamples, confidence=confidence, seed=seed)
    if shape.can_aggregate and not numeric:
        per_ann = annotator_agreement(ann, reference=gold_table, value_order=order)
        if by_ann is not None:
            per_ann["kappa_vs_consensus"] = by_ann["kappa"]
        flags = annotator_flags(ann, near_random_margin=near_random_margin, straight_line_share=straight_line_share,
                                min_judgments=min_judgments, value_order=order)
    if pref_ok and prefs is not None:
        pref_ann = annotator_agreement(prefs, item="pair_id", label="choice")
        pref_flags = annotator_flags(prefs, item="pair_id", label="choice", near_random_margin=near_random_margin,
                                     straight_line_share=straight_line_share, position_share=position_share,
                                     min_judgments=min_judgments)

    # 4. consensus labels
    mv = ds = on_gold = differing = None
    if shape.can_aggregate and not numeric:
        mv = majority_vote(ann, ties="random", rng=seed, value_order=order)
        ds = dawid_skene(ann, value_order=order)
        differ = mv.index[mv.ne(ds.labels.reindex(mv.index))]
        shares = vote_shares(ann, value_order=order)
        differing = pd.DataFrame({"majority_vote": mv.loc[differ], "dawid_skene": ds.labels.loc[differ],
                                  "ds_confidence": ds.posteriors.loc[differ].max(axis=1)}).join(shares.add_prefix("votes_"))
        if gold_table is not None and gold_table["item_id"].isin(mv.index).any():
            on_gold = compare_to_gold({"majority_vote": mv, "dawid_skene": ds.labels}, gold_table, confidence=confidence)
            differing = differing.join(gold_table.set_index("item_id")["label"].rename("gold"))
        differing = differing.sort_values("ds_confidence", ascending=False)
    mv_pref = ds_pref = pref_differing = None
    if prefs is not None and pref_shape is not None and pref_shape.can_aggregate:
        ds_pref = dawid_skene(prefs, item="pair_id", label="choice")
        mv_pref = majority_vote(prefs, item="pair_id", label="choice", ties="random", rng=seed)
        pdiff = mv_pref.index[mv_pref.ne(ds_pref.labels.reindex(mv_pref.index))]
        pref_differing = (pd.DataFrame({"majority_vote": mv_pref.loc[pdiff], "dawid_skene": ds_pref.labels.loc[pdiff],
                                        "ds_confidence": ds_pref.posteriors.loc[pdiff].max(axis=1)})
                          .join(vote_shares(prefs, item="pair_id", label="choice").add_prefix("votes_")))

    # 5. confusion
    conf = (annotator_confusion(ann, reference=gold_table, value_order=order)
            if shape.can_aggregate and not numeric else None)

    # 6. acceptance
    acceptance = None
    if (gold_table is not None and shape.can_aggregate and not numeric
            and gold_table["item_id"].isin(ann["item_id"]).any()):
        acceptance = check_batch(ann, gold=gold_table, min_kappa=min_kappa, min_qa_accuracy=min_qa_accuracy,
                                 qa_fraction=qa_fraction, min_qa_items=min_qa_items, n_resamples=n_resamples,
                                 confidence=confidence, rng=seed, value_order=order)

    params = {"level": level, "value_order": list(value_order), "segment_column": segment_column,
              "n_resamples": n_resamples, "confidence": confidence, "min_kappa": min_kappa,
              "min_qa_accuracy": min_qa_accuracy, "qa_fraction": qa_fraction, "min_qa_items": min_qa_items,
              "near_random_margin": near_random_margin, "straight_line_share": straight_line_share,
              "position_share": position_share, "min_judgments": min_judgments, "seed": seed,
              "options": dict(options)}
    report = AnnotationReliabilityReport(
        verdict=Verdict("pending", "pending"), inputs=inputs, annotations=ann, gold=gold_table, preferences=prefs,
        shape=shape, preference_shape=pref_shape, reliability=reliability, alpha=alpha, preference_alpha=pref_alpha,
        disagreement=dis, segment_column=seg_col, by_segment=by_seg, consensus_agreement=by_ann, pairwise=pk,
        preference_pairwise=pk_pref, per_annotator=per_ann, flags=flags, preference_annotators=pref_ann,
        preference_flags=pref_flags, majority=mv, dawid_skene=ds, on_gold=on_gold, differing=differing,
        preference_majority=mv_pref, preference_dawid_skene=ds_pref, preference_differing=pref_differing,
        confusion=conf, acceptance=acceptance, gold_columns=gold_columns, findings=tuple(findings),
        parameters=params, numeric=numeric, bias=bias, gold_deviation=gold_dev,
    )
    import dataclasses

    return dataclasses.replace(report, verdict=_verdict(report))
