"""Shared fixtures: compose the real config (shrunk for speed), a private cache dir, the public data."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sft_ablate.config import Config, to_config
from sft_ablate.launch.hydra_setup import register
from sft_ablate.launch.overrides import config_groups, quote_group_values
from sft_ablate.paths import CONF_DIR, DATA_DIR_ENV, PROJECT_ROOT

pytest_plugins = ["tests.postgres_server"]  # its `postgres` fixture: a real server for a test module

# The public data of this workspace (../shared/data; CI has it there), read by the tests at these paths.
SHARED_DATA = Path(os.environ.get("SFT_ABLATE_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))

# Its files as the data dir's layout names them (<org>/<name>/<config>/<split>.jsonl: sft_ablate/data/fetch.py).
# GSM8K and MT-Bench are byte for byte what `datasets` loads; ARC-Easy is llm-foundry's copy, turned back into
# the hub's rows (arc_rows), since the task YAML reads those.
SHARED_AS_DATA_DIR = {
    "openai/gsm8k/main/test.jsonl": "benchmarks/gsm8k_test.jsonl",
    "openai/gsm8k/main/train.jsonl": "instructions/gsm8k_train.jsonl",
    "lighteval/mt-bench/default/train.jsonl": "arena/mt_bench_question.jsonl",
    "allenai/ai2_arc/ARC-Easy/test.jsonl": "benchmarks/arc_easy.jsonl",
}


def arc_rows(foundry_rows: list[dict]) -> list[dict]:
    """llm-foundry's ARC rows ({query: "Question: ...", choices, gold}) as allenai/ai2_arc has them."""
    labels = "ABCDE"
    return [
        {
            "id": f"arc_easy_{i}",
            "question": row["query"].removeprefix("Question: "),
            "choices": {"text": row["choices"], "label": list(labels[: len(row["choices"])])},
            "answerKey": labels[row["gold"]],
        }
        for i, row in enumerate(foundry_rows)
    ]


def make_data_dir(shared: Path, out: Path) -> Path:
    """A data dir over the workspace's public data: links, and the one converted file. Missing files stay missing."""
    for name, relative in SHARED_AS_DATA_DIR.items():
        source, dest = shared / relative, out / name
        if not source.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if name.startswith("allenai/ai2_arc/"):
            rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
            dest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in arc_rows(rows)), encoding="utf-8")
        else:
            dest.symlink_to(source)
    return out


# Set at import, before any test composes a config or starts a CLI (they inherit it): the tests never read a
# user's own data dir, and never the hub for these sets.
DATA_DIR = make_data_dir(SHARED_DATA, Path(tempfile.mkdtemp(prefix="sft-ablate-data-")))
atexit.register(shutil.rmtree, DATA_DIR, True)
os.environ[DATA_DIR_ENV] = str(DATA_DIR)


def missing_here(reason: str) -> NoReturn:
    """Something a test needs is not on this machine: skip, except under CI=true, where .ci/run provides
    everything, so its absence is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def shared_file(relative: str) -> Path:
    """A file of ../shared/data: skip when absent, except under CI=true, where its absence is a failure."""
    path = SHARED_DATA / relative
    if not path.exists():
        missing_here(f"the public data file {path} is missing")
    return path


@pytest.fixture(autouse=True, scope="session")
def app_configs_registered() -> None:
    """What every command does first: the schemas, resolvers and sweepers that composing the main config needs."""
    register()


def compose_cfg(overrides: list[str] | None = None):
    """The composed DictConfig, exactly as the CLI would build it (minus the hydra node)."""
    register()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR)):
        return compose(config_name="config", overrides=quote_group_values(overrides or [], config_groups()))


def compose_config(overrides: list[str] | None = None) -> Config:
    return to_config(compose_cfg(overrides))


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """One cache for the whole test session (tiny models, tokenized data); the smollm2 conversion uses the user's."""
    path = tmp_path_factory.mktemp("cache")
    os.environ["SFT_ABLATE_CACHE"] = str(path)
    return path


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `python -m sft_ablate ARGS` the way a user types it."""
    # PYTHONPATH: the package of this checkout, even where another checkout is pip-installed (worktrees).
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(PROJECT_ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sft_ablate", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
