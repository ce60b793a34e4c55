"""Per-source held-out loss: each group is token-weighted like the pooled figure, and the groups add up to it."""

from __future__ import annotations

import math

import datasets
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from sft_ablate.data.tokenization import IGNORE_INDEX
from sft_ablate.evaluation.heldout import heldout_loss


def test_per_source_losses_are_token_weighted_and_add_up_to_the_pooled_loss():
    torch.manual_seed(0)
    model = LlamaForCausalLM(
        LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2)
    )
    rows, sources = [], []
    for i in range(7):  # rows of different lengths and answer sizes, so the weighting matters
        ids = [(3 * i + j) % 50 for j in range(5 + i)]
        labels = [IGNORE_INDEX] * 3 + ids[3:]
        rows.append({"input_ids": ids, "labels": labels})
        sources.append("human" if i % 3 else "synthetic")
    dataset = datasets.Dataset.from_list(rows)
    result = heldout_loss(model, dataset, batch_size=3, pad_token_id=0, groups=sources)
    assert set(result.by_group) == {"human", "synthetic"}
    assert sum(g.tokens for g in result.by_group.values()) == result.tokens
    pooled = sum(g.loss * g.tokens for g in result.by_group.values()) / result.tokens
    assert pooled == pytest.approx(result.loss, rel=1e-9)
    # Each group alone gives the same figure as scoring only its rows.
    human = dataset.select([i for i, s in enumerate(sources) if s == "human"])
    alone = heldout_loss(model, human, batch_size=2, pad_token_id=0)
    assert alone.loss == pytest.approx(result.by_group["human"].loss, rel=1e-5)
    assert result.by_group["human"].perplexity == pytest.approx(math.exp(result.by_group["human"].loss))
