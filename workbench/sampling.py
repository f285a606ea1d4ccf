"""How many items to check: acceptance sampling plans and sequential QA for large batches.

A batch of labels (a *lot*) is far too large to review whole; a plan says how many items
to draw at random and how many errors the sample may hold before the lot is rejected,
and what that rule risks:

* :func:`zero_failure_sample_size` / :func:`zero_failure_plan` — the smallest sample that,
  with no error in it, shows accuracy ≥ ``target`` at ``confidence`` (binomial closed form
  for an unbounded lot, hypergeometric for a finite one);
* :func:`sampling_plan` — the smallest single-sampling plan ``(n, c)`` that accepts a lot at
  the AQL with probability ≥ 1 − producer's risk and a lot at the LTPD with probability ≤
  consumer's risk;
* :func:`iso2859_plan` — the plan of ISO 2859-1 / ANSI/ASQ Z1.4 (MIL-STD-105E): code letter
  from Table I, plan from master Table II-A (normal), II-B (tightened) or II-C (reduced);
* :func:`sequential_plan` — Wald's sequential probability ratio test; :class:`SequentialCheck`
  says *continue*, *accept* or *reject* after every reviewed item;
* :class:`InspectionSwitcher` — the switching rules: which inspection (normal, tightened,
  reduced, or none) applies to the next lot of a stream.

:func:`check_sample` judges a reviewed sample against a plan and states the lot's accuracy as
an exact lower bound (Clopper–Pearson, or hypergeometric for a finite lot). Every plan is a
frozen dataclass with ``to_dict()`` / ``from_dict()`` (JSON) and ``summary()``.

Quality levels: ``aql`` and ``ltpd`` are **percent** nonconforming (``1.0`` = 1 % of the items
wrong), as in ISO 2859 and the Dodge–Romig tables; ``p0``/``p1`` of the sequential test and
``target`` (an accuracy) are proportions.

Examples
--------
>>> zero_failure_sample_size(0.999, 0.95)
2995
>>> zero_failure_sample_size(0.999, 0.95, lot_size=1_000_000)
2990
>>> p = iso2859_plan(1000, 1.0)
>>> p.code_letter, p.n, p.c, p.re
('J', 80, 2, 3)
>>> sampling_plan(None, aql=1.0, ltpd=5.0, kind="binomial").n
132
>>> check = SequentialCheck(sequential_plan(0.01, 0.05, 0.05, 0.10))
>>> [check.update(True) for _ in range(3)][-1]
'continue'
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench._internal.stats import check_confidence
from workbench._validation import check_choice, format_rows, require_columns, require_frame
from workbench.errors import WorkbenchError

__all__ = [
    "ISO_AQLS",
    "ISO_LEVELS",
    "AcceptanceCheck",
    "InspectionSwitcher",
    "SequentialCheck",
    "SequentialPlan",
    "SingleSamplingPlan",
    "accuracy_lower_bound",
    "check_sample",
    "iso2859_code_letter",
    "iso2859_plan",
    "plan_from_dict",
    "reviewed_outcomes",
    "sampling_plan",
    "sequential_path",
    "sequential_plan",
    "zero_failure_plan",
    "zero_failure_sample_size",
]

Kind = Literal["hypergeometric", "binomial"]
Decision = Literal["continue", "accept", "reject"]
_KINDS = ("hypergeometric", "binomial")

# ---- ISO 2859-1 / ANSI/ASQ Z1.4 / MIL-STD-105E ---------------------------------------------------
#: Table I, sample size code letters: upper end of each lot-size range and the letter of each
#: inspection level. Verified against the combined ANSI/ASQC Z1.4 / MIL-STD-105E / ISO 2859
#: chart "Table I. Sample Size Code Letters" (pdfcoffee.com/aql-sampling-chart-pdf-free.html)
#: and the level II column of nibs.org/FMOC/DPW_AC/AC-TABLE.ASC (built from MIL-STD-105E).
_LOT_UPPER = (8, 15, 25, 50, 90, 150, 280, 500, 1200, 3200, 10000, 35000, 150000, 500000, None)
ISO_LEVELS: tuple[str, ...] = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
_TABLE_I: dict[str, str] = {  # one letter per lot-size range, per level
    "S-1": "AAAABBBBCCCCDDD",
    "S-2": "AAABBBCCCDDDEEE",
    "S-3": "AABBCCDDEEFFGGH",
    "S-4": "AABCCDEEFGGHJJK",
    "I": "AABCCDEFGHJKLMN",
    "II": "ABCDEFGHJKLMNPQ",
    "III": "BCDEFGHJKLMNPQR",
}
_LETTERS = "ABCDEFGHJKLMNPQR"
#: sample size of each code letter (Tables II-A and II-B)
_SIZES = (2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800, 1250, 2000)
#: the AQL columns of the master tables (percent nonconforming up to 10; the standard's columns
#: 15 … 1000 are nonconformities per 100 units and are not supported here)
ISO_AQLS: tuple[float, ...] = (0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5,
                               2.5, 4.0, 6.5, 10.0)
# Each master table is a set of diagonals: the cell of letter i and AQL column j depends on d = i + j - offset.
# A value is (Ac, Re); "down" / "up" are the arrows ("use the first sampling plan below / above the arrow").
_NORMAL: dict[int, tuple[int, int] | str] = {0: (0, 1), 1: "up", 2: "down", 3: (1, 2), 4: (2, 3), 5: (3, 4),
                                             6: (5, 6), 7: (7, 8), 8: (10, 11), 9: (14, 15), 10: (21, 22)}
_TIGHTENED: dict[int, tuple[int, int] | str] = {0: (0, 1), 1: "down", 2: "down", 3: (1, 2), 4: (2, 3), 5: (3, 4),
                                                6: (5, 6), 7: (8, 9), 8: (12, 13), 9: (18, 19)}
#: MIL-STD-105E (10 May 1989) Table II-C, single sampling plans for reduced inspection (master table),
#: the percent-nonconforming columns 0.010–10. Sample sizes by letter (A, B and C share n = 2) and the
#: diagonals, with the gap between Ac and Re that reduced inspection has: a lot with Ac < d < Re is
#: accepted but normal inspection is reinstated (MIL-STD-105E; ANSI/ASQC Z1.4 10.1.4). Transcribed from
#: the standard's layout and checked cell by cell (all 256 letter × AQL cells, arrows followed) against
#: the resolved reduced-inspection matrices of the R package AQLSchemes 1.7-2 (J. Lawson, CRAN; source
#: as kept in github.com/fjgonzalezmgt/AQLSchemesCust, R/AAZ14Single.R), which differ only on the two
#: cells whose arrow leads off the table (refused here, as for Table II-A). ISO 2859-1:1999 Table 2-C
#: is a different table (no gap) and is not implemented.
_REDUCED_SIZES = (2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800)
_REDUCED: dict[int, tuple[int, int] | str] = {0: (0, 1), 1: "up", 2: "down", 3: (0, 2), 4: (1, 3), 5: (1, 4),
                                              6: (2, 5), 7: (3, 6), 8: (5, 8), 9: (7, 10), 10: (10, 13)}
# cells, offset, last diagonal, sample sizes, table number
_TABLES: dict[str, tuple[dict[int, tuple[int, int] | str], int, int, tuple[int, ...], str]] = {
    "normal": (_NORMAL, 14, 10, _SIZES, "II-A"),
    "tightened": (_TIGHTENED, 15, 9, _SIZES, "II-B"),
    "reduced": (_REDUCED, 14, 10, _REDUCED_SIZES, "II-C"),
}


def _kind(kind: object) -> Kind:
    check_choice(kind, name="kind", choices=_KINDS)
    return kind  # type: ignore[return-value]


def _lot(lot_size: object, *, required: bool = False) -> int | None:
    if lot_size is None:
        if required:
            raise WorkbenchError("lot_size is required here; pass the number of items in the lot, e.g. lot_size=1_000_000.")
        return None
    ok = isinstance(lot_size, (int, np.integer)) and not isinstance(lot_size, bool)
    if not ok or int(lot_size) < 1:  # type: ignore[call-overload]
        raise WorkbenchError(
            f"lot_size={lot_size!r} is not valid; pass the number of items in the lot (a whole number ≥ 1), "
            "or None for an unbounded lot (a stream)."
        )
    return int(lot_size)  # type: ignore[call-overload]


def _proportion(value: object, *, name: str, example: str) -> float:
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not number or not 0.0 < float(value) < 1.0:  # type: ignore[arg-type]
        raise WorkbenchError(f"{name}={value!r} is not valid; pass a proportion strictly between 0 and 1, e.g. {example}.")
    return float(value)  # type: ignore[arg-type]


def _percent(value: object, *, name: str, example: str) -> float:
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not number or not 0.0 < float(value) < 100.0:  # type: ignore[arg-type]
        raise WorkbenchError(
            f"{name}={value!r} is not valid; pass percent nonconforming strictly between 0 and 100, "
            f"e.g. {example} (= {example} % of the items wrong)."
        )
    return float(value)  # type: ignore[arg-type]


def _pct(p: float) -> str:
    """A proportion as a percent with the digits it needs: 0.001 -> '0.1%', 0.0125 -> '1.25%'."""
    return f"{100 * p:.4g}%"


def _floor_pct(p: float) -> str:
    """A lower bound as a percent, rounded down (so the statement stays true): 0.99734 -> '99.73%'."""
    return f"{math.floor(p * 10000 + 1e-9) / 100:.2f}%"


# ---- distributions -------------------------------------------------------------------------------
def _accept_probability(p: np.ndarray, n: int, c: int, lot_size: int | None, kind: Kind) -> np.ndarray:
    """P(at most ``c`` errors in ``n``) at lot error rates ``p`` (hypergeometric: ``round(p N)`` errors)."""
    p = np.asarray(p, dtype=float)
    if kind == "hypergeometric" and lot_size is not None:
        defects = np.rint(p * lot_size).astype(np.int64)
        return np.asarray(stats.hypergeom.cdf(c, lot_size, defects, min(n, lot_size)), dtype=float)
    return np.asarray(stats.binom.cdf(c, n, p), dtype=float)


# ---- plans ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SingleSamplingPlan:
    """Draw ``n`` items at random; accept the lot with at most ``c`` errors, reject with ``re``.

    Attributes
    ----------
    n, c
        Sample size and acceptance number.
    lot_size
        Items in the lot (``None``: an unbounded lot or a stream).
    kind
        ``"hypergeometric"`` (the OC curve of one finite lot) or ``"binomial"``.
    method
        ``"zero-failure"``, ``"two-point"`` (:func:`sampling_plan`), ``"iso2859"`` or ``"given"``.
    full_inspection
        The plan's sample would be the whole lot (ISO 2859: "if the sample size equals or
        exceeds the lot size, carry out 100 % inspection"); ``n`` is then the lot size.
    target, confidence, aql, ltpd, producer_risk, consumer_risk, code_letter, level, inspection
        What the plan was made from (``None`` where it does not apply). ``aql``/``ltpd`` in percent.
    """

    n: int
    c: int
    lot_size: int | None = None
    kind: Kind = "binomial"
    method: str = "given"
    full_inspection: bool = False
    target: float | None = None
    confidence: float | None = None
    aql: float | None = None
    ltpd: float | None = None
    producer_risk: float | None = None
    consumer_risk: float | None = None
    code_letter: str | None = None
    level: str | None = None
    inspection: str | None = None
    rejection_number: int | None = None
    """``Re`` when it is above ``c + 1`` (the reduced-inspection plans of MIL-STD-105E Table II-C):
    a lot with ``c < errors < Re`` is accepted, but normal inspection is reinstated for the next
    lot. ``None``: ``Re = c + 1``."""
    type: ClassVar[str] = "single"

    def __post_init__(self) -> None:
        _kind(self.kind)
        lot = _lot(self.lot_size)
        for name in ("n", "c"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < (1 if name == "n" else 0):
                raise WorkbenchError(f"sampling plan: {name}={v!r} must be a whole number ≥ {1 if name == 'n' else 0}.")
        if self.c >= self.n:
            raise WorkbenchError(f"sampling plan: c={self.c} must be below n={self.n} (c errors allowed in n items).")
        if lot is not None and self.n > lot:
            raise WorkbenchError(f"sampling plan: n={self.n} exceeds lot_size={lot}; inspect the whole lot instead.")
        re = self.rejection_number
        if re is not None and (not isinstance(re, (int, np.integer)) or isinstance(re, bool)
                               or not self.c + 1 <= re <= self.n):
            raise WorkbenchError(f"sampling plan: rejection_number={re!r} must be a whole number from c + 1 = "
                                 f"{self.c + 1} to n = {self.n} (leave it out for Re = c + 1).")

    @property
    def re(self) -> int:
        """The rejection number ``Re``: ``c + 1`` unless the plan has a gap (``rejection_number``)."""
        return self.c + 1 if self.rejection_number is None else int(self.rejection_number)

    @property
    def has_gap(self) -> bool:
        """``Re > c + 1``: a lot with ``c < errors < Re`` is accepted, and normal inspection is
        reinstated for the next lot (MIL-STD-105E reduced inspection)."""
        return self.re > self.c + 1

    @property
    def default_confidence(self) -> float:
        """The confidence a verdict's accuracy bound is stated at: the plan's own (zero-failure),
        1 − consumer's risk (two-point), else 0.95."""
        if self.confidence is not None:
            return self.confidence
        if self.consumer_risk is not None:
            return 1.0 - self.consumer_risk
        return 0.95

    @property
    def target_error_rate(self) -> float | None:
        """The error rate of a lot exactly at ``target`` accuracy: ``1 - target``, or for a finite
        hypergeometric lot ``ceil(N (1 - target)) / N`` (the errors such a lot holds)."""
        if self.target is None:
            return None
        if self.kind == "hypergeometric" and self.lot_size is not None:
            return max(1, math.ceil(self.lot_size * (1.0 - self.target) - 1e-9)) / self.lot_size
        return 1.0 - self.target

    def accept_probability(self, p: float | Sequence[float] | np.ndarray) -> np.ndarray:
        """The operating characteristic: probability of accepting a lot whose error rate is ``p``
        (a proportion; hypergeometric lots hold ``round(p · lot_size)`` errors): ``P(errors < Re)``,
        which is ``P(errors ≤ c)`` unless the plan has a gap (:attr:`has_gap`)."""
        return _accept_probability(np.atleast_1d(np.asarray(p, dtype=float)), self.n, self.re - 1, self.lot_size,
                                   self.kind)

    def _p_max(self) -> float:
        """An error rate where acceptance has become unlikely (< 0.1 %): the right end of curves."""
        hi = min(1.0, max(self.re * 8.0 / self.n, 0.01))
        grid = np.linspace(0.0, hi, 400)
        pa = self.accept_probability(grid)
        past = np.flatnonzero(pa < 1e-3)
        return float(grid[past[0]]) if len(past) else hi

    def oc_curve(self, p: Sequence[float] | np.ndarray | None = None, *, points: int = 201) -> pd.DataFrame:
        """The OC curve as a table: ``p`` (lot error rate), ``error_percent``, ``accept_probability``,
        ``aoq`` (average outgoing quality with rejected lots screened) and ``ati`` (average total
        inspection, items per lot; ``NaN`` for an unbounded lot)."""
        grid = np.linspace(0.0, self._p_max(), points) if p is None else np.asarray(p, dtype=float)
        pa = self.accept_probability(grid)
        share_left = 1.0 if self.lot_size is None else (self.lot_size - self.n) / self.lot_size
        ati = np.full(len(grid), np.nan) if self.lot_size is None else self.n + (1 - pa) * (self.lot_size - self.n)
        return pd.DataFrame({"p": grid, "error_percent": 100 * grid, "accept_probability": pa,
                             "aoq": pa * grid * share_left, "ati": ati})

    @property
    def aoql(self) -> float:
        """Average outgoing quality limit: the worst long-run error rate after rectifying
        inspection (rejected lots screened and corrected), the peak of ``aoq``; 0 for 100 % inspection."""
        if self.full_inspection or (self.lot_size is not None and self.n >= self.lot_size):
            return 0.0
        curve = self.oc_curve(points=2001)
        at = int(curve["aoq"].to_numpy().argmax())
        lo, hi = curve["p"].iloc[max(at - 1, 0)], curve["p"].iloc[min(at + 1, len(curve) - 1)]
        fine = self.oc_curve(np.linspace(lo, hi, 201))
        return float(max(fine["aoq"].max(), curve["aoq"].max()))

    def risks(self, aql: float, ltpd: float) -> tuple[float, float]:
        """(producer's risk at ``aql``, consumer's risk at ``ltpd``), both in percent nonconforming."""
        pa = self.accept_probability([aql / 100.0, ltpd / 100.0])
        return float(1.0 - pa[0]), float(pa[1])

    def describe(self) -> str:
        """The plan in one line: ``"n=80, c=2 (reject at 3)"`` and what it came from."""
        if self.method == "zero-failure":
            what = f"zero-failure plan for accuracy ≥ {_pct(self.target or 0)} at {_pct(self.confidence or 0)} confidence"
        elif self.method == "two-point":
            what = (f"two-point plan: AQL {self.aql:g}% accepted with ≥ {_pct(1 - (self.producer_risk or 0))}, "
                    f"LTPD {self.ltpd:g}% accepted with ≤ {_pct(self.consumer_risk or 0)}")
        elif self.method == "iso2859":
            std = "MIL-STD-105E Table II-C / ANSI Z1.4" if self.inspection == "reduced" else "ISO 2859-1 / ANSI Z1.4"
            what = (f"{std} code letter {self.code_letter}, level {self.level}, "
                    f"{self.inspection} inspection, AQL {self.aql:g}%")
        else:
            what = "a given plan"
        lot = "an unbounded lot" if self.lot_size is None else f"a lot of {self.lot_size:,}"
        full = " — 100% inspection (the plan's sample would be the whole lot)" if self.full_inspection else ""
        gap = (f"; {self.c + 1}–{self.re - 1} errors: accept, and return to normal inspection for the next lot"
               if self.has_gap else "")
        return (f"review n={self.n:,} of {lot}, accept with ≤ {self.c} error(s), reject at {self.re}{gap} "
                f"({what}){full}")

    def summary(self) -> str:
        """The plan, its OC points and its AOQL in one paragraph."""
        parts = [self.describe()[0].upper() + self.describe()[1:] + "."]
        if self.aql is not None and self.ltpd is not None:
            alpha, beta = self.risks(self.aql, self.ltpd)
            parts.append(f"A lot at the AQL ({self.aql:g}%) is rejected with probability {alpha:.3f}; a lot at the "
                         f"LTPD ({self.ltpd:g}%) is accepted with probability {beta:.3f}.")
        elif self.aql is not None:
            alpha = 1.0 - float(self.accept_probability(self.aql / 100.0)[0])
            parts.append(f"A lot at the AQL ({self.aql:g}%) is rejected with probability {alpha:.3f}.")
        if self.target is not None:
            pa = float(self.accept_probability(self.target_error_rate or 0.0)[0])
            parts.append(f"A lot exactly at accuracy {_pct(self.target)} passes with probability {pa:.3f}.")
        parts.append(f"Average outgoing quality limit {_pct(self.aoql)} errors ({self.kind} model).")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data (``type`` says which plan class reads it back)."""
        return {"type": self.type, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SingleSamplingPlan:
        """A plan from :meth:`to_dict`'s data (e.g. a ``plan.json`` written by ``workbench acceptance plan``)."""
        return cls(**_fields_of(cls, data))


@dataclass(frozen=True)
class SequentialPlan:
    """Wald's sequential probability ratio test of a lot's error rate ``p0`` against ``p1``.

    After ``m`` reviewed items holding ``d`` errors: accept when ``d ≤ -h0 + s·m``, reject when
    ``d ≥ h1 + s·m``, otherwise review one more.

    Notes
    -----
    With ``g1 = ln(p1/p0)``, ``g2 = ln((1-p0)/(1-p1))`` and ``G = g1 + g2``:
    ``h0 = ln((1-α)/β) / G``, ``h1 = ln((1-β)/α) / G``, ``s = g2 / G``. The average sample
    number at ``p`` is ``[L(p)·ln B + (1 - L(p))·ln A] / (p·g1 - (1-p)·g2)`` with
    ``A = (1-β)/α``, ``B = β/(1-α)`` and ``L(p0) = 1 - α``, ``L(p1) = β``; at ``p = s`` it is
    ``h0·h1 / (s(1-s))``.

    References
    ----------
    Wald, A. (1945). Sequential tests of statistical hypotheses. *Ann. Math. Statist.* 16(2),
    117–186. doi:10.1214/aoms/1177731118
    """

    p0: float
    p1: float
    alpha: float
    beta: float
    lot_size: int | None = None
    type: ClassVar[str] = "sequential"

    def __post_init__(self) -> None:
        _proportion(self.p0, name="p0", example="0.01")
        _proportion(self.p1, name="p1", example="0.05")
        if not self.p0 < self.p1:
            raise WorkbenchError(f"sequential plan: p0={self.p0!r} must be below p1={self.p1!r} (the acceptable error "
                                 "rate first, then the rejectable one), e.g. p0=0.01, p1=0.05.")
        _proportion(self.alpha, name="alpha", example="0.05")
        _proportion(self.beta, name="beta", example="0.10")
        if self.alpha + self.beta >= 1.0:
            raise WorkbenchError(f"sequential plan: alpha + beta = {self.alpha + self.beta:g} must be below 1.")
        _lot(self.lot_size)

    @property
    def _g(self) -> tuple[float, float]:
        return math.log(self.p1 / self.p0), math.log((1 - self.p0) / (1 - self.p1))

    @property
    def h0(self) -> float:
        """Intercept of the accept line (``d ≤ -h0 + s·m``)."""
        g1, g2 = self._g
        return math.log((1 - self.alpha) / self.beta) / (g1 + g2)

    @property
    def h1(self) -> float:
        """Intercept of the reject line (``d ≥ h1 + s·m``)."""
        g1, g2 = self._g
        return math.log((1 - self.beta) / self.alpha) / (g1 + g2)

    @property
    def s(self) -> float:
        """Slope of both lines (an error rate between ``p0`` and ``p1``)."""
        g1, g2 = self._g
        return g2 / (g1 + g2)

    def accept_limit(self, m: int | np.ndarray) -> np.ndarray:
        """Most errors after ``m`` items at which the lot is accepted (negative: not yet possible)."""
        return np.floor(-self.h0 + self.s * np.asarray(m, dtype=float) + 1e-12)

    def reject_limit(self, m: int | np.ndarray) -> np.ndarray:
        """Fewest errors after ``m`` items at which the lot is rejected."""
        return np.ceil(self.h1 + self.s * np.asarray(m, dtype=float) - 1e-12)

    def _asn(self, p: float, oc: float) -> float:
        g1, g2 = self._g
        a, b = math.log((1 - self.beta) / self.alpha), math.log(self.beta / (1 - self.alpha))
        return (oc * b + (1 - oc) * a) / (p * g1 - (1 - p) * g2)

    @property
    def asn_p0(self) -> float:
        """Average sample number (Wald's approximation) when the lot's error rate is ``p0``."""
        return self._asn(self.p0, 1 - self.alpha)

    @property
    def asn_p1(self) -> float:
        """Average sample number when the lot's error rate is ``p1``."""
        return self._asn(self.p1, self.beta)

    @property
    def asn_max(self) -> float:
        """Average sample number at ``p = s``, near its maximum."""
        return self.h0 * self.h1 / (self.s * (1 - self.s))

    @property
    def min_accept_n(self) -> int:
        """Fewest items after which the lot can be accepted (all of them correct)."""
        return int(math.ceil(self.h0 / self.s - 1e-12))

    @property
    def default_confidence(self) -> float:
        """The confidence a verdict's accuracy bound is stated at: 1 − beta."""
        return 1.0 - self.beta

    def oc_curve(self, *, points: int = 201) -> pd.DataFrame:
        """Wald's OC and ASN curves: ``p``, ``error_percent``, ``accept_probability``, ``asn``
        (parametric in ``h``: ``p = (1 - r^h) / (q^h - r^h)``, ``L = (A^h - 1) / (A^h - B^h)``
        with ``q = p1/p0``, ``r = (1-p1)/(1-p0)``)."""
        q, r = self.p1 / self.p0, (1 - self.p1) / (1 - self.p0)
        a, b = (1 - self.beta) / self.alpha, self.beta / (1 - self.alpha)
        h = np.linspace(-6.0, 6.0, points)
        h = h[np.abs(h) > 1e-6]
        p = (1 - r**h) / (q**h - r**h)
        oc = (a**h - 1) / (a**h - b**h)
        frame = pd.DataFrame({"p": p, "accept_probability": oc})
        frame = pd.concat([pd.DataFrame({"p": [0.0, self.s], "accept_probability": [1.0, math.log(a) / (math.log(a) - math.log(b))]}),
                           frame], ignore_index=True)
        frame = frame[(frame["p"] >= 0) & (frame["p"] <= 1)].sort_values("p", kind="stable").reset_index(drop=True)
        g1, g2 = self._g
        la, lb = math.log(a), math.log(b)
        drift = frame["p"] * g1 - (1 - frame["p"]) * g2
        with np.errstate(divide="ignore", invalid="ignore"):
            asn = (frame["accept_probability"] * lb + (1 - frame["accept_probability"]) * la) / drift
        frame["asn"] = np.where(np.isclose(frame["p"], self.s), self.asn_max, asn)
        frame.insert(1, "error_percent", 100 * frame["p"])
        return frame

    def describe(self) -> str:
        """The plan in one line."""
        return (f"sequential test (Wald SPRT) of error rate {_pct(self.p0)} (accept) against {_pct(self.p1)} (reject), "
                f"alpha {self.alpha:g}, beta {self.beta:g}: after m items with d errors, accept when "
                f"d ≤ {-self.h0:.3f} + {self.s:.5f}·m, reject when d ≥ {self.h1:.3f} + {self.s:.5f}·m")

    def summary(self) -> str:
        """The lines and the average sample numbers in one paragraph."""
        return (f"{self.describe()[0].upper()}{self.describe()[1:]}. The earliest acceptance comes after "
                f"{self.min_accept_n:,} correct items; on average {self.asn_p0:,.0f} items are reviewed when the "
                f"error rate is {_pct(self.p0)} and {self.asn_p1:,.0f} when it is {_pct(self.p1)} "
                f"(at most about {self.asn_max:,.0f}, near {_pct(self.s)}).")

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON-ready data."""
        return {"type": self.type, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SequentialPlan:
        """A plan from :meth:`to_dict`'s data."""
        return cls(**_fields_of(cls, data))


Plan = SingleSamplingPlan | SequentialPlan


def _fields_of(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise WorkbenchError(f"a sampling plan is read from a JSON object, got {type(data).__name__}.")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known - {"type"})
    if unknown:
        raise WorkbenchError(f"{cls.__name__}: unknown field(s) {', '.join(map(repr, unknown))} in the plan; "
                             f"a plan holds {', '.join(sorted(known))}. Write it with plan.to_dict().")
    return {k: v for k, v in data.items() if k in known}


def plan_from_dict(data: Mapping[str, Any] | str) -> Plan:
    """A plan from its ``to_dict()`` data or that data as JSON text.

    Examples
    --------
    >>> p = iso2859_plan(1000, 1.0)
    >>> plan_from_dict(json.dumps(p.to_dict())) == p
    True
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise WorkbenchError(f"the plan is not valid JSON ({exc}); write it with "
                                 "`workbench acceptance plan ... --out plan.json`.") from exc
    if not isinstance(data, Mapping):
        raise WorkbenchError(f"a sampling plan is read from a JSON object, got {type(data).__name__}.")
    kind = data.get("type", "single")
    if kind == "single":
        return SingleSamplingPlan.from_dict(data)
    if kind == "sequential":
        return SequentialPlan.from_dict(data)
    raise WorkbenchError(f"plan type {kind!r} is unknown; a plan's type is 'single' or 'sequential'.")


# ---- zero-failure plans --------------------------------------------------------------------------
def _first(lo: int, hi: int, ok: Callable[[int], bool]) -> int:
    """The smallest whole number in [lo, hi] where the monotone ``ok`` holds (``hi`` when none below it does)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _zero_failure_n(target: float, confidence: float, lot_size: int | None) -> int:
    alpha = 1.0 - confidence
    if lot_size is None:
        n = math.ceil(math.log(alpha) / math.log(target) - 1e-9)
        return max(n, 1)
    defects = max(1, math.ceil(lot_size * (1.0 - target) - 1e-9))
    good = lot_size - defects
    log_n = math.lgamma(lot_size + 1)
    lg_good = math.lgamma(good + 1)

    def log_p0(n: int) -> float:  # log P(no error in n) = log C(good, n) - log C(N, n)
        if n > good:
            return -math.inf
        return lg_good - math.lgamma(good - n + 1) - log_n + math.lgamma(lot_size - n + 1)

    log_alpha = math.log(alpha)
    return _first(1, good + 1, lambda n: log_p0(n) <= log_alpha)


def zero_failure_sample_size(target: float, confidence: float, lot_size: int | None = None) -> int:
    """The smallest sample with no error allowed that shows accuracy ≥ ``target``.

    Parameters
    ----------
    target
        The accuracy to demonstrate, a proportion, e.g. ``0.999``.
    confidence
        The confidence, e.g. ``0.95``: a lot whose accuracy is exactly ``target`` would show no
        error in the sample with probability at most ``1 - confidence``.
    lot_size
        Items in the lot; ``None`` for an unbounded lot (binomial). A finite lot of ``N`` items
        at accuracy ``target`` holds ``D = ceil(N (1 - target))`` errors (hypergeometric).

    Returns
    -------
    int
        ``n`` (at most the lot size; the whole lot when nothing smaller will do).

    Notes
    -----
    Binomial: ``n = ceil(ln(1 - confidence) / ln(target))``. Hypergeometric: the smallest ``n`` with
    ``C(N - D, n) / C(N, n) ≤ 1 - confidence`` (found by bisection on log-gamma terms).

    Examples
    --------
    >>> zero_failure_sample_size(0.95, 0.95)   # the "rule of three": about 3 / (1 - target)
    59
    >>> zero_failure_sample_size(0.95, 0.95, lot_size=200)
    51
    """
    t = _proportion(target, name="target", example="0.999 (99.9% accuracy)")
    conf = check_confidence(confidence)
    lot = _lot(lot_size)
    return min(_zero_failure_n(t, conf, lot), lot) if lot is not None else _zero_failure_n(t, conf, None)


def zero_failure_plan(target: float, confidence: float, lot_size: int | None = None, *,
                      kind: Kind = "hypergeometric") -> SingleSamplingPlan:
    """The zero-failure plan (``c = 0``) of :func:`zero_failure_sample_size` as a plan object.

    ``kind="binomial"`` sizes it for an unbounded lot even when ``lot_size`` is given (the lot
    size then only caps ``n`` and enters the AOQ); ``"hypergeometric"`` uses the finite lot.

    Examples
    --------
    >>> zero_failure_plan(0.999, 0.95, 1_000_000, kind="binomial").n
    2995
    """
    lot = _lot(lot_size)
    kind = _kind(kind)
    n = zero_failure_sample_size(target, confidence, lot if kind == "hypergeometric" else None)
    if lot is not None and n >= lot:
        return SingleSamplingPlan(lot, 0, lot, kind, "zero-failure", True, float(target), float(confidence))
    return SingleSamplingPlan(n, 0, lot, kind if lot is not None else "binomial", "zero-failure", False,
                              float(target), float(confidence))


# ---- two-point plans -----------------------------------------------------------------------------
def _smallest_n(c: int, p: float, beta: float, lot: int | None, kind: Kind, n_max: int) -> int | None:
    """Smallest n ≥ c + 1 (≤ n_max) with P(X ≤ c; n, p) ≤ beta, or None."""
    def pa(n: int) -> float:
        return float(_accept_probability(np.array([p]), n, c, lot, kind)[0])

    if pa(n_max) > beta:
        return None
    return _first(c + 1, n_max, lambda n: pa(n) <= beta)


def sampling_plan(
    lot_size: int | None,
    *,
    aql: float,
    ltpd: float,
    producer_risk: float = 0.05,
    consumer_risk: float = 0.10,
    kind: Kind = "hypergeometric",
) -> SingleSamplingPlan:
    """The smallest single-sampling plan ``(n, c)`` that meets both risks.

    Parameters
    ----------
    lot_size
        Items in the lot (``None``: unbounded, binomial).
    aql, ltpd
        Acceptable quality level and lot tolerance percent defective, **in percent** errors
        (``aql=1.0, ltpd=5.0``); ``aql < ltpd``.
    producer_risk
        Largest probability of rejecting a lot at the AQL (α).
    consumer_risk
        Largest probability of accepting a lot at the LTPD (β).
    kind
        ``"hypergeometric"`` (one finite lot: the lot at the AQL holds ``floor(N·aql/100)`` errors,
        the one at the LTPD ``ceil(N·ltpd/100)``) or ``"binomial"`` (a stream of lots).

    Returns
    -------
    SingleSamplingPlan
        Smallest ``n``; for that ``n`` the smallest ``c``. With a finite lot, when no plan with
        ``n`` below the lot size meets both risks, the plan is 100 % inspection.

    Notes
    -----
    For each ``c`` the smallest ``n`` with ``P(X ≤ c | LTPD) ≤ β`` is found by bisection (the
    OC falls as ``n`` grows); the first ``c`` for which that ``n`` also has
    ``P(X ≤ c | AQL) ≥ 1 - α`` gives the plan (larger ``c`` need larger ``n``).

    Examples
    --------
    >>> p = sampling_plan(10_000, aql=1.0, ltpd=5.0)
    >>> (p.n, p.c)
    (132, 3)
    """
    lot = _lot(lot_size)
    kind = _kind(kind)
    p0 = _percent(aql, name="aql", example="1.0") / 100.0
    p1 = _percent(ltpd, name="ltpd", example="5.0") / 100.0
    if not p0 < p1:
        raise WorkbenchError(f"sampling plan: aql={aql!r} must be below ltpd={ltpd!r} (both in percent errors), "
                             "e.g. aql=1.0, ltpd=5.0.")
    alpha = _proportion(producer_risk, name="producer_risk", example="0.05")
    beta = _proportion(consumer_risk, name="consumer_risk", example="0.10")
    model: Kind = kind if lot is not None else "binomial"
    q0, q1 = p0, p1
    if model == "hypergeometric" and lot is not None:
        d0, d1 = math.floor(lot * p0 + 1e-9), math.ceil(lot * p1 - 1e-9)
        if d1 <= d0:
            raise WorkbenchError(
                f"sampling plan: a lot of {lot} items cannot tell aql={aql}% from ltpd={ltpd}% (both mean about "
                f"{d0} errors); use a larger lot, a wider gap, or kind='binomial'."
            )
        q0, q1 = d0 / lot, d1 / lot  # the error counts the finite lot can hold
    n_max = lot if lot is not None else 10_000_000
    meta = dict(aql=float(aql), ltpd=float(ltpd), producer_risk=alpha, consumer_risk=beta)
    for c in range(0, n_max):
        n = _smallest_n(c, q1, beta, lot, model, n_max)
        if n is None or (lot is not None and n >= lot):
            break
        if float(_accept_probability(np.array([q0]), n, c, lot, model)[0]) >= 1.0 - alpha:
            return SingleSamplingPlan(n, c, lot, model, "two-point", **meta)  # type: ignore[arg-type]
    if lot is None:
        raise WorkbenchError(f"sampling plan: no plan with n ≤ {n_max:,} meets aql={aql}%, ltpd={ltpd}% at these "
                             "risks; widen the gap between aql and ltpd or accept larger risks.")
    return SingleSamplingPlan(lot, math.floor(lot * p0 + 1e-9) if lot > 1 else 0, lot, model, "two-point",
                              True, **meta)  # type: ignore[arg-type]


# ---- ISO 2859-1 ----------------------------------------------------------------------------------
def iso2859_code_letter(lot_size: int, level: str = "II") -> str:
    """The sample size code letter of ISO 2859-1 / ANSI Z1.4 Table I.

    Examples
    --------
    >>> iso2859_code_letter(1_000_000), iso2859_code_letter(50, "S-1")
    ('Q', 'A')
    """
    lot = _lot(lot_size, required=True)
    assert lot is not None
    if lot < 2:
        raise WorkbenchError(f"lot_size={lot}: Table I starts at lots of 2 items; inspect a single item whole.")
    check_choice(level, name="level", choices=ISO_LEVELS)
    row = next(i for i, upper in enumerate(_LOT_UPPER) if upper is None or lot <= upper)
    return _TABLE_I[level][row]


def iso2859_plan(
    lot_size: int,
    aql: float,
    level: str = "II",
    inspection: Literal["normal", "tightened", "reduced"] = "normal",
) -> SingleSamplingPlan:
    """The single-sampling plan of ISO 2859-1 / ANSI/ASQ Z1.4 (MIL-STD-105E).

    The lot size and inspection level give the code letter (Table I); the letter and the AQL
    give a cell of the master table — Table II-A for normal, II-B for tightened, II-C for reduced
    inspection (MIL-STD-105E).
    Where the cell holds an arrow, the first plan in the arrow's direction is used, with that
    plan's sample size (its own letter). When that sample size equals or exceeds the lot
    size, the standard says to inspect the whole lot (``full_inspection=True``, ``n`` = lot).

    Parameters
    ----------
    lot_size
        Items in the lot (≥ 2).
    aql
        One of the standard's AQLs in percent nonconforming: 0.010, 0.015, 0.025, 0.040, 0.065,
        0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10 (:data:`ISO_AQLS`). The
        columns 15–1000 (nonconformities per 100 units) are refused.
    level
        ``"I"``, ``"II"`` (the usual), ``"III"`` or a special level ``"S-1"`` … ``"S-4"``.
    inspection
        ``"normal"``, ``"tightened"`` or ``"reduced"``. Reduced plans are MIL-STD-105E Table
        II-C's: smaller samples and a gap between Ac and Re (``plan.re > plan.c + 1``); a lot
        with ``Ac < errors < Re`` is accepted, but normal inspection is reinstated.
        ISO 2859-1:1999 Table 2-C (reduced plans without the gap, with its switching score) is a
        different table and is not implemented. Which inspection applies to the next lot is
        :class:`InspectionSwitcher`'s business.

    Notes
    -----
    The master tables are diagonals: with the letter's index ``i`` (A = 0 … R = 15) and the
    AQL column ``j`` (0.010 = 0 … 10 = 15), a normal cell depends on ``d = i + j - 14``:
    ``d < 0`` ↓; 0 → Ac 0 / Re 1; 1 ↑; 2 ↓; 3 → 1/2; 4 → 2/3; 5 → 3/4; 6 → 5/6; 7 → 7/8;
    8 → 10/11; 9 → 14/15; 10 → 21/22; ``d > 10`` ↑. A tightened cell depends on
    ``d = i + j - 15``: ``d < 0`` ↓; 0 → 0/1; 1, 2 ↓; 3 → 1/2; 4 → 2/3; 5 → 3/4; 6 → 5/6;
    7 → 8/9; 8 → 12/13; 9 → 18/19; ``d > 9`` ↑. Sample sizes by letter: 2, 3, 5, 8, 13, 20, 32,
    50, 80, 125, 200, 315, 500, 800, 1250, 2000. A reduced cell (Table II-C) depends on
    ``d = i + j - 14`` with the arrows of Table II-A and the plans 0 → 0/1; 3 → 0/2; 4 → 1/3;
    5 → 1/4; 6 → 2/5; 7 → 3/6; 8 → 5/8; 9 → 7/10; 10 → 10/13, sample sizes 2, 2, 2, 3, 5, 8,
    13, 20, 32, 50, 80, 125, 200, 315, 500, 800. An arrow that leads off the table (an ↑ in
    row A, a ↓ below letter R, where MIL-STD-105E's tightened table adds a letter S of 3150) is
    an error naming the cell.

    **Switching rules**: the plans protect a *stream* of lots only when the rules are applied;
    :class:`InspectionSwitcher` applies them lot by lot (its docstring states them).

    References
    ----------
    ISO 2859-1:1999, Sampling procedures for inspection by attributes — Part 1, Tables 1, 2-A,
    2-B. ANSI/ASQ Z1.4-2008, Tables I, II-A, II-B. MIL-STD-105E (1989), Tables I, II-A, II-B,
    II-C (public domain). Table I and the level II plans were checked against the published
    charts cited in ``tests/test_sampling.py``; Table II-C against AQLSchemes 1.7-2 (J. Lawson,
    CRAN), cell by cell.

    Examples
    --------
    >>> p = iso2859_plan(2_000, 0.65, inspection="tightened")
    >>> p.code_letter, p.n, p.c, p.re
    ('K', 125, 1, 2)
    >>> p = iso2859_plan(2_000, 0.65, inspection="reduced")
    >>> p.code_letter, p.n, p.c, p.re
    ('K', 50, 1, 3)
    """
    check_choice(inspection, name="inspection", choices=("normal", "tightened", "reduced"))
    number = isinstance(aql, (int, float, np.integer, np.floating)) and not isinstance(aql, bool)
    if number and 10.0 < float(aql) <= 1000.0:
        raise WorkbenchError(
            f"aql={aql!r}: the workbench supports the percent-nonconforming AQLs 0.010–10 of ISO 2859-1; the "
            "columns 15–1000 count nonconformities per 100 units. Pass one of "
            + ", ".join(f"{a:g}" for a in ISO_AQLS) + "."
        )
    matches = [j for j, a in enumerate(ISO_AQLS) if number and math.isclose(float(aql), a, rel_tol=1e-9)]
    if not matches:
        raise WorkbenchError(f"aql={aql!r} is not an AQL of the ISO 2859-1 tables; pass one of "
                             + ", ".join(f"{a:g}" for a in ISO_AQLS) + " (percent nonconforming).")
    j = matches[0]
    lot = _lot(lot_size, required=True)
    assert lot is not None
    letter = iso2859_code_letter(lot, level)
    cells, offset, last, sizes, table = _TABLES[inspection]
    i = _LETTERS.index(letter)
    while True:
        d = i + j - offset
        cell = "down" if d < 0 else "up" if d > last else cells[d]
        if not isinstance(cell, str):
            break
        i += 1 if cell == "down" else -1
        if not 0 <= i < len(_LETTERS):
            raise WorkbenchError(
                f"ISO 2859-1 / MIL-STD-105E Table {table}: the cell of code letter {letter} at AQL "
                f"{aql:g} points {cell} past the table's last row; there is no plan for it here. Use another "
                "inspection level (e.g. level='III' or 'I'), another AQL, or inspect the whole lot."
            )
    ac, re = cell
    n = sizes[i]
    full = n >= lot
    size = lot if full else n
    c = min(ac, size - 1)
    gap = min(re, size) if re > ac + 1 and min(re, size) > c + 1 else None  # Re > Ac + 1 only in Table II-C
    return SingleSamplingPlan(size, c, lot, "binomial", "iso2859", full, aql=float(ISO_AQLS[j]),
                              code_letter=_LETTERS[i], level=level, inspection=inspection, rejection_number=gap)


# ---- sequential plans ----------------------------------------------------------------------------
def sequential_plan(p0: float, p1: float, alpha: float = 0.05, beta: float = 0.10, *,
                    lot_size: int | None = None) -> SequentialPlan:
    """Wald's SPRT: accept a lot at error rate ``p0`` with probability ≈ 1 − ``alpha``, accept
    one at ``p1`` with probability ≈ ``beta``, reviewing items one at a time.

    Examples
    --------
    >>> plan = sequential_plan(0.01, 0.05, 0.05, 0.10)
    >>> round(plan.h0, 3), round(plan.h1, 3), round(plan.s, 5)
    (1.364, 1.751, 0.02499)
    >>> round(plan.asn_p0), round(plan.asn_p1)
    (81, 58)
    """
    return SequentialPlan(p0, p1, alpha, beta, _lot(lot_size))


class SequentialCheck:
    """A running sequential test: :meth:`update` after every reviewed item.

    The decision is the first line the path crossed (``"accept"`` or ``"reject"``), and stays
    until :meth:`undo` takes items back past it; before that it is ``"continue"``.

    Examples
    --------
    >>> check = SequentialCheck(sequential_plan(0.01, 0.05, 0.05, 0.10))
    >>> outcome = "continue"
    >>> while outcome == "continue":
    ...     outcome = check.update(True)
    >>> outcome, check.decided_at
    ('accept', 55)
    >>> check.summary()
    'accept reached after 55 items (0 errors)'
    """

    def __init__(self, plan: SequentialPlan) -> None:
        if not isinstance(plan, SequentialPlan):
            raise WorkbenchError(f"SequentialCheck needs a SequentialPlan (sequential_plan(p0, p1, alpha, beta)), "
                                 f"got {type(plan).__name__}.")
        self.plan = plan
        self._errors: list[int] = []  # cumulative errors after each item
        self.decision: Decision = "continue"
        self.decided_at: int | None = None

    @property
    def n(self) -> int:
        """Items reviewed so far."""
        return len(self._errors)

    @property
    def errors(self) -> int:
        """Errors found so far."""
        return self._errors[-1] if self._errors else 0

    def _judge(self, m: int, d: int) -> Decision:
        if d >= self.plan.h1 + self.plan.s * m - 1e-12:
            return "reject"
        if d <= -self.plan.h0 + self.plan.s * m + 1e-12:
            return "accept"
        return "continue"

    def update(self, correct: bool) -> Decision:
        """Add one reviewed item (``correct``: the item was right) and return the decision."""
        if not isinstance(correct, (bool, np.bool_)):
            raise WorkbenchError(f"SequentialCheck.update: correct={correct!r} must be True or False.")
        self._errors.append(self.errors + (0 if correct else 1))
        if self.decided_at is None:
            outcome = self._judge(self.n, self.errors)
            if outcome != "continue":
                self.decision, self.decided_at = outcome, self.n
        return self.decision

    def undo(self) -> Decision:
        """Take the last item back (an undone review) and return the decision."""
        if self._errors:
            self._errors.pop()
            if self.decided_at is not None and self.decided_at > self.n:
                self.decision, self.decided_at = "continue", None
        return self.decision

    def summary(self) -> str:
        """``"accept reached after 412 items (3 errors)"`` or where the path stands."""
        err = f"{self.errors:,} error{'s' if self.errors != 1 else ''}"
        if self.decided_at is not None:
            at_err = self._errors[self.decided_at - 1]
            return (f"{self.decision} reached after {self.decided_at:,} items ({at_err:,} "
                    f"error{'s' if at_err != 1 else ''})")
        m = self.n
        accept_at = int(self.plan.accept_limit(m)[()])
        reject_at = int(self.plan.reject_limit(m)[()])
        accept = f"accept at ≤ {accept_at}" if accept_at >= 0 else "too early to accept"
        return f"continue: {m:,} items, {err} ({accept}, reject at ≥ {reject_at} errors)"


# ---- judging a reviewed sample -------------------------------------------------------------------
def accuracy_lower_bound(n: int, errors: int, confidence: float, lot_size: int | None = None) -> float:
    """An exact one-sided lower confidence bound on the lot's accuracy from ``errors`` in ``n``.

    Unbounded lot: one minus the Clopper–Pearson upper bound of the error rate,
    ``Beta(confidence; errors + 1, n - errors)``. Finite lot of ``N``: one minus ``D_U / N``,
    where ``D_U`` is the largest error count of the lot with
    ``P(X ≤ errors | N, D_U, n) ≥ 1 - confidence`` (hypergeometric; the observed items count).

    Examples
    --------
    >>> round(accuracy_lower_bound(2995, 0, 0.95), 5)
    0.999
    >>> accuracy_lower_bound(100, 0, 0.95, lot_size=100)
    1.0
    """
    conf = check_confidence(confidence)
    if not (isinstance(n, (int, np.integer)) and isinstance(errors, (int, np.integer)) and 0 <= errors <= n and n >= 1):
        raise WorkbenchError(f"accuracy bound: errors={errors!r} and n={n!r} must be whole numbers with 0 ≤ errors ≤ n, n ≥ 1.")
    lot = _lot(lot_size)
    if lot is None:
        if errors == n:
            return 0.0
        return float(1.0 - stats.beta.ppf(conf, errors + 1, n - errors))
    if n > lot:
        raise WorkbenchError(f"accuracy bound: n={n} reviewed items exceed lot_size={lot}.")
    alpha = 1.0 - conf
    lo, hi = int(errors), int(lot - (n - errors))  # the lot holds at least the errors seen, at most all but the good

    # the largest plausible error count: one below the first implausible one (the cdf falls as d grows)
    first_out = _first(lo, hi + 1, lambda d: d > hi or bool(stats.hypergeom.cdf(errors, lot, d, n) < alpha))
    return 1.0 - (first_out - 1) / lot


@dataclass(frozen=True)
class AcceptanceCheck:
    """The verdict on a lot from its reviewed sample, under a plan (:func:`check_sample`)."""

    decision: Decision
    plan: SingleSamplingPlan | SequentialPlan
    n_reviewed: int
    n_errors: int
    n_used: int
    """Items the decision rests on: the plan's ``n`` (or fewer when the errors reached the
    rejection number early), the sequential test's stopping point, or all reviewed items."""
    errors_used: int
    decided_at: int | None
    accuracy_lower: float
    confidence: float

    @property
    def accepted(self) -> bool:
        return self.decision == "accept"

    @property
    def back_to_normal(self) -> bool:
        """An accepted lot whose errors fell between ``c`` and ``Re`` of a plan with a gap
        (reduced inspection): the lot is accepted, and the next lot goes back to normal inspection."""
        return (self.decision == "accept" and isinstance(self.plan, SingleSamplingPlan)
                and self.plan.c < self.errors_used < self.plan.re)

    def summary(self) -> str:
        """``"accept: 1,250 sampled, 2 errors ≤ c=3; the lot's accuracy is ≥ 99.57% at 90% confidence"``."""
        plan = self.plan
        bound = (f"the lot's accuracy is ≥ {_floor_pct(self.accuracy_lower)} at {_pct(self.confidence)} confidence "
                 f"({self.n_reviewed:,} reviewed, {self.n_errors:,} error{'s' if self.n_errors != 1 else ''})")
        err = f"{self.errors_used:,} error{'s' if self.errors_used != 1 else ''}"
        if isinstance(plan, SequentialPlan):
            if self.decided_at is None:
                head = f"continue: {self.n_reviewed:,} reviewed, {err}; the sequential test has not decided yet"
            else:
                head = f"{self.decision}: {self.decision} reached after {self.decided_at:,} items ({err})"
            return f"{head}; {bound}."
        if self.decision == "continue":
            return (f"continue: {self.n_reviewed:,} of the plan's {plan.n:,} reviewed, {err} (reject at {plan.re}); "
                    f"{bound}.")
        rel = f"≤ c={plan.c}" if self.decision == "accept" else f"≥ Re={plan.re}"
        if self.back_to_normal:
            rel = (f"between c={plan.c} and Re={plan.re} (accept this lot; return to normal inspection for the "
                   "next one)")
        early = f" (stopped early at {self.n_used:,} of {plan.n:,})" if self.n_used < plan.n else ""
        return f"{self.decision}: {self.n_used:,} sampled{early}, {err} {rel}; {bound}."

    def to_frame(self) -> pd.DataFrame:
        """One row: the decision and its numbers."""
        return pd.DataFrame([{"decision": self.decision, "n_reviewed": self.n_reviewed, "n_errors": self.n_errors,
                              "n_used": self.n_used, "errors_used": self.errors_used, "decided_at": self.decided_at,
                              "accuracy_lower": self.accuracy_lower, "confidence": self.confidence}])


def sequential_path(plan: SequentialPlan, correct: np.ndarray) -> tuple[Decision, int | None, np.ndarray]:
    """(decision, items at the decision, cumulative errors) of a reviewed sequence, vectorised."""
    errors = np.cumsum(~np.asarray(correct, dtype=bool))
    m = np.arange(1, len(errors) + 1, dtype=float)
    reject = errors >= plan.h1 + plan.s * m - 1e-12
    accept = errors <= -plan.h0 + plan.s * m + 1e-12
    crossed = np.flatnonzero(reject | accept)
    if not len(crossed):
        return "continue", None, errors
    at = int(crossed[0])
    return ("reject" if reject[at] else "accept"), at + 1, errors


def check_sample(plan: Plan, correct: Sequence[bool] | np.ndarray | pd.Series, *,
                 confidence: float | None = None) -> AcceptanceCheck:
    """Judge a lot from its reviewed items, in review order (``True`` = the item was right).

    A single-sampling plan decides on its first ``n`` items (reject as soon as the errors reach
    ``Re``; *continue* while fewer than ``n`` are reviewed; a reduced plan's lot with
    ``c < errors < Re`` is accepted, :attr:`AcceptanceCheck.back_to_normal`); a sequential plan on the first line
    its path crosses. The accuracy bound (:func:`accuracy_lower_bound`) uses every reviewed item,
    at ``confidence`` (default: the plan's — its own for zero-failure plans, 1 − consumer's risk,
    or 0.95).

    Examples
    --------
    >>> plan = SingleSamplingPlan(1250, 3, consumer_risk=0.10)
    >>> check_sample(plan, [True] * 1248 + [False] * 2).summary()
    "accept: 1,250 sampled, 2 errors ≤ c=3; the lot's accuracy is ≥ 99.57% at 90% confidence (1,250 reviewed, 2 errors)."
    """
    values = np.asarray(correct)
    if values.ndim != 1 or (len(values) and values.dtype != bool):
        raise WorkbenchError("check_sample: correct must be a sequence of True/False, one per reviewed item in review "
                             f"order; got dtype {values.dtype}.")
    if not len(values):
        raise WorkbenchError("check_sample: no reviewed items; review the plan's sample first.")
    values = values.astype(bool)
    conf = plan.default_confidence if confidence is None else check_confidence(confidence)
    n_rev, n_err = len(values), int((~values).sum())
    if plan.lot_size is not None and n_rev > plan.lot_size:
        raise WorkbenchError(f"check_sample: {n_rev:,} reviewed items exceed the plan's lot_size={plan.lot_size:,}.")
    bound = accuracy_lower_bound(n_rev, n_err, conf, plan.lot_size)
    if isinstance(plan, SequentialPlan):
        decision, at, errors = sequential_path(plan, values)
        used = at if at is not None else n_rev
        return AcceptanceCheck(decision, plan, n_rev, n_err, used, int(errors[used - 1]), at, bound, conf)
    errors = np.cumsum(~values[: plan.n])
    hit = np.flatnonzero(errors >= plan.re)
    if len(hit):
        used = int(hit[0]) + 1
        return AcceptanceCheck("reject", plan, n_rev, n_err, used, int(errors[used - 1]), used, bound, conf)
    if n_rev < plan.n:
        return AcceptanceCheck("continue", plan, n_rev, n_err, n_rev, int(errors[-1]), None, bound, conf)
    return AcceptanceCheck("accept", plan, n_rev, n_err, plan.n, int(errors[-1]), plan.n, bound, conf)


_TRUE = frozenset({"true", "1", "yes", "y", "correct", "ok", "pass", "passed", "right", "1.0"})
_FALSE = frozenset({"false", "0", "no", "n", "incorrect", "error", "wrong", "fail", "failed", "0.0"})


def reviewed_outcomes(
    reviewed: pd.DataFrame,
    *,
    item: str = "item_id",
    correct: str = "correct",
    correct_values: Sequence[str] = (),
    table: str = "reviewed",
) -> np.ndarray:
    """Whether each reviewed item was right, in the table's row order (the review order).

    Parameters
    ----------
    reviewed
        One row per reviewed item: an id column and a correct/incorrect column.
    item, correct
        The id column (each item once) and the outcome column.
    correct_values
        Values of ``correct`` that count as a correct item, every other value as an error
        (e.g. ``["Acceptable"]`` for the ``decision`` column of ``workbench review export``).
        Empty: the column holds booleans, 0/1, true/false, yes/no or correct/incorrect.

    Raises
    ------
    WorkbenchError
        A missing column, a missing or repeated id, an empty or unreadable outcome (naming
        the rows and the fix).

    Examples
    --------
    >>> t = pd.DataFrame({"item_id": ["a", "b", "c"], "correct": ["yes", "no", "yes"]})
    >>> reviewed_outcomes(t).tolist()
    [True, False, True]
    """
    frame = require_frame(reviewed, table=table)
    require_columns(frame, [item, correct], table=table, option_names=["item", "correct"])
    if not len(frame):
        raise WorkbenchError(f"table '{table}' has no rows; it needs one row per reviewed item.")
    ids = frame[item]
    if ids.isna().any():
        raise WorkbenchError(f"table '{table}': column '{item}' is empty in {format_rows(frame.index[ids.isna()])}; "
                             "every reviewed item needs its id.")
    repeated = ids.astype(str).duplicated(keep=False)
    if repeated.any():
        raise WorkbenchError(
            f"table '{table}': {int(repeated.sum())} rows repeat an id of column '{item}' "
            f"({format_rows(frame.index[repeated])}); a lot's item is reviewed once — keep one row per item "
            "(the decision in effect)."
        )
    values = frame[correct]
    if values.isna().any():
        raise WorkbenchError(f"table '{table}': column '{correct}' is empty in {format_rows(frame.index[values.isna()])}; "
                             "drop the items not yet reviewed, or fill in the outcome.")
    if correct_values:
        wanted = {str(v) for v in correct_values}
        return values.astype(str).isin(wanted).to_numpy(dtype=bool)
    if values.dtype == bool:
        return values.to_numpy(dtype=bool)
    text = values.astype(str).str.strip().str.lower()
    known = text.isin(_TRUE | _FALSE)
    if not known.all():
        odd = sorted(set(values[~known].astype(str)))[:5]
        raise WorkbenchError(
            f"table '{table}': column '{correct}' holds {', '.join(map(repr, odd))} in "
            f"{format_rows(frame.index[~known])}, which is neither correct nor incorrect; use true/false, 1/0, "
            "yes/no or correct/incorrect, or name the values that count as correct with correct_values= "
            "(--correct-value on the command line), e.g. ['Acceptable']."
        )
    return text.isin(_TRUE).to_numpy(dtype=bool)


# ---- switching rules -----------------------------------------------------------------------------
Inspection = Literal["normal", "tightened", "reduced", "discontinued"]
_INSPECTIONS = ("normal", "tightened", "reduced", "discontinued")


class InspectionSwitcher:
    """Which inspection — normal, tightened, reduced — applies to the next lot of a stream, by the
    switching rules of MIL-STD-105E / ANSI/ASQC Z1.4, applied lot by lot.

    The plans of :func:`iso2859_plan` protect a *stream* of lots only when these rules are applied.
    Inspection starts normal; after each lot, :meth:`update` takes the errors found in its sample
    (on original inspection) and the plan it was judged by, and returns the inspection for the
    next lot:

    * normal → tightened when 2 of 5 or fewer consecutive lots on normal inspection are not
      accepted;
    * tightened → normal when 5 consecutive lots are accepted;
    * tightened → discontinued when the lots not accepted since tightened inspection began reach
      5 (Z1.4 8.4 and ISO 2859-1:1999 9.4; some copies of MIL-STD-105E say "10 consecutive lots
      remain on tightened inspection" instead). :meth:`resume`, once the supplier has acted and
      the responsible authority agrees, goes back to tightened inspection;
    * normal → reduced when the preceding 10 lots were all on normal inspection and all accepted,
      their samples' total errors are within ``limit_number`` (Table VIII), production is steady
      and the responsible authority wants reduced inspection (``reduced=True``);
    * reduced → normal when a lot is not accepted, when a lot is accepted with errors between
      ``c`` and ``Re`` (the gap of Table II-C), or when production is not steady (``steady=False``:
      irregular or delayed, or other conditions that warrant normal inspection).

    Parameters
    ----------
    reduced
        The responsible authority considers reduced inspection desirable. ``False`` (the default):
        the stream never leaves normal inspection for reduced.
    limit_number
        The Table VIII limit number for the preceding 10 lots: their samples' total errors must not
        exceed it for reduced inspection. ``None``: the condition is dropped, as Z1.4 8.5 allows
        when the supplier and the customer agree. Table VIII is not built in (it was not verified
        for this version); read the number for your AQL and the 10 samples' total size from your
        licensed copy.

    Notes
    -----
    Only lots inspected under normal inspection count for the normal → tightened and
    normal → reduced rules, counted from the lot that started the current spell of normal
    inspection. ISO 2859-1:1999 replaces the 10-lot rule and Table VIII by a *switching score*
    (reduced when it reaches 30) and its Table 2-C has no gap between Ac and Re; this switcher
    follows MIL-STD-105E / Z1.4, whose reduced plans :func:`iso2859_plan` gives.

    References
    ----------
    MIL-STD-105E (1989), switching procedures (4.7) and Table II-C; ANSI/ASQC Z1.4, 8.3–8.5 and
    10.1.4.

    Examples
    --------
    >>> sw = InspectionSwitcher(reduced=True)
    >>> plan = sw.plan(1_000, 1.0)
    >>> [sw.update(0, plan) for _ in range(10)][-1]
    'reduced'
    >>> plan = sw.plan(1_000, 1.0)
    >>> plan.n, plan.c, plan.re
    (32, 1, 3)
    >>> sw.update(2, plan)  # 2 errors: between Ac 1 and Re 3, the lot is accepted
    'normal'
    """

    def __init__(self, *, reduced: bool = False, limit_number: int | None = None) -> None:
        if not isinstance(reduced, (bool, np.bool_)):
            raise TypeError(f"reduced must be True or False (the authority wants reduced inspection), got {reduced!r}.")
        if limit_number is not None and (isinstance(limit_number, bool) or not isinstance(limit_number, (int, np.integer))
                                         or limit_number < 0):
            raise WorkbenchError(f"limit_number={limit_number!r} must be a whole number ≥ 0 from Table VIII, or None "
                                 "to drop the limit-number condition (Z1.4 8.5).")
        self.reduced = bool(reduced)
        self.limit_number = None if limit_number is None else int(limit_number)
        self._state: Inspection = "normal"
        self._normal: list[tuple[bool, int]] = []  # (accepted, errors) of this spell of normal inspection
        self._accepted_run = 0  # consecutive lots accepted on tightened inspection
        self._not_accepted = 0  # lots not accepted since tightened inspection began
        self._lots: list[dict[str, Any]] = []

    @property
    def inspection(self) -> Inspection:
        """The inspection for the next lot: ``"normal"``, ``"tightened"``, ``"reduced"`` or
        ``"discontinued"`` (no acceptance inspection until :meth:`resume`)."""
        return self._state

    def plan(self, lot_size: int, aql: float, level: str = "II") -> SingleSamplingPlan:
        """The next lot's plan: :func:`iso2859_plan` under :attr:`inspection`."""
        if self._state == "discontinued":
            raise WorkbenchError(self._discontinued_message())
        return iso2859_plan(lot_size, aql, level, self._state)

    def _discontinued_message(self) -> str:
        return ("acceptance inspection is discontinued: 5 lots were not accepted on tightened inspection. Call "
                "resume() once the supplier has acted to improve quality and the responsible authority agrees; "
                "inspection then restarts on tightened.")

    def update(self, errors: int, plan: SingleSamplingPlan, *, steady: bool = True) -> Inspection:
        """Record one lot: ``errors`` found in its sample under ``plan`` (on original inspection);
        returns the inspection for the next lot.

        ``steady=False`` says production was irregular or delayed (or other conditions warrant
        normal inspection): it ends reduced inspection and blocks the switch to it.
        """
        if self._state == "discontinued":
            raise WorkbenchError(self._discontinued_message())
        if not isinstance(plan, SingleSamplingPlan):
            raise TypeError(f"plan must be the SingleSamplingPlan the lot was judged by, got {type(plan).__name__}.")
        if plan.inspection is not None and plan.inspection != self._state:
            raise WorkbenchError(f"the lot's plan is for {plan.inspection} inspection, but {self._state} inspection "
                                 "applies to this lot; make each lot's plan with switcher.plan(lot_size, aql, level).")
        if isinstance(errors, bool) or not isinstance(errors, (int, np.integer)) or not 0 <= errors <= plan.n:
            raise WorkbenchError(f"errors={errors!r} must be the whole number of errors found in the lot's sample, "
                                 f"from 0 to n={plan.n}.")
        if not isinstance(steady, (bool, np.bool_)):
            raise TypeError(f"steady must be True or False, got {steady!r}.")
        errors, before = int(errors), self._state
        accepted = errors < plan.re
        reason = ""
        if before == "normal":
            self._normal.append((accepted, errors))
            recent = [ok for ok, _ in self._normal[-5:]]
            last10 = self._normal[-10:]
            total = sum(e for _, e in last10)
            if not accepted and recent.count(False) >= 2:
                reason = f"{recent.count(False)} of the last {len(recent)} lots on normal inspection not accepted"
                self._enter("tightened")
            elif (self.reduced and steady and len(last10) == 10 and all(ok for ok, _ in last10)
                  and (self.limit_number is None or total <= self.limit_number)):
                limit = "" if self.limit_number is None else f", {total} errors ≤ limit number {self.limit_number}"
                reason = f"10 consecutive lots accepted on normal inspection{limit}, production steady"
                self._enter("reduced")
        elif before == "tightened":
            if accepted:
                self._accepted_run += 1
                if self._accepted_run == 5:
                    reason = "5 consecutive lots accepted on tightened inspection"
                    self._enter("normal")
            else:
                self._accepted_run = 0
                self._not_accepted += 1
                if self._not_accepted == 5:
                    reason = "5 lots not accepted on tightened inspection: stop until the supplier has improved"
                    self._state = "discontinued"
        else:  # reduced
            if not accepted:
                reason = f"lot not accepted on reduced inspection ({errors} ≥ Re={plan.re})"
            elif errors > plan.c:
                reason = f"{errors} errors between Ac={plan.c} and Re={plan.re}: lot accepted, normal inspection again"
            elif not steady:
                reason = "production not steady"
            if reason:
                self._enter("normal")
        self._lots.append({"lot": len(self._lots) + 1, "inspection": before, "code_letter": plan.code_letter,
                           "n": plan.n, "ac": plan.c, "re": plan.re, "errors": errors, "accepted": accepted,
                           "next_inspection": self._state, "reason": reason})
        return self._state

    def _enter(self, state: Inspection) -> None:
        self._state = state
        self._normal = []
        self._accepted_run = self._not_accepted = 0

    def resume(self) -> Inspection:
        """After discontinuation: the supplier has acted and the responsible authority agrees;
        inspection restarts on tightened (Z1.4 8.4)."""
        if self._state != "discontinued":
            raise WorkbenchError(f"resume() restarts a discontinued inspection; inspection is {self._state}, "
                                 "so there is nothing to resume.")
        self._enter("tightened")
        return self._state

    def history(self) -> pd.DataFrame:
        """One row per lot: ``lot``, ``inspection`` (the one it was inspected under), ``code_letter``,
        ``n``, ``ac``, ``re``, ``errors``, ``accepted``, ``next_inspection`` and ``reason`` (why
        the inspection changed; empty when it did not)."""
        return pd.DataFrame(self._lots, columns=["lot", "inspection", "code_letter", "n", "ac", "re", "errors",
                                                 "accepted", "next_inspection", "reason"])

    def summary(self) -> str:
        """The inspection for the next lot and the last switch, in one line."""
        switches = [r for r in self._lots if r["reason"]]
        last = (f"; last switch after lot {switches[-1]['lot']}: {switches[-1]['reason']}" if switches else "")
        return f"{len(self._lots)} lot(s) recorded; next lot: {self._state} inspection{last}"
