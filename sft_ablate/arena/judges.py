"""Arena judges: who wins one battle, seen in one order (the answer shown first is A, the other B).

- ``ReferenceJudge`` (offline, deterministic): where the prompt has a verifiable answer (a number, GSM8K
  style), correctness decides; otherwise the answer whose all-MiniLM embedding is closer to the
  reference answer wins, and a difference within ``margin`` is a tie.
- ``LLMJudge``: a pairwise LLM-as-judge (a local model or an OpenAI-compatible endpoint) that answers
  ``[[A]]``, ``[[B]]`` or ``[[C]]`` (tie). A reply with none of them, or with two different ones, is
  unparseable: stored as such and counted, never guessed.

Both answer ``judge(matchups, on_result) -> list[Judgment]``; ``on_result(i, judgment)`` fires as each
verdict is ready, so the arena stores it at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sft_ablate.cache import content_key
from sft_ablate.config import JudgeConfig
from sft_ablate.data.embeddings import embed_texts
from sft_ablate.data.formats import Messages
from sft_ablate.generation.backends import OpenAIBackend, load_local_backend, to_sampling

VERDICTS = ("A", "B", "C")  # first shown wins, second shown wins, tie


@dataclass(frozen=True)
class Matchup:
    """One judgment to make: the user turns, what the last turn should get, and the two answers in order."""

    turns: tuple[str, ...]
    reference: str | None  # a reference answer to the last turn
    answer: str | None  # a verifiable final answer (a number) to the last turn
    first: tuple[str, ...]  # the answers of the model shown first, one per turn
    second: tuple[str, ...]


@dataclass(frozen=True)
class Judgment:
    verdict: str | None  # one of VERDICTS, or None: no usable verdict
    raw: str  # the judge's own words, or the reference judge's reason


OnJudgment = Callable[[int, Judgment], None]


def judge_identity(judge: JudgeConfig) -> dict[str, Any]:
    """What a verdict depends on (not timeouts or concurrency): its hash keys the judgment cache."""
    identity: dict[str, Any] = {"kind": judge.kind, "version": 1}
    if judge.kind == "reference":
        identity.update(embedding_model=judge.embedding_model, margin=judge.margin)
    else:
        assert judge.backend is not None
        b = judge.backend
        identity.update(
            backend={"kind": b.kind, "model": b.model, "base_url": b.base_url},
            sampling=asdict(judge.sampling),
            prompt=PAIRWISE_PROMPT,
        )
    return identity


def judge_hash(judge: JudgeConfig) -> str:
    return content_key("arena-judge", judge_identity(judge))


def make_judge(judge: JudgeConfig, cache_dir: Path) -> ReferenceJudge | LLMJudge:
    return ReferenceJudge(judge, cache_dir) if judge.kind == "reference" else LLMJudge(judge, cache_dir)


# ---- reference --------------------------------------------------------------------------------------------

# "#### 42" (GSM8K's own marker) first; otherwise the last number in the text. Commas in 1,234 are digits;
# exponents and digits inside words ("m^2", "H2O") are not numbers.
_MARKED = re.compile(r"####\s*\$?(-?[\d,]*\.?\d+)")
_NUMBER = re.compile(r"(?<![\w^.])-?\d[\d,]*\.?\d*")


def final_number(text: str) -> float | None:
    marked = _MARKED.findall(text)
    found = marked or _NUMBER.findall(text)
    for candidate in reversed(found):
        try:
            return float(candidate.replace(",", "").rstrip("."))
        except ValueError:
            continue
    return None


def is_correct(text: str, answer: str) -> bool:
    got, want = final_number(text), final_number(answer)
    return got is not None and want is not None and abs(got - want) <= 1e-6 * max(1.0, abs(want))


class ReferenceJudge:
    def __init__(self, judge: JudgeConfig, cache_dir: Path) -> None:
        self.config, self.cache_dir = judge, cache_dir
        self.calls = 0

    def judge(self, matchups: list[Matchup], on_result: OnJudgment | None = None) -> list[Judgment]:
        texts = sorted(
            {
                t
                for m in matchups
                if m.answer is None and m.reference is not None
                for t in (m.reference, m.first[-1], m.second[-1])
            }
        )
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
        if m.answer is not None:
            a, b = is_correct(m.first[-1], m.answer), is_correct(m.second[-1], m.answer)
            verdict = "C" if a == b else ("A" if a else "B")
            return Judgment(verdict, f"correct: A {a}, B {b} (answer {m.answer})")
        if m.reference is None or vectors is None:
            return Judgment(None, "no reference answer and no verifiable answer for this prompt")
        sim_a = float(vectors[row[m.first[-1]]] @ vectors[row[m.reference]])
        sim_b = float(vectors[row[m.second[-1]]] @ vectors[row[m.reference]])
        verdict = "C" if abs(sim_a - sim_b) <= self.config.margin else ("A" if sim_a > sim_b else "B")
        return Judgment(verdict, f"similarity to the reference: A {sim_a:.3f}, B {sim_b:.3f}")


# ---- llm ---------------------------------------------------------------------------------------------------

PAIRWISE_PROMPT = """You are an impartial judge. Two AI assistants, A and B, answered the same user. \
Decide whose answer is better: more helpful, more correct, clearer. The order in which they appear and \
their length must not sway you.

{conversations}

Reply with [[A]] if assistant A's answer is better, [[B]] if assistant B's answer is better, or [[C]] for a tie."""

_VERDICT = re.compile(r"\[\[\s*([ABC])\s*\]\]", re.I)


def pairwise_messages(m: Matchup) -> Messages:
    parts = []
    for label, answers in (("A", m.first), ("B", m.second)):
        lines = [f"### Conversation with assistant {label}"]
        for turn, answer in zip(m.turns, answers):
            lines += [f"User: {turn}", f"Assistant {label}: {answer}"]
        parts.append("\n".join(lines))
    return [{"role": "user", "content": PAIRWISE_PROMPT.format(conversations="\n\n".join(parts))}]


def parse_pairwise(text: str) -> str | None:
    """'A', 'B' or 'C' when the reply names exactly one verdict (possibly repeated); None otherwise."""
    found = {v.upper() for v in _VERDICT.findall(text or "")}
    return found.pop() if len(found) == 1 else None


class LLMJudge:
    def __init__(self, judge: JudgeConfig, cache_dir: Path) -> None:
        assert judge.backend is not None
        spec = judge.backend
        # No file cache here: the arena store is the judgment cache.
        self.backend = OpenAIBackend(spec) if spec.kind == "openai" else load_local_backend(spec, cache_dir, [])
        self.sampling = to_sampling(judge.sampling)

    @property
    def calls(self) -> int:
        return self.backend.stats.calls

    def judge(self, matchups: list[Matchup], on_result: OnJudgment | None = None) -> list[Judgment]:
        def parsed(i: int, text: str) -> None:
            if on_result:
                on_result(i, Judgment(parse_pairwise(text), text))

        texts = self.backend.generate([pairwise_messages(m) for m in matchups], self.sampling, parsed)
        return [Judgment(parse_pairwise(t), t) for t in texts]
