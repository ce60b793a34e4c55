"""Batched local generation with a transformers model and its chat template.

Shared by the sample-generations table, synthetic data and the arena. Prompts are sorted by length
and left-padded, so a batch wastes little compute on padding and every row's new tokens start at the
same column. torch and transformers are imported inside the functions, so that code which only needs
``Sampling`` (the HTTP backend) starts without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sft_ablate.data.formats import Messages

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


@dataclass(frozen=True)
class Sampling:
    max_new_tokens: int = 128
    temperature: float = 0.0  # 0 means greedy
    top_p: float = 1.0
    top_k: int = 0  # 0 means off
    seed: int = 0


def generate_local(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    conversations: list[Messages],
    sampling: Sampling,
    batch_size: int = 8,
    progress: bool = True,
) -> list[str]:
    """Answer each conversation (which must end with a user turn). Returns texts in input order."""
    import torch
    from tqdm.auto import tqdm

    prompts = [
        tokenizer.apply_chat_template(conv, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
        for conv in conversations
    ]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    outputs: list[str] = [""] * len(prompts)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    # Sampling draws from the global generator: seed it for this call only, leaving training's state alone.
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(sampling.seed)
        batches = range(0, len(order), batch_size)
        for start in tqdm(batches, desc="Generating", unit="batch", disable=not progress or len(batches) < 2):
            index = order[start : start + batch_size]
            input_ids, attention_mask = _left_pad([prompts[i] for i in index], tokenizer.pad_token_id)
            with torch.no_grad():
                new_tokens = model.generate(
                    input_ids=input_ids.to(device),
                    attention_mask=attention_mask.to(device),
                    **_generate_kwargs(sampling, tokenizer),
                )[:, input_ids.shape[1] :]
            for i, tokens in zip(index, new_tokens):
                outputs[i] = tokenizer.decode(tokens, skip_special_tokens=True).strip()
    model.train(was_training)
    return outputs


def reply_logprobs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    conversations: list[Messages],
    replies: list[str],
) -> list[list[float]]:
    """The log-likelihood of each reply as the assistant's answer to each conversation: (conversations, replies).

    Each conversation is read once; its key/value cache is then copied for every reply, so scoring three short
    replies after a long prompt costs about one pass over the prompt, not three. The replies are right-padded:
    in a causal model, padding after a reply's last token cannot change that reply's logits.
    """
    import torch

    reply_ids = [tokenizer(r, add_special_tokens=False)["input_ids"] for r in replies]
    width = max(len(ids) for ids in reply_ids)
    batch = torch.full((len(replies), width), tokenizer.pad_token_id, dtype=torch.long)
    batch_mask = torch.zeros((len(replies), width), dtype=torch.long)
    for i, ids in enumerate(reply_ids):
        batch[i, : len(ids)] = torch.tensor(ids)
        batch_mask[i, : len(ids)] = 1
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out: list[list[float]] = []
    for conv in conversations:
        prompt = tokenizer.apply_chat_template(conv, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
        with torch.no_grad():
            read = model(input_ids=torch.tensor([list(prompt)], device=device), use_cache=True)
            first = torch.log_softmax(read.logits[0, -1].float(), dim=-1)  # each reply's first token follows the prompt
            cache = read.past_key_values
            cache.batch_repeat_interleave(len(replies))
            mask = torch.cat([torch.ones((len(replies), len(prompt)), dtype=torch.long), batch_mask], dim=1)
            rest = model(
                input_ids=batch.to(device), attention_mask=mask.to(device), past_key_values=cache, use_cache=False
            ).logits
        rest = torch.log_softmax(rest.float(), dim=-1)
        scores = []
        for i, ids in enumerate(reply_ids):
            targets = batch[i, 1 : len(ids)].to(device)
            scores.append(float(first[ids[0]] + rest[i, : len(ids) - 1].gather(1, targets[:, None]).sum()))
        out.append(scores)
    model.train(was_training)
    return out


def _left_pad(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        input_ids[i, width - len(r) :] = torch.tensor(r)
        attention_mask[i, width - len(r) :] = 1
    return input_ids, attention_mask


def _generate_kwargs(sampling: Sampling, tokenizer: PreTrainedTokenizerBase) -> dict:
    kwargs = {
        "max_new_tokens": sampling.max_new_tokens,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    if sampling.temperature > 0:
        # top_k=0 switches top-k off; None would let transformers fall back to its default of 50.
        kwargs.update(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k)
    else:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    return kwargs
