"""evaluation.lighteval_model: a question read once for all its choices scores what lighteval's own path scores."""

from __future__ import annotations

import pytest

from tests.conftest import compose_config


def test_shared_context_scores_equal_lighteval_own_path(tmp_path, cache_dir, monkeypatch):
    from sft_ablate.data.prepare import prepare_data
    from sft_ablate.evaluation.lighteval_compat import keep_grad_mode
    from sft_ablate.evaluation.lighteval_runner import score_benchmarks
    from sft_ablate.evaluation.tasks import resolve_benchmarks
    from sft_ablate.run import data_stage_inputs
    from sft_ablate.training.models import base_model_dir, load_model

    config = compose_config(["model=tiny", "eval.benchmarks=[bundled_mc]", "eval.max_samples=24"])
    tasks = resolve_benchmarks(config.eval, cache_dir)
    data = prepare_data(data_stage_inputs(config))
    texts = [m["content"] for s in data.pool.values() for e in s.examples for m in e.messages]
    loaded = load_model(config.model, config.lora, base_model_dir(config.model, cache_dir, texts), "cpu")

    shared = score_benchmarks(loaded.model, loaded.tokenizer, tasks, config.eval, "cpu")["bundled_mc"]
    with keep_grad_mode():  # importing lighteval's model module switches autograd off
        from lighteval.models.transformers.transformers_model import TransformersModel

        from sft_ablate.evaluation import lighteval_model
    monkeypatch.setattr(lighteval_model.SharedContextModel, "_loglikelihood_tokens", TransformersModel._loglikelihood_tokens)
    own = score_benchmarks(loaded.model, loaded.tokenizer, tasks, config.eval, "cpu")["bundled_mc"]

    assert len(shared["details"]) == len(own["details"]) == 24
    for ours, theirs in zip(shared["details"], own["details"]):
        assert ours["id"] == theirs["id"]
        assert ours["logprobs"] == pytest.approx(theirs["logprobs"], abs=1e-3)
        assert ours["scores"] == theirs["scores"]
    assert shared["metrics"] == own["metrics"]
    import torch

    assert torch.is_grad_enabled()
