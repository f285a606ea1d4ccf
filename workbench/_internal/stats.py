"""Intervals, resampling weights and the confidence-level check, one implementation each.

Every feature module that reports a proportion with an interval, a bootstrap percentile
interval or resamples items takes it from here, so the methods and the accepted ranges are
the same across the package:

* :func:`check_confidence` — a confidence level is a number strictly between 0 and 1.
* :func:`wilson_interval` — Wilson score interval of a proportion (``statsmodels``), ``nan``
  where there are no trials.
* :func:`binomial_p_half` — exact two-sided binomial test against 1/2, vectorized.
* :func:`percentile_interval` — percentile interval of bootstrap replicates, ignoring
  undefined (non-finite) replicates.
* :func:`multinomial_weights` — the ordinary bootstrap: blocks of multinomial draw counts.
* :func:`stratified_weights` — the same, drawn within strata separately (each stratum keeps
  its size).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from workbench.errors import WorkbenchError

__all__ = [
    "binomial_p_half",
    "check_confidence",
    "multinomial_weights",
    "percentile_interval",
    "stratified_weights",
    "wilson_interval",
]


def check_confidence(confidence: object, *, name: str = "confidence") -> float:
    """``confidence`` as a float, or a :class:`WorkbenchError` when it is not in (0, 1).

    Examples
    --------
    >>> check_confidence(0.9)
    0.9
    >>> check_confidence(1.5)
    Traceback (most recent call last):
    ...
    workbench.errors.WorkbenchError: confidence=1.5 is not valid; pass a number strictly between 0 and 1, e.g. 0.95.
    """
    number = isinstance(confidence, (int, float, np.integer, np.floating)) and not isinstance(confidence, bool)
    if not number or not 0.0 < float(confidence) < 1.0:  # type: ignore[arg-type]
        raise WorkbenchError(
            f"{name}={confidence!r} is not valid; pass a number strictly between 0 and 1, e.g. 0.95."
        )
    return float(confidence)  # type: ignore[arg-type]


def wilson_interval(
    successes: np.ndarray | Sequence[float] | float, n: np.ndarray | Sequence[float] | float, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``successes / n``, elementwise; ``nan`` where ``n == 0``.

    Returns arrays of the broadcast shape of the inputs (0-d for scalars: ``float(low)``).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22(158), 209-212. doi:10.1080/01621459.1927.10502953.

    Examples
    --------
    >>> low, high = wilson_interval([8, 0], [10, 0], 0.95)
    >>> [round(float(x), 3) for x in (low[0], high[0])], bool(np.isnan(low[1]))
    ([0.49, 0.943], True)
    """
    s = np.asarray(successes, dtype=float)
    total = np.asarray(n, dtype=float)
    s, total = np.broadcast_arrays(s, total)
    safe = np.where(total > 0, total, 1.0)
    low, high = proportion_confint(s, safe, alpha=1 - confidence, method="wilson")
    low = np.where(total > 0, low, np.nan)
    high = np.where(total > 0, high, np.nan)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def binomial_p_half(k: np.ndarray | Sequence[float], n: np.ndarray | Sequence[float]) -> np.ndarray:
    """Two-sided exact binomial p-value of ``k`` successes in ``n`` against 1/2, vectorized.

    Equals ``scipy.stats.binomtest(k, n, 0.5).pvalue``: for p0 = 1/2 the distribution is
    symmetric, so the two-sided p-value is twice the smaller tail. ``nan`` where ``n == 0``.

    Examples
    --------
    >>> float(binomial_p_half([9], [10])[0].round(4))
    0.0215
    """
    kk = np.asarray(k, dtype=float)
    nn = np.asarray(n, dtype=float)
    out = np.full(kk.shape, np.nan)
    ok = nn > 0
    tail = np.minimum(stats.binom.cdf(kk[ok], nn[ok], 0.5), stats.binom.sf(kk[ok] - 1, nn[ok], 0.5))
    out[ok] = np.minimum(1.0, 2.0 * tail)
    return out


def percentile_interval(replicates: np.ndarray | Sequence[float], confidence: float) -> tuple[float, float]:
    """Percentile interval of bootstrap ``replicates`` at ``confidence``; ``nan`` if none is finite.

    Replicates that are undefined (``nan``, infinite) are left out (Efron & Tibshirani 1993,
    ch. 13).

    Examples
    --------
    >>> [round(x, 6) for x in percentile_interval(np.r_[np.arange(101.0), np.nan], 0.9)]
    [5.0, 95.0]
    """
    x = np.asarray(replicates, dtype=float)
    ok = x[np.isfinite(x)]
    if len(ok) == 0:
        return math.nan, math.nan
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(ok, [tail, 1.0 - tail])
    return float(low), float(high)


def multinomial_weights(
    rng: np.random.Generator, n_units: int, n_resamples: int, *, chunk_cells: int = 20_000_000
) -> Iterator[np.ndarray]:
    """Blocks (resamples × units) of how often each unit is drawn in an ordinary bootstrap.

    Each row is a multinomial draw of ``n_units`` from ``n_units`` equally likely units; the
    blocks together hold ``n_resamples`` rows and each holds at most about ``chunk_cells``
    cells. A statistic that is a function of weighted sums over units is then evaluated for a
    whole block with one matrix product.
    """
    block = max(1, chunk_cells // max(n_units, 1))
    done = 0
    p = np.full(n_units, 1.0 / n_units)
    while done < n_resamples:
        b = min(block, n_resamples - done)
        yield rng.multinomial(n_units, p, size=b).astype(float)
        done += b


def stratified_weights(
    rng: np.random.Generator, strata: Sequence[np.ndarray], n_units: int, n_resamples: int
) -> np.ndarray:
    """How often each unit is drawn (resamples × units), drawn within each stratum separately.

    ``strata`` are arrays of unit positions; each stratum keeps its size in every resample
    (e.g. the gold items and the other items of a vendor comparison). Units in no stratum get
    weight 0.
    """
    w = np.zeros((n_resamples, n_units))
    for idx in strata:
        m = len(idx)
        if m:
            draws = rng.integers(0, m, size=(n_resamples, m)) + (np.arange(n_resamples) * m)[:, None]
            w[:, idx] = np.bincount(draws.ravel(), minlength=n_resamples * m).reshape(n_resamples, m)
    return w
