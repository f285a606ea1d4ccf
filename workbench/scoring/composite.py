"""Composite keep / drop / review decisions from several scores and declarative rules.

A rule reads one score column and a threshold (fixed, or a percentile of the scored data)
and says what happens to items beyond it. ``decide`` applies every rule: any ``drop``
wins, then any ``review``, else ``keep``; each decision carries its reasons, such as
``"perplexity 2,310 > 1,500"``. An :class:`AllOf` rule fires only when all its parts do;
the default rules use it for the blind spot of perplexity alone — text that repeats itself
has very *low* perplexity and would sail through a perplexity filter.

Rules are saved as YAML (``{"rules": [{...}, ...]}``) so that a calibration step can write
them and a pipeline can read them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from workbench._validation import check_choice, require_columns, require_frame
from workbench.errors import WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    from workbench.scoring.cache import ScoreCache
    from workbench.scoring.perplexity import LoadedLM

__all__ = [
    "AllOf",
    "Rule",
    "buckets",
    "decide",
    "default_rules",
    "format_number",
    "load_rules",
    "save_rules",
    "score_texts",
    "TEXT_METRICS",
    "FunnelResult",
    "boundary_items",
    "cleaning_funnel",
    "keep_rate_sweep",
    "DUPLICATE_COLUMNS",
    "FUNNEL_STAGES",
    "NEAR_DUPLICATES",
    "dedup_rules",
    "duplicate_flags",
    "funnel_stages",
    "rule_stage",
    "rule_threshold",
]

_DIRECTIONS = ("max", "min")
_ACTIONS = ("drop", "review")


@dataclass(frozen=True)
class Rule:
    """A threshold on one score column.

    Attributes
    ----------
    metric
        Column of the scores table.
    direction
        ``"max"``: values above the threshold violate (perplexity, repetition);
        ``"min"``: values below violate (CLIP score, word count).
    threshold
        Fixed threshold; exactly one of ``threshold`` and ``percentile``.
    percentile
        Threshold at this percentile (0–100) of the scored values, e.g. ``95`` with
        ``direction="max"`` acts on the top 5 %.
    action
        ``"drop"`` or ``"review"`` for violating items.
    review_margin
        Items within this distance of the threshold (in the metric's units, on either
        side) go to review instead; violations beyond it get ``action``.
    """

    metric: str
    direction: Literal["max", "min"]
    threshold: float | None = None
    percentile: float | None = None
    action: Literal["drop", "review"] = "drop"
    review_margin: float = 0.0

    def __post_init__(self) -> None:
        check_choice(self.direction, name="direction", choices=_DIRECTIONS)
        check_choice(self.action, name="action", choices=_ACTIONS)
        if (self.threshold is None) == (self.percentile is None):
            raise WorkbenchError(
                f"rule on '{self.metric}' needs exactly one of threshold= and percentile=, got "
                f"threshold={self.threshold!r}, percentile={self.percentile!r}."
            )
        if self.percentile is not None and not 0 <= self.percentile <= 100:
            raise WorkbenchError(
                f"rule on '{self.metric}': percentile={self.percentile!r} must lie in 0–100."
            )
        if not self.review_margin >= 0:
            raise WorkbenchError(
                f"rule on '{self.metric}': review_margin={self.review_margin!r} must be ≥ 0."
            )

    @property
    def metrics(self) -> tuple[str, ...]:
        """Score columns the rule reads."""
        return (self.metric,)

    def resolve_threshold(self, values: pd.Series) -> float:
        """The fixed threshold, or the percentile of the non-missing ``values``."""
        if self.threshold is not None:
            return float(self.threshold)
        v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        v = v[np.isfinite(v)]
        if len(v) == 0:
            raise WorkbenchError(
                f"rule on '{self.metric}' uses percentile={self.percentile} but the column has no "
                "finite values to take a percentile of; use threshold= or score the items first."
            )
        return float(np.percentile(v, float(self.percentile)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class AllOf:
    """Fires only where every one of its rules is violated (their own actions are ignored).

    Example: very low perplexity *and* heavy n-gram repetition → review.
    """

    rules: tuple[Rule, ...]
    action: Literal["drop", "review"] = "review"
    name: str = ""

    def __post_init__(self) -> None:
        check_choice(self.action, name="action", choices=_ACTIONS)
        if len(self.rules) < 2 or not all(isinstance(r, Rule) for r in self.rules):
            raise WorkbenchError("AllOf needs at least two Rule objects in rules=(...).")

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(r.metric for r in self.rules)


AnyRule = Rule | AllOf


def format_number(x: float) -> str:
    """Format a score for a reason string: thousands separators, few decimals.

    Examples
    --------
    >>> [format_number(v) for v in (2310.4, 42.123, 0.123456, 3.0, float("nan"))]
    ['2,310', '42.1', '0.123', '3', 'nan']
    """
    if not np.isfinite(x):
        return "nan"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 10:
        return f"{x:,.1f}".rstrip("0").rstrip(".")
    return f"{x:.3g}"


def _violations(rule: Rule, values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Masks (beyond threshold+margin, within the margin band, missing) and the threshold."""
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    thr = rule.resolve_threshold(values)
    m = float(rule.review_margin)
    missing = ~np.isfinite(v)
    with np.errstate(invalid="ignore"):
        if rule.direction == "max":
            beyond = v > thr + m
            band = (v > thr - m) & (v <= thr + m) if m > 0 else np.zeros(len(v), dtype=bool)
        else:
            beyond = v < thr - m
            band = (v >= thr - m) & (v < thr + m) if m > 0 else np.zeros(len(v), dtype=bool)
    return beyond & ~missing, band & ~missing, missing, thr


def _reason(rule: Rule, values: np.ndarray, thr: float, *, band: bool = False) -> np.ndarray:
    op = ">" if rule.direction == "max" else "<"
    if band:
        op = "≈"
    tag = f" (p{format_number(rule.percentile)})" if rule.percentile is not None else ""
    return np.array(
        [f"{rule.metric} {format_number(x)} {op} {format_number(thr)}{tag}" for x in values], dtype=object
    )


def decide(scores: pd.DataFrame, rules: Sequence[Rule | AllOf]) -> pd.DataFrame:
    """Keep, drop or review each item by declarative rules, with the reasons.

    Parameters
    ----------
    scores
        One row per item, one column per score (e.g. the output of
        :func:`workbench.scoring.score_texts`).
    rules
        :class:`Rule` and :class:`AllOf` objects, e.g. from :func:`load_rules` or
        :func:`default_rules`.

    Returns
    -------
    pandas.DataFrame
        Index of ``scores``; ``decision`` (``"keep"``, ``"drop"``, ``"review"``) and
        ``reasons`` (``"; "``-joined, empty for kept items). A missing score sends the item
        to review ("perplexity missing"), since nothing can be said about it.

    Raises
    ------
    SchemaError
        A rule names a column that ``scores`` lacks.

    Examples
    --------
    >>> scores = pd.DataFrame({"perplexity": [12.0, 2310.0, 1480.0, np.nan]})
    >>> rules = [Rule("perplexity", "max", threshold=1500, review_margin=50)]
    >>> out = decide(scores, rules)
    >>> out["decision"].tolist()
    ['keep', 'drop', 'review', 'review']
    >>> out["reasons"].tolist()
    ['', 'perplexity 2,310 > 1,500', 'perplexity 1,480 ≈ 1,500', 'perplexity missing']
    """
    frame = require_frame(scores, table="scores")
    rules = list(rules)
    for r in rules:
        if not isinstance(r, (Rule, AllOf)):
            raise TypeError(f"rules must be Rule or AllOf objects, got {type(r).__name__}.")
    needed = list(dict.fromkeys(m for r in rules for m in r.metrics))
    require_columns(frame, needed, table="scores")
    n = len(frame)
    drop = np.zeros(n, dtype=bool)
    review = np.zeros(n, dtype=bool)
    reasons: list[list[str]] = [[] for _ in range(n)]

    def add(mask: np.ndarray, texts: np.ndarray) -> None:
        for i in np.flatnonzero(mask):
            reasons[i].append(texts[i])

    for r in rules:
        if isinstance(r, Rule):
            beyond, band, missing, thr = _violations(r, frame[r.metric])
            vals = pd.to_numeric(frame[r.metric], errors="coerce").to_numpy(dtype=np.float64)
            (drop if r.action == "drop" else review)[beyond] = True
            review[band | missing] = True
            add(beyond, _reason(r, vals, thr))
            add(band, _reason(r, vals, thr, band=True))
            add(missing, np.full(n, f"{r.metric} missing", dtype=object))
        else:
            parts = []
            fired = np.ones(n, dtype=bool)
            for sub in r.rules:
                beyond, _, _, thr = _violations(sub, frame[sub.metric])
                fired &= beyond
                vals = pd.to_numeric(frame[sub.metric], errors="coerce").to_numpy(dtype=np.float64)
                parts.append(_reason(sub, vals, thr))
            (drop if r.action == "drop" else review)[fired] = True
            label = f"{r.name}: " if r.name else ""
            joined = np.array([label + " and ".join(p[i] for p in parts) for i in range(n)], dtype=object)
            add(fired, joined)
    decision = np.where(drop, "drop", np.where(review, "review", "keep"))
    return pd.DataFrame(
        {
            "decision": pd.array(decision, dtype="string"),
            "reasons": pd.array(["; ".join(r) for r in reasons], dtype="string"),
        },
        index=frame.index,
    )


def default_rules(*, language: str = "en", perplexity_threshold: float = 300.0) -> list[Rule | AllOf]:
    """The default text rules: Gopher heuristics, language, perplexity, repetition blind spot.

    Parameters
    ----------
    language
        The language to keep; texts whose ``lang_score_<language>`` (probability of that
        language from :func:`~workbench.scoring.language_id`) is below 0.5 are dropped.
    perplexity_threshold
        Texts above it are dropped (SmolLM2-135M scale: fluent prose of the sample corpus
        scores 10–95, its shuffled-word salad 630–1,600); texts within 30 % of it on
        either side go to review.

    Notes
    -----
    Gopher's thresholds (Rae et al. 2021, appendix A.1): 50–100,000 words, mean word length
    3–10, symbol-to-word ratio ≤ 0.1, ≤ 30 % duplicate lines, top 2/3/4-gram character
    fraction ≤ 0.20/0.18/0.16, at least 2 stop words, ≥ 80 % of words with a letter.
    The last rule reviews text that the LM finds very easy (perplexity < 4) *and* that
    repeats one 4-gram over more than 16 % of its characters.

    Examples
    --------
    >>> [r.metric for r in default_rules() if isinstance(r, Rule)][:3]
    ['lang_score_en', 'n_words', 'n_words']
    """
    ppl = float(perplexity_threshold)
    return [
        Rule(f"lang_score_{language}", "min", threshold=0.5),
        Rule("n_words", "min", threshold=50),
        Rule("n_words", "max", threshold=100_000),
        Rule("mean_word_length", "min", threshold=3),
        Rule("mean_word_length", "max", threshold=10),
        Rule("symbol_to_word_ratio", "max", threshold=0.1),
        Rule("duplicate_line_fraction", "max", threshold=0.3),
        Rule("top_2gram_char_fraction", "max", threshold=0.20),
        Rule("top_3gram_char_fraction", "max", threshold=0.18),
        Rule("top_4gram_char_fraction", "max", threshold=0.16),
        Rule("stop_word_count", "min", threshold=2),
        Rule("alpha_word_fraction", "min", threshold=0.8),
        Rule("perplexity", "max", threshold=ppl, review_margin=0.3 * ppl),
        AllOf(
            (
                Rule("perplexity", "min", threshold=4.0),
                Rule("top_4gram_char_fraction", "max", threshold=0.16),
            ),
            action="review",
            name="low perplexity from repetition",
        ),
    ]


FUNNEL_STAGES: tuple[str, ...] = ("language", "heuristics", "perplexity", "dedup", "other")
"""The cleaning funnel's stages in order: cheap filters first, the language model, then near-duplicates."""

#: What the funnel's dedup stage does with a near-duplicate (a non-representative whose
#: similarity to its representative is below 1): ``"drop"`` — one representative per
#: cluster stays, as for exact copies. ``"review"`` sends near-duplicates to a person instead
#: (they stay in the corpus until decided). Exact copies are always dropped.
NEAR_DUPLICATES: Literal["drop", "review"] = "drop"

#: The dedup stage's score columns (:func:`duplicate_flags`).
DUPLICATE_COLUMNS: tuple[str, ...] = ("is_duplicate", "is_exact_duplicate")


def duplicate_flags(clusters: pd.DataFrame) -> pd.DataFrame:
    """The dedup stage's scores from a clusters table (:func:`workbench.dedup.find_duplicates`).

    ``is_duplicate`` is 1.0 for every document that is not its cluster's representative;
    ``is_exact_duplicate`` is 1.0 for those among them whose similarity to the representative
    is 1 (exact copies after normalisation). Same index as ``clusters``.

    Examples
    --------
    >>> c = pd.DataFrame({"is_representative": [True, False, False], "similarity": [1.0, 1.0, 0.86]})
    >>> duplicate_flags(c).to_dict("list")
    {'is_duplicate': [0.0, 1.0, 1.0], 'is_exact_duplicate': [0.0, 1.0, 0.0]}
    """
    copy = ~clusters["is_representative"].astype(bool).to_numpy()
    sim = pd.to_numeric(clusters["similarity"], errors="coerce").to_numpy(dtype=float) if "similarity" in clusters \
        else np.ones(len(clusters))
    exact = copy & (np.nan_to_num(sim, nan=1.0) >= 1 - 1e-9)
    return pd.DataFrame({"is_duplicate": copy.astype(float), "is_exact_duplicate": exact.astype(float)},
                        index=clusters.index)


def dedup_rules(near_duplicates: Literal["drop", "review"] = NEAR_DUPLICATES) -> list[Rule | AllOf]:
    """The rules of the funnel's declared dedup stage (on :func:`duplicate_flags`' columns).

    With the default (:data:`NEAR_DUPLICATES`, ``"drop"``) every non-representative is
    dropped; with ``"review"`` exact copies are dropped and near-duplicates reviewed.

    Examples
    --------
    >>> [(r.metrics, r.action) for r in dedup_rules()]
    [(('is_duplicate',), 'drop')]
    >>> [rule_stage(r) for r in dedup_rules("review")]
    ['dedup', 'dedup']
    """
    if near_duplicates not in ("drop", "review"):
        raise WorkbenchError(f"near_duplicates={near_duplicates!r} must be 'drop' or 'review'.")
    if near_duplicates == "drop":
        return [Rule("is_duplicate", "max", threshold=0.5)]
    return [Rule("is_exact_duplicate", "max", threshold=0.5),
            Rule("is_duplicate", "max", threshold=0.5, action="review")]


def rule_stage(rule: Rule | AllOf) -> str:
    """The funnel stage of a rule, from the score columns it reads.

    ``"perplexity"`` if it reads ``perplexity``; ``"language"`` if it reads only language
    scores (``lang_score_<code>`` of :func:`~workbench.scoring.language_id`);
    ``"heuristics"`` if it reads only :data:`~workbench.scoring.TEXT_STAT_COLUMNS`;
    ``"dedup"`` if it reads only :data:`DUPLICATE_COLUMNS` (see :func:`dedup_rules`);
    ``"other"`` otherwise.

    Examples
    --------
    >>> [rule_stage(r) for r in default_rules()][:3], rule_stage(default_rules()[-1])
    (['language', 'heuristics', 'heuristics'], 'perplexity')
    """
    from workbench.scoring.text import TEXT_STAT_COLUMNS

    metrics = rule.metrics
    if "perplexity" in metrics:
        return "perplexity"
    if all(m.startswith("lang_score_") for m in metrics):
        return "language"
    if all(m in TEXT_STAT_COLUMNS for m in metrics):
        return "heuristics"
    if all(m in DUPLICATE_COLUMNS for m in metrics):
        return "dedup"
    return "other"


def funnel_stages(
    rules: Sequence[Rule | AllOf], *, extra: Sequence[tuple[str, Sequence[Rule | AllOf]]] = ()
) -> list[tuple[str, list[Rule | AllOf]]]:
    """Group rules into :data:`FUNNEL_STAGES` (by :func:`rule_stage`) for :func:`cleaning_funnel`.

    Stages without rules are left out; ``extra`` stages follow. The near-duplicate stage is
    declared here: pass ``rules + dedup_rules()`` (on :func:`duplicate_flags`' columns) and it
    becomes the ``"dedup"`` stage, after perplexity — the one near-duplicate policy of the
    threshold report, :func:`workbench.ablation.clean_corpus` and the pipeline's flag step.

    Examples
    --------
    >>> [(name, len(r)) for name, r in funnel_stages(default_rules())]
    [('language', 1), ('heuristics', 11), ('perplexity', 2)]
    """
    grouped: dict[str, list[Rule | AllOf]] = {stage: [] for stage in FUNNEL_STAGES}
    for rule in rules:
        grouped[rule_stage(rule)].append(rule)
    return [(stage, rs) for stage, rs in grouped.items() if rs] + [(name, list(rs)) for name, rs in extra]


def rule_threshold(rules: Sequence[Rule | AllOf], metric: str, direction: Literal["max", "min"] | None = None) -> float:
    """The fixed threshold of the (single, top-level) rule on ``metric``, e.g. to draw it on a plot.

    Raises
    ------
    WorkbenchError
        No such rule, several (pass ``direction``), or a percentile rule (no fixed value).

    Examples
    --------
    >>> rule_threshold(default_rules(), "top_4gram_char_fraction"), rule_threshold(default_rules(), "n_words", "min")
    (0.16, 50.0)
    """
    found = [
        r for r in rules
        if isinstance(r, Rule) and r.metric == metric and (direction is None or r.direction == direction)
    ]
    if len(found) != 1 or found[0].threshold is None:
        what = "no rule" if not found else f"{len(found)} rules" if len(found) > 1 else "a percentile rule"
        raise WorkbenchError(
            f"rule_threshold: {what} on '{metric}'"
            + (f" with direction={direction!r}" if direction else "")
            + f"; the rules read {sorted({m for r in rules for m in r.metrics})!r}. Pass direction='max' "
            "or 'min' when a metric has rules on both sides."
        )
    return float(found[0].threshold)


def buckets(
    scores: pd.DataFrame,
    *,
    metric: str = "perplexity",
    by: str | None = None,
    cuts: tuple[float, float] = (1 / 3, 2 / 3),
    labels: tuple[str, str, str] = ("head", "middle", "tail"),
) -> pd.Series:
    """CCNet-style head / middle / tail buckets by quantiles of a score, per group.

    CCNet (Wenzek et al. 2020) splits each language's documents at the 33rd and 66th
    percentiles of perplexity: *head* (most fluent), *middle*, *tail*.

    Parameters
    ----------
    scores
        Table with the ``metric`` column (and ``by``).
    metric
        The score to cut; lower values land in ``labels[0]``.
    by
        Column to bucket within (e.g. ``"language"``), or ``None`` for the whole table.
    cuts
        The two quantiles (0–1) separating the buckets.
    labels
        Names of the three buckets.

    Returns
    -------
    pandas.Series
        Categorical bucket per row, index of ``scores``; missing where the score is.

    References
    ----------
    Wenzek et al. (2020), *CCNet: Extracting High Quality Monolingual Datasets from Web
    Crawl Data*, LREC. arXiv:1911.00359.

    Examples
    --------
    >>> s = pd.DataFrame({"perplexity": [10., 20., 30., 40., 50., 60.]})
    >>> buckets(s).tolist()
    ['head', 'head', 'middle', 'middle', 'tail', 'tail']
    """
    frame = require_frame(scores, table="scores")
    require_columns(frame, [metric] + ([by] if by else []), table="scores")
    lo, hi = cuts
    if not 0 < lo < hi < 1:
        raise WorkbenchError(f"cuts={cuts!r} must be two quantiles with 0 < low < high < 1.")
    v = pd.to_numeric(frame[metric], errors="coerce")
    groups = frame[by] if by else pd.Series(0, index=frame.index)
    q_lo = v.groupby(groups).transform(lambda x: x.quantile(lo))
    q_hi = v.groupby(groups).transform(lambda x: x.quantile(hi))
    out = np.where(v <= q_lo, labels[0], np.where(v <= q_hi, labels[1], labels[2])).astype(object)
    out[v.isna().to_numpy()] = None
    return pd.Series(pd.Categorical(out, categories=list(labels), ordered=True), index=frame.index, name="bucket")


def _rule_to_dict(r: Rule | AllOf) -> dict:
    if isinstance(r, Rule):
        return {k: v for k, v in asdict(r).items() if v is not None and not (k == "review_margin" and v == 0.0)}
    return {"all_of": [_rule_to_dict(s) for s in r.rules], "action": r.action, "name": r.name}


def _rule_from_dict(d: object, where: str) -> Rule | AllOf:
    from workbench._internal.escape import shorten

    example = "{metric: perplexity, direction: max, threshold: 1500}"
    if not isinstance(d, dict):
        raise WorkbenchError(f"{where}: each rule must be a mapping like {example}, got {shorten(d)}.")
    if "all_of" in d:
        subs = d["all_of"]
        if not isinstance(subs, list) or len(subs) < 2:
            raise WorkbenchError(
                f"{where}: all_of must be a list of at least two rules like {example}, got {shorten(subs)}."
            )
        unknown_all = set(d) - {"all_of", "action", "name"}
        if unknown_all:
            raise WorkbenchError(f"{where}: an all_of rule takes only all_of, action and name; unknown: {shorten(sorted(map(str, unknown_all)))}.")
        inner = [_rule_from_dict(s, f"{where}, all_of[{i}]") for i, s in enumerate(subs)]
        if not all(isinstance(r, Rule) for r in inner):
            raise WorkbenchError(f"{where}: an all_of rule cannot hold another all_of; list plain rules.")
        return AllOf(tuple(r for r in inner if isinstance(r, Rule)),
                     action=d.get("action", "review"), name=str(d.get("name", "")))
    allowed = {"metric", "direction", "threshold", "percentile", "action", "review_margin"}
    unknown = set(d) - allowed
    if unknown or "metric" not in d or "direction" not in d:
        raise WorkbenchError(
            f"{where}: rule {shorten(d)} must have metric and direction and only the keys "
            f"{sorted(allowed)}" + (f"; unknown: {shorten(sorted(map(str, unknown)))}" if unknown else "") + "."
        )
    kw = dict(d)
    for k in ("threshold", "percentile", "review_margin"):
        if kw.get(k) is not None:
            value = kw[k]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise WorkbenchError(f"{where}: {k} must be a number, got {shorten(value)}.")
            kw[k] = float(value)
    for k in ("metric", "direction", "action"):
        if k in kw and not isinstance(kw[k], str):
            raise WorkbenchError(f"{where}: {k} must be text, got {shorten(kw[k])}.")
    return Rule(**kw)


def save_rules(rules: Sequence[Rule | AllOf], path: str | os.PathLike[str]) -> Path:
    """Write rules to a YAML file ``{"rules": [...]}`` atomically; return the path.

    Examples
    --------
    >>> import tempfile, os
    >>> p = save_rules([Rule("perplexity", "max", percentile=95)], os.path.join(tempfile.mkdtemp(), "r.yaml"))
    >>> load_rules(p)
    [Rule(metric='perplexity', direction='max', threshold=None, percentile=95.0, action='drop', review_margin=0.0)]
    """
    import yaml

    from workbench.io import atomic_path

    payload = {"rules": [_rule_to_dict(r) for r in rules]}
    with atomic_path(path) as tmp:
        tmp.write_text(yaml.safe_dump(payload, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return Path(path)


def load_rules(path: str | os.PathLike[str]) -> list[Rule | AllOf]:
    """Read rules written by :func:`save_rules` (or by hand).

    Raises
    ------
    WorkbenchError
        Missing file, not YAML, larger than 1 MB or alias-heavy (a "billion laughs" file),
        no top-level ``rules`` list, or an invalid rule (messages quote at most a few hundred
        characters of the file).
    """
    from workbench._internal.yamlsafe import load_yaml

    p = Path(path)
    if not p.is_file():
        raise WorkbenchError(f"no rules file at '{p}'. Write one with workbench.scoring.save_rules(rules, path).")
    payload = load_yaml(p, what="rules file")
    if not isinstance(payload, dict) or not isinstance(payload.get("rules"), list):
        raise WorkbenchError(
            f"'{p}' must hold a mapping with a 'rules' list, e.g. "
            "rules: [{metric: perplexity, direction: max, threshold: 1500}]."
        )
    return [_rule_from_dict(d, f"'{p}', rule {i}") for i, d in enumerate(payload["rules"])]


TEXT_METRICS = ("stats", "language", "perplexity")
_STATS_VERSION = "text_stats-v1"


def _metric_scorer(
    metric: str,
    *,
    language: str,
    model: str | os.PathLike[str] | None,
    device: str | None,
    precision: str,
    batch_size: int,
    max_length: int,
    stride: int | None,
) -> tuple[Callable[[list[str]], pd.DataFrame], str, dict[str, object]]:
    """The chunk scorer of one ``score_texts`` metric, its model identity and its parameters."""
    from workbench._models import resolve_model
    from workbench.scoring.perplexity import LONG_TEXT_CHARS, load_language_model, perplexity_frame
    from workbench.scoring.text import language_id, text_stats

    if metric == "stats":
        return text_stats, _STATS_VERSION, {}
    if metric == "language":
        import py3langid

        def languages(chunk: list[str]) -> pd.DataFrame:
            return language_id(chunk, score_of=(language,))

        return languages, f"py3langid-{getattr(py3langid, '__version__', '')}", {"score_of": language}
    resolved = resolve_model(model, kind="causal_lm")
    loaded: list[LoadedLM] = []  # the model loads on the first chunk that needs scoring

    def perplexities(chunk: list[str]) -> pd.DataFrame:
        if not loaded:
            loaded.append(load_language_model(resolved, device=device, precision=precision))  # type: ignore[arg-type]
        long_text = any(isinstance(t, str) and len(t) > LONG_TEXT_CHARS for t in chunk)
        return perplexity_frame(chunk, model=loaded[0], batch_size=batch_size,
                                max_length=max_length, stride=stride, progress=long_text)

    model_id = resolved.model_id + ("" if precision == "fp32" else f"+{precision}")
    # "columns": 2 — bits_per_byte and n_bytes joined the perplexity frame (older cache rows lack them)
    return perplexities, model_id, {"max_length": max_length, "stride": stride, "columns": 2}


def score_texts(
    texts: Sequence[str] | pd.Series,
    *,
    metrics: Sequence[str] = TEXT_METRICS,
    model: str | os.PathLike[str] | None = None,
    language: str = "en",
    cache: ScoreCache | str | os.PathLike[str] | None = None,
    batch_size: int = 16,
    max_length: int = 1024,
    stride: int | None = None,
    device: str | None = "auto",
    precision: Literal["fp32", "bf16", "int8"] = "fp32",
    chunk_size: int = 256,
    progress: bool = False,
) -> pd.DataFrame:
    """All text scores in one table: heuristics, language and perplexity, through a cache.

    Parameters
    ----------
    texts
        Sequence or Series of strings (e.g. ``corpus["text"]``).
    metrics
        Any of ``"stats"`` (:func:`~workbench.scoring.text_stats`), ``"language"``
        (:func:`~workbench.scoring.language_id` with ``lang_score_<language>``) and
        ``"perplexity"`` (:func:`~workbench.scoring.perplexity_frame`).
    model
        Perplexity model (``None`` = embedded SmolLM2-135M); loaded only if some text is
        not in the cache.
    language
        Code whose probability becomes the ``lang_score_<language>`` column.
    cache
        A :class:`~workbench.scoring.ScoreCache` or its folder; ``None`` computes
        everything without storing.
    batch_size, max_length, stride, device, precision
        Passed to :func:`~workbench.scoring.perplexity_frame`.
    chunk_size
        Texts per cache transaction (a killed run loses at most one chunk).
    progress
        tqdm bars per metric.

    Returns
    -------
    pandas.DataFrame
        Index of ``texts``; the columns of each chosen metric.

    Examples
    --------
    >>> score_texts(["The cat sat on the mat with the dog."], metrics=["stats", "language"])[
    ...     ["n_words", "language", "lang_score_en"]].round(2)
       n_words language  lang_score_en
    0      9.0       en            1.0
    """
    from workbench._internal.text import as_text_list
    from workbench.scoring.cache import ScoreCache

    values, index = as_text_list(texts)
    metrics = list(metrics)
    for m in metrics:
        check_choice(m, name="metrics", choices=TEXT_METRICS)
    if not metrics:
        raise WorkbenchError(f"metrics is empty; choose from {', '.join(TEXT_METRICS)}.")
    store = cache if isinstance(cache, ScoreCache) or cache is None else ScoreCache(cache)
    series = pd.Series(values, dtype=object)
    parts = []
    for m in metrics:
        fn, model_id, params = _metric_scorer(
            m, language=language, model=model, device=device, precision=precision,
            batch_size=batch_size, max_length=max_length, stride=stride,
        )
        if store is None:
            frame = fn([v if v is not None else "" for v in values]) if values else pd.DataFrame()
            frame = frame.reset_index(drop=True)
            missing = series.isna().to_numpy()
            if missing.any():
                frame = frame.astype({c: np.float64 for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])})
                frame.loc[missing, :] = np.nan
        else:
            frame = store.compute(
                series, fn, metric=m, model_id=model_id, params=params,
                chunk_size=chunk_size, progress=progress,
            )
            frame = frame.reset_index(drop=True)
        parts.append(frame)
    out = pd.concat(parts, axis=1)
    out.index = index if index is not None else pd.RangeIndex(len(values))
    return out


def keep_rate_sweep(
    scores: pd.DataFrame,
    metric: str,
    *,
    direction: Literal["max", "min"],
    thresholds: Sequence[float] | None = None,
    n: int = 21,
    flagged_truth: pd.Series | None = None,
) -> pd.DataFrame:
    """Keep rate at each threshold of one score, for a sweep table or plot.

    Parameters
    ----------
    scores
        Table with the ``metric`` column.
    metric, direction
        The score and which side violates (as in :class:`Rule`).
    thresholds
        Values to try; default ``n`` quantiles of the score (0 to 100 %).
    flagged_truth
        Optional boolean Series (index of ``scores``): items that *should* be removed; adds
        ``precision`` and ``recall`` of removal.

    Returns
    -------
    pandas.DataFrame
        ``threshold``, ``kept``, ``removed``, ``keep_rate`` (missing scores count as kept),
        plus ``precision``/``recall`` with ``flagged_truth``.

    Examples
    --------
    >>> s = pd.DataFrame({"perplexity": [10.0, 20.0, 30.0, 1000.0]})
    >>> keep_rate_sweep(s, "perplexity", direction="max", thresholds=[25, 500])[["threshold", "kept"]]
       threshold  kept
    0       25.0     2
    1      500.0     3
    """
    frame = require_frame(scores, table="scores")
    require_columns(frame, [metric], table="scores")
    check_choice(direction, name="direction", choices=_DIRECTIONS)
    v = pd.to_numeric(frame[metric], errors="coerce").to_numpy(dtype=np.float64)
    finite = v[np.isfinite(v)]
    if thresholds is None:
        if len(finite) == 0:
            raise WorkbenchError(f"column '{metric}' has no finite values to sweep; score the items first.")
        thr = np.unique(np.quantile(finite, np.linspace(0, 1, n)))
    else:
        thr = np.asarray(thresholds, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        removed = (v[None, :] > thr[:, None]) if direction == "max" else (v[None, :] < thr[:, None])
    out = pd.DataFrame({"threshold": thr, "kept": len(v) - removed.sum(axis=1), "removed": removed.sum(axis=1)})
    out["keep_rate"] = out["kept"] / max(len(v), 1)
    if flagged_truth is not None:
        bad = flagged_truth.reindex(frame.index).fillna(False).to_numpy(dtype=bool)
        tp = (removed & bad[None, :]).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["precision"] = np.where(out["removed"] > 0, tp / np.maximum(out["removed"], 1), np.nan)
            out["recall"] = tp / bad.sum() if bad.sum() else np.nan
    return out


def boundary_items(
    scores: pd.DataFrame, metric: str, threshold: float, *, n: int = 5
) -> pd.DataFrame:
    """The ``n`` items just below and the ``n`` just above a threshold, nearest first.

    Returns the rows of ``scores`` with a ``side`` column (``"below"``/``"above"``) and
    ``distance`` (``|score - threshold|``).

    Examples
    --------
    >>> s = pd.DataFrame({"x": [1.0, 4.0, 6.0, 9.0]})
    >>> boundary_items(s, "x", 5.0, n=1)[["x", "side"]].values.tolist()
    [[4.0, 'below'], [6.0, 'above']]
    """
    frame = require_frame(scores, table="scores")
    require_columns(frame, [metric], table="scores")
    v = pd.to_numeric(frame[metric], errors="coerce")
    dist = (v - float(threshold)).abs()
    below = frame[v <= threshold].assign(side="below", distance=dist[v <= threshold]).nsmallest(n, "distance")
    above = frame[v > threshold].assign(side="above", distance=dist[v > threshold]).nsmallest(n, "distance")
    return pd.concat([below, above])


@dataclass(frozen=True)
class FunnelResult:
    """A staged cleaning pipeline: how many items survive each stage, and audit samples.

    Attributes
    ----------
    counts
        One row per stage: ``stage``, ``entering``, ``removed``, ``review``, ``remaining``.
    samples
        Up to ``sample`` random removed items per stage (``stage``, the item index as
        ``item``, ``reasons``) for a human audit.
    decisions
        Per item: the ``stage`` that removed it (missing if kept to the end), ``decision``
        and ``reasons`` from that stage.
    """

    counts: pd.DataFrame
    samples: pd.DataFrame
    decisions: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.counts.copy()

    def summary(self) -> str:
        c = self.counts
        start = int(c["entering"].iloc[0]) if len(c) else 0
        end = int(c["remaining"].iloc[-1]) if len(c) else 0
        steps = ", ".join(f"{r.stage} removes {int(r.removed):,}" for r in c.itertuples())
        share = f"{end / start:.0%}" if start else "n/a"
        return f"Of {start:,} items, {end:,} ({share}) survive every stage: {steps}."


def cleaning_funnel(
    scores: pd.DataFrame,
    stages: Sequence[tuple[str, Sequence[Rule | AllOf]]],
    *,
    sample: int = 3,
    rng: int | np.random.Generator | None = None,
) -> FunnelResult:
    """Apply rule sets one stage after another; items dropped at a stage leave the funnel.

    Items sent to review stay in the funnel (they are counted in ``review``), since a
    human decides about them later.

    Parameters
    ----------
    scores
        All scores, one row per item.
    stages
        ``(name, rules)`` in order, e.g. language → heuristics → perplexity → dedup.
    sample
        Removed items drawn per stage for audit.
    rng
        Seed or Generator for the audit samples.

    Examples
    --------
    >>> s = pd.DataFrame({"lang_score_en": [0.9, 0.1, 0.9], "perplexity": [10.0, 10.0, 900.0]})
    >>> f = cleaning_funnel(s, [("language", [Rule("lang_score_en", "min", threshold=0.5)]),
    ...                         ("perplexity", [Rule("perplexity", "max", threshold=300)])], rng=0)
    >>> f.counts[["stage", "entering", "removed", "remaining"]].values.tolist()
    [['language', 3, 1, 2], ['perplexity', 2, 1, 1]]
    """
    from workbench._validation import as_rng

    frame = require_frame(scores, table="scores")
    gen = as_rng(rng)
    alive = np.ones(len(frame), dtype=bool)
    removed_at = np.full(len(frame), None, dtype=object)
    decision = np.full(len(frame), "keep", dtype=object)
    reasons = np.full(len(frame), "", dtype=object)
    rows, samples = [], []
    for name, rules in stages:
        entering = int(alive.sum())
        d = decide(frame[alive], list(rules))
        idx = np.flatnonzero(alive)
        drop = d["decision"].to_numpy() == "drop"
        rev = d["decision"].to_numpy() == "review"
        gone = idx[drop]
        removed_at[gone] = name
        decision[gone] = "drop"
        reasons[gone] = d["reasons"].to_numpy()[drop]
        flagged = idx[rev]
        first_time = decision[flagged] == "keep"
        decision[flagged[first_time]] = "review"
        reasons[flagged[first_time]] = d["reasons"].to_numpy()[rev][first_time]
        alive[gone] = False
        rows.append({"stage": name, "entering": entering, "removed": int(drop.sum()),
                     "review": int(rev.sum()), "remaining": int(alive.sum())})
        if len(gone):
            pick = gen.choice(gone, size=min(sample, len(gone)), replace=False)
            samples.append(pd.DataFrame({"stage": name, "item": frame.index[pick], "reasons": reasons[pick]}))
    sample_frame = pd.concat(samples, ignore_index=True) if samples else pd.DataFrame(columns=["stage", "item", "reasons"])
    decisions = pd.DataFrame({"stage": removed_at, "decision": decision, "reasons": reasons}, index=frame.index)
    return FunnelResult(pd.DataFrame(rows), sample_frame, decisions)
