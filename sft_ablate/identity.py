"""What identifies a run, so that a rerun skips what is done and never mixes two runs in one dir."""

from __future__ import annotations

import dataclasses
import json
import shutil
import typing
from pathlib import Path
from typing import Any

from sft_ablate.arena.judges import JudgeConfig, judge_schema
from sft_ablate.cache import content_key
from sft_ablate.config import Config
from sft_ablate.data.schema import SourceConfig
from sft_ablate.errors import ConfigError
from sft_ablate.record.results import RESULTS_FILE, read_results

# Sections that never change a run's result: where it logs and where its caches live, and which metric its study's
# report tests first (study_primary).
INCIDENTAL = ("tracking", "paths", "force", "study_primary")
# Dict-valued fields whose values follow a schema of their own.
_DICT_OF = {("DataConfig", "sources"): SourceConfig}


def run_identity(run_config: dict[str, Any]) -> dict[str, Any]:
    """What identifies a run: every setting that changes its result (factors, data, model, training and evaluation
    settings), less the incidental sections, and less every value equal to the schema's default. Dropping
    defaults is what lets a run survive an upgrade: a release that adds a field at its default leaves the
    identity of every earlier run as it was."""
    return _without_defaults({k: v for k, v in run_config.items() if k not in INCIDENTAL}, Config)


def config_hash(run_config: dict[str, Any]) -> str:
    return content_key(run_identity(run_config))


def flat_settings(node: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A config (or its identity) as dotted paths to its leaves: {"train": {"epochs": 2}} -> {"train.epochs": 2}.
    A list is one leaf (eval.benchmarks), and so is an empty dict."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flat_settings(value, f"{path}."))
        else:
            out[path] = value
    return out


def setting_default(path: str) -> Any:
    """The schema's default at a dotted path (`train.epochs`, `data.sources.<name>.kind`): what a run whose
    identity lacks the key ran with. NO_DEFAULT where the schema gives none (a required field, a dict entry)."""
    schema: Any = Config
    parts = path.split(".")
    i = 0
    while i < len(parts):
        if not dataclasses.is_dataclass(schema):
            return NO_DEFAULT
        spec = {f.name: f for f in dataclasses.fields(schema)}.get(parts[i])
        if spec is None:
            return NO_DEFAULT
        kind = typing.get_type_hints(schema).get(parts[i])
        if (schema.__name__, parts[i]) in _DICT_OF:  # data.sources.<name>.<field>: the name is a key, not a field
            schema, i = _DICT_OF[(schema.__name__, parts[i])], i + 2
            continue
        if i == len(parts) - 1:
            value = _default(spec)
            return NO_DEFAULT if value is dataclasses.MISSING or value == "???" else value  # ???: OmegaConf's MISSING
        schema, i = next((t for t in typing.get_args(kind) if dataclasses.is_dataclass(t)), kind), i + 1  # X | None
    return NO_DEFAULT


def completed_results(run_dir: Path, run_config: dict[str, Any]) -> dict[str, Any] | None:
    """The recorded results if run_dir already holds this run, complete; None if it must be (re)done.

    A failed, interrupted or killed run of the same config is redone (its checkpoints let training resume). The
    recorded run is compared by identity, recomputed from its recorded config with today's schema, so runs made
    by an older release still count. A run dir is never reused for a different run: that would mix two runs'
    checkpoints and overwrite results someone may still want, so it is an error that says what to do, unless
    `force=true`, which clears the dir's results and checkpoints and runs again.
    """
    try:
        recorded = read_results(run_dir)
    except json.JSONDecodeError:  # not written by us (our writes are atomic): redo rather than guess
        return None
    if recorded is None:
        return None
    if run_config.get("force"):
        (run_dir / RESULTS_FILE).unlink()
        shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)
        return None
    mine = run_identity(run_config)
    theirs = run_identity(recorded.get("config") or {})
    if mine != theirs:
        changed = _differences(theirs, mine)
        raise ConfigError(
            f"{run_dir} holds a {recorded.get('status', 'unknown')} run of another config "
            f"({'; '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}); "
            "give this run its own directory (hydra.sweep.dir=... or hydra.run.dir=...), remove that one, "
            "or add force=true to replace it"
        )
    return recorded if recorded.get("status") == "complete" else None


# Before each judge had its own config, every judge recorded every judge field; at these values they said nothing.
_SHARED_JUDGE_DEFAULTS = {
    "embedding_model": "sentence-transformers/all-MiniLM-L6-v2", "margin": 0.02, "echo_threshold": 0.5,
    "backend": None, "sampling": {"max_new_tokens": 32, "temperature": 0.0, "top_p": 1.0, "top_k": 0, "seed": 0},
}  # fmt: skip


def _judge_node(node: dict[str, Any]) -> tuple[dict[str, Any], type]:
    """A judge is typed by its kind's registered config; fields of other kinds at the old shared defaults go."""
    try:
        schema = judge_schema(node.get("kind", ""))
    except ConfigError:
        return node, JudgeConfig
    known = {f.name for f in dataclasses.fields(schema)}
    return {k: v for k, v in node.items() if k in known or _SHARED_JUDGE_DEFAULTS.get(k, _AT_DEFAULT) != v}, schema


def _without_defaults(node: dict[str, Any], schema: type) -> dict[str, Any]:
    if schema is JudgeConfig:
        node, schema = _judge_node(node)
    hints = typing.get_type_hints(schema)
    fields = {f.name: f for f in dataclasses.fields(schema)}
    out = {}
    for key, value in node.items():
        spec = fields.get(key)
        kind = hints.get(key)
        if spec is None:  # a field this release no longer has: it identifies the run as it did
            out[key] = value
        elif dataclasses.is_dataclass(kind) and isinstance(value, dict):
            if pruned := _without_defaults(value, kind):
                out[key] = pruned
        elif (schema.__name__, key) in _DICT_OF and isinstance(value, dict):
            item = _DICT_OF[(schema.__name__, key)]
            out[key] = {name: _without_defaults(v, item) if isinstance(v, dict) else v for name, v in value.items()}
        elif value != _default(spec):
            out[key] = value
    return out


def _default(spec: Any) -> Any:
    if spec.default is not dataclasses.MISSING:
        return spec.default
    if spec.default_factory is not dataclasses.MISSING:
        value = spec.default_factory()
        return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    return dataclasses.MISSING


class _AtDefault:
    def __repr__(self) -> str:
        return "the default"


_AT_DEFAULT = _AtDefault()
NO_DEFAULT = _AtDefault()  # setting_default's answer where the schema has no default


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            out += _differences(old.get(key, _AT_DEFAULT), new.get(key, _AT_DEFAULT), f"{prefix}{key}.")
        return out
    return [] if old == new else [f"{prefix[:-1]}: {old!r} there, {new!r} here"]
