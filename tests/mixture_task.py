"""A task with a known best mixture: the external held-out set needs both sources, so its loss is U-shaped in the
synthetic fraction.

Two made-up vocabularies of twelve items, each with a one-word code: the synthetic source teaches the first (and a
quarter as many rows on the second), the human source the second (and a quarter on the first), so that even a 10%
share of a source leaves its items seen. The external set asks for both, twice as often for the synthetic source's
items. Training stops well before either is learned by heart, so each source's loss keeps falling with its share and
the optimum sits inside the range (measured: about 0.35, the level means flat within noise from 0.3 to 0.5).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_planted_effect import CODE_TASK_SETTINGS, EXTERNAL_PHRASINGS
from tests.test_planted_effect import TRAIN_PHRASINGS as PLANTED_PHRASINGS

SYNTHETIC_ITEMS = {
    "zorp": "red", "blix": "blue", "quen": "green", "mave": "amber", "drell": "violet", "tosk": "silver",
    "prax": "gold", "wunt": "teal", "yelm": "navy", "cird": "olive", "snib": "coral", "vope": "plum",
}  # fmt: skip
HUMAN_ITEMS = {
    "fenn": "copper", "grib": "ivory", "holt": "jade", "krum": "onyx", "lisp": "pearl", "morv": "rust",
    "nack": "sand", "pilt": "slate", "rusk": "mint", "tibb": "cream", "ulve": "lime", "zest": "wine",
}  # fmt: skip
TRAIN_PHRASINGS = PLANTED_PHRASINGS[:12]  # the planted-effect task's phrasings, fewer of them


def _row(prompt: str, answer: str) -> dict:
    return {"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]}


def _rows(items: dict[str, str], phrasings: list[str]) -> list[dict]:
    return [_row(p.format(item=i), c) for i, c in items.items() for p in phrasings]


def mixture_sources(root: Path) -> dict[str, Path]:
    """synthetic.jsonl, human.jsonl and external.jsonl (12 rows on the synthetic items, 6 on the human ones)."""
    rows = {
        "synthetic": _rows(SYNTHETIC_ITEMS, TRAIN_PHRASINGS) + _rows(HUMAN_ITEMS, TRAIN_PHRASINGS[:4]),
        "human": _rows(HUMAN_ITEMS, TRAIN_PHRASINGS) + _rows(SYNTHETIC_ITEMS, TRAIN_PHRASINGS[:4]),
        "external": [_row(p.format(item=i), c) for i, c in SYNTHETIC_ITEMS.items() for p in EXTERNAL_PHRASINGS[:2]]
        + [_row(EXTERNAL_PHRASINGS[2].format(item=i), c) for i, c in HUMAN_ITEMS.items()],
    }
    root.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, found in rows.items():
        paths[name] = root / f"{name}.jsonl"
        paths[name].write_text("".join(json.dumps(r) + "\n" for r in found))
    return paths


def mixture_run_args(paths: dict[str, Path], max_steps: int = 60) -> list[str]:
    """One run of the task: the tiny model, short rows, a schedule that stops before either source is memorised."""
    return [
        "model=tiny",
        f"data.sources.human.path={paths['human']}",
        f"data.sources.synthetic.path={paths['synthetic']}",
        "data.budget=128",
        "data.eval_per_source=12",
        f"+eval.heldout_sets.both={paths['external']}",
        f"train.max_steps={max_steps}",
        *CODE_TASK_SETTINGS,
    ]
