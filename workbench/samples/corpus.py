"""A raw text corpus with planted duplicates, noise, foreign language and spam."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping

import numpy as np
import pandas as pd

from workbench._validation import as_rng
from workbench.errors import WorkbenchError
from workbench.samples.base import Picker, Sample, cap, check_count
from workbench.samples.templates import corpus as T
from workbench.samples.truth import CorpusTruth

__all__ = ["make_corpus"]


def _fluent_doc(picker: Picker, source: str, target: int) -> str:
    bank = T.SOURCES[source]
    parts: list[str] = []
    used: set[str] = set()
    words = 0
    while words < target:
        for _ in range(6):
            s = cap(picker.fill(picker.pick(bank), T.VOCAB))
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


def _foreign_doc(picker: Picker, lang: str, target: int) -> str:
    bank, vocab = T.FOREIGN[lang]
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


def _edit_words(picker: Picker, text: str, rate: float) -> tuple[str, float]:
    """Edit about ``rate`` of the words (substitute, delete, insert); return text, actual rate."""
    tokens = text.split(" ")
    fill = [w for ws in T.VOCAB.values() for phrase in ws for w in phrase.split()]
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
) -> Sample[CorpusTruth]:
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
    check_count("n_docs", n_docs)
    sh = dict(T.KIND_SHARES if shares is None else shares)
    unknown = set(sh) - set(T.KIND_SHARES)
    if unknown or "clean" not in sh:
        raise WorkbenchError(f"shares must use the kinds {', '.join(T.KIND_SHARES)} and include "
                             f"'clean'; got {sorted(sh)}.")
    if any(v < 0 for v in sh.values()) or not math.isclose(sum(sh.values()), 1.0, abs_tol=1e-6):
        raise WorkbenchError(f"shares must be non-negative and sum to 1, got {sh}.")
    gen = as_rng(rng)
    picker = Picker(gen)
    kinds_order = [k for k in T.KIND_SHARES if k in sh]
    counts = {k: int(math.floor(sh[k] * n_docs)) for k in kinds_order if k != "clean"}
    counts["clean"] = n_docs - sum(counts.values())
    if sum(counts[k] for k in ("exact_duplicate", "near_duplicate") if k in counts) and counts["clean"] < 1:
        raise WorkbenchError("duplicates need at least one clean document; raise the clean share.")
    sources = np.array(list(T.SOURCES))
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
        recs.append(("word_salad", cap(salad), s, -1, 0.0, "en", ""))
    langs = list(T.FOREIGN)
    for _ in range(counts.get("non_english", 0)):
        lang = langs[int(picker.u() * len(langs))]
        s = str(sources[int(picker.u() * len(sources))])
        recs.append(("non_english", _foreign_doc(picker, lang, target()), s, -1, 0.0, lang, ""))
    for _ in range(counts.get("spam", 0)):
        recs.append(("spam", picker.fill(picker.pick(T.SPAM), T.SPAM_VOCAB), "web", -1, 0.0, "en", ""))
    used_lines: set[str] = set()
    for _ in range(counts.get("repetitive", 0)):
        s = str(sources[int(picker.u() * len(sources))])
        for _ in range(50):  # distinct lines, so repetitive docs are not duplicates of each other
            line = cap(picker.fill(picker.pick(T.SOURCES[s]), T.VOCAB))
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
    truth = CorpusTruth(
        counts={k: int(v) for k, v in counts.items()},
        shares=sh,
        edit_rate_range=edit_rate,
        exact_variants=tuple(variants),
        languages=("en", *langs),
        rows=rows,
    )
    return Sample("corpus", {"corpus": corpus}, truth)

