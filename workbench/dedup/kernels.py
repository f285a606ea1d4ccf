"""Dedup kernels: pure functions over numpy arrays that every engine (local, Spark) calls.

The MinHash pipeline is a chain of these functions:

:func:`normalize_texts` → :func:`shingle_hashes` → :func:`minhash_signatures` →
:func:`band_keys` → :func:`bucket_pairs` → verification (:mod:`workbench.dedup.verify`) →
clusters (:mod:`workbench.dedup.clusters`).

Normalization is Unicode NFKC, then full case folding (``str.casefold``), then runs of
whitespace collapsed to one space. A word shingle is ``ngram`` consecutive whitespace
tokens, a char shingle ``ngram`` consecutive characters; a document shorter than ``ngram``
tokens is one shingle. Shingles are hashed without building Python strings: the texts' UTF-8
bytes (one Arrow buffer) are split at whitespace and each token is hashed in place, 8 bytes
at a time (splitmix64 rounds), and the hashes of ``ngram`` consecutive tokens are combined by
a polynomial in :math:`\\mathbb{Z}/2^{64}` followed by the splitmix64 finalizer, in one
compiled pass per text (:mod:`workbench.dedup.compiled`). MinHash uses the low 32 bits of
that hash.

MinHash permutations are datasketch's ``affine32`` scheme (datasketch ≥ 2.0):
:math:`\\pi_k(x) = a_k\\,\\mathrm{fmix32}(x) + b_k \\bmod 2^{32}` with odd :math:`a_k`, the
parameters drawn exactly as datasketch draws them from ``numpy.random.RandomState(seed)``.
For the same 32-bit shingle hashes and seed the signatures are identical to
``datasketch.MinHash(num_perm, seed, scheme="affine32")``, which the tests check.

SimHash: a 64-bit fingerprint per document whose bit k is the majority of bit k over its
shingle hashes; fingerprints within Hamming distance d agree on one of d + 1 blocks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence

import numpy as np

from workbench.dedup import compiled
from workbench.dedup.options import DEFAULT_SEED, MAX_PARTNERS, Unit

__all__ = [
    "MASK32",
    "band_keys",
    "bucket_pairs",
    "char_token_hashes",
    "chunks",
    "fmix32",
    "fold_texts",
    "hamming",
    "hash_and_sign",
    "minhash_signatures",
    "ngram_hashes",
    "normalize_text",
    "normalize_texts",
    "permutations",
    "shingle_hashes",
    "simhash_block_keys",
    "simhash_fingerprints",
    "sorted_unique",
    "splitmix64",
    "utf8_buffer",
    "word_token_hashes",
]

_U64 = np.uint64
MASK32 = _U64(0xFFFFFFFF)
_POLY = _U64(0x9E3779B97F4A7C15)  # odd multiplier of the rolling n-gram combination
_CHAR_SALT = _U64(0x51ED27A1B3C9F00D)
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


# --------------------------------------------------------------------------------------
# normalization and shingle hashes
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


def normalize_texts(texts: Sequence[str]) -> list[str]:
    """:func:`normalize_text` over a sequence (the reference path)."""
    return [normalize_text(t) for t in texts]


def fold_texts(texts: Sequence[str]) -> list[str]:
    """NFKC and case folding only; whitespace is handled by the tokenizer."""
    nf = unicodedata.normalize
    return [nf("NFKC", t).casefold() for t in texts]


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer, a bijection on uint64 with full avalanche (wrapping)."""
    x = x ^ (x >> _U64(30))
    x = x * _U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> _U64(27))
    x = x * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def fmix32(x: np.ndarray) -> np.ndarray:
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


def utf8_buffer(folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of all texts in one buffer (uint8) and each text's byte offsets (int64).

    Arrow encodes the texts in C, with no Python bytes object per text. The few characters
    Python's ``str.split`` but not an ASCII scan treats as whitespace are replaced by a space
    first, so the compiled tokenizer splits exactly as ``str.split`` does.
    """
    import pyarrow as pa

    arr = pa.array([_replace_odd_spaces(t) for t in folded], type=pa.large_string())
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64)[: len(folded) + 1] if off_buf is not None else np.zeros(1, np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return data, offsets


def word_token_hashes(folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the whitespace tokens of all texts, and the token offsets per text.

    Whitespace is Python's (``str.split``); each token's UTF-8 bytes are hashed in place,
    8 bytes at a time, with no Python string per token.
    """
    return compiled.token_hashes(*utf8_buffer(folded))


def char_token_hashes(folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the characters of all (whitespace-collapsed) texts, and offsets."""
    texts = [" ".join(t.split()) for t in folded]
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    offsets = np.zeros(len(texts) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    return splitmix64(codes.astype(np.uint64) + _CHAR_SALT), offsets


def ngram_hashes(
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
    return splitmix64(out), sh_off


def shingle_hashes(
    texts: Sequence[str], *, ngram: int = 5, unit: Unit = "word"
) -> tuple[np.ndarray, np.ndarray]:
    """Raw texts → 64-bit shingle hashes (with repeats, in text order) and per-text offsets.

    Examples
    --------
    >>> h, off = shingle_hashes(["a b c d", "A  B c d!", ""], ngram=3)
    >>> off.tolist()
    [0, 2, 4, 4]
    >>> bool(h[0] == h[2]), bool(h[1] == h[3])
    (True, False)
    """
    folded = fold_texts(texts)
    if unit == "word":
        data, text_offsets = utf8_buffer(folded)
        return compiled.word_shingle_hashes(data, text_offsets, ngram)
    tokens, offsets = char_token_hashes(folded)
    return ngram_hashes(tokens, offsets, ngram)


def permutations(num_perm: int, seed: int = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``affine32`` permutation parameters ``(a, b)`` for ``seed`` (uint32)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def minhash_signatures(
    hashes: np.ndarray, offsets: np.ndarray, *, num_perm: int = 128, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """MinHash signatures (``n_docs × num_perm`` uint32) from shingle hashes and offsets.

    Only the low 32 bits of each hash enter. Texts without shingles get the all-ones
    sentinel (``2**32 - 1`` everywhere), as datasketch's empty MinHash does. The compiled
    kernel keeps each document's running minima in registers and spreads documents over the
    cores (:func:`workbench.dedup.compiled.minhash`).

    Examples
    --------
    >>> h, off = shingle_hashes(["a b c d e f", "A  B c d e f", "a b c d e g", ""], ngram=3)
    >>> sig = minhash_signatures(h, off, num_perm=64, seed=1)
    >>> sig.shape, bool((sig[3] == 2**32 - 1).all())
    ((4, 64), True)
    >>> bool((sig[0] == sig[1]).all()), bool((sig[0] == sig[2]).all())  # same shingles; Jaccard 3/5
    (True, False)
    """
    a, b = permutations(num_perm, seed)
    return compiled.minhash(hashes, offsets, a, b)


# --------------------------------------------------------------------------------------
# LSH buckets
# --------------------------------------------------------------------------------------


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per band (``n_docs × bands``): the band's rows hashed together."""
    n = signatures.shape[0]
    keys = np.empty((n, bands), np.uint64)
    for j in range(bands):
        k = np.full(n, _U64(j + 1), np.uint64)
        for c in range(j * rows, (j + 1) * rows):
            k *= _POLY
            k += signatures[:, c].astype(np.uint64)
        keys[:, j] = splitmix64(k)
    return keys


def bucket_pairs(
    keys: np.ndarray, eligible: np.ndarray | None = None, *, max_partners: int = MAX_PARTNERS
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
        codes.append(sorted_unique(lo.astype(np.int64) * n + hi))
    if not codes:
        return np.zeros((0, 2), np.int64)
    code = sorted_unique(np.concatenate(codes))
    return np.stack([code // n, code % n], axis=1)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of a 1-d array by sorting (numpy 2's hash-based ``np.unique``
    is several times slower on large integer arrays)."""
    v = np.sort(values.ravel())
    if len(v) < 2:
        return v
    keep = np.empty(len(v), bool)
    keep[0] = True
    np.not_equal(v[1:], v[:-1], out=keep[1:])
    return v[keep]


def hash_and_sign(
    texts: Sequence[str], *, ngram: int, unit: Unit, num_perm: int, seed: int, method: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shingle hashes, offsets and MinHash signatures (or SimHash fingerprints) of ``texts``.

    The compiled kernels spread the texts over ``compiled.threads()`` cores.

    Examples
    --------
    >>> h, off, sig = hash_and_sign(["the cat sat on the mat", "a dog", ""], ngram=3, unit="word",
    ...                             num_perm=16, seed=1, method="minhash")
    >>> off.tolist(), sig.shape
    ([0, 4, 5, 5], (3, 16))
    """
    h, off = shingle_hashes(texts, ngram=ngram, unit=unit)
    if method == "minhash":
        return h, off, minhash_signatures(h, off, num_perm=num_perm, seed=seed)
    return h, off, simhash_fingerprints(h, off)


def chunks(n: int, size: int) -> Iterator[slice]:
    """Consecutive slices of ``range(n)`` of at most ``size`` elements."""
    for s in range(0, n, size):
        yield slice(s, min(s + size, n))


# --------------------------------------------------------------------------------------
# SimHash
# --------------------------------------------------------------------------------------


def simhash_fingerprints(hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
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


def simhash_block_keys(fingerprints: np.ndarray, max_hamming: int) -> np.ndarray:
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


def hamming(fingerprints: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Hamming distance of the fingerprints of each pair (``m × 2`` rows)."""
    return np.bitwise_count(fingerprints[pairs[:, 0]] ^ fingerprints[pairs[:, 1]]).astype(np.int64)

