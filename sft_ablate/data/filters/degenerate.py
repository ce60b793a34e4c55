"""degenerate: a response with no words, one that repeats its instruction, or one that loops."""

from __future__ import annotations

from dataclasses import dataclass

from sft_ablate.data.filters import QUALITY_FILTERS, FilterContext, FilterOutcome
from sft_ablate.data.formats import Messages, words
from sft_ablate.data.sources import Example


@dataclass
class DegenerateConfig:
    repeat_ngram: int = 4  # a response loops when too many of its word n-grams are repeats
    max_repeated_fraction: float = 0.5
    min_words_for_repetition: int = 20  # short answers ("Yes. Yes.") are not loops


@QUALITY_FILTERS.register("degenerate", DegenerateConfig)
def degenerate(rows: list[Example], settings: DegenerateConfig, context: FilterContext) -> FilterOutcome:
    reasons = {id(example): degenerate_reason(example.messages, settings) for example in rows}
    return FilterOutcome(removed={row: reason for row, reason in reasons.items() if reason})


def degenerate_reason(messages: Messages, settings: DegenerateConfig) -> str | None:
    """Why an assistant turn is useless to train on, or None. Each turn is checked against its own prompt."""
    prompt = ""
    for i, message in enumerate(messages, start=1):
        if message["role"] != "assistant":
            prompt = message["content"]
            continue
        tokens = words(message["content"])
        if not tokens:
            return f"message {i}: empty response (no words)"
        if tokens == words(prompt):
            return f"message {i}: the response repeats the instruction"
        n = settings.repeat_ngram
        grams = [tuple(tokens[j : j + n]) for j in range(len(tokens) - n + 1)]
        if len(tokens) >= settings.min_words_for_repetition and grams:
            repeated = 1 - len(set(grams)) / len(grams)
            if repeated > settings.max_repeated_fraction:
                return f"message {i}: repetitive response ({repeated:.0%} of its word {n}-grams are repeats)"
    return None
