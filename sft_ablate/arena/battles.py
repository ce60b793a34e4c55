"""Battles: who plays whom, the judgments each battle needs (both orders, each judged once per judge and
cached in the store), and what the judged battles add up to.

A battle counts as a win only when both orders agree; otherwise it is a tie. How often the orders agree (the
swap agreement) measures the judge's position bias. Battles with an unparseable verdict are dropped and
counted.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from sft_ablate.arena.judges import JudgeConfig, Judgment, Matchup, judge_hash, make_judge
from sft_ablate.arena.ratings import Battle
from sft_ablate.arena.store import ArenaStore, StoredBattle
from sft_ablate.arena.validation import LADDER
from sft_ablate.cache import content_key

log = logging.getLogger(__name__)

Fixture = tuple[str, str, str, int]  # (model_a, model_b, prompt_key, seed)
SCORE_OF_FIRST = {"A": 1.0, "B": 0.0, "C": 0.5}  # a verdict, as the score of the answer shown first


def pick_opponents(store: ArenaStore, me: str, wanted: list[tuple[str, int]], count: int, seed: int) -> list[str]:
    """Up to ``count`` earlier runs that answered the same prompts with the same settings, drawn with a seed."""
    generations = store.generations()
    eligible = [
        m
        for m, info in store.models().items()
        if info["kind"] == "run" and m != me and all((m, k, s) in generations for k, s in wanted)
    ]
    return sorted(random.Random(f"{seed}/{me}").sample(eligible, min(count, len(eligible))))


def missing_fixtures(store: ArenaStore, judge: str) -> list[Fixture]:
    """Every pair of models, on every (prompt, seed) both answered, that has no battle under this judge yet. The judge
    audit's ladder rungs are not in the pool (audit.py plays their battles); its canary is."""
    met = {(b.prompt_key, b.seed, frozenset((b.model_a, b.model_b))) for b in store.battles(judge)}
    answered: dict[tuple[str, int], list[str]] = {}
    for model, key, seed in store.generations():
        if model not in LADDER:
            answered.setdefault((key, seed), []).append(model)
    fixtures = []
    for (key, seed), models in sorted(answered.items()):
        models = sorted(models)
        for i, a in enumerate(models):
            fixtures += [(a, b, key, seed) for b in models[i + 1 :] if (key, seed, frozenset((a, b))) not in met]
    return fixtures


def judgment_key(judge: str, prompt: dict[str, Any], first: list[str], second: list[str]) -> str:
    """The cache key of one judgment. The order is in it as the positions of the two answers."""
    return content_key("arena-judgment-v1", judge, prompt["turns"], prompt["reference"], prompt["answer"], first, second)


def matchup(prompt: dict[str, Any], first: list[str], second: list[str]) -> Matchup:
    return Matchup(tuple(prompt["turns"]), prompt["reference"], prompt["answer"], tuple(first), tuple(second))


def play(store: ArenaStore, judge: JudgeConfig, cache_dir: Path, fixtures: list[Fixture]) -> dict[str, int]:
    """Schedule battles (model_a, model_b, prompt_key, seed) in both orders; judge what no one judged before."""
    jhash = judge_hash(judge)
    prompts, generations = store.prompts(), store.generations()
    rows, todo = [], {}
    for a, b, key, seed in fixtures:
        answer_a, answer_b = generations[(a, key, seed)], generations[(b, key, seed)]
        key_ab = judgment_key(jhash, prompts[key], answer_a, answer_b)
        key_ba = judgment_key(jhash, prompts[key], answer_b, answer_a)
        rows.append((jhash, key, seed, a, b, key_ab, key_ba))
        todo[key_ab] = matchup(prompts[key], answer_a, answer_b)
        todo[key_ba] = matchup(prompts[key], answer_b, answer_a)
    store.add_battles(rows)
    done = store.judged(todo)
    missing = [k for k in todo if k not in done]
    if missing:  # the judge (maybe a model to load) only when there is something to judge
        log.info("arena: %d judgments to make (%d cached)", len(missing), len(done))
        judge_now = make_judge(judge, cache_dir)
        with tqdm(total=len(missing), desc="Judging", unit="judgment", disable=len(missing) < 2) as bar:

            def stored(i: int, j: Judgment) -> None:  # stored at once: an interrupted arena keeps what it judged
                store.add_judgment(missing[i], jhash, j.verdict, j.raw)
                bar.update()

            judge_now.judge([todo[k] for k in missing], on_result=stored)
    return {"judgments": len(todo), "judge_calls": len(missing), "cached_judgments": len(todo) - len(missing)}


@dataclass
class Outcomes:
    battles: list[Battle]  # decided battles: score for model_a (1, 0.5, 0)
    agreed: int  # of those, battles whose two orders agree
    unparseable: int  # judgments with no usable verdict (their battles are dropped)
    pending: int  # battles with a judgment still missing

    @property
    def swap_agreement(self) -> float | None:
        return self.agreed / len(self.battles) if self.battles else None


Lengths = dict[tuple[str, str, int], int]  # (model, prompt key, seed) -> words of the judged (last) answer


def answer_lengths(store: ArenaStore) -> Lengths:
    """Words of each stored generation's judged answer, as the store counts them."""
    return {key: len(answers[-1].split()) for key, answers in store.generations().items()}


def outcomes(stored: list[StoredBattle], model: str | None = None, lengths: Lengths | None = None) -> Outcomes:
    """The decided battles (with their answers' lengths, where given), their swap agreement and what is missing."""
    lengths = lengths or {}
    result = Outcomes([], 0, 0, 0)
    for b in stored:
        if model is not None and model not in (b.model_a, b.model_b):
            continue
        if not (b.judged_ab and b.judged_ba):
            result.pending += 1
            continue
        if b.verdict_ab is None or b.verdict_ba is None:
            result.unparseable += (b.verdict_ab is None) + (b.verdict_ba is None)
            continue
        first = SCORE_OF_FIRST[b.verdict_ab]  # model_a shown first
        swapped = 1.0 - SCORE_OF_FIRST[b.verdict_ba]  # model_a shown second
        agree = first == swapped
        result.agreed += agree
        # The prompt is the bootstrap's unit: a prompt's battles (all seeds, all pairs) are drawn together.
        result.battles.append(
            Battle(
                b.model_a,
                b.model_b,
                first if agree else 0.5,
                b.prompt_key,
                lengths.get((b.model_a, b.prompt_key, b.seed)),
                lengths.get((b.model_b, b.prompt_key, b.seed)),
            )
        )
    return result


def scores_by_prompt(battles: list[Battle], model: str, other: str) -> dict[str, list[float]]:
    """``model``'s score in each decided battle against ``other``, by prompt key: what its win rate against
    ``other`` averages (ratings._win_rates_vs), prompt by prompt."""
    out: dict[str, list[float]] = {}
    for b in battles:
        if (b.model_a, b.model_b) == (model, other):
            out.setdefault(b.prompt, []).append(b.score)
        elif (b.model_a, b.model_b) == (other, model):
            out.setdefault(b.prompt, []).append(1.0 - b.score)
    return out
