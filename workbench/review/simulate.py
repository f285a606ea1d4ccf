"""Simulated reviewers: seed a demo store, test the loop, check that calibration works.

A :class:`SimulatedReviewer` follows a hidden rule on one score (``perplexity > 1500`` is
"Poor quality") and errs at a set rate; :func:`simulate_session` lets it work through a
:class:`~workbench.review.ReviewQueue` on a simulated clock, with occasional skips and undos,
writing through the same store the widget writes to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench._validation import as_rng, check_choice
from workbench.errors import WorkbenchError
from workbench.review.queue import QueueItem, ReviewQueue
from workbench.review.store import ReviewStore

__all__ = ["SimulatedReviewer", "SessionLog", "simulate_session"]


@dataclass(frozen=True)
class SimulatedReviewer:
    """A reviewer who flags an item when ``metric`` crosses ``threshold``.

    ``direction="max"`` flags values above the threshold (perplexity), ``"min"`` below
    (CLIP score), as in ``scoring.Rule``. With probability ``error_rate`` the decision is
    flipped. Flagged items get ``bad``; the others ``good``.

    Examples
    --------
    >>> r = SimulatedReviewer("perplexity", "max", 1500.0, error_rate=0.0)
    >>> r.truth(pd.Series([100.0, 2000.0])).tolist()
    ['Acceptable', 'Poor quality']
    """

    metric: str
    direction: Literal["max", "min"]
    threshold: float
    good: str = "Acceptable"
    bad: str = "Poor quality"
    error_rate: float = 0.05

    def __post_init__(self) -> None:
        check_choice(self.direction, name="direction", choices=("max", "min"))
        if not 0.0 <= self.error_rate <= 1.0:
            raise WorkbenchError(f"error_rate={self.error_rate} must be within [0, 1].")

    def truth(self, values: pd.Series | np.ndarray) -> pd.Series:
        """The decisions the hidden rule gives, without errors."""
        v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
        flag = v > self.threshold if self.direction == "max" else v < self.threshold
        return pd.Series(np.where(flag, self.bad, self.good), index=getattr(values, "index", None))

    def decide(self, item: QueueItem, rng: np.random.Generator) -> str:
        """This reviewer's decision on one served item."""
        if self.metric not in item.data:
            raise WorkbenchError(
                f"simulated reviewer: item {item.item_id!r} has no '{self.metric}' value; add "
                f"the score column '{self.metric}' to the items table."
            )
        value = float(item.data[self.metric])
        flag = value > self.threshold if self.direction == "max" else value < self.threshold
        if rng.uniform() < self.error_rate:
            flag = not flag
        return self.bad if flag else self.good


@dataclass(frozen=True)
class SessionLog:
    """What a simulated session did: counts of decisions, skips and undos, and its clock."""

    reviewer: str
    n_decisions: int
    n_skips: int
    n_undos: int
    started: pd.Timestamp
    ended: pd.Timestamp

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.__dict__])

    def summary(self) -> str:
        hours = (self.ended - self.started).total_seconds() / 3600
        return (
            f"{self.reviewer}: {self.n_decisions} decisions, {self.n_skips} skips, "
            f"{self.n_undos} undos over {hours:.1f} simulated hours."
        )


def simulate_session(
    items: pd.DataFrame,
    store: ReviewStore,
    reviewer: SimulatedReviewer,
    *,
    name: str,
    n: int,
    start: str | pd.Timestamp = "2026-01-05 09:00",
    rate_per_hour: float = 120.0,
    skip_rate: float = 0.02,
    undo_rate: float = 0.02,
    rng: int | np.random.Generator | None = None,
    queue_rng: int = 0,
    **queue_options: Any,
) -> SessionLog:
    """Let a simulated reviewer handle ``n`` items of a queue on a simulated clock.

    Parameters
    ----------
    items, store
        As for :class:`~workbench.review.ReviewQueue`.
    reviewer
        The hidden rule and error rate.
    name
        The reviewer's name in the store.
    n
        Items to handle (decide or skip); fewer if the queue runs out.
    start, rate_per_hour
        Clock start and mean pace; gaps between events are exponential.
    skip_rate, undo_rate
        Chance of skipping an item, and of undoing a decision right away and deciding again.
    rng
        Randomness of the reviewer (errors, skips, pace).
    queue_rng, queue_options
        Seed and options of the queue (strategy, gold, overlap_share...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> store = ReviewStore(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite", synchronous="NORMAL")
    >>> items = pd.DataFrame({"doc_id": list("abcd"), "text": list("wxyz"), "ppl": [1.0, 9.0, 2.0, 8.0]})
    >>> log = simulate_session(items, store, SimulatedReviewer("ppl", "max", 5.0, error_rate=0.0),
    ...                        name="sim", n=4, skip_rate=0.0, rng=0)
    >>> sorted(store.decisions()["decision"])
    ['Acceptable', 'Acceptable', 'Poor quality', 'Poor quality']
    """
    gen = as_rng(rng)
    if rate_per_hour <= 0:
        raise WorkbenchError(f"rate_per_hour={rate_per_hour} must be positive.")
    now = pd.Timestamp(start)
    if now.tzinfo is None:
        now = now.tz_localize("UTC")
    begin = now
    state = {"now": now}
    queue = ReviewQueue(items, store, reviewer=name, clock=lambda: state["now"], rng=queue_rng, **queue_options)
    mean_gap = 3600.0 / rate_per_hour
    n_dec = n_skip = n_undo = 0
    for _ in range(n):
        item = queue.next()
        if item is None:
            break
        gap = float(gen.exponential(mean_gap))
        state["now"] = state["now"] + pd.Timedelta(seconds=gap)
        if gen.uniform() < skip_rate:
            queue.skip(item, display_ms=gap * 1000.0)
            n_skip += 1
            continue
        queue.submit(item, reviewer.decide(item, gen), display_ms=gap * 1000.0)
        if gen.uniform() < undo_rate:
            state["now"] = state["now"] + pd.Timedelta(seconds=3.0)
            back = queue.undo()
            n_undo += 1
            if back is not None:
                again = float(gen.exponential(mean_gap / 4))
                state["now"] = state["now"] + pd.Timedelta(seconds=again)
                queue.submit(back, reviewer.decide(back, gen), display_ms=again * 1000.0)
        n_dec += 1
    return SessionLog(
        reviewer=name, n_decisions=n_dec, n_skips=n_skip, n_undos=n_undo, started=begin, ended=state["now"]
    )

