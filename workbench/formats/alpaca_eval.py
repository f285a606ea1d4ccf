"""AlpacaEval annotation files: pairwise judgments of two models' outputs.

Each record has ``instruction``, ``output_1``, ``output_2``, ``generator_1``,
``generator_2`` and ``preference`` (1 = output_1 preferred, 2 = output_2 preferred, 1.5 or
0 = a draw; weighted annotators give a soft value in [1, 2]). It becomes one preferences
row: ``response_a`` = output_1, ``response_b`` = output_2, ``model_a``/``model_b`` = the
generators, ``prompt`` = the instruction, ``win_probability`` = the probability that b is
preferred (``preference - 1`` clipped to [0, 1]; 0 counts as 0.5), ``choice`` = ``b`` above
0.5, ``a`` below, ``tie`` at 0.5. ``annotator`` (the judge) → ``annotator_id``. Records
without a preference (the judge failed) are dropped and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.formats._common import (
    ImportResult,
    Peek,
    Tally,
    check_options,
    record_frame,
    require_format,
)

__all__ = ["read", "win_probability"]

_NEEDED = ["instruction", "output_1", "output_2", "preference"]


def win_probability(preference: pd.Series | np.ndarray) -> np.ndarray:
    """Probability that output_2 (position b) is preferred, from AlpacaEval's ``preference``.

    Examples
    --------
    >>> win_probability(np.array([1.0, 2.0, 1.5, 0.0, 1.25])).tolist()
    [0.0, 1.0, 0.5, 0.5, 0.25]
    """
    p = np.asarray(preference, dtype=float)
    return np.where(p == 0, 0.5, np.clip(p - 1.0, 0.0, 1.0))


def read(path: Path, peek: Peek, options: Mapping[str, object] | None = None) -> ImportResult:
    """Read an AlpacaEval annotations file (JSON array or JSON lines; see the module docstring)."""
    check_options(options, (), format="alpaca-eval")
    require_format(peek, "alpaca-eval")
    raw = record_frame(path, peek, "AlpacaEval", _NEEDED)
    tally = Tally(str(path), "alpaca-eval", "judgments")
    tally.read = len(raw)
    pref = pd.to_numeric(raw["preference"], errors="coerce")
    missing = pref.isna().to_numpy()
    tally.drop("no preference (the judge gave no answer)", int(missing.sum()))
    raw, pref = raw[~missing], pref[~missing]
    valid = pref.isin([0, 1, 1.5, 2]) | pref.between(1, 2)
    if not valid.all():
        first = raw.index[~valid.to_numpy()][0]
        raise WorkbenchError(
            f"'{path}' record {first + 1}: preference {str(raw.loc[first, 'preference'])!r} is not an AlpacaEval "
            f"preference (0, 1, 1.5, 2, or a soft value in [1, 2]); {int((~valid).sum()):,} record(s) hold "
            "such values. Reading them as wins would be a guess: check the annotator's output."
        )
    wp = win_probability(pref.to_numpy())
    judge = raw["annotator"].astype(str) if "annotator" in raw.columns else pd.Series("alpaca_eval", index=raw.index)
    out = pd.DataFrame({
        "pair_id": raw.index.astype(str),
        "annotator_id": judge.to_numpy(),
        "choice": np.where(wp > 0.5, "b", np.where(wp < 0.5, "a", "tie")),
        "response_a": raw["output_1"].astype("string").to_numpy(dtype=object),
        "response_b": raw["output_2"].astype("string").to_numpy(dtype=object),
        "prompt": raw["instruction"].astype("string").to_numpy(dtype=object),
        "win_probability": wp,
    })
    for src, dst in (("generator_1", "model_a"), ("generator_2", "model_b"), ("dataset", "category")):
        if src in raw.columns:
            out[dst] = raw[src].astype(str).to_numpy()
    tally.note("pair_id is the record's position in the file; win_probability is P(output_2 preferred).")
    return tally.result(preferences=out.reset_index(drop=True))
