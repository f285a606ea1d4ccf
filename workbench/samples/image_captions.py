"""Rendered shape images with captions: correct, mismatched, spam, exact and near duplicates.

Scenes, captions and drawing come from :mod:`workbench._shapes` (the domain of the demo CLIP).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._validation import as_rng
from workbench.errors import WorkbenchError
from workbench.samples.base import Sample, check_count
from workbench.samples.templates import image_captions as T
from workbench.samples.truth import ImageCaptionsTruth

__all__ = ["caption_spec", "make_image_captions", "render_caption_image"]


def _describes(caption: str, spec: Any) -> bool:
    """Whether ``caption`` is a true description of ``spec`` (attributes it names all match)."""
    words = set(caption.split())
    counts = {1: {"a", "one"}, 2: {"two"}, 3: {"three"}}
    noun = spec.shape if spec.count == 1 else spec.shape + "s"
    sizes = words & {"small", "large"}
    return (spec.colour in words and noun in words and bool(counts[spec.count] & words)
            and spec.position in words and (not sizes or sizes == {spec.size}))


def make_image_captions(
    n: int = 2000,
    *,
    out_dir: str | os.PathLike[str] | None,
    size: int = 64,
    shares: Mapping[str, float] | None = None,
    rng: int | np.random.Generator | None = 0,
) -> Sample[ImageCaptionsTruth]:
    """Rendered shape images with captions: correct, mismatched, spam, exact and near duplicates.

    Scenes and captions come from :mod:`workbench._shapes` (the domain of the demo CLIP).
    Kinds (default shares): ``correct`` (70 %) caption describes the image; ``mismatched``
    (10 %) caption of another scene — half a random scene, half the same scene with one
    attribute changed (``mismatch`` = ``random``/``attribute``); ``spam`` (5 %) an
    advertising caption; ``exact_duplicate`` (7 %) a byte-identical copy of a correct image
    with a correct caption; ``near_duplicate`` (8 %) the scene of a correct image
    re-rendered with a different jitter, correct caption.

    Parameters
    ----------
    n
        Number of image–caption pairs.
    out_dir
        Folder that receives ``images/<pair_id>.png`` (each written atomically); ``None``
        renders nothing (the tables and truth are the same).
    size
        Side of the square images in pixels.
    shares
        Share of each kind (keys as above, summing to 1).
    rng
        Seed or Generator.

    Returns
    -------
    Sample
        ``tables["image_captions"]``: pair_id, image (``images/<pair_id>.png``, relative to
        the table), caption. ``truth["rows"]``: pair_id, kind, duplicate_of, mismatch,
        shape, colour, count, position, size, true_caption.

    Examples
    --------
    >>> s = make_image_captions(50, out_dir=None, rng=0)
    >>> s.tables["image_captions"].columns.tolist()
    ['pair_id', 'image', 'caption']
    >>> s.truth["counts"]["correct"], int((s.truth["rows"]["kind"] == "correct").sum())
    (36, 36)
    """
    from workbench import _shapes

    check_count("n", n)
    sh = dict(T.KIND_SHARES if shares is None else shares)
    if set(sh) - set(T.KIND_SHARES) or "correct" not in sh:
        raise WorkbenchError(f"shares must use the kinds {', '.join(T.KIND_SHARES)} and include "
                             f"'correct'; got {sorted(sh)}.")
    if any(v < 0 for v in sh.values()) or not math.isclose(sum(sh.values()), 1.0, abs_tol=1e-6):
        raise WorkbenchError(f"shares must be non-negative and sum to 1, got {sh}.")
    gen = as_rng(rng)
    counts = {k: int(math.floor(sh.get(k, 0.0) * n)) for k in T.KIND_SHARES if k != "correct"}
    counts["correct"] = n - sum(counts.values())
    n_base = counts["correct"] + counts["mismatched"] + counts["spam"]
    specs = _shapes.caption_specs(n_base, gen)
    captions = _shapes.captions_for(specs, gen)
    kind = (["correct"] * counts["correct"] + ["mismatched"] * counts["mismatched"]
            + ["spam"] * counts["spam"])
    mismatch = [""] * n_base
    # mismatched: half a random other scene, half one attribute changed (hard negatives)
    lo, hi = counts["correct"], counts["correct"] + counts["mismatched"]
    n_mis = hi - lo
    n_attr = n_mis // 2
    wrong_specs = (_shapes.mismatched_specs(specs[lo : lo + n_attr], gen)
                   + _shapes.caption_specs(n_mis - n_attr, gen))
    wrong_specs = [w if w != s else _shapes.mismatched_specs([s], gen)[0]
                   for w, s in zip(wrong_specs, specs[lo:hi], strict=True)]
    wrong_caps = _shapes.captions_for(wrong_specs, gen)
    # a phrasing without the changed attribute (e.g. no size word) would still describe the
    # image: use the canonical phrasing, which names all five attributes, for those
    captions[lo:hi] = [_shapes.caption_for(w) if _describes(c, s) else c
                       for c, w, s in zip(wrong_caps, wrong_specs, specs[lo:hi], strict=True)]
    mismatch[lo:hi] = ["attribute"] * n_attr + ["random"] * (n_mis - n_attr)
    spam_idx = gen.integers(0, len(T.SPAM_CAPTIONS), counts["spam"])
    captions[hi:n_base] = [T.SPAM_CAPTIONS[i] for i in spam_idx]
    render_seed = gen.integers(0, 2**31, n_base)
    dup_of = [-1] * n_base
    n_dup = counts["exact_duplicate"] + counts["near_duplicate"]
    src = gen.integers(0, max(counts["correct"], 1), n_dup)
    for j, k in enumerate(src.tolist()):
        specs.append(specs[k])
        dup_of.append(k)
        exact = j < counts["exact_duplicate"]
        kind.append("exact_duplicate" if exact else "near_duplicate")
        mismatch.append("")
        render_seed = np.append(render_seed, render_seed[k] if exact else gen.integers(0, 2**31))
    captions += _shapes.captions_for(specs[n_base:], gen)

    perm = gen.permutation(n)
    w = len(str(n - 1))
    ids = np.array([f"img{k:0{w}d}" for k in range(n)])[perm]
    order = np.argsort(perm)
    images = np.array([f"images/{i}.png" for i in ids])
    if out_dir is not None:
        _write_images(Path(out_dir) / "images", ids, specs, render_seed, size)
    spec_frame = _shapes.specs_to_frame(specs)
    dup = np.array(dup_of)
    table = pd.DataFrame({"pair_id": ids, "image": images, "caption": captions}).iloc[order]
    rows = pd.DataFrame({
        "pair_id": ids,
        "kind": kind,
        "duplicate_of": np.where(dup >= 0, ids[np.maximum(dup, 0)], ""),
        "mismatch": mismatch,
        **{c: spec_frame[c].to_numpy() for c in spec_frame.columns},
        "true_caption": [_shapes.caption_for(s) for s in specs],
    }).iloc[order]
    rows["duplicate_of"] = rows["duplicate_of"].replace("", pd.NA)
    rows["mismatch"] = rows["mismatch"].replace("", pd.NA)
    truth = ImageCaptionsTruth(
        counts={k: int(v) for k, v in counts.items()},
        shares=sh,
        image_size=size,
        spam_captions=tuple(T.SPAM_CAPTIONS),
        rows=rows.reset_index(drop=True),
    )
    return Sample("image_captions", {"image_captions": table.reset_index(drop=True)}, truth)


def _write_images(folder: Path, ids: np.ndarray, specs: list[Any], seeds: np.ndarray, size: int) -> None:
    """Render each scene with its seed to ``folder/<id>.png``, each file written atomically."""
    from workbench import _shapes
    from workbench.io import atomic_path

    folder.mkdir(parents=True, exist_ok=True)
    for r in range(len(ids)):
        img = _shapes.render_caption_image(specs[r], size, int(seeds[r]))
        with atomic_path(folder / f"{ids[r]}.png") as tmp:
            img.save(tmp, format="PNG", optimize=True)


def render_caption_image(spec: Any, size: int = 64, rng: int | np.random.Generator | None = None) -> Any:
    """Draw a scene (see :func:`workbench._shapes.render_caption_image`).

    Examples
    --------
    >>> render_caption_image(caption_spec(0)).size
    (64, 64)
    """
    from workbench import _shapes

    return _shapes.render_caption_image(spec, size, rng)


def caption_spec(rng: int | np.random.Generator | None = None) -> Any:
    """Draw one random scene (see :func:`workbench._shapes.caption_spec`).

    Examples
    --------
    >>> caption_spec(0) == caption_spec(0)
    True
    """
    from workbench import _shapes

    return _shapes.caption_spec(rng)

