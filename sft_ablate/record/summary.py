"""The few lines a run ends with, read from its results record: held-out loss against the base (pooled, per
source, external sets), benchmark scores against the base, the arena's difference to the base with its CI, the
time each stage took, and where the results, the W&B run and the report are. Everything else is in results.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def summary_lines(results: dict[str, Any], run_dir: Path) -> list[str]:
    metrics = results.get("metrics", {})
    lines = [f"run {results.get('status', '?')}: {run_dir}"]
    lines += _loss_lines(metrics)
    lines += _benchmark_lines(metrics)
    lines += _arena_lines(metrics, results.get("arena"))
    lines.append(_timings_line(results.get("timings", {})))
    lines += _where_lines(results, run_dir)
    return [line for line in lines if line]


def _vs_base(value: float | None, base: float | None, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if base is None:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} (base {base:.{digits}f}, {value - base:+.{digits}f})"


def _loss_lines(metrics: dict[str, Any]) -> list[str]:
    if "eval_loss" not in metrics:
        return []
    lines = [f"eval loss {_vs_base(metrics['eval_loss'], metrics.get('base_eval_loss'))}"]
    by_source, base = metrics.get("eval_loss_by_source") or {}, metrics.get("base_eval_loss_by_source") or {}
    if by_source:
        lines.append("  by source: " + "; ".join(f"{s} {_vs_base(v, base.get(s))}" for s, v in by_source.items()))
    external = metrics.get("heldout") or {}
    if external:
        lines.append(
            "  external: " + "; ".join(f"{name} {_vs_base(x.get('loss'), x.get('base_loss'))}" for name, x in external.items())
        )
    return lines


def _benchmark_lines(metrics: dict[str, Any]) -> list[str]:
    trained, base = metrics.get("benchmarks") or {}, metrics.get("base_benchmarks") or {}
    scores = [
        f"{task} {name} {_vs_base(value, (base.get(task) or {}).get(name), 3)}"
        for task, values in trained.items()
        for name, value in values.items()
        if not name.endswith("_stderr") and isinstance(value, int | float)
    ]
    return ["benchmarks: " + "; ".join(scores)] if scores else []


def _arena_lines(metrics: dict[str, Any], arena: dict[str, Any] | None) -> list[str]:
    if not arena:
        return []
    elo = metrics.get("elo")
    if not elo:
        return [f"arena: {arena.get('problem') or 'no rating'}"]
    line = (
        f"arena: {elo['diff_vs_base']:+.0f} Elo vs base, 95% CI [{elo['diff_vs_base_ci_low']:+.0f}, "
        f"{elo['diff_vs_base_ci_high']:+.0f}]"
    )
    if elo.get("win_rate_vs_base") is not None:
        line += f"; win rate {elo['win_rate_vs_base']:.2f} [{elo['win_rate_ci_low']:.2f}, {elo['win_rate_ci_high']:.2f}]"
    return [line + f" ({arena.get('battles', '?')} battles, judge {arena.get('judge', '?')})"]


def _timings_line(timings: dict[str, float]) -> str:
    stages = [f"{name} {seconds:.1f}" for name, seconds in timings.items() if name != "total"]
    if not stages:
        return ""
    return f"time (s): {', '.join(stages)}; total {timings.get('total', sum(timings.values())):.1f}"


def _where_lines(results: dict[str, Any], run_dir: Path) -> list[str]:
    tracking = results.get("tracking") or {}
    if tracking.get("url"):
        wandb = f"W&B: {tracking['url']}"
    elif tracking.get("dir"):
        wandb = f"W&B: offline run in {tracking['dir']} (upload: wandb sync {tracking['dir']})"
    elif tracking.get("status") in (None, "off"):
        wandb = "W&B: off"
    else:
        wandb = f"W&B: {tracking.get('status')} ({tracking.get('error')})"
    root = run_dir.parent if (run_dir.parent / "multirun.yaml").exists() else run_dir  # a sweep's report covers all
    built = root / "report" / "report.html"
    report = f"report: {built}" if built.exists() else f"report: python -m sft_ablate.report {root}"
    return [f"results: {run_dir / 'results.json'}; {wandb}", report]
