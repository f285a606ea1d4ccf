"""Human-in-the-loop spot checks: a durable store, review queues, a widget and KPIs.

``ReviewStore`` keeps every decision in SQLite (append-only, committed one by one);
``ReviewQueue`` decides what a reviewer sees next; ``ReviewWidget`` shows it in Jupyter;
``review_kpis`` measures the reviewers. ``workbench.calibration`` turns the decisions into
thresholds for the automatic filter.
"""

from __future__ import annotations

from workbench.review.kpis import ReviewKPIs, gold_accuracy, review_kpis, reviewer_agreement, throughput
from workbench.review.queue import STRATEGIES, Progress, QueueItem, ReviewQueue, posterior_entropy
from workbench.review.simulate import SimulatedReviewer, simulate_session
from workbench.review.store import Event, ReviewStore
from workbench.review.widget import DEFAULT_TAXONOMY, ReviewWidget, render_item

__all__ = [
    "DEFAULT_TAXONOMY",
    "Event",
    "Progress",
    "QueueItem",
    "ReviewKPIs",
    "ReviewQueue",
    "ReviewStore",
    "ReviewWidget",
    "STRATEGIES",
    "SimulatedReviewer",
    "gold_accuracy",
    "posterior_entropy",
    "render_item",
    "review_kpis",
    "reviewer_agreement",
    "simulate_session",
    "throughput",
]
