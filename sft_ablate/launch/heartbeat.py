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
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def heartbeat_process(url: str, trial_id: int, interval: int, engine_kwargs: dict[str, Any]) -> Iterator[None]:
    """Beat for trial_id from a child process while the body runs.

    The URL (which may hold a password) goes through the pipe, never the command line, where `ps` shows it.
    """
    child = subprocess.Popen(
        [sys.executable, "-m", "sft_ablate.launch.heartbeat"],
        stdin=subprocess.PIPE,
        text=True,
        start_new_session=True,  # Ctrl-C in the terminal interrupts the trial, which then closes the pipe
    )
    assert child.stdin is not None
    try:
        child.stdin.write(
            json.dumps({"url": url, "trial_id": trial_id, "interval": interval, "engine_kwargs": engine_kwargs}) + "\n"
        )
        child.stdin.flush()
        yield
    finally:
        child.stdin.close()  # the child's last wait ends at once on EOF
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
    while True:
        storage.record_heartbeat(trial_id)
        ready, _, _ = select.select([sys.stdin], [], [], interval)
        if (ready and not sys.stdin.readline()) or os.getppid() != parent:  # EOF, or the parent is gone
            return


def main() -> None:
    request = json.loads(sys.stdin.readline())
    beat(request["url"], request["trial_id"], request["interval"], request["engine_kwargs"])


if __name__ == "__main__":
    main()
