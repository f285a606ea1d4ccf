"""Dedup options shared by every engine: names, limits, checks and the LSH layout.

The local engine (:mod:`workbench.dedup.local`) and the Spark engine
(:mod:`workbench.dedup.spark`) both call :func:`check_options`, :func:`resolve_lsh` and
:func:`resolve_verify`, so the two accept the same values, say the same things about bad
ones and choose the same bands × rows for a threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench._validation import check_choice, require_no_missing, validate_table
from workbench.errors import WorkbenchError

__all__ = [
    "DEFAULT_SEED",
    "KEEPS",
    "MAX_PARTNERS",
    "METHODS",
    "UNITS",
    "VERIFY_MAX_DOCS",
    "DedupSettings",
    "Keep",
    "Method",
    "Unit",
    "candidate_probability",
    "check_max_hamming",
    "check_options",
    "dedup_settings",
    "lsh_params",
    "resolve_lsh",
    "resolve_verify",
    "validated_texts",
]

Method = Literal["exact", "minhash", "simhash", "semantic"]
Unit = Literal["word", "char"]
Keep = Literal["first", "longest"] | Callable[[pd.DataFrame], Any]

METHODS = ("exact", "minhash", "simhash", "semantic")
UNITS = ("word", "char")
KEEPS = ("first", "longest")

DEFAULT_SEED = 1
MAX_PARTNERS = 100  # within one LSH bucket, each document is paired with at most this many
VERIFY_MAX_DOCS = 2_000_000  # verify=None verifies candidates up to this many documents


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



def check_options(method: str, threshold: float, ngram: int, unit: str, num_perm: int, keep: object) -> None:
    """Raise :class:`~workbench.errors.WorkbenchError` on an unknown or out-of-range option.

    Examples
    --------
    >>> check_options("minhash", 0.8, 5, "word", 128, "first")
    >>> check_options("minhash", 1.5, 5, "word", 128, "first")
    Traceback (most recent call last):
    ...
    workbench.errors.WorkbenchError: threshold=1.5 must be a number in (0, 1]; 0.8 is a common choice.
    """
    check_choice(method, name="method", choices=METHODS)
    check_choice(unit, name="unit", choices=UNITS)
    if not isinstance(threshold, (int, float)) or not 0.0 < float(threshold) <= 1.0:
        raise WorkbenchError(f"threshold={threshold!r} must be a number in (0, 1]; 0.8 is a common choice.")
    if not isinstance(ngram, (int, np.integer)) or ngram < 1:
        raise WorkbenchError(f"ngram={ngram!r} must be a positive integer, e.g. 5 words or 5 chars.")
    if not isinstance(num_perm, (int, np.integer)) or num_perm < 2:
        raise WorkbenchError(f"num_perm={num_perm!r} must be an integer ≥ 2; 128 is a common choice.")
    if not callable(keep):
        check_choice(keep, name="keep", choices=KEEPS)


def resolve_lsh(
    method: str, threshold: float, num_perm: int, bands: int | None, rows: int | None
) -> tuple[int, int]:
    """The LSH layout ``(bands, rows)``: as given, or chosen by :func:`lsh_params`; ``(0, 0)``
    for methods without LSH.

    Examples
    --------
    >>> resolve_lsh("minhash", 0.8, 128, None, None)
    (13, 7)
    >>> resolve_lsh("exact", 0.8, 128, None, None)
    (0, 0)
    """
    if method != "minhash":
        return 0, 0
    if (bands is None) != (rows is None):
        raise WorkbenchError("give both bands= and rows= (or neither, to choose them from threshold).")
    if bands is None or rows is None:
        bands, rows = lsh_params(threshold, num_perm)
    if bands * rows > num_perm:
        raise WorkbenchError(f"bands × rows = {bands} × {rows} = {bands * rows} exceeds num_perm={num_perm}.")
    return bands, rows


def resolve_verify(verify: bool | None, n_docs: int) -> bool:
    """Whether MinHash candidates are verified by exact Jaccard (``None``: up to
    :data:`VERIFY_MAX_DOCS` documents)."""
    return bool(n_docs <= VERIFY_MAX_DOCS) if verify is None else bool(verify)


def check_max_hamming(max_hamming: object) -> None:
    """SimHash's ``max_hamming`` must be an integer in [0, 63]."""
    if not isinstance(max_hamming, (int, np.integer)) or not 0 <= max_hamming < 64:
        raise WorkbenchError(f"max_hamming={max_hamming!r} must be an integer in [0, 63]; 3 is common.")


def validated_texts(corpus: pd.DataFrame, doc_id: str, text: str) -> list[str]:
    """The texts of a corpus table, after checking its ``doc_id`` and ``text`` columns."""
    frame = validate_table(corpus, "corpus", columns={"doc_id": doc_id, "text": text})
    require_no_missing(frame, text, table="corpus")
    return frame[text].tolist()


@dataclass(frozen=True)
class DedupSettings:
    """Checked settings every engine shares: the method, its shingles and its LSH layout."""

    method: str
    threshold: float
    ngram: int
    unit: Unit
    num_perm: int
    bands: int
    rows: int
    seed: int


def dedup_settings(
    method: str, threshold: float, ngram: int, unit: Unit, num_perm: int, bands: int | None,
    rows: int | None, seed: int,
) -> DedupSettings:
    """The settings of a run, with bands × rows resolved by :func:`resolve_lsh` (call
    :func:`check_options` first).

    Examples
    --------
    >>> dedup_settings("minhash", 0.8, 5, "word", 128, None, None, 1).bands
    13
    """
    threshold = float(threshold)
    bands, rows = resolve_lsh(method, threshold, num_perm, bands, rows)
    return DedupSettings(
        method=method, threshold=threshold, ngram=int(ngram), unit=unit, num_perm=int(num_perm),
        bands=int(bands), rows=int(rows), seed=int(seed),
    )
