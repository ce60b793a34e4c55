"""The metric table: every metric a run records, registered by the stage that produces it.

A ``MetricSpec`` names a path under results.json's ``metrics`` (``*`` stands for one key: a source, a task;
``*_stderr`` for a key ending so), which way is better, and how the report labels it. Recording, W&B, the Optuna
objective check and the report all read this table, so ``higher_is_better`` lives here and nowhere else. Each
stage registers its specs in a light module its package imports (``evaluation/metric_specs.py``,
``training/metric_specs.py``, ``arena/metric_specs.py``): importing the package is enough to know them.

A metric may also bring its own ``compute``: a function of the run's held-out answers, which the run calls
after evaluation. That is the one-file way to add a metric:

    register_metric(MetricSpec("answers.mean_words", "mean answer words", higher_is_better=False), compute=fn)

A spec's ``items`` (``ItemScores``) says where the metric's per-item scores are in the run's item_scores.jsonl
(sft_ablate/record/items.py: ``metric_items`` gives one metric's items, and they add up to the recorded value).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from sft_ablate.errors import ConfigError

Parts = tuple[str, ...]  # a metric's keys under `metrics`, one per level: ("heldout", "gsm8k", "loss")


@dataclass(frozen=True)
class ItemScores:
    """Where a metric's per-item scores are in a run's item_scores.jsonl (sft_ablate/record/items.py), so that
    runs pair on the same items. ``group`` and ``value`` may name the keys the path's stars matched: "{0}", "{1}".

    The metric is fsum(value) / fsum(weight) over the chosen rows (weight 1 each without a weight key): a loss is
    sum(nll) / sum(tokens), an accuracy the mean of the items'. With ``per_unit``, the value key holds the item's
    mean over its weight's units (a prompt's win rate over its battles), so an item adds value * weight."""

    set: str  # the rows' "set": "eval", "heldout", "bench", "arena"
    value: str  # the key of each row's score: "nll", "{1}" (a benchmark's metric name), "win"
    group: str | None = "{0}"  # the rows' "group" (a source, a set, a task, "base"); None: every group, pooled
    weight: str | None = None  # the key of each row's weight: "tokens", "battles"
    per_unit: bool = False

    def check(self, stars: int) -> str | None:
        """What is wrong with it for a path of ``stars`` keys, or None."""
        try:
            for text in (self.group or "", self.value):
                text.format(*["key"] * stars)
        except (IndexError, KeyError, ValueError) as err:
            return f"its items' group {self.group!r} or value {self.value!r} names a key the path lacks ({err})"
        return None

    def resolved(self, keys: tuple[str, ...]) -> tuple[str | None, str]:
        """The group (None: all) and the value key for one metric of the spec, its stars' keys given."""
        return (None if self.group is None else self.group.format(*keys)), self.value.format(*keys)


@dataclass(frozen=True)
class MetricSpec:
    path: str  # dotted, under `metrics`: "eval_loss", "eval_loss_by_source.*", "benchmarks.*.*"
    label: str  # the report's name; {0}, {1} are the keys that the path's stars matched
    higher_is_better: bool | None  # None: no better way (a standard error, a length): shown, never compared or optimized
    is_rate: bool = False  # a fraction in [0, 1] (accuracy, win rate): its CIs are clipped to [0, 1]
    compare: bool = True  # the report compares levels on it (False: recorded only, e.g. the base model's loss)
    column: str = ""  # the report's column, a '*' per key; default: the path with '/' for '.'
    order: int = 100  # report order: lower first
    by_name: bool = False  # its direction is the metric's own (recorded), else the default for its name (by_name_default)
    over: tuple[str, ...] = ()  # per '*': the config entry whose keys it takes ("data.sources"); "<name>": any key
    when: str = ""  # the config flag without which no run records it ("arena.enabled")
    items: ItemScores | None = None  # where its per-item scores are (None: it has none, e.g. a perplexity, an Elo)

    def __post_init__(self) -> None:
        if self.compare and self.higher_is_better is None and not self.by_name:
            raise ConfigError(f"metric {self.path!r}: a metric the report compares needs higher_is_better")
        if self.column and self.column.count("*") != sum("*" in part for part in self.path.split(".")):
            raise ConfigError(f"metric {self.path!r}: its column {self.column!r} needs a '*' per starred key")
        problem = self.items.check(sum("*" in part for part in self.path.split("."))) if self.items else None
        if problem:
            raise ConfigError(f"metric {self.path!r}: {problem}")

    def column_for(self, keys: tuple[str, ...]) -> str:
        pieces = self._column().split("*")
        return pieces[0] + "".join(key + piece for key, piece in zip(keys, pieces[1:]))

    def label_for(self, keys: tuple[str, ...]) -> str:
        return self.label.format(*keys)

    def keys_of(self, column: str) -> tuple[str, ...] | None:
        """The keys whose column_for is ``column``, or None: the column is not one of this spec's."""
        pieces = self._column().split("*")
        stars = ["(.+?)"] * (len(pieces) - 2) + ["(.+)"] if len(pieces) > 1 else []  # as "bench/x/acc" splits today
        found = re.fullmatch("".join(re.escape(p) + s for p, s in zip(pieces, [*stars, ""])), column)
        return None if found is None else found.groups()

    def _column(self) -> str:
        return self.column or "/".join("*" if "*" in part else part for part in self.path.split("."))

    def path_for(self, keys: tuple[str, ...]) -> Parts:
        given = iter(keys)
        return tuple(next(given) if "*" in part else part for part in self.path.split("."))


@dataclass(frozen=True)
class Answer:
    """One held-out prompt, the reference answer and what the trained and the base model answered."""

    source: str
    prompt: str  # the last user turn
    reference: str
    output: str
    base_output: str


Compute = Callable[[list[Answer]], float | None]

_SPECS: dict[str, MetricSpec] = {}
_COMPUTE: dict[str, Compute] = {}
_RECORDED: dict[Parts, bool] = {}  # a producer's own word on one metric's direction (see note_direction)

# The one guess in the package: a metric that the producer names at run time (a benchmark's) and whose direction
# it did not record is better higher, unless its name says it is a loss, a perplexity or an error.
LOWER_IS_BETTER_WORDS = ("loss", "perplexity", "error")


def by_name_default(name: str) -> bool:
    return not any(word in name for word in LOWER_IS_BETTER_WORDS)


def register_metric(spec: MetricSpec, compute: Compute | None = None) -> MetricSpec:
    old = _SPECS.get(spec.path)
    if old is not None and old != spec:
        raise ConfigError(f"metric {spec.path!r} is registered twice, differently: {old} and {spec}")
    if compute is not None and "*" in spec.path:
        raise ConfigError(f"metric {spec.path!r}: a computed metric has one path, without '*'")
    _SPECS[spec.path] = spec
    if compute is not None:
        _COMPUTE[spec.path] = compute
    return spec


def note_direction(path: Parts, higher_is_better: bool) -> None:
    """What a producer said of one metric's direction at run time (lighteval of a benchmark's, as the run recorded
    it): a ``by_name`` spec takes it over the default for the name."""
    _RECORDED[tuple(path)] = bool(higher_is_better)


def metric_specs() -> list[MetricSpec]:
    return sorted(_SPECS.values(), key=lambda s: (s.order, s.path))


def spec_for(path: str | Parts) -> tuple[MetricSpec, tuple[str, ...]] | None:
    """The spec that a metric path falls under (dotted, or its keys), with its direction settled, and the keys its
    stars matched. The most specific spec wins: "benchmarks.*.*_stderr" over "benchmarks.*.*"."""
    parts = tuple(path.removeprefix("metrics.").split(".")) if isinstance(path, str) else tuple(path)
    found, literal = None, -1
    for spec in _SPECS.values():
        pattern = spec.path.split(".")
        if len(pattern) == len(parts) and all(fnmatchcase(k, p) for p, k in zip(pattern, parts)):
            keys = tuple(k for p, k in zip(pattern, parts) if "*" in p)
            if len(spec.path.replace("*", "")) > literal:
                found, literal = (spec, keys), len(spec.path.replace("*", ""))
    return None if found is None else (settled(found[0], found[1]), found[1])


def settled(spec: MetricSpec, keys: tuple[str, ...]) -> MetricSpec:
    """A ``by_name`` spec with the direction of one metric of it. A score lower-is-better is no rate (a loss)."""
    if not spec.by_name:
        return spec
    higher = _RECORDED.get(spec.path_for(keys), by_name_default(keys[-1]))
    return dataclasses.replace(spec, higher_is_better=higher, is_rate=spec.is_rate and higher, by_name=False)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def recorded(metrics: dict[str, Any]) -> Iterator[tuple[MetricSpec, tuple[str, ...], float]]:
    """Every registered metric in a results.json ``metrics`` dict, with the keys its path matched."""
    for path, value in _leaves(metrics, ()):
        match = spec_for(path)
        if match is not None and is_number(value):
            yield match[0], match[1], value


def _leaves(node: dict[str, Any], prefix: Parts) -> Iterator[tuple[Parts, Any]]:
    for key, value in node.items():  # by keys, not a dotted string: a task may be named "evals/legal.yaml"
        if isinstance(value, dict):
            yield from _leaves(value, (*prefix, str(key)))
        else:
            yield (*prefix, str(key)), value


def compute_metrics(answers: list[Answer], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """The computed metrics on a run's held-out answers, nested as results.json records them (into ``into``)."""
    out: dict[str, Any] = {} if into is None else into
    for path, compute in _COMPUTE.items():
        *parents, leaf = path.split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = compute(answers)
    return out
