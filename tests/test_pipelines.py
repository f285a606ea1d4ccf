"""DVC stages and the Airflow DAG written by `workbench pipeline`, and the flow's own steps (issue 16).

The end-to-end tests run real tools: `dvc repro` in a temporary git repository, and the
generated DAG's `dag.test()` in Airflow's own environment `.venv-airflow` (built by
`make test`; Airflow's pins conflict with the project's). Both use the fastest report,
data_overview, on small tables.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import workbench
from tests.conftest import DATA_SAMPLES, NOTEBOOKS, ROOT
from workbench import pipelines, samples
from workbench.errors import WorkbenchError
from workbench.review.store import ReviewStore

AIRFLOW_PYTHON = ROOT / ".venv-airflow" / "bin" / "python"


def _env() -> dict[str, str]:
    """This checkout's workbench for every subprocess, and its `workbench` command on PATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["DVC_NO_ANALYTICS"] = "1"
    return env


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "workbench", *args], cwd=cwd, env=_env(),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc


# ---- the flow's own steps -------------------------------------------------------------------

def _scores_and_clusters() -> tuple[pd.DataFrame, pd.DataFrame]:
    scores = pd.DataFrame({"doc_id": ["a", "b", "c", "d", "e"],
                           "decision": ["keep", "review", "keep", "keep", "drop"],
                           "reasons": ["", "perplexity missing", "", "", "too short"]})
    clusters = pd.DataFrame({"doc_id": ["a", "b", "c", "d", "e"],
                             "is_representative": [True, True, False, False, False],
                             "representative_id": ["a", "b", "a", "a", "a"],
                             "similarity": [1.0, 1.0, 1.0, 0.86, 0.9]})
    return scores, clusters


def test_flag_items_combines_score_decisions_and_duplicates() -> None:
    scores, clusters = _scores_and_clusters()
    flags = pipelines.flag_items(scores, clusters)
    assert flags["decision"].tolist() == ["keep", "review", "drop", "review", "drop"]
    assert flags["duplicate"].tolist() == ["", "", "exact", "near", "near"]
    assert flags["reasons"].tolist() == ["", "perplexity missing", "exact duplicate of a",
                                         "near-duplicate of a (similarity 0.86)",
                                         "too short; near-duplicate of a (similarity 0.90)"]
    with pytest.raises(WorkbenchError, match=r"flag: the scores and the dedup clusters hold different documents "
                       r"\(0 only in scores, 1 only in dedup, e\.g\. \['z'\]\)"):
        pipelines.flag_items(scores, pd.concat([clusters, clusters.tail(1).assign(doc_id="z")]))
    with pytest.raises(WorkbenchError, match=r"similarity"):
        pipelines.flag_items(scores, clusters.drop(columns="similarity"))


def test_review_queue_holds_exactly_the_items_for_a_person(tmp_path: Path) -> None:
    scores, clusters = _scores_and_clusters()
    flags = pipelines.flag_items(scores, clusters)
    corpus = pd.DataFrame({"doc_id": list("abcde"), "text": [f"text {c}" for c in "abcde"], "source": "web"})
    items = pipelines.write_review_queue(flags, corpus, tmp_path / "q.jsonl", store=tmp_path / "r.sqlite",
                                         label_studio=tmp_path / "tasks.json", prodigy=tmp_path / "stream.jsonl")
    assert items["doc_id"].tolist() == ["b", "d"]
    assert pd.read_json(tmp_path / "q.jsonl", lines=True)["reasons"].tolist() == [
        "perplexity missing", "near-duplicate of a (similarity 0.86)"]
    tasks = json.loads((tmp_path / "tasks.json").read_text())
    assert [t["data"]["item_id"] for t in tasks] == ["b", "d"] and tasks[1]["data"]["text"] == "text d"
    assert [json.loads(line)["item_id"] for line in (tmp_path / "stream.jsonl").read_text().splitlines()] == ["b", "d"]
    with ReviewStore(tmp_path / "r.sqlite") as store:
        assert len(store.events()) == 0
    # nothing to review: empty files, not an error (a pipeline's outputs always exist)
    keep = flags.assign(decision="keep")
    assert pipelines.write_review_queue(keep, corpus, tmp_path / "q0.jsonl", label_studio=tmp_path / "t0.json",
                                        prodigy=tmp_path / "s0.jsonl").empty
    assert json.loads((tmp_path / "t0.json").read_text()) == [] and (tmp_path / "s0.jsonl").read_text() == ""


def test_ingest_validates_the_table(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": "a", "body": "no text column"}\n')
    with pytest.raises(WorkbenchError, match=r"text"):
        pipelines.ingest(bad, tmp_path / "out.parquet", kind="corpus")
    assert not (tmp_path / "out.parquet").exists()


# ---- DVC --------------------------------------------------------------------------------------

def test_dvc_files_have_one_stage_per_report(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "a.csv").write_text("item_id,label\ni1,pos\n")
    _cli("pipeline", "dvc", "--out", "pipe", "--report", "data_overview", "-p", "table", "a.csv",
         "--report", "data_overview", "--report", "length_bias", "-p", "seed", "3", cwd=tmp_path)
    dvc = yaml.safe_load((tmp_path / "pipe" / "dvc.yaml").read_text())
    params = yaml.safe_load((tmp_path / "pipe" / "params.yaml").read_text())
    assert list(dvc["stages"]) == ["data_overview", "data_overview_2", "length_bias"]
    first = dvc["stages"]["data_overview"]
    assert first["cmd"] == ("workbench report data_overview --run-dir runs/data_overview --params-file params.yaml "
                            "--params-section data_overview")  # no value in the shell command (issue 29)
    assert first["deps"] == ["../a.csv", str(NOTEBOOKS / "data_overview.ipynb")]  # in the repository: relative to pipe/
    assert first["params"] == ["workbench.version", "data_overview.table"] and first["outs"] == ["runs/data_overview"]
    # no -p: the notebook's default input is still a dependency
    second = dvc["stages"]["data_overview_2"]
    assert second["deps"] == [str((DATA_SAMPLES / "reviews_10x5000.csv").resolve()), str(NOTEBOOKS / "data_overview.ipynb")]
    assert second["cmd"] == "workbench report data_overview --run-dir runs/data_overview_2"
    assert params == {"workbench": {"version": workbench.__version__},
                      "data_overview": {"table": "../a.csv"}, "data_overview_2": {},
                      "length_bias": {"seed": "3"}}
    proc = subprocess.run([sys.executable, "-m", "workbench", "pipeline", "dvc", "--out", "x", "--report",
                           "data_overview", "-p", "tabel", "a.csv"], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "has no parameter(s) 'tabel'" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "workbench", "pipeline", "dvc", "--out", "x"], cwd=tmp_path,
                          env=_env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "needs at least one --report NAME" in proc.stderr


def _run_ids(repo: Path) -> dict[str, str]:
    return {p.parent.name: json.loads(p.read_text())["run_id"] for p in (repo / "runs").glob("*/manifest.json")}


@pytest.mark.slow
@pytest.mark.xdist_group("pipelines-dvc")  # its own worker slot: the two end-to-end runs go side by side
def test_dvc_repro_runs_stages_once_and_only_those_whose_input_changed(tmp_path: Path) -> None:
    dvc = Path(sys.executable).parent / "dvc"
    if not dvc.exists():
        pytest.fail("dvc is a pinned dependency (requirements.txt) but is not installed in this environment")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = _env()

    def run(*args: str) -> str:
        proc = subprocess.run(list(args), cwd=repo, env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    run("git", "init", "-q")
    run(str(dvc), "init", "-q")
    rows = pd.read_csv(DATA_SAMPLES / "reviews_10x5000.csv", nrows=60)
    rows.head(30).to_csv(repo / "a.csv", index=False)
    rows.tail(30).to_csv(repo / "b.csv", index=False)
    _cli("pipeline", "dvc", "--out", ".", "--report", "data_overview", "-p", "table", "a.csv",
         "--report", "data_overview", "-p", "table", "b.csv", cwd=repo)
    out = run(str(dvc), "repro")
    assert "Running stage 'data_overview'" in out and "Running stage 'data_overview_2'" in out
    first = _run_ids(repo)
    assert set(first) == {"data_overview", "data_overview_2"}
    manifest = json.loads((repo / "runs" / "data_overview" / "manifest.json").read_text())
    assert manifest["status"] == "succeeded" and manifest["inputs"][0]["path"] == str((repo / "a.csv").resolve())
    assert manifest["git"] is not None and manifest["git"]["repository"] == str(ROOT)  # the notebook's repository

    out = run(str(dvc), "repro")
    assert "Running stage" not in out and "Data and pipelines are up to date" in out
    assert _run_ids(repo) == first

    data = bytearray((repo / "a.csv").read_bytes())
    assert data[-2:-1].isdigit()  # the last row's duration_s
    data[-2:-1] = b"1" if data[-2:-1] != b"1" else b"2"  # one byte changed, still a valid table
    (repo / "a.csv").write_bytes(bytes(data))
    out = run(str(dvc), "repro")
    assert "Running stage 'data_overview'" in out and "Running stage 'data_overview_2'" not in out
    again = _run_ids(repo)
    assert again["data_overview"] != first["data_overview"] and again["data_overview_2"] == first["data_overview_2"]


# ---- Airflow ----------------------------------------------------------------------------------

def test_airflow_dag_file_describes_the_flow_without_importing_workbench(tmp_path: Path) -> None:
    _cli("pipeline", "airflow", "--out", "dags", "--corpus", "corpus.jsonl", "--work", "flow", cwd=tmp_path)
    source = (tmp_path / "dags" / "workbench_data_quality.py").read_text()
    tree = ast.parse(source)
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"__future__", "os", "subprocess", "pendulum", "airflow"}
    values = {t.id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
              for t in n.targets if isinstance(t, ast.Name) and t.id in {"COMMANDS", "UPSTREAM"}}
    assert list(values["COMMANDS"]) == ["ingest", "score", "dedup", "flag", "review_queue", "report_data_overview"]
    assert values["UPSTREAM"] == {"score": ["ingest"], "dedup": ["ingest"], "flag": ["score", "dedup"],
                                  "review_queue": ["flag"], "report_data_overview": ["review_queue"]}
    assert values["COMMANDS"]["ingest"][:4] == ["pipeline", "step", "ingest", str(tmp_path / "corpus.jsonl")]
    assert values["COMMANDS"]["report_data_overview"][:4] == ["report", "data_overview", "--run-dir",
                                                              str(tmp_path / "flow" / "reports" / "data_overview")]
    assert repr(sys.executable) in source  # the tasks run workbench in this Python
    with pytest.raises(WorkbenchError, match=r"stages wait for unknown stage\(s\) \['nope'\]"):
        pipelines.write_airflow_dag([pipelines.Stage("a", ("report", "x"), upstream=("nope",))], tmp_path)


_RUN_DAG = r'''
import json, sys
from pathlib import Path
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2
    from airflow.models.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])
print("IMPORT " + json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": sorted(bag.dag_ids)}))
dag = bag.get_dag("workbench_data_quality")
for label in ("good", "broken"):
    if label == "broken":  # the corpus loses its text column: ingest must fail, and with it the run
        Path(sys.argv[2]).write_text('{"doc_id": "a", "body": "no text"}\n')
    run = dag.test()
    tasks = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    print("RUN " + json.dumps({"label": label, "state": str(run.state), "tasks": tasks}))
'''


@pytest.mark.slow
@pytest.mark.xdist_group("pipelines-airflow")
def test_airflow_dag_runs_the_flow_and_a_failing_task_fails_the_run(tmp_path: Path) -> None:
    if not (AIRFLOW_PYTHON.parent.parent / ".installed").exists():
        pytest.skip("Airflow lives in its own environment .venv-airflow (its pins conflict with ours); "
                    "`make test` (or `make airflow-env`) builds it")
    corpus = tmp_path / "corpus.jsonl"
    planted = samples.make_corpus(150, rng=0, edit_rate=(0.01, 0.03))  # near-duplicates within MinHash's reach
    planted.tables["corpus"].to_json(corpus, orient="records", lines=True)
    truth = planted.truth["rows"].set_index("doc_id")["kind"]
    _cli("pipeline", "airflow", "--out", "dags", "--corpus", "corpus.jsonl", "--work", "flow", cwd=tmp_path)
    env = _env()
    env.update({"AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_FOLDER": str(tmp_path / "dags"), "AIRFLOW__CORE__UNIT_TEST_MODE": "False"})
    airflow = AIRFLOW_PYTHON.parent / "airflow"
    migrate = subprocess.run([str(airflow), "db", "migrate"], env=env, capture_output=True, text=True, check=False)
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    proc = subprocess.run([str(AIRFLOW_PYTHON), "-c", _RUN_DAG, str(tmp_path / "dags" / "workbench_data_quality.py"),
                           str(corpus)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    lines = (proc.stdout + proc.stderr).splitlines()
    imported = [json.loads(x[len("IMPORT "):]) for x in lines if x.startswith("IMPORT ")]
    runs = {r["label"]: r for r in (json.loads(x[len("RUN "):]) for x in lines if x.startswith("RUN "))}
    assert imported == [{"errors": {}, "dags": ["workbench_data_quality"]}], "\n".join(lines[-60:])
    assert set(runs) == {"good", "broken"}, "\n".join(lines[-60:])
    good = runs["good"]
    assert good["state"] == "success", "\n".join(lines[-80:])
    assert set(good["tasks"].values()) == {"success"} and len(good["tasks"]) == 6
    flow = tmp_path / "flow"
    flags = pd.read_parquet(flow / "flags.parquet")
    queue = pd.read_json(flow / "review_queue.jsonl", lines=True, dtype={"doc_id": str})
    assert len(flags) == 150 and sorted(queue["doc_id"]) == sorted(flags.loc[flags["decision"] == "review", "doc_id"])
    assert len(queue) > 0 and len(json.loads((flow / "review_tasks.json").read_text())) == len(queue)
    exact = flags.loc[flags["duplicate"] == "exact", "doc_id"]
    assert len(exact) >= 1 and (flags.set_index("doc_id").loc[exact, "decision"] == "drop").all()
    assert truth.reindex(queue["doc_id"]).isin(["near_duplicate", "clean"]).all()  # near copies go to a person
    assert truth.reindex(exact).isin(["exact_duplicate", "clean"]).all()
    report = json.loads((flow / "reports" / "data_overview" / "manifest.json").read_text())
    assert report["status"] == "succeeded" and report["headlines"] == ["A corpus table of 150 rows and 3 columns."]
    broken = runs["broken"]
    assert broken["state"] == "failed"
    assert broken["tasks"]["ingest"] == "failed"
    assert {broken["tasks"][t] for t in ("score", "dedup", "flag", "review_queue", "report_data_overview")} == {
        "upstream_failed"}


def test_the_pinned_dvc_is_installed() -> None:
    pins = {line.split("==")[0]: line.split("==")[1] for line in (ROOT / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    assert "dvc" in pins and shutil.which("dvc", path=str(Path(sys.executable).parent))
    out = subprocess.run([str(Path(sys.executable).parent / "dvc"), "--version"], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == pins["dvc"]


def test_the_flows_retrain_stages_turn_decisions_into_a_filter_and_score_again(tmp_path: Path) -> None:
    """seed_flow(retrain=True): after the queue, the store's decisions train a filter and the
    corpus is scored again with its column learned:quality (issue 30). The stages' own command
    lines run here in order, in process."""
    from typer.testing import CliRunner

    from workbench.cli import app

    corpus = pd.read_json(DATA_SAMPLES / "corpus.jsonl", lines=True).head(300)
    corpus.to_json(tmp_path / "corpus.jsonl", orient="records", lines=True)
    stages = pipelines.seed_flow(tmp_path / "corpus.jsonl", tmp_path / "flow", retrain=True,
                                 reports=[("data_overview", {"table": str(tmp_path / "flow" / "ingested.parquet")})])
    names = [s.name for s in stages]
    assert names[5:7] == ["retrain", "rescore"] and stages[5].upstream == ("review_queue",)
    runner = CliRunner()
    for stage in stages[:5]:
        res = runner.invoke(app, stage.command(prefix=()))
        assert res.exit_code == 0, (stage.name, res.output)
    scores = pd.read_parquet(tmp_path / "flow" / "scores.parquet")
    with ReviewStore(tmp_path / "flow" / "review.sqlite", synchronous="NORMAL") as store:  # reviewers at work
        for doc, n in zip(scores["doc_id"], scores["n_words"], strict=True):
            store.record(str(doc), "ann", "Poor quality" if n < scores["n_words"].median() else "Acceptable")
    for stage in stages[5:7]:
        res = runner.invoke(app, stage.command(prefix=()))
        assert res.exit_code == 0, (stage.name, res.output)
    rescored = pd.read_parquet(tmp_path / "flow" / "rescored.parquet")
    assert rescored["learned:quality"].between(0, 1).all()
    short = rescored["n_words"] < scores["n_words"].median()
    assert rescored.loc[short, "learned:quality"].mean() > rescored.loc[~short, "learned:quality"].mean() + 0.3


@pytest.mark.slow
@pytest.mark.xdist_group("pipelines-dvc")
def test_dvc_retrain_stages_retrain_when_reviewers_decide_more(tmp_path: Path) -> None:
    """pipeline dvc --retrain STORE (issue 30): dvc repro trains the filter from the store's
    decisions and scores the corpus again; nothing reruns until the store changes; a new
    decision retrains and rescores."""
    dvc = Path(sys.executable).parent / "dvc"
    if not dvc.exists():
        pytest.fail("dvc is a pinned dependency (requirements.txt) but is not installed in this environment")
    repo = tmp_path / "repo"
    repo.mkdir()

    def run(*args: str) -> str:
        proc = subprocess.run(list(args), cwd=repo, env=_env(), capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    run("git", "init", "-q")
    run(str(dvc), "init", "-q")
    corpus = pd.read_json(DATA_SAMPLES / "corpus.jsonl", lines=True).head(300)
    corpus.to_json(repo / "corpus.jsonl", orient="records", lines=True)
    _cli("score", "text", "corpus.jsonl", "--out", "scores.parquet", "--metrics", "stats", "--no-cache", cwd=repo)
    scores = pd.read_parquet(repo / "scores.parquet")
    median = scores["n_words"].median()
    with ReviewStore(repo / "review.sqlite") as store:
        for doc, n in zip(scores["doc_id"][:200], scores["n_words"][:200], strict=True):
            store.record(str(doc), "ann", "Poor quality" if n < median else "Acceptable")
    _cli("pipeline", "dvc", "--out", ".", "--retrain", "review.sqlite", "--items", "scores.parquet",
         "--corpus", "corpus.jsonl", "--metrics", "stats", cwd=repo)
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    assert list(stages) == ["retrain", "rescore"]
    assert stages["retrain"]["cmd"] == ("workbench flywheel train review.sqlite --items scores.parquet --out "
                                        "filters/quality --item doc_id --curve-seeds 0")
    assert stages["retrain"]["deps"] == ["review.sqlite", "scores.parquet"]
    assert stages["rescore"]["deps"] == ["corpus.jsonl", "filters/quality"]
    assert stages["rescore"]["outs"] == ["rescored.parquet"]
    out = run(str(dvc), "repro")
    assert "Running stage 'retrain'" in out and "Running stage 'rescore'" in out
    rescored = pd.read_parquet(repo / "rescored.parquet")
    short = rescored["n_words"] < median
    assert rescored.loc[short, "learned:quality"].mean() > rescored.loc[~short, "learned:quality"].mean() + 0.3
    first = json.loads((repo / "filters" / "quality" / "filter.json").read_text())
    assert "Running stage" not in run(str(dvc), "repro")
    with ReviewStore(repo / "review.sqlite") as store:  # reviewers decide 100 more items
        for doc, n in zip(scores["doc_id"][200:], scores["n_words"][200:], strict=True):
            store.record(str(doc), "ann", "Poor quality" if n < median else "Acceptable")
    out = run(str(dvc), "repro")
    assert "Running stage 'retrain'" in out and "Running stage 'rescore'" in out
    again = json.loads((repo / "filters" / "quality" / "filter.json").read_text())
    assert again["n_items"] == 300 and first["n_items"] == 200


def test_dvc_retrain_needs_its_inputs_and_refuses_templates(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = subprocess.run([sys.executable, "-m", "workbench", "pipeline", "dvc", "--out", ".", "--retrain",
                           "r.sqlite"], cwd=tmp_path, env=_env(), capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "needs --items SCORES" in proc.stderr
    stages = pipelines.retrain_stages(tmp_path / "r${x}.sqlite", tmp_path / "s.parquet", tmp_path / "c.jsonl", tmp_path)
    with pytest.raises(WorkbenchError, match="template"):
        pipelines.write_dvc([], tmp_path, stages=stages)
    outside = pipelines.retrain_stages(tmp_path / "r.sqlite", tmp_path / "s.parquet", tmp_path / "c.jsonl",
                                       tmp_path.parent / "elsewhere")
    with pytest.raises(WorkbenchError, match="outside the repository"):
        pipelines.write_dvc([], tmp_path, stages=outside)
