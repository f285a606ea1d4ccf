"""Nothing runs from data (issue 29, parts 1, 2 and 6): generated DVC stages and Airflow DAGs
never interpret a value, a manifest cannot choose the notebook that runs, and -p takes any
string as its value."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from workbench import pipelines, reports
from workbench.errors import ReportError, WorkbenchError

ROOT = Path(__file__).resolve().parents[1]
PAYLOADS = ['x"; touch MARKER_1; echo "', "$(touch MARKER_2)", "`touch MARKER_3`", "a $HOME b", 'back\\',
            "two\nlines", "--help", "-1", "'; touch MARKER_4; '"]


def test_dvc_values_never_enter_the_shell_command(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    chosen = [("data_overview", {"table": value}) for value in PAYLOADS]
    # "true" stands for workbench: the stage commands run in a shell; an injected command would leave a marker
    dvc_yaml, params_yaml = pipelines.write_dvc(chosen, tmp_path, workbench=("true",))
    stages = yaml.safe_load(dvc_yaml.read_text())["stages"]
    params = yaml.safe_load(params_yaml.read_text())
    for (name, stage), value in zip(stages.items(), PAYLOADS, strict=True):
        assert value not in stage["cmd"] and "${" not in stage["cmd"]
        assert shlex.split(stage["cmd"])[-2:] == ["--params-section", name]
        assert params[name]["table"] == value  # every character round-trips through params.yaml
        subprocess.run(stage["cmd"], shell=True, cwd=tmp_path, check=True)
    assert not list(tmp_path.glob("MARKER_*"))


def test_the_report_reads_its_parameters_from_the_params_file_exactly(tmp_path: Path) -> None:
    from workbench.cli import _params_section

    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"data_overview": {"table": PAYLOADS[0], "kind": "--help"}, "x": [1]}))
    assert _params_section(path, "data_overview") == {"table": PAYLOADS[0], "kind": "--help"}
    with pytest.raises(WorkbenchError, match="no section 'nope'"):
        _params_section(path, "nope")


def test_dvc_refuses_template_paths_and_run_folders_outside_the_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    table = tmp_path / "repo" / "${evil}.csv"
    table.write_text("item_id,label\na,b\n")
    with pytest.raises(WorkbenchError, match="template"):
        pipelines.write_dvc([("data_overview", {"table": str(table)})], tmp_path / "repo")
    with pytest.raises(WorkbenchError, match="inside the repository"):
        pipelines.write_dvc([("data_overview", {})], tmp_path / "repo", runs_dir="../../elsewhere")


@pytest.mark.parametrize("dag_id", ["../../etc/evil", "/abs/evil", 'a"""b', "a b", "", "..", "x" * 251])
def test_airflow_dag_ids_are_checked(tmp_path: Path, dag_id: str) -> None:
    stages = pipelines.seed_flow(tmp_path / "c.jsonl", tmp_path / "work")
    with pytest.raises(WorkbenchError, match="not an Airflow id|outside"):
        pipelines.write_airflow_dag(stages, tmp_path / "dags", dag_id=dag_id)
    assert not list(tmp_path.rglob("*.py"))


def test_airflow_flow_checks_reports_metrics_and_methods_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="unknown report"):
        pipelines.seed_flow(tmp_path / "c.jsonl", tmp_path / "w", reports=[("../notebooks/evil", {})])
    with pytest.raises(ReportError, match="no parameter"):
        pipelines.seed_flow(tmp_path / "c.jsonl", tmp_path / "w", reports=[("data_overview", {"nope": "1"})])
    with pytest.raises(WorkbenchError, match="metric"):
        pipelines.seed_flow(tmp_path / "c.jsonl", tmp_path / "w", metrics=["rm -rf"])
    with pytest.raises(WorkbenchError, match="dedup method"):
        pipelines.seed_flow(tmp_path / "c.jsonl", tmp_path / "w", dedup_method="x")


def test_a_dag_with_quotes_and_astral_characters_in_paths_compiles_and_keeps_them(tmp_path: Path) -> None:
    corpus = tmp_path / 'we"ird \U0001f600 dir' / "c.jsonl"
    stages = pipelines.seed_flow(corpus, tmp_path / "work")
    dag = pipelines.write_airflow_dag(stages, tmp_path / "dags", dag_id="ok.dag-1")
    source = dag.read_text(encoding="utf-8")
    import ast

    tree = ast.parse(compile(source, str(dag), "exec", flags=ast.PyCF_ONLY_AST))  # it compiles
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "COMMANDS")
    commands = ast.literal_eval(node.value)
    assert str(corpus) in commands["ingest"]  # the path, astral character and quote included


@pytest.mark.parametrize("name", ["../notebooks/data_overview", "/tmp/x", "data_overview/../data_overview", ""])
def test_rerun_runs_only_shipped_reports(tmp_path: Path, name: str) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({
        "report": name, "run_id": "r", "status": "succeeded", "started_at": "x", "finished_at": "x",
        "parameters": {}, "inputs": [], "future_key": {"ignored": True}}))
    with pytest.raises(ReportError, match="unknown report"):
        reports.rerun(run, out_dir=tmp_path / "out", echo=None)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.ipynb"))


@pytest.mark.parametrize("body", ['{"report": "data_overview", "run_id": "r", "status": "s", "started_at": "x", '
                                  '"finished_at": "x", "parameters": [1, 2]}',
                                  "[" * 100_000 + "]" * 100_000, '"just a string"',
                                  '{"report": "data_overview", "run_id": "r", "status": "s", "started_at": "x", '
                                  '"finished_at": "x", "parameters": {}, "inputs": [7]}'])
def test_malformed_manifests_are_clean_errors(tmp_path: Path, body: str) -> None:
    from workbench.manifest import read_manifest

    (tmp_path / "manifest.json").write_text(body)
    with pytest.raises(WorkbenchError, match="manifest|regenerate"):
        read_manifest(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_recorded_as_an_input_is_refused_not_read(tmp_path: Path) -> None:
    from workbench.manifest import changed_inputs, read_manifest

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "manifest.json").write_text(json.dumps({
        "report": "data_overview", "run_id": "r", "status": "s", "started_at": "x", "finished_at": "x",
        "parameters": {}, "inputs": [{"parameter": "table", "path": str(fifo), "kind": "file", "bytes": 1,
                                      "sha256": "0" * 64}]}))
    with pytest.raises(WorkbenchError, match="not a regular file"):
        changed_inputs(read_manifest(tmp_path))


def test_a_parameter_value_may_start_with_dashes() -> None:
    """`-p table --help` printed workbench's own help, exited 0 and wrote no report."""
    out = subprocess.run([sys.executable, "-m", "workbench", "report", "data_overview", "-p", "table", "--help",
                          "--list-parameters"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0 and "table (str)" in out.stdout and "Usage:" not in out.stdout
    from workbench.cli import _pairs, _protect_values

    words = _protect_values(["-p", "table", "--help", "-p", "n", "-1"])
    assert _pairs(words) == {"table": "--help", "n": "-1"}
