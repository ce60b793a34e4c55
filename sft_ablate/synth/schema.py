"""The config of `python -m sft_ablate.synth`."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from sft_ablate.errors import ConfigError
from sft_ablate.generation.schema import BackendConfig, SamplingConfig
from sft_ablate.paths import PathsConfig


@dataclass
class InstructionFilterConfig:
    min_words: int = 4
    max_words: int = 60
    max_rouge: float = 0.7  # drop a new instruction whose ROUGE-L F1 against any kept one is >= this
    # Tasks a text-only model cannot do (self-instruct's list, plus a few); URLs are always dropped.
    blocked_words: list[str] = field(
        default_factory=lambda: [
            "image",
            "images",
            "picture",
            "pictures",
            "photo",
            "photos",
            "graph",
            "graphs",
            "chart",
            "diagram",
            "flowchart",
            "file",
            "files",
            "attached",
            "attachment",
            "video",
            "audio",
            "music",
            "map",
            "maps",
            "draw",
            "plot",
            "go to",
            "website",
            "link",
        ]
    )

    def __post_init__(self) -> None:
        if not 0 < self.min_words <= self.max_words:
            raise ConfigError(f"synth.filter: need 0 < min_words <= max_words, got {self.min_words}, {self.max_words}")
        if not 0 < self.max_rouge <= 1:
            raise ConfigError(f"synth.filter.max_rouge must be in (0, 1], got {self.max_rouge}")


@dataclass
class WeaknessConfig:
    """Seed generation from the held-out prompts a trained model failed (its run dir's generations.jsonl)."""

    run_dir: str | None = None  # null: off
    max_rouge: float = 0.3  # an answer counts as failed when its ROUGE-L F1 against the reference is below this
    max_prompts: int = 32  # at most this many weak prompts, the worst first
    fraction: float = 0.5  # share of instruction prompts built around a weak prompt

    def __post_init__(self) -> None:
        if not 0 <= self.fraction <= 1 or not 0 <= self.max_rouge <= 1:
            raise ConfigError("synth.weakness.fraction and synth.weakness.max_rouge must be in [0, 1]")


@dataclass
class MultiTurnConfig:
    fraction: float = 0.0  # share of accepted rows extended with a follow-up user turn and a second answer

    def __post_init__(self) -> None:
        if not 0 <= self.fraction <= 1:
            raise ConfigError(f"synth.multi_turn.fraction must be in [0, 1], got {self.fraction}")


@dataclass
class SynthConfig:
    name: str = MISSING  # label of the output (run dir name, provenance)
    seed_file: str = MISSING  # self-instruct seed tasks: JSONL with id, instruction, instances[{input, output}]
    output: str | None = None  # the ChatML JSONL written; null: <run dir>/synthetic.jsonl
    seed: int = 0  # few-shot draws and multi-turn picks
    target_rows: int = 50  # stop once this many rows are accepted
    max_rounds: int = 30  # ... or after this many rounds of instruction generation
    prompts_per_round: int = 16  # instruction-generation prompts per round
    tasks_per_prompt: int = 3  # new tasks asked of each prompt
    few_shot_seed: int = 2  # seed tasks shown in each prompt
    few_shot_machine: int = 1  # machine-made tasks shown in each prompt (once there are some)
    instruction_sampling: SamplingConfig = field(
        default_factory=lambda: SamplingConfig(max_new_tokens=64, temperature=0.9, top_p=0.95)
    )
    filter: InstructionFilterConfig = field(default_factory=InstructionFilterConfig)
    weakness: WeaknessConfig = field(default_factory=WeaknessConfig)
    generators: list[BackendConfig] = MISSING  # the first one also writes the instructions
    samplings: list[SamplingConfig] = MISSING  # candidates = generators x samplings
    judge: BackendConfig = MISSING
    judge_sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=40))
    min_score: float = MISSING  # mean rubric score (1-5) a candidate needs; no default: it depends on the judge
    top_k: int | None = 1  # keep the best k candidates per instruction that pass min_score; null: all that pass
    # A candidate cut off by max_new_tokens is kept up to its last full sentence (and judged like any other) instead
    # of being rejected as truncated: a small model rambles past any limit, and most of its answers were lost so.
    trim_to_sentence: bool = True
    multi_turn: MultiTurnConfig = field(default_factory=MultiTurnConfig)
    threads: int | None = None  # torch threads for local models; null = all cores (1 is faster on a busy machine)

    def __post_init__(self) -> None:
        if not self.generators:
            raise ConfigError("synth.generators is empty: name at least one generator backend")
        if not self.samplings:
            raise ConfigError("synth.samplings is empty: give at least one sampling setting")
        if self.target_rows < 1 or self.max_rounds < 1 or self.prompts_per_round < 1 or self.tasks_per_prompt < 1:
            raise ConfigError("synth.target_rows, max_rounds, prompts_per_round and tasks_per_prompt must be >= 1")
        if self.few_shot_seed < 1 or self.few_shot_machine < 0:
            raise ConfigError("synth.few_shot_seed must be >= 1 and synth.few_shot_machine >= 0")
        if not 1 <= self.min_score <= 5:
            raise ConfigError(f"synth.min_score must be between 1 and 5, got {self.min_score}")
        if self.top_k is not None and self.top_k < 1:
            raise ConfigError(f"synth.top_k must be >= 1 or null, got {self.top_k}")


@dataclass
class SynthAppConfig:
    """The root config of `python -m sft_ablate.synth` (conf/synth_app.yaml)."""

    synth: SynthConfig = MISSING
    paths: PathsConfig = field(default_factory=PathsConfig)
