"""Synthetic-data throughput: accepted rows per minute and the share of truncated candidates, the default synth
config against the defaults it replaced (48-token answers, the second sampling at temperature 1.0, every cut-off
answer rejected: now 96 tokens, T=0.9 with top-k, a cut-off answer kept to its last full sentence).

Both sides run `python -m sft_ablate.synth` at the same time (so the machine's load hits both alike), each with its
own empty answer cache (the converted model is shared), for the same small number of rounds; the figures come from
each run's results.json. Prints both and the ratio; appends them to BENCHMARKS.md.

    python -m bench.bench_synth --rounds 1 --prompts 8
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import THREADS, append_benchmarks, print_table
from sft_ablate.paths import default_cache_dir

ROOT = Path(__file__).resolve().parents[1]
# The samplings of the default config before issue 27: 83% of candidates ran into the 48-token limit.
BEFORE = [
    "synth.trim_to_sentence=false",
    "synth.samplings=[{max_new_tokens:48,temperature:0.7,top_p:0.9,top_k:50,seed:1},"
    "{max_new_tokens:48,temperature:1.0,top_p:0.95,top_k:0,seed:2}]",
]


def start(side: str, overrides: list[str], rounds: int, prompts: int, tmp: Path) -> tuple[subprocess.Popen, Path]:
    cache = tmp / f"cache_{side}"
    cache.mkdir()
    (cache / "models").symlink_to(default_cache_dir() / "models")  # the converted model, not the answers
    run_dir = tmp / f"run_{side}"
    command = [sys.executable, "-m", "sft_ablate.synth", f"hydra.run.dir={run_dir}", f"synth.threads={THREADS}"]
    command += [f"synth.max_rounds={rounds}", f"synth.prompts_per_round={prompts}", "synth.target_rows=1000", *overrides]
    env = {**os.environ, "SFT_ABLATE_CACHE": str(cache)}
    log = (tmp / f"{side}.log").open("w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), run_dir


def figures(run_dir: Path) -> dict:
    results = json.loads((run_dir / "results.json").read_text())
    synth, counts = results["synth"], results["synth"]["counts"]
    candidates = counts.get("candidates", 0)
    return {
        "rows": synth["rows"],
        "candidates": candidates,
        "truncated": counts.get("candidate_rejected_truncated", 0),
        "seconds": synth["wall_seconds"],
        "rows_per_minute": 60 * synth["rows"] / synth["wall_seconds"],
        "timings": results.get("timings", {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--prompts", type=int, default=8, help="instruction prompts per round")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_synth_"))
    loads = [os.getloadavg()[0]]
    try:
        procs = {side: start(side, o, args.rounds, args.prompts, tmp) for side, o in [("before", BEFORE), ("default", [])]}
        for proc, _ in procs.values():
            proc.wait()
        loads.append(os.getloadavg()[0])
        got = {side: figures(run_dir) for side, (_, run_dir) in procs.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = f"load {min(loads):.1f}-{max(loads):.1f}"
    rows = []
    for side, f in got.items():
        label = "default synth config" if side == "default" else "before: 48 tokens, T=1.0, cut-offs rejected"
        share = f["truncated"] / max(f["candidates"], 1)
        stages = ", ".join(f"{k} {v:.0f} s" for k, v in f["timings"].items())
        rows.append(
            (
                f"{label}: accepted rows/min",
                f"{f['rows_per_minute']:.2f}",
                f"{f['rows']} rows in {f['seconds']:.0f} s; {stages}",
                load,
            )
        )
        rows.append((f"{label}: truncated candidates", f"{share:.0%}", f"{f['truncated']} of {f['candidates']}", load))
    ratio = got["default"]["rows_per_minute"] / max(got["before"]["rows_per_minute"], 1e-9)
    rows.append(
        ("accepted rows/min: default / before", f"{ratio:.2f}x", f"{args.rounds} round(s) of {args.prompts} prompts", load)
    )
    title = f"Synth throughput, SmolLM2-135M generator and judge, {THREADS} thread(s) each ({time.strftime('%H:%M')})"
    columns = ["measure", "value", "detail", "load average"]
    print_table(title, columns, rows)
    append_benchmarks("Synth throughput (bench_synth)", columns, rows)


if __name__ == "__main__":
    main()
