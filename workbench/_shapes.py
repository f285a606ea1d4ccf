"""Synthetic shape images and their captions: the image–caption domain of the demo CLIP.

A :class:`ShapeSpec` describes a small scene — one to three coloured shapes of one kind and
size, grouped in one region of the image. :func:`render_caption_image` draws it with Pillow
(64 × 64 px by default) and :func:`caption_for` writes a caption for it in one of a few
phrasings, e.g. ``"two small red circles on the left"``. The sample generator
(``workbench.samples.make_image_captions``) and the demo CLIP training
(``workbench.samples.demo_clip``) both build on these functions, so the demo model sees
exactly the domain of the sample data.

The batch helpers (:func:`caption_specs`, :func:`captions_for`, :func:`render_batch`,
:func:`mismatched_specs`) draw every random attribute with one vectorized call per attribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw

from workbench._validation import as_rng
from workbench.errors import WorkbenchError

__all__ = [
    "SHAPES",
    "COLOURS",
    "COUNTS",
    "POSITIONS",
    "SIZES",
    "TEMPLATES",
    "ShapeSpec",
    "caption_spec",
    "caption_specs",
    "caption_for",
    "captions_for",
    "caption_vocabulary",
    "render_caption_image",
    "render_batch",
    "mismatched_specs",
    "specs_to_frame",
]

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond")
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (215, 40, 40),
    "green": (40, 160, 60),
    "blue": (40, 80, 215),
    "yellow": (230, 200, 30),
    "purple": (135, 55, 175),
    "orange": (245, 130, 20),
}
COUNTS: tuple[int, ...] = (1, 2, 3)
POSITIONS: tuple[str, ...] = ("left", "right", "top", "bottom", "center")
SIZES: tuple[str, ...] = ("small", "large")

_COUNT_WORDS = {1: "one", 2: "two", 3: "three"}
_POSITION_PHRASES = {
    "left": "on the left",
    "right": "on the right",
    "top": "at the top",
    "bottom": "at the bottom",
    "center": "in the center",
}
#: Caption phrasings; ``{n}`` is the count word ("a"/"one", "two", "three"), ``{shapes}`` the
#: shape noun in singular or plural, ``{where}`` the position phrase.
TEMPLATES: tuple[str, ...] = (
    "{n} {size} {colour} {shapes} {where}",
    "a picture of {n} {colour} {shapes} {where}",
    "{where} there {be} {n} {size} {colour} {shapes}",
    "{n} {colour} {shapes} {where}",
)

# Geometry in fractions of the image side.
_RADIUS = {"small": 0.07, "large": 0.115}
_ACROSS = {"left": 0.2, "right": 0.8, "top": 0.2, "bottom": 0.8, "center": 0.5}
_JITTER = 0.04


@dataclass(frozen=True)
class ShapeSpec:
    """One synthetic scene: ``count`` shapes of one kind, colour and size in one region.

    Attributes
    ----------
    shape : {"circle", "square", "triangle", "diamond"}
    colour : {"red", "green", "blue", "yellow", "purple", "orange"}
    count : {1, 2, 3}
    position : {"left", "right", "top", "bottom", "center"}
        Region of the image the group of shapes lies in.
    size : {"small", "large"}

    Examples
    --------
    >>> ShapeSpec("circle", "red", 2, "left", "small")
    ShapeSpec(shape='circle', colour='red', count=2, position='left', size='small')
    """

    shape: str
    colour: str
    count: int
    position: str
    size: str

    def __post_init__(self) -> None:
        for name, value, choices in (
            ("shape", self.shape, SHAPES),
            ("colour", self.colour, tuple(COLOURS)),
            ("count", self.count, COUNTS),
            ("position", self.position, POSITIONS),
            ("size", self.size, SIZES),
        ):
            if value not in choices:
                raise WorkbenchError(
                    f"ShapeSpec: {name}={value!r} is not one of {list(choices)}; "
                    f"pick one of those values."
                )

    def to_dict(self) -> dict[str, object]:
        """The attributes as a plain dict (one row of :func:`specs_to_frame`)."""
        return asdict(self)


def caption_specs(n: int, rng: int | np.random.Generator | None = None) -> list[ShapeSpec]:
    """Draw ``n`` scenes with every attribute uniform and independent.

    Parameters
    ----------
    n : int
        Number of scenes.
    rng : int, numpy Generator or None
        Source of randomness.

    Returns
    -------
    list of ShapeSpec

    Examples
    --------
    >>> specs = caption_specs(3, rng=0)
    >>> len(specs), all(isinstance(s, ShapeSpec) for s in specs)
    (3, True)
    """
    if n < 0:
        raise WorkbenchError(f"caption_specs: n must be >= 0, got {n}.")
    gen = as_rng(rng)
    colours = tuple(COLOURS)
    shape = gen.integers(len(SHAPES), size=n)
    colour = gen.integers(len(colours), size=n)
    count = gen.integers(len(COUNTS), size=n)
    position = gen.integers(len(POSITIONS), size=n)
    size = gen.integers(len(SIZES), size=n)
    return [
        ShapeSpec(SHAPES[a], colours[b], COUNTS[c], POSITIONS[d], SIZES[e])
        for a, b, c, d, e in zip(
            shape.tolist(), colour.tolist(), count.tolist(), position.tolist(), size.tolist(), strict=True
        )
    ]


def caption_spec(rng: int | np.random.Generator | None = None) -> ShapeSpec:
    """Draw one random scene (see :func:`caption_specs`).

    Examples
    --------
    >>> caption_spec(0) == caption_spec(0)
    True
    """
    return caption_specs(1, rng)[0]


def mismatched_specs(
    specs: Sequence[ShapeSpec],
    rng: int | np.random.Generator | None = None,
    *,
    n_changes: int = 1,
) -> list[ShapeSpec]:
    """Copies of ``specs`` with ``n_changes`` attributes changed to another value each.

    Hard negatives for captions: ``"two red circles on the left"`` becomes e.g.
    ``"two blue circles on the left"``.

    Parameters
    ----------
    specs : sequence of ShapeSpec
    rng : int, numpy Generator or None
    n_changes : int, 1 to 5
        How many of the five attributes differ from the original.

    Returns
    -------
    list of ShapeSpec, each different from its original in exactly ``n_changes`` attributes.

    Examples
    --------
    >>> s = ShapeSpec("circle", "red", 2, "left", "small")
    >>> m = mismatched_specs([s], rng=0)[0]
    >>> sum(a != b for a, b in zip(s.to_dict().values(), m.to_dict().values()))
    1
    """
    if not 1 <= n_changes <= 5:
        raise WorkbenchError(f"mismatched_specs: n_changes must be 1..5, got {n_changes}.")
    gen = as_rng(rng)
    choices = {
        "shape": SHAPES,
        "colour": tuple(COLOURS),
        "count": COUNTS,
        "position": POSITIONS,
        "size": SIZES,
    }
    names = list(choices)
    n = len(specs)
    # Which attributes change: the first n_changes of a random permutation per row.
    order = np.argsort(gen.random((n, len(names))), axis=1)[:, :n_changes]
    # The new value: a non-zero offset modulo the number of values, so it always differs.
    offsets = {k: gen.integers(1, len(v), size=n) for k, v in choices.items()}
    out = []
    for i, spec in enumerate(specs):
        values = spec.to_dict()
        for j in order[i].tolist():
            key = names[j]
            vals = choices[key]
            values[key] = vals[(vals.index(values[key]) + int(offsets[key][i])) % len(vals)]
        out.append(ShapeSpec(**values))  # type: ignore[arg-type]
    return out


def _caption(spec: ShapeSpec, template: str, one_word: str) -> str:
    n = one_word if spec.count == 1 else _COUNT_WORDS[spec.count]
    shapes = spec.shape if spec.count == 1 else spec.shape + "s"
    return template.format(
        n=n,
        size=spec.size,
        colour=spec.colour,
        shapes=shapes,
        where=_POSITION_PHRASES[spec.position],
        be="is" if spec.count == 1 else "are",
    )


def caption_for(spec: ShapeSpec, rng: int | np.random.Generator | None = None) -> str:
    """A caption that describes ``spec``, in a random phrasing (the first one for ``rng=None``).

    Parameters
    ----------
    spec : ShapeSpec
    rng : int, numpy Generator or None
        ``None`` gives the canonical phrasing ``"{n} {size} {colour} {shapes} {where}"``.

    Returns
    -------
    str, lower case words separated by single spaces.

    Examples
    --------
    >>> caption_for(ShapeSpec("circle", "red", 2, "left", "small"))
    'two small red circles on the left'
    >>> caption_for(ShapeSpec("square", "blue", 1, "top", "large"))
    'a large blue square at the top'
    """
    if rng is None:
        return _caption(spec, TEMPLATES[0], "a")
    return captions_for([spec], rng)[0]


def captions_for(
    specs: Sequence[ShapeSpec],
    rng: int | np.random.Generator | None = None,
    *,
    templates: Sequence[str] | None = None,
) -> list[str]:
    """Captions for many specs, each in a random phrasing (see :func:`caption_for`).

    Parameters
    ----------
    specs : sequence of ShapeSpec
    rng : int, numpy Generator or None
    templates : sequence of str or None
        Phrasings to draw from (default :data:`TEMPLATES`). Note that two of the default
        phrasings omit the size word: pass ``[t for t in TEMPLATES if "{size}" in t]`` when
        the caption must name every attribute (e.g. for a caption whose size is wrong).

    Examples
    --------
    >>> captions_for(caption_specs(2, rng=1), rng=1)  # doctest: +SKIP
    ['three large green triangles at the bottom', 'a picture of one blue square on the left']
    >>> len(captions_for(caption_specs(5, rng=1), rng=1))
    5
    """
    gen = as_rng(rng)
    pool = TEMPLATES if templates is None else tuple(templates)
    if not pool:
        raise WorkbenchError("captions_for: templates is empty; pass at least one phrasing.")
    n = len(specs)
    which = gen.integers(len(pool), size=n).tolist()
    one_words = np.where(gen.random(n) < 0.5, "a", "one").tolist()
    return [_caption(s, pool[t], w) for s, t, w in zip(specs, which, one_words, strict=True)]


def caption_vocabulary() -> list[str]:
    """Every word any caption can contain, sorted.

    Examples
    --------
    >>> "circles" in caption_vocabulary() and "purple" in caption_vocabulary()
    True
    """
    words: set[str] = set()
    for template in TEMPLATES:
        words.update(w for w in template.split() if not w.startswith("{"))
    words.update({"a", "is", "are"}, _COUNT_WORDS.values(), SIZES, COLOURS)
    words.update(SHAPES, (s + "s" for s in SHAPES))
    for phrase in _POSITION_PHRASES.values():
        words.update(phrase.split())
    return sorted(words)


def _polygon(shape: str, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    if shape == "triangle":
        return [(cx, cy - r), (cx + 0.95 * r, cy + 0.8 * r), (cx - 0.95 * r, cy + 0.8 * r)]
    if shape == "diamond":
        return [(cx, cy - r), (cx + 0.8 * r, cy), (cx, cy + r), (cx - 0.8 * r, cy)]
    raise AssertionError(shape)  # pragma: no cover - internal


def _layout(spec: ShapeSpec, gen: np.random.Generator) -> np.ndarray:
    """Centres of the shapes as fractions of the side, shape (count, 2) as (x, y)."""
    n = spec.count
    if spec.position == "center":
        along = {1: [0.5], 2: [0.34, 0.66], 3: [0.2, 0.5, 0.8]}[n]
    elif n == 1:
        along = [float(gen.uniform(0.25, 0.75))]
    else:
        along = {2: [0.3, 0.7], 3: [0.18, 0.5, 0.82]}[n]
    along_arr = np.asarray(along) + gen.uniform(-_JITTER, _JITTER, size=n)
    across = _ACROSS[spec.position] + gen.uniform(-_JITTER, _JITTER, size=n)
    if spec.position in ("left", "right"):  # a vertical line of shapes
        return np.column_stack([across, along_arr])
    return np.column_stack([along_arr, across])  # a horizontal line


def render_caption_image(
    spec: ShapeSpec, size: int = 64, rng: int | np.random.Generator | None = None
) -> Image.Image:
    """Draw ``spec`` as an RGB image of ``size`` × ``size`` pixels.

    The shapes lie on a light background whose tone, and the shapes' exact places and
    colours, vary slightly with ``rng``; ``rng=None`` draws the same image every time.

    Parameters
    ----------
    spec : ShapeSpec
    size : int
        Side of the square image in pixels (at least 16).
    rng : int, numpy Generator or None
        ``None`` means seed 0 (a deterministic image).

    Returns
    -------
    PIL.Image.Image in mode ``"RGB"``.

    Examples
    --------
    >>> img = render_caption_image(ShapeSpec("circle", "red", 1, "center", "large"))
    >>> img.size, img.mode
    ((64, 64), 'RGB')
    >>> img.getpixel((32, 32))[0] > 150  # the centre is red
    True
    """
    if size < 16:
        raise WorkbenchError(f"render_caption_image: size must be >= 16 pixels, got {size}.")
    gen = as_rng(0 if rng is None else rng)
    tone = int(gen.integers(225, 256))
    img = Image.new("RGB", (size, size), (tone, tone, tone))
    draw = ImageDraw.Draw(img)
    base = np.asarray(COLOURS[spec.colour])
    fill = tuple(int(v) for v in np.clip(base + gen.integers(-15, 16, size=3), 0, 255))
    r = _RADIUS[spec.size] * size
    for cx, cy in (_layout(spec, gen) * size).tolist():
        if spec.shape == "circle":
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
        elif spec.shape == "square":
            h = 0.85 * r
            draw.rectangle([cx - h, cy - h, cx + h, cy + h], fill=fill)
        else:
            draw.polygon(_polygon(spec.shape, cx, cy, r), fill=fill)
    return img


def render_batch(
    specs: Sequence[ShapeSpec], size: int = 64, rng: int | np.random.Generator | None = None
) -> np.ndarray:
    """Render many specs into one ``uint8`` array of shape ``(n, size, size, 3)``.

    Examples
    --------
    >>> render_batch(caption_specs(4, rng=0), size=32, rng=0).shape
    (4, 32, 32, 3)
    """
    gen = as_rng(rng)
    out = np.empty((len(specs), size, size, 3), dtype=np.uint8)
    for i, spec in enumerate(specs):
        out[i] = np.asarray(render_caption_image(spec, size, gen))
    return out


def specs_to_frame(specs: Sequence[ShapeSpec]) -> pd.DataFrame:
    """One row per spec with columns shape, colour, count, position, size.

    Examples
    --------
    >>> specs_to_frame([ShapeSpec("circle", "red", 2, "left", "small")]).columns.tolist()
    ['shape', 'colour', 'count', 'position', 'size']
    """
    columns = ["shape", "colour", "count", "position", "size"]
    return pd.DataFrame([s.to_dict() for s in specs], columns=columns)
