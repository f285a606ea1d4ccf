"""The threshold-exploration report as one analysis: text scores, thresholds, the cleaning funnel, CLIP.

``run`` is what the ``threshold_exploration`` notebook calls, with the defaults declared once
(:data:`DEFAULTS`). ``workbench score text`` prints the parts it shares with the report
through the same functions: :func:`cleaning_funnel_of` (the funnel with its declared dedup
stage) and :func:`decision_line`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench import io
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import THRESHOLD_EXPLORATION
from workbench.plots import scoring as scoring_plots
from workbench.report_inputs import ReportInputs, resolve_inputs
from workbench.scoring import (
    DUPLICATE_COLUMNS,
    FunnelResult,
    Rule,
    ScoreCache,
    boundary_items,
    buckets,
    cleaning_funnel,
    decide,
    dedup_rules,
    default_rules,
    duplicate_flags,
    funnel_stages,
    keep_rate_sweep,
    rule_threshold,
    score_texts,
)

__all__ = ["DEFAULTS", "ThresholdExplorationReport", "cleaning_funnel_of", "decision_line", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = THRESHOLD_EXPLORATION

BAD_KINDS = ("word_salad", "spam", "non_english", "repetitive")
"""Planted kinds of the sample corpus that a filter should remove (for the sweep's truth)."""


def add_duplicate_flags(table: pd.DataFrame, *, threshold: float, doc_id: str = "doc_id",
                        text: str = "text") -> pd.DataFrame:
    """``table`` with the dedup stage's columns (MinHash clusters at ``threshold``)."""
    from workbench.dedup import find_duplicates

    clusters = find_duplicates(table[[doc_id, text]].rename(columns={doc_id: "doc_id", text: "text"}),
                               method="minhash", threshold=threshold)
    flags = duplicate_flags(clusters)
    return table.assign(**{c: flags[c].to_numpy() for c in DUPLICATE_COLUMNS})


def cleaning_funnel_of(table: pd.DataFrame, rules: list[Any], *, sample: int, seed: int) -> FunnelResult:
    """The staged cleaning funnel of ``table`` (scores + :func:`add_duplicate_flags`): the
    rules grouped into the funnel's declared stages, the dedup stage last."""
    return cleaning_funnel(table, funnel_stages([*rules, *dedup_rules()]), sample=sample, rng=seed)


def decision_line(decisions: pd.DataFrame, what: str = "the default rules") -> str:
    """``"Of N documents the default rules keep …, send … to review and drop …."``"""
    d = decisions["decision"]
    return (f"Of {len(d):,} documents {what} keep {(d == 'keep').mean():.1%}, send {(d == 'review').mean():.1%} "
            f"to review and drop {(d == 'drop').mean():.1%}.")


@dataclass(frozen=True)
class ThresholdExplorationReport:
    """Everything the threshold-exploration report shows, computed once (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    table: pd.DataFrame
    """The scored corpus with buckets, duplicate flags and the composite decisions."""
    rules: list[Any]
    sweep: pd.DataFrame
    fine_sweep: pd.DataFrame
    funnel: FunnelResult
    decisions: pd.DataFrame
    pairs: pd.DataFrame
    clip_sweep: pd.DataFrame | None
    cache: ScoreCache
    text_seconds: float
    clip_seconds: float | None
    findings: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    # ---- numbers and words ----------------------------------------------------------------
    @property
    def has_kind(self) -> bool:
        return "kind" in self.table

    @property
    def keep_rate_at_threshold(self) -> float:
        t = self.parameters["perplexity_threshold"]
        return float(self.sweep.loc[self.sweep["threshold"] == t, "keep_rate"].iloc[0])

    @property
    def data_line(self) -> str:
        return f"{fmt_count(len(self.table))} documents scored; score cache in {self.cache.directory}"

    def scored_line(self) -> str:
        return f"scored in {self.text_seconds:.1f} s. {self.cache.info().summary()}"

    def threshold_line(self) -> str:
        t = self.parameters["perplexity_threshold"]
        return f"At perplexity {t:,.0f} the filter keeps {self.keep_rate_at_threshold:.1%} of the documents."

    def decision_line(self) -> str:
        return decision_line(self.table)

    def median_line(self) -> str:
        t = self.parameters["perplexity_threshold"]
        return (f"Median perplexity: {self.table['perplexity'].median():,.1f}; the threshold {t:,.0f} keeps "
                f"{self.keep_rate_at_threshold:.1%}.")

    def flagged_line(self) -> str | None:
        if not self.has_kind:
            return None
        flagged = (self.table["decision"] != "keep").groupby(self.table["kind"]).mean()
        return "Share flagged (review or drop) by planted kind: " + ", ".join(f"{k} {v:.0%}" for k, v in flagged.items())

    def clip_lines(self) -> tuple[str, ...]:
        if not len(self.pairs):
            return ()
        out = []
        if "kind" in self.pairs:
            by_kind = self.pairs.groupby("kind")["clip_score"].median()
            out.append("Median CLIP score by planted kind: " + ", ".join(f"{k} {v:.3f}" for k, v in by_kind.items()))
        out.append(f"A CLIP threshold of {self.parameters['clip_threshold']} keeps "
                   f"{(self.pairs['decision'] == 'keep').mean():.1%} of the pairs.")
        return tuple(out)

    def clip_scored_line(self) -> str:
        if not len(self.pairs):
            return "No image-caption table given: CLIP scores skipped."
        return (f"{len(self.pairs):,} pairs scored in {self.clip_seconds:.1f} s; "
                f"{int(self.pairs['clip_score'].isna().sum())} without a score")

    # ---- tables ---------------------------------------------------------------------------
    def score_preview(self) -> pd.DataFrame:
        cols = [c for c in self.table.columns if c not in ("text", "decision", "reasons", *DUPLICATE_COLUMNS)]
        return self.table[cols].head()

    def boundary(self) -> pd.DataFrame:
        return boundary_items(self.table, "perplexity", self.parameters["perplexity_threshold"], n=3)[
            ["doc_id", "perplexity", "side", "text"]]

    def audit(self) -> pd.DataFrame:
        """The random few removed per funnel stage, with their text."""
        return self.funnel.samples.merge(self.table[["text"]], left_on="item", right_index=True)

    def kind_crosstab(self) -> pd.DataFrame | None:
        return pd.crosstab(self.table["kind"], self.table["decision"]) if self.has_kind else None

    def flagged_examples(self) -> pd.DataFrame:
        return self.table.loc[self.table["decision"] != "keep", ["doc_id", "decision", "reasons"]].head(10)

    def clip_crosstab(self) -> pd.DataFrame | None:
        if not len(self.pairs) or "kind" not in self.pairs:
            return None
        return pd.crosstab(self.pairs["kind"], self.pairs["decision"])

    # ---- figures and widgets --------------------------------------------------------------
    def distribution_figures(self) -> tuple[go.Figure, ...]:
        t, p = self.table, self.parameters["perplexity_threshold"]
        kind = "kind" if self.has_kind else None
        return (
            scoring_plots.score_histogram(t, "perplexity", color="source" if "source" in t else None, threshold=p,
                                          log_x=True),
            scoring_plots.score_ecdf(t, "perplexity", color="language", threshold=p, log_x=True),
            scoring_plots.score_histogram(t, "top_4gram_char_fraction", color=kind,
                                          threshold=rule_threshold(self.rules, "top_4gram_char_fraction")),
            scoring_plots.score_histogram(t, "n_words", color=kind, threshold=rule_threshold(self.rules, "n_words", "min")),
        )

    def explorer(self) -> Any:
        """The interactive threshold explorer on perplexity (a static view in an HTML report)."""
        return scoring_plots.threshold_explorer(self.table, "perplexity", direction="max",
                                                threshold=self.parameters["perplexity_threshold"], log=True, text="text")

    def sweep_figure(self) -> go.Figure:
        return scoring_plots.sweep_figure(self.fine_sweep, metric="perplexity",
                                          threshold=self.parameters["perplexity_threshold"], log_x=True)

    def funnel_figure(self) -> go.Figure:
        return scoring_plots.funnel_figure(self.funnel.counts)

    def decision_figure(self) -> go.Figure:
        return scoring_plots.decision_bars(self.decisions, by=self.table["kind"] if self.has_kind else None,
                                           title="Decisions by planted kind")

    def clip_figures(self) -> tuple[go.Figure, ...]:
        if not len(self.pairs) or self.clip_sweep is None:
            return ()
        t = self.parameters["clip_threshold"]
        return (scoring_plots.score_histogram(self.pairs, "clip_score", color="kind" if "kind" in self.pairs else None,
                                              threshold=t),
                scoring_plots.sweep_figure(self.clip_sweep, metric="clip_score", threshold=t))

    def clip_explorer(self) -> Any:
        if not len(self.pairs):
            return None
        return scoring_plots.threshold_explorer(self.pairs, "clip_score", direction="min",
                                                threshold=self.parameters["clip_threshold"], text="caption",
                                                image="image", image_base=self.parameters["captions_dir"])

    # ---- the whole ------------------------------------------------------------------------
    def conclusions(self) -> tuple[str, ...]:
        return tuple(x for x in (self.decision_line(), self.median_line(), self.flagged_line(), *self.clip_lines(),
                                 self.cache.info().summary()) if x)

    def summary(self) -> str:
        parts = [self.verdict.summary(), "", self.data_line, self.funnel.summary(), self.threshold_line(),
                 *self.conclusions(), *self.findings, self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """The report's invariants (the old sanity-check cell)."""
        t = self.table
        ppl = t["perplexity"].dropna()
        stayed = int(self.funnel.decisions["stage"].isna().sum())
        items = [
            check("perplexity >= 1", bool((ppl >= 1).all()), f"min {ppl.min() if len(ppl) else float('nan'):.3g}"),
            check("at least 90% of the documents have a perplexity", t["perplexity"].notna().sum() >= 0.9 * len(t),
                  f"{int(t['perplexity'].notna().sum())} of {len(t)}"),
            check("decisions are keep, review or drop", bool(t["decision"].isin(["keep", "review", "drop"]).all())),
            check("funnel counts agree with its per-item decisions",
                  int(self.funnel.counts["remaining"].iloc[-1]) == stayed,
                  f"{int(self.funnel.counts['remaining'].iloc[-1])} vs {stayed}"),
        ]
        if self.has_kind:
            fluent = t["kind"].isin(["clean", "near_duplicate"]) & t["perplexity"].notna()
            salad = t["kind"].eq("word_salad") & t["perplexity"].notna()
            if fluent.any() and salad.any():
                a, b = t.loc[fluent, "perplexity"].median(), t.loc[salad, "perplexity"].median()
                items.append(check("fluent text has lower perplexity than word salad", a < b, f"{a:.1f} vs {b:.1f}"))
            kept_clean = (t.loc[t["kind"].eq("clean"), "decision"] == "keep").mean()
            items.append(check("the default rules keep at least 80% of clean text", kept_clean >= 0.8,
                               f"{kept_clean:.1%}"))
        if len(self.pairs) and "kind" in self.pairs:
            med = self.pairs.groupby("kind")["clip_score"].median()
            if "mismatched" in med and "correct" in med:
                items.append(check("matching captions score above mismatching ones",
                                   med["correct"] > med["mismatched"],
                                   f"{med['correct']:.3f} vs {med['mismatched']:.3f}"))
        return Checks.of(items)


def _verdict(r: ThresholdExplorationReport) -> Verdict:
    t, p = r.table, r.parameters
    keep = (t["decision"] == "keep").mean()
    head = f"default rules keep {keep:.1%} of {len(t):,} documents; perplexity {p['perplexity_threshold']:,.0f} keeps " \
           f"{r.keep_rate_at_threshold:.1%}"
    if len(r.pairs):
        head += f"; CLIP {p['clip_threshold']:g} keeps {(r.pairs['decision'] == 'keep').mean():.1%} of {len(r.pairs):,} pairs"
    counts = r.funnel.counts
    bullets = [r.decision_line(),
               "Funnel: " + ", ".join(f"{s} removes {int(n):,}" for s, n in zip(counts["stage"], counts["removed"],
                                                                                 strict=True))
               + f"; {int(counts['remaining'].iloc[-1]):,} remain.",
               r.median_line()]
    if r.flagged_line():
        bullets.append(str(r.flagged_line()))
    clean_ok = True
    if r.has_kind:
        clean_ok = (t.loc[t["kind"].eq("clean"), "decision"] == "keep").mean() >= 0.8
    tone: Tone = "neutral" if clean_ok else "warning"
    if not clean_ok:
        bullets.append("Action: the rules drop too much clean text; loosen the heuristics before using them.")
    return Verdict(outcome="thresholds" if clean_ok else "too_strict", headline=head, bullets=tuple(bullets[:5]),
                   tone=tone)


def run(
    corpus: pd.DataFrame | None = None,
    *,
    corpus_path: str | os.PathLike[str] | None = None,
    captions_path: str = "auto",
    corpus_truth_path: str = "auto",
    captions_truth_path: str = "auto",
    cache_dir: str = DEFAULTS["cache_dir"],
    n_docs: int = DEFAULTS["n_docs"],
    n_pairs: int = DEFAULTS["n_pairs"],
    perplexity_model: str = DEFAULTS["perplexity_model"],
    perplexity_threshold: float = DEFAULTS["perplexity_threshold"],
    clip_model: str = DEFAULTS["clip_model"],
    clip_threshold: float = DEFAULTS["clip_threshold"],
    language: str = DEFAULTS["language"],
    dedup_threshold: float = DEFAULTS["dedup_threshold"],
    audit_samples: int = DEFAULTS["audit_samples"],
    seed: int = DEFAULTS["seed"],
    options: dict[str, Any] = DEFAULTS["options"],
) -> ThresholdExplorationReport:
    """Score a corpus (and image–caption pairs), sweep thresholds, run the funnel and decide.

    A frame ``corpus`` (doc_id, text; optional source, kind) is scored as given (no subset, no
    CLIP); ``corpus_path`` reads the files as the notebook does; ``options`` are the reader
    options of the corpus file, e.g. ``{"question": "sentiment"}`` (one question of a
    multi-question table; such a file is refused without it, with the list of its questions).
    """
    rng = np.random.default_rng(seed)
    cache = ScoreCache(cache_dir or None)
    inputs: ReportInputs | None = None
    captions_file: str | None = None
    if corpus_path is not None:
        inputs = resolve_inputs("threshold_exploration", corpus_path=str(corpus_path),
                                corpus_truth_path=corpus_truth_path, captions_path=captions_path,
                                captions_truth_path=captions_truth_path)
        table = io.load_table(inputs.path("corpus_path"), kind="corpus",  # type: ignore[arg-type]
                              options=options or None)
        if n_docs and n_docs < len(table):
            table = table.iloc[np.sort(rng.choice(len(table), size=n_docs, replace=False))].reset_index(drop=True)
        if inputs.path("corpus_truth_path"):
            table = io.attach_truth(table, inputs.path("corpus_truth_path"), key="doc_id")  # type: ignore[arg-type]
        captions_file = inputs.path("captions_path")
    elif corpus is not None:
        table = corpus.reset_index(drop=True)
    else:
        from workbench.errors import WorkbenchError

        raise WorkbenchError("threshold_exploration: pass a corpus table or corpus_path.")
    rules = default_rules(language=language, perplexity_threshold=perplexity_threshold)
    t0 = time.perf_counter()
    with _quiet_model_loading():  # the verdict, not a "Loading weights" bar, opens the report
        scores = score_texts(table["text"], model=perplexity_model or None, language=language, cache=cache,
                             device="auto")
    text_seconds = time.perf_counter() - t0
    table = pd.concat([table, scores], axis=1)
    table["bucket"] = buckets(table, metric="perplexity", by="language")
    should_go = table["kind"].isin(list(BAD_KINDS)) if "kind" in table else None
    sweep = keep_rate_sweep(table, "perplexity", direction="max",
                            thresholds=[25, 50, 100, 200, perplexity_threshold, 500, 1000, 2000], flagged_truth=should_go)
    fine = keep_rate_sweep(table, "perplexity", direction="max", n=41, flagged_truth=should_go)
    table = add_duplicate_flags(table, threshold=dedup_threshold)
    funnel = cleaning_funnel_of(table, rules, sample=audit_samples, seed=seed)
    decisions = decide(table, [*rules, *dedup_rules()])
    table = table.join(decisions)
    pairs, clip_sweep, clip_seconds = _clip(captions_file, inputs, n_pairs=n_pairs, rng=rng, model=clip_model,
                                            cache=cache, threshold=clip_threshold)
    params = {"perplexity_threshold": perplexity_threshold, "clip_threshold": clip_threshold, "language": language,
              "dedup_threshold": dedup_threshold, "audit_samples": audit_samples, "seed": seed, "n_docs": n_docs,
              "n_pairs": n_pairs, "captions_dir": str(Path(captions_file).parent) if captions_file else None}
    report = ThresholdExplorationReport(
        verdict=Verdict("pending", "pending"), inputs=inputs, table=table, rules=rules, sweep=sweep, fine_sweep=fine,
        funnel=funnel, decisions=decisions, pairs=pairs, clip_sweep=clip_sweep, cache=cache,
        text_seconds=text_seconds, clip_seconds=clip_seconds, parameters=params,
    )
    object.__setattr__(report, "verdict", _verdict(report))
    return report


@contextlib.contextmanager
def _quiet_model_loading() -> Iterator[None]:
    """No transformers progress bar while a model loads; the previous setting comes back."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover - transformers is a dependency
        yield
        return
    was = hf_logging.is_progress_bar_enabled()
    env = os.environ.get("TQDM_DISABLE")
    hf_logging.disable_progress_bar()
    os.environ["TQDM_DISABLE"] = "1"  # the weight-loading bar of recent transformers is a plain tqdm
    try:
        yield
    finally:
        if was:
            hf_logging.enable_progress_bar()
        if env is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = env


def _clip(captions_file: str | None, inputs: ReportInputs | None, *, n_pairs: int, rng: np.random.Generator,
          model: str, cache: ScoreCache, threshold: float) -> tuple[pd.DataFrame, pd.DataFrame | None, float | None]:
    if not captions_file or inputs is None:
        return pd.DataFrame(), None, None
    from workbench.scoring.clip import clip_score_table

    pairs = io.load_table(captions_file, kind="image_captions")
    if n_pairs and n_pairs < len(pairs):
        pairs = pairs.iloc[np.sort(rng.choice(len(pairs), size=n_pairs, replace=False))].reset_index(drop=True)
    if inputs.path("captions_truth_path"):
        pairs = io.attach_truth(pairs, inputs.path("captions_truth_path"), key="pair_id")  # type: ignore[arg-type]
    t0 = time.perf_counter()
    with _quiet_model_loading():
        pairs = clip_score_table(pairs, base_dir=Path(captions_file).parent, model=model or None, cache=cache)
    seconds = time.perf_counter() - t0
    clip_sweep = keep_rate_sweep(pairs, "clip_score", direction="min", n=11,
                                 flagged_truth=pairs["kind"].eq("mismatched") if "kind" in pairs else None)
    pairs = pairs.join(decide(pairs, [Rule("clip_score", "min", threshold=threshold)]))
    return pairs, clip_sweep, seconds
