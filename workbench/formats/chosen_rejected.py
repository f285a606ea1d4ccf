"""Chosen/rejected pair tables (HH-RLHF, UltraFeedback-binarized) as preferences.

One row per pair with the ``chosen`` and the ``rejected`` response becomes one preferences
row through :func:`workbench.io.from_chosen_rejected`, which puts the chosen response in
position a or b at random (seeded by ``rng``, default 0) and records it in
``chosen_position``. HH-RLHF dialogues (``"\\n\\nHuman: …\\n\\nAssistant: …"``) give the final
assistant turn as the response and the conversation before it as the prompt.
UltraFeedback-binarized message lists (``[{"role", "content"}, …]``) give the last assistant
message as the response and the ``prompt`` column (or the last user message) as the prompt;
``prompt_id`` becomes ``pair_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._validation import require_columns
from workbench.formats._common import (
    ImportResult,
    Peek,
    Tally,
    check_options,
    no_records,
    require_format,
)

__all__ = ["read"]

_OPTIONS = ("rng", "chosen", "rejected", "prompt", "pair", "annotator", "dialogue")


def _last(messages: Any, role: tuple[str, ...]) -> Any:
    for m in reversed(list(messages)):
        if isinstance(m, Mapping) and m.get("role") in role:
            return m.get("content")
    return None


def _is_messages(values: pd.Series) -> bool:
    head = values.dropna().head(5)
    return len(head) > 0 and all(isinstance(v, (list, np.ndarray)) for v in head)


def read(path: Path, peek: Peek, options: Mapping[str, object] | None = None) -> ImportResult:
    """Read a chosen/rejected table (any table format; see the module docstring)."""
    from workbench.io import from_chosen_rejected, load_table

    opts = check_options(options, _OPTIONS, format="chosen-rejected")
    require_format(peek, "chosen-rejected", accept_unknown=True)
    raw = load_table(path, format="table")
    if raw.empty:
        raise no_records(path, "chosen/rejected")
    chosen, rejected = str(opts.get("chosen", "chosen")), str(opts.get("rejected", "rejected"))
    require_columns(raw, [chosen, rejected], table="chosen/rejected", source=str(path))
    kwargs: dict[str, Any] = {k: opts[k] for k in ("prompt", "pair", "annotator", "dialogue") if k in opts}
    tally = Tally(str(path), "chosen-rejected", "pairs")
    tally.read = len(raw)
    if _is_messages(raw[chosen]):
        conv = pd.DataFrame({
            "chosen": [_last(m, ("assistant",)) for m in raw[chosen]],
            "rejected": [_last(m, ("assistant",)) for m in raw[rejected]],
        })
        if "prompt" in raw.columns:
            conv["prompt"] = raw["prompt"].astype("string").to_numpy(dtype=object)
        else:
            conv["prompt"] = [_last(m, ("user",)) for m in raw[chosen]]
        for c in ("prompt_id", kwargs.get("pair"), kwargs.get("annotator")):
            if c and c in raw.columns:
                conv[c] = raw[c].to_numpy()
        kwargs.setdefault("prompt", "prompt")
        if "prompt_id" in raw.columns:
            kwargs.setdefault("pair", "prompt_id")
        kwargs["dialogue"] = False
        raw = conv
        chosen, rejected = "chosen", "rejected"
    empty = (raw[chosen].isna() | raw[rejected].isna()).to_numpy()
    tally.drop("pair without a chosen or a rejected response", int(empty.sum()))
    raw = raw[~empty].reset_index(drop=True)
    prefs = from_chosen_rejected(raw, chosen=chosen, rejected=rejected, rng=opts.get("rng", 0), **kwargs)  # type: ignore[arg-type]
    tally.note(f"The chosen response was put in position a or b at random (rng={opts.get('rng', 0)!r}); "
               "chosen_position records where.")
    return tally.result(preferences=prefs)
