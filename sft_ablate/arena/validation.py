"""Answers degraded by known amounts, to check that a judge ranks them in that order (Kendall tau = 1).

From reference answers (e.g. GSM8K's worked solutions): the answer whole, cut to 50% and to 10% of its words,
and shuffled across prompts (each prompt gets another prompt's answer). A judge worth its name ranks them
100% > 50% > 10% > shuffled; ``python -m sft_ablate.arena STORE --validate full,half,tenth,shuffled`` prints
the Kendall tau between that order and the arena's ranking.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from sft_ablate.arena.prompts import ArenaPrompt
from sft_ablate.io import write_jsonl_atomic

DEGRADATIONS = {"full": 1.0, "half": 0.5, "tenth": 0.1}  # name -> share of the words kept; then "shuffled"
KNOWN_ORDER = [*DEGRADATIONS, "shuffled"]  # best first


def truncate(text: str, share: float) -> str:
    """The first ``share`` of the text's words (at least one), whitespace as it was."""
    words = text.split()
    keep = max(1, math.ceil(len(words) * share))
    if keep >= len(words):
        return text
    cut, seen = 0, 0
    for i, ch in enumerate(text):  # the end of the keep-th word
        if not ch.isspace() and (i == 0 or text[i - 1].isspace()):
            seen += 1
            if seen == keep + 1:
                cut = i
                break
    return text[:cut].rstrip()


def shuffled(texts: list[str], seed: int) -> list[str]:
    """Each text moved to another position (a seeded derangement: no prompt keeps its own answer)."""
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    # Rotating a random permutation by one gives a derangement: position order[i] gets text order[i+1].
    out = [""] * len(texts)
    for i, position in enumerate(order):
        out[position] = texts[order[(i + 1) % len(order)]]
    return out


def write_degraded_answers(prompts: list[ArenaPrompt], out_dir: Path, seed: int = 0) -> dict[str, Path]:
    """One answers file per degradation ({id, answer} rows) from the prompts' reference answers."""
    references = [p.reference or "" for p in prompts]
    answers = {name: [truncate(r, share) for r in references] for name, share in DEGRADATIONS.items()}
    answers["shuffled"] = shuffled(references, seed)
    paths = {}
    for name, texts in answers.items():
        paths[name] = out_dir / f"{name}.jsonl"
        write_jsonl_atomic(paths[name], [{"id": p.id, "answer": t} for p, t in zip(prompts, texts)])
    return paths
