"""The filter-uncertainty queue retrains its filter every N decisions, in the background.

A planted reviewer (``samples.make_scored_items``) decides what the queue serves. The tests
check that the order changes after N decisions (and only then), that the items served after a
retraining are the ones the new filter is least sure about while the random share keeps its
items and places, that the reviewer never waits for a retraining, and that a failed
retraining keeps the old order. No timings here: the per-decision cost is measured in
``benchmarks/flywheel.py``.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pandas as pd
import pytest

from workbench.errors import WorkbenchError
from workbench.flywheel import train_filter
from workbench.review import FilterUncertainty, ReviewQueue, ReviewStore
from workbench.samples import make_scored_items

RANDOM = FilterUncertainty.RANDOM_REASON


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.DataFrame]:
    """2,040 scored items with a planted reviewer; the first 40 trained a weak first filter."""
    s = make_scored_items(2_040, rule="combined", rng=21)
    items, truth = s.tables["items"], s.rows.set_index("item_id")["flagged"]
    return items.iloc[40:].reset_index(drop=True), truth, items.iloc[:40], s.tables["decisions"].iloc[:40]


def review(queue: ReviewQueue, truth: pd.Series, n: int, *, wait: bool = True,
           after_each=None) -> list:
    """The planted reviewer decides ``n`` items; with ``wait``, each retraining is let finish
    before the next item is served (so that the test sees a fixed sequence)."""
    served = []
    for _ in range(n):
        item = queue.next()
        assert item is not None
        served.append(item)
        queue.submit(item, "Poor quality" if truth[item.item_id] else "Acceptable")
        if wait:
            assert queue.wait_for_retraining(timeout=60)
        if after_each is not None:
            after_each(queue)
    return served


def test_the_queue_retrains_every_n_decisions_and_serves_what_the_new_filter_knows_least(
        tmp_path: Path, planted) -> None:
    rest, truth, first_items, first_decisions = planted
    first = train_filter(first_items, first_decisions)

    def strategy(every: int | None) -> FilterUncertainty:
        return FilterUncertainty(first, random_share=0.2, seed=3, retrain_every=every,
                                 train_items=first_items, train_decisions=first_decisions)

    filters: dict[int, object] = {}  # decisions so far -> the filter that orders the queue then

    def note_filter(queue: ReviewQueue) -> None:
        state = queue.retrain_state()
        filters[state.trained_on] = state.filter

    with ReviewStore(tmp_path / "static.sqlite", synchronous="NORMAL") as store:
        static = review(ReviewQueue(rest, store, reviewer="ann", strategy=strategy(None), gold_share=0.0), truth, 200)
    with ReviewStore(tmp_path / "retrained.sqlite", synchronous="NORMAL") as store:
        queue = ReviewQueue(rest, store, reviewer="ann", strategy=strategy(50), gold_share=0.0)
        filters[0] = first
        served = review(queue, truth, 200, after_each=note_filter)
        state = queue.retrain_state()
        metas = [json.loads(m) for m in store.decisions().sort_values("event_id")["meta"]]

    assert state is not None and state.retrains == 4 and state.failures == 0 and state.trained_on == 200
    assert sorted(filters) == [0, 50, 100, 150, 200]
    ids = [q.item_id for q in served]
    static_ids = [q.item_id for q in static]
    # the same plan until the first retraining, another order after it
    assert ids[:50] == static_ids[:50]
    assert len(set(ids[50:]) - set(static_ids[50:])) > 25
    # each decision records the filter that served it
    hashes = [m["filter_training_hash"] for m in metas]
    assert set(hashes[:50]) == {first.training_hash}
    assert [m.get("filter_retrained_on") for m in metas[50:]] == [50] * 50 + [100] * 50 + [150] * 50
    assert len(set(hashes[50:])) == 3 and first.training_hash not in hashes[50:]
    # the random share keeps its items and places, drawn once with the strategy's seed
    randoms = [i for i, q in enumerate(served) if q.reason == RANDOM]
    assert randoms == [i for i, q in enumerate(static) if q.reason == RANDOM]
    assert [ids[i] for i in randoms] == [static_ids[i] for i in randoms]
    assert 0.1 < len(randoms) / len(served) < 0.3
    # after each retraining the queue serves what the new filter knows least, far more than the random share
    for start in (50, 100, 150):
        p = filters[start].predict_proba(rest.set_index("item_id"))  # type: ignore[attr-defined]
        block = served[start:start + 50]
        unsure = [q.item_id for q in block if q.reason != RANDOM]
        shared = [q.item_id for q in block if q.reason == RANDOM]
        assert (p[unsure] - 0.5).abs().mean() < 0.5 * (p[shared] - 0.5).abs().mean()
        assert (p[unsure] - 0.5).abs().mean() < 0.5 * (p - 0.5).abs().mean()
    # and it learns: the retrained filter ranks all the queue's items better than the first one
    from sklearn.metrics import roc_auc_score

    y = truth[rest["item_id"]].to_numpy()
    auc = {k: roc_auc_score(y, f.predict_proba(rest).to_numpy()) for k, f in ((0, first), (200, filters[200]))}
    assert 1 - auc[200] < 0.6 * (1 - auc[0]), auc  # the ranking errors shrink by more than 40%


def test_the_reviewer_never_waits_for_a_retraining(tmp_path: Path, planted,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rest, truth, first_items, first_decisions = planted
    first = train_filter(first_items, first_decisions)
    started, release = threading.Event(), threading.Event()
    real = FilterUncertainty.retrained

    def slow(self, *args, **kwargs):  # a retraining that lasts until the test lets it end
        started.set()
        release.wait(60)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FilterUncertainty, "retrained", slow)
    strategy = FilterUncertainty(first, seed=3, retrain_every=20, train_items=first_items,
                                 train_decisions=first_decisions)
    with ReviewStore(tmp_path / "static.sqlite", synchronous="NORMAL") as store:
        plan = review(ReviewQueue(rest, store, reviewer="ann", strategy=FilterUncertainty(first, seed=3),
                                  gold_share=0.0), truth, 60)
    with ReviewStore(tmp_path / "r.sqlite", synchronous="NORMAL") as store:
        queue = ReviewQueue(rest, store, reviewer="ann", strategy=strategy, gold_share=0.0)
        served = review(queue, truth, 20, wait=False)
        assert started.wait(60)
        # training runs; the reviewer goes on in the old order and every decision is committed
        served += review(queue, truth, 30, wait=False)
        state = queue.retrain_state()
        assert state is not None and state.running and state.retrains == 0
        assert len(store.decisions()) == 50
        assert [q.item_id for q in served] == [q.item_id for q in plan[:50]]
        release.set()
        assert queue.wait_for_retraining(timeout=60)
        state = queue.retrain_state()
        assert state.retrains == 1 and state.trained_on == 20 and not state.running
        # the swap happened: what comes next is the new filter's, not the old plan's
        after = review(queue, truth, 10)
        assert [q.item_id for q in after] != [q.item_id for q in plan[50:60]]
        # (the 50th decision started the next retraining, let finish by review(): 50 from the 2nd item on)
        assert [q.meta["filter_retrained_on"] for q in after] == [20] + [50] * 9


def test_a_failed_retraining_keeps_the_order_and_is_recorded(tmp_path: Path, planted,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    rest, _, first_items, first_decisions = planted
    first = train_filter(first_items, first_decisions)
    keeps = pd.Series(False, index=rest["item_id"])  # a reviewer who keeps everything: one class only
    with ReviewStore(tmp_path / "static.sqlite", synchronous="NORMAL") as store:
        plan = review(ReviewQueue(rest, store, reviewer="ann", strategy=FilterUncertainty(first, seed=3),
                                  gold_share=0.0), keeps, 25)
    with caplog.at_level(logging.WARNING, logger="workbench.review.queue"), \
            ReviewStore(tmp_path / "r.sqlite", synchronous="NORMAL") as store:
        queue = ReviewQueue(rest, store, reviewer="ann", strategy=FilterUncertainty(first, seed=3, retrain_every=10),
                            gold_share=0.0)
        served = review(queue, keeps, 25)
        state = queue.retrain_state()
    assert state is not None and state.failures == 2 and state.retrains == 0
    assert "flagged 0 and kept" in (state.last_error or "")
    assert "old order is kept" in caplog.text
    assert [q.item_id for q in served] == [q.item_id for q in plan]
    assert state.training_hash == first.training_hash


def test_retraining_options_are_checked(planted) -> None:
    rest, _, first_items, first_decisions = planted
    first = train_filter(first_items, first_decisions)
    with pytest.raises(WorkbenchError, match="retrain_every=0 must be a positive number"):
        FilterUncertainty(first, retrain_every=0)
    with pytest.raises(WorkbenchError, match="retrain_every=2.5 must be a positive number"):
        FilterUncertainty(first, retrain_every=2.5)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="train_items and train_decisions together"):
        FilterUncertainty(first, retrain_every=5, train_items=first_items)
    with pytest.raises(WorkbenchError, match="missing column"):
        FilterUncertainty(first, retrain_every=5, train_items=first_items,
                          train_decisions=first_decisions.rename(columns={"decision": "label"}))
    no_retrain = FilterUncertainty(first)
    assert no_retrain.retrain_every is None
