"""The training stage's config: the base model, LoRA, the trainer."""

from __future__ import annotations

from dataclasses import dataclass, field

from omegaconf import MISSING

from sft_ablate.errors import ConfigError


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
    kind: str = MISSING  # "tiny" | "gguf" | "pretrained" (hub id or local dir); no default: a model option says
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
    dropout: float = 0.0  # LoRA dropout costs ~10% of a CPU step (a masked copy of every adapter input)
    target_modules: list[str] = field(default_factory=lambda: ["all-linear"])
    load_in_4bit: bool = False  # QLoRA: needs a CUDA GPU and bitsandbytes

    def __post_init__(self) -> None:
        if self.enabled and self.r <= 0:
            raise ConfigError(f"lora.r must be positive, got {self.r}")


@dataclass
class TrainConfig:
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    batch_size: int = 4  # rows per micro-batch
    grad_accum: int = 2  # micro-batches per optimizer step: 8 rows a step, half the activations of one batch of 8
    learning_rate: float = 5e-4
    lr_scheduler: str = "cosine"
    warmup: float = 0.05  # < 1: fraction of the steps; >= 1: a number of steps
    weight_decay: float = 0.0
    max_length: int = 384  # tokens; longer rows are truncated (and counted)
    packing: bool = False  # TRL bfd packing with padding-free batches (pays on a GPU; not on CPU, see BENCHMARKS.md)
    group_by_length: bool = True  # batches of similar-length rows, so padded batches waste little (CPU default)
    threads: int | None = None  # torch intra-op threads; null = the idle cores at start (cores - load average)
    device: str = "auto"  # auto | cpu | cuda
    bf16: bool = False  # only takes effect on a GPU
    gradient_checkpointing: bool = False
    # The loss from hidden states through the LM head in token chunks, labelled positions only (training/lean_loss.py):
    # the same loss and gradient as TRL's, without its full-vocabulary tiles and entropy pass (BENCHMARKS.md, memory).
    lean_loss: bool = True
    logging_steps: int = 5
    save_steps: int = 10  # checkpoints go to <run dir>/checkpoints
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
