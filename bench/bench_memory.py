"""Peak resident memory of training: sft-ablate's training stage vs a plain TRL script on the same settings.

The default run's settings (SmolLM2-135M, LoRA r8, 8 rows a step, max_length 384, budget 128), each side in a
fresh process so that its peak (`ru_maxrss`) is its own: our training stage as it is by default (`train.lean_loss`:
the loss from hidden states in token chunks, no full-vocabulary entropy pass; 2 micro-batches of 4 rows), the same
stage as it was before (TRL's own loss, one batch of 8), and `bench/plain_sft.py --lora` (batch 8). Runs alternate
so that load from other processes hits every side alike. Prints peak RSS and training tokens/s, and the ratios;
appends them to BENCHMARKS.md.

    python -m bench.bench_memory --steps 4          # 4 optimizer steps per side (the longest batches come first)
    python -m bench.bench_memory --steps -1         # a whole epoch, as the default run trains
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import THREADS, append_benchmarks, print_table

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child_ours(steps: int, lean: bool, out: Path, extra: list[str]) -> None:
    """One training stage, as run.py builds it, in this process (the parent reads our peak from the JSON)."""
    import torch

    from sft_ablate.data.prepare import prepare_data
    from sft_ablate.data.tokenization import tokenize_examples
    from sft_ablate.launch.hydra_setup import compose_config
    from sft_ablate.run import data_stage_inputs
    from sft_ablate.training.models import base_model_dir, load_model
    from sft_ablate.training.trainer import build_trainer, train

    torch.set_num_threads(THREADS)
    overrides = ["tracking=none", "arena=none", f"train.threads={THREADS}", f"train.max_steps={steps}", "train.save_steps=100000"]
    # before: TRL's loss over one batch of 8 (what runs did before lean_loss and the 4 x 2 micro-batches)
    before = [] if lean else ["train.lean_loss=false", "train.batch_size=8", "train.grad_accum=1"]
    config = compose_config([*overrides, *before, *extra])
    cache_dir = Path(config.paths.cache_dir).expanduser()
    data = prepare_data(data_stage_inputs(config))
    pool_texts = [m["content"] for s in data.pool.values() for e in s.examples for m in e.messages]
    model_dir = base_model_dir(config.model, cache_dir, pool_texts)
    from transformers import set_seed

    set_seed(config.seed)
    loaded = load_model(config.model, config.lora, model_dir, "cpu")
    split = tokenize_examples(
        data.train, loaded.tokenizer, config.train.max_length, cache_dir, "train", data.report["train_hash"]
    )
    before = peak_rss_mb()
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = build_trainer(loaded, split.dataset, config.train, config.seed, Path(run_dir), [])
        result = train(trainer, Path(run_dir))
    out.write_text(
        json.dumps(
            {
                "peak_rss_mb": peak_rss_mb(),
                "peak_rss_before_train_mb": before,
                "tokens_per_second": result.tokens_per_second,
                "train_loss": result.train_loss,
                "steps": result.steps,
            }
        )
    )


def run_side(side: str, steps: int, model_dir: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        if side == "plain":
            command = [sys.executable, "-m", "bench.plain_sft", "--model-dir", model_dir, "--lora", "--synthetic-fraction", "0.5"]
            command += ["--budget", "128", "--max-steps", str(steps), "--threads", str(THREADS), "--no-eval", "--out", tmp]
        else:
            command = [sys.executable, "-m", "bench.bench_memory", "--child", side, "--steps", str(steps), "--result", str(out)]
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        return json.loads(out.read_text())


def smollm2_dir() -> str:
    from sft_ablate.launch.hydra_setup import compose_config
    from sft_ablate.training.models import base_model_dir

    config = compose_config(["tracking=none"])
    return str(base_model_dir(config.model, Path(config.paths.cache_dir).expanduser(), []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps per side; -1: a whole epoch")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--child", choices=["lean", "before"], help=argparse.SUPPRESS)
    parser.add_argument("--override", action="append", default=[], help="a config override for our sides")
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_ours(args.steps, args.child == "lean", args.result, args.override)
        return

    model_dir = smollm2_dir()
    sides = ["lean", "before", "plain"]
    runs: dict[str, list[dict]] = {s: [] for s in sides}
    loads = []
    for repeat in range(args.repeats):
        for side in sides if repeat % 2 == 0 else sides[::-1]:
            runs[side].append(run_side(side, args.steps, model_dir))
            loads.append(os.getloadavg()[0])
            print(side, runs[side][-1], f"load {loads[-1]:.1f}", flush=True)
    peak = {s: min(r["peak_rss_mb"] for r in runs[s]) for s in sides}
    tps = {s: max(r["tokens_per_second"] for r in runs[s]) for s in sides}
    load = f"load {min(loads):.1f}-{max(loads):.1f}"
    steps = "whole epoch" if args.steps < 0 else f"{args.steps} steps"
    label = {
        "lean": "sft-ablate default (lean_loss, 2 micro-batches of 4)",
        "before": "sft-ablate before (TRL's loss, one batch of 8)",
    }
    label["plain"] = "plain TRL script (bench/plain_sft.py --lora)"
    rows = [(f"{label[s]}: peak RSS", f"{peak[s]:,.0f} MB", f"{tps[s]:,.0f} tokens/s; {steps}", "", load) for s in sides]
    rows += [
        ("peak RSS: default / plain TRL", f"{peak['lean'] / peak['plain']:.2f}x", "", "<= 0.5x", load),
        ("peak RSS: before / plain TRL", f"{peak['before'] / peak['plain']:.2f}x", "", "", load),
        ("peak RSS: default / before", f"{peak['lean'] / peak['before']:.2f}x", "", "", load),
        ("training tokens/s: default / before", f"{tps['lean'] / tps['before']:.2f}x", "", ">= 1.0x", load),
        ("training tokens/s: default / plain TRL", f"{tps['lean'] / tps['plain']:.2f}x", "", "", load),
    ]
    columns = ["measure", "value", "detail", "goal", "load average"]
    title = (
        f"Training memory, SmolLM2-135M LoRA r8, 8 rows a step, max_length 384, {THREADS} thread(s) ({time.strftime('%H:%M')})"
    )
    print_table(title, columns, rows)
    append_benchmarks("Training memory (bench_memory)", columns, rows)


if __name__ == "__main__":
    main()
