"""Fast unit tests of the real-data machinery (issue 18): input resolution, the cache folder,
time scales, degenerate-case sentences, systems in the positions, plot layout, the CLI options.
The report runs are in tests/test_real_data_gauntlet.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests import awkward_data as A
from tests.conftest import DATA_SAMPLES
from workbench import bias, drift
from workbench.cli import app
from workbench.errors import WorkbenchError
from workbench.findings import annotation_shape, available_columns, lowest
from workbench.plots._layout import log_range, rate_ci_figure, rows_height, short_labels
from workbench.report_inputs import reference_corpus, resolve_inputs
from workbench.scoring.cache import ScoreCache, default_cache_dir

# ------------------------------------------------------------------------------ inputs


def test_companions_follow_their_main_input(tmp_path: Path) -> None:
    sample = str(DATA_SAMPLES / "reviews_10x5000.csv")
    mine = tmp_path / "mine.csv"
    mine.write_text("item_id,annotator_id,label\n1,a,x\n")
    on_sample = resolve_inputs("annotation_reliability", annotations_path=sample, gold_path="auto",
                               preferences_path="auto")
    assert on_sample.sample_run
    assert Path(on_sample.path("gold_path") or "").name == "reviews_10x5000_gold.csv"
    assert Path(on_sample.path("preferences_path") or "").name == "preferences_5x200.csv"
    on_user = resolve_inputs("annotation_reliability", annotations_path=str(mine), gold_path="auto",
                             preferences_path="auto")
    assert not on_user.sample_run
    assert on_user.path("gold_path") is None and on_user.path("preferences_path") is None
    text = on_user.to_markdown()
    assert "reviews_10x5000" not in text and "preferences_5x200" not in text
    assert "sha256" in text and "none" in text
    given = resolve_inputs("annotator_drift", annotations_path=str(mine), gold_path=str(mine))
    assert given.path("gold_path") == str(mine)
    assert resolve_inputs("annotator_drift", annotations_path=sample, gold_path="").path("gold_path") is None
    with pytest.raises(WorkbenchError, match="has no input 'nope'"):
        given.path("nope")
    with pytest.raises(WorkbenchError, match="is a main input"):
        resolve_inputs("annotator_drift", annotations_path="auto", gold_path="auto")


def test_generated_reference_text_only_with_the_sample_corpus(tmp_path: Path) -> None:
    def inputs(corpus: str, reference: str = ""):
        return resolve_inputs("data_intervention_ab", annotations_path=str(DATA_SAMPLES / "reviews_10x5000.csv"),
                              texts_path="auto", gold_path="auto", corpus_path=corpus, reference_path=reference)

    ref, note = reference_corpus(inputs(str(DATA_SAMPLES / "corpus.jsonl")), n_docs=30, rng=1)
    assert ref is not None and len(ref) == 30 and "generated" in note
    mine = tmp_path / "mine.jsonl"
    mine.write_text('{"doc_id": "d1", "text": "my own words here"}\n{"doc_id": "d2", "text": "and more of them"}\n')
    ref, note = reference_corpus(inputs(str(mine)), n_docs=30)
    assert ref is None and "Pass reference_path" in note and "used only with the sample corpus" in note
    ref, note = reference_corpus(inputs(str(mine), reference=str(mine)))
    assert ref is not None and ref["text"].tolist() == ["my own words here", "and more of them"]
    assert str(mine) in note


def test_inputs_markdown_is_escaped(tmp_path: Path) -> None:
    odd = tmp_path / "a_<b>*$x$.csv"
    odd.write_text("x\n")
    md = resolve_inputs("data_overview", table=str(odd)).to_markdown()
    assert "<b>" not in md and "&lt;b&gt;" in md and "$x$" not in md and "*$" not in md


def test_score_cache_never_in_the_install_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import workbench

    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c" and ScoreCache().directory == tmp_path / "c"
    monkeypatch.delenv("WORKBENCH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    where = default_cache_dir()
    install = Path(workbench.__file__).resolve().parents[1]
    assert where.name == "scores" and not where.resolve().is_relative_to(install)


# ------------------------------------------------------------------------------ drift


def test_time_scales_follow_span_and_volume() -> None:
    session, _ = A.annotations(n_items=300, n_annotators=12, per_item=3, span="40min")
    s = drift.suggest_time_scales(session)
    assert (s.window, s.baseline, s.period) == ("5min", "15min", "10min")
    years, _ = A.annotations(n_items=1200, n_annotators=20, per_item=3, span="1095D")
    assert drift.suggest_time_scales(years).window == "91D"
    few, _ = A.annotations(n_items=20, n_annotators=2, per_item=2, span="1095D")
    assert drift.suggest_time_scales(few).window == "364D"  # 40 judgments: the longest windows
    assert drift.suggest_time_scales(session, window="1h").window == "1h"
    with pytest.raises(WorkbenchError, match="not a fixed length"):
        drift.suggest_time_scales(session, window="1M")


def test_period_labels_keep_sub_day_resolution() -> None:
    ann, gold = A.annotations(n_items=300, n_annotators=6, per_item=3, span="40min", accuracy=0.7)
    t = drift.segment_errors(ann, gold=gold, by=["period"], period="10min", min_n=10)
    assert t["period"].str.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d0$").all()
    assert t["period"].nunique() == 4  # 10-minute periods stay apart (40 minutes)
    empty = drift.segment_errors(ann, gold=gold, by=["annotator_id"], min_n=10_000, if_empty="return")
    assert empty.empty and "segment" in empty.columns
    with pytest.raises(WorkbenchError, match="no segment has at least min_n"):
        drift.segment_errors(ann, gold=gold, by=["annotator_id"], min_n=10_000)


# ------------------------------------------------------------------------------ degenerate cases


def test_degenerate_tables_are_named() -> None:
    one_ann, _ = A.annotations(n_annotators=1, per_item=1)
    assert "Only one annotator" in str(annotation_shape(one_ann).agreement_problem)
    no_overlap, _ = A.annotations(per_item=1)
    assert "No item was judged by two or more" in str(annotation_shape(no_overlap).agreement_problem)
    one_label, _ = A.annotations(labels=("pos",))
    assert "same label" in str(annotation_shape(one_label).agreement_problem)
    fine, _ = A.annotations()
    assert annotation_shape(fine).agreement_problem is None


def test_rankings_need_min_judgments_and_defined_values() -> None:
    f = pd.DataFrame({"kappa": [0.1, 0.5, np.nan], "n_compared": [7, 40, 50]}, index=["few", "ok", "nan"])
    r = lowest(f, "kappa", n_column="n_compared", min_n=20)
    assert r.name == "ok" and "1 annotator(s) with fewer than 20 judgments not ranked" in r.sentence
    assert lowest(f, "kappa", n_column="n_compared", min_n=100).name is None
    undefined = f.assign(kappa=np.nan)
    assert "undefined for every annotator" in lowest(undefined, "kappa", n_column="n_compared").sentence
    kept, note = available_columns(pd.DataFrame(columns=["annotator_id"]), ["annotator_id", "cohort"], purpose="x")
    assert kept == ["annotator_id"] and "'cohort'" in note


# ------------------------------------------------------------------------------ systems in the positions


def test_systems_in_positions_and_soft_win_rates() -> None:
    prefs = A.systems_preferences(200)
    s = bias.system_positions(prefs, candidate="cand-v2")
    assert s.systems and s.candidate_position == "b" and not s.test_position_bias
    rates = bias.system_win_rates(prefs, win_probability=s.win_probability).set_index("system")
    assert rates.loc["cand-v2", "win_rate"] == pytest.approx(prefs["win_probability"].mean())
    assert rates.loc["base-v1", "win_rate"] == pytest.approx(1 - prefs["win_probability"].mean())
    lc = bias.length_controlled_win_rate(prefs, length="words", **s.win_rate_options())
    assert lc.raw_win_rate == pytest.approx(prefs["win_probability"].mean())
    # the candidate shown in both positions: rows are flipped, position bias stays testable
    mixed = prefs.copy()
    swap = np.arange(len(mixed)) % 2 == 0
    mixed.loc[swap, ["model_a", "model_b"]] = mixed.loc[swap, ["model_b", "model_a"]].to_numpy()
    mixed.loc[swap, ["response_a", "response_b"]] = mixed.loc[swap, ["response_b", "response_a"]].to_numpy()
    mixed.loc[swap, "choice"] = mixed.loc[swap, "choice"].map({"a": "b", "b": "a"})
    mixed.loc[swap, "win_probability"] = 1 - mixed.loc[swap, "win_probability"]
    sm = bias.system_positions(mixed, candidate="cand-v2")
    assert sm.swapped and sm.test_position_bias
    oriented = sm.orient(mixed)
    assert (oriented[f"model_{sm.candidate_position}"] == "cand-v2").all()
    p_candidate = oriented["win_probability"] if sm.candidate_position == "b" else 1 - oriented["win_probability"]
    np.testing.assert_allclose(p_candidate, prefs["win_probability"])
    assert bias.system_positions(prefs.drop(columns=["model_a", "model_b"])).systems is False
    with pytest.raises(WorkbenchError, match="is in neither 'model_a' nor 'model_b'"):
        bias.system_positions(prefs, candidate="other")
    with pytest.raises(WorkbenchError, match="no 'model_a'/'model_b' columns"):
        bias.system_positions(prefs.drop(columns=["model_a", "model_b"]), candidate="cand-v2")


@pytest.mark.external
def test_alpaca_eval_win_rate_and_se_as_published(external: Path) -> None:
    prefs = A.alpaca_eval_preferences(external / "alpaca-eval" / "alpaca-farm-ppo-human.annotations.json.gz")
    s = bias.system_positions(prefs, candidate="alpaca-farm-ppo-human")
    rates = bias.system_win_rates(prefs, win_probability=s.win_probability).set_index("system")
    # AlpacaEval 2 leaderboard row (weighted_alpaca_eval_gpt4_turbo): 4.100426814981367, SE 0.6304721406855217
    assert 100 * rates.loc["alpaca-farm-ppo-human", "win_rate"] == pytest.approx(4.100426814981367, abs=1e-9)
    assert 100 * rates.loc["alpaca-farm-ppo-human", "standard_error"] == pytest.approx(0.6304721406855217, abs=1e-9)
    lc = bias.length_controlled_win_rate(prefs, length="chars", **s.win_rate_options())
    assert 100 * lc.raw_win_rate == pytest.approx(4.100426814981367, abs=1e-9)
    assert 100 * lc.raw_standard_error == pytest.approx(0.6304721406855217, abs=1e-9)
    assert not s.test_position_bias


# ------------------------------------------------------------------------------ plot layout


@pytest.mark.parametrize("n", [1, 2, 42, 500])
def test_rate_ci_figure_scales_from_1_to_500_groups(n: int) -> None:
    from workbench.plots._check import check_figure

    f = pd.DataFrame({"label": [f"annotator-{i:04d}-with-a-long-identifier" for i in range(n)],
                      "estimate": np.linspace(0.1, 0.9, n), "ci_low": 0.0, "ci_high": 1.0})
    fig = rate_ci_figure(f, reference=0.5)
    assert check_figure(fig.to_plotly_json()) == []
    assert 260 <= fig.layout.height <= 4000
    assert rows_height(n)[0] == fig.layout.height


def test_short_labels_and_log_range() -> None:
    labels = short_labels(["x" * 40, "x" * 40, "short"])
    assert len(set(labels)) == 3 and labels[2] == "short" and all(len(s) <= 22 for s in labels)
    assert log_range([1, 1e4], pad=0) == [0.0, 4.0]
    assert log_range([0, -1]) is None


# ------------------------------------------------------------------------------ CLI


def test_cli_drift_and_bias_expose_the_report_parameters(tmp_path: Path) -> None:
    ann, gold = A.annotations(n_items=300, n_annotators=12, per_item=3, span="40min")
    ann.to_csv(tmp_path / "a.csv", index=False)
    out = CliRunner().invoke(app, ["drift", str(tmp_path / "a.csv"), "--min-segment-n", "10"])
    assert out.exit_code == 0, out.output
    assert "windows of 5min" in out.output
    out = CliRunner().invoke(app, ["drift", str(tmp_path / "a.csv"), "--window", "10min", "--baseline", "20min",
                                   "--period", "20min", "--min-judgments", "10"])
    assert out.exit_code == 0 and "windows of 10min" in out.output and "baseline of 20min" in out.output
    A.systems_preferences(100).to_json(tmp_path / "p.jsonl", orient="records", lines=True)
    out = CliRunner().invoke(app, ["bias", str(tmp_path / "p.jsonl"), "--candidate", "cand-v2"])
    assert out.exit_code == 0, out.output
    assert "position bias is not tested" in out.output and "first shown" not in out.output
    assert "cand-v2 against base-v1: raw win rate" in out.output


def test_cli_score_text_sample_and_max_chars(tmp_path: Path) -> None:
    corpus = pd.DataFrame({"doc_id": [f"d{i}" for i in range(30)], "text": ["word " * 100] * 30})
    corpus.to_json(tmp_path / "c.jsonl", orient="records", lines=True)
    out = CliRunner().invoke(app, ["score", "text", str(tmp_path / "c.jsonl"), "-o", str(tmp_path / "s.csv"),
                                   "--metrics", "stats", "--no-cache", "--sample", "7", "--max-chars", "50"])
    assert out.exit_code == 0, out.output
    scored = pd.read_csv(tmp_path / "s.csv")
    assert len(scored) == 7 and scored["n_chars"].max() <= 50
    assert list(scored["doc_id"]) == sorted(scored["doc_id"], key=lambda d: int(d[1:]))
