"""The report's arena tables, rated from the arena store itself (never from per-run copies, which are
snapshots of the pool when each run finished).

- runs: each run's rating, its difference to the base and to the next run with 95% CIs, win rate vs base;
- levels: a factor level's runs (all seeds) pooled into one player, so a 3-seed level has 3x the battles of
  one run, in a Bradley-Terry fit of the levels and the base; battles between runs of one level drop out.
  Both tables are descriptive: their bootstrap resamples prompts, never seeds.
- the verdict: which levels are apart from the base, and which pairs of levels the arena cannot separate, from
  each run's per-prompt win rate against the base (its win-rate items, the battles of the store), with intervals
  over seeds and prompts (sft_ablate/report/inference.py), Holm-adjusted over the comparisons it makes.
- the judge's audit first (sft_ablate/arena/audit.py): its Kendall tau on a ladder of degraded reference answers,
  its swap agreement, where the null canary ranks. A judge that failed it gets no verdict: its tables are shown,
  each row's verdict reads "the judge failed its check: τ = ...".
- raw and length-controlled ratings side by side (sft_ablate/arena/length_control.py); a row's verdict vs base is
  the raw rating's (docs/arena.md says why), and says so where the length-controlled one disagrees.
Runs whose arena decided no battle are named. Without the store (moved, deleted) the runs' own snapshots
are shown, and the report says so.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from sft_ablate.arena.audit import JudgeAudit
from sft_ablate.arena.battles import scores_by_prompt
from sft_ablate.arena.leaderboard import Leaderboard, leaderboard
from sft_ablate.arena.length_control import LengthControlledFit, fit_length_controlled
from sft_ablate.arena.ratings import Battle, BradleyTerryFit, fit_bradley_terry
from sft_ablate.arena.store import ArenaStore, store_exists
from sft_ablate.arena.validation import CANARY
from sft_ablate.report.evidence import delta_of, item_weights
from sft_ablate.report.inference import ALPHA, Delta, adjust, delta
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
        if not store_exists(store_file):  # a file, or a PostgreSQL URL that takes a connection
            section.items.append(f"The arena store {store_file} is gone: these are the runs' own snapshots of the pool.")
            snapshot = leaderboard_table(complete, varied, f"{stem}_leaderboard")
            if snapshot is not None:
                section.items.append(snapshot)
            continue
        base = next(arenas[n]["base_model"] for n in runs.values())
        with ArenaStore(store_file) as store:
            board = leaderboard(store, jhash, base, rounds)
        failure = _audit_items(section, board.audit)
        section.items.append(_runs_table(board, runs, complete, varied, f"{stem}_arena_runs", failure))
        section.items += _pool_notes(board, runs)
        if varied:
            levels = {model: _level(complete, run, varied) for model, run in runs.items()}
            seeds = {model: str(_value(complete, run, "seed")) for model, run in runs.items()}
            section.items += _levels_items(board.outcomes.battles, levels, base, rounds, f"{stem}_arena_levels", failure)
            if failure:
                section.items.append(f"No arena verdict: {failure}.")
            else:
                section.items.append(_levels_verdict(board.outcomes.battles, levels, seeds, base))
    return section


def _audit_items(section: Section, audit: JudgeAudit | None) -> str | None:
    """The judge's audit, first: what its verdicts are worth. Returns why it gets no verdict, or None."""
    if audit is None:
        section.items.append(
            "Judge audit: none in this store (runs with arena.audit=false, or from before the audit): the judge's "
            "verdicts below are unchecked. `python -m sft_ablate.arena STORE --audit` judges its ladder."
        )
        return None
    section.items.append(audit.describe())
    return audit.failure


def _verdict(diff: float | None, low: float | None, high: float | None) -> str:
    """What a difference to the base says: its 95% CI above 0, below 0, or holding 0."""
    if diff is None or low is None or high is None:
        return ""
    return "above base" if low > 0 else ("below base" if high < 0 else "cannot separate")


def _verdict_cell(raw: str, lc: str, failure: str | None) -> str:
    """The raw rating's verdict vs base (the default), with the length-controlled one where they disagree."""
    if failure:
        return failure
    if raw and lc and lc != raw:
        return f"{raw} (length-controlled: {lc})"
    return raw


def _pool_notes(board: Leaderboard, runs: dict[str, str]) -> list[str]:
    """Where raw and length-controlled ratings disagree, how much the judge rewards length, where the canary sits."""
    notes = []
    if board.lc is not None:
        low, high = board.lc.beta_ci
        notes.append(
            f"Length effect of this judge in the pool: {board.lc.beta:+.0f} Elo [{low:+.0f}, {high:+.0f}] for a typical "
            "length gap (the root mean square of (words A - words B) / (words A + words B) over the battles)."
        )
    split = []
    for row in board.rows():
        raw = _verdict(row["diff_vs_base"], row["diff_vs_base_ci_low"], row["diff_vs_base_ci_high"])
        lc = _verdict(row["lc_diff_vs_base"], row["lc_diff_vs_base_ci_low"], row["lc_diff_vs_base_ci_high"])
        if row["model"] != board.anchor and raw and lc and raw != lc:
            split.append(
                f"`{runs.get(row['model'], row['model'])}` (raw: {raw}, {row['diff_vs_base']:+.0f}; length-controlled: "
                f"{lc}, {row['lc_diff_vs_base']:+.0f})"
            )
    if split:
        notes.append("Raw and length-controlled ratings disagree on: " + "; ".join(split) + ".")
    canary = board.rating(CANARY)
    if canary is not None:
        rank = [r.model for r in board.ratings].index(CANARY) + 1
        above = [runs.get(r.model, r.model) for r in board.ratings[rank:]]
        notes.append(
            f"The canary (one constant, content-free answer; never a level) ranks {rank} of {len(board.ratings)} in this "
            f"pool, {canary.rating:.0f} [{canary.ci_low:.0f}, {canary.ci_high:.0f}]"
            + (f"; it rates above {', '.join(f'`{m}`' for m in above)}." if above else ".")
        )
    return notes


def _level(complete: pd.DataFrame, run: str, varied: list[str]) -> str:
    row = complete[complete["run"] == run].iloc[0]
    return ", ".join(f"{f}={row[f]}" for f in varied)


def _runs_table(
    board: Leaderboard, runs: dict[str, str], complete: pd.DataFrame, varied: list[str], name: str, failure: str | None
) -> Table:
    """The pool's leaderboard, as it stands in the store now."""
    rows = board.rows()
    for r in rows:
        r["verdict"] = r["lc_verdict"] = ""
        if r["model"] != board.anchor:
            r["verdict"] = _verdict(r["diff_vs_base"], r["diff_vs_base_ci_low"], r["diff_vs_base_ci_high"])
            r["lc_verdict"] = _verdict(r["lc_diff_vs_base"], r["lc_diff_vs_base_ci_low"], r["lc_diff_vs_base_ci_high"])
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
    shown["length-controlled Elo (95% CI)"] = [_ci(r["lc_rating"], r["lc_ci_low"], r["lc_ci_high"], ".0f") for r in rows]
    shown["length-controlled diff vs base (95% CI)"] = [
        _ci(r["lc_diff_vs_base"], r["lc_diff_vs_base_ci_low"], r["lc_diff_vs_base_ci_high"], "+.0f") for r in rows
    ]
    shown["verdict vs base"] = [
        "" if r["model"] == board.anchor else _verdict_cell(r["verdict"], r["lc_verdict"], failure) for r in rows
    ]
    caption = (
        "Arena, per run: Bradley-Terry ratings rated from the arena store now (base = 1000), 95% bootstrap CIs over "
        "prompts, the CI of each run's difference to the base and to the next run below, win rate vs base, mean answer "
        "length, and the length-controlled rating (the length gap of each battle a covariate: the rating at equal "
        "length). The verdict vs base is the raw difference's CI (the length-controlled one in brackets where it "
        "disagrees); `canary` is the null canary, in every pool."
    )
    return Table(name, caption, shown, data)


def _levels_items(
    battles: list[Battle], levels: dict[str, str], base: str, rounds: int, name: str, failure: str | None = None
) -> list[Any]:
    """Each level's runs pooled as one player; battles inside one level, with the canary or with runs of other
    studies drop out."""
    pooled = []
    for b in battles:
        a, c = (
            levels.get(b.model_a, b.model_a if b.model_a == base else None),
            levels.get(b.model_b, b.model_b if b.model_b == base else None),
        )
        if a is not None and c is not None and a != c:
            pooled.append(Battle(a, c, b.score, b.prompt, b.length_a, b.length_b))
    if not pooled:
        return ["No battle between levels or against the base: no level-pooled arena table."]
    fit = fit_bradley_terry(pooled, base, rounds)
    lc = fit_length_controlled(pooled, base, rounds)
    runs = {level: sum(1 for v in levels.values() if v == level) for level in set(levels.values())}
    return [_levels_table(fit, lc, runs, base, name, failure)]


def _levels_table(
    fit: BradleyTerryFit, lc: LengthControlledFit | None, runs: dict[str, int], base: str, name: str, failure: str | None
) -> Table:
    rows = []
    for r in fit.ratings:
        vs_base = fit.difference(r.model, base) if r.model != base else None
        lc_rating = lc.rating(r.model) if lc is not None else (None, None, None)
        lc_base = lc.difference(r.model, base) if lc is not None and r.model != base else None
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
                "lc_rating": lc_rating[0],
                "lc_ci_low": lc_rating[1],
                "lc_ci_high": lc_rating[2],
                "lc_diff_vs_base": None if lc_base is None else lc_base.diff,
                "lc_diff_vs_base_ci_low": None if lc_base is None else lc_base.ci_low,
                "lc_diff_vs_base_ci_high": None if lc_base is None else lc_base.ci_high,
            }
        )
    for row in rows:
        row["verdict"] = _verdict(row["diff_vs_base"], row["diff_vs_base_ci_low"], row["diff_vs_base_ci_high"])
        row["lc_verdict"] = _verdict(row["lc_diff_vs_base"], row["lc_diff_vs_base_ci_low"], row["lc_diff_vs_base_ci_high"])
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
            "length-controlled diff vs base (95% CI)": [
                _ci(r["lc_diff_vs_base"], r["lc_diff_vs_base_ci_low"], r["lc_diff_vs_base_ci_high"], "+.0f") for r in rows
            ],
            "Elo vs base": ["" if r["level"] == base else _verdict_cell(r["verdict"], r["lc_verdict"], failure) for r in rows],
        }
    )
    caption = (
        "Arena, levels pooled: each level's runs (all seeds) as one player, fitted with the base (= 1000); 95% bootstrap "
        "CIs over prompts, for ratings and for differences to the base and to the next level below, raw and length-"
        "controlled. Descriptive: the bootstrap counts the prompts, not the seeds; the arena verdict below tests the "
        "levels over both."
    )
    return Table(name, caption, shown, data)


def _levels_verdict(battles: list[Battle], levels: dict[str, str], seeds: dict[str, str], base: str) -> str:
    """Which levels the arena tells apart from the base (their win rate vs base differs from 0.5), and which pairs of
    levels it cannot separate (their win rates vs base), over seeds and prompts, Holm-adjusted together."""
    wins = _win_items(battles, levels, seeds, base)
    names = sorted(wins)
    tests: list[tuple[str, Delta, bool]] = []  # (what, delta, vs base)
    for level in names:
        x, w = wins[level]
        d = delta(np.full(x.shape, 0.5), x.to_numpy(), item_weights(w.to_frame().T, x.columns))
        if len(x) < 2:  # one run: its prompts alone say nothing of another seed; its win rate, no test
            d = dataclasses.replace(d, low=math.nan, high=math.nan, p=math.nan)
        tests.append((level, d, True))
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            (xa, wa), (xb, wb) = wins[a], wins[b]
            columns = xa.columns.union(xb.columns)
            w = item_weights(pd.concat([wa, wb], axis=1).T, columns)
            tests.append((f"{a} and {b}", delta_of(xa.reindex(columns=columns), xb.reindex(columns=columns), w), False))
    if not tests:
        return "No level has decided battles against the base: no arena verdict."
    adjusted = adjust([d.p for _, d, _ in tests]).adjusted
    apart = {what: p <= ALPHA for (what, _, _), p in zip(tests, adjusted)}
    verdicts = [
        f"{what} vs base: {'apart' if apart[what] else 'cannot separate'} (win rate {_interval(d, 0.5, '.2f')})"
        for what, d, vs_base in tests
        if vs_base
    ]
    together = [
        f"{what} (Δ win rate {_interval(d, 0.0, '+.2f')})" for what, d, vs_base in tests if not vs_base and not apart[what]
    ]
    text = (
        f"Arena verdicts (each run's per-prompt win rate against the base, 95% CIs over seeds and prompts, apart only "
        f"when significant after Holm over these {len(tests)} comparisons; a level of one run is no test): "
        + "; ".join(verdicts)
        + "."
    )
    if len(names) > 1:
        text += (
            f" The arena cannot separate these levels: {', '.join(together)}." if together else " Every pair of levels is apart."
        )
    return text


def _win_items(
    battles: list[Battle], levels: dict[str, str], seeds: dict[str, str], base: str
) -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    """Per level: its runs' per-prompt win rates against the base (rows: the runs' seeds, runs of one seed averaged;
    columns: the prompts) and the prompts' weights (their decided battles, mean over the runs); levels whose runs
    decided no battle against the base are left out."""
    rows: dict[str, dict[str, list[pd.Series]]] = {}
    weights: dict[str, list[pd.Series]] = {}
    for model, level in levels.items():
        scores = scores_by_prompt(battles, model, base)
        if not scores:
            continue
        rows.setdefault(level, {}).setdefault(seeds[model], []).append(pd.Series({k: sum(v) / len(v) for k, v in scores.items()}))
        weights.setdefault(level, []).append(pd.Series({k: float(len(v)) for k, v in scores.items()}))
    out = {}
    for level, by_seed in rows.items():
        x = pd.DataFrame({seed: pd.concat(runs, axis=1).mean(axis=1) for seed, runs in by_seed.items()}).T
        out[level] = (x, pd.DataFrame(weights[level]).mean(axis=0))
    return out


def _interval(d: Delta, shift: float, spec: str) -> str:
    """'0.75 [0.62, 0.88]' (d shifted by `shift`: a win rate's interval is cut at 0 and 1), the point alone without
    an interval."""
    if not math.isfinite(d.mean):
        return "no data"
    low, high = shift + d.low, shift + d.high
    if shift:
        low, high = max(0.0, low), min(1.0, high)
    text = format(shift + d.mean, spec)
    return text + (f" [{format(low, spec)}, {format(high, spec)}]" if math.isfinite(d.low) else "")


def _value(complete: pd.DataFrame, run: str, factor: str) -> Any:
    match = complete[complete["run"] == run]
    return match.iloc[0][factor] if len(match) else ""


def _fmt(value: Any, spec: str) -> str:
    return "" if value is None or (isinstance(value, float) and not math.isfinite(value)) else format(value, spec)


def _ci(value: Any, low: Any, high: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{format(value, spec)} [{_fmt(low, spec)}, {_fmt(high, spec)}]"
