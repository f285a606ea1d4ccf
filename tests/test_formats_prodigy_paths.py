"""The three Prodigy readers give one result: polars' NDJSON reader, Arrow's JSON reader (used
when polars is not installed, or when polars may have turned a non-string into text) and the
general line-by-line reader (choices, spans, own ids, anything the typed readers refuse).

Each file is read three ways (the other readers switched off with monkeypatch) and the
outcomes compared whole: every table with its dtypes, the import report (counts, drops,
notes), or the error message. A spy records which reader served the polars run, so a test
cannot pass because every path quietly fell back to the same reader.
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import io
from workbench.errors import WorkbenchError
from workbench.formats import prodigy

PATHS = ("polars", "arrow", "general")


def line(inp: Any, who: Any = "ann", answer: Any = "accept", ts: Any = 100, **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"text": f"text {inp}", "_input_hash": inp, "_task_hash": 7, "label": "SPAM",
                           "_view_id": "classification", "answer": answer, "_timestamp": ts}
    if who is not None:
        rec["_annotator_id"] = rec["_session_id"] = f"ds-{who}"
    rec.update(extra)
    return rec


def write(path: Path, rows: list[Any] | str | bytes) -> Path:
    data: str | bytes = rows if isinstance(rows, (str, bytes)) else "".join(json.dumps(r) + "\n" for r in rows)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as fh:
            fh.write(raw)
    else:
        path.write_bytes(raw)
    return path


def outcome(path: Path, how: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """Read ``path`` with one reader: its tables and report, or its error, and who served it."""
    served: list[str] = []
    with monkeypatch.context() as m:
        if how == "arrow":  # as without polars installed
            m.setitem(sys.modules, "polars", None)
        elif how == "general":
            m.setattr(prodigy, "_read_fast", lambda path, tally: None)
        polars_reader: Callable[..., Any] = prodigy._read_polars

        def spy(path: Path, tally: Any) -> Any:
            got = polars_reader(path, tally)
            served.append("unsure" if isinstance(got, prodigy._Unsure) else "none" if got is None else "polars")
            return got

        m.setattr(prodigy, "_read_polars", spy)
        try:
            res = io.import_annotations(path, format="prodigy")
        except WorkbenchError as exc:
            return ("error", str(exc)), served
        # the validated table too: a reader that proved the key unique skips that check
        by = list(served)  # (what served the import; the second read below is not counted)
        validated: Any
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                validated = io.load_table(path, kind="annotations", format="prodigy")
        except WorkbenchError as exc:
            validated = str(exc).replace(str(path), "FILE").replace(" (prodigy)", "")
    return ("ok", res.annotations, res.items, res.spans, res.report, validated), by


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> None:
    assert a[0] == b[0], (a, b)
    if a[0] == "error":
        assert a[1] == b[1]
        return
    for x, y in zip(a[1:4], b[1:4], strict=True):
        if x is None or y is None:
            assert x is None and y is None
        else:
            pd.testing.assert_frame_equal(x, y)
    assert a[4] == b[4]
    if isinstance(a[5], str) or isinstance(b[5], str):
        assert a[5] == b[5]
    else:
        pd.testing.assert_frame_equal(a[5], b[5])


def all_paths(path: Path, monkeypatch: pytest.MonkeyPatch, *, paths: tuple[str, ...] = PATHS) -> tuple[tuple[Any, ...], str]:
    """The outcome (checked equal on every path) and what polars did on the polars path."""
    results = {how: outcome(path, how, monkeypatch) for how in paths}
    first, _ = results[paths[0]]
    for how in paths[1:]:
        same(first, results[how][0])
    served = results["polars"][1] if "polars" in results else []
    return first, served[0] if served else "not asked"


def mixed(n: int = 120) -> list[dict[str, Any]]:
    """Repeated answers (an annotator answering an item and label twice), ignores, a task with
    no answer, an answer with neither _annotator_id nor _session_id, and a session fallback."""
    rows = [line(i % 9, f"u{i % 4}", ("accept", "reject", "ignore")[i % 3], 100 + i % 13, label=("SPAM", "ADS")[i % 2])
            for i in range(n)]
    rows.append({"text": "not answered yet", "_input_hash": 99, "_task_hash": 1})
    rows.append(line(98, None, "accept", 5))
    rows.append({**line(97, None, "reject", 6), "_session_id": "sess-7"})
    return rows


def test_repeats_ignores_anonymous_and_unanswered_read_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got, served = all_paths(write(tmp_path / "db.jsonl", mixed()), monkeypatch)
    assert served == "polars"
    report = got[4]
    assert report.dropped["repeated answer by the same annotator (kept the latest)"] > 0
    assert report.dropped["ignore answer (no judgment)"] > 0
    assert report.dropped["task without an answer (not annotated yet)"] == 1
    assert "1 answers have no _annotator_id or _session_id" in report.summary()
    assert {"anonymous", "sess-7"} <= set(got[1]["annotator_id"])


def test_without_repeats_the_columnar_readers_drop_ignores_themselves(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [line(i, f"u{i % 3}", ("accept", "reject", "ignore")[i % 3], 100 + i) for i in range(60)]
    path = write(tmp_path / "norepeat.jsonl", rows)
    got, served = all_paths(path, monkeypatch)
    assert served == "polars" and got[4].dropped == {"ignore answer (no judgment)": 20}
    tally = prodigy.Tally(str(path), "prodigy", "lines")
    assert prodigy._read_polars(path, tally)[4] is True  # type: ignore[index]


def test_the_key_is_proven_unique_only_for_one_question_without_repeats(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [line(i, f"u{i % 3}", ("accept", "reject")[i % 2], 100 + i) for i in range(30)]
    plain = write(tmp_path / "plain.jsonl", rows)
    got, served = all_paths(plain, monkeypatch)
    assert served == "polars" and len(got[5]) == 30
    assert io.import_annotations(plain, format="prodigy").unique_key == ("item_id", "annotator_id")
    # one answer without a label beside the same annotator's answer with one: distinct as read,
    # the same (item_id, annotator_id) once the single question's column is dropped
    unlabeled = {k: v for k, v in line(0, "u0", "reject", 500).items() if k != "label"}
    both = write(tmp_path / "both.jsonl", [*rows, unlabeled])
    got, served = all_paths(both, monkeypatch)
    assert served == "polars" and io.import_annotations(both, format="prodigy").unique_key == ()
    assert isinstance(got[5], str) and "share the same (item_id, annotator_id)" in got[5]


def test_gzip_input_reads_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got, served = all_paths(write(tmp_path / "db.jsonl.gz", mixed()), monkeypatch)
    assert served == "polars" and got[0] == "ok"


@pytest.mark.parametrize("extra", [{"spans": [{"start": 0, "end": 1, "label": "X"}], "_view_id": "ner_manual"},
                                   {"spans": []},
                                   {"item_id": "own-id"},
                                   {"options": [{"id": "A"}], "accept": ["A"], "_view_id": "choice"}])
def test_choice_span_or_own_id_on_the_last_line_goes_to_the_general_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any]) -> None:
    rows = [line(i, "u", "accept", 100 + i) for i in range(50)] + [line(77, "v", "accept", 500, **extra)]
    got, served = all_paths(write(tmp_path / "mixed.jsonl", rows), monkeypatch)
    assert served == "none" and got[0] == "ok"


@pytest.mark.parametrize(("name", "content", "fragment"), [
    ("no _input_hash", [line(1), {"answer": "accept", "_annotator_id": "a"}], "line 2 has neither '_input_hash' nor"),
    ("empty file", "\n  \n", "holds no records: the Prodigy export is empty"),
    ("null line", [line(1)] + [None], "line 2 holds a JSON null"),
    ("list line", [[1, 2]], "line 1 holds a JSON list"),
    ("truncated", '{"_input_hash": 1, "answer": "acc', "(line 1)"),
    ("bad JSON", [line(1)] + ["x"], "(line 2)"),
    ("two objects on a line", json.dumps(line(1)) + " " + json.dumps(line(2)) + "\n", "(line 1)"),
    ("deep nesting", '{"_input_hash": 1, "answer": "a", "meta": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
     "nested too deeply"),
    ("control character", '{"_input_hash": 1, "answer": "a\tb"}\n', "Invalid control character"),
    ("byte-order mark", "\ufeff" + json.dumps(line(1)) + "\n", "Unexpected UTF-8 BOM"),
    ("accept an object", [line(1, options=[], accept={"a": 1})], "field 'accept' is dict"),
])
def test_hostile_lines_are_errors_naming_the_file_and_line_on_every_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: Any, fragment: str) -> None:
    paths = PATHS if name != "two objects on a line" else ("polars", "general")  # Arrow reads both (no polars)
    path = write(tmp_path / "bad.jsonl", content if isinstance(content, str) else
                 "".join(json.dumps(r) + "\n" if not isinstance(r, str) else r + "\n" for r in content))
    got, served = all_paths(path, monkeypatch, paths=paths)
    assert served in ("none", "not asked")  # polars never reads them itself
    assert got[0] == "error" and fragment in got[1] and "bad.jsonl" in got[1], got


@pytest.mark.parametrize(("name", "rows"), [
    ("float hash", [line(1), line(2.0)]),
    ("string hash", [line(1), line("abc")]),
    ("hash beyond int64", [line(1), line(2**64)]),
    ("numeric annotator", [line(1), line(2, who=None, _annotator_id=7)]),
    ("zero annotator falls back to the session", [line(1), line(2, who=None, _annotator_id=0, _session_id="s")]),
    ("boolean answer", [line(1), line(2, answer=True)]),
    ("numeric label", [line(1), line(2, label=3)]),
    ("numeric text", [line(1), line(2, text=12.5)]),
    ("object text", [line(1), line(2, text={"a": 1})]),
    ("text that looks like a number", [line(1), line(2, text="12 angry men")]),
    ("label 'true'", [line(1), line(2, label="true")]),
    ("string timestamp", [line(1), line(2, ts="2024-05-01T10:00:00Z")]),
    ("millisecond timestamps", [line(1, ts=1_700_000_000_000), line(2, ts=1_700_000_001_000)]),
    ("fractional and missing timestamps", [line(1, ts=1_700_000_000.25), line(2, ts=None)]),
    ("empty annotator id", [line(1), line(2, who=None, _annotator_id="", _session_id="s"), line(3, who=None, _annotator_id="")]),
    ("annotator named 'anonymous' beside a nameless one",
     [line(1, who=None, answer="accept", ts=1, _annotator_id="anonymous"), line(1, who=None, answer="ignore", ts=2)]),
    ("lone surrogate escape", '{"_input_hash": 1, "answer": "accept", "_annotator_id": "a\\ud800"}\n'),
    ("NUL in a string", '{"_input_hash": 1, "answer": "accept", "_annotator_id": "a\\u0000b"}\n'),
    ("CRLF, blank lines, no final newline",
     json.dumps(line(1)) + "\r\n\r\n  \n" + json.dumps(line(2, who="b")) + "\r\n" + json.dumps(line(3))),
    ("unicode and escapes", [line(1, text="caf\u00e9 \u2028 \U0001f600 \"q\" \\ /", label="\u00e9t\u00e9")]),
    ("unknown keys of any type", [line(1, meta={"a": [1, {"b": None}]}, _task_hash=2**70, extra=None)]),
    ("answers that are a list and an object", [line(1), line(2, answer=[1, 2]), line(3, answer={"a": "x|y"})]),
])
def test_odd_values_read_alike_on_every_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, rows: Any) -> None:
    got, served = all_paths(write(tmp_path / "odd.jsonl", rows), monkeypatch)
    assert served in ("polars", "unsure", "none")
    if name == "answers that are a list and an object":  # read as they are, not refused
        assert got[0] == "ok" and got[1]["label"].tolist() == ["accept", [1, 2], {"a": "x|y"}]


def test_polars_hands_possible_non_strings_to_arrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # polars writes 3 as "3"; the general reader keeps the number 3 (and Arrow refuses the line)
    _, served = all_paths(write(tmp_path / "n.jsonl", [line(1), line(2, label=3)]), monkeypatch)
    assert served == "unsure"
    _, served = all_paths(write(tmp_path / "s.jsonl", [line(1), line(2, label="SPAM")]), monkeypatch)
    assert served == "polars"


def test_files_over_the_buffer_limit_are_read_line_by_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "big.jsonl", mixed())
    expected, _ = all_paths(path, monkeypatch)
    monkeypatch.setattr(prodigy, "_ARROW_MAX_BYTES", 1_000)
    for how in ("polars", "arrow"):
        got, served = outcome(path, how, monkeypatch)
        same(got, expected)
        assert served == (["none"] if how == "polars" else ["unsure"])  # (without polars: Arrow, then lines)
    gz = write(tmp_path / "big.jsonl.gz", mixed())
    got, served = all_paths(gz, monkeypatch)
    same(got[:4] + ((got[4].rows_read, got[4].dropped), got[5]), expected[:4] + ((expected[4].rows_read, expected[4].dropped), expected[5]))
    assert served == "none"


def test_gzip_bomb_stops_at_the_limit_on_the_polars_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_MAX_UNCOMPRESSED_BYTES", "100000")
    path = write(tmp_path / "p.jsonl.gz", (json.dumps(line(1)) + "\n") * 20_000)
    got, served = outcome(path, "polars", monkeypatch)
    assert got[0] == "error" and "expands to more than 100,000 bytes when decompressed" in got[1]


_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from(["accept", "reject", "ignore", "", "anonymous", "1", "true", "[x", "{", "-", "a|b"]),
                   st.text(max_size=6), st.lists(st.integers(0, 2), max_size=2))
_HASH = st.one_of(st.integers(0, 6), st.sampled_from([1.0, "3", None, 2**63, -(2**63)]))
_RECORD = st.fixed_dictionaries({}, optional={
    "_input_hash": _HASH, "_annotator_id": _VALUE, "_session_id": _VALUE, "answer": _VALUE, "label": _VALUE,
    "_timestamp": st.one_of(st.none(), st.integers(0, 2 * 10**12), st.floats(0, 1e10), st.text(max_size=3)),
    "text": _VALUE, "meta": _VALUE,
})
_PLAIN = st.fixed_dictionaries({
    "_input_hash": st.integers(0, 6), "answer": st.sampled_from(["accept", "reject", "ignore"]),
    "label": st.sampled_from(["SPAM", "ADS"]), "_timestamp": st.integers(0, 20), "text": st.sampled_from(["a", "b"]),
}, optional={"_annotator_id": st.sampled_from(["x", "y", "", "anonymous"]), "_session_id": st.sampled_from(["s", ""])})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.one_of(_PLAIN, _PLAIN, _RECORD), min_size=1, max_size=12))
def test_any_mix_of_records_reads_alike_on_every_path(monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        all_paths(write(Path(tmp) / "h.jsonl", records), monkeypatch)


def test_the_benchmark_export_is_served_by_polars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from formats import write_prodigy  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    path = tmp_path / "db-out.jsonl"
    write_prodigy(path, 5_000)
    got, served = all_paths(path, monkeypatch)
    assert served == "polars" and got[4].rows_read == 5_000


_JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True, allow_infinity=False),
                         st.text(max_size=4), st.sampled_from(["a", "b|c", ""]), st.lists(st.integers(0, 1), max_size=1))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_JSON_SCALAR, max_size=6), text=st.lists(st.one_of(st.none(), st.text(max_size=4), st.just("\ud800")), max_size=6))
def test_json_frame_is_the_frame_pandas_makes(values: list[Any], text: list[Any]) -> None:
    from workbench.formats._common import json_frame

    n = min(len(values), len(text))
    columns = {"mixed": values[:n], "text": text[:n]}
    try:
        expected = pd.DataFrame(columns)
    except UnicodeError:  # (a lone surrogate: pandas refuses it, and so does json_frame)
        with pytest.raises(UnicodeError):
            json_frame(columns)
        return
    pd.testing.assert_frame_equal(json_frame(columns), expected)
