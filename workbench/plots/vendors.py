"""Figures for a vendor comparison (results of :func:`workbench.vendors.compare_vendors`)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from workbench.plots import forest_plot
from workbench.plots._layout import rate_ci_figure
from workbench.vendors import VendorComparison

__all__ = [
    "annotator_plot",
    "bias_plot",
    "category_accuracy_plot",
    "difference_plot",
    "estimates_plot",
    "label_distribution_plot",
]

_COLORS = ("#1f77b4", "#ff7f0e")


def difference_plot(
    comparison: VendorComparison,
    *,
    roles: Sequence[str] = ("primary", "secondary"),
    keys: Sequence[str] | None = None,
    title: str = "",
) -> go.Figure:
    """Forest plot of the differences a − b with their paired bootstrap intervals.

    Rows are the scorecard metrics with one of ``roles`` (or exactly ``keys``); the
    interval level of each row is in its label (primary rows use the Bonferroni level).

    Examples
    --------
    >>> from workbench.samples import make_vendors
    >>> from workbench.vendors import compare_vendors
    >>> s = make_vendors(120, 3, 60, rng=2)
    >>> res = compare_vendors(s.tables["vendor_a"], s.tables["vendor_b"],
    ...                       gold=s.tables["vendor_gold"], n_resamples=200, rng=0)
    >>> len(difference_plot(res).data[0].x)
    5
    """
    card = comparison.scorecard
    rows = card[card["key"].isin(keys)] if keys is not None else card[card["role"].isin(roles)]
    frame = pd.DataFrame({
        "label": [f"{m} ({lvl:.1%} CI)" for m, lvl in zip(rows["metric"], rows["ci_level"], strict=True)],
        "estimate": rows["difference"].to_numpy(),
        "ci_low": rows["diff_low"].to_numpy(),
        "ci_high": rows["diff_high"].to_numpy(),
    })
    a, b = comparison.names
    fig = forest_plot(frame, title=title or f"Difference {a} − {b} with paired bootstrap CIs")
    fig.update_layout(xaxis_title=f"{a} − {b}")
    return fig


def estimates_plot(
    comparison: VendorComparison, *, keys: Sequence[str] | None = None, title: str = ""
) -> go.Figure:
    """Each vendor's estimate and confidence interval per metric, side by side.

    ``keys`` picks scorecard rows (default: the primary and secondary metrics and Fleiss).
    """
    card = comparison.scorecard
    if keys is None:
        rows = card[card["role"].isin(("primary", "secondary")) | (card["key"] == "fleiss")]
    else:
        rows = card[card["key"].isin(keys)]
    frame = pd.concat([
        pd.DataFrame({"metric": rows["metric"].to_numpy(), "vendor": name, "estimate": rows[v].to_numpy(),
                      "ci_low": rows[f"{v}_low"].to_numpy(), "ci_high": rows[f"{v}_high"].to_numpy()})
        for v, name in zip("ab", comparison.names, strict=True)], ignore_index=True)
    fig = rate_ci_figure(frame, group="metric", series="vendor",
                         title=title or f"Estimates with {comparison.confidence:.0%} bootstrap CIs")
    for trace, color in zip(fig.data, _COLORS, strict=False):
        trace.marker.color = color
    return fig


def category_accuracy_plot(comparison: VendorComparison, *, title: str = "") -> go.Figure:
    """Consensus gold accuracy per category and vendor, with Wilson intervals."""
    fig = go.Figure()
    cats = comparison.by_category
    if cats is None or cats.empty:
        return fig.update_layout(title="No gold items with a category")
    for v, name, color in zip("ab", comparison.names, _COLORS, strict=True):
        sub = cats[cats["vendor"] == v]
        fig.add_trace(
            go.Bar(
                x=sub["category"].astype(str), y=sub["consensus_accuracy"], name=name, marker_color=color,
                text=[f"n = {n}" for n in sub["n_gold"]], textposition="inside",
                error_y={
                    "type": "data", "symmetric": False,
                    "array": (sub["ci_high"] - sub["consensus_accuracy"]).to_numpy(),
                    "arrayminus": (sub["consensus_accuracy"] - sub["ci_low"]).to_numpy(),
                },
            )
        )
    fig.update_layout(
        barmode="group", title=title or "Gold accuracy of the consensus label by category",
        yaxis={"range": [0, 1.05], "title": "accuracy"},
    )
    return fig


def bias_plot(comparison: VendorComparison, *, title: str = "") -> go.Figure:
    """P(longer preferred) and P(first-shown preferred) per vendor, with CIs; 0.5 is no bias."""
    card = comparison.scorecard.set_index("key")
    keys = [k for k in ("p_longer", "p_first") if k in card.index]
    if not keys:
        return go.Figure().update_layout(title="Length and position bias apply to preference tables only",
                                         height=260)
    frame = pd.concat([
        pd.DataFrame({"metric": card.loc[keys, "metric"].to_numpy(), "vendor": name,
                      "estimate": card.loc[keys, v].to_numpy(dtype=float),
                      "ci_low": card.loc[keys, f"{v}_low"].to_numpy(dtype=float),
                      "ci_high": card.loc[keys, f"{v}_high"].to_numpy(dtype=float)})
        for v, name in zip("ab", comparison.names, strict=True)], ignore_index=True)
    fig = rate_ci_figure(frame, group="metric", series="vendor", reference=0.5,
                         title=title or "Length and position bias (0.5 = none)", xaxis_title="probability")
    for trace, color in zip(fig.data, _COLORS, strict=False):
        trace.marker.color = color
    return fig


def annotator_plot(comparison: VendorComparison, *, title: str = "") -> go.Figure:
    """Per annotator: Dawid–Skene accuracy against gold accuracy, by vendor.

    The dashed line is the near-random bar (chance + ``near_random_margin`` of the
    comparison); marker size grows with the annotator's judgments.
    """
    ann = pd.concat([p.annotators for p in comparison.profiles], ignore_index=True)
    fig = go.Figure()
    for v, name, color in zip("ab", comparison.names, _COLORS, strict=True):
        sub = ann[ann["vendor"] == v]
        fig.add_trace(
            go.Scatter(
                x=sub["ds_accuracy"], y=sub["gold_accuracy"], mode="markers+text", name=name,
                text=sub["annotator_id"].astype(str), textposition="top center",
                marker={"size": 6 + 14 * sub["n_judgments"] / ann["n_judgments"].max(), "color": color,
                        "symbol": ["x" if r else "circle" for r in sub["near_random"]]},
                customdata=sub[["n_judgments", "n_gold"]].to_numpy(),
                hovertemplate="%{text}<br>DS accuracy %{x:.2f}<br>gold accuracy %{y:.2f}"
                "<br>%{customdata[0]} judgments, %{customdata[1]} on gold<extra></extra>",
            )
        )
    bar = comparison.a.chance_accuracy + comparison.near_random_margin
    fig.add_vline(x=bar, line_dash="dash", line_color="grey", annotation_text="near-random bar")
    fig.update_layout(
        title=title or "Annotators: Dawid–Skene accuracy vs accuracy on gold items (x = near-random)",
        xaxis_title="Dawid–Skene accuracy (both vendors pooled)", yaxis_title="accuracy on gold items",
    )
    return fig


def label_distribution_plot(comparison: VendorComparison, *, title: str = "") -> go.Figure:
    """Share of each label among each vendor's judgments."""
    dist = comparison.label_distribution
    fig = go.Figure()
    for v, name, color in zip("ab", comparison.names, _COLORS, strict=True):
        fig.add_trace(go.Bar(x=dist.index.astype(str), y=dist[f"share_{v}"], name=name, marker_color=color))
    fig.update_layout(barmode="group", title=title or "Label distribution", yaxis_title="share of judgments")
    return fig
