"""Input checks and table I/O: every error path names table, column, rows and the fix."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench import io
from workbench._validation import as_rng, check_choice, validate_table
from workbench.errors import SchemaError, WorkbenchError


def annotations(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {"item_id": [f"i{i // 2}" for i in range(n)], "annotator_id": ["x", "y"] * (n // 2), "label": ["pos", "neg"] * (n // 2)}
    )


def test_valid_table_passes_unchanged() -> None:
    df = annotations()
    assert validate_table(df, "annotations") is df


def test_missing_column_names_table_column_and_fix() -> None:
    df = annotations().drop(columns="label")
    with pytest.raises(SchemaError, match=r"table 'annotations' is missing column\(s\) 'label'; it has 'item_id', 'annotator_id'.*rename"):
        validate_table(df, "annotations")


def test_empty_table() -> None:
    with pytest.raises(SchemaError, match=r"table 'gold' \(g.csv\) is empty \(0 rows\)"):
        validate_table(pd.DataFrame(columns=["item_id", "label"]), "gold", source="g.csv")


def test_duplicate_item_annotator_rows_named() -> None:
    df = pd.concat([annotations(), annotations().iloc[[2]]], ignore_index=True)
    with pytest.raises(SchemaError, match=r"2 rows share the same \(item_id, annotator_id\), e.g. item_id='i1', annotator_id='x', at rows 2, 6.*drop_duplicates"):
        validate_table(df, "annotations")


def test_missing_labels_named_with_rows() -> None:
    df = annotations()
    df.loc[3, "label"] = None
    with pytest.raises(SchemaError, match=r"column 'label': 1 missing value\(s\) at row 3\. .*dropna"):
        validate_table(df, "annotations")


def test_wrong_type_numeric_column() -> None:
    df = annotations().assign(duration_s=["1.5", "2", "fast", "3", "4", "5"])
    with pytest.raises(SchemaError, match=r"column 'duration_s' must be numeric but holds 'fast' at row 2"):
        validate_table(df, "annotations")


def test_non_text_in_text_column() -> None:
    df = pd.DataFrame({"doc_id": ["1", "2"], "text": ["hello", 42]})
    with pytest.raises(SchemaError, match=r"column 'text' must hold text but holds int 42 at row 1"):
        validate_table(df, "corpus")


def test_bad_preference_choice() -> None:
    df = pd.DataFrame({"pair_id": ["p"], "annotator_id": ["x"], "choice": [1], "response_a": ["A"], "response_b": ["B"]})
    with pytest.raises(SchemaError, match=r"column 'choice' must be 'a', 'b' or 'tie' but holds 1 at row 0"):
        validate_table(df, "preferences")


def test_unknown_kind_lists_valid_ones() -> None:
    with pytest.raises(WorkbenchError, match=r"kind='labels' is not valid; choose one of 'annotations', 'gold'"):
        validate_table(annotations(), "labels")


def test_not_a_frame_is_type_error() -> None:
    with pytest.raises(TypeError, match=r"must be a pandas DataFrame, got list"):
        validate_table([1, 2], "gold")


def test_check_choice_and_rng() -> None:
    with pytest.raises(WorkbenchError, match=r"method='fast' is not valid; choose one of 'a', 'b'"):
        check_choice("fast", name="method", choices=("a", "b"))
    assert as_rng(3).integers(1000) == np.random.default_rng(3).integers(1000)
    gen = np.random.default_rng(1)
    assert as_rng(gen) is gen
    with pytest.raises(TypeError, match="rng must be"):
        as_rng("seed")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.jsonl", "t.jsonl.gz", "t.parquet"])
def test_round_trip_every_format(tmp_path: Path, name: str) -> None:
    df = annotations().assign(item_id=["007", "007", "7", "7", "08", "08"])
    io.save_table(df, tmp_path / name)
    back = io.load_table(tmp_path / name, kind="annotations")
    pd.testing.assert_frame_equal(back.astype(str), df.astype(str))
    assert back["item_id"].tolist()[:3] == ["007", "007", "7"]  # ids stay strings


def test_column_mapping(tmp_path: Path) -> None:
    pd.DataFrame({"task": ["1"], "worker": ["w"], "answer": ["yes"]}).to_csv(tmp_path / "a.csv", index=False)
    df = io.load_table(tmp_path / "a.csv", kind="annotations", columns={"item_id": "task", "annotator_id": "worker", "label": "answer"})
    assert list(df.columns) == ["item_id", "annotator_id", "label"]


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"no such file: '.*nope.csv'"):
        io.load_table(tmp_path / "nope.csv")
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(WorkbenchError, match=r"cannot tell the format of .*t.xlsx.*\.csv, \.jsonl, \.parquet"):
        io.load_table(tmp_path / "t.xlsx")
    bad = tmp_path / "bad.csv"
    bad.write_bytes("item_id,annotator_id,label\n1,x,caf\xe9\n".encode("latin-1"))
    with pytest.raises(SchemaError, match=r"bad.csv' is not valid UTF-8 text \(first bad byte on line 2.*iconv"):
        io.load_table(bad)
    badgz = tmp_path / "bad.csv.gz"
    with gzip.open(badgz, "wb") as fh:
        fh.write("item_id,label\n1,na\xefve\n".encode("latin-1"))
    with pytest.raises(SchemaError, match=r"not valid UTF-8 text \(first bad byte on line 2"):
        io.load_table(badgz)
    (tmp_path / "broken.parquet").write_text("not parquet")
    with pytest.raises(WorkbenchError, match=r"could not read .*broken.parquet' as PARQUET"):
        io.load_table(tmp_path / "broken.parquet")


def test_schema_errors_from_files_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gold.csv"
    pd.DataFrame({"item_id": ["1", "1"], "label": ["a", "b"]}).to_csv(path, index=False)
    with pytest.raises(SchemaError, match=r"table 'gold' \(.*gold.csv\): 2 rows share the same \(item_id\)"):
        io.load_table(path, kind="gold")


def test_save_is_atomic_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    io.save_table(annotations(), target)
    before = target.read_text()

    class Boom(pd.DataFrame):
        def to_csv(self, *a: object, **k: object) -> None:  # type: ignore[override]
            Path(str(a[0])).write_text("half")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        io.save_table(Boom(annotations()), target)
    assert target.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary left behind


def hh(prompt: str, answer: str) -> str:
    return f"\n\nHuman: {prompt}\n\nAssistant: {answer}"


def test_from_chosen_rejected_dialogues_and_balanced_order() -> None:
    n = 2000
    raw = pd.DataFrame({"chosen": [hh(f"q{i}", f"good {i}") for i in range(n)],
                        "rejected": [hh(f"q{i}", f"bad answer {i}") for i in range(n)]})
    out = io.from_chosen_rejected(raw, rng=7)
    validate_table(out, "preferences")
    chosen_text = np.where(out["choice"] == "a", out["response_a"], out["response_b"])
    assert all(t.startswith("good") for t in chosen_text)
    assert (out["chosen_position"] == out["choice"]).all()
    share_a = (out["choice"] == "a").mean()
    assert abs(share_a - 0.5) < 4 * np.sqrt(0.25 / n)  # randomised, not always 'a'
    assert out.loc[0, "prompt"] == "\n\nHuman: q0"
    again = io.from_chosen_rejected(raw, rng=7)
    pd.testing.assert_frame_equal(out, again)  # reproducible from the seed


def test_from_chosen_rejected_plain_text_and_errors() -> None:
    raw = pd.DataFrame({"c": ["yes"], "r": ["no"], "q": ["?"]})
    out = io.from_chosen_rejected(raw, chosen="c", rejected="r", prompt="q", rng=1)
    assert out.loc[0, "prompt"] == "?"
    assert {out.loc[0, "response_a"], out.loc[0, "response_b"]} == {"yes", "no"}
    with pytest.raises(SchemaError, match=r"missing column\(s\) 'chosen'"):
        io.from_chosen_rejected(raw)
    with pytest.raises(SchemaError, match=r"is empty"):
        io.from_chosen_rejected(raw.iloc[:0], chosen="c", rejected="r")


def test_checks_work_on_a_duplicate_index() -> None:
    df = pd.concat([annotations(), annotations().iloc[[2]]])  # index 0..5 then 2 again
    with pytest.raises(SchemaError, match=r"2 rows share the same \(item_id, annotator_id\), e.g. item_id='i1'"):
        validate_table(df, "annotations")
    bad = annotations().set_axis([0, 0, 1, 1, 2, 2]).assign(duration_s=[1, 2, "x", 3, 4, 5])
    with pytest.raises(SchemaError, match=r"must be numeric but holds 'x' at row 1\."):
        validate_table(bad, "annotations")


# ---- planted truth joined by key (issue 20; was a notebook merge) ------------------------------


def test_attach_truth_joins_by_key_as_text_and_keeps_row_order(tmp_path: Path) -> None:
    path = tmp_path / "truth.csv"
    pd.DataFrame({"doc_id": ["007", "1", "2"], "kind": ["spam", "clean", "salad"], "x": [1, 2, 3]}).to_csv(path, index=False)
    corpus = pd.DataFrame({"doc_id": ["2", "007", "9"], "text": ["a", "b", "c"]}, index=[10, 11, 12])
    out = io.attach_truth(corpus, path, key="doc_id")
    assert out.index.tolist() == [10, 11, 12] and out["kind"].tolist()[:2] == ["salad", "spam"]
    assert pd.isna(out["kind"].iloc[2]) and "x" not in out.columns  # "007" stays "007": read as text
    both = io.attach_truth(corpus, path, key="doc_id", columns=("kind", "x"))
    assert both["x"].tolist()[:2] == [3, 1]
    with pytest.raises(SchemaError, match="'1' is listed 2 times"):
        io.attach_truth(corpus, pd.DataFrame({"doc_id": ["1", "1"], "kind": ["a", "b"]}), key="doc_id")
    with pytest.raises(SchemaError, match="already has the truth column"):
        io.attach_truth(out, path, key="doc_id")
    with pytest.raises(SchemaError, match="kind"):
        io.attach_truth(corpus, pd.DataFrame({"doc_id": ["1"]}), key="doc_id")


def test_none_and_na_are_labels_not_missing_values(tmp_path):
    """Issue 27, item 3: a class called "None" (the most common one) was read as missing, and a
    CSV that `workbench convert` wrote with the free-text label "NA" could not be read back."""
    from workbench import io

    rows = [("q1", "a1", "None"), ("q1", "a2", "NA"), ("q2", "a1", "null"), ("q2", "a2", "N/A"), ("q3", "a1", "nan")]
    path = tmp_path / "ann.csv"
    pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"]).to_csv(path, index=False)
    ann = io.load_table(path, kind="annotations")
    assert ann["label"].tolist() == ["None", "NA", "null", "N/A", "nan"]
    out = io.save_table(ann, tmp_path / "again.csv")
    assert io.load_table(out, kind="annotations")["label"].tolist() == ann["label"].tolist()  # round trip
    renamed = tmp_path / "renamed.csv"
    pd.DataFrame(rows, columns=["q", "who", "answer"]).to_csv(renamed, index=False)
    got = io.load_table(renamed, kind="annotations", columns={"item_id": "q", "annotator_id": "who", "label": "answer"})
    assert got["label"].tolist() == ["None", "NA", "null", "N/A", "nan"]
    empty = tmp_path / "empty_label.csv"
    empty.write_text("item_id,annotator_id,label,score\nq1,a1,,NA\nq1,a2,x,1\n")
    raw = io.load_table(empty)
    assert raw["label"].isna().tolist() == [True, False] and raw["score"].isna().tolist() == [True, False]


def test_mturk_style_times_read_in_plain_tables_too(tmp_path):
    """Issue 27, item 10: one date parser for readers and plain tables."""
    from workbench import io

    path = tmp_path / "ann.csv"
    pd.DataFrame({"item_id": ["q1", "q2"], "annotator_id": ["a", "b"], "label": ["x", "y"],
                  "timestamp": ["Mon Mar 25 07:39:42 PDT 2019", "Tue Mar 26 23:00:00 PST 2019"]}).to_csv(path, index=False)
    from workbench._internal.dates import parse_dates

    ann = io.load_table(path, kind="annotations", date_format="%a %b %d %H:%M:%S %Z %Y")  # --date-format
    assert ann["timestamp"].dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2019-03-25 14:39", "2019-03-27 07:00"]
    plain = parse_dates(io.load_table(path, kind="annotations")["timestamp"], table="t", column="timestamp")
    assert plain.equals(ann["timestamp"])  # and without a format, as drift reads them
