"""Perplexity: plumbing on tiny models built from a config, reference values against the
model's own loss, padding/batching invariance, sliding windows, offline errors, and one
slow check with the embedded SmolLM2-135M."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import spearmanr

from tests.tiny_models import WORDS, one_torch_thread  # noqa: F401
from tests.tiny_models import save_tiny_lm as _save_tiny
from workbench._models import resolve_model
from workbench.errors import ModelNotAvailableError, WorkbenchError
from workbench.scoring import load_language_model, perplexity, perplexity_frame


@pytest.fixture(scope="module", params=["llama", "gpt2"])
def tiny(request, tmp_path_factory) -> Path:
    return _save_tiny(tmp_path_factory.mktemp(request.param), request.param)


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 40)))) for _ in range(n)]


def _reference_ppl(directory: Path, text: str) -> float:
    """exp(loss) from the model's own forward with labels: the transformers reference."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(directory)
    model = AutoModelForCausalLM.from_pretrained(directory).eval()
    ids = torch.tensor([[0, *tok(text, add_special_tokens=False)["input_ids"]]])
    with torch.no_grad():
        loss = model(input_ids=ids, labels=ids).loss
    return math.exp(float(loss))


def test_matches_transformers_loss(tiny):
    texts = _texts(5, seed=1)
    got = perplexity(texts, model=tiny, device="cpu")
    ref = np.array([_reference_ppl(tiny, t) for t in texts])
    np.testing.assert_allclose(got, ref, rtol=1e-5)


def test_batched_equals_one_by_one(tiny):
    texts = _texts(19, seed=2)
    batched = perplexity(texts, model=tiny, batch_size=16, device="cpu")
    single = np.array([perplexity([t], model=tiny, batch_size=1, device="cpu")[0] for t in texts])
    np.testing.assert_allclose(batched, single, rtol=1e-4)
    other = perplexity(texts, model=tiny, batch_size=5, device="cpu")
    np.testing.assert_allclose(other, single, rtol=1e-4)


def test_two_cpu_streams_score_like_one_and_restore_threads(tiny, monkeypatch):
    import importlib

    ppl_module = importlib.import_module("workbench.scoring.perplexity")
    texts = _texts(40, seed=5)  # lengths 1..40 words: many batches
    one = perplexity(texts, model=tiny, batch_size=4, device="cpu")  # the fixture: one thread
    seen = []
    original = ppl_module._score_batch

    def spy(lm, batch, skips):
        seen.append(torch.get_num_threads())
        return original(lm, batch, skips)

    monkeypatch.setattr(ppl_module, "_score_batch", spy)
    torch.set_num_threads(2)
    try:
        two = perplexity(texts, model=tiny, batch_size=4, device="cpu")
        assert torch.get_num_threads() == 2  # the caller keeps its setting
        assert len(seen) > 2 and set(seen) == {1}  # two streams of one thread each ran them
        np.testing.assert_allclose(two, one, rtol=1e-6)

        def fail(lm, batch, skips):
            raise RuntimeError("boom in a stream")

        monkeypatch.setattr(ppl_module, "_score_batch", fail)
        with pytest.raises(RuntimeError, match="boom in a stream"):
            perplexity(texts, model=tiny, batch_size=4, device="cpu")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_padding_never_changes_a_score(tiny):
    short = "the cat sat"
    alone = perplexity([short], model=tiny, device="cpu")[0]
    with_long = perplexity([short, " ".join(["the big red house"] * 12)], model=tiny, device="cpu")[0]
    assert with_long == pytest.approx(alone, rel=1e-5)


def test_frame_columns_tokens_and_missing(tiny):
    s = pd.Series(["the cat sat on the mat", "", None, "dog"], index=["a", "b", "c", "d"])
    f = perplexity_frame(s, model=tiny, device="cpu")
    assert list(f.columns) == ["n_tokens", "mean_log_likelihood", "perplexity", "n_bytes", "bits_per_byte"]
    assert list(f.index) == ["a", "b", "c", "d"]
    assert f["n_tokens"].tolist() == [6, 0, 0, 1]
    assert f["perplexity"].isna().tolist() == [False, True, True, False]
    np.testing.assert_allclose(f["perplexity"].iloc[[0, 3]], np.exp(-f["mean_log_likelihood"].iloc[[0, 3]]))
    # bits per byte: the total negative log-likelihood in bits over the UTF-8 bytes
    assert f["n_bytes"].tolist() == [22, 0, 0, 3]
    expected = -f["mean_log_likelihood"] * f["n_tokens"] / (np.log(2) * f["n_bytes"])
    np.testing.assert_allclose(f["bits_per_byte"].iloc[[0, 3]], expected.iloc[[0, 3]])
    assert f["bits_per_byte"].isna().tolist() == [False, True, True, False]


def test_sliding_window_scores_every_token_once(tiny):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    text = " ".join(_texts(4, seed=3))
    tok = AutoTokenizer.from_pretrained(tiny)
    model = AutoModelForCausalLM.from_pretrained(tiny).eval()
    seq = [0, *tok(text, add_special_tokens=False)["input_ids"]]
    max_length, stride = 16, 6
    assert len(seq) > 3 * max_length
    # reference: the strided-window recipe of the transformers perplexity guide
    nll, count, prev_end = 0.0, 0, 1
    for begin in range(0, len(seq), stride):
        end = min(begin + max_length, len(seq))
        ids = torch.tensor([seq[begin:end]])
        labels = ids.clone()
        trg = end - max(prev_end, begin + 1)
        labels[:, : ids.shape[1] - trg] = -100
        with torch.no_grad():
            loss = model(input_ids=ids, labels=labels).loss
        nll += float(loss) * trg
        count += trg
        prev_end = end
        if end == len(seq):
            break
    f = perplexity_frame([text], model=tiny, max_length=max_length, stride=stride, device="cpu")
    assert int(f["n_tokens"].iloc[0]) == len(seq) - 1 == count
    assert f["perplexity"].iloc[0] == pytest.approx(math.exp(nll / count), rel=1e-5)


def test_long_text_beyond_model_context(tiny):
    text = " ".join(_texts(10, seed=4))  # far more than the 64 positions of the tiny model
    f = perplexity_frame([text], model=tiny, device="cpu")
    assert f["n_tokens"].iloc[0] > 64
    assert np.isfinite(f["perplexity"].iloc[0])


def test_faster_precisions_rank_like_fp32(tiny):
    texts = _texts(30, seed=5)
    ref = perplexity(texts, model=tiny, device="cpu")
    for precision in ("int8", "bf16"):
        got = perplexity(texts, model=tiny, device="cpu", precision=precision)
        assert spearmanr(ref, got).statistic > 0.9, precision


def test_model_is_loaded_once_per_process(tiny):
    a = load_language_model(tiny, device="cpu")
    b = load_language_model(str(tiny), device="cpu")
    assert a is b


def test_offline_save_load_roundtrip(tiny, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    r = resolve_model(tiny, kind="causal_lm")
    assert r.source == "local_dir" and r.is_local
    assert np.isfinite(perplexity(["the cat"], model=tiny, device="cpu")).all()


def test_missing_local_model_names_path_and_fix(tmp_path):
    missing = tmp_path / "models" / "gpt2"
    with pytest.raises(ModelNotAvailableError, match=r"(?s)models/gpt2.*does not exist.*save_pretrained"):
        perplexity(["hello"], model=missing)


def test_hub_name_offline_without_local_copy(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotAvailableError, match=r"(?s)'workbench-tests/no-such-lm'.*hub cache.*HF_HUB_OFFLINE.*local copy"):
        perplexity(["hello"], model="workbench-tests/no-such-lm")


def test_hub_name_without_network_fails_at_once_with_the_reason(monkeypatch):
    """Not offline by setting, but nothing answers: the error comes from one probe, not retries."""
    import huggingface_hub
    from huggingface_hub.errors import RepositoryNotFoundError

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr("workbench._models.hub_offline", lambda: False)
    calls = []

    def no_network(repo, **kwargs):
        calls.append(repo)
        raise ConnectionError("[Errno -2] Name or service not known")

    monkeypatch.setattr(huggingface_hub, "model_info", no_network)
    with pytest.raises(ModelNotAvailableError, match=r"(?s)'workbench-tests/no-such-lm'.*the model hub\..*"
                       r"cannot be reached \(ConnectionError: \[Errno -2\].*local copy"):
        perplexity(["hello"], model="workbench-tests/no-such-lm")
    assert calls == ["workbench-tests/no-such-lm"]

    def not_found(repo, **kwargs):
        err = RepositoryNotFoundError.__new__(RepositoryNotFoundError)  # its __init__ wants an HTTP response
        Exception.__init__(err, "404 Client Error: Repository Not Found")
        raise err

    monkeypatch.setattr(huggingface_hub, "model_info", not_found)
    with pytest.raises(ModelNotAvailableError, match=r"has no repository 'workbench-tests/no-such-lm'.*spelling"):
        resolve_model("workbench-tests/no-such-lm", kind="causal_lm")

    monkeypatch.setattr(huggingface_hub, "model_info", lambda repo, **kwargs: object())
    assert resolve_model("workbench-tests/no-such-lm", kind="causal_lm").source == "hub"


def test_hub_name_really_unavailable_here(monkeypatch):
    """No mock: without network (CI) or with it (no such repository) the answer is the same error."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr("workbench._models.hub_offline", lambda: False)
    with pytest.raises(ModelNotAvailableError, match=r"'workbench-tests/no-such-lm'.*the model hub"):
        resolve_model("workbench-tests/no-such-lm", kind="causal_lm")


def test_bad_arguments(tiny):
    with pytest.raises(TypeError, match="single str"):
        perplexity("the cat", model=tiny)
    with pytest.raises(WorkbenchError, match="must hold text"):
        perplexity(["the cat", 3], model=tiny)
    with pytest.raises(WorkbenchError, match="batch_size=0"):
        perplexity(["the cat"], model=tiny, batch_size=0)
    with pytest.raises(WorkbenchError, match="stride=20"):
        perplexity(["the cat"], model=tiny, max_length=16, stride=20)
    with pytest.raises(WorkbenchError, match="precision='fp16'"):
        perplexity(["the cat"], model=tiny, precision="fp16")  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="device='cuda:7'|device='tpu'"):
        perplexity(["the cat"], model=tiny, device="tpu")


# ---- the embedded SmolLM2-135M (≈20 s to load; loaded once for this module) ----


@pytest.fixture(scope="module")
def smollm2():
    return load_language_model(None, device="cpu")


@pytest.mark.slow
def test_embedded_smollm2_fluent_below_word_salad(smollm2):
    fluent = [
        "The children walked to school together on a sunny morning in May. They talked about "
        "the football match and the test they had to take after lunch.",
        "She opened the window to let some fresh air into the small kitchen. Then she put the "
        "kettle on and sat down at the table to read the newspaper.",
        "The council met on Thursday evening to discuss the new bus routes. Most residents "
        "welcomed the plan, but some worried about the noise near the school.",
    ]
    rng = np.random.default_rng(0)
    salad = [" ".join(rng.permutation(t.rstrip(".").lower().split())) + "." for t in fluent]
    ppl = perplexity_frame(fluent + salad, model=smollm2, batch_size=6)
    fl = ppl["perplexity"].iloc[:3].to_numpy()
    sa = ppl["perplexity"].iloc[3:].to_numpy()
    assert np.median(fl) < 60
    assert (fl * 3 < sa).all()
    # the <|endoftext|> prefix scores the first token too
    n = [len(smollm2.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in fluent]
    assert ppl["n_tokens"].iloc[:3].tolist() == n
