"""The evaluation stage's config."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sft_ablate.errors import ConfigError


@dataclass
class EvalConfig:
    batch_size: int = 8
    base_model: bool = True  # also score the untouched base model on the same held-out rows
    num_generations: int = 6  # held-out prompts in the sample-generations table
    max_new_tokens: int = 64
    # Benchmarks run by lighteval (evaluation/lighteval_runner.py): local task names (evaluation/benchmarks/), task YAML
    # paths, or lighteval task strings such as "mmlu:anatomy|0" (those read the Hugging Face Hub).
    benchmarks: list[str] = field(default_factory=lambda: ["bundled_mc"])  # 60 bundled questions
    max_samples: int | None = None  # per benchmark: the first N rows of a local task; null = all
    benchmark_batch_size: int = 32  # sequences per forward pass (multiple choice: items x choices)
    benchmark_chat_template: bool | None = None  # wrap prompts in the chat template; null = lighteval's default
    # Held-out sets drawn from no training source (name -> file, any source format), scored for loss like the
    # held-out rows: metrics.heldout.<name>.loss. Training rows that overlap them are dropped (decontaminate).
    heldout_sets: dict[str, str] = field(default_factory=lambda: {"seed_tasks": "${sample_data:seed_tasks.jsonl}"})

    def __post_init__(self) -> None:
        for name in self.heldout_sets:
            if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
                raise ConfigError(f"eval.heldout_sets: name {name!r} must be letters, digits, _ or - (it becomes a metric key)")
        if self.max_samples is not None and self.max_samples <= 0:
            raise ConfigError(f"eval.max_samples must be positive or null, got {self.max_samples}")
        if self.benchmark_batch_size <= 0:
            raise ConfigError(f"eval.benchmark_batch_size must be positive, got {self.benchmark_batch_size}")
