"""A figure checker: the plotly figures of a report are drawn, sized and scaled sensibly.

:func:`check_figure` takes one figure as plotly JSON (a ``dict`` with ``data`` and
``layout``, as stored in an executed notebook's ``application/vnd.plotly.v1+json`` output or
returned by ``fig.to_plotly_json()``) and lists what is wrong with it:

* no trace carries any data;
* the figure is less than 200 px tall, or a subplot panel less than 80 px;
* an explicit axis range does not cover the data drawn on it;
* a log axis has a range (or annotations) in linear units — plotly reads both in log10
  units, which is how an x axis from 10^0 to 10^297 happens;
* a heatmap prints its values in more than 400 cells (unreadable);
* a histogram sits on a log axis (plotly.js draws it empty);
* a categorical axis packs its tick labels closer than 10 px (rows or columns too dense for
  their labels, with no thinning of the ticks);
* a second axis with ticks synced to the first (``tickmode="sync"``: ticks 0.204, 0.407 …);
* a numeric axis without a title, or an axis titled with a column name (``p_value``);
* a log axis spanning under two decades with default ticks (labels "10 2 3 5 100");
* a date axis holding one time point (plotly zooms to milliseconds: "23:59:59.9996").

:func:`notebook_figures` pulls every figure out of an executed notebook and
:func:`check_notebook` checks them all; the report tests use it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MIN_FIGURE_HEIGHT", "check_figure", "check_notebook", "notebook_figures"]

#: Figures shorter than this (px) are flagged.
MIN_FIGURE_HEIGHT = 200
_MIN_PANEL = 80
_MIN_TICK_PX = 10.0
_MAX_TEXT_CELLS = 400
_DEFAULT_HEIGHT, _DEFAULT_WIDTH = 450, 900
_PLOTLY_MIME = "application/vnd.plotly.v1+json"
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def _values(obj: Any) -> list[Any]:
    """Flatten a trace's x / y / z into a list (plotly JSON may hold typed-array dicts)."""
    if obj is None:
        return []
    if isinstance(obj, Mapping) and "bdata" in obj:
        import base64

        dtype = np.dtype(obj.get("dtype", "f8"))
        return list(np.frombuffer(base64.b64decode(obj["bdata"]), dtype=dtype))
    if isinstance(obj, (list, tuple)):
        out: list[Any] = []
        for v in obj:
            out.extend(_values(v) if isinstance(v, (list, tuple, Mapping)) else [v])
        return out
    if isinstance(obj, np.ndarray):
        return list(obj.ravel())
    return [obj]


def _numeric(values: Iterable[Any]) -> np.ndarray:
    out = []
    for v in values:
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(float(v)):
            out.append(float(v))
    return np.asarray(out, dtype=float)


def _is_categorical(values: list[Any]) -> bool:
    strings = [v for v in values if isinstance(v, str)]
    if not strings:
        return False
    import re

    date = re.compile(r"^\d{4}-\d{2}-\d{2}")
    return not all(date.match(s) for s in strings)


def _axis_name(ref: str | None, letter: str) -> str:
    """'x2' -> 'xaxis2'; None or 'x' -> 'xaxis'."""
    if not ref or ref == letter:
        return f"{letter}axis"
    return f"{letter}axis{ref[1:]}"


def check_figure(fig: Mapping[str, Any], *, name: str = "figure") -> list[str]:
    """Problems of one plotly figure (JSON dict); an empty list means it passes.

    Examples
    --------
    >>> check_figure({"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}],
    ...               "layout": {"height": 150, "xaxis": {"title": "items"}, "yaxis": {"title": "share"}}})
    ['figure: 150 px tall, less than 200 px']
    >>> check_figure({"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}],
    ...               "layout": {"xaxis": {"title": "p_value"}, "yaxis": {"title": "n"}}})
    ["figure: xaxis is titled with a column name ('p_value'); title it in words"]
    >>> check_figure({"data": [{"type": "scatter", "x": [10, 900], "y": [1, 2]}],
    ...               "layout": {"xaxis": {"type": "log", "range": [0, 297]}}})[0]
    'figure: log axis xaxis has range [0, 297] but its data span 10^1.0 .. 10^3.0 (a range in linear units?)'
    """
    problems: list[str] = []
    data = list(fig.get("data") or [])
    layout = dict(fig.get("layout") or {})
    template_layout = ((layout.get("template") or {}).get("layout") or {}) if isinstance(layout.get("template"), Mapping) else {}
    height = layout.get("height") or template_layout.get("height") or _DEFAULT_HEIGHT
    width = layout.get("width") or _DEFAULT_WIDTH
    if not data or not any(
        len(_values(t.get(k))) for t in data for k in ("x", "y", "z", "values", "lat", "a")
    ):
        problems.append(f"{name}: no trace carries data")
    for t in data:
        if t.get("type") == "heatmap" and (t.get("texttemplate") or t.get("text") is not None and
                                           t.get("texttemplate") not in (None, "")):
            n_cells = len(_values(t.get("z")))
            if t.get("texttemplate") and n_cells > _MAX_TEXT_CELLS:
                problems.append(f"{name}: a heatmap prints values in {n_cells} cells (> {_MAX_TEXT_CELLS}); "
                                "drop the cell text, keep it in the hover")
    for t in data:
        if t.get("type") == "histogram":
            axis = layout.get(_axis_name(t.get("xaxis"), "x")) or {}
            if axis.get("type") == "log":
                problems.append(f"{name}: a histogram on a log x axis (plotly.js draws no bars there); "
                                "bin in log10 space and draw bars on a linear axis")
    if height < MIN_FIGURE_HEIGHT:
        problems.append(f"{name}: {height} px tall, less than {MIN_FIGURE_HEIGHT} px")
    margin = layout.get("margin") or {}
    plot_h = max(height - (margin.get("t", 100) if "t" in margin else 100) - (margin.get("b", 80) if "b" in margin else 80), 1)
    plot_w = max(width - 160, 1)
    # collect data per axis
    per_axis: dict[str, list[Any]] = {}
    for t in data:
        if t.get("type") in ("pie", "funnel", "table", "sankey"):
            continue
        horizontal = t.get("orientation") == "h"
        for letter in ("x", "y"):
            vals = _values(t.get(letter))
            if t.get("type") == "histogram" and not vals:
                continue
            if t.get("type") in ("bar", "histogram") and ((letter == "y") != horizontal):
                continue  # bar heights / histogram counts start at 0: autoscaled, not checked
            per_axis.setdefault(_axis_name(t.get(f"{letter}axis"), letter), []).extend(vals)
    for axis_key, vals in per_axis.items():
        axis = layout.get(axis_key) or {}
        nums = _numeric(vals)
        is_log = axis.get("type") == "log"
        rng = axis.get("range")
        categorical = axis.get("type") == "category" or (axis.get("type") in (None, "-") and _is_categorical(vals))
        if is_log and rng is not None and len(nums[nums > 0]):
            pos = nums[nums > 0]
            lo, hi = math.log10(pos.min()), math.log10(pos.max())
            if rng[0] is not None and rng[1] is not None and (rng[1] > hi + 3 or rng[0] < lo - 3):
                problems.append(
                    f"{name}: log axis {axis_key} has range [{rng[0]:g}, {rng[1]:g}] but its data span "
                    f"10^{lo:.1f} .. 10^{hi:.1f} (a range in linear units?)"
                )
        elif (rng is not None and not categorical and len(nums) and axis.get("type") != "date"
              and all(isinstance(r, (int, float)) for r in rng)):
            lo_r, hi_r = min(rng), max(rng)
            span = max(hi_r - lo_r, 1e-12)
            outside = (nums < lo_r - 1e-6 * span) | (nums > hi_r + 1e-6 * span)
            if outside.any():
                problems.append(
                    f"{name}: axis {axis_key} range [{lo_r:g}, {hi_r:g}] leaves out {int(outside.sum())} "
                    f"data value(s), e.g. {nums[outside][0]:g}"
                )
        if categorical:
            n_cat = len(dict.fromkeys(str(v) for v in vals))
            ticks = axis.get("tickvals")
            shown = len(_values(ticks)) if ticks is not None else n_cat
            domain = axis.get("domain") or [0, 1]
            extent = (plot_h if axis_key.startswith("y") else plot_w) * (domain[1] - domain[0])
            if shown and extent / shown < _MIN_TICK_PX and axis.get("showticklabels", True):
                problems.append(
                    f"{name}: categorical axis {axis_key} shows {shown} labels in {extent:.0f} px "
                    f"({extent / shown:.1f} px each; thin the ticks or make the figure taller)"
                )
    # axes that read wrong (issue 28): ticks synced to another axis, titles missing or in code,
    # log axes too short for their default ticks, one time point on a date axis
    for key, axis in layout.items():
        if not (key.startswith(("xaxis", "yaxis")) and isinstance(axis, Mapping)):
            continue
        if axis.get("tickmode") == "sync" or (axis.get("overlaying") and axis.get("dtick") is None
                                              and axis.get("tickvals") is None):
            problems.append(f"{name}: {key} has ticks synced to another axis (ticks like 0.204, 0.407); "
                            "give the second axis its own ticks or a panel of its own")
        title = axis.get("title")
        text = str((title.get("text") if isinstance(title, Mapping) else title) or "")
        if _IDENTIFIER.match(text.strip()):
            problems.append(f"{name}: {key} is titled with a column name ({text!r}); title it in words")
    for axis_key, vals in per_axis.items():
        axis = layout.get(axis_key) or {}
        title = axis.get("title")
        text = str((title.get("text") if isinstance(title, Mapping) else title) or "").strip()
        numeric = axis.get("type") in ("linear", "log") or (axis.get("type") in (None, "-") and not _is_categorical(vals)
                                                              and len(_numeric(vals)))
        titled_sibling = any(  # small multiples: one titled panel axis of the same letter is enough
            isinstance(v, Mapping) and k[:5] == axis_key[:5] and k != axis_key
            and str(((v.get("title") or {}).get("text") if isinstance(v.get("title"), Mapping) else v.get("title")) or "")
            for k, v in layout.items())
        if numeric and not text and axis.get("showticklabels", True) and axis.get("visible", True) \
                and not axis.get("matches") and not titled_sibling and not layout.get("annotations"):
            problems.append(f"{name}: the numeric axis {axis_key} has no title (say what it measures)")
        if axis.get("type") == "log" and axis.get("dtick") is None and axis.get("tickvals") is None:
            pos = _numeric(vals)
            pos = pos[pos > 0]
            if len(pos) and math.log10(pos.max() / pos.min()) < 1.5:
                problems.append(f"{name}: log axis {axis_key} spans {pos.min():g}..{pos.max():g}, under two decades, "
                                "with default ticks (labels like '10 2 3 5 100'); use a linear axis or set dtick")
        if axis.get("type") == "date" and len(set(map(str, vals))) == 1 and axis.get("range") is None:
            problems.append(f"{name}: one time point on the date axis {axis_key} (plotly zooms to milliseconds); "
                            "give it a range or show a sentence")
    # subplot panels
    for key, axis in layout.items():
        if key.startswith("yaxis") and isinstance(axis, Mapping) and axis.get("domain"):
            d = axis["domain"]
            if (d[1] - d[0]) * plot_h < _MIN_PANEL and key in per_axis:
                problems.append(f"{name}: subplot {key} is {(d[1] - d[0]) * plot_h:.0f} px tall (< {_MIN_PANEL} px)")
    # annotations on log axes are placed in log10 units (shapes, in plotly.js, in data units)
    for ann in layout.get("annotations") or []:
        ref = str(ann.get("xref") or "x")
        if "paper" in ref or "domain" in ref:
            continue
        axis_key = _axis_name(ref, "x")
        axis = layout.get(axis_key) or {}
        nums = _numeric(per_axis.get(axis_key, []))
        x = _numeric([ann.get("x")])
        if axis.get("type") == "log" and len(nums[nums > 0]) and len(x):
            hi = math.log10(nums[nums > 0].max())
            if x[0] > hi + 3:
                problems.append(
                    f"{name}: an annotation on log axis {axis_key} sits at x={x[0]:g}, read as 10^{x[0]:.0f}; "
                    "give its position as log10(value)"
                )
    return problems


def notebook_figures(notebook: str | Path | Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every plotly figure in an executed notebook, named ``cell N, figure K: title``.

    Examples
    --------
    >>> notebook_figures({"cells": []})
    []
    """
    if isinstance(notebook, (str, Path)):
        import nbformat

        nb: Any = nbformat.read(str(notebook), as_version=4)
    else:
        nb = notebook
    out = []
    for i, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        k = 0
        for o in cell.get("outputs", []):
            fig = (o.get("data") or {}).get(_PLOTLY_MIME)
            if fig is None:
                continue
            k += 1
            title = (fig.get("layout") or {}).get("title")
            text = title.get("text", "") if isinstance(title, Mapping) else str(title or "")
            out.append((f"cell {i}, figure {k}: {text[:60]}", dict(fig)))
    return out


def check_notebook(notebook: str | Path | Mapping[str, Any]) -> list[str]:
    """Problems of every plotly figure in an executed notebook (empty: all pass).

    Examples
    --------
    >>> check_notebook({"cells": []})
    []
    """
    problems: list[str] = []
    for name, fig in notebook_figures(notebook):
        problems.extend(check_figure(fig, name=name))
    return problems
