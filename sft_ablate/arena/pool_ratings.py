"""Pool maintenance (``python -m sft_ablate.arena ROOT --update-results``): the pool's current ratings written
into every finished run's results.json. A run records its own arena section when it finishes; this rewrites
the ``metrics.elo`` of other, earlier runs, whose ratings later runs have moved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sft_ablate.arena.leaderboard import Leaderboard, elo_metrics
from sft_ablate.io import write_json_atomic
from sft_ablate.record.results import read_results


def update_results(board: Leaderboard, models: dict[str, dict[str, Any]]) -> list[Path]:
    """Write the pool's current ratings into each finished run's results.json (metrics.elo, arena.pool_rating)."""
    written = []
    for model, info in models.items():
        run_dir = Path(info.get("run_dir") or "/nonexistent")
        results = read_results(run_dir) if info["kind"] == "run" and run_dir.is_dir() else None
        metrics = elo_metrics(board, model)
        if results is None or metrics is None or results.get("status") == "running":
            continue
        results.setdefault("metrics", {})["elo"] = metrics
        results.setdefault("arena", {})["pool_rating"] = {
            "models": len(board.ratings),
            "battles": len(board.outcomes.battles),
            "judge_hash": board.judge,
        }
        write_json_atomic(run_dir / "results.json", results)
        written.append(run_dir / "results.json")
    return written
