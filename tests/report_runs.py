"""Run directories with known numbers, for testing the report's arithmetic without training anything.

They follow the results.json contract (record.py, run.py): status, factors, config.study, metrics,
data, and a generations.jsonl.
"""

from __future__ import annotations

import json
from pathlib import Path

MIX_FRACTION = {"30_70": 0.3, "50_50": 0.5, "70_30": 0.7}


def write_run(
    root: Path,
    name: str,
    *,
    mix: str,
    seed: int,
    eval_loss: float,
    status: str = "complete",
    study: str = "mix_ratio",
    model: str = "tiny",
    benchmarks: dict | None = None,
    elo: dict | None = None,
    diversity: dict | None = None,
    output: str = "an answer",
) -> Path:
    run_dir = root / name
    run_dir.mkdir(parents=True)
    metrics = {
        "eval_loss": eval_loss,
        "eval_perplexity": 2.718281828**eval_loss,
        "train_loss": eval_loss + 0.1,
        "base_eval_loss": 3.0,
        "base_eval_perplexity": 20.1,
    }
    if benchmarks:
        metrics["benchmarks"] = benchmarks
    if elo:
        metrics["elo"] = elo
    synthetic = round(64 * MIX_FRACTION[mix])
    data = {
        "sources": {"synthetic": {"rows": synthetic}, "human": {"rows": 64 - synthetic}},
        "train_tokens": {"tokens": 9000 + seed, "trainable_tokens": 5000 + seed},
    }
    if diversity:
        data["diversity"] = diversity
    results = {
        "status": status,
        "config_hash": f"h-{name}",
        "config": {"study": study},
        "factors": {
            "mix": mix,
            "synthetic_fraction": MIX_FRACTION[mix],
            "model": model,
            "lora": "none",
            "lora_r": 0,
            "learning_rate": 0.003,
            "budget": 64,
            "seed": seed,
        },
        "metrics": metrics if status == "complete" else {"base_eval_loss": 3.0},
        "data": data,
    }
    if status != "complete":
        results["error"] = "RuntimeError: planted\nsecond line"
    (run_dir / "results.json").write_text(json.dumps(results))
    generation = {
        "prompt": [{"role": "user", "content": "Name a colour | any"}],
        "reference": "red",
        "base_output": "base says\nblue",
        "output": output,
    }
    (run_dir / "generations.jsonl").write_text(json.dumps(generation) + "\n")
    return run_dir


def mix_ratio_runs(root: Path, **extra) -> dict[str, list[float]]:
    """3 mixes x 3 seeds: 70_30 is better than 30_70 by ~0.2 in every seed, 50_50 differs by noise only."""
    losses = {"30_70": [2.50, 2.60, 2.55], "50_50": [2.52, 2.58, 2.56], "70_30": [2.30, 2.41, 2.34]}
    for mix, values in losses.items():
        for seed, loss in enumerate(values):
            write_run(root, f"{mix}_s{seed}", mix=mix, seed=seed, eval_loss=loss, output=f"{mix} answer", **extra)
    return losses
