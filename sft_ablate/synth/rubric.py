"""LLM-as-judge prompts and the parsing of their verdicts.

The rubric judge scores one answer 1-5 for helpfulness, factuality and format, with a short reason.
Judges (small local ones above all) do not always answer in the format asked, so parsing takes a JSON
object anywhere in the text, or `name: score` style text, and anything else is a ``VerdictProblem``
with a code that the caller counts as a rejection. Parsing never raises anything else.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from sft_ablate.data.formats import Messages

CRITERIA = ("helpfulness", "factuality", "format")

RUBRIC_PROMPT = """Score the answer from 1 (bad) to 5 (excellent) for helpfulness, factuality and format. \
Reply only with JSON.

{conversation}"""

# Two worked examples go before the real request, as earlier turns of the chat: a small judge follows a
# format it has seen itself answer far more often than one it is only told about (SmolLM2-135M: 1 of 36
# verdicts parsed when told, 8 of 8 with these two turns). One is bad and one good, so that they do not
# pull every score one way.
RUBRIC_EXAMPLES = (
    (
        "What is 7 times 8?",
        "7 times 8 is 54.",
        '{"helpfulness": 2, "factuality": 1, "format": 4, "reason": "Wrong: 7 x 8 = 56."}',
    ),
    (
        "Name a primary color.",
        "Red is a primary color.",
        '{"helpfulness": 5, "factuality": 5, "format": 5, "reason": "Correct and direct."}',
    ),
)


def _skeleton(text: str) -> str:
    """Lowercase words, punctuation dropped, every number (9, 56, 9.5) as one 0."""
    return " ".join(re.sub(r"[^\w\s]", " ", re.sub(r"\d+(?:[.,]\d+)*", " 0 ", text.lower())).split())


# A small judge often answers with a worked example's verdict word for word (SmolLM2-135M: "Correct and direct."
# on 5 of 8 accepted rows), or with its numbers changed ("Wrong: 3 x 3 = 9.5."); such a verdict says nothing
# about the answer it was asked about.
EXAMPLE_REASONS = frozenset(_skeleton(json.loads(verdict)["reason"]) for *_, verdict in RUBRIC_EXAMPLES)

# "helpfulness": 4 | Helpfulness: 4/5 | helpfulness of 4 | helpfulness score = 4
_SCORE_PATTERNS = {
    name: re.compile(rf"\b{name}\b[\"']?\s*(?:score)?\s*(?:[:=]|is|of)?\s*[\"']?(-?\d+(?:\.\d+)?)", re.I) for name in CRITERIA
}
_REASON = re.compile(r"\breason\b[\"']?\s*[:=]\s*[\"']?([^\"'\n}]+)", re.I)
MAX_REASON_CHARS = 300


@dataclass(frozen=True)
class Verdict:
    helpfulness: float
    factuality: float
    format: float
    reason: str

    @property
    def score(self) -> float:
        """The mean of the three criteria, 1-5."""
        return (self.helpfulness + self.factuality + self.format) / 3

    def scores(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in CRITERIA}


class VerdictProblem(ValueError):
    """A judge output that yields no usable verdict. ``code`` is what rejection counts are keyed by."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code, self.detail = code, detail


def rubric_messages(conversation: Messages) -> Messages:
    """The judge's chat for the last (assistant) turn of ``conversation``: two worked examples, then the request."""
    messages: Messages = []
    for question, answer, verdict in RUBRIC_EXAMPLES:
        example = render_for_judge([{"role": "user", "content": question}, {"role": "assistant", "content": answer}])
        messages += [
            {"role": "user", "content": RUBRIC_PROMPT.format(conversation=example)},
            {"role": "assistant", "content": verdict},
        ]
    return messages + [{"role": "user", "content": RUBRIC_PROMPT.format(conversation=render_for_judge(conversation))}]


def render_for_judge(conversation: Messages) -> str:
    *context, answer = conversation
    turns = [m for m in context if m["role"] != "system"]
    if len(turns) == 1:
        return f"Question: {turns[0]['content']}\nAnswer: {answer['content']}"
    lines = [f"{m['role'].capitalize()}: {m['content']}" for m in turns]
    return "Conversation:\n" + "\n".join(lines) + f"\nAnswer to score (the assistant's last turn): {answer['content']}"


def parse_verdict(text: str | None) -> Verdict:
    """A Verdict, or VerdictProblem(code) with code judge_empty, judge_malformed, judge_missing_score,
    judge_out_of_range or judge_copied_example."""
    if not text or not text.strip():
        raise VerdictProblem("judge_empty", "the judge returned no text")
    found = _json_scores(text) or _text_scores(text)
    if not found:
        raise VerdictProblem("judge_malformed", f"no scores in {_clip(text)!r}")
    missing = [name for name in CRITERIA if name not in found]
    if missing:
        raise VerdictProblem("judge_missing_score", f"no {', '.join(missing)} score in {_clip(text)!r}")
    scores: dict[str, float] = {}
    for name in CRITERIA:
        value = _number(found[name])
        if value is None:
            raise VerdictProblem("judge_malformed", f"{name} is {found[name]!r}, not a number")
        if not 1 <= value <= 5:
            raise VerdictProblem("judge_out_of_range", f"{name} is {value:g}, outside 1-5")
        scores[name] = value
    reason = _reason(found.get("reason"), text)
    if _skeleton(reason) in EXAMPLE_REASONS:  # the worked example's verdict, copied: not a judgment of this answer
        raise VerdictProblem("judge_copied_example", f"the reason {reason!r} is the prompt's worked example")
    return Verdict(**scores, reason=reason)


def _json_scores(text: str) -> dict[str, object] | None:
    """The first JSON object in the text that names a criterion (keys matched case-insensitively)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            lowered = {str(k).strip().lower(): v for k, v in obj.items()}
            if any(name in lowered for name in CRITERIA):
                return lowered
    return None


def _text_scores(text: str) -> dict[str, object]:
    """`name: 4` style scores, also from a JSON object cut off by max_new_tokens."""
    found: dict[str, object] = {}
    for name, pattern in _SCORE_PATTERNS.items():
        match = pattern.search(text)
        if match:
            found[name] = match.group(1)
    return found


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(?:/\s*5)?\s*", value)
        if not match:
            return None
        number = float(match.group(1))
    else:
        return None
    return number if math.isfinite(number) else None


def _reason(value: object, text: str) -> str:
    if not isinstance(value, str) or not value.strip():
        match = _REASON.search(text)
        value = match.group(1) if match else ""
    return " ".join(str(value).split())[:MAX_REASON_CHARS]


def _clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."
