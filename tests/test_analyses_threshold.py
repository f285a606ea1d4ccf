"""The threshold_exploration analysis (issue 26): checks without a kernel on the sample, the
funnel's declared dedup stage (one near-duplicate policy for the report, ablation and the
pipeline) finds planted copies and nothing among distinct documents, and ``workbench score
text`` prints the report's funnel and decision line (sample subset, renamed text column)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench import pipelines, scoring
from workbench.analyses import threshold_exploration as te
from workbench.cli import app
from workbench.errors import WorkbenchError


@pytest.fixture(scope="module")
def sample_result(data_samples: Path) -> te.ThresholdExplorationReport:
    return te.run(corpus_path=data_samples / "corpus.jsonl")


def test_checks_pass_on_the_sample_without_a_kernel(sample_result: te.ThresholdExplorationReport) -> None:
    checks = sample_result.checks()
    assert checks.ok, checks.summary()
    assert len(checks) == 9  # 4 always, 2 with planted kinds, 1 with CLIP truth, 2 with images
    v = sample_result.verdict
    assert v.headline.startswith("default rules keep 80.0% of 80 documents; perplexity 300 keeps 95.0%")
    assert [s for s, _ in scoring.funnel_stages([*sample_result.rules, *scoring.dedup_rules()])] == [
        "language", "heuristics", "perplexity", "dedup"]
    assert list(sample_result.funnel.counts["stage"]) == ["language", "heuristics", "perplexity", "dedup"]


def _docs(n: int, n_copies: int, seed: int) -> tuple[pd.DataFrame, set[str]]:
    g = np.random.default_rng(seed)
    base = ("the of and to in is that it was for on are with as his they be at one have this from "
            "or had by word but what some we can out other were all there when up use your how said").split()
    words = [list(g.choice(base, 80)) + [f"w{i}x{j}" for j in range(40)] for i in range(n)]
    copies: set[str] = set()
    for j, i in enumerate(g.choice(n, size=n_copies, replace=False)):
        w = list(words[i])
        w[-1] = f"edit{j}"
        words.append(w)
        copies.add(f"c{j}")
    ids = [f"d{i}" for i in range(n)] + sorted(copies, key=lambda c: int(c[1:]))
    return pd.DataFrame({"doc_id": ids, "text": [" ".join(w) for w in words]}), copies


def _stats_funnel(corpus: pd.DataFrame) -> scoring.FunnelResult:
    scores = scoring.score_texts(corpus["text"], metrics=["stats"])
    rules = [r for r in scoring.default_rules() if scoring.rule_stage(r) == "heuristics"]
    table = te.add_duplicate_flags(pd.concat([corpus, scores], axis=1), threshold=0.8)
    return te.cleaning_funnel_of(table, rules, sample=0, seed=0)


def test_the_dedup_stage_removes_planted_copies_and_nothing_among_distinct_documents() -> None:
    corpus, copies = _docs(120, 15, seed=1)
    funnel = _stats_funnel(corpus)
    removed = funnel.decisions.loc[funnel.decisions["stage"] == "dedup"].index
    assert set(corpus.loc[removed, "doc_id"]) == copies
    distinct, _ = _docs(120, 0, seed=2)
    assert int(_stats_funnel(distinct).counts.set_index("stage").loc["dedup", "removed"]) == 0


def test_one_near_duplicate_policy_for_report_ablation_and_pipeline() -> None:
    c = pd.DataFrame({"doc_id": list("abcd"), "is_representative": [True, True, False, False],
                      "representative_id": list("abaa"), "similarity": [1.0, 1.0, 1.0, 0.86]})
    flags = scoring.duplicate_flags(c)
    assert flags["is_duplicate"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert scoring.decide(flags, scoring.dedup_rules())["decision"].tolist() == ["keep", "keep", "drop", "drop"]
    s = pd.DataFrame({"doc_id": list("abcd"), "decision": "keep", "reasons": ""})
    # the pipeline's flag step runs the same stage; it opts into review for near copies
    assert pipelines.flag_items(s, c)["decision"].tolist() == ["keep", "keep", "drop", "review"]
    assert pipelines.flag_items(s, c, near_duplicates="drop")["decision"].tolist() == ["keep", "keep", "drop", "drop"]


# ---- one computation: `workbench score text` prints the report's funnel ---------------------------------

def test_score_text_cli_prints_the_reports_funnel(sample_result: te.ThresholdExplorationReport, tmp_path: Path) -> None:
    subset = sample_result.table[["doc_id", "text", "source"]]
    subset.to_json(tmp_path / "c.jsonl", orient="records", lines=True)
    subset.rename(columns={"text": "body"}).to_csv(tmp_path / "renamed.csv", index=False)
    for args in (["c.jsonl"], ["renamed.csv", "--text-column", "body"]):
        out = CliRunner().invoke(app, ["score", "text", str(tmp_path / args[0]), *args[1:],
                                       "--out", str(tmp_path / "s.csv")])
        assert out.exit_code == 0, out.output
        assert sample_result.funnel.summary() in out.output
        assert sample_result.decision_line().replace("the default rules", "the rules") in out.output


# ---- the image-caption view (issue 31) ------------------------------------------------------------------

def test_image_caption_view_on_the_sample(sample_result: te.ThresholdExplorationReport) -> None:
    r = sample_result
    p = r.pairs
    assert r.has_images and r.image_dedup is not None and r.image_dedup.pairs["verified"].all()
    # every planted spam caption is flagged and nothing else; mismatched captions fill the lowest CLIP scores
    assert p.loc[p["kind"] == "spam", "caption_spam"].all() and not p.loc[p["kind"] != "spam", "caption_spam"].any()
    low = p.nsmallest(r.parameters["n_thumbnails"], "clip_score")
    assert (low["kind"] == "mismatched").mean() >= 0.8
    assert (p["kept"] == ((p["decision"] == "keep") & ~p["caption_spam"] & ~p["image_duplicate"])).all()
    assert (p.loc[~p["kept"], "dropped_by"] != "").all() and (p.loc[p["kept"], "dropped_by"] == "").all()
    view = r.image_caption_view()
    html = "".join(x.html for x in view if hasattr(x, "html"))
    n = r.parameters["n_thumbnails"]
    assert html.count("data:image/jpeg;base64,") >= 3 * n and "src='images/" not in html  # embedded, not linked
    assert "Image–caption pairs" in html and r.pairs_line() in r.verdict.bullets
    kept_ids = set(p.loc[p["kept"], "pair_id"])
    grid = r.kept_grid()
    assert grid is not None and sum(i in grid.html for i in kept_ids) == n  # a sample of kept pairs only
    assert r.kept_grid() == grid  # seeded: the same draw every time
    truth = r.image_dedup_truth_line()
    assert truth is not None and "(precision 100%)" in truth and "exact_duplicate 100%" in truth


def test_image_view_absent_without_images_custom_columns_and_escaped(
        sample_result: te.ThresholdExplorationReport, tmp_path: Path) -> None:
    from workbench.samples import make_image_captions

    corpus = tmp_path / "corpus.jsonl"
    sample_result.table[["doc_id", "text"]].head(6).to_json(corpus, orient="records", lines=True)
    bare = te.run(corpus_path=corpus)  # not the sample: no captions companion, no image view
    assert not bare.has_images and bare.image_caption_view() == () and bare.image_dedup is None
    assert bare.checks().ok and "pairs" not in bare.verdict.headline

    s = make_image_captions(24, out_dir=tmp_path, rng=7)
    table = s.tables["image_captions"].rename(columns={"pair_id": "id", "image": "file", "caption": "alt"})
    table.loc[0, "alt"] = "<script>alert(1)</script> buy now http://spam.example.com"
    table.loc[1, "id"] = "<img src=x onerror=alert(2)>"
    table.to_csv(tmp_path / "alts.csv", index=False)
    r = te.run(corpus_path=corpus, captions_path=str(tmp_path / "alts.csv"), pair_id_column="id", image_column="file",
               caption_column="alt", n_thumbnails=30, image_dedup_method="image-exact")
    assert r.has_images and len(r.pairs) == 24 and r.checks().ok
    assert bool(r.pairs.loc[0, "caption_spam"]) and "url_count" in r.pairs.loc[0, "spam_reasons"]
    html = "".join(x.html for x in r.image_caption_view() if hasattr(x, "html"))
    assert "<script>" not in html and "<img src=x" not in html and "&lt;script&gt;" in html
    with pytest.raises(WorkbenchError, match="caption_spam_max.*unknown signal.*shouting"):
        te.run(corpus_path=corpus, captions_path=str(tmp_path / "alts.csv"), pair_id_column="id",
               image_column="file", caption_column="alt", caption_spam_max={"shouting": 1})
    with pytest.raises(WorkbenchError, match="image_dedup_threshold — threshold=0.9: for method 'phash'"):
        te.run(corpus_path=corpus, image_dedup_threshold=0.9)
    with pytest.raises(WorkbenchError, match="image_dedup_method='ahash' is not one of image-exact"):
        te.run(corpus_path=corpus, image_dedup_method="ahash")
    with pytest.raises(WorkbenchError, match="'caption'"):  # the default name, which this table lacks
        te.run(corpus_path=corpus, captions_path=str(tmp_path / "alts.csv"), pair_id_column="id", image_column="file")
