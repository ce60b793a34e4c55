"""The one wrapper every command runs in: `sft_ablate`, `.synth`, `.arena`, `.report`, `.data_report`.

Each command gets the same behaviour at its edges:
- exit 0 when done, 2 on bad input or a problem it can name (an SftAblateError, printed as one `error:` line),
  130 when interrupted;
- SIGTERM (`kill`, a scheduler's preemption) stops it like Ctrl-C, so a run's results.json says "interrupted"
  and training saves a checkpoint;
- its outputs dir is checked writable before any work (`check_writable`), since a read-only dir would otherwise
  fail late, or inside Hydra with a bare traceback.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sft_ablate.errors import EnvironmentProblem, SftAblateError
from sft_ablate.io import nearest_existing

log = logging.getLogger("sft_ablate")

EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 2, 130


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def handling_signals(handler: Callable[[int, object], None], signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """The handler for these signals during the block; the ones before it come back after."""
    previous = {s: signal.getsignal(s) for s in signals}
    for s in signals:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, handler_before in previous.items():
            signal.signal(s, handler_before)


def raise_interrupt(signum: int, frame: object) -> None:
    """Stop like Ctrl-C: a KeyboardInterrupt that names the signal (Ctrl-C itself is just Ctrl-C)."""
    raise KeyboardInterrupt("" if signum == signal.SIGINT else f"signal {signal.Signals(signum).name}")


def run_command(body: Callable[[], int | None], writes_to: Path | None = None) -> int:
    """Run a command's body with the shared signal handling and exit codes; returns the exit code. ``writes_to``:
    the dir the command writes into, checked writable before any work."""
    # Ctrl-C interrupts every command the same way, also one a script started in the background (which starts
    # it with SIGINT ignored, so Python would not raise KeyboardInterrupt, and only training would stop).
    with handling_signals(raise_interrupt):
        return _run_body(body, writes_to)


def _run_body(body: Callable[[], int | None], writes_to: Path | None) -> int:
    try:
        if writes_to is not None:
            check_writable(writes_to, "output dir", "--out")
        return body() or EXIT_OK
    except SftAblateError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as err:
        print(f"interrupted ({err or 'Ctrl-C'}); rerun the same command to resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `--help | head`: the reader has what it wanted; no traceback, and none at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


@contextmanager
def job_in(run_dir: Path, multirun: bool, resumable: bool = False) -> Iterator[None]:
    """One job of a Hydra app. Bad input leaves nothing behind: a dir that held no results or checkpoints before
    is removed (one that did is never touched), unless the job is ``resumable`` and got as far as writing its
    results.json, which then says "failed" and holds what a rerun resumes from. In a multirun the error goes to the sweeper, which records it and
    goes on with the other jobs; a single run logs it and exits 2. Hydra would print a traceback otherwise."""
    fresh = not any((run_dir / name).exists() for name in ("results.json", "checkpoints"))
    quiet_libraries()
    try:
        yield
    except SftAblateError as err:
        if fresh and not (resumable and (run_dir / "results.json").exists()):
            shutil.rmtree(run_dir, ignore_errors=True)
        if multirun:
            raise
        log.error("%s", err)
        sys.exit(EXIT_BAD_INPUT)
    except KeyboardInterrupt as err:  # results.json says "interrupted"; training saved a checkpoint
        log.error("interrupted (%s); rerun the same command to resume", err or "Ctrl-C")
        sys.exit(EXIT_INTERRUPTED)


def quiet_libraries() -> None:
    """Only our own progress on the console, for a command that has work to do (this imports transformers):
    datasets' bars (TRL's "Truncating train dataset", "Creating parquet from Arrow"...) and transformers'
    "Loading weights" / "Writing model shards" at every load and checkpoint flash by and say nothing to a
    user. Downloads keep their bars (huggingface_hub's own)."""
    import datasets
    from transformers.utils import logging as transformers_logging

    datasets.disable_progress_bars()
    transformers_logging.set_tqdm_hook(_no_bar)


def _no_bar(factory: Callable, args: tuple, kwargs: dict) -> object:
    return factory(*args, **{**kwargs, "disable": True})


def check_writable(directory: Path, what: str, how_to_change: str) -> None:
    """Create a file in directory (or in its nearest existing parent, which is where the dirs will be made)."""
    existing = nearest_existing(directory)
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".sft-ablate-write-check-"):
            pass
    except OSError as err:
        raise EnvironmentProblem(
            f"the {what} {directory} cannot be written ({existing}: {err.strerror or err}); "
            f"make it writable or choose another with {how_to_change}"
        ) from err
