"""Length and position bias on real preference data, and speed beside the anchors.

Data (``../shared/external``, skipped with a message where absent):

* ``hh-rlhf/harmless-base-test.jsonl.gz`` — 2,312 human chosen/rejected pairs, converted with
  ``workbench.io.from_chosen_rejected`` (final assistant turns; a/b order randomised).
* ``alpaca-eval/alpaca-farm-ppo-human.annotations.json.gz`` — 805 judgments of the
  ``weighted_alpaca_eval_gpt4_turbo`` LLM judge, ``alpaca-farm-ppo-human`` (candidate, put in
  position ``a``) against ``gpt4_1106_preview`` (baseline, position ``b``). ``preference`` is
  1 + P(output_2 preferred); 0 and 1.5 are draws. Published leaderboard row: win rate 4.100,
  standard error 0.630, LC win rate 6.42 (AlpacaEval's GLM also has instruction-difficulty
  terms fitted across its whole leaderboard, so ours matches it in direction, not to the digit).

Run: ``.venv/bin/python benchmarks/bias_external.py``. Timings are wall-clock on a shared
machine; read the ratios, not the absolute numbers.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workbench import bias  # noqa: E402
from workbench.io import from_chosen_rejected  # noqa: E402

EXTERNAL = ROOT.parent / "shared" / "external"


def load_hh_rlhf(external: Path = EXTERNAL, *, rng: int = 0) -> pd.DataFrame:
    """HH-RLHF harmless-base test pairs as a preferences table (annotator ``hh-rlhf``)."""
    raw = pd.read_json(Path(external) / "hh-rlhf" / "harmless-base-test.jsonl.gz", lines=True)
    prefs = from_chosen_rejected(raw, rng=rng)
    prefs["annotator_id"] = "hh-rlhf"
    return prefs


def load_alpaca_eval(external: Path = EXTERNAL) -> pd.DataFrame:
    """AlpacaEval annotations as a preferences table; ``p_a`` = P(candidate preferred).

    Position ``a`` holds the candidate (``output_2``), ``b`` the baseline (``output_1``);
    ``choice`` is ``a`` when ``preference > 1.5``, ``b`` below, ``tie`` at 1.5 or 0.
    """
    raw = pd.read_json(Path(external) / "alpaca-eval" / "alpaca-farm-ppo-human.annotations.json.gz")
    pref = raw["preference"].astype(float).replace({0.0: 1.5})
    return pd.DataFrame(
        {
            "pair_id": [f"alpaca_eval_{i}" for i in range(len(raw))],
            "annotator_id": raw["annotator"].astype(str),
            "choice": np.where(pref > 1.5, "a", np.where(pref < 1.5, "b", "tie")),
            "response_a": raw["output_2"].astype(str),
            "response_b": raw["output_1"].astype(str),
            "prompt": raw["instruction"].astype(str),
            "category": raw["dataset"].astype(str),
            "p_a": pref - 1.0,
            "system_a": raw["generator_2"].astype(str),
            "system_b": raw["generator_1"].astype(str),
        }
    )


def _timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _speed(prefs: pd.DataFrame) -> None:
    """Our vectorized per-group statistics vs a loop of scipy/statsmodels calls per group."""
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint

    work = prefs.copy()
    work["group"] = [f"g{i % 200}" for i in range(len(work))]
    ours, res = _timed(lambda: bias.length_bias(work, length="chars", by="group").groups)

    def anchor() -> list[tuple[float, float, float]]:
        la = work["response_a"].str.len().to_numpy()
        lb = work["response_b"].str.len().to_numpy()
        ch = work["choice"].to_numpy()
        out = []
        for _, idx in work.groupby("group").indices.items():
            d = (la - lb)[idx]
            c = ch[idx]
            m = (c != "tie") & (d != 0)
            k = int(((c == "a") == (d > 0))[m].sum())
            n = int(m.sum())
            lo, _hi = proportion_confint(k, n, method="wilson")
            out.append((k / n, lo, stats.binomtest(k, n, 0.5).pvalue))
        return out

    theirs, ref = _timed(anchor)
    diff = np.max(np.abs(res["p_value"].to_numpy() - np.array([r[2] for r in ref])))
    print(f"  speed, 200 groups: ours {ours * 1e3:.1f} ms, per-group scipy/statsmodels loop "
          f"{theirs * 1e3:.1f} ms (ratio ours/anchor {ours / theirs:.2f}); max |Δp| = {diff:.1e}")


def main() -> int:
    if not EXTERNAL.is_dir():
        print(f"skipped: {EXTERNAL} is absent (only the project's own checkout has it)")
        return 0
    pd.set_option("display.width", 140)
    pd.set_option("display.max_columns", 12)

    print("== HH-RLHF harmless-base test (human preferences) ==")
    hh = load_hh_rlhf()
    for length in ("words", "tokens", "chars"):
        res = bias.length_bias(hh, length=length)
        print(f"[{length}] {res.summary()}")
    res = bias.length_bias(hh, length="tokens")
    print(res.to_frame().to_string(index=False))
    print(res.by_delta.to_string(index=False))
    print(bias.position_bias(hh).summary(), "(a/b order randomised by the conversion)")
    reb = bias.rebalance_by_length(hh, length="tokens", rng=0)
    after = bias.length_bias(reb, length="tokens")
    print(f"rebalanced: kept {len(reb):,} of {len(hh):,} rows; P(longer preferred) "
          f"{after.p_longer_preferred:.3f} (p = {after.p_value:.3g}), paired t p = {after.t_p_value:.3g}")

    print("\n== AlpacaEval: weighted_alpaca_eval_gpt4_turbo judging alpaca-farm-ppo-human vs gpt4_1106_preview ==")
    ae = load_alpaca_eval()
    for length in ("chars", "words", "tokens"):
        res = bias.length_bias(ae, length=length)
        print(f"[{length}] {res.summary()}")
    mean_a = ae["response_a"].str.len().mean()
    mean_b = ae["response_b"].str.len().mean()
    print(f"mean length (chars): candidate {mean_a:.0f}, baseline {mean_b:.0f}")
    lc = bias.length_controlled_win_rate(ae, win_probability="p_a", probability_of="a")
    print(lc.summary())
    print(f"raw win rate {lc.raw_win_rate * 100:.4f} (published 4.1004), standard error "
          f"{lc.raw_standard_error * 100:.4f} (published 0.6305); LC win rate "
          f"{lc.win_rate * 100:.2f} (published 6.42 with AlpacaEval's instruction-difficulty GLM)")
    lc_cat = bias.length_controlled_win_rate(ae, win_probability="p_a", probability_of="a", covariates=["category"])
    print(f"LC win rate with the instruction's source data set as a covariate: {lc_cat.win_rate * 100:.2f}")
    print(lc.params.to_string(index=False))
    counts = ae["choice"].value_counts()
    print(f"discrete: wins {counts.get('a', 0)}, losses {counts.get('b', 0)}, draws "
          f"{counts.get('tie', 0)} (published 32 / 770 / 3)")

    print("\n== speed (HH-RLHF, 2,312 rows) ==")
    _speed(hh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
