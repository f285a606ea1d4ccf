"""Figures for downstream ablations: differences with CIs, per-repeat metrics, threshold sweeps."""

from __future__ import annotations

import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workbench.ablation import AblationResult, ThresholdSweep
from workbench.plots import forest_plot

__all__ = ["differences", "repeats", "sweep"]


def differences(result: AblationResult, metric: str) -> go.Figure:
    """Forest plot: each set minus the baseline on ``metric``, with its CI and a zero line."""
    d = result.differences[result.differences["metric"] == metric].copy()
    d["label"] = d["set"] + " − " + d["baseline"]
    better = "higher" if metric != "perplexity" else "lower"
    return forest_plot(d, label="label", title=f"{metric}: difference to {d['baseline'].iloc[0]} ({better} is better)",
                       xaxis_title=f"{metric} difference to {d['baseline'].iloc[0]} (95% CI)")


def repeats(result: AblationResult, metric: str) -> go.Figure:
    """The metric of every repeat, one column per training set."""
    fig = px.strip(result.table, x="set", y=metric, hover_data=["repeat", "n_train"],
                   title=f"{metric} per repeat and training set")
    return fig


def sweep(result: ThresholdSweep, metric: str) -> go.Figure:
    """Metric with its CI band against the threshold, and the keep-rate on a second axis."""
    t = result.table
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=t["threshold"], y=t[f"{metric}_ci_high"], mode="lines", line={"width": 0},
                             showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=t["threshold"], y=t[f"{metric}_ci_low"], mode="lines", line={"width": 0},
                             fill="tonexty", fillcolor="rgba(31,119,180,0.2)", name="95% CI"))
    fig.add_trace(go.Scatter(x=t["threshold"], y=t[metric], mode="lines+markers", name=metric))
    fig.add_trace(go.Scatter(x=t["threshold"], y=t["keep_rate"], mode="lines+markers", name="keep-rate",
                             line={"dash": "dot"}), secondary_y=True)
    fig.update_yaxes(title_text=metric, secondary_y=False)
    fig.update_yaxes(title_text="keep-rate", tickformat=".0%", range=[0, 1.05], tickmode="linear", tick0=0, dtick=0.2,
                     showgrid=False, secondary_y=True)  # its own ticks, not aligned to the left axis
    fig.update_xaxes(title_text="threshold")
    fig.update_layout(title=f"{metric} and keep-rate by filter threshold")
    return fig
