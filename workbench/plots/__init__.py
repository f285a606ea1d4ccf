"""Plotly figure builders, one submodule per analysis, and the notebook renderer setup.

Builders take result objects or tidy frames and return a ``plotly.graph_objects.Figure``;
they compute nothing that the analysis modules do not already return.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from workbench.plots._layout import rate_ci_figure

__all__ = ["forest_plot", "is_text_escaped", "mark_text_escaped", "rate_ci_figure", "sanitize_figure",
           "use_offline_renderer"]


#: Figure keys (at any depth) whose strings plotly shows as pseudo-HTML text, or that must
#: match such text (category arrays, tick values, annotation positions on category axes).
#: Templates (``hovertemplate``, ``texttemplate``) are the builders' own markup and are kept;
#: the data they substitute is escaped here.
_TEXT_KEYS = frozenset({"name", "text", "hovertext", "x", "y", "z", "labels", "parents", "customdata",
                        "ticktext", "tickvals", "categoryarray", "values"})


def _escaped(value: object) -> object:
    import numpy as np

    from workbench._internal.escape import plotly_text

    if isinstance(value, str):
        return plotly_text(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OUS":
            return [_escaped(v) for v in value.tolist()]
        return value
    if isinstance(value, (list, tuple)):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    return value


def _walk(node: object) -> object:
    if isinstance(node, dict):
        return {k: (_escaped(v) if k in _TEXT_KEYS and not isinstance(v, dict) else
                    v if k == "template" else _walk(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v) for v in node]
    return node


#: Set in ``layout.meta`` of a figure whose text is escaped, so that escaping twice (a report's
#: ``show`` and then the renderer) never turns ``&lt;`` into ``&amp;lt;``.
_ESCAPED_MARK = "workbench_text_escaped"


def _escaped_spec(spec: dict[str, object]) -> dict[str, object]:
    """``spec`` (a figure as a dict) with its text from data escaped, once."""
    layout = spec.get("layout")
    meta = layout.get("meta") if isinstance(layout, dict) else None
    if isinstance(meta, dict) and meta.get(_ESCAPED_MARK):
        return spec
    out = _walk(spec)
    assert isinstance(out, dict)
    if meta is None or isinstance(meta, dict):  # a user's list/str meta is kept as it is (no mark)
        out_layout = out.setdefault("layout", {})
        assert isinstance(out_layout, dict)
        out_layout["meta"] = {**(meta or {}), _ESCAPED_MARK: True}
    return out


def sanitize_figure(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` whose text from data is shown literally, never as plotly markup.

    Plotly reads ``<a href=…>``, ``<br>``, ``<b>`` in trace names, tick labels, category
    values, titles, annotations and hover text; an id such as ``<a href="https://x">y</a>``
    would become a link in the report. Every such string is escaped once, here, where reports
    and the dashboard show figures.

    Examples
    --------
    >>> fig = go.Figure(go.Bar(x=['<a href="https://x">y</a>'], y=[1], name="<b>A</b>"))
    >>> safe = sanitize_figure(fig)
    >>> safe.data[0].x[0], safe.data[0].name
    ('&lt;a href="https://x"&gt;y&lt;/a&gt;', '&lt;b&gt;A&lt;/b&gt;')
    >>> sanitize_figure(safe) is safe  # escaped once
    True
    """
    if is_text_escaped(fig):  # escaped already (by its builder, or an earlier call)
        return fig
    spec = fig.to_plotly_json()
    return go.Figure(_escaped_spec(spec))  # type: ignore[arg-type]


def is_text_escaped(fig: go.Figure) -> bool:
    """Whether ``fig`` is marked as holding escaped text (:func:`mark_text_escaped`)."""
    meta = fig.layout.meta
    return isinstance(meta, dict) and bool(meta.get(_ESCAPED_MARK))


def mark_text_escaped(fig: go.Figure) -> go.Figure:
    """Mark ``fig`` as built from text its builder escaped itself (each name, label and
    category through :func:`workbench._internal.escape.plotly_text`), so that
    :func:`sanitize_figure` returns it as it is instead of rebuilding it — the live dashboard
    redraws its charts every few seconds."""
    meta = fig.layout.meta
    fig.update_layout(meta={**(meta if isinstance(meta, dict) else {}), _ESCAPED_MARK: True})
    return fig


def use_offline_renderer() -> None:
    """Make figures render both in JupyterLab and in self-contained offline HTML reports.

    JupyterLab shows the plotly mime bundle; nbconvert's HTML export keeps the ``text/html``
    bundle, which embeds plotly.js once (no CDN), so reports open without a network. Both
    renderers escape text from data (:func:`sanitize_figure`), so a figure shown any way in a
    report (``fig.show()``, ``display(fig)``, a cell's last value) is never plotly markup.
    """
    for name in ("plotly_mimetype", "notebook"):
        pio.renderers[f"workbench_{name}"] = _escaping(pio.renderers[name])
    pio.renderers.default = "workbench_plotly_mimetype+workbench_notebook"
    _notes_for_warnings()


def _escaping(renderer: object) -> object:
    """A copy of a plotly mimetype ``renderer`` that escapes each figure's text before drawing it."""
    import copy

    base = type(renderer)

    def to_mimebundle(self: object, fig_dict: dict[str, object]) -> object:
        return base.to_mimebundle(self, _escaped_spec(fig_dict))  # type: ignore[attr-defined]

    escaping = copy.copy(renderer)
    escaping.__class__ = type(f"Escaping{base.__name__}", (base,), {"to_mimebundle": to_mimebundle})
    return escaping


def _notes_for_warnings() -> None:
    """Show the package's warnings (an import report, label spellings) in a report as a short
    escaped note, not as stderr with this machine's file paths and a line of source code."""
    import warnings

    from IPython.display import Markdown, display

    from workbench._internal.escape import escape_markdown

    default = getattr(warnings.showwarning, "__wrapped__", warnings.showwarning)

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: object = None, line: str | None = None) -> None:
        if "workbench" in str(filename) or str(getattr(category, "__module__", "")).startswith("workbench"):
            display(Markdown(f"*Note:* {escape_markdown(message)}"))
        else:
            default(message, category, filename, lineno, file, line)  # type: ignore[arg-type]

    show.__wrapped__ = default  # type: ignore[attr-defined]
    warnings.showwarning = show


def forest_plot(
    frame: pd.DataFrame,
    *,
    estimate: str = "estimate",
    low: str = "ci_low",
    high: str = "ci_high",
    label: str = "label",
    reference: float | None = 0.0,
    title: str = "",
    xaxis_title: str = "",
) -> go.Figure:
    """Point estimates with confidence intervals, one row each, and a reference line.

    A thin name for :func:`workbench.plots._layout.rate_ci_figure`, the one CI-by-group
    figure of the package (height follows the rows, long labels shortened).

    Examples
    --------
    >>> df = pd.DataFrame({"label": ["accuracy"], "estimate": [0.1], "ci_low": [0.02], "ci_high": [0.2]})
    >>> fig = forest_plot(df, title="b - a")
    >>> fig.data[0].x[0]
    np.float64(0.1)
    """
    return rate_ci_figure(frame, group=label, estimate=estimate, low=low, high=high, reference=reference,
                          title=title, xaxis_title=xaxis_title)
