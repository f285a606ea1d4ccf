"""Label aggregation: majority vote with an explicit tie policy, and Dawid–Skene EM.

Both take the long ``annotations`` table (``item_id``, ``annotator_id``, ``label``) and
return labels indexed by item. Dawid–Skene learns one confusion matrix per annotator and
weighs each judgment by it, so a few careful annotators can outvote a careless majority.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench._internal.coding import Coded, code_annotations
from workbench._validation import as_rng, check_choice
from workbench.errors import ConvergenceWarning, WorkbenchError

__all__ = [
    "DawidSkeneResult",
    "TiePolicy",
    "annotator_flags",
    "compare_to_gold",
    "dawid_skene",
    "dawid_skene_em",
    "majority_vote",
    "vote_shares",
]

TiePolicy = Literal["random", "first", "abstain", "error"]
_TIES = ("random", "first", "abstain", "error")
_EPS = 1e-10


def _coded(annotations: pd.DataFrame, item: str, annotator: str, label: str, value_order: Sequence[Any] | None) -> Coded:
    # items may have a single judgment, but a table from one annotator has nothing to aggregate
    return code_annotations(annotations, item=item, annotator=annotator, label=label, value_order=value_order)


def vote_shares(
    annotations: pd.DataFrame,
    *,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Share of each label among an item's judgments (items × labels, rows sum to 1).

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": [1, 1, 1], "annotator_id": ["u", "v", "w"],
    ...                    "label": ["x", "x", "y"]})
    >>> vote_shares(df).round(2).to_dict("records")
    [{'x': 0.67, 'y': 0.33}]
    """
    coded = _coded(annotations, item, annotator, label, value_order)
    counts = coded.counts().astype(float)
    return pd.DataFrame(
        counts / counts.sum(axis=1, keepdims=True),
        index=coded.items,
        columns=pd.Index(coded.categories, name=label),
    )


def majority_vote(
    annotations: pd.DataFrame,
    *,
    ties: TiePolicy = "random",
    rng: int | np.random.Generator | None = 0,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> pd.Series:
    """The most frequent label of each item, with an explicit policy for ties.

    Parameters
    ----------
    annotations
        Long table, one row per judgment.
    ties
        What a tie between the top labels gets: ``"random"`` (one of the tied labels drawn
        with ``rng``), ``"first"`` (the first tied label in ``value_order``, or in sorted
        order), ``"abstain"`` (missing value) or ``"error"`` (raise, listing the items).
        Never the row order of the table.
    rng
        Seed or Generator for ``ties="random"``.
    item, annotator, label, value_order
        Column names and the category order.

    Returns
    -------
    Series
        Indexed by item (in order of first appearance), named after the label column;
        ``.attrs["n_ties"]`` counts the tied items.

    Raises
    ------
    WorkbenchError
        Bad table (missing columns, empty, missing labels, duplicate (item, annotator)
        rows, labels outside ``value_order``), unknown ``ties``, or ties with ``"error"``.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": [1, 1, 1, 2, 2], "annotator_id": ["u", "v", "w", "u", "v"],
    ...                    "label": ["x", "x", "y", "x", "y"]})
    >>> majority_vote(df, ties="abstain").tolist()
    ['x', nan]
    >>> majority_vote(df, ties="first").tolist()
    ['x', 'x']
    """
    check_choice(ties, name="ties", choices=_TIES)
    coded = _coded(annotations, item, annotator, label, value_order)
    counts = coded.counts()
    top = counts.max(axis=1)
    is_top = counts == top[:, None]
    n_top = is_top.sum(axis=1)
    tied = n_top > 1
    codes = is_top.argmax(axis=1).astype(np.int64)  # first in category order
    if tied.any():
        if ties == "error":
            raise WorkbenchError(
                f"majority_vote: {int(tied.sum())} item(s) have tied top labels, e.g. "
                f"{list(coded.items[tied][:5])!r}. Choose ties='random', 'first' or 'abstain', "
                "or use dawid_skene()."
            )
        if ties == "random":
            gen = as_rng(rng)
            # pick the j-th tied label, j uniform among the n_top tied ones
            pick = np.floor(gen.random(int(tied.sum())) * n_top[tied]).astype(np.int64)
            cum = np.cumsum(is_top[tied], axis=1)
            codes[tied] = (cum > pick[:, None]).argmax(axis=1)
    values = pd.Series(np.asarray(coded.categories, dtype=object)[codes], index=coded.items, name=label)
    if ties == "abstain":
        values = values.where(~tied)
    if not tied.any() or ties != "abstain":
        values = values.astype(pd.Series(list(coded.categories)).dtype) if len(values) else values
    values.attrs["n_ties"] = int(tied.sum())
    return values


@dataclass(frozen=True)
class DawidSkeneResult:
    """Dawid–Skene estimates: labels, posteriors, per-annotator confusion and priors."""

    labels: pd.Series
    """Most probable label per item (index: item)."""
    posteriors: pd.DataFrame
    """P(true label | judgments), items × labels, rows sum to 1."""
    confusion: pd.DataFrame
    """P(given label | true label) per annotator: index (annotator, true label), columns given label."""
    priors: pd.Series
    """Estimated share of each true label."""
    n_iter: int
    converged: bool
    log_likelihood: float
    """Final marginal log-likelihood per judgment."""

    def to_frame(self) -> pd.DataFrame:
        """One row per item: the label, its posterior probability and all posteriors."""
        out = self.posteriors.add_prefix("p_")
        out.insert(0, "confidence", self.posteriors.max(axis=1).to_numpy())
        out.insert(0, "label", self.labels)
        return out

    def annotator_accuracy(self) -> pd.Series:
        """Prior-weighted probability that each annotator gives the true label."""
        diag = pd.Series(
            [self.confusion.at[(a, t), t] for a, t in self.confusion.index],
            index=self.confusion.index,
        )
        weights = self.priors.reindex(diag.index.get_level_values(1)).to_numpy()
        return (diag * weights).groupby(level=0, sort=False).sum().rename("accuracy")

    def near_random(self, margin: float = 0.1) -> pd.Series:
        """Whether each annotator is *near-random*: the package's one definition.

        An annotator is near-random when its Dawid–Skene accuracy is below
        ``max(priors) + margin``: ``max(priors)`` is the accuracy of ignoring the items and
        always giving the most common label, so such an annotator adds (almost) nothing
        beyond chance. Used by :func:`annotator_flags` and :func:`workbench.vendors.compare_vendors`.
        """
        if not (isinstance(margin, (int, float)) and not isinstance(margin, bool) and 0 <= margin < 1):
            raise WorkbenchError(f"near_random_margin={margin!r} must lie in [0, 1), e.g. 0.1.")
        return (self.annotator_accuracy() < float(self.priors.max()) + margin).rename("near_random")

    def summary(self) -> str:
        """One paragraph: convergence, priors, the least and most accurate annotators."""
        acc = self.annotator_accuracy().sort_values()
        state = f"converged after {self.n_iter} iterations" if self.converged else (
            f"did NOT converge in {self.n_iter} iterations"
        )
        priors = ", ".join(f"{k}: {v:.1%}" for k, v in self.priors.items())
        unsure = float((self.posteriors.max(axis=1) < 0.9).mean())
        return (
            f"Dawid–Skene {state} on {len(self.labels):,} items and {len(acc):,} annotators. "
            f"Estimated label shares: {priors}. Least accurate annotator: {acc.index[0]} "
            f"({acc.iloc[0]:.1%}); most accurate: {acc.index[-1]} ({acc.iloc[-1]:.1%}). "
            f"{unsure:.1%} of items have a posterior below 0.9."
        )


def dawid_skene(
    annotations: pd.DataFrame,
    *,
    max_iter: int = 100,
    tol: float = 1e-6,
    smoothing: float = 0.0,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> DawidSkeneResult:
    """Dawid–Skene maximum-likelihood label aggregation by EM (vectorized).

    Parameters
    ----------
    annotations
        Long table, one row per judgment.
    max_iter
        Most EM iterations; reaching it without converging warns ``ConvergenceWarning``.
    tol
        Stop when the marginal log-likelihood per judgment grows by less than ``tol``
        (the same per-judgment criterion as crowd-kit's ``DawidSkene(tol=...)``).
    smoothing
        Pseudo-count added to every confusion cell in the M-step (0: maximum likelihood,
        cells are clipped at 1e-10 as in crowd-kit). A small value such as 0.01 steadies
        annotators with few judgments.
    item, annotator, label, value_order
        Column names and the category order.

    Returns
    -------
    DawidSkeneResult
        ``labels``, ``posteriors``, ``confusion``, ``priors``, ``n_iter``, ``converged``.

    Raises
    ------
    WorkbenchError
        Bad table (see :func:`majority_vote`), ``max_iter < 1``, ``tol <= 0`` or negative
        ``smoothing``.

    Warns
    -----
    ConvergenceWarning
        When ``max_iter`` iterations did not reach ``tol``.

    Notes
    -----
    Starts from the majority-vote shares as posteriors. M-step: priors are the mean
    posteriors, and annotator ``w``'s confusion ``theta[w, t, l]`` is proportional to the
    posterior mass of true label ``t`` on the items where ``w`` said ``l``. E-step:
    ``log P(t | item) = log prior_t + sum_judgments log theta[w, t, l]``, normalized. Both
    steps are one sparse matrix product over the (annotator, label) × item incidence
    matrix, so an iteration costs O(judgments × labels).

    References
    ----------
    Dawid, A. P. & Skene, A. M. (1979). Maximum likelihood estimation of observer
    error-rates using the EM algorithm. Applied Statistics 28(1), 20-28. doi:10.2307/2346806.

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": [1, 1, 1, 2, 2, 2, 3, 3, 3],
    ...                    "annotator_id": ["u", "v", "w"] * 3,
    ...                    "label": ["x", "x", "y", "y", "y", "y", "x", "x", "x"]})
    >>> res = dawid_skene(df)
    >>> res.labels.tolist(), res.converged
    (['x', 'y', 'x'], True)
    """
    if max_iter < 1:
        raise WorkbenchError(f"max_iter={max_iter} must be at least 1.")
    if not tol > 0:
        raise WorkbenchError(f"tol={tol} must be positive, e.g. 1e-6.")
    if smoothing < 0:
        raise WorkbenchError(f"smoothing={smoothing} must be >= 0 (a pseudo-count).")
    coded = _coded(annotations, item, annotator, label, value_order)
    post, priors, theta, n_iter, converged, ll = dawid_skene_em(coded, max_iter, tol, smoothing)
    if not converged:
        warnings.warn(
            f"dawid_skene stopped at max_iter={max_iter} before the log-likelihood settled "
            f"(tol={tol}); raise max_iter or loosen tol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    cats = pd.Index(coded.categories, name=label)
    posteriors = pd.DataFrame(post, index=coded.items, columns=cats)
    labels = pd.Series(np.asarray(coded.categories, dtype=object)[post.argmax(axis=1)], index=coded.items, name=label)
    if len(labels):
        labels = labels.astype(pd.Series(list(coded.categories)).dtype)
    n_ann, k = len(coded.annotators), coded.n_categories
    idx = pd.MultiIndex.from_product([coded.annotators, cats], names=[annotator, f"true_{label}"])
    confusion = pd.DataFrame(theta.transpose(0, 2, 1).reshape(n_ann * k, k), index=idx, columns=cats)
    return DawidSkeneResult(
        labels=labels,
        posteriors=posteriors,
        confusion=confusion,
        priors=pd.Series(priors, index=cats, name="prior"),
        n_iter=n_iter,
        converged=converged,
        log_likelihood=ll,
    )


def dawid_skene_em(
    coded: Coded, max_iter: int, tol: float, smoothing: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, bool, float]:
    """EM on integer codes. Returns posteriors, priors, theta[w, given, true], n_iter, converged, ll.

    The kernel of :func:`dawid_skene` without validation (public for benchmarks):
    ``coded`` is :func:`workbench._internal.coding.code_annotations`'s output.

    Arrays are kept class-major (K × items, K × judgments) so that every reduction over
    classes is an elementwise operation between K contiguous rows, and both EM steps are
    K weighted ``bincount`` calls over the judgments.
    """
    n_items, k, n_ann = coded.n_items, coded.n_categories, len(coded.annotators)
    n_obs = len(coded.label)
    order = np.argsort(coded.item, kind="stable")  # item-sorted judgments: sequential memory access
    item = coded.item[order]
    cell = (coded.annotator * k + coded.label)[order]  # (annotator, given label) of each judgment
    n_cells = n_ann * k
    counts = np.bincount(coded.item * k + coded.label, minlength=n_items * k).reshape(n_items, k)
    post = (counts / counts.sum(axis=1, keepdims=True)).T.copy()  # K × items, majority-vote shares
    prev_ll = -np.inf
    converged = False
    n_iter = 0
    ll = -np.inf
    log_theta = np.zeros((k, n_cells))  # [true, (annotator, given)]
    log_prior = np.zeros(k)
    joint = np.empty((k, n_items))
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is reported after the loop)
        # M-step: priors and confusion from the current posteriors
        prior = np.clip(post.sum(axis=1) / n_items, _EPS, None)
        log_prior = np.log(prior / prior.sum())
        for t in range(k):
            mass = np.bincount(cell, weights=post[t, item], minlength=n_cells) + smoothing
            np.clip(mass, _EPS, None, out=mass)
            mass = mass.reshape(n_ann, k)
            log_theta[t] = np.log(mass / mass.sum(axis=1, keepdims=True)).ravel()
        # E-step: log prior + sum of log confusion of each judgment
        for t in range(k):
            joint[t] = np.bincount(item, weights=log_theta[t, cell], minlength=n_items) + log_prior[t]
        top = joint.max(axis=0)
        # clip far below the top: exp() of < -708 gives subnormal floats, which are slow
        # and change no decision (a posterior of 1e-130 is 0 for every purpose)
        np.exp(np.maximum(joint - top, -300.0), out=post)
        total = post.sum(axis=0)
        post /= total
        ll = float((np.log(total) + top).sum() / n_obs)
        if ll - prev_ll < tol:
            converged = True
            break
        prev_ll = ll
    theta = np.exp(log_theta).reshape(k, n_ann, k).transpose(1, 2, 0)  # [w, given, true]
    return post.T.copy(), np.exp(log_prior), theta, n_iter, converged, ll


def compare_to_gold(
    labels: Mapping[str, pd.Series],
    gold: pd.DataFrame,
    *,
    item: str = "item_id",
    label: str = "label",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Accuracy of several aggregated labelings on gold, and who is right where they differ.

    Parameters
    ----------
    labels
        Method name → labels indexed by item id (e.g. ``{"majority_vote": mv,
        "dawid_skene": ds.labels}``). Missing labels (abstained ties) are not compared.
    gold
        Gold table with ``item_id`` and ``label`` columns (names as given).
    item, label
        Column names of the gold table.
    confidence
        Level of the Wilson interval of each accuracy.

    Returns
    -------
    DataFrame
        Indexed by method (in the order given): ``n`` (gold items the method labeled),
        ``correct``, ``accuracy``, ``ci_low``, ``ci_high``, ``n_differing`` (gold items
        labeled by every method where the methods do not all agree) and
        ``correct_on_differing`` (how many of those the method gets right).

    Raises
    ------
    WorkbenchError
        No labelings, a labeling that is not a Series or has duplicate ids, a bad gold
        table, item ids that share nothing with gold (with a cast hint when they only match
        as text, e.g. ``int64`` ids against ``str`` gold ids), or labels that only match
        gold as text (e.g. ``1`` against ``"1"``).

    Notes
    -----
    Ids and labels are compared by value, never through ``astype(str)``: ``1`` and ``"1"``
    are different ids, and a dtype mismatch is an error with the fix, not a silent zero.

    Examples
    --------
    >>> mv = pd.Series(["a", "b", "a"], index=["i1", "i2", "i3"])
    >>> ds = pd.Series(["a", "a", "a"], index=["i1", "i2", "i3"])
    >>> gold = pd.DataFrame({"item_id": ["i1", "i2"], "label": ["a", "b"]})
    >>> out = compare_to_gold({"mv": mv, "ds": ds}, gold)
    >>> out["accuracy"].tolist(), int(out["n_differing"].iloc[0]), out["correct_on_differing"].tolist()
    ([1.0, 0.5], 1, [1, 0])
    """
    from workbench._internal.coding import item_dtype_hint
    from workbench._internal.stats import check_confidence, wilson_interval
    from workbench._validation import require_frame, validate_table

    if not isinstance(labels, Mapping) or len(labels) == 0:
        raise WorkbenchError(
            "labels must be a non-empty mapping of method name → labels indexed by item, "
            "e.g. {'majority_vote': mv, 'dawid_skene': ds.labels}."
        )
    confidence = check_confidence(confidence)
    g = require_frame(gold, table="gold")
    validate_table(g, "gold", columns={"item_id": item, "label": label})
    truth = pd.Series(np.asarray(g[label], dtype=object), index=pd.Index(g[item]))
    for name, s in labels.items():
        if not isinstance(s, pd.Series):
            raise WorkbenchError(f"labels[{name!r}] is a {type(s).__name__}; pass a Series indexed by item id.")
        if not s.index.is_unique:
            dup = s.index[s.index.duplicated()].unique()[:3].tolist()
            raise WorkbenchError(f"labels[{name!r}] has duplicate item ids, e.g. {dup!r}; pass one label per item.")
    first_name, first = next(iter(labels.items()))
    if not truth.index.isin(first.index).any():
        hint = item_dtype_hint(
            g[item], first.index.to_series(), item=item, other=f"labels[{first_name!r}] index",
            other_cast=f"labels[{first_name!r}].index = labels[{first_name!r}].index.astype(str)",
        )
        raise WorkbenchError(
            f"table 'gold': none of its {len(g)} items (e.g. {list(g[item][:3])!r}) is in the index "
            f"of labels[{first_name!r}]." + (hint or " Check that both use the same item ids.")
        )
    aligned = pd.DataFrame(
        {name: pd.Series(np.asarray(s, dtype=object), index=s.index).reindex(truth.index) for name, s in labels.items()}
    )
    given = pd.Index(pd.unique(aligned.stack().dropna().to_numpy()), dtype=object)
    gold_vals = pd.Index(pd.unique(truth.to_numpy()), dtype=object)
    if len(given) and not gold_vals.isin(given).any() and gold_vals.astype(str).isin(given.astype(str)).any():
        raise WorkbenchError(
            f"table 'gold', column '{label}': its labels {gold_vals[:3].tolist()!r} only match the "
            f"method labels {given[:3].tolist()!r} as text; load both with the same dtype (e.g. "
            f"gold['{label}'] = gold['{label}'].astype(int) for numeric labels)."
        )
    has = aligned.notna()
    right = aligned.eq(truth, axis=0) & has
    every = has.all(axis=1)
    differing = every & (aligned.nunique(axis=1, dropna=True) > 1)
    n = has.sum().to_numpy()
    correct = right.sum().to_numpy()
    lo, hi = wilson_interval(correct, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(n > 0, correct / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {
            "n": n,
            "correct": correct,
            "accuracy": acc,
            "ci_low": lo,
            "ci_high": hi,
            "n_differing": int(differing.sum()),
            "correct_on_differing": right[differing].sum().to_numpy(),
        },
        index=pd.Index(list(labels), name="method"),
    )


def annotator_flags(
    annotations: pd.DataFrame,
    *,
    near_random_margin: float = 0.1,
    straight_line_share: float = 0.9,
    position_share: float | None = None,
    min_judgments: int = 0,
    ds: DawidSkeneResult | None = None,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    value_order: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Annotators to look at: near-random, straight-lining and (for preferences) position-biased.

    Parameters
    ----------
    annotations
        Long table, one row per judgment (a preferences table with ``item="pair_id"``,
        ``label="choice"``).
    near_random_margin
        Near-random: Dawid–Skene accuracy below chance + this margin
        (:meth:`DawidSkeneResult.near_random`, the definition :mod:`workbench.vendors` uses).
    straight_line_share
        Straight-lining: one label makes up at least this share of the annotator's judgments.
    position_share
        Preferences only: position-biased when ``"a"`` or ``"b"`` makes up at least this
        share of the annotator's choices. ``None`` (default) skips the column.
    min_judgments
        Annotators with fewer judgments are never flagged (too little evidence).
    ds
        A Dawid–Skene fit of the same table to reuse (default: fitted here).
    item, annotator, label, value_order
        Column names and category order.

    Returns
    -------
    DataFrame
        Indexed by annotator: ``n``, ``ds_accuracy``, ``chance_accuracy``, ``near_random``,
        ``top_label``, ``top_label_share``, ``straight_lining`` and, with ``position_share``,
        ``share_a``, ``share_b``, ``position_biased``.

    Raises
    ------
    WorkbenchError
        Bad table (see :func:`workbench.agreement.krippendorff_alpha`), shares outside
        (0, 1], a margin outside [0, 1).

    Examples
    --------
    >>> df = pd.DataFrame({"item_id": np.repeat(np.arange(40), 3),
    ...                    "annotator_id": ["u", "v", "w"] * 40,
    ...                    "label": [x for i in range(40) for x in ("xy"[i % 2], "xy"[i % 2], "x")]})
    >>> flags = annotator_flags(df)
    >>> flags["near_random"].tolist(), flags["straight_lining"].tolist()
    ([False, False, True], [False, False, True])
    """
    for name, share in (("straight_line_share", straight_line_share), ("position_share", position_share)):
        if share is not None and not (isinstance(share, (int, float)) and 0 < share <= 1):
            raise WorkbenchError(f"{name}={share!r} must lie in (0, 1], e.g. 0.9.")
    coded = _coded(annotations, item, annotator, label, value_order)
    if ds is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ds = dawid_skene(annotations, item=item, annotator=annotator, label=label, value_order=value_order)
    near = ds.near_random(near_random_margin)
    k, n_ann = coded.n_categories, len(coded.annotators)
    counts = np.bincount(coded.annotator * k + coded.label, minlength=n_ann * k).reshape(n_ann, k)
    n = counts.sum(axis=1)
    shares = counts / n[:, None]
    out = pd.DataFrame(
        {
            "n": n,
            "ds_accuracy": ds.annotator_accuracy().reindex(coded.annotators).to_numpy(),
            "chance_accuracy": float(ds.priors.max()),
            "near_random": near.reindex(coded.annotators).to_numpy(dtype=bool),
            "top_label": np.asarray(coded.categories, dtype=object)[shares.argmax(axis=1)],
            "top_label_share": shares.max(axis=1),
        },
        index=coded.annotators,
    )
    enough = out["n"] >= min_judgments
    out["near_random"] &= enough
    out["straight_lining"] = enough & (out["top_label_share"] >= straight_line_share)
    if position_share is not None:
        side = {str(c).lower(): j for j, c in enumerate(coded.categories)}
        for s in ("a", "b"):
            out[f"share_{s}"] = shares[:, side[s]] if s in side else 0.0
        out["position_biased"] = enough & ((out["share_a"] >= position_share) | (out["share_b"] >= position_share))
    return out
