"""`python -m sft_ablate.arena OUTPUTS_ROOT`: the leaderboard of an arena pool, recomputed from its store.

It prints the leaderboard (no judge call), draws a forest plot; `--add-battles` first judges every pair of
models that has not met yet, `--update-results` writes the pool's ratings into every finished run,
`--json` prints the leaderboard as JSON, `--validate A,B,C` prints Kendall tau between the arena's ranking
and a known order (best first). ROOT may also be a PostgreSQL URL (``arena.store=postgresql+psycopg://...``).
With ``--json``, stdout holds the one JSON document and nothing else: anything a library prints while the command
works (transformers prints "[INFO] Running in WANDB offline mode" when it is imported) goes to stderr.

`python -m sft_ablate.arena import NAME ANSWERS.jsonl --prompts PROMPTS.jsonl [--store FILE]` adds a model's
answers from outside (another system, an API, a published model's outputs) to a store; the leaderboard
command above then judges and rates them. (A directory literally named `import` is `./import`.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from pathlib import Path
from typing import Any

from sft_ablate.arena.audit import audit_pool
from sft_ablate.arena.battles import missing_fixtures, play
from sft_ablate.arena.external import PromptFields, import_answers, load_judge, load_prompt_file
from sft_ablate.arena.judges import judge_from_store
from sft_ablate.arena.leaderboard import Leaderboard, leaderboard
from sft_ablate.arena.pool_ratings import update_results
from sft_ablate.arena.postgres import is_database_url
from sft_ablate.arena.store import STORE_FILE, ArenaStore, Location, store_location
from sft_ablate.command import quiet_libraries, run_command
from sft_ablate.errors import DataError
from sft_ablate.launch.hydra_setup import register
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
    columns = (
        "#",
        "model",
        f"rating (95% CI), {board.anchor} = 1000",
        "diff to next below (95% CI)",
        "online Elo",
        f"win rate vs {board.anchor} (95% CI)",
        "battles",
        "mean answer words",
        "length-controlled (95% CI)",
    )
    for column in columns:
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
            _diff_cell(row),
            f"{row['online_elo']:.0f}",
            win,
            str(row["battles"]),
            "" if row["mean_answer_length"] is None else f"{row['mean_answer_length']:.1f}",
            "" if row["lc_rating"] is None else f"{row['lc_rating']:.0f} [{row['lc_ci_low']:.0f}, {row['lc_ci_high']:.0f}]",
        )
    Console(width=160).print(table)


def _diff_cell(row: dict[str, Any]) -> str:
    if row["diff_vs_next"] is None:
        return ""
    low, high = row["diff_vs_next_ci_low"], row["diff_vs_next_ci_high"]
    apart = "" if low > 0 or high < 0 else " (not apart)"
    return f"{row['diff_vs_next']:+.0f} [{low:+.0f}, {high:+.0f}]{apart}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    register()  # --judge NAME composes a judge option of the main app
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if argv[:1] == ["import"]:
        args = _import_parser().parse_args(argv[1:])
        return run_command(lambda: _import_command(args))
    parser = argparse.ArgumentParser(prog="python -m sft_ablate.arena", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "root",
        help=f"an outputs root holding {STORE_FILE} (e.g. a multirun dir), the file, or a postgresql+psycopg:// URL",
    )
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
    parser.add_argument("--json", action="store_true", help="print the leaderboard as JSON (for scripts), nothing else")
    parser.add_argument("--audit", action="store_true", help="first judge the judge's ladder, enter the canary")
    parser.add_argument(
        "--validate",
        metavar="BEST,...,WORST",
        help="models in a known order, best first: print Kendall tau between it and the arena's ranking",
    )
    args = parser.parse_args(argv)
    return run_command(lambda: _leaderboard_command(args))


def _import_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sft_ablate.arena import",
        description="Add a model's answers to an arena store; then `python -m sft_ablate.arena STORE --add-battles` "
        "judges and rates them.",
    )
    parser.add_argument("name", help="the model's name in the pool")
    parser.add_argument("answers", type=Path, help="JSONL: `answer` (see --text-field) and `id` or `prompt` per row")
    parser.add_argument("--prompts", type=Path, required=True, help="JSONL prompt file (fields: see --prompt-field...)")
    parser.add_argument(
        "--store", default=STORE_FILE, help=f"the store: a file or a postgresql+psycopg:// URL (default: ./{STORE_FILE})"
    )
    parser.add_argument("--judge", default="reference", help="a conf/judge option or judge YAML the store rates with")
    parser.add_argument("--fields", type=Path, help="YAML naming the prompt file's fields (prompt, id, reference, answer)")
    parser.add_argument("--prompt-field", default=None, help="the user turn (a string) or turns (a list); default turns")
    parser.add_argument("--id-field", default=None, help="the prompt id (default id; absent: the line number)")
    parser.add_argument("--reference-field", default=None, help="a reference answer (default reference)")
    parser.add_argument("--answer-field", default=None, help="a verifiable final answer, a number (default answer)")
    parser.add_argument("--text-field", default="answer", help="the answer text in ANSWERS (default answer)")
    parser.add_argument("--max-prompts", type=int, default=None, help="the first N prompts only (default: all)")
    return parser


def _import_command(args: argparse.Namespace) -> int:
    names = PromptFields.from_yaml(args.fields) if args.fields else PromptFields()
    overrides = {
        "prompt": args.prompt_field,
        "id": args.id_field,
        "reference": args.reference_field,
        "answer": args.answer_field,
    }
    names = PromptFields(**{**names.__dict__, **{k: v for k, v in overrides.items() if v is not None}})
    prompts = load_prompt_file(args.prompts, names, args.max_prompts)
    judge = load_judge(args.judge)
    count = import_answers(store_location(args.store, Path.cwd()), args.name, args.answers, prompts, judge, args.text_field)
    print(f"imported {count} answers of {args.name} ({len(prompts)} prompts) into {args.store}; judge {judge.name}")
    return 0


def _leaderboard_command(args: argparse.Namespace) -> int:
    if not args.json:
        return _leaderboard(args)
    with contextlib.redirect_stdout(sys.stderr):  # stdout is the JSON document only, whatever a library prints
        document = _leaderboard(args)
    print(json.dumps(document, indent=1))
    return 0


def _root_store(root: str) -> Location:
    """The store a ROOT argument names: a URL, a .sqlite file, or the store file in an outputs root."""
    if is_database_url(root) or root.endswith(".sqlite"):
        return store_location(root, Path.cwd())
    return Path(root) / STORE_FILE


def _leaderboard(args: argparse.Namespace) -> Any:
    """The command's work; with --json, the document to print (stdout is then stderr until it is printed)."""
    location = _root_store(args.root)
    if isinstance(location, Path) and not location.is_file():
        raise DataError(f"{location} does not exist: no arena store under {args.root} (runs write one with arena.enabled=true)")
    quiet_libraries()
    with ArenaStore(location) as store:
        judges = store.judges()
        jhash = _pick_judge(store, judges, args.judge)
        calls_before = store.counter("judge_calls")
        if args.audit:  # before --add-battles, which then pairs the canary with the pool
            audit_pool(store, judge_from_store(judges[jhash]), args.cache_dir or default_cache_dir())
        if args.add_battles:
            fixtures = missing_fixtures(store, jhash)
            print(f"adding {len(fixtures)} battles")
            if fixtures:
                play(store, judge_from_store(judges[jhash]), args.cache_dir or default_cache_dir(), fixtures)
        models = store.models()
        anchor = args.anchor or _default_anchor(store, jhash, models)
        board = leaderboard(store, jhash, anchor, args.bootstrap_rounds, args.seed)
        calls = store.counter("judge_calls") - calls_before
    tau = kendall_tau(board, args.validate.split(",")) if args.validate else None
    if args.json:
        return _leaderboard_json(board, judges[jhash].get("name"), calls, tau)
    print_leaderboard(board, judges[jhash].get("name", "?"))
    if board.audit is not None:
        print(board.audit.describe())
    plot = args.plot or (location.parent if isinstance(location, Path) else Path.cwd()) / "arena_leaderboard.png"
    if board.ratings:
        forest_plot(board, plot)
        print(f"forest plot: {plot}")
    if args.update_results:
        for written in update_results(board, models):
            print(f"updated {written}")
    if tau is not None:
        print(f"Kendall tau between the arena's ranking and {args.validate}: {tau:.3f}")
    print(f"judge calls made: {calls}")
    return 0


def _pick_judge(store: ArenaStore, judges: dict[str, dict[str, Any]], wanted: str | None) -> str:
    """The judge hash that ``--judge`` starts with; by default the judge with the most battles."""
    if not judges:
        raise DataError(f"{store} holds no judge yet")
    jhash = wanted or max(judges, key=lambda h: len(store.battles(h)))
    matches = [h for h in judges if h.startswith(jhash)]
    if len(matches) != 1:
        raise DataError(f"--judge {jhash}: the store has judges {', '.join(judges)}")
    return matches[0]


def _leaderboard_json(board: Leaderboard, judge_name: str | None, calls: int, tau: float | None) -> dict[str, Any]:
    o = board.outcomes
    return {
        "judge": judge_name,
        "judge_hash": board.judge,
        "anchor": board.anchor,
        "battles": len(o.battles),
        "swap_agreement": o.swap_agreement,
        "unparseable": o.unparseable,
        "pending": o.pending,
        "judge_calls": calls,
        "kendall_tau": tau,
        "audit": None if board.audit is None else board.audit.summary(),
        "length_effect": None if board.lc is None else {"elo_per_rms_gap": board.lc.beta, "ci": list(board.lc.beta_ci)},
        "leaderboard": board.rows(),
    }


def kendall_tau(board: Leaderboard, known_order: list[str]) -> float:
    """Kendall tau between a known order (best first) and the arena's ratings of those models."""
    from scipy.stats import kendalltau

    missing = [m for m in known_order if board.rating(m) is None]
    if missing or len(known_order) < 2:
        raise DataError(f"--validate: needs 2+ rated models; not rated: {', '.join(missing) or '-'}")
    known_rank = list(range(len(known_order), 0, -1))  # best first: highest rank
    return float(kendalltau(known_rank, [board.rating(m).rating for m in known_order]).statistic)


def _default_anchor(store: ArenaStore, judge: str, models: dict[str, dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for b in store.battles(judge):
        for m in (b.model_a, b.model_b):
            counts[m] = counts.get(m, 0) + 1
    bases = [m for m, info in models.items() if info["kind"] == "base"]
    if not bases:  # a pool of imported answers: the first model imported
        played = [m for m in models if counts.get(m)]
        if not played:
            raise DataError("no model in the store has a battle yet: add some with --add-battles")
        return played[0]
    return max(bases, key=lambda m: counts.get(m, 0))
