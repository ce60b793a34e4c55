"""The pool's leaderboard under one judge: Bradley-Terry ratings with bootstrap CIs over prompts, anchored on
the base model at 1000, and a run's ``metrics.elo`` taken from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sft_ablate.arena.battles import Outcomes, outcomes
from sft_ablate.arena.ratings import BradleyTerryFit, Rating, fit_bradley_terry
from sft_ablate.arena.store import ArenaStore, StoredBattle


@dataclass
class Leaderboard:
    anchor: str
    judge: str
    ratings: list[Rating]  # best first
    mean_length: dict[str, float]  # words in the judged answer
    outcomes: Outcomes
    stored: list[StoredBattle]
    fit: BradleyTerryFit | None  # None: no decided battle

    def rating(self, model: str) -> Rating | None:
        return next((r for r in self.ratings if r.model == model), None)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "model": r.model,
                "rating": round(r.rating, 1),
                "ci_low": round(r.ci_low, 1),
                "ci_high": round(r.ci_high, 1),
                "online_elo": round(r.elo, 1),
                **_differences(r),
                "win_rate_vs_base": rounded(r.win_rate_vs_anchor),
                "win_rate_ci_low": rounded(r.win_rate_ci_low),
                "win_rate_ci_high": rounded(r.win_rate_ci_high),
                "battles": r.battles,
                "mean_answer_length": rounded(self.mean_length.get(r.model), 1),
            }
            for r in self.ratings
        ]


def _differences(r: Rating) -> dict[str, Any]:
    """The rating's difference to the base (the anchor, at 1000: the rating CI is that difference's CI) and to
    the model ranked just below, with 95% bootstrap CIs over prompts."""
    return {
        "diff_vs_base": round(r.rating - 1000.0, 1),
        "diff_vs_base_ci_low": round(r.ci_low - 1000.0, 1),
        "diff_vs_base_ci_high": round(r.ci_high - 1000.0, 1),
        "next_model": r.next_model,
        "diff_vs_next": rounded(r.diff_next, 1),
        "diff_vs_next_ci_low": rounded(r.diff_next_low, 1),
        "diff_vs_next_ci_high": rounded(r.diff_next_high, 1),
    }


def leaderboard(store: ArenaStore, judge: str, anchor: str, bootstrap_rounds: int = 1000, seed: int = 0) -> Leaderboard:
    stored = store.battles(judge)
    result = outcomes(stored)
    fit = fit_bradley_terry(result.battles, anchor, bootstrap_rounds, seed) if result.battles else None
    lengths = store.mean_lengths({b.prompt_key for b in stored})
    return Leaderboard(anchor, judge, fit.ratings if fit else [], lengths, result, stored, fit)


def elo_metrics(board: Leaderboard, model: str) -> dict[str, float | None] | None:
    """The run's metrics.elo (the keys the report reads), or None when it has no decided battle.

    A snapshot: the pool as it stood when written (``pool_models``, ``pool_battles``); later runs move every
    rating, so the report rates from the store itself."""
    r = board.rating(model)
    if r is None:
        return None
    return {
        "rating": round(r.rating, 2),
        "ci_low": round(r.ci_low, 2),
        "ci_high": round(r.ci_high, 2),
        **_differences(r),
        "pool_models": len(board.ratings),
        "pool_battles": len(board.outcomes.battles),
        "win_rate_vs_base": rounded(r.win_rate_vs_anchor),
        "win_rate_ci_low": rounded(r.win_rate_ci_low),
        "win_rate_ci_high": rounded(r.win_rate_ci_high),
        "mean_answer_length": rounded(board.mean_length.get(model), 2),
    }


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
