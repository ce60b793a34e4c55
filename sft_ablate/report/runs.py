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

import sft_ablate.arena  # noqa: F401  (a stage package registers its metrics on import: sft_ablate/metrics.py)
import sft_ablate.training  # noqa: F401
from sft_ablate.evaluation.metric_specs import note_benchmark_directions
from sft_ablate.metrics import MetricSpec, is_number, metric_specs, recorded, settled, spec_for
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
        note_benchmark_directions(r)  # lighteval's word on which way each benchmark metric is better
        row.update(metric_values(r.get("metrics", {})))
        row.update(data_figures(r.get("data", {})))
        rows.append(row)
    return pd.DataFrame(rows)


def metric_values(metrics: dict[str, Any]) -> dict[str, float]:
    """Flat metric columns, one per registered metric the run recorded (sft_ablate/metrics.py): eval_loss...,
    eval_loss_by_source/<source>, heldout/<set>/loss, bench/<task>/<metric>, elo/<key>."""
    return {spec.column_for(keys): value for spec, keys, value in recorded(metrics)}


def data_figures(data: dict[str, Any]) -> dict[str, float]:
    """Counts, tokens and diversity figures of the training data."""
    out: dict[str, Any] = {}
    for source, stats in (data.get("sources") or {}).items():
        if is_number(stats.get("rows")):
            out[f"data/rows/{source}"] = stats["rows"]
    tokens = data.get("train_tokens") or {}
    for key in ("tokens", "trainable_tokens"):
        if is_number(tokens.get(key)):
            out[f"data/train_{key}"] = tokens[key]
    # The train set's headline measures only: per-source, pool and word-count figures stay in results.json.
    train_diversity = (data.get("diversity") or {}).get("train") or {}
    for key in HEADLINE_DIVERSITY_MEASURES:
        if is_number(train_diversity.get(key)):
            out[f"data/diversity/{key}"] = train_diversity[key]
    return out


HEADLINE_DIVERSITY_MEASURES = ("mean_cosine_distance", "cluster_entropy", "distinct_2_instruction", "distinct_2_response")


def metrics_in(frame: pd.DataFrame) -> list[Metric]:
    """The metrics the report compares (the table's ``compare``) present in the frame, in the table's order:
    loss, perplexity, per source, external sets, benchmarks, Elo, then any other registered metric."""
    found = []
    for spec in metric_specs():
        if not spec.compare:
            continue
        columns = {c: keys for c in frame.columns if (keys := _keys(spec, c)) is not None}
        for column, keys in sorted(columns.items()):
            values = frame[column].dropna()
            if values.empty:
                continue
            one = settled(spec, keys)  # a benchmark metric's direction: lighteval's, else the default for its name
            rate = one.is_rate and bool(values.between(0, 1).all())  # accuracy is one in every run; BLEU is not
            found.append(Metric(column, one.label_for(keys), bool(one.higher_is_better), rate))
    return found


def _keys(spec: MetricSpec, column: str) -> tuple[str, ...] | None:
    """The keys of ``column`` if it is this spec's own: "bench/x/acc_stderr" is the stderr spec's, not the score's."""
    keys = spec.keys_of(column)
    if keys is None:
        return None
    match = spec_for(spec.path_for(keys))
    return keys if match is not None and match[0].path == spec.path else None


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
    if all(is_number(v) for v in levels):
        return sorted(levels)
    return sorted(levels, key=str)
