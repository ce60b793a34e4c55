"""Bradley-Terry + 1000 bootstrap rounds on 10k battles; goal <= 2 s on a 2-core CPU.

Baseline in the same run: the same fit done the straightforward way, one L-BFGS call per bootstrap
round (on 100 rounds, scaled to 1000), so the ratio shows what the stacked fit buys.
Prints a table and appends it to BENCHMARKS.md.
"""

from __future__ import annotations

import time

import numpy as np

from bench.common import append_benchmarks, print_table
from sft_ablate import ratings as R

MODELS = {"base": 1000.0, "a": 1060.0, "b": 1120.0, "c": 940.0, "d": 1200.0, "e": 1010.0, "f": 1150.0, "g": 980.0}


def simulate(n: int, rng: np.random.Generator) -> list[R.Battle]:
    names = list(MODELS)
    battles = []
    for _ in range(n):
        i, j = rng.choice(len(names), 2, replace=False)
        p = 1.0 / (1.0 + 10 ** ((MODELS[names[j]] - MODELS[names[i]]) / 400))
        battles.append(R.Battle(names[i], names[j], 1.0 if rng.random() < p else 0.0))
    return battles


def main() -> None:
    battles = simulate(10_000, np.random.default_rng(0))
    start = time.perf_counter()
    R.bradley_terry(battles, anchor="base", bootstrap_rounds=1000)
    stacked = time.perf_counter() - start

    models = sorted(MODELS)
    cells = R._cells(battles, models)
    resampled = np.random.default_rng(1).multinomial(len(battles), cells.counts / cells.counts.sum(), size=100)
    start = time.perf_counter()
    for row in resampled.astype(float):
        R._fit(cells, row[None, :], models.index("base"), 1.0)
    one_by_one = (time.perf_counter() - start) * 10  # 100 rounds -> 1000

    rows = [
        (
            "Bradley-Terry + 1000 bootstraps, 10k battles, 8 models (stacked fit)",
            f"{stacked:.2f} s",
            "<= 2 s",
            "met" if stacked <= 2 else "MISSED",
        ),
        ("baseline: one fit per bootstrap round (100 rounds x 10)", f"{one_by_one:.2f} s", "", ""),
        ("ratio baseline / ours", f"{one_by_one / stacked:.1f}x", "", ""),
    ]
    print_table("Elo ratings", ["measure", "value", "goal", "status"], rows)
    append_benchmarks("Elo ratings", ["measure", "value", "goal", "status"], rows)


if __name__ == "__main__":
    main()
