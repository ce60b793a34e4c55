"""length: rows with too few or too many tokens over all their turns (words and punctuation marks, or the tokens
of a tokenizer you name)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sft_ablate.data.filters import QUALITY_FILTERS, FilterContext, FilterOutcome
from sft_ablate.data.formats import approx_tokens
from sft_ablate.data.sources import Example
from sft_ablate.errors import ConfigError, DataError


@dataclass
class LengthConfig:
    min_tokens: int = 2  # over all turns of a row
    max_tokens: int = 8192
    tokenizer: str | None = None  # null: count words and punctuation marks; or an HF tokenizer name/dir

    def __post_init__(self) -> None:
        if self.min_tokens > self.max_tokens:
            raise ConfigError("quality.length.min_tokens must not exceed quality.length.max_tokens")

    def input_files(self) -> list[Path] | None:
        return None if self.tokenizer else []  # a tokenizer may come from the hub: nothing to fingerprint


@QUALITY_FILTERS.register("length", LengthConfig)
def length(rows: list[Example], settings: LengthConfig, context: FilterContext) -> FilterOutcome:
    count = _token_counter(settings.tokenizer)
    removed: dict[int, str] = {}
    for example in rows:
        n = sum(count(m["content"]) for m in example.messages)
        if n < settings.min_tokens:
            removed[id(example)] = f"{n} tokens, fewer than length.min_tokens={settings.min_tokens}"
        elif n > settings.max_tokens:
            removed[id(example)] = f"{n} tokens, more than length.max_tokens={settings.max_tokens}"
    return FilterOutcome(removed=removed)


def _token_counter(tokenizer: str | None) -> Callable[[str], int]:
    if tokenizer is None:
        return approx_tokens
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(tokenizer)
    except Exception as err:  # the hub client raises many types; all mean "cannot get it"
        raise DataError(
            f"quality.length.tokenizer={tokenizer!r} cannot be loaded ({type(err).__name__}); "
            "use a local tokenizer dir, or null to count words and punctuation"
        ) from err
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])
