"""Verification of candidate pairs: exact Jaccard of shingle sets, or signature agreement.

Exact Jaccard is over the 32-bit shingle hashes that MinHash sees. Each document's sorted
distinct hashes are keyed ``(local id << 32) | hash`` in one sorted array; the intersection
of a pair is counted by looking up the smaller set's keys in the larger set's key range.
:func:`exact_jaccard_pairs` finds all pairs above a threshold without any candidates (sparse
incidence products), the truth that :func:`workbench.dedup.evaluate` scores methods against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.dedup.kernels import MASK32, chunks, shingle_hashes, sorted_unique
from workbench.dedup.options import Unit

__all__ = [
    "ShingleSets",
    "exact_jaccard_pairs",
    "pair_jaccard",
    "set_jaccard",
    "sets_from_hashes",
    "shingle_sets",
    "signature_similarity",
]

_U64 = np.uint64


@dataclass(frozen=True)
class ShingleSets:
    """Sorted distinct 32-bit shingle hashes of some documents, keyed ``(local << 32) | hash``."""

    docs: np.ndarray  # sorted row numbers of the documents held
    keys: np.ndarray  # uint64, globally sorted
    start: np.ndarray  # first key of each local document
    size: np.ndarray  # number of distinct shingles of each local document


def shingle_sets(
    texts: Sequence[str], docs: np.ndarray, *, ngram: int, unit: Unit, chunk_size: int = 20_000
) -> ShingleSets:
    """Shingle the documents ``docs`` (sorted row numbers) again, chunk by chunk, into sets."""
    parts = []
    for sl in chunks(len(docs), chunk_size):
        sub = docs[sl]
        h, off = shingle_hashes([texts[i] for i in sub], ngram=ngram, unit=unit)
        local = np.repeat(np.arange(sl.start, sl.stop, dtype=np.uint64), np.diff(off))
        parts.append(sorted_unique((local << _U64(32)) | (h & MASK32)))
    keys = np.concatenate(parts) if parts else np.zeros(0, np.uint64)  # chunks ascend
    start = np.searchsorted(keys, np.arange(len(docs), dtype=np.uint64) << _U64(32))
    size = np.diff(np.append(start, len(keys)))
    return ShingleSets(docs=docs, keys=keys, start=start, size=size)


def sets_from_hashes(
    hashes32: np.ndarray, offsets: np.ndarray, docs: np.ndarray, *, chunk_size: int = 50_000
) -> ShingleSets:
    """Like :func:`shingle_sets`, from stored 32-bit shingle hashes (no re-shingling)."""
    parts = []
    for sl in chunks(len(docs), chunk_size):
        sub = docs[sl]
        cnt = offsets[sub + 1] - offsets[sub]
        total = int(cnt.sum())
        elem = np.repeat(offsets[sub], cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        local = np.repeat(np.arange(sl.start, sl.stop, dtype=np.uint64), cnt)
        parts.append(sorted_unique((local << _U64(32)) | hashes32[elem].astype(np.uint64)))
    keys = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    start = np.searchsorted(keys, np.arange(len(docs), dtype=np.uint64) << _U64(32))
    size = np.diff(np.append(start, len(keys)))
    return ShingleSets(docs=docs, keys=keys, start=start, size=size)


def set_jaccard(sets: ShingleSets, pairs: np.ndarray, *, max_elements: int = 20_000_000) -> np.ndarray:
    """Exact Jaccard of each pair (rows in ``sets.docs``): the smaller set's keys are looked
    up in the larger set's key range; pairs are processed in bounded batches."""
    out = np.zeros(len(pairs))
    if len(pairs) == 0:
        return out
    keys, start, size = sets.keys, sets.start, sets.size
    la = np.searchsorted(sets.docs, pairs[:, 0])
    lb = np.searchsorted(sets.docs, pairs[:, 1])
    swap = size[la] > size[lb]
    small = np.where(swap, lb, la)
    large = np.where(swap, la, lb)
    cum = np.cumsum(size[small])
    lo = 0
    while lo < len(pairs):
        base = cum[lo - 1] if lo else 0
        hi = int(np.searchsorted(cum, base + max_elements, side="right"))
        hi = max(hi, lo + 1)
        s_idx, l_idx = small[lo:hi], large[lo:hi]
        cnt = size[s_idx]
        total = int(cnt.sum())
        pair_of = np.repeat(np.arange(hi - lo), cnt)
        elem = np.repeat(start[s_idx], cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        query = (l_idx.astype(np.uint64)[pair_of] << _U64(32)) | (keys[elem] & MASK32)
        where = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        inter = np.bincount(pair_of, weights=keys[where] == query, minlength=hi - lo)
        union = size[s_idx] + size[l_idx] - inter
        out[lo:hi] = np.divide(inter, union, out=np.zeros(hi - lo), where=union > 0)
        lo = hi
    return out


def pair_jaccard(
    texts: Sequence[str],
    pairs: np.ndarray,
    *,
    ngram: int,
    unit: Unit,
    chunk_size: int = 20_000,
    max_elements: int = 20_000_000,
) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of each pair (over 32-bit shingle hashes).

    Only the documents that occur in ``pairs`` are shingled again, chunk by chunk; each keeps
    its sorted distinct hashes keyed by ``(local id << 32) | hash``, and the intersection of a
    pair is counted by looking up the smaller set's keys in the larger set's range.
    """
    if len(pairs) == 0:
        return np.zeros(0)
    sets = shingle_sets(texts, sorted_unique(pairs), ngram=ngram, unit=unit, chunk_size=chunk_size)
    return set_jaccard(sets, pairs, max_elements=max_elements)


def signature_similarity(signatures: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Estimated Jaccard: the share of permutations on which the two signatures agree."""
    out = np.empty(len(pairs))
    for sl in chunks(len(pairs), 100_000):
        p = pairs[sl]
        out[sl] = (signatures[p[:, 0]] == signatures[p[:, 1]]).mean(axis=1)
    return out



def exact_jaccard_pairs(
    texts: Sequence[str], query: np.ndarray, *, ngram: int, unit: Unit, threshold: float
) -> pd.DataFrame:
    """All pairs (q, j), q in ``query``, j ≠ q, with exact Jaccard ≥ threshold (sparse products)."""
    from scipy import sparse

    n = len(texts)
    cols, offs = [], [np.zeros(1, np.int64)]
    total = 0
    for sl in chunks(n, 20_000):
        h, off = shingle_hashes(texts[sl], ngram=ngram, unit=unit)
        doc = np.repeat(np.arange(sl.stop - sl.start), np.diff(off))
        code = np.unique(np.stack([doc.astype(np.uint64), h]).T, axis=0) if len(h) else np.zeros((0, 2), np.uint64)
        cols.append(code[:, 1])
        counts = np.bincount(code[:, 0].astype(np.int64), minlength=sl.stop - sl.start)
        offs.append(total + np.cumsum(counts))
        total += len(code)
    all_h = np.concatenate(cols)
    indptr = np.concatenate(offs)
    vocab, col = np.unique(all_h, return_inverse=True)
    x = sparse.csr_matrix((np.ones(len(col), np.float32), col, indptr), shape=(n, len(vocab)))
    size = np.diff(indptr)
    xt = x.T.tocsr()
    out = []
    for sl in chunks(len(query), 2_000):
        q = query[sl]
        inter = (x[q] @ xt).tocoo()
        qi, j, v = q[inter.row], inter.col, inter.data
        jac = v / (size[qi] + size[j] - v)
        keep = (jac >= threshold - 1e-12) & (qi != j)
        out.append(pd.DataFrame({"i": qi[keep], "j": j[keep], "jaccard": jac[keep]}))
    return pd.concat(out, ignore_index=True)
