"""Scale-out routes that one machine can exercise: the submitit launcher (SLURM's route) and DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT, run_cli
from tests.test_sweeps import SMALL, compose_sweep


@pytest.mark.slow
def test_submitit_local_launcher_runs_the_jobs_of_a_sweep(tmp_path, cache_dir):
    """Hydra's submitit launcher (the SLURM route) with its local executor: jobs run in child processes."""
    sweep = tmp_path / "sweep"
    args = [
        "-m",
        "+sweep=mix_ratio",
        *SMALL,
        "mix=30_70",
        "seed=0",
        f"hydra.sweep.dir={sweep}",
        "hydra/launcher=submitit_local",
        "hydra.launcher.timeout_min=10",
    ]
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(p.read_text()) for p in sorted(sweep.glob("*/results.json"))]
    assert [r["status"] for r in records] == ["complete"]
    assert list((sweep / ".submitit").glob("*/*_result.pkl"))  # the jobs went through submitit


def test_slurm_launcher_config_composes():
    cfg = compose_sweep("mix_ratio", ["hydra/launcher=slurm"])
    assert cfg.hydra.launcher._target_.endswith("SlurmLauncher")
    assert cfg.hydra.launcher.gpus_per_node == 1 and cfg.hydra.launcher.max_num_timeout == 2


@pytest.mark.slow
def test_two_processes_train_one_run_with_ddp(tmp_path, cache_dir):
    """What `accelerate launch --multi_gpu -m sft_ablate` does on GPUs, here as two CPU processes (gloo)."""
    run_dir = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "-m",
            "sft_ablate",
            *SMALL,
            f"hydra.run.dir={run_dir}",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert log.count("sft_ablate.data.prepare][INFO] - data:") == 2  # both processes ran the recipe
    results = json.loads((run_dir / "results.json").read_text())
    assert results["status"] == "complete" and results["train"]["steps"] == 2


def test_slurm_cpu_launcher_config_composes():
    cfg = compose_sweep("mix_ratio", ["hydra/launcher=slurm_cpu", "hydra.launcher.partition=cpu"])
    assert cfg.hydra.launcher._target_.endswith("SlurmLauncher")
    assert cfg.hydra.launcher.gpus_per_node == 0 and cfg.hydra.launcher.partition == "cpu"
    assert cfg.hydra.launcher.max_num_timeout == 2 and cfg.hydra.launcher.signal_delay_s == 120
