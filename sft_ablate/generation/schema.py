"""Text generators (local or OpenAI-compatible) and sampling settings, and the registry of backend kinds.

A kind is a class registered with ``@BACKENDS.register("<kind>")`` in its own module (``local_backend.py``,
``openai.py``; outside the package, a module named in ``SFT_ABLATE_PLUGINS``). Its ``check(spec)`` runs when a
``BackendConfig`` of that kind is built, so a field it needs fails at composition; its ``from_spec`` opens one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from omegaconf import MISSING

from sft_ablate.errors import ConfigError
from sft_ablate.registry import Registry

if TYPE_CHECKING:
    from sft_ablate.generation.base import Backend

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BackendKind(Protocol):
    """What is registered under a kind's name: the class of its backends."""

    def check(self, spec: BackendConfig) -> None:
        """Raise ConfigError for a field this kind needs and the spec lacks."""
        ...

    def from_spec(self, spec: BackendConfig, cache_dir: Path, tiny_texts: list[str], loaded: dict[str, Backend]) -> Backend:
        """A backend for the spec. ``tiny_texts`` train the tiny model's tokenizer; ``loaded`` holds what other
        roles of the same job opened, for a kind that shares one copy of a model between them."""
        ...


BACKENDS: Registry[BackendKind] = Registry("generation backend")


@dataclass
class BackendConfig:
    """A text generator: a local transformers model, or an OpenAI-compatible chat-completions endpoint."""

    kind: str = "local"  # a registered kind: local | openai (OpenAI, vLLM, TGI, llama.cpp server...)
    model: str = MISSING  # local: a conf/model option (tiny, smollm2_135m) or a model dir; openai: the served model id
    base_url: str | None = None  # openai: e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1
    api_key_env: str | None = None  # openai: the NAME of the env variable holding the key (never the key itself)
    concurrency: int = 4  # openai: requests in flight at once
    timeout: float = 120.0  # openai: seconds per request
    max_retries: int = 4  # openai: retries on 408/409/429/5xx, timeouts and lost connections, with backoff
    batch_size: int = 8  # local: prompts per generate() batch

    def __post_init__(self) -> None:
        # An unknown kind is an error listing the registered ones; a known one checks the fields it needs.
        BACKENDS.get(self.kind).make.check(self)
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
