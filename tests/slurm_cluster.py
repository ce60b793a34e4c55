"""A one-node SLURM cluster for tests: munged, slurmctld and slurmd on this machine, torn down after.

This machine is both the controller and the one compute node, in a CPU partition `cpu`. Everything lives in
a temp dir (its own slurm.conf, munge key and socket, ports chosen free), so a cluster of the machine's own,
if any, is not touched: commands reach this one through SLURM_CONF in `cluster.env`.

No slurmdbd (it needs a MySQL server): job accounting goes to a text file (JobCompType=jobcomp/filetxt),
which `sacct -c` reads. Plain `sacct` says "accounting storage is disabled"; submitit, which polls it, then
falls back on its result files.

Needs Debian's slurm-wlm and munge (.ci/run installs them) and root (slurmd runs jobs as their user).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PARTITION = "cpu"
DAEMONS = ("munged", "slurmctld", "slurmd")
COMMANDS = ("sbatch", "squeue", "sacct", "scontrol", "sinfo")


class ClusterDidNotStart(RuntimeError):
    """A daemon failed to start or the node never became idle; the message holds its log."""


@dataclass(frozen=True)
class SlurmCluster:
    root: Path
    conf: Path
    node: str

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *command: str) -> str:
        return subprocess.run(command, env=self.env, check=True, capture_output=True, text=True, timeout=60).stdout

    def accounting(self) -> str:
        """`sacct -c`: every job that ended (or was requeued), from the job completion log."""
        return self.run("sacct", "-c", "-o", "JobID,JobName%30,Partition,State,ExitCode,Start,End,NodeList")


def missing_requirements() -> str | None:
    missing = [name for name in (*DAEMONS, *COMMANDS) if shutil.which(name) is None and not Path(f"/usr/sbin/{name}").exists()]
    if missing:
        return f"SLURM is not installed (missing {', '.join(missing)}; Debian: apt-get install slurm-wlm munge)"
    if os.geteuid() != 0:
        return "a one-node SLURM cluster needs root (slurmd starts jobs as their user)"
    return None


def _binary(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _memory_mb() -> int:
    total_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return total_kb // 1024 // 2  # under what slurmd measures, or the node is drained for "Low RealMemory"


def slurm_conf(root: Path, node: str, cpus: int, memory_mb: int) -> str:
    return f"""\
ClusterName=sftablate
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: a requeued job may start again this many seconds later (default 120)
AuthInfo=socket={root}/munge.sock,cred_expire=10
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
# No cgroups: plain process tracking, no CPU binding (works in containers)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/jobcomp.txt
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=5
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


@contextmanager
def slurm_cluster() -> Iterator[SlurmCluster]:
    """Start munged, slurmctld and slurmd; wait for the node to be idle; stop them all on exit.

    Raises ClusterDidNotStart with the daemons' own error when they cannot run here.
    """
    root = Path(tempfile.mkdtemp(prefix="sft-ablate-slurm-"))
    root.chmod(0o755)  # munged checks its socket dir; jobs read their scripts from the spool dir
    for sub in ("state", "spool"):
        (root / sub).mkdir()
    node = socket.gethostname().split(".")[0]
    conf = root / "slurm.conf"
    conf.write_text(slurm_conf(root, node, os.cpu_count() or 1, _memory_mb()))
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o600)
    cluster = SlurmCluster(root, conf, node)
    try:
        _start(
            cluster,
            [
                _binary("munged"),
                "--force",  # as root, and with the key in a temp dir
                f"--key-file={key}",
                f"--socket={root}/munge.sock",
                f"--pid-file={root}/munged.pid",
                f"--log-file={root}/munged.log",
                f"--seed-file={root}/munged.seed",
            ],
            root / "munged.log",
        )
        _start(cluster, [_binary("slurmctld"), "-f", str(conf), "-c"], root / "slurmctld.log")
        _start(cluster, [_binary("slurmd"), "-f", str(conf), "-N", node], root / "slurmd.log")
        _wait_until_idle(cluster)
        yield cluster
    finally:
        _stop(cluster)
        shutil.rmtree(root, ignore_errors=True)


def _start(cluster: SlurmCluster, command: list[str], log: Path) -> None:
    proc = subprocess.run(command, env=cluster.env, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise ClusterDidNotStart(
            f"{Path(command[0]).name} exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()} {_tail(log)}"
        )


def _wait_until_idle(cluster: SlurmCluster, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    state = ""
    while time.time() < deadline:
        proc = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], env=cluster.env, capture_output=True, text=True)
        state = (proc.stdout or proc.stderr).strip()
        if state == "idle":
            return
        time.sleep(1)
    raise ClusterDidNotStart(
        f"node {cluster.node} is {state!r}, not idle, after {timeout:.0f} s: "
        f"slurmctld: {_tail(cluster.root / 'slurmctld.log')} slurmd: {_tail(cluster.root / 'slurmd.log')}"
    )


def _stop(cluster: SlurmCluster) -> None:
    """Stop what this fixture started, by the pids in its own pid files."""
    subprocess.run(["scancel", "--full", "--user=root"], env=cluster.env, capture_output=True, timeout=30)
    for name in ("slurmd", "slurmctld", "munged"):
        pid_file = cluster.root / f"{name}.pid"
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text().split()[0])
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            continue
        deadline = time.time() + 15
        while time.time() < deadline and _running(pid):
            time.sleep(0.2)


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"  # a zombie has stopped
    except FileNotFoundError:
        return False


def _tail(log: Path, lines: int = 15) -> str:
    if not log.exists():
        return f"({log.name}: none written)"
    return f"({log.name}: ... " + " | ".join(log.read_text(errors="replace").splitlines()[-lines:]) + ")"
