"""Mixture arithmetic and sampling: a fixed training budget split across named sources at given ratios.

Counts use exact fractions and largest-remainder rounding, so they always sum to the budget and each
source gets within one row of ``budget * weight``. Sampling takes a prefix of a per-source seeded
permutation; changing only the ratio therefore draws nested subsets, which keeps the comparison
between mixture levels free of extra sampling noise.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from sft_ablate.errors import DataError

log = logging.getLogger(__name__)


@dataclass
class MixturePlan:
    requested_budget: int
    budget: int  # after a "shrink" policy, possibly smaller than requested
    counts: dict[str, int]  # rows to draw per source
    available: dict[str, int]  # rows each source has after the eval hold-out
    upsampled: dict[str, int] = field(default_factory=dict)  # rows drawn beyond the unique ones
    notes: list[str] = field(default_factory=list)


def split_counts(budget: int, weights: dict[str, float]) -> dict[str, int]:
    """Largest-remainder rounding of budget * weight; ties go to the source listed first."""
    exact = {name: Fraction(w).limit_denominator(10**6) * budget for name, w in weights.items()}
    counts = {name: int(value) for name, value in exact.items()}  # floor (values are >= 0)
    leftover = budget - sum(counts.values())
    by_remainder = sorted(exact, key=lambda name: exact[name] - counts[name], reverse=True)
    for name in by_remainder[:leftover]:
        counts[name] += 1
    return counts


def plan_mixture(budget: int, weights: dict[str, float], available: dict[str, int], policy: str) -> MixturePlan:
    counts = split_counts(budget, weights)
    plan = MixturePlan(requested_budget=budget, budget=budget, counts=counts, available=dict(available))
    short = {name: (n, available[name]) for name, n in counts.items() if n > available[name]}
    if not short:
        return plan
    listing = ", ".join(f"{name} needs {n} rows but has {have}" for name, (n, have) in short.items())
    if any(available[name] == 0 for name in short):
        raise DataError(f"mixture: a source with a non-zero weight has no rows left after the eval hold-out ({listing})")
    if policy == "upsample":
        plan.upsampled = {name: n - have for name, (n, have) in short.items()}
        plan.notes.append(f"sources too small for the budget, upsampled by repeating rows: {listing}")
    else:  # shrink: the largest budget that every source can fill at the requested ratio
        fits = [Fraction(available[name]) / Fraction(w).limit_denominator(10**6) for name, w in weights.items() if w > 0]
        plan.budget = int(min(fits))
        plan.counts = split_counts(plan.budget, weights)
        plan.notes.append(f"sources too small for the budget ({listing}); budget shrunk from {budget} to {plan.budget}")
    log.warning("mixture: %s", plan.notes[-1])
    return plan


def source_rng(seed: int, source: str) -> np.random.Generator:
    """A generator per (seed, source): adding or reordering sources does not change another's draw."""
    source_key = int.from_bytes(hashlib.sha256(source.encode()).digest()[:8], "little")
    return np.random.default_rng([seed, source_key])


def draw_indices(n_available: int, n: int, rng: np.random.Generator) -> list[int]:
    """A prefix of a seeded permutation; beyond n_available, the permutation repeats (upsampling)."""
    order = rng.permutation(n_available)
    return [int(order[i % n_available]) for i in range(n)]


def hold_out(n_available: int, n_eval: int, seed: int, source: str) -> tuple[list[int], list[int]]:
    """Split indices into (train pool, eval). The eval rows never reach training."""
    n_eval = min(n_eval, n_available // 2)  # never hold out more than half a small source
    order = source_rng(seed, f"holdout/{source}").permutation(n_available)
    eval_idx = sorted(int(i) for i in order[:n_eval])
    train_idx = sorted(int(i) for i in order[n_eval:])
    return train_idx, eval_idx
