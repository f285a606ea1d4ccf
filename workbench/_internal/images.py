"""Decoding one image input (a path, bytes or a PIL image) to RGB, for CLIP scoring and image dedup."""

from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

__all__ = ["open_image"]


def open_image(item: Any) -> Image.Image:
    """Decode one image input to an RGB PIL image; raises (OSError, TypeError …) with a short reason.

    Examples
    --------
    >>> from PIL import Image
    >>> open_image(Image.new("L", (2, 2))).mode
    'RGB'
    """
    from PIL import Image

    if isinstance(item, Image.Image):
        img = item
    elif isinstance(item, (bytes, bytearray, memoryview)):
        img = Image.open(io.BytesIO(bytes(item)))
    elif isinstance(item, (str, os.PathLike)):
        img = Image.open(os.fspath(item))
    else:
        raise TypeError(f"not an image, path or bytes: {type(item).__name__}")
    img.load()
    return img.convert("RGB") if img.mode != "RGB" else img
