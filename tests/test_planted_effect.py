"""A planted defect the study must see: one source's assistant answers are shuffled across its prompts (the same
text, the wrong answers). A small study (clean only vs shuffled only; 3 seeds) must find the shuffled mix
significantly worse on the clean source's held-out loss and on an external held-out set, whatever the pooled
loss says: scored pooled, a shuffled-trained model also does better on the shuffled source's own held-out rows,
which can cancel out, or outweigh, what it lost on the clean ones.

The task is one the tiny model learns in about 100 steps (of a 400-step cosine schedule): six made-up items, each with a fixed one-word code, asked for
in sixteen phrasings with the item as the last word. Both sources hold every item in every phrasing; clean rows
give each item its code, shuffled rows the same prompts with the codes permuted across rows.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from sft_ablate.report.build import build_report
from tests.conftest import run_cli

pytestmark = pytest.mark.slow

# Few items, one-word codes, the item always the last word of the prompt: the tiny model learns which code goes
# with which item in a hundred or so steps. Every source asks every item in every training phrasing, so the clean
# training rows see most phrasings of each item and its held-out rows are phrasings that item was not asked in.
ITEMS = ["zorp", "blix", "quen", "mave", "drell", "tosk"]
CODES = ["red", "blue", "green", "amber", "violet", "silver"]
TRAIN_PHRASINGS = [
    "What is the code of {item}",
    "Give me the code for {item}",
    "Tell me the code of {item}",
    "Which code belongs to {item}",
    "Code please, for {item}",
    "I need the code of {item}",
    "Look up the code of {item}",
    "Name the code of {item}",
    "Say the code for {item}",
    "What code has {item}",
    "Find the code of {item}",
    "Recall the code of {item}",
    "Quick, the code of {item}",
    "Share the code for {item}",
    "Write the code of {item}",
    "Report the code for {item}",
]
# In no training row, but made of the training rows' words, recombined: one unseen phrasing alone
# ("State the code of ...") was generalized to by 2 of 3 clean-trained seeds only, which no test can rely on.
EXTERNAL_PHRASINGS = ["Give the code of {item}", "Tell me the code for {item}", "Write the code for {item}"]


def planted_sources(root: Path, seed: int = 0) -> dict[str, Path]:
    """clean.jsonl, shuffled.jsonl (the same prompts, the answers permuted across rows) and external.jsonl."""
    rng = random.Random(seed)
    code_of = dict(zip(ITEMS, CODES))
    grid = [(item, phrasing) for item in ITEMS for phrasing in TRAIN_PHRASINGS]

    def row(prompt: str, answer: str) -> dict:
        return {"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]}

    clean = [row(p.format(item=i), code_of[i]) for i, p in grid]
    answers = [code_of[i] for i, _ in grid]
    rng.shuffle(answers)  # the same answers, to the wrong prompts
    shuffled = [row(p.format(item=i), a) for (i, p), a in zip(grid, answers)]
    external = [row(phrasing.format(item=i), code_of[i]) for phrasing in EXTERNAL_PHRASINGS for i in ITEMS]
    paths = {}
    for name, rows in (("clean", clean), ("shuffled", shuffled), ("external", external)):
        paths[name] = root / f"{name}.jsonl"
        paths[name].write_text("".join(json.dumps(r) + "\n" for r in rows))
    return paths


def planted_study_args(paths: dict[str, Path], sweep_dir: Path) -> list[str]:
    """The study: mix=0_100 trains on the clean source only, 100_0 on the shuffled one only."""
    return [
        "-m",
        "model=tiny",
        "mix=0_100,100_0",  # clean only vs shuffled only (a 50_50 level would add 3 runs of CI time)
        "seed=0,1,2",
        *planted_run_args(paths),
        "study=planted",
        f"hydra.sweep.dir={sweep_dir}",
    ]


# Short rows, a high learning rate, nothing but held-out loss: the settings of a tiny made-up code task
# (tests/mixture_task.py uses them too).
CODE_TASK_SETTINGS = [
    "quality.filters=[exact_dedup,decontaminate]",  # the phrasings are near-duplicates by design
    "train.batch_size=8",
    "train.learning_rate=5e-3",
    "train.save_steps=1000",
    "train.logging_steps=50",
    "train.max_length=64",
    "eval.base_model=false",
    "eval.num_generations=1",
    "eval.benchmarks=[]",
    "arena=none",
    "tracking=none",
]


def planted_run_args(paths: dict[str, Path]) -> list[str]:
    """One run's settings: short packed rows, many steps at a high learning rate."""
    return [
        f"data.sources.human.path={paths['clean']}",
        f"data.sources.synthetic.path={paths['shuffled']}",
        "data.budget=64",
        "data.eval_per_source=16",
        f"+eval.heldout_sets.planted_external={paths['external']}",
        "train.max_steps=400",  # with 200, the cosine decay left 2 of 3 clean-only seeds unlearned
        *CODE_TASK_SETTINGS,
    ]


def test_the_report_sees_the_planted_defect(tmp_path, cache_dir):
    paths = planted_sources(tmp_path)
    sweep = tmp_path / "study"
    proc = run_cli(planted_study_args(paths, sweep), cwd=tmp_path, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = build_report(sweep)
    table = pd.read_csv(report.out_dir / "tables" / "planted_tiny_by_mix.csv").set_index("mix")
    shuffled = table.loc["100_0"]
    # Worse (higher loss) on the clean source's held-out rows and on the external set: intervals over seeds and
    # items above 0, and significant after the adjustment for the factor's family of tests.
    for column in ("eval_loss_by_source/human", "heldout/planted_external/loss"):
        assert shuffled[f"{column}_delta"] > 0, column
        assert shuffled[f"{column}_delta_basis"] == "seeds × items", column
        assert shuffled[f"{column}_delta_significant"], (
            column,
            shuffled[f"{column}_delta_ci_low"],
            shuffled[f"{column}_delta_p_adjusted"],
        )
    markdown = report.markdown.read_text()
    print("\n".join(line for line in markdown.splitlines() if "Verdict" in line or "rests on" in line))
    assert "↓*" in markdown and "minimum detectable effect" in markdown.lower()
    # The external set is the primary (a fair test) and concludes; the clean source's own rows are in-distribution
    # (0_100 trains on it), reported as such.
    assert "**Verdict on mix: can conclude** planted_external loss (100_0 vs 0_100: significantly worse" in markdown
    assert "eval loss: human (100_0 vs 0_100: significantly worse" in markdown
    assert "in-distribution: 0_100 trains on more human)" in markdown
