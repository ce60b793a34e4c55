"""How many cores a run may use now: the CPUs this process may run on (its affinity, a cgroup's CPU quota in a
container or a SLURM job), less the cores other processes keep busy at this moment.

Why not the load average: it lags by minutes. Right after `pip install` or another run, an idle 2-core machine
still shows a load of 1, and a run that trusted it trained on 1 thread at half speed (issue 27). A short sample of
/proc/stat sees what is busy now.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_SECONDS = 0.3


@dataclass(frozen=True)
class Cores:
    usable: int  # what this process may run on: affinity, capped by a CPU quota
    busy: float  # cores other processes kept busy during the sample (nan: no /proc/stat)
    idle: int  # usable less busy, at least 1
    why: str


def cpu_quota(cgroup: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The cgroup's CPU limit in cores (v2 cpu.max, or v1 cfs quota / period); None when unlimited or unknown."""
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((cgroup / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((cgroup / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def cpu_times(stat: Path = Path("/proc/stat")) -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs since boot; None where there is no /proc/stat."""
    try:
        fields = [int(v) for v in stat.read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def busy_cores(seconds: float = SAMPLE_SECONDS) -> float:
    """Cores kept busy by everything on the machine over a short sample (this process is asleep meanwhile)."""
    before = cpu_times()
    time.sleep(seconds)
    after = cpu_times()
    if before is None or after is None or after[1] <= before[1]:
        return math.nan
    return (after[0] - before[0]) / (after[1] - before[1]) * (os.cpu_count() or 1)


def idle_cores() -> Cores:
    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = cpu_quota()
    usable = max(1, min(allowed, math.floor(quota + 0.01))) if quota else allowed
    limit = f"{allowed} allowed" + (f", CPU quota {quota:g}" if quota else "")
    busy = busy_cores()
    if math.isnan(busy):
        return Cores(usable, busy, usable, f"{limit}; no /proc/stat to see what is busy")
    # The machine's other work may run on our CPUs: count it against them, but never below one thread.
    idle = max(1, min(usable, round((os.cpu_count() or usable) - busy)))
    return Cores(usable, busy, idle, f"{limit}, {busy:.1f} busy now")
