"""Run parameterized notebooks headless into self-contained HTML reports.

``run_report("NAME", {"key": value})`` executes ``notebooks/NAME.ipynb`` with papermill into
``reports/NAME/<run-id>/NAME.ipynb`` and renders ``NAME.html`` beside it with nbconvert
(plotly.js embedded, so the report opens offline). ``reports/index.html`` lists every run.

A failed run raises :class:`~workbench.errors.ReportError` naming the failing cell and its
error; the executed notebook is kept as ``NAME.failed.ipynb`` for debugging and no HTML is
written, so nothing that looks like a complete report is left behind.
"""

from __future__ import annotations

import datetime as _dt
import html
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import ReportError
from workbench.io import atomic_path

__all__ = [
    "ReportParameter",
    "ReportRun",
    "available_reports",
    "notebooks_dir",
    "report_parameters",
    "run_all",
    "run_report",
    "write_index",
]

_REPO = Path(__file__).resolve().parents[1]


def notebooks_dir() -> Path:
    """The folder of report notebooks: ``$WORKBENCH_NOTEBOOKS`` or the checkout's ``notebooks/``."""
    return Path(os.environ.get("WORKBENCH_NOTEBOOKS", _REPO / "notebooks"))


def available_reports() -> list[str]:
    """Names of the report notebooks (``notebooks/*.ipynb``), sorted."""
    return sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))


@dataclass(frozen=True)
class ReportParameter:
    """One parameter a report notebook declares in its ``parameters`` cell."""

    name: str
    type: str
    default: str
    help: str


@dataclass(frozen=True)
class ReportRun:
    """A completed report run: where its files are and what it was given."""

    name: str
    run_id: str
    notebook: Path
    html: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line: which report, how long, where the HTML is."""
        return f"report {self.name} run {self.run_id} finished in {self.seconds:.1f} s: {self.html}"


def _notebook_path(name: str) -> Path:
    path = notebooks_dir() / f"{name}.ipynb"
    if not path.is_file():
        valid = ", ".join(available_reports()) or "(none found)"
        raise ReportError(f"unknown report {name!r}; the reports are: {valid}, or 'all'.")
    return path


def report_parameters(name: str) -> dict[str, ReportParameter]:
    """The parameters that report ``name`` declares, with their types, defaults and comments."""
    import papermill as pm

    params = pm.inspect_notebook(str(_notebook_path(name)))
    return {
        k: ReportParameter(k, str(v.get("inferred_type_name", "None")), str(v.get("default")), str(v.get("help", "")))
        for k, v in params.items()
    }


def _coerce(value: Any, declared: ReportParameter) -> Any:
    """Turn a command-line string into the declared type; make existing relative paths absolute."""
    if not isinstance(value, str):
        return value
    kind = declared.type
    if kind == "str" or kind == "None" and not value.strip():
        out: Any = value
    else:
        try:
            out = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ReportError(
                f"parameter {declared.name!r} expects {kind} but {value!r} does not parse: {exc}"
            ) from exc
        types: dict[str, type | tuple[type, ...]] = {
            "int": int, "float": (int, float), "bool": bool, "list": list, "dict": dict,
        }
        expected = types.get(kind)
        if expected is not None and not isinstance(out, expected):
            raise ReportError(
                f"parameter {declared.name!r} expects {kind} (default {declared.default}) "
                f"but got {value!r}."
            )
        if kind == "float" and isinstance(out, int):
            out = float(out)
    if isinstance(out, str) and out and _is_path_parameter(declared, out):
        out = str(Path(out).resolve())
    return out


def _is_path_parameter(declared: ReportParameter, value: str) -> bool:
    """Whether a string parameter names a file or folder, to resolve against the caller's folder.

    Notebooks run in ``notebooks/``, so a relative path typed by the user must be made absolute
    here — also for outputs that do not exist yet (a rules file, a review store).
    """
    if "://" in value or Path(value).is_absolute():
        return False
    if Path(value).exists():
        return True
    name = declared.name.lower()
    default = declared.default.strip("'\"")
    return name.endswith(("path", "_dir", "_file", "_out")) or "/" in default


def _run_id() -> str:
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(2)}"


def _failure_message(name: str, exc: Exception, executed: Path) -> str:
    cell = getattr(exc, "exec_count", None)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    source = "\n    ".join(str(getattr(exc, "source", "")).splitlines()[:6])
    where = f"cell [{cell}]" if cell is not None else "a cell"
    shown = f":\n    {source}" if source else ""
    return (
        f"report {name!r} failed in {where}{shown}\n{ename}: {evalue}\n"
        f"The executed notebook is kept at {executed}; no HTML report was written."
    )


def _render_html(executed: Path, target: Path, *, show_code: bool) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(template_name="lab", exclude_input=not show_code, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)
    body, _ = exporter.from_notebook_node(nb)
    with atomic_path(target) as tmp:
        tmp.write_text(body, encoding="utf-8")


def run_report(
    name: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    out_dir: str | os.PathLike[str] = "reports",
    run_id: str | None = None,
    show_code: bool = False,
    progress: bool = True,
    timeout_s: int | None = 1800,
) -> ReportRun:
    """Execute report ``name`` with ``parameters`` and render its HTML.

    Parameters
    ----------
    name
        A notebook in ``notebooks/`` without ``.ipynb`` (see :func:`available_reports`).
    parameters
        Values for the notebook's ``parameters`` cell. Strings are converted to the declared
        type (``"0.5"`` → 0.5 for a float parameter); a string that names an existing path
        relative to the current folder is made absolute, because notebooks run in
        ``notebooks/``.
    out_dir
        Root of the reports tree; the run goes to ``out_dir/NAME/<run-id>/``.
    show_code
        Keep code cells in the HTML (by default only prose and outputs are shown).

    Returns
    -------
    ReportRun

    Raises
    ------
    ReportError
        Unknown report, unknown parameter (the message lists the valid ones), a value that
        does not fit the declared type, or a failing cell (named, with its error).
    """
    import papermill as pm

    nb_path = _notebook_path(name)
    declared = report_parameters(name)
    given = dict(parameters or {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        listing = "\n".join(
            f"  {p.name} ({p.type}, default {p.default}){'  # ' + p.help if p.help else ''}"
            for p in declared.values()
        )
        raise ReportError(
            f"report {name!r} has no parameter(s) {', '.join(map(repr, unknown))}. "
            f"Its parameters are:\n{listing}"
        )
    values = {k: _coerce(v, declared[k]) for k, v in given.items()}
    rid = run_id or _run_id()
    run_dir = Path(out_dir).resolve() / name / rid
    if run_dir.exists():
        raise ReportError(f"run folder {run_dir} already exists; choose another run_id (runs are never overwritten).")
    run_dir.mkdir(parents=True)
    executed = run_dir / f"{name}.ipynb"
    partial = run_dir / f".{name}.running.ipynb"
    started = time.perf_counter()
    try:
        pm.execute_notebook(
            str(nb_path),
            str(partial),
            parameters=values,
            cwd=str(nb_path.parent),
            progress_bar=progress,
            execution_timeout=timeout_s,
            kernel_name="python3",
        )
    except Exception as exc:
        failed = run_dir / f"{name}.failed.ipynb"
        if partial.exists():
            os.replace(partial, failed)
        raise ReportError(_failure_message(name, exc, failed)) from exc
    os.replace(partial, executed)
    html_path = run_dir / f"{name}.html"
    _render_html(executed, html_path, show_code=show_code)
    write_index(out_dir)
    return ReportRun(name, rid, executed, html_path, values, time.perf_counter() - started)


def run_all(
    *, out_dir: str | os.PathLike[str] = "reports", progress: bool = True
) -> list[ReportRun]:
    """Run every report with its defaults; raise one ReportError listing all failures at the end."""
    runs: list[ReportRun] = []
    failures: list[str] = []
    for name in available_reports():
        try:
            runs.append(run_report(name, out_dir=out_dir, progress=progress))
        except ReportError as exc:
            failures.append(str(exc))
    if failures:
        raise ReportError(f"{len(failures)} of {len(available_reports())} reports failed:\n\n" + "\n\n".join(failures))
    return runs


def write_index(out_dir: str | os.PathLike[str] = "reports") -> Path:
    """Write ``out_dir/index.html`` listing every completed run, newest first."""
    root = Path(out_dir).resolve()
    rows = []
    for page in sorted(root.glob("*/*/*.html"), key=lambda p: p.parent.name, reverse=True):
        name, rid = page.parent.parent.name, page.parent.name
        if page.stem != name:
            continue
        rel = page.relative_to(root).as_posix()
        nb_rel = page.with_suffix(".ipynb").relative_to(root).as_posix()
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{html.escape(rid)}</td>"
            f'<td><a href="{html.escape(rel)}">report</a></td>'
            f'<td><a href="{html.escape(nb_rel)}">notebook</a></td></tr>'
        )
    doc = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Workbench reports</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 12px;text-align:left}</style>"
        "</head><body><h1>Data Quality Workbench reports</h1>"
        f"<table><tr><th>report</th><th>run</th><th></th><th></th></tr>{''.join(rows)}</table>"
        "</body></html>"
    )
    target = root / "index.html"
    with atomic_path(target) as tmp:
        tmp.write_text(doc, encoding="utf-8")
    return target
