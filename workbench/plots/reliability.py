"""Figures of the reliability analysis: agreement matrices, confusion heatmaps, annotators.

Every builder takes the tidy frames that :mod:`workbench.agreement`,
:mod:`workbench.aggregation` and :mod:`workbench.acceptance` return and computes nothing new.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.errors import WorkbenchError

__all__ = [
    "agreement_matrix_figure",
    "annotator_figure",
    "confusion_figure",
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
    text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.2f}")(np.nan_to_num(z)))
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(c) for c in pairwise.columns],
            y=[str(i) for i in pairwise.index],
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            text=text,
            texttemplate="%{text}",
            colorbar={"title": "kappa"},
        )
    )
    side = 160 + 40 * len(pairwise)
    fig.update_layout(title=title, height=min(side, 900), width=min(side + 120, 1000), yaxis={"autorange": "reversed"})
    return fig


def confusion_figure(
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
    >>> len(confusion_figure(c).data)
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
    cols = min(columns, max(1, len(names)))
    rows = math.ceil(len(names) / cols) if names else 1
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[f"{n} ({acc[n]:.0%})" for n in names])
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
                texttemplate="%{z:.2f}",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, height=80 + 220 * rows)
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
    fig = go.Figure(
        go.Scatter(
            x=agreement[xcol],
            y=agreement[y],
            mode="markers+text",
            text=[str(i) for i in agreement.index],
            textposition="top center",
            marker={
                "size": 10 + 30 * sizes / max(sizes.max(), 1),
                "color": agreement[color] if color in agreement.columns else None,
                "colorscale": "Viridis",
                "showscale": color in agreement.columns,
                "colorbar": {"title": color},
            },
        )
    )
    fig.update_layout(title=title, xaxis_title=xcol, yaxis_title=y, height=450)
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
    fig = go.Figure(
        go.Bar(
            x=f[by].astype(str).tolist(),
            y=f[value],
            customdata=f[[n]].to_numpy() if n in f.columns else None,
            hovertemplate="%{x}: %{y:.3f}" + (" (n=%{customdata[0]})" if n in f.columns else "") + "<extra></extra>",
        )
    )
    fig.update_layout(
        title=title or f"Disagreement by {by}", xaxis_title=by, yaxis_title=value, height=380
    )
    return fig
