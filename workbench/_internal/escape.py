"""Escaping for everything from data or parameters that a report shows as HTML or Markdown.

One place decides how a value becomes inert text: the notebooks build every Markdown and HTML
string with these helpers (re-exported by :mod:`workbench.reports`), and every styled table
goes through :func:`styled`, so a label such as ``<img src=x onerror=alert(1)>`` is shown,
never run.
"""

from __future__ import annotations

import html
import reprlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pandas.io.formats.style import Styler

__all__ = ["escape_html", "escape_markdown", "markdown_code", "plotly_text", "styled", "shorten"]

# HTML's five specials as named entities; Markdown and LaTeX punctuation as numeric ones.
_MD_ENTITIES = str.maketrans(
    {ch: html.escape(ch, quote=True) for ch in "&<>\"'"} | {ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]()#+-!|~$="}
)


_BOUNDED = reprlib.Repr()
_BOUNDED.maxlevel, _BOUNDED.maxlist, _BOUNDED.maxdict, _BOUNDED.maxstring, _BOUNDED.maxother = 3, 6, 6, 60, 60


def escape_html(value: object) -> str:
    """``value`` as HTML text: ``& < > " '`` become entities, so no tag or attribute opens.

    Examples
    --------
    >>> escape_html('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape(str(value), quote=True)


def escape_markdown(value: object) -> str:
    """``value`` as Markdown text shown literally: no tag, link, emphasis, heading or math opens.

    ``& < > " '`` become HTML entities and Markdown and LaTeX punctuation becomes numeric
    entities (``*`` → ``&#42;``), which Markdown shows as the character and never reads as
    syntax — also inside raw HTML such as ``<code>``, where backslash escapes would show.
    Line breaks become spaces, so a value cannot start a heading or a list.

    Examples
    --------
    >>> escape_markdown("[a](javascript:x) <b>*x*</b> $y$")
    '&#91;a&#93;&#40;javascript:x&#41; &lt;b&gt;&#42;x&#42;&lt;/b&gt; &#36;y&#36;'
    """
    text = " ".join(str(value).splitlines())
    return text.translate(_MD_ENTITIES)


_PLOTLY_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def plotly_text(value: str) -> str:
    """``value`` as plotly text shown literally: plotly reads ``<a href>``, ``<br>``, ``<b>``…
    in names, labels and hover text as markup (a data id could become a link); ``& < >`` become
    the entities plotly turns back into the characters.

    Examples
    --------
    >>> plotly_text('<a href="https://x">y</a> & <br>')
    '&lt;a href="https://x"&gt;y&lt;/a&gt; &amp; &lt;br&gt;'
    """
    return value.translate(_PLOTLY_ENTITIES)


def markdown_code(value: object) -> str:
    """``value`` in monospace inside Markdown (an escaped ``<code>`` element, not backticks,
    which a value holding a backtick could close).

    Examples
    --------
    >>> markdown_code("a`b<script>")
    '<code>a`b&lt;script&gt;</code>'
    """
    return f"<code>{escape_html(value)}</code>"


def shorten(value: object, limit: int = 200) -> str:
    """``repr``-like text of ``value`` cut to ``limit`` characters, for error messages that
    quote user input (a 300 MB value must not become a 300 MB message).

    Examples
    --------
    >>> shorten("x" * 1000, 20)
    "'xxxxxxxxxxxxxxxx… (1,002 characters)"
    >>> a = ["lol"] * 9
    >>> for _ in range(9):
    ...     a = [a] * 9
    >>> len(shorten(a)) <= 200  # 9**10 strings, never written out
    True
    """
    if isinstance(value, str):
        text = repr(value[: limit + 2])
        if len(value) > limit + 2:
            text = text[:-1]  # drop the closing quote of a cut string
    else:  # a bounded repr: a nested value of a billion items must not be built as text
        text = _BOUNDED.repr(value)
    size = len(value) if isinstance(value, str) else None
    if len(text) <= limit and (size is None or size <= limit + 2):
        return text
    if size is not None:
        return f"{text[: limit - 3]}… ({size + 2:,} characters)"
    return f"{text[: limit - 3]}…"


def styled(
    frame: pd.DataFrame,
    formatter: Mapping[Any, str | Callable[[Any], str]] | str | Callable[[Any], str] | None = None,
    **format_options: Any,
) -> Styler:
    """A pandas ``Styler`` of ``frame`` whose cells, index and column labels are HTML-escaped.

    ``Styler`` does not escape by default, and each ``.format`` call replaces the escaping of
    the columns it touches; pass the formats here (same meaning as ``Styler.format``), not in
    a later ``.format`` call.

    Examples
    --------
    >>> import pandas as pd
    >>> html_text = styled(pd.DataFrame({"<b>": ["<i>x</i>"]}, index=["<s>"])).to_html()
    >>> "<i>" in html_text or "<b>" in html_text or "<s>" in html_text
    False
    """
    return (
        frame.style.format(formatter, escape="html", **format_options)
        .format_index(escape="html", axis=0)
        .format_index(escape="html", axis=1)
    )
