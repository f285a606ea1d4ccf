"""Dedup and text scoring on Apache Spark, with the same results as the local path.

When a corpus outgrows one machine, the same pipeline runs on a Spark cluster (or in
``local[*]`` mode on a laptop). Nothing is re-implemented: every numeric step calls the
local module's pure functions on Arrow batches inside ``mapInPandas``, so normalization,
shingling, hashing, MinHash permutations, band keys, exact-Jaccard verification and the
``keep`` policy are the very code of :mod:`workbench.dedup`; text scores are
:func:`workbench.scoring.score_texts` run per batch. Spark adds only what needs the whole
corpus at once: bucket joins, connected components and the numbering of clusters.

MinHash-LSH on Spark, stage by stage (see ``docs/spark.md`` for costs and shuffles):

1. signatures and band keys per document (``mapInPandas``, no shuffle);
2. LSH buckets: band keys exploded, grouped by ``(band, key)`` (a window, one shuffle);
   within a bucket, in input order, each document is paired with the next
   ``max_partners`` members, exactly as the local ``_bucket_pairs`` does (an equi-join
   on ``(band, key, rank)``, so a bucket of *n* copies costs O(*n*), not O(*n*²));
3. verification: each candidate pair's exact Jaccard over its shingle sets (texts joined
   to the pairs, ``_pair_jaccard`` per batch);
4. clusters: connected components of the verified pairs by alternating large-star and
   small-star rounds (Kiveris et al. 2014), each round checkpointed, until every component
   is a star around its smallest row number;
5. representatives by the ``keep`` policy, cluster ids numbered by first appearance,
   similarity of each member to its representative.

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from workbench import dedup as _dedup
from workbench._validation import check_choice
from workbench.errors import SchemaError, WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "SparkDedupResult",
    "decide",
    "dedup_table",
    "deduplicate",
    "find_duplicates",
    "read_table",
    "score",
    "score_schema",
    "score_table",
    "spark_available",
    "spark_session",
    "write_table",
]

SparkMethod = Literal["exact", "minhash"]
_SPARK_METHODS = ("exact", "minhash")
_MIN_JAVA = 17
_ROW = "_wb_row"


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
# per-batch workers (run in the executors' Python processes)
# --------------------------------------------------------------------------------------


def _priorities(pdf: pd.DataFrame, texts: list[str], keep: Any) -> np.ndarray:
    """The local ``_priority`` of a batch; ``"first"`` becomes 0 (ties go to the earliest row)."""
    if keep == "first":
        return np.zeros(len(texts))
    if keep == "longest":
        return _dedup._priority(pdf, texts, keep)
    scores = np.asarray(keep(pdf), dtype=float)
    if scores.shape != (len(texts),):
        raise WorkbenchError(
            f"keep= callable returned shape {scores.shape} on a batch of {len(texts)} rows; on Spark "
            "it is called per batch and must return one number per row (row-wise, e.g. df['quality'])."
        )
    return scores  # NaN is reported on the driver, with the rows


def _signature_batches(
    batches: Iterator[pd.DataFrame], *, ngram: int, unit: str, num_perm: int, seed: int,
    bands: int, rows: int, keep: Any, with_signatures: bool, rename: dict[str, str],
) -> Iterator[pd.DataFrame]:
    for pdf in batches:
        if len(pdf) == 0:
            continue
        texts = pdf["text"].tolist()
        h, off = _dedup._shingle_hashes(texts, ngram=ngram, unit=unit)  # type: ignore[arg-type]
        sig = _dedup._minhash_signatures(h, off, num_perm=num_perm, seed=seed)
        keys = _dedup._band_keys(sig, bands, rows).view(np.int64)
        row = pdf[_ROW].to_numpy(dtype=np.int64)
        out = pd.DataFrame(
            {
                _ROW: row,
                "empty": np.diff(off) == 0,
                "priority": _priorities(pdf.drop(columns=[_ROW]).rename(columns=rename), texts, keep),
                "keys": list(keys),
            }
        )
        if with_signatures:
            out["sig"] = [s.tobytes() for s in sig]
        yield out


def _jaccard_batches(batches: Iterator[pd.DataFrame], *, ngram: int, unit: str) -> Iterator[pd.DataFrame]:
    """Exact Jaccard of pairs ``(a, b, text_a, text_b)`` with the local ``_pair_jaccard``."""
    for pdf in batches:
        if len(pdf) == 0:
            continue
        a = pdf["a"].to_numpy(dtype=np.int64)
        b = pdf["b"].to_numpy(dtype=np.int64)
        uniq, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
        texts: list[str] = [""] * len(uniq)
        both = pd.concat([pdf["text_a"], pdf["text_b"]], ignore_index=True).tolist()
        for i, t in zip(inv.tolist(), both, strict=True):
            texts[i] = t
        local = inv.reshape(2, -1).T
        sims = _dedup._pair_jaccard(texts, local, ngram=ngram, unit=unit)  # type: ignore[arg-type]
        yield pd.DataFrame({"a": a, "b": b, "similarity": sims})


def _signature_sim_batches(batches: Iterator[pd.DataFrame], *, num_perm: int) -> Iterator[pd.DataFrame]:
    """Estimated Jaccard of pairs ``(a, b, sig_a, sig_b)`` with the local ``_signature_similarity``."""
    for pdf in batches:
        m = len(pdf)
        if m == 0:
            continue
        raw = b"".join(pdf["sig_a"].tolist()) + b"".join(pdf["sig_b"].tolist())
        sig = np.frombuffer(raw, dtype=np.uint32).reshape(2 * m, num_perm)
        pairs = np.stack([np.arange(m), np.arange(m) + m], axis=1)
        sims = _dedup._signature_similarity(sig, pairs)
        yield pd.DataFrame({"a": pdf["a"].to_numpy(np.int64), "b": pdf["b"].to_numpy(np.int64), "similarity": sims})


def _normalize_batches(
    batches: Iterator[pd.DataFrame], *, keep: Any, rename: dict[str, str]
) -> Iterator[pd.DataFrame]:
    for pdf in batches:
        if len(pdf) == 0:
            continue
        texts = pdf["text"].tolist()
        norm = _dedup._normalize_texts(texts)
        row = pdf[_ROW].to_numpy(dtype=np.int64)
        yield pd.DataFrame(
            {
                _ROW: row,
                "norm": norm,
                "empty": np.array([t == "" for t in norm], bool),
                "priority": _priorities(pdf.drop(columns=[_ROW]).rename(columns=rename), texts, keep),
            }
        )


# --------------------------------------------------------------------------------------
# distributed pieces
# --------------------------------------------------------------------------------------


class _StageTimer:
    """Wall-clock laps of the eagerly materialized stages."""

    def __init__(self) -> None:
        import time

        self._clock = time.perf_counter
        self._last = self._clock()
        self._laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = self._clock()
        self._laps.append((name, round(now - self._last, 3)))
        self._last = now

    @property
    def laps(self) -> tuple[tuple[str, float], ...]:
        return tuple(self._laps)


def _checkpoint(df: DataFrame) -> DataFrame:
    """Cut the lineage: a reliable checkpoint where a checkpoint dir is set, else local."""
    if df.sparkSession.sparkContext.getCheckpointDir():
        return df.checkpoint(eager=True)
    return df.localCheckpoint(eager=True)


def _connected_components(edges: DataFrame, *, max_iter: int = 100) -> tuple[DataFrame, int]:
    """Label every node of ``edges`` (columns ``a``, ``b``) with the smallest node of its
    component, by alternating large-star and small-star rounds (Kiveris et al. 2014).

    Returns ``(frame of node, label)`` for every node of a non-loop edge, and the rounds.
    A round is finished when the edge set is a forest of stars: every node points to at
    most one center and no center points anywhere. Edges always point from a larger to a
    smaller node, so a center is the smallest node of its component.
    """
    from pyspark.sql import functions as F

    e = edges.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v")).filter("u != v").distinct()
    e = _checkpoint(e)
    for it in range(1, max_iter + 1):
        # large-star: each node u links its larger neighbours to min(N(u) ∪ {u})
        sym = e.select(F.col("u").alias("x"), F.col("v").alias("y")).union(
            e.select(F.col("v").alias("x"), F.col("u").alias("y"))
        )
        mins = sym.groupBy("x").agg(F.min("y").alias("m")).withColumn("m", F.least("x", "m"))
        large = (
            sym.filter(F.col("y") > F.col("x"))
            .join(mins, "x")
            .select(F.col("y").alias("u"), F.col("m").alias("v"))
            .distinct()
        )
        # small-star: each node u links itself and its smaller neighbours to the smallest of them
        m2 = large.groupBy("u").agg(F.min("v").alias("m"))
        small = (
            large.join(m2, "u")
            .filter(F.col("v") != F.col("m"))
            .select(F.col("v").alias("u"), F.col("m").alias("v"))
            .union(m2.select("u", F.col("m").alias("v")))
            .distinct()
        )
        e = _checkpoint(small)
        # a star forest: no node points to two centers, and no center points anywhere
        out_deg = e.groupBy("u").agg(F.count(F.lit(1)).alias("d"))
        two = out_deg.filter("d > 1").select("u")
        pointing = e.join(out_deg.select(F.col("u").alias("v")), "v", "left_semi").select("u")
        if two.union(pointing).limit(1).count() == 0:
            centers = e.select(F.col("v").alias("node"), F.col("v").alias("label")).distinct()
            return e.select(F.col("u").alias("node"), F.col("v").alias("label")).union(centers), it
    raise WorkbenchError(
        f"connected components did not converge in {max_iter} large-star/small-star rounds; "
        "raise max_iter (rounds grow with log² of the largest cluster's size)."
    )


def _dense_rank(df: DataFrame, col: str, out: str) -> DataFrame:
    """Add ``out`` = 0-based rank of the distinct, sortable ``col`` without a single-partition sort."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = df.sparkSession
    n_parts = max(1, int(spark.conf.get("spark.sql.shuffle.partitions") or 8))
    part = _checkpoint(df.repartitionByRange(n_parts, col).withColumn("_pid", F.spark_partition_id()))
    counts = sorted((r["_pid"], r["count"]) for r in part.groupBy("_pid").count().collect())
    offsets, total = [], 0
    for pid, cnt in counts:
        offsets.append((pid, total))
        total += cnt
    off = spark.createDataFrame(offsets or [(0, 0)], "_pid int, _off long")
    w = Window.partitionBy("_pid").orderBy(col)
    return (
        part.join(F.broadcast(off), "_pid")
        .withColumn(out, F.col("_off") + F.row_number().over(w) - 1)
        .drop("_pid", "_off")
    )


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkDedupResult:
    """Clusters of duplicates computed on Spark (lazily evaluated Spark DataFrames).

    Attributes
    ----------
    clusters
        One row per document, sorted by input order, with the columns of the local
        ``dedup.find_duplicates``: ``doc_id``, ``cluster_id``, ``is_representative``,
        ``similarity``, ``representative_id``, ``cluster_size``.
    pairs
        The compared pairs: ``doc_id_a``, ``doc_id_b``, ``similarity``, ``is_duplicate``
        (for minhash the LSH candidates, with those rejected on verification).
    method, threshold, ngram, unit, num_perm, bands, rows, seed, verified
        The settings used.
    n_docs, n_candidates, n_duplicate_pairs
        Documents, candidate pairs, pairs at or above the threshold.
    n_rounds
        Large-star/small-star rounds of the connected components (0 for exact).
    stage_seconds
        Wall seconds of each materialized stage, ``(stage, seconds)`` in order (the final
        join and sort run when ``clusters`` is collected or written).
    """

    clusters: DataFrame
    pairs: DataFrame
    method: str
    threshold: float
    ngram: int
    unit: str
    num_perm: int
    bands: int
    rows: int
    seed: int
    verified: bool
    n_docs: int
    n_candidates: int
    n_duplicate_pairs: int
    n_rounds: int
    stage_seconds: tuple[tuple[str, float], ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The clusters table collected to pandas (in input order)."""
        return self.clusters.toPandas()

    def summary(self) -> str:
        """One paragraph: method, settings, duplicates and clusters found."""
        from pyspark.sql import functions as F

        c = self.clusters
        row = c.agg(
            F.sum(F.when(~F.col("is_representative"), 1).otherwise(0)).alias("dups"),
            F.sum(F.when(F.col("is_representative") & (F.col("cluster_size") > 1), 1).otherwise(0)).alias("multi"),
        ).collect()[0]
        n_dup, multi = int(row["dups"] or 0), int(row["multi"] or 0)
        if self.method == "minhash":
            how = (
                f"MinHash-LSH on Spark ({self.num_perm} permutations, {self.bands} bands × {self.rows} rows, "
                f"{self.ngram}-{self.unit} shingles), Jaccard ≥ {self.threshold:g}, {self.n_candidates:,} "
                f"candidate pairs {'verified by exact Jaccard' if self.verified else 'accepted on estimated Jaccard'}, "
                f"components in {self.n_rounds} large/small-star rounds"
            )
        else:
            how = "exact match on Spark after NFKC, case folding and whitespace collapsing"
        return (
            f"{how}: {n_dup:,} of {self.n_docs:,} documents ({n_dup / max(self.n_docs, 1):.1%}) are "
            f"duplicates of another, in {multi:,} clusters of two or more."
        )


def _validate_corpus(df: Any, doc_id: str, text: str) -> None:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    if not isinstance(df, SparkDataFrame):
        raise TypeError(
            f"df must be a Spark DataFrame, got {type(df).__name__}; for a pandas frame use "
            "workbench.dedup.find_duplicates, or spark.createDataFrame(frame)."
        )
    missing = [c for c in (doc_id, text) if c not in df.columns]
    if missing:
        raise SchemaError(
            f"table 'corpus' is missing column(s) {missing}; it has {df.columns}. "
            "Rename them or pass doc_id=/text= with your column names."
        )
    if not isinstance(df.schema[text].dataType, StringType):
        raise SchemaError(
            f"table 'corpus' column '{text}' must hold text, but it is {df.schema[text].simpleString()}; "
            f"cast it: df.withColumn('{text}', F.col('{text}').cast('string'))."
        )
    nulls = df.agg(*[F.sum(F.col(c).isNull().cast("long")).alias(c) for c in (doc_id, text)]).collect()[0]
    for col in (doc_id, text):
        if not nulls[col]:
            continue
        bad = df.filter(F.col(col).isNull()).select(doc_id, text).limit(5).collect()
        if bad:
            shown = ", ".join(repr(r[doc_id]) if col == text else repr(r[text])[:40] for r in bad)
            raise SchemaError(
                f"table 'corpus' column '{col}' has missing values (first rows: {shown}); "
                f"drop them (df.dropna(subset=['{col}'])) or fill them."
            )
    dup = df.groupBy(doc_id).count().filter("count > 1").limit(5).collect()
    if dup:
        raise SchemaError(
            f"table 'corpus' column '{doc_id}' must be unique, but {[r[doc_id] for r in dup]} occur more than "
            "once; drop the repeated rows or give them distinct ids."
        )


def deduplicate(
    df: DataFrame,
    *,
    method: SparkMethod = "minhash",
    threshold: float = 0.8,
    ngram: int = 5,
    unit: _dedup.Unit = "word",
    num_perm: int = 128,
    keep: _dedup.Keep = "first",
    verify: bool | None = None,
    bands: int | None = None,
    rows: int | None = None,
    seed: int = _dedup.DEFAULT_SEED,
    max_partners: int = _dedup._MAX_PARTNERS,
    order: str | None = None,
    max_iter: int = 100,
    validate: bool = True,
    doc_id: str = "doc_id",
    text: str = "text",
) -> SparkDedupResult:
    """Find duplicate documents of a Spark DataFrame, exactly as :func:`workbench.dedup.deduplicate`.

    Parameters
    ----------
    df
        Spark DataFrame with ``doc_id`` and ``text`` (other columns are ignored).
    method
        ``"minhash"`` (Jaccard ≥ ``threshold`` via MinHash-LSH) or ``"exact"`` (identical
        after normalization). SimHash and semantic dedup run locally only.
    threshold, ngram, unit, num_perm, keep, verify, bands, rows, seed
        As in :func:`workbench.dedup.deduplicate`. ``verify=None`` verifies candidates when
        the corpus has at most 2,000,000 documents, as locally. A callable ``keep`` is
        called per batch of rows (a pandas frame of the DataFrame's columns) on the
        executors, so it must be row-wise (``lambda df: df["quality"]``).
    max_partners
        Within one LSH bucket, each document is paired with the next ``max_partners``
        members in input order (the local default), so a bucket of copies stays connected.
    order
        Column giving the input order (``"first"`` keeps the smallest; clusters are numbered
        by their first member). ``None``: the DataFrame's own order as read (partition by
        partition, row by row), fixed once by a checkpoint.
    max_iter
        Cap on large-star/small-star rounds.
    validate
        Check columns, missing values and unique ids first (one extra pass over the data).
    doc_id, text
        Column names.

    Returns
    -------
    SparkDedupResult
        ``.clusters``: ``doc_id``, ``cluster_id``, ``is_representative``, ``similarity``,
        ``representative_id``, ``cluster_size``, sorted by input order, equal to the local
        result on the same rows in the same order.

    Raises
    ------
    SchemaError
        Missing columns, non-string text, missing values, repeated ``doc_id``.
    WorkbenchError
        Invalid options; ``method`` other than ``"exact"``/``"minhash"``.

    Notes
    -----
    The cost is dominated by the shingling and MinHash of every document (linear in the
    corpus, no shuffle) and by three shuffles: the band keys (``n × bands`` rows), the
    texts of the candidate pairs (twice, for both sides), and the rounds of connected
    components over the duplicate pairs only.

    References
    ----------
    Kiveris, R., Lattanzi, S., Mirrokni, V., Rastogi, V., Vassilvitskii, S. (2014).
    Connected components in MapReduce and beyond. SoCC '14. doi:10.1145/2670979.2670997
    """
    from pyspark.sql import functions as F

    check_choice(method, name="method", choices=_SPARK_METHODS)
    _dedup._check_options(method, threshold, ngram, unit, num_perm, keep)
    if not isinstance(max_partners, (int, np.integer)) or max_partners < 1:
        raise WorkbenchError(f"max_partners={max_partners!r} must be a positive integer; 100 is the default.")
    if validate:
        _validate_corpus(df, doc_id, text)
    if order is not None and order not in df.columns:
        raise SchemaError(f"table 'corpus' has no column order={order!r}; it has {df.columns}.")
    threshold = float(threshold)
    if method == "minhash":
        if (bands is None) != (rows is None):
            raise WorkbenchError("give both bands= and rows= (or neither, to choose them from threshold).")
        if bands is None or rows is None:
            bands, rows = _dedup.lsh_params(threshold, num_perm)
        if bands * rows > num_perm:
            raise WorkbenchError(f"bands × rows = {bands} × {rows} = {bands * rows} exceeds num_perm={num_perm}.")
    else:
        bands, rows = 0, 0

    order_col = F.col(order) if order is not None else F.monotonically_increasing_id()
    extra = [c for c in df.columns if c not in (doc_id, text)] if callable(keep) else []
    timer = _StageTimer()
    base = _checkpoint(df.select(
        F.col(doc_id).alias("doc_id"), F.col(text).alias("text"), *extra, order_col.alias(_ROW)
    ))
    worker_input = base if callable(keep) else base.select(_ROW, "text")
    rename = {"doc_id": doc_id, "text": text}
    n_docs = base.count()
    timer.lap("read and number the rows")
    if order is not None and base.select(_ROW).distinct().count() != n_docs:
        raise SchemaError(f"table 'corpus' column order={order!r} must be unique (it breaks ties in 'first').")
    verified = bool(n_docs <= 2_000_000) if verify is None else bool(verify)
    n_rounds = 0

    if method == "minhash":
        schema = f"{_ROW} long, empty boolean, priority double, keys array<long>"
        with_sig = not verified
        if with_sig:
            schema += ", sig binary"
        opts: dict[str, Any] = dict(ngram=int(ngram), unit=unit, num_perm=int(num_perm), seed=int(seed),
                    bands=int(bands), rows=int(rows), keep=keep, with_signatures=with_sig,
                    rename=rename)
        docs = _checkpoint(worker_input.mapInPandas(lambda it: _signature_batches(it, **opts), schema))
        if callable(keep):
            _check_priorities(docs, base)
        timer.lap("shingles, signatures, band keys (mapInPandas)")

        # LSH buckets → candidate pairs, as the local _bucket_pairs
        from pyspark.sql import Window

        k = docs.filter(~F.col("empty")).select(_ROW, F.posexplode("keys").alias("band", "key"))
        w = Window.partitionBy("band", "key")
        k = (
            k.withColumn("cnt", F.count(F.lit(1)).over(w))
            .filter("cnt >= 2")
            .withColumn("rn", F.row_number().over(w.orderBy(_ROW)))
        )
        k = _checkpoint(k)
        timer.lap("LSH buckets (shuffle on band key)")
        left = k.filter(F.col("rn") < F.col("cnt")).select(
            "band", "key", F.col(_ROW).alias("a"),
            F.explode(F.sequence(F.col("rn") + 1, F.least(F.col("rn") + int(max_partners), F.col("cnt")))).alias("rn"),
        )
        right = k.select("band", "key", "rn", F.col(_ROW).alias("b"))
        cand = left.join(right, ["band", "key", "rn"]).select("a", "b").distinct()
        scored = _pair_similarity(cand, base, docs, verified=verified, ngram=ngram, unit=unit, num_perm=num_perm)
        scored = _checkpoint(scored.withColumn("is_duplicate", F.col("similarity") >= threshold - 1e-12))
        counts = scored.agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("is_duplicate").cast("long")).alias("d")).collect()[0]
        n_candidates, n_dup_pairs = int(counts["n"]), int(counts["d"] or 0)
        edges = scored.filter("is_duplicate").select("a", "b")
        timer.lap("candidate pairs and exact-Jaccard verification (shuffle of texts)")
        comp, n_rounds = _connected_components(edges, max_iter=max_iter)
        timer.lap("connected components (large/small-star rounds)")
        labelled = docs.select(_ROW, "priority").join(comp, F.col(_ROW) == F.col("node"), "left")
        labelled = labelled.select(_ROW, "priority", F.coalesce("label", _ROW).alias("label"))
    else:  # exact
        normed = _checkpoint(worker_input.mapInPandas(
            lambda it: _normalize_batches(it, keep=keep, rename=rename),
            f"{_ROW} long, norm string, empty boolean, priority double",
        ))
        if callable(keep):
            _check_priorities(normed, base)
        from pyspark.sql import Window

        grp = Window.partitionBy("norm")
        labelled = normed.withColumn(
            "label", F.when(F.col("empty"), F.col(_ROW)).otherwise(F.min(_ROW).over(grp))
        )
        nxt = Window.partitionBy("norm").orderBy(_ROW)
        scored = _checkpoint(
            labelled.filter(~F.col("empty"))
            .withColumn("b", F.lead(_ROW).over(nxt))
            .filter(F.col("b").isNotNull())
            .select(F.col(_ROW).alias("a"), "b", F.lit(1.0).alias("similarity"), F.lit(True).alias("is_duplicate"))
        )
        n_candidates = n_dup_pairs = scored.count()
        labelled = labelled.select(_ROW, "priority", "label")
        timer.lap("normalize and group equal texts (shuffle on text)")

    labelled = _checkpoint(labelled)
    # representative: highest priority, ties to the earliest row (local _representatives)
    reps = labelled.groupBy("label").agg(
        F.min(F.struct((-F.col("priority")).alias("p"), F.col(_ROW).alias("r"))).getField("r").alias("rep"),
        F.count(F.lit(1)).alias("cluster_size"),
    )
    reps = _dense_rank(reps, "label", "cluster_id")  # first appearance order = order of the smallest row
    assigned = _checkpoint(labelled.join(reps, "label").select(_ROW, "rep", "cluster_id", "cluster_size"))
    timer.lap("representatives and cluster numbering (shuffle on cluster)")
    members = assigned.filter(F.col(_ROW) != F.col("rep")).select(F.col(_ROW).alias("a"), F.col("rep").alias("b"))
    if method == "minhash":
        member_sim = _pair_similarity(members, base, docs, verified=verified, ngram=ngram, unit=unit, num_perm=num_perm)
    else:
        member_sim = members.withColumn("similarity", F.lit(1.0))
    ids = base.select(F.col(_ROW).alias("rep"), F.col("doc_id").alias("representative_id"))
    clusters = (
        assigned.join(member_sim.select(F.col("a").alias(_ROW), "similarity"), _ROW, "left")
        .join(ids, "rep")
        .join(base.select(_ROW, "doc_id"), _ROW)
        .select(
            _ROW,
            "doc_id",
            F.col("cluster_id").cast("long").alias("cluster_id"),
            (F.col(_ROW) == F.col("rep")).alias("is_representative"),
            F.coalesce("similarity", F.lit(1.0)).alias("similarity"),
            "representative_id",
            F.col("cluster_size").cast("long").alias("cluster_size"),
        )
        .orderBy(_ROW)
        .drop(_ROW)
    )
    id_a = base.select(F.col(_ROW).alias("a"), F.col("doc_id").alias("doc_id_a"))
    id_b = base.select(F.col(_ROW).alias("b"), F.col("doc_id").alias("doc_id_b"))
    pairs = scored.join(id_a, "a").join(id_b, "b").orderBy("a", "b").select(
        "doc_id_a", "doc_id_b", "similarity", "is_duplicate"
    )
    return SparkDedupResult(
        clusters=clusters, pairs=pairs, method=method, threshold=threshold, ngram=int(ngram), unit=unit,
        num_perm=int(num_perm), bands=int(bands), rows=int(rows), seed=int(seed), verified=verified,
        n_docs=int(n_docs), n_candidates=int(n_candidates), n_duplicate_pairs=int(n_dup_pairs),
        n_rounds=int(n_rounds), stage_seconds=timer.laps,
    )


def _check_priorities(docs: DataFrame, base: DataFrame) -> None:
    from pyspark.sql import functions as F

    bad = docs.filter(F.isnan("priority") | F.col("priority").isNull()).select(_ROW).limit(5).join(base.select(_ROW, "doc_id"), _ROW).collect()
    if bad:
        raise WorkbenchError(
            f"keep= callable returned NaN for doc_id {[r['doc_id'] for r in bad]}; return a number for every row."
        )


def _pair_similarity(
    pairs: DataFrame, base: DataFrame, docs: DataFrame, *, verified: bool, ngram: int, unit: str, num_perm: int
) -> DataFrame:
    """``a, b, similarity`` for pairs of rows: exact Jaccard (verified) or signature agreement."""
    from pyspark.sql import functions as F

    if verified:
        ta = base.select(F.col(_ROW).alias("a"), F.col("text").alias("text_a"))
        tb = base.select(F.col(_ROW).alias("b"), F.col("text").alias("text_b"))
        joined = pairs.join(ta, "a").join(tb, "b").select("a", "b", "text_a", "text_b")
        return joined.mapInPandas(
            lambda it: _jaccard_batches(it, ngram=int(ngram), unit=unit), "a long, b long, similarity double"
        )
    sa = docs.select(F.col(_ROW).alias("a"), F.col("sig").alias("sig_a"))
    sb = docs.select(F.col(_ROW).alias("b"), F.col("sig").alias("sig_b"))
    joined = pairs.join(sa, "a").join(sb, "b").select("a", "b", "sig_a", "sig_b")
    return joined.mapInPandas(
        lambda it: _signature_sim_batches(it, num_perm=int(num_perm)), "a long, b long, similarity double"
    )


def find_duplicates(
    df: DataFrame,
    *,
    method: SparkMethod = "minhash",
    threshold: float = 0.8,
    ngram: int = 5,
    unit: _dedup.Unit = "word",
    num_perm: int = 128,
    keep: _dedup.Keep = "first",
    **options: Any,
) -> DataFrame:
    """Cluster duplicate documents on Spark; one row per document (see :func:`deduplicate`).

    Returns
    -------
    pyspark.sql.DataFrame
        ``doc_id``, ``cluster_id``, ``is_representative``, ``similarity``,
        ``representative_id``, ``cluster_size``, in input order — the columns and values
        of :func:`workbench.dedup.find_duplicates`.
    """
    return deduplicate(
        df, method=method, threshold=threshold, ngram=ngram, unit=unit, num_perm=num_perm,
        keep=keep, **options,
    ).clusters


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
            parts += ["n_tokens long", "mean_log_likelihood double", "perplexity double"]
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
    df = _checkpoint(df)
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
    decided = _checkpoint(decide(scored, rules))
    keep = [c for c in ("doc_id", "source") if c in df.columns]
    write_table(decided.orderBy("_wb_pos").select(*keep, *names, "decision", "reasons"), out)
    counts = {r["decision"]: int(r["count"]) for r in decided.groupBy("decision").count().collect()}
    return pd.Series({k: counts.get(k, 0) for k in ("keep", "review", "drop")})
