"""The flywheel's report as one analysis: what reviewers' decisions teach a filter, and how
fast active learning gets there.

``run`` reads the scored items and the reviewers' decisions (a review store or a table with
an id and a decision column), trains :func:`workbench.flywheel.train_filter` on the decisions
in effect, compares it with the best single-score threshold on the same cross-validation
folds (DeLong interval of the paired AUC gain), lists the label issues (items where the
out-of-fold filter confidently disagrees with the reviewers), and replays the decisions as a
labeling budget: random order against the ``filter-uncertainty`` strategy over several
seeds (:func:`workbench.flywheel.learning_curve`, the same held-out items for both
strategies of a seed). ``workbench flywheel train`` prints this result's ``summary()`` and
saves its filter.

Examples
--------
>>> from workbench import samples
>>> s = samples.make_scored_items(1200, label_noise=0.03, rng=0)
>>> r = run(s.tables["items"], s.tables["decisions"], curve_seeds=2)
>>> r.verdict.outcome, r.checks().ok
('learned_filter_better', True)
>>> r.filter.cv["best_single"] in r.filter.features
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench import io
from workbench.analyses.base import Checks, Tone, Verdict, check, fmt_count
from workbench.analyses.defaults import FILTER_LEARNING
from workbench.errors import WorkbenchError
from workbench.flywheel import LearnedFilter, learning_curve, train_filter
from workbench.plots import flywheel as flywheel_plots
from workbench.report_inputs import ReportInputs, resolve_inputs

__all__ = ["DEFAULTS", "STRATEGIES", "FilterLearningReport", "labels_to_reach", "replay_curves", "run"]

#: The report's parameters and their defaults (one home: :mod:`workbench.analyses.defaults`).
DEFAULTS: dict[str, Any] = FILTER_LEARNING
#: The labeling strategies the report replays, the baseline first.
STRATEGIES: tuple[str, ...] = ("random", "filter-uncertainty")
#: Active learning "reaches" random's final AUC when it is within this many AUC units of it.
REACH_TOLERANCE = 0.005
#: Share of the reviewed items each replay seed holds out to measure the AUC on.
HELD_OUT = 0.3


def replay_curves(
    items: pd.DataFrame,
    flags: pd.Series,
    *,
    item: str = "item_id",
    columns: list[str] | None = None,
    seeds: int = DEFAULTS["curve_seeds"],
    budget: int = DEFAULTS["curve_budget"],
    step: int = DEFAULTS["curve_step"],
    random_share: float = DEFAULTS["random_share"],
    seed: int = DEFAULTS["seed"],
) -> pd.DataFrame:
    """The reviewers' decisions replayed as a labeling budget, per strategy and seed.

    ``flags`` (item id → flagged) plays the reviewer for the items that have a decision;
    ``budget=0`` spends every label left after the held-out split, ``step=0`` takes a
    twentieth of the budget per round. Both strategies of one seed share the held-out items.

    Returns
    -------
    pandas.DataFrame
        ``strategy, seed, n_labels, auc, average_precision`` (and ``random_share_accuracy``
        for the active strategy).
    """
    ids = items[item].astype(str)
    # one row per item, the last as train_filter and learning_curve keep it
    pool = items[ids.isin(flags.index)].assign(_id=ids).drop_duplicates("_id", keep="last")
    pool = pool.drop(columns="_id").reset_index(drop=True)
    n_pool = len(pool) - int(round(HELD_OUT * len(pool)))
    spend = n_pool if budget <= 0 else min(int(budget), n_pool)
    per = max(1, spend // 20) if step <= 0 else int(step)
    if spend < 2 * per:
        raise WorkbenchError(
            f"only {fmt_count(len(pool))} reviewed items have scores: too few to replay a labeling budget in steps "
            f"of {per}. Review more items, or set curve_seeds=0 to skip the learning curves."
        )

    def oracle(frame: pd.DataFrame) -> np.ndarray:
        return flags.reindex(frame[item].astype(str)).to_numpy(bool)

    frames = []
    for k in range(seeds):
        for strategy in STRATEGIES:
            curve = learning_curve(pool, oracle, strategy=strategy, budget=spend, step=per,  # type: ignore[arg-type]
                                   columns=columns, random_share=random_share, test_size=HELD_OUT, item=item,
                                   seed=seed + k)
            frames.append(curve.assign(strategy=strategy, seed=seed + k))
    out = pd.concat(frames, ignore_index=True)
    first = ["strategy", "seed", "n_labels", "auc", "average_precision"]
    return out[first + [c for c in out.columns if c not in first]]


def labels_to_reach(curves: pd.DataFrame, *, tolerance: float = REACH_TOLERANCE) -> pd.DataFrame:
    """Per seed: the labels the active strategy needed to come within ``tolerance`` of random's
    final AUC, as a share of random's labels (``NaN`` when it never did); and, for context,
    the share random order itself needed to get that close to its own final AUC (a curve that
    flattens early makes both small).

    Examples
    --------
    >>> c = pd.DataFrame({"strategy": ["random"] * 2 + ["filter-uncertainty"] * 2, "seed": 0,
    ...                   "n_labels": [50, 100, 50, 100], "auc": [0.8, 0.9, 0.9, 0.95],
    ...                   "average_precision": 0.5})
    >>> labels_to_reach(c)[["random_final_auc", "active_labels", "share_of_random"]].to_dict("records")
    [{'random_final_auc': 0.9, 'active_labels': 50, 'share_of_random': 0.5}]
    >>> float(labels_to_reach(c)["random_share_to_reach"].iloc[0])
    1.0
    """
    rows = []
    for s, group in (curves.groupby("seed", sort=True) if len(curves) else ()):
        rand = group[group["strategy"] == "random"].sort_values("n_labels")
        act = group[group["strategy"] == "filter-uncertainty"].sort_values("n_labels")
        if rand.empty or act.empty:
            continue
        total = int(rand["n_labels"].iloc[-1])
        finite = rand["auc"].dropna()
        if finite.empty:  # e.g. the seed's held-out items are all of one class: no AUC to reach
            rows.append({"seed": s, "random_labels": total, "random_final_auc": np.nan, "active_labels": None,
                         "share_of_random": np.nan, "random_share_to_reach": np.nan})
            continue
        final = float(finite.iloc[-1])
        hit = act[act["auc"] >= final - tolerance]
        n = int(hit["n_labels"].iloc[0]) if len(hit) else None
        own = int(rand.loc[rand["auc"] >= final - tolerance, "n_labels"].iloc[0])
        rows.append({"seed": s, "random_labels": total, "random_final_auc": final,
                     "active_labels": n, "share_of_random": np.nan if n is None else n / total,
                     "random_share_to_reach": own / total})
    return pd.DataFrame(rows, columns=["seed", "random_labels", "random_final_auc", "active_labels", "share_of_random",
                                       "random_share_to_reach"])


@dataclass(frozen=True)
class FilterLearningReport:
    """What the filter_learning report shows (see :func:`run`)."""

    verdict: Verdict
    inputs: ReportInputs | None
    filter: LearnedFilter
    items: pd.DataFrame
    """The scored items as read (for the label issues' text)."""
    curves: pd.DataFrame
    """:func:`replay_curves` (empty when ``curve_seeds=0``)."""
    reach: pd.DataFrame
    """:func:`labels_to_reach` of the curves."""
    item_column: str = "item_id"
    confidence: float = 0.95
    label_issue_confidence: float = 0.9
    findings: tuple[str, ...] = ()

    # ---- sentences and tables --------------------------------------------------------------
    def comparison(self) -> pd.DataFrame:
        """The learned filter beside the best single score, on the same folds."""
        cv = self.filter.cv
        lo, hi = cv["auc_ci"]
        ap_lo, ap_hi = cv["average_precision_ci"]
        g_lo, g_hi = cv["gain_ci"]
        n_scores = len(self.filter.score_features)
        what = f"{n_scores} score{'s' if n_scores != 1 else ''}" if n_scores else ""
        if self.filter.embedding is not None:
            kind = "image" if self.filter.embedding_kind == "image" else "text"
            what = (what + " + " if what else "") + f"{kind} embedding"
        learned = {"filter": f"learned ({what})", "auc": cv["auc"], "auc_interval": f"{lo:.3f} – {hi:.3f}",
                   "average_precision": cv["average_precision"], "ap_interval": f"{ap_lo:.3f} – {ap_hi:.3f}"}
        if np.isnan(cv["single_auc"]):
            return pd.DataFrame([learned])
        return pd.DataFrame([
            learned,
            {"filter": f"best single score: {cv['best_single']}", "auc": cv["single_auc"],
             "auc_interval": f"gain {100 * cv['auc_gain']:+.1f} points ({100 * g_lo:+.1f} to {100 * g_hi:+.1f})",
             "average_precision": np.nan, "ap_interval": ""},
        ])

    def weights(self) -> pd.DataFrame:
        """Every score's weight (per standard deviation), largest effect first, in words; the
        embedding dimensions (no meaning one by one) are summed up in :meth:`embedding_line`."""
        top = self.filter.top_features(len(self.filter.features))
        return top[top["feature"].isin(self.filter.score_features)].reset_index(drop=True)

    def embedding_line(self) -> str | None:
        """What the embedding features are (``None`` without them)."""
        emb = self.filter.embedding
        if emb is None:
            return None
        share = float(np.abs([c for f, c in zip(self.filter.features, self.filter.coef, strict=True)
                              if f not in self.filter.score_features]).sum() / max(np.abs(self.filter.coef).sum(), 1e-12))
        of = ("CLIP embeddings of the images" if self.filter.embedding_kind == "image" else
              "sentence embeddings of the text")
        return (f"The filter also reads {emb['dim']}-dimensional {of} ({emb['model']}); "
                f"they carry {share:.0%} of the total absolute weight and are left out of the chart.")

    def label_issues(self, limit: int = 12) -> pd.DataFrame | None:
        """Items where the filter confidently disagrees with the reviewers, the surest first,
        with their text when the items have one (``None`` when there are none)."""
        issues = self.filter.label_issues(confidence=self.label_issue_confidence)
        if issues.empty:
            return None
        out = issues.head(limit).rename_axis(self.item_column).reset_index()
        out["reviewers"] = np.where(out.pop("reviewers_flagged"), "flagged", "kept")
        if "text" in self.items.columns:
            text = self.items.assign(_id=self.items[self.item_column].astype(str)).drop_duplicates("_id")
            text = text.set_index("_id")["text"].astype(str)
            out["text"] = out[self.item_column].astype(str).map(text).str.slice(0, 160)
        return out

    def reach_line(self) -> str | None:
        """How many labels active learning needed, as a share of random's (``None`` without curves)."""
        return _reach_line(self.reach)

    def curve_summary(self) -> pd.DataFrame:
        """Mean AUC per strategy and labels, with a t interval over the seeds."""
        if self.curves.empty:
            return pd.DataFrame(columns=["strategy", "n_labels", "auc", "low", "high", "seeds"])
        g = self.curves.groupby(["strategy", "n_labels"], sort=False)["auc"]
        out = g.agg(auc="mean", sd="std", seeds="count").reset_index()
        half = _t_half_width(out["sd"], out["seeds"], self.confidence)
        # an AUC lies in [0, 1]: the t interval of a few seeds near 1 is cut there
        out["low"], out["high"] = (out["auc"] - half).clip(lower=0.0), (out["auc"] + half).clip(upper=1.0)
        return out[["strategy", "n_labels", "auc", "low", "high", "seeds"]]

    def paired_gain(self) -> pd.DataFrame:
        """Active minus random AUC per labels spent, paired by seed (the same held-out items),
        mean and t interval over the seeds."""
        cols = ["n_labels", "gain", "low", "high", "seeds"]
        if self.curves.empty:
            return pd.DataFrame(columns=cols)
        wide = self.curves.pivot_table(index=["seed", "n_labels"], columns="strategy", values="auc")
        if not set(STRATEGIES) <= set(wide.columns):
            return pd.DataFrame(columns=cols)
        diff = (wide["filter-uncertainty"] - wide["random"]).dropna().rename("d").reset_index()
        out = diff.groupby("n_labels")["d"].agg(gain="mean", sd="std", seeds="count").reset_index()
        half = _t_half_width(out["sd"], out["seeds"], self.confidence)
        out["low"], out["high"] = out["gain"] - half, out["gain"] + half
        return out[cols]

    def calibration_line(self) -> str:
        """How far the out-of-fold probabilities are from the shares flagged."""
        curve = self.filter.calibration_curve()
        gap = float((curve["mean_predicted"] - curve["share_flagged"]).abs().mean())
        return (f"Mean gap between predicted probability and share flagged: {gap:.2f} over {len(curve)} bins. The "
                "filter is trained with class weights (the rarer side counts as much as the other), which pushes "
                "probabilities towards the rarer side: its ranking (AUC) is what to trust; pick the probability "
                "threshold of a rule from the reviewers' flag rate, not as a calibrated chance.")

    # ---- figures ----------------------------------------------------------------------------
    def curve_figure(self) -> go.Figure | None:
        """Held-out AUC against labels spent, random vs active, mean and interval over seeds."""
        if self.curves.empty:
            return None
        return flywheel_plots.learning_curve_figure(self.curve_summary(), self.paired_gain(),
                                                    confidence=self.confidence)

    def weights_figure(self) -> go.Figure:
        """The learned weights (standardised features), as bars."""
        return flywheel_plots.weights_figure(self.weights())

    def calibration_figure(self) -> go.Figure:
        """Out-of-fold predicted probability against the share reviewers flagged."""
        return flywheel_plots.calibration_figure(self.filter.calibration_curve())

    # ---- text -------------------------------------------------------------------------------
    def summary(self) -> str:
        """The verdict, the comparison, the weights, the curves' result and the checks."""
        parts = [self.verdict.summary(), "", self.filter.summary(),
                 self.weights()[["feature", "weight", "in_words"]].to_string(index=False), self.embedding_line() or ""]
        issues = self.filter.label_issues(confidence=self.label_issue_confidence)
        parts.append(f"{fmt_count(len(issues))} label issue(s) for a second look.")
        parts += [self.reach_line() or "", *self.findings, self.checks().summary()]
        return "\n".join(p for p in parts if p)

    def checks(self) -> Checks:
        """AUCs are proportions inside their intervals; out-of-fold probabilities are
        probabilities, one per reviewed item; each curve point counts labels that exist."""
        cv = self.filter.cv
        oof = self.filter.oof.to_numpy(float)
        items = [
            check("the AUC lies in its interval", cv["auc_ci"][0] - 1e-9 <= cv["auc"] <= cv["auc_ci"][1] + 1e-9,
                  f"{cv['auc']:.4f} in [{cv['auc_ci'][0]:.4f}, {cv['auc_ci'][1]:.4f}]"),
            check("the gain lies in its interval", bool(np.isnan(cv["single_auc"]))
                  or cv["gain_ci"][0] - 1e-9 <= cv["auc_gain"] <= cv["gain_ci"][1] + 1e-9, f"{cv['auc_gain']:+.4f}"),
            check("AUCs are proportions", 0 <= cv["auc"] <= 1 and (bool(np.isnan(cv["single_auc"]))
                                                                   or 0 <= cv["single_auc"] <= 1),
                  f"{cv['auc']:.4f}, {cv['single_auc']:.4f}"),
            check("one out-of-fold probability per reviewed item", len(oof) == self.filter.n_items
                  and bool(((oof >= 0) & (oof <= 1)).all()), f"{len(oof)} of {self.filter.n_items}"),
            check("flagged items are among the reviewed", 0 < self.filter.n_flagged < self.filter.n_items,
                  f"{self.filter.n_flagged} of {self.filter.n_items}"),
        ]
        if not self.curves.empty:
            auc = self.curves["auc"].dropna()
            items.append(check("curve AUCs are proportions", bool(((auc >= 0) & (auc <= 1)).all()), f"{len(auc)} points"))
            items.append(check("no curve spends more labels than were reviewed",
                               int(self.curves["n_labels"].max()) <= self.filter.n_items,
                               f"{int(self.curves['n_labels'].max())} ≤ {self.filter.n_items}"))
        return Checks.of(items)


def _reach_line(reach: pd.DataFrame) -> str | None:
    """:meth:`FilterLearningReport.reach_line` of a :func:`labels_to_reach` frame."""
    if reach.empty:
        return None
    reach = reach[reach["random_final_auc"].notna()]
    if reach.empty:
        return ("The replay measured no AUC: the held-out reviewed items of every seed were all of one kind "
                "(review more items of the rarer kind).")
    share = reach["share_of_random"]
    n = len(share)
    if share.isna().any():
        return (f"Active learning (filter-uncertainty) did not reach random order's final AUC in "
                f"{int(share.isna().sum())} of {n} seed(s) within the budget.")
    own = reach["random_share_to_reach"].mean()
    saved = ("active learning saved labels here" if share.mean() < own else
             "active learning saved no labels on these data: random order is as good a way to choose what to "
             "review")
    return (f"Active learning (filter-uncertainty) reached random order's final AUC "
            f"(within {REACH_TOLERANCE}) with {share.mean():.0%} of its labels on average over {n} seed(s) "
            f"(range {share.min():.0%}–{share.max():.0%}); random order itself came that close after "
            f"{own:.0%}: {saved}.")


def _t_half_width(sd: pd.Series, n: pd.Series, confidence: float) -> pd.Series:
    """Half width of the t interval of a mean over ``n`` seeds (0 for a single seed)."""
    from scipy.stats import t as student

    half = student.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    return half.where(n > 1, 0.0).fillna(0.0)


def _is_sqlite(path: Path) -> bool:
    """Whether ``path`` is a SQLite database (a review store under any name)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _read_decisions(decisions: pd.DataFrame | str | os.PathLike[str], *, format: str,
                    options: dict[str, Any]) -> pd.DataFrame:
    if isinstance(decisions, pd.DataFrame):
        return decisions
    path = Path(decisions)
    if path.suffix.lower() in (".sqlite", ".sqlite3", ".db") or _is_sqlite(path):
        from workbench.review import ReviewStore

        with ReviewStore(path, read_only=True) as store:
            return store.decisions()
    return io.load_table(path, format=format, options=options or None)  # type: ignore[arg-type]


def _verdict(f: LearnedFilter, reach_line: str | None, n_issues: int, confidence: float) -> Verdict:
    cv = f.cv
    gain, (lo, hi) = cv["auc_gain"], cv["gain_ci"]
    single = cv["best_single"]
    points = f"{100 * gain:+.1f} AUC points ({confidence:.0%} CI {100 * lo:+.1f} to {100 * hi:+.1f})"
    auc_line = (f"Cross-validated AUC {cv['auc']:.3f} ({cv['auc_ci'][0]:.3f}–{cv['auc_ci'][1]:.3f}) against "
                f"{cv['single_auc']:.3f} for the best single threshold ({single}), on the same folds; "
                f"{fmt_count(f.n_items)} reviewed items, {fmt_count(f.n_flagged)} flagged.")
    ranked = f.top_features(len(f.features))
    top = ranked.loc[ranked["feature"].isin(f.score_features), "in_words"].head(2).tolist()
    if f.embedding is not None:
        top.append(f"the image's CLIP embedding ({f.embedding['model']})" if f.embedding_kind == "image"
                   else f"the text's sentence embedding ({f.embedding['model']})")
    tone: Tone
    if np.isnan(cv["single_auc"]):
        good = cv["auc_ci"][0] > 0.5
        outcome, tone = ("learned_filter", "good") if good else ("no_signal", "warning")
        head = (f"The learned filter ranks what reviewers flag with cross-validated AUC {cv['auc']:.3f} "
                f"({confidence:.0%} CI {cv['auc_ci'][0]:.3f}–{cv['auc_ci'][1]:.3f}); the items have no score to "
                "compare it with.")
        auc_line = f"{fmt_count(f.n_items)} reviewed items, {fmt_count(f.n_flagged)} flagged."
        action = ("Use it: workbench flywheel train ... --features embeddings, then a rule on learned:NAME."
                  if good else "No filter to use: the text does not tell what reviewers flag.")
    elif cv["auc_ci"][0] <= 0.5:
        outcome, tone = "no_signal", "warning"
        head = (f"The scores do not predict the reviewers' decisions: cross-validated AUC {cv['auc']:.3f} "
                f"({confidence:.0%} CI {cv['auc_ci'][0]:.3f}–{cv['auc_ci'][1]:.3f}) includes chance.")
        action = ("No filter to use: the reviewers judge something these scores do not measure; add scores "
                  "(perplexity, embeddings) or check that the decisions mean what you think.")
    elif lo > 0:
        outcome, tone = "learned_filter_better", "good"
        head = f"The learned filter beats the best single threshold ({single}) by {points}: use it."
        action = ("Use it: workbench flywheel train STORE --items ITEMS --out DIR, then workbench score text "
                  "--filter DIR and a rule on learned:NAME.")
    elif hi < 0:
        outcome, tone = "single_threshold_better", "warning"
        head = f"The learned filter is worse than one threshold on {single} ({points}): keep the threshold."
        action = "Keep the threshold rule (workbench calibrate); the other scores add noise here."
    else:
        outcome, tone = "no_gain", "neutral"
        head = (f"The learned filter ties the best single threshold ({single}): {points}. One threshold "
                "captures what reviewers flag.")
        action = "Keep the single threshold (workbench calibrate); retrain when reviewers' rules change."
    bullets = [auc_line, "Strongest signals: " + "; ".join(top) + ".", action]
    if reach_line:
        bullets.append(reach_line)
    bullets.append(f"{fmt_count(n_issues)} item(s) where the filter confidently disagrees with the reviewers: "
                   "worth a second look (listed below).")
    return Verdict(outcome, head, tuple(bullets[:5]), tone)


def run(
    items_path: pd.DataFrame | str | os.PathLike[str],
    decisions_path: pd.DataFrame | str | os.PathLike[str],
    *,
    item_column: str = DEFAULTS["item_column"],
    decisions_item_column: str = DEFAULTS["decisions_item_column"],
    decision_column: str = DEFAULTS["decision_column"],
    columns: list[str] = DEFAULTS["columns"],
    features: str = DEFAULTS["features"],
    text_column: str = DEFAULTS["text_column"],
    image_column: str = DEFAULTS["image_column"],
    allow_outside: bool = DEFAULTS["allow_outside"],
    embedding_model: str = DEFAULTS["embedding_model"],
    cache_dir: str = DEFAULTS["cache_dir"],
    target: str = DEFAULTS["target"],
    keep: list[str] = DEFAULTS["keep"],
    folds: int = DEFAULTS["folds"],
    confidence: float = DEFAULTS["confidence"],
    label_issue_confidence: float = DEFAULTS["label_issue_confidence"],
    curve_seeds: int = DEFAULTS["curve_seeds"],
    curve_budget: int = DEFAULTS["curve_budget"],
    curve_step: int = DEFAULTS["curve_step"],
    random_share: float = DEFAULTS["random_share"],
    seed: int = DEFAULTS["seed"],
    format: str = DEFAULTS["format"],
    options: dict[str, Any] = DEFAULTS["options"],
) -> FilterLearningReport:
    """Train the filter from the reviewers' decisions and replay them as a labeling budget.

    Parameters
    ----------
    items_path
        The scored items (a frame or a file): ``item_column`` and numeric score columns.
    decisions_path
        The decisions: a review store (``.sqlite``; its decisions in effect) or a table with
        ``decisions_item_column`` and ``decision_column``.
    columns
        Score columns to learn from (empty: every numeric column).
    features, text_column, embedding_model, cache_dir
        ``"scores"``, ``"embeddings"`` (sentence embeddings of ``text_column`` by the embedded
        all-MiniLM-L6-v2, or the sentence-transformers folder ``embedding_model``) or
        ``"both"``; embeddings are kept in the score cache (``cache_dir``; empty:
        ``$WORKBENCH_CACHE_DIR``, else the user cache folder). The replay learns from the
        scores only.
    image_column, allow_outside
        Image items: CLIP embeddings of the images in ``image_column`` (paths relative to the
        items file's folder; one outside it is refused unless ``allow_outside``) instead of
        text embeddings; the model is the demo CLIP of CLIP scoring unless ``embedding_model``
        names another.
    target, keep
        Learn one decision class against the rest (``target``), or flagged against the
        decisions in ``keep`` (default).
    folds, confidence
        Cross-validation folds and the intervals' confidence.
    label_issue_confidence
        A label issue is a reviewed item the out-of-fold filter gives the other side with at
        least this probability.
    curve_seeds, curve_budget, curve_step, random_share
        The replay: seeds (0 skips it), labels to spend (0: all but the held-out 30%), labels
        per round (0: a twentieth of the budget), and the active strategy's random share.
    seed
        Seed of the folds and of the first replay.
    format, options
        How to read the files (:func:`workbench.io.load_table`).
    """
    inputs: ReportInputs | None = None
    if not isinstance(items_path, pd.DataFrame) or not isinstance(decisions_path, pd.DataFrame):
        inputs = resolve_inputs("filter_learning",
                                items_path="" if isinstance(items_path, pd.DataFrame) else str(items_path),
                                decisions_path="" if isinstance(decisions_path, pd.DataFrame) else str(decisions_path))
    items = items_path if isinstance(items_path, pd.DataFrame) else io.load_table(
        items_path, format=format, options=options or None)  # type: ignore[arg-type]
    decisions = _read_decisions(decisions_path, format=format, options=options)
    if not 0 < label_issue_confidence < 1:
        raise WorkbenchError(f"label_issue_confidence={label_issue_confidence}: pass a probability between 0.5 and 1 "
                             "(e.g. 0.9).")
    from workbench._validation import check_choice
    from workbench.scoring import ScoreCache

    base_dir = None if isinstance(items_path, pd.DataFrame) else Path(items_path).parent

    check_choice(features, name="features", choices=("scores", "embeddings", "both"))
    f = train_filter(items, decisions, features=features, columns=list(columns) or None,  # type: ignore[arg-type]
                     target=target or None, keep=tuple(keep), folds=folds, confidence=confidence, item=item_column,
                     decisions_item=decisions_item_column, decision=decision_column, text=text_column,
                     image=image_column or None, base_dir=base_dir, allow_outside=allow_outside,
                     embedding_model=embedding_model or None,
                     cache=ScoreCache(cache_dir or None) if features != "scores" else None, seed=seed)
    findings: list[str] = []
    n_reviewed = decisions[decisions_item_column].astype(str).nunique()
    if n_reviewed > f.n_items:
        findings.append(f"{fmt_count(n_reviewed - f.n_items)} reviewed item(s) have no scores in the items table and "
                        "were left out.")
    curves = pd.DataFrame()
    if curve_seeds > 0 and not f.score_features:
        findings.append("The learning curves are not drawn: the replay learns from score columns, and this filter "
                        "uses embeddings only (features='both' adds the scores).")
    elif curve_seeds > 0:
        try:
            curves = replay_curves(items, f.labels, item=item_column, columns=list(f.score_features),
                                   seeds=curve_seeds, budget=curve_budget, step=curve_step, random_share=random_share,
                                   seed=seed)
        except WorkbenchError as exc:  # the filter stands; only the replay could not be made
            findings.append(f"The learning curves are not drawn: {exc}")
    reach = labels_to_reach(curves)
    n_issues = len(f.label_issues(confidence=label_issue_confidence))
    verdict = _verdict(f, _reach_line(reach), n_issues, confidence)
    return FilterLearningReport(verdict, inputs, f, items, curves, reach, item_column, confidence,
                                label_issue_confidence, tuple(findings))
