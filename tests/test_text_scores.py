"""Text heuristics against a plain-Python reference of the Gopher rules, and language id
on the planted sample languages."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import WorkbenchError
from workbench.scoring import STOP_WORDS, TEXT_STAT_COLUMNS, language_id, text_stats


def _reference(text: str) -> dict[str, float]:
    """Loop-based reference of each statistic (the definitions in text_stats' docstring)."""
    words = text.split()
    n = len(words)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    seen, dup = set(), 0
    for line in lines:
        dup += line in seen
        seen.add(line)
    wc = sum(len(w) for w in words)
    out = {
        "n_words": n,
        "n_lines": len(lines),
        "mean_word_length": wc / n if n else np.nan,
        "symbol_to_word_ratio": (text.count("#") + text.count("...") + text.count("…")) / n if n else np.nan,
        "duplicate_line_fraction": dup / len(lines) if lines else 0.0,
        "stop_word_count": len({w.lower().strip(".,;:!?\"'()[]") for w in words} & STOP_WORDS),
    }
    for k in (2, 3, 4):
        grams = [" ".join(words[i : i + k]) for i in range(n - k + 1)]
        counts = Counter(grams)
        best = None
        for g, c in counts.items():
            if c >= 2 and (best is None or (c, len(g)) > (counts[best], len(best))):
                best = g
        frac = 0.0
        if best is not None:
            covered = set()
            for i in range(n - k + 1):
                if grams[i] == best:
                    covered.update(range(i, i + k))
            frac = sum(len(words[i]) for i in covered) / wc
        out[f"top_{k}gram_char_fraction"] = frac
    return out


_word = st.sampled_from(["the", "cat", "of", "and", "#tag", "...", "dog", "A", "x1", "é"])
_text = st.lists(st.lists(_word, min_size=0, max_size=12).map(" ".join), min_size=0, max_size=5).map("\n".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(_text, min_size=1, max_size=6))
def test_matches_loop_reference(texts):
    got = text_stats(texts)
    for i, t in enumerate(texts):
        ref = _reference(t)
        for k, v in ref.items():
            g = got[k].iloc[i]
            if np.isnan(v):
                assert np.isnan(g), (t, k)
            else:
                assert g == pytest.approx(v), (t, k, g, v)


def test_known_values_and_index():
    s = pd.Series(["one two. one two.\none two.\nxx", "### ... hi", None], index=["p", "q", "r"])
    st_ = text_stats(s)
    assert list(st_.columns) == list(TEXT_STAT_COLUMNS)
    assert list(st_.index) == ["p", "q", "r"]
    assert st_.loc["p", "top_2gram_char_fraction"] == pytest.approx(21 / 23)
    assert st_.loc["q", "symbol_to_word_ratio"] == pytest.approx(4 / 3)
    assert st_.loc["q", "alpha_word_fraction"] == pytest.approx(1 / 3)
    assert st_.loc["r"].isna().all()
    rep = text_stats(["same line\nsame line\nsame line\nother"])
    assert rep["duplicate_line_fraction"].iloc[0] == pytest.approx(0.5)


def test_bad_input():
    with pytest.raises(TypeError, match="single str"):
        text_stats("one text")
    with pytest.raises(WorkbenchError, match="must hold text"):
        text_stats(["ok", 1.5])


def test_language_id_on_planted_languages(data_samples):
    truth = pd.read_csv(data_samples / "truth" / "corpus_rows.csv", dtype={"doc_id": str})
    corpus = pd.read_json(data_samples / "corpus.jsonl", lines=True, dtype={"doc_id": str}).merge(truth, on="doc_id")
    sample = corpus.groupby("language").head(40)
    lang = language_id(sample["text"], score_of=("en",))
    assert (lang["language"].to_numpy() == sample["language"].to_numpy()).mean() >= 0.97
    assert list(lang.index) == list(sample.index)
    en = sample["language"].to_numpy() == "en"
    assert (lang["lang_score_en"].to_numpy()[en] > 0.5).all()
    assert (lang["lang_score_en"].to_numpy()[~en] < 0.5).all()
    assert ((lang["language_score"] >= 0) & (lang["language_score"] <= 1)).all()


def test_language_id_restricted_and_undetermined():
    out = language_id(["Das Wetter ist heute schön und warm.", "123 456", None], languages=["en", "fr"])
    assert out["language"].iloc[0] in {"en", "fr"}
    assert out["language"].iloc[1:].tolist() == ["und", "und"]
    assert out["language_score"].iloc[1:].isna().all()
