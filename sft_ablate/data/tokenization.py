"""Tokenize ChatML rows with the chat template and build assistant-only labels.

We tokenize here rather than inside TRL so that (1) token and trainable-token counts are known per
source for results.json, (2) a mixture is tokenized once and cached by content, and (3) an empty loss
mask fails loudly instead of being dropped. SFTTrainer receives ``input_ids`` + ``labels`` and leaves
them as they are.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import datasets
from transformers import PreTrainedTokenizerBase

from sft_ablate.cache import building, content_key
from sft_ablate.data.sources import Example
from sft_ablate.errors import DataError, ModelError

log = logging.getLogger(__name__)

IGNORE_INDEX = -100


@dataclass
class TokenizedSplit:
    dataset: datasets.Dataset  # columns: input_ids, labels
    tokens: int
    trainable_tokens: int
    truncated_rows: int  # rows cut at max_length
    dropped_rows: int  # rows whose assistant tokens were all cut away by truncation
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)
    row_sources: list[str] = field(default_factory=list)  # the source of each row of `dataset`, in order
    row_index: list[int] = field(default_factory=list)  # each row of `dataset`: its index in the examples tokenized

    def summary(self) -> dict[str, int]:
        return {
            "rows": len(self.dataset),
            "tokens": self.tokens,
            "trainable_tokens": self.trainable_tokens,
            "truncated_rows": self.truncated_rows,
            "dropped_rows": self.dropped_rows,
        }


def tokenizer_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    digest = hashlib.sha256(tokenizer.backend_tokenizer.to_str().encode())
    digest.update(str(tokenizer.chat_template).encode())
    digest.update(str(tokenizer.eos_token).encode())
    return digest.hexdigest()[:16]


def tokenize_examples(
    examples: list[Example],
    tokenizer: PreTrainedTokenizerBase,
    max_length: int,
    cache_dir: Path,
    split: str,
    content_hash: str,
) -> TokenizedSplit:
    key = content_key("tokenized-v1", content_hash, tokenizer_fingerprint(tokenizer), max_length)
    cached = cache_dir / "tokenized" / key
    if not (cached / "dataset_info.json").exists():
        rows = datasets.Dataset.from_list([{"messages": e.messages, "source": e.source} for e in examples])
        tokenized = rows.map(
            _tokenize_row,
            fn_kwargs={"tokenizer": tokenizer, "max_length": max_length},
            remove_columns=["messages"],
            desc=f"Tokenizing {split} rows",
            new_fingerprint=key,  # skip hashing the tokenizer object: the key already covers it
        )
        with building(cached) as scratch, _quiet_datasets():
            tokenized.save_to_disk(str(scratch))
    with _quiet_datasets():
        tokenized = datasets.load_from_disk(str(cached))
    return _summarize(tokenized, split)


@contextmanager
def _quiet_datasets() -> Iterator[None]:
    """No "Saving the dataset" / "Loading dataset" bars around our own progress: they say nothing to a user."""
    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_progress_bars()


def _tokenize_row(row: dict, tokenizer: PreTrainedTokenizerBase, max_length: int) -> dict:
    out = tokenizer.apply_chat_template(row["messages"], tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    input_ids, mask = list(out["input_ids"]), list(out["assistant_masks"])
    if not any(mask):
        raise ModelError(
            "the chat template marked no assistant tokens for a row (is `{% generation %}` missing?); "
            "training on it would silently learn nothing from the assistant"
        )
    full_trainable = sum(mask)
    input_ids, mask = input_ids[:max_length], mask[:max_length]
    labels = [tok if m else IGNORE_INDEX for tok, m in zip(input_ids, mask)]
    return {
        "input_ids": input_ids,
        "labels": labels,
        "trainable": sum(mask),
        "truncated": len(out["input_ids"]) > max_length,
        "lost_trainable": full_trainable - sum(mask),
    }


def _summarize(tokenized: datasets.Dataset, split: str) -> TokenizedSplit:
    trainable, sources = tokenized["trainable"], tokenized["source"]
    lengths = [len(ids) if n else 0 for ids, n in zip(tokenized["input_ids"], trainable)]  # dropped rows count 0
    per_source: dict[str, dict[str, int]] = {}
    for length, n_train, source in zip(lengths, trainable, sources):
        stats = per_source.setdefault(source, {"tokens": 0, "trainable_tokens": 0})
        stats["tokens"] += length
        stats["trainable_tokens"] += n_train
    empty = [i for i, n in enumerate(trainable) if n == 0]
    if len(empty) == len(tokenized):
        raise DataError(f"every {split} row lost all of its assistant tokens to truncation; raise train.max_length")
    if empty:
        log.warning("%s: %d rows lost all assistant tokens to truncation at max_length and are dropped", split, len(empty))
    truncated = sum(tokenized["truncated"])
    keep = tokenized.filter(lambda row: row["trainable"] > 0) if empty else tokenized
    # Sources stay beside the dataset, not in it: the trainer gets input_ids and labels only.
    return TokenizedSplit(
        dataset=keep.select_columns(["input_ids", "labels"]),
        tokens=sum(lengths),
        trainable_tokens=sum(trainable),
        truncated_rows=truncated,
        dropped_rows=len(empty),
        per_source=per_source,
        row_sources=list(keep["source"]),
        row_index=[i for i, n in enumerate(trainable) if n > 0],
    )
