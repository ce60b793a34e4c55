"""Seeds where they decide: each look of an adaptive study, from its runs (what the grid sweeper decides with), and
the report's section from the sweep's log (docs/statistics.md, docs/report.md).

A comparison is a level against the baseline level on one metric: the study's primary as the report picks it (a
named one, else the external held-out set), else the pooled eval loss. At each planned look it is tested with the
verdict's own delta over seeds and items (sequential.look_delta) at the look's level (sequential.Plan), and the
family is decided by sequential.decide. The looks are derived from the runs on disk, so a restarted sweep finds
the same decisions; the log (adaptive.json) is a record, never state.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sft_ablate.errors import ConfigError
from sft_ablate.record.results import read_results
from sft_ablate.report.evidence import RunItems, choose_primary, item_weights
from sft_ablate.report.render import Section
from sft_ablate.report.runs import Metric, Run, metric_by_name, metrics_in, runs_frame
from sft_ablate.report.sequential import Plan, decide, look_delta
from sft_ablate.report.tables import Table

LOG_FILE = "adaptive.json"
FALLBACK_METRIC = "eval_loss"


@dataclass(frozen=True)
class ComparisonState:
    """One level against the baseline after the looks so far; the delta and p are at its deciding look, else at its
    last one."""

    level: str
    looks: int  # how many looks it has had
    n_seeds: int  # seeds at that look
    mean: float
    low: float
    high: float
    p: float  # the guarded p the look's level is checked against
    level_tested: float  # that look's level, for the comparison's share of alpha
    alpha: float  # its share of the family's alpha
    decided_look: int | None  # 1-based; None: open

    @property
    def decided(self) -> bool:
        return self.decided_look is not None


@dataclass(frozen=True)
class State:
    metric: Metric
    why: str  # how the metric was chosen
    comparisons: list[ComparisonState]


def evaluate(runs: dict[str, dict[int, Path]], baseline: str, order: list[int], plan: Plan, metric: str | None) -> State:
    """The comparisons of every level with the baseline, from the runs on disk (runs[level][seed]: its run dir; the
    seeds in `order` are added in that order): at each planned look a comparison has reached (both levels complete
    at its first plan.seeds[k] seeds), the guarded p, then the family's decisions."""
    named = {str(d): level for level, by_seed in runs.items() for d in by_seed.values()}
    found = [Run(Path(d), d, read_results(Path(d)) or {"status": "missing"}) for d in named]
    frame = runs_frame(found) if found else pd.DataFrame(columns=["run", "status", "seed"])
    complete = frame[frame["status"] == "complete"].copy()
    complete["_level"] = complete["run"].map(named)
    chosen, why = pick_metric(complete, metric)
    items = RunItems({run.name: run.dir for run in found})
    pvalues: dict[str, list[float]] = {}
    deltas: dict[str, list] = {}
    for level in runs:
        if level == baseline:
            continue
        pvalues[level], deltas[level] = [], []
        for count in plan.seeds:
            seeds = order[:count]
            pair = [complete[(complete["_level"] == lv) & complete["seed"].isin(seeds)] for lv in (baseline, level)]
            if any(len(p) < count for p in pair):
                break  # this look is not reached (yet) for this comparison
            d, p = _look(pair[0], pair[1], chosen, items)
            pvalues[level].append(p)
            deltas[level].append(d)
    decisions = decide(pvalues, plan)
    states = []
    for level, decision in decisions.items():
        k = decision.look if decision.decided else len(pvalues[level]) - 1
        if k < 0:
            states.append(ComparisonState(level, 0, 0, *(math.nan,) * 5, decision.alpha, None))
            continue
        d = deltas[level][k]
        tested = plan.nominal(decision.alpha)[k]
        looked = None if decision.look is None else decision.look + 1
        states.append(
            ComparisonState(
                level,
                len(pvalues[level]),
                plan.seeds[k],
                d.mean,
                d.low,
                d.high,
                pvalues[level][k],
                tested,
                decision.alpha,
                looked,
            )
        )
    return State(chosen, why, states)


def pick_metric(complete: pd.DataFrame, named: str | None) -> tuple[Metric, str]:
    """The metric the seeds are added for: the one named (hydra.sweeper.metric), else the runs' study_primary, else
    the external held-out set (as the report's verdict picks its primary), else the pooled eval loss."""
    metrics = metrics_in(complete)
    if named:
        chosen = choose_primary(metrics, named, "hydra.sweeper.metric")
        if chosen.metric is None:
            raise ConfigError(f"hydra.sweeper.metric={named}: {chosen.why}")
        return chosen.metric, chosen.why
    recorded = sorted({str(v) for v in complete.get("study_primary", pd.Series(dtype=str)).dropna() if str(v)})
    chosen = choose_primary(metrics, recorded[0] if recorded else None, "study_primary")
    if chosen.metric is not None:
        return chosen.metric, chosen.why
    try:
        return metric_by_name(complete, FALLBACK_METRIC), f"the pooled eval loss ({chosen.why})"
    except KeyError as err:
        raise ConfigError(f"no metric to add seeds for: {err.args[0]}") from err


def _look(base: pd.DataFrame, runs: pd.DataFrame, metric: Metric, items: RunItems):
    """The guarded test of runs - base at one look, paired on the seed: over seeds and items where both have the
    metric's items, else over the runs' values."""
    found = [items.matrix(x, metric, ["seed"]) for x in (base, runs)]
    if found[0] is not None and found[1] is not None:
        (xa, wa), (xb, wb) = found
        seeds = xa.index.intersection(xb.index)
        columns = xa.columns.union(xb.columns)
        w = item_weights(pd.concat([wa, wb]), columns)
        a, b = xa.loc[seeds].reindex(columns=columns), xb.loc[seeds].reindex(columns=columns)
        return look_delta(a.to_numpy(), b.to_numpy(), w)
    a, b = (x.set_index("seed")[metric.column].astype(float) for x in (base, runs))
    seeds = a.index.intersection(b.index)
    return look_delta(a.loc[seeds].to_numpy()[:, None], b.loc[seeds].to_numpy()[:, None])


# ---- the report's section ----------------------------------------------------------------------------------------


def adaptive_sections(run_dirs: list[Path]) -> list[Section]:
    """A section per adaptive log beside these runs (in their sweep dir, the parent of each run dir)."""
    logs = sorted({d.parent / LOG_FILE for d in run_dirs if (d.parent / LOG_FILE).is_file()})
    return [adaptive_section(json.loads(path.read_text()), path) for path in logs]


def adaptive_section(log: dict[str, Any], path: Path) -> Section:
    """The seeds each level got, each comparison's look of decision (or open at the cap), and why the study
    stopped."""
    plan = log["plan"]
    section = Section("Seeds where they decide (adaptive)", level=3)
    section.items.append(
        f"An adaptive study (`{path.name}`): {log['factor']} levels against {log['baseline']} on "
        f"{log['metric_why']}. It started with {plan[0]} seeds per level and added {_step(plan)} to the levels whose "
        f"comparison was still open, up to {plan[-1]}: {len(plan)} looks, at {', '.join(map(str, plan))} seeds. The "
        f"looks before the cap share {_pct(log['early_share'])} of a comparison's alpha in proportion to their seeds, "
        f"the cap the rest (Bonferroni over the looks), with alpha split over the comparisons by the graphical Holm "
        f"procedure (a decided comparison's share passes to the open ones): the chance of any false verdict stays "
        f"<= {log['alpha']:g} under this optional stopping (docs/statistics.md). Stopped: {log['stop']}."
    )
    rows, data = [], []
    comparisons = {c["level"]: c for c in log["looks"][-1]["comparisons"]} if log["looks"] else {}
    better = log.get("higher_is_better", False)
    for level in log["levels"]:
        seeds = log["seeds"].get(level, [])
        c = comparisons.get(level)
        verdict = "baseline" if level == log["baseline"] else _verdict(c, plan, better)
        shown_delta = "" if c is None or not c["looks"] else f"{c['mean']:+.4g} [{c['low']:.4g}, {c['high']:.4g}]"
        rows.append(
            {
                log["factor"]: level,
                "seeds": len(seeds),
                "which": ", ".join(map(str, seeds)),
                "verdict": verdict,
                f"Δ {log['metric']} [95% CI]": shown_delta,
                "p (guarded)": "" if c is None or not c["looks"] else f"{c['p']:.2g}",
                "tested at": "" if c is None or not c["looks"] else f"{c['level_tested']:.2g}",
            }
        )
        data.append(
            {"level": level, "seeds": len(seeds), "seed_list": " ".join(map(str, seeds)), "verdict": verdict, **(c or {})}
        )
    caption = (
        "Seeds per level and each comparison's sequential verdict: the look (and seeds) at which it was decided, or "
        "open at the cap. The factor tables above re-test the final runs at a fixed alpha, which is descriptive after "
        "optional stopping; the verdicts here are the ones whose error the design controls."
    )
    name = _slug(f"adaptive_{path.parent.parent.name}_{path.parent.name}_{log['factor']}")
    section.items.append(Table(name, caption, pd.DataFrame(rows), pd.DataFrame(data)))
    runs = sum(len(s) for s in log["seeds"].values())
    fixed = len(log["levels"]) * plan[-1]
    section.items.append(f"{runs} runs, where a fixed design at the cap would have made {fixed}.")
    return section


def _verdict(c: dict[str, Any] | None, plan: list[int], higher_is_better: bool) -> str:
    if c is None or not c["looks"]:
        return "no complete look yet"
    if c["decided_look"] is None:
        at_cap = c["n_seeds"] >= plan[-1]
        return f"open at the cap of {plan[-1]} seeds" if at_cap else f"open after {c['n_seeds']} seeds (still running)"
    way = "better" if (c["mean"] > 0) == higher_is_better else "worse"
    return f"decided at look {c['decided_look']} ({c['n_seeds']} seeds): significantly {way}"


def _step(plan: list[int]) -> str:
    steps = {b - a for a, b in zip(plan, plan[1:])}
    return "no seeds" if not steps else f"{min(steps)} seed" + ("s" if min(steps) > 1 else "") + " per look"


def _pct(share: float) -> str:
    return f"{100 * share:g}%"


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)


def as_record(state: State) -> list[dict[str, Any]]:
    """The comparisons of one look, for the log."""
    return [asdict(c) for c in state.comparisons]
