"""The length-bias report as one analysis: read, test, mitigate, re-test, decide.

``run`` is what the ``length_bias`` notebook and ``workbench bias`` both call, with the
defaults declared once here; the notebook shows the result, the CLI prints its
``summary()``.

Examples
--------
>>> import pandas as pd
>>> prefs = pd.DataFrame({"pair_id": [f"p{i}" for i in range(60)], "annotator_id": "r1",
...     "choice": ["a", "a", "b"] * 20,
...     "response_a": ["w " * (3 + i % 7) for i in range(60)], "response_b": ["w " * (1 + i % 3) for i in range(60)]})
>>> result = run(prefs)
>>> result.verdict.outcome, result.checks().ok
('length_bias', True)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import pandas as pd
import plotly.graph_objects as go

from workbench import bias, io
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import LENGTH_BIAS
from workbench.errors import WorkbenchError
from workbench.plots import bias as bias_plots
from workbench.plots import rate_ci_figure
from workbench.report_inputs import ReportInputs, resolve_inputs

__all__ = ["DEFAULTS", "LengthBiasReport", "run"]

Length = Literal["words", "chars", "tokens", "columns"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = LENGTH_BIAS


@dataclass(frozen=True)
class LengthBiasReport:
    """Everything the length-bias report shows, computed once (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    preferences: pd.DataFrame
    systems: bias.SystemPositions
    length: bias.LengthBiasResult
    position: bias.PositionBiasResult | None
    per_system: pd.DataFrame | None
    win_rate: bias.LengthControlledWinRate
    rebalanced: pd.DataFrame
    after: bias.LengthBiasResult | None
    group_column: str | None
    flagged_groups: tuple[str, ...]
    still_flagged: tuple[str, ...]
    findings: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    # ---- tables ---------------------------------------------------------------------------
    @property
    def data_line(self) -> str:
        """What was read: judgments, pairs, annotators and the choices."""
        p = self.preferences
        counts = ", ".join(f"{k} {fmt_count(v)}" for k, v in p["choice"].value_counts().items())
        return (f"{fmt_count(len(p))} judgments of {fmt_count(p['pair_id'].nunique())} pairs by "
                f"{fmt_count(p['annotator_id'].nunique())} annotator(s); choices: {counts}.")

    @property
    def groups(self) -> pd.DataFrame | None:
        """Per-group length bias, the strongest preference for longer responses first."""
        if self.length.groups is None:
            return None
        return self.length.groups.sort_values("p_longer_preferred", ascending=False).reset_index(drop=True)

    def group_note(self) -> str | None:
        """Why there are no per-group results, when there are none."""
        if self.length.groups is not None:
            return None
        by = self.parameters.get("by", "")
        return f"No per-group results ({by!r} is not a column, or it has one value only)."

    def position_note(self) -> str:
        """The position-bias sentence, or why position bias is not tested."""
        return self.position.summary() if self.position is not None else self.systems.note

    def position_table(self) -> pd.DataFrame | None:
        return None if self.position is None else self.position.to_frame()

    def after_groups(self) -> pd.DataFrame | None:
        """Per-group length bias after the mitigation."""
        return None if self.after is None else self.after.groups

    def before_after(self) -> pd.DataFrame | None:
        """Estimate and p-value of every length test before and after the mitigation."""
        if self.after is None:
            return None
        return (pd.concat({"before": self.length.to_frame().set_index("test"),
                           "after": self.after.to_frame().set_index("test")}, axis=1)
                .loc[:, (slice(None), ["estimate", "p_value"])])

    # ---- figures --------------------------------------------------------------------------
    def length_histogram(self) -> go.Figure:
        return bias_plots.length_difference_histogram(self.preferences, length=cast(Length, self.length.length))

    def win_rate_figure(self) -> go.Figure:
        return bias_plots.length_win_rate_plot(self.length)

    def group_figure(self) -> go.Figure | None:
        if self.length.groups is None:
            return None
        return bias_plots.group_bias_plot(self.length.groups, group=str(self.group_column),
                                          title=f"P(longer preferred) by {self.group_column}")

    def position_figure(self) -> go.Figure | None:
        if self.position is None or self.position.groups is None:
            return None
        return bias_plots.group_bias_plot(self.position.groups, group=str(self.group_column),
                                          estimate="p_first_preferred",
                                          title=f"P(first shown preferred) by {self.group_column}")

    def system_figure(self) -> go.Figure | None:
        if self.per_system is None:
            return None
        level = self.length.confidence
        return rate_ci_figure(self.per_system, group="system", estimate="win_rate", n="n", reference=0.5,
                              percent=True, title=f"Win rate per system ({level:.0%} CI)")

    def before_after_figure(self) -> go.Figure | None:
        return None if self.after is None else bias_plots.before_after_plot(self.length, self.after)

    # ---- words ----------------------------------------------------------------------------
    def win_rate_line(self) -> str:
        lc = self.win_rate
        soft = " — soft outcomes from the win probabilities" if self.systems.win_probability else ""
        return (f"{self.systems.candidate} against {self.systems.baseline}: raw win rate "
                f"{100 * lc.raw_win_rate:.2f} (standard error {100 * lc.raw_standard_error:.2f}), "
                f"length-controlled {100 * lc.win_rate:.2f} [{100 * lc.ci_low:.2f}, {100 * lc.ci_high:.2f}]{soft}.")

    def mitigation_line(self) -> str:
        kept = f"{fmt_count(len(self.rebalanced))} of {fmt_count(len(self.preferences))} judgments kept"
        if self.after is None:
            return f"Length-matched subsampling ({kept}) leaves nothing to re-test."
        a = self.after
        tail = "the length signal is gone." if not a.significant else "a length signal remains."
        still = f" Groups still significant: {', '.join(self.still_flagged)}." if self.still_flagged else ""
        return (f"After length-matched subsampling ({kept}): P(longer preferred) = {a.p_longer_preferred:.1%}, "
                f"p = {a.p_value:.2g}, paired t p = {a.t_p_value:.2g}; {tail}{still}")

    def summary(self) -> str:
        """The verdict, then each test's sentence (what ``workbench bias`` prints)."""
        parts = [self.verdict.summary(), "", self.data_line, self.length.summary()]
        if self.groups is not None:
            parts.append(self.groups.to_string(index=False))
        parts.append(self.systems.note)
        if self.position is not None:
            parts.append(self.position.summary())
        if self.per_system is not None:
            parts.append(self.per_system.round(4).to_string(index=False))
        parts += [self.win_rate_line(), self.mitigation_line(), *self.findings, self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """Invariants of the report: intervals hold their estimates, counts add up, the
        mitigation is a subset and removes the signal."""
        r, lc = self.length, self.win_rate
        ps = [r.p_value] + ([self.after.p_value] if self.after is not None else []) + (
            [self.position.p_value] if self.position is not None else [])
        accounted = r.n_compared + r.n_ties + r.n_equal_length + r.n_below_min_delta
        items = [
            check("estimate inside its interval", r.ci_low <= r.p_longer_preferred <= r.ci_high,
                  f"{r.ci_low:.4f} <= {r.p_longer_preferred:.4f} <= {r.ci_high:.4f}"),
            check("p-values in [0, 1]", all(0 <= p <= 1 for p in ps), f"{[round(p, 6) for p in ps]}"),
            check("every judgment accounted for", accounted == len(self.preferences),
                  f"{accounted} of {len(self.preferences)}"),
            check("win-rate bins cover the compared judgments", int(r.by_delta["n"].sum()) == r.n_compared,
                  f"{int(r.by_delta['n'].sum())} vs {r.n_compared}"),
            check("win rates are probabilities", 0 <= lc.win_rate <= 1 and 0 <= lc.raw_win_rate <= 1,
                  f"{lc.win_rate:.4f}, {lc.raw_win_rate:.4f}"),
            check("rebalanced rows are a subset",
                  bool(self.rebalanced.index.isin(self.preferences.index).all())
                  and len(self.rebalanced) <= len(self.preferences),
                  f"{len(self.rebalanced)} of {len(self.preferences)}"),
            check("no significant length bias after rebalancing", self.after is None or not self.after.significant,
                  "" if self.after is None else f"p = {self.after.p_value:.3g}"),
        ]
        if self.per_system is not None:
            items.append(check("per-system win rates are probabilities",
                               bool(self.per_system["win_rate"].between(0, 1).all())))
        return Checks.of(items)


def _verdict(r: bias.LengthBiasResult, position: bias.PositionBiasResult | None,
             systems: bias.SystemPositions, lc: bias.LengthControlledWinRate,
             after: bias.LengthBiasResult | None, flagged: tuple[str, ...], by: str | None,
             n_groups: int) -> Verdict:
    level = f"{r.confidence:.0%}"
    direction = "longer" if r.p_longer_preferred > 0.5 else "shorter"
    share = (f"the longer response wins {r.p_longer_preferred:.1%} of {fmt_count(r.n_compared)} judgments "
             f"({level} CI {r.ci_low:.1%}–{r.ci_high:.1%}, p = {r.p_value:.2g})")
    length_biased = r.significant
    position_biased = position is not None and position.significant
    if length_biased:
        outcome = "length_bias" if direction == "longer" else "shorter_bias"
        head = f"Length bias: {share}." if direction == "longer" else f"Bias towards shorter responses: {share}."
    else:
        outcome, head = "no_length_bias", f"No significant length bias: {share}."
    bullets = [f"Chosen minus rejected length: {r.mean_length_diff:+.2f} {r.length} "
               f"(paired t p = {r.t_p_value:.2g}, Wilcoxon p = {r.wilcoxon_p_value:.2g})."]
    if position is not None:
        bullets.append(f"Position: the first-shown response wins {position.p_first_preferred:.1%} "
                       f"({position.ci_low:.1%}–{position.ci_high:.1%}, p = {position.p_value:.2g})"
                       + ("; a significant position bias." if position_biased else "; no significant position bias."))
    else:
        bullets.append(f"Position: not tested, the positions hold systems ({systems.candidate} vs {systems.baseline}).")
    bullets.append(f"Win rate of {systems.candidate}: raw {lc.raw_win_rate:.1%}, length-controlled "
                   f"{lc.win_rate:.1%} ({lc.ci_low:.1%}–{lc.ci_high:.1%}).")
    if by is not None and n_groups > 1:
        bullets.append(f"{len(flagged)} of {n_groups} {by} groups prefer longer responses significantly"
                       + (f": {', '.join(flagged[:6])}{' …' if len(flagged) > 6 else ''}." if flagged else "."))
    tone: Tone
    if length_biased:
        fixed = after is not None and not after.significant
        bullets.append("Action: train on the length-matched subsample (workbench bias --rebalanced-out); "
                       + ("it removes the length signal." if fixed else "a length signal remains in it, re-check."))
        tone = "warning" if fixed else "bad"
    elif position_biased:
        outcome = "position_bias"
        bullets.append("Action: randomise or balance the display order; the first-shown response is favoured.")
        tone = "warning"
    else:
        bullets.append("Action: none needed for length or position.")
        tone = "good"
    return Verdict(outcome=outcome, headline=head, bullets=tuple(bullets[:5]), tone=tone)


def run(
    preferences: pd.DataFrame | str | os.PathLike[str] | None = None,
    *,
    preferences_path: str | os.PathLike[str] | None = None,
    format: str = DEFAULTS["format"],
    chosen_rejected: bool = DEFAULTS["chosen_rejected"],
    length: Length = DEFAULTS["length"],
    by: str = DEFAULTS["by"],
    delta_bins: int = DEFAULTS["delta_bins"],
    min_delta: float = DEFAULTS["min_delta"],
    confidence: float = DEFAULTS["confidence"],
    candidate: str = DEFAULTS["candidate"],
    baseline: str = DEFAULTS["baseline"],
    win_probability: str = DEFAULTS["win_probability"],
    rebalance_bins: int = DEFAULTS["rebalance_bins"],
    seed: int = DEFAULTS["seed"],
    options: dict[str, Any] = DEFAULTS["options"],
) -> LengthBiasReport:
    """Test a preferences table for length and position bias, mitigate, re-test and decide.

    Parameters
    ----------
    preferences, preferences_path
        The preferences table as a frame, or its file (any format :func:`workbench.io.load_table`
        reads; ``chosen_rejected=True`` for one row per pair with ``chosen``/``rejected``).
    length
        ``"words"``, ``"chars"``, ``"tokens"`` (regex ``\\w+|[^\\w\\s]``) or ``"columns"``.
    by
        Column for per-group results (``""`` or a column the table lacks: none).
    candidate, baseline, win_probability
        Which system is evaluated when the positions hold systems (see
        :func:`workbench.bias.system_positions`).
    rebalance_bins, seed
        Bins of |length difference| of the length-matched subsample, and its seed (also the
        seed of the a/b order of converted chosen/rejected pairs).
    options
        Reader options of the preferences file, e.g. ``{"question": "sentiment"}`` (one question of a
        multi-question export or table; such a file is refused without it, with the list of its
        questions).

    Returns
    -------
    LengthBiasReport
    """
    path = preferences_path if preferences_path is not None else (
        None if isinstance(preferences, pd.DataFrame) else preferences)
    inputs: ReportInputs | None = None
    if path is not None:
        inputs = resolve_inputs("length_bias", preferences_path=str(path))
        resolved = inputs.path("preferences_path")
        if resolved is None:
            raise WorkbenchError("length_bias: no preferences file given; pass preferences_path.")
        if chosen_rejected:
            prefs = io.from_chosen_rejected(io.load_table(resolved, options=options or None), rng=seed)
        else:
            from workbench.formats import resolve_format

            tool, _ = resolve_format(resolved, format, kind="preferences")  # type: ignore[arg-type]
            opts = {**({"rng": seed} if tool == "chosen-rejected" else {}), **options}
            prefs = io.load_table(resolved, kind="preferences", format=tool,  # type: ignore[arg-type]
                                  options=opts or None)
    elif isinstance(preferences, pd.DataFrame):
        prefs = io.from_chosen_rejected(preferences, rng=seed) if chosen_rejected else preferences
    else:
        raise WorkbenchError("length_bias: pass a preferences table or preferences_path.")
    systems = bias.system_positions(prefs, candidate=candidate, baseline=baseline,
                                    win_probability=win_probability or None)
    prefs = systems.orient(prefs)
    group_col = by if by and by in prefs.columns else None
    findings: list[str] = []
    if by and group_col is None:
        findings.append(f"Not in the table, so no per-group results: {by!r}.")
    result = bias.length_bias(prefs, length=length, min_delta=min_delta, by=group_col,
                              delta_bins=delta_bins, confidence=confidence)
    flagged: tuple[str, ...] = ()
    if result.groups is not None and group_col is not None:
        g = result.groups
        flagged = tuple(str(x) for x in g.loc[(g["p_value"] < 1 - confidence) & (g["p_longer_preferred"] > 0.5),
                                              group_col].tolist())
    position = bias.position_bias(prefs, by=group_col, confidence=confidence) if systems.test_position_bias else None
    per_system = None
    if systems.systems and systems.model_a in prefs.columns:
        per_system = bias.system_win_rates(prefs, model_a=systems.model_a, model_b=systems.model_b,
                                           win_probability=systems.win_probability, confidence=confidence)
    lcwr = bias.length_controlled_win_rate(prefs, length=length, confidence=confidence,  # type: ignore[arg-type]
                                           **systems.win_rate_options())  # type: ignore[arg-type]
    rebalanced = bias.rebalance_by_length(prefs, length=length, delta_bins=rebalance_bins, by=group_col, rng=seed)
    after = None
    try:
        after = bias.length_bias(rebalanced, length=length, min_delta=min_delta, by=group_col,
                                 delta_bins=delta_bins, confidence=confidence)
    except WorkbenchError as exc:  # nothing left to test: a finding, and the report goes on
        findings.append(f"The re-test is not possible on the rebalanced judgments: {exc}")
    still: tuple[str, ...] = ()
    if after is not None and after.groups is not None and group_col is not None:
        still = tuple(str(x) for x in after.groups.loc[after.groups["p_value"] < 1 - confidence, group_col])
    n_groups = 0 if result.groups is None else len(result.groups)
    verdict = _verdict(result, position, systems, lcwr, after, flagged, group_col, n_groups)
    params = {"length": length, "by": by, "delta_bins": delta_bins, "min_delta": min_delta,
              "confidence": confidence, "candidate": candidate, "baseline": baseline,
              "win_probability": win_probability, "rebalance_bins": rebalance_bins, "seed": seed}
    return LengthBiasReport(
        verdict=verdict, inputs=inputs, preferences=prefs, systems=systems, length=result, position=position,
        per_system=per_system, win_rate=lcwr, rebalanced=rebalanced, after=after, group_column=group_col,
        flagged_groups=flagged, still_flagged=still, findings=tuple(findings), parameters=params,
    )
