"""Arena-style human judgments (Chatbot Arena conversations, MT-bench human judgments).

Each record — ``question_id``, ``model_a``, ``model_b``, ``winner`` (``model_a``,
``model_b``, ``tie`` or ``tie (bothbad)``), ``judge``, ``conversation_a``/``conversation_b``
(lists of ``{"role", "content"}`` messages), ``turn``, ``tstamp`` — becomes one preferences
row: ``choice`` a/b/tie, and ``tie_bothbad`` (True for ``tie (bothbad)``) so that the two
kinds of tie stay distinguishable; ``response_a``/``response_b`` = the assistant message of
the judged turn (the ``turn``-th assistant message; the last one when ``turn`` is absent or
beyond the conversation); ``prompt`` = the user message before it; ``judge`` →
``annotator_id``; ``tstamp`` (epoch seconds) → ``timestamp``; ``model_a``/``model_b`` kept.

``pair_id`` is ``question_id`` when each question id names one comparison (Chatbot Arena);
when a question is judged for several model pairs or turns (MT-bench) it is
``question_id:model_a:model_b:turn``. A judge judging the same pair twice: the latest
(by ``tstamp``, then file order) is kept and the earlier ones counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.formats._common import (
    ImportResult,
    Peek,
    Tally,
    check_options,
    keep_latest,
    record_field,
    record_frame,
    require_format,
    to_utc,
)

__all__ = ["read"]

_TYPES: dict[str, type | tuple[type, ...]] = {
    "model_a": str, "model_b": str, "winner": str, "judge": (str, int), "question_id": (str, int),
    "conversation_a": (list, str), "conversation_b": (list, str), "turn": (int, float), "tstamp": (int, float),
    "language": str,
}


def _check_types(raw: pd.DataFrame, path: Path) -> None:
    """Each JSON record's fields of the JSON type this reader uses (record and field named)."""
    cols = [c for c in _TYPES if c in raw.columns]
    for n, rec in enumerate(raw[cols].to_dict("records"), start=1):
        for col in cols:
            value = rec[col]
            if isinstance(value, float) and np.isnan(value):
                continue
            record_field(rec, col, _TYPES[col], f"record {n}", path=path)


_WINNER = {"model_a": "a", "model_b": "b", "tie": "tie", "tie (bothbad)": "tie"}


def _turn(conversation: Any, turn: Any) -> tuple[Any, Any]:
    """(prompt, response) of the judged turn of a message list."""
    if conversation is None or (isinstance(conversation, float) and np.isnan(conversation)):
        return None, None
    if isinstance(conversation, str):
        return None, conversation
    msgs: Sequence[Any] = list(conversation)
    assistant = [i for i, m in enumerate(msgs) if isinstance(m, Mapping) and m.get("role") in ("assistant", "gpt", "bot")]
    if not assistant:
        return None, None
    k = len(assistant)
    try:
        t = int(turn)
    except (TypeError, ValueError):
        t = k
    idx = assistant[min(max(t, 1), k) - 1]
    prompt = next((msgs[j].get("content") for j in range(idx - 1, -1, -1)
                   if isinstance(msgs[j], Mapping) and msgs[j].get("role") in ("user", "human")), None)
    return prompt, msgs[idx].get("content")


def read(path: Path, peek: Peek, options: Mapping[str, object] | None = None) -> ImportResult:
    """Read arena-style judgments (JSON, JSON lines or Parquet; see the module docstring)."""
    check_options(options, (), format="arena")
    require_format(peek, "arena")
    raw = record_frame(path, peek, "arena", ["model_a", "model_b", "winner"])
    if peek.container not in ("parquet", "csv"):
        _check_types(raw, path)
    tally = Tally(str(path), "arena", "judgments")
    tally.read = len(raw)
    winner = raw["winner"].astype(str)
    unknown = ~winner.isin(list(_WINNER))
    if unknown.any():
        bad = sorted(winner[unknown].unique())[:5]
        raise WorkbenchError(
            f"'{path}': column 'winner' holds {', '.join(map(repr, bad))} at {int(unknown.sum())} rows; "
            f"arena files use {', '.join(map(repr, _WINNER))}."
        )
    n = len(raw)
    qid = raw["question_id"].astype(str) if "question_id" in raw.columns else pd.Series(raw.index.astype(str), index=raw.index)
    turn = raw["turn"] if "turn" in raw.columns else pd.Series([None] * n, index=raw.index)
    combos = pd.DataFrame({"q": qid, "a": raw["model_a"].astype(str), "b": raw["model_b"].astype(str), "t": turn.astype(str)})
    if (combos.drop_duplicates().groupby("q").size() > 1).any():
        pair = combos["q"] + ":" + combos["a"] + ":" + combos["b"] + ":" + combos["t"]
        tally.note("Question ids repeat across model pairs or turns: pair_id is question_id:model_a:model_b:turn.")
    else:
        pair = combos["q"]
    conv_a = raw["conversation_a"] if "conversation_a" in raw.columns else pd.Series([None] * n, index=raw.index)
    conv_b = raw["conversation_b"] if "conversation_b" in raw.columns else pd.Series([None] * n, index=raw.index)
    ta = [_turn(c, t) for c, t in zip(conv_a, turn, strict=True)]
    tb = [_turn(c, t) for c, t in zip(conv_b, turn, strict=True)]
    judge = raw["judge"].astype(str) if "judge" in raw.columns else pd.Series("arena", index=raw.index)
    out = pd.DataFrame({
        "pair_id": pair.to_numpy(),
        "annotator_id": judge.to_numpy(),
        "choice": winner.map(_WINNER).to_numpy(),
        "tie_bothbad": (winner == "tie (bothbad)").to_numpy(),
        "response_a": [r for _, r in ta],
        "response_b": [r for _, r in tb],
        "model_a": raw["model_a"].astype(str).to_numpy(),
        "model_b": raw["model_b"].astype(str).to_numpy(),
    })
    out["prompt"] = [pa if pa is not None else pb for (pa, _), (pb, _) in zip(ta, tb, strict=True)]
    if "turn" in raw.columns:
        out["turn"] = pd.to_numeric(raw["turn"], errors="coerce").to_numpy()
    if "tstamp" in raw.columns:
        out["timestamp"] = to_utc(raw["tstamp"].to_numpy(), unit="s").to_numpy()
    if "language" in raw.columns:
        out["category"] = raw["language"].astype(str).to_numpy()
    out["seq"] = np.arange(len(out))
    order = ["timestamp", "seq"] if "timestamp" in out.columns else ["seq"]
    out, n_dup = keep_latest(out, ["pair_id", "annotator_id"], order=order)
    tally.drop("repeated judgment by the same judge (kept the latest)", n_dup)
    no_text = (out["response_a"].isna() | out["response_b"].isna()).to_numpy()
    if no_text.all():
        tally.note("The file has no conversations: response_a/response_b are empty (length analyses need them).")
    return tally.result(preferences=out.drop(columns="seq").reset_index(drop=True))
