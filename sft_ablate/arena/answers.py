"""Every model's answers to the arena prompts, once per seed: the run's trained model, and the base model
(its weights in this process, or an endpoint). Answers already in the store are kept."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sft_ablate.arena.prompts import ArenaPrompt
from sft_ablate.arena.schema import ArenaConfig
from sft_ablate.arena.store import ArenaStore
from sft_ablate.cache import cached_json, content_key
from sft_ablate.data.formats import Messages
from sft_ablate.generation.local import Sampling
from sft_ablate.generation.schema import SamplingConfig

if TYPE_CHECKING:  # torch and transformers: imported where a model is loaded
    from sft_ablate.training.models import LoadedModel

log = logging.getLogger(__name__)

Generate = Callable[[list[Messages], Sampling], list[str]]
Answered = tuple[str, int, list[str]]  # (prompt key, seed, one answer per turn)
Answer = Callable[[list[ArenaPrompt]], list[Answered]]  # a model answering prompts, once per seed


def answer_prompts(generate: Generate, prompts: list[ArenaPrompt], seeds: list[int], sampling: SamplingConfig) -> list[Answered]:
    """(prompt key, seed, one answer per turn) for each prompt and seed; turn 2 sees the model's own turn 1.

    Every prompt x seed is one row of a single generate call per turn (left-padded, length-sorted batches that
    stop at the end of turn): a seed's rows draw their own samples from one generator seeded by the seed list,
    so the answers are as independent as per-seed calls and the same on a rerun, with fewer, fuller batches."""
    rows = [(prompt, seed) for seed in seeds for prompt in prompts]
    setting = Sampling(**{**asdict(sampling), "seed": seeds[0] if len(seeds) == 1 else _seed_of(seeds)})
    conversations: list[Messages] = [[] for _ in rows]
    for turn in range(len(prompts[0].turns)):
        for conversation, (prompt, _) in zip(conversations, rows):
            conversation.append({"role": "user", "content": prompt.turns[turn]})
        texts = generate([list(c) for c in conversations], setting)
        for conversation, text in zip(conversations, texts):
            conversation.append({"role": "assistant", "content": text})
    return [(p.key, seed, [m["content"] for m in c if m["role"] == "assistant"]) for (p, seed), c in zip(rows, conversations)]


def _seed_of(seeds: list[int]) -> int:
    """One generator seed for a list of seeds (a single seed keeps its own)."""
    return int(content_key("arena-seeds", list(seeds))[:8], 16)


def add_missing_answers(store: ArenaStore, model: str, prompts: list[ArenaPrompt], seeds: list[int], answer: Answer) -> None:
    """Answer only what the store lacks: the base answers once per pool, a resumed run not again."""
    have = store.generations(model)
    todo = [p for p in prompts if any((model, p.key, s) not in have for s in seeds)]
    if todo:
        log.info("arena: %s answers %d prompts x %d seeds", model, len(todo), len(seeds))
        store.add_generations((model, key, seed, a) for key, seed, a in answer(todo))


def local_generator(model: Any, tokenizer: Any, batch_size: int) -> Generate:
    from sft_ablate.generation.local import generate_local

    return lambda conversations, sampling: generate_local(model, tokenizer, conversations, sampling, batch_size, progress=False)


def trained_answers(arena: ArenaConfig, loaded: LoadedModel) -> Answer:
    """The run's model as it is in memory (adapter applied)."""

    def answer(todo: list[ArenaPrompt]) -> list[Answered]:
        generate = local_generator(loaded.model, loaded.tokenizer, arena.batch_size)
        return answer_prompts(generate, todo, arena.seeds, arena.sampling)

    return answer


@contextmanager
def base_generator(arena: ArenaConfig, loaded: LoadedModel, lora_enabled: bool, cache_dir: Path) -> Iterator[Generate]:
    """The base model's answers: from arena.base_backend if set; else with LoRA, the adapter switched off; after
    full fine-tuning, its weights reloaded."""
    if arena.base_backend is not None:
        from sft_ablate.generation.backends import CachedBackend, make_backend

        backend = CachedBackend(make_backend(arena.base_backend, cache_dir), cache_dir)
        yield lambda conversations, sampling: backend.generate(conversations, sampling)
        return
    from sft_ablate.training.models import base_model

    with base_model(loaded, lora_enabled, trained=True) as (model, tokenizer):
        yield local_generator(model, tokenizer, arena.batch_size)


def base_answers(arena: ArenaConfig, loaded: LoadedModel, lora_enabled: bool, cache_dir: Path) -> Answer:
    """The base model's answers. A local base model's are cached across runs and pools: the same weights, prompts,
    seeds and sampling give the same answers, so each single run need not answer them again."""

    def answer(todo: list[ArenaPrompt]) -> list[Answered]:
        with base_generator(arena, loaded, lora_enabled, cache_dir) as generate:
            return answer_prompts(generate, todo, arena.seeds, arena.sampling)

    def cached_answer(todo: list[ArenaPrompt]) -> list[Answered]:
        model = loaded.model_config
        key = content_key(
            "arena-base-answers-v3",  # v3: drawn by generation.local.draw_token (v2: one generate call over prompts x seeds)
            loaded.base_dir,
            model.dtype,
            model.chat_template,
            [p.record() for p in todo],
            list(arena.seeds),
            asdict(arena.sampling),
            arena.batch_size,  # batch composition changes padded generation slightly
        )
        path = cache_dir / "arena_base_answers" / f"{key}.json"
        if path.exists():
            log.info("arena: the base model's answers come from the cache (%s)", path)
        return [(prompt_key, seed, list(turns)) for prompt_key, seed, turns in cached_json(path, lambda: answer(todo))]

    return answer if arena.base_backend is not None else cached_answer  # an endpoint may change behind one name
