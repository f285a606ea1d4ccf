"""LiveKPIs (incremental) gives the numbers review_kpis (the definition, over the whole log)
gives, after every batch of events: revisions, undos of decisions and skips, out-of-order
times, several queues, display times and gold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.review.kpis import review_kpis
from workbench.review.live import LiveKPIs

DECISIONS = ["Acceptable", "Poor quality", "Unsafe"]


def random_log(n: int, seed: int, *, reviewers: int = 5, items: int = 40) -> pd.DataFrame:
    """Events as a review store holds them: decisions, skips and undos of earlier decisions
    or skips (each at most once), times mostly increasing, some out of order."""
    gen = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    undone: set[int] = set()
    t = pd.Timestamp("2026-03-01 09:00", tz="UTC")
    for eid in range(1, n + 1):
        t = t + pd.Timedelta(seconds=float(gen.exponential(120)))
        when = t - pd.Timedelta(minutes=30) if gen.uniform() < 0.05 else t  # late arrivals
        who = f"r{int(gen.integers(reviewers))}"
        u = gen.uniform()
        row: dict[str, object] = {"event_id": eid, "reviewer": who, "created_at": when, "undoes": None,
                                  "queue": ["", "main", "second"][int(gen.integers(3))], "session": "",
                                  "display_ms": float(gen.lognormal(7, 1)) if gen.uniform() < 0.7 else np.nan}
        candidates = [r for r in rows if r["kind"] != "undo" and r["event_id"] not in undone]
        if u < 0.12 and candidates:
            target = candidates[int(gen.integers(len(candidates)))]
            undone.add(int(target["event_id"]))  # type: ignore[arg-type]
            row.update(kind="undo", item_id=target["item_id"], reviewer=target["reviewer"], decision=None,
                       undoes=target["event_id"], display_ms=np.nan)
        elif u < 0.2:
            row.update(kind="skip", item_id=f"i{int(gen.integers(items))}", decision=None)
        else:
            row.update(kind="decision", item_id=f"i{int(gen.integers(items))}",
                       decision=DECISIONS[int(gen.choice(3, p=[0.6, 0.3, 0.1]))])
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["undoes"] = pd.array(frame["undoes"], dtype="Int64")
    return frame[["event_id", "kind", "item_id", "reviewer", "decision", "queue", "session", "created_at",
                  "undoes", "display_ms"]]


GOLD = pd.DataFrame({"item_id": [f"i{k}" for k in range(0, 40, 4)], "label": ["Acceptable", "Unsafe"] * 5})


def assert_same(live: LiveKPIs, events: pd.DataFrame, gold: pd.DataFrame | None, freq: str) -> None:
    full = review_kpis(events, gold=gold, freq=freq)
    got = live.kpis(freq)
    for name in ("n_decisions", "n_items", "n_validated", "too_fast"):
        assert getattr(got, name) == getattr(full, name), name
    for name in ("active_hours", "cost", "cost_per_validated", "mean_kappa", "gold_accuracy"):
        np.testing.assert_allclose(getattr(got, name), getattr(full, name), rtol=1e-9, err_msg=name)
    pd.testing.assert_frame_equal(got.per_reviewer, full.per_reviewer, check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(got.agreement.reset_index(drop=True), full.agreement.reset_index(drop=True),
                                  check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(got.display.reset_index(drop=True), full.display.reset_index(drop=True),
                                  check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(got.trends, full.trends, check_dtype=False, rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("first", [5, 1_500])  # one event at a time from the start / a bulk first load
@pytest.mark.parametrize("gold", [None, GOLD])
def test_live_kpis_equal_the_full_computation_after_every_batch(seed: int, first: int,
                                                                 gold: pd.DataFrame | None) -> None:
    events = random_log(1_800, seed)
    live = LiveKPIs(gold=gold)
    bounds = [0, first, *range(first + 37, len(events), 61), len(events)]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        live.add(events.iloc[lo:hi])
        assert_same(live, events.iloc[:hi], gold, freq="1h")
    assert live.n_events == len(events)


def test_undoing_the_latest_decision_brings_back_the_one_before() -> None:
    t = pd.Timestamp("2026-01-01", tz="UTC")
    events = pd.DataFrame({
        "event_id": [1, 2, 3, 4], "kind": ["decision", "decision", "decision", "undo"],
        "item_id": "a", "reviewer": ["x", "y", "x", "x"], "decision": ["Acceptable", "Unsafe", "Unsafe", None],
        "queue": "", "session": "", "created_at": [t + pd.Timedelta(minutes=k) for k in range(4)],
        "undoes": pd.array([None, None, None, 3], dtype="Int64"), "display_ms": np.nan,
    })
    live = LiveKPIs()
    for k in range(4):
        live.add(events.iloc[k : k + 1])
    agree = live.agreement()
    assert agree[["reviewer_a", "reviewer_b", "n_items", "agreement"]].values.tolist() == [["x", "y", 1, 0.0]]
    assert_same(live, events, None, freq="1D")
