"""Figures for the filter_learning report: learning curves, weights, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["calibration_figure", "learning_curve_figure", "weights_figure"]

_COLOURS = {"random": "#6b7785", "filter-uncertainty": "#1f6feb"}
_NAMES = {"random": "random order", "filter-uncertainty": "active (filter-uncertainty)"}


def _band(x: object, low: object, high: object, colour: str, opacity: float) -> go.Scatter:
    """A filled interval band (no hover, no legend entry)."""
    xs = np.asarray(x, dtype=float)
    return go.Scatter(x=np.concatenate([xs, xs[::-1]]),
                      y=np.concatenate([np.asarray(high, dtype=float), np.asarray(low, dtype=float)[::-1]]),
                      fill="toself", line={"width": 0}, fillcolor=colour, opacity=opacity, hoverinfo="skip",
                      showlegend=False)


def learning_curve_figure(summary: pd.DataFrame, gain: pd.DataFrame | None = None, *,
                          confidence: float = 0.95) -> go.Figure:
    """Held-out AUC against labels spent (``summary``: ``strategy, n_labels, auc, low, high,
    seeds``), one line per strategy with its interval over the seeds as a band; below it,
    when given, the paired gain of active over random (``gain``: ``n_labels, gain, low, high,
    seeds``) with its interval — the seeds' held-out sets differ, so the gain, paired within a
    seed, is the sharper comparison."""
    from plotly.subplots import make_subplots

    paired = gain is not None and len(gain) > 0
    fig = make_subplots(rows=2 if paired else 1, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        row_heights=[0.62, 0.38] if paired else [1.0])
    for strategy, g in summary.groupby("strategy", sort=False):
        g = g.sort_values("n_labels")
        colour = _COLOURS.get(str(strategy), "#b26a00")
        name = _NAMES.get(str(strategy), str(strategy))
        if (g["high"] > g["low"]).any():
            fig.add_trace(_band(g["n_labels"], g["low"], g["high"], colour, 0.12), row=1, col=1)
        fig.add_trace(go.Scatter(
            x=g["n_labels"], y=g["auc"], mode="lines+markers", name=name, line={"color": colour},
            customdata=np.stack([g["low"], g["high"], g["seeds"]], axis=1),
            hovertemplate=(f"{name}<br>%{{x}} labels: AUC %{{y:.3f}} ({confidence:.0%} interval %{{customdata[0]:.3f}}"
                           "–%{customdata[1]:.3f}, %{customdata[2]} seeds)<extra></extra>"),
        ), row=1, col=1)
    lo = float(np.nanmin(summary["low"])) if len(summary) else 0.5
    fig.update_yaxes(title_text="held-out AUC", range=[max(0.0, min(lo, 0.9) - 0.02), 1.01], row=1, col=1)
    if paired:
        g = gain.sort_values("n_labels")  # type: ignore[union-attr]
        x = g["n_labels"].to_numpy(float)
        fig.add_trace(_band(x, g["low"], g["high"], "#1f6feb", 0.18), row=2, col=1)
        fig.add_trace(go.Scatter(
            x=x, y=g["gain"], mode="lines+markers", name="active − random (paired by seed)",
            line={"color": "#1f2933"}, customdata=np.stack([g["low"], g["high"]], axis=1),
            hovertemplate=(f"%{{x}} labels: active − random %{{y:+.3f}} AUC ({confidence:.0%} interval "
                           "%{customdata[0]:+.3f} to %{customdata[1]:+.3f})<extra></extra>"),
        ), row=2, col=1)
        fig.add_hline(y=0, line={"color": "#9aa5b1", "dash": "dot"}, row=2, col=1)
        span = float(np.nanmax(np.abs(np.concatenate([g["low"], g["high"]])))) if len(g) else 0.05
        span = max(span, 0.01) * 1.15
        fig.update_yaxes(title_text="AUC gain", range=[-span, span], zeroline=False, row=2, col=1)
    fig.update_xaxes(title_text="reviewed items used for training", rangemode="tozero", row=2 if paired else 1,
                     col=1)
    fig.update_layout(title="Held-out AUC by labels spent: random order vs active learning",
                      height=560 if paired else 430, legend={"orientation": "h", "y": -0.16})
    return fig


def weights_figure(weights: pd.DataFrame) -> go.Figure:
    """Each feature's weight per standard deviation (``weights``: ``feature, weight``), the
    largest effect on top; positive weights push towards flagged."""
    w = weights.iloc[::-1]
    colours = np.where(w["weight"] > 0, "#b3261e", "#1e7b34")
    fig = go.Figure(go.Bar(
        x=w["weight"], y=w["feature"], orientation="h", marker={"color": colours},
        hovertemplate="%{y}: weight %{x:+.3f} per standard deviation<extra></extra>",
    ))
    span = float(np.abs(w["weight"]).max()) if len(w) else 1.0
    fig.update_layout(title="What the filter learned: weight per standard deviation (right: flagged more often)",
                      height=170 + 42 * len(w), showlegend=False)
    fig.update_xaxes(title_text="weight (log-odds per standard deviation)", range=[-1.1 * span, 1.1 * span],
                     zeroline=True)
    fig.update_yaxes(automargin=True)
    return fig


def calibration_figure(curve: pd.DataFrame) -> go.Figure:
    """Out-of-fold mean predicted probability against the share reviewers flagged, per
    probability bin (``curve``: ``mean_predicted, share_flagged``), beside the diagonal."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "#9aa5b1"},
                             name="perfectly calibrated", hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=curve["mean_predicted"], y=curve["share_flagged"], mode="lines+markers", name="learned filter",
        line={"color": "#1f6feb"},
        hovertemplate="predicted %{x:.2f}: reviewers flagged %{y:.0%}<extra></extra>",
    ))
    fig.update_layout(title="Calibration (out of fold): predicted probability vs share flagged", height=400,
                      legend={"orientation": "h", "y": -0.22})
    fig.update_xaxes(title_text="predicted probability of 'flagged'", range=[0, 1])
    fig.update_yaxes(title_text="share the reviewers flagged", range=[0, 1.02], tickformat=".0%")
    return fig
