"""Deltas between two levels of a factor whose intervals count both seeds and eval items, a family-wise adjustment
for the many comparisons behind one verdict, and power figures under the same variance model.

Why: the eval items are few (16 held-out rows per source, 26 external rows, 60 multiple-choice items, 24 arena
prompts) and the same in every run, so a seed-only interval reads the luck of those particular items as an effect.
Here the per-cell difference D[s, i] = b[s, i] - a[s, i] (seed s, item i, same seed and item in both levels) follows
the crossed random-effects model

    D[s, i] = delta + seed_s + item_i + resid_si,   Var(mean D) = v_seed / S + v_item / I + v_resid / (S * I),

estimated from the two-way ANOVA mean squares, with a Student t interval on Satterthwaite degrees of freedom (with
two seeds, never narrower than the seed-only paired t). docs/statistics.md has the formulas, the checks
(tests/test_inference.py) and the references. Pure numpy/scipy: nothing here knows about runs, frames or metrics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, optimize, special, stats

ALPHA = 0.05
POWER = 0.8
MAX_N = 10_000  # seeds or items needed beyond this read as "more than 10,000"
GUARD_SEEDS = 2  # at this many paired seeds the interval is never narrower than the seed-only paired t


@dataclass(frozen=True)
class Components:
    """Variance components of the difference between levels, per cell: seed (a seed's shift of the whole delta),
    item (an item's shift: the level helps on some items more than on others) and resid (seed x item and noise).
    nan when the design cannot estimate it (one seed: seed). A scalar metric per run (I = 1) keeps all its spread
    in `seed`. For unpaired levels the seed and resid terms are the sums over both levels."""

    seed: float
    item: float
    resid: float

    def variance(self, n_seeds: int, n_items: int) -> float:
        """Variance of the estimated delta at a design of n_seeds seeds (per level) and n_items items."""
        return self.seed / n_seeds + self.item / n_items + self.resid / (n_seeds * n_items)

    def df(self, n_seeds: int, n_items: int) -> float:
        """Satterthwaite degrees of freedom of that variance's estimate, from the expected mean squares."""
        s, i = n_seeds, n_items
        ms = np.array([self.resid + i * self.seed, self.resid + s * self.item, self.resid])
        return _satterthwaite(np.array([1.0, 1.0, -1.0]) / (s * i), ms, np.array([s - 1, i - 1, (s - 1) * (i - 1)]))


@dataclass(frozen=True)
class Delta:
    mean: float  # b - a: the mean over seeds and (weighted) items
    low: float  # 95% interval; nan when the design has no spread to estimate (one seed and one item)
    high: float
    se: float
    df: float  # Satterthwaite degrees of freedom of se
    p: float  # two-sided, for H0: delta = 0
    n_seeds: int  # shared seeds when paired, else the seeds of level b
    n_items: int
    paired: bool = True
    components: Components | None = None

    @property
    def significant(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high) and (self.low > 0 or self.high < 0)


def delta(a, b, w=None, *, paired: bool = True, confidence: float = 1 - ALPHA) -> Delta:
    """b - a for one metric, from per-item scores a[s, i], b[s, i] (NaN: missing). Paired: row s of a and of b are
    the same seed (and the same other factors); unpaired: any seeds, a[Sa, I] and b[Sb, I]. Either way the columns
    are the same items. A 1-d input is a scalar metric per run (I = 1). w[i] > 0 weighs items: a loss that is
    sum(nll) / sum(tokens) is the w-weighted mean of per-item mean NLL with w = tokens, and that is what `mean` is."""
    a, b = _matrix(a), _matrix(b)
    w = np.ones(a.shape[1]) if w is None else np.asarray(w, dtype=float).reshape(-1)
    if not (a.shape[1] == b.shape[1] == len(w)):
        raise ValueError(f"items differ: a has {a.shape[1]}, b {b.shape[1]}, w {len(w)}")
    w = np.where(np.isfinite(w) & (w > 0), w, np.nan)  # an item without weight is a missing item
    if paired:
        if a.shape != b.shape:
            raise ValueError(f"paired levels need the same seeds: a is {a.shape}, b is {b.shape}")
        return _paired(b - a, w, confidence)
    return _unpaired(a, b, w, confidence)


def estimate(x, w=None, *, confidence: float = 1 - ALPHA) -> Delta:
    """One level's mean of per-item scores x[s, i] (rows: its runs, columns: the items) with its interval under the
    same crossed model: the delta of x against zeros. A 1-d input is a scalar per run: the Student t interval over
    runs. One run with items gives an interval over its items only (conditional on that seed)."""
    x = _matrix(x)
    return delta(np.zeros_like(x), x, w, paired=True, confidence=confidence)


def _paired(d, w, confidence) -> Delta:
    d = d + 0 * w  # an item without weight drops out with the NaNs
    rows, cols = _complete(d)
    d, w = d[np.ix_(rows, cols)], w[cols]
    s, i = d.shape
    if s == 0 or i == 0:
        return Delta(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, s, i)
    d, mean = _linearize(d, w)
    i_eff = _effective_items(w)
    if s == 1 and i == 1:
        return Delta(mean, math.nan, math.nan, math.nan, math.nan, math.nan, s, i, components=None)
    if i == 1:  # a scalar per run: today's paired t over seeds
        ms_seed = d[:, 0].var(ddof=1)
        return _interval(
            mean,
            np.array([1 / s]),
            np.array([ms_seed]),
            np.array([s - 1]),
            s,
            i,
            True,
            Components(float(ms_seed), 0.0, 0.0),
            confidence,
        )
    if s == 1:  # one seed: items only, an interval conditional on that seed (its seed variance is unknown)
        ms_item = d[0].var(ddof=1)
        return _interval(
            mean,
            np.array([1 / i]),
            np.array([ms_item]),
            np.array([i_eff - 1]),
            s,
            i,
            True,
            Components(math.nan, float(ms_item), 0.0),
            confidence,
        )
    ms_seed, ms_item, ms_resid = _mean_squares(d)
    ms, dfs = np.array([ms_seed, ms_item, ms_resid]), np.array([s - 1, i_eff - 1, (s - 1) * (i_eff - 1)])
    # The unbiased (MS_seed + MS_item - MS_resid) / (S I), floored at the residual term alone, below which no
    # variance of the mean can be. (Flooring each negative component at 0 instead biases it up through the 2-df
    # MS_seed: 97-98% coverage for accuracy on 0/1 items, for no gain where seeds dominate.)
    coef = np.array([1.0, 1.0, -1.0]) if ms_seed + ms_item >= 2 * ms_resid else np.array([0.0, 0.0, 1.0])
    coef = coef / (s * i)
    comp = Components(float(max(0.0, (ms_seed - ms_resid) / i)), float(max(0.0, (ms_item - ms_resid) / s)), float(ms_resid))
    # Two seeds give MS_seed one degree of freedom, and the plug-in Satterthwaite df then covers ~88% in simulation;
    # today's seed-only paired t (exact for the delta on these items) is the floor of the interval there.
    guard = (ms_seed / (s * i), s - 1) if s == GUARD_SEEDS else None
    return _interval(mean, coef, ms, dfs, s, i, True, comp, confidence, guard)


def _unpaired(a, b, w, confidence) -> Delta:
    """Different seeds in the two levels: still paired on items. With per-level mean squares MS_seed, MS_resid and
    the mean square of the per-item difference of level means MS_d (expected: v_item + v_resid,a/Sa + v_resid,b/Sb):
    Var = v_seed,a/Sa + v_seed,b/Sb + v_item/I + v_resid,a/(Sa I) + v_resid,b/(Sb I). With one item it is Welch."""
    both = np.vstack([a, b]) + 0 * w
    rows, cols = _complete(both)
    keep_a, keep_b = rows[: len(a)], rows[len(a) :]
    a, b, w = a[np.ix_(keep_a, cols)], b[np.ix_(keep_b, cols)], w[cols]
    sa, sb, i = a.shape[0], b.shape[0], a.shape[1]
    if sa == 0 or sb == 0 or i == 0:
        return Delta(math.nan, math.nan, math.nan, math.nan, math.nan, math.nan, sb, i, paired=False)
    a, mean_a = _linearize(a, w)
    b, mean_b = _linearize(b, w)
    mean = mean_b - mean_a
    if sa == 1 and sb == 1:  # one seed each, different seeds: the seed variance is confounded with the delta
        return Delta(mean, math.nan, math.nan, math.nan, math.nan, math.nan, sb, i, paired=False)
    n = (sa, sb)
    src = [k if n[k] > 1 else 1 - k for k in (0, 1)]  # a level with one seed borrows the other's spread
    if i == 1:  # a scalar per run: Welch over seeds
        var = [x[:, 0].var(ddof=1) if len(x) > 1 else math.nan for x in (a, b)]
        coef = np.zeros(2)
        for k in (0, 1):
            coef[src[k]] += 1 / n[k]
        ms, dfs = np.array(var), np.array([sa - 1, sb - 1])
        used = coef != 0
        comp = Components(float(var[src[0]] + var[src[1]]), 0.0, 0.0)
        return _interval(mean, coef[used], ms[used], dfs[used], sb, i, False, comp, confidence)
    squares = [_mean_squares(x) if len(x) > 1 else (math.nan,) * 3 for x in (a, b)]
    ms_seed = [squares[src[k]][0] for k in (0, 1)]
    ms_resid = [squares[src[k]][2] for k in (0, 1)]
    ms_d = (b.mean(0) - a.mean(0)).var(ddof=1)  # the items' spread of the difference of level means
    # coefficients on (MS_seed,a, MS_resid,a, MS_seed,b, MS_resid,b, MS_d), a level with one seed adding onto the
    # other's: the unbiased combination, floored at the residual terms alone as in the paired case
    unbiased, floor = np.zeros(5), np.zeros(5)
    for k in (0, 1):
        unbiased[2 * src[k]] += 1 / (n[k] * i)
        unbiased[2 * src[k] + 1] -= 1 / (n[k] * i)
        floor[2 * src[k] + 1] += 1 / (n[k] * i)
    unbiased[4] = 1 / i
    ms = np.array([squares[0][0], squares[0][2], squares[1][0], squares[1][2], ms_d])
    coef = unbiased if unbiased @ np.nan_to_num(ms) >= floor @ np.nan_to_num(ms) else floor
    i_eff = _effective_items(w)
    dfs = np.array([sa - 1, (sa - 1) * (i_eff - 1), sb - 1, (sb - 1) * (i_eff - 1), i_eff - 1])
    used = coef != 0
    seed = sum(float(max(0.0, (ms_seed[k] - ms_resid[k]) / i)) for k in (0, 1))
    item = ms_d - ms_resid[0] / sa - ms_resid[1] / sb
    comp = Components(float(seed), float(max(0.0, item)), float(ms_resid[0] + ms_resid[1]))
    return _interval(mean, coef[used], ms[used], dfs[used], sb, i, False, comp, confidence)


def _interval(mean, coef, ms, dfs, s, i, paired, comp, confidence, guard=None) -> Delta:
    var = float(coef @ ms)
    if not var > 0:  # no spread at all: the interval is the point, and any nonzero delta is resolved
        return Delta(mean, mean, mean, 0.0, math.inf, float(mean == 0), s, i, paired, comp)
    se, df = math.sqrt(var), _satterthwaite(coef, ms, dfs)
    half = float(special.stdtrit(df, 0.5 + confidence / 2)) * se
    p = float(2 * special.stdtr(df, -abs(mean) / se))
    if guard is not None and guard[0] > 0:  # (variance, df) of a t interval this one is never narrower than
        half = max(half, float(special.stdtrit(guard[1], 0.5 + confidence / 2)) * math.sqrt(guard[0]))
        p = max(p, float(2 * special.stdtr(guard[1], -abs(mean) / math.sqrt(guard[0]))))
    return Delta(mean, mean - half, mean + half, se, df, p, s, i, paired, comp)


def _satterthwaite(coef, ms, dfs) -> float:
    """Degrees of freedom of sum(coef * MS): (sum c MS)^2 / sum((c MS)^2 / df) (Satterthwaite 1946)."""
    terms = coef * ms
    used = terms != 0  # a term that is 0 (no such variance in this design) has no degrees of freedom to count
    if not used.any():  # no variance at all: nothing is estimated, nothing is uncertain
        return math.inf
    if np.any(dfs[used] <= 0):  # a variance the design cannot estimate (one seed, one item)
        return math.nan
    return float(terms.sum() ** 2 / np.sum(terms[used] ** 2 / dfs[used]))


def _mean_squares(x) -> tuple[float, float, float]:
    """Two-way ANOVA without replication on a complete S x I matrix: MS_seed, MS_item, MS_resid."""
    s, i = x.shape
    grand, rows, cols = x.mean(), x.mean(1), x.mean(0)
    resid = x - rows[:, None] - cols[None, :] + grand
    return (
        i * np.sum((rows - grand) ** 2) / (s - 1),
        s * np.sum((cols - grand) ** 2) / (i - 1) if i > 1 else math.nan,
        np.sum(resid**2) / ((s - 1) * (i - 1)) if i > 1 else math.nan,
    )


def _linearize(x, w):
    """Replace x by its linearization for the weighted mean sum(w x) / sum(w) (the ratio sum(nll) / sum(tokens)):
    z = (w / mean w) (x - m) + m, m the weighted mean. The plain mean of z is m exactly, each row mean of z is that
    seed's weighted mean, and the item spread of z is the ratio estimator's (Taylor linearization)."""
    scale = w / w.mean()
    if np.allclose(scale, 1):
        return x, float(x.mean())
    m = float((x * w).sum() / (w.sum() * len(x)))
    return scale * (x - m) + m, m


def _effective_items(w) -> float:
    """Kish's effective number of items of a weighted mean, (sum w)^2 / sum w^2: the item terms' degrees of
    freedom count it, not I (with token weights of a lognormal sd 1, I - 1 covered 92.6% at I = 16, this 95%)."""
    return float(w.sum() ** 2 / (w**2).sum())


def _complete(x):
    """Rows and columns of a large complete submatrix: drop, one at a time, the row or column with the largest
    share of missing cells (a column on ties: items are cheaper to lose than seeds)."""
    ok = np.isfinite(x)
    rows, cols = np.ones(x.shape[0], bool), np.ones(x.shape[1], bool)
    while rows.any() and cols.any():
        sub = ~ok[np.ix_(rows, cols)]
        if not sub.any():
            break
        row_share, col_share = sub.mean(1), sub.mean(0)
        if col_share.max() >= row_share.max():
            cols[cols.nonzero()[0][col_share.argmax()]] = False
        else:
            rows[rows.nonzero()[0][row_share.argmax()]] = False
    return rows, cols


def _matrix(x):
    x = np.asarray(x, dtype=float)
    return x[:, None] if x.ndim == 1 else x


# --- multiplicity -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A factor's family of tests (levels x metrics): raw and adjusted p-values, in the order given."""

    raw: tuple[float, ...]
    adjusted: tuple[float, ...]
    primary: int | None = None

    def significant(self, alpha: float = ALPHA) -> tuple[bool, ...]:
        return tuple(bool(p <= alpha) for p in self.adjusted)


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values: the chance of any false claim in the family stays <= alpha under any
    dependence between the tests (Holm 1979). NaN (not tested) stays NaN and does not count in the family."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = np.isfinite(p)
    m = int(tested.sum())
    if m == 0:
        return out
    order = np.argsort(p[tested])
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[tested][order]))
    values = np.empty(m)
    values[order] = adjusted
    out[tested] = values
    return out


def adjust(pvalues, primary: int | None = None) -> Family:
    """Holm over the family; with a primary entry, that one is tested at full alpha and the rest are Holm-adjusted
    among themselves behind it (a gatekeeping sequence: a secondary claim needs the primary one too). Its adjusted
    p is max(p_primary, Holm p among the rest). This keeps the family-wise error <= alpha: testing the rest
    regardless of the primary would allow up to 2 alpha."""
    p = np.asarray(pvalues, dtype=float)
    if primary is None:
        return Family(tuple(map(float, p)), tuple(map(float, holm(p))))
    rest = np.arange(len(p)) != primary
    adjusted = np.empty(len(p))
    adjusted[primary] = p[primary]
    adjusted[rest] = np.fmax(holm(p[rest]), p[primary]) if np.isfinite(p[primary]) else np.nan
    return Family(tuple(map(float, p)), tuple(map(float, adjusted)), primary)


# --- power --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Needed:
    n: float  # seeds or items; inf: unreachable by this dimension; nan: unknown
    why: str


def power(effect: float, comp: Components, n_seeds: int, n_items: int, alpha: float = ALPHA) -> float:
    """Chance that the interval at this design excludes 0 when the true delta is `effect`: a t test whose variance
    estimate is a scaled chi-square on the Satterthwaite df."""
    var = comp.variance(n_seeds, n_items)
    if not math.isfinite(var) or not math.isfinite(comp.df(n_seeds, n_items)):
        return math.nan  # one seed or one item where the metric has items: not this test
    if var == 0:
        return 1.0 if effect != 0 else alpha
    shift = abs(effect) / math.sqrt(var)
    result = _t_power(shift, comp.df(n_seeds, n_items), alpha)
    if n_seeds == GUARD_SEEDS and n_items > 1:
        # the seed-only t: its variance estimate has S - 1 df and expectation (v_seed + v_resid / I) / S, not var
        seed_only = comp.seed / n_seeds + comp.resid / (n_seeds * n_items)
        result = min(result, _t_power(shift, n_seeds - 1, alpha, math.sqrt(seed_only / var)))
    return result


def mde(comp: Components, n_seeds: int, n_items: int, alpha: float = ALPHA, target: float = POWER) -> float:
    """Minimum detectable |delta|: the effect this design detects with probability `target` (two-sided alpha)."""
    var = comp.variance(n_seeds, n_items)
    if not math.isfinite(var) or not math.isfinite(comp.df(n_seeds, n_items)):
        return math.nan
    if var == 0:
        return 0.0
    sd = math.sqrt(var)
    return float(optimize.brentq(lambda e: power(e, comp, n_seeds, n_items, alpha) - target, 0.0, 1e3 * sd, xtol=1e-12 * sd))


def seeds_needed(comp: Components, effect: float, n_items: int) -> Needed:
    """Seeds per level to detect |effect| with POWER at this many items (items fixed)."""
    if not math.isfinite(comp.seed):
        return Needed(math.nan, "one seed: the seed variance is unknown")
    floor = comp.item / n_items  # what no number of seeds removes
    text = f"the item variance alone (v_item / I = {floor:.3g} at I = {n_items})"
    return _needed(lambda n: power(effect, comp, n, n_items), effect, floor, comp.df(MAX_N, n_items), "seeds", text, "items")


def items_needed(comp: Components, effect: float, n_seeds: int) -> Needed:
    """Items to detect |effect| with POWER at this many seeds (seeds fixed)."""
    if not math.isfinite(comp.seed):
        return Needed(math.nan, "one seed: the seed variance is unknown")
    if comp.item == 0 and comp.resid == 0:
        return Needed(math.nan, "a scalar metric: it has no items to add")
    floor = comp.seed / n_seeds
    text = f"the seed variance alone (v_seed / S = {floor:.3g} at S = {n_seeds})"
    return _needed(lambda n: power(effect, comp, n_seeds, n), effect, floor, comp.df(n_seeds, MAX_N), "items", text, "seeds")


def _needed(power_at, effect, floor, df_limit, what, floor_text, other) -> Needed:
    if effect == 0:
        return Needed(math.inf, "a delta of 0 is never resolved")
    if power_at(MAX_N) < POWER:
        # Even with 10,000 the other dimension's term stays; say whether it is that term or just a small effect.
        needed_var = (abs(effect) / _shift_for_power(df_limit)) ** 2
        if floor >= needed_var:
            return Needed(
                math.inf,
                f"{floor_text} exceeds the variance that resolves |delta| = {abs(effect):.3g} ({needed_var:.3g}): more {what} cannot; add {other}",
            )
        return Needed(math.inf, f"more than {MAX_N:,} {what}")
    low, high = 1, MAX_N  # power(low) < POWER <= power(high); one seed or item has no interval of this kind
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if power_at(middle) >= POWER else (middle, high)
    return Needed(float(high), "")


def _shift_for_power(df: float, alpha: float = ALPHA, target: float = POWER) -> float:
    return optimize.brentq(lambda nc: _t_power(nc, df, alpha) - target, 0.0, 1e3, xtol=1e-10)


def _t_power(shift: float, df: float, alpha: float = ALPHA, scale: float = 1.0) -> float:
    """P(|T| > scale * t crit) for T noncentral t(df, shift). scipy's noncentral t gives nan at large shifts with
    few df; then average the normal tail over the chi-square quantiles of the variance (a bounded integrand)."""
    critical = scale * special.stdtrit(df, 1 - alpha / 2)
    fast = stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift)
    if math.isfinite(fast):
        return float(fast)

    def rejects(q: float) -> float:
        scale = critical * math.sqrt(stats.chi2.ppf(q, df) / df)
        return stats.norm.sf(scale - shift) + stats.norm.cdf(-scale - shift)

    return float(integrate.quad(rejects, 0, 1, limit=200)[0])
