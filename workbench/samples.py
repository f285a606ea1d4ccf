"""Synthetic sample data with planted ground truth.

Every generator returns a :class:`Sample` (name, tables, truth) and is deterministic from
``rng``. The tables follow the data model of DESIGN.md; the truth holds the planted
parameters (which annotator is length-biased, when the drifting annotator changes, …) so
tests and notebooks can check that an analysis finds the effect, and finds nothing on the
null data made with the effect switched off. :func:`write_all` writes the committed files
of ``data_samples/`` (``workbench samples --out data_samples --seed 0``).

Choice model of the preference generators
-----------------------------------------
Every pair has a true better response (``a`` or ``b`` with probability 1/2), drawn
independently of the response lengths. A judgment is a tie with probability ``p_tie``;
otherwise it is driven by length with weight ``w_len = 2 * p_longer - 1`` (picks the
longer response), by position with weight ``w_pos = 2 * p_position_a - 1`` (picks ``a``),
and otherwise by quality (picks the better response with probability ``accuracy``). As the
better response is independent of length and position, an annotator with parameter
``p_longer`` picks the longer response with probability ``p_longer`` among its a/b choices,
and one with ``p_position_a`` picks ``a`` with that probability.
"""

from __future__ import annotations

import json
import math
import os
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._validation import as_rng
from workbench.errors import WorkbenchError

__all__ = [
    "Sample",
    "make_preferences",
    "make_vendors",
    "make_reviews",
    "make_relevance",
    "make_corpus",
    "make_image_captions",
    "render_caption_image",
    "caption_spec",
    "SAMPLE_NAMES",
    "write_all",
    "SAMPLE_START",
]

#: First day of every sample's timeline (a Monday).
SAMPLE_START = pd.Timestamp("2025-03-03")

_ISO = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class Sample:
    """One synthetic data set: its tables (file stem → frame) and the planted truth.

    ``truth`` holds JSON-serialisable planted parameters; ``truth["rows"]`` (if present) is
    a per-row truth frame written as ``truth/<name>_rows.csv``.
    """

    name: str
    tables: Mapping[str, pd.DataFrame]
    truth: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> pd.DataFrame | None:
        """Per-row truth (``truth/<name>_rows.csv``), or None."""
        rows = self.truth.get("rows")
        return rows if isinstance(rows, pd.DataFrame) else None

    def truth_json(self) -> dict[str, Any]:
        """The truth without the per-row frame, as written to ``truth/<name>.json``."""
        return {k: v for k, v in self.truth.items() if k != "rows"}

    def to_frame(self) -> pd.DataFrame:
        """One row per table: name, rows, columns."""
        return pd.DataFrame(
            {
                "table": list(self.tables),
                "rows": [len(t) for t in self.tables.values()],
                "columns": [", ".join(map(str, t.columns)) for t in self.tables.values()],
            }
        )

    def summary(self) -> str:
        """One paragraph: the tables and their sizes."""
        parts = ", ".join(f"{k} ({len(v):,} rows)" for k, v in self.tables.items())
        return f"Sample '{self.name}': {parts}; planted truth keys: {', '.join(self.truth_json())}."


# --------------------------------------------------------------------------------------
# text machinery
# --------------------------------------------------------------------------------------


class _Picker:
    """Fast deterministic choices from a buffer of uniforms drawn from one Generator."""

    def __init__(self, gen: np.random.Generator, chunk: int = 65536) -> None:
        self._gen = gen
        self._chunk = chunk
        self._buf = gen.random(chunk)
        self._i = 0

    def u(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._gen.random(self._chunk)
            self._i = 0
        v = float(self._buf[self._i])
        self._i += 1
        return v

    def pick(self, seq: Sequence[str]) -> str:
        return seq[int(self.u() * len(seq))]

    def fill(self, template: str, vocab: Mapping[str, Sequence[str]]) -> str:
        """Fill ``{slot}`` fields of ``template`` from ``vocab``; repeated slots differ."""
        out = []
        rest = template
        while True:
            i = rest.find("{")
            if i < 0:
                out.append(rest)
                break
            j = rest.index("}", i)
            out.append(rest[:i])
            out.append(self.pick(vocab[rest[i + 1 : j]]))
            rest = rest[j + 1 :]
        return "".join(out)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _n_words(texts: Sequence[str]) -> np.ndarray:
    return np.fromiter((len(t.split()) for t in texts), dtype=np.int64, count=len(texts))


def _iso(ts: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(ts).strftime(_ISO).to_numpy(dtype=object)


# ---- preference responses: advice-style sentences per category ------------------------

_PREF_VOCAB: dict[str, dict[str, list[str]]] = {
    "cooking": {
        "goal": ["bake a loaf of sourdough bread", "cook rice without it sticking",
                 "make a simple tomato sauce", "roast vegetables evenly",
                 "keep pasta from clumping together", "make a soup with more flavour",
                 "cook a steak to medium rare", "bake cookies that stay soft"],
        "step": ["preheat the oven well before you start", "rinse the rice under cold water",
                 "season the dish with salt near the end", "let the dough rest for an hour",
                 "cut the vegetables into pieces of the same size",
                 "stir the sauce gently over low heat", "use a heavy pan that holds heat well",
                 "measure the ingredients with a kitchen scale", "taste the food as you go",
                 "add a splash of water if the pan gets too dry"],
        "check": ["the oven has reached the right temperature",
                  "the ingredients are at room temperature", "your knife is sharp",
                  "the pan is completely dry", "you have everything ready on the counter"],
        "tip": ["a kitchen scale gives more reliable results than cups",
                "fresh herbs added at the end keep their flavour",
                "resting the food after cooking makes it more tender",
                "small batches cook more evenly than large ones",
                "a little acid such as lemon juice brightens most dishes"],
        "cond": ["you are short on time", "the sauce becomes too thick",
                 "you do not have a stand mixer", "the bread browns too quickly",
                 "you are cooking for a large group"],
        "caveat": ["every oven behaves a little differently",
                   "cooking times depend on the size of the pieces",
                   "too much salt is hard to correct later",
                   "some recipes need more patience than others"],
    },
    "coding": {
        "goal": ["read a large CSV file in Python", "speed up a slow database query",
                 "write unit tests for my code", "handle errors in a web request",
                 "organise a growing code base", "find a memory leak in my program",
                 "parse dates from a text file", "debug a failing function"],
        "step": ["read the file in chunks instead of all at once", "add an index on the column you filter by",
                 "write a small test for each function", "catch the specific exception you expect",
                 "split the code into small modules with clear names", "profile the program before you change it",
                 "print the inputs of the function that fails", "pin the versions of your dependencies",
                 "use a virtual environment for each project", "read the error message from the bottom up"],
        "check": ["your tests pass before you refactor", "you have a backup of the data",
                  "the library version matches the documentation", "you can reproduce the problem",
                  "the input really has the format you expect"],
        "tip": ["a profiler often shows that the slow part is not where you thought",
                "small functions are easier to test than large ones",
                "clear names save more time than clever tricks",
                "version control lets you undo mistakes without fear",
                "logging the right values makes most bugs obvious"],
        "cond": ["the file does not fit in memory", "the query is still slow",
                 "the error only happens in production", "you work in a team",
                 "the tests take too long to run"],
        "caveat": ["premature optimisation can make code harder to read",
                   "every library has its own conventions",
                   "error messages are sometimes misleading",
                   "a fix that works on your machine may fail elsewhere"],
    },
    "travel": {
        "goal": ["pack light for a two week trip", "find cheap flights to Europe",
                 "avoid jet lag on a long flight", "plan a road trip with children",
                 "stay safe when travelling alone", "choose a good hotel in a new city",
                 "travel by train across the country", "save money while travelling"],
        "step": ["make a packing list a week before you leave", "book your flights on a weekday",
                 "sleep on the schedule of your destination", "plan a stop every two hours",
                 "share your plans with a friend at home", "read recent reviews from other guests",
                 "buy a rail pass if you take many trains", "carry a small amount of local cash",
                 "keep copies of your documents in a separate bag", "check the weather before you pack"],
        "check": ["your passport is valid for six months", "your bank knows about the trip",
                  "you have travel insurance", "the hotel offers free cancellation",
                  "your phone works abroad"],
        "tip": ["clothes that mix and match save a lot of space",
                "prices are often lower outside the main season",
                "local markets are a good place to eat well for little money",
                "a short walk in daylight helps your body adjust",
                "public transport is usually cheaper than taxis"],
        "cond": ["your flight is delayed", "you travel with small children",
                 "the hotel is fully booked", "you only have carry-on luggage",
                 "you do not speak the local language"],
        "caveat": ["rules at the border can change at short notice",
                   "cheap fares often come with strict conditions",
                   "every city has areas that are best avoided at night",
                   "plans rarely work out exactly as written"],
    },
    "health": {
        "goal": ["sleep better at night", "start running as a beginner", "eat more vegetables",
                 "reduce stress at work", "drink enough water during the day",
                 "improve my posture at the desk", "build a habit of regular exercise",
                 "recover after a long illness"],
        "step": ["go to bed at the same time every night", "start with short runs and slow walks",
                 "add one vegetable to every meal", "take short breaks away from the screen",
                 "keep a bottle of water on your desk", "adjust your chair so that your feet rest flat",
                 "write down a simple plan for the week", "talk to your doctor before big changes",
                 "increase the effort slowly over several weeks", "track your progress in a notebook"],
        "check": ["you have the right shoes", "your doctor agrees with the plan",
                  "you have time set aside for it", "the goal is realistic for you",
                  "you rest enough between sessions"],
        "tip": ["small changes are easier to keep than big ones",
                "a regular routine helps the body know when to rest",
                "moving a little every hour is better than sitting all day",
                "sleep and mood are closely connected",
                "progress is rarely a straight line"],
        "cond": ["you feel pain during exercise", "you often wake up at night",
                 "your job is very stressful", "you have little time in the morning",
                 "you are recovering from an injury"],
        "caveat": ["everyone responds a little differently",
                   "advice on the internet is no replacement for a doctor",
                   "doing too much too soon often leads to injury",
                   "habits take several weeks to form"],
    },
    "finance": {
        "goal": ["build an emergency fund", "pay off credit card debt", "start investing with little money",
                 "make a monthly budget", "save for a house", "reduce my monthly expenses",
                 "prepare for retirement", "understand my credit score"],
        "step": ["write down every expense for a month", "pay the card with the highest interest first",
                 "set up an automatic transfer on payday", "compare your contracts once a year",
                 "start with a low cost index fund", "keep three months of expenses in a savings account",
                 "check your credit report for errors", "cancel subscriptions you do not use",
                 "set a clear goal with a date", "review your budget at the end of each month"],
        "check": ["you understand the fees", "you can cover an unexpected bill",
                  "the account is insured", "you have no expensive debt left",
                  "the plan fits your income"],
        "tip": ["small amounts saved regularly add up over the years",
                "high interest debt grows faster than most investments",
                "automatic savings remove the need for willpower",
                "a simple plan you follow beats a perfect plan you ignore",
                "fees have a large effect over long periods"],
        "cond": ["your income changes from month to month", "you have several loans",
                 "an unexpected bill arrives", "you are close to retirement",
                 "interest rates rise"],
        "caveat": ["past returns do not guarantee future results",
                   "every country has different tax rules",
                   "markets can fall sharply in the short term",
                   "financial products are often more complex than they look"],
    },
}

_PREF_PROMPTS = ["How can I {goal}?", "What is the best way to {goal}?",
                 "Can you explain how to {goal}?", "I want to {goal}. Where should I start?",
                 "Any advice on how to {goal}?"]

_PREF_SENTENCES = [
    "The simplest way to {goal} is to {step}.",
    "Before you {step}, make sure that {check}.",
    "Many people find that {tip}.",
    "If {cond}, you can {step} instead.",
    "It is also a good idea to {step}.",
    "Keep in mind that {caveat}.",
    "In my experience, {tip}.",
    "Next, {step} and see how it goes.",
    "A common mistake is to skip this step, so {step}.",
    "One more thing: {tip}.",
    "When {cond}, remember that {caveat}.",
    "Try to {step}, because {tip}.",
]

_PREF_OPENERS = ["Good question.", "Here is what I would do.", "Sure, here are a few tips.",
                 "There are a few things to consider.", "Happy to help with that."]


def _pref_texts(
    picker: _Picker, category: Sequence[str] | np.ndarray, target_words: np.ndarray, goals: Sequence[str]
) -> list[str]:
    out = []
    for cat, target, goal in zip(category, target_words, goals, strict=True):
        vocab = {**_PREF_VOCAB[cat], "goal": [goal]}
        words = 0
        parts: list[str] = []
        if picker.u() < 0.4:
            parts.append(picker.pick(_PREF_OPENERS))
            words += len(parts[-1].split())
        used: set[str] = set()
        while words < target:
            for _ in range(6):  # avoid repeating a sentence within one response
                s = _cap(picker.fill(picker.pick(_PREF_SENTENCES), vocab))
                if s not in used:
                    break
            used.add(s)
            parts.append(s)
            words += len(s.split())
        out.append(" ".join(parts))
    return out


def _pref_pairs(
    gen: np.random.Generator, n_pairs: int, *, min_words: int = 20, max_words: int = 300
) -> pd.DataFrame:
    """Prompts, two responses each (lengths log-uniform), and the true better response."""
    picker = _Picker(gen)
    cats = np.array(sorted(_PREF_VOCAB))
    category = cats[gen.integers(0, len(cats), n_pairs)]
    goals = [picker.pick(_PREF_VOCAB[c]["goal"]) for c in category]
    prompts = [picker.fill(picker.pick(_PREF_PROMPTS), {"goal": [g]}) for g in goals]
    lo, hi = math.log(min_words), math.log(max_words)
    target = np.exp(gen.uniform(lo, hi, size=(n_pairs, 2))).astype(int)
    resp_a = _pref_texts(picker, category, target[:, 0], goals)
    resp_b = _pref_texts(picker, category, target[:, 1], goals)
    width = len(str(n_pairs - 1))
    return pd.DataFrame(
        {
            "pair_id": [f"p{i:0{width}d}" for i in range(n_pairs)],
            "prompt": prompts,
            "response_a": resp_a,
            "response_b": resp_b,
            "category": category,
            "len_a": _n_words(resp_a),
            "len_b": _n_words(resp_b),
            "true_choice": np.where(gen.random(n_pairs) < 0.5, "a", "b"),
        }
    )


def _judge(
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
    """Vectorised choice model (see the module docstring); all arrays per judgment."""
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


def _check_prob(name: str, value: float) -> None:
    if not 0.0 <= float(value) <= 1.0:
        raise WorkbenchError(f"{name}={value!r} must be a probability between 0 and 1.")


def _check_count(name: str, value: int, minimum: int = 1) -> None:
    if int(value) != value or value < minimum:
        raise WorkbenchError(f"{name}={value!r} must be an integer ≥ {minimum}.")


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
) -> Sample:
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
    _check_count("n_pairs", n_pairs)
    _check_count("n_annotators", n_annotators)
    for name, v in (("p_longer", p_longer), ("p_position_a", p_position_a),
                    ("accuracy", accuracy), ("p_tie", p_tie)):
        _check_prob(name, v)
    n_special = n_length_biased + n_position_biased + n_random
    if min(n_length_biased, n_position_biased, n_random) < 0 or n_special > n_annotators:
        raise WorkbenchError(
            f"n_length_biased + n_position_biased + n_random = {n_special} must be between 0 "
            f"and n_annotators={n_annotators}; raise n_annotators or lower the counts."
        )
    gen = as_rng(rng)
    pairs = _pref_pairs(gen, n_pairs)
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
    choice = _judge(
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
    table = pd.DataFrame(
        {
            "pair_id": pairs["pair_id"].to_numpy()[pi],
            "annotator_id": np.array(ann_ids)[ai],
            "choice": choice,
            "response_a": pairs["response_a"].to_numpy()[pi],
            "response_b": pairs["response_b"].to_numpy()[pi],
            "prompt": pairs["prompt"].to_numpy()[pi],
            "category": pairs["category"].to_numpy()[pi],
            "timestamp": _iso(ts),
            "duration_s": duration,
            "len_a": pairs["len_a"].to_numpy()[pi],
            "len_b": pairs["len_b"].to_numpy()[pi],
        }
    )
    truth = {
        "description": "Each pair has a true better response independent of length. "
        "Length-biased annotators pick the longer response with probability p_longer, the "
        "position-biased one picks 'a' with probability p_position_a, the random one flips "
        "a coin, honest ones pick the better response with probability accuracy.",
        "roles": roles,
        "length_biased": [a for a in ann_ids if roles[a] == "length_biased"],
        "position_biased": [a for a in ann_ids if roles[a] == "position_biased"],
        "random": [a for a in ann_ids if roles[a] == "random"],
        "honest": [a for a in ann_ids if roles[a] == "honest"],
        "p_longer": p_longer,
        "p_position_a": p_position_a,
        "accuracy": accuracy,
        "p_tie": p_tie,
        "n_pairs": n_pairs,
        "n_annotators": n_annotators,
        "rows": pairs[["pair_id", "true_choice", "len_a", "len_b"]].copy(),
    }
    return Sample("preferences_5x200", {"preferences_5x200": table}, truth)


def _vendor_accuracies(mean: float, n: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-annotator quality accuracy with the given mean; low means get near-random workers.

    The same rule for both vendors: ``n_random = floor(n * max(0, 0.8 - mean) / 0.3)``
    annotators sit at 0.5 (coin flips), the others share the rest of the mean with a small
    jitter (sd 0.02) that sums to zero.
    """
    n_rand = int(math.floor(n * max(0.0, 0.8 - mean) / 0.3 + 1e-9))
    n_rand = min(n_rand, n - 1)
    is_rand = np.zeros(n, dtype=bool)
    is_rand[gen.permutation(n)[:n_rand]] = True
    skilled = (mean * n - 0.5 * n_rand) / (n - n_rand)
    jitter = gen.normal(0, 0.02, n - n_rand)
    jitter -= jitter.mean()
    acc = np.full(n, 0.5)
    acc[~is_rand] = np.clip(skilled + jitter, 0.5, 0.99)
    return acc, is_rand


def make_vendors(
    n_pairs: int = 500,
    per_pair: int = 3,
    n_gold: int = 100,
    *,
    accuracy_a: float = 0.85,
    accuracy_b: float = 0.70,
    p_longer_a: float = 0.55,
    p_longer_b: float = 0.75,
    n_annotators: int = 8,
    p_tie: float = 0.03,
    rng: int | np.random.Generator | None = 0,
) -> Sample:
    """The same preference pairs labeled by two vendors; b is less accurate and length-biased.

    Each vendor has ``n_annotators`` annotators (ids ``va_1…``/``vb_1…``) and ``per_pair``
    of them judge each pair. ``accuracy_v`` is the vendor's mean per-annotator accuracy of
    quality judgments; a vendor whose mean is below 0.8 has near-random annotators
    (``floor(n_annotators * (0.8 - mean) / 0.3)`` of them, the same rule for both vendors).
    Every annotator of vendor v picks the longer response with probability ``p_longer_v``.
    Vendor b works faster (shorter ``duration_s``). With ``accuracy_a == accuracy_b`` and
    ``p_longer_a == p_longer_b`` the vendors are statistically identical (the null).

    Returns
    -------
    Sample
        ``tables``: ``vendor_a``, ``vendor_b`` (preferences + vendor, duration_s, category,
        timestamp), ``vendor_gold`` (item_id = pair_id, label a/b for ``n_gold`` pairs).
        ``truth["rows"]``: pair_id, true_choice, len_a, len_b, in_gold.

    Examples
    --------
    >>> s = make_vendors(40, 3, 10, rng=0)
    >>> [len(s.tables[k]) for k in ("vendor_a", "vendor_b", "vendor_gold")]
    [120, 120, 10]
    """
    _check_count("n_pairs", n_pairs)
    _check_count("per_pair", per_pair)
    _check_count("n_gold", n_gold, minimum=0)
    _check_count("n_annotators", n_annotators)
    for name, value in (("accuracy_a", accuracy_a), ("accuracy_b", accuracy_b),
                        ("p_longer_a", p_longer_a), ("p_longer_b", p_longer_b), ("p_tie", p_tie)):
        _check_prob(name, value)
    if per_pair > n_annotators:
        raise WorkbenchError(f"per_pair={per_pair} exceeds n_annotators={n_annotators}; "
                             "each pair needs distinct annotators.")
    if n_gold > n_pairs:
        raise WorkbenchError(f"n_gold={n_gold} exceeds n_pairs={n_pairs}.")
    gen = as_rng(rng)
    pairs = _pref_pairs(gen, n_pairs)
    true = pairs["true_choice"].to_numpy()
    la, lb = pairs["len_a"].to_numpy(), pairs["len_b"].to_numpy()
    tables: dict[str, pd.DataFrame] = {}
    vendor_truth: dict[str, Any] = {}
    # one child generator per vendor so that equal parameters give identically distributed data
    children = gen.spawn(2)
    vendor_params: list[tuple[str, float, float, np.random.Generator]] = [
        ("a", accuracy_a, p_longer_a, children[0]), ("b", accuracy_b, p_longer_b, children[1]),
    ]
    for v, acc_mean, p_long, g in vendor_params:
        acc, is_rand = _vendor_accuracies(acc_mean, n_annotators, g)
        ids = np.array([f"v{v}_{i + 1}" for i in range(n_annotators)])
        pick = np.argsort(g.random((n_pairs, n_annotators)), axis=1)[:, :per_pair]
        pi = np.repeat(np.arange(n_pairs), per_pair)
        ai = pick.ravel()
        n = len(pi)
        choice = _judge(
            g, true[pi], la[pi], lb[pi],
            accuracy=acc[ai], p_longer=np.full(n, p_long), p_position_a=np.full(n, 0.5),
            p_random=np.zeros(n), p_tie=p_tie,
        )
        words = (la + lb)[pi]
        # vendor speed: scaled by accuracy (careful work takes longer); random workers rush
        pace = np.where(is_rand[ai], 0.35, 1.0) * (acc_mean / 0.85) ** 3
        duration = np.round(pace * (15 + 0.25 * words) * g.lognormal(0, 0.3, n), 1)
        secs = g.integers(0, 10 * 86400, n)  # ten days of work
        ts = SAMPLE_START + pd.to_timedelta(secs, unit="s")
        tables[f"vendor_{v}"] = pd.DataFrame(
            {
                "pair_id": pairs["pair_id"].to_numpy()[pi],
                "annotator_id": ids[ai],
                "choice": choice,
                "response_a": pairs["response_a"].to_numpy()[pi],
                "response_b": pairs["response_b"].to_numpy()[pi],
                "prompt": pairs["prompt"].to_numpy()[pi],
                "category": pairs["category"].to_numpy()[pi],
                "timestamp": _iso(ts),
                "duration_s": duration,
                "len_a": la[pi],
                "len_b": lb[pi],
                "vendor": v,
            }
        )
        vendor_truth[v] = {
            "accuracy": acc_mean,
            "p_longer": p_long,
            "annotator_accuracy": {str(i): round(float(x), 4) for i, x in zip(ids, acc, strict=True)},
            "random_annotators": ids[is_rand].tolist(),
        }
    gold_idx = np.sort(gen.choice(n_pairs, size=n_gold, replace=False))
    gold = pd.DataFrame({"item_id": pairs["pair_id"].to_numpy()[gold_idx], "label": true[gold_idx]})
    rows = pairs[["pair_id", "true_choice", "len_a", "len_b"]].copy()
    rows["in_gold"] = np.isin(np.arange(n_pairs), gold_idx)
    tables["vendor_gold"] = gold
    truth = {
        "description": "Same pairs for both vendors. accuracy is the vendor's mean per-annotator "
        "accuracy of quality judgments (vendors below 0.8 have near-random annotators); "
        "p_longer the probability of picking the longer response. Vendor b is less accurate, "
        "more length-biased and faster.",
        "vendor_a": vendor_truth["a"],
        "vendor_b": vendor_truth["b"],
        "n_pairs": n_pairs,
        "per_pair": per_pair,
        "n_gold": n_gold,
        "p_tie": p_tie,
        "rows": rows,
    }
    return Sample("vendors", tables, truth)


# ---- reviews -----------------------------------------------------------------------------

_REVIEW_VOCAB: dict[str, dict[str, list[str]]] = {
    "electronics": {
        "product": ["pair of headphones", "phone charger", "laptop stand", "bluetooth speaker",
                    "smart watch", "keyboard", "webcam", "tablet", "wireless mouse"],
        "aspect": ["battery life", "sound quality", "screen", "build quality", "connection",
                   "setup", "charging speed", "software"],
    },
    "books": {
        "product": ["novel", "cookbook", "biography", "travel guide", "history book",
                    "children's book", "thriller", "poetry collection"],
        "aspect": ["story", "writing", "characters", "ending", "pacing", "print quality",
                   "illustrations", "translation"],
    },
    "clothing": {
        "product": ["jacket", "pair of jeans", "dress", "sweater", "pair of running shoes",
                    "t-shirt", "raincoat", "winter coat"],
        "aspect": ["fit", "fabric", "stitching", "colour", "sizing", "comfort", "zip"],
    },
    "kitchen": {
        "product": ["blender", "frying pan", "coffee maker", "knife set", "toaster", "kettle",
                    "rice cooker", "food processor"],
        "aspect": ["handle", "lid", "heating", "cleaning", "design", "motor", "coating"],
    },
    "toys": {
        "product": ["puzzle", "board game", "teddy bear", "building set", "toy car",
                    "doll house", "kite", "train set"],
        "aspect": ["instruction booklet", "colour scheme", "packaging", "durability",
                   "finish", "box"],
    },
}

_REVIEW_COMMON = {
    "pos": ["excellent", "great", "fantastic", "sturdy", "reliable", "wonderful", "impressive",
            "perfect", "solid", "lovely", "superb"],
    "neg": ["terrible", "poor", "flimsy", "disappointing", "awful", "cheap", "useless",
            "faulty", "weak", "mediocre", "horrible"],
    "when": ["last month", "a few weeks ago", "for my birthday", "on sale", "as a gift",
             "after reading the reviews", "two months ago"],
    "who": ["my daughter", "my son", "my partner", "our new flat", "my parents", "the office",
            "a friend"],
    "period": ["three weeks", "a month", "two months", "half a year", "a few days"],
}

_REVIEW_OPEN = ["I bought this {product} {when}.", "We ordered the {product} for {who}.",
                "I have been using this {product} for {period}.",
                "This {product} was a present for {who}.", "Got the {product} {when}."]
_REVIEW_POS = ["The {aspect} is {pos}.", "I love the {aspect}, it is really {pos}.",
               "The {aspect} turned out {pos} and works as described.",
               "Really {pos} {aspect} for the price.", "The {aspect} is {pos} and {pos}.",
               "Everything about the {aspect} feels {pos}."]
_REVIEW_NEG = ["The {aspect} is {neg}.", "Sadly the {aspect} is {neg}.",
               "The {aspect} was {neg} from day one.", "Honestly, the {aspect} is {neg} and {neg}.",
               "The {aspect} feels {neg} for the price.", "I expected more, the {aspect} is {neg}."]
_REVIEW_NEUTRAL = ["It arrived in a plain box.", "Delivery took about a week.",
                   "The colour matches the photos.", "It came with a short manual."]
_REVIEW_CLOSE_POS = ["Highly recommended.", "Would buy again.", "Five stars from me.",
                     "Very happy with this purchase.", "Great value for the money.",
                     "I would recommend it to anyone."]
_REVIEW_CLOSE_NEG = ["Would not recommend.", "I returned it the next week.", "Waste of money.",
                     "Very disappointed with this purchase.", "One star.",
                     "I would not buy it again."]


def _review_texts(picker: _Picker, category: Sequence[str] | np.ndarray, positive: np.ndarray) -> list[str]:
    out = []
    for cat, pos in zip(category, positive, strict=True):
        vocab = {**_REVIEW_VOCAB[cat], **_REVIEW_COMMON}
        parts = [picker.fill(picker.pick(_REVIEW_OPEN), vocab)]
        n_aspects = 1 + int(picker.u() * 3)
        for _ in range(n_aspects):
            # mostly consistent with the label, sometimes a mixed remark
            same = picker.u() < 0.85
            bank = _REVIEW_POS if (pos == same) else _REVIEW_NEG
            parts.append(_cap(picker.fill(picker.pick(bank), vocab)))
        if picker.u() < 0.3:
            parts.append(picker.pick(_REVIEW_NEUTRAL))
        parts.append(picker.pick(_REVIEW_CLOSE_POS if pos else _REVIEW_CLOSE_NEG))
        out.append(" ".join(parts))
    return out


def make_reviews(
    n_items: int = 5000,
    n_annotators: int = 10,
    per_item: int = 3,
    days: int = 90,
    *,
    drift_annotator: str | None = "ann_03",
    drift_day: float = 45,
    drift_accuracy: float = 0.65,
    cohort_confusion: bool = True,
    confused_cohort: str = "night",
    confused_category: str = "kitchen",
    confusion_flip_prob: float = 0.8,
    guideline_day: float = 30,
    gold_fraction: float = 0.1,
    rng: int | np.random.Generator | None = 0,
) -> Sample:
    """Customer reviews labeled positive/negative by annotators in day and night shifts.

    Annotators ``ann_01…`` have distinct baseline accuracies spread over 0.85–0.95; the
    first half works the day shift (08–16 h), the rest the night shift (20–24 h and 0–4 h
    of the same calendar day). The
    guideline changes from ``v2.0`` to ``v2.1`` at ``guideline_day``. Planted effects:
    ``drift_annotator``'s accuracy drops to ``drift_accuracy`` from ``drift_day`` on; with
    ``cohort_confusion`` the ``confused_cohort`` flips labels of ``confused_category`` with
    probability ``confusion_flip_prob`` under guideline v2.1. ``drift_annotator=None`` and
    ``cohort_confusion=False`` give null data.

    Returns
    -------
    Sample
        ``tables``: ``reviews_10x5000`` (annotations: item_id, annotator_id, label, timestamp,
        cohort, category, guideline_version, duration_s), ``reviews_10x5000_items`` (item_id,
        text, category), ``reviews_10x5000_gold`` (item_id, label).
        ``truth["rows"]``: item_id, true_label, category, in_gold.

    Examples
    --------
    >>> s = make_reviews(200, 6, 3, 30, drift_day=15, guideline_day=10, rng=0)
    >>> s.tables["reviews_10x5000"].shape
    (600, 8)
    >>> s.truth["drift"]["annotator"], s.truth["drift"]["change_timestamp"]
    ('ann_03', '2025-03-18T00:00:00')
    """
    _check_count("n_items", n_items)
    _check_count("n_annotators", n_annotators)
    _check_count("per_item", per_item)
    _check_count("days", days)
    for name, v in (("drift_accuracy", drift_accuracy), ("confusion_flip_prob", confusion_flip_prob),
                    ("gold_fraction", gold_fraction)):
        _check_prob(name, v)
    if per_item > n_annotators:
        raise WorkbenchError(f"per_item={per_item} exceeds n_annotators={n_annotators}; "
                             "each item needs distinct annotators.")
    if confused_category not in _REVIEW_VOCAB:
        raise WorkbenchError(f"confused_category={confused_category!r} is not valid; choose one "
                             f"of {', '.join(repr(c) for c in _REVIEW_VOCAB)}.")
    if confused_cohort not in ("day", "night"):
        raise WorkbenchError(f"confused_cohort={confused_cohort!r} is not valid; choose 'day' or 'night'.")
    width = max(2, len(str(n_annotators)))
    ann_ids = np.array([f"ann_{i + 1:0{width}d}" for i in range(n_annotators)])
    if drift_annotator is not None and drift_annotator not in set(ann_ids):
        raise WorkbenchError(
            f"drift_annotator={drift_annotator!r} is not one of the annotators "
            f"{ann_ids[0]}…{ann_ids[-1]}; pick one of them or None for no drift."
        )
    gen = as_rng(rng)
    picker = _Picker(gen)
    cats = np.array(list(_REVIEW_VOCAB))
    category = cats[gen.integers(0, len(cats), n_items)]
    positive = gen.random(n_items) < 0.55
    texts = _review_texts(picker, category, positive)
    true_label = np.where(positive, "positive", "negative")
    iw = len(str(n_items - 1))
    item_ids = np.array([f"r{i:0{iw}d}" for i in range(n_items)])

    base_acc = np.round(np.linspace(0.85, 0.95, n_annotators)[gen.permutation(n_annotators)], 4)
    cohort = np.where(np.arange(n_annotators) < (n_annotators + 1) // 2, "day", "night")

    # assignment: per_item distinct annotators per item
    ai = np.argsort(gen.random((n_items, n_annotators)), axis=1)[:, :per_item].ravel()
    ii = np.repeat(np.arange(n_items), per_item)
    n = len(ii)
    item_day = gen.integers(0, days, n_items)
    day = np.minimum(item_day[ii] + gen.integers(0, 3, n), days - 1)
    start_h = np.where(cohort[ai] == "day", 8.0, 20.0)
    # night shift hours 20-24 and 0-4 stay on the calendar day, so all fall within ``days``
    secs = (day * 86400 + np.mod(start_h * 3600 + gen.uniform(0, 8 * 3600, n), 86400)).astype(np.int64)
    ts = SAMPLE_START + pd.to_timedelta(secs, unit="s")
    t_days = secs / 86400.0
    version = np.where(t_days >= guideline_day, "v2.1", "v2.0")

    acc = base_acc[ai].copy()
    if drift_annotator is not None:
        acc = np.where((ann_ids[ai] == drift_annotator) & (t_days >= drift_day), drift_accuracy, acc)
    correct = gen.random(n) < acc
    if cohort_confusion:
        confused = ((cohort[ai] == confused_cohort) & (category[ii] == confused_category)
                    & (version == "v2.1"))
        flip = gen.random(n) < confusion_flip_prob
        correct = np.where(confused, ~flip, correct)
    label = np.where(correct, true_label[ii], np.where(positive[ii], "negative", "positive"))
    words = _n_words(texts)[ii]
    duration = np.round((6 + 0.35 * words) * gen.lognormal(0, 0.35, n), 1)
    order = np.lexsort((ann_ids[ai], secs))
    ann = pd.DataFrame(
        {
            "item_id": item_ids[ii],
            "annotator_id": ann_ids[ai],
            "label": label,
            "timestamp": _iso(ts),
            "cohort": cohort[ai],
            "category": category[ii],
            "guideline_version": version,
            "duration_s": duration,
        }
    ).iloc[order].reset_index(drop=True)
    items = pd.DataFrame({"item_id": item_ids, "text": texts, "category": category})
    n_gold = int(round(gold_fraction * n_items))
    gold_idx = np.sort(gen.choice(n_items, size=n_gold, replace=False))
    gold = pd.DataFrame({"item_id": item_ids[gold_idx], "label": true_label[gold_idx]})
    rows = pd.DataFrame({"item_id": item_ids, "true_label": true_label, "category": category,
                         "in_gold": np.isin(np.arange(n_items), gold_idx)})

    def stamp(d: float) -> str:
        return (SAMPLE_START + pd.Timedelta(days=d)).strftime(_ISO)

    truth = {
        "description": "Binary sentiment labels. One annotator's accuracy drops after the drift "
        "day; under guideline v2.1 the confused cohort flips labels of one category.",
        "start": SAMPLE_START.strftime(_ISO),
        "days": days,
        "annotator_accuracy": {str(a): float(x) for a, x in zip(ann_ids, base_acc, strict=True)},
        "cohorts": {str(a): str(c) for a, c in zip(ann_ids, cohort, strict=True)},
        "guideline_change": {"from": "v2.0", "to": "v2.1", "day": guideline_day,
                             "timestamp": stamp(guideline_day)},
        "drift": None if drift_annotator is None else {
            "annotator": drift_annotator,
            "day": drift_day,
            "change_timestamp": stamp(drift_day),
            "accuracy_before": float(base_acc[list(ann_ids).index(drift_annotator)]),
            "accuracy_after": drift_accuracy,
        },
        "cohort_confusion": None if not cohort_confusion else {
            "cohort": confused_cohort,
            "category": confused_category,
            "guideline_version": "v2.1",
            "since_timestamp": stamp(guideline_day),
            "flip_prob": confusion_flip_prob,
        },
        "gold_fraction": gold_fraction,
        "positive_rate": 0.55,
        "rows": rows,
    }
    tables = {"reviews_10x5000": ann, "reviews_10x5000_items": items, "reviews_10x5000_gold": gold}
    return Sample("reviews_10x5000", tables, truth)


# ---- relevance ---------------------------------------------------------------------------

_REL_TOPICS: dict[str, dict[str, Any]] = {
    "python sorting": {
        "domain": "programming",
        "queries": ["how to sort a list in python", "python sort list descending order",
                    "sort a python list by a key"],
        "answer": ["Use sorted(items) to get a new sorted list, or items.sort() to sort in place.",
                   "Pass reverse=True to sorted or to sort for descending order.",
                   "The key argument takes a function, for example key=len sorts by length."],
        "general": ["Python lists keep their items in the order you add them.",
                    "A list can hold numbers, strings and other objects.",
                    "Lists are one of the most common data structures in Python.",
                    "Many beginners learn about lists in their first week of Python."],
    },
    "git branches": {
        "domain": "programming",
        "queries": ["how to create a new branch in git", "git switch to another branch",
                    "delete a local git branch"],
        "answer": ["Run git switch -c name to create a branch and move to it.",
                   "Use git switch name to move to a branch that already exists.",
                   "git branch -d name deletes a local branch that has been merged."],
        "general": ["Git is a version control system used by most software teams.",
                    "Every commit in git records a snapshot of the project.",
                    "Teams often review changes before they are merged.",
                    "Git was created in 2005 for the development of Linux."],
    },
    "bread baking": {
        "domain": "cooking",
        "queries": ["why is my bread dense", "how long to proof bread dough",
                    "best flour for homemade bread"],
        "answer": ["Dense bread usually means the dough did not rise long enough.",
                   "Most bread dough needs one to two hours to double in size at room temperature.",
                   "Bread flour has more protein than plain flour and gives a better rise."],
        "general": ["Bread is made from flour, water, salt and yeast.",
                    "People have baked bread for thousands of years.",
                    "Fresh bread smells wonderful when it comes out of the oven.",
                    "Many bakeries start work long before sunrise."],
    },
    "pasta cooking": {
        "domain": "cooking",
        "queries": ["how much salt in pasta water", "how to keep pasta from sticking",
                    "how long to boil spaghetti"],
        "answer": ["Add about ten grams of salt for every litre of pasta water.",
                   "Stir the pasta in the first minute and use plenty of boiling water.",
                   "Spaghetti usually needs nine to eleven minutes in boiling water."],
        "general": ["Pasta comes in hundreds of shapes and sizes.",
                    "Dried pasta is made from durum wheat and water.",
                    "Italy is famous for its many regional pasta dishes.",
                    "A simple tomato sauce goes well with most kinds of pasta."],
    },
    "train travel": {
        "domain": "travel",
        "queries": ["cheapest way to travel by train in europe", "do i need to book trains in advance",
                    "rail pass worth it"],
        "answer": ["Tickets booked a few weeks in advance are usually much cheaper.",
                   "High speed trains often require a reservation, regional trains do not.",
                   "A rail pass pays off when you take several long trips in a short time."],
        "general": ["Trains connect most large cities in Europe.",
                    "Many travellers enjoy the views from the train window.",
                    "Night trains have become popular again in recent years.",
                    "Railway stations are often close to the city centre."],
    },
    "jet lag": {
        "domain": "travel",
        "queries": ["how to avoid jet lag", "jet lag recovery tips", "best time to sleep on a long flight"],
        "answer": ["Shift your sleep by an hour a day before you travel east or west.",
                   "Spend time in daylight after you arrive to reset your body clock.",
                   "Sleep on the plane when it is night at your destination."],
        "general": ["Long flights can be tiring for many passengers.",
                    "Airlines serve meals at fixed times during the flight.",
                    "Crossing many time zones is common on international trips.",
                    "Some airports have quiet rooms where travellers can rest."],
    },
    "running": {
        "domain": "health",
        "queries": ["how to start running as a beginner", "how often should beginners run",
                    "running shoes for beginners"],
        "answer": ["Start with short intervals of running and walking three times a week.",
                   "Beginners should rest a day between runs to let the body recover.",
                   "Choose running shoes that fit well and feel comfortable in the shop."],
        "general": ["Running is one of the simplest forms of exercise.",
                    "Many cities hold running events every weekend.",
                    "Some people prefer to run early in the morning.",
                    "The marathon distance is a little over forty two kilometres."],
    },
    "sleep": {
        "domain": "health",
        "queries": ["how to fall asleep faster", "how many hours of sleep do adults need",
                    "does caffeine affect sleep"],
        "answer": ["A fixed bedtime and a dark, cool room help you fall asleep faster.",
                   "Most adults need between seven and nine hours of sleep a night.",
                   "Caffeine can affect sleep for six hours or more after a cup of coffee."],
        "general": ["Sleep is important for memory and mood.",
                    "Cats sleep for a large part of the day.",
                    "Dreams happen mostly during a phase called REM sleep.",
                    "Many people read a book before they go to bed."],
    },
}


def make_relevance(
    n_items: int = 600,
    n_annotators: int = 30,
    *,
    min_per_item: int = 2,
    max_per_item: int = 4,
    offset_sd: float = 0.35,
    noise_range: tuple[float, float] = (0.3, 0.9),
    rng: int | np.random.Generator | None = 0,
) -> Sample:
    """Query–document relevance on a 5-point scale with sparse annotator overlap (ordinal).

    Each item has a true level 1–5 (5: the document answers the query; 4: it answers a
    neighbouring question of the same topic; 3: same topic; 2: neighbouring topic; 1: another
    domain) and a latent relevance
    ``level + U(-0.4, 0.4)``. Annotator *j* rates ``clip(round(latent + offset_j + e), 1, 5)``
    with ``offset_j ~ N(0, offset_sd)`` and ``e ~ N(0, noise_j)``, ``noise_j`` uniform in
    ``noise_range``. Each item gets ``min_per_item``–``max_per_item`` distinct annotators.

    Returns
    -------
    Sample
        ``tables``: ``relevance_5pt`` (annotations: item_id, annotator_id, label 1–5,
        timestamp, duration_s), ``relevance_5pt_items`` (item_id, query, document).
        ``truth["rows"]``: item_id, true_level, true_relevance.

    Examples
    --------
    >>> s = make_relevance(50, 10, rng=0)
    >>> sorted(s.tables["relevance_5pt"]["label"].unique().tolist())
    [1, 2, 3, 4, 5]
    """
    _check_count("n_items", n_items)
    _check_count("n_annotators", n_annotators)
    _check_count("min_per_item", min_per_item)
    if not min_per_item <= max_per_item <= n_annotators:
        raise WorkbenchError(
            f"need min_per_item ≤ max_per_item ≤ n_annotators, got {min_per_item}, "
            f"{max_per_item}, {n_annotators}."
        )
    gen = as_rng(rng)
    picker = _Picker(gen)
    names = list(_REL_TOPICS)
    topic = gen.integers(0, len(names), n_items)
    level = gen.integers(1, 6, n_items)
    latent = level + gen.uniform(-0.4, 0.4, n_items)
    queries, docs = [], []
    for t, lv in zip(topic, level, strict=True):
        info = _REL_TOPICS[names[t]]
        qi = int(picker.u() * len(info["queries"]))  # queries[i] is answered by answer[i]
        queries.append(info["queries"][qi])
        if lv == 1:
            others = [n for n in names if _REL_TOPICS[n]["domain"] != info["domain"]]
            src = _REL_TOPICS[picker.pick(others)]
        elif lv == 2:
            sib = [n for n in names if _REL_TOPICS[n]["domain"] == info["domain"] and n != names[t]]
            src = _REL_TOPICS[picker.pick(sib)]
        else:
            src = info
        general = list(src["general"])
        g_idx = gen.permutation(len(general))
        sentences = [general[i] for i in g_idx[: 2 + int(picker.u() * 2)]]
        if lv == 5:  # the answer to this query first
            sentences = [info["answer"][qi]] + sentences[:2]
        elif lv == 4:  # an answer to a neighbouring question of the same topic
            other = [a for i, a in enumerate(info["answer"]) if i != qi]
            sentences = sentences[:2] + [picker.pick(other)]
        docs.append(" ".join(sentences))
    iw = len(str(n_items - 1))
    item_ids = np.array([f"q{i:0{iw}d}" for i in range(n_items)])
    aw = max(2, len(str(n_annotators)))
    ann_ids = np.array([f"rater_{j + 1:0{aw}d}" for j in range(n_annotators)])
    offset = np.round(gen.normal(0, offset_sd, n_annotators), 3)
    noise = np.round(gen.uniform(noise_range[0], noise_range[1], n_annotators), 3)
    k = gen.integers(min_per_item, max_per_item + 1, n_items)
    order = np.argsort(gen.random((n_items, n_annotators)), axis=1)
    mask = np.arange(n_annotators)[None, :] < k[:, None]
    ii = np.nonzero(mask)[0]
    ai = order[mask]
    n = len(ii)
    raw = latent[ii] + offset[ai] + gen.normal(0, 1, n) * noise[ai]
    label = np.clip(np.rint(raw), 1, 5).astype(np.int64)
    secs = gen.integers(0, 21 * 86400, n)
    ts = SAMPLE_START + pd.to_timedelta(secs, unit="s")
    duration = np.round((8 + 0.4 * _n_words(docs)[ii]) * gen.lognormal(0, 0.3, n), 1)
    ann = pd.DataFrame({"item_id": item_ids[ii], "annotator_id": ann_ids[ai], "label": label,
                        "timestamp": _iso(ts), "duration_s": duration})
    items = pd.DataFrame({"item_id": item_ids, "query": queries, "document": docs})
    rows = pd.DataFrame({"item_id": item_ids, "true_level": level,
                         "true_relevance": np.round(latent, 4)})
    truth = {
        "description": "label = clip(round(true_relevance + offset + N(0, noise)), 1, 5); "
        "true_level 5 answers the query, 4 answers a neighbouring question of the topic, "
        "3 same topic, 2 neighbouring topic, "
        "1 another domain.",
        "annotator_offset": {str(a): float(o) for a, o in zip(ann_ids, offset, strict=True)},
        "annotator_noise_sd": {str(a): float(s) for a, s in zip(ann_ids, noise, strict=True)},
        "offset_sd": offset_sd,
        "noise_range": list(noise_range),
        "per_item": [min_per_item, max_per_item],
        "rows": rows,
    }
    return Sample("relevance_5pt", {"relevance_5pt": ann, "relevance_5pt_items": items}, truth)


# ---- corpus ------------------------------------------------------------------------------

_C_VOCAB: dict[str, list[str]] = {
    "city": ["Springfield", "Riverton", "Maple Grove", "Lakeside", "Oakford", "Bridgeport",
             "Fairview", "Greenville", "Kingston", "Westbrook", "Ashford", "Milton"],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "facility": ["library", "swimming pool", "health centre", "community garden", "bus station",
                 "primary school", "sports hall", "public park", "bike path", "concert hall"],
    "timeframe": ["next spring", "later this year", "within two years", "by the end of the summer",
                  "early next month", "in the autumn"],
    "org": ["statistics office", "chamber of commerce", "regional health authority",
            "national weather service", "city council", "transport agency", "central bank"],
    "metric": ["the number of new businesses", "average rent", "public transport use",
               "the unemployment rate", "tourist visits", "house prices", "energy use"],
    "pct": ["two", "three", "four", "five", "seven", "ten", "twelve"],
    "month": ["January", "March", "April", "June", "September", "October", "November"],
    "money": ["four million dollars", "twelve million euros", "two hundred thousand pounds",
              "half a billion dollars", "eighty million euros"],
    "num": ["fifty", "two hundred", "three hundred", "a thousand", "several hundred"],
    "concern": ["traffic on the main road", "the cost of the project", "noise at night",
                "the loss of green space", "parking near the school", "rising prices"],
    "person": ["Maria Lopez", "John Carter", "Aisha Khan", "Peter Novak", "Emma Schmidt",
               "David Chen", "Sarah Okafor", "Tom Williams"],
    "job": ["a local teacher", "a shop owner", "a retired nurse", "a city planner",
            "a university researcher", "a bus driver", "a farmer"],
    "opinion": ["long overdue", "a step in the right direction", "too expensive",
                "good news for families", "a surprise to many", "hard to understand"],
    "claim": ["the trend is likely to continue for several years",
              "more investment will be needed to meet the targets",
              "the new rules could help small businesses",
              "demand has grown faster than expected",
              "the weather played an important role this season",
              "the results should be treated with caution"],
    "study_topic": ["road safety", "school meals", "the local water supply", "air quality",
                    "housing costs", "the city budget", "public health services"],
    "activity": ["baking bread", "cycling to work", "learning the guitar", "growing vegetables",
                 "running", "repairing old bikes", "learning Spanish", "photographing birds",
                 "building furniture", "brewing coffee at home"],
    "years": ["two", "three", "five", "ten", "fifteen", "twenty"],
    "thing": ["my new laptop", "the latest update", "my garden soil", "the water heater",
              "my old car", "the washing machine", "my home network", "the kitchen tap"],
    "problem": ["keeps making a strange noise", "stopped working last week",
                "is much slower than before", "leaks a little every morning",
                "will not start in cold weather", "loses its connection every hour"],
    "fix": ["restarting it", "cleaning the filter", "replacing the cable",
            "reading the manual again", "calling the support line", "changing the settings"],
    "outcome": ["nothing changed", "it only helped for a day", "the problem came back",
                "it only helped a little", "I am still not sure what is wrong"],
    "advice": ["start slowly and be patient", "ask someone with more experience",
               "keep notes of what you try", "buy good tools once instead of cheap ones twice",
               "take a short break when you feel stuck", "read the instructions twice"],
    "topic": ["saving energy at home", "planning a family holiday", "choosing a good laptop",
              "cooking healthy meals on a budget", "starting a small garden",
              "working from home", "learning a new language", "keeping a house plant alive"],
    "tip": ["a simple plan is easier to follow than a complicated one",
            "small changes add up over time",
            "it is worth comparing prices before you buy",
            "regular maintenance saves money in the long run",
            "most problems have a simple cause",
            "good habits matter more than expensive equipment",
            "a short daily routine works better than a long weekly one"],
    "noun": ["the kitchen", "the garden", "the living room", "the office", "the car",
             "the balcony", "the garage", "the café"],
    "adj": ["useful", "simple", "practical", "popular", "reliable", "affordable", "important"],
    "season": ["spring", "summer", "autumn", "winter"],
}

_C_NEWS = [
    "{city} officials said on {weekday} that the new {facility} would open {timeframe}.",
    "The {org} reported that {metric} rose by {pct} percent in {month}.",
    "The {org} said that {metric} fell by {pct} percent compared with last year.",
    "According to a spokesperson, the project will cost about {money} and create {num} jobs.",
    "Residents have raised concerns about {concern}.",
    "The council is expected to vote on the plan {timeframe}.",
    "{person}, {job}, said the change was {opinion}.",
    "Experts say that {claim}.",
    "The decision follows a long review of {study_topic}.",
    "A report published in {month} found that {claim}.",
    "Local groups welcomed the news but warned about {concern}.",
    "The mayor of {city} said the town had waited many years for a new {facility}.",
    "Work on the {facility} is due to begin {timeframe}.",
    "Critics argue that {claim}, while supporters point to the benefits for families.",
    "The figures were published by the {org} on {weekday}.",
]

_C_FORUM = [
    "I have been {activity} for about {years} years and I still learn something new every week.",
    "Has anyone else had problems with {thing}?",
    "It {problem} and I do not know what to do.",
    "I tried {fix}, but {outcome}.",
    "My advice would be to {advice}.",
    "Thanks in advance for any help.",
    "In my experience, {tip}.",
    "I had the same issue with {thing} last {season}.",
    "Does anyone know a good place to learn more about {activity}?",
    "Honestly, I think you should {advice}.",
    "Update: I tried {fix} and {outcome}.",
    "This forum has been really {adj} for me over the years.",
    "When I started {activity}, nobody told me that {tip}.",
    "Not sure if this is the right place to ask, but {thing} {problem}.",
]

_C_WEB = [
    "In this article, we look at {topic} and share a few {adj} ideas.",
    "Many readers have asked us about {topic}.",
    "The good news is that {tip}.",
    "Here are a few things to keep in mind before you begin.",
    "First, remember that {tip}.",
    "Second, it helps to {advice}.",
    "One {adj} first step is to tidy {noun} and make a short list.",
    "If you only have a little time, focus on one thing at a time.",
    "Our team tested several approaches over the {season} months.",
    "The results were clear: {tip}.",
    "We hope this short guide to {topic} has been {adj}.",
    "You can find more ideas in our other articles about {topic}.",
    "Many people also find that {tip}.",
    "Finally, do not forget to {advice}.",
]

_C_SOURCES = {"news": _C_NEWS, "forum": _C_FORUM, "web": _C_WEB}

_FOREIGN: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    "de": ([
        "Die Stadt {stadt} plant einen neuen {ort} für die Bürger.",
        "Am {tag} hat der Gemeinderat über das Projekt gesprochen.",
        "Viele Menschen freuen sich über die Nachricht, aber einige sind skeptisch.",
        "Nach Angaben der Verwaltung soll der Bau im {jahreszeit} beginnen.",
        "Die Kosten werden auf etwa {zahl} Millionen Euro geschätzt.",
        "Ich habe letzte Woche ein neues Rezept für Brot ausprobiert.",
        "Das Wetter war am Wochenende leider sehr schlecht.",
        "Wir sind mit dem Zug nach {stadt} gefahren und haben die Altstadt besucht.",
        "Meiner Meinung nach ist das eine gute Entscheidung für die Familien.",
        "Die Schule bleibt während der Bauarbeiten geöffnet.",
        "Es gibt noch viele offene Fragen zum Verkehr und zu den Parkplätzen.",
        "Die Ergebnisse der Studie werden im {jahreszeit} veröffentlicht.",
    ], {"stadt": ["Freiburg", "Münster", "Leipzig", "Bremen", "Heidelberg", "Kassel"],
        "ort": ["Spielplatz", "Bahnhof", "Sportplatz", "Marktplatz", "Radweg"],
        "tag": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"],
        "jahreszeit": ["Frühling", "Sommer", "Herbst", "Winter"],
        "zahl": ["zwei", "drei", "fünf", "zehn", "zwölf"]}),
    "fr": ([
        "La ville de {ville} va construire une nouvelle {lieu} pour les habitants.",
        "Le conseil municipal a discuté du projet {jour} soir.",
        "Selon la mairie, les travaux devraient commencer au {saison}.",
        "Le coût total est estimé à environ {nombre} millions d'euros.",
        "Beaucoup d'habitants sont contents, mais certains restent prudents.",
        "J'ai essayé une nouvelle recette de gâteau au chocolat ce week-end.",
        "Nous avons pris le train pour {ville} et visité le vieux quartier.",
        "À mon avis, c'est une bonne nouvelle pour les familles du quartier.",
        "Il reste encore beaucoup de questions sur la circulation et le stationnement.",
        "Les résultats de l'étude seront publiés au {saison}.",
        "Le temps était très agréable pendant toute la semaine.",
        "L'école restera ouverte pendant toute la durée des travaux.",
    ], {"ville": ["Lyon", "Nantes", "Bordeaux", "Lille", "Toulouse", "Grenoble"],
        "lieu": ["bibliothèque", "piscine", "gare", "école", "salle de sport"],
        "jour": ["lundi", "mardi", "mercredi", "jeudi", "vendredi"],
        "saison": ["printemps", "début de l'été", "mois de septembre", "début de l'hiver"],
        "nombre": ["deux", "trois", "cinq", "dix", "douze"]}),
    "es": ([
        "El ayuntamiento de {ciudad} construirá una nueva {lugar} para los vecinos.",
        "El consejo municipal habló del proyecto el {dia} por la tarde.",
        "Según el alcalde, las obras empezarán en {estacion}.",
        "El coste total será de unos {numero} millones de euros.",
        "Muchos vecinos están contentos, pero algunos tienen dudas.",
        "El fin de semana probé una receta nueva de tortilla de patatas.",
        "Fuimos en tren a {ciudad} y visitamos el centro histórico.",
        "En mi opinión, es una buena noticia para las familias del barrio.",
        "Todavía hay muchas preguntas sobre el tráfico y el aparcamiento.",
        "Los resultados del estudio se publicarán en {estacion}.",
        "El tiempo fue muy agradable durante toda la semana.",
        "La escuela seguirá abierta durante las obras.",
    ], {"ciudad": ["Sevilla", "Valencia", "Bilbao", "Granada", "Zaragoza", "Málaga"],
        "lugar": ["biblioteca", "piscina", "estación", "escuela", "plaza"],
        "dia": ["lunes", "martes", "miércoles", "jueves", "viernes"],
        "estacion": ["primavera", "verano", "otoño", "invierno"],
        "numero": ["dos", "tres", "cinco", "diez", "doce"]}),
}

_SPAM = [
    "BUY NOW!!! {product} at the LOWEST PRICE EVER, only {price} dollars. Limited time offer, "
    "click here: http://{domain}/deal/{n} FREE SHIPPING on all orders. BUY NOW BUY NOW BUY NOW. "
    "Best price guaranteed!!! Order today and save {pct}%. Click here: http://{domain}/buy?id={n}",
    "We use cookies to improve your experience on our website. By continuing to browse, you "
    "agree to our use of cookies. Accept all | Reject all | Manage preferences | Privacy policy "
    "| Cookie policy | Terms of use. © 2025 {site}. All rights reserved. Session {n}.",
    "Home | About us | Contact | Privacy | Terms | Sitemap\nRelated links: http://{domain}/{n} "
    "http://{domain}/{n} http://{domain}/{n} http://{domain}/{n}\nPopular: "
    "{product} | {product} | {product} | more >> page {n}",
    "CONGRATULATIONS!!! You have been selected to win a FREE {product} worth {price} dollars. "
    "Click here to claim your prize now: http://{domain}/win/{n} Offer expires in 24 hours. "
    "Act now!!! Unsubscribe | Contact | http://{domain}/optout/{n}",
    "Subscribe to our newsletter | Follow us | Share this page | Print | Email\n"
    "Sign in | Register | Forgot password? | Help\nCopyright 2025 {site}. All rights reserved. "
    "Powered by {site}. Page id {n}.",
]
_SPAM_VOCAB = {
    "product": ["cheap watches", "designer bags", "weight loss pills", "smartphones",
                "casino bonus", "luxury sunglasses", "crypto coins"],
    "domain": ["best-deals.example", "cheap-offers.example", "win-big.example",
               "shop-now.example", "promo-zone.example"],
    "site": ["ShopWorld", "DealHub", "NewsPortal", "MegaStore", "InfoSite"],
    "n": [str(x) for x in range(10000, 100000, 7)],
    "price": ["9.99", "19.99", "29", "49", "99", "199"],
    "pct": ["50", "70", "80", "90"],
}

_KIND_SHARES = {"clean": 0.70, "exact_duplicate": 0.05, "near_duplicate": 0.07,
                "word_salad": 0.05, "non_english": 0.05, "spam": 0.05, "repetitive": 0.03}


def _fluent_doc(picker: _Picker, source: str, target: int) -> str:
    bank = _C_SOURCES[source]
    parts: list[str] = []
    used: set[str] = set()
    words = 0
    while words < target:
        for _ in range(6):
            s = _cap(picker.fill(picker.pick(bank), _C_VOCAB))
            if s not in used:
                break
        used.add(s)
        parts.append(s)
        words += len(s.split())
    # paragraphs of three to five sentences
    paras, i = [], 0
    while i < len(parts):
        k = 3 + int(picker.u() * 3)
        paras.append(" ".join(parts[i : i + k]))
        i += k
    return "\n\n".join(paras)


def _foreign_doc(picker: _Picker, lang: str, target: int) -> str:
    bank, vocab = _FOREIGN[lang]
    parts: list[str] = []
    words = 0
    order = list(bank)
    while words < target:
        s = picker.fill(picker.pick(order), vocab)
        if s in parts and picker.u() < 0.9:
            continue
        parts.append(s)
        words += len(s.split())
    return " ".join(parts)


def _exact_variant(text: str, variant: str) -> str:
    if variant == "identical":
        return text
    if variant == "case":
        return text.lower() if any(c.isupper() for c in text[1:]) else text.upper()
    if variant == "whitespace":
        return "  " + text.replace(". ", ".  ").replace("\n\n", "\n \n") + " \n"
    # unicode: decomposed accents and no-break spaces, equal to the original under NFKC
    out = unicodedata.normalize("NFD", text).replace(" the ", "\u00a0the\u00a0")
    return out if out != text else out.replace(" ", "\u00a0", 1)


def _edit_words(picker: _Picker, text: str, rate: float) -> tuple[str, float]:
    """Edit about ``rate`` of the words (substitute, delete, insert); return text, actual rate."""
    tokens = text.split(" ")
    fill = [w for ws in _C_VOCAB.values() for phrase in ws for w in phrase.split()]
    n = len(text.split())
    n_edits = max(1, int(round(rate * n)))
    out = list(tokens)
    for _ in range(n_edits):
        pos = int(picker.u() * len(out))
        op = picker.u()
        if op < 0.5:
            out[pos] = picker.pick(fill)
        elif op < 0.75 and len(out) > 2:
            del out[pos]
        else:
            out.insert(pos, picker.pick(fill))
    return " ".join(out), n_edits / n


def make_corpus(
    n_docs: int = 5000,
    *,
    shares: Mapping[str, float] | None = None,
    min_words: int = 60,
    max_words: int = 200,
    edit_rate: tuple[float, float] = (0.01, 0.10),
    rng: int | np.random.Generator | None = 0,
) -> Sample:
    """A raw text corpus with planted duplicates, noise, foreign language and spam.

    Kinds (shares by default): ``clean`` fluent English from a template grammar with a real
    vocabulary (70 %, sources news/forum/web); ``exact_duplicate`` (5 %) of a clean
    document, identical or differing only in case, whitespace or Unicode form (NFD and
    no-break spaces; equal under NFKC); ``near_duplicate`` (7 %), a clean document with a
    fraction ``edit_rate`` (uniform 1–10 %) of its words substituted, deleted or inserted;
    ``word_salad`` (5 %), a fluent document with its words shuffled; ``non_english``
    (5 %, German, French, Spanish); ``spam`` (5 %, ads, cookie notices, link lists);
    ``repetitive`` (3 %, one sentence repeated).

    Returns
    -------
    Sample
        ``tables["corpus"]``: doc_id, text, source (written as ``corpus.jsonl``).
        ``truth["rows"]``: doc_id, kind, duplicate_of, edit_rate, language, variant.

    Examples
    --------
    >>> s = make_corpus(200, rng=0)
    >>> rows = s.truth["rows"]
    >>> int((rows["kind"] == "clean").sum())
    140
    >>> dup = rows[rows["kind"] == "exact_duplicate"].iloc[0]
    >>> docs = s.tables["corpus"].set_index("doc_id")["text"]
    >>> import unicodedata
    >>> norm = lambda t: " ".join(unicodedata.normalize("NFKC", t).lower().split())
    >>> norm(docs[dup["doc_id"]]) == norm(docs[dup["duplicate_of"]])
    True
    """
    _check_count("n_docs", n_docs)
    sh = dict(_KIND_SHARES if shares is None else shares)
    unknown = set(sh) - set(_KIND_SHARES)
    if unknown or "clean" not in sh:
        raise WorkbenchError(f"shares must use the kinds {', '.join(_KIND_SHARES)} and include "
                             f"'clean'; got {sorted(sh)}.")
    if any(v < 0 for v in sh.values()) or not math.isclose(sum(sh.values()), 1.0, abs_tol=1e-6):
        raise WorkbenchError(f"shares must be non-negative and sum to 1, got {sh}.")
    gen = as_rng(rng)
    picker = _Picker(gen)
    kinds_order = [k for k in _KIND_SHARES if k in sh]
    counts = {k: int(math.floor(sh[k] * n_docs)) for k in kinds_order if k != "clean"}
    counts["clean"] = n_docs - sum(counts.values())
    if sum(counts[k] for k in ("exact_duplicate", "near_duplicate") if k in counts) and counts["clean"] < 1:
        raise WorkbenchError("duplicates need at least one clean document; raise the clean share.")
    sources = np.array(list(_C_SOURCES))
    lo, hi = min_words, max_words

    def target() -> int:
        return int(lo + picker.u() * (hi - lo))

    n_clean = counts["clean"]
    clean_src = sources[gen.integers(0, len(sources), n_clean)]
    clean_text = [_fluent_doc(picker, s, target()) for s in clean_src]
    recs: list[tuple[str, str, str, int, float, str, str]] = []  # kind, text, source, dup_idx, rate, lang, variant
    for i in range(n_clean):
        recs.append(("clean", clean_text[i], str(clean_src[i]), -1, 0.0, "en", ""))
    variants = ["identical", "case", "whitespace", "unicode"]
    for _ in range(counts.get("exact_duplicate", 0)):
        j = int(picker.u() * n_clean)
        v = variants[int(picker.u() * len(variants))]
        recs.append(("exact_duplicate", _exact_variant(clean_text[j], v), str(clean_src[j]), j, 0.0, "en", v))
    for _ in range(counts.get("near_duplicate", 0)):
        j = int(picker.u() * n_clean)
        rate = edit_rate[0] + picker.u() * (edit_rate[1] - edit_rate[0])
        text, actual = _edit_words(picker, clean_text[j], rate)
        recs.append(("near_duplicate", text, str(clean_src[j]), j, round(actual, 4), "en", ""))
    for _ in range(counts.get("word_salad", 0)):
        s = str(sources[int(picker.u() * len(sources))])
        words = _fluent_doc(picker, s, target()).split()
        perm = gen.permutation(len(words))
        salad = " ".join(words[k] for k in perm).lower()
        recs.append(("word_salad", _cap(salad), s, -1, 0.0, "en", ""))
    langs = list(_FOREIGN)
    for _ in range(counts.get("non_english", 0)):
        lang = langs[int(picker.u() * len(langs))]
        s = str(sources[int(picker.u() * len(sources))])
        recs.append(("non_english", _foreign_doc(picker, lang, target()), s, -1, 0.0, lang, ""))
    for _ in range(counts.get("spam", 0)):
        recs.append(("spam", picker.fill(picker.pick(_SPAM), _SPAM_VOCAB), "web", -1, 0.0, "en", ""))
    used_lines: set[str] = set()
    for _ in range(counts.get("repetitive", 0)):
        s = str(sources[int(picker.u() * len(sources))])
        for _ in range(50):  # distinct lines, so repetitive docs are not duplicates of each other
            line = _cap(picker.fill(picker.pick(_C_SOURCES[s]), _C_VOCAB))
            if line not in used_lines:
                break
        used_lines.add(line)
        reps = 5 + int(picker.u() * 16)
        sep = "\n" if picker.u() < 0.5 else " "
        recs.append(("repetitive", sep.join([line] * reps), s, -1, 0.0, "en", ""))

    perm = gen.permutation(n_docs)  # position of record r in the corpus is perm[r]
    dw = len(str(n_docs - 1))
    ids = np.array([f"d{k:0{dw}d}" for k in range(n_docs)])
    rec_id = ids[perm]
    order = np.argsort(perm)
    kind = np.array([r[0] for r in recs], dtype=object)
    dup_idx = np.array([r[3] for r in recs])
    dup_of = np.where(dup_idx >= 0, rec_id[np.maximum(dup_idx, 0)], "")
    corpus = pd.DataFrame({"doc_id": rec_id, "text": [r[1] for r in recs],
                           "source": [r[2] for r in recs]}).iloc[order].reset_index(drop=True)
    rows = pd.DataFrame({
        "doc_id": rec_id,
        "kind": kind,
        "duplicate_of": dup_of,
        "edit_rate": [r[4] for r in recs],
        "language": [r[5] for r in recs],
        "variant": [r[6] for r in recs],
    }).iloc[order].reset_index(drop=True)
    rows["duplicate_of"] = rows["duplicate_of"].replace("", pd.NA)
    rows["variant"] = rows["variant"].replace("", pd.NA)
    truth = {
        "description": "Per-document kind in truth/corpus_rows.csv; duplicate_of names the clean "
        "original of exact and near duplicates; edit_rate is the fraction of words edited.",
        "counts": {k: int(v) for k, v in counts.items()},
        "shares": sh,
        "edit_rate_range": list(edit_rate),
        "exact_variants": variants,
        "languages": ["en", *langs],
        "rows": rows,
    }
    return Sample("corpus", {"corpus": corpus}, truth)


# ---- image captions --------------------------------------------------------------------

_IMG_SHARES = {"correct": 0.70, "mismatched": 0.10, "spam": 0.05, "exact_duplicate": 0.07,
               "near_duplicate": 0.08}
_SPAM_CAPTIONS = ["click here best price", "buy now free shipping", "best deals visit our store",
                  "limited offer click the link", "download free wallpapers here",
                  "cheap prices click here now", "win a free phone today"]


def _describes(caption: str, spec: Any) -> bool:
    """Whether ``caption`` is a true description of ``spec`` (attributes it names all match)."""
    words = set(caption.split())
    counts = {1: {"a", "one"}, 2: {"two"}, 3: {"three"}}
    noun = spec.shape if spec.count == 1 else spec.shape + "s"
    sizes = words & {"small", "large"}
    return (spec.colour in words and noun in words and bool(counts[spec.count] & words)
            and spec.position in words and (not sizes or sizes == {spec.size}))


def make_image_captions(
    n: int = 2000,
    *,
    out_dir: str | os.PathLike[str] | None,
    size: int = 64,
    shares: Mapping[str, float] | None = None,
    rng: int | np.random.Generator | None = 0,
) -> Sample:
    """Rendered shape images with captions: correct, mismatched, spam, exact and near duplicates.

    Scenes and captions come from :mod:`workbench._shapes` (the domain of the demo CLIP).
    Kinds (default shares): ``correct`` (70 %) caption describes the image; ``mismatched``
    (10 %) caption of another scene — half a random scene, half the same scene with one
    attribute changed (``mismatch`` = ``random``/``attribute``); ``spam`` (5 %) an
    advertising caption; ``exact_duplicate`` (7 %) a byte-identical copy of a correct image
    with a correct caption; ``near_duplicate`` (8 %) the scene of a correct image
    re-rendered with a different jitter, correct caption.

    Parameters
    ----------
    n
        Number of image–caption pairs.
    out_dir
        Folder that receives ``images/<pair_id>.png`` (each written atomically); ``None``
        renders nothing (the tables and truth are the same).
    size
        Side of the square images in pixels.
    shares
        Share of each kind (keys as above, summing to 1).
    rng
        Seed or Generator.

    Returns
    -------
    Sample
        ``tables["image_captions"]``: pair_id, image (``images/<pair_id>.png``, relative to
        the table), caption. ``truth["rows"]``: pair_id, kind, duplicate_of, mismatch,
        shape, colour, count, position, size, true_caption.

    Examples
    --------
    >>> s = make_image_captions(50, out_dir=None, rng=0)
    >>> s.tables["image_captions"].columns.tolist()
    ['pair_id', 'image', 'caption']
    >>> s.truth["counts"]["correct"], int((s.truth["rows"]["kind"] == "correct").sum())
    (36, 36)
    """
    from workbench import _shapes
    from workbench.io import atomic_path

    _check_count("n", n)
    sh = dict(_IMG_SHARES if shares is None else shares)
    if set(sh) - set(_IMG_SHARES) or "correct" not in sh:
        raise WorkbenchError(f"shares must use the kinds {', '.join(_IMG_SHARES)} and include "
                             f"'correct'; got {sorted(sh)}.")
    if any(v < 0 for v in sh.values()) or not math.isclose(sum(sh.values()), 1.0, abs_tol=1e-6):
        raise WorkbenchError(f"shares must be non-negative and sum to 1, got {sh}.")
    gen = as_rng(rng)
    counts = {k: int(math.floor(sh.get(k, 0.0) * n)) for k in _IMG_SHARES if k != "correct"}
    counts["correct"] = n - sum(counts.values())
    n_base = counts["correct"] + counts["mismatched"] + counts["spam"]
    specs = _shapes.caption_specs(n_base, gen)
    captions = _shapes.captions_for(specs, gen)
    kind = (["correct"] * counts["correct"] + ["mismatched"] * counts["mismatched"]
            + ["spam"] * counts["spam"])
    mismatch = [""] * n_base
    # mismatched: half a random other scene, half one attribute changed (hard negatives)
    lo, hi = counts["correct"], counts["correct"] + counts["mismatched"]
    n_mis = hi - lo
    n_attr = n_mis // 2
    wrong_specs = (_shapes.mismatched_specs(specs[lo : lo + n_attr], gen)
                   + _shapes.caption_specs(n_mis - n_attr, gen))
    wrong_specs = [w if w != s else _shapes.mismatched_specs([s], gen)[0]
                   for w, s in zip(wrong_specs, specs[lo:hi], strict=True)]
    wrong_caps = _shapes.captions_for(wrong_specs, gen)
    # a phrasing without the changed attribute (e.g. no size word) would still describe the
    # image: use the canonical phrasing, which names all five attributes, for those
    captions[lo:hi] = [_shapes.caption_for(w) if _describes(c, s) else c
                       for c, w, s in zip(wrong_caps, wrong_specs, specs[lo:hi], strict=True)]
    mismatch[lo:hi] = ["attribute"] * n_attr + ["random"] * (n_mis - n_attr)
    spam_idx = gen.integers(0, len(_SPAM_CAPTIONS), counts["spam"])
    captions[hi:n_base] = [_SPAM_CAPTIONS[i] for i in spam_idx]
    render_seed = gen.integers(0, 2**31, n_base)
    dup_of = [-1] * n_base
    n_dup = counts["exact_duplicate"] + counts["near_duplicate"]
    src = gen.integers(0, max(counts["correct"], 1), n_dup)
    for j, k in enumerate(src.tolist()):
        specs.append(specs[k])
        dup_of.append(k)
        exact = j < counts["exact_duplicate"]
        kind.append("exact_duplicate" if exact else "near_duplicate")
        mismatch.append("")
        render_seed = np.append(render_seed, render_seed[k] if exact else gen.integers(0, 2**31))
    captions += _shapes.captions_for(specs[n_base:], gen)

    perm = gen.permutation(n)
    w = len(str(n - 1))
    ids = np.array([f"img{k:0{w}d}" for k in range(n)])[perm]
    order = np.argsort(perm)
    images = np.array([f"images/{i}.png" for i in ids])
    if out_dir is not None:
        folder = Path(out_dir) / "images"
        folder.mkdir(parents=True, exist_ok=True)
        for r in range(n):
            img = _shapes.render_caption_image(specs[r], size, int(render_seed[r]))
            with atomic_path(folder / f"{ids[r]}.png") as tmp:
                img.save(tmp, format="PNG", optimize=True)
    spec_frame = _shapes.specs_to_frame(specs)
    dup = np.array(dup_of)
    table = pd.DataFrame({"pair_id": ids, "image": images, "caption": captions}).iloc[order]
    rows = pd.DataFrame({
        "pair_id": ids,
        "kind": kind,
        "duplicate_of": np.where(dup >= 0, ids[np.maximum(dup, 0)], ""),
        "mismatch": mismatch,
        **{c: spec_frame[c].to_numpy() for c in spec_frame.columns},
        "true_caption": [_shapes.caption_for(s) for s in specs],
    }).iloc[order]
    rows["duplicate_of"] = rows["duplicate_of"].replace("", pd.NA)
    rows["mismatch"] = rows["mismatch"].replace("", pd.NA)
    truth = {
        "description": "Per-pair kind in truth/image_captions_rows.csv; duplicate_of names the "
        "correct original of exact (byte-identical) and near (re-rendered) duplicates; the "
        "spec columns describe what the image shows.",
        "counts": {k: int(v) for k, v in counts.items()},
        "shares": sh,
        "image_size": size,
        "spam_captions": list(_SPAM_CAPTIONS),
        "rows": rows.reset_index(drop=True),
    }
    return Sample("image_captions", {"image_captions": table.reset_index(drop=True)}, truth)


def render_caption_image(spec: Any, size: int = 64, rng: int | np.random.Generator | None = None) -> Any:
    """Draw a scene (see :func:`workbench._shapes.render_caption_image`).

    Examples
    --------
    >>> render_caption_image(caption_spec(0)).size
    (64, 64)
    """
    from workbench import _shapes

    return _shapes.render_caption_image(spec, size, rng)


def caption_spec(rng: int | np.random.Generator | None = None) -> Any:
    """Draw one random scene (see :func:`workbench._shapes.caption_spec`).

    Examples
    --------
    >>> caption_spec(0) == caption_spec(0)
    True
    """
    from workbench import _shapes

    return _shapes.caption_spec(rng)


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def _write_sample(sample: Sample, out_dir: Path, *, subdir: str = "") -> list[Path]:
    from workbench.io import atomic_path, save_table

    written = []
    base = out_dir / subdir if subdir else out_dir
    for stem, frame in sample.tables.items():
        ext = ".jsonl" if stem == "corpus" else ".csv"
        written.append(save_table(frame, base / f"{stem}{ext}"))
    truth_dir = out_dir / "truth"
    target = truth_dir / f"{sample.name}.json"
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(sample.truth_json(), indent=2, default=_json_default) + "\n",
                       encoding="utf-8")
    written.append(target)
    if sample.rows is not None:
        written.append(save_table(sample.rows, truth_dir / f"{sample.name}_rows.csv"))
    return written


#: The samples written by :func:`write_all`, in order.
SAMPLE_NAMES = ("preferences_5x200", "vendors", "reviews_10x5000", "relevance_5pt", "corpus",
                "image_captions")


def write_all(
    out_dir: str | os.PathLike[str],
    seed: int = 0,
    *,
    names: Sequence[str] | None = None,
) -> list[Path]:
    """Generate every sample with ``rng=seed`` and write it under ``out_dir``.

    Each table goes to ``<out_dir>/<table>.csv`` (the corpus to ``corpus.jsonl``, the image
    captions to ``image_captions/``), the planted truth to ``truth/<name>.json`` and
    ``truth/<name>_rows.csv``. Every file is written atomically.

    Parameters
    ----------
    out_dir
        Target folder (created if missing).
    seed
        Seed of every generator.
    names
        Subset of :data:`SAMPLE_NAMES` to write; all by default.

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> paths = write_all(tempfile.mkdtemp(), names=["preferences_5x200"])
    >>> sorted(p.name for p in paths)
    ['preferences_5x200.csv', 'preferences_5x200.json', 'preferences_5x200_rows.csv']
    """
    out = Path(out_dir)
    chosen = list(SAMPLE_NAMES if names is None else names)
    for n in chosen:
        if n not in SAMPLE_NAMES:
            raise WorkbenchError(f"unknown sample {n!r}; choose from {', '.join(SAMPLE_NAMES)}.")
    written: list[Path] = []
    for n in chosen:
        if n == "preferences_5x200":
            written += _write_sample(make_preferences(rng=seed), out)
        elif n == "vendors":
            written += _write_sample(make_vendors(rng=seed), out)
        elif n == "reviews_10x5000":
            written += _write_sample(make_reviews(rng=seed), out)
        elif n == "relevance_5pt":
            written += _write_sample(make_relevance(rng=seed), out)
        elif n == "corpus":
            written += _write_sample(make_corpus(rng=seed), out)
        elif n == "image_captions":
            sample = make_image_captions(out_dir=out / "image_captions", rng=seed)
            written += _write_sample(sample, out, subdir="image_captions")
            written += sorted((out / "image_captions" / "images").glob("*.png"))
    return written
