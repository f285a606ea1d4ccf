"""How many items to check, and the lot's verdict from the ones checked: one analysis.

``run`` makes the acceptance-sampling plan of :mod:`workbench.sampling` that the parameters
ask for (zero-failure, two-point, ISO 2859-1 or sequential) or reads one written by
``workbench acceptance plan --out plan.json``; with a reviewed sample (one row per reviewed
item, in review order, with a correct/incorrect column) it also judges the lot with the plan's
rule and states an exact lower bound on the lot's accuracy. ``workbench acceptance plan`` and
``workbench acceptance check`` print this result's ``summary()``.

Examples
--------
>>> r = run(lot_size=1_000_000, target=0.999, confidence=0.95)
>>> r.plan.n, r.verdict.outcome, r.checks().ok
(2990, 'plan', True)
>>> import pandas as pd
>>> reviewed = pd.DataFrame({"item_id": range(80), "correct": [True] * 79 + [False]})
>>> run(reviewed, method="iso2859", lot_size=1000, aql=1.0).verdict.headline
"accept: 80 sampled, 1 error ≤ c=2; the lot's accuracy is ≥ 94.40% at 95% confidence (80 reviewed, 1 error)."
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench import io, sampling
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import ACCEPTANCE_PLAN
from workbench.errors import WorkbenchError
from workbench.plots import acceptance as acceptance_plots
from workbench.report_inputs import ReportInputs, resolve_inputs

__all__ = ["DEFAULTS", "METHODS", "AcceptancePlanReport", "make_plan", "plan_json", "read_plan", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = ACCEPTANCE_PLAN
#: How a plan is made: see :func:`make_plan`.
METHODS: tuple[str, ...] = ("zero-failure", "two-point", "iso2859", "sequential")


def make_plan(
    method: str = DEFAULTS["method"],
    *,
    lot_size: int = DEFAULTS["lot_size"],
    target: float = DEFAULTS["target"],
    confidence: float = DEFAULTS["confidence"],
    aql: float = DEFAULTS["aql"],
    ltpd: float = DEFAULTS["ltpd"],
    producer_risk: float = DEFAULTS["producer_risk"],
    consumer_risk: float = DEFAULTS["consumer_risk"],
    kind: str = DEFAULTS["kind"],
    level: str = DEFAULTS["level"],
    inspection: str = DEFAULTS["inspection"],
) -> sampling.SingleSamplingPlan | sampling.SequentialPlan:
    """The plan of ``method`` (``lot_size=0``: an unbounded lot or a stream).

    ``"zero-failure"`` uses ``target`` and ``confidence``; ``"two-point"`` uses ``aql``, ``ltpd``
    (percent errors) and the two risks; ``"iso2859"`` uses ``aql``, ``level`` and ``inspection``;
    ``"sequential"`` tests ``aql`` against ``ltpd`` with alpha = producer's risk and beta =
    consumer's risk.
    """
    if method not in METHODS:
        raise WorkbenchError(f"method={method!r} is not a way to make a plan; pass one of "
                             + ", ".join(repr(m) for m in METHODS) + ".")
    if isinstance(lot_size, bool) or not isinstance(lot_size, (int, np.integer)) or lot_size < 0:
        raise WorkbenchError(f"lot_size={lot_size!r}: pass the number of items in the lot, or 0 for an unbounded "
                             "lot (a stream of items).")
    lot = int(lot_size) or None
    if method == "zero-failure":
        return sampling.zero_failure_plan(target, confidence, lot, kind=kind)  # type: ignore[arg-type]
    if method == "two-point":
        return sampling.sampling_plan(lot, aql=aql, ltpd=ltpd, producer_risk=producer_risk,
                                      consumer_risk=consumer_risk, kind=kind)  # type: ignore[arg-type]
    if method == "iso2859":
        if lot is None:
            raise WorkbenchError("method='iso2859' needs lot_size (ISO 2859-1 Table I picks the sample from it).")
        return sampling.iso2859_plan(lot, aql, level, inspection)  # type: ignore[arg-type]
    return sampling.sequential_plan(aql / 100.0, ltpd / 100.0, producer_risk, consumer_risk, lot_size=lot)


def read_plan(path: str | os.PathLike[str]) -> sampling.SingleSamplingPlan | sampling.SequentialPlan:
    """A plan from a JSON file written by ``workbench acceptance plan --out``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise WorkbenchError(f"no plan file at '{path}'; write one with `workbench acceptance plan ... --out "
                             f"{path}`.") from exc
    if len(text) > 1_000_000:
        raise WorkbenchError(f"'{path}' is {len(text):,} characters; a plan file is a small JSON object.")
    return sampling.plan_from_dict(text)


@dataclass(frozen=True)
class AcceptancePlanReport:
    """What the acceptance_plan report shows (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    plan: sampling.SingleSamplingPlan | sampling.SequentialPlan
    comparison: pd.DataFrame
    """The same question under every method: ``plan``, ``items``, ``c``, ``note``."""
    check: sampling.AcceptanceCheck | None = None
    reviewed: pd.DataFrame | None = None
    """The reviewed table with a boolean ``correct_item`` column (``None`` without one)."""
    item_column: str = "item_id"
    findings: tuple[str, ...] = ()

    # ---- sentences and tables --------------------------------------------------------------
    def plan_line(self) -> str:
        """The plan in one paragraph."""
        return self.plan.summary()

    def plan_table(self) -> pd.DataFrame:
        """The plan's parameters, one row each."""
        data = {k: v for k, v in self.plan.to_dict().items() if v is not None}
        if isinstance(self.plan, sampling.SequentialPlan):
            data.update(h0=self.plan.h0, h1=self.plan.h1, slope=self.plan.s, asn_at_p0=self.plan.asn_p0,
                        asn_at_p1=self.plan.asn_p1, earliest_accept=self.plan.min_accept_n)
        else:
            data.update(reject_at=self.plan.re, aoql_percent=100 * self.plan.aoql)
        shown = [f"{v:.6g}" if isinstance(v, float) else str(v) for v in data.values()]
        return pd.DataFrame({"parameter": list(data), "value": shown})

    def check_line(self) -> str:
        """The verdict on the reviewed sample, or how to get one."""
        if self.check is None:
            return ("No reviewed sample was given: review the plan's random sample (the review queue's "
                    "'acceptance-sample' strategy draws it), then pass the table as reviewed_path "
                    "(or run `workbench acceptance check REVIEWED.csv --plan plan.json`).")
        return self.check.summary()

    def errors_table(self) -> pd.DataFrame | None:
        """The reviewed items found wrong, in review order (``None`` when there are none)."""
        if self.reviewed is None:
            return None
        wrong = self.reviewed[~self.reviewed["correct_item"]]
        if not len(wrong):
            return None
        return wrong.drop(columns=["correct_item"]).head(50).reset_index(names="review_position")

    # ---- figures ----------------------------------------------------------------------------
    def oc_curve(self) -> pd.DataFrame:
        """The OC curve shown (cut where acceptance has become unlikely)."""
        plan = self.plan
        curve = plan.oc_curve()
        if isinstance(plan, sampling.SequentialPlan):
            low = curve.index[curve["accept_probability"] < 1e-3]
            end = max(3 * plan.p1, float(curve.loc[low[0], "p"]) if len(low) else 3 * plan.p1)
            curve = curve[curve["p"] <= min(end, 3 * plan.p1)]
        return curve.reset_index(drop=True)

    def oc_figure(self) -> go.Figure:
        """Probability of accepting the lot against its error rate, with the design points."""
        plan = self.plan
        marks: list[tuple[float, float, str]] = []
        if isinstance(plan, sampling.SequentialPlan):
            marks = [(100 * plan.p0, 1 - plan.alpha, f"p0 {100 * plan.p0:.3g}%: accept ≈{1 - plan.alpha:.0%}"),
                     (100 * plan.p1, plan.beta, f"p1 {100 * plan.p1:.3g}%: accept ≈{plan.beta:.0%}")]
            title = "Operating characteristic of the sequential test (Wald's approximation)"
        else:
            if plan.aql is not None:
                pa = float(plan.accept_probability(plan.aql / 100)[0])
                marks.append((plan.aql, pa, f"AQL {plan.aql:g}%: accept {pa:.1%}"))
            if plan.ltpd is not None:
                pa = float(plan.accept_probability(plan.ltpd / 100)[0])
                marks.append((plan.ltpd, pa, f"LTPD {plan.ltpd:g}%: accept {pa:.1%}"))
            if plan.target is not None:
                at = plan.target_error_rate or 0.0
                pa = float(plan.accept_probability(at)[0])
                marks.append((100 * at, pa, f"accuracy {plan.target:.4g}: accept {pa:.1%}"))
            title = f"Operating characteristic: n={plan.n:,}, accept with ≤ {plan.c} error(s)"
        return acceptance_plots.oc_figure(self.oc_curve(), title=title, marks=marks)

    def sequential_figure(self) -> go.Figure | None:
        """The sequential test's limits and the reviewer's path (sequential plans only)."""
        plan = self.plan
        if not isinstance(plan, sampling.SequentialPlan):
            return None
        path = None
        if self.reviewed is not None:
            path = np.cumsum(~self.reviewed["correct_item"].to_numpy(dtype=bool))
        end = int(max(1.5 * plan.asn_max, 2 * plan.min_accept_n, 0 if path is None else len(path)))
        m = np.arange(0, end + 1)
        accept = plan.accept_limit(m)
        return acceptance_plots.sequential_figure(m, np.where(accept >= 0, accept, np.nan), plan.reject_limit(m),
                                                  path=path, title="Sequential test: accept and reject limits")

    # ---- text -------------------------------------------------------------------------------
    def summary(self) -> str:
        """The verdict, the plan, the comparison and (with a review) the check."""
        parts = [self.verdict.summary(), "", self.plan_line(), self.comparison.to_string(index=False)]
        if self.check is not None:
            parts.append(self.check.summary())
        parts += [*self.findings, self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """The OC curve is a probability falling with the error rate; the plan fits the lot and
        meets its design; a check counts every reviewed item once."""
        plan = self.plan
        curve = self.oc_curve()
        pa = curve["accept_probability"].to_numpy(dtype=float)
        items = [
            check("acceptance probabilities lie in [0, 1]", bool(((pa >= -1e-12) & (pa <= 1 + 1e-12)).all()),
                  f"{pa.min():.4f} .. {pa.max():.4f}"),
            check("the OC curve falls as the error rate grows", bool((np.diff(pa) <= 1e-9).all()),
                  f"{len(pa)} points"),
        ]
        if isinstance(plan, sampling.SingleSamplingPlan):
            items.append(check("the sample fits the lot", plan.lot_size is None or plan.n <= plan.lot_size,
                               f"n={plan.n}, lot {plan.lot_size}"))
            if plan.method == "two-point" and not plan.full_inspection and plan.aql and plan.ltpd:
                alpha, beta = plan.risks(plan.aql, plan.ltpd)
                # hypergeometric lots are judged at the error counts they can hold
                items.append(check("the plan meets both risks", alpha <= plan.producer_risk + 0.02  # type: ignore[operator]
                                   and beta <= plan.consumer_risk + 0.02, f"alpha {alpha:.4f}, beta {beta:.4f}"))  # type: ignore[operator]
            if plan.method == "zero-failure" and not plan.full_inspection and plan.target and plan.confidence:
                at = float(plan.accept_probability(plan.target_error_rate or 0.0)[0])
                items.append(check("a lot at the target passes with at most 1 - confidence", at <= 1 - plan.confidence + 1e-3,
                                   f"{at:.4f} vs {1 - plan.confidence:.4f}"))
        if self.check is not None:
            c = self.check
            items.append(check("errors are among the reviewed items", 0 <= c.n_errors <= c.n_reviewed,
                               f"{c.n_errors} of {c.n_reviewed}"))
            items.append(check("the accuracy bound is a proportion", 0.0 <= c.accuracy_lower <= 1.0,
                               f"{c.accuracy_lower:.5f}"))
            if isinstance(plan, sampling.SingleSamplingPlan) and c.decision == "accept":
                items.append(check("an accepted lot kept below the rejection number", c.errors_used < plan.re,
                                   f"{c.errors_used} < Re={plan.re}"))
        return Checks.of(items)


def _comparison(lot: int | None, params: dict[str, Any]) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []

    def add(name: str, build: Any) -> None:
        try:
            plan = build()
        except WorkbenchError as exc:
            rows.append({"plan": name, "items": None, "c": None, "note": str(exc)})
            return
        if isinstance(plan, sampling.SequentialPlan):
            rows.append({"plan": name, "items": round(plan.asn_p0), "c": None,
                         "note": f"average at the AQL; {round(plan.asn_p1):,} at the LTPD, "
                                 f"{round(plan.asn_max):,} at worst"})
        else:
            note = "100% inspection" if plan.full_inspection else f"reject at {plan.re}"
            if plan.code_letter:
                note += f"; code letter {plan.code_letter}"
            rows.append({"plan": name, "items": plan.n, "c": plan.c, "note": note})

    t, conf = params["target"], params["confidence"]
    add(f"zero-failure, accuracy ≥ {t:g} at {conf:g} (binomial)",
        lambda: sampling.zero_failure_plan(t, conf, lot, kind="binomial"))
    if lot is not None:
        add(f"zero-failure, accuracy ≥ {t:g} at {conf:g} (hypergeometric, lot {lot:,})",
            lambda: sampling.zero_failure_plan(t, conf, lot, kind="hypergeometric"))
    two = {k: params[k] for k in ("aql", "ltpd", "producer_risk", "consumer_risk")}
    add(f"two-point, AQL {two['aql']:g}% / LTPD {two['ltpd']:g}% ({params['kind']})",
        lambda: sampling.sampling_plan(lot, kind=params["kind"], **two))
    if lot is not None:
        add(f"ISO 2859-1 level {params['level']}, {params['inspection']}, AQL {params['aql']:g}%",
            lambda: sampling.iso2859_plan(lot, params["aql"], params["level"], params["inspection"]))
    add(f"sequential, {params['aql']:g}% vs {params['ltpd']:g}%",
        lambda: sampling.sequential_plan(params["aql"] / 100, params["ltpd"] / 100, params["producer_risk"],
                                         params["consumer_risk"], lot_size=lot))
    return pd.DataFrame(rows, columns=["plan", "items", "c", "note"])


def _plan_verdict(plan: sampling.SingleSamplingPlan | sampling.SequentialPlan) -> Verdict:
    if isinstance(plan, sampling.SequentialPlan):
        head = (f"Review items in random order until the sequential test decides: about {plan.asn_p0:,.0f} items "
                f"when the error rate is {100 * plan.p0:.3g}%, {plan.asn_p1:,.0f} when it is {100 * plan.p1:.3g}%.")
        bullets = [plan.describe() + ".",
                   f"The lot cannot be accepted before {fmt_count(plan.min_accept_n)} items (all correct)."]
    else:
        lot = "the lot" if plan.lot_size is None else f"{fmt_count(plan.lot_size)}"
        if plan.full_inspection:
            head = f"Review all {lot} items: no sample smaller than the lot gives this plan's protection."
        else:
            rule = ("accept the lot only if none of them is wrong" if plan.c == 0 else
                    f"accept the lot with at most {plan.c} error{'s' if plan.c != 1 else ''}")
            if plan.has_gap:
                rule += (f"; with {plan.c + 1}–{plan.re - 1} errors accept it too, but return to normal inspection "
                         f"for the next lot; reject at {plan.re}")
            head = f"Review {fmt_count(plan.n)} of {lot} items, drawn at random; {rule}."
        bullets = [plan.describe()[0].upper() + plan.describe()[1:] + "."]
        if plan.aql is not None and plan.ltpd is not None:
            alpha, beta = plan.risks(plan.aql, plan.ltpd)
            bullets.append(f"Risks: a lot at {plan.aql:g}% errors is rejected with probability {alpha:.3f}; one at "
                           f"{plan.ltpd:g}% is accepted with probability {beta:.3f}.")
        if plan.target is not None and plan.confidence is not None:
            bullets.append(f"No error in the sample shows accuracy ≥ {plan.target:.4g} at {plan.confidence:.0%} "
                           "confidence; a single error fails the lot (or calls for a larger plan).")
        bullets.append(f"Average outgoing quality limit {100 * plan.aoql:.3g}% errors, if rejected lots are "
                       "reviewed whole and corrected.")
    bullets.append("Then judge the lot: workbench acceptance check REVIEWED.csv --plan plan.json.")
    return Verdict("plan", head, tuple(bullets[:5]), "neutral")


def _check_verdict(result: sampling.AcceptanceCheck) -> Verdict:
    tone: Tone = {"accept": "good", "reject": "bad"}.get(result.decision, "warning")  # type: ignore[assignment]
    plan = result.plan
    bullets = [plan.describe()[0].upper() + plan.describe()[1:] + "."]
    if result.decision == "continue":
        left = "" if isinstance(plan, sampling.SequentialPlan) else f" ({fmt_count(plan.n - result.n_reviewed)} to go)"
        bullets.append(f"Not decided yet: review more of the plan's random sample{left}.")
    elif result.decision == "reject":
        bullets.append("Reject the lot: review it whole (or send it back) and fix the errors; the errors found are listed "
                       "below.")
    else:
        bullets.append("Accept the lot: its errors stay within the plan's acceptance number.")
    bullets.append(f"{fmt_count(result.n_errors)} error(s) in {fmt_count(result.n_reviewed)} reviewed items; the lot's "
                   f"accuracy is at least {100 * result.accuracy_lower:.2f}% at {result.confidence:.0%} confidence "
                   "(exact bound).")
    return Verdict(result.decision, result.summary(), tuple(bullets), tone)


def run(
    reviewed: pd.DataFrame | str | os.PathLike[str] = "",
    plan_path: str | os.PathLike[str] = "",
    *,
    method: str = DEFAULTS["method"],
    lot_size: int = DEFAULTS["lot_size"],
    target: float = DEFAULTS["target"],
    confidence: float = DEFAULTS["confidence"],
    aql: float = DEFAULTS["aql"],
    ltpd: float = DEFAULTS["ltpd"],
    producer_risk: float = DEFAULTS["producer_risk"],
    consumer_risk: float = DEFAULTS["consumer_risk"],
    kind: str = DEFAULTS["kind"],
    level: str = DEFAULTS["level"],
    inspection: str = DEFAULTS["inspection"],
    item_column: str = DEFAULTS["item_column"],
    correct_column: str = DEFAULTS["correct_column"],
    correct_values: list[str] = DEFAULTS["correct_values"],
    format: str = DEFAULTS["format"],
    options: dict[str, Any] = DEFAULTS["options"],
) -> AcceptancePlanReport:
    """The acceptance-sampling plan and, with a reviewed sample, the lot's verdict.

    Parameters
    ----------
    reviewed
        The reviewed sample (a frame or a file; ``""`` for none): one row per reviewed item in
        review order, with ``item_column`` and ``correct_column``.
    plan_path
        A plan JSON from ``workbench acceptance plan --out`` (``""``: make the plan from the
        parameters below).
    method
        ``"zero-failure"``, ``"two-point"``, ``"iso2859"`` or ``"sequential"`` (:func:`make_plan`).
    lot_size
        Items in the lot; ``0`` for an unbounded lot (a stream).
    target, confidence
        Accuracy to show and its confidence (zero-failure plans; also the comparison).
    aql, ltpd
        Acceptable and rejectable quality in **percent** errors.
    producer_risk, consumer_risk
        Largest chance of rejecting a lot at the AQL, and of accepting one at the LTPD.
    kind
        ``"hypergeometric"`` (this finite lot) or ``"binomial"`` (a stream).
    level, inspection
        ISO 2859-1 inspection level (``I``, ``II``, ``III``, ``S-1`` … ``S-4``) and ``normal`` or
        ``tightened``.
    item_column, correct_column, correct_values
        The reviewed table's id and outcome columns; values of the outcome that count as correct
        (empty: true/false, 1/0, yes/no, correct/incorrect).
    format, options
        How to read the reviewed file (:func:`workbench.io.load_table`).
    """
    params: dict[str, Any] = dict(target=target, confidence=confidence, aql=aql, ltpd=ltpd, producer_risk=producer_risk,
                  consumer_risk=consumer_risk, kind=kind, level=level, inspection=inspection)
    inputs: ReportInputs | None = None
    frame: pd.DataFrame | None = None
    if isinstance(reviewed, pd.DataFrame):
        frame = reviewed
        if str(plan_path):
            inputs = resolve_inputs("acceptance_plan", plan_path=str(plan_path))
    elif str(reviewed) or str(plan_path):
        inputs = resolve_inputs("acceptance_plan", reviewed_path=str(reviewed), plan_path=str(plan_path))
        path = inputs.path("reviewed_path")
        if path is not None:
            frame = io.load_table(path, format=format, options=options or None)  # type: ignore[arg-type]
    findings: list[str] = []
    if str(plan_path):
        plan = read_plan(plan_path)
        findings.append(f"The plan was read from {Path(plan_path).name}; the plan parameters of this run are not used.")
    else:
        plan = make_plan(method, lot_size=lot_size, **params)
    lot = plan.lot_size
    comparison = _comparison(lot, params)
    if frame is None:
        verdict = _plan_verdict(plan)
        return AcceptancePlanReport(verdict, inputs, plan, comparison, item_column=item_column, findings=tuple(findings))
    outcomes = sampling.reviewed_outcomes(frame, item=item_column, correct=correct_column,
                                          correct_values=tuple(correct_values))
    result = sampling.check_sample(plan, outcomes)
    shown = frame.reset_index(drop=True).assign(correct_item=outcomes)
    shown.index = shown.index + 1
    return AcceptancePlanReport(_check_verdict(result), inputs, plan, comparison, result, shown, item_column,
                                tuple(findings))


def plan_json(plan: sampling.SingleSamplingPlan | sampling.SequentialPlan) -> str:
    """The plan as the JSON text ``workbench acceptance plan --out`` writes."""
    return json.dumps(plan.to_dict(), indent=2, sort_keys=True) + "\n"
