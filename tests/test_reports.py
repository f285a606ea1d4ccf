"""The report runner: papermill → executed notebook → self-contained HTML, and its failures."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import workbench
from tests.conftest import NOTEBOOKS, ROOT
from workbench import reports
from workbench.errors import ReportError, WorkbenchError
from workbench.manifest import notebook_parameters


@pytest.fixture()
def table(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame(
        {
            "item_id": [f"i{i // 3}" for i in range(n)],
            "annotator_id": [f"a{i % 3}" for i in range(n)],
            "label": rng.choice(["pos", "neg"], n),
            "timestamp": pd.date_range("2026-01-01", periods=n, freq="6h").astype(str),
        }
    )
    path = tmp_path / "ann.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture()
def toy_notebooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A notebooks folder with a good, a failing and a table-reading notebook."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    for name, body in {"good": "print(x * 2)", "bad": "y = 1\nraise ValueError(f'nonsense {x}')"}.items():
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell("x: int = 1  # a number")
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(body)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / f"{name}.ipynb")
    # reads a table, resolves a local model file, records a headline from the data (issue 16)
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('path: str = "in.csv"  # a table\nmodel_path: str = ""  # a model file\nscale: int = 2')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell("import pandas as pd\nfrom workbench._models import resolve_model\n"
                                  "from workbench.reports import headline\ndf = pd.read_csv(path)\n"
                                  "if model_path:\n    resolve_model(model_path, kind='causal_lm')"),
        nbformat.v4.new_code_cell("headline(f\"total {df['x'].sum() * scale}, first name {df['name'][0]}\")"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "reader.ipynb")
    pd.DataFrame({"x": [1, 2, 3], "name": ["<b>Ann</b>", "Bo", "Cy"]}).to_csv(folder / "in.csv", index=False)
    monkeypatch.setenv("WORKBENCH_NOTEBOOKS", str(folder))
    return folder


def test_report_renders_offline_html_and_index(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    run = reports.run_report("data_overview", {"table": str(table)}, out_dir=out, progress=False)
    assert run.html == out.resolve() / "data_overview" / run.run_id / "data_overview.html"
    assert run.notebook.exists() and run.html.exists()
    page = run.html.read_text()
    assert "Plotly.newPlot" in page  # charts are there
    assert 'src="https://cdn.plot.ly' not in page  # plotly.js is embedded, not fetched
    assert "sanity checks passed" in page
    index = (out / "index.html").read_text()
    assert f"data_overview/{run.run_id}/data_overview.html" in index
    executed = nbformat.read(run.notebook, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert str(table) in injected[0].source


def test_unknown_report_lists_the_valid_ones() -> None:
    with pytest.raises(ReportError, match=r"unknown report 'nope'; the reports are: .*data_overview.*or 'all'"):
        reports.run_report("nope")


def test_unknown_parameter_lists_declared_ones(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"report 'data_overview' has no parameter\(s\) 'tabel'\. Its parameters are:\n  table \(str, default"):
        reports.run_report("data_overview", {"tabel": "x.csv"}, out_dir=tmp_path)
    assert not any(tmp_path.rglob("*.html"))


def test_parameter_types_are_coerced(toy_notebooks: Path, tmp_path: Path) -> None:
    run = reports.run_report("good", {"x": "21"}, out_dir=tmp_path, progress=False)
    assert run.parameters == {"x": 21}
    assert "42" in run.html.read_text()
    with pytest.raises(ReportError, match=r"parameter 'x' expects int \(default 1\) but got 'many'"):
        reports.run_report("good", {"x": "many"}, out_dir=tmp_path, progress=False)


def test_failing_notebook_names_cell_and_leaves_no_html(toy_notebooks: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"(?s)report 'bad' failed in cell \[\d+\].*raise ValueError.*ValueError: nonsense 1.*no HTML report was written"):
        reports.run_report("bad", out_dir=tmp_path, progress=False)
    run_dirs = list((tmp_path / "bad").iterdir())
    assert len(run_dirs) == 1
    assert sorted(p.name for p in run_dirs[0].iterdir()) == ["bad.failed.ipynb", "manifest.json"]


def test_run_all_reports_every_failure(toy_notebooks: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"1 of 3 reports failed"):
        reports.run_all(out_dir=tmp_path, progress=False)
    assert len(list(tmp_path.glob("good/*/good.html"))) == 1


def test_cli_report_prints_html_path_last(table: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "report", "data_overview", "-p", "table", str(table), "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.endswith("data_overview.html") and Path(last).exists()


def test_cli_failing_report_exits_nonzero(toy_notebooks: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "report", "bad", "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert "failed in cell" in proc.stderr and "ValueError: nonsense 1" in proc.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "workbench", "report", "good", "-p", "x"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "parameters are given as -p KEY VALUE" in bad.stderr


def test_relative_output_paths_resolve_against_the_callers_folder(
    toy_notebooks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared = reports.ReportParameter("store_path", "str", '"../data_samples/x.sqlite"', "")
    monkeypatch.chdir(tmp_path)
    assert reports._coerce("out/new.sqlite", declared) == str(tmp_path / "out" / "new.sqlite")
    plain = reports.ReportParameter("language", "str", '"en"', "")
    assert reports._coerce("en", plain) == "en"


def test_a_run_folder_is_never_reused(toy_notebooks: Path, tmp_path: Path) -> None:
    reports.run_report("good", out_dir=tmp_path, run_id="fixed", progress=False)
    with pytest.raises(ReportError, match=r"run folder .*fixed already exists"):
        reports.run_report("good", out_dir=tmp_path, run_id="fixed", progress=False)


# ---- run manifests, run folders, rerun, headlines and the index (issue 16) ----

def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


MANIFEST_FIELDS = {"report", "run_id", "status", "started_at", "finished_at", "parameters", "inputs", "models",
                   "environment", "git", "headlines", "error", "files", "verdict"}


def test_manifest_of_a_real_run_records_every_field(table: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    run = reports.run_report("data_overview", {"table": str(table)}, out_dir=out, progress=False)
    assert run.manifest == run.notebook.parent / "manifest.json"
    data = json.loads(run.manifest.read_text())
    assert set(data) == MANIFEST_FIELDS
    assert (data["report"], data["run_id"], data["status"], data["error"]) == ("data_overview", run.run_id, "succeeded", None)
    started = datetime.fromisoformat(data["started_at"])
    finished = datetime.fromisoformat(data["finished_at"])
    assert started.tzinfo is not None and started <= finished
    # every parameter the notebook ran with: the given table and the defaults (kind "" among them)
    defaults = notebook_parameters(nbformat.read(NOTEBOOKS / "data_overview.ipynb", as_version=4))
    assert data["parameters"] == {**defaults, "table": str(table)} and data["parameters"]["kind"] == ""
    [inp] = data["inputs"]
    assert inp == {"parameter": "table", "path": str(table.resolve()), "kind": "file", "bytes": table.stat().st_size,
                   "sha256": _sha256(table), "rows": 60, "files": None}
    assert data["models"] == []  # data_overview loads none (see the toy run with a model below)
    env = data["environment"]
    assert env["python"] == platform.python_version() and env["workbench"] == workbench.__version__
    assert env["pandas"] == pd.__version__ and env["papermill"] == importlib.metadata.version("papermill")
    assert data["git"]["commit"] == _git("rev-parse", "HEAD", cwd=ROOT)
    assert data["git"]["dirty"] == bool(_git("status", "--porcelain", "--untracked-files=no", cwd=ROOT))
    assert data["headlines"] == ["An annotations table of 60 rows and 4 columns by 3 annotator(s)."]
    assert data["files"] == {"notebook": "data_overview.ipynb", "html": "data_overview.html"}
    assert not [p for p in run.manifest.parent.iterdir() if p.name.startswith(".")]  # no temporary left
    # the HTML ends with the run record, from the same data
    page = run.html.read_text()
    record = page[page.index("<section id='run-record'"):]
    assert "Run record" in record and _sha256(table)[:16] in record and run.run_id in record
    assert "annotations table of 60 rows" in record and page.rstrip().endswith("</html>")
    # the public reader gives the same record
    [m] = reports.load_manifests(out)
    assert m.to_dict() == data and m.headlines == tuple(data["headlines"])


def test_failed_run_writes_its_manifest_naming_the_cell(toy_notebooks: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"failed in cell \[3\]"):  # parameters, injected parameters, body
        reports.run_report("bad", {"x": "7"}, out_dir=tmp_path, progress=False)
    [folder] = list((tmp_path / "bad").iterdir())
    data = json.loads((folder / "manifest.json").read_text())
    assert set(data) == MANIFEST_FIELDS
    assert data["status"] == "failed" and data["parameters"] == {"x": 7}
    failing = nbformat.read(folder / "bad.failed.ipynb", as_version=4).cells[data["error"]["cell_index"]]
    assert data["error"]["cell"] == failing.execution_count == 3
    assert "raise ValueError" in failing.source and "raise ValueError" in data["error"]["source"]
    assert (data["error"]["ename"], data["error"]["evalue"]) == ("ValueError", "nonsense 7")
    assert data["files"] == {"notebook": "bad.failed.ipynb"}
    assert data["git"] is None  # the toy notebooks are outside any git repository
    index = (tmp_path / "index.html").read_text()
    assert "failed in cell [3]: ValueError: nonsense 7" in index


def test_html_failure_after_a_finished_run_keeps_the_notebook_and_writes_a_failed_manifest(
    toy_notebooks: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("template <lab> missing")

    monkeypatch.setattr(reports, "_render_html", broken)
    with pytest.raises(ReportError, match="ran to the end .* rendering its HTML failed: RuntimeError"):
        reports.run_report("good", {"x": "2"}, out_dir=tmp_path, progress=False)
    [folder] = list((tmp_path / "good").iterdir())
    data = json.loads((folder / "manifest.json").read_text())
    assert data["status"] == "failed" and data["files"] == {"notebook": "good.ipynb"}
    assert data["error"]["source"].startswith("HTML rendering") and data["parameters"] == {"x": 2}
    assert (folder / "good.ipynb").is_file() and not (folder / "good.html").exists()
    assert not list(folder.glob(".*"))  # no partial notebook or sidecar left behind
    index = (tmp_path / "index.html").read_text()
    assert "failed in HTML rendering: RuntimeError: template &lt;lab&gt; missing" in index


def test_manifest_records_a_model_with_its_weights_hash_and_is_escaped_everywhere(
    toy_notebooks: Path, tmp_path: Path
) -> None:
    weights = tmp_path / "tiny.gguf"
    weights.write_bytes(bytes(range(256)) * 40)
    run = reports.run_report("reader", {"model_path": str(weights)}, out_dir=tmp_path / "r", progress=False)
    m = reports.load_manifests(tmp_path / "r")[0]
    [model] = m.models
    assert (model.kind, model.source, model.file) == ("causal_lm", "local_file", "tiny.gguf")
    assert model.weights_sha256 == _sha256(weights) and model.location == str(tmp_path)
    assert m.parameters == {"path": "in.csv", "model_path": str(weights), "scale": 2}  # defaults included
    assert m.headlines == ("total 12, first name <b>Ann</b>",)
    assert {i.parameter: (i.sha256, i.rows) for i in m.inputs} == {
        "path": (_sha256(toy_notebooks / "in.csv"), 3), "model_path": (_sha256(weights), None)}
    page = run.html.read_text()
    record = page[page.index("<section id='run-record'"):]
    assert "&lt;b&gt;Ann&lt;/b&gt;" in record and "<b>Ann</b>" not in record
    index = (tmp_path / "r" / "index.html").read_text()
    assert "&lt;b&gt;Ann&lt;/b&gt;" in index and "<b>Ann</b>" not in index


def test_run_dir_writes_fixed_files_and_replaces_the_previous_run(toy_notebooks: Path, tmp_path: Path) -> None:
    fixed = tmp_path / "fixed"
    first = reports.run_report("good", {"x": "3"}, run_dir=fixed, progress=False)
    second = reports.run_report("good", {"x": "4"}, run_dir=fixed, progress=False)
    assert sorted(p.name for p in fixed.iterdir()) == ["good.html", "good.ipynb", "manifest.json"]
    assert first.run_id != second.run_id and second.html == fixed.resolve() / "good.html"
    assert json.loads((fixed / "manifest.json").read_text())["parameters"] == {"x": 4}
    bad = tmp_path / "fixed_bad"
    bad.mkdir()
    (bad / "bad.html").write_text("an earlier run's report")
    with pytest.raises(ReportError):
        reports.run_report("bad", run_dir=bad, progress=False)
    # a failed run leaves no report that looks complete, and says so in its manifest
    assert sorted(p.name for p in bad.iterdir()) == ["bad.failed.ipynb", "manifest.json"]
    assert json.loads((bad / "manifest.json").read_text())["status"] == "failed"
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "report", "good", "-p", "x", "5", "--run-dir", str(tmp_path / "cli")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == ["good.html", "good.ipynb", "manifest.json"]


def test_rerun_reports_changed_inputs_and_reproduces_the_headline(toy_notebooks: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("x,name\n1,a\n2,b\n3,c\n")
    out = tmp_path / "r"
    first = reports.run_report("reader", {"path": str(data)}, out_dir=out, progress=False)

    def rerun() -> tuple[str, dict]:
        proc = subprocess.run(
            [sys.executable, "-m", "workbench", "report", "rerun", str(first.notebook.parent), "--out", str(out)],
            capture_output=True, text=True, check=False,
        )
        assert proc.returncode == 0, proc.stderr
        new_html = Path(proc.stdout.strip().splitlines()[-1])
        return proc.stdout, json.loads((new_html.parent / "manifest.json").read_text())

    stdout, again = rerun()
    assert stdout.splitlines()[0] == f"no input changed since run {first.run_id} (1 input(s) checked by sha256)"
    assert again["headlines"] == list(first.headlines) == ["total 12, first name a"]
    assert again["parameters"] == {"path": str(data), "model_path": "", "scale": 2}
    assert "headline recorded: total 12, first name a\nheadline now: total 12, first name a" in stdout
    before = _sha256(data)[:12]
    data.write_text("x,name\n1,a\n2,b\n4,c\n")  # one byte changed
    stdout, changed = rerun()
    assert stdout.splitlines()[0] == (f"input 'path' changed: {data.resolve()} (sha256 {before} -> "
                                      f"{_sha256(data)[:12]}, 19 -> 19 bytes)")
    assert changed["headlines"] == ["total 14, first name a"]
    assert "no input changed" not in stdout


def test_headline_validates_and_writes_the_sidecar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench import _runrecord

    sidecar = tmp_path / "record.jsonl"
    monkeypatch.setenv(_runrecord.RECORD_ENV, str(sidecar))
    shown = reports.headline("alpha 0.43:  acceptance\nnot met", "second fact")
    assert shown.facts == ("alpha 0.43: acceptance not met", "second fact")
    assert "<li>alpha 0.43: acceptance not met</li>" in shown._repr_html_()
    assert _runrecord.read_record(sidecar) == (["alpha 0.43: acceptance not met", "second fact"], [])
    with pytest.raises(WorkbenchError, match=r"headline\(\) needs at least one fact"):
        reports.headline()
    with pytest.raises(WorkbenchError, match=r"headline fact 0 is a float \(0\.43\)"):
        reports.headline(0.43)  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match=r"headline fact 1 is empty"):
        reports.headline("ok", "  ")


def test_index_lists_runs_newest_first_with_a_report_filter(toy_notebooks: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    a = reports.run_report("good", out_dir=out, run_id="20260101-000000-aaaa", progress=False)
    b = reports.run_report("reader", out_dir=out, run_id="20260101-000001-bbbb", progress=False)
    index = (out / "index.html").read_text()
    assert index.index(b.run_id) < index.index(a.run_id)  # the later run first
    assert index.count("<tr data-report=") == 2
    assert "<select id='filter'>" in index and "<option value='good'>good</option>" in index
    assert f"in.csv</code> <span class='h'>{_sha256(toy_notebooks / 'in.csv')[:8]}</span>" in index
    assert 'href="reader/20260101-000001-bbbb/reader.html"' in index
    assert "http" not in index.lower().replace("http-equiv", "")  # opens offline: nothing fetched
