"""The metric table (sft_ablate/metrics.py): one place says which way each metric is better, and the report, the
Optuna sweeper and the run all read it. A metric registered here, as a user's plugin module would, reaches them all."""

from __future__ import annotations

import json

import pytest

from sft_ablate.errors import ConfigError
from sft_ablate.evaluation.heldout import answers
from sft_ablate.launch.optuna_sweeper import check_objective, known_objectives
from sft_ablate.metrics import Answer, MetricSpec, compute_metrics, register_metric, spec_for
from sft_ablate.report import build_report
from sft_ablate.report.runs import Metric, find_runs, metric_by_name, metrics_in, runs_frame
from tests.conftest import compose_cfg
from tests.report_runs import write_run


def mean_words(rows: list[Answer]) -> float | None:
    return sum(len(a.output.split()) for a in rows) / len(rows) if rows else None


# What a plugin module does: one spec, one function. Shorter answers are "better" here only to show the direction.
register_metric(MetricSpec("answers.mean_words", "mean answer words", higher_is_better=False), compute=mean_words)


def test_a_computed_metric_is_recorded_reported_and_an_optuna_objective(tmp_path):
    generations = [
        {"source": "human", "prompt": [{"role": "user", "content": "q"}], "reference": "r", "base_output": "b", "output": o}
        for o in ("one two three", "one")
    ]  # as run.py writes generations.jsonl
    metrics = compute_metrics(answers(generations), into={"eval_loss": 2.0})
    assert metrics == {"eval_loss": 2.0, "answers": {"mean_words": 2.0}}

    for mix, words in (("30_70", 9.0), ("70_30", 4.0)):
        for seed in (0, 1):
            run = write_run(tmp_path, f"{mix}_s{seed}", mix=mix, seed=seed, eval_loss=2.5)
            results = json.loads((run / "results.json").read_text())
            results["metrics"]["answers"] = {"mean_words": words + seed}
            (run / "results.json").write_text(json.dumps(results))
    frame = runs_frame(find_runs(tmp_path))
    assert metrics_in(frame)[-1] == Metric("answers/mean_words", "mean answer words", higher_is_better=False)
    assert metric_by_name(frame, "metrics.answers.mean_words").column == "answers/mean_words"
    assert "| mean answer words" in build_report(tmp_path).markdown.read_text()

    config = compose_cfg(["model=tiny"])
    assert "metrics.answers.mean_words" in known_objectives(config)
    check_objective("metrics.answers.mean_words", "minimize", config)
    with pytest.raises(ConfigError, match="is better when lower: set hydra.sweeper.direction=minimize"):
        check_objective("metrics.answers.mean_words", "maximize", config)


def test_a_benchmark_metric_takes_its_recorded_direction_else_the_default_for_its_name(tmp_path):
    for mix in ("30_70", "70_30"):
        run = write_run(tmp_path, mix, mix=mix, seed=0, eval_loss=2.5,
                        benchmarks={"table_task": {"bleu": 20.0, "word_perplexity": 9.0, "acc": 0.5, "acc_stderr": 0.1}})  # fmt: skip
        results = json.loads((run / "results.json").read_text())
        results["benchmarks"] = {"tasks": {"table_task": {"higher_is_better": {"bleu": False}}}}  # as lighteval said
        (run / "results.json").write_text(json.dumps(results))
    bench = {m.column: m for m in metrics_in(runs_frame(find_runs(tmp_path))) if m.column.startswith("bench/")}
    assert bench == {
        "bench/table_task/acc": Metric("bench/table_task/acc", "table_task acc", True, rate=True),
        "bench/table_task/bleu": Metric("bench/table_task/bleu", "table_task bleu", False),  # recorded, not guessed
        "bench/table_task/word_perplexity": Metric("bench/table_task/word_perplexity", "table_task word_perplexity", False),
    }  # and the standard error is no metric of its own
    assert spec_for("metrics.benchmarks.other.acc_stderr")[0].higher_is_better is None
    assert spec_for(("benchmarks", "evals/legal.yaml", "acc"))[1] == ("evals/legal.yaml", "acc")  # a dotted task name


def test_a_metric_registered_twice_differently_is_an_error():
    same = MetricSpec("eval_loss", "eval loss", higher_is_better=False, order=1, items=spec_for("eval_loss")[0].items)
    register_metric(same)  # the same again: fine
    with pytest.raises(ConfigError, match="registered twice"):
        register_metric(MetricSpec("eval_loss", "eval loss", higher_is_better=True, order=1))
