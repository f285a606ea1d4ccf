"""Review KPIs kept up to date event by event, for a page that refreshes every few seconds.

:func:`workbench.review.kpis.review_kpis` computes every KPI from the whole event log; that is
the definition. :class:`LiveKPIs` gives the same numbers (tests compare them after every
batch of events, undos and revisions included) at a cost that grows with the events added
since the last refresh, not with the store: the events are held once as numpy columns, the
decision in effect of each (reviewer, item) is tracked as events arrive, and what the KPIs
sum over items is kept as running tallies:

- agreement: a confusion count per reviewer pair and decision pair, changed only for the
  items whose decisions changed;
- throughput: each reviewer's active time and gaps, extended as their events arrive in time
  order (a reviewer whose event arrives out of order is recomputed from their own events);
- gold, display times and the backlog: recomputed per reviewer or queue only when touched;
- counts per reviewer, per period and today: vectorized over the held columns (one pass of
  integer arithmetic, a few milliseconds at a million events).

The first :meth:`LiveKPIs.add` reads everything once.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench._internal.reliability import kappa_from_confusion
from workbench._internal.stats import wilson_interval
from workbench.errors import WorkbenchError
from workbench.review.kpis import ReviewKPIs

__all__ = ["LiveKPIs", "planned_from_meta"]

_KINDS = {"decision": 0, "skip": 1, "undo": 2}
_DECISION, _SKIP, _UNDO = 0, 1, 2


class _Codes:
    """Strings to dense integer codes, in order of first appearance."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def code(self, value: str) -> int:
        c = self.index.get(value)
        if c is None:
            c = self.index[value] = len(self.names)
            self.names.append(value)
        return c

    def codes(self, values: pd.Series) -> np.ndarray:
        if len(values) > 1000:  # vectorized for a first load
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            mapping = np.array([self.code(str(u)) for u in uniques], dtype=np.int64)
            out = np.full(len(values), -1, np.int64)
            ok = codes >= 0
            out[ok] = mapping[codes[ok]]
            return out
        return np.array([-1 if v is None or (isinstance(v, float) and math.isnan(v)) else self.code(str(v))
                         for v in values], dtype=np.int64)


class _Column:
    """A growable numpy column."""

    def __init__(self, dtype: Any, fill: Any) -> None:
        self.data = np.empty(1024, dtype)
        self.fill = fill
        self.n = 0

    def extend(self, values: np.ndarray) -> None:
        need = self.n + len(values)
        if need > len(self.data):
            grown = np.empty(max(need, 2 * len(self.data)), self.data.dtype)
            grown[: self.n] = self.data[: self.n]
            self.data = grown
        self.data[self.n : need] = values
        self.n = need

    @property
    def view(self) -> np.ndarray:
        return self.data[: self.n]


class LiveKPIs:
    """The dashboard's KPIs, updated with each batch of new events (see the module docstring).

    Parameters are those of :func:`~workbench.review.kpis.review_kpis`; ``gold`` is the gold
    table (``item_id``, ``label``).
    """

    def __init__(
        self,
        *,
        gold: pd.DataFrame | None = None,
        cost_per_hour: float = 30.0,
        idle: str | pd.Timedelta = "10min",
        keep: Sequence[str] = ("Acceptable",),
        label_map: Mapping[str, str] | None = None,
        fast_ms: float = 1000.0,
    ) -> None:
        if cost_per_hour < 0:
            raise WorkbenchError(f"cost_per_hour={cost_per_hour} must not be negative.")
        self.cost_per_hour = float(cost_per_hour)
        self.idle_ns = int(pd.Timedelta(idle).value)
        self.keep = tuple(str(k) for k in keep)
        self.label_map = dict(label_map or {})
        self.fast_ms = float(fast_ms)
        self.gold_given = gold is not None
        self.reviewers, self.items, self.choices, self.queues = _Codes(), _Codes(), _Codes(), _Codes()
        self._eid = _Column(np.int64, 0)
        self._kind = _Column(np.int8, 0)
        self._rev = _Column(np.int64, -1)
        self._item = _Column(np.int64, -1)
        self._dec = _Column(np.int64, -1)
        self._queue = _Column(np.int64, -1)
        self._t = _Column(np.int64, 0)
        self._ms = _Column(np.float64, np.nan)
        self._undone = _Column(np.bool_, False)
        self._current = _Column(np.bool_, False)
        self.n_events = 0
        self.time_unit = "ns"
        # (reviewer, item) -> position of its decision in effect; item -> {reviewer: position}
        self._key: dict[tuple[int, int], int] = {}
        self._by_item: dict[int, dict[int, int]] = {}
        self._confusion: Counter[tuple[int, int, int, int]] = Counter()
        # throughput per reviewer: [n_items, n_active, active_ns, first_ns, last_ns]
        self._tp: dict[int, list[int]] = {}
        self._tp_dirty: set[int] = set()
        # backlog: (queue, item) -> active events; (queue, reviewer) -> [active events, last position]
        self._handled: Counter[tuple[int, int]] = Counter()
        self._handled_per_queue: Counter[int] = Counter()
        self._qr: dict[tuple[int, int], list[int]] = {}
        self._qr_dirty: set[tuple[int, int]] = set()
        self._display: dict[int, tuple[int, float, float, float]] = {}
        self._display_dirty: set[int] = set()
        # gold: the label (a code of ``self._gold_labels``) of each gold item's code
        self._gold_labels = _Codes()
        self._gold_label: dict[int, int] = {}
        if gold is not None:
            g = gold.assign(item_id=gold["item_id"].astype(str)).drop_duplicates("item_id")
            self._gold_label = {self.items.code(i): self._gold_labels.code(str(lab))
                                for i, lab in zip(g["item_id"], g["label"], strict=True)}

    # -- events in --------------------------------------------------------------------------
    def add(self, new: pd.DataFrame) -> None:
        """Take the events appended since the previous call (oldest first), with columns
        ``event_id, kind, item_id, reviewer, decision, queue, created_at, undoes`` and
        optionally ``display_ms``; ``created_at`` as UTC timestamps."""
        if new.empty:
            return
        start = self._eid.n
        times = pd.DatetimeIndex(new["created_at"])
        if self.n_events == 0:
            self.time_unit = str(times.unit)
        self._eid.extend(new["event_id"].to_numpy(np.int64))
        kinds = new["kind"].map(_KINDS)
        if kinds.isna().any():
            raise WorkbenchError(f"review events of unknown kinds: {sorted(set(new['kind'][kinds.isna()]))[:5]}")
        self._kind.extend(kinds.to_numpy(np.int8))
        self._rev.extend(self.reviewers.codes(new["reviewer"]))
        self._item.extend(self.items.codes(new["item_id"]))
        dec = new["decision"].where(new["kind"] == "decision")
        self._dec.extend(self.choices.codes(dec))
        self._queue.extend(self.queues.codes(new["queue"].fillna("").replace("", "(none)")))
        self._t.extend(times.as_unit("ns").asi8 if times.tz is not None else times.tz_localize("UTC").as_unit("ns").asi8)
        ms = pd.to_numeric(new["display_ms"], errors="coerce") if "display_ms" in new.columns else None
        self._ms.extend(np.full(len(new), np.nan) if ms is None else ms.to_numpy(np.float64))
        self._undone.extend(np.zeros(len(new), bool))
        self._current.extend(np.zeros(len(new), bool))
        self.n_events += len(new)
        undoes = pd.to_numeric(new["undoes"], errors="coerce").to_numpy(np.float64)
        if start == 0 and len(new) > 1000:
            self._load(undoes)
            return
        for p in range(start, self._eid.n):
            if self._kind.data[p] == _UNDO:
                if not math.isnan(undoes[p - start]):
                    self._undo(self._position(int(undoes[p - start])))
                self._touch_throughput(p)
            else:
                self._activate(p)

    def _position(self, event_id: int) -> int:
        eids = self._eid.view
        p = int(np.searchsorted(eids, event_id))
        return p if p < len(eids) and eids[p] == event_id else -1

    def _load(self, undoes: np.ndarray) -> None:
        """The first read: every tally from the whole log at once (vectorized)."""
        eids, kind, rev, item = self._eid.view, self._kind.view, self._rev.view, self._item.view
        cancelled = undoes[~np.isnan(undoes)].astype(np.int64)
        pos = np.searchsorted(eids, cancelled)
        ok = (pos < len(eids)) & (eids[np.minimum(pos, len(eids) - 1)] == cancelled)
        self._undone.data[pos[ok]] = True
        active = (kind != _UNDO) & ~self._undone.view
        decided = np.flatnonzero(active & (kind == _DECISION))
        # the latest decision in effect per (reviewer, item), in event order
        key = pd.MultiIndex.from_arrays([rev[decided], item[decided]])
        last = decided[~key.duplicated(keep="last")]
        self._current.data[last] = True
        for p, r, i in zip(last.tolist(), rev[last].tolist(), item[last].tolist(), strict=True):
            self._key[(r, i)] = p
            self._by_item.setdefault(i, {})[r] = p
        dec = self._dec.view
        for who in self._by_item.values():
            if len(who) > 1:
                self._pairs_of_item(who, dec, +1)
        for r in np.unique(rev[kind != _UNDO]).tolist():
            self._tp_dirty.add(r)
        qa = np.flatnonzero(active)
        codes = self._queue.view[qa] * (len(self.items.names) + 1) + item[qa]
        uniq, counts = np.unique(codes, return_counts=True)
        stride = len(self.items.names) + 1
        for c, n in zip(uniq.tolist(), counts.tolist(), strict=True):
            q, i2 = divmod(c, stride)
            self._handled[(q, i2)] = n
            self._handled_per_queue[q] += 1
        qr = pd.DataFrame({"q": self._queue.view[qa], "r": rev[qa], "p": qa})
        for (q, r), g in qr.groupby(["q", "r"], sort=False)["p"]:
            self._qr[(int(q), int(r))] = [len(g), int(g.max())]
        self._display_dirty |= set(self._tp_dirty)

    def _pairs_of_item(self, who: Mapping[int, int], dec: np.ndarray, sign: int) -> None:
        ordered = sorted(who.items())
        for a in range(len(ordered)):
            ra, pa = ordered[a]
            for b in range(a + 1, len(ordered)):
                rb, pb = ordered[b]
                self._confusion[(ra, rb, int(dec[pa]), int(dec[pb]))] += sign

    def _set_current(self, r: int, i: int, p: int | None) -> None:
        """Make ``p`` (or nothing) the decision in effect of reviewer ``r`` on item ``i``."""
        dec = self._dec.data
        who = self._by_item.setdefault(i, {})
        old = who.get(r)
        if old == p:
            return
        for r2, p2 in who.items():  # the item's pairs with r change
            if r2 == r:
                continue
            a, b = (r, r2) if r < r2 else (r2, r)
            if old is not None:
                self._confusion[(a, b, int(dec[old] if a == r else dec[p2]), int(dec[p2] if a == r else dec[old]))] -= 1
            if p is not None:
                self._confusion[(a, b, int(dec[p] if a == r else dec[p2]), int(dec[p2] if a == r else dec[p]))] += 1
        if old is not None:
            self._current.data[old] = False
        if p is None:
            who.pop(r, None)
            self._key.pop((r, i), None)
        else:
            who[r] = p
            self._key[(r, i)] = p
            self._current.data[p] = True
        self._display_dirty.add(r)

    def _touch_throughput(self, p: int) -> None:
        r, t = int(self._rev.data[p]), int(self._t.data[p])
        if self._kind.data[p] == _UNDO:
            return
        s = self._tp.get(r)
        if s is None or r in self._tp_dirty:
            self._tp_dirty.add(r)
            return
        if t < s[4]:  # out of time order: recompute this reviewer from their events
            self._tp_dirty.add(r)
            return
        gap = t - s[4]
        s[0] += 1
        if gap <= self.idle_ns:
            s[1] += 1
            s[2] += gap
        s[4] = t

    def _activate(self, p: int) -> None:
        """A new decision or skip: in effect (it is the latest event of its key)."""
        r, i, q = int(self._rev.data[p]), int(self._item.data[p]), int(self._queue.data[p])
        self._touch_throughput(p)
        self._add_active(q, r, i, p, +1)
        if self._kind.data[p] == _DECISION:
            self._set_current(r, i, p)

    def _add_active(self, q: int, r: int, i: int, p: int, sign: int) -> None:
        before = self._handled[(q, i)]
        self._handled[(q, i)] = before + sign
        if before == 0 and sign > 0:
            self._handled_per_queue[q] += 1
        elif before == 1 and sign < 0:
            self._handled_per_queue[q] -= 1
            del self._handled[(q, i)]
        s = self._qr.setdefault((q, r), [0, -1])
        s[0] += sign
        if sign > 0:
            s[1] = max(s[1], p)
        elif p == s[1]:
            self._qr_dirty.add((q, r))

    def _undo(self, p: int) -> None:
        if p < 0 or self._undone.data[p] or self._kind.data[p] == _UNDO:
            return
        self._undone.data[p] = True
        r, i, q = int(self._rev.data[p]), int(self._item.data[p]), int(self._queue.data[p])
        self._add_active(q, r, i, p, -1)
        if self._kind.data[p] == _DECISION and self._current.data[p]:
            # the previous decision of this reviewer on this item that is still in effect
            same = np.flatnonzero((self._rev.view[:p] == r) & (self._item.view[:p] == i)
                                  & (self._kind.view[:p] == _DECISION) & ~self._undone.view[:p])
            self._set_current(r, i, int(same[-1]) if len(same) else None)

    # -- KPIs out ---------------------------------------------------------------------------
    def _timestamps(self, ns: np.ndarray) -> pd.DatetimeIndex:
        """UTC timestamps in the unit the events came in (as the full computation keeps it)."""
        return pd.DatetimeIndex(pd.to_datetime(np.asarray(ns, np.int64), unit="ns", utc=True)).as_unit(self.time_unit)

    def _refresh_throughput(self) -> None:
        if not self._tp_dirty:
            return
        rev, kind, t = self._rev.view, self._kind.view, self._t.view
        for r in self._tp_dirty:
            times = np.sort(t[(rev == r) & (kind != _UNDO)])
            if not len(times):
                self._tp.pop(r, None)
                continue
            gaps = np.diff(times)
            ok = gaps <= self.idle_ns
            self._tp[r] = [len(times), int(ok.sum()), int(gaps[ok].sum()), int(times[0]), int(times[-1])]
        self._tp_dirty.clear()

    def _first_times(self) -> dict[int, int]:
        # a reviewer's first event can only change when recomputed (kept in the tally)
        return {r: s[3] for r, s in self._tp.items()}

    @property
    def current(self) -> np.ndarray:
        """Positions of the decisions in effect."""
        return np.flatnonzero(self._current.view)

    def decisions(self) -> pd.DataFrame:
        """The decisions in effect (``event_id, item_id, reviewer, decision``), oldest first."""
        cur = self.current
        return pd.DataFrame({
            "event_id": self._eid.view[cur],
            "item_id": np.array(self.items.names, dtype=object)[self._item.view[cur]],
            "reviewer": np.array(self.reviewers.names, dtype=object)[self._rev.view[cur]],
            "decision": np.array(self.choices.names, dtype=object)[self._dec.view[cur]],
        })

    def decision_times(self) -> pd.Series:
        """The first and last ``created_at`` of the decisions in effect (empty if none): all
        the trend period depends on."""
        t = self._t.view[self._current.view]
        return pd.Series(self._timestamps(np.array([t.min(), t.max()]) if len(t) else np.zeros(0, np.int64)))

    def n_today(self, today: pd.Timestamp) -> int:
        return int((self._t.view[self._current.view] >= pd.Timestamp(today).as_unit("ns").value).sum())

    def _gold_of_items(self) -> np.ndarray:
        """Per item code: its gold label's code, or -1."""
        out = np.full(len(self.items.names), -1, np.int64)
        if self._gold_label:
            out[np.fromiter(self._gold_label.keys(), np.int64)] = np.fromiter(self._gold_label.values(), np.int64)
        return out

    def _gold_rows(self, cur: np.ndarray, *, mapped: bool) -> tuple[np.ndarray, np.ndarray]:
        """Positions (among ``cur``) of decisions on gold items and whether each is correct
        (the decision, through ``label_map`` when ``mapped``, equals the gold label)."""
        gold_of = self._gold_of_items()
        on_gold = cur[gold_of[self._item.view[cur]] >= 0]
        names = self.choices.names
        if mapped and self.label_map:
            names = [self.label_map.get(n, n) for n in names]
        as_gold = np.array([self._gold_labels.index.get(str(n), -2) for n in names] or [-2], np.int64)
        return on_gold, as_gold[self._dec.view[on_gold]] == gold_of[self._item.view[on_gold]]

    def gold_table(self, *, pooled: bool = False) -> pd.DataFrame:
        """:func:`~workbench.review.kpis.gold_accuracy` of the decisions in effect."""
        on_gold, correct = self._gold_rows(self.current, mapped=True)
        if pooled:
            who = np.array(["all"] * len(on_gold), dtype=object)
        else:
            who = np.array(self.reviewers.names, dtype=object)[self._rev.view[on_gold]]
        frame = pd.DataFrame({"reviewer": who, "correct": correct})
        out = frame.groupby("reviewer", sort=True)["correct"].agg(n_gold="size", n_correct="sum").reset_index()
        out["n_correct"] = out["n_correct"].astype(int)
        out["accuracy"] = out["n_correct"] / out["n_gold"]
        low, high = wilson_interval(out["n_correct"].to_numpy(), out["n_gold"].to_numpy(), 0.95)
        out["ci_low"], out["ci_high"] = np.asarray(low, float), np.asarray(high, float)
        return out

    def _display_table(self) -> pd.DataFrame:
        cols = ["reviewer", "n_timed", "median_display_ms", "p10_display_ms", "share_under_fast", "too_fast"]
        if self._display_dirty:
            ms, rev, cur = self._ms.view, self._rev.view, self._current.view
            for r in self._display_dirty:
                v = ms[cur & (rev == r)]
                v = v[~np.isnan(v)]
                if len(v):
                    self._display[r] = (len(v), float(np.median(v)), float(np.quantile(v, 0.1)),
                                        float((v < self.fast_ms).mean()))
                else:
                    self._display.pop(r, None)
            self._display_dirty.clear()
        if not self._display:
            return pd.DataFrame(columns=cols)
        rows = sorted((self.reviewers.names[r], *v) for r, v in self._display.items())
        out = pd.DataFrame(rows, columns=cols[:-1])
        out["too_fast"] = (out["n_timed"] >= 10) & (out["median_display_ms"] < self.fast_ms)
        return out

    def agreement(self) -> pd.DataFrame:
        """:func:`~workbench.review.kpis.reviewer_agreement` of the decisions in effect."""
        columns = ["reviewer_a", "reviewer_b", "n_items", "agreement", "kappa"]
        names = self.reviewers.names
        dnames = self.choices.names
        tables: dict[tuple[str, str], Counter[tuple[str, str]]] = {}
        for (ra, rb, da, db), n in self._confusion.items():
            if n <= 0:
                continue
            a, b, x, y = names[ra], names[rb], dnames[da], dnames[db]
            if a > b:
                a, b, x, y = b, a, y, x
            tables.setdefault((a, b), Counter())[(x, y)] += n
        if not tables:
            return pd.DataFrame(columns=columns)
        labels = sorted({v for t in tables.values() for k in t for v in k})
        at = {v: j for j, v in enumerate(labels)}
        keys = sorted(tables)
        conf = np.zeros((len(keys), len(labels), len(labels)))
        for n_, k in enumerate(keys):
            for (x, y), c in tables[k].items():
                conf[n_, at[x], at[y]] = c
        n = conf.sum(axis=(1, 2))
        return pd.DataFrame({
            "reviewer_a": [k[0] for k in keys], "reviewer_b": [k[1] for k in keys], "n_items": n.astype(int),
            "agreement": np.trace(conf, axis1=1, axis2=2) / n,
            "kappa": kappa_from_confusion(conf, 1.0 - np.eye(len(labels))),
        }, columns=columns)

    def _period_index(self, cur: np.ndarray, freq: str) -> tuple[np.ndarray, np.ndarray]:
        """Each decision's period as an index from the first period, and the periods (ns)."""
        step = pd.Timedelta(freq).value
        floor = self._t.view[cur] // step
        first = int(floor.min())
        return floor - first, (np.arange(int(floor.max()) - first + 1) + first) * step

    def trends(self, freq: str) -> pd.DataFrame:
        """:func:`~workbench.review.kpis.trends` of the decisions in effect."""
        cur = self.current
        if not len(cur):
            return pd.DataFrame()
        idx, periods = self._period_index(cur, freq)
        n_rev = len(self.reviewers.names)
        per_rev = np.bincount(idx * n_rev + self._rev.view[cur], minlength=len(periods) * n_rev).reshape(-1, n_rev)
        n = per_rev.sum(axis=1)
        seen = n > 0
        flag_of = np.array([str(c) not in self.keep for c in self.choices.names] or [False])
        flagged = np.bincount(idx, weights=flag_of[self._dec.view[cur]], minlength=len(periods))
        out = pd.DataFrame({
            "period": self._naive(periods[seen]),
            "n_decisions": n[seen],
            "flagged_share": flagged[seen] / n[seen],
            "n_reviewers": (per_rev[seen] > 0).sum(axis=1),
        })
        if self.gold_given:
            on_gold, correct = self._gold_rows(cur, mapped=False)
            at = np.searchsorted(cur, on_gold)
            ng = np.bincount(idx[at], minlength=len(periods))[seen]
            with np.errstate(invalid="ignore", divide="ignore"):
                acc = np.bincount(idx[at], weights=correct, minlength=len(periods))[seen] / ng
            out["n_gold"] = ng.astype(int)
            out["gold_accuracy"] = np.where(ng > 0, acc, np.nan)
        return out

    def _naive(self, ns: np.ndarray) -> pd.Series:
        return pd.Series(self._timestamps(ns).tz_convert(None))

    def trend_table(self, freq: str) -> pd.DataFrame:
        """Decisions in effect per period and reviewer (the dashboard's chart)."""
        cur = self.current
        if not len(cur):
            return pd.DataFrame(columns=["period", "reviewer", "n_decisions"])
        idx, periods = self._period_index(cur, freq)
        names = self.reviewers.names
        order = np.argsort(np.array(names, dtype=object)).astype(np.int64)  # reviewers by name
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        counts = np.bincount(idx * len(names) + rank[self._rev.view[cur]], minlength=len(periods) * len(names))
        cells = np.flatnonzero(counts)
        p, r = np.divmod(cells, len(names))
        return pd.DataFrame({"period": self._naive(periods[p]),
                             "reviewer": np.array(names, dtype=object)[order[r]],
                             "n_decisions": counts[cells]})

    def backlog(self, planned: Callable[[int], float]) -> pd.DataFrame:
        """Per queue: reviewers, items handled, items planned and left (``planned(event_id)``
        reads an event's planned queue size)."""
        cols = ["queue", "reviewers", "handled", "planned", "backlog"]
        for q, r in self._qr_dirty:
            s = self._qr.get((q, r))
            if s is None:
                continue
            act = np.flatnonzero((self._queue.view == q) & (self._rev.view == r) & ~self._undone.view
                                 & (self._kind.view != _UNDO))
            s[1] = int(act[-1]) if len(act) else -1
        self._qr_dirty.clear()
        per: dict[int, list[float]] = {}
        for (q, _r), (n, last) in self._qr.items():
            if n > 0:
                per.setdefault(q, []).append(planned(int(self._eid.data[last])))
        if not per:
            return pd.DataFrame(columns=cols)
        rows = []
        for q, values in per.items():
            top = float("nan") if any(math.isnan(v) for v in values) else max(values)
            rows.append((self.queues.names[q], len(values), self._handled_per_queue[q], top))
        out = pd.DataFrame(rows, columns=cols[:-1]).sort_values("queue", ignore_index=True)
        out["backlog"] = (out["planned"] - out["handled"]).clip(lower=0)
        return out[cols]

    def kpis(self, freq: str = "1D") -> ReviewKPIs:
        """The :class:`~workbench.review.kpis.ReviewKPIs` of everything added so far."""
        self._refresh_throughput()
        names = self.reviewers.names
        tp_rows = sorted((names[r], s) for r, s in self._tp.items())
        stamps = self._timestamps(np.array([s[3] for _, s in tp_rows] + [s[4] for _, s in tp_rows], np.int64))
        k = len(tp_rows)
        per = pd.DataFrame({
            "reviewer": [n for n, _ in tp_rows],
            "n_items": [s[0] for _, s in tp_rows],
            "active_hours": [s[2] / 1e9 / 3600.0 for _, s in tp_rows],
        })
        n_active = np.array([s[1] for _, s in tp_rows], float)
        with np.errstate(divide="ignore", invalid="ignore"):
            per["items_per_hour"] = np.where(per["active_hours"] > 0, n_active / per["active_hours"], np.nan)
        per["first"], per["last"] = stamps[:k], stamps[k:]
        cur = self.current
        counts = np.bincount(self._rev.view[cur], minlength=len(names))
        per["n_decisions"] = [int(counts[self.reviewers.index[n]]) for n in per["reviewer"]]
        per["cost"] = per["active_hours"] * self.cost_per_hour
        shown = self._display_table()
        per = per.merge(shown[["reviewer", "median_display_ms", "too_fast"]], on="reviewer", how="left")
        per["too_fast"] = per["too_fast"].astype("boolean").fillna(False).astype(bool)
        gold_acc = float("nan")
        item_counts = np.bincount(self._item.view[cur], minlength=len(self.items.names))
        decided_items = np.flatnonzero(item_counts)
        gold_items = np.fromiter(self._gold_label.keys(), np.int64) if self._gold_label else np.zeros(0, np.int64)
        if self.gold_given:
            ga = self.gold_table()
            per = per.merge(ga, on="reviewer", how="left")
            if ga["n_gold"].sum() > 0:
                gold_acc = float(ga["n_correct"].sum() / ga["n_gold"].sum())
        agree = self.agreement()
        mean_kappa = (
            float(np.average(agree["kappa"].dropna(), weights=agree.loc[agree["kappa"].notna(), "n_items"]))
            if len(agree) and agree["kappa"].notna().any() else float("nan")
        )
        n_validated = int((~np.isin(decided_items, gold_items)).sum()) if self.gold_given else len(decided_items)
        hours = float(per["active_hours"].sum())
        cost = hours * self.cost_per_hour
        return ReviewKPIs(
            per_reviewer=per,
            agreement=agree,
            trends=self.trends(freq),
            n_decisions=len(cur),
            n_items=len(decided_items),
            n_validated=n_validated,
            active_hours=hours,
            cost=cost,
            cost_per_validated=cost / n_validated if n_validated else float("nan"),
            mean_kappa=mean_kappa,
            gold_accuracy=gold_acc,
            display=shown,
            too_fast=tuple(shown.loc[shown["too_fast"].astype(bool), "reviewer"].astype(str)),
        )


def planned_from_meta(meta: str | None) -> float:
    """The ``planned`` queue size an event's ``meta`` JSON records (``nan`` when none)."""
    try:
        value = json.loads(meta).get("planned") if meta is not None else None
    except (ValueError, AttributeError):
        return float("nan")
    return float(value) if isinstance(value, (int, float)) else float("nan")
