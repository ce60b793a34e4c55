"""decontaminate: rows sharing an n-gram (13 words by default) with an eval prompt: the benchmarks' and the arena's
prompt files (quality.decontaminate.eval_prompts), and every turn of the external held-out sets (eval.heldout_sets).

A prompt file may be a public dataset in the data dir (`${dataset:openai/gsm8k,main,test}`, data/fetch.py): read
when there, fetched when missing and the hub answers. An optional one that is neither is recorded as missing in
results.json (data.quality.eval_prompts_missing), and one log line for all of them says how to fetch them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import MISSING

from sft_ablate.data.fetch import DatasetRef, MissingDataset, ensure_dataset_file, fetch_hint, ref_for, where_data_dir
from sft_ablate.data.filters import QUALITY_FILTERS, FilterContext, FilterOutcome
from sft_ablate.data.formats import conversation_text, words
from sft_ablate.data.sources import Example
from sft_ablate.errors import ConfigError, DataError
from sft_ablate.io import read_jsonl_objects

log = logging.getLogger(__name__)


@dataclass
class EvalPromptFile:
    """A file of eval prompts that training rows must not overlap: benchmark questions, arena turns."""

    path: str = MISSING  # .jsonl
    field: str = MISSING  # the field with the prompt: a string, or a list of strings (turns)
    optional: bool = False  # true: when absent (a public set not fetched), recorded as missing instead of failing


# The bundled benchmark and arena, and the public benchmarks where their data is (conf/quality/default.yaml).
DEFAULT_EVAL_PROMPTS = (
    EvalPromptFile("${sample_data:eval_mc.jsonl}", "query"),
    EvalPromptFile("${sample_data:arena_prompts.jsonl}", "turns"),
    EvalPromptFile("${dataset:allenai/ai2_arc,ARC-Easy,test}", "question", optional=True),
    EvalPromptFile("${dataset:openai/gsm8k,main,test}", "question", optional=True),
    EvalPromptFile("${dataset:lighteval/mt-bench,default,train}", "turns", optional=True),
)


@dataclass
class DecontaminateConfig:
    ngram: int = 13  # a training row sharing any 13-word sequence with an eval prompt is dropped
    min_words: int = 5  # shorter eval prompts are matched whole; prompts under min_words are too generic to match
    eval_prompts: list[EvalPromptFile] = field(default_factory=lambda: list(DEFAULT_EVAL_PROMPTS))

    def __post_init__(self) -> None:
        if self.ngram < 1 or self.min_words < 1:
            raise ConfigError("quality.decontaminate.ngram and min_words must be positive")

    def input_files(self) -> list[Path] | None:
        return [Path(p.path).expanduser() for p in self.eval_prompts]


def with_eval_prompts(quality: Any, extra: list[EvalPromptFile]) -> Any:
    """A copy of the quality config whose decontamination also reads `extra` (the benchmarks a run evaluates on),
    those it does not list already. The config itself stays as composed."""
    if "decontaminate" not in quality.filters:
        return quality
    settings: DecontaminateConfig = quality.decontaminate
    listed = {(Path(p.path).expanduser().absolute(), p.field) for p in settings.eval_prompts}
    new = [p for p in extra if (Path(p.path).expanduser().absolute(), p.field) not in listed]
    if not new:
        return quality
    return dataclasses.replace(quality, decontaminate=dataclasses.replace(settings, eval_prompts=[*settings.eval_prompts, *new]))


@dataclass
class EvalPrompt:
    text: str
    origin: str  # "path:line"


@QUALITY_FILTERS.register("decontaminate", DecontaminateConfig)
def decontaminate(rows: list[Example], settings: DecontaminateConfig, context: FilterContext) -> FilterOutcome:
    found = read_eval_prompts(settings)
    prompts, read = found.prompts, found.counts
    for set_name, examples in context.heldout.items():  # every turn: a held-out answer must not be trained on either
        prompts += [EvalPrompt(m["content"], e.origin) for e in examples for m in e.messages]
        read[f"eval.heldout_sets.{set_name}"] = len(examples)
    return FilterOutcome(removed=dict(contaminated(rows, prompts, settings)), read=read, missing=found.missing)


@dataclass
class EvalPrompts:
    prompts: list[EvalPrompt]
    counts: dict[str, int]  # "what:field" -> prompts read from it
    missing: list[str]  # the optional sets that were not there, and why


def read_eval_prompts(settings: DecontaminateConfig) -> EvalPrompts:
    """The eval prompts to keep out of training, from every configured file (a list field gives one prompt per item).

    The benchmark and arena features add their prompt files to `quality.decontaminate.eval_prompts`; this is the
    one place that reads them.
    """
    prompts: list[EvalPrompt] = []
    counts: dict[str, int] = {}
    missing: dict[str, DatasetRef | None] = {}
    for source in settings.eval_prompts:
        path = Path(source.path).expanduser()
        label = _label(path)
        try:
            path = ensure_dataset_file(path, "decontamination (quality.decontaminate.eval_prompts)")
        except MissingDataset:
            if not source.optional:
                raise
            missing[f"{label}:{source.field}"] = ref_for(path)
            continue
        if not path.exists():
            if source.optional:
                missing[f"{label}:{source.field}"] = None
                continue
            raise DataError(
                f"decontamination: eval prompt file not found: {path} "
                "(quality.decontaminate.eval_prompts; mark it `optional: true` to skip it when absent)"
            )
        before = len(prompts)
        for origin, row in _read_prompt_rows(path):
            if source.field not in row:
                raise DataError(
                    f"{origin}: no field {source.field!r} (quality.decontaminate.eval_prompts names it "
                    f"for {path.name}; the row has: {', '.join(sorted(row))})"
                )
            value = row[source.field]
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str) and text.strip():
                    prompts.append(EvalPrompt(text, origin))
        counts[f"{label}:{source.field}"] = len(prompts) - before
    if missing:
        log.warning("%s", _missing_line(missing))
    return EvalPrompts(prompts, counts, list(missing))


def _label(path: Path) -> str:
    """How results.json names a prompt file: a data-dir dataset by its id (the same set on every machine)."""
    ref = ref_for(path)
    return f"{ref.repo}/{ref.config}/{ref.split}" if ref else str(path)


def _missing_line(missing: dict[str, DatasetRef | None]) -> str:
    """One line for every optional set not checked: which, where they were looked for, how to get them."""
    refs = [ref for ref in missing.values() if ref is not None]
    others = [label for label, ref in missing.items() if ref is None]
    line = f"decontamination: not checked against {', '.join(missing)}"
    if refs:
        line += f": not in the data dir {where_data_dir()} and the hub cannot be reached; fetch them: {fetch_hint(refs)}"
    if others:
        line += f" (no such file: {', '.join(others)})"
    return line


def _read_prompt_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    if path.suffix.lower() != ".jsonl":
        raise DataError(f"decontamination: {path}: eval prompt files must be .jsonl")
    yield from read_jsonl_objects(path, "an eval prompt file")


NgramIndex = dict[tuple[str, ...], dict[tuple[str, ...], str]]  # a gram's first min_words words -> gram -> origin


def contaminated(rows: list[Example], prompts: list[EvalPrompt], settings: DecontaminateConfig) -> Iterator[tuple[int, str]]:
    """(id, reason) of the rows that share a `ngram`-word sequence with an eval prompt, anywhere in any turn.

    A prompt shorter than `ngram` words is matched whole (as GPT-3's decontamination did), if it has at least
    `min_words`: a 6-word question like "What is the capital of Norway?" must not appear verbatim either, while
    a 3-word one ("Make it shorter") says nothing about contamination.
    """
    # Indexed by each gram's first `min_words` words: one dict lookup per row position, and a full comparison
    # only where a prefix matches.
    k = settings.min_words
    index: NgramIndex = {}
    for prompt in prompts:
        tokens = words(prompt.text)
        n = min(settings.ngram, len(tokens))
        if n < k:
            continue
        for i in range(len(tokens) - n + 1):
            gram = tuple(tokens[i : i + n])
            index.setdefault(gram[:k], {}).setdefault(gram, prompt.origin)
    for example in rows:
        hit = _first_overlap(words(conversation_text(example.messages)), index, k)
        if hit is not None:
            gram, origin = hit
            shown = " ".join(gram) if len(gram) <= 13 else " ".join(gram[:13]) + " ..."
            yield id(example), f"shares {len(gram)} words with eval prompt {origin}: {shown!r}"


def _first_overlap(tokens: list[str], index: NgramIndex, k: int) -> tuple[tuple[str, ...], str] | None:
    for i in range(len(tokens) - k + 1):
        for gram, origin in index.get(tuple(tokens[i : i + k]), {}).items():
            if tuple(tokens[i : i + len(gram)]) == gram:
                return gram, origin
    return None
