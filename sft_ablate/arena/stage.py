"""The run's arena stage: the base model and the run's model answer the same prompts; a judge picks the better
answer of each pair, in both orders; Bradley-Terry ratings with bootstrap CIs follow.

All runs under an outputs root share one pool, the SQLite store of ``store.py``. A new run adds its answers
(``answers.py``), then battles the base model and ``arena.opponents`` earlier runs (``battles.py``: a seeded
sample, so the cost of a run stays the same however many runs the pool holds). Judgments are cached in the
store by (judge config, prompt, answer shown first, answer shown second): no battle is ever judged twice. The
pool is then rated (``leaderboard.py``); run.py records the result, and each prompt's outcome against the base
model in item_scores.jsonl (``prompt_items``). Before the run's battles, the judge's audit (``audit.py``): a ladder
of degraded reference answers, judged once per judge and store, and a null canary that battles every run.

``python -m sft_ablate.arena OUTPUTS_ROOT`` (arena/__main__.py) recomputes the leaderboard from the store.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sft_ablate.arena.answers import add_missing_answers, base_answers, trained_answers
from sft_ablate.arena.audit import add_canary, run_audit
from sft_ablate.arena.battles import Outcomes, outcomes, pick_opponents, play, scores_by_prompt
from sft_ablate.arena.judges import JudgeConfig, judge_hash
from sft_ablate.arena.leaderboard import Leaderboard, elo_metrics, leaderboard, rounded
from sft_ablate.arena.prompts import load_prompts
from sft_ablate.arena.schema import ArenaConfig
from sft_ablate.arena.store import ArenaStore, Location, store_location
from sft_ablate.arena.validation import CANARY, LADDER
from sft_ablate.cache import content_key
from sft_ablate.record.items import ARENA_GROUP, SET_ARENA

if TYPE_CHECKING:  # torch and transformers: imported where a model is loaded
    from sft_ablate.training.models import LoadedModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArenaResult:
    """What the stage gives run.py to record: ``metrics.elo`` and results.json's ``arena`` section."""

    elo: dict[str, float | None] | None  # None: the run has no decided battle
    summary: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)  # item_scores.jsonl's rows: per prompt, vs the base

    @property
    def leaderboard(self) -> list[dict[str, Any]]:
        """The pool's leaderboard rows when the run finished (also in the summary)."""
        return self.summary["leaderboard"]


def store_path(arena: ArenaConfig, run_dir: Path) -> Location:
    return store_location(arena.store, run_dir.parent)  # a SQLite file, or a PostgreSQL URL as given


def run_model_id(store_file: Location, run_dir: Path) -> str:
    """The run dir relative to the store's dir (e.g. '0_30_70_r8_s0' in a multirun), or its full path."""
    run_dir = run_dir.resolve()
    if not isinstance(store_file, Path):  # a database, which many studies may share: the full path
        return str(run_dir)
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


def add_base_model(store: ArenaStore, arena: ArenaConfig, loaded: LoadedModel) -> str:
    """The base model's id in the pool: the weights the run started from, or the endpoint arena.base_backend names."""
    spec = arena.base_backend
    name, base_dir = (
        (loaded.model_config.name, loaded.base_dir)
        if spec is None
        else (spec.model, f"{spec.kind}:{spec.base_url or spec.model}")
    )
    base = base_model_id(store, name, base_dir)
    store.add_model(base, "base", {"model": name, "base_dir": base_dir})
    return base


def run_arena(
    arena: ArenaConfig,
    judge: JudgeConfig,
    loaded: LoadedModel,
    lora_enabled: bool,
    run_dir: Path,
    run_factors: dict[str, Any],
    cache_dir: Path,
) -> ArenaResult:
    """Answer the arena prompts, battle the base model and earlier runs, rate the pool."""
    prompts, skipped = load_prompts(arena, judge)
    path = store_path(arena, run_dir)
    jhash = judge_hash(judge)
    wanted = [(p.key, s) for p in prompts for s in arena.seeds]
    with ArenaStore(path) as store:
        store.add_judge(jhash, asdict(judge))
        store.add_prompts({p.key: p.record() for p in prompts})
        base = add_base_model(store, arena, loaded)
        me = run_model_id(path, run_dir)
        store.add_model(me, "run", {"run_dir": str(run_dir.resolve()), "factors": run_factors})
        add_missing_answers(store, base, prompts, arena.seeds, base_answers(arena, loaded, lora_enabled, cache_dir))
        add_missing_answers(store, me, prompts, arena.seeds, trained_answers(arena, loaded))
        audit_calls, ladder_source = {}, None
        if arena.audit:  # the ladder once per judge and store (cached), the canary in the pool
            audit_calls, ladder_source = run_audit(store, judge, cache_dir, prompts, arena.audit_prompts)
            add_canary(store, prompts, arena.seeds)

        opponents = pick_opponents(store, me, wanted, arena.opponents, arena.seed)
        canary = [CANARY] if arena.audit else []
        fixtures = [(me, other, key, seed) for other in [base, *opponents, *canary] for key, seed in wanted]
        fixtures += [(base, other, key, seed) for other in canary for key, seed in wanted]  # judged once per pool
        log.info(
            "arena: %d battles against %s, judge %s (judged ones come from the store)",
            len(fixtures),
            ", ".join([base, *opponents, *canary]),
            judge.name,
        )
        calls = play(store, judge, cache_dir, fixtures)
        board = leaderboard(store, jhash, base, arena.bootstrap_rounds, arena.seed)
        pool_models = sum(m not in LADDER for m in store.models())
        unfit = board.audit is not None and not board.audit.passed
        # The per-prompt win rates are the arena's test in the report's verdict: none from a judge that failed its audit.
        items = [] if unfit else prompt_items(scores_by_prompt(board.outcomes.battles, me, base), store.prompts())

    setup = {
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
        "ladder_source": ladder_source,
        "audit_judge_calls": audit_calls.get("judge_calls", 0),
    }
    # The run's battles against the pool (base and opponents); the canary's, a monitor of the judge, apart.
    against_pool = [b for b in board.stored if CANARY not in (b.model_a, b.model_b)]
    summary = arena_summary(board, outcomes(against_pool, me), setup, calls, pool_models)
    summary["canary"] = canary_summary(board, me)
    return ArenaResult(elo_metrics(board, me), summary, items)


def prompt_items(scores: dict[str, list[float]], prompts: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """item_scores.jsonl's arena rows: per prompt, the run's mean score against the base model over its decided
    battles (its seeds; a battle is judged in both orders, a win only when they agree) and their count. The item
    is the prompt's id; one that two stored prompts share (other settings) gets its store key's start after it."""
    ids = {key: str(prompts.get(key, {}).get("id", key)) for key in scores}
    shared = {i for i, n in Counter(ids.values()).items() if n > 1}
    return [
        {"set": SET_ARENA, "group": ARENA_GROUP, "item": ids[key] if ids[key] not in shared else f"{ids[key]}@{key[:8]}",
         "win": sum(got) / len(got), "battles": len(got)}
        for key, got in sorted(scores.items(), key=lambda kv: ids[kv[0]])
    ]  # fmt: skip


def canary_summary(board: Leaderboard, me: str) -> dict[str, Any] | None:
    """The run against the null canary (one constant, content-free answer): its score, and the canary's place in the
    pool. A run that loses to it, or a canary that climbs the pool, says more about the judge than the run."""
    scores = [s for got in scores_by_prompt(board.outcomes.battles, me, CANARY).values() for s in got]
    ranked = [r.model for r in board.ratings]
    if not scores or CANARY not in ranked:
        return None
    return {
        "battles": len(scores),
        "win_rate_vs_canary": round(sum(scores) / len(scores), 4),
        "canary_rank": ranked.index(CANARY) + 1,
        "pool_models": len(ranked),
    }


def arena_summary(
    board: Leaderboard, mine: Outcomes, setup: dict[str, Any], calls: dict[str, int], pool_models: int
) -> dict[str, Any]:
    """results.json's ``arena`` section: how the run's battles went (``setup`` says against whom, by which
    judge), and the pool as it stood."""
    me, base = setup["model_id"], setup["base_model"]
    rating = board.rating(me)
    problem = None
    if not mine.battles:
        problem = (
            f"no decided battle: {mine.unparseable} unparseable verdicts, {mine.pending} battles pending "
            f"(judge {setup['judge']}); metrics.elo is absent"
        )
        log.warning("arena: %s", problem)
    audit = board.audit
    if audit is not None:
        log.log(logging.INFO if audit.passed else logging.WARNING, "arena: %s", audit.describe())
    return {
        "problem": problem,
        **setup,
        "battles": len(mine.battles),
        "swap_agreement": rounded(mine.swap_agreement),
        "unparseable": mine.unparseable,
        "pending": mine.pending,
        **calls,
        "online_elo": None if rating is None else round(rating.elo, 2),
        "base_mean_answer_length": rounded(board.mean_length.get(base), 2),
        "pool": {
            "models": pool_models,
            "battles": len(board.outcomes.battles),
            "swap_agreement": rounded(board.outcomes.swap_agreement),
            "unparseable": board.outcomes.unparseable,
        },
        "audit": None if audit is None else audit.summary(),
        "length_effect": None
        if board.lc is None
        else {"elo_per_rms_gap": round(board.lc.beta, 1), "ci": [round(v, 1) for v in board.lc.beta_ci]},
        "leaderboard": board.rows(),
    }
