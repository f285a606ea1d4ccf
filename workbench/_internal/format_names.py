"""The names ``format=`` accepts, importable without pandas (the CLI types its options with them)."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["FORMAT_NAMES", "Format"]

#: ``"auto"`` or one of :data:`FORMAT_NAMES`.
Format = Literal["auto", "table", "label-studio", "prodigy", "argilla", "mturk", "labelbox", "arena",
                 "alpaca-eval", "chosen-rejected"]

#: Every value ``format=`` accepts besides ``"auto"``.
FORMAT_NAMES: tuple[str, ...] = get_args(Format)[1:]
