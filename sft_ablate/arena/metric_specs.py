"""The arena's metrics in the metric table (sft_ablate/metrics.py): metrics.elo.<key>, as arena.leaderboard.elo_metrics
writes them. Light on purpose: the package imports it, so the report and the Optuna sweeper know them."""

from __future__ import annotations

from sft_ablate.metrics import ItemScores, MetricSpec, register_metric
from sft_ablate.record.items import ARENA_GROUP, SET_ARENA

ARENA = "arena.enabled"
# The win rate's items: each prompt's mean score against the base model, weighted by its battles. The Elo rating
# has none: a monotone transform of the same battles, which the win rate's items carry.
PROMPTS_VS_BASE = ItemScores(SET_ARENA, "win", group=ARENA_GROUP, weight="battles", per_unit=True)

for spec in (
    MetricSpec("elo.rating", "Elo", higher_is_better=True, order=40, when=ARENA),
    MetricSpec("elo.ci_low", "Elo CI low", higher_is_better=True, compare=False, order=41, when=ARENA),
    MetricSpec("elo.ci_high", "Elo CI high", higher_is_better=True, compare=False, order=42, when=ARENA),
    MetricSpec("elo.win_rate_vs_base", "win rate vs base", True, is_rate=True, order=43, when=ARENA, items=PROMPTS_VS_BASE),
    MetricSpec("elo.win_rate_ci_low", "win rate CI low", True, is_rate=True, compare=False, order=44, when=ARENA),
    MetricSpec("elo.win_rate_ci_high", "win rate CI high", True, is_rate=True, compare=False, order=45, when=ARENA),
    # Shown beside the rating, since a judge may favour long answers; no length is better than another.
    MetricSpec("elo.mean_answer_length", "mean answer length", None, compare=False, order=46, when=ARENA),
):
    register_metric(spec)
