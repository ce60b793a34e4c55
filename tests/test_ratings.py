"""Ratings against known truth: simulated battles from known strengths."""

from __future__ import annotations

import numpy as np
import pytest

from sft_ablate.arena.ratings import Battle, bradley_terry, online_elo

TRUE = {"base": 1000.0, "a": 1060.0, "b": 1120.0, "c": 940.0, "d": 1200.0, "e": 1010.0}


def simulate(n: int, rng: np.random.Generator, tie_rate: float = 0.1) -> list[Battle]:
    """Battles between random pairs; outcomes drawn from the Bradley-Terry model of TRUE, with some ties."""
    names = list(TRUE)
    battles = []
    for _ in range(n):
        i, j = rng.choice(len(names), 2, replace=False)
        a, b = names[i], names[j]
        p_a = 1.0 / (1.0 + 10 ** ((TRUE[b] - TRUE[a]) / 400))
        # Ties count as half a win, so the win probability among decisive battles is set to keep the
        # expected score at p_a: tie_rate / 2 + (1 - tie_rate) * p_win = p_a.
        p_win = (p_a - tie_rate / 2) / (1 - tie_rate)
        score = 0.5 if rng.random() < tie_rate else (1.0 if rng.random() < p_win else 0.0)
        battles.append(Battle(a, b, score))
    return battles


def test_recovers_the_true_order():
    ratings = bradley_terry(simulate(5000, np.random.default_rng(0)), anchor="base", bootstrap_rounds=200)
    assert [r.model for r in ratings] == sorted(TRUE, key=TRUE.get, reverse=True)
    for r in ratings:
        assert abs(r.rating - TRUE[r.model]) < 30, r


@pytest.mark.slow
def test_95_percent_intervals_cover_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    covered, total = 0, 0
    for rep in range(50):
        for r in bradley_terry(simulate(5000, rng), anchor="base", bootstrap_rounds=200, seed=rep):
            if r.model == "base":
                assert (r.rating, r.ci_low, r.ci_high) == (1000.0, 1000.0, 1000.0)  # the anchor
                continue
            covered += r.ci_low <= TRUE[r.model] <= r.ci_high
            total += 1
    coverage = covered / total
    assert 0.88 <= coverage <= 0.995, coverage  # 250 intervals (0.944 measured with this seed)


def test_online_elo_matches_the_arena_formula():
    elo = online_elo([Battle("x", "y", 1.0)])
    assert elo == {"x": pytest.approx(1002.0), "y": pytest.approx(998.0)}  # K=4, expected 0.5
    elo = online_elo([Battle("x", "y", 1.0), Battle("x", "y", 0.5)])
    expected_x = 1 / (1 + 10 ** ((998.0 - 1002.0) / 400))
    assert elo["x"] == pytest.approx(1002.0 + 4 * (0.5 - expected_x))


def test_a_tie_between_equals_changes_nothing():
    assert online_elo([Battle("x", "y", 0.5)]) == {"x": 1000.0, "y": 1000.0}
    ratings = {r.model: r for r in bradley_terry([Battle("x", "y", 0.5)] * 10, anchor="x", bootstrap_rounds=50)}
    assert ratings["y"].rating == pytest.approx(1000.0, abs=1e-3)


def test_a_model_that_always_wins_gets_a_finite_rating():
    ratings = {r.model: r for r in bradley_terry([Battle("new", "base", 1.0)] * 20, anchor="base", bootstrap_rounds=50)}
    assert 1200 < ratings["new"].rating < 2500
    assert ratings["new"].win_rate_vs_anchor == 1.0


def test_win_rate_against_the_anchor_counts_ties_as_half_and_both_orders():
    battles = [Battle("m", "base", 1.0), Battle("base", "m", 1.0), Battle("m", "base", 0.5), Battle("base", "m", 0.0)]
    rating = next(r for r in bradley_terry(battles, anchor="base", bootstrap_rounds=200) if r.model == "m")
    assert rating.win_rate_vs_anchor == pytest.approx((1 + 0 + 0.5 + 1) / 4)
    assert rating.win_rate_ci_low <= rating.win_rate_vs_anchor <= rating.win_rate_ci_high
    assert rating.battles == 4
