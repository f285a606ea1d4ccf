"""Review queues: which item a reviewer sees next, drawn from a table of items and a store.

A queue turns a table of items into a fixed serving plan (random, stratified, triage or
uncertainty order, with hidden gold items and overlap items interleaved) and asks the
:class:`~workbench.review.store.ReviewStore` what is already done. Because the plan is
deterministic for a seed and the progress lives in the store, a new queue with the same
arguments resumes exactly where the reviewer stopped, and it never serves an item twice to
the same reviewer unless asked (``repeat=True``).
"""

from __future__ import annotations

import itertools
import json
import logging
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench._internal.paths import locate_images
from workbench._internal.tables import id_column
from workbench._validation import (
    as_rng,
    require_columns,
    require_frame,
    require_no_missing,
    require_nonempty,
    require_unique,
)
from workbench.errors import SchemaError, WorkbenchError
from workbench.review.store import Event, ReviewStore
from workbench.review.strategies import (
    STRATEGIES,
    QueueStrategy,
    interleave,
    make_strategy,
    posterior_entropy,
)
from workbench.sampling import SequentialCheck, SequentialPlan

__all__ = [
    "HistoryEntry",
    "Progress",
    "QueueItem",
    "RetrainState",
    "ReviewQueue",
    "Strategy",
    "STRATEGIES",
    "posterior_entropy",
]

Strategy = Literal["random", "stratified", "triage", "uncertainty", "acceptance-sample", "filter-uncertainty"]
_RATE_AFTER = 10  # events in the session before a rate is shown
_RATE_WINDOW = 20  # gaps the smoothed rate looks at
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueItem:
    """One item as served to a reviewer.

    ``data`` holds the item's fields (text, caption, image path, the two responses...);
    ``kind`` says how to show it; ``reason`` says why it is in the queue; ``order`` is the
    left/right order of a preference pair (``("b", "a")`` shows response b on the left);
    ``previous`` is the decision an undo just cancelled; ``earlier`` is this reviewer's
    latest earlier decision on an item that comes back (a second pass, an item decided in
    another queue). Whether the item is hidden gold is kept out of everything the widget shows.
    """

    item_id: str
    data: Mapping[str, Any]
    kind: Literal["text", "image", "pair"]
    reason: str
    position: int
    order: tuple[str, str] | None = None
    previous: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    earlier: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One of the reviewer's recent decisions (``kind`` ``decision`` or ``skip``)."""

    event_id: int
    item_id: str
    kind: str
    decision: str | None
    created_at: pd.Timestamp
    snippet: str = ""


@dataclass(frozen=True)
class Progress:
    """Where a reviewer stands in a queue: counts, the rate (items per hour) and, with a
    sequential acceptance plan attached, where its test stands (``acceptance``)."""

    done: int
    skipped: int
    remaining: int
    total: int
    rate_per_hour: float | None
    acceptance: str | None = None

    @property
    def fraction(self) -> float:
        """Share of the queue handled (decided or skipped), 0..1."""
        return 0.0 if self.total == 0 else min(1.0, (self.done + self.skipped) / self.total)

    def summary(self) -> str:
        rate = "" if self.rate_per_hour is None else f", {self.rate_per_hour:,.0f} items/hour"
        check = "" if self.acceptance is None else f" · sequential check: {self.acceptance}"
        return f"{self.done} done, {self.skipped} skipped, {self.remaining} remaining{rate}{check}"


@dataclass(frozen=True)
class RetrainState:
    """Where a queue's background retraining stands (``strategy=FilterUncertainty(...,
    retrain_every=N)``): retrainings finished and failed, the decisions the serving filter was
    trained on, whether one runs now, and the last failure (the old order is kept then)."""

    every: int
    retrains: int
    failures: int
    running: bool
    trained_on: int
    training_hash: str
    last_error: str | None = None
    #: the learned filter that orders the queue now
    filter: Any = field(default=None, repr=False, compare=False)

    def summary(self) -> str:
        state = "retraining now" if self.running else "idle"
        failed = "" if not self.failures else f", {self.failures} failed (last: {self.last_error})"
        return (f"filter retrained every {self.every} decisions: {self.retrains} time(s), serving filter "
                f"{self.training_hash or '—'} trained on {self.trained_on} queue decision(s); {state}{failed}")


class _Retraining:
    """The background retraining of a filter-uncertainty queue: every ``every`` decisions of
    the reviewer, a thread reads the decisions in effect (its own read-only connection),
    retrains the filter and hands the queue a new order of the items not yet served; the
    queue swaps it in under its lock. A failure is recorded and logged, the old order kept."""

    def __init__(self, queue: ReviewQueue, strategy: Any) -> None:
        self.queue = queue
        self.strategy = strategy
        self.every = int(strategy.retrain_every)
        self.filter = strategy.filter
        self.mark: int | None = None  # decisions in effect when the last retraining started
        self.thread: threading.Thread | None = None
        self.retrains = 0
        self.failures = 0
        self.trained_on = 0
        self.last_error: str | None = None
        plan = queue.plan
        ordinary = np.flatnonzero(~queue._gold)
        self.ordinary = ordinary  # the serving order of ordinary (non-gold) plan positions, as planned
        randoms = plan["reason"].to_numpy(dtype=object) == strategy.RANDOM_REASON
        self.main_slots = np.flatnonzero(~randoms[ordinary])  # places of the filter-ordered items
        self.main_pos = ordinary[self.main_slots]
        self.retarget = np.flatnonzero(~randoms)  # positions whose reason is the filter's (gold included)
        self.ready: tuple[np.ndarray, np.ndarray, dict[str, Any], Any, int] | None = None

    def state(self) -> RetrainState:
        return RetrainState(every=self.every, retrains=self.retrains, failures=self.failures,
                            running=self.thread is not None and self.thread.is_alive(), trained_on=self.trained_on,
                            training_hash=str(getattr(self.filter, "training_hash", "")),
                            last_error=self.last_error, filter=self.filter)

    def tick(self, done: int) -> None:
        """Called on every decision and next(): start a retraining once ``every`` more decisions are in."""
        if self.mark is None:
            self.mark = done
        if done - self.mark < self.every or (self.thread is not None and self.thread.is_alive()):
            return
        self.mark = done
        self.thread = threading.Thread(target=self.run, args=(done, self.queue._watermark),
                                       name=f"retrain-{self.queue.name}", daemon=True)
        self.thread.start()

    def run(self, done: int, watermark: int) -> None:
        queue = self.queue
        try:
            with ReviewStore(queue.store.path, read_only=True, checked_through=watermark) as store:
                decisions = store.decisions()
            new = self.strategy.retrained(queue.items, decisions, self.filter, item=queue.item)
            key, reason = self.strategy.uncertainty(queue.items, new)
            ranked = self.main_pos[np.argsort(key[queue._rows[self.main_pos]], kind="stable")]
            reasons = queue._reasons.copy()
            reasons[self.retarget] = reason[queue._rows[self.retarget]]
            meta = {**queue._strategy_meta, "filter_training_hash": str(new.training_hash),
                    "filter_retrained_on": int(done)}
        except Exception as exc:  # noqa: BLE001 - the reviewer goes on with the old order
            self.failures += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            _log.warning("review queue %r: retraining the filter after %d decisions failed; the old order is "
                         "kept (%s)", queue.name, done, self.last_error)
            return
        with queue._serve_lock:
            self.ready = (ranked, reasons, meta, new, done)

    def apply(self) -> None:
        """Swap a finished retraining's order in (on the queue's thread, under its lock): the
        items this reviewer handled (and the one on screen) keep their places, the others take
        the filter's places in the new filter's order; gold and the random share do not move."""
        queue = self.queue
        with queue._serve_lock:
            if self.ready is None:
                return
            ranked, reasons, meta, new, done = self.ready
            self.ready = None
            handled = queue._mine_count > 0
            if queue._current is not None and queue._current.item_id in queue._pos:
                handled = handled.copy()
                handled[queue._pos[queue._current.item_id]] = True
            order = (self.ordinary if queue._order is None else queue._order).copy()
            free = ~handled[order[self.main_slots]]
            order[self.main_slots[free]] = ranked[~handled[ranked]]
            queue._order, queue._reasons, queue._strategy_meta = order, reasons, meta
            self.filter, self.trained_on = new, done
            self.retrains += 1


class ReviewQueue:
    """Serve items to one reviewer in a planned order, backed by a :class:`ReviewStore`.

    Parameters
    ----------
    items
        One row per item: an id column (``item_id``, ``doc_id`` or ``pair_id``) and what to
        show (``text``; ``image`` + ``caption``; ``response_a`` + ``response_b``), plus score
        or stratum columns the strategy uses.
    store
        Where decisions go and where progress is read from.
    reviewer
        Who is reviewing.
    strategy
        A strategy object of :mod:`workbench.review.strategies` — ``RandomOrder()``,
        ``Stratified(by=...)``, ``Triage(low=..., high=..., patterns=...)``,
        ``Uncertainty(posteriors=... | score=..., threshold=...)`` — or the name of one with
        its default options (``"random"``, ``"stratified"``). Its options live on the object,
        not on the queue.
    item
        The id column; found among ``item_id``, ``doc_id``, ``pair_id`` when ``None``.
    name
        The queue's name in the store (default: the strategy).
    size
        How many items this reviewer should handle (decide or skip) in this queue.
    gold, gold_share
        Ids (or a gold table with the id column) of gold items, all present in ``items``;
        about ``gold_share`` of the served items are gold, spread at random positions and
        served to every reviewer. Nothing the widget shows reveals them.
    overlap_share, overlap_reviewers
        About ``overlap_share`` of the other items go to ``overlap_reviewers`` reviewers
        each (for agreement); every other item goes to the first reviewer who gets to it.
    image_root
        Folder that relative ``image`` paths are relative to (the table's folder; default
        the working directory).
    allow_outside
        Accept ``image`` paths that lead outside ``image_root`` (absolute or ``..`` paths);
        otherwise such a path raises :class:`~workbench.errors.WorkbenchError` naming its
        row, so a table cannot make the widget read and embed files elsewhere.
    repeat
        Serve items this reviewer already handled (once per session).
    sequential, correct
        A sequential acceptance plan (:func:`workbench.sampling.sequential_plan`) to run on
        this reviewer's decisions in this queue, in the order made: a decision in ``correct``
        counts as a correct item, any other decision as an error (skips do not count). Its
        state ("continue", "accept reached after 412 items") is in :meth:`progress`, which
        the widget shows; undo and revisions are followed. Pair it with
        ``strategy=AcceptanceSample(plan)`` to serve the lot in its random order.
    clock
        Returns the time stamped on each event (default: now). Simulations pass their own.
        With ``strategy=FilterUncertainty(filter, retrain_every=N)`` the queue retrains the
        filter every N decisions on a background thread and re-orders what is not yet
        served; :meth:`retrain_state` says where that stands, :meth:`wait_for_retraining`
        waits for a running one (tests and simulations; the reviewer never waits).
    rng
        Seed of the plan. Keep it fixed (an int) to resume a queue in a later session.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = ReviewStore(pathlib.Path(tempfile.mkdtemp()) / "r.sqlite", synchronous="NORMAL")
    >>> items = pd.DataFrame({"doc_id": ["a", "b", "c"], "text": ["x", "y", "z"]})
    >>> q = ReviewQueue(items, store, reviewer="alice", rng=1)
    >>> first = q.next()
    >>> _ = q.submit(first, "Acceptable")
    >>> q.progress().summary()
    '1 done, 0 skipped, 2 remaining'
    >>> ReviewQueue(items, store, reviewer="alice", rng=1).next().item_id != first.item_id
    True
    """

    def __init__(
        self,
        items: pd.DataFrame,
        store: ReviewStore,
        *,
        reviewer: str,
        strategy: Strategy | QueueStrategy = "random",
        item: str | None = None,
        name: str | None = None,
        size: int | None = None,
        gold: Sequence[str] | pd.DataFrame | None = None,
        gold_share: float = 0.1,
        overlap_share: float = 0.0,
        overlap_reviewers: int = 2,
        image_root: str | Path | None = None,
        allow_outside: bool = False,
        repeat: bool = False,
        sequential: SequentialPlan | None = None,
        correct: Sequence[str] = ("Acceptable",),
        clock: Callable[[], datetime | pd.Timestamp] | None = None,
        rng: int | np.random.Generator | None = 0,
    ) -> None:
        frame = require_frame(items, table="items")
        require_nonempty(frame, table="items")
        plan_strategy = make_strategy(strategy)
        if not isinstance(reviewer, str) or not reviewer:
            raise WorkbenchError(
                f"review queue: reviewer must be a non-empty string, got {reviewer!r}; "
                "pass e.g. reviewer='alice'."
            )
        if not isinstance(store, ReviewStore):
            raise TypeError(f"store must be a ReviewStore, got {type(store).__name__}.")
        for share_name, share in (
            ("gold_share", gold_share),
            ("overlap_share", overlap_share),
        ):
            if not 0.0 <= share < 1.0 or (share_name == "overlap_share" and share > 1.0):
                raise WorkbenchError(
                    f"review queue: {share_name}={share!r} must be in [0, 1); e.g. 0.1 for 10%."
                )
        if overlap_reviewers < 2:
            raise WorkbenchError(
                f"review queue: overlap_reviewers={overlap_reviewers} must be at least 2 "
                "(agreement needs two reviewers of the same item)."
            )
        if size is not None and size < 1:
            raise WorkbenchError(f"review queue: size={size} must be a positive number of items.")
        if sequential is not None and not isinstance(sequential, SequentialPlan):
            raise WorkbenchError(
                f"review queue: sequential={type(sequential).__name__} must be a SequentialPlan "
                "(workbench.sampling.sequential_plan(p0, p1, alpha, beta)); a single-sampling plan is judged "
                "after the review with workbench.sampling.check_sample."
            )
        if isinstance(correct, str) or not all(isinstance(c, str) for c in correct) or not correct:
            raise WorkbenchError(f"review queue: correct={correct!r} must be a list of decisions that count as a "
                                 "correct item, e.g. ['Acceptable'].")
        item = id_column(frame, item=item, table="items")
        require_columns(frame, [item], table="items", option_names=["item"])
        require_no_missing(frame, item, table="items")
        frame = frame.assign(**{item: frame[item].astype(str)})
        require_unique(frame, [item], table="items")

        self.items = frame.reset_index(drop=True)
        self.store = store
        self.reviewer = reviewer
        self.strategy = plan_strategy.name
        self.strategy_options = plan_strategy
        record = getattr(plan_strategy, "record", None)
        self._strategy_meta: dict[str, Any] = dict(record()) if callable(record) else {}
        self.sequential = sequential
        self._correct = frozenset(correct)
        self._check = SequentialCheck(sequential) if sequential is not None else None
        self._seq_items: dict[str, bool] = {}  # item -> correct, in the order first decided
        self._seq_dirty = False
        self.item = item
        self.name = name or plan_strategy.name
        self.size = size
        self.repeat = repeat
        self.overlap_reviewers = overlap_reviewers
        self.image_root = None if image_root is None else Path(image_root)
        self.session = uuid.uuid4().hex[:12]
        self._clock = clock
        self._current: QueueItem | None = None
        self._shown_at: float | None = None
        self.last_undone: Event | None = None
        self._kind = self._item_kind()
        self._image_paths: list[Any] = []
        if self._kind == "image":
            self._image_paths = locate_images(self.items["image"], self.image_root, allow_outside=allow_outside,
                                              column="image", table="items")
        gen = as_rng(rng)

        ids = self.items[item].to_numpy(dtype=object)
        gold_ids = self._gold_ids(gold)
        is_gold = np.isin(ids, list(gold_ids))
        order, reasons = plan_strategy.order(self.items, item, gen, np.flatnonzero(~is_gold))
        gold_rows = gen.permutation(np.flatnonzero(is_gold))
        merged, from_gold = interleave(order, gold_rows, gold_share, gen, cap=True)
        reason_all = np.asarray(reasons, dtype=object)
        # a hidden gold item shows the reason the strategy gives its row, like any other item
        shown_reason = reason_all[merged]
        overlap = (~from_gold) & (gen.uniform(0, 1, len(merged)) < overlap_share)
        pair_flip = gen.uniform(0, 1, len(merged)) < 0.5
        self.plan = pd.DataFrame(
            {
                "item_id": ids[merged],
                "row": merged,
                "reason": shown_reason,
                "gold": from_gold,
                "overlap": overlap,
                "b_left": pair_flip if self._kind == "pair" else np.zeros(len(merged), bool),
            }
        )
        self.plan["reason"] = self.plan["reason"].astype(str)
        self._pos = {str(v): i for i, v in enumerate(self.plan["item_id"])}
        self._gold = self.plan["gold"].to_numpy(dtype=bool)
        self._overlap = self.plan["overlap"].to_numpy(dtype=bool)
        self._item_ids = self.plan["item_id"].to_numpy(dtype=object)
        self._rows = self.plan["row"].to_numpy(dtype=np.int64)
        self._reasons = self.plan["reason"].to_numpy(dtype=object)
        self._b_left = self.plan["b_left"].to_numpy(dtype=bool)
        self._places = np.zeros(len(self.plan), dtype=int)
        self._gold_slots = np.flatnonzero(self._gold)  # the k-th gold item's place in a reviewer's own sequence
        # what the store says, folded in event by event (see _refresh)
        self._watermark = 0
        self._mine: dict[int, tuple[str, str, str, str, str, str | None]] = {}
        self._mine_by_item: dict[str, list[int]] = {}
        self._mine_count = np.zeros(len(self.plan), dtype=int)
        self._n_others = np.zeros(len(self.plan), dtype=int)
        self._other_decisions: dict[tuple[int, str], int] = {}
        self._earlier: dict[str, str] = {}
        self._session_times: dict[int, str] = {}
        self._n_done = 0
        self._n_skipped = 0
        # the serving order of ordinary items (None: plan order); replaced whole by a retraining
        self._order: np.ndarray | None = None
        self._serve_lock = threading.Lock()
        self._retraining = (_Retraining(self, plan_strategy)
                            if getattr(plan_strategy, "retrain_every", None) is not None else None)

    # -- planning ---------------------------------------------------------------------------
    def _item_kind(self) -> Literal["text", "image", "pair"]:
        cols = set(self.items.columns)
        if {"response_a", "response_b"} <= cols:
            return "pair"
        if "image" in cols:
            return "image"
        if not ({"text", "caption"} & cols):
            raise SchemaError(
                "table 'items' has nothing to show: add a 'text' column, 'image' + 'caption', "
                f"or 'response_a' + 'response_b'; it has {', '.join(map(str, cols))}."
            )
        return "text"

    def _gold_ids(self, gold: Sequence[str] | pd.DataFrame | None) -> set[str]:
        if gold is None:
            return set()
        if isinstance(gold, pd.DataFrame):
            col = self.item if self.item in gold.columns else "item_id"
            require_columns(gold, [col], table="gold")
            values = gold[col]
        else:
            values = pd.Series(list(gold))
        gold_ids = set(values.astype(str))
        missing = sorted(gold_ids - set(self.items[self.item]))
        if missing:
            raise WorkbenchError(
                f"review queue: {len(missing)} gold item(s) are not in the items table, e.g. "
                f"{', '.join(missing[:5])}. Gold items are shown like any other, so include "
                "their rows (text, image...) in items."
            )
        return gold_ids

    # -- what the store says (read incrementally) -------------------------------------------
    def _refresh(self) -> None:
        """Fold the events appended since the last read into the queue's counters.

        Only events after the watermark ``self._watermark`` are read, so a step costs the
        same on a store of 5,000 or 500,000 events. Undos of other reviewers' events look
        their target up by primary key.
        """
        rows = self.store.events_since(self._watermark)
        get = self._pos.get
        for event_id, kind, item_id, who, decision, queue, session, created, undoes, _shown in rows:
            self._watermark = int(event_id)
            if who == self.reviewer:
                if kind == "undo":
                    if undoes is not None and int(undoes) in self._mine:
                        self._drop_mine(int(undoes))
                    continue
                if kind == "decision":
                    self._earlier[item_id] = str(decision)
                self._add_mine(int(event_id), item_id, kind, queue, session, created, decision)
                continue
            pos = get(item_id)
            if pos is None:
                continue
            if kind == "decision":
                self._other(pos, who, +1)
            elif kind == "undo" and undoes is not None:
                target = self.store.event(int(undoes))
                if target is not None and target.kind == "decision":
                    self._other(pos, who, -1)

    def _counts_here(self, session: str, queue: str) -> bool:
        return queue == self.name and (not self.repeat or session == self.session)

    def _item_state(self, item_id: str) -> str | None:
        """``decision``/``skip``: the latest of my events in effect on the item (this queue)."""
        for event_id in reversed(self._mine_by_item.get(item_id, ())):
            _, kind, queue, session, _, _ = self._mine[event_id]
            if self._counts_here(session, queue):
                return kind
        return None

    def _tally(self, item_id: str, before: str | None) -> None:
        after = self._item_state(item_id)
        if before == after:
            return
        for state, step in ((before, -1), (after, +1)):
            if state == "decision":
                self._n_done += step
            elif state == "skip":
                self._n_skipped += step

    def _add_mine(
        self, event_id: int, item_id: str, kind: str, queue: str, session: str, created: str, decision: str | None
    ) -> None:
        before = self._item_state(item_id)
        self._mine[event_id] = (item_id, kind, queue, session, created, decision)
        self._mine_by_item.setdefault(item_id, []).append(event_id)
        pos = self._pos.get(item_id)
        if pos is not None and (not self.repeat or session == self.session):
            self._mine_count[pos] += 1
        if queue == self.name and session == self.session:
            self._session_times[event_id] = created
        self._tally(item_id, before)
        if self._check is not None and queue == self.name:
            self._track(item_id)

    def _drop_mine(self, event_id: int) -> None:
        item_id, _, _, session, _, _ = self._mine[event_id]
        before = self._item_state(item_id)
        del self._mine[event_id]
        self._mine_by_item[item_id].remove(event_id)
        pos = self._pos.get(item_id)
        if pos is not None and (not self.repeat or session == self.session):
            self._mine_count[pos] -= 1
        self._session_times.pop(event_id, None)
        self._tally(item_id, before)
        if self._check is not None:
            self._track(item_id)

    def _decision_in_effect(self, item_id: str) -> str | None:
        """My decision in effect on the item in this queue (``None``: none, or a skip)."""
        for event_id in reversed(self._mine_by_item.get(item_id, ())):
            _, kind, queue, session, _, decision = self._mine[event_id]
            if self._counts_here(session, queue):
                return decision if kind == "decision" else None
        return None

    def _track(self, item_id: str) -> None:
        """Follow the sequential check: an appended decision is one O(1) update; an undo of the
        latest pops it; a revision or an older undo rebuilds the path on the next progress()."""
        assert self._check is not None
        decision = self._decision_in_effect(item_id)
        new = None if decision is None else decision in self._correct
        old = self._seq_items.get(item_id)
        if old is None and new is not None:
            self._seq_items[item_id] = new
            if not self._seq_dirty:
                self._check.update(new)
        elif old is not None and new is None:
            last = next(reversed(self._seq_items))
            del self._seq_items[item_id]
            if last == item_id and not self._seq_dirty:
                self._check.undo()
            else:
                self._seq_dirty = True
        elif old is not None and new is not None and old != new:
            self._seq_items[item_id] = new
            self._seq_dirty = True

    def sequential_state(self) -> SequentialCheck | None:
        """The sequential check over this reviewer's decisions (``None`` without a sequential plan)."""
        self._refresh()
        if self._check is not None and self._seq_dirty:
            assert self.sequential is not None
            self._check = SequentialCheck(self.sequential)
            for value in self._seq_items.values():
                self._check.update(value)
            self._seq_dirty = False
        return self._check

    def _other(self, pos: int, who: str, step: int) -> None:
        key = (pos, who)
        n = self._other_decisions.get(key, 0)
        if step > 0:
            self._other_decisions[key] = n + 1
            if n == 0:
                self._n_others[pos] += 1
        elif n > 0:
            if n == 1:
                del self._other_decisions[key]
                self._n_others[pos] -= 1
            else:
                self._other_decisions[key] = n - 1

    # -- serving ----------------------------------------------------------------------------
    def _state(self) -> np.ndarray:
        """The mask of plan rows this reviewer may still be served (``self._places``: how
        many reviewers each row may still go to; 0 = no limit)."""
        self._refresh()
        mine = self._mine_count > 0
        if self.repeat:
            self._places = np.zeros(len(self.plan), dtype=int)
            return ~mine
        n_others = self._n_others
        open_ = np.where(self._gold, True, np.where(self._overlap, n_others < self.overlap_reviewers, n_others == 0))
        self._places = np.where(self._gold, 0, np.where(self._overlap, self.overlap_reviewers - n_others, 1))
        return ~mine & open_

    def _make_item(self, pos: int, previous: str | None = None) -> QueueItem:
        row = self.items.iloc[int(self._rows[pos])]
        data = {str(k): (None if (not isinstance(v, (list, tuple, np.ndarray)) and pd.isna(v)) else v) for k, v in row.items()}
        if self._kind == "image" and data.get("image") is not None:
            data["image_path"] = str(self._image_paths[int(self._rows[pos])])
        order = None
        if self._kind == "pair":
            order = ("b", "a") if bool(self._b_left[pos]) else ("a", "b")
        reason = str(self._reasons[pos])
        planned = len(self.plan) if self.size is None else min(self.size, len(self.plan))
        meta: dict[str, Any] = {"position": pos, "reason": reason, "planned": planned, **self._strategy_meta}
        if bool(self._gold[pos]):
            meta["gold"] = True
        if bool(self._overlap[pos]):
            meta["overlap"] = True
        if order is not None:
            meta["order"] = "".join(order)
        item_id = str(self._item_ids[pos])
        return QueueItem(
            item_id=item_id,
            data=data,
            kind=self._kind,
            reason=reason,
            position=pos,
            order=order,
            previous=previous,
            meta=meta,
            earlier=None if previous is not None else self._earlier.get(item_id),
        )

    def next(self) -> QueueItem | None:
        """The item to show now (the same one until it is decided or skipped), or ``None``.

        Hidden gold follows the reviewer's own count: the k-th gold item comes when this
        reviewer has handled as many items as the k-th gold position of the plan, so a
        reviewer who joins late gets the target share of gold from their first item (not
        every gold item the others' progress has left at the front of the plan).
        """
        if self._current is not None:
            return self._current
        eligible = self._state()
        if self._retraining is not None:
            self._retraining.apply()
            self._retraining.tick(self._n_done)
        with self._serve_lock:
            return self._serve(eligible)

    def _serve(self, eligible: np.ndarray) -> QueueItem | None:
        handled = self._n_done + self._n_skipped
        if self.size is not None and handled >= self.size:
            return None
        gold_left = np.flatnonzero(eligible & self._gold)
        gold_had = int((self._mine_count[self._gold_slots] > 0).sum())
        gold_due = gold_had < len(self._gold_slots) and handled >= self._gold_slots[gold_had]
        order = self._order
        ordinary = np.flatnonzero(eligible & ~self._gold) if order is None else order[eligible[order]]
        # the first eligible item no other reviewer has on screen (hidden gold goes to all)
        candidates = (gold_left[:1], ordinary, gold_left[1:]) if gold_due else (ordinary, gold_left)
        for group in candidates:
            for pos in group:
                places = int(self._places[pos])
                item_id = str(self._item_ids[pos])
                if places == 0 or self.store.claim(item_id, self.reviewer, limit=places):
                    self._current = self._make_item(int(pos))
                    self._shown_at = time.monotonic()
                    return self._current
        return None

    def _time(self) -> datetime | pd.Timestamp | None:
        return None if self._clock is None else self._clock()

    def _check_item(self, item: QueueItem) -> None:
        if self._current is None or item.item_id != self._current.item_id:
            current = None if self._current is None else self._current.item_id
            raise WorkbenchError(
                f"review queue: item {item.item_id!r} is not the item being shown ({current!r}); "
                "call next() and decide the item it returns."
            )

    def _on_screen_ms(self, display_ms: float | None) -> float | None:
        if display_ms is not None:
            return float(display_ms)
        if self._clock is not None or self._shown_at is None:
            return None
        return (time.monotonic() - self._shown_at) * 1000.0

    def submit(
        self,
        item: QueueItem,
        decision: str,
        *,
        tags: Sequence[str] = (),
        note: str = "",
        display_ms: float | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Event:
        """Record the reviewer's decision on the current item (committed on return).

        ``display_ms``: how long the item was on the reviewer's screen (the widget measures
        it in the browser); by default the time since :meth:`next` served it. ``meta``:
        extras stored with the event's JSON meta (e.g. the key's sequence number).
        """
        self._check_item(item)
        event = self.store.record(
            item.item_id,
            self.reviewer,
            decision,
            tags=tags,
            note=note,
            queue=self.name,
            session=self.session,
            meta={**item.meta, **(meta or {})},
            created_at=self._time(),
            display_ms=self._on_screen_ms(display_ms),
            release=True,
        )
        self._current = None
        if self._retraining is not None:  # count the decision now: a retraining starts right after the N-th
            self._refresh()
            self._retraining.tick(self._n_done)
        return event

    def skip(
        self, item: QueueItem, *, note: str = "", display_ms: float | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> Event:
        """Record that the reviewer passed on the current item; it is not served again."""
        self._check_item(item)
        event = self.store.skip(
            item.item_id,
            self.reviewer,
            note=note,
            queue=self.name,
            session=self.session,
            meta={**item.meta, **(meta or {})},
            created_at=self._time(),
            display_ms=self._on_screen_ms(display_ms),
            release=True,
        )
        self._current = None
        return event

    def undo(self) -> QueueItem | None:
        """Cancel the reviewer's latest decision or skip in this queue; show that item again.

        Returns the item to show now: the one whose decision was cancelled, or, when an
        earlier decision on that item is still in effect (a revision was undone), the item
        that was on screen. ``None`` when there is nothing to undo (the current item stays).
        ``last_undone`` holds the cancelled event.
        """
        cancelled = self.store.undo(self.reviewer, queue=self.name, created_at=self._time())
        self.last_undone = cancelled
        if cancelled is None:
            return None
        self._refresh()
        if self._item_state(cancelled.item_id) is not None:  # an earlier decision still holds
            return self.next()
        pos = self._pos.get(cancelled.item_id)
        previous = cancelled.decision if cancelled.kind == "decision" else "skipped"
        if self._current is not None and self._current.item_id != cancelled.item_id:
            self.store.release(self._current.item_id, self.reviewer)
        with self._serve_lock:
            self._current = self._make_item(pos, previous=previous) if pos is not None else None
        if self._current is not None:  # back on this reviewer's screen: keep others off it
            self.store.claim(cancelled.item_id, self.reviewer, limit=10**9)
            self._shown_at = time.monotonic()
        return self._current

    def retrain_state(self) -> RetrainState | None:
        """Where the background retraining stands (``None``: the queue does not retrain); a
        finished retraining counts once its order is swapped in (on the next :meth:`next`)."""
        return None if self._retraining is None else self._retraining.state()

    def wait_for_retraining(self, timeout: float | None = None) -> bool:
        """Wait for a running retraining to finish (and swap its order in); ``True`` when none
        runs any more. For tests and simulations: the reviewer's next() never waits."""
        if self._retraining is None:
            return True
        thread = self._retraining.thread
        if thread is not None:
            thread.join(timeout)
        self._refresh()
        self._retraining.apply()
        return thread is None or not thread.is_alive()

    def history(self, n: int = 10) -> list[HistoryEntry]:
        """The reviewer's last ``n`` decisions and skips in effect in this queue, newest first."""
        self._refresh()
        out: list[HistoryEntry] = []
        for event_id in reversed(self._mine):
            item_id, kind, queue, session, created, decision = self._mine[event_id]
            if not self._counts_here(session, queue):
                continue
            latest = self._mine_by_item[item_id][-1] == event_id
            if latest:
                out.append(HistoryEntry(event_id, item_id, kind, decision, pd.Timestamp(created),
                                        self._snippet(item_id)))
            if len(out) >= n:
                break
        return out

    def _snippet(self, item_id: str, limit: int = 60) -> str:
        """The start of an item's text (or caption, or first response), for the history list."""
        pos = self._pos.get(item_id)
        if pos is None:
            return ""
        row = self.items.iloc[int(self._rows[pos])]
        for col in ("text", "caption", "prompt", "response_a"):
            if col in row.index and isinstance(row[col], str) and row[col].strip():
                text = " ".join(row[col].split())
                return text if len(text) <= limit else text[: limit - 1] + "…"
        return ""

    def revise(
        self, event_id: int, decision: str, *, tags: Sequence[str] = (), note: str = ""
    ) -> Event:
        """Change an earlier decision (or skip) of this reviewer: a new decision event.

        Nothing is overwritten: the new event carries ``meta["revises"] = event_id`` and,
        being the latest, is the decision in effect; :meth:`undo` cancels it like any other.
        """
        self._refresh()
        if event_id not in self._mine:
            raise WorkbenchError(
                f"review queue: event {event_id} is not a decision or skip of {self.reviewer!r} "
                "still in effect; pick one from history()."
            )
        old = self.store.event(event_id)
        assert old is not None  # in self._mine, hence stored
        meta = {**json.loads(old.meta), "revises": int(event_id)}
        return self.store.record(
            old.item_id,
            self.reviewer,
            decision,
            tags=tags,
            note=note,
            queue=self.name,
            session=self.session,
            meta=meta,
            created_at=self._time(),
        )

    def progress(self) -> Progress:
        """Counts of decided, skipped and remaining items, and this session's rate.

        The rate (items per hour) is smoothed: one hour over the median gap between the
        session's last 20 events, shown once the session holds 10 events (too few gaps give
        a number that jumps with every key).
        """
        eligible = self._state()
        done, skipped = self._n_done, self._n_skipped
        open_left = int(eligible.sum())
        total = done + skipped + open_left
        if self.size is not None:
            total = min(total, self.size)
        remaining = max(0, total - done - skipped)
        rate = None
        if len(self._session_times) >= _RATE_AFTER:
            recent = [datetime.fromisoformat(t) for t in sorted(self._session_times.values())[-(_RATE_WINDOW + 1):]]
            gap = statistics.median((b - a).total_seconds() for a, b in itertools.pairwise(recent))
            if gap > 0:
                rate = 3600.0 / gap
        check = self.sequential_state() if self._check is not None else None
        return Progress(done=done, skipped=skipped, remaining=remaining, total=total, rate_per_hour=rate,
                        acceptance=None if check is None else check.summary())

    def composition(self) -> pd.DataFrame:
        """What the queue holds: count of planned items by reason group and gold/overlap.

        Columns ``group``, ``n``, ``share``; the reason text is cut at its first number, so
        ``perplexity 2,310 > 1,500`` and ``perplexity 1,900 > 1,500`` count together.
        """
        plan = self.plan if self.size is None else self.plan.head(self.size)
        group = plan["reason"].str.replace(r"\s[-\d.,]+.*$", "", regex=True)
        group = group.where(~plan["gold"], "hidden gold").where(~plan["overlap"], group + " (overlap)")
        counts = group.value_counts().rename_axis("group").reset_index(name="n")
        counts["share"] = counts["n"] / counts["n"].sum()
        return counts

    def __repr__(self) -> str:
        return (
            f"ReviewQueue(name={self.name!r}, reviewer={self.reviewer!r}, strategy={self.strategy!r}, "
            f"items={len(self.items)}, store={self.store!r})"
        )

