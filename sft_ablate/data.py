"""The data stage: sources -> normalized ChatML -> eval hold-out -> mixture at the requested ratio."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sft_ablate.config import Config
from sft_ablate.mixture import draw_indices, hold_out, plan_mixture, source_rng
from sft_ablate.sources import BadRow, Example, LoadedSource, load_source

log = logging.getLogger(__name__)


@dataclass
class PreparedData:
    train: list[Example]
    eval: list[Example]
    pool: dict[str, LoadedSource]  # every valid row of every source, before the hold-out
    dropped: list[BadRow]
    report: dict[str, Any] = field(default_factory=dict)  # goes to results.json under "data"


def prepare_data(config: Config) -> PreparedData:
    data = config.data
    pool = {name: load_source(name, source, data.on_bad_row) for name, source in data.sources.items()}

    # Hold out first, with a fixed seed, so the eval rows are the same for every mix and run seed.
    train_pools: dict[str, list[Example]] = {}
    eval_rows: list[Example] = []
    for name, loaded in pool.items():
        train_idx, eval_idx = hold_out(len(loaded.examples), data.eval_per_source, data.split_seed, name)
        train_pools[name] = [loaded.examples[i] for i in train_idx]
        eval_rows += [loaded.examples[i] for i in eval_idx]

    weights = config.mix.weights
    plan = plan_mixture(data.budget, weights, {name: len(train_pools[name]) for name in weights}, data.on_short_source)
    train: list[Example] = []
    drawn: dict[str, list[Example]] = {}
    for name, n in plan.counts.items():
        indices = draw_indices(len(train_pools[name]), n, source_rng(config.seed, name))
        drawn[name] = [train_pools[name][i] for i in indices]
        train += drawn[name]
    # Interleave sources in a seeded order, so no stage sees them as contiguous blocks.
    order = source_rng(config.seed, "interleave").permutation(len(train))
    train = [train[i] for i in order]

    dropped = [bad for loaded in pool.values() for bad in loaded.bad_rows]
    report = {
        "sources": {
            name: {
                "kind": loaded.kind,
                "rows_read": loaded.rows_read,
                "rows_invalid": len(loaded.bad_rows),
                "rows_valid": len(loaded.examples),
                "eval_rows": len(loaded.examples) - len(train_pools[name]),
                "rows_available": len(train_pools[name]),
                "rows": len(drawn.get(name, [])),
                "rows_upsampled": plan.upsampled.get(name, 0),
                "weight": weights.get(name, 0.0),
            }
            for name, loaded in pool.items()
        },
        "budget_requested": plan.requested_budget,
        "budget": plan.budget,
        "train_rows": len(train),
        "eval_rows": len(eval_rows),
        "notes": plan.notes,
        "train_hash": examples_hash(train),
        "eval_hash": examples_hash(eval_rows),
    }
    log.info(
        "data: %d train rows (%s), %d held-out rows",
        len(train),
        ", ".join(f"{n}={c}" for n, c in plan.counts.items()),
        len(eval_rows),
    )
    return PreparedData(train=train, eval=eval_rows, pool=pool, dropped=dropped, report=report)


def examples_hash(examples: list[Example]) -> str:
    """Content hash of a row list, order included: equal hashes mean identical training input."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps(example.messages, ensure_ascii=False, sort_keys=True).encode())
        digest.update(b"\n")
    return digest.hexdigest()
