"""Same command, same seed, same numbers, whatever the cache holds: a run on an empty cache (the base model is
built or converted during the run) and the next run on the now warm cache give identical metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.slow

# Small settings: the point is the random state at the start of training, not a good model.
SMALL = ["tracking.mode=offline", "arena=none", "eval.num_generations=1", "data.budget=16", "train.max_steps=2"]


# Every shipped model that runs offline. Benchmarks (cached base scores included) are in tiny's runs; SmolLM2 runs
# without them (three lighteval passes, ~80 s each on a busy 2-core machine): its point is the GGUF conversion on the cold run.
@pytest.mark.parametrize("model, more", [("tiny", []), ("smollm2_135m", ["eval.benchmarks=[]"])])
def test_cold_and_warm_cache_give_identical_metrics(model, more, tmp_path):
    cache = tmp_path / "cache"  # empty: this run builds (tiny) or converts (SmolLM2's GGUF) the base model
    metrics = []
    for attempt in ("cold", "warm"):
        run_dir = tmp_path / attempt
        overrides = [f"model={model}", *SMALL, *more, f"hydra.run.dir={run_dir}"]
        proc = run_cli(overrides, cwd=tmp_path, env={"SFT_ABLATE_CACHE": str(cache)})
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "FutureWarning" not in proc.stdout + proc.stderr  # a real model's load is as quiet as tiny's
        metrics.append(json.loads((run_dir / "results.json").read_text())["metrics"])
    cold, warm = metrics
    assert cold["train_loss"] == warm["train_loss"]
    assert cold["eval_loss"] == warm["eval_loss"]


def test_gguf_conversion_leaves_the_global_random_state_alone(tmp_path):
    """The cause of the cold/warm difference: converting the GGUF drew random initial weights from the global
    torch generator, so LoRA's initial weights came from another state on the first run."""
    import torch

    from sft_ablate.training.models import convert_gguf
    from tests.conftest import compose_config

    config = compose_config(["model=smollm2_135m"])
    torch.manual_seed(0)
    before = torch.get_rng_state().clone()
    assert convert_gguf(config.model, Path(tmp_path)).joinpath("config.json").exists()
    assert torch.equal(before, torch.get_rng_state())
