"""Benchmarks end to end on the tiny model: recorded per task, base cached, no stale answers, early errors."""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path

import pytest

from tests.conftest import compose_config, run_cli

pytestmark = pytest.mark.slow
QUICK = ["model=tiny", "tracking=none", "data.budget=32", "train.max_steps=3", "eval.num_generations=2",
         "eval.benchmarks=[bundled_mc]", "eval.max_samples=16"]  # fmt: skip


def results(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


def details(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "benchmark_details.jsonl").read_text().splitlines()]


def test_retraining_into_the_same_dir_is_benchmarked_on_the_new_weights(tmp_path, cache_dir):
    run_dir = tmp_path / "run"
    proc = run_cli([*QUICK, "seed=0", f"hydra.run.dir={run_dir}"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, first_details = results(run_dir), details(run_dir)

    metrics = first["metrics"]
    assert set(metrics["benchmarks"]["bundled_mc"]) == {"acc", "acc_stderr", "acc_norm", "acc_norm_stderr"}
    assert set(metrics["base_benchmarks"]["bundled_mc"]) == {"acc", "acc_stderr", "acc_norm", "acc_norm_stderr"}
    assert metrics["benchmarks_delta"]["bundled_mc"]["acc"] == pytest.approx(
        metrics["benchmarks"]["bundled_mc"]["acc"] - metrics["base_benchmarks"]["bundled_mc"]["acc"]
    )
    assert first["benchmarks"]["tasks"]["bundled_mc"]["items"] == 16 == len(first_details)
    assert {"base_benchmarks", "benchmarks"} <= set(first["timings"])

    # Retrain into the same directory: other seed and learning rate, from scratch (a rerun would resume).
    # A run dir is never silently reused for another config, so the user clears the old run's record and
    # checkpoints; final/ (where lighteval 0.13 would keep its name-keyed sample cache) stays.
    shutil.rmtree(run_dir / "checkpoints")
    (run_dir / "results.json").unlink()
    proc = run_cli([*QUICK, "seed=1", "train.learning_rate=0.01", f"hydra.run.dir={run_dir}"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    second, second_details = results(run_dir), details(run_dir)
    assert second["metrics"]["eval_loss"] != first["metrics"]["eval_loss"]  # the weights did change

    # The benchmark saw the new weights: every item's log-probabilities moved...
    moved = [a["trained"]["logprobs"] != b["trained"]["logprobs"] for a, b in zip(first_details, second_details)]
    assert all(moved), f"{moved.count(False)} of {len(moved)} items kept the first model's answers"
    # ...while the base model's scores, the same weights, came from the cache unchanged.
    assert second["benchmarks"]["base_from_cache"] == {"bundled_mc": True}
    assert [d["base"] for d in second_details] == [d["base"] for d in first_details]
    # And lighteval left no sample cache in the run dir (or in final/) to be found by a later run.
    assert not list(run_dir.rglob("*.parquet"))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case", ["unknown task", "missing file", "malformed row", "hub offline"])
def test_bad_benchmark_fails_before_training(tmp_path, cache_dir, case):
    task_file, data = tmp_path / "mine.yaml", tmp_path / "mine.jsonl"
    task_file.write_text(f"kind: multiple_choice\npath: {data.name}\n")
    data.write_text('{"query": "Q1", "choices": ["a", "b"], "gold": 0}\n{"query": "Q2", "choices": ["a", "b"], "gold": 0\n')
    benchmark, expected, env = {
        "unknown task": ("arc_eazy", "unknown task 'arc_eazy'", {}),
        "missing file": (str(tmp_path / "nowhere.yaml"), f"task file not found: {tmp_path / 'nowhere.yaml'}", {}),
        "malformed row": (str(task_file), f"{data}:2: malformed JSON", {}),
        "hub offline": ("mmlu:anatomy|0", "the hub is not reachable", {"HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}"}),
    }[case]  # fmt: skip
    run_dir = tmp_path / "run"
    start = time.perf_counter()
    proc = run_cli(["model=tiny", "tracking=none", f"eval.benchmarks=[{benchmark}]", f"hydra.run.dir={run_dir}"],
                   cwd=tmp_path, env=env, timeout=300)  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output[-3000:]
    assert expected in output
    assert "Traceback" not in output
    assert not run_dir.exists()  # nothing trained, nothing half-written
    print(f"{case}: failed in {time.perf_counter() - start:.1f} s")


def test_hub_task_runs_unchanged_when_a_hub_answers(tmp_path, cache_dir):
    """`mmlu|anatomy|0|0` as typed, lighteval's own mmlu:anatomy task, data from a hub on 127.0.0.1."""
    from tests.fake_hub import FakeHub
    from tests.test_benchmark_tasks import mmlu_like_repo

    run_dir = tmp_path / "run"
    with FakeHub({"lighteval/mmlu": mmlu_like_repo(tmp_path / "mmlu")}) as hub:
        env = {"HF_ENDPOINT": hub.endpoint, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "0"}
        proc = run_cli([*QUICK, "eval.benchmarks=[mmlu|anatomy|0|0]", f"hydra.run.dir={run_dir}"], cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = results(run_dir)
    assert r["benchmarks"]["tasks"]["mmlu|anatomy|0|0"]["lighteval_task"] == "mmlu:anatomy|0"
    assert r["benchmarks"]["tasks"]["mmlu|anatomy|0|0"]["items"] == 8
    assert set(r["metrics"]["benchmarks"]["mmlu|anatomy|0|0"]) == {"em", "em_stderr"}  # lighteval's metric for it
    assert any("anatomy/test-00000-of-00001.parquet" in request for request in hub.requests)
    prompts = [d["query"] for d in details(run_dir)]
    assert "The following are multiple choice questions (with answers) about anatomy." in prompts[0]


def test_generative_tasks_through_lighteval_on_the_tiny_model(tmp_path, cache_dir):
    """Exact-match and numeric generative tasks run through lighteval's pipeline and score what was generated."""
    from sft_ablate.data.prepare import prepare_data
    from sft_ablate.evaluation.lighteval_runner import score_benchmarks
    from sft_ablate.evaluation.tasks import resolve_benchmarks
    from sft_ablate.run import data_stage_inputs
    from sft_ablate.training.models import base_model_dir, load_model

    rows = [
        {"question": f"What is {a} + {b}?", "answer": f"{a} + {b} = {a + b}\n#### {a + b}"} for a, b in [(2, 3), (10, 7), (4, 4)]
    ]
    (tmp_path / "sums.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    common = "kind: generative\npath: sums.jsonl\nprompt: 'Question: {question}\\nAnswer:'\ngold: answer\ngeneration_size: 8\n"
    (tmp_path / "sums_numeric.yaml").write_text(common + "answer: numeric\nanswer_marker: '####'\n")
    (tmp_path / "sums_exact.yaml").write_text(common + "answer: exact\n")
    config = compose_config(["model=tiny", f"eval.benchmarks=[{tmp_path}/sums_numeric.yaml,{tmp_path}/sums_exact.yaml]"])
    tasks = resolve_benchmarks(config.eval, cache_dir)
    data = prepare_data(data_stage_inputs(config))
    texts = [m["content"] for s in data.pool.values() for e in s.examples for m in e.messages]
    loaded = load_model(config.model, config.lora, base_model_dir(config.model, cache_dir, texts), "cpu")

    scores = score_benchmarks(loaded.model, loaded.tokenizer, tasks, config.eval, "cpu")
    numeric, exact = scores[f"{tmp_path}/sums_numeric.yaml"], scores[f"{tmp_path}/sums_exact.yaml"]
    assert set(numeric["metrics"]) == {"numeric_match", "numeric_match_stderr"}
    assert set(exact["metrics"]) == {"em", "em_stderr"}
    assert [d["gold"] for d in numeric["details"]] == [0, 0, 0] and all("output" in d for d in numeric["details"])
    assert numeric["metrics"]["numeric_match"] == 0.0  # an untrained model writes no "#### <sum>"
    import torch

    assert torch.is_grad_enabled()  # lighteval turned autograd off; training after a benchmark needs it on
