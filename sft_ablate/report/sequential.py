"""Group-sequential decisions for a study that adds seeds only where a verdict is still open (docs/statistics.md).

Why: re-testing at a fixed alpha after every added seed gives chance as many tries as there are looks, so the
false-verdict rate grows with them. Here each comparison's alpha is spent over the looks, Bonferroni-style: the
looks before the cap share half of it, in proportion to their seeds, the cap the other half, so the chance of a false
verdict over all looks is at most the sum of their levels whatever the correlation of the looks. Across
the comparisons, the graphical Holm procedure for group-sequential designs (Maurer & Bretz 2013) splits alpha
equally over them and passes a decided comparison's share on to the open ones.

Why not boundaries computed for the correlation of the looks (Lan-DeMets O'Brien-Fleming-type): they assume z
statistics. The verdict's statistic is a t whose variance is re-estimated at every look from 3-10 seeds, which
decorrelates the looks; in simulation those boundaries let 5.7-6.7% of null studies reach a false verdict.

A look's test is the verdict's own (inference.delta: seeds x items, Satterthwaite t), guarded by the seed-only
paired t (`look_delta`). Pure numpy: nothing here knows about runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sft_ablate.report.inference import ALPHA, Delta, delta

EARLY_SHARE = 0.5  # of a comparison's alpha, spent over the looks before the cap (the cap gets the rest)


@dataclass(frozen=True)
class Plan:
    """The looks of an adaptive study: how many seeds each open comparison has at each look, and the levels."""

    seeds: tuple[int, ...]  # n0, n0 + step, ..., max_seeds
    alpha: float = ALPHA  # the family's: the chance of any false verdict among the comparisons
    early: float = EARLY_SHARE

    @classmethod
    def of(cls, initial: int, max_seeds: int, step: int = 1, alpha: float = ALPHA) -> Plan:
        if initial < 2:
            raise ValueError(
                f"an adaptive study needs at least 2 initial seeds (a delta over one seed has no spread), got {initial}"
            )
        if max_seeds < initial or step < 1:
            raise ValueError(f"max_seeds ({max_seeds}) must be at least the initial seeds ({initial}), step ({step}) at least 1")
        counts = list(range(initial, max_seeds + 1, step))
        if counts[-1] != max_seeds:
            counts.append(max_seeds)  # the cap is always a look
        return cls(tuple(counts), alpha)

    def nominal(self, alpha: float) -> tuple[float, ...]:
        """The level each look is tested at, for a comparison holding `alpha` (its share of the family's); they sum
        to alpha. The looks before the cap share `early` of it in proportion to their seeds (a look of 3 seeds
        has a t on ~2 df and can only resolve a large effect, so it gets less), the cap the rest. With one look
        (initial seeds = max_seeds) it is the fixed design."""
        if len(self.seeds) == 1:
            return (alpha,)
        before = np.array(self.seeds[:-1], dtype=float)
        return (*(float(x) for x in alpha * self.early * before / before.sum()), alpha * (1 - self.early))


@dataclass(frozen=True)
class Decision:
    """One comparison after the looks so far: decided at a look (0-based; None: open), the share of alpha it was
    tested at, and at that look its p and the boundary's nominal level."""

    name: str
    look: int | None
    alpha: float
    p: float = math.nan
    nominal: float = math.nan

    @property
    def decided(self) -> bool:
        return self.look is not None


def decide(pvalues: dict[str, list[float]], plan: Plan) -> dict[str, Decision]:
    """Which comparisons are decided, from each one's p-values at its looks so far (pvalues[name][k]: look k; a
    comparison decided earlier stops getting looks). Graphical Holm over the comparisons: each starts with
    alpha / L; when one crosses its boundary at any of its looks, its share passes equally to the open ones, which
    are tested again at every look so far against the boundaries of their larger share, until none crosses. The
    result does not depend on the order (shares only grow), so a decision is never undone by a later look."""
    names = list(pvalues)
    share = {name: plan.alpha / len(names) for name in names} if names else {}
    done: dict[str, Decision] = {}
    while True:
        hit = None
        for name in names:
            if name in done:
                continue
            levels = plan.nominal(share[name])
            for k, p in enumerate(pvalues[name][: len(plan.seeds)]):
                if math.isfinite(p) and p <= levels[k]:
                    hit = Decision(name, k, share[name], p, levels[k])
                    break
            if hit is not None:
                break
        if hit is None:
            break
        done[hit.name] = hit
        rest = [n for n in names if n not in done]
        for n in rest:
            share[n] += share[hit.name] / len(rest)
    return {n: done.get(n, Decision(n, None, share[n])) for n in names}


def naive_decide(pvalues: dict[str, list[float]], alpha: float = ALPHA) -> dict[str, bool]:
    """What re-testing at a fixed level after every look would conclude (Bonferroni over the comparisons): the
    method this module replaces, kept to show by simulation that it inflates the false-verdict rate."""
    share = alpha / max(1, len(pvalues))
    return {name: any(math.isfinite(p) and p <= share for p in ps) for name, ps in pvalues.items()}


def look_delta(a, b, w=None) -> tuple[Delta, float]:
    """b - a at one look, from per-item scores a[s, i], b[s, i] (rows: the same seeds; NaN: missing): the verdict's
    delta (inference.delta, seeds x items) and the p-value the boundaries are checked against, never below the
    seed-only paired t's over the runs' (weighted) means. That guard is the report's own at two seeds; here it holds
    at every look, because the early boundaries sit far in the tail (nominal ~0.0003 at 3 of 8 seeds), where the
    Satterthwaite plug-in df at 3-5 seeds rejects 10-20 times too often (docs/statistics.md)."""
    found = delta(a, b, w)
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    weights = np.ones(a.shape[1]) if w is None else np.asarray(w, dtype=float)
    seeds = delta(_row_means(a, weights), _row_means(b, weights))
    p = max(found.p, seeds.p) if math.isfinite(seeds.p) else found.p
    return found, float(p)


def _row_means(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each run's weighted mean over its items: its recorded value (a loss is sum(nll) / sum(tokens))."""
    ok = np.isfinite(x) & np.isfinite(w)[None, :]
    return np.where(ok, x, 0.0) @ np.nan_to_num(w) / np.maximum((ok * np.nan_to_num(w)[None, :]).sum(1), 1e-300)
