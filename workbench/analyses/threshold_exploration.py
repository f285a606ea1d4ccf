"""The threshold-exploration report as one analysis: text scores, thresholds, the cleaning funnel, CLIP.

With an image–caption table it adds the image-caption view (issue 31): the CLIP score
distribution with its threshold, the lowest-scoring pairs as thumbnails, caption spam
heuristics (:func:`workbench.scoring.spam_stats` beside ``text_stats``' repeated word pairs),
duplicate images (:func:`workbench.dedup.deduplicate_images`) as thumbnail strips, and seeded
random grids of the kept and the dropped pairs — thumbnails embedded, so the report stays one file.

``run`` is what the ``threshold_exploration`` notebook calls, with the defaults declared once
(:data:`DEFAULTS`). ``workbench score text`` prints the parts it shares with the report
through the same functions: :func:`cleaning_funnel_of` (the funnel with its declared dedup
stage) and :func:`decision_line`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench import io
from workbench._internal.escape import escape_html
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import THRESHOLD_EXPLORATION
from workbench.errors import WorkbenchError
from workbench.plots import images as image_plots
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
    spam_stats,
    text_stats,
)

if TYPE_CHECKING:  # pragma: no cover
    from workbench.dedup.images import ImageDedupResult

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
    image_dedup: ImageDedupResult | None = None
    """Duplicate images among the scored pairs (``None`` without an image–caption table)."""

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
        """The first documents with the scores the rules read (not every column of the score table)."""
        cols = [c for c in ("doc_id", "source", "kind", "language", "perplexity", "n_words", "mean_word_length",
                            "top_4gram_char_fraction", "duplicate_line_fraction", "stop_word_count", "bucket")
                if c in self.table.columns]
        return self.table[cols].head()

    def boundary(self) -> pd.DataFrame:
        """The documents nearest the perplexity threshold on each side, texts cut to 300 characters."""
        near = boundary_items(self.table, "perplexity", self.parameters["perplexity_threshold"], n=3)
        return near.assign(text=_cut(near["text"]))[["doc_id", "perplexity", "side", "text"]].reset_index(drop=True)

    def audit(self) -> pd.DataFrame:
        """The random few removed per funnel stage, with their text (cut to 300 characters)."""
        audit = self.funnel.samples.merge(self.table[["text"]], left_on="item", right_index=True)
        return audit.assign(text=_cut(audit["text"]))

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
                                           title="Decisions by planted kind" if self.has_kind else "Decisions")

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

    # ---- the image-caption view (issue 31) -------------------------------------------------
    @property
    def has_images(self) -> bool:
        """Whether the report has image–caption pairs to show (else the view does not appear)."""
        return bool(len(self.pairs)) and "image" in self.pairs

    def _grid(self, rows: pd.DataFrame, *, title: str, empty: str, notes: tuple[str, ...]) -> image_plots.HtmlBlock:
        return image_plots.thumbnail_grid(rows, label="pair_id", notes=[n for n in notes if n in rows], title=title,
                                          empty=empty, base=self.parameters["captions_dir"],
                                          allow_outside=self.parameters["allow_outside"])

    def pairs_line(self) -> str | None:
        """How many pairs each filter drops and how many stay."""
        if not self.has_images:
            return None
        p, n = self.pairs, len(self.pairs)
        clip = int((p["decision"] != "keep").sum())
        return (f"Of {n:,} image–caption pairs, CLIP below {self.parameters['clip_threshold']:g} drops {clip:,}, the "
                f"caption spam heuristics flag {int(p['caption_spam'].sum()):,} and {int(p['image_duplicate'].sum()):,} "
                f"repeat a kept picture ({self.parameters['image_dedup_method']}); {int(p['kept'].sum()):,} "
                f"({p['kept'].mean():.1%}) pass all three.")

    def lowest_clip_grid(self) -> image_plots.HtmlBlock | None:
        """The lowest-scoring pairs as thumbnails with their captions (mismatched captions sit here)."""
        if not self.has_images:
            return None
        k = self.parameters["n_thumbnails"]
        low = self.pairs.dropna(subset=["clip_score"]).nsmallest(k, "clip_score")
        return self._grid(low, title="", empty="No pair has a CLIP score.", notes=("clip_score", "kind"))

    def spam_line(self) -> str | None:
        if not self.has_images:
            return None
        p = self.pairs
        limits = self.parameters["caption_spam_max"]
        parts = ", ".join(f"{c} > {v:g}: {int((p[c] > v).sum()):,}" for c, v in limits.items())
        return (f"Caption spam heuristics flag {int(p['caption_spam'].sum()):,} of {len(p):,} captions ({parts}); "
                "links, advertising/SEO phrases and repeated words, with the limits of caption_spam_max.")

    def spam_examples(self) -> pd.DataFrame | None:
        """The flagged captions with the signals that flagged them (the first ``n_thumbnails``)."""
        if not self.has_images:
            return None
        cols = ["pair_id", "caption", *self.parameters["caption_spam_max"], "spam_reasons"]
        cols += ["kind"] if "kind" in self.pairs else []
        flagged = self.pairs.loc[self.pairs["caption_spam"], cols].head(self.parameters["n_thumbnails"])
        return flagged.rename(columns={"spam_reasons": "flagged by"}).reset_index(drop=True)

    def spam_crosstab(self) -> pd.DataFrame | None:
        if not self.has_images or "kind" not in self.pairs:
            return None
        return pd.crosstab(self.pairs["kind"].rename("planted kind"),
                           self.pairs["caption_spam"].map({True: "flagged as spam", False: "not flagged"}).rename(""))

    def image_dedup_line(self) -> str | None:
        return self.image_dedup.summary() if self.image_dedup is not None else None

    def image_dedup_truth_line(self) -> str | None:
        """Precision of the duplicate pairs found and recall per planted kind (with the sample's truth)."""
        if self.image_dedup is None or "duplicate_of" not in self.pairs:
            return None
        p = self.pairs
        root = p["duplicate_of"].fillna(p["pair_id"]).astype(str)
        root_of = dict(zip(p["pair_id"].astype(str), root, strict=True))
        found = p[p["image_duplicate"]]
        same = [root_of[a] == root_of.get(str(b), "") for a, b in zip(found["pair_id"].astype(str), found["kept_pair"],
                                                                        strict=True)]
        cluster = dict(zip(p["pair_id"].astype(str), self.image_dedup.frame["cluster"], strict=True))
        copies = p[p["duplicate_of"].notna() & p["duplicate_of"].astype(str).isin(cluster)]
        hit = copies["pair_id"].astype(str).map(cluster) == copies["duplicate_of"].astype(str).map(cluster)
        recall = hit.groupby(copies["kind"]).agg(["mean", "size"])
        per_kind = ", ".join(f"{k} {m:.0%} of {int(n)}" for k, (m, n) in recall.iterrows())
        precision = f"{np.mean(same):.0%}" if same else "—"
        return (f"Against the planted truth: {sum(same)} of {len(same)} images marked as repeats share a source "
                f"picture with the one kept (precision {precision}); planted copies whose source is among the "
                f"pairs found: {per_kind or 'none in this subset'}.")

    def duplicate_strips(self) -> image_plots.HtmlBlock | None:
        """The largest duplicate clusters (up to ``n_thumbnails``) as strips: kept image first."""
        if self.image_dedup is None:
            return None
        f = self.image_dedup.frame.assign(caption=self.pairs["caption"].to_numpy())
        multi = f[f["cluster_size"] > 1]
        order = (multi.drop_duplicates("cluster").sort_values(["cluster_size", "cluster"], ascending=[False, True])
                 ["cluster"].head(self.parameters["n_thumbnails"]))
        shown = multi[multi["cluster"].isin(order)].set_index("cluster").loc[order].reset_index()
        return image_plots.cluster_strips(
            shown, label="pair_id", base=self.parameters["captions_dir"], allow_outside=self.parameters["allow_outside"],
            title=f"{len(order)} of {multi['cluster'].nunique():,} duplicate clusters, largest first",
        )

    def image_dedup_crosstab(self) -> pd.DataFrame | None:
        """Planted kind against the image-dedup verdict (with the sample's truth)."""
        if not self.has_images or "kind" not in self.pairs:
            return None
        return pd.crosstab(self.pairs["kind"].rename("planted kind"), self.pairs["image_duplicate"].map(
            {True: "repeats a kept picture", False: "kept by image dedup"}).rename(""))

    def _sample(self, rows: pd.DataFrame) -> pd.DataFrame:
        k = min(self.parameters["n_thumbnails"], len(rows))
        pick = np.random.default_rng(self.parameters["seed"]).choice(len(rows), size=k, replace=False) if k else []
        return rows.iloc[np.sort(np.asarray(pick, dtype=int))]

    def kept_grid(self) -> image_plots.HtmlBlock | None:
        """A seeded random sample of the kept pairs: look at what the filters let through."""
        if not self.has_images:
            return None
        rows = self._sample(self.pairs[self.pairs["kept"]])
        return self._grid(rows, title=f"{len(rows)} kept pairs drawn at random (seed {self.parameters['seed']})",
                          empty="No pair is kept.", notes=("clip_score", "kind"))

    def dropped_grid(self) -> image_plots.HtmlBlock | None:
        """A seeded random sample of the dropped pairs, each with why it was dropped."""
        if not self.has_images:
            return None
        rows = self._sample(self.pairs[~self.pairs["kept"]])
        return self._grid(rows, title=f"{len(rows)} dropped pairs drawn at random (seed {self.parameters['seed']})",
                          empty="No pair is dropped.", notes=("dropped_by", "clip_score", "kind"))

    def image_caption_view(self) -> tuple[Any, ...]:
        """Everything the image-caption view shows, in order; empty without images (no section)."""
        if not self.has_images:
            return ()

        def heading(text: str, level: int = 3) -> image_plots.HtmlBlock:
            return image_plots.HtmlBlock(f"<h{level}>{escape_html(text)}</h{level}>")

        return (heading("Image–caption pairs: mismatches, spam, duplicates and what is kept", 2), self.pairs_line(),
                heading(f"The {min(self.parameters['n_thumbnails'], len(self.pairs))} lowest CLIP scores"),
                self.lowest_clip_grid(),
                heading("Caption spam"), self.spam_line(), self.spam_examples(), self.spam_crosstab(),
                heading("Duplicate images"), self.image_dedup_line(), self.image_dedup_truth_line(),
                self.duplicate_strips(),
                self.image_dedup_crosstab(),
                heading("A look at what is kept and what is dropped"), self.kept_grid(), self.dropped_grid())

    # ---- the whole ------------------------------------------------------------------------
    def conclusions(self) -> tuple[str, ...]:
        return tuple(x for x in (self.decision_line(), self.median_line(), self.flagged_line(), *self.clip_lines(),
                                 self.pairs_line(), self.cache.info().summary()) if x)

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
        if self.image_dedup is not None:
            v = self.image_dedup.pairs["verified"]
            items.append(check("every duplicate-image pair is verified by its distance", bool(v.all()),
                               f"{int(v.sum())} of {len(v)}"))
            kept = self.pairs["kept"]
            items.append(check("kept pairs pass CLIP, spam and duplicate filters",
                               bool(((self.pairs["decision"] == "keep") & ~self.pairs["caption_spam"]
                                     & ~self.pairs["image_duplicate"]).eq(kept).all())))
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
               + f"; {int(counts['remaining'].iloc[-1]):,} remain."]
    if r.pairs_line():
        bullets.append(str(r.pairs_line()))
    if r.flagged_line():
        bullets.append(str(r.flagged_line()))
    bullets.append(r.median_line())
    clean_ok = True
    if r.has_kind:
        clean_ok = (t.loc[t["kind"].eq("clean"), "decision"] == "keep").mean() >= 0.8
    tone: Tone = "neutral" if clean_ok else "warning"
    if not clean_ok:
        bullets.insert(0, "Action: the rules drop too much clean text; loosen the heuristics before using them.")
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
    pair_id_column: str = DEFAULTS["pair_id_column"],
    image_column: str = DEFAULTS["image_column"],
    caption_column: str = DEFAULTS["caption_column"],
    caption_spam_max: dict[str, float] = DEFAULTS["caption_spam_max"],
    image_dedup_method: str = DEFAULTS["image_dedup_method"],
    image_dedup_threshold: float = DEFAULTS["image_dedup_threshold"],
    n_thumbnails: int = DEFAULTS["n_thumbnails"],
    allow_outside: bool = False,
) -> ThresholdExplorationReport:
    """Score a corpus (and image–caption pairs), sweep thresholds, run the funnel and decide.

    A frame ``corpus`` (doc_id, text; optional source, kind) is scored as given (no subset, no
    CLIP); ``corpus_path`` reads the files as the notebook does; ``options`` are the reader
    options of the corpus file, e.g. ``{"question": "sentiment"}`` (one question of a
    multi-question table; such a file is refused without it, with the list of its questions).

    The image–caption table's columns are ``pair_id_column``, ``image_column`` and
    ``caption_column``; captions above a limit of ``caption_spam_max`` (``url_count``,
    ``seo_term_count``, ``repeated_word_fraction``, ``top_2gram_char_fraction``) are spam;
    ``image_dedup_method`` / ``image_dedup_threshold`` (``-1``: the method's default) find
    duplicate images; ``n_thumbnails`` pictures per grid.
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
        raise WorkbenchError("threshold_exploration: pass a corpus table or corpus_path.")
    spam_limits = _check_spam_limits(caption_spam_max)
    _check_image_dedup(image_dedup_method, image_dedup_threshold)
    if not isinstance(n_thumbnails, int) or n_thumbnails < 0:
        raise WorkbenchError(f"threshold_exploration: n_thumbnails={n_thumbnails!r} must be a whole number >= 0 "
                             "(pictures per grid; 12 is the default).")
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
    columns = {"pair_id": pair_id_column, "image": image_column, "caption": caption_column}
    pairs, clip_sweep, clip_seconds = _clip(captions_file, inputs, n_pairs=n_pairs, rng=rng, model=clip_model,
                                            cache=cache, threshold=clip_threshold, columns=columns,
                                            allow_outside=allow_outside)
    image_dedup = None
    if len(pairs):
        pairs, image_dedup = _image_caption_filters(
            pairs, spam_limits=spam_limits, method=image_dedup_method, base_dir=Path(str(captions_file)).parent,
            threshold=None if image_dedup_threshold < 0 else image_dedup_threshold, clip_threshold=clip_threshold,
            model=clip_model, cache=cache, allow_outside=allow_outside)
    params = {"perplexity_threshold": perplexity_threshold, "clip_threshold": clip_threshold, "language": language,
              "dedup_threshold": dedup_threshold, "audit_samples": audit_samples, "seed": seed, "n_docs": n_docs,
              "n_pairs": n_pairs, "captions_dir": str(Path(captions_file).parent) if captions_file else None,
              "caption_spam_max": spam_limits, "image_dedup_method": image_dedup_method, "n_thumbnails": n_thumbnails,
              "allow_outside": allow_outside}
    report = ThresholdExplorationReport(
        verdict=Verdict("pending", "pending"), inputs=inputs, table=table, rules=rules, sweep=sweep, fine_sweep=fine,
        funnel=funnel, decisions=decisions, pairs=pairs, clip_sweep=clip_sweep, cache=cache,
        text_seconds=text_seconds, clip_seconds=clip_seconds, parameters=params, image_dedup=image_dedup,
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
    # the GGUF loader's bar is tqdm.auto imported at module level (a widget in a notebook, above the
    # verdict), and tqdm reads TQDM_DISABLE only when it is imported: switch that bar off by name
    patched: list[tuple[Any, Any]] = []
    with contextlib.suppress(Exception):
        import importlib

        gguf_utils = importlib.import_module("transformers.modeling_gguf_pytorch_utils")
        if callable(getattr(gguf_utils, "tqdm", None)):
            bar = gguf_utils.tqdm
            patched.append((gguf_utils, bar))
            gguf_utils.tqdm = functools.partial(bar, disable=True)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module, original in patched:
            module.tqdm = original
        if was:
            hf_logging.enable_progress_bar()
        if env is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = env


def _clip(captions_file: str | None, inputs: ReportInputs | None, *, n_pairs: int, rng: np.random.Generator,
          model: str, cache: ScoreCache, threshold: float, columns: dict[str, str],
          allow_outside: bool) -> tuple[pd.DataFrame, pd.DataFrame | None, float | None]:
    if not captions_file or inputs is None:
        return pd.DataFrame(), None, None
    from workbench.scoring.clip import clip_score_table

    renamed = {k: v for k, v in columns.items() if k != v}
    pairs = io.load_table(captions_file, kind="image_captions", columns=renamed or None)
    if n_pairs and n_pairs < len(pairs):
        pairs = pairs.iloc[np.sort(rng.choice(len(pairs), size=n_pairs, replace=False))].reset_index(drop=True)
    if inputs.path("captions_truth_path"):
        truth_file = str(inputs.path("captions_truth_path"))
        truth_cols = tuple(c for c in ("kind", "duplicate_of") if c in pd.read_csv(truth_file, nrows=0).columns)
        pairs = io.attach_truth(pairs, truth_file, key="pair_id", columns=truth_cols)
    t0 = time.perf_counter()
    with _quiet_model_loading():
        pairs = clip_score_table(pairs, base_dir=Path(captions_file).parent, model=model or None, cache=cache,
                                 allow_outside=allow_outside)
    seconds = time.perf_counter() - t0
    clip_sweep = keep_rate_sweep(pairs, "clip_score", direction="min", n=11,
                                 flagged_truth=pairs["kind"].eq("mismatched") if "kind" in pairs else None)
    pairs = pairs.join(decide(pairs, [Rule("clip_score", "min", threshold=threshold)]))
    return pairs, clip_sweep, seconds


def _cut(text: pd.Series, limit: int = 300) -> pd.Series:
    """Texts cut to ``limit`` characters (an ellipsis marks a cut) for tables a person reads."""
    t = text.astype(str)
    return t.where(t.str.len() <= limit, t.str.slice(0, limit - 1) + "…")


#: The caption signals a ``caption_spam_max`` limit may name.
SPAM_SIGNALS: tuple[str, ...] = ("url_count", "seo_term_count", "repeated_word_fraction", "top_2gram_char_fraction")


def _check_spam_limits(limits: Any) -> dict[str, float]:
    if not isinstance(limits, dict) or not limits:
        raise WorkbenchError(f"threshold_exploration: caption_spam_max={limits!r} must map caption signals to their "
                             f"largest allowed value, e.g. {DEFAULTS['caption_spam_max']}.")
    unknown = sorted(set(map(str, limits)) - set(SPAM_SIGNALS))
    bad = [k for k, v in limits.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v]
    if unknown or bad:
        raise WorkbenchError(f"threshold_exploration: caption_spam_max has unknown signal(s) {unknown} or non-numeric "
                             f"limit(s) {bad}; the signals are {', '.join(SPAM_SIGNALS)}, each with a number.")
    return {str(k): float(v) for k, v in limits.items()}


def _check_image_dedup(method: str, threshold: float) -> None:
    """The image dedup parameters checked before any scoring, named as the report names them."""
    from workbench.dedup.images import IMAGE_METHODS, check_image_threshold

    if method not in IMAGE_METHODS:
        raise WorkbenchError(f"threshold_exploration: image_dedup_method={method!r} is not one of "
                             f"{', '.join(IMAGE_METHODS)}.")
    try:
        check_image_threshold(method, None if threshold < 0 else threshold)
    except WorkbenchError as exc:
        raise WorkbenchError(f"threshold_exploration: image_dedup_threshold — {exc} (-1 means the method's "
                             "default).") from exc


def _image_caption_filters(
    pairs: pd.DataFrame, *, spam_limits: dict[str, float], method: str, threshold: float | None, base_dir: Path,
    clip_threshold: float, model: str, cache: ScoreCache, allow_outside: bool,
) -> tuple[pd.DataFrame, ImageDedupResult]:
    """The pairs with caption spam signals and flags, duplicate images, and the combined ``kept``."""
    from workbench.dedup.images import deduplicate_images

    captions = pairs["caption"].astype("string")
    signals = pd.concat([spam_stats(captions), text_stats(captions)[["top_2gram_char_fraction"]]], axis=1)
    spam = decide(signals, [Rule(c, "max", threshold=v) for c, v in spam_limits.items()])
    with _quiet_model_loading():
        dups = deduplicate_images(pairs, method=method, threshold=threshold, base_dir=base_dir,  # type: ignore[arg-type]
                                  allow_outside=allow_outside, model=model or None, cache=cache)
    out = pairs.assign(**{c: signals[c].to_numpy() for c in spam_limits})
    out["caption_spam"] = (spam["decision"] != "keep").to_numpy()
    out["spam_reasons"] = spam["reasons"].to_numpy()
    out["image_duplicate"] = ~dups.frame["kept"].to_numpy()
    kept_id = dups.frame.loc[dups.frame["kept"]].set_index("cluster")["pair_id"]
    out["kept_pair"] = dups.frame["cluster"].map(kept_id).to_numpy()
    out["kept"] = (out["decision"] == "keep") & ~out["caption_spam"] & ~out["image_duplicate"]
    why = pd.DataFrame({
        "clip": np.where(out["decision"] != "keep", f"CLIP < {clip_threshold:g}", ""),
        "spam": np.where(out["caption_spam"], "spam (" + out["spam_reasons"].astype(str) + ")", ""),
        "dup": np.where(out["image_duplicate"], "repeats the picture of " + out["kept_pair"].astype(str), ""),
    })
    out["dropped_by"] = why.apply(lambda r: "; ".join(x for x in r if x), axis=1)
    return out, dups
