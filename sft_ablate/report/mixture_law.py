"""The mixture law: an eval set's loss as a function of the mixture weights, fitted to the levels a study ran, the
mixture it predicts is best, and intervals from the seeds and the items.

Why: a study runs a few mixtures, and the user wants the best one, which it may not have run. As in the data-mixing
literature (Ye et al. 2024, "Data Mixing Laws"; RegMix, Liu et al. 2024), a small parametric law is fitted to the
levels run and minimised. Which law: the one with the lowest leave-one-level-out error among the forms the levels can
check (a form with p parameters needs p + 1 levels); with too few levels, the fewest-parameter curve that fits, marked
unchecked. Intervals, from draws that each refit the law: for the loss on eval items like these, the items are
resampled (the same items in every level, so their luck moves all levels together) and each level's mean gets seed
noise from a t on the seed-to-seed variance pooled over the levels; for the mean a study would observe at a mixture
it did not run, on these same items, the seed noise alone, the fit's and the new runs' (docs/statistics.md). Pure numpy/scipy: nothing here knows about runs or frames.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

LOG_FLOOR = 0.02  # log(w + LOG_FLOOR): a source at weight 0 is not minus infinity
CONFIDENCE = 0.90
DRAWS = 400
GRID_STEP = 0.1  # the table's fractions
SEARCH_STEP = {2: 0.001, 3: 0.01}  # where the optimum is searched; coarser with more sources
EFFECT_ALPHA = 0.05  # below this, the mixtures run differ beyond seed noise and the law's optimum is a recommendation


@dataclass(frozen=True)
class Form:
    """A law L(w) over the weights w (rows sum to 1). `columns` makes it linear in its parameters; `exp` is not."""

    name: str
    formula: str
    n_params: Callable[[int], int]
    columns: Callable[[np.ndarray], np.ndarray] | None  # None: fitted by nonlinear least squares

    def fit(self, weights: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.columns is not None:
            return np.linalg.lstsq(self.columns(weights), y, rcond=None)[0]
        return _fit_exp(weights, y)

    def predict(self, theta: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if self.columns is not None:
            return self.columns(weights) @ theta
        return theta[0] + theta[1] * np.exp(weights[:, :-1] @ theta[2:])


def _quadratic(w: np.ndarray) -> np.ndarray:
    pairs = [w[:, j] * w[:, k] for j, k in itertools.combinations(range(w.shape[1]), 2)]
    return np.column_stack([w, *pairs])


def _log_linear(w: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(w)), np.log(w + LOG_FLOOR)])


def _fit_exp(w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """c + k exp(t . w[:-1]) (the last weight is 1 minus the others), from a few starting slopes."""
    free = w[:, :-1]
    best, best_cost = None, math.inf
    for start in (-4.0, -1.0, 1.0, 4.0):
        t0 = np.full(free.shape[1], start)
        e = np.exp(free @ t0)
        k0 = (y.max() - y.min()) / max(np.ptp(e), 1e-9) * np.sign(np.corrcoef(e, y)[0, 1] if np.ptp(e) and np.ptp(y) else 1)
        x0 = np.array([y.mean() - k0 * e.mean(), k0, *t0])

        def residual(theta: np.ndarray) -> np.ndarray:
            return theta[0] + theta[1] * np.exp(np.clip(free @ theta[2:], -50, 50)) - y

        try:
            found = optimize.least_squares(residual, x0, method="lm" if len(y) > len(x0) else "trf")
        except (ValueError, np.linalg.LinAlgError):
            continue
        if found.cost < best_cost:
            best, best_cost = found.x, found.cost
    return best if best is not None else np.full(2 + free.shape[1], np.nan)


FORMS = [
    Form("linear", "Σ b_j w_j", lambda m: m, lambda w: w),
    Form("log-linear", "a + Σ b_j log(w_j + 0.02)", lambda m: m + 1, _log_linear),
    Form("exponential", "c + k exp(Σ t_j w_j)  (Ye et al. 2024)", lambda m: m + 1, None),
    Form("quadratic", "Σ b_j w_j + Σ c_jk w_j w_k  (Scheffé)", lambda m: m + m * (m - 1) // 2, _quadratic),
]
CURVED_BY_DEFAULT = ["log-linear", "quadratic", "exponential"]  # unchecked fallback order: losses fall log-like with a share


@dataclass(frozen=True)
class LawData:
    """What a law is fitted to: per level (its weights), the per-seed x per-item scores of each eval set in the
    target, with the sets' item weights and the target's coefficients (one set: [1.0])."""

    sources: list[str]
    weights: np.ndarray  # (levels, sources)
    scores: list[list[np.ndarray]]  # [set][level] -> (seeds, items), NaN where missing
    item_weights: list[np.ndarray]  # [set] -> (items,)
    coefs: list[float]

    @property
    def n_levels(self) -> int:
        return len(self.weights)

    def per_seed(self, items: list[np.ndarray] | None = None) -> list[np.ndarray]:
        """Each level's target value per seed, over the given item draws (default: every item once)."""
        out = []
        for level in range(self.n_levels):
            value = 0.0
            for k, coef in enumerate(self.coefs):
                x, w = self.scores[k][level], self.item_weights[k]
                if items is not None:
                    x, w = x[:, items[k]], w[items[k]]
                value = value + coef * _weighted_row_means(x, w)
            out.append(np.atleast_1d(value))
        return out


def _weighted_row_means(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each seed's weighted mean over its items (a loss is sum(nll) / sum(tokens): the token-weighted mean)."""
    weight = np.where(np.isfinite(x), w, 0.0)
    return (np.nan_to_num(x) * weight).sum(axis=1) / weight.sum(axis=1)


@dataclass(frozen=True)
class SeedNoise:
    """The seed-to-seed variance of one run's score, pooled over the levels, and its degrees of freedom (0: unknown,
    every level ran one seed; intervals then count the items only)."""

    variance: float
    df: int

    def draw(self, rng: np.random.Generator, n_seeds: np.ndarray) -> np.ndarray:
        if self.df == 0:
            return np.zeros(len(n_seeds))
        return np.sqrt(self.variance / n_seeds) * rng.standard_t(self.df, size=len(n_seeds))


def seed_noise(per_seed: list[np.ndarray]) -> SeedNoise:
    squares = sum(float(((v - v.mean()) ** 2).sum()) for v in per_seed)
    df = sum(len(v) - 1 for v in per_seed)
    return SeedNoise(squares / df if df else 0.0, df)


def mixture_effect_p(per_seed: list[np.ndarray]) -> float | None:
    """Do the mixtures run differ at all? One-way ANOVA of the runs' scores across the levels, against the seeds'
    spread (every run is scored on the same items, so their luck is common to all levels and drops out). Without it
    a flat law still has a minimum somewhere, and noise would pick it. None: no level ran two seeds."""
    if sum(len(v) - 1 for v in per_seed) == 0 or len(per_seed) < 2:
        return None
    p = float(stats.f_oneway(*per_seed).pvalue)
    return p if math.isfinite(p) else None


def leave_one_level_out(form: Form, weights: np.ndarray, y: np.ndarray) -> float:
    """Root mean squared error predicting each level from a fit to the others; nan when the others are too few."""
    n = len(y)
    if n - 1 < form.n_params(weights.shape[1]):
        return math.nan
    errors = []
    for i in range(n):
        keep = np.arange(n) != i
        theta = form.fit(weights[keep], y[keep])
        errors.append(float(form.predict(theta, weights[i : i + 1])[0] - y[i]))
    return float(np.sqrt(np.mean(np.square(errors))))


@dataclass(frozen=True)
class FormChoice:
    form: Form | None  # None: too few levels for any curve
    checked: bool  # chosen by its leave-one-level-out error
    errors: dict[str, float]  # each form's leave-one-level-out RMSE (nan: not checkable with these levels)
    why: str


def choose_form(weights: np.ndarray, y: np.ndarray) -> FormChoice:
    """The lowest leave-one-level-out error among the forms the levels can check, once a curve is among them (a law
    without curvature can have no optimum inside the range); else the first curve in CURVED_BY_DEFAULT the levels
    determine, unchecked."""
    m, n = weights.shape[1], len(y)
    errors = {form.name: leave_one_level_out(form, weights, y) for form in FORMS}
    checkable = [f for f in FORMS if math.isfinite(errors[f.name])]
    if any(f.name != "linear" for f in checkable):
        best = min(checkable, key=lambda f: errors[f.name])
        return FormChoice(best, True, errors, f"lowest leave-one-level-out error of {len(checkable)} forms")
    for name in CURVED_BY_DEFAULT:
        form = next(f for f in FORMS if f.name == name)
        if form.n_params(m) <= n:
            need = form.n_params(m) + 1
            return FormChoice(
                form,
                False,
                errors,
                f"{n} levels fit every {form.n_params(m)}-parameter law exactly, so none can be checked; {name} (losses "
                f"fall log-like with a source's share) is used unchecked: a run at {need - n} more mixture(s), e.g. the "
                "predicted optimum (--confirm), checks it",
            )
    return FormChoice(None, False, errors, f"{n} levels are too few for a curve over {m} sources")


def simplex_grid(m: int, step: float) -> np.ndarray:
    """Every weight vector on the simplex whose weights are multiples of step."""
    n = round(1 / step)
    points = [c for c in itertools.product(range(n + 1), repeat=m - 1) if sum(c) <= n]
    return np.array([[*c, n - sum(c)] for c in points], dtype=float) / n


@dataclass
class Prediction:
    """The law's prediction at some weights: the fitted mean with its interval for the loss on eval items like
    these (items resampled, seeds drawn), and the prediction interval for the mean a study with as many seeds would
    observe there on these same items (the seeds' noise only: the fit's and the new runs')."""

    weights: np.ndarray
    mean: np.ndarray
    low: np.ndarray  # CONFIDENCE interval of the law's value
    high: np.ndarray
    pi_low: np.ndarray  # CONFIDENCE prediction interval for an observed level mean
    pi_high: np.ndarray
    inside: np.ndarray  # within the range of weights the study ran (outside: extrapolated)


@dataclass
class Optimum:
    weights: np.ndarray  # argmin of the fitted law within the range run
    weights_low: np.ndarray  # CONFIDENCE interval of each weight of the argmin over the draws
    weights_high: np.ndarray
    loss: float
    pi_low: float
    pi_high: float


@dataclass
class LawFit:
    sources: list[str]
    choice: FormChoice
    theta: np.ndarray
    level_means: np.ndarray  # the target at each level run (mean over its seeds)
    level_seeds: np.ndarray
    noise: SeedNoise
    grid: Prediction  # at every weight vector in GRID_STEP steps
    optimum: Optimum
    n_draws: int
    draws_failed: int = 0
    notes: list[str] = field(default_factory=list)
    run_low: np.ndarray | None = None  # each weight's range over the mixtures run: the law's trusted region
    run_high: np.ndarray | None = None
    effect_p: float | None = None  # mixture_effect_p: None when no level ran two seeds

    @property
    def recommends(self) -> bool:
        """The optimum is a recommendation only where the mixtures run were shown to differ."""
        return self.effect_p is not None and self.effect_p < EFFECT_ALPHA

    @property
    def form(self) -> Form:
        assert self.choice.form is not None
        return self.choice.form

    @property
    def at_edge(self) -> bool:
        """The optimum sits on the edge of the range run where more of a source could still be run: the law keeps
        falling towards mixtures the study did not try, so the best one may lie beyond them."""
        if self.run_low is None or self.run_high is None:
            return False
        w = self.optimum.weights
        low = (w <= self.run_low + 0.011) & (self.run_low > 0.011)
        high = (w >= self.run_high - 0.011) & (self.run_high < 0.989)
        return bool(np.any(low | high))

    @property
    def basis(self) -> str:
        return "seeds × items" if self.noise.df else "items only (one seed per level)"


def fit_law(
    data: LawData, *, draws: int = DRAWS, seed: int = 0, n_seeds_new: int | None = None, at: np.ndarray | None = None
) -> LawFit | FormChoice:
    """Fit the law to the levels, predict at `at` (default: the GRID_STEP grid) and find the optimum, with intervals
    from `draws` resamples. Returns the FormChoice alone when no law can be fitted (too few levels)."""
    per_seed = data.per_seed()
    y = np.array([v.mean() for v in per_seed])
    choice = choose_form(data.weights, y)
    if choice.form is None:
        return choice
    form, m = choice.form, data.weights.shape[1]
    noise = seed_noise(per_seed)
    level_seeds = np.array([len(v) for v in per_seed])
    n_new = n_seeds_new or int(np.median(level_seeds))
    at = simplex_grid(m, GRID_STEP) if at is None else at
    search = simplex_grid(m, SEARCH_STEP.get(m, 0.05))
    lo, hi = data.weights.min(axis=0), data.weights.max(axis=0)
    in_range = np.all((search >= lo - 1e-9) & (search <= hi + 1e-9), axis=1)
    search = search[in_range]

    theta = form.fit(data.weights, y)
    rng = np.random.default_rng(seed)
    points = np.vstack([at, search])
    curves, observed, failed = [], [], 0
    for _ in range(draws):
        # The loss on items like these: items resampled, seeds drawn. An observed mean on these same items: seeds only.
        items = [rng.integers(0, len(w), size=len(w)) for w in data.item_weights]
        resampled = np.array([v.mean() for v in data.per_seed(items)]) + noise.draw(rng, level_seeds)
        same_items = y + noise.draw(rng, level_seeds)
        curve = form.predict(form.fit(data.weights, resampled), points)
        seen = form.predict(form.fit(data.weights, same_items), points) + noise.draw(rng, np.full(len(points), n_new))
        if not (np.all(np.isfinite(curve)) and np.all(np.isfinite(seen))):
            failed += 1
            continue
        curves.append(curve)
        observed.append(seen)
    if not curves:
        raise ValueError(f"the {form.name} law gave no finite fit in {draws} resamples")
    tail = (1 - CONFIDENCE) / 2 * 100
    curves_a, observed_a = np.array(curves), np.array(observed)
    n_at = len(at)
    grid = Prediction(
        at,
        form.predict(theta, at),
        np.percentile(curves_a[:, :n_at], tail, axis=0),
        np.percentile(curves_a[:, :n_at], 100 - tail, axis=0),
        np.percentile(observed_a[:, :n_at], tail, axis=0),
        np.percentile(observed_a[:, :n_at], 100 - tail, axis=0),
        np.all((at >= lo - 1e-9) & (at <= hi + 1e-9), axis=1),
    )
    best = int(np.argmin(form.predict(theta, search)))
    best_w = search[np.argmin(curves_a[:, n_at:], axis=1)]  # each draw's own optimum: how sure the argmin is
    optimum = Optimum(
        search[best],
        np.percentile(best_w, tail, axis=0),
        np.percentile(best_w, 100 - tail, axis=0),
        float(form.predict(theta, search[best : best + 1])[0]),
        float(np.percentile(observed_a[:, n_at + best], tail)),
        float(np.percentile(observed_a[:, n_at + best], 100 - tail)),
    )
    notes = [f"{failed} of {draws} resamples gave no finite fit and were left out"] if failed else []
    return LawFit(
        data.sources, choice, theta, y, level_seeds, noise, grid, optimum, draws - failed, failed, notes, lo, hi,
        mixture_effect_p(per_seed),
    )  # fmt: skip


def predict(fit: LawFit, data: LawData, weights: Sequence[Sequence[float]], *, draws: int = DRAWS, seed: int = 0) -> Prediction:
    """The law's predictions, with intervals, at weights the grid may not hold (e.g. a level run later)."""
    found = fit_law(data, draws=draws, seed=seed, n_seeds_new=int(np.median(fit.level_seeds)), at=np.asarray(weights, float))
    assert isinstance(found, LawFit)
    return found.grid
