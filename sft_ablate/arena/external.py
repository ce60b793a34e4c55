"""Answers from outside the pool: any prompt file, any system's answers (a larger model, an API, a published
model's outputs), entered with ``python -m sft_ablate.arena import NAME ANSWERS.jsonl --prompts PROMPTS.jsonl``.

A prompt file names its fields (``PromptFields``: by flags, or a small YAML like a benchmark task's), so GSM8K's
``question``/``answer`` rows work as they are. An answers file has one row per prompt: the answer text and
the prompt's id, or else its text. A row that matches no prompt is an error that lists every such row.

Imported answers have no sampling settings: their prompts are stored under their own key (``external``), so
imported models battle each other, not runs of the Hydra app (those answer under their own sampling).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from sft_ablate.arena.judges import JudgeConfig, judge_hash
from sft_ablate.arena.prompts import ArenaPrompt
from sft_ablate.arena.store import ArenaStore
from sft_ablate.arena.validation import reserved
from sft_ablate.cache import content_key
from sft_ablate.errors import DataError
from sft_ablate.io import read_jsonl_objects
from sft_ablate.options import compose_option

EXTERNAL_SEED = 0  # an imported model answers each prompt once


@dataclass(frozen=True)
class PromptFields:
    """Which field of a prompt row is what. ``prompt`` may hold a string or a list of user turns."""

    prompt: str = "turns"
    id: str = "id"  # absent: the row's line number
    reference: str | None = "reference"  # a reference answer (the reference judge's similarity); None: none
    answer: str | None = "answer"  # a verifiable final answer (a number; GSM8K's '#### 42' works); None: none

    @classmethod
    def from_yaml(cls, path: Path) -> PromptFields:
        import yaml

        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f) or {}
        known = {f.name for f in fields(cls)}
        if not isinstance(raw, dict) or set(raw) - known:
            raise DataError(f"{path}: expected a mapping with keys among {', '.join(sorted(known))}, got {raw!r}")
        return cls(**raw)


def load_prompt_file(path: Path, names: PromptFields, max_prompts: int | None = None) -> list[ArenaPrompt]:
    """Every prompt of a JSONL file (the first ``max_prompts`` when given), as arena prompts of one user turn
    (or the turns listed)."""
    prompts, seen = [], set()
    for origin, row in read_jsonl_objects(path, "--prompts"):
        text = row.get(names.prompt)
        turns = [text] if isinstance(text, str) else text
        if not (isinstance(turns, list) and turns and all(isinstance(t, str) and t.strip() for t in turns)):
            raise DataError(f"{origin}: field `{names.prompt}` must be a non-empty string or list of strings (--prompt-field)")
        prompt_id = str(row.get(names.id, origin.rsplit(":", 1)[1]))
        if prompt_id in seen:
            raise DataError(f"{origin}: prompt id {prompt_id!r} appears twice")
        seen.add(prompt_id)
        reference = _optional_text(row, names.reference)
        answer = _optional_text(row, names.answer)
        key = content_key("arena-prompt-v1", tuple(turns), reference, answer, "external")
        prompts.append(ArenaPrompt(prompt_id, tuple(turns), reference, answer, key))
    if not prompts:
        raise DataError(f"{path}: no prompt")
    return prompts[:max_prompts] if max_prompts else prompts


def _optional_text(row: dict[str, Any], name: str | None) -> str | None:
    value = row.get(name) if name else None
    return None if value is None else str(value)


def match_answers(path: Path, prompts: list[ArenaPrompt], text_field: str = "answer") -> dict[str, str]:
    """prompt key -> answer, from rows with the answer in ``text_field`` and ``id`` (else ``prompt``) naming the prompt."""
    by_id = {p.id: p for p in prompts}
    by_text = {p.turns[-1].strip(): p for p in prompts}
    found: dict[str, str] = {}
    unmatched, bad = [], []
    for origin, row in read_jsonl_objects(path, "answers"):
        text = row.get(text_field)
        if not isinstance(text, str):
            bad.append(f"{origin}: `{text_field}` must be a string")
            continue
        prompt = by_id.get(str(row["id"])) if "id" in row else None
        if prompt is None and isinstance(row.get("prompt"), str):
            prompt = by_text.get(row["prompt"].strip())
        if prompt is None:
            unmatched.append(f"{origin}: id {row.get('id')!r} / prompt {str(row.get('prompt'))[:60]!r}")
            continue
        if prompt.key in found:
            bad.append(f"{origin}: a second answer to prompt {prompt.id!r}")
            continue
        found[prompt.key] = text
    if unmatched:
        bad.append(f"{len(unmatched)} row(s) match no prompt by id or text:\n  " + "\n  ".join(unmatched[:20]))
    if bad:
        raise DataError(f"{path}: nothing imported\n" + "\n".join(bad))
    return found


def import_answers(
    store_file: Path, name: str, answers: Path, prompts: list[ArenaPrompt], judge: JudgeConfig, text_field: str = "answer"
) -> int:
    """Add a model's answers (and the prompts and judge) to a store; returns how many prompts it answered."""
    if reserved(name):
        raise DataError(f"{name!r} is reserved for the judge's audit (the canary and the ladder/* rungs): pick another name")
    matched = match_answers(answers, prompts, text_field)  # before the store is touched: all or nothing
    with ArenaStore(store_file) as store:
        store.add_judge(judge_hash(judge), asdict(judge))
        store.add_prompts({p.key: p.record() for p in prompts if p.key in matched})
        store.add_model(name, "external", {"answers": str(answers.resolve())})
        store.add_generations((name, key, EXTERNAL_SEED, [text]) for key, text in matched.items())
    return len(matched)


def load_judge(name_or_file: str) -> JudgeConfig:
    """A conf/judge option by name (reference, llm) or a judge YAML file, composed as ``judge=<name>`` is."""
    return compose_option("judge", name_or_file, JudgeConfig)
