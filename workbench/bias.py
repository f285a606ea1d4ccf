"""Length and position bias in pairwise preference data, and a length-balancing mitigation.

Every function takes the *preferences* table of the data model (one row per judgment:
``pair_id, annotator_id, choice, response_a, response_b``; ``choice`` is ``a``, ``b`` or
``tie``) with the column names as keyword options.

Lengths (option ``length=``) are measured on the response texts:

* ``"words"`` — number of whitespace-separated runs of characters (``str.split()``);
* ``"chars"`` — number of characters;
* ``"tokens"`` — number of matches of the regular expression ``\\w+|[^\\w\\s]`` (each run of
  letters/digits is one token, each punctuation mark is one token); a cheap, dependency-free
  stand-in for a subword tokenizer;
* ``"columns"`` — the numeric columns ``len_a`` and ``len_b`` as they are (the committed
  samples store word counts there);
* a callable ``f(text)`` returning a number or a sequence (its ``len`` is used), e.g. a
  tokenizer's ``tokenize`` or ``encode`` method.

Conventions
-----------
*Longer preferred* is judged per row among non-tie rows whose two responses differ in length
(``|len_a - len_b| > 0`` and ``>= min_delta``): ties and equal lengths carry no information
about a length preference and are excluded from ``p_longer_preferred`` (their counts are
reported). Rows are treated as independent judgments in the binomial, t and Wilcoxon tests;
the logistic model clusters its standard errors by annotator, which allows for each
annotator's judgments being correlated.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench._internal.stats import binomial_p_half, check_confidence, wilson_interval
from workbench._validation import (
    as_rng,
    check_choice,
    require_columns,
    require_no_missing,
    require_numeric,
    require_probabilities,
    validate_preferences,
)
from workbench.errors import WorkbenchError

__all__ = [
    "LengthBiasResult",
    "LengthControlledWinRate",
    "LengthMeasure",
    "PositionBiasResult",
    "SystemPositions",
    "length_bias",
    "length_controlled_win_rate",
    "position_bias",
    "rebalance_by_length",
    "response_lengths",
    "system_positions",
    "system_win_rates",
]

LengthMeasure = Literal["words", "chars", "tokens", "columns"] | Callable[[str], object]
_LENGTH_CHOICES = ("words", "chars", "tokens", "columns")
_TOKEN_PATTERN = r"\w+|[^\w\s]"
_TABLE = "preferences"
_RESCALE_PROBABILITY = "Rescale it, e.g. AlpacaEval's preference (1-2) minus 1."


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _choices(frame: pd.DataFrame, choice: str) -> np.ndarray:
    return frame[choice].astype(str).str.lower().to_numpy(dtype=object)


def _count_lengths(texts: pd.Series, length: LengthMeasure) -> np.ndarray:
    if callable(length):
        def measure(text: object) -> float:
            if not isinstance(text, str):
                return math.nan
            value = length(text)
            if value is None:
                return math.nan
            if isinstance(value, (int, float, np.integer, np.floating)):
                return float(value)
            return float(len(value))  # type: ignore[arg-type]

        return texts.map(measure).to_numpy(dtype=float)
    s = texts.astype("string")
    if length == "words":
        counts = s.str.count(r"\S+")
    elif length == "chars":
        counts = s.str.len()
    else:  # tokens
        counts = s.str.count(_TOKEN_PATTERN)
    return counts.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def response_lengths(
    preferences: pd.DataFrame,
    *,
    length: LengthMeasure = "words",
    response_a: str = "response_a",
    response_b: str = "response_b",
    len_a: str = "len_a",
    len_b: str = "len_b",
) -> pd.DataFrame:
    """Lengths of both responses of every row, measured as ``length`` says.

    Parameters
    ----------
    preferences
        The preferences table (only the response columns, or ``len_a``/``len_b`` for
        ``length="columns"``, are read).
    length
        ``"words"``, ``"chars"``, ``"tokens"`` (regex ``\\w+|[^\\w\\s]``), ``"columns"``
        (use ``len_a``/``len_b`` as they are) or a callable (see the module notes).
    response_a, response_b, len_a, len_b
        Column names.

    Returns
    -------
    pandas.DataFrame
        ``len_a``, ``len_b`` and ``delta = len_a - len_b`` (floats), index as ``preferences``.

    Raises
    ------
    WorkbenchError
        Unknown ``length``, missing columns, or missing texts / lengths.

    Examples
    --------
    >>> prefs = pd.DataFrame({"response_a": ["Yes.", "It is 4, I think."],
    ...                       "response_b": ["No, it is not.", "4"]})
    >>> response_lengths(prefs, length="tokens")
       len_a  len_b  delta
    0    2.0    6.0   -4.0
    1    7.0    1.0    6.0
    """
    if not callable(length):
        check_choice(length, name="length", choices=_LENGTH_CHOICES + ("a callable",))
    if length == "columns":
        require_columns(preferences, [len_a, len_b], table=_TABLE, option_names=["len_a", "len_b"])
        for col in (len_a, len_b):
            require_numeric(preferences, col, table=_TABLE)
            require_no_missing(preferences, col, table=_TABLE)
        la = pd.to_numeric(preferences[len_a]).to_numpy(dtype=float)
        lb = pd.to_numeric(preferences[len_b]).to_numpy(dtype=float)
    else:
        require_columns(
            preferences, [response_a, response_b], table=_TABLE,
            option_names=["response_a", "response_b"],
        )
        for col in (response_a, response_b):
            require_no_missing(preferences, col, table=_TABLE)
        la = _count_lengths(preferences[response_a], length)
        lb = _count_lengths(preferences[response_b], length)
        bad = preferences.index[np.isnan(la) | np.isnan(lb)]
        if len(bad):
            from workbench._validation import format_rows

            raise WorkbenchError(
                f"table '{_TABLE}': the length function returned no number at "
                f"{format_rows(bad)}. Make it return an int (or a sequence) for every text."
            )
    return pd.DataFrame({"len_a": la, "len_b": lb, "delta": la - lb}, index=preferences.index)


def _t_one_sample(mean: np.ndarray, sd: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / (sd / np.sqrt(n))
        p = 2 * stats.t.sf(np.abs(t), n - 1)
    bad = (n < 2) | ~np.isfinite(t)
    t = np.where(bad, np.nan, t)
    p = np.where(bad, np.nan, p)
    return t, p


def _delta_bins(abs_delta: np.ndarray, bins: int | Sequence[float]) -> pd.Categorical:
    if isinstance(bins, (int, np.integer)):
        if bins < 1:
            raise WorkbenchError(f"delta_bins={bins!r} is not valid; pass a positive number of bins.")
        return pd.qcut(abs_delta, q=int(bins), duplicates="drop")
    edges = np.asarray(list(bins), dtype=float)
    if len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise WorkbenchError(
            f"delta_bins={list(bins)!r} is not valid; pass at least two increasing bin edges "
            "or a number of quantile bins."
        )
    return pd.cut(abs_delta, bins=edges, include_lowest=True)


# --------------------------------------------------------------------------------------------
# length bias
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LengthBiasResult:
    """How strongly the longer response is preferred, with tests and a logistic model.

    Attributes
    ----------
    length
        How lengths were measured (``"words"``, ``"chars"``, ``"tokens"``, ``"columns"`` or
        the callable's name).
    n_judgments, n_ties, n_equal_length, n_below_min_delta
        Rows in the table, rows with ``choice == "tie"``, non-tie rows whose responses have
        the same length, and non-tie rows with ``0 < |delta| < min_delta``.
    n_compared, n_longer_preferred
        Rows entering ``p_longer_preferred`` and how many of them chose the longer response.
    p_longer_preferred, ci_low, ci_high, confidence, p_value
        Share of compared rows that chose the longer response (0.5 = no length preference,
        above 0.5 = longer preferred), its Wilson interval and the exact two-sided binomial
        test against 0.5.
    mean_length_diff, t_statistic, t_p_value, wilcoxon_statistic, wilcoxon_p_value
        Mean of length(chosen) - length(rejected) over all non-tie rows (equal lengths
        included), the paired t-test and the Wilcoxon signed-rank test (zero differences
        dropped) of that difference against 0.
    logit_intercept, logit_slope, logit_slope_se, logit_slope_p_value, logit_cov_type, logit_n_clusters
        Logistic regression ``P(choice = a) = 1 / (1 + exp(-(b0 + b1 * (len_a - len_b))))``
        on non-tie rows; ``logit_slope`` is the change in log-odds per unit of length
        difference (> 0: longer preferred), ``logit_intercept`` the log-odds of choosing
        ``a`` at equal lengths (a position effect). Standard errors are clustered by
        annotator (``cov_type="cluster"``) when there are at least two annotators, else
        heteroskedasticity-robust (``"HC1"``).
    by_delta
        Per bin of ``|delta|``: ``bin, delta_low, delta_high, delta_median, n,
        n_longer_preferred, p_longer_preferred, ci_low, ci_high`` (Wilson).
    groups
        With ``by=``: one row per group with ``n_judgments, n_compared, n_longer_preferred,
        p_longer_preferred, ci_low, ci_high, p_value, mean_length_diff, t_statistic,
        t_p_value``; ``None`` otherwise.
    """

    length: str
    n_judgments: int
    n_ties: int
    n_equal_length: int
    n_below_min_delta: int
    n_compared: int
    n_longer_preferred: int
    p_longer_preferred: float
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float
    mean_length_diff: float
    t_statistic: float
    t_p_value: float
    wilcoxon_statistic: float
    wilcoxon_p_value: float
    logit_intercept: float
    logit_slope: float
    logit_slope_se: float
    logit_slope_p_value: float
    logit_cov_type: str
    logit_n_clusters: int
    by_delta: pd.DataFrame
    groups: pd.DataFrame | None = None

    @property
    def significant(self) -> bool:
        """Whether the binomial test rejects "no length preference" at ``1 - confidence``."""
        return bool(self.p_value < 1 - self.confidence)

    def to_frame(self) -> pd.DataFrame:
        """The four tests as a tidy frame: ``test, estimate, ci_low, ci_high, statistic, p_value, n``."""
        n_nontie = self.n_judgments - self.n_ties
        z = stats.norm.ppf(0.5 + self.confidence / 2)
        rows = [
            ("P(longer preferred), binomial", self.p_longer_preferred, self.ci_low, self.ci_high,
             float(self.n_longer_preferred), self.p_value, self.n_compared),
            ("mean length chosen - rejected, paired t", self.mean_length_diff, math.nan, math.nan,
             self.t_statistic, self.t_p_value, n_nontie),
            ("length chosen - rejected, Wilcoxon", self.mean_length_diff, math.nan, math.nan,
             self.wilcoxon_statistic, self.wilcoxon_p_value, n_nontie),
            (f"logit slope per unit length ({self.logit_cov_type})", self.logit_slope,
             self.logit_slope - z * self.logit_slope_se, self.logit_slope + z * self.logit_slope_se,
             self.logit_slope / self.logit_slope_se if self.logit_slope_se > 0 else math.nan,
             self.logit_slope_p_value, n_nontie),
        ]
        return pd.DataFrame(rows, columns=["test", "estimate", "ci_low", "ci_high", "statistic",
                                           "p_value", "n"])

    def summary(self) -> str:
        """One paragraph in words."""
        pct = f"{self.confidence:.0%}"
        verdict = (
            "The longer response is preferred significantly more often than chance"
            if self.significant and self.p_longer_preferred > 0.5
            else "The shorter response is preferred significantly more often than chance"
            if self.significant
            else "There is no significant length preference"
        )
        return (
            f"{verdict}: the longer response won {self.n_longer_preferred:,} of "
            f"{self.n_compared:,} judgments ({self.p_longer_preferred:.1%}, {pct} CI "
            f"{self.ci_low:.1%}-{self.ci_high:.1%}, binomial p = {self.p_value:.3g}); "
            f"{self.n_ties:,} ties and {self.n_equal_length + self.n_below_min_delta:,} "
            f"equal-length or too-close pairs were left out. Chosen responses are on average "
            f"{abs(self.mean_length_diff):.3g} {self.length} "
            f"{'longer' if self.mean_length_diff >= 0 else 'shorter'} than rejected ones "
            f"(paired t p = {self.t_p_value:.3g}, Wilcoxon p = {self.wilcoxon_p_value:.3g}); the "
            f"logistic slope is {self.logit_slope:+.3g} log-odds per {self.length[:-1] if self.length.endswith('s') else self.length} "
            f"(p = {self.logit_slope_p_value:.3g}, {self.logit_cov_type} standard errors)."
        )


def _length_name(length: LengthMeasure) -> str:
    if callable(length):
        return getattr(length, "__name__", "custom units")
    return "units" if length == "columns" else str(length)


def _logit_length(
    chose_a: np.ndarray, delta: np.ndarray, clusters: np.ndarray
) -> tuple[float, float, float, float, str, int]:
    from statsmodels.discrete.discrete_model import Logit

    nan = (math.nan, math.nan, math.nan, math.nan)
    n_clusters = int(len(np.unique(clusters)))
    if len(chose_a) < 3 or np.all(delta == delta[0]) or np.all(chose_a == chose_a[0]):
        return (*nan, "not estimable", n_clusters)
    X = np.column_stack([np.ones(len(delta)), delta.astype(float)])
    if n_clusters >= 2:
        cov_type, cov_kwds = "cluster", {"groups": pd.factorize(clusters)[0]}
    else:
        cov_type, cov_kwds = "HC1", None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = Logit(chose_a.astype(float), X).fit(
                disp=0, cov_type=cov_type, cov_kwds=cov_kwds, maxiter=100
            )
    except (np.linalg.LinAlgError, ValueError):
        return (*nan, "not estimable", n_clusters)
    params, bse, pvalues = np.asarray(fit.params), np.asarray(fit.bse), np.asarray(fit.pvalues)
    return float(params[0]), float(params[1]), float(bse[1]), float(pvalues[1]), cov_type, n_clusters


def length_bias(
    preferences: pd.DataFrame,
    *,
    length: LengthMeasure = "words",
    min_delta: float = 0,
    by: str | Sequence[str] | None = None,
    delta_bins: int | Sequence[float] = 5,
    confidence: float = 0.95,
    pair: str = "pair_id",
    annotator: str = "annotator_id",
    choice: str = "choice",
    response_a: str = "response_a",
    response_b: str = "response_b",
    len_a: str = "len_a",
    len_b: str = "len_b",
) -> LengthBiasResult:
    """Test whether annotators prefer the longer response.

    Parameters
    ----------
    preferences
        The preferences table (one row per judgment).
    length
        How to measure length: ``"words"``, ``"chars"``, ``"tokens"``, ``"columns"`` or a
        callable (see the module notes).
    min_delta
        Leave out of ``p_longer_preferred`` (and ``by_delta``) the rows whose absolute length
        difference is below this; rows with equal lengths are always left out.
    by
        Column(s) to repeat the main statistics for, e.g. ``"annotator_id"``, ``"vendor"``,
        ``"category"``; the per-group rows land in ``.groups``.
    delta_bins
        Number of quantile bins of ``|len_a - len_b|`` for ``.by_delta``, or explicit edges.
    confidence
        Level of the confidence intervals; tests are judged at ``1 - confidence``.
    pair, annotator, choice, response_a, response_b, len_a, len_b
        Column names.

    Returns
    -------
    LengthBiasResult

    Raises
    ------
    WorkbenchError
        Bad table (see :func:`workbench._validation.validate_preferences`), unknown ``length``,
        bad ``confidence``/``delta_bins``, or no row with a tie-free, unequal-length judgment.

    Notes
    -----
    With :math:`d_i = \\text{len}(a_i) - \\text{len}(b_i)` and the compared rows
    :math:`C = \\{i: \\text{choice}_i \\ne \\text{tie}, |d_i| > 0, |d_i| \\ge \\text{min\\_delta}\\}`,

    .. math:: \\hat p = \\frac{1}{|C|}\\sum_{i \\in C} [\\text{choice}_i = a] \\,\\text{xnor}\\, [d_i > 0].

    The interval is Wilson's score interval (``statsmodels`` ``proportion_confint``), the test
    the exact binomial test against 1/2 (equal to ``scipy.stats.binomtest``). The paired
    tests use :math:`\\text{len(chosen)} - \\text{len(rejected)}` over all non-tie rows.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22(158), 209-212. doi:10.1080/01621459.1927.10502953

    Singhal, P. et al. (2023). A long way to go: investigating length correlations in RLHF.
    arXiv:2310.03716

    Examples
    --------
    >>> prefs = pd.DataFrame({
    ...     "pair_id": [f"p{i}" for i in range(8)], "annotator_id": "ann1",
    ...     "choice": ["a", "b", "a", "a", "b", "b", "a", "tie"],
    ...     "response_a": ["a long answer here", "short", "a long one", "one two three",
    ...                    "x", "y", "p q r s", "same"],
    ...     "response_b": ["brief", "a much longer answer", "no", "four",
    ...                    "x y z", "y z w v", "s", "size"]})
    >>> res = length_bias(prefs)
    >>> res.n_compared, res.n_longer_preferred, res.p_longer_preferred
    (7, 7, 1.0)
    >>> round(res.p_value, 4)
    0.0156
    """
    check_confidence(confidence)
    by_cols = _as_list(by)
    frame = validate_preferences(
        preferences, pair=pair, annotator=annotator, choice=choice,
        response_a=response_a, response_b=response_b, extra={"by": by_cols},
    )
    if not isinstance(min_delta, (int, float)) or min_delta < 0:
        raise WorkbenchError(f"min_delta={min_delta!r} is not valid; pass a number >= 0.")
    lens = response_lengths(frame, length=length, response_a=response_a, response_b=response_b,
                            len_a=len_a, len_b=len_b)
    ch = _choices(frame, choice)
    delta = lens["delta"].to_numpy()
    nontie = ch != "tie"
    chose_a = ch == "a"
    absd = np.abs(delta)
    equal = nontie & (absd == 0)
    below = nontie & (absd > 0) & (absd < min_delta)
    compared = nontie & (absd > 0) & (absd >= min_delta)
    if not compared.any():
        raise WorkbenchError(
            f"table '{_TABLE}': no judgment to test — of {len(frame):,} rows, "
            f"{int((~nontie).sum()):,} are ties and {int(equal.sum() + below.sum()):,} have equal "
            f"lengths or |difference| < min_delta={min_delta}. Lower min_delta or measure length "
            "differently (length='chars')."
        )
    longer = chose_a == (delta > 0)
    k = int((compared & longer).sum())
    n = int(compared.sum())
    lo, hi = wilson_interval(np.array([k]), np.array([n]), confidence)
    p_value = float(binomial_p_half(np.array([k]), np.array([n]))[0])

    # paired tests on length(chosen) - length(rejected), non-tie rows
    diff = np.where(chose_a, delta, -delta)[nontie]
    if len(diff) >= 2 and np.any(diff != diff[0]):
        t_res = stats.ttest_1samp(diff, 0.0)
        t_stat, t_p = float(t_res.statistic), float(t_res.pvalue)
    else:
        t_stat, t_p = math.nan, math.nan
    if np.count_nonzero(diff) >= 1:
        w_res = stats.wilcoxon(diff, zero_method="wilcox")
        w_stat, w_p = float(w_res.statistic), float(w_res.pvalue)
    else:
        w_stat, w_p = math.nan, math.nan

    intercept, slope, slope_se, slope_p, cov_type, n_clusters = _logit_length(
        chose_a[nontie], delta[nontie], frame[annotator].astype(str).to_numpy()[nontie]
    )

    # win rate of the longer response per bin of |delta|
    bins = _delta_bins(absd[compared], delta_bins)
    binned = pd.DataFrame({"bin": bins, "absd": absd[compared], "longer": longer[compared]})
    agg = binned.groupby("bin", observed=True).agg(
        delta_median=("absd", "median"), n=("longer", "size"), n_longer_preferred=("longer", "sum")
    )
    cats = agg.index
    by_delta = pd.DataFrame(
        {
            "bin": cats.astype(str),
            "delta_low": [float(c.left) for c in cats],
            "delta_high": [float(c.right) for c in cats],
            "delta_median": agg["delta_median"].to_numpy(dtype=float),
            "n": agg["n"].to_numpy(dtype=int),
            "n_longer_preferred": agg["n_longer_preferred"].to_numpy(dtype=int),
        }
    )
    by_delta["p_longer_preferred"] = by_delta["n_longer_preferred"] / by_delta["n"]
    by_delta["ci_low"], by_delta["ci_high"] = wilson_interval(
        by_delta["n_longer_preferred"].to_numpy(), by_delta["n"].to_numpy(), confidence
    )

    groups = None
    if by_cols:
        groups = _length_groups(frame, by_cols, nontie, compared, longer, np.where(chose_a, delta, -delta),
                                confidence)

    return LengthBiasResult(
        length=_length_name(length),
        n_judgments=len(frame),
        n_ties=int((~nontie).sum()),
        n_equal_length=int(equal.sum()),
        n_below_min_delta=int(below.sum()),
        n_compared=n,
        n_longer_preferred=k,
        p_longer_preferred=k / n,
        ci_low=float(lo[0]),
        ci_high=float(hi[0]),
        confidence=float(confidence),
        p_value=p_value,
        mean_length_diff=float(diff.mean()) if len(diff) else math.nan,
        t_statistic=t_stat,
        t_p_value=t_p,
        wilcoxon_statistic=w_stat,
        wilcoxon_p_value=w_p,
        logit_intercept=intercept,
        logit_slope=slope,
        logit_slope_se=slope_se,
        logit_slope_p_value=slope_p,
        logit_cov_type=cov_type,
        logit_n_clusters=n_clusters,
        by_delta=by_delta,
        groups=groups,
    )


def _length_groups(
    frame: pd.DataFrame,
    by_cols: list[str],
    nontie: np.ndarray,
    compared: np.ndarray,
    longer: np.ndarray,
    diff_all: np.ndarray,
    confidence: float,
) -> pd.DataFrame:
    work = frame[by_cols].copy()
    work["_nontie"] = nontie
    work["_compared"] = compared
    work["_longer"] = compared & longer
    work["_diff"] = np.where(nontie, diff_all, np.nan)
    g = work.groupby(by_cols, observed=True, dropna=False, sort=True)
    out = g.agg(
        n_judgments=("_nontie", "size"),
        n_compared=("_compared", "sum"),
        n_longer_preferred=("_longer", "sum"),
        mean_length_diff=("_diff", "mean"),
        _sd=("_diff", "std"),
        _n_nontie=("_nontie", "sum"),
    ).reset_index()
    k = out["n_longer_preferred"].to_numpy(dtype=float)
    n = out["n_compared"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["p_longer_preferred"] = np.where(n > 0, k / np.where(n > 0, n, 1), np.nan)
    out["ci_low"], out["ci_high"] = wilson_interval(k, n, confidence)
    out["p_value"] = binomial_p_half(k, n)
    t, p = _t_one_sample(
        out["mean_length_diff"].to_numpy(dtype=float),
        out["_sd"].to_numpy(dtype=float),
        out["_n_nontie"].to_numpy(dtype=float),
    )
    out["t_statistic"], out["t_p_value"] = t, p
    cols = [*by_cols, "n_judgments", "n_compared", "n_longer_preferred", "p_longer_preferred",
            "ci_low", "ci_high", "p_value", "mean_length_diff", "t_statistic", "t_p_value"]
    out = out[cols]
    out["n_compared"] = out["n_compared"].astype(int)
    out["n_longer_preferred"] = out["n_longer_preferred"].astype(int)
    return out


# --------------------------------------------------------------------------------------------
# position bias
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PositionBiasResult:
    """How often the response shown first (position ``a``) is preferred.

    Attributes
    ----------
    n_judgments, n_ties, n_compared, n_first_preferred
        Rows, ties, non-tie rows, and non-tie rows that chose ``a``.
    p_first_preferred, ci_low, ci_high, confidence, p_value
        Share of non-tie rows choosing the first-shown response (0.5 = no position effect),
        Wilson interval, exact two-sided binomial test against 0.5.
    n_swapped_pairs
        Pairs (``pair_id``) shown in both orders, i.e. with rows where the two response texts
        appear as (x, y) and rows where they appear as (y, x).
    swap_consistency, swap_ci_low, swap_ci_high
        Over those pairs, the probability that a non-tie judgment made in one order and one
        made in the other order prefer the same response text, averaged over pairs; with one
        judgment per order (an LLM judge run twice, swapped) it is the share of pairs whose
        verdict survives the swap. 1 = fully consistent; a judge that picks position ``a``
        with probability q regardless of content scores about 1 - q. Wilson interval on the
        number of pairs. NaN when no pair was shown in both orders.
    groups
        With ``by=``: per group ``n_compared, n_first_preferred, p_first_preferred, ci_low,
        ci_high, p_value``.
    """

    n_judgments: int
    n_ties: int
    n_compared: int
    n_first_preferred: int
    p_first_preferred: float
    ci_low: float
    ci_high: float
    confidence: float
    p_value: float
    n_swapped_pairs: int
    swap_consistency: float
    swap_ci_low: float
    swap_ci_high: float
    groups: pd.DataFrame | None = None

    @property
    def significant(self) -> bool:
        """Whether the binomial test rejects "no position preference" at ``1 - confidence``."""
        return bool(self.p_value < 1 - self.confidence)

    def to_frame(self) -> pd.DataFrame:
        """``measure, estimate, ci_low, ci_high, p_value, n`` for both measures."""
        return pd.DataFrame(
            [
                ("P(first shown preferred)", self.p_first_preferred, self.ci_low, self.ci_high,
                 self.p_value, self.n_compared),
                ("swap consistency", self.swap_consistency, self.swap_ci_low, self.swap_ci_high,
                 math.nan, self.n_swapped_pairs),
            ],
            columns=["measure", "estimate", "ci_low", "ci_high", "p_value", "n"],
        )

    def summary(self) -> str:
        """One paragraph in words."""
        verdict = (
            "The first-shown response is preferred significantly more often than chance"
            if self.significant and self.p_first_preferred > 0.5
            else "The second-shown response is preferred significantly more often than chance"
            if self.significant
            else "There is no significant position preference"
        )
        text = (
            f"{verdict}: position a won {self.n_first_preferred:,} of {self.n_compared:,} "
            f"non-tie judgments ({self.p_first_preferred:.1%}, {self.confidence:.0%} CI "
            f"{self.ci_low:.1%}-{self.ci_high:.1%}, binomial p = {self.p_value:.3g})."
        )
        if self.n_swapped_pairs:
            text += (
                f" Of {self.n_swapped_pairs:,} pairs shown in both orders, verdicts agree across "
                f"the swap with probability {self.swap_consistency:.1%} "
                f"({self.swap_ci_low:.1%}-{self.swap_ci_high:.1%})."
            )
        else:
            text += " No pair was shown in both orders, so swap consistency is not measured."
        return text


def position_bias(
    preferences: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    pair: str = "pair_id",
    annotator: str = "annotator_id",
    choice: str = "choice",
    response_a: str = "response_a",
    response_b: str = "response_b",
) -> PositionBiasResult:
    """Test whether the response shown first (position ``a``) is preferred, and swap consistency.

    Parameters
    ----------
    preferences
        The preferences table.
    by
        Column(s) to repeat the position test for (e.g. ``"annotator_id"``) → ``.groups``.
    confidence
        Level of the intervals; the test is judged at ``1 - confidence``.
    pair, annotator, choice, response_a, response_b
        Column names.

    Returns
    -------
    PositionBiasResult

    Raises
    ------
    WorkbenchError
        Bad table or ``confidence``, or only ties.

    Notes
    -----
    :math:`\\hat p = \\#\\{\\text{choice} = a\\} / \\#\\{\\text{choice} \\ne \\text{tie}\\}`
    with a Wilson interval and the exact binomial test against 1/2. For swap consistency a
    pair's order is read from its texts: rows of one ``pair_id`` whose ``(response_a,
    response_b)`` is ``(x, y)`` versus ``(y, x)``. With :math:`s_1, s_2` the shares of non-tie
    judgments preferring ``x`` in the two orders, the pair's consistency is
    :math:`s_1 s_2 + (1 - s_1)(1 - s_2)`.

    References
    ----------
    Zheng, L. et al. (2023). Judging LLM-as-a-judge with MT-Bench and Chatbot Arena
    (position bias, swap consistency). arXiv:2306.05685

    Examples
    --------
    >>> prefs = pd.DataFrame({
    ...     "pair_id": ["p1", "p1", "p2", "p2"], "annotator_id": ["r1", "r2", "r1", "r2"],
    ...     "choice": ["a", "a", "a", "b"],
    ...     "response_a": ["x", "y", "u", "v"], "response_b": ["y", "x", "v", "u"]})
    >>> res = position_bias(prefs)
    >>> res.p_first_preferred, res.n_swapped_pairs, res.swap_consistency
    (0.75, 2, 0.5)
    """
    check_confidence(confidence)
    by_cols = _as_list(by)
    frame = validate_preferences(
        preferences, pair=pair, annotator=annotator, choice=choice,
        response_a=response_a, response_b=response_b, extra={"by": by_cols},
    )
    ch = _choices(frame, choice)
    nontie = ch != "tie"
    chose_a = ch == "a"
    n = int(nontie.sum())
    if n == 0:
        raise WorkbenchError(
            f"table '{_TABLE}': all {len(frame):,} judgments are ties, so position bias cannot "
            "be measured. Check the choice column."
        )
    k = int((nontie & chose_a).sum())
    lo, hi = wilson_interval(np.array([k]), np.array([n]), confidence)
    p_value = float(binomial_p_half(np.array([k]), np.array([n]))[0])

    # swap consistency: canonical order of the two texts within each pair
    ta = frame[response_a].astype("string").fillna("")
    tb = frame[response_b].astype("string").fillna("")
    a_first = (ta <= tb).to_numpy(dtype=bool)  # orientation: x = min(text), y = max(text)
    prefers_x = np.where(a_first, chose_a, ~chose_a)
    work = pd.DataFrame(
        {
            "pair": frame[pair].astype(str).to_numpy(),
            "x": np.where(a_first, ta.to_numpy(dtype=object), tb.to_numpy(dtype=object)),
            "y": np.where(a_first, tb.to_numpy(dtype=object), ta.to_numpy(dtype=object)),
            "orient": a_first,
            "px": prefers_x.astype(float),
        }
    )[nontie & (ta != tb).to_numpy(dtype=bool)]
    shares = work.groupby(["pair", "x", "y", "orient"], observed=True)["px"].mean().unstack("orient")
    n_sw, cons, s_lo, s_hi = 0, math.nan, math.nan, math.nan
    if True in shares.columns and False in shares.columns:
        both = shares.dropna()
        if len(both):
            s1, s2 = both[True].to_numpy(), both[False].to_numpy()
            per_pair = s1 * s2 + (1 - s1) * (1 - s2)
            n_sw = int(len(per_pair))
            cons = float(per_pair.mean())
            l2, h2 = wilson_interval(np.array([per_pair.sum()]), np.array([n_sw]), confidence)
            s_lo, s_hi = float(l2[0]), float(h2[0])

    groups = None
    if by_cols:
        work_g = frame[by_cols].copy()
        work_g["_nontie"] = nontie
        work_g["_first"] = nontie & chose_a
        g = work_g.groupby(by_cols, observed=True, dropna=False, sort=True).agg(
            n_compared=("_nontie", "sum"), n_first_preferred=("_first", "sum")
        ).reset_index()
        kk = g["n_first_preferred"].to_numpy(dtype=float)
        nn = g["n_compared"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            g["p_first_preferred"] = np.where(nn > 0, kk / np.where(nn > 0, nn, 1), np.nan)
        g["ci_low"], g["ci_high"] = wilson_interval(kk, nn, confidence)
        g["p_value"] = binomial_p_half(kk, nn)
        g["n_compared"] = g["n_compared"].astype(int)
        g["n_first_preferred"] = g["n_first_preferred"].astype(int)
        groups = g

    return PositionBiasResult(
        n_judgments=len(frame),
        n_ties=int((~nontie).sum()),
        n_compared=n,
        n_first_preferred=k,
        p_first_preferred=k / n,
        ci_low=float(lo[0]),
        ci_high=float(hi[0]),
        confidence=float(confidence),
        p_value=p_value,
        n_swapped_pairs=n_sw,
        swap_consistency=cons,
        swap_ci_low=s_lo,
        swap_ci_high=s_hi,
        groups=groups,
    )


# --------------------------------------------------------------------------------------------
# length-controlled win rate
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LengthControlledWinRate:
    """Win rate of the candidate response, raw and adjusted to equal lengths.

    ``float(result)`` is the length-controlled win rate.

    Attributes
    ----------
    win_rate, ci_low, ci_high
        Length-controlled win rate: the GLM's predicted probability that the candidate wins,
        with the length term set to 0 (equal lengths) and every other term at its observed
        value, averaged over rows; delta-method interval on the logit scale.
    raw_win_rate, raw_ci_low, raw_ci_high, raw_standard_error
        Mean of the win indicator (tie = 0.5), with a normal interval whose standard error
        is clustered by pair, like the GLM's (with one judgment per pair it is the usual
        ``std(ddof=1) / sqrt(n)``).
    n
        Rows used.
    candidate
        ``"a"`` or ``"b"``: the position whose wins are counted.
    length
        How lengths were measured.
    delta_sd
        Standard deviation of the length difference (candidate - other) used to scale it.
    length_coef, length_coef_se, length_coef_p_value
        Coefficient of ``tanh(delta / delta_sd)`` (> 0: the longer candidate wins more).
    cov_type
        Covariance used for the standard errors (clustered by pair where pairs repeat).
    params
        All GLM coefficients: ``term, coef, se, p_value``.
    """

    win_rate: float
    ci_low: float
    ci_high: float
    raw_win_rate: float
    raw_ci_low: float
    raw_ci_high: float
    raw_standard_error: float
    n: int
    candidate: str
    length: str
    delta_sd: float
    length_coef: float
    length_coef_se: float
    length_coef_p_value: float
    confidence: float
    cov_type: str
    params: pd.DataFrame

    def __float__(self) -> float:
        return float(self.win_rate)

    def to_frame(self) -> pd.DataFrame:
        """``measure, estimate, ci_low, ci_high`` for the raw and the length-controlled win rate."""
        return pd.DataFrame(
            [
                ("raw win rate", self.raw_win_rate, self.raw_ci_low, self.raw_ci_high),
                ("length-controlled win rate", self.win_rate, self.ci_low, self.ci_high),
            ],
            columns=["measure", "estimate", "ci_low", "ci_high"],
        )

    def summary(self) -> str:
        """One paragraph in words."""
        direction = "longer" if self.length_coef > 0 else "shorter"
        return (
            f"Response {self.candidate} wins {self.raw_win_rate:.1%} of {self.n:,} judgments "
            f"(ties count half; {self.confidence:.0%} CI {self.raw_ci_low:.1%}-"
            f"{self.raw_ci_high:.1%}). At equal length the model predicts "
            f"{self.win_rate:.1%} ({self.ci_low:.1%}-{self.ci_high:.1%}); the length term "
            f"favours the {direction} response (coefficient {self.length_coef:+.3g} on "
            f"tanh(delta/{self.delta_sd:.3g} {self.length}), p = {self.length_coef_p_value:.3g})."
        )


def _clustered_mean_se(y: np.ndarray, groups: np.ndarray) -> float:
    """Cluster-robust standard error of ``mean(y)`` (clusters ``groups``, codes 0..G-1).

    :math:`\\sqrt{G/(G-1) \\sum_g (\\sum_{i \\in g} (y_i - \\bar y))^2} / n`, the sandwich of an
    intercept-only model with statsmodels' small-sample factor; with one row per cluster it
    equals the iid ``std(y, ddof=1) / sqrt(n)``.
    """
    n = len(y)
    n_groups = int(groups.max()) + 1 if n else 0
    if n < 2 or n_groups < 2:
        return math.nan
    scores = np.bincount(groups, weights=y - y.mean(), minlength=n_groups)
    return float(math.sqrt(n_groups / (n_groups - 1) * float(scores @ scores)) / n)


def _separating_direction(X: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """A direction ``b != 0`` along which the logistic likelihood keeps rising, or ``None``.

    The maximum-likelihood estimate exists iff no ``b`` has ``x_i b >= 0`` where ``y_i = 1``,
    ``x_i b <= 0`` where ``y_i = 0``, ``x_i b = 0`` where ``0 < y_i < 1``, with at least one
    strict inequality (complete or quasi-complete separation; Albert & Anderson 1984). Found
    by the linear programme of Konis (2007): maximise the summed margin over a box.
    """
    from scipy.optimize import linprog

    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    sign = np.where(y >= 1, 1.0, np.where(y <= 0, -1.0, 0.0))
    hard = sign != 0
    if not hard.any():
        return None
    A_ub = -(sign[hard, None] * Xs[hard])  # sign_i x_i b >= 0
    soft = ~hard
    res = linprog(
        c=-(sign[hard] @ Xs[hard]),
        A_ub=A_ub, b_ub=np.zeros(int(hard.sum())),
        A_eq=Xs[soft] if soft.any() else None,
        b_eq=np.zeros(int(soft.sum())) if soft.any() else None,
        bounds=[(-1.0, 1.0)] * X.shape[1], method="highs",
    )
    if res.status != 0:
        return None
    b = np.asarray(res.x)
    margins = sign[hard] * (Xs[hard] @ b)
    if margins.max() <= 1e-6 or margins.min() < -1e-7 or (
        soft.any() and np.abs(Xs[soft] @ b).max() > 1e-7
    ):
        return None  # no strict margin (or only solver tolerance): the estimate exists
    return b / scale


def _check_identified(
    design: pd.DataFrame, y: np.ndarray, delta: np.ndarray, *, raw: float, n: int, units: str
) -> None:
    """Raise if the GLM's maximum-likelihood estimate does not exist (separation)."""
    advice = (
        f"Report the raw win rate ({raw:.1%} of {n:,} judgments) together with length_bias() "
        "instead, or collect judgments where the outcome goes against this pattern"
    )
    if np.all(y >= 1) or np.all(y <= 0):
        raise WorkbenchError(
            f"table '{_TABLE}': the candidate {'wins' if raw >= 1 else 'loses'} every one of the "
            f"{n:,} judgments, so there is nothing to control for and the length-controlled win "
            f"rate is not identified. Report the raw win rate ({raw:.0%}) instead, or add "
            "judgments (with a baseline the candidate sometimes beats and sometimes loses to)."
        )
    X = design.to_numpy(dtype=float)
    direction = _separating_direction(X[:, :2], y)
    if direction is not None:
        won, lost = delta[y >= 1], delta[y <= 0]
        if direction[1] > 0:
            pattern = (f"every judgment the candidate won has a length difference (candidate - "
                       f"other) of at least {won.min():+,.4g} {units} and every one it lost at most "
                       f"{lost.max():+,.4g}" if len(won) and len(lost) else "")
            against = "the shorter response"
        else:
            pattern = (f"every judgment the candidate won has a length difference (candidate - "
                       f"other) of at most {won.max():+,.4g} {units} and every one it lost at least "
                       f"{lost.min():+,.4g}" if len(won) and len(lost) else "")
            against = "the longer response"
        raise WorkbenchError(
            f"table '{_TABLE}': the length difference fully determines the outcome"
            + (f" ({pattern})" if pattern else "")
            + ", so the length-controlled win rate is not identified (the GLM's length "
            f"coefficient grows without bound). {advice} ({against} winning sometimes), or add data."
        )
    if X.shape[1] > 2:
        direction = _separating_direction(X, y)
        if direction is not None:
            big = np.abs(direction) > 1e-9 * np.abs(direction).max()
            named = [str(t) for t, b in zip(design.columns[2:], big[2:], strict=True) if b]
            named = named or [str(t) for t in design.columns[2:]]
            raise WorkbenchError(
                f"table '{_TABLE}': the covariate term(s) {', '.join(repr(t) for t in named)}"
                f"{' together with the length difference' if big[1] else ''} fully determine "
                "the outcome (e.g. a category in which the candidate always wins or always "
                "loses), so the length-controlled win rate is not identified. Drop or merge "
                f"those covariates (covariates=...), or add data. {advice}."
            )


def length_controlled_win_rate(
    preferences: pd.DataFrame,
    *,
    candidate: Literal["a", "b"] = "a",
    length: LengthMeasure = "chars",
    covariates: Sequence[str] = (),
    win_probability: str | None = None,
    probability_of: Literal["a", "b"] = "b",
    confidence: float = 0.95,
    pair: str = "pair_id",
    annotator: str = "annotator_id",
    choice: str = "choice",
    response_a: str = "response_a",
    response_b: str = "response_b",
    len_a: str = "len_a",
    len_b: str = "len_b",
) -> LengthControlledWinRate:
    """AlpacaEval-2-style length-controlled win rate of the responses in one position.

    *Win* means: the response in position ``candidate`` is preferred over the other response
    of its row (``choice == candidate``); a tie counts as half a win. Put the system you are
    evaluating in one position and the baseline in the other (as AlpacaEval does: candidate
    model vs. a fixed reference model); in data whose a/b order is random the raw win rate of
    a position is about 0.5 by construction.

    Parameters
    ----------
    preferences
        The preferences table.
    candidate
        The position whose win rate is reported.
    length
        How to measure length (see the module notes); ``"chars"`` as in AlpacaEval.
    covariates
        Extra columns entered into the GLM (numeric as they are, others one-hot encoded,
        first level dropped), e.g. ``["category"]``; predictions keep their observed values.
    win_probability
        Optional column holding the probability (0-1) that response ``probability_of`` is
        preferred, used instead of ``choice`` (e.g. AlpacaEval's weighted preference minus 1).
    probability_of
        ``"b"`` (default) or ``"a"``: whose preference ``win_probability`` holds. The
        default follows the data model, whose optional ``win_probability`` column is
        P(response b preferred); pass ``"a"`` for a column holding P(response a preferred).
    confidence
        Level of the intervals.
    pair, annotator, choice, response_a, response_b, len_a, len_b
        Column names.

    Returns
    -------
    LengthControlledWinRate
        ``float(result)`` is the length-controlled win rate.

    Raises
    ------
    WorkbenchError
        Bad table, unknown ``candidate``/``length``, missing covariates, probabilities
        outside 0-1, or a length-controlled win rate that is not identified: the candidate
        wins (or loses) every judgment, or the length difference (or a covariate) fully
        determines the outcome, so the GLM's maximum-likelihood estimate does not exist
        (complete or quasi-complete separation, checked exactly before fitting). The message
        gives the raw win rate to report instead.

    Notes
    -----
    A quasi-binomial GLM (statsmodels ``GLM``, logit link; fractional outcomes allowed)

    .. math:: \\operatorname{logit} P(\\text{win}_i) = \\beta_0 + \\beta_1
              \\tanh(\\Delta_i / \\operatorname{sd}(\\Delta)) + \\gamma^\\top z_i,

    with :math:`\\Delta_i` = length(candidate) - length(other). The length-controlled win
    rate is :math:`\\frac1n \\sum_i \\sigma(\\beta_0 + \\gamma^\\top z_i)`. AlpacaEval 2 fits
    the same form with an instruction-difficulty term and a per-model intercept shared
    across its leaderboard; without those, ours matches it in form, not to the digit.
    Standard errors are clustered by pair when a pair is judged more than once, else HC1;
    the raw win rate's standard error is clustered by pair in the same way, so the two
    intervals are comparable.

    Separation is checked before fitting with the linear programme of Konis (2007): the
    estimate exists iff no coefficient vector puts every win on one side and every loss on
    the other side of a hyperplane (ties on it). A fit that still fails to converge or has
    non-finite standard errors raises as well.

    References
    ----------
    Dubois, Y., Galambosi, B., Liang, P., Hashimoto, T. (2024). Length-controlled AlpacaEval:
    a simple way to debias automatic evaluators. arXiv:2404.04475

    Albert, A., Anderson, J. A. (1984). On the existence of maximum likelihood estimates in
    logistic regression models. Biometrika 71(1), 1-10. doi:10.1093/biomet/71.1.1

    Konis, K. (2007). Linear programming algorithms for detecting separated data in binary
    logistic regression models. DPhil thesis, University of Oxford.

    Examples
    --------
    >>> prefs = pd.DataFrame({
    ...     "pair_id": [f"p{i}" for i in range(6)], "annotator_id": "judge",
    ...     "choice": ["a", "a", "b", "a", "tie", "b"],
    ...     "response_a": ["long answer " * 5, "ok", "long answer " * 4, "x y", "same", "z"],
    ...     "response_b": ["short", "long answer " * 3, "tiny", "x", "also", "z w v"]})
    >>> res = length_controlled_win_rate(prefs, length="words")
    >>> round(res.raw_win_rate, 3)
    0.583
    >>> 0 < float(res) < 1
    True
    """
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    check_confidence(confidence)
    check_choice(candidate, name="candidate", choices=("a", "b"))
    cov_cols = list(covariates)
    frame = validate_preferences(
        preferences, pair=pair, annotator=annotator, choice=choice,
        response_a=response_a, response_b=response_b,
        extra={"covariates": cov_cols, "win_probability": win_probability or None},
    )
    lens = response_lengths(frame, length=length, response_a=response_a, response_b=response_b,
                            len_a=len_a, len_b=len_b)
    if win_probability:
        require_no_missing(frame, win_probability, table=_TABLE)
        require_probabilities(frame, win_probability, table=_TABLE, fix=_RESCALE_PROBABILITY)
        pa = pd.to_numeric(frame[win_probability]).to_numpy(dtype=float)
    else:
        ch = _choices(frame, choice)
        pa = np.where(ch == "a", 1.0, np.where(ch == "b", 0.0, 0.5))
    check_choice(probability_of, name="probability_of", choices=("a", "b"))
    if win_probability and probability_of == "b":
        pa = 1.0 - pa
    y = pa if candidate == "a" else 1.0 - pa
    delta = lens["delta"].to_numpy() * (1.0 if candidate == "a" else -1.0)
    n = len(y)
    sd = float(np.std(delta, ddof=1)) if n > 1 else 0.0
    z_len = np.tanh(delta / sd) if sd > 0 else np.zeros(n)

    design = pd.DataFrame({"const": 1.0, "tanh_delta": z_len})
    if cov_cols:
        for c in cov_cols:
            require_no_missing(frame, c, table=_TABLE)
        covs = frame[cov_cols].reset_index(drop=True)
        num = [c for c in cov_cols if pd.api.types.is_numeric_dtype(covs[c]) and not pd.api.types.is_bool_dtype(covs[c])]
        cat = [c for c in cov_cols if c not in num]
        parts = [covs[num].astype(float)] if num else []
        if cat:
            parts.append(pd.get_dummies(covs[cat].astype(str), drop_first=True, dtype=float))
        design = pd.concat([design, *parts], axis=1)

    pairs = frame[pair].astype(str).to_numpy()
    if len(np.unique(pairs)) < n:
        cov_type, cov_kwds = "cluster", {"groups": pd.factorize(pairs)[0]}
    else:
        cov_type, cov_kwds = "HC1", None
    alpha = 1 - confidence
    zq = float(stats.norm.ppf(1 - alpha / 2))

    raw = float(y.mean())
    raw_se = _clustered_mean_se(y, pd.factorize(pairs)[0])
    raw_lo, raw_hi = max(0.0, raw - zq * raw_se), min(1.0, raw + zq * raw_se)

    _check_identified(design, y, delta, raw=raw, n=n, units=_length_name(length))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = GLM(y, design, family=families.Binomial()).fit(
                cov_type=cov_type, cov_kwds=cov_kwds
            )
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise WorkbenchError(
                f"table '{_TABLE}': the length-controlled GLM could not be fitted ({exc}). "
                "This happens when a covariate is constant or duplicates another; drop that "
                "covariate or add data."
            ) from exc
    beta = fit.params.to_numpy()
    bse = fit.bse.to_numpy()
    if not (fit.converged and np.all(np.isfinite(beta)) and np.all(np.isfinite(bse))):
        coefs = ", ".join(
            f"{t} {b:+.3g} (se {e:.3g})" for t, b, e in zip(design.columns, beta, bse, strict=True)
        )
        raise WorkbenchError(
            f"table '{_TABLE}': the length-controlled GLM did not converge (coefficients {coefs}), "
            "so the length-controlled win rate is not identified. This happens when the length "
            "difference (with the covariates) nearly determines the outcome; report the raw win "
            f"rate ({raw:.1%} of {n:,} judgments) with length_bias(), or add judgments or drop "
            "covariates."
        )
    covm = np.asarray(fit.cov_params())
    x0 = design.to_numpy(dtype=float).copy()
    x0[:, 1] = 0.0
    p0 = 1.0 / (1.0 + np.exp(-(x0 @ beta)))
    lc = float(p0.mean())
    grad = (p0 * (1 - p0)) @ x0 / n  # d mean(p0) / d beta
    se_lc = float(math.sqrt(max(grad @ covm @ grad, 0.0)))
    if 0 < lc < 1:
        se_logit = se_lc / (lc * (1 - lc))
        lg = math.log(lc / (1 - lc))
        lo, hi = 1 / (1 + math.exp(-(lg - zq * se_logit))), 1 / (1 + math.exp(-(lg + zq * se_logit)))
    else:
        lo, hi = math.nan, math.nan
    params = pd.DataFrame(
        {
            "term": list(design.columns),
            "coef": beta,
            "se": fit.bse.to_numpy(),
            "p_value": fit.pvalues.to_numpy(),
        }
    )
    return LengthControlledWinRate(
        win_rate=lc,
        ci_low=lo,
        ci_high=hi,
        raw_win_rate=raw,
        raw_ci_low=raw_lo,
        raw_ci_high=raw_hi,
        raw_standard_error=raw_se,
        n=n,
        candidate=candidate,
        length=_length_name(length),
        delta_sd=sd,
        length_coef=float(beta[1]),
        length_coef_se=float(fit.bse.iloc[1]),
        length_coef_p_value=float(fit.pvalues.iloc[1]),
        confidence=float(confidence),
        cov_type=cov_type,
        params=params,
    )


# --------------------------------------------------------------------------------------------
# mitigation
# --------------------------------------------------------------------------------------------


def rebalance_by_length(
    preferences: pd.DataFrame,
    *,
    length: LengthMeasure = "words",
    delta_bins: int | Sequence[float] = 10,
    by: str | Sequence[str] | None = None,
    rng: int | np.random.Generator | None = None,
    pair: str = "pair_id",
    annotator: str = "annotator_id",
    choice: str = "choice",
    response_a: str = "response_a",
    response_b: str = "response_b",
    len_a: str = "len_a",
    len_b: str = "len_b",
) -> pd.DataFrame:
    """Matched subsample in which the length difference carries no information about the choice.

    Within each bin of ``|len_a - len_b|`` (and each group of ``by``), the rows where the
    longer response was chosen and the rows where the shorter one was chosen are
    subsampled at random to the same number, so that P(longer preferred | |delta|) = 1/2 in
    the output. Ties and equal-length rows carry no length information and are kept.

    Parameters
    ----------
    preferences
        The preferences table.
    length
        How to measure length (see the module notes); use the same in the re-test.
    delta_bins
        Number of quantile bins of ``|delta|`` (over non-tie, unequal-length rows), or edges.
        More bins match more finely and drop more rows.
    by
        Column(s) to balance within separately (e.g. ``"annotator_id"`` so that every
        annotator's own length preference is removed).
    rng
        Seed or Generator for the subsampling.
    pair, annotator, choice, response_a, response_b, len_a, len_b
        Column names.

    Returns
    -------
    pandas.DataFrame
        The kept rows of ``preferences`` (all columns, original index, original order).
        Re-test it with :func:`length_bias` with the same ``length``.

    Raises
    ------
    WorkbenchError
        Bad table or options.

    Notes
    -----
    Matching removes length as a signal *by construction*, including whatever part of the
    length effect reflects real quality (longer answers that are genuinely better). It trades
    sample size for balance: the output has ``2 * min(n_longer, n_shorter)`` informative rows
    per bin. Re-testing with the same bins is a check of the implementation; a finer
    ``delta_bins`` in the re-test checks the residual within-bin imbalance.

    Examples
    --------
    >>> prefs = pd.DataFrame({
    ...     "pair_id": [f"p{i}" for i in range(6)], "annotator_id": "ann",
    ...     "choice": ["a", "a", "a", "b", "a", "tie"],
    ...     "response_a": ["one two three", "one two", "a b c d", "x y z", "q", "s"],
    ...     "response_b": ["one", "one", "a", "x", "q r s", "t"]})
    >>> out = rebalance_by_length(prefs, delta_bins=1, rng=0)
    >>> len(out), length_bias(out).p_longer_preferred
    (5, 0.5)
    """
    by_cols = _as_list(by)
    frame = validate_preferences(
        preferences, pair=pair, annotator=annotator, choice=choice,
        response_a=response_a, response_b=response_b, extra={"by": by_cols},
    )
    gen = as_rng(rng)
    lens = response_lengths(frame, length=length, response_a=response_a, response_b=response_b,
                            len_a=len_a, len_b=len_b)
    ch = _choices(frame, choice)
    delta = lens["delta"].to_numpy()
    informative = (ch != "tie") & (delta != 0)
    if not informative.any():
        return frame.copy()
    longer = (ch == "a") == (delta > 0)
    absd = np.abs(delta)
    bins = _delta_bins(absd[informative], delta_bins)
    codes = np.asarray(pd.Categorical(bins).codes)
    work = pd.DataFrame({"pos": np.flatnonzero(informative), "bin": codes,
                         "longer": longer[informative]})
    for c in by_cols:
        work[c] = frame[c].to_numpy()[informative]
    # random order inside each (group, bin, class); keep the first min(class sizes) of each
    work["_u"] = gen.random(len(work))
    keys = [*by_cols, "bin"]
    work = work.sort_values([*keys, "longer", "_u"], kind="stable")
    work["_rank"] = work.groupby([*keys, "longer"], dropna=False, observed=True).cumcount()
    n_long = work.groupby(keys, dropna=False, observed=True)["longer"].transform("sum")
    n_all = work.groupby(keys, dropna=False, observed=True)["longer"].transform("size")
    quota = np.minimum(n_long, n_all - n_long)
    kept_pos = work.loc[work["_rank"].to_numpy() < quota.to_numpy(), "pos"].to_numpy()
    keep = ~informative
    keep[kept_pos] = True
    return frame.loc[keep].copy()


# --------------------------------------------------------------------------------------------
# systems in the positions (candidate vs baseline, AlpacaEval style)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemPositions:
    """Whether the positions a/b hold systems, and which position holds the candidate.

    Attributes
    ----------
    systems
        ``True`` when the positions are systems (``model_a``/``model_b`` columns, or a
        ``baseline`` named by the user): a preference for one position is then a preference
        for one system, and position bias is not tested unless the systems swap positions.
    candidate_position
        ``"a"`` or ``"b"``: the position of the system evaluated (after :meth:`orient`).
    candidate, baseline
        Display names of the candidate and the baseline (system names, or ``position a``).
    swapped
        Whether some rows show the candidate in the other position (they are flipped by
        :meth:`orient`); only then is position bias measurable beside the systems.
    win_probability
        Name of the soft-preference column (probability that response **b** is preferred),
        or ``None`` when the hard ``choice`` is used.
    note
        One sentence for the report.
    """

    systems: bool
    candidate_position: str
    candidate: str
    baseline: str
    swapped: bool
    win_probability: str | None
    note: str
    model_a: str = "model_a"
    model_b: str = "model_b"

    def win_rate_options(self) -> dict[str, str | None]:
        """Keyword options of :func:`length_controlled_win_rate` for this reading."""
        return {"candidate": self.candidate_position, "win_probability": self.win_probability,
                "probability_of": "b"}

    @property
    def test_position_bias(self) -> bool:
        """Position bias is measurable: no systems in the positions, or systems that swap."""
        return not self.systems or self.swapped

    def orient(self, preferences: pd.DataFrame, *, choice: str = "choice", response_a: str = "response_a",
               response_b: str = "response_b") -> pd.DataFrame:
        """Rows flipped so the candidate sits in ``candidate_position`` on every row.

        Flipping swaps the responses, the model columns and ``choice`` a↔b, and replaces a
        win probability ``p`` (P(b preferred)) by ``1 - p``.
        """
        if not self.systems or self.model_a not in preferences.columns:
            return preferences
        other = self.model_b if self.candidate_position == "a" else self.model_a
        flip = (preferences[other].astype(str) == self.candidate).to_numpy()
        if not flip.any():
            return preferences
        out = preferences.copy()
        for x, y in ((response_a, response_b), (self.model_a, self.model_b)):
            if x in out.columns and y in out.columns:
                out.loc[flip, [x, y]] = out.loc[flip, [y, x]].to_numpy()
        ch = out[choice].astype(str).str.lower()
        out.loc[flip, choice] = ch[flip].map({"a": "b", "b": "a"}).fillna(ch[flip])
        if self.win_probability and self.win_probability in out.columns:
            out.loc[flip, self.win_probability] = 1.0 - pd.to_numeric(out.loc[flip, self.win_probability])
        if "len_a" in out.columns and "len_b" in out.columns:
            out.loc[flip, ["len_a", "len_b"]] = out.loc[flip, ["len_b", "len_a"]].to_numpy()
        return out


def system_positions(
    preferences: pd.DataFrame,
    *,
    candidate: str = "a",
    baseline: str = "",
    model_a: str = "model_a",
    model_b: str = "model_b",
    win_probability: str | None = "auto",
) -> SystemPositions:
    """Read which system sits in which position, from the options and the model columns.

    Parameters
    ----------
    preferences
        Preferences table; optional columns ``model_a``/``model_b`` name the systems in
        positions a and b, optional ``win_probability`` is the probability that response b
        is preferred (in [0, 1]).
    candidate
        ``"a"``/``"b"`` (a position) or the name of a system in the model columns.
    baseline
        Name of the baseline system; a non-empty name says that the positions hold systems
        even without model columns (the candidate's position is then ``candidate``).
    model_a, model_b
        Column names of the systems.
    win_probability
        ``"auto"`` uses the column ``win_probability`` when present; a column name; or
        ``None``/``""`` for the hard ``choice``.

    Raises
    ------
    WorkbenchError
        A candidate name that is in neither model column, or a position that is not a/b.

    Examples
    --------
    >>> prefs = pd.DataFrame({"pair_id": ["p1", "p2"], "annotator_id": "j", "choice": ["a", "b"],
    ...     "response_a": ["x", "y"], "response_b": ["z", "w"], "model_a": "base", "model_b": "new"})
    >>> s = system_positions(prefs, candidate="new")
    >>> s.systems, s.candidate_position, s.baseline, s.test_position_bias
    (True, 'b', 'base', False)
    """
    wp: str | None
    if win_probability == "auto":
        wp = "win_probability" if "win_probability" in preferences.columns else None
    else:
        wp = win_probability or None
    if wp is not None:
        require_columns(preferences, [wp], table=_TABLE)
    has_models = model_a in preferences.columns and model_b in preferences.columns
    if not has_models:
        if candidate not in ("a", "b"):
            raise WorkbenchError(
                f"table '{_TABLE}': candidate={candidate!r} names a system, but the table has no "
                f"'{model_a}'/'{model_b}' columns saying which system is in which position; pass "
                "candidate='a' or 'b' (the candidate's position) and baseline='NAME'."
            )
        if not baseline:
            return SystemPositions(False, candidate, f"position {candidate}", f"position {'b' if candidate == 'a' else 'a'}",
                                   False, wp, "The positions a and b are responses shown first and second.",
                                   model_a, model_b)
        return SystemPositions(
            True, candidate, f"the candidate (position {candidate})", baseline, False, wp,
            f"The positions hold systems: the candidate in {candidate}, {baseline} in the other; a "
            "preference for one position is a preference for one system, so position bias is not tested.",
            model_a, model_b)
    ma, mb = preferences[model_a].astype(str), preferences[model_b].astype(str)
    names = sorted(set(ma) | set(mb))
    if candidate in ("a", "b"):
        col = ma if candidate == "a" else mb
        if col.nunique() != 1:
            raise WorkbenchError(
                f"table '{_TABLE}': position {candidate} holds {col.nunique()} systems "
                f"({', '.join(sorted(col.unique())[:5])}); pass candidate=NAME of the system to evaluate."
            )
        name = str(col.iloc[0])
    else:
        if candidate not in names:
            raise WorkbenchError(
                f"table '{_TABLE}': candidate={candidate!r} is in neither '{model_a}' nor '{model_b}'; "
                f"the systems are {', '.join(names[:10])}."
            )
        name = candidate
    in_a, in_b = (ma == name), (mb == name)
    if not (in_a | in_b).all():
        raise WorkbenchError(
            f"table '{_TABLE}': {int((~(in_a | in_b)).sum())} row(s) do not involve the candidate "
            f"{name!r}; keep the rows that compare it with the baseline."
        )
    pos = "a" if in_a.sum() >= in_b.sum() else "b"
    swapped = bool(in_a.any() and in_b.any())
    opponents = sorted(set(mb[in_a]) | set(ma[in_b]))
    base = baseline or ", ".join(opponents[:3]) + (" …" if len(opponents) > 3 else "")
    note = (f"The positions hold systems: {name} against {base}"
            + (f" ({name} in both positions, rows flipped so it is always in {pos}); position bias is "
               "tested on the rows as shown." if swapped else
               f" ({name} always in position {pos}); a preference for one position is a preference for "
               "one system, so position bias is not tested.")
            + (f" Outcomes are the soft win probabilities in '{wp}'." if wp else ""))
    return SystemPositions(True, pos, name, base, swapped, wp, note, model_a, model_b)


def system_win_rates(
    preferences: pd.DataFrame,
    *,
    model_a: str = "model_a",
    model_b: str = "model_b",
    choice: str = "choice",
    win_probability: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Win rate of every system over the judgments it appears in, whatever its position.

    A system in position a wins ``1 - p`` of a judgment and in position b wins ``p``, where
    ``p`` is the ``win_probability`` column (P(b preferred)) or, without it, 1 for choice
    ``b``, 0 for ``a`` and 0.5 for a tie.

    Returns
    -------
    pandas.DataFrame
        One row per system, best first: ``system``, ``n``, ``win_rate``, ``standard_error``
        (``std(wins, ddof=1) / sqrt(n)``, AlpacaEval's), ``ci_low``, ``ci_high`` (normal,
        clipped to [0, 1]), ``n_a``, ``n_b`` (judgments in each position).

    Examples
    --------
    >>> prefs = pd.DataFrame({"choice": ["b", "b", "a", "tie"], "model_a": "base", "model_b": "new"})
    >>> system_win_rates(prefs)[["system", "n", "win_rate"]].to_string(index=False)
    'system  n  win_rate\\n   new  4     0.625\\n  base  4     0.375'
    """
    check_confidence(confidence)
    require_columns(preferences, [model_a, model_b], table=_TABLE)
    if win_probability:
        require_probabilities(preferences, win_probability, table=_TABLE, fix=_RESCALE_PROBABILITY)
        p = pd.to_numeric(preferences[win_probability]).to_numpy(dtype=float)
    else:
        ch = _choices(preferences, choice)
        p = np.where(ch == "b", 1.0, np.where(ch == "a", 0.0, 0.5))
    long = pd.DataFrame({
        "system": np.r_[preferences[model_a].astype(str).to_numpy(), preferences[model_b].astype(str).to_numpy()],
        "win": np.r_[1.0 - p, p],
        "position": np.r_[np.full(len(p), "a"), np.full(len(p), "b")],
    }).dropna(subset=["win"])
    z = stats.norm.ppf(0.5 + confidence / 2)
    g = long.groupby("system", sort=True)
    out = pd.DataFrame({
        "n": g["win"].size(),
        "win_rate": g["win"].mean(),
        "standard_error": g["win"].std(ddof=1) / np.sqrt(g["win"].size()),
        "n_a": g["position"].apply(lambda s: int((s == "a").sum())),
        "n_b": g["position"].apply(lambda s: int((s == "b").sum())),
    })
    out["ci_low"] = (out["win_rate"] - z * out["standard_error"]).clip(0, 1)
    out["ci_high"] = (out["win_rate"] + z * out["standard_error"]).clip(0, 1)
    out = out.reset_index().sort_values("win_rate", ascending=False, ignore_index=True)
    return out[["system", "n", "win_rate", "standard_error", "ci_low", "ci_high", "n_a", "n_b"]]
