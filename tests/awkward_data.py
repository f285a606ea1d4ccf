"""Hand-made awkward inputs for the real-data gauntlet (tests/test_real_data_gauntlet.py).

Every table here is small, deterministic and written by the tests themselves: no sample data.
Each maker returns a DataFrame in the data model's long format.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "alpaca_eval_preferences",
    "annotations",
    "prodigy_annotations",
    "prodigy_corpus",
    "systems_preferences",
]


def annotations(
    *,
    n_items: int = 60,
    n_annotators: int = 5,
    per_item: int = 3,
    start: str = "2024-03-01 09:00",
    span: str = "40min",
    labels: tuple[str, ...] = ("pos", "neg"),
    accuracy: float = 0.85,
    ids: str = "ann-{:03d}",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Annotations (item_id, annotator_id, label, timestamp) and their gold, no cohort or category.

    ``per_item`` annotators (cycled) judge each item; ``accuracy`` is each judgment's chance
    to equal the gold label; timestamps spread evenly over ``span`` from ``start``.
    """
    rng = np.random.default_rng(seed)
    gold = pd.DataFrame({"item_id": [f"it{i:04d}" for i in range(n_items)],
                         "label": rng.choice(list(labels), size=n_items)})
    rows = []
    k = min(per_item, n_annotators)
    for i, (item, truth) in enumerate(gold.itertuples(index=False)):
        for j in range(k):
            who = ids.format((i * k + j) % n_annotators)
            if len(labels) > 1 and rng.random() > accuracy:
                label = rng.choice([lab for lab in labels if lab != truth])
            else:
                label = truth
            rows.append((item, who, label))
    ann = pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])
    t0, width = pd.Timestamp(start), pd.Timedelta(span)
    offsets = pd.to_timedelta(np.linspace(0, width.value, len(ann)).astype(np.int64), unit="ns")
    ann["timestamp"] = (t0 + offsets).strftime("%Y-%m-%dT%H:%M:%S")
    return ann, gold


def systems_preferences(n: int = 120, *, seed: int = 0, soft: bool = True) -> pd.DataFrame:
    """Preferences where the positions are systems: model_a = 'base-v1' always in a, 'cand-v2' in b.

    The judge prefers b (the candidate) with probability 0.3, so position bias would be a wrong
    reading; ``soft`` adds ``win_probability`` (P(b preferred)).
    """
    rng = np.random.default_rng(seed)
    p = np.clip(rng.beta(2, 4, size=n), 0, 1)
    b_wins = rng.random(n) < p
    words = ["alpha", "beta", "gamma", "delta", "eps"]
    df = pd.DataFrame({
        "pair_id": [f"q{i}" for i in range(n)],
        "annotator_id": "judge",
        "choice": np.where(b_wins, "b", "a"),
        "response_a": [" ".join(rng.choice(words, size=rng.integers(3, 40))) for _ in range(n)],
        "response_b": [" ".join(rng.choice(words, size=rng.integers(3, 40))) for _ in range(n)],
        "model_a": "base-v1",
        "model_b": "cand-v2",
    })
    if soft:
        df["win_probability"] = np.round(p, 4)
    return df


def prodigy_annotations(path: Path) -> pd.DataFrame:
    """The Prodigy export as annotations: latest answer per (item, annotator), ``ignore`` dropped."""
    p = pd.read_json(path, lines=True)
    p = p[p["answer"] != "ignore"].sort_values("_timestamp")
    p = p.drop_duplicates(["_input_hash", "_annotator_id"], keep="last")
    return pd.DataFrame({
        "item_id": p["_input_hash"].astype(str),
        "annotator_id": p["_annotator_id"].astype(str),
        "label": p["answer"],
        "timestamp": pd.to_datetime(p["_timestamp"], unit="s").dt.strftime("%Y-%m-%dT%H:%M:%S"),
    }).reset_index(drop=True)


def prodigy_corpus(path: Path) -> pd.DataFrame:
    """The Prodigy export's sentences as a corpus (doc_id, text)."""
    p = pd.read_json(path, lines=True).drop_duplicates("_input_hash")
    return pd.DataFrame({"doc_id": p["_input_hash"].astype(str), "text": p["text"]}).reset_index(drop=True)


def alpaca_eval_preferences(path: Path) -> pd.DataFrame:
    """AlpacaEval annotations as preferences: output_1 in position a (the baseline), output_2 in b.

    ``win_probability`` = preference - 1 (P(output_2 preferred)); a preference of 0 is a draw (0.5).
    """
    rows = json.loads(gzip.decompress(path.read_bytes()))
    d = pd.DataFrame(rows)
    pref = d["preference"].astype(float)
    win = np.where(pref == 0, 0.5, pref - 1.0)
    return pd.DataFrame({
        "pair_id": [f"ae{i}" for i in range(len(d))],
        "annotator_id": d["annotator"].astype(str),
        "choice": np.where(win > 0.5, "b", np.where(win < 0.5, "a", "tie")),
        "response_a": d["output_1"].fillna("").astype(str),
        "response_b": d["output_2"].fillna("").astype(str),
        "model_a": d["generator_1"].astype(str),
        "model_b": d["generator_2"].astype(str),
        "win_probability": win,
    })
