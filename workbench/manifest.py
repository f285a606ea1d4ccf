"""Run manifests: what went into a report run, and what came out.

Every ``workbench report`` run writes ``manifest.json`` beside its notebook (see
:func:`workbench.reports.run_report`). It records

* ``report``, ``run_id``, ``status`` (``"succeeded"`` or ``"failed"``), ``started_at`` and
  ``finished_at`` (UTC, ISO 8601);
* ``parameters``: every value the notebook ran with, read from the executed notebook's
  ``parameters`` cell with papermill's injected cell applied over it — defaults included;
* ``inputs``: for each parameter that names an existing file or folder, the resolved path,
  its size in bytes, its sha256 (of a folder: over its files' relative paths and hashes) and,
  for a table, its number of rows;
* ``models``: each model the run resolved or loaded (name, where from, sha256 of the weights);
* ``environment``: python, platform, the workbench version and the key packages' versions;
* ``git``: commit and dirtiness of the repository holding the notebook, or ``null``;
* ``headlines``: facts the notebook recorded with :func:`workbench.reports.headline`;
* ``error``: for a failed run, the failing cell (execution count, index, first lines) and
  its error.

:func:`load_manifests` reads them back (the dashboard and the index use it).
"""

from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from workbench._internal.escape import escape_html
from workbench.errors import WorkbenchError
from workbench.io import atomic_path

__all__ = [
    "MANIFEST_NAME",
    "GitRecord",
    "InputChange",
    "InputRecord",
    "ModelRecord",
    "RunError",
    "RunManifest",
    "changed_inputs",
    "describe_inputs",
    "describe_models",
    "environment",
    "file_sha256",
    "git_record",
    "load_manifests",
    "notebook_parameters",
    "read_manifest",
    "run_record_html",
    "utc_now",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"

Status = Literal["succeeded", "failed"]

_KEY_PACKAGES = (
    "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "pyarrow", "plotly", "papermill",
    "nbconvert", "nbformat", "torch", "transformers", "open_clip_torch", "sentence-transformers",
    "datasketch", "dvc",
)
_TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".json", ".parquet", ".csv.gz", ".jsonl.gz", ".tsv.gz")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt", ".pth", ".ckpt")
_hash_cache: dict[tuple[str, int, int], str] = {}


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds (sorts as text)."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class InputRecord:
    """A file or folder a parameter named, as it was when the run started."""

    parameter: str
    path: str
    kind: Literal["file", "folder"]
    bytes: int
    sha256: str
    rows: int | None = None
    files: int | None = None


@dataclass(frozen=True)
class ModelRecord:
    """A model the run used: what was asked for, where it came from, a hash of its weights."""

    kind: str
    name: str
    source: str
    location: str
    file: str | None
    weights_sha256: str | None
    weights_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class GitRecord:
    """The commit of the repository that holds the report notebook."""

    commit: str
    dirty: bool
    repository: str


@dataclass(frozen=True)
class RunError:
    """Where a failed run stopped."""

    cell: int | None
    cell_index: int | None
    source: str
    ename: str
    evalue: str


@dataclass(frozen=True)
class InputChange:
    """One recorded input whose current bytes differ from the run's (or that is gone)."""

    parameter: str
    path: str
    recorded_sha256: str
    current_sha256: str | None
    recorded_bytes: int
    current_bytes: int | None

    def summary(self) -> str:
        """One line naming the input and how it changed."""
        if self.current_sha256 is None:
            return f"input {self.parameter!r} is gone: {self.path}"
        return (
            f"input {self.parameter!r} changed: {self.path} (sha256 {self.recorded_sha256[:12]} -> "
            f"{self.current_sha256[:12]}, {self.recorded_bytes:,} -> {self.current_bytes:,} bytes)"
        )


@dataclass(frozen=True)
class RunManifest:
    """The record of one report run (the contents of its ``manifest.json``)."""

    report: str
    run_id: str
    status: Status
    started_at: str
    finished_at: str
    parameters: Mapping[str, Any]
    inputs: tuple[InputRecord, ...]
    models: tuple[ModelRecord, ...]
    environment: Mapping[str, str]
    git: GitRecord | None
    headlines: tuple[str, ...] = ()
    error: RunError | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    verdict: Mapping[str, str] | None = None
    path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form written to ``manifest.json`` (without ``path``)."""
        out = asdict(self)
        out.pop("path")
        out["parameters"] = dict(self.parameters)
        normal: dict[str, Any] = json.loads(json.dumps(out, default=str))  # tuples as lists, as in the file
        return normal

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: Path | None = None) -> RunManifest:
        """Build a manifest from its JSON form; raise WorkbenchError naming a missing field."""
        required = ("report", "run_id", "status", "started_at", "finished_at", "parameters")
        missing = [k for k in required if k not in data]
        if missing:
            where = f" {path}" if path else ""
            raise WorkbenchError(f"manifest{where} lacks {', '.join(missing)}; it was not written by "
                                 "workbench report (regenerate the run).")
        git = data.get("git")
        err = data.get("error")
        return cls(
            report=str(data["report"]), run_id=str(data["run_id"]), status=data["status"],
            started_at=str(data["started_at"]), finished_at=str(data["finished_at"]),
            parameters=dict(data["parameters"]),
            inputs=tuple(InputRecord(**_known(InputRecord, i)) for i in data.get("inputs", [])),
            models=tuple(ModelRecord(**{**_known(ModelRecord, m), "weights_files": tuple(m.get("weights_files", ()))})
                         for m in data.get("models", [])),
            environment=dict(data.get("environment", {})),
            git=GitRecord(**_known(GitRecord, git)) if git else None,
            headlines=tuple(str(h) for h in data.get("headlines", [])),
            error=RunError(**_known(RunError, err)) if err else None,
            files=dict(data.get("files", {})),
            verdict=({k: str(v) for k, v in data["verdict"].items()}
                     if isinstance(data.get("verdict"), Mapping) else None),
            path=path,
        )

    @property
    def folder(self) -> Path | None:
        """The run folder (where the manifest lies)."""
        return None if self.path is None else self.path.parent

    def summary(self) -> str:
        """One line: report, run, status and the first headline."""
        head = f": {self.headlines[0]}" if self.headlines else ""
        decided = f" ({self.verdict['outcome']})" if self.verdict and self.verdict.get("outcome") else ""
        return f"{self.report} {self.run_id} {self.status}{decided}{head}"


# ---- hashing ---------------------------------------------------------------------------------

def file_sha256(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes (cached per path, size and modification time in this process)."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    hit = _hash_cache.get(key)
    if hit is not None:
        return hit
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    _hash_cache[key] = digest
    return digest


def _folder_digest(folder: Path, files: Iterable[Path]) -> tuple[str, int, int]:
    """sha256 over ``relative path NUL file sha256`` lines, total bytes, number of files."""
    h = hashlib.sha256()
    total = n = 0
    for f in sorted(files):
        rel = f.relative_to(folder).as_posix()
        h.update(f"{rel}\0{file_sha256(f)}\n".encode())
        total += f.stat().st_size
        n += 1
    return h.hexdigest(), total, n


def _table_rows(path: Path) -> int | None:
    name = path.name.lower()
    if not name.endswith(_TABLE_SUFFIXES):
        return None
    from workbench.io import load_table

    try:
        return len(load_table(path))
    except (WorkbenchError, OSError, ValueError):
        return None


# ---- parameters and inputs -------------------------------------------------------------------

def _literal_assignments(source: str) -> dict[str, Any]:
    """Names assigned literal values in a cell (``x: int = 1`` or ``x = 1``), in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    out: dict[str, Any] = {}
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        if not isinstance(target, ast.Name) or value is None:
            continue
        try:
            out[target.id] = ast.literal_eval(value)
        except ValueError:
            out[target.id] = ast.get_source_segment(source, value)
    return out


def notebook_parameters(notebook: Any) -> dict[str, Any]:
    """The values a notebook runs with: its ``parameters`` cell, then papermill's injected cell.

    Parameters
    ----------
    notebook
        An ``nbformat`` notebook node (the executed notebook, or the source notebook).

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> p = nbformat.v4.new_code_cell("x: int = 1  # a number\\ny = 'a'")
    >>> p.metadata["tags"] = ["parameters"]
    >>> i = nbformat.v4.new_code_cell("# Parameters\\nx = 5\\n")
    >>> i.metadata["tags"] = ["injected-parameters"]
    >>> nb.cells = [p, i]
    >>> notebook_parameters(nb)
    {'x': 5, 'y': 'a'}
    """
    values: dict[str, Any] = {}
    for tag in ("parameters", "injected-parameters"):
        for cell in notebook.cells:
            if cell.get("cell_type") == "code" and tag in cell.get("metadata", {}).get("tags", []):
                values.update(_literal_assignments(str(cell.source)))
    return values


def _is_input_parameter(name: str) -> bool:
    """Caches, outputs and the reports tree are not inputs: their bytes change with every run."""
    low = name.lower()
    return ("cache" not in low and "reports" not in low
            and not low.endswith(("_out", "output", "out_dir", "rules_path")))


def describe_inputs(parameters: Mapping[str, Any], *, base: str | os.PathLike[str]) -> list[InputRecord]:
    """Hash every existing file or folder that a string parameter names.

    Parameters
    ----------
    parameters
        The run's parameters.
    base
        The folder relative paths are read from (the notebook's folder, where the kernel runs).
    """
    records: list[InputRecord] = []
    for name, value in parameters.items():
        if not isinstance(value, str) or not value.strip() or "://" in value or "\n" in value:
            continue
        if not _is_input_parameter(name):
            continue
        p = Path(value).expanduser()
        if not p.is_absolute():
            p = Path(base) / p
        try:
            if not p.exists():
                continue
        except OSError:  # a name too long for the file system is no path
            continue
        p = p.resolve()
        if p.is_file():
            records.append(InputRecord(name, str(p), "file", p.stat().st_size, file_sha256(p), _table_rows(p)))
        elif p.is_dir() and p != Path(base).resolve():
            files = [f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")]
            digest, total, n = _folder_digest(p, files)
            records.append(InputRecord(name, str(p), "folder", total, digest, None, n))
    return records


def describe_models(models: Iterable[Mapping[str, Any]]) -> list[ModelRecord]:
    """Turn the models a run recorded into records with a sha256 of their weights.

    A single weights file is hashed as it is; a folder by its weight files
    (``.safetensors``, ``.bin``, ``.gguf``, ``.pt``, ``.pth``, ``.ckpt``); a model only known by
    its hub name has no local weights to hash (``None``).
    """
    out: list[ModelRecord] = []
    seen: set[tuple[str, str, str]] = set()
    for m in models:
        location = str(m.get("location", ""))
        file = m.get("file")
        key = (str(m.get("kind", "")), location, str(file))
        if key in seen:  # one model reached twice (e.g. a default folder, also named by path)
            continue
        seen.add(key)
        sha: str | None = None
        names: tuple[str, ...] = ()
        loc = Path(location)
        if file and (loc / str(file)).is_file():
            sha = file_sha256(loc / str(file))
            names = (str(file),)
        elif loc.is_file():
            sha = file_sha256(loc)
            names = (loc.name,)
        elif loc.is_dir():
            weights = [f for f in loc.rglob("*") if f.is_file() and f.suffix in _WEIGHT_SUFFIXES]
            if weights:
                sha = _folder_digest(loc, weights)[0]
                names = tuple(sorted(f.relative_to(loc).as_posix() for f in weights))
        out.append(ModelRecord(str(m.get("kind", "")), str(m.get("name", "")), str(m.get("source", "")),
                               location, None if file is None else str(file), sha, names))
    return out


def environment() -> dict[str, str]:
    """python, platform, workbench and the key packages' versions (``""`` where not installed)."""
    from workbench import __version__

    env = {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
           "platform": platform.platform(), "workbench": __version__}
    for pkg in _KEY_PACKAGES:
        try:
            env[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            env[pkg] = ""
    return env


def git_record(folder: str | os.PathLike[str]) -> GitRecord | None:
    """Commit and dirtiness of the git repository holding ``folder``; ``None`` outside one."""
    def git(*args: str) -> str | None:
        try:
            proc = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                                  timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    top = git("rev-parse", "--show-toplevel") or str(folder)
    return GitRecord(commit=commit, dirty=bool(status), repository=top)


# ---- reading and writing ---------------------------------------------------------------------

def write_manifest(manifest: RunManifest, folder: str | os.PathLike[str]) -> Path:
    """Write ``folder/manifest.json`` atomically (temporary name, then rename)."""
    target = Path(folder) / MANIFEST_NAME
    text = json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def read_manifest(path: str | os.PathLike[str]) -> RunManifest:
    """Read one ``manifest.json`` (or the one inside a run folder).

    Raises
    ------
    WorkbenchError
        No manifest there, or one that is not a workbench manifest.
    """
    p = Path(path)
    if p.is_dir():
        p = p / MANIFEST_NAME
    if not p.is_file():
        raise WorkbenchError(f"no run manifest at {p}; pass a run folder written by `workbench report` "
                             "(it holds NAME.ipynb and manifest.json).")
    if p.stat().st_size > _MAX_MANIFEST_BYTES:
        raise WorkbenchError(f"{p} is {p.stat().st_size:,} bytes, more than a run manifest holds; regenerate the run.")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, RecursionError, UnicodeDecodeError) as exc:
        raise WorkbenchError(f"{p} is not a readable JSON manifest ({type(exc).__name__}); regenerate the run.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("parameters", {}), dict):
        raise WorkbenchError(f"{p}: a run manifest is a JSON object whose 'parameters' is an object; "
                             "regenerate the run.")
    try:
        return RunManifest.from_dict(data, path=p.resolve())
    except (TypeError, ValueError, AttributeError) as exc:  # wrong types inside: data, not instructions
        raise WorkbenchError(f"{p}: a field has the wrong type ({exc}); regenerate the run.") from exc


def load_manifests(root: str | os.PathLike[str] = "reports", *, report: str | None = None) -> list[RunManifest]:
    """Every run manifest under ``root`` (any depth), newest first.

    Parameters
    ----------
    root
        The reports root (``reports/``), or any folder holding run folders.
    report
        Only the runs of this report.

    Unreadable manifests are skipped (a run folder being written has none yet).
    """
    found: list[RunManifest] = []
    base = Path(root)
    if not base.is_dir():
        return found
    for p in base.rglob(MANIFEST_NAME):
        try:
            m = read_manifest(p)
        except WorkbenchError:
            continue
        if report is None or m.report == report:
            found.append(m)
    found.sort(key=lambda m: (m.started_at, m.run_id), reverse=True)
    return found


def changed_inputs(manifest: RunManifest) -> list[InputChange]:
    """The recorded inputs whose bytes differ now (sha256 mismatch) or that are gone."""
    changes: list[InputChange] = []
    import stat

    for rec in manifest.inputs:
        p = Path(rec.path)
        if not p.exists():
            changes.append(InputChange(rec.parameter, rec.path, rec.sha256, None, rec.bytes, None))
            continue
        mode = p.stat().st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # a FIFO or device would hang the hash
            raise WorkbenchError(f"recorded input {rec.parameter} ({p}) is not a regular file or folder; "
                                 "a manifest names files only.")
        if rec.kind == "file":
            sha, size = file_sha256(p), p.stat().st_size
        else:
            files = [f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")]
            sha, size, _ = _folder_digest(p, files)
        if sha != rec.sha256:
            changes.append(InputChange(rec.parameter, rec.path, rec.sha256, sha, rec.bytes, size))
    return changes


_MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def _known(cls: type, record: Any) -> dict[str, Any]:
    """The fields of ``cls`` in a recorded object; keys a later version added are ignored."""
    import dataclasses

    if not isinstance(record, Mapping):
        raise TypeError(f"{cls.__name__} must be an object, got {type(record).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in record.items() if k in names}


# ---- the "Run record" section of the HTML ----------------------------------------------------

def run_record_html(manifest: RunManifest) -> str:
    """The short "Run record" section appended to a report's HTML; everything escaped."""
    e = escape_html

    def row(key: str, value: str) -> str:
        return f"<tr><th>{e(key)}</th><td>{value}</td></tr>"

    head = "".join(f"<li>{e(h)}</li>" for h in manifest.headlines)
    params = "".join(f"<tr><td><code>{e(k)}</code></td><td><code>{e(json.dumps(v, default=str))}</code></td></tr>"
                     for k, v in manifest.parameters.items())
    inputs = "".join(
        f"<tr><td><code>{e(i.parameter)}</code></td><td><code>{e(i.path)}</code></td><td>{i.bytes:,}</td>"
        f"<td>{'' if i.rows is None else f'{i.rows:,}'}</td><td><code>{e(i.sha256[:16])}</code></td></tr>"
        for i in manifest.inputs
    )
    models = "".join(
        f"<tr><td>{e(m.kind)}</td><td><code>{e(m.name)}</code></td><td>{e(m.source)}: <code>{e(m.location)}</code></td>"
        f"<td><code>{e((m.weights_sha256 or 'not hashed')[:16])}</code></td></tr>"
        for m in manifest.models
    )
    git = ("not in a git repository" if manifest.git is None else
           f"<code>{e(manifest.git.commit[:12])}</code>{' (uncommitted changes)' if manifest.git.dirty else ''}")
    env = manifest.environment
    table = (
        row("report", e(manifest.report)) + row("run", f"<code>{e(manifest.run_id)}</code>")
        + row("status", e(manifest.status))
        + row("started / finished (UTC)", f"{e(manifest.started_at)} / {e(manifest.finished_at)}")
        + row("code", f"workbench {e(env.get('workbench', ''))}, python {e(env.get('python', ''))}; git {git}")
    )
    parts = [
        "<section id='run-record' style='font-family:sans-serif;font-size:13px;margin:2em 3em;"
        "border-top:1px solid #ccc;padding-top:1em'>",
        "<style>#run-record th,#run-record td{text-align:left;padding:2px 12px 2px 0;"
        "vertical-align:top;font-size:13px}</style><h2>Run record</h2>",
        f"<ul>{head}</ul>" if head else "",
        f"<table>{table}</table>",
        "<h3>Parameters</h3><table>" + params + "</table>",
        ("<h3>Inputs</h3><table><tr><th>parameter</th><th>path</th><th>bytes</th><th>rows</th>"
         "<th>sha256</th></tr>" + inputs + "</table>") if inputs else "",
        ("<h3>Models</h3><table><tr><th>kind</th><th>name</th><th>loaded from</th><th>weights sha256</th></tr>"
         + models + "</table>") if models else "",
        "<p>The full record is <code>manifest.json</code> beside this file.</p></section>",
    ]
    return "".join(parts)
