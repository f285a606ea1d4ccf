"""Near-duplicate detection: exact, MinHash-LSH, SimHash and semantic; clusters and audits.

Every method turns a corpus table (``doc_id``, ``text``) into clusters of duplicates with
one representative each. The package is layered so that the local and the Spark engine run
the very same code on every numeric step:

- :mod:`~workbench.dedup.kernels`: normalization, shingle hashes, MinHash signatures, SimHash
  fingerprints, LSH band keys and buckets (pure functions over numpy arrays);
- :mod:`~workbench.dedup.verify`: exact Jaccard of candidate pairs, signature agreement;
- :mod:`~workbench.dedup.options`: option checks, limits and the LSH layout (``lsh_params``),
  shared by both engines;
- :mod:`~workbench.dedup.backends`: one backend per method, behind a dispatch table;
- :mod:`~workbench.dedup.clusters`: connected components, representatives, output tables;
- :mod:`~workbench.dedup.local`: the local engine (``deduplicate``, ``find_duplicates``);
- :mod:`~workbench.dedup.spark`: the Spark engine (imported on demand; needs PySpark);
- :mod:`~workbench.dedup.images`: image duplicates (exact pixels, pHash/dHash with a banded
  index, crop-tolerant pHash, CLIP embeddings) and image-caption tables by image/caption/pair;
- :mod:`~workbench.dedup.evaluation`: precision/recall against exact Jaccard, method comparison.
"""

from __future__ import annotations

from workbench.dedup.evaluation import compare_methods, evaluate, near_threshold_pairs
from workbench.dedup.images import ImageDedupResult, dedup_image_captions, deduplicate_images
from workbench.dedup.kernels import normalize_text
from workbench.dedup.local import deduplicate, find_duplicates
from workbench.dedup.options import (
    DEFAULT_SEED,
    Keep,
    Method,
    Unit,
    candidate_probability,
    lsh_params,
)
from workbench.dedup.results import DedupEvaluation, DedupResult

__all__ = [
    "DEFAULT_SEED",
    "DedupEvaluation",
    "DedupResult",
    "ImageDedupResult",
    "Keep",
    "Method",
    "Unit",
    "candidate_probability",
    "compare_methods",
    "dedup_image_captions",
    "deduplicate",
    "deduplicate_images",
    "evaluate",
    "find_duplicates",
    "lsh_params",
    "near_threshold_pairs",
    "normalize_text",
]
