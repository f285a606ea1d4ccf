"""Dedup: reference implementations, datasketch as the anchor, planted duplicates, bad input."""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import dedup
from workbench.dedup import clusters, kernels, verify
from workbench.errors import SchemaError, WorkbenchError

MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------------------------------
# helpers: a generated corpus with known edit rates, pure-Python references
# ---------------------------------------------------------------------------------------


def make_corpus(n_base: int = 600, *, words: int = 80, rng: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random-word originals plus copies with known word-substitution rates (0 to 20%)."""
    gen = np.random.default_rng(rng)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = np.array(["".join(gen.choice(letters, gen.integers(2, 9))) for _ in range(8_000)], dtype=object)
    base = (gen.zipf(1.3, size=(n_base, words)) - 1) % len(vocab)
    rates = np.array([0.0, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2])
    n_dup = n_base // 2
    src = gen.integers(0, n_base, n_dup)
    edit = rates[gen.integers(0, len(rates), n_dup)]
    dup = base[src].copy()
    mask = gen.random(dup.shape) < edit[:, None]
    dup[mask] = gen.integers(0, len(vocab), int(mask.sum()))
    texts = [" ".join(vocab[r]) for r in np.concatenate([base, dup])]
    for i in range(n_base, n_base + n_dup, 7):  # case and whitespace noise on some copies
        texts[i] = texts[i].upper().replace(" ", "  \t", 3)
    ids = [f"doc{i:05d}" for i in range(len(texts))]
    corpus = pd.DataFrame({"doc_id": ids, "text": texts, "source": np.where(np.arange(len(texts)) < n_base, "web", "mirror")})
    truth = pd.DataFrame({"doc_id": ids[n_base:], "duplicate_of": [ids[s] for s in src], "edit_rate": edit})
    return corpus, truth


@pytest.fixture(scope="module")
def generated() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_corpus()


def _mix(h: int) -> int:
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & MASK64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & MASK64
    return h ^ (h >> 31)


def ref_token_hash(token: str) -> int:
    """Pure-Python reference of the token hash: little-endian 8-byte words, splitmix64 rounds."""
    b = token.encode("utf-8")
    words = [int.from_bytes(b[k : k + 8], "little") for k in range(0, len(b), 8)]
    h = _mix(words[0] ^ ((len(b) * 0xD6E8FEB86659FD93) & MASK64))
    for w in words[1:]:
        h = _mix((h * 0x9E3779B97F4A7C15 + w) & MASK64)
    return h


def ref_shingle_hashes(text: str, ngram: int) -> list[int]:
    """Pure-Python reference of the word shingle hashes (token hash, Horner, splitmix64)."""
    toks = dedup.normalize_text(text).split()
    if not toks:
        return []
    tok_h = [ref_token_hash(t) for t in toks]
    windows = [tok_h[i : i + ngram] for i in range(len(toks) - ngram + 1)] if len(toks) >= ngram else [tok_h]
    out = []
    for w in windows:
        h = 0
        for v in w:
            h = (h * 0x9E3779B97F4A7C15 + v) & MASK64
        out.append(_mix(h))
    return out


def exact_jaccard(a: str, b: str, ngram: int = 5) -> float:
    ta, tb = dedup.normalize_text(a).split(), dedup.normalize_text(b).split()
    sa = {" ".join(ta[i : i + ngram]) for i in range(max(len(ta) - ngram + 1, 1))} if ta else set()
    sb = {" ".join(tb[i : i + ngram]) for i in range(max(len(tb) - ngram + 1, 1))} if tb else set()
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


# ---------------------------------------------------------------------------------------
# normalization and shingling
# ---------------------------------------------------------------------------------------


def test_normalize_text_nfkc_casefold_whitespace():
    assert dedup.normalize_text("Ｆｕｌｌ\u3000ＷＩＤＴＨ") == "full width"  # NFKC
    assert dedup.normalize_text("STRASSE") == dedup.normalize_text("straße")  # casefold, not lower
    assert dedup.normalize_text(" a\t\n b\u00a0 c\u2028d ") == "a b c d"
    assert dedup.normalize_text("ﬁne") == "fine"  # ligature


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab Zé\t\n\u00a0\u2028\u3000\x1c\x85ﬁ.ß€😀")), max_size=40), min_size=1, max_size=6))
def test_word_shingles_equal_python_reference(texts):
    h, off = kernels.shingle_hashes(texts, ngram=3)
    for i, t in enumerate(texts):
        assert h[off[i] : off[i + 1]].tolist() == ref_shingle_hashes(t, 3)


def test_tokenization_is_deterministic_at_the_buffer_end():
    # pyarrow 26's split once left "a " unsplit at the very end of its buffer, at random
    texts = [" zsséss a ss😀€   \tzb  ", " .", "\n € éé.   bz a "]
    want = [t.split() for t in texts]
    for _ in range(300):
        h, off = kernels.word_token_hashes(texts)
        assert np.diff(off).tolist() == [len(w) for w in want]
        assert h.tolist() == [ref_token_hash(t) for w in want for t in w]


def test_long_tokens_hash_like_the_reference():
    texts = ["x" * 8 + " " + "x" * 9 + " " + "ü" * 23 + " " + "y" * 64 + "z", "a"]
    h, off = kernels.word_token_hashes(texts)
    assert h.tolist() == [ref_token_hash(t) for t in texts[0].split()] + [ref_token_hash("a")]
    assert len(set(h.tolist())) == 5


def test_char_shingles_count_and_identity():
    h, off = kernels.shingle_hashes(["abcdef", "ABC  DEF", "ab", ""], ngram=3, unit="char")
    assert np.diff(off).tolist() == [4, 5, 1, 0]
    # "abc" opens both texts; "def" closes both
    assert h[0] == h[4] and h[3] == h[8]


def test_short_and_empty_documents():
    h, off = kernels.shingle_hashes(["one two", "", "   ", "one two"], ngram=5)
    assert np.diff(off).tolist() == [1, 0, 0, 1]
    assert h[0] == h[1]


# ---------------------------------------------------------------------------------------
# MinHash against datasketch
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7)])
def test_signatures_equal_datasketch_affine32(num_perm, seed):
    from datasketch import MinHash

    rng = np.random.default_rng(3)
    lengths = [1, 2, 5, 17, 80, 80, 81, 300, 5_000]  # mixed blocks and the long-document path
    hashes = rng.integers(0, 2**63, sum(lengths), dtype=np.uint64) * np.uint64(2)
    off = np.concatenate([[0], np.cumsum(lengths)])
    ours = kernels.minhash_signatures(hashes, off, num_perm=num_perm, seed=seed)
    for d in range(len(lengths)):
        m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=lambda v: v)
        m.update_batch([int(v) & 0xFFFFFFFF for v in hashes[off[d] : off[d + 1]]])
        np.testing.assert_array_equal(ours[d], m.hashvalues)


def test_empty_signature_is_datasketch_empty():
    from datasketch import MinHash

    sig = kernels.minhash_signatures(np.zeros(0, np.uint64), np.array([0, 0]), num_perm=16)
    np.testing.assert_array_equal(sig[0], MinHash(num_perm=16).hashvalues)


def test_compiled_kernels_from_several_threads_at_once_agree():
    # numba's default threading layer aborts the process when two Python threads enter a
    # parallel kernel at once; compiled.LOCK makes callers wait instead
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"doc {i} " + "the quick brown fox jumps over the lazy dog " * (i % 7 + 1) for i in range(3_000)]
    want = kernels.hash_and_sign(texts, ngram=5, unit="word", num_perm=64, seed=3, method="minhash")
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda _: kernels.hash_and_sign(texts, ngram=5, unit="word", num_perm=64, seed=3,
                                                             method="minhash"), range(8)))
    for h, off, sig in got:
        assert (h == want[0]).all() and (off == want[1]).all() and (sig == want[2]).all()


def test_compiled_signatures_do_not_depend_on_the_thread_count():
    import numba

    h, off = kernels.shingle_hashes([f"w{i % 97} w{i % 13} w{i % 5} w{i}" * 3 for i in range(500)], ngram=3)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = kernels.minhash_signatures(h, off, num_perm=32)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, kernels.minhash_signatures(h, off, num_perm=32))


def test_jaccard_estimates_agree_with_datasketch_and_truth(generated):
    """Unselected pairs: our estimate and datasketch's (SHA-1 of shingle strings) are both
    unbiased for the exact Jaccard, with the binomial spread sqrt(J(1-J)/128)."""
    from datasketch import MinHash

    corpus, truth = generated
    texts = corpus["text"].tolist()
    pos = pd.Series(np.arange(len(corpus)), index=corpus["doc_id"])
    pairs = np.stack([pos[truth["doc_id"]].to_numpy(), pos[truth["duplicate_of"]].to_numpy()], axis=1)
    exact = np.array([exact_jaccard(texts[i], texts[j]) for i, j in pairs])
    h, off = kernels.shingle_hashes(texts)
    ours = verify.signature_similarity(kernels.minhash_signatures(h, off), pairs)

    def shingles(t):
        toks = dedup.normalize_text(t).split()
        return [" ".join(toks[i : i + 5]).encode() for i in range(len(toks) - 4)]

    theirs = []
    for i, j in pairs:
        a, b = MinHash(num_perm=128), MinHash(num_perm=128)
        a.update_batch(shingles(texts[i]))
        b.update_batch(shingles(texts[j]))
        theirs.append(a.jaccard(b))
    theirs = np.array(theirs)
    se = np.sqrt(exact * (1 - exact) / 128)
    for est in (ours, theirs):
        z = (est - exact).mean() / (np.sqrt((se**2).sum()) / len(exact))
        assert abs(z) < 4
        assert 0.7 < (est - exact).std() / se[se > 0].mean() < 1.3
    assert np.corrcoef(ours, theirs)[0, 1] > 0.9


def test_pair_jaccard_matches_python_sets(generated):
    corpus, _ = generated
    texts = corpus["text"].tolist()
    rng = np.random.default_rng(1)
    pairs = np.sort(rng.choice(len(texts), size=(200, 2)), axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs = np.concatenate([pairs, [[0, len(texts) - 1], [5, 600]]])
    got = verify.pair_jaccard(texts, pairs, ngram=5, unit="word", chunk_size=37, max_elements=500)
    want = [exact_jaccard(texts[i], texts[j]) for i, j in pairs]
    np.testing.assert_allclose(got, want, atol=1e-12)


# ---------------------------------------------------------------------------------------
# LSH
# ---------------------------------------------------------------------------------------


def test_lsh_params_put_recall_at_the_threshold():
    from datasketch.lsh import _optimal_param

    b, r = dedup.lsh_params(0.8, 128)
    assert b * r <= 128
    assert dedup.candidate_probability(0.8, b, r) >= 0.95
    # datasketch's equal-weight choice: 9 × 13, only 40% candidate probability at 0.8
    assert _optimal_param(0.8, 128, 0.5, 0.5) == (9, 13)
    assert dedup.candidate_probability(0.8, 9, 13) == pytest.approx(1 - (1 - 0.8**13) ** 9)
    assert dedup.candidate_probability(0.8, 9, 13) < 0.45
    # with recall not required, our objective is datasketch's
    assert dedup.lsh_params(0.8, 128, min_recall=0.0) == (9, 13)
    # far below the threshold a pair rarely becomes a candidate
    assert dedup.candidate_probability(0.3, b, r) < 0.05


def test_bucket_pairs_equal_brute_force():
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 6, size=(60, 3)).astype(np.uint64)
    eligible = rng.random(60) > 0.1
    got = {tuple(p) for p in kernels.bucket_pairs(keys, eligible).tolist()}
    want = {
        (i, j)
        for i in range(60)
        for j in range(i + 1, 60)
        if eligible[i] and eligible[j] and (keys[i] == keys[j]).any()
    }
    assert got == want


def test_bucket_pairs_cap_keeps_large_buckets_connected():
    keys = np.zeros((500, 1), np.uint64)
    pairs = kernels.bucket_pairs(keys, max_partners=3)
    assert len(pairs) < 500 * 4
    labels = clusters.components(500, pairs)
    assert len(np.unique(labels)) == 1


# ---------------------------------------------------------------------------------------
# planted duplicates: recall and precision against exact Jaccard
# ---------------------------------------------------------------------------------------


def test_minhash_recall_precision_generated(generated):
    corpus, truth = generated
    res = dedup.deduplicate(corpus, method="minhash", threshold=0.8)
    ev = dedup.evaluate(corpus, res)
    assert ev.n_true_pairs > 100
    assert ev.recall >= 0.95
    assert ev.precision >= 0.95
    # every exact copy (edit rate 0, incl. case/whitespace noise) is found
    cl = res.clusters.set_index("doc_id")["cluster_id"]
    exact = truth[truth["edit_rate"] == 0]
    assert (cl[exact["doc_id"]].to_numpy() == cl[exact["duplicate_of"]].to_numpy()).all()
    # copies with 20% of words replaced are far below 0.8 Jaccard and are not linked to their source
    far = truth[truth["edit_rate"] == 0.2]
    assert (cl[far["doc_id"]].to_numpy() != cl[far["duplicate_of"]].to_numpy()).mean() > 0.95
    # verified similarities are the exact ones
    member = res.clusters[~res.clusters["is_representative"]].head(50)
    text = corpus.set_index("doc_id")["text"]
    for _, row in member.iterrows():
        assert row["similarity"] == pytest.approx(exact_jaccard(text[row["doc_id"]], text[row["representative_id"]]))
    for _, row in res.pairs.head(40).iterrows():
        assert row["similarity"] == pytest.approx(exact_jaccard(text[row["doc_id_a"]], text[row["doc_id_b"]]))


def test_minhash_estimated_mode_generated(generated):
    corpus, _ = generated
    res = dedup.deduplicate(corpus, method="minhash", threshold=0.8, verify=False)
    assert not res.verified
    ev = dedup.evaluate(corpus, res)
    assert ev.recall >= 0.9 and ev.precision >= 0.85


def test_minhash_sample_corpus(data_samples):
    path = data_samples / "corpus.jsonl"
    if not path.exists():
        pytest.skip("data_samples/corpus.jsonl not generated")
    from workbench.io import load_table

    corpus = load_table(path, kind="corpus")
    truth = pd.read_csv(data_samples / "truth" / "corpus_rows.csv", dtype=str)
    res = dedup.deduplicate(corpus, method="minhash", threshold=0.8)
    ev = dedup.evaluate(corpus, res)
    assert ev.recall >= 0.95 and ev.precision >= 0.95
    assert ev.n_true_pairs > 300
    cl = res.clusters.set_index("doc_id")["cluster_id"]
    exact = truth[truth["kind"] == "exact_duplicate"]
    assert (cl[exact["doc_id"]].to_numpy() == cl[exact["duplicate_of"]].to_numpy()).all()
    # the exact method finds the exact (normalized) copies, every variant of them
    ex = dedup.find_duplicates(corpus, method="exact").set_index("doc_id")["cluster_id"]
    assert (ex[exact["doc_id"]].to_numpy() == ex[exact["duplicate_of"]].to_numpy()).all()


def test_null_corpus_has_no_duplicates():
    corpus, _ = make_corpus(400, rng=5)
    corpus = corpus.iloc[:400]  # originals only: random texts, no copies
    for method in ("minhash", "simhash", "exact"):
        res = dedup.deduplicate(corpus, method=method)
        assert res.clusters["is_representative"].all(), method
        assert res.clusters["cluster_size"].eq(1).all()


def test_chunking_does_not_change_results(generated):
    corpus, _ = generated
    a = dedup.find_duplicates(corpus, method="minhash")
    b = dedup.find_duplicates(corpus, method="minhash", chunk_size=97)
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------------------------------
# exact, SimHash, semantic, keep policies
# ---------------------------------------------------------------------------------------


def test_exact_normalizes_and_keeps_policies():
    corpus = pd.DataFrame(
        {
            "doc_id": ["a", "b", "c", "d", "e"],
            "text": ["Hello World", "hello   world", "HELLO\u00a0WORLD!", "ｈｅｌｌｏ world", "other"],
            "quality": [0.1, 0.9, 0.5, 0.2, 0.3],
        }
    )
    first = dedup.find_duplicates(corpus, method="exact")
    assert first["cluster_id"].tolist() == [0, 0, 1, 0, 2]
    assert first["is_representative"].tolist() == [True, False, True, False, True]
    assert first["representative_id"].tolist() == ["a", "a", "c", "a", "e"]
    longest = dedup.find_duplicates(corpus, method="exact", keep="longest")
    assert longest["representative_id"].tolist()[:2] == ["b", "b"]  # "hello   world" is longest
    best = dedup.find_duplicates(corpus, method="exact", keep=lambda df: df["quality"])
    assert best["representative_id"].tolist()[:2] == ["b", "b"]
    assert best.loc[best["is_representative"], "doc_id"].tolist() == ["b", "c", "e"]


def _ref_simhash(hashes: np.ndarray) -> int:
    votes = np.zeros(64)
    for h in hashes.tolist():
        votes += [1 if (h >> k) & 1 else -1 for k in range(64)]
    return sum(1 << k for k in range(64) if votes[k] > 0)


def test_simhash_fingerprint_matches_reference_and_finds_near_copies(generated):
    corpus, truth = generated
    h, off = kernels.shingle_hashes(corpus["text"].head(20).tolist())
    fp = kernels.simhash_fingerprints(h, off)
    for d in range(20):
        assert int(fp[d]) == _ref_simhash(h[off[d] : off[d + 1]])
    res = dedup.deduplicate(corpus, method="simhash", max_hamming=3)
    cl = res.clusters.set_index("doc_id")["cluster_id"]
    exact = truth[truth["edit_rate"] == 0]
    assert (cl[exact["doc_id"]].to_numpy() == cl[exact["duplicate_of"]].to_numpy()).all()
    ev = dedup.evaluate(corpus, res)
    assert ev.precision >= 0.95  # near-exact copies only: precise, lower recall than MinHash
    assert (res.pairs["similarity"] >= 1 - 3 / 64).all()


def test_simhash_block_keys_find_every_pair_within_k():
    rng = np.random.default_rng(2)
    base = rng.integers(0, 2**63, 50, dtype=np.uint64)
    flips = [np.uint64(sum(1 << int(b) for b in rng.choice(64, k, replace=False))) for k in rng.integers(0, 4, 50)]
    fps = np.concatenate([base, base ^ np.array(flips, dtype=np.uint64)])
    pairs = kernels.bucket_pairs(kernels.simhash_block_keys(fps, 3))
    found = {tuple(p) for p in pairs.tolist()}
    assert all((i, i + 50) in found for i in range(50))


@pytest.mark.slow
def test_semantic_finds_paraphrases():
    corpus = pd.DataFrame(
        {
            "doc_id": ["p1", "p2", "x1", "x2"],
            "text": [
                "The cat is sleeping on the sofa.",
                "A cat sleeps on the couch.",
                "Quarterly revenue grew by twelve percent.",
                "How do I reset my router password?",
            ],
        }
    )
    res = dedup.deduplicate(corpus, method="semantic", threshold=0.7)
    cl = res.clusters
    assert cl["cluster_id"].tolist()[:2] == [0, 0]
    assert cl["cluster_size"].tolist() == [2, 2, 1, 1]
    assert 0.7 <= cl.loc[1, "similarity"] < 1.0


def test_semantic_missing_model_says_how_to_fix(tmp_path):
    from workbench.errors import ModelNotAvailableError

    corpus = pd.DataFrame({"doc_id": ["a"], "text": ["x"]})
    with pytest.raises(ModelNotAvailableError, match="local sentence-transformers folder"):
        dedup.deduplicate(corpus, method="semantic", model="no-such-org/no-such-model")


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------


def test_bad_input_errors():
    ok = pd.DataFrame({"doc_id": ["a", "b"], "text": ["x y", "x y"]})
    with pytest.raises(SchemaError, match="missing column.*'doc_id'"):
        dedup.find_duplicates(ok.rename(columns={"doc_id": "id"}))
    with pytest.raises(SchemaError, match="share the same.*doc_id"):
        dedup.find_duplicates(ok.assign(doc_id=["a", "a"]))
    with pytest.raises(SchemaError, match="'doc_id': 1 missing value"):
        dedup.find_duplicates(ok.assign(doc_id=["a", None]))
    with pytest.raises(SchemaError, match="must hold text but holds int 7"):
        dedup.find_duplicates(pd.DataFrame({"doc_id": ["a", "b"], "text": ["x", 7]}, dtype=object))
    with pytest.raises(SchemaError, match="'text': 1 missing value.*fill"):
        dedup.find_duplicates(pd.DataFrame({"doc_id": ["a", "b"], "text": ["x", None]}))
    with pytest.raises(SchemaError, match="is empty"):
        dedup.find_duplicates(ok.iloc[:0])
    with pytest.raises(WorkbenchError, match="method='fuzzy' is not valid"):
        dedup.find_duplicates(ok, method="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="threshold=1.5 must be"):
        dedup.find_duplicates(ok, threshold=1.5)
    with pytest.raises(WorkbenchError, match="ngram=0 must be"):
        dedup.find_duplicates(ok, ngram=0)
    with pytest.raises(WorkbenchError, match="keep='best' is not valid"):
        dedup.find_duplicates(ok, keep="best")  # type: ignore[arg-type]
    with pytest.raises(WorkbenchError, match="one number per row"):
        dedup.find_duplicates(ok, keep=lambda df: [1.0])
    with pytest.raises(WorkbenchError, match="exceeds num_perm"):
        dedup.find_duplicates(ok, bands=20, rows=10)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        dedup.find_duplicates(["x", "y"])  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="lacks 1 doc_id"):
        dedup.evaluate(ok, pd.DataFrame({"doc_id": ["a"], "cluster_id": [0]}))


def test_empty_texts_are_singletons():
    corpus = pd.DataFrame({"doc_id": list("abcde"), "text": ["", "   ", "\n", "same words here", "Same words here"]})
    for method in ("exact", "minhash", "simhash"):
        res = dedup.deduplicate(corpus, method=method, ngram=2)
        cl = res.clusters
        assert res.n_empty == 3, method
        assert cl["is_representative"].tolist() == [True, True, True, True, False], method
        assert cl["cluster_id"].nunique() == 4


def test_evaluate_on_a_cluster_table_detects_overmerging(generated):
    corpus, _ = generated
    lumped = pd.DataFrame({"doc_id": corpus["doc_id"], "cluster_id": (np.arange(len(corpus)) % 3)})
    ev = dedup.evaluate(corpus, lumped)
    assert ev.cluster_precision < 0.05
    nothing = pd.DataFrame({"doc_id": corpus["doc_id"], "cluster_id": np.arange(len(corpus))})
    assert dedup.evaluate(corpus, nothing).recall == 0.0


def test_evaluate_sampled_mode_agrees(generated):
    corpus, _ = generated
    res = dedup.deduplicate(corpus, method="minhash")
    ev = dedup.evaluate(corpus, res, max_docs=300, rng=0)
    assert ev.sampled and ev.n_docs_checked == 300
    assert ev.recall >= 0.95 and ev.precision >= 0.95


def test_result_summary_and_frame(generated):
    corpus, _ = generated
    res = dedup.deduplicate(corpus, method="minhash")
    assert "MinHash-LSH" in res.summary() and "13 bands × 7 rows" in res.summary()
    frame = res.to_frame()
    assert list(frame.columns[:4]) == ["doc_id", "cluster_id", "is_representative", "similarity"]
    assert len(frame) == len(corpus) and frame["doc_id"].tolist() == corpus["doc_id"].tolist()
    assert 0 < res.duplicate_rate < 0.5
    assert (frame.loc[frame["is_representative"], "similarity"] == 1.0).all()


# ---------------------------------------------------------------------------------------
# CLI and plots
# ---------------------------------------------------------------------------------------


def test_cli_dedup_keeps_every_row(tmp_path, generated):
    from typer.testing import CliRunner

    from workbench.cli import app
    from workbench.io import load_table

    corpus, _ = generated
    src = tmp_path / "corpus.jsonl"
    corpus.to_json(src, orient="records", lines=True)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["dedup", str(src), "--method", "minhash", "--threshold", "0.8", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "duplicates" in result.output
    got = load_table(out)
    assert got["doc_id"].tolist() == corpus["doc_id"].tolist()
    assert {"text", "source", "cluster_id", "is_representative", "similarity"} <= set(got.columns)
    assert got["is_representative"].sum() < len(corpus)


def test_cli_dedup_bad_input_message(tmp_path):
    from workbench.cli import main

    src = tmp_path / "c.csv"
    pd.DataFrame({"doc_id": ["a", "a"], "text": ["x", "y"]}).to_csv(src, index=False)
    import sys

    argv = sys.argv
    sys.argv = ["workbench", "dedup", str(src), "--out", str(tmp_path / "o.csv"), "-q"]
    try:
        with pytest.raises(SystemExit) as exc:
            main()
    finally:
        sys.argv = argv
    assert exc.value.code == 2


def test_plots_build(generated):
    from workbench.plots import dedup as dplots

    corpus, _ = generated
    res = dedup.deduplicate(corpus, method="minhash")
    assert len(dplots.cluster_size_figure(res).data) == 1
    assert len(dplots.similarity_histogram(res).layout.shapes) == 1
    assert len(dplots.s_curve_figure(res.threshold, res.bands, res.rows).data) >= 2
    fig = dplots.duplicate_rate_figure(corpus.merge(res.clusters, on="doc_id"), by="source")
    assert set(fig.data[0].x) == {"web", "mirror"}
    html = dplots.diff_html("the quick brown fox", "the quick red fox")
    assert "<del" in html and "<ins" in html and "red" in html


def test_char_unit_and_nfkc_in_shingles():
    a = "Ｃａｆé au lait"
    b = unicodedata.normalize("NFD", "café au lait")
    h, off = kernels.shingle_hashes([a, b], ngram=4, unit="char")
    np.testing.assert_array_equal(h[off[0] : off[1]], h[off[1] : off[2]])
