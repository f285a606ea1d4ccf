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


# ---- caption spam signals (issue 31): what text_stats lacks --------------------------------------

def _spam_reference(text: str, terms: tuple[str, ...]) -> tuple[int, float]:
    """Loop-based seo_term_count (longest phrase first, whole words) and repeated_word_fraction."""
    import re

    low = " " + " ".join(text.lower().split()) + " "
    n_terms = 0
    for term in sorted(terms, key=len, reverse=True):
        hits = len(re.findall(rf"(?<!\w){re.escape(term)}(?!\w)", low))
        n_terms += hits
        low = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", "|", low)
    words = [w.strip(".,;:!?\"'()[]") for w in text.lower().split()]
    words = [w for w in words if w]
    seen: set[str] = set()
    rep = 0
    for w in words:
        rep += w in seen
        seen.add(w)
    return n_terms, rep / len(words) if words else 0.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["cheap", "shoes", "free", "shipping", "a", "red", "Sale!", "click", "here",
                                 "wallpaper", "wallpapers", "circle"]), max_size=12))
def test_spam_stats_equal_a_loop_reference(words: list[str]) -> None:
    from workbench.scoring import SEO_TERMS, spam_stats

    text = " ".join(words)
    got = spam_stats([text]).iloc[0]
    terms, rep = _spam_reference(text, SEO_TERMS)
    assert got["seo_term_count"] == terms and got["repeated_word_fraction"] == pytest.approx(rep)
    assert got["url_count"] == 0


def test_spam_stats_find_links_and_flag_every_planted_spam_caption_only() -> None:
    from workbench.samples.templates.image_captions import SPAM_CAPTIONS
    from workbench.scoring import spam_stats

    links = spam_stats(["see https://x.io/a?b=1 or www.shop.example", "visit cheapshoes.com today", "3.5 m wide"])
    assert links["url_count"].tolist() == [2, 1, 0]
    assert (spam_stats(SPAM_CAPTIONS)["seo_term_count"] >= 2).all()
    from workbench._shapes import caption_specs, captions_for

    honest = captions_for(caption_specs(300, np.random.default_rng(0)), np.random.default_rng(1))
    assert spam_stats(honest)[["url_count", "seo_term_count"]].to_numpy().sum() == 0
