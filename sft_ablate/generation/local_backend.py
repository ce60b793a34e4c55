"""The ``local`` backend: a transformers model of a conf/model option (or a model directory), batched.

Its weights load on the first call, so a job answered entirely from the cache never loads them. It offers what
an HTTP endpoint cannot: each reply's log-likelihood (``score_replies``), a judge's verdict without free text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sft_ablate.data.formats import Messages
from sft_ablate.errors import ConfigError
from sft_ablate.generation.base import Backend, CallStats, OnResult
from sft_ablate.generation.local import Sampling
from sft_ablate.generation.schema import BACKENDS, BackendConfig
from sft_ablate.options import compose_option, option_names
from sft_ablate.training.schema import ModelConfig

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    LoadedModel = tuple[PreTrainedModel, PreTrainedTokenizerBase]


@BACKENDS.register("local")
class LocalBackend:
    """Batched, left-padded generation with a transformers model and its chat template.

    Give it a loaded ``model`` and ``tokenizer``, or a ``load`` function that returns them: then the
    weights load on the first call.
    """

    def __init__(
        self,
        name: str,
        identity: dict[str, Any],
        batch_size: int = 8,
        model: PreTrainedModel | None = None,
        tokenizer: PreTrainedTokenizerBase | None = None,
        load: Callable[[], LoadedModel] | None = None,
    ) -> None:
        assert (model is not None and tokenizer is not None) or load is not None
        self.name, self.batch_size, self.model, self.tokenizer, self._load = name, batch_size, model, tokenizer, load
        # What the outputs depend on (the cache key uses it); "sampler": answers drawn by generation.local.draw_token.
        self.identity = {"kind": "local", "sampler": 2, **identity}
        self.stats = CallStats()
        self.finish_reasons: list[str | None] = []  # a local model gives none: hit_length_limit counts tokens

    @classmethod
    def check(cls, spec: BackendConfig) -> None:
        """Nothing to check before loading: ``model`` is resolved (option or directory) when the backend opens."""

    @classmethod
    def from_spec(cls, spec: BackendConfig, cache_dir: Path, tiny_texts: list[str], loaded: dict[str, Backend]) -> Backend:
        key = f"local:{spec.model}"  # one copy of a model, whichever roles it plays
        if key not in loaded:
            loaded[key] = load_local_backend(spec, cache_dir, tiny_texts)
        return loaded[key]

    def _loaded(self) -> LoadedModel:
        if self.model is None or self.tokenizer is None:
            assert self._load is not None
            self.model, self.tokenizer = self._load()
        return self.model, self.tokenizer

    def generate(self, conversations: list[Messages], sampling: Sampling, on_result: OnResult | None = None) -> list[str]:
        from sft_ablate.generation.local import generate_local

        model, tokenizer = self._loaded()
        # Batches of similar length waste little on padding; on_result fires after each batch.
        order = sorted(range(len(conversations)), key=lambda i: sum(len(m["content"]) for m in conversations[i]))
        outputs: list[str] = [""] * len(conversations)
        self.finish_reasons = [None] * len(conversations)
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            batch = [conversations[i] for i in index]
            texts = generate_local(model, tokenizer, batch, sampling, batch_size=self.batch_size, progress=False)
            self.stats.calls += len(index)
            self.stats.requests += 1
            for i, text in zip(index, texts):
                outputs[i] = text
                if on_result:
                    on_result(i, text)
        return outputs

    def score_replies(
        self, conversations: list[Messages], replies: list[str], on_result: Callable[[int, list[float]], None] | None = None
    ) -> list[list[float]]:
        """Each reply's log-likelihood as the answer to each conversation (a judge's verdict without free text)."""
        from sft_ablate.generation.local import reply_logprobs

        model, tokenizer = self._loaded()
        out: list[list[float]] = []
        for i, conversation in enumerate(conversations):
            out += reply_logprobs(model, tokenizer, [conversation], replies)
            self.stats.calls += 1
            self.stats.requests += 1
            if on_result:
                on_result(i, out[-1])
        return out

    def hit_length_limit(self, texts: list[str], finish_reasons: list[str | None], sampling: Sampling) -> list[bool | None]:
        """Counted by re-tokenizing the answer: an answer that stopped on its own has at most max_new_tokens - 1
        tokens before the end-of-turn token, so one of max_new_tokens - 1 or more is taken as cut off (an answer
        that stopped exactly there is rejected too: the safe side). ``finish_reasons`` are all None here."""
        _, tokenizer = self._loaded()
        limit = sampling.max_new_tokens - 1
        return [len(tokenizer(text, add_special_tokens=False)["input_ids"]) >= limit for text in texts]


def local_model_config(name_or_dir: str) -> ModelConfig:
    """A conf/model option by name (tiny, smollm2_135m), composed as ``model=<name>`` is, or a local model directory."""
    if name_or_dir in option_names("model"):
        return compose_option("model", name_or_dir, ModelConfig)
    if Path(name_or_dir).expanduser().is_dir():
        return ModelConfig(name=Path(name_or_dir).name, kind="pretrained", path=str(Path(name_or_dir).expanduser()))
    raise ConfigError(
        f"local backend model {name_or_dir!r} is neither a model option ({', '.join(option_names('model'))}) "
        "nor a local model directory"
    )


def load_local_backend(spec: BackendConfig, cache_dir: Path, tiny_texts: list[str]) -> LocalBackend:
    """A local model for generation (no LoRA, eval mode), loaded on first use. ``tiny_texts`` train the tiny
    model's tokenizer. The model directory is found (or converted, or built) now: the cache key names it."""
    from sft_ablate.training.models import base_model_dir, load_weights  # torch: only for a local model

    model_cfg = local_model_config(spec.model)
    model_dir = base_model_dir(model_cfg, cache_dir, tiny_texts)
    return LocalBackend(
        model_cfg.name,
        {"model": model_cfg.name, "dir": model_dir},
        spec.batch_size,
        load=lambda: load_weights(model_cfg, model_dir, spec.model),
    )
