"""Hostile and messy input (issue 21): every case of the issue's table, each with the input,
the command, the expected exit code and a fragment of the message."""

from __future__ import annotations

import math
import os
import shutil
import sqlite3
import stat
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import DATA_SAMPLES
from tests.tiny_models import save_tiny_lm
from workbench import io, reports, samples
from workbench.errors import WorkbenchError
from workbench.review import ReviewStore
from workbench.review.store import SCHEMA_VERSION


# ---- review store: versioned, read-only for readers, unknown kinds and damage refused ----
def _legacy_store(path: Path) -> Path:
    with ReviewStore(path, synchronous="NORMAL") as s:
        s.record("doc-1", "alice", "Acceptable")
        s.record("doc-2", "bob", "Unsafe")
    return path


def test_store_is_stamped_with_its_schema_version(tmp_path: Path) -> None:
    path = _legacy_store(tmp_path / "r.sqlite")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2


def test_store_from_a_newer_version_is_refused_unchanged(tmp_path: Path) -> None:
    path = _legacy_store(tmp_path / "r.sqlite")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 7")
    before = path.read_bytes()
    for ro in (False, True):
        with pytest.raises(WorkbenchError, match="schema version 7, written by a newer workbench"):
            ReviewStore(path, read_only=ro)
    assert path.read_bytes() == before


def test_store_with_an_extra_column_is_refused(tmp_path: Path) -> None:
    path = _legacy_store(tmp_path / "r.sqlite")
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE events ADD COLUMN confidence INTEGER")
    with pytest.raises(WorkbenchError, match="extra: confidence"):
        ReviewStore(path, read_only=True)


def test_read_only_store_writes_nothing_and_works_on_a_read_only_file(tmp_path: Path) -> None:
    path = _legacy_store(tmp_path / "r.sqlite")
    with sqlite3.connect(path) as conn:  # a store from before versioning: no triggers, version 0
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("PRAGMA user_version = 0")
    before = path.read_bytes()
    os.chmod(path, stat.S_IRUSR)
    try:
        with ReviewStore(path, read_only=True) as s:
            assert len(s.decisions()) == 2
            with pytest.raises(WorkbenchError, match="opened read-only"):
                s.record("doc-3", "alice", "Acceptable")
    finally:
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    assert path.read_bytes() == before  # no trigger, no version stamp written by a reader
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name='events_no_update'").fetchone()[0] == 0


def test_read_only_store_must_exist(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match="no review store at"):
        ReviewStore(tmp_path / "missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()


def test_unknown_event_kind_is_refused_not_half_counted(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    with sqlite3.connect(path) as conn:  # a store written by another tool, without the CHECK
        conn.execute(
            "CREATE TABLE events (event_id INTEGER PRIMARY KEY, kind TEXT, item_id TEXT, reviewer TEXT, "
            "decision TEXT, tags TEXT DEFAULT '[]', note TEXT DEFAULT '', queue TEXT DEFAULT '', "
            "session TEXT DEFAULT '', created_at TEXT, undoes INTEGER, meta TEXT DEFAULT '{}')"
        )
        conn.execute("INSERT INTO events (kind, item_id, reviewer, decision, created_at) VALUES "
                     "('decision', 'a', 'alice', 'Unsafe', '2025-01-01'), ('escalate', 'a', 'bob', 'Unsafe', '2025-01-01')")
    with pytest.raises(WorkbenchError, match=r"event kinds this version does not know: escalate \(1 events\)"):
        ReviewStore(path, read_only=True)


def test_corrupt_store_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    with pytest.raises(WorkbenchError, match="cannot open .* as a review store"):
        ReviewStore(path, read_only=True)
    garbage = tmp_path / "g.sqlite"
    garbage.write_text("item_id,label\n1,a\n")
    with pytest.raises(WorkbenchError, match="file is not a database"):
        ReviewStore(garbage)


# ---- the table of hostile and messy inputs of issue 21 -------------------------------------
# Each case: the input (built by a function below), the command, the expected exit code and
# a fragment of what the user sees. Commands run in-process through workbench.cli.main, the
# entry point of the `workbench` script (same error path, no interpreter start-up per case).

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
) + "rules: *i\n"


def _annotations(n_items: int, labels: list[str], *, annotators: tuple[str, ...] = ("a", "b", "c")) -> pd.DataFrame:
    rows = [(f"i{i:03d}", a, labels[(i + j) % len(labels)] if j == 2 else labels[i % len(labels)])
            for i in range(n_items) for j, a in enumerate(annotators)]
    return pd.DataFrame(rows, columns=["item_id", "annotator_id", "label"])


def _sql(path: Path, *statements: str) -> None:
    """Run statements and close the connection (checkpointing the WAL into the file)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for stmt in statements:
            conn.execute(stmt)
    finally:
        conn.close()


def _inputs(d: Path) -> dict[str, Path]:
    """Every hostile input file, written once into ``d``."""
    import gzip

    f: dict[str, Path] = {}
    (d / "captions").mkdir()
    f["passwd"] = d / "captions" / "pairs.csv"
    pd.DataFrame({"pair_id": ["p0", "p1"], "image": ["ok.png", "../../../../etc/passwd"],
                  "caption": ["a red circle", "a blue square"]}).to_csv(f["passwd"], index=False)
    f["laughs"] = d / "laughs.yaml"
    f["laughs"].write_text(LAUGHS)
    f["lots"] = d / "lots.yaml"
    f["lots"].write_text("rules:\n  - {metric: word_count, direction: min, threshold: lots}\n")
    f["allof5"] = d / "allof5.yaml"
    f["allof5"].write_text("rules:\n  - {all_of: 5}\n")
    f["corpus"] = d / "corpus.jsonl"
    io.save_table(pd.DataFrame({"doc_id": ["d1", "d2", "d3"], "text": ["A plain sentence here.", "Another one.", "x"]}),
                  f["corpus"])
    f["bad_jsonl"] = d / "bad.jsonl"
    f["bad_jsonl"].write_text('{"doc_id": "d1", "text": "fine"}\n{"doc_id": "d2", "text": "broken"\n')
    ann = io.load_table(DATA_SAMPLES / "reviews_10x5000.csv").head(3000)
    ts = pd.to_datetime(ann["timestamp"])
    mixed = ann.copy()
    half = mixed.index % 2 == 1
    mixed["timestamp"] = ts.dt.strftime("%Y-%m-%dT%H:%M:%S")
    mixed.loc[half, "timestamp"] = ts[half].dt.strftime("%d/%m/%Y %H:%M:%S")
    f["mixed_dates"] = d / "mixed_dates.csv"
    mixed.to_csv(f["mixed_dates"], index=False)
    variants = _annotations(40, ["positive", "negative"])
    variants.loc[variants.index % 7 == 0, "label"] = "Positive"
    variants.loc[variants.index % 11 == 0, "label"] = "positive "
    f["variants"] = d / "variants.csv"
    variants.to_csv(f["variants"], index=False)
    f["one_item"] = d / "one_item.csv"
    _annotations(1, ["x"], annotators=("a", "b")).to_csv(f["one_item"], index=False)
    f["vendor"] = d / "vendor.csv"
    shutil.copy(DATA_SAMPLES / "vendor_a.csv", f["vendor"])
    f["vendor_copy"] = d / "vendor_copy.csv"
    shutil.copy(DATA_SAMPLES / "vendor_a.csv", f["vendor_copy"])
    f["gz"] = d / "truncated.csv.gz"
    f["gz"].write_bytes(gzip.compress(("item_id,label\n" + "i1,a\n" * 5000).encode())[:200])
    f["a_folder"] = d / "a_folder.csv"
    f["a_folder"].mkdir()
    for name in ("store_kind", "store_legacy", "store_newer", "store_extra", "store_corrupt"):
        f[name] = _legacy_store(d / f"{name}.sqlite")
    _sql(f["store_kind"], "PRAGMA writable_schema = ON",  # another tool's store, whose schema allows more kinds
         "UPDATE sqlite_master SET sql = replace(sql, \"CHECK (kind IN ('decision', 'skip', 'undo'))\", '') "
         "WHERE name = 'events'")
    _sql(f["store_kind"], "INSERT INTO events (kind, item_id, reviewer, created_at) "
                          "VALUES ('escalate', 'x', 'bob', '2025-01-01')")
    _sql(f["store_legacy"], "PRAGMA user_version = 0")
    _sql(f["store_newer"], f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    _sql(f["store_extra"], "ALTER TABLE events ADD COLUMN shown_ms INTEGER")
    raw = bytearray(f["store_corrupt"].read_bytes())
    raw[100:4096] = os.urandom(3996)  # the first page's schema is damaged
    f["store_corrupt"].write_bytes(bytes(raw))
    return f


# (case id, argv with {names} of inputs and {out}, exit code, fragments that must appear)
CLI_CASES = [
    # security
    ("image path with .. leaves the table's folder", ["score", "clip", "{passwd}", "--out", "{out}.csv", "--no-cache"],
     2, ["lead outside the table's folder", "row 1", "../../../../etc/passwd", "--allow-outside"]),
    ("billion-laughs rules YAML", ["score", "text", "{corpus}", "--out", "{out}.csv", "-m", "stats", "--no-cache",
                                   "--rules", "{laughs}"], 2, ["billion laughs"]),
    # silent wrong results
    ("half ISO, half dd/mm/yyyy timestamps", ["drift", "{mixed_dates}"], 2,
     ["holds dates in", "ISO 8601", "e.g. '", "--date-format"]),
    ("the same with --date-format", ["drift", "{mixed_dates}", "--date-format", "%d/%m/%Y %H:%M:%S"], 0,
     ["Tested", "sequences"]),
    ("label variants by case and whitespace", ["reliability", "{variants}", "--n-resamples", "20"], 0,
     ["warning:", "differ only by case", "'Positive' (", "--normalize-labels"]),
    ("label variants merged with --normalize-labels", ["reliability", "{variants}", "--n-resamples", "20",
                                                       "--normalize-labels"], 0, ["krippendorff_alpha"]),
    ("one item: interval not estimable", ["reliability", "{one_item}", "--n-resamples", "20"], 0,
     ["Agreement not measurable", "single item has no interval"]),
    ("--text-column absent from the table", ["score", "text", "{corpus}", "--text-column", "body", "--out", "{out}.csv",
                                             "-m", "stats", "--no-cache"], 2, ["no column 'body'"]),
    ("the same file as vendor a and b", ["vendors", "{vendor}", "{vendor}"], 2, ["same file"]),
    ("identical copies as vendor a and b", ["vendors", "{vendor}", "{vendor_copy}"], 2, ["same file"]),
    ("review store with an unknown event kind", ["review", "kpis", "{store_kind}"], 2,
     ["event kinds this version does not know", "escalate"]),
    ("review kpis on a store from before versioning", ["review", "kpis", "{store_legacy}"], 0, ["decision"]),
    # tracebacks and empty messages
    ("output path is a folder", ["score", "text", "{corpus}", "--out", "{a_folder}", "-m", "stats", "--no-cache"], 2,
     ["is a folder"]),
    ("output under /proc", ["score", "text", "{corpus}", "--out", "/proc/workbench-test/out.csv", "-m", "stats",
                            "--no-cache"], 2, ["cannot write the output"]),
    ("dedup output under /proc", ["dedup", "{corpus}", "--out", "/proc/workbench-test/out.jsonl"], 2,
     ["cannot write the output"]),
    ("truncated .csv.gz", ["reliability", "{gz}"], 2, ["truncated"]),
    ("review store with a corrupt page", ["review", "kpis", "{store_corrupt}"], 2, ["cannot open", "as a review store"]),
    ("review store from a newer schema version", ["review", "kpis", "{store_newer}"], 2, ["newer workbench"]),
    ("review store with an extra column", ["review", "kpis", "{store_extra}"], 2, ["extra: shown_ms"]),
    ("rules with threshold: lots", ["score", "text", "{corpus}", "--out", "{out}.csv", "-m", "stats", "--no-cache",
                                    "--rules", "{lots}"], 2, ["threshold must be a number", "'lots'"]),
    ("rules with all_of: 5", ["score", "text", "{corpus}", "--out", "{out}.csv", "-m", "stats", "--no-cache",
                              "--rules", "{allof5}"], 2, ["all_of must be a list"]),
    ("JSONL with a broken line", ["dedup", "{bad_jsonl}", "--out", "{out}.jsonl"], 2, ["line 2 is not valid JSON"]),
    ("relative path that does not exist", ["reliability", "no/such/table.csv"], 2,
     ["no such file", "relative paths start at"]),
    ("report parameter of the wrong type", ["report", "vendor_comparison", "-p", "confidence", "lots"], 2,
     ["expects float"]),
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _inputs(tmp_path_factory.mktemp("hostile"))


def _run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from workbench.cli import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
    captured = capsys.readouterr()
    return int(stop.value.code or 0), captured.out + captured.err


@pytest.mark.parametrize(("argv", "code", "fragments"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_hostile_input_through_the_cli(
    argv: list[str], code: int, fragments: list[str], inputs: dict[str, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    names = {**{k: str(v) for k, v in inputs.items()}, "out": str(tmp_path / "out")}
    before = {k: inputs[k].read_bytes() for k in ("store_legacy",)}
    got, text = _run_cli([a.format(**names) for a in argv], capsys)
    assert got == code, text[-3000:]
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text[-3000:]}"
    assert "Traceback" not in text
    assert len(text) < 20_000  # no message floods the terminal (the laughs once made 312 MB)
    assert inputs["store_legacy"].read_bytes() == before["store_legacy"]  # readers never write a store


def test_debug_shows_the_traceback(inputs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    got, text = _run_cli(["--debug", "reliability", str(inputs["gz"])], capsys)
    assert got == 2 and "Traceback" in text and "truncated" in text


def test_error_messages_quote_a_few_hundred_characters_at_most(tmp_path: Path) -> None:
    from workbench.scoring import load_rules

    huge = tmp_path / "huge.yaml"
    huge.write_text("rules:\n  - {metric: " + "x" * 50_000 + ", direction: sideways}\n")
    with pytest.raises(WorkbenchError) as err:
        load_rules(huge)
    assert len(str(err.value)) < 600
    big = tmp_path / "big.yaml"
    big.write_text("rules: []\n" + "#" * 1_100_000)
    with pytest.raises(WorkbenchError, match="the limit is 1,000,000"):
        load_rules(big)


def test_image_paths_outside_are_allowed_on_request(inputs: dict[str, Path]) -> None:
    from workbench._internal.paths import locate_images

    paths = pd.Series(["ok.png", "../../../../etc/passwd", "/etc/hosts", "sub/../x.png"])
    base = inputs["passwd"].parent
    with pytest.raises(WorkbenchError, match=r"2 image path\(s\) lead outside .* row 1 .* row 2"):
        locate_images(paths, base, allow_outside=False, column="image")
    located = locate_images(paths, base, allow_outside=True, column="image")
    assert Path(located[2]) == Path("/etc/hosts") and Path(located[0]) == base / "ok.png"


def test_review_queue_and_threshold_explorer_keep_images_in_the_folder(tmp_path: Path) -> None:

    from workbench.plots.scoring import threshold_explorer
    from workbench.review import ReviewQueue

    folder = tmp_path / "table"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "ok.png").write_bytes(b"\x89PNG")
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG secret")
    items = pd.DataFrame({"item_id": ["a", "b", "c"], "caption": "x",
                          "image": ["img/ok.png", "../secret.png", str(secret)]})
    store = ReviewStore.temporary()
    with pytest.raises(WorkbenchError, match=r"table 'items', column 'image': 2 image path\(s\) lead outside "
                       r".*row 1 \('../secret.png'\).*row 2.*allow_outside=True"):
        ReviewQueue(items, store, reviewer="r", image_root=folder)
    q = ReviewQueue(items.head(1), store, reviewer="r", image_root=folder)
    assert q.next().data["image_path"] == str(folder / "img" / "ok.png")
    trusted = ReviewQueue(items, ReviewStore.temporary(), reviewer="t", image_root=folder, allow_outside=True)
    seen = set()
    while (it := trusted.next()) is not None:
        seen.add(os.path.normpath(it.data["image_path"]))
        trusted.submit(it, "Acceptable")
    assert seen == {str(folder / "img" / "ok.png"), str(secret)}
    scores = items.assign(score=[0.1, 0.5, 0.9])
    with pytest.raises(WorkbenchError, match=r"table 'scores', column 'image'.*row 1 .*row 2"):
        threshold_explorer(scores, "score", image="image", image_base=folder)
    w = threshold_explorer(scores, "score", image="image", image_base=folder, allow_outside=True, n=3)
    assert type(w).__name__ == "VBox"
    # the view holds escaped values and follows the slider (no Output widget to print into)
    marked = scores.assign(text=["<img src=x onerror=alert(1)>", "b", "c"])
    w = threshold_explorer(marked, "score", text="text", threshold=0.3)
    slider, (summary, table, gallery) = w.children[0], w.children[1].children
    assert "<img src=x" not in table.value and "&lt;img src=x onerror=alert(1)&gt;" in table.value
    assert "keeps 1 of 3" in summary.value and gallery.children == ()  # scores above 0.3 go
    slider.value = 0.95
    assert "keeps 3 of 3" in summary.value


def test_five_e_minus_one_is_a_float_parameter() -> None:
    from workbench.reports import ReportParameter, _coerce

    def coerce(value: str, kind: str) -> object:
        return _coerce(value, ReportParameter("x", kind, "0", ""))

    assert coerce("5e-1", "float") == 0.5 and coerce("1E3", "float") == 1000.0 and coerce("3", "int") == 3
    with pytest.raises(WorkbenchError, match="expects int"):
        coerce("2.5", "int")


def test_dates_read_one_way_only() -> None:
    from workbench._internal.dates import parse_dates

    iso_and_dmy = pd.Series(["2025-03-01", "04/03/2025", "13/03/2025"])
    with pytest.raises(WorkbenchError, match="holds dates in 3 formats") as err:
        parse_dates(iso_and_dmy, table="t", column="timestamp")
    assert "'2025-03-01'" in str(err.value) and "'13/03/2025'" in str(err.value)
    parsed = parse_dates(iso_and_dmy, table="t", column="timestamp", date_format="%d/%m/%Y")
    assert parsed.dt.strftime("%d %b").tolist() == ["01 Mar", "04 Mar", "13 Mar"]  # 04/03 is 4 March, as told
    with pytest.raises(WorkbenchError, match="cannot be told"):
        parse_dates(pd.Series(["04/03/2025", "05/03/2025"]), table="t", column="timestamp")


def test_label_variants_are_warned_and_normalised(inputs: dict[str, Path]) -> None:
    from workbench import agreement
    from workbench.errors import LabelVariantWarning

    with pytest.warns(LabelVariantWarning, match=r"'Positive' \(\d+\)"):
        raw = io.load_table(inputs["variants"], kind="annotations")
    clean = io.load_table(inputs["variants"], kind="annotations", normalize_labels=True)
    assert set(raw["label"]) == {"positive", "Positive", "positive ", "negative"}
    assert set(clean["label"]) == {"positive", "negative"}
    assert agreement.krippendorff_alpha(clean) > agreement.krippendorff_alpha(raw)


@pytest.mark.parametrize("labels", [["a", "b", "a"], ["Positive", "positive ", "neg"], ["x", " ", None], []])
def test_label_variants_of_a_text_column_equal_those_of_the_same_objects(labels: list[str | None]) -> None:
    from workbench._internal.label_variants import label_variants

    text = pd.Series(labels, dtype="str")  # (the shortcut: distinct spellings first)
    pd.testing.assert_frame_equal(label_variants(text), label_variants(text.astype(object)),
                                  check_index_type=False, check_dtype=bool(labels))


def test_one_item_interval_is_not_estimable(inputs: dict[str, Path]) -> None:
    from workbench import agreement

    ci = agreement.bootstrap_ci(agreement.krippendorff_alpha, io.load_table(inputs["one_item"]), n_resamples=20)
    assert not ci.estimable and math.isnan(ci.low) and "not estimable" in ci.summary()


def test_long_text_is_streamed_in_bounded_pieces(tmp_path: Path) -> None:
    """A long document is tokenized piece by piece (never whole) and scores as the whole-text path."""
    from tests.tiny_models import WORDS
    from workbench.scoring.perplexity import load_language_model, perplexity_frame

    lm = load_language_model(str(save_tiny_lm(tmp_path / "lm", "llama")), device="cpu")
    text = " ".join(np.random.default_rng(0).choice(WORDS, 6000))
    whole = perplexity_frame([text], model=lm, max_length=64)
    seen: list[int] = []
    tokenizer = lm.tokenizer

    class Spy:
        def __call__(self, value: object, **kw: object) -> object:
            seen.extend(len(v) for v in (value if isinstance(value, list) else [value]))
            return tokenizer(value, **kw)

        def __getattr__(self, name: str) -> object:
            return getattr(tokenizer, name)

    object.__setattr__(lm, "tokenizer", Spy())
    streamed = perplexity_frame([text], model=lm, max_length=64, long_text_chars=1000)
    assert max(seen) <= 1000 < len(text)
    assert int(streamed["n_tokens"].iloc[0]) == int(whole["n_tokens"].iloc[0]) == 6000
    assert streamed["perplexity"].iloc[0] == pytest.approx(whole["perplexity"].iloc[0], rel=0.01)


@pytest.mark.slow
def test_interrupted_report_ends_as_failed_notebook(tmp_path: Path) -> None:
    """SIGTERM during a run: the partial notebook becomes NAME.failed.ipynb, no hidden leftover."""
    import signal
    import sys
    import time

    import nbformat

    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("seconds: int = 60", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import time\ntime.sleep(seconds)")]
    nbformat.write(nb, nbs / "sleepy.ipynb")
    out = tmp_path / "reports"
    env = {**os.environ, "WORKBENCH_NOTEBOOKS": str(nbs)}
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "report", "sleepy", "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob("sleepy/*/.sleepy.running.ipynb")):
        time.sleep(0.5)
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert len(list(out.glob("sleepy/*/sleepy.failed.ipynb"))) == 1
    assert not list(out.glob("sleepy/*/.sleepy.running.ipynb")) and not list(out.glob("sleepy/*/*.html"))


# ---- reports never run markup from their inputs ---------------------------------------------
# Every report runs on copies of the sample tables whose text columns (ids, labels, cohorts,
# categories, texts, captions, vendor names...) carry markup payloads, with payloads in its
# free-text parameters and in the folder name of its inputs. The HTML is parsed: no element
# may be one the payload made (a <script> holding the payload's code, an on*= attribute or a
# javascript: URL carrying its marker). One report is also opened in Chromium (--dump-dom),
# where a payload that ran would leave its attribute on <body>.

MARK = "pwn21"
ACTION = f"document.body.setAttribute('data-{MARK}','1')"
#: Appended to every text value: a script, an event handler, a javascript: link (HTML and
#: Markdown), an unclosed tag and Markdown syntax.
PAYLOAD = (
    f" <script>{ACTION}</script><img src=x onerror=\"{ACTION}\">"
    f"<a href=\"javascript:{ACTION}\">a</a>[m](javascript:{ACTION}) **<b>"
)
#: For file and folder names (no "/"): an event handler that needs no closing tag.
NAME_PAYLOAD = f"<img src=x onerror={MARK}()>"


def poison(value: object) -> object:
    """The same payload after every text value, so joins between tables still match."""
    if isinstance(value, str) and value:
        return value + PAYLOAD
    return value


def _poisoned(frame: pd.DataFrame, columns: list[str], *, every: int = 1) -> pd.DataFrame:
    out = frame.copy()
    for c in columns:
        if c in out.columns:
            rows = out.index[::every]
            out.loc[rows, c] = out.loc[rows, c].astype(object).map(poison)
    return out


class _LiveMarkup(HTMLParser):
    """Collects elements a payload would have made live."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if any(name == f"data-{MARK}" for name, _ in attrs):  # what a payload that ran leaves
            self.found.append(f"<{tag} data-{MARK}>")
        for name, value in attrs:
            v = (value or "").strip().lower()
            if name.lower().startswith("on") and MARK in v:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name.lower() in ("href", "src", "action", "formaction") and v.startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip() == ACTION:
            self.found.append(f"<script>{data}</script>")


def live_markup(html_text: str) -> list[str]:
    parser = _LiveMarkup()
    parser.feed(html_text)
    return parser.found


def test_checker_finds_live_payloads() -> None:
    """The checker is not blind: raw payloads are found, escaped ones are not."""
    from workbench.reports import escape_html

    assert len(live_markup(f"<p>{PAYLOAD}</p><p>{NAME_PAYLOAD}</p>")) == 4
    assert live_markup(f"<body data-{MARK}='1'></body>") == [f"<body data-{MARK}>"]
    assert live_markup(f"<p>{escape_html(PAYLOAD)}{escape_html(NAME_PAYLOAD)}</p>") == []


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small copies of the sample tables with payloads, in a folder whose name is a payload."""
    root = tmp_path_factory.mktemp("markup") / NAME_PAYLOAD
    root.mkdir()
    ann_cols = ["item_id", "annotator_id", "label", "cohort", "category", "guideline_version"]
    ann = io.load_table(DATA_SAMPLES / "reviews_10x5000.csv")
    items = sorted(ann["item_id"].unique())[:1500]
    gold = io.load_table(DATA_SAMPLES / "reviews_10x5000_gold.csv")
    texts = io.load_table(DATA_SAMPLES / "reviews_10x5000_items.csv")
    io.save_table(_poisoned(ann[ann["item_id"].isin(items)], ann_cols), root / f"ann{NAME_PAYLOAD}.csv")
    io.save_table(_poisoned(ann, ann_cols), root / "ann_full.csv")
    io.save_table(_poisoned(gold, ["item_id", "label"]), root / "gold.csv")
    io.save_table(_poisoned(texts, ["item_id", "text", "category"]), root / "texts.csv")
    pref_cols = ["pair_id", "annotator_id", "response_a", "response_b", "prompt", "category", "vendor"]
    for name in ("preferences_5x200", "vendor_a", "vendor_b"):
        io.save_table(_poisoned(io.load_table(DATA_SAMPLES / f"{name}.csv"), pref_cols), root / f"{name}.csv")
    io.save_table(_poisoned(io.load_table(DATA_SAMPLES / "vendor_gold.csv"), ["item_id"]), root / "vendor_gold.csv")
    corpus = io.load_table(DATA_SAMPLES / "corpus.jsonl").head(1500)
    corpus = _poisoned(corpus, ["doc_id", "source"])
    io.save_table(_poisoned(corpus, ["text"], every=10), root / "corpus.jsonl")
    with ReviewStore(root / "reviews.sqlite", synchronous="NORMAL") as store:
        for i in range(12):
            for reviewer in ("alice", "bob"):
                store.record(poison(f"doc-{i}"), poison(reviewer), poison(["Acceptable", "Unsafe"][i % 2]),
                             tags=(poison("tag"),), note=poison("note"), queue=poison("triage"))
    save_tiny_lm(root / "tiny_lm", "llama")  # perplexity in seconds; its scores are not the point here
    captions = io.load_table(DATA_SAMPLES / "image_captions" / "image_captions.csv").head(120)
    (root / "images").mkdir()
    for rel in captions["image"]:
        shutil.copy(DATA_SAMPLES / "image_captions" / rel, root / rel)
    io.save_table(_poisoned(captions, ["pair_id", "caption"]), root / "image_captions.csv")
    cap_truth = io.load_table(DATA_SAMPLES / "truth" / "image_captions_rows.csv")
    io.save_table(_poisoned(cap_truth, ["pair_id"]), root / "image_captions_rows.csv")
    reviewed = pd.DataFrame({"item_id": [f"doc-{i}" for i in range(80)], "correct": [i % 20 != 3 for i in range(80)]})
    io.save_table(_poisoned(reviewed, ["item_id"]), root / "reviewed.csv")  # issue 32: the errors table shows ids
    # issue 30: ids, texts and a score's name reach the label issues, the weights and the verdict
    scored = samples.make_scored_items(400, label_noise=0.05, rng=0)
    items = scored.tables["items"].rename(columns={"noise": "noise" + NAME_PAYLOAD})
    io.save_table(_poisoned(items, ["item_id", "text"]), root / "scored_items.csv")
    io.save_table(_poisoned(scored.tables["decisions"], ["item_id"]), root / "decisions.csv")
    return root


def _parameters(name: str, d: Path) -> dict[str, object]:
    """Each report's inputs pointed at the payload tables, free text set to payloads, sizes small."""
    p = {
        "data_overview": {"table": d / f"ann{NAME_PAYLOAD}.csv"},
        "annotation_reliability": {
            "annotations_path": d / f"ann{NAME_PAYLOAD}.csv", "gold_path": d / "gold.csv",
            "preferences_path": d / "preferences_5x200.csv", "n_resamples": 50,
        },
        "annotator_drift": {"annotations_path": d / "ann_full.csv", "gold_path": d / "gold.csv"},
        "length_bias": {"preferences_path": d / "preferences_5x200.csv"},
        "vendor_comparison": {
            "vendor_a": d / "vendor_a.csv", "vendor_b": d / "vendor_b.csv", "gold": d / "vendor_gold.csv",
            "name_a": "Acme" + PAYLOAD, "name_b": "Beta" + PAYLOAD, "n_resamples": 200,
        },
        "threshold_exploration": {
            "corpus_path": d / "corpus.jsonl", "captions_path": d / "image_captions.csv",
            "corpus_truth_path": "", "captions_truth_path": d / "image_captions_rows.csv",
            "n_docs": 40, "n_pairs": 120, "cache_dir": d / "cache", "perplexity_model": d / "tiny_lm",
        },
        "dedup_audit": {"corpus_path": d / "corpus.jsonl"},
        "spot_check_review": {
            "sample": d / "corpus.jsonl", "reviewer": "rev" + PAYLOAD, "n_items": 600, "queue_size": 120,
            "simulated_per_reviewer": 100,
        },
        "quality_dashboard": {"store_path": d / "reviews.sqlite", "reports_dir": ""},
        "acceptance_plan": {"reviewed_path": d / "reviewed.csv", "method": "iso2859", "lot_size": 1000},
        "filter_learning": {"items_path": d / "scored_items.csv", "decisions_path": d / "decisions.csv",
                            "curve_seeds": 1},
        "data_intervention_ab": {
            "annotations_path": d / "ann_full.csv", "texts_path": d / "texts.csv", "gold_path": d / "gold.csv",
            "corpus_path": d / "corpus.jsonl", "n_repeats": 2, "reference_docs": 200,
        },
    }[name]
    return {k: str(v) if isinstance(v, Path) else v for k, v in p.items()}


REPORTS = reports.available_reports()


def test_every_report_is_covered() -> None:
    for name in REPORTS:
        assert _parameters(name, Path("x"))


@pytest.fixture(scope="module")
def payload_reports() -> dict[str, Path]:
    """Report name -> its HTML on the payload inputs; each report runs once per module."""
    return {}


def _payload_report(name: str, hostile: Path, runs: dict[str, Path], out: Path) -> str:
    if name not in runs:
        runs[name] = reports.run_report(name, _parameters(name, hostile), out_dir=out, progress=False).html
    return runs[name].read_text(encoding="utf-8")


# The report rows of the table: where markup from the data once ran.
REPORT_CASES = [
    ("data_overview: table path and top label in Markdown", "data_overview"),
    ("annotator_drift: cohort/category/guideline values in the Styler tables", "annotator_drift"),
    ("vendor_comparison: <script> in name_a / name_b", "vendor_comparison"),
]


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("name", [c[1] for c in REPORT_CASES], ids=[c[0] for c in REPORT_CASES])
def test_hostile_report_case(name: str, hostile: Path, payload_reports: dict[str, Path],
                             tmp_path_factory: pytest.TempPathFactory) -> None:
    page = _payload_report(name, hostile, payload_reports, tmp_path_factory.mktemp("reports"))
    assert live_markup(page) == [] and MARK in page


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("name", REPORTS)
def test_report_shows_payloads_as_text(name: str, hostile: Path, payload_reports: dict[str, Path],
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every report, payloads in every text column and free-text parameter: no live markup."""
    page = _payload_report(name, hostile, payload_reports, tmp_path_factory.mktemp("reports"))
    assert live_markup(page) == []
    if name != "data_intervention_ab":  # that report shows only counts and effects, no labels or ids
        # the payloads did reach the report (shown as text), so the check is not vacuous
        assert "onerror" in page and MARK in page


@pytest.mark.slow
@pytest.mark.browser
def test_browser_runs_no_payload(hostile: Path, payload_reports: dict[str, Path], tmp_path: Path) -> None:
    """Chromium opens the vendor report with payloads: nothing ran (``--dump-dom`` after the scripts)."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium (tests/install_browser.sh installs it)")
    _payload_report("vendor_comparison", hostile, payload_reports, tmp_path / "reports")
    html_path = payload_reports["vendor_comparison"]
    proc = subprocess.run(
        [str(chromium), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--virtual-time-budget=5000", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", html_path.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    dom = proc.stdout
    assert "Recommendation" in dom, proc.stderr[-2000:]  # the page rendered
    assert f"&lt;script&gt;{ACTION}&lt;/script&gt;" in dom  # the payload is on the page as text
    assert live_markup(dom) == []  # and did not run: no data-pwn21 attribute on <body>, no live element
