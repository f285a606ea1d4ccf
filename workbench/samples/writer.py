"""Writing the samples to files: tables, truth JSON and per-row truth, each written atomically."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import WorkbenchError
from workbench.samples.base import Sample
from workbench.samples.corpus import make_corpus
from workbench.samples.image_captions import make_image_captions
from workbench.samples.preferences import make_preferences
from workbench.samples.relevance import make_relevance
from workbench.samples.reviews import make_reviews
from workbench.samples.scored_items import make_scored_items
from workbench.samples.vendors import make_vendors

__all__ = ["SAMPLE_NAMES", "write_all", "write_sample"]


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def write_sample(sample: Sample[Any], out_dir: Path, *, subdir: str = "") -> list[Path]:
    """Write one sample: each table to ``<out_dir>/<subdir>/<stem>.csv`` (the corpus to
    ``.jsonl``), the truth to ``truth/<name>.json`` and ``truth/<name>_rows.csv``.

    Returns
    -------
    list of Path
        The files written.
    """
    from workbench.io import atomic_path, save_table

    written = []
    base = out_dir / subdir if subdir else out_dir
    for stem, frame in sample.tables.items():
        ext = ".jsonl" if stem == "corpus" else ".csv"
        written.append(save_table(frame, base / f"{stem}{ext}"))
    truth_dir = out_dir / "truth"
    target = truth_dir / f"{sample.name}.json"
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(sample.truth_json(), indent=2, default=_json_default) + "\n",
                       encoding="utf-8")
    written.append(target)
    if sample.rows is not None:
        written.append(save_table(sample.rows, truth_dir / f"{sample.name}_rows.csv"))
    return written


@dataclass(frozen=True)
class _Entry:
    """How one committed sample is made: its generator (out_dir, seed), its folder, and a
    glob (relative to out_dir) of further files the generator writes itself."""

    make: Callable[[Path, int], Sample[Any]]
    subdir: str = ""
    also_written: str = ""


_SAMPLES: dict[str, _Entry] = {
    "preferences_5x200": _Entry(lambda out, seed: make_preferences(rng=seed)),
    "vendors": _Entry(lambda out, seed: make_vendors(rng=seed)),
    "reviews_10x5000": _Entry(lambda out, seed: make_reviews(rng=seed)),
    "relevance_5pt": _Entry(lambda out, seed: make_relevance(rng=seed)),
    "corpus": _Entry(lambda out, seed: make_corpus(rng=seed)),
    "image_captions": _Entry(
        lambda out, seed: make_image_captions(out_dir=out / "image_captions", rng=seed),
        subdir="image_captions",
        also_written="image_captions/images/*.*",
    ),
    # scored items and one reviewer's decisions under a planted rule that combines signals
    # (the filter_learning report's sample); 5% of the decisions flipped
    "scored_items": _Entry(lambda out, seed: make_scored_items(2_000, label_noise=0.05, rng=seed),
                           subdir="scored_items"),
}

#: The samples written by :func:`write_all`, in order.
SAMPLE_NAMES = tuple(_SAMPLES)


def write_all(
    out_dir: str | os.PathLike[str],
    seed: int = 0,
    *,
    names: Sequence[str] | None = None,
) -> list[Path]:
    """Generate every sample with ``rng=seed`` and write it under ``out_dir``.

    Each table goes to ``<out_dir>/<table>.csv`` (the corpus to ``corpus.jsonl``, the image
    captions to ``image_captions/``), the planted truth to ``truth/<name>.json`` and
    ``truth/<name>_rows.csv``. Every file is written atomically.

    Parameters
    ----------
    out_dir
        Target folder (created if missing).
    seed
        Seed of every generator.
    names
        Subset of :data:`SAMPLE_NAMES` to write; all by default.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_all(tempfile.mkdtemp(), names=["preferences_5x200"])
    >>> sorted(p.name for p in paths)
    ['preferences_5x200.csv', 'preferences_5x200.json', 'preferences_5x200_rows.csv']
    """
    out = Path(out_dir)
    chosen = list(SAMPLE_NAMES if names is None else names)
    for n in chosen:
        if n not in SAMPLE_NAMES:
            raise WorkbenchError(f"unknown sample {n!r}; choose from {', '.join(SAMPLE_NAMES)}.")
    written: list[Path] = []
    for n in chosen:
        entry = _SAMPLES[n]
        written += write_sample(entry.make(out, seed), out, subdir=entry.subdir)
        if entry.also_written:
            written += sorted(out.glob(entry.also_written))
    return written
