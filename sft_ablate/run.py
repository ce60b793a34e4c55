"""One ablation run, top to bottom: data -> model -> tokens -> base eval -> train -> eval -> record."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase, set_seed

from sft_ablate.arena.prompts import load_prompts
from sft_ablate.arena.stage import run_arena
from sft_ablate.cache import cached_json, content_key
from sft_ablate.config import Config
from sft_ablate.data.filters.decontaminate import with_eval_prompts
from sft_ablate.data.prepare import DataStageInputs, PreparedData, examples_hash, prepare_data
from sft_ablate.data.profile import length_histograms, profile_tables, train_diversity
from sft_ablate.data.schema import synthetic_fraction
from sft_ablate.data.sources import Example
from sft_ablate.data.tokenization import TokenizedSplit, tokenize_examples
from sft_ablate.evaluation.curve import HeldOutLossCallback, active_trial_reporter
from sft_ablate.evaluation.heldout import HeldOutLoss, answers, generation_prompts, heldout_loss, sample_generations
from sft_ablate.evaluation.lighteval_runner import (
    DETAILS_FILE,
    TABLE_COLUMNS,
    base_benchmark_scores,
    benchmark_results,
    score_benchmarks,
)
from sft_ablate.evaluation.tasks import BenchmarkTask, benchmark_eval_prompts, resolve_benchmarks
from sft_ablate.identity import config_hash
from sft_ablate.io import write_jsonl_atomic
from sft_ablate.metrics import compute_metrics
from sft_ablate.record.items import SET_EVAL, SET_HELDOUT, ItemScoresFile, loss_rows
from sft_ablate.record.results import RunRecord, environment
from sft_ablate.record.summary import summary_lines
from sft_ablate.record.tracking import Tracker, TrackerCallback, start_tracking
from sft_ablate.training.models import LoadedModel, base_model, base_model_dir, check_environment, load_model, merged_adapter
from sft_ablate.training.trainer import build_trainer, save_final, torch_threads, train

log = logging.getLogger(__name__)


def run(config: Config, run_dir: Path, run_config: dict[str, Any]) -> dict[str, Any]:
    """Train and evaluate one configuration; returns the final results (also in run_dir/results.json)."""
    device = check_environment(config.train, config.lora)  # before anything is loaded: a missing GPU or package fails fast
    torch.set_num_threads(torch_threads(config.train.threads))
    cache_dir = Path(config.paths.cache_dir).expanduser()
    benchmarks = resolve_benchmarks(config.eval, cache_dir)  # a bad task, file or row, or no hub: fail before anything runs
    if config.arena.enabled:
        load_prompts(config.arena, config.judge)  # likewise a bad arena prompt file
    run_factors = factors(config)
    record = RunRecord(
        run_dir, config_hash=config_hash(run_config), factors=run_factors, config=run_config, environment=environment()
    )
    tracker = start_tracking(config.tracking, config.study, run_dir, run_config, run_factors)
    items = ItemScoresFile(run_dir)  # item_scores.jsonl: the eval, benchmark and arena stages add their items
    generations: list[dict[str, Any]] = []
    try:
        with record.running():
            data = data_stage(config, record, run_dir)
            loaded = model_stage(config, record, data, device, cache_dir)
            splits = tokenize_stage(config, record, data, loaded, cache_dir)
            log_data_profile(tracker, record.results["data"], data.train)  # after tokenize: the tables carry token counts
            prompts = generation_prompts(data.eval, config.eval.num_generations)
            base = base_eval_stage(config, record, loaded, splits, prompts, data.report["eval_hash"], cache_dir)
            base_scores = base_benchmarks_stage(config, record, loaded, benchmarks, cache_dir)
            train_stage(config, record, loaded, splits, tracker, run_dir)
            with merged_adapter(loaded, config.lora):  # inference from here on
                generations = eval_stage(config, record, loaded, splits, prompts, base, run_dir, items)
                if benchmarks:
                    benchmarks_stage(config, record, loaded, benchmarks, base_scores, tracker, run_dir, items)
                if config.arena.enabled:
                    arena_stage(config, record, loaded, tracker, run_dir, run_factors, cache_dir, items)
    finally:
        finish_tracking(tracker, record, generations)
    log.info("%s", "\n  ".join(summary_lines(record.results, run_dir)))  # losses, scores, arena, time, where
    return record.results


# ---- the stages, in the order run() calls them: each records what it found


def data_stage(config: Config, record: RunRecord, run_dir: Path) -> PreparedData:
    with record.stage("data"):
        data = prepare_data(data_stage_inputs(config))
        write_jsonl_atomic(run_dir / "dropped_rows.jsonl", [vars(bad) for bad in data.dropped])
        record.update("data", data.report)
    return data


def model_stage(config: Config, record: RunRecord, data: PreparedData, device: str, cache_dir: Path) -> LoadedModel:
    with record.stage("model"):
        # The tiny model's tokenizer is trained on every valid row, so all mixes share one base model.
        pool_texts = [m["content"] for s in data.pool.values() for e in s.examples for m in e.messages]
        model_dir = base_model_dir(config.model, cache_dir, pool_texts)
        # Seeded after the base model exists, right before LoRA's initial weights draw from the global
        # generator: whatever building or converting the base consumed, a cold cache trains like a warm one.
        set_seed(config.seed)
        loaded = load_model(config.model, config.lora, model_dir, device)
        record.update("model", {"base": loaded.base_dir, "params": loaded.params,
                                "trainable_params": loaded.trainable_params, "device": device})  # fmt: skip
    return loaded


def tokenize_stage(config: Config, record: RunRecord, data: PreparedData, loaded: LoadedModel, cache_dir: Path) -> Splits:
    with record.stage("tokenize"):
        splits = tokenize_splits(config, data, loaded.tokenizer, cache_dir)
        for name, stats in splits.train.per_source.items():
            record.results["data"]["sources"][name].update(stats)
        record.update("data", {"train_tokens": splits.train.summary(), "eval_tokens": splits.eval.summary()})
    return splits


def base_eval_stage(
    config: Config, record: RunRecord, loaded: LoadedModel, splits: Splits, prompts: list[Example], eval_hash: str,
    cache_dir: Path,
) -> dict[str, Any]:  # fmt: skip
    """The base model's losses and answers (cached), or empty answers when eval.base_model is off."""
    if not config.eval.base_model:
        return {"outputs": [""] * len(prompts), "heldout": {}}
    with record.stage("base_eval"):
        base = evaluate_base(config, loaded, splits, prompts, cache_dir, eval_hash)
        record.update("metrics", {f"base_{k}": base[k] for k in BASE_METRICS})
    return base


def base_benchmarks_stage(
    config: Config, record: RunRecord, loaded: LoadedModel, benchmarks: list[BenchmarkTask], cache_dir: Path
) -> dict[str, dict[str, Any]] | None:
    if not (benchmarks and config.eval.base_model):
        return None
    with record.stage("base_benchmarks"):  # before training: full fine-tuning leaves no base weights
        return base_benchmark_scores(config.eval, config.lora.enabled, loaded, benchmarks, cache_dir)


def train_stage(config: Config, record: RunRecord, loaded: LoadedModel, splits: Splits, tracker: Tracker, run_dir: Path) -> None:
    with record.stage("train"):
        trained = train_model(config, loaded, splits, tracker, run_dir)
        record.update("metrics", {"train_loss": trained.pop("train_loss")})
        record.update("train", trained)


def eval_stage(
    config: Config, record: RunRecord, loaded: LoadedModel, splits: Splits, prompts: list[Example],
    base: dict[str, Any], run_dir: Path, items: ItemScoresFile,
) -> list[dict[str, Any]]:  # fmt: skip
    with record.stage("eval"):
        metrics, generations, rows = evaluate_trained(config, loaded, splits, prompts, base)
        write_jsonl_atomic(run_dir / "generations.jsonl", generations)
        items.add(rows)
        compute_metrics(answers(generations), into=metrics)  # the registered metrics of the answers
        record.update("metrics", metrics)
    return generations


def benchmarks_stage(
    config: Config, record: RunRecord, loaded: LoadedModel, benchmarks: list[BenchmarkTask],
    base_scores: dict[str, dict[str, Any]] | None, tracker: Tracker, run_dir: Path, items: ItemScoresFile,
) -> None:  # fmt: skip
    with record.stage("benchmarks"):  # the trained model as it is in memory, adapter applied
        scores = score_benchmarks(loaded.model, loaded.tokenizer, benchmarks, config.eval, loaded.device)
        found = benchmark_results(benchmarks, scores, base_scores)
        record.update("metrics", found.metrics)
        record.update("benchmarks", found.summary)
        write_jsonl_atomic(run_dir / DETAILS_FILE, found.details)
        items.add(found.items)
        tracker.log(found.flat())
        tracker.table("benchmarks", TABLE_COLUMNS, found.table)


def arena_stage(
    config: Config, record: RunRecord, loaded: LoadedModel, tracker: Tracker, run_dir: Path,
    run_factors: dict[str, Any], cache_dir: Path, items: ItemScoresFile,
) -> None:  # fmt: skip
    with record.stage("arena"):  # after eval: the trained model answers, then battles the pool
        arena = run_arena(config.arena, config.judge, loaded, config.lora.enabled, run_dir, run_factors, cache_dir)
        items.add(arena.items)
        if arena.elo is not None:
            record.update("metrics", {"elo": arena.elo})
        record.update("arena", arena.summary)
        board = arena.leaderboard
        tracker.table("arena/leaderboard", list(board[0]) if board else [], [list(r.values()) for r in board])


def factors(config: Config) -> dict[str, Any]:
    """The known factors of a run, recorded in results.json and tagged in W&B (with the keys the run's command line
    set: tracking.py). Not what a study varies: the report finds that among its runs' identities, where any
    setting that differs is a factor (report/runs.py: study_factors); these are read only for runs without a config."""
    return {
        "mix": config.mix.name,
        "synthetic_fraction": synthetic_fraction(config.mix, config.data.sources),
        "model": config.model.name,
        "lora": config.lora.name,
        "lora_r": config.lora.r if config.lora.enabled else 0,
        "learning_rate": config.train.learning_rate,
        "budget": config.data.budget,
        "diversity": config.diversity.name,
        "seed": config.seed,
    }


def data_stage_inputs(config: Config) -> DataStageInputs:
    """What the data stage reads of a run's config."""
    return DataStageInputs(
        data=config.data,
        mix=config.mix,
        quality=with_eval_prompts(config.quality, benchmark_eval_prompts(config.eval)),  # no training on what is evaluated
        diversity=config.diversity,
        heldout_sets=config.eval.heldout_sets,
        seed=config.seed,
        cache_dir=Path(config.paths.cache_dir).expanduser(),
    )


def log_data_profile(tracker: Tracker, data: dict[str, Any], train: list[Example]) -> None:
    """The run's data profile in W&B: four tables, length histograms, and the train set's diversity in the summary."""
    if not tracker.active:
        return
    tables = {f"data/{name}": table for name, table in profile_tables(data).items()}
    tracker.tables_and_histograms(tables, {f"data/{key}": values for key, values in length_histograms(train).items()})
    tracker.summary({f"data/diversity/{key}": value for key, value in train_diversity(data).items()})


# The base model's figures that a run records beside its own, as metrics.base_<name>.
BASE_METRICS = ("eval_loss", "eval_perplexity", "eval_loss_by_source", "eval_perplexity_by_source")


@dataclass
class Splits:
    """The run's token datasets: training rows, held-out rows (with each row's source), external held-out sets;
    and each held-out row's origin ("path:line"): its item in item_scores.jsonl."""

    train: TokenizedSplit
    eval: TokenizedSplit
    heldout: dict[str, TokenizedSplit]
    eval_origins: list[str]
    heldout_origins: dict[str, list[str]]


def tokenize_splits(config: Config, data: PreparedData, tokenizer: PreTrainedTokenizerBase, cache_dir: Path) -> Splits:
    max_length = config.train.max_length
    train = tokenize_examples(data.train, tokenizer, max_length, cache_dir, "train", data.report["train_hash"])
    eval_split = tokenize_examples(data.eval, tokenizer, max_length, cache_dir, "eval", data.report["eval_hash"])
    heldout = {
        name: tokenize_examples(rows, tokenizer, max_length, cache_dir, f"heldout set {name}", examples_hash(rows))
        for name, rows in data.heldout.items()
    }
    return Splits(
        train=train,
        eval=eval_split,
        heldout=heldout,
        eval_origins=[data.eval[i].origin for i in eval_split.row_index],
        heldout_origins={name: [data.heldout[name][i].origin for i in s.row_index] for name, s in heldout.items()},
    )


def train_model(config: Config, loaded: LoadedModel, splits: Splits, tracker: Tracker, run_dir: Path) -> dict[str, Any]:
    """TRL's SFTTrainer on the training rows (resuming from a checkpoint if there is one); what training did."""
    callbacks = [TrackerCallback(tracker)]
    if config.train.eval_steps:  # a held-out learning curve, which Optuna's pruner also reads
        curve = HeldOutLossCallback(loaded.model, splits.eval.dataset, config.eval.batch_size,
                                    loaded.tokenizer.pad_token_id, config.train.eval_steps, tracker.log,
                                    reporter=active_trial_reporter())  # fmt: skip
        callbacks.append(curve)
    result = train(build_trainer(loaded, splits.train.dataset, config.train, config.seed, run_dir, callbacks), run_dir)
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
    config: Config, loaded: LoadedModel, splits: Splits, prompts: list[Example], base: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The trained model's held-out losses (pooled, per source, per external set), its answers beside the base's,
    and item_scores.jsonl's rows of the held-out rows."""
    batch_size = config.eval.batch_size
    figures, pooled, external = held_out_losses(loaded.model, loaded.tokenizer.pad_token_id, splits, batch_size)
    outputs = sample_generations(loaded.model, loaded.tokenizer, prompts, config.eval.max_new_tokens, batch_size)
    generations = [
        {"source": e.source, "origin": e.origin, "prompt": e.messages[:-1], "reference": e.messages[-1]["content"],
         "base_output": b, "output": o}
        for e, b, o in zip(prompts, base["outputs"], outputs)
    ]  # fmt: skip
    rows = heldout_items(splits, pooled, external, base.get("row_nll") or {})
    return {**figures, "heldout": heldout_metrics(external, base["heldout"])}, generations, rows


def heldout_items(
    splits: Splits, pooled: HeldOutLoss, external: dict[str, HeldOutLoss], base_nll: dict[str, Any]
) -> list[dict[str, Any]]:
    """item_scores.jsonl's rows of the eval rows (by source) and of each external set: NLL and tokens per row, and
    the base model's NLL where the run scored it (``base_nll``: evaluate_base's row_nll)."""
    rows = loss_rows(SET_EVAL, splits.eval.row_sources, splits.eval_origins, pooled.row_nll, pooled.row_tokens,
                     base_nll.get("eval"))  # fmt: skip
    for name, loss in external.items():
        rows += loss_rows(SET_HELDOUT, [name] * len(loss.row_nll), splits.heldout_origins[name], loss.row_nll,
                          loss.row_tokens, (base_nll.get("heldout") or {}).get(name))  # fmt: skip
    return rows


def held_out_losses(
    model: PreTrainedModel, pad_token_id: int, splits: Splits, batch_size: int
) -> tuple[dict[str, Any], HeldOutLoss, dict[str, HeldOutLoss]]:
    """The loss on the held-out rows (the figures, pooled and per source; and the pooled result, with its rows'),
    and the loss on each external held-out set."""
    pooled = heldout_loss(model, splits.eval.dataset, batch_size, pad_token_id, splits.eval.row_sources)
    external = {name: heldout_loss(model, s.dataset, batch_size, pad_token_id) for name, s in splits.heldout.items()}
    figures = {
        "eval_loss": pooled.loss,
        "eval_perplexity": pooled.perplexity,
        "eval_tokens": pooled.tokens,
        # Per source: a mix ablation moves the pooled loss toward whichever source it favours.
        "eval_loss_by_source": {s: g.loss for s, g in pooled.by_group.items()},
        "eval_perplexity_by_source": {s: g.perplexity for s, g in pooled.by_group.items()},
    }
    return figures, pooled, external


def finish_tracking(tracker: Tracker, record: RunRecord, generations: list[dict[str, Any]]) -> None:
    """Close W&B whatever happened, then record whether tracking worked (a W&B failure never fails a run)."""
    tracker.summary({f"metrics/{k}": v for k, v in record.results["metrics"].items()})
    if record.status == "complete":
        rows = [[g["prompt"][-1]["content"], g["reference"], g["base_output"], g["output"]] for g in generations]
        tracker.table("generations", ["prompt", "reference", "base_output", "output"], rows)
    tracker.finish(exit_code=0 if record.status == "complete" else 1)
    record.update("tracking", tracker.state())  # after finish: a W&B failure anywhere in the run shows here
    record.save()


def evaluate_base(
    config: Config, loaded: LoadedModel, splits: Splits, prompts: list[Example], cache_dir: Path, eval_hash: str
) -> dict[str, Any]:
    """Base-model loss (pooled, per source, per external set) and answers on the held-out rows, computed once per
    (base model, eval sets) and cached."""
    key = content_key(
        "base-eval-v4",  # v4: each row's NLL (row_nll), for item_scores.jsonl
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
            figures, pooled, external = held_out_losses(model, tokenizer.pad_token_id, splits, batch_size)
            outputs = sample_generations(model, tokenizer, prompts, config.eval.max_new_tokens, batch_size)
        heldout = {name: {"loss": x.loss, "perplexity": x.perplexity} for name, x in external.items()}
        row_nll = {"eval": pooled.row_nll, "heldout": {name: x.row_nll for name, x in external.items()}}
        return {**figures, "heldout": heldout, "outputs": outputs, "row_nll": row_nll}

    return cached_json(cache_dir / "base_eval" / f"{key}.json", evaluate)


def heldout_metrics(trained: dict, base: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """metrics.heldout.<name>: the trained model's loss and perplexity on each external set, beside the base's."""
    out = {}
    for name, loss in trained.items():
        out[name] = {"loss": loss.loss, "perplexity": loss.perplexity, "tokens": loss.tokens}
        if name in base:
            out[name] |= {"base_loss": base[name]["loss"], "base_perplexity": base[name]["perplexity"]}
    return out
