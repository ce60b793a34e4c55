"""Named studies in sweeps/: each composes; a rerun skips complete runs and redoes the rest."""

from __future__ import annotations

import copy
import dataclasses
import json
import time

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sft_ablate.errors import ConfigError
from sft_ablate.identity import completed_results, run_identity
from sft_ablate.launch.hydra_setup import register
from sft_ablate.launch.overrides import config_groups, quote_group_values
from sft_ablate.paths import CONF_DIR, SWEEPS_DIR
from tests.conftest import compose_config, run_cli

SWEEPS = sorted(p.stem for p in SWEEPS_DIR.glob("*.yaml"))
HAS_DIVERSITY = (CONF_DIR / "diversity").is_dir()  # the diversity group arrives with another branch
SMALL = [
    "model=tiny",
    "tracking=none",
    "data.budget=16",
    "data.eval_per_source=4",
    "train.max_steps=2",
    "eval.num_generations=1",
    "eval.max_new_tokens=4",
    "eval.base_model=false",
    "eval.benchmarks=[]",  # each run's lighteval pass cost ~10 s; benchmarks have their own tests
    "train.save_steps=1",
]


def compose_sweep(name: str, overrides: list[str]):
    register()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR)):
        return compose(
            config_name="config",
            return_hydra_config=True,
            overrides=quote_group_values([f"+sweep={name}", "model=tiny", *overrides], config_groups()),
        )


def test_the_issue_studies_are_shipped():
    assert {"mix_ratio", "diversity", "quantity", "lora", "optuna_mix"} <= set(SWEEPS)


@pytest.mark.parametrize("name", SWEEPS)
def test_every_sweep_composes_with_a_fixed_dir_named_after_its_study(name):
    if name == "diversity" and not HAS_DIVERSITY:
        pytest.skip("conf/diversity/ is not in this checkout yet")
    extra = [] if HAS_DIVERSITY or name != "optuna_mix" else ["~hydra.sweeper.params.diversity"]
    cfg = compose_sweep(name, extra)
    assert cfg.study == name
    assert cfg.hydra.sweep.dir == f"outputs/sweeps/{name}/tiny"  # no timestamp: a rerun finds its runs
    assert cfg.hydra.sweeper.params, "a study sweeps something"
    # Every level of every swept config group exists.
    for key, values in cfg.hydra.sweeper.params.items():
        if key in config_groups():
            for value in str(values).removeprefix("choice(").rstrip(")").split(","):
                compose_sweep(name, [*extra, *quote_group_values([f"{key}={value.strip()}"], config_groups())])


def run_config(*overrides: str) -> dict:
    """The resolved config a run records, for these overrides."""
    return dataclasses.asdict(compose_config(["model=tiny", *overrides]))


def record(run_dir, config: dict, status: str = "complete") -> None:
    (run_dir / "results.json").write_text(json.dumps({"status": status, "config": config, "metrics": {}}))


def test_complete_run_of_the_same_config_is_returned_others_are_redone(tmp_path):
    config = run_config()
    record(tmp_path, config)
    assert completed_results(tmp_path, config)["status"] == "complete"
    for status in ("failed", "running", "interrupted", "pruned"):
        record(tmp_path, config, status)
        assert completed_results(tmp_path, config) is None
    assert completed_results(tmp_path / "nothing_here", config) is None


def test_a_run_dir_is_never_reused_for_another_config(tmp_path):
    record(tmp_path, run_config("seed=1"))
    with pytest.raises(ConfigError, match=r"holds a complete run of another config \(seed: 1 there, the default here\)"):
        completed_results(tmp_path, run_config())


def test_force_replaces_the_run_in_a_dir(tmp_path):
    record(tmp_path, run_config("seed=1"))
    (tmp_path / "checkpoints" / "checkpoint-2").mkdir(parents=True)
    assert completed_results(tmp_path, run_config("force=true")) is None
    assert not (tmp_path / "results.json").exists() and not (tmp_path / "checkpoints").exists()


def test_a_new_field_at_its_default_keeps_an_older_release_s_runs_valid(tmp_path):
    """A run recorded before a field existed is the same run as today's at that field's default."""
    today = run_config()
    older = copy.deepcopy(today)
    del older["force"], older["train"]["learning_rate"]  # as if these fields came with a later release
    older["train"]["gone_field"] = 3  # a field a later release removed: still part of the old run's identity
    record(
        tmp_path,
        {k: v for k, v in older.items() if k != "train"}
        | {"train": {k: v for k, v in today["train"].items() if k != "learning_rate"}},
    )
    # learning_rate is not at the schema's default in model=tiny, so its absence from the record is a different run
    with pytest.raises(ConfigError, match="train.learning_rate"):
        completed_results(tmp_path, today)
    record(tmp_path, {k: v for k, v in today.items() if k not in ("force", "tracking", "paths")})
    assert completed_results(tmp_path, today)["status"] == "complete"
    record(tmp_path, today | {"force": False, "tracking": {"project": "elsewhere"}})  # incidental: same run
    assert completed_results(tmp_path, today)["status"] == "complete"
    assert run_identity(today) == run_identity({k: v for k, v in today.items() if k != "force"})
    record(tmp_path, older)
    with pytest.raises(ConfigError, match="train.gone_field: 3 there"):
        completed_results(tmp_path, today)


@pytest.mark.slow
def test_rerun_of_a_sweep_skips_complete_runs_and_redoes_a_failed_one(tmp_path, cache_dir):
    sweep = tmp_path / "sweep"
    args = ["-m", "+sweep=mix_ratio", *SMALL, "mix=30_70,70_30", "seed=0", f"hydra.sweep.dir={sweep}"]
    first = run_cli(args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    runs = {p.parent.name: p.parent for p in sweep.glob("*/results.json")}
    assert sorted(runs) == ["30_70_s0", "70_30_s0"]
    stamps = {name: (d / "results.json").stat().st_mtime_ns for name, d in runs.items()}

    start = time.perf_counter()
    second = run_cli(args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.count("skipped:") + second.stderr.count("skipped:") == 2
    assert {name: (d / "results.json").stat().st_mtime_ns for name, d in runs.items()} == stamps
    print(f"rerun of 2 complete runs: {time.perf_counter() - start:.1f} s")

    # A run that failed (or was killed) is redone; its neighbour is still skipped.
    failed = json.loads((runs["70_30_s0"] / "results.json").read_text()) | {"status": "failed"}
    (runs["70_30_s0"] / "results.json").write_text(json.dumps(failed))
    third = run_cli(args, cwd=tmp_path)
    assert third.returncode == 0, third.stderr[-3000:]
    log = third.stdout + third.stderr
    assert log.count("skipped:") == 1 and "run complete" in log
    assert json.loads((runs["70_30_s0"] / "results.json").read_text())["status"] == "complete"
