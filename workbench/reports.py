"""Run parameterized notebooks headless into self-contained HTML reports.

``run_report("NAME", {"key": value})`` executes ``notebooks/NAME.ipynb`` with papermill into
``reports/NAME/<run-id>/NAME.ipynb`` and renders ``NAME.html`` beside it with nbconvert
(plotly.js embedded, so the report opens offline). ``reports/index.html`` lists every run.

A failed run raises :class:`~workbench.errors.ReportError` naming the failing cell and its
error; the executed notebook is kept as ``NAME.failed.ipynb`` for debugging and no HTML is
written, so nothing that looks like a complete report is left behind.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench import manifest
from workbench._internal.escape import escape_html, escape_markdown, markdown_code, shorten, styled
from workbench._runrecord import (
    RECORD_ENV,
    Headlines,
    headline,
    read_inputs,
    read_record,
    read_verdict,
)
from workbench.errors import ReportError
from workbench.io import atomic_path
from workbench.manifest import RunManifest, load_manifests

__all__ = [
    "Headlines",
    "ReportParameter",
    "ReportRun",
    "RunManifest",
    "available_reports",
    "escape_html",
    "escape_markdown",
    "markdown_code",
    "styled",
    "check_parameters",
    "headline",
    "load_manifests",
    "notebooks_dir",
    "report_parameters",
    "rerun",
    "run_all",
    "run_report",
    "write_index",
]

_REPO = Path(__file__).resolve().parents[1]
# Numbers as people type them, including 5e-1 and 1e3 (YAML 1.1 reads those as text).
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_ENV_LOCK = threading.Lock()


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
    manifest: Path | None = None
    headlines: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: which report, how long, where the HTML is."""
        return f"report {self.name} run {self.run_id} finished in {self.seconds:.1f} s: {self.html}"


def _notebook_path(name: str) -> Path:
    # only the shipped reports, by name: a name from a manifest ("../x", "/abs/x") never
    # chooses another notebook or a folder outside --out (issue 29)
    shipped = available_reports()
    if not isinstance(name, str) or name not in shipped:
        valid = ", ".join(shipped) or "(none found)"
        raise ReportError(f"unknown report {shorten(name, 80)}; the reports are: {valid}, or 'all'.")
    return notebooks_dir() / f"{name}.ipynb"


def report_parameters(name: str) -> dict[str, ReportParameter]:
    """The parameters that report ``name`` declares, with their types, defaults and comments."""
    import papermill as pm

    params = pm.inspect_notebook(str(_notebook_path(name)))
    return {
        k: ReportParameter(k, str(v.get("inferred_type_name", "None")), str(v.get("default")), str(v.get("help", "")))
        for k, v in params.items()
    }


def check_parameters(name: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``parameters`` against report ``name``'s declared ones and convert their types.

    Raises
    ------
    ReportError
        Unknown report, unknown parameter (the message lists the declared ones) or a value
        that does not fit its declared type.
    """
    declared = report_parameters(name)
    given = dict(parameters)
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
    return {k: _coerce(v, declared[k]) for k, v in given.items()}


def _coerce(value: Any, declared: ReportParameter) -> Any:
    """Turn a command-line string into the declared type; make existing relative paths absolute."""
    if not isinstance(value, str):
        return value
    kind = declared.type
    if kind == "str" or kind == "None" and not value.strip():
        out: Any = value
    elif kind in ("int", "float") and _NUMBER.match(value.strip()):
        out = float(value) if kind == "float" or not value.strip().lstrip("+-").isdigit() else int(value)
        if kind == "int" and isinstance(out, float):
            raise ReportError(f"parameter {declared.name!r} expects int (default {declared.default}) but got {value!r}.")
    else:
        if len(value) > 100_000:
            raise ReportError(f"parameter {declared.name!r}: a value of {len(value):,} characters is too long "
                              f"to read as {kind}; pass a file path instead.")
        try:
            out = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ReportError(
                f"parameter {declared.name!r} expects {kind} but {shorten(value)} does not parse: "
                f"{shorten(str(exc), 300)}"
            ) from exc
        types: dict[str, type | tuple[type, ...]] = {
            "int": int, "float": (int, float), "bool": bool, "list": list, "dict": dict,
        }
        expected = types.get(kind)
        if expected is not None and not isinstance(out, expected):
            raise ReportError(
                f"parameter {declared.name!r} expects {kind} (default {declared.default}) "
                f"but got {shorten(value)}."
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


def html_title(name: str, headline_text: str | None) -> str:
    """The ``<title>`` of a report: its name and its verdict's headline (escaped).

    Examples
    --------
    >>> html_title("length_bias", "no <b>length</b> bias")
    'length_bias — no &lt;b&gt;length&lt;/b&gt; bias'
    """
    text = " ".join((f"{name} — {headline_text}" if headline_text else name).split())
    return escape_html(text if len(text) <= 160 else text[:159] + "…")


_TEMPLATES = Path(__file__).resolve().parent / "report_template"
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>", re.IGNORECASE)
_PROGRESS = re.compile(r"\d+%\||\d+/\d+ \[|it/s\]|s/it\]")
_STATIC_NOTE = ("<div class='wb-static-widget' style='border:1px dashed #9aa5b1;padding:8px 12px;color:#52606d'>"
                "An interactive widget stood here; open the notebook in JupyterLab to use it. "
                "The numbers it starts from are shown in the report around it.</div>")


def _static_widgets(nb: Any) -> Any:
    """The executed notebook as a static document: widget views become their own static HTML
    (a widget that offers one) or a note, progress bars are dropped, and no widget state is
    kept, so the HTML needs no widget manager from a network (issue 28)."""
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr" and _PROGRESS.search(out.get("text", "")):
                continue
            data = out.get("data")
            if data and isinstance(data.get("text/html"), str):  # e.g. plotly's MathJax from a CDN
                data["text/html"] = _EXTERNAL_SCRIPT.sub("", data["text/html"])
            if data and _WIDGET_VIEW in data:
                data.pop(_WIDGET_VIEW)
                if "text/html" not in data:
                    data["text/html"] = _STATIC_NOTE
                    data.pop("text/plain", None)
            kept.append(out)
        cell["outputs"] = kept
    nb.metadata.pop("widgets", None)
    return nb


def _render_html(executed: Path, target: Path, *, show_code: bool, appendix: str = "",
                 title: str | None = None) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = _static_widgets(nbformat.read(executed, as_version=4))
    exporter = HTMLExporter(template_name="workbench_report", extra_template_basedirs=[str(_TEMPLATES)],
                            exclude_input=not show_code, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=False)
    # embed_images would re-serialise each raw-HTML block of Markdown on its own and so close a
    # "<details>" before the Method prose it folds; reports show no Markdown images (figures
    # and thumbnails are outputs, already inline).
    body, _ = exporter.from_notebook_node(nb)
    if title is not None:
        body = re.sub(r"<title>.*?</title>", lambda _: f"<title>{title}</title>", body, count=1, flags=re.S)
    if appendix:
        cut = body.rfind("</body>")
        body = body[:cut] + appendix + body[cut:] if cut >= 0 else body + appendix
    with atomic_path(target) as tmp:
        tmp.write_text(body, encoding="utf-8")


def run_report(
    name: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    out_dir: str | os.PathLike[str] = "reports",
    run_dir: str | os.PathLike[str] | None = None,
    run_id: str | None = None,
    show_code: bool = False,
    progress: bool = True,
    timeout_s: int | None = 1800,
) -> ReportRun:
    """Execute report ``name`` with ``parameters``, render its HTML and write its manifest.

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
    run_dir
        A fixed output folder instead (for pipelines): ``NAME.ipynb``, ``NAME.html`` and
        ``manifest.json`` are written straight into it, replacing an earlier run's.
    show_code
        Keep code cells in the HTML (by default only prose and outputs are shown).

    Returns
    -------
    ReportRun

    Raises
    ------
    ReportError
        Unknown report, unknown parameter (the message lists the valid ones), a value that
        does not fit the declared type, or a failing cell (named, with its error). A failed
        run still writes its ``manifest.json`` (status ``failed``, the failing cell).
    """
    import nbformat
    import papermill as pm

    nb_path = _notebook_path(name)
    values = check_parameters(name, parameters or {})
    rid = run_id or _run_id()
    if run_dir is not None:
        folder = Path(run_dir).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        for old in (f"{name}.ipynb", f"{name}.html", f"{name}.failed.ipynb", manifest.MANIFEST_NAME):
            (folder / old).unlink(missing_ok=True)  # never leave an earlier run's report beside this one
    else:
        folder = Path(out_dir).resolve() / name / rid
        if folder.exists():
            raise ReportError(f"run folder {folder} already exists; choose another run_id (runs are never overwritten).")
        folder.mkdir(parents=True)
    executed = folder / f"{name}.ipynb"
    partial = folder / f".{name}.running.ipynb"
    sidecar = folder / f".{name}.record.jsonl"
    sidecar.unlink(missing_ok=True)
    started_at = manifest.utc_now()
    started = time.perf_counter()
    planned = {**manifest.notebook_parameters(nbformat.read(nb_path, as_version=4)), **values}
    inputs = manifest.describe_inputs(planned, base=nb_path.parent)
    git = manifest.git_record(nb_path.parent)
    env = manifest.environment()

    def record(status: manifest.Status, ran: Path | None, error: manifest.RunError | None,
               files: dict[str, str]) -> manifest.RunManifest:
        ran_params = manifest.notebook_parameters(nbformat.read(ran, as_version=4)) if ran else planned
        headlines, models = read_record(sidecar)
        verdict = read_verdict(sidecar)
        # inputs the notebook resolved itself ("auto" companions) are hashed and listed too
        by_parameter = {i.parameter: i for i in inputs}
        by_parameter.update({i.parameter: i for i in manifest.describe_inputs(read_inputs(sidecar),
                                                                             base=nb_path.parent)})
        ran_inputs = list(by_parameter.values())
        return manifest.RunManifest(
            report=name, run_id=rid, status=status, started_at=started_at, finished_at=manifest.utc_now(),
            parameters=ran_params, inputs=tuple(ran_inputs), models=tuple(manifest.describe_models(models)),
            environment=env, git=git, headlines=tuple(headlines), error=error, files=files,
            verdict=verdict,
        )

    def finish(rec: manifest.RunManifest) -> Path:
        """Write the run's manifest, drop the headline sidecar, refresh the index."""
        path = manifest.write_manifest(rec, folder)
        sidecar.unlink(missing_ok=True)
        if run_dir is None:
            write_index(out_dir)
        return path

    try:
        with _record_env(sidecar):
            pm.execute_notebook(
                str(nb_path),
                str(partial),
                parameters=values,
                cwd=str(nb_path.parent),
                progress_bar=progress,
                execution_timeout=timeout_s,
                kernel_name="python3",
            )
    except BaseException as exc:  # also Ctrl-C / SIGTERM: the partial run ends as NAME.failed.ipynb
        failed = folder / f"{name}.failed.ipynb"
        if partial.exists():
            os.replace(partial, failed)
        if not isinstance(exc, Exception):
            sidecar.unlink(missing_ok=True)
            raise
        error = _run_error(exc, failed if failed.exists() else None)
        files = {"notebook": failed.name} if failed.exists() else {}
        finish(record("failed", failed if failed.exists() else None, error, files))
        raise ReportError(_failure_message(name, exc, failed)) from exc
    os.replace(partial, executed)
    html_path = folder / f"{name}.html"
    done = record("succeeded", executed, None, {"notebook": executed.name, "html": html_path.name})
    try:
        head = done.verdict.get("headline") if done.verdict else (done.headlines[0] if done.headlines else None)
        _render_html(executed, html_path, show_code=show_code, appendix=manifest.run_record_html(done),
                     title=html_title(name, head))
    except Exception as exc:  # the notebook ran: keep it and say so in the manifest
        error = manifest.RunError(cell=None, cell_index=None, source="HTML rendering (nbconvert)",
                                  ename=type(exc).__name__, evalue=str(exc))
        finish(record("failed", executed, error, {"notebook": executed.name}))
        raise ReportError(
            f"report {name!r} ran to the end (executed notebook: {executed}) but rendering its HTML "
            f"failed: {type(exc).__name__}: {exc}. The run folder's manifest.json records the failure; "
            f"render again with `jupyter nbconvert --to html {executed}` once the cause is fixed."
        ) from exc
    path = finish(done)
    return ReportRun(name, rid, executed, html_path, values, time.perf_counter() - started, path,
                     tuple(done.headlines))


@contextlib.contextmanager
def _record_env(sidecar: Path) -> Iterator[None]:
    """Name the sidecar file in the environment the kernel inherits (see ``workbench._runrecord``)."""
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in (RECORD_ENV, "TQDM_DISABLE")}
        os.environ[RECORD_ENV] = str(sidecar)
        os.environ["TQDM_DISABLE"] = "1"  # a report is a document: no progress bars in it
        try:
            yield
        finally:
            for key, before in saved.items():
                if before is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = before


def _run_error(exc: Exception, failed: Path | None) -> manifest.RunError:
    """The failing cell of a papermill error: execution count, index in the notebook, source."""
    count = getattr(exc, "exec_count", None)
    index = None
    if failed is not None:
        import nbformat

        nb = nbformat.read(failed, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.get("cell_type") == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                index = i
                break
    source = "\n".join(str(getattr(exc, "source", "")).splitlines()[:6])
    return manifest.RunError(
        cell=count if isinstance(count, int) else None, cell_index=index, source=source,
        ename=str(getattr(exc, "ename", type(exc).__name__)), evalue=str(getattr(exc, "evalue", exc)),
    )


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


def rerun(
    run_folder: str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] = "reports",
    run_dir: str | os.PathLike[str] | None = None,
    show_code: bool = False,
    progress: bool = True,
    echo: Callable[[str], object] | None = print,
) -> tuple[list[manifest.InputChange], ReportRun]:
    """Run a recorded report again with its recorded parameters.

    First tells (through ``echo``) which recorded inputs changed since (sha256 mismatch) or
    are gone, then runs the report into a new run folder under ``out_dir`` (or ``run_dir``)
    and tells the recorded and the new headlines.

    Returns
    -------
    tuple of (list of InputChange, ReportRun)

    Raises
    ------
    WorkbenchError
        ``run_folder`` holds no manifest.
    ReportError
        The rerun failed.
    """
    old = manifest.read_manifest(run_folder)
    changes = manifest.changed_inputs(old)
    say = echo or (lambda _line: None)
    if changes:
        for c in changes:
            say(c.summary())
    else:
        say(f"no input changed since run {old.run_id} ({len(old.inputs)} input(s) checked by sha256)")
    run = run_report(old.report, dict(old.parameters), out_dir=out_dir, run_dir=run_dir,
                     show_code=show_code, progress=progress)
    for label, lines in (("recorded", old.headlines), ("now", run.headlines)):
        for line in lines:
            say(f"headline {label}: {line}")
    return changes, run


def write_index(out_dir: str | os.PathLike[str] = "reports") -> Path:
    """Write ``out_dir/index.html``: every run, newest first, with status, headline and inputs.

    One row per run folder with a ``manifest.json`` (runs from before manifests, which only
    have their HTML, are listed without them). A select box filters the rows by report (a few
    lines of inline script; the page needs nothing from the network). Everything taken from
    manifests is escaped.
    """
    root = Path(out_dir).resolve()
    runs = [(m, m.folder) for m in load_manifests(root) if m.folder is not None]
    recorded = {folder for _, folder in runs}
    legacy = [p for p in root.glob("*/*/*.html") if p.stem == p.parent.parent.name and p.parent not in recorded]
    e = escape_html
    rows: list[tuple[str, str, str]] = []
    for m, folder in runs:
        page = folder / m.files["html"] if m.files.get("html") else None
        nb = folder / m.files["notebook"] if m.files.get("notebook") else None
        links = []
        for label, target in (("report", page), ("notebook", nb), ("manifest", m.path)):
            if target is not None and target.exists():
                rel = os.path.relpath(target, root)
                links.append(f'<a href="{e(Path(rel).as_posix())}">{label}</a>')
        inputs = "<br>".join(
            f"<code>{e(Path(i.path).name)}</code> <span class='h'>{e(i.sha256[:8])}</span>" for i in m.inputs
        )
        heads = "<br>".join(e(h) for h in m.headlines)
        if m.error is not None:
            cell = (f"cell [{m.error.cell}]" if m.error.cell is not None
                    else "HTML rendering" if m.error.source.startswith("HTML rendering") else "a cell")
            heads = (heads + "<br>" if heads else "") + e(f"failed in {cell}: {m.error.ename}: {m.error.evalue}"[:300])
        decided = ""
        if m.verdict and m.status == "succeeded":  # what the report decided, in its tone
            tone = m.verdict.get("tone", "neutral")
            decided = (f"<br><span class='verdict v-{e(tone)}' data-outcome='{e(m.verdict.get('outcome', ''))}'>"
                       f"{e(m.verdict.get('outcome', '').replace('_', ' '))}</span>")
        rows.append((m.started_at, m.report,
                     f"<tr data-report='{e(m.report)}' class='{e(m.status)}'><td>{e(m.report)}</td>"
                     f"<td>{e(m.started_at[:19].replace('T', ' '))}<br><span class='h'>{e(m.run_id)}</span></td>"
                     f"<td>{e(m.status)}{decided}</td><td>{heads}</td><td>{inputs}</td><td>{' '.join(links)}</td></tr>"))
    for page in legacy:
        name, rid = page.parent.parent.name, page.parent.name
        rel = page.relative_to(root).as_posix()
        rows.append((rid, name, f"<tr data-report='{e(name)}'><td>{e(name)}</td><td><span class='h'>{e(rid)}</span></td>"
                     f"<td>no manifest</td><td></td><td></td><td><a href=\"{e(rel)}\">report</a></td></tr>"))
    rows.sort(key=lambda r: r[0], reverse=True)
    names = sorted({r[1] for r in rows})
    options = "".join(f"<option value='{e(n)}'>{e(n)}</option>" for n in names)
    script = (
        "<script>document.getElementById('filter').addEventListener('change',function(){"
        "var v=this.value;document.querySelectorAll('tbody tr').forEach(function(r){"
        "r.style.display=(!v||r.getAttribute('data-report')===v)?'':'none';});});</script>"
    )
    doc = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Workbench reports</title>"
        "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 12px;text-align:left;"
        "vertical-align:top;border-bottom:1px solid #eee}.h{color:#777;font-family:monospace;font-size:90%}"
        "tr.failed td:nth-child(3){color:#b00;font-weight:bold}.verdict{font-weight:bold;padding:0 4px;"
        "border-radius:3px}.v-good{background:#e8f5ea;color:#0f3d1a}.v-warning{background:#fff4e0;color:#4d2e00}"
        ".v-bad{background:#fdecea;color:#5c130f}.v-neutral{background:#eef2f6;color:#1f2933}</style>"
        "</head><body><h1>Data Quality Workbench reports</h1>"
        f"<p>{len(rows)} run(s), newest first. Report: <select id='filter'><option value=''>all</option>"
        f"{options}</select></p>"
        "<table><thead><tr><th>report</th><th>started (UTC) / run</th><th>status</th><th>headline</th>"
        f"<th>inputs (sha256)</th><th></th></tr></thead><tbody>{''.join(r[2] for r in rows)}</tbody></table>"
        f"{script}</body></html>"
    )
    target = root / "index.html"
    with atomic_path(target) as tmp:
        tmp.write_text(doc, encoding="utf-8")
    return target
