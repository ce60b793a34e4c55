"""The training loss from the backbone's hidden states, through the LM head in token chunks.

TRL 1.16's SFTTrainer already avoids the whole `(batch, seq, vocab)` logits, but on a CPU its fused head scores
every position (labels or not) in tiles of 4,096 tokens x 32,768 vocabulary entries, with several fp32 copies of
each tile for the entropy and accuracy it logs: gigabytes at the default run's 8 x 384 tokens. Here only the
positions that carry a label are projected, `CHUNK_TOKENS` at a time, and each chunk's logits are recomputed in the
backward pass (activation checkpointing of the head alone), so at most one chunk's logits live at once. The loss is
the same sum of token NLLs over the same denominator; the only metric kept is token accuracy (an argmax per chunk).
"""

from __future__ import annotations

import logging

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint
from transformers import PreTrainedModel
from trl import SFTTrainer

from sft_ablate.data.tokenization import IGNORE_INDEX

log = logging.getLogger(__name__)

# 1,024 tokens x 49,152 (SmolLM2's vocabulary) x 4 bytes = 200 MB of logits per chunk: large enough for an efficient
# matmul, small beside the activations.
CHUNK_TOKENS = 1024

# Config fields of models whose head does more than `hidden @ W.T` (Gemma 2's softcap, Cohere's scale, ...): those
# train with TRL's own loss, which applies them.
_HEAD_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "output_multiplier", "lm_head_multiplier", "logits_scaling")


def causal_lm_of(model: nn.Module) -> PreTrainedModel:
    """The transformers model inside a PEFT wrapper (whose LoRA layers live inside it)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def lean_loss_blocker(model: nn.Module) -> str | None:
    """Why the loss from hidden states would not equal the model's own (a head transform, no plain LM head, router
    logits), or None when it would."""
    lm = causal_lm_of(model)
    text_config = lm.config.get_text_config()
    transforms = [name for name in _HEAD_TRANSFORMS if getattr(text_config, name, None) not in (None, 1.0)]
    if transforms:
        return f"{type(lm).__name__} has {transforms}"
    if lm.get_output_embeddings() is None:
        return f"{type(lm).__name__} has no plain LM head"
    if getattr(text_config, "output_router_logits", False):
        return f"{type(lm).__name__} adds a router loss"
    return None


def supports_lean_loss(model: nn.Module) -> bool:
    return lean_loss_blocker(model) is None


def _chunk_nll(head: nn.Module, hidden: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    logits = head(hidden).float()  # fp32 for the log-sum-exp, as TRL's kernel does
    nll = nn.functional.cross_entropy(logits, targets, reduction="sum")
    correct = (logits.detach().argmax(-1) == targets).sum()
    return nll, correct


def _labelled_positions(hidden: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Which positions predict a label (`[batch, seq - 1]`), their hidden states and the tokens they predict."""
    targets = labels[:, 1:]
    mask = targets != IGNORE_INDEX
    return mask, hidden[:, :-1][mask], targets[mask]


def chunked_nll(
    hidden: torch.Tensor, head: nn.Module, labels: torch.Tensor, chunk_tokens: int = CHUNK_TOKENS
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sum of next-token NLLs over labelled positions, their count, and how many the argmax got right.
    `hidden` is the backbone's last hidden state `[batch, seq, hidden]`, `labels` `[batch, seq]` (unshifted)."""
    mask, picked, wanted = _labelled_positions(hidden, labels)
    # A batch without labels still returns a loss connected to the graph, so backward() does not fail.
    nll = hidden.sum() * 0.0
    correct = torch.zeros((), dtype=torch.long, device=hidden.device)
    for start in range(0, picked.shape[0], chunk_tokens):
        end = start + chunk_tokens
        chunk_nll, chunk_correct = checkpoint(_chunk_nll, head, picked[start:end], wanted[start:end], use_reentrant=False)
        nll = nll + chunk_nll
        correct = correct + chunk_correct
    return nll, mask.sum(), correct


def labelled_nll(hidden: torch.Tensor, head: nn.Module, labels: torch.Tensor, chunk_tokens: int = CHUNK_TOKENS) -> torch.Tensor:
    """Each labelled position's next-token NLL, for scoring (no graph): `[batch, seq - 1]`, 0 where unlabelled.
    Only the labelled positions go through the head, a chunk at a time, as in training."""
    mask, picked, wanted = _labelled_positions(hidden, labels)
    nll = torch.zeros(mask.shape, dtype=torch.float32, device=hidden.device)
    chunks = [
        nn.functional.cross_entropy(head(picked[s : s + chunk_tokens]).float(), wanted[s : s + chunk_tokens], reduction="none")
        for s in range(0, picked.shape[0], chunk_tokens)
    ]
    if chunks:
        nll[mask] = torch.cat(chunks)
    return nll


class LeanLossSFTTrainer(SFTTrainer):
    """SFTTrainer whose training loss is `chunked_nll` (same value and gradient as TRL's, less memory); logs token
    accuracy and token counts as TRL does, not the entropy. Anything else (logits asked for, a model this loss does
    not cover) goes to TRL's own `compute_loss`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        blocker = lean_loss_blocker(self.model)
        if blocker:
            log.info("train.lean_loss: %s; training with TRL's loss", blocker)
        self.lean = blocker is None

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        trl_only = self.compute_loss_func is not None or self.label_smoother is not None or self.args.loss_type != "nll"
        if return_outputs or not self.lean or trl_only:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        mode = "train" if self.model.training else "eval"
        lm = causal_lm_of(self.accelerator.unwrap_model(model))
        model_inputs = {k: v for k, v in inputs.items() if k not in ("labels", "use_cache")}
        # No KV cache in training; a packed batch (position_ids, no attention mask) must not get one either.
        hidden = lm.base_model(**model_inputs, use_cache=False).last_hidden_state
        nll, labelled, correct = chunked_nll(hidden, lm.get_output_embeddings(), inputs["labels"])
        denominator = labelled if num_items_in_batch is None else num_items_in_batch
        loss = nll / torch.as_tensor(denominator).clamp(min=1)
        if self.args.average_tokens_across_devices and num_items_in_batch is not None:
            loss = loss * (self.accelerator.num_processes // self._tp_size)  # as TRL: DDP averages the gradients
        self._log_batch(mode, inputs, labelled, correct)
        return loss

    def _log_batch(self, mode: str, inputs: dict, labelled: torch.Tensor, correct: torch.Tensor) -> None:
        """TRL's mean_token_accuracy and num_tokens, computed as its compute_loss does."""
        gather = self.accelerator.gather_for_metrics
        valid, right = gather(labelled).sum(), gather(correct).sum()
        self._metrics[mode]["mean_token_accuracy"].append((right / valid).item() if valid > 0 else 0.0)
        if mode == "train":
            if "attention_mask" in inputs:
                tokens = gather(inputs["attention_mask"].sum()).sum().item()
            else:  # padding-free (packed): one row of real tokens
                tokens = gather(torch.tensor(inputs["position_ids"].size(1))).sum().item()
            self._total_train_tokens += tokens // self._tp_size
        self._metrics[mode]["num_tokens"] = [self._total_train_tokens]
