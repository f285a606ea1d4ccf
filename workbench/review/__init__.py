"""Human-in-the-loop spot checks: a durable store, review queues, a widget and KPIs.

``ReviewStore`` keeps every decision in SQLite (append-only, committed one by one);
``ReviewQueue`` decides what a reviewer sees next; ``ReviewWidget`` shows it in Jupyter;
``review_kpis`` measures the reviewers. ``workbench.calibration`` turns the decisions into
thresholds for the automatic filter.

Names are imported on first use, so a process that only records decisions (or the CLI) does
not pay for ipywidgets and statsmodels.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "AcceptanceSample",
    "DEFAULT_TAXONOMY",
    "Event",
    "FilterUncertainty",
    "HistoryEntry",
    "LiveKPIs",
    "PAIR_TAXONOMY",
    "Progress",
    "QueueItem",
    "ReviewKPIs",
    "ReviewQueue",
    "ReviewStore",
    "ReviewWidget",
    "RandomOrder",
    "STRATEGIES",
    "Stratified",
    "Triage",
    "Uncertainty",
    "make_strategy",
    "SimulatedReviewer",
    "gold_accuracy",
    "posterior_entropy",
    "render_item",
    "review_kpis",
    "reviewer_agreement",
    "simulate_session",
    "throughput",
]

_WHERE = {
    "AcceptanceSample": "strategies",
    "Event": "store",
    "FilterUncertainty": "strategies",
    "ReviewStore": "store",
    "HistoryEntry": "queue",
    "LiveKPIs": "live",
    "PAIR_TAXONOMY": "widget",
    "Progress": "queue",
    "QueueItem": "queue",
    "ReviewQueue": "queue",
    "STRATEGIES": "strategies",
    "posterior_entropy": "strategies",
    "RandomOrder": "strategies",
    "Stratified": "strategies",
    "Triage": "strategies",
    "Uncertainty": "strategies",
    "make_strategy": "strategies",
    "DEFAULT_TAXONOMY": "widget",
    "ReviewWidget": "widget",
    "render_item": "widget",
    "ReviewKPIs": "kpis",
    "gold_accuracy": "kpis",
    "review_kpis": "kpis",
    "reviewer_agreement": "kpis",
    "throughput": "kpis",
    "SimulatedReviewer": "simulate",
    "simulate_session": "simulate",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"workbench.review.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'workbench.review' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
