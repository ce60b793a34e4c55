"""GPU check (bench/gpu_check.sh): the default run with train=gpu (bf16, bfd packing) and plain TRL side by side.

For each model (SmolLM2-135M; Qwen2.5-0.5B when its weights load offline): one sft-ablate run and one run of
bench/plain_sft.py --gpu with the same budget and steps, tokens/s of each, and MFU = 6 x params x tokens/s over
the GPU's dense bf16 peak. `--dry-run` does the same on CPU with model=tiny and a few steps (bf16 off), so the
script is tested where no GPU is lent; its MFU column then says n/a.
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

from bench.common import append_benchmarks, print_table

ROOT = Path(__file__).resolve().parents[1]
# Dense bf16 tensor-core peaks from the vendors' data sheets (no sparsity), TFLOP/s.
BF16_PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10G": 70.0, "A10": 125.0}


def gpu_name() -> str | None:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True)
    except FileNotFoundError:
        return None
    return out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None


def peak_flops(name: str | None) -> float | None:
    for key, tflops in BF16_PEAK_TFLOPS.items():  # A100 is listed before A10, so an A100 never reads as an A10
        if name and key in name:
            return tflops * 1e12
    return None


def run(args: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(args)}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def check(model: str, budget: int, steps: int, dry_run: bool, work: Path, peak: float | None) -> list[tuple]:
    device = ["train.device=cpu", "train.packing=true", "train.group_by_length=false"] if dry_run else ["train=gpu"]
    overrides = [f"model={model}", *device, f"data.budget={budget}", f"train.max_steps={steps}", "tracking=none"]
    overrides += ["arena=none", "eval.benchmarks=[]", "train.save_final_model=false", f"hydra.run.dir={work / model}"]
    wall = run(["-m", "sft_ablate", *overrides])
    results = json.loads((work / model / "results.json").read_text())
    ours_tps, params = results["train"]["tokens_per_second"], results["model"]["params"]
    plain_args = ["-m", "bench.plain_sft", f"--model-dir={results['model']['base']}", "--synthetic-fraction=0.5"]
    plain_args += [f"--budget={budget}", f"--max-steps={steps}", f"--out={work / ('plain-' + model)}"]
    plain_args += [] if dry_run else ["--gpu"]
    plain_args += ["--lora"] if results["model"]["trainable_params"] < params else []
    run(plain_args)
    plain_tps = json.loads((work / f"plain-{model}" / "result.json").read_text())["tokens_per_second"]

    def mfu(tps: float) -> str:
        return f"{6 * params * tps / peak:.1%}" if peak else "n/a (no GPU)"

    return [
        (f"{model}: sft-ablate, train=gpu", f"{ours_tps:,.0f} tokens/s", f"MFU {mfu(ours_tps)}; run {wall:.0f} s", ""),
        (f"{model}: plain TRL (bench/plain_sft.py --gpu)", f"{plain_tps:,.0f} tokens/s", f"MFU {mfu(plain_tps)}", ""),
        (f"{model}: ratio ours / plain TRL", f"{ours_tps / plain_tps:.2f}x", f"{params / 1e6:.0f}M params", ">= 0.97x"),
    ]


def qwen_available() -> bool:
    """Qwen2.5-0.5B only when its weights load with no network (a local dir or a populated HF cache)."""
    code = "import sys; from transformers import AutoConfig; AutoConfig.from_pretrained(sys.argv[1])"
    from sft_ablate.launch.hydra_setup import compose_config

    path = compose_config(["model=qwen2_5_0_5b"]).model.path
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, path], env=env, capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="on CPU, model=tiny, a few steps: tests the script")
    parser.add_argument("--budget", type=int, default=512)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    name = gpu_name()
    if not args.dry_run and name is None:
        sys.exit("no GPU found (nvidia-smi); run bench/gpu_check.sh --dry-run to test the script on CPU")
    budget, steps = (32, 3) if args.dry_run else (args.budget, args.steps)
    models = ["tiny"] if args.dry_run else ["smollm2_135m", *(["qwen2_5_0_5b"] if qwen_available() else [])]
    rows: list[tuple] = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            rows += check(model, budget, steps, args.dry_run, Path(tmp), peak_flops(name))
    title = f"GPU check ({name or 'dry run on CPU'})"
    print_table(title, ["measure", "value", "detail", "goal"], rows)
    if not args.dry_run:
        append_benchmarks(title, ["measure", "value", "detail", "goal"], rows)


if __name__ == "__main__":
    main()
