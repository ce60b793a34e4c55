"""The quality filters: what a filter is, the registry of them, and (one module each) the built-in ones.

A filter is a function over all sources' rows together, in source order (so dedup keeps the first source's
copy: a row in two sources could otherwise be trained on from one and evaluated on from the other). It gets its
own settings and a small context, and says which rows it removes and why, and which it rewrites:

    @dataclass
    class ShoutConfig:
        max_caps: float = 0.5  # the YAML key quality.shout.max_caps

    @QUALITY_FILTERS.register("shout", ShoutConfig)
    def shout(rows: list[Example], settings: ShoutConfig, context: FilterContext) -> FilterOutcome:
        return FilterOutcome(removed={id(e): "all caps" for e in rows if caps(e) > settings.max_caps})

A module dropped into this package registers itself (every module here is imported below); a module elsewhere
does when SFT_ABLATE_PLUGINS names it. Listing the name in `quality.filters` runs it, in that place.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sft_ablate.data.sources import Example
from sft_ablate.registry import Registry


@dataclass(frozen=True)
class FilterContext:
    """What a filter may need besides its rows and settings."""

    heldout: dict[str, list[Example]]  # the external eval sets (eval.heldout_sets), by name: never trained on


@dataclass(frozen=True)
class Edit:
    """A row that a filter keeps, rewritten (PII redacted, special-token strings stripped)."""

    row: Example  # the rewritten copy
    reason: str  # its line in dropped_rows.jsonl: names what was found, never the text itself
    action: str  # that line's action: "redacted", "stripped"
    counted_as: tuple[str, ...]  # the per-source tallies it adds one to (the PII kinds found; "stripped")


@dataclass
class FilterOutcome:
    """What one filter does to the rows, keyed by id(row): identical rows are distinct rows (that is what dedup finds)."""

    removed: dict[int, str] = field(default_factory=dict)  # the rows it removes, and why
    edited: dict[int, Edit] = field(default_factory=dict)  # the rows it rewrites
    read: dict[str, int] = field(default_factory=dict)  # what it read, and how many items ("path:field" -> prompts)
    missing: list[str] = field(default_factory=list)  # optional inputs it could not read ("path:field")


class QualityFilter(Protocol):
    def __call__(self, rows: list[Example], settings: Any, context: FilterContext) -> FilterOutcome: ...


@runtime_checkable
class ReadsFiles(Protocol):
    """Settings that name files a filter reads (decontamination's eval prompts) say so, for the data cache key."""

    def input_files(self) -> list[Path] | None: ...  # None: it reads something unhashable (a hub tokenizer)


QUALITY_FILTERS: Registry[QualityFilter] = Registry("quality filter")

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
