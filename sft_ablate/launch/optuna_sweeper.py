"""Optuna studies as a Hydra sweeper: `python -m sft_ablate -m +sweep=optuna_mix`.

Our own, small, on Optuna 5: hydra-optuna-sweeper pins optuna<3. What it does:

- Trials run in this process, one at a time, through Hydra's launcher, so the trial object can reach
  the training loop (sft_ablate/evaluation/curve.py): intermediate held-out losses are reported, and
  the pruner can stop a trial mid-training.
- The study lives in RDB storage: a SQLite file in the sweep dir by default, or any SQLAlchemy URL
  (PostgreSQL for many machines). Running the same command again resumes the study; several
  processes running it at once share it, until `n_trials` trials are done.
- A trial that raises is recorded as FAIL, with its error in the trial's user attrs, and the study goes
  on. A trial whose worker was killed stops sending heartbeats; after `grace_period` seconds the
  next worker marks it failed and retries it with the same parameters in the same run dir, so
  training resumes from that run's last checkpoint. The heartbeats come from a child process, not
  Optuna's thread (heartbeat.py: a thread raced the trial's environment changes and crashed a worker).
- The objective is a path into each run's results.json (`metrics.eval_loss`,
  `metrics.benchmarks.<task>.<metric>`, `metrics.elo.rating`), checked with the direction against the
  metric table (sft_ablate/metrics.py) before the first trial. A trial whose run completed but whose objective
  could not be read is recovered from its results.json by the next command (recover_objective_failures).

The search space is Hydra's sweep syntax under `hydra.sweeper.params` (or on the command line):
`choice(a, b)` -> categorical, `interval(lo, hi)` -> float (`tag(log, interval(...))` on a log
scale, `tag(int, interval(...))` for integers), `range(lo, hi, step)` -> stepped int or float. One derived parameter,
`synthetic_fraction: interval(0, 1)`, sets the mix of one synthetic and one human source to x / 1-x.
"""

from __future__ import annotations

import logging
import math
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, Override, RangeSweep
from hydra.core.plugins import Plugins
from hydra.core.utils import JobStatus
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, read_write

import sft_ablate.arena  # noqa: F401  (a stage package registers its metrics on import: check_objective reads them)
import sft_ablate.evaluation  # noqa: F401
import sft_ablate.training  # noqa: F401
from sft_ablate.errors import ConfigError, SftAblateError
from sft_ablate.io import write_json_atomic
from sft_ablate.launch.heartbeat import heartbeat_process
from sft_ablate.launch.overrides import config_groups, quote_group_values
from sft_ablate.metrics import MetricSpec, metric_specs, spec_for
from sft_ablate.paths import STUDY_FILE
from sft_ablate.record.results import read_results

log = logging.getLogger(__name__)

SYNTHETIC_FRACTION = "synthetic_fraction"


@dataclass
class SamplerConf:
    name: str = "tpe"  # tpe | gp | brute_force (choice/range params only) | random
    seed: int | None = 0
    n_startup_trials: int = 10  # tpe, gp: random trials before the model-based search starts


@dataclass
class PrunerConf:
    name: str = "median"  # median | wilcoxon | none
    n_startup_trials: int = 3  # median: finished trials before any pruning
    n_warmup_steps: int = 0  # median: training steps before a trial can be pruned
    p_threshold: float = 0.1  # wilcoxon
    n_startup_steps: int = 2  # wilcoxon


@dataclass
class OptunaSweeperConf:
    _target_: str = "sft_ablate.launch.optuna_sweeper.OptunaSweeper"
    objective: str = "metrics.eval_loss"  # a path into results.json
    direction: str = "minimize"  # minimize | maximize
    n_trials: int = 20  # for the whole study, over all workers and restarts
    study_name: str = "${study}"
    storage: str | None = None  # SQLAlchemy URL; null: sqlite:///<hydra.sweep.dir>/optuna.db
    heartbeat_interval: int = 30  # seconds between a running trial's heartbeats
    grace_period: int = 120  # seconds without a heartbeat before a trial counts as dead and is retried
    max_retry: int = 2  # retries of a trial whose worker died
    sampler: SamplerConf = field(default_factory=SamplerConf)
    pruner: PrunerConf = field(default_factory=PrunerConf)
    params: dict[str, str] = field(default_factory=dict)


class ObjectiveMissing(SftAblateError):
    """The configured objective is not in a complete run's results.json: every trial would fail alike."""


class OptunaSweeper(Sweeper):
    def __init__(
        self,
        objective: str,
        direction: str,
        n_trials: int,
        study_name: str,
        storage: str | None,
        heartbeat_interval: int,
        grace_period: int,
        max_retry: int,
        sampler: DictConfig,
        pruner: DictConfig,
        params: DictConfig | None,
    ) -> None:
        super().__init__()
        if direction not in ("minimize", "maximize"):
            raise ConfigError(f"hydra.sweeper.direction must be minimize or maximize, got {direction!r}")
        if n_trials <= 0:
            raise ConfigError(f"hydra.sweeper.n_trials must be positive, got {n_trials}")
        self.objective, self.direction, self.n_trials = objective, direction, n_trials
        self.study_name, self.storage_url = study_name, storage
        self.heartbeat_interval, self.grace_period, self.max_retry = heartbeat_interval, grace_period, max_retry
        self.sampler_conf, self.pruner_conf = sampler, pruner
        self.params = dict(params or {})
        self.objective_missing: ObjectiveMissing | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.hydra_context, self.config = hydra_context, config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config
        )
        self.sweep_dir = Path(str(config.hydra.sweep.dir)).resolve()
        hide_storage_password(config)  # before multirun.yaml and each job's .hydra/hydra.yaml are written from it

    def sweep(self, arguments: list[str]) -> Any:
        import optuna

        fresh = not self.sweep_dir.exists()
        try:  # a bad search space or storage is the user's to fix: its message, exit 2, and no half-made sweep dir
            check_objective(self.objective, self.direction, self.config)  # before a trial trains for nothing
            space, fixed = self.search_space(arguments)
            self.check_space(space, fixed)
            self.sweep_dir.mkdir(parents=True, exist_ok=True)
            study = self.load_study()
        except ConfigError as err:
            if fresh:
                shutil.rmtree(self.sweep_dir, ignore_errors=True)
            log.error("%s", err)
            sys.exit(2)
        OmegaConf.save(self.config, self.sweep_dir / "multirun.yaml")
        write_json_atomic(
            self.sweep_dir / STUDY_FILE,
            {
                "study_name": self.study_name,
                "storage": _masked(self.storage()),
                "objective": self.objective,
                "direction": self.direction,
                "n_trials": self.n_trials,
                "params": self.params,
                "sampler": OmegaConf.to_container(self.sampler_conf),
                "pruner": OmegaConf.to_container(self.pruner_conf),
            },
        )
        log.info(
            "Optuna study %r (%s) in %s: %d trials wanted, %d recorded",
            self.study_name,
            self.direction,
            _masked(self.storage()),
            self.n_trials,
            len(study.trials),
        )
        recover_objective_failures(study, self.objective)
        while True:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(study)  # a dead worker's trial -> FAIL, and queued again
            step = next_step(study, self.n_trials)
            if step == "done":
                break
            if step == "wait":  # other workers' trials are running; a dead worker's goes stale, then is retried
                log.info("waiting for running trials of other workers (a dead one's is retried after %d s)", self.grace_period)
                time.sleep(min(self.heartbeat_interval, 10))
                continue
            # Reseed per trial, from the trial count: one worker is reproducible, two workers differ.
            study.sampler = self.make_sampler(offset=len(study.get_trials(deepcopy=False)))
            self.ask_run_tell(study, space, fixed)
            if self.objective_missing is not None:
                raise self.objective_missing
        self.log_summary(study)
        return study

    def ask_run_tell(self, study: Any, space: dict[str, Any], fixed: list[str]) -> None:
        """One trial, its heartbeat beating from a child process (heartbeat.py says why not a thread).

        What study.optimize(n_trials=1, catch=Exception) did, less its heartbeat thread: a pruned trial is
        told PRUNED, one that raised FAIL (and the study goes on), Ctrl-C FAIL and stops the worker.
        """
        import optuna
        from optuna.trial import TrialState

        with warnings.catch_warnings():  # "Heartbeat of storage is supposed to be used with Study.optimize": we beat below
            warnings.filterwarnings("ignore", message="Heartbeat of storage")
            trial = study.ask()  # a queued retry of a dead worker's trial comes first
        beat_here = partial(self.rdb_storage.record_heartbeat, trial._trial_id)  # until the child's first beat
        try:
            with heartbeat_process(self.storage(), trial._trial_id, self.heartbeat_interval, self.engine_kwargs, beat_here):
                value = self.run_trial(study, trial, space, fixed)
        except optuna.TrialPruned as err:
            _tell(study, trial, state=TrialState.PRUNED)
            log.info("Trial %d pruned. %s", trial.number, err)
        except KeyboardInterrupt:
            _tell(study, trial, state=TrialState.FAIL)
            raise
        except Exception as err:
            _tell(study, trial, state=TrialState.FAIL)
            log.warning("Trial %d failed with parameters %s: %s: %s", trial.number, trial.params, type(err).__name__, err)
        else:
            _tell(study, trial, value)
            log.info("Trial %d finished with %s = %.6g and parameters %s", trial.number, self.objective, value, trial.params)

    # -- the search space ------------------------------------------------------------------------
    def search_space(self, arguments: list[str]) -> tuple[dict[str, Any], list[str]]:
        """Sweep overrides become distributions; plain ones are passed unchanged to every trial."""
        import optuna.distributions as D

        lines = quote_group_values([f"{k}={v}" for k, v in self.params.items()] + list(arguments), config_groups())
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        space: dict[str, Any] = {}
        fixed: dict[str, str] = {}
        for override in parser.parse_overrides(lines):
            key = override.get_key_element()
            fixed.pop(key, None)
            space.pop(key, None)
            if override.is_sweep_override():
                space[key] = _distribution(override, D)
            else:
                fixed[key] = f"{key}={override.get_value_element_as_str()}"
        return space, list(fixed.values())

    def check_space(self, space: dict[str, Any], fixed: list[str]) -> None:
        """Compose once per categorical choice before any trial, so a typo fails now, not in trial 7."""
        import optuna.distributions as D

        if SYNTHETIC_FRACTION in space:
            self.fraction_sources()
        checks = [[]] + [
            [_override(k, c)] for k, d in space.items() if isinstance(d, D.CategoricalDistribution) for c in d.choices
        ]
        lows = [
            _override(k, d.low)
            for k, d in space.items()
            if k != SYNTHETIC_FRACTION and not isinstance(d, D.CategoricalDistribution)
        ]
        for extra in checks:
            job = quote_group_values(fixed + lows + extra, config_groups())
            try:
                self.hydra_context.config_loader.load_sweep_config(self.config, job)
            except Exception as err:
                raise ConfigError(f"the Optuna search space does not compose ({' '.join(extra or lows)}): {err}") from err

    def fraction_sources(self) -> tuple[str, str]:
        """The (synthetic, human) sources that `synthetic_fraction` splits the mix between."""
        kinds = {name: self.config.data.sources[name].kind for name in self.config.mix.weights}
        synthetic = [n for n, k in kinds.items() if k == "synthetic"]
        human = [n for n, k in kinds.items() if k == "human"]
        if len(synthetic) != 1 or len(human) != 1:
            raise ConfigError(
                f"{SYNTHETIC_FRACTION} needs a mix of exactly one synthetic and one human source; "
                f"mix {self.config.mix.name!r} has {kinds}"
            )
        return synthetic[0], human[0]

    def trial_overrides(self, trial: Any, space: dict[str, Any], fixed: list[str]) -> list[str]:
        job = list(fixed)
        for key, distribution in space.items():
            value = _suggest(trial, key, distribution)
            if key == SYNTHETIC_FRACTION:
                synthetic, human = self.fraction_sources()
                percent = round(100 * value)
                job += [
                    f"mix.name='{percent}_{100 - percent}'",
                    f"mix.weights.{synthetic}={value!r}",
                    f"mix.weights.{human}={1 - value!r}",
                ]
            else:
                job.append(_override(key, value))
        return quote_group_values(job, config_groups())

    # -- one trial -------------------------------------------------------------------------------
    def run_trial(self, study: Any, trial: Any, space: dict[str, Any], fixed: list[str]) -> float:
        import optuna
        from optuna.storages import RetryHeartbeatStaleTrialCallback

        from sft_ablate.evaluation.curve import reporting_to  # imports torch: only once a trial runs

        job = self.trial_overrides(trial, space, fixed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            frozen = next(t for t in study.get_trials(deepcopy=False) if t.number == trial.number)
            original = RetryHeartbeatStaleTrialCallback.retried_trial_number(frozen)
        # A retry runs in its original trial's dir (hydra.job.num), where training resumes from the checkpoint.
        job_num = trial.number if original is None else original
        with reporting_to(trial, maximize=self.direction == "maximize"):
            result = self.launcher.launch([job], initial_job_idx=job_num)[0]
        run_dir = Path(str(result.hydra_cfg.hydra.runtime.output_dir)) if result.hydra_cfg else None
        trial.set_user_attr("run_dir", str(run_dir))
        trial.set_user_attr("overrides", job)
        if result.status == JobStatus.FAILED:
            # What the run raised. (JobReturn.return_value would re-raise it too, but first prints
            # "Error executing job", which a pruned trial is not.)
            err = result._return_value
            if isinstance(err, optuna.TrialPruned):
                if run_dir is not None:
                    mark_pruned(run_dir, str(err))
            else:
                trial.set_user_attr("error", f"{type(err).__name__}: {err}"[:2000])
            raise err
        results = result.return_value
        if not isinstance(results, dict):  # another launcher may hand back only what it pickled
            results = read_results(run_dir) if run_dir else None
        try:
            return objective_value(results or {}, self.objective)
        except ObjectiveMissing as err:
            trial.set_user_attr("error", str(err))
            trial.set_user_attr(OBJECTIVE_FAILED, True)  # the run is fine: a later command with a fixed objective recovers it
            self.objective_missing = err
            raise

    # -- storage, sampler, pruner ----------------------------------------------------------------
    def storage(self) -> str:
        return self.storage_url or f"sqlite:///{self.sweep_dir / 'optuna.db'}"

    def load_study(self):
        import optuna
        from sqlalchemy.exc import ArgumentError, OperationalError

        url = self.storage()
        # SQLite: wait for a lock held by another worker instead of failing at once.
        self.engine_kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
        for attempt in range(3):  # two workers starting together can race to create the tables
            try:
                with warnings.catch_warnings():  # heartbeats and retries are marked experimental
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    storage = optuna.storages.RDBStorage(
                        url,
                        engine_kwargs=self.engine_kwargs,
                        heartbeat_interval=self.heartbeat_interval,
                        grace_period=self.grace_period,
                        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(self.max_retry),
                    )
                study = optuna.create_study(
                    study_name=self.study_name,
                    storage=storage,
                    direction=self.direction,
                    sampler=self.make_sampler(0),
                    pruner=self.make_pruner(),
                    load_if_exists=True,
                )
                self.rdb_storage = storage
                break
            except OperationalError as err:
                if attempt == 2:
                    raise _storage_error(url, err) from err
                time.sleep(1 + attempt)
            except (ArgumentError, ImportError) as err:  # not a SQLAlchemy URL, or its database driver is missing
                raise _storage_error(url, err) from err
        if study.direction.name.lower() != self.direction:
            raise ConfigError(
                f"study {self.study_name!r} in {_masked(url)} was created to "
                f"{study.direction.name.lower()}, this command says {self.direction}"
            )
        return study

    def make_sampler(self, offset: int):
        import optuna

        conf = self.sampler_conf
        seed = None if conf.seed is None else conf.seed + offset
        if conf.name == "tpe":
            return optuna.samplers.TPESampler(seed=seed, n_startup_trials=conf.n_startup_trials)
        if conf.name == "gp":
            return optuna.samplers.GPSampler(seed=seed, n_startup_trials=conf.n_startup_trials)
        if conf.name == "brute_force":
            return optuna.samplers.BruteForceSampler(seed=seed)
        if conf.name == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        raise ConfigError(f"hydra.sweeper.sampler.name must be tpe, gp, brute_force or random, got {conf.name!r}")

    def make_pruner(self):
        import optuna

        conf = self.pruner_conf
        if conf.name == "median":
            return optuna.pruners.MedianPruner(n_startup_trials=conf.n_startup_trials, n_warmup_steps=conf.n_warmup_steps)
        if conf.name == "wilcoxon":
            return optuna.pruners.WilcoxonPruner(p_threshold=conf.p_threshold, n_startup_steps=conf.n_startup_steps)
        if conf.name == "none":
            return optuna.pruners.NopPruner()
        raise ConfigError(f"hydra.sweeper.pruner.name must be median, wilcoxon or none, got {conf.name!r}")

    def log_summary(self, study) -> None:
        states: dict[str, int] = {}
        for trial in study.get_trials(deepcopy=False):
            states[trial.state.name] = states.get(trial.state.name, 0) + 1
        log.info("study %r: %s", self.study_name, ", ".join(f"{n} {s.lower()}" for s, n in sorted(states.items())))
        try:
            best = study.best_trial
        except ValueError:
            log.info("no trial completed")
            return
        log.info(
            "best trial %d: %s = %.6g with %s (run dir %s)",
            best.number,
            self.objective,
            best.value,
            best.params,
            best.user_attrs.get("run_dir"),
        )


def _tell(study, trial, value: float | None = None, state=None) -> None:
    """study.tell, unless another worker already failed the trial: its heartbeat looked stale to that worker
    (a machine too busy for grace_period), and it is queued again, so this worker's outcome has no place."""
    import optuna

    try:
        study.tell(trial, value, state=state)
    except (ValueError, optuna.exceptions.UpdateFinishedTrialError) as err:
        state_now = study._storage.get_trial(trial._trial_id).state
        if state_now.is_finished():
            log.warning("Trial %d was already %s by another worker (%s); it is retried", trial.number, state_now.name, err)
        else:
            raise


def hide_storage_password(config: DictConfig) -> None:
    """Mask the storage password in the Hydra config, which Hydra writes into the sweep dir (multirun.yaml, each
    job's .hydra/hydra.yaml). The sweeper has its own copy of the URL; no job needs it."""
    storage = config.hydra.sweeper.get("storage")
    if not storage or _masked(storage) == storage:
        return
    with read_write(config.hydra.sweeper), read_write(config.hydra.overrides):  # Hydra made each node read-only
        config.hydra.sweeper.storage = _masked(storage)
        config.hydra.overrides.hydra = [
            f"{line.split('=', 1)[0]}={_masked(line.split('=', 1)[1])}"
            if line.split("=", 1)[0].endswith("sweeper.storage")
            else line
            for line in config.hydra.overrides.hydra
        ]


def check_objective(objective: str, direction: str, config: DictConfig) -> None:
    """The objective must name a metric a run of this config records, optimized the way it improves.

    Checked against the metric table (sft_ablate/metrics.py) before the first trial: a typo such as
    `metrics.eval_los` would otherwise be found only after a whole trial had trained.
    """
    match = spec_for(objective) if objective.startswith("metrics.") else None
    if match is None or not _recorded_here(*match, config):
        raise ConfigError(
            f"hydra.sweeper.objective={objective} is not a metric these runs record; "
            f"use one of: {', '.join(known_objectives(config))}"
        )
    spec, keys = match
    if spec.higher_is_better is None:
        raise ConfigError(
            f"hydra.sweeper.objective={objective}: {spec.label_for(keys)} is not an objective, "
            "since no value of it is better than another (a standard error, a length)"
        )
    wanted = "maximize" if spec.higher_is_better else "minimize"
    if direction != wanted:
        raise ConfigError(
            f"hydra.sweeper.direction={direction}, but {objective} is better when "
            f"{'higher' if spec.higher_is_better else 'lower'}: set hydra.sweeper.direction={wanted}"
        )


def known_objectives(config: DictConfig) -> list[str]:
    """Every metric a run of this config records that is better one way, a '*' shown as the keys it may take."""
    known = []
    for spec in metric_specs():
        if (spec.higher_is_better is None and not spec.by_name) or (spec.when and not OmegaConf.select(config, spec.when)):
            continue
        domains = iter([_domain(config, over) for over in spec.over])
        parts = [next(domains, ["<key>"]) if "*" in part else [part] for part in spec.path.split(".")]
        if all(parts):  # a star over an empty list (no heldout sets): no such metric
            known.append("metrics." + ".".join(p[0] if len(p) == 1 else f"<{'|'.join(p)}>" for p in parts))
    return known


def _recorded_here(spec: MetricSpec, keys: tuple[str, ...], config: DictConfig) -> bool:
    """Whether a run of this config records the metric: its stage runs, and each key is one the config names."""
    if spec.when and not OmegaConf.select(config, spec.when):
        return False
    return all(key and (over.startswith("<") or key in _domain(config, over)) for key, over in zip(keys, spec.over))


def _domain(config: DictConfig, over: str) -> list[str]:
    """The keys a star stands for: a config entry's (its dict keys, its list items), or "<name>" for any key."""
    return [over] if over.startswith("<") else [str(k) for k in (OmegaConf.select(config, over) or [])]


OBJECTIVE_FAILED = "objective_failed"  # user attr of a FAIL trial whose run completed but whose objective was not found
RECOVERED_FROM = "recovered_from"  # user attr of the COMPLETE trial that replaces such a FAIL trial


def recover_objective_failures(study, objective: str) -> None:
    """A trial whose run completed but whose objective was missing (say a typo, since fixed) failed for no fault of
    its run. Its results.json holds the value, so it is added back as a COMPLETE trial with the same parameters,
    and the FAIL trial no longer counts toward n_trials (next_step). Retraining it would only cost time."""
    import optuna
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    recovered = {t.user_attrs.get(RECOVERED_FROM) for t in trials}
    for trial in trials:
        if trial.state != TrialState.FAIL or not trial.user_attrs.get(OBJECTIVE_FAILED) or trial.number in recovered:
            continue
        run_dir = trial.user_attrs.get("run_dir")
        results = read_results(Path(run_dir)) if run_dir and Path(run_dir).is_dir() else None
        if not results or results.get("status") != "complete":
            continue
        try:
            value = objective_value(results, objective)
        except (ObjectiveMissing, ValueError):
            continue
        attrs = {k: v for k, v in trial.user_attrs.items() if k not in ("error", OBJECTIVE_FAILED)}
        study.add_trial(
            optuna.trial.create_trial(
                params=trial.params,
                distributions=trial.distributions,
                value=value,
                user_attrs={**attrs, RECOVERED_FROM: trial.number},
            )
        )
        log.info("trial %d: its run completed; %s = %.6g read from %s/results.json", trial.number, objective, value, run_dir)


def next_step(study, n_trials: int) -> str:
    """'run' another trial, 'wait' for other workers' running trials, or 'done'.

    A trial counts toward n_trials unless a retry replaced it (its worker died). Waiting trials (retries)
    always run. Two workers deciding at the same instant may overshoot n_trials by one trial each.
    """
    import optuna
    from optuna.storages import RetryHeartbeatStaleTrialCallback
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        replaced = {n for t in trials for n in RetryHeartbeatStaleTrialCallback.retry_history(t)}
    replaced |= {t.user_attrs[RECOVERED_FROM] for t in trials if RECOVERED_FROM in t.user_attrs}
    counted = [t for t in trials if t.number not in replaced]
    if any(t.state == TrialState.WAITING for t in counted) or len(counted) < n_trials:
        return "run"
    if any(t.state == TrialState.RUNNING for t in counted):
        return "wait"
    return "done"


def objective_value(results: dict[str, Any], path: str) -> float:
    node: Any = results
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ObjectiveMissing(
                f"the objective {path!r} is not in this run's results.json (metrics there: "
                f"{', '.join(sorted(results.get('metrics', {}))) or 'none'}); set hydra.sweeper.objective"
            )
        node = node[part]
    value = float(node)
    if not math.isfinite(value):
        raise ValueError(f"the objective {path} is {value}")
    return value


def mark_pruned(run_dir: Path, reason: str) -> None:
    """The run stopped on the pruner's word, not on an error: say so in its record."""
    results = read_results(run_dir)
    if results is not None:
        write_json_atomic(run_dir / "results.json", {**results, "status": "pruned", "error": reason})


def _distribution(override: Override, D) -> Any:
    sweep = override.value()
    key = override.get_key_element()
    if isinstance(sweep, ChoiceSweep):
        return D.CategoricalDistribution(list(sweep.list))
    if isinstance(sweep, RangeSweep):
        start, stop, step = sweep.start, sweep.stop, sweep.step
        last = start + step * math.floor((stop - start) / step - 1e-9)  # range() excludes stop
        if all(isinstance(v, int) for v in (start, stop, step)):
            return D.IntDistribution(int(start), int(last), step=int(step))
        return D.FloatDistribution(float(start), float(last), step=float(step))
    if isinstance(sweep, IntervalSweep):
        log_scale = "log" in sweep.tags
        if "int" in sweep.tags:  # Hydra reads interval() ends as floats, so integers must be asked for
            return D.IntDistribution(int(sweep.start), int(sweep.end), log=log_scale)
        return D.FloatDistribution(float(sweep.start), float(sweep.end), log=log_scale)
    raise ConfigError(f"the Optuna sweeper cannot search {key}={override.input_line}: use choice, range or interval")


def _suggest(trial: Any, key: str, distribution: Any) -> Any:
    import optuna.distributions as D

    if isinstance(distribution, D.CategoricalDistribution):
        return trial.suggest_categorical(key, distribution.choices)
    if isinstance(distribution, D.IntDistribution):
        return trial.suggest_int(key, distribution.low, distribution.high, step=distribution.step, log=distribution.log)
    return trial.suggest_float(key, distribution.low, distribution.high, step=distribution.step, log=distribution.log)


def _override(key: str, value: Any) -> str:
    if isinstance(value, str):  # quoted, so that Hydra keeps it a string (e.g. mix.name='37_63')
        return f"{key}='" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return f"{key}={value!r}" if isinstance(value, float) else f"{key}={value}"


def _storage_error(url: str, err: Exception) -> ConfigError:
    return ConfigError(
        f"hydra.sweeper.storage {_masked(url)!r} cannot be opened ({type(err).__name__}: "
        f"{str(err).splitlines()[0]}); give a SQLAlchemy URL such as sqlite:////abs/path/optuna.db "
        "or postgresql+psycopg://user@host/db, or leave it null for SQLite in the sweep dir"
    )


def _masked(url: str) -> str:
    """The storage URL without its password, fit for logs and files."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL at all: it has no password field to find, so show only its scheme
        return url.split(":", 1)[0] + ":..." if ":" in url else "<not a URL>"
