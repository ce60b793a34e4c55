"""The grid sweeper of `python -m sft_ablate -m mix=30_70,50_50 seed=0,1`: Hydra's basic sweeper, quoting
number-like config-group values (see overrides.py) in each job it expands.

With `hydra.sweeper.seeds=adaptive` it runs the seeds the sweep lists for every level, then adds seeds only to the
levels whose comparison with the baseline is still open, look by look, until each is decided or `max_seeds` is
reached (sft_ablate/report/adaptive.py decides, docs/statistics.md says why that stays valid). Each look's jobs go
to whatever launcher the sweep uses (local, SLURM), as a batch. A rerun of the same command resumes: the runs skip
themselves when complete, and the looks are derived again from the runs on disk; adaptive.json in the sweep dir
records each look.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import OmegaConf

from sft_ablate.errors import ConfigError
from sft_ablate.io import write_json_atomic
from sft_ablate.launch.overrides import config_groups, quote_group_values
from sft_ablate.launch.stop import StoppingLauncher

log = logging.getLogger("sft_ablate")
ALPHA = 0.05  # as the report's verdicts (report/inference.py), which are imported only by an adaptive sweep
SEED = "seed"
MODES = ("fixed", "adaptive")


@dataclass
class GridSweeperConf:
    """hydra.sweeper.*: Hydra's basic sweeper's fields, and how seeds are spent (docs/studies-and-optuna.md)."""

    _target_: str = "sft_ablate.launch.grid_sweeper.GridSweeper"
    max_batch_size: int | None = None
    params: dict[str, str] | None = None
    seeds: str = "fixed"  # fixed: every listed seed for every level; adaptive: more only where a verdict is open
    max_seeds: int = 10  # adaptive: the cap on seeds per level (the listed seeds are the first look)
    seed_step: int = 1  # adaptive: seeds added per look to the open levels
    metric: str | None = None  # adaptive: the metric decided on (None: study_primary, else the external set)
    baseline: str | None = None  # adaptive: the level compared against (None: the first the sweep lists)
    alpha: float = ALPHA  # adaptive: the chance of any false verdict among the comparisons


class GridSweeper(BasicSweeper):
    """Hydra's basic sweeper, with config-group values quoted before each parse, and adaptive seeds (see module
    docstring)."""

    def __init__(
        self,
        max_batch_size: int | None = None,
        params: dict[str, str] | None = None,
        seeds: str = "fixed",
        max_seeds: int = 10,
        seed_step: int = 1,
        metric: str | None = None,
        baseline: str | None = None,
        alpha: float = ALPHA,
    ) -> None:
        super().__init__(max_batch_size, params)
        if seeds not in MODES:
            raise ConfigError(f"hydra.sweeper.seeds={seeds}: one of {', '.join(MODES)}")
        self.seeds, self.max_seeds, self.seed_step = seeds, max_seeds, seed_step
        self.metric, self.baseline, self.alpha = metric, baseline, alpha

    def setup(self, **kwargs: Any) -> None:
        super().setup(**kwargs)
        self.launcher = StoppingLauncher(self.launcher)  # a stop signal starts no further job (stop.py)

    def _parse_config(self) -> list[str]:
        return quote_group_values(super()._parse_config(), config_groups())

    @staticmethod
    def split_arguments(overrides: list[Override], max_batch_size: int | None) -> list[list[list[str]]]:
        groups = config_groups()
        batches = BasicSweeper.split_arguments(overrides, max_batch_size)
        return [[quote_group_values(job, groups) for job in batch] for batch in batches]

    def sweep(self, arguments: list[str]) -> Any:
        if self.seeds == "fixed":
            return super().sweep(arguments)
        return self.adaptive(arguments)

    def adaptive(self, arguments: list[str]) -> list:
        assert self.config is not None and self.launcher is not None and self.hydra_context is not None
        from sft_ablate.report.adaptive import as_record, evaluate  # the report's imports: only for this mode

        study = self.design(arguments)
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        runs: dict[str, dict[int, Path]] = {level: {} for level in study.levels}
        wanted, looks, returns, job_index = list(study.levels), [], [], 0
        for k, count in enumerate(study.plan.seeds):
            jobs = [(lv, s) for lv in wanted for s in study.order[:count] if s not in runs[lv]]
            batch = [[*study.jobs[lv], f"{SEED}={s}"] for lv, s in jobs]
            for start in range(0, len(batch), self.max_batch_size or max(1, len(batch))):
                chunk = batch[start : start + (self.max_batch_size or len(batch))]
                self.validate_batch_is_legal(chunk)
                results = self.launcher.launch(chunk, initial_job_idx=job_index)
                for (level, seed), result in zip(jobs[start : start + len(chunk)], results):
                    _ = result.return_value  # a failed run stops the sweep, as in a fixed grid (a rerun redoes it)
                    runs[level][seed] = Path(result.hydra_cfg.hydra.runtime.output_dir)
                job_index += len(chunk)
                returns.append(results)
            state = evaluate(runs, study.baseline, study.order, study.plan, self.metric)
            still = [c.level for c in state.comparisons if not c.decided]
            wanted = [study.baseline, *still] if still else []
            last = k == len(study.plan.seeds) - 1
            stop = "every comparison decided" if not still else f"the cap of {count} seeds" if last else "running"
            looks.append({"look": k + 1, "seeds": count, "open": still, "comparisons": as_record(state)})
            self.write_log(sweep_dir, study, state, runs, looks, stop)
            log.info(
                "adaptive seeds, look %d (%d seeds): %s", k + 1, count, f"open: {', '.join(still)}" if still else "all decided"
            )
            if not still:
                break
        return returns

    def design(self, arguments: list[str]) -> AdaptiveDesign:
        """The levels (one swept setting besides the seed), their jobs, the seeds' order and the plan of looks."""
        assert self.config is not None and self.hydra_context is not None
        subdir = OmegaConf.to_container(self.config.hydra.sweep, resolve=False).get("subdir", "")
        if "hydra.job.num" in str(subdir):
            raise ConfigError(
                "adaptive seeds need run dirs named by their settings, not by job number (a look's jobs are numbered "
                "by what is still open): set hydra.sweep.subdir, e.g. ${mix.name}_s${seed} (the named studies do)"
            )
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        by_key: dict[str, Override] = {}
        for override in parser.parse_overrides([*self._parse_config(), *arguments]):
            by_key[override.get_key_element()] = override  # the command line over the sweep's params, as Hydra's
        overrides = list(by_key.values())
        seeds = [o for o in overrides if o.get_key_element() == SEED and o.is_sweep_override()]
        if not seeds:
            raise ConfigError("hydra.sweeper.seeds=adaptive needs the first seeds swept: seed=0,1,2")
        initial = [int(v) for v in seeds[0].sweep_string_iterator()]
        rest = [o for o in overrides if o is not seeds[0]]
        swept = [o.get_key_element() for o in rest if o.is_sweep_override()]
        if len(swept) != 1:
            raise ConfigError(
                "hydra.sweeper.seeds=adaptive compares the levels of one swept setting besides the seed; "
                f"this sweep varies {len(swept)}: {', '.join(swept) or 'none'}"
            )
        jobs = self.split_arguments(rest, None)[0]
        values = [next(a.split("=", 1)[1] for a in job if a.split("=", 1)[0].lstrip("+~") == swept[0]) for job in jobs]
        levels = [v.strip("'\"") for v in values]  # mix='30_70' (quoted for Hydra's parser) is the level 30_70
        baseline = self.baseline if self.baseline is not None else levels[0]
        if baseline not in levels:
            raise ConfigError(f"hydra.sweeper.baseline={baseline}: not a level of {swept[0]} ({', '.join(levels)})")
        from sft_ablate.report.sequential import Plan

        try:
            plan = Plan.of(len(initial), self.max_seeds, self.seed_step, self.alpha)
        except ValueError as err:
            raise ConfigError(f"hydra.sweeper: {err}") from err
        more = [s for s in range(max(initial) + 1, max(initial) + 1 + self.max_seeds) if s not in initial]
        order = [*initial, *more][: self.max_seeds]
        return AdaptiveDesign(swept[0], levels, baseline, dict(zip(levels, jobs)), order, plan)

    def write_log(self, sweep_dir: Path, study: AdaptiveDesign, state, runs, looks, stop: str) -> None:
        from sft_ablate.report.adaptive import LOG_FILE

        write_json_atomic(
            sweep_dir / LOG_FILE,
            {
                "factor": study.factor,
                "levels": study.levels,
                "baseline": study.baseline,
                "metric": state.metric.label,
                "metric_column": state.metric.column,
                "metric_why": state.why,
                "higher_is_better": state.metric.higher_is_better,
                "alpha": study.plan.alpha,
                "early_share": study.plan.early,
                "plan": list(study.plan.seeds),
                "seed_order": study.order,
                "seeds": {level: sorted(by_seed) for level, by_seed in runs.items()},
                "runs": {level: {str(s): _relative(d, sweep_dir) for s, d in by_seed.items()} for level, by_seed in runs.items()},
                "looks": looks,
                "stop": stop,
            },
        )


@dataclass(frozen=True)
class AdaptiveDesign:
    factor: str  # the swept setting, as the command line names it
    levels: list[str]  # its values, in the sweep's order
    baseline: str
    jobs: dict[str, list[str]]  # each level's overrides, less the seed
    order: list[int]  # the seeds, in the order they are added
    plan: Any  # report.sequential.Plan


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
