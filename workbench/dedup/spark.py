"""The Spark engine of dedup: the same clusters as the local engine, computed by Spark.

When a corpus outgrows one machine, the same pipeline runs on a Spark cluster (or in
``local[*]`` mode on a laptop). Nothing is re-implemented: every numeric step calls the
dedup kernels on Arrow batches inside ``mapInPandas``, so normalization, shingling, hashing,
MinHash permutations, band keys, exact-Jaccard verification and the ``keep`` policy are the
very code of the local engine, and the options are checked and the LSH layout chosen by the
same functions (:mod:`workbench.dedup.options`). Spark adds only what needs the whole corpus
at once: bucket joins, connected components and the numbering of clusters.

MinHash-LSH on Spark, stage by stage (see ``docs/spark.md`` for costs and shuffles):

1. signatures and band keys per document (``mapInPandas``, no shuffle);
2. LSH buckets: band keys exploded, grouped by ``(band, key)`` (a window, one shuffle);
   within a bucket, in input order, each document is paired with the next
   ``max_partners`` members, exactly as the local ``bucket_pairs`` does (an equi-join
   on ``(band, key, rank)``, so a bucket of *n* copies costs O(*n*), not O(*n*²));
3. verification: each candidate pair's exact Jaccard over its shingle sets (texts joined
   to the pairs, ``pair_jaccard`` per batch);
4. clusters: connected components of the verified pairs by alternating large-star and
   small-star rounds (Kiveris et al. 2014), each round checkpointed, until every component
   is a star around its smallest row number;
5. representatives by the ``keep`` policy, cluster ids numbered by first appearance,
   similarity of each member to its representative.

Each method is one stage function behind the dispatch table ``_STAGES`` (``exact`` and
``minhash``; SimHash and semantic dedup run locally only). Image duplicates
(:func:`deduplicate_images`: ``image-exact``, ``phash``, ``dhash``) decode and hash the images
per partition with the local engine's per-image step and find pairs by the same banding. The session, scoring and file
helpers are in :mod:`workbench.spark`, which also re-exports this engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from workbench._validation import check_choice
from workbench.dedup.clusters import priority
from workbench.dedup.kernels import band_keys, minhash_signatures, normalize_texts, shingle_hashes
from workbench.dedup.options import (
    DEFAULT_SEED,
    MAX_PARTNERS,
    DedupSettings,
    Keep,
    Unit,
    check_options,
    dedup_settings,
    resolve_verify,
)
from workbench.dedup.verify import pair_jaccard, signature_similarity
from workbench.errors import SchemaError, WorkbenchError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = [
    "SPARK_IMAGE_METHODS",
    "SPARK_METHODS",
    "SparkDedupResult",
    "SparkImageDedupResult",
    "SparkImageMethod",
    "SparkMethod",
    "checkpoint",
    "connected_components",
    "deduplicate",
    "deduplicate_images",
    "find_duplicates",
    "validate_corpus",
]

SparkMethod = Literal["exact", "minhash"]
SPARK_METHODS = ("exact", "minhash")
_ROW = "_wb_row"


# --------------------------------------------------------------------------------------
# per-batch workers (run in the executors' Python processes)
# --------------------------------------------------------------------------------------


def _priorities(pdf: pd.DataFrame, texts: list[str], keep: Any) -> np.ndarray:
    """The local ``_priority`` of a batch; ``"first"`` becomes 0 (ties go to the earliest row)."""
    if keep == "first":
        return np.zeros(len(texts))
    if keep == "longest":
        return priority(pdf, texts, keep)
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
        h, off = shingle_hashes(texts, ngram=ngram, unit=unit)  # type: ignore[arg-type]
        sig = minhash_signatures(h, off, num_perm=num_perm, seed=seed)
        keys = band_keys(sig, bands, rows).view(np.int64)
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
        sims = pair_jaccard(texts, local, ngram=ngram, unit=unit)  # type: ignore[arg-type]
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
        sims = signature_similarity(sig, pairs)
        yield pd.DataFrame({"a": pdf["a"].to_numpy(np.int64), "b": pdf["b"].to_numpy(np.int64), "similarity": sims})


def _normalize_batches(
    batches: Iterator[pd.DataFrame], *, keep: Any, rename: dict[str, str]
) -> Iterator[pd.DataFrame]:
    for pdf in batches:
        if len(pdf) == 0:
            continue
        texts = pdf["text"].tolist()
        norm = normalize_texts(texts)
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


def checkpoint(df: DataFrame) -> DataFrame:
    """Cut the lineage: a reliable checkpoint where a checkpoint dir is set, else local."""
    if df.sparkSession.sparkContext.getCheckpointDir():
        return df.checkpoint(eager=True)
    return df.localCheckpoint(eager=True)


def connected_components(edges: DataFrame, *, max_iter: int = 100) -> tuple[DataFrame, int]:
    """Label every node of ``edges`` (columns ``a``, ``b``) with the smallest node of its
    component, by alternating large-star and small-star rounds (Kiveris et al. 2014).

    Returns ``(frame of node, label)`` for every node of a non-loop edge, and the rounds.
    A round is finished when the edge set is a forest of stars: every node points to at
    most one center and no center points anywhere. Edges always point from a larger to a
    smaller node, so a center is the smallest node of its component.
    """
    from pyspark.sql import functions as F

    e = edges.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v")).filter("u != v").distinct()
    e = checkpoint(e)
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
        e = checkpoint(small)
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
    part = checkpoint(df.repartitionByRange(n_parts, col).withColumn("_pid", F.spark_partition_id()))
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


def validate_corpus(df: Any, doc_id: str, text: str) -> None:
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
    unit: Unit = "word",
    num_perm: int = 128,
    keep: Keep = "first",
    verify: bool | None = None,
    bands: int | None = None,
    rows: int | None = None,
    seed: int = DEFAULT_SEED,
    max_partners: int = MAX_PARTNERS,
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

    check_choice(method, name="method", choices=SPARK_METHODS)
    check_options(method, threshold, ngram, unit, num_perm, keep)
    if not isinstance(max_partners, (int, np.integer)) or max_partners < 1:
        raise WorkbenchError(f"max_partners={max_partners!r} must be a positive integer; 100 is the default.")
    if validate:
        validate_corpus(df, doc_id, text)
    if order is not None and order not in df.columns:
        raise SchemaError(f"table 'corpus' has no column order={order!r}; it has {df.columns}.")
    core = dedup_settings(method, threshold, ngram, unit, num_perm, bands, rows, seed)

    timer = _StageTimer()
    corpus = _numbered_corpus(df, order=order, keep=keep, doc_id=doc_id, text=text)
    timer.lap("read and number the rows")
    if order is not None and corpus.base.select(_ROW).distinct().count() != corpus.n_docs:
        raise SchemaError(f"table 'corpus' column order={order!r} must be unique (it breaks ties in 'first').")
    settings = _StageSettings(
        **vars(core), keep=keep, verified=resolve_verify(verify, corpus.n_docs),
        max_partners=int(max_partners), max_iter=max_iter,
    )
    found = _STAGES[method](corpus, settings, timer)
    clusters = _cluster_frame(corpus, found, timer)
    id_a = corpus.base.select(F.col(_ROW).alias("a"), F.col("doc_id").alias("doc_id_a"))
    id_b = corpus.base.select(F.col(_ROW).alias("b"), F.col("doc_id").alias("doc_id_b"))
    pairs = found.scored.join(id_a, "a").join(id_b, "b").orderBy("a", "b").select(
        "doc_id_a", "doc_id_b", "similarity", "is_duplicate"
    )
    return SparkDedupResult(
        clusters=clusters, pairs=pairs, method=method, threshold=core.threshold, ngram=core.ngram,
        unit=core.unit, num_perm=core.num_perm, bands=core.bands, rows=core.rows, seed=core.seed,
        verified=settings.verified, n_docs=int(corpus.n_docs), n_candidates=int(found.n_candidates),
        n_duplicate_pairs=int(found.n_duplicate_pairs), n_rounds=int(found.n_rounds), stage_seconds=timer.laps,
    )


@dataclass(frozen=True)
class _NumberedCorpus:
    """The corpus with its rows numbered in input order (``_ROW``), checkpointed once."""

    base: DataFrame  # doc_id, text, the columns a callable keep needs, _ROW
    worker_input: DataFrame  # what the per-batch workers read
    rename: dict[str, str]  # worker column → user column (for a callable keep)
    n_docs: int


@dataclass(frozen=True)
class _StageSettings(DedupSettings):
    """Checked settings of a method's stage."""

    keep: Any
    verified: bool
    max_partners: int
    max_iter: int


@dataclass(frozen=True)
class _StageResult:
    """What a method's stage found.

    ``scored``: compared pairs ``a, b, similarity, is_duplicate`` (row numbers);
    ``labelled``: ``_ROW, priority, label`` (the component of each row);
    ``member_similarity``: similarity of pairs ``a, b`` as ``a, b, similarity``.
    """

    scored: DataFrame
    labelled: DataFrame
    member_similarity: Callable[[DataFrame], DataFrame]
    n_candidates: int
    n_duplicate_pairs: int
    n_rounds: int


def _numbered_corpus(df: DataFrame, *, order: str | None, keep: Any, doc_id: str, text: str) -> _NumberedCorpus:
    from pyspark.sql import functions as F

    order_col = F.col(order) if order is not None else F.monotonically_increasing_id()
    extra = [c for c in df.columns if c not in (doc_id, text)] if callable(keep) else []
    base = checkpoint(df.select(
        F.col(doc_id).alias("doc_id"), F.col(text).alias("text"), *extra, order_col.alias(_ROW)
    ))
    worker_input = base if callable(keep) else base.select(_ROW, "text")
    return _NumberedCorpus(
        base=base, worker_input=worker_input, rename={"doc_id": doc_id, "text": text}, n_docs=base.count()
    )


def _minhash_stage(corpus: _NumberedCorpus, s: _StageSettings, timer: _StageTimer) -> _StageResult:
    """Signatures and band keys, LSH buckets, candidate pairs, verification, components."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    schema = f"{_ROW} long, empty boolean, priority double, keys array<long>"
    with_sig = not s.verified
    if with_sig:
        schema += ", sig binary"
    # the workers' closure holds plain values only (no Spark objects)
    opts: dict[str, Any] = dict(ngram=s.ngram, unit=s.unit, num_perm=s.num_perm, seed=s.seed,
                                bands=s.bands, rows=s.rows, keep=s.keep, with_signatures=with_sig,
                                rename=corpus.rename)
    docs = checkpoint(corpus.worker_input.mapInPandas(lambda it: _signature_batches(it, **opts), schema))
    if callable(s.keep):
        _check_priorities(docs, corpus.base)
    timer.lap("shingles, signatures, band keys (mapInPandas)")

    # LSH buckets → candidate pairs, as the local bucket_pairs
    k = docs.filter(~F.col("empty")).select(_ROW, F.posexplode("keys").alias("band", "key"))
    w = Window.partitionBy("band", "key")
    k = (
        k.withColumn("cnt", F.count(F.lit(1)).over(w))
        .filter("cnt >= 2")
        .withColumn("rn", F.row_number().over(w.orderBy(_ROW)))
    )
    k = checkpoint(k)
    timer.lap("LSH buckets (shuffle on band key)")
    left = k.filter(F.col("rn") < F.col("cnt")).select(
        "band", "key", F.col(_ROW).alias("a"),
        F.explode(F.sequence(F.col("rn") + 1, F.least(F.col("rn") + s.max_partners, F.col("cnt")))).alias("rn"),
    )
    right = k.select("band", "key", "rn", F.col(_ROW).alias("b"))
    cand = left.join(right, ["band", "key", "rn"]).select("a", "b").distinct()

    def similarity(pairs: DataFrame) -> DataFrame:
        return _pair_similarity(pairs, corpus.base, docs, verified=s.verified, ngram=s.ngram, unit=s.unit,
                                num_perm=s.num_perm)

    scored = checkpoint(similarity(cand).withColumn("is_duplicate", F.col("similarity") >= s.threshold - 1e-12))
    counts = scored.agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("is_duplicate").cast("long")).alias("d")).collect()[0]
    edges = scored.filter("is_duplicate").select("a", "b")
    timer.lap("candidate pairs and exact-Jaccard verification (shuffle of texts)")
    comp, n_rounds = connected_components(edges, max_iter=s.max_iter)
    timer.lap("connected components (large/small-star rounds)")
    labelled = docs.select(_ROW, "priority").join(comp, F.col(_ROW) == F.col("node"), "left")
    labelled = labelled.select(_ROW, "priority", F.coalesce("label", _ROW).alias("label"))
    return _StageResult(
        scored=scored, labelled=labelled, member_similarity=similarity,
        n_candidates=int(counts["n"]), n_duplicate_pairs=int(counts["d"] or 0), n_rounds=n_rounds,
    )


def _exact_stage(corpus: _NumberedCorpus, s: _StageSettings, timer: _StageTimer) -> _StageResult:
    """Normalized texts, grouped: each group of equal texts is one cluster."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keep, rename = s.keep, corpus.rename  # the workers' closure must not hold Spark objects
    normed = checkpoint(corpus.worker_input.mapInPandas(
        lambda it: _normalize_batches(it, keep=keep, rename=rename),
        f"{_ROW} long, norm string, empty boolean, priority double",
    ))
    if callable(s.keep):
        _check_priorities(normed, corpus.base)
    grp = Window.partitionBy("norm")
    labelled = normed.withColumn(
        "label", F.when(F.col("empty"), F.col(_ROW)).otherwise(F.min(_ROW).over(grp))
    )
    nxt = Window.partitionBy("norm").orderBy(_ROW)
    scored = checkpoint(
        labelled.filter(~F.col("empty"))
        .withColumn("b", F.lead(_ROW).over(nxt))
        .filter(F.col("b").isNotNull())
        .select(F.col(_ROW).alias("a"), "b", F.lit(1.0).alias("similarity"), F.lit(True).alias("is_duplicate"))
    )
    n_pairs = scored.count()
    timer.lap("normalize and group equal texts (shuffle on text)")
    return _StageResult(
        scored=scored, labelled=labelled.select(_ROW, "priority", "label"),
        member_similarity=lambda pairs: pairs.withColumn("similarity", F.lit(1.0)),
        n_candidates=n_pairs, n_duplicate_pairs=n_pairs, n_rounds=0,
    )


_STAGES: dict[str, Callable[[_NumberedCorpus, _StageSettings, _StageTimer], _StageResult]] = {
    "exact": _exact_stage,
    "minhash": _minhash_stage,
}


def _cluster_frame(corpus: _NumberedCorpus, found: _StageResult, timer: _StageTimer) -> DataFrame:
    """Representatives (highest priority, ties to the earliest row, as the local
    ``representatives``), cluster ids by first appearance, each member's similarity."""
    from pyspark.sql import functions as F

    labelled = checkpoint(found.labelled)
    reps = labelled.groupBy("label").agg(
        F.min(F.struct((-F.col("priority")).alias("p"), F.col(_ROW).alias("r"))).getField("r").alias("rep"),
        F.count(F.lit(1)).alias("cluster_size"),
    )
    reps = _dense_rank(reps, "label", "cluster_id")  # first appearance order = order of the smallest row
    assigned = checkpoint(labelled.join(reps, "label").select(_ROW, "rep", "cluster_id", "cluster_size"))
    timer.lap("representatives and cluster numbering (shuffle on cluster)")
    members = assigned.filter(F.col(_ROW) != F.col("rep")).select(F.col(_ROW).alias("a"), F.col("rep").alias("b"))
    member_sim = found.member_similarity(members)
    base = corpus.base
    ids = base.select(F.col(_ROW).alias("rep"), F.col("doc_id").alias("representative_id"))
    return (
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
    unit: Unit = "word",
    num_perm: int = 128,
    keep: Keep = "first",
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
# image duplicates (issue 31): hashes per partition, the banded index as a join
# --------------------------------------------------------------------------------------

SparkImageMethod = Literal["image-exact", "phash", "dhash"]
SPARK_IMAGE_METHODS = ("image-exact", "phash", "dhash")


@dataclass(frozen=True)
class SparkImageDedupResult:
    """Clusters of duplicate images computed on Spark (lazily evaluated Spark DataFrames).

    Attributes
    ----------
    clusters
        One row per image in input order, the columns of the local
        :meth:`workbench.dedup.ImageDedupResult.to_frame`: the id column (when the table has
        it), ``image``, ``cluster``, ``kept``, ``distance``, ``kept_image``, ``cluster_size``.
    pairs
        The duplicate pairs (the clusters' edges): ``image_a``, ``image_b``, ``distance``,
        ``verified`` (the Hamming distance recomputed on the pair is within the threshold).
    method, threshold, keep, distance_name
        As in the local result.
    n_images, n_candidates
        Images, and pairs compared (identical pictures plus hashes sharing a band).
    """

    clusters: DataFrame
    pairs: DataFrame
    method: str
    threshold: float
    keep: str
    distance_name: str
    n_images: int
    n_candidates: int

    def to_frame(self) -> pd.DataFrame:
        """The clusters collected to pandas, typed as the local ``to_frame()``."""
        f = pd.DataFrame(self.clusters.toPandas())
        return f.astype({"cluster": np.int64, "kept": bool, "distance": float, "cluster_size": np.int64})

    def summary(self) -> str:
        """One paragraph: method, threshold, images dropped, clusters."""
        from pyspark.sql import functions as F

        row = self.clusters.agg(
            F.sum((~F.col("kept")).cast("long")).alias("dropped"),
            F.sum((F.col("kept") & (F.col("cluster_size") > 1)).cast("long")).alias("multi"),
        ).collect()[0]
        dropped, multi = int(row["dropped"] or 0), int(row["multi"] or 0)
        return (f"Image duplicates by {self.method} on Spark: {dropped:,} of {self.n_images:,} images "
                f"({dropped / max(self.n_images, 1):.1%}) duplicate another, in {multi:,} clusters of two or more "
                f"(distance: {self.distance_name}; {self.n_candidates:,} candidate pairs compared).")


def _image_hash_batches(
    batches: Iterator[pd.DataFrame], *, method: str, bands: int, base: str | None, allow_outside: bool, image: str,
) -> Iterator[pd.DataFrame]:
    """Decode and hash the images of a batch (the local engine's per-image step); a row that
    cannot be read carries its reason instead of failing the task."""
    from pathlib import Path

    from workbench._internal.paths import locate_images
    from workbench.dedup.images import hash_image
    from workbench.dedup.kernels import simhash_block_keys

    root = Path(base) if base is not None else None
    for pdf in batches:
        if len(pdf) == 0:
            continue
        n = len(pdf)
        digest, reason = [""] * n, [""] * n
        pixels, full = np.zeros(n, np.int64), np.zeros(n, np.uint64)
        for i, value in enumerate(pdf[image].tolist()):
            try:
                item = locate_images(pd.Series([value], dtype=object), root, allow_outside=allow_outside,
                                     column=image)[0]
            except WorkbenchError:
                reason[i] = ("path leads outside the table's folder (if you trust this table, pass "
                             f"allow_outside=True): {str(value)[:80]}")
                continue
            got = hash_image(item, method)
            if isinstance(got, str):
                reason[i] = got
            else:
                digest[i], pixels[i], full[i] = got[0], got[1], got[2]
        keys = simhash_block_keys(full, bands - 1).view(np.int64) if bands else np.zeros((n, 0), np.int64)
        yield pd.DataFrame({_ROW: pdf[_ROW].to_numpy(np.int64), "digest": digest, "pixels": pixels,
                            "h": full.view(np.int64), "keys": list(keys), "reason": reason})


def deduplicate_images(
    df: DataFrame,
    *,
    method: SparkImageMethod = "phash",
    threshold: float | None = None,
    keep: Literal["largest", "first"] = "largest",
    base_dir: str | os.PathLike[str] | None = None,
    allow_outside: bool = False,
    image: str = "image",
    id_column: str | None = "pair_id",
    order: str | None = None,
    max_iter: int = 100,
) -> SparkImageDedupResult:
    """Find duplicate images of a Spark DataFrame, exactly as :func:`workbench.dedup.deduplicate_images`.

    The images are decoded and hashed per partition (``mapInPandas``, the local per-image
    step); identical pictures (same decoded pixels) are grouped; for ``phash``/``dhash`` the
    64-bit hashes of the distinct pictures are split into ``threshold + 1`` bands, as locally,
    and the pairs sharing a band value (an equi-join on ``(band, key)``) are kept when their
    Hamming distance is within ``threshold``; clusters are the connected components
    (:func:`connected_components`), the kept image the largest (or first), ties to the first.

    Parameters
    ----------
    df
        Spark DataFrame with the ``image`` column (paths relative to ``base_dir``; read by
        the executors, so the folder must be visible to them).
    method, threshold, keep, base_dir, allow_outside, image, id_column
        As in :func:`workbench.dedup.deduplicate_images` (``image-exact``, ``phash`` and
        ``dhash``; ``phash-crop`` and ``clip`` run locally only).
    order
        Column giving the input order; ``None``: the DataFrame's order as read.
    max_iter
        Cap on large-star/small-star rounds.

    Returns
    -------
    SparkImageDedupResult
        ``to_frame()`` equals the local ``to_frame()`` on the same rows in the same order.

    Raises
    ------
    WorkbenchError
        Unknown method, bad threshold, a missing column, images that cannot be read or paths
        outside the table's folder (named by row, with the fix).
    """
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from workbench.dedup.images import DISTANCE_NAMES, check_image_threshold

    check_choice(method, name="method", choices=SPARK_IMAGE_METHODS)
    check_choice(keep, name="keep", choices=("largest", "first"))
    t = check_image_threshold(method, threshold)
    if not isinstance(df, SparkDataFrame):
        raise TypeError(f"df must be a Spark DataFrame, got {type(df).__name__}; for a pandas frame use "
                        "workbench.dedup.deduplicate_images.")
    for col in (image, order):
        if col is not None and col not in df.columns:
            raise SchemaError(f"table 'image_captions' has no column '{col}'; it has {df.columns}. "
                              "Rename it or pass image=/order= with your column name.")
    ident = id_column if id_column and id_column in df.columns else None
    order_col = F.col(order) if order is not None else F.monotonically_increasing_id()
    base = checkpoint(df.select(*([F.col(ident)] if ident else []), F.col(image).alias("image"),
                                order_col.alias(_ROW)))
    n = base.count()
    bands = int(t) + 1 if method != "image-exact" else 0
    opts: dict[str, Any] = dict(method=method, bands=bands, allow_outside=allow_outside, image="image",
                                base=os.fspath(base_dir) if base_dir is not None else None)
    hashed = checkpoint(base.select(_ROW, "image").mapInPandas(
        lambda it: _image_hash_batches(it, **opts),
        f"{_ROW} long, digest string, pixels long, h long, keys array<long>, reason string"))
    _raise_unreadable(hashed, base, ident, image)

    # identical pictures: each row linked to the next one with the same pixels (the local chain)
    nxt = Window.partitionBy("digest").orderBy(_ROW)
    same = hashed.select(_ROW, "digest", F.lead(_ROW).over(nxt).alias("b")).filter(F.col("b").isNotNull())
    compared = same.select(F.col(_ROW).alias("a"), "b", F.lit(0).cast("long").alias("d"))
    if bands:
        distinct = hashed.withColumn("_first", F.row_number().over(nxt) == 1).filter("_first")
        k = distinct.select(_ROW, "h", F.posexplode("keys").alias("band", "key"))
        left = k.select("band", "key", F.col(_ROW).alias("a"), F.col("h").alias("ha"))
        right = k.select("band", "key", F.col(_ROW).alias("b"), F.col("h").alias("hb"))
        cand = (left.join(right, ["band", "key"]).filter(F.col("a") < F.col("b"))
                .select("a", "b", F.bit_count(F.col("ha").bitwiseXOR(F.col("hb"))).cast("long").alias("d"))
                .distinct())
        compared = compared.union(cand)
    compared = checkpoint(compared)
    n_candidates = compared.count()
    edges = compared.filter(F.col("d") <= int(t))
    comp, _ = connected_components(edges.select("a", "b"), max_iter=max_iter)
    prio = F.col("pixels").cast("double") if keep == "largest" else F.lit(0.0)
    labelled = checkpoint(hashed.select(_ROW, "h", prio.alias("priority"))
                          .join(comp, F.col(_ROW) == F.col("node"), "left")
                          .select(_ROW, "h", "priority", F.coalesce("label", _ROW).alias("label")))
    reps = labelled.groupBy("label").agg(
        F.min(F.struct((-F.col("priority")).alias("p"), F.col(_ROW).alias("r"))).getField("r").alias("rep"),
        F.count(F.lit(1)).alias("cluster_size"),
    )
    reps = _dense_rank(reps, "label", "cluster")
    rep_side = labelled.select(F.col(_ROW).alias("rep"), F.col("h").alias("h_rep"))
    rep_image = base.select(F.col(_ROW).alias("rep"), F.col("image").alias("kept_image"))
    distance = (F.lit(0.0) if method == "image-exact"
                else F.bit_count(F.col("h").bitwiseXOR(F.col("h_rep"))).cast("double"))
    clusters = (
        labelled.join(reps, "label").join(rep_side, "rep").join(rep_image, "rep").join(base, _ROW)
        .select(_ROW, *([F.col(ident)] if ident else []), "image", F.col("cluster").cast("long").alias("cluster"),
                (F.col(_ROW) == F.col("rep")).alias("kept"), distance.alias("distance"), "kept_image",
                F.col("cluster_size").cast("long").alias("cluster_size"))
        .orderBy(_ROW).drop(_ROW)
    )
    img_a = base.select(F.col(_ROW).alias("a"), F.col("image").alias("image_a"))
    img_b = base.select(F.col(_ROW).alias("b"), F.col("image").alias("image_b"))
    pairs = (edges.join(img_a, "a").join(img_b, "b").orderBy("a", "b")
             .select("image_a", "image_b", F.col("d").cast("double").alias("distance"),
                     (F.col("d") <= int(t)).alias("verified")))
    return SparkImageDedupResult(clusters=clusters, pairs=pairs, method=method, threshold=t, keep=keep,
                                 distance_name=DISTANCE_NAMES[method], n_images=int(n), n_candidates=int(n_candidates))


def _raise_unreadable(hashed: DataFrame, base: DataFrame, ident: str | None, image: str) -> None:
    """The local engine's error for images that cannot be read, naming the rows by id."""
    from pyspark.sql import functions as F

    bad = hashed.filter(F.col("reason") != "").select(_ROW, "reason")
    first = bad.join(base, _ROW).orderBy(_ROW).limit(6).collect()
    if not first:
        return
    from workbench.dedup.images import unreadable_images_error

    n_bad = bad.count() if len(first) > 5 else len(first)
    raise unreadable_images_error([(r[ident] if ident else r[_ROW], r["reason"]) for r in first[:5]], n_bad,
                                  table="image_captions", column=image)
