"""Sweeps through a real one-node SLURM cluster (tests/slurm_cluster.py): jobs go through sbatch, every run
completes and the report builds; a job that reaches its time limit is requeued and resumes from its checkpoint."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, missing_here
from tests.slurm_cluster import PARTITION, ClusterDidNotStart, missing_requirements, slurm_cluster
from tests.test_optuna_sweeper import wait_for
from tests.test_sweeps import SMALL

# Errors that mean the kernel or the sandbox withholds what the daemons need: the one excuse under CI=true.
KERNEL_CAPABILITY = ("Operation not permitted", "cgroup", "capabilit")


@pytest.fixture(scope="module")
def slurm():
    reason = missing_requirements()
    if reason:
        missing_here(f"{reason} (.ci/run installs it)")
    with ExitStack() as stack:
        try:
            cluster = stack.enter_context(slurm_cluster())
        except ClusterDidNotStart as err:
            if any(word in str(err) for word in KERNEL_CAPABILITY):
                pytest.skip(f"the SLURM daemons cannot run here: {err}")
            missing_here(f"the SLURM daemons did not start: {err}")
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


def run_watching_the_queue(args: list[str], cwd: Path, cluster) -> tuple[subprocess.CompletedProcess, set[str]]:
    """`python -m sft_ablate ARGS`, and the job ids `squeue` showed while it ran."""
    env = {**cluster.env, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "sft_ablate", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        seen: set[str] = set()
        deadline = time.time() + 900
        while proc.poll() is None and time.time() < deadline:
            seen |= set(cluster.run("squeue", "-h", "-o", "%i").split())
            time.sleep(2)
        if proc.poll() is None:
            proc.kill()
        stdout, stderr = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), seen


def submitted_jobs(sweep: Path) -> list[str]:
    """SLURM job ids, from submitit's folders: one per job (`7`), or per task of a job array (`7_0`, `7_1`)."""
    return sorted(p.name for p in (sweep / ".submitit").iterdir() if p.is_dir() and any(p.glob("*_submitted.pkl")))


def completed_jobs(cluster, count: int, job: str | None = None) -> list[str]:
    """The job completion log's lines of our jobs (of one job id, if given), once count of them are COMPLETED:
    slurmctld writes a job's line as it ends, which can be a moment after submitit has read its result."""
    deadline = time.time() + 60
    while True:
        lines = [line for line in cluster.accounting().splitlines() if " sft_ablate " in line]
        lines = [line for line in lines if job is None or line.split()[0] == job]
        if len([line for line in lines if "COMPLETED" in line]) >= count or time.time() > deadline:
            return lines
        time.sleep(1)


def task_pids(cluster, job: str) -> list[int]:
    """The pids of a job's submitit task (the Python process that trains), from `scontrol listpids`."""
    pids = [int(line.split()[0]) for line in cluster.run("scontrol", "listpids", job).splitlines()[1:] if line.split()]
    tasks = [pid for pid in pids if b"submitit.core._submit" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert tasks, f"no submitit task among job {job}'s pids {pids}"
    return tasks


def pending(pid: int, signum: int) -> bool:
    """Whether signum waits, undelivered, on process pid (a stopped process keeps what it is sent pending)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:  # the process has ended
        return False
    masks = [int(line.split()[1], 16) for line in status.splitlines() if line.startswith(("SigPnd:", "ShdPnd:"))]
    return any(mask & (1 << (signum - 1)) for mask in masks)


@pytest.mark.slow
def test_a_grid_sweep_runs_its_jobs_through_sbatch(slurm, tmp_path, cache_dir):
    sweep = tmp_path / "sweep"
    args = ["-m", "+sweep=mix_ratio", *SMALL, "seed=0", "data.budget=32", *launcher(), f"hydra.sweep.dir={sweep}"]
    proc, queued = run_watching_the_queue(args, tmp_path, slurm)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = {p.parent.name: json.loads(p.read_text()) for p in sweep.glob("*/results.json")}
    assert sorted(records) == ["30_70_s0", "50_50_s0", "70_30_s0"]
    assert all(r["status"] == "complete" for r in records.values())

    # SLURM ran them: squeue showed the tasks of one job array (submitit's folders are named by them), and
    # the job completion log (sacct -c) has them COMPLETED.
    tasks = set(submitted_jobs(sweep))
    assert len(tasks) == 3 and tasks <= queued, (tasks, queued)
    lines = completed_jobs(slurm, 3)
    print("\nsqueue saw: " + " ".join(sorted(queued)) + "\nsacct -c:\n" + "\n".join(lines))
    assert len([line for line in lines if "COMPLETED" in line]) == 3, lines

    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    report = subprocess.run([sys.executable, "-m", "sft_ablate.report", str(sweep)], env=env, capture_output=True, text=True)
    assert report.returncode == 0, report.stderr[-3000:]
    assert "50_50" in (sweep / "report" / "report.md").read_text()


@pytest.mark.slow
def test_a_job_past_its_time_limit_is_requeued_and_resumes_from_its_checkpoint(slurm, tmp_path, cache_dir):
    """Once training has written a checkpoint, the job's task is paused (SIGSTOP: a stalled node, and a run that
    cannot finish first however fast this machine trains) and its time limit is cut to two minutes past its
    elapsed time. SLURM sends SIGUSR2 signal_delay_s before the limit; once that signal is pending on the paused
    task, it is resumed, and submitit requeues the job, which runs the same run dir again: training resumes from
    its last checkpoint. The requeued job gets its old limit back, so that it can finish however slow the machine."""
    sweep = tmp_path / "sweep"
    args = [
        "-m",
        "+sweep=mix_ratio",
        *SMALL,
        "mix=50_50",
        "seed=0",
        "data.budget=32",
        "train.max_steps=150",
        "train.save_steps=5",
        *launcher(timeout_min=20),
        "hydra.launcher.signal_delay_s=60",
        "hydra.launcher.max_num_timeout=2",
        f"hydra.sweep.dir={sweep}",
    ]
    env = {**slurm.env, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "sft_ablate", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:

        def checkpointed() -> bool:
            assert proc.poll() is None, proc.stdout.read()[-3000:]
            return any((sweep / "50_50_s0" / "checkpoints").glob("checkpoint-*"))

        wait_for(checkpointed, 600, "the run to write its first checkpoint")
        [job] = submitted_jobs(sweep)
        tasks = task_pids(slurm, job)
        for pid in tasks:
            os.kill(pid, signal.SIGSTOP)
        elapsed = slurm.run("squeue", "-h", "-j", job, "-o", "%M").strip()  # [H:]MM:SS
        minutes = sum(int(x) * 60**i for i, x in enumerate(reversed(elapsed.split(":")))) // 60
        slurm.run("scontrol", "update", f"JobId={job}", f"TimeLimit={minutes + 2}")

        def requeued() -> bool:
            return any("Requeued job" in p.read_text(errors="replace") for p in (sweep / ".submitit" / job).glob("*_log.*"))

        # This slurmstepd sends SIGCONT after the signal itself, so the task may handle it (and be gone) at once.
        wait_for(lambda: requeued() or any(pending(pid, signal.SIGUSR2) for pid in tasks), 180, "SLURM's SIGUSR2")
        for pid in tasks:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        wait_for(requeued, 300, "submitit to requeue the job")
        slurm.run("scontrol", "update", f"JobId={job}", "TimeLimit=20")
        output, _ = proc.communicate(timeout=1200)
    assert proc.returncode == 0, output[-3000:]
    results = json.loads((sweep / "50_50_s0" / "results.json").read_text())
    assert results["status"] == "complete", results.get("error")
    assert "checkpoint-" in (results["train"]["resumed_from"] or "")
    assert results["train"]["steps"] == 150
    # The job completion log has the job twice: requeued (back to PENDING), then COMPLETED.
    lines = completed_jobs(slurm, 1, job=job)
    print(f"\njob {job}, limit cut to {minutes + 2} min at {elapsed} elapsed\nsacct -c:\n" + "\n".join(lines))
    assert [line.split()[3] for line in lines] == ["PENDING", "COMPLETED"], lines
