"""Figures for length and position bias (results of :mod:`workbench.bias`)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from workbench.bias import LengthBiasResult, LengthMeasure, response_lengths
from workbench.plots import forest_plot

__all__ = [
    "before_after_plot",
    "group_bias_plot",
    "length_difference_histogram",
    "length_win_rate_plot",
]


_ESTIMATE_WORDS = {"p_longer_preferred": "P(longer response preferred)",
                   "p_first_preferred": "P(first-shown response preferred)"}


def length_win_rate_plot(result: LengthBiasResult, *, title: str = "") -> go.Figure:
    """Win rate of the longer response per bin of |length difference|, with Wilson CIs.

    Examples
    --------
    >>> from workbench.bias import length_bias
    >>> prefs = pd.DataFrame({"pair_id": ["p1", "p2", "p3"], "annotator_id": "r",
    ...     "choice": ["a", "b", "a"], "response_a": ["a b c", "a", "a b"],
    ...     "response_b": ["a", "a b c d", "a b c"]})
    >>> fig = length_win_rate_plot(length_bias(prefs, delta_bins=1))
    >>> fig.data[0].y.tolist()
    [0.6666666666666666]
    """
    bd = result.by_delta
    fig = go.Figure(
        go.Scatter(
            x=bd["delta_median"],
            y=bd["p_longer_preferred"],
            mode="markers+lines",
            marker={"size": 9},
            text=[f"{b}: n = {n}" for b, n in zip(bd["bin"], bd["n"], strict=True)],
            hovertemplate="|Δ| %{text}<br>P(longer preferred) %{y:.2f}<extra></extra>",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (bd["ci_high"] - bd["p_longer_preferred"]).to_numpy(),
                "arrayminus": (bd["p_longer_preferred"] - bd["ci_low"]).to_numpy(),
            },
            name="longer response",
        )
    )
    fig.add_hline(y=0.5, line_dash="dash", line_color="grey")
    fig.update_layout(
        title=title or "Win rate of the longer response by length difference",
        xaxis_title=f"|length difference| ({result.length}), bin median",
        yaxis_title="P(longer preferred)",
        yaxis={"range": [0, 1]},
    )
    return fig


def group_bias_plot(
    groups: pd.DataFrame,
    *,
    group: str = "annotator_id",
    estimate: str = "p_longer_preferred",
    title: str = "P(longer preferred)",
) -> go.Figure:
    """Forest plot of a per-group rate (``.groups`` of a bias result) against 0.5.

    Examples
    --------
    >>> g = pd.DataFrame({"annotator_id": ["a1"], "p_longer_preferred": [0.7],
    ...                   "ci_low": [0.6], "ci_high": [0.8]})
    >>> group_bias_plot(g).data[0].y.tolist()
    ['a1']
    """
    frame = groups.assign(label=groups[group].astype(str))
    return forest_plot(frame, estimate=estimate, label="label", reference=0.5, title=title,
                       xaxis_title=_ESTIMATE_WORDS.get(estimate, estimate.replace("_", " ")) + " with its CI")


def length_difference_histogram(
    preferences: pd.DataFrame,
    *,
    length: LengthMeasure = "words",
    choice: str = "choice",
    nbins: int = 40,
) -> go.Figure:
    """Histograms of length(chosen) - length(rejected) and of the signed a - b difference.

    Under no length preference the chosen - rejected histogram is symmetric around 0 like
    the a - b one.

    Examples
    --------
    >>> prefs = pd.DataFrame({"choice": ["a", "b"], "response_a": ["x y", "x"],
    ...                       "response_b": ["x", "x y z"]})
    >>> length_difference_histogram(prefs).data[0].x.tolist()
    [1.0, 2.0]
    """
    lens = response_lengths(preferences, length=length)
    ch = preferences[choice].astype(str).str.lower().to_numpy()
    keep = ch != "tie"
    diff = lens["delta"].where(ch == "a", -lens["delta"])[keep]
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=diff.to_numpy(), nbinsx=nbins, name="chosen − rejected", opacity=0.6))
    fig.add_trace(go.Histogram(x=lens["delta"][keep].to_numpy(), nbinsx=nbins, name="a − b", opacity=0.6))
    fig.add_vline(x=0, line_dash="dash", line_color="grey")
    fig.update_layout(barmode="overlay", title="Length difference", xaxis_title="length difference",
                      yaxis_title="judgments")
    return fig


def before_after_plot(before: LengthBiasResult, after: LengthBiasResult, *, title: str = "") -> go.Figure:
    """P(longer preferred) with CIs before and after a mitigation, against 0.5.

    Examples
    --------
    >>> from workbench.bias import length_bias
    >>> prefs = pd.DataFrame({"pair_id": ["p1", "p2"], "annotator_id": "r", "choice": ["a", "b"],
    ...     "response_a": ["a b", "a"], "response_b": ["a", "a b"]})
    >>> r = length_bias(prefs)
    >>> before_after_plot(r, r).data[0].y.tolist()
    ['before', 'after']
    """
    frame = pd.DataFrame(
        {
            "label": ["before", "after"],
            "estimate": [before.p_longer_preferred, after.p_longer_preferred],
            "ci_low": [before.ci_low, after.ci_low],
            "ci_high": [before.ci_high, after.ci_high],
        }
    )
    return forest_plot(frame, reference=0.5, title=title or "P(longer preferred) before and after rebalancing",
                       xaxis_title="P(longer response preferred) with its CI")
