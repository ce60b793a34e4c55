"""What a study can decide: per comparison, the minimum detectable effect at its n and the seeds needed to
resolve the delta it saw; per factor, a verdict line.

Paired t-test power on the per-pair differences, two-sided, alpha 0.05, power 0.8:
- minimum detectable effect (MDE): the smallest |delta| this many pairs would detect 80% of the time, given the
  spread of the differences seen;
- seeds needed: the pairs needed to detect the observed |delta| 80% of the time, were it the true one.
With n pairs the spread comes from n - 1 degrees of freedom: at n = 2 or 3 it is itself rough, so read the seeds
needed as an order of magnitude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, stats
from statsmodels.stats.power import TTestPower

from sft_ablate.report.runs import Metric, level_order
from sft_ablate.report.stats import delta
from sft_ablate.report.tables import Table, _keyed, _label, metric_places

ALPHA = 0.05
POWER = 0.8
MAX_SEEDS = 10_000  # beyond this, "seeds needed" reads as "more than 10,000"


@dataclass(frozen=True)
class Power:
    n: int  # pairs
    sd: float  # standard deviation of the paired differences
    mde: float  # minimum detectable |delta| at n (nan when n < 2)
    seeds_needed: float  # pairs needed to resolve the observed |delta| (inf when it is 0; nan when unknown)


def paired_power(differences) -> Power:
    x = np.asarray(differences, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        return Power(n, math.nan, math.nan, math.nan)
    sd, mean = float(x.std(ddof=1)), float(abs(x.mean()))
    if sd == 0:  # identical differences: any nonzero delta is already resolved
        return Power(n, 0.0, 0.0, float(n) if mean > 0 else math.inf)
    return Power(n, sd, minimum_detectable_effect(n, sd), seeds_needed(mean / sd))


def minimum_detectable_effect(n: int, sd: float) -> float:
    """The |delta| that n pairs with this spread detect with probability POWER at ALPHA (two-sided)."""
    d = TTestPower().solve_power(effect_size=None, nobs=n, alpha=ALPHA, power=POWER, alternative="two-sided")
    return float(d) * sd


def seeds_needed(effect_size: float) -> float:
    """Pairs (seeds) needed to detect a standardized effect (mean / sd of the differences) with POWER at ALPHA: the
    smallest n whose power reaches POWER (power grows with n, so a bisection). statsmodels' solver gives up on large
    effects (it returned 10 where 3 pairs do) and its noncentral t returns nan there, hence our own power."""
    if effect_size <= 0 or paired_t_power(effect_size, MAX_SEEDS) < POWER:
        return math.inf
    low, high = 1, MAX_SEEDS  # power(low) < POWER <= power(high); one pair has no test
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if paired_t_power(effect_size, middle) >= POWER else (middle, high)
    return float(high)


def paired_t_power(effect_size: float, n: int) -> float:
    """Power of the two-sided paired t-test with n pairs at ALPHA, for a standardized effect.

    With T = (Z + effect·√n) / √(V/df), V ~ chi2(df), the power is the chance that |T| passes the critical t.
    scipy's noncentral t gives it where it gives a number; at large effects with few pairs it gives nan, and the
    power is then averaged over V's quantiles (a bounded integrand).
    """
    if n < 2:
        return 0.0  # one pair: no spread, no test
    df, shift = n - 1, effect_size * math.sqrt(n)
    critical = stats.t.ppf(1 - ALPHA / 2, df)
    fast = stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift)
    if math.isfinite(fast):
        return float(fast)

    def rejects(quantile: float) -> float:
        scale = critical * math.sqrt(stats.chi2.ppf(quantile, df) / df)
        return stats.norm.sf(scale - shift) + stats.norm.cdf(-scale - shift)

    return float(integrate.quad(rejects, 0, 1, limit=200)[0])


def power_table(
    frame: pd.DataFrame, factor: str, metrics: list[Metric], baseline: Any, others: list[str], name: str
) -> tuple[Table, list[str]]:
    """One row per (eval set or metric, level other than the baseline): delta, CI, n, MDE, seeds needed, and
    what it means; and the verdict lines of the factor."""
    pair_on = ["seed", *[f for f in others if f != factor]] if "seed" in frame.columns else [f for f in others if f != factor]
    base = frame[frame[factor] == baseline]
    rows, resolved, unresolved = [], [], []
    places = {metric.label: metric_places(frame, metric.column) for metric in metrics}
    for metric in metrics:
        for level in level_order(frame, factor):
            if level == baseline:
                continue
            level_runs = _keyed(frame[frame[factor] == level], pair_on, metric.column)
            base_runs = _keyed(base, pair_on, metric.column)
            d = delta(level_runs, base_runs)
            common = level_runs.dropna().index.intersection(base_runs.dropna().index)
            p = paired_power((level_runs[common] - base_runs[common]).to_numpy()) if d.paired else Power(d.n, *[math.nan] * 3)
            meaning = _meaning(d, p, metric, places[metric.label])
            rows.append(
                {
                    "metric": metric.label,
                    factor: _label(level),
                    "delta": d.mean,
                    "ci_low": d.low,
                    "ci_high": d.high,
                    "n_pairs": p.n if d.paired else 0,
                    "sd_of_differences": p.sd,
                    "mde": p.mde,
                    "seeds_needed": p.seeds_needed,
                    "significant": d.significant,
                    "meaning": meaning,
                }
            )
            text = f"{metric.label} ({_label(level)} vs {_label(baseline)}: {meaning})"
            (resolved if d.significant else unresolved).append(text)
    data = pd.DataFrame(rows)
    shown = data.copy()
    for column, sign in (("delta", "+"), ("ci_low", "+"), ("ci_high", "+"), ("sd_of_differences", ""), ("mde", "")):
        shown[column] = [
            f"{v:{sign},.{places[label]}f}" if math.isfinite(v) else "" for v, label in zip(data[column], data["metric"])
        ]
    shown["seeds_needed"] = data["seeds_needed"].map(_seeds_text)
    shown = shown.drop(columns=["significant"]).rename(
        columns={"mde": "minimum detectable effect", "seeds_needed": "seeds needed", "sd_of_differences": "sd of Δ"}
    )
    caption = (
        f"What the study can decide, by {factor} (vs {factor}={_label(baseline)}): Δ with its 95% CI, the minimum "
        f"detectable effect at this n (paired t-test, α = {ALPHA}, power {POWER}) and the seeds needed to resolve the "
        "observed Δ at that power, one row per eval set (pooled, per source, external sets) and score."
    )
    verdict = []
    if resolved:
        verdict.append(f"**Verdict on {factor}: can conclude** " + "; ".join(resolved) + ".")
    if unresolved:
        verdict.append(f"**Verdict on {factor}: cannot conclude** " + "; ".join(unresolved) + ".")
    return Table(name, caption, shown, data), verdict


def _meaning(d, p: Power, metric: Metric, places: int) -> str:
    if not math.isfinite(d.mean):
        return "no data"
    if d.significant:
        better = (d.mean > 0) == metric.higher_is_better
        return f"significantly {'better' if better else 'worse'}"
    if not d.paired or not math.isfinite(p.mde):
        return "not resolved; too few paired seeds for a power figure"
    needs = _seeds_text(p.seeds_needed)
    if abs(d.mean) < p.mde:
        return f"not resolved: |Δ| {abs(d.mean):,.{places}f} is under the MDE {p.mde:,.{places}f} at n={p.n}; {needs} seeds would resolve it"
    return f"not resolved at n={p.n}; {needs} seeds would resolve it"


def _seeds_text(value: float) -> str:
    if not math.isfinite(value):
        return f"> {MAX_SEEDS:,}" if value == math.inf else ""
    return f"{int(value)}"


def trainable_tokens_line(frame: pd.DataFrame, factor: str) -> str | None:
    """Compute per level: a mix ablation at a row budget also changes how many tokens the model trains on."""
    column = "data/train_trainable_tokens"
    if column not in frame.columns or frame[column].isna().all():
        return None
    means = frame.groupby(factor)[column].mean()
    levels = [lv for lv in level_order(frame, factor) if lv in means.index]
    listed = ", ".join(f"{_label(lv)}: {means[lv]:,.0f}" for lv in levels)
    spread = (means.max() - means.min()) / means.mean() if means.mean() else 0.0
    return f"Trainable tokens per {factor} level (mean over runs): {listed} (spread {spread:.0%} of the mean)."


def decision_items(frame: pd.DataFrame, factor: str, metrics: list[Metric], baseline: Any, others: list[str], name: str) -> list:
    """The report items under a factor's table: compute per level, the power table, the verdict lines."""
    table, verdict = power_table(frame, factor, metrics, baseline, others, name)
    tokens = trainable_tokens_line(frame, factor)
    return [*([tokens] if tokens else []), table, *verdict]
