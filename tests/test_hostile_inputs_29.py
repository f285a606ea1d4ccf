"""Hostile and malformed inputs (issue 29, parts 3-5): each case names the input, the command
or function, the exit code or exception and a fragment of the message."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from workbench import io
from workbench.errors import WorkbenchError
from workbench.review import ReviewStore

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


# ---- part 4: inputs are regular files --------------------------------------------------
@needs_fifo
@pytest.mark.parametrize("name", ["in.csv", "in.jsonl", "in.jsonl.gz", "in.json"])
def test_a_fifo_as_a_table_is_refused_before_reading(tmp_path: Path, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)  # reading it would wait forever for a writer
    for fmt in ("auto", "table"):
        with pytest.raises(WorkbenchError, match="is a FIFO"):
            io.load_table(fifo, format=fmt)
    with pytest.raises(WorkbenchError, match="is a FIFO"):
        io.import_annotations(fifo, format="prodigy")


def test_a_device_and_a_folder_as_a_table_are_refused(tmp_path: Path) -> None:
    zero = tmp_path / "votes.jsonl.gz"
    zero.symlink_to("/dev/zero")  # endless: reading it never finishes
    with pytest.raises(WorkbenchError, match="is a character device, not a regular file"):
        io.load_table(zero, format="table")
    for fmt in ("auto", "label-studio", "prodigy"):
        with pytest.raises(WorkbenchError, match="is a character device"):
            io.import_annotations(zero, format=fmt)
    folder = tmp_path / "votes.csv"
    folder.mkdir()
    with pytest.raises(WorkbenchError, match="is a folder"):
        io.load_table(folder)


@needs_fifo
def test_cli_refuses_a_fifo_input_with_exit_2(tmp_path: Path) -> None:
    fifo = tmp_path / "prefs.csv"
    os.mkfifo(fifo)
    r = _cli("bias", str(fifo), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "is a FIFO (named pipe), not a regular file" in r.stderr
    assert "Traceback" not in r.stderr


@needs_fifo
def test_a_fifo_as_a_review_store_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "reviews.sqlite"
    os.mkfifo(fifo)
    for ro in (True, False):
        with pytest.raises(WorkbenchError, match="is a FIFO"):
            ReviewStore(fifo, read_only=ro)


def _store(path: Path, *sql: str) -> Path:
    with ReviewStore(path, synchronous="NORMAL") as s:
        s.record("doc-1", "alice", "Acceptable")
        s.record("doc-1", "bob", "Acceptable")
    with sqlite3.connect(path) as conn:
        for q in sql:
            conn.execute(q)
    return path


_COLS = ("event_id INTEGER, kind TEXT, item_id TEXT, reviewer TEXT, decision TEXT, tags TEXT, note TEXT, "
         "queue TEXT, session TEXT, created_at TEXT, undoes INTEGER, meta TEXT, display_ms REAL")
_ENDLESS = ("CREATE VIEW events AS WITH RECURSIVE r(event_id, kind, item_id, reviewer, decision, tags, note, queue, "
            "session, created_at, undoes, meta, display_ms) AS (SELECT 1, 'decision', 'x', 'a', 'A', '[]', '', '', '', "
            "'2020-01-01T00:00:00Z', NULL, '{}', NULL UNION ALL SELECT event_id + 1, kind, item_id, reviewer, decision, "
            "tags, note, queue, session, created_at, undoes, meta, display_ms FROM r) SELECT * FROM r")
_UNFROZEN = "DROP TRIGGER events_no_update"

STORE_CASES = {
    "events is an endless view": (["ALTER TABLE events RENAME TO old", _ENDLESS], "is a view, not a table"),
    "event_id declared BLOB": (["ALTER TABLE events RENAME TO old", f"CREATE TABLE events ({_COLS.replace('event_id INTEGER', 'event_id BLOB')})"],
                               "event_id BLOB (expected INTEGER)"),
    "NULL item id": (["ALTER TABLE events RENAME TO old", f"CREATE TABLE events ({_COLS})",
                      "INSERT INTO events VALUES (1, 'decision', NULL, 'a', 'A', '[]', '', '', '', '2020-01-01T00:00:00Z', NULL, '{}', NULL)"],
                     "1 event(s) (the first is event 1) without an item id"),
    "NULL decision": (["ALTER TABLE events RENAME TO old", f"CREATE TABLE events ({_COLS})",
                       "INSERT INTO events VALUES (1, 'decision', 'x', 'a', NULL, '[]', '', '', '', '2020-01-01T00:00:00Z', NULL, '{}', NULL)"],
                      "without an item id, reviewer, decision"),
    "tags not JSON": ([_UNFROZEN, "UPDATE events SET tags = '{not json' WHERE event_id = 1"],
                      "event 1 has tags {not json, not a JSON list of strings"),
    "tags not a list": ([_UNFROZEN, "UPDATE events SET tags = '{\"a\": 1}' WHERE event_id = 2"],
                        "event 2 has tags {\"a\": 1}, not a JSON list"),
    "created_at unparseable": ([_UNFROZEN, "UPDATE events SET created_at = 'yesterday' WHERE event_id = 1"],
                               "event 1 has created_at yesterday, not an ISO 8601 time"),
}


@pytest.mark.parametrize("case", list(STORE_CASES))
def test_damaged_store_is_a_clean_error_in_the_api(tmp_path: Path, case: str) -> None:
    sql, fragment = STORE_CASES[case]
    path = _store(tmp_path / "r.sqlite", *sql)
    with pytest.raises(WorkbenchError, match="review store") as info:
        with ReviewStore(path, read_only=True) as s:
            s.events()
            s.decisions()
            s.event(1)
    assert fragment in str(info.value)


@pytest.mark.parametrize("case", ["events is an endless view", "tags not JSON", "created_at unparseable", "NULL item id"])
def test_damaged_store_in_review_kpis_exits_2_without_a_traceback(tmp_path: Path, case: str) -> None:
    sql, fragment = STORE_CASES[case]
    path = _store(tmp_path / "r.sqlite", *sql)
    r = _cli("review", "kpis", str(path), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert fragment in " ".join(r.stderr.split()) and "Traceback" not in r.stderr


def test_review_kpis_never_prints_nan(tmp_path: Path) -> None:
    path = _store(tmp_path / "r.sqlite")  # one shared label, no active time, no display times
    r = _cli("review", "kpis", str(path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "nan" not in r.stdout.lower()
    assert "—" in r.stdout
    assert "— undefined: items_per_hour (no active time" in r.stdout
    assert "kappa (both reviewers used a single label" in r.stdout
    assert "— (a single shared label on every overlap item)" in r.stdout


# ---- part 5: text from data is never plotly markup -------------------------------------
LINK = '<a href="https://x">y</a>'


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() if k not in ("hovertemplate", "texttemplate", "template")
                for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _no_markup(fig: object) -> None:
    spec = json.loads(fig.to_json())  # type: ignore[attr-defined]
    texts = _strings(spec)
    assert not [t for t in texts if "<a" in t or "<br>" in t or "<b>" in t], texts
    assert any("&lt;a href=" in t for t in texts)  # shown, as text


def test_a_data_id_never_becomes_a_link_in_a_report_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd
    import plotly.graph_objects as go

    from workbench.analyses.base import show
    from workbench.plots import forest_plot

    shown: list[go.Figure] = []
    monkeypatch.setattr(go.Figure, "show", lambda self, *a, **k: shown.append(self))
    frame = pd.DataFrame({"label": [LINK, "<br><b>bold</b>"], "estimate": [0.1, 0.2],
                          "ci_low": [0.0, 0.1], "ci_high": [0.2, 0.3]})
    fig = forest_plot(frame, title=f"by {LINK}")
    fig.add_annotation(text=LINK, x=0.1, y=LINK)
    fig.add_bar(x=[LINK], y=[1], name=LINK, hovertext=[LINK], customdata=[[LINK]])
    show(fig)
    (out,) = shown
    _no_markup(out)
    assert fig.data[-1].name == LINK  # the caller's figure is not changed
    assert out.data[-1].hovertemplate == fig.data[-1].hovertemplate


def test_a_figure_shown_any_way_in_a_report_is_escaped_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # fig.show(), display(fig) or a cell's last value all go through the report's renderers;
    # a figure already escaped by show() is not escaped again (no '&amp;lt;')
    import plotly.graph_objects as go
    import plotly.io as pio

    from workbench.plots import sanitize_figure, use_offline_renderer

    monkeypatch.setattr(pio.renderers, "default", pio.renderers.default)
    use_offline_renderer()
    fig = go.Figure(go.Bar(x=[LINK], y=[1], name="<b>A</b>"))
    for shown in (fig, sanitize_figure(fig)):
        bundle = pio.renderers._build_mime_bundle(shown.to_dict(), pio.renderers.default)
        spec = bundle["application/vnd.plotly.v1+json"]
        assert spec["data"][0]["x"] == ['&lt;a href="https://x"&gt;y&lt;/a&gt;']
        assert spec["data"][0]["name"] == "&lt;b&gt;A&lt;/b&gt;"
        html = bundle["text/html"]
        assert "&lt;b&gt;A" in html and "<b>A" not in html and "&amp;lt;" not in html
    assert fig.data[0].name == "<b>A</b>"  # the caller's figure is not changed


def test_a_reviewer_name_is_text_in_the_dashboard_charts(tmp_path: Path) -> None:
    from workbench.analyses.quality_dashboard import DashboardConfig, read_snapshot
    from workbench.dashboard import trend_figures

    path = tmp_path / "r.sqlite"
    with ReviewStore(path, synchronous="NORMAL") as s:
        s.record("doc-1", LINK, "Acceptable")
        s.record("doc-2", LINK, "Unsafe")
    figs = trend_figures(read_snapshot(DashboardConfig(store=path)))
    for fig in figs:
        _no_markup(fig)


# ---- part 3: one typed reading of each export ------------------------------------------
def _task(**annotation: object) -> dict[str, object]:
    return {"id": 1, "data": {"text": "a"},
            "annotations": [{"id": 9, "completed_by": 1, **annotation}]}


def _choice(value: object) -> dict[str, object]:
    return {"type": "choices", "from_name": "q", "to_name": "text", "value": value}


READER_ERRORS = {  # file name, content, format, message fragment
    "data as a string": ("t.json", [{"id": 1, "data": "x"}], "label-studio", "element 1: field 'data' is str"),
    "annotations as an object": ("t.json", [{"id": 1, "data": {}, "annotations": {"a": 1}}], "label-studio",
                                 "task 1: field 'annotations' is dict"),
    "result value as a list": ("t.json", [_task(result=[_choice([1])])], "label-studio", "field 'value' is list"),
    "completed_by as a list": ("t.json", [_task(completed_by=[0, 1], result=[_choice({"choices": ["x"]})])],
                               "label-studio", "field 'completed_by' is list [0, 1]"),
    "rating inf": ("t.json", [_task(result=[{"type": "rating", "from_name": "q", "value": {"rating": "inf"}}])],
                   "label-studio", "holds 'inf', not a finite number"),
    "null JSONL line": ("p.jsonl", '{"_input_hash": 1, "answer": "accept"}\nnull\n', "prodigy",
                        "line 2 holds a JSON null"),
    "list JSONL line": ("p.jsonl", '[1, 2]\n', "prodigy", "line 1 holds a JSON list"),
    "100,000-deep nesting (JSONL)": ("p.jsonl", '{"_input_hash": 1, "answer": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
                                     "auto", "nested too deeply"),
    "100,000-deep nesting (Prodigy)": ("p.jsonl", '{"_input_hash": 1, "answer": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
                                       "prodigy", "nested too deeply"),
    "100,000-deep nesting (JSON)": ("t.json", "[" * 100_000 + "]" * 100_000, "label-studio", "nested too deeply"),
    "Prodigy accept as an object": ("p.jsonl", '{"_input_hash": 1, "answer": "accept", "options": [], "accept": {"a": 1}}\n',
                                    "prodigy", "field 'accept' is dict"),
    "Labelbox projects as a list": ("l.jsonl", json.dumps({"data_row": {"id": "r"}, "projects": [1]}) + "\n", "labelbox",
                                    "line 1: field 'projects' is list [1], not an object"),
    "Labelbox radio answer as a string": ("l.jsonl", json.dumps({"data_row": {"id": "r"}, "projects": {"p": {"labels": [
        {"annotations": {"classifications": [{"name": "Q", "radio_answer": "yes"}]}}]}}}) + "\n", "labelbox",
        "line 1, project 'p', label 1 (data row 'r'): field 'radio_answer' is str"),
    "Labelbox labels as an object": ("l.jsonl", json.dumps({"data_row": {"id": "r"}, "projects": {"p": {"labels": {}}}}) + "\n",
                                     "labelbox", "line 1, project 'p': field 'labels' is dict"),
    "arena conversation as a number": ("a.json", [{"model_a": "x", "model_b": "y", "winner": "model_a", "judge": "j",
                                                   "conversation_a": 5}], "arena", "record 1: field 'conversation_a' is int 5, not a list or a string"),
    "arena winner as a list": ("a.jsonl", '{"model_a": "x", "model_b": "y", "winner": "tie"}\n{"model_a": "x", "model_b": "y", "winner": ["model_a"]}\n',
                               "arena", "record 2: field 'winner' is list"),
    "Argilla fields as a string": ("g.json", [{"id": "r", "fields": "a", "responses": 5}], "argilla", "record 1: field 'fields' is str"),
    "Argilla response as a string": ("g.json", [{"id": "r", "fields": {}, "responses": {"q": ["yes"]}}], "argilla",
                                     "record 1: a response to 'q' in field 'responses' is str"),
    "AlpacaEval preference 7": ("e.json", [{"instruction": "i", "output_1": "a", "output_2": "b", "preference": 7}],
                                "alpaca-eval", "preference '7' is not an AlpacaEval preference"),
    "AlpacaEval preference -3": ("e.json", [{"instruction": "i", "output_1": "a", "output_2": "b", "preference": -3}],
                                 "alpaca-eval", "is not an AlpacaEval preference"),
    "AlpacaEval preference Infinity": ("e.jsonl", '{"instruction": "i", "output_1": "a", "output_2": "b", "preference": Infinity}\n',
                                       "alpaca-eval", "is not an AlpacaEval preference"),
}


def _write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(READER_ERRORS))
def test_malformed_export_is_a_clean_error_naming_record_and_field(tmp_path: Path, case: str) -> None:
    name, content, fmt, fragment = READER_ERRORS[case]
    path = _write(tmp_path, name, content)
    with pytest.raises(WorkbenchError) as info:
        io.import_annotations(path, format=fmt)  # never AttributeError, TypeError, RecursionError
    assert fragment in str(info.value)


def test_cli_reports_a_malformed_export_with_exit_2(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.json", [{"id": 1, "data": "x"}])
    r = _cli("convert", str(path), "-o", str(tmp_path / "out.csv"), "--from", "label-studio", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stdout + r.stderr
    assert "field 'data' is str" in r.stderr
    assert not (tmp_path / "out.csv").exists()  # the marker: nothing written from a bad export


def test_gzip_bomb_stops_at_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_MAX_UNCOMPRESSED_BYTES", "100000")
    line = b'{"_input_hash": 1, "answer": "accept", "_annotator_id": "a"}\n'
    for name, fmt in (("p.jsonl.gz", "prodigy"), ("p.jsonl.gz", "auto"), ("t.csv.gz", "table")):
        path = tmp_path / name
        with gzip.open(path, "wb") as fh:
            fh.write((b"item_id,label\n" + b"q1,a\n" * 200_000) if name.endswith("csv.gz") else line * 20_000)
        assert path.stat().st_size < 20_000  # about 1 MB decompressed
        with pytest.raises(WorkbenchError, match="expands to more than 100,000 bytes when decompressed"):
            io.import_annotations(path, format=fmt)


def test_silent_misreadings_are_read_right(tmp_path: Path) -> None:
    ls = _write(tmp_path, "t.json", [_task(result=[_choice({"choices": "positive"})])])
    assert io.import_annotations(ls, format="label-studio").annotations["label"].tolist() == ["positive"]
    pr = _write(tmp_path, "p.jsonl", '{"_input_hash": 1, "answer": "accept", "options": [], "accept": "abc", "_annotator_id": "a"}\n')
    assert io.import_annotations(pr, format="prodigy").annotations["label"].tolist() == ["abc"]
    ratings = [{"id": i, "data": {"text": "a"}, "annotations": [
        {"id": 9, "completed_by": 1, "result": [{"type": "rating", "from_name": "q", "value": {"rating": r}}]}]}
        for i, r in ((1, 5), (2, "5"), (3, 5.0))]
    got = io.import_annotations(_write(tmp_path, "r.json", ratings), format="label-studio").annotations["label"]
    assert got.map(repr).nunique() == 1  # '5', 5 and 5.0 are one label
    ms = _write(tmp_path, "m.jsonl", '{"_input_hash": 1, "answer": "accept", "_annotator_id": "a", "_timestamp": 1700000000000}\n')
    ts = io.import_annotations(ms, format="prodigy").annotations["timestamp"]
    assert ts.dt.year.tolist() == [2023]  # milliseconds told from seconds by magnitude, not year 55840


def test_labelbox_empty_checklist_is_no_answer_not_the_label_empty(tmp_path: Path) -> None:
    def row(item: str, checks: list[dict[str, str]]) -> str:
        label = {"label_details": {"created_by": "a@x"}, "annotations": {"classifications": [
            {"name": "Attrs", "checklist_answers": checks}]}}
        return json.dumps({"data_row": {"id": item}, "projects": {"p": {"labels": [label]}}})

    path = _write(tmp_path, "l.ndjson", row("r1", []) + "\n" + row("r2", [{"name": "Crowded"}]) + "\n")
    res = io.import_annotations(path, format="labelbox")
    assert res.annotations is not None and res.annotations["label"].tolist() == ["Crowded"]
    assert res.report.dropped == {"checklist with nothing ticked (no answer)": 1}


def test_arena_millisecond_timestamps_read_as_the_right_year(tmp_path: Path) -> None:
    recs = [{"question_id": f"q{i}", "model_a": "x", "model_b": "y", "winner": "model_a", "judge": "j", "tstamp": t}
            for i, t in enumerate((1700000000, 1700000000123, 1700000000123456))]
    got = io.import_annotations(_write(tmp_path, "a.json", recs), format="arena").preferences
    assert got is not None and got["timestamp"].dt.year.tolist() == [2023, 2023, 2023]  # not year 55840, nor an int64 wrap to 1972


_MTURK_HEAD = "HITId,WorkerId,AssignmentStatus,SubmitTime,Input.id,Answer.sentiment.label\n"


def test_mturk_ragged_row_is_a_clean_error_naming_the_row(tmp_path: Path) -> None:
    for body in ("h1,w1,Approved,,i1,pos\nh1,w2,Approved,,i1,neg,extra\n",  # pandas: ParserError
                 "h1,w1,Approved,,i1,pos,x\nh1,w2,Approved,,i1,neg,y\n"):    # pandas: every column shifted
        path = _write(tmp_path, "batch.csv", _MTURK_HEAD + body)
        with pytest.raises(WorkbenchError, match=r"has 7 fields but the header has 6") as info:
            io.import_annotations(path, format="mturk")
        assert "row 2 (line 3)" in str(info.value) or "row 1 (line 2)" in str(info.value)


def test_mturk_numeric_score_columns_are_not_a_checkbox_group(tmp_path: Path) -> None:
    head = "HITId,WorkerId,AssignmentStatus,Input.id,Answer.score.0,Answer.score.1\n"
    path = _write(tmp_path, "batch.csv", head + "h1,w1,Approved,i1,0,1\nh1,w2,Approved,i1,1,0\n")
    res = io.import_annotations(path, format="mturk")
    ann = res.annotations
    assert ann is not None and sorted(ann["question"].unique()) == ["score.0", "score.1"]
    assert sorted(ann["label"].tolist()) == ["0", "0", "1", "1"]  # no 0 dropped
    assert not res.report.dropped
    ticks = _write(tmp_path, "ticks.csv", "HITId,WorkerId,AssignmentStatus,Input.id,Answer.tag.a,Answer.tag.b\n"
                   "h1,w1,Approved,i1,true,false\n")
    got = io.import_annotations(ticks, format="mturk").annotations
    assert got is not None and got["label"].tolist() == ["a"]  # true/false options stay a group


def test_mturk_unknown_time_zone_is_noted(tmp_path: Path) -> None:
    path = _write(tmp_path, "batch.csv", _MTURK_HEAD + "h1,w1,Approved,Mon Mar 04 10:21:33 PST 2024,i1,pos\n"
                  "h1,w2,Approved,Mon Mar 04 10:21:33 CET 2024,i1,neg\n")
    res = io.import_annotations(path, format="mturk")
    assert res.annotations is not None and int(res.annotations["timestamp"].isna().sum()) == 1
    assert any("1 SubmitTime value(s) could not be read (time zone 'CET': 1)" in n for n in res.report.notes)


def test_label_studio_csv_na_answers_are_kept_as_labels_with_a_note(tmp_path: Path) -> None:
    path = _write(tmp_path, "export.csv", "id,text,sentiment,annotator,annotation_id\n"
                  "1,a,positive,1,11\n1,a,N/A,2,12\n2,b,negative,1,13\n2,b,,2,14\n")
    res = io.import_annotations(path, format="label-studio")
    assert res.annotations is not None and sorted(res.annotations["label"]) == ["N/A", "negative", "positive"]
    assert res.report.dropped == {}
    assert res.report.rows_read == 3  # the blank cell is no answer; 'N/A' is an answer, kept
    assert any("'N/A' in column 'sentiment' are kept as a label" in n for n in res.report.notes)


@pytest.mark.parametrize(("name", "text", "where"), [
    ("null-first.jsonl", 'null\n{"item_id":"a","label":"x"}\n', "line 1 holds a JSON null"),
    ("array.jsonl", '[1,2]\n{"item_id":"a"}\n', "line 1 holds a JSON array"),
    ("string.jsonl", '"just text"\n', "line 1 holds a JSON string"),
    ("later-null.jsonl", '{"item_id":"a","label":"x"}\nnull\n', "line 2 holds a JSON null"),
    ("mixed.json", '[{"item_id":"a","label":"x"}, 3]', "element 2 holds a JSON number"),
    ("nulls.json", "[null]", "element 1 holds a JSON null"),
])
def test_a_json_table_whose_records_are_not_objects_is_refused(tmp_path: Path, name: str, text: str,
                                                               where: str) -> None:
    # pandas reads a null/array/number record as a column named 0 (a wrong table, silently);
    # format "auto" used to fall back to exactly that
    path = _write(tmp_path, name, text)
    for call in (lambda: io.load_table(path), lambda: io.import_annotations(path)):
        with pytest.raises(WorkbenchError, match=where):
            call()


def test_a_json_key_that_looks_like_a_number_stays_a_column_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "keys.jsonl", '{"item_id":"a","0":1}\n{"item_id":"b","0":2}\n')
    assert list(io.load_table(path).columns) == ["item_id", "0"]
