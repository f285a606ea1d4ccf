"""The vendor-comparison report as one analysis: read both vendors' tables, compare, decide.

``run`` is what the ``vendor_comparison`` notebook and ``workbench vendors`` both call, with
the defaults declared once (:data:`DEFAULTS`); the notebook shows the result, the CLI prints
its ``summary()``. Reading the files lives here (:func:`load_inputs`, on
:func:`workbench.io.load_table`); :mod:`workbench.vendors` computes on frames only.

Examples
--------
>>> from workbench.report_inputs import sample_dir
>>> r = run(sample_dir() / "vendor_a.csv", sample_dir() / "vendor_b.csv", n_resamples=200)
>>> r.verdict.outcome, r.checks().ok
('recommend_a', True)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import pandas as pd
import plotly.graph_objects as go

from workbench import io, vendors
from workbench.agreement import krippendorff_alpha
from workbench.analyses.base import Checks, Tone, Verdict, check
from workbench.analyses.defaults import VENDOR_COMPARISON
from workbench.errors import WorkbenchError
from workbench.plots import vendors as vendor_plots
from workbench.report_inputs import ReportInputs, resolve_inputs, sample_dir

__all__ = ["DEFAULTS", "SAMPLE_PRICES", "VendorComparisonReport", "VendorInputs", "load_inputs", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = VENDOR_COMPARISON

#: Prices per judgment of the committed sample vendors, used when a cost is left unknown
#: (negative) and the inputs are the sample tables (as ``gold="auto"`` takes the sample gold).
SAMPLE_PRICES: dict[str, float] = {"vendor_a.csv": 0.12, "vendor_b.csv": 0.08}

_PROPORTIONS = ("acc_cons", "acc_judg", "p_longer", "p_first")


@dataclass(frozen=True)
class VendorInputs:
    """Two vendor tables and an optional gold table, read from files and validated."""

    a: pd.DataFrame
    b: pd.DataFrame
    gold: pd.DataFrame | None
    kind: vendors.TableKind

    def summary(self) -> str:
        """One line: the kind, rows, items and annotators of each table, and gold."""
        key = "pair_id" if self.kind == "preferences" else "item_id"
        parts = [
            f"vendor {v}: {len(t):,} judgments of {t[key].nunique():,} items by "
            f"{t['annotator_id'].nunique():,} annotators"
            for v, t in (("a", self.a), ("b", self.b))
        ]
        gold = f"gold: {len(self.gold):,} items" if self.gold is not None else "no gold table"
        return f"{self.kind} tables; " + "; ".join(parts) + f"; {gold}."


def _same_bytes(a: Path, b: Path) -> bool:
    """Whether two files hold the same bytes (sizes first, then the contents in blocks)."""
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            ba, bb = fa.read(1 << 20), fb.read(1 << 20)
            if ba != bb:
                return False
            if not ba:
                return True


def load_inputs(
    vendor_a: str | os.PathLike[str],
    vendor_b: str | os.PathLike[str],
    gold: str | os.PathLike[str] | None = None,
    *,
    kind: Literal["auto", "annotations", "preferences"] = "auto",
    format: str = "auto",
    options: Mapping[str, object] | None = None,
) -> VendorInputs:
    """Read and validate the vendor tables and the gold table; compute nothing.

    Each file is read with :func:`workbench.io.load_table` and checked against its
    data-model schema (``kind``; ``"auto"``: told from vendor a's columns by the one
    table-kind rule), then the three tables against each other
    (:func:`workbench.vendors.check_tables`), so a malformed input fails here, before any
    analysis starts. ``options`` are the vendor files' reader options, e.g.
    ``{"question": "sentiment"}`` (one question of a multi-question export or table).

    Raises
    ------
    WorkbenchError
        Missing or unreadable file, schema violation (``SchemaError``, naming the file,
        column and rows), the same file (or identical contents) for both vendors, tables of
        different kinds, no shared items, gold labels the vendors never use.
    """
    from workbench._internal.tables import detect_kind
    from workbench._validation import check_choice

    check_choice(kind, name="kind", choices=("auto", "annotations", "preferences"))
    pa, pb = Path(vendor_a), Path(vendor_b)
    if pa.is_file() and pb.is_file() and (pa.samefile(pb) or _same_bytes(pa, pb)):
        raise WorkbenchError(
            f"vendor_a '{pa}' and vendor_b '{pb}' are the same file (identical contents); a vendor "
            "compared with itself says nothing. Pass the two vendors' own tables."
        )
    fmt = cast(Any, format)
    if kind == "auto":
        kind = cast(vendors.TableKind, detect_kind(io.load_table(vendor_a, format=fmt, options=options or None),
                                                   kinds=("annotations", "preferences"), name=f"vendor_a ({vendor_a})"))
    a = io.load_table(vendor_a, kind=kind, format=fmt, options=options or None)
    b = io.load_table(vendor_b, kind=kind, format=fmt, options=options or None)
    g = io.load_table(gold, kind="gold") if gold not in (None, "") else None  # type: ignore[arg-type]
    vendors.check_tables(a, b, g)
    return VendorInputs(a=a, b=b, gold=g, kind=kind)


@dataclass(frozen=True)
class VendorComparisonReport:
    """Everything the vendor-comparison report shows, computed once (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    tables: VendorInputs
    comparison: vendors.VendorComparison
    costs: tuple[float, float] | None
    findings: tuple[str, ...] = ()
    parameters: dict[str, Any] = field(default_factory=dict)

    # ---- helpers --------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, str]:
        return self.comparison.names

    @property
    def winner(self) -> str | None:
        return {"a": self.names[0], "b": self.names[1]}.get(self.comparison.recommended or "")

    def _row(self, key: str) -> pd.Series | None:
        rows = self.comparison.scorecard.set_index("key")
        return rows.loc[key] if key in rows.index else None

    # ---- decision -------------------------------------------------------------------------
    @property
    def data_line(self) -> str:
        return self.tables.summary()

    def recommendation(self) -> str:
        return (f"Recommendation: {self.winner}" if self.winner else
                "Recommendation: none — the evidence does not separate the vendors")

    @property
    def rationale(self) -> tuple[str, ...]:
        return self.comparison.rationale

    def decision_rule(self) -> str:
        return f"Decision rule. {self.comparison.decision_rule}"

    # ---- tables ---------------------------------------------------------------------------
    def scorecard(self) -> pd.DataFrame:
        """One row per metric (the index), both vendors, the difference and its interval."""
        return self.comparison.scorecard.drop(columns=["key"]).set_index("metric")

    def category_table(self) -> pd.DataFrame | None:
        bc = self.comparison.by_category
        if bc is None:
            return None
        wide = bc.pivot(index="category", columns="vendor", values=["n_gold", "consensus_accuracy", "judgment_accuracy"])
        wide.columns = [f"{metric}_{vendor}" for metric, vendor in wide.columns]
        return wide

    def category_note(self) -> str | None:
        if self.comparison.by_category is not None:
            return None
        return "No gold table or no category column: accuracy per category is not available."

    def bias_lines(self) -> list[str]:
        c = self.comparison
        if c.kind != "preferences":
            return ["Annotation tables: length and position bias apply to preference tables only."]
        out: list[str] = []
        for p in c.profiles:
            if p.length_bias is not None:
                out.append(f"{p.name}: {p.length_bias.summary()}")
            if p.position_bias is not None:
                out.append(f"{p.name}: {p.position_bias.summary()}")
        return out

    def annotators(self) -> pd.DataFrame:
        return pd.concat([p.annotators for p in self.comparison.profiles], ignore_index=True)

    def near_random_lines(self) -> list[str]:
        return [f"{p.name}: {len(p.near_random)} of {p.n_annotators} annotators near random "
                f"({p.near_random_share:.0%}): {', '.join(p.near_random) or 'none'}" for p in self.comparison.profiles]

    def _text_columns(self) -> list[str]:
        dis = self.comparison.disagreements
        return [c for c in ("prompt", "response_a", "response_b") if c in dis.columns]

    def disagreement_line(self) -> str:
        dis, (na, nb) = self.comparison.disagreements, self.names
        if len(dis):
            only_a = int((dis["correct_a"] & ~dis["correct_b"]).sum())
            only_b = int((~dis["correct_a"] & dis["correct_b"]).sum())
            both = int((~dis["correct_a"] & ~dis["correct_b"]).sum())
        else:
            only_a = only_b = both = 0
        return (f"{len(dis)} of {self.comparison.n_gold} gold items: only {na} right {only_a}, "
                f"only {nb} right {only_b}, both wrong {both}.")

    def disagreement_table(self, n: int = 30) -> pd.DataFrame:
        return self.comparison.disagreements.drop(columns=self._text_columns()).head(n)

    def examples(self) -> str | None:
        """The first ``n_examples`` gold disagreements in full (texts cut at 300 characters)."""
        dis, (na, nb) = self.comparison.disagreements, self.names
        n = int(self.parameters.get("n_examples", DEFAULTS["n_examples"]))
        blocks: list[str] = []
        for row in dis.head(n).itertuples(index=False):
            lines = [f"--- {row.item_id}: gold {row.gold!r}; {na} {row.consensus_a!r} ({row.votes_a}); "
                     f"{nb} {row.consensus_b!r} ({row.votes_b})"]
            if "len_a" in dis.columns:
                lines.append(f"  lengths: response_a {row.len_a:.0f}, response_b {row.len_b:.0f} words")
            lines += [f"  {col}: {str(getattr(row, col))[:300]}" for col in self._text_columns()]
            blocks.append("\n".join(lines))
        return "\n".join(blocks) or None

    # ---- figures --------------------------------------------------------------------------
    def difference_figure(self) -> go.Figure:
        return vendor_plots.difference_plot(self.comparison)

    def estimates_figure(self) -> go.Figure:
        return vendor_plots.estimates_plot(self.comparison)

    def category_figure(self) -> go.Figure | None:
        return None if self.comparison.by_category is None else vendor_plots.category_accuracy_plot(self.comparison)

    def bias_figure(self) -> go.Figure | None:
        return vendor_plots.bias_plot(self.comparison) if self.comparison.kind == "preferences" else None

    def annotator_figure(self) -> go.Figure:
        return vendor_plots.annotator_plot(self.comparison)

    def label_figure(self) -> go.Figure:
        return vendor_plots.label_distribution_plot(self.comparison)

    # ---- conclusions ----------------------------------------------------------------------
    def accuracy_line(self) -> str:
        c, (na, nb), acc = self.comparison, self.names, self._row("acc_cons")
        if not c.n_gold or acc is None:
            return "No gold items: accuracy was not measured, so no vendor can be recommended."
        return (f"Consensus labels match gold on {acc['a']:.1%} ({na}) vs {acc['b']:.1%} ({nb}) of "
                f"{c.n_gold} gold items; difference {100 * acc['difference']:+.1f} points, "
                f"{acc['ci_level']:.1%} CI {100 * acc['diff_low']:+.1f} to {100 * acc['diff_high']:+.1f}.")

    def conclusions(self) -> list[str]:
        lines = [self.accuracy_line()]
        alpha = self._row("alpha")
        if alpha is not None:
            lines.append(f"Krippendorff's alpha: {alpha['a']:.3f} vs {alpha['b']:.3f} (difference "
                         f"{alpha['difference']:+.3f}, CI {alpha['diff_low']:+.3f} to {alpha['diff_high']:+.3f}).")
        kappa = self.comparison.tests.set_index("test").loc[vendors.KAPPA_TEST]
        lines.append(f"The vendors' consensus labels agree with Cohen's kappa {kappa['statistic']:.3f} "
                     f"(CI {kappa['ci_low']:.3f}-{kappa['ci_high']:.3f}) on {int(kappa['n'])} items.")
        pl = self._row("p_longer")
        if pl is not None:
            lines.append(f"P(longer response preferred): {pl['a']:.1%} vs {pl['b']:.1%}.")
        cv = self._row("cost_valid")
        if cv is not None:
            lines.append(f"Cost per validated label: {cv['a']:.3f} vs {cv['b']:.3f}.")
        return lines

    def summary(self) -> str:
        """The verdict, the scorecard and the conclusions (what ``workbench vendors`` prints)."""
        card = self.comparison.scorecard[["metric", "a", "b", "difference", "diff_low", "diff_high", "ci_level",
                                          "favours"]]
        parts = [self.verdict.summary(), "", self.data_line, self.comparison.summary(),
                 card.to_string(index=False, float_format=lambda x: f"{x:.3f}"), *self.conclusions(),
                 *self.findings, self.checks().summary()]
        return "\n".join(p for p in parts if p)

    # ---- checks ---------------------------------------------------------------------------
    def checks(self) -> Checks:
        """The old sanity-check cell: estimates inside their intervals, proportions in [0, 1],
        label shares summing to 1, the decision following the scorecard, alpha recomputed."""
        c, card, tol = self.comparison, self.comparison.scorecard, 1e-9
        finite = card.dropna(subset=["a_low", "a_high", "b_low", "b_high"])
        in_a = (finite["a_low"] <= finite["a"] + tol) & (finite["a"] <= finite["a_high"] + tol)
        in_b = (finite["b_low"] <= finite["b"] + tol) & (finite["b"] <= finite["b_high"] + tol)
        props = card[card["key"].isin(_PROPORTIONS) | card["key"].str.startswith("share")]
        values = props[["a", "b"]].stack().dropna()
        shares = c.label_distribution[["share_a", "share_b"]].sum()
        items = [
            check("vendor a's estimates inside their bootstrap intervals", bool(in_a.all()),
                  f"{int((~in_a).sum())} of {len(finite)} outside"),
            check("vendor b's estimates inside their bootstrap intervals", bool(in_b.all()),
                  f"{int((~in_b).sum())} of {len(finite)} outside"),
            check("proportions in [0, 1]", bool(((values >= 0) & (values <= 1)).all()), f"{len(values)} values"),
            check("label shares sum to 1", bool(((shares - 1).abs() < 1e-9).all()), f"{shares.round(12).to_dict()}"),
        ]
        if c.recommended is not None:
            primary = set(card.loc[card["role"] == "primary", "favours"])
            other = {"a": "b", "b": "a"}[c.recommended]
            items.append(check("the recommendation follows from the primary metrics",
                               c.recommended in primary and not (primary - {c.recommended, ""}),
                               f"primary favours {sorted(primary)}"))
            items.append(check("no secondary metric significantly contradicts the recommendation",
                               not (card.loc[card["role"] == "secondary", "favours"] == other).any()))
        if c.gold_items is not None:
            items.append(check("gold item table and gold count agree", len(c.gold_items) == c.n_gold,
                               f"{len(c.gold_items)} vs {c.n_gold}"))
        item_col, label_col = ("pair_id", "choice") if c.kind == "preferences" else ("item_id", "label")
        a, b = self.tables.a, self.tables.b
        shared = a[a[item_col].isin(set(b[item_col]))]
        direct = krippendorff_alpha(shared, item=item_col, label=label_col)
        alpha = self._row("alpha")
        card_alpha = float("nan") if alpha is None else float(alpha["a"])
        items.append(check("scorecard alpha equals krippendorff_alpha", abs(direct - card_alpha) <= 1e-9,
                           f"{card_alpha} vs {direct}"))
        return Checks.of(items)


def _verdict(r: VendorComparisonReport) -> Verdict:
    c, acc = r.comparison, r._row("acc_cons")
    gap = ""
    if c.n_gold and acc is not None:
        gap = (f"{100 * acc['difference']:+.1f} points of gold accuracy ({r.names[0]} − {r.names[1]}), "
               f"{acc['ci_level']:.1%} CI {100 * acc['diff_low']:+.1f} to {100 * acc['diff_high']:+.1f}")
    tone: Tone
    if r.winner is not None:
        outcome, tone = f"recommend_{c.recommended}", "good"
        head = f"{r.winner} recommended" + (f": {gap}." if gap else ".")
        if c.decision.caveats:
            tone = "good"
    elif not c.n_gold:
        outcome, tone = "no_gold", "neutral"
        head = "No vendor recommended: no gold items shared by both vendors, so accuracy is not measured."
    else:
        outcome, tone = "no_recommendation", "warning"
        head = "No vendor recommended: the evidence does not separate the vendors" + (f" ({gap})." if gap else ".")
    bullets = list(c.rationale[:4])
    return Verdict(outcome=outcome, headline=head, bullets=tuple(bullets), tone=tone)


def _costs(cost_a: float, cost_b: float, inputs: ReportInputs | None, paths: tuple[str | None, str | None]
           ) -> tuple[tuple[float, float] | None, str | None]:
    """The prices per judgment; the sample vendors' prices when unknown on the sample tables."""
    if min(cost_a, cost_b) >= 0:
        return (cost_a, cost_b), None
    if inputs is not None and inputs.sample_run and all(p is not None for p in paths):
        names = tuple(Path(str(p)).name for p in paths)
        if names == ("vendor_a.csv", "vendor_b.csv") and all(
                Path(str(p)).resolve() == (sample_dir() / n).resolve() for p, n in zip(paths, names, strict=True)):
            a = cost_a if cost_a >= 0 else SAMPLE_PRICES["vendor_a.csv"]
            b = cost_b if cost_b >= 0 else SAMPLE_PRICES["vendor_b.csv"]
            return (a, b), f"Prices per judgment: the sample vendors' {a} and {b} (cost_a/cost_b not given)."
    return None, None


def run(
    vendor_a: pd.DataFrame | str | os.PathLike[str],
    vendor_b: pd.DataFrame | str | os.PathLike[str],
    *,
    gold: pd.DataFrame | str | os.PathLike[str] | None = "auto",
    format: str = DEFAULTS["format"],
    kind: str = DEFAULTS["kind"],
    name_a: str = DEFAULTS["name_a"],
    name_b: str = DEFAULTS["name_b"],
    cost_a: float = DEFAULTS["cost_a"],
    cost_b: float = DEFAULTS["cost_b"],
    confidence: float = DEFAULTS["confidence"],
    n_resamples: int = DEFAULTS["n_resamples"],
    near_random_margin: float = DEFAULTS["near_random_margin"],
    seed: int = DEFAULTS["seed"],
    n_examples: int = DEFAULTS["n_examples"],
    options: dict[str, Any] = DEFAULTS["options"],
) -> VendorComparisonReport:
    """Compare two vendors who labeled the same items and recommend one — or neither.

    Parameters
    ----------
    vendor_a, vendor_b
        The two vendors' tables (annotations or preferences) as frames or files.
    gold
        Gold labels as a frame or a file; ``"auto"``: the sample gold only with the sample
        vendors; ``""``/``None``: none (then nothing is recommended).
    format, kind
        How the vendor files are read, and their kind (``"auto"``: told from the columns).
    name_a, name_b
        Display names of the vendors.
    cost_a, cost_b
        Price of one judgment of each vendor; negative: unknown (no cost rows) — except on
        the committed sample vendors, whose prices (:data:`SAMPLE_PRICES`) are then used.
    confidence, n_resamples, near_random_margin, seed
        See :func:`workbench.vendors.compare_vendors`.
    n_examples
        Gold disagreements shown in full.
    options
        Reader options of the vendor files, e.g. ``{"question": "sentiment"}`` (one question of
        a multi-question export or table; such a file is refused without it, with the list of
        its questions).

    Returns
    -------
    VendorComparisonReport
    """
    inputs: ReportInputs | None = None
    findings: list[str] = []
    paths: tuple[str | None, str | None] = (None, None)
    if isinstance(vendor_a, pd.DataFrame) and isinstance(vendor_b, pd.DataFrame):
        g = gold if isinstance(gold, pd.DataFrame) else (
            io.load_table(gold, kind="gold") if gold not in (None, "", "auto") else None)  # type: ignore[arg-type]
        k = vendors.check_tables(vendor_a, vendor_b, g)
        tables = VendorInputs(vendor_a, vendor_b, g, k)
    elif isinstance(vendor_a, pd.DataFrame) or isinstance(vendor_b, pd.DataFrame):
        raise WorkbenchError("vendor_comparison: pass both vendors as frames or both as files.")
    else:
        inputs = resolve_inputs("vendor_comparison", vendor_a=str(vendor_a), vendor_b=str(vendor_b),
                                gold="" if gold is None else str(gold))
        paths = (inputs.path("vendor_a"), inputs.path("vendor_b"))
        if paths[0] is None or paths[1] is None:
            raise WorkbenchError("vendor_comparison: give both vendors' files (vendor_a, vendor_b).")
        tables = load_inputs(paths[0], paths[1], inputs.path("gold"), kind=cast(Any, kind), format=format,
                             options=options)
    costs, note = _costs(cost_a, cost_b, inputs, paths)
    if note:
        findings.append(note)
    comparison = vendors.compare_vendors(
        tables.a, tables.b, gold=tables.gold, cost_per_label=costs, names=(name_a, name_b),
        confidence=confidence, n_resamples=n_resamples, near_random_margin=near_random_margin, rng=seed,
    )
    params = {"format": format, "kind": kind, "name_a": name_a, "name_b": name_b, "cost_a": cost_a, "cost_b": cost_b,
              "confidence": confidence, "n_resamples": n_resamples, "near_random_margin": near_random_margin,
              "seed": seed, "n_examples": n_examples, "options": options}
    report = VendorComparisonReport(verdict=Verdict("pending", "pending"), inputs=inputs, tables=tables,
                                    comparison=comparison, costs=costs, findings=tuple(findings), parameters=params)
    import dataclasses

    return dataclasses.replace(report, verdict=_verdict(report))
