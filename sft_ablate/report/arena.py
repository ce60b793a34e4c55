"""The report's arena tables, rated from the arena store itself (never from per-run copies, which are
snapshots of the pool when each run finished).

- runs: each run's rating, its difference to the base and to the next run with 95% CIs, win rate vs base;
- levels: a factor level's runs (all seeds) pooled into one player, so a 3-seed level has 3x the battles of
  one run, in a Bradley-Terry fit of the levels and the base; battles between runs of one level drop out.
  It says which levels the arena cannot tell apart (the CI of their difference holds 0).
Runs whose arena decided no battle are named. Without the store (moved, deleted) the runs' own snapshots
are shown, and the report says so.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from sft_ablate.arena.leaderboard import leaderboard
from sft_ablate.arena.ratings import Battle, BradleyTerryFit, fit_bradley_terry
from sft_ablate.arena.store import ArenaStore
from sft_ablate.report.render import Section
from sft_ablate.report.runs import Run
from sft_ablate.report.tables import Table, leaderboard_table


def arena_section(
    complete: pd.DataFrame, by_name: dict[str, Run], varied: list[str], stem: str, rounds: int = 1000
) -> Section | None:
    arenas = {name: by_name[name].results.get("arena") for name in complete["run"]}
    arenas = {name: a for name, a in arenas.items() if a}
    section = Section("Arena (Elo)", level=3)
    if not arenas:  # runs that name no arena store: only their own snapshots, if any
        snapshot = leaderboard_table(complete, varied, f"{stem}_leaderboard")
        return None if snapshot is None else Section("Leaderboard (Elo)", level=3, items=[snapshot])
    problems = [f"`{name}`: {a['problem']}" for name, a in arenas.items() if a.get("problem")]
    if problems:
        section.items.append("Runs whose arena decided nothing: " + "; ".join(problems) + ".")
    pools: dict[tuple[str, str], dict[str, str]] = {}  # (store, judge hash) -> arena model id -> run name
    for name, a in arenas.items():
        pools.setdefault((a["store"], a["judge_hash"]), {})[a["model_id"]] = name
    for (store_file, jhash), runs in pools.items():
        if not Path(store_file).is_file():
            section.items.append(f"The arena store {store_file} is gone: these are the runs' own snapshots of the pool.")
            snapshot = leaderboard_table(complete, varied, f"{stem}_leaderboard")
            if snapshot is not None:
                section.items.append(snapshot)
            continue
        base = next(arenas[n]["base_model"] for n in runs.values())
        with ArenaStore(Path(store_file)) as store:
            board = leaderboard(store, jhash, base, rounds)
        section.items.append(_runs_table(board.rows(), runs, complete, varied, f"{stem}_arena_runs"))
        if varied:
            levels = {model: _level(complete, run, varied) for model, run in runs.items()}
            section.items += _levels_items(board.outcomes.battles, levels, base, rounds, f"{stem}_arena_levels")
    return section


def _level(complete: pd.DataFrame, run: str, varied: list[str]) -> str:
    row = complete[complete["run"] == run].iloc[0]
    return ", ".join(f"{f}={row[f]}" for f in varied)


def _runs_table(rows: list[dict[str, Any]], runs: dict[str, str], complete: pd.DataFrame, varied: list[str], name: str) -> Table:
    """The pool's leaderboard, as it stands in the store now."""
    data = pd.DataFrame([{**r, "run": runs.get(r["model"], r["model"])} for r in rows])
    for factor in varied:
        data[factor] = [_value(complete, run, factor) for run in data["run"]]
    shown = data[["run", *varied]].copy()
    shown["Elo (95% CI)"] = [_ci(r["rating"], r["ci_low"], r["ci_high"], ".0f") for r in rows]
    shown["diff vs base (95% CI)"] = [
        _ci(r["diff_vs_base"], r["diff_vs_base_ci_low"], r["diff_vs_base_ci_high"], "+.0f") for r in rows
    ]
    shown["diff vs next (95% CI)"] = [
        _ci(r["diff_vs_next"], r["diff_vs_next_ci_low"], r["diff_vs_next_ci_high"], "+.0f") for r in rows
    ]
    shown["win rate vs base (95% CI)"] = [
        _ci(r["win_rate_vs_base"], r["win_rate_ci_low"], r["win_rate_ci_high"], ".2f") for r in rows
    ]
    shown["battles"] = data["battles"].astype(str)
    shown["mean answer words"] = [_fmt(v, ".1f") for v in data["mean_answer_length"]]
    caption = (
        "Arena, per run: Bradley-Terry ratings rated from the arena store now (base = 1000), 95% bootstrap CIs over "
        "prompts, the CI of each run's difference to the base and to the next run below, win rate vs base, and mean "
        "answer length (shows any length bias)."
    )
    return Table(name, caption, shown, data)


def _levels_items(battles: list[Battle], levels: dict[str, str], base: str, rounds: int, name: str) -> list[Any]:
    """Each level's runs pooled as one player; battles inside one level or with runs of other studies drop out."""
    pooled = []
    for b in battles:
        a, c = (
            levels.get(b.model_a, b.model_a if b.model_a == base else None),
            levels.get(b.model_b, b.model_b if b.model_b == base else None),
        )
        if a is not None and c is not None and a != c:
            pooled.append(Battle(a, c, b.score, b.prompt))
    if not pooled:
        return ["No battle between levels or against the base: no level-pooled arena table."]
    fit = fit_bradley_terry(pooled, base, rounds)
    runs = {level: sum(1 for v in levels.values() if v == level) for level in set(levels.values())}
    return [_levels_table(fit, runs, base, name), _levels_verdict(fit, base)]


def _levels_table(fit: BradleyTerryFit, runs: dict[str, int], base: str, name: str) -> Table:
    rows = []
    for r in fit.ratings:
        vs_base = fit.difference(r.model, base) if r.model != base else None
        rows.append(
            {
                "level": r.model,
                "runs": runs.get(r.model),  # None: the base
                "battles": r.battles,
                "rating": r.rating,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "diff_vs_base": None if vs_base is None else vs_base.diff,
                "diff_vs_base_ci_low": None if vs_base is None else vs_base.ci_low,
                "diff_vs_base_ci_high": None if vs_base is None else vs_base.ci_high,
                "next_level": r.next_model,
                "diff_vs_next": r.diff_next,
                "diff_vs_next_ci_low": r.diff_next_low,
                "diff_vs_next_ci_high": r.diff_next_high,
                "win_rate_vs_base": r.win_rate_vs_anchor,
                "win_rate_ci_low": r.win_rate_ci_low,
                "win_rate_ci_high": r.win_rate_ci_high,
            }
        )
    data = pd.DataFrame(rows)
    shown = pd.DataFrame(
        {
            "level": data["level"],
            "runs": [("" if r["runs"] is None else str(r["runs"])) for r in rows],
            "battles": data["battles"].astype(str),
            "Elo (95% CI)": [_ci(r["rating"], r["ci_low"], r["ci_high"], ".0f") for r in rows],
            "diff vs base (95% CI)": [
                _ci(r["diff_vs_base"], r["diff_vs_base_ci_low"], r["diff_vs_base_ci_high"], "+.0f") for r in rows
            ],
            "diff vs next (95% CI)": [
                _ci(r["diff_vs_next"], r["diff_vs_next_ci_low"], r["diff_vs_next_ci_high"], "+.0f") for r in rows
            ],
            "win rate vs base (95% CI)": [
                _ci(r["win_rate_vs_base"], r["win_rate_ci_low"], r["win_rate_ci_high"], ".2f") for r in rows
            ],
        }
    )
    caption = (
        "Arena, levels pooled: each level's runs (all seeds) as one player, fitted with the base (= 1000); 95% bootstrap "
        "CIs over prompts, for ratings and for differences to the base and to the next level below."
    )
    return Table(name, caption, shown, data)


def _levels_verdict(fit: BradleyTerryFit, base: str) -> str:
    """Which levels the arena tells apart from the base, and which pairs of levels it cannot separate."""
    verdicts = []
    names = [r.model for r in fit.ratings]
    for level in names:
        if level != base:
            d = fit.difference(level, base)
            verdicts.append(
                f"{level} vs base: {'apart' if d.separated else 'cannot separate'} ({d.diff:+.0f} [{d.ci_low:+.0f}, {d.ci_high:+.0f}])"
            )
    together = [
        f"{a} and {b}"
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if base not in (a, b) and not fit.difference(a, b).separated
    ]
    text = "Arena verdicts (95% CI of the difference): " + "; ".join(verdicts) + "."
    text += f" The arena cannot separate these levels: {', '.join(together)}." if together else " Every pair of levels is apart."
    return text


def _value(complete: pd.DataFrame, run: str, factor: str) -> Any:
    match = complete[complete["run"] == run]
    return match.iloc[0][factor] if len(match) else ""


def _fmt(value: Any, spec: str) -> str:
    return "" if value is None or (isinstance(value, float) and not math.isfinite(value)) else format(value, spec)


def _ci(value: Any, low: Any, high: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{format(value, spec)} [{_fmt(low, spec)}, {_fmt(high, spec)}]"
