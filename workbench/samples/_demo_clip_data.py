"""Training data of the demo CLIP: shape scenes drawn and captioned in many styles.

The sample data (:mod:`workbench._shapes`) draws every scene one way (filled shapes on a
light grey background) and captions it in four phrasings. A CLIP trained on that alone
learns the drawing style and the caption grammar rather than colours and shapes: on shapes
drawn by other code, with a plain caption such as ``"a red circle"``, it could not pick the
right one of twelve captions. This module varies both sides of every training pair:

* :func:`render_varied` — backgrounds (white, grey, dark, pastel tints, gradients, noise),
  shape sizes from small to filling the image, filled / outlined / outline-only shapes,
  antialiasing by supersampling (or none), jittered places, rotated triangles, slightly
  squashed and tilted squares and diamonds, colours jittered in hue, saturation and
  brightness around the palette; a share of the images uses the sample renderer itself.
* :func:`varied_captions` — captions with and without counts, sizes and positions, with
  ``"a"``, ``"an"``, ``"one"``, ``"a single"``, prefixes like ``"a picture of"``, plurals
  without a number, ``"shape"`` for an unnamed shape, the sample phrasings, and now and then
  a word the vocabulary lacks (it becomes ``<unk>``).

A caption that leaves an attribute out describes many scenes. Each caption therefore comes
with the set of values it allows per attribute (:class:`CaptionBatch`), and
:func:`positives` marks every image of a batch that the caption truly describes, so the
contrastive loss never pushes a true description away.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from workbench._shapes import (
    COLOURS,
    COUNTS,
    POSITIONS,
    SHAPES,
    SIZES,
    ShapeSpec,
    caption_vocabulary,
    captions_for,
    render_caption_image,
)

__all__ = [
    "ATTRIBUTES",
    "CaptionBatch",
    "attribute_captions",
    "encode_specs",
    "positives",
    "render_varied",
    "render_varied_batch",
    "training_specs",
    "training_vocabulary",
    "varied_captions",
]

#: Attributes in the order of the columns of :func:`encode_specs` and of CaptionBatch.allowed.
ATTRIBUTES: tuple[str, ...] = ("shape", "colour", "count", "position", "size")
_VALUES: dict[str, tuple[object, ...]] = {
    "shape": SHAPES,
    "colour": tuple(COLOURS),
    "count": COUNTS,
    "position": POSITIONS,
    "size": SIZES,
}
_ALL = {k: (1 << len(v)) - 1 for k, v in _VALUES.items()}

_POSITION_PHRASES: dict[str, tuple[str, ...]] = {
    "left": ("on the left", "at the left", "on the left side"),
    "right": ("on the right", "at the right", "on the right side"),
    "top": ("at the top", "on the top", "near the top"),
    "bottom": ("at the bottom", "on the bottom", "near the bottom"),
    "center": ("in the center", "in the middle", "in the centre"),
}
_PREFIXES: tuple[str, ...] = (
    "a picture of", "an image of", "a photo of", "a drawing of", "an illustration of",
    "a sketch of", "a painting of",
)
#: Words that are not in the vocabulary on purpose: they reach the model as ``<unk>``.
_UNKNOWN_WORDS: tuple[str, ...] = ("nice", "simple", "plain", "flat", "clean", "bold", "neat")
_COUNT_WORDS = {2: "two", 3: "three"}


def training_vocabulary() -> list[str]:
    """Every word a training caption can contain (the sample captions' words included), sorted.

    Examples
    --------
    >>> {"an", "image", "middle", "shape"} <= set(training_vocabulary())
    True
    >>> "nice" in training_vocabulary()   # deliberately unknown
    False
    """
    words = set(caption_vocabulary())
    for phrases in _POSITION_PHRASES.values():
        for phrase in phrases:
            words.update(phrase.split())
    for prefix in _PREFIXES:
        words.update(prefix.split())
    words.update({"a", "an", "one", "single", "some", "there", "is", "are", "shape", "shapes",
                  "with", "showing"})
    return sorted(words)


def encode_specs(specs: Sequence[ShapeSpec]) -> np.ndarray:
    """Attribute value indices, shape ``(n, 5)`` in the order of :data:`ATTRIBUTES`.

    Examples
    --------
    >>> encode_specs([ShapeSpec("square", "red", 1, "left", "large")]).tolist()
    [[1, 0, 0, 0, 1]]
    """
    out = np.empty((len(specs), len(ATTRIBUTES)), dtype=np.int64)
    for i, spec in enumerate(specs):
        for j, name in enumerate(ATTRIBUTES):
            out[i, j] = _VALUES[name].index(getattr(spec, name))
    return out


@dataclass(frozen=True)
class CaptionBatch:
    """Captions and, per caption and attribute, the bit mask of the values it allows.

    Attributes
    ----------
    captions : list of str
    allowed : ndarray of int64, shape (n, 5)
        Bit ``v`` of ``allowed[i, j]`` is set when caption ``i`` is true of a scene whose
        attribute ``ATTRIBUTES[j]`` has value index ``v``.
    """

    captions: list[str]
    allowed: np.ndarray


def positives(batch: CaptionBatch, codes: np.ndarray) -> np.ndarray:
    """Boolean matrix (captions × scenes): the caption describes the scene truly.

    Examples
    --------
    >>> scenes = [ShapeSpec("circle", "red", 1, "left", "small"),
    ...           ShapeSpec("circle", "red", 1, "right", "large")]
    >>> caps = varied_captions(scenes, rng=0)
    >>> bool(positives(caps, encode_specs(scenes)).diagonal().all())
    True
    """
    bits = (batch.allowed[:, None, :] >> codes[None, :, :]) & 1
    return bits.all(axis=2)


def _article(next_word: str) -> str:
    return "an" if next_word[0] in "aeiou" else "a"


def training_specs(n: int, rng: int | np.random.Generator | None = None, *, single_share: float = 0.6,
                   large_share: float = 0.7, centre_share: float = 0.4) -> list[ShapeSpec]:
    """Scenes for training: shape and colour uniform, weighted towards one large shape.

    The sample generator draws counts, sizes and places uniformly, so two thirds of its
    scenes hold several shapes and half are small (a few pixels across at 64 px, where a
    triangle and a diamond look alike). Shapes are told apart by their outline, and a model
    learns outlines faster from scenes where the outline is large: here ``single_share`` of
    the scenes hold one shape, ``large_share`` are large, and ``centre_share`` of the single
    shapes sit in the centre, where they may fill the image.

    Examples
    --------
    >>> specs = training_specs(1000, rng=0)
    >>> 0.55 < sum(s.count == 1 for s in specs) / 1000 < 0.65
    True
    """
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    colours = tuple(COLOURS)
    u = gen.random((n, 3))
    shape = gen.integers(len(SHAPES), size=n)
    colour = gen.integers(len(colours), size=n)
    many = gen.integers(2, 4, size=n)
    place = gen.integers(len(POSITIONS), size=n)
    out = []
    for i in range(n):
        count = 1 if u[i, 0] < single_share else int(many[i])
        position = "center" if count == 1 and u[i, 2] < centre_share else POSITIONS[int(place[i])]
        size = "large" if u[i, 1] < large_share else "small"
        out.append(ShapeSpec(SHAPES[int(shape[i])], colours[int(colour[i])], count, position, size))
    return out


def attribute_captions() -> CaptionBatch:
    """Every colour × shape caption, singular and plural ("a red circle", "red circles").

    Added to every training batch, they put all colour and shape alternatives of an image
    side by side in its softmax — the 24-way choice a user makes when asking which caption
    fits — so a model cannot win by reading colour alone. Each allows any place and size;
    the singular ones a count of one, the plural ones two or three.

    Examples
    --------
    >>> caps = attribute_captions()
    >>> len(caps.captions), caps.captions[:2]
    (48, ['a red circle', 'red circles'])
    """
    captions: list[str] = []
    allowed = []
    for colour in COLOURS:
        for shape in SHAPES:
            for plural in (False, True):
                mask = dict(_ALL)
                mask["shape"] = 1 << SHAPES.index(shape)
                mask["colour"] = 1 << tuple(COLOURS).index(colour)
                mask["count"] = sum(1 << j for j, c in enumerate(COUNTS) if (c > 1) == plural)
                captions.append(f"{colour} {shape}s" if plural else f"{_article(colour)} {colour} {shape}")
                allowed.append([mask[a] for a in ATTRIBUTES])
    return CaptionBatch(captions, np.asarray(allowed, dtype=np.int64))


def varied_captions(
    specs: Sequence[ShapeSpec],
    rng: int | np.random.Generator | None = None,
    *,
    sample_share: float = 0.15,
    unknown_share: float = 0.06,
) -> CaptionBatch:
    """One caption per scene in a random wording, with what each caption asserts.

    Parameters
    ----------
    specs : sequence of ShapeSpec
    rng : int, numpy Generator or None
    sample_share : float
        Share of captions written by the sample generator's phrasings
        (:func:`workbench._shapes.captions_for`), which name every attribute but perhaps size.
    unknown_share : float
        Share of captions with one word that is not in the vocabulary.

    Returns
    -------
    CaptionBatch

    Examples
    --------
    >>> batch = varied_captions([ShapeSpec("circle", "orange", 1, "left", "small")] * 3, rng=2)
    >>> all("circle" in c or "shape" in c for c in batch.captions)
    True
    """
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    n = len(specs)
    captions: list[str] = []
    allowed = np.empty((n, len(ATTRIBUTES)), dtype=np.int64)
    u = gen.random((n, 12))
    sample_caps = captions_for(specs, gen)
    for i, spec in enumerate(specs):
        codes = {name: _VALUES[name].index(getattr(spec, name)) for name in ATTRIBUTES}
        mask = {name: 1 << codes[name] for name in ATTRIBUTES}
        if u[i, 0] < sample_share:
            cap = sample_caps[i]
            if spec.size not in cap.split():
                mask["size"] = _ALL["size"]
            captions.append(cap)
            allowed[i] = [mask[a] for a in ATTRIBUTES]
            continue
        plural = spec.count > 1
        # the noun: the shape, or (rarely) just "shape" so colour is learned on its own
        if u[i, 1] < 0.06:
            noun = "shapes" if plural else "shape"
            mask["shape"] = _ALL["shape"]
        else:
            noun = spec.shape + "s" if plural else spec.shape
        adjectives: list[str] = []
        if u[i, 2] < 0.35:
            adjectives.append(spec.size)
        else:
            mask["size"] = _ALL["size"]
        if u[i, 3] < 0.05 and mask["shape"] != _ALL["shape"]:
            mask["colour"] = _ALL["colour"]
        else:
            adjectives.append(spec.colour)
        if u[i, 4] < unknown_share:
            adjectives.insert(int(gen.integers(len(adjectives) + 1)),
                              _UNKNOWN_WORDS[int(gen.integers(len(_UNKNOWN_WORDS)))])
        head = " ".join([*adjectives, noun])
        # the count
        if not plural:
            r = u[i, 5]
            if r < 0.6:
                count = _article(head)
            elif r < 0.85:
                count = "one"
            else:
                count = "a single"
        elif u[i, 5] < 0.7:
            count = _COUNT_WORDS[spec.count]
        else:
            count = "some" if u[i, 6] < 0.4 else ""
            mask["count"] = sum(1 << j for j, c in enumerate(COUNTS) if c > 1)
        phrase = f"{count} {head}".strip()
        # the position
        where = ""
        if u[i, 7] < 0.45:
            options = _POSITION_PHRASES[spec.position]
            where = options[int(gen.integers(len(options)))]
        else:
            mask["position"] = _ALL["position"]
        # the frame of the sentence
        r = u[i, 8]
        if where and r < 0.2:
            cap = f"{where} there {'are' if plural else 'is'} {phrase}"
        elif r < 0.5:
            prefix = _PREFIXES[int(gen.integers(len(_PREFIXES)))]
            cap = f"{prefix} {phrase} {where}"
        elif r < 0.58:
            cap = f"{'an image' if u[i, 9] < 0.5 else 'a picture'} showing {phrase} {where}"
        else:
            cap = f"{phrase} {where}"
        captions.append(" ".join(cap.split()))
        allowed[i] = [mask[a] for a in ATTRIBUTES]
    return CaptionBatch(captions, allowed)


# --------------------------------------------------------------------------- drawing


def _background(gen: np.random.Generator, side: int) -> Image.Image:
    kind = gen.random()
    if kind < 0.25:
        tone = int(gen.integers(240, 256))
        return Image.new("RGB", (side, side), (tone, tone, tone))
    if kind < 0.45:
        tone = int(gen.integers(150, 240))
        return Image.new("RGB", (side, side), (tone, tone, tone))
    if kind < 0.6:  # pale tint of any hue
        rgb = colorsys.hsv_to_rgb(gen.random(), gen.uniform(0.03, 0.18), gen.uniform(0.85, 1.0))
        return Image.new("RGB", (side, side), tuple(int(255 * c) for c in rgb))
    if kind < 0.72:  # dark
        tone = int(gen.integers(10, 90))
        tint = gen.integers(-8, 9, size=3)
        return Image.new("RGB", (side, side), tuple(int(np.clip(tone + t, 0, 255)) for t in tint))
    if kind < 0.9:  # linear gradient between two light tones
        a = gen.uniform(170, 255, size=3)
        b = gen.uniform(170, 255, size=3)
        if gen.random() < 0.6:  # grey gradient
            a[:] = a[0]
            b[:] = b[0]
        t = np.linspace(0, 1, side)[:, None, None]
        grad = a * (1 - t) + b * t
        arr = np.broadcast_to(grad, (side, side, 3))
        if gen.random() < 0.5:
            arr = arr.transpose(1, 0, 2)
        return Image.fromarray(np.ascontiguousarray(arr).astype(np.uint8))
    # light noise texture
    base = gen.uniform(190, 250)
    noise = gen.normal(0, gen.uniform(4, 14), size=(side // 4 + 1, side // 4 + 1, 1))
    arr = np.clip(base + np.repeat(np.repeat(noise, 4, 0), 4, 1)[:side, :side], 0, 255)
    return Image.fromarray(np.repeat(arr, 3, axis=2).astype(np.uint8))


def _colour(name: str, gen: np.random.Generator) -> tuple[int, int, int]:
    r, g, b = (c / 255 for c in COLOURS[name])
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    h = (h + gen.uniform(-0.03, 0.03)) % 1.0
    s = float(np.clip(s * gen.uniform(0.7, 1.15), 0.35, 1.0))
    v = float(np.clip(v * gen.uniform(0.75, 1.12), 0.3, 1.0))
    rgb = np.asarray(colorsys.hsv_to_rgb(h, s, v)) * 255 + gen.integers(-10, 11, size=3)
    return tuple(int(c) for c in np.clip(rgb, 0, 255))  # type: ignore[return-value]


def _rotate(points: list[tuple[float, float]], cx: float, cy: float, angle: float) -> list[tuple[float, float]]:
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c) for x, y in points]


def _outline(shape: str, cx: float, cy: float, r: float, gen: np.random.Generator) -> list[tuple[float, float]]:
    if shape == "square":
        h = r * gen.uniform(0.78, 0.9)
        pts = [(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)]
        return _rotate(pts, cx, cy, math.radians(gen.uniform(-12, 12)))
    if shape == "triangle":
        squash = gen.uniform(0.85, 1.1)
        pts = [(cx + r * math.cos(a), cy + squash * r * math.sin(a))
               for a in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6)]
        return _rotate(pts, cx, cy, gen.uniform(0, 2 * math.pi))
    # diamond: a rhombus taller than wide, slightly tilted
    w = r * gen.uniform(0.62, 0.85)
    pts = [(cx, cy - r), (cx + w, cy), (cx, cy + r), (cx - w, cy)]
    return _rotate(pts, cx, cy, math.radians(gen.uniform(-10, 10)))


def _geometry(spec: ShapeSpec, gen: np.random.Generator) -> tuple[float, np.ndarray]:
    """Radius and centres (count × 2, as x, y) in fractions of the side."""
    n = spec.count
    if spec.size == "small":
        r = gen.uniform(0.045, 0.09)
    elif n == 1 and spec.position == "center":
        r = gen.uniform(0.11, 0.46)
    elif n == 1:
        r = gen.uniform(0.11, 0.17)
    else:
        r = gen.uniform(0.105, 0.14 if n == 2 else 0.125)
    margin = r + 0.01
    if spec.position == "center":
        spread = {1: [0.0], 2: [-0.17, 0.17], 3: [-0.3, 0.0, 0.3]}[n]
        along = 0.5 + np.asarray(spread) * gen.uniform(0.9, 1.2) + gen.uniform(-0.03, 0.03, size=n)
        across = np.full(n, 0.5) + gen.uniform(-0.05, 0.05, size=n)
        if n == 1:
            slack = max(0.0, 0.5 - margin)
            along = 0.5 + gen.uniform(-1, 1, size=1) * min(slack, 0.08)
            across = 0.5 + gen.uniform(-1, 1, size=1) * min(slack, 0.08)
        vertical = gen.random() < 0.3
    else:
        if n == 1:
            along = np.asarray([gen.uniform(0.3, 0.7)])
        else:
            base = {2: [0.3, 0.7], 3: [0.18, 0.5, 0.82]}[n]
            along = np.asarray(base) + gen.uniform(-0.05, 0.05, size=n)
        edge = gen.uniform(margin, max(margin, 0.3))
        across = np.full(n, edge if spec.position in ("left", "top") else 1 - edge)
        across = across + gen.uniform(-0.02, 0.02, size=n)
        vertical = spec.position in ("left", "right")
    along = np.clip(along, margin, 1 - margin)
    across = np.clip(across, margin, 1 - margin)
    centres = np.column_stack([across, along]) if vertical else np.column_stack([along, across])
    return float(r), centres


def render_varied(spec: ShapeSpec, size: int = 64, rng: int | np.random.Generator | None = None,
                  *, sample_share: float = 0.15) -> Image.Image:
    """Draw ``spec`` in a random style (see the module docstring) as a ``size`` px RGB image.

    Examples
    --------
    >>> img = render_varied(ShapeSpec("triangle", "blue", 2, "top", "large"), rng=0)
    >>> img.size, img.mode
    ((64, 64), 'RGB')
    """
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    if gen.random() < sample_share:
        return render_caption_image(spec, size, gen)
    factor = int(gen.choice([1, 2, 3, 4], p=[0.25, 0.3, 0.2, 0.25]))
    side = size * factor
    img = _background(gen, side)
    draw = ImageDraw.Draw(img)
    fill = _colour(spec.colour, gen)
    style = gen.random()
    width = max(1, int(round(gen.uniform(0.02, 0.06) * side)))
    radius, centres = _geometry(spec, gen)
    r = radius * side
    dark = tuple(int(c * gen.uniform(0.2, 0.6)) for c in fill)
    for cx, cy in (centres * side).tolist():
        if spec.shape == "circle":
            paint, geometry = draw.ellipse, [cx - r, cy - r, cx + r, cy + r]
        else:
            paint, geometry = draw.polygon, _outline(spec.shape, cx, cy, r, gen)  # type: ignore[assignment]
        if style < 0.55:  # filled
            paint(geometry, fill=fill)
        elif style < 0.75:  # filled with a darker outline
            paint(geometry, fill=fill, outline=dark, width=max(1, width // 2))
        else:  # outline only
            paint(geometry, outline=fill, width=width)
    if factor > 1:
        method = [Image.Resampling.LANCZOS, Image.Resampling.BOX, Image.Resampling.BILINEAR,
                  Image.Resampling.BICUBIC][int(gen.integers(4))]
        img = img.resize((size, size), resample=method)
    if gen.random() < 0.1:
        img = img.filter(ImageFilter.GaussianBlur(gen.uniform(0.3, 0.9)))
    return img


def render_varied_batch(specs: Sequence[ShapeSpec], size: int = 64,
                        rng: int | np.random.Generator | None = None) -> np.ndarray:
    """:func:`render_varied` for many specs, as ``uint8`` ``(n, size, size, 3)``.

    Examples
    --------
    >>> render_varied_batch([ShapeSpec("circle", "red", 1, "center", "large")] * 2, rng=0).shape
    (2, 64, 64, 3)
    """
    gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    out = np.empty((len(specs), size, size, 3), dtype=np.uint8)
    for i, spec in enumerate(specs):
        out[i] = np.asarray(render_varied(spec, size, gen))
    return out
