"""The Elo arena: the base model and every run's model answer the same prompts; a judge picks the better
answer of each pair, in both orders; Bradley-Terry ratings with bootstrap CIs follow.

All runs under an outputs root share one pool, the SQLite store of ``store.py``. A new run adds its
answers, then battles the base model and ``arena.opponents`` earlier runs (a seeded sample, so the cost
of a run stays the same however many runs the pool holds). Judgments are cached in the store by
(judge config, prompt, answer shown first, answer shown second): no battle is ever judged twice.

A battle counts as a win only when both orders agree; otherwise it is a tie. How often the orders agree
(the swap agreement) measures the judge's position bias. Battles with an unparseable verdict are dropped
and counted.

``python -m sft_ablate.arena OUTPUTS_ROOT`` (arena/__main__.py) recomputes the leaderboard from the store.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from sft_ablate.arena.judges import Judgment, Matchup, judge_hash, make_judge
from sft_ablate.arena.ratings import Battle, BradleyTerryFit, Rating, fit_bradley_terry
from sft_ablate.arena.store import STORE_FILE, ArenaStore, StoredBattle
from sft_ablate.cache import cached_json, content_key
from sft_ablate.config import ArenaConfig, BackendConfig, JudgeConfig, SamplingConfig
from sft_ablate.data.formats import Messages
from sft_ablate.errors import DataError
from sft_ablate.generation.local import Sampling
from sft_ablate.io import read_jsonl_objects

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
    references = _mt_bench_references(Path(arena.references).expanduser()) if arena.references else {}
    prompts, skipped = [], 0
    for origin, row in read_jsonl_objects(path, "arena.prompts"):
        turns = row.get("turns")
        if not (isinstance(turns, list) and turns and all(isinstance(t, str) and t.strip() for t in turns)):
            raise DataError(f"{origin}: `turns` must be a non-empty list of user turns (strings)")
        if len(turns) < arena.turns:
            raise DataError(f"{origin}: has {len(turns)} turn(s), but arena.turns is {arena.turns}")
        prompt_id = str(row.get("id", row.get("question_id", origin.rsplit(":", 1)[1])))
        last = arena.turns - 1
        reference = _turn_value(row.get("reference"), last) or _turn_value(references.get(prompt_id), last)
        answer = _turn_value(row.get("answer"), last)
        if judge.kind == "reference" and reference is None and answer is None:
            skipped += 1  # nothing for the reference judge to decide with
            continue
        turns = tuple(turns[: arena.turns])
        key = content_key("arena-prompt-v1", turns, reference, answer, asdict(arena.sampling))
        prompts.append(ArenaPrompt(prompt_id, turns, reference, answer, key))
    if arena.max_prompts is not None and len(prompts) > arena.max_prompts:
        log.warning(
            "arena: using the first %d of %d prompts in %s (arena.max_prompts=%d; null uses all)",
            arena.max_prompts,
            len(prompts),
            path,
            arena.max_prompts,
        )
        prompts = prompts[: arena.max_prompts]
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
    out = {}
    for origin, row in read_jsonl_objects(path, "arena.references"):
        try:
            out[str(row["question_id"])] = list(row["choices"][0]["turns"])
        except (KeyError, IndexError, TypeError) as err:
            raise DataError(f"{origin}: expected question_id and choices[0].turns ({err})") from err
    return out


# ---- answers ------------------------------------------------------------------------------------------------


def answer_prompts(
    generate: Generate, prompts: list[ArenaPrompt], seeds: list[int], sampling: SamplingConfig
) -> list[tuple[str, int, list[str]]]:
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
    from sft_ablate.generation.local import generate_local

    return lambda conversations, sampling: generate_local(model, tokenizer, conversations, sampling, batch_size, progress=False)


@contextmanager
def base_generator(config: Any, loaded: Any, cache_dir: Path) -> Iterator[Generate]:
    """The base model's answers: from arena.base_backend if set; else with LoRA, the adapter switched off; after
    full fine-tuning, its weights reloaded."""
    if config.arena.base_backend is not None:
        from sft_ablate.generation.backends import make_backend

        backend = make_backend(config.arena.base_backend, cache_dir)
        yield lambda conversations, sampling: backend.generate(conversations, sampling)
        return
    from sft_ablate.training.models import base_model

    with base_model(loaded, config.lora.enabled, trained=True) as (model, tokenizer):
        yield local_generator(model, tokenizer, config.arena.batch_size)


def base_answers(config: Any, loaded: Any, cache_dir: Path, todo: list[ArenaPrompt]) -> list[tuple[str, int, list[str]]]:
    """The base model's answers to ``todo``. A local base model's are cached across runs and pools: the same
    weights, prompts, seeds and sampling give the same answers, so each single run need not answer them again."""
    arena = config.arena

    def answer() -> list[tuple[str, int, list[str]]]:
        with base_generator(config, loaded, cache_dir) as generate:
            return answer_prompts(generate, todo, arena.seeds, arena.sampling)

    if arena.base_backend is not None:  # an endpoint may change behind the same name: asked each time
        return answer()
    key = content_key(
        "arena-base-answers-v1",
        loaded.base_dir,
        config.model.dtype,
        config.model.chat_template,
        [p.record() for p in todo],
        list(arena.seeds),
        asdict(arena.sampling),
        arena.batch_size,  # batch composition changes padded generation slightly
    )
    path = cache_dir / "arena_base_answers" / f"{key}.json"
    if path.exists():
        log.info("arena: the base model's answers come from the cache (%s)", path)
    cached = cached_json(path, answer)
    return [(prompt_key, seed, list(turns)) for prompt_key, seed, turns in cached]


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
        judge_now = make_judge(judge, cache_dir)
        with tqdm(total=len(missing), desc="Judging", unit="judgment", disable=len(missing) < 2) as bar:

            def stored(i: int, j: Judgment) -> None:  # stored at once: an interrupted arena keeps what it judged
                store.add_judgment(missing[i], jhash, j.verdict, j.raw)
                bar.update()

            judge_now.judge([todo[k] for k in missing], on_result=stored)
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
        # The prompt is the bootstrap's unit: a prompt's battles (all seeds, all pairs) are drawn together.
        result.battles.append(Battle(b.model_a, b.model_b, first if agree else 0.5, b.prompt_key))
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
    fit: BradleyTerryFit | None  # None: no decided battle

    def rating(self, model: str) -> Rating | None:
        return next((r for r in self.ratings if r.model == model), None)

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "model": r.model,
                "rating": round(r.rating, 1),
                "ci_low": round(r.ci_low, 1),
                "ci_high": round(r.ci_high, 1),
                "online_elo": round(r.elo, 1),
                **_differences(r),
                "win_rate_vs_base": _round(r.win_rate_vs_anchor),
                "win_rate_ci_low": _round(r.win_rate_ci_low),
                "win_rate_ci_high": _round(r.win_rate_ci_high),
                "battles": r.battles,
                "mean_answer_length": _round(self.mean_length.get(r.model), 1),
            }
            for r in self.ratings
        ]


def _differences(r: Rating) -> dict[str, Any]:
    """The rating's difference to the base (the anchor, at 1000: the rating CI is that difference's CI) and to
    the model ranked just below, with 95% bootstrap CIs over prompts."""
    return {
        "diff_vs_base": round(r.rating - 1000.0, 1),
        "diff_vs_base_ci_low": round(r.ci_low - 1000.0, 1),
        "diff_vs_base_ci_high": round(r.ci_high - 1000.0, 1),
        "next_model": r.next_model,
        "diff_vs_next": _round(r.diff_next, 1),
        "diff_vs_next_ci_low": _round(r.diff_next_low, 1),
        "diff_vs_next_ci_high": _round(r.diff_next_high, 1),
    }


def leaderboard(store: ArenaStore, judge: str, anchor: str, bootstrap_rounds: int = 1000, seed: int = 0) -> Leaderboard:
    stored = store.battles(judge)
    result = outcomes(stored)
    fit = fit_bradley_terry(result.battles, anchor, bootstrap_rounds, seed) if result.battles else None
    lengths = store.mean_lengths({b.prompt_key for b in stored})
    return Leaderboard(anchor, judge, fit.ratings if fit else [], lengths, result, stored, fit)


def elo_metrics(board: Leaderboard, model: str) -> dict[str, float | None] | None:
    """The run's metrics.elo (the keys the report reads), or None when it has no decided battle.

    A snapshot: the pool as it stood when written (``pool_models``, ``pool_battles``); later runs move every
    rating, so the report rates from the store itself."""
    r = board.rating(model)
    if r is None:
        return None
    return {
        "rating": round(r.rating, 2),
        "ci_low": round(r.ci_low, 2),
        "ci_high": round(r.ci_high, 2),
        **_differences(r),
        "pool_models": len(board.ratings),
        "pool_battles": len(board.outcomes.battles),
        "win_rate_vs_base": _round(r.win_rate_vs_anchor),
        "win_rate_ci_low": _round(r.win_rate_ci_low),
        "win_rate_ci_high": _round(r.win_rate_ci_high),
        "mean_answer_length": _round(board.mean_length.get(model), 2),
    }


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
    eligible = [
        m
        for m, info in store.models().items()
        if info["kind"] == "run" and m != me and all((m, k, s) in generations for k, s in wanted)
    ]
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
        base_name, base_dir = (
            (config.model.name, loaded.base_dir)
            if base_spec is None
            else (base_spec.model, f"{base_spec.kind}:{base_spec.base_url or base_spec.model}")
        )
        base = base_model_id(store, base_name, base_dir)
        store.add_model(base, "base", {"model": base_name, "base_dir": base_dir})
        me = run_model_id(path, run_dir)
        store.add_model(me, "run", {"run_dir": str(run_dir.resolve()), "factors": run_factors})

        # Answers already in the store are kept: the base answers once per pool, a resumed run not again.
        def my_answers(todo: list[ArenaPrompt]) -> list[tuple[str, int, list[str]]]:
            generate = local_generator(loaded.model, loaded.tokenizer, arena.batch_size)
            return answer_prompts(generate, todo, arena.seeds, arena.sampling)

        for model, answer in ((base, lambda todo: base_answers(config, loaded, cache_dir, todo)), (me, my_answers)):
            have = store.generations(model)
            todo = [p for p in prompts if any((model, p.key, s) not in have for s in arena.seeds)]
            if todo:
                log.info("arena: %s answers %d prompts x %d seeds", model, len(todo), len(arena.seeds))
                store.add_generations((model, key, seed, a) for key, seed, a in answer(todo))

        opponents = pick_opponents(store, me, wanted, arena.opponents, arena.seed)
        fixtures = [(me, other, key, seed) for other in [base, *opponents] for key, seed in wanted]
        log.info(
            "arena: %d battles against %s, judge %s (judged ones come from the store)",
            len(fixtures),
            ", ".join([base, *opponents]),
            judge.name,
        )
        calls = play(store, judge, cache_dir, fixtures)
        board = leaderboard(store, jhash, base, arena.bootstrap_rounds, arena.seed)
        models = store.models()

    mine = outcomes(board.stored, me)
    rating = board.rating(me)
    problem = None
    if not mine.battles:
        problem = (
            f"no decided battle: {mine.unparseable} unparseable verdicts, {mine.pending} battles pending "
            f"(judge {judge.name}); metrics.elo is absent"
        )
        log.warning("arena: %s", problem)
    summary = {
        "problem": problem,
        "store": str(path),
        "judge": judge.name,
        "judge_hash": jhash,
        "model_id": me,
        "base_model": base,
        "opponents": opponents,
        "prompts": len(prompts),
        "prompts_skipped": skipped,
        "seeds": list(arena.seeds),
        "turns": arena.turns,
        "battles": len(mine.battles),
        "swap_agreement": _round(mine.swap_agreement),
        "unparseable": mine.unparseable,
        "pending": mine.pending,
        **calls,
        "online_elo": None if rating is None else round(rating.elo, 2),
        "base_mean_answer_length": _round(board.mean_length.get(base), 2),
        "pool": {
            "models": len(models),
            "battles": len(board.outcomes.battles),
            "swap_agreement": _round(board.outcomes.swap_agreement),
            "unparseable": board.outcomes.unparseable,
        },
        "leaderboard": board.rows(),
    }
    return {"elo": elo_metrics(board, me), "arena": summary}


# ---- pool maintenance (python -m sft_ablate.arena) ------------------------------------------------------------


def judge_from_store(config: dict[str, Any]) -> JudgeConfig:
    backend = config.get("backend")
    return JudgeConfig(
        **{**config, "backend": BackendConfig(**backend) if backend else None, "sampling": SamplingConfig(**config["sampling"])}
    )


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
    from sft_ablate.io import write_json_atomic
    from sft_ablate.record.results import read_results

    written = []
    for model, info in models.items():
        run_dir = Path(info.get("run_dir") or "/nonexistent")
        results = read_results(run_dir) if info["kind"] == "run" and run_dir.is_dir() else None
        metrics = elo_metrics(board, model)
        if results is None or metrics is None or results.get("status") == "running":
            continue
        results.setdefault("metrics", {})["elo"] = metrics
        results.setdefault("arena", {})["pool_rating"] = {
            "models": len(board.ratings),
            "battles": len(board.outcomes.battles),
            "judge_hash": board.judge,
        }
        write_json_atomic(run_dir / "results.json", results)
        written.append(run_dir / "results.json")
    return written
