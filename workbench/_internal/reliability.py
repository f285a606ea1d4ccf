"""Agreement kernels shared by :mod:`workbench.agreement`, :mod:`workbench.vendors` and others.

Cohen's kappa from confusion tables and Krippendorff's alpha from coincidence matrices, both
vectorized over leading axes so that a whole block of bootstrap resamples is one call. The
public functions that validate their input and document the statistics are in
:mod:`workbench.agreement`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["alpha_from_coincidence", "delta2", "disagreement_weights", "kappa_from_confusion"]


def disagreement_weights(k: int, weights: str | None) -> np.ndarray:
    """K×K disagreement weights: ``None`` 0/1, ``"linear"`` ``|i - j|``, ``"quadratic"`` ``(i - j)**2``."""
    idx = np.arange(k)
    diff = np.abs(idx[:, None] - idx[None, :]).astype(float)
    if weights is None:
        return (diff > 0).astype(float)
    if weights == "linear":
        return diff
    return diff**2


def kappa_from_confusion(conf: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Cohen's kappa of one or many K×K confusion tables (leading axes broadcast)."""
    conf = np.asarray(conf, dtype=float)
    n = conf.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = conf.sum(axis=-1)
        cols = conf.sum(axis=-2)
        expected = rows[..., :, None] * cols[..., None, :] / n[..., None, None]
        num = (w * conf).sum(axis=(-2, -1))
        den = (w * expected).sum(axis=(-2, -1))
        kappa = 1.0 - num / den
    return np.where((n > 0) & (den > 0), kappa, np.nan)


def delta2(level: str, values: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    """Squared distance metric between categories; ``n_c`` (…, K) for the ordinal metric."""
    k = len(values)
    if level == "nominal":
        return np.broadcast_to(1.0 - np.eye(k), (*n_c.shape[:-1], k, k))
    if level == "ordinal":
        cum = np.cumsum(n_c, axis=-1)
        lo = np.minimum.outer(np.arange(k), np.arange(k))
        hi = np.maximum.outer(np.arange(k), np.arange(k))
        # sum_{g=lo..hi} n_g - (n_lo + n_hi) / 2
        prev = np.concatenate([np.zeros((*n_c.shape[:-1], 1)), cum[..., :-1]], axis=-1)
        span = cum[..., hi] - prev[..., lo]
        d = span - (n_c[..., lo] + n_c[..., hi]) / 2.0
        return d**2
    diff = values[:, None] - values[None, :]
    if level == "interval":
        d2 = diff**2
    else:
        tot = values[:, None] + values[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            d2 = np.where(tot != 0, (diff / np.where(tot != 0, tot, 1.0)) ** 2, 0.0)
    return np.broadcast_to(d2, (*n_c.shape[:-1], k, k))


def alpha_from_coincidence(o: np.ndarray, level: str, values: np.ndarray) -> np.ndarray:
    """Alpha from one or many coincidence matrices ``o`` (…, K, K)."""
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    d2 = delta2(level, values, n_c)
    observed = (o * d2).sum(axis=(-2, -1))
    expected = np.einsum("...i,...ij,...j->...", n_c, d2, n_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = 1.0 - (n - 1.0) * observed / expected
    return np.where(expected > 0, alpha, np.nan)
