"""Reports never run markup from their inputs (issue 21).

Every report runs on copies of the sample tables whose text columns (ids, labels, cohorts,
categories, texts, captions, vendor names...) carry markup payloads, with payloads in its free-
text parameters and in the folder name of its inputs. The HTML is parsed: no element may be
one the payload made (a ``<script>`` holding the payload's code, an ``on*=`` attribute or a
``javascript:`` URL carrying the payload's marker). One report is also opened in Chromium
(``--dump-dom``), where a payload that ran would leave its attribute on ``<body>``.
"""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import DATA_SAMPLES
from tests.tiny_models import save_tiny_lm
from workbench import io, reports

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
    save_tiny_lm(root / "tiny_lm", "llama")  # perplexity in seconds; its scores are not the point here
    captions = io.load_table(DATA_SAMPLES / "image_captions" / "image_captions.csv").head(120)
    (root / "images").mkdir()
    for rel in captions["image"]:
        shutil.copy(DATA_SAMPLES / "image_captions" / rel, root / rel)
    io.save_table(_poisoned(captions, ["pair_id", "caption"]), root / "image_captions.csv")
    cap_truth = io.load_table(DATA_SAMPLES / "truth" / "image_captions_rows.csv")
    io.save_table(_poisoned(cap_truth, ["pair_id"]), root / "image_captions_rows.csv")
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


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.xdist_group(f"markup-{n}")) for n in REPORTS]
)
def test_report_shows_payloads_as_text(name: str, hostile: Path, tmp_path: Path) -> None:
    run = reports.run_report(name, _parameters(name, hostile), out_dir=tmp_path, progress=False)
    page = run.html.read_text(encoding="utf-8")
    assert live_markup(page) == []
    if name != "data_intervention_ab":  # that report shows only counts and effects, no labels or ids
        # the payloads did reach the report (shown as text), so the check is not vacuous
        assert "onerror" in page and MARK in page


@pytest.mark.slow
@pytest.mark.browser
def test_browser_runs_no_payload(hostile: Path, tmp_path: Path) -> None:
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("chromium is not installed at /usr/bin/chromium (tests/install_browser.sh installs it)")
    run = reports.run_report("vendor_comparison", _parameters("vendor_comparison", hostile),
                             out_dir=tmp_path, progress=False)
    proc = subprocess.run(
        [str(chromium), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--virtual-time-budget=5000", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", run.html.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    dom = proc.stdout
    assert "Recommendation" in dom, proc.stderr[-2000:]  # the page rendered
    assert f"&lt;script&gt;{ACTION}&lt;/script&gt;" in dom  # the payload is on the page as text
    assert live_markup(dom) == []  # and did not run: no data-pwn21 attribute on <body>, no live element
