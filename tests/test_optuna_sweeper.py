"""Our Optuna sweeper: search-space parsing, trial accounting, and a real study on the tiny model that is
killed mid-trial, resumed by two concurrent workers, prunes a trial and records a planted failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import optuna
import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from sft_ablate.errors import ConfigError
from sft_ablate.launch.optuna_sweeper import (
    OBJECTIVE_FAILED,
    ObjectiveMissing,
    _distribution,
    check_objective,
    next_step,
    objective_value,
    recover_objective_failures,
)
from sft_ablate.paths import CONF_DIR
from tests.conftest import PROJECT_ROOT, compose_cfg

HAS_DIVERSITY = (CONF_DIR / "diversity").is_dir()


def distribution(line: str):
    import optuna.distributions as D

    return _distribution(OverridesParser.create().parse_overrides([line])[0], D)


def test_hydra_sweep_syntax_maps_to_optuna_distributions():
    assert distribution("lora=choice(r8,r16)") == CategoricalDistribution(["r8", "r16"])
    assert distribution("x=interval(0.0, 1.0)") == FloatDistribution(0.0, 1.0)
    assert distribution("x=tag(log, interval(1e-4, 1e-2))") == FloatDistribution(1e-4, 1e-2, log=True)
    assert distribution("x=tag(int, interval(1, 8))") == IntDistribution(1, 8)
    assert distribution("lora.r=range(4, 33, 4)") == IntDistribution(4, 32, step=4)


def test_the_sweeper_lends_its_trial_to_the_run_only_inside_reporting_to():
    from sft_ablate.evaluation.curve import active_trial_reporter, reporting_to

    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(upper=-1.0))
    trial = study.ask()
    assert active_trial_reporter() is None  # outside a sweep: nothing is reported
    with reporting_to(trial, maximize=True):
        reporter = active_trial_reporter()
        reporter.report(1, 2.0)  # maximizing: the loss goes in negated, so lower loss still looks better
        with pytest.raises(optuna.TrialPruned, match="pruned at step 2"):
            reporter.report(2, 0.5)  # -0.5 is above the threshold: the pruner stops the run
    assert active_trial_reporter() is None
    assert study.trials[0].intermediate_values == {1: -2.0, 2: -0.5}


def test_objective_is_a_path_into_results():
    results = {"metrics": {"eval_loss": 1.5, "benchmarks": {"arc": {"acc": 0.4}}}}
    assert objective_value(results, "metrics.eval_loss") == 1.5
    assert objective_value(results, "metrics.benchmarks.arc.acc") == 0.4
    with pytest.raises(ObjectiveMissing, match="'metrics.elo.rating' is not in this run's results.json"):
        objective_value(results, "metrics.elo.rating")


def test_trial_accounting_counts_a_retried_trial_once_and_waits_for_running_ones():
    study = optuna.create_study()
    for value in (1.0, 2.0):
        study.add_trial(optuna.create_trial(state=TrialState.COMPLETE, value=value))
    study.add_trial(optuna.create_trial(state=TrialState.FAIL))  # trial 2: its worker died...
    study.add_trial(
        optuna.create_trial(
            state=TrialState.WAITING,  # ...so it was queued again
            system_attrs={"failed_trial": 2, "retry_history": [2]},
        )
    )
    assert next_step(study, n_trials=3) == "run"  # the waiting retry runs even though 4 trials exist
    running = study.ask()  # pops the retry
    assert next_step(study, n_trials=3) == "wait"  # 3 counted (2 is replaced), one of them still running
    study.tell(running, 0.5)
    assert next_step(study, n_trials=3) == "done"
    assert next_step(study, n_trials=4) == "run"


def test_objective_and_direction_are_checked_against_the_results_schema():
    config = compose_cfg(["model=tiny", "eval.benchmarks=[bundled_mc]"])
    check_objective("metrics.eval_loss", "minimize", config)
    check_objective("metrics.benchmarks.bundled_mc.acc", "maximize", config)
    check_objective("metrics.elo.rating", "maximize", config)
    check_objective("metrics.eval_loss_by_source.human", "minimize", config)
    check_objective("metrics.heldout.seed_tasks.loss", "minimize", config)
    with pytest.raises(ConfigError, match="not a metric"):  # no such source
        check_objective("metrics.eval_loss_by_source.humans", "minimize", config)
    with pytest.raises(ConfigError, match=r"metrics.eval_los is not a metric .* metrics.eval_loss, "):
        check_objective("metrics.eval_los", "minimize", config)
    with pytest.raises(ConfigError, match="set hydra.sweeper.direction=minimize"):
        check_objective("metrics.eval_loss", "maximize", config)
    with pytest.raises(ConfigError, match="not a metric"):  # a task the runs do not evaluate
        check_objective("metrics.benchmarks.gsm8k.acc", "maximize", config)
    with pytest.raises(ConfigError, match="not a metric"):  # no arena, no Elo
        check_objective("metrics.elo.rating", "maximize", compose_cfg(["model=tiny", "arena=none"]))


def test_objective_typo_fails_in_seconds_before_any_trial(tmp_path):
    sweep = tmp_path / "study"
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "sft_ablate", "-m", "+sweep=optuna_mix", "model=tiny", "tracking=none",
         "hydra.sweeper.objective=metrics.eval_los", f"hydra.sweep.dir={sweep}"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "hydra.sweeper.objective=metrics.eval_los is not a metric" in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr and not sweep.exists()  # one line, nothing trained, no half-made study
    assert time.monotonic() - start < 60  # a generous bound on a shared CPU; no trial can train in it


def test_a_trial_failed_only_by_its_objective_is_recovered_from_its_results(tmp_path):
    run_dir = tmp_path / "trial_0"
    run_dir.mkdir()
    (run_dir / "results.json").write_text(json.dumps({"status": "complete", "metrics": {"eval_loss": 1.25}}))
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'optuna.db'}", direction="minimize")
    lora = CategoricalDistribution(["r4", "r8"])
    study.add_trial(
        optuna.create_trial(
            state=TrialState.FAIL,
            params={"lora": "r8"},
            distributions={"lora": lora},
            user_attrs={"run_dir": str(run_dir), "error": "objective missing", OBJECTIVE_FAILED: True},
        )
    )
    study.add_trial(optuna.create_trial(state=TrialState.FAIL, params={"lora": "r4"}, distributions={"lora": lora}))
    assert next_step(study, n_trials=2) == "done"  # both FAILs count
    recover_objective_failures(study, "metrics.eval_loss")
    recover_objective_failures(study, "metrics.eval_loss")  # a second command adds nothing
    trials = study.get_trials()
    assert len(trials) == 3 and trials[2].state == TrialState.COMPLETE and trials[2].value == 1.25
    assert trials[2].params == {"lora": "r8"} and trials[2].user_attrs["recovered_from"] == 0
    assert next_step(study, n_trials=2) == "done"  # the recovered trial replaces trial 0: still 2 counted
    assert next_step(study, n_trials=3) == "run"
    assert study.best_trial.number == 2


# -- a real study on the tiny model --------------------------------------------------------------

N_TRIALS = 6
STUDY_ARGS = [
    "-m",
    "+sweep=optuna_mix",
    "model=tiny",
    "tracking=none",
    "data.budget=16",
    "data.eval_per_source=4",
    "train.max_steps=4",
    "train.eval_steps=1",
    "train.save_steps=1",
    "eval.num_generations=1",
    "eval.max_new_tokens=4",
    "eval.base_model=false",
    "eval.benchmarks=[]",
    "train.threads=1",
    f"hydra.sweeper.n_trials={N_TRIALS}",
    "hydra.sweeper.heartbeat_interval=1",
    "hydra.sweeper.grace_period=4",
    "hydra.sweeper.sampler.n_startup_trials=2",
    "hydra.sweeper.pruner.n_startup_trials=1",
    "hydra.sweeper.pruner.n_warmup_steps=1",
    *([] if HAS_DIVERSITY else ["~hydra.sweeper.params.diversity"]),
]


def start_worker(sweep: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "sft_ablate", *STUDY_ARGS, f"hydra.sweep.dir={sweep}"],
        cwd=sweep.parent,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise TimeoutError(what)
        time.sleep(0.5)


def kill_mid_trial(worker: subprocess.Popen, sweep: Path, log: Path, first_free: int) -> int:
    """SIGKILL the worker inside a trial that saved checkpoint-1 and has not yet asked the pruner at step 2.

    The pruner may stop a trial at step 2, a moment after checkpoint-1 appears; a kill after that finds the
    trial already PRUNED. So the worker is frozen (SIGSTOP) first, and its trial's log read: a "step 2"
    line there means the pruner was asked, and the worker is let go to be caught in its next trial.
    Returns the number of the trial the kill left RUNNING.
    """
    passed: set[int] = set()
    deadline = time.time() + 600
    while time.time() < deadline:
        if worker.poll() is not None:
            raise AssertionError(log.read_text()[-3000:])
        for run_dir in sorted(sweep.glob("trial_*")):
            number = int(run_dir.name.removeprefix("trial_"))
            if number < first_free or number in passed or not (run_dir / "checkpoints" / "checkpoint-1").exists():
                continue
            worker.send_signal(signal.SIGSTOP)
            run_log = run_dir / "sft_ablate.log"
            if "step 2: held-out loss" not in (run_log.read_text() if run_log.exists() else ""):
                worker.send_signal(signal.SIGKILL)  # no cleanup: its trial stays RUNNING in the database
                worker.wait()
                return number
            passed.add(number)
            worker.send_signal(signal.SIGCONT)
        time.sleep(0.2)
    raise TimeoutError(f"no trial from {first_free} on was caught between checkpoint-1 and step 2 (passed: {passed})")


@pytest.fixture(scope="module")
def killed_then_two_workers(tmp_path_factory, cache_dir):
    """Planted trials first (good, failing, prunable); a worker is killed mid-trial; two workers finish."""
    sweep = tmp_path_factory.mktemp("optuna") / "study"
    sweep.mkdir()
    storage = f"sqlite:///{sweep / 'optuna.db'}"
    study = optuna.create_study(study_name="optuna_mix", storage=storage, direction="minimize")
    planted = {"lora": "r8"} | ({"diversity": "medium"} if HAS_DIVERSITY else {})
    study.enqueue_trial({**planted, "synthetic_fraction": 0.5, "train.learning_rate": 1e-2})  # 0: learns
    study.enqueue_trial({**planted, "synthetic_fraction": 1.5, "train.learning_rate": 1e-2})  # 1: an invalid mix
    study.enqueue_trial({**planted, "synthetic_fraction": 0.5, "train.learning_rate": 1e-4})  # 2: learns too slowly

    first_log = sweep.parent / "first.log"
    killed = kill_mid_trial(start_worker(sweep, first_log), sweep, first_log, first_free=3)
    workers = [start_worker(sweep, sweep.parent / f"worker{i}.log") for i in (1, 2)]
    codes = [w.wait(timeout=900) for w in workers]
    logs = [(sweep.parent / f"worker{i}.log").read_text() for i in (1, 2)]
    return sweep, optuna.load_study(study_name="optuna_mix", storage=storage), codes, logs, killed


@pytest.mark.slow
def test_two_workers_finish_the_study_without_errors_or_lost_trials(killed_then_two_workers):
    sweep, study, codes, logs, _ = killed_then_two_workers
    assert codes == [0, 0], "\n\n".join(log[-3000:] for log in logs)
    for log in logs:
        assert "OperationalError" not in log and "database is locked" not in log
    trials = study.get_trials()
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    retried = {n for t in trials for n in t.system_attrs.get("retry_history", [])}
    counted = [t for t in trials if t.number not in retried]
    assert len(counted) in (N_TRIALS, N_TRIALS + 1)  # two workers deciding at once may add one
    # Both workers ran trials: they shared one study.
    assert all("Launching 1 jobs locally" in log for log in logs)


@pytest.mark.slow
def test_killed_trial_is_retried_in_its_own_dir_and_resumes_training(killed_then_two_workers):
    sweep, study, _, _, number = killed_then_two_workers
    killed = study.trials[number]
    assert killed.state == TrialState.FAIL
    retry = next(t for t in study.trials if t.system_attrs.get("failed_trial") == number)
    assert retry.state in (TrialState.COMPLETE, TrialState.PRUNED) and retry.params == killed.params
    assert retry.user_attrs["run_dir"] == str(sweep / f"trial_{number}")
    results = json.loads((sweep / f"trial_{number}" / "results.json").read_text())
    if retry.state == TrialState.COMPLETE:
        assert results["status"] == "complete" and "checkpoint-" in results["train"]["resumed_from"]


@pytest.mark.slow
def test_planted_failure_is_recorded_with_its_error_and_a_slow_trial_is_pruned(killed_then_two_workers):
    sweep, study, _, _, _ = killed_then_two_workers
    good, bad, slow = study.trials[:3]
    assert good.state == TrialState.COMPLETE and good.value < 10
    assert bad.state == TrialState.FAIL
    assert "weights must be >= 0" in bad.user_attrs["error"]
    assert slow.state == TrialState.PRUNED and len(slow.intermediate_values) < 3
    assert json.loads((sweep / "trial_2" / "results.json").read_text())["status"] == "pruned"
    best = study.best_trial
    assert json.loads((Path(best.user_attrs["run_dir"]) / "results.json").read_text())["metrics"]["eval_loss"] == best.value


def test_heartbeat_comes_from_a_child_process_that_stops_with_its_trial(tmp_path):
    """No heartbeat thread in the worker (its getenv raced the trial's setenv: SIGSEGV); a child beats instead."""
    import threading

    from optuna.storages._rdb.models import TrialHeartbeatModel

    from sft_ablate.launch.heartbeat import heartbeat_process

    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    with warnings.catch_warnings():  # heartbeat_interval is experimental; "Heartbeat ... used with Study.optimize"
        warnings.simplefilter("ignore")
        storage = optuna.storages.RDBStorage(url, heartbeat_interval=1)
        trial = optuna.create_study(storage=storage).ask()

    def last_beat():
        with storage.scoped_session() as session:
            return session.query(TrialHeartbeatModel.heartbeat).filter_by(trial_id=trial._trial_id).scalar()

    threads_before = threading.active_count()
    beats_here = []
    with heartbeat_process(url, trial._trial_id, 1, {}, beat_here=lambda: beats_here.append(time.time())):
        assert beats_here, "the worker beats until the child's first beat"
        first = last_beat()
        wait_for(lambda: last_beat() > first, 30, "a second heartbeat")
        assert threading.active_count() == threads_before
    stopped = last_beat()
    time.sleep(2.5)
    assert last_beat() == stopped  # the child stopped when the trial ended
