"""What a running report tells its runner: headline facts and the models it loaded.

A report notebook runs in its own kernel process, so it cannot hand Python objects to the
runner (:func:`workbench.reports.run_report`). The runner names a sidecar file in the
environment variable ``WORKBENCH_RUN_RECORD`` before it starts the kernel; inside the kernel,
:func:`headline` and :func:`record_model` append one JSON line each to that file, and the
runner merges the file into the run's ``manifest.json`` when the kernel is done. Without the
variable (a notebook opened by hand) both only keep their facts in memory.

This module sits at the bottom of the layers: the model loaders (``workbench._models``,
``workbench.scoring``, ``workbench.dedup``) report into it, and nothing here imports them.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench._internal.escape import escape_html
from workbench.errors import WorkbenchError

__all__ = [
    "RECORD_ENV",
    "Headlines",
    "headline",
    "loaded_models",
    "read_record",
    "read_inputs",
    "read_verdict",
    "record_inputs",
    "record_model",
    "record_verdict",
]

RECORD_ENV = "WORKBENCH_RUN_RECORD"

_LOCK = threading.Lock()
_MODELS: list[dict[str, Any]] = []
_HEADLINES: list[str] = []


@dataclass(frozen=True)
class Headlines:
    """The headline facts recorded by one :func:`headline` call; shows itself escaped."""

    facts: tuple[str, ...]

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{escape_html(f)}</li>" for f in self.facts)
        return f"<div class='wb-headline'><strong>Headline</strong><ul>{items}</ul></div>"

    def __str__(self) -> str:
        return "\n".join(f"Headline: {f}" for f in self.facts)


def _append(entry: dict[str, Any]) -> None:
    target = os.environ.get(RECORD_ENV)
    if not target:
        return
    line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
    with _LOCK, open(target, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def headline(*facts: str) -> Headlines:
    """Record one or more headline facts of the running report in its manifest.

    Call it from a report notebook with sentences built from computed values (never typed
    numbers); they appear in ``manifest.json`` (``headlines``), in the run record at the end
    of the HTML and in ``reports/index.html``.

    Parameters
    ----------
    *facts
        One short sentence each, e.g. ``f"alpha {alpha:.2f}: acceptance not met"``.

    Returns
    -------
    Headlines
        The facts; as the last expression of a cell it shows them (escaped).

    Raises
    ------
    WorkbenchError
        No fact, a fact that is not a string, or an empty one.

    Examples
    --------
    >>> print(headline("12 of 40 items duplicated"))
    Headline: 12 of 40 items duplicated
    """
    if not facts:
        raise WorkbenchError("headline() needs at least one fact, e.g. headline(f'alpha {alpha:.2f}').")
    for i, fact in enumerate(facts):
        if not isinstance(fact, str):
            raise WorkbenchError(
                f"headline fact {i} is a {type(fact).__name__} ({fact!r}); pass a sentence (str) "
                "built from the computed value, e.g. f'{value:.1%} kept'."
            )
        if not fact.strip():
            raise WorkbenchError(f"headline fact {i} is empty; pass a sentence with the finding.")
    cleaned = tuple(" ".join(f.split()) for f in facts)
    with _LOCK:
        _HEADLINES.extend(cleaned)
    for fact in cleaned:
        _append({"type": "headline", "text": fact})
    return Headlines(cleaned)


def record_model(
    *, kind: str, name: str, source: str, location: str, file: str | None = None
) -> None:
    """Note that a model was loaded (called by the model loaders, not by users).

    Parameters
    ----------
    kind
        ``"causal_lm"``, ``"clip"``, ``"embedding"``…
    name
        What the user asked for (a hub name, a path, the embedded default's name).
    source
        Where it came from: ``"embedded"``, ``"local_dir"``, ``"local_file"``, ``"hub_cache"``,
        ``"hub"``.
    location
        The folder (or hub name) it was loaded from.
    file
        The single weights file inside ``location``, if there is one.
    """
    entry = {"type": "model", "kind": kind, "name": name, "source": source,
             "location": location, "file": file}
    key = {k: v for k, v in entry.items() if k != "type"}
    with _LOCK:
        if key in _MODELS:
            return
        _MODELS.append(key)
    _append(entry)


def record_verdict(*, outcome: str, tone: str, headline: str) -> None:
    """Note the running report's verdict (called by ``workbench.analyses.base.show_verdict``).

    The runner stores the last one in ``manifest.json`` as ``verdict`` (``outcome``, ``tone``,
    ``headline``), so the index and the dashboard show what a report decided.
    """
    _append({"type": "verdict", "outcome": str(outcome), "tone": str(tone), "headline": str(headline)})


def record_inputs(files: dict[str, str]) -> None:
    """Note the files the running report resolved for its input parameters (``"auto"``
    companions included), so the manifest lists and hashes every file that was read."""
    _append({"type": "inputs", "files": {str(k): str(v) for k, v in files.items()}})


def read_inputs(path: str | os.PathLike[str]) -> dict[str, str]:
    """Parameter -> resolved file, from a sidecar file (the last record per parameter)."""
    p = Path(path)
    out: dict[str, str] = {}
    if not p.is_file():
        return out
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and entry.get("type") == "inputs" and isinstance(entry.get("files"), dict):
            out.update({str(k): str(v) for k, v in entry["files"].items()})
    return out


def read_verdict(path: str | os.PathLike[str]) -> dict[str, str] | None:
    """The last verdict a sidecar file holds (``None``: the report recorded none)."""
    p = Path(path)
    if not p.is_file():
        return None
    found: dict[str, str] | None = None
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and entry.get("type") == "verdict":
            found = {k: str(entry.get(k, "")) for k in ("outcome", "tone", "headline")}
    return found


def loaded_models() -> list[dict[str, Any]]:
    """The models this process recorded so far, in loading order (copies)."""
    with _LOCK:
        return [dict(m) for m in _MODELS]


def read_record(path: str | os.PathLike[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Read a sidecar file: its headline facts and its models (each model once).

    A line that is not JSON (a kernel killed mid-write) is skipped; a missing file is empty.
    """
    p = Path(path)
    if not p.is_file():
        return [], []
    headlines: list[str] = []
    models: list[dict[str, Any]] = []
    for line in p.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("type") == "headline":
            headlines.append(str(entry.get("text", "")))
        elif entry.get("type") == "model":
            model = {k: entry.get(k) for k in ("kind", "name", "source", "location", "file")}
            if model not in models:
                models.append(model)
    return headlines, models

