"""Typed planted truth of the synthetic samples: one frozen dataclass per data set.

Each record holds what a generator planted (roles, rates, change points, counts) and, in
``rows``, the per-row truth frame. Records are read by attribute (``truth.drift.annotator``)
or, as the JSON files are, by key (``truth["drift"]["annotator"]``): a record is a read-only
mapping from its JSON keys to its values. :meth:`TruthRecord.to_json` gives what is written to
``truth/<name>.json`` (nested records as objects, tuples as lists, without ``rows``); the
per-row frame goes to ``truth/<name>_rows.csv``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import pandas as pd

__all__ = [
    "CohortConfusionTruth",
    "CorpusTruth",
    "DriftTruth",
    "GuidelineChange",
    "ImageCaptionsTruth",
    "PreferencesTruth",
    "RelevanceTruth",
    "ReviewsTruth",
    "ScoredItemsTruth",
    "TruthRecord",
    "VendorTruth",
    "VendorsTruth",
]


def _json_value(value: Any) -> Any:
    if isinstance(value, TruthRecord):
        return value.to_json()
    if isinstance(value, Mapping):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_json_value(v) for v in value]
    return value


@dataclass(frozen=True)
class TruthRecord(Mapping[str, Any]):
    """Base of the truth records: a frozen dataclass that reads as a mapping by JSON key.

    Examples
    --------
    >>> change = GuidelineChange(from_version="v2.0", to_version="v2.1", day=30,
    ...                          timestamp="2025-04-02T00:00:00")
    >>> change["from"], change.to_version
    ('v2.0', 'v2.1')
    >>> change.to_json()
    {'from': 'v2.0', 'to': 'v2.1', 'day': 30, 'timestamp': '2025-04-02T00:00:00'}
    """

    #: field name → JSON key, where the two differ (a key that is a Python keyword)
    json_keys: ClassVar[Mapping[str, str]] = {}

    def _fields_by_key(self) -> dict[str, str]:
        return {self.json_keys.get(f.name, f.name): f.name for f in fields(self)}

    def __getitem__(self, key: str) -> Any:
        names = self._fields_by_key()
        if key not in names:
            raise KeyError(key)
        return getattr(self, names[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields_by_key())

    def __len__(self) -> int:
        return len(fields(self))

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values by JSON key, in field order, without the per-row frame."""
        return {key: _json_value(getattr(self, name)) for key, name in self._fields_by_key().items()
                if name != "rows"}


@dataclass(frozen=True, kw_only=True)
class PreferencesTruth(TruthRecord):
    """Planted truth of :func:`~workbench.samples.make_preferences`.

    ``rows``: pair_id, true_choice, len_a, len_b.
    """

    description: str = (
        "Each pair has a true better response independent of length. "
        "Length-biased annotators pick the longer response with probability p_longer, the "
        "position-biased one picks 'a' with probability p_position_a, the random one flips "
        "a coin, honest ones pick the better response with probability accuracy."
    )
    roles: dict[str, str]
    length_biased: tuple[str, ...]
    position_biased: tuple[str, ...]
    random: tuple[str, ...]
    honest: tuple[str, ...]
    p_longer: float
    p_position_a: float
    accuracy: float
    p_tie: float
    n_pairs: int
    n_annotators: int
    rows: pd.DataFrame


@dataclass(frozen=True, kw_only=True)
class VendorTruth(TruthRecord):
    """One vendor's planted parameters (see :func:`~workbench.samples.make_vendors`)."""

    accuracy: float
    p_longer: float
    annotator_accuracy: dict[str, float]
    random_annotators: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class VendorsTruth(TruthRecord):
    """Planted truth of :func:`~workbench.samples.make_vendors`.

    ``rows``: pair_id, true_choice, len_a, len_b, in_gold.
    """

    description: str = (
        "Same pairs for both vendors. accuracy is the vendor's mean per-annotator "
        "accuracy of quality judgments (vendors below 0.8 have near-random annotators); "
        "p_longer the probability of picking the longer response. Vendor b is less accurate, "
        "more length-biased and faster."
    )
    vendor_a: VendorTruth
    vendor_b: VendorTruth
    n_pairs: int
    per_pair: int
    n_gold: int
    p_tie: float
    rows: pd.DataFrame


@dataclass(frozen=True, kw_only=True)
class GuidelineChange(TruthRecord):
    """The guideline version change of the reviews sample."""

    json_keys: ClassVar[Mapping[str, str]] = {"from_version": "from", "to_version": "to"}

    from_version: str
    to_version: str
    day: float
    timestamp: str


@dataclass(frozen=True, kw_only=True)
class DriftTruth(TruthRecord):
    """The drifting annotator: who, from when, accuracy before and after."""

    annotator: str
    day: float
    change_timestamp: str
    accuracy_before: float
    accuracy_after: float


@dataclass(frozen=True, kw_only=True)
class CohortConfusionTruth(TruthRecord):
    """The cohort that flips labels of one category under one guideline version."""

    cohort: str
    category: str
    guideline_version: str
    since_timestamp: str
    flip_prob: float


@dataclass(frozen=True, kw_only=True)
class ReviewsTruth(TruthRecord):
    """Planted truth of :func:`~workbench.samples.make_reviews` (``drift`` and
    ``cohort_confusion`` are None on null data).

    ``rows``: item_id, true_label, category, in_gold.
    """

    description: str = (
        "Binary sentiment labels. One annotator's accuracy drops after the drift "
        "day; under guideline v2.1 the confused cohort flips labels of one category."
    )
    start: str
    days: int
    annotator_accuracy: dict[str, float]
    cohorts: dict[str, str]
    guideline_change: GuidelineChange
    drift: DriftTruth | None
    cohort_confusion: CohortConfusionTruth | None
    gold_fraction: float
    positive_rate: float
    rows: pd.DataFrame


@dataclass(frozen=True, kw_only=True)
class RelevanceTruth(TruthRecord):
    """Planted truth of :func:`~workbench.samples.make_relevance`.

    ``rows``: item_id, true_level, true_relevance.
    """

    description: str = (
        "label = clip(round(true_relevance + offset + N(0, noise)), 1, 5); "
        "true_level 5 answers the query, 4 answers a neighbouring question of the topic, "
        "3 same topic, 2 neighbouring topic, "
        "1 another domain."
    )
    annotator_offset: dict[str, float]
    annotator_noise_sd: dict[str, float]
    offset_sd: float
    noise_range: tuple[float, float]
    per_item: tuple[int, int]
    rows: pd.DataFrame


@dataclass(frozen=True, kw_only=True)
class CorpusTruth(TruthRecord):
    """Planted truth of :func:`~workbench.samples.make_corpus`.

    ``rows``: doc_id, kind, duplicate_of, edit_rate, language, variant.
    """

    description: str = (
        "Per-document kind in truth/corpus_rows.csv; duplicate_of names the clean "
        "original of exact and near duplicates; edit_rate is the fraction of words edited."
    )
    counts: dict[str, int]
    shares: dict[str, float]
    edit_rate_range: tuple[float, float]
    exact_variants: tuple[str, ...]
    languages: tuple[str, ...]
    rows: pd.DataFrame


@dataclass(frozen=True, kw_only=True)
class ImageCaptionsTruth(TruthRecord):
    """Planted truth of :func:`~workbench.samples.make_image_captions`.

    ``rows``: pair_id, kind, duplicate_of, mismatch, transform, shape, colour, count,
    position, size, true_caption.
    """

    description: str = (
        "Per-pair kind in truth/image_captions_rows.csv; duplicate_of names the "
        "correct original of exact (byte-identical), near (re-rendered) and edited duplicates "
        "(transform: resize, jpeg, crop, brightness or flip); the spec columns describe what "
        "the image shows."
    )
    counts: dict[str, int]
    shares: dict[str, float]
    image_size: int
    spam_captions: tuple[str, ...]
    rows: pd.DataFrame


@dataclass(frozen=True, kw_only=True)
class ScoredItemsTruth(TruthRecord):
    """Planted truth of :func:`~workbench.samples.make_scored_items`.

    ``rows``: item_id, rule_flag (what the rule says), flipped (label noise), flagged (the
    reviewer's decision).
    """

    description: str = (
        "The reviewer's planted rule over the items' scores; per-item rule flag, noise flip and "
        "decision in rows."
    )
    rule: str
    label_noise: float
    flag_rate: float
    rows: pd.DataFrame
