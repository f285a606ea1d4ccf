"""Figures for the dedup audit: cluster sizes, similarity histogram, S-curve, rates, diffs."""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench._internal.escape import escape_html
from workbench.dedup import DedupResult, candidate_probability

__all__ = [
    "cluster_size_figure",
    "diff_html",
    "duplicate_rate_figure",
    "method_comparison_figure",
    "s_curve_figure",
    "similarity_histogram",
]


def cluster_size_figure(result: DedupResult) -> go.Figure:
    """Bar chart: how many clusters have each size (log count axis).

    Examples
    --------
    >>> from workbench.dedup import deduplicate
    >>> res = deduplicate(pd.DataFrame({"doc_id": ["a", "b"], "text": ["x y", "X  y"]}), method="exact")
    >>> cluster_size_figure(res).data[0].x.tolist()
    [2]
    """
    reps = result.clusters[result.clusters["is_representative"]]
    counts = reps["cluster_size"].value_counts().sort_index()
    fig = go.Figure(go.Bar(x=counts.index.to_numpy(), y=counts.to_numpy(), name="clusters"))
    fig.update_layout(
        title=f"Cluster sizes ({result.method})", xaxis_title="documents in cluster",
        yaxis_title="clusters", yaxis_type="log", height=350,
    )
    return fig


def similarity_histogram(result: DedupResult, *, bins: int = 50) -> go.Figure:
    """Histogram of the similarity of every compared pair, with the threshold marked."""
    pairs = result.pairs
    fig = go.Figure()
    for dup, name in ((True, "duplicate"), (False, "below threshold")):
        sel = pairs.loc[pairs["is_duplicate"] == dup, "similarity"]
        if len(sel):
            fig.add_trace(go.Histogram(x=sel, nbinsx=bins, name=name, opacity=0.75))
    if not fig.data:
        fig.add_trace(go.Histogram(x=[], name="no pairs"))
    fig.add_vline(x=result.threshold, line_dash="dash", line_color="black",
                  annotation_text=f"threshold {result.threshold:g}")
    label = {"minhash": "Jaccard", "simhash": "1 - Hamming/64", "semantic": "cosine", "exact": "exact"}
    fig.update_layout(
        barmode="overlay", title=f"Similarity of compared pairs ({result.method})",
        xaxis_title=label.get(result.method, "similarity"), yaxis_title="pairs", height=350,
    )
    return fig


def s_curve_figure(
    threshold: float, bands: int, rows: int, *, compare: tuple[int, int] | None = (9, 13)
) -> go.Figure:
    """The LSH S-curve :math:`1-(1-s^r)^b` of the chosen layout (and of ``compare``)."""
    s = np.linspace(0, 1, 201)
    fig = go.Figure(go.Scatter(x=s, y=candidate_probability(s, bands, rows), name=f"{bands} bands × {rows} rows"))
    if compare is not None and tuple(compare) != (bands, rows):
        b, r = compare
        fig.add_trace(go.Scatter(x=s, y=candidate_probability(s, b, r), name=f"{b} × {r}", line_dash="dot"))
    fig.add_vline(x=threshold, line_dash="dash", line_color="grey")
    fig.update_layout(
        title="Probability of becoming a candidate pair", xaxis_title="Jaccard similarity",
        yaxis_title="P(candidate)", height=350,
    )
    return fig


def duplicate_rate_figure(
    frame: pd.DataFrame, *, by: str = "source", representative: str = "is_representative"
) -> go.Figure:
    """Share of documents that duplicate another, per value of ``by`` (e.g. source)."""
    rate = (~frame[representative].astype(bool)).groupby(frame[by].astype(str)).agg(["mean", "size"])
    fig = go.Figure(
        go.Bar(x=rate.index.to_numpy(), y=rate["mean"].to_numpy(),
               text=[f"{m:.1%} of {n:,}" for m, n in zip(rate["mean"], rate["size"], strict=True)])
    )
    fig.update_layout(title=f"Duplicate rate by {by}", yaxis_title="share of duplicates",
                      yaxis_tickformat=".0%", height=350)
    return fig


def method_comparison_figure(comparison: pd.DataFrame) -> go.Figure:
    """Grouped bars of duplicate rate, precision and recall per method
    (the output of :func:`workbench.dedup.compare_methods`)."""
    fig = go.Figure()
    for col in ("duplicate_rate", "precision", "recall"):
        if col in comparison.columns:
            fig.add_trace(go.Bar(x=comparison["method"], y=comparison[col], name=col))
    fig.update_layout(barmode="group", title="Methods on the same corpus", yaxis_range=[0, 1.05], height=350)
    return fig


def diff_html(a: str, b: str) -> str:
    """Word-level diff of two texts as HTML: removed words in ``<del>``, added in ``<ins>``.

    Examples
    --------
    >>> diff_html("a b c", "a x c")
    '<span>a</span> <del style="background:#fdd">b</del> <ins style="background:#dfd">x</ins> <span>c</span>'
    """
    wa, wb = a.split(), b.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(f"<span>{escape_html(' '.join(wa[i1:i2]))}</span>")
            continue
        if i2 > i1:
            out.append(f'<del style="background:#fdd">{escape_html(" ".join(wa[i1:i2]))}</del>')
        if j2 > j1:
            out.append(f'<ins style="background:#dfd">{escape_html(" ".join(wb[j1:j2]))}</ins>')
    return " ".join(out)
