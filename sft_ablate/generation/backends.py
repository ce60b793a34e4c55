"""Generation backends, the front door: ``make_backend(spec, cache_dir)`` opens the backend a ``BackendConfig``
names, whichever kind is registered under its ``kind``; ``CachedBackend`` adds a content-addressed file cache.

Every backend answers ``generate(conversations, sampling, on_result=None) -> list[str]``, one text per
conversation, in input order (the ``Backend`` protocol, base.py). Synthetic data generation and the arena (its
answers and its LLM judge) use them alike. Where things are:

  schema.py         BackendConfig (what users' YAML sets) and BACKENDS, the registry of kinds
  base.py           the Backend protocol and CallStats
  local_backend.py  ``local``: a transformers model of a conf/model option or a directory (+ log-likelihoods)
  openai.py         ``openai``: an OpenAI-compatible chat-completions endpoint over httpx, with retries
  cache.py          CachedBackend
  local.py          batched generation and reply scoring with a loaded model (torch), and ``Sampling``
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from sft_ablate.generation.base import Backend, CallStats, OnResult
from sft_ablate.generation.cache import CachedBackend
from sft_ablate.generation.local import Sampling
from sft_ablate.generation.local_backend import LocalBackend, load_local_backend, local_model_config
from sft_ablate.generation.openai import OpenAIBackend
from sft_ablate.generation.schema import BACKENDS, BackendConfig, SamplingConfig

__all__ = [
    "BACKENDS",
    "Backend",
    "CachedBackend",
    "CallStats",
    "LocalBackend",
    "OnResult",
    "OpenAIBackend",
    "load_local_backend",
    "local_model_config",
    "make_backend",
    "to_sampling",
]


def to_sampling(cfg: SamplingConfig) -> Sampling:
    return Sampling(**asdict(cfg))


def make_backend(
    spec: BackendConfig, cache_dir: Path, tiny_texts: list[str] | None = None, loaded: dict[str, Backend] | None = None
) -> Backend:
    """The backend of the kind registered as ``spec.kind``, not cached (wrap it in CachedBackend for that).

    ``cache_dir`` holds converted models; ``tiny_texts`` train the tiny model's tokenizer; ``loaded``, shared by
    the roles of one job, lets them share one copy of a local model."""
    kind = BACKENDS.get(spec.kind).make
    return kind.from_spec(spec, cache_dir, tiny_texts or [], {} if loaded is None else loaded)
