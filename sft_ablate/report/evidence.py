"""Every mean, delta, interval and test the report shows, from one place (docs/statistics.md, docs/report.md).

Per factor: each level's mean, and each level against the baseline level on each compared metric, over seeds AND
items (sft_ablate/report/inference.py), paired on both: runs pair on the seed and the other factors' values, items
on their ids in the runs' item_scores.jsonl. A metric without per-item scores (a perplexity, the Elo rating) is
shown with an interval over seeds only and kept out of the verdict; runs without item_scores.jsonl (older runs)
fall back to the seed-only t, marked "seeds only".

The verdict's tests are one family per factor (levels x metrics with items, or seeds only), adjusted together
(`adjust_family`): Holm, or, with a primary metric, the primary first and the rest gated behind it per level, with
alpha split over the levels (docs/report.md). Each test is a fair test or in-distribution (`in_distribution`): a
level that trains on more of a source does better on that source's own held-out rows, which says nothing of
whether the data is better.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sft_ablate.record.items import metric_items, read_item_scores
from sft_ablate.report.inference import ALPHA, Delta, adjust, delta, estimate
from sft_ablate.report.runs import REPLICATE, Metric, level_order

ITEMS, SEEDS = "seeds × items", "seeds only"  # what an interval counts
POOLED_LOSS, SOURCE_LOSS, EXTERNAL_LOSS = "eval_loss", "eval_loss_by_source.*", "heldout.*.loss"
SHARED = 0.9  # two levels pair on items when they share at least this share of them (`_shared`)


class RunItems:
    """The runs' per-item scores, read once per run (sft_ablate/record/items.py)."""

    def __init__(self, dirs: Mapping[str, Path]) -> None:
        self.dirs = dict(dirs)
        self._scores: dict[str, pd.DataFrame] = {}
        self._items: dict[tuple[str, str], pd.DataFrame | None] = {}

    def items(self, run: str, metric: Metric) -> pd.DataFrame | None:
        """One metric's items in one run (group, item, value, weight), or None: no items."""
        key = (run, metric.column)
        if key not in self._items:
            if metric.spec is None or metric.spec.items is None or run not in self.dirs:
                self._items[key] = None
            else:
                if run not in self._scores:
                    self._scores[run] = read_item_scores(self.dirs[run])
                self._items[key] = metric_items(metric.spec, metric.keys, self._scores[run])
        return self._items[key]

    def matrix(self, runs: pd.DataFrame, metric: Metric, keys: list[str]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """Per-item scores x (rows: the runs' keys, runs that share a key averaged; columns: the items) and their
        weights; None when a run has no items for the metric. A score is value / weight: a row's mean NLL per
        token, an item's accuracy, a prompt's win rate over its battles."""
        rows, weights = {}, {}
        for run, key in zip(runs["run"], _keys(runs, keys)):
            found = self.items(run, metric)
            if found is None or found.empty:
                return None
            ids = found["group"].astype(str) + "\x1f" + found["item"].astype(str)
            score = pd.Series((found["value"] / found["weight"]).to_numpy(dtype=float), index=ids.to_numpy())
            weight = pd.Series(found["weight"].to_numpy(dtype=float), index=ids.to_numpy())
            rows.setdefault(key, []).append(score.groupby(level=0).mean())  # an id twice: one item
            weights.setdefault(key, []).append(weight.groupby(level=0).mean())
        x = pd.DataFrame({k: pd.concat(v, axis=1).mean(axis=1) for k, v in rows.items()}).T
        w = pd.DataFrame({k: pd.concat(v, axis=1).mean(axis=1) for k, v in weights.items()}).T
        return x, w


@dataclass(frozen=True)
class LevelMean:
    """A level's mean with its 95% interval (nan with one run), over its runs and the metric's items."""

    mean: float
    low: float
    high: float
    n: int  # runs
    n_items: int
    basis: str

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass
class Comparison:
    """One level against the baseline on one metric."""

    metric: Metric
    level: Any
    delta: Delta
    basis: str  # ITEMS or SEEDS
    in_family: bool  # one of the verdict's tests
    in_distribution: str = ""  # why it is an in-distribution test; "" for a fair test
    p_adjusted: float = math.nan
    primary: bool = False

    @property
    def significant(self) -> bool:
        """What the verdict and the tables' * go by: the family's adjusted p, at ALPHA."""
        return self.in_family and self.p_adjusted <= ALPHA


@dataclass
class Primary:
    metric: Metric | None
    why: str  # how it was chosen, or why there is none


@dataclass
class FactorEvidence:
    factor: str
    baseline: Any
    levels: list[Any]
    pair_on: list[str]
    means: dict[tuple[Any, str], LevelMean]
    comparisons: list[Comparison]  # metric by metric, levels in order within each
    primary: Primary
    split: int = 1  # the levels alpha is split over behind a primary (1: none)

    def comparison(self, level: Any, column: str) -> Comparison | None:
        return next((c for c in self.comparisons if c.level == level and c.metric.column == column), None)

    @property
    def family(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.in_family]


def pairing_keys(frame: pd.DataFrame, factor: str, others: list[str]) -> list[str]:
    """What pairs a level's run with a baseline run: the seed and every other factor's value."""
    rest = [f for f in others if f != factor]
    return [REPLICATE, *rest] if REPLICATE in frame.columns else rest


def compare_factor(
    frame: pd.DataFrame, factor: str, metrics: list[Metric], baseline: Any, others: list[str], items: RunItems, primary: Primary
) -> FactorEvidence:
    """The level means and the comparisons against the baseline of one factor, its family adjusted."""
    levels = level_order(frame, factor)
    pair_on = pairing_keys(frame, factor, others)
    base = frame[frame[factor] == baseline]
    means, comparisons = {}, []
    for metric in metrics:
        for level in levels:
            runs = frame[frame[factor] == level]
            means[(level, metric.column)] = level_mean(runs, metric, items)
            if level != baseline:
                d, basis = compare(runs, base, metric, pair_on, items)
                fair = in_distribution(metric, runs, base, level_label(level), level_label(baseline))
                comparisons.append(Comparison(metric, level, d, basis, has_items(metric), fair))
    tested = {c.metric.column for c in comparisons if c.in_family}
    if primary.metric is not None and primary.metric.column not in tested:
        primary = Primary(None, f"{primary.metric.label} is not among this factor's tests: no primary")
    evidence = FactorEvidence(factor, baseline, levels, pair_on, means, comparisons, primary)
    evidence.split = adjust_family(evidence.family, primary.metric)
    return evidence


def has_items(metric: Metric) -> bool:
    """A metric with per-item scores in its spec: one of the verdict's tests (seeds only for runs without them)."""
    return metric.spec is not None and metric.spec.items is not None


def level_mean(runs: pd.DataFrame, metric: Metric, items: RunItems) -> LevelMean:
    """A level's mean (of its runs' recorded values) and interval: over its runs and the metric's items where every
    run has them, else over its runs (the Student t)."""
    runs = runs[runs[metric.column].notna()]
    found = items.matrix(runs, metric, ["run"]) if len(runs) and has_items(metric) else None
    if found is not None:
        est, basis = estimate(found[0].to_numpy(), item_weights(found[1], found[0].columns)), ITEMS
    else:
        est, basis = estimate(runs[metric.column].to_numpy(dtype=float)), SEEDS
    mean = float(runs[metric.column].mean()) if len(runs) else math.nan
    if len(runs) < 2:  # one run: no interval over seeds (its items alone would say nothing of another seed)
        return LevelMean(mean, math.nan, math.nan, len(runs), est.n_items, basis)
    return LevelMean(mean, mean - (est.mean - est.low), mean + (est.high - est.mean), len(runs), est.n_items, basis)


def compare(runs: pd.DataFrame, base: pd.DataFrame, metric: Metric, pair_on: list[str], items: RunItems) -> tuple[Delta, str]:
    """runs - base on one metric: paired on the runs' keys where at least two pairs exist (else unpaired seeds),
    always paired on items. Over the items where every run of both has them (ITEMS), else over seeds (SEEDS)."""
    runs, base = runs[runs[metric.column].notna()], base[base[metric.column].notna()]
    found = [items.matrix(x, metric, pair_on) if has_items(metric) and len(x) else None for x in (base, runs)]
    if found[0] is not None and found[1] is not None and _shared(found[0][0].columns, found[1][0].columns):
        (xa, wa), (xb, wb) = found
        columns = xa.columns.union(xb.columns)
        w = item_weights(pd.concat([wa, wb]), columns)
        return delta_of(xa.reindex(columns=columns), xb.reindex(columns=columns), w), ITEMS
    return delta_of(_by_key(base, pair_on, metric.column).to_frame(), _by_key(runs, pair_on, metric.column).to_frame()), SEEDS


def _shared(a: pd.Index, b: pd.Index) -> bool:
    """Whether two levels are scored on (nearly) the same items, so that they pair on them: at least SHARED of all
    their items. Levels scored on different rows (a source's file differs) are compared over seeds only; a few
    items one level lacks (an arena prompt no battle of it decided) drop out."""
    union = len(a.union(b))
    return union > 0 and len(a.intersection(b)) >= SHARED * union


def delta_of(a: pd.DataFrame, b: pd.DataFrame, w: np.ndarray | None = None) -> Delta:
    """b - a for per-item scores keyed by run (rows) and item (columns, the same in both): paired on the rows' keys
    where at least two are shared (those rows only), else unpaired."""
    common = a.index.intersection(b.index)
    if len(common) >= 2:
        return delta(a.loc[common].to_numpy(), b.loc[common].to_numpy(), w, paired=True)
    return delta(a.to_numpy(), b.to_numpy(), w, paired=False)


def adjust_family(family: list[Comparison], primary: Metric | None) -> int:
    """Fill each test's adjusted p. No primary: Holm over the whole family. With one: per compared level, the
    primary at that level's alpha and the rest Holm-adjusted behind it (inference.adjust), alpha split equally over
    the L levels (adjusted p times L): each level's family holds alpha / L, so the factor's holds alpha. Returns L
    (1 without a primary)."""
    if not family:
        return 1
    if primary is None:
        for c, p in zip(family, adjust([c.delta.p for c in family]).adjusted):
            c.p_adjusted = p
        return 1
    levels = list(dict.fromkeys(c.level for c in family))
    for level in levels:
        tests = [c for c in family if c.level == level]
        index = next((k for k, c in enumerate(tests) if c.metric.column == primary.column), None)
        for k, (c, p) in enumerate(zip(tests, adjust([c.delta.p for c in tests], index).adjusted)):
            c.p_adjusted, c.primary = min(1.0, len(levels) * p) if math.isfinite(p) else p, k == index
    return len(levels)


def in_distribution(metric: Metric, runs: pd.DataFrame, base: pd.DataFrame, level: str, baseline: str) -> str:
    """Why `metric` is an in-distribution test of `level` vs `baseline`, or "" for a fair test. A source's own
    held-out rows are in-distribution when the two levels train on different shares of that source (or on different
    data for it); the pooled eval loss pools those rows. External sets, benchmarks and the arena are fair tests."""
    path = metric.spec.path if metric.spec is not None else ""
    if path == SOURCE_LOSS:
        return _source_shift(metric.keys[0], runs, base, level, baseline)
    if path == POOLED_LOSS:
        sources = [c.removeprefix("mix.weights.") for c in runs.columns if c.startswith("mix.weights.")]
        reasons = [r for r in (_source_shift(s, runs, base, level, baseline) for s in sources) if r]
        if not sources and _differs(runs, base, "synthetic_fraction"):
            reasons = [f"{level} and {baseline} train on different mixes"]
        return f"pools the sources' own rows, and {', '.join(reasons)}" if reasons else ""
    return ""


def _source_shift(source: str, runs: pd.DataFrame, base: pd.DataFrame, level: str, baseline: str) -> str:
    data = [c for c in runs.columns if c.startswith(f"data.sources.{source}.")]
    if any(_differs(runs, base, c) for c in data):
        return f"each level is scored on its own {source} rows (data.sources.{source} differs)"
    weights = [c for c in runs.columns if c.startswith("mix.weights.")]
    if not weights:  # an older run without its config: the mix is all there is
        return f"{level} and {baseline} train on different mixes" if _differs(runs, base, "synthetic_fraction") else ""
    share = [_share(frame, weights, source) for frame in (runs, base)]
    if abs(share[0] - share[1]) <= 1e-9:
        return ""
    return f"{level if share[0] > share[1] else baseline} trains on more {source}"


def _share(frame: pd.DataFrame, weights: list[str], source: str) -> float:
    """The mean share of `source` in the runs' mix weights (a source a mix leaves out: 0)."""
    values = frame[weights].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    total = values.sum(axis=1).replace(0.0, np.nan)
    column = f"mix.weights.{source}"
    own = values[column] if column in values else pd.Series(0.0, index=values.index)
    return float((own / total).fillna(0.0).mean())


def _differs(runs: pd.DataFrame, base: pd.DataFrame, column: str) -> bool:
    if column not in runs.columns:
        return False
    return set(runs[column].astype(str)) != set(base[column].astype(str))


def item_weights(w: pd.DataFrame, columns: pd.Index) -> np.ndarray | None:
    """One weight per item (their mean over the runs: the tokens of a row are the same in every run, an arena
    prompt's decided battles may differ); None when every weight is 1."""
    mean = w.reindex(columns=columns).mean(axis=0).to_numpy(dtype=float)
    return None if np.allclose(mean[np.isfinite(mean)], 1.0) else mean


def _keys(runs: pd.DataFrame, keys: list[str]) -> list[str]:
    """Each run's key: its values of `keys` (the seed, the other factors), as one string."""
    keys = [k for k in keys if k in runs.columns]
    if not keys:
        return [str(i) for i in range(len(runs))]
    return ["\x1f".join(map(str, row)) for row in runs[keys].itertuples(index=False)]


def _by_key(runs: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """The runs' values by key; the same config twice (two sweep dirs) counts once."""
    return pd.Series(runs[column].to_numpy(dtype=float), index=_keys(runs, keys)).groupby(level=0).mean()


def level_label(level: Any) -> str:
    """A level as the tables print it: 2 epochs reads 2, not 2.0."""
    return f"{level:g}" if isinstance(level, float) else str(level)


def choose_primary(metrics: list[Metric], named: str | None, by: str) -> Primary:
    """The study's primary metric: the one named (by `by`: --primary, or the runs' study_primary), else the external
    held-out set (heldout.<set>.loss; with several, the first by name), else none (plain Holm)."""
    if named:
        name = named.removeprefix("metrics.")
        match = next((m for m in metrics if name in (m.column, m.column.replace("/", "."))), None)
        if match is None:
            return Primary(None, f"{named} (named by {by}) is no compared metric of this study: no primary")
        if not has_items(match):
            return Primary(
                None, f"{match.label} (named by {by}) has no per-item scores, so it is no test of the verdict: no primary"
            )
        return Primary(match, f"{match.label} (named by {by})")
    external = sorted(
        (m for m in metrics if m.spec is not None and m.spec.path == EXTERNAL_LOSS and has_items(m)), key=lambda m: m.keys
    )
    if not external:
        return Primary(None, "no primary (no external held-out set)")
    more = f", the first by name of the {len(external)} external sets" if len(external) > 1 else ""
    return Primary(external[0], f"{external[0].label} (the external held-out set{more}: a fair test)")
