"""Answers degraded by known amounts, to check that a judge ranks them in that order (Kendall tau = 1).

From reference answers (e.g. GSM8K's worked solutions): the answer whole, cut to 50% and to 10% of its words,
and shuffled across prompts (each prompt gets another prompt's answer). A judge worth its name ranks them
100% > 50% > 10% > shuffled; ``python -m sft_ablate.arena STORE --validate full,half,tenth,shuffled`` prints
the Kendall tau between that order and the arena's ranking. Every study checks its judge on such a ladder
(``audit.py``), with a null canary beside it: one constant, fluent answer that says nothing (``CANARY_ANSWER``).
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from sft_ablate.arena.prompts import ArenaPrompt
from sft_ablate.io import write_jsonl_atomic

DEGRADATIONS = {"full": 1.0, "half": 0.5, "tenth": 0.1}  # name -> share of the words kept; then "shuffled"
KNOWN_ORDER = [*DEGRADATIONS, "shuffled"]  # best first
# The judge's audit (audit.py) enters the ladder and the canary in a store as pseudo-models of these names and kinds:
# the rungs never join the pool's leaderboard (``battles.missing_fixtures`` never pairs them with the pool), the canary does.
LADDER = tuple(f"ladder/{name}" for name in KNOWN_ORDER)
CANARY = "canary"
LADDER_KIND, CANARY_KIND = "ladder", "canary"


def reserved(name: str) -> bool:
    """A model name the audit uses: no imported model may take it."""
    return name == CANARY or name.startswith("ladder/")


# The null canary's answer to every prompt: fluent, polite, on no topic. Published null-model attacks scored high on
# AlpacaEval, Arena-Hard and MT-Bench with constant answers like it; a judge that ranks it above another prompt's
# answer is fooled by form. About 40 words, longer than a tenth of most references, so length bias shows too.
CANARY_ANSWER = (
    "That is a good question, and it deserves a careful answer. There are several things to consider here, and the "
    "right choice depends on the details of the situation. In short, take it step by step, weigh each point, and "
    "the answer will become clear."
)


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


def degraded(references: list[str], seed: int = 0) -> dict[str, list[str]]:
    """Each rung of the ladder (KNOWN_ORDER, best first): the references whole, cut, and shuffled across prompts."""
    answers = {name: [truncate(r, share) for r in references] for name, share in DEGRADATIONS.items()}
    answers["shuffled"] = shuffled(references, seed)
    return answers


def write_degraded_answers(prompts: list[ArenaPrompt], out_dir: Path, seed: int = 0) -> dict[str, Path]:
    """One answers file per degradation ({id, answer} rows) from the prompts' reference answers."""
    answers = degraded([p.reference or "" for p in prompts], seed)
    paths = {}
    for name, texts in answers.items():
        paths[name] = out_dir / f"{name}.jsonl"
        write_jsonl_atomic(paths[name], [{"id": p.id, "answer": t} for p, t in zip(prompts, texts)])
    return paths
