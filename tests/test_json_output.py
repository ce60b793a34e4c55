"""Every `--json` command prints exactly one JSON document on stdout, also where a library it loads prints to
stdout: with WANDB_MODE=offline and a cold cache, importing transformers' integrations (the reference judge's
embedding model) prints "[INFO] Running in WANDB offline mode"; that goes to stderr."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys

from sft_ablate.arena.external import load_judge
from sft_ablate.arena.judges import judge_hash
from sft_ablate.arena.store import ArenaStore
from sft_ablate.paths import PROJECT_ROOT

PROMPTS = [{"id": f"p{i}", "turns": [f"What is {i} plus {i}?"], "reference": f"{i} plus {i} is {2 * i}.", "answer": None}
           for i in range(4)]  # fmt: skip
JSON_COMMANDS = {"sft_ablate/launch/arena_cli.py"}  # the modules with a --json flag; each is run below


def test_the_json_commands_are_the_ones_tested_here():
    found = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / "sft_ablate").rglob("*.py")
        if re.search(r"add_argument\(\s*\"--json\"", path.read_text())
    }
    assert found == JSON_COMMANDS  # a new --json command: add it to this file


def test_arena_leaderboard_json_with_wandb_offline_and_a_cold_cache_prints_one_document(tmp_path):
    store_file = tmp_path / "arena.sqlite"
    judge = load_judge("reference")
    with ArenaStore(store_file) as store:  # two models that never met: --add-battles judges them, loading the embedder
        store.add_judge(judge_hash(judge), dataclasses.asdict(judge))
        store.add_prompts({p["id"]: p for p in PROMPTS})
        for model, text in {"base": "I do not know", "x": "The sum is"}.items():
            store.add_model(model, "base" if model == "base" else "run", {})
            store.add_generations((model, p["id"], 0, [f"{text} {2 * i}."]) for i, p in enumerate(PROMPTS))
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "WANDB_MODE": "offline",
           "SFT_ABLATE_CACHE": str(tmp_path / "empty-cache")}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "sft_ablate.arena", str(store_file), "--add-battles", "--json", "--bootstrap-rounds", "50"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    document, end = json.JSONDecoder().raw_decode(proc.stdout.lstrip())
    assert proc.stdout.lstrip()[end:].strip() == ""  # nothing before or after the one document
    assert document["judge_calls"] == 2 * len(PROMPTS) and {r["model"] for r in document["leaderboard"]} == {"base", "x"}
    # The stray line was printed, to stderr: the case this test is about really happened.
    assert "Running in WANDB offline mode" in proc.stderr
    assert "adding 4 battles" in proc.stderr
