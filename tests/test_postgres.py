"""Optuna studies on a real PostgreSQL server (tests/postgres_server.py): workers sharing one study, a worker
SIGKILLed mid-trial and its trial retried, the report reading the study, no password left in the sweep dir,
and workers restarted again and again without the heartbeat/environment crash (launch/heartbeat.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.conftest import PROJECT_ROOT
from tests.postgres_server import PASSWORD
from tests.test_optuna_sweeper import STUDY_ARGS, wait_for


def start_worker(sweep: Path, storage: str, log: Path, n_trials: int, study: str = "optuna_mix") -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    args = [a for a in STUDY_ARGS if not a.startswith(("hydra.sweeper.n_trials=", "train.max_steps="))]
    args += [
        f"hydra.sweeper.n_trials={n_trials}",
        "train.max_steps=3",
        "arena=none",
        f"hydra.sweeper.storage={storage}",
        f"study={study}",
    ]
    return subprocess.Popen(
        [sys.executable, "-m", "sft_ablate", *args, f"hydra.sweep.dir={sweep}"],
        cwd=sweep.parent,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def heartbeat_children(pid: int) -> list[int]:
    """The worker's heartbeat processes (python -m sft_ablate.launch.heartbeat)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"sft_ablate.launch.heartbeat" in Path(f"/proc/{c}/cmdline").read_bytes()]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_two_workers_share_a_postgres_study_and_retry_a_killed_workers_trial(postgres, tmp_path, cache_dir):
    sweep, storage, n_trials = tmp_path / "study", postgres.url(), 4
    sweep.mkdir()
    first = start_worker(sweep, storage, tmp_path / "first.log", n_trials)

    def first_trial_has_a_checkpoint() -> bool:
        if first.poll() is not None:
            raise AssertionError((tmp_path / "first.log").read_text()[-3000:])
        return any((sweep / "trial_0" / "checkpoints").glob("checkpoint-*"))

    wait_for(first_trial_has_a_checkpoint, 600, "trial 0 to write a checkpoint")
    second = start_worker(sweep, storage, tmp_path / "second.log", n_trials)  # runs trial 1 beside it
    beating = heartbeat_children(first.pid)
    assert len(beating) == 1, "the running trial's heartbeat comes from one child process"
    first.send_signal(signal.SIGKILL)  # no cleanup: trial 0 stays RUNNING in the database
    first.wait()
    wait_for(lambda: not alive(beating[0]), 30, "the heartbeat child to stop once its worker is dead")
    restarted = start_worker(sweep, storage, tmp_path / "restarted.log", n_trials)
    codes = [second.wait(timeout=900), restarted.wait(timeout=900)]
    logs = [(tmp_path / name).read_text() for name in ("second.log", "restarted.log")]
    assert codes == [0, 0], "\n\n".join(log[-3000:] for log in logs)

    study = optuna.load_study(study_name="optuna_mix", storage=storage)
    trials = study.get_trials()
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    retried = {n for t in trials for n in t.system_attrs.get("retry_history", [])}
    assert retried == {0}
    assert len([t for t in trials if t.number not in retried]) in (n_trials, n_trials + 1)  # two deciding at once: +1
    retry = next(t for t in trials if t.system_attrs.get("failed_trial") == 0)
    assert trials[0].state == TrialState.FAIL and retry.params == trials[0].params
    assert retry.state in (TrialState.COMPLETE, TrialState.PRUNED) and retry.user_attrs["run_dir"] == str(sweep / "trial_0")
    print("\n" + study.trials_dataframe(attrs=("number", "state", "value", "params"))[["number", "state", "value"]].to_string())

    # Nothing in the sweep dir holds the password; the study file names the server without it.
    leaks = [p for p in sweep.rglob("*") if p.is_file() and PASSWORD.encode() in p.read_bytes()]
    assert not leaks, f"the storage password is written in {leaks}"
    assert f"sft:***@127.0.0.1:{postgres.port}/studies" in (sweep / "optuna_study.json").read_text()

    # The report reads the study from the server, given the URL with its password.
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    report = subprocess.run(
        [sys.executable, "-m", "sft_ablate.report", str(sweep), "--storage", storage],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert report.returncode == 0, report.stderr[-3000:]
    text = (sweep / "report" / "report.md").read_text()
    assert "could not be read from its storage" not in text
    assert "retried as trial" in text  # the trial table, read from PostgreSQL


@pytest.mark.slow
def test_three_workers_restarted_again_and_again_never_crash(postgres, tmp_path, cache_dir):
    """The SIGSEGV came at a worker's first trial (its imports racing the heartbeat), so each restart is a new
    chance for it: 3 rounds of 3 workers started together, 2 more trials per round."""
    storage = postgres.url()
    sweep = tmp_path / "stress"
    sweep.mkdir()
    for round_ in range(3):
        n_trials = 2 * (round_ + 1)
        workers = [start_worker(sweep, storage, tmp_path / f"r{round_}w{i}.log", n_trials, study="stress") for i in range(3)]
        started = time.time()
        codes = [w.wait(timeout=900) for w in workers]
        logs = [(tmp_path / f"r{round_}w{i}.log").read_text() for i in range(3)]
        assert codes == [0, 0, 0], f"round {round_}: exit codes {codes} (-11 is SIGSEGV)\n" + "\n\n".join(
            log[-2000:] for log in logs
        )
        for log in logs:
            assert "Segmentation fault" not in log and "Traceback" not in log
        print(f"round {round_}: 3 workers, {n_trials} trials in the study, {time.time() - started:.0f} s")
    trials = optuna.load_study(study_name="stress", storage=storage).get_trials()
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials), [t.state for t in trials]
    assert len(trials) >= 6
