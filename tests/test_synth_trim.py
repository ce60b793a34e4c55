"""synth.trim_to_sentence: a cut-off candidate is kept up to its last full sentence, or rejected as truncated."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from sft_ablate.generation.local import Sampling
from sft_ablate.synth.pipeline import Backends, Tally, last_full_sentence, sample_candidates
from sft_ablate.synth.self_instruct import Task


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("Paris is the capital. It has many museums and a riv", "Paris is the capital."),
        ('He said "stop here." Then the car turned left and', 'He said "stop here."'),
        ("Three synonyms:\n- joyful\n- cheerful\n- cont", "Three synonyms:\n- joyful\n- cheerful"),
        ("Is it true? Yes, it is. And more of", "Is it true? Yes, it is."),
        ("Version 2.5 of the tool adds a flag to", None),  # no sentence end: a decimal point is not one
        ("Short. And then the rest goes on and on", None),  # under four words left
        ("Use this code:\n```python\nprint(1)\nfor i in", None),  # a cut inside a code block
    ],
)
def test_last_full_sentence(answer, kept):
    assert last_full_sentence(answer) == kept


class FakeGenerator:
    """Answers each task with a fixed text; every answer counts as cut off by max_new_tokens."""

    name = "fake"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def generate(self, conversations, sampling):
        return [self.answers[c[-1]["content"]] for c in conversations]

    def hit_length_limit(self, conversations, texts, sampling):
        return [True] * len(texts)


@pytest.mark.parametrize("trim", [True, False])
def test_cut_off_candidates_are_trimmed_or_rejected(trim, monkeypatch):
    import sft_ablate.synth.pipeline as pipeline
    from sft_ablate.synth.schema import SynthConfig

    monkeypatch.setattr(pipeline, "to_sampling", lambda s: s)  # the samplings here are already Sampling objects
    answers = {"t1": "A sentence that ends. And one that does n", "t2": "no end in sight at all and"}
    gen = FakeGenerator(answers)
    cfg = SynthConfig(name="t", seed_file="x", generators=[{}], samplings=[{}], judge={}, min_score=2.0)
    cfg = replace(cfg, trim_to_sentence=trim, samplings=[Sampling(max_new_tokens=8)])
    tasks = [Task(id=k, text=k, stage="self_instruct", seed_ids=[]) for k in answers]
    tally = Tally(Counter(), [])
    candidates = sample_candidates(cfg, tasks, Backends([gen], gen), tally)
    if trim:
        assert [c.messages[-1]["content"] for c in candidates] == ["A sentence that ends."]
        assert tally.counts["candidate_trimmed_to_sentence"] == 1
    else:
        assert candidates == []
    assert tally.counts["candidate_rejected_truncated"] == (1 if trim else 2)
    assert tally.counts["candidates"] == 2
