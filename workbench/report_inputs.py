"""Which files a report reads, resolved once, and stated at the top of the report.

A report has *main* inputs (the annotations table, the corpus, …) and *companion* inputs
that only make sense with a particular main input (the gold file of the sample annotations,
the planted truth of the sample corpus, the sample preferences shown beside the sample
annotations). A companion parameter defaults to :data:`AUTO`: it resolves to the sample
companion **only when its main input is the sample**, and to no file otherwise, so a user's
run never mixes the user's data with sample data it was not given. A companion given
explicitly is used as given; ``""`` means none.

:func:`resolve_inputs` does the resolution; :meth:`ReportInputs.to_markdown` is the
statement every report prints first ("inputs used"), with each file's size and the start of
its SHA-256, escaped for Markdown.

Examples
--------
>>> inputs = resolve_inputs("annotation_reliability", annotations_path="my.csv", gold_path="auto")
>>> inputs.path("gold_path") is None
True
>>> inputs.sample_run
False
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench._internal.escape import escape_markdown
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AUTO", "InputFile", "ReportInputs", "reference_corpus", "resolve_inputs", "sample_dir"]

#: Companion default: the sample companion with the sample main input, else none.
AUTO = "auto"

_REPO = Path(__file__).resolve().parents[1]


def sample_dir() -> Path:
    """The folder of the committed sample data (``data_samples/`` of the checkout)."""
    return Path(os.environ.get("WORKBENCH_SAMPLES", _REPO / "data_samples"))


@dataclass(frozen=True)
class _Companion:
    parameter: str
    anchor: str  # the main parameter it belongs to
    anchor_sample: str  # the sample file of the anchor (relative to data_samples/)
    sample: str  # the sample companion (relative to data_samples/)


# companion parameter -> the main input it belongs to, per report
_COMPANIONS: dict[str, tuple[_Companion, ...]] = {
    "annotation_reliability": (
        _Companion("gold_path", "annotations_path", "reviews_10x5000.csv", "reviews_10x5000_gold.csv"),
        _Companion("preferences_path", "annotations_path", "reviews_10x5000.csv", "preferences_5x200.csv"),
    ),
    "annotator_drift": (
        _Companion("gold_path", "annotations_path", "reviews_10x5000.csv", "reviews_10x5000_gold.csv"),
    ),
    "threshold_exploration": (
        _Companion("corpus_truth_path", "corpus_path", "corpus.jsonl", "truth/corpus_rows.csv"),
        _Companion("captions_path", "corpus_path", "corpus.jsonl", "image_captions/image_captions.csv"),
        _Companion("captions_truth_path", "captions_path", "image_captions/image_captions.csv",
                   "truth/image_captions_rows.csv"),
    ),
    "vendor_comparison": (
        _Companion("gold", "vendor_a", "vendor_a.csv", "vendor_gold.csv"),
    ),
    "data_intervention_ab": (
        _Companion("texts_path", "annotations_path", "reviews_10x5000.csv", "reviews_10x5000_items.csv"),
        _Companion("gold_path", "annotations_path", "reviews_10x5000.csv", "reviews_10x5000_gold.csv"),
    ),
}


@dataclass(frozen=True)
class InputFile:
    """One input parameter of a report and what it resolved to.

    Attributes
    ----------
    parameter
        The notebook parameter (``gold_path``).
    path
        The file read, or ``None`` when the report runs without it.
    how
        Why: ``"given"``, ``"sample"`` (the sample default of a main input), ``"sample
        companion"``, ``"none given"`` or ``"auto: none (…)"``.
    size, sha256
        File size in bytes and the first 12 hex digits of its SHA-256 (``None`` for folders,
        missing files and unused inputs).
    """

    parameter: str
    path: str | None
    how: str
    size: int | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class ReportInputs:
    """The inputs of one report run, resolved (see :func:`resolve_inputs`)."""

    report: str
    files: tuple[InputFile, ...]
    sample_run: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    def path(self, parameter: str) -> str | None:
        """The resolved path of ``parameter`` (``None``: the report runs without it)."""
        for f in self.files:
            if f.parameter == parameter:
                return f.path
        have = ", ".join(f.parameter for f in self.files)
        raise WorkbenchError(f"report {self.report!r} has no input {parameter!r}; its inputs are {have}.")

    def summary(self) -> str:
        """One line per input: parameter, file (or none) and how it was chosen."""
        lines = [f"Inputs of {self.report}" + (" (sample data)" if self.sample_run else "") + ":"]
        for f in self.files:
            where = _display(f.path) if f.path is not None else "none"
            extra = f", {f.size:,} bytes, sha256 {f.sha256}" if f.size is not None else ""
            lines.append(f"- {f.parameter}: {where} ({f.how}{extra})")
        lines.extend(f"- {n}" for n in self.notes)
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """The summary as escaped Markdown (paths and parameters come from the user)."""
        head = "**Inputs used**" + (" — the committed *sample data*" if self.sample_run else "")
        rows = [head, ""]
        for f in self.files:
            where = f"<code>{_md(_display(f.path))}</code>" if f.path is not None else "*none*"
            extra = f"; {f.size:,} bytes, sha256 <code>{f.sha256}</code>" if f.size is not None else ""
            rows.append(f"- <code>{_md(f.parameter)}</code>: {where} ({_md(f.how)}{extra})")
        rows.extend(f"- {_md(n)}" for n in self.notes)
        return "\n".join(rows)


def _md(text: str) -> str:
    """Escape text for Markdown that Jupyter renders (the reports' one escaping helper)."""
    return escape_markdown(text)


def _same_file(value: str, sample_rel: str) -> bool:
    if not value:
        return False
    try:
        return Path(value).resolve() == (sample_dir() / sample_rel).resolve()
    except OSError:  # pragma: no cover - unusual paths
        return False


def _fingerprint(path: str) -> tuple[int | None, str | None]:
    p = Path(path)
    if not p.is_file():
        return None, None
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return p.stat().st_size, digest.hexdigest()[:12]


def _display(path: str) -> str:
    """Show a sample file relative to the samples folder, anything else as given."""
    try:
        return "data_samples/" + Path(path).resolve().relative_to(sample_dir().resolve()).as_posix()
    except ValueError:
        return path


def resolve_inputs(report: str, **parameters: str) -> ReportInputs:
    """Resolve a report's input parameters: companions follow their main input.

    Parameters
    ----------
    report
        The report (notebook) name; it selects which parameters are companions of which
        main input.
    **parameters
        Every input parameter of the report with its value as the notebook received it.
        A companion set to :data:`AUTO` (``"auto"``) becomes the sample companion when its
        main input is the sample file, and ``None`` otherwise; ``""`` is ``None``; any
        other value is used as given.

    Returns
    -------
    ReportInputs
        ``.path(name)`` for each parameter, ``.to_markdown()`` for the report's first output.

    Raises
    ------
    WorkbenchError
        A main input that is empty or ``"auto"``.

    Examples
    --------
    >>> r = resolve_inputs("annotator_drift", annotations_path="run.csv", gold_path="gold.csv")
    >>> r.path("gold_path")
    'gold.csv'
    """
    companions = {c.parameter: c for c in _COMPANIONS.get(report, ())}
    files: dict[str, InputFile] = {}
    notes: list[str] = []
    # main inputs first, then companions in dependency order (a companion may anchor another)
    order = [p for p in parameters if p not in companions] + [p for p in parameters if p in companions]
    for name in order:
        value = str(parameters[name]).strip()
        comp = companions.get(name)
        if comp is None:
            if value == AUTO:
                raise WorkbenchError(
                    f"report {report!r}: {name}={value!r} is a main input; give a file path."
                )
            if not value:
                files[name] = InputFile(name, None, "none given")
                continue
            how = "sample" if Path(value).resolve().is_relative_to(sample_dir().resolve()) else "given"
            files[name] = InputFile(name, value, how, *_fingerprint(value))
            continue
        anchor = files.get(comp.anchor)
        anchor_value = anchor.path if anchor is not None else str(parameters.get(comp.anchor, ""))
        if value == AUTO:
            if anchor_value and _same_file(anchor_value, comp.anchor_sample):
                path = str(sample_dir() / comp.sample)
                files[name] = InputFile(name, path, "sample companion of the sample input", *_fingerprint(path))
            else:
                files[name] = InputFile(
                    name, None, f"auto: none, because {comp.anchor} is not the sample; pass {name} to use one"
                )
        elif not value:
            files[name] = InputFile(name, None, "none given")
        else:
            how = "sample" if Path(value).resolve().is_relative_to(sample_dir().resolve()) else "given"
            files[name] = InputFile(name, value, how, *_fingerprint(value))
    used = [f for f in files.values() if f.path is not None]
    sample_run = bool(used) and all(f.how != "given" for f in used)
    shown = tuple(files[p] for p in parameters)
    if not sample_run and any(f.how.startswith("sample") for f in used):
        notes.append("some inputs are sample data (given explicitly)")
    return ReportInputs(report, shown, sample_run, tuple(notes))


#: The sample corpus whose generated companion is the clean reference text.
_SAMPLE_CORPUS = "corpus.jsonl"


def reference_corpus(
    inputs: ReportInputs,
    *,
    corpus: str = "corpus_path",
    reference: str = "reference_path",
    n_docs: int = 400,
    rng: int = 0,
) -> tuple[pd.DataFrame | None, str]:
    """Clean held-out reference text for a corpus experiment, following the companion rule.

    The file given as ``reference`` is read (a corpus table). Without one, generated clean
    sample text (:func:`workbench.samples.make_corpus`) is the reference **only when the
    corpus is the sample corpus**; a user's corpus is never scored against sample text, and
    the reference is ``None``.

    Parameters
    ----------
    inputs
        The report's resolved inputs (:func:`resolve_inputs`).
    corpus, reference
        The parameters of the corpus and of the reference file.
    n_docs, rng
        Size and seed of the generated reference.

    Returns
    -------
    (pandas.DataFrame or None, str)
        The reference table (``None``: none available) and one plain-text sentence for the
        report saying which text it is, or what to pass (escape it for Markdown).

    Examples
    --------
    >>> ref, note = reference_corpus(resolve_inputs("r", corpus_path="mine.jsonl", reference_path=""))
    >>> ref is None, note.startswith("No reference text")
    (True, True)
    """
    path = inputs.path(reference)
    if path:
        from workbench import io

        return io.load_table(path, kind="corpus"), f"Reference text: the corpus table {path}."
    corpus_path = inputs.path(corpus)
    if corpus_path and _same_file(corpus_path, _SAMPLE_CORPUS):
        from workbench import samples

        table = samples.make_corpus(n_docs, shares={"clean": 1.0}, rng=rng).tables["corpus"]
        return table, (f"Reference text: {n_docs:,} generated clean documents, the sample corpus's "
                       "companion (pass reference_path to use your own).")
    return None, (f"No reference text: the corpus is not the sample, and generated sample text is "
                  f"used only with the sample corpus. Pass {reference} (a corpus table of clean held-out "
                  "text in the corpus's language, doc_id + text) to run the corpus-cleaning experiment "
                  "and the threshold sweep.")
