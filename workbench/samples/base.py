"""The sample container and the machinery every generator shares: the picker that fills
templates, small text helpers and argument checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.samples.truth import TruthRecord

__all__ = [
    "ISO",
    "SAMPLE_START",
    "Picker",
    "Sample",
    "cap",
    "check_count",
    "check_prob",
    "iso",
    "n_words",
]

#: First day of every sample's timeline (a Monday).
SAMPLE_START = pd.Timestamp("2025-03-03")
ISO = "%Y-%m-%dT%H:%M:%S"


TruthT = TypeVar("TruthT", bound=Mapping[str, Any])


@dataclass(frozen=True)
class Sample(Generic[TruthT]):
    """One synthetic data set: its tables (file stem → frame) and the planted truth.

    ``truth`` is the generator's typed truth record (:mod:`workbench.samples.truth`), read
    by attribute or by JSON key; ``truth["rows"]`` (if present) is a per-row truth frame
    written as ``truth/<name>_rows.csv``.
    """

    name: str
    tables: Mapping[str, pd.DataFrame]
    truth: TruthT

    @property
    def rows(self) -> pd.DataFrame | None:
        """Per-row truth (``truth/<name>_rows.csv``), or None."""
        rows = self.truth.get("rows")
        return rows if isinstance(rows, pd.DataFrame) else None

    def truth_json(self) -> dict[str, Any]:
        """The truth without the per-row frame, as written to ``truth/<name>.json``."""
        if isinstance(self.truth, TruthRecord):
            return self.truth.to_json()
        return {k: v for k, v in self.truth.items() if k != "rows"}

    def to_frame(self) -> pd.DataFrame:
        """One row per table: name, rows, columns."""
        return pd.DataFrame(
            {
                "table": list(self.tables),
                "rows": [len(t) for t in self.tables.values()],
                "columns": [", ".join(map(str, t.columns)) for t in self.tables.values()],
            }
        )

    def summary(self) -> str:
        """One paragraph: the tables and their sizes."""
        parts = ", ".join(f"{k} ({len(v):,} rows)" for k, v in self.tables.items())
        return f"Sample '{self.name}': {parts}; planted truth keys: {', '.join(self.truth_json())}."


# --------------------------------------------------------------------------------------
# text machinery
# --------------------------------------------------------------------------------------


class Picker:
    """Fast deterministic choices from a buffer of uniforms drawn from one Generator."""

    def __init__(self, gen: np.random.Generator, chunk: int = 65536) -> None:
        self._gen = gen
        self._chunk = chunk
        self._buf = gen.random(chunk)
        self._i = 0

    def u(self) -> float:
        """The next uniform in [0, 1)."""
        if self._i >= len(self._buf):
            self._buf = self._gen.random(self._chunk)
            self._i = 0
        v = float(self._buf[self._i])
        self._i += 1
        return v

    def pick(self, seq: Sequence[str]) -> str:
        """One element of ``seq``, uniformly."""
        return seq[int(self.u() * len(seq))]

    def fill(self, template: str, vocab: Mapping[str, Sequence[str]]) -> str:
        """Fill ``{slot}`` fields of ``template`` from ``vocab``; repeated slots differ."""
        out = []
        rest = template
        while True:
            i = rest.find("{")
            if i < 0:
                out.append(rest)
                break
            j = rest.index("}", i)
            out.append(rest[:i])
            out.append(self.pick(vocab[rest[i + 1 : j]]))
            rest = rest[j + 1 :]
        return "".join(out)


def cap(s: str) -> str:
    """``s`` with its first character upper-cased."""
    return s[:1].upper() + s[1:]


def n_words(texts: Sequence[str]) -> np.ndarray:
    """Whitespace word count of each text."""
    return np.fromiter((len(t.split()) for t in texts), dtype=np.int64, count=len(texts))


def iso(ts: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """Timestamps as ISO strings (``ISO``), object array."""
    return pd.DatetimeIndex(ts).strftime(ISO).to_numpy(dtype=object)



def check_prob(name: str, value: float) -> None:
    """A probability in [0, 1], else :class:`~workbench.errors.WorkbenchError`."""
    if not 0.0 <= float(value) <= 1.0:
        raise WorkbenchError(f"{name}={value!r} must be a probability between 0 and 1.")


def check_count(name: str, value: int, minimum: int = 1) -> None:
    """An integer ≥ ``minimum``, else :class:`~workbench.errors.WorkbenchError`."""
    if int(value) != value or value < minimum:
        raise WorkbenchError(f"{name}={value!r} must be an integer ≥ {minimum}.")

