"""Compare two annotation vendors who labeled the same items, and recommend one — or neither.

:func:`compare_vendors` takes two long tables (annotations ``item_id, annotator_id, label``
or preferences ``pair_id, annotator_id, choice, response_a, response_b``; a preferences
table is treated as annotations with ``pair_id`` as the item and ``choice`` as the label)
and an optional gold table. It measures each vendor (reliability, accuracy against gold,
annotator quality, length and position bias, label distribution, time and cost), compares
them, and puts a paired cluster-bootstrap confidence interval on every difference: the same
resampled items are used for both vendors, because both labeled the same items.

The decision rule (:data:`DECISION_RULE`) is fixed in advance and needs gold labels:
agreement alone cannot say which vendor is right, since a bias shared by a vendor's
annotators (say, always picking the longer response) raises their agreement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
from scipy import stats

from workbench._internal.coding import align_gold, sorted_categories
from workbench._internal.reliability import alpha_from_coincidence, kappa_from_confusion
from workbench._internal.stats import (
    check_confidence,
    percentile_interval,
    stratified_weights,
    wilson_interval,
)
from workbench._internal.tables import detect_kind
from workbench._validation import (
    as_rng,
    require_frame,
    validate_preferences,
    validate_table,
)
from workbench.aggregation import DawidSkeneResult, dawid_skene
from workbench.agreement import interpret
from workbench.bias import (
    LengthBiasResult,
    LengthMeasure,
    PositionBiasResult,
    length_bias,
    position_bias,
    response_lengths,
)
from workbench.errors import SchemaError, WorkbenchError

__all__ = [
    "CHI2_TEST",
    "DECISION_RULE",
    "KAPPA_TEST",
    "MCNEMAR_TEST",
    "Caveat",
    "Outcome",
    "TableKind",
    "VendorComparison",
    "VendorDecision",
    "VendorProfile",
    "check_tables",
    "compare_vendors",
]

TableKind = Literal["annotations", "preferences"]

KAPPA_TEST = "Cohen's kappa of consensus labels"
"""Name of the between-vendor kappa row of :attr:`VendorComparison.tests` (select rows by name)."""
MCNEMAR_TEST = "McNemar (exact), consensus correct on gold"
CHI2_TEST = "chi-square, label distributions"
_TABLE_KINDS: tuple[TableKind, ...] = ("annotations", "preferences")

DECISION_RULE = (
    "Primary metrics: gold accuracy of the consensus (majority-vote) label and gold accuracy "
    "per judgment. For each, the paired cluster-bootstrap interval of the difference a - b is "
    "taken at the Bonferroni-adjusted level 1 - (1 - confidence) / 2, so the two primary tests "
    "together keep the family-wise error at 1 - confidence. A vendor is recommended when it is "
    "significantly better on at least one primary metric, significantly worse on none, and "
    "not significantly worse (interval at the plain confidence level excluding zero against "
    "it) on any secondary quality metric: Krippendorff's alpha, length bias |P(longer "
    "preferred) - 0.5| and position bias |P(first preferred) - 0.5| (the last two for "
    "preference tables). Otherwise — no gold items shared by both vendors, no significant "
    "primary difference, or evidence that points both ways — nothing is recommended. Cost, "
    "speed and near-random annotators never decide; they are reported as caveats."
)


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


def check_tables(a: pd.DataFrame, b: pd.DataFrame, gold: pd.DataFrame | None = None) -> TableKind:
    """Check two vendor tables (and gold) against each other, computing nothing; their kind.

    The checks :func:`compare_vendors` runs first: the same kind of table (told by the one
    table-kind rule, :func:`workbench._internal.tables.detect_kind`), not the same table,
    shared items, gold labels the vendors use. Reading files is the I/O layer's job
    (:func:`workbench.analyses.vendor_comparison.load_inputs` reads and calls this).

    Raises
    ------
    WorkbenchError
        What is wrong, naming the table and the fix.
    """
    return _Setup.build(a, b, gold, names=("a", "b"), **_default_columns()).kind


def _default_columns() -> dict[str, Any]:
    return {"item": "item_id", "annotator": "annotator_id", "label": "label", "pair": "pair_id",
            "choice": "choice", "duration": "duration_s", "category": "category"}


# --------------------------------------------------------------------------------------
# Validation and coding
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Vendor:
    """One vendor's judgments on the shared items, coded as integers."""

    frame: pd.DataFrame  # normalised: item, annotator, label (+ duration, category, texts)
    item: np.ndarray  # codes into the shared items
    label: np.ndarray  # codes into the categories
    counts: np.ndarray  # items × categories
    duration: np.ndarray | None  # per judgment, float (nan = missing)
    longer: np.ndarray | None  # per judgment: chose the longer response (compared rows only)
    compared: np.ndarray | None  # per judgment: non-tie and unequal lengths
    chose_a: np.ndarray | None
    nontie: np.ndarray | None


@dataclass(frozen=True)
class _Setup:
    kind: TableKind
    items: pd.Index
    categories: pd.Index
    vendors: tuple[_Vendor, _Vendor]
    raw: tuple[pd.DataFrame, pd.DataFrame]
    gold_mask: np.ndarray  # over shared items
    gold_code: np.ndarray  # label code of gold items (-1 elsewhere)
    n_only: tuple[int, int]
    n_gold_given: int
    names: tuple[str, str]

    @staticmethod
    def build(
        a: object,
        b: object,
        gold: object | None,
        *,
        names: tuple[str, str],
        item: str,
        annotator: str,
        label: str,
        pair: str,
        choice: str,
        duration: str,
        category: str,
        length: LengthMeasure = "words",
    ) -> _Setup:
        fa = require_frame(a, table="vendor_a")
        fb = require_frame(b, table="vendor_b")
        cols = {"item_id": item, "annotator_id": annotator, "label": label, "pair_id": pair, "choice": choice}
        kind = cast(TableKind, detect_kind(fa, kinds=_TABLE_KINDS, names=cols, name="vendor_a"))
        kind_b = cast(TableKind, detect_kind(fb, kinds=_TABLE_KINDS, names=cols, name="vendor_b"))
        if kind != kind_b:
            raise SchemaError(
                f"vendor_a is a {kind} table but vendor_b is a {kind_b} table; compare two "
                "tables of the same kind (convert one with workbench.io, or rename its columns)."
            )
        if fa is fb or (fa.shape == fb.shape and list(fa.columns) == list(fb.columns) and fa.equals(fb)):
            raise WorkbenchError(
                f"vendor_a and vendor_b are the same table ({len(fa):,} identical rows); a vendor "
                "compared with itself says nothing. Pass the two vendors' own tables."
            )
        if kind == "preferences":
            key, lab = pair, choice
        else:
            key, lab = item, label
        frames = []
        for name, f in (("vendor_a", fa), ("vendor_b", fb)):
            if not f.index.is_unique:
                f = f.reset_index(drop=True)
            if kind == "preferences":
                validate_preferences(f, pair=pair, annotator=annotator, choice=choice, source=name)
            else:
                validate_table(f, kind, source=name,
                               columns={"item_id": item, "annotator_id": annotator, "label": label})
            frames.append(f)
        fa, fb = frames
        g = None
        if gold is not None:
            g = validate_table(require_frame(gold, table="gold"), "gold", source="gold")
        # shared items
        ia = pd.Index(pd.unique(fa[key]))
        ib = pd.Index(pd.unique(fb[key]))
        items = ia[ia.isin(ib)]
        if len(items) == 0:
            raise WorkbenchError(
                f"vendor_a and vendor_b share no item ('{key}'): e.g. vendor_a has "
                f"{list(ia[:3])!r} and vendor_b has {list(ib[:3])!r}. Both vendors must label "
                "the same items; check the id column and its type (ids are compared as they are)."
            )
        items = items.rename(key)
        labels_a = pd.unique(fa[lab])
        labels_b = pd.unique(fb[lab])
        cats = sorted_categories(pd.Series(np.r_[labels_a, labels_b], dtype=object))
        categories = pd.Index(cats, dtype=object, name="label")
        gold_mask = np.zeros(len(items), dtype=bool)
        gold_code = np.full(len(items), -1, dtype=np.int64)
        n_gold_given = 0
        if g is not None:
            n_gold_given = len(g)
            gold_code = align_gold(
                g, items, categories, ids=fa[key], where="the items both vendors labeled",
                vocabulary="a label either vendor used",
                fix="Map the gold labels onto the vendors' labels (same spelling and type).",
            )
            gold_mask = gold_code >= 0
        vendors = []
        for f in (fa, fb):
            vendors.append(_code_vendor(f, kind, items, categories, key=key, lab=lab, annotator=annotator,
                                        duration=duration, category=category, length=length))
        return _Setup(
            kind=kind,
            items=items,
            categories=categories,
            vendors=(vendors[0], vendors[1]),
            raw=(fa, fb),
            gold_mask=gold_mask,
            gold_code=gold_code,
            n_only=(int((~ia.isin(ib)).sum()), int((~ib.isin(ia)).sum())),
            n_gold_given=n_gold_given,
            names=names,
        )


def _code_vendor(
    f: pd.DataFrame,
    kind: TableKind,
    items: pd.Index,
    categories: pd.Index,
    *,
    key: str,
    lab: str,
    annotator: str,
    duration: str,
    category: str,
    length: LengthMeasure,
) -> _Vendor:
    pos = items.get_indexer(pd.Index(f[key]))
    keep = pos >= 0
    sub = f.loc[keep]
    item_codes = pos[keep].astype(np.int64)
    label_codes = categories.get_indexer(pd.Index(sub[lab], dtype=object)).astype(np.int64)
    k = len(categories)
    counts = np.bincount(item_codes * k + label_codes, minlength=len(items) * k).reshape(len(items), k)
    norm = pd.DataFrame(
        {"item": sub[key].to_numpy(), "annotator": sub[annotator].to_numpy(), "label": sub[lab].to_numpy()}
    )
    dur = None
    if duration in sub.columns:
        dur = pd.to_numeric(sub[duration], errors="coerce").to_numpy(dtype=float)
        norm["duration"] = dur
    if category in sub.columns:
        norm["category"] = sub[category].to_numpy()
    longer = compared = chose_a = nontie = None
    if kind == "preferences":
        for c in ("prompt", "response_a", "response_b"):
            if c in sub.columns:
                norm[c] = sub[c].to_numpy()
        ch = sub[lab].astype(str).str.lower().to_numpy(dtype=object)
        nontie = ch != "tie"
        chose_a = ch == "a"
        # measure each distinct (pair, response_a, response_b) once: texts repeat per judgment
        texts = sub[[key, "response_a", "response_b"]].astype(object)
        first = ~texts.duplicated().to_numpy()
        lens = response_lengths(sub.loc[first], length=length)
        lens.index = pd.MultiIndex.from_frame(texts.loc[first])
        rows = lens.reindex(pd.MultiIndex.from_frame(texts))
        norm["len_a"] = rows["len_a"].to_numpy()
        norm["len_b"] = rows["len_b"].to_numpy()
        delta = rows["delta"].to_numpy()
        compared = nontie & (delta != 0)
        longer = compared & (chose_a == (delta > 0))
    return _Vendor(norm, item_codes, label_codes, counts, dur, longer, compared, chose_a, nontie)


# --------------------------------------------------------------------------------------
# Per-item features: every statistic is a function of weighted sums over items
# --------------------------------------------------------------------------------------


class _Features:
    """Columns of per-item values; a statistic is computed from ``W @ X`` for weights W."""

    def __init__(self, n_items: int) -> None:
        self.n = n_items
        self.blocks: list[np.ndarray] = []
        self.slices: dict[str, slice] = {}
        self.width = 0

    def add(self, name: str, values: np.ndarray) -> None:
        v = np.asarray(values, dtype=float).reshape(self.n, -1)
        self.slices[name] = slice(self.width, self.width + v.shape[1])
        self.width += v.shape[1]
        self.blocks.append(v)

    def matrix(self) -> np.ndarray:
        return np.hstack(self.blocks)


def _per_item(values: np.ndarray, item: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(item, weights=values.astype(float), minlength=n)


def _unique_top(counts: np.ndarray) -> np.ndarray:
    """Consensus code per item: the unique most frequent label, -1 on a tie or no rating."""
    top = counts.max(axis=1)
    n_top = (counts == top[:, None]).sum(axis=1)
    return np.where((n_top == 1) & (top > 0), counts.argmax(axis=1), -1)


def _features(setup: _Setup, costs: tuple[float, float] | None) -> tuple[_Features, dict[str, Any]]:
    n, k = len(setup.items), len(setup.categories)
    feats = _Features(n)
    feats.add("one", np.ones(n))
    g = setup.gold_mask.astype(float)
    feats.add("gold", g)
    info: dict[str, Any] = {"fleiss": [], "consensus": []}
    eye = np.eye(k)
    for v, vd in zip("ab", setup.vendors, strict=True):
        c = vd.counts.astype(float)
        m = c.sum(axis=1)
        scale = np.divide(1.0, m - 1.0, out=np.zeros_like(m), where=m >= 2)
        contrib = (c[:, :, None] * c[:, None, :] - c[:, :, None] * eye) * scale[:, None, None]
        feats.add(f"coinc_{v}", contrib.reshape(n, k * k))
        feats.add(f"counts_{v}", c)
        feats.add(f"m_{v}", m)
        # Fleiss applies when every shared item has the same number (>= 2) of ratings
        fleiss_ok = bool(m.min() >= 2 and m.min() == m.max())
        info["fleiss"].append(fleiss_ok)
        if fleiss_ok:
            p_i = ((c**2).sum(axis=1) - m) / (m * (m - 1))
            feats.add(f"fleiss_p_{v}", p_i)
        cons = _unique_top(vd.counts)
        info["consensus"].append(cons)
        gc = np.where(setup.gold_mask, setup.gold_code, 0)
        feats.add(f"cons_correct_{v}", g * ((cons == setup.gold_code) & setup.gold_mask))
        feats.add(f"judg_correct_{v}", g * c[np.arange(n), gc])
        feats.add(f"m_gold_{v}", g * m)
        if vd.duration is not None:
            ok = np.isfinite(vd.duration)
            feats.add(f"dur_sum_{v}", _per_item(np.where(ok, vd.duration, 0.0), vd.item, n))
            feats.add(f"dur_n_{v}", _per_item(ok, vd.item, n))
        if vd.longer is not None:
            assert vd.compared is not None and vd.nontie is not None and vd.chose_a is not None
            feats.add(f"longer_{v}", _per_item(vd.longer, vd.item, n))
            feats.add(f"compared_{v}", _per_item(vd.compared, vd.item, n))
            feats.add(f"first_{v}", _per_item(vd.nontie & vd.chose_a, vd.item, n))
            feats.add(f"nontie_{v}", _per_item(vd.nontie, vd.item, n))
    ca, cb = info["consensus"]
    both = (ca >= 0) & (cb >= 0)
    pair = np.zeros((n, k * k))
    pair[np.flatnonzero(both), (ca * k + cb)[both]] = 1.0
    feats.add("cons_pair", pair)
    info["costs"] = costs
    return feats, info


def _metrics(
    S: np.ndarray, feats: _Features, setup: _Setup, info: dict[str, Any]
) -> dict[str, np.ndarray]:
    """All statistics from the weighted sums ``S = W @ X`` (one row per weight vector)."""
    k = len(setup.categories)

    def col(name: str) -> np.ndarray:
        return S[:, feats.slices[name]]

    def one(name: str) -> np.ndarray:
        return col(name)[:, 0]

    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)

    out: dict[str, np.ndarray] = {}
    values = np.arange(k, dtype=float)
    for i, v in enumerate("ab"):
        out[f"alpha_{v}"] = alpha_from_coincidence(col(f"coinc_{v}").reshape(-1, k, k), "nominal", values)
        if info["fleiss"][i]:
            counts = col(f"counts_{v}")
            p_j = counts / counts.sum(axis=1, keepdims=True)
            p_e = (p_j**2).sum(axis=1)
            p_bar = ratio(one(f"fleiss_p_{v}"), one("one"))
            with np.errstate(invalid="ignore", divide="ignore"):
                out[f"fleiss_{v}"] = np.where(p_e < 1, (p_bar - p_e) / (1 - p_e), np.nan)
        out[f"acc_cons_{v}"] = ratio(one(f"cons_correct_{v}"), one("gold"))
        out[f"acc_judg_{v}"] = ratio(one(f"judg_correct_{v}"), one(f"m_gold_{v}"))
        shares = col(f"counts_{v}") / one(f"m_{v}")[:, None]
        for j, c in enumerate(setup.categories):
            out[f"share[{c}]_{v}"] = shares[:, j]
        out[f"per_item_{v}"] = ratio(one(f"m_{v}"), one("one"))
        if f"dur_sum_{v}" in feats.slices:
            per_judgment = ratio(one(f"dur_sum_{v}"), one(f"dur_n_{v}"))
            out[f"sec_judgment_{v}"] = per_judgment
            out[f"sec_item_{v}"] = per_judgment * out[f"per_item_{v}"]
        if f"longer_{v}" in feats.slices:
            p_long = ratio(one(f"longer_{v}"), one(f"compared_{v}"))
            p_first = ratio(one(f"first_{v}"), one(f"nontie_{v}"))
            out[f"p_longer_{v}"] = p_long
            out[f"length_dev_{v}"] = np.abs(p_long - 0.5)
            out[f"p_first_{v}"] = p_first
            out[f"position_dev_{v}"] = np.abs(p_first - 0.5)
        if info["costs"] is not None:
            out[f"cost_item_{v}"] = info["costs"][i] * out[f"per_item_{v}"]
            if setup.gold_mask.any():
                out[f"cost_valid_{v}"] = ratio(out[f"cost_item_{v}"], out[f"acc_cons_{v}"])
    conf = col("cons_pair").reshape(-1, k, k)
    out["kappa_consensus"] = kappa_from_confusion(conf, 1.0 - np.eye(k))
    return out


# Scorecard rows: key, metric name, better direction, role
_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("acc_cons", "gold accuracy, consensus label", "higher", "primary"),
    ("acc_judg", "gold accuracy, per judgment", "higher", "primary"),
    ("alpha", "Krippendorff's alpha (nominal)", "higher", "secondary"),
    ("fleiss", "Fleiss' kappa", "higher", "descriptive"),
    ("length_dev", "length bias |P(longer preferred) - 0.5|", "lower", "secondary"),
    ("position_dev", "position bias |P(first preferred) - 0.5|", "lower", "secondary"),
    ("p_longer", "P(longer response preferred)", "closer to 0.5", "descriptive"),
    ("p_first", "P(first-shown response preferred)", "closer to 0.5", "descriptive"),
    ("per_item", "judgments per item", "", "descriptive"),
    ("sec_judgment", "seconds per judgment", "lower", "descriptive"),
    ("sec_item", "seconds per item", "lower", "descriptive"),
    ("cost_item", "cost per item", "lower", "descriptive"),
    ("cost_valid", "cost per validated label", "lower", "descriptive"),
)


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class VendorProfile:
    """One vendor on the shared items: sizes, Dawid–Skene, bias tests, annotators."""

    name: str
    n_judgments: int
    n_items: int
    n_annotators: int
    near_random: tuple[str, ...]
    """Annotators whose Dawid–Skene accuracy is below ``chance_accuracy + near_random_margin``."""
    near_random_share: float
    chance_accuracy: float
    """Accuracy of ignoring the items (the largest Dawid–Skene prior)."""
    length_bias: LengthBiasResult | None
    position_bias: PositionBiasResult | None
    annotators: pd.DataFrame
    """Per annotator: n_judgments, ds_accuracy, n_gold, gold_accuracy, p_longer_preferred,
    median_duration_s, near_random."""

    def summary(self) -> str:
        """One sentence."""
        acc = self.annotators["ds_accuracy"]
        return (
            f"Vendor {self.name}: {self.n_judgments:,} judgments of {self.n_items:,} items by "
            f"{self.n_annotators} annotators; Dawid-Skene accuracy {acc.min():.1%}-{acc.max():.1%}, "
            f"{len(self.near_random)} near-random ({', '.join(self.near_random) or 'none'})."
        )


# --------------------------------------------------------------------------------------
# The decision as data (rule) and its wording (prose)
# --------------------------------------------------------------------------------------


Outcome = Literal[
    "recommended", "no_gold", "opposite_directions", "no_significant_difference", "contradicted"
]


@dataclass(frozen=True)
class Caveat:
    """One caveat of a vendor decision: a code and the numbers it is worded from.

    Codes: ``small_gold`` (``n_gold``, ``half_width``), ``reliability`` (``alpha_a``,
    ``alpha_b``), ``near_random`` (``vendor``, ``annotators``, ``n_annotators``),
    ``length_bias`` (``vendors``: vendor → P(longer preferred), only those off 0.5 by 0.1 or
    more), ``cost`` (``cost_a``, ``cost_b``, ``valid_a``, ``valid_b``, ``cheaper_but_worse``,
    ``difference``, ``diff_low``, ``diff_high``, ``confidence``), ``speed`` (``faster``,
    ``seconds_a``, ``seconds_b``, ``against_recommended``), ``items_left_out`` (``only_a``,
    ``only_b``), ``gold_unused`` (``n``).
    """

    code: str
    values: Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class VendorDecision:
    """The outcome of :data:`DECISION_RULE` and the evidence it rests on, without words.

    ``outcome`` is ``"recommended"``, ``"no_gold"``, ``"opposite_directions"`` (the primary
    metrics favour different vendors), ``"no_significant_difference"`` or ``"contradicted"``
    (a primary metric favours ``candidate`` but a secondary quality metric is significantly
    against it). ``evidence`` holds the scorecard rows the rule reads (primary and secondary
    metrics, each with its difference, interval and the vendor it favours); ``against`` the
    keys of the secondary metrics that contradict the candidate.
    """

    recommended: Literal["a", "b"] | None
    outcome: Outcome
    candidate: Literal["a", "b"] | None
    evidence: pd.DataFrame
    against: tuple[str, ...]
    mcnemar_p: float | None
    n_gold: int
    caveats: tuple[Caveat, ...]
    rule: str = DECISION_RULE

    def to_frame(self) -> pd.DataFrame:
        """The evidence rows (primary and secondary metrics with their intervals)."""
        return self.evidence.copy()

    @property
    def caveat_codes(self) -> tuple[str, ...]:
        """The codes of the caveats, in order."""
        return tuple(c.code for c in self.caveats)


@dataclass(frozen=True, eq=False)
class VendorComparison:
    """Two vendors compared on the same items, with a recommendation and its evidence.

    ``decision`` is the outcome of :data:`DECISION_RULE` as data (recommended vendor,
    outcome, evidence rows with intervals, caveat codes with their numbers);
    ``recommended`` is ``decision.recommended`` (``"a"``, ``"b"`` or ``None``) and
    ``rationale`` the sentences that word it, caveats included (rendered on request).
    """

    kind: TableKind
    names: tuple[str, str]
    decision: VendorDecision
    scorecard: pd.DataFrame
    """One row per metric: metric, key, role, better, a, a_low, a_high, b, b_low, b_high,
    difference (a - b), diff_low, diff_high, ci_level, favours."""
    tests: pd.DataFrame
    """Between-vendor tests: test, statistic, ci_low, ci_high, p_value, n, note."""
    profiles: tuple[VendorProfile, VendorProfile]
    dawid_skene: DawidSkeneResult
    """Dawid–Skene fitted on both vendors' judgments together (annotator ids get an ``a:``/``b:``
    prefix only when the vendors share ids)."""
    label_distribution: pd.DataFrame
    """Per label: count_a, share_a, count_b, share_b."""
    by_category: pd.DataFrame | None
    """Per vendor and category: gold items, consensus accuracy with Wilson CI, per-judgment
    accuracy."""
    gold_items: pd.DataFrame | None
    """Per gold item: gold label, each vendor's consensus label, votes and correctness (+ for
    preferences the response lengths and texts)."""
    n_items: int
    n_gold: int
    n_only: tuple[int, int]
    confidence: float
    n_resamples: int
    near_random_margin: float
    decision_rule: str = DECISION_RULE

    @property
    def recommended(self) -> Literal["a", "b"] | None:
        """The recommended vendor, ``"a"`` or ``"b"``, or ``None``."""
        return self.decision.recommended

    @property
    def rationale(self) -> tuple[str, ...]:
        """The decision and its caveats in words, from :attr:`decision`'s numbers."""
        return (
            *_decision_sentences(self.decision, self.names),
            *(_caveat_sentence(c, self.names) for c in self.decision.caveats),
        )

    @property
    def a(self) -> VendorProfile:
        return self.profiles[0]

    @property
    def b(self) -> VendorProfile:
        return self.profiles[1]

    @property
    def disagreements(self) -> pd.DataFrame:
        """Gold items where the vendors' consensus labels differ or either is wrong."""
        if self.gold_items is None:
            return pd.DataFrame()
        g = self.gold_items
        differ = g["consensus_a"].astype(str) != g["consensus_b"].astype(str)
        mask = differ | ~g["correct_a"] | ~g["correct_b"]
        return g.loc[mask]

    def to_frame(self) -> pd.DataFrame:
        """The scorecard (one row per metric, both vendors, the difference and its CI)."""
        return self.scorecard.copy()

    def summary(self) -> str:
        """The executive summary: the decision first, then its evidence and the caveats."""
        name = {"a": self.names[0], "b": self.names[1]}
        head = (
            f"Recommendation: {name[self.recommended]}."
            if self.recommended
            else "Recommendation: none — the evidence does not separate the vendors."
        )
        return " ".join([head, *self.rationale])


# --------------------------------------------------------------------------------------
# compare_vendors
# --------------------------------------------------------------------------------------


def _check_costs(
    cost_per_label: Mapping[str, float] | Sequence[float] | None,
) -> tuple[float, float] | None:
    if cost_per_label is None:
        return None
    if isinstance(cost_per_label, Mapping):
        missing = [v for v in ("a", "b") if v not in cost_per_label]
        if missing:
            raise WorkbenchError(
                f"cost_per_label={dict(cost_per_label)!r} lacks vendor(s) {missing!r}; pass "
                "{'a': cost, 'b': cost} (cost of one judgment) or a pair (cost_a, cost_b)."
            )
        values = (cost_per_label["a"], cost_per_label["b"])
    else:
        values = tuple(cost_per_label)  # type: ignore[assignment]
        if len(values) != 2:
            raise WorkbenchError(
                f"cost_per_label={cost_per_label!r} must hold two costs (vendor a, vendor b)."
            )
    out = []
    for v, c in zip("ab", values, strict=True):
        number = isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool)
        if not number or not math.isfinite(c) or c < 0:
            raise WorkbenchError(
                f"cost_per_label for vendor {v} is {c!r}; pass a finite number >= 0 "
                "(the price of one judgment)."
            )
        out.append(float(c))
    return out[0], out[1]


def compare_vendors(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    gold: pd.DataFrame | None = None,
    cost_per_label: Mapping[str, float] | Sequence[float] | None = None,
    names: tuple[str, str] = ("a", "b"),
    confidence: float = 0.95,
    n_resamples: int = 2000,
    near_random_margin: float = 0.1,
    length: LengthMeasure = "words",
    rng: int | np.random.Generator | None = None,
    item: str = "item_id",
    annotator: str = "annotator_id",
    label: str = "label",
    pair: str = "pair_id",
    choice: str = "choice",
    duration: str = "duration_s",
    category: str = "category",
) -> VendorComparison:
    """Compare two vendors who labeled the same items; recommend one only on clear evidence.

    Parameters
    ----------
    a, b
        The vendors' long tables: both annotations (``item_id, annotator_id, label``) or
        both preferences (``pair_id, annotator_id, choice, response_a, response_b``; the
        pair is the item and the choice the label). Optional ``duration_s`` (seconds per
        judgment) and ``category``. Only the items both vendors labeled are compared.
    gold
        Gold table ``item_id, label`` (for preferences ``item_id`` holds the ``pair_id``).
        Without it nothing is recommended.
    cost_per_label
        Price of one judgment per vendor, ``{"a": 0.12, "b": 0.08}`` or ``(0.12, 0.08)``;
        gives cost per item and cost per validated label (cost per item / consensus gold
        accuracy: the expected price of one correct label).
    names
        Display names of the vendors in the summary and rationale.
    confidence
        Level of the reported intervals; the primary tests use the Bonferroni-adjusted
        level ``1 - (1 - confidence) / 2``.
    n_resamples
        Bootstrap resamples (>= 200).
    near_random_margin
        An annotator is *near-random* when its Dawid–Skene accuracy is below
        ``max(prior) + near_random_margin``, ``max(prior)`` being the accuracy of ignoring
        the item and always giving the most common label.
    length
        How response lengths are measured for the length bias (see :mod:`workbench.bias`).
    rng
        Seed or Generator of the bootstrap.
    item, annotator, label, pair, choice, duration, category
        Column names.

    Returns
    -------
    VendorComparison
        ``recommended``, ``rationale``, ``to_frame()`` (the scorecard), ``summary()``,
        ``tests``, per-vendor ``profiles``, ``by_category``, ``gold_items``.

    Raises
    ------
    WorkbenchError
        Tables of different or unknown kinds, schema violations (``SchemaError``), no shared
        items, gold items outside the shared items only, gold labels no vendor used, bad
        costs, ``confidence``, ``n_resamples`` or ``near_random_margin``. All inputs are
        checked before anything is computed.

    Notes
    -----
    **Decision rule** (:data:`DECISION_RULE`): recommend the vendor that is significantly
    better on at least one of the two primary metrics — gold accuracy of the consensus label
    and gold accuracy per judgment, each tested at the Bonferroni level
    ``1 - (1 - confidence) / 2`` so that together they keep the family-wise error rate at
    ``1 - confidence`` — significantly worse on none, and not significantly worse (at
    ``confidence``) on a secondary quality metric (Krippendorff's alpha; for preferences the
    length and position bias ``|P - 0.5|``); otherwise ``None``. Never a coin flip: on two
    equally good vendors ``None`` comes out in about ``confidence`` of the cases or more.

    The consensus label of an item is its unique most frequent label; an item whose top
    labels tie has no consensus and counts as wrong on gold. Per-judgment accuracy is the
    share of all judgments on gold items that equal the gold label (a ``tie`` judgment on a
    pair with a better response is wrong).

    **Bootstrap**: items are resampled with replacement as clusters, gold and non-gold
    items separately (the gold set keeps its size), and the *same* resampled items are used
    for both vendors (a paired bootstrap), so the interval of a difference accounts for the
    items both vendors found hard. Every statistic is a ratio of sums over items, so all
    resamples are one matrix product ``W @ X`` (resamples × items by items × features).
    Percentile intervals.

    **Annotator quality**: Dawid–Skene is fitted once on both vendors' judgments together
    (one latent truth for the shared items makes the annotators' accuracies comparable
    across vendors, and a vendor's shared bias cannot define the truth for itself);
    per-annotator accuracy and the near-random share are point estimates without
    intervals. An annotator's gold accuracy (on its judgments of gold items) is reported
    beside it.

    Between the vendors: Cohen's kappa of the consensus labels (items where both have
    one), McNemar's exact test of consensus correctness on the gold items
    (``statsmodels``), and a chi-square test of the two label distributions (``scipy``;
    it treats judgments as independent, so read it as descriptive).

    References
    ----------
    Efron, B. & Tibshirani, R. (1993). An Introduction to the Bootstrap, ch. 13 (percentile
    intervals). McNemar, Q. (1947). Psychometrika 12(2), 153-157. doi:10.1007/BF02295996.
    Dawid, A. P. & Skene, A. M. (1979). Applied Statistics 28(1), 20-28. doi:10.2307/2346806.

    Examples
    --------
    >>> from workbench.samples import make_vendors
    >>> s = make_vendors(200, 3, 80, rng=1)
    >>> res = compare_vendors(s.tables["vendor_a"], s.tables["vendor_b"],
    ...                       gold=s.tables["vendor_gold"], n_resamples=500, rng=0)
    >>> res.recommended
    'a'
    """
    conf = check_confidence(confidence)
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 200:
        raise WorkbenchError(
            f"n_resamples={n_resamples!r} is too few; use at least 200 (2000 is the default)."
        )
    if not (isinstance(near_random_margin, (int, float)) and 0 <= near_random_margin < 1):
        raise WorkbenchError(
            f"near_random_margin={near_random_margin!r} must lie in [0, 1), e.g. 0.1."
        )
    two_names = isinstance(names, (tuple, list)) and len(names) == 2
    if not (two_names and all(isinstance(x, str) for x in names)):
        raise WorkbenchError(f"names={names!r} must be two strings, e.g. ('Acme', 'Globex').")
    costs = _check_costs(cost_per_label)
    gen = as_rng(rng)
    setup = _Setup.build(
        a, b, gold, names=(names[0], names[1]), item=item, annotator=annotator, label=label, pair=pair,
        choice=choice, duration=duration, category=category, length=length,
    )
    # ---- all inputs are valid from here on ----
    feats, info = _features(setup, costs)
    X = feats.matrix()
    point = _metrics(np.ones((1, len(setup.items))) @ X, feats, setup, info)
    strata = [np.flatnonzero(setup.gold_mask), np.flatnonzero(~setup.gold_mask)]
    boots: list[dict[str, np.ndarray]] = []
    block = max(1, min(n_resamples, 20_000_000 // max(1, len(setup.items) + X.shape[1])))
    done = 0
    while done < n_resamples:
        size = min(block, n_resamples - done)
        weights = stratified_weights(gen, strata, len(setup.items), size)
        boots.append(_metrics(weights @ X, feats, setup, info))
        done += size
    boot = {key: np.concatenate([bb[key] for bb in boots]) for key in point}
    primary_level = 1 - (1 - conf) / 2
    ds, ds_keys = _pooled_dawid_skene(setup)
    profiles = tuple(_profile(setup, i, ds, ds_keys[i], near_random_margin, length) for i in range(2))
    scorecard = _with_annotator_rows(_scorecard(point, boot, setup, conf, primary_level), profiles)
    tests = _tests(point, boot, setup, info, conf)
    decision = _decide(scorecard, tests, setup, profiles, point, conf, costs)
    return VendorComparison(
        kind=setup.kind,
        names=setup.names,
        decision=decision,
        scorecard=scorecard,
        tests=tests,
        profiles=(profiles[0], profiles[1]),
        dawid_skene=ds,
        label_distribution=_label_distribution(setup),
        by_category=_by_category(setup, info, conf),
        gold_items=_gold_items(setup, info),
        n_items=len(setup.items),
        n_gold=int(setup.gold_mask.sum()),
        n_only=setup.n_only,
        confidence=conf,
        n_resamples=int(n_resamples),
        near_random_margin=float(near_random_margin),
    )


def _scorecard(
    point: dict[str, np.ndarray], boot: dict[str, np.ndarray], setup: _Setup, conf: float, primary_level: float
) -> pd.DataFrame:
    rows = []
    specs = list(_ROWS)
    for c in setup.categories:
        specs.append((f"share[{c}]", f"share of label {c!r}", "", "descriptive"))
    for key, metric, better, role in specs:
        if f"{key}_a" not in point:
            continue
        level = primary_level if role == "primary" else conf
        va, vb = float(point[f"{key}_a"][0]), float(point[f"{key}_b"][0])
        ba, bb = boot[f"{key}_a"], boot[f"{key}_b"]
        a_lo, a_hi = percentile_interval(ba, conf)
        b_lo, b_hi = percentile_interval(bb, conf)
        d_lo, d_hi = percentile_interval(ba - bb, level)
        favours = ""
        if better in ("higher", "lower") and math.isfinite(d_lo) and (d_lo > 0 or d_hi < 0):
            a_bigger = d_lo > 0
            favours = "a" if (a_bigger == (better == "higher")) else "b"
        rows.append({
            "metric": metric, "key": key, "role": role, "better": better,
            "a": va, "a_low": a_lo, "a_high": a_hi, "b": vb, "b_low": b_lo, "b_high": b_hi,
            "difference": va - vb, "diff_low": d_lo, "diff_high": d_hi, "ci_level": level,
            "favours": favours,
        })
    return pd.DataFrame(rows)


def _with_annotator_rows(card: pd.DataFrame, profiles: Sequence[VendorProfile]) -> pd.DataFrame:
    """Append the Dawid–Skene rows (point estimates: annotators are not resampled)."""
    rows = []
    for key, metric, better, get in (
        ("ds_accuracy", "mean Dawid-Skene annotator accuracy (per judgment)", "higher",
         lambda p: float(np.average(p.annotators["ds_accuracy"], weights=p.annotators["n_judgments"]))),
        ("near_random_share", "share of near-random annotators", "lower", lambda p: p.near_random_share),
    ):
        va, vb = get(profiles[0]), get(profiles[1])
        rows.append({
            "metric": metric, "key": key, "role": "descriptive", "better": better,
            "a": va, "a_low": math.nan, "a_high": math.nan, "b": vb, "b_low": math.nan, "b_high": math.nan,
            "difference": va - vb, "diff_low": math.nan, "diff_high": math.nan, "ci_level": math.nan,
            "favours": "",
        })
    return pd.concat([card, pd.DataFrame(rows)], ignore_index=True)


def _pooled_dawid_skene(setup: _Setup) -> tuple[DawidSkeneResult, tuple[pd.Index, pd.Index]]:
    """Dawid–Skene on both vendors' judgments together (annotator ids made distinct)."""
    import warnings

    from workbench.errors import ConvergenceWarning

    ids = [vd.frame["annotator"].astype(str) for vd in setup.vendors]
    clash = bool(set(ids[0]) & set(ids[1]))
    keys = [f"{v}:" + x if clash else x for v, x in zip("ab", ids, strict=True)]
    pool = pd.DataFrame({
        "item_id": np.concatenate([vd.item for vd in setup.vendors]),
        "annotator_id": pd.concat(keys, ignore_index=True).to_numpy(),
        "label": np.asarray(setup.categories, dtype=object)[
            np.concatenate([vd.label for vd in setup.vendors])
        ],
    })
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ds = dawid_skene(pool, max_iter=200, smoothing=0.01, value_order=list(setup.categories))
    return ds, (pd.Index(pd.unique(keys[0])), pd.Index(pd.unique(keys[1])))


def _profile(
    setup: _Setup, i: int, ds: DawidSkeneResult, keys: pd.Index, margin: float, length: LengthMeasure
) -> VendorProfile:
    vd = setup.vendors[i]
    v = "ab"[i]
    f = vd.frame
    acc_all = ds.annotator_accuracy()
    chance = float(ds.priors.max())
    ann_ids = pd.Index(pd.unique(f["annotator"]), name="annotator_id")
    per = pd.DataFrame(index=ann_ids)
    per["n_judgments"] = f.groupby("annotator")["label"].size().reindex(ann_ids).to_numpy()
    per["ds_accuracy"] = acc_all.reindex(keys).to_numpy()
    gold_of = pd.Series(setup.gold_code, index=np.arange(len(setup.items)))
    gcode = gold_of.to_numpy()[vd.item]
    on_gold = gcode >= 0
    correct = on_gold & (vd.label == gcode)
    g = pd.DataFrame({"annotator": f["annotator"].to_numpy(), "on": on_gold, "ok": correct})
    agg = g.groupby("annotator").agg(n_gold=("on", "sum"), ok=("ok", "sum")).reindex(ann_ids)
    per["n_gold"] = agg["n_gold"].to_numpy()
    per["gold_accuracy"] = (agg["ok"] / agg["n_gold"].where(agg["n_gold"] > 0)).to_numpy()
    lb = pb = None
    if setup.kind == "preferences":
        per_ann = pd.DataFrame({"annotator": f["annotator"].to_numpy(), "c": vd.compared, "l": vd.longer})
        s = per_ann.groupby("annotator").agg(c=("c", "sum"), l=("l", "sum")).reindex(ann_ids)
        per["p_longer_preferred"] = (s["l"] / s["c"].where(s["c"] > 0)).to_numpy()
        bias_in = pd.DataFrame({
            "pair_id": f["item"].to_numpy(), "annotator_id": f["annotator"].to_numpy(),
            "choice": f["label"].astype(str).str.lower().to_numpy(),
            "response_a": f["response_a"].to_numpy(), "response_b": f["response_b"].to_numpy(),
            "len_a": f["len_a"].to_numpy(), "len_b": f["len_b"].to_numpy(),
        })
        # lengths were measured once in _code_vendor with `length`; reuse them
        lb = length_bias(bias_in, length="columns")
        lb = _renamed_length(lb, length)
        pb = position_bias(bias_in)
    if vd.duration is not None:
        per["median_duration_s"] = (
            pd.Series(vd.duration).groupby(f["annotator"].to_numpy()).median().reindex(ann_ids).to_numpy()
        )
    per["near_random"] = ds.near_random(margin).reindex(keys).to_numpy(dtype=bool)
    near = tuple(str(x) for x in ann_ids[per["near_random"].to_numpy()])
    per.insert(0, "vendor", v)
    return VendorProfile(
        name=setup.names[i],
        n_judgments=len(f),
        n_items=int(f["item"].nunique()),
        n_annotators=len(per),
        near_random=near,
        near_random_share=len(near) / len(per),
        chance_accuracy=chance,
        length_bias=lb,
        position_bias=pb,
        annotators=per.reset_index(),
    )


def _renamed_length(result: LengthBiasResult, length: LengthMeasure) -> LengthBiasResult:
    import dataclasses

    name = getattr(length, "__name__", "custom units") if callable(length) else (
        "units" if length == "columns" else str(length)
    )
    return dataclasses.replace(result, length=name)


def _tests(
    point: dict[str, np.ndarray],
    boot: dict[str, np.ndarray],
    setup: _Setup,
    info: dict[str, Any],
    conf: float,
) -> pd.DataFrame:
    from statsmodels.stats.contingency_tables import mcnemar

    rows = []
    ca, cb = info["consensus"]
    both = (ca >= 0) & (cb >= 0)
    lo, hi = percentile_interval(boot["kappa_consensus"], conf)
    rows.append({
        "test": KAPPA_TEST, "statistic": float(point["kappa_consensus"][0]),
        "ci_low": lo, "ci_high": hi, "p_value": math.nan, "n": int(both.sum()),
        "note": f"{interpret(float(point['kappa_consensus'][0]))} agreement; items where both "
        "vendors have a consensus label",
    })
    if setup.gold_mask.any():
        g = setup.gold_mask
        ra = (ca == setup.gold_code)[g]
        rb = (cb == setup.gold_code)[g]
        table = np.array([[np.sum(ra & rb), np.sum(ra & ~rb)], [np.sum(~ra & rb), np.sum(~ra & ~rb)]])
        res = mcnemar(table, exact=True)
        rows.append({
            "test": MCNEMAR_TEST, "statistic": float(res.statistic),
            "ci_low": math.nan, "ci_high": math.nan, "p_value": float(res.pvalue), "n": int(g.sum()),
            "note": f"only a right: {table[0, 1]}, only b right: {table[1, 0]}, "
            f"both: {table[0, 0]}, neither: {table[1, 1]}",
        })
    counts = np.vstack([setup.vendors[0].counts.sum(axis=0), setup.vendors[1].counts.sum(axis=0)])
    used = counts.sum(axis=0) > 0
    if used.sum() >= 2:
        chi2, p, dof, _ = stats.chi2_contingency(counts[:, used])
        rows.append({
            "test": CHI2_TEST, "statistic": float(chi2), "ci_low": math.nan,
            "ci_high": math.nan, "p_value": float(p), "n": int(counts.sum()),
            "note": f"{dof} df; judgments treated as independent (descriptive)",
        })
    return pd.DataFrame(rows)


def _label_distribution(setup: _Setup) -> pd.DataFrame:
    ca = setup.vendors[0].counts.sum(axis=0)
    cb = setup.vendors[1].counts.sum(axis=0)
    return pd.DataFrame(
        {"count_a": ca, "share_a": ca / ca.sum(), "count_b": cb, "share_b": cb / cb.sum()},
        index=setup.categories,
    )


def _item_category(setup: _Setup) -> pd.Series | None:
    for vd in setup.vendors:
        if "category" in vd.frame.columns:
            return vd.frame.groupby("item", sort=False)["category"].first().reindex(setup.items)
    return None


def _by_category(setup: _Setup, info: dict[str, Any], conf: float) -> pd.DataFrame | None:
    cat = _item_category(setup)
    if cat is None or not setup.gold_mask.any():
        return None
    g = setup.gold_mask
    rows = []
    for i, v in enumerate("ab"):
        vd = setup.vendors[i]
        cons_ok = (info["consensus"][i] == setup.gold_code) & g
        m = vd.counts.sum(axis=1)
        gc = np.where(g, setup.gold_code, 0)
        jud_ok = vd.counts[np.arange(len(m)), gc] * g
        frame = pd.DataFrame(
            {"category": cat.to_numpy(), "gold": g, "ok": cons_ok, "j_ok": jud_ok, "m": m * g}
        )
        agg = frame[frame["gold"]].groupby("category", sort=True).agg(
            n_gold=("gold", "size"), n_correct=("ok", "sum"), j_ok=("j_ok", "sum"), m=("m", "sum")
        )
        lo, hi = wilson_interval(agg["n_correct"].to_numpy(), agg["n_gold"].to_numpy(), conf)
        for (c, r), l_, h_ in zip(agg.iterrows(), lo, hi, strict=True):
            rows.append({
                "vendor": v, "category": c, "n_gold": int(r["n_gold"]),
                "consensus_accuracy": r["n_correct"] / r["n_gold"], "ci_low": float(l_), "ci_high": float(h_),
                "judgment_accuracy": r["j_ok"] / r["m"] if r["m"] > 0 else math.nan,
            })
    return pd.DataFrame(rows)


def _votes(counts: np.ndarray, categories: pd.Index) -> list[str]:
    parts = [
        [f"{c}:{n}" for c, n in zip(categories, row, strict=True) if n > 0] for row in counts
    ]
    return [" ".join(p) for p in parts]


def _gold_items(setup: _Setup, info: dict[str, Any]) -> pd.DataFrame | None:
    if not setup.gold_mask.any():
        return None
    g = np.flatnonzero(setup.gold_mask)
    cats = np.asarray(setup.categories, dtype=object)
    out = pd.DataFrame({"item_id": np.asarray(setup.items)[g], "gold": cats[setup.gold_code[g]]})
    cat = _item_category(setup)
    if cat is not None:
        out["category"] = cat.to_numpy()[g]
    for i, v in enumerate("ab"):
        cons = info["consensus"][i][g]
        out[f"consensus_{v}"] = np.where(cons >= 0, cats[np.maximum(cons, 0)], "(no consensus)")
        out[f"votes_{v}"] = _votes(setup.vendors[i].counts[g], setup.categories)
        out[f"correct_{v}"] = cons == setup.gold_code[g]
    first = setup.vendors[0].frame.groupby("item", sort=False).first()
    for c in ("len_a", "len_b", "prompt", "response_a", "response_b"):
        if c in first.columns:
            out[c] = first[c].reindex(out["item_id"]).to_numpy()
    return out


# --------------------------------------------------------------------------------------
# The rule and its wording
# --------------------------------------------------------------------------------------


def _decide(
    card: pd.DataFrame,
    tests: pd.DataFrame,
    setup: _Setup,
    profiles: Sequence[VendorProfile],
    point: dict[str, np.ndarray],
    conf: float,
    costs: tuple[float, float] | None,
) -> VendorDecision:
    """Apply :data:`DECISION_RULE` to the scorecard; collect the caveats as codes and numbers."""
    n_gold = int(setup.gold_mask.sum())
    evidence = card[card["role"].isin(["primary", "secondary"])].reset_index(drop=True)
    mc = tests[tests["test"] == MCNEMAR_TEST]
    mcnemar_p = float(mc["p_value"].iloc[0]) if len(mc) else None
    recommended: Literal["a", "b"] | None = None
    candidate: Literal["a", "b"] | None = None
    against: tuple[str, ...] = ()
    if n_gold == 0:
        outcome: Outcome = "no_gold"
    else:
        wins = {f for f in card.loc[card["role"] == "primary", "favours"] if f}
        if len(wins) == 2:
            outcome = "opposite_directions"
        elif not wins:
            outcome = "no_significant_difference"
        else:
            candidate = "a" if wins == {"a"} else "b"
            other = "b" if candidate == "a" else "a"
            sec = card[(card["role"] == "secondary") & (card["favours"] == other)]
            against = tuple(sec["key"])
            outcome = "contradicted" if against else "recommended"
            recommended = candidate if not against else None
    caveats = _caveats(card, setup, profiles, point, conf, costs, n_gold, recommended)
    return VendorDecision(
        recommended=recommended, outcome=outcome, candidate=candidate, evidence=evidence,
        against=against, mcnemar_p=mcnemar_p, n_gold=n_gold, caveats=caveats,
    )


def _caveats(
    card: pd.DataFrame,
    setup: _Setup,
    profiles: Sequence[VendorProfile],
    point: dict[str, np.ndarray],
    conf: float,
    costs: tuple[float, float] | None,
    n_gold: int,
    recommended: Literal["a", "b"] | None,
) -> tuple[Caveat, ...]:
    row = {r.key: r for r in card.itertuples(index=False)}
    out: list[Caveat] = []
    if n_gold and n_gold < 200:
        half = (row["acc_cons"].diff_high - row["acc_cons"].diff_low) / 2
        out.append(Caveat("small_gold", {"n_gold": n_gold, "half_width": float(half)}))
    out.append(Caveat("reliability", {"alpha_a": float(row["alpha"].a), "alpha_b": float(row["alpha"].b)}))
    for v, p in zip("ab", profiles, strict=True):
        if p.near_random:
            out.append(Caveat("near_random", {"vendor": v, "annotators": p.near_random, "n_annotators": p.n_annotators}))
    if setup.kind == "preferences" and "length_dev" in row:
        biased = {v: float(point[f"p_longer_{v}"][0]) for v in "ab"}
        biased = {v: x for v, x in biased.items() if abs(x - 0.5) >= 0.1}
        if biased:
            out.append(Caveat("length_bias", {"vendors": biased}))
    if costs is not None and "cost_valid" in row:
        cv = row["cost_valid"]
        cheap = "a" if costs[0] < costs[1] else "b" if costs[1] < costs[0] else None
        out.append(Caveat("cost", {
            "cost_a": costs[0], "cost_b": costs[1], "valid_a": float(cv.a), "valid_b": float(cv.b),
            "cheaper_but_worse": cheap if recommended and cheap and cheap != recommended else None,
            "difference": float(cv.difference), "diff_low": float(cv.diff_low),
            "diff_high": float(cv.diff_high), "confidence": conf,
        }))
    if "sec_item" in row:
        s = row["sec_item"]
        faster = "a" if s.a < s.b else "b"
        out.append(Caveat("speed", {
            "faster": faster, "seconds_a": float(s.a), "seconds_b": float(s.b),
            "against_recommended": bool(recommended and faster != recommended),
        }))
    if any(setup.n_only):
        out.append(Caveat("items_left_out", {"only_a": setup.n_only[0], "only_b": setup.n_only[1]}))
    if n_gold and setup.n_gold_given > n_gold:
        out.append(Caveat("gold_unused", {"n": setup.n_gold_given - n_gold}))
    return tuple(out)


def _pct(x: float) -> str:
    return f"{x:.1%}"


def _pts(x: float) -> str:
    return f"{100 * x:+.1f} points"


def _decision_sentences(decision: VendorDecision, names: tuple[str, str]) -> list[str]:
    """The rationale: what the rule concluded and why, from the decision's numbers."""
    name = {"a": names[0], "b": names[1]}
    ev = decision.evidence.set_index("key", drop=False)
    n_gold = decision.n_gold
    if decision.outcome == "no_gold":
        return [
            "No gold labels were given, so accuracy cannot be measured and nothing is recommended: "
            "agreement alone cannot tell which vendor is right, because a bias shared by a vendor's "
            "annotators (e.g. preferring the longer response) raises their agreement too. Add a gold "
            "set of a few hundred items both vendors labeled."
        ]
    prim = ev[ev["role"] == "primary"].itertuples(index=False)
    evidence = "; ".join(
        f"{r.metric}: {name['a']} {_pct(r.a)} vs {name['b']} {_pct(r.b)}, difference "
        f"{_pts(r.difference)} ({r.ci_level:.1%} CI {_pts(r.diff_low)} to {_pts(r.diff_high)})"
        for r in prim
    )
    mc_text = f"; McNemar exact p = {decision.mcnemar_p:.3g}" if decision.mcnemar_p is not None else ""
    if decision.outcome == "opposite_directions":
        return [
            f"The primary metrics point in opposite directions on {n_gold} gold items ({evidence}), "
            "so nothing is recommended."
        ]
    if decision.outcome == "no_significant_difference":
        return [
            f"On {n_gold} gold items neither vendor is significantly more accurate ({evidence}{mc_text}); "
            "both intervals include zero, so nothing is recommended."
        ]
    cand = name[decision.candidate or "a"]
    if decision.outcome == "contradicted":
        worse = "; ".join(
            f"{r.metric} {name['a']} {r.a:.3f} vs {name['b']} {r.b:.3f} "
            f"(difference {r.difference:+.3f}, {r.ci_level:.0%} CI {r.diff_low:+.3f} to {r.diff_high:+.3f})"
            for r in ev.loc[list(decision.against)].itertuples(index=False)
        )
        return [
            f"{cand} is more accurate on {n_gold} gold items ({evidence}{mc_text}), but it is "
            f"significantly worse on {worse}; the evidence points both ways, so nothing is "
            "recommended — weigh these against each other for your use."
        ]
    out = [
        f"{cand} is significantly more accurate against gold ({evidence}{mc_text}); "
        "the intervals use a paired item bootstrap and a Bonferroni correction over the two "
        "primary metrics."
    ]
    sec = list(ev[ev["role"] == "secondary"].itertuples(index=False))
    if sec:
        parts = [
            f"{r.metric} {r.a:.3f} vs {r.b:.3f} "
            f"({f'better for {name[r.favours]}' if r.favours else 'no significant difference'})"
            for r in sec
        ]
        out.append("No secondary quality metric contradicts it: " + "; ".join(parts) + ".")
    return out


def _caveat_sentence(c: Caveat, names: tuple[str, str]) -> str:
    """One caveat in words."""
    name = {"a": names[0], "b": names[1]}
    v = c.values
    if c.code == "small_gold":
        return (
            f"The gold set is small ({v['n_gold']} items shared by both vendors): the consensus-accuracy "
            f"difference is only known to about ±{100 * v['half_width']:.0f} points, so smaller differences "
            "go undetected."
        )
    if c.code == "reliability":
        return (
            f"Krippendorff's alpha is {v['alpha_a']:.2f} for {name['a']} and {v['alpha_b']:.2f} for {name['b']} "
            f"({interpret(v['alpha_a'], scale='krippendorff')} / {interpret(v['alpha_b'], scale='krippendorff')} "
            "by Krippendorff's bars)."
        )
    if c.code == "near_random":
        return (
            f"{name[v['vendor']]} has {len(v['annotators'])} of {v['n_annotators']} annotators whose Dawid-Skene "
            f"accuracy is near chance ({', '.join(v['annotators'])}); removing them would change "
            "its numbers."
        )
    if c.code == "length_bias":
        biased = [f"{name[k]} picks the longer response {x:.0%} of the time" for k, x in v["vendors"].items()]
        return "Length bias: " + "; ".join(biased) + " (0.5 = no length preference)."
    if c.code == "cost":
        cheap = v["cheaper_but_worse"]
        if cheap is None:
            return (
                f"Cost per validated (correct consensus) label: {name['a']} {v['valid_a']:.3g}, "
                f"{name['b']} {v['valid_b']:.3g}."
            )
        dear = "b" if cheap == "a" else "a"
        return (
            f"{name[cheap]} is cheaper per judgment ({v[f'cost_{cheap}']:.3g} vs {v[f'cost_{dear}']:.3g}) but "
            f"worse; per validated (correct consensus) label {name['a']} costs {v['valid_a']:.3g} and "
            f"{name['b']} {v['valid_b']:.3g}"
            + (
                f" (difference {v['difference']:+.3g}, {v['confidence']:.0%} CI {v['diff_low']:+.3g} to "
                f"{v['diff_high']:+.3g})."
                if math.isfinite(v["diff_low"])
                else "."
            )
        )
    if c.code == "speed":
        lo, hi = sorted((v["seconds_a"], v["seconds_b"]))
        return (
            f"{name[v['faster']]} is faster: {lo:.0f} vs {hi:.0f} seconds of work per item"
            + (" — speed bought with accuracy." if v["against_recommended"] else ".")
        )
    if c.code == "items_left_out":
        return (
            f"{v['only_a']} items labeled only by {name['a']} and {v['only_b']} only by "
            f"{name['b']} were left out of the comparison."
        )
    if c.code == "gold_unused":
        return f"{v['n']} gold items were not labeled by both vendors and were not used."
    raise ValueError(f"unknown caveat code {c.code!r}")
