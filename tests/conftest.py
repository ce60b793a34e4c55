"""Shared fixtures: compose the real config (shrunk for speed), a private cache dir, the public data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sft_ablate.config import Config, to_config
from sft_ablate.launch.hydra_setup import register
from sft_ablate.launch.overrides import config_groups, quote_group_values
from sft_ablate.paths import CONF_DIR, PROJECT_ROOT

SHARED_DATA = Path(os.environ.get("SFT_ABLATE_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


def shared_file(relative: str) -> Path:
    """A file of ../shared/data: skip when absent, except under CI=true, where its absence is a failure."""
    path = SHARED_DATA / relative
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the public data file {path} is missing")
        pytest.skip(f"public data {path} not present")
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
