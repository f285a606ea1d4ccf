"""How good is a dedup result: precision and recall against exact Jaccard, the pairs at the
threshold, and several methods compared on one corpus."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.dedup.kernels import sorted_unique
from workbench.dedup.local import deduplicate
from workbench.dedup.options import Method, Unit, check_options, validated_texts
from workbench.dedup.results import DedupEvaluation, DedupResult
from workbench.dedup.verify import exact_jaccard_pairs
from workbench.errors import SchemaError

__all__ = ["compare_methods", "evaluate", "near_threshold_pairs"]


def evaluate(
    corpus: pd.DataFrame,
    result: DedupResult | pd.DataFrame,
    *,
    threshold: float | None = None,
    ngram: int | None = None,
    unit: Unit | None = None,
    max_docs: int = 20_000,
    rng: int | np.random.Generator | None = None,
    doc_id: str = "doc_id",
    text: str = "text",
) -> DedupEvaluation:
    """Precision and recall of found duplicates against exact Jaccard on the same shingles.

    The truth is computed independently of the method, from sparse shingle-incidence
    products: every pair with exact Jaccard ≥ ``threshold``. With at most ``max_docs``
    documents all pairs are checked; otherwise ``max_docs`` documents are drawn at random
    (``rng``) and every pair that involves one of them is checked.

    Parameters
    ----------
    corpus
        The corpus the result was computed on.
    result
        A :class:`DedupResult` (its duplicate pairs are scored for precision) or a clusters
        table with ``doc_id`` and ``cluster_id`` (same-cluster pairs are scored).
    threshold, ngram, unit
        Default to the result's settings (0.8, 5, ``"word"`` for a bare clusters table).
    max_docs
        Above this many documents, evaluate on a random sample of this many.
    rng
        Seed or Generator for the sample.

    Returns
    -------
    DedupEvaluation

    Examples
    --------
    >>> corpus = pd.DataFrame({"doc_id": ["a", "b", "c"],
    ...     "text": ["one two three four five six", "one two three four five six", "seven eight nine"]})
    >>> res = deduplicate(corpus, threshold=0.8, ngram=2)
    >>> ev = evaluate(corpus, res)
    >>> (ev.precision, ev.recall, ev.n_true_pairs)
    (1.0, 1.0, 1)
    """
    from workbench._validation import as_rng

    texts = validated_texts(corpus, doc_id, text)
    ids = corpus[doc_id].astype(str).to_numpy()
    if isinstance(result, DedupResult):
        clusters = result.clusters
        threshold = result.threshold if threshold is None else threshold
        ngram = result.ngram if ngram is None else ngram
        unit = result.unit if unit is None else unit  # type: ignore[assignment]
        dup = result.pairs[result.pairs["is_duplicate"]]
        found_a, found_b = dup["doc_id_a"].astype(str).to_numpy(), dup["doc_id_b"].astype(str).to_numpy()
    elif isinstance(result, pd.DataFrame):
        clusters = result
        found_a = found_b = None
    else:
        raise TypeError(f"result must be a DedupResult or a clusters DataFrame, got {type(result).__name__}.")
    threshold = 0.8 if threshold is None else float(threshold)
    ngram = 5 if ngram is None else int(ngram)
    unit = "word" if unit is None else unit
    check_options("minhash", threshold, ngram, unit, 2, "first")
    for col in ("doc_id", "cluster_id"):
        if col not in clusters.columns:
            raise SchemaError(f"table 'dedup result' is missing column '{col}'; pass the output of find_duplicates.")
    pos = pd.Series(np.arange(len(ids)), index=ids)
    cl = clusters.set_index(clusters["doc_id"].astype(str))["cluster_id"]
    missing = pd.Index(ids).difference(cl.index)
    if len(missing):
        raise SchemaError(
            f"the dedup result lacks {len(missing)} doc_id(s) of the corpus, e.g. {list(missing[:3])}; "
            "evaluate the result on the corpus it was computed from."
        )
    label = cl.reindex(ids).to_numpy()
    n = len(ids)
    sampled = n > max_docs
    query = np.sort(as_rng(rng).choice(n, size=max_docs, replace=False)) if sampled else np.arange(n)
    in_query = np.zeros(n, bool)
    in_query[query] = True
    truth = exact_jaccard_pairs(texts, query, ngram=ngram, unit=unit, threshold=threshold)
    lo, hi = np.minimum(truth["i"], truth["j"]).to_numpy(), np.maximum(truth["i"], truth["j"]).to_numpy()
    true_codes = sorted_unique(lo.astype(np.int64) * n + hi)
    ti, tj = true_codes // n, true_codes % n
    recall = float((label[ti] == label[tj]).mean()) if len(true_codes) else 1.0

    # same-cluster pairs that involve a checked document (clusters capped at 2,000 members)
    members = pd.DataFrame({"row": np.arange(n), "label": label})
    sizes = members.groupby("label")["row"].transform("size").to_numpy()
    multi = members[(sizes > 1) & (sizes <= 2_000)]
    same = multi.merge(multi, on="label")
    same = same[(same["row_x"] < same["row_y"]) & (in_query[same["row_x"]] | in_query[same["row_y"]])]
    same_codes = same["row_x"].to_numpy().astype(np.int64) * n + same["row_y"].to_numpy()
    cluster_precision = float(np.isin(same_codes, true_codes).mean()) if len(same_codes) else 1.0
    if found_a is None:
        found_codes = same_codes
    else:
        fa, fb = pos.reindex(found_a).to_numpy(), pos.reindex(found_b).to_numpy()
        f_lo, f_hi = np.minimum(fa, fb), np.maximum(fa, fb)
        sel = in_query[f_lo] | in_query[f_hi]
        found_codes = sorted_unique(f_lo[sel].astype(np.int64) * n + f_hi[sel])
    precision = float(np.isin(found_codes, true_codes).mean()) if len(found_codes) else 1.0
    return DedupEvaluation(
        precision=precision,
        recall=recall,
        cluster_precision=cluster_precision,
        n_true_pairs=int(len(true_codes)),
        n_found_pairs=int(len(found_codes)),
        n_docs_checked=int(len(query)),
        sampled=bool(sampled),
        threshold=threshold,
    )


def near_threshold_pairs(
    corpus: pd.DataFrame,
    result: DedupResult,
    *,
    n: int = 10,
    doc_id: str = "doc_id",
    text: str = "text",
) -> pd.DataFrame:
    """The compared pairs closest to the threshold, on both sides, with their texts.

    Returns
    -------
    pandas.DataFrame
        ``doc_id_a``, ``doc_id_b``, ``similarity``, ``is_duplicate``, ``distance`` (to the
        threshold), ``text_a``, ``text_b``; the ``n`` nearest pairs, nearest first.

    Examples
    --------
    >>> corpus = pd.DataFrame({"doc_id": ["a", "b"], "text": ["one two three four", "one two three five"]})
    >>> res = deduplicate(corpus, threshold=0.5, ngram=2)
    >>> near_threshold_pairs(corpus, res)[["doc_id_a", "doc_id_b", "similarity"]]
      doc_id_a doc_id_b  similarity
    0        a        b         0.5
    """
    pairs = result.pairs.copy()
    pairs["distance"] = (pairs["similarity"] - result.threshold).abs()
    pairs = pairs.sort_values(["distance", "doc_id_a", "doc_id_b"], kind="stable").head(n)
    lookup = corpus.set_index(doc_id)[text]
    pairs["text_a"] = lookup.reindex(pairs["doc_id_a"]).to_numpy()
    pairs["text_b"] = lookup.reindex(pairs["doc_id_b"]).to_numpy()
    return pairs.reset_index(drop=True)


def compare_methods(
    corpus: pd.DataFrame,
    *,
    methods: Sequence[Method] = ("exact", "simhash", "minhash"),
    threshold: float = 0.8,
    ngram: int = 5,
    semantic_threshold: float = 0.9,
    doc_id: str = "doc_id",
    text: str = "text",
    **options: Any,
) -> pd.DataFrame:
    """Run several methods on the same corpus and score each against exact Jaccard.

    Returns
    -------
    pandas.DataFrame
        One row per method: ``method``, ``duplicates``, ``duplicate_rate``, ``clusters``
        (of two or more), ``precision`` and ``recall`` (from :func:`evaluate` at
        ``threshold``; for semantic and simhash these say how far their notion of duplicate
        is from Jaccard), ``seconds``.

    Examples
    --------
    >>> corpus = pd.DataFrame({"doc_id": ["a", "b", "c"],
    ...     "text": ["one two three four five", "ONE two three four five", "six seven"]})
    >>> compare_methods(corpus, ngram=2)[["method", "duplicates", "recall"]]
        method  duplicates  recall
    0    exact           1     1.0
    1  simhash           1     1.0
    2  minhash           1     1.0
    """
    import time

    rows = []
    for method in methods:
        t0 = time.perf_counter()
        res = deduplicate(
            corpus, method=method, threshold=semantic_threshold if method == "semantic" else threshold,
            ngram=ngram, doc_id=doc_id, text=text, **options,
        )
        seconds = time.perf_counter() - t0
        ev = evaluate(corpus, res, threshold=threshold, ngram=ngram, unit=res.unit, doc_id=doc_id, text=text)  # type: ignore[arg-type]
        c = res.clusters
        rows.append(
            {
                "method": method,
                "duplicates": int((~c["is_representative"]).sum()),
                "duplicate_rate": res.duplicate_rate,
                "clusters": int((c.loc[c["is_representative"], "cluster_size"] > 1).sum()),
                "precision": ev.precision,
                "recall": ev.recall,
                "seconds": seconds,
            }
        )
    return pd.DataFrame(rows)
