"""The Elo arena's config: prompts and opponents. Each judge's config lives beside it, in arena/judges/."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from sft_ablate.errors import ConfigError
from sft_ablate.generation.schema import BackendConfig, SamplingConfig


@dataclass
class ArenaConfig:
    """Which prompts every model answers, and whom a run battles, in the store shared by an outputs root."""

    enabled: bool = True
    prompts: str = MISSING  # .jsonl with `turns` (a list of user turns) and optionally `reference`, `answer`, `id`
    references: str | None = None  # MT-Bench style reference answers (question_id, choices[0].turns); null: none
    max_prompts: int | None = None  # the first N prompts of the file (the cut is logged); null: all
    turns: int = 1  # user turns answered: 1, or 2 (the follow-up question too; the last answer is judged)
    seeds: list[int] = field(default_factory=lambda: [0, 1])  # each model answers each prompt once per seed
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=64, temperature=0.7, top_p=0.9))
    batch_size: int = 48
    opponents: int = 2  # earlier runs each new run battles besides the base model (sampled, seeded): cost stays linear
    store: str | None = None  # the SQLite store; null: arena.sqlite in the run dir's parent (a multirun's sweep dir)
    # The base model's answers from another generator, e.g. the base served by vLLM or an OpenAI-compatible
    # endpoint ({kind: openai, model: NAME, base_url: URL}); null: the base weights in this process.
    base_backend: BackendConfig | None = None
    bootstrap_rounds: int = 1000
    seed: int = 0  # the opponent draw and the bootstrap
    # The judge's audit (arena/audit.py): a ladder of degraded reference answers and a null canary, judged once per
    # judge and store, on up to `audit_prompts` of the prompts; the canary also battles every run and the base.
    audit: bool = True
    audit_prompts: int = 100

    def __post_init__(self) -> None:
        if self.max_prompts is not None and self.max_prompts < 1:
            raise ConfigError(f"arena.max_prompts must be positive or null, got {self.max_prompts}")
        if self.turns not in (1, 2):
            raise ConfigError(f"arena.turns must be 1 or 2, got {self.turns}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"arena.seeds must be a non-empty list of distinct seeds, got {self.seeds}")
        if self.audit_prompts < 1:
            raise ConfigError(f"arena.audit_prompts must be positive, got {self.audit_prompts}")
        if self.opponents < 0 or self.batch_size < 1 or self.bootstrap_rounds < 10:
            raise ConfigError("arena.opponents must be >= 0, arena.batch_size >= 1 and arena.bootstrap_rounds >= 10")
