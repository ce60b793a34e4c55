"""Self-instruct pieces: seed loading, task parsing, the instruction filters, the novelty filter, weak prompts."""

from __future__ import annotations

import json
import random

import pytest

from sft_ablate.errors import DataError
from sft_ablate.paths import SAMPLE_DATA_DIR
from sft_ablate.synth.schema import InstructionFilterConfig, WeaknessConfig
from sft_ablate.synth.self_instruct import (
    NoveltyFilter,
    draw_examples,
    drop_reason,
    instruction_prompt,
    load_seed_tasks,
    parse_tasks,
    rouge_l,
    weak_prompts,
)
from tests.conftest import shared_file


def near_copy(text: str, rng: random.Random) -> str:
    """What a generator that parrots its few-shot examples writes: one word changed, a word added, case."""
    words = text.split()
    i = rng.randrange(len(words))
    words[i] = {"the": "a", "a": "the", "of": "for"}.get(words[i].lower(), words[i] + "s")
    words.insert(rng.randrange(len(words) + 1), "please")
    return " ".join(words).lower()


def test_novelty_filter_drops_planted_near_copies_of_the_public_seed_set():
    seeds = load_seed_tasks(shared_file("instructions/self_instruct_seed_tasks.jsonl"))
    assert len(seeds) == 175
    rng = random.Random(0)
    long_enough = [s for s in seeds if len(s.text.split()) >= 8]  # one edit in a 3-word task is a new task
    planted = [near_copy(s.text, rng) for s in rng.sample(long_enough, 40)]
    fresh = [
        "Compose a limerick about a cat who learns to play the bassoon.",
        "Estimate how many litres of water a family of four uses in a week, and show your steps.",
        "Translate the phrase 'the early bird catches the worm' into plain modern advice for students.",
    ]
    novelty = NoveltyFilter(0.7, [s.text for s in seeds])
    dropped = [text for text in planted if not novelty.add_if_novel(text)[0]]
    assert dropped == planted  # every near-copy is caught
    assert all(novelty.add_if_novel(text)[0] for text in fresh)
    assert not novelty.add_if_novel(fresh[0].replace("cat", "dog"))[0]  # kept machine tasks count too
    # The threshold is the knob: at 0.99 only exact copies would go.
    lenient = NoveltyFilter(0.99, [s.text for s in seeds])
    assert sum(lenient.add_if_novel(text)[0] for text in planted) >= 35


def test_instruction_filters_name_the_reason():
    cfg = InstructionFilterConfig(min_words=4, max_words=20)
    assert drop_reason("Sort these.", cfg) == "too_short"
    assert drop_reason("word " * 21, cfg) == "too_long"
    assert drop_reason("Summarize the article at https://example.org/news today", cfg) == "url"
    assert drop_reason("Summarize the article on www.example.com for me", cfg) == "url"
    assert drop_reason("Describe the image below in two sentences.", cfg) == "unanswerable"
    assert drop_reason("Open the attached spreadsheet file and sum column B.", cfg) == "unanswerable"
    assert drop_reason("Go to the bakery and describe the smell.", cfg) == "unanswerable"
    assert drop_reason("**Answer: write something nice here", cfg) == "not_a_task"
    # template slots the generator copied instead of filling
    assert drop_reason("Rewrite the following sentence using [input", cfg) == "placeholder"
    assert drop_reason("Write a short blog post with tags: [tags]", cfg) == "placeholder"
    assert drop_reason("Translate {sentence} into French, please.", cfg) == "placeholder"
    assert drop_reason("Sort the list [3, 1, 2] in ascending order.", cfg) is None  # a list is not a slot
    assert drop_reason("Write a haiku about autumn leaves falling.", cfg) is None
    assert drop_reason("Explain what a mapping in Python is, with an example.", cfg) is None  # `map` is a whole word


def test_parse_tasks_reads_numbered_lists_and_skips_chatter():
    text = (
        "Sure! Here are three new tasks:\n4. Name two rivers in Peru.\n5) Write a toast for a wedding.\n"
        "Task 6: Explain tides to a child.\n\nI hope these help!"
    )
    assert parse_tasks(text) == ["Name two rivers in Peru.", "Write a toast for a wedding.", "Explain tides to a child."]
    assert parse_tasks("- **Rhyme** ten words with cat\n* List prime numbers below 20") == [
        "Rhyme ten words with cat",
        "List prime numbers below 20",
    ]
    assert parse_tasks("Write a story about a lighthouse.") == ["Write a story about a lighthouse."]
    assert parse_tasks("1. 1. Name a river.\n2. 2) Task 3: Name a lake.") == ["Name a river.", "Name a lake."]


def test_prompt_mixes_seed_and_machine_tasks_and_numbers_the_new_ones():
    seeds = load_seed_tasks(SAMPLE_DATA_DIR / "seed_tasks.jsonl")
    machine = [seeds[0].__class__(id=f"m{i}", text=f"Machine task number {i}.", stage="self_instruct") for i in range(3)]
    examples = draw_examples(random.Random(1), seeds, machine, 3, 2)
    assert sum(e.stage == "seed" for e in examples) == 3 and sum(e.stage == "self_instruct" for e in examples) == 2
    prompt = instruction_prompt(examples, 4)[0]["content"]
    assert "numbered 6 to 9" in prompt and all(f"{i}. {e.text}" in prompt for i, e in enumerate(examples, 1))
    # A seed task's one-line input is written into the task, so the example is answerable as it stands.
    assert seeds[0].text == "Give three synonyms for the given word. happy"


def test_seed_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "seeds.jsonl"
    bad.write_text('{"id": "a", "instruction": "Write a poem."}\n{"id": "b", "instances": []}\n')
    with pytest.raises(DataError, match=r"seeds.jsonl:2: a seed task needs a non-empty string `instruction`"):
        load_seed_tasks(bad)


def test_weak_prompts_are_the_held_out_prompts_answered_worst(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text(json.dumps({"status": "complete"}))
    rows = [
        ("What is the capital of Peru?", "Lima is the capital of Peru.", "Lima is the capital of Peru."),  # right
        ("Convert 5 km to miles.", "5 km is about 3.1 miles.", "Bananas are yellow."),  # failed
        ("Name a prime above 10.", "11 is a prime above 10.", "10 is even."),  # failed
    ]
    (run / "generations.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "source": "human",
                    "origin": "x",
                    "prompt": [{"role": "user", "content": p}],
                    "reference": r,
                    "base_output": "",
                    "output": o,
                }
            )
            + "\n"
            for p, r, o in rows
        )
    )
    weak = weak_prompts(WeaknessConfig(run_dir=str(run), max_rouge=0.3))
    assert sorted(t.text for t in weak) == ["Convert 5 km to miles.", "Name a prime above 10."]
    assert all(t.stage == "weakness" and t.seed_ids[0].startswith(str(run / "generations.jsonl")) for t in weak)
    (run / "results.json").write_text(json.dumps({"status": "failed"}))
    with pytest.raises(DataError, match="needs a complete run"):
        weak_prompts(WeaknessConfig(run_dir=str(run)))


def test_novelty_scores_are_the_rouge_score_packages_rouge_l():
    from rouge_score import rouge_scorer

    seeds = [t.text for t in load_seed_tasks(shared_file("instructions/self_instruct_seed_tasks.jsonl"))]
    seeds += ["", "!!!", "Ünïcödé café, naïve résumé?", "x"]
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    for text in seeds[:30] + seeds[-4:]:
        others = [s for s in seeds[30:80] if s != text]
        expected = max(scorer.score(other, text)["rougeL"].fmeasure for other in others)
        assert NoveltyFilter(0.7, others).closest(text)[0] == pytest.approx(expected, abs=1e-9)
        assert rouge_l(others[0], text) == pytest.approx(scorer.score(others[0], text)["rougeL"].fmeasure, abs=1e-9)
