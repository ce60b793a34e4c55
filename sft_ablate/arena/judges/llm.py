"""The LLM judge: a pairwise LLM-as-judge that is shown the question and both answers.

An OpenAI-compatible endpoint writes its verdict, ``[[A]]``, ``[[B]]`` or ``[[C]]`` (tie); a reply with none of
them, or with two different ones, is unparseable: stored as such and counted, never guessed. A local model
(small, e.g. SmolLM2-135M) cannot be trusted to write that format, so it is not asked to: the three verdicts are
scored by their log-likelihood as the judge's reply, and the likeliest is its verdict. Every battle gets one. A
small model prefers one reply whatever it is shown (SmolLM2-135M: ``[[A]]`` every time), so the scores are
calibrated first: from each verdict's log-likelihood we subtract its log-likelihood on a content-free battle
(the same question, both answers empty), scored once per question. What is left is how much the two real
answers move the judge; the swap agreement measures the bias that calibration does not remove.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sft_ablate.arena.judges.base import JUDGES, VERDICTS, JudgeConfig, Judgment, Matchup, OnJudgment
from sft_ablate.data.formats import Messages
from sft_ablate.errors import ConfigError
from sft_ablate.generation.backends import LocalBackend, make_backend, to_sampling
from sft_ablate.generation.schema import BackendConfig, SamplingConfig

PAIRWISE_PROMPT = """You are an impartial judge. Two AI assistants, A and B, answered the same user. \
Decide whose answer is better: more helpful, more correct, clearer. The order in which they appear and \
their length must not sway you.

{conversations}

Reply with [[A]] if assistant A's answer is better, [[B]] if assistant B's answer is better, or [[C]] for a tie."""

_VERDICT = re.compile(r"\[\[\s*([ABC])\s*\]\]", re.I)
VERDICT_REPLIES = tuple(f"[[{v}]]" for v in VERDICTS)


@dataclass
class LlmJudgeConfig(JudgeConfig):
    kind: str = "llm"
    # a local model option (verdict by likelihood) or an OpenAI-compatible endpoint (writes [[A]], [[B]] or [[C]])
    backend: BackendConfig | None = None
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=32, temperature=0.0))

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.backend is None:
            raise ConfigError("judge.kind=llm needs judge.backend (kind: local or openai, model: ...)")

    def identity(self) -> dict[str, Any]:
        assert self.backend is not None
        b = self.backend
        return {
            "kind": self.kind,
            "version": 3,
            "backend": {"kind": b.kind, "model": b.model, "base_url": b.base_url},
            "sampling": asdict(self.sampling),
            "prompt": PAIRWISE_PROMPT,
            "verdict": "calibrated likelihood" if b.kind == "local" else "generated",
        }


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


@JUDGES.register("llm", LlmJudgeConfig)
class LLMJudge:
    def __init__(self, judge: LlmJudgeConfig, cache_dir: Path) -> None:
        assert judge.backend is not None
        spec = judge.backend
        # No file cache here: the arena store is the judgment cache.
        self.backend = make_backend(spec, cache_dir)
        self.sampling = to_sampling(judge.sampling)

    @property
    def calls(self) -> int:
        return self.backend.stats.calls

    def judge(self, matchups: list[Matchup], on_result: OnJudgment | None = None) -> list[Judgment]:
        conversations = [pairwise_messages(m) for m in matchups]
        if isinstance(self.backend, LocalBackend):
            return self._by_likelihood(matchups, conversations, on_result)

        def parsed(i: int, text: str) -> None:
            if on_result:
                on_result(i, Judgment(parse_pairwise(text), text))

        texts = self.backend.generate(conversations, self.sampling, parsed)
        return [Judgment(parse_pairwise(t), t) for t in texts]

    def _by_likelihood(
        self, matchups: list[Matchup], conversations: list[Messages], on_result: OnJudgment | None
    ) -> list[Judgment]:
        # The content-free battle of each question: what the judge says when there is nothing to compare.
        questions = list(dict.fromkeys(m.turns for m in matchups))
        empty = [pairwise_messages(Matchup(q, None, None, ("",) * len(q), ("",) * len(q))) for q in questions]
        prior = dict(zip(questions, self.backend.score_replies(empty, list(VERDICT_REPLIES))))
        out: list[Judgment] = [Judgment(None, "")] * len(conversations)

        def scored(i: int, logprobs: list[float]) -> None:
            calibrated = [lp - p for lp, p in zip(logprobs, prior[matchups[i].turns])]
            best = int(np.argmax(calibrated))
            words = ", ".join(f"{r} {lp:.3f} ({c:+.3f})" for r, lp, c in zip(VERDICT_REPLIES, logprobs, calibrated))
            out[i] = Judgment(VERDICTS[best], f"log-likelihood of each reply (calibrated): {words}")
            if on_result:
                on_result(i, out[i])

        self.backend.score_replies(conversations, list(VERDICT_REPLIES), scored)
        return out
