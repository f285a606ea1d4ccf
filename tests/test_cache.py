"""Score cache: reruns compute nothing, a changed model or parameter invalidates, an
interrupted run resumes; and the `workbench score text` command on top of it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.tiny_models import WORDS, one_torch_thread  # noqa: F401
from tests.tiny_models import save_tiny_lm as _save_tiny
from workbench.cli import app
from workbench.errors import WorkbenchError
from workbench.scoring import ScoreCache, content_hash, score_texts


def _counting(calls):
    def fn(texts):
        calls.append(list(texts))
        return pd.DataFrame({"n_chars": [len(t) for t in texts], "first": [t[:1] for t in texts]})

    return fn


def test_rerun_computes_nothing(tmp_path):
    cache = ScoreCache(tmp_path)
    calls: list[list[str]] = []
    texts = pd.Series(["abc", "de", None, "abc", "fghi"], index=list("vwxyz"))
    first = cache.compute(texts, _counting(calls), metric="len", model_id="m1")
    assert calls == [["abc", "de", "fghi"]]  # distinct texts only, missing ones skipped
    assert list(first.index) == list("vwxyz")
    assert first["n_chars"].tolist()[:2] == [3.0, 2.0] and np.isnan(first["n_chars"].iloc[2])
    assert first["first"].tolist()[3] == "a"
    again = ScoreCache(tmp_path).compute(texts, _counting(calls), metric="len", model_id="m1")
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, again)


def test_changed_model_or_params_invalidate(tmp_path):
    cache = ScoreCache(tmp_path)
    calls: list[list[str]] = []
    cache.compute(["abc"], _counting(calls), metric="len", model_id="m1", params={"k": 1})
    cache.compute(["abc"], _counting(calls), metric="len", model_id="m2", params={"k": 1})
    cache.compute(["abc"], _counting(calls), metric="len", model_id="m1", params={"k": 2})
    cache.compute(["abc"], _counting(calls), metric="other", model_id="m1", params={"k": 1})
    cache.compute(["abc"], _counting(calls), metric="len", model_id="m1", params={"k": 1})
    assert len(calls) == 4
    info = cache.info()
    assert (info.hits, info.misses, info.entries) == (1, 4, 4)
    assert "4 stored rows" in info.summary()


class _Crash(RuntimeError):
    pass


def test_interrupted_run_resumes(tmp_path):
    cache = ScoreCache(tmp_path)
    texts = [f"text {i}" for i in range(10)]
    calls: list[list[str]] = []
    crash = [True]

    def flaky(chunk):
        calls.append(list(chunk))
        if len(calls) == 2 and crash[0]:
            raise _Crash("killed mid-run")
        return pd.DataFrame({"n": [len(t) for t in chunk]})

    with pytest.raises(_Crash, match="killed"):
        cache.compute(texts, flaky, metric="n", chunk_size=4)
    assert cache.info().entries == 4  # the first chunk was committed, the second not at all
    calls.clear()
    crash[0] = False
    out = cache.compute(texts, flaky, metric="n", chunk_size=4)
    assert calls == [texts[4:8], texts[8:]]
    assert out["n"].tolist() == [float(len(t)) for t in texts]


def test_mismatched_columns_store_nothing(tmp_path):
    cache = ScoreCache(tmp_path)
    cache.put([content_hash("a")], pd.DataFrame({"x": [1.0]}), metric="m")
    with pytest.raises(WorkbenchError, match="stores columns \\['x'\\]"):
        cache.put([content_hash("b")], pd.DataFrame({"y": [1.0]}), metric="m")
    assert cache.info().entries == 1
    with pytest.raises(WorkbenchError, match="one row per text"):
        cache.compute(["q"], lambda t: pd.DataFrame({"x": []}), metric="m")


def test_score_texts_perplexity_cached_and_invalidated_by_new_weights(tmp_path, monkeypatch):
    model_dir = _save_tiny(tmp_path / "lm", "llama", seed=0)
    texts = ["the cat sat on the mat", "dog ran under the table", "the cat sat on the mat"]
    cache = ScoreCache(tmp_path / "cache")
    first = score_texts(texts, model=model_dir, cache=cache, device="cpu")
    assert {"n_words", "language", "lang_score_en", "perplexity", "n_tokens"} <= set(first.columns)
    assert cache.info().misses == 3 * 2  # two distinct texts per metric

    import sys

    ppl_mod = sys.modules["workbench.scoring.perplexity"]

    def boom(*args, **kwargs):
        raise AssertionError("the cached rerun must not touch the model")

    monkeypatch.setattr(ppl_mod, "perplexity_frame", boom)
    monkeypatch.setattr(ppl_mod, "load_language_model", boom)
    again = score_texts(texts, model=model_dir, cache=cache, device="cpu")
    pd.testing.assert_frame_equal(first, again)
    monkeypatch.undo()

    _save_tiny(model_dir, "llama", seed=1)  # new weights in the same folder
    before = cache.info().misses
    changed = score_texts(texts, model=model_dir, cache=cache, metrics=["perplexity"], device="cpu")
    assert cache.info().misses == before + 2
    assert not np.allclose(changed["perplexity"], first["perplexity"])


def test_cli_score_text_writes_scores_and_resumes(tmp_path):
    model_dir = _save_tiny(tmp_path / "lm", "gpt2")
    corpus = tmp_path / "corpus.jsonl"
    rows = [{"doc_id": f"d{i}", "text": t} for i, t in enumerate(
        ["the cat sat on the mat with the dog", "Das ist ein deutscher Satz über das Wetter.", "buy buy buy buy buy buy"])]
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "scores.csv"
    args = ["score", "text", str(corpus), "--out", str(out), "--model", str(model_dir),
            "--cache-dir", str(tmp_path / "cache"), "--device", "cpu"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, dtype={"doc_id": str})
    assert table["doc_id"].tolist() == ["d0", "d1", "d2"]
    assert {"perplexity", "language", "decision", "reasons"} <= set(table.columns)
    assert table.loc[1, "decision"] == "drop" and "lang_score_en" in table.loc[1, "reasons"]
    assert "0 misses" not in res.output
    res2 = CliRunner().invoke(app, args)
    assert res2.exit_code == 0 and "0 misses" in res2.output
    bad = CliRunner().invoke(app, ["score", "text", str(corpus), "--out", str(out), "--metrics", "vibes",
                                   "--cache-dir", str(tmp_path / "cache")])
    assert bad.exit_code != 0 and "metrics='vibes' is not valid" in str(bad.exception)
