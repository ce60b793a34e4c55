"""Held-out loss and perplexity, and the sample-generations table (and its rows as computed metrics read them)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import datasets
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sft_ablate.data.sources import Example
from sft_ablate.data.tokenization import IGNORE_INDEX
from sft_ablate.generation.local import Sampling, generate_local
from sft_ablate.metrics import Answer
from sft_ablate.training.lean_loss import causal_lm_of, labelled_nll, supports_lean_loss


@dataclass
class HeldOutLoss:
    loss: float  # mean negative log-likelihood per assistant token
    perplexity: float
    tokens: int  # assistant tokens scored
    by_group: dict[str, HeldOutLoss] = field(default_factory=dict)  # the same, per group (e.g. per source)
    # Each row's summed NLL and assistant tokens, in the dataset's order (the whole set's result only): the loss
    # is fsum(row_nll) / sum(row_tokens), what item_scores.jsonl records per row (sft_ablate/record/items.py).
    row_nll: list[float] = field(default_factory=list, repr=False)
    row_tokens: list[int] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, nll: float, tokens: int) -> HeldOutLoss:
        loss = nll / max(tokens, 1)
        return cls(loss=loss, perplexity=math.exp(min(loss, 50.0)), tokens=tokens)


def heldout_loss(
    model: PreTrainedModel, dataset: datasets.Dataset, batch_size: int, pad_token_id: int, groups: list[str] | None = None
) -> HeldOutLoss:
    """Token-weighted NLL over assistant tokens: the same quantity for every model and mixture. With `groups`
    (one label per row, e.g. its source), also per group, token-weighted the same way."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    lean, lm = supports_lean_loss(model), causal_lm_of(model)
    nll_by_row, tokens_by_row = [0.0] * len(dataset), [0] * len(dataset)
    rows = sorted(range(len(dataset)), key=lambda i: len(dataset[i]["input_ids"]))  # less padding per batch
    for start in tqdm(range(0, len(rows), batch_size), desc="Held-out loss", unit="batch", leave=False):
        batch_rows = rows[start : start + batch_size]
        input_ids, labels, attention_mask = _right_pad([dataset[i] for i in batch_rows], pad_token_id)
        inputs = {"input_ids": input_ids.to(device), "attention_mask": attention_mask.to(device), "use_cache": False}
        labels = labels.to(device)
        targets = labels[:, 1:]
        with torch.no_grad():
            if lean:  # only the answer tokens through the LM head: no (batch, seq, vocab) logits
                nll = labelled_nll(lm.base_model(**inputs).last_hidden_state, lm.get_output_embeddings(), labels)
            else:
                logits = model(**inputs).logits.float()
                nll = torch.nn.functional.cross_entropy(
                    logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX,
                    reduction="none",
                ).view(targets.shape)  # fmt: skip
        for row, row_nll, row_tokens in zip(batch_rows, nll.sum(dim=1).tolist(), (targets != IGNORE_INDEX).sum(dim=1).tolist()):
            nll_by_row[row], tokens_by_row[row] = row_nll, int(row_tokens)
    model.train(was_training)
    result = HeldOutLoss.of(math.fsum(nll_by_row), sum(tokens_by_row))
    result.row_nll, result.row_tokens = nll_by_row, tokens_by_row
    for group in dict.fromkeys(groups or []):
        members = [i for i, g in enumerate(groups) if g == group]
        result.by_group[group] = HeldOutLoss.of(math.fsum(nll_by_row[i] for i in members), sum(tokens_by_row[i] for i in members))
    return result


def _right_pad(batch: list[dict], pad_token_id: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(len(row["input_ids"]) for row in batch)
    input_ids = torch.full((len(batch), width), pad_token_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, row in enumerate(batch):
        n = len(row["input_ids"])
        input_ids[i, :n] = torch.tensor(row["input_ids"])
        labels[i, :n] = torch.tensor(row["labels"])
        attention_mask[i, :n] = 1
    return input_ids, labels, attention_mask


def generation_prompts(examples: list[Example], n: int) -> list[Example]:
    """n held-out rows taken round-robin across sources: a fixed set, so tables line up across runs."""
    by_source: dict[str, list[Example]] = {}
    for example in examples:
        by_source.setdefault(example.source, []).append(example)
    interleaved = [e for group in itertools.zip_longest(*by_source.values()) for e in group if e is not None]
    return interleaved[:n]


def sample_generations(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: list[Example],
    max_new_tokens: int,
    batch_size: int,
) -> list[str]:
    """Greedy answers to each example's conversation up to (not including) its last assistant turn."""
    conversations = [e.messages[:-1] for e in examples]
    return generate_local(model, tokenizer, conversations, Sampling(max_new_tokens=max_new_tokens), batch_size)


def answers(generations: list[dict[str, Any]]) -> list[Answer]:
    """The sample generations (generations.jsonl rows) as the rows a computed metric reads (sft_ablate/metrics.py)."""
    return [
        Answer(source=g["source"], prompt=g["prompt"][-1]["content"] if g["prompt"] else "", reference=g["reference"],
               output=g["output"], base_output=g["base_output"])
        for g in generations
    ]  # fmt: skip
