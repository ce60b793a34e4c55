"""The quality stage: the filters listed in `quality.filters`, run in that order over the rows of every source
before the eval hold-out, and the `quality` config node they are configured by.

Each filter (sft_ablate/data/filters/, one module each) removes rows or rewrites them, and says why; every removal
and rewrite is counted per source and filter and lands in the run's dropped_rows.jsonl with its reason.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from omegaconf import MISSING

from sft_ablate.data.filters import QUALITY_FILTERS, FilterContext, FilterOutcome, ReadsFiles
from sft_ablate.data.sources import BadRow, Example
from sft_ablate.errors import ConfigError
from sft_ablate.registry import Entry, load_plugins

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the config node


@dataclass
class QualityConfigBase:
    """Quality filters, applied in the order listed, to every source before the eval hold-out. `quality_schema()`
    adds one key per registered filter with settings (quality.near_dedup, quality.pii, ...)."""

    filters: list[str] = MISSING

    def __post_init__(self) -> None:
        for name in self.filters:
            try:
                QUALITY_FILTERS.get(name)
            except ConfigError as err:
                raise ConfigError(f"quality.filters: {err}") from None
        if len(set(self.filters)) != len(self.filters):
            raise ConfigError(f"quality.filters lists a filter twice: {self.filters}")


def quality_schema() -> type[QualityConfigBase]:
    """The `quality` node as registered now: `filters`, and each filter's settings under its name."""
    entries = tuple(QUALITY_FILTERS.get(name) for name in QUALITY_FILTERS.names())
    return _schema_of(tuple(e for e in entries if e.config is not None))


@cache  # one class per set of filters: pickle (the SLURM launcher's) finds it as this module's QualityConfig
def _schema_of(entries: tuple[Entry, ...]) -> type[QualityConfigBase]:
    fields = [(e.name, e.config, field(default_factory=e.config)) for e in entries]
    schema = dataclasses.make_dataclass("QualityConfig", fields, bases=(QualityConfigBase,))
    schema.__module__ = __name__
    return schema


def __getattr__(name: str) -> Any:
    # QualityConfig has no class statement: it is built from the registry. A process that unpickles a config
    # (a SLURM job) imports the same plugins first, so its schema has the same filters.
    if name == "QualityConfig":
        load_plugins()
        return quality_schema()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def filter_settings(config: QualityConfigBase, name: str) -> Any:
    """A listed filter's settings (None for a filter without any, like exact_dedup)."""
    return getattr(config, name) if QUALITY_FILTERS.get(name).config is not None else None


def filter_code(config: QualityConfigBase) -> dict[str, Path]:
    """The source file of each listed filter's module, by module name, for the data stage's cache key: the filters
    package imports its modules by name (pkgutil), and a plugin's module lies outside the package."""
    makes = [QUALITY_FILTERS.get(name).make for name in config.filters]
    return {make.__module__: Path(inspect.getfile(make)) for make in makes}


def input_files(config: QualityConfigBase) -> list[Path] | None:
    """The files the listed filters read, for the data stage's cache key; None when one reads something that
    cannot be fingerprinted (a tokenizer from the hub)."""
    files: list[Path] = []
    for name in config.filters:
        settings = filter_settings(config, name)
        if isinstance(settings, ReadsFiles):
            read = settings.input_files()
            if read is None:
                return None
            files += read
    return files


# ---------------------------------------------------------------- applying the filters


@dataclass
class QualityResult:
    kept: dict[str, list[Example]]  # per source, in the original order
    removed: dict[str, dict[str, int]]  # source -> filter -> rows removed (every listed filter, 0 included)
    edited: dict[str, dict[str, dict[str, int]]]  # source -> filter -> tally (a PII kind, "stripped") -> rows rewritten
    filters: list[str] = field(default_factory=list)  # as they ran
    dropped: list[BadRow] = field(default_factory=list)  # removed and rewritten rows, with reasons
    eval_prompts: dict[str, int] = field(default_factory=dict)  # what the filters read: "path:field" -> prompts
    eval_prompts_missing: list[str] = field(default_factory=list)  # optional sets not there: not checked

    def source_counts(self, source: str) -> dict[str, Any]:
        """What the filters did to one source, as results.json's data.sources.<name> records it."""
        edited = self.edited[source]
        return {
            "removed": self.removed[source],
            "pii_redacted": edited.get("pii", {}),
            "special_tokens_stripped": edited.get("special_tokens", {}).get("stripped", 0),
        }

    def summary(self) -> dict[str, Any]:
        """results.json's data.quality."""
        return {
            "filters": list(self.filters),
            "eval_prompts": self.eval_prompts,
            "eval_prompts_missing": self.eval_prompts_missing,
        }


def apply_filters(
    sources: dict[str, list[Example]], config: QualityConfigBase, heldout: dict[str, list[Example]] | None = None
) -> QualityResult:
    """Run the listed filters in order over every source; return what is kept and what each filter did.
    `heldout`: external eval sets (name -> rows) that decontamination keeps out of training like the eval prompts."""
    result = QualityResult(
        kept={name: list(rows) for name, rows in sources.items()},
        removed={name: {f: 0 for f in config.filters} for name in sources},
        edited={name: {} for name in sources},
        filters=list(config.filters),
    )
    context = FilterContext(heldout or {})
    for name in config.filters:
        rows = [e for kept in result.kept.values() for e in kept]  # source order: dedup keeps the first source's copy
        outcome = run_filter(name, rows, config, context)
        _record(result, name, outcome)
        result.eval_prompts.update(outcome.read)
        result.eval_prompts_missing += outcome.missing
    for source, counts in result.removed.items():
        if any(counts.values()):
            log.info("quality filters, source %r: removed %s", source, ", ".join(f"{f}={n}" for f, n in counts.items() if n))
    return result


def run_filter(name: str, rows: list[Example], config: QualityConfigBase, context: FilterContext) -> FilterOutcome:
    """One filter over the rows, with its own settings."""
    return QUALITY_FILTERS.get(name).make(rows, filter_settings(config, name), context)


def _record(result: QualityResult, name: str, outcome: FilterOutcome) -> None:
    """Apply one filter's outcome: drop what it removed, swap in what it rewrote, count both and say why."""
    for source, kept in result.kept.items():
        out = []
        for example in kept:
            reason, edit = outcome.removed.get(id(example)), outcome.edited.get(id(example))
            if reason is not None:
                result.removed[source][name] += 1
                result.dropped.append(BadRow(source, example.origin, reason, filter=name))
            elif edit is not None:
                tally = result.edited[source].setdefault(name, {})
                for label in edit.counted_as:
                    tally[label] = tally.get(label, 0) + 1
                result.dropped.append(BadRow(source, example.origin, edit.reason, filter=name, action=edit.action))
                out.append(edit.row)
            else:
                out.append(example)
        result.kept[source] = out
