"""The vendor_comparison analysis (issue 26): checks without a kernel, planted truth and null
data, file reading outside workbench.vendors, and 'workbench vendors' printing the same numbers
as the report on the sample data and on annotation tables with the one table-kind rule.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from tests.conftest import DATA_SAMPLES
from workbench import vendors
from workbench.analyses import vendor_comparison
from workbench.cli import app

N = 300  # bootstrap resamples in tests


def _vendor(truth: np.ndarray, accuracy: float, prefix: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i, t in enumerate(truth):
        for k in range(3):
            given = t if rng.random() < accuracy else ("neg" if t == "pos" else "pos")
            rows.append({"item_id": f"i{i:04d}", "annotator_id": f"{prefix}{(i + k) % 6}", "label": given})
    return pd.DataFrame(rows)


def _vendors(acc_a: float, acc_b: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    truth = rng.choice(["neg", "pos"], 400)
    gold = pd.DataFrame({"item_id": [f"i{i:04d}" for i in range(200)], "label": truth[:200]})
    return _vendor(truth, acc_a, "va", seed + 1), _vendor(truth, acc_b, "vb", seed + 2), gold


def test_checks_run_without_a_kernel_on_the_sample_data() -> None:
    r = vendor_comparison.run(DATA_SAMPLES / "vendor_a.csv", DATA_SAMPLES / "vendor_b.csv", n_resamples=N)
    assert r.inputs is not None and r.inputs.sample_run and r.tables.gold is not None
    assert r.checks().ok and len(r.checks()) == 8, r.checks().summary()
    assert r.verdict.outcome == "recommend_a" and r.verdict.tone == "good"
    assert r.costs == (0.12, 0.08)  # the sample vendors' prices, said in the findings
    assert any("sample vendors'" in f for f in r.findings)


def test_planted_better_vendor_is_recommended_and_equal_vendors_are_not() -> None:
    a, b, gold = _vendors(0.92, 0.65, seed=1)
    planted = vendor_comparison.run(a, b, gold=gold, n_resamples=N)
    assert planted.verdict.outcome == "recommend_a" and planted.checks().ok
    assert planted.costs is None  # frames: no sample prices
    a, b, gold = _vendors(0.8, 0.8, seed=2)
    null = vendor_comparison.run(a, b, gold=gold, n_resamples=N)
    assert null.verdict.outcome == "no_recommendation" and null.verdict.tone == "warning"
    assert null.checks().ok
    no_gold = vendor_comparison.run(a, b, gold=None, n_resamples=N)
    assert no_gold.verdict.outcome == "no_gold" and no_gold.comparison.recommended is None


def test_vendors_reads_no_files() -> None:
    import inspect

    source = inspect.getsource(vendors)
    assert "load_table" not in source and "open(" not in source and not hasattr(vendors, "load_inputs")


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, ["vendors", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_prints_the_analysis_summary_on_the_sample_data() -> None:
    a, b, g = (DATA_SAMPLES / n for n in ("vendor_a.csv", "vendor_b.csv", "vendor_gold.csv"))
    out = _cli(str(a), str(b), "--gold", str(g), "--n-resamples", str(N))
    r = vendor_comparison.run(a, b, gold=g, n_resamples=N)
    assert out.splitlines()[0] == r.verdict.headline and out.strip() == r.summary().strip()
    assert "+24.0 points" in r.verdict.headline


def test_cli_equals_report_on_annotation_tables(tmp_path: Path) -> None:
    a, b, gold = _vendors(0.9, 0.7, seed=3)
    pa, pb, pg = tmp_path / "a.csv", tmp_path / "b.jsonl", tmp_path / "gold.csv"
    a.to_csv(pa, index=False)
    b.to_json(pb, orient="records", lines=True)
    gold.to_csv(pg, index=False)
    r = vendor_comparison.run(pa, pb, gold=pg, n_resamples=N, cost_a=0.2, cost_b=0.1)
    assert r.tables.kind == "annotations" and r.checks().ok
    out = _cli(str(pa), str(pb), "--gold", str(pg), "--n-resamples", str(N), "--cost-a", "0.2", "--cost-b", "0.1")
    assert out.strip() == r.summary().strip()
