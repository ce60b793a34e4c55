"""Collect run directories into one table: a row per run, with its factors, metrics and data figures.

Only results.json is read (plus generations.jsonl for the samples): the report needs nothing but the
run directories, so it works offline and on a copy of someone else's outputs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sft_ablate.record.results import RESULTS_FILE

# Factors that only relabel another factor: tables use the label, plots use the number.
DERIVED = {"synthetic_fraction": "mix", "lora_r": "lora"}
NOT_A_FACTOR = {"seed"}
DIVERSITY_ORDER = ["all", "low", "medium", "high"]


@dataclass(frozen=True)
class Metric:
    column: str
    label: str
    higher_is_better: bool
    rate: bool = False  # a fraction in [0, 1] (win rate, accuracy): its CIs are clipped to [0, 1]


@dataclass
class Run:
    dir: Path
    name: str  # the run dir relative to the report root
    results: dict[str, Any]

    @property
    def status(self) -> str:
        return self.results.get("status", "unknown")


def find_runs(root: Path) -> list[Run]:
    """Every run under root (a sweep dir, or a whole outputs dir), in path order."""
    runs = []
    for path in sorted(root.rglob(RESULTS_FILE)):
        if "wandb" in path.parts or path.parent.name == "report":
            continue
        try:
            results = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            results = {"status": "unreadable"}
        name = path.parent.relative_to(root).as_posix() if path.parent != root else path.parent.name
        runs.append(Run(dir=path.parent, name=name, results=results))
    return runs


def runs_frame(runs: list[Run]) -> pd.DataFrame:
    """One row per run: run, status, study, error, each factor, each metric, data figures."""
    rows = []
    for run in runs:
        r = run.results
        row: dict[str, Any] = {
            "run": run.name,
            "status": run.status,
            "study": r.get("config", {}).get("study", ""),
            "error": r.get("error", ""),
            # W&B is a sink: a run whose tracking failed is complete, but its W&B record is partial.
            "tracking": (r.get("tracking") or {}).get("status", ""),
            "tracking_error": (r.get("tracking") or {}).get("error") or "",
        }
        row.update(r.get("factors", {}))
        row.update(metric_values(r.get("metrics", {})))
        row.update(data_figures(r.get("data", {})))
        rows.append(row)
    return pd.DataFrame(rows)


def metric_values(metrics: dict[str, Any]) -> dict[str, float]:
    """Flat metric columns: eval_loss..., eval_loss_by_source/<source>, heldout/<set>/loss, bench/<task>/<metric>,
    elo/<key>."""
    out = {k: v for k, v in metrics.items() if _is_number(v)}
    for source, value in (metrics.get("eval_loss_by_source") or {}).items():
        if _is_number(value):
            out[f"eval_loss_by_source/{source}"] = value
    for name, values in (metrics.get("heldout") or {}).items():
        for key in ("loss", "base_loss"):
            if _is_number((values or {}).get(key)):
                out[f"heldout/{name}/{key}"] = values[key]
    for task, values in (metrics.get("benchmarks") or {}).items():
        for name, value in (values or {}).items():
            if _is_number(value):
                out[f"bench/{task}/{name}"] = value
    for name, value in (metrics.get("elo") or {}).items():
        if _is_number(value):
            out[f"elo/{name}"] = value
    return out


def data_figures(data: dict[str, Any]) -> dict[str, float]:
    """Counts, tokens and diversity figures of the training data."""
    out: dict[str, Any] = {}
    for source, stats in (data.get("sources") or {}).items():
        if _is_number(stats.get("rows")):
            out[f"data/rows/{source}"] = stats["rows"]
    tokens = data.get("train_tokens") or {}
    for key in ("tokens", "trainable_tokens"):
        if _is_number(tokens.get(key)):
            out[f"data/train_{key}"] = tokens[key]
    # The train set's headline measures only: per-source, pool and word-count figures stay in results.json.
    train_diversity = (data.get("diversity") or {}).get("train") or {}
    for key in DIVERSITY_COLUMNS:
        if _is_number(train_diversity.get(key)):
            out[f"data/diversity/{key}"] = train_diversity[key]
    return out


DIVERSITY_COLUMNS = ("mean_cosine_distance", "cluster_entropy", "distinct_2_instruction", "distinct_2_response")


def metrics_in(frame: pd.DataFrame) -> list[Metric]:
    """The outcome metrics present in the frame, in report order: loss, perplexity, benchmarks, Elo."""
    found = [Metric("eval_loss", "eval loss", False), Metric("eval_perplexity", "perplexity", False)]
    # Per source and on external sets: a mix moves the pooled loss toward the source it favours; these do not.
    for column in sorted(c for c in frame.columns if c.startswith("eval_loss_by_source/")):
        found.append(Metric(column, f"eval loss: {column.split('/', 1)[1]}", False))
    for column in sorted(c for c in frame.columns if c.startswith("heldout/") and c.endswith("/loss")):
        found.append(Metric(column, f"{column.split('/')[1]} loss", False))
    for column in sorted(c for c in frame.columns if c.startswith("bench/") and not c.endswith("_stderr")):
        _, task, name = column.split("/", 2)
        higher = not any(w in name for w in ("loss", "perplexity", "error"))
        # A benchmark score is a rate when every run's value is one (accuracy, exact match); others (BLEU) are not.
        rate = higher and bool(frame[column].dropna().between(0, 1).all())
        found.append(Metric(column, f"{task} {name}", higher, rate))
    found += [Metric("elo/rating", "Elo", True), Metric("elo/win_rate_vs_base", "win rate vs base", True, rate=True)]
    return [m for m in found if m.column in frame.columns and frame[m.column].notna().any()]


def metric_by_name(frame: pd.DataFrame, name: str) -> Metric:
    name = name.removeprefix("metrics.")  # the results.json path works too: metrics.heldout.<set>.loss
    for metric in metrics_in(frame):
        if name in (metric.column, metric.column.replace("/", ".")):
            return metric
    known = ", ".join(m.column for m in metrics_in(frame))
    raise KeyError(f"no metric {name!r} in these runs (they have: {known})")


def factor_names(runs: list[Run]) -> list[str]:
    """Every factor any run records (factors() in config.py; other issues add theirs, e.g. diversity)."""
    names: dict[str, None] = {}
    for run in runs:
        names.update(dict.fromkeys(run.results.get("factors", {})))
    return list(names)


def varied_factors(frame: pd.DataFrame, factors: list[str]) -> list[str]:
    """Factors with more than one value among the runs, in a fixed reading order."""
    order = ["mix", "diversity", "budget", "lora", "learning_rate", "model"]
    varied = [
        f
        for f in factors
        if f in frame.columns and f not in DERIVED and f not in NOT_A_FACTOR and frame[f].nunique(dropna=True) > 1
    ]
    return sorted(varied, key=lambda f: order.index(f) if f in order else len(order))


def level_order(frame: pd.DataFrame, factor: str) -> list[Any]:
    """Levels in their natural order: mixes by synthetic fraction, LoRA by rank, diversity low->high."""
    levels = list(frame[factor].dropna().unique())
    derived = {v: k for k, v in DERIVED.items()}.get(factor)
    if derived and derived in frame.columns:
        first = frame.groupby(factor)[derived].first()
        return sorted(levels, key=lambda level: (first.get(level, math.inf), str(level)))
    if factor == "diversity":
        return sorted(levels, key=lambda v: (DIVERSITY_ORDER.index(v) if v in DIVERSITY_ORDER else len(DIVERSITY_ORDER), str(v)))
    if all(_is_number(v) for v in levels):
        return sorted(levels)
    return sorted(levels, key=str)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
