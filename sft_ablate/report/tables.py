"""The report's tables. Each comes twice: formatted for reading (md/html) and numeric (csv)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sft_ablate.report.evidence import SEEDS, Comparison, FactorEvidence, LevelMean, level_label
from sft_ablate.report.runs import Metric, Run


@dataclass
class Table:
    name: str  # file stem of the csv
    caption: str
    shown: pd.DataFrame  # formatted strings
    data: pd.DataFrame  # numbers


def factor_table(frame: pd.DataFrame, evidence: FactorEvidence, metrics: list[Metric], name: str) -> Table:
    """One row per level of the factor: n, each metric's mean ± 95% CI and its delta vs the baseline level, both
    over seeds and items (sft_ablate/report/evidence.py)."""
    factor = evidence.factor
    shown_rows, data_rows = [], []
    places = {m.column: metric_places(frame, m.column) for m in metrics}
    for level in evidence.levels:
        n = int((frame[factor] == level).sum())
        shown: dict[str, Any] = {factor: _label(level), "n": n}
        data: dict[str, Any] = {factor: level, "n": n}
        for metric in metrics:
            mean = evidence.means[(level, metric.column)]
            shown[metric.label] = _mean_text(mean, metric, places[metric.column])
            data.update(_mean_data(mean, metric))
            comparison = evidence.comparison(level, metric.column)
            if level == evidence.baseline:
                shown[f"Δ {metric.label}"] = "baseline"
            elif comparison is not None:
                shown[f"Δ {metric.label}"] = _delta_text(comparison, metric, places[metric.column])
                data.update(_delta_data(comparison))
        shown_rows.append(shown)
        data_rows.append(data)
    return Table(name, _factor_caption(evidence, metrics), pd.DataFrame(shown_rows), pd.DataFrame(data_rows))


def _mean_text(mean: LevelMean, metric: Metric, places: int) -> str:
    if not metric.rate:
        return _mean_pm(mean.mean, mean.half_width, places)
    return _mean_in(mean.mean, _clip_rate(mean.low), _clip_rate(mean.high), places)


def _mean_data(mean: LevelMean, metric: Metric) -> dict[str, Any]:
    low, high = (_clip_rate(mean.low), _clip_rate(mean.high)) if metric.rate else (mean.low, mean.high)
    c = metric.column
    return {f"{c}_mean": mean.mean, f"{c}_ci_low": low, f"{c}_ci_high": high, f"{c}_n": mean.n, f"{c}_n_items": mean.n_items,
            f"{c}_basis": mean.basis}  # fmt: skip


def _delta_data(comparison: Comparison) -> dict[str, Any]:
    d, c = comparison.delta, comparison.metric.column
    return {
        f"{c}_delta": d.mean,
        f"{c}_delta_ci_low": d.low,
        f"{c}_delta_ci_high": d.high,
        f"{c}_delta_paired": d.paired,
        f"{c}_delta_n": d.n_seeds,
        f"{c}_delta_n_items": d.n_items,
        f"{c}_delta_basis": comparison.basis,
        f"{c}_delta_p": d.p,
        f"{c}_delta_p_adjusted": comparison.p_adjusted,
        f"{c}_delta_in_family": comparison.in_family,
        f"{c}_delta_in_distribution": comparison.in_distribution,
        f"{c}_delta_significant": comparison.significant,
    }


def _factor_caption(evidence: FactorEvidence, metrics: list[Metric]) -> str:
    factor, others = evidence.factor, [k for k in evidence.pair_on if k != "seed"]
    rates = [m.label for m in metrics if m.rate]
    outside = [c.metric.label for c in evidence.comparisons if not c.in_family]
    outside = list(dict.fromkeys(outside))
    return (
        f"By {factor}: mean ± 95% CI over its runs and the metric's items (seeds × items; over runs only where the "
        "runs recorded no per-item scores)"
        + (f" (rates, {', '.join(rates)}: mean [95% CI], clipped to [0, 1])" if rates else "")
        + f"; Δ vs {factor}={_label(evidence.baseline)} with its 95% CI over seeds and items, paired by seed"
        + (f" and {', '.join(others)}" if others else "")
        + " where two such pairs exist (else unpaired seeds) and by item. * marks a Δ significant after the "
        "adjustment for the factor's family of tests (adjusted p ≤ 0.05; the CI shown is not adjusted; see the "
        "table below), ↑ when the change is an improvement, ↓ when it is worse; (seeds only): runs without "
        "item_scores.jsonl, a t over seeds."
        + (
            f" Shown but no test of the verdict (no per-item scores; CI over seeds only, never *): {', '.join(outside)}."
            if outside
            else ""
        )
    )


def runs_table(frame: pd.DataFrame, factors: list[str], metrics: list[Metric], name: str) -> Table:
    """Every complete run: its factors, its data figures and its outcomes, side by side."""
    data_columns = [c for c in frame.columns if c.startswith("data/")]
    columns = ["run", *factors, "seed", *data_columns, *[m.column for m in metrics]]
    columns = list(dict.fromkeys(c for c in columns if c in frame.columns))
    data = frame[columns].reset_index(drop=True)
    shown = _as_levels(_formatted(data), data, factors).rename(
        columns={**{c: c.removeprefix("data/") for c in data_columns}, **{m.column: m.label for m in metrics}}
    )
    caption = (
        "Each complete run with its training data (rows per source, tokens, diversity figures where "
        "recorded) beside its outcomes."
    )
    return Table(name, caption, shown, data)


def incomplete_table(frame: pd.DataFrame, factors: list[str], name: str) -> Table:
    columns = [c for c in ["run", "status", *factors, "seed", "error"] if c in frame.columns]
    data = frame[columns].reset_index(drop=True)
    shown = _as_levels(_formatted(data), data, factors)
    shown["error"] = shown["error"].fillna("").map(lambda e: str(e).splitlines()[0][:160] if e else "")
    caption = "Runs that did not complete (failed, pruned, interrupted or still running): listed, never averaged in."
    return Table(name, caption, shown, data)


def tracking_failures_table(frame: pd.DataFrame, name: str) -> Table | None:
    """Runs whose W&B tracking failed: their results.json (all this report reads) is whole, their W&B record is not."""
    failed = frame[frame["tracking"].isin(["failed", "init_failed"])].reset_index(drop=True)
    if not len(failed):
        return None
    data = failed[["run", "status", "tracking", "tracking_error"]]
    shown = data.rename(columns={"tracking": "W&B", "tracking_error": "W&B error"}).copy()
    shown["W&B error"] = shown["W&B error"].map(lambda e: str(e).splitlines()[0][:160] if e else "")
    caption = (
        f"W&B tracking failed in {len(failed)} runs: their W&B records are partial (results.json, which this report "
        "reads, is whole)."
    )
    return Table(name, caption, shown, data)


def leaderboard_table(frame: pd.DataFrame, factors: list[str], name: str) -> Table | None:
    """The Elo leaderboard, from each run's metrics.elo (written by the arena, issue 6).

    Seam: `python -m sft_ablate.arena` owns the rating pool (base model included) and can print the
    full leaderboard; this table is the report's view of what the runs recorded.
    """
    if "elo/rating" not in frame.columns or frame["elo/rating"].isna().all():
        return None
    rows = frame[frame["elo/rating"].notna()].sort_values("elo/rating", ascending=False)
    keep = [
        "run",
        *factors,
        "seed",
        "elo/rating",
        "elo/ci_low",
        "elo/ci_high",
        "elo/win_rate_vs_base",
        "elo/win_rate_ci_low",
        "elo/win_rate_ci_high",
        "elo/mean_answer_length",
    ]
    data = rows[[c for c in keep if c in rows.columns]].reset_index(drop=True)
    shown = data[[c for c in ["run", *factors, "seed"] if c in data.columns]].copy()
    shown["Elo (95% CI)"] = [_with_ci(r, "elo/rating", "elo/ci_low", "elo/ci_high", ".0f") for r in data.to_dict("records")]
    shown["win rate vs base (95% CI)"] = [
        _with_ci(r, "elo/win_rate_vs_base", "elo/win_rate_ci_low", "elo/win_rate_ci_high", ".2f") for r in data.to_dict("records")
    ]
    if "elo/mean_answer_length" in data.columns:
        shown["mean answer length"] = data["elo/mean_answer_length"].map(_number)
    caption = (
        "Elo leaderboard (Bradley-Terry, base model anchored at 1000) with bootstrap 95% CIs and mean "
        "answer length, which shows any length bias. `python -m sft_ablate.arena <outputs dir>` "
        "recomputes the whole pool."
    )
    return Table(name, caption, shown, data)


def samples_table(best: Run, worst: Run, metric: Metric, n: int, name: str) -> Table | None:
    """Held-out prompts answered by the base model, the best run and the worst run."""
    best_rows, worst_rows = _generations(best.dir), _generations(worst.dir)
    if not best_rows:
        return None
    worst_by_prompt = {json.dumps(g["prompt"]): g for g in worst_rows}
    rows = []
    for g in best_rows[:n]:
        other = worst_by_prompt.get(json.dumps(g["prompt"]), {})
        prompt = g["prompt"][-1]["content"] if g.get("prompt") else ""
        rows.append(
            {
                "prompt": prompt,
                "reference": g.get("reference", ""),
                "base model": g.get("base_output") or "(not generated: eval.base_model=false)",
                f"best: {best.name}": g.get("output") or "(empty answer)",
                f"worst: {worst.name}": other.get("output") or "(empty answer)",
            }
        )
    data = pd.DataFrame(rows)
    shown = data.map(lambda text: _clip(str(text), 400))
    caption = (
        f"Sample generations on held-out prompts (greedy): the base model, the best run and the worst run by {metric.label}."
    )
    return Table(name, caption, shown, data)


def _generations(run_dir: Path) -> list[dict]:
    path = run_dir / "generations.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _formatted(data: pd.DataFrame) -> pd.DataFrame:
    """Floats as short strings (see _number); everything else as it is."""
    shown = data.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(_number)
    return shown.astype(object).where(shown.notna(), "")  # missing values as blanks, not <NA>


def _as_levels(shown: pd.DataFrame, data: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Factor columns as the level tables label them: 2 epochs reads 2, not 2.000."""
    for column in factors:
        if column in data.columns:
            shown[column] = data[column].map(lambda v: "" if pd.isna(v) else _label(v))
    return shown


_label = level_label


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        magnitude = abs(value)
        if magnitude >= 1000:
            return f"{value:,.0f}"
        if magnitude >= 100:
            return f"{value:.1f}"
        return f"{value:.3f}" if magnitude >= 1 else f"{value:.4g}"
    return str(value)


def _mean_pm(mean: float, half_width: float, places: int) -> str:
    if not math.isfinite(mean):
        return ""
    if not math.isfinite(half_width):
        return f"{mean:,.{places}f}"
    return f"{mean:,.{places}f} ± {half_width:,.{places}f}"


def _clip_rate(value: float) -> float:
    return min(1.0, max(0.0, value)) if math.isfinite(value) else value


def _mean_in(mean: float, low: float, high: float, places: int) -> str:
    """A rate: '0.625 [0.310, 0.940]' (a ± would run past 0 or 1)."""
    if not math.isfinite(mean):
        return ""
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{mean:.{places}f}"
    return f"{mean:.{places}f} [{low:.{places}f}, {high:.{places}f}]"


def _delta_text(comparison: Comparison, metric: Metric, places: int) -> str:
    """'+0.012 [-0.004, +0.028]'; '↑*' (better) or '↓*' (worse) when significant after the family's adjustment;
    '(seeds only)' for a test over seeds alone (runs without per-item scores)."""
    d = comparison.delta
    if not math.isfinite(d.mean):
        return ""
    text = f"{d.mean:+,.{places}f}"
    if math.isfinite(d.low):
        text += f" [{d.low:+,.{places}f}, {d.high:+,.{places}f}]"
    if comparison.in_family and comparison.basis == SEEDS:
        text += " (seeds only)"
    if not comparison.significant:
        return text
    return f"{text} {'↑' if (d.mean > 0) == metric.higher_is_better else '↓'}*"


def metric_places(frame: pd.DataFrame, column: str) -> int:
    """One precision per metric, from its typical size, so rows line up: an Elo reads 1,017 and -15 [-42, +12],
    a loss 7.641 and -0.021."""
    return _places(frame[column].abs().median())


def _places(value: float) -> int:
    """Decimal places that suit a value's size (as _number uses)."""
    magnitude = abs(value) if value == value and math.isfinite(value) else 1.0
    return 0 if magnitude >= 1000 else 1 if magnitude >= 100 else 3 if magnitude >= 1 else 4


def _with_ci(row: dict, value: str, low: str, high: str, spec: str) -> str:
    if value not in row or row[value] is None or not math.isfinite(row[value]):
        return ""
    text = format(row[value], spec)
    if low in row and high in row and math.isfinite(row[low]) and math.isfinite(row[high]):
        text += f" [{format(row[low], spec)}, {format(row[high], spec)}]"
    return text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
