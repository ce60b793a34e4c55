"""Mixture arithmetic (property tests over many budgets and ratios), sampling and the eval hold-out."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sft_ablate.data.mixture import draw_indices, hold_out, plan_mixture, source_rng, split_counts
from sft_ablate.errors import DataError


@st.composite
def weights(draw, max_sources: int = 5) -> dict[str, float]:
    """Ratios as people write them: percentages, some of them zero, summing to exactly 100."""
    n = draw(st.integers(1, max_sources))
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n - 1, max_size=n - 1)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100])]
    return {f"s{i}": p / 100 for i, p in enumerate(parts)}


@settings(max_examples=500, deadline=None)
@given(budget=st.integers(0, 20_000), w=weights())
def test_counts_sum_to_budget_and_stay_within_one_row(budget, w):
    counts = split_counts(budget, w)
    assert sum(counts.values()) == budget
    for name, weight in w.items():
        exact = Fraction(weight).limit_denominator(10**6) * budget
        assert abs(counts[name] - exact) < 1
        if weight == 0:
            assert counts[name] == 0


@settings(max_examples=300, deadline=None)
@given(budget=st.integers(1, 5_000), w=weights(), sizes=st.lists(st.integers(1, 3_000), min_size=5, max_size=5))
def test_shrink_never_asks_more_than_a_source_has(budget, w, sizes):
    available = {name: sizes[i] for i, name in enumerate(w)}
    plan = plan_mixture(budget, w, available, "shrink")
    assert plan.budget <= budget
    assert sum(plan.counts.values()) == plan.budget
    assert all(plan.counts[name] <= available[name] for name in w)
    assert plan.counts == split_counts(plan.budget, w)  # the ratio is kept, only the total shrinks


@settings(max_examples=300, deadline=None)
@given(budget=st.integers(1, 5_000), w=weights(), sizes=st.lists(st.integers(1, 3_000), min_size=5, max_size=5))
def test_upsample_keeps_budget_and_counts_repeats(budget, w, sizes):
    available = {name: sizes[i] for i, name in enumerate(w)}
    plan = plan_mixture(budget, w, available, "upsample")
    assert plan.counts == split_counts(budget, w)
    for name, n in plan.counts.items():
        assert plan.upsampled.get(name, 0) == max(0, n - available[name])
    assert bool(plan.notes) == bool(plan.upsampled)


def test_examples_from_the_issue():
    assert split_counts(400, {"synthetic": 0.5, "human": 0.5}) == {"synthetic": 200, "human": 200}
    assert split_counts(401, {"synthetic": 0.5, "human": 0.5}) == {"synthetic": 201, "human": 200}
    assert split_counts(100, {"synthetic": 0.3, "human": 0.7}) == {"synthetic": 30, "human": 70}
    assert split_counts(10, {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}) == {"a": 4, "b": 3, "c": 3}


def test_shrink_example():
    plan = plan_mixture(400, {"synthetic": 0.5, "human": 0.5}, {"synthetic": 50, "human": 1000}, "shrink")
    assert (plan.budget, plan.counts) == (100, {"synthetic": 50, "human": 50})
    assert "budget shrunk from 400 to 100" in plan.notes[0]


def test_empty_source_with_weight_is_an_error():
    with pytest.raises(DataError, match="has no rows left"):
        plan_mixture(10, {"a": 0.5, "b": 0.5}, {"a": 0, "b": 10}, "upsample")


def test_draws_are_seeded_and_nested_across_ratios():
    small = draw_indices(100, 30, source_rng(0, "human"))
    large = draw_indices(100, 70, source_rng(0, "human"))
    assert large[:30] == small  # a higher ratio adds rows; it does not redraw the ones already there
    assert len(set(large)) == 70
    assert draw_indices(100, 30, source_rng(1, "human")) != small
    assert draw_indices(100, 30, source_rng(0, "synthetic")) != small


def test_upsampling_repeats_every_row_before_any_row_thrice():
    drawn = draw_indices(10, 25, source_rng(0, "s"))
    counts = [drawn.count(i) for i in range(10)]
    assert sorted(counts) == [2] * 5 + [3] * 5


def test_hold_out_is_disjoint_fixed_and_independent_of_run_seed():
    train, held = hold_out(100, 20, seed=0, source="human")
    assert len(held) == 20 and not set(train) & set(held) and len(train) + len(held) == 100
    assert hold_out(100, 20, seed=0, source="human") == (train, held)
    assert hold_out(100, 20, seed=0, source="synthetic")[1] != held


def test_hold_out_never_takes_more_than_half():
    train, held = hold_out(10, 32, seed=0, source="tiny")
    assert len(held) == 5 and len(train) == 5
