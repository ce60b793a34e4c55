"""generation.local's two hand-rolled inference helpers against what transformers does:
draw_token keeps transformers' top-k/top-p set and draws from its distribution; continuation_scores equals a
full forward pass over context + continuation, and generate_local samples through draw_token reproducibly."""

from __future__ import annotations

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

from sft_ablate.generation.local import CANDIDATES, Sampling, continuation_scores, draw_token


def transformers_kept(scores: torch.Tensor, sampling: Sampling) -> torch.Tensor:
    """transformers' warped logits for the same settings (-inf where a token is removed)."""
    warped = TemperatureLogitsWarper(sampling.temperature)(None, scores.clone())
    if sampling.top_k > 0:
        warped = TopKLogitsWarper(sampling.top_k)(None, warped)
    return TopPLogitsWarper(sampling.top_p)(None, warped) if sampling.top_p < 1.0 else warped


def draws(scores: torch.Tensor, sampling: Sampling, n: int) -> torch.Tensor:
    """n draws per row: the token each keeps."""
    picks = [draw_token(scores, sampling).argmax(-1) for _ in range(n)]
    return torch.stack(picks, dim=1)


@pytest.mark.parametrize(
    "sampling, spread",
    [
        (Sampling(temperature=0.7, top_p=0.9), 4.0),  # peaked rows: the nucleus among the candidates
        (Sampling(temperature=0.7, top_p=0.9), 0.2),  # flat rows: the nucleus reaches past them (full sort)
        (Sampling(temperature=1.0, top_p=0.5, top_k=40), 1.0),
        (Sampling(temperature=1.3, top_p=1.0, top_k=5), 1.0),
    ],
)
def test_draws_come_from_transformers_kept_set_with_its_probabilities(sampling, spread):
    gen = torch.Generator().manual_seed(0)
    vocab = 3000
    scores = torch.randn(4, vocab, generator=gen) * spread
    scores[0, :5] += 8.0  # one row with a few clear favourites
    expected = torch.softmax(transformers_kept(scores, sampling), dim=-1)
    torch.manual_seed(1)
    picked = draws(scores, sampling, 4000)
    for row in range(scores.shape[0]):
        kept = expected[row] > 0
        assert bool(kept[picked[row]].all()), "a token outside transformers' kept set was drawn"
        freq = torch.bincount(picked[row], minlength=vocab).float() / picked.shape[1]
        # total variation between observed and expected, against what 4000 draws allow
        tv = 0.5 * (freq - expected[row]).abs().sum().item()
        support = int(kept.sum())
        assert tv < 0.5 * (support / 4000) ** 0.5 + 0.02, (row, support, tv)


def test_flat_rows_reach_past_the_candidates():
    """The case the full sort exists for: a nucleus of far more than CANDIDATES tokens."""
    scores = torch.zeros(2, 4 * CANDIDATES)
    sampling = Sampling(temperature=0.7, top_p=0.9)
    torch.manual_seed(0)
    picked = draws(scores, sampling, 600)
    assert int(picked.max()) >= CANDIDATES  # candidates alone could never draw these
    assert len(torch.unique(picked)) > 300


def test_a_seeded_draw_repeats():
    scores = torch.randn(3, 500)
    sampling = Sampling(temperature=0.7, top_p=0.9)
    torch.manual_seed(5)
    first = draws(scores, sampling, 20)
    torch.manual_seed(5)
    assert torch.equal(first, draws(scores, sampling, 20))


def small_llama() -> LlamaForCausalLM:
    """A random Llama whose attention is sharp enough (initializer_range) that a wrong position changes logits."""
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=4, tie_word_embeddings=False, initializer_range=0.3)  # fmt: skip
    return LlamaForCausalLM(config).float().eval()


def full_pass(model, context: list[int], continuation: list[int]) -> tuple[float, bool]:
    with torch.no_grad():
        logits = model(torch.tensor([context + continuation])).logits[0].log_softmax(-1)
    rows = logits[len(context) - 1 : len(context) + len(continuation) - 1]
    target = torch.tensor(continuation)
    return float(rows.gather(1, target[:, None]).sum()), bool((rows.argmax(-1) == target).all())


def test_continuation_scores_equal_a_full_pass_per_choice():
    """Contexts of different lengths (left-padded together), choices of different lengths (right-padded), a
    group boundary inside the requests (batch_size), and a greedy continuation among them."""
    model = small_llama()
    gen = torch.Generator().manual_seed(3)
    requests = []
    for length in (3, 11, 7, 1):
        context = torch.randint(0, 97, (length,), generator=gen).tolist()
        choices = [torch.randint(0, 97, (n,), generator=gen).tolist() for n in (1, 4, 2)]
        requests.append((context, choices))
    context = requests[1][0]
    greedy = []
    for _ in range(3):  # the model's own greedy continuation of one context
        with torch.no_grad():
            greedy.append(int(model(torch.tensor([context + greedy])).logits[0, -1].argmax()))
    requests[1][1].append(greedy)
    scored = continuation_scores(model, requests, pad_id=0, batch_size=9)  # groups of 3 contexts, then 1
    for (context, choices), scores in zip(requests, scored):
        assert len(scores) == len(choices)
        for choice, score in zip(choices, scores):
            logprob, is_greedy = full_pass(model, context, choice)
            assert score.logprob == pytest.approx(logprob, abs=1e-4)
            assert score.greedy == is_greedy
    assert scored[1][-1].greedy


def test_empty_context_or_choice_is_refused():
    model = small_llama()
    with pytest.raises(ValueError):
        continuation_scores(model, [([], [[1]])], pad_id=0)
    with pytest.raises(ValueError):
        continuation_scores(model, [([1, 2], [[1], []])], pad_id=0)


def test_a_prompt_asked_twice_is_read_once_and_answered_the_same():
    """generate_local's shared prompt cache: the same tokens as generating from the padded batch itself."""
    from types import SimpleNamespace

    from sft_ablate.generation.local import _generate_kwargs, _pad, _shared_prompt_cache

    model = small_llama()
    gen = torch.Generator().manual_seed(4)
    prompts = [torch.randint(1, 97, (n,), generator=gen).tolist() for n in (5, 9, 2)]
    rows = [prompts[0], prompts[1], prompts[0], prompts[2], prompts[1], prompts[0]]
    input_ids, attention_mask = _pad(rows, pad_id=0, left=True)
    tokenizer = SimpleNamespace(pad_token_id=0, eos_token_id=96)
    cache = _shared_prompt_cache(model, input_ids, attention_mask)
    assert cache is not None and cache.get_seq_length() == input_ids.shape[1] - 1
    assert _shared_prompt_cache(model, *_pad(prompts, pad_id=0, left=True)) is None  # all distinct: nothing to share
    for sampling in (Sampling(max_new_tokens=12), Sampling(max_new_tokens=12, temperature=0.8, top_p=0.9, seed=2)):
        outputs = []
        for past in (None, _shared_prompt_cache(model, input_ids, attention_mask)):
            torch.manual_seed(sampling.seed)
            with torch.no_grad():
                outputs.append(model.generate(input_ids=input_ids, attention_mask=attention_mask, past_key_values=past,
                                              **_generate_kwargs(sampling, tokenizer)))  # fmt: skip
        assert torch.equal(outputs[0], outputs[1])
