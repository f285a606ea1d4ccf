"""Spark: the session, text scoring and the CLI's file commands; dedup re-exported.

When a corpus outgrows one machine, the same pipeline runs on a Spark cluster (or in
``local[*]`` mode on a laptop), with the same results as the local path. Dedup on Spark is
the Spark engine of the dedup package (:mod:`workbench.dedup.spark`: the same kernels, option
checks and LSH layout as :func:`workbench.dedup.deduplicate`), re-exported here as
:func:`deduplicate`, :func:`find_duplicates` and :class:`SparkDedupResult`. Text scores are
:func:`workbench.scoring.score_texts` run per Arrow batch inside ``mapInPandas``.

Examples
--------
>>> from workbench import spark as wspark
>>> ok, why = wspark.spark_available()
>>> isinstance(ok, bool) and isinstance(why, str)
True
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from workbench._validation import check_choice
from workbench.dedup.spark import (
    SparkDedupResult,
    SparkImageDedupResult,
    SparkImageMethod,
    SparkMethod,
    checkpoint,
    deduplicate,
    deduplicate_images,
    find_duplicates,
)
from workbench.errors import SchemaError, WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "SparkDedupResult",
    "SparkImageDedupResult",
    "decide",
    "dedup_images_table",
    "dedup_table",
    "deduplicate",
    "deduplicate_images",
    "find_duplicates",
    "read_table",
    "score",
    "score_schema",
    "score_table",
    "spark_available",
    "spark_session",
    "write_table",
]

_MIN_JAVA = 17


# --------------------------------------------------------------------------------------
# environment and session
# --------------------------------------------------------------------------------------


def _java_major() -> tuple[int | None, str]:
    """Major version of the ``java`` Spark would start (JAVA_HOME first), and where from."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None, "no 'java' executable (set JAVA_HOME or put Java 17 on PATH)"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"'{java} -version' failed: {exc}"
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None, f"could not read the version of {java}"
    major = int(m.group(1))
    if major == 1 and m.group(2):  # "1.8.0" style
        major = int(m.group(2))
    return major, java


def spark_available() -> tuple[bool, str]:
    """Whether PySpark and a Java ≥ 17 are present; the second item says why not.

    Returns
    -------
    tuple of (bool, str)
        ``(True, "pyspark X with Java N")`` or ``(False, reason with the fix)``.

    Examples
    --------
    >>> ok, why = spark_available()
    >>> why != ""
    True
    """
    try:
        import pyspark
    except ImportError:
        return False, "pyspark is not installed; install the extra: pip install 'workbench[spark]'"
    major, where = _java_major()
    if major is None:
        return False, f"Spark needs Java {_MIN_JAVA}+: {where}"
    if major < _MIN_JAVA:
        return False, f"Spark {pyspark.__version__} needs Java {_MIN_JAVA}+, but {where} is Java {major}"
    return True, f"pyspark {pyspark.__version__} with Java {major}"


def spark_session(
    master: str = "local[*]",
    *,
    app_name: str = "workbench",
    driver_memory: str = "4g",
    shuffle_partitions: int | None = None,
    max_records_per_batch: int = 10_000,
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """A SparkSession set up for the workbench: quiet, no UI, the current Python on workers.

    An existing active session is returned as it is (``master``, ``driver_memory`` only
    apply when this call starts the JVM), with ``shuffle_partitions`` and the Arrow batch
    size applied to it.

    Parameters
    ----------
    master
        ``"local[*]"`` (all cores of this machine), ``"local[2]"``, ``"spark://host:7077"``,
        ``"yarn"``… Under ``spark-submit`` the submitted master wins.
    app_name
        Name in the cluster's UI.
    driver_memory
        Heap of the driver JVM (in local mode the executors live in it too); 4g suits a
        laptop with 16–24 GB (the Python workers take memory beside it).
    shuffle_partitions
        ``spark.sql.shuffle.partitions``; default: Spark's (200), or 4 per local core.
    max_records_per_batch
        Rows per Arrow batch handed to ``mapInPandas`` (bounds worker memory).
    conf
        Further Spark settings.

    Raises
    ------
    WorkbenchError
        PySpark or Java 17 missing (the message says which and how to fix it).
    """
    ok, why = spark_available()
    if not ok:
        raise WorkbenchError(f"cannot start Spark: {why}.")
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is None:
        # PySpark picks the workers' Python from this variable only (default: python3 on PATH)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            SparkSession.builder.master(master)
            .appName(app_name)
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", driver_memory)
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.adaptive.enabled", "true")
            .config("spark.pyspark.python", os.environ["PYSPARK_PYTHON"])
            .config("spark.pyspark.driver.python", sys.executable)
            .config("spark.driver.extraJavaOptions", "-Dlog4j2.level=ERROR")
        )
        if shuffle_partitions is None and master.startswith("local"):
            cores = master[6:-1] if master.startswith("local[") else "1"
            n = (os.cpu_count() or 2) if cores in ("*", "") else int(re.sub(r"\D", "", cores) or 1)
            shuffle_partitions = max(4, 4 * n)
        for k, v in (conf or {}).items():
            builder = builder.config(k, v)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
    else:
        session = active
    if shuffle_partitions is not None:
        session.conf.set("spark.sql.shuffle.partitions", str(int(shuffle_partitions)))
    session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(int(max_records_per_batch)))
    return session


# --------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------

_METRIC_ALIASES = {"text_stats": "stats"}


def _metric_names(metrics: Sequence[str]) -> list[str]:
    from workbench.scoring.composite import TEXT_METRICS

    if isinstance(metrics, str):
        metrics = [metrics]
    out = [_METRIC_ALIASES.get(m, m) for m in metrics]
    for m in out:
        check_choice(m, name="metrics", choices=(*TEXT_METRICS, *_METRIC_ALIASES))
    if not out:
        raise WorkbenchError(f"metrics is empty; choose from {', '.join(TEXT_METRICS)}.")
    return out


def score_schema(metrics: Sequence[str] = ("stats", "language", "perplexity"), *, language: str = "en") -> str:
    """Spark DDL of the columns :func:`workbench.scoring.score_texts` returns for ``metrics``.

    Examples
    --------
    >>> score_schema(["language"])
    'language string, language_score double, lang_score_en double'
    """
    from workbench.scoring.text import TEXT_STAT_COLUMNS

    parts = []
    for m in _metric_names(metrics):
        if m == "stats":
            parts += [f"{c} double" for c in TEXT_STAT_COLUMNS]
        elif m == "language":
            parts += ["language string", "language_score double", f"lang_score_{language} double"]
        else:
            parts += ["n_tokens long", "mean_log_likelihood double", "perplexity double",
                      "n_bytes long", "bits_per_byte double"]
    return ", ".join(parts)


def _score_batches(
    batches: Iterator[pd.DataFrame], *, text: str, metrics: list[str], names: list[str],
    chunk_size: int, options: dict[str, Any],
) -> Iterator[pd.DataFrame]:
    """Score each Arrow batch with the local ``score_texts`` (models cached per process)."""
    from workbench.scoring.composite import score_texts

    for pdf in batches:
        for start in range(0, len(pdf), chunk_size):
            chunk = pdf.iloc[start : start + chunk_size].reset_index(drop=True)
            texts = pd.Series(chunk[text].tolist(), dtype=object)
            scores = score_texts(texts, metrics=metrics, cache=None, **options).reset_index(drop=True)
            if list(scores.columns) != names:
                raise WorkbenchError(
                    f"score_texts returned columns {list(scores.columns)}, but the Spark schema expects "
                    f"{names}; update workbench.spark.score_schema."
                )
            if "n_tokens" in scores.columns:
                scores["n_tokens"] = scores["n_tokens"].astype("Int64")
            yield pd.concat([chunk, scores], axis=1)


def score(
    df: DataFrame,
    *,
    metrics: Sequence[str] = ("stats", "language", "perplexity"),
    model: str | None = None,
    language: str = "en",
    batch_size: int = 16,
    max_length: int = 1024,
    stride: int | None = None,
    device: str | None = "auto",
    precision: Literal["fp32", "bf16", "int8"] = "fp32",
    chunk_size: int = 256,
    text: str = "text",
) -> DataFrame:
    """Text scores of every row of a Spark DataFrame: the columns of the local scorers.

    Each Arrow batch is cut into chunks of ``chunk_size`` rows and scored by
    :func:`workbench.scoring.score_texts` in the executor's Python worker; the perplexity
    model is loaded once per worker process and kept there (``load_language_model``
    caches it per process, and Spark reuses its Python workers between tasks).

    Parameters
    ----------
    df
        Spark DataFrame with a text column (every column is kept).
    metrics
        Any of ``"stats"`` (alias ``"text_stats"``), ``"language"``, ``"perplexity"``.
    model, language, batch_size, max_length, stride, device, precision
        As in :func:`workbench.scoring.score_texts`. ``model`` must be reachable from every
        executor: ``None`` (the embedded SmolLM2, installed with the package), a hub name,
        or a path that exists on every worker.
    chunk_size
        Texts per ``score_texts`` call (bounds worker memory).
    text
        Name of the text column.

    Returns
    -------
    pyspark.sql.DataFrame
        The input columns followed by the score columns, named and computed as the local
        ``score_texts`` names and computes them (``n_tokens`` as a nullable long).

    Raises
    ------
    SchemaError
        No such text column, or a non-string one.
    WorkbenchError
        Unknown metric, bad ``chunk_size``.
    """
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql.types import StringType

    if not isinstance(df, SparkDataFrame):
        raise TypeError(
            f"df must be a Spark DataFrame, got {type(df).__name__}; for pandas use workbench.scoring.score_texts."
        )
    if text not in df.columns:
        raise SchemaError(f"table 'corpus' has no column '{text}' (it has {df.columns}); pass text= the text column.")
    if not isinstance(df.schema[text].dataType, StringType):
        raise SchemaError(
            f"table 'corpus' column '{text}' must hold text, but it is {df.schema[text].simpleString()}; cast it to string."
        )
    names = _metric_names(metrics)
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise WorkbenchError(f"chunk_size={chunk_size!r} must be a positive integer.")
    ddl = score_schema(names, language=language)
    from pyspark.sql.types import StructType

    added = StructType.fromDDL(ddl)
    assert isinstance(added, StructType)  # a column list parses to a struct
    clash = [f.name for f in added.fields if f.name in df.columns]
    if clash:
        raise SchemaError(f"table 'corpus' already has score column(s) {clash}; drop or rename them first.")
    out_schema = StructType(df.schema.fields + added.fields)
    options = dict(model=model, language=language, batch_size=batch_size, max_length=max_length,
                   stride=stride, device=device, precision=precision)
    col_names = [f.name for f in added.fields]
    return df.mapInPandas(
        lambda it: _score_batches(it, text=text, metrics=names, names=col_names,
                                  chunk_size=int(chunk_size), options=options),
        out_schema,
    )



def decide(df: DataFrame, rules: Sequence[Any]) -> DataFrame:
    """Keep/drop/review each row of a scored Spark DataFrame by rules, as :func:`workbench.scoring.decide`.

    Fixed-threshold rules are applied batch by batch with the local ``decide``. A rule
    with a ``percentile`` first gets its threshold from the whole column (Spark's exact
    ``percentile``, linear interpolation as ``numpy.percentile``), so the decisions equal
    the local ones; only the reason text lacks the local "(pNN)" tag.

    Returns
    -------
    pyspark.sql.DataFrame
        The input columns plus ``decision`` and ``reasons``.
    """
    import dataclasses

    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    from workbench.scoring.composite import AllOf, Rule
    from workbench.scoring.composite import decide as local_decide

    def fixed(rule: Rule) -> Rule:
        if rule.percentile is None:
            return rule
        if rule.metric not in df.columns:
            raise SchemaError(f"rule on '{rule.metric}': the scores have no such column ({df.columns}).")
        col = F.col(rule.metric)
        finite = df.filter(col.isNotNull() & ~F.isnan(col))
        value = finite.agg(F.percentile(col, float(rule.percentile) / 100.0).alias("p")).collect()[0]["p"]
        if value is None:
            raise WorkbenchError(
                f"rule on '{rule.metric}' uses percentile={rule.percentile} but the column has no finite values; "
                "use threshold= or score the items first."
            )
        return dataclasses.replace(rule, threshold=float(value), percentile=None)

    resolved = [
        dataclasses.replace(r, rules=tuple(fixed(x) for x in r.rules)) if isinstance(r, AllOf) else fixed(r)
        for r in rules
    ]
    schema = StructType(df.schema.fields + [StructField("decision", StringType()), StructField("reasons", StringType())])

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for pdf in batches:
            pdf = pdf.reset_index(drop=True)
            out = local_decide(pdf, resolved).reset_index(drop=True)
            yield pd.concat([pdf, out[["decision", "reasons"]].astype(object)], axis=1)

    return df.mapInPandas(run, schema)


# --------------------------------------------------------------------------------------
# files (the CLI's --engine spark)
# --------------------------------------------------------------------------------------


def _suffix(path: str) -> str:
    name = str(path).lower().rstrip("/")
    for comp in (".gz", ".bz2", ".zst"):
        if name.endswith(comp):
            name = name[: -len(comp)]
    return name.rsplit(".", 1)[-1] if "." in name.rsplit("/", 1)[-1] else ""


def _first_json_keys(path: str) -> list[str]:
    """Keys of the first record of a local JSON-lines file (plain or .gz), else []."""
    import gzip
    import json

    if not os.path.isfile(path):
        return []
    try:
        opener = gzip.open if path.lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
            line = fh.readline()
        record = json.loads(line)
    except (OSError, ValueError):
        return []
    return list(record) if isinstance(record, dict) else []


def read_table(session: SparkSession, path: str | os.PathLike[str], *, id_columns: Sequence[str] = ("doc_id",)) -> DataFrame:
    """Read a .jsonl/.json, .csv or .parquet table (file, folder or glob; .gz allowed) with Spark.

    Columns named in ``id_columns`` are read as strings (ids are strings in the data model).
    """
    from pyspark.sql import functions as F

    p = str(path)
    kind = _suffix(p)
    if kind in ("jsonl", "json", "ndjson"):
        df = session.read.json(p)
        first = _first_json_keys(p)  # Spark sorts inferred JSON fields; keep the file's order
        if first and set(first) == set(df.columns):
            df = df.select(*first)
    elif kind == "csv":
        df = session.read.csv(p, header=True, multiLine=True, escape='"', inferSchema=False)
    elif kind == "parquet":
        df = session.read.parquet(p)
    else:
        raise WorkbenchError(
            f"cannot read '{p}' with Spark: use a .jsonl, .csv or .parquet table (optionally .gz), "
            "or a folder of them with that suffix."
        )
    for c in id_columns:
        if c in df.columns:
            df = df.withColumn(c, F.col(c).cast("string"))
    return df


def write_table(df: DataFrame, path: str | os.PathLike[str]) -> str:
    """Write a Spark DataFrame by suffix (.csv, .jsonl, .parquet).

    In local mode the result is collected and written as ONE file with
    :func:`workbench.io.save_table` (what the local engine writes); on a cluster it is a
    folder of part files written by the executors, as Spark does.
    """
    p = str(path)
    kind = _suffix(p)
    if kind not in ("csv", "jsonl", "json", "parquet"):
        raise WorkbenchError(f"cannot write '{p}': use a .csv, .jsonl or .parquet name.")
    master = str(df.sparkSession.sparkContext.master)
    if master.startswith("local"):
        from workbench import io

        io.save_table(df.toPandas(), p)
        return p
    writer = df.write.mode("overwrite")
    if kind == "csv":
        writer.option("header", True).option("escape", '"').csv(p)
    elif kind == "parquet":
        writer.parquet(p)
    else:
        writer.json(p)
    return p


def dedup_table(
    input: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    master: str = "local[*]",
    method: SparkMethod = "minhash",
    doc_id: str = "doc_id",
    text: str = "text",
    **options: Any,
) -> SparkDedupResult:
    """``workbench dedup --engine spark``: read, deduplicate and write every input row with
    its cluster columns, in input order (as the local command writes them)."""
    from pyspark.sql import functions as F

    session = spark_session(master)
    df = read_table(session, input, id_columns=(doc_id,))
    df = df.withColumn("_wb_pos", F.monotonically_increasing_id())
    df = checkpoint(df)
    res = deduplicate(df, method=method, order="_wb_pos", doc_id=doc_id, text=text, **options)
    added = [c for c in res.clusters.columns if c != "doc_id"]
    clusters = res.clusters.withColumnRenamed("doc_id", "_wb_doc")
    rows = df.select(*[c for c in df.columns if c not in added])
    output = (
        rows.join(clusters, F.col(doc_id) == F.col("_wb_doc"))
        .orderBy("_wb_pos")
        .select(*[c for c in rows.columns if c != "_wb_pos"], *added)
    )
    write_table(output, out)
    return res


def dedup_images_table(
    input: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    master: str = "local[*]",
    method: SparkImageMethod = "phash",
    threshold: float | None = None,
    allow_outside: bool = False,
) -> SparkImageDedupResult:
    """``workbench dedup TABLE --by image --engine spark``: the image_captions table's audit frame
    (``pair_id``, ``image``, ``caption``, ``image_cluster``, ``image_distance``, ``cluster``,
    ``kept``, in input order) as the local command writes it; image paths relative to the table."""
    from pyspark.sql import functions as F

    session = spark_session(master)
    df = checkpoint(read_table(session, input, id_columns=("pair_id",))
                    .withColumn("_wb_pos", F.monotonically_increasing_id()))
    missing = [c for c in ("pair_id", "image", "caption") if c not in df.columns]
    if missing:
        raise SchemaError(f"table 'image_captions' ({input}) is missing column(s) {missing}; it has "
                          f"{[c for c in df.columns if c != '_wb_pos']}. Rename them to pair_id, image, caption.")
    res = deduplicate_images(df, method=method, threshold=threshold, base_dir=os.path.dirname(os.path.abspath(input)),
                             allow_outside=allow_outside, order="_wb_pos")
    clusters = res.clusters.select(F.col("pair_id").alias("_wb_id"), "cluster", "kept", "distance")
    output = (
        df.join(clusters, F.col("pair_id") == F.col("_wb_id"))
        .orderBy("_wb_pos")
        .select("pair_id", "image", "caption", F.col("cluster").alias("image_cluster"),
                F.col("distance").alias("image_distance"), "cluster", "kept")
    )
    write_table(output, out)
    return res


def score_table(
    input: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    master: str = "local[*]",
    metrics: Sequence[str] = ("stats", "language", "perplexity"),
    rules: Sequence[Any] | None = None,
    text: str = "text",
    language: str = "en",
    **options: Any,
) -> pd.Series:
    """``workbench score text --engine spark``: scores and decisions of every row, written
    with ``doc_id``/``source`` (when present), the score columns, ``decision`` and ``reasons``.

    Returns the count of each decision.
    """
    from pyspark.sql import functions as F

    from workbench.scoring.composite import default_rules

    session = spark_session(master)
    df = read_table(session, input)
    if text not in df.columns:
        raise SchemaError(f"score text: '{input}' has no column '{text}'; it has {df.columns}. Pass --text-column NAME.")
    df = df.withColumn("_wb_pos", F.monotonically_increasing_id())
    scored = score(df, metrics=metrics, text=text, language=language, **options)
    names = [f.name for f in scored.schema.fields if f.name not in df.columns]
    if rules is None:
        rules = [r for r in default_rules(language=language) if set(r.metrics) <= set(names)]
    decided = checkpoint(decide(scored, rules))
    keep = [c for c in ("doc_id", "source") if c in df.columns]
    write_table(decided.orderBy("_wb_pos").select(*keep, *names, "decision", "reasons"), out)
    counts = {r["decision"]: int(r["count"]) for r in decided.groupBy("decision").count().collect()}
    return pd.Series({k: counts.get(k, 0) for k in ("keep", "review", "drop")})
