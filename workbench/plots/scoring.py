"""Figures for score distributions, threshold sweeps, cleaning funnels and decisions.

Builders take the tidy frames of :mod:`workbench.scoring` and compute nothing new.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from workbench._internal.paths import locate_images
from workbench.plots._layout import axis_words, log_range
from workbench.plots.tables import table as format_table

__all__ = [
    "decision_bars",
    "funnel_figure",
    "score_ecdf",
    "score_histogram",
    "sweep_figure",
    "threshold_explorer",
]


def _vline(fig: go.Figure, threshold: float | None, *, log: bool = False,
           values: Sequence[float] | np.ndarray | None = None) -> go.Figure:
    """Dashed threshold line and its label; on a log axis the range and the label's x are log10."""
    if log and values is not None:
        extent = list(np.asarray(values, dtype=float))
        if threshold is not None and np.isfinite(threshold) and threshold > 0:
            extent.append(float(threshold))
        rng = log_range(extent)
        if rng is not None:
            fig.update_xaxes(type="log", range=rng)
    if threshold is None or not np.isfinite(threshold) or (log and threshold <= 0):
        return fig
    # plotly.js draws shapes in data units but places annotations in log10 units on a log axis
    fig.add_shape(type="line", xref="x", yref="paper", x0=threshold, x1=threshold, y0=0, y1=1,
                  line={"dash": "dash", "color": "black"})
    fig.add_annotation(x=math.log10(threshold) if log else threshold, xref="x", y=1, yref="paper",
                       text=f"threshold {threshold:,.3g}", showarrow=False, yanchor="bottom")
    return fig


def score_histogram(
    scores: pd.DataFrame,
    metric: str,
    *,
    color: str | None = None,
    threshold: float | None = None,
    log_x: bool = False,
    nbins: int = 60,
    title: str = "",
) -> go.Figure:
    """Histogram of one score, optionally coloured by a group column, with a threshold line.

    With ``log_x`` the bins are equal in log10 space and drawn on a linear axis of log10
    values labelled with the values themselves (1, 2, 5, 10, 20, …): plotly.js draws no
    histogram bars on a log axis, and a linear-unit range or threshold there is read as
    10^value.

    Examples
    --------
    >>> s = pd.DataFrame({"perplexity": [10., 20., 900.], "source": ["web", "news", "web"]})
    >>> fig = score_histogram(s, "perplexity", color="source", threshold=300, log_x=True)
    >>> fig.layout.xaxis.title.text, list(fig.layout.xaxis.ticktext)[:3]
    ('perplexity (log scale)', ['10', '20', '50'])
    """
    data = scores[[metric] + ([color] if color else [])].dropna(subset=[metric]).copy()
    if not log_x:
        fig = px.histogram(data, x=metric, color=color, nbins=nbins, barmode="overlay", opacity=0.6,
                           title=title or f"{metric} distribution", labels={metric: axis_words(metric)})
        fig.update_layout(height=380)
        return _vline(fig, threshold)
    data = data[data[metric] > 0]
    logs = np.log10(data[metric].to_numpy(dtype=float))
    edges = np.histogram_bin_edges(logs, bins=nbins) if len(logs) else np.array([0.0, 1.0])
    centers, widths = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    fig = go.Figure()
    groups = [(None, logs)] if not color else [
        (g, logs[(data[color] == g).to_numpy()]) for g in data[color].dropna().unique()]
    for name, vals in groups:
        counts, _ = np.histogram(vals, bins=edges)
        lo, hi = 10 ** edges[:-1], 10 ** edges[1:]
        fig.add_trace(go.Bar(x=centers, y=counts, width=widths, name=str(name) if name is not None else metric,
                             showlegend=name is not None, opacity=0.6,
                             customdata=np.column_stack([lo, hi]),
                             hovertemplate="%{customdata[0]:,.3g}–%{customdata[1]:,.3g}: %{y}<extra></extra>"))
    lo_t, hi_t = (edges[0], edges[-1])
    if threshold is not None and np.isfinite(threshold) and threshold > 0:
        lo_t, hi_t = min(lo_t, math.log10(threshold)), max(hi_t, math.log10(threshold))
    ticks = [m * 10.0 ** k for k in range(math.floor(lo_t), math.ceil(hi_t) + 1) for m in (1, 2, 5)
             if lo_t - 1e-9 <= math.log10(m * 10.0 ** k) <= hi_t + 1e-9]
    fig.update_layout(barmode="overlay", title=title or f"{metric} distribution", height=380,
                      xaxis={"title": f"{metric} (log scale)", "tickmode": "array",
                             "tickvals": [math.log10(t) for t in ticks], "ticktext": [f"{t:,.4g}" for t in ticks]},
                      yaxis_title="count")
    if threshold is not None and np.isfinite(threshold) and threshold > 0:
        _vline(fig, math.log10(threshold))
        fig.layout.annotations[-1].text = f"threshold {threshold:,.3g}"
    return fig


def score_ecdf(
    scores: pd.DataFrame,
    metric: str,
    *,
    color: str | None = None,
    threshold: float | None = None,
    log_x: bool = False,
    title: str = "",
) -> go.Figure:
    """Empirical CDF of one score per group: read the keep rate at any threshold off it.

    Examples
    --------
    >>> s = pd.DataFrame({"clip_score": [0.1, 0.2, 0.3]})
    >>> len(score_ecdf(s, "clip_score", threshold=0.15).data)
    1
    """
    data = scores[[metric] + ([color] if color else [])].dropna(subset=[metric])
    if log_x:
        data = data[data[metric] > 0]
    fig = px.ecdf(data, x=metric, color=color, log_x=log_x, title=title or f"{metric} ECDF",
                  labels={metric: axis_words(metric)})
    fig.update_layout(height=380)
    return _vline(fig, threshold, log=log_x, values=data[metric].to_numpy())


def sweep_figure(sweep: pd.DataFrame, *, metric: str = "", threshold: float | None = None, log_x: bool = False) -> go.Figure:
    """Keep rate (and precision/recall of removal, when present) against the threshold.

    Examples
    --------
    >>> sw = pd.DataFrame({"threshold": [1., 2.], "keep_rate": [0.5, 0.9]})
    >>> [t.name for t in sweep_figure(sw).data]
    ['keep rate']
    """
    if log_x:  # a log axis shows positive finite thresholds only
        t = pd.to_numeric(sweep["threshold"], errors="coerce")
        sweep = sweep[np.isfinite(t) & (t > 0)]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=sweep["threshold"], y=sweep["keep_rate"], mode="lines+markers", name="keep rate"))
    for col in ("precision", "recall"):
        if col in sweep.columns:
            fig.add_trace(go.Scatter(x=sweep["threshold"], y=sweep[col], mode="lines", name=f"{col} of removal",
                                     line={"dash": "dot"}))
    fig.update_layout(title=f"Threshold sweep{': ' + metric if metric else ''}", xaxis_title=axis_words(metric) if metric else "threshold",
                      yaxis_title="share", yaxis_range=[0, 1.02], height=380)
    return _vline(fig, threshold, log=log_x, values=sweep["threshold"].to_numpy(dtype=float))


def funnel_figure(counts: pd.DataFrame, *, title: str = "Cleaning funnel") -> go.Figure:
    """Items remaining after each stage of :func:`workbench.scoring.cleaning_funnel`.

    Examples
    --------
    >>> c = pd.DataFrame({"stage": ["language"], "entering": [10], "removed": [2], "review": [0], "remaining": [8]})
    >>> list(funnel_figure(c).data[0].y)
    ['input', 'language']
    """
    stages = ["input", *counts["stage"].astype(str).tolist()]
    values = [int(counts["entering"].iloc[0]) if len(counts) else 0, *counts["remaining"].astype(int).tolist()]
    fig = go.Figure(go.Funnel(y=stages, x=values, textinfo="value+percent initial"))
    fig.update_layout(title=title)
    return fig


def decision_bars(decisions: pd.DataFrame, *, by: pd.Series | None = None, title: str = "Decisions") -> go.Figure:
    """Counts of keep / review / drop, stacked per group when ``by`` is given.

    Examples
    --------
    >>> d = pd.DataFrame({"decision": ["keep", "drop", "keep"]})
    >>> sorted(t.name for t in decision_bars(d).data)
    ['drop', 'keep']
    """
    group = by.reindex(decisions.index).astype(str) if by is not None else pd.Series("all", index=decisions.index)
    table = pd.crosstab(group, decisions["decision"])
    colors = {"keep": "#2ca02c", "review": "#ff7f0e", "drop": "#d62728"}
    fig = go.Figure()
    for dec in [c for c in ("keep", "review", "drop") if c in table.columns]:
        fig.add_trace(go.Bar(x=table.index.astype(str), y=table[dec], name=dec, marker_color=colors[dec]))
    fig.update_layout(barmode="stack", title=title, yaxis_title="items")
    return fig


def threshold_explorer(
    scores: pd.DataFrame,
    metric: str,
    *,
    direction: Literal["max", "min"] = "max",
    threshold: float | None = None,
    log: bool = False,
    text: str | None = None,
    image: str | None = None,
    image_base: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    n: int = 3,
) -> Any:
    """A slider over one score's threshold showing the keep rate and the items at the boundary.

    Parameters
    ----------
    scores
        Table with ``metric`` (and the ``text``/``image`` columns to show).
    metric, direction
        The score and which side is removed (as in :class:`workbench.scoring.Rule`).
    threshold
        Starting value; default the median.
    log
        Logarithmic slider (perplexity).
    text, image
        Columns to show for the boundary items; image paths are read relative to
        ``image_base`` (the table's folder; default the working directory).
    allow_outside
        Show images whose paths lead outside ``image_base`` (absolute or ``..`` paths);
        otherwise such a path raises :class:`~workbench.errors.WorkbenchError` naming its row.
    n
        Items shown on each side of the threshold.

    Returns
    -------
    ipywidgets.VBox
        The slider and a view (keep rate, boundary items, their images) that updates as it
        moves; every value from the table is escaped.

    Examples
    --------
    >>> s = pd.DataFrame({"perplexity": [10., 20., 900.], "text": ["a", "b", "c"]})
    >>> w = threshold_explorer(s, "perplexity", threshold=300, log=True, text="text")
    >>> type(w).__name__, round(w.children[0].value)
    ('VBox', 300)
    >>> w.children[1].children[0].value
    '<b>threshold 300</b>: keeps 2 of 3 (66.7%)'
    >>> w.children[0].value = 15
    >>> w.children[1].children[0].value
    '<b>threshold 15</b>: keeps 1 of 3 (33.3%)'
    """
    import ipywidgets as widgets

    from workbench.scoring.composite import boundary_items

    values = pd.to_numeric(scores[metric], errors="coerce")
    finite = values[np.isfinite(values)]
    lo, hi = float(finite.min()), float(finite.max())
    start = float(threshold) if threshold is not None else float(finite.median())
    # plain numbers (no "1.22e+3"), a slider wide enough for its range, and updates while it
    # moves, so arrow keys and the mouse change the view alike (issue 28)
    readout = ",.0f" if max(abs(lo), abs(hi)) >= 1000 else ".1f" if max(abs(lo), abs(hi)) >= 10 else ".3f"
    look = {"layout": widgets.Layout(width="min(100%, 48em)"), "style": {"description_width": "initial"},
            "readout_format": readout, "continuous_update": True}
    if log:
        lo = max(lo, 1e-9)
        slider = widgets.FloatLogSlider(value=start, base=10, min=np.log10(lo), max=np.log10(hi), step=0.01,
                                        description=metric, **look)
    else:
        slider = widgets.FloatSlider(value=start, min=lo, max=hi, step=(hi - lo) / 200 or 1e-3,
                                     description=metric, **look)
    # which side of the threshold a rule with this direction keeps, in words
    words = {"below": "kept", "above": "dropped"} if direction == "max" else {"below": "dropped", "above": "kept"}
    base = Path(image_base) if image_base is not None else None
    if image is not None:  # refuse paths outside the table's folder before showing any
        locate_images(scores[image], base, allow_outside=allow_outside, column=image, table="scores")
    # The view is plain widgets whose values are replaced, not an Output widget printed into:
    # capturing display() in an Output widget stalled headless (papermill) runs now and then.
    summary = widgets.HTML()
    table = widgets.HTML()
    gallery = widgets.HBox()

    def render(_change: object = None) -> None:
        thr = float(slider.value)
        removed = values > thr if direction == "max" else values < thr
        shown = f"{thr:,.0f}" if abs(thr) >= 1000 else f"{thr:.4g}"
        summary.value = (f"<b>threshold {shown}</b>: keeps {int((~removed).sum()):,} of {len(values):,} "
                         f"({(~removed).mean():.1%})")
        near = boundary_items(scores, metric, thr, n=n)
        near = near.assign(side=near["side"].map(words))
        cols = [c for c in (metric, "side", text, image) if c and c in near.columns]
        table.value = format_table(near[cols].rename(columns={"side": "the rule"}), index=False).to_html()
        imgs = []
        if image is not None:
            located = locate_images(near[image], base, allow_outside=allow_outside, column=image,
                                    table="scores")
            for where, (_, row) in zip(located, near.iterrows(), strict=True):
                path = Path(where) if isinstance(where, (str, os.PathLike)) else None
                if path is not None and path.is_file():
                    imgs.append(widgets.VBox([
                        widgets.Image(value=path.read_bytes(), width=96, height=96),
                        widgets.Label(f"{row['side']} {row[metric]:.3f}"),
                    ]))
        gallery.children = tuple(imgs)

    slider.observe(render, names="value")
    render()
    return widgets.VBox([slider, widgets.VBox([summary, table, gallery])])
