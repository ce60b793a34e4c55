"""Benchmarks: lighteval's own Pipeline on the model in memory, base-model scores cached.

The trained model is evaluated as it is in memory (a PeftModel with its adapter applied); nothing is
reloaded from disk. The base model is the same module with the adapter switched off (or, for full
fine-tuning, the model before training), and its scores are cached by content under
paths.cache_dir/benchmarks/base: per task, keyed by the base weights, the task's definition and data,
and the settings. The stage returns what run.py records (BenchmarkResults): results.json gets, per task
string of eval.benchmarks:
  metrics.benchmarks.<task>.<metric>         (and <metric>_stderr where lighteval gives one)
  metrics.base_benchmarks.<task>.<metric>    (with eval.base_model)
  metrics.benchmarks_delta.<task>.<metric>   trained minus base
  benchmarks.tasks.<task>.higher_is_better   lighteval's direction of each metric, which the report reads
and benchmark_details.jsonl holds every scored item, base and trained side by side; item_scores.jsonl gets each
item's scores from those rows, compact (benchmark_items).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import tempfile
import types
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from sft_ablate.cache import content_key
from sft_ablate.evaluation.answers import PARSER_VERSION
from sft_ablate.evaluation.lighteval_compat import keep_grad_mode, quiet_lighteval, registry_of
from sft_ablate.evaluation.schema import EvalConfig
from sft_ablate.evaluation.tasks import BenchmarkTask, extract_number
from sft_ablate.io import read_json, write_json_atomic
from sft_ablate.record.items import SET_BENCH
from sft_ablate.training.models import base_model

log = logging.getLogger(__name__)

DETAILS_FILE = "benchmark_details.jsonl"


def score_benchmarks(
    model, tokenizer, tasks: list[BenchmarkTask], eval_cfg: EvalConfig, device: str
) -> dict[str, dict[str, Any]]:
    """Run lighteval's Pipeline on `model` as it is. Returns {task request: {"metrics", "details"}}."""
    was_training = model.training
    with keep_grad_mode(), quiet_lighteval(), tempfile.TemporaryDirectory(prefix="sft-ablate-lighteval-") as scratch_dir:
        from lighteval.logging.evaluation_tracker import EvaluationTracker
        from lighteval.models.transformers.transformers_model import TransformersModelConfig
        from lighteval.pipeline import ParallelismManager, Pipeline, PipelineParameters

        from sft_ablate.evaluation.lighteval_model import SharedContextModel

        scratch = Path(scratch_dir)
        # lighteval loads the tokenizer by path: give it ours, with the chat template the model was trained on.
        tokenizer.save_pretrained(scratch / "model")
        chat = {} if eval_cfg.benchmark_chat_template is None else {"override_chat_template": eval_cfg.benchmark_chat_template}
        model_config = TransformersModelConfig(
            # lighteval's sample cache is keyed by model name and settings, not by weights, and lives under
            # cache_dir/model_name (inside the model's own folder when the name is a path), so a model
            # retrained into the same folder would get the old answers. Both point into this scratch
            # folder, deleted after the call; reuse across runs is our own cache, keyed by content.
            model_name=str(scratch / "model"),
            cache_dir=str(scratch / "cache"),
            device=device,
            batch_size=eval_cfg.benchmark_batch_size,  # never None: lighteval would probe from 512 down
            **chat,
        )
        params = PipelineParameters(
            launcher_type=ParallelismManager.NONE,
            custom_tasks_directory=local_task_module(tasks),
            max_samples=eval_cfg.max_samples,  # local tasks are already cut to their first rows; hub tasks: a seeded sample
        )
        with registry_of(sorted({t.builtin_module for t in tasks if t.builtin_module})):
            pipeline = Pipeline(
                tasks=",".join(t.lighteval_string for t in tasks),
                pipeline_parameters=params,
                evaluation_tracker=EvaluationTracker(output_dir=str(scratch / "results"), save_details=False),
                model=SharedContextModel.from_model(model, model_config),  # a question read once for all its choices
            )
        pipeline.evaluate()
        results, details = pipeline.get_results()["results"], pipeline.get_details()
        # Only the task's own metrics: lighteval averages tasks named alike ("mmlu:*") and, doing so,
        # writes 0 into a task for every metric that only the others have.
        own = {t.request: set(pipeline.tasks_dict[t.lighteval_string].aggregation()) for t in tasks}
        directions = {t.request: _directions(pipeline.tasks_dict[t.lighteval_string]) for t in tasks}
        by_items = {t.request: _means_of_items(pipeline.tasks_dict[t.lighteval_string]) for t in tasks}
    model.train(was_training)
    return {
        t.request: {
            "metrics": {
                k: float(v)
                for k, v in results[t.lighteval_string.replace("|", ":")].items()
                if k.removesuffix("_stderr") in own[t.request]
            },  # fmt: skip
            "higher_is_better": {k: v for k, v in directions[t.request].items() if k in own[t.request]},
            "item_metrics": sorted(by_items[t.request] & own[t.request]),  # the means of the items' scores
            "details": sorted((_detail(d) for d in details[t.lighteval_string]), key=lambda row: int(row["id"])),
        }
        for t in tasks
    }


def _directions(task) -> dict[str, bool]:
    """lighteval's word on which way each of a task's metrics is better (a grouped metric says it per name)."""
    out = {}
    for metric in task.metrics:
        names = metric.metric_name if isinstance(metric.metric_name, list) else [metric.metric_name]
        higher = metric.higher_is_better
        out |= {name: bool(higher[name] if isinstance(higher, dict) else higher) for name in names
                if not isinstance(higher, dict) or name in higher}  # fmt: skip
    return out


def _means_of_items(task) -> set[str]:
    """The task's metrics whose corpus score is the mean of the items' (accuracy, exact match; not a corpus F1)."""
    return {name for name, fn in task.aggregation().items() if getattr(fn, "__name__", "") == "mean"}


def local_task_module(tasks: list[BenchmarkTask]) -> types.ModuleType:
    """The local tasks as a lighteval custom-task module (a TASKS_TABLE of LightevalTaskConfig)."""
    from lighteval.tasks.lighteval_task import LightevalTaskConfig

    module = types.ModuleType("sft_ablate_local_benchmarks")
    module.TASKS_TABLE = []
    for task in tasks:
        if task.local is None:
            continue
        spec = task.local.spec
        has_fewshots = bool(task.local.fewshot_rows)
        module.TASKS_TABLE.append(
            LightevalTaskConfig(
                name=task.name,
                prompt_function=functools.partial(_doc, instruction=spec.instruction or None),
                hf_repo=str(task.data_dir),  # a local folder with test.jsonl (and train.jsonl): see materialize()
                hf_subset="default",
                hf_avail_splits=["test", "train"] if has_fewshots else ["test"],
                evaluation_splits=["test"],
                # Without few-shot rows no k > 0 gets here (benchmark_tasks refuses it); naming the split
                # only keeps lighteval from warning that it would draw examples from the test rows.
                few_shots_split="train" if has_fewshots else "test",
                few_shots_select="random_sampling_from_train" if has_fewshots else None,
                metrics=_metrics(spec),
                generation_size=spec.generation_size if spec.kind == "generative" else 1,
                stop_sequence=list(spec.stop_sequences),
            )
        )
    return module


def _doc(line: dict[str, Any], task_name: str | None = None, instruction: str | None = None):
    from lighteval.tasks.requests import Doc

    return Doc(task_name=task_name, query=line["query"], choices=line["choices"], gold_index=line["gold"],
               instruction=instruction)  # fmt: skip


def _metrics(spec) -> list:
    import numpy as np
    from lighteval.metrics.metrics import Metrics
    from lighteval.metrics.metrics_sample import ExactMatches, LoglikelihoodAcc
    from lighteval.metrics.normalizations import LogProbCharNorm
    from lighteval.metrics.utils.metric_utils import SampleLevelMetric
    from lighteval.tasks.requests import SamplingMethod

    if spec.kind == "multiple_choice":
        # acc: the choice with the highest log-probability; acc_norm: per character, so long choices are not
        # penalised for their length (a new instance: calling Metrics.loglikelihood_acc(...) would change it for all).
        acc_norm = SampleLevelMetric(
            metric_name="acc_norm",
            sample_level_fn=LoglikelihoodAcc(logprob_normalization=LogProbCharNorm(ignore_first_space=True)),
            category=SamplingMethod.LOGPROBS,
            corpus_level_fn=np.mean,
            higher_is_better=True,
        )
        return [Metrics.loglikelihood_acc, acc_norm]
    if spec.answer == "exact":
        return [Metrics.exact_match]

    def numeric(text: str) -> str:  # a named function: lighteval prints metric settings by __name__
        return numeric_answer(text, spec.answer_marker)

    return [
        SampleLevelMetric(
            metric_name="numeric_match",
            sample_level_fn=ExactMatches(normalize_gold=numeric, normalize_pred=numeric, strip_strings=True),
            category=SamplingMethod.GENERATIVE,
            corpus_level_fn=np.mean,
            higher_is_better=True,
        )
    ]


def numeric_answer(text: str, marker: str | None) -> str:
    """A text's answer number for an exact comparison; no number gives "" (which matches no reference)."""
    return extract_number(text, marker) or ""


def _detail(detail) -> dict[str, Any]:
    doc, response = detail.doc, detail.model_response
    row = {"id": doc.id, "query": doc.query, "choices": doc.choices, "gold": doc.gold_index, "scores": detail.metric}
    if response.text:
        row["output"] = response.final_text[0] if response.final_text else response.text[0]
    else:
        row["logprobs"] = [round(float(x), 5) for x in response.logprobs]
    return row


# ---- the base model, once per (base weights, task, settings) ---------------------------------------


def base_benchmark_scores(
    eval_cfg: EvalConfig, lora_enabled: bool, loaded, tasks: list[BenchmarkTask], cache_dir: Path
) -> dict[str, dict[str, Any]]:
    """Base-model scores per task, from the cache or computed now (before training changes the weights)."""
    paths = {t.request: cache_dir / "benchmarks" / "base" / f"{base_key(eval_cfg, loaded, t)}.json" for t in tasks}
    scores = {t.request: {**read_json(paths[t.request]), "cached": True} for t in tasks if paths[t.request].exists()}
    missing = [t for t in tasks if t.request not in scores]
    if missing:
        with base_model(loaded, lora_enabled, trained=False) as (model, tokenizer):
            fresh = score_benchmarks(model, tokenizer, missing, eval_cfg, loaded.device)
        for task in missing:
            write_json_atomic(paths[task.request], fresh[task.request])
            scores[task.request] = {**fresh[task.request], "cached": False}
    return scores


def base_key(eval_cfg: EvalConfig, loaded, task: BenchmarkTask) -> str:
    return content_key(
        "base-benchmark-v2",  # v2: choices scored after one read of the question (float noise apart, the same)
        PARSER_VERSION,  # numeric tasks score what answers.final_number reads
        weights_identity(loaded.base_dir),
        getattr(loaded.model.config, "_commit_hash", None),  # hub models: the revision that was loaded
        loaded.model_config.dtype,
        loaded.device,
        hashlib.sha256((loaded.tokenizer.chat_template or "").encode()).hexdigest(),
        task.identity,
        eval_cfg.max_samples,
        eval_cfg.benchmark_chat_template,
        metadata.version("lighteval"),
    )


def weights_identity(base_dir: str) -> Any:
    """What tells base weights apart: a local folder's files (name, size, mtime), else the hub id."""
    path = Path(base_dir)
    if not path.is_dir():
        return base_dir
    return sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in path.iterdir() if f.is_file())


# ---- what the stage found, for run.py to record ------------------------------------------------------

TABLE_COLUMNS = ["task", "metric", "base", "trained", "delta"]  # W&B's "benchmarks" table


@dataclass
class BenchmarkResults:
    metrics: dict[str, Any]  # results.json metrics: benchmarks, base_benchmarks, benchmarks_delta ({task: {metric: x}})
    summary: dict[str, Any]  # results.json benchmarks: each task described, whether base scores came from the cache
    details: list[dict[str, Any]]  # DETAILS_FILE's rows: every scored item, base and trained side by side
    table: list[list[Any]]  # W&B's table (TABLE_COLUMNS): one row per task and metric, standard errors left out
    items: list[dict[str, Any]] = field(default_factory=list)  # item_scores.jsonl's rows (benchmark_items)

    def flat(self) -> dict[str, float]:
        """The metrics as W&B logs them: <section>/<task>/<metric>."""
        return {f"{section}/{task}/{name}": value for section, per_task in self.metrics.items()
                for task, values in per_task.items() for name, value in values.items()}  # fmt: skip


def benchmark_results(tasks: list[BenchmarkTask], trained: dict[str, dict], base: dict[str, dict] | None) -> BenchmarkResults:
    """The trained scores beside the base's: what results.json, benchmark_details.jsonl and W&B get."""
    metrics: dict[str, Any] = {"benchmarks": {t.request: trained[t.request]["metrics"] for t in tasks}}
    if base is not None:
        metrics["base_benchmarks"] = {t.request: base[t.request]["metrics"] for t in tasks}
        metrics["benchmarks_delta"] = {t.request: delta(trained[t.request]["metrics"], base[t.request]["metrics"]) for t in tasks}
    summary = {
        "tasks": {t.request: describe(t, len(trained[t.request]["details"]), trained[t.request].get("higher_is_better"))
                  for t in tasks},
        "base_from_cache": {t.request: base[t.request]["cached"] for t in tasks} if base is not None else None,
        "details": DETAILS_FILE,
    }  # fmt: skip
    rows = [[t.request, name, base[t.request]["metrics"].get(name) if base else None, value,
             metrics["benchmarks_delta"][t.request].get(name) if base else None]
            for t in tasks for name, value in trained[t.request]["metrics"].items() if not name.endswith("_stderr")]  # fmt: skip
    for t in tasks:
        log.info("benchmark %s: %s", t.request, ", ".join(
            f"{k} {v:.4f}" + (f" (base {base[t.request]['metrics'][k]:.4f})" if base else "")
            for k, v in trained[t.request]["metrics"].items() if not k.endswith("_stderr")))  # fmt: skip
    details = details_rows(tasks, trained, base)
    item_metrics = {t.request: trained[t.request].get("item_metrics") for t in tasks}
    return BenchmarkResults(metrics, summary, details, rows, benchmark_items(details, item_metrics))


def delta(trained: dict[str, float], base: dict[str, float]) -> dict[str, float]:
    return {k: v - base[k] for k, v in trained.items() if not k.endswith("_stderr") and k in base}


def describe(task: BenchmarkTask, evaluated: int, higher_is_better: dict[str, bool] | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {"lighteval_task": task.lighteval_string, "items": evaluated}
    if higher_is_better:  # lighteval's word on each metric's direction: the report's metric table reads it
        info["higher_is_better"] = higher_is_better
    if task.local is not None:
        spec = task.local.spec
        info.update({"kind": spec.kind, "task_file": str(task.local.source), "data": spec.path,
                     "data_sha256": task.identity["data"], "rows_in_file": task.local.total_rows})  # fmt: skip
    else:
        info.update({"kind": "lighteval", "hf_repo": task.identity["hf_repo"], "hf_subset": task.identity["hf_subset"]})
    return info


def details_rows(tasks: list[BenchmarkTask], trained: dict[str, dict], base: dict[str, dict] | None) -> list[dict]:
    rows = []
    for t in tasks:
        base_by_id = {d["id"]: d for d in base[t.request]["details"]} if base is not None else {}
        for item in trained[t.request]["details"]:
            answer = {k: item[k] for k in ("output", "logprobs", "scores") if k in item}
            before = base_by_id.get(item["id"], {})
            rows.append({"task": t.request, "id": item["id"], "query": item["query"], "choices": item["choices"],
                         "gold": item["gold"], "trained": answer,
                         "base": {k: before[k] for k in ("output", "logprobs", "scores") if k in before} or None})  # fmt: skip
    return rows


def benchmark_items(details: list[dict], item_metrics: dict[str, list[str] | None]) -> list[dict[str, Any]]:
    """item_scores.jsonl's rows of the benchmarks, from the details rows: per item, its score on each metric whose
    corpus score is the items' mean (``item_metrics``, per task; None: every numeric score), the choice of highest
    log-likelihood and the gold choice's log-likelihood (multiple choice), and the base model's scores."""
    rows = []
    for detail in details:
        names = item_metrics.get(detail["task"])
        row: dict[str, Any] = {"set": SET_BENCH, "group": detail["task"], "item": str(detail["id"])}
        row |= _item_scores(detail["trained"].get("scores"), names)
        logprobs = detail["trained"].get("logprobs")
        if logprobs:
            row["pick"] = max(range(len(logprobs)), key=logprobs.__getitem__)
            gold = detail["gold"][0] if isinstance(detail["gold"], list) and len(detail["gold"]) == 1 else detail["gold"]
            if isinstance(gold, int) and 0 <= gold < len(logprobs):
                row["gold_lp"] = logprobs[gold]
        row |= {f"base_{k}": v for k, v in _item_scores((detail["base"] or {}).get("scores"), names).items()}
        rows.append(row)
    return rows


def _item_scores(scores: dict[str, Any] | None, names: list[str] | None) -> dict[str, float]:
    out = {}
    for name, value in (scores or {}).items():
        value = value.item() if hasattr(value, "item") else value  # numpy scalars
        if (names is None or name in names) and isinstance(value, (int, float)) and math.isfinite(value):
            out[name] = float(value)
    return out
