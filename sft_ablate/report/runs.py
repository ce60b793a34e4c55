"""Collect run directories into one table: a row per run, with its factors, metrics and data figures.

Only results.json is read here (item_scores.jsonl by evidence.py, generations.jsonl for the samples): the report
needs nothing but the run directories, so it works offline and on a copy of someone else's outputs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import sft_ablate.arena  # noqa: F401  (a stage package registers its metrics on import: sft_ablate/metrics.py)
import sft_ablate.training  # noqa: F401
from sft_ablate.evaluation.metric_specs import note_benchmark_directions
from sft_ablate.identity import INCIDENTAL, NO_DEFAULT, flat_settings, run_identity, setting_default
from sft_ablate.metrics import MetricSpec, is_number, metric_specs, recorded, settled, spec_for
from sft_ablate.record.results import RESULTS_FILE

# The factors the shipped studies were built around keep their short names: the setting behind each. Any other
# setting a study varies is a factor named by its dotted path (train.epochs, data.sources.human.path).
KNOWN = {
    "mix": "mix.name",
    "model": "model.name",
    "lora": "lora.name",
    "diversity": "diversity.name",
    "learning_rate": "train.learning_rate",
    "budget": "data.budget",
}
SHORT_NAME = {path: name for name, path in KNOWN.items()}
# Config groups: an option's fields (mix.weights.*, lora.r, a model's sizes) move with its name, as one factor.
CONFIG_GROUPS = ("mix", "model", "lora", "diversity")
# Numbers that stand for a factor's levels: tables use the label, plots use the number, levels sort by it.
DERIVED = {"synthetic_fraction": "mix", "lora_r": "lora"}
# A mix whose name does not tell it apart (an Optuna study's 30_70 is any fraction that rounds to 0.3) is its number.
GROUP_NUMBER = {"mix": "synthetic_fraction"}
REPLICATE = "seed"  # the replicate, never a factor
NOT_A_FACTOR = {REPLICATE, "study"}  # the report sections runs by study (and model) already
READING_ORDER = ["mix", "diversity", "budget", "lora", "learning_rate", "model"]  # then the rest by path
# Which name a factor of settings that move in lockstep takes: a model option brings its LoRA and training defaults.
MERGE_PRIORITY = ["model", "mix", "diversity", "lora", "budget", "learning_rate"]
DIVERSITY_ORDER = ["all", "low", "medium", "high"]
UNSET = "(unset)"  # a setting a run recorded no value for and the schema has no default for


@dataclass(frozen=True)
class Metric:
    column: str
    label: str
    higher_is_better: bool
    rate: bool = False  # a fraction in [0, 1] (win rate, accuracy): its CIs are clipped to [0, 1]
    # Its spec in the metric table (direction settled) and the keys its stars matched: where its items are.
    spec: MetricSpec | None = field(default=None, compare=False, repr=False)
    keys: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass
class Run:
    dir: Path
    name: str  # the run dir relative to the report root
    results: dict[str, Any]

    @property
    def status(self) -> str:
        return self.results.get("status", "unknown")

    @cached_property
    def settings(self) -> RunSettings | None:
        return run_settings(self.results)


@dataclass(frozen=True)
class RunSettings:
    identity: tuple[str, ...]  # the dotted keys of its identity: what it set away from the schema's defaults
    values: dict[str, Any]  # every recorded setting (incidental sections aside), by dotted path


def run_settings(results: dict[str, Any]) -> RunSettings | None:
    """A run's settings, from the config it recorded; None for a run that recorded none (an older run, whose
    `factors` stand in for them)."""
    config = results.get("config") or {}
    if not set(config) - {*INCIDENTAL, "study", REPLICATE}:
        return None
    identity = flat_settings(run_identity(config))
    values = flat_settings({k: v for k, v in config.items() if k not in INCIDENTAL})
    return RunSettings(tuple(identity), {**identity, **values})


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
    """One row per run: run, status, study, error, each setting any run's identity holds (by dotted path), the
    known factors by their short names (mix, lora, ...) with their numbers (synthetic_fraction, lora_r), the seed,
    each metric, data figures."""
    keys = [k for k in setting_keys(runs) if k not in KNOWN]  # a run without a config: its factors' names
    rows = []
    for run in runs:
        r = run.results
        row: dict[str, Any] = {
            "run": run.name,
            "status": run.status,
            "study": (r.get("config") or {}).get("study", ""),
            "study_primary": (r.get("config") or {}).get("study_primary") or "",  # the verdicts' primary metric
            "error": r.get("error", ""),
            # W&B is a sink: a run whose tracking failed is complete, but its W&B record is partial.
            "tracking": (r.get("tracking") or {}).get("status", ""),
            "tracking_error": (r.get("tracking") or {}).get("error") or "",
        }
        row.update(factor_values(run, keys))
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
            found.append(Metric(column, one.label_for(keys), bool(one.higher_is_better), rate, one, keys))
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


def setting_keys(runs: list[Run]) -> list[str]:
    """What a study may vary: every key of any run's identity (run_identity: each setting that changes the result,
    less incidental sections and defaults), by dotted path; for a run that recorded no config, its recorded
    factors' names."""
    keys: dict[str, None] = {}
    for run in runs:
        settings = run.settings
        if settings is not None:
            keys.update(dict.fromkeys(settings.identity))
        else:
            keys.update(dict.fromkeys(k for k in run.results.get("factors", {}) if k not in DERIVED))
    return list(keys)


def factor_values(run: Run, keys: list[str]) -> dict[str, Any]:
    """A run's value of each setting in keys (what it ran with: its recorded value, else the schema's default),
    of each known factor by its short name, their numbers, and its seed."""
    recorded_factors = run.results.get("factors") or {}
    settings = run.settings
    if settings is None:  # an older run: the factors it recorded are all there is
        return dict(recorded_factors)
    out = {key: _level_value(_ran_with(settings, key)) for key in keys}
    for name, path in KNOWN.items():
        out[name] = _level_value(_ran_with(settings, path))
    out[REPLICATE] = _ran_with(settings, REPLICATE)
    fraction = _synthetic_fraction(settings.values)
    out["synthetic_fraction"] = recorded_factors.get("synthetic_fraction") if fraction is None else fraction
    out["lora_r"] = _lora_r(settings.values)
    return out


def _ran_with(settings: RunSettings, key: str) -> Any:
    """The value a run ran with: the one it recorded, else the schema's default (a field newer than the run)."""
    return settings.values[key] if key in settings.values else _default_of(key)


@cache
def _default_of(key: str) -> Any:
    return setting_default(key)


def _level_value(value: Any) -> Any:
    """A setting's value as a level: hashable and never missing (a list is its JSON text; null reads null)."""
    if value is NO_DEFAULT:
        return UNSET
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _synthetic_fraction(values: dict[str, Any]) -> float | None:
    weights = {k.removeprefix("mix.weights."): v for k, v in values.items() if k.startswith("mix.weights.")}
    if not weights or not all(is_number(w) for w in weights.values()):
        return None
    kinds = {name: values.get(f"data.sources.{name}.kind", "human") for name in weights}
    return round(sum(w for name, w in weights.items() if kinds[name] == "synthetic"), 6)


def _lora_r(values: dict[str, Any]) -> int:
    if not values.get("lora.enabled", True):  # the schema's defaults: enabled, r 8
        return 0
    r = values.get("lora.r", 8)
    return r if is_number(r) else 0


def factor_name(key: str) -> str:
    """The report's name for a setting or an override's key: a known factor's short name (train.learning_rate ->
    learning_rate; mix.name, or the config group mix, -> mix), else its dotted path. A leading + or ++ goes."""
    key = key.lstrip("+")
    return SHORT_NAME.get(key, key)


@dataclass(frozen=True)
class Factor:
    """What a study varies: a column of the runs frame (a short name, or a dotted path), and every setting that
    moves with it (its own included), which the level tables therefore never average over."""

    name: str
    keys: tuple[str, ...]

    def moves_with(self) -> list[str]:
        """The settings outside its own config section that move with it (a model's LoRA and training defaults)."""
        section = _section(self.name)
        return [factor_name(k) for k in self.keys if not k.startswith(section) and factor_name(k) != self.name]

    def describe(self) -> str:
        others = self.moves_with()
        return f"{self.name} (with {', '.join(others)})" if others else self.name


def study_factors(frame: pd.DataFrame, keys: list[str]) -> list[Factor]:
    """The factors of these runs (one study on one model): every setting (keys: setting_keys) whose value differs
    among them, named by factor_name, less the seed (the replicate). Settings that move together are one factor:
    a config group's fields with its name (mix.weights.* with mix.name, lora.r with lora.name), and any settings
    in lockstep (each level of one is one level of the other), named by a known factor if one is among them.
    In READING_ORDER, then by path."""
    varying = [k for k in keys if k not in NOT_A_FACTOR and k not in DERIVED and _column(k) in frame.columns]
    groups: dict[str, list[str]] = {}
    for key in varying:
        if _level_count(frame[_column(key)]) > 1 and not _per_seed(frame, _column(key)):
            groups.setdefault(factor_name(key), []).append(key)
    for group in CONFIG_GROUPS:
        _absorb_config_group(frame, groups, group)
    _merge_lockstep(frame, groups)
    factors = [Factor(name, tuple(members)) for name, members in groups.items()]
    return sorted(factors, key=lambda f: (READING_ORDER.index(f.name) if f.name in READING_ORDER else len(READING_ORDER), f.name))


def varied_factors(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """The names of the factors of these runs (study_factors), in reading order."""
    return [factor.name for factor in study_factors(frame, keys)]


def factor_names(frame: pd.DataFrame, keys: list[str]) -> list[str]:
    """Every factor a --baseline may name: the known factors these runs have, and whatever any study varies."""
    names = [name for name in READING_ORDER if name in frame.columns]
    for _, group in frame.groupby(["study", "model"], sort=False):
        names += [name for name in varied_factors(group, keys) if name not in names]
    return names


def _column(key: str) -> str:
    return SHORT_NAME.get(key, key)


def _per_seed(frame: pd.DataFrame, column: str) -> bool:
    """A setting each seed holds one value of (a data file drawn per seed, `path: half_${seed}.jsonl`) is part of
    the replicate, like the seed itself: not a factor."""
    return "seed" in frame.columns and _level_count(frame["seed"]) > 1 and _determines(frame, "seed", column)


def _level_count(values: pd.Series) -> int:
    return values.astype(str).nunique()


def _determines(frame: pd.DataFrame, by: str, column: str) -> bool:
    """Each level of `by` holds one value of `column`."""
    return bool(frame[[by, column]].astype(str).groupby(by)[column].nunique().max() <= 1)


def _absorb_config_group(frame: pd.DataFrame, groups: dict[str, list[str]], group: str) -> None:
    """A config group's varying fields join its factor where its option's name determines them. Where the name
    does not but the group's number does (an Optuna study's mixes: 30_70 names any fraction that rounds to 0.3),
    the factor is that number (synthetic_fraction), so that no level holds two mixes."""
    fields = [name for name in groups if name.startswith(_section(group))]
    if not fields:
        return
    if group in groups and all(_determines(frame, group, f) for f in fields):
        groups[group] += [key for name in fields for key in groups.pop(name)]
        return
    number = GROUP_NUMBER.get(group)
    if number in frame.columns and all(_determines(frame, number, f) for f in [*fields, *([group] if group in groups else [])]):
        groups[number] = groups.pop(group, []) + [key for name in fields for key in groups.pop(name)]


def _section(name: str) -> str:
    """The settings a factor owns: a config group's section (mix.), else its own setting."""
    path = KNOWN.get(DERIVED.get(name, name), name)
    return path.removesuffix("name") if path.endswith(".name") else path


def _merge_lockstep(frame: pd.DataFrame, groups: dict[str, list[str]]) -> None:
    """Factors whose levels split the runs alike are one, named by MERGE_PRIORITY, else the first path. Not when
    every run is a level of its own (an Optuna study, a grid of one seed): then any two settings would seem in
    lockstep."""
    by_split: dict[tuple[int, ...], list[str]] = {}
    for name in groups:
        codes = tuple(pd.factorize(frame[name].astype(str))[0])
        if len(set(codes)) < len(codes):
            by_split.setdefault(codes, []).append(name)
    for names in by_split.values():
        if len(names) < 2:
            continue
        keep = min(names, key=lambda n: (MERGE_PRIORITY.index(n) if n in MERGE_PRIORITY else len(MERGE_PRIORITY), n))
        for name in names:
            if name != keep:
                groups[keep] += groups.pop(name)


def level_order(frame: pd.DataFrame, factor: str) -> list[Any]:
    """Levels in their natural order: mixes by synthetic fraction, LoRA by rank, diversity low->high, numbers
    numerically (before any text level), else as text."""
    levels = list(frame[factor].dropna().unique())
    derived = {v: k for k, v in DERIVED.items()}.get(factor)
    if derived and derived in frame.columns:
        first = frame.groupby(factor)[derived].first()
        return sorted(levels, key=lambda level: (_number_or_inf(first.get(level)), str(level)))
    if factor == "diversity":
        return sorted(levels, key=lambda v: (DIVERSITY_ORDER.index(v) if v in DIVERSITY_ORDER else len(DIVERSITY_ORDER), str(v)))
    return sorted(levels, key=lambda v: (0, v, "") if is_level_number(v) else (1, 0, str(v)))


def is_level_number(value: Any) -> bool:
    """A finite number, numpy's included (a frame's column hands back np.int64), never a bool."""
    return is_number(value.item() if isinstance(value, np.generic) else value)


def _number_or_inf(value: Any) -> float:
    return value if is_level_number(value) else math.inf
