"""What a reviewer and a lead see is true (issue 28, parts 3 and 4): no made-up gold in a real
review, the queue's reason does not anchor the reviewer, the history says which item it was,
and the dashboard's batch tile shows what the report decided."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.analyses import quality_dashboard, spot_check_review
from workbench.dashboard import tiles_html
from workbench.review import ReviewQueue, ReviewStore, ReviewWidget, Triage


def _items(n: int) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": [f"d{i:02d}" for i in range(n)],
                         "text": [f"item number {i} " + "word " * (i % 7) for i in range(n)],
                         "score": np.linspace(0, 1, n)})


def test_a_real_review_without_a_gold_file_serves_no_gold(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    _items(80).drop(columns="score").to_json(corpus, orient="records", lines=True)
    res = spot_check_review.run(corpus, store_path=tmp_path / "r.sqlite", simulate=False, strategy="random",
                                calibrate_min_per_side=5)
    assert res.gold is None and not res.queue.plan["gold"].any()
    assert np.isnan(res.kpis.gold_accuracy) and "no hidden gold" in " ".join(res.findings)
    assert res.verdict.outcome == "no_decisions" and res.checks().ok


def test_blind_review_hides_the_reason_until_the_decision(tmp_path: Path) -> None:
    with ReviewStore(tmp_path / "r.sqlite", synchronous="NORMAL") as store:
        q = ReviewQueue(_items(30), store, reviewer="ann", strategy=Triage(high={"score": 0.5}, explore_share=0.0))
        w = ReviewWidget(q, min_display_ms=0)
        first = w.current
        assert first is not None and "score" in first.reason
        assert "score" not in w.view["header"]  # the reviewer decides without the scorer's opinion
        assert w.decide("Acceptable")
        assert "queued for: high score" in w.status["text"]
        shown = ReviewWidget(q, min_display_ms=0, blind=False)
        assert "high score" in shown.view["header"] and ">" not in shown.view["header"].replace("<b>", "").replace("</b>", "")
        h = w.history[0]
        assert h["item_id"] == first.item_id and h["snippet"].startswith("item number")


def test_the_batch_tile_shows_a_rejected_batch_as_rejected(tmp_path: Path) -> None:
    """A run that succeeded with the verdict 'reject' is a rejected batch, in red, not 'succeeded'."""
    store = tmp_path / "r.sqlite"
    with ReviewStore(store, synchronous="NORMAL") as s:
        s.record("a", "ann", "ok")
    run = tmp_path / "reports" / "annotation_reliability" / "20260101-000000-aaaa"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({
        "report": "annotation_reliability", "run_id": "20260101-000000-aaaa", "status": "succeeded",
        "started_at": "2026-01-01T00:00:00+00:00", "finished_at": "2026-01-01T00:01:00+00:00", "parameters": {},
        "headlines": ["batch rejected: alpha 0.41 < 0.70"],
        "verdict": {"outcome": "reject", "tone": "bad", "headline": "batch rejected: alpha 0.41 < 0.70"}}))
    res = quality_dashboard.run(store, reports_dir=tmp_path / "reports")
    html = tiles_html(res.snapshot)
    tile = html[html.index("Latest batch"):][:400]
    assert "wb-bad" in html[html.index("Latest batch") - 80:html.index("Latest batch")]
    assert ">reject<" in tile and "succeeded" not in tile


def test_the_threshold_explorer_speaks_plainly() -> None:
    """Issue 28, part 5: no '1.22e+3', 'kept'/'dropped' instead of below/above, a wide slider that
    updates the view while it moves (arrow keys and mouse alike)."""
    from workbench.plots.scoring import threshold_explorer

    s = pd.DataFrame({"perplexity": [10.0, 20.0, 900.0, 1220.0, 3000.0], "text": list("abcde")})
    w = threshold_explorer(s, "perplexity", threshold=1220, log=True, text="text")
    slider, view = w.children[0], w.children[1]
    assert slider.continuous_update and slider.readout_format == ",.0f" and "48em" in slider.layout.width
    assert "threshold 1,220" in view.children[0].value and "e+" not in view.children[0].value
    assert ">dropped<" in view.children[1].value and ">kept<" in view.children[1].value
    low = threshold_explorer(pd.DataFrame({"clip_score": [0.1, 0.2, 0.8], "text": list("abc")}), "clip_score",
                             direction="min", threshold=0.5, text="text")
    table_html = low.children[1].children[1].value
    assert table_html.index("0.2") < table_html.index(">dropped<")  # below a minimum is dropped


def test_drift_control_charts_mark_alerts_only_where_the_table_has_them() -> None:
    """Issue 28: red signal marks on annotators absent from the alert table, and each panel on
    its own y-range, said the opposite of the alert table."""
    from workbench.drift import detect_drift
    from workbench.plots.drift import control_charts_figure

    rng = np.random.default_rng(3)
    n = 900
    t = pd.date_range("2024-01-01", periods=n, freq="2h")
    who = np.array(["steady", "drifter", "noisy"])[np.arange(n) % 3]
    p_ok = np.where((who == "drifter") & (np.arange(n) > n // 2), 0.55, 0.92)
    ann = pd.DataFrame({"item_id": [f"q{i}" for i in range(n)], "annotator_id": who,
                        "label": np.where(rng.random(n) < p_ok, "x", "y"), "timestamp": t})
    res = detect_drift(ann, gold=pd.DataFrame({"item_id": ann["item_id"], "label": "x"}))
    fig = control_charts_figure(res, metric="gold_accuracy")
    alerted = set(res.alerts.loc[res.alerts["metric"] == "gold_accuracy", "group"])
    assert "drifter" in alerted
    for trace in fig.data:
        if str(trace.name).startswith("outside the limits") and len(trace.x):
            panel_alerted = trace.name.endswith("alerted")
            assert panel_alerted == (trace.marker.color == "#d62728")
    ranges = {tuple(fig.layout[k].range) for k in fig.layout if k.startswith("yaxis") and fig.layout[k].range}
    assert len(ranges) == 1  # one y-range shared by every panel


def test_the_line_under_the_widget_follows_it(tmp_path: Path) -> None:
    """Issue 28: the cells under the widget said '0 decisions in effect' while it said '8 done'."""
    corpus = tmp_path / "corpus.jsonl"
    _items(40).drop(columns="score").to_json(corpus, orient="records", lines=True)
    res = spot_check_review.run(corpus, store_path=tmp_path / "r.sqlite", simulate=False, strategy="random",
                                min_display_ms=0)
    box = res.review_widget()
    widget, line = box.children
    assert "0 decisions in effect now" in line.value and "as of Run All (0)" in line.value
    for _ in range(3):
        assert widget.decide("Acceptable")
    assert "3 decisions in effect now" in line.value and "+3 since" in line.value
