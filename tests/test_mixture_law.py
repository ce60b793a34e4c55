"""The mixture law (sft_ablate/report/mixture_law.py), by simulation: studies of a known loss curve, with seed and
item noise as the runs have them, must find its optimum and cover the curve at mixtures they did not run."""

from __future__ import annotations

import numpy as np
import pytest

from sft_ablate.report.mixture_law import (
    EFFECT_ALPHA,
    FORMS,
    LawData,
    LawFit,
    choose_form,
    fit_law,
    leave_one_level_out,
    mixture_effect_p,
    simplex_grid,
)


def true_loss(x: np.ndarray) -> np.ndarray:
    """A U in the synthetic fraction x: two sources each lowering its own items' loss by a power of its share (not
    one of the laws' forms), two thirds of the items the synthetic source's. Its optimum is OPTIMUM."""
    return 1.0 + (2 / 3) * 0.45 * (x + 0.05) ** -0.7 + (1 / 3) * 0.45 * (1.05 - x) ** -0.7


DENSE = np.linspace(0, 1, 100_001)
OPTIMUM = float(DENSE[np.argmin(true_loss(DENSE))])


def simulated_study(
    levels: list[float], rng: np.random.Generator, seeds: int = 3, items: np.ndarray | None = None, curve=true_loss
):
    """Per level, seeds x items scores: the curve, each item's effect (the same items in every level: a study's eval
    set is fixed), a seed shift and per-cell noise."""
    item_effect = rng.normal(0, 0.3, 24) if items is None else items
    scores = []
    for x in levels:
        cells = curve(np.array([x]))[0] + item_effect[None, :] + rng.normal(0, 0.04, (seeds, 1))
        scores.append(cells + rng.normal(0, 0.15, (seeds, len(item_effect))))
    weights = np.array([[x, 1 - x] for x in levels])
    return LawData(["synthetic", "human"], weights, [scores], [np.ones(len(item_effect))], [1.0])


def test_forms_fit_their_own_curves_exactly():
    w = simplex_grid(2, 0.125)
    for form in FORMS:
        theta = {"linear": [2.0, 1.0], "log-linear": [1.0, -0.2, -0.1], "exponential": [1.0, 0.5, -2.0], "quadratic": [2, 1, 3]}[
            form.name
        ]
        y = form.predict(np.array(theta, dtype=float), w)
        assert np.allclose(form.predict(form.fit(w, y), w), y, atol=1e-6), form.name
        assert leave_one_level_out(form, w, y) < 1e-5, form.name


def test_the_law_is_chosen_by_leave_one_level_out_error_once_the_levels_can_check_it():
    w = simplex_grid(2, 0.125)  # 9 levels
    y = 1.0 + 0.3 * (w[:, 0] - 0.6) ** 2  # a parabola: the quadratic fits it, the line cannot
    choice = choose_form(w, y)
    assert choice.checked and choice.form.name == "quadratic", choice
    three = np.array([[0.1, 0.9], [0.5, 0.5], [0.9, 0.1]])
    choice = choose_form(three, 1.0 + 0.3 * (three[:, 0] - 0.6) ** 2)
    assert not choice.checked and choice.form.name == "log-linear" and "1 more mixture" in choice.why
    two = choose_form(np.array([[0.2, 0.8], [0.8, 0.2]]), np.array([1.0, 2.0]))
    assert two.form is None and "too few" in two.why


def test_three_levels_find_the_optimum_and_cover_the_levels_not_run():
    """Over simulated studies at 0.1, 0.5, 0.9 with 3 seeds: the predicted optimum is within 0.1 of the true one in
    most studies, and the 90% prediction intervals at the other six levels of a 9-level grid hold what a study with
    as many seeds observes there on the same items about 90% of the time, and the law's intervals (items resampled)
    cover the loss on all items like them (the true curve)."""
    rng = np.random.default_rng(0)
    unseen = [0.2, 0.3, 0.4, 0.6, 0.7, 0.8]
    near, covered, population, total = 0, 0, 0, 0
    studies = 40
    for k in range(studies):
        items = rng.normal(0, 0.3, 24)
        data = simulated_study([0.1, 0.5, 0.9], rng, items=items)
        fit = fit_law(data, draws=200, seed=k, at=np.array([[x, 1 - x] for x in unseen]))
        assert isinstance(fit, LawFit)
        near += abs(fit.optimum.weights[0] - OPTIMUM) <= 0.1
        observed = simulated_study(unseen, rng, items=items)  # fresh seeds at the levels not run, the same items
        means = np.array([v.mean() for v in observed.per_seed()])
        covered += int(np.sum((fit.grid.pi_low <= means) & (means <= fit.grid.pi_high)))
        truth = true_loss(np.array(unseen))  # the loss over all items like these (their effects average 0)
        population += int(np.sum((fit.grid.low <= truth) & (truth <= fit.grid.high)))
        total += len(unseen)
    print(
        f"optimum {OPTIMUM:.3f}: within 0.1 in {near}/{studies}; prediction intervals cover {covered}/{total} "
        f"observed means; the law's intervals cover the true loss {population}/{total}"
    )
    assert near >= 0.8 * studies
    assert 0.85 * total <= covered <= 0.97 * total  # calibrated, not merely wide
    assert population >= 0.85 * total


def test_a_flat_law_recommends_nothing_at_its_stated_rate_and_a_real_curve_is_found():
    """Under the null (every mixture the same loss; only seed and item noise) the law still has a lowest point, but
    the report may call it a recommendation in at most EFFECT_ALPHA of studies; with the U curve, in (nearly) all."""
    rng = np.random.default_rng(2)
    levels = [0.1, 0.5, 0.9]
    flat = [mixture_effect_p(simulated_study(levels, rng, curve=lambda x: np.ones_like(x)).per_seed()) for _ in range(1000)]
    null_rate = np.mean([p < EFFECT_ALPHA for p in flat])

    # A U 0.3 times as deep as true_loss's: the levels 0.06-0.18 apart, 1-3.5 times one run's seed spread (~0.05).
    def shallow(x):
        return 1 + 0.3 * (true_loss(x) - 1)

    planted = [mixture_effect_p(simulated_study(levels, rng, curve=shallow).per_seed()) for _ in range(200)]
    power = np.mean([p < EFFECT_ALPHA for p in planted])
    print(f"a recommendation in {null_rate:.1%} of 1,000 flat studies; in {power:.0%} of 200 with a shallow U")
    assert null_rate <= EFFECT_ALPHA + 2 * np.sqrt(EFFECT_ALPHA * (1 - EFFECT_ALPHA) / 1000)
    assert power >= 0.85
    fit = fit_law(simulated_study(levels, rng, curve=lambda x: np.ones_like(x)), draws=50)
    assert isinstance(fit, LawFit) and fit.effect_p is not None
    fit = fit_law(simulated_study(levels, rng), draws=50)
    assert isinstance(fit, LawFit) and fit.recommends
    assert fit_law(simulated_study(levels, rng, seeds=1), draws=50).effect_p is None  # no seed spread: unchecked


def test_without_seed_spread_the_intervals_say_items_only():
    rng = np.random.default_rng(1)
    fit = fit_law(simulated_study([0.1, 0.5, 0.9], rng, seeds=1), draws=50)
    assert isinstance(fit, LawFit) and fit.noise.df == 0 and fit.basis.startswith("items only")


@pytest.mark.parametrize("m", [3])
def test_three_sources_find_the_interior_optimum(m):
    """A bowl over the simplex, minimum at (0.5, 0.3, 0.2): 10 mixtures are enough for the quadratic to be checked."""
    rng = np.random.default_rng(2)
    best = np.array([0.5, 0.3, 0.2])
    levels = simplex_grid(m, 1 / 3)
    scores = [1 + 2 * np.sum((w - best) ** 2) + rng.normal(0, 0.01, (3, 12)) for w in levels]
    fit = fit_law(LawData(["a", "b", "c"], levels, [scores], [np.ones(12)], [1.0]), draws=50)
    assert isinstance(fit, LawFit) and fit.choice.checked
    assert np.abs(fit.optimum.weights - best).max() <= 0.1, fit.optimum
