"""Result objects of dedup: clusters with their pairs and settings, and an evaluation."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["DedupEvaluation", "DedupResult"]


@dataclass(frozen=True)
class DedupResult:
    """Clusters of duplicates and the pairs behind them.

    Attributes
    ----------
    clusters
        One row per document, in input order: ``doc_id``, ``cluster_id`` (int, numbered by
        first appearance), ``is_representative``, ``similarity`` (to the representative:
        Jaccard for minhash — exact if verified, else estimated —, ``1 - hamming/64`` for
        simhash, cosine for semantic, 1.0 for exact and for representatives),
        ``representative_id`` and ``cluster_size``.
    pairs
        The compared pairs: ``doc_id_a``, ``doc_id_b``, ``similarity``, ``is_duplicate``
        (similarity at or above the threshold; these are the edges of the clusters).
        For minhash these are the LSH candidates, including those rejected on verification.
    """

    clusters: pd.DataFrame
    pairs: pd.DataFrame
    method: str
    threshold: float
    ngram: int
    unit: str
    num_perm: int
    bands: int
    rows: int
    seed: int
    verified: bool
    n_candidates: int
    n_empty: int
    max_hamming: int | None = None

    def to_frame(self) -> pd.DataFrame:
        """The per-document clusters table."""
        return self.clusters.copy()

    @property
    def duplicate_rate(self) -> float:
        """Share of documents that are not their cluster's representative."""
        return float((~self.clusters["is_representative"]).mean())

    def summary(self) -> str:
        """One paragraph: method, settings, how many duplicates and clusters were found."""
        c = self.clusters
        n_dup = int((~c["is_representative"]).sum())
        multi = int((c.loc[c["is_representative"], "cluster_size"] > 1).sum())
        how = {
            "minhash": f"MinHash-LSH ({self.num_perm} permutations, {self.bands} bands × {self.rows} rows, "
            f"{self.ngram}-{self.unit} shingles), Jaccard ≥ {self.threshold:g}, "
            f"{self.n_candidates:,} candidate pairs {'verified by exact Jaccard' if self.verified else 'accepted on estimated Jaccard'}",
            "simhash": f"SimHash (64 bits, Hamming ≤ {self.max_hamming}, {self.ngram}-{self.unit} shingles)",
            "semantic": f"sentence embeddings, cosine ≥ {self.threshold:g}",
            "exact": "exact match after NFKC, case folding and whitespace collapsing",
        }[self.method]
        empty = f" {self.n_empty:,} empty text(s) were left as singletons." if self.n_empty else ""
        return (
            f"{how}: {n_dup:,} of {len(c):,} documents ({n_dup / max(len(c), 1):.1%}) are duplicates "
            f"of another, in {multi:,} clusters of two or more.{empty}"
        )


@dataclass(frozen=True)
class DedupEvaluation:
    """Precision and recall of found duplicate pairs against exact Jaccard.

    Attributes
    ----------
    precision
        Share of the reported duplicate pairs whose exact Jaccard is ≥ ``threshold``.
    recall
        Share of the pairs with exact Jaccard ≥ ``threshold`` that ended in one cluster.
    cluster_precision
        Share of same-cluster pairs with exact Jaccard ≥ ``threshold`` (chaining lowers it).
    n_true_pairs, n_found_pairs
        Counts behind recall and precision (within the checked documents).
    n_docs_checked
        Documents whose pairs were checked: all, or a random sample for large corpora.
    sampled
        Whether a sample was used.
    """

    precision: float
    recall: float
    cluster_precision: float
    n_true_pairs: int
    n_found_pairs: int
    n_docs_checked: int
    sampled: bool
    threshold: float

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: ``metric``, ``value``."""
        return pd.DataFrame(
            {
                "metric": ["precision", "recall", "cluster_precision", "n_true_pairs", "n_found_pairs", "n_docs_checked"],
                "value": [self.precision, self.recall, self.cluster_precision, self.n_true_pairs, self.n_found_pairs, self.n_docs_checked],
            }
        )

    def summary(self) -> str:
        """One paragraph with precision and recall."""
        scope = f"a random sample of {self.n_docs_checked:,} documents" if self.sampled else f"all {self.n_docs_checked:,} documents"
        return (
            f"Against exact Jaccard ≥ {self.threshold:g} on {scope}: precision {self.precision:.3f} "
            f"({self.n_found_pairs:,} reported pairs), recall {self.recall:.3f} "
            f"({self.n_true_pairs:,} true pairs), same-cluster precision {self.cluster_precision:.3f}."
        )
