"""results.json: the authoritative record of a run, rewritten atomically (sft_ablate.io) after every stage,
and what identifies a run, so that a rerun skips what is done and never mixes two runs in one dir."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import shutil
import subprocess
import time
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from sft_ablate.cache import content_key
from sft_ablate.config import Config, SourceConfig
from sft_ablate.errors import ConfigError
from sft_ablate.io import read_json, write_json_atomic

RESULTS_FILE = "results.json"
PACKAGES = (
    "sft-ablate", "torch", "transformers", "trl", "peft", "datasets", "accelerate", "hydra-core", "omegaconf",
    "lighteval", "optuna", "wandb", "sentence-transformers", "datasketch",
)  # fmt: skip


# The metrics a complete run records under `metrics`, with whether higher is better: what an Optuna objective
# (`metrics.<name>`) may name. Benchmarks add metrics.benchmarks.<task>.<metric>; the arena adds metrics.elo.<key>.
RUN_METRICS = {
    "eval_loss": False, "eval_perplexity": False, "train_loss": False, "base_eval_loss": False,
    "base_eval_perplexity": False,
}  # fmt: skip
# metrics.<name>.<source> for each data source, and metrics.heldout.<set>.<key> for each eval.heldout_sets entry.
BY_SOURCE_METRICS = {
    "eval_loss_by_source": False, "eval_perplexity_by_source": False, "base_eval_loss_by_source": False,
    "base_eval_perplexity_by_source": False,
}  # fmt: skip
HELDOUT_METRICS = {"loss": False, "perplexity": False, "base_loss": False, "base_perplexity": False}
ELO_METRICS = {
    "rating": True, "ci_low": True, "ci_high": True, "win_rate_vs_base": True, "win_rate_ci_low": True,
    "win_rate_ci_high": True,
}  # fmt: skip


class RunRecord:
    """The results dict of one run plus the file it lives in."""

    def __init__(self, run_dir: Path, **fields: Any) -> None:
        self.path = run_dir / RESULTS_FILE
        self.results: dict[str, Any] = {"status": "running", "started_at": _now(), **fields}
        self.results.setdefault("timings", {})
        self.results.setdefault("metrics", {})
        self.save()

    def update(self, section: str, values: dict[str, Any]) -> None:
        self.results.setdefault(section, {}).update(values)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a stage and save the record after it, so a crash later keeps what this stage found."""
        start = time.perf_counter()
        yield
        self.results["timings"][name] = round(time.perf_counter() - start, 3)
        self.save()

    @property
    def status(self) -> str:
        return self.results["status"]

    @contextmanager
    def running(self, before_finish: Callable[[], None] | None = None) -> Iterator[None]:
        """The block is the run: it ends "complete", "interrupted" (Ctrl-C, SIGTERM) or "failed" with the error,
        and results.json is finished whatever happens (``before_finish`` first saves what the run has so far)."""
        status, error = "failed", None
        try:
            yield
            status = "complete"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        except BaseException as err:
            error = f"{type(err).__name__}: {err}"
            raise
        finally:
            if before_finish is not None:
                before_finish()
            self.finish(status, error)

    def finish(self, status: str, error: str | None = None) -> None:
        self.results["status"] = status
        self.results["finished_at"] = _now()
        if error:
            self.results["error"] = error
        self.results["timings"]["total"] = round(sum(v for k, v in self.results["timings"].items() if k != "total"), 3)
        self.save()

    def save(self) -> None:
        write_json_atomic(self.path, self.results)


def read_results(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / RESULTS_FILE
    return read_json(path) if path.exists() else None


# Sections that never change a run's result: where it logs and where its caches live.
INCIDENTAL = ("tracking", "paths", "force")
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


def _without_defaults(node: dict[str, Any], schema: type) -> dict[str, Any]:
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


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            out += _differences(old.get(key, _AT_DEFAULT), new.get(key, _AT_DEFAULT), f"{prefix}{key}.")
        return out
    return [] if old == new else [f"{prefix[:-1]}: {old!r} there, {new!r} here"]


def environment() -> dict[str, Any]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "versions": versions,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "git": git_state(),
    }


def git_state() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
