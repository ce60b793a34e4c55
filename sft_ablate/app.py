"""The Hydra task: compose and validate the config, then hand it to the run recipe."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import signal
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sft_ablate.cli import CONF_DIR, config_groups, quote_group_values, register
from sft_ablate.config import to_config
from sft_ablate.errors import SftAblateError
from sft_ablate.preflight import check_before_run, check_outputs_writable
from sft_ablate.record import completed_results, config_hash

log = logging.getLogger("sft_ablate")


@hydra.main(config_path=str(CONF_DIR), config_name="config")
def task(cfg: DictConfig) -> dict:
    """One run; returns its results (a sweeper picks its objective from them, e.g. metrics.eval_loss)."""
    multirun = HydraConfig.get().mode == RunMode.MULTIRUN
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    fresh = not any((run_dir / name).exists() for name in ("results.json", "checkpoints"))
    try:
        config = to_config(cfg)
        run_config = dataclasses.asdict(config)  # validated and resolved, every default spelled out
        check_before_run(config, run_config, run_dir)  # paths, disk space: before minutes are spent
        done = completed_results(run_dir, config_hash(run_config))
        if done is not None:  # a rerun of a sweep: this exact run is already complete
            log.info("skipped: %s already holds this run, complete (config_hash %s)", run_dir, done["config_hash"])
            return done
        from sft_ablate.run import run  # heavy imports (torch, TRL) only once the config is known to be valid

        (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(run_config))
        results = run(config, run_dir, run_config)
    except SftAblateError as err:
        if fresh:  # bad input leaves nothing behind; a dir with earlier results or checkpoints is never removed
            shutil.rmtree(run_dir, ignore_errors=True)
        if multirun:
            raise  # the sweeper records the failure and goes on with the other jobs
        log.error("%s", err)
        sys.exit(2)
    except KeyboardInterrupt as err:  # Ctrl-C: results.json says "interrupted"; training saved a checkpoint
        log.error("interrupted (%s); rerun the same command to resume", err or "Ctrl-C")
        sys.exit(130)
    return results


def main() -> None:
    try:  # before Hydra, which would fail on an unwritable dir with a bare traceback
        check_outputs_writable(sys.argv[1:], CONF_DIR)
    except SftAblateError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    # `kill` (SIGTERM) stops a run like Ctrl-C: results.json says "interrupted" (training also saves a checkpoint).
    signal.signal(signal.SIGTERM, _interrupt)
    sys.argv = [sys.argv[0], *quote_group_values(sys.argv[1:], config_groups())]
    register()
    task()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")
