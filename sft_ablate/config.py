"""Typed config schema. Hydra composes YAML from conf/ onto these dataclasses.

Because the schema is registered as the base of conf/config.yaml, an unknown key or a value of the
wrong type fails at composition time, before any data or model is touched. Checks that span fields
(ratios summing to 1, a source that must name a path or a hub id) live in ``__post_init__`` and run
when ``to_config`` turns the composed DictConfig into these objects.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import ValidationError

from sft_ablate.errors import ConfigError

ROW_FORMATS = ("auto", "messages", "alpaca", "sharegpt", "prompt_completion")


@dataclass
class SourceConfig:
    """One named data source: a local file or a Hugging Face dataset id."""

    path: Optional[str] = None  # local .jsonl/.json/.parquet/.csv
    hf_dataset: Optional[str] = None  # e.g. "HuggingFaceH4/no_robots" (needs the hub)
    hf_subset: Optional[str] = None
    split: str = "train"  # only for hf_dataset
    format: str = "auto"  # one of ROW_FORMATS; auto detects per row
    kind: str = "human"  # "human" or "synthetic": what the mix fractions talk about
    max_rows: Optional[int] = None  # read at most this many rows (after validation)

    def __post_init__(self) -> None:
        if (self.path is None) == (self.hf_dataset is None):
            raise ConfigError("a data source needs exactly one of `path` or `hf_dataset`")
        if self.format not in ROW_FORMATS:
            raise ConfigError(f"source format {self.format!r} is not one of {', '.join(ROW_FORMATS)}")
        if self.kind not in ("human", "synthetic"):
            raise ConfigError(f"source kind {self.kind!r} must be 'human' or 'synthetic'")


@dataclass
class DataConfig:
    # Typed as Any so that `+data.sources.NAME={path: ...}` works on the command line; each entry is
    # checked as a SourceConfig in __post_init__.
    sources: dict[str, Any] = field(default_factory=dict)
    budget: int = 400  # training rows drawn from the mixture
    eval_per_source: int = 32  # held out from every source before mixing; never trained on
    split_seed: int = 0  # fixed so that every run of a study evaluates on the same held-out rows
    on_bad_row: str = "skip"  # "skip" (count and go on) or "fail" (stop at the first bad row)
    on_short_source: str = "upsample"  # "upsample" (repeat rows) or "shrink" (lower the budget)

    def __post_init__(self) -> None:
        if not self.sources:
            raise ConfigError("data.sources is empty: name at least one source")
        self.sources = {name: _source_config(name, s) for name, s in self.sources.items()}
        if self.budget <= 0:
            raise ConfigError(f"data.budget must be positive, got {self.budget}")
        if self.eval_per_source < 0:
            raise ConfigError(f"data.eval_per_source must be >= 0, got {self.eval_per_source}")
        if self.on_bad_row not in ("skip", "fail"):
            raise ConfigError(f"data.on_bad_row must be 'skip' or 'fail', got {self.on_bad_row!r}")
        if self.on_short_source not in ("upsample", "shrink"):
            raise ConfigError(
                f"data.on_short_source must be 'upsample' or 'shrink', got {self.on_short_source!r}"
            )


def _source_config(name: str, source: Any) -> SourceConfig:
    if isinstance(source, SourceConfig):
        return source
    if not isinstance(source, dict):
        raise ConfigError(f"data.sources.{name} must be a mapping with `path` or `hf_dataset`, got {source!r}")
    known = {f.name for f in dataclasses.fields(SourceConfig)}
    unknown = sorted(set(source) - known)
    if unknown:
        raise ConfigError(f"unknown config key data.sources.{name}.{unknown[0]} (a source has: {', '.join(sorted(known))})")
    return SourceConfig(**source)


@dataclass
class MixConfig:
    """Fractions of the training budget per named source. They must sum to 1."""

    name: str = MISSING  # label used in reports and W&B groups, e.g. "50_50"
    weights: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.weights:
            raise ConfigError(f"mix {self.name!r} has no weights")
        for source, weight in self.weights.items():
            if not math.isfinite(weight) or weight < 0:
                raise ConfigError(f"mix {self.name!r}: weight of {source!r} is {weight}; weights must be >= 0")
        total = sum(self.weights.values())
        if abs(total - 1.0) > 1e-6:
            listed = ", ".join(f"{k}={v:g}" for k, v in self.weights.items())
            raise ConfigError(f"mix {self.name!r}: weights must sum to 1, got {total:g} ({listed})")


@dataclass
class TinyModelConfig:
    """A ~1M-parameter Llama built from scratch, with a BPE tokenizer trained on the data pool."""

    vocab_size: int = 2048
    hidden_size: int = 128
    intermediate_size: int = 352
    num_layers: int = 4
    num_heads: int = 4
    max_position_embeddings: int = 1024
    init_seed: int = 0  # fixed so every run of a study starts from the same base model


@dataclass
class ModelConfig:
    name: str = MISSING  # label used in reports
    kind: str = "pretrained"  # "tiny" | "gguf" | "pretrained" (hub id or local dir)
    path: Optional[str] = None  # hub id or local dir, for kind=pretrained
    gguf_package: Optional[str] = None  # installed Python package that ships the .gguf file
    gguf_file: Optional[str] = None
    chat_template: str = "chatml"  # "chatml": ours, with {% generation %} tags; "native": the model's own
    dtype: str = "float32"  # float32 | bfloat16 | float16
    trust_remote_code: bool = False
    tiny: Optional[TinyModelConfig] = None

    def __post_init__(self) -> None:
        if self.kind not in ("tiny", "gguf", "pretrained"):
            raise ConfigError(f"model.kind must be tiny, gguf or pretrained, got {self.kind!r}")
        if self.kind == "tiny" and self.tiny is None:
            raise ConfigError("model.kind=tiny needs a `tiny:` block")
        if self.kind == "gguf" and not (self.gguf_package and self.gguf_file):
            raise ConfigError("model.kind=gguf needs model.gguf_package and model.gguf_file")
        if self.kind == "pretrained" and not self.path:
            raise ConfigError("model.kind=pretrained needs model.path (a hub id or a local directory)")
        if self.chat_template not in ("chatml", "native"):
            raise ConfigError(f"model.chat_template must be 'chatml' or 'native', got {self.chat_template!r}")
        if self.dtype not in ("float32", "bfloat16", "float16"):
            raise ConfigError(f"model.dtype must be float32, bfloat16 or float16, got {self.dtype!r}")


@dataclass
class LoraConfig:
    name: str = MISSING
    enabled: bool = True  # false: full fine-tuning
    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: ["all-linear"])
    load_in_4bit: bool = False  # QLoRA: needs a CUDA GPU and bitsandbytes

    def __post_init__(self) -> None:
        if self.enabled and self.r <= 0:
            raise ConfigError(f"lora.r must be positive, got {self.r}")


@dataclass
class TrainConfig:
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    batch_size: int = 8
    grad_accum: int = 1
    learning_rate: float = 2e-4
    lr_scheduler: str = "cosine"
    warmup: float = 0.0  # < 1: fraction of the steps; >= 1: a number of steps
    weight_decay: float = 0.0
    max_length: int = 512  # tokens; longer rows are truncated (and counted)
    packing: bool = False  # TRL bfd packing with padding-free batches
    threads: Optional[int] = None  # torch intra-op threads; null = all cores
    device: str = "auto"  # auto | cpu | cuda
    bf16: bool = False  # only takes effect on a GPU
    gradient_checkpointing: bool = False
    logging_steps: int = 10
    save_steps: int = 50  # checkpoints go to <run dir>/checkpoints
    save_total_limit: int = 2
    save_final_model: bool = True  # adapter (or full model) in <run dir>/final
    eval_steps: int = 0  # > 0: held-out loss every N steps (a learning curve; what Optuna's pruner reads)

    def __post_init__(self) -> None:
        if self.batch_size <= 0 or self.grad_accum <= 0:
            raise ConfigError("train.batch_size and train.grad_accum must be positive")
        if self.learning_rate <= 0:
            raise ConfigError(f"train.learning_rate must be positive, got {self.learning_rate}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"train.device must be auto, cpu or cuda, got {self.device!r}")
        if self.max_length < 16:
            raise ConfigError(f"train.max_length must be at least 16 tokens, got {self.max_length}")
        if self.eval_steps < 0:
            raise ConfigError(f"train.eval_steps must be >= 0 (0 turns it off), got {self.eval_steps}")


@dataclass
class EvalConfig:
    batch_size: int = 16
    base_model: bool = True  # also score the untouched base model on the same held-out rows
    num_generations: int = 8  # held-out prompts in the sample-generations table
    max_new_tokens: int = 96


@dataclass
class TrackingConfig:
    backend: str = "wandb"  # "wandb" or "none"
    mode: str = "offline"  # offline | online | disabled
    project: str = "sft-ablate"
    entity: Optional[str] = None
    group: Optional[str] = None  # default: the study name
    tags: list[str] = field(default_factory=list)
    init_timeout: float = 60.0  # seconds wandb.init may take (online) before we go on without it

    def __post_init__(self) -> None:
        if self.backend not in ("wandb", "none"):
            raise ConfigError(f"tracking.backend must be 'wandb' or 'none', got {self.backend!r}")
        if self.mode not in ("offline", "online", "disabled"):
            raise ConfigError(f"tracking.mode must be offline, online or disabled, got {self.mode!r}")


@dataclass
class PathsConfig:
    # Shared by every run: converted models, trained tiny tokenizers, tokenized data.
    cache_dir: str = "${oc.env:SFT_ABLATE_CACHE,${oc.env:HOME}/.cache/sft-ablate}"


@dataclass
class Config:
    data: DataConfig = MISSING
    mix: MixConfig = MISSING
    model: ModelConfig = MISSING
    lora: LoraConfig = MISSING
    train: TrainConfig = MISSING
    eval: EvalConfig = MISSING
    tracking: TrackingConfig = MISSING
    paths: PathsConfig = field(default_factory=PathsConfig)
    seed: int = 0
    study: str = "default"  # groups the runs of one ablation study (W&B group, report)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.mix.weights) - set(self.data.sources))
        if unknown:
            raise ConfigError(
                f"mix {self.mix.name!r} names sources {unknown} that data.sources does not define "
                f"(defined: {sorted(self.data.sources)})"
            )


def register_schema() -> None:
    ConfigStore.instance().store(name="schema", node=Config, replace=True)


def to_config(cfg: DictConfig) -> Config:
    """Resolve and validate a composed config, returning the typed objects (treat them as read-only)."""
    unknown = unknown_keys(cfg)
    if unknown:
        raise ConfigError(f"unknown config key {unknown[0]} ({len(unknown)} unknown in all: {', '.join(unknown)})")
    try:
        config = OmegaConf.to_object(cfg)
    except ValidationError as err:
        raise ConfigError(str(err).splitlines()[0]) from err
    if isinstance(config, dict):  # composed without the schema (should not happen)
        raise ConfigError("config was composed without the sft-ablate schema")
    return config


def unknown_keys(node: DictConfig, path: str = "") -> list[str]:
    """Keys that no schema field declares. `+key=value` on the command line adds keys even to typed nodes."""
    found = []
    kind = OmegaConf.get_type(node)
    if dataclasses.is_dataclass(kind):
        known = {f.name for f in dataclasses.fields(kind)}
        found += [f"{path}{key}" for key in node.keys() if key not in known]
    for key in node.keys():
        if OmegaConf.is_missing(node, key) or OmegaConf.is_interpolation(node, key):
            continue
        child = node[key]
        if isinstance(child, DictConfig):
            found += unknown_keys(child, f"{path}{key}.")
    return found


def factors(config: Config) -> dict[str, Any]:
    """The ablation factors of a run: what W&B groups and tags by, and what the report varies."""
    return {
        "mix": config.mix.name,
        "synthetic_fraction": synthetic_fraction(config),
        "model": config.model.name,
        "lora": config.lora.name,
        "lora_r": config.lora.r if config.lora.enabled else 0,
        "learning_rate": config.train.learning_rate,
        "budget": config.data.budget,
        "seed": config.seed,
    }


def synthetic_fraction(config: Config) -> float:
    return round(
        sum(w for name, w in config.mix.weights.items() if config.data.sources[name].kind == "synthetic"), 6
    )
