"""The reference judge (offline, deterministic). It decides, in this order:

1. a degenerate answer never beats a real one: an answer is degenerate when it is empty or mostly repeats the
   question (``echo_share`` >= ``judge.echo_threshold``: the share of its word trigrams found in the user
   turns). One degenerate answer loses; two tie.
2. where the prompt has a verifiable answer (a number, GSM8K style), correctness decides: the answer number is
   read as benchmarks read it (``evaluation/answers.py``);
3. otherwise (or when both are equally right or wrong) the answer whose all-MiniLM embedding is closer to the
   reference answer wins; a difference within ``margin`` is a tie.

A prompt with neither a reference answer nor a verifiable one is one it cannot decide: the arena skips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sft_ablate.arena.judges.base import JUDGES, JudgeConfig, Judgment, Matchup, OnJudgment
from sft_ablate.data.embeddings import embed_texts
from sft_ablate.errors import ConfigError
from sft_ablate.evaluation.answers import PARSER_VERSION, same_number


@dataclass
class ReferenceJudgeConfig(JudgeConfig):
    kind: str = "reference"
    embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    margin: float = 0.02  # cosine-similarity difference within which a battle is a tie
    # an answer whose word trigrams come this much from the question is an echo: it never beats a real answer
    echo_threshold: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.margin < 1:
            raise ConfigError(f"judge.margin must be in [0, 1), got {self.margin}")
        if not 0 < self.echo_threshold <= 1:
            raise ConfigError(f"judge.echo_threshold must be in (0, 1], got {self.echo_threshold}")

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": 3,
            "embedding_model": self.embedding_model,
            "margin": self.margin,
            "echo_threshold": self.echo_threshold,
            "answer_parser": PARSER_VERSION,  # correctness decides where there is an answer
        }

    def can_decide(self, reference: str | None, answer: str | None) -> bool:
        return reference is not None or answer is not None  # nothing to decide with otherwise


_WORD = re.compile(r"\w+")


def echo_share(answer: str, question: str) -> float:
    """The share of the answer's word trigrams found in the question (0 for answers under 3 words: '42' to
    'What is 40 + 2?' is an answer, not an echo)."""
    words, asked = _WORD.findall(answer.lower()), _WORD.findall(question.lower())
    grams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    if not grams:
        return 0.0
    known = {tuple(asked[i : i + 3]) for i in range(len(asked) - 2)}
    return sum(g in known for g in grams) / len(grams)


def degenerate(answer: str, question: str, echo_threshold: float) -> str | None:
    """Why an answer cannot win against a real one ('empty', 'echo 0.83'), or None."""
    if not _WORD.search(answer):
        return "empty"
    share = echo_share(answer, question)
    return f"echo {share:.2f}" if share >= echo_threshold else None


@JUDGES.register("reference", ReferenceJudgeConfig)
class ReferenceJudge:
    def __init__(self, judge: ReferenceJudgeConfig, cache_dir: Path) -> None:
        self.config, self.cache_dir = judge, cache_dir
        self.calls = 0

    def judge(self, matchups: list[Matchup], on_result: OnJudgment | None = None) -> list[Judgment]:
        texts = sorted({t for m in matchups if m.reference is not None for t in (m.reference, m.first[-1], m.second[-1])})
        vectors = embed_texts(texts, self.config.embedding_model, self.cache_dir) if texts else None
        row = {t: i for i, t in enumerate(texts)}
        out = []
        for i, m in enumerate(matchups):
            out.append(self._one(m, vectors, row))
            self.calls += 1
            if on_result:
                on_result(i, out[-1])
        return out

    def _one(self, m: Matchup, vectors: np.ndarray | None, row: dict[str, int]) -> Judgment:
        question = "\n".join(m.turns)
        bad_a = degenerate(m.first[-1], question, self.config.echo_threshold)
        bad_b = degenerate(m.second[-1], question, self.config.echo_threshold)
        if bad_a or bad_b:
            verdict = "C" if bad_a and bad_b else ("B" if bad_a else "A")
            return Judgment(verdict, f"degenerate: A {bad_a or 'no'}, B {bad_b or 'no'}")
        reason = ""
        if m.answer is not None:
            a, b = same_number(m.first[-1], m.answer), same_number(m.second[-1], m.answer)
            if a != b:
                return Judgment("A" if a else "B", f"correct: A {a}, B {b} (answer {m.answer})")
            reason = f"both {'correct' if a else 'wrong'} (answer {m.answer}); "
        if m.reference is None or vectors is None:
            if reason:
                return Judgment("C", reason + "no reference answer to break the tie")
            return Judgment(None, "no reference answer and no verifiable answer for this prompt")
        sim_a = float(vectors[row[m.first[-1]]] @ vectors[row[m.reference]])
        sim_b = float(vectors[row[m.second[-1]]] @ vectors[row[m.reference]])
        verdict = "C" if abs(sim_a - sim_b) <= self.config.margin else ("A" if sim_a > sim_b else "B")
        return Judgment(verdict, f"{reason}similarity to the reference: A {sim_a:.3f}, B {sim_b:.3f}")
