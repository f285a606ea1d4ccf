"""Compiled inner loops of the MinHash pipeline (numba, ``parallel=True``).

The hashes are exactly those of the pure-numpy definitions in :mod:`workbench.dedup.kernels`
(token hash: little-endian 8-byte words and splitmix64 rounds; shingle hash: Horner's rule
with an odd multiplier, then splitmix64; permutation: datasketch's ``affine32``), so
signatures are the same bit for bit on every engine; the tests compare them with a
pure-Python reference and with datasketch.

Why compiled: the signature step applies ``num_perm`` permutations to every shingle. In
numpy that needs ``shingles × num_perm`` temporaries and a reduction; here each document's
``num_perm`` running minima stay in registers (128 × uint32 = 16 AVX2 / 8 AVX-512 registers)
and the shingles stream past them four at a time (each permutation's parameters and minimum
loaded once per four candidates), one document per task, documents spread over the cores.
Tokenizing, token hashing and the n-gram combination run in one pass over the UTF-8 bytes,
with no per-token array.

A numba ``parallel=True`` function called from two Python threads at once may abort the
process with the default ``workqueue`` threading layer, so every call goes through a lock:
concurrent callers wait instead. ``NUMBA_NUM_THREADS`` (or :func:`numba.set_num_threads`)
sets the number of cores used.
"""

from __future__ import annotations

import threading

import numba
import numpy as np
from numba import njit, prange

__all__ = ["LOCK", "minhash", "threads", "token_hashes", "word_shingle_hashes"]

#: Serializes calls into the parallel kernels (see the module docstring).
LOCK = threading.Lock()

_U64 = np.uint64
_POLY = np.uint64(0x9E3779B97F4A7C15)
_LENGTH_MIX = np.uint64(0xD6E8FEB86659FD93)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def threads() -> int:
    """The number of threads the compiled kernels use."""
    return int(numba.get_num_threads())


@njit(inline="always")
def _splitmix64(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


@njit(inline="always")
def _fmix32(h: np.uint64) -> np.uint32:  # pragma: no cover - compiled
    x = np.uint32(h & np.uint64(0xFFFFFFFF))
    x = np.uint32(x ^ (x >> np.uint32(16)))
    x = np.uint32(x * np.uint32(0x85EBCA6B))
    x = np.uint32(x ^ (x >> np.uint32(13)))
    x = np.uint32(x * np.uint32(0xC2B2AE35))
    return np.uint32(x ^ (x >> np.uint32(16)))


@njit(inline="always")
def _is_space(c: np.uint8) -> bool:  # pragma: no cover - compiled
    # ASCII whitespace as str.split sees it: \t \n \v \f \r, \x1c-\x1f and the space. The
    # non-ASCII ones left after NFKC (\x85, \u1680, \u2028, \u2029) are replaced by a space
    # before the bytes get here (kernels.fold_texts / _replace_odd_spaces).
    return bool(c == 32 or (9 <= c <= 13) or (28 <= c <= 31))


@njit(inline="always")
def _token_hash(data: np.ndarray, s: int, e: int) -> np.uint64:  # pragma: no cover - compiled
    length = e - s
    w = np.uint64(0)
    stop = min(e, s + 8)
    for j in range(s, stop):
        w |= np.uint64(data[j]) << np.uint64(8 * (j - s))
    h = _splitmix64(w ^ (np.uint64(length) * _LENGTH_MIX))
    p = s + 8
    while p < e:
        w = np.uint64(0)
        stop = min(e, p + 8)
        for j in range(p, stop):
            w |= np.uint64(data[j]) << np.uint64(8 * (j - p))
        h = _splitmix64(h * _POLY + w)
        p += 8
    return h


@njit(inline="always")
def _next_token(data: np.ndarray, p: int, hi: int) -> tuple[int, int]:  # pragma: no cover - compiled
    """The next token at or after ``p``: its start and end (start == hi: none left)."""
    while p < hi and _is_space(data[p]):
        p += 1
    s = p
    while p < hi and not _is_space(data[p]):
        p += 1
    return s, p


@njit(inline="always")
def _count_tokens(data: np.ndarray, lo: int, hi: int) -> int:  # pragma: no cover - compiled
    n = 0
    inside = False
    for p in range(lo, hi):
        if _is_space(data[p]):
            inside = False
        elif not inside:
            inside = True
            n += 1
    return n


@njit(parallel=True, cache=True)
def _token_counts(data: np.ndarray, text_offsets: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    n = len(text_offsets) - 1
    out = np.empty(n, np.int64)
    for d in prange(n):
        out[d] = _count_tokens(data, text_offsets[d], text_offsets[d + 1])
    return out


@njit(parallel=True, cache=True)
def _fill_token_hashes(data: np.ndarray, text_offsets: np.ndarray, tok_offsets: np.ndarray,
                       out: np.ndarray) -> None:  # pragma: no cover - compiled
    n = len(text_offsets) - 1
    for d in prange(n):
        k = tok_offsets[d]
        p, hi = text_offsets[d], text_offsets[d + 1]
        while True:
            s, p = _next_token(data, p, hi)
            if s >= hi:
                break
            out[k] = _token_hash(data, s, p)
            k += 1


@njit(parallel=True, cache=True)
def _fill_shingles(data: np.ndarray, text_offsets: np.ndarray, tok_counts: np.ndarray, sh_offsets: np.ndarray,
                   ngram: int, out: np.ndarray) -> None:  # pragma: no cover - compiled
    n = len(text_offsets) - 1
    for d in prange(n):
        count = tok_counts[d]
        if count == 0:
            continue
        ring = np.empty(ngram, np.uint64)  # the last ``ngram`` token hashes
        seen = 0
        k = sh_offsets[d]
        p, hi = text_offsets[d], text_offsets[d + 1]
        while True:
            s, p = _next_token(data, p, hi)
            if s >= hi:
                break
            ring[seen % ngram] = _token_hash(data, s, p)
            seen += 1
            if seen >= ngram:
                h = np.uint64(0)
                for j in range(seen - ngram, seen):
                    h = h * _POLY + ring[j % ngram]
                out[k] = _splitmix64(h)
                k += 1
        if count < ngram:  # a short text is one shingle of all its tokens
            h = np.uint64(0)
            for j in range(count):
                h = h * _POLY + ring[j]
            out[k] = _splitmix64(h)


@njit(parallel=True, cache=True, error_model="numpy")
def _minhash(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray,
             out: np.ndarray) -> None:  # pragma: no cover - compiled
    n = len(offsets) - 1
    num_perm = a.shape[0]
    for d in prange(n):
        acc = out[d]  # filled with the all-ones sentinel by the caller
        s, hi = offsets[d], offsets[d + 1]
        # four shingles per pass over the permutations: a[k], b[k] and the running minimum are
        # loaded and stored once for four candidates (1.5x fewer cycles than one at a time)
        while s + 4 <= hi:
            x0, x1 = _fmix32(hashes[s]), _fmix32(hashes[s + 1])
            x2, x3 = _fmix32(hashes[s + 2]), _fmix32(hashes[s + 3])
            for k in range(num_perm):
                ak, bk = a[k], b[k]
                m = min(np.uint32(ak * x0 + bk), np.uint32(ak * x1 + bk))
                m = min(m, np.uint32(ak * x2 + bk))
                m = min(m, np.uint32(ak * x3 + bk))
                acc[k] = min(acc[k], m)
            s += 4
        while s < hi:
            x = _fmix32(hashes[s])
            for k in range(num_perm):
                acc[k] = min(acc[k], np.uint32(a[k] * x + b[k]))
            s += 1


def token_hashes(data: np.ndarray, text_offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the whitespace tokens of each text (UTF-8 bytes ``data`` cut at
    ``text_offsets``), and the token offsets per text."""
    with LOCK:
        counts = _token_counts(data, text_offsets)
        offsets = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        out = np.empty(int(offsets[-1]), np.uint64)
        _fill_token_hashes(data, text_offsets, offsets, out)
    return out, offsets


def word_shingle_hashes(data: np.ndarray, text_offsets: np.ndarray, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """Word ``ngram`` shingle hashes of each text (UTF-8 bytes ``data`` cut at ``text_offsets``)
    and their offsets: tokens, token hashes and their combination in one pass per text."""
    with LOCK:
        counts = _token_counts(data, text_offsets)
        shingles = np.where(counts >= ngram, counts - ngram + 1, (counts > 0).astype(np.int64))
        offsets = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(shingles, out=offsets[1:])
        out = np.empty(int(offsets[-1]), np.uint64)
        _fill_shingles(data, text_offsets, counts, offsets, int(ngram), out)
    return out, offsets


def minhash(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signatures (``n_docs × len(a)`` uint32) with datasketch's ``affine32``
    permutations ``(a, b)``; a text without shingles keeps the all-ones sentinel."""
    # filled here, on one thread, before the parallel kernel: a fresh array's pages are then
    # faulted in by one sequential memset (~10 ms for 100,000 × 128) instead of by the kernel's
    # threads at once, which contend for the page-fault path (measured: 110 ms vs 42 ms of work)
    out = np.full((len(offsets) - 1, len(a)), np.uint32(0xFFFFFFFF), np.uint32)
    with LOCK:
        _minhash(np.ascontiguousarray(hashes, np.uint64), np.ascontiguousarray(offsets, np.int64),
                 np.ascontiguousarray(a, np.uint32), np.ascontiguousarray(b, np.uint32), out)
    return out
