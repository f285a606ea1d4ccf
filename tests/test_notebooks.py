"""Every notebook in notebooks/ is a product: no outputs committed, a literal parameters cell,
no function definitions, and it runs headless through the report path (papermill + nbconvert).

``make test`` also runs every notebook with ``pytest --nbval-lax notebooks``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from tests.conftest import NOTEBOOKS
from workbench import reports

NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
IDS = [p.stem for p in NOTEBOOK_PATHS]


def _code(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks() -> None:
    assert "data_overview" in IDS


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=IDS)
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(_code(nb)) if c.outputs or c.execution_count is not None]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; strip them (nbstripout)"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=IDS)
def test_parameters_cell_holds_typed_literals_only(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in _code(nb) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one cell must be tagged 'parameters'"
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, (ast.Assign, ast.AnnAssign)), f"{path.name}: only assignments in parameters"
        value = node.value
        assert value is not None
        ast.literal_eval(value)  # raises on anything derived (calls, names, arithmetic on names)


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=IDS)
def test_no_function_or_class_definitions(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in _code(nb):
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), (
                f"{path.name}: a definition in a notebook belongs in the package:\n{cell.source[:200]}"
            )


@pytest.mark.notebook
@pytest.mark.parametrize(
    "path", [pytest.param(p, marks=pytest.mark.xdist_group(f"notebook-{p.stem}")) for p in NOTEBOOK_PATHS], ids=IDS
)
def test_runs_headless_into_an_html_report(path: Path, tmp_path: Path) -> None:
    run = reports.run_report(path.stem, out_dir=tmp_path, progress=False)
    assert run.html.is_file() and run.html.stat().st_size > 10_000
    executed = nbformat.read(run.notebook, as_version=4)
    errors = [o for c in _code(executed) for o in c.outputs if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=IDS)
def test_papermill_sees_every_parameter(path: Path) -> None:
    """papermill skips a parameter line with a second '=' (e.g. in its comment); then
    `workbench report NAME -p that_parameter ...` would be refused as unknown."""
    import papermill as pm

    nb = nbformat.read(path, as_version=4)
    tagged = next(c for c in _code(nb) if "parameters" in c.metadata.get("tags", []))
    assigned = set()
    for node in ast.parse(tagged.source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target  # type: ignore[union-attr]
        assert isinstance(target, ast.Name)
        assigned.add(target.id)
    assert set(pm.inspect_notebook(str(path))) == assigned
