"""Self-instruct: seed tasks, few-shot prompts for new instructions, and the filters a new instruction must pass.

An instruction here is one self-contained user request on one line (any input it needs is written into
it), so that it can be answered as it stands. Filters, in order: too short or too long (words), a URL,
a task a text model cannot do (images, files, audio...: ``filter.blocked_words``), not starting like a
sentence, and last the novelty filter, ROUGE-L F1 >= ``filter.max_rouge`` against any instruction kept
so far (the seed tasks, weak eval prompts and machine-made ones).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sft_ablate.data.formats import Messages
from sft_ablate.errors import DataError
from sft_ablate.io import read_json, read_jsonl_objects
from sft_ablate.synth.schema import InstructionFilterConfig, WeaknessConfig

_URL = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|org|net|io|gov|edu)\b", re.I)
# A template slot the generator copied instead of filling: "[input]", "tags: [tags]", "{name}", "<text>", or a
# bracket left open at the end ("using [input"). A list such as "[3, 1, 2]" is not one.
_PLACEHOLDER = re.compile(r"\[[a-z_][a-z_ ]*\]|\[[a-z_ ]*$|\{[a-z_]+\}|<[a-z_]+>", re.I)
_LIST_MARKER = re.compile(r"^\s*(?:(?:task|instruction)\s*\d+\s*[:.)-]|\d+\s*[.):-]|[-*•])\s*", re.I)
_INLINE_INPUT_WORDS = 40  # a seed's input is shown inline (one line) up to this many words


@dataclass
class Task:
    """One instruction, with where it came from (for the provenance of every row made from it)."""

    id: str
    text: str
    stage: str  # "seed", "weakness" (a held-out prompt the model failed), "self_instruct"
    seed_ids: list[str] = field(default_factory=list)  # the tasks shown in the prompt that produced it


def load_seed_tasks(path: Path) -> list[Task]:
    """Self-instruct seed tasks: JSONL rows with `instruction` (and `id`, `instances[{input, output}]`)."""
    tasks = []
    for origin, row in read_jsonl_objects(path, "synth.seed_file"):
        if not isinstance(row.get("instruction"), str) or not row["instruction"].strip():
            raise DataError(f"{origin}: a seed task needs a non-empty string `instruction`")
        line_no = origin.rsplit(":", 1)[1]
        tasks.append(Task(id=str(row.get("id", f"line{line_no}")), text=_one_line_task(row), stage="seed"))
    if not tasks:
        raise DataError(f"{path}: no seed tasks")
    return tasks


def _one_line_task(row: dict[str, Any]) -> str:
    instruction = " ".join(row["instruction"].split())
    instances = row.get("instances") or []
    extra = instances[0].get("input", "") if instances and isinstance(instances[0], dict) else ""
    extra = " ".join(str(extra).split())
    if extra and "\n" not in str(instances[0].get("input", "")) and len(extra.split()) <= _INLINE_INPUT_WORDS:
        return f"{instruction} {extra}"
    return instruction


def instruction_prompt(examples: list[Task], n_new: int, weak: Task | None = None) -> Messages:
    """A few-shot prompt asking for ``n_new`` new tasks, numbered after the examples."""
    listed = "\n".join(f"{i}. {task.text}" for i, task in enumerate(examples, start=1))
    first, last = len(examples) + 1, len(examples) + n_new
    lead = ""
    if weak is not None:
        lead = f"A student answered this task badly:\n{weak.text}\n\nWe need more practice tasks like it. "
    text = (
        f"{lead}Here are some example tasks:\n{listed}\n\nWrite {n_new} new tasks in the same style, each "
        f"different from the examples and answerable in text alone. Put any input a task needs into the task "
        f"itself. One task per line, numbered {first} to {last}."
    )
    return [{"role": "user", "content": text}]


def draw_examples(rng: random.Random, seeds: list[Task], machine: list[Task], n_seed: int, n_machine: int) -> list[Task]:
    """Random seed tasks plus random machine-made ones (as many as exist, up to n_machine), shuffled."""
    examples = rng.sample(seeds, min(n_seed, len(seeds))) + rng.sample(machine, min(n_machine, len(machine)))
    rng.shuffle(examples)
    return examples


def parse_tasks(text: str) -> list[str]:
    """The tasks of a numbered (or bulleted) list; plain lines when the text has no list at all."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    listed = [_strip_markers(line) for line in lines if _LIST_MARKER.match(line)]
    tasks = listed if listed else lines
    cleaned = [t.replace("**", "").strip().strip("\"'`").strip() for t in tasks]  # markdown bold, quotes
    return [t for t in cleaned if t]


def _strip_markers(line: str) -> str:
    while _LIST_MARKER.match(line):  # "1. 1. Task" happens
        line = _LIST_MARKER.sub("", line, count=1)
    return line


def drop_reason(text: str, cfg: InstructionFilterConfig) -> str | None:
    """Why an instruction is unusable on its own (before novelty), or None."""
    words = len(text.split())
    if words < cfg.min_words:
        return "too_short"
    if words > cfg.max_words:
        return "too_long"
    if _URL.search(text):
        return "url"
    lowered = text.lower()
    if any(re.search(rf"\b{re.escape(word.lower())}\b", lowered) for word in cfg.blocked_words):
        return "unanswerable"
    if not text[0].isalnum():
        return "not_a_task"
    if _PLACEHOLDER.search(text):
        return "placeholder"
    return None


class NoveltyFilter:
    """Keeps instructions whose ROUGE-L F1 against every kept one stays below ``max_rouge``.

    Each kept text is tokenized once, and a pair whose shared-word count (an upper bound on the LCS)
    cannot beat the best score so far skips the LCS: a run compares every new task with hundreds of kept ones.
    """

    def __init__(self, max_rouge: float, kept: list[str]) -> None:
        self.max_rouge = max_rouge
        self.kept: list[str] = []
        self._tokens: list[tuple[list[str], Counter[str]]] = []
        for text in kept:
            self._keep(text)

    def _keep(self, text: str) -> None:
        tokens = rouge_tokens(text)
        self.kept.append(text)
        self._tokens.append((tokens, Counter(tokens)))

    def closest(self, text: str) -> tuple[float, str | None]:
        tokens = rouge_tokens(text)
        counts = Counter(tokens)
        best, match = 0.0, None
        for other, (other_tokens, other_counts) in zip(self.kept, self._tokens):
            total = len(tokens) + len(other_tokens)
            if not total or 2 * sum((counts & other_counts).values()) / total <= best:
                continue
            score = 2 * _lcs_length(tokens, other_tokens) / total
            if score > best:
                best, match = score, other
        return best, match

    def add_if_novel(self, text: str) -> tuple[bool, float]:
        score, _ = self.closest(text)
        if score >= self.max_rouge:
            return False, score
        self._keep(text)
        return True, score


# ROUGE-L as the rouge-score package computes it (its tokenizer without stemming, F1 = 2 LCS / (m + n)).
# We do not import it: it loads nltk and scipy, which costs seconds at every start, for a regex and an
# LCS. tests/test_self_instruct.py checks that the scores are the package's.
_NON_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")


def rouge_tokens(text: str) -> list[str]:
    return _NON_ALPHANUMERIC.sub(" ", text.lower()).split()


def rouge_l(a: str, b: str) -> float:
    x, y = rouge_tokens(a), rouge_tokens(b)
    return 2 * _lcs_length(x, y) / (len(x) + len(y)) if x and y else 0.0


def _lcs_length(a: list[str], b: list[str]) -> int:
    """Longest common subsequence, one row at a time."""
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def weak_prompts(cfg: WeaknessConfig) -> list[Task]:
    """Held-out prompts a trained run answered badly: ROUGE-L F1 of its answer against the reference below
    ``cfg.max_rouge``, worst first. Read from the run's generations.jsonl; results.json must say it completed."""
    assert cfg.run_dir is not None
    run_dir = Path(cfg.run_dir).expanduser()
    results, generations = run_dir / "results.json", run_dir / "generations.jsonl"
    for path in (results, generations):
        if not path.exists():
            raise DataError(f"synth.weakness.run_dir: {path} not found (is {run_dir} a finished sft_ablate run dir?)")
    status = read_json(results).get("status")
    if status != "complete":
        raise DataError(f"synth.weakness.run_dir: {results} says status {status!r}; weakness targeting needs a complete run")
    scored = []
    for origin, row in read_jsonl_objects(generations, "synth.weakness.run_dir generations"):
        line_no = origin.rsplit(":", 1)[1]
        prompt = [m for m in row["prompt"] if m["role"] == "user"][-1]["content"]
        score = rouge_l(row["reference"], row["output"])
        if score < cfg.max_rouge:
            scored.append((score, line_no, " ".join(prompt.split())))
    scored.sort()
    return [
        Task(id=f"weak:{generations}:{line_no}", text=text, stage="weakness", seed_ids=[f"{generations}:{line_no}"])
        for _, line_no, text in scored[: cfg.max_prompts]
    ]
