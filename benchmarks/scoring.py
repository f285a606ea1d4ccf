"""Scoring throughput, measured in one run and printed side by side.

    .venv/bin/python benchmarks/scoring.py [--n-docs 160] [--threads N] [--skip-clip]

Sections (goals from issue 4):
1. perplexity tokens/s, length-sorted batches of 16 vs the naive one-text loop (≥ 1.1×).
   The naive loop is what the transformers docs show: ``model(ids, labels=ids).loss`` per
   text. Our own code called one text at a time is printed too (batching alone). Use enough
   documents to fill batches: with ``--n-docs 24`` spread over 75–234 tokens, the ≤ 10 %
   padding rule leaves ~3 texts per batch, unlike any real corpus;
2. the same as a share of this machine's fp32 matmul throughput, measured here with
   ``torch.matmul`` on model-shaped operands (model FLOPs ≈ 2 · parameters · tokens; ≥ 60 %);
3. the opt-in faster CPU modes (int8 dynamic quantization, bf16): speed-up over fp32
   (≥ 1.5×) and Spearman correlation of their perplexities with fp32 (≥ 0.99);
4. a cached rerun of ``score_texts`` vs its first run (≥ 50×);
5. CLIP pairs/s (``benchmarks/scoring_clip.py``'s ``run()``, when present);
6. GPU vs CPU tokens/s where a GPU is present (≥ 20×).

Timings on a shared CPU are noisy; ratios measured in the same run are what to compare.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.scoring import load_language_model, perplexity_frame, score_texts  # noqa: E402


def _texts(n: int) -> list[str]:
    corpus = pd.read_json(ROOT / "data_samples" / "corpus.jsonl", lines=True, dtype={"doc_id": str})
    truth = pd.read_csv(ROOT / "data_samples" / "truth" / "corpus_rows.csv", dtype={"doc_id": str})
    clean = corpus.merge(truth, on="doc_id").query("kind == 'clean'")
    return clean["text"].head(n).tolist()


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def matmul_gflops(hidden: int, inter: int, rows: int = 2048, repeats: int = 20) -> float:
    """fp32 GFLOP/s of torch.matmul on model-shaped operands (rows × hidden @ hidden × inter)."""
    a = torch.randn(rows, hidden)
    b = torch.randn(hidden, inter)
    torch.matmul(a, b)
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(repeats):
            torch.matmul(a, b)
        dt = time.perf_counter() - t0
        best = max(best, 2 * rows * hidden * inter * repeats / dt / 1e9)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-docs", type=int, default=160, help="clean sample documents to score")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--skip-clip", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    texts = _texts(args.n_docs)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(texts)} documents")

    lm, load_s = _timed(lambda: load_language_model(None, device="cpu"))
    print(f"load SmolLM2-135M (GGUF → fp32): {load_s:.1f} s; {lm.n_params / 1e6:.1f} M parameters")
    perplexity_frame(texts[:2], model=lm)  # warm-up

    # 1. naive loop vs batched
    def hf_loop() -> np.ndarray:
        """The textbook loop: one text, the model's own loss, exp."""
        out = []
        for t in texts:
            ids = torch.tensor([[lm.prefix_id, *lm.tokenizer(t, add_special_tokens=False)["input_ids"]]])
            with torch.inference_mode():
                out.append(float(torch.exp(lm.model(input_ids=ids, labels=ids).loss)))
        return np.array(out)

    def ours_one_by_one() -> pd.DataFrame:
        return pd.concat([perplexity_frame([t], model=lm, batch_size=1) for t in texts], ignore_index=True)

    naive, t_naive = _timed(hf_loop)
    loop, t_loop = _timed(ours_one_by_one)
    batched, t_batch = _timed(lambda: perplexity_frame(texts, model=lm, batch_size=16))
    tokens = int(batched["n_tokens"].sum()) + len(texts)  # the <|endoftext|> prefix is computed too
    ppl = batched["perplexity"].to_numpy()
    rel_naive = np.max(np.abs(naive / ppl - 1))
    rel_loop = np.max(np.abs(loop["perplexity"].to_numpy() / ppl - 1))
    print("\n== 1. perplexity, one text at a time vs length-sorted batches of 16 (fp32, CPU)")
    print(f"naive loop, model(ids, labels=ids) : {tokens / t_naive:8.1f} tokens/s  ({t_naive:.1f} s)")
    print(f"ours, batch_size=1, one text a call: {tokens / t_loop:8.1f} tokens/s  ({t_loop:.1f} s)")
    print(f"ours, batched                      : {tokens / t_batch:8.1f} tokens/s  ({t_batch:.1f} s)")
    print(f"speed-up vs the naive loop         : {t_naive / t_batch:8.2f}x  (goal >= 1.1x); "
          f"max relative difference {rel_naive:.2e} (goal <= 1e-4)")
    print(f"speed-up from batching alone       : {t_loop / t_batch:8.2f}x; max relative difference {rel_loop:.2e}")

    # 2. share of measured matmul throughput
    cfg = lm.model.config
    peak = matmul_gflops(int(cfg.hidden_size), int(getattr(cfg, "intermediate_size", 4 * cfg.hidden_size)))
    achieved = 2 * lm.n_params * tokens / t_batch / 1e9
    print("\n== 2. share of this machine's fp32 matmul throughput")
    print(f"torch.matmul fp32 (2048x{cfg.hidden_size} @ {cfg.hidden_size}x{cfg.intermediate_size}): {peak:8.1f} GFLOP/s")
    print(f"batched perplexity (2 * params * tokens)          : {achieved:8.1f} GFLOP/s")
    print(f"share      : {achieved / peak:8.1%}  (goal >= 60%)")

    # 3. faster CPU modes
    print("\n== 3. opt-in faster CPU modes vs fp32 (batched)")
    ref = batched["perplexity"].to_numpy()
    for precision in ("int8", "bf16"):
        fast_lm, fast_load = _timed(lambda p=precision: load_language_model(None, device="cpu", precision=p))
        perplexity_frame(texts[:2], model=fast_lm)
        fast, t_fast = _timed(lambda m=fast_lm: perplexity_frame(texts, model=m, batch_size=16))
        rho = spearmanr(ref, fast["perplexity"].to_numpy()).statistic
        mad = np.median(np.abs(fast["perplexity"].to_numpy() / ref - 1))
        print(f"{precision:5s}: {tokens / t_fast:8.1f} tokens/s, speed-up {t_batch / t_fast:5.2f}x (goal >= 1.5x), "
              f"Spearman vs fp32 {rho:.4f} (goal >= 0.99), median |relative change| {mad:.2%}; conversion {fast_load:.1f} s")

    # 4. cached rerun
    print("\n== 4. score_texts (stats + language + perplexity) first run vs cached rerun")
    with tempfile.TemporaryDirectory() as cache:
        _, t_first = _timed(lambda: score_texts(texts, cache=cache, device="cpu"))
        _, t_again = _timed(lambda: score_texts(texts, cache=cache, device="cpu"))
    print(f"first run  : {t_first:8.2f} s (model already loaded)")
    print(f"cached     : {t_again:8.3f} s")
    print(f"speed-up   : {t_first / t_again:8.0f}x  (goal >= 50x)")

    # 5. CLIP
    clip_bench = Path(__file__).with_name("scoring_clip.py")
    print("\n== 5. CLIP score throughput")
    if args.skip_clip:
        print("skipped (--skip-clip)")
    elif clip_bench.is_file():
        spec = importlib.util.spec_from_file_location("scoring_clip", clip_bench)
        mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(mod)  # type: ignore[union-attr]
        mod.run()
    else:
        print("benchmarks/scoring_clip.py is not there; nothing to run")

    # 6. GPU
    print("\n== 6. GPU vs CPU")
    if torch.cuda.is_available():
        gpu_lm = load_language_model(None, device="cuda")
        perplexity_frame(texts[:2], model=gpu_lm)
        torch.cuda.synchronize()
        gpu, t_gpu = _timed(lambda: perplexity_frame(texts, model=gpu_lm, batch_size=16))
        torch.cuda.synchronize()
        grel = np.max(np.abs(gpu["perplexity"].to_numpy() / ref - 1))
        print(f"GPU {torch.cuda.get_device_name()}: {tokens / t_gpu:8.1f} tokens/s, {t_batch / t_gpu:6.1f}x the CPU "
              f"(goal >= 20x); max relative difference to CPU {grel:.2e}")
    else:
        print("no CUDA GPU here; run this script on a GPU machine for this section")


if __name__ == "__main__":
    main()
