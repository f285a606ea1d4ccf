"""Image dedup: workbench pHash (banded index) beside imagededup's PHash, files to clusters.

Writes photo-like pictures with planted edited copies (:func:`workbench.samples.image_duplicates.
make_image_duplicates`: resized, JPEG re-encoded, cropped 5–10 %, brightness changed, mirrored)
into a temporary folder, then times each tool from the files to clusters at the same Hamming
threshold and prints pair precision, recall per edit and the speed ratio in one run.

imagededup (a benchmark-only anchor; it wants torchvision and matplotlib, which the project's
pins do not carry) lives in its own venv that sees the project's packages::

    python3 -m venv /tmp/venv-imgdedup
    /tmp/venv-imgdedup/bin/pip install --no-deps imagededup PyWavelets && /tmp/venv-imgdedup/bin/pip install matplotlib
    PYTHONPATH=.venv/lib/python3.11/site-packages:. /tmp/venv-imgdedup/bin/python benchmarks/image_dedup.py --originals 5000

``--originals 5000`` with the default 1.0 copies each gives 10,000 images. Run it alone.
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.dedup import deduplicate_images
from workbench.dedup.clusters import components
from workbench.samples.image_duplicates import make_image_duplicates


def _found_pairs(names: list[str], labels: np.ndarray) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for _, g in pd.Series(names).groupby(labels):
        out |= {(a, b) for a, b in itertools.combinations(sorted(g), 2)}
    return out


def _score(truth: pd.DataFrame, found: set[tuple[str, str]]) -> str:
    root = dict(zip(truth["image"], truth["original"], strict=True))
    precision = sum(root[a] == root[b] for a, b in found) / max(len(found), 1)
    copies = truth[truth["transform"] != ""]
    rec = {t: np.mean([tuple(sorted((c, o))) in found for c, o in zip(g["image"], g["original"], strict=True)])
           for t, g in copies.groupby("transform")}
    return f"pair precision {precision:.3f} ({len(found):,} pairs); recall " + ", ".join(
        f"{t} {v:.2f}" for t, v in rec.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--originals", type=int, default=500, help="distinct pictures (10,000 images: 5000)")
    ap.add_argument("--copies", type=float, default=1.0, help="edited copies per original")
    ap.add_argument("--size", type=int, default=128, help="side of the originals in pixels")
    ap.add_argument("--threshold", type=int, default=8, help="Hamming threshold of both tools")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        truth = make_image_duplicates(args.originals, out_dir=folder, size=args.size, copies=args.copies, rng=0)
        names = truth["image"].tolist()
        print(f"{len(names):,} images ({args.originals:,} originals) of {args.size} px in {folder}; "
              f"Hamming threshold {args.threshold}; {os.cpu_count()} CPUs")

        t0 = time.perf_counter()
        ours = deduplicate_images([folder / n for n in names], method="phash", threshold=args.threshold)
        t_ours = time.perf_counter() - t0
        print(f"workbench phash     {t_ours:7.2f} s  {_score(truth, _found_pairs(names, ours.frame['cluster'].to_numpy()))}")
        assert ours.pairs["verified"].all()

        from imagededup.methods import PHash

        t0 = time.perf_counter()
        hasher = PHash(verbose=False)
        enc = hasher.encode_images(image_dir=str(folder))
        dup = hasher.find_duplicates(encoding_map=enc, max_distance_threshold=args.threshold)
        index = {n: i for i, n in enumerate(names)}
        edges = np.array([(index[a], index[b]) for a, bs in dup.items() for b in bs], np.int64).reshape(-1, 2)
        labels = components(len(names), edges)
        t_theirs = time.perf_counter() - t0
        print(f"imagededup PHash    {t_theirs:7.2f} s  {_score(truth, _found_pairs(names, labels))}")
        print(f"speed ratio (imagededup / workbench), files to clusters: {t_theirs / t_ours:.2f}x")


if __name__ == "__main__":
    main()
