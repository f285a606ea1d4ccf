"""Scored items and the decisions of a reviewer who follows a planted rule (the flywheel's sample).

Each item carries five scores the workbench computes (a count of unsafe words, shortness and
repetitiveness heuristics scaled to [0, 1], perplexity, and a score that carries no signal).
The reviewer flags an item by a rule that no single threshold captures, ``unsafe wording OR
(short AND repetitive)`` (``rule="combined"``), by one threshold on perplexity
(``rule="threshold"``), or at random (``rule="none"``, the null data); ``label_noise`` flips a
share of the decisions, as a tired reviewer would.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.samples.base import Sample, check_count, check_prob
from workbench.samples.truth import ScoredItemsTruth

__all__ = ["make_scored_items", "reviewer_rule"]

Rule = Literal["combined", "threshold", "none"]
_RULES = {
    "combined": "unsafe_words > 0 or (short > 0.6 and repetitive > 0.6)",
    "threshold": "perplexity > 30",
    "none": "a coin with the combined rule's flag rate",
}


def reviewer_rule(items: pd.DataFrame, rule: Rule = "combined") -> np.ndarray:
    """Whether the planted reviewer flags each item (no noise; ``"none"`` is not a rule)."""
    if rule == "combined":
        return ((items["unsafe_words"] > 0) | ((items["short"] > 0.6) & (items["repetitive"] > 0.6))).to_numpy()
    if rule == "threshold":
        return (items["perplexity"] > 30).to_numpy()
    raise WorkbenchError(f"rule={rule!r} has no deterministic reviewer; choose 'combined' or 'threshold'.")


_WORDS = ("data", "model", "review", "label", "batch", "quality", "sample", "filter", "score", "corpus",
          "annotator", "caption", "image", "token", "vendor", "gold")


def _text(row: tuple, gen: np.random.Generator) -> str:
    """A text that looks like its scores: short ones are short, repetitive ones repeat a word,
    each unsafe word is a marked slur placeholder."""
    n = int(4 + (1 - row.short) * 40)  # type: ignore[attr-defined]
    words = list(gen.choice(_WORDS, n))
    if row.repetitive > 0.6:  # type: ignore[attr-defined]
        words = [words[0]] * n
    words += ["[unsafe]"] * int(row.unsafe_words)  # type: ignore[attr-defined]
    return " ".join(words)


def make_scored_items(n: int = 2_000, *, rule: Rule = "combined", label_noise: float = 0.0,
                      rng: int | np.random.Generator | None = 0) -> Sample[ScoredItemsTruth]:
    """``items`` (item_id, a text that looks like its scores, and five scores) and ``decisions``
    (item_id, reviewer, decision).

    Examples
    --------
    >>> s = make_scored_items(500, rng=1)
    >>> sorted(s.tables), s.truth.rule
    (['decisions', 'items'], 'unsafe_words > 0 or (short > 0.6 and repetitive > 0.6)')
    >>> bool((s.rows["flagged"] == (s.tables["decisions"]["decision"] != "Acceptable")).all())
    True
    """
    check_count("n", n)
    check_prob("label_noise", label_noise)
    if rule not in _RULES:
        raise WorkbenchError(f"rule={rule!r} is not valid; choose one of {sorted(_RULES)}.")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    items = pd.DataFrame({
        "item_id": [f"item-{i:05d}" for i in range(n)],
        "unsafe_words": gen.poisson(0.15, n).astype(float),
        "short": gen.random(n),
        "repetitive": gen.random(n),
        "perplexity": gen.lognormal(3, 0.5, n),
        "noise": gen.normal(size=n),
    })
    items.insert(1, "text", [_text(row, gen) for row in items.itertuples(index=False)])
    if rule == "none":
        clean = gen.random(n) < reviewer_rule(items).mean()
    else:
        clean = reviewer_rule(items, rule)
    flipped = gen.random(n) < label_noise
    flagged = clean ^ flipped
    decisions = pd.DataFrame({"item_id": items["item_id"], "reviewer": "planted-reviewer",
                              "decision": np.where(flagged, "Poor quality", "Acceptable")})
    rows = pd.DataFrame({"item_id": items["item_id"], "rule_flag": clean, "flipped": flipped, "flagged": flagged})
    truth = ScoredItemsTruth(rule=_RULES[rule], label_noise=float(label_noise),
                             flag_rate=float(flagged.mean()), rows=rows)
    return Sample("scored_items", {"items": items, "decisions": decisions}, truth)
