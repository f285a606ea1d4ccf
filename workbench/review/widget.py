"""The review widget: one item at a time, keys captured on the whole widget, in order.

An `anywidget <https://anywidget.dev>`_ (a small ES module, ``widget.js``, loaded by the
anywidget JupyterLab extension — no build step, no extension of our own). The browser side
owns the keyboard: every key pressed while the widget has the focus gets a sequence number
and is sent to the kernel as a message of its own (messages are never merged), together with
the item it was pressed on and how long that item had been on screen. The kernel handles the
keys strictly in sequence order, exactly once (a repeated number is dropped, a gap waits for
the missing key, which the browser sends again), and acknowledges each; the widget shows the
keys still waiting. Decision keys on an item shown for less than ``min_display_ms`` are
refused with a visible flash, and every stored decision carries its display time.

The widget holds no storage logic: it talks to a queue object (``next``, ``submit``,
``skip``, ``undo``, ``progress``, optionally ``history`` and ``revise``) and to optional
callbacks.
"""

from __future__ import annotations

import base64
import inspect
import mimetypes
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import anywidget
import traitlets

from workbench._internal.escape import escape_html
from workbench.errors import WorkbenchError
from workbench.review.queue import HistoryEntry, Progress, QueueItem

__all__ = ["DEFAULT_TAXONOMY", "PAIR_TAXONOMY", "ReviewSource", "ReviewWidget", "render_item"]

DEFAULT_TAXONOMY: tuple[str, ...] = ("Acceptable", "Poor quality", "Unsafe", "Biased", "Duplicate")
#: The default decisions for preference pairs (the left and right response as shown).
PAIR_TAXONOMY: tuple[str, ...] = ("Left", "Right", "Tie", "Both bad")

_HERE = Path(__file__).parent
_MAX_IMAGE_BYTES = 8 * 1024 * 1024


class ReviewSource(Protocol):
    """What the widget needs from a queue (``ReviewQueue`` is one)."""

    def next(self) -> QueueItem | None: ...

    def submit(self, item: QueueItem, decision: str, *, tags: Sequence[str] = (), note: str = "") -> Any: ...

    def skip(self, item: QueueItem, *, note: str = "") -> Any: ...

    def undo(self) -> QueueItem | None: ...

    def progress(self) -> Progress: ...


def _text_block(text: object, title: str = "") -> str:
    head = f'<div class="wb-title">{escape_html(title)}</div>' if title else ""
    body = escape_html("" if text is None else str(text))
    return f'{head}<div class="wb-text">{body}</div>'


def render_item(item: QueueItem) -> str:
    """Default display (HTML, every value escaped): text; image + caption; or a pair.

    A pair is shown in ``item.order`` (randomised by the queue and recorded with the
    decision), under the neutral headings "Left" and "Right". An image is embedded as a
    data URI and enlarges on click.

    Examples
    --------
    >>> it = QueueItem("d1", {"text": "<b>hi</b>"}, "text", "random sample", 0)
    >>> "&lt;b&gt;hi" in render_item(it)
    True
    """
    data = item.data
    if item.kind == "pair":
        order = item.order or ("a", "b")
        parts = []
        if data.get("prompt") is not None:
            parts.append(f'<div class="wb-prompt">{_text_block(data.get("prompt"), "Prompt")}</div>')
        left = _text_block(data.get(f"response_{order[0]}"), "Left")
        right = _text_block(data.get(f"response_{order[1]}"), "Right")
        parts.append(f'<div class="wb-pair"><div class="wb-side">{left}</div><div class="wb-side">{right}</div></div>')
        return "".join(parts)
    if item.kind == "image":
        path = Path(str(data.get("image_path") or data.get("image")))
        caption = _text_block(data.get("caption"), "Caption")
        try:
            if path.stat().st_size > _MAX_IMAGE_BYTES:
                return f'<div class="wb-missing">image too large to show ({escape_html(str(path))})</div>{caption}'
            raw = path.read_bytes()
        except OSError:
            return f'<div class="wb-missing">image not found: {escape_html(str(path))}</div>{caption}'
        mime = mimetypes.guess_type(path.name)[0] or "image/png"
        src = f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"
        img = (
            f'<img class="wb-image" src="{src}" alt="{escape_html(path.name)}" '
            'title="click to enlarge, click again to shrink">'
        )
        return f'<div class="wb-figure">{img}</div>{caption}'
    return _text_block(data.get("text", data.get("caption")))


_PATTERN = re.compile(r"matches '(?:[^'\\]|\\.)*'")
_COMPARISON = re.compile(r"([A-Za-z][A-Za-z0-9_]*) ([-0-9.,e+]+) ([<>]) ([-0-9.,e+]+)")


def plain_reason(reason: str) -> str:
    """Why an item was queued, in words a reviewer reads: score names without underscores,
    no comparison signs, no regular expressions.

    Examples
    --------
    >>> plain_reason("top_2gram_char_fraction 0.13 > 0.12; matches 'sign in \\\\| register'")
    'high top 2gram char fraction; a flagged phrase'
    >>> plain_reason("random sample (explore)")
    'random sample (explore)'
    """
    def comparison(m: re.Match[str]) -> str:
        return ("high " if m.group(3) == ">" else "low ") + m.group(1).replace("_", " ")

    text = _PATTERN.sub("a flagged phrase", str(reason))
    text = _COMPARISON.sub(comparison, text)
    parts = list(dict.fromkeys(p.strip() for p in text.split(";") if p.strip()))
    return "; ".join(parts)


class ReviewWidget(anywidget.AnyWidget):  # type: ignore[misc]
    """Review items from a queue: keys on the whole widget, buttons, history, note, tags.

    Parameters
    ----------
    queue
        Supplies items and records decisions (a :class:`~workbench.review.ReviewQueue`).
    taxonomy
        The decisions, one button each; keys ``1``..``9`` pick them in order (at most 9).
        Default: :data:`DEFAULT_TAXONOMY`, or :data:`PAIR_TAXONOMY` (left / right / tie /
        both bad) when the queue serves preference pairs.
    display
        Builds the HTML that shows an item (escape what comes from data);
        :func:`render_item` by default.
    tags
        Tags the reviewer may attach (a tag box appears when given).
    min_display_ms
        Decision keys and buttons on an item shown for less than this many milliseconds are
        refused (the widget flashes and says so): no decision on an item nobody saw. Skip
        and undo are always taken. ``0`` turns the check off.
    allow_temporary
        Accept a queue whose store is temporary (``ReviewStore.temporary()``). Off by
        default: decisions made there are lost with the temporary folder.

    Notes
    -----
    Keys, while the widget has the focus ("keys on" at its top; click anywhere on it to
    resume): ``1``–``9`` decide, ``u`` undoes the last decision (the item comes back), ``s``
    skips, ``n`` writes a note and ``t`` adds a tag (Enter, Esc or Tab gives the keys back),
    arrows / PageUp / PageDown / space scroll a long item. Tab never leaves the widget.
    The last ten decisions are listed beside the item; click one to change it (a new
    event, like an undo). Use :meth:`press` to send a key from code; :meth:`on_submit`,
    :meth:`on_skip` and :meth:`on_undo` register extra callbacks.

    Examples
    --------
    >>> class ListQueue:
    ...     def __init__(self): self.items, self.done = ["a", "b"], []
    ...     def next(self):
    ...         left = [i for i in self.items if i not in [d for d, _ in self.done]]
    ...         return QueueItem(left[0], {"text": left[0]}, "text", "", 0) if left else None
    ...     def submit(self, item, decision, *, tags=(), note=""): self.done.append((item.item_id, decision))
    ...     def skip(self, item, *, note=""): self.done.append((item.item_id, None))
    ...     def undo(self): return None
    ...     def progress(self): return Progress(len(self.done), 0, 2 - len(self.done), 2, None)
    >>> q = ListQueue()
    >>> w = ReviewWidget(q, min_display_ms=0)
    >>> w.press("3")
    >>> w.decide("Acceptable")
    True
    >>> q.done
    [('a', 'Unsafe'), ('b', 'Acceptable')]
    >>> w.current is None
    True
    """

    _esm = _HERE / "widget.js"
    _css = _HERE / "widget.css"

    #: The item on display: token (new for every showing), item id, header and body HTML.
    view = traitlets.Dict().tag(sync=True)
    #: The last decisions, newest first: event_id, item_id, kind, decision.
    history: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    #: The status line: text, level (info / saved / refused / error) and a counter.
    status = traitlets.Dict().tag(sync=True)
    #: done, total and the summary text.
    progress = traitlets.Dict().tag(sync=True)
    taxonomy: traitlets.List[str] = traitlets.List().tag(sync=True)
    tag_choices: traitlets.List[str] = traitlets.List().tag(sync=True)
    min_display_ms = traitlets.Int(300).tag(sync=True)
    #: The highest key sequence number handled (keys below it are never handled twice).
    acked = traitlets.Int(0).tag(sync=True)

    def __init__(
        self,
        queue: ReviewSource,
        *,
        taxonomy: Sequence[str] | None = None,
        display: Callable[[QueueItem], str] | None = None,
        tags: Sequence[str] = (),
        min_display_ms: int = 300,
        allow_temporary: bool = False,
        blind: bool = True,
    ) -> None:
        store = getattr(queue, "store", None)
        if getattr(store, "is_temporary", False) and not allow_temporary:
            raise WorkbenchError(
                f"review widget: the queue's store is temporary ({getattr(store, 'path', '?')}) and "
                "is deleted with its folder, so decisions made here would be lost. Pass a store "
                "that is kept: set store_path = 'reviews.sqlite' in the notebook's parameters "
                "(or ReviewStore('reviews.sqlite')) and run again."
            )
        if taxonomy is None:
            taxonomy = PAIR_TAXONOMY if getattr(queue, "_kind", None) == "pair" else DEFAULT_TAXONOMY
        names = tuple(str(t) for t in taxonomy)
        if not 1 <= len(names) <= 9 or len(set(names)) != len(names):
            raise WorkbenchError(
                f"review widget: taxonomy must hold 1 to 9 distinct decisions (keys 1-9), got "
                f"{list(names)}."
            )
        if min_display_ms < 0:
            raise WorkbenchError(f"review widget: min_display_ms={min_display_ms} must be 0 or more milliseconds.")
        super().__init__(taxonomy=list(names), tag_choices=[str(t) for t in tags], min_display_ms=int(min_display_ms))
        self.queue = queue
        self.display_fn = display or render_item
        #: Hide why an item was queued until it is decided, so the reason does not anchor the
        #: decision (calibration needs independent judgments); shown in the status afterwards.
        self.blind = bool(blind)
        # queues that store display times (ReviewQueue) take display_ms= and meta=
        self._timed = "display_ms" in inspect.signature(queue.submit).parameters
        self.current: QueueItem | None = None
        #: Note and tags saved with the next decision when deciding from code (the browser
        #: sends its own with each key).
        self.note = ""
        self.tags: list[str] = []
        self._callbacks: dict[str, list[Callable[..., Any]]] = {"submit": [], "skip": [], "undo": []}
        self._token = 0
        self._shown_at = time.monotonic()
        self._waiting: dict[int, Mapping[str, Any]] = {}  # keys that arrived ahead of a gap
        self._msg_lock = threading.RLock()  # browser messages may arrive on two kernel threads
        self._taken = 0  # the highest key sequence number taken for handling
        self._draining = False
        self._status_n = 0
        self.on_msg(self._on_msg)
        self._advance()

    @property
    def taxonomy_names(self) -> tuple[str, ...]:
        """The decisions, in key order."""
        return tuple(self.taxonomy)

    # -- callbacks --------------------------------------------------------------------------
    def on_submit(self, callback: Callable[[QueueItem, str], Any]) -> None:
        """Call ``callback(item, decision)`` after each recorded decision."""
        self._callbacks["submit"].append(callback)

    def on_skip(self, callback: Callable[[QueueItem], Any]) -> None:
        """Call ``callback(item)`` after each skip."""
        self._callbacks["skip"].append(callback)

    def on_undo(self, callback: Callable[[QueueItem], Any]) -> None:
        """Call ``callback(item)`` with the item an undo brought back."""
        self._callbacks["undo"].append(callback)

    # -- actions ----------------------------------------------------------------------------
    def press(self, key: str, *, shown_ms: float | None = None) -> None:
        """Handle one key: ``1``–``9`` decide, ``u`` undo, ``s`` skip; others are ignored.

        ``shown_ms``: how long the item had been on screen (the browser measures it); by
        default the time since the kernel showed it.
        """
        k = key.lower()
        if k.isdigit() and 1 <= int(k) <= len(self.taxonomy):
            self.decide(self.taxonomy[int(k) - 1], shown_ms=shown_ms)
        elif k == "u":
            self.undo()
        elif k == "s":
            self.skip(shown_ms=shown_ms)
        else:
            self._say(f"key {key!r} does nothing here; use 1–{len(self.taxonomy)}, u or s.")

    def decide(
        self, decision: str, *, shown_ms: float | None = None, meta: Mapping[str, Any] | None = None
    ) -> bool:
        """Record ``decision`` for the item shown and show the next one.

        Returns ``False`` when nothing was recorded: no item, or the item has been on screen
        for less than ``min_display_ms`` (the widget flashes and says so).
        """
        item = self.current
        if item is None:
            self._say("nothing to decide: the queue is finished.")
            return False
        if decision not in self.taxonomy:
            raise WorkbenchError(
                f"review widget: decision {decision!r} is not in the taxonomy {list(self.taxonomy)}."
            )
        seen = self._seen_ms(shown_ms)
        if seen < self.min_display_ms:
            self._say(
                f"refused {decision!r}: {item.item_id} was on screen for {seen:.0f} ms, less than "
                f"{self.min_display_ms} ms. Look at it, then decide.",
                level="refused",
            )
            return False
        try:
            self._submit(item, decision, seen, meta)
        except WorkbenchError as exc:
            self._say(f"not saved: {exc}", level="error")
            return False
        self.note, self.tags = "", []
        for cb in self._callbacks["submit"]:
            cb(item, decision)
        why = f" (queued for: {plain_reason(item.reason)})" if self.blind and item.reason else ""
        self._advance(f"saved {decision!r} for {item.item_id}{why}", level="saved")
        return True

    def _submit(self, item: QueueItem, decision: str, seen: float, meta: Mapping[str, Any] | None) -> None:
        extra: dict[str, Any] = {"display_ms": seen, "meta": dict(meta or {})} if self._timed else {}
        self.queue.submit(item, decision, tags=list(self.tags), note=self.note, **extra)

    def skip(self, *, shown_ms: float | None = None) -> bool:
        """Pass on the item shown; it is recorded as skipped and not shown again."""
        item = self.current
        if item is None:
            self._say("nothing to skip: the queue is finished.")
            return False
        extra: dict[str, Any] = {"display_ms": self._seen_ms(shown_ms)} if self._timed else {}
        try:
            self.queue.skip(item, note=self.note, **extra)
        except WorkbenchError as exc:
            self._say(f"not saved: {exc}", level="error")
            return False
        self.note = ""
        for cb in self._callbacks["skip"]:
            cb(item)
        self._advance(f"skipped {item.item_id}", level="saved")
        return True

    def undo(self) -> None:
        """Cancel the last decision or skip; that item is shown again."""
        back = self.queue.undo()
        cancelled = getattr(self.queue, "last_undone", None)
        if back is None and cancelled is None:
            self._say("nothing to undo.")
            return
        if back is not None and back.previous is not None:
            for cb in self._callbacks["undo"]:
                cb(back)
            self._show(back, f"undid {back.previous!r} for {back.item_id}", level="saved")
            return
        what = "" if cancelled is None else f"{cancelled.decision or 'skip'!r} for {cancelled.item_id}: "
        self._show(back, f"undid {what}its earlier decision is back in effect", level="saved")

    def revise(self, event_id: int, decision: str) -> bool:
        """Change one of the decisions listed in the history (a new event; undo reverts it)."""
        revise = getattr(self.queue, "revise", None)
        if revise is None:
            self._say("this queue cannot revise decisions.", level="error")
            return False
        if decision not in self.taxonomy:
            raise WorkbenchError(
                f"review widget: decision {decision!r} is not in the taxonomy {list(self.taxonomy)}."
            )
        try:
            event = revise(int(event_id), decision)
        except WorkbenchError as exc:
            self._say(f"not saved: {exc}", level="error")
            return False
        self._refresh_side()
        self._say(f"changed {event.item_id} to {decision!r}", level="saved")
        return True

    # -- messages from the browser ------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "ping":
            self.send({"type": "pong", "n": content.get("n")})
            return
        if content.get("type") != "input":
            return
        seq = int(content.get("seq", 0))
        # JupyterLab sends comm messages over a kernel subshell, and ipykernel routes each one
        # to the thread that last published on the comm: two messages of one widget can be
        # handled at once on two threads. One lock makes "is this a repeat?" and "handle it"
        # one step; ``_taken`` marks a key as handled the moment a thread takes it, so a
        # repeat that arrives while the first copy is still being handled is dropped too.
        with self._msg_lock:
            if seq <= self._taken or seq in self._waiting:
                self.send({"type": "ack", "seq": seq, "acked": self.acked, "duplicate": True})
                return
            self._waiting[seq] = content
            if self._draining:  # re-entered on this thread: the loop below handles it in turn
                return
            self._draining = True
            try:
                # strictly in order: handle the run of keys that follows the last handled one
                while self._taken + 1 in self._waiting:
                    msg = self._waiting.pop(self._taken + 1)
                    self._taken = int(msg["seq"])
                    try:
                        result = self._handle(msg)
                    except Exception as exc:  # one failing key must not stall the keys behind it
                        self._say(f"not saved: {type(exc).__name__}: {exc}", level="error")
                        result = {"ok": False, "error": True}
                    except BaseException:  # interrupted (the kernel's stop button): not handled, so
                        self._taken -= 1  # the browser's resend of this key is handled, not dropped
                        raise
                    self.acked = self._taken
                    self.send({"type": "ack", "seq": self.acked, "acked": self.acked, **result})
            finally:
                self._draining = False

    def _handle(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        """One key or click from the browser; returns what the acknowledgement says."""
        token = int(msg.get("token", -1))
        # an item that arrived after the key was pressed had not been on screen at all
        shown = float(msg.get("shown_ms", 0.0)) if token == self._token else 0.0
        if "note" in msg:
            self.note = str(msg.get("note") or "")
        if "tags" in msg:
            self.tags = [str(t) for t in (msg.get("tags") or [])]
        action = str(msg.get("action", "key"))
        key_meta = {"key_seq": int(msg["seq"])}
        if action == "key":
            key = str(msg.get("key", ""))
            k = key.lower()
            if k.isdigit() and 1 <= int(k) <= len(self.taxonomy):
                action, decision = "decide", self.taxonomy[int(k) - 1]
            elif k in ("u", "s"):
                action, decision = {"u": "undo", "s": "skip"}[k], ""
            else:
                self._say(f"key {key!r} does nothing here; use 1–{len(self.taxonomy)}, u or s.")
                return {"ok": False}
        else:
            decision = str(msg.get("decision", ""))
        if action == "decide":
            if decision not in self.taxonomy:
                self._say(f"{decision!r} is not a decision of this widget.", level="error")
                return {"ok": False}
            ok = self.decide(decision, shown_ms=shown, meta=key_meta)
            return {"ok": ok, "refused": not ok and self.current is not None, "clear": ok}
        if action == "skip":
            return {"ok": self.skip(shown_ms=shown), "clear": True}
        if action == "undo":
            self.undo()
            return {"ok": True}
        if action == "revise":
            return {"ok": self.revise(int(msg.get("event_id", -1)), decision)}
        self._say(f"unknown action {action!r} ignored.", level="error")
        return {"ok": False}

    # -- rendering --------------------------------------------------------------------------
    def _seen_ms(self, shown_ms: float | None) -> float:
        if shown_ms is not None:
            return max(0.0, float(shown_ms))
        return (time.monotonic() - self._shown_at) * 1000.0

    def _say(self, text: str, *, level: str = "info") -> None:
        self._status_n += 1
        self.status = {"text": text, "level": level, "n": self._status_n}

    def _advance(self, message: str = "", *, level: str = "info") -> None:
        self._show(self.queue.next(), message, level=level)

    def _show(self, item: QueueItem | None, message: str = "", *, level: str = "info") -> None:
        self.current = item
        self._token += 1
        self._shown_at = time.monotonic()
        if item is None:
            self.view = {"token": self._token, "finished": True, "item_id": "",
                         "header": "<b>Queue finished</b>: nothing left to review.", "body": ""}
        else:
            notes = []
            if item.previous:
                notes.append(f"<i>undone, was {escape_html(str(item.previous))}</i>")
            elif getattr(item, "earlier", None):
                notes.append(f"<i>you decided {escape_html(str(item.earlier))} earlier</i>")
            reason = [] if self.blind else [escape_html(plain_reason(item.reason))]
            header = " · ".join([f"<b>{escape_html(item.item_id)}</b>", *reason, *notes])
            self.view = {"token": self._token, "finished": False, "item_id": item.item_id,
                         "header": header, "body": self.display_fn(item)}
        self._refresh_side()
        self._say(message, level=level)

    def _refresh_side(self) -> None:
        p = self.queue.progress()
        self.progress = {"value": min(p.total, p.done + p.skipped), "max": max(1, p.total), "text": p.summary()}
        history = getattr(self.queue, "history", None)
        entries: list[HistoryEntry] = history(10) if history is not None else []
        self.history = [
            {"event_id": e.event_id, "item_id": e.item_id, "kind": e.kind, "decision": e.decision or "skipped",
             "snippet": getattr(e, "snippet", "")}
            for e in entries
        ]
