"""`python -m sft_ablate.arena OUTPUTS_ROOT`: the leaderboard of an arena pool, recomputed from its store.

It prints the leaderboard (no judge call), draws a forest plot; `--add-battles` first judges every pair of
models that has not met yet, `--update-results` writes the pool's ratings into every finished run.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from sft_ablate.arena.stage import (
    Leaderboard,
    judge_from_store,
    leaderboard,
    missing_fixtures,
    play,
    update_results,
)
from sft_ablate.arena.store import STORE_FILE, ArenaStore
from sft_ablate.cli import run_command
from sft_ablate.errors import DataError
from sft_ablate.paths import default_cache_dir


def forest_plot(board: Leaderboard, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratings = board.ratings[::-1]  # best at the top
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(ratings) + 1.2))
    y = range(len(ratings))
    ax.errorbar(
        [r.rating for r in ratings],
        y,
        fmt="o",
        capsize=3,
        xerr=[[r.rating - r.ci_low for r in ratings], [r.ci_high - r.rating for r in ratings]],
    )
    ax.axvline(1000, color="grey", linestyle=":", linewidth=1)
    ax.set_yticks(list(y), [r.model for r in ratings])
    ax.set_xlabel(f"Bradley-Terry rating, 95% bootstrap CI ({board.anchor} = 1000)")
    ax.set_title(f"Arena leaderboard ({len(board.outcomes.battles)} battles)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def print_leaderboard(board: Leaderboard, judge_name: str) -> None:
    from rich.console import Console
    from rich.table import Table

    o = board.outcomes
    agreement = "n/a" if o.swap_agreement is None else f"{o.swap_agreement:.2f}"
    table = Table(
        title=f"Arena leaderboard: judge {judge_name} ({board.judge}), {len(o.battles)} battles, "
        f"swap agreement {agreement}, {o.unparseable} unparseable, {o.pending} pending"
    )
    for column in ("#", "model", "rating (95% CI)", "online Elo", "win rate vs base (95% CI)", "battles", "mean answer words"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for rank, row in enumerate(board.rows(), 1):
        win = (
            ""
            if row["win_rate_vs_base"] is None
            else f"{row['win_rate_vs_base']:.2f} [{row['win_rate_ci_low']:.2f}, {row['win_rate_ci_high']:.2f}]"
        )
        table.add_row(
            str(rank),
            row["model"],
            f"{row['rating']:.0f} [{row['ci_low']:.0f}, {row['ci_high']:.0f}]",
            f"{row['online_elo']:.0f}",
            win,
            str(row["battles"]),
            "" if row["mean_answer_length"] is None else f"{row['mean_answer_length']:.1f}",
        )
    Console(width=160).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sft_ablate.arena", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help=f"an outputs root holding {STORE_FILE} (e.g. a multirun dir), or the file")
    parser.add_argument("--judge", help="the judge hash to rate by (default: the judge with the most battles)")
    parser.add_argument("--anchor", help="the model fixed at 1000 (default: the base model with the most battles)")
    parser.add_argument("--add-battles", action="store_true", help="first judge every pair of models that has not met")
    parser.add_argument(
        "--update-results",
        action="store_true",
        help="write the pool's ratings into every finished run's results.json (metrics.elo)",
    )
    parser.add_argument("--bootstrap-rounds", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", type=Path, help="the forest plot (default: ROOT/arena_leaderboard.png)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="embedding/model cache (default: $SFT_ABLATE_CACHE)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run_command(lambda: _leaderboard_command(args))


def _leaderboard_command(args: argparse.Namespace) -> int:
    path = args.root if args.root.suffix == ".sqlite" else args.root / STORE_FILE
    if not path.is_file():
        raise DataError(f"{path} does not exist: no arena store under {args.root} (runs write one with arena.enabled=true)")
    root = path.parent
    cache_dir = args.cache_dir or default_cache_dir()
    with ArenaStore(path) as store:
        judges, stored = store.judges(), {}
        for jhash in judges:
            stored[jhash] = len(store.battles(jhash))
        if not judges:
            raise DataError(f"{path} holds no judge yet")
        jhash = args.judge or max(stored, key=stored.get)
        matches = [h for h in judges if h.startswith(jhash)]
        if len(matches) != 1:
            raise DataError(f"--judge {jhash}: the store has judges {', '.join(judges)}")
        jhash = matches[0]
        calls_before = store.counter("judge_calls")
        if args.add_battles:
            fixtures = missing_fixtures(store, jhash)
            print(f"adding {len(fixtures)} battles")
            if fixtures:
                play(store, judge_from_store(judges[jhash]), cache_dir, fixtures)
        models = store.models()
        anchor = args.anchor or _default_anchor(store, jhash, models)
        board = leaderboard(store, jhash, anchor, args.bootstrap_rounds, args.seed)
        calls = store.counter("judge_calls") - calls_before
    print_leaderboard(board, judges[jhash].get("name", "?"))
    plot = args.plot or root / "arena_leaderboard.png"
    if board.ratings:
        forest_plot(board, plot)
        print(f"forest plot: {plot}")
    if args.update_results:
        for written in update_results(board, models):
            print(f"updated {written}")
    print(f"judge calls made: {calls}")
    return 0


def _default_anchor(store: ArenaStore, judge: str, models: dict[str, dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for b in store.battles(judge):
        for m in (b.model_a, b.model_b):
            counts[m] = counts.get(m, 0) + 1
    bases = [m for m, info in models.items() if info["kind"] == "base"]
    if not bases:
        raise DataError("the store holds no base model to anchor the ratings at; name one with --anchor")
    return max(bases, key=lambda m: counts.get(m, 0))


if __name__ == "__main__":
    sys.exit(main())
