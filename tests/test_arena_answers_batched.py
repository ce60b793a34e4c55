"""The arena's answers: every prompt x seed in one generate call per turn, each row's own conversation."""

from __future__ import annotations

from sft_ablate.arena.answers import answer_prompts
from sft_ablate.arena.prompts import ArenaPrompt
from sft_ablate.generation.schema import SamplingConfig

PROMPTS = [ArenaPrompt(f"p{i}", (f"question {i}", f"follow-up {i}"), None, None, f"k{i}") for i in range(3)]


def test_one_call_per_turn_over_every_prompt_and_seed():
    calls = []

    def generate(conversations, sampling):
        calls.append((conversations, sampling))
        turn = len(conversations[0]) // 2 + 1
        return [f"answer {turn} to {c[-1]['content']} (row {i})" for i, c in enumerate(conversations)]

    out = answer_prompts(generate, PROMPTS, [0, 1], SamplingConfig(max_new_tokens=8, temperature=0.7))
    assert len(calls) == 2 and [len(c) for c, _ in calls] == [6, 6]  # 2 turns, 3 prompts x 2 seeds each
    assert calls[0][1].seed == calls[1][1].seed and calls[0][1].max_new_tokens == 8
    assert [(key, seed) for key, seed, _ in out] == [(f"k{i}", s) for s in (0, 1) for i in range(3)]
    # Turn 2 sees its own row's turn 1: the rows of the two seeds are separate conversations.
    second = calls[1][0]
    assert second[0][:2] == [
        {"role": "user", "content": "question 0"},
        {"role": "assistant", "content": "answer 1 to question 0 (row 0)"},
    ]
    assert second[3][1]["content"] == "answer 1 to question 0 (row 3)"
    assert out[3][2] == ["answer 1 to question 0 (row 3)", "answer 2 to follow-up 0 (row 3)"]


def test_a_single_seed_keeps_its_own_generator_seed():
    seen = []
    answer_prompts(lambda convs, s: seen.append(s.seed) or [""] * len(convs), PROMPTS[:1], [5], SamplingConfig())
    many = []
    answer_prompts(lambda convs, s: many.append(s.seed) or [""] * len(convs), PROMPTS[:1], [0, 1], SamplingConfig())
    assert seen == [5, 5] and many[0] not in (0, 1)
