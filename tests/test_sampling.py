"""Acceptance sampling (issue 32): plans equal to the published tables and to brute force, OC
curves equal to scipy, the SPRT's error rates by simulation, and the plan in the review flow."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench import sampling
from workbench.errors import WorkbenchError

# ---- ISO 2859-1 / ANSI Z1.4 (MIL-STD-105E) -------------------------------------------------------
# (lot size, AQL %, level, inspection) -> (code letter, n, Ac, Re), written by hand from published tables:
#  [N] "TABLE 1-A, General Level II, Single Normal" (developed from MIL-STD-105E Table I and Table II-A),
#      http://www.nibs.org/FMOC/DPW_AC/AC-TABLE.ASC — rows give the lot range, letter, n and Re per AQL
#      0.65 ... 15 (Ac = Re - 1), arrows as \/ and /\ (followed here to the plan they point at);
#  [T] the same file's "TABLE 1-B ... Single Tightened" (MIL-STD-105E Table II-B), same layout;
#  [I] Table I, Sample Size Code Letters, ANSI/ASQC Z1.4 / MIL-STD-105E / ISO 2859 chart,
#      https://pdfcoffee.com/aql-sampling-chart-pdf-free.html.
ISO_CELLS = [
    ((1000, 0.65, "II", "normal"), ("J", 80, 1, 2)),      # [N] row 501-1,200 J 80: Re 2
    ((1000, 1.0, "II", "normal"), ("J", 80, 2, 3)),       # [N] Re 3
    ((1000, 4.0, "II", "normal"), ("J", 80, 7, 8)),       # [N] Re 8
    ((1000, 10.0, "II", "normal"), ("J", 80, 14, 15)),    # [N] Re 15
    ((5000, 0.65, "II", "normal"), ("L", 200, 3, 4)),     # [N] row 3,201-10,000 L 200: Re 4
    ((5000, 2.5, "II", "normal"), ("L", 200, 10, 11)),    # [N] Re 11
    ((200, 0.65, "II", "normal"), ("F", 20, 0, 1)),       # [N] row G has /\ at 0.65 -> row F 20: Re 1
    ((200, 1.0, "II", "normal"), ("H", 50, 1, 2)),        # [N] row G has \/ at 1.0 -> row H 50: Re 2
    ((1_000_000, 0.65, "II", "normal"), ("Q", 1250, 14, 15)),  # [N] row 500,001 and over, Q 1250: Re 15
    ((1_000_000, 1.0, "II", "normal"), ("Q", 1250, 21, 22)),   # [N] Re 22
    ((1_000_000, 1.5, "II", "normal"), ("P", 800, 21, 22)),    # [N] Q has /\ at 1.5 -> row P 800: Re 22
    ((5, 6.5, "II", "normal"), ("A", 2, 0, 1)),           # [N] row 2-8 A 2: Re 1 at 6.5
    ((5, 4.0, "II", "normal"), ("B", 3, 0, 1)),           # [N] A has \/ at 4.0 -> row B 3: Re 1
    ((12, 6.5, "II", "normal"), ("A", 2, 0, 1)),          # [N] row B has /\ at 6.5 -> row A
    ((12, 10.0, "II", "normal"), ("C", 5, 1, 2)),         # [N] row B has \/ at 10 -> row C 5: Re 2
    ((1000, 1.0, "II", "tightened"), ("J", 80, 1, 2)),    # [T] row J 80: Re 2 at 1.0
    ((1000, 6.5, "II", "tightened"), ("J", 80, 8, 9)),    # [T] Re 9 at 6.5
    ((1000, 0.65, "II", "tightened"), ("K", 125, 1, 2)),  # [T] J has \/ at 0.65 -> row K 125: Re 2
]


@pytest.mark.parametrize(("args", "expected"), ISO_CELLS, ids=[f"{a[0]}-{a[1]}-{a[3]}" for a, _ in ISO_CELLS])
def test_iso2859_plans_equal_the_published_tables(args: tuple, expected: tuple) -> None:
    plan = sampling.iso2859_plan(*args)
    assert (plan.code_letter, plan.n, plan.c, plan.re) == expected
    assert not plan.full_inspection and plan.method == "iso2859"


@pytest.mark.parametrize(("lot", "level", "letter"), [
    (1000, "S-1", "C"), (1000, "S-2", "C"), (1000, "S-3", "E"), (1000, "S-4", "F"), (1000, "I", "G"),
    (1000, "III", "K"), (1_000_000, "S-3", "H"), (1_000_000, "I", "N"), (1_000_000, "III", "R"),
    (8, "II", "A"), (9, "II", "B"), (35_000, "II", "M"), (35_001, "II", "N"), (500_000, "II", "P"),
])
def test_code_letters_equal_table_i(lot: int, level: str, letter: str) -> None:
    assert sampling.iso2859_code_letter(lot, level) == letter  # [I]


def test_iso2859_inspects_the_whole_lot_when_the_sample_would_exceed_it() -> None:
    plan = sampling.iso2859_plan(50, 0.010)  # D row, arrow down to Q (1250): 100 % inspection
    assert plan.full_inspection and plan.n == 50 and plan.lot_size == 50


# MIL-STD-105E Table II-C (reduced inspection, single sampling): (lot, AQL %, level) -> (letter, n, Ac, Re).
#  [R] the resolved reduced-inspection matrices (sample size, acceptance and rejection numbers by code
#      letter x AQL, arrows already followed) of the R package AQLSchemes 1.7-2 by J. Lawson (CRAN),
#      "MIL-STD-105E - ANSI/ASQ Z1.4 ... from the published tables", source as kept in
#      github.com/fjgonzalezmgt/AQLSchemesCust R/AAZ14Single.R (ANSIASQSingleReducedss/ac/re).
#      The letter is the one whose plan applies (after the arrows); AQLSchemes gives n, Ac, Re.
REDUCED_CELLS = [
    ((1000, 0.10, "II"), ("K", 50, 0, 1)),     # [R] J: arrow down to K
    ((1000, 0.25, "II"), ("H", 20, 0, 1)),     # [R] J: arrow up to H
    ((1000, 0.40, "II"), ("K", 50, 0, 2)),     # [R] J: arrow down to K
    ((1000, 0.65, "II"), ("J", 32, 0, 2)),     # [R]
    ((1000, 1.0, "II"), ("J", 32, 1, 3)),      # [R]
    ((1000, 1.5, "II"), ("J", 32, 1, 4)),      # [R]
    ((1000, 2.5, "II"), ("J", 32, 2, 5)),      # [R]
    ((1000, 4.0, "II"), ("J", 32, 3, 6)),      # [R]
    ((1000, 6.5, "II"), ("J", 32, 5, 8)),      # [R]
    ((1000, 10.0, "II"), ("J", 32, 7, 10)),    # [R]
    ((5000, 6.5, "II"), ("L", 80, 10, 13)),    # [R]
    ((5000, 10.0, "II"), ("K", 50, 10, 13)),   # [R] L: arrow up to K
    ((1_000_000, 0.010, "II"), ("Q", 500, 0, 1)),   # [R]
    ((1_000_000, 0.025, "II"), ("R", 800, 0, 2)),   # [R] Q: arrow down to R
    ((5, 6.5, "II"), ("A", 2, 0, 1)),          # [R]
    ((12, 10.0, "II"), ("C", 2, 0, 2)),        # [R] B: arrow down to C (same n = 2)
    ((30, 10.0, "II"), ("D", 3, 1, 3)),        # [R]
    ((1000, 1.0, "III"), ("K", 50, 1, 4)),     # [R] level III: K
    ((2000, 0.65, "II"), ("K", 50, 1, 3)),     # [R]
]


@pytest.mark.parametrize(("args", "expected"), REDUCED_CELLS, ids=[f"{a[0]}-{a[1]}-{a[2]}" for a, _ in REDUCED_CELLS])
def test_reduced_plans_equal_mil_std_105e_table_ii_c(args: tuple, expected: tuple) -> None:
    plan = sampling.iso2859_plan(*args, inspection="reduced")
    assert (plan.code_letter, plan.n, plan.c, plan.re) == expected
    assert plan.inspection == "reduced" and not plan.full_inspection
    assert plan.has_gap == (expected[3] > expected[2] + 1)


def test_reduced_table_has_the_standards_shape() -> None:
    """Reduced sample sizes are those of Table II-C (A-C 2, D 3, ... R 800), never above normal's
    at the same cell, and every plan with Ac >= 1 has a gap (Re > Ac + 1)."""
    sizes = dict(zip("ABCDEFGHJKLMNPQR", (2, 2, 2, 3, 5, 8, 13, 20, 32, 50, 80, 125, 200, 315, 500, 800), strict=True))
    seen = set()
    for lot in (5, 12, 20, 40, 70, 120, 200, 400, 1000, 2000, 5000, 20_000, 100_000, 300_000, 1_000_000):
        for aql in sampling.ISO_AQLS:
            try:
                plan = sampling.iso2859_plan(lot, aql, "III" if lot == 1_000_000 else "II", inspection="reduced")
            except WorkbenchError:
                continue  # an arrow off the table (tested below)
            normal = sampling.iso2859_plan(lot, aql, "III" if lot == 1_000_000 else "II")
            seen.add(plan.code_letter)
            if not plan.full_inspection:
                assert plan.n == sizes[plan.code_letter] and plan.n <= normal.n
            assert (plan.re > plan.c + 1) == (plan.c >= 1 or plan.re == 2)
    assert seen == set("ABCDEFGHJKLMNPQR")


def test_reduced_arrows_off_the_table_are_errors() -> None:
    with pytest.raises(WorkbenchError, match="Table II-C: the cell of code letter A at AQL 10 points up"):
        sampling.iso2859_plan(5, 10.0, inspection="reduced")
    with pytest.raises(WorkbenchError, match="Table II-C: the cell of code letter R at AQL 0.015 points down"):
        sampling.iso2859_plan(1_000_000, 0.015, "III", inspection="reduced")


def test_a_reduced_lot_between_ac_and_re_is_accepted_and_goes_back_to_normal() -> None:
    plan = sampling.iso2859_plan(1000, 1.5, inspection="reduced")  # J: n 32, Ac 1, Re 4
    between = sampling.check_sample(plan, [False, False, False] + [True] * 29)
    assert between.decision == "accept" and between.back_to_normal
    assert "3 errors between c=1 and Re=4 (accept this lot; return to normal inspection" in between.summary()
    clean = sampling.check_sample(plan, [False] + [True] * 31)
    assert clean.accepted and not clean.back_to_normal and "1 error ≤ c=1" in clean.summary()
    rejected = sampling.check_sample(plan, [False] * 4 + [True] * 28)
    assert rejected.decision == "reject" and rejected.n_used == 4 and not rejected.back_to_normal
    # a lot is accepted below Re: the OC curve is P(X <= Re - 1), the binomial at 3
    p = np.array([0.01, 0.05, 0.1])
    assert np.allclose(plan.accept_probability(p), stats.binom.cdf(3, 32, p))
    assert "2–3 errors: accept, and return to normal inspection for the next lot" in plan.describe()
    assert sampling.plan_from_dict(json.dumps(plan.to_dict())) == plan


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"rejection_number": 1}, "rejection_number=1 must be a whole number from c \\+ 1 = 2 to n = 32"),
    ({"rejection_number": 40}, "rejection_number=40"),
    ({"rejection_number": 3.0}, "rejection_number=3.0"),
])
def test_rejection_number_is_checked(kwargs: dict, match: str) -> None:
    with pytest.raises(WorkbenchError, match=match):
        sampling.SingleSamplingPlan(32, 1, **kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"lot_size": 1000, "aql": 25}, "percent-nonconforming AQLs 0.010–10"),
    ({"lot_size": 1000, "aql": 0.5}, "not an AQL of the ISO 2859-1 tables"),
    ({"lot_size": 5, "aql": 10.0}, "points up past the table"),
    ({"lot_size": 1000, "aql": 1.0, "level": "IV"}, "level"),
    ({"lot_size": 1.5, "aql": 1.0}, "lot_size"),
])
def test_iso2859_refuses_what_it_cannot_answer(kwargs: dict, match: str) -> None:
    with pytest.raises(WorkbenchError, match=match):
        sampling.iso2859_plan(**kwargs)


# ---- switching rules (MIL-STD-105E 4.7 / ANSI/ASQC Z1.4 8.3-8.4, 10.1.4) -----------------------------
# Hand-worked sequences on a stream of lots of 1,000 at AQL 1.0 %, level II (code letter J):
# normal n 80 Ac 2 Re 3; tightened n 80 Ac 1 Re 2; reduced n 32 Ac 1 Re 3 (tests above).
def _feed(sw: sampling.InspectionSwitcher, errors: list[int], steady: list[bool] | None = None) -> list[str]:
    return [sw.update(e, sw.plan(1000, 1.0), steady=True if steady is None else steady[k]) for k, e in enumerate(errors)]


def test_normal_goes_tightened_when_2_of_5_or_fewer_consecutive_lots_are_not_accepted() -> None:
    sw = sampling.InspectionSwitcher()
    assert _feed(sw, [3, 0, 0, 3]) == ["normal"] * 3 + ["tightened"]  # lots 1 and 4: 2 of 4
    sw = sampling.InspectionSwitcher()
    # lots 1 and 6 are 6 lots apart: never 2 in any 5 consecutive lots
    assert _feed(sw, [3, 0, 0, 0, 0, 3]) == ["normal"] * 6
    # lots 6 and 10: 2 of 5 consecutive lots
    assert _feed(sw, [0, 0, 0, 3]) == ["normal"] * 3 + ["tightened"]
    assert sw.history()["reason"].iloc[-1] == "2 of the last 5 lots on normal inspection not accepted"


def test_tightened_goes_normal_after_5_consecutive_accepted_lots() -> None:
    sw = sampling.InspectionSwitcher()
    assert _feed(sw, [3, 3]) == ["normal", "tightened"]
    assert sw.plan(1000, 1.0).c == 1  # tightened J
    # a lot not accepted (2 >= Re 2) at the 4th restarts the count: normal after lots 5-9
    assert _feed(sw, [0, 0, 0, 2, 0, 0, 0, 0, 0]) == ["tightened"] * 8 + ["normal"]
    # back on normal, the 2-of-5 window starts afresh: one more rejection is not enough
    assert _feed(sw, [3]) == ["normal"]


def test_tightened_is_discontinued_when_5_lots_are_not_accepted_and_resumes_tightened() -> None:
    sw = sampling.InspectionSwitcher()
    _feed(sw, [3, 3])
    # alternating: never 5 accepted in a row, and the 5th lot not accepted stops inspection
    assert _feed(sw, [2, 0, 2, 0, 2, 0, 2, 0, 2]) == ["tightened"] * 8 + ["discontinued"]
    with pytest.raises(WorkbenchError, match="discontinued: 5 lots were not accepted on tightened"):
        sw.plan(1000, 1.0)
    with pytest.raises(WorkbenchError, match="resume\\(\\)"):
        sw.update(0, sampling.iso2859_plan(1000, 1.0, inspection="tightened"))
    assert sw.resume() == "tightened"
    assert _feed(sw, [2, 2, 2, 2]) == ["tightened"] * 4  # the count restarted at resume
    assert _feed(sw, [2]) == ["discontinued"]


def test_normal_goes_reduced_after_10_accepted_lots_only_when_the_authority_wants_it() -> None:
    assert _feed(sampling.InspectionSwitcher(), [0] * 30) == ["normal"] * 30
    sw = sampling.InspectionSwitcher(reduced=True)
    assert _feed(sw, [0] * 10) == ["normal"] * 9 + ["reduced"]  # the 11th lot is on reduced
    plan = sw.plan(1000, 1.0)
    assert (plan.n, plan.c, plan.re, plan.inspection) == (32, 1, 3, "reduced")
    # a rejection restarts the count of 10: lots 11-20 accepted -> reduced after lot 20
    sw = sampling.InspectionSwitcher(reduced=True)
    assert _feed(sw, [0] * 9 + [3] + [0] * 10) == ["normal"] * 19 + ["reduced"]


def test_the_limit_number_and_steady_production_gate_reduced_inspection() -> None:
    # errors 1,1,1 then 0s: 3 > limit 2 after lot 10; lots 2-11 hold 2 <= 2 -> reduced after lot 11
    sw = sampling.InspectionSwitcher(reduced=True, limit_number=2)
    assert _feed(sw, [1, 1, 1] + [0] * 8) == ["normal"] * 10 + ["reduced"]
    assert sw.history()["reason"].iloc[-1] == ("10 consecutive lots accepted on normal inspection, 2 errors ≤ limit "
                                               "number 2, production steady")
    # production not steady at the 10th lot: no switch; the 11th (steady) lot switches
    sw = sampling.InspectionSwitcher(reduced=True)
    assert _feed(sw, [0] * 11, steady=[True] * 9 + [False, True]) == ["normal"] * 10 + ["reduced"]


def test_reduced_goes_back_to_normal_on_a_rejection_a_lot_in_the_gap_or_unsteady_production() -> None:
    def on_reduced() -> sampling.InspectionSwitcher:
        sw = sampling.InspectionSwitcher(reduced=True)
        _feed(sw, [0] * 10)
        assert sw.inspection == "reduced"
        return sw

    sw = on_reduced()
    assert _feed(sw, [0, 1]) == ["reduced", "reduced"]  # 1 error = Ac: stays reduced
    assert _feed(sw, [2]) == ["normal"]  # Ac 1 < 2 < Re 3: accepted, back to normal
    last = sw.history().iloc[-1]
    assert bool(last["accepted"]) and last["reason"].startswith("2 errors between Ac=1 and Re=3")
    sw = on_reduced()
    assert _feed(sw, [3]) == ["normal"] and not bool(sw.history()["accepted"].iloc[-1])
    sw = on_reduced()
    assert _feed(sw, [0], steady=[False]) == ["normal"]
    # back on normal, 10 more accepted lots are needed
    assert _feed(sw, [0] * 10) == ["normal"] * 9 + ["reduced"]
    assert sw.summary() == ("21 lot(s) recorded; next lot: reduced inspection; last switch after lot 21: 10 "
                            "consecutive lots accepted on normal inspection, production steady")


def test_the_switcher_refuses_what_does_not_fit() -> None:
    sw = sampling.InspectionSwitcher()
    tight = sampling.iso2859_plan(1000, 1.0, inspection="tightened")
    with pytest.raises(WorkbenchError, match="plan is for tightened inspection, but normal inspection applies"):
        sw.update(0, tight)
    normal = sw.plan(1000, 1.0)
    for bad in (-1, 81, 1.5, True):
        with pytest.raises(WorkbenchError, match="errors=.* from 0 to n=80"):
            sw.update(bad, normal)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="nothing to resume"):
        sw.resume()
    with pytest.raises(WorkbenchError, match="limit_number=-1"):
        sampling.InspectionSwitcher(limit_number=-1)
    with pytest.raises(TypeError, match="reduced must be True or False"):
        sampling.InspectionSwitcher(reduced="yes")  # type: ignore[arg-type]
    assert sw.history().empty and list(sw.history().columns) == [
        "lot", "inspection", "code_letter", "n", "ac", "re", "errors", "accepted", "next_inspection", "reason"]


# ---- two-point plans: equal to a brute-force search ---------------------------------------------
def _brute_force(aql: float, ltpd: float, alpha: float, beta: float, lot: int | None) -> tuple[int, int]:
    """Smallest n, then smallest c, over every (n, c) with both risks met."""
    n = np.arange(1, (lot or 1500) + 1)
    c = np.arange(0, 40)[:, None]
    if lot is None:
        pa0, pa1 = stats.binom.cdf(c, n, aql / 100), stats.binom.cdf(c, n, ltpd / 100)
    else:
        d0, d1 = math.floor(lot * aql / 100 + 1e-9), math.ceil(lot * ltpd / 100 - 1e-9)
        pa0, pa1 = stats.hypergeom.cdf(c, lot, d0, n), stats.hypergeom.cdf(c, lot, d1, n)
    ok = (pa0 >= 1 - alpha) & (pa1 <= beta) & (c < n) & (n < (lot or 10**9))
    cs, ns = np.nonzero(ok)
    best = np.lexsort((cs, n[ns]))[0]
    return int(n[ns[best]]), int(cs[best])


@pytest.mark.parametrize("lot", [None, 400])
@pytest.mark.parametrize(("aql", "ltpd"), [(0.5, 4.0), (1.0, 5.0), (2.0, 8.0), (1.0, 10.0)])
@pytest.mark.parametrize(("alpha", "beta"), [(0.05, 0.10), (0.10, 0.05)])
def test_two_point_plan_equals_brute_force(lot: int | None, aql: float, ltpd: float, alpha: float, beta: float) -> None:
    plan = sampling.sampling_plan(lot, aql=aql, ltpd=ltpd, producer_risk=alpha, consumer_risk=beta,
                                  kind="hypergeometric" if lot else "binomial")
    assert (plan.n, plan.c) == _brute_force(aql, ltpd, alpha, beta, lot)


def test_oc_curves_equal_scipy() -> None:
    p = np.linspace(0, 0.2, 41)
    binom = sampling.SingleSamplingPlan(80, 2)
    assert np.allclose(binom.oc_curve(p)["accept_probability"], stats.binom.cdf(2, 80, p))
    hyper = sampling.SingleSamplingPlan(80, 2, lot_size=500, kind="hypergeometric")
    assert np.allclose(hyper.oc_curve(p)["accept_probability"], stats.hypergeom.cdf(2, 500, np.rint(p * 500), 80))
    curve = hyper.oc_curve(p)
    assert np.allclose(curve["aoq"], curve["accept_probability"] * p * (500 - 80) / 500)
    assert hyper.aoql == pytest.approx(curve["aoq"].max(), rel=0.05) and hyper.aoql >= curve["aoq"].max() - 1e-12


# ---- zero-failure plans ---------------------------------------------------------------------------
@pytest.mark.parametrize("target", [0.9, 0.95, 0.99, 0.995, 0.999, 0.9999])
@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_zero_failure_sizes_equal_the_closed_form(target: float, confidence: float) -> None:
    n = sampling.zero_failure_sample_size(target, confidence)
    assert n == math.ceil(math.log(1 - confidence) / math.log(target))
    assert target**n <= 1 - confidence < target ** (n - 1)
    lot = 20_000
    m = sampling.zero_failure_sample_size(target, confidence, lot_size=lot)
    defects = math.ceil(lot * (1 - target) - 1e-9)
    assert stats.hypergeom.pmf(0, lot, defects, m) <= 1 - confidence < stats.hypergeom.pmf(0, lot, defects, m - 1)
    assert m <= n


def test_the_seeds_case_one_million_frames_at_999_and_95() -> None:
    """README: frames of 1,000,000 to review for 99.9% accuracy at 95% confidence."""
    assert sampling.zero_failure_sample_size(0.999, 0.95) == 2995
    assert sampling.zero_failure_sample_size(0.999, 0.95, lot_size=1_000_000) == 2990


# ---- the sequential test: simulation over 10,000 lots --------------------------------------------
def _simulate(plan: sampling.SequentialPlan, p: float, rng: np.random.Generator, lots: int = 10_000,
              length: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    """Decision (True = reject) and items reviewed of ``lots`` lots at error rate ``p``, vectorised."""
    rejected, used = [], []
    m = np.arange(1, length + 1, dtype=float)
    upper, lower = plan.h1 + plan.s * m, -plan.h0 + plan.s * m
    for _ in range(lots // 2500):
        errors = np.cumsum(rng.random((2500, length), dtype=np.float32) < p, axis=1, dtype=np.int16)
        reject, accept = errors >= upper, errors <= lower
        crossed = reject | accept
        first = crossed.argmax(axis=1)
        assert crossed.any(axis=1).all(), "a simulated lot never decided; lengthen the simulation"
        rejected.append(reject[np.arange(2500), first])
        used.append(first + 1)
    return np.concatenate(rejected), np.concatenate(used)


def test_sprt_error_rates_and_sample_numbers_by_simulation() -> None:
    p0, p1, alpha, beta = 0.01, 0.05, 0.05, 0.10
    plan = sampling.sequential_plan(p0, p1, alpha, beta)
    single = sampling.sampling_plan(None, aql=100 * p0, ltpd=100 * p1, producer_risk=alpha, consumer_risk=beta,
                                    kind="binomial")
    rng = np.random.default_rng(32)
    rej0, n0 = _simulate(plan, p0, rng)
    rej1, n1 = _simulate(plan, p1, rng)
    # 3 binomial standard errors of a rate estimated from 10,000 lots: the realised rate exceeds the
    # planned one by more only with probability ~0.1 % if the plan is right
    tol = lambda r: 3 * math.sqrt(r * (1 - r) / 10_000)  # noqa: E731
    assert rej0.mean() <= alpha + tol(alpha), f"realised alpha {rej0.mean():.4f}"
    assert (1 - rej1.mean()) <= beta + tol(beta), f"realised beta {1 - rej1.mean():.4f}"
    assert n0.mean() < single.n and n1.mean() < single.n, (n0.mean(), n1.mean(), single.n)
    # Wald's ASN leaves out the overshoot past the lines, so the realised numbers lie at or above it
    assert plan.asn_p0 * 0.95 <= n0.mean() <= plan.asn_p0 * 1.3 and plan.asn_p1 * 0.95 <= n1.mean() <= plan.asn_p1 * 1.3
    # the running check decides like the vectorised path on a few lots
    for seed in range(5):
        seq = np.random.default_rng(seed).random(1500) >= p1
        decision, at, _ = sampling.sequential_path(plan, seq)
        check = sampling.SequentialCheck(plan)
        outcome = "continue"
        for ok in seq:
            outcome = check.update(bool(ok))
            if outcome != "continue":
                break
        assert (outcome, check.decided_at, check.n) == (decision, at, at)


def test_sequential_check_undo_and_lines() -> None:
    plan = sampling.sequential_plan(0.01, 0.05, 0.05, 0.10)
    check = sampling.SequentialCheck(plan)
    for _ in range(plan.min_accept_n):
        check.update(True)
    assert check.decision == "accept" and check.summary() == f"accept reached after {plan.min_accept_n} items (0 errors)"
    assert check.undo() == "continue" and check.summary().startswith("continue:")
    assert check.update(False) == "continue" and check.errors == 1
    with pytest.raises(WorkbenchError, match="correct=1"):
        check.update(1)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="p0=0.05 must be below p1=0.01"):
        sampling.sequential_plan(0.05, 0.01)


# ---- judging a reviewed sample ---------------------------------------------------------------------
def test_accuracy_bounds_are_exact() -> None:
    from statsmodels.stats.proportion import proportion_confint

    for n, x, conf in [(1250, 2, 0.90), (80, 0, 0.95), (300, 7, 0.99)]:
        _, upper = proportion_confint(x, n, alpha=2 * (1 - conf), method="beta")  # one-sided = two-sided at 1-2a
        assert sampling.accuracy_lower_bound(n, x, conf) == pytest.approx(1 - upper, abs=1e-9)
    lot, n, x, conf = 400, 60, 1, 0.9
    bound = sampling.accuracy_lower_bound(n, x, conf, lot_size=lot)
    d_upper = round((1 - bound) * lot)
    assert stats.hypergeom.cdf(x, lot, d_upper, n) >= 1 - conf > stats.hypergeom.cdf(x, lot, d_upper + 1, n)


def test_check_sample_words_the_plan_and_its_risk() -> None:
    plan = sampling.SingleSamplingPlan(1250, 3, consumer_risk=0.10)
    ok = sampling.check_sample(plan, [True] * 1248 + [False] * 2)
    assert ok.decision == "accept" and ok.summary().startswith("accept: 1,250 sampled, 2 errors ≤ c=3; the lot's "
                                                               "accuracy is ≥ 99.57% at 90% confidence")
    early = sampling.check_sample(plan, [False] * 4 + [True] * 10)
    assert early.decision == "reject" and early.n_used == 4 and "stopped early" in early.summary()
    assert sampling.check_sample(plan, [True] * 10).decision == "continue"
    with pytest.raises(WorkbenchError, match="True/False"):
        sampling.check_sample(plan, [1, 0, 1])


def test_plans_round_trip_through_json() -> None:
    plans = [sampling.iso2859_plan(1000, 1.0), sampling.zero_failure_plan(0.999, 0.95, 10_000),
             sampling.sampling_plan(5000, aql=1.0, ltpd=5.0), sampling.sequential_plan(0.01, 0.05, lot_size=9000)]
    for plan in plans:
        assert sampling.plan_from_dict(json.dumps(plan.to_dict())) == plan
        assert plan.summary()
    with pytest.raises(WorkbenchError, match="unknown field"):
        sampling.plan_from_dict({"type": "single", "n": 5, "c": 0, "size": 3})
    with pytest.raises(WorkbenchError, match="not valid JSON"):
        sampling.plan_from_dict("{n: 5")


@pytest.mark.parametrize(("call", "match"), [
    (lambda: sampling.zero_failure_sample_size(1.2, 0.95), "target=1.2"),
    (lambda: sampling.zero_failure_sample_size(0.99, 95), "confidence=95"),
    (lambda: sampling.sampling_plan(100, aql=5, ltpd=1), "aql=5 must be below ltpd=1"),
    (lambda: sampling.sampling_plan(100, aql=0.01, ltpd=150), "ltpd=150"),
    (lambda: sampling.sampling_plan(100, aql=1, ltpd=5, kind="poisson"), "kind"),
    (lambda: sampling.SingleSamplingPlan(10, 0, lot_size=5), "exceeds lot_size=5"),
])
def test_bad_input_names_the_parameter(call: object, match: str) -> None:
    with pytest.raises(WorkbenchError, match=match):
        call()  # type: ignore[operator]


def test_reviewed_outcomes_read_the_usual_spellings_and_refuse_the_rest() -> None:
    t = pd.DataFrame({"item_id": ["a", "b", "c", "d"], "correct": ["Yes", "0", "correct", "FALSE"]})
    assert sampling.reviewed_outcomes(t).tolist() == [True, False, True, False]
    d = pd.DataFrame({"doc_id": ["a", "b"], "decision": ["Acceptable", "Unsafe"]})
    assert sampling.reviewed_outcomes(d, item="doc_id", correct="decision", correct_values=["Acceptable"]).tolist() == [
        True, False]
    with pytest.raises(WorkbenchError, match="neither correct nor incorrect"):
        sampling.reviewed_outcomes(t.assign(correct=["yes", "maybe", "no", "no"]))
    with pytest.raises(WorkbenchError, match="repeat an id"):
        sampling.reviewed_outcomes(t.assign(item_id=["a", "a", "b", "c"]))
    with pytest.raises(WorkbenchError, match="correct="):
        sampling.reviewed_outcomes(t, correct="verdict")


# ---- in the review flow ----------------------------------------------------------------------------
def _lot(n: int) -> pd.DataFrame:
    return pd.DataFrame({"item_id": [f"i{k}" for k in range(n)], "text": [f"text {k}" for k in range(n)]})


def test_acceptance_sample_strategy_draws_the_plan_seeded_and_records_it(tmp_path: Path) -> None:
    from workbench.review import ReviewQueue, ReviewStore, make_strategy

    plan = sampling.iso2859_plan(1000, 1.0)
    store = ReviewStore(tmp_path / "r.sqlite", synchronous="NORMAL")
    q = ReviewQueue(_lot(1000), store, reviewer="qa", strategy=make_strategy("acceptance-sample", plan=plan, seed=7),
                    gold_share=0.0)
    again = ReviewQueue(_lot(1000), store, reviewer="qa2", strategy=make_strategy("acceptance-sample", plan=plan, seed=7),
                        gold_share=0.0)
    assert len(q.plan) == plan.n and list(q.plan["item_id"]) == list(again.plan["item_id"])
    item = q.next()
    assert item is not None
    event = q.submit(item, "Acceptable", display_ms=500)
    meta = json.loads(event.meta)
    assert meta["sample_seed"] == 7 and sampling.plan_from_dict(meta["acceptance_plan"]) == plan
    with pytest.raises(WorkbenchError, match="lot of 1,000 items"):
        ReviewQueue(_lot(900), store, reviewer="x", strategy=make_strategy("acceptance-sample", plan=plan))


def test_the_widget_shows_the_sequential_check_live(tmp_path: Path) -> None:
    from workbench.review import AcceptanceSample, ReviewQueue, ReviewStore, ReviewWidget

    plan = sampling.sequential_plan(0.01, 0.05, 0.05, 0.10, lot_size=400)
    store = ReviewStore(tmp_path / "r.sqlite", synchronous="NORMAL")
    q = ReviewQueue(_lot(400), store, reviewer="qa", strategy=AcceptanceSample(plan, seed=1), sequential=plan,
                    gold_share=0.0)
    w = ReviewWidget(q, min_display_ms=0)
    assert "sequential check: continue" in w.progress["text"]
    w.decide("Unsafe")  # one error: the lines move the acceptance out
    for _ in range(plan.min_accept_n - 1):
        w.decide("Acceptable")
    assert "accept reached" not in w.progress["text"]
    while "accept reached" not in w.progress["text"]:
        assert w.decide("Acceptable")
    n_done = q.progress().done
    assert f"accept reached after {n_done} items (1 error)" in w.progress["text"]
    w.undo()  # the last decision taken back: not decided any more
    assert "sequential check: continue" in w.progress["text"]
    # a new queue on the same store (a restarted kernel) folds the decisions back in
    again = ReviewQueue(_lot(400), store, reviewer="qa", strategy=AcceptanceSample(plan, seed=1), sequential=plan,
                        gold_share=0.0)
    assert again.progress().acceptance == q.progress().acceptance
    # a revision of the first decision (the error) rebuilds the path
    first = q.history(10_000)[-1]
    q.revise(first.event_id, "Acceptable")
    assert q.progress().acceptance.startswith("accept reached after")  # type: ignore[union-attr]


# ---- the analysis and the CLI print the same result ------------------------------------------------
def test_cli_plan_and_check_print_the_analysis(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from workbench.analyses import acceptance_plan
    from workbench.cli import app

    out = tmp_path / "plan.json"
    res = CliRunner().invoke(app, ["acceptance", "plan", "--lot", "20000", "--iso", "--aql", "1.0", "--level", "II",
                                   "--inspection", "normal", "--out", str(out)])
    assert res.exit_code == 0, res.output
    plan = acceptance_plan.read_plan(out)
    assert res.output.splitlines()[0] == acceptance_plan.run(method="iso2859", lot_size=20000, aql=1.0).verdict.headline
    assert (plan.code_letter, plan.n, plan.c) == ("M", 315, 7)  # type: ignore[union-attr]
    reviewed = tmp_path / "reviewed.csv"
    pd.DataFrame({"item_id": range(315), "correct": [k not in (4, 90) for k in range(315)]}).to_csv(reviewed, index=False)
    res = CliRunner().invoke(app, ["acceptance", "check", str(reviewed), "--plan", str(out)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("accept: 315 sampled, 2 errors ≤ c=7")
    zero = CliRunner().invoke(app, ["acceptance", "plan", "--target", "0.999", "--confidence", "0.95"])
    assert zero.output.startswith("Review 2,990 of 1,000,000 items") and "2995" in zero.output
    bad = CliRunner().invoke(app, ["acceptance", "plan", "--aql", "1"])
    assert bad.exit_code != 0 and "--aql needs --ltpd" in str(bad.exception)


def test_cli_plans_and_checks_reduced_inspection(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from workbench.analyses import acceptance_plan
    from workbench.cli import app

    out = tmp_path / "plan.json"
    res = CliRunner().invoke(app, ["acceptance", "plan", "--lot", "1000", "--iso", "--aql", "1.5", "--inspection",
                                   "reduced", "--out", str(out)])
    assert res.exit_code == 0, res.output
    plan = acceptance_plan.read_plan(out)
    assert (plan.code_letter, plan.n, plan.c, plan.re) == ("J", 32, 1, 4)  # type: ignore[union-attr]
    assert res.output.splitlines()[0] == ("Review 32 of 1,000 items, drawn at random; accept the lot with at most 1 "
                                          "error; with 2–3 errors accept it too, but return to normal inspection for "
                                          "the next lot; reject at 4.")
    reviewed = tmp_path / "reviewed.csv"
    pd.DataFrame({"item_id": range(32), "correct": [k not in (3, 9, 20) for k in range(32)]}).to_csv(reviewed, index=False)
    res = CliRunner().invoke(app, ["acceptance", "check", str(reviewed), "--plan", str(out)])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("accept: 32 sampled, 3 errors between c=1 and Re=4 (accept this lot; return to "
                                 "normal inspection for the next one)")
    r = acceptance_plan.run(pd.read_csv(reviewed), method="iso2859", lot_size=1000, aql=1.5, inspection="reduced")
    assert r.verdict.outcome == "accept" and r.checks().ok, r.checks().summary()


def test_analysis_checks_hold_and_can_fail() -> None:
    import dataclasses

    from workbench.analyses import acceptance_plan

    for method in acceptance_plan.METHODS:
        r = acceptance_plan.run(method=method, lot_size=20_000)
        assert r.checks().ok, (method, r.checks().summary())
        assert r.oc_figure().data and (method != "sequential" or r.sequential_figure() is not None)
    r = acceptance_plan.run(pd.DataFrame({"item_id": range(80), "correct": [True] * 78 + [False] * 2}),
                            method="iso2859", lot_size=1000)
    assert r.verdict.outcome == "accept" and r.checks().ok and len(r.errors_table()) == 2  # type: ignore[arg-type]
    broken = dataclasses.replace(r, check=dataclasses.replace(r.check, n_errors=99))  # type: ignore[type-var]
    assert "errors are among the reviewed items" in {c.name for c in broken.checks().failed}
