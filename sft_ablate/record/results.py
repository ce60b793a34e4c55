"""results.json: the authoritative record of a run, rewritten atomically (sft_ablate.io) after every stage.

What identifies a run is sft_ablate/identity.py; which metrics it records under `metrics`, and which way each is
better, is the metric table (sft_ablate/metrics.py), which each stage fills."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from sft_ablate.io import read_json, write_json_atomic

RESULTS_FILE = "results.json"
PACKAGES = (
    "sft-ablate", "torch", "transformers", "trl", "peft", "datasets", "accelerate", "hydra-core", "omegaconf",
    "lighteval", "optuna", "wandb", "sentence-transformers", "datasketch",
)  # fmt: skip


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
