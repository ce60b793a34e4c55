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
            input_ids, attention_mask = _pad([prompts[i] for i in index], tokenizer.pad_token_id, left=True)
            with torch.no_grad():
                new_tokens = model.generate(
                    input_ids=input_ids.to(device),
                    attention_mask=attention_mask.to(device),
                    past_key_values=_shared_prompt_cache(model, input_ids, attention_mask),
                    **_generate_kwargs(sampling, tokenizer),
                )[:, input_ids.shape[1] :]
            for i, tokens in zip(index, new_tokens):
                outputs[i] = tokenizer.decode(tokens, skip_special_tokens=True).strip()
    model.train(was_training)
    return outputs


def _shared_prompt_cache(model: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor):
    """The key/value cache of a batch's prompts but their last token, each distinct prompt read once; None when
    every prompt differs. A prompt asked for with several seeds (the arena, synth's candidates) then costs one
    prefill; generate reads only the last token itself. The draws are unchanged: reading a prompt draws nothing."""
    import torch

    distinct: dict[tuple[int, ...], int] = {}
    owner = torch.tensor([distinct.setdefault(tuple(row.tolist()), len(distinct)) for row in input_ids])
    if len(distinct) == len(input_ids) or input_ids.shape[1] < 2:
        return None
    first = torch.tensor([int((owner == k).nonzero()[0]) for k in range(len(distinct))])
    ids, mask = input_ids[first, :-1], attention_mask[first, :-1]
    device = next(model.parameters()).device
    read = model(input_ids=ids.to(device), attention_mask=mask.to(device), position_ids=_real_positions(mask).to(device),
                 use_cache=True, **_last_logits_only(model))  # fmt: skip
    cache = read.past_key_values
    cache.reorder_cache(owner.to(device))
    return cache


def _last_logits_only(model: PreTrainedModel) -> dict:
    """logits_to_keep=1 where the model takes it: a prompt's read needs only its last position through the LM head
    (24 prompts x 107 tokens x 49,152 would be 0.5 GB of logits)."""
    import inspect

    from sft_ablate.training.lean_loss import causal_lm_of

    return {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(causal_lm_of(model).forward).parameters else {}


def reply_logprobs(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    conversations: list[Messages],
    replies: list[str],
) -> list[list[float]]:
    """The log-likelihood of each reply as the assistant's answer to each conversation: (conversations, replies)."""
    reply_ids = [tokenizer(r, add_special_tokens=False)["input_ids"] for r in replies]
    prompts = [
        list(tokenizer.apply_chat_template(conv, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"])
        for conv in conversations
    ]
    scored = continuation_scores(model, [(prompt, reply_ids) for prompt in prompts], tokenizer.pad_token_id)
    return [[s.logprob for s in scores] for scores in scored]


@dataclass(frozen=True)
class ContinuationScore:
    logprob: float  # the continuation's summed log-probability after the context
    greedy: bool  # whether greedy decoding from the context would produce exactly these tokens


def continuation_scores(
    model: PreTrainedModel, requests: list[tuple[list[int], list[list[int]]]], pad_id: int | None, batch_size: int = 32
) -> list[list[ContinuationScore]]:
    """Score each request's continuations (token ids) after its context, reading each context once.

    Contexts are read together, left-padded, keeping only the last position's logits; the key/value cache is then
    copied for each of a context's continuations, which are read together, right-padded (in a causal model padding
    after a continuation's last token cannot change its logits). Scoring four short choices after a question costs
    about one pass over the question, not four, and one forward call serves several questions. ``batch_size``
    bounds the continuations read at once (at least one request's).
    """
    for context, continuations in requests:
        if not context or not continuations or any(not ids for ids in continuations):
            raise ValueError("continuation_scores needs a non-empty context and non-empty continuations")
    pad_id = 0 if pad_id is None else pad_id  # padding is masked: any id will do
    was_training = model.training
    model.eval()
    # Requests of similar length share a forward call: little padding.
    order = sorted(range(len(requests)), key=lambda i: (len(requests[i][0]), max(map(len, requests[i][1]))))
    out: list[list[ContinuationScore]] = [[] for _ in requests]
    group: list[int] = []
    for i in order + [None]:
        if group and (i is None or sum(len(requests[j][1]) for j in group) + len(requests[i][1]) > batch_size):
            for j, scores in zip(group, _score_group(model, [requests[j] for j in group], pad_id)):
                out[j] = scores
            group = []
        if i is not None:
            group.append(i)
    model.train(was_training)
    return out


def _score_group(
    model: PreTrainedModel, group: list[tuple[list[int], list[list[int]]]], pad_id: int
) -> list[list[ContinuationScore]]:
    import torch

    device = next(model.parameters()).device
    contexts, context_mask = _pad([context for context, _ in group], pad_id, left=True)
    owner = torch.tensor([q for q, (_, continuations) in enumerate(group) for _ in continuations])
    flat = [ids for _, continuations in group for ids in continuations]
    batch, batch_mask = _pad(flat, pad_id, left=False)
    positions = context_mask.sum(-1)[owner, None] + torch.arange(batch.shape[1])  # each after its context
    with torch.no_grad():
        read = model(input_ids=contexts.to(device), attention_mask=context_mask.to(device),
                     position_ids=_real_positions(context_mask).to(device), use_cache=True, **_last_logits_only(model))  # fmt: skip
        first = torch.log_softmax(read.logits[:, -1].float(), dim=-1)[owner.to(device)]  # each first token follows its context
        cache = read.past_key_values
        cache.reorder_cache(owner.to(device))  # one copy of the context's cache per continuation
        mask = torch.cat([context_mask[owner], batch_mask], dim=1)
        # The last column predicts past every continuation: dropped.
        rest = model(input_ids=batch.to(device), attention_mask=mask.to(device), position_ids=positions.to(device),
                     past_key_values=cache, use_cache=False).logits[:, :-1]  # fmt: skip
        rest = torch.log_softmax(rest.float(), dim=-1)
    scores = []
    for i, ids in enumerate(flat):
        targets = batch[i, 1 : len(ids)].to(device)
        picked = rest[i, : len(ids) - 1].gather(1, targets[:, None]).sum()
        greedy = int(first[i].argmax()) == ids[0] and bool((rest[i, : len(ids) - 1].argmax(-1) == targets).all())
        scores.append(ContinuationScore(float(first[i, ids[0]] + picked), greedy))
    out, start = [], 0
    for _, continuations in group:
        out.append(scores[start : start + len(continuations)])
        start += len(continuations)
    return out


def _pad(rows: list[list[int]], pad_id: int, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Token rows as one tensor and its attention mask, padded on the left (prompts) or the right (continuations)."""
    import torch

    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        span = slice(width - len(r), width) if left else slice(0, len(r))
        input_ids[i, span] = torch.tensor(r)
        attention_mask[i, span] = 1
    return input_ids, attention_mask


def _real_positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position ids counting real tokens only, as generate numbers a left-padded row: it reads as it would alone."""
    return (attention_mask.cumsum(-1) - 1).clamp(min=0)


def _generate_kwargs(sampling: Sampling, tokenizer: PreTrainedTokenizerBase) -> dict:
    from transformers import LogitsProcessorList

    kwargs = {
        "max_new_tokens": sampling.max_new_tokens,
        "pad_token_id": tokenizer.pad_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "do_sample": False,  # sampling, when asked for, is done by draw_token: greedy then keeps its draw
        "temperature": None,
        "top_p": None,
        "top_k": None,
    }
    if sampling.temperature > 0:
        kwargs["logits_processor"] = LogitsProcessorList([lambda input_ids, scores: draw_token(scores, sampling)])
    return kwargs


CANDIDATES = 256  # the likeliest tokens a draw looks at first; the nucleus of top_p 0.9 nearly always lies within


def draw_token(scores: torch.Tensor, sampling: Sampling) -> torch.Tensor:
    """Sample each row's next token as transformers' temperature, top-k and top-p warpers and its multinomial draw
    would, and return scores where only that token is left (so greedy decoding keeps it).

    Hand-rolled because transformers sorts the whole vocabulary for top_p and draws over all of it: on 2 CPU cores,
    48 rows x 49,152 tokens took 0.15 s a step, more than the model's own forward pass. Here a row's nucleus is
    found among its CANDIDATES likeliest tokens (the vocabulary is sorted in full only when some row's candidates
    hold less than top_p of the probability). Same distribution (tests/test_sampling.py); the draws use the global
    generator, so a seeded call repeats.
    """
    import torch

    scores = scores.float() / sampling.temperature
    vocab = scores.shape[-1]
    if 0 < sampling.top_k < vocab:  # top-k first; a nucleus is then taken in its renormalised distribution
        values, tokens = scores.topk(sampling.top_k, dim=-1)  # sorted, likeliest first
        total = torch.logsumexp(values, dim=-1, keepdim=True)
    elif sampling.top_p >= 1.0:  # neither: the whole vocabulary
        return _keep_draw(scores, scores, None)
    else:
        values, tokens = scores.topk(min(CANDIDATES, vocab), dim=-1)
        total = torch.logsumexp(scores, dim=-1, keepdim=True)
        if bool(((values - total).exp().sum(-1) < sampling.top_p).any()):
            values, tokens = scores.topk(vocab, dim=-1)  # a nucleus reaches past the candidates: sort in full
    if sampling.top_p < 1.0:
        probs = (values - total).exp()
        above = probs.cumsum(-1) - probs  # each token's likelier tokens' probability
        values = values.masked_fill(above >= sampling.top_p, float("-inf"))
    return _keep_draw(scores, values, tokens)


def _keep_draw(scores: torch.Tensor, values: torch.Tensor, tokens: torch.Tensor | None) -> torch.Tensor:
    """Draw one of `values` per row (logits; tokens[i] names them, or None: the whole vocabulary) and return
    scores that are -inf everywhere but the drawn token."""
    import torch

    pick = torch.multinomial(torch.softmax(values, dim=-1), num_samples=1)
    chosen = pick if tokens is None else tokens.gather(1, pick)
    return torch.full_like(scores, float("-inf")).scatter_(1, chosen, 0.0)
