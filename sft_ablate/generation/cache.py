"""A content-addressed cache of answers, on top of any backend."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from sft_ablate.cache import content_key
from sft_ablate.data.formats import Messages
from sft_ablate.generation.base import Backend, OnResult
from sft_ablate.generation.local import Sampling
from sft_ablate.io import read_json, write_json_atomic


class CachedBackend:
    """Serves each (backend identity, conversation, sampling) from a content-addressed cache before asking.

    Every answer is written (atomically, one small file each) the moment it arrives, so an interrupted
    job keeps all it finished, and a rerun of the same work makes no backend call at all.
    """

    def __init__(self, backend: Backend, cache_dir: Path) -> None:
        self.backend, self.name, self.identity = backend, backend.name, backend.identity
        self.dir = cache_dir / "generations"
        self.calls = 0  # answers asked of the backend through this wrapper (one role)
        self.cache_hits = 0  # answers served from the cache instead
        self.finish_reasons: dict[str, str | None] = {}  # cache key (conversation, sampling) -> finish_reason

    def key(self, conversation: Messages, sampling: Sampling) -> str:
        return content_key("generation-v1", self.identity, conversation, asdict(sampling))

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def _read(self, keys: list[str]) -> dict[str, str]:
        """The answers the cache holds, by key (their finish reasons noted)."""
        outputs: dict[str, str] = {}
        for key in dict.fromkeys(keys):  # each distinct conversation once
            path = self._path(key)
            if path.exists():
                entry = read_json(path)
                outputs[key] = entry["text"]
                self.finish_reasons[key] = entry.get("finish_reason")
        return outputs

    def generate(self, conversations: list[Messages], sampling: Sampling, on_result: OnResult | None = None) -> list[str]:
        keys = [self.key(conv, sampling) for conv in conversations]
        outputs = self._read(keys)
        self.cache_hits += sum(1 for key in keys if key in outputs)
        missing = [key for key in dict.fromkeys(keys) if key not in outputs]
        self.calls += len(missing)

        def store(i: int, text: str) -> None:
            finish_reason = self.backend.finish_reasons[i]  # set before on_result fires for it
            self.finish_reasons[missing[i]] = finish_reason
            entry: dict[str, Any] = {
                "text": text,
                "finish_reason": finish_reason,
                "backend": self.identity,
                "sampling": asdict(sampling),
            }
            write_json_atomic(self._path(missing[i]), entry)
            outputs[missing[i]] = text
            if on_result:
                for j, key in enumerate(keys):
                    if key == missing[i]:
                        on_result(j, text)

        if missing:
            self.backend.generate([conversations[keys.index(key)] for key in missing], sampling, store)
        return [outputs[key] for key in keys]

    def hit_length_limit(self, conversations: list[Messages], texts: list[str], sampling: Sampling) -> list[bool | None]:
        """Whether each answer (texts[i], to conversations[i]) was cut off by max_new_tokens, as its backend tells:
        a local model counts tokens, an HTTP server's finish_reason says "length"; None where it cannot tell."""
        reasons = [self.finish_reasons.get(self.key(conversation, sampling)) for conversation in conversations]
        return self.backend.hit_length_limit(texts, reasons, sampling)
