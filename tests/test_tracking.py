"""W&B as a sink: our own tables never break it, and whatever does break it is recorded in results.json."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sft_ablate.data.profile import diversity_rows, source_rows
from sft_ablate.record.schema import TrackingConfig
from sft_ablate.record.tracking import Tracker, _tags, job_overrides, override_tag, start_tracking
from sft_ablate.run import log_data_profile
from tests.conftest import compose_config

slow = pytest.mark.slow  # starts a W&B (offline) service


def measures(rows: int, tasks: int | None) -> dict:
    figures = {
        "rows": rows, "distinct_1_instruction": 0.6, "distinct_2_instruction": 0.9, "distinct_1_response": 0.6,
        "distinct_2_response": 0.9, "mean_cosine_distance": 0.93, "cluster_entropy": 3.1, "clusters_hit": 10,
        "leading_words": 12, "top_leading_words": {"what": 3, "why": 1},
    }  # fmt: skip
    return figures if tasks is None else {**figures, "tasks": tasks}


def source(rows: int) -> dict:
    return {
        "kind": "synthetic", "rows_read": rows, "rows_invalid": 0, "removed": {}, "rows_kept": rows, "rows": rows,
        "tokens": 40 * rows, "trainable_tokens": 20 * rows,
        "length": {"instruction": {"mean": 9.5, "min": 2, "p10": 4, "p50": 9, "p90": 15, "max": 20}},
    }  # fmt: skip


def data_report() -> dict:
    """A run's data report where one source (synth output, most user data) has no `task` field."""
    length = source(1)["length"]
    return {
        "sources": {"synthetic": source(16), "human": source(16)},
        "length": length,
        "quality": {"filters": []},
        "diversity": {
            "train": measures(32, None),  # as in a real run: not every train row has a task
            "sources": {"synthetic": measures(16, None), "human": measures(16, 10)},
            "pool": measures(300, 10),
        },
    }


def offline_tracker(tmp_path: Path) -> Tracker:
    config = compose_config(["model=tiny", "tracking=wandb_offline"])
    tracker = start_tracking(config.tracking, config.study, tmp_path, {}, {"mix": "50_50"}, ["train.epochs=2"])
    offline_dir = Path(tracker.state()["dir"])  # what `wandb sync` takes; the run's summary says where it is
    assert offline_dir.parent == tmp_path / "wandb" and offline_dir.name.startswith("offline-run-")
    assert tracker.active and tracker.state() == {"status": "ok", "error": None, "dir": str(offline_dir)}
    return tracker


@slow
def test_a_source_without_task_keeps_tracking_on(tmp_path, caplog):
    import wandb

    columns, rows = diversity_rows(data_report())
    assert rows[0][columns.index("tasks")] is None  # missing is None, never "": W&B types a column by its first value
    wandb.Table(columns=columns, data=rows)  # the typing that failed with "" for the missing task
    columns, rows = source_rows(data_report())
    wandb.Table(columns=columns, data=rows)

    tracker = offline_tracker(tmp_path)
    log_data_profile(tracker, data_report(), [])
    tracker.summary({"metrics/eval_loss": 1.5})
    tracker.finish()
    assert {k: tracker.state()[k] for k in ("status", "error")} == {"status": "ok", "error": None}
    # No W&B warning (an INFO line saying where the offline run is, is fine)
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "W&B" in r.getMessage()]


@slow
def test_a_wandb_failure_is_recorded_and_later_calls_are_skipped(tmp_path):
    tracker = offline_tracker(tmp_path)
    tracker.table("mixed", ["value"], [["text"], [1.0]])  # a column W&B cannot type: the table fails
    state = tracker.state()
    assert state["status"] == "failed" and state["error"].startswith("W&B table: TypeError")
    assert not tracker.active
    tracker.log({"x": 1})  # skipped, not raised
    tracker.finish()
    assert tracker.state() == state  # the first failure is the one recorded


def test_a_run_is_tagged_with_its_known_factors_and_every_key_its_command_line_set():
    factors = {"mix": "30_70", "synthetic_fraction": 0.3, "model": "tiny", "lora": "none", "seed": 1, "diversity": "all"}
    overrides = [
        "model=tiny", "mix='30_70'", "train.epochs=2", "seed=1", "+sweep=mix_ratio", "tracking=wandb_offline",
        "tracking.project=mine", "paths.cache_dir=/tmp/c", "study=epochs", "~eval.heldout_sets",
        "data.sources.human.path=/data/projects/sft/very/long/directory/names/human_rows_v2.jsonl",
    ]  # fmt: skip
    tags = _tags(TrackingConfig(tags=["mine"]), factors, overrides)
    assert tags[:5] == ["mix=30_70", "model=tiny", "lora=none", "seed=1", "diversity=all"]  # the known factors, once each
    assert tags[5:7] == ["train.epochs=2", "sweep=mix_ratio"]  # quotes gone, incidental keys and deletions left out
    path = tags[7]  # a path is cut from the left, where paths agree: its end tells two sources apart
    assert path.startswith("data.sources.human.path=…") and path.endswith("/names/human_rows_v2.jsonl") and len(path) == 64
    assert tags[8:] == ["mine"] and all(len(tag) <= 64 for tag in tags)  # W&B refuses a longer tag, and the run with it
    assert override_tag("~lora") is None and override_tag("hydra.sweep.dir=x") is None
    assert job_overrides() == []  # outside a Hydra app: nothing set
