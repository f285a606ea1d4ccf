"""Planted image duplicates: the edits a re-posted picture goes through, and a photo-like test bed.

:func:`apply_transform` makes one edited copy of an image — ``resize`` (down to 55–80 % of the
side), ``jpeg`` (re-encoded at quality 15–30), ``crop`` (5–10 % of each side's length removed,
split at random between the two ends), ``brightness`` (× 0.75–0.9 or × 1.1–1.25) or ``flip``
(mirrored left–right). The image-caption sample plants these on its shape pictures
(:func:`workbench.samples.make_image_captions`); :func:`make_image_duplicates` draws
photo-like pictures (a smooth random colour field under a few shapes, so that two distinct
pictures differ in their coarse structure as photographs do) with planted copies, the test
bed of the image dedup tests and ``benchmarks/image_dedup.py``.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._validation import as_rng, check_choice
from workbench.errors import WorkbenchError
from workbench.samples.base import check_count

__all__ = ["TRANSFORMS", "apply_transform", "make_image_duplicates", "photo_like"]

#: The planted edits, in the order the generators cycle through them.
TRANSFORMS: tuple[str, ...] = ("resize", "jpeg", "crop", "brightness", "flip")


def apply_transform(img: Any, transform: str, rng: int | np.random.Generator | None = None) -> tuple[Any, str]:
    """An edited copy of a PIL image and the file suffix it is saved with (``.jpg`` for ``jpeg``).

    Examples
    --------
    >>> from PIL import Image
    >>> img = Image.new("RGB", (100, 100), (120, 130, 140))
    >>> out, suffix = apply_transform(img, "crop", 0)
    >>> 90 <= out.size[0] <= 95, suffix
    (True, '.png')
    """
    from PIL import Image, ImageEnhance, ImageOps

    check_choice(transform, name="transform", choices=TRANSFORMS)
    gen = as_rng(rng)
    w, h = img.size
    if transform == "resize":
        f = gen.uniform(0.55, 0.8)
        return img.resize((max(8, round(w * f)), max(8, round(h * f))), Image.Resampling.BILINEAR), ".png"
    if transform == "jpeg":
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=int(gen.integers(15, 31)))
        return Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), ".jpg"
    if transform == "crop":
        cx, cy = gen.uniform(0.05, 0.10, size=2)
        mx, my = max(1, round(w * cx)), max(1, round(h * cy))
        left, top = int(gen.integers(0, mx + 1)), int(gen.integers(0, my + 1))
        return img.crop((left, top, w - (mx - left), h - (my - top))), ".png"
    if transform == "brightness":
        f = gen.uniform(0.75, 0.9) if gen.random() < 0.5 else gen.uniform(1.1, 1.25)
        return ImageEnhance.Brightness(img).enhance(f), ".png"
    return ImageOps.mirror(img), ".png"


def photo_like(size: int, rng: int | np.random.Generator | None = None) -> Any:
    """A photo-like RGB picture: a smooth random colour field under one to four shapes.

    Examples
    --------
    >>> photo_like(64, 0).size
    (64, 64)
    """
    from PIL import Image, ImageDraw

    gen = as_rng(rng)
    grid = gen.uniform(40, 215, size=(6, 6, 1)) + gen.uniform(-35, 35, size=(6, 6, 3))
    field = Image.fromarray(np.clip(grid, 0, 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(field)
    for _ in range(int(gen.integers(1, 5))):
        x, y = gen.uniform(0.1, 0.9, size=2) * size
        r = gen.uniform(0.05, 0.15) * size
        fill = tuple(int(v) for v in gen.integers(0, 256, size=3))
        if gen.random() < 0.5:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=fill)
        else:
            draw.rectangle([x - r, y - r, x + r, y + r], fill=fill)
    return field


def make_image_duplicates(
    n_originals: int = 200,
    *,
    out_dir: str | os.PathLike[str] | None,
    size: int = 128,
    copies: float = 0.5,
    transforms: tuple[str, ...] = TRANSFORMS,
    rng: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Photo-like originals and planted edited copies, written to ``out_dir`` (PNG, JPEG).

    Parameters
    ----------
    n_originals
        Distinct pictures.
    out_dir
        Folder the files are written to (``None``: the images are returned in memory, in
        the ``picture`` column).
    size
        Side of the originals in pixels.
    copies
        Copies per original on average; each copy gets the next edit of ``transforms`` in turn.
    transforms
        Edits planted (see :func:`apply_transform`).
    rng
        Seed or Generator.

    Returns
    -------
    DataFrame
        One row per image: ``image`` (file name, or a name when in memory), ``original``
        (the file name of the picture it copies; itself for originals), ``transform`` (``""``
        for originals), and ``picture`` (the PIL image) when ``out_dir`` is None.

    Examples
    --------
    >>> t = make_image_duplicates(4, out_dir=None, size=32, copies=1.0, rng=0)
    >>> t["transform"].tolist()
    ['', '', '', '', 'resize', 'jpeg', 'crop', 'brightness']
    """
    check_count("n_originals", n_originals)
    if not 0 <= copies <= 10:
        raise WorkbenchError(f"copies={copies!r} must lie in [0, 10] (copies per original on average).")
    for t in transforms:
        check_choice(t, name="transform", choices=TRANSFORMS)
    gen = as_rng(rng)
    folder = Path(out_dir) if out_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    pictures = [photo_like(size, gen) for _ in range(n_originals)]
    w = len(str(n_originals - 1))
    for i, pic in enumerate(pictures):
        rows.append({"image": f"orig{i:0{w}d}.png", "original": f"orig{i:0{w}d}.png", "transform": "", "picture": pic})
    n_copies = int(round(copies * n_originals))
    src = gen.integers(0, n_originals, n_copies)
    for j, k in enumerate(src.tolist()):
        kind = transforms[j % len(transforms)]
        out, suffix = apply_transform(pictures[k], kind, gen)
        rows.append({"image": f"copy{j:0{w + 1}d}{suffix}", "original": rows[k]["image"], "transform": kind,
                     "picture": out})
    table = pd.DataFrame(rows)
    if folder is None:
        return table
    for name, pic in zip(table["image"], table["picture"], strict=True):
        pic.save(folder / name, quality=95) if name.endswith(".jpg") else pic.save(folder / name)
    return table.drop(columns=["picture"])
