"""Thumbnails in a report: small JPEGs embedded as base64, in grids of cards and cluster strips.

A report must stay one file that opens offline, so each picture is shrunk (at most
:data:`THUMBNAIL_PX` pixels a side) and embedded as a ``data:image/jpeg;base64`` URI; every
caption, id and note from the data is escaped. The builders return an :class:`HtmlBlock`, which
a notebook shows with :func:`workbench.analyses.base.show` (it has ``_repr_html_``).
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from workbench._internal.escape import escape_html
from workbench._internal.images import open_image
from workbench._internal.paths import locate_images

__all__ = ["THUMBNAIL_PX", "HtmlBlock", "cluster_strips", "thumbnail_grid", "thumbnail_uri"]

#: Largest side of an embedded thumbnail, in pixels.
THUMBNAIL_PX = 128
_CARD_PX = 112  # shown size of a thumbnail in a card
_CAPTION_CHARS = 160


@dataclass(frozen=True)
class HtmlBlock:
    """A piece of report HTML built from escaped data (shown by ``display``/``show``)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def thumbnail_uri(item: Any, *, max_px: int = THUMBNAIL_PX, quality: int = 80) -> str | None:
    """A small JPEG of ``item`` (a path, bytes or PIL image) as a ``data:`` URI; ``None`` when
    it cannot be read (the card then says so instead of showing a broken image).

    Examples
    --------
    >>> from PIL import Image
    >>> uri = thumbnail_uri(Image.new("RGB", (640, 320), (200, 30, 30)))
    >>> uri.startswith("data:image/jpeg;base64,"), len(uri) < 3000
    (True, True)
    >>> thumbnail_uri(b"not an image") is None
    True
    """
    from PIL import Image

    try:
        img = open_image(item)
    except Exception:  # any decoding failure: no thumbnail, said on the card
        return None
    img = img.copy()
    img.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _shorten(text: str, limit: int = _CAPTION_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _picture(uri: str | None, *, px: int, border: str = "#d0d7de") -> str:
    if uri is None:
        return (f"<div style='width:{px}px;height:{px}px;display:flex;align-items:center;justify-content:center;"
                f"background:#f6f8fa;border:1px dashed #999;color:#555;font-size:11px;text-align:center'>"
                "image cannot be read</div>")
    return (f"<img src='{uri}' alt='' style='width:{px}px;height:{px}px;object-fit:contain;"
            f"background:#f6f8fa;border:2px solid {border};border-radius:3px'>")


def _located(frame: pd.DataFrame, image: str, base: str | os.PathLike[str] | None,
             allow_outside: bool) -> list[Any]:
    return locate_images(frame[image], Path(base) if base is not None else None, allow_outside=allow_outside,
                         column=image, table="image_captions")


def thumbnail_grid(
    frame: pd.DataFrame,
    *,
    image: str = "image",
    caption: str = "caption",
    label: str | None = None,
    notes: Sequence[str] = (),
    base: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    title: str = "",
    empty: str = "Nothing to show.",
) -> HtmlBlock:
    """A grid of cards, one per row of ``frame``: the thumbnail, the caption, a bold ``label``
    and the ``notes`` columns as ``name value`` (numbers to 3 decimals), all escaped.

    Image paths are read relative to ``base`` (the table's folder) and may not leave it unless
    ``allow_outside`` (:func:`workbench._internal.paths.locate_images` raises naming the rows).

    Examples
    --------
    >>> from PIL import Image
    >>> f = pd.DataFrame({"image": [Image.new("RGB", (8, 8))], "caption": ["<b>x</b>"], "clip_score": [0.12345]})
    >>> html = thumbnail_grid(f, notes=["clip_score"]).html
    >>> "&lt;b&gt;x&lt;/b&gt;" in html, "<b>x</b>" in html, "clip_score 0.123" in html
    (True, False, True)
    """
    head = f"<div style='font-weight:600;margin:0.6em 0 0.3em 0'>{escape_html(title)}</div>" if title else ""
    if frame.empty:
        return HtmlBlock(f"{head}<p style='color:#555'>{escape_html(empty)}</p>")
    located = _located(frame, image, base, allow_outside)
    cards = []
    for where, (_, row) in zip(located, frame.iterrows(), strict=True):
        bits = []
        if label is not None and label in frame:
            bits.append(f"<div style='font-weight:600'>{escape_html(row[label])}</div>")
        cap = row[caption] if caption in frame else ""
        cap_text = "" if pd.isna(cap) else str(cap)
        bits.append(f"<div title='{escape_html(_shorten(cap_text, 500))}' style='margin:0.15em 0'>"
                    f"{escape_html(_shorten(cap_text))}</div>")
        meta = []
        for col in notes:
            if col in frame and not pd.isna(row[col]) and row[col] != "":
                v = row[col]
                shown = f"{v:.3f}" if isinstance(v, float) else str(v)
                meta.append(f"{escape_html(col)} {escape_html(shown)}")
        if meta:
            bits.append(f"<div style='color:#555;font-size:11px'>{' · '.join(meta)}</div>")
        cards.append(f"<figure style='margin:0;width:{_CARD_PX + 28}px;font-size:12px;line-height:1.3;"
                     f"overflow-wrap:anywhere'>{_picture(thumbnail_uri(where), px=_CARD_PX)}"
                     f"<figcaption>{''.join(bits)}</figcaption></figure>")
    grid = ("<div style='display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:12px;"
            f"max-width:70em;margin:0.3em 0 1em 0'>{''.join(cards)}</div>")
    return HtmlBlock(head + grid)


def cluster_strips(
    frame: pd.DataFrame,
    *,
    cluster: str = "cluster",
    kept: str = "kept",
    distance: str = "distance",
    image: str = "image",
    label: str | None = None,
    caption: str | None = "caption",
    base: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    title: str = "",
    empty: str = "No duplicate images found.",
) -> HtmlBlock:
    """One strip per cluster (in the frame's order; strips wrap side by side): the kept image
    first, framed green, then its duplicates framed red with their distance to it; ids and
    captions escaped.

    Examples
    --------
    >>> from PIL import Image
    >>> pic = Image.new("RGB", (8, 8))
    >>> f = pd.DataFrame({"cluster": [0, 0], "kept": [True, False], "distance": [0.0, 3.0],
    ...                   "image": [pic, pic], "caption": ["a", "<i>b</i>"]})
    >>> html = cluster_strips(f).html
    >>> html.count("<img"), "distance 3" in html, "<i>" in html
    (2, True, False)
    """
    head = f"<div style='font-weight:600;margin:0.6em 0 0.3em 0'>{escape_html(title)}</div>" if title else ""
    if frame.empty:
        return HtmlBlock(f"{head}<p style='color:#555'>{escape_html(empty)}</p>")
    located = _located(frame, image, base, allow_outside)
    uris = {i: thumbnail_uri(w, max_px=96) for i, w in zip(frame.index, located, strict=True)}
    strips = []
    for key, group in frame.groupby(cluster, sort=False):
        group = group.sort_values(kept, ascending=False, kind="stable")
        cells = []
        for i, row in group.iterrows():
            is_kept = bool(row[kept])
            who = escape_html(row[label]) if label is not None and label in group else ""
            note = "kept" if is_kept else f"distance {row[distance]:g}"
            cap = row[caption] if caption is not None and caption in group else ""
            cap_text = "" if pd.isna(cap) else _shorten(str(cap), 60)
            cells.append(
                f"<figure style='margin:0;width:96px;font-size:11px;line-height:1.25;overflow-wrap:anywhere'>"
                f"{_picture(uris[i], px=88, border='#1e7b34' if is_kept else '#b3261e')}"
                f"<figcaption><b>{who}</b> {escape_html(note)}<br><span style='color:#555'>"
                f"{escape_html(cap_text)}</span></figcaption></figure>")
        strips.append(
            "<div style='border:1px solid #d0d7de;border-radius:4px;padding:4px 6px 6px 6px'>"
            f"<div style='font-size:11px;color:#555;margin-bottom:3px'>cluster {escape_html(key)} · "
            f"{len(group)} images</div><div style='display:flex;gap:6px;align-items:flex-start'>"
            f"{''.join(cells)}</div></div>")
    return HtmlBlock(f"{head}<div style='display:flex;flex-wrap:wrap;gap:10px;max-width:70em;margin-bottom:1em'>"
                     f"{''.join(strips)}</div>")
