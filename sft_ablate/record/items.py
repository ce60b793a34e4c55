"""item_scores.jsonl: a run's per-item outcomes, beside results.json, so the report can pair runs on the same items.

One row per item per set, with short keys; ``set``, ``group`` and ``item`` identify an item, and runs pair on
(set, group, item). The ids are stable: a held-out row's origin (fixed by data.split_seed) as ``row_item`` gives
it, "<file name>:<line>" (a group is one file, and its folder differs between checkouts and machines) or a hub
row's "hf:<id>[split]#index"; a benchmark's doc id; an arena prompt's id.

  {"set": "eval", "group": <source>, "item": <row_item(origin)>, "nll": <summed NLL>, "tokens": <assistant tokens>,
   "base_nll": <the base model's summed NLL, with eval.base_model>}
  {"set": "heldout", "group": <eval.heldout_sets name>, ...the same keys}
  {"set": "bench", "group": <task>, "item": <doc id>, <metric>: <the item's score>, ..., "pick": <the choice of
   highest log-likelihood>, "gold_lp": <the gold choice's log-likelihood>, "base_<metric>": ...}
  {"set": "arena", "group": "base", "item": <prompt id>, "win": <mean score vs the base model: win 1, tie 0.5,
   loss 0, over the arena's seeds, a battle judged in both orders>, "battles": <decided battles>}

A benchmark metric has per-item scores only when lighteval's corpus score is their mean (accuracy, exact match);
a multiple-choice item has ``pick`` and ``gold_lp``. A metric's ``MetricSpec.items`` (sft_ablate/metrics.py) says
where its items are; ``metric_items`` takes them out of a run's rows, and ``aggregate`` of them is the recorded
metric (held-out losses exactly; the win rate to the 4 digits results.json keeps).

Light on purpose: pandas is imported where a file is read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from sft_ablate.io import read_jsonl_objects, write_jsonl_atomic
from sft_ablate.metrics import MetricSpec

if TYPE_CHECKING:
    import pandas as pd

ITEMS_FILE = "item_scores.jsonl"
SET_EVAL, SET_HELDOUT, SET_BENCH, SET_ARENA = "eval", "heldout", "bench", "arena"
ARENA_GROUP = "base"  # the arena's items: this run's model against the base model
ID_KEYS = ("set", "group", "item")
ITEM_COLUMNS = ["group", "item", "value", "weight"]  # metric_items' frame


class ItemScoresFile:
    """The run's item_scores.jsonl as its stages add sets to it: rewritten whole and atomically after each, so a
    failed run keeps the sets of the stages that finished. Opening it removes the file of an earlier attempt."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / ITEMS_FILE
        self.rows: list[dict[str, Any]] = []
        self.path.unlink(missing_ok=True)

    def add(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.rows += rows
            write_jsonl_atomic(self.path, self.rows)


def loss_rows(
    set_name: str, groups: Sequence[str], items: Sequence[str], nll: Sequence[float], tokens: Sequence[int],
    base_nll: Sequence[float] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """One row per held-out row: its group, its id (row_item of its origin), the summed NLL and the tokens scored
    (and the base's NLL)."""
    lengths = {len(groups), len(items), len(nll), len(tokens)} | ({len(base_nll)} if base_nll is not None else set())
    if len(lengths) > 1:
        raise ValueError(f"item scores of {set_name!r}: per-row lists of different lengths {sorted(lengths)}")
    rows = [{"set": set_name, "group": g, "item": row_item(i), "nll": x, "tokens": int(n)}
            for g, i, x, n in zip(groups, items, nll, tokens)]  # fmt: skip
    for row, base in zip(rows, base_nll or []):
        row["base_nll"] = base
    return rows


def row_item(origin: str) -> str:
    """A held-out row's item id: its origin, "path:line", less the path's folder (a hub row's origin as it is)."""
    if origin.startswith("hf:") or ":" not in origin:
        return origin
    path, line = origin.rsplit(":", 1)
    return f"{PurePath(path).name}:{line}"


def read_item_scores(run_dir: Path) -> pd.DataFrame:
    """A run's item scores, one row per item per set (columns: set, group, item, then the sets' keys; a key a
    set lacks is NaN). No file (a run before item scores, or one that failed before evaluation): no rows."""
    import pandas as pd

    path = Path(run_dir) / ITEMS_FILE
    if not path.is_file():
        return pd.DataFrame(columns=list(ID_KEYS))
    # From Python's own JSON parser: pandas' read_json rounds floats, and the losses must add up exactly.
    frame = pd.DataFrame.from_records([row for _, row in read_jsonl_objects(path, ITEMS_FILE)])
    for key in ID_KEYS:
        frame[key] = frame[key].astype(str) if key in frame else pd.Series(dtype=str)
    return frame


def metric_items(spec: MetricSpec, keys: tuple[str, ...], scores: pd.DataFrame) -> pd.DataFrame | None:
    """One metric's items in one run's item scores (read_item_scores): columns group, item, value, weight, one row
    per item; the metric is ``aggregate`` of them, fsum(value) / fsum(weight). ``keys``: what the spec's stars
    matched (spec_for gives them). None: the metric has no items (spec.items is None), or the run recorded none."""
    import pandas as pd

    where = spec.items
    if where is None or scores.empty:
        return None
    group, value = where.resolved(keys)
    rows = scores[scores["set"] == where.set]
    if group is not None:
        rows = rows[rows["group"] == group]
    if value not in rows or (where.weight is not None and where.weight not in rows):
        return None
    rows = rows[rows[value].notna()]
    if rows.empty:
        return None
    weight = rows[where.weight].astype(float) if where.weight else pd.Series(1.0, index=rows.index)
    values = rows[value].astype(float)
    return pd.DataFrame(
        {"group": rows["group"], "item": rows["item"], "value": values * weight if where.per_unit else values, "weight": weight}
    ).reset_index(drop=True)


def aggregate(items: pd.DataFrame) -> float:
    """The metric of its items (metric_items' frame): a ratio of exact sums, so a loss is sum(nll) / sum(tokens)
    as the run computed it, and an accuracy the mean."""
    return math.fsum(items["value"]) / math.fsum(items["weight"])
