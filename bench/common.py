"""Shared by the bench scripts: machine details, a console table, and appending to BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

BENCHMARKS_MD = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
# torch threads for every benchmark (BENCH_THREADS; default 1). On a machine whose cores other jobs also use, two
# OpenMP threads spin against them: measured here at load ~7 on 2 cores, SmolLM2-135M generated 7x slower with 2
# threads than with 1. One thread gives figures that mean something; on a quiet machine, set it to the cores.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))


def set_threads() -> int:
    torch.set_num_threads(THREADS)
    return THREADS


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu}, {os.cpu_count()} cores (load average {load:.1f} at the end), torch {torch.__version__} with "
        f"{torch.get_num_threads()} threads, Python {platform.python_version()}"
    )


def print_table(title: str, columns: list[str], rows: list[tuple]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[str(v) for v in row])
    Console().print(table)


def append_benchmarks(title: str, columns: list[str], rows: list[tuple]) -> None:
    lines = [
        f"\n## {title} ({time.strftime('%Y-%m-%d %H:%M')})\n",
        f"Machine: {machine()}\n",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    if not BENCHMARKS_MD.exists():
        BENCHMARKS_MD.write_text("# Benchmarks\n\nAppended by `make bench` (scripts in bench/); newest last.\n")
    with BENCHMARKS_MD.open("a") as f:
        f.write("\n".join(lines) + "\n")
