"""Every notebook in notebooks/ is a product: no outputs committed, a literal parameters cell,
no function definitions, and it runs headless through the report path (papermill + nbconvert).

``make test`` also runs every notebook with ``pytest --nbval-lax notebooks``.
"""

from __future__ import annotations

import ast
import re
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
    # verdict first (issue 26): the box right under the title, before any section or method prose,
    # the manifest records it, the <title> carries it, and the index shows the outcome
    html = run.html.read_text(encoding="utf-8")
    body = html[html.index("<body"):]
    box = body.find("verdict verdict-")
    assert box > 0, f"{path.stem}: no verdict box"
    for later in ("<h2", "<summary>Method</summary>"):
        at = body.find(later)
        assert at == -1 or box < at, f"{path.stem}: {later} comes before the verdict"
    manifest = reports.load_manifests(tmp_path)[0]
    assert manifest.verdict is not None and manifest.verdict["tone"] in ("good", "warning", "bad", "neutral")
    title = html[html.index("<title>") + 7: html.index("</title>")]
    assert title.startswith(path.stem) and reports.escape_html(manifest.verdict["headline"])[:40] in title
    assert f"data-outcome='{manifest.verdict['outcome']}'" in (tmp_path / "index.html").read_text(encoding="utf-8")
    _opens_offline(run.html)
    from workbench.plots._check import check_notebook

    assert not check_notebook(executed), f"{path.stem}: figures the checker rejects: {check_notebook(executed)[:3]}"
    # inputs the notebook resolved itself ("auto" sample companions) are hashed in the manifest (issue 28)
    companions = {"data_intervention_ab": {"texts_path", "gold_path"}, "annotation_reliability": {"gold_path"},
                  "vendor_comparison": {"gold"}}.get(path.stem, set())
    assert companions <= {i.parameter for i in manifest.inputs if len(i.sha256) == 64}


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


# ---- thin views (issue 26): a notebook holds parameters, one analysis call, display and prose ----
_FORBIDDEN_CALLS = {"merge", "groupby", "sort_values", "sort_index", "pivot_table", "concat", "value_counts",
                    "print", "apply", "agg", "nlargest", "nsmallest", "query"}
_FORBIDDEN_ATTRS = {"iloc", "loc", "iat", "at"}


def thin_view_offences(source: str) -> list[str]:
    """What a notebook cell computes or words itself instead of showing its analysis' result."""
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in _FORBIDDEN_CALLS:
                found.append(f"{name}() (a computation or print: it belongs in the analysis)")
        elif isinstance(node, ast.Attribute) and node.attr in _FORBIDDEN_ATTRS:
            found.append(f".{node.attr}[...] (row/column positions belong in the analysis)")
        elif isinstance(node, ast.JoinedStr):
            found.append("an f-string (sentences are worded by the analysis: summary(), verdict, *_line())")
        elif isinstance(node, ast.Compare) and any(
            isinstance(x, ast.Constant) and isinstance(x.value, (int, float)) and not isinstance(x.value, bool)
            for x in [node.left, *node.comparators]
        ):
            found.append("a comparison with a number (a rule literal belongs in the analysis' defaults)")
        elif isinstance(node, (ast.For, ast.While, ast.ListComp, ast.DictComp, ast.SetComp, ast.GeneratorExp)):
            found.append("a loop or comprehension (computing belongs in the analysis)")
    return found


def test_the_thin_view_check_can_fail() -> None:
    assert thin_view_offences("x = df.merge(g)\nprint(f'{x}')\nif p < 0.05:\n    y = t.iloc[0]") != []
    assert thin_view_offences("result = a.run(path=p)\nshow_verdict(result)\nshow(result.table)") == []


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=IDS)
def test_notebook_is_a_thin_view_of_its_analysis(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in _code(nb) if "parameters" not in c.metadata.get("tags", [])]
    offences = [(i, o) for i, c in enumerate(cells) for o in thin_view_offences(c.source)]
    assert not offences, f"{path.name}: " + "; ".join(f"code cell {i}: {o}" for i, o in offences[:8])
    calls = "\n".join(c.source for c in cells)
    assert f"analyses import {path.stem}" in calls and f"{path.stem}.run(" in calls, (
        f"{path.name}: a report calls its analysis once (from workbench.analyses import {path.stem}; "
        f"{path.stem}.run(...))")
    assert "show_verdict(" in cells[1].source if len(cells) > 1 else False, (
        f"{path.name}: the first cell after the parameters opens the report with show_verdict(result)")


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=IDS)
def test_method_prose_folds_away(path: Path) -> None:
    """The first screen is title, verdict, inputs: the method prose sits in a <details> section."""
    nb = nbformat.read(path, as_version=4)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert md and md[0].lstrip().startswith("# "), f"{path.name}: the first cell is the title"
    assert len(md[0].split()) <= 60, f"{path.name}: the title cell holds one or two sentences; method prose goes into <details>"
    assert any(s.lstrip().startswith("<details>") for s in md), f"{path.name}: a collapsed Method section"


_EXTERNAL = re.compile(r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", re.IGNORECASE)


def _opens_offline(html_path: Path) -> None:
    """Issue 28: a report loads nothing from a network (no CDN script, stylesheet, image or frame)
    and, in Chromium with the network blocked, every plot draws and no request fails."""
    html = html_path.read_text(encoding="utf-8")
    assert not _EXTERNAL.findall(html), f"{html_path.name} loads from a network: {_EXTERNAL.findall(html)[:3]}"
    assert "application/vnd.jupyter.widget-view+json" not in html  # widgets are static in a report
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        return
    sync_api = pytest.importorskip("playwright.sync_api")
    requested: list[str] = []
    failed: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.route(re.compile(r"^https?://"), lambda route: (requested.append(route.request.url), route.abort()))
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.goto(html_path.as_uri(), wait_until="load")
        figures = html.count("Plotly.newPlot(")
        drawn = page.locator(".js-plotly-plot").count()
        browser.close()
    assert not requested and not failed, f"{html_path.name} asked the network for {(requested + failed)[:3]}"
    assert drawn == figures, f"{html_path.name}: {drawn} of {figures} plotly figures drawn offline"


def test_the_offline_check_can_fail(tmp_path: Path) -> None:
    page = tmp_path / "r.html"
    page.write_text('<html><head><script src="https://cdnjs.cloudflare.com/x.js"></script></head></html>')
    with pytest.raises(AssertionError, match="loads from a network"):
        _opens_offline(page)


def test_widget_views_become_static_and_cdn_scripts_are_dropped() -> None:
    import nbformat as nbf

    nb = nbf.v4.new_notebook()
    cell = nbf.v4.new_code_cell("w")
    cell.outputs = [
        nbf.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"},
                                                "text/plain": "VBox()"}),
        nbf.v4.new_output("display_data", data={"text/html": '<script src="https://cdn.x/mathjax.js"></script><b>fig</b>'}),
        nbf.v4.new_output("stream", name="stderr", text="Loading weights:  40%|####      | 40/94 [00:01<00:02, 30it/s]"),
    ]
    nb.cells.append(cell)
    nb.metadata["widgets"] = {"state": {}}
    out = reports._static_widgets(nb)  # noqa: SLF001 - the renderer's preprocessing step
    datas = [o.get("data", {}) for o in out.cells[0].outputs]
    assert len(datas) == 2 and "open the notebook in JupyterLab" in datas[0]["text/html"]
    assert datas[1]["text/html"] == "<b>fig</b>" and "widgets" not in out.metadata


def test_the_figure_checker_catches_what_issue_28_saw() -> None:
    """Each defect seen in the reports, drawn on purpose, is caught (the checker can fail)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from workbench.plots._check import check_figure

    def problems(fig: go.Figure) -> str:
        return " | ".join(check_figure(fig.to_plotly_json()))

    synced = make_subplots(specs=[[{"secondary_y": True}]])
    synced.add_bar(x=["a", "b"], y=[3, 4], secondary_y=False)
    synced.add_scatter(x=["a", "b"], y=[0.2, 0.6], secondary_y=True)
    synced.update_yaxes(title_text="decisions", secondary_y=False)
    synced.update_yaxes(title_text="share", tickmode="sync", secondary_y=True)
    assert "synced to another axis" in problems(synced)
    untitled = go.Figure(go.Scatter(x=[0.1, 0.5], y=["a", "b"], mode="markers"))
    assert "has no title" in problems(untitled)
    coded = go.Figure(go.Histogram(x=[1, 2, 2])).update_xaxes(title_text="missing_share").update_yaxes(title_text="n")
    assert "column name ('missing_share')" in problems(coded)
    short_log = go.Figure(go.Scatter(x=[10, 20, 90], y=[1, 2, 3])).update_xaxes(type="log", title_text="ppl")
    assert "under two decades" in problems(short_log.update_yaxes(title_text="items"))
    one_day = go.Figure(go.Scatter(x=["2026-01-05", "2026-01-05"], y=[1, 2])).update_xaxes(type="date")
    assert "one time point" in problems(one_day.update_yaxes(title_text="accuracy"))
    empty = go.Figure(go.Bar(x=[], y=[]))
    assert "no trace carries data" in problems(empty)
