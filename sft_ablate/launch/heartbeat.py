"""A running trial's heartbeat, recorded by a child process instead of Optuna's thread.

Optuna's heartbeat thread writes to the storage while the trial runs in the main thread. The database
driver (SQLite, libpq) reads the environment on the way (getenv), and a trial's first imports (torch,
joblib, W&B) add variables to it (setenv). setenv may move libc's environ array under a concurrent
getenv: that race killed a worker with SIGSEGV. No ordering of imports removes it for good, since any
library may set a variable at any time. In a child process the heartbeat has its own environment, so
there is nothing left to race with.

The child beats every `interval` seconds until its stdin closes: when the trial ends (the parent closes
the pipe) or when the parent dies, even by SIGKILL (the kernel closes the pipe). A dead worker's trial
then stops beating and is retried by another worker, as with Optuna's own thread.

    python -m sft_ablate.launch.heartbeat     (reads {"url", "trial_id", "interval", "engine_kwargs"} as one JSON line on stdin)
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

BEATING = "beating\n"


@contextmanager
def heartbeat_process(
    url: str, trial_id: int, interval: int, engine_kwargs: dict[str, Any], beat_here: Callable[[], None]
) -> Iterator[None]:
    """Beat for trial_id from a child process while the body runs.

    Until the child's first beat, `beat_here` beats from this (the only) thread, so that a child slow to
    start (a busy machine) does not let the trial look dead to other workers. The URL, which may hold a
    password, goes through the pipe, never the command line, where `ps` shows it.
    """
    child = subprocess.Popen(
        [sys.executable, "-m", "sft_ablate.launch.heartbeat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C in the terminal interrupts the trial, which then closes the pipe
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        request = {"url": url, "trial_id": trial_id, "interval": interval, "engine_kwargs": engine_kwargs}
        child.stdin.write(json.dumps(request) + "\n")
        child.stdin.flush()
        deadline = time.monotonic() + 300
        while True:
            beat_here()
            if select.select([child.stdout], [], [], interval)[0]:
                if child.stdout.readline() == BEATING:
                    break
                raise RuntimeError("the trial's heartbeat process exited before its first beat (its error is above)")
            if time.monotonic() > deadline:
                raise RuntimeError("the trial's heartbeat process did not start within 300 s")
        yield
    finally:
        child.stdin.close()  # the child's wait ends at once on EOF
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def beat(url: str, trial_id: int, interval: int, engine_kwargs: dict[str, Any]) -> None:
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = optuna.storages.RDBStorage(
            url, engine_kwargs=engine_kwargs, heartbeat_interval=interval, skip_compatibility_check=True
        )
    parent = os.getppid()
    storage.record_heartbeat(trial_id)
    print(BEATING, end="", flush=True)  # the parent stops beating itself
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], interval)
        if (ready and not sys.stdin.readline()) or os.getppid() != parent:  # EOF, or the parent is gone
            return
        storage.record_heartbeat(trial_id)


def main() -> None:
    request = json.loads(sys.stdin.readline())
    beat(request["url"], request["trial_id"], request["interval"], request["engine_kwargs"])


if __name__ == "__main__":
    main()
