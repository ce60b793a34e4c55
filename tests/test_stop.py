"""Stop means stop: SIGTERM (or Ctrl-C) to a multirun ends the run in progress as interrupted and starts no
further job, whichever launcher runs the jobs; the same command then completes the sweep."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_fault_tolerance import start_cli, wait_for

# Four tiny runs; run 2 trains long enough (60 steps, a few seconds) for the signal to land inside it.
SWEEP = ["-m", "model=tiny", "tracking=none", "data.budget=16", "data.eval_per_source=4", "train.max_length=128",
         "train.max_steps=60", "train.save_steps=1000", "train.save_final_model=false", "eval.num_generations=1",
         "eval.max_new_tokens=4", "eval.base_model=false", "eval.benchmarks=[]", "arena=none"]  # fmt: skip


def statuses(sweep: Path) -> dict[str, str]:
    """Each started run (by job number) and its results.json status."""
    found = {}
    for path in sweep.glob("*/results.json"):
        found[path.parent.name.split("_", 1)[0]] = json.loads(path.read_text())["status"]
    return found


def training(run_dir: Path) -> bool:
    """The run got past its data, model and tokenize stages: it is in training (no checkpoint before step 1000)."""
    try:
        return "tokenize" in json.loads((run_dir / "results.json").read_text())["timings"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return False


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_during_run_2_of_4_ends_it_interrupted_and_starts_no_other_run(tmp_path, cache_dir, signum):
    """The local (basic) launcher runs the jobs one after another in this process."""
    sweep = tmp_path / "sweep"
    command = [*SWEEP, "seed=0,1,2,3", f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=${hydra.job.num}_s${seed}"]
    log = tmp_path / "sweep.log"
    proc = start_cli(command, tmp_path, log)
    wait_for(lambda: training(sweep / "1_s1"), proc, "run 2 to start training")
    proc.send_signal(signum)
    assert proc.wait(timeout=300) == 130, log.read_text()[-3000:]
    output = log.read_text(errors="replace")
    assert "Traceback" not in output and "rerun the same command to resume" in output, output[-3000:]
    time.sleep(2)  # nothing starts late either
    assert statuses(sweep) == {"0": "complete", "1": "interrupted"}, output[-3000:]
    assert not (sweep / "2_s2").exists() and not (sweep / "3_s3").exists()  # runs 3 and 4 never started
    first_done = json.loads((sweep / "0_s0" / "results.json").read_text())["finished_at"]

    again = run_cli(command, cwd=tmp_path)  # the very same command
    assert again.returncode == 0, again.stderr[-3000:]
    assert statuses(sweep) == {str(n): "complete" for n in range(4)}
    assert json.loads((sweep / "0_s0" / "results.json").read_text())["finished_at"] == first_done  # skipped, not redone


@pytest.mark.slow
def test_sigterm_to_a_submitit_local_sweep_ends_its_running_jobs_interrupted(tmp_path, cache_dir):
    """submitit's local executor starts every job of a batch at once (here 2), each in its own process: SIGTERM to
    the sweep reaches each job, which ends "interrupted", not SIGKILLed by submitit's clean-up; none is left running."""
    sweep = tmp_path / "sweep"
    command = [*SWEEP, "seed=0,1", f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=${hydra.job.num}_s${seed}",
               "hydra/launcher=submitit_local", "hydra.launcher.timeout_min=10"]  # fmt: skip
    log = tmp_path / "sweep.log"
    proc = start_cli(command, tmp_path, log)
    wait_for(lambda: training(sweep / "1_s1"), proc, "run 2 to start training")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=300) == 130, log.read_text()[-3000:]
    output = log.read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]
    time.sleep(2)
    found = statuses(sweep)  # none left "running", as a SIGKILLed job would be
    assert found["1"] == "interrupted" and set(found.values()) <= {"complete", "interrupted"}, found

    again = run_cli(command, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert statuses(sweep) == {"0": "complete", "1": "complete"}
