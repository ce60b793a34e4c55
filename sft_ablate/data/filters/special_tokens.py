"""special_tokens: literal special-token strings (<|endoftext|>, <|im_end|>, </s>, ...) in any turn, which would be
tokenized into the answer; stripped out (a row left with an empty turn is dropped) or the row dropped."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace

from sft_ablate.data.filters import QUALITY_FILTERS, Edit, FilterContext, FilterOutcome
from sft_ablate.data.formats import Messages
from sft_ablate.data.sources import Example
from sft_ablate.errors import ConfigError

log = logging.getLogger(__name__)

# Special-token strings of common chat templates and tokenizers: as literal text in a row they are tokenized
# into the answer (older fine-tuning files often end completions with <|endoftext|>).
SPECIAL_TOKEN_STRINGS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|im_sep|>",
    "<|pad|>",
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|endofprompt|>",
    "<|assistant|>",
    "<|user|>",
    "<|system|>",
    "<|end|>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<s>",
    "</s>",
    "<unk>",
    "<pad>",
    "[INST]",
    "[/INST]",
]


@dataclass
class SpecialTokensConfig:
    action: str = "strip"  # "strip" the strings out of the text (a row left empty is dropped) or "drop" the row
    tokens: list[str] = field(default_factory=lambda: list(SPECIAL_TOKEN_STRINGS))

    def __post_init__(self) -> None:
        if self.action not in ("strip", "drop"):
            raise ConfigError(f"quality.special_tokens.action must be 'strip' or 'drop', got {self.action!r}")
        if not all(isinstance(t, str) and t for t in self.tokens):
            raise ConfigError("quality.special_tokens.tokens must be non-empty strings")


@QUALITY_FILTERS.register("special_tokens", SpecialTokensConfig)
def special_tokens(rows: list[Example], settings: SpecialTokensConfig, context: FilterContext) -> FilterOutcome:
    outcome = FilterOutcome()
    for example in rows:
        messages, found = _stripped(example.messages, settings.tokens)
        if not found:
            continue
        listed = ", ".join(found)
        if settings.action == "drop":
            outcome.removed[id(example)] = f"contains special-token strings: {listed}"
        elif any(not m["content"] for m in messages):
            outcome.removed[id(example)] = f"a turn is empty once stripped of special-token strings: {listed}"
        else:
            reason = f"special-token strings stripped: {listed}"
            outcome.edited[id(example)] = Edit(replace(example, messages=messages), reason, "stripped", ("stripped",))
    stripped = Counter(e.source for e in rows if id(e) in outcome.edited)
    for source, n in stripped.items():
        log.warning(
            "source %r: stripped special-token strings from %d rows (quality.special_tokens; see dropped_rows.jsonl)", source, n
        )
    return outcome


def _stripped(messages: Messages, tokens: list[str]) -> tuple[Messages, list[str]]:
    """The turns without the strings, and the strings found (sorted)."""
    found: set[str] = set()
    out = []
    for m in messages:
        content, hits = strip_special_tokens(m["content"], tokens)
        found.update(hits)
        out.append({**m, "content": content} if hits else m)
    return out, sorted(found)


def strip_special_tokens(text: str, tokens: list[str]) -> tuple[str, list[str]]:
    """The text without any of `tokens` (longest first, so <|im_end|> is not cut by a shorter one), and those found."""
    found = [t for t in sorted(tokens, key=len, reverse=True) if t in text]
    for token in found:
        text = text.replace(token, "")
    return (text.strip() if found else text), sorted(found)
