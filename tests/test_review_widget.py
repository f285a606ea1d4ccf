"""ReviewWidget driven without a browser: simulated clicks and key events, store checked after
each step; hypothesis over sequences of submit, undo and skip."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import ipywidgets as widgets
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from workbench.errors import WorkbenchError
from workbench.review import (
    DEFAULT_TAXONOMY,
    QueueItem,
    ReviewQueue,
    ReviewStore,
    ReviewWidget,
    render_item,
)


def _items(n: int) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": [f"d{i}" for i in range(n)], "text": [f"text <{i}>" for i in range(n)]})


def _setup(tmp: Path, n: int = 6, **kw: object) -> tuple[ReviewStore, ReviewQueue, ReviewWidget]:
    store = ReviewStore(tmp / "w.sqlite", synchronous="NORMAL")
    queue = ReviewQueue(_items(n), store, reviewer="alice", rng=2)
    return store, queue, ReviewWidget(queue, **kw)


def _type(widget: ReviewWidget, key: str) -> None:
    """What the browser does when a key is typed into the focused shortcut box."""
    widget.shortcut_box.value = widget.shortcut_box.value + key


def test_keys_faster_than_a_round_trip_are_all_recorded(tmp_path: Path) -> None:
    """The browser sends the box's whole value on each keystroke; before it applies the
    kernel's clearing, a second key arrives as "<handled><new>"."""
    store, queue, w = _setup(tmp_path)
    plan = queue.plan["item_id"].tolist()
    w.shortcut_box.value = "1"  # handled, cleared in the kernel
    w.shortcut_box.value = "12"  # the browser still showed "1" when 2 was pressed
    # while the kernel is busy, ipywidgets merges state updates: two keys in one message
    w.shortcut_box.value = "1232"
    assert store.decisions()[["item_id", "decision"]].values.tolist() == [
        [plan[0], "Acceptable"], [plan[1], "Poor quality"], [plan[2], "Unsafe"], [plan[3], "Poor quality"]]
    w.shortcut_box.value = "1"  # the clear arrived; the same key again is a new press
    w.shortcut_box.value = "1"  # ... and again on the next item
    w.shortcut_box.value = "u"  # another key after a clear
    w.shortcut_box.value = "u3"  # and one more before the next clear arrived
    assert store.decisions()["decision"].tolist()[4:] == ["Acceptable", "Unsafe"]
    assert store.decisions()["item_id"].tolist() == plan[:6]
    assert w.shortcut_box.value == ""


def test_clicks_and_keys_record_decisions_one_by_one(tmp_path: Path) -> None:
    store, queue, w = _setup(tmp_path)
    plan = queue.plan["item_id"].tolist()
    assert w.current.item_id == plan[0]
    assert "text &lt;" in w.content.children[0].value  # escaped, shown
    w.note.value = "looks fine"
    w.buttons[0].click()
    d = store.decisions()
    assert d[["item_id", "decision", "note"]].values.tolist() == [[plan[0], "Acceptable", "looks fine"]]
    assert w.note.value == "" and w.current.item_id == plan[1]
    _type(w, "3")
    assert store.decisions()["decision"].tolist() == ["Acceptable", "Unsafe"]
    assert w.shortcut_box.value == ""  # the box is cleared after each key
    _type(w, "s")
    assert store.active()["kind"].tolist() == ["decision", "decision", "skip"]
    _type(w, "u")  # undo the skip: that item is back
    assert w.current.item_id == plan[2] and "undone, was" in w.header.value
    _type(w, "U")
    assert w.current.item_id == plan[1] and w.current.previous == "Unsafe"
    assert store.decisions()["item_id"].tolist() == [plan[0]]
    w.skip_button.click()
    w.undo_button.click()
    _type(w, "5")
    assert store.decisions().set_index("item_id")["decision"].to_dict() == {plan[0]: "Acceptable", plan[1]: "Duplicate"}
    assert w.progress_bar.value == 2 and w.progress_bar.max == 6
    assert "2 done" in w.progress_label.value
    _type(w, "x")
    assert "does nothing" in w.status.value and len(store.decisions()) == 2
    _type(w, "9")  # beyond the taxonomy: ignored, nothing recorded
    assert len(store.decisions()) == 2


def test_queue_end_disables_buttons_and_undo_reopens(tmp_path: Path) -> None:
    store, queue, w = _setup(tmp_path, n=2)
    w.press("1")
    w.press("2")
    assert w.current is None and "Queue finished" in w.header.value
    assert all(b.disabled for b in w.buttons) and w.skip_button.disabled
    w.press("1")
    assert "queue is finished" in w.status.value and len(store.decisions()) == 2
    w.press("u")
    assert w.current is not None and not w.buttons[0].disabled
    w.press("u")
    w.press("u")
    assert "nothing to undo" in w.status.value
    assert store.decisions().empty


def test_callbacks_tags_and_custom_display(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "t.sqlite", synchronous="NORMAL")
    queue = ReviewQueue(_items(4), store, reviewer="bob")
    seen: list[tuple[str, str]] = []
    shown: list[str] = []

    def display(item: QueueItem) -> widgets.Widget:
        shown.append(item.item_id)
        return widgets.Label(item.item_id)

    w = ReviewWidget(queue, taxonomy=("good", "bad"), display=display, tags=("spam", "pii"))
    w.on_submit(lambda item, decision: seen.append((item.item_id, decision)))
    w.on_skip(lambda item: seen.append((item.item_id, "skip")))
    w.on_undo(lambda item: seen.append((item.item_id, "undo")))
    first = w.current.item_id
    w.tags.value = ["pii"]
    w.press("2")
    w.press("s")
    w.press("u")
    assert [s[1] for s in seen] == ["bad", "skip", "undo"] and seen[0][0] == first
    assert shown[0] == first and w.buttons[1].description == "2 bad"
    assert store.decisions()["tags"].tolist() == [("pii",)] and w.tags.value == []
    with pytest.raises(WorkbenchError, match="not in the taxonomy"):
        w.decide("ugly")
    with pytest.raises(WorkbenchError, match="1 to 9 distinct decisions"):
        ReviewWidget(queue, taxonomy=[str(i) for i in range(10)])


def test_render_text_image_and_pair(tmp_path: Path) -> None:
    img = tmp_path / "p.png"
    Image.new("RGB", (8, 8), "red").save(img)
    view = render_item(QueueItem("p", {"image_path": str(img), "caption": "a red square"}, "image", "", 0))
    assert isinstance(view.children[0], widgets.Image) and view.children[0].value[:4] == b"\x89PNG"
    assert "a red square" in view.children[1].value
    missing = render_item(QueueItem("q", {"image_path": str(tmp_path / "nope.png"), "caption": "c"}, "image", "", 0))
    assert "image not found" in missing.children[0].value
    pair = render_item(
        QueueItem("x", {"prompt": "Q", "response_a": "AAA", "response_b": "BBB"}, "pair", "", 0, order=("b", "a"))
    )
    left, right = pair.children[1].children
    assert "BBB" in left.value and "Left" in left.value and "AAA" in right.value


def test_pair_order_shown_is_the_order_recorded(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "p.sqlite", synchronous="NORMAL")
    pairs = pd.DataFrame({"pair_id": [f"p{i}" for i in range(12)], "response_a": [f"A{i}" for i in range(12)],
                          "response_b": [f"B{i}" for i in range(12)]})
    w = ReviewWidget(ReviewQueue(pairs, store, reviewer="c"))
    shown_left = []
    for _ in range(12):
        left = w.content.children[0].children[0].children[0].value
        shown_left.append("a" if ">A" in left else "b")
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
@given(keys=_actions, via_buttons=st.booleans())
def test_any_sequence_of_submit_undo_skip(keys: list[str], via_buttons: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, queue, w = _setup(Path(tmp), n=6)
        plan = queue.plan["item_id"].tolist()
        stack: list[tuple[str, str | None]] = []  # (item, decision or None for a skip), in order
        current: str | None = plan[0]
        for key in keys:
            if via_buttons:
                target = {"u": w.undo_button, "s": w.skip_button}.get(key) or w.buttons[int(key) - 1]
                if target.disabled:
                    continue  # a disabled button cannot be clicked in the browser either
                target.click()
            else:
                _type(w, key)
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
            assert w.progress_bar.value == len(stack)
            assert w.shortcut_box.value == ""
        events = store.events()
        assert (events["kind"] == "undo").sum() == events["undone"].sum()
