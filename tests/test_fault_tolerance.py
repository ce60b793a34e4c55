"""Fault tolerance, measured on real processes: SIGKILL mid-training then the same command resumes; Ctrl-C stops
cleanly with a checkpoint; results.json is never truncated by a kill; W&B online failing costs only a warning."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sft_ablate.paths import PROJECT_ROOT
from tests.conftest import run_cli

# A small tiny-model run: few rows, short rows, no base-model eval, two sample answers.
SMALL = ["model=tiny", "tracking=none", "data.budget=48", "data.eval_per_source=8", "train.max_length=128",
         "train.batch_size=2", "train.logging_steps=2", "train.save_final_model=false", "eval.base_model=false",
         "eval.num_generations=2", "eval.max_new_tokens=4", "eval.benchmarks=[]"]  # fmt: skip


def results(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())


def start_cli(args: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "sft_ablate", *args], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the run ended (code {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def step_of(checkpoint: str) -> int:
    return int(Path(checkpoint).name.split("-")[1])


@pytest.mark.slow
def test_sigkill_mid_training_then_the_same_command_resumes_and_matches_an_uninterrupted_run(tmp_path, cache_dir):
    args = [*SMALL, "train.max_steps=16", "train.save_steps=4", "train.save_total_limit=4"]
    reference = tmp_path / "reference"
    proc = run_cli([*args, f"hydra.run.dir={reference}"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]

    run_dir = tmp_path / "killed"
    command = [*args, f"hydra.run.dir={run_dir}"]
    proc = start_cli(command, tmp_path, tmp_path / "killed.log")
    wait_for(lambda: (run_dir / "checkpoints" / "checkpoint-8" / "trainer_state.json").exists(), proc, "checkpoint-8")
    proc.send_signal(signal.SIGKILL)  # no handler runs: as a node failure or the OOM killer would do it
    proc.wait()
    assert results(run_dir)["status"] == "running"  # what a kill leaves: the last complete write, readable

    again = run_cli(command, cwd=tmp_path)  # the very same command
    assert again.returncode == 0, again.stderr[-3000:]
    done, ref = results(run_dir), results(reference)
    assert done["status"] == "complete"
    resumed = done["train"]["resumed_from"]
    assert resumed and 8 <= step_of(resumed) < 16  # from its last checkpoint, not from step 0
    assert done["train"]["steps"] == 16
    # Only the steps after the checkpoint were trained again: fewer tokens than the whole run.
    assert 0 < done["train"]["input_tokens"] < ref["train"]["input_tokens"]
    # Tolerance: the resumed run restores weights, optimizer, scheduler, RNG and data order, so it follows the
    # same path; only float summation order may differ. 1e-4 relative on the held-out loss (a changed data
    # order or a restart from scratch moves it by far more at this learning rate).
    assert done["metrics"]["eval_loss"] == pytest.approx(ref["metrics"]["eval_loss"], rel=1e-4)
    assert done["data"]["train_hash"] == ref["data"]["train_hash"]


@pytest.mark.slow
def test_ctrl_c_saves_a_checkpoint_marks_the_run_interrupted_and_exits_non_zero(tmp_path, cache_dir):
    # No periodic checkpoint before step 1000: any checkpoint found was saved because of Ctrl-C.
    command = [*SMALL, "train.max_steps=24", "train.save_steps=1000", f"hydra.run.dir={tmp_path / 'run'}"]
    log = tmp_path / "run.log"
    proc = start_cli(command, tmp_path, log)
    progress = re.compile(r"\b([3-9]|1\d)/24 \[")  # tqdm's bar at step 3 to 19
    wait_for(lambda: progress.search(log.read_text(errors="replace")), proc, "training to reach step 3")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=300) == 130
    output = log.read_text(errors="replace")
    assert "rerun the same command to resume" in output and "Traceback" not in output
    r = results(tmp_path / "run")
    assert r["status"] == "interrupted" and "train" not in r["timings"]
    checkpoints = list((tmp_path / "run" / "checkpoints").glob("checkpoint-*"))
    assert len(checkpoints) == 1 and (checkpoints[0] / "trainer_state.json").exists()
    stopped_at = step_of(checkpoints[0])
    assert 3 <= stopped_at < 24

    again = run_cli(command, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    r = results(tmp_path / "run")
    assert r["status"] == "complete" and r["train"]["steps"] == 24
    assert step_of(r["train"]["resumed_from"]) == stopped_at


WRITER = """
import sys
from pathlib import Path
from sft_ablate.io import write_json_atomic

path, writer, i = Path(sys.argv[1]), int(sys.argv[2]), 0
while True:
    i += 1
    write_json_atomic(path, {"status": "running", "writer": writer, "i": i, "rows": ["x" * 100] * (2000 + i % 7)})
    if i == 1:
        print("wrote", flush=True)
"""


def test_results_json_is_never_truncated_by_a_kill_at_any_moment(tmp_path):
    path = tmp_path / "results.json"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    rng = random.Random(0)
    writes_seen = set()
    for writer in range(8):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(writer)], env=env, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline() == "wrote\n"
        # Kill at a random moment: mid-write, mid-fsync, mid-rename, between writes.
        time.sleep(rng.uniform(0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        record = json.loads(path.read_text())  # whole: either the previous file or the new one
        assert record["writer"] == writer and len(record["rows"]) == 2000 + record["i"] % 7
        writes_seen.add(record["i"])
    assert len(writes_seen) > 1  # the kills did land at different points of the writing
    print(f"last complete write at kill: {sorted(writes_seen)}")


class FailingWandbServer:
    """Answers every W&B API request with HTTP 500, as a broken or overloaded server would."""

    def __enter__(self) -> FailingWandbServer:
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _fail(self) -> None:
                server.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = _fail  # noqa: N815 (http.server's naming)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.slow
def test_wandb_online_failing_costs_a_warning_and_the_run_completes(tmp_path, cache_dir):
    run_dir = tmp_path / "run"
    with FailingWandbServer() as server:
        env = {"WANDB_BASE_URL": server.url, "WANDB_API_KEY": "local-" + "0" * 34, "WANDB_DISABLE_GIT": "true"}
        start = time.monotonic()
        proc = run_cli(
            [*SMALL, "tracking=wandb_online", "tracking.init_timeout=10", "train.max_steps=2", f"hydra.run.dir={run_dir}"],
            cwd=tmp_path,
            env=env,
            timeout=300,
        )
        elapsed = time.monotonic() - start
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert server.requests > 0  # W&B did try the server
    assert "W&B init failed" in output and "recorded in results.json as tracking.status=init_failed" in output
    r = results(run_dir)
    assert r["tracking"]["status"] == "init_failed" and r["tracking"]["error"].startswith("W&B init: ")
    assert r["status"] == "complete" and r["train"]["steps"] == 2 and isinstance(r["metrics"]["eval_loss"], float)
    # Bounded by tracking.init_timeout, not by W&B's own retry schedule (which runs for minutes): a generous
    # bound, well under what a hang would take.
    assert elapsed < 240, f"the run took {elapsed:.0f} s"
