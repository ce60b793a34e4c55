"""The judge's audit: before its verdicts count, a judge ranks a ladder of answers whose order is known, and a null
canary.

The ladder is built from the study's own prompts and reference answers (``validation.degraded``): each reference
whole, cut to half and to a tenth of its words, and another prompt's reference; a judge worth its name ranks them
in that order. The canary (``validation.CANARY_ANSWER``) answers every prompt with the same fluent sentence that
says nothing: a judge that ranks it above the weakest rung is fooled by form (null-model attacks fooled AlpacaEval,
Arena-Hard and MT-Bench this way). They are pseudo-models of the store (``ladder/full`` ... ``ladder/shuffled``,
kind ``ladder``; ``canary``, kind ``canary``): their answers are generations, their battles battles under the
judge's own hash, so the judgment cache makes the audit a one-time cost per judge and store, and the report rates
it from the store without a judge call. The ladder's models never enter the pool's leaderboard; the canary does
(it battles every run and the base), so a drifting or gamed judge shows in every leaderboard.

A judge passes when its Kendall tau on the ladder is at least ``MIN_TAU`` and the canary ranks below the weakest
rung. Which prompts: the study's prompts with a reference answer, the first ``limit`` of them; with fewer than
``MIN_LADDER_PROMPTS`` such prompts (MT-Bench's open questions, a verifiable number alone), the bundled prompts
(all with references), and the audit says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sft_ablate.arena.battles import Fixture, outcomes, play
from sft_ablate.arena.judges import JudgeConfig
from sft_ablate.arena.prompts import ArenaPrompt
from sft_ablate.arena.ratings import fit_bradley_terry
from sft_ablate.arena.store import ArenaStore, StoredBattle
from sft_ablate.arena.validation import CANARY, CANARY_ANSWER, CANARY_KIND, KNOWN_ORDER, LADDER, LADDER_KIND, degraded
from sft_ablate.cache import content_key
from sft_ablate.io import read_jsonl_objects
from sft_ablate.paths import SAMPLE_DATA_DIR

MIN_TAU = 0.8
MIN_LADDER_PROMPTS = 8
LADDER_SEED = 0  # the rungs answer once: their answers are the same text whatever the seed
# Neighbouring rungs, and the canary against every rung: the order and where the canary sits, in 7 battles a prompt
# (all 10 pairs would cost 43% more judge calls for an order that neighbours already fix).
LADDER_PAIRS = [*zip(LADDER, LADDER[1:]), *((CANARY, rung) for rung in LADDER)]


def is_ladder(model: str) -> bool:
    """A ladder rung: never part of the pool's leaderboard."""
    return model in LADDER


@dataclass(frozen=True)
class JudgeAudit:
    ranking: list[str]  # the rungs and the canary, best first by Bradley-Terry rating
    ratings: dict[str, float]
    tau: float  # Kendall tau of the rungs' ratings against the known order (NaN, no order: 0)
    swap_agreement: float | None  # on the ladder's battles
    prompts: int
    battles: int
    unparseable: int
    pending: int
    own_prompts: bool | None  # built on the pool's own prompts, or the bundled ones; None: the pool has no battle yet

    @property
    def canary_rank(self) -> int:
        return self.ranking.index(CANARY) + 1

    @property
    def weakest_rung(self) -> str:
        return min(LADDER, key=lambda m: self.ratings[m])

    @property
    def canary_outranks(self) -> list[str]:
        """The rungs the canary rates above (a fit judge: none)."""
        return [m for m in LADDER if self.ratings[CANARY] > self.ratings[m]]

    @property
    def passed(self) -> bool:
        return self.tau >= MIN_TAU and not self.canary_outranks

    @property
    def failure(self) -> str | None:
        """'the judge failed its check: τ = 0.33 (< 0.8), ...', or None when it passed."""
        if self.passed:
            return None
        why = [f"τ = {self.tau:.2f}" + (f" (< {MIN_TAU})" if self.tau < MIN_TAU else "")]
        if self.canary_outranks:
            why.append("the canary outranks " + ", ".join(m.removeprefix("ladder/") for m in self.canary_outranks))
        return "the judge failed its check: " + "; ".join(why)

    def describe(self) -> str:
        """One paragraph for the report and the command line."""
        source = {True: " of the pool's own", False: " of the bundled set (too few of the pool's own have a reference answer)"}
        where = source.get(self.own_prompts, "")
        order = " > ".join(m.removeprefix("ladder/") for m in self.ranking)
        agreement = "n/a" if self.swap_agreement is None else f"{self.swap_agreement:.2f}"
        text = (
            f"Judge audit: on a ladder of {self.prompts} prompts{where} (each reference whole, half, a tenth, another "
            f"prompt's; {self.battles} battles), Kendall τ = {self.tau:.2f}, swap agreement {agreement}; the canary (one "
            f"constant, content-free answer) ranks {self.canary_rank} of {len(self.ranking)}. Ranked: {order}."
        )
        if self.pending or self.unparseable:
            text += f" ({self.pending} battles pending, {self.unparseable} unparseable verdicts.)"
        return text + (f" {self.failure[0].upper()}{self.failure[1:]}." if self.failure else " The judge passed its check.")

    def summary(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failure": self.failure,
            "kendall_tau": round(self.tau, 4),
            "min_tau": MIN_TAU,
            "swap_agreement": None if self.swap_agreement is None else round(self.swap_agreement, 4),
            "canary_rank": self.canary_rank,
            "ranking": self.ranking,
            "ratings": {m: round(r, 1) for m, r in self.ratings.items()},
            "prompts": self.prompts,
            "battles": self.battles,
            "own_prompts": self.own_prompts,
        }


def judge_audit(stored: Sequence[StoredBattle], rounds: int = 200, seed: int = 0) -> JudgeAudit | None:
    """The audit as the store holds it (no judge call); None when the ladder was never judged under this judge.
    Its prompts are the pool's own when the pool's models battled on them too."""
    players = {*LADDER, CANARY}
    mine = [b for b in stored if b.model_a in players and b.model_b in players]
    others = [b for b in stored if not (b.model_a in players and b.model_b in players)]
    result = outcomes(mine)
    if not result.battles or not players <= {m for b in result.battles for m in (b.model_a, b.model_b)}:
        return None
    fit = fit_bradley_terry(result.battles, LADDER[0], rounds, seed)
    ratings = {r.model: r.rating for r in fit.ratings}
    return JudgeAudit(
        ranking=[r.model for r in fit.ratings],
        ratings=ratings,
        tau=kendall_tau([ratings[m] for m in LADDER]),
        swap_agreement=result.swap_agreement,
        prompts=len({b.prompt_key for b in mine}),
        battles=len(result.battles),
        unparseable=result.unparseable,
        pending=result.pending,
        own_prompts=bool({b.prompt_key for b in mine} & {b.prompt_key for b in others}) if others else None,
    )


def kendall_tau(ratings_best_first: list[float]) -> float:
    """Kendall tau between the known order (best first) and these ratings; no order at all (every rating equal) is 0."""
    from scipy.stats import kendalltau

    known = list(range(len(ratings_best_first), 0, -1))
    tau = float(kendalltau(known, ratings_best_first).statistic)
    return 0.0 if math.isnan(tau) else tau


def ladder_prompts(prompts: Sequence[ArenaPrompt], limit: int) -> tuple[list[ArenaPrompt], str]:
    """The prompts the ladder is built on, and where they come from: the study's own with a reference answer (the
    first ``limit``), else the bundled prompts, first turn."""
    own = [p for p in prompts if p.reference and p.reference.strip()]
    if len(own) >= MIN_LADDER_PROMPTS:
        return own[:limit], "the study's prompts with a reference answer"
    bundled = SAMPLE_DATA_DIR / "arena_prompts.jsonl"
    out = []
    for _, row in read_jsonl_objects(bundled, "bundled arena prompts"):
        turns, reference = (row["turns"][0],), row["reference"]
        answer = None if row.get("answer") is None else str(row["answer"])
        out.append(
            ArenaPrompt(str(row["id"]), turns, reference, answer, content_key("arena-ladder-v1", turns, reference, answer))
        )
    why = f"the bundled prompts: only {len(own)} of the study's {len(prompts)} prompts have a reference answer"
    return out[:limit], why


def add_ladder(store: ArenaStore, prompts: Sequence[ArenaPrompt]) -> list[Fixture]:
    """The rungs' and the canary's answers to the ladder's prompts, and the battles that rank them. Earlier turns of
    a multi-turn prompt get the canary's answer from every rung, so only the last (judged) answer differs."""
    rungs = degraded([p.reference or "" for p in prompts])
    store.add_prompts({p.key: p.record() for p in prompts})
    for model in LADDER:
        store.add_model(model, LADDER_KIND, {"ladder": model.removeprefix("ladder/")})
    store.add_model(CANARY, CANARY_KIND, {"answer": CANARY_ANSWER})
    rows = []
    for n, p in enumerate(prompts):
        earlier = [CANARY_ANSWER] * (len(p.turns) - 1)
        rows += [(model, p.key, LADDER_SEED, [*earlier, rungs[name][n]]) for model, name in zip(LADDER, KNOWN_ORDER)]
        rows.append((CANARY, p.key, LADDER_SEED, [CANARY_ANSWER] * len(p.turns)))
    store.add_generations(rows)
    return [(a, b, p.key, LADDER_SEED) for p in prompts for a, b in LADDER_PAIRS]


def add_canary(store: ArenaStore, prompts: Sequence[ArenaPrompt], seeds: Sequence[int]) -> None:
    """The canary's answers to the pool's prompts, once per seed (the same text: it never changes)."""
    store.add_model(CANARY, CANARY_KIND, {"answer": CANARY_ANSWER})
    store.add_generations((CANARY, p.key, s, [CANARY_ANSWER] * len(p.turns)) for p in prompts for s in seeds)


def run_audit(
    store: ArenaStore, judge: JudgeConfig, cache_dir: Path, prompts: Sequence[ArenaPrompt], limit: int
) -> tuple[dict[str, int], str]:
    """Judge the ladder (what the store has judged before under this judge costs nothing); returns the judge calls
    and where the ladder's prompts came from."""
    chosen, source = ladder_prompts(prompts, limit)
    return play(store, judge, cache_dir, add_ladder(store, chosen)), source


def audit_pool(store: ArenaStore, judge: JudgeConfig, cache_dir: Path, limit: int = 100) -> tuple[dict[str, int], str]:
    """A pool's audit from the command line (``python -m sft_ablate.arena STORE --audit``): the ladder on the pool's
    own prompts (the first ``limit`` by store key: a fixed sample), and the canary's answer to every prompt and seed
    the pool answered, so that ``--add-battles`` enters it in the pool."""
    records = store.prompts()
    answered = sorted({(k, s) for m, k, s in store.generations() if m not in LADDER and m != CANARY})
    keys = sorted({k for k, _ in answered})
    prompts = [
        ArenaPrompt(str(records[k]["id"]), tuple(records[k]["turns"]), records[k]["reference"], records[k]["answer"], k)
        for k in keys
    ]
    calls, source = run_audit(store, judge, cache_dir, prompts, limit)
    store.add_model(CANARY, CANARY_KIND, {"answer": CANARY_ANSWER})
    store.add_generations((CANARY, k, s, [CANARY_ANSWER] * len(records[k]["turns"])) for k, s in answered)
    return calls, source
