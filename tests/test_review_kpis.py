"""Review KPIs (agreement, gold accuracy, throughput, cost, trends) and the `workbench review` CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from workbench.cli import app
from workbench.errors import WorkbenchError
from workbench.review import (
    ReviewStore,
    SimulatedReviewer,
    gold_accuracy,
    review_kpis,
    reviewer_agreement,
    simulate_session,
    throughput,
)
from workbench.review.kpis import display_times, trends


def test_agreement_matches_sklearn_kappa_on_shared_items() -> None:
    g = np.random.default_rng(0)
    labels = np.array(["Acceptable", "Poor quality", "Unsafe"])
    a = g.choice(labels, 80)
    b = np.where(g.uniform(size=80) < 0.7, a, g.choice(labels, 80))
    d = pd.concat(
        [
            pd.DataFrame({"item_id": [f"i{k}" for k in range(80)], "reviewer": "ann", "decision": a}),
            pd.DataFrame({"item_id": [f"i{k}" for k in range(80)], "reviewer": "bob", "decision": b}),
            # carol shares only 10 items with ann and none with bob's other items
            pd.DataFrame({"item_id": [f"i{k}" for k in range(10)], "reviewer": "carol", "decision": a[:10]}),
            pd.DataFrame({"item_id": ["solo"], "reviewer": "dan", "decision": ["Unsafe"]}),
        ]
    )
    out = reviewer_agreement(d).set_index(["reviewer_a", "reviewer_b"])
    assert out.loc[("ann", "bob"), "kappa"] == pytest.approx(cohen_kappa_score(a, b))
    assert out.loc[("ann", "bob"), "agreement"] == pytest.approx((a == b).mean())
    assert out.loc[("ann", "carol"), "n_items"] == 10 and out.loc[("ann", "carol"), "kappa"] == pytest.approx(1.0)
    assert ("dan" not in out.index.get_level_values(0)) and ("dan" not in out.index.get_level_values(1))


def test_gold_accuracy_with_wilson_interval_and_label_map() -> None:
    d = pd.DataFrame(
        {"item_id": ["g1", "g2", "g3", "g4", "x"], "reviewer": ["a"] * 4 + ["b"],
         "decision": ["Unsafe", "Acceptable", "Poor quality", "Acceptable", "Unsafe"]}
    )
    gold = pd.DataFrame({"item_id": ["g1", "g2", "g3", "g4"], "label": ["bad", "ok", "bad", "bad"]})
    out = gold_accuracy(d, gold, label_map={"Unsafe": "bad", "Poor quality": "bad", "Acceptable": "ok"})
    row = out.set_index("reviewer").loc["a"]
    assert (row["n_gold"], row["n_correct"]) == (4, 3)
    low, high = proportion_confint(3, 4, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert "b" not in set(out["reviewer"])  # b reviewed no gold item
    with pytest.raises(WorkbenchError, match="missing column"):
        gold_accuracy(d, gold.rename(columns={"label": "truth"}))


def test_throughput_ignores_breaks_and_undos() -> None:
    t0 = pd.Timestamp("2026-01-05 09:00", tz="UTC")
    times = [t0 + pd.Timedelta(seconds=30 * k) for k in range(11)] + [t0 + pd.Timedelta(hours=5)]
    e = pd.DataFrame({"reviewer": "a", "kind": ["decision"] * 12, "created_at": times})
    e = pd.concat([e, pd.DataFrame({"reviewer": ["a"], "kind": ["undo"], "created_at": [t0 + pd.Timedelta(seconds=31)]})])
    row = throughput(e).iloc[0]
    assert row["n_items"] == 12
    assert row["active_hours"] == pytest.approx(300 / 3600)  # ten 30-s gaps; the 5-h break is not work
    assert row["items_per_hour"] == pytest.approx(120.0)


def test_review_kpis_on_a_simulated_review(tmp_path: Path) -> None:
    g = np.random.default_rng(1)
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(300)], "text": "t", "score": g.uniform(0, 1, 300)})
    sim = SimulatedReviewer("score", "max", 0.7, error_rate=0.1)
    gold_rows = items.sample(30, random_state=0)
    gold = pd.DataFrame({"item_id": gold_rows["item_id"], "label": sim.truth(gold_rows["score"]).to_numpy()})
    store = ReviewStore(tmp_path / "k.sqlite", synchronous="NORMAL")
    opts = dict(gold=gold["item_id"].tolist(), gold_share=0.15, overlap_share=0.3, queue_rng=2)
    simulate_session(items, store, sim, name="s1", n=150, rate_per_hour=100, rng=1, start="2026-01-05 09:00", **opts)
    simulate_session(items, store, sim, name="s2", n=150, rate_per_hour=200, rng=2, start="2026-01-06 09:00", **opts)
    k = review_kpis(store, gold=gold, cost_per_hour=40.0, idle="5min")
    per = k.to_frame().set_index("reviewer")
    # the faster reviewer is measured faster; rates near the simulated pace
    assert per.loc["s2", "items_per_hour"] > per.loc["s1", "items_per_hour"]
    assert 60 < per.loc["s1", "items_per_hour"] < 140
    # 10% errors: accuracy on hidden gold near 0.9; agreement of two such reviewers ~0.81
    assert 0.75 < k.gold_accuracy <= 1.0
    assert len(k.agreement) == 1 and k.agreement["n_items"].iloc[0] >= 20
    assert 0.4 < k.mean_kappa < 1.0
    assert k.cost == pytest.approx(per["cost"].sum()) and k.cost == pytest.approx(k.active_hours * 40.0)
    assert k.cost_per_validated == pytest.approx(k.cost / k.n_validated)
    assert k.n_decisions == len(store.decisions())
    assert set(k.trends["period"].dt.day) == {5, 6}
    assert "accuracy on hidden gold" in k.summary()


def test_trends_per_period() -> None:
    d = pd.DataFrame(
        {"item_id": ["a", "b", "c", "d"], "reviewer": ["x", "x", "y", "y"],
         "decision": ["Acceptable", "Unsafe", "Unsafe", "Unsafe"],
         "created_at": pd.to_datetime(["2026-01-01 10:00", "2026-01-01 11:00", "2026-01-02 10:00", "2026-01-02 12:00"], utc=True)}
    )
    t = trends(d, gold=pd.DataFrame({"item_id": ["a", "c"], "label": ["Acceptable", "Acceptable"]}))
    assert t["n_decisions"].tolist() == [2, 2] and t["flagged_share"].tolist() == [0.5, 1.0]
    assert t["gold_accuracy"].tolist() == [1.0, 0.0]


def test_cli_review_export_and_kpis(tmp_path: Path) -> None:
    store_path = tmp_path / "r.sqlite"
    with ReviewStore(store_path) as s:
        s.record("a", "ann", "Unsafe", created_at="2026-01-05 09:00")
        s.record("a", "bob", "Unsafe", created_at="2026-01-05 09:01")
        s.record("b", "ann", "Acceptable", created_at="2026-01-05 09:02")
        s.record("c", "ann", "Biased", created_at="2026-01-05 09:03")
        s.undo("ann")
    runner = CliRunner()
    out = tmp_path / "decisions.csv"
    res = runner.invoke(app, ["review", "export", str(store_path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "wrote 3 decisions" in res.output
    assert sorted(pd.read_csv(out)["item_id"]) == ["a", "a", "b"]
    res = runner.invoke(app, ["review", "export", str(store_path), "--out", str(tmp_path / "e.parquet"), "--events"])
    assert res.exit_code == 0 and len(pd.read_parquet(tmp_path / "e.parquet")) == 5
    gold = tmp_path / "gold.csv"
    pd.DataFrame({"item_id": ["a", "b"], "label": ["Unsafe", "Unsafe"]}).to_csv(gold, index=False)
    res = runner.invoke(app, ["review", "kpis", str(store_path), "--gold", str(gold), "--cost-per-hour", "60"])
    assert res.exit_code == 0, res.output
    assert "3 decisions on 2 items by 2 reviewer(s)" in res.output
    assert "accuracy on hidden gold 66.7%" in res.output
    res = runner.invoke(app, ["review", "kpis", str(tmp_path / "missing.sqlite")])
    assert isinstance(res.exception, WorkbenchError) and "no review store" in str(res.exception)


def test_reviewers_deciding_faster_than_they_can_read_are_reported(tmp_path: Path) -> None:
    """Planted: one simulated reviewer decides every ~0.2 s (typing ahead); two read at a
    normal pace. Only the fast one is reported; on the null store (no speeder) nobody is."""
    items = pd.DataFrame({"item_id": [f"i{k}" for k in range(400)], "text": "t", "score": np.linspace(0, 1, 400)})
    sim = SimulatedReviewer("score", "max", 0.7, error_rate=0.05)
    store = ReviewStore(tmp_path / "d.sqlite", synchronous="NORMAL")
    for name, rate, seed in (("careful", 120, 1), ("steady", 300, 2)):
        simulate_session(items, store, sim, name=name, n=60, rate_per_hour=rate, rng=seed, start="2026-01-05 09:00")
    null = review_kpis(store)
    assert null.too_fast == () and "Implausibly fast" not in null.summary()
    simulate_session(items, store, sim, name="speeder", n=60, rate_per_hour=18_000, rng=3, start="2026-01-05 10:00")
    k = review_kpis(store)
    assert k.too_fast == ("speeder",) and "Implausibly fast" in k.summary() and "speeder" in k.summary()
    shown = k.display.set_index("reviewer")
    assert shown.loc["speeder", "median_display_ms"] < 400 < 10_000 < shown.loc["careful", "median_display_ms"]
    assert shown["n_timed"].min() >= 50
    assert k.to_frame().set_index("reviewer")["too_fast"].to_dict() == {"careful": False, "speeder": True, "steady": False}
    # a store from before display times were recorded: no times, nobody flagged
    assert display_times(store.events().assign(display_ms=np.nan)).empty
