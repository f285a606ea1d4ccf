"""Perplexity of one long document: peak memory and time, ours beside the naive recipe.

    .venv/bin/python benchmarks/perplexity_long.py [--model default|tiny|PATH] [--sizes 1000000 10000000]
                                                    [--naive-up-to 10000000] [--max-length 1024]

Ours: ``perplexity_frame`` streams a text longer than ``long_text_chars`` (100,000 characters)
piece by piece, carrying ``max_length - stride`` tokens of context, with a progress bar.
Naive: the recipe of the transformers docs ("Perplexity of fixed-length models"): tokenize the
whole text, slide a window of ``max_length`` tokens by ``stride``, ``model(ids, labels=...)``
per window. Each run is a fresh process, so its peak resident memory (``ru_maxrss``) is its
own. ``--model default`` is the embedded SmolLM2-135M (loads in ~20 s; ~0.5–2 k tokens/s on
two CPU cores, so 10 MB ≈ 2.5 M tokens takes an hour there); ``--model tiny`` is a 2-layer
random Llama from the tests (same tokenization and windowing work, little model time), which
shows how memory grows with length in minutes. The document is fluent synthetic prose from
the sample generator, repeated to the size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _document(n_chars: int) -> str:
    from workbench import io

    corpus = io.load_table(ROOT / "data_samples" / "corpus.jsonl")
    base = "\n\n".join(corpus["text"].head(400).astype(str))
    return (base * (n_chars // len(base) + 1))[:n_chars]


def _model_path(model: str, tmp: Path) -> str | None:
    if model == "default":
        return None
    if model == "tiny":
        from tests.tiny_models import save_tiny_lm

        return str(save_tiny_lm(tmp / "tiny", "llama"))
    return model


def _child(method: str, model: str | None, n_chars: int, max_length: int) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    import math

    import torch

    from workbench.scoring.perplexity import load_language_model, perplexity_frame

    torch.set_num_threads(max(1, torch.get_num_threads()))
    lm = load_language_model(model, device="cpu")
    text = _document(n_chars)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    if method == "ours":
        out = perplexity_frame([text], model=lm, max_length=max_length, progress=sys.stderr.isatty())
        ppl, n_tok = float(out["perplexity"].iloc[0]), int(out["n_tokens"].iloc[0])
    else:  # the transformers docs' recipe, whole text tokenized at once
        enc = lm.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        ids = torch.cat([torch.tensor([[lm.prefix_id]]), enc.input_ids], dim=1)
        stride, seq_len, nll_sum, n_tok, prev_end = max_length // 2, ids.size(1), 0.0, 0, 0
        with torch.inference_mode():
            for begin in range(0, seq_len, stride):
                end = min(begin + max_length, seq_len)
                trg_len = end - prev_end
                input_ids = ids[:, begin:end]
                target_ids = input_ids.clone()
                target_ids[:, :-trg_len] = -100
                loss = lm.model(input_ids, labels=target_ids).loss
                n_valid = int((target_ids != -100).sum()) - 1
                nll_sum += float(loss) * n_valid
                n_tok += n_valid
                prev_end = end
                if end == seq_len:
                    break
        ppl = math.exp(nll_sum / n_tok)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"method": method, "chars": n_chars, "seconds": seconds, "tokens": n_tok,
                      "peak_mb": peak / 1024, "model_mb": base_rss / 1024, "perplexity": ppl}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="default", help="default (SmolLM2-135M), tiny, or a local model path")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--naive-up-to", type=int, default=10_000_000, help="skip the naive run above this size")
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        method, model, n_chars, max_length = args.child
        _child(method, None if model == "-" else model, int(n_chars), int(max_length))
        return
    with tempfile.TemporaryDirectory() as tmp:
        model = _model_path(args.model, Path(tmp))
        print(f"model: {args.model}; window {args.max_length} tokens, stride {args.max_length // 2}")
        print(f"{'size':>10} {'method':>6} {'seconds':>9} {'tokens':>10} {'peak MB':>9} "
              f"{'(model MB)':>10} {'perplexity':>11}")
        results: dict[tuple[int, str], dict[str, float]] = {}
        for size in args.sizes:
            for method in ("ours", "naive"):
                if method == "naive" and size > args.naive_up_to:
                    continue
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", method, model or "-", str(size), str(args.max_length)],
                    capture_output=True, text=True, check=False,
                )
                if proc.returncode != 0:
                    print(f"{size:>10,} {method:>6} failed: {proc.stderr.strip().splitlines()[-1:]}")
                    continue
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                results[(size, method)] = r
                print(f"{size:>10,} {method:>6} {r['seconds']:>9.1f} {r['tokens']:>10,} {r['peak_mb']:>9.0f} "
                      f"{r['model_mb']:>10.0f} {r['perplexity']:>11.3f}")
            if (size, "ours") in results and (size, "naive") in results:
                o, n = results[(size, "ours")], results[(size, "naive")]
                print(f"{'':>10} ratio naive/ours: time {n['seconds'] / o['seconds']:.2f}x, "
                      f"memory above the model {(n['peak_mb'] - n['model_mb']) / max(o['peak_mb'] - o['model_mb'], 1):.2f}x")


if __name__ == "__main__":
    main()
