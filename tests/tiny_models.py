"""A tiny causal LM with random weights, built from a config and saved like save_pretrained()
output: the offline stand-in for a real model in the scoring tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

WORDS = (
    "the a cat dog sat ran on under mat table and with of to is was big small red blue "
    "house garden window bird saw quickly slowly today yesterday".split()
)


def tiny_tokenizer(directory: Path):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<|endoftext|>": 0, "[UNK]": 1, **{w: i + 2 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", eos_token="<|endoftext|>", pad_token="<|endoftext|>"
    )
    fast.save_pretrained(directory)
    return fast, len(vocab)


def save_tiny_lm(directory: Path, arch: str, seed: int = 0) -> Path:
    """A tiny causal LM with random weights, saved like save_pretrained() output."""
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    directory.mkdir(parents=True, exist_ok=True)
    _, vocab = tiny_tokenizer(directory)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        if arch == "llama":
            cfg = LlamaConfig(
                vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                bos_token_id=0, eos_token_id=0, pad_token_id=0,
            )
            model = LlamaForCausalLM(cfg)
        else:
            cfg = GPT2Config(vocab_size=vocab, n_embd=32, n_layer=2, n_head=4, n_positions=64,
                             bos_token_id=0, eos_token_id=0)
            model = GPT2LMHeadModel(cfg)
    model.save_pretrained(directory)
    return directory


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models gain nothing from two threads; on a shared CPU they lose a lot.

    Autouse in every test module that imports it.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
