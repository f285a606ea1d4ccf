"""Synthetic samples: determinism, schemas, every planted effect and its null, committed files."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import stats
from typer.testing import CliRunner

from workbench import samples
from workbench._shapes import COLOURS, SHAPES
from workbench._validation import validate_table
from workbench.errors import WorkbenchError
from workbench.io import load_table

CHEAP = ("preferences_5x200", "vendors", "reviews_10x5000", "relevance_5pt", "scored_items")


def _longer(df: pd.DataFrame) -> np.ndarray:
    return np.where(df["len_a"] > df["len_b"], "a", np.where(df["len_b"] > df["len_a"], "b", ""))


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


# ---------------------------------------------------------------- determinism and schemas

SMALL = {
    "preferences": lambda rng: samples.make_preferences(30, 5, rng=rng),
    "vendors": lambda rng: samples.make_vendors(30, 3, 10, rng=rng),
    "reviews": lambda rng: samples.make_reviews(200, 6, 3, 30, drift_day=15, guideline_day=10, rng=rng),
    "relevance": lambda rng: samples.make_relevance(60, 12, rng=rng),
    "corpus": lambda rng: samples.make_corpus(150, rng=rng),
    "image_captions": lambda rng: samples.make_image_captions(60, out_dir=None, rng=rng),
    "scored_items": lambda rng: samples.make_scored_items(80, label_noise=0.1, rng=rng),
}


@pytest.mark.parametrize("name", list(SMALL))
def test_same_seed_same_frames_other_seed_other_frames(name: str) -> None:
    a, b, c = SMALL[name](7), SMALL[name](7), SMALL[name](8)
    assert list(a.tables) == list(b.tables)
    for key in a.tables:
        pd.testing.assert_frame_equal(a.tables[key], b.tables[key])
    pd.testing.assert_frame_equal(a.rows, b.rows)
    assert a.truth_json() == b.truth_json()
    first = next(iter(a.tables))
    assert not a.tables[first].equals(c.tables[first])
    # a Generator works as well as a seed
    g = SMALL[name](np.random.default_rng(7))
    pd.testing.assert_frame_equal(g.tables[first], a.tables[first])


KINDS = {
    "preferences_5x200": "preferences",
    "vendor_a": "preferences",
    "vendor_b": "preferences",
    "vendor_gold": "gold",
    "reviews_10x5000": "annotations",
    "reviews_10x5000_gold": "gold",
    "relevance_5pt": "annotations",
    "corpus": "corpus",
    "image_captions": "image_captions",
}


@pytest.mark.parametrize("name", [n for n in SMALL if n != "scored_items"])  # scores and decisions: no data-model kind
def test_tables_pass_the_data_model_checks(name: str) -> None:
    s = SMALL[name](0)
    checked = 0
    for key, frame in s.tables.items():
        if key in KINDS:
            validate_table(frame, KINDS[key])
            checked += 1
    assert checked >= 1
    json.dumps(s.truth_json())  # the truth is JSON-serialisable
    assert s.name in s.summary() and len(s.to_frame()) == len(s.tables)



def test_truth_is_a_typed_record_read_by_attribute_or_by_json_key() -> None:
    s = samples.make_reviews(200, 6, 3, 30, drift_day=15, guideline_day=10, rng=0)
    t = s.truth
    assert isinstance(t, samples.ReviewsTruth)
    assert t.drift is not None and t.drift.annotator == t["drift"]["annotator"] == "ann_03"
    assert t.guideline_change.from_version == t["guideline_change"]["from"] == "v2.0"
    assert list(t) == [*s.truth_json(), "rows"] and t["rows"] is s.rows
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.days = 3  # type: ignore[misc]
    with pytest.raises(KeyError):
        t["no_such_key"]
    written = json.loads(json.dumps(s.truth_json()))
    assert written["guideline_change"] == {"from": "v2.0", "to": "v2.1", "day": 10, "timestamp": "2025-03-13T00:00:00"}
    null = samples.make_reviews(200, 6, 3, 30, drift_annotator=None, cohort_confusion=False, rng=0)
    assert null.truth.drift is None and null.truth_json()["cohort_confusion"] is None
    prefs = samples.make_preferences(20, 5, rng=1).truth
    assert isinstance(prefs.length_biased, tuple) and prefs.to_json()["length_biased"] == list(prefs.length_biased)


# ---------------------------------------------------------------- preferences


def _pref_rates(sample: samples.Sample) -> pd.DataFrame:
    df = sample.tables["preferences_5x200"].merge(sample.rows[["pair_id", "true_choice"]], on="pair_id")
    nt = df[(df["choice"] != "tie") & (df["len_a"] != df["len_b"])]
    return pd.DataFrame(
        {
            "annotator_id": nt["annotator_id"],
            "longer": nt["choice"].to_numpy() == _longer(nt),
            "a": nt["choice"].to_numpy() == "a",
            "correct": nt["choice"].to_numpy() == nt["true_choice"].to_numpy(),
        }
    ).groupby("annotator_id").mean()


def test_preferences_planted_biases_are_in_the_raw_choices() -> None:
    s = samples.make_preferences(1500, 5, p_longer=0.8, p_position_a=0.8, rng=3)
    rates = _pref_rates(s)
    t = s.truth
    assert len(t["length_biased"]) == 2 and len(t["position_biased"]) == 1 and len(t["random"]) == 1
    for a in t["length_biased"]:
        assert rates.loc[a, "longer"] == pytest.approx(0.8, abs=0.04)
    for a in t["position_biased"]:
        assert rates.loc[a, "a"] == pytest.approx(0.8, abs=0.04)
        assert rates.loc[a, "longer"] == pytest.approx(0.5, abs=0.05)
    for a in t["random"]:
        assert rates.loc[a, "correct"] == pytest.approx(0.5, abs=0.05)
    for a in t["honest"]:
        assert rates.loc[a, "correct"] == pytest.approx(0.9, abs=0.04)
        assert rates.loc[a, "longer"] == pytest.approx(0.5, abs=0.05)


def test_preferences_null_has_no_bias_and_quality_is_independent_of_length() -> None:
    s = samples.make_preferences(1500, 4, n_length_biased=0, n_position_biased=0, n_random=0, rng=4)
    rates = _pref_rates(s)
    assert set(s.truth["roles"].values()) == {"honest"}
    assert rates["longer"].between(0.45, 0.55).all()
    assert rates["a"].between(0.45, 0.55).all()
    rows = s.rows
    # the better response is not the longer one more often than chance
    longer_is_better = (_longer(rows) == rows["true_choice"].to_numpy()).mean()
    assert longer_is_better == pytest.approx(0.5, abs=0.04)


def test_preferences_shape_lengths_ties_and_roles() -> None:
    s = samples.make_preferences(200, 5, rng=0)
    df = s.tables["preferences_5x200"]
    assert len(df) == 1000 and df["pair_id"].nunique() == 200 and df["annotator_id"].nunique() == 5
    assert 0.01 < (df["choice"] == "tie").mean() < 0.1
    lens = np.r_[df["len_a"], df["len_b"]]
    assert lens.min() >= 20 and lens.max() <= 330 and np.median(lens) < 150
    # len_a/len_b are the word counts of the responses
    assert (df["response_a"].str.split().str.len() == df["len_a"]).all()
    assert set(df["category"]) == {"cooking", "coding", "travel", "health", "finance"}
    assert (df["duration_s"] > 0).all()
    pd.to_datetime(df["timestamp"], format="%Y-%m-%dT%H:%M:%S")


def test_preferences_bad_counts_raise() -> None:
    with pytest.raises(WorkbenchError, match="must be between 0 and n_annotators=3"):
        samples.make_preferences(10, 3, n_length_biased=2, n_position_biased=1, n_random=1)
    with pytest.raises(WorkbenchError, match="p_longer=1.5 must be a probability"):
        samples.make_preferences(10, p_longer=1.5)


# ---------------------------------------------------------------- vendors


def _vendor_stats(s: samples.Sample) -> dict[str, dict[str, float]]:
    gold = s.tables["vendor_gold"].set_index("item_id")["label"]
    out = {}
    for v in ("a", "b"):
        df = s.tables[f"vendor_{v}"]
        nt = df[df["choice"] != "tie"]
        g = nt[nt["pair_id"].isin(gold.index)]
        out[v] = {
            "gold_acc": float((g["choice"].to_numpy() == gold[g["pair_id"]].to_numpy()).mean()),
            "longer": float((nt["choice"].to_numpy() == _longer(nt)).mean()),
            "duration": float(df["duration_s"].median()),
        }
    return out


def test_vendor_b_is_less_accurate_more_length_biased_and_faster() -> None:
    s = samples.make_vendors(rng=0)
    a, b = s.tables["vendor_a"], s.tables["vendor_b"]
    assert set(a["pair_id"]) == set(b["pair_id"]) and a["pair_id"].nunique() == 500
    assert (a.groupby("pair_id")["annotator_id"].nunique() == 3).all()
    assert not set(a["annotator_id"]) & set(b["annotator_id"])
    assert set(a["vendor"]) == {"a"} and set(b["vendor"]) == {"b"}
    gold = s.tables["vendor_gold"]
    assert len(gold) == 100 and set(gold["label"]) <= {"a", "b"}
    truth = s.rows.set_index("pair_id")["true_choice"]
    assert (gold["label"].to_numpy() == truth[gold["item_id"]].to_numpy()).all()
    st = _vendor_stats(s)
    assert st["a"]["gold_acc"] - st["b"]["gold_acc"] > 0.12
    assert st["b"]["longer"] - st["a"]["longer"] > 0.12
    assert st["b"]["duration"] < 0.75 * st["a"]["duration"]
    assert s.truth["vendor_b"]["random_annotators"] and not s.truth["vendor_a"]["random_annotators"]


def test_vendors_with_equal_parameters_are_statistically_identical() -> None:
    s = samples.make_vendors(2000, 3, 2000, accuracy_a=0.75, accuracy_b=0.75,
                             p_longer_a=0.65, p_longer_b=0.65, rng=5)
    st = _vendor_stats(s)
    assert abs(st["a"]["gold_acc"] - st["b"]["gold_acc"]) < 0.03
    assert abs(st["a"]["longer"] - st["b"]["longer"]) < 0.03
    assert st["a"]["duration"] == pytest.approx(st["b"]["duration"], rel=0.08)
    # same structure of near-random annotators on both sides
    assert len(s.truth["vendor_a"]["random_annotators"]) == len(s.truth["vendor_b"]["random_annotators"])
    # and the choice distributions cannot be told apart
    ca = s.tables["vendor_a"]["choice"].value_counts()
    cb = s.tables["vendor_b"]["choice"].value_counts()
    assert stats.chi2_contingency(pd.concat([ca, cb], axis=1).fillna(0).to_numpy())[1] > 0.001


def test_vendors_bad_arguments_raise() -> None:
    with pytest.raises(WorkbenchError, match="per_pair=9 exceeds n_annotators=8"):
        samples.make_vendors(10, 9)
    with pytest.raises(WorkbenchError, match="n_gold=20 exceeds n_pairs=10"):
        samples.make_vendors(10, 3, 20)


# ---------------------------------------------------------------- reviews


def _review_frame(s: samples.Sample) -> pd.DataFrame:
    df = s.tables["reviews_10x5000"].merge(s.rows[["item_id", "true_label"]], on="item_id")
    df["correct"] = df["label"] == df["true_label"]
    df["day"] = (pd.to_datetime(df["timestamp"]) - samples.SAMPLE_START) / pd.Timedelta(days=1)
    return df


@pytest.fixture(scope="module")
def reviews() -> samples.Sample:
    return samples.make_reviews(rng=0)


def test_reviews_structure(reviews: samples.Sample) -> None:
    df = reviews.tables["reviews_10x5000"]
    items = reviews.tables["reviews_10x5000_items"]
    assert len(items) == 5000 and len(df) == 15000 and df["annotator_id"].nunique() == 10
    assert (df.groupby("item_id")["annotator_id"].nunique() == 3).all()
    assert (df.groupby("annotator_id")["cohort"].nunique() == 1).all()
    assert set(df["cohort"]) == {"day", "night"}
    day = _review_frame(reviews)["day"]
    assert day.min() >= 0 and day.max() < 90
    v = df.assign(day=day.to_numpy())
    assert (v.loc[v["day"] < 30, "guideline_version"] == "v2.0").all()
    assert (v.loc[v["day"] >= 30, "guideline_version"] == "v2.1").all()
    gold = reviews.tables["reviews_10x5000_gold"]
    assert len(gold) == 500
    truth = reviews.rows.set_index("item_id")["true_label"]
    assert (gold["label"].to_numpy() == truth[gold["item_id"]].to_numpy()).all()
    acc = reviews.truth["annotator_accuracy"]
    assert len(set(acc.values())) == 10 and min(acc.values()) >= 0.85 and max(acc.values()) <= 0.95


def test_reviews_drift_annotator_drops_after_drift_day(reviews: samples.Sample) -> None:
    df = _review_frame(reviews)
    drift = reviews.truth["drift"]
    assert drift["annotator"] == "ann_03" and drift["change_timestamp"] == "2025-04-17T00:00:00"
    # outside the confused cells, so only the drift shows
    clean = df[~((df["cohort"] == "night") & (df["category"] == "kitchen"))]
    by = clean.groupby(["annotator_id", clean["day"] >= 45])["correct"].mean().unstack()
    drop = by[False] - by[True]
    assert drop["ann_03"] > 0.15
    assert by.loc["ann_03", True] == pytest.approx(0.65, abs=0.06)
    assert drop.drop("ann_03").abs().max() < 0.06


def test_reviews_night_cohort_flips_one_category_since_v21(reviews: samples.Sample) -> None:
    df = _review_frame(reviews)
    cc = reviews.truth["cohort_confusion"]
    assert (cc["cohort"], cc["category"], cc["guideline_version"]) == ("night", "kitchen", "v2.1")
    cell = df[(df["cohort"] == "night") & (df["category"] == "kitchen")]
    assert cell.loc[cell["guideline_version"] == "v2.1", "correct"].mean() < 0.35
    assert cell.loc[cell["guideline_version"] == "v2.0", "correct"].mean() > 0.8
    other = df[(df["cohort"] == "day") & (df["category"] == "kitchen") & (df["annotator_id"] != "ann_03")]
    assert other["correct"].mean() > 0.8


def test_reviews_null_has_no_drift_and_no_cohort_effect() -> None:
    s = samples.make_reviews(drift_annotator=None, cohort_confusion=False, rng=0)
    df = _review_frame(s)
    assert s.truth["drift"] is None and s.truth["cohort_confusion"] is None
    by = df.groupby(["annotator_id", df["day"] >= 45])["correct"].mean().unstack()
    assert (by[False] - by[True]).abs().max() < 0.06
    cell = df.groupby(["cohort", "guideline_version", df["category"] == "kitchen"])["correct"].mean()
    assert cell.min() > 0.84


def test_review_texts_are_learnable_by_tfidf(reviews: samples.Sample) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    items = reviews.tables["reviews_10x5000_items"].merge(reviews.rows, on="item_id")
    x = TfidfVectorizer().fit_transform(items["text"])
    y = (items["true_label"] == "positive").to_numpy()
    model = LogisticRegression(max_iter=1000).fit(x[:3000], y[:3000])
    assert model.score(x[3000:], y[3000:]) > 0.9
    assert set(items["category_x"]) == {"electronics", "books", "clothing", "kitchen", "toys"}


def test_reviews_bad_arguments_raise() -> None:
    with pytest.raises(WorkbenchError, match="drift_annotator='ann_99' is not one of"):
        samples.make_reviews(50, drift_annotator="ann_99")
    with pytest.raises(WorkbenchError, match="per_item=4 exceeds n_annotators=3"):
        samples.make_reviews(50, 3, 4)
    with pytest.raises(WorkbenchError, match="confused_category='garden' is not valid"):
        samples.make_reviews(50, confused_category="garden")


# ---------------------------------------------------------------- relevance


def test_relevance_is_ordinal_sparse_and_follows_the_latent_level() -> None:
    s = samples.make_relevance(rng=0)
    df = s.tables["relevance_5pt"]
    assert df["label"].dtype.kind == "i" and set(df["label"]) == {1, 2, 3, 4, 5}
    per_item = df.groupby("item_id").size()
    assert per_item.between(2, 4).all() and df["annotator_id"].nunique() == 30
    # sparse: most annotator pairs share few items
    assert per_item.mean() < 0.2 * df["annotator_id"].nunique()
    m = df.merge(s.rows, on="item_id")
    assert stats.spearmanr(m["label"], m["true_relevance"])[0] > 0.75
    means = m.groupby("true_level")["label"].mean()
    assert means.is_monotonic_increasing
    # annotator offsets show in the raw labels
    resid = (m["label"] - m["true_relevance"]).groupby(m["annotator_id"]).mean()
    offset = pd.Series(s.truth["annotator_offset"])
    assert np.corrcoef(resid[offset.index], offset)[0, 1] > 0.6
    items = s.tables["relevance_5pt_items"]
    assert list(items.columns) == ["item_id", "query", "document"] and len(items) == 600


# ---------------------------------------------------------------- corpus


@pytest.fixture(scope="module")
def corpus() -> samples.Sample:
    return samples.make_corpus(1000, rng=2)


def test_corpus_kinds_and_exact_duplicates(corpus: samples.Sample) -> None:
    docs = corpus.tables["corpus"].set_index("doc_id")["text"]
    rows = corpus.rows.set_index("doc_id")
    counts = rows["kind"].value_counts()
    assert counts["clean"] == 700 and counts["near_duplicate"] == 70 and counts["repetitive"] == 30
    ex = rows[rows["kind"] == "exact_duplicate"]
    assert (rows.loc[ex["duplicate_of"], "kind"] == "clean").all()
    assert all(_norm(docs[d]) == _norm(docs[o]) for d, o in ex["duplicate_of"].items())
    assert set(ex["variant"]) == {"identical", "case", "whitespace", "unicode"}
    differ = [docs[d] != docs[o] for d, o in ex["duplicate_of"].items() if ex.loc[d, "variant"] != "identical"]
    assert all(differ)
    # no duplicate groups other than the planted ones
    norm = docs.map(_norm)
    for _, group in rows.assign(norm=norm).groupby("norm"):
        if len(group) > 1:
            origin = set(group["duplicate_of"].dropna()) | set(group.index[group["kind"] == "clean"])
            assert len(origin) == 1, group


def test_corpus_near_duplicates_have_the_recorded_edit_rate(corpus: samples.Sample) -> None:
    import difflib

    docs = corpus.tables["corpus"].set_index("doc_id")["text"]
    near = corpus.rows[corpus.rows["kind"] == "near_duplicate"]
    assert near["edit_rate"].between(0.005, 0.12).all()
    for _, r in near.iterrows():
        a, b = docs[r["duplicate_of"]].split(), docs[r["doc_id"]].split()
        changed = 1 - difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio()
        assert 0 < changed <= 2 * r["edit_rate"] + 0.01
        assert _norm(docs[r["doc_id"]]) != _norm(docs[r["duplicate_of"]])


def test_corpus_noise_kinds_look_like_what_they_claim(corpus: samples.Sample) -> None:
    import py3langid

    docs = corpus.tables["corpus"].merge(corpus.rows, on="doc_id")
    clean = docs[docs["kind"] == "clean"]
    words = clean["text"].str.split().str.len()
    assert words.min() >= 60 and words.max() <= 230
    fe = docs[docs["kind"] == "non_english"]
    assert set(fe["language"]) == {"de", "fr", "es"}
    detected = fe["text"].map(lambda t: py3langid.classify(t)[0])
    assert (detected == fe["language"]).mean() > 0.95
    assert (clean["text"].head(50).map(lambda t: py3langid.classify(t)[0]) == "en").all()
    rep = docs[docs["kind"] == "repetitive"]
    assert rep["text"].map(lambda t: len({s.strip() for s in t.replace("\n", " ").split(". ")})).max() <= 2
    spam = docs[docs["kind"] == "spam"]
    assert spam["text"].str.contains(r"http://|cookies|\|", regex=True).all()

    def bigrams(t: str) -> list[tuple[str, str]]:
        w = t.lower().split()
        return list(itertools.pairwise(w))

    known = {b for t in clean["text"] for b in bigrams(t)}
    salad = docs[docs["kind"] == "word_salad"]["text"]
    held = clean["text"].tail(50)
    known_without_held = {b for t in clean["text"].head(len(clean) - 50) for b in bigrams(t)}
    seen_salad = np.mean([np.mean([b in known for b in bigrams(t)]) for t in salad])
    seen_clean = np.mean([np.mean([b in known_without_held for b in bigrams(t)]) for t in held])
    assert seen_clean > 0.9 and seen_salad < 0.5


def test_corpus_bad_shares_raise() -> None:
    with pytest.raises(WorkbenchError, match="must be non-negative and sum to 1"):
        samples.make_corpus(10, shares={"clean": 0.5, "spam": 0.2})
    with pytest.raises(WorkbenchError, match="shares must use the kinds"):
        samples.make_corpus(10, shares={"clean": 0.5, "junk": 0.5})


# ---------------------------------------------------------------- image captions


def _caption_matches(caption: str, row: pd.Series) -> bool:
    words = caption.split()
    count_words = {1: {"a", "one"}, 2: {"two"}, 3: {"three"}}[row["count"]]
    noun = row["shape"] if row["count"] == 1 else row["shape"] + "s"
    pos = {"left": "left", "right": "right", "top": "top", "bottom": "bottom", "center": "center"}
    sizes = {"small", "large"} & set(words)
    return (
        row["colour"] in words
        and noun in words
        and bool(count_words & set(words))
        and pos[row["position"]] in words
        and (not sizes or sizes == {row["size"]})
    )


def test_image_captions_kinds_files_and_captions(tmp_path: Path) -> None:
    s = samples.make_image_captions(120, out_dir=tmp_path, rng=1)
    table = s.tables["image_captions"]
    rows = s.rows.set_index("pair_id")
    jpeg = table["pair_id"].isin(rows.index[rows["transform"] == "jpeg"])
    assert (table["image"] == "images/" + table["pair_id"] + np.where(jpeg, ".jpg", ".png")).all()
    files = {p.stem: p for p in (tmp_path / "images").glob("*.*")}
    assert set(files) == set(table["pair_id"])
    first = Image.open(files[table["pair_id"].iloc[0]])
    assert first.size == (64, 64) and max(p.stat().st_size for p in files.values()) < 4000
    digest = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}
    caps = table.set_index("pair_id")["caption"]
    for pid, r in rows.iterrows():
        if r["kind"] in ("correct", "exact_duplicate", "near_duplicate", "edited_duplicate"):
            assert _caption_matches(caps[pid], r), (caps[pid], r.to_dict())
        elif r["kind"] == "mismatched":
            assert not _caption_matches(caps[pid], r), (caps[pid], r.to_dict())
        else:
            assert caps[pid] in s.truth["spam_captions"]
        if r["kind"] == "exact_duplicate":
            assert digest[pid] == digest[r["duplicate_of"]]
        if r["kind"] == "near_duplicate":
            assert digest[pid] != digest[r["duplicate_of"]]
            src = rows.loc[r["duplicate_of"]]
            assert (src[["shape", "colour", "count", "position", "size"]] ==
                    r[["shape", "colour", "count", "position", "size"]]).all()
            diff = np.abs(np.asarray(Image.open(files[pid]), float)
                          - np.asarray(Image.open(files[r["duplicate_of"]]), float)).mean()
            assert diff < 40
    # the only byte-identical images are the planted exact duplicates and their originals
    groups = pd.Series(digest).groupby(pd.Series(digest)).apply(lambda g: sorted(g.index))
    for members in groups:
        if len(members) > 1:
            origin = {rows.loc[m, "duplicate_of"] if rows.loc[m, "kind"] == "exact_duplicate" else m
                      for m in members}
            assert len(origin) == 1
    assert set(rows["colour"]) <= set(COLOURS) and set(rows["shape"]) <= set(SHAPES)
    same = samples.make_image_captions(120, out_dir=None, rng=1)
    pd.testing.assert_frame_equal(same.tables["image_captions"], table)


# ---------------------------------------------------------------- write_all, committed files, CLI


def test_committed_cheap_samples_equal_write_all_seed_0(tmp_path: Path, data_samples: Path) -> None:
    written = samples.write_all(tmp_path, seed=0, names=CHEAP)
    assert written
    for p in written:
        rel = p.relative_to(tmp_path)
        committed = data_samples / rel
        assert committed.exists(), f"{rel} is not committed; run workbench samples --out data_samples"
        assert committed.read_bytes() == p.read_bytes(), f"{rel} differs from write_all(seed=0)"


def test_committed_corpus_and_image_tables_equal_generators(data_samples: Path) -> None:
    corpus = samples.make_corpus(rng=0)
    loaded = load_table(data_samples / "corpus.jsonl", kind="corpus")
    pd.testing.assert_frame_equal(loaded, corpus.tables["corpus"], check_dtype=False)
    rows = pd.read_csv(data_samples / "truth" / "corpus_rows.csv", dtype={"doc_id": str})
    assert rows["kind"].value_counts().to_dict() == corpus.truth["counts"]
    img = samples.make_image_captions(out_dir=None, rng=0)
    table = load_table(data_samples / "image_captions" / "image_captions.csv", kind="image_captions")
    pd.testing.assert_frame_equal(table, img.tables["image_captions"], check_dtype=False)
    assert len(list((data_samples / "image_captions" / "images").glob("*.*"))) == 2000
    truth = json.loads((data_samples / "truth" / "image_captions.json").read_text())
    assert truth == json.loads(json.dumps(img.truth_json()))


@pytest.mark.slow
def test_committed_images_and_corpus_files_are_byte_identical(tmp_path: Path, data_samples: Path) -> None:
    for p in samples.write_all(tmp_path, seed=0, names=["corpus", "image_captions"]):
        rel = p.relative_to(tmp_path)
        assert (data_samples / rel).read_bytes() == p.read_bytes(), rel


def test_committed_samples_load_with_their_kinds_and_stay_small(data_samples: Path) -> None:
    for stem, kind in KINDS.items():
        path = data_samples / ("image_captions" if stem == "image_captions" else "") / (
            stem + (".jsonl" if stem == "corpus" else ".csv"))
        assert len(load_table(path, kind=kind)) > 0
    load_table(data_samples / "reviews_10x5000_items.csv")
    load_table(data_samples / "relevance_5pt_items.csv")
    total = sum(p.stat().st_size for p in data_samples.rglob("*") if p.is_file()
                and "models" not in p.relative_to(data_samples).parts)
    assert total < 25 * 2**20
    readme = (data_samples / "README.md").read_text()
    for stem in (*KINDS, "reviews_10x5000_items", "relevance_5pt_items", "truth/"):
        assert stem in readme


def test_write_all_unknown_name_raises(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="unknown sample 'prefs'; choose from"):
        samples.write_all(tmp_path, names=["prefs"])


def test_cli_samples_writes_the_chosen_sample(tmp_path: Path) -> None:
    from workbench.cli import app

    result = CliRunner().invoke(app, ["samples", "--out", str(tmp_path), "--seed", "3",
                                      "--only", "relevance_5pt"])
    assert result.exit_code == 0, result.output
    assert "wrote 4 files" in result.output
    written = pd.read_csv(tmp_path / "relevance_5pt.csv", dtype={"item_id": str, "annotator_id": str})
    expected = samples.make_relevance(rng=3).tables["relevance_5pt"]
    pd.testing.assert_frame_equal(written, expected, check_dtype=False)
    bad = CliRunner().invoke(app, ["samples", "--out", str(tmp_path), "--only", "nope"])
    assert bad.exit_code != 0 and isinstance(bad.exception, WorkbenchError)
    assert "unknown sample 'nope'" in str(bad.exception)


def test_every_mismatched_caption_is_false_and_every_correct_one_true() -> None:
    s = samples.make_image_captions(2000, out_dir=None, rng=0)
    m = s.tables["image_captions"].merge(s.rows, on="pair_id")
    ok = m.apply(lambda r: _caption_matches(r["caption"], r), axis=1)
    assert ok[m["kind"].isin(["correct", "exact_duplicate", "near_duplicate", "edited_duplicate"])].all()
    assert not ok[m["kind"].isin(["mismatched", "spam"])].any()
    assert set(m.loc[m["kind"] == "mismatched", "mismatch"]) == {"attribute", "random"}
