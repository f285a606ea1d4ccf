"""What every analysis returns: a verdict, named sanity checks, and the way a report opens.

An analysis (one module per report in :mod:`workbench.analyses`) has one ``run(...)`` that
takes the report's parameters and returns a frozen result holding

* ``verdict`` — a :class:`Verdict`: an outcome code, a one-line headline, 3–5 decision
  bullets and a tone (``good`` / ``warning`` / ``bad`` / ``neutral``);
* ``inputs`` — the files it read (:class:`workbench.report_inputs.ReportInputs`);
* the tables and figures the report shows, as data (frames, plotly figures);
* ``findings`` — sentences about degenerate data (one annotator, nothing to test …);
* ``checks()`` — the report's sanity checks as named invariants (:class:`Checks`).

The notebook and the CLI are views of that one result: the notebook calls
:func:`show_verdict` right under its title and ``result.checks().raise_if_failed()`` at its
end; the CLI prints ``result.summary()``.

Examples
--------
>>> v = Verdict("accept", "batch accepted: alpha 0.81 >= 0.70", ("12 annotators", "no drift"), "good")
>>> print(v.summary())
batch accepted: alpha 0.81 >= 0.70
- 12 annotators
- no drift
>>> c = Checks.of(check("estimate inside its interval", 0.2 <= 0.3 <= 0.4, "0.2 <= 0.3 <= 0.4"))
>>> c.ok, c.summary()
(True, 'all 1 sanity checks passed')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from workbench._internal.escape import escape_html, escape_markdown
from workbench._runrecord import headline, record_inputs, record_verdict
from workbench.errors import WorkbenchError
from workbench.plots.tables import table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from workbench.report_inputs import ReportInputs

__all__ = [
    "Check",
    "Checks",
    "ChecksFailed",
    "Report",
    "Tone",
    "Verdict",
    "check",
    "fmt_count",
    "preformatted",
    "say",
    "show",
    "show_verdict",
    "table",
]

Tone = Literal["good", "warning", "bad", "neutral"]
TONES: tuple[str, ...] = get_args(Tone)

# Colours of the verdict box per tone: border, background, text (WCAG AA on the background).
_TONE_STYLE: dict[str, tuple[str, str, str, str]] = {
    "good": ("#1e7b34", "#e8f5ea", "#0f3d1a", "✔"),
    "warning": ("#b26a00", "#fff4e0", "#4d2e00", "⚠"),
    "bad": ("#b3261e", "#fdecea", "#5c130f", "✖"),
    "neutral": ("#4a5a6a", "#eef2f6", "#1f2933", "ℹ"),
}


@dataclass(frozen=True)
class Verdict:
    """The decision of one analysis, worded once.

    Attributes
    ----------
    outcome
        A short code tests and dashboards read (``"accept"``, ``"reject"``, ``"length_bias"`` …).
    headline
        One line a person reads first.
    bullets
        The decision bullets (up to 5): the evidence and the recommended action.
    tone
        ``"good"``, ``"warning"``, ``"bad"`` or ``"neutral"`` (colour of the box).
    """

    outcome: str
    headline: str
    bullets: tuple[str, ...] = ()
    tone: Tone = "neutral"

    def __post_init__(self) -> None:
        if self.tone not in TONES:
            raise WorkbenchError(f"verdict tone {self.tone!r} is not one of {', '.join(TONES)}.")
        if not self.headline.strip():
            raise WorkbenchError("a verdict needs a headline (one line with the finding).")
        if len(self.bullets) > 5:
            raise WorkbenchError(f"a verdict has at most 5 bullets, got {len(self.bullets)}; "
                                 "move the rest into the report's evidence.")
        object.__setattr__(self, "bullets", tuple(str(b) for b in self.bullets))

    def summary(self) -> str:
        """The headline and the bullets as plain text (what the CLI prints first)."""
        return "\n".join([self.headline, *(f"- {b}" for b in self.bullets)])

    def to_html(self, title: str = "Verdict") -> str:
        """The verdict box: an element with class ``verdict`` in the tone's colours, escaped."""
        border, background, ink, mark = _TONE_STYLE[self.tone]
        items = "".join(f"<li style='margin:0.2em 0'>{escape_html(b)}</li>" for b in self.bullets)
        bullets = f"<ul style='margin:0.4em 0 0 0;padding-left:1.3em'>{items}</ul>" if items else ""
        return (
            f"<div class='verdict verdict-{self.tone}' data-outcome='{escape_html(self.outcome)}' "
            f"role='status' style='border-left:6px solid {border};background:{background};color:{ink};"
            "padding:0.8em 1.1em;margin:0.4em 0 1em 0;border-radius:4px;font-size:1.05em;"
            "line-height:1.45;max-width:70em;overflow-wrap:break-word;word-break:normal'>"
            f"<div style='font-size:0.8em;text-transform:uppercase;letter-spacing:0.05em;opacity:0.8'>"
            f"{mark} {escape_html(title)} · {escape_html(self.tone)}</div>"
            f"<div style='font-size:1.25em;font-weight:600;margin-top:0.15em'>{escape_html(self.headline)}</div>"
            f"{bullets}</div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class Check:
    """One sanity check: an invariant that must hold on any input, with the numbers seen."""

    name: str
    passed: bool
    detail: str = ""


def check(name: str, passed: Any, detail: str = "") -> Check:
    """A :class:`Check` from any truthy value (numpy booleans included).

    Examples
    --------
    >>> check("p in [0, 1]", 0 <= 0.3 <= 1, "p = 0.3")
    Check(name='p in [0, 1]', passed=True, detail='p = 0.3')
    """
    return Check(str(name), bool(passed), str(detail))


class ChecksFailed(RuntimeError):
    """A sanity check of an analysis failed: a bug or nonsense input, never a finding."""


@dataclass(frozen=True)
class Checks:
    """The sanity checks of one result (``result.checks()``)."""

    items: tuple[Check, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, *items: Check | Iterable[Check]) -> Checks:
        """Collect checks, flattening iterables of checks."""
        out: list[Check] = []
        for item in items:
            out.extend([item] if isinstance(item, Check) else list(item))
        return cls(tuple(out))

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.items if not c.passed)

    @property
    def ok(self) -> bool:
        return not self.failed

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def summary(self) -> str:
        """``"all N sanity checks passed"`` or the failed ones with their numbers."""
        if self.ok:
            return f"all {len(self.items)} sanity checks passed"
        lines = [f"{len(self.failed)} of {len(self.items)} sanity checks failed:"]
        lines += [f"- {c.name}" + (f" ({c.detail})" if c.detail else "") for c in self.failed]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per check: ``check``, ``passed``, ``detail``."""
        import pandas as pd

        return pd.DataFrame([{"check": c.name, "passed": c.passed, "detail": c.detail} for c in self.items],
                            columns=["check", "passed", "detail"])

    def raise_if_failed(self) -> Checks:
        """Raise :class:`ChecksFailed` naming every failed check; return ``self`` when all pass."""
        if not self.ok:
            raise ChecksFailed(self.summary())
        return self

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{'✔' if c.passed else '✖'}</td><td>{escape_html(c.name)}</td>"
            f"<td style='color:#555'>{escape_html(c.detail)}</td></tr>" for c in self.items
        )
        return (f"<p>{escape_html(self.summary().splitlines()[0])}</p>"
                f"<details><summary>The checks</summary><table>{rows}</table></details>")

    def __str__(self) -> str:
        return self.summary()


class Report(Protocol):
    """What :func:`show_verdict` needs of a result: every analysis result satisfies it."""

    @property
    def verdict(self) -> Verdict: ...

    @property
    def inputs(self) -> ReportInputs | None: ...


def show_verdict(result: Report, *, facts: Sequence[str] = ()) -> None:
    """Open a report: the verdict box, then "Inputs used"; record the headline in the run.

    Call it in the first cell after the parameters. The headline (and ``facts``) go to the
    run's ``manifest.json`` and ``reports/index.html``; the outcome and tone go to the
    manifest's ``verdict`` so the index and the dashboard show what was decided, not only
    that the notebook ran.
    """
    from IPython.display import HTML, Markdown, display

    v = result.verdict
    display(HTML(v.to_html()))
    if result.inputs is not None:
        display(Markdown(result.inputs.to_markdown()))
        record_inputs({f.parameter: f.path for f in result.inputs.files if f.path is not None})
    headline(v.headline, *facts)
    record_verdict(outcome=v.outcome, tone=v.tone, headline=v.headline)


def say(*sentences: str | None) -> None:
    """Show computed sentences in a report as Markdown paragraphs, escaped (never ``print()``).

    ``None`` and empty sentences are skipped, so optional findings can be passed as they are.
    """
    from IPython.display import Markdown, display

    text = "\n\n".join(escape_markdown(s) for s in sentences if s)
    if text:
        display(Markdown(text))


def show(*items: Any, precision: int = 3) -> None:
    """Show each item the way a report should: a plotly figure drawn, a frame as an escaped
    table (numbers to ``precision`` decimals), a sentence as Markdown; ``None`` is skipped.

    One call per evidence cell keeps notebooks free of display logic.
    """
    import pandas as pd
    from IPython.display import display

    for item in items:
        if item is None:
            continue
        if isinstance(item, str):
            say(item)
        elif isinstance(item, pd.Series):
            display(table(item.to_frame(), precision=precision))
        elif isinstance(item, pd.DataFrame):
            display(table(item, precision=precision))
        elif hasattr(item, "to_plotly_json") and hasattr(item, "show"):
            from workbench.plots import sanitize_figure

            sanitize_figure(item).show()  # text from data shown literally, never as plotly markup
        else:
            display(item)


def preformatted(text: str | None) -> Any:
    """``text`` shown verbatim (a file's contents, a rules file) in an escaped ``<pre>`` block;
    ``None`` stays ``None`` (so :func:`show` skips it)."""
    if text is None:
        return None
    from IPython.display import HTML

    return HTML(f"<pre style='white-space:pre-wrap'>{escape_html(text)}</pre>")


def fmt_count(n: int | float) -> str:
    """``1234`` → ``'1,234'`` (counts in sentences).

    Examples
    --------
    >>> fmt_count(12345)
    '12,345'
    """
    return f"{int(n):,}"
