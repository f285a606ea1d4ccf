"""One backend per dedup method, behind the dispatch table :data:`BACKENDS`.

A backend turns the texts into the pairs it compared, their similarity and which of them
are duplicates (:class:`Candidates`); the engine (:mod:`workbench.dedup.local`) turns those
into clusters the same way for every method. A new method is a function with the signature
``(texts, options, bar) -> Candidates`` and one entry in :data:`BACKENDS`.

- ``exact``: equal after :func:`~workbench.dedup.kernels.normalize_text`; consecutive
  equal texts are paired.
- ``minhash``: MinHash signatures, LSH band keys, candidate pairs from shared buckets,
  verified by exact Jaccard (or accepted on the signature estimate).
- ``simhash``: 64-bit SimHash fingerprints, pairs from shared blocks, kept within
  ``max_hamming``.
- ``semantic``: cosine similarity of sentence embeddings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from workbench.dedup.kernels import (
    MASK32,
    band_keys,
    bucket_pairs,
    chunks,
    hamming,
    hash_and_sign,
    normalize_texts,
    simhash_block_keys,
    sorted_unique,
)
from workbench.dedup.options import DedupSettings, resolve_verify
from workbench.dedup.semantic import cosine_pairs, embed
from workbench.dedup.verify import set_jaccard, sets_from_hashes, signature_similarity

__all__ = ["BACKENDS", "Backend", "BackendOptions", "Candidates", "Progress"]


class Progress(Protocol):
    """What a backend needs of a progress bar (tqdm's ``update``)."""

    def update(self, n: float | None = 1, /) -> bool | None: ...


@dataclass(frozen=True)
class BackendOptions(DedupSettings):
    """Checked settings every backend reads (see :func:`workbench.dedup.deduplicate`)."""

    verify: bool | None
    max_hamming: int
    model: str | Path | None
    batch_size: int
    device: str | None
    chunk_size: int
    progress: bool


@dataclass(frozen=True)
class Candidates:
    """What a backend found.

    Attributes
    ----------
    pairs
        Compared pairs of rows (``m × 2``, int64, ``i < j``).
    similarity
        Similarity of each pair (float).
    is_duplicate
        Which pairs are duplicates (the edges of the clusters).
    empty
        Rows that can be nobody's duplicate (no shingles, or blank).
    verified
        MinHash candidates checked by exact Jaccard.
    member_similarity
        Similarity of given pairs of rows (``k × 2``), measured as ``similarity``; called
        with each cluster member and its representative.
    """

    pairs: np.ndarray
    similarity: np.ndarray
    is_duplicate: np.ndarray
    empty: np.ndarray
    verified: bool
    member_similarity: Callable[[np.ndarray], np.ndarray]


Backend = Callable[[Sequence[str], BackendOptions, Progress], Candidates]


def _exact(texts: Sequence[str], opts: BackendOptions, bar: Progress) -> Candidates:
    n = len(texts)
    norm = normalize_texts(texts)
    bar.update(n)
    empty = np.array([t == "" for t in norm], bool)
    codes, _ = pd.factorize(pd.Series(norm, dtype=object))
    codes = np.where(empty, -1 - np.arange(n), codes)
    order = np.argsort(codes, kind="stable")
    same = codes[order][1:] == codes[order][:-1]
    pairs = np.stack([order[:-1][same], order[1:][same]], axis=1)
    pairs = np.sort(pairs, axis=1)
    return Candidates(
        pairs=pairs,
        similarity=np.ones(len(pairs)),
        is_duplicate=np.ones(len(pairs), bool),
        empty=empty,
        verified=False,
        member_similarity=lambda mp: np.ones(len(mp)),
    )


def _sign_in_chunks(
    texts: Sequence[str], opts: BackendOptions, bar: Progress, *, method: str, out: np.ndarray,
    keep_hashes: bool,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Shingle and sign ``texts`` chunk by chunk into ``out`` (MinHash signatures or SimHash
    fingerprints). Returns the empty rows and, with ``keep_hashes``, the 32-bit shingle
    hashes and their offsets (kept for verification)."""
    n = len(texts)
    empty = np.zeros(n, bool)
    stored: list[np.ndarray] = []
    stored_counts = np.zeros(n, np.int64)
    for sl in chunks(n, opts.chunk_size):
        h, off, signed = hash_and_sign(
            texts[sl], ngram=opts.ngram, unit=opts.unit, num_perm=opts.num_perm, seed=opts.seed, method=method
        )
        empty[sl] = np.diff(off) == 0
        out[sl] = signed
        if keep_hashes:
            stored.append((h & MASK32).astype(np.uint32))
            stored_counts[sl] = np.diff(off)
        bar.update(sl.stop - sl.start)
    if not keep_hashes:
        return empty, None, None
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(stored_counts, out=offsets[1:])
    hashes32 = np.concatenate(stored) if stored else np.zeros(0, np.uint32)
    return empty, hashes32, offsets


def _minhash(texts: Sequence[str], opts: BackendOptions, bar: Progress) -> Candidates:
    n = len(texts)
    verified = resolve_verify(opts.verify, n)
    signatures = np.empty((n, opts.num_perm), np.uint32)
    empty, hashes32, offsets = _sign_in_chunks(
        texts, opts, bar, method="minhash", out=signatures, keep_hashes=verified
    )
    pairs = bucket_pairs(band_keys(signatures, opts.bands, opts.rows), ~empty)
    member_similarity: Callable[[np.ndarray], np.ndarray]
    if verified:
        assert hashes32 is not None and offsets is not None
        sets = sets_from_hashes(hashes32, offsets, sorted_unique(pairs))
        del hashes32
        sims = set_jaccard(sets, pairs)

        def member_similarity(mp: np.ndarray) -> np.ndarray:
            return set_jaccard(sets, mp)  # members all occur in verified pairs
    else:
        sims = signature_similarity(signatures, pairs)

        def member_similarity(mp: np.ndarray) -> np.ndarray:
            return signature_similarity(signatures, mp)

    return Candidates(
        pairs=pairs,
        similarity=sims,
        is_duplicate=sims >= opts.threshold - 1e-12,
        empty=empty,
        verified=verified,
        member_similarity=member_similarity,
    )


def _simhash(texts: Sequence[str], opts: BackendOptions, bar: Progress) -> Candidates:
    fingerprints = np.empty(len(texts), np.uint64)
    empty, _, _ = _sign_in_chunks(texts, opts, bar, method="simhash", out=fingerprints, keep_hashes=False)
    pairs = bucket_pairs(simhash_block_keys(fingerprints, opts.max_hamming), ~empty)
    dist = hamming(fingerprints, pairs)
    within = dist <= opts.max_hamming
    pairs, dist = pairs[within], dist[within]
    return Candidates(
        pairs=pairs,
        similarity=1.0 - dist / 64.0,
        is_duplicate=np.ones(len(pairs), bool),
        empty=empty,
        verified=False,
        member_similarity=lambda mp: 1.0 - hamming(fingerprints, mp) / 64.0,
    )


def _semantic(texts: Sequence[str], opts: BackendOptions, bar: Progress) -> Candidates:
    empty = np.array([t.strip() == "" for t in texts], bool)
    emb = embed(texts, model=opts.model, batch_size=opts.batch_size, device=opts.device, progress=opts.progress)
    bar.update(len(texts))
    pairs, sims = cosine_pairs(emb, ~empty, opts.threshold)
    return Candidates(
        pairs=pairs,
        similarity=sims,
        is_duplicate=np.ones(len(pairs), bool),
        empty=empty,
        verified=False,
        member_similarity=lambda mp: np.einsum("ij,ij->i", emb[mp[:, 0]], emb[mp[:, 1]]).astype(float),
    )


BACKENDS: dict[str, Backend] = {
    "exact": _exact,
    "minhash": _minhash,
    "simhash": _simhash,
    "semantic": _semantic,
}
"""Method name → backend."""
