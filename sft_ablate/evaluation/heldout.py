"""Held-out loss and perplexity, and the sample-generations table."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import datasets
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from sft_ablate.data.sources import Example
from sft_ablate.data.tokenization import IGNORE_INDEX
from sft_ablate.generation.local import Sampling, generate_local


@dataclass
class HeldOutLoss:
    loss: float  # mean negative log-likelihood per assistant token
    perplexity: float
    tokens: int  # assistant tokens scored


def heldout_loss(model: PreTrainedModel, dataset: datasets.Dataset, batch_size: int, pad_token_id: int) -> HeldOutLoss:
    """Token-weighted NLL over assistant tokens: the same quantity for every model and mixture."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total_nll, total_tokens = 0.0, 0
    rows = sorted(range(len(dataset)), key=lambda i: len(dataset[i]["input_ids"]))  # less padding per batch
    for start in tqdm(range(0, len(rows), batch_size), desc="Held-out loss", unit="batch", leave=False):
        batch = [dataset[i] for i in rows[start : start + batch_size]]
        input_ids, labels, attention_mask = _right_pad(batch, pad_token_id)
        with torch.no_grad():
            logits = model(
                input_ids=input_ids.to(device), attention_mask=attention_mask.to(device), use_cache=False
            ).logits.float()
        targets = labels[:, 1:].to(device)
        nll = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE_INDEX, reduction="sum"
        )
        total_nll += float(nll)
        total_tokens += int((targets != IGNORE_INDEX).sum())
    model.train(was_training)
    loss = total_nll / max(total_tokens, 1)
    return HeldOutLoss(loss=loss, perplexity=math.exp(min(loss, 50.0)), tokens=total_tokens)


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
