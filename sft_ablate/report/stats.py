"""Means with 95% confidence intervals over seeds alone, and deltas against a baseline level: the report's method
before issue 24, kept as the reference the tests compare against (tests/test_inference.py) and as the plots'
default. The report's own intervals count items too (evidence.py, inference.py).

The intervals are Student-t intervals: with 2-5 seeds per level, a normal interval would be far too
narrow. A delta is paired when the two levels share runs with the same seed and other factors (the
same data draw and initialisation, differing only in this factor): the paired interval removes the
seed-to-seed noise common to both. Otherwise it is Welch's unequal-variance interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float  # nan when n < 2
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class Delta:
    mean: float  # level minus baseline
    low: float
    high: float
    n: int  # pairs when paired, else runs of the level
    paired: bool

    @property
    def significant(self) -> bool:
        """The interval excludes 0 (a missing interval is never significant)."""
        return math.isfinite(self.low) and math.isfinite(self.high) and (self.low > 0 or self.high < 0)


def mean_ci(values) -> Estimate:
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return Estimate(mean, math.nan, math.nan, n)
    sem = stats.sem(x)
    if sem == 0:  # identical values: the interval is the point (scipy would give nan)
        return Estimate(mean, mean, mean, n)
    low, high = stats.t.interval(CONFIDENCE, n - 1, loc=mean, scale=sem)
    return Estimate(mean, float(low), float(high), n)


def delta(level: pd.Series, baseline: pd.Series) -> Delta:
    """level - baseline. Both series are indexed by the pairing key (seed and the other factors)."""
    level, baseline = level.dropna(), baseline.dropna()
    level = level.groupby(level.index).mean()  # the same config twice (two sweep dirs) counts once
    baseline = baseline.groupby(baseline.index).mean()
    common = level.index.intersection(baseline.index)
    if len(common) >= 2:
        diffs = mean_ci((level[common] - baseline[common]).to_numpy())
        return Delta(diffs.mean, diffs.low, diffs.high, diffs.n, paired=True)
    if len(level) == 0 or len(baseline) == 0:
        return Delta(math.nan, math.nan, math.nan, 0, paired=False)
    diff = float(level.mean() - baseline.mean())
    if len(level) < 2 or len(baseline) < 2:
        return Delta(diff, math.nan, math.nan, len(level), paired=False)
    if level.std() == 0 and baseline.std() == 0:
        return Delta(diff, diff, diff, len(level), paired=False)
    interval = stats.ttest_ind(level.to_numpy(), baseline.to_numpy(), equal_var=False).confidence_interval(CONFIDENCE)
    return Delta(diff, float(interval.low), float(interval.high), len(level), paired=False)
