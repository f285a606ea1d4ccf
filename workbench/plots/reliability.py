"""Figures of the reliability analysis: agreement matrices, confusion heatmaps, annotators.

Every builder takes the tidy frames that :mod:`workbench.agreement`,
:mod:`workbench.aggregation` and :mod:`workbench.acceptance` return and computes nothing new.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.errors import WorkbenchError
from workbench.plots._layout import (
    axis_words,
    rows_height,
    short_labels,
    show_cell_text,
    small_multiples,
    tick_step,
)

__all__ = [
    "agreement_matrix_figure",
    "annotator_figure",
    "annotator_confusion_figure",
    "disagreement_figure",
]


def agreement_matrix_figure(pairwise: pd.DataFrame, *, title: str = "Pairwise Cohen's kappa") -> go.Figure:
    """Heatmap of an annotator × annotator agreement matrix (from ``pairwise_kappa``).

    Examples
    --------
    >>> m = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["u", "v"], columns=["u", "v"])
    >>> agreement_matrix_figure(m).data[0].z.shape
    (2, 2)
    """
    z = pairwise.to_numpy(dtype=float)
    full_x = [str(c) for c in pairwise.columns]
    full_y = [str(i) for i in pairwise.index]
    xs, ys = short_labels(full_x), short_labels(full_y)
    text = show_cell_text(z.size)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=xs,
            y=ys,
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            text=np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.2f}")(np.nan_to_num(z))) if text else None,
            texttemplate="%{text}" if text else None,
            customdata=np.dstack(np.meshgrid(np.array(full_x, dtype=object), np.array(full_y, dtype=object))),
            hovertemplate="%{customdata[1]} × %{customdata[0]}: kappa %{z:.3f}<extra></extra>",
            colorbar={"title": "kappa"},
            xgap=1 if len(full_x) <= 60 else 0,
            ygap=1 if len(full_y) <= 60 else 0,
        )
    )
    height, each = rows_height(len(pairwise), per_row=22.0, base=200)
    step = tick_step(each)
    axis: dict[str, object] = {"type": "category"}
    if step > 1:
        axis.update(tickmode="array")
    width = min(max(height, 320) + 140, 1150)
    xstep = tick_step((width - 160) / max(len(xs), 1), min_px=14.0)
    fig.update_layout(
        title=title, height=max(height, 320), width=width,
        yaxis={**axis, "autorange": "reversed", **({"tickvals": ys[::step]} if step > 1 else {})},
        xaxis={"type": "category", "tickangle": -50,
               **({"tickmode": "array", "tickvals": xs[::xstep]} if xstep > 1 else {})},
    )
    return fig


def annotator_confusion_figure(
    confusion: pd.DataFrame,
    *,
    annotator: str = "annotator_id",
    reference: str = "reference",
    label: str = "label",
    value: str = "rate",
    max_annotators: int = 12,
    columns: int = 4,
    title: str = "Per-annotator confusion (rows: reference label, columns: given label)",
) -> go.Figure:
    """Grid of per-annotator confusion heatmaps (from ``annotator_confusion``), worst first.

    Annotators are ordered by their share of the reference's labels given correctly.

    Examples
    --------
    >>> c = pd.DataFrame({"annotator_id": ["u"] * 4, "reference": ["x", "x", "y", "y"],
    ...                   "label": ["x", "y", "x", "y"], "count": [3, 1, 0, 4],
    ...                   "rate": [0.75, 0.25, 0.0, 1.0]})
    >>> len(annotator_confusion_figure(c).data)
    1
    """
    missing = [c for c in (annotator, reference, label, value) if c not in confusion.columns]
    if missing:
        raise WorkbenchError(
            f"confusion table lacks column(s) {missing!r}; pass the output of agreement.annotator_confusion()."
        )
    correct = confusion[confusion[reference].astype(str) == confusion[label].astype(str)]
    weight = "count" if "count" in confusion.columns else value
    tot = confusion.groupby(annotator, sort=False)[weight].sum()
    acc = (correct.groupby(annotator, sort=False)[weight].sum() / tot.replace(0, np.nan)).sort_values()
    names = list(acc.index[:max_annotators])
    all_labels = pd.unique(pd.concat([confusion[reference], confusion[label]]).astype(str))
    grid = small_multiples(len(names), len(all_labels), columns=columns, labels=all_labels)
    cols, rows = grid.cols, grid.rows
    fig = make_subplots(rows=rows, cols=cols,
                        subplot_titles=[f"{s} ({acc[n]:.0%})" for s, n in zip(short_labels(names), names, strict=True)],
                        vertical_spacing=grid.vertical_spacing)
    for i, name in enumerate(names):
        sub = confusion[confusion[annotator] == name]
        mat = sub.pivot_table(index=reference, columns=label, values=value, aggfunc="sum", sort=False)
        fig.add_trace(
            go.Heatmap(
                z=mat.to_numpy(dtype=float),
                x=[str(c) for c in mat.columns],
                y=[str(r) for r in mat.index],
                zmin=0,
                zmax=1 if value == "rate" else None,
                colorscale="Blues",
                showscale=i == 0,
                texttemplate="%{z:.2f}" if show_cell_text(mat.size) else None,
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    for i in range(len(names)):
        sub = confusion[confusion[annotator] == names[i]]
        fig.update_xaxes(**grid.ticks(pd.unique(sub[label].astype(str))), row=i // cols + 1, col=i % cols + 1)
        fig.update_yaxes(**{**grid.ticks(pd.unique(sub[reference].astype(str))), "tickangle": 0},
                         row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, height=grid.height, width=None)
    return fig


def annotator_figure(
    agreement: pd.DataFrame,
    *,
    x: str = "median_duration_s",
    y: str = "kappa",
    size: str = "n",
    color: str = "top_label_share",
    title: str = "Annotators: agreement vs time per item",
) -> go.Figure:
    """Scatter of annotators (from ``annotator_agreement``): one marker per annotator.

    Falls back to ``n`` on the x axis when ``x`` is absent (no duration column).

    Examples
    --------
    >>> a = pd.DataFrame({"n": [10, 20], "kappa": [0.8, 0.1], "top_label_share": [0.5, 0.9]},
    ...                  index=pd.Index(["u", "v"], name="annotator_id"))
    >>> annotator_figure(a).layout.xaxis.title.text
    'n'
    """
    xcol = x if x in agreement.columns else "n"
    sizes = agreement[size].to_numpy(dtype=float)
    names = [str(i) for i in agreement.index]
    labelled = len(names) <= 25  # beyond that, names overlap: they stay in the hover
    fig = go.Figure(
        go.Scatter(
            x=agreement[xcol],
            y=agreement[y],
            mode="markers+text" if labelled else "markers",
            text=short_labels(names, max_len=14) if labelled else None,
            textposition="top center",
            customdata=np.array(names, dtype=object),
            hovertemplate="%{customdata}: " + y + " %{y:.3f}, " + xcol + " %{x}<extra></extra>",
            marker={
                "size": 10 + 30 * sizes / max(sizes.max(), 1),
                "color": agreement[color] if color in agreement.columns else None,
                "colorscale": "Viridis",
                "showscale": color in agreement.columns,
                "colorbar": {"title": color},
            },
        )
    )
    fig.update_layout(title=title, xaxis_title=axis_words(xcol), yaxis_title=axis_words(y), height=450)
    return fig


def disagreement_figure(
    frame: pd.DataFrame,
    *,
    by: str,
    value: str = "disagreement",
    n: str = "n",
    title: str | None = None,
) -> go.Figure:
    """Bar chart of mean disagreement per segment, with the number of items in the hover.

    ``frame`` has one row per segment: ``by``, ``value`` and ``n``.

    Examples
    --------
    >>> f = pd.DataFrame({"category": ["a", "b"], "disagreement": [0.1, 0.3], "n": [5, 7]})
    >>> list(disagreement_figure(f, by="category").data[0].x)
    ['b', 'a']
    """
    f = frame.sort_values(value, ascending=False)
    full = f[by].astype(str).tolist()
    shown = short_labels(full)
    custom = np.column_stack([np.array(full, dtype=object),
                              f[n].to_numpy() if n in f.columns else np.full(len(f), "")])
    hover = "%{customdata[0]}: %{" + ("x" if len(f) > 12 else "y") + ":.3f}" + (
        " (n=%{customdata[1]})" if n in f.columns else "") + "<extra></extra>"
    if len(f) <= 12:  # few segments: vertical bars
        fig = go.Figure(go.Bar(x=shown, y=f[value], customdata=custom, hovertemplate=hover))
        fig.update_layout(title=title or f"Disagreement by {by}", xaxis_title=axis_words(by),
                          yaxis_title=axis_words(value), height=380)
        return fig
    height, each = rows_height(len(f), per_row=22.0)  # many: horizontal bars, height follows the rows
    step = tick_step(each)
    yaxis: dict[str, object] = {"autorange": "reversed", "type": "category"}
    if step > 1:
        yaxis.update(tickmode="array", tickvals=shown[::step])
    fig = go.Figure(go.Bar(x=f[value], y=shown, orientation="h", customdata=custom, hovertemplate=hover))
    fig.update_layout(title=title or f"Disagreement by {by}", xaxis_title=axis_words(value), yaxis_title=axis_words(by),
                      height=height, yaxis=yaxis)
    return fig
