"""Duplicate images: exact pixels, perceptual hashes with a banded index, CLIP embeddings.

Methods (``method=``), with what each one tolerates:

- ``"image-exact"``: SHA-256 of the decoded RGB pixels (mode, size and bytes), so the same
  picture saved again with other metadata or another lossless encoding is one image.
- ``"phash"``: the 64-bit DCT perceptual hash (grayscale, resized to 32 × 32 with Lanczos, the
  8 × 8 lowest frequencies of the orthonormal 2-D DCT, each bit "coefficient above the median
  of the 63 AC coefficients", as imagededup's ``PHash``). Duplicates are within Hamming
  distance ``threshold`` (default 8). Survives resizing, JPEG re-encoding and brightness or
  contrast changes; not crops, flips or rotations.
- ``"dhash"``: the 64-bit difference hash (grayscale 9 × 8, "pixel brighter than its right
  neighbour"), same threshold and index.
- ``"phash-crop"``: crop-tolerant pHash. Each image is indexed with the pHash of its whole
  view and of 18 sub-windows (95 % and 90 % of each side, at 3 × 3 offsets); a pair's distance
  is the smallest Hamming distance between one image's whole view and a window of the other
  (either way round). A crop that removes 5–10 % of a side matches a window of its original.
- ``"clip"``: cosine similarity of CLIP image embeddings ≥ ``threshold`` (default 0.95),
  with the scoring models (:func:`workbench.scoring.clip.load_clip`; ``model=None`` is the
  embedded demo CLIP) and their cache (:class:`workbench.scoring.ScoreCache`, keyed by the
  pixel hash and the model's identity). Semantic near-duplicates; only as good as the model
  is on the domain.

Candidates are found without comparing all pairs: identical hashes are grouped first, then
the 64 bits are split into ``threshold + 1`` bands, and two hashes within Hamming distance
``threshold`` agree exactly on at least one band (pigeonhole), so only hashes sharing a band
value are compared. Every reported pair is verified by its distance (:attr:`ImageDedupResult.pairs`).
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from workbench._internal.images import open_image
from workbench._internal.paths import locate_images
from workbench._validation import check_choice, require_columns, require_frame
from workbench.dedup.clusters import components, representatives
from workbench.dedup.kernels import chunks, simhash_block_keys
from workbench.errors import WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DISTANCE_NAMES",
    "IMAGE_METHODS",
    "ImageDedupResult",
    "ImageMethod",
    "check_image_threshold",
    "clip_image_embeddings",
    "crop_windows",
    "dedup_image_captions",
    "deduplicate_images",
    "dhash",
    "hamming_pairs",
    "hash_image",
    "image_hashes",
    "phash",
    "pixel_digest",
    "unreadable_images_error",
]

ImageMethod = Literal["image-exact", "phash", "dhash", "phash-crop", "clip"]
IMAGE_METHODS: tuple[str, ...] = ("image-exact", "phash", "dhash", "phash-crop", "clip")
#: Default threshold per method: the largest Hamming distance (of 64 bits) for the hashes, the
#: smallest cosine for ``clip``.
DEFAULT_THRESHOLDS: dict[str, float] = {"image-exact": 0, "phash": 8, "dhash": 8, "phash-crop": 8, "clip": 0.95}
#: (scale, x offset, y offset) of the ``phash-crop`` windows, as fractions of the side and
#: of the margin the scale leaves.
CROP_WINDOWS: tuple[tuple[float, float, float], ...] = tuple(
    (s, ox, oy) for s in (0.95, 0.9) for oy in (0.0, 0.5, 1.0) for ox in (0.0, 0.5, 1.0)
)
#: What the ``distance`` of each method measures (stated by ``verification()``).
DISTANCE_NAMES: dict[str, str] = {
    "image-exact": "identical decoded pixels (SHA-256 of mode, size and RGB bytes); distance 0",
    "phash": "Hamming distance of 64-bit DCT perceptual hashes",
    "dhash": "Hamming distance of 64-bit difference hashes",
    "phash-crop": "smallest Hamming distance between one image's whole-view pHash and a 90–95 % window of the other",
    "clip": "1 − cosine similarity of CLIP image embeddings",
}
#: Cache metric of CLIP image embeddings.
CLIP_EMBEDDING_METRIC = "clip_image_embedding_v1"
_MAX_PAIRS_PER_STEP = 4_000_000
_THREADS = max(1, min(4, os.cpu_count() or 1))  # Pillow decodes and resizes without the GIL


# --------------------------------------------------------------------------- hashes


def _gray(img: Image.Image, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image as PILImage

    return np.asarray(img.convert("L").resize(size, PILImage.Resampling.LANCZOS), dtype=np.float32)


def _pack(bits: np.ndarray) -> np.ndarray:
    """Rows of 64 booleans → uint64 (bit k of the hash is column k)."""
    return np.packbits(bits.astype(np.uint8), axis=1, bitorder="little").view(np.uint64).ravel()


def phash(gray32: np.ndarray) -> np.ndarray:
    """64-bit DCT perceptual hashes of grayscale 32 × 32 thumbnails (``n × 32 × 32``).

    Examples
    --------
    >>> g = np.random.default_rng(0).uniform(0, 255, (2, 32, 32))
    >>> h = phash(g)
    >>> h.dtype, bool(h[0] == h[1]), bool(phash(g * 0.5 + 10)[0] == h[0])
    (dtype('uint64'), False, True)
    """
    from scipy.fft import dctn

    low = dctn(np.asarray(gray32, dtype=np.float64), axes=(1, 2), norm="ortho")[:, :8, :8].reshape(-1, 64)
    med = np.median(low[:, 1:], axis=1, keepdims=True)
    return _pack(low > med)


def dhash(gray9x8: np.ndarray) -> np.ndarray:
    """64-bit difference hashes of grayscale thumbnails 8 rows × 9 columns (``n × 8 × 9``).

    Examples
    --------
    >>> dhash(np.tile(np.arange(9, dtype=np.float32), (1, 8, 1)))[0] == np.uint64(2**64 - 1)
    np.True_
    """
    g = np.asarray(gray9x8)
    return _pack((g[:, :, 1:] > g[:, :, :-1]).reshape(len(g), 64))


def crop_windows(size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """The ``phash-crop`` windows (left, top, right, bottom) of an image of ``size`` (w, h).

    Examples
    --------
    >>> crop_windows((100, 100))[:2]
    [(0, 0, 95, 95), (2, 0, 97, 95)]
    """
    w, h = size
    out = []
    for s, ox, oy in CROP_WINDOWS:
        cw, ch = max(1, round(w * s)), max(1, round(h * s))
        left, top = int(ox * (w - cw)), int(oy * (h - ch))
        out.append((left, top, left + cw, top + ch))
    return out


def pixel_digest(img: Image.Image) -> str:
    """SHA-256 of the decoded picture (RGB mode, size and pixel bytes), hex.

    Examples
    --------
    >>> from PIL import Image
    >>> a = Image.new("RGB", (4, 4), (9, 9, 9))
    >>> pixel_digest(a) == pixel_digest(a.convert("RGBA").convert("RGB"))
    True
    """
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    h = hashlib.sha256(f"RGB{rgb.size}".encode())
    h.update(rgb.tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class _Decoded:
    digest: list[str]
    pixels: np.ndarray  # width × height of each image
    full: np.ndarray  # uint64 hash of the whole view (0 for image-exact / clip)
    windows: np.ndarray | None  # n × len(CROP_WINDOWS) uint64 (phash-crop)


def _why(item: Any, exc: BaseException) -> str:
    where = os.fspath(item) if isinstance(item, (str, os.PathLike)) else type(item).__name__
    if isinstance(exc, FileNotFoundError):
        return f"file not found: {where}"
    if isinstance(exc, TypeError):
        return str(exc)
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"unreadable image ({first[:120]}): {where}"


def hash_image(item: Any, method: str) -> tuple[str, int, int, np.ndarray | None] | str:
    """(pixel digest, pixel count, whole-view hash, window hashes) of one image, or the reason
    it cannot be read (a string) — the per-image step of both engines.

    Examples
    --------
    >>> from PIL import Image
    >>> digest, pixels, full, wins = hash_image(Image.new("RGB", (4, 2)), "dhash")
    >>> pixels, full, wins
    (8, 0, None)
    >>> hash_image(None, "phash")
    'missing image'
    """
    if item is None or (isinstance(item, float) and math.isnan(item)):
        return "missing image"
    try:
        img = open_image(item)
    except Exception as exc:  # any decoding failure is reported with its row
        return _why(item, exc)
    digest = pixel_digest(img)
    full, wins = 0, None
    if method in ("phash", "phash-crop"):
        full = int(phash(_gray(img, (32, 32))[None])[0])
        if method == "phash-crop":
            wins = phash(np.stack([_gray(img.crop(box), (32, 32)) for box in crop_windows(img.size)]))
    elif method == "dhash":
        full = int(dhash(_gray(img, (9, 8))[None])[0])
    return digest, img.size[0] * img.size[1], full, wins


def image_hashes(
    images: Sequence[Any], *, method: str = "phash", rows: Sequence[Any] | None = None,
    table: str = "images", column: str = "image", progress: bool = False, threads: int = _THREADS,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray | None]:
    """Decode and hash images (paths, bytes or PIL images) in threads.

    Returns
    -------
    tuple
        Pixel digests (hex), pixel counts, whole-view hashes (uint64) and, for
        ``phash-crop``, the window hashes (``n × 18``).

    Raises
    ------
    WorkbenchError
        Images that are missing or cannot be decoded, named by row, with the fix.
    """
    from tqdm.auto import tqdm

    n = len(images)
    out: list[Any] = [None] * n
    bar = tqdm(total=n, desc=f"hash images ({method})", unit="img", disable=not progress)

    def work(sl: slice) -> None:
        for i in range(sl.start, sl.stop):
            out[i] = hash_image(images[i], method)
        bar.update(sl.stop - sl.start)

    parts = list(chunks(n, 256))
    if threads > 1 and len(parts) > 1:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="image-hash") as pool:
            list(pool.map(work, parts))
    else:
        for sl in parts:
            work(sl)
    bar.close()
    bad = [i for i, x in enumerate(out) if isinstance(x, str)]
    if bad:
        names = list(rows) if rows is not None else list(range(n))
        raise unreadable_images_error([(names[i], out[i]) for i in bad[:5]], len(bad), table=table, column=column)
    wins = np.stack([x[3] for x in out]) if method == "phash-crop" and n else None
    return ([x[0] for x in out], np.array([x[1] for x in out], np.int64),
            np.array([x[2] for x in out], np.uint64), wins)


def unreadable_images_error(first: Sequence[tuple[Any, str]], n_bad: int, *, table: str, column: str) -> WorkbenchError:
    """The error of both engines for images that cannot be read: the first rows with their reasons.

    Examples
    --------
    >>> str(unreadable_images_error([("p2", "file not found: a.png")], 1, table="t", column="image"))[:72]
    "table 't', column 'image': 1 image(s) cannot be read — row p2: file not "
    """
    shown = "; ".join(f"row {row}: {why}" for row, why in first[:5])
    more = f" (and {n_bad - 5:,} more)" if n_bad > 5 else ""
    return WorkbenchError(
        f"table '{table}', column '{column}': {n_bad:,} image(s) cannot be read — {shown}{more}. "
        "Fix or remove these rows (every image must be a file Pillow can decode, relative to the "
        "table's folder), then run again."
    )


# --------------------------------------------------------------------------- candidate pairs


def _bucket_runs(keys: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """For one band: (order, start of each element's run, run length) over sorted keys."""
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    new = np.ones(len(ks), bool)
    if len(ks) > 1:
        np.not_equal(ks[1:], ks[:-1], out=new[1:])
    run_start = np.flatnonzero(new)
    run_len = np.diff(np.append(run_start, len(ks)))
    run_id = np.cumsum(new) - 1
    yield order, run_start[run_id], run_len[run_id]


def hamming_pairs(
    query: np.ndarray, max_distance: int, *, target: np.ndarray | None = None,
    target_owner: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of 64-bit hashes within Hamming distance ``max_distance``, by the banded index.

    Without ``target``: pairs ``(i, j)``, ``i < j``, of ``query``. With ``target``: pairs
    ``(i, owner[k])`` of each query hash ``i`` and each target hash ``k`` within the distance,
    ``owner[k] != i``, reduced to the smallest distance per ``(i, owner)``. The hashes are split
    into ``max_distance + 1`` bands (pigeonhole: hashes within the distance agree on one band),
    every pair sharing a band value is compared, in bounded steps.

    Returns
    -------
    tuple
        Pairs (``m × 2`` int64) and their Hamming distances (int64).

    Examples
    --------
    >>> h = np.array([0, 1, 3, 2**64 - 1], np.uint64)
    >>> pairs, dist = hamming_pairs(h, 2)
    >>> pairs.tolist(), dist.tolist()
    ([[0, 1], [0, 2], [1, 2]], [1, 2, 1])
    """
    t = int(max_distance)
    n_q = len(query)
    both = query if target is None else np.concatenate([query, target])
    owner = np.arange(n_q) if target is None else np.concatenate([np.arange(n_q), np.asarray(target_owner)])
    is_query = np.arange(len(both)) < n_q
    keys = simhash_block_keys(both, t) if len(both) else np.zeros((0, t + 1), np.uint64)
    codes: list[np.ndarray] = []
    dists: list[np.ndarray] = []
    for band in range(keys.shape[1]):
        for order, start, length in _bucket_runs(keys[:, band]):
            pos = np.arange(len(order))
            remaining = start + length - 1 - pos
            cum = np.cumsum(remaining)
            lo = 0
            while lo < len(pos):
                base = cum[lo - 1] if lo else 0
                hi = max(lo + 1, int(np.searchsorted(cum, base + _MAX_PAIRS_PER_STEP, side="right")))
                cnt = remaining[lo:hi]
                total = int(cnt.sum())
                if total:
                    first = np.repeat(pos[lo:hi], cnt)
                    second = first + 1 + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
                    a, b = order[first], order[second]
                    d = np.bitwise_count(both[a] ^ both[b]).astype(np.int64)
                    ok = (d <= t) & (owner[a] != owner[b]) & (is_query[a] | is_query[b])
                    a, b, d = a[ok], b[ok], d[ok]
                    # query side first; a query-query pair keeps its smaller index first
                    swap = ~is_query[a] | (is_query[b] & (b < a))
                    qa = np.where(swap, b, a)
                    ob = owner[np.where(swap, a, b)]
                    if target is None:
                        qa, ob = np.minimum(qa, ob), np.maximum(qa, ob)
                    codes.append(qa.astype(np.int64) * max(n_q, 1) + ob)
                    dists.append(d)
                lo = hi
    if not codes:
        return np.zeros((0, 2), np.int64), np.zeros(0, np.int64)
    code, dist = np.concatenate(codes), np.concatenate(dists)
    order = np.lexsort((dist, code))
    code, dist = code[order], dist[order]
    first = np.ones(len(code), bool)
    first[1:] = code[1:] != code[:-1]
    code, dist = code[first], dist[first]
    pairs = np.stack([code // max(n_q, 1), code % max(n_q, 1)], axis=1)
    return pairs, dist


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class ImageDedupResult:
    """Clusters of duplicate images and the verified pairs behind them.

    Attributes
    ----------
    frame
        One row per image, in input order: ``image`` (as given), ``cluster`` (numbered by first
        appearance), ``kept`` (the one image kept per cluster), ``distance`` (to the cluster's
        kept image, measured as :attr:`distance_name`; 0 for kept images), ``kept_image``,
        ``cluster_size``, and the id column when a table was given.
    pairs
        The duplicate pairs (the edges of the clusters): ``image_a``, ``image_b``,
        ``distance``, ``verified`` (the distance recomputed and within the threshold).
    method, threshold
        The method and its threshold (Hamming bits, or cosine for ``clip``).
    distance_name
        What ``distance`` measures.
    keep
        Which image a cluster keeps: ``"largest"`` (most pixels, ties to the first) or ``"first"``.
    """

    frame: pd.DataFrame
    pairs: pd.DataFrame
    method: str
    threshold: float
    distance_name: str
    keep: str
    n_candidates: int

    def to_frame(self) -> pd.DataFrame:
        """The per-image clusters table (a copy of :attr:`frame`)."""
        return self.frame.copy()

    @property
    def n_dropped(self) -> int:
        """Images that are a duplicate of a kept one."""
        return int((~self.frame["kept"]).sum())

    def verification(self) -> str:
        """Which distance verified the pairs, and how many passed."""
        ok = int(self.pairs["verified"].sum())
        bound = (f"cosine ≥ {self.threshold:g}" if self.method == "clip" else
                 "identical pixels" if self.method == "image-exact" else f"≤ {self.threshold:g} of 64 bits")
        return (f"{ok:,} of {len(self.pairs):,} duplicate pairs verified by {self.distance_name} ({bound}); "
                f"{self.n_candidates:,} candidate pairs compared.")

    def summary(self) -> str:
        """One paragraph: method, threshold, images dropped, clusters, verification."""
        f = self.frame
        multi = int((f.loc[f["kept"], "cluster_size"] > 1).sum())
        return (f"Image duplicates by {self.method}: {self.n_dropped:,} of {len(f):,} images "
                f"({self.n_dropped / max(len(f), 1):.1%}) duplicate another, in {multi:,} clusters of two or more; "
                f"each cluster keeps its {'largest' if self.keep == 'largest' else 'first'} image. "
                + self.verification())


# --------------------------------------------------------------------------- the engine


def _inputs(
    paths_or_table: Any, *, image: str, id_column: str | None, base_dir: str | os.PathLike[str] | None,
    allow_outside: bool,
) -> tuple[list[Any], list[Any], pd.Series | None]:
    """(items to decode, the image values as given, ids or None)."""
    if isinstance(paths_or_table, pd.DataFrame):
        df = require_frame(paths_or_table, table="image_captions")
        require_columns(df, [image], table="image_captions")
        ids = df[id_column] if id_column and id_column in df else None
        base = Path(base_dir) if base_dir is not None else None
        items = locate_images(df[image], base, allow_outside=allow_outside, column=image)
        return items, df[image].tolist(), ids
    if isinstance(paths_or_table, (str, bytes, os.PathLike)):
        raise WorkbenchError("deduplicate_images: pass a list of image paths (or an image_captions table), "
                             f"not a single {type(paths_or_table).__name__}; wrap it in a list.")
    values = list(paths_or_table)
    if base_dir is not None:
        items = locate_images(pd.Series(values, dtype=object), Path(base_dir), allow_outside=allow_outside,
                              column=image, table="images")
    else:
        items = values
    return items, values, None


def _exact_edges(digest: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Chain edges within groups of identical pixels, and one row per distinct picture."""
    codes, _ = pd.factorize(pd.Series(digest, dtype=object))
    order = np.argsort(codes, kind="stable")
    same = codes[order][1:] == codes[order][:-1]
    edges = np.sort(np.stack([order[:-1][same], order[1:][same]], axis=1), axis=1)
    first = np.ones(len(order), bool)
    first[1:] = ~same
    return edges.astype(np.int64), np.sort(order[first])


def clip_image_embeddings(items: Sequence[Any], digest: Sequence[str], *, model: Any, cache: Any,
                          batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """Unit-norm CLIP image embeddings (``n × dim``, float32) of decodable ``items``, read from and
    stored in the score cache (``cache``: a :class:`~workbench.scoring.ScoreCache` or ``None``)
    under :data:`CLIP_EMBEDDING_METRIC`, each keyed by its pixel digest (``digest``, from
    :func:`image_hashes`) and the model's identity. ``model``: as :func:`workbench.scoring.clip.load_clip`.
    Shared by the ``clip`` method and the flywheel's image embedding features."""
    import torch
    from tqdm.auto import tqdm

    from workbench.scoring.clip import load_clip

    clip = load_clip(model)
    n = len(items)
    known = cache.get(list(digest), metric=CLIP_EMBEDDING_METRIC, model_id=clip.model_id) if cache else None
    emb: list[np.ndarray | None] = [None] * n
    if known is not None and len(known):
        for i, k in enumerate(digest):
            if k in known.index:
                emb[i] = np.asarray(known.loc[k, "embedding"], np.float32)
    todo = [i for i in range(n) if emb[i] is None]
    bar = tqdm(total=len(todo), desc="clip image embeddings", unit="img", disable=not progress or not todo)
    with torch.inference_mode():
        for sl in chunks(len(todo), batch_size):
            rows = todo[sl]
            pix = torch.stack([clip.preprocess(open_image(items[i])) for i in rows])
            vecs = clip.encode_images(pix).cpu().numpy().astype(np.float32)
            for i, v in zip(rows, vecs, strict=True):
                emb[i] = v
            if cache is not None:
                keys = list(dict.fromkeys(digest[i] for i in rows))
                first = {digest[i]: v for i, v in zip(rows, vecs, strict=True)}
                cache.put(keys, pd.DataFrame({"embedding": [first[k].tolist() for k in keys]}),
                          metric=CLIP_EMBEDDING_METRIC, model_id=clip.model_id)
            bar.update(len(rows))
    bar.close()
    return np.stack(emb) if n else np.zeros((0, 1), np.float32)  # type: ignore[arg-type]


def _crop_distance(full: np.ndarray, windows: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """phash-crop distance of each pair: whole view of one against the windows of the other."""
    if not len(pairs):
        return np.zeros(0, np.int64)
    a, b = pairs[:, 0], pairs[:, 1]
    d_ab = np.bitwise_count(full[a][:, None] ^ windows[b]).min(axis=1)
    d_ba = np.bitwise_count(full[b][:, None] ^ windows[a]).min(axis=1)
    d_ff = np.bitwise_count(full[a] ^ full[b])
    return np.minimum(np.minimum(d_ab, d_ba), d_ff).astype(np.int64)


def check_image_threshold(method: str, threshold: float | None) -> float:
    """The threshold of ``method`` checked in its unit (``None``: the method's default).

    Examples
    --------
    >>> check_image_threshold("phash", None), check_image_threshold("clip", 0.9)
    (8.0, 0.9)
    """
    if threshold is None:
        return float(DEFAULT_THRESHOLDS[method])
    if method == "clip":
        if not isinstance(threshold, (int, float)) or not -1.0 <= float(threshold) <= 1.0:
            raise WorkbenchError(f"threshold={threshold!r}: for method 'clip' it is the smallest cosine "
                                 "similarity of duplicates, in [-1, 1]; 0.95 is the default.")
        return float(threshold)
    if method == "image-exact":
        return 0.0
    if not isinstance(threshold, (int, float, np.integer)) or float(threshold) != int(threshold) \
            or not 0 <= int(threshold) < 32:
        raise WorkbenchError(f"threshold={threshold!r}: for method '{method}' it is the largest Hamming "
                             "distance (of 64 bits) of duplicates, an integer in [0, 31]; 8 is the default.")
    return float(int(threshold))


def deduplicate_images(
    paths_or_table: pd.DataFrame | Sequence[Any],
    *,
    method: ImageMethod = "phash",
    threshold: float | None = None,
    keep: Literal["largest", "first"] = "largest",
    base_dir: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    image: str = "image",
    id_column: str | None = "pair_id",
    model: Any = None,
    cache: Any = None,
    batch_size: int = 64,
    progress: bool = False,
) -> ImageDedupResult:
    """Find duplicate images and keep one per cluster.

    Parameters
    ----------
    paths_or_table
        Image paths, bytes or PIL images; or an ``image_captions`` table whose ``image`` column
        holds paths relative to ``base_dir`` (the table's folder).
    method
        ``"image-exact"``, ``"phash"``, ``"dhash"``, ``"phash-crop"`` or ``"clip"`` (see the
        module docstring for what each tolerates).
    threshold
        Hash methods: the largest Hamming distance of duplicates (default 8 of 64 bits);
        ``clip``: the smallest cosine (default 0.95). ``None``: the method's default
        (:data:`DEFAULT_THRESHOLDS`).
    keep
        The image a cluster keeps: ``"largest"`` (most pixels — the original rather than a
        downsized copy; ties to the first) or ``"first"``.
    base_dir, allow_outside
        Relative paths are read from ``base_dir``; paths leading outside it are refused unless
        ``allow_outside`` (the rule of CLIP scoring).
    image, id_column
        Column names of a table (``id_column`` is copied to the output when present).
    model, cache, batch_size
        ``clip`` only: the CLIP model (``None``: the embedded demo CLIP), a
        :class:`~workbench.scoring.ScoreCache` for the embeddings, and the batch size.
    progress
        Show progress bars.

    Returns
    -------
    ImageDedupResult
        ``to_frame()``: image, cluster, kept, distance (to the kept image), kept_image,
        cluster_size; ``pairs``: the verified duplicate pairs.

    Raises
    ------
    WorkbenchError
        Unknown method, bad threshold, an image path outside the table's folder, or images
        that cannot be read (each named by row).

    Examples
    --------
    >>> from PIL import Image, ImageDraw
    >>> a = Image.new("RGB", (64, 64), (200, 200, 200))
    >>> ImageDraw.Draw(a).ellipse([10, 10, 40, 40], fill=(200, 30, 30))
    >>> small = a.resize((48, 48))
    >>> b = Image.new("RGB", (64, 64), (30, 30, 30))
    >>> res = deduplicate_images([a, small, b], method="phash")
    >>> res.to_frame()[["cluster", "kept", "distance"]].values.tolist()
    [[0, True, 0.0], [0, False, 0.0], [1, True, 0.0]]
    """
    check_choice(method, name="method", choices=IMAGE_METHODS)
    check_choice(keep, name="keep", choices=("largest", "first"))
    t = check_image_threshold(method, threshold)
    items, given, ids = _inputs(paths_or_table, image=image, id_column=id_column, base_dir=base_dir,
                                allow_outside=allow_outside)
    rows = ids.index.tolist() if ids is not None else None
    digest, pixels, full, windows = image_hashes(items, method=method, rows=rows, progress=progress,
                                                 table="image_captions" if ids is not None else "images",
                                                 column=image)
    n = len(items)
    same, distinct = _exact_edges(digest)
    edges, dists = [same], [np.zeros(len(same))]
    measure: Callable[[np.ndarray], np.ndarray]
    if method == "image-exact":
        n_cand = len(same)

        def measure(p: np.ndarray) -> np.ndarray:
            return np.array([0.0 if digest[i] == digest[j] else 1.0 for i, j in p.tolist()])
    elif method in ("phash", "dhash"):
        p, d = hamming_pairs(full[distinct], int(t))
        edges.append(distinct[p])
        dists.append(d.astype(float))
        n_cand = len(same) + len(p)

        def measure(p: np.ndarray) -> np.ndarray:
            return np.bitwise_count(full[p[:, 0]] ^ full[p[:, 1]]).astype(float)
    elif method == "phash-crop":
        assert windows is not None
        sub_w = windows[distinct]
        k = sub_w.shape[1]
        p, _ = hamming_pairs(full[distinct], int(t), target=sub_w.ravel(),
                             target_owner=np.repeat(np.arange(len(distinct)), k))
        p = np.sort(p, axis=1)
        p = np.unique(p, axis=0) if len(p) else p
        d = _crop_distance(full[distinct], sub_w, p)
        edges.append(distinct[p])
        dists.append(d.astype(float))
        n_cand = len(same) + len(p)

        def measure(p: np.ndarray) -> np.ndarray:
            return _crop_distance(full, windows, p).astype(float)
    else:
        from workbench.dedup.semantic import cosine_pairs

        emb = clip_image_embeddings(items, digest, model=model, cache=cache, batch_size=batch_size, progress=progress)
        sub = emb[distinct]
        p, s = cosine_pairs(sub, np.ones(len(distinct), bool), t)
        edges.append(distinct[p])
        dists.append(1.0 - s)
        n_cand = len(same) + len(distinct) * (len(distinct) - 1) // 2

        def measure(p: np.ndarray) -> np.ndarray:
            return np.clip(1.0 - np.einsum("ij,ij->i", emb[p[:, 0]], emb[p[:, 1]]).astype(float), 0.0, 2.0)
    all_edges = np.concatenate(edges) if n else np.zeros((0, 2), np.int64)
    all_d = np.concatenate(dists) if n else np.zeros(0)
    return _result(given, ids, all_edges, all_d, pixels, measure, method=method, threshold=t, keep=keep,
                   n_candidates=n_cand)


def _result(
    given: list[Any], ids: pd.Series | None, edges: np.ndarray, dist: np.ndarray, pixels: np.ndarray,
    measure: Callable[[np.ndarray], np.ndarray], *, method: str, threshold: float, keep: str, n_candidates: int,
) -> ImageDedupResult:
    n = len(given)
    labels = components(n, edges) if n else np.zeros(0, np.int64)
    prio = pixels.astype(float) if keep == "largest" else np.zeros(n)
    rep = representatives(labels, prio) if n else np.zeros(0, np.int64)
    rows_idx = np.arange(n)
    member = rep != rows_idx
    distance = np.zeros(n)
    if member.any():
        distance[member] = measure(np.stack([rows_idx[member], rep[member]], axis=1))
    cluster, _ = pd.factorize(pd.Series(rep))
    sizes = np.bincount(cluster) if n else np.zeros(0, np.int64)
    shown = [x if isinstance(x, (str, os.PathLike)) else f"<{type(x).__name__} #{i}>" for i, x in enumerate(given)]
    shown_arr = np.array([os.fspath(x) if isinstance(x, os.PathLike) else x for x in shown], dtype=object)
    frame = pd.DataFrame({
        "image": shown_arr,
        "cluster": cluster.astype(np.int64),
        "kept": ~member,
        "distance": distance,
        "kept_image": shown_arr[rep] if n else shown_arr,
        "cluster_size": sizes[cluster].astype(np.int64) if n else np.zeros(0, np.int64),
    })
    if ids is not None:
        frame.insert(0, str(ids.name), ids.to_numpy())
    bound = (lambda d: d <= 1.0 - threshold + 1e-6) if method == "clip" else (lambda d: d <= threshold + 1e-9)
    check = measure(edges) if len(edges) else np.zeros(0)
    pairs = pd.DataFrame({
        "image_a": shown_arr[edges[:, 0]] if len(edges) else np.array([], object),
        "image_b": shown_arr[edges[:, 1]] if len(edges) else np.array([], object),
        "distance": dist.astype(float),
        "verified": np.isclose(check, dist, atol=1e-5) & bound(check),
    })
    return ImageDedupResult(frame=frame, pairs=pairs, method=method, threshold=threshold,
                            distance_name=DISTANCE_NAMES[method], keep=keep, n_candidates=int(n_candidates))


def dedup_image_captions(
    table: pd.DataFrame,
    *,
    by: Literal["image", "caption", "pair"] = "image",
    method: str | None = None,
    threshold: float | None = None,
    caption_threshold: float = 0.8,
    base_dir: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """The audit frame of an ``image_captions`` table deduplicated by image, caption or pair.

    ``by="image"``: the same picture whatever the caption (:func:`deduplicate_images` with
    ``method`` and ``threshold``, default ``phash`` at its default threshold); ``"caption"``:
    near-same captions (MinHash, Jaccard of word 3-grams ≥ ``caption_threshold``; ``method`` may
    name another text method; ``threshold`` must then be ``None``); ``"pair"``: the same picture
    *and* a near-same caption (both clusterings, ``method`` and ``threshold`` on the image side;
    a pair cluster is one image cluster within one caption cluster).

    Returns
    -------
    DataFrame
        pair_id, image, caption, cluster, kept, image_cluster, caption_cluster, image_distance
        (to the image cluster's kept image), in table order.
    """
    from workbench.dedup.local import deduplicate

    check_choice(by, name="by", choices=("image", "caption", "pair"))
    df = require_frame(table, table="image_captions")
    require_columns(df, ["pair_id", "image", "caption"], table="image_captions")
    if by == "caption" and threshold is not None:
        raise WorkbenchError(f"dedup_image_captions(by='caption'): threshold={threshold!r} is the image "
                             "side's; pass the caption similarity as caption_threshold= instead.")
    out = df[["pair_id", "image", "caption"]].reset_index(drop=True)
    if by in ("image", "pair"):
        res = deduplicate_images(df, method=method or "phash",  # type: ignore[arg-type]
                                 threshold=threshold, base_dir=base_dir,
                                 allow_outside=allow_outside, progress=progress)
        out["image_cluster"] = res.frame["cluster"].to_numpy()
        out["image_distance"] = res.frame["distance"].to_numpy()
        out["image_kept"] = res.frame["kept"].to_numpy()
    if by in ("caption", "pair"):
        corpus = pd.DataFrame({"doc_id": out["pair_id"].astype(str), "text": out["caption"].fillna("").astype(str)})
        text_method = method if by == "caption" and method else "minhash"
        clusters = deduplicate(corpus, method=text_method, threshold=caption_threshold, ngram=3,  # type: ignore[arg-type]
                               progress=progress).clusters
        out["caption_cluster"] = clusters["cluster_id"].to_numpy()
        out["caption_similarity"] = clusters["similarity"].to_numpy()
    if by == "image":
        out["cluster"], out["kept"] = out["image_cluster"], out["image_kept"]
    elif by == "caption":
        out["cluster"] = out["caption_cluster"]
        out["kept"] = ~out["caption_cluster"].duplicated()
    else:
        out["cluster"] = pd.factorize(pd.Series(list(zip(out["image_cluster"], out["caption_cluster"], strict=True))))[0]
        # the pair cluster keeps the image cluster's kept member when it is in it, else its first row
        has_kept = out.groupby("cluster")["image_kept"].transform("any")
        first = ~out["cluster"].duplicated()
        out["kept"] = np.where(has_kept, out["image_kept"], first)
    return out.drop(columns=[c for c in ("image_kept",) if c in out])
