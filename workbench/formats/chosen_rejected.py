"""Chosen/rejected pair tables (HH-RLHF, UltraFeedback-binarized) as preferences.

One row per pair with the ``chosen`` and the ``rejected`` response becomes one preferences
row through :func:`from_chosen_rejected` (also :func:`workbench.io.from_chosen_rejected`), which puts the chosen response in
position a or b at random (seeded by ``rng``, default 0) and records it in
``chosen_position``. HH-RLHF dialogues (``"\\n\\nHuman: …\\n\\nAssistant: …"``) give the final
assistant turn as the response and the conversation before it as the prompt.
UltraFeedback-binarized message lists (``[{"role", "content"}, …]``) give the last assistant
message as the response and the ``prompt`` column (or the last user message) as the prompt;
``prompt_id`` becomes ``pair_id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench._internal.files import read_plain_table
from workbench._validation import as_rng, require_columns
from workbench.errors import SchemaError
from workbench.formats._common import (
    ImportResult,
    Peek,
    Tally,
    check_options,
    no_records,
    require_format,
)

__all__ = ["from_chosen_rejected", "last_assistant_turn", "read"]

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
    opts = check_options(options, _OPTIONS, format="chosen-rejected")
    require_format(peek, "chosen-rejected", accept_unknown=True)
    raw = read_plain_table(path)
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


_TURN = re.compile(r"\n\n(Human|Assistant):", flags=re.MULTILINE)


def last_assistant_turn(dialogue: str) -> tuple[str, str]:
    """Split an HH-style dialogue into (prompt, final assistant response).

    The prompt is everything before the final ``"\\n\\nAssistant:"`` marker; the response
    is what follows it, stripped. A text without the marker is returned as the response
    with an empty prompt.

    Examples
    --------
    >>> last_assistant_turn("\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: Bye\\n\\nAssistant: See you.")
    ('\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: Bye', 'See you.')
    """
    cut = dialogue.rfind("\n\nAssistant:")
    if cut < 0:
        return "", dialogue.strip()
    return dialogue[:cut], dialogue[cut + len("\n\nAssistant:") :].strip()


def from_chosen_rejected(
    df: pd.DataFrame,
    *,
    chosen: str = "chosen",
    rejected: str = "rejected",
    prompt: str | None = None,
    pair: str | None = None,
    annotator: str | None = None,
    dialogue: bool | None = None,
    rng: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Convert one-row-per-pair chosen/rejected data into the preferences table.

    Each pair's order is randomised with ``rng`` (the chosen response lands in position
    ``a`` or ``b`` with probability 1/2) and recorded in the column ``chosen_position``, so
    position effects of the conversion itself are known and testable.

    Parameters
    ----------
    df
        One row per pair with the chosen and the rejected text.
    chosen, rejected
        Their columns.
    prompt
        Column with the prompt, if any. For HH-style dialogues (``dialogue=True``) the
        prompt is the conversation before the final assistant turn.
    pair, annotator
        Columns with pair and annotator ids; missing → ``pair_0``, ``pair_1``… and one
        annotator ``"source"``.
    dialogue
        Whether texts are HH-style dialogues (``"\\n\\nHuman: …\\n\\nAssistant: …"``) whose final
        assistant turn is the response. ``None`` detects it from the first rows.
    rng
        Seed or Generator for the a/b order.

    Returns
    -------
    pandas.DataFrame
        ``pair_id, annotator_id, choice, response_a, response_b, prompt, chosen_position``.

    Examples
    --------
    >>> raw = pd.DataFrame({"chosen": ["\\n\\nHuman: 2+2?\\n\\nAssistant: 4."],
    ...                     "rejected": ["\\n\\nHuman: 2+2?\\n\\nAssistant: Five, I think."]})
    >>> out = from_chosen_rejected(raw, rng=0)
    >>> out.loc[0, ["choice", "chosen_position"]].tolist()
    ['b', 'b']
    >>> out.loc[0, "response_b"]
    '4.'
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"from_chosen_rejected expects a DataFrame, got {type(df).__name__}.")
    needed = [chosen, rejected] + [c for c in (prompt, pair, annotator) if c]
    require_columns(df, needed, table="chosen/rejected")
    if len(df) == 0:
        raise SchemaError("table 'chosen/rejected' is empty (0 rows).")
    gen = as_rng(rng)
    ch = df[chosen].astype("string").fillna("")
    rj = df[rejected].astype("string").fillna("")
    if dialogue is None:
        head = ch.head(20)
        dialogue = bool(head.str.contains("\n\nAssistant:", regex=False).mean() > 0.5)
    if dialogue:
        split_c = [last_assistant_turn(t) for t in ch]
        split_r = [last_assistant_turn(t) for t in rj]
        resp_c = [s[1] for s in split_c]
        resp_r = [s[1] for s in split_r]
        prompts = [s[0] for s in split_c]
    else:
        resp_c, resp_r = ch.tolist(), rj.tolist()
        prompts = df[prompt].astype("string").tolist() if prompt else [""] * len(df)
    if prompt and dialogue:
        prompts = df[prompt].astype("string").tolist()
    chosen_is_a = gen.random(len(df)) < 0.5
    out = pd.DataFrame(
        {
            "pair_id": df[pair].astype(str).to_numpy() if pair else [f"pair_{i}" for i in range(len(df))],
            "annotator_id": df[annotator].astype(str).to_numpy() if annotator else "source",
            "choice": np.where(chosen_is_a, "a", "b"),
            "response_a": np.where(chosen_is_a, resp_c, resp_r),
            "response_b": np.where(chosen_is_a, resp_r, resp_c),
            "prompt": prompts,
        }
    )
    out["chosen_position"] = out["choice"]
    return out
