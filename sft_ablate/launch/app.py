"""The Hydra apps: `python -m sft_ablate` (one run, or a sweep of them) and `python -m sft_ablate.synth`.

Each composes and validates its config, checks what can be checked before minutes are spent, and hands the
typed config to its recipe (sft_ablate/run.py, sft_ablate/synth/pipeline.py). The edges (exit codes, Ctrl-C
and SIGTERM, nothing left behind on bad input) are sft_ablate.command's, the same for every command.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sft_ablate.arena.postgres import check_url, is_database_url
from sft_ablate.command import job_in, run_command
from sft_ablate.config import to_config
from sft_ablate.identity import completed_results, config_hash
from sft_ablate.launch.hydra_setup import register
from sft_ablate.launch.overrides import config_groups, quote_group_values
from sft_ablate.launch.preflight import check_before_run, check_outputs_writable
from sft_ablate.launch.stop import interrupt_on_sigterm_in_job
from sft_ablate.paths import CONF_DIR, SYNTH_CONF_DIR

log = logging.getLogger("sft_ablate")


@hydra.main(config_path=str(CONF_DIR), config_name="config")
def task(cfg: DictConfig) -> dict:
    """One run; returns its results (a sweeper picks its objective from them, e.g. metrics.eval_loss)."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    interrupt_on_sigterm_in_job()  # a job of hydra/launcher=submitit_local: the sweep's stop reaches it (stop.py)
    with job_in(run_dir, multirun=HydraConfig.get().mode == RunMode.MULTIRUN):
        config = to_config(cfg)
        run_config = dataclasses.asdict(config)  # validated and resolved, every default spelled out
        check_before_run(config, run_config, run_dir)  # paths, disk space: before minutes are spent
        done = completed_results(run_dir, run_config)
        if done is not None:  # a rerun of a sweep: this exact run is already complete
            log.info("skipped: %s already holds this run, complete (config_hash %s)", run_dir, config_hash(run_config))
            return done
        from sft_ablate.run import run  # heavy imports (torch, TRL) only once the config is known to be valid

        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(run_config))
        return run(config, run_dir, run_config)


@hydra.main(config_path=str(SYNTH_CONF_DIR), config_name="config")
def synth_task(cfg: DictConfig) -> None:
    """One synthetic-data job; results.json and the dataset land in its run dir (or synth.output)."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    with job_in(run_dir, multirun=HydraConfig.get().mode == RunMode.MULTIRUN, resumable=True):
        config = to_config(cfg)
        run_config = dataclasses.asdict(config)
        check_before_run(config, run_config, run_dir)
        from sft_ablate.synth.pipeline import synthesize  # heavy imports once the config is valid

        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(run_config))
        synthesize(config, run_dir)


def main() -> None:
    sys.exit(run_command(lambda: _start(task, CONF_DIR)))


def synth_main() -> None:
    sys.exit(run_command(lambda: _start(synth_task, SYNTH_CONF_DIR)))


def _start(app, conf_dir: Path) -> None:
    check_outputs_writable(sys.argv[1:], conf_dir)  # before Hydra, which fails on an unwritable dir with a traceback
    check_store_urls(sys.argv[1:])
    sys.argv = [sys.argv[0], *quote_group_values(sys.argv[1:], config_groups())]
    register()
    app()


def check_store_urls(argv: list[str]) -> None:
    """An ``arena.store`` URL holds no password: Hydra writes the command line into the run dir before any code of
    ours runs, so it is refused here, first (the password goes to PGPASSWORD or ~/.pgpass)."""
    for arg in argv:
        key, _, value = arg.partition("=")
        value = value.strip("'\"")
        if key.lstrip("+~") == "arena.store" and is_database_url(value):
            check_url(value)
