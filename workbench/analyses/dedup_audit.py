"""The dedup-audit report as one analysis: clusters, rates per group, the threshold, methods compared.

``run`` is what the ``dedup_audit`` notebook and ``workbench dedup`` (local engine) both call,
with the defaults declared once (:data:`DEFAULTS`); the notebook shows the result, the CLI
prints its ``summary()`` and writes the cluster columns of every row.

Examples
--------
>>> import pandas as pd
>>> corpus = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "text": [
...     "the quick brown fox jumps over the lazy dog today", "the quick brown fox jumps over the lazy dog today",
...     "a completely different sentence about other things", "yet another unrelated line of words here"]})
>>> result = run(corpus, ngram=2)
>>> result.verdict.outcome, result.n_kept, result.checks().ok
('duplicates', 3, True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from workbench import dedup, io
from workbench._internal.escape import escape_html
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import DEDUP_AUDIT
from workbench.errors import WorkbenchError
from workbench.plots import dedup as dedup_plots
from workbench.report_inputs import ReportInputs, resolve_inputs

__all__ = ["DEFAULTS", "DedupAuditReport", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = DEDUP_AUDIT


@dataclass(frozen=True)
class DedupAuditReport:
    """Everything the dedup-audit report shows, computed once (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    corpus: pd.DataFrame
    result: dedup.DedupResult
    evaluation: Any
    """:class:`workbench.dedup.DedupEvaluation` of ``result`` against exact Jaccard."""
    group_rates: pd.Series
    """Duplicate rate per ``group_by`` value, highest first (empty without the column)."""
    near_pairs: pd.DataFrame
    comparison: pd.DataFrame
    findings: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    # ---- numbers and words ----------------------------------------------------------------
    @property
    def n_kept(self) -> int:
        """Documents left after dropping every non-representative."""
        return int(self.result.clusters["is_representative"].sum())

    @property
    def data_line(self) -> str:
        return f"{fmt_count(len(self.corpus))} documents"

    def kept_line(self) -> str:
        r = self.result
        return (f"{r.method} at threshold {r.threshold:g} marks {r.duplicate_rate:.1%} of "
                f"{fmt_count(len(self.corpus))} documents as duplicates; dropping them keeps "
                f"{fmt_count(self.n_kept)} documents.")

    def evaluation_line(self) -> str:
        e = self.evaluation
        return (f"Against exact Jaccard: precision {e.precision:.3f}, recall {e.recall:.3f} "
                f"({fmt_count(e.n_true_pairs)} truly similar pairs).")

    def group_line(self) -> str | None:
        if not len(self.group_rates):
            return None
        return (f"Highest duplicate rate: {self.parameters['group_by']} = {self.group_rates.index[0]!r} "
                f"({self.group_rates.iloc[0]:.1%}).")

    def group_note(self) -> str | None:
        if len(self.group_rates) or not self.parameters["group_by"]:
            return None
        return f"no column {self.parameters['group_by']!r}: per-group rates skipped"

    def best_method_line(self) -> str:
        best = self.comparison.sort_values("recall", ascending=False).iloc[0]
        return f"Highest recall among the compared methods: {best['method']} ({best['recall']:.3f})."

    def candidate_line(self) -> str | None:
        """For MinHash: the probability that a pair exactly at the threshold becomes a candidate."""
        r = self.result
        if r.method != "minhash":
            return None
        p_at = dedup.candidate_probability(r.threshold, r.bands, r.rows)
        return (f"{r.bands} bands x {r.rows} rows: a pair at exactly {r.threshold:g} becomes a candidate "
                f"with probability {p_at:.3f} (datasketch's default 9 x 13: "
                f"{dedup.candidate_probability(r.threshold, 9, 13):.3f})")

    # ---- tables ---------------------------------------------------------------------------
    def largest_clusters(self, n: int = 10) -> pd.DataFrame:
        """The documents of the largest clusters first (``n`` rows)."""
        return (self.result.clusters.sort_values(["cluster_size", "cluster_id"], ascending=[False, True])
                .head(n))

    def group_table(self) -> pd.DataFrame | None:
        return None if not len(self.group_rates) else self.group_rates.rename("duplicate_rate").to_frame()

    def comparison_table(self) -> pd.DataFrame:
        return self.comparison.round(3)

    def near_pairs_view(self) -> Any:
        """The pairs nearest the threshold side by side, with a word diff (escaped HTML)."""
        from IPython.display import HTML

        rows = "".join(
            f"<tr><td>{escape_html(r.doc_id_a)}<br>{escape_html(r.doc_id_b)}</td><td>{r.similarity:.3f}</td>"
            f"<td>{'duplicate' if r.is_duplicate else 'kept apart'}</td>"
            f"<td style='text-align:left'>{dedup_plots.diff_html(r.text_a[:600], r.text_b[:600])}</td></tr>"
            for r in self.near_pairs.itertuples()
        )
        return HTML("<table><tr><th>docs</th><th>similarity</th><th>decision</th><th>diff (first 600 chars)</th></tr>"
                    + rows + "</table>")

    # ---- figures --------------------------------------------------------------------------
    def cluster_size_figure(self) -> go.Figure:
        return dedup_plots.cluster_size_figure(self.result)

    def group_figure(self) -> go.Figure | None:
        if not len(self.group_rates):
            return None
        grouped = self.corpus.merge(self.result.clusters, on="doc_id")
        return dedup_plots.duplicate_rate_figure(grouped, by=self.parameters["group_by"])

    def similarity_figure(self) -> go.Figure:
        return dedup_plots.similarity_histogram(self.result)

    def s_curve_figure(self) -> go.Figure | None:
        r = self.result
        return dedup_plots.s_curve_figure(r.threshold, r.bands, r.rows) if r.method == "minhash" else None

    def comparison_figure(self) -> go.Figure:
        return dedup_plots.method_comparison_figure(self.comparison)

    # ---- the whole ------------------------------------------------------------------------
    def summary(self) -> str:
        """The verdict, then the clustering, the evaluation and the comparison (what ``workbench dedup`` prints)."""
        parts = [self.verdict.summary(), "", self.result.summary(), self.evaluation.summary(), self.kept_line(),
                 self.evaluation_line(), self.group_line() or self.group_note(), self.candidate_line(),
                 self.comparison_table().to_string(index=False), self.best_method_line(), *self.findings,
                 self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """The report's invariants: one row per document in input order, one representative per
        cluster, similarities in range, recall against exact Jaccard (MinHash) and precision of
        verified pairs."""
        r, e = self.result, self.evaluation
        cl = r.clusters
        min_recall = self.parameters["min_recall"]
        reps = cl.groupby("cluster_id")["is_representative"].sum()
        items = [
            check("one row per document, in input order",
                  len(cl) == len(self.corpus) and cl["doc_id"].tolist() == self.corpus["doc_id"].tolist(),
                  f"{len(cl)} rows for {len(self.corpus)} documents"),
            check("exactly one representative per cluster", bool(reps.eq(1).all()),
                  f"{int((~reps.eq(1)).sum())} clusters differ"),
            check("similarity in [-1, 1]", bool(cl["similarity"].between(-1, 1).all())),
            check("recall against exact Jaccard reaches min_recall (minhash)",
                  r.method != "minhash" or e.recall >= min_recall, f"recall {e.recall:.3f} vs {min_recall}"),
            check("verified pairs are precise (>= 0.99)",
                  r.method not in ("minhash", "exact") or not r.verified or e.precision >= 0.99,
                  f"precision {e.precision:.3f}"),
        ]
        return Checks.of(items)


def _verdict(report: DedupAuditReport) -> Verdict:
    r, e = report.result, report.evaluation
    head = (f"{r.method} at {r.threshold:g}: {r.duplicate_rate:.1%} of {len(report.corpus):,} documents are "
            f"duplicates (precision {e.precision:.2f}, recall {e.recall:.2f} against exact Jaccard)")
    n_dup = len(report.corpus) - report.n_kept
    bullets = [f"Dropping the {fmt_count(n_dup)} duplicates keeps {fmt_count(report.n_kept)} of "
               f"{fmt_count(len(report.corpus))} documents.",
               report.evaluation_line()]
    if report.group_line():
        bullets.append(str(report.group_line()))
    bullets.append(report.best_method_line())
    recall_ok = r.method != "minhash" or e.recall >= report.parameters["min_recall"]
    tone: Tone
    if not recall_ok:
        outcome, tone = "low_recall", "bad"
        bullets.append(f"Action: raise num_perm or lower the threshold — recall {e.recall:.3f} is below "
                       f"{report.parameters['min_recall']}.")
    elif n_dup:
        outcome, tone = "duplicates", "warning"
        bullets.append("Action: keep the representatives (workbench dedup FILE --out OUT; is_representative).")
    else:
        outcome, tone = "no_duplicates", "good"
        bullets.append("Action: none; no document duplicates another at this threshold.")
    return Verdict(outcome=outcome, headline=head, bullets=tuple(bullets[:5]), tone=tone)


def run(
    corpus: pd.DataFrame | str | os.PathLike[str] | None = None,
    *,
    corpus_path: str | os.PathLike[str] | None = None,
    format: str = "auto",
    method: str = DEFAULTS["method"],
    threshold: float = DEFAULTS["threshold"],
    ngram: int = DEFAULTS["ngram"],
    unit: str = DEFAULTS["unit"],
    num_perm: int = DEFAULTS["num_perm"],
    keep: str = DEFAULTS["keep"],
    group_by: str = DEFAULTS["group_by"],
    n_near_pairs: int = DEFAULTS["n_near_pairs"],
    compare: list[str] = DEFAULTS["compare"],
    semantic_docs: int = DEFAULTS["semantic_docs"],
    semantic_threshold: float = DEFAULTS["semantic_threshold"],
    min_recall: float = DEFAULTS["min_recall"],
    options: dict[str, Any] = DEFAULTS["options"],
    max_hamming: int = 3,
    doc_id: str = "doc_id",
    text: str = "text",
    progress: bool = False,
) -> DedupAuditReport:
    """Deduplicate a corpus, evaluate against exact Jaccard, compare methods and decide.

    Parameters
    ----------
    corpus, corpus_path
        The corpus as a frame, or its file (doc_id, text; optional source).
    method, threshold, ngram, unit, num_perm, keep, max_hamming
        The deduplication (see :func:`workbench.dedup.deduplicate`).
    group_by
        Column for duplicate rates per group (``""`` or a column the corpus lacks: none).
    n_near_pairs
        Pairs nearest the threshold shown side by side.
    compare, semantic_docs, semantic_threshold
        Methods compared on the same corpus; semantic dedup on the first ``semantic_docs``
        documents too (0 skips).
    min_recall
        Recall against exact Jaccard MinHash must reach (a sanity check, and the verdict).
    doc_id, text
        The corpus' id and text columns (read as ``doc_id`` and ``text``).
    options
        Reader options of the corpus file, e.g. ``{"question": "sentiment"}`` (one question of a
        multi-question export or table; such a file is refused without it, with the list of its
        questions).
    """
    columns = {k: v for k, v in {"doc_id": doc_id, "text": text}.items() if k != v} or None
    path = corpus_path if corpus_path is not None else (None if isinstance(corpus, pd.DataFrame) else corpus)
    inputs: ReportInputs | None = None
    if path is not None:
        inputs = resolve_inputs("dedup_audit", corpus_path=str(path))
        resolved = inputs.path("corpus_path")
        if resolved is None:
            raise WorkbenchError("dedup_audit: no corpus file given; pass corpus_path.")
        table = io.load_table(resolved, kind="corpus", format=format, columns=columns,  # type: ignore[arg-type]
                              options=options or None)
    elif isinstance(corpus, pd.DataFrame):
        table = corpus.rename(columns={v: k for k, v in (columns or {}).items()})
    else:
        raise WorkbenchError("dedup_audit: pass a corpus table or corpus_path.")
    result = dedup.deduplicate(table, method=method, threshold=threshold, ngram=ngram, unit=unit,  # type: ignore[arg-type]
                               num_perm=num_perm, keep=keep, max_hamming=max_hamming,  # type: ignore[arg-type]
                               progress=progress)
    evaluation = dedup.evaluate(table, result, threshold=threshold)
    findings: list[str] = []
    rates = pd.Series(dtype=float)
    if group_by and group_by in table.columns:
        grouped = table.merge(result.clusters, on="doc_id")
        rates = (~grouped["is_representative"]).groupby(grouped[group_by]).mean().sort_values(ascending=False)
    near = dedup.near_threshold_pairs(table, result, n=n_near_pairs)
    comparison = dedup.compare_methods(table, methods=compare, threshold=threshold, ngram=ngram)  # type: ignore[arg-type]
    if semantic_docs > 0:
        subset = table.head(semantic_docs)
        sem = dedup.compare_methods(subset, methods=["semantic", "minhash"], threshold=threshold, ngram=ngram,
                                    semantic_threshold=semantic_threshold)
        sem["method"] = sem["method"] + f" (first {len(subset):,})"
        comparison = pd.concat([comparison, sem], ignore_index=True)
    params = {"method": method, "threshold": threshold, "ngram": ngram, "unit": unit, "num_perm": num_perm,
              "keep": keep, "group_by": group_by, "n_near_pairs": n_near_pairs, "compare": list(compare),
              "semantic_docs": semantic_docs, "semantic_threshold": semantic_threshold, "min_recall": min_recall,
              "doc_id": doc_id, "text": text}
    report = DedupAuditReport(
        verdict=Verdict("pending", "pending"), inputs=inputs, corpus=table, result=result, evaluation=evaluation,
        group_rates=rates, near_pairs=near, comparison=comparison, findings=tuple(findings), parameters=params,
    )
    object.__setattr__(report, "verdict", _verdict(report))
    return report
