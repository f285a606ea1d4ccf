"""train_filter(..., image="image"): CLIP image embeddings of image items, cached like every
other score, recorded in the saved filter and checked when it is loaded.

The data is the committed image_captions sample (its first 300 pairs) with its truth
(``data_samples/truth/image_captions_rows.csv``: the shape and colour drawn in each picture);
a planted reviewer flags one shape or one colour, a null reviewer flags at random. The model is
the committed demo CLIP, the default of CLIP scoring.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.tiny_models import one_torch_thread  # noqa: F401 - autouse fixture
from workbench._models import DEMO_CLIP_DIR
from workbench.dedup.images import deduplicate_images, image_hashes
from workbench.errors import ModelNotAvailableError, WorkbenchError
from workbench.flywheel import (
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_IMAGE_EMBEDDING_MODEL,
    FORMAT_VERSION,
    embed_images,
    load_filter,
    train_filter,
)
from workbench.scoring import ScoreCache
from workbench.scoring.clip import ClipModel

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "data_samples" / "image_captions"
N = 300


@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first N pairs as items (``item_id``, ``image`` relative to BASE, ``caption``) and their truth."""
    table = pd.read_csv(BASE / "image_captions.csv").iloc[:N]
    truth = pd.read_csv(ROOT / "data_samples" / "truth" / "image_captions_rows.csv").set_index("pair_id")
    return table.rename(columns={"pair_id": "item_id"}), truth.loc[table["pair_id"]].reset_index()


def reviewer(items: pd.DataFrame, flagged: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"item_id": items["item_id"], "decision": np.where(flagged, "Poor quality", "Acceptable")})


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> ScoreCache:
    return ScoreCache(tmp_path_factory.mktemp("image_cache"))


class Spy:
    """Counts the images the CLIP image encoder is asked to embed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.n = 0
        real = ClipModel.encode_images

        def encode_images(clip, pixels):  # type: ignore[no-untyped-def]
            self.n += len(pixels)
            return real(clip, pixels)

        monkeypatch.setattr(ClipModel, "encode_images", encode_images)


@pytest.mark.parametrize(("column", "value"), [("shape", "circle"), ("colour", "red")])
def test_image_embeddings_learn_a_reviewer_who_flags_a_shape_or_a_colour(sample, cache, column: str,
                                                                         value: str) -> None:
    items, truth = sample
    flagged = truth[column].to_numpy() == value
    f = train_filter(items, reviewer(items, flagged), features="embeddings", image="image", base_dir=BASE,
                     cache=cache)
    assert f.embedding_kind == "image" and f.n_flagged == flagged.sum() > 25
    assert f.embedding == {"kind": "image", "model": DEFAULT_IMAGE_EMBEDDING_MODEL,
                           "model_id": f.embedding["model_id"], "dim": 64, "image": "image"}
    assert f.cv["auc_ci"][0] > 0.9, f.summary()
    assert "64-dimensional CLIP image embeddings of demo-clip" in f.summary()


def test_a_null_reviewer_gives_the_image_embeddings_no_skill(sample, cache) -> None:
    items, _ = sample
    flagged = np.random.default_rng(7).random(len(items)) < 0.2
    f = train_filter(items, reviewer(items, flagged), features="embeddings", image="image", base_dir=BASE,
                     cache=cache)
    low, high = f.cv["auc_ci"]
    assert low < 0.5 < high and f.cv["auc"] < 0.62, f.summary()


def test_a_second_training_a_retraining_and_a_prediction_embed_nothing_again(
        sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items, truth = sample
    decisions = reviewer(items, truth["shape"].to_numpy() == "square")
    cache = ScoreCache(tmp_path / "cache")
    spy = Spy(monkeypatch)
    first = train_filter(items.iloc[:200], decisions, features="embeddings", image="image", base_dir=BASE,
                         cache=cache)
    assert spy.n == 200
    again = train_filter(items.iloc[:200], decisions, features="embeddings", image="image", base_dir=BASE,
                         cache=cache)
    retrained = first.retrain(items.iloc[:200], decisions)
    assert spy.n == 200  # neither the second training nor the retraining embedded an image
    assert again.coef == first.coef and retrained.embedding == first.embedding
    # the 100 items it has not seen are embedded, but for pictures it has seen (the sample has duplicates)
    digest = image_hashes([BASE / x for x in items["image"]], method="image-exact")[0]
    unseen = sum(d not in set(digest[:200]) for d in digest[200:])
    assert 90 < unseen < 100
    p = first.predict_proba(items)
    assert spy.n == 200 + unseen and p.notna().all()
    first.predict_proba(items)
    assert spy.n == 200 + unseen
    # the cached vectors are the model's vectors, and image dedup's clip method reads the same rows
    np.testing.assert_allclose(embed_images(items["image"].iloc[:10], base_dir=BASE, cache=cache),
                               embed_images(items["image"].iloc[:10], base_dir=BASE), atol=1e-5)
    n = spy.n
    deduplicate_images(items.iloc[:50], method="clip", base_dir=BASE, id_column="item_id", cache=cache)
    assert spy.n == n
    # another CLIP (here the demo CLIP's files in another folder: another identity) misses the cache
    other = Path(shutil.copytree(DEMO_CLIP_DIR, tmp_path / "other_clip"))
    g = train_filter(items.iloc[:200], decisions, features="embeddings", image="image", base_dir=BASE,
                     embedding_model=other, cache=cache)
    assert spy.n == n + 200 and g.embedding is not None and g.embedding["model"] == str(other)
    assert g.embedding["model_id"] != first.embedding["model_id"]  # type: ignore[index]


def test_a_saved_image_filter_round_trips_and_refuses_another_model_or_kind(
        sample, cache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items, truth = sample
    items = items.assign(clip_score=np.random.default_rng(1).random(len(items)))  # a score beside the images
    decisions = reviewer(items, truth["colour"].to_numpy() == "blue")
    f = train_filter(items, decisions, features="both", image="image", base_dir=BASE, cache=cache)
    assert f.score_features == ("clip_score",) and len(f.features) == 65
    path = f.save(tmp_path / "filter")
    spec = json.loads(path.read_text())  # JSON, no pickle
    assert spec["format_version"] == FORMAT_VERSION == 3
    assert spec["embedding"] == f.embedding and spec["embedding"]["kind"] == "image"
    spy = Spy(monkeypatch)
    loaded = load_filter(tmp_path / "filter", features=["clip_score"], embedding_kind="image", base_dir=BASE,
                         cache=cache)
    pd.testing.assert_series_equal(loaded.predict_proba(items), f.predict_proba(items))
    assert spy.n == 0
    with pytest.raises(WorkbenchError, match=r"column 'image'.*cannot be read.*file not found.*base_dir"):
        load_filter(tmp_path / "filter").predict_proba(items)  # paths read from the working directory
    with pytest.raises(WorkbenchError, match="missing column.*'image'"):
        loaded.predict_proba(items.drop(columns="image"))
    with pytest.raises(WorkbenchError, match="image embeddings of 'demo-clip', not of 'ViT-B-32'"):
        load_filter(tmp_path / "filter", embedding_model="ViT-B-32")
    with pytest.raises(WorkbenchError, match="embeddings of another model"):
        load_filter(tmp_path / "filter", embedding_model=DEFAULT_EMBEDDING_MODEL)
    with pytest.raises(WorkbenchError, match="trained on image embeddings .* not on text embeddings"):
        load_filter(tmp_path / "filter", embedding_kind="text")
    with pytest.raises(WorkbenchError, match="'embedding_kind'|embedding_kind='pixels' is not valid"):
        load_filter(tmp_path / "filter", embedding_kind="pixels")  # type: ignore[arg-type]
    spec["embedding"]["kind"] = "audio"
    path.write_text(json.dumps(spec))
    with pytest.raises(WorkbenchError, match="damaged"):
        load_filter(path)
    scores_only = train_filter(items, decisions, columns=["clip_score"]).save(tmp_path / "scores")
    with pytest.raises(WorkbenchError, match="uses no embedding model, so 'image' does not fit"):
        load_filter(scores_only, embedding_kind="image")


def test_bad_images_are_named_by_table_column_and_row_before_any_model_runs(
        sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items, truth = sample
    items, decisions = items.iloc[:40], reviewer(items.iloc[:40], truth["shape"].to_numpy()[:40] == "circle")
    spy = Spy(monkeypatch)
    missing = items.assign(image=items["image"].where(items["item_id"] != "img0007", "images/nope.png"))
    with pytest.raises(WorkbenchError, match=r"table 'items', column 'image': 1 image\(s\) cannot be read — "
                                             r"row img0007: file not found: .*nope\.png\. Fix or remove"):
        train_filter(missing, decisions, features="embeddings", image="image", base_dir=BASE)
    (tmp_path / "broken.png").write_text("not a picture")
    with pytest.raises(WorkbenchError, match=r"table 'images', column 'image': 1 image\(s\) cannot be read — "
                                             r"row 1: unreadable image .*broken\.png"):
        embed_images([BASE / "images" / "img0000.png", "broken.png"], base_dir=tmp_path, allow_outside=True)
    outside = items.assign(image=items["image"].where(items["item_id"] != "img0003", "../../README.md"))
    with pytest.raises(WorkbenchError, match=r"column 'image': 1 image path\(s\) lead outside .*row img0003 "
                                             r".*allow_outside=True"):
        train_filter(outside, decisions, features="embeddings", image="image", base_dir=BASE)
    with pytest.raises(WorkbenchError, match="missing column.*'picture'"):
        train_filter(items, decisions, features="embeddings", image="picture", base_dir=BASE)
    with pytest.raises(WorkbenchError, match="features='scores' learns from the score columns only"):
        train_filter(items.assign(s=1.0), decisions, image="image", base_dir=BASE)
    assert spy.n == 0


def test_a_missing_clip_model_is_an_error_never_a_made_up_vector(
        sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import workbench.scoring.clip as clip

    items, truth = sample
    items, decisions = items.iloc[:40], reviewer(items.iloc[:40], truth["shape"].to_numpy()[:40] == "circle")
    with pytest.raises(ModelNotAvailableError, match="no-such-clip' is not available.*does not exist"):
        train_filter(items, decisions, features="embeddings", image="image", base_dir=BASE,
                     embedding_model=tmp_path / "no-such-clip")
    monkeypatch.setattr(clip, "_demo_dir", lambda: tmp_path / "gone")
    with pytest.raises(ModelNotAvailableError, match=r"the demo CLIP\) is not available: looked in .*gone"):
        train_filter(items, decisions, features="embeddings", image="image", base_dir=BASE)
