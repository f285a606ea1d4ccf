"""Does the cleaning pay off? Controlled downstream experiments on data interventions.

Train the same small model on each candidate training set (raw, relabeled, filtered…) at an
equal budget, evaluate on the same test set, repeat with fresh subsamples, and report each
set's difference to the first one with a confidence interval and a p-value.

Two tasks:

- ``"classification"``: TF-IDF + logistic regression (scikit-learn) on ``text`` → ``label``;
  metrics accuracy and macro-F1 on a gold test set (higher is better).
- ``"language_model"``: an interpolated Kneser–Ney word bigram model trained on each corpus
  at an equal token budget, scored by held-out perplexity on clean reference text (lower is
  better). The vocabulary is fixed to the reference text's words plus ``<unk>`` so that
  perplexities of different training sets are comparable.

Uncertainty has two sources: which examples the budget drew (repeats) and which test items
happened to be in the test set. Differences are therefore bootstrapped at both levels at
once — repeats and test items resampled with replacement, paired across sets — so a CI
that excludes zero means the effect survives both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench._validation import (
    as_rng,
    check_choice,
    require_columns,
    require_frame,
    require_nonempty,
)
from workbench.errors import WorkbenchError

__all__ = [
    "AblationResult",
    "LabelSets",
    "KneserNeyBigram",
    "ThresholdSweep",
    "CleanedCorpus",
    "clean_corpus",
    "compare_training_sets",
    "label_training_sets",
    "threshold_sweep",
    "tokenize",
]

Task = Literal["classification", "language_model"]
Variance = Literal["auto", "set", "process"]
#: What the intervals answer under each variance (the first sentence after the budget in summary()).
_QUESTION = {
    "set": (
        "The intervals answer: do these given training sets differ, retrained on fresh subsamples "
        "of them and judged on new test items? They treat the sets as fixed and leave out the "
        "variance of drawing another training set"
    ),
    "process": (
        "The intervals answer: would training sets drawn afresh from the processes that made these "
        "sets differ? They include the variance of drawing a new training set (each set "
        "bootstrapped with replacement) as well as of the test items"
    ),
}
#: Share of a set's distinct texts found in the baseline above which the sets share a base.
_SHARED_BASE = 0.5
_TOKEN = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")
_HIGHER_IS_BETTER = {"accuracy": True, "macro_f1": True, "perplexity": False}


def tokenize(text: str) -> list[str]:
    """Lower-cased word and punctuation tokens, the vocabulary unit of the language-model task.

    Examples
    --------
    >>> tokenize("Don't stop!")
    ["don't", 'stop', '!']
    """
    return _TOKEN.findall(text.lower())


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AblationResult:
    """Metric per training set and repeat, and each set's difference to the first.

    Attributes
    ----------
    table : DataFrame
        One row per (set, repeat): ``set``, ``repeat``, ``n_train`` (examples or tokens),
        and the metric columns.
    estimates : DataFrame
        One row per (set, metric): mean over repeats and its CI from the same bootstrap.
    differences : DataFrame
        One row per (set, metric) for every set after the first: ``baseline``, ``estimate``
        (set − baseline, averaged over repeats), ``ci_low``, ``ci_high``, ``p_value``
        (two-sided, from the paired two-level bootstrap), ``significant``, ``better``
        (whether the set beats the baseline, with the metric's direction).
    task, budget, budget_policy
        What was trained and how the sizes were made equal.
    confidence : float
    variance : {"set", "process"}
        Which question the intervals answer: ``"set"`` — these given training sets are the
        object of study (retraining on fresh subsamples of them, new test items);
        ``"process"`` — the sets are draws of the processes that made them, and the
        intervals also cover drawing a new training set from each process.
    variance_reason : str
        Why that variance was used (the caller's choice, or what ``"auto"`` found).
    """

    table: pd.DataFrame
    estimates: pd.DataFrame
    differences: pd.DataFrame
    task: str
    budget: int
    budget_policy: str
    confidence: float
    variance: str = "set"
    variance_reason: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Mean and spread of every metric per set (the scorecard)."""
        metrics = [c for c in self.table.columns if c in _HIGHER_IS_BETTER]
        g = self.table.groupby("set", sort=False)[metrics]
        out = g.mean().add_suffix("_mean").join(g.std(ddof=1).add_suffix("_sd"))
        return out.reset_index()

    def summary(self) -> str:
        """One paragraph: budget policy and each difference with its CI and significance."""
        unit = "tokens" if self.task == "language_model" else "examples"
        parts = [
            f"{self.task.replace('_', ' ').capitalize()} ablation at {self.budget:,} training {unit} per set "
            f"({self.budget_policy}), {self.table['repeat'].nunique()} repeats.",
            _QUESTION[self.variance] + (f" ({self.variance_reason})" if self.variance_reason else "") + ".",
        ]
        for row in self.differences.itertuples():
            verdict = (
                ("better" if row.better else "worse") + " (significant)" if row.significant else "no significant difference"
            )
            parts.append(
                f"{row.set} vs {row.baseline}, {row.metric}: {row.estimate:+.4f} "
                f"[{self.confidence:.0%} CI {row.ci_low:+.4f}, {row.ci_high:+.4f}], p = {row.p_value:.3g}: {verdict}."
            )
        return " ".join(parts)


@dataclass(frozen=True)
class ThresholdSweep:
    """The downstream metric as a function of a filter threshold, with the keep-rate beside it.

    Attributes
    ----------
    table : DataFrame
        One row per threshold: ``threshold``, ``n_kept``, ``keep_rate``, then per metric its
        mean and CI over repeats × test items (``<metric>``, ``<metric>_ci_low``,
        ``<metric>_ci_high``).
    result : AblationResult
        The underlying experiment; the first set is the unfiltered corpus.
    """

    table: pd.DataFrame
    result: AblationResult

    def to_frame(self) -> pd.DataFrame:
        """The sweep table."""
        return self.table

    def summary(self) -> str:
        """One paragraph: best threshold by the first metric, its keep-rate and effect."""
        metric = next(c for c in self.table.columns if c in _HIGHER_IS_BETTER)
        best = self.table.iloc[self.table[metric].idxmax() if _HIGHER_IS_BETTER[metric] else self.table[metric].idxmin()]
        return (
            f"Over {len(self.table)} thresholds, {metric} is best at threshold {best['threshold']:g} "
            f"({best[metric]:.4g}, keeping {best['keep_rate']:.1%} of the corpus). "
            + self.result.summary()
        )


# ------------------------------------------------------------------------ language model


class KneserNeyBigram:
    """Interpolated Kneser–Ney word bigram model over a fixed vocabulary.

    .. math::
        P(w\\mid v) = \\frac{\\max(c(v,w)-D, 0)}{c(v)} + \\frac{D\\,N_{1+}(v\\,\\cdot)}{c(v)}\\,P_c(w),
        \\qquad P_c(w) = \\frac{N_{1+}(\\cdot\\,w) + 1}{N_{1+}(\\cdot\\,\\cdot) + |V|}

    and :math:`P(w\\mid v) = P_c(w)` for an unseen history ``v``. The add-one (``k``) in the
    continuation distribution keeps every word of the fixed vocabulary possible, so held-out
    perplexity is always finite. Counts are computed with numpy on integer token ids.

    Parameters
    ----------
    vocabulary
        The words the model knows; everything else is ``<unk>``. Sentence boundaries are
        ``<s>`` (history only) and ``</s>`` (predicted).
    discount
        Absolute discount ``D`` in (0, 1).
    continuation_smoothing
        The add-k of the continuation distribution (1 above); 0 gives NLTK's
        ``KneserNeyInterpolated`` exactly, with zero probability for words never seen in training.

    References
    ----------
    Chen, S. F. & Goodman, J. (1999). An empirical study of smoothing techniques for language
    modeling. Computer Speech & Language 13(4), 359–394. doi:10.1006/csla.1999.0128

    Examples
    --------
    >>> lm = KneserNeyBigram(["the", "cat", "sat"]).fit(["the cat sat", "the cat"])
    >>> round(float(lm.probabilities("the").sum()), 12)   # a distribution over V ∪ {</s>, <unk>}
    1.0
    """

    def __init__(
        self, vocabulary: list[str] | np.ndarray, *, discount: float = 0.75, continuation_smoothing: float = 1.0
    ) -> None:
        if not 0 < discount < 1:
            raise WorkbenchError(f"discount must be in (0, 1), got {discount}.")
        words = sorted({str(w) for w in vocabulary} - {"<s>", "</s>", "<unk>"})
        self.words = ["<unk>", "</s>", "<s>", *words]
        self.index = {w: i for i, w in enumerate(self.words)}
        self.discount = discount
        self.continuation_smoothing = continuation_smoothing
        self._size = len(self.words)
        self._predictable = self._size - 1  # every word but <s>

    def encode(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids with ``<s>``/``</s>`` around each text, and each text's id offsets."""
        ids: list[int] = []
        offsets = [0]
        get = self.index.get
        for text in texts:
            ids.append(2)
            ids.extend(get(t, 0) for t in tokenize(text))
            ids.append(1)
            offsets.append(len(ids))
        return np.asarray(ids, dtype=np.int64), np.asarray(offsets, dtype=np.int64)

    def fit(self, texts: list[str]) -> KneserNeyBigram:
        """Count bigrams of ``texts``; returns ``self``."""
        ids, offsets = self.encode(texts)
        return self._fit_ids(ids, offsets)

    def _fit_ids(self, ids: np.ndarray, offsets: np.ndarray) -> KneserNeyBigram:
        v = self._size
        starts = np.zeros(len(ids), dtype=bool)
        starts[offsets[:-1]] = True
        prev, nxt = ids[:-1][~starts[1:]], ids[1:][~starts[1:]]
        keys, counts = np.unique(prev * v + nxt, return_counts=True)
        self._keys, self._counts = keys, counts.astype(np.float64)
        hist = keys // v
        self._hist_count = np.bincount(hist, weights=self._counts, minlength=v)
        self._hist_types = np.bincount(hist, minlength=v).astype(np.float64)
        cont = np.bincount(keys % v, minlength=v).astype(np.float64)
        cont[2] = 0.0  # <s> is never predicted
        mass = np.full(v, self.continuation_smoothing)
        mass[2] = 0.0
        self._p_cont = (cont + mass) / (cont.sum() + mass.sum())
        return self

    def _logprob(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        v = self._size
        pos = np.searchsorted(self._keys, prev * v + nxt)
        pos = np.minimum(pos, len(self._keys) - 1)
        c = np.where(self._keys[pos] == prev * v + nxt, self._counts[pos], 0.0)
        ch = self._hist_count[prev]
        seen = ch > 0
        safe = np.where(seen, ch, 1.0)
        p = np.where(
            seen,
            np.maximum(c - self.discount, 0.0) / safe + self.discount * self._hist_types[prev] / safe * self._p_cont[nxt],
            self._p_cont[nxt],
        )
        return np.log(p)

    def probabilities(self, history: str) -> np.ndarray:
        """P(w | history) over every predictable word (``<s>`` excluded)."""
        h = self.index.get(history, 0)
        targets = np.array([i for i in range(self._size) if i != 2])
        return np.exp(self._logprob(np.full(len(targets), h), targets))

    def log_likelihood(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per text: total natural-log likelihood and number of predicted tokens."""
        ids, offsets = self.encode(texts)
        return self._score_ids(ids, offsets)

    def _score_ids(self, ids: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        starts = np.zeros(len(ids), dtype=bool)
        starts[offsets[:-1]] = True
        keep = ~starts[1:]
        lp = self._logprob(ids[:-1][keep], ids[1:][keep])
        doc = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))[1:][keep]
        n = len(offsets) - 1
        return np.bincount(doc, weights=lp, minlength=n), np.bincount(doc, minlength=n).astype(np.float64)


# ------------------------------------------------------------------------------- workers


def _validate_sets(train_sets: Mapping[str, pd.DataFrame], test: pd.DataFrame, cols: list[str]) -> None:
    if not isinstance(train_sets, Mapping) or len(train_sets) < 2:
        raise WorkbenchError(
            "train_sets must map at least two names to tables, e.g. {'raw': raw, 'cleaned': cleaned}; "
            f"got {type(train_sets).__name__} with {len(train_sets) if isinstance(train_sets, Mapping) else 0} entries."
        )
    for name, df in train_sets.items():
        require_frame(df, table=f"train_sets[{name!r}]")
        require_columns(df, cols, table=f"train_sets[{name!r}]")
        require_nonempty(df, table=f"train_sets[{name!r}]")
    require_frame(test, table="test")
    require_columns(test, cols, table="test")
    require_nonempty(test, table="test")


def _classification_runs(
    train_sets: Mapping[str, pd.DataFrame], test: pd.DataFrame, *, text: str, label: str, budget: int,
    n_repeats: int, gen: np.random.Generator, max_features: int, with_replacement: bool,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    test_y = test[label].astype(str).to_numpy()
    classes = np.unique(np.concatenate([test_y, *[df[label].astype(str).unique() for df in train_sets.values()]]))
    y_idx = np.searchsorted(classes, test_y)
    names = list(train_sets)
    pred = np.empty((len(names), n_repeats, len(test)), dtype=np.int64)
    rows = []
    seeds = gen.integers(2**32, size=n_repeats)
    for r in range(n_repeats):
        for s, name in enumerate(names):
            df = train_sets[name]
            take = np.random.default_rng([int(seeds[r]), s]).choice(len(df), size=budget, replace=with_replacement)
            x = df[text].astype(str).to_numpy()[take]
            y = df[label].astype(str).to_numpy()[take]
            vec = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=max_features)
            xs = vec.fit_transform(x)
            if len(np.unique(y)) < 2:
                p = np.full(len(test), np.searchsorted(classes, y[0]))
            else:
                clf = LogisticRegression(max_iter=1000, C=4.0)
                clf.fit(xs, y)
                p = np.searchsorted(classes, clf.predict(vec.transform(test[text].astype(str).to_numpy())))
            pred[s, r] = p
            rows.append({"set": name, "repeat": r, "n_train": budget})
    return pd.DataFrame(rows), pred, y_idx, classes


def _weighted_scores(pred: np.ndarray, y: np.ndarray, w: np.ndarray, k: int) -> dict[str, np.ndarray]:
    """Accuracy and macro-F1 under item weights ``w`` (B × N); ``pred`` is (..., N)."""
    correct = (pred == y).astype(np.float64)
    total = w.sum(axis=-1)
    acc = (correct * w).sum(axis=-1) / total
    f1s = []
    for c in range(k):
        tp = ((pred == c) & (y == c)) * w
        fp = ((pred == c) & (y != c)) * w
        fn = ((pred != c) & (y == c)) * w
        tp, fp, fn = tp.sum(axis=-1), fp.sum(axis=-1), fn.sum(axis=-1)
        denom = 2 * tp + fp + fn
        present = (((y == c) * w).sum(axis=-1) > 0) | ((((pred == c) * w).sum(axis=-1)) > 0)
        f1s.append((np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0), present))
    f1 = sum(v * p for v, p in f1s) / np.maximum(sum(p.astype(np.float64) for _, p in f1s), 1)
    return {"accuracy": acc, "macro_f1": f1}


def _lm_runs(
    train_sets: Mapping[str, pd.DataFrame], test: pd.DataFrame, *, text: str, budget: int, n_repeats: int,
    gen: np.random.Generator, discount: float, with_replacement: bool,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    ref = test[text].astype(str).tolist()
    vocab = sorted({t for doc in ref for t in tokenize(doc)})
    proto = KneserNeyBigram(vocab, discount=discount)
    ref_ids, ref_off = proto.encode(ref)
    names = list(train_sets)
    ll = np.empty((len(names), n_repeats, len(ref)))
    ntok = None
    rows = []
    encoded = {name: proto.encode(train_sets[name][text].astype(str).tolist()) for name in names}
    seeds = gen.integers(2**32, size=n_repeats)
    for r in range(n_repeats):
        for s, name in enumerate(names):
            ids, off = encoded[name]
            lengths = np.diff(off)
            draw = np.random.default_rng([int(seeds[r]), s])
            if with_replacement:  # a bootstrap of the documents, long enough for the budget
                order = draw.integers(len(lengths), size=len(lengths))
                while int((lengths[order] - 1).sum()) < budget:
                    order = np.concatenate([order, draw.integers(len(lengths), size=len(lengths))])
            else:
                order = draw.permutation(len(lengths))
            # documents in random order until the budget of predicted tokens is reached; the last
            # one is cut so that every set gets exactly the same number of training tokens
            predicted = lengths[order] - 1  # <s> is never predicted
            cum = np.cumsum(predicted)
            n_docs = min(int(np.searchsorted(cum, budget, side="left")) + 1, len(order))
            chosen = order[:n_docs]
            take = lengths[chosen].copy()
            over = int(cum[n_docs - 1]) - budget
            if over > 0:
                take[-1] -= over
            sel_off = np.concatenate([[0], np.cumsum(take)])
            sel = np.concatenate([ids[off[d] : off[d] + t] for d, t in zip(chosen, take, strict=True)])
            lm = KneserNeyBigram(vocab, discount=discount)._fit_ids(sel, sel_off)
            lls, ntok = lm._score_ids(ref_ids, ref_off)
            ll[s, r] = lls
            rows.append({"set": name, "repeat": r, "n_train": int(sel_off[-1] - len(chosen))})
    assert ntok is not None
    return pd.DataFrame(rows), ll, ntok


def _budget(sizes: dict[str, int], budget: int | Literal["equal"], unit: str, fraction: float) -> tuple[int, str]:
    smallest = min(sizes.values())
    if budget == "equal":
        name = min(sizes, key=sizes.__getitem__)
        size = max(1, int(fraction * smallest))
        return size, (
            f"equal budget: every set subsampled to {fraction:.0%} of the smallest set, {name!r} "
            f"({size:,} of {smallest:,} {unit})"
        )
    if not isinstance(budget, (int, np.integer)) or budget < 1:
        raise WorkbenchError(f"budget must be 'equal' or a positive int, got {budget!r}.")
    if budget > smallest:
        name = min(sizes, key=sizes.__getitem__)
        raise WorkbenchError(
            f"budget={budget:,} {unit} exceeds the smallest training set {name!r} ({smallest:,} {unit}); "
            "lower it or use budget='equal'."
        )
    return int(budget), f"fixed budget of {int(budget):,} {unit} per set"


def _differences(
    names: list[str], metric_fn, n_repeats: int, n_items: int, *, n_boot: int, confidence: float,
    gen: np.random.Generator, per_repeat: dict[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Two-level paired bootstrap: resample repeats and test items, same draws for every set.

    With ``per_repeat`` (metric → (sets, repeats) values on the whole test set, from
    training sets bootstrapped with replacement), each bootstrap draw also gets the
    variance of drawing a new training set: the spread of the repeats (of a set, or of a
    difference between sets) times a Student t draw with ``n_repeats - 1`` degrees of
    freedom, because that spread is itself estimated from ``n_repeats`` values.
    """
    rep = gen.integers(n_repeats, size=(n_boot, n_repeats))
    items = gen.integers(n_items, size=(n_boot, n_items))
    weights = np.zeros((n_boot, n_items))
    np.add.at(weights, (np.arange(n_boot)[:, None], items), 1.0)
    point = metric_fn(np.ones((1, n_items)), np.arange(n_repeats)[None, :])  # metric -> (sets, 1)
    raw = metric_fn(weights, rep)  # metric -> (sets, n_boot)
    boot = dict(raw)
    if per_repeat is not None:  # each set's own estimate, with its set-draw spread
        boot = {
            m: v + per_repeat[m].std(axis=1, ddof=1)[:, None] * gen.standard_t(n_repeats - 1, size=v.shape)
            for m, v in raw.items()
        }
    alpha = 1 - confidence
    rows = []
    for metric, values in raw.items():
        higher = _HIGHER_IS_BETTER[metric]
        for s in range(1, len(names)):
            d = values[s] - values[0]
            if per_repeat is not None:  # the set-draw spread of the difference itself
                spread = (per_repeat[metric][s] - per_repeat[metric][0]).std(ddof=1)
                d = d + spread * gen.standard_t(n_repeats - 1, size=n_boot)
            est = float(point[metric][s, 0] - point[metric][0, 0])
            lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2])
            p = min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0)) + 1 / n_boot)
            significant = bool(lo > 0 or hi < 0)
            rows.append({
                "set": names[s], "baseline": names[0], "metric": metric, "estimate": est,
                "ci_low": float(lo), "ci_high": float(hi), "p_value": float(p), "significant": significant,
                "better": bool(est > 0) == higher,
            })
    return pd.DataFrame(rows), boot


def compare_training_sets(
    train_sets: Mapping[str, pd.DataFrame],
    test: pd.DataFrame,
    *,
    task: Task = "classification",
    text: str = "text",
    label: str = "label",
    budget: int | Literal["equal"] = "equal",
    fraction: float | None = None,
    variance: Variance = "auto",
    n_repeats: int = 5,
    confidence: float = 0.95,
    n_bootstrap: int = 2000,
    max_features: int = 50_000,
    discount: float = 0.75,
    rng: int | np.random.Generator | None = None,
) -> AblationResult:
    """Train one small model per training set at an equal budget and compare them downstream.

    Parameters
    ----------
    train_sets
        Name → table; the first entry is the baseline every other set is compared with,
        e.g. ``{"raw": raw, "majority_vote": mv, "dawid_skene": ds}``.
    test
        Classification: a gold table with ``text`` and ``label``. Language model: clean
        reference text (a corpus table with ``text``).
    task
        ``"classification"`` (TF-IDF + logistic regression; accuracy, macro-F1) or
        ``"language_model"`` (Kneser–Ney bigram; held-out perplexity, lower is better).
    budget
        ``"equal"`` subsamples every set to ``fraction`` of the smallest one (examples, or
        tokens for the language model) so that "filtered is better" never just means
        "filtered is larger"; an int fixes the budget.
    fraction
        Share of the smallest set drawn in each repeat under ``budget="equal"``. ``None``:
        0.8 under ``variance="set"`` (below 1 so that every set, the smallest included, is
        redrawn in each repeat) and 1 under ``"process"`` (a bootstrap resample has the size
        of the set it resamples).
    variance
        Which question the intervals answer (see Notes). ``"set"``: the given sets are the
        object of study — each repeat trains on a subsample drawn without replacement, and
        the intervals cover retraining and new test items. ``"process"``: each set is one
        draw of the process that made it — each repeat trains on a bootstrap resample (with
        replacement), and the intervals also cover drawing a new training set. ``"auto"``
        (default): ``"set"`` when every set shares a base with the first (at least half of
        its distinct texts are in the first set, as for raw vs cleaned), else ``"process"``
        (e.g. two vendors' labels of different items, two scrapes).
    n_repeats
        Fresh subsamples per set; repeats are paired across sets (same repeat seed).
    confidence, n_bootstrap
        CI level and bootstrap draws of the two-level paired bootstrap.
    rng
        Seed or Generator.

    Returns
    -------
    AblationResult

    Raises
    ------
    WorkbenchError
        Fewer than two sets, missing columns, empty tables, a budget larger than a set, an
        unknown ``variance``, ``variance="process"`` with fewer than 3 repeats.

    Notes
    -----
    Under ``variance="set"`` the repeats share most of their training examples, so their
    spread is the variance of retraining on these sets, not of drawing a new set: two
    independent draws of the same process then differ "significantly" far more often than
    the nominal level. Under ``"process"`` a repeat trains on a bootstrap resample, whose
    spread estimates the variance of drawing a training set (the bootstrap principle); for
    each bootstrap draw of the two-level bootstrap the spread ``s_d`` of the per-repeat
    differences is added as ``s_d * T`` with ``T`` drawn from Student's t with ``R - 1``
    degrees of freedom (``R`` repeats),
    so the interval widens by the set-draw variance and by the uncertainty of estimating it
    from ``R`` repeats. More repeats give narrower intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> words = {"pos": "great lovely fine good", "neg": "awful bad poor broken"}
    >>> rows = [{"text": f"{words[l].split()[i % 4]} item {i}", "label": l}
    ...         for i in range(200) for l in ("pos", "neg")]
    >>> clean = pd.DataFrame(rows)
    >>> noisy = clean.assign(label=clean["label"].where(clean.index % 3 > 0, "neg"))
    >>> res = compare_training_sets({"noisy": noisy, "clean": clean}, clean.sample(100, random_state=0),
    ...                             n_repeats=3, rng=0)
    >>> res.differences.set_index("metric").loc["accuracy", "better"]
    np.True_
    """
    check_choice(task, name="task", choices=("classification", "language_model"))
    cols = [text, label] if task == "classification" else [text]
    _validate_sets(train_sets, test, cols)
    if n_repeats < 2:
        raise WorkbenchError(f"n_repeats must be at least 2 to estimate the spread, got {n_repeats}.")
    if not 0 < confidence < 1:
        raise WorkbenchError(f"confidence must be in (0, 1), got {confidence}.")
    check_choice(variance, name="variance", choices=("auto", "set", "process"))
    if variance == "auto":
        variance, reason = _auto_variance(train_sets, text)
    else:
        reason = f"variance={variance!r} chosen by the caller"
    if variance == "process" and n_repeats < 3:
        raise WorkbenchError(
            f"variance='process' estimates the set-draw spread from the repeats and needs n_repeats >= 3, "
            f"got {n_repeats}; raise n_repeats (5 or more gives useful intervals)."
        )
    if fraction is None:
        fraction = 1.0 if variance == "process" else 0.8
    if not 0 < fraction <= 1:
        raise WorkbenchError(f"fraction must be in (0, 1], got {fraction}.")
    replace = variance == "process"
    gen = as_rng(rng)
    names = list(train_sets)
    if task == "classification":
        size, policy = _budget({n: len(df) for n, df in train_sets.items()}, budget, "examples", fraction)
        table, pred, y, classes = _classification_runs(
            train_sets, test, text=text, label=label, budget=size, n_repeats=n_repeats, gen=gen,
            max_features=max_features, with_replacement=replace,
        )

        def metric_fn(w: np.ndarray, reps: np.ndarray) -> dict[str, np.ndarray]:
            # pred: (S, R, N); average each metric over the drawn repeats
            out: dict[str, list[np.ndarray]] = {"accuracy": [], "macro_f1": []}
            for s in range(len(names)):
                per_rep = [_weighted_scores(pred[s, r][None, :], y[None, :], w, len(classes)) for r in range(n_repeats)]
                for m in out:
                    stack = np.stack([pr[m] for pr in per_rep], axis=1)  # (B, R)
                    out[m].append(np.take_along_axis(stack, reps, axis=1).mean(axis=1))
            return {m: np.stack(v) for m, v in out.items()}

        accs = _weighted_scores(pred, y, np.ones(len(y)), len(classes))
        table["accuracy"] = accs["accuracy"].T.reshape(-1)  # rows were made repeat-major
        table["macro_f1"] = accs["macro_f1"].T.reshape(-1)
    else:
        # predicted tokens per set: every word plus </s> of each text
        tokens = {n: int(sum(len(tokenize(t)) + 1 for t in df[text].astype(str))) for n, df in train_sets.items()}
        size, policy = _budget(tokens, budget, "tokens", fraction)
        table, ll, ntok = _lm_runs(train_sets, test, text=text, budget=size, n_repeats=n_repeats, gen=gen,
                                   discount=discount, with_replacement=replace)

        def metric_fn(w: np.ndarray, reps: np.ndarray) -> dict[str, np.ndarray]:
            tot_ll = np.einsum("srn,bn->srb", ll, w)  # (S, R, B)
            tot_n = w @ ntok  # (B,)
            per = np.exp(-tot_ll / tot_n)  # perplexity (S, R, B)
            picked = np.take_along_axis(per, reps.T[None, :, :], axis=1)  # (S, R, B)
            return {"perplexity": picked.mean(axis=1)}

        table["perplexity"] = np.exp(-ll.sum(axis=2) / ntok.sum()).T.reshape(-1)
    order = table["set"].map({n: i for i, n in enumerate(names)})
    table = table.assign(_o=order).sort_values(["_o", "repeat"]).drop(columns="_o").reset_index(drop=True)
    if replace:
        policy = policy.replace("subsampled to", "resampled with replacement to")
    per_repeat = None
    if replace:  # metric -> (sets, repeats) on the whole test set
        per_repeat = {
            m: table.pivot(index="set", columns="repeat", values=m).loc[names].to_numpy()
            for m in table.columns if m in _HIGHER_IS_BETTER
        }
    diffs, boot = _differences(names, metric_fn, n_repeats, len(test), n_boot=n_bootstrap, confidence=confidence,
                               gen=gen, per_repeat=per_repeat)
    alpha = 1 - confidence
    means = table.groupby("set", sort=False)[list(boot)].mean()
    estimates = pd.DataFrame([
        {"set": n, "metric": m, "estimate": float(means.loc[n, m]),
         "ci_low": float(np.quantile(v[i], alpha / 2)), "ci_high": float(np.quantile(v[i], 1 - alpha / 2))}
        for m, v in boot.items() for i, n in enumerate(names)
    ])
    return AblationResult(table, estimates, diffs, task, size, policy, confidence, variance, reason)


def _overlap(base: pd.DataFrame, other: pd.DataFrame, text: str) -> float:
    """Share of ``other``'s distinct texts that also occur in ``base``."""
    mine = pd.Index(other[text].astype(str).unique())
    return float(mine.isin(base[text].astype(str)).mean()) if len(mine) else 0.0


def _auto_variance(train_sets: Mapping[str, pd.DataFrame], text: str) -> tuple[Literal["set", "process"], str]:
    """``"set"`` when every set shares a base with the first (by texts), else ``"process"``; and why."""
    names = list(train_sets)
    base = train_sets[names[0]]
    shares = {n: max(_overlap(base, train_sets[n], text), _overlap(train_sets[n], base, text)) for n in names[1:]}
    listed = ", ".join(f"{n!r} {v:.0%}" for n, v in shares.items())
    if all(v >= _SHARED_BASE for v in shares.values()):
        return "set", (f"variance='set' chosen because the sets share a base (texts shared with {names[0]!r}: "
                       f"{listed}); pass variance='process' to ask about drawing new sets")
    return "process", (f"variance='process' chosen because not every set shares a base with {names[0]!r} "
                       f"(texts shared: {listed}; below {_SHARED_BASE:.0%} counts as independent draws)")


def threshold_sweep(
    corpus: pd.DataFrame,
    scores: pd.Series | np.ndarray,
    thresholds: list[float] | np.ndarray,
    test: pd.DataFrame,
    *,
    task: Task = "language_model",
    direction: Literal["max", "min"] = "max",
    text: str = "text",
    label: str = "label",
    n_repeats: int = 5,
    confidence: float = 0.95,
    rng: int | np.random.Generator | None = None,
    **options: object,
) -> ThresholdSweep:
    """The A/B of thresholds: downstream metric as a function of a filter threshold.

    For each threshold ``t`` the corpus is filtered (``direction="max"`` keeps scores ≤ t, as
    for perplexity; ``"min"`` keeps scores ≥ t, as for a CLIP score), every filtered set and
    the unfiltered corpus are trained at the same budget (the smallest kept set), and the
    metric is reported with its CI and the keep-rate beside it.

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> good = ["the cat sat on the mat", "the dog sat on the rug"] * 40
    >>> bad = ["mat the on sat cat the", "rug on dog the sat the"] * 40
    >>> corpus = pd.DataFrame({"text": good + bad})
    >>> noise = np.r_[np.zeros(80), np.ones(80)]
    >>> sweep = threshold_sweep(corpus, noise, [0.5, 1.5], pd.DataFrame({"text": good[:10]}), n_repeats=2, rng=0)
    >>> sweep.table["keep_rate"].tolist()
    [0.5, 1.0]
    """
    require_frame(corpus, table="corpus")
    check_choice(direction, name="direction", choices=("max", "min"))
    values = np.asarray(scores, dtype=np.float64)
    if values.shape != (len(corpus),):
        raise WorkbenchError(
            f"scores must have one value per corpus row: corpus has {len(corpus)} rows, scores has shape {values.shape}."
        )
    ts = np.asarray(sorted(float(t) for t in thresholds))
    if len(ts) == 0:
        raise WorkbenchError("thresholds is empty; give at least one threshold.")
    sets: dict[str, pd.DataFrame] = {"unfiltered": corpus}
    kept_counts = []
    for t in ts:
        keep = values <= t if direction == "max" else values >= t
        if keep.sum() == 0:
            raise WorkbenchError(f"threshold {t:g} keeps no rows of the corpus; drop it from thresholds.")
        sets[f"{'<=' if direction == 'max' else '>='} {t:g}"] = corpus[keep]
        kept_counts.append(int(keep.sum()))
    result = compare_training_sets(
        sets, test, task=task, text=text, label=label, n_repeats=n_repeats, confidence=confidence, rng=rng,
        **options,  # type: ignore[arg-type]
    )
    metrics = [c for c in result.table.columns if c in _HIGHER_IS_BETTER]
    est = result.estimates.set_index(["set", "metric"])
    diffs = result.differences.set_index(["set", "metric"])
    rows = []
    for t, name, n in zip(ts, list(sets)[1:], kept_counts, strict=True):
        row: dict[str, float] = {"threshold": float(t), "n_kept": n, "keep_rate": n / len(corpus)}
        for m in metrics:
            d, e = diffs.loc[(name, m)], est.loc[(name, m)]
            row[m] = float(e["estimate"])
            row[f"{m}_ci_low"] = float(e["ci_low"])
            row[f"{m}_ci_high"] = float(e["ci_high"])
            row[f"{m}_vs_unfiltered"] = float(d["estimate"])
            row[f"{m}_significant"] = bool(d["significant"])
        rows.append(row)
    return ThresholdSweep(pd.DataFrame(rows), result)


@dataclass(frozen=True)
class LabelSets:
    """Training sets made from the same annotations by different label policies, and the test set.

    Attributes
    ----------
    train_sets : dict[str, DataFrame]
        ``raw`` (every judgment is a training row), ``majority_vote``, ``dawid_skene`` and
        ``gold_filtered`` (majority vote of the annotators whose gold accuracy reaches the
        bar), each with ``item_id``, ``text``, ``label``. Gold items are excluded from all.
    test : DataFrame
        The held-out gold items with their text and gold label.
    kept_annotators : list[str]
        Annotators who passed the gold bar on the QA gold items.
    n_qa_gold : int
        Gold items used to select annotators (not in ``test``).
    """

    train_sets: dict[str, pd.DataFrame]
    test: pd.DataFrame
    kept_annotators: list[str]
    n_qa_gold: int

    def to_frame(self) -> pd.DataFrame:
        """Rows and items per training set."""
        return pd.DataFrame(
            [{"set": k, "rows": len(v), "items": v["item_id"].nunique()} for k, v in self.train_sets.items()]
            + [{"set": "test (held-out gold)", "rows": len(self.test), "items": self.test["item_id"].nunique()}]
        )

    def summary(self) -> str:
        """One sentence on the sets."""
        return (
            f"{len(self.train_sets)} training sets from the same annotations "
            f"({', '.join(f'{k}: {len(v):,} rows' for k, v in self.train_sets.items())}); "
            f"{len(self.kept_annotators)} annotators pass the gold bar on {self.n_qa_gold:,} QA gold items; "
            f"test on the other {len(self.test):,} gold items."
        )


def label_training_sets(
    annotations: pd.DataFrame,
    texts: pd.DataFrame,
    gold: pd.DataFrame,
    *,
    min_gold_accuracy: float = 0.85,
    qa_fraction: float = 0.5,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    text: str = "text",
    rng: int | np.random.Generator | None = 0,
) -> LabelSets:
    """Build the label-aggregation ablation: raw vs majority vote vs Dawid–Skene vs gold-filtered.

    Parameters
    ----------
    annotations
        Long annotations table.
    texts
        One row per item with its text (``item_id``, ``text``).
    gold
        Gold table. Its items are left out of every training set and split at random: a
        ``qa_fraction`` share selects the annotators of ``gold_filtered``, the rest is the
        test set — so the annotator filter never sees the items it is judged on.
    min_gold_accuracy
        The bar an annotator's accuracy on the QA gold items must reach for ``gold_filtered``.
    qa_fraction
        Share of gold items used to select annotators (0 < qa_fraction < 1).
    rng
        Seed for the gold split and majority-vote ties (drawn at random, never by row order).

    Returns
    -------
    LabelSets
    """
    from workbench import aggregation
    from workbench._validation import validate_table
    from workbench.agreement import annotator_agreement

    validate_table(annotations, "annotations", columns={"item_id": item, "annotator_id": annotator, "label": label})
    validate_table(gold, "gold", columns={"item_id": item, "label": label})
    require_columns(texts, [item, text], table="texts")
    in_gold = annotations[item].isin(gold[item])
    train_ann = annotations.loc[~in_gold, [item, annotator, label]]
    if train_ann.empty:
        raise WorkbenchError("every annotated item is a gold item: nothing is left to train on.")
    text_of = texts.drop_duplicates(item).set_index(item)[text]
    missing = sorted(set(annotations[item]) - set(text_of.index))
    if missing:
        raise WorkbenchError(
            f"table 'texts' has no text for {len(missing)} annotated item(s), e.g. {missing[:3]}; "
            "give one row per item_id with its text."
        )
    opts: dict[str, Any] = {"item": item, "annotator": annotator, "label": label}
    if not 0 < qa_fraction < 1:
        raise WorkbenchError(f"qa_fraction must be in (0, 1), got {qa_fraction}.")
    gen = as_rng(rng)
    gold_items = gold[item].to_numpy()
    is_qa = np.zeros(len(gold_items), dtype=bool)
    is_qa[gen.choice(len(gold_items), size=max(1, int(round(qa_fraction * len(gold_items)))), replace=False)] = True
    qa_gold, test_gold = gold[is_qa], gold[~is_qa]
    if test_gold.empty:
        raise WorkbenchError(f"the gold table has {len(gold)} item(s): too few to split into QA and test items.")
    tie_seed = int(gen.integers(2**32))

    def frame(labels: pd.Series) -> pd.DataFrame:
        labels = labels.dropna()
        return pd.DataFrame({"item_id": labels.index, "text": text_of.loc[labels.index].to_numpy(),
                             "label": labels.astype(str).to_numpy()})

    raw = pd.DataFrame({"item_id": train_ann[item].to_numpy(), "text": text_of.loc[train_ann[item]].to_numpy(),
                        "label": train_ann[label].astype(str).to_numpy()})
    mv = aggregation.majority_vote(train_ann, rng=tie_seed, **opts)
    ds = aggregation.dawid_skene(train_ann, **opts).labels
    qa_ann = annotations[annotations[item].isin(qa_gold[item])]
    if qa_ann.empty:
        raise WorkbenchError("no annotation falls on the QA gold items; annotators cannot be checked against gold.")
    acc = annotator_agreement(qa_ann, reference=qa_gold, **opts)["agreement"]
    kept = sorted(acc.index[acc >= min_gold_accuracy].astype(str))
    if not kept:
        raise WorkbenchError(
            f"no annotator reaches min_gold_accuracy={min_gold_accuracy}; the best has {acc.max():.3f}. Lower the bar."
        )
    filtered = aggregation.majority_vote(train_ann[train_ann[annotator].astype(str).isin(kept)], rng=tie_seed, **opts)
    test = pd.DataFrame({"item_id": test_gold[item].to_numpy(), "label": test_gold[label].astype(str).to_numpy()})
    test = test[test["item_id"].isin(text_of.index)]
    test.insert(1, "text", text_of.loc[test["item_id"]].to_numpy())
    sets = {"raw": raw, "majority_vote": frame(mv), "dawid_skene": frame(ds), "gold_filtered": frame(filtered)}
    return LabelSets(sets, test.reset_index(drop=True), kept, len(qa_gold))


@dataclass(frozen=True)
class CleanedCorpus:
    """A corpus after the cleaning funnel, with the funnel's counts and per-document scores.

    Attributes
    ----------
    cleaned : DataFrame
        The rows of the corpus that survive every stage.
    funnel : FunnelResult
        Counts per stage, audit samples of removed documents, per-document decisions
        (see :func:`workbench.scoring.cleaning_funnel`).
    scores : DataFrame
        The text scores of every document, with ``is_duplicate``.
    """

    cleaned: pd.DataFrame
    funnel: object
    scores: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Documents entering, removed and remaining per stage."""
        return self.funnel.counts  # type: ignore[attr-defined]

    def summary(self) -> str:
        """One sentence per the funnel's summary."""
        return str(self.funnel.summary())  # type: ignore[attr-defined]


def clean_corpus(
    corpus: pd.DataFrame,
    *,
    language: str = "en",
    dedup_threshold: float = 0.8,
    perplexity: bool = False,
    perplexity_threshold: float = 1000.0,
    text: str = "text",
    doc_id: str = "doc_id",
    cache: object | None = None,
    rng: int | np.random.Generator | None = 0,
) -> CleanedCorpus:
    """Run the standard cleaning funnel: language → heuristics → (perplexity) → near-duplicates.

    Stages use :func:`workbench.scoring.default_rules` (Gopher-style heuristics, language
    probability ≥ 0.5) and MinHash dedup with the funnel's declared dedup stage
    (:func:`workbench.scoring.dedup_rules`: one representative per cluster stays). Documents
    sent to review stay in the corpus, as in :func:`workbench.scoring.cleaning_funnel`.

    Parameters
    ----------
    corpus
        Corpus table (``doc_id``, ``text``).
    language
        Language to keep.
    dedup_threshold
        Jaccard threshold of the MinHash stage.
    perplexity
        Add the perplexity stage (SmolLM2 on the CPU scores a few hundred tokens a second:
        minutes for thousands of documents; pass a ``cache`` to make reruns instant).
    perplexity_threshold
        Drop above it (see :func:`workbench.scoring.default_rules`).
    cache
        A :class:`workbench.scoring.ScoreCache` or its folder.
    rng
        Seed of the funnel's audit samples.

    Returns
    -------
    CleanedCorpus
    """
    from workbench import dedup, scoring
    from workbench._validation import validate_table

    validate_table(corpus, "corpus", columns={"doc_id": doc_id, "text": text})
    metrics = ["stats", "language"] + (["perplexity"] if perplexity else [])
    scores = scoring.score_texts(corpus[text], metrics=metrics, language=language, cache=cache)  # type: ignore[arg-type]
    scores = scores.set_axis(corpus.index)
    clusters = dedup.find_duplicates(corpus[[doc_id, text]].rename(columns={doc_id: "doc_id", text: "text"}),
                                     method="minhash", threshold=dedup_threshold)
    flags = scoring.duplicate_flags(clusters)
    for col in scoring.DUPLICATE_COLUMNS:
        scores[col] = flags[col].to_numpy()
    rules = scoring.default_rules(language=language, perplexity_threshold=perplexity_threshold)
    if not perplexity:
        rules = [r for r in rules if scoring.rule_stage(r) != "perplexity"]
    # the funnel's declared stages, near-duplicates last (one policy: scoring.dedup_rules)
    stages = scoring.funnel_stages([*rules, *scoring.dedup_rules()])
    funnel = scoring.cleaning_funnel(scores, stages, rng=rng)
    survived = funnel.decisions["stage"].isna().to_numpy()
    return CleanedCorpus(corpus[survived], funnel, scores)
