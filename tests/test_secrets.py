"""Secrets never reach what a run writes; a model's own code runs only when the user says so."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from sft_ablate.errors import ModelError
from tests.conftest import compose_config, run_cli
from tests.test_bad_input import build_model

MODEL_OPTIONS = sorted(p.stem for p in (Path(__file__).resolve().parents[1] / "conf" / "model").glob("*.yaml"))


@pytest.mark.slow
def test_api_keys_appear_in_no_file_a_run_writes(tmp_path, cache_dir):
    keys = {name: f"{name.lower()}-{uuid.uuid4().hex}" for name in ("OPENAI_API_KEY", "WANDB_API_KEY", "HF_TOKEN")}
    run_dir = tmp_path / "run"
    proc = run_cli(["model=tiny", "tracking=wandb_offline", "data.budget=24", "train.max_steps=2",
                    "train.save_steps=1", "eval.num_generations=2", "eval.max_new_tokens=4", f"hydra.run.dir={run_dir}"],
                   cwd=tmp_path, env=keys)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    # What is searched: results.json, config.yaml, .hydra/, checkpoints, final/, the W&B offline run (its
    # run-*.wandb holds the W&B config and metadata), logs.
    assert (run_dir / "config.yaml") in files and list(run_dir.glob("wandb/offline-run-*/run-*.wandb"))
    assert any(p.parent.name == ".hydra" for p in files) and any("checkpoint-" in str(p) for p in files)
    leaks = [(name, str(p)) for p in files for name, value in keys.items() if value.encode() in p.read_bytes()]
    assert not leaks
    assert not any(value in proc.stdout + proc.stderr for value in keys.values())  # nor in what it printed


@pytest.mark.parametrize("option", MODEL_OPTIONS)
def test_trust_remote_code_is_off_in_every_shipped_model(option):
    assert compose_config([f"model={option}"]).model.trust_remote_code is False


def test_a_models_own_code_runs_only_with_trust_remote_code(tmp_path):
    from sft_ablate.training.models import load_model

    model_dir = build_model("custom_code", tmp_path / "model")
    overrides = ["model=tiny", "lora=none", "model.kind=pretrained", f"model.path={model_dir}"]
    refused, trusted = compose_config(overrides), compose_config([*overrides, "model.trust_remote_code=true"])
    with pytest.raises(ModelError, match="ships its own Python code"):
        load_model(refused.model, refused.lora, str(model_dir), "cpu")
    assert not (model_dir / "CODE_RAN").exists()
    loaded = load_model(trusted.model, trusted.lora, str(model_dir), "cpu")
    assert (model_dir / "CODE_RAN").exists() and type(loaded.model).__name__ == "CustomModel"
