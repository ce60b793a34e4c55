"""The Elo arena: the base model and every run's model answer the same prompts; a judge picks the better
answer of each pair, in both orders; Bradley-Terry ratings with bootstrap CIs follow.

All runs under an outputs root share one pool, the SQLite store of ``arena_store.py``. A new run adds its
answers, then battles the base model and ``arena.opponents`` earlier runs (a seeded sample, so the cost
of a run stays the same however many runs the pool holds). Judgments are cached in the store by
(judge config, prompt, answer shown first, answer shown second): no battle is ever judged twice.

A battle counts as a win only when both orders agree; otherwise it is a tie. How often the orders agree
(the swap agreement) measures the judge's position bias. Battles with an unparseable verdict are dropped
and counted.

``python -m sft_ablate.arena OUTPUTS_ROOT`` recomputes the leaderboard from the store (no judge call),
prints it and draws a forest plot; ``--add-battles`` judges every pair of models that has not met yet.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import random
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sft_ablate.arena_judges import Matchup, judge_hash, make_judge
from sft_ablate.arena_store import STORE_FILE, ArenaStore, StoredBattle
from sft_ablate.cache import content_key
from sft_ablate.config import ArenaConfig, BackendConfig, JudgeConfig, SamplingConfig
from sft_ablate.errors import DataError, SftAblateError
from sft_ablate.formats import Messages
from sft_ablate.generation import Sampling
from sft_ablate.ratings import Battle, Rating, bradley_terry

log = logging.getLogger(__name__)

Generate = Callable[[list[Messages], Sampling], list[str]]
SCORE_OF_FIRST = {"A": 1.0, "B": 0.0, "C": 0.5}  # a verdict, as the score of the answer shown first


# ---- prompts ------------------------------------------------------------------------------------------------


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
    """The arena prompts, and how many were skipped because the reference judge could not decide them."""
    path = Path(arena.prompts).expanduser()
    if not path.is_file():
        raise DataError(f"arena.prompts: {path} does not exist")
    references = _mt_bench_references(Path(arena.references).expanduser()) if arena.references else {}
    prompts, skipped = [], 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{number}: not a JSON object ({err.msg})") from err
        turns = row.get("turns") if isinstance(row, dict) else None
        if not (isinstance(turns, list) and turns and all(isinstance(t, str) and t.strip() for t in turns)):
            raise DataError(f"{path}:{number}: `turns` must be a non-empty list of user turns (strings)")
        if len(turns) < arena.turns:
            raise DataError(f"{path}:{number}: has {len(turns)} turn(s), but arena.turns is {arena.turns}")
        prompt_id = str(row.get("id", row.get("question_id", number)))
        last = arena.turns - 1
        reference = _turn_value(row.get("reference"), last) or _turn_value(references.get(prompt_id), last)
        answer = _turn_value(row.get("answer"), last)
        if judge.kind == "reference" and reference is None and answer is None:
            skipped += 1  # nothing for the reference judge to decide with
            continue
        turns = tuple(turns[: arena.turns])
        key = content_key("arena-prompt-v1", turns, reference, answer, asdict(arena.sampling))
        prompts.append(ArenaPrompt(prompt_id, turns, reference, answer, key))
    prompts = prompts[: arena.max_prompts] if arena.max_prompts else prompts
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
    if not path.is_file():
        raise DataError(f"arena.references: {path} does not exist")
    out = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
                out[str(row["question_id"])] = list(row["choices"][0]["turns"])
            except (json.JSONDecodeError, KeyError, IndexError, TypeError) as err:
                raise DataError(f"{path}:{number}: expected question_id and choices[0].turns ({err})") from err
    return out


# ---- answers ------------------------------------------------------------------------------------------------


def answer_prompts(generate: Generate, prompts: list[ArenaPrompt], seeds: list[int],
                   sampling: SamplingConfig) -> list[tuple[str, int, list[str]]]:
    """(prompt key, seed, one answer per turn) for each prompt and seed; turn 2 sees the model's own turn 1."""
    out = []
    for seed in seeds:
        setting = Sampling(**{**asdict(sampling), "seed": seed})
        conversations: list[Messages] = [[] for _ in prompts]
        for turn in range(len(prompts[0].turns)):
            for conversation, prompt in zip(conversations, prompts):
                conversation.append({"role": "user", "content": prompt.turns[turn]})
            texts = generate([list(c) for c in conversations], setting)
            for conversation, text in zip(conversations, texts):
                conversation.append({"role": "assistant", "content": text})
        out += [(p.key, seed, [m["content"] for m in c if m["role"] == "assistant"]) for p, c in zip(prompts, conversations)]
    return out


def local_generator(model: Any, tokenizer: Any, batch_size: int) -> Generate:
    from sft_ablate.generation import generate_local

    return lambda conversations, sampling: generate_local(model, tokenizer, conversations, sampling, batch_size, progress=False)


@contextmanager
def base_generator(config: Any, loaded: Any, cache_dir: Path) -> Iterator[Generate]:
    """The base model's answers: from arena.base_backend if set; else with LoRA, the adapter switched off; after
    full fine-tuning, its weights reloaded."""
    if config.arena.base_backend is not None:
        from sft_ablate.backends import make_backend

        backend = make_backend(config.arena.base_backend, cache_dir)
        yield lambda conversations, sampling: backend.generate(conversations, sampling)
        return
    if config.lora.enabled:
        with loaded.model.disable_adapter():
            yield local_generator(loaded.model, loaded.tokenizer, config.arena.batch_size)
        return
    from sft_ablate.backends import load_weights

    model, tokenizer = load_weights(config.model, loaded.base_dir, f"base model {config.model.name}")
    yield local_generator(model, tokenizer, config.arena.batch_size)


# ---- battles ------------------------------------------------------------------------------------------------


def judgment_key(judge: str, prompt: dict[str, Any], first: list[str], second: list[str]) -> str:
    """The cache key of one judgment. The order is in it as the positions of the two answers."""
    return content_key("arena-judgment-v1", judge, prompt["turns"], prompt["reference"], prompt["answer"], first, second)


def matchup(prompt: dict[str, Any], first: list[str], second: list[str]) -> Matchup:
    return Matchup(tuple(prompt["turns"]), prompt["reference"], prompt["answer"], tuple(first), tuple(second))


def play(store: ArenaStore, judge: JudgeConfig, cache_dir: Path, fixtures: list[tuple[str, str, str, int]]) -> dict[str, int]:
    """Schedule battles (model_a, model_b, prompt_key, seed) in both orders; judge what no one judged before."""
    jhash = judge_hash(judge)
    prompts, generations = store.prompts(), store.generations()
    rows, todo = [], {}
    for a, b, key, seed in fixtures:
        answer_a, answer_b = generations[(a, key, seed)], generations[(b, key, seed)]
        key_ab = judgment_key(jhash, prompts[key], answer_a, answer_b)
        key_ba = judgment_key(jhash, prompts[key], answer_b, answer_a)
        rows.append((jhash, key, seed, a, b, key_ab, key_ba))
        todo[key_ab] = matchup(prompts[key], answer_a, answer_b)
        todo[key_ba] = matchup(prompts[key], answer_b, answer_a)
    store.add_battles(rows)
    done = store.judged(todo)
    missing = [k for k in todo if k not in done]
    if missing:  # the judge (maybe a model to load) only when there is something to judge
        log.info("arena: %d judgments to make (%d cached)", len(missing), len(done))
        make_judge(judge, cache_dir).judge(
            [todo[k] for k in missing],
            on_result=lambda i, j: store.add_judgment(missing[i], jhash, j.verdict, j.raw),  # stored at once
        )
    return {"judgments": len(todo), "judge_calls": len(missing), "cached_judgments": len(todo) - len(missing)}


@dataclass
class Outcomes:
    battles: list[Battle]  # decided battles: score for model_a (1, 0.5, 0)
    agreed: int  # of those, battles whose two orders agree
    unparseable: int  # judgments with no usable verdict (their battles are dropped)
    pending: int  # battles with a judgment still missing

    @property
    def swap_agreement(self) -> float | None:
        return self.agreed / len(self.battles) if self.battles else None


def outcomes(stored: list[StoredBattle], model: str | None = None) -> Outcomes:
    result = Outcomes([], 0, 0, 0)
    for b in stored:
        if model is not None and model not in (b.model_a, b.model_b):
            continue
        if not (b.judged_ab and b.judged_ba):
            result.pending += 1
            continue
        if b.verdict_ab is None or b.verdict_ba is None:
            result.unparseable += (b.verdict_ab is None) + (b.verdict_ba is None)
            continue
        first = SCORE_OF_FIRST[b.verdict_ab]  # model_a shown first
        swapped = 1.0 - SCORE_OF_FIRST[b.verdict_ba]  # model_a shown second
        agree = first == swapped
        result.agreed += agree
        result.battles.append(Battle(b.model_a, b.model_b, first if agree else 0.5))
    return result


# ---- ratings ------------------------------------------------------------------------------------------------


@dataclass
class Leaderboard:
    anchor: str
    judge: str
    ratings: list[Rating]  # best first
    mean_length: dict[str, float]  # words in the judged answer
    outcomes: Outcomes
    stored: list[StoredBattle]

    def rating(self, model: str) -> Rating | None:
        return next((r for r in self.ratings if r.model == model), None)

    def rows(self) -> list[dict[str, Any]]:
        return [{"model": r.model, "rating": round(r.rating, 1), "ci_low": round(r.ci_low, 1), "ci_high": round(r.ci_high, 1),
                 "online_elo": round(r.elo, 1), "win_rate_vs_base": _round(r.win_rate_vs_anchor),
                 "win_rate_ci_low": _round(r.win_rate_ci_low), "win_rate_ci_high": _round(r.win_rate_ci_high),
                 "battles": r.battles, "mean_answer_length": _round(self.mean_length.get(r.model), 1)}
                for r in self.ratings]


def leaderboard(store: ArenaStore, judge: str, anchor: str, bootstrap_rounds: int = 1000, seed: int = 0) -> Leaderboard:
    stored = store.battles(judge)
    result = outcomes(stored)
    ratings = bradley_terry(result.battles, anchor, bootstrap_rounds, seed) if result.battles else []
    lengths = store.mean_lengths({b.prompt_key for b in stored})
    return Leaderboard(anchor, judge, ratings, lengths, result, stored)


def elo_metrics(board: Leaderboard, model: str) -> dict[str, float | None] | None:
    """The run's metrics.elo (the keys the report reads), or None when it has no decided battle."""
    r = board.rating(model)
    if r is None:
        return None
    return {"rating": round(r.rating, 2), "ci_low": round(r.ci_low, 2), "ci_high": round(r.ci_high, 2),
            "win_rate_vs_base": _round(r.win_rate_vs_anchor), "win_rate_ci_low": _round(r.win_rate_ci_low),
            "win_rate_ci_high": _round(r.win_rate_ci_high), "mean_answer_length": _round(board.mean_length.get(model), 2)}


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# ---- the run's arena stage -----------------------------------------------------------------------------------


def store_path(arena: ArenaConfig, run_dir: Path) -> Path:
    return Path(arena.store).expanduser() if arena.store else run_dir.parent / STORE_FILE


def run_model_id(store_file: Path, run_dir: Path) -> str:
    """The run dir relative to the store's dir (e.g. '0_30_70_r8_s0' in a multirun), or its full path."""
    run_dir = run_dir.resolve()
    try:
        return run_dir.relative_to(store_file.resolve().parent).as_posix()
    except ValueError:
        return str(run_dir)


def base_model_id(store: ArenaStore, name: str, base_dir: str) -> str:
    """'base/<model>', unless the pool holds another base model of that name (a tiny model of other data)."""
    known = store.models().get(f"base/{name}")
    if known is None or known.get("base_dir") == base_dir:
        return f"base/{name}"
    return f"base/{name}-{content_key(base_dir)[:6]}"


def pick_opponents(store: ArenaStore, me: str, wanted: list[tuple[str, int]], count: int, seed: int) -> list[str]:
    """Up to ``count`` earlier runs that answered the same prompts with the same settings, drawn with a seed."""
    generations = store.generations()
    eligible = [m for m, info in store.models().items()
                if info["kind"] == "run" and m != me and all((m, k, s) in generations for k, s in wanted)]
    return sorted(random.Random(f"{seed}/{me}").sample(eligible, min(count, len(eligible))))


def run_arena(config: Any, loaded: Any, run_dir: Path, run_factors: dict[str, Any], cache_dir: Path) -> dict[str, Any]:
    """Answer the arena prompts, battle the base model and earlier runs, rate the pool. Returns results sections."""
    arena, judge = config.arena, config.judge
    prompts, skipped = load_prompts(arena, judge)
    path = store_path(arena, run_dir)
    jhash = judge_hash(judge)
    wanted = [(p.key, s) for p in prompts for s in arena.seeds]
    with ArenaStore(path) as store:
        store.add_judge(jhash, asdict(judge))
        store.add_prompts({p.key: p.record() for p in prompts})
        base_spec = arena.base_backend
        base_name, base_dir = ((config.model.name, loaded.base_dir) if base_spec is None
                               else (base_spec.model, f"{base_spec.kind}:{base_spec.base_url or base_spec.model}"))
        base = base_model_id(store, base_name, base_dir)
        store.add_model(base, "base", {"model": base_name, "base_dir": base_dir})
        me = run_model_id(path, run_dir)
        store.add_model(me, "run", {"run_dir": str(run_dir.resolve()), "factors": run_factors})

        # Answers already in the store are kept: the base answers once per pool, a resumed run not again.
        for model, generator in ((base, lambda: base_generator(config, loaded, cache_dir)),
                                 (me, lambda: nullcontext(local_generator(loaded.model, loaded.tokenizer, arena.batch_size)))):
            have = store.generations(model)
            todo = [p for p in prompts if any((model, p.key, s) not in have for s in arena.seeds)]
            if todo:
                log.info("arena: %s answers %d prompts x %d seeds", model, len(todo), len(arena.seeds))
                with generator() as generate:
                    answers = answer_prompts(generate, todo, arena.seeds, arena.sampling)
                store.add_generations((model, key, seed, a) for key, seed, a in answers)

        opponents = pick_opponents(store, me, wanted, arena.opponents, arena.seed)
        fixtures = [(me, other, key, seed) for other in [base, *opponents] for key, seed in wanted]
        log.info("arena: %d battles against %s, judge %s (judged ones come from the store)",
                 len(fixtures), ", ".join([base, *opponents]), judge.name)
        calls = play(store, judge, cache_dir, fixtures)
        board = leaderboard(store, jhash, base, arena.bootstrap_rounds, arena.seed)
        models = store.models()

    mine = outcomes(board.stored, me)
    rating = board.rating(me)
    summary = {
        "store": str(path), "judge": judge.name, "judge_hash": jhash, "model_id": me, "base_model": base,
        "opponents": opponents, "prompts": len(prompts), "prompts_skipped": skipped, "seeds": list(arena.seeds),
        "turns": arena.turns, "battles": len(mine.battles), "swap_agreement": _round(mine.swap_agreement),
        "unparseable": mine.unparseable, "pending": mine.pending, **calls,
        "online_elo": None if rating is None else round(rating.elo, 2),
        "base_mean_answer_length": _round(board.mean_length.get(base), 2),
        "pool": {"models": len(models), "battles": len(board.outcomes.battles),
                 "swap_agreement": _round(board.outcomes.swap_agreement), "unparseable": board.outcomes.unparseable},
        "leaderboard": board.rows(),
    }
    return {"elo": elo_metrics(board, me), "arena": summary}


# ---- python -m sft_ablate.arena -----------------------------------------------------------------------------


def judge_from_store(config: dict[str, Any]) -> JudgeConfig:
    backend = config.get("backend")
    return JudgeConfig(**{**config, "backend": BackendConfig(**backend) if backend else None,
                          "sampling": SamplingConfig(**config["sampling"])})


def missing_fixtures(store: ArenaStore, judge: str) -> list[tuple[str, str, str, int]]:
    """Every pair of models, on every (prompt, seed) both answered, that has no battle under this judge yet."""
    met = {(b.prompt_key, b.seed, frozenset((b.model_a, b.model_b))) for b in store.battles(judge)}
    answered: dict[tuple[str, int], list[str]] = {}
    for model, key, seed in store.generations():
        answered.setdefault((key, seed), []).append(model)
    fixtures = []
    for (key, seed), models in sorted(answered.items()):
        models = sorted(models)
        for i, a in enumerate(models):
            fixtures += [(a, b, key, seed) for b in models[i + 1 :] if (key, seed, frozenset((a, b))) not in met]
    return fixtures


def update_results(board: Leaderboard, models: dict[str, dict[str, Any]]) -> list[Path]:
    """Write the pool's current ratings into each finished run's results.json (metrics.elo, arena.pool_rating)."""
    from sft_ablate.record import read_results, write_json_atomic

    written = []
    for model, info in models.items():
        run_dir = Path(info.get("run_dir") or "/nonexistent")
        results = read_results(run_dir) if info["kind"] == "run" and run_dir.is_dir() else None
        metrics = elo_metrics(board, model)
        if results is None or metrics is None or results.get("status") == "running":
            continue
        results.setdefault("metrics", {})["elo"] = metrics
        results.setdefault("arena", {})["pool_rating"] = {"models": len(board.ratings), "battles": len(board.outcomes.battles),
                                                          "judge_hash": board.judge}
        write_json_atomic(run_dir / "results.json", results)
        written.append(run_dir / "results.json")
    return written


def forest_plot(board: Leaderboard, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratings = board.ratings[::-1]  # best at the top
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(ratings) + 1.2))
    y = range(len(ratings))
    ax.errorbar([r.rating for r in ratings], y, fmt="o", capsize=3,
                xerr=[[r.rating - r.ci_low for r in ratings], [r.ci_high - r.rating for r in ratings]])
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
    table = Table(title=f"Arena leaderboard: judge {judge_name} ({board.judge}), {len(o.battles)} battles, "
                        f"swap agreement {agreement}, {o.unparseable} unparseable, {o.pending} pending")
    for column in ("#", "model", "rating (95% CI)", "online Elo", "win rate vs base (95% CI)", "battles", "mean answer words"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for rank, row in enumerate(board.rows(), 1):
        win = "" if row["win_rate_vs_base"] is None else \
            f"{row['win_rate_vs_base']:.2f} [{row['win_rate_ci_low']:.2f}, {row['win_rate_ci_high']:.2f}]"
        table.add_row(str(rank), row["model"], f"{row['rating']:.0f} [{row['ci_low']:.0f}, {row['ci_high']:.0f}]",
                      f"{row['online_elo']:.0f}", win, str(row["battles"]),
                      "" if row["mean_answer_length"] is None else f"{row['mean_answer_length']:.1f}")
    Console(width=160).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sft_ablate.arena", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", type=Path, help=f"an outputs root holding {STORE_FILE} (e.g. a multirun dir), or the file")
    parser.add_argument("--judge", help="the judge hash to rate by (default: the judge with the most battles)")
    parser.add_argument("--anchor", help="the model fixed at 1000 (default: the base model with the most battles)")
    parser.add_argument("--add-battles", action="store_true", help="first judge every pair of models that has not met")
    parser.add_argument("--update-results", action="store_true",
                        help="write the pool's ratings into every finished run's results.json (metrics.elo)")
    parser.add_argument("--bootstrap-rounds", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", type=Path, help="the forest plot (default: ROOT/arena_leaderboard.png)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="embedding/model cache (default: $SFT_ABLATE_CACHE)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return _leaderboard_command(args)
    except SftAblateError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _leaderboard_command(args: argparse.Namespace) -> int:
    import os

    path = args.root if args.root.suffix == ".sqlite" else args.root / STORE_FILE
    if not path.is_file():
        raise DataError(f"{path} does not exist: no arena store under {args.root} (runs write one with arena.enabled=true)")
    root = path.parent
    cache_dir = args.cache_dir or Path(os.environ.get("SFT_ABLATE_CACHE", Path.home() / ".cache" / "sft-ablate"))
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
