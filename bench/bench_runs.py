"""Whole runs through the CLI: the data-stage cache, and end-to-end wall time with a per-stage breakdown.

- Data-stage cache (goal <= 5%): the same `model=tiny` command twice on an empty cache dir; the data and tokenize
  stages of the second run (from its results.json timings) against those of the first.
- End to end (report): the wall time of a `model=tiny` run and, with --default, of the embedded default run
  (`python -m sft_ablate`: SmolLM2-135M + LoRA, several minutes on 2 cores), each with its stages from
  results.json. The tiny run on a warm cache, as a user's second run of a study would be; the default run once,
  on the cache as found (~/.cache/sft-ablate: the converted SmolLM2 is reused, as after `make demo`).
  Every run gets train.threads=BENCH_THREADS (see bench/common.py).

Prints tables and appends them to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import THREADS, append_benchmarks, print_table, set_threads

ROOT = Path(__file__).resolve().parents[1]
TINY = ["model=tiny", "tracking=none"]


def run(args: list[str], run_dir: Path, cache_dir: Path | None = None) -> tuple[float, dict]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if cache_dir is not None:
        env["SFT_ABLATE_CACHE"] = str(cache_dir)
    start = time.perf_counter()
    command = [sys.executable, "-m", "sft_ablate", *args, f"train.threads={THREADS}", f"hydra.run.dir={run_dir}"]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, json.loads((run_dir / "results.json").read_text())


def data_seconds(results: dict) -> float:
    return results["timings"]["data"] + results["timings"]["tokenize"]


def data_cache(work: Path) -> list[tuple]:
    cache = work / "cache"
    args = [*TINY, "train.max_steps=1", "eval.base_model=false", "eval.num_generations=1", "train.save_final_model=false"]
    _, first = run(args, work / "first", cache)
    _, second = run(args, work / "second", cache)
    ratio = data_seconds(second) / data_seconds(first)
    t1, t2 = first["timings"], second["timings"]
    return [
        (
            "first run, empty cache: data + tokenize",
            f"{data_seconds(first):.2f} s",
            f"data {t1['data']:.2f} s, tokenize {t1['tokenize']:.2f} s",
            "",
            "",
        ),
        (
            "second run, unchanged mixture: data + tokenize",
            f"{data_seconds(second):.2f} s",
            f"data {t2['data']:.2f} s, tokenize {t2['tokenize']:.2f} s",
            "",
            "",
        ),
        ("ratio second / first", f"{100 * ratio:.1f}%", "", "<= 5%", "met" if ratio <= 0.05 else "MISSED"),
    ]


def end_to_end(label: str, args: list[str], run_dir: Path, warm_up: bool) -> list[tuple]:
    if warm_up:  # fill the shared cache (tiny model, tokenized rows, base-model scores) first
        run(args, run_dir.with_name(run_dir.name + "-cold"))
    wall, results = run(args, run_dir)
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in results["timings"].items() if k != "total")
    stages += f"; outside the stages (start-up, imports, W&B): {wall - results['timings']['total']:.1f} s"
    cache = "warm cache" if warm_up else "the user's cache as found"
    return [(f"{label}: wall time ({cache})", f"{wall:.1f} s", stages, "report", "")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--default", action="store_true", help="also time the default run (SmolLM2-135M, minutes)")
    args = parser.parse_args()
    set_threads()  # the runs get train.threads=THREADS; this makes the machine line say so
    columns = ["measure", "value", "detail", "goal", "status"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rows = data_cache(work)
        print_table("Data-stage cache", columns, rows)
        append_benchmarks("Data-stage cache", columns, rows)
        rows = end_to_end("model=tiny run", TINY, work / "tiny", warm_up=True)
        if args.default:  # one run only: two would take most of ten minutes on 2 cores
            rows += end_to_end("default run (SmolLM2-135M + LoRA r8, W&B offline)", [], work / "default", warm_up=False)
        print_table("End to end", columns, rows)
        append_benchmarks("End to end", columns, rows)


if __name__ == "__main__":
    main()
