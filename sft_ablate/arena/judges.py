"""Arena judges: who wins one battle, seen in one order (the answer shown first is A, the other B).

- ``ReferenceJudge`` (offline, deterministic), in this order:
  1. a degenerate answer never beats a real one: an answer is degenerate when it is empty or mostly
     repeats the question (``echo_share`` >= ``judge.echo_threshold``: the share of its word trigrams found in
     the user turns). One degenerate answer loses; two tie.
  2. where the prompt has a verifiable answer (a number, GSM8K style), correctness decides;
  3. otherwise (or when both are equally right or wrong) the answer whose all-MiniLM embedding is closer
     to the reference answer wins; a difference within ``margin`` is a tie.
- ``LLMJudge``: a pairwise LLM-as-judge that is shown the question and both answers. An OpenAI-compatible
  endpoint writes its verdict, ``[[A]]``, ``[[B]]`` or ``[[C]]`` (tie); a reply with none of them, or with
  two different ones, is unparseable: stored as such and counted, never guessed. A local model (small,
  e.g. SmolLM2-135M) cannot be trusted to write that format, so it is not asked to: the three verdicts
  are scored by their log-likelihood as the judge's reply, and the likeliest is its verdict. Every
  battle gets one. A small model prefers one reply whatever it is shown (SmolLM2-135M: ``[[A]]`` every
  time), so the scores are calibrated first: from each verdict's log-likelihood we subtract its
  log-likelihood on a content-free battle (the same question, both answers empty), scored once per
  question. What is left is how much the two real answers move the judge; the swap agreement measures
  the bias that calibration does not remove.

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
from sft_ablate.generation.backends import LocalBackend, OpenAIBackend, load_local_backend, to_sampling

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
    identity: dict[str, Any] = {"kind": judge.kind, "version": 3}
    if judge.kind == "reference":
        identity.update(embedding_model=judge.embedding_model, margin=judge.margin, echo_threshold=judge.echo_threshold)
    else:
        assert judge.backend is not None
        b = judge.backend
        identity.update(
            backend={"kind": b.kind, "model": b.model, "base_url": b.base_url},
            sampling=asdict(judge.sampling),
            prompt=PAIRWISE_PROMPT,
            verdict="calibrated likelihood" if b.kind == "local" else "generated",
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


class ReferenceJudge:
    def __init__(self, judge: JudgeConfig, cache_dir: Path) -> None:
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
            a, b = is_correct(m.first[-1], m.answer), is_correct(m.second[-1], m.answer)
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


VERDICT_REPLIES = tuple(f"[[{v}]]" for v in VERDICTS)


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
