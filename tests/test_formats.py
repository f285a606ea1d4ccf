"""Readers and writers of annotation-tool exports (issue 15).

Every fixture is written by hand here from the tool's documented export structure, small
enough to check each mapping rule by eye; the real Prodigy export, HH-RLHF and the AlpacaEval
annotations in ../shared/external are used where present.
"""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from workbench import agreement, formats, io
from workbench.errors import SchemaError, WorkbenchError


def write_json(path: Path, obj: Any) -> Path:
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def import_quiet(path: Path, **kw: Any) -> formats.ImportResult:
    return io.import_annotations(path, **kw)


def check_balance(res: formats.ImportResult) -> None:
    r = res.report
    assert r.rows_read == r.rows_kept + sum(r.dropped.values())


# ---------------------------------------------------------------------------------------
# Label Studio — JSON export (structure: labelstud.io/guide/export, task_format)
# ---------------------------------------------------------------------------------------


def ls_annotation(aid: int, who: Any, result: list[dict[str, Any]], *, created: str = "2024-05-01T10:00:00.000000Z",
                  lead: float = 4.5, cancelled: bool = False, gt: bool = False) -> dict[str, Any]:
    return {"id": aid, "completed_by": who, "result": result, "was_cancelled": cancelled, "ground_truth": gt,
            "created_at": created, "updated_at": created, "lead_time": lead, "result_count": len(result), "task": 0}


def choice(name: str, *values: str, to: str = "text") -> dict[str, Any]:
    return {"id": "r" + name, "from_name": name, "to_name": to, "type": "choices", "value": {"choices": list(values)}}


def ls_tasks() -> list[dict[str, Any]]:
    return [
        {"id": 1, "data": {"text": "Great product"}, "project": 3, "predictions": [],
         "annotations": [
             ls_annotation(11, 7, [choice("sentiment", "Positive")]),
             ls_annotation(12, {"id": 8, "email": "bo@example.com"}, [choice("sentiment", "Negative")], lead=2.0),
             ls_annotation(13, 9, [choice("sentiment", "Positive")], cancelled=True),
             ls_annotation(14, 10, [choice("sentiment", "Positive")], gt=True),
         ]},
        {"id": 2, "data": {"text": "Broke after a day"}, "project": 3,
         "annotations": [
             ls_annotation(21, 7, [choice("sentiment", "Negative")], created="2024-05-01T09:00:00Z"),
             # the same annotator again, later: this one is kept
             ls_annotation(22, 7, [choice("sentiment", "Neutral")], created="2024-05-02T09:00:00Z"),
             ls_annotation(23, {"id": 8, "email": "bo@example.com"}, [choice("sentiment", "Negative", "Positive")]),
         ]},
        {"id": 3, "data": {"text": "Not annotated yet"}, "annotations": []},
    ]


def test_label_studio_json_mapping(tmp_path: Path) -> None:
    res = import_quiet(write_json(tmp_path / "export.json", ls_tasks()))
    check_balance(res)
    ann = res.annotations.set_index(["item_id", "annotator_id"])
    # completed_by as int and as object (email preferred)
    assert ann.loc[("1", "7"), "label"] == "Positive"
    assert ann.loc[("1", "bo@example.com"), "label"] == "Negative"
    assert ann.loc[("1", "bo@example.com"), "duration_s"] == 2.0  # lead_time
    assert ann.loc[("1", "7"), "timestamp"] == pd.Timestamp("2024-05-01 10:00", tz="UTC")  # created_at
    # several choices: sorted and joined; the latest of two answers by one annotator
    assert ann.loc[("2", "bo@example.com"), "label"] == "Negative|Positive"
    assert ann.loc[("2", "7"), "label"] == "Neutral"
    # ... and the report says so (a joined label is a category of its own: never silent)
    assert any("1 judgment(s) chose several labels" in n and "Negative|Positive" in n for n in res.report.notes)
    # cancelled dropped, ground truth → gold (not an annotation)
    assert ("1", "9") not in ann.index and ("1", "10") not in ann.index
    assert res.gold.to_dict("records") == [{"item_id": "1", "label": "Positive"}]
    assert res.report.dropped == {
        "cancelled annotation (was_cancelled; skipped by the annotator)": 1,
        "duplicate answer by the same annotator (kept the latest)": 1,
    }
    assert (res.report.rows_read, res.report.rows_kept) == (7, 5)
    assert res.items["item_id"].tolist() == ["1", "2", "3"]
    assert res.items.set_index("item_id").loc["2", "text"] == "Broke after a day"
    assert "question" not in res.annotations.columns  # one control tag


def test_label_studio_key_proven_unique_only_when_no_answer_lacks_its_question(tmp_path: Path) -> None:
    path = write_json(tmp_path / "export.json", ls_tasks())
    assert import_quiet(path).unique_key == ("item_id", "annotator_id")
    assert len(io.load_table(path, kind="annotations")) == 4
    # one annotator answers item 1 with a named control and without one: distinct as read, the
    # same (item_id, annotator_id) once the single question's column goes: still refused
    unnamed = {**choice("sentiment", "Negative"), "from_name": None}
    tasks = ls_tasks()
    tasks[0]["annotations"].append(ls_annotation(15, 7, [unnamed], created="2024-05-03T10:00:00Z"))
    both = write_json(tmp_path / "both.json", tasks)
    assert import_quiet(both).unique_key == ()
    with pytest.raises(SchemaError, match=r"share the same \(item_id, annotator_id\)"):
        io.load_table(both, kind="annotations")


def test_label_studio_ground_truth_of_another_question_is_counted_when_one_is_chosen(tmp_path: Path) -> None:
    tasks = ls_tasks()
    tasks[0]["annotations"].append(ls_annotation(16, 11, [choice("topic", "Sports"), choice("sentiment", "Positive")],
                                                 gt=True))
    tasks[1]["annotations"].append(ls_annotation(24, 11, [choice("topic", "News")], gt=True))
    res = import_quiet(write_json(tmp_path / "gt.json", tasks), options={"question": "sentiment"})
    check_balance(res)
    assert res.gold.to_dict("records") == [{"item_id": "1", "label": "Positive"}]  # (the same label twice: once)
    assert res.report.dropped["answer to another question (not the one chosen with question=)"] == 2
    assert res.report.dropped["repeated ground-truth answer (same label)"] == 1


def test_label_studio_rating_taxonomy_number_and_questions(tmp_path: Path) -> None:
    tasks = [{"id": 5, "data": {"text": "x"}, "annotations": [
        ls_annotation(1, 1, [
            {"from_name": "stars", "to_name": "text", "type": "rating", "value": {"rating": 4}},
            {"from_name": "topic", "to_name": "text", "type": "taxonomy", "value": {"taxonomy": [["Sports", "Tennis"]]}},
            {"from_name": "score", "to_name": "text", "type": "number", "value": {"number": 7}},
            {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["nice"]}},
        ]),
        ls_annotation(2, 2, [
            {"from_name": "stars", "to_name": "text", "type": "rating", "value": {"rating": 2}},
            {"from_name": "topic", "to_name": "text", "type": "taxonomy",
             "value": {"taxonomy": [["Sports", "Tennis"], ["News"]]}},
        ]),
    ]}]
    path = write_json(tmp_path / "multi.json", tasks)
    res = import_quiet(path)
    check_balance(res)
    a = res.annotations
    assert set(a["question"]) == {"stars", "topic", "score"}  # several control tags → question column
    assert a[(a.question == "topic") & (a.annotator_id == "1")]["label"].item() == "Sports/Tennis"
    assert a[(a.question == "topic") & (a.annotator_id == "2")]["label"].item() == "News|Sports/Tennis"
    assert res.report.dropped == {"free-text answer (textarea) is not a label": 1}
    assert "question" in " ".join(res.report.notes)
    # one question picked: an annotations table with integer ratings
    stars = io.load_table(path, kind="annotations", options={"question": "stars"})
    assert stars["label"].tolist() == [4, 2] and stars["label"].dtype == np.int64
    with pytest.raises(WorkbenchError, match=r"answers 3 questions: 'stars' .*'topic' .*'score' .*options=\{'question': NAME\}"):
        io.load_table(path, kind="annotations")
    with pytest.raises(WorkbenchError, match=r"no answers to question 'mood'; the questions are 'stars', 'topic', 'score'"):
        io.import_annotations(path, options={"question": "mood"})


def test_label_studio_pairwise_becomes_preferences(tmp_path: Path) -> None:
    tasks = [{"id": 9, "data": {"prompt": "Say hi", "left": "Hi!", "right": "Hello there, friend."},
              "annotations": [
                  ls_annotation(1, 1, [{"from_name": "pw", "to_name": "left,right", "type": "pairwise", "value": {"selected": "left"}}]),
                  ls_annotation(2, 2, [{"from_name": "pw", "to_name": ["left", "right"], "type": "pairwise", "value": {"selected": "right"}}]),
              ]}]
    prefs = io.load_table(write_json(tmp_path / "pw.json", tasks), kind="preferences")
    assert prefs[["pair_id", "annotator_id", "choice", "response_a", "response_b", "prompt"]].values.tolist() == [
        ["9", "1", "a", "Hi!", "Hello there, friend.", "Say hi"],
        ["9", "2", "b", "Hi!", "Hello there, friend.", "Say hi"],
    ]


def test_label_studio_spans_are_a_separate_table_never_labels(tmp_path: Path) -> None:
    span = {"from_name": "ner", "to_name": "text", "type": "labels",
            "value": {"start": 0, "end": 5, "text": "Great", "labels": ["POS"]}}
    box = {"from_name": "tag", "to_name": "img", "type": "rectanglelabels",
           "value": {"x": 1, "y": 2, "width": 3, "height": 4, "rotation": 0, "rectanglelabels": ["Moonwalker"]}}
    region_choice = {"from_name": "attr", "to_name": "text", "type": "choices",
                     "value": {"start": 0, "end": 5, "choices": ["sarcastic"]}}
    tasks = [{"id": 1, "data": {"text": "Great"}, "annotations": [ls_annotation(1, 1, [span, box, region_choice])]}]
    path = write_json(tmp_path / "spans.json", tasks)
    res = import_quiet(path)
    check_balance(res)
    assert len(res.spans) == 3 and set(res.spans["type"]) == {"labels", "rectanglelabels", "choices"}
    assert res.annotations.empty
    assert res.report.dropped == {"span/region result (in table 'spans')": 3}
    with pytest.raises(SchemaError, match=r"has no annotations: it holds .*spans \(3 rows\)"):
        io.load_table(path, kind="annotations")


def test_label_studio_unknown_control_type(tmp_path: Path) -> None:
    tasks = [{"id": 1, "data": {"text": "x"}, "annotations": [
        ls_annotation(1, 1, [{"from_name": "r", "to_name": "text", "type": "ranker", "value": {"ranker": {}}}])]}]
    with pytest.raises(WorkbenchError, match=r"task 1, annotation 1: result type 'ranker' is not one this reader knows.*choices, rating"):
        io.import_annotations(write_json(tmp_path / "r.json", tasks), format="label-studio")


def test_label_studio_empty_export(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"holds no records: the Label Studio export is empty"):
        io.import_annotations(write_json(tmp_path / "empty.json", []), format="label-studio")


def test_label_studio_conflicting_ground_truth(tmp_path: Path) -> None:
    tasks = [{"id": 1, "data": {"text": "x"}, "annotations": [
        ls_annotation(1, 1, [choice("s", "A")], gt=True), ls_annotation(2, 2, [choice("s", "B")], gt=True)]}]
    with pytest.raises(SchemaError, match=r"item '1' has two ground-truth annotations with different labels \('A', 'B'\)"):
        io.import_annotations(write_json(tmp_path / "gt.json", tasks))


# JSON-MIN: one row per annotation, task data and answers side by side (labelstud.io/guide/export#JSON-MIN)
def ls_min_rows() -> list[dict[str, Any]]:
    return [
        {"id": 1, "text": "Great product", "sentiment": "Positive", "annotator": "al@example.com",
         "annotation_id": 11, "created_at": "2024-05-01T10:00:00Z", "updated_at": "2024-05-01T10:00:00Z", "lead_time": 3.0},
        {"id": 1, "text": "Great product", "sentiment": "Negative", "annotator": "bo@example.com",
         "annotation_id": 12, "created_at": "2024-05-01T11:00:00Z", "updated_at": "2024-05-01T11:00:00Z", "lead_time": 5.0},
        {"id": 2, "text": "Meh", "sentiment": {"choices": ["Neutral", "Negative"]}, "annotator": "al@example.com",
         "annotation_id": 13, "created_at": "2024-05-01T12:00:00Z", "updated_at": "2024-05-01T12:00:00Z", "lead_time": 1.0},
        {"id": 2, "text": "Meh", "sentiment": "Neutral", "annotator": "bo@example.com",
         "annotation_id": 14, "created_at": "2024-05-01T12:30:00Z", "updated_at": "2024-05-01T12:30:00Z", "lead_time": 2.0},
    ]


def test_label_studio_json_min(tmp_path: Path) -> None:
    res = import_quiet(write_json(tmp_path / "min.json", ls_min_rows()))
    check_balance(res)
    a = res.annotations
    assert a[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["1", "al@example.com", "Positive"], ["1", "bo@example.com", "Negative"],
        ["2", "al@example.com", "Negative|Neutral"], ["2", "bo@example.com", "Neutral"]]
    assert a["duration_s"].tolist() == [3.0, 5.0, 1.0, 2.0]
    assert res.items.set_index("item_id")["text"].to_dict() == {"1": "Great product", "2": "Meh"}


def test_label_studio_csv(tmp_path: Path) -> None:
    rows = ls_min_rows()
    rows[2]["sentiment"] = json.dumps(rows[2]["sentiment"])  # the CSV export writes JSON text
    path = tmp_path / "export.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    a = io.load_table(path, kind="annotations")
    assert a["label"].tolist() == ["Positive", "Negative", "Negative|Neutral", "Neutral"]
    # a single annotator per task: nothing varies, so the answer column must be named
    single = tmp_path / "single.csv"
    pd.DataFrame([rows[0], rows[3]]).to_csv(single, index=False)
    with pytest.raises(WorkbenchError, match=r"cannot tell which columns .* hold the answers.*'question'.*'text', 'sentiment'"):
        io.import_annotations(single, format="label-studio")
    named = io.load_table(single, kind="annotations", format="label-studio", options={"question": "sentiment"})
    assert named["label"].tolist() == ["Positive", "Neutral"]


# ---------------------------------------------------------------------------------------
# Prodigy — db-out JSONL (prodi.gy/docs/api-interfaces, the _input_hash/_task_hash fields)
# ---------------------------------------------------------------------------------------


def prodigy_line(text: str, who: str | None, answer: str, ts: int, *, inp: int = 1, label: str = "SPAM",
                 **extra: Any) -> dict[str, Any]:
    rec = {"text": text, "_input_hash": inp, "_task_hash": inp * 10, "label": label, "_view_id": "classification",
           "answer": answer, "_timestamp": ts, **extra}
    if who is not None:
        rec["_annotator_id"] = f"ds-{who}"
        rec["_session_id"] = f"ds-{who}"
    return rec


def test_prodigy_binary_mapping(tmp_path: Path) -> None:
    rows = [
        prodigy_line("buy now", "ann", "accept", 100),
        prodigy_line("buy now", "bob", "reject", 101),
        prodigy_line("buy now", "cy", "ignore", 102),                    # no judgment
        prodigy_line("hello", "ann", "reject", 103, inp=2),
        prodigy_line("hello", "ann", "accept", 110, inp=2),              # same question again: latest wins
        prodigy_line("hello", "bob", "accept", 104, inp=2),
        prodigy_line("hello", "bob", "ignore", 120, inp=2),              # latest is ignore: no judgment
        {**prodigy_line("hello", None, "accept", 105, inp=2), "_session_id": "ds-dee"},  # session fallback
    ]
    res = import_quiet(write_jsonl(tmp_path / "db.jsonl", rows))
    check_balance(res)
    a = res.annotations.set_index(["item_id", "annotator_id"])["label"].to_dict()
    assert a == {("1", "ds-ann"): "accept", ("1", "ds-bob"): "reject", ("2", "ds-ann"): "accept", ("2", "ds-dee"): "accept"}
    assert res.report.dropped == {"repeated answer by the same annotator (kept the latest)": 2,
                                  "ignore answer (no judgment)": 2}
    assert res.annotations["timestamp"].min() == pd.Timestamp(100, unit="s", tz="UTC")
    assert res.items.set_index("item_id")["text"].to_dict() == {"1": "buy now", "2": "hello"}


def test_prodigy_fast_and_general_readers_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.formats import prodigy

    rows = [prodigy_line(f"t{i % 7}", f"u{i % 5}", ("accept", "reject", "ignore")[i % 3], 100 + i % 11, inp=i % 7,
                         label=("SPAM", "ADS")[i % 2]) for i in range(200)]
    rows.append({"text": "no answer yet", "_input_hash": 99, "_task_hash": 1})
    rows.append({**prodigy_line("anon", None, "accept", 5, inp=98)})
    path = write_jsonl(tmp_path / "db.jsonl", rows)
    fast = io.import_annotations(path, format="prodigy")
    monkeypatch.setattr(prodigy, "_read_fast", lambda path, tally: None)  # the general reader
    general = io.import_annotations(path, format="prodigy")
    pd.testing.assert_frame_equal(fast.annotations, general.annotations)
    pd.testing.assert_frame_equal(fast.items, general.items)
    assert fast.report == general.report and "1 answers have no _annotator_id" in fast.report.summary()


def test_prodigy_fast_reader_without_repeats_drops_ignores_like_the_general_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.formats import prodigy

    rows = [prodigy_line(f"t{i}", f"u{i % 3}", ("accept", "reject", "ignore")[i % 3], 100 + i, inp=i)
            for i in range(60)]
    rows.append({"text": "no answer yet", "_input_hash": 999, "_task_hash": 1})
    path = write_jsonl(tmp_path / "norepeat.jsonl", rows)
    for reader in (prodigy._read_polars, prodigy._read_arrow):  # both columnar readers resolve it themselves
        assert reader(path, prodigy.Tally(str(path), "prodigy", "lines"))[4]  # type: ignore[index]
    fast = io.import_annotations(path, format="prodigy")
    monkeypatch.setattr(prodigy, "_read_fast", lambda path, tally: None)  # the general reader
    general = io.import_annotations(path, format="prodigy")
    pd.testing.assert_frame_equal(fast.annotations, general.annotations)
    pd.testing.assert_frame_equal(fast.items, general.items)
    assert fast.report == general.report and fast.report.dropped["ignore answer (no judgment)"] == 20


@pytest.mark.parametrize("extra", [{"spans": [{"start": 0, "end": 1, "label": "X"}], "_view_id": "ner_manual"},
                                   {"item_id": "own-id"},
                                   {"options": [{"id": "A"}], "accept": ["A"], "_view_id": "choice"}])
def test_prodigy_a_late_line_of_another_interface_goes_to_the_general_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, object]) -> None:
    # the columnar readers declare these keys of the null type: one such line anywhere fails
    # their typed parse, and the general reader reads the file (the same tables as without it)
    from workbench.formats import prodigy

    rows = [prodigy_line(f"t{i}", "u", "accept", 100 + i, inp=i) for i in range(50)]
    rows.append({**prodigy_line("late", "v", "accept", 500, inp=77), **extra})
    path = write_jsonl(tmp_path / "mixed.jsonl", rows)
    fast = io.import_annotations(path, format="prodigy")
    monkeypatch.setattr(prodigy, "_read_fast", lambda path, tally: None)  # the general reader
    general = io.import_annotations(path, format="prodigy")
    pd.testing.assert_frame_equal(fast.annotations, general.annotations)
    assert fast.report == general.report


def test_prodigy_choice_interface_and_labels_as_questions(tmp_path: Path) -> None:
    opts = [{"id": "SPORT", "text": "Sport"}, {"id": "NEWS", "text": "News"}]
    rows = [
        {"text": "t", "_input_hash": 5, "_task_hash": 6, "options": opts, "accept": ["SPORT"], "answer": "accept",
         "_view_id": "choice", "_annotator_id": "a", "_timestamp": 1},
        {"text": "t", "_input_hash": 5, "_task_hash": 6, "options": opts, "accept": ["SPORT", "NEWS"], "answer": "accept",
         "_view_id": "choice", "_annotator_id": "b", "_timestamp": 2},
        {"text": "t", "_input_hash": 5, "_task_hash": 6, "options": opts, "accept": [], "answer": "reject",
         "_view_id": "choice", "_annotator_id": "c", "_timestamp": 3},
    ]
    a = io.load_table(write_jsonl(tmp_path / "choice.jsonl", rows), kind="annotations")
    assert a["label"].tolist() == ["SPORT", "NEWS|SPORT", "reject"]
    two = [prodigy_line("x", "a", "accept", 1, label="SPAM"), prodigy_line("x", "a", "reject", 2, label="ADS")]
    path = write_jsonl(tmp_path / "two.jsonl", two)
    assert set(io.import_annotations(path).annotations["question"]) == {"SPAM", "ADS"}
    assert io.load_table(path, kind="annotations", options={"question": "ADS"})["label"].tolist() == ["reject"]


def test_prodigy_spans_and_empty(tmp_path: Path) -> None:
    ner = {"text": "Ann lives in Oslo", "_input_hash": 1, "_task_hash": 2, "_view_id": "ner_manual", "answer": "accept",
           "spans": [{"start": 13, "end": 17, "label": "GPE"}], "_annotator_id": "a", "_timestamp": 1}
    res = import_quiet(write_jsonl(tmp_path / "ner.jsonl", [ner]))
    check_balance(res)
    assert len(res.spans) == 1 and res.annotations.empty
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(WorkbenchError, match=r"holds no records: the Prodigy export is empty"):
        io.import_annotations(tmp_path / "empty.jsonl", format="prodigy")


def test_wrong_format_named_says_what_the_file_looks_like(tmp_path: Path) -> None:
    ls = write_json(tmp_path / "ls.json", ls_tasks())
    with pytest.raises(WorkbenchError, match=r"named as a Prodigy JSONL export .* but it looks like a Label Studio export .*format='label-studio'"):
        io.load_table(ls, kind="annotations", format="prodigy")
    prodigy = write_jsonl(tmp_path / "p.jsonl", [prodigy_line("x", "a", "accept", 1)])
    with pytest.raises(WorkbenchError, match=r"named as an Argilla v2 record export .* looks like a Prodigy JSONL export"):
        io.import_annotations(prodigy, format="argilla")
    table = tmp_path / "plain.csv"
    pd.DataFrame({"item_id": ["1"], "annotator_id": ["a"], "label": ["x"]}).to_csv(table, index=False)
    for fmt in ("mturk", "labelbox", "arena", "alpaca-eval", "argilla"):
        with pytest.raises(WorkbenchError, match=r"plain.csv' was named as .* but it looks like a table with columns 'item_id', 'annotator_id', 'label'"):
            io.import_annotations(table, format=fmt)
    with pytest.raises(WorkbenchError, match=r"format='yaml' is not valid; choose one of 'auto', 'table', 'label-studio'"):
        io.load_table(table, format="yaml")


# ---------------------------------------------------------------------------------------
# Argilla v2 (docs.argilla.io: records.to_list(flatten=False); to_datasets flat columns)
# ---------------------------------------------------------------------------------------


def argilla_records() -> list[dict[str, Any]]:
    return [
        {"id": "r1", "fields": {"text": "I love it"}, "metadata": {}, "vectors": {}, "status": "completed",
         "_server_id": "srv-1",
         "responses": {"sentiment": [{"value": "positive", "user_id": "u1", "status": "submitted"},
                                     {"value": "negative", "user_id": "u2", "status": "submitted"},
                                     {"value": "positive", "user_id": "u3", "status": "draft"}],
                       "topics": [{"value": ["price", "quality"], "user_id": "u1", "status": "submitted"}]},
         "suggestions": {"sentiment": {"value": "positive", "score": 0.9, "agent": "distilbert"}}},
        {"id": "r2", "fields": {"text": "Never again"}, "status": "pending", "_server_id": "srv-2",
         "responses": {"sentiment": [{"value": "negative", "user_id": "u1", "status": "discarded"},
                                     {"value": "negative", "user_id": "u2", "status": "submitted"}],
                       "ner": [{"value": [{"start": 0, "end": 5, "label": "NEG"}], "user_id": "u2", "status": "submitted"}]},
         "suggestions": {}},
    ]


def test_argilla_nested_records(tmp_path: Path) -> None:
    path = write_json(tmp_path / "records.json", argilla_records())
    res = import_quiet(path)
    check_balance(res)
    a = res.annotations
    assert set(a["question"]) == {"sentiment", "topics"}
    assert a[a.question == "topics"]["label"].item() == "price|quality"
    assert res.report.dropped == {"response not submitted (status 'draft')": 1,
                                  "response not submitted (status 'discarded')": 1,
                                  "span answer (in table 'spans')": 1}
    s = io.load_table(path, kind="annotations", options={"question": "sentiment"})
    assert s[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["r1", "u1", "positive"], ["r1", "u2", "negative"], ["r2", "u2", "negative"]]
    with_model = io.import_annotations(path, options={"question": "sentiment", "suggestions": True}).annotations
    assert with_model[with_model.annotator_id == "suggestion:distilbert"]["label"].tolist() == ["positive"]
    assert res.items.set_index("item_id")["text"].to_dict() == {"r1": "I love it", "r2": "Never again"}


def test_argilla_flat_layout_and_bad_option(tmp_path: Path) -> None:
    flat = [{"id": "r1", "text": "I love it", "sentiment.responses": ["positive", "negative"],
             "sentiment.responses.users": ["u1", "u2"], "sentiment.responses.status": ["submitted", "draft"],
             "sentiment.suggestion": "positive", "sentiment.suggestion.agent": "m"}]
    path = write_jsonl(tmp_path / "flat.jsonl", flat)
    res = import_quiet(path)
    check_balance(res)
    assert res.annotations[["item_id", "annotator_id", "label"]].values.tolist() == [["r1", "u1", "positive"]]
    assert res.items["text"].tolist() == ["I love it"]
    with pytest.raises(WorkbenchError, match=r"format 'argilla' has no option\(s\) 'rejected'; its options are: 'question', 'suggestions'"):
        io.import_annotations(path, options={"rejected": "keep"})


# ---------------------------------------------------------------------------------------
# MTurk batch results CSV (docs.aws.amazon.com/AWSMechTurk: the "Download CSV" of a batch)
# ---------------------------------------------------------------------------------------


def mturk_frame() -> pd.DataFrame:
    base = {"HITTypeId": "T", "Title": "Rate", "Reward": "$0.05", "AcceptTime": "Mon Mar 04 10:20:00 PST 2024",
            "AutoApprovalTime": "", "ApprovalTime": "", "RejectionTime": "", "LifetimeApprovalRate": "100% (3/3)"}
    rows = [
        {"HITId": "H1", "AssignmentId": "A1", "WorkerId": "W1", "AssignmentStatus": "Approved",
         "SubmitTime": "Mon Mar 04 10:21:33 PST 2024", "WorkTimeInSeconds": "93", "Input.item_id": "doc-1",
         "Input.text": "Great", "Answer.sentiment.label": "Positive", "Answer.toxic.yes": "false", "Answer.toxic.no": "true"},
        {"HITId": "H1", "AssignmentId": "A2", "WorkerId": "W2", "AssignmentStatus": "Submitted",
         "SubmitTime": "Mon Mar 04 10:25:00 PDT 2024", "WorkTimeInSeconds": "40", "Input.item_id": "doc-1",
         "Input.text": "Great", "Answer.sentiment.label": "Negative", "Answer.toxic.yes": "true", "Answer.toxic.no": "false"},
        {"HITId": "H2", "AssignmentId": "A3", "WorkerId": "W1", "AssignmentStatus": "Rejected",
         "SubmitTime": "Tue Mar 05 08:00:00 PST 2024", "WorkTimeInSeconds": "2", "Input.item_id": "doc-2",
         "Input.text": "Bad", "Answer.sentiment.label": "Positive", "Answer.toxic.yes": "false", "Answer.toxic.no": "true"},
        {"HITId": "H2", "AssignmentId": "A4", "WorkerId": "W3", "AssignmentStatus": "Approved",
         "SubmitTime": "Tue Mar 05 09:00:00 PST 2024", "WorkTimeInSeconds": "61", "Input.item_id": "doc-2",
         "Input.text": "Bad", "Answer.sentiment.label": "", "Answer.toxic.yes": "false", "Answer.toxic.no": "true"},
    ]
    return pd.DataFrame([{**base, **r} for r in rows])


def test_mturk_mapping_and_rejected_option(tmp_path: Path) -> None:
    path = tmp_path / "Batch_123_batch_results.csv"
    mturk_frame().to_csv(path, index=False)
    res = import_quiet(path, options={"question": "sentiment"})
    check_balance(res)
    a = res.annotations
    assert a[["item_id", "annotator_id", "label"]].values.tolist() == [["doc-1", "W1", "Positive"], ["doc-1", "W2", "Negative"]]
    assert a["duration_s"].tolist() == [93.0, 40.0]
    assert a["timestamp"].tolist() == [pd.Timestamp("2024-03-04 18:21:33", tz="UTC"), pd.Timestamp("2024-03-04 17:25:00", tz="UTC")]
    assert res.report.dropped == {
        "rejected assignment (AssignmentStatus Rejected; keep with rejected='keep')": 1,
        "assignment without an answer to the question": 1,
    }
    kept = io.import_annotations(path, options={"rejected": "keep"})
    toxic = kept.annotations[kept.annotations.question == "toxic"]
    assert toxic[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["doc-1", "W1", "no"], ["doc-1", "W2", "yes"], ["doc-2", "W1", "no"], ["doc-2", "W3", "no"]]
    assert res.items.set_index("item_id")["text"].to_dict() == {"doc-1": "Great", "doc-2": "Bad"}
    with pytest.raises(WorkbenchError, match=r"rejected='maybe' is not valid; choose one of 'drop', 'keep'"):
        io.import_annotations(path, options={"rejected": "maybe"})


def test_mturk_empty_batch(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    mturk_frame().iloc[:0].to_csv(path, index=False)
    with pytest.raises(WorkbenchError, match=r"holds no records: the MTurk export is empty"):
        io.import_annotations(path)


@pytest.mark.parametrize(("fmt", "name"), [("argilla", "Argilla"), ("labelbox", "Labelbox"), ("arena", "arena"),
                                           ("alpaca-eval", "AlpacaEval"), ("label-studio", "Label Studio")])
@pytest.mark.parametrize("text", ["[]", ""])
def test_empty_exports(tmp_path: Path, fmt: str, name: str, text: str) -> None:
    path = tmp_path / ("empty.json" if text else "empty.jsonl")
    path.write_text(text)
    with pytest.raises(WorkbenchError, match=rf"holds no records: the {name} export is empty"):
        io.import_annotations(path, format=fmt)


def test_duplicate_answers_in_argilla_and_labelbox(tmp_path: Path) -> None:
    rec = {"id": "r1", "fields": {"text": "t"}, "responses": {"q": [{"value": "a", "user_id": "u", "status": "submitted"}]}}
    later = {**rec, "responses": {"q": [{"value": "b", "user_id": "u", "status": "submitted"}]}}
    res = import_quiet(write_jsonl(tmp_path / "dup.jsonl", [rec, later]))
    check_balance(res)
    assert res.annotations["label"].tolist() == ["b"] and res.report.dropped == {
        "repeated response by the same user (kept the last)": 1}
    rows = [labelbox_row("d", [lb_label("a", "2024-01-02T00:00:00Z", [radio("Q", "Late")]),
                               lb_label("a", "2024-01-01T00:00:00Z", [radio("Q", "Early")])])]
    res = import_quiet(write_jsonl(tmp_path / "dup.ndjson", rows))
    check_balance(res)
    assert res.annotations["label"].tolist() == ["Late"]
    assert res.report.dropped == {"repeated label by the same annotator (kept the latest)": 1}


# ---------------------------------------------------------------------------------------
# Labelbox export v2 NDJSON (docs.labelbox.com/reference/export-*-annotations)
# ---------------------------------------------------------------------------------------


def labelbox_row(key: str, labels: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data_row": {"id": f"cl-{key}", "global_key": key, "row_data": f"text of {key}"},
            "media_attributes": {"mime_type": "text/plain"},
            "projects": {"proj1": {"name": "Demo", "labels": labels}}}


def lb_label(who: str, created: str, classifications: list[dict[str, Any]], objects: list[dict[str, Any]] | None = None,
             seconds: float = 12.0) -> dict[str, Any]:
    return {"label_kind": "Default", "version": "1.0.0", "id": f"lab-{who}-{created}",
            "label_details": {"created_at": created, "updated_at": created, "created_by": who, "reviews": []},
            "performance_details": {"seconds_to_create": seconds, "seconds_to_review": 0, "skipped": False},
            "annotations": {"objects": objects or [], "classifications": classifications, "relationships": []}}


def radio(name: str, answer: str) -> dict[str, Any]:
    return {"feature_id": "f", "name": name, "value": name.lower(), "radio_answer": {"feature_id": "g", "name": answer, "value": answer.lower(), "classifications": []}}


def test_labelbox_ndjson(tmp_path: Path) -> None:
    checklist = {"name": "Attributes", "value": "attributes",
                 "checklist_answers": [{"name": "Crowded", "value": "crowded"}, {"name": "Foot traffic", "value": "foot_traffic"}]}
    rows = [
        labelbox_row("doc-1", [
            lb_label("ann@x.com", "2024-04-08T16:21:26.000+00:00", [radio("Sentiment", "Positive"), checklist],
                     objects=[{"name": "person", "annotation_kind": "TextEntity", "location": {"start": 0, "end": 3}}]),
            lb_label("bo@x.com", "2024-04-08T17:00:00.000+00:00", [radio("Sentiment", "Negative"),
                     {"name": "Comment", "text_answer": {"content": "hm"}}], seconds=30.0),
        ]),
        labelbox_row("doc-2", []),
    ]
    path = write_jsonl(tmp_path / "export.ndjson", rows)
    res = import_quiet(path)
    check_balance(res)
    a = res.annotations
    assert a[a.question == "Attributes"]["label"].item() == "Crowded|Foot traffic"
    s = io.load_table(path, kind="annotations", options={"question": "Sentiment"})
    assert s[["item_id", "annotator_id", "label", "duration_s"]].values.tolist() == [
        ["doc-1", "ann@x.com", "Positive", 12.0], ["doc-1", "bo@x.com", "Negative", 30.0]]
    assert res.report.dropped == {"object or relationship (in table 'spans')": 1,
                                  "free-text answer (text classification) is not a label": 1}
    assert res.items["item_id"].tolist() == ["doc-1", "doc-2"]
    bad = write_jsonl(tmp_path / "bad.ndjson", [labelbox_row("d", [lb_label("a", "2024-01-01T00:00:00Z", [{"name": "Q", "slider": 3}])])])
    with pytest.raises(WorkbenchError, match=r"classification 'Q' has none of radio_answer, checklist_answers"):
        io.import_annotations(bad)


# ---------------------------------------------------------------------------------------
# Arena judgments (lmsys chatbot_arena_conversations / mt_bench_human_judgments fields)
# ---------------------------------------------------------------------------------------


def conv(*turns: tuple[str, str]) -> list[dict[str, str]]:
    out = []
    for user, assistant in turns:
        out += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return out


def test_arena_chatbot_arena_records(tmp_path: Path) -> None:
    rows = [
        {"question_id": "q1", "model_a": "m1", "model_b": "m2", "winner": "model_a", "judge": "arena_user_1",
         "conversation_a": conv(("Hi", "Hello!")), "conversation_b": conv(("Hi", "Hey there.")), "turn": 1,
         "anony": True, "language": "English", "tstamp": 1682351591.1},
        {"question_id": "q2", "model_a": "m2", "model_b": "m3", "winner": "tie (bothbad)", "judge": "arena_user_2",
         "conversation_a": conv(("2+2?", "5"), ("Sure?", "Yes, 5.")), "conversation_b": conv(("2+2?", "22"), ("Sure?", "22!")),
         "turn": 2, "anony": True, "language": "English", "tstamp": 1682351600.0},
        {"question_id": "q3", "model_a": "m1", "model_b": "m3", "winner": "tie", "judge": "arena_user_1",
         "conversation_a": conv(("Bye", "Bye!")), "conversation_b": conv(("Bye", "See you")), "turn": 1,
         "anony": False, "language": "English", "tstamp": 1682351700.0},
    ]
    prefs = io.load_table(write_json(tmp_path / "arena.json", rows), kind="preferences")
    assert prefs["choice"].tolist() == ["a", "tie", "tie"]
    assert prefs["tie_bothbad"].tolist() == [False, True, False]  # the two ties stay distinguishable
    assert prefs.loc[1, ["response_a", "response_b", "prompt"]].tolist() == ["Yes, 5.", "22!", "Sure?"]
    assert prefs[["pair_id", "annotator_id", "model_a", "model_b"]].values.tolist()[0] == ["q1", "arena_user_1", "m1", "m2"]
    assert prefs["timestamp"].iloc[0] == pd.Timestamp(1682351591.1, unit="s", tz="UTC")


def test_arena_mt_bench_pairs_and_turns(tmp_path: Path) -> None:
    c = conv(("Write a poem", "Roses..."), ("Shorter", "Roses."))
    d = conv(("Write a poem", "Violets..."), ("Shorter", "Violets."))
    rows = [
        {"question_id": 81, "model_a": "m1", "model_b": "m2", "winner": "model_b", "judge": "expert_0", "turn": 1,
         "conversation_a": c, "conversation_b": d, "tstamp": 1.0},
        {"question_id": 81, "model_a": "m1", "model_b": "m2", "winner": "model_a", "judge": "expert_0", "turn": 2,
         "conversation_a": c, "conversation_b": d, "tstamp": 2.0},
        {"question_id": 81, "model_a": "m1", "model_b": "m2", "winner": "model_a", "judge": "expert_1", "turn": 1,
         "conversation_a": c, "conversation_b": d, "tstamp": 3.0},
        {"question_id": 81, "model_a": "m1", "model_b": "m2", "winner": "tie", "judge": "expert_1", "turn": 1,
         "conversation_a": c, "conversation_b": d, "tstamp": 4.0},  # judged again: latest kept
    ]
    res = import_quiet(write_jsonl(tmp_path / "mtbench.jsonl", rows))
    check_balance(res)
    p = res.preferences
    assert p["pair_id"].tolist() == ["81:m1:m2:1", "81:m1:m2:2", "81:m1:m2:1"]
    assert p["response_a"].tolist() == ["Roses...", "Roses.", "Roses..."]  # the judged turn's answer
    assert p["choice"].tolist() == ["b", "a", "tie"]
    assert res.report.dropped == {"repeated judgment by the same judge (kept the latest)": 1}
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**rows[0], "winner": "model_c"}])
    with pytest.raises(WorkbenchError, match=r"column 'winner' holds 'model_c' at 1 rows; arena files use 'model_a'"):
        io.import_annotations(bad)


# ---------------------------------------------------------------------------------------
# AlpacaEval annotations and chosen/rejected pairs
# ---------------------------------------------------------------------------------------


def test_alpaca_eval_mapping(tmp_path: Path) -> None:
    rows = [{"instruction": f"q{i}", "output_1": f"base {i}", "generator_1": "gpt4", "output_2": f"new {i}",
             "generator_2": "mine", "annotator": "judge", "preference": p, "dataset": "helpful_base"}
            for i, p in enumerate([1.0, 2.0, 1.5, 0, 1.25, None])]
    res = import_quiet(write_json(tmp_path / "annotations.json", rows))
    check_balance(res)
    p = res.preferences
    assert p["choice"].tolist() == ["a", "b", "tie", "tie", "a"]
    assert p["win_probability"].tolist() == [0.0, 1.0, 0.5, 0.5, 0.25]
    assert p.loc[0, ["response_a", "response_b", "model_a", "model_b", "prompt"]].tolist() == ["base 0", "new 0", "gpt4", "mine", "q0"]
    assert res.report.dropped == {"no preference (the judge gave no answer)": 1}


def test_chosen_rejected_through_format(tmp_path: Path) -> None:
    hh = pd.DataFrame({"chosen": ["\n\nHuman: 2+2?\n\nAssistant: 4."], "rejected": ["\n\nHuman: 2+2?\n\nAssistant: Five."]})
    path = tmp_path / "hh.jsonl"
    hh.to_json(path, orient="records", lines=True)
    assert io.load_table(path).columns.tolist() == ["chosen", "rejected"]  # as it is unless preferences are asked for
    prefs = io.load_table(path, kind="preferences")
    pd.testing.assert_frame_equal(prefs, io.from_chosen_rejected(hh, rng=0))
    # UltraFeedback-binarized: message lists, prompt and prompt_id columns
    uf = [{"prompt": "Name a colour", "prompt_id": "p1", "score_chosen": 8.0, "score_rejected": 3.0,
           "chosen": [{"role": "user", "content": "Name a colour"}, {"role": "assistant", "content": "Blue."}],
           "rejected": [{"role": "user", "content": "Name a colour"}, {"role": "assistant", "content": "Seven."}]}]
    p = io.load_table(write_jsonl(tmp_path / "uf.jsonl", uf), kind="preferences", format="chosen-rejected", options={"rng": 1})
    row = p.iloc[0]
    assert row["pair_id"] == "p1" and row["prompt"] == "Name a colour"
    assert {row["response_a"], row["response_b"]} == {"Blue.", "Seven."}
    assert row["response_" + row["choice"]] == "Blue."


# ---------------------------------------------------------------------------------------
# Writers and the round trip
# ---------------------------------------------------------------------------------------


def review_items() -> pd.DataFrame:
    return pd.DataFrame({"item_id": ["007", "7", "x1"], "text": ["Short.", "A longer text here.", "Third"],
                         "perplexity": [12.5, 300.0, np.nan], "clip_score": [0.31, 0.12, 0.2], "source": ["web", "books", "web"]})


def test_label_studio_writer_and_round_trip(tmp_path: Path) -> None:
    items = review_items()
    path = io.export_items(items, tmp_path / "tasks.json", format="label-studio")
    tasks = json.loads(path.read_text())
    assert tasks[0]["data"] == {"item_id": "007", "text": "Short.", "source": "web"}
    assert tasks[0]["predictions"] == [{"model_version": "perplexity", "score": 12.5, "result": []},
                                       {"model_version": "clip_score", "score": 0.31, "result": []}]
    assert [p["model_version"] for p in tasks[2]["predictions"]] == ["clip_score"]  # missing score left out
    back = io.import_annotations(path, format="label-studio")
    assert back.items["item_id"].tolist() == ["007", "7", "x1"]  # same ids, "007" stays "007"
    assert back.items["text"].tolist() == items["text"].tolist()
    # Label Studio adds ids and annotations; the export reads back under our item ids
    for i, t in enumerate(tasks):
        t["id"] = 100 + i
        t["annotations"] = [ls_annotation(1, 5, [choice("label", "Acceptable")])]
    ann = io.load_table(write_json(tmp_path / "after.json", tasks), kind="annotations")
    assert ann["item_id"].tolist() == ["007", "7", "x1"]


def test_prodigy_writer_and_round_trip(tmp_path: Path) -> None:
    items = review_items()
    path = io.export_items(items, tmp_path / "tasks.jsonl", format="prodigy", label="ACCEPTABLE")
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert lines[0] == {"text": "Short.", "item_id": "007", "label": "ACCEPTABLE",
                        "meta": {"perplexity": 12.5, "clip_score": 0.31, "source": "web"}}
    assert lines[2]["meta"]["perplexity"] is None
    back = io.import_annotations(path, format="prodigy")
    assert back.items["item_id"].tolist() == ["007", "7", "x1"] and back.items["text"].tolist() == items["text"].tolist()
    assert back.report.dropped == {"task without an answer (not annotated yet)": 3}
    # what Prodigy saves keeps the task's fields and adds hashes and answers
    saved = [{**t, "_input_hash": 11 + i, "_task_hash": 99 + i, "answer": "accept", "_annotator_id": "s-1",
              "_timestamp": 1000 + i, "_view_id": "classification"} for i, t in enumerate(lines)]
    ann = io.load_table(write_jsonl(tmp_path / "db-out.jsonl", saved), kind="annotations")
    assert ann["item_id"].tolist() == ["007", "7", "x1"] and set(ann["label"]) == {"accept"}


def test_writers_take_a_disagreement_table_and_a_review_queue(tmp_path: Path) -> None:
    from workbench.review.queue import ReviewQueue
    from workbench.review.store import ReviewStore

    ann = pd.DataFrame({"item_id": ["a", "a", "b", "b"], "annotator_id": ["u", "v"] * 2, "label": ["x", "x", "x", "y"]})
    dis = agreement.item_disagreement(ann)
    dis.index.name = "item_id"
    dis["text"] = ["first", "second"]
    tasks = json.loads(io.export_items(dis, tmp_path / "dis.json", format="label-studio", label_column="modal_label").read_text())
    assert tasks[1]["data"]["item_id"] == "b"
    assert tasks[1]["predictions"][0]["result"][0]["value"] == {"choices": ["x"]}
    store = ReviewStore(tmp_path / "r.sqlite", synchronous="NORMAL")
    q = ReviewQueue(review_items(), store, reviewer="alice", rng=3)
    path = io.export_items(q, tmp_path / "queue.jsonl", format="prodigy")
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["item_id"] for x in lines] == q.plan["item_id"].tolist()  # serving order
    assert all("reason" in x["meta"] for x in lines)


# ---------------------------------------------------------------------------------------
# The report, the entry points, the CLI
# ---------------------------------------------------------------------------------------


def test_report_summary_and_frame(tmp_path: Path) -> None:
    res = import_quiet(write_json(tmp_path / "export.json", ls_tasks()))
    text = res.report.summary()
    assert text.startswith("Imported export.json as label-studio: 7 answers read, 5 kept, 2 dropped (")
    frame = res.report.to_frame()
    assert frame["rows"].sum() == 7 and frame.loc[0, "outcome"] == "kept"
    with pytest.raises(AttributeError):
        res.report.rows_read = 3  # type: ignore[misc]  # frozen


def test_load_table_warns_about_dropped_rows_and_keeps_plain_tables(tmp_path: Path) -> None:
    path = write_json(tmp_path / "export.json", ls_tasks())
    with pytest.warns(UserWarning, match=r"1 cancelled annotation"):
        io.load_table(path, kind="annotations")
    plain = tmp_path / "ann.csv"
    pd.DataFrame({"item_id": ["007"], "annotator_id": ["a"], "label": ["x"]}).to_csv(plain, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert io.load_table(plain, kind="annotations")["item_id"].tolist() == ["007"]
    res = io.import_annotations(plain)
    assert res.report.format == "table" and len(res.annotations) == 1
    with pytest.raises(WorkbenchError, match=r"options=.* apply to tool exports"):
        io.load_table(plain, options={"rejected": "keep"})
    # question applies to plain tables too (issue 27): one without a 'question' column says so
    with pytest.raises(WorkbenchError, match=r"has no 'question' column"):
        io.load_table(plain, options={"question": "x"})
    with pytest.raises(WorkbenchError, match=r"columns= renames the columns of a plain table"):
        io.load_table(path, kind="annotations", columns={"item_id": "task"})


def test_json_array_reader_streams_across_buffer_boundaries(tmp_path: Path) -> None:
    from workbench.formats._common import _iter_array, iter_json_records

    rows = [{"i": i, "s": "x" * (i % 7) + '",[]{}'} for i in range(500)]
    path = write_json(tmp_path / "rows.json", rows)
    with open(path, encoding="utf-8") as fh:
        assert list(_iter_array(fh, path, chunk=37)) == rows
    (tmp_path / "cut.json").write_text(json.dumps(rows)[:-40])
    with pytest.raises(WorkbenchError, match=r"could not read .*cut.json' as JSON.*truncated"):
        list(iter_json_records(tmp_path / "cut.json"))


def test_gzip_exports(tmp_path: Path) -> None:
    path = tmp_path / "db.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(prodigy_line("x", "a", "accept", 1)) + "\n")
    assert io.load_table(path, kind="annotations")["label"].tolist() == ["accept"]


def test_cli_convert_prints_the_report(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from workbench.cli import app

    src = write_json(tmp_path / "export.json", ls_tasks())
    out = tmp_path / "ann.parquet"
    run = CliRunner().invoke(app, ["convert", str(src), "--from", "label-studio", "--kind", "annotations", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "7 answers read, 5 kept" in run.output and "cancelled annotation" in run.output
    assert len(pd.read_parquet(out)) == 4  # 5 kept: 4 annotations and 1 ground truth
    gold = tmp_path / "gold.csv"
    run = CliRunner().invoke(app, ["convert", str(src), "--kind", "gold", "--out", str(gold)])
    assert run.exit_code == 0 and pd.read_csv(gold)["label"].tolist() == ["Positive"]
    run = CliRunner().invoke(app, ["convert", str(src), "--kind", "preferences", "--out", str(tmp_path / "p.csv")])
    assert run.exit_code != 0 and "holds no preferences table" in str(run.exception)


def test_cli_reliability_reads_a_tool_export(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from workbench.cli import app

    rows = [prodigy_line(f"t{i}", w, a, i, inp=i) for i in range(1, 30) for w, a in
            (("a", "accept"), ("b", "accept" if i % 3 else "reject"), ("c", "accept" if i % 4 else "reject"))]
    src = write_jsonl(tmp_path / "db.jsonl", rows)
    run = CliRunner().invoke(app, ["reliability", str(src), "--format", "prodigy", "--n-resamples", "50"])
    assert run.exit_code == 0, run.output
    assert "ds-a" in run.output and "Krippendorff" in run.output


# ---------------------------------------------------------------------------------------
# Real exports (../shared/external; skipped where absent)
# ---------------------------------------------------------------------------------------


@pytest.mark.external
def test_real_prodigy_export_alpha_matches_krippendorff(external: Path) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    res = io.import_annotations(external / "prodigy-recipes" / "pydata-ams-2023.jsonl", format="prodigy")
    r = res.report
    assert (r.rows_read, r.rows_kept) == (3372, 3040)
    assert r.dropped == {"ignore answer (no judgment)": 277, "repeated answer by the same annotator (kept the latest)": 55}
    ann = res.annotations
    assert ann["item_id"].nunique() == 117 and ann["annotator_id"].nunique() == 42 and len(res.items) == 117
    ours = agreement.krippendorff_alpha(ann, level="nominal")
    table = ann.pivot(index="annotator_id", columns="item_id", values="label")
    theirs = krippendorff.alpha(reliability_data=table.apply(lambda c: c.map({"accept": 0, "reject": 1})).to_numpy(float),
                                level_of_measurement="nominal")
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert round(ours, 3) == 0.519  # published in ../shared/external/README.md


@pytest.mark.external
def test_real_hh_rlhf_and_alpaca_eval_through_format(external: Path) -> None:
    hh = io.load_table(external / "hh-rlhf" / "harmless-base-test.jsonl.gz", kind="preferences", format="chosen-rejected")
    assert len(hh) == 2312 and set(hh["choice"]) == {"a", "b"}
    assert hh["response_a"].str.len().gt(0).mean() > 0.99
    al = io.import_annotations(external / "alpaca-eval" / "alpaca-farm-ppo-human.annotations.json.gz")
    p = al.preferences
    assert al.report.format == "alpaca-eval" and len(p) == 805
    assert set(p["model_b"]) == {"alpaca-farm-ppo-human"} and set(p["model_a"]) == {"gpt4_1106_preview"}
    # AlpacaEval leaderboard: raw win rate 4.10, standard error 0.63
    wr = 100 * p["win_probability"].mean()
    se = 100 * p["win_probability"].std(ddof=1) / np.sqrt(len(p))
    assert (round(wr, 2), round(se, 2)) == (4.10, 0.63)


@pytest.mark.external
@pytest.mark.slow
@pytest.mark.notebook
def test_reliability_report_renders_on_the_real_prodigy_export(external: Path, tmp_path: Path) -> None:
    from workbench import reports

    run = reports.run_report(
        "annotation_reliability",
        {"annotations_path": str(external / "prodigy-recipes" / "pydata-ams-2023.jsonl"), "format": "prodigy",
         "gold_path": "", "preferences_path": "", "n_resamples": "100"},
        out_dir=tmp_path,
    )
    html = run.html.read_text(encoding="utf-8")
    assert "3,040 judgments of 117 items by 42 annotators" in html


# ---------------------------------------------------------------------------------------
# Invariants over random exports
# ---------------------------------------------------------------------------------------


def test_random_label_studio_exports_balance_and_keep_one_answer_per_annotator(tmp_path_factory: pytest.TempPathFactory) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    span = {"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 1, "labels": ["X"]}}
    result = st.one_of(st.sampled_from(["A", "B", "C"]).map(lambda c: [choice("s", c)]), st.just([span]), st.just([]))
    annotation = st.tuples(st.integers(1, 4), result, st.booleans(), st.integers(0, 9))
    task = st.lists(annotation, max_size=5)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(task, min_size=1, max_size=6))
    def check(tasks: list[list[tuple[int, list[dict[str, Any]], bool, int]]]) -> None:
        export = [{"id": t, "data": {"text": f"t{t}"}, "annotations": [
            ls_annotation(10 * t + j, who, res, cancelled=cancel, created=f"2024-05-01T10:00:0{sec}Z")
            for j, (who, res, cancel, sec) in enumerate(anns)]} for t, anns in enumerate(tasks)]
        path = write_json(tmp_path_factory.mktemp("ls") / "x.json", export)
        res = io.import_annotations(path, format="label-studio")
        check_balance(res)
        ann = res.annotations
        assert not ann.duplicated(["item_id", "annotator_id"]).any()
        live = {(str(t), str(who)) for t, anns in enumerate(tasks) for who, r, cancel, _ in anns
                if not cancel and r and r[0]["type"] == "choices"}
        assert set(zip(ann["item_id"], ann["annotator_id"], strict=True)) == live
        latest: dict[tuple[str, str], tuple[int, int, str]] = {}
        for t, anns in enumerate(tasks):
            for j, (who, r, cancel, sec) in enumerate(anns):
                if not cancel and r and r[0]["type"] == "choices":
                    key = (str(t), str(who))
                    latest[key] = max(latest.get(key, (-1, -1, "")), (sec, j, r[0]["value"]["choices"][0]))
        assert {k: v[2] for k, v in latest.items()} == dict(zip(zip(ann["item_id"], ann["annotator_id"], strict=True), ann["label"], strict=True))
        n_spans = sum(1 for anns in tasks for _, r, cancel, _ in anns if not cancel and r and r[0]["type"] == "labels")
        assert (0 if res.spans is None else len(res.spans)) == n_spans

    check()


def test_labelbox_export_without_label_details_reads_with_unknown_annotators(tmp_path: Path) -> None:
    """Issue 27, item 1: an export v2 without label_details (the default unless asked) could not
    be read at all; users often cannot re-export."""
    def bare(created: str, answer: str) -> dict[str, Any]:
        label = lb_label("x", created, [radio("Sentiment", answer)])
        label.pop("label_details")
        return label

    rows = [labelbox_row("doc-1", [bare("2024-04-08T16:21:26Z", "Positive"), bare("2024-04-08T17:00:00Z", "Negative")]),
            labelbox_row("doc-2", [bare("2024-04-08T18:00:00Z", "Positive")])]
    path = write_jsonl(tmp_path / "export.ndjson", rows)
    res = import_quiet(path)
    check_balance(res)
    a = res.annotations
    assert a[["item_id", "annotator_id", "label"]].values.tolist() == [
        ["doc-1", "unknown-1", "Positive"], ["doc-1", "unknown-2", "Negative"], ["doc-2", "unknown-1", "Positive"]]
    assert any("no label_details.created_by" in n and "3 label(s)" in n for n in res.report.notes)
