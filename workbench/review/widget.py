"""The review widget: one item at a time, one button per decision, keyboard shortcuts.

Built from stock ipywidgets only (no custom JavaScript), so it works in JupyterLab 4 and in
any frontend that renders ipywidgets 8. Keyboard shortcuts go through a focused text box
(the "shortcut box"): each key typed there arrives in the kernel as a value change, is
handled, and the box is cleared; keys typed faster than the kernel clears the box are all
handled, in order. The widget holds no storage logic: it talks to a queue
object (``next``, ``submit``, ``skip``, ``undo``, ``progress``) and to optional callbacks.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import ipywidgets as widgets

from workbench.errors import WorkbenchError
from workbench.review.queue import Progress, QueueItem

__all__ = ["DEFAULT_TAXONOMY", "ReviewSource", "ReviewWidget", "render_item"]

DEFAULT_TAXONOMY: tuple[str, ...] = ("Acceptable", "Poor quality", "Unsafe", "Biased", "Duplicate")

_BOX = "max-height: 22em; overflow-y: auto; white-space: pre-wrap; padding: 6px; border: 1px solid #ddd;"


class ReviewSource(Protocol):
    """What the widget needs from a queue (``ReviewQueue`` is one)."""

    def next(self) -> QueueItem | None: ...

    def submit(self, item: QueueItem, decision: str, *, tags: Sequence[str] = (), note: str = "") -> Any: ...

    def skip(self, item: QueueItem, *, note: str = "") -> Any: ...

    def undo(self) -> QueueItem | None: ...

    def progress(self) -> Progress: ...


def _text_html(text: object, title: str = "") -> widgets.HTML:
    head = f"<b>{html.escape(title)}</b><br>" if title else ""
    body = html.escape("" if text is None else str(text))
    return widgets.HTML(f'{head}<div style="{_BOX}">{body}</div>')


def render_item(item: QueueItem) -> widgets.Widget:
    """Default display: text; image with its caption; or a preference pair side by side.

    A pair is shown in ``item.order`` (randomised by the queue and recorded with the
    decision), under the neutral headings "Left" and "Right".

    Examples
    --------
    >>> it = QueueItem("d1", {"text": "<b>hi</b>"}, "text", "random sample", 0)
    >>> "&lt;b&gt;hi" in render_item(it).value
    True
    """
    data = item.data
    if item.kind == "pair":
        order = item.order or ("a", "b")
        left = _text_html(data.get(f"response_{order[0]}"), "Left")
        right = _text_html(data.get(f"response_{order[1]}"), "Right")
        for w in (left, right):
            w.layout = widgets.Layout(width="50%")
        parts: list[widgets.Widget] = []
        if data.get("prompt") is not None:
            parts.append(_text_html(data.get("prompt"), "Prompt"))
        parts.append(widgets.HBox([left, right], layout=widgets.Layout(width="100%")))
        return widgets.VBox(parts)
    if item.kind == "image":
        path = Path(str(data.get("image_path") or data.get("image")))
        caption = _text_html(data.get("caption"), "Caption")
        try:
            raw = path.read_bytes()
        except OSError:
            return widgets.VBox(
                [widgets.HTML(f"<i>image not found: {html.escape(str(path))}</i>"), caption]
            )
        fmt = path.suffix.lstrip(".").lower() or "png"
        image = widgets.Image(value=raw, format=fmt, layout=widgets.Layout(width="256px"))
        return widgets.VBox([image, caption])
    text = data.get("text", data.get("caption"))
    return _text_html(text)


class ReviewWidget(widgets.VBox):
    """Review items from a queue: decision buttons, shortcuts, undo, skip, note, progress.

    Parameters
    ----------
    queue
        Supplies items and records decisions (a :class:`~workbench.review.ReviewQueue`).
    taxonomy
        The decisions, one button each; keys ``1``..``9`` pick them in order (at most 9).
    display
        Builds the widget that shows an item; :func:`render_item` by default.
    tags
        Optional tags the reviewer may attach (a tags input appears when given).

    Notes
    -----
    Keys (typed into the shortcut box, which the reviewer clicks once): ``1``–``9``
    decide, ``u`` undoes the last decision (the item comes back), ``s`` skips. Use
    :meth:`press` to send a key from code; :meth:`on_submit`, :meth:`on_skip` and
    :meth:`on_undo` register extra callbacks.

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
    >>> w = ReviewWidget(q)
    >>> w.press("3")
    >>> w.buttons[0].click()
    >>> q.done
    [('a', 'Unsafe'), ('b', 'Acceptable')]
    >>> w.current is None
    True
    """

    def __init__(
        self,
        queue: ReviewSource,
        *,
        taxonomy: Sequence[str] = DEFAULT_TAXONOMY,
        display: Callable[[QueueItem], widgets.Widget] | None = None,
        tags: Sequence[str] = (),
    ) -> None:
        taxonomy = tuple(str(t) for t in taxonomy)
        if not 1 <= len(taxonomy) <= 9 or len(set(taxonomy)) != len(taxonomy):
            raise WorkbenchError(
                f"review widget: taxonomy must hold 1 to 9 distinct decisions (keys 1-9), got "
                f"{list(taxonomy)}."
            )
        self.queue = queue
        self.taxonomy = taxonomy
        self.display_fn = display or render_item
        self.current: QueueItem | None = None
        self._callbacks: dict[str, list[Callable[..., Any]]] = {"submit": [], "skip": [], "undo": []}
        self._handling_key = False
        self._keys_handled = ""  # the shortcut box's value when we last cleared it

        self.header = widgets.HTML()
        self.content = widgets.Box(layout=widgets.Layout(width="100%"))
        self.buttons = [
            widgets.Button(description=f"{i + 1} {name}", tooltip=f"key {i + 1}")
            for i, name in enumerate(taxonomy)
        ]
        for button, name in zip(self.buttons, taxonomy, strict=True):
            button.on_click(lambda _b, name=name: self.decide(name))
            button.add_class("wb-decision")
        self.undo_button = widgets.Button(description="u Undo", tooltip="key u", icon="undo")
        self.skip_button = widgets.Button(description="s Skip", tooltip="key s")
        self.undo_button.on_click(lambda _b: self.undo())
        self.skip_button.on_click(lambda _b: self.skip())
        self.note = widgets.Text(placeholder="note (optional, saved with the next decision)")
        self.tags = widgets.TagsInput(allowed_tags=list(tags), value=[]) if tags else None
        keys = f"1–{len(taxonomy)}" if len(taxonomy) > 1 else "1"
        self.shortcut_box = widgets.Text(
            value="",
            placeholder=f"click here, then press {keys} to decide · u undo · s skip",
            continuous_update=True,
            layout=widgets.Layout(width="32em"),
        )
        self.shortcut_box.add_class("wb-shortcuts")
        self.shortcut_box.observe(self._on_key, names="value")
        self.progress_bar = widgets.IntProgress(min=0, max=1, value=0, description="progress")
        self.progress_label = widgets.HTML()
        self.status = widgets.HTML()
        self.status.add_class("wb-status")
        rows: list[widgets.Widget] = [
            self.header,
            self.content,
            widgets.HBox(self.buttons),
            widgets.HBox([self.skip_button, self.undo_button, self.shortcut_box]),
            self.note,
        ]
        if self.tags is not None:
            rows.append(self.tags)
        rows += [widgets.HBox([self.progress_bar, self.progress_label]), self.status]
        super().__init__(rows)
        self.add_class("wb-review")
        self._advance()

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
    def press(self, key: str) -> None:
        """Handle one key: ``1``–``9`` decide, ``u`` undo, ``s`` skip; others are ignored."""
        k = key.lower()
        if k.isdigit() and 1 <= int(k) <= len(self.taxonomy):
            self.decide(self.taxonomy[int(k) - 1])
        elif k == "u":
            self.undo()
        elif k == "s":
            self.skip()
        else:
            self._say(f"key {key!r} does nothing here; use 1–{len(self.taxonomy)}, u or s.")

    def decide(self, decision: str) -> None:
        """Record ``decision`` for the item shown and show the next one."""
        item = self.current
        if item is None:
            self._say("nothing to decide: the queue is finished.")
            return
        if decision not in self.taxonomy:
            raise WorkbenchError(
                f"review widget: decision {decision!r} is not in the taxonomy {list(self.taxonomy)}."
            )
        tags = list(self.tags.value) if self.tags is not None else []
        try:
            self.queue.submit(item, decision, tags=tags, note=self.note.value)
        except WorkbenchError as exc:
            self._say(f"not saved: {exc}", error=True)
            return
        self.note.value = ""
        if self.tags is not None:
            self.tags.value = []
        for cb in self._callbacks["submit"]:
            cb(item, decision)
        self._advance(f"saved {decision!r} for {item.item_id}")

    def skip(self) -> None:
        """Pass on the item shown; it is recorded as skipped and not shown again."""
        item = self.current
        if item is None:
            self._say("nothing to skip: the queue is finished.")
            return
        try:
            self.queue.skip(item, note=self.note.value)
        except WorkbenchError as exc:
            self._say(f"not saved: {exc}", error=True)
            return
        self.note.value = ""
        for cb in self._callbacks["skip"]:
            cb(item)
        self._advance(f"skipped {item.item_id}")

    def undo(self) -> None:
        """Cancel the last decision or skip; that item is shown again."""
        back = self.queue.undo()
        if back is None:
            self._say("nothing to undo.")
            return
        for cb in self._callbacks["undo"]:
            cb(back)
        self._show(back, f"undid {back.previous!r} for {back.item_id}")

    # -- rendering --------------------------------------------------------------------------
    def _on_key(self, change: dict[str, Any]) -> None:
        value = change["new"]
        if self._handling_key or not value:
            return
        # Keys typed faster than one round trip arrive together: the browser had not yet
        # applied our clearing of the box, so its value is the handled keys plus new ones.
        # Each keystroke is sent once, so a value equal to the handled keys is a new press
        # of the same key(s) on a cleared box.
        handled = self._keys_handled
        longer = len(value) > len(handled) and value.startswith(handled)
        keys = value[len(handled):] if handled and longer else value
        self._keys_handled = value
        self._handling_key = True
        try:
            self.shortcut_box.value = ""
        finally:
            self._handling_key = False
        for key in keys:
            self.press(key)

    def _say(self, text: str, *, error: bool = False) -> None:
        color = "#b00020" if error else "#555"
        self.status.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    def _advance(self, message: str = "") -> None:
        self._show(self.queue.next(), message)

    def _show(self, item: QueueItem | None, message: str = "") -> None:
        self.current = item
        done = item is None
        for b in (*self.buttons, self.skip_button):
            b.disabled = done
        if done:
            self.header.value = "<b>Queue finished</b>: nothing left to review."
            self.content.children = ()
        elif item is not None:
            again = (
                f" · <i>undone, was {html.escape(str(item.previous))}</i>" if item.previous else ""
            )
            self.header.value = (
                f"<b>{html.escape(item.item_id)}</b> · {html.escape(item.reason)}{again}"
            )
            self.content.children = (self.display_fn(item),)
        p = self.queue.progress()
        self.progress_bar.max = max(1, p.total)
        self.progress_bar.value = min(p.total, p.done + p.skipped)
        self.progress_label.value = html.escape(p.summary())
        self._say(message)
