"""Rendered shape images with captions: correct, mismatched, spam, exact and near duplicates.

Scenes, captions and drawing come from :mod:`workbench._shapes` (the domain of the demo CLIP).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._validation import as_rng
from workbench.errors import WorkbenchError
from workbench.samples.base import Sample, check_count
from workbench.samples.templates import image_captions as T
from workbench.samples.truth import ImageCaptionsTruth

__all__ = ["caption_spec", "make_image_captions", "render_caption_image", "scene_image"]


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
    re-rendered with a different jitter, correct caption; ``edited_duplicate`` (5 %) a correct
    picture edited as a re-posted image is (``transform``: resized, re-encoded as JPEG at low
    quality, cropped 5–10 %, brightness changed, in turn; the last one mirrored, with its
    caption's left/right swapped), see :func:`workbench.samples.image_duplicates.apply_transform`.
    Every picture lies on a smooth light field (:func:`scene_image`).

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
        transform, shape, colour, count, position, size, true_caption.

    Examples
    --------
    >>> s = make_image_captions(50, out_dir=None, rng=0)
    >>> s.tables["image_captions"].columns.tolist()
    ['pair_id', 'image', 'caption']
    >>> s.truth["counts"]["correct"], int((s.truth["rows"]["kind"] == "correct").sum())
    (34, 34)
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
    # edited duplicates: a correct picture resized, re-encoded as JPEG, cropped, brightened or
    # darkened (in turn), and one mirrored; the caption describes the copy (a mirrored scene on
    # the left is on the right)
    n_edit = counts.get("edited_duplicate", 0)
    edits: list[tuple[int, int, str, int]] = []
    transform = [""] * len(specs)
    cycle = ("resize", "jpeg", "crop", "brightness")
    for j, k in enumerate(gen.integers(0, max(counts["correct"], 1), n_edit).tolist()):
        t = "flip" if j == n_edit - 1 else cycle[j % len(cycle)]
        spec = specs[k]
        if t == "flip" and spec.position in ("left", "right"):
            spec = replace(spec, position="right" if spec.position == "left" else "left")
        edits.append((len(specs), k, t, int(gen.integers(0, 2**31))))
        specs.append(spec)
        dup_of.append(k)
        kind.append("edited_duplicate")
        mismatch.append("")
        transform.append(t)
        render_seed = np.append(render_seed, render_seed[k])
    captions += _shapes.captions_for(specs[n_base:], gen)

    perm = gen.permutation(n)
    w = len(str(n - 1))
    ids = np.array([f"img{k:0{w}d}" for k in range(n)])[perm]
    order = np.argsort(perm)
    images = np.array([f"images/{i}{'.jpg' if t == 'jpeg' else '.png'}" for i, t in zip(ids, transform, strict=True)])
    if out_dir is not None:
        field_seeds = [int(render_seed[d if d >= 0 else r]) for r, d in enumerate(dup_of)]
        _write_images(Path(out_dir) / "images", ids, specs, render_seed, field_seeds, size, edits)
    spec_frame = _shapes.specs_to_frame(specs)
    dup = np.array(dup_of)
    table = pd.DataFrame({"pair_id": ids, "image": images, "caption": captions}).iloc[order]
    rows = pd.DataFrame({
        "pair_id": ids,
        "kind": kind,
        "duplicate_of": np.where(dup >= 0, ids[np.maximum(dup, 0)], ""),
        "mismatch": mismatch,
        "transform": transform,
        **{c: spec_frame[c].to_numpy() for c in spec_frame.columns},
        "true_caption": [_shapes.caption_for(s) for s in specs],
    }).iloc[order]
    rows["duplicate_of"] = rows["duplicate_of"].replace("", pd.NA)
    rows["mismatch"] = rows["mismatch"].replace("", pd.NA)
    rows["transform"] = rows["transform"].replace("", pd.NA)
    truth = ImageCaptionsTruth(
        counts={k: int(v) for k, v in counts.items()},
        shares=sh,
        image_size=size,
        spam_captions=tuple(T.SPAM_CAPTIONS),
        rows=rows.reset_index(drop=True),
    )
    return Sample("image_captions", {"image_captions": table.reset_index(drop=True)}, truth)


def scene_image(spec: Any, size: int, seed: int, field_seed: int | None = None) -> Any:
    """A scene drawn (with ``seed``) over a smooth light field (195–250, slightly tinted; drawn
    from ``field_seed``, default ``seed``).

    The field gives two distinct pictures different coarse structure, as photographs have (on
    flat backgrounds every scene with the same layout has the same perceptual hash), and stays
    within the backgrounds the demo CLIP was trained on (light tones and gradients).

    Examples
    --------
    >>> from workbench._shapes import ShapeSpec
    >>> scene_image(ShapeSpec("circle", "red", 1, "center", "large"), 64, 0).getpixel((32, 32))[0] > 150
    True
    """
    from PIL import Image

    from workbench import _shapes

    shapes = np.asarray(_shapes.render_caption_image(spec, size, int(seed))).astype(np.int16)
    gen = np.random.default_rng([int(seed if field_seed is None else field_seed), 1])
    grid = gen.uniform(195, 250, size=(6, 6, 1)) + gen.uniform(-8, 8, size=(6, 6, 3))
    field = np.asarray(Image.fromarray(np.clip(grid, 0, 255).astype(np.uint8)).resize(
        (size, size), Image.Resampling.BICUBIC)).copy()
    drawn = np.abs(shapes - shapes[0, 0]).sum(-1) > 0
    field[drawn] = shapes[drawn]
    return Image.fromarray(field)


def _write_images(folder: Path, ids: np.ndarray, specs: list[Any], seeds: np.ndarray, field_seeds: list[int],
                  size: int, edits: list[tuple[int, int, str, int]]) -> list[str]:
    """Render each scene with its seed to ``folder/<id>.png`` (planted edits: an edited copy of
    their source's picture, ``.jpg`` for JPEG), each file written atomically; the file names."""
    from workbench.io import atomic_path
    from workbench.samples.image_duplicates import apply_transform

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    edit_of = {r: (src, t, seed) for r, src, t, seed in edits}
    for r in range(len(ids)):
        if r in edit_of:
            src, t, seed = edit_of[r]
            img, suffix = apply_transform(scene_image(specs[src], size, int(seeds[src])), t, seed)
        else:
            img, suffix = scene_image(specs[r], size, int(seeds[r]), field_seeds[r]), ".png"
        name = f"{ids[r]}{suffix}"
        with atomic_path(folder / name) as tmp:
            img.save(tmp, format="JPEG" if suffix == ".jpg" else "PNG", **({"quality": 95} if suffix == ".jpg"
                                                                           else {"optimize": True}))
        names.append(name)
    return names


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

