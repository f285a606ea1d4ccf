"""Query–document relevance on a 5-point scale with sparse annotator overlap (ordinal)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench._validation import as_rng
from workbench.errors import WorkbenchError
from workbench.samples.base import SAMPLE_START, Picker, Sample, check_count, iso, n_words
from workbench.samples.templates import relevance as T
from workbench.samples.truth import RelevanceTruth

__all__ = ["make_relevance"]


def make_relevance(
    n_items: int = 600,
    n_annotators: int = 30,
    *,
    min_per_item: int = 2,
    max_per_item: int = 4,
    offset_sd: float = 0.35,
    noise_range: tuple[float, float] = (0.3, 0.9),
    rng: int | np.random.Generator | None = 0,
) -> Sample[RelevanceTruth]:
    """Query–document relevance on a 5-point scale with sparse annotator overlap (ordinal).

    Each item has a true level 1–5 (5: the document answers the query; 4: it answers a
    neighbouring question of the same topic; 3: same topic; 2: neighbouring topic; 1: another
    domain) and a latent relevance
    ``level + U(-0.4, 0.4)``. Annotator *j* rates ``clip(round(latent + offset_j + e), 1, 5)``
    with ``offset_j ~ N(0, offset_sd)`` and ``e ~ N(0, noise_j)``, ``noise_j`` uniform in
    ``noise_range``. Each item gets ``min_per_item``–``max_per_item`` distinct annotators.

    Returns
    -------
    Sample
        ``tables``: ``relevance_5pt`` (annotations: item_id, annotator_id, label 1–5,
        timestamp, duration_s), ``relevance_5pt_items`` (item_id, query, document).
        ``truth["rows"]``: item_id, true_level, true_relevance.

    Examples
    --------
    >>> s = make_relevance(50, 10, rng=0)
    >>> sorted(s.tables["relevance_5pt"]["label"].unique().tolist())
    [1, 2, 3, 4, 5]
    """
    check_count("n_items", n_items)
    check_count("n_annotators", n_annotators)
    check_count("min_per_item", min_per_item)
    if not min_per_item <= max_per_item <= n_annotators:
        raise WorkbenchError(
            f"need min_per_item ≤ max_per_item ≤ n_annotators, got {min_per_item}, "
            f"{max_per_item}, {n_annotators}."
        )
    gen = as_rng(rng)
    picker = Picker(gen)
    names = list(T.TOPICS)
    topic = gen.integers(0, len(names), n_items)
    level = gen.integers(1, 6, n_items)
    latent = level + gen.uniform(-0.4, 0.4, n_items)
    queries, docs = [], []
    for t, lv in zip(topic, level, strict=True):
        info = T.TOPICS[names[t]]
        qi = int(picker.u() * len(info["queries"]))  # queries[i] is answered by answer[i]
        queries.append(info["queries"][qi])
        if lv == 1:
            others = [n for n in names if T.TOPICS[n]["domain"] != info["domain"]]
            src = T.TOPICS[picker.pick(others)]
        elif lv == 2:
            sib = [n for n in names if T.TOPICS[n]["domain"] == info["domain"] and n != names[t]]
            src = T.TOPICS[picker.pick(sib)]
        else:
            src = info
        general = list(src["general"])
        g_idx = gen.permutation(len(general))
        sentences = [general[i] for i in g_idx[: 2 + int(picker.u() * 2)]]
        if lv == 5:  # the answer to this query first
            sentences = [info["answer"][qi]] + sentences[:2]
        elif lv == 4:  # an answer to a neighbouring question of the same topic
            other = [a for i, a in enumerate(info["answer"]) if i != qi]
            sentences = sentences[:2] + [picker.pick(other)]
        docs.append(" ".join(sentences))
    iw = len(str(n_items - 1))
    item_ids = np.array([f"q{i:0{iw}d}" for i in range(n_items)])
    aw = max(2, len(str(n_annotators)))
    ann_ids = np.array([f"rater_{j + 1:0{aw}d}" for j in range(n_annotators)])
    offset = np.round(gen.normal(0, offset_sd, n_annotators), 3)
    noise = np.round(gen.uniform(noise_range[0], noise_range[1], n_annotators), 3)
    k = gen.integers(min_per_item, max_per_item + 1, n_items)
    order = np.argsort(gen.random((n_items, n_annotators)), axis=1)
    mask = np.arange(n_annotators)[None, :] < k[:, None]
    ii = np.nonzero(mask)[0]
    ai = order[mask]
    n = len(ii)
    raw = latent[ii] + offset[ai] + gen.normal(0, 1, n) * noise[ai]
    label = np.clip(np.rint(raw), 1, 5).astype(np.int64)
    secs = gen.integers(0, 21 * 86400, n)
    ts = SAMPLE_START + pd.to_timedelta(secs, unit="s")
    duration = np.round((8 + 0.4 * n_words(docs)[ii]) * gen.lognormal(0, 0.3, n), 1)
    ann = pd.DataFrame({"item_id": item_ids[ii], "annotator_id": ann_ids[ai], "label": label,
                        "timestamp": iso(ts), "duration_s": duration})
    items = pd.DataFrame({"item_id": item_ids, "query": queries, "document": docs})
    rows = pd.DataFrame({"item_id": item_ids, "true_level": level,
                         "true_relevance": np.round(latent, 4)})
    truth = RelevanceTruth(
        annotator_offset={str(a): float(o) for a, o in zip(ann_ids, offset, strict=True)},
        annotator_noise_sd={str(a): float(s) for a, s in zip(ann_ids, noise, strict=True)},
        offset_sd=offset_sd,
        noise_range=noise_range,
        per_item=(min_per_item, max_per_item),
        rows=rows,
    )
    return Sample("relevance_5pt", {"relevance_5pt": ann, "relevance_5pt_items": items}, truth)

