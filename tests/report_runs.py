"""Run directories with known numbers, for testing the report's arithmetic without training anything.

They follow the results.json contract (record.py, run.py): status, factors, config (the run's settings, the
report's source for what a study varies), metrics, data, and a generations.jsonl.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
    settings: dict[str, Any] | None = None,
    recorded_config: bool = True,
) -> Path:
    """settings: dotted config paths to set (train.epochs=2, data.sources.human.path=...); recorded_config=False
    writes a run as older releases did, with only `study` under `config` (its `factors` are all there is)."""
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
        "config": run_config(study, mix, seed, model, settings) if recorded_config else {"study": study},
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


def run_config(study: str, mix: str, seed: int, model: str, settings: dict[str, Any] | None) -> dict[str, Any]:
    """A run's recorded config, as the CLI writes it (its defaults spelled out), trimmed to what the report reads."""
    fraction = MIX_FRACTION[mix]
    config: dict[str, Any] = {
        "study": study,
        "seed": seed,
        "data": {
            "sources": {
                "synthetic": {"path": "data/synthetic.jsonl", "kind": "synthetic"},
                "human": {"path": "data/human.jsonl", "kind": "human"},
            },
            "budget": 64,
        },
        "mix": {"name": mix, "weights": {"synthetic": fraction, "human": round(1 - fraction, 6)}},
        "model": {"name": model, "kind": "tiny"},
        "lora": {"name": "none", "enabled": False, "r": 8, "alpha": 16},
        "train": {"epochs": 1.0, "learning_rate": 0.003, "max_length": 384},
        "diversity": {"name": "all", "method": "random"},
        "tracking": {"project": "sft-ablate", "tags": []},  # incidental: never a factor
        "paths": {"cache_dir": f"/tmp/cache-{seed}"},
    }
    for path, value in (settings or {}).items():
        *parents, leaf = path.split(".")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return config


def mix_ratio_runs(root: Path, **extra) -> dict[str, list[float]]:
    """3 mixes x 3 seeds: 70_30 is better than 30_70 by ~0.2 in every seed, 50_50 differs by noise only."""
    losses = {"30_70": [2.50, 2.60, 2.55], "50_50": [2.52, 2.58, 2.56], "70_30": [2.30, 2.41, 2.34]}
    for mix, values in losses.items():
        for seed, loss in enumerate(values):
            write_run(root, f"{mix}_s{seed}", mix=mix, seed=seed, eval_loss=loss, output=f"{mix} answer", **extra)
    return losses
