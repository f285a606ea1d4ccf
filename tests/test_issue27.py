"""Issue 27, second round of real data: each item on a small table written here (bad case, fixed behaviour)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from workbench.drift import recommend_actions, segment_errors
from workbench.errors import WorkbenchError


# ---- item 7: a root-cause segment with the same rows as its parent is one row -------------------
def _one_period_per_annotator() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Annotator x works only in the first period, y only in the second: ``annotator_id=x, period=P``
    holds exactly the rows of ``annotator_id=x``."""
    rows = []
    for who, day, wrong in (("x", "2024-01-01", 30), ("y", "2024-01-20", 3), ("z", "2024-01-01", 3), ("z", "2024-01-20", 3)):
        for i in range(40):
            rows.append({"item_id": f"{who}{day}{i}", "annotator_id": who, "timestamp": day,
                         "label": "neg" if i < wrong else "pos"})
    ann = pd.DataFrame(rows)
    gold = pd.DataFrame({"item_id": ann["item_id"], "label": "pos"})
    return ann, gold


def test_root_cause_segments_equal_to_their_parent_are_one_row():
    ann, gold = _one_period_per_annotator()
    t = segment_errors(ann, gold=gold, by=["annotator_id", "period"], period="14D", min_n=10)
    # before: 'annotator_id=x' and 'annotator_id=x, period=2024-01-01' both, with identical counts
    assert "annotator_id=x" in set(t["segment"])
    assert not t["segment"].str.startswith("annotator_id=x, ").any()
    # z worked in both periods: its two-column segments differ from 'annotator_id=z' and stay
    assert {"annotator_id=z, period=2024-01-01", "annotator_id=z, period=2024-01-15"} <= set(t["segment"])
    # y's one-period segment is gone too; the period segments (several annotators) stay
    assert not t["segment"].str.startswith("annotator_id=y, ").any()
    assert {"period=2024-01-01", "period=2024-01-15"} <= set(t["segment"])


# ---- item 8: recommended actions keep the group that tells them apart ---------------------------
def test_actions_keep_their_distinguishing_group():
    rc = pd.DataFrame({
        "segment": ["vendor=A, site=north", "vendor=B, site=north"], "vendor": ["A", "B"], "site": ["north", "north"],
        "depth": 2, "n": [120, 110], "error_rate": [0.7, 0.6], "ci_low": [0.61, 0.5], "ci_high": [0.78, 0.7],
        "overall_rate": [0.12, 0.12], "p_adjusted": [1e-20, 1e-10], "significant": [True, True], "excess": [0.58, 0.5]})
    actions = recommend_actions(None, rc)["action"].tolist()
    assert len(actions) == 2 and actions[0] != actions[1]
    assert "vendor A" in actions[0] and "vendor B" in actions[1]
    assert all("site north" in a for a in actions)  # a column outside the sentence templates is named too
    # two custom columns only (no known group): before, both said "Review the judgments made under ."
    rc2 = rc.drop(columns="vendor").assign(shift=["early", "late"],
                                           segment=["site=north, shift=early", "site=north, shift=late"])
    rc2 = rc2[["segment", "site", "shift", *[c for c in rc2.columns if c not in ("segment", "site", "shift")]]]
    a2 = recommend_actions(None, rc2)["action"].tolist()
    assert a2[0] != a2[1] and "shift early" in a2[0] and "shift late" in a2[1]
    assert np.all([not a.endswith("under .") for a in a2])


# ---- items 4 and 5: numeric ratings choose their sections by measurement level -----------------
def _ratings(tmp_path=None):
    """Five raters score 60 items from −100 to 100; w0 rates 15 points high; gold is an expert mean
    with one decimal (values nobody gave as a label)."""
    rng = np.random.default_rng(0)
    truth = {f"i{i}": float(rng.uniform(-100, 100)) for i in range(60)}
    rows = [{"item_id": it, "annotator_id": f"w{a}", "label": int(round(t + (15 if a == 0 else 0) + rng.normal(0, 8)))}
            for it, t in truth.items() for a in range(5)]
    ann = pd.DataFrame(rows)
    gold = pd.DataFrame({"item_id": list(truth), "label": [round(v, 1) for v in truth.values()]})
    if tmp_path is not None:
        ann.to_csv(tmp_path / "ratings.csv", index=False)
        gold.to_csv(tmp_path / "expert.csv", index=False)
    return ann, gold


def test_numeric_ratings_get_numeric_sections_and_nominal_ones_are_left_out():
    from workbench.analyses import annotation_reliability as ar

    ann, gold = _ratings()
    r = ar.run(ann, gold=gold, level="interval", n_resamples=200)
    # before: Dawid–Skene with each number as a class, confusion heatmaps, near-random flags, kappa
    assert r.dawid_skene is None and r.confusion is None and r.flags is None and r.acceptance is None
    assert r.majority is None and r.pairwise is None and r.differing is None
    assert list(r.reliability.to_frame()["label"]) == ["annotations: Krippendorff's alpha (interval)"]
    assert r.alpha is not None and r.alpha.estimate > 0.9
    # fixed: MAD from gold with a CI, a Bland–Altman bias per annotator, the planted bias found
    g = r.gold_deviation
    assert g is not None and g.low <= g.estimate <= g.high and g.n_units == 60
    b = r.bias_table()
    assert b is not None and b.index[0] == "w0" and b.loc["w0", "bias_low"] < 15 < b.loc["w0", "bias_high"]
    assert all(b.drop(index="w0")["bias"].abs() < 5)
    assert "w0 rates" in r.verdict.summary() and "near-random" not in r.summary().lower().replace(
        "near-random and straight-lining flags: not computed", "")
    assert r.bias_figure() is not None and r.checks().ok
    # without gold: the others' mean is the reference
    r2 = ar.run(ann, level="ratio", n_resamples=50)
    assert r2.bias is not None and set(r2.bias["reference"]) == {"mean of the others"} and r2.gold_deviation is None


def test_nominal_reliability_unchanged_by_the_numeric_branch():
    from workbench.analyses import annotation_reliability as ar
    from workbench.samples import make_reviews

    s = make_reviews(300, 5, 3, 30, drift_annotator=None, cohort_confusion=False, gold_fraction=0.3, rng=0)
    r = ar.run(s.tables["reviews_10x5000"], gold=s.tables["reviews_10x5000_gold"], n_resamples=50)
    assert not r.numeric and r.bias is None and r.numeric_lines() == [] and r.bias_figure() is None
    assert r.dawid_skene is not None and r.acceptance is not None and r.confusion is not None


def test_numeric_gold_from_the_cli_and_messages_in_flags(tmp_path, capsys):
    from workbench.cli import main

    _ratings(tmp_path)
    # numeric gold (an expert mean nobody gave) with --level interval: accepted
    with pytest.raises(SystemExit) as done:
        main(["reliability", str(tmp_path / "ratings.csv"), "--gold", str(tmp_path / "expert.csv"),
              "--level", "interval", "--n-resamples", "50", "--segment", ""])
    out = capsys.readouterr()
    assert done.value.code == 0, out.err
    assert "Mean absolute deviation of the item mean from gold" in out.out and "Dawid" not in out.out.split("\n")[0]
    # nominal level with numeric gold: the message names the CLI's flag, no Python-only flag, no numpy reprs
    with pytest.raises(SystemExit):
        main(["reliability", str(tmp_path / "ratings.csv"), "--gold", str(tmp_path / "expert.csv"), "--segment", ""])
    err = capsys.readouterr().err
    assert "--level interval" in err
    assert "allow_new_gold_labels" not in err and "np.int64" not in err and "np.float64" not in err


def test_numeric_level_on_category_labels_names_the_parameter():
    from workbench.analyses import annotation_reliability as ar
    from workbench.errors import speaking

    ann = pd.DataFrame({"item_id": ["a", "a"], "annotator_id": ["x", "y"], "label": ["pos", "neg"]})
    with pytest.raises(WorkbenchError, match="level='nominal'"):
        ar.run(ann, level="interval", n_resamples=10)
    with speaking("cli"), pytest.raises(WorkbenchError, match="--level nominal"):
        ar.run(ann, level="interval", n_resamples=10)


# ---- item 6: --option / --question on the commands that read a table; a converted two-question table ----
def _two_questions(tmp_path):
    rows = []
    for i in range(30):
        for who in ("u1", "u2", "u3"):
            rows.append({"item_id": f"t{i}", "annotator_id": who, "question": "sentiment",
                         "label": "pos" if (i + (who == "u3")) % 3 else "neg", "timestamp": f"2024-01-{1 + i % 28:02d}"})
            rows.append({"item_id": f"t{i}", "annotator_id": who, "question": "toxic",
                         "label": "yes" if i % 5 == 0 else "no", "timestamp": f"2024-01-{1 + i % 28:02d}"})
    path = tmp_path / "two.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_multi_question_table_is_refused_with_its_questions_and_read_with_question(tmp_path, capsys):
    from workbench import io
    from workbench.analyses import annotation_reliability as ar
    from workbench.cli import main

    path = _two_questions(tmp_path)
    # before: duplicate (item, annotator) rows and advice to drop them (deleting a question's answers)
    with pytest.raises(WorkbenchError) as bad:
        io.load_table(path, kind="annotations")
    msg = str(bad.value)
    assert "'sentiment' (90 answers)" in msg and "'toxic' (90 answers)" in msg
    assert "options={'question': NAME}" in msg and "drop" not in msg.lower().replace("drop options", "")
    # the CLI says it in flags
    with pytest.raises(SystemExit):
        main(["reliability", str(path), "--segment", "", "--n-resamples", "20"])
    err = capsys.readouterr().err
    assert "--option question=NAME" in err and "options={" not in err and "'toxic'" in err
    # fixed: pick one with --question / --option / options=
    for flag in (["--question", "toxic"], ["--option", "question=toxic"]):
        with pytest.raises(SystemExit) as done:
            main(["reliability", str(path), "--segment", "", "--n-resamples", "20", *flag])
        out = capsys.readouterr()
        assert done.value.code == 0, out.err
        assert "90 judgments of 30 items" in out.out
    r = ar.run(annotations_path=path, options={"question": "sentiment"}, n_resamples=20, segment_column="")
    assert len(r.annotations) == 90 and "question" not in r.annotations.columns
    with pytest.raises(WorkbenchError, match="its questions are 'sentiment' .90 answers.; 'toxic'"):
        io.load_table(path, kind="annotations", options={"question": "Sentiment"})
    # drift takes --question too
    with pytest.raises(SystemExit) as done:
        main(["drift", str(path), "--question", "sentiment", "--min-judgments", "5", "--min-segment-n", "5"])
    out = capsys.readouterr()
    assert done.value.code == 0, out.err


def test_convert_two_question_export_then_reliability_with_question(tmp_path, capsys):
    import json

    from workbench.cli import main

    # a Label Studio export answering two questions (two choices controls)
    tasks = []
    for i in range(12):
        anns = []
        for who in (1, 2):
            anns.append({"id": i * 10 + who, "completed_by": who, "result": [
                {"from_name": "sentiment", "to_name": "text", "type": "choices",
                 "value": {"choices": ["pos" if (i + who) % 3 else "neg"]}},
                {"from_name": "topic", "to_name": "text", "type": "choices", "value": {"choices": ["a" if i % 2 else "b"]}}]})
        tasks.append({"id": i, "data": {"text": f"t{i}"}, "annotations": anns})
    src = tmp_path / "ls.json"
    src.write_text(json.dumps(tasks))
    out_table = tmp_path / "ann.csv"
    with pytest.raises(SystemExit) as done:
        main(["convert", str(src), "--kind", "annotations", "--out", str(out_table)])
    assert done.value.code == 0, capsys.readouterr().err
    capsys.readouterr()
    # the written table keeps both questions; reliability names them and the flag to pick one
    with pytest.raises(SystemExit):
        main(["reliability", str(out_table), "--segment", "", "--n-resamples", "20"])
    err = capsys.readouterr().err
    assert "'sentiment'" in err and "'topic'" in err and "--question" not in err or "--option question=" in err
    assert "drop_duplicates" not in err and "duplicate" not in err.lower()
    with pytest.raises(SystemExit) as done:
        main(["reliability", str(out_table), "--segment", "", "--n-resamples", "20", "--question", "sentiment"])
    res = capsys.readouterr()
    assert done.value.code == 0, res.err
    assert "24 judgments of 12 items" in res.out


# ---- item 9: small multiples lay out for 1–200 labels --------------------------------------------
@pytest.mark.parametrize("n_labels", [1, 2, 12, 116, 200])
def test_small_multiples_titles_clear_the_ticks_of_the_panel_above(n_labels):
    from workbench.plots.reliability import annotator_confusion_figure

    labels = [f"category number {i:03d}" for i in range(n_labels)]
    rows = [{"annotator_id": f"a{k}", "reference": ref, "label": lab, "count": 1, "rate": 1.0 if ref == lab else 0.0}
            for k in range(5) for ref in labels for lab in (ref,)]
    fig = annotator_confusion_figure(pd.DataFrame(rows))
    height = fig.layout.height
    plot_px = height - 140  # the layout's top and bottom margins
    domains = sorted({tuple(fig.layout[k].domain) for k in fig.layout if k.startswith("yaxis")}, reverse=True)
    xaxes = [fig.layout[k] for k in fig.layout if k.startswith("xaxis") and fig.layout[k].tickvals is not None]
    assert len(xaxes) == 5
    longest_tick = max(len(t) for ax in xaxes for t in (ax.ticktext or [""]))
    vertical = any(ax.tickangle == -90 for ax in xaxes)
    tick_px = longest_tick * 6.5 if vertical else 14
    for upper, lower in zip(domains, domains[1:], strict=False):
        gap_px = (upper[0] - lower[1]) * plot_px
        assert gap_px >= tick_px + 20, (n_labels, gap_px, tick_px)  # ticks of the row above, then a title
    for ax in xaxes:  # thinned so tick labels are at least ~11 px apart
        panel_px = (ax.domain[1] - ax.domain[0]) * 1100
        assert len(ax.tickvals) <= max(1, panel_px / 10) + 1
    assert height <= 6000


# ---- data_overview profiles any table and says which data-model kind it matches ----------------
def test_data_overview_profiles_a_table_outside_the_data_model(tmp_path):
    from workbench.analyses import data_overview

    path = tmp_path / "export.csv"
    pd.DataFrame({"task": ["t1", "t2", "t3", "t4"], "worker": ["a", "b", "a", None],
                  "label": ["yes", "no", "yes", "yes"],
                  "submitted": ["2024-03-01T10:00:00", "2024-03-02T11:00:00", "2024-03-05T09:30:00", None],
                  "mturk_time": ["Mon Mar 25 07:39:42 PDT 2019"] * 4, "score": [1, 2, 2, 3]}).to_csv(path, index=False)
    # before: "table 'input' matches none of the tables it can be" and no profile at all
    r = data_overview.run(path)
    assert r.verdict.tone == "neutral" and r.verdict.outcome == "unmatched"
    assert r.verdict.headline == ("A table of 4 rows and 6 columns: matches no data-model table; closest: "
                                  "gold (missing columns 'item_id').")
    cols = r.profile.columns.set_index("column")
    assert cols.loc["worker", "missing"] == 1 and cols.loc["submitted", "missing"] == 1
    assert cols.loc["label", "distinct"] == 2 and cols.loc["task", "distinct"] == 4
    spans = r.time_spans_table().set_index("column")
    assert list(spans.index) == ["submitted", "mturk_time"]  # 'score' (numbers) and the ids are no dates
    assert spans.loc["submitted", "span"] == pd.Timedelta("3 days 23:30:00") and spans.loc["submitted", "dated"] == 3
    assert spans.loc["mturk_time", "first"] == pd.Timestamp("2019-03-25 14:39:42", tz="UTC")
    bullets = " ".join(r.verdict.bullets)
    assert "2 column(s) have missing values" in bullets and "'submitted' spans 2024-03-01 10:00 to 2024-03-05 09:30" in bullets
    assert r.checks().ok and r.label_figure() is None and r.annotator_figure() is None
    assert r.timeline_note() == "2 column(s) hold dates:"
    assert "matches no data-model table; closest: gold" in r.summary()


def test_data_overview_of_a_data_model_table_is_unchanged(data_samples):
    from workbench.analyses import data_overview

    r = data_overview.run(data_samples / "reviews_10x5000.csv")
    assert r.verdict.outcome == "annotations" and r.verdict.tone == "good" and r.profile.kind == "annotations"
    assert r.verdict.headline == "An annotations table of 15,000 rows and 8 columns by 10 annotator(s)."
    assert r.verdict.bullets == (
        "No column has missing values.", "2 distinct label values; the most common is 'positive' (53.2%).",
        "Annotators gave 1,463–1,545 judgments each.", "Items have 3.00 judgments on average.",
        "Judgments span 2025-03-03 00:00 to 2025-05-31 00:00.")
    assert "matches no data-model table" not in r.summary()
    # the items table next to it (item_id, text, category) is profiled too, nearest a corpus
    items = data_overview.run(data_samples / "reviews_10x5000_items.csv")
    assert items.verdict.headline.endswith("closest: corpus (missing columns 'doc_id').") and items.checks().ok


# ---- item 6: --question / --option on bias, vendors, dedup and score text --------------------------
def _two_question_copy(frame: pd.DataFrame, path, names=("helpful", "harmless")):
    """``frame`` answered twice, once per question (a 'question' column), written to ``path``."""
    both = pd.concat([frame.assign(question=q) for q in names], ignore_index=True)
    if path.suffix == ".jsonl":
        both.to_json(path, orient="records", lines=True)
    else:
        both.to_csv(path, index=False)
    return path


def _cli(argv, capsys):
    from workbench.cli import main

    with pytest.raises(SystemExit) as done:
        main([str(a) for a in argv])
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def _refused_then_read(capsys, argv_of, two, one, n_each, same=lambda text: text):
    """Without --question the two-question file is refused with its questions; with --question (or
    --option question=) it reads as the one-question table does (``same``: what of the output to compare)."""
    code, _, err = _cli(argv_of(two, []), capsys)
    assert code != 0
    assert f"'helpful' ({n_each:,} answers)" in err and f"'harmless' ({n_each:,} answers)" in err
    assert "--option question=NAME" in err and "options={" not in err
    code, plain, err = _cli(argv_of(one, []), capsys)
    assert code == 0, err
    for flag in (["--question", "helpful"], ["--option", "question=helpful"]):
        code, out, err = _cli(argv_of(two, flag), capsys)
        assert code == 0, err
        out = out.replace(str(two), str(one)).replace(f"_{two.stem}.", f"_{one.stem}.")  # the output files' names
        assert same(out) == same(plain)
    code, _, err = _cli(argv_of(two, ["--question", "Helpful"]), capsys)
    assert code != 0 and "no answers to question 'Helpful'" in err


def test_bias_reads_one_question_of_a_two_question_table(tmp_path, capsys, data_samples):
    prefs = pd.read_csv(data_samples / "preferences_5x200.csv", dtype=str).head(300)
    one = tmp_path / "one.csv"
    prefs.to_csv(one, index=False)
    two = _two_question_copy(prefs, tmp_path / "two.csv")
    _refused_then_read(capsys, lambda f, flag: ["bias", f, *flag], two, one, 300)


def test_vendors_read_one_question_of_two_question_tables(tmp_path, capsys, data_samples):
    a = pd.read_csv(data_samples / "vendor_a.csv", dtype=str)
    b = pd.read_csv(data_samples / "vendor_b.csv", dtype=str)
    pairs = sorted(set(a["pair_id"]) & set(b["pair_id"]))[:80]
    a, b = a[a["pair_id"].isin(pairs)], b[b["pair_id"].isin(pairs)]
    for name, t in (("a", a), ("b", b)):
        t.to_csv(tmp_path / f"one_{name}.csv", index=False)
        _two_question_copy(t, tmp_path / f"two_{name}.csv")

    def argv(f, flag):
        return ["vendors", f, str(f).replace("_a.csv", "_b.csv"), "--n-resamples", "200", *flag]

    code, _, err = _cli(argv(tmp_path / "two_a.csv", []), capsys)
    assert code != 0 and f"'helpful' ({len(a):,} answers)" in err and "--option question=NAME" in err
    code, plain, err = _cli(argv(tmp_path / "one_a.csv", []), capsys)
    assert code == 0, err
    for flag in (["--question", "helpful"], ["--option", "question=helpful"]):
        code, out, err = _cli(argv(tmp_path / "two_a.csv", flag), capsys)
        assert code == 0, err
        assert out.replace("/two_", "/one_") == plain


def test_dedup_reads_one_question_of_a_two_question_corpus(tmp_path, capsys, data_samples):
    corpus = pd.read_json(data_samples / "corpus.jsonl", lines=True, dtype={"doc_id": str}).head(200)
    one = tmp_path / "one.jsonl"
    corpus.to_json(one, orient="records", lines=True)
    two = _two_question_copy(corpus, tmp_path / "two.jsonl")
    _refused_then_read(capsys, lambda f, flag: ["dedup", f, "--out", tmp_path / f"dedup_{f.stem}.csv", "-q",
                                                "--compare", "exact", *flag], two, one, 200,
                      same=lambda text: re.sub(r"(?m)^( exact .*?) +[0-9.]+$", r"\1", text))  # but its seconds
    assert pd.read_csv(tmp_path / "dedup_two.csv").equals(pd.read_csv(tmp_path / "dedup_one.csv"))


def test_score_text_reads_one_question_of_a_two_question_corpus(tmp_path, capsys, data_samples):
    corpus = pd.read_json(data_samples / "corpus.jsonl", lines=True, dtype={"doc_id": str}).head(40)
    one = tmp_path / "one.jsonl"
    corpus.to_json(one, orient="records", lines=True)
    two = _two_question_copy(corpus, tmp_path / "two.jsonl")
    _refused_then_read(capsys, lambda f, flag: ["score", "text", f, "--out", tmp_path / f"scores_{f.stem}.csv",
                                                "-m", "stats", "--no-cache", *flag], two, one, 40)
    assert pd.read_csv(tmp_path / "scores_two.csv").equals(pd.read_csv(tmp_path / "scores_one.csv"))


def test_reports_take_options_for_a_two_question_table(tmp_path, data_samples):
    from workbench.analyses import data_overview, length_bias

    path = _two_questions(tmp_path)
    whole = data_overview.run(path)  # an overview profiles the file as it is and names its questions
    assert whole.verdict.outcome == "several_questions"
    assert "'sentiment' (90 answers); 'toxic' (90 answers)" in whole.verdict.bullets[0]
    assert "options={'question'" in whole.findings[0]
    r = data_overview.run(path, options={"question": "toxic"})
    assert r.verdict.outcome == "annotations" and r.profile.n_rows == 90 and "question" not in r.table.columns
    prefs = pd.read_csv(data_samples / "preferences_5x200.csv", dtype=str).head(300)
    two = _two_question_copy(prefs, tmp_path / "prefs.csv")
    with pytest.raises(WorkbenchError, match=r"'helpful' \(300 answers\)"):
        length_bias.run(preferences_path=two)
    assert len(length_bias.run(preferences_path=two, options={"question": "harmless"}).preferences) == 300
