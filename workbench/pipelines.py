"""Report runs and the seeds' data flow as pipeline stages: DVC stages and an Airflow DAG.

One description serves both: a :class:`Stage` is a ``workbench`` command line with the files
it reads (``deps``), the files it writes (``outs``) and the stages it waits for. The writers
turn a list of stages into

* ``dvc.yaml`` + ``params.yaml`` (:func:`write_dvc`): one stage per chosen report, whose
  command is ``workbench report NAME --run-dir …`` with its parameters read from
  ``params.yaml``, whose dependencies are the input files, the notebook and the workbench
  version (a tracked parameter), and whose output is the fixed run folder;
* an Airflow DAG file (:func:`write_airflow_dag`) for the flow ingest → score (text scores,
  dedup) → flag (composite decisions) → review queue → reports. Each task runs the
  workbench command line in the project's Python (recorded in the DAG file), so the DAG file
  imports nothing from workbench and parses in an Airflow installation of its own; a
  command that exits non-zero fails its task and so the run.

The flow's own steps that have no other command (:func:`ingest`, :func:`flag_items`,
:func:`write_review_queue`) are here too, behind ``workbench pipeline step …``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from workbench.errors import WorkbenchError
from workbench.io import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "Stage",
    "flag_items",
    "ingest",
    "report_stage",
    "retrain_stages",
    "seed_flow",
    "write_airflow_dag",
    "write_dvc",
    "write_review_queue",
]


@dataclass(frozen=True)
class Stage:
    """One step of a pipeline: a workbench command line, what it reads, writes and waits for.

    Attributes
    ----------
    name
        Stage (DVC) or task (Airflow) id: letters, digits and ``_``.
    argv
        The arguments after ``workbench``; a ``{param:KEY}`` word is a parameter of the stage
        (``${name.KEY}`` in DVC, its value in Airflow).
    deps
        Files and folders the stage reads.
    outs
        Files and folders it writes.
    upstream
        Names of the stages it waits for.
    params
        The stage's parameters (``-p KEY VALUE`` of a report), as strings.
    """

    name: str
    argv: tuple[str, ...]
    deps: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)

    def command(self, *, prefix: Sequence[str], param_ref: str = "value") -> list[str]:
        """The command words: ``prefix`` + argv with parameters filled in.

        ``param_ref="dvc"`` writes ``${stage.KEY}`` references instead of the values.
        """
        words = list(prefix)
        for word in self.argv:
            if word.startswith("{param:") and word.endswith("}"):
                key = word[len("{param:"):-1]
                words.append("${" + f"{self.name}.{key}" + "}" if param_ref == "dvc" else self.params[key])
            else:
                words.append(word)
        return words


_AIRFLOW_ID = re.compile(r"(?=.*[A-Za-z0-9_])[A-Za-z0-9_.-]{1,250}")


def _stage_name(name: str, taken: set[str]) -> str:
    base = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    out, n = base, 2
    while out in taken:
        out, n = f"{base}_{n}", n + 1
    return out


def report_stage(
    report: str,
    parameters: Mapping[str, str] | None = None,
    *,
    run_dir: str | os.PathLike[str],
    name: str | None = None,
    upstream: Sequence[str] = (),
    extra_deps: Sequence[str] = (),
) -> Stage:
    """The stage that runs report ``report`` into the fixed folder ``run_dir``.

    Its dependencies are the files its parameters name (given or default, found the same way
    as the run manifest's inputs), the notebook, and ``extra_deps``.

    Raises
    ------
    ReportError
        Unknown report or parameter (the message lists the valid ones).
    """
    import nbformat

    from workbench import manifest, reports

    given = dict(parameters or {})
    nb_path = reports.notebooks_dir() / f"{report}.ipynb"
    planned = {**manifest.notebook_parameters(nbformat.read(nb_path, as_version=4)),
               **reports.check_parameters(report, given)}
    inputs = [i.path for i in manifest.describe_inputs(planned, base=nb_path.parent)]
    argv: list[str] = ["report", report, "--run-dir", os.fspath(run_dir)]
    for key in given:
        argv += ["-p", key, "{param:" + key + "}"]
    return Stage(
        name=name or report, argv=tuple(argv),
        deps=tuple(dict.fromkeys([*inputs, str(nb_path.resolve()), *extra_deps])),
        outs=(os.fspath(run_dir),), upstream=tuple(upstream), params={k: str(v) for k, v in given.items()},
    )


def _repo_root(folder: Path) -> Path:
    try:
        proc = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return folder
    return Path(proc.stdout.strip()) if proc.returncode == 0 and proc.stdout.strip() else folder


def _dvc_path(path: str, *, wdir: Path, repo: Path) -> str:
    """A path as dvc.yaml wants it: relative to the stage folder inside the repository,
    absolute (an external dependency) outside it."""
    p = Path(path)
    absolute = p if p.is_absolute() else (Path.cwd() / p)
    absolute = Path(os.path.abspath(absolute))
    try:
        absolute.relative_to(repo.resolve())
    except ValueError:
        return str(absolute)
    return Path(os.path.relpath(absolute, wdir)).as_posix()


def write_dvc(
    reports: Sequence[tuple[str, Mapping[str, str]]],
    out: str | os.PathLike[str],
    *,
    runs_dir: str = "runs",
    workbench: Sequence[str] = ("workbench",),
    stages: Sequence[Stage] = (),
) -> tuple[Path, Path]:
    """Write ``dvc.yaml`` and ``params.yaml`` in ``out``: one stage per report, after the
    command stages ``stages`` (e.g. :func:`retrain_stages`).

    Parameters
    ----------
    reports
        ``(report name, {parameter: value})`` pairs, as given with
        ``--report NAME -p KEY VALUE``. A report chosen twice gets stages ``NAME`` and
        ``NAME_2``. Relative paths are read from the current folder.
    out
        The folder of the pipeline (in a git repository with ``dvc init``).
    runs_dir
        Folder, under ``out``, of the stages' fixed run folders (``runs/NAME``).
    workbench
        The command that starts workbench in the stage commands.
    stages
        Command stages written before the reports (their words quoted for the shell; a word
        holding ``${`` is refused, DVC would read it as a template).

    Returns
    -------
    tuple of Path
        ``dvc.yaml`` and ``params.yaml``.

    Notes
    -----
    Each stage tracks its own section of ``params.yaml`` and ``workbench.version``; after
    upgrading workbench, write the files again and ``dvc repro`` reruns every stage.
    """
    from workbench import __version__

    if not reports and not stages:
        raise WorkbenchError("workbench pipeline dvc needs at least one --report NAME (e.g. --report data_overview) "
                             "or --retrain STORE.")
    wdir = Path(out).resolve()
    wdir.mkdir(parents=True, exist_ok=True)
    repo = _repo_root(wdir)
    runs = Path(os.path.abspath(wdir / runs_dir))
    if not runs.is_relative_to(repo.resolve()) or "${" in runs_dir:
        raise WorkbenchError(
            f"workbench pipeline dvc: the run folders ({runs}) must lie inside the repository ({repo}); DVC "
            "refuses outputs outside it. Choose --runs-dir inside the pipeline folder.")
    taken: set[str] = {s.name for s in stages}
    doc: dict[str, Any] = {"stages": {}}
    for stage in stages:
        words = [*workbench, *stage.argv]
        for word in (*words, *stage.deps, *stage.outs):
            if "${" in word:  # DVC reads ${...} in a dvc.yaml value as a template
                raise WorkbenchError(
                    f"workbench pipeline dvc: stage {stage.name!r} holds {word!r} with '${{', which DVC reads as a "
                    "template reference in dvc.yaml; rename the file or folder.")
        for o in stage.outs:
            if not Path(os.path.abspath(o if Path(o).is_absolute() else Path.cwd() / o)).is_relative_to(repo.resolve()):
                raise WorkbenchError(
                    f"workbench pipeline dvc: stage {stage.name!r} writes '{o}', outside the repository ({repo}); "
                    "DVC refuses outputs outside it. Choose --work inside the repository.")
        # a path argument written as the stage sees it (relative to the pipeline folder)
        shown = [_dvc_path(w, wdir=wdir, repo=repo) if w in (*stage.deps, *stage.outs) else w for w in words]
        doc["stages"][stage.name] = {
            "cmd": " ".join(shlex.quote(w) for w in shown),
            "deps": [_dvc_path(d, wdir=wdir, repo=repo) for d in stage.deps],
            "params": ["workbench.version"],
            "outs": [_dvc_path(o, wdir=wdir, repo=repo) for o in stage.outs],
        }
    report_stages: list[Stage] = []
    params: dict[str, Any] = {"workbench": {"version": __version__}}
    for report, given in reports:
        name = _stage_name(report, taken)
        taken.add(name)
        resolved = {k: str(_absolute_if_path(v)) for k, v in given.items()}
        stage = report_stage(report, resolved, run_dir=f"{runs_dir}/{name}", name=name)
        report_stages.append(stage)
        params[name] = {k: _dvc_path(v, wdir=wdir, repo=repo) if Path(v).is_absolute() else v
                        for k, v in stage.params.items()}
    for stage in report_stages:
        # No value ever enters the shell command: the stage reads its parameters from
        # params.yaml itself (issue 29: a value holding `"; ...`, `$(...)` or backticks was pasted
        # into the command and run by `dvc repro`). Every word is quoted for the shell.
        report, run_dir = stage.argv[1], stage.argv[3]
        words = [*workbench, "report", report, "--run-dir", run_dir]
        if stage.params:
            words += ["--params-file", "params.yaml", "--params-section", stage.name]
        deps = [_dvc_path(d, wdir=wdir, repo=repo) for d in stage.deps]
        for dep in deps:
            if "${" in dep:  # DVC reads ${...} in a dvc.yaml value as a template
                raise WorkbenchError(
                    f"workbench pipeline dvc: the input path {dep!r} holds '${{', which DVC reads as a template "
                    "reference in dvc.yaml; rename the file or folder.")
        entry: dict[str, Any] = {
            "cmd": " ".join(shlex.quote(w) for w in words),
            "deps": deps,
            "params": ["workbench.version", *(f"{stage.name}.{k}" for k in stage.params)],
            "outs": list(stage.outs),
        }
        doc["stages"][stage.name] = entry
    dvc_yaml, params_yaml = wdir / "dvc.yaml", wdir / "params.yaml"
    header = f"# written by `workbench pipeline dvc` (workbench {__version__}); run with `dvc repro`\n"
    with atomic_path(params_yaml) as tmp:
        tmp.write_text(header + yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    with atomic_path(dvc_yaml) as tmp:
        tmp.write_text(header + yaml.safe_dump(doc, sort_keys=False, width=1000), encoding="utf-8")
    return dvc_yaml, params_yaml


def _absolute_if_path(value: str) -> str:
    """An existing relative path made absolute (so it survives a change of folder)."""
    if value and "://" not in value and not Path(value).is_absolute() and Path(value).exists():
        return str(Path(value).resolve())
    return value


# ---- the seeds' flow ----------------------------------------------------------------------

def retrain_stages(
    store: str | os.PathLike[str],
    scores: str | os.PathLike[str],
    corpus: str | os.PathLike[str],
    work: str | os.PathLike[str],
    *,
    item: str = "doc_id",
    metrics: Sequence[str] = ("stats", "language"),
    upstream: Sequence[str] = (),
) -> list[Stage]:
    """The flywheel's turn as two stages: ``retrain`` (``workbench flywheel train``: the
    store's decisions in effect and the scores → ``WORK/filters/quality/``) and ``rescore``
    (``workbench score text --filter``: the corpus scored again with the same ``metrics`` plus
    the column ``learned:quality`` → ``WORK/rescored.parquet``).

    The store is the retrain stage's dependency, so ``dvc repro`` (or the scheduler) retrains
    when reviewers have decided more, and rescoring follows the new filter. ``metrics`` must be
    those that made ``scores``: the filter refuses a table without its features.

    Examples
    --------
    >>> [s.name for s in retrain_stages("r.sqlite", "scores.parquet", "corpus.parquet", "flow")]
    ['retrain', 'rescore']
    """
    w = Path(work)
    filt, rescored = str(w / "filters" / "quality"), str(w / "rescored.parquet")
    store, scores, corpus = os.fspath(store), os.fspath(scores), os.fspath(corpus)
    metric_args = [a for m in metrics for a in ("--metrics", m)]
    return [
        # --curve-seeds 0: a pipeline step trains and saves; the filter_learning report draws the replay
        Stage("retrain", ("flywheel", "train", store, "--items", scores, "--out", filt, "--item", item,
                          "--curve-seeds", "0"),
              deps=(store, scores), outs=(filt,), upstream=tuple(upstream)),
        Stage("rescore", ("score", "text", corpus, "--out", rescored, *metric_args, "--no-cache", "--filter", filt),
              deps=(corpus, filt), outs=(rescored,), upstream=("retrain",)),
    ]


def seed_flow(
    corpus: str | os.PathLike[str],
    work: str | os.PathLike[str],
    *,
    metrics: Sequence[str] = ("stats", "language"),
    dedup_method: str = "minhash",
    reports: Sequence[tuple[str, Mapping[str, str]]] = (),
    retrain: bool = False,
) -> list[Stage]:
    """The flow ingest → score (text scores, dedup) → flag → review queue → reports, and with
    ``retrain`` the flywheel's turn: the review store's decisions → a learned filter
    (``filters/quality/``) → the corpus scored again with it (``rescored.parquet``, column
    ``learned:quality``).

    Parameters
    ----------
    corpus
        The corpus table (``doc_id``, ``text``).
    work
        Folder of the flow's files: ``ingested.parquet``, ``scores.parquet``,
        ``dedup.parquet``, ``flags.parquet``, ``review_queue.jsonl``, ``review.sqlite``,
        ``review_tasks.json`` (Label Studio), ``reports/NAME/``.
    metrics
        Text scores (``stats``, ``language``, ``perplexity``; perplexity loads SmolLM2 and
        takes minutes on a CPU).
    dedup_method
        ``exact``, ``minhash``, ``simhash`` or ``semantic``.
    reports
        Reports run on the ingested table at the end, ``(name, {param: value})``; by default
        ``data_overview`` of the ingested corpus.
    retrain
        Add the stages ``retrain`` (``workbench flywheel train``) and ``rescore``
        (``workbench score text --filter``). They need decisions in the store: run them
        once reviewers have worked the queue (the store is their input, so a scheduler or
        ``dvc repro`` runs them again as decisions come in).
    """
    from workbench import reports as _reports
    from workbench._validation import check_choice

    for metric in metrics:
        check_choice(metric, name="metric", choices=("stats", "language", "perplexity"))
    check_choice(dedup_method, name="dedup method", choices=("exact", "minhash", "simhash", "semantic"))
    for report, given in reports:  # checked now, the same way as the DVC stages, not at run time
        _reports.check_parameters(report, dict(given))
    w = Path(work)
    ingested, scores, dedup = str(w / "ingested.parquet"), str(w / "scores.parquet"), str(w / "dedup.parquet")
    flags, queue, store = str(w / "flags.parquet"), str(w / "review_queue.jsonl"), str(w / "review.sqlite")
    tasks = str(w / "review_tasks.json")
    metric_args = [a for m in metrics for a in ("--metrics", m)]
    stages = [
        Stage("ingest", ("pipeline", "step", "ingest", os.fspath(corpus), "--kind", "corpus", "--out", ingested),
              deps=(os.fspath(corpus),), outs=(ingested,)),
        Stage("score", ("score", "text", ingested, "--out", scores, *metric_args, "--no-cache"),
              deps=(ingested,), outs=(scores,), upstream=("ingest",)),
        Stage("dedup", ("dedup", ingested, "--out", dedup, "--method", dedup_method, "--quiet"),
              deps=(ingested,), outs=(dedup,), upstream=("ingest",)),
        Stage("flag", ("pipeline", "step", "flag", "--scores", scores, "--dedup", dedup, "--out", flags),
              deps=(scores, dedup), outs=(flags,), upstream=("score", "dedup")),
        Stage("review_queue", ("pipeline", "step", "review-queue", flags, "--corpus", ingested,
                               "--out", queue, "--store", store, "--label-studio", tasks),
              deps=(flags, ingested), outs=(queue, store, tasks), upstream=("flag",)),
    ]
    if retrain:
        stages += retrain_stages(store, scores, ingested, w, metrics=metrics, upstream=("review_queue",))
    chosen = list(reports) or [("data_overview", {"table": ingested})]
    taken = {s.name for s in stages}
    for report, given in chosen:
        name = _stage_name(f"report_{report}", taken)
        taken.add(name)
        stages.append(Stage(name, ("report", report, "--run-dir", str(w / "reports" / report),
                                   *[a for k, v in given.items() for a in ("-p", k, v)]),
                            deps=tuple(v for v in given.values() if v == ingested),
                            outs=(str(w / "reports" / report),), upstream=("review_queue",)))
    return stages


_DAG_TEMPLATE = '''"""Airflow DAG {dag_id!r}: ingest -> score (text scores, dedup) -> flag -> review queue -> reports.

Written by `workbench pipeline airflow` (workbench {version}). Each task runs one workbench
command in the project's Python (WORKBENCH_PYTHON below, or the environment variable of that
name); the command's exit status decides the task's state, so a failing step fails the run.
This file imports nothing from workbench: it parses in an Airflow installation of its own.
"""

from __future__ import annotations

import os
import subprocess

import pendulum

try:  # Airflow 3
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.decorators import task

WORKBENCH_PYTHON = os.environ.get("WORKBENCH_PYTHON", {python!r})
WORKDIR = {cwd!r}
COMMANDS = {commands}
UPSTREAM = {upstream}


def _run(name: str) -> None:
    argv = [WORKBENCH_PYTHON, "-m", "workbench", *COMMANDS[name]]
    print("running:", " ".join(argv), flush=True)
    proc = subprocess.run(argv, cwd=WORKDIR, capture_output=True, text=True, check=False)
    print(proc.stdout[-20000:], flush=True)
    if proc.returncode != 0:
        raise RuntimeError(f"workbench step {{name!r}} exited with {{proc.returncode}}:\\n{{proc.stderr[-5000:]}}")


with DAG(
    dag_id={dag_id!r},
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["workbench"],
    doc_md=__doc__,
) as dag:
    tasks = {{name: task(task_id=name, retries=0)(_run)(name) for name in COMMANDS}}
    for name, before in UPSTREAM.items():
        for up in before:
            tasks[up] >> tasks[name]
'''


def write_airflow_dag(
    stages: Sequence[Stage],
    out: str | os.PathLike[str],
    *,
    dag_id: str = "workbench_data_quality",
    python: str | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Path:
    """Write the DAG file ``out/<dag_id>.py`` running ``stages`` as Airflow tasks.

    Parameters
    ----------
    stages
        The flow, e.g. :func:`seed_flow`; upstream names must be stages of the list.
    out
        The folder (an Airflow ``dags/`` folder, or any).
    python
        The Python that has workbench installed (default: this one).
    cwd
        The folder the commands run in (default: the current folder); relative paths of
        the stages are read from it.
    """
    from workbench import __version__

    if not isinstance(dag_id, str) or not _AIRFLOW_ID.fullmatch(dag_id):
        raise WorkbenchError(
            f"workbench pipeline airflow: dag id {dag_id!r} is not an Airflow id (letters, digits, '_', '-' "
            "and '.', at most 250 characters); it also names the DAG file, so it cannot hold '/' or quotes.")
    names = [s.name for s in stages]
    for n in names:
        if not _AIRFLOW_ID.fullmatch(n):
            raise WorkbenchError(f"workbench pipeline airflow: task id {n!r} is not an Airflow id.")
    missing = sorted({u for s in stages for u in s.upstream} - set(names))
    if missing:
        raise WorkbenchError(f"stages wait for unknown stage(s) {missing}; the stages are {names}.")
    commands = {s.name: s.command(prefix=()) for s in stages}
    upstream = {s.name: list(s.upstream) for s in stages if s.upstream}
    text = _DAG_TEMPLATE.format(
        dag_id=dag_id, version=__version__, python=python or sys.executable,
        cwd=os.fspath(Path(cwd or Path.cwd()).resolve()),
        commands=_json_lines(commands), upstream=_json_lines(upstream),
    )
    target = Path(out) / f"{dag_id}.py"  # a checked id: no separator, no '..' alone (dots only inside)
    if target.resolve().parent != Path(out).resolve():
        raise WorkbenchError(f"workbench pipeline airflow: dag id {dag_id!r} would write outside {out}.")
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def _json_lines(mapping: Mapping[str, Any]) -> str:
    """A dict as Python/JSON source with one entry a line."""
    # ensure_ascii=False: a character beyond the BMP stays one character (JSON's surrogate-pair
    # escapes read back in Python source as two lone surrogates, a path that does not exist)
    body = ",\n".join(f"    {json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                       for k, v in mapping.items())
    return "{\n" + body + ",\n}" if body else "{}"


# ---- the flow's own steps -----------------------------------------------------------------

def ingest(path: str | os.PathLike[str], out: str | os.PathLike[str], *, kind: str | None = None) -> pd.DataFrame:
    """Load and validate a table (``io.load_table``) and write it to ``out`` (Parquet, atomically).

    Raises
    ------
    WorkbenchError
        The table does not load or does not fit ``kind`` (the message names table, columns
        and rows).
    """
    from workbench import io

    table = io.load_table(path, kind=kind)  # type: ignore[arg-type]  # checked inside
    if len(table) == 0:
        raise WorkbenchError(f"ingest: the table {path} has no rows; nothing to score.")
    io.save_table(table, out)
    return table


def flag_items(scores: pd.DataFrame, clusters: pd.DataFrame, *, doc_id: str = "doc_id",
               near_duplicates: Literal["drop", "review"] = "review") -> pd.DataFrame:
    """Composite decision per document from its text-score decision and its duplicate cluster.

    A document is dropped when its scores say drop or the cleaning funnel's dedup stage
    (:func:`workbench.scoring.dedup_rules` on :func:`workbench.scoring.duplicate_flags`, the
    one near-duplicate rule of the package) drops it: an exact copy of its cluster's
    representative always. It goes to a person (``review``) when its scores say review or the
    dedup stage reviews it. The flow's step passes ``near_duplicates="review"`` (a person
    decides whether a near copy adds anything, the purpose of the flow's review queue); the
    cleaning funnel's default, :data:`workbench.scoring.NEAR_DUPLICATES`, drops them. Kept
    otherwise. ``reasons`` lists why.

    Parameters
    ----------
    scores
        Output of ``workbench score text``: ``doc_id``, ``decision``, ``reasons``.
    clusters
        Output of ``workbench dedup``: ``doc_id``, ``is_representative``,
        ``representative_id``, ``similarity`` (to the representative).

    Returns
    -------
    DataFrame
        ``doc_id``, ``decision`` (``keep``/``review``/``drop``), ``reasons``,
        ``score_decision``, ``duplicate`` (``""``, ``"exact"`` or ``"near"``).

    Raises
    ------
    WorkbenchError
        A column is missing, or the two tables do not hold the same documents.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "decision": ["keep", "review", "keep", "keep"],
    ...                   "reasons": ["", "odd", "", ""]})
    >>> c = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "is_representative": [True, True, False, False],
    ...                   "representative_id": ["a", "b", "a", "a"], "similarity": [1.0, 1.0, 1.0, 0.9]})
    >>> flag_items(s, c)["decision"].tolist()
    ['keep', 'review', 'drop', 'review']
    """
    import numpy as np
    import pandas as pd

    from workbench._validation import require_columns

    require_columns(scores, [doc_id, "decision", "reasons"], table="scores")
    require_columns(clusters, [doc_id, "is_representative", "representative_id", "similarity"],
                    table="dedup clusters")
    left = set(scores[doc_id].astype(str))
    right = set(clusters[doc_id].astype(str))
    if left != right:
        only = sorted(left ^ right)[:5]
        raise WorkbenchError(
            f"flag: the scores and the dedup clusters hold different documents ({len(left - right)} only in "
            f"scores, {len(right - left)} only in dedup, e.g. {only}); run both on the same ingested table."
        )
    merged = scores[[doc_id, "decision", "reasons"]].astype({doc_id: str}).merge(
        clusters[[doc_id, "is_representative", "representative_id", "similarity"]].astype({doc_id: str}),
        on=doc_id, how="left")
    from workbench.scoring import decide, dedup_rules, duplicate_flags

    flags = duplicate_flags(merged)
    exact = flags["is_exact_duplicate"].to_numpy() > 0
    near = (flags["is_duplicate"].to_numpy() > 0) & ~exact
    sim = pd.to_numeric(merged["similarity"], errors="coerce").to_numpy(dtype=float)
    dup = decide(flags, dedup_rules(near_duplicates))["decision"].to_numpy(dtype=object)
    base = merged["decision"].to_numpy(dtype=object)
    decision = np.where((base == "drop") | (dup == "drop"), "drop",
                        np.where((base == "review") | (dup == "review"), "review", base))
    reasons = []
    for r, e, n, rep, si in zip(merged["reasons"], exact, near, merged["representative_id"], sim, strict=True):
        parts = [str(r)] if isinstance(r, str) and r else []
        if e:
            parts.append(f"exact duplicate of {rep}")
        elif n:
            parts.append(f"near-duplicate of {rep} (similarity {si:.2f})")
        reasons.append("; ".join(parts))
    return pd.DataFrame({doc_id: merged[doc_id], "decision": decision, "reasons": reasons,
                         "score_decision": merged["decision"],
                         "duplicate": np.where(exact, "exact", np.where(near, "near", ""))})


def write_review_queue(
    flags: pd.DataFrame,
    corpus: pd.DataFrame,
    out: str | os.PathLike[str],
    *,
    store: str | os.PathLike[str] | None = None,
    label_studio: str | os.PathLike[str] | None = None,
    prodigy: str | os.PathLike[str] | None = None,
    doc_id: str = "doc_id",
) -> pd.DataFrame:
    """Write the documents that need a person (decision ``review``) for the reviewers.

    Parameters
    ----------
    flags
        Output of :func:`flag_items`.
    corpus
        The ingested corpus (the texts).
    out
        The review-queue table (``doc_id``, ``text``, ``reasons`` and the corpus' other
        columns): what :class:`workbench.review.queue.ReviewQueue` and the spot-check notebook
        read.
    store
        A review store (SQLite) to create, or open and check, for the reviewers' decisions.
    label_studio, prodigy
        Also write the queue as Label Studio tasks (``.json``) or a Prodigy stream
        (``.jsonl``), with the reasons, for teams that review in those tools.

    Returns
    -------
    DataFrame
        The queued items.
    """
    from workbench import io

    need = flags[flags["decision"] == "review"][[doc_id, "reasons"]].astype({doc_id: str})
    items = corpus.astype({doc_id: str}).merge(need, on=doc_id, how="inner")
    io.save_table(items, out)
    if store is not None:
        from workbench.review.store import ReviewStore

        with ReviewStore(store):
            pass
    for target, empty in ((label_studio, "[]\n"), (prodigy, "")):
        if target is not None and items.empty:  # nothing to review: an empty import, not an error
            with atomic_path(target) as tmp:
                tmp.write_text(empty, encoding="utf-8")
    if label_studio is not None and not items.empty:
        from workbench.formats import label_studio as ls

        ls.write_tasks(items, label_studio, item=doc_id)
    if prodigy is not None and not items.empty:
        from workbench.formats import prodigy as pg

        pg.write_jsonl(items, prodigy, item=doc_id)
    return items
