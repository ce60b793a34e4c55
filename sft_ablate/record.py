"""results.json: the authoritative record of a run, rewritten atomically after every stage.

A reader (the report, a rerun deciding whether to skip) sees either the previous complete file or the
new complete file, never a truncated one: we write a temp file in the same directory, fsync it, and
rename it over the old one.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from sft_ablate.cache import content_key
from sft_ablate.errors import ConfigError

RESULTS_FILE = "results.json"
PACKAGES = (
    "sft-ablate", "torch", "transformers", "trl", "peft", "datasets", "accelerate", "hydra-core", "omegaconf",
    "lighteval", "optuna", "wandb", "sentence-transformers", "datasketch",
)  # fmt: skip


def write_json_atomic(path: Path, payload: Any) -> None:
    _write_atomic(path, json.dumps(payload, indent=2, ensure_ascii=False, default=_jsonable) + "\n")


def write_jsonl_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    _write_atomic(path, "".join(json.dumps(row, ensure_ascii=False, default=_jsonable) + "\n" for row in rows))


def _write_atomic(path: Path, text: str) -> None:
    """Write beside the target, fsync, rename over it: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would make outputs unreadable to others
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy and torch scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


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

    def finish(self, status: str, error: str | None = None) -> None:
        self.results["status"] = status
        self.results["finished_at"] = _now()
        if error:
            self.results["error"] = error
        self.results["timings"]["total"] = round(sum(v for k, v in self.results["timings"].items() if k != "total"), 3)
        self.save()

    def save(self) -> None:
        write_json_atomic(self.path, self.results)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def read_results(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / RESULTS_FILE
    return read_json(path) if path.exists() else None


def config_hash(run_config: dict[str, Any]) -> str:
    """Identity of a run's inputs. Tracking and cache paths do not change results, so they are left out."""
    return content_key({k: v for k, v in run_config.items() if k not in ("tracking", "paths")})


def completed_results(run_dir: Path, run_config_hash: str) -> dict[str, Any] | None:
    """The recorded results if run_dir already holds this exact run, complete; None if it must be (re)done.

    A failed, interrupted or killed run of the same config is redone (its checkpoints let training
    resume). A run dir is never reused for a different config: that would mix two runs' checkpoints
    and overwrite results someone may still want, so it is an error that says what to do.
    """
    try:
        recorded = read_results(run_dir)
    except json.JSONDecodeError:  # not written by us (our writes are atomic): redo rather than guess
        return None
    if recorded is None:
        return None
    if recorded.get("config_hash") != run_config_hash:
        raise ConfigError(
            f"{run_dir} holds a {recorded.get('status', 'unknown')} run of another config "
            f"(config_hash {recorded.get('config_hash')}, this one is {run_config_hash}); "
            "give this run its own directory (hydra.sweep.dir=... or hydra.run.dir=...) or remove that one"
        )
    return recorded if recorded.get("status") == "complete" else None


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
