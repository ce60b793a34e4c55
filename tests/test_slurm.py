"""Sweeps through a real one-node SLURM cluster (tests/slurm_cluster.py): jobs go through sbatch, every run
completes and the report builds; a job that reaches its time limit is requeued and resumes from its checkpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import ExitStack

import pytest

from tests.conftest import PROJECT_ROOT, run_cli
from tests.slurm_cluster import PARTITION, ClusterDidNotStart, missing_requirements, slurm_cluster
from tests.test_sweeps import SMALL

# Errors that mean the kernel or the sandbox withholds what the daemons need: the one excuse under CI=true.
KERNEL_CAPABILITY = ("Operation not permitted", "cgroup", "capabilit")


@pytest.fixture(scope="module")
def slurm():
    reason = missing_requirements()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason} (.ci/run installs it)")
        pytest.skip(reason)
    with ExitStack() as stack:
        try:
            cluster = stack.enter_context(slurm_cluster())
        except ClusterDidNotStart as err:
            if os.environ.get("CI") == "true" and not any(word in str(err) for word in KERNEL_CAPABILITY):
                pytest.fail(f"CI=true but the SLURM daemons did not start: {err}")
            pytest.skip(f"the SLURM daemons cannot run here: {err}")
        yield cluster


def launcher(timeout_min: int = 10) -> list[str]:
    return [
        "hydra/launcher=slurm_cpu",
        f"hydra.launcher.partition={PARTITION}",
        "hydra.launcher.gpus_per_node=0",
        "hydra.launcher.cpus_per_task=1",
        "hydra.launcher.mem_gb=1",
        f"hydra.launcher.timeout_min={timeout_min}",
        "train.threads=1",
        "arena=none",
    ]


@pytest.mark.slow
def test_a_grid_sweep_runs_its_jobs_through_sbatch(slurm, tmp_path, cache_dir):
    sweep = tmp_path / "sweep"
    args = ["-m", "+sweep=mix_ratio", *SMALL, "seed=0", "data.budget=32", *launcher(), f"hydra.sweep.dir={sweep}"]
    proc = run_cli(args, cwd=tmp_path, env=slurm.env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = {p.parent.name: json.loads(p.read_text()) for p in sweep.glob("*/results.json")}
    assert sorted(records) == ["30_70_s0", "50_50_s0", "70_30_s0"]
    assert all(r["status"] == "complete" for r in records.values())

    # SLURM ran them: one job array of three tasks, each COMPLETED in the job completion log.
    accounting = slurm.accounting()
    print("\n" + accounting)
    job_lines = [line for line in accounting.splitlines() if "sft_ablate" in line or "__main__" in line]
    assert len([line for line in job_lines if "COMPLETED" in line]) == 3, accounting
    array_ids = {line.split()[0].split("_")[0] for line in job_lines}
    submitted = {p.name.split("_")[0] for p in (sweep / ".submitit").iterdir() if p.is_dir()}
    assert array_ids == submitted, (array_ids, submitted)

    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    report = subprocess.run([sys.executable, "-m", "sft_ablate.report", str(sweep)], env=env, capture_output=True, text=True)
    assert report.returncode == 0, report.stderr[-3000:]
    assert "50_50" in (sweep / "report" / "report.md").read_text()


@pytest.mark.slow
def test_a_job_past_its_time_limit_is_requeued_and_resumes_from_its_checkpoint(slurm, tmp_path, cache_dir):
    """A 1-minute limit; SIGUSR2 comes 40 s before it (SLURM checks limits every ~30 s, so 10-40 s in), when
    training (600 steps, a checkpoint every 20) is far from done. submitit requeues the job, which runs the
    same run dir again: training resumes from the last checkpoint."""
    sweep = tmp_path / "sweep"
    args = [
        "-m",
        "+sweep=mix_ratio",
        *SMALL,
        "mix=50_50",
        "seed=0",
        "data.budget=32",
        "train.max_steps=600",
        "train.save_steps=20",
        *launcher(timeout_min=1),
        "hydra.launcher.signal_delay_s=40",
        "hydra.launcher.max_num_timeout=6",
        f"hydra.sweep.dir={sweep}",
    ]
    proc = run_cli(args, cwd=tmp_path, env=slurm.env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((sweep / "50_50_s0" / "results.json").read_text())
    assert results["status"] == "complete", results.get("error")
    assert "checkpoint-" in (results["train"]["resumed_from"] or "")
    accounting = slurm.accounting()
    print("\n" + accounting)
    assert "REQUEUE" in accounting or "TIMEOUT" in accounting or "PREEMPT" in accounting, accounting
    logs = "\n".join(p.read_text(errors="replace") for p in (sweep / ".submitit").rglob("*_log.*"))
    assert "Requeued" in logs or "requeue" in logs.lower(), logs[-3000:]
