"""The data overview as one analysis: what a table holds, before any other analysis.

``run`` reads the table (any format :func:`workbench.io.load_table` reads), profiles it
(:func:`workbench.overview.profile_table`) and says in its verdict what it is and what needs
a look first (missing values, one annotator, no labels). Any table is profiled: one that matches
no data-model kind gets its columns, missing and distinct values and time spans, and a verdict
that names the closest kind and the columns it lacks.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"item_id": ["1", "1", "2"], "annotator_id": ["x", "y", "x"], "label": ["a", "b", "a"]})
>>> r = run(t)
>>> r.verdict.outcome, r.checks().ok
('annotations', True)
>>> run(pd.DataFrame({"task": ["1", "2"], "answer": ["a", "b"]})).verdict.headline
"A table of 2 rows and 2 columns: matches no data-model table; closest: corpus (missing columns 'doc_id', 'text')."
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from workbench import io, overview
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import DATA_OVERVIEW
from workbench.errors import WorkbenchError
from workbench.plots import overview as overview_plots
from workbench.report_inputs import ReportInputs, resolve_inputs

__all__ = ["DEFAULTS", "OverviewReport", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = DATA_OVERVIEW


@dataclass(frozen=True)
class OverviewReport:
    """What the data overview shows (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    table: pd.DataFrame
    profile: overview.TableProfile
    findings: tuple[str, ...] = ()

    # ---- sentences ------------------------------------------------------------------------
    def missing_note(self) -> str | None:
        return None if (self.profile.columns["missing"] > 0).any() else "No column has missing values."

    def labels_note(self) -> str | None:
        return None if len(self.profile.labels) else "This table has no label column."

    def annotators_note(self) -> str | None:
        return None if len(self.profile.annotators) else "This table has no annotators."

    def timeline_note(self) -> str | None:
        if len(self.profile.timeline):
            return None
        if len(self.profile.time_spans):
            return f"{len(self.profile.time_spans)} column(s) hold dates:"
        return "This table has no timestamps."

    def time_spans_table(self) -> pd.DataFrame | None:
        """First and last date of each datetime-like column (tables outside the data model)."""
        return self.profile.time_spans if len(self.profile.time_spans) else None

    # ---- tables and figures (None where there is nothing to show: a sentence says so) --------
    def missing_figure(self) -> go.Figure | None:
        if not (self.profile.columns["missing"] > 0).any():
            return None
        return overview_plots.missing_values(self.profile)

    def label_figure(self) -> go.Figure | None:
        return overview_plots.label_distribution(self.profile) if len(self.profile.labels) else None

    def annotator_figure(self) -> go.Figure | None:
        return overview_plots.annotator_volume(self.profile) if len(self.profile.annotators) else None

    def annotator_table(self) -> pd.DataFrame | None:
        return self.profile.annotators if len(self.profile.annotators) else None

    def ratings_table(self) -> pd.DataFrame | None:
        return self.profile.ratings_per_item if len(self.profile.ratings_per_item) else None

    def timeline_figure(self) -> go.Figure | None:
        return overview_plots.timeline(self.profile) if len(self.profile.timeline) else None

    def summary(self) -> str:
        """The verdict, then the profile's paragraph and the per-column table."""
        parts = [self.verdict.summary(), "", self.profile.summary(), self.profile.to_frame().to_string(index=False),
                 *self.findings, self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """The profile counts every row once: rows, label counts and annotator volumes add up."""
        p, n = self.profile, len(self.table)
        items = [check("the profile counts every row", p.n_rows == n and n > 0, f"{p.n_rows} of {n}")]
        if len(p.labels):
            total = int(p.labels["count"].sum())
            items.append(check("label counts add up to the rows", total == n, f"{total} vs {n}"))
        if len(p.annotators):
            total = int(p.annotators["judgments"].sum())
            items.append(check("annotator volumes add up to the rows", total == n, f"{total} vs {n}"))
        return Checks.of(items)


def _generic_verdict(p: overview.TableProfile) -> Verdict:
    """A table outside the data model: what it holds, and the closest kind (tone neutral)."""
    head = (f"A table of {fmt_count(p.n_rows)} rows and {len(p.columns)} columns: "
            + p.match_line.removeprefix("It "))
    bullets: list[str] = []
    missing = p.columns[p.columns["missing"] > 0]
    if len(missing):
        worst = missing.sort_values("missing", ascending=False).iloc[0]
        bullets.append(f"{len(missing)} column(s) have missing values; most in '{worst['column']}': "
                       f"{fmt_count(worst['missing'])} ({worst['missing_share']:.1%}).")
    else:
        bullets.append("No column has missing values.")
    if len(p.columns):
        most = p.columns.sort_values("distinct", ascending=False, kind="stable").iloc[0]
        few = p.columns.sort_values("distinct", kind="stable").iloc[0]
        bullets.append(f"Distinct values per column: {fmt_count(few['distinct'])} ('{few['column']}') to "
                       f"{fmt_count(most['distinct'])} ('{most['column']}').")
    for row in p.time_spans.head(2).itertuples(index=False):
        bullets.append(f"'{row.column}' spans {row.first:%Y-%m-%d %H:%M} to {row.last:%Y-%m-%d %H:%M}.")
    bullets.append(f"To analyse it as a {p.closest} table, add or rename the missing column(s).")
    return Verdict(outcome="unmatched", headline=head, bullets=tuple(bullets[:5]), tone="neutral")


def _verdict(p: overview.TableProfile) -> Verdict:
    if not p.kind:
        return _generic_verdict(p)
    article = "An" if p.kind[:1] in "aeiou" else "A"
    head = f"{article} {p.kind} table of {fmt_count(p.n_rows)} rows and {len(p.columns)} columns" + (
        f" by {fmt_count(len(p.annotators))} annotator(s)." if len(p.annotators) else ".")
    bullets: list[str] = []
    missing = p.columns[p.columns["missing"] > 0]
    tone: Tone = "good"
    outcome = p.kind
    if len(missing):
        worst = missing.sort_values("missing", ascending=False).iloc[0]
        bullets.append(f"{len(missing)} column(s) have missing values; most in '{worst['column']}': "
                       f"{fmt_count(worst['missing'])} ({worst['missing_share']:.1%}).")
        tone = "warning"
    else:
        bullets.append("No column has missing values.")
    if len(p.labels):
        top = p.labels.iloc[0]
        bullets.append(f"{len(p.labels)} distinct {p.labels.columns[0]} values; the most common is "
                       f"{top.iloc[0]!r} ({top['share']:.1%}).")
    if len(p.annotators):
        bullets.append(f"Annotators gave {fmt_count(p.annotators['judgments'].min())}–"
                       f"{fmt_count(p.annotators['judgments'].max())} judgments each.")
        if len(p.annotators) == 1:
            tone = "warning"
            bullets.append("One annotator only: agreement cannot be measured on this table.")
    if len(p.ratings_per_item):
        r = p.ratings_per_item
        mean = float((r["ratings"] * r["items"]).sum() / r["items"].sum())
        bullets.append(f"Items have {mean:.2f} judgments on average.")
    if len(p.timeline):
        bullets.append(f"Judgments span {p.timeline['day'].min():%Y-%m-%d %H:%M} to "
                       f"{p.timeline['day'].max():%Y-%m-%d %H:%M}.")
    return Verdict(outcome=outcome, headline=head, bullets=tuple(bullets[:5]), tone=tone)


def run(
    table: pd.DataFrame | str | os.PathLike[str],
    *,
    format: str = DEFAULTS["format"],
    kind: str = DEFAULTS["kind"],
    options: dict[str, Any] = DEFAULTS["options"],
) -> OverviewReport:
    """Profile a table: size, columns, missing values, labels, annotators, timeline.

    Parameters
    ----------
    table
        The table, or its file (CSV, JSONL, Parquet, optionally ``.gz``, or a tool's export).
    format
        The file format (``"auto"`` tells a tool's export apart; see docs/interop.md).
    kind
        ``annotations``, ``gold``, ``preferences``, ``corpus`` or ``image_captions``; ``""``
        detects it from the columns.
    options
        Reader options of the file, e.g. ``{"question": "sentiment"}`` (one question of a
        multi-question export or table: a data-model table answering several is refused
        without it, with the list of its questions).
    """
    inputs: ReportInputs | None = None
    if isinstance(table, pd.DataFrame):
        df = table
    else:
        inputs = resolve_inputs("data_overview", table=str(table))
        path = inputs.path("table")
        if path is None:
            raise WorkbenchError("data_overview: no table given; pass table (a file path).")
        df = io.load_table(path, kind=kind or None, format=format, options=options or None)  # type: ignore[arg-type]
        if not kind and "question" in df.columns:  # the question rule of the kind it turns out to be
            try:
                found = overview.detect_kind(df)
            except WorkbenchError:
                found = None
            try:
                df = io.one_question(df, None, source=f"'{path}'", kind=found)
            except WorkbenchError as exc:  # several questions: an overview still shows the table as it is
                profile = overview.generic_profile(df)
                note = (f"{exc} The profile below covers the whole file as it is; profile one question as "
                        f"{found} with its question option.")
                generic = _verdict(profile)
                asked = str(exc).split(" answers ", 1)[-1].split(". Each table")[0]
                verdict = Verdict(
                    outcome="several_questions",
                    headline=(f"{'An' if str(found)[:1] in 'aeiou' else 'A'} {found} table of "
                              f"{fmt_count(profile.n_rows)} rows answering {asked.split(':')[0]}, profiled as it is."),
                    bullets=(f"It answers {asked}; each {found} table holds one question: profile or analyse one "
                             "with the question option.",
                             *[b for b in generic.bullets if "add or rename" not in b][:4]),
                    tone="warning")
                return OverviewReport(verdict=verdict, inputs=inputs, table=df, profile=profile, findings=(note,))
    profile = overview.profile_table(df, kind=kind or None)
    return OverviewReport(verdict=_verdict(profile), inputs=inputs, table=df, profile=profile)
