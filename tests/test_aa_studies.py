"""Real A/A studies end to end: two halves of the human rows (drawn anew for each seed, so exchangeable), 3 seeds
each, the default metrics (held-out rows per source, the external set, the multiple-choice benchmark, the arena).
No metric has a true difference, so the report must conclude nothing. scripts/aa_studies.py measures the rate
over many studies."""

from __future__ import annotations

import pytest

from scripts.aa_studies import VERDICT, claim_rate, run_study

pytestmark = pytest.mark.slow
SMALL = ["model=tiny", "tracking=none", "data.budget=64", "train.epochs=2", "arena.max_prompts=8"]


def test_a_few_aa_studies_conclude_nothing(tmp_path, cache_dir):
    results = [run_study(tmp_path / f"split_{seed}", seed, seeds=3, overrides=SMALL) for seed in (0, 1, 2)]
    for result in results:
        verdicts = [VERDICT.search(line) for line in result.verdicts]
        assert {v["factor"] for v in verdicts} == {"mix"}, result.verdicts  # the study compared the two halves
        assert not result.claims, result.verdicts
    assert claim_rate(results)[:2] == (0, 3)


def test_an_aa_mixture_study_recommends_no_mixture(tmp_path, cache_dir):
    """The two halves alone at fractions 1, 0.5 and 0 of half A: the mixture law is fitted (three levels), but since
    no fraction is better, the report must not call its lowest point the best mixture."""
    result = run_study(tmp_path / "mixture", 0, seeds=3, overrides=SMALL, mixture=True)
    assert len(result.mixture) >= 1, result  # a law was fitted and headlined
    assert not result.claims, [*result.verdicts, *result.mixture]
    assert all(line.lstrip("*").startswith("No mixture recommended") for line in result.mixture), result.mixture
