"""Length-controlled Bradley-Terry ratings: the answer-length difference as a covariate, as Chatbot Arena's style
control does (and AlpacaEval's length-controlled win rate, in spirit).

A battle's log-odds for A are ``(r_a - r_b) * ln(10) / 400 + beta * x``, with ``x`` the normalized length
difference ``(len_a - len_b) / (len_a + len_b)`` (words of the judged answers) divided by its root mean square over
the pool, so ``beta`` is the effect of a typical length gap. The ratings then say how a model does against another
*at equal length*; ``beta`` (as Elo points: what one typical length gap is worth) says how much the judge rewards
length. Ties count as half a win, the anchor sits at 1000 and ``prior_games`` virtual ties with the anchor keep a
model that won everything finite, as in ``ratings.py``; a weak normal prior on ``beta`` keeps it finite when length
alone separates every battle.

The bootstrap resamples prompts, as the raw ratings do; all rounds are fitted together by Newton's method. Unlike
the raw fit, battles cannot be reduced to (pair, outcome) counts (each has its own length gap), so a round costs
O(battles x models^2) per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from sft_ablate.arena.ratings import _LOG_BASE, INITIAL, Battle, Difference

BETA_PRIOR_SD = 5.0  # log-odds per typical length gap: odds of e^5 (150x) is already more than any judge shows


@dataclass(frozen=True)
class LengthControlledFit:
    models: list[str]
    point: np.ndarray  # (models,) ratings at equal length, anchor at 1000
    boot: np.ndarray  # (rounds, models)
    beta: float  # Elo points one typical (root-mean-square) normalized length gap is worth
    beta_ci: tuple[float, float]
    battles: int

    def rating(self, model: str) -> tuple[float, float, float]:
        """(rating, 95% CI low, high)."""
        i = self.models.index(model)
        low, high = np.percentile(self.boot[:, i], [2.5, 97.5])
        return float(self.point[i]), float(low), float(high)

    def difference(self, model: str, other: str) -> Difference:
        i, j = self.models.index(model), self.models.index(other)
        low, high = np.percentile(self.boot[:, i] - self.boot[:, j], [2.5, 97.5])
        return Difference(model, other, float(self.point[i] - self.point[j]), float(low), float(high))


def length_gaps(battles: Sequence[Battle]) -> np.ndarray:
    """(len_a - len_b) / (len_a + len_b) per battle, scaled to root mean square 1 (all zero: left at zero).
    Scaled, not centred: which model is A is arbitrary, so a mean gap would be an artefact of the order."""
    a = np.array([b.length_a or 0 for b in battles], dtype=float)
    b = np.array([b.length_b or 0 for b in battles], dtype=float)
    total = a + b
    gap = np.divide(a - b, total, out=np.zeros_like(total), where=total > 0)
    rms = float(np.sqrt(np.mean(gap**2))) if len(gap) else 0.0
    return gap / rms if rms > 0 else gap


def fit_length_controlled(
    battles: Sequence[Battle], anchor: str, bootstrap_rounds: int = 1000, seed: int = 0, prior_games: float = 1.0
) -> LengthControlledFit | None:
    """The fit and its bootstrap draws over prompts (over battles when they name none); None when no battle knows
    its answers' lengths."""
    if not battles or any(b.length_a is None or b.length_b is None for b in battles):
        return None
    models = sorted({b.model_a for b in battles} | {b.model_b for b in battles} | {anchor})
    index = {m: i for i, m in enumerate(models)}
    ia = np.array([index[b.model_a] for b in battles])
    ib = np.array([index[b.model_b] for b in battles])
    score = np.array([b.score for b in battles], dtype=float)
    x = length_gaps(battles)
    rng = np.random.default_rng(seed)
    if any(b.prompt for b in battles):
        units = {p: n for n, p in enumerate(sorted({b.prompt for b in battles}))}
        unit = np.array([units[b.prompt] for b in battles])
    else:
        unit = np.arange(len(battles))
    n_units = int(unit.max()) + 1
    draws = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=bootstrap_rounds).astype(float)
    weights = np.vstack([np.ones((1, len(battles))), draws[:, unit]])  # row 0: the point fit
    ratings, beta = _fit(weights, ia, ib, score, x, len(models), index[anchor], prior_games)
    low, high = np.percentile(beta[1:], [2.5, 97.5])
    return LengthControlledFit(
        models,
        ratings[0],
        ratings[1:],
        float(beta[0] / _LOG_BASE),
        (float(low / _LOG_BASE), float(high / _LOG_BASE)),
        len(battles),
    )


def _fit(
    weights: np.ndarray,
    ia: np.ndarray,
    ib: np.ndarray,
    score: np.ndarray,
    x: np.ndarray,
    n_models: int,
    anchor: int,
    prior_games: float,
    iterations: int = 50,
) -> tuple[np.ndarray, np.ndarray]:
    """Ratings (R, models) and beta (R,) in log-odds, one fit per row of ``weights`` (R, battles).

    Newton's method on every round at once: a logistic regression on [model indicators (+1 for A, -1 for B), x],
    whose Hessians are one matrix product ((R, battles) @ (battles, K^2)), so it converges in a few steps where
    L-BFGS over the stacked rounds took hundreds."""
    free = [m for m in range(n_models) if m != anchor]
    column = {m: k for k, m in enumerate(free)}
    n_rep, k = weights.shape[0], len(free) + 1
    design = np.zeros((len(score), k))  # in log-odds: theta_m = rating_m * ln(10) / 400
    for row, (a, b) in enumerate(zip(ia, ib)):
        if a in column:
            design[row, column[a]] += 1.0
        if b in column:
            design[row, column[b]] -= 1.0
    design[:, -1] = x
    outer = (design[:, :, None] * design[:, None, :]).reshape(len(score), k * k)
    ws = weights * score[None, :]
    theta = np.zeros((n_rep, k))
    ridge = np.zeros(k)
    ridge[-1] = 1.0 / BETA_PRIOR_SD**2
    for _ in range(iterations):
        p = expit(theta @ design.T)
        grad = (weights * p - ws) @ design
        hess = ((weights * p * (1.0 - p)) @ outer).reshape(n_rep, k, k)
        # Virtual ties with the anchor (as ratings._fit) on the models, the prior on beta.
        q = expit(theta[:, :-1])
        grad[:, :-1] += prior_games * (q - 0.5)
        hess[:, np.arange(k - 1), np.arange(k - 1)] += prior_games * q * (1.0 - q)
        grad += theta * ridge
        hess += np.diag(ridge)
        step = np.linalg.solve(hess, grad[:, :, None])[:, :, 0]
        step *= np.minimum(1.0, 2.0 / np.maximum(np.abs(step).max(axis=1, keepdims=True), 1e-12))  # at most 2 log-odds
        theta -= step
        if np.abs(step).max() < 1e-9:
            break
    ratings = np.full((n_rep, n_models), INITIAL)
    ratings[:, free] += theta[:, :-1] / _LOG_BASE
    return ratings, theta[:, -1]
