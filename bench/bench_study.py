"""A whole study, against hand-written scripts; the data stage on a 50k-row source; padding waste; threads.

- Study (goal <= 0.75x): the mix_ratio study (3 mixes x 3 seeds) as one sft-ablate multirun, arena on
  (`python -m sft_ablate -m +sweep=mix_ratio ... tracking=none eval.benchmarks=[]`), against 9 processes of
  bench/plain_sft.py, the script a careful user writes by hand (same sources, hold-out, mix, template,
  assistant-only labels, SFTTrainer settings, held-out scoring). Wall time of each side, per study and per run.
- Data stage (goal <= 30 s cold, diversity=all): a 50,000-row local source built here from the bundled human
  rows with seeded variations, as `human`, mix=50_50, budget 128, on an empty cache; diversity=high beside it.
- Padding (goal >= 1.3x): length-grouped padded batches (the CPU default) vs naive padded batches, non-padding
  tokens/s on the bundled mixed-length rows.
- Threads (report): tiny training tokens/s with 1 thread and with all cores, at this machine's load.
- Default run (goal <= 150 s, with --default): `python -m sft_ablate` wall time and its stages.

    python -m bench.bench_study --quick        # tiny only, small settings: a few minutes on an idle 2-core machine
    python -m bench.bench_study --smollm2 --default
    python -m bench.bench_study --parts data,default   # some parts only (study, data, padding, threads, default)

Prints a table and appends it to BENCHMARKS.md, with the load average next to each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import THREADS, append_benchmarks, print_table

ROOT = Path(__file__).resolve().parents[1]
MIXES = {"30_70": 0.3, "50_50": 0.5, "70_30": 0.7}  # mix name -> synthetic fraction
SEEDS = (0, 1, 2)
PARTS = ("study", "data", "padding", "threads", "default")  # --parts


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def python(args: list[str], cache_dir: Path) -> float:
    """Run `python ARGS` from the repo root with its own cache dir; wall seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SFT_ABLATE_CACHE": str(cache_dir)}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(args)}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


# ---------------------------------------------------------------- the study


def study(model: str, budget: int, steps: int, work: Path) -> list[tuple]:
    """Both sides on one warm cache dir (the converted model and the tiny model exist before either starts).
    Ours runs with the arena on (the default's 24 prompts x 2 seeds, its pool's base answers included), which the
    plain scripts do not have: the ratio counts it against us, and its share of our wall time is reported."""
    cache = work / "cache"
    common = [f"model={model}", f"data.budget={budget}", f"train.threads={THREADS}", "tracking=none"]
    common += ["eval.num_generations=2", "eval.benchmarks=[]", "train.save_final_model=false"]
    # Warm-up: build/convert the base model once, for both sides (a one-time cost neither side pays per study).
    warm = [*common, "arena=none", "train.max_steps=1", "eval.base_model=false", f"hydra.run.dir={work / 'warm'}"]
    python(["-m", "sft_ablate", *warm], cache)
    common.append(f"train.max_steps={steps}")
    model_dir = json.loads((work / "warm" / "results.json").read_text())["model"]["base"]
    config = _composed([f"model={model}"])

    ours = python(["-m", "sft_ablate", "-m", "+sweep=mix_ratio", *common, f"hydra.sweep.dir={work / 'ours'}"], cache)
    results = [json.loads(p.read_text()) for p in sorted((work / "ours").glob("*/results.json"))]
    ours_loss = [r["metrics"]["eval_loss"] for r in results]
    arena = sum(r["timings"].get("arena", 0.0) for r in results)
    plain, plain_loss = 0.0, []
    for mix, fraction in MIXES.items():
        for seed in SEEDS:
            out = work / "plain" / f"{mix}_s{seed}"
            plain += python(
                [
                    "-m",
                    "bench.plain_sft",
                    f"--model-dir={model_dir}",
                    *(["--lora"] if config.lora.enabled else []),
                    f"--synthetic-fraction={fraction}",
                    f"--seed={seed}",
                    f"--budget={budget}",
                    f"--max-steps={steps}",
                    f"--batch-size={config.train.batch_size * config.train.grad_accum}",  # ours: micro-batches, same rows a step
                    f"--learning-rate={config.train.learning_rate}",
                    f"--max-length={config.train.max_length}",
                    f"--threads={THREADS}",
                    f"--out={out}",
                ],
                cache,
            )
            plain_loss.append(json.loads((out / "result.json").read_text())["eval_loss"])
    runs = len(MIXES) * len(SEEDS)
    ratio = ours / plain
    detail = f"budget {budget}, {steps} steps, {len(ours_loss)} runs"
    return [
        (f"{model}: mix_ratio study, sft-ablate multirun with the arena", f"{ours:.1f} s", f"{ours / runs:.1f} s/run; {detail}", "", load()),
        (f"{model}: the arena's share of the study", f"{arena / ours:.0%}", f"{arena:.1f} s of {ours:.1f} s (arena stages)", "", load()),
        (f"{model}: 9 runs of bench/plain_sft.py (no arena)", f"{plain:.1f} s", f"{plain / runs:.1f} s/run; {detail}", "", load()),
        (
            f"{model}: ratio study / plain scripts",
            f"{ratio:.2f}x",
            f"{(ours - arena) / plain:.2f}x without our arena; eval_loss mean {np.mean(ours_loss):.3f} (ours) vs "
            f"{np.mean(plain_loss):.3f} (plain), each on its own held-out rows: not a like-for-like loss",
            "<= 0.75x",
            f"{'met' if ratio <= 0.75 else 'MISSED'}; {load()}",
        ),
    ]  # fmt: skip


def _composed(overrides: list[str]):
    from sft_ablate.launch.hydra_setup import compose_config

    return compose_config(overrides)


# ---------------------------------------------------------------- the data stage on a large source


def large_source(path: Path, rows: int, seed: int = 0) -> Path:
    """`rows` prompt/completion rows from the bundled human rows, each instruction varied (a seeded second
    instruction and a case number), so that most survive near-dedup as a real large pool would."""
    bundled = [json.loads(line)["messages"] for line in (ROOT / "sft_ablate/sample_data/human.jsonl").read_text().splitlines()]
    rng = np.random.default_rng(seed)
    user = [next(m["content"] for m in msgs if m["role"] == "user") for msgs in bundled]
    answer = [msgs[-1]["content"] for msgs in bundled]
    with path.open("w") as f:
        for i in range(rows):
            a, b = rng.integers(len(bundled), size=2)
            f.write(json.dumps({"prompt": f"{user[a]} (Also consider: {user[b]}) Case {i}.", "completion": answer[a]}) + "\n")
    return path


def data_stage(rows: int, work: Path) -> list[tuple]:
    source = large_source(work / "large.jsonl", rows)
    out = []
    for level in ("all", "high"):
        cache = work / f"cache-{level}"
        args = ["-m", "bench.bench_study", "--prepare-only", f"data.sources.human.path={source}", f"diversity={level}"]
        wall = python([*args, f"paths.cache_dir={cache}"], cache)
        report = json.loads((cache / "prepare.json").read_text())
        div = report["diversity"]
        detail = (
            f"data stage {report['seconds']:.1f} s in a {wall:.0f} s process; {div['embedded_rows']} rows embedded "
            f"({div['seconds']:.1f} s) of {div['pool_rows_total']} kept; quality filters {report['filter_seconds']}"
        )
        goal, status = ("<= 30 s", "met" if report["seconds"] <= 30 else "MISSED") if level == "all" else ("report", "")
        out.append(
            (
                f"{rows:,}-row source, budget 128, cold: diversity={level}",
                f"{report['seconds']:.1f} s",
                detail,
                goal,
                f"{status}; {load()}",
            )
        )
    return out


def prepare_only(overrides: list[str]) -> None:
    """Child process of data_stage: the data stage alone, timed per quality filter, written to the cache dir."""
    from sft_ablate.data import quality
    from sft_ablate.data.prepare import prepare_data
    from sft_ablate.run import data_stage_inputs

    filter_seconds: dict[str, float] = {}
    run_filter = quality.run_filter

    def timed(name, *args):
        start = time.perf_counter()
        outcome = run_filter(name, *args)
        filter_seconds[name] = round(time.perf_counter() - start, 1)
        return outcome

    quality.run_filter = timed
    config = _composed(["mix=50_50", "data.budget=128", *overrides])
    import torch

    from sft_ablate.training.trainer import torch_threads

    torch.set_num_threads(torch_threads(config.train.threads))  # as a run sets them before its data stage
    start = time.perf_counter()
    prepared = prepare_data(data_stage_inputs(config))
    seconds = time.perf_counter() - start
    report = {"seconds": seconds, "filter_seconds": filter_seconds, "diversity": prepared.report["diversity"]}
    Path(config.paths.cache_dir, "prepare.json").write_text(json.dumps(report, default=str))


# ---------------------------------------------------------------- padding and threads


def padding(model: str, budget: int, epochs: int = 1) -> list[tuple]:
    from bench.bench_train import ours, setup

    runs: dict[bool, list[float]] = {True: [], False: []}
    # Whole epochs: the length-grouped sampler serves its longest batch first, so a few steps would compare a
    # long-row slice of the data against a random one.
    common = [f"model={model}", "train.max_steps=-1", f"train.epochs={epochs}", f"data.budget={budget}"]
    common += ["train.save_steps=100000", "train.packing=false", "train.batch_size=8"]
    configs = {g: setup([*common, f"train.group_by_length={g}"]) for g in runs}
    for repeat in range(2):
        for grouped in (True, False) if repeat % 2 == 0 else (False, True):
            runs[grouped].append(ours(*configs[grouped])[0])
    ratio = max(runs[True]) / max(runs[False])
    return [
        (f"{model}, batch 8: length-grouped padded batches", f"{max(runs[True]):,.0f} tokens/s", _runs(runs[True]), "", load()),
        (f"{model}, batch 8: naive padded batches", f"{max(runs[False]):,.0f} tokens/s", _runs(runs[False]), "", load()),
        (
            f"{model}: padding ratio grouped / naive",
            f"{ratio:.2f}x",
            "non-padding tokens/s, bundled mixed-length rows",
            ">= 1.3x",
            f"{'met' if ratio >= 1.3 else 'MISSED'}; {load()}",
        ),
    ]


def threads(steps: int) -> list[tuple]:
    import torch

    from bench.bench_train import ours, setup

    config = setup(["model=tiny", f"train.max_steps={steps}", "train.save_steps=100000"])
    out = []
    for n in (1, os.cpu_count() or 1):
        torch.set_num_threads(n)
        out.append((f"tiny training, {n} thread(s)", f"{ours(*config)[0]:,.0f} tokens/s", "", "report", load()))
    torch.set_num_threads(THREADS)
    return out


def _runs(values: list[float]) -> str:
    return "runs: " + ", ".join(f"{v:,.0f}" for v in values)


# ---------------------------------------------------------------- the default run


def default_run(work: Path) -> list[tuple]:
    """The embedded default as a user runs it: once on the user's cache as found (~/.cache/sft-ablate; cold on a
    fresh machine), then again with everything the first run cached (converted model, base scores, base answers)."""
    return [_default_run(work / "default_first", "as found"), _default_run(work / "default_again", "warm")]


def _default_run(run_dir: Path, cache: str) -> tuple:
    # The run takes the cores idle at its start (cores minus the load average): let the bench's own earlier
    # parts leave the load average first, or the run would measure them.
    deadline = time.monotonic() + 180
    while os.getloadavg()[0] > 0.5 and time.monotonic() < deadline:
        time.sleep(10)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "sft_ablate", f"hydra.run.dir={run_dir}"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"the default run failed:\n{proc.stderr[-3000:]}")
    results = json.loads((run_dir / "results.json").read_text())
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in results["timings"].items())
    metrics = ", ".join(f"{k}={v:.3g}" for k, v in results["metrics"].items() if isinstance(v, int | float))
    threads = re.search(r"torch threads: (\d+ of \d+)", proc.stdout + proc.stderr)
    return (
        f"default run, cache {cache}: wall time",
        f"{wall:.0f} s",
        f"{stages}; torch threads {threads.group(1) if threads else '?'}; {metrics}",
        "<= 150 s",
        f"{'met' if wall <= 150 else 'MISSED'}; {load()}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny model, budget 32, 4 steps, a 10k-row source")
    parser.add_argument("--smollm2", action="store_true", help="also the study and padding on SmolLM2-135M")
    parser.add_argument("--default", action="store_true", help="also the embedded default run's wall time")
    parser.add_argument("--rows", type=int, default=None, help="rows of the large source (default 50,000)")
    parser.add_argument(
        "--parts", default=None, help=f"which parts to run, comma-separated, of {','.join(PARTS)} (default: all but default)"
    )
    parser.add_argument("--prepare-only", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare_only is not None:
        return prepare_only(args.prepare_only)
    parts = set(args.parts.split(",")) if args.parts else set(PARTS) - ({"default"} - ({"default"} if args.default else set()))
    if parts - set(PARTS):
        parser.error(f"--parts: unknown {', '.join(sorted(parts - set(PARTS)))}; choose from {', '.join(PARTS)}")
    budget, steps = (32, 4) if args.quick else (64, 8)
    columns = ["measure", "value", "detail", "goal", "status and load"]

    def report(title: str, rows: list[tuple]) -> None:  # each part as soon as it is measured: a long bench keeps what it did
        print_table(title, columns, rows)
        append_benchmarks(title, columns, rows)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        models = ["tiny", *(["smollm2_135m"] if args.smollm2 else [])]
        for model in models if "study" in parts else []:
            report(f"Study: mix_ratio, sft-ablate vs plain TRL scripts ({model})", study(model, budget, steps, work / model))
        if "data" in parts:
            report("Data stage on a large local source", data_stage(args.rows or (10_000 if args.quick else 50_000), work))
        for model in models if "padding" in parts else []:
            report(
                f"Padding: length-grouped vs naive padded batches ({model})",
                padding(model, 128 if model == "tiny" else budget),
            )
        if "threads" in parts:
            report("Threads", threads(steps * 2))
        if "default" in parts:
            report("Default run", default_run(work))


if __name__ == "__main__":
    main()
