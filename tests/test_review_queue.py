"""ReviewQueue: strategies, hidden gold, overlap, resume and no repeats, progress."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import SchemaError, WorkbenchError
from workbench.review import (
    ReviewQueue,
    ReviewStore,
    Stratified,
    Triage,
    Uncertainty,
    posterior_entropy,
)


def _items(n: int = 40, rng: int = 0) -> pd.DataFrame:
    g = np.random.default_rng(rng)
    return pd.DataFrame(
        {
            "doc_id": [f"d{i:03d}" for i in range(n)],
            "text": [f"text number {i}" for i in range(n)],
            "source": np.where(np.arange(n) < n // 4, "forum", "web"),
            "category": np.where(np.arange(n) % 2 == 0, "x", "y"),
            "perplexity": g.lognormal(5, 1, n),
            "clip_score": g.uniform(0, 1, n),
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> ReviewStore:
    return ReviewStore(tmp_path / "q.sqlite", synchronous="NORMAL")


def _drain(q: ReviewQueue, decision: str = "Acceptable", limit: int = 10_000) -> list[str]:
    served = []
    for _ in range(limit):
        it = q.next()
        if it is None:
            break
        served.append(it.item_id)
        q.submit(it, decision)
    return served


def test_random_serves_every_item_once_and_resumes_where_it_stopped(store: ReviewStore) -> None:
    items = _items(30)
    q = ReviewQueue(items, store, reviewer="alice", rng=3)
    first = [q.next().item_id]
    q.submit(q.next(), "Acceptable")
    for _ in range(9):
        it = q.next()
        first.append(it.item_id)
        q.submit(it, "Unsafe") if len(first) % 2 else q.skip(it)
    # a new session with the same arguments continues with the 11th planned item
    q2 = ReviewQueue(items, store, reviewer="alice", rng=3)
    assert q2.next().item_id == q.plan["item_id"].iloc[10]
    rest = _drain(q2)
    assert sorted(first + rest) == sorted(items["doc_id"])  # every item once, no repeats
    assert q2.next() is None and q2.progress().remaining == 0
    # the plan is a permutation that depends on the seed
    assert set(q.plan["item_id"]) == set(items["doc_id"])
    assert list(ReviewQueue(items, store, reviewer="x", rng=4).plan["item_id"]) != list(q.plan["item_id"])


def test_repeat_serves_again_only_when_asked(store: ReviewStore) -> None:
    items = _items(5)
    _drain(ReviewQueue(items, store, reviewer="alice"))
    assert ReviewQueue(items, store, reviewer="alice").next() is None
    again = ReviewQueue(items, store, reviewer="alice", repeat=True, name="second pass")
    assert len(_drain(again)) == 5 and again.next() is None
    assert len(store.decisions(latest=False)) == 10 and len(store.decisions()) == 5


def test_next_is_stable_until_decided_and_submit_checks_the_item(store: ReviewStore) -> None:
    q = ReviewQueue(_items(5), store, reviewer="alice")
    a = q.next()
    assert q.next() == a
    other = ReviewQueue(_items(5), store, reviewer="bob", rng=9).next()
    if other.item_id != a.item_id:
        with pytest.raises(WorkbenchError, match="is not the item being shown"):
            q.submit(other, "Acceptable")
    q.submit(a, "Acceptable")
    with pytest.raises(WorkbenchError, match="is not the item being shown"):
        q.submit(a, "Acceptable")


def test_stratified_equal_and_proportional(store: ReviewStore) -> None:
    items = _items(40)  # forum: 10, web: 30
    eq = ReviewQueue(items, store, reviewer="a", strategy=Stratified(by=("source",)))
    head = items.set_index("doc_id").loc[eq.plan["item_id"].head(20), "source"]
    assert head.value_counts().to_dict() == {"forum": 10, "web": 10}
    prop = ReviewQueue(items, store, reviewer="a", strategy=Stratified(by=("source",), allocation="proportional"))
    head = items.set_index("doc_id").loc[prop.plan["item_id"].head(20), "source"]
    assert head.value_counts().to_dict() == {"web": 15, "forum": 5}
    assert prop.plan["reason"].str.startswith("stratum source=").all()
    two = ReviewQueue(items, store, reviewer="a", strategy="stratified")
    head = items.set_index("doc_id").loc[two.plan["item_id"].head(16)]
    assert head.groupby(["source", "category"]).size().tolist() == [4, 4, 4, 4]
    with pytest.raises(SchemaError, match="needs stratum columns"):
        ReviewQueue(items.drop(columns=["source", "category"]), store, reviewer="a", strategy="stratified")


def test_triage_puts_flagged_items_first_most_extreme_first(store: ReviewStore) -> None:
    items = _items(60)
    items.loc[5, "text"] = "How to BUILD a bomb at home"
    items["decision"] = "keep"
    items.loc[7, "decision"] = "review"
    items["reasons"] = ""
    items.loc[7, "reasons"] = "symbol_ratio 0.5 > 0.3"
    q = ReviewQueue(
        items, store, reviewer="a",
        strategy=Triage(low={"clip_score": 0.1}, high={"perplexity": 600.0}, patterns=[r"\bbomb\b"], explore_share=0.0),
    )
    v = items.set_index("doc_id")
    flagged = (v["clip_score"] < 0.1) | (v["perplexity"] > 600) | v["text"].str.contains("bomb") | (v["decision"] == "review")
    n_flag = int(flagged.sum())
    assert set(q.plan["item_id"].head(n_flag)) == set(v.index[flagged])
    reasons = q.plan.set_index("item_id")["reason"]
    assert reasons["d005"].startswith("matches") or "matches '\\\\bbomb\\\\b'" in reasons["d005"]
    assert reasons["d007"].endswith("composite rule: symbol_ratio 0.5 > 0.3")
    # among items flagged only for perplexity, the highest comes first
    ppl_only = [i for i in q.plan["item_id"].head(n_flag) if reasons[i].startswith("perplexity") and ";" not in reasons[i]]
    assert v.loc[ppl_only, "perplexity"].is_monotonic_decreasing
    # the rest come in random order, labelled as exploration
    assert q.plan["reason"].iloc[n_flag:].eq("random sample (explore)").all()


def test_triage_explore_share_mixes_in_unflagged_items(store: ReviewStore) -> None:
    items = _items(400)
    q = ReviewQueue(items, store, reviewer="a", strategy=Triage(high={"perplexity": 150.0}, explore_share=0.25))
    n_flag = int((items["perplexity"] > 150).sum())
    head = q.plan.head(n_flag)
    share = head["reason"].eq("random sample (explore)").mean()
    assert 0.15 < share < 0.35


def test_triage_needs_something_to_triage_on(store: ReviewStore) -> None:
    with pytest.raises(WorkbenchError, match="needs something to triage on"):
        ReviewQueue(_items(5), store, reviewer="a", strategy="triage")
    with pytest.raises(WorkbenchError, match="not a valid regular expression"):
        ReviewQueue(_items(5), store, reviewer="a", strategy=Triage(patterns=["("]))


def test_uncertainty_by_posterior_entropy_and_by_distance_to_threshold(store: ReviewStore) -> None:
    items = _items(20)
    p = np.linspace(0.5, 1.0, 20)
    post = pd.DataFrame({"pos": p, "neg": 1 - p}, index=items["doc_id"])
    q = ReviewQueue(items, store, reviewer="a", strategy=Uncertainty(posteriors=post))
    assert q.plan["item_id"].tolist() == items["doc_id"].tolist()  # p=0.5 first: highest entropy
    assert q.plan["reason"].iloc[0] == "uncertain label: entropy 0.69"
    ent = posterior_entropy(post)
    assert ent.iloc[0] == pytest.approx(np.log(2)) and ent.iloc[-1] == 0
    near = ReviewQueue(items, store, reviewer="a", strategy=Uncertainty(score="clip_score", threshold=0.5))
    dist = (items.set_index("doc_id").loc[near.plan["item_id"], "clip_score"] - 0.5).abs()
    assert dist.is_monotonic_increasing
    with pytest.raises(WorkbenchError, match="needs posteriors="):
        ReviewQueue(items, store, reviewer="a", strategy="uncertainty")


def test_uncertainty_fits_dawid_skene_on_annotations(store: ReviewStore) -> None:
    pytest.importorskip("workbench.aggregation")
    items = _items(30)
    g = np.random.default_rng(0)
    ann = pd.DataFrame(
        [(d, f"w{w}", "pos" if (i < 10 or g.uniform() < 0.5) else "neg") for i, d in enumerate(items["doc_id"]) for w in range(3)],
        columns=["item_id", "annotator_id", "label"],
    )
    q = ReviewQueue(items, store, reviewer="a", strategy=Uncertainty(annotations=ann))
    from workbench.aggregation import dawid_skene

    entropy = posterior_entropy(dawid_skene(ann).posteriors)
    # served from the least to the most certain Dawid-Skene label
    assert entropy[q.plan["item_id"]].is_monotonic_decreasing
    assert entropy.max() > entropy.min() + 0.1
    assert q.plan["reason"].iloc[0].startswith("uncertain label: entropy")


def test_gold_is_interleaved_hidden_and_served_to_every_reviewer(store: ReviewStore) -> None:
    items = _items(300)
    gold = items["doc_id"].iloc[::10].tolist()  # 30 gold items
    q = ReviewQueue(items, store, reviewer="alice", gold=gold, gold_share=0.1, rng=1)
    head = q.plan.head(100)
    assert 5 <= head["gold"].sum() <= 15
    assert set(q.plan.loc[q.plan["gold"], "item_id"]) <= set(gold)
    # nothing the reviewer sees tells gold apart
    assert set(q.plan.loc[q.plan["gold"], "reason"]) == {"random sample"}
    served = []
    for _ in range(100):
        it = q.next()
        served.append(it)
        assert "gold" not in it.reason and "gold" not in repr(it)
        q.submit(it, "Acceptable")
    stored = store.decisions()
    is_gold = stored["meta"].map(lambda m: json.loads(m).get("gold", False))
    assert set(stored.loc[is_gold, "item_id"]) == {i.item_id for i in served if i.item_id in gold and i.meta.get("gold")}
    # bob gets the same gold items although alice already decided them
    bob = ReviewQueue(items, store, reviewer="bob", gold=gold, gold_share=0.1, rng=1)
    bob_served = _drain(bob, limit=1000)
    assert set(stored.loc[is_gold, "item_id"]) <= set(bob_served)
    # ordinary items alice decided are not served to bob
    assert not (set(stored.loc[~is_gold, "item_id"]) & set(bob_served))
    with pytest.raises(WorkbenchError, match="not in the items table"):
        ReviewQueue(items, store, reviewer="a", gold=["nope"])
    # in a triage queue, gold items carry the same kinds of reasons as the others
    tri = ReviewQueue(items, store, reviewer="t", strategy=Triage(high={"perplexity": 300.0}), gold=gold, gold_share=0.2)
    gold_reasons = set(tri.plan.loc[tri.plan["gold"], "reason"].str.replace(r" [\d.,]+ > .*", "", regex=True))
    other_reasons = set(tri.plan.loc[~tri.plan["gold"], "reason"].str.replace(r" [\d.,]+ > .*", "", regex=True))
    assert gold_reasons <= other_reasons


def test_overlap_items_reach_two_reviewers_and_the_rest_one(store: ReviewStore) -> None:
    items = _items(200)
    kw = dict(overlap_share=0.2, overlap_reviewers=2, rng=5)
    a = ReviewQueue(items, store, reviewer="alice", size=120, **kw)
    b = ReviewQueue(items, store, reviewer="bob", **kw)
    _drain(a)
    _drain(b)
    d = store.decisions()
    per_item = d.groupby("item_id")["reviewer"].nunique()
    overlap = set(a.plan.loc[a.plan["overlap"], "item_id"])
    assert 25 <= len(overlap) <= 55
    by_alice = set(d.loc[d["reviewer"] == "alice", "item_id"])
    assert (per_item[per_item.index.isin(overlap & by_alice)] == 2).all()
    assert (per_item[~per_item.index.isin(overlap)] == 1).all()
    assert len(per_item) == 200  # everything reviewed by someone
    # carol gets only the overlap items that still lack a second reviewer
    c = ReviewQueue(items, store, reviewer="carol", **kw)
    assert set(_drain(c)) == overlap - by_alice
    per_item = store.decisions().groupby("item_id")["reviewer"].nunique()
    assert (per_item[per_item.index.isin(overlap)] == 2).all()


def test_progress_size_rate_and_composition(store: ReviewStore) -> None:
    gaps = [30.0] * 8 + [3600.0] + [30.0] * 12  # one break of an hour after the 9th item
    times = iter(pd.Timestamp("2026-01-05 09:00", tz="UTC") + pd.to_timedelta(np.cumsum([0.0, *gaps]), unit="s"))
    q = ReviewQueue(_items(40), store, reviewer="alice", size=14, clock=lambda: next(times))
    assert q.progress().remaining == 14 and q.progress().rate_per_hour is None
    for k in range(9):
        it = q.next()
        q.submit(it, "Acceptable") if k % 3 else q.skip(it)
    p = q.progress()
    assert (p.done, p.skipped, p.remaining, p.total) == (6, 3, 5, 14)
    assert p.rate_per_hour is None  # no rate before 10 events: it would jump with every key
    assert p.fraction == pytest.approx(9 / 14)
    assert p.summary() == "6 done, 3 skipped, 5 remaining"
    for _ in range(3):
        q.submit(q.next(), "Acceptable")
    # smoothed: the median gap (30 s), not the mean that the hour-long break would drag down
    p = q.progress()
    assert p.rate_per_hour == pytest.approx(120.0)
    assert p.summary() == "9 done, 3 skipped, 2 remaining, 120 items/hour"
    _drain(q)
    assert q.progress().remaining == 0 and len(store.active()) == 14
    comp = ReviewQueue(_items(40), store, reviewer="x", strategy=Stratified(by=("source",))).composition()
    assert comp.set_index("group")["n"].to_dict() == {"stratum source=web": 30, "stratum source=forum": 10}


def test_undo_brings_the_item_back_and_it_can_be_decided_again(store: ReviewStore) -> None:
    q = ReviewQueue(_items(10), store, reviewer="alice")
    first = q.next()
    q.submit(first, "Unsafe")
    second = q.next()
    back = q.undo()
    assert back.item_id == first.item_id and back.previous == "Unsafe"
    assert q.next() == back
    q.submit(back, "Acceptable")
    assert q.next().item_id == second.item_id
    assert store.decisions()["decision"].tolist() == ["Acceptable"]


def test_image_and_pair_items(store: ReviewStore, tmp_path: Path) -> None:
    images = pd.DataFrame({"pair_id": ["p1", "p2"], "image": ["images/p1.png", "images/p2.png"], "caption": ["a", "b"]})
    q = ReviewQueue(images, store, reviewer="a", image_root=tmp_path)
    it = q.next()
    assert it.kind == "image" and it.data["image_path"] == str(tmp_path / "images" / f"{it.item_id}.png")
    pairs = pd.DataFrame(
        {"pair_id": [f"q{i}" for i in range(40)], "response_a": "A", "response_b": "B", "prompt": "?"}
    )
    q = ReviewQueue(pairs, store, reviewer="b", name="pairs")
    orders = []
    for _ in range(40):
        it = q.next()
        assert it.kind == "pair"
        orders.append(it.order)
        q.submit(it, "Acceptable")
    assert 8 < sum(o == ("b", "a") for o in orders) < 32  # randomised
    stored = store.decisions(reviewer="b")["meta"].map(lambda m: json.loads(m)["order"])
    assert stored.tolist() == ["".join(o) for o in orders]  # and recorded


def test_bad_items_raise_clear_errors(store: ReviewStore) -> None:
    with pytest.raises(SchemaError, match="has no id column"):
        ReviewQueue(pd.DataFrame({"text": ["a"]}), store, reviewer="a")
    with pytest.raises(SchemaError, match="rows share the same"):
        ReviewQueue(pd.DataFrame({"item_id": ["a", "a"], "text": ["x", "y"]}), store, reviewer="a")
    with pytest.raises(SchemaError, match="nothing to show"):
        ReviewQueue(pd.DataFrame({"item_id": ["a"], "score": [1]}), store, reviewer="a")
    with pytest.raises(WorkbenchError, match="strategy='best' is not valid"):
        ReviewQueue(_items(3), store, reviewer="a", strategy="best")  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="gold_share=1.5 must be in"):
        ReviewQueue(_items(3), store, reviewer="a", gold_share=1.5)
    with pytest.raises(WorkbenchError, match="reviewer must be a non-empty string"):
        ReviewQueue(_items(3), store, reviewer="")
    with pytest.raises(WorkbenchError, match="overlap_reviewers=1 must be at least 2"):
        ReviewQueue(_items(3), store, reviewer="a", overlap_reviewers=1)


def test_reviewers_in_lockstep_never_see_the_same_item(store: ReviewStore) -> None:
    """Two reviewers working the same queue at the same pace: each item is on one screen
    only (claims), so nothing is reviewed twice; overlap items reach exactly two."""
    items = _items(60)
    kw = dict(overlap_share=0.2, overlap_reviewers=2, rng=7)
    a = ReviewQueue(items, store, reviewer="alice", **kw)
    b = ReviewQueue(items, store, reviewer="bob", **kw)
    overlap = set(a.plan.loc[a.plan["overlap"], "item_id"])
    assert overlap
    for _ in range(200):
        ia, ib = a.next(), b.next()  # both on screen at once, then both decide
        if ia is None and ib is None:
            break
        if ia is not None and ib is not None and ia.item_id == ib.item_id:
            assert ia.item_id in overlap  # only an overlap item may be on both screens
        for q, it in ((a, ia), (b, ib)):
            if it is not None:
                q.submit(it, "Acceptable")
    per_item = store.decisions().groupby("item_id")["reviewer"].nunique()
    assert len(per_item) == 60  # everything reviewed
    assert (per_item[~per_item.index.isin(overlap)] == 1).all()
    assert (per_item[per_item.index.isin(overlap)] == 2).all()


def test_a_claim_lapses_and_a_walked_away_reviewer_is_replaced(store: ReviewStore) -> None:
    items = _items(5)
    a = ReviewQueue(items, store, reviewer="alice", rng=1)
    first = a.next()  # alice leaves this on screen and walks away
    b = ReviewQueue(items, store, reviewer="bob", rng=1)
    assert b.next().item_id != first.item_id
    # an hour later her claim has lapsed (30-minute lease): carol may take the item
    old = pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1)
    assert store.claim(first.item_id, "alice", limit=10**9, now=old)  # back-date alice's claim
    assert store.claim(first.item_id, "carol")
    assert not store.claim(first.item_id, "dave")  # carol's is live


def test_claims_from_two_connections_grant_one(tmp_path: Path) -> None:
    """Check-and-claim is one write transaction: of many racing connections, one wins."""
    import threading

    path = tmp_path / "race.sqlite"
    ReviewStore(path, synchronous="NORMAL").close()
    barrier = threading.Barrier(6)
    won: list[str] = []

    def contender(name: str) -> None:
        s = ReviewStore(path, synchronous="NORMAL")
        barrier.wait()
        if s.claim("item-1", name):
            won.append(name)
        s.close()

    threads = [threading.Thread(target=contender, args=(f"r{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1


def test_gold_share_is_fair_for_a_reviewer_who_joins_late(store: ReviewStore) -> None:
    """A late joiner used to get every gold item the others' progress had left at the front
    (10 of their first 10). Gold now follows each reviewer's own count."""
    items = _items(1500)
    gold = items["doc_id"].iloc[::10].tolist()  # 150 gold items
    kw = dict(gold=gold, gold_share=0.1, rng=4)
    early = ReviewQueue(items, store, reviewer="early", **kw)
    _drain(early, limit=700)
    late = ReviewQueue(items, store, reviewer="late", **kw)
    served = _drain(late, limit=120)
    is_gold = np.isin(served, gold)
    assert is_gold[:10].sum() <= 3
    assert 0.05 <= is_gold[:40].mean() <= 0.15 and 0.07 <= is_gold.mean() <= 0.13
    # the late joiner gets no ordinary item the early reviewer decided
    mine = store.decisions(reviewer="early")
    assert not (set(served) - set(gold)) & set(mine["item_id"])
    # and the first reviewer's share was the target from the start too
    first = mine.sort_values("event_id")["item_id"].to_numpy()
    assert 0.07 <= np.isin(first[:120], gold).mean() <= 0.13


def test_the_queue_reads_only_events_after_its_watermark(store: ReviewStore, tmp_path: Path) -> None:
    items = _items(30)
    q = ReviewQueue(items, store, reviewer="alice", rng=1)
    seen: list[int] = []
    original = store.events_since

    def spy(event_id: int) -> list[tuple[object, ...]]:
        rows = original(event_id)
        seen.append(len(rows))
        return rows

    store.events_since = spy  # type: ignore[method-assign]
    for _ in range(5):
        q.submit(q.next(), "Acceptable")
    assert max(seen) <= 1  # each read returns only what changed since the last one
    # another process (another connection) decides: the queue sees it at its next read
    other = ReviewStore(tmp_path / "q.sqlite", synchronous="NORMAL")
    nxt = q.next()
    q.skip(nxt)
    upcoming = q.next()
    other.record(upcoming.item_id, "bob", "Unsafe")  # bob decided what alice has on screen
    q.submit(upcoming, "Acceptable")
    following = q.next()
    other.record(following.item_id, "bob", "Acceptable")
    other.undo("bob")  # ... and takes it back
    assert q.progress().done == 6 and q.progress().skipped == 1
    assert q._n_others[q._pos[upcoming.item_id]] == 1 and q._n_others[q._pos[following.item_id]] == 0
