"""The data-intervention A/B report as one analysis: does the cleaning pay off downstream?

Three controlled experiments at an equal training budget (see :mod:`workbench.ablation`):
label aggregation (raw / majority vote / Dawid–Skene / gold-filtered annotators), corpus
cleaning (raw vs the cleaning funnel) and a threshold sweep. Each runs when its inputs are
there; the ones that cannot run say why in ``findings``.

Examples
--------
>>> from workbench.analyses.data_intervention_ab import DEFAULTS
>>> DEFAULTS["n_repeats"]
5
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go

from workbench import ablation, io
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import DATA_INTERVENTION_AB
from workbench.errors import WorkbenchError
from workbench.plots import ablation as ablation_plots
from workbench.report_inputs import ReportInputs, reference_corpus, resolve_inputs

__all__ = ["DEFAULTS", "InterventionReport", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = DATA_INTERVENTION_AB


def _fact(name: str, res: ablation.AblationResult) -> str | None:
    """The first difference of an experiment as one headline sentence."""
    if res.differences.empty:
        return None
    row = next(res.differences.itertuples())
    sig = f" ({'better' if row.better else 'worse'}, significant)" if row.significant else " (not significant)"
    return (f"{name}: {row.set} vs {row.baseline}, {row.metric} {row.estimate:+.4f} "
            f"[{res.confidence:.0%} CI {row.ci_low:+.4f}, {row.ci_high:+.4f}]{sig}")


@dataclass(frozen=True)
class InterventionReport:
    """Everything the data-intervention report shows (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    label_sets: ablation.LabelSets | None
    labels: ablation.AblationResult | None
    corpus: pd.DataFrame
    funnel: ablation.CleanedCorpus
    reference_note: str
    cleaning: ablation.AblationResult | None
    sweep: ablation.ThresholdSweep | None
    findings: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)

    def facts(self) -> tuple[str, ...]:
        """The first difference of each experiment that ran, as headline facts."""
        out = [f for f in (_fact("labels", self.labels) if self.labels else None,
                           _fact("cleaning", self.cleaning) if self.cleaning else None) if f]
        return tuple(out)

    # ---- figures --------------------------------------------------------------------------
    def label_differences_figure(self) -> go.Figure | None:
        return None if self.labels is None else ablation_plots.differences(self.labels, "accuracy")

    def label_repeats_figure(self) -> go.Figure | None:
        return None if self.labels is None else ablation_plots.repeats(self.labels, "accuracy")

    def cleaning_figure(self) -> go.Figure | None:
        return None if self.cleaning is None else ablation_plots.differences(self.cleaning, "perplexity")

    def sweep_figure(self) -> go.Figure | None:
        return None if self.sweep is None else ablation_plots.sweep(self.sweep, "perplexity")

    # ---- words and tables -----------------------------------------------------------------
    def note(self, part: str) -> str | None:
        """Why the experiment ``part`` ("labels", "cleaning", "sweep") did not run, if it did not."""
        return self.notes.get(part)

    def labels_finding(self) -> str | None:
        return None if self.labels is None else "Finding. " + self.labels.summary()

    def cleaning_finding(self) -> str | None:
        return None if self.cleaning is None else "Finding. " + self.cleaning.summary()

    def sweep_finding(self) -> str | None:
        return None if self.sweep is None else "Finding. " + self.sweep.summary()

    def label_sets_table(self) -> pd.DataFrame | None:
        return None if self.label_sets is None else self.label_sets.to_frame()

    def summary(self) -> str:
        """The verdict, then each experiment's finding or why it did not run."""
        parts = [self.verdict.summary(), ""]
        if self.label_sets is not None:
            parts.append(self.label_sets.summary())
        parts += [self.labels_finding() or self.note("labels") or "", self.funnel.summary(), self.reference_note,
                  self.cleaning_finding() or self.note("cleaning") or "",
                  self.sweep_finding() or self.note("sweep") or "", self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """Estimates inside their CIs, equal budgets, metrics in range, no leak into perplexity."""
        items = []
        for name, res in (("labels", self.labels), ("cleaning", self.cleaning),
                          ("sweep", self.sweep.result if self.sweep is not None else None)):
            if res is None:
                continue
            d = res.differences
            inside = bool(((d["ci_low"] <= d["estimate"]) & (d["estimate"] <= d["ci_high"])).all())
            items.append(check(f"{name}: every estimate inside its CI", inside, f"{len(d)} differences"))
            budgets = res.table["n_train"].nunique()
            items.append(check(f"{name}: training sets got the same budget", budgets == 1,
                               f"{budgets} distinct budgets"))
        if self.labels is not None:
            acc = self.labels.table["accuracy"]
            items.append(check("accuracy in [0, 1]", bool(acc.between(0, 1).all()),
                               f"{acc.min():.4f}–{acc.max():.4f}"))
        if self.cleaning is not None:
            ppl = self.cleaning.table["perplexity"]
            items.append(check("perplexity above 1 (no reference leaked into training)", bool((ppl > 1).all()),
                               f"min {ppl.min():.3f}"))
        items.append(check("the cleaned corpus is a subset of the corpus",
                           len(self.funnel.cleaned) <= len(self.corpus),
                           f"{len(self.funnel.cleaned)} of {len(self.corpus)}"))
        return Checks.of(items)


def _verdict(labels: ablation.AblationResult | None, cleaning: ablation.AblationResult | None,
             sweep: ablation.ThresholdSweep | None, notes: dict[str, str]) -> Verdict:
    bullets: list[str] = []
    wins, losses = [], []
    for name, res in (("label aggregation", labels), ("corpus cleaning", cleaning)):
        if res is None:
            continue
        for row in res.differences.itertuples():
            if row.significant and row.better:
                wins.append(f"{row.set} ({name})")
            elif row.significant:
                losses.append(f"{row.set} ({name})")
        fact = _fact(name.capitalize(), res)
        if fact:
            bullets.append(fact + ".")
    if sweep is not None:
        bullets.append(sweep.summary().split(". ")[0] + ".")
    for part in ("labels", "cleaning", "sweep"):
        if part in notes and len(bullets) < 4:
            bullets.append(notes[part])
    wins, losses = list(dict.fromkeys(wins)), [x for x in dict.fromkeys(losses) if x not in wins]
    tone: Tone
    if labels is None and cleaning is None:
        outcome, head, tone = "not_run", "No experiment could run on these inputs.", "neutral"
    elif wins and not losses:
        outcome, head, tone = "pays_off", f"The intervention pays off: {', '.join(wins[:3])} beat the raw data.", "good"
    elif losses and not wins:
        outcome, head, tone = "hurts", f"The intervention hurts: {', '.join(losses[:3])} do worse than the raw data.", "bad"
    elif wins:
        outcome, head, tone = "mixed", (f"Mixed: {', '.join(wins[:2])} help, {', '.join(losses[:2])} hurt."), "warning"
    else:
        outcome, head, tone = "no_effect", "No significant downstream effect of the intervention at this budget.", "neutral"
    action = {"pays_off": "Action: apply the winning intervention to the training data.",
              "hurts": "Action: do not apply it; inspect what the cleaning removes.",
              "mixed": "Action: apply only the interventions that help.",
              "no_effect": "Action: more repeats or a larger test set can show a smaller effect; "
                           "the intervention is not shown to matter.",
              "not_run": "Action: pass texts_path and gold_path (labels) or a corpus and reference_path."}[outcome]
    return Verdict(outcome=outcome, headline=head, bullets=tuple([*bullets[:4], action]), tone=tone)


def run(
    corpus_path: str | os.PathLike[str],
    *,
    annotations_path: str | os.PathLike[str] | None = None,
    texts_path: str = "auto",
    gold_path: str = "auto",
    reference_path: str = "",
    min_gold_accuracy: float = DEFAULTS["min_gold_accuracy"],
    reference_docs: int = DEFAULTS["reference_docs"],
    language: str = DEFAULTS["language"],
    dedup_threshold: float = DEFAULTS["dedup_threshold"],
    sweep_metric: str = DEFAULTS["sweep_metric"],
    sweep_direction: Literal["max", "min"] = DEFAULTS["sweep_direction"],
    sweep_thresholds: list[float] = DEFAULTS["sweep_thresholds"],  # noqa: B006 - read only
    n_repeats: int = DEFAULTS["n_repeats"],
    seed: int = DEFAULTS["seed"],
    options: dict[str, Any] = DEFAULTS["options"],
) -> InterventionReport:
    """Run the three downstream experiments the inputs allow, and decide.

    Parameters
    ----------
    annotations_path, texts_path, gold_path
        Annotations, one text per item and a gold table; the label-aggregation experiment
        needs all three (``"auto"``: the sample companions only with the sample annotations).
    corpus_path, reference_path
        The corpus to clean and clean held-out reference text (``""``: generated sample text
        with the sample corpus only; else the cleaning experiments are skipped).
    min_gold_accuracy
        Annotators below this accuracy on gold are dropped for ``gold_filtered``.
    language, dedup_threshold
        The cleaning funnel's language and near-duplicate threshold.
    sweep_metric, sweep_direction, sweep_thresholds
        The text score swept and its thresholds.
    n_repeats, seed
        Fresh equal-budget subsamples per set, and the seed of subsampling and bootstrap.
    options
        Reader options of the annotations file, e.g. ``{"question": "sentiment"}`` (one question of a
        multi-question export or table; such a file is refused without it, with the list of its
        questions).
    """
    inputs = resolve_inputs("data_intervention_ab", annotations_path=str(annotations_path or ""),
                            texts_path=texts_path, gold_path=gold_path, corpus_path=str(corpus_path),
                            reference_path=reference_path)
    notes: dict[str, str] = {}
    label_sets = labels = None
    texts_file, gold_file, ann_file = (inputs.path("texts_path"), inputs.path("gold_path"),
                                       inputs.path("annotations_path"))
    if ann_file and texts_file and gold_file:
        annotations = io.load_table(ann_file, kind="annotations", options=options or None)
        texts = io.load_table(texts_file)
        gold = io.load_table(gold_file, kind="gold")
        label_sets = ablation.label_training_sets(annotations, texts, gold, min_gold_accuracy=min_gold_accuracy,
                                                  rng=seed)
        labels = ablation.compare_training_sets(label_sets.train_sets, label_sets.test, n_repeats=n_repeats,
                                                rng=seed)
    else:
        notes["labels"] = ("Label aggregation needs the items' texts (texts_path) and a gold table (gold_path) "
                           "beside the annotations; not all were given, so this experiment is skipped.")
    corpus_file = inputs.path("corpus_path")
    if corpus_file is None:
        raise WorkbenchError("data_intervention_ab: no corpus given; pass corpus_path (a corpus table doc_id, text).")
    corpus = io.load_table(corpus_file, kind="corpus")
    reference, reference_note = reference_corpus(inputs, n_docs=reference_docs, rng=seed + 1)
    funnel = ablation.clean_corpus(corpus, language=language, dedup_threshold=dedup_threshold, rng=seed)
    cleaning = sweep = None
    if reference is None:
        notes["cleaning"] = "No reference text was given (reference_path), so the corpus comparison is skipped."
        notes["sweep"] = "No reference text was given (reference_path), so the threshold sweep is skipped."
    else:
        if len(funnel.cleaned):
            cleaning = ablation.compare_training_sets({"raw": corpus, "cleaned": funnel.cleaned}, reference,
                                                      task="language_model", n_repeats=n_repeats, rng=seed)
        else:
            notes["cleaning"] = (f"The cleaning funnel removes every one of the {fmt_count(len(corpus))} documents, "
                                 "so there is no cleaned set to train on; the corpus comparison is skipped.")
        if sweep_metric not in funnel.scores.columns:
            have = ", ".join(c for c in funnel.scores.columns if c != "is_duplicate")
            notes["sweep"] = f"The threshold sweep needs a text score; {sweep_metric!r} is not one of {have}."
        else:
            try:
                sweep = ablation.threshold_sweep(corpus, funnel.scores[sweep_metric].to_numpy(), sweep_thresholds,
                                                 reference, task="language_model", direction=sweep_direction,
                                                 n_repeats=n_repeats, rng=seed)
            except WorkbenchError as exc:  # e.g. a threshold that keeps no document
                notes["sweep"] = f"The threshold sweep cannot run on this corpus: {exc}"
    verdict = _verdict(labels, cleaning, sweep, notes)
    return InterventionReport(
        verdict=verdict, inputs=inputs, label_sets=label_sets, labels=labels, corpus=corpus, funnel=funnel,
        reference_note=reference_note, cleaning=cleaning, sweep=sweep, findings=tuple(notes.values()), notes=notes,
    )
