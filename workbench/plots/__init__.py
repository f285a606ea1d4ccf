"""Plotly figure builders, one submodule per analysis, and the notebook renderer setup.

Builders take result objects or tidy frames and return a ``plotly.graph_objects.Figure``;
they compute nothing that the analysis modules do not already return.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["forest_plot", "use_offline_renderer"]


def use_offline_renderer() -> None:
    """Make figures render both in JupyterLab and in self-contained offline HTML reports.

    JupyterLab shows the plotly mime bundle; nbconvert's HTML export keeps the ``text/html``
    bundle, which embeds plotly.js once (no CDN), so reports open without a network.
    """
    pio.renderers.default = "plotly_mimetype+notebook"


def forest_plot(
    frame: pd.DataFrame,
    *,
    estimate: str = "estimate",
    low: str = "ci_low",
    high: str = "ci_high",
    label: str = "label",
    reference: float | None = 0.0,
    title: str = "",
) -> go.Figure:
    """Point estimates with confidence intervals, one row each, and a reference line.

    Examples
    --------
    >>> df = pd.DataFrame({"label": ["accuracy"], "estimate": [0.1], "ci_low": [0.02], "ci_high": [0.2]})
    >>> fig = forest_plot(df, title="b - a")
    >>> fig.data[0].x[0]
    np.float64(0.1)
    """
    f = frame.reset_index(drop=True)
    fig = go.Figure(
        go.Scatter(
            x=f[estimate],
            y=f[label].astype(str),
            mode="markers",
            marker={"size": 10},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (f[high] - f[estimate]).to_numpy(),
                "arrayminus": (f[estimate] - f[low]).to_numpy(),
            },
        )
    )
    if reference is not None:
        fig.add_vline(x=reference, line_dash="dash", line_color="grey")
    fig.update_layout(title=title, height=120 + 40 * len(f), yaxis={"autorange": "reversed"})
    return fig
