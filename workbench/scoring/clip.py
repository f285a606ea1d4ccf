"""CLIP score of image–caption pairs: cosine similarity of image and text embeddings.

:func:`clip_score` returns the raw cosine (the number DataComp and LAION filter on; e.g.
LAION-400M kept pairs with cosine ≥ 0.28 under ViT-B/32). The CLIPScore of Hessel et al.
(2021) is ``2.5 · max(cos, 0)``: pass ``scale=2.5``. :func:`clip_score_frame` gives the
same scores with the reason of every missing one (an unreadable image never stops a batch).

Models (``model=``):

* ``None`` — the workbench's demo CLIP, committed under ``data_samples/models/demo_clip``
  (a tiny transformers ``CLIPModel`` trained on the synthetic shape captions; domain-limited,
  see its model card). It is loaded with the transformers backend whatever ``backend`` says,
  because that is its format.
* a local directory — its files decide the format: ``open_clip_config.json`` (a folder
  written by ``open_clip.push_to_hf_hub.save_for_hf``) → open_clip; ``config.json`` of a
  ``CLIPModel`` (written by ``save_pretrained``) → transformers. No network is touched.
* a name — ``backend="open_clip"`` (default): an open_clip architecture such as ``"ViT-B-32"``
  with ``pretrained=`` a tag (default ``"openai"``) or a local weights file, or
  ``"hf-hub:org/repo"``; ``backend="transformers"``: a hub name such as
  ``"openai/clip-vit-base-patch32"``. Weights come from the local cache, else the hub; when
  neither is reachable, :class:`~workbench.errors.ModelNotAvailableError` says which model,
  where it looked and how to point at a local copy. Never a silent random model.
* a :class:`ClipModel` returned by :func:`load_clip` (or built with
  :meth:`ClipModel.from_open_clip` / :meth:`ClipModel.from_transformers`), reused as is.

Loaded models are kept (a small cache keyed by model, backend, weights tag and device), so
repeated calls do not reload.

Speed: pairs are scored in batches; while one batch runs through the model, a thread pool
decodes and preprocesses the images of the next ones (Pillow and torch release the GIL).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from workbench._internal.images import open_image
from workbench._internal.paths import locate_images
from workbench._models import (
    DEMO_CLIP_DIR,
    ResolvedModel,
    device_for,
    hub_offline,
    hub_unreachable,
    model_loading,
    model_not_available,
    resolve_model,
)
from workbench._validation import check_choice, require_columns, require_frame
from workbench.errors import ModelNotAvailableError, WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from PIL import Image

__all__ = [
    "CACHE_METRIC",
    "CLIPSCORE_WEIGHT",
    "ClipModel",
    "clip_score",
    "clip_score_frame",
    "clip_score_table",
    "load_clip",
]

#: The weight ``w`` of CLIPScore = w · max(cos, 0) (Hessel et al., 2021).
CLIPSCORE_WEIGHT = 2.5

Backend = Literal["open_clip", "transformers"]

_DEFAULT_OPEN_CLIP_TAG = "openai"


def _demo_dir() -> Path:
    return DEMO_CLIP_DIR


def _features(out: Any) -> torch.Tensor:
    """transformers 5 returns an output object from get_*_features; 4.x a tensor."""
    import torch

    if isinstance(out, torch.Tensor):
        return out
    return out.pooler_output


@dataclass(frozen=True, eq=False)
class ClipModel:
    """A loaded CLIP: image preprocessing, tokenizer and the two encoders on one device.

    Build it with :func:`load_clip` (or the ``from_*`` constructors for a model already in
    memory) and pass it as ``model=`` to score without reloading.

    Attributes
    ----------
    name : str
        What was loaded (for messages and caches).
    backend : {"open_clip", "transformers"}
    module : torch.nn.Module
        The model, in eval mode, on ``device``.
    preprocess : callable
        PIL image (RGB) → float tensor (3, H, W), run in the decoding threads.
    device : torch.device
    context_length : int
        Longest token sequence; longer captions are truncated.
    model_id : str
        Stable identity of the weights (for caches).
    """

    name: str
    backend: str
    module: Any
    preprocess: Callable[[Any], Any]
    tokenizer: Any
    device: Any
    context_length: int
    model_id: str

    @classmethod
    def from_open_clip(
        cls,
        model: Any,
        preprocess: Callable[[Any], Any],
        tokenizer: Any,
        *,
        name: str = "open_clip model",
        device: str | None = None,
        model_id: str | None = None,
    ) -> ClipModel:
        """Wrap an open_clip model, its eval transform and tokenizer (e.g. random weights)."""
        dev = device_for(device)
        model = model.to(dev).eval()
        ctx = int(getattr(tokenizer, "context_length", None) or getattr(model, "context_length", None) or 77)
        return cls(name, "open_clip", model, preprocess, tokenizer, dev, ctx, model_id or name)

    @classmethod
    def from_transformers(
        cls,
        model: Any,
        tokenizer: Any,
        image_processor: Any,
        *,
        name: str = "transformers CLIPModel",
        device: str | None = None,
        model_id: str | None = None,
    ) -> ClipModel:
        """Wrap a transformers ``CLIPModel`` with its tokenizer and image processor."""
        dev = device_for(device)
        model = model.to(dev).eval()
        ctx = int(model.config.text_config.max_position_embeddings)
        return cls(
            name, "transformers", model, _torchvision_transform(image_processor), tokenizer,
            dev, ctx, model_id or name,
        )

    def encode_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """Unit-norm image embeddings of a preprocessed batch (n, 3, H, W)."""
        import torch

        pixels = pixels.to(self.device, non_blocking=True)
        if self.backend == "open_clip":
            feats = self.module.encode_image(pixels)
        else:
            feats = _features(self.module.get_image_features(pixel_values=pixels))
        return torch.nn.functional.normalize(feats.float(), dim=-1)

    def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
        """Unit-norm text embeddings; captions longer than ``context_length`` are truncated."""
        import torch

        if self.backend == "open_clip":
            tokens = self.tokenizer(list(texts)).to(self.device)
            feats = self.module.encode_text(tokens)
        else:
            enc = self.tokenizer(
                list(texts), padding=True, truncation=True, max_length=self.context_length,
                return_tensors="pt",
            )
            feats = _features(
                self.module.get_text_features(
                    input_ids=enc["input_ids"].to(self.device),
                    attention_mask=enc["attention_mask"].to(self.device),
                )
            )
        return torch.nn.functional.normalize(feats.float(), dim=-1)


@dataclass(frozen=True)
class _ClipPreprocess:
    """Resize the shortest side (PIL, bicubic), centre-crop, scale to [0, 1], normalise.

    What ``CLIPImageProcessor`` (and torchvision's Resize/CenterCrop/ToTensor/Normalize)
    does, in a few numpy operations: cheap enough to run per image in the decoding threads,
    and a no-op resize when the image already has the model's size.
    """

    shortest_edge: int | None
    height: int | None
    width: int | None
    crop: tuple[int, int] | None
    resample: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __call__(self, img: Any) -> Any:
        import torch

        w, h = img.size
        if self.shortest_edge is not None:
            short, long = (w, h) if w <= h else (h, w)
            new_short, new_long = self.shortest_edge, int(self.shortest_edge * long / short)
            size = (new_short, new_long) if w <= h else (new_long, new_short)
        else:
            size = (int(self.width), int(self.height))  # type: ignore[arg-type]
        if size != (w, h):
            img = img.resize(size, resample=self.resample)
        if self.crop is not None:
            ch, cw = self.crop
            w, h = img.size
            if (w, h) != (cw, ch):
                top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
                img = img.crop((left, top, left + cw, top + ch))
        arr: np.ndarray = np.asarray(img, dtype=np.float32)
        arr = (arr * (1.0 / 255.0) - np.asarray(self.mean, np.float32)) / np.asarray(
            self.std, np.float32
        )
        return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _torchvision_transform(processor: Any) -> Callable[[Any], Any]:
    """CLIP's eval preprocessing from a transformers image processor's settings."""
    from PIL import Image

    raw_size: Any = getattr(processor, "size", None) or {"shortest_edge": 224}
    size: dict[str, Any] = dict(raw_size) if not isinstance(raw_size, int) else {"shortest_edge": raw_size}
    raw_crop: Any = getattr(processor, "crop_size", None)
    do_crop = bool(getattr(processor, "do_center_crop", True)) and bool(raw_crop)
    crop: dict[str, Any] = {}
    if do_crop:
        crop = dict(raw_crop) if not isinstance(raw_crop, int) else {"height": raw_crop, "width": raw_crop}
    resample = getattr(processor, "resample", 3)
    resample = getattr(resample, "value", resample)
    bicubic = resample in (3, "bicubic") or str(resample).lower().endswith("bicubic")
    mean = getattr(processor, "image_mean", None) or [0.48145466, 0.4578275, 0.40821073]
    std = getattr(processor, "image_std", None) or [0.26862954, 0.26130258, 0.27577711]
    return _ClipPreprocess(
        shortest_edge=int(size["shortest_edge"]) if size.get("shortest_edge") else None,
        height=None if size.get("shortest_edge") else int(size["height"]),
        width=None if size.get("shortest_edge") else int(size["width"]),
        crop=(int(crop["height"]), int(crop["width"])) if do_crop else None,
        resample=Image.Resampling.BICUBIC if bicubic else Image.Resampling.BILINEAR,
        mean=tuple(float(m) for m in mean),  # type: ignore[arg-type]
        std=tuple(float(v) for v in std),  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- loading


_CACHE: dict[tuple[str, str, str, str], ClipModel] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def load_clip(
    model: str | os.PathLike[str] | ClipModel | None = None,
    *,
    backend: Backend = "open_clip",
    pretrained: str | None = None,
    device: str | None = None,
) -> ClipModel:
    """Load a CLIP model for :func:`clip_score` (cached: a second call returns the same object).

    Parameters
    ----------
    model : None, str, path or ClipModel
        See the module docstring: ``None`` is the demo CLIP; a local directory is loaded by
        its format; a name goes to ``backend``.
    backend : {"open_clip", "transformers"}
        Library that loads a model given by name.
    pretrained : str or None
        open_clip only: the weights tag of an architecture name (default ``"openai"``) or a
        local weights file.
    device : str or None
        ``None`` → a GPU when there is one, else the CPU.

    Returns
    -------
    ClipModel

    Raises
    ------
    ModelNotAvailableError
        The model is neither local nor downloadable (message: which model, where it looked,
        how to point at a local copy).
    WorkbenchError
        Unknown backend; a directory that holds no CLIP checkpoint.

    Examples
    --------
    >>> clip = load_clip()  # the committed demo CLIP
    >>> clip.backend, clip.device.type in {"cpu", "cuda", "mps"}
    ('transformers', True)
    """
    if isinstance(model, ClipModel):
        return model
    check_choice(backend, name="backend", choices=("open_clip", "transformers"))
    dev = device_for(device)
    if model is None:
        demo = _demo_dir()
        if not (demo / "config.json").is_file():
            raise ModelNotAvailableError(
                f"clip model None (the demo CLIP) is not available: looked in {demo}, which has "
                "no config.json. Restore it from the repository, retrain it with "
                f"`workbench train-demo-clip {demo}`, or pass model= a local CLIP folder."
            )
    name = None if model is None else os.fspath(model)
    key = (_identity(name), backend, str(pretrained), str(dev))
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    loaded = _load(name, backend=backend, pretrained=pretrained, device=dev)
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = loaded
    return loaded


def _identity(name: str | None) -> str:
    """Cache key of a model argument: local folders by absolute path and file fingerprint,
    so a checkpoint retrained in place is reloaded."""
    target = _demo_dir() if name is None else Path(name.removeprefix("local-dir:")).expanduser()
    if target.is_dir():
        return resolve_model(target, kind="clip").model_id + "@" + str(target.resolve())
    return str(name)


def _is_open_clip_arch(name: str) -> bool:
    import open_clip

    return name.replace("/", "-") in open_clip.list_models()


def _load(name: str | None, *, backend: str, pretrained: str | None, device: Any) -> ClipModel:
    if name is not None and name.startswith("local-dir:"):
        name = name[len("local-dir:"):]
    if name is not None and name.startswith("hf-hub:"):
        return _load_open_clip_hub(name, device=device)
    looks_like_path = name is not None and (
        name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name
    )
    if (
        name is not None
        and backend == "open_clip"
        and not looks_like_path
        and not Path(name).expanduser().exists()
    ):
        if _is_open_clip_arch(name):
            return _load_open_clip_arch(name, pretrained, device=device)
        if "/" not in name:
            import open_clip

            raise WorkbenchError(
                f"clip model {name!r} is not an open_clip architecture; use one of "
                f"{', '.join(open_clip.list_models()[:12])}, … (open_clip.list_models()), a "
                "local folder, 'hf-hub:org/repo', or backend='transformers' for a transformers "
                "hub name."
            )
        # "org/repo" with the open_clip backend: an open_clip repository on the hub
        return _load_open_clip_hub("hf-hub:" + name, device=device)

    resolved = resolve_model(name, kind="clip", default=_demo_dir())
    if resolved.source == "local_file":
        raise WorkbenchError(
            f"clip model {resolved.name!r} is a single file; pass its architecture as model= "
            f"and the file as pretrained= (open_clip, e.g. model='ViT-B-32', "
            f"pretrained={resolved.name!r}), or a folder written by save_pretrained()."
        )
    location = Path(resolved.location)
    if resolved.is_local and (location / "open_clip_config.json").is_file():
        return _load_open_clip_dir(resolved, device=device)
    if resolved.is_local and not (location / "config.json").is_file():
        raise WorkbenchError(
            f"clip model folder {location} holds neither open_clip_config.json (open_clip) nor "
            "config.json (transformers CLIPModel); point model= at the folder that "
            "save_pretrained() or open_clip's save_for_hf() wrote."
        )
    return _load_transformers(resolved, device=device)


def _load_transformers(resolved: ResolvedModel, *, device: Any) -> ClipModel:
    from transformers import AutoImageProcessor, AutoTokenizer, CLIPModel

    kwargs = resolved.from_pretrained_kwargs()
    with model_loading(resolved):
        module = CLIPModel.from_pretrained(**kwargs)
        tokenizer = AutoTokenizer.from_pretrained(**kwargs)
        processor = AutoImageProcessor.from_pretrained(**kwargs)
    return ClipModel.from_transformers(
        module, tokenizer, processor, name=resolved.name, device=str(device),
        model_id=resolved.model_id,
    )


def _load_open_clip_dir(resolved: ResolvedModel, *, device: Any) -> ClipModel:
    import open_clip

    spec = "local-dir:" + resolved.location
    if open_clip.factory._find_checkpoint_in_dir(Path(resolved.location)) is None:
        # open_clip would warn and go on with random weights: never a silent random model
        raise model_not_available(
            resolved.name, kind="clip", looked=[f"the local folder {resolved.location}"],
            why="It has open_clip_config.json but no weights file (*.safetensors, *.bin, *.pth)",
        )
    with model_loading(resolved):
        module, _, preprocess = open_clip.create_model_and_transforms(spec, device=device)
        tokenizer = open_clip.get_tokenizer(spec)
    return ClipModel.from_open_clip(
        module, preprocess, tokenizer, name=resolved.name, device=str(device),
        model_id=resolved.model_id,
    )


def _load_open_clip_hub(spec: str, *, device: Any) -> ClipModel:
    import open_clip
    from huggingface_hub import constants

    name = spec[len("hf-hub:"):]
    looked = [f"the hub cache {constants.HF_HUB_CACHE}"]
    if hub_offline():
        _require_cached(name, "open_clip_config.json", looked)
    elif not _is_cached(name, ("open_clip_config.json",)):
        _require_reachable(name, looked, spec)
    resolved = ResolvedModel("clip", "hub", spec, spec, None, f"{spec}@hub")
    try:
        with model_loading(resolved):
            module, _, preprocess = open_clip.create_model_and_transforms(spec, device=device)
            tokenizer = open_clip.get_tokenizer(spec)
    except ModelNotAvailableError as exc:
        raise ModelNotAvailableError(
            f"{exc} (With backend='open_clip' an 'org/repo' name is read as an open_clip hub "
            "repository; for a transformers CLIPModel such as 'openai/clip-vit-base-patch32' "
            "pass backend='transformers'.)"
        ) from exc.__cause__
    return ClipModel.from_open_clip(module, preprocess, tokenizer, name=spec, device=str(device))


_OPEN_CLIP_WEIGHT_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


def _is_cached(repo: str, filenames: tuple[str, ...]) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return any(isinstance(try_to_load_from_cache(repo, f), str) for f in filenames)


def _require_reachable(repo: str, looked: list[str], label: str) -> None:
    """Fail at once, not after the download client's retries, when the hub cannot serve ``repo``."""
    why = hub_unreachable(repo)
    if why is not None:
        raise model_not_available(label, kind="clip", looked=[*looked, "the model hub"], why=why)


def _require_cached(repo: str, filename: str, looked: list[str]) -> None:
    from huggingface_hub import try_to_load_from_cache

    hit = try_to_load_from_cache(repo, filename)
    if not isinstance(hit, str):
        raise model_not_available(
            repo, kind="clip", looked=looked,
            why="The model hub is switched off (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE is set) "
            "and no cached copy exists",
        )


def _load_open_clip_arch(arch: str, pretrained: str | None, *, device: Any) -> ClipModel:
    import open_clip
    from huggingface_hub import constants

    tag = pretrained or _DEFAULT_OPEN_CLIP_TAG
    label = f"{arch} (pretrained={tag!r})"
    if os.path.isfile(os.path.expanduser(tag)):
        weights = os.path.expanduser(tag)
    else:
        tags = open_clip.list_pretrained_tags_by_model(arch.replace("/", "-"))
        if tag not in tags:
            if pretrained is None or _looks_like_file(tag):
                raise model_not_available(
                    label, kind="clip",
                    looked=[f"the local file {Path(tag).expanduser().resolve()} (does not exist)"]
                    if _looks_like_file(tag) else [f"open_clip's pretrained tags of {arch}"],
                    why=f"Known tags: {', '.join(tags) or 'none'}",
                )
            raise WorkbenchError(
                f"pretrained={tag!r} is no open_clip weights tag of {arch}; use one of "
                f"{', '.join(tags) or '(none)'} or a local weights file."
            )
        cfg = open_clip.get_pretrained_cfg(arch.replace("/", "-"), tag)
        hub_repo = str(cfg.get("hf_hub", "")).rstrip("/")
        looked = [f"the hub cache {constants.HF_HUB_CACHE}" + (f" ({hub_repo})" if hub_repo else "")]
        if hub_offline() and hub_repo:
            _require_any_cached(hub_repo, looked, label)
        elif hub_repo and not _is_cached(hub_repo, _OPEN_CLIP_WEIGHT_FILES):
            _require_reachable(hub_repo, looked, label)
        weights = tag
    resolved = ResolvedModel("clip", "hub", label, arch, None, f"{arch}:{tag}")
    with model_loading(resolved):
        module, _, preprocess = open_clip.create_model_and_transforms(
            arch, pretrained=weights, device=device
        )
        tokenizer = open_clip.get_tokenizer(arch)
    return ClipModel.from_open_clip(
        module, preprocess, tokenizer, name=label, device=str(device),
        model_id=resolved.model_id,
    )


def _looks_like_file(tag: str) -> bool:
    return os.sep in tag or tag.endswith((".pt", ".pth", ".bin", ".safetensors"))


def _require_any_cached(repo: str, looked: list[str], label: str) -> None:
    if _is_cached(repo, _OPEN_CLIP_WEIGHT_FILES):
        return
    raise model_not_available(
        label, kind="clip", looked=looked,
        why="The model hub is switched off (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE is set) and "
        "no cached copy exists. On a machine with network, open_clip downloads it on first use; "
        "or save it with open_clip.push_to_hf_hub.save_for_hf(model, tokenizer, cfg, DIR) and "
        "pass model=DIR",
    )


# --------------------------------------------------------------------------- images


def _open_image(item: Any) -> Image.Image:
    """Decode one image input to an RGB PIL image; raises with a short reason."""
    return open_image(item)


def _reason(item: Any, exc: BaseException) -> str:
    from PIL import UnidentifiedImageError

    where = os.fspath(item) if isinstance(item, (str, os.PathLike)) else type(item).__name__
    if isinstance(exc, FileNotFoundError):
        return f"image file not found: {where}"
    if isinstance(exc, IsADirectoryError):
        return f"image path is a directory: {where}"
    if isinstance(exc, UnidentifiedImageError):
        return f"not an image Pillow can read: {where}"
    if isinstance(exc, TypeError):
        return str(exc)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"unreadable image ({first[:200]}): {where}"


def _prepare(item: Any, preprocess: Callable[[Any], Any]) -> tuple[Any, str]:
    """(pixel tensor or None, reason) for one image; never raises."""
    if item is None or (isinstance(item, float) and math.isnan(item)):
        return None, "missing image"
    try:
        return preprocess(_open_image(item)), ""
    except Exception as exc:  # any decoding failure is reported for this row only
        return None, _reason(item, exc)


def _batches(
    images: Sequence[Any],
    preprocess: Callable[[Any], Any],
    batch_size: int,
    workers: int,
    prefetch: int,
) -> Iterator[tuple[int, list[tuple[Any, str]]]]:
    """Yield (start, prepared rows) per batch; later batches decode while one is scored."""
    n = len(images)
    starts = list(range(0, n, batch_size))
    if workers <= 0:
        for s in starts:
            yield s, [_prepare(x, preprocess) for x in images[s : s + batch_size]]
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clip-decode") as pool:
        pending: list[tuple[int, list[Future[tuple[Any, str]]]]] = []

        def submit(s: int) -> None:
            futs = [pool.submit(_prepare, x, preprocess) for x in images[s : s + batch_size]]
            pending.append((s, futs))

        ahead = iter(starts)
        for s in ahead:
            submit(s)
            if len(pending) > prefetch:
                break
        for s in ahead:
            start, futs = pending.pop(0)
            yield start, [f.result() for f in futs]
            submit(s)
        while pending:
            start, futs = pending.pop(0)
            yield start, [f.result() for f in futs]


# --------------------------------------------------------------------------- scoring


def _as_list(values: Any, *, what: str) -> list[Any]:
    if isinstance(values, (str, bytes, os.PathLike)):
        raise WorkbenchError(
            f"clip_score: {what} must be a sequence (one per pair), got a single "
            f"{type(values).__name__}; wrap it in a list."
        )
    if isinstance(values, pd.Series):
        return values.tolist()
    try:
        return list(values)
    except TypeError as exc:
        raise TypeError(f"clip_score: {what} must be a sequence, got {type(values).__name__}.") from exc


def _check_scale(scale: float | None) -> None:
    if scale is not None and not (isinstance(scale, (int, float)) and scale > 0):
        raise WorkbenchError(
            f"clip_score: scale must be None (raw cosine) or a positive weight such as 2.5 "
            f"(CLIPScore), got {scale!r}."
        )


def _score(
    clip: ClipModel,
    images: list[Any],
    captions: list[Any],
    *,
    batch_size: int,
    workers: int,
    progress: bool,
) -> tuple[np.ndarray, list[str]]:
    import torch

    n = len(images)
    scores = np.full(n, np.nan)
    reasons = [""] * n
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, unit="pair", desc="clip score")
    size = batch_size
    with torch.inference_mode():
        for start, rows in _batches(images, clip.preprocess, size, workers, prefetch=2):
            ok: list[int] = []
            pix: list[Any] = []
            for j, (tensor, why) in enumerate(rows):
                i = start + j
                cap = captions[i]
                if tensor is None:
                    reasons[i] = why
                elif not isinstance(cap, str) or not cap.strip():
                    reasons[i] = "missing caption" if cap is None or cap == "" or (
                        isinstance(cap, float) and math.isnan(cap)) else (
                        f"caption is not text: {type(cap).__name__}")
                else:
                    ok.append(i)
                    pix.append(tensor)
            if ok:
                scores[ok] = _forward(clip, torch.stack(pix), [captions[i] for i in ok])
            if bar is not None:
                bar.update(len(rows))
    if bar is not None:
        bar.close()
    return scores, reasons


def _forward(clip: ClipModel, pixels: torch.Tensor, texts: list[str]) -> np.ndarray:
    """Cosines of one batch; on a GPU out-of-memory error, halve the batch and retry."""
    import torch

    try:
        img = clip.encode_images(pixels)
        txt = clip.encode_texts(texts)
        return (img * txt).sum(-1).double().cpu().numpy()
    except torch.cuda.OutOfMemoryError:
        if len(texts) == 1:
            raise
        torch.cuda.empty_cache()
        h = len(texts) // 2
        return np.concatenate(
            [_forward(clip, pixels[:h], texts[:h]), _forward(clip, pixels[h:], texts[h:])]
        )


def _default_batch_size(clip: ClipModel) -> int:
    return 256 if clip.device.type == "cuda" else 64


def clip_score_frame(
    images: Sequence[Any],
    captions: Sequence[Any],
    *,
    model: str | os.PathLike[str] | ClipModel | None = None,
    backend: Backend = "open_clip",
    pretrained: str | None = None,
    batch_size: int | None = None,
    scale: float | None = None,
    device: str | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """CLIP scores with the reason of every missing one, as a frame aligned with the input.

    Parameters are those of :func:`clip_score`.

    Returns
    -------
    DataFrame with columns ``clip_score`` (float, NaN where the pair could not be scored)
    and ``error`` (empty string, or why: ``"image file not found: …"``, ``"not an image
    Pillow can read: …"``, ``"missing caption"``, …), one row per pair in input order.

    Examples
    --------
    >>> from workbench._shapes import ShapeSpec, render_caption_image
    >>> img = render_caption_image(ShapeSpec("circle", "red", 1, "center", "large"))
    >>> out = clip_score_frame([img, "no/such/file.png"], ["a large red circle in the center"] * 2)
    >>> out["clip_score"].notna().tolist(), out.loc[1, "error"]
    ([True, False], 'image file not found: no/such/file.png')
    """
    check_choice(backend, name="backend", choices=("open_clip", "transformers"))
    _check_scale(scale)
    imgs = _as_list(images, what="images")
    caps = _as_list(captions, what="captions")
    if len(imgs) != len(caps):
        raise WorkbenchError(
            f"clip_score: images and captions must be the same length, but images has "
            f"{len(imgs)} and captions has {len(caps)}; pass one caption per image."
        )
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise WorkbenchError(f"clip_score: batch_size must be a positive int, got {batch_size!r}.")
    clip = load_clip(model, backend=backend, pretrained=pretrained, device=device)
    size = batch_size or _default_batch_size(clip)
    n_workers = min(4, os.cpu_count() or 1) if workers is None else int(workers)
    scores, reasons = _score(
        clip, imgs, caps, batch_size=size, workers=n_workers, progress=progress
    )
    if scale is not None:
        scores = float(scale) * np.maximum(scores, 0.0)
    return pd.DataFrame({"clip_score": scores, "error": pd.Series(reasons, dtype="string")})


def clip_score(
    images: Sequence[Any],
    captions: Sequence[Any],
    *,
    model: str | os.PathLike[str] | ClipModel | None = None,
    backend: Backend = "open_clip",
    pretrained: str | None = None,
    batch_size: int | None = None,
    scale: float | None = None,
    device: str | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Cosine similarity of CLIP image and text embeddings, one per image–caption pair.

    Higher is better (the caption describes the image). Raw cosine lies in [-1, 1]; real
    CLIPs give about 0.15–0.40 on web data (LAION-400M kept pairs ≥ 0.28 under ViT-B/32).

    Parameters
    ----------
    images : sequence of path, bytes or PIL image
        One per pair. An image that cannot be read gives NaN for its row (see
        :func:`clip_score_frame` for the reason); the other rows are scored.
    captions : sequence of str
        One per pair; truncated to the model's context length.
    model : None, str, path or ClipModel
        ``None`` is the committed demo CLIP (domain-limited, always the transformers format);
        a local folder (format detected from its files); an open_clip architecture name
        (``"ViT-B-32"``, with ``pretrained=``) or ``"hf-hub:org/repo"``; with
        ``backend="transformers"`` a hub name (``"openai/clip-vit-base-patch32"``); or a
        loaded :class:`ClipModel`.
    backend : {"open_clip", "transformers"}
        Library for a model given by name. Default ``"open_clip"``.
    pretrained : str or None
        open_clip weights tag (default ``"openai"``) or a local weights file.
    batch_size : int or None
        Pairs per forward pass; ``None`` → 64 on CPU, 256 on a GPU (halved on out-of-memory).
    scale : float or None
        ``None`` returns the raw cosine. ``2.5`` returns CLIPScore = 2.5 · max(cos, 0)
        (Hessel et al., 2021), in [0, 2.5].
    device : str or None
        ``None`` → a GPU when present, else the CPU.
    workers : int or None
        Threads decoding images while the model runs (``None`` → up to 4; ``0`` decodes in
        the calling thread, no overlap).
    progress : bool
        Show a progress bar.

    Returns
    -------
    numpy.ndarray of float64, shape (n,), aligned with the input; NaN where unscorable.

    Raises
    ------
    WorkbenchError
        images and captions differ in length; bad ``scale``, ``batch_size`` or ``backend``.
    ModelNotAvailableError
        The model is neither local nor downloadable.

    Notes
    -----
    score = ⟨f(image), g(caption)⟩ / (‖f(image)‖ ‖g(caption)‖), the cosine of the projected
    embeddings; CLIPScore(c, v) = w · max(cos(c, v), 0) with w = 2.5.

    References
    ----------
    Radford et al. (2021), Learning transferable visual models from natural language
    supervision, ICML. Hessel et al. (2021), CLIPScore, EMNLP, doi:10.18653/v1/2021.emnlp-main.595.
    Schuhmann et al. (2021), LAION-400M, arXiv:2111.02114. Gadre et al. (2023), DataComp,
    arXiv:2304.14108.

    Examples
    --------
    >>> from workbench._shapes import ShapeSpec, render_caption_image
    >>> img = render_caption_image(ShapeSpec("square", "blue", 2, "top", "large"))
    >>> s = clip_score([img, img], ["two large blue squares at the top",
    ...                              "a small yellow circle on the left"])
    >>> bool(s[0] > s[1])
    True
    """
    return clip_score_frame(
        images, captions, model=model, backend=backend, pretrained=pretrained,
        batch_size=batch_size, scale=scale, device=device, workers=workers, progress=progress,
    )["clip_score"].to_numpy(dtype=float)


def _pair_key(image: Any, caption: Any) -> str | None:
    """Content hash of an image (file bytes, bytes or pixels) and its caption; None if unreadable."""
    import hashlib

    from PIL import Image

    if not isinstance(caption, str):
        return None
    h = hashlib.sha256()
    try:
        if isinstance(image, Image.Image):
            h.update(f"{image.mode}{image.size}".encode())
            h.update(image.tobytes())
        elif isinstance(image, (bytes, bytearray, memoryview)):
            h.update(bytes(image))
        elif isinstance(image, (str, os.PathLike)):
            h.update(Path(image).read_bytes())
        else:
            return None
    except OSError:
        return None
    h.update(b"\0" + caption.encode("utf-8"))
    return h.hexdigest()


#: Name (and version) under which raw cosines are cached.
CACHE_METRIC = "clip_score_v1"


def clip_score_table(
    table: pd.DataFrame,
    *,
    base_dir: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    image: str = "image",
    caption: str = "caption",
    model: str | os.PathLike[str] | ClipModel | None = None,
    backend: Backend = "open_clip",
    pretrained: str | None = None,
    batch_size: int | None = None,
    scale: float | None = None,
    device: str | None = None,
    cache: Any = None,
    chunk_size: int = 512,
    progress: bool = False,
) -> pd.DataFrame:
    """Score an ``image_captions`` table: a copy with ``clip_score`` and ``error`` columns added.

    Parameters
    ----------
    table : DataFrame
        An image_captions table (``pair_id``, ``image``, ``caption``).
    base_dir : path or None
        Folder the relative image paths are relative to (the table's folder); ``None`` →
        the current directory. Bytes are used as they are.
    allow_outside : bool
        Paths must stay inside ``base_dir`` (no ``..`` out of it, no absolute path elsewhere),
        so a table cannot make the scorer open ``../../etc/passwd``; ``True`` lifts this for
        a table you trust (command line: ``--allow-outside``).
    image, caption : str
        Column names.
    cache : workbench.scoring.ScoreCache or None
        Raw cosines keyed by the content hash of image bytes and caption, the model's
        identity and :data:`CACHE_METRIC`: unchanged pairs are not scored again, a changed
        model invalidates, and chunks are stored as they finish (an interrupted run resumes).
        Rows that cannot be scored are never cached.
    chunk_size : int
        Pairs scored (and stored) per chunk when ``cache`` is given.
    Other parameters
        As :func:`clip_score`.

    Returns
    -------
    DataFrame, ``table`` plus ``clip_score`` and ``error``, same index.

    Raises
    ------
    SchemaError
        A column is missing.
    WorkbenchError
        An image path leads outside ``base_dir`` and ``allow_outside`` is false (the error
        names the rows).

    Examples
    --------
    >>> import tempfile
    >>> from workbench._shapes import ShapeSpec, render_caption_image
    >>> from workbench.scoring import ScoreCache
    >>> img = render_caption_image(ShapeSpec("diamond", "orange", 3, "bottom", "small"))
    >>> t = pd.DataFrame({"pair_id": ["p1", "p2"], "image": [img, "missing.png"],
    ...                   "caption": ["three small orange diamonds at the bottom"] * 2})
    >>> cache = ScoreCache(tempfile.mkdtemp())
    >>> first = clip_score_table(t, cache=cache)
    >>> again = clip_score_table(t, cache=cache)  # read from the cache
    >>> bool(first["clip_score"].equals(again["clip_score"])), again["error"].tolist()[1][:20]
    (True, 'image file not found')
    """
    df = require_frame(table, table="image_captions")
    require_columns(df, [image, caption], table="image_captions")
    _check_scale(scale)
    base = Path(base_dir) if base_dir is not None else None
    imgs = locate_images(df[image], base, allow_outside=allow_outside, column=image)
    caps = [None if c is None or c is pd.NA or (isinstance(c, float) and math.isnan(c)) else c
            for c in df[caption].tolist()]
    clip = load_clip(model, backend=backend, pretrained=pretrained, device=device)
    if cache is None:
        scored = clip_score_frame(imgs, caps, model=clip, batch_size=batch_size, progress=progress)
        raw, errors = scored["clip_score"].to_numpy(), scored["error"].tolist()
    else:
        raw, errors = _score_cached(
            clip, imgs, caps, cache=cache, batch_size=batch_size, chunk_size=chunk_size,
            progress=progress,
        )
    out = df.copy()
    out["clip_score"] = raw if scale is None else float(scale) * np.maximum(raw, 0.0)
    out["error"] = pd.Series(errors, index=out.index, dtype="string")
    return out


def _score_cached(
    clip: ClipModel,
    imgs: list[Any],
    caps: list[Any],
    *,
    cache: Any,
    batch_size: int | None,
    chunk_size: int,
    progress: bool,
) -> tuple[np.ndarray, list[str]]:
    n = len(imgs)
    raw = np.full(n, np.nan)
    errors = [""] * n
    keys = [_pair_key(i, c) for i, c in zip(imgs, caps, strict=True)]
    known = [k for k in keys if k is not None]
    hit = cache.get(known, metric=CACHE_METRIC, model_id=clip.model_id)
    todo: list[int] = []
    for i, k in enumerate(keys):
        if k is not None and k in hit.index:
            raw[i] = float(hit.loc[k, "clip_score"])
        else:
            todo.append(i)
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), unit="pair", desc="clip score")
    for start in range(0, len(todo), max(1, chunk_size)):
        rows = todo[start : start + chunk_size]
        part = clip_score_frame(
            [imgs[i] for i in rows], [caps[i] for i in rows], model=clip, batch_size=batch_size
        )
        vals = part["clip_score"].to_numpy()
        errs = part["error"].tolist()
        raw[rows] = vals
        for i, e in zip(rows, errs, strict=True):
            errors[i] = e
        good = [j for j, i in enumerate(rows) if keys[i] is not None and not errs[j]]
        if good:
            store = dict.fromkeys(keys[rows[j]] for j in good)  # one row per distinct key
            first = {keys[rows[j]]: vals[j] for j in reversed(good)}
            cache.put(list(store), pd.DataFrame({"clip_score": [first[k] for k in store]}),
                      metric=CACHE_METRIC, model_id=clip.model_id)
        if bar is not None:
            bar.update(len(rows))
    if bar is not None:
        bar.close()
    return raw, errors
