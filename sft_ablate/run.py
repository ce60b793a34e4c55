"""One ablation run, top to bottom: data -> model -> tokens -> base eval -> train -> eval -> record."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import set_seed

from sft_ablate.arena.stage import load_prompts, run_arena
from sft_ablate.cache import cached_json, content_key
from sft_ablate.config import Config, factors
from sft_ablate.data.prepare import examples_hash, prepare_data
from sft_ablate.data.report import log_data_report
from sft_ablate.data.tokenization import tokenize_examples
from sft_ablate.evaluation.curve import HeldOutLossCallback
from sft_ablate.evaluation.heldout import generation_prompts, heldout_loss, sample_generations
from sft_ablate.evaluation.lighteval_runner import base_benchmark_scores, record_benchmarks, score_benchmarks
from sft_ablate.evaluation.tasks import resolve_benchmarks
from sft_ablate.io import write_jsonl_atomic
from sft_ablate.record.results import RunRecord, config_hash, environment
from sft_ablate.record.tracking import TrackerCallback, start_tracking
from sft_ablate.training.models import base_model, base_model_dir, check_environment, load_model
from sft_ablate.training.trainer import build_trainer, save_final, torch_threads, train

log = logging.getLogger(__name__)


def run(config: Config, run_dir: Path, run_config: dict[str, Any]) -> dict[str, Any]:
    """Train and evaluate one configuration; returns the final results (also in run_dir/results.json)."""
    device = check_environment(config)  # before anything is loaded: a missing GPU or package fails fast
    torch.set_num_threads(torch_threads(config.train.threads))
    cache_dir = Path(config.paths.cache_dir).expanduser()
    benchmarks = resolve_benchmarks(config.eval, cache_dir)  # a bad task, file or row, or no hub: fail before anything runs
    if config.arena.enabled:
        load_prompts(config.arena, config.judge)  # likewise a bad arena prompt file
    run_factors = factors(config)
    record = RunRecord(
        run_dir, config_hash=config_hash(run_config), factors=run_factors, config=run_config, environment=environment()
    )
    tracker = start_tracking(config, run_dir, run_config, run_factors)
    generations: list[dict[str, Any]] = []
    try:
        with record.running():
            with record.stage("data"):
                data = prepare_data(config)
                write_jsonl_atomic(run_dir / "dropped_rows.jsonl", [vars(bad) for bad in data.dropped])
                record.update("data", data.report)

            with record.stage("model"):
                # The tiny model's tokenizer is trained on every valid row, so all mixes share one base model.
                pool_texts = [m["content"] for s in data.pool.values() for e in s.examples for m in e.messages]
                model_dir = base_model_dir(config.model, cache_dir, pool_texts)
                # Seeded after the base model exists, right before LoRA's initial weights draw from the global
                # generator: whatever building or converting the base consumed, a cold cache trains like a warm one.
                set_seed(config.seed)
                loaded = load_model(config, model_dir, device)
                record.update("model", {"base": loaded.base_dir, "params": loaded.params,
                                        "trainable_params": loaded.trainable_params, "device": device})  # fmt: skip

            with record.stage("tokenize"):
                splits = tokenize_splits(config, data, loaded.tokenizer, cache_dir)
                for name, stats in splits.train.per_source.items():
                    record.results["data"]["sources"][name].update(stats)
                record.update("data", {"train_tokens": splits.train.summary(), "eval_tokens": splits.eval.summary()})
            log_data_report(tracker, record.results["data"], data.train)  # after tokenize: the tables carry token counts

            prompts = generation_prompts(data.eval, config.eval.num_generations)
            base = {"outputs": [""] * len(prompts), "heldout": {}}
            if config.eval.base_model:
                with record.stage("base_eval"):
                    base = evaluate_base(config, loaded, splits, prompts, cache_dir, data.report["eval_hash"])
                    record.update("metrics", {f"base_{k}": base[k] for k in BASE_METRICS})
            base_scores = None
            if benchmarks and config.eval.base_model:
                with record.stage("base_benchmarks"):  # before training: full fine-tuning leaves no base weights
                    base_scores = base_benchmark_scores(config, loaded, benchmarks, cache_dir)

            with record.stage("train"):
                trained = train_model(config, loaded, splits, tracker, run_dir)
                record.update("metrics", {"train_loss": trained.pop("train_loss")})
                record.update("train", trained)

            with record.stage("eval"):
                metrics, generations = evaluate_trained(config, loaded, splits, prompts, base)
                write_jsonl_atomic(run_dir / "generations.jsonl", generations)
                record.update("metrics", metrics)
            if benchmarks:
                with record.stage("benchmarks"):  # the trained model as it is in memory, adapter applied
                    scores = score_benchmarks(loaded.model, loaded.tokenizer, benchmarks, config.eval, loaded.device)
                    record_benchmarks(record, tracker, run_dir, benchmarks, scores, base_scores)
            if config.arena.enabled:
                with record.stage("arena"):  # after eval: the trained model answers, then battles the pool
                    arena = run_arena(config, loaded, run_dir, run_factors, cache_dir)
                    if arena["elo"] is not None:
                        record.update("metrics", {"elo": arena["elo"]})
                    record.update("arena", arena["arena"])
                    board = arena["arena"]["leaderboard"]
                    tracker.table("arena/leaderboard", list(board[0]) if board else [], [list(r.values()) for r in board])
    finally:
        finish_tracking(tracker, record, generations)
    log.info(
        "run %s: eval_loss %.4f (base %s), results in %s",
        record.status,
        record.results["metrics"]["eval_loss"],
        _fmt(record.results["metrics"].get("base_eval_loss")),
        record.path,
    )
    return record.results


# The base model's figures that a run records beside its own, as metrics.base_<name>.
BASE_METRICS = ("eval_loss", "eval_perplexity", "eval_loss_by_source", "eval_perplexity_by_source")


@dataclass
class Splits:
    """The run's token datasets: training rows, held-out rows (with each row's source), external held-out sets."""

    train: Any
    eval: Any
    heldout: dict[str, Any]


def tokenize_splits(config: Config, data: Any, tokenizer: Any, cache_dir: Path) -> Splits:
    max_length = config.train.max_length
    return Splits(
        train=tokenize_examples(data.train, tokenizer, max_length, cache_dir, "train", data.report["train_hash"]),
        eval=tokenize_examples(data.eval, tokenizer, max_length, cache_dir, "eval", data.report["eval_hash"]),
        heldout={
            name: tokenize_examples(rows, tokenizer, max_length, cache_dir, f"heldout set {name}", examples_hash(rows))
            for name, rows in data.heldout.items()
        },
    )


def train_model(config: Config, loaded: Any, splits: Splits, tracker: Any, run_dir: Path) -> dict[str, Any]:
    """TRL's SFTTrainer on the training rows (resuming from a checkpoint if there is one); what training did."""
    callbacks = [TrackerCallback(tracker)]
    if config.train.eval_steps:  # a held-out learning curve, which Optuna's pruner also reads
        curve = HeldOutLossCallback(loaded.model, splits.eval.dataset, config.eval.batch_size,
                                    loaded.tokenizer.pad_token_id, config.train.eval_steps, tracker.log)  # fmt: skip
        callbacks.append(curve)
    result = train(build_trainer(loaded, splits.train.dataset, config, run_dir, callbacks), run_dir)
    if config.train.save_final_model:
        save_final(loaded, run_dir)
    return {
        "train_loss": result.train_loss,
        "steps": result.steps,
        "seconds": round(result.train_seconds, 3),
        "input_tokens": result.input_tokens,
        "tokens_per_second": round(result.tokens_per_second, 1),
        "resumed_from": result.resumed_from,
        **({"heldout_curve": curve.curve} if config.train.eval_steps else {}),
    }


def evaluate_trained(
    config: Config, loaded: Any, splits: Splits, prompts: list, base: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The trained model's held-out losses (pooled, per source, per external set) and its answers beside the base's."""
    batch_size, pad = config.eval.batch_size, loaded.tokenizer.pad_token_id
    held_out = heldout_loss(loaded.model, splits.eval.dataset, batch_size, pad, splits.eval.row_sources)
    external = {name: heldout_loss(loaded.model, s.dataset, batch_size, pad) for name, s in splits.heldout.items()}
    outputs = sample_generations(loaded.model, loaded.tokenizer, prompts, config.eval.max_new_tokens, batch_size)
    generations = [
        {"source": e.source, "origin": e.origin, "prompt": e.messages[:-1], "reference": e.messages[-1]["content"],
         "base_output": b, "output": o}
        for e, b, o in zip(prompts, base["outputs"], outputs)
    ]  # fmt: skip
    metrics = {
        "eval_loss": held_out.loss,
        "eval_perplexity": held_out.perplexity,
        "eval_tokens": held_out.tokens,
        # Per source: a mix ablation moves the pooled loss toward whichever source it favours.
        "eval_loss_by_source": {s: g.loss for s, g in held_out.by_group.items()},
        "eval_perplexity_by_source": {s: g.perplexity for s, g in held_out.by_group.items()},
        "heldout": heldout_metrics(external, base["heldout"]),
    }
    return metrics, generations


def finish_tracking(tracker: Any, record: RunRecord, generations: list[dict[str, Any]]) -> None:
    """Close W&B whatever happened, then record whether tracking worked (a W&B failure never fails a run)."""
    tracker.summary({f"metrics/{k}": v for k, v in record.results["metrics"].items()})
    if record.status == "complete":
        rows = [[g["prompt"][-1]["content"], g["reference"], g["base_output"], g["output"]] for g in generations]
        tracker.table("generations", ["prompt", "reference", "base_output", "output"], rows)
    tracker.finish(exit_code=0 if record.status == "complete" else 1)
    record.update("tracking", tracker.state())  # after finish: a W&B failure anywhere in the run shows here
    record.save()


def evaluate_base(config: Config, loaded, splits: Splits, prompts, cache_dir: Path, eval_hash: str) -> dict[str, Any]:
    """Base-model loss (pooled, per source, per external set) and answers on the held-out rows, computed once per
    (base model, eval sets) and cached."""
    key = content_key(
        "base-eval-v3",
        loaded.base_dir,
        config.model.dtype,
        config.model.chat_template,
        eval_hash,
        splits.eval.row_sources,
        {name: split.dataset["input_ids"] for name, split in splits.heldout.items()},
        config.train.max_length,
        config.eval.max_new_tokens,
        [p.messages for p in prompts],
    )

    def evaluate() -> dict[str, Any]:
        batch_size = config.eval.batch_size
        with base_model(loaded, config.lora.enabled, trained=False) as (model, tokenizer):
            loss = heldout_loss(model, splits.eval.dataset, batch_size, tokenizer.pad_token_id, splits.eval.row_sources)
            external = {
                name: heldout_loss(model, split.dataset, batch_size, tokenizer.pad_token_id)
                for name, split in splits.heldout.items()
            }
            outputs = sample_generations(model, tokenizer, prompts, config.eval.max_new_tokens, batch_size)
        return {
            "eval_loss": loss.loss,
            "eval_perplexity": loss.perplexity,
            "eval_tokens": loss.tokens,
            "eval_loss_by_source": {s: g.loss for s, g in loss.by_group.items()},
            "eval_perplexity_by_source": {s: g.perplexity for s, g in loss.by_group.items()},
            "heldout": {name: {"loss": x.loss, "perplexity": x.perplexity} for name, x in external.items()},
            "outputs": outputs,
        }

    return cached_json(cache_dir / "base_eval" / f"{key}.json", evaluate)


def heldout_metrics(trained: dict, base: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """metrics.heldout.<name>: the trained model's loss and perplexity on each external set, beside the base's."""
    out = {}
    for name, loss in trained.items():
        out[name] = {"loss": loss.loss, "perplexity": loss.perplexity, "tokens": loss.tokens}
        if name in base:
            out[name] |= {"base_loss": base[name]["loss"], "base_perplexity": base[name]["perplexity"]}
    return out


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
