"""Cheap text heuristics (Gopher-style quality signals) and language identification.

These need no model and run on a whole corpus in seconds; they catch what perplexity
misses (boilerplate with low perplexity, repeated lines, symbol soup) and route documents
by language before a language-specific model scores them.

References
----------
Rae et al. (2021), *Scaling Language Models: Methods, Analysis & Insights from Training
Gopher*, appendix A.1 (quality filters), arXiv:2112.11446.
Lui & Baldwin (2012), *langid.py: An Off-the-shelf Language Identification Tool*, ACL.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from workbench._internal.text import as_text_list

__all__ = ["SEO_TERMS", "SPAM_STAT_COLUMNS", "STOP_WORDS", "TEXT_STAT_COLUMNS", "language_id", "spam_stats",
           "text_stats"]

#: The Gopher stop-word list: a real English document contains at least two of them.
STOP_WORDS: frozenset[str] = frozenset({"the", "be", "to", "of", "and", "that", "have", "with"})

TEXT_STAT_COLUMNS: tuple[str, ...] = (
    "n_chars",
    "n_words",
    "n_lines",
    "mean_word_length",
    "symbol_to_word_ratio",
    "duplicate_line_fraction",
    "top_2gram_char_fraction",
    "top_3gram_char_fraction",
    "top_4gram_char_fraction",
    "stop_word_count",
    "alpha_word_fraction",
    "non_alpha_char_ratio",
)

_WORD = r"\S+"

#: Advertising and SEO phrases of scraped alt texts and captions ("click here", "free shipping"),
#: matched as whole words, case-insensitively; a longer phrase is counted once, not with its parts.
SEO_TERMS: tuple[str, ...] = (
    "click here", "click the link", "buy now", "order now", "shop now", "free shipping", "best price",
    "lowest price", "best deals", "best deal", "visit our store", "limited offer", "limited time",
    "download free", "free download", "royalty free", "stock photo", "wallpapers", "wallpaper", "discount",
    "coupon", "promo", "sale", "cheap", "deals", "win", "free", "subscribe", "follow us", "best seller",
    "hd", "4k", "prices",
)

SPAM_STAT_COLUMNS: tuple[str, ...] = ("url_count", "seo_term_count", "repeated_word_fraction")

_URL = r"(?i)\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|biz|shop|store|io|co|ru|xyz)\b"


def _top_ngram_fraction(words: pd.DataFrame, n: int, n_docs: int, word_chars: np.ndarray) -> np.ndarray:
    """Share of a document's word characters covered by its most frequent repeated word n-gram.

    Occurrences may overlap ("buy buy buy"); a word counts once however many occurrences
    cover it, so the share is at most 1.
    """
    out = np.zeros(n_docs, dtype=np.float64)
    if len(words) < n:
        return out
    doc = words["doc"].to_numpy()
    w = words["word"]
    gram = w
    valid = np.ones(len(words), dtype=bool)
    for k in range(1, n):
        valid &= np.r_[doc[k:] == doc[:-k], np.zeros(k, dtype=bool)]
        gram = gram + " " + w.shift(-k).fillna("")
    pos = np.flatnonzero(valid)
    grams = pd.DataFrame({"doc": doc[pos], "gram": gram.to_numpy()[pos], "pos": pos})
    if grams.empty:
        return out
    grams["count"] = grams.groupby(["doc", "gram"], sort=False)["pos"].transform("size")
    grams = grams[grams["count"] >= 2]
    if grams.empty:
        return out
    # the most frequent repeated n-gram of each doc (ties: the longest, then the first)
    grams["length"] = grams["gram"].str.len()
    best = grams.sort_values(["doc", "count", "length", "pos"], ascending=[True, False, False, True])
    best = best.drop_duplicates("doc")[["doc", "gram"]]
    starts = grams.merge(best, on=["doc", "gram"])["pos"].to_numpy()
    covered = np.zeros(len(words), dtype=bool)
    for k in range(n):
        covered[starts + k] = True
    lengths = words["word"].str.len().to_numpy(dtype=np.float64)
    chars = np.bincount(doc[covered], weights=lengths[covered], minlength=n_docs)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(word_chars > 0, chars / np.maximum(word_chars, 1), 0.0)


def text_stats(texts: Sequence[str] | pd.Series) -> pd.DataFrame:
    """Gopher-style quality heuristics of each text, computed with vectorized pandas ops.

    Parameters
    ----------
    texts
        Sequence or Series of strings; missing values give a row of missing values.

    Returns
    -------
    pandas.DataFrame
        Index of ``texts`` (a Series) or ``0..n-1``; columns (Gopher's thresholds in brackets,
        see :func:`workbench.scoring.default_rules`):

        ``n_chars``, ``n_words`` (whitespace-separated tokens) [50 ≤ n ≤ 100,000],
        ``n_lines`` (non-empty lines),
        ``mean_word_length`` (characters per word) [3–10],
        ``symbol_to_word_ratio`` (``#`` and ellipses per word) [≤ 0.1],
        ``duplicate_line_fraction`` (non-empty lines that repeat an earlier line) [≤ 0.3],
        ``top_{2,3,4}gram_char_fraction`` (share of word characters covered by the
        occurrences of the most frequent *repeated* word n-gram; 0 when none repeats)
        [≤ 0.20, 0.18, 0.16],
        ``stop_word_count`` (how many distinct words of :data:`STOP_WORDS` occur) [≥ 2],
        ``alpha_word_fraction`` (words with at least one letter) [≥ 0.8],
        ``non_alpha_char_ratio`` (non-space characters that are not letters).

    Notes
    -----
    Gopher's n-gram rule uses the most common n-gram; we only count n-grams that occur at
    least twice, so a short text whose every n-gram is unique scores 0 rather than the
    share of one arbitrary n-gram, and we count each covered word once (overlapping
    occurrences of "buy buy" in "buy buy buy" do not push the share above 1).

    Examples
    --------
    >>> s = text_stats(["the cat and the dog", "buy buy buy buy buy buy", None])
    >>> s[["n_words", "stop_word_count", "top_2gram_char_fraction"]].round(3)
       n_words  stop_word_count  top_2gram_char_fraction
    0      5.0              2.0                      0.0
    1      6.0              0.0                      1.0
    2      NaN              NaN                      NaN
    """
    values, index = as_text_list(texts)
    n = len(values)
    s = pd.Series(values, dtype="string").reset_index(drop=True)
    missing = s.isna().to_numpy()
    filled = s.fillna("")
    n_chars = filled.str.len().to_numpy(dtype=np.float64)
    n_words = filled.str.count(_WORD).to_numpy(dtype=np.float64)
    word_chars = filled.str.replace(r"\s+", "", regex=True).str.len().to_numpy(dtype=np.float64)
    symbols = (filled.str.count("#") + filled.str.count(r"\.\.\.") + filled.str.count("…")).to_numpy(dtype=np.float64)
    letters = filled.str.count(r"[^\W\d_]").to_numpy(dtype=np.float64)

    # lines: one row per (doc, non-empty stripped line)
    lines = filled.str.split("\n").explode()
    lines = lines.str.strip()
    lines = lines[lines.str.len() > 0]
    line_doc = lines.index.to_numpy(dtype=np.int64)
    n_lines = np.bincount(line_doc, minlength=n).astype(np.float64)
    dup = pd.DataFrame({"doc": line_doc, "line": lines.to_numpy()}).duplicated().to_numpy()
    dup_lines = np.bincount(line_doc[dup], minlength=n).astype(np.float64)

    # words: one row per (doc, word) in order
    wser = filled.str.split().explode().dropna()
    wser = wser[wser.str.len() > 0]
    words = pd.DataFrame({"doc": wser.index.to_numpy(dtype=np.int64), "word": wser.to_numpy()})
    lower = words["word"].str.lower().str.strip(".,;:!?\"'()[]")
    stop = pd.DataFrame({"doc": words["doc"], "w": lower})[lower.isin(STOP_WORDS).to_numpy()]
    stop_count = stop.drop_duplicates().groupby("doc").size().reindex(range(n), fill_value=0).to_numpy(dtype=np.float64)
    has_alpha = words["word"].str.contains(r"[^\W\d_]", regex=True).to_numpy(dtype=bool)
    alpha_words = np.bincount(words["doc"].to_numpy()[has_alpha], minlength=n).astype(np.float64)

    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "n_chars": n_chars,
                "n_words": n_words,
                "n_lines": n_lines,
                "mean_word_length": np.where(n_words > 0, word_chars / n_words, np.nan),
                "symbol_to_word_ratio": np.where(n_words > 0, symbols / n_words, np.nan),
                "duplicate_line_fraction": np.where(n_lines > 0, dup_lines / n_lines, 0.0),
                "top_2gram_char_fraction": _top_ngram_fraction(words, 2, n, word_chars),
                "top_3gram_char_fraction": _top_ngram_fraction(words, 3, n, word_chars),
                "top_4gram_char_fraction": _top_ngram_fraction(words, 4, n, word_chars),
                "stop_word_count": stop_count,
                "alpha_word_fraction": np.where(n_words > 0, alpha_words / n_words, np.nan),
                "non_alpha_char_ratio": np.where(word_chars > 0, 1.0 - letters / word_chars, np.nan),
            }
        )
    out.loc[missing, :] = np.nan
    out.index = index if index is not None else pd.RangeIndex(n)
    return out


def spam_stats(texts: Sequence[str] | pd.Series, *, terms: Sequence[str] = SEO_TERMS) -> pd.DataFrame:
    """Spam signals of short texts (captions, alt texts) that :func:`text_stats` lacks.

    Repetition of word pairs is :func:`text_stats`'s ``top_2gram_char_fraction``; these add what a
    scraped caption's spam looks like besides.

    Parameters
    ----------
    texts
        Sequence or Series of strings; missing values give a row of missing values.
    terms
        Advertising / SEO phrases (default :data:`SEO_TERMS`), matched as whole words, ignoring case.

    Returns
    -------
    pandas.DataFrame
        Index of ``texts``; ``url_count`` (links: ``http(s)://…``, ``www.…``, ``name.com`` …),
        ``seo_term_count`` (occurrences of ``terms``, each phrase once: the longest match wins),
        ``repeated_word_fraction`` (words, lower-cased and stripped of punctuation, that repeat an
        earlier word of the text, over all words; 0–1, 0 for an empty text).

    Examples
    --------
    >>> spam_stats(["a red circle on the left", "BUY NOW free shipping www.deals.shop",
    ...             "cheap cheap cheap shoes", None]).round(2)
       url_count  seo_term_count  repeated_word_fraction
    0        0.0             0.0                     0.0
    1        1.0             2.0                     0.0
    2        0.0             3.0                     0.5
    3        NaN             NaN                     NaN
    """
    import re

    values, index = as_text_list(texts)
    s = pd.Series(values, dtype="string").reset_index(drop=True)
    missing = s.isna().to_numpy()
    filled = s.fillna("")
    urls = filled.str.count(_URL).to_numpy(dtype=np.float64)
    phrases = sorted({str(t).strip().lower() for t in terms if str(t).strip()}, key=len, reverse=True)
    if phrases:
        pattern = r"(?i)(?<![\w])(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases) + r")(?![\w])"
        # links are not words: "deals" in www.deals.shop is the link's, not a second term
        seo = filled.str.replace(_URL, " ", regex=True).str.count(pattern).to_numpy(dtype=np.float64)
    else:
        seo = np.zeros(len(values))
    words = filled.str.lower().str.split().explode().dropna().str.strip(".,;:!?\"'()[]")
    words = words[words.str.len() > 0]
    doc = words.index.to_numpy(dtype=np.int64)
    repeats = pd.DataFrame({"doc": doc, "w": words.to_numpy()}).duplicated().to_numpy()
    n_words = np.bincount(doc, minlength=len(values)).astype(np.float64)
    n_rep = np.bincount(doc[repeats], minlength=len(values)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame({"url_count": urls, "seo_term_count": seo,
                            "repeated_word_fraction": np.where(n_words > 0, n_rep / np.maximum(n_words, 1), 0.0)})
    out.loc[missing, :] = np.nan
    out.index = index if index is not None else pd.RangeIndex(len(values))
    return out


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid import langid

    return langid.LanguageIdentifier.from_model_file(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)


def language_id(
    texts: Sequence[str] | pd.Series,
    *,
    languages: Sequence[str] | None = None,
    score_of: Sequence[str] = (),
) -> pd.DataFrame:
    """Language of each text with py3langid (97 languages, ISO 639-1 codes).

    Parameters
    ----------
    texts
        Sequence or Series of strings.
    languages
        Restrict the choice to these codes (e.g. ``["en", "de", "fr"]``); ``None`` = all 97.
    score_of
        Also return the probability of each of these languages as ``lang_score_<code>``
        (e.g. ``("en",)`` → ``lang_score_en``), the column a language rule thresholds.

    Returns
    -------
    pandas.DataFrame
        Index of ``texts``; ``language`` (ISO 639-1 code; ``"und"`` for missing texts and
        texts without letters) and ``language_score`` (normalized probability of that
        language, 0–1, higher is surer; missing for ``"und"``), plus one
        ``lang_score_<code>`` per ``score_of`` code (0 for texts without letters).

    Examples
    --------
    >>> language_id(["The weather is lovely today and we are going out.",
    ...              "Das Wetter ist heute schön und wir gehen hinaus.", "1234"])["language"].tolist()
    ['en', 'de', 'und']
    """
    values, index = as_text_list(texts)
    ident = _identifier()
    if languages is not None:
        from py3langid import langid

        ident = langid.LanguageIdentifier.from_model_file(
            langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True
        )
        ident.set_languages(list(languages))
    s = pd.Series(values, dtype="string")
    has_letters = s.fillna("").str.contains(r"[^\W\d_]", regex=True).to_numpy(dtype=bool)
    labels = np.full(len(values), "und", dtype=object)
    scores = np.full(len(values), np.nan)
    extra = {code: np.zeros(len(values)) for code in score_of}
    # py3langid classifies one text at a time (a DFA walk over its bytes)
    for i in np.flatnonzero(has_letters):
        if extra:
            ranked = ident.rank(values[i])
            labels[i], scores[i] = ranked[0]
            probs = dict(ranked)
            for code, arr in extra.items():
                arr[i] = probs.get(code, 0.0)
        else:
            labels[i], scores[i] = ident.classify(values[i])
    out = pd.DataFrame(
        {"language": pd.array(labels, dtype="string"), "language_score": scores},
        index=index if index is not None else pd.RangeIndex(len(values)),
    )
    for code, arr in extra.items():
        out[f"lang_score_{code}"] = arr
    return out
