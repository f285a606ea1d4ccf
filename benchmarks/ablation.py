"""Ablation timing and calibration, in one run.

Prints the time per repeat of the classification ablation (TF-IDF + logistic regression) on
the reviews sample and of the language-model ablation (Kneser–Ney bigram) on the corpus
sample, beside a naive anchor for the LM (NLTK's KneserNeyInterpolated scoring the same
reference text), and the share of null interventions (removing a random subset of the
same size) whose CI includes zero over many seeds (goal: at least 90%).

    python benchmarks/ablation.py [--seeds 40]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from workbench import ablation, io, samples

ROOT = Path(__file__).resolve().parents[1] / "data_samples"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40, help="seeds of the null-intervention check")
    args = parser.parse_args()

    ann = io.load_table(ROOT / "reviews_10x5000.csv", kind="annotations")
    items = io.load_table(ROOT / "reviews_10x5000_items.csv")
    gold = io.load_table(ROOT / "reviews_10x5000_gold.csv", kind="gold")
    sets = ablation.label_training_sets(ann, items, gold)
    t = time.perf_counter()
    res = ablation.compare_training_sets(sets.train_sets, sets.test, n_repeats=5, rng=0)
    elapsed = time.perf_counter() - t
    fits = len(sets.train_sets) * 5
    print(f"classification: {len(sets.train_sets)} sets x 5 repeats at {res.budget:,} examples: "
          f"{elapsed:.1f} s total, {elapsed / 5:.2f} s per repeat, {elapsed / fits:.2f} s per fit")

    corpus = io.load_table(ROOT / "corpus.jsonl", kind="corpus")
    reference = samples.make_corpus(300, shares={"clean": 1.0}, rng=12345).tables["corpus"]
    half = corpus.sample(frac=0.5, random_state=0)
    t = time.perf_counter()
    lm = ablation.compare_training_sets({"all": corpus, "half": half}, reference, task="language_model",
                                        n_repeats=5, rng=0)
    elapsed = time.perf_counter() - t
    print(f"language model: 2 sets x 5 repeats at {lm.budget:,} tokens: {elapsed:.1f} s total, "
          f"{elapsed / 5:.2f} s per repeat")

    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import padded_everygram_pipeline

    toks = [ablation.tokenize(t) for t in half["text"].astype(str)]
    ref_toks = [ablation.tokenize(t) for t in reference["text"].astype(str)]
    t = time.perf_counter()
    ours = ablation.KneserNeyBigram(sorted({w for d in ref_toks for w in d})).fit(half["text"].astype(str).tolist())
    ours.log_likelihood(reference["text"].astype(str).tolist())
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    train, vocab = padded_everygram_pipeline(2, toks)
    nl = KneserNeyInterpolated(2)
    nl.fit(train, vocab)
    n_scored = 0
    for d in ref_toks[:20]:
        seq = ["<s>", *d, "</s>"]
        for a, b in zip(seq[:-1], seq[1:], strict=True):
            nl.score(b, [a])
            n_scored += 1
    t_nltk = time.perf_counter() - t
    n_ref = sum(len(d) + 1 for d in ref_toks)
    t_nltk_full = t_nltk / n_scored * n_ref  # scoring extrapolated from 20 documents
    print(f"Kneser-Ney fit + score ({n_ref:,} reference tokens): ours {t_ours:.3f} s, "
          f"NLTK ~{t_nltk_full:.1f} s (scoring extrapolated from {n_scored} tokens) -> {t_nltk_full / t_ours:.0f}x")

    truth = io.load_table(ROOT / "truth" / "reviews_10x5000_rows.csv")
    labeled = items.merge(truth[["item_id", "true_label"]], on="item_id").rename(columns={"true_label": "label"})
    covered = 0
    t = time.perf_counter()
    for seed in range(args.seeds):
        gen = np.random.default_rng(seed)
        idx = gen.permutation(len(labeled))
        test, train = labeled.iloc[idx[:400]], labeled.iloc[idx[400:2400]]
        noisy = train.assign(label=np.where(gen.random(len(train)) < 0.25, "negative", train["label"]))
        subset = noisy.drop(index=gen.choice(noisy.index, size=len(noisy) // 5, replace=False))
        r = ablation.compare_training_sets({"raw": noisy, "random_removal": subset}, test, n_repeats=5,
                                           n_bootstrap=1000, rng=seed)
        d = r.differences.set_index("metric").loc["accuracy"]
        covered += d["ci_low"] <= 0 <= d["ci_high"]
    print(f"null intervention (random removal of 20%): CI includes zero in {covered}/{args.seeds} seeds "
          f"({covered / args.seeds:.0%}; goal >= 90%), {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
