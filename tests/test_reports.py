"""The report runner: papermill → executed notebook → self-contained HTML, and its failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from workbench import reports
from workbench.errors import ReportError


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
    """A notebooks folder with one good and one failing notebook."""
    folder = tmp_path / "nbs"
    folder.mkdir()
    for name, body in {"good": "print(x * 2)", "bad": "y = 1\nraise ValueError(f'nonsense {x}')"}.items():
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell("x: int = 1  # a number")
        params.metadata["tags"] = ["parameters"]
        nb.cells = [params, nbformat.v4.new_code_cell(body)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / f"{name}.ipynb")
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
    assert sorted(p.name for p in run_dirs[0].iterdir()) == ["bad.failed.ipynb"]


def test_run_all_reports_every_failure(toy_notebooks: Path, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"1 of 2 reports failed"):
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
