"""The dedup_audit analysis (issue 26): checks without a kernel, planted duplicates found and
none on a corpus of distinct documents, and ``workbench dedup`` (local engine) printing the
analysis' numbers on the sample corpus and on a corpus with renamed columns."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.analyses import dedup_audit
from workbench.cli import app


def _corpus(n: int, n_copies: int, seed: int) -> tuple[pd.DataFrame, set[str]]:
    """Random-word documents; ``n_copies`` of them copy an original with one word changed."""
    g = np.random.default_rng(seed)
    vocab = np.array([f"w{i:05d}" for i in range(20_000)], dtype=object)
    words = [list(vocab[g.integers(0, len(vocab), 80)]) for _ in range(n)]
    copied: set[str] = set()
    for j, i in enumerate(g.choice(n, size=n_copies, replace=False)):
        w = list(words[i])
        w[int(g.integers(len(w)))] = f"x{j}"
        words.append(w)
        copied.add(f"c{j}")
    ids = [f"d{i}" for i in range(n)] + [f"c{j}" for j in range(n_copies)]
    return pd.DataFrame({"doc_id": ids, "text": [" ".join(w) for w in words],
                         "source": ["web" if i % 2 else "news" for i in range(len(ids))]}), copied


@pytest.fixture(scope="module")
def sample_result(data_samples: Path) -> dedup_audit.DedupAuditReport:
    return dedup_audit.run(corpus_path=data_samples / "corpus.jsonl")


def test_checks_pass_on_the_sample_without_a_kernel(sample_result: dedup_audit.DedupAuditReport) -> None:
    assert sample_result.checks().ok, sample_result.checks().summary()
    v = sample_result.verdict
    assert v.outcome == "duplicates" and v.tone == "warning" and 3 <= len(v.bullets) <= 5
    assert v.headline == ("minhash at 0.8: 7.7% of 5,000 documents are duplicates "
                          "(precision 1.00, recall 1.00 against exact Jaccard)")
    assert sample_result.n_kept == 4613 and sample_result.group_rates.index[0] == "web"


def test_planted_duplicates_are_found_and_distinct_documents_give_none() -> None:
    corpus, copied = _corpus(300, 40, seed=1)
    planted = dedup_audit.run(corpus)
    assert planted.checks().ok, planted.checks().summary()
    dropped = set(planted.result.clusters.loc[~planted.result.clusters["is_representative"], "doc_id"])
    assert dropped == copied  # the copies, and nothing else, go
    assert planted.verdict.outcome == "duplicates" and planted.n_kept == 300
    null, _ = _corpus(300, 0, seed=2)
    clean = dedup_audit.run(null)
    assert clean.checks().ok, clean.checks().summary()
    assert clean.n_kept == 300 and clean.verdict.outcome == "no_duplicates" and clean.verdict.tone == "good"


def test_checks_fail_on_nonsense(sample_result: dedup_audit.DedupAuditReport) -> None:
    shuffled = sample_result.corpus.iloc[::-1].reset_index(drop=True)
    broken = dataclasses.replace(sample_result, corpus=shuffled)
    assert "one row per document, in input order" in {c.name for c in broken.checks().failed}


def test_missing_group_column_is_a_note() -> None:
    corpus, _ = _corpus(120, 10, seed=3)
    r = dedup_audit.run(corpus.drop(columns=["source"]))
    assert r.group_table() is None and r.group_note() == "no column 'source': per-group rates skipped"


# ---- one computation: `workbench dedup` prints the analysis --------------------------------------------

def _cli(*args: str) -> str:
    out = CliRunner().invoke(app, ["dedup", *args, "--quiet"])
    assert out.exit_code == 0, out.output
    return out.output


def test_dedup_cli_prints_the_analysis_on_the_sample(sample_result: dedup_audit.DedupAuditReport,
                                                     data_samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    text = _cli(str(data_samples / "corpus.jsonl"), "--out", str(out))
    assert text.splitlines()[0] == sample_result.verdict.headline
    for line in (sample_result.kept_line(), sample_result.evaluation_line(), sample_result.result.summary(),
                 sample_result.best_method_line(), sample_result.checks().summary()):
        assert line in text
    written = pd.read_csv(out)
    assert written["doc_id"].tolist() == sample_result.corpus["doc_id"].tolist()
    assert int(written["is_representative"].sum()) == sample_result.n_kept


def test_dedup_cli_on_a_corpus_with_renamed_columns(tmp_path: Path) -> None:
    corpus, _ = _corpus(200, 25, seed=4)
    corpus.rename(columns={"doc_id": "id", "text": "body"}).to_csv(tmp_path / "c.csv", index=False)
    out = tmp_path / "out.csv"
    text = _cli(str(tmp_path / "c.csv"), "--out", str(out), "--doc-id", "id", "--text", "body")
    canonical = dedup_audit.run(corpus)
    via_file = dedup_audit.run(corpus_path=tmp_path / "c.csv", doc_id="id", text="body")
    assert text.splitlines()[0] == via_file.verdict.headline == canonical.verdict.headline
    assert canonical.kept_line() in text
    written = pd.read_csv(out)
    assert {"id", "body", "cluster_id", "is_representative"} <= set(written.columns)
    assert written["id"].tolist() == corpus["doc_id"].tolist()
