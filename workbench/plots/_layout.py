"""Layout rules every figure builder shares: sizes that follow the rows, short labels, one CI plot.

* :func:`rows_height` — a figure's height and per-row spacing for ``n`` categorical rows
  (1 … 500): readable rows when few, compressed rows with thinned tick labels when many;
* :func:`short_labels` — long ids shortened for the axis, full ids kept for the hover;
* :func:`rate_ci_figure` — THE "estimate with confidence interval by group" figure (forest
  plot), used by the reliability, drift, bias and vendor figures;
* :func:`show_cell_text` — whether a heatmap of that many cells may print its values;
* :func:`log_range` — the ``range`` of a log axis (plotly wants log10 units there).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "MIN_HEIGHT",
    "log_range",
    "rate_ci_figure",
    "rows_height",
    "short_labels",
    "show_cell_text",
    "small_multiples",
    "SmallMultiples",
    "tick_step",
]

#: No figure is drawn shorter than this (px).
MIN_HEIGHT = 260
_MAX_HEIGHT = 4000
_MAX_CELLS_WITH_TEXT = 400


def rows_height(n: int, *, per_row: float = 28.0, base: int = 140, lo: int = MIN_HEIGHT) -> tuple[int, float]:
    """Height (px) of a figure with ``n`` categorical rows, and the px each row gets.

    Up to 30 rows get ``per_row`` each; beyond, rows shrink towards 8 px so 500 rows stay
    below 4000 px (tick labels are then thinned, see :func:`tick_step`).

    Examples
    --------
    >>> rows_height(1)
    (260, 120.0)
    >>> rows_height(500)[0] <= 4000
    True
    """
    n = max(int(n), 1)
    each = per_row if n <= 30 else max(8.0, min(per_row, 900.0 / math.sqrt(n) / 2))
    height = int(min(max(base + each * n, lo), _MAX_HEIGHT))
    return height, (height - base) / n


class SmallMultiples:
    """The grid of a small-multiples figure of square categorical panels (confusion matrices).

    From the number of panels and of labels on each axis (1 … 200): the panel size grows with
    the labels (180–560 px), the columns are as many as fit 1100 px, every k-th tick label
    is shown so labels stay 11 px apart, tick labels are shortened to ``max_chars`` and, when
    long, turned vertical; the gap between panel rows holds the previous row's x tick labels
    plus the next row's titles, so no title is covered by a tick (issue 27).
    """

    def __init__(self, n_panels: int, n_labels: int, *, columns: int = 3, longest: int = 1, max_chars: int = 16,
                 title_px: int = 100) -> None:
        self.n_panels, self.n_labels = max(int(n_panels), 1), max(int(n_labels), 1)
        self.panel_px = int(min(560, max(180, 5 * self.n_labels + 60)))
        self.cols = max(1, min(columns, self.n_panels, 1100 // (self.panel_px + 70)))
        self.rows = math.ceil(self.n_panels / self.cols)
        self.every = tick_step(self.panel_px / self.n_labels, min_px=11.0)
        self.chars = min(max(int(longest), 1), max_chars)
        self.vertical = self.chars * 6.5 > self.panel_px / self.n_labels * self.every  # labels wider than their slot
        tick_px = (self.chars * 6.5 if self.vertical else 14.0) + 8
        self.gap_px = int(tick_px + 34)  # the x tick labels, then the next row's panel titles
        self.height = int(title_px + self.rows * self.panel_px + (self.rows - 1) * self.gap_px + tick_px)
        plot_px = self.height - title_px - 40
        self.vertical_spacing = self.gap_px / plot_px if self.rows > 1 else 0.0

    def ticks(self, labels: Sequence[object]) -> dict[str, object]:
        """``tickvals``/``ticktext`` for an axis: every k-th label, shortened."""
        shown = [str(v) for v in labels][:: self.every]
        return {"tickmode": "array", "tickvals": shown, "ticktext": short_labels(shown, max_len=self.chars),
                "tickangle": -90 if self.vertical else 0, "tickfont": {"size": 10}}


def small_multiples(n_panels: int, n_labels: int, *, columns: int = 3, labels: Sequence[object] = ()) -> SmallMultiples:
    """The grid of ``n_panels`` square panels with ``n_labels`` labels each (see :class:`SmallMultiples`).

    Examples
    --------
    >>> g = small_multiples(6, 116, labels=["a label of twenty chars"])
    >>> g.cols, g.every, g.vertical, g.gap_px > 100
    (1, 3, True, True)
    >>> small_multiples(1, 2).rows
    1
    """
    longest = max((len(str(v)) for v in labels), default=1)
    return SmallMultiples(n_panels, n_labels, columns=columns, longest=longest)


def tick_step(px_per_row: float, *, min_px: float = 12.0) -> int:
    """Show every k-th tick label so labels are at least ``min_px`` apart.

    Examples
    --------
    >>> tick_step(28), tick_step(6)
    (1, 2)
    """
    return max(1, math.ceil(min_px / max(px_per_row, 1e-9)))


def _shorten(token: str, keep: int) -> str:
    if len(token) <= keep:
        return token
    head = keep // 2
    return token[:head] + "…" + token[-(keep - 1 - head):]


def short_labels(ids: Sequence[object], *, max_len: int = 22, max_part: int = 16) -> list[str]:
    """Ids shortened for an axis (head…tail), kept unique; the full ids belong in the hover.

    Each run of characters without spaces, commas or ``=`` longer than ``max_part`` (a UUID, a
    hash) is shortened on its own, so ``annotator_id=<uuid>, period=2023-09-16 10:10`` keeps
    its structure; a label still longer than ``max(max_len, 64)`` is then cut in the middle.

    Examples
    --------
    >>> short_labels(["e1eec138-4623-4b5b-b555-6d1d69348d78", "u1"])
    ['e1eec138…9348d78', 'u1']
    >>> short_labels(["annotator_id=e1eec138-4623-4b5b-b555-6d1d69348d78, period=2023-09-16 10:10"])
    ['annotator_id=e1eec138…9348d78, period=2023-09-16 10:10']
    """
    import re

    out: list[str] = []
    seen: set[str] = set()
    for raw in ids:
        text = str(raw)
        if len(text) > max_len:
            text = re.sub(r"[^\s,=]+", lambda m: _shorten(m.group(0), max_part), text)
            text = _shorten(text, max(max_len, 64))
        base, k = text, 2
        while text in seen:
            text = f"{base}#{k}"
            k += 1
        seen.add(text)
        out.append(text)
    return out


def show_cell_text(n_cells: int) -> bool:
    """Whether a heatmap with ``n_cells`` cells can print its values legibly (≤ 400 cells).

    Examples
    --------
    >>> show_cell_text(42 * 42)
    False
    """
    return n_cells <= _MAX_CELLS_WITH_TEXT


def log_range(values: Sequence[float] | np.ndarray, *, pad: float = 0.05) -> list[float] | None:
    """``[log10(min), log10(max)]`` of the positive finite values, padded; ``None`` if none.

    Plotly reads the ``range`` (and shapes) of a log axis in log10 units, so a linear range
    on a log axis gives absurd ranges (10^0 … 10^297).

    Examples
    --------
    >>> log_range([10, 1000], pad=0)
    [1.0, 3.0]
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return None
    lo, hi = math.log10(float(v.min())), math.log10(float(v.max()))
    width = max(hi - lo, 0.5)
    return [lo - pad * width, hi + pad * width]


_AXIS_WORDS = {
    "annotator_id": "annotator", "item_id": "item", "pair_id": "pair", "doc_id": "document",
    "median_duration_s": "median time per item (s)", "duration_s": "time (s)", "missing_share": "share missing",
    "n_words": "words", "n_chars": "characters", "disagreement_rate": "disagreement rate",
}


def axis_words(name: str) -> str:
    """A column name as an axis title in words (issue 28: no raw column names on axes).

    Examples
    --------
    >>> axis_words("median_duration_s"), axis_words("top_4gram_char_fraction")
    ('median time per item (s)', 'top 4gram char fraction')
    """
    return _AXIS_WORDS.get(str(name), str(name).replace("_", " "))


def rate_ci_figure(
    frame: pd.DataFrame,
    *,
    group: str = "label",
    estimate: str = "estimate",
    low: str = "ci_low",
    high: str = "ci_high",
    n: str | None = None,
    series: str | None = None,
    reference: float | None = None,
    percent: bool = False,
    title: str = "",
    xaxis_title: str = "",
) -> go.Figure:
    """Estimates with confidence intervals, one row per group (a forest plot).

    Rows keep the frame's order from the top; the height follows the number of rows; long
    group ids are shortened on the axis and shown in full in the hover; with ``series`` the
    rows carry one marker per series (e.g. per vendor), side by side.

    Parameters
    ----------
    frame
        One row per group (and series): ``group``, ``estimate``, ``low``, ``high``.
    n
        Optional column of counts shown in the hover.
    series
        Optional column: one trace per value, grouped within each row.
    reference
        x of a dashed reference line (0.5 for a rate with no preference, 0 for a difference).
    percent
        Format the x axis as percentages.

    Examples
    --------
    >>> f = pd.DataFrame({"label": ["a", "b"], "estimate": [0.2, 0.6], "ci_low": [0.1, 0.5],
    ...                   "ci_high": [0.3, 0.7]})
    >>> fig = rate_ci_figure(f, reference=0.5)
    >>> fig.data[0].y.tolist(), fig.layout.height
    (['a', 'b'], 260)
    """
    f = frame.reset_index(drop=True)
    groups = list(dict.fromkeys(f[group].astype(str)))
    shown = dict(zip(groups, short_labels(groups), strict=True))
    height, each = rows_height(len(groups), per_row=28.0 if series is None else 40.0)
    fig = go.Figure()
    parts = [(None, f)] if series is None else list(f.groupby(series, sort=False))
    for name, sub in parts:
        full = sub[group].astype(str)
        custom = np.column_stack([full.to_numpy(), sub[n].to_numpy() if n else np.full(len(sub), "")])
        fig.add_trace(
            go.Scatter(
                x=sub[estimate].to_numpy(dtype=float),
                y=np.array([shown[g] for g in full], dtype=object),
                mode="markers",
                name=str(name) if name is not None else "",
                showlegend=name is not None,
                marker={"size": 9 if len(groups) <= 60 else 6},
                customdata=custom,
                hovertemplate=(
                    "%{customdata[0]}: %{x:" + (".1%" if percent else ".3f") + "}"
                    + (" (n=%{customdata[1]})" if n else "") + "<extra></extra>"
                ),
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (sub[high] - sub[estimate]).to_numpy(dtype=float),
                    "arrayminus": (sub[estimate] - sub[low]).to_numpy(dtype=float),
                },
            )
        )
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color="grey")
    step = tick_step(each)
    yaxis: dict[str, object] = {"autorange": "reversed", "type": "category",
                                "categoryorder": "array", "categoryarray": [shown[g] for g in groups]}
    if step > 1:
        yaxis.update(tickmode="array", tickvals=[shown[g] for g in groups[::step]])
    xs = pd.concat([f[low], f[high], f[estimate]]).to_numpy(dtype=float)
    xs = xs[np.isfinite(xs)]
    # the axis says what it measures, in words (issue 28): the caller's title, else the column
    xaxis: dict[str, object] = {"title": xaxis_title or estimate.replace("_", " ")}
    if len(xs):
        lo, hi = float(xs.min()), float(xs.max())
        if reference is not None:
            lo, hi = min(lo, reference), max(hi, reference)
        pad = max(hi - lo, 0.02) * 0.06
        xaxis["range"] = [lo - pad, hi + pad]
    if percent:
        xaxis["tickformat"] = ".0%"
    fig.update_layout(title=title, height=height, yaxis=yaxis, xaxis=xaxis,
                      scattermode="group" if series is not None else None)
    return fig
