"""The local engine: dedup of a pandas corpus on this machine, one backend per method.

:func:`deduplicate` checks the options (:mod:`workbench.dedup.options`, shared with the Spark
engine), runs the method's backend from :data:`~workbench.dedup.backends.BACKENDS` and turns
its duplicate pairs into clusters (:mod:`workbench.dedup.clusters`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.dedup.backends import BACKENDS, BackendOptions, Candidates
from workbench.dedup.clusters import (
    cluster_table,
    components,
    pair_table,
    priority,
    representatives,
)
from workbench.dedup.options import (
    DEFAULT_SEED,
    Keep,
    Method,
    Unit,
    check_max_hamming,
    check_options,
    dedup_settings,
    validated_texts,
)
from workbench.dedup.results import DedupResult

__all__ = ["deduplicate", "find_duplicates"]


def deduplicate(
    corpus: pd.DataFrame,
    *,
    method: Method = "minhash",
    threshold: float = 0.8,
    ngram: int = 5,
    unit: Unit = "word",
    num_perm: int = 128,
    keep: Keep = "first",
    verify: bool | None = None,
    bands: int | None = None,
    rows: int | None = None,
    seed: int = DEFAULT_SEED,
    max_hamming: int = 3,
    model: str | Path | None = None,
    batch_size: int = 64,
    device: str | None = None,
    chunk_size: int = 20_000,
    progress: bool = False,
    doc_id: str = "doc_id",
    text: str = "text",
) -> DedupResult:
    """Find duplicate documents and group them into clusters with one representative each.

    Parameters
    ----------
    corpus
        Corpus table: one row per document with ``doc_id`` and ``text``.
    method
        ``"exact"``: identical after normalization (NFKC, case folding, whitespace).
        ``"minhash"``: Jaccard similarity of shingle sets ≥ ``threshold`` via MinHash-LSH.
        ``"simhash"``: 64-bit SimHash fingerprints within Hamming distance ``max_hamming``
        (near-exact copies; ``threshold`` is not used).
        ``"semantic"``: cosine similarity of sentence embeddings ≥ ``threshold`` (paraphrases).
    threshold
        Similarity at or above which two documents are duplicates, in (0, 1].
    ngram, unit
        Shingles are ``ngram`` consecutive words (``unit="word"``) or characters (``"char"``).
    num_perm
        MinHash permutations.
    keep
        Which member represents a cluster: ``"first"`` (earliest row), ``"longest"`` (longest
        text; ties to the earliest row), or a callable taking the corpus and returning one
        number per row, higher preferred (e.g. ``lambda df: df["quality"]``).
    verify
        MinHash only: check each LSH candidate pair by its exact Jaccard similarity (True) or
        accept it on the signature estimate (False). ``None``: verify when the corpus has at
        most 2,000,000 documents.
    bands, rows
        MinHash LSH layout; by default :func:`lsh_params` chooses it from ``threshold``.
    seed
        Seed of the MinHash permutations (fixed, so signatures are comparable across runs).
    max_hamming
        SimHash only: the largest Hamming distance (of 64 bits) that counts as duplicate.
    model, batch_size, device
        Semantic only: sentence-transformers model (``None``: the embedded all-MiniLM-L6-v2,
        offline), encoding batch size and device (``None``: the library's choice).
    chunk_size
        Documents shingled and hashed at a time (bounds memory).
    progress
        Show a tqdm progress bar.
    doc_id, text
        Column names.

    Returns
    -------
    DedupResult
        ``.clusters`` (one row per document) and ``.pairs``; see :class:`DedupResult`.

    Raises
    ------
    SchemaError
        Missing columns, missing or duplicate ``doc_id``, missing or non-string ``text``.
    WorkbenchError
        Invalid option values.

    Notes
    -----
    Empty (or whitespace-only) texts are never duplicates of anything: each stays a
    singleton cluster and is counted in ``n_empty``. Clusters are the connected components
    of the duplicate pairs (union–find), so a member can be less similar to its
    representative than ``threshold`` through a chain of pairs; ``similarity`` shows it.

    For MinHash, two documents with Jaccard similarity :math:`s` share a bucket in at least
    one of :math:`b` bands of :math:`r` rows with probability :math:`1-(1-s^r)^b` (see
    :func:`lsh_params`). Candidates are then verified against their exact Jaccard.

    References
    ----------
    Broder, A. (1997). On the resemblance and containment of documents. doi:10.1109/SEQUEN.1997.666900
    Charikar, M. (2002). Similarity estimation techniques from rounding algorithms. doi:10.1145/509907.509965
    Leskovec, Rajaraman, Ullman. Mining of Massive Datasets, ch. 3 (LSH S-curve).

    Examples
    --------
    >>> corpus = pd.DataFrame({
    ...     "doc_id": ["a", "b", "c", "d"],
    ...     "text": ["the quick brown fox jumps over the lazy dog today",
    ...              "The quick brown fox jumps over the lazy dog today!",
    ...              "the quick brown fox jumps over the lazy dog today",
    ...              "completely different words in this one document here"]})
    >>> res = deduplicate(corpus, method="minhash", threshold=0.5, ngram=3)
    >>> res.clusters[["doc_id", "cluster_id", "is_representative"]]
      doc_id  cluster_id  is_representative
    0      a           0               True
    1      b           0              False
    2      c           0              False
    3      d           1               True
    >>> res.clusters["similarity"].round(2).tolist()
    [1.0, 0.78, 1.0, 1.0]
    """
    check_options(method, threshold, ngram, unit, num_perm, keep)
    texts = validated_texts(corpus, doc_id, text)
    settings = dedup_settings(method, threshold, ngram, unit, num_perm, bands, rows, seed)
    if method == "simhash":
        check_max_hamming(max_hamming)
    opts = BackendOptions(
        **vars(settings), verify=verify, max_hamming=max_hamming, model=model, batch_size=batch_size,
        device=device, chunk_size=chunk_size, progress=progress,
    )
    from tqdm.auto import tqdm

    bar = tqdm(total=len(texts), desc=f"dedup ({method})", unit="doc", disable=not progress)
    found = BACKENDS[method](texts, opts, bar)
    bar.close()
    return _clustered(corpus, texts, corpus[doc_id].to_numpy(), found, keep, opts)


def _clustered(
    corpus: pd.DataFrame, texts: list[str], ids: np.ndarray, found: Candidates, keep: Keep, opts: BackendOptions
) -> DedupResult:
    """Clusters from a backend's duplicate pairs: components, representatives, similarities."""
    n = len(texts)
    labels = components(n, found.pairs[found.is_duplicate])
    rep = representatives(labels, priority(corpus, texts, keep))
    rows_idx = np.arange(n)
    member = rep != rows_idx
    similarity = np.ones(n)
    mp = np.stack([rows_idx[member], rep[member]], axis=1)
    if len(mp):
        similarity[member] = found.member_similarity(mp)
    return DedupResult(
        clusters=cluster_table(ids, rep, similarity),
        pairs=pair_table(ids, found.pairs, found.similarity, found.is_duplicate),
        method=opts.method,
        threshold=opts.threshold,
        ngram=opts.ngram,
        unit=opts.unit,
        num_perm=opts.num_perm,
        bands=opts.bands,
        rows=opts.rows,
        seed=opts.seed,
        verified=found.verified,
        n_candidates=int(len(found.pairs)),
        n_empty=int(found.empty.sum()),
        max_hamming=int(opts.max_hamming) if opts.method == "simhash" else None,
    )


def find_duplicates(
    corpus: pd.DataFrame,
    *,
    method: Method = "minhash",
    threshold: float = 0.8,
    ngram: int = 5,
    unit: Unit = "word",
    num_perm: int = 128,
    keep: Keep = "first",
    **options: Any,
) -> pd.DataFrame:
    """Cluster duplicate documents; one row per document (see :func:`deduplicate`).

    Returns
    -------
    pandas.DataFrame
        ``doc_id``, ``cluster_id``, ``is_representative``, ``similarity`` (to the
        representative), ``representative_id``, ``cluster_size``, in input order.

    Examples
    --------
    >>> corpus = pd.DataFrame({"doc_id": ["1", "2", "3"],
    ...                        "text": ["Hello  World", "hello world", "goodbye"]})
    >>> find_duplicates(corpus, method="exact")["cluster_id"].tolist()
    [0, 0, 1]
    """
    return deduplicate(
        corpus, method=method, threshold=threshold, ngram=ngram, unit=unit,
        num_perm=num_perm, keep=keep, **options,
    ).clusters
