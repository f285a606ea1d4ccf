"""Pairwise preferences with length-, position-biased and random annotators.

Choice model (shared with :mod:`workbench.samples.vendors`): every pair has a true better
response (``a`` or ``b`` with probability 1/2), drawn independently of the response lengths.
A judgment is a tie with probability ``p_tie``; otherwise it is driven by length with weight
``w_len = 2 * p_longer - 1`` (picks the longer response), by position with weight
``w_pos = 2 * p_position_a - 1`` (picks ``a``), and otherwise by quality (picks the better
response with probability ``accuracy``). As the better response is independent of length
and position, an annotator with parameter ``p_longer`` picks the longer response with
probability ``p_longer`` among its a/b choices, and one with ``p_position_a`` picks ``a``
with that probability.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench._validation import as_rng
from workbench.errors import WorkbenchError
from workbench.samples.base import (
    SAMPLE_START,
    Picker,
    Sample,
    cap,
    check_count,
    check_prob,
    iso,
    n_words,
)
from workbench.samples.templates import preferences as T
from workbench.samples.truth import PreferencesTruth

__all__ = ["judge", "judgment_table", "make_preferences", "preference_pairs"]


def _responses(
    picker: Picker, category: Sequence[str] | np.ndarray, target_words: np.ndarray, goals: Sequence[str]
) -> list[str]:
    out = []
    for cat, target, goal in zip(category, target_words, goals, strict=True):
        vocab = {**T.VOCAB[cat], "goal": [goal]}
        words = 0
        parts: list[str] = []
        if picker.u() < 0.4:
            parts.append(picker.pick(T.OPENERS))
            words += len(parts[-1].split())
        used: set[str] = set()
        while words < target:
            for _ in range(6):  # avoid repeating a sentence within one response
                s = cap(picker.fill(picker.pick(T.SENTENCES), vocab))
                if s not in used:
                    break
            used.add(s)
            parts.append(s)
            words += len(s.split())
        out.append(" ".join(parts))
    return out


def preference_pairs(
    gen: np.random.Generator, n_pairs: int, *, min_words: int = 20, max_words: int = 300
) -> pd.DataFrame:
    """Prompts, two responses each (lengths log-uniform), and the true better response."""
    picker = Picker(gen)
    cats = np.array(sorted(T.VOCAB))
    category = cats[gen.integers(0, len(cats), n_pairs)]
    goals = [picker.pick(T.VOCAB[c]["goal"]) for c in category]
    prompts = [picker.fill(picker.pick(T.PROMPTS), {"goal": [g]}) for g in goals]
    lo, hi = math.log(min_words), math.log(max_words)
    target = np.exp(gen.uniform(lo, hi, size=(n_pairs, 2))).astype(int)
    resp_a = _responses(picker, category, target[:, 0], goals)
    resp_b = _responses(picker, category, target[:, 1], goals)
    width = len(str(n_pairs - 1))
    return pd.DataFrame(
        {
            "pair_id": [f"p{i:0{width}d}" for i in range(n_pairs)],
            "prompt": prompts,
            "response_a": resp_a,
            "response_b": resp_b,
            "category": category,
            "len_a": n_words(resp_a),
            "len_b": n_words(resp_b),
            "true_choice": np.where(gen.random(n_pairs) < 0.5, "a", "b"),
        }
    )


def judge(
    gen: np.random.Generator,
    true_choice: np.ndarray,
    len_a: np.ndarray,
    len_b: np.ndarray,
    *,
    accuracy: np.ndarray,
    p_longer: np.ndarray,
    p_position_a: np.ndarray,
    p_random: np.ndarray,
    p_tie: float,
) -> np.ndarray:
    """Vectorised choice model (see the module docstring); all arrays per judgment.

    Returns the choices (``"a"``, ``"b"`` or ``"tie"``), object array.
    """
    n = len(true_choice)
    u_tie, u_mode, u_acc, u_coin = gen.random((4, n))
    w_len = np.clip(2 * p_longer - 1, 0, 1)
    w_pos = np.clip(2 * p_position_a - 1, 0, 1)
    longer = np.where(len_a > len_b, "a", np.where(len_b > len_a, "b", ""))
    other = np.where(true_choice == "a", "b", "a")
    by_quality = np.where(u_acc < accuracy, true_choice, other)
    coin = np.where(u_coin < 0.5, "a", "b")
    choice = by_quality
    # modes are exclusive: random, then position, then length, then quality
    cut_rand = p_random
    cut_pos = cut_rand + (1 - p_random) * w_pos
    cut_len = cut_pos + (1 - p_random) * (1 - w_pos) * w_len
    choice = np.where(u_mode < cut_len, np.where(longer == "", by_quality, longer), choice)
    choice = np.where(u_mode < cut_pos, "a", choice)
    choice = np.where(u_mode < cut_rand, coin, choice)
    return np.where(u_tie < p_tie, "tie", choice).astype(object)


def judgment_table(
    pairs: pd.DataFrame, pi: np.ndarray, annotator_id: np.ndarray, choice: np.ndarray,
    timestamp: np.ndarray, duration_s: np.ndarray,
) -> pd.DataFrame:
    """One row per judgment of pair ``pairs.iloc[pi]``, in the preferences table's columns."""
    return pd.DataFrame(
        {
            "pair_id": pairs["pair_id"].to_numpy()[pi],
            "annotator_id": annotator_id,
            "choice": choice,
            "response_a": pairs["response_a"].to_numpy()[pi],
            "response_b": pairs["response_b"].to_numpy()[pi],
            "prompt": pairs["prompt"].to_numpy()[pi],
            "category": pairs["category"].to_numpy()[pi],
            "timestamp": timestamp,
            "duration_s": duration_s,
            "len_a": pairs["len_a"].to_numpy()[pi],
            "len_b": pairs["len_b"].to_numpy()[pi],
        }
    )


def make_preferences(
    n_pairs: int = 200,
    n_annotators: int = 5,
    *,
    p_longer: float = 0.8,
    n_length_biased: int = 2,
    p_position_a: float = 0.8,
    n_position_biased: int = 1,
    n_random: int = 1,
    accuracy: float = 0.9,
    p_tie: float = 0.04,
    rng: int | np.random.Generator | None = 0,
) -> Sample[PreferencesTruth]:
    """Pairwise preferences where some annotators prefer longer responses or position a.

    Every annotator judges every pair. ``n_length_biased`` annotators pick the longer
    response with probability ``p_longer``, ``n_position_biased`` pick ``a`` with
    probability ``p_position_a``, ``n_random`` flip a coin, and the rest are honest (pick
    the better response with probability ``accuracy``); roles are assigned to annotator ids
    in a random order recorded in the truth. The better response is independent of length.

    Parameters
    ----------
    n_pairs, n_annotators
        Size of the sample.
    p_longer, n_length_biased
        Probability that a length-biased annotator picks the longer response (among its
        a/b choices); how many such annotators.
    p_position_a, n_position_biased
        Probability that a position-biased annotator picks ``a``; how many.
    n_random
        Near-random annotators (coin flip).
    accuracy
        Probability that a judgment made on quality picks the better response.
    p_tie
        Probability of a tie, for every annotator.
    rng
        Seed or Generator.

    Returns
    -------
    Sample
        ``tables["preferences_5x200"]``: pair_id, annotator_id, choice, response_a,
        response_b, prompt, category, timestamp, duration_s, len_a, len_b.
        ``truth``: roles and parameters; ``truth["rows"]``: pair_id, true_choice, len_a, len_b.

    Examples
    --------
    >>> s = make_preferences(20, 5, rng=1)
    >>> s.tables["preferences_5x200"].shape
    (100, 11)
    >>> sorted(s.truth["roles"].values())
    ['honest', 'length_biased', 'length_biased', 'position_biased', 'random']
    """
    check_count("n_pairs", n_pairs)
    check_count("n_annotators", n_annotators)
    for name, v in (("p_longer", p_longer), ("p_position_a", p_position_a),
                    ("accuracy", accuracy), ("p_tie", p_tie)):
        check_prob(name, v)
    n_special = n_length_biased + n_position_biased + n_random
    if min(n_length_biased, n_position_biased, n_random) < 0 or n_special > n_annotators:
        raise WorkbenchError(
            f"n_length_biased + n_position_biased + n_random = {n_special} must be between 0 "
            f"and n_annotators={n_annotators}; raise n_annotators or lower the counts."
        )
    gen = as_rng(rng)
    pairs = preference_pairs(gen, n_pairs)
    width = len(str(n_annotators))
    ann_ids = [f"ann_{i + 1:0{width}d}" for i in range(n_annotators)]
    role_list = (["length_biased"] * n_length_biased + ["position_biased"] * n_position_biased
                 + ["random"] * n_random + ["honest"] * (n_annotators - n_special))
    roles = dict(zip(ann_ids, np.array(role_list)[gen.permutation(n_annotators)].tolist(), strict=True))
    role_arr = np.array([roles[a] for a in ann_ids])

    n = n_pairs * n_annotators
    pi = np.repeat(np.arange(n_pairs), n_annotators)
    ai = np.tile(np.arange(n_annotators), n_pairs)
    r = role_arr[ai]
    choice = judge(
        gen,
        pairs["true_choice"].to_numpy()[pi],
        pairs["len_a"].to_numpy()[pi],
        pairs["len_b"].to_numpy()[pi],
        accuracy=np.full(n, accuracy),
        p_longer=np.where(r == "length_biased", p_longer, 0.5),
        p_position_a=np.where(r == "position_biased", p_position_a, 0.5),
        p_random=(r == "random").astype(float),
        p_tie=p_tie,
    )
    words = (pairs["len_a"].to_numpy() + pairs["len_b"].to_numpy())[pi]
    speed = np.where(r == "random", 0.3, 1.0)
    duration = np.round(speed * (15 + 0.25 * words) * gen.lognormal(0, 0.3, n), 1)
    # each annotator works through the pairs in its own order over two weeks, daytime
    order = np.argsort(gen.random((n_annotators, n_pairs)), axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n_pairs)[None, :], axis=1)
    day = rank * 14 // n_pairs
    minute = 9 * 60 + (rank * 14 * 8 * 60 // n_pairs) % (8 * 60)
    ts = SAMPLE_START + pd.to_timedelta(day.T.ravel(), unit="D") + pd.to_timedelta(
        minute.T.ravel() * 60 + gen.integers(0, 60, n), unit="s")
    table = judgment_table(pairs, pi, np.array(ann_ids)[ai], choice, iso(ts), duration)
    def with_role(role: str) -> tuple[str, ...]:
        return tuple(a for a in ann_ids if roles[a] == role)

    truth = PreferencesTruth(
        roles=roles,
        length_biased=with_role("length_biased"),
        position_biased=with_role("position_biased"),
        random=with_role("random"),
        honest=with_role("honest"),
        p_longer=p_longer,
        p_position_a=p_position_a,
        accuracy=accuracy,
        p_tie=p_tie,
        n_pairs=n_pairs,
        n_annotators=n_annotators,
        rows=pairs[["pair_id", "true_choice", "len_a", "len_b"]].copy(),
    )
    return Sample("preferences_5x200", {"preferences_5x200": table}, truth)
