"""End to end through the real CLI, on the tiny model: one run, a multirun, reproducibility, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sft_ablate.arena.store import ArenaStore
from sft_ablate.paths import PROJECT_ROOT
from tests.conftest import run_cli

pytestmark = pytest.mark.slow
TINY = ["model=tiny", "tracking.mode=offline"]


def results(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, cache_dir):
    run_dir = tmp_path_factory.mktemp("e2e") / "run"
    proc = run_cli([*TINY, "mix=50_50", f"hydra.run.dir={run_dir}"], cwd=run_dir.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run_dir.parent / "console.txt").write_text(proc.stdout + proc.stderr)
    return run_dir


def test_the_console_shows_our_progress_and_no_library_chatter(tiny_run):
    console = (tiny_run.parent / "console.txt").read_text()
    for ours in ("128 train rows", "Held-out loss", "benchmark bundled_mc", "arena:", "run complete"):
        assert ours in console, ours
    for chatter in (
        "Loading weights",
        "Writing model shards",
        "Truncating train dataset",
        "Creating parquet",
        "[lighteval.",
        "1it [",
    ):
        assert chatter not in console, chatter
    assert "FutureWarning" not in console and "wandb: WARNING" not in console


def test_single_run_records_everything(tiny_run):
    r = results(tiny_run)
    assert r["status"] == "complete" and r["tracking"] == {"status": "ok", "error": None, "dir": r["tracking"]["dir"]}
    assert Path(r["tracking"]["dir"]).parent == tiny_run / "wandb"  # the offline run, for `wandb sync`
    metrics = r["metrics"]
    for key in ("train_loss", "eval_loss", "eval_perplexity", "base_eval_loss", "base_eval_perplexity"):
        assert isinstance(metrics[key], float), key
    assert metrics["eval_loss"] < metrics["base_eval_loss"]  # even the tiny model learns something
    assert r["data"]["train_hash"] and r["config"]["mix"]["name"] == "50_50"
    assert r["environment"]["versions"]["trl"] and "commit" in r["environment"]["git"]
    assert set(r["timings"]) >= {"data", "model", "tokenize", "base_eval", "train", "eval", "total"}
    assert r["factors"] == {
        "mix": "50_50",
        "synthetic_fraction": 0.5,
        "model": "tiny",
        "lora": "none",
        "lora_r": 0,
        "learning_rate": r["config"]["train"]["learning_rate"],
        "budget": r["config"]["data"]["budget"],
        "diversity": "all",
        "seed": 0,
    }


def test_budget_is_split_50_50(tiny_run):
    sources = results(tiny_run)["data"]["sources"]
    budget = results(tiny_run)["data"]["budget"]
    assert abs(sources["synthetic"]["rows"] - budget / 2) <= 1
    assert sources["synthetic"]["rows"] + sources["human"]["rows"] == budget
    for source in sources.values():
        assert 0 < source["trainable_tokens"] < source["tokens"]


def test_run_dir_holds_config_generations_checkpoints_and_wandb(tiny_run):
    assert (tiny_run / "config.yaml").exists() and (tiny_run / ".hydra" / "overrides.yaml").exists()
    generations = [json.loads(line) for line in (tiny_run / "generations.jsonl").read_text().splitlines()]
    assert len(generations) == 6 and {"prompt", "reference", "base_output", "output"} <= set(generations[0])
    assert {g["source"] for g in generations} == {"human", "synthetic"}
    assert list((tiny_run / "checkpoints").glob("checkpoint-*"))
    assert (tiny_run / "final" / "model.safetensors").exists()
    assert list((tiny_run / "wandb").glob("offline-run-*/run-*.wandb"))


def test_same_command_and_seed_reproduce(tiny_run, tmp_path):
    again = tmp_path / "again"
    proc = run_cli([*TINY, "mix=50_50", f"hydra.run.dir={again}"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = results(tiny_run), results(again)
    assert first["data"]["train_hash"] == second["data"]["train_hash"]
    assert first["metrics"]["eval_loss"] == pytest.approx(second["metrics"]["eval_loss"], rel=1e-5)
    # Each single run has its own arena pool, but the base model answers once: later runs read its answers
    # from the cache, the same ones.
    assert "the base model's answers come from the cache" in proc.stdout + proc.stderr
    base_answers = []
    for r in (first, second):
        with ArenaStore(Path(r["arena"]["store"])) as store:
            base_answers.append(store.generations(r["arena"]["base_model"]))
    assert base_answers[0] and list(base_answers[0].values()) == list(base_answers[1].values())


def test_multirun_over_two_mixes(tmp_path, cache_dir):
    sweep = tmp_path / "sweep"
    proc = run_cli(
        ["-m", *TINY, "mix=30_70,50_50", f"hydra.sweep.dir={sweep}", "data.budget=80", "train.epochs=1", "eval.base_model=false"],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = sorted(p.parent for p in sweep.glob("*/results.json"))
    assert len(runs) == 2
    rows = {results(r)["config"]["mix"]["name"]: results(r)["data"]["sources"] for r in runs}
    assert {k: (v["synthetic"]["rows"], v["human"]["rows"]) for k, v in rows.items()} == {"30_70": (24, 56), "50_50": (40, 40)}
    # The arena: one pool for the sweep (base + both runs), a rating with a CI in each results.json.
    for r in runs:
        elo = results(r)["metrics"]["elo"]
        assert elo["ci_low"] <= elo["rating"] <= elo["ci_high"] and 0 <= elo["win_rate_vs_base"] <= 1
        assert results(r)["arena"]["swap_agreement"] == 1.0  # the reference judge has no position bias
    assert results(runs[1])["arena"]["opponents"] == [runs[0].name]  # the second run also battles the first
    leaderboard = subprocess.run(
        [sys.executable, "-m", "sft_ablate.arena", str(sweep)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        timeout=300,
    )
    assert leaderboard.returncode == 0, leaderboard.stderr[-3000:]
    assert "judge calls made: 0" in leaderboard.stdout and "base/tiny" in leaderboard.stdout
    assert all(r.name in leaderboard.stdout for r in runs) and (sweep / "arena_leaderboard.png").exists()


def test_invalid_config_fails_fast_and_leaves_nothing(tmp_path):
    run_dir = tmp_path / "bad"
    proc = run_cli(["mix.weights.synthetic=0.6", f"hydra.run.dir={run_dir}"], cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert "mix '50_50': weights must sum to 1, got 1.1 (synthetic=0.6, human=0.5)" in proc.stdout + proc.stderr
    assert not run_dir.exists()


def test_bad_data_row_names_file_and_line(tmp_path, cache_dir):
    bad = tmp_path / "bad.jsonl"
    good = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}
    bad.write_text(
        json.dumps(good)
        + "\n"
        + json.dumps({"messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "?"}]})
        + "\n"
    )
    run_dir = tmp_path / "run"
    # data.on_bad_row=fail: the default (skip) would count the row and go on
    args = [*TINY, f"data.sources.human.path={bad}", "data.on_bad_row=fail", f"hydra.run.dir={run_dir}"]
    proc = run_cli(args, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert f"{bad}:2: message 2: roles must alternate user/assistant, got 'user' after 'user'" in proc.stdout + proc.stderr
    assert not run_dir.exists()
