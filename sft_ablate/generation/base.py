"""What every generation backend offers: the Backend protocol, and the counts each keeps.

The kinds (``local``, ``openai``, a plugin's) register in ``schema.BACKENDS``, beside the config they are made from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sft_ablate.data.formats import Messages
from sft_ablate.generation.local import Sampling

OnResult = Callable[[int, str], None]  # (index of the conversation, its answer), as each answer is ready


@dataclass
class CallStats:
    """What a backend did: answers generated, requests sent (HTTP: retries included; local: batches), retries."""

    calls: int = 0
    requests: int = 0
    retries: int = 0


class Backend(Protocol):
    """A text generator, as judges, synth and the arena use it."""

    name: str  # its label in logs, rejections and results
    identity: dict[str, Any]  # what its answers depend on ({"kind": ..., "model": ..., ...}): keys the answer cache
    stats: CallStats
    finish_reasons: list[str | None]  # of the last generate() call, by position ("length": cut off); None: unknown

    def generate(self, conversations: list[Messages], sampling: Sampling, on_result: OnResult | None = None) -> list[str]:
        """One answer per conversation (each ends with a user turn), in input order; ``on_result`` fires as each
        is ready, so a caller can store it at once and lose nothing when a later one fails."""
        ...

    def hit_length_limit(self, texts: list[str], finish_reasons: list[str | None], sampling: Sampling) -> list[bool | None]:
        """Whether each answer ran into ``sampling.max_new_tokens`` instead of ending its turn; None: cannot tell.
        ``finish_reasons`` are those that came with the answers (perhaps from the cache)."""
        ...
