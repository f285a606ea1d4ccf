"""Clusters from duplicate pairs: connected components, representatives, the output tables.

Every engine ends here: the duplicate pairs are the edges of a graph whose connected
components are the clusters; each cluster's representative is its member of highest
``keep`` priority (ties to the earliest row), and clusters are numbered by first appearance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench._validation import format_rows
from workbench.dedup.options import Keep
from workbench.errors import WorkbenchError

__all__ = ["cluster_table", "components", "pair_table", "priority", "representatives"]


def components(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected-component label of each of ``n`` rows, from the edges (``m × 2``)."""
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    graph = sparse.coo_matrix(
        (np.ones(len(edges), np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n)
    ).tocsr()
    return connected_components(graph, directed=False)[1]


def priority(corpus: pd.DataFrame, texts: Sequence[str], keep: Keep) -> np.ndarray:
    """One number per row, higher = preferred as representative, for the ``keep`` policy."""
    n = len(texts)
    if keep == "first":
        return -np.arange(n, dtype=float)
    if keep == "longest":
        return np.fromiter((len(t) for t in texts), dtype=float, count=n)
    scores = np.asarray(keep(corpus), dtype=float)  # type: ignore[operator]
    if scores.shape != (n,):
        raise WorkbenchError(
            f"keep= callable returned shape {scores.shape}; it must return one number per row "
            f"of the corpus ({n} rows), higher = preferred as representative."
        )
    if np.isnan(scores).any():
        bad = corpus.index[np.isnan(scores)]
        raise WorkbenchError(f"keep= callable returned NaN at {format_rows(bad)}; return a number for every row.")
    return scores


def representatives(labels: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Row of each cluster's representative: highest priority, ties to the earliest row."""
    n = len(labels)
    order = np.lexsort((np.arange(n), -priority, labels))
    first = np.ones(n, bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    rep_of_label = np.empty(labels.max() + 1, np.int64)
    rep_of_label[labels[order][first]] = order[first]
    return rep_of_label[labels]


def cluster_table(ids: np.ndarray, rep: np.ndarray, similarity: np.ndarray) -> pd.DataFrame:
    """One row per document: ``doc_id``, ``cluster_id`` (by first appearance),
    ``is_representative``, ``similarity``, ``representative_id``, ``cluster_size``."""
    member = rep != np.arange(len(rep))
    cluster_id, _ = pd.factorize(pd.Series(rep))
    sizes = np.bincount(cluster_id)
    return pd.DataFrame(
        {
            "doc_id": ids,
            "cluster_id": cluster_id.astype(np.int64),
            "is_representative": ~member,
            "similarity": similarity,
            "representative_id": ids[rep],
            "cluster_size": sizes[cluster_id].astype(np.int64),
        }
    )


def pair_table(ids: np.ndarray, pairs: np.ndarray, sims: np.ndarray, is_dup: np.ndarray) -> pd.DataFrame:
    """The compared pairs by id: ``doc_id_a``, ``doc_id_b``, ``similarity``, ``is_duplicate``."""
    return pd.DataFrame(
        {
            "doc_id_a": ids[pairs[:, 0]] if len(pairs) else np.array([], dtype=object),
            "doc_id_b": ids[pairs[:, 1]] if len(pairs) else np.array([], dtype=object),
            "similarity": np.asarray(sims, dtype=float),
            "is_duplicate": np.asarray(is_dup, dtype=bool),
        }
    )
