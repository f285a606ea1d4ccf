"""Spark path: the same clusters and scores as the local path, in ``local[2]`` mode.

Every check compares the Spark result with the local one on the same rows
(``workbench.dedup.find_duplicates``, ``workbench.scoring.score_texts``); the connected
components are checked against scipy on graphs with long chains. Skipped, with the reason,
where pyspark or Java 17 is missing.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench import dedup
from workbench.errors import SchemaError, WorkbenchError

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'workbench[spark]')")

from workbench import spark as wspark  # noqa: E402
from workbench.dedup import spark as dspark  # noqa: E402

_OK, _WHY = wspark.spark_available()
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(not _OK, reason=f"Spark tests need pyspark and Java 17: {_WHY}"),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


@pytest.fixture(scope="module")
def spark():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        session = wspark.spark_session("local[2]", shuffle_partitions=8, driver_memory="2g")
    yield session
    session.stop()


def planted_corpus(n_docs: int, *, rng: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random-word documents with planted duplicates of every kind the pipeline handles.

    Kinds: originals; exact copies with case/whitespace/NFKC changes; near copies with
    0.5–5% of words replaced (some above, some below Jaccard 0.8, so verification matters);
    chains (each copy edits the previous one, so clusters have long paths); one bucket of
    150 identical copies (more than the 100 partners a document is paired with); empty
    and whitespace-only texts. Rows are shuffled. Returns the corpus and per-row truth.
    """
    g = np.random.default_rng(rng)
    vocab = np.array([f"w{i:05d}" for i in range(20_000)], dtype=object)
    n_orig = int(n_docs * 0.7)
    lengths = g.integers(20, 120, n_orig)
    words = [list(vocab[g.integers(0, len(vocab), k)]) for k in lengths]
    texts = [" ".join(w) for w in words]
    kind = ["original"] * n_orig
    source = list(range(n_orig))

    def edit(ws: list[str], rate: float) -> list[str]:
        ws = list(ws)
        k = max(1, int(round(rate * len(ws))))
        for j in g.choice(len(ws), size=min(k, len(ws)), replace=False):
            ws[j] = "x" + str(g.integers(1_000_000))
        return ws

    n_exact = int(n_docs * 0.08)
    for i in g.integers(0, n_orig, n_exact):
        t = texts[i]
        variant = g.integers(3)
        t = t.upper() if variant == 0 else ("  " + t.replace(" ", " \u00a0 ") if variant == 1 else t.replace("w", "\uff57"))
        texts.append(t), kind.append("exact"), source.append(int(i))
    n_near = int(n_docs * 0.12)
    for i in g.integers(0, n_orig, n_near):
        texts.append(" ".join(edit(words[i], g.uniform(0.005, 0.05)))), kind.append("near"), source.append(int(i))
    n_chain = 0
    target = n_docs - len(texts) - 152
    while n_chain + 12 <= target:
        i = int(g.integers(n_orig))
        ws = words[i]
        for _ in range(int(g.integers(4, 12))):
            ws = edit(ws, 0.01)
            texts.append(" ".join(ws)), kind.append("chain"), source.append(i)
            n_chain += 1
    big = int(g.integers(n_orig))
    texts += [texts[big]] * 150 + ["", "   \n "]
    kind += ["bucket"] * 150 + ["empty", "empty"]
    source += [big] * 150 + [-1, -1]
    while len(texts) < n_docs:
        texts.append(" ".join(vocab[g.integers(0, len(vocab), 50)])), kind.append("original"), source.append(len(texts) - 1)
    perm = g.permutation(len(texts))
    corpus = pd.DataFrame({"doc_id": [f"doc{i:06d}" for i in range(len(texts))], "text": [texts[p] for p in perm]})
    where = np.argsort(perm)  # shuffled row of each unshuffled document
    src = np.array([source[p] for p in perm])
    truth = pd.DataFrame(
        {"doc_id": corpus["doc_id"], "kind": [kind[p] for p in perm], "source_row": np.where(src >= 0, where[np.maximum(src, 0)], -1)}
    )
    return corpus, truth


def assert_same(local: pd.DataFrame, remote: pd.DataFrame) -> None:
    local = local.reset_index(drop=True)
    assert list(remote.columns) == list(local.columns)
    pd.testing.assert_frame_equal(remote, local, check_dtype=False, rtol=0, atol=0)


# --------------------------------------------------------------------------------------
# dedup
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_minhash_same_clusters_as_local_on_50k_planted(spark):
    corpus, truth = planted_corpus(50_000, rng=1)
    local = dedup.find_duplicates(corpus, threshold=0.8)
    res = wspark.deduplicate(spark.createDataFrame(corpus), threshold=0.8, validate=False)
    remote = res.to_frame()
    assert_same(local, remote)
    # the planted structure is really there (the comparison is not between two empty results)
    cid = remote["cluster_id"].to_numpy()
    planted = truth["source_row"].to_numpy() >= 0
    with_source = pd.Series(cid[planted] == cid[truth["source_row"].to_numpy()[planted]]).groupby(
        truth.loc[planted, "kind"].to_numpy()
    ).mean()
    assert with_source["exact"] == 1.0 and with_source["bucket"] == 1.0  # every exact copy found
    assert 0.2 < with_source["near"] < 1.0  # near copies on both sides of Jaccard 0.8
    assert with_source["chain"] > 0.2
    assert (~remote["is_representative"]).sum() > 5_000
    assert res.n_candidates > res.n_duplicate_pairs > 0  # verification rejected candidates
    big = remote.loc[(truth["kind"] == "bucket").to_numpy(), "cluster_size"]
    assert (big >= 151).all()  # 150 copies + original, connected despite the 100-partner cap
    assert [name for name, _ in res.stage_seconds][0] == "read and number the rows"


@pytest.fixture(scope="module")
def small(spark):
    corpus, _ = planted_corpus(1_500, rng=2)
    corpus["quality"] = np.random.default_rng(3).normal(size=len(corpus))
    return corpus, spark.createDataFrame(corpus)


@pytest.mark.parametrize(
    "options",
    [
        {"keep": "longest", "ngram": 3},
        {"keep": "first", "verify": False, "threshold": 0.7},
        {"method": "exact"},
        {"unit": "char", "ngram": 7, "threshold": 0.85},
    ],
    ids=["longest", "unverified", "exact", "char-shingles"],
)
def test_same_result_as_local_for_each_option(spark, small, options):
    corpus, sdf = small
    local = dedup.find_duplicates(corpus.drop(columns=["quality"]), **options)
    remote = wspark.find_duplicates(sdf, validate=False, **options).toPandas()
    assert_same(local, remote)
    assert (~local["is_representative"]).sum() > 50


def test_callable_keep_and_renamed_columns(spark, small):
    corpus, _ = small
    renamed = corpus.rename(columns={"doc_id": "id", "text": "body"})
    local = dedup.find_duplicates(renamed, keep=lambda df: df["quality"], doc_id="id", text="body")
    remote = wspark.find_duplicates(
        spark.createDataFrame(renamed), keep=lambda df: df["quality"], doc_id="id", text="body"
    ).toPandas()
    assert_same(local, remote)


def test_order_column_gives_input_order(spark, small):
    corpus, _ = small
    shuffled = corpus.assign(pos=np.arange(len(corpus))).sample(frac=1.0, random_state=0)
    remote = wspark.find_duplicates(spark.createDataFrame(shuffled).repartition(5), order="pos", validate=False)
    local = dedup.find_duplicates(corpus)
    assert_same(local, remote.toPandas())


def test_connected_components_equal_scipy_on_chains(spark):
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    g = np.random.default_rng(0)
    n = 3_000
    perm = g.permutation(n)
    chains = [np.stack([perm[s : s + 199], perm[s + 1 : s + 200]], axis=1) for s in range(0, 1_000, 200)]
    rand = g.integers(1_000, n, size=(900, 2))
    rand = rand[rand[:, 0] != rand[:, 1]]  # self-loops are dropped (a node alone is its own label)
    edges = np.concatenate([*chains, rand])
    comp, rounds = dspark.connected_components(
        spark.createDataFrame(pd.DataFrame(edges, columns=["a", "b"]).astype("int64")), max_iter=50
    )
    got = comp.toPandas().set_index("node")["label"]
    _, lab = connected_components(
        sparse.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n)), directed=False
    )
    nodes = np.unique(edges)
    expected = pd.Series(nodes, index=nodes).groupby(lab[nodes]).transform("min")
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False, check_dtype=False)
    assert 2 <= rounds < 50  # paths of 200 nodes need more than one round


def test_bad_input_errors(spark):
    df = spark.createDataFrame(pd.DataFrame({"doc_id": ["a", "b", "a"], "text": ["x y", "z", "q"]}))
    with pytest.raises(SchemaError, match=r"'doc_id' must be unique.*\['a'\]"):
        wspark.find_duplicates(df)
    with pytest.raises(SchemaError, match=r"missing column\(s\) \['body'\]"):
        wspark.find_duplicates(df, text="body")
    nulls = spark.createDataFrame([("a", "x"), ("b", None)], "doc_id string, text string")
    with pytest.raises(SchemaError, match=r"column 'text' has missing values \(first rows: 'b'\)"):
        wspark.find_duplicates(nulls)
    nums = spark.createDataFrame([("a", 1)], "doc_id string, text long")
    with pytest.raises(SchemaError, match="must hold text"):
        wspark.find_duplicates(nums)
    with pytest.raises(WorkbenchError, match="method"):
        wspark.find_duplicates(df, method="simhash", validate=False)
    with pytest.raises(WorkbenchError, match="threshold"):
        wspark.find_duplicates(df, threshold=1.5)
    with pytest.raises(TypeError, match="Spark DataFrame"):
        wspark.find_duplicates(pd.DataFrame({"doc_id": ["a"], "text": ["b"]}))
    nan_keep = spark.createDataFrame(pd.DataFrame({"doc_id": ["a", "b"], "text": ["x", "y"], "q": [1.0, np.nan]}))
    with pytest.raises(WorkbenchError, match=r"keep= callable returned NaN for doc_id \['b'\]"):
        wspark.find_duplicates(nan_keep, keep=lambda d: d["q"])


# --------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------

WORDS = "the a cat dog sat ran on under mat table and with of to is big small red house garden".split()


def _tiny_lm(directory: Path) -> Path:
    """A tiny random GPT-2 with a word-level tokenizer, saved from a config (fast to load)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {"<|endoftext|>": 0, "[UNK]": 1, **{w: i + 2 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", eos_token="<|endoftext|>", pad_token="<|endoftext|>"
    ).save_pretrained(directory)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = GPT2LMHeadModel(GPT2Config(vocab_size=len(vocab), n_embd=32, n_layer=2, n_head=4,
                                           n_positions=64, bos_token_id=0, eos_token_id=0))
    model.save_pretrained(directory)
    return directory


def _score_sample(n: int = 120) -> pd.DataFrame:
    g = np.random.default_rng(5)
    texts = [" ".join(g.choice(WORDS, size=int(g.integers(1, 90)))) for _ in range(n)]
    texts[3] = "Das Wetter ist heute schön und wir gehen hinaus in den Garten."
    texts[7] = "buy now!!! ### ... best price ### ... buy now!!!\nbuy now!!!"
    texts[11] = ""
    return pd.DataFrame({"doc_id": [f"t{i}" for i in range(n)], "text": texts, "source": "web"})


def test_score_equals_local_scorers(spark, tmp_path):
    from workbench.scoring import score_texts

    model = str(_tiny_lm(tmp_path / "tiny"))
    sample = _score_sample()
    metrics = ("text_stats", "language", "perplexity")
    remote = wspark.score(
        spark.createDataFrame(sample).repartition(3), metrics=metrics, model=model, device="cpu", chunk_size=17
    ).toPandas()
    remote = remote.set_index("doc_id").loc[sample["doc_id"]].reset_index()
    local = score_texts(sample["text"], metrics=["stats", "language", "perplexity"], model=model, device="cpu")
    assert list(remote.columns) == ["doc_id", "text", "source", *local.columns]
    for col in local.columns:
        a, b = remote[col], local[col].reset_index(drop=True)
        if col in ("perplexity", "mean_log_likelihood", "bits_per_byte"):  # batching moves float rounding only
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-4, equal_nan=True)
        elif col == "language":
            assert a.tolist() == b.tolist()
        else:
            np.testing.assert_array_equal(a.to_numpy(float), b.to_numpy(float))
    assert remote["language"].iloc[3] == "de" and remote["n_tokens"].iloc[11] == 0
    assert remote["perplexity"].iloc[:11].notna().all()


def test_score_errors(spark):
    df = spark.createDataFrame(pd.DataFrame({"doc_id": ["a"], "body": ["x"]}))
    with pytest.raises(SchemaError, match="no column 'text'"):
        wspark.score(df)
    with pytest.raises(WorkbenchError, match="metrics"):
        wspark.score(df, text="body", metrics=["toxicity"])
    with pytest.raises(SchemaError, match="already has score column"):
        wspark.score(df.withColumnRenamed("doc_id", "n_chars"), text="body", metrics=["stats"])


def test_spark_available_names_the_fix(monkeypatch):
    monkeypatch.setenv("JAVA_HOME", "/nonexistent-java-home")
    ok, why = wspark.spark_available()
    assert not ok and "Java 17" in why and "JAVA_HOME" in why


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def test_cli_engine_spark_writes_what_the_local_engine_writes(spark, tmp_path):
    from typer.testing import CliRunner

    from workbench import io
    from workbench.cli import app

    corpus, _ = planted_corpus(400, rng=4)
    corpus["source"] = np.where(np.arange(len(corpus)) % 2 == 0, "news", "web")
    src = tmp_path / "corpus.jsonl"
    io.save_table(corpus, src)
    runner = CliRunner()
    said = {}
    for engine in ("local", "spark"):
        r = runner.invoke(app, ["dedup", str(src), "-o", str(tmp_path / f"d_{engine}.csv"), "--engine", engine,
                                "--master", "local[2]", "--quiet"])
        assert r.exit_code == 0, r.output
        said[engine] = r.output
        r = runner.invoke(app, ["score", "text", str(src), "-o", str(tmp_path / f"s_{engine}.csv"), "--engine", engine,
                                "-m", "stats", "-m", "language", "--no-cache"])
        assert r.exit_code == 0, r.output
    assert "MinHash-LSH on Spark" in said["spark"] and f"wrote {len(corpus):,} rows" in said["spark"]
    for name in ("d", "s"):
        local = pd.read_csv(tmp_path / f"{name}_local.csv")
        remote = pd.read_csv(tmp_path / f"{name}_spark.csv")
        pd.testing.assert_frame_equal(remote, local, check_dtype=False)
    assert (pd.read_csv(tmp_path / "d_spark.csv")["is_representative"] == False).sum() > 20  # noqa: E712
    r = runner.invoke(app, ["dedup", str(src), "-o", str(tmp_path / "x.csv"), "--engine", "ray"])
    assert r.exit_code != 0


# --------------------------------------------------------------------------------------
# image duplicates (issue 31): hashes per partition, the same banding, the local result
# --------------------------------------------------------------------------------------


def test_image_dedup_equals_the_local_engine(spark, tmp_path):
    import shutil

    from workbench.samples.image_duplicates import make_image_duplicates

    bed = make_image_duplicates(24, out_dir=tmp_path, size=48, copies=1.0, rng=5)
    names = list(bed["image"])
    for k in range(3):  # the same picture in three more files: one pixel group, chained
        shutil.copy(tmp_path / names[0], tmp_path / f"again{k}.png")
        names.append(f"again{k}.png")
    table = pd.DataFrame({"pair_id": [f"p{i}" for i in range(len(names))], "image": names,
                          "pos": np.random.default_rng(0).permutation(len(names))}).sort_values("pos")
    sdf = spark.createDataFrame(table).repartition(3)
    for method, threshold, keep in (("phash", None, "largest"), ("image-exact", None, "first")):  # dhash: phash's path
        local = dedup.deduplicate_images(table, method=method, threshold=threshold, keep=keep, base_dir=tmp_path)
        remote = dspark.deduplicate_images(sdf, method=method, threshold=threshold, keep=keep, base_dir=tmp_path,
                                           order="pos")
        pd.testing.assert_frame_equal(remote.to_frame(), local.to_frame().reset_index(drop=True))
        got = remote.pairs.toPandas()
        assert got["verified"].all()
        assert sorted(map(tuple, got[["image_a", "image_b", "distance"]].to_numpy().tolist())) == sorted(
            map(tuple, local.pairs[["image_a", "image_b", "distance"]].to_numpy().tolist())), method
        assert (~local.frame["kept"]).sum() >= 3
    assert "on Spark" in remote.summary()
    (tmp_path / "broken.png").write_bytes(b"not a png")
    bad = spark.createDataFrame(pd.DataFrame({"pair_id": ["a", "b", "c"], "image": [names[0], "broken.png", "../x.png"]}))
    with pytest.raises(WorkbenchError, match=r"2 image\(s\) cannot be read — row b: unreadable.*row c: path leads outside"):
        dspark.deduplicate_images(bad, base_dir=tmp_path)
    with pytest.raises(WorkbenchError, match="method"):
        dspark.deduplicate_images(sdf, method="clip")  # type: ignore[arg-type]


def test_cli_dedup_by_image_on_spark_writes_the_local_audit(spark, tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.samples import make_image_captions

    s = make_image_captions(40, out_dir=tmp_path, rng=6)
    s.tables["image_captions"].to_csv(tmp_path / "pairs.csv", index=False)
    runner = CliRunner()
    for engine in ("local", "spark"):
        r = runner.invoke(app, ["dedup", str(tmp_path / "pairs.csv"), "--by", "image", "--method", "dhash", "--threshold",
                                "6", "--engine", engine, "--master", "local[2]", "-q", "-o", str(tmp_path / f"{engine}.csv")])
        assert r.exit_code == 0, r.output
    local, remote = pd.read_csv(tmp_path / "local.csv"), pd.read_csv(tmp_path / "spark.csv")
    pd.testing.assert_frame_equal(remote, local[remote.columns.tolist()], check_dtype=False)
    assert (~local["kept"]).sum() >= 2 and "dhash on Spark" in r.output
    r = runner.invoke(app, ["dedup", str(tmp_path / "pairs.csv"), "--by", "pair", "--engine", "spark", "-o",
                            str(tmp_path / "x.csv")])
    assert isinstance(r.exception, WorkbenchError) and "local engine only" in str(r.exception)
