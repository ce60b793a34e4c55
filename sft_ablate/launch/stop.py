"""Stop means stop: SIGINT or SIGTERM to a sweep ends the run in progress as interrupted and starts no further job;
rerunning the same command resumes the sweep (complete runs are skipped, the interrupted one resumes from its
checkpoint).

A run in this process already stops at the signal (sft_ablate.command turns it into KeyboardInterrupt; training
first saves a checkpoint). What this module adds is the sweep's side, as a wrapper around the sweep's launcher:
- a flag, set by the signal, that the launcher checks before every job: a job a run swallowed the signal in, or a
  signal that lands between two jobs, still starts nothing more;
- jobs in child processes (``hydra/launcher=submitit_local``) get the signal passed on, and the sweep waits for
  them to record "interrupted" and exit before it does; otherwise submitit's clean-up would SIGKILL them a second
  later, mid-checkpoint. A second signal stops the sweep at once.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher

from sft_ablate.command import handling_signals, raise_interrupt

log = logging.getLogger(__name__)

SUBMITIT_LOCAL_CONTROLLER = b"submitit.local._local"  # the process submitit's local executor runs each job under
_requested: list[str] = []  # the name of the signal that asked to stop, once one has


def requested() -> str | None:
    return _requested[0] if _requested else None


def check() -> None:
    """Raise KeyboardInterrupt (exit 130: "rerun the same command to resume") once a stop was asked for."""
    if _requested:
        raise KeyboardInterrupt(f"signal {_requested[0]}: no further job starts")


def interrupt_on_sigterm_in_job() -> None:
    """In a job of submitit's local executor: SIGTERM interrupts the run, as in a run started from the shell.
    (submitit's job environment ignores SIGTERM, which is how the sweep asks its jobs to stop.)"""
    if os.environ.get("SUBMITIT_EXECUTOR") == "local":
        signal.signal(signal.SIGTERM, raise_interrupt)


class StoppingLauncher(Launcher):
    """The sweep's launcher, checking for a stop before each job (in-process launchers get their jobs one at a
    time, so that the check comes between them) and passing a stop on to jobs that run in child processes."""

    def __init__(self, inner: Launcher) -> None:
        self.inner = inner

    def setup(self, **kwargs: Any) -> None:
        self.inner.setup(**kwargs)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        in_children = _runs_jobs_in_children(self.inner)
        chunks = [list(job_overrides)] if in_children else [[job] for job in job_overrides]
        results: list[JobReturn] = []
        with _stop_signals(pass_on=in_children):
            for chunk in chunks:
                check()
                try:
                    results += self.inner.launch(chunk, initial_job_idx + len(results))
                except Exception:
                    if not _requested:
                        raise
                if _requested:  # the jobs were told; they end "interrupted" on their own
                    _wait_for_jobs()
                    check()
        return results


def _runs_jobs_in_children(launcher: Launcher) -> bool:
    return type(launcher).__name__ == "LocalLauncher" and "submitit" in type(launcher).__module__


@contextmanager
def _stop_signals(pass_on: bool) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if _requested or not pass_on:  # a job in this process stops at once (training saves a checkpoint first)
            _requested.append(name)
            raise KeyboardInterrupt(f"signal {name}")
        _requested.append(name)
        jobs = _job_processes()
        log.warning("%s: stopping the %d running jobs (they end interrupted); no further job starts; "
                    "again to stop at once", name, len(jobs))  # fmt: skip
        for pid in jobs:
            _signal(pid, signal.SIGTERM)  # submitit's controller passes SIGTERM on to its job

    with handling_signals(stop):
        yield


def _job_processes() -> list[int]:
    """This process's children that run a job of submitit's local executor (Linux: /proc)."""
    pids = []
    for children in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in children.read_text().split():
            try:
                if SUBMITIT_LOCAL_CONTROLLER in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(int(pid))
            except OSError:  # it ended meanwhile
                continue
    return pids


def _wait_for_jobs() -> None:
    while any(_alive(pid) for pid in _job_processes()):
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _signal(pid: int, signum: int) -> None:
    with suppress(ProcessLookupError):  # it ended meanwhile
        os.kill(pid, signum)
