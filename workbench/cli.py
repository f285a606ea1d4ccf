"""The ``workbench`` command: sample data, headless reports, scoring, dedup and review.

Run ``workbench --help`` (or ``workbench COMMAND --help``) for every option.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, cast

import typer

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

from workbench import __version__
from workbench._internal.format_names import Format
from workbench.analyses import defaults as _defaults
from workbench.errors import WorkbenchError

__all__ = ["app", "main"]

app = typer.Typer(
    name="workbench",
    help="Data Quality Workbench: keep ML training data honest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# every command that reads a table takes --format (issue 15); "auto" tells a tool's export apart
_FormatOpt = Annotated[
    Format,
    typer.Option("--format", help="Input format: auto, table, label-studio, prodigy, argilla, mturk, "
                 "labelbox, arena, alpaca-eval or chosen-rejected (docs/interop.md)."),
]


# every command that reads a table takes --option KEY=VALUE and --question NAME (issue 27)
_OptionOpt = Annotated[
    list[str] | None,
    typer.Option("--option", help="Reader option KEY=VALUE (repeatable), e.g. question=sentiment, rejected=keep (docs/interop.md)."),
]
_QuestionOpt = Annotated[
    str | None,
    typer.Option("--question", help="Which question of a multi-question export or table to read (same as --option question=NAME); "
                 "without it such a file is refused with the list of its questions."),
]


def _reader_options(option: list[str] | None, question: str | None = None) -> dict[str, object]:
    """``--option KEY=VALUE`` (values read as YAML scalars) and ``--question NAME`` as reader options."""
    import yaml

    opts: dict[str, object] = {}
    for o in option or []:
        key, sep, value = o.partition("=")
        if not sep or not key:
            raise WorkbenchError(f"--option {o!r}: write KEY=VALUE, e.g. --option question=sentiment.")
        opts[key] = yaml.safe_load(value)
    if question is not None:
        opts["question"] = question
    return opts


def _version(value: bool) -> None:
    if value:
        typer.echo(f"workbench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="On an error, show the Python traceback too (before the command).")
    ] = False,
) -> None:
    """Data Quality Workbench: keep ML training data honest."""


# A -p value is any string, also one that starts with "-" ("--help", "-1"): main() marks the
# two words after every -p so click never reads them as options; _pairs takes the mark off.
_VERBATIM = "\x00"


def _protect_values(args: list[str]) -> list[str]:
    """Mark the KEY and VALUE words after each ``-p``/``--parameter`` as plain words."""
    out: list[str] = []
    i = 0
    while i < len(args):
        out.append(args[i])
        if args[i] in ("-p", "--parameter") and i + 2 < len(args) + 1:
            out.extend(_VERBATIM + w for w in args[i + 1:i + 3])
            i += 3
            continue
        i += 1
    return out


def _word(value: str) -> str:
    return value[len(_VERBATIM):] if value.startswith(_VERBATIM) else value


def _pairs(args: list[str]) -> dict[str, str]:
    """Parse ``-p KEY VALUE`` pairs from the words typer left over."""
    out: dict[str, str] = {}
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in ("-p", "--parameter") or len(rest) < 2:
            raise WorkbenchError(
                f"cannot read {' '.join(_word(w) for w in [flag, *rest[:2]])!r}: parameters are given as "
                "-p KEY VALUE, e.g. workbench report data_overview -p table ../my.csv"
            )
        key, value = _word(rest.pop(0)), _word(rest.pop(0))
        out[key] = value
    return out


def _params_section(path: Path, section: str) -> dict[str, str]:
    """The report parameters in ``section`` of a params file (what ``workbench pipeline dvc``
    writes): values are read as YAML data, never through a shell, so any string survives."""
    import yaml

    from workbench._internal.yamlsafe import load_yaml

    data = load_yaml(path, what="params file")
    block = data.get(section) if isinstance(data, dict) else None
    if not isinstance(block, dict):
        raise WorkbenchError(f"{path}: no section {section!r} of report parameters (a mapping KEY: VALUE).")
    out: dict[str, str] = {}
    for key, value in block.items():
        if isinstance(value, (dict, list)) or value is None:
            raise WorkbenchError(f"{path}: {section}.{key} must be one value (text or number), got {type(value).__name__}.")
        out[str(key)] = value if isinstance(value, str) else yaml.safe_dump(value).strip().removesuffix("...").strip()
    return out


@app.command(
    "report",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="Examples: workbench report data_overview | "
    "workbench report vendor_comparison -p vendor_a a.csv -p vendor_b b.csv -p gold gold.csv | "
    "workbench report all | workbench report data_overview --run-dir out/overview | "
    "workbench report rerun reports/data_overview/RUN_ID",
)
def report_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Report notebook name (a notebook in notebooks/), 'all', "
                                       "or 'rerun RUN_DIR' (run a recorded run again).")],
    out: Annotated[Path, typer.Option("--out", help="Root folder of the reports.")] = Path("reports"),
    run_dir: Annotated[Path | None, typer.Option(
        "--run-dir", help="Write NAME.ipynb, NAME.html and manifest.json straight into this folder "
        "(a fixed output for pipelines) instead of a new run folder under --out.")] = None,
    show_code: Annotated[bool, typer.Option("--show-code", help="Keep code cells in the HTML.")] = False,
    list_parameters: Annotated[
        bool, typer.Option("--list-parameters", help="Print the report's parameters and exit.")
    ] = False,
    params_file: Annotated[Path | None, typer.Option(
        "--params-file", help="Read the report's parameters from this YAML file (with --params-section); "
        "what `workbench pipeline dvc` stages use, so no value passes through a shell.")] = None,
    params_section: Annotated[str, typer.Option("--params-section", help="Section of --params-file.")] = "",
) -> None:
    """Execute a report notebook headless and render its self-contained HTML.

    Set notebook parameters with -p KEY VALUE (repeatable); the HTML path is printed last.
    """
    from workbench import reports

    if name == "rerun":  # issue 16: the recorded parameters again; changed inputs first
        if len(ctx.args) != 1:
            raise WorkbenchError("usage: workbench report rerun RUN_DIR (a run folder holding manifest.json).")
        _, rerun = reports.rerun(ctx.args[0], out_dir=out, run_dir=run_dir, show_code=show_code, echo=typer.echo)
        typer.echo(rerun.summary())
        typer.echo(str(rerun.html))
        return
    parameters = _pairs(ctx.args)
    if params_file is not None:
        parameters = {**_params_section(params_file, params_section or name), **parameters}
    if not list_parameters:
        from workbench.io import check_writable

        check_writable(Path(out) / ".workbench-write-check", table=False)
    if name == "all":
        if parameters:
            raise WorkbenchError("'workbench report all' runs every report with its defaults; drop -p.")
        for run in reports.run_all(out_dir=out):
            typer.echo(run.summary())
        typer.echo(str(Path(out).resolve() / "index.html"))
        return
    if list_parameters:
        for p in reports.report_parameters(name).values():
            typer.echo(f"{p.name} ({p.type}) = {p.default}" + (f"  # {p.help}" if p.help else ""))
        return
    run = reports.run_report(name, parameters, out_dir=out, run_dir=run_dir, show_code=show_code)
    typer.echo(run.summary())
    typer.echo(str(run.html))


# ---- commands of later issues are added below this line (one block each) ----


# ---- vendors (issue 8): a view of workbench.analyses.vendor_comparison (issue 26) ----
_VC = _defaults.VENDOR_COMPARISON


@app.command("vendors")
def vendors_command(
    vendor_a: Annotated[Path, typer.Argument(help="Vendor a's table (annotations or preferences).")],
    vendor_b: Annotated[Path, typer.Argument(help="Vendor b's table, same kind, the same items.")],
    gold: Annotated[Path | None, typer.Option(help="Gold table (item_id, label); without it nothing is recommended.")] = None,
    cost_a: Annotated[float, typer.Option(help="Price of one judgment from vendor a; negative: unknown (the sample vendors' price on the sample tables).")] = _VC["cost_a"],
    cost_b: Annotated[float, typer.Option(help="Price of one judgment from vendor b; negative: unknown.")] = _VC["cost_b"],
    name_a: Annotated[str, typer.Option(help="Display name of vendor a.")] = _VC["name_a"],
    name_b: Annotated[str, typer.Option(help="Display name of vendor b.")] = _VC["name_b"],
    kind: Annotated[str, typer.Option(help="auto (told from the columns), annotations or preferences.")] = _VC["kind"],
    confidence: Annotated[float, typer.Option(help="Level of the intervals (the primary tests use the Bonferroni level).")] = _VC["confidence"],
    n_resamples: Annotated[int, typer.Option(help="Bootstrap resamples of the items.")] = _VC["n_resamples"],
    near_random_margin: Annotated[float, typer.Option(help="Near-random annotator: Dawid-Skene accuracy below chance plus this.")] = _VC["near_random_margin"],
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap.")] = _VC["seed"],
    scorecard_out: Annotated[
        Path | None, typer.Option("--scorecard-out", help="Write the scorecard table here.")
    ] = None,
    fmt: _FormatOpt = _VC["format"],
    option: _OptionOpt = None,
    question: _QuestionOpt = None,
) -> None:
    """Compare two vendors on the same items; print the recommendation and the scorecard: the vendor_comparison report's analysis."""
    from workbench import io
    from workbench.analyses import vendor_comparison

    if scorecard_out is not None:
        io.check_writable(scorecard_out)
    res = vendor_comparison.run(
        vendor_a, vendor_b, gold=str(gold) if gold is not None else "", format=fmt, kind=kind, name_a=name_a,
        name_b=name_b, cost_a=cost_a, cost_b=cost_b, confidence=confidence, n_resamples=n_resamples,
        near_random_margin=near_random_margin, seed=seed, options=_reader_options(option, question),
    )
    typer.echo(res.summary())
    if scorecard_out is not None:
        io.save_table(res.comparison.to_frame(), scorecard_out)
        typer.echo(f"scorecard -> {scorecard_out}")


# ---- reliability (issue 3): a view of workbench.analyses.annotation_reliability (issue 26) ----
_AR = _defaults.ANNOTATION_RELIABILITY


@app.command("reliability")
def reliability_command(
    annotations: Annotated[Path, typer.Argument(help="Annotations table (item_id, annotator_id, label).")],
    gold: Annotated[Path | None, typer.Option(help="Gold table (item_id, label; or the --item/--label names): adds accuracy and the batch verdict.")] = None,
    preferences: Annotated[Path | None, typer.Option(help="Preferences table (pair_id, annotator_id, choice): its agreement and annotator flags too.")] = None,
    level: Annotated[str, typer.Option(help="Krippendorff level: nominal, ordinal, interval or ratio.")] = _AR["level"],
    value_order: Annotated[
        list[str], typer.Option("--value-order", help="Label order for ordinal/interval data (repeatable, lowest first); none: sorted labels.")
    ] = _AR["value_order"],
    item: Annotated[str, typer.Option(help="Item column of the annotations.")] = _AR["item_column"],
    annotator: Annotated[str, typer.Option(help="Annotator column.")] = _AR["annotator_column"],
    label: Annotated[str, typer.Option(help="Label column of the annotations.")] = _AR["label_column"],
    segment_column: Annotated[str, typer.Option("--segment", help="Column to segment disagreement by ('' for none).")] = _AR["segment_column"],
    min_kappa: Annotated[float, typer.Option(help="Agreement bar of the batch verdict.")] = _AR["min_kappa"],
    min_qa_accuracy: Annotated[float, typer.Option(help="QA-sample accuracy bar of the batch verdict.")] = _AR["min_qa_accuracy"],
    qa_fraction: Annotated[float, typer.Option(help="QA sample size as a share of the items.")] = _AR["qa_fraction"],
    min_qa_items: Annotated[int, typer.Option(help="Fewer gold items in the QA sample: insufficient evidence, not a pass.")] = _AR["min_qa_items"],
    n_resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = _AR["n_resamples"],
    confidence: Annotated[float, typer.Option(help="Level of every confidence interval.")] = _AR["confidence"],
    near_random_margin: Annotated[float, typer.Option(help="Near-random annotator: Dawid-Skene accuracy below chance plus this.")] = _AR["near_random_margin"],
    straight_line_share: Annotated[float, typer.Option(help="Annotators giving one label this often are flagged as straight-lining.")] = _AR["straight_line_share"],
    position_share: Annotated[float, typer.Option(help="Preference annotators choosing one side this often are flagged position-biased.")] = _AR["position_share"],
    seed: Annotated[int, typer.Option(help="Random seed.")] = _AR["seed"],
    fmt: _FormatOpt = _AR["format"],
    min_judgments: Annotated[int, typer.Option(help="Rankings name only annotators with at least this many compared judgments.")] = _AR["min_judgments"],
    normalize_labels: Annotated[bool, typer.Option("--normalize-labels", help="Merge labels that differ only by case or surrounding whitespace.")] = False,
    option: _OptionOpt = None,
    question: _QuestionOpt = None,
) -> None:
    """Agreement, annotators, consensus labels and (with --gold) the batch verdict: the annotation_reliability report's analysis."""
    from workbench.analyses import annotation_reliability

    res = annotation_reliability.run(
        annotations_path=annotations, gold_path=str(gold) if gold is not None else "",
        preferences_path=str(preferences) if preferences is not None else "", format=fmt, item_column=item,
        annotator_column=annotator, label_column=label, normalize_labels=normalize_labels, level=level,
        value_order=list(value_order), segment_column=segment_column, n_resamples=n_resamples, confidence=confidence,
        min_kappa=min_kappa, min_qa_accuracy=min_qa_accuracy, qa_fraction=qa_fraction, min_qa_items=min_qa_items,
        near_random_margin=near_random_margin, straight_line_share=straight_line_share, position_share=position_share,
        min_judgments=min_judgments, seed=seed, options=_reader_options(option, question),
    )
    typer.echo(res.summary())


# ---- drift (issue 6): a view of workbench.analyses.annotator_drift (issue 26) ----
_AD = _defaults.ANNOTATOR_DRIFT


@app.command("drift")
def drift_command(
    annotations: Annotated[Path, typer.Argument(help="Annotations table with item_id, annotator_id, label, timestamp.")],
    gold: Annotated[Path | None, typer.Option(help="Gold table (item_id, label); without it: agreement with the consensus only.")] = None,
    levels: Annotated[
        list[str], typer.Option("--level", help="Grouping column tested for drift (repeatable; absent ones are skipped).")
    ] = _AD["levels"],
    segment_by: Annotated[
        list[str], typer.Option("--by", help="Root-cause column (repeatable; 'period' = time bins).")
    ] = _AD["segment_by"],
    window: Annotated[str, typer.Option(help="Window of timelines and control charts, e.g. 7D, 10min; auto: from the data's span and volume.")] = _AD["window"],
    baseline: Annotated[str, typer.Option(help="Each group's baseline period of the control charts; auto: three windows.")] = _AD["baseline"],
    period: Annotated[str, typer.Option(help="Length of the root-cause 'period' bins; auto: two windows.")] = _AD["period"],
    min_judgments: Annotated[int, typer.Option(help="Sequences with fewer judgments are not tested for a change.")] = _AD["min_judgments"],
    max_depth: Annotated[int, typer.Option(help="Most columns combined in one root-cause segment.")] = _AD["max_depth"],
    min_segment_n: Annotated[int, typer.Option(help="Smallest root-cause segment tested.")] = _AD["min_segment_n"],
    alpha: Annotated[float, typer.Option(help="Family-wise false-alarm rate of the alerts.")] = _AD["alpha"],
    top_causes: Annotated[int, typer.Option("--top", help="Root-cause rows printed.")] = _AD["top_causes"],
    alerts_out: Annotated[Path | None, typer.Option("--alerts-out", help="Write every tested sequence here.")] = None,
    causes_out: Annotated[Path | None, typer.Option("--causes-out", help="Write the root-cause table here.")] = None,
    fmt: _FormatOpt = _AD["format"],
    date_format: Annotated[str | None, typer.Option("--date-format", help="How non-ISO timestamps are written, e.g. %d/%m/%Y (needed when the dates come in several formats).")] = None,
    item: Annotated[str, typer.Option(help="Item column.")] = "item_id",
    annotator: Annotated[str, typer.Option(help="Annotator column.")] = "annotator_id",
    label: Annotated[str, typer.Option(help="Label column.")] = "label",
    timestamp: Annotated[str, typer.Option(help="Timestamp column.")] = "timestamp",
    option: _OptionOpt = None,
    question: _QuestionOpt = None,
) -> None:
    """Detect annotator/cohort drift, rank root causes, print recommended actions: the annotator_drift report's analysis."""
    from workbench import io
    from workbench.analyses import annotator_drift

    for target in (alerts_out, causes_out):
        if target is not None:
            io.check_writable(target)
    wanted = {"item_id": item, "annotator_id": annotator, "label": label, "timestamp": timestamp}
    res = annotator_drift.run(
        annotations_path=annotations, gold_path=str(gold) if gold is not None else "", format=fmt,
        date_format=date_format, columns={k: v for k, v in wanted.items() if k != v} or None,
        window=window, baseline=baseline, levels=list(levels), alpha=alpha, min_judgments=min_judgments,
        segment_by=list(segment_by), period=period, max_depth=max_depth, min_segment_n=min_segment_n,
        top_causes=top_causes, options=_reader_options(option, question),
    )
    typer.echo(res.summary())
    if alerts_out is not None:
        io.save_table(res.drift.to_frame(), alerts_out)
    if causes_out is not None:
        io.save_table(res.causes, causes_out)


# ---- score (issue 4): text scores; `score clip` is added to score_app by the CLIP block ----
score_app = typer.Typer(help="Automated quality scores (text, CLIP), cached by content hash.", no_args_is_help=True)
app.add_typer(score_app, name="score")


@score_app.command("text")
def score_text_command(
    input: Annotated[Path, typer.Argument(help="Corpus table (doc_id, text): .jsonl, .csv or .parquet.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output table of scores and decisions.")],
    model: Annotated[str | None, typer.Option(help="Perplexity model: hub name, local folder or .gguf file; default: embedded SmolLM2-135M.")] = None,
    metrics: Annotated[list[str] | None, typer.Option("--metrics", "-m", help="stats, language, perplexity (repeat the option); default: all three.")] = None,
    rules: Annotated[Path | None, typer.Option(help="Rules YAML (workbench.scoring.save_rules); default: the built-in rules of the chosen metrics.")] = None,
    cache_dir: Annotated[str, typer.Option("--cache-dir", help="Score cache folder; empty: $WORKBENCH_CACHE_DIR, else the user cache folder (~/.cache/workbench/scores on Linux).")] = _defaults.THRESHOLD_EXPLORATION["cache_dir"],
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Compute everything, store nothing.")] = False,
    text_column: Annotated[str, typer.Option("--text-column", help="Column holding the text.")] = "text",
    language: Annotated[str, typer.Option(help="Language to keep (ISO 639-1).")] = "en",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Texts per forward pass.")] = 16,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:N.")] = "auto",
    precision: Annotated[str, typer.Option(help="fp32, bf16 or int8 (CPU).")] = "fp32",
    engine: Annotated[str, typer.Option(help="local, or spark (PySpark; no score cache).")] = "local",
    master: Annotated[str, typer.Option(help="Spark master with --engine spark, e.g. local[*], yarn, spark://host:7077.")] = "local[*]",
    fmt: _FormatOpt = "auto",
    max_chars: Annotated[int, typer.Option("--max-chars", help="Score only the first N characters of each text (0: all); long documents cost time linearly.")] = 0,
    sample: Annotated[int, typer.Option("--sample", help="Score a seeded random sample of N rows (0: all), kept in input order.")] = 0,
    seed: Annotated[int, typer.Option(help="Seed of --sample.")] = _defaults.THRESHOLD_EXPLORATION["seed"],
    dedup_threshold: Annotated[float, typer.Option("--dedup-threshold", help="MinHash Jaccard threshold of the funnel's dedup stage (the threshold_exploration report's).")] = _defaults.THRESHOLD_EXPLORATION["dedup_threshold"],
    option: _OptionOpt = None,
    question: _QuestionOpt = None,
    filters: Annotated[list[Path] | None, typer.Option("--filter", help="A learned filter folder (workbench flywheel train --out); adds the column learned:NAME that rules can use (repeatable).")] = None,
) -> None:
    """Score a corpus (heuristics, language, perplexity) and decide keep/drop/review per text.

    Prints what it shares with the threshold_exploration report, computed by the same functions:
    the cleaning funnel with its declared dedup stage, and the share kept, reviewed and dropped.

    Resumable: scores are cached per chunk, so an interrupted run continues where it stopped.
    """
    from workbench import io
    from workbench.scoring import (
        TEXT_METRICS,
        ScoreCache,
        decide,
        default_rules,
        load_rules,
        score_texts,
    )

    opts = _reader_options(option, question)
    if engine == "spark":  # issue 10: same scores and decisions, computed by Spark executors
        from workbench import spark as wspark
        from workbench.scoring import TEXT_METRICS as _ALL

        if opts:
            raise WorkbenchError("--option and --question apply to the local engine; with --engine spark pass "
                                 "a table that answers one question.")
        from workbench.scoring import load_rules as _load

        counts = wspark.score_table(
            str(input), str(out), master=master, metrics=list(metrics) if metrics else list(_ALL),
            rules=_load(rules) if rules is not None else None, text=text_column, language=language,
            model=model, batch_size=batch_size, device=device, precision=precision,  # type: ignore[arg-type]
        )
        typer.echo(f"scored on Spark ({master}) -> {out}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        return
    from workbench._validation import check_choice as _check

    _check(engine, name="engine", choices=("local", "spark"))
    io.check_writable(out)
    table = io.load_table(input, columns={"text": text_column} if text_column != "text" else None,
                          format=fmt, kind="corpus" if fmt not in ("auto", "table") else None, options=opts or None)
    table = io.one_question(table, None, source=f"'{input}'", kind="corpus")  # several questions: pick one
    if "text" not in table.columns:
        raise WorkbenchError(
            f"score text: '{input}' has no column '{text_column}'; it has {', '.join(map(str, table.columns[:20]))}. "
            "Pass --text-column NAME."
        )
    rule_list = load_rules(rules) if rules is not None else None  # a bad rules file fails before the scoring
    if max_chars < 0 or sample < 0:
        raise WorkbenchError(f"score text: --max-chars ({max_chars}) and --sample ({sample}) must be 0 or positive.")
    if sample and sample < len(table):
        table = table.sample(n=sample, random_state=seed).sort_index().reset_index(drop=True)
        typer.echo(f"scoring a random sample of {sample:,} rows (seed {seed})")
    if max_chars:
        long = table["text"].astype("string").str.len() > max_chars
        table = table.assign(text=table["text"].astype("string").str.slice(0, max_chars))
        typer.echo(f"{int(long.sum()):,} texts cut to their first {max_chars:,} characters")
    chosen = list(metrics) if metrics else list(TEXT_METRICS)
    cache = None if no_cache else ScoreCache(cache_dir or None)
    scores = score_texts(
        table["text"], metrics=chosen, model=model, language=language, cache=cache,
        batch_size=batch_size, device=device, precision=precision, progress=True,  # type: ignore[arg-type]
    )
    if filters:  # the flywheel: learned filters' probabilities, as columns rules can name
        from workbench.flywheel import add_filter_scores

        scores = add_filter_scores(scores, filters)
    if rule_list is None:
        rule_list = [r for r in default_rules(language=language) if set(r.metrics) <= set(scores.columns)]
    decisions = decide(scores, rule_list)
    keep = [c for c in ("doc_id", "source") if c in table.columns]
    result = _concat_columns(table[keep], scores, decisions)
    io.save_table(result, out)
    counts = decisions["decision"].value_counts()
    typer.echo(
        f"scored {len(result):,} texts -> {out}: "
        + ", ".join(f"{k} {int(counts.get(k, 0)):,}" for k in ("keep", "review", "drop"))
    )
    from workbench.analyses import threshold_exploration as _te  # the report's funnel and wording

    typer.echo(_te.decision_line(decisions, "the rules"))
    if "doc_id" in table.columns:
        scored = _te.add_duplicate_flags(_concat_columns(table[["doc_id", "text"]], scores),
                                         threshold=dedup_threshold)
        typer.echo(_te.cleaning_funnel_of(scored, rule_list, sample=0, seed=seed).summary())
    if cache is not None:
        typer.echo(cache.info().summary())


def _concat_columns(*frames: pd.DataFrame) -> pd.DataFrame:
    """Side-by-side concatenation of frames sharing a row order (score command helper)."""
    import pandas as pd

    return pd.concat([f.reset_index(drop=True) for f in frames], axis=1)


# ---- score clip + train-demo-clip (issue 4, CLIP) ----
@score_app.command("clip")
def score_clip_command(
    input: Annotated[Path, typer.Argument(help="image_captions table (pair_id, image, caption); image paths relative to it.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output table: the input plus clip_score and error.")],
    model: Annotated[str | None, typer.Option(help="Local CLIP folder, open_clip architecture (ViT-B-32), hf-hub:org/repo or transformers hub name; default: the demo CLIP.")] = None,
    backend: Annotated[str, typer.Option(help="open_clip or transformers (for a model given by name).")] = "open_clip",
    pretrained: Annotated[str | None, typer.Option(help="open_clip weights tag (default openai) or weights file.")] = None,
    scale: Annotated[float | None, typer.Option(help="Report CLIPScore = SCALE * max(cos, 0) (Hessel et al. use 2.5); default raw cosine.")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Pairs per forward pass (default 64 CPU / 256 GPU).")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:N.")] = "auto",
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="Score cache folder; default $WORKBENCH_CACHE_DIR, else the user cache folder (~/.cache/workbench/scores on Linux).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Compute everything, store nothing.")] = False,
    fmt: _FormatOpt = "auto",
    allow_outside: Annotated[bool, typer.Option("--allow-outside", help="Allow image paths outside the table's folder (absolute paths, '..').")] = False,
) -> None:
    """CLIP score of every image-caption pair; unreadable images get an empty score and a reason.

    Resumable: scores are cached per chunk by content hash and model.
    """
    from workbench import io
    from workbench.scoring import ScoreCache
    from workbench.scoring.clip import clip_score_table

    io.check_writable(out)
    table = io.load_table(input, kind="image_captions", format=fmt)
    cache = None if no_cache else ScoreCache(cache_dir)
    result = clip_score_table(
        table, base_dir=Path(input).parent, allow_outside=allow_outside, model=model, backend=backend, pretrained=pretrained,  # type: ignore[arg-type]
        scale=scale, batch_size=batch_size, device=device, cache=cache, progress=True,
    )
    io.save_table(result, out)
    ok = result["clip_score"].notna()
    typer.echo(
        f"scored {int(ok.sum()):,} of {len(result):,} pairs -> {out}; median score "
        f"{result.loc[ok, 'clip_score'].median():.3f}; {int((~ok).sum()):,} unscorable (see column error)"
    )
    if cache is not None:
        typer.echo(cache.info().summary())


@app.command("train-demo-clip")
def train_demo_clip_command(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the checkpoint, tokenizer and model card to.")],
    steps: Annotated[int, typer.Option(help="Optimizer steps (the learning-rate schedule spans them).")] = 3000,
    minutes: Annotated[float, typer.Option(help="Wall-clock budget; 0 = none (bit-for-bit reproducible).")] = 15.0,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Generated pairs per step.")] = 64,
    rng: Annotated[int, typer.Option(help="Seed of the data stream and initialisation.")] = 0,
    lr: Annotated[float, typer.Option(help="Peak learning rate (AdamW).")] = 1e-3,
    threads: Annotated[int, typer.Option(help="torch threads (0 = torch's default).")] = 1,
    hard_weight: Annotated[float, typer.Option("--hard-weight", help="Weight of the hard-negative ranking term.")] = 0.5,
    attribute_weight: Annotated[
        float, typer.Option("--attribute-weight", help="Weight of the 48-way colour × shape caption term.")
    ] = 1.0,
    probe_weight: Annotated[
        float, typer.Option("--probe-weight", help="Weight of the shape probe on the image features.")
    ] = 1.0,
    max_grad_norm: Annotated[
        float, typer.Option("--max-grad-norm", help="Clip the gradient norm to this; 0 = no clipping.")
    ] = 0.0,
) -> None:
    """Train the small demo CLIP on generated shape captions and report its held-out ROC AUC."""
    from workbench.samples.demo_clip import train_demo_clip

    result = train_demo_clip(
        out_dir, steps=steps, minutes=minutes or None, batch_size=batch_size, rng=rng, lr=lr,
        threads=threads or None, hard_weight=hard_weight, attribute_weight=attribute_weight,
        probe_weight=probe_weight, max_grad_norm=max_grad_norm or None, progress=True,
    )
    typer.echo(result.summary())


# ---- review (issue 9) ----
review_app = typer.Typer(help="Spot-check review stores: export decisions, print KPIs.", no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command("export")
def review_export_command(
    store: Annotated[Path, typer.Argument(help="The review store (SQLite file).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output table: .csv, .jsonl or .parquet (optionally .gz).")],
    events: Annotated[bool, typer.Option("--events", help="Every event (decisions, skips, undos) instead of the latest decisions.")] = False,
) -> None:
    """Write the latest decision per item and reviewer (or every event) to a table."""
    from workbench.review.store import ReviewStore

    if not store.is_file():
        raise WorkbenchError(f"review export: no review store at '{store}'; pass the .sqlite file the widget writes to.")
    from workbench.io import check_writable

    check_writable(out)
    with ReviewStore(store, read_only=True) as s:
        path = s.export(out, what="events" if events else "decisions")
        n = len(s.events() if events else s.decisions())
    typer.echo(f"wrote {n:,} {'events' if events else 'decisions'} to {path}")


@review_app.command("kpis")
def review_kpis_command(
    store: Annotated[Path, typer.Argument(help="The review store (SQLite file).")],
    gold: Annotated[Path | None, typer.Option(help="Gold table (item_id, label) in the decision vocabulary.")] = None,
    cost_per_hour: Annotated[float, typer.Option(help="Cost of one hour of reviewing.")] = _defaults.QUALITY_DASHBOARD["cost_per_hour"],
    idle: Annotated[str, typer.Option(help="Gaps longer than this are breaks, e.g. 10min.")] = _defaults.QUALITY_DASHBOARD["idle"],
    fmt: _FormatOpt = "auto",
) -> None:
    """Reviewer agreement, accuracy on hidden gold, throughput and cost: the quality_dashboard report's analysis."""
    from workbench import io
    from workbench.analyses import quality_dashboard

    if not store.is_file():
        raise WorkbenchError(f"review kpis: no review store at '{store}'; pass the .sqlite file the widget writes to.")
    if gold is not None:
        io.load_table(gold, kind="gold", format=fmt)  # a bad gold table stops here (the page only notes it)
    res = quality_dashboard.run(store, gold_path=gold or "", cost_per_hour=cost_per_hour, idle=idle)
    if res.snapshot.state == "error":
        raise WorkbenchError(f"review kpis: {res.snapshot.message}")
    typer.echo(res.summary())


# ---- bias (issue 7): a view of workbench.analyses.length_bias (issue 26) ----
_LB = _defaults.LENGTH_BIAS


@app.command("bias")
def bias_command(
    input: Annotated[Path, typer.Argument(help="Preferences table (or chosen/rejected pairs with --chosen-rejected).")],
    length: Annotated[str, typer.Option(help="words, chars, tokens or columns (len_a/len_b).")] = _LB["length"],
    by: Annotated[str, typer.Option(help="Column for per-group results ('' for none; a column the table lacks gives none).")] = _LB["by"],
    chosen_rejected: Annotated[
        bool, typer.Option("--chosen-rejected", help="Input has one row per pair with chosen/rejected texts.")
    ] = _LB["chosen_rejected"],
    seed: Annotated[int, typer.Option(help="Seed of the a/b order of converted pairs and of the length-matched subsample.")] = _LB["seed"],
    rebalanced_out: Annotated[
        Path | None, typer.Option("--rebalanced-out", help="Write the length-matched subsample here.")
    ] = None,
    fmt: _FormatOpt = _LB["format"],
    candidate: Annotated[str, typer.Option(help="The evaluated system: its position (a or b) or its name in model_a/model_b.")] = _LB["candidate"],
    baseline: Annotated[str, typer.Option(help="Name of the baseline system; set (or model_a/model_b columns present): positions hold systems, no position-bias test.")] = _LB["baseline"],
    win_probability: Annotated[str, typer.Option("--win-probability", help="Column with P(response b preferred); 'auto' uses win_probability if present; '' the choice.")] = _LB["win_probability"],
    min_delta: Annotated[float, typer.Option(help="Leave out pairs whose length difference is below this.")] = _LB["min_delta"],
    confidence: Annotated[float, typer.Option(help="Level of every confidence interval.")] = _LB["confidence"],
    delta_bins: Annotated[int, typer.Option(help="Quantile bins of |length difference| of the win-rate table.")] = _LB["delta_bins"],
    rebalance_bins: Annotated[int, typer.Option(help="Bins of |length difference| matched by the mitigation.")] = _LB["rebalance_bins"],
    option: _OptionOpt = None,
    question: _QuestionOpt = None,
) -> None:
    """Length and position bias (or per-system win rates) of a preferences table: the length_bias report's analysis."""
    from workbench import io
    from workbench.analyses import length_bias

    if rebalanced_out is not None:
        io.check_writable(rebalanced_out)
    res = length_bias.run(
        preferences_path=input, format=fmt, chosen_rejected=chosen_rejected, length=cast("length_bias.Length", length),
        by=by, delta_bins=delta_bins, min_delta=min_delta, confidence=confidence, candidate=candidate,
        baseline=baseline, win_probability=win_probability, rebalance_bins=rebalance_bins, seed=seed,
        options=_reader_options(option, question),
    )
    typer.echo(res.summary())
    if rebalanced_out is not None:
        io.save_table(res.rebalanced, rebalanced_out)
        typer.echo(f"rebalanced subsample ({len(res.rebalanced):,} of {len(res.preferences):,} rows) -> {rebalanced_out}")


# ---- dedup (issue 5): the local engine is a view of workbench.analyses.dedup_audit (issue 26) ----
_DA = _defaults.DEDUP_AUDIT


@app.command("dedup")
def dedup_command(
    ctx: typer.Context,
    input: Annotated[Path, typer.Argument(help="Corpus table (.csv, .jsonl, .parquet, optionally .gz) with doc_id and text.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output table; every input row plus cluster_id, is_representative, similarity, representative_id, cluster_size.")],
    method: Annotated[str, typer.Option(help="exact, minhash, simhash or semantic.")] = _DA["method"],
    threshold: Annotated[float, typer.Option(help="Similarity at or above which documents are duplicates.")] = _DA["threshold"],
    ngram: Annotated[int, typer.Option(help="Shingle length in units.")] = _DA["ngram"],
    unit: Annotated[str, typer.Option(help="Shingle unit: word or char.")] = _DA["unit"],
    num_perm: Annotated[int, typer.Option(help="MinHash permutations.")] = _DA["num_perm"],
    keep: Annotated[str, typer.Option(help="Representative of a cluster: first or longest.")] = _DA["keep"],
    max_hamming: Annotated[int, typer.Option(help="SimHash: largest Hamming distance of duplicates.")] = 3,
    doc_id: Annotated[str, typer.Option(help="Column with document ids.")] = "doc_id",
    text: Annotated[str, typer.Option(help="Column with the text.")] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    engine: Annotated[str, typer.Option(help="local, or spark (PySpark; methods exact and minhash; with --by image: image-exact, phash, dhash).")] = "local",
    master: Annotated[str, typer.Option(help="Spark master with --engine spark, e.g. local[*], yarn, spark://host:7077.")] = "local[*]",
    fmt: _FormatOpt = "auto",
    group_by: Annotated[str, typer.Option("--group-by", help="Column for duplicate rates per group ('' to skip; local engine).")] = _DA["group_by"],
    compare: Annotated[list[str], typer.Option("--compare", help="Methods compared on the same corpus against exact Jaccard (repeatable; local engine).")] = _DA["compare"],
    min_recall: Annotated[float, typer.Option("--min-recall", help="Recall against exact Jaccard MinHash must reach (local engine).")] = _DA["min_recall"],
    option: _OptionOpt = None,
    question: _QuestionOpt = None,
    by: Annotated[str, typer.Option("--by", help="An image_captions table: dedup by image (same picture whatever the caption; --method image-exact, phash, dhash, phash-crop or clip, --threshold in the method's unit, default its own), caption (--method/--threshold of the text methods), or pair (same picture and near-same caption; --method/--threshold of the image side). '' : a corpus table.")] = "",
    allow_outside: Annotated[bool, typer.Option("--allow-outside", help="With --by: accept image paths outside the table's folder.")] = False,
) -> None:
    """Find duplicate documents; write every input row with its cluster columns.

    The local engine computes the dedup_audit report's analysis and prints its summary
    (verdict, clusters, precision and recall against exact Jaccard, the methods compared).
    With --by image|caption|pair the input is an image_captions table and the output its
    audit frame (pair_id, image, caption, cluster, kept and the distances behind them).
    """
    import pandas as pd

    from workbench import io

    if by:
        from workbench.dedup.images import dedup_image_captions

        def given(name: str) -> bool:  # typed (or set in the environment), not the corpus default
            return getattr(ctx.get_parameter_source(name), "name", "DEFAULT") not in ("DEFAULT", "DEFAULT_MAP")

        if engine == "spark":  # issue 31: hashes per partition, the same banding and clusters
            from workbench import spark as wspark

            if by != "image":
                raise WorkbenchError(f"--by {by} runs on the local engine only; on Spark use --by image "
                                     "(methods image-exact, phash, dhash) or leave out --engine spark.")
            io.check_writable(out)
            found = wspark.dedup_images_table(
                str(input), str(out), master=master, method=method if given("method") else "phash",  # type: ignore[arg-type]
                threshold=threshold if given("threshold") else None, allow_outside=allow_outside,
            )
            typer.echo(found.summary())
            typer.echo(f"wrote {found.n_images:,} rows to {out}")
            return
        table = io.load_table(input, kind="image_captions", format=fmt)
        io.check_writable(out)
        # the corpus defaults (minhash, 0.8) are not the image methods' defaults: an option given
        # explicitly always wins, one left out means the method's own default (issue 31)
        caption_side = by == "caption"
        audit = dedup_image_captions(
            table, by=by, method=method if given("method") else None,  # type: ignore[arg-type]
            threshold=threshold if given("threshold") and not caption_side else None,
            caption_threshold=threshold if given("threshold") and caption_side else _DA["threshold"],
            base_dir=input.parent, allow_outside=allow_outside, progress=not quiet,
        )
        io.save_table(audit, out)
        dropped = int((~audit["kept"]).sum())
        typer.echo(f"by {by}: {dropped:,} of {len(audit):,} pairs ({dropped / max(len(audit), 1):.1%}) duplicate a kept "
                   f"one, in {int(audit.loc[~audit['kept'], 'cluster'].nunique()):,} clusters")
        typer.echo(f"wrote {len(audit):,} rows to {out}")
        return
    opts = _reader_options(option, question)
    if engine == "spark":  # issue 10: same clusters, computed by Spark executors
        from workbench import spark as wspark

        if opts:
            raise WorkbenchError("--option and --question apply to the local engine; with --engine spark pass "
                                 "a table that answers one question.")

        res = wspark.dedup_table(
            str(input), str(out), master=master, method=method, threshold=threshold, ngram=ngram,  # type: ignore[arg-type]
            unit=unit, num_perm=num_perm, keep=keep, doc_id=doc_id, text=text,  # type: ignore[arg-type]
        )
        typer.echo(res.summary())
        typer.echo(f"wrote {res.n_docs:,} rows to {out}")
        return
    from workbench._validation import check_choice as _check
    from workbench.analyses import dedup_audit

    _check(engine, name="engine", choices=("local", "spark"))
    io.check_writable(out)
    report = dedup_audit.run(
        corpus_path=input, format=fmt, method=method, threshold=threshold, ngram=ngram, unit=unit,
        num_perm=num_perm, keep=keep, max_hamming=max_hamming, doc_id=doc_id, text=text, progress=not quiet,
        group_by=group_by, compare=list(compare), min_recall=min_recall, options=opts,
    )
    corpus = report.corpus
    added = report.result.clusters.drop(columns=["doc_id"])
    output = corpus.drop(columns=[c for c in added.columns if c in corpus.columns]).reset_index(drop=True)
    output = pd.concat([output, added.reset_index(drop=True)], axis=1).rename(columns={"doc_id": doc_id, "text": text})
    io.save_table(output, out)
    typer.echo(report.summary())
    typer.echo(f"wrote {len(output):,} rows to {out}")


# ---- samples (issue 2) ----
# ---- convert (issue 15) ----
@app.command("convert", epilog="Example: workbench convert db-out.jsonl --from prodigy --kind annotations --out ann.parquet")
def convert_command(
    input: Annotated[Path, typer.Argument(help="An annotation tool's export (or a table).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output table: .parquet, .csv or .jsonl (optionally .gz).")],
    from_: Annotated[Format, typer.Option("--from", help="auto, table, label-studio, prodigy, argilla, mturk, labelbox, arena, alpaca-eval or chosen-rejected.")] = "auto",
    kind: Annotated[str | None, typer.Option(help="Table to write: annotations, gold, preferences, corpus or items; default: the file's judgments.")] = None,
    option: _OptionOpt = None,
    question: _QuestionOpt = None,
) -> None:
    """Convert a tool's export into a workbench table; print the import report.

    A multi-question export written as one table keeps its 'question' column; the commands that
    read it take --question NAME (or --option question=NAME) to pick one.
    """
    from workbench import io

    io.check_writable(out)
    opts = _reader_options(option, question)
    result = io.import_annotations(input, format=from_, options=opts or None)
    wanted = kind or next((k for k in ("annotations", "preferences", "gold") if getattr(result, k) is not None
                           and len(getattr(result, k))), "items")
    tables = {**result.tables, **({"corpus": result.items.rename(columns={"item_id": "doc_id"})}
                                  if result.items is not None and "text" in result.items.columns else {})}
    if wanted not in tables:
        held = ", ".join(f"{k} ({len(v):,} rows)" for k, v in result.tables.items()) or "nothing"
        raise WorkbenchError(f"'{input}' holds no {wanted} table; it holds {held}. Pick one with --kind.")
    table = tables[wanted]
    if wanted in ("annotations", "gold", "preferences", "corpus") and "question" not in table.columns:
        from workbench._validation import validate_table

        validate_table(table, wanted, source=str(input))
    io.save_table(table, out)
    typer.echo(result.report.summary())
    typer.echo(result.report.to_frame().to_string(index=False, float_format=lambda x: f"{x:.1%}"))
    typer.echo(f"{wanted}: {len(table):,} rows -> {out}")


@app.command("samples")
def _samples(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the samples into.")] = Path(
        "data_samples"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Seed of every generator.")] = 0,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Write only this sample (repeatable): preferences_5x200, "
                     "vendors, reviews_10x5000, relevance_5pt, corpus, image_captions."),
    ] = None,
) -> None:
    """Write the synthetic sample data with planted truth (tables + truth/*.json)."""
    from workbench.samples import write_all

    paths = write_all(out, seed=seed, names=only or None)
    n_png = sum(p.suffix in (".png", ".jpg") for p in paths)
    for p in paths:
        if p.suffix not in (".png", ".jpg"):
            typer.echo(str(p))
    if n_png:
        typer.echo(f"{n_png} images in {out / 'image_captions' / 'images'}")
    typer.echo(f"wrote {len(paths)} files to {out}")


# ---- dashboard (issue 17) ----
@app.command("dashboard")
def dashboard_command(
    store: Annotated[Path, typer.Argument(help="The review store (.sqlite) the widget writes to.")],
    reports: Annotated[Path | None, typer.Option("--reports", help="Reports folder whose run headlines to show.")] = None,
    gold: Annotated[Path | None, typer.Option("--gold", help="Gold table (item_id, label) for hidden-gold accuracy.")] = None,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 picks a free one).")] = 8866,
    refresh: Annotated[float, typer.Option("--refresh", help="Seconds between refreshes of the page.")] = 10.0,
    create: Annotated[bool, typer.Option("--create", help="Create an empty review store at STORE if there is none.")] = False,
) -> None:
    """Serve the live quality dashboard (Voilà) on 127.0.0.1 until Ctrl-C.

    The page reads the store read-only with a fresh connection on every refresh, so reviewers
    keep writing while it reads. A path with no store is refused (a typo would otherwise show
    an empty page); --create makes an empty store there for reviewers to fill.
    """
    from workbench.dashboard import serve

    if not store.exists():
        if not create:
            raise WorkbenchError(
                f"dashboard: no review store at '{store}'. Check the path (the review widget writes the "
                "store you named in store_path), or pass --create to start an empty one there.")
        from workbench.review.store import ReviewStore

        ReviewStore(store).close()
        typer.echo(f"created an empty review store at {store}")
    elif not store.is_file():
        raise WorkbenchError(f"dashboard: '{store}' is not a file; pass the .sqlite file the review widget writes to.")

    def ready(url: str) -> None:
        typer.echo(f"dashboard of {store} at {url} (Ctrl-C stops it)")

    serve(store, reports=reports, gold=gold, port=port, refresh_s=refresh, on_ready=ready)
    typer.echo("dashboard stopped")


# ---- pipeline (issue 16): DVC stages, the Airflow DAG, and the flow's own steps ----
pipeline_app = typer.Typer(help="Write DVC stages or an Airflow DAG that run workbench; the flow's steps.",
                           no_args_is_help=True)
app.add_typer(pipeline_app, name="pipeline")
step_app = typer.Typer(help="Steps of the ingest -> score -> flag -> review flow (called by the DAG).",
                       no_args_is_help=True)
pipeline_app.add_typer(step_app, name="step")


def _report_choices(args: list[str]) -> list[tuple[str, dict[str, str]]]:
    """Parse ``--report NAME -p KEY VALUE ... --report NAME2 ...`` from the words typer left over."""
    chosen: list[tuple[str, dict[str, str]]] = []
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if flag != "--report" or not rest:
            raise WorkbenchError(
                f"cannot read {' '.join([flag, *rest[:2]])!r}: choose reports with --report NAME, each "
                "followed by its -p KEY VALUE pairs, e.g. --report data_overview -p table data/a.csv"
            )
        name = _word(rest.pop(0))
        words: list[str] = []
        while rest and rest[0] != "--report":
            words.append(rest.pop(0))
        chosen.append((name, _pairs(words)))
    return chosen


@pipeline_app.command(
    "dvc", context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="Example: workbench pipeline dvc --out . --report data_overview -p table data/a.csv "
    "--report vendor_comparison -p vendor_a data/a.csv -p vendor_b data/b.csv",
)
def pipeline_dvc_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder of dvc.yaml and params.yaml (in a DVC repository).")],
    runs_dir: Annotated[str, typer.Option("--runs-dir", help="Folder under --out of the fixed run folders.")] = "runs",
    retrain: Annotated[Path | None, typer.Option("--retrain", help="Add the flywheel's stages: this review store's decisions -> a learned filter (retrain) -> the corpus scored again with it (rescore); needs --items and --corpus.")] = None,
    items: Annotated[Path | None, typer.Option("--items", help="With --retrain: the scores the filter learns from (output of workbench score text).")] = None,
    corpus: Annotated[Path | None, typer.Option("--corpus", help="With --retrain: the corpus to score again (doc_id, text).")] = None,
    metrics: Annotated[list[str] | None, typer.Option("--metrics", "-m", help="With --retrain: the text scores that made --items (repeat; default stats and language).")] = None,
    item_column: Annotated[str, typer.Option("--item-column", help="With --retrain: id column of --items.")] = "doc_id",
    work: Annotated[Path | None, typer.Option("--work", help="With --retrain: folder of filters/quality and rescored.parquet (default --out).")] = None,
) -> None:
    """Write dvc.yaml + params.yaml: one stage per --report NAME [-p KEY VALUE ...] (repeatable), and with
    --retrain STORE the flywheel's retrain and rescore stages."""
    from workbench import pipelines

    stages: list[pipelines.Stage] = []
    if retrain is not None:
        if items is None or corpus is None:
            raise WorkbenchError("workbench pipeline dvc --retrain STORE needs --items SCORES (the output of "
                                 "workbench score text) and --corpus CORPUS (the table to score again).")
        stages = pipelines.retrain_stages(retrain.resolve(), items.resolve(), corpus.resolve(), (work or out).resolve(),
                                          item=item_column, metrics=metrics or ("stats", "language"))
    elif items is not None or corpus is not None:
        raise WorkbenchError("--items and --corpus belong to --retrain STORE; add it, or leave them out.")
    dvc_yaml, params_yaml = pipelines.write_dvc(_report_choices(ctx.args), out, runs_dir=runs_dir, stages=stages)
    typer.echo(f"wrote {dvc_yaml} and {params_yaml}; run them with `dvc repro`")


@pipeline_app.command(
    "airflow", context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="Example: workbench pipeline airflow --out dags --corpus data/corpus.jsonl --work data/flow",
)
def pipeline_airflow_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Folder the DAG file is written to (Airflow's dags folder).")],
    corpus: Annotated[Path, typer.Option("--corpus", help="Corpus table (doc_id, text).")] = Path("data_samples/corpus.jsonl"),
    work: Annotated[Path, typer.Option("--work", help="Folder of the flow's tables, review queue, store and reports.")] = Path("flow"),
    metrics: Annotated[list[str] | None, typer.Option("--metrics", "-m", help="Text scores (repeat): stats, language, perplexity; default stats and language.")] = None,
    dedup_method: Annotated[str, typer.Option("--dedup-method", help="exact, minhash, simhash or semantic.")] = "minhash",
    dag_id: Annotated[str, typer.Option("--dag-id", help="The DAG's id (and file name).")] = "workbench_data_quality",
    python: Annotated[str | None, typer.Option("--python", help="Python with workbench installed that the tasks run (default: this one).")] = None,
    retrain: Annotated[bool, typer.Option("--retrain", help="Add the flywheel's tasks: the store's decisions -> a learned filter -> the corpus scored again (run once reviewers have decided).")] = False,
) -> None:
    """Write an Airflow DAG: ingest -> score (text, dedup) -> flag -> review queue -> reports.

    Reports at the end: --report NAME [-p KEY VALUE ...] (repeatable); default data_overview
    of the ingested corpus.
    """
    from workbench import pipelines

    stages = pipelines.seed_flow(corpus.resolve(), work.resolve(), metrics=metrics or ("stats", "language"),
                                 dedup_method=dedup_method, reports=_report_choices(ctx.args), retrain=retrain)
    path = pipelines.write_airflow_dag(stages, out, dag_id=dag_id, python=python)
    typer.echo(f"wrote {path} ({len(stages)} tasks: {', '.join(s.name for s in stages)})")


@step_app.command("ingest")
def step_ingest_command(
    input: Annotated[Path, typer.Argument(help="The table to load and validate.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the validated table goes (.parquet, .csv, .jsonl).")],
    kind: Annotated[str | None, typer.Option(help="annotations, gold, preferences, corpus or image_captions.")] = None,
) -> None:
    """Load and validate a table; write it for the next steps."""
    from workbench import pipelines

    table = pipelines.ingest(input, out, kind=kind)
    typer.echo(f"ingested {len(table):,} rows from {input} -> {out}")


@step_app.command("flag")
def step_flag_command(
    scores: Annotated[Path, typer.Option("--scores", help="Output of `workbench score text`.")],
    dedup: Annotated[Path, typer.Option("--dedup", help="Output of `workbench dedup`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The composite decisions (doc_id, decision, reasons).")],
) -> None:
    """Composite decision per document: score decisions and duplicates together."""
    from workbench import io, pipelines

    flags = pipelines.flag_items(io.load_table(scores), io.load_table(dedup))
    io.save_table(flags, out)
    counts = flags["decision"].value_counts()
    typer.echo(f"flagged {len(flags):,} documents -> {out}: "
               + ", ".join(f"{k} {int(counts.get(k, 0)):,}" for k in ("keep", "review", "drop")))


@step_app.command("review-queue")
def step_review_queue_command(
    flags: Annotated[Path, typer.Argument(help="Output of `workbench pipeline step flag`.")],
    corpus: Annotated[Path, typer.Option("--corpus", help="The ingested corpus (texts of the items).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The review-queue table (items needing a person).")],
    store: Annotated[Path | None, typer.Option("--store", help="Review store (SQLite) to create for the reviewers.")] = None,
    label_studio: Annotated[Path | None, typer.Option("--label-studio", help="Also write Label Studio tasks (.json).")] = None,
    prodigy: Annotated[Path | None, typer.Option("--prodigy", help="Also write a Prodigy task stream (.jsonl).")] = None,
) -> None:
    """Write the documents that need a person to a review-queue table (and create the store)."""
    from workbench import io, pipelines

    items = pipelines.write_review_queue(io.load_table(flags), io.load_table(corpus), out, store=store,
                                         label_studio=label_studio, prodigy=prodigy)
    typer.echo(f"{len(items):,} items need review -> {out}" + (f"; review store {store}" if store else ""))


# ---- acceptance (issue 32): views of workbench.analyses.acceptance_plan ----
_AP = _defaults.ACCEPTANCE_PLAN
acceptance_app = typer.Typer(help="Acceptance sampling: how many items of a lot to review, and the lot's verdict.",
                             no_args_is_help=True)
app.add_typer(acceptance_app, name="acceptance")


@acceptance_app.command(
    "plan",
    epilog="Examples: workbench acceptance plan --lot 1000000 --target 0.999 --confidence 0.95 | "
    "workbench acceptance plan --lot 20000 --aql 1 --ltpd 5 --out plan.json | "
    "workbench acceptance plan --lot 20000 --iso --aql 1.0 --level II --inspection normal | "
    "workbench acceptance plan --lot 20000 --sequential --aql 1 --ltpd 5",
)
def acceptance_plan_command(
    ctx: typer.Context,
    lot_size: Annotated[int, typer.Option("--lot", help="Items in the lot; 0 for an unbounded lot (a stream).")] = _AP["lot_size"],
    target: Annotated[float, typer.Option(help="Accuracy a zero-failure plan shows, e.g. 0.999.")] = _AP["target"],
    confidence: Annotated[float, typer.Option(help="Confidence of the zero-failure plan.")] = _AP["confidence"],
    aql: Annotated[float, typer.Option(help="Acceptable quality level, in percent of items wrong (1.0 = 1%).")] = _AP["aql"],
    ltpd: Annotated[float, typer.Option(help="Lot tolerance percent defective, in percent of items wrong; "
                                        "giving it makes a two-point plan.")] = _AP["ltpd"],
    producer_risk: Annotated[float, typer.Option(help="Largest chance of rejecting a lot at the AQL.")] = _AP["producer_risk"],
    consumer_risk: Annotated[float, typer.Option(help="Largest chance of accepting a lot at the LTPD.")] = _AP["consumer_risk"],
    kind: Annotated[str, typer.Option(help="hypergeometric (this finite lot) or binomial (a stream of lots).")] = _AP["kind"],
    iso: Annotated[bool, typer.Option("--iso", help="The ISO 2859-1 / ANSI Z1.4 plan (with --aql, --level, --inspection).")] = False,
    sequential: Annotated[bool, typer.Option("--sequential", help="Wald's sequential test of --aql against --ltpd.")] = False,
    level: Annotated[str, typer.Option(help="ISO 2859-1 inspection level: I, II, III, S-1 ... S-4.")] = _AP["level"],
    inspection: Annotated[str, typer.Option(help="ISO 2859-1 / MIL-STD-105E inspection: normal, tightened or reduced "
                                            "(Table II-C).")] = _AP["inspection"],
    method: Annotated[str, typer.Option(help="zero-failure, two-point, iso2859 or sequential; unless given, told "
                                        "from the options given (--iso, --sequential, --ltpd).")] = _AP["method"],
    out: Annotated[Path | None, typer.Option("--out", help="Write the plan as JSON (for `workbench acceptance check --plan`).")] = None,
) -> None:
    """Print the sampling plan: how many items to review and how many errors the lot may hold: the acceptance_plan report's analysis."""
    from workbench.analyses import acceptance_plan

    def given(name: str) -> bool:  # typed on the command line (not the default)
        return getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"

    if iso and sequential:
        raise WorkbenchError("acceptance plan: choose --iso or --sequential, not both.")
    chosen = method if given("method") else (
        "iso2859" if iso else "sequential" if sequential else "two-point" if given("ltpd") else None)
    if chosen is None:
        if given("aql"):
            raise WorkbenchError("acceptance plan: --aql needs --ltpd (a two-point plan), --iso (the ISO 2859-1 tables) "
                                 "or --sequential; for a zero-failure plan give --target and --confidence.")
        chosen = method
    if out is not None:
        from workbench.io import check_writable

        check_writable(out, table=False)
    res = acceptance_plan.run(method=chosen, lot_size=lot_size, target=target, confidence=confidence, aql=aql, ltpd=ltpd,
                              producer_risk=producer_risk, consumer_risk=consumer_risk, kind=kind, level=level,
                              inspection=inspection)
    typer.echo(res.summary())
    if out is not None:
        from workbench._internal.files import atomic_path

        with atomic_path(out) as tmp:
            Path(tmp).write_text(acceptance_plan.plan_json(res.plan), encoding="utf-8")
        typer.echo(f"plan -> {out}")


@acceptance_app.command(
    "check",
    epilog="Example: workbench acceptance check reviewed.csv --plan plan.json --item doc_id --correct decision "
    "--correct-value Acceptable",
)
def acceptance_check_command(
    reviewed: Annotated[Path, typer.Argument(help="The reviewed sample: one row per reviewed item, in review order.")],
    plan: Annotated[Path, typer.Option("--plan", help="The plan JSON written by `workbench acceptance plan --out`.")],
    item_column: Annotated[str, typer.Option("--item", help="Id column of the reviewed table.")] = _AP["item_column"],
    correct_column: Annotated[str, typer.Option("--correct", help="Outcome column: true/false, 1/0, yes/no, correct/incorrect "
                                                "(or see --correct-value).")] = _AP["correct_column"],
    correct_values: Annotated[list[str], typer.Option("--correct-value", help="A value of --correct that counts as a correct "
                                                      "item (repeatable); every other value is an error.")] = _AP["correct_values"],
    fmt: _FormatOpt = _AP["format"],
    option: _OptionOpt = None,
) -> None:
    """Judge the lot from its reviewed sample under the plan; print the verdict and the lot's accuracy bound."""
    from workbench.analyses import acceptance_plan

    res = acceptance_plan.run(reviewed, plan, item_column=item_column, correct_column=correct_column,
                              correct_values=list(correct_values), format=fmt, options=_reader_options(option))
    typer.echo(res.summary())


flywheel_app = typer.Typer(help="The data flywheel: reviewers' decisions train a filter over the scores.",
                           no_args_is_help=True)
app.add_typer(flywheel_app, name="flywheel")


def _given(**values: object) -> dict[str, object]:
    """The options typed on the command line (``None`` = not given: the function's default)."""
    return {k: v for k, v in values.items() if v is not None}


_FL = _defaults.FILTER_LEARNING


@flywheel_app.command(
    "train",
    epilog="Example: workbench flywheel train reviews.sqlite --items scored.csv --out filters/quality",
)
def flywheel_train_command(
    store: Annotated[Path, typer.Argument(help="The decisions that teach the filter: a review store (.sqlite) or a "
                                          "table with an id and a decision column.")],
    items: Annotated[Path, typer.Option("--items", help="The scored items (an id column and score columns).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for filter.json and label_issues.csv.")],
    columns: Annotated[list[str], typer.Option("--columns", help="A score column to learn from (repeatable, or "
                                               "comma-separated; default: every numeric column).")] = _FL["columns"],
    target: Annotated[str, typer.Option(help="A decision to learn against all others (default: flagged vs kept).")]
    = _FL["target"],
    keep: Annotated[list[str], typer.Option("--keep", help="A decision meaning 'fine' (repeatable).")] = _FL["keep"],
    folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = _FL["folds"],
    confidence: Annotated[float, typer.Option(help="Confidence of the intervals.")] = _FL["confidence"],
    label_issue_confidence: Annotated[float, typer.Option(help="A label issue: the filter gives the other side at "
                                                          "least this probability.")] = _FL["label_issue_confidence"],
    features: Annotated[str, typer.Option(help="scores, embeddings (sentence embeddings of the text column) or "
                                          "both.")] = _FL["features"],
    text_column: Annotated[str, typer.Option("--text-column", help="The items' text column (embedding features).")]
    = _FL["text_column"],
    image_column: Annotated[str, typer.Option("--image-column", help="Image items: the column of image paths "
                                              "(relative to --items' folder); CLIP embeddings instead of text "
                                              "ones.")] = _FL["image_column"],
    allow_outside: Annotated[bool, typer.Option("--allow-outside", help="Allow image paths outside --items' "
                                                "folder.")] = _FL["allow_outside"],
    embedding_model: Annotated[str, typer.Option("--embedding-model", help="A sentence-transformers folder (default: "
                                                 "the embedded all-MiniLM-L6-v2), or a CLIP for image "
                                                 "items (default: the demo CLIP).")] = _FL["embedding_model"],
    cache_dir: Annotated[str, typer.Option("--cache-dir", help="Score cache of the embeddings; empty: "
                                           "$WORKBENCH_CACHE_DIR, else the user cache folder.")] = _FL["cache_dir"],
    curve_seeds: Annotated[int, typer.Option(help="Seeds of the replayed labeling budget, random vs active "
                                             "(0 skips it: faster on large tables).")] = _FL["curve_seeds"],
    seed: Annotated[int, typer.Option(help="Seed of the folds and of the first replay.")] = _FL["seed"],
    item_column: Annotated[str, typer.Option("--item", help="Id column of the items table.")] = _FL["item_column"],
    decisions_item_column: Annotated[str, typer.Option("--decisions-item", help="Id column of a decisions table.")]
    = _FL["decisions_item_column"],
    decision_column: Annotated[str, typer.Option("--decision", help="Decision column of a decisions table.")]
    = _FL["decision_column"],
) -> None:
    """Train a filter on the scores from the reviewers' decisions: the filter_learning report's analysis; write the
    filter and its label issues."""
    from workbench import io
    from workbench.analyses import filter_learning

    chosen = [c.strip() for word in columns for c in word.split(",") if c.strip()]
    res = filter_learning.run(items, store, item_column=item_column, decisions_item_column=decisions_item_column,
                              decision_column=decision_column, columns=chosen, features=features,
                              text_column=text_column, image_column=image_column, allow_outside=allow_outside,
                              embedding_model=embedding_model, cache_dir=cache_dir,
                              target=target, keep=list(keep),
                              folds=folds, confidence=confidence, label_issue_confidence=label_issue_confidence,
                              curve_seeds=curve_seeds, seed=seed)
    path = res.filter.save(out)
    issues = res.filter.label_issues(confidence=label_issue_confidence)
    io.save_table(issues.rename_axis(item_column).reset_index(), out / "label_issues.csv")
    typer.echo(res.summary())
    typer.echo(f"label issues -> {out / 'label_issues.csv'}; filter -> {path}")


@flywheel_app.command(
    "curve",
    epilog="Example: workbench flywheel curve scored.csv --store reviews.sqlite --strategy filter-uncertainty "
    "--budget 500 --step 25",
)
def flywheel_curve_command(
    items: Annotated[Path, typer.Argument(help="The scored items (item_id and score columns).")],
    store: Annotated[Path, typer.Option("--store", help="A store whose decisions play the reviewer (items "
                                        "without a decision are left out).")],
    strategy: Annotated[str, typer.Option(help="random or filter-uncertainty.")] = "filter-uncertainty",
    budget: Annotated[int | None, typer.Option(help="Labels to spend (default 500).")] = None,
    step: Annotated[int | None, typer.Option(help="Labels between retrainings (default 50).")] = None,
    random_share: Annotated[float | None, typer.Option(help="Random share of the active strategy (default 0.2).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default 0).")] = None,
    item: Annotated[str, typer.Option(help="Id column of the items table.")] = "item_id",
) -> None:
    """Simulate a labeling budget with the store's decisions as the reviewer: AUC after each step."""
    from workbench import io
    from workbench.calibration import human_flags
    from workbench.flywheel import learning_curve
    from workbench.review import ReviewStore

    with ReviewStore(store, read_only=True) as s:
        flags = human_flags(s.decisions())
    table = io.load_table(items)
    table = table[table[item].astype(str).isin(flags.index)]
    if table.empty:
        raise WorkbenchError(f"flywheel curve: no item of '{items}' has a decision in '{store}'.")
    curve = learning_curve(table, lambda frame: flags.reindex(frame[item].astype(str)).to_numpy(bool),
                           item=item, strategy=strategy, **_given(  # type: ignore[arg-type]
                               budget=budget, step=step, random_share=random_share, seed=seed))
    typer.echo(curve.to_string(index=False))


def _error_message(exc: BaseException) -> str | None:
    """The one message of an error a user can cause; ``None`` for a bug (shown as a traceback).

    Every command shares this path: unreadable or unwritable files, truncated or corrupt
    archives, damaged SQLite files and bad rules become one line naming the file and the fix.
    """
    import sqlite3
    import zlib

    import yaml

    from workbench._internal.escape import shorten

    if isinstance(exc, WorkbenchError):
        text = str(exc)
    elif isinstance(exc, (EOFError, zlib.error)) or type(exc).__name__ == "BadGzipFile":
        text = (f"an input file is truncated or not valid compressed data ({type(exc).__name__}: "
                f"{shorten(str(exc), 200)}). Re-download or re-compress it; gunzip -t FILE tests a .gz file.")
    elif isinstance(exc, OSError):
        where = f" '{exc.filename}'" if exc.filename else ""
        hints = {
            "PermissionError": "check the permissions of the file and its folder, or choose another path",
            "IsADirectoryError": "that path is a folder; give a file name inside it",
            "NotADirectoryError": "a part of that path is a file, not a folder",
            "FileNotFoundError": f"check the path (relative paths start at {Path.cwd()})",
        }
        hint = hints.get(type(exc).__name__, "check the path, the free disk space and the permissions")
        text = f"{exc.strerror or shorten(str(exc), 200)}:{where}. {hint[0].upper()}{hint[1:]}."
    elif isinstance(exc, sqlite3.Error):
        text = (f"SQLite error ({type(exc).__name__}: {shorten(str(exc), 200)}). The file may be damaged, "
                "locked by another program or not a SQLite database.")
    elif isinstance(exc, yaml.YAMLError):
        text = f"could not read YAML: {shorten(str(exc), 300)}"
    elif isinstance(exc, UnicodeError):
        text = f"a file is not valid UTF-8 text ({shorten(str(exc), 200)}). Re-save it as UTF-8."
    elif isinstance(exc, MemoryError):
        text = "ran out of memory. Use a smaller input, a smaller --batch-size, or a machine with more memory."
    else:
        return None
    if len(text) > 2000:  # a message quotes input; it must never become a flood
        text = text[:1990] + " … (cut)"
    return text


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the app; any error a user can cause prints one message and exits with 2.

    ``workbench --debug COMMAND ...`` shows the traceback as well. Ctrl-C (or SIGTERM) exits
    with 130 after the command's cleanup ran (a report run ends as ``NAME.failed.ipynb``).
    """
    import signal
    import warnings

    from workbench.errors import ConvergenceWarning, LabelVariantWarning

    args = _protect_values(list(sys.argv[1:] if argv is None else argv))
    debug = "--debug" in args[: next((i for i, a in enumerate(args) if not a.startswith("-")), len(args))]

    def _terminate(signum: int, frame: object) -> None:  # SIGTERM unwinds like Ctrl-C: cleanup runs
        raise KeyboardInterrupt

    default_show = warnings.showwarning

    def _show(message: Warning | str, category: type[Warning], *rest: object, **kw: object) -> None:
        if issubclass(category, (LabelVariantWarning, ConvergenceWarning)):
            typer.echo(f"warning: {message}", err=True)
        else:
            default_show(message, category, *rest, **kw)  # type: ignore[arg-type]

    old_term = signal.getsignal(signal.SIGTERM)
    if old_term is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    warnings.showwarning = _show
    try:
        from workbench.errors import speaking

        with speaking("cli"):  # messages name flags, not Python parameters (issue 27)
            rc = app(args=args, prog_name="workbench", standalone_mode=False)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort as exc:  # typer turns EOFError (a truncated .gz) and Ctrl-C into Abort
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, EOFError):
            _fail(cause, debug)
        typer.echo("interrupted", err=True)
        raise SystemExit(130) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise SystemExit(130) from None
    except Exception as exc:
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()  # type: ignore[attr-defined]  # a usage error: click's own message and exit code
            raise SystemExit(exc.exit_code) from None  # type: ignore[attr-defined]
        _fail(exc, debug)
    finally:
        warnings.showwarning = default_show
        if old_term is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, old_term)
    raise SystemExit(rc if isinstance(rc, int) else 0)


def _fail(exc: BaseException, debug: bool) -> NoReturn:
    message = _error_message(exc)
    if message is None or debug:
        import traceback

        traceback.print_exception(exc)
        if message is None:
            raise SystemExit(1) from None
    typer.echo(f"error: {message}", err=True)
    if not debug and not isinstance(exc, WorkbenchError):
        typer.echo("(`workbench --debug COMMAND ...` shows the traceback)", err=True)
    raise SystemExit(2) from None
