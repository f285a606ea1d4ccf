"""Composite decisions: rule semantics, reasons, YAML round trip, CCNet buckets, and the
planted sample truth (word salad, non-English, spam flagged; fluent text kept)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import SchemaError, WorkbenchError
from workbench.scoring import (
    AllOf,
    Rule,
    buckets,
    decide,
    default_rules,
    load_rules,
    save_rules,
    score_texts,
)


def test_fixed_threshold_directions_and_reasons():
    s = pd.DataFrame({"perplexity": [12.0, 2310.4, 1500.0], "clip": [0.31, 0.12, 0.25]}, index=["a", "b", "c"])
    out = decide(s, [Rule("perplexity", "max", threshold=1500), Rule("clip", "min", threshold=0.2, action="review")])
    assert list(out.index) == ["a", "b", "c"]
    assert out["decision"].tolist() == ["keep", "drop", "keep"]  # equal to the threshold is not beyond it
    assert out.loc["b", "reasons"] == "perplexity 2,310 > 1,500; clip 0.12 < 0.2"


def test_percentile_threshold_acts_on_the_tail():
    s = pd.DataFrame({"perplexity": np.arange(100, dtype=float)})
    out = decide(s, [Rule("perplexity", "max", percentile=90)])
    thr = np.percentile(np.arange(100), 90)
    assert (out["decision"] == "drop").sum() == int((np.arange(100) > thr).sum()) == 10
    assert "(p90)" in out["reasons"].iloc[-1]
    low = decide(s, [Rule("perplexity", "min", percentile=5, action="review")])
    assert (low["decision"] == "review").sum() == 5


def test_review_margin_band_and_missing_values():
    s = pd.DataFrame({"x": [0.0, 9.5, 10.5, 11.5, np.nan]})
    out = decide(s, [Rule("x", "max", threshold=10, review_margin=1)])
    assert out["decision"].tolist() == ["keep", "review", "review", "drop", "review"]
    assert out["reasons"].iloc[4] == "x missing"


def test_drop_wins_over_review():
    s = pd.DataFrame({"a": [5.0], "b": [5.0]})
    out = decide(s, [Rule("a", "max", threshold=1, action="review"), Rule("b", "max", threshold=1)])
    assert out["decision"].iloc[0] == "drop"
    assert out["reasons"].iloc[0] == "a 5 > 1; b 5 > 1"


def test_all_of_catches_low_perplexity_repetition():
    s = pd.DataFrame({"perplexity": [1.5, 1.5, 30.0], "top_4gram_char_fraction": [0.6, 0.05, 0.6]})
    blind = decide(s, [Rule("perplexity", "max", threshold=300)])
    assert blind["decision"].tolist() == ["keep"] * 3  # perplexity alone keeps repeated text
    rule = AllOf((Rule("perplexity", "min", threshold=4), Rule("top_4gram_char_fraction", "max", threshold=0.16)),
                 name="low perplexity from repetition")
    out = decide(s, [Rule("perplexity", "max", threshold=300), rule])
    assert out["decision"].tolist() == ["review", "keep", "keep"]
    assert out["reasons"].iloc[0] == "low perplexity from repetition: perplexity 1.5 < 4 and top_4gram_char_fraction 0.6 > 0.16"


def test_rule_validation_errors():
    with pytest.raises(WorkbenchError, match="exactly one of threshold= and percentile="):
        Rule("x", "max")
    with pytest.raises(WorkbenchError, match="exactly one of threshold= and percentile="):
        Rule("x", "max", threshold=1, percentile=5)
    with pytest.raises(WorkbenchError, match="direction='up' is not valid"):
        Rule("x", "up", threshold=1)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="percentile=150"):
        Rule("x", "max", percentile=150)
    with pytest.raises(WorkbenchError, match="AllOf needs at least two"):
        AllOf((Rule("x", "max", threshold=1),))
    with pytest.raises(SchemaError, match="missing column.*'perplexity'"):
        decide(pd.DataFrame({"clip": [0.1]}), [Rule("perplexity", "max", threshold=1)])
    with pytest.raises(WorkbenchError, match="no finite values"):
        decide(pd.DataFrame({"x": [np.nan]}), [Rule("x", "max", percentile=50)])


def test_rules_yaml_roundtrip_and_errors(tmp_path):
    rules = default_rules() + [Rule("clip_score", "min", percentile=10, action="review", review_margin=0.01)]
    path = save_rules(rules, tmp_path / "rules.yaml")
    assert load_rules(path) == rules
    assert "rules:" in path.read_text()
    (tmp_path / "bad.yaml").write_text("rules:\n  - {metric: x, direction: max, threshold: 1, colour: red}\n")
    with pytest.raises(WorkbenchError, match="unknown: \\['colour'\\]"):
        load_rules(tmp_path / "bad.yaml")
    (tmp_path / "flat.yaml").write_text("- {metric: x}\n")
    with pytest.raises(WorkbenchError, match="must hold a mapping with a 'rules' list"):
        load_rules(tmp_path / "flat.yaml")
    with pytest.raises(WorkbenchError, match="no rules file"):
        load_rules(tmp_path / "none.yaml")


def test_ccnet_buckets_per_group():
    s = pd.DataFrame({"perplexity": [1.0, 2, 3, 100, 200, 300], "language": ["en"] * 3 + ["de"] * 3})
    b = buckets(s, by="language")
    assert b.tolist() == ["head", "middle", "tail"] * 2
    overall = buckets(s)
    assert overall.tolist() == ["head", "head", "middle", "middle", "tail", "tail"]


# ---- planted truth on the committed sample corpus ----


def _corpus(data_samples, per_kind: int, kinds=None) -> pd.DataFrame:
    truth = pd.read_csv(data_samples / "truth" / "corpus_rows.csv", dtype={"doc_id": str})
    corpus = pd.read_json(data_samples / "corpus.jsonl", lines=True, dtype={"doc_id": str}).merge(truth, on="doc_id")
    if kinds is not None:
        corpus = corpus[corpus["kind"].isin(kinds)]
    return corpus.groupby("kind").head(per_kind).reset_index(drop=True)


def test_heuristics_and_language_flag_planted_kinds(data_samples):
    corpus = _corpus(data_samples, 60)
    scores = score_texts(corpus["text"], metrics=["stats", "language"])
    rules = [r for r in default_rules() if set(r.metrics) <= set(scores.columns)]
    d = decide(scores, rules)["decision"]
    rate = (d != "keep").groupby(corpus["kind"]).mean()
    assert rate["non_english"] == 1.0
    assert rate["spam"] == 1.0
    assert rate["repetitive"] == 1.0
    assert rate["clean"] <= 0.05
    # null data: clean documents only, nothing much to flag
    clean = corpus[corpus["kind"] == "clean"]
    assert (decide(score_texts(clean["text"], metrics=["stats", "language"]), rules)["decision"] == "keep").mean() >= 0.95


@pytest.mark.slow
def test_default_rules_with_smollm2_on_planted_truth(data_samples):
    import torch

    corpus = _corpus(data_samples, 3, kinds=["clean", "word_salad", "spam"])
    corpus = pd.concat([corpus, _corpus(data_samples, 2, kinds=["non_english"])], ignore_index=True)
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # a shared CPU: one thread avoids oversubscription
    try:
        scores = score_texts(corpus["text"], device="cpu")
    finally:
        torch.set_num_threads(before)
    d = decide(scores, default_rules())
    flagged = (d["decision"] != "keep").groupby(corpus["kind"]).mean()
    assert flagged["word_salad"] == 1.0 and flagged["non_english"] == 1.0 and flagged["spam"] == 1.0
    assert flagged["clean"] == 0.0
    salad = d.loc[corpus["kind"] == "word_salad", "reasons"]
    assert salad.str.contains("perplexity").all()
    assert scores.loc[corpus["kind"] == "clean", "perplexity"].max() * 5 < scores.loc[corpus["kind"] == "word_salad", "perplexity"].min()


def test_threshold_sweep_keep_rate_precision_recall():
    from workbench.scoring import keep_rate_sweep

    s = pd.DataFrame({"ppl": [10.0, 20.0, 30.0, 500.0, 900.0, np.nan]})
    bad = pd.Series([False, False, True, True, True, False])
    sw = keep_rate_sweep(s, "ppl", direction="max", thresholds=[25, 100], flagged_truth=bad)
    assert sw["kept"].tolist() == [3, 4]  # the missing score is kept
    assert sw["precision"].tolist() == [1.0, 1.0]
    assert sw["recall"].tolist() == pytest.approx([1.0, 2 / 3])
    low = keep_rate_sweep(s, "ppl", direction="min", thresholds=[15])
    assert low["removed"].tolist() == [1]


def test_cleaning_funnel_counts_match_decisions():
    from workbench.scoring import cleaning_funnel

    rng = np.random.default_rng(1)
    s = pd.DataFrame({"a": rng.random(200), "b": rng.random(200)})
    f = cleaning_funnel(s, [("first", [Rule("a", "max", threshold=0.8)]),
                            ("second", [Rule("b", "max", threshold=0.5), Rule("a", "min", threshold=0.1, action="review")])],
                        sample=4, rng=0)
    c = f.counts
    assert c["entering"].iloc[1] == c["remaining"].iloc[0] == int((s["a"] <= 0.8).sum())
    assert c["remaining"].iloc[-1] == int(((s["a"] <= 0.8) & (s["b"] <= 0.5)).sum()) == int(f.decisions["stage"].isna().sum())
    assert (f.samples.groupby("stage").size() == 4).all()
    assert set(f.decisions.loc[f.decisions["stage"] == "first", "decision"]) == {"drop"}
    assert (f.decisions["decision"] == "review").sum() == c["review"].iloc[1]
    assert "survive every stage" in f.summary()


# ---- funnel stages and rule thresholds from the rules (issue 20; were hard-coded in a notebook) ---


def test_funnel_stages_group_rules_by_the_scores_they_read() -> None:
    from workbench.scoring import FUNNEL_STAGES, funnel_stages, rule_stage

    rules = default_rules(language="de", perplexity_threshold=120)
    extra = [("dedup", [Rule("is_duplicate", "max", threshold=0.5)])]
    stages = funnel_stages(rules, extra=extra)
    assert [name for name, _ in stages] == ["language", "heuristics", "perplexity", "dedup"]
    assert [r.metric for r in stages[0][1]] == ["lang_score_de"]  # type: ignore[union-attr]
    assert sum(len(r) for _, r in stages[:3]) == len(rules)  # every rule in exactly one stage
    assert all("perplexity" in r.metrics for r in stages[2][1])
    assert isinstance(stages[2][1][-1], AllOf)  # low perplexity AND repetition reads perplexity
    assert rule_stage(Rule("clip_score", "min", threshold=0.2)) == "other"
    assert FUNNEL_STAGES[0] == "language"
    # an empty stage is left out; the order is the funnel's, not the rules'
    assert [n for n, _ in funnel_stages(list(reversed(rules[:3])))] == ["language", "heuristics"]


def test_rule_threshold_reads_the_rules_instead_of_repeating_them() -> None:
    from workbench.scoring import rule_threshold

    rules = default_rules(perplexity_threshold=250)
    assert rule_threshold(rules, "perplexity") == 250.0
    assert rule_threshold(rules, "n_words", "min") == 50.0 and rule_threshold(rules, "n_words", "max") == 100_000.0
    with pytest.raises(WorkbenchError, match="2 rules on 'n_words'.*direction="):
        rule_threshold(rules, "n_words")
    with pytest.raises(WorkbenchError, match="no rule on 'clip_score'"):
        rule_threshold(rules, "clip_score")
    with pytest.raises(WorkbenchError, match="a percentile rule on 'x'"):
        rule_threshold([Rule("x", "max", percentile=95)], "x")
