"""The analyses layer (issue 26): one analysis per report, defaults declared once, checks run
without a kernel, and the CLI and the report print the same numbers.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import nbformat
import pytest
from typer.main import get_command

from tests.conftest import NOTEBOOKS
from workbench.analyses import defaults
from workbench.analyses.base import Check, Checks, ChecksFailed, Verdict, check
from workbench.cli import app
from workbench.errors import WorkbenchError

REPORTS = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))

# CLI command of each report that has one, and CLI option name -> analysis parameter name
CLI_OF: dict[str, tuple[str, ...]] = {
    "length_bias": ("bias",),
    "annotation_reliability": ("reliability",),
    "annotator_drift": ("drift",),
    "vendor_comparison": ("vendors",),
    "dedup_audit": ("dedup",),
    "threshold_exploration": ("score text",),
    "quality_dashboard": ("review kpis",),
    "acceptance_plan": ("acceptance plan", "acceptance check"),
    "filter_learning": ("flywheel train",),
}
_RENAMED = {"fmt": "format"}


def _notebook_parameters(name: str) -> dict[str, object]:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", []))
    out: dict[str, object] = {}
    for node in ast.parse(cell.source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target  # type: ignore[union-attr]
        out[target.id] = ast.literal_eval(node.value)  # type: ignore[union-attr, arg-type]
    return out


def test_every_report_has_an_analysis_with_declared_defaults() -> None:
    missing = [r for r in REPORTS if r not in defaults.REPORT_DEFAULTS]
    assert not missing, f"reports without defaults in workbench/analyses/defaults.py: {missing}"
    for name in REPORTS:
        module = importlib.import_module(f"workbench.analyses.{name}")
        assert callable(module.run) and module.DEFAULTS is defaults.REPORT_DEFAULTS[name]


@pytest.mark.parametrize("name", REPORTS)
def test_notebook_parameters_equal_the_analysis_defaults(name: str) -> None:
    declared = defaults.REPORT_DEFAULTS.get(name)
    if declared is None:
        pytest.fail(f"{name}: no defaults declared")
    params = _notebook_parameters(name)
    missing = sorted(set(declared) - set(params))
    assert not missing, f"{name}: defaults that are not notebook parameters: {missing}"
    differ = {k: (params[k], v) for k, v in declared.items() if params[k] != v or type(params[k]) is not type(v)}
    assert not differ, f"{name}: notebook literal vs declared default: {differ}"


@pytest.mark.parametrize("name", REPORTS)
def test_run_signature_uses_the_declared_defaults(name: str) -> None:
    module = importlib.import_module(f"workbench.analyses.{name}")
    sig = inspect.signature(module.run)
    for key, value in module.DEFAULTS.items():
        assert key in sig.parameters, f"{name}.run lacks parameter {key!r}"
        assert sig.parameters[key].default == value, f"{name}.run({key}=...) default differs from DEFAULTS"


@pytest.mark.parametrize(("name", "command"), [(n, c) for n, cs in CLI_OF.items() for c in cs])
def test_cli_option_defaults_are_the_analysis_defaults(name: str, command: str) -> None:
    sub = get_command(app)
    for part in command.split():
        sub = sub.commands[part]  # type: ignore[attr-defined]
    declared = defaults.REPORT_DEFAULTS[name]
    seen = 0
    for param in sub.params:
        key = _RENAMED.get(param.name or "", param.name)
        if key in declared:
            seen += 1
            assert param.default == declared[key], f"workbench {command} --{param.name}: {param.default!r} vs {declared[key]!r}"
    assert seen >= 1


# ---- the base types -------------------------------------------------------------------------------

def test_verdict_rejects_unknown_tone_and_too_many_bullets() -> None:
    with pytest.raises(WorkbenchError, match="tone"):
        Verdict("x", "headline", (), "pink")  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="at most 5"):
        Verdict("x", "headline", tuple("abcdef"), "good")
    with pytest.raises(WorkbenchError, match="headline"):
        Verdict("x", "  ", (), "good")


def test_verdict_html_is_escaped_and_findable() -> None:
    v = Verdict("reject", "<script>alert(1)</script> rejected", ("<img src=x onerror=alert(1)>",), "bad")
    html = v.to_html()
    assert "<script>" not in html and "<img" not in html
    assert "class='verdict verdict-bad'" in html and "data-outcome='reject'" in html


def test_checks_name_the_failures_with_their_numbers() -> None:
    c = Checks.of(check("ok", True), [check("p in [0, 1]", False, "p = 1.3")])
    assert not c.ok and c.failed == (Check("p in [0, 1]", False, "p = 1.3"),)
    with pytest.raises(ChecksFailed, match=r"p in \[0, 1\] \(p = 1.3\)"):
        c.raise_if_failed()
    assert list(c.to_frame()["passed"]) == [True, False]


# ---- planted truth and null data, without a kernel --------------------------------------------------

def _prefs(n: int, p_longer: float, seed: int) -> object:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    la, lb = rng.integers(5, 80, n), rng.integers(5, 80, n)
    longer_is_a = la > lb
    pick_longer = rng.random(n) < p_longer
    choice = np.where(pick_longer == longer_is_a, "a", "b")
    return pd.DataFrame({
        "pair_id": [f"p{i}" for i in range(n)], "annotator_id": [f"r{i % 4}" for i in range(n)],
        "choice": choice, "response_a": ["w " * k for k in la], "response_b": ["w " * k for k in lb],
    })


def test_length_bias_finds_a_planted_bias_and_nothing_on_null_data() -> None:
    from workbench.analyses import length_bias

    planted = length_bias.run(_prefs(800, 0.7, 1))
    assert planted.verdict.outcome == "length_bias" and planted.verdict.tone in ("warning", "bad")
    assert planted.checks().ok, planted.checks().summary()
    null = length_bias.run(_prefs(800, 0.5, 2))
    assert null.verdict.outcome == "no_length_bias" and null.verdict.tone == "good"
    assert null.checks().ok, null.checks().summary()


def test_length_bias_checks_fail_on_nonsense() -> None:
    import dataclasses

    from workbench.analyses import length_bias

    r = length_bias.run(_prefs(300, 0.7, 3))
    broken = dataclasses.replace(r, rebalanced=r.preferences.iloc[:0].reindex([10**9]))  # rows not in the input
    assert "rebalanced rows are a subset" in {c.name for c in broken.checks().failed}


# ---- one computation: the CLI prints the analysis' numbers ------------------------------------------

def test_bias_cli_prints_the_length_bias_analysis(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from workbench.analyses import length_bias

    path = tmp_path / "renamed.csv"
    _prefs(400, 0.65, 4).to_csv(path, index=False)  # type: ignore[attr-defined]
    out = CliRunner().invoke(app, ["bias", str(path)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == length_bias.run(preferences_path=path).verdict.headline


@pytest.mark.external
@pytest.mark.notebook
def test_bias_cli_and_length_bias_report_agree_on_alpaca_eval(external: Path, tmp_path: Path) -> None:
    """Issue 26: the CLI said 745/782 and 79.92 (words), the report 741/785 and 82.60 (tokens)
    on the same file; both are now views of one analysis with one set of defaults."""
    from typer.testing import CliRunner

    from workbench import reports

    path = external / "alpaca-eval" / "alpaca-farm-ppo-human.annotations.json.gz"
    cli = CliRunner().invoke(app, ["bias", str(path), "--candidate", "alpaca-farm-ppo-human"])
    assert cli.exit_code == 0, cli.output
    run = reports.run_report("length_bias", {"preferences_path": str(path), "candidate": "alpaca-farm-ppo-human"},
                             out_dir=tmp_path, progress=False)
    manifest = reports.load_manifests(tmp_path)[0]
    assert manifest.verdict is not None and cli.output.splitlines()[0] == manifest.verdict["headline"]
    assert run.headlines[0] == manifest.verdict["headline"]
    win = next(line for line in cli.output.splitlines() if line.startswith("alpaca-farm-ppo-human against"))
    html = run.html.read_text(encoding="utf-8")
    assert win.split(": raw win rate ")[1].split(" (")[0] in html  # the same raw win rate, 4.10
    assert "raw win rate 4.10 (standard error 0.63)" in win  # the published AlpacaEval leaderboard value
