"""The pool's leaderboard under one judge: Bradley-Terry ratings with bootstrap CIs over prompts, anchored on
the base model at 1000, raw and length-controlled (``length_control.py``), the judge's audit (``audit.py``: its
ladder's battles are kept out of the pool), and a run's ``metrics.elo`` taken from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sft_ablate.arena.audit import JudgeAudit, is_ladder, judge_audit
from sft_ablate.arena.battles import Outcomes, answer_lengths, outcomes
from sft_ablate.arena.length_control import LengthControlledFit, fit_length_controlled
from sft_ablate.arena.ratings import BradleyTerryFit, Rating, fit_bradley_terry
from sft_ablate.arena.store import ArenaStore, StoredBattle


@dataclass
class Leaderboard:
    anchor: str
    judge: str
    ratings: list[Rating]  # best first
    mean_length: dict[str, float]  # words in the judged answer
    outcomes: Outcomes
    stored: list[StoredBattle]  # the pool's battles under the judge (the audit's ladder is kept out)
    fit: BradleyTerryFit | None  # None: no decided battle
    lc: LengthControlledFit | None = None  # length-controlled; None: no decided battle
    audit: JudgeAudit | None = None  # None: the judge's ladder was never judged in this store

    def rating(self, model: str) -> Rating | None:
        return next((r for r in self.ratings if r.model == model), None)

    def length_controlled(self, model: str) -> dict[str, float | None]:
        """The model's length-controlled rating and difference to the anchor, with 95% CIs (None without a fit)."""
        keys = ("lc_rating", "lc_ci_low", "lc_ci_high", "lc_diff_vs_base", "lc_diff_vs_base_ci_low", "lc_diff_vs_base_ci_high")
        if self.lc is None or model not in self.lc.models:
            return dict.fromkeys(keys)
        rating, low, high = self.lc.rating(model)
        return dict(zip(keys, (round(v, 1) for v in (rating, low, high, rating - 1000.0, low - 1000.0, high - 1000.0))))

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
                **self.length_controlled(r.model),
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
    pool = [b for b in stored if not (is_ladder(b.model_a) or is_ladder(b.model_b))]
    result = outcomes(pool, lengths=answer_lengths(store))
    fit = fit_bradley_terry(result.battles, anchor, bootstrap_rounds, seed) if result.battles else None
    lc = fit_length_controlled(result.battles, anchor, bootstrap_rounds, seed) if result.battles else None
    lengths = store.mean_lengths({b.prompt_key for b in pool})
    audit = judge_audit(stored, min(bootstrap_rounds, 200), seed)  # its ranks and tau need no more rounds
    return Leaderboard(anchor, judge, fit.ratings if fit else [], lengths, result, pool, fit, lc, audit)


def elo_metrics(board: Leaderboard, model: str) -> dict[str, float | None] | None:
    """The run's metrics.elo (the keys the report reads), or None when it has no decided battle.

    A snapshot: the pool as it stood when written (``pool_models``, ``pool_battles``); later runs move every
    rating, so the report rates from the store itself. Without the win rate vs base when the judge failed its audit."""
    r = board.rating(model)
    if r is None:
        return None
    win_rate = {
        "win_rate_vs_base": rounded(r.win_rate_vs_anchor),
        "win_rate_ci_low": rounded(r.win_rate_ci_low),
        "win_rate_ci_high": rounded(r.win_rate_ci_high),
    }
    unfit = board.audit is not None and not board.audit.passed
    return {
        "rating": round(r.rating, 2),
        "ci_low": round(r.ci_low, 2),
        "ci_high": round(r.ci_high, 2),
        **_differences(r),
        "pool_models": len(board.ratings),
        "pool_battles": len(board.outcomes.battles),
        # The win rate vs base is the arena's test in the report's verdict: a judge that failed its audit gets none
        # (results.json's arena section keeps the figures: its leaderboard rows and the audit).
        **({} if unfit else win_rate),
        "mean_answer_length": rounded(board.mean_length.get(model), 2),
        **board.length_controlled(model),
    }


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
