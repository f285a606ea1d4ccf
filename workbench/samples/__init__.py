"""Synthetic sample data with planted ground truth.

Every generator returns a :class:`Sample` (name, tables, truth) and is deterministic from
``rng``. The tables follow the data model of DESIGN.md; the truth is a typed record
(:mod:`workbench.samples.truth`) of the planted parameters (which annotator is
length-biased, when the drifting annotator changes, …) so tests and notebooks can check
that an analysis finds the effect, and finds nothing on the null data made with the effect
switched off. :func:`write_all` writes the committed files of ``data_samples/``
(``workbench samples --out data_samples --seed 0``).

The package: :mod:`~workbench.samples.templates` (vocabularies and sentence templates, data
only), one generator module per data set (:mod:`~workbench.samples.preferences` with the
choice model shared by :mod:`~workbench.samples.vendors`, :mod:`~workbench.samples.reviews`,
:mod:`~workbench.samples.relevance`, :mod:`~workbench.samples.corpus`,
:mod:`~workbench.samples.image_captions`), :mod:`~workbench.samples.truth` (typed truth
records), :mod:`~workbench.samples.base` (the container, the template picker, checks) and
:mod:`~workbench.samples.writer` (files).
"""

from __future__ import annotations

from workbench.samples.base import SAMPLE_START, Sample
from workbench.samples.corpus import make_corpus
from workbench.samples.image_captions import caption_spec, make_image_captions, render_caption_image
from workbench.samples.preferences import make_preferences
from workbench.samples.relevance import make_relevance
from workbench.samples.reviews import make_reviews
from workbench.samples.scored_items import make_scored_items, reviewer_rule
from workbench.samples.truth import (
    CorpusTruth,
    ImageCaptionsTruth,
    PreferencesTruth,
    RelevanceTruth,
    ReviewsTruth,
    ScoredItemsTruth,
    VendorsTruth,
)
from workbench.samples.vendors import make_vendors
from workbench.samples.writer import SAMPLE_NAMES, write_all

__all__ = [
    "Sample",
    "make_preferences",
    "make_vendors",
    "make_reviews",
    "make_relevance",
    "make_corpus",
    "make_image_captions",
    "make_scored_items",
    "reviewer_rule",
    "render_caption_image",
    "caption_spec",
    "SAMPLE_NAMES",
    "write_all",
    "SAMPLE_START",
    "CorpusTruth",
    "ImageCaptionsTruth",
    "PreferencesTruth",
    "RelevanceTruth",
    "ReviewsTruth",
    "ScoredItemsTruth",
    "VendorsTruth",
]
