"""ReviewWidget driven without a browser: the messages the browser sends (keys with sequence
numbers, clicks, pings), the store checked after each step; hypothesis over sequences of
submit, undo and skip."""

from __future__ import annotations

import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from workbench.errors import WorkbenchError
from workbench.review import (
    DEFAULT_TAXONOMY,
    PAIR_TAXONOMY,
    QueueItem,
    ReviewQueue,
    ReviewStore,
    ReviewWidget,
    render_item,
)


def _items(n: int) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(n)], "text": [f"text <{i}>" for i in range(n)]})


def _setup(tmp: Path, n: int = 6, **kw: Any) -> tuple[ReviewStore, ReviewQueue, ReviewWidget]:
    store = ReviewStore(tmp / "w.sqlite", synchronous="NORMAL")
    queue = ReviewQueue(_items(n), store, reviewer="alice", rng=2)
    kw.setdefault("min_display_ms", 0)
    return store, queue, ReviewWidget(queue, **kw)


class Browser:
    """Sends what widget.js sends and keeps what the kernel answers."""

    def __init__(self, widget: ReviewWidget) -> None:
        self.w = widget
        self.seq = 0
        self.answers: list[dict[str, Any]] = []
        widget.send = lambda content, buffers=None: self.answers.append(content)  # type: ignore[method-assign]

    def message(self, seq: int | None = None, *, shown_ms: float = 1000.0, token: int | None = None,
                **fields: Any) -> int:
        if seq is None:
            self.seq += 1
            seq = self.seq
        msg = {"type": "input", "seq": seq, "token": self.w.view["token"] if token is None else token,
               "shown_ms": shown_ms, "note": "", "tags": [], **fields}
        self.w._on_msg(self.w, msg, [])
        return seq

    def key(self, key: str, **kw: Any) -> int:
        return self.message(action="key", key=key, **kw)

    def acks(self) -> list[dict[str, Any]]:
        return [a for a in self.answers if a.get("type") == "ack"]


def test_keys_are_handled_in_sequence_order_exactly_once(tmp_path: Path) -> None:
    store, queue, w = _setup(tmp_path)
    plan = queue.plan["item_id"].tolist()
    b = Browser(w)
    token = w.view["token"]
    b.message(2, action="key", key="2", token=token + 1)  # arrives before key 1: waits
    assert store.decisions().empty and w.acked == 0
    b.message(1, action="key", key="1", token=token)
    b.message(1, action="key", key="1", token=token)  # a repeat (resent by the browser): dropped
    b.message(3, action="key", key="3", token=token + 2)
    got = store.decisions()
    assert got[["item_id", "decision"]].values.tolist() == [
        [plan[0], "Acceptable"], [plan[1], "Poor quality"], [plan[2], "Unsafe"]]
    assert got["meta"].map(lambda m: json.loads(m)["key_seq"]).tolist() == [1, 2, 3]
    assert w.acked == 3
    acks = b.acks()
    assert [a["seq"] for a in acks if not a.get("duplicate")] == [1, 2, 3]
    assert any(a.get("duplicate") for a in acks)
    b.w._on_msg(w, {"type": "ping", "n": 7}, [])
    assert b.answers[-1] == {"type": "pong", "n": 7}
    # a key that fails in the kernel is reported and acknowledged; the keys behind it go on
    original = queue.submit

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    queue.submit = broken  # type: ignore[method-assign]
    b.seq = 3
    b.key("1")
    assert w.status["level"] == "error" and "disk full" in w.status["text"] and w.acked == 4
    queue.submit = original  # type: ignore[method-assign]
    b.key("1")
    assert w.acked == 5 and len(store.decisions()) == 4


def test_a_key_resent_on_another_kernel_thread_while_it_is_handled_is_handled_once(tmp_path: Path) -> None:
    # JupyterLab sends comm messages over a kernel subshell and ipykernel routes each to the
    # thread that last published on the comm, so the browser's resend of key 1 can arrive on a
    # second thread while the first is still writing key 1 (CI saw 51 decisions for 50 keys).
    store, queue, w = _setup(tmp_path)
    b = Browser(w)
    token = w.view["token"]
    original, inside = queue.submit, threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        inside.set()
        time.sleep(0.3)
        return original(*args, **kwargs)

    queue.submit = slow  # type: ignore[method-assign]
    first = threading.Thread(target=b.message, args=(1,), kwargs={"action": "key", "key": "1", "token": token})
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=lambda: [b.message(1, action="key", key="1", token=token),
                                              b.message(2, action="key", key="2", token=token + 1)])
    second.start()
    first.join(10)
    second.join(10)
    got = store.decisions(latest=False)  # every event, not the latest per item
    assert got["decision"].tolist() == ["Acceptable", "Poor quality"] and got["item_id"].is_unique
    assert got["meta"].map(lambda m: json.loads(m)["key_seq"]).tolist() == [1, 2] and w.acked == 2
    assert sum(bool(a.get("duplicate")) for a in b.acks()) == 1


def test_a_key_interrupted_in_the_kernel_is_handled_when_the_browser_resends_it(tmp_path: Path) -> None:
    store, queue, w = _setup(tmp_path)
    b = Browser(w)
    token = w.view["token"]
    original = queue.submit

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt  # the reviewer stops the kernel in the middle of a save

    queue.submit = interrupted  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        b.message(1, action="key", key="1", token=token)
    queue.submit = original  # type: ignore[method-assign]
    b.message(1, action="key", key="1", token=token)  # the browser resends the key it has no answer for
    b.message(2, action="key", key="2", token=token + 1)
    assert store.decisions(latest=False)["decision"].tolist() == ["Acceptable", "Poor quality"] and w.acked == 2
    assert not any(a.get("duplicate") for a in b.acks())


def test_a_decision_on_an_item_shown_too_briefly_is_refused(tmp_path: Path) -> None:
    store, queue, w = _setup(tmp_path, min_display_ms=300)
    b = Browser(w)
    b.key("1", shown_ms=120)
    assert store.decisions().empty and w.status["level"] == "refused" and "120 ms" in w.status["text"]
    assert b.acks()[-1]["refused"] is True
    b.key("1", shown_ms=450)
    first = store.decisions()
    assert len(first) == 1 and first["display_ms"].tolist() == [450.0]
    # typed ahead: the key was pressed while the previous item was on screen, so the item it
    # would decide had not been shown at all
    b.key("2", shown_ms=900, token=w.view["token"] - 1)
    assert len(store.decisions()) == 1 and w.status["level"] == "refused"
    b.key("s", shown_ms=10)  # skipping is always allowed
    assert store.active()["kind"].tolist() == ["decision", "skip"]
    b.key("2", shown_ms=301)
    assert store.decisions()["display_ms"].tolist() == [450.0, 301.0]
    with pytest.raises(WorkbenchError, match="min_display_ms=-1"):
        ReviewWidget(queue, min_display_ms=-1)


def test_clicks_notes_tags_and_keys_record_decisions_one_by_one(tmp_path: Path) -> None:
    store, queue, w = _setup(tmp_path, tags=("spam", "pii"))
    plan = queue.plan["item_id"].tolist()
    b = Browser(w)
    assert w.current.item_id == plan[0]
    assert "text &lt;" in w.view["body"] and "<" + plan[0][1:] not in w.view["body"]  # escaped, shown
    b.message(action="decide", decision="Acceptable", note="looks fine", tags=["pii"])
    d = store.decisions()
    assert d[["item_id", "decision", "note"]].values.tolist() == [[plan[0], "Acceptable", "looks fine"]]
    assert d["tags"].tolist() == [("pii",)] and b.acks()[-1]["clear"] is True
    assert w.current.item_id == plan[1] and w.tag_choices == ["spam", "pii"]
    b.key("3")
    b.key("s")
    assert store.active()["kind"].tolist() == ["decision", "decision", "skip"]
    b.key("u")  # undo the skip: that item is back
    assert w.current.item_id == plan[2] and "undone, was" in w.view["header"]
    b.key("U")
    assert w.current.item_id == plan[1] and w.current.previous == "Unsafe"
    assert store.decisions()["item_id"].tolist() == [plan[0]]
    b.message(action="skip")
    b.message(action="undo")
    b.key("5")
    assert store.decisions().set_index("item_id")["decision"].to_dict() == {plan[0]: "Acceptable", plan[1]: "Duplicate"}
    assert w.progress["value"] == 2 and w.progress["max"] == 6 and "2 done" in w.progress["text"]
    b.key("x")
    assert "does nothing" in w.status["text"] and len(store.decisions()) == 2
    b.key("9")  # beyond the taxonomy: ignored, nothing recorded
    assert len(store.decisions()) == 2 and w.acked == b.seq


def test_history_lists_the_last_ten_and_each_can_be_revised(tmp_path: Path) -> None:
    store, queue, w = _setup(tmp_path, n=14)
    plan = queue.plan["item_id"].tolist()
    b = Browser(w)
    for i in range(12):
        b.key(str(1 + i % 3))
    assert [h["item_id"] for h in w.history] == plan[11:1:-1]  # newest first, ten of them
    target = w.history[3]
    assert target["decision"] == DEFAULT_TAXONOMY[8 % 3]
    shown = w.current.item_id
    b.message(action="revise", event_id=target["event_id"], decision="Biased")
    latest = store.decisions().set_index("item_id")["decision"]
    assert latest[plan[8]] == "Biased" and len(store.decisions(latest=False)) == 13
    revision = store.decisions(latest=False).iloc[-1]
    assert json.loads(revision["meta"])["revises"] == target["event_id"]
    assert w.current.item_id == shown  # the item on screen stays
    assert w.history[0]["item_id"] == plan[8] and w.history[0]["decision"] == "Biased"
    assert [h["item_id"] for h in w.history].count(plan[8]) == 1
    b.key("u")  # undo takes the revision back; the earlier decision is in effect again
    assert store.decisions().set_index("item_id")["decision"][plan[8]] == DEFAULT_TAXONOMY[8 % 3]
    assert w.current.item_id == shown and "earlier decision is back" in w.status["text"]
    assert w.progress["value"] == 12


def test_an_item_that_comes_back_shows_the_earlier_decision(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "r.sqlite", synchronous="NORMAL")
    items = _items(3)
    w = ReviewWidget(ReviewQueue(items, store, reviewer="a", rng=1), min_display_ms=0)
    w.press("4")
    again = ReviewWidget(ReviewQueue(items, store, reviewer="a", rng=1, repeat=True, name="second pass"),
                         min_display_ms=0)
    assert again.current.earlier == "Biased" and "you decided Biased earlier" in again.view["header"]


def test_queue_end_and_undo_reopens(tmp_path: Path) -> None:
    store, queue, w = _setup(tmp_path, n=2)
    w.press("1")
    w.press("2")
    assert w.current is None and "Queue finished" in w.view["header"] and w.view["finished"]
    w.press("1")
    assert "queue is finished" in w.status["text"] and len(store.decisions()) == 2
    w.press("u")
    assert w.current is not None and not w.view["finished"]
    w.press("u")
    w.press("u")
    assert "nothing to undo" in w.status["text"]
    assert store.decisions().empty


def test_callbacks_custom_display_and_bad_taxonomy(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "t.sqlite", synchronous="NORMAL")
    queue = ReviewQueue(_items(4), store, reviewer="bob")
    seen: list[tuple[str, str]] = []
    shown: list[str] = []

    def display(item: QueueItem) -> str:
        shown.append(item.item_id)
        return f"<p>{item.item_id}</p>"

    w = ReviewWidget(queue, taxonomy=("good", "bad"), display=display, tags=("spam", "pii"), min_display_ms=0)
    w.on_submit(lambda item, decision: seen.append((item.item_id, decision)))
    w.on_skip(lambda item: seen.append((item.item_id, "skip")))
    w.on_undo(lambda item: seen.append((item.item_id, "undo")))
    first = w.current.item_id
    w.tags = ["pii"]
    w.press("2")
    w.press("s")
    w.press("u")
    assert [s[1] for s in seen] == ["bad", "skip", "undo"] and seen[0][0] == first
    assert shown[0] == first and w.view["body"] == f"<p>{w.current.item_id}</p>" and w.taxonomy == ["good", "bad"]
    assert store.decisions()["tags"].tolist() == [("pii",)] and w.tags == []
    with pytest.raises(WorkbenchError, match="not in the taxonomy"):
        w.decide("ugly")
    with pytest.raises(WorkbenchError, match="1 to 9 distinct decisions"):
        ReviewWidget(queue, taxonomy=[str(i) for i in range(10)])


def test_a_temporary_store_is_refused_for_interactive_review() -> None:
    store = ReviewStore.temporary()
    queue = ReviewQueue(_items(3), store, reviewer="a")
    with pytest.raises(WorkbenchError, match="store is temporary .* set store_path"):
        ReviewWidget(queue)
    assert ReviewWidget(queue, allow_temporary=True, min_display_ms=0).current is not None


def test_render_text_image_and_pair(tmp_path: Path) -> None:
    img = tmp_path / "p.png"
    Image.new("RGB", (8, 8), "red").save(img)
    view = render_item(QueueItem("p", {"image_path": str(img), "caption": "a <red> square"}, "image", "", 0))
    assert 'src="data:image/png;base64,iVBORw0KGgo' in view and 'class="wb-image"' in view
    assert "a &lt;red&gt; square" in view
    missing = render_item(QueueItem("q", {"image_path": str(tmp_path / "nope.png"), "caption": "c"}, "image", "", 0))
    assert "image not found" in missing
    pair = render_item(
        QueueItem("x", {"prompt": "Q", "response_a": "AAA", "response_b": "BBB"}, "pair", "", 0, order=("b", "a"))
    )
    assert pair.index("Left") < pair.index("BBB") < pair.index("Right") < pair.index("AAA")


def test_pairs_default_to_left_right_tie_and_record_the_order_shown(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "p.sqlite", synchronous="NORMAL")
    pairs = pd.DataFrame({"pair_id": [f"p{i}" for i in range(12)], "response_a": [f"A{i}" for i in range(12)],
                          "response_b": [f"B{i}" for i in range(12)]})
    w = ReviewWidget(ReviewQueue(pairs, store, reviewer="c"), min_display_ms=0)
    assert tuple(w.taxonomy) == PAIR_TAXONOMY == ("Left", "Right", "Tie", "Both bad")
    shown_left = []
    for _ in range(12):
        body = w.view["body"]
        shown_left.append("a" if body.index(">A") < body.index(">B") else "b")
        w.press("1")
    recorded = store.decisions()["meta"].map(lambda m: json.loads(m)["order"][0]).tolist()
    assert recorded == shown_left and set(shown_left) == {"a", "b"}


# -- hypothesis: any sequence of submit / undo / skip keeps store, widget and model in step --
_actions = st.lists(
    st.one_of(st.sampled_from(["u", "s"]), st.integers(1, len(DEFAULT_TAXONOMY)).map(str)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keys=_actions, via_clicks=st.booleans())
def test_any_sequence_of_submit_undo_skip(keys: list[str], via_clicks: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, queue, w = _setup(Path(tmp), n=6)
        b = Browser(w)
        plan = queue.plan["item_id"].tolist()
        stack: list[tuple[str, str | None]] = []  # (item, decision or None for a skip), in order
        current: str | None = plan[0]
        for key in keys:
            if via_clicks:
                if key == "u":
                    b.message(action="undo")
                elif key == "s":
                    b.message(action="skip")
                else:
                    b.message(action="decide", decision=DEFAULT_TAXONOMY[int(key) - 1])
            else:
                b.key(key)
            # the model
            if key == "u":
                if stack:
                    current = stack.pop()[0]
            elif current is not None:
                stack.append((current, None if key == "s" else DEFAULT_TAXONOMY[int(key) - 1]))
                done = {i for i, _ in stack}
                current = next((i for i in plan if i not in done), None)
            # the store after each step
            decided = {i: d for i, d in stack if d is not None}
            got = store.decisions()
            assert dict(zip(got["item_id"], got["decision"], strict=True)) == decided
            assert sorted(store.active()["item_id"]) == sorted(i for i, _ in stack)
            # the widget after each step
            assert (w.current.item_id if w.current else None) == current
            assert w.progress["value"] == len(stack)
            assert w.acked == b.seq
        events = store.events()
        assert (events["kind"] == "undo").sum() == events["undone"].sum()
