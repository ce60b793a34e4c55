"""`python -m sft_ablate.synth` end to end, against a real chat-completions server on 127.0.0.1 (fast) and
with the local tiny model (slow): rows, provenance, rejections, resume, and zero calls on a rerun."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from sft_ablate.data.schema import SourceConfig
from sft_ablate.data.sources import load_source
from sft_ablate.paths import PROJECT_ROOT, SAMPLE_DATA_DIR, SYNTH_CONF_DIR
from tests.chat_server import ChatServer, scripted_model
from tests.conftest import run_cli

PROVENANCE = {
    "stage",
    "instruction_id",
    "seed_task_ids",
    "instruction_generator",
    "generator",
    "sampling",
    "judge",
    "score",
    "scores",
    "reason",
    "follow_up",
}


def run_synth(args: list[str], cwd: Path, cache: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(PROJECT_ROOT), "SFT_ABLATE_CACHE": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "sft_ablate.synth", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def http_args(server: ChatServer, run_dir: Path, *extra: str, generators: tuple[str, ...] = ("teacher",)) -> list[str]:
    """A small job whose generators and judge are all models of the test server."""
    spec = f"kind: openai, base_url: '{server.base_url}', concurrency: 2, timeout: 10, max_retries: 1"
    return [
        "synth.generators=[" + ", ".join(f"{{model: {name}, {spec}}}" for name in generators) + "]",
        f"synth.judge={{model: judge, {spec}}}",
        "synth.target_rows=6",
        "synth.max_rounds=4",
        "synth.prompts_per_round=2",
        "synth.tasks_per_prompt=2",
        "synth.few_shot_seed=3",
        "synth.few_shot_machine=2",
        f"hydra.run.dir={run_dir}",
        *extra,
    ]


def rows_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def results(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


def test_rows_are_chatml_with_provenance_and_an_identical_rerun_makes_zero_requests(tmp_path):
    cache = tmp_path / "cache"
    args = lambda run: http_args(server, tmp_path / run, generators=("teacher", "teacher2"))  # noqa: E731
    with ChatServer() as server:
        first = run_synth(args("one"), tmp_path, cache)
        assert first.returncode == 0, first.stderr[-3000:]
        requests = server.requests
        second = run_synth(args("two"), tmp_path, cache)
        assert second.returncode == 0, second.stderr[-3000:]
        assert server.requests == requests  # the rerun was served entirely from the cache
    out = tmp_path / "one" / "synthetic.jsonl"
    rows = rows_of(out)
    assert len(rows) == 6
    assert (tmp_path / "two" / "synthetic.jsonl").read_text() == out.read_text()
    # Any data source can read it: valid ChatML rows (the loader validates roles and turns).
    loaded = load_source("synthetic", SourceConfig(path=str(out), kind="synthetic"), on_bad_row="fail")
    assert len(loaded.examples) == 6
    for row in rows:
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        prov = row["provenance"]
        assert set(prov) == PROVENANCE
        assert prov["generator"]["model"] in ("teacher", "teacher2") and prov["generator"]["base_url"] == server.base_url
        assert row["messages"][1]["content"].startswith(
            f"Answer from {prov['generator']['model']} (seed {prov['sampling']['seed']})"
        )
        assert prov["judge"]["model"] == "judge" and prov["stage"] == "self_instruct"
        assert prov["score"] >= 3.0 and prov["reason"] == "Clear and on topic."
        assert prov["score"] == pytest.approx(sum(prov["scores"].values()) / 3)
    assert {row["provenance"]["generator"]["model"] for row in rows} == {"teacher", "teacher2"}
    # Round 1 shows 3 seed tasks; later rounds add 2 machine-made ones (whose ids name their round).
    shown = [row["provenance"]["seed_task_ids"] for row in rows]
    assert {len(ids) for ids in shown} == {3, 5}
    assert all(sum(i.startswith("seed_task_") for i in ids) == 3 for ids in shown)
    assert any(i.startswith("r0-") for ids in shown for i in ids)
    # top_k=1: each row is its task's best candidate; the others are rejected with their scores.
    rejected = rows_of(tmp_path / "one" / "rejected.jsonl")
    for row in rows:
        others = [r for r in rejected if r.get("task_id") == row["provenance"]["instruction_id"]]
        assert len(others) == 3 and all(r["score"] <= row["provenance"]["score"] for r in others)
    r1, r2 = results(tmp_path / "one"), results(tmp_path / "two")
    assert r1["status"] == r2["status"] == "complete"
    counts = r1["synth"]["counts"]
    assert_every_candidate_is_accounted_for(counts, len(rows))
    for r in rejected:  # each judged rejection carries the judge's whole verdict
        if r["reason"] in ("below_min_score", "not_top_k"):
            assert (
                r["judge_output"].startswith("{")
                and r["judge_reason"]
                and set(r["scores"]) == {"helpfulness", "factuality", "format"}
            )
    assert counts["candidates"] == 4 * counts["tasks_kept"]  # 2 generators x 2 samplings
    assert r1["synth"]["acceptance_rate"] == round(counts["accepted"] / counts["candidates"], 4)
    calls = sum(stats["calls"] for role, stats in r1["synth"]["backends"].items() if not role.startswith("model"))
    assert calls == requests
    assert all(stats["calls"] == 0 for role, stats in r2["synth"]["backends"].items() if not role.startswith("model"))


def assert_every_candidate_is_accounted_for(counts: dict, rows: int) -> None:
    rejected = {k.removeprefix("candidate_rejected_"): n for k, n in counts.items() if k.startswith("candidate_rejected_")}
    before_judge = rejected.get("empty_answer", 0) + rejected.get("truncated", 0)
    assert counts["candidates"] == counts.get("judged", 0) + before_judge
    assert counts.get("judged", 0) == counts["accepted"] + sum(rejected.values()) - before_judge
    assert counts["accepted"] == rows + counts.get("over_target", 0)


def test_too_few_rows_is_an_error_that_says_why_and_keeps_the_rows(tmp_path):
    def copying_judge(body: dict) -> str:  # what SmolLM2-135M often does: the prompt's worked example, verbatim
        if body["messages"][-1]["content"].startswith("Score the answer"):
            return '{"helpfulness": 5, "factuality": 5, "format": 5, "reason": "Correct and direct."}'
        return scripted_model(body)

    with ChatServer(copying_judge) as server:
        proc = run_synth(http_args(server, tmp_path / "run", "synth.max_rounds=1"), tmp_path, tmp_path / "cache")
    assert proc.returncode == 2, proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert "synth made 0 of 6 rows (synth.target_rows) in 1 rounds" in output
    assert "judge_copied_example" in output and "synth.max_rounds" in output and "Traceback" not in output
    r = results(tmp_path / "run")
    assert r["status"] == "incomplete" and r["error"].startswith("synth made 0 of 6 rows")
    assert_every_candidate_is_accounted_for(r["synth"]["counts"], 0)
    assert (tmp_path / "run" / "synthetic.jsonl").exists()
    rejected = rows_of(tmp_path / "run" / "rejected.jsonl")
    assert rejected and all(r["judge_output"] for r in rejected if r["stage"] == "candidate")


def test_a_server_that_goes_away_mid_run_ends_with_a_clear_error_and_keeps_what_finished(tmp_path):
    cache = tmp_path / "cache"
    run_dir = tmp_path / "run"
    # Round 1 is 2 prompts + 4 tasks x 2 answers + 8 verdicts = 18 requests; the server dies inside round 2.
    with ChatServer(stop_after=24) as server:
        proc = run_synth(http_args(server, run_dir), tmp_path, cache)
    assert proc.returncode == 2
    log = proc.stdout + proc.stderr
    assert f"{server.base_url}/chat/completions (model 'teacher') failed after 1 retries: ConnectError" in log
    assert "Traceback" not in log
    r = results(run_dir)
    assert r["status"] == "failed" and "ConnectError" in r["error"]
    partial = rows_of(run_dir / "synthetic.jsonl.partial")
    assert len(partial) == r["synth"]["rows"] == 4  # round 1's rows
    assert not (run_dir / "synthetic.jsonl").exists()  # no half dataset under the final name
    assert len(list((cache / "generations").rglob("*.json"))) == len(server.answered)  # every answer kept
    # The server comes back; the same command resumes without asking anything already answered.
    with ChatServer(port=server.port) as again:
        proc = run_synth(http_args(server, tmp_path / "resumed"), tmp_path, cache)
        assert proc.returncode == 0, proc.stderr[-3000:]
    asked_twice = [b for b in again.answered if b in server.answered]
    assert again.requests > 0 and not asked_twice
    assert len(rows_of(tmp_path / "resumed" / "synthetic.jsonl")) == 6


def test_an_interrupted_run_says_so_and_the_same_command_resumes(tmp_path):
    """The interrupt comes from the server on its 10th request, so it lands at the same point of the job however
    slow the machine is (a wall-clock trigger once fired before the job had started, under load). From then on
    the server holds every answer until the job has exited, so what the job received is exactly what came before."""
    cache, env = tmp_path / "cache", {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "SFT_ABLATE_CACHE": str(tmp_path / "cache")}
    job: dict[str, subprocess.Popen] = {}
    requests, held = itertools.count(1), []

    def interrupt_on_the_10th_request(body: dict) -> str:
        if next(requests) >= 10:
            held.append(body)
            if len(held) == 1:
                job["proc"].send_signal(signal.SIGINT)  # Ctrl-C
            job["proc"].wait(timeout=300)  # the job never reads this answer
        return scripted_model(body)

    with ChatServer(responder=interrupt_on_the_10th_request) as server:
        args = http_args(server, tmp_path / "run")
        job["proc"] = proc = subprocess.Popen(
            [sys.executable, "-m", "sft_ablate.synth", *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        log = proc.communicate(timeout=600)[0]
        assert proc.returncode == 130, log[-3000:]
        assert "rerun the same command to resume" in log and "Traceback" not in log
        assert results(tmp_path / "run")["status"] == "interrupted"
        received = [b for b in server.answered if b not in held]
        server.responder = scripted_model
        resumed = run_synth(http_args(server, tmp_path / "again"), tmp_path, cache)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        asked_again = server.answered[len(received) + len(held) :]
    # Asked again: only what was in flight at the interrupt, each a worker's request (2 per backend, generator and
    # judge): the ones held by the server, and answers a worker had read but the job had not stored yet.
    # Distinct requests: a batch may ask the same request twice (the cache answers it once stored).
    distinct = lambda bodies: {json.dumps(b, sort_keys=True) for b in bodies}  # noqa: E731
    unstored = distinct(asked_again) & distinct(received)
    assert len(received) == 9 and len(held) >= 1 and len(distinct(held)) + len(unstored) <= 4, (held, unstored)
    assert len(rows_of(tmp_path / "again" / "synthetic.jsonl")) == 6


def flaky_judge() -> Callable[[dict], str]:
    """Answers sampled with seed 2 get verdicts that cannot be used: malformed, missing a score, out of range, in turn."""
    unusable = itertools.cycle(
        [
            "I liked this answer a lot, well done.",
            '{"helpfulness": 5, "factuality": 4, "reason": "forgot format"}',
            '{"helpfulness": 7, "factuality": 4, "format": 4, "reason": "too generous"}',
        ]
    )
    lock = threading.Lock()

    def respond(body: dict) -> str:
        prompt = body["messages"][-1]["content"]
        if prompt.startswith("Score the answer") and "(seed 2)" in prompt:
            with lock:
                return next(unusable)
        return scripted_model(body)

    return respond


def test_judge_outputs_that_do_not_parse_are_counted_as_rejections(tmp_path):
    with ChatServer(flaky_judge()) as server:
        proc = run_synth(
            http_args(server, tmp_path / "run", "synth.top_k=null", "synth.min_score=1"), tmp_path, tmp_path / "cache"
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = results(tmp_path / "run")["synth"]["counts"]
    unusable = {
        code: counts.get(f"candidate_rejected_judge_{code}", 0) for code in ("malformed", "missing_score", "out_of_range")
    }
    assert sum(unusable.values()) == counts["tasks_kept"]  # exactly the seed-2 candidates
    assert all(unusable.values())  # each kind occurred
    assert counts["accepted"] == counts["tasks_kept"]
    rows = rows_of(tmp_path / "run" / "synthetic.jsonl")
    assert {row["provenance"]["sampling"]["seed"] for row in rows} == {1}
    rejected = rows_of(tmp_path / "run" / "rejected.jsonl")
    judged_out = [r for r in rejected if r["reason"].startswith("judge_")]
    assert len(judged_out) == sum(unusable.values()) and all(r["judge_output"] and r["detail"] for r in judged_out)


def test_weakness_targeting_and_multi_turn(tmp_path):
    weak_run = tmp_path / "trained"
    weak_run.mkdir()
    (weak_run / "results.json").write_text(json.dumps({"status": "complete"}))
    failed = "Convert 26.2 miles to kilometres and round to one decimal."
    (weak_run / "generations.jsonl").write_text(
        json.dumps(
            {
                "source": "human",
                "origin": "h:3",
                "prompt": [{"role": "user", "content": failed}],
                "reference": "26.2 miles is 42.2 km.",
                "base_output": "",
                "output": "I like turtles.",
            }
        )
        + "\n"
    )
    with ChatServer() as server:
        proc = run_synth(
            http_args(
                server,
                tmp_path / "run",
                f"synth.weakness.run_dir={weak_run}",
                "synth.weakness.fraction=1.0",
                "synth.multi_turn.fraction=1.0",
            ),
            tmp_path,
            tmp_path / "cache",
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    task_prompts = [b["messages"][-1]["content"] for b in server.answered if "example tasks" in b["messages"][-1]["content"]]
    assert task_prompts and all(f"A student answered this task badly:\n{failed}" in p for p in task_prompts)
    rows = rows_of(tmp_path / "run" / "synthetic.jsonl")
    for row in rows:
        prov = row["provenance"]
        assert prov["stage"] == "weakness" and prov["seed_task_ids"][0] == f"weak:{weak_run / 'generations.jsonl'}:1"
        assert [m["role"] for m in row["messages"]] == ["user", "assistant", "user", "assistant"]
        assert row["messages"][2]["content"].startswith("And what about") and prov["follow_up"]["score"] >= 3
    assert len(rows) == 6 and results(tmp_path / "run")["synth"]["counts"]["follow_ups_accepted"] >= 6


def test_bad_config_fails_before_anything_runs(tmp_path):
    proc = run_synth(["synth.min_score=7", f"hydra.run.dir={tmp_path / 'run'}"], tmp_path, tmp_path / "cache", timeout=120)
    assert proc.returncode == 2 and "synth.min_score must be between 1 and 5, got 7" in proc.stdout + proc.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_local_tiny_model_runs_every_stage_and_a_rerun_generates_nothing(tmp_path, cache_dir):
    # The tiny model never stops on its own: every answer runs to max_new_tokens and is rejected as truncated,
    # so the job ends incomplete (exit 2) and says so.
    first = run_synth(["synth=tiny", f"hydra.run.dir={tmp_path / 'one'}"], tmp_path, cache_dir)
    printed = first.stdout + first.stderr  # the message goes through Hydra's job log (stdout) and stderr
    assert first.returncode == 2 and "synth made 0 of 4 rows" in printed, printed[-3000:]
    second = run_synth(["synth=tiny", f"hydra.run.dir={tmp_path / 'two'}"], tmp_path, cache_dir)
    assert second.returncode == 2, second.stderr[-3000:]
    one, two = results(tmp_path / "one")["synth"], results(tmp_path / "two")["synth"]
    assert one["counts"]["candidate_rejected_truncated"] == one["counts"]["candidates"] > 0
    assert_every_candidate_is_accounted_for(one["counts"], 0)
    assert one["counts"]["instruction_prompts"] == 8 and one["counts"]["tasks_parsed"] > 0
    assert one["backends"]["model tiny (local)"]["requests"] > 0
    assert two["backends"]["model tiny (local)"] == {"calls": 0, "requests": 0, "retries": 0}
    assert two["counts"] == one["counts"]


@pytest.mark.slow
def test_mix_trains_on_a_synthesized_file(tmp_path, cache_dir):
    """The file synth writes is a synthetic source for `python -m sft_ablate mix=50_50`."""
    with ChatServer() as server:
        proc = run_synth(
            http_args(
                server,
                tmp_path / "synth",
                "synth.target_rows=24",
                "synth.prompts_per_round=4",
                "synth.max_rounds=8",
                f"synth.seed_file={SAMPLE_DATA_DIR / 'seed_tasks.jsonl'}",
            ),
            tmp_path,
            cache_dir,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "synth" / "synthetic.jsonl"
    run_dir = tmp_path / "train"
    proc = run_cli(
        [
            "model=tiny",
            "mix=50_50",
            f"data.sources.synthetic.path={out}",
            "data.budget=32",
            "data.eval_per_source=4",
            "train.max_steps=2",
            "eval.num_generations=2",
            "tracking=none",
            "eval.base_model=false",
            f"hydra.run.dir={run_dir}",
        ],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = results(run_dir)
    assert r["status"] == "complete" and r["data"]["sources"]["synthetic"]["rows_valid"] == 24
    assert r["data"]["sources"]["synthetic"]["rows"] == 16


@pytest.mark.parametrize("option", sorted(p.stem for p in (SYNTH_CONF_DIR / "synth").glob("*.yaml")))
def test_every_synth_option_composes_and_validates(option):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sft_ablate.config import to_config
    from sft_ablate.launch.hydra_setup import register
    from sft_ablate.synth.schema import SynthAppConfig

    register()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(SYNTH_CONF_DIR)):
        config = to_config(compose(config_name="config", overrides=[f"synth={option}"]))
    assert isinstance(config, SynthAppConfig) and config.synth.generators and config.synth.judge.model
    if option == "openai":  # the key comes from an environment variable, by name
        assert config.synth.judge.api_key_env == "OPENAI_API_KEY" and config.synth.judge.kind == "openai"
