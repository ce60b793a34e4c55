"""The arena's prompts: the file every model answers, with the reference and verifiable answers that judges
decide by; a prompt the judge cannot decide is skipped and counted."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sft_ablate.arena.judges import JudgeConfig
from sft_ablate.arena.schema import ArenaConfig
from sft_ablate.cache import content_key
from sft_ablate.data.fetch import ensure_dataset_file
from sft_ablate.errors import DataError
from sft_ablate.io import read_jsonl_objects

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArenaPrompt:
    id: str
    turns: tuple[str, ...]  # the user turns answered
    reference: str | None  # reference answer to the last turn
    answer: str | None  # verifiable answer (a number) to the last turn
    key: str  # content hash of all the above and the sampling settings: what a generation is stored under

    def record(self) -> dict[str, Any]:
        return {"id": self.id, "turns": list(self.turns), "reference": self.reference, "answer": self.answer}


def load_prompts(arena: ArenaConfig, judge: JudgeConfig) -> tuple[list[ArenaPrompt], int]:
    """The arena prompts, and how many were skipped because the judge could not decide them."""
    # A hub dataset in the data dir (arena=mt_bench): read, fetched when online, or a one-line error.
    path = ensure_dataset_file(Path(arena.prompts).expanduser(), "arena.prompts")
    references = _mt_bench_references(Path(arena.references).expanduser()) if arena.references else {}
    prompts, skipped = [], 0
    for origin, row in read_jsonl_objects(path, "arena.prompts"):
        turns = row.get("turns")
        if not (isinstance(turns, list) and turns and all(isinstance(t, str) and t.strip() for t in turns)):
            raise DataError(f"{origin}: `turns` must be a non-empty list of user turns (strings)")
        if len(turns) < arena.turns:
            raise DataError(f"{origin}: has {len(turns)} turn(s), but arena.turns is {arena.turns}")
        prompt_id = str(row.get("id", row.get("question_id", origin.rsplit(":", 1)[1])))
        last = arena.turns - 1
        reference = _turn_value(row.get("reference"), last) or _turn_value(references.get(prompt_id), last)
        answer = _turn_value(row.get("answer"), last)
        if not judge.can_decide(reference, answer):
            skipped += 1
            continue
        turns = tuple(turns[: arena.turns])
        key = content_key("arena-prompt-v1", turns, reference, answer, asdict(arena.sampling))
        prompts.append(ArenaPrompt(prompt_id, turns, reference, answer, key))
    if arena.max_prompts is not None and len(prompts) > arena.max_prompts:
        log.warning(
            "arena: using the first %d of %d prompts in %s (arena.max_prompts=%d; null uses all)",
            arena.max_prompts,
            len(prompts),
            path,
            arena.max_prompts,
        )
        prompts = prompts[: arena.max_prompts]
    if not prompts:
        raise DataError(f"arena.prompts: {path} has no prompt the {judge.name} judge can decide")
    return prompts, skipped


def _turn_value(value: Any, turn: int) -> str | None:
    """A per-turn field: a list (one per turn), or a plain value that belongs to the first turn."""
    if isinstance(value, list):
        value = value[turn] if turn < len(value) else None
    elif turn > 0:
        value = None
    return None if value is None else str(value)


def _mt_bench_references(path: Path) -> dict[str, list[str]]:
    out = {}
    for origin, row in read_jsonl_objects(path, "arena.references"):
        try:
            out[str(row["question_id"])] = list(row["choices"][0]["turns"])
        except (KeyError, IndexError, TypeError) as err:
            raise DataError(f"{origin}: expected question_id and choices[0].turns ({err})") from err
    return out
