"""Run directories with known numbers, for testing the report's arithmetic without training anything.

They follow the results.json contract (record.py, run.py): status, factors, config (the run's settings, the
report's source for what a study varies), metrics, data, a generations.jsonl, and an item_scores.jsonl whose
held-out rows add up to the recorded losses exactly (sft_ablate/record/items.py).

The rows' per-token NLL has the variance of real ones: an item's difficulty (the same in every run), a level x item
term (a level helps some items more than others: the same in every seed of a level) and a seed x item term; the
seed's shift of the whole loss is the recorded loss itself.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np

MIX_FRACTION = {"30_70": 0.3, "50_50": 0.5, "70_30": 0.7}
SOURCES = ("synthetic", "human")
EVAL_ROWS = 16  # held-out rows per source (data.eval_per_source)
HELDOUT_ROWS = 26  # an external set's rows (the seed tasks)
SD_ITEM, SD_LEVEL_ITEM, SD_RESID = 0.5, 0.08, 0.04  # per-token NLL: item difficulty, level x item, seed x item


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
    items: bool = True,
    heldout: dict[str, float] | None = None,
) -> Path:
    """settings: dotted config paths to set (train.epochs=2, data.sources.human.path=...); recorded_config=False
    writes a run as older releases did, with only `study` under `config` (its `factors` are all there is).
    items: write item_scores.jsonl (held-out rows of both sources that add up to eval_loss; their per-source losses
    recorded as eval_loss_by_source), else none, as a run before item scores. heldout: external sets' losses
    (metrics.heldout.<set>.loss, with their rows)."""
    run_dir = root / name
    run_dir.mkdir(parents=True)
    metrics: dict[str, Any] = {"eval_loss": eval_loss, "eval_perplexity": 2.718281828**eval_loss, "train_loss": eval_loss + 0.1,
                               "base_eval_loss": 3.0, "base_eval_perplexity": 20.1}  # fmt: skip
    if items:
        level = json.dumps([mix, model, study, settings or {}], sort_keys=True, default=str)
        files = {s: Path(path).name for s in SOURCES if (path := (settings or {}).get(f"data.sources.{s}.path"))}
        metrics.update(write_items(run_dir, item_rows(level, seed, eval_loss, heldout or {}, files)))
    elif heldout:
        metrics["heldout"] = {h: {"loss": loss} for h, loss in heldout.items()}
    metrics.update({k: v for k, v in (("benchmarks", benchmarks), ("elo", elo)) if v})
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
        },  # fmt: skip
        "metrics": metrics if status == "complete" else {"base_eval_loss": 3.0},
        "data": run_data(mix, seed, diversity),
    }
    if status != "complete":
        results["error"] = "RuntimeError: planted\nsecond line"
    (run_dir / "results.json").write_text(json.dumps(results))
    generation = {"prompt": [{"role": "user", "content": "Name a colour | any"}], "reference": "red",
                  "base_output": "base says\nblue", "output": output}  # fmt: skip
    (run_dir / "generations.jsonl").write_text(json.dumps(generation) + "\n")
    return run_dir


def run_data(mix: str, seed: int, diversity: dict | None) -> dict[str, Any]:
    """results.json's `data`: rows per source, tokens, and the diversity figures given."""
    synthetic = round(64 * MIX_FRACTION[mix])
    data: dict[str, Any] = {
        "sources": {"synthetic": {"rows": synthetic}, "human": {"rows": 64 - synthetic}},
        "train_tokens": {"tokens": 9000 + seed, "trainable_tokens": 5000 + seed},
    }
    if diversity:
        data["diversity"] = diversity
    return data


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


def item_rows(
    level: str, seed: int, eval_loss: float, heldout: dict[str, float], files: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """item_scores.jsonl's held-out rows of one run: both sources' rows (synthetic ones easier) centred so that
    sum(nll) / sum(tokens) is eval_loss, and each external set's rows centred on its loss. An item's tokens and
    difficulty are the same in every run; `level` (the run's settings less its seed) draws the level x item term.
    files: a source's file name where the run set its path (its rows' ids are "<file>:<line>")."""
    rows = []
    sets = [("eval", "eval", eval_loss, 2 * EVAL_ROWS)] + [("heldout", h, loss, HELDOUT_ROWS) for h, loss in heldout.items()]
    for set_name, group, loss, n in sets:
        fixed = _rng("items", group)
        tokens = fixed.integers(4, 60, n)
        difficulty = fixed.normal(0.0, SD_ITEM, n) + (
            np.r_[np.full(EVAL_ROWS, -0.3), np.full(EVAL_ROWS, 0.3)] if set_name == "eval" else 0
        )
        per_token = (
            difficulty + _rng(level, group).normal(0.0, SD_LEVEL_ITEM, n) + _rng(level, group, seed).normal(0.0, SD_RESID, n)
        )
        per_token += loss - float((per_token * tokens).sum() / tokens.sum())  # the recorded loss, exactly
        groups = [SOURCES[i // EVAL_ROWS] for i in range(n)] if set_name == "eval" else [group] * n
        ids = [f"{(files or {}).get(g, g + '.jsonl')}:{i % EVAL_ROWS if set_name == 'eval' else i}" for i, g in enumerate(groups)]
        rows += [{"set": set_name, "group": g, "item": item, "nll": float(x * t), "tokens": int(t)}
                 for g, item, x, t in zip(groups, ids, per_token, tokens)]  # fmt: skip
    return rows


def write_items(run_dir: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Write the rows as the run's item_scores.jsonl; the metrics they add up to (per source, per external set)."""
    (run_dir / "item_scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    metrics: dict[str, Any] = {
        "eval_loss_by_source": {s: _loss([r for r in rows if r["set"] == "eval" and r["group"] == s]) for s in SOURCES}
    }
    external = sorted({r["group"] for r in rows if r["set"] == "heldout"})
    if external:
        metrics["heldout"] = {
            h: {"loss": _loss([r for r in rows if r["set"] == "heldout" and r["group"] == h])} for h in external
        }
    return metrics


def _loss(rows: list[dict[str, Any]]) -> float:
    return sum(r["nll"] for r in rows) / sum(r["tokens"] for r in rows)


def _rng(*parts: Any) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(str(p).encode()) for p in parts])


def read_matrix(root: Path, runs: list[str], set_name: str, group: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The runs' per-token NLL of one set's rows (one group, or all), straight from their item_scores.jsonl: a
    runs x items matrix and the items' tokens, for checking the report's intervals."""
    per_run = []
    for run in runs:
        rows = [json.loads(line) for line in (root / run / "item_scores.jsonl").read_text().splitlines()]
        per_run.append({(r["group"], r["item"]): r for r in rows if r["set"] == set_name and group in (None, r["group"])})
    ids = sorted(per_run[0])
    x = np.array([[run[i]["nll"] / run[i]["tokens"] for i in ids] for run in per_run])
    return x, np.array([per_run[0][i]["tokens"] for i in ids], dtype=float)
