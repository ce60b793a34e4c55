"""The evaluation stage's metrics in the metric table (sft_ablate/metrics.py): held-out losses and benchmarks.

Light on purpose (no torch): the package imports it, so the report and the Optuna sweeper know these metrics
without loading a model.
"""

from __future__ import annotations

from typing import Any

from sft_ablate.metrics import ItemScores, MetricSpec, note_direction, register_metric
from sft_ablate.record.items import SET_BENCH, SET_EVAL, SET_HELDOUT

SOURCES, HELDOUT, BENCHMARKS = ("data.sources",), ("eval.heldout_sets",), ("eval.benchmarks", "<metric>")
# Where the per-item scores are (item_scores.jsonl): a loss is sum(nll) / sum(tokens) over its rows, a benchmark
# score the mean of its items'. Perplexities and the base model's figures have none.
POOLED_ROWS = ItemScores(SET_EVAL, "nll", group=None, weight="tokens")
SOURCE_ROWS, SET_ROWS = ItemScores(SET_EVAL, "nll", weight="tokens"), ItemScores(SET_HELDOUT, "nll", weight="tokens")
TASK_ITEMS = ItemScores(SET_BENCH, "{1}")  # group: the task, value: the metric's name

for spec in (
    MetricSpec("eval_loss", "eval loss", higher_is_better=False, order=1, items=POOLED_ROWS),
    MetricSpec("eval_perplexity", "perplexity", higher_is_better=False, order=2),
    # The base model's figures, beside the trained model's (eval.base_model): recorded, not compared.
    MetricSpec("base_eval_loss", "base eval loss", higher_is_better=False, compare=False, order=4),
    MetricSpec("base_eval_perplexity", "base perplexity", higher_is_better=False, compare=False, order=5),
    # Per source and on external sets: a mix moves the pooled loss toward the source it favours; these do not.
    MetricSpec("eval_loss_by_source.*", "eval loss: {0}", False, order=10, over=SOURCES, items=SOURCE_ROWS),
    MetricSpec("eval_perplexity_by_source.*", "perplexity: {0}", False, compare=False, order=11, over=SOURCES),
    MetricSpec("base_eval_loss_by_source.*", "base eval loss: {0}", False, compare=False, order=12, over=SOURCES),
    MetricSpec("base_eval_perplexity_by_source.*", "base perplexity: {0}", False, compare=False, order=13, over=SOURCES),
    MetricSpec("heldout.*.loss", "{0} loss", higher_is_better=False, order=20, over=HELDOUT, items=SET_ROWS),
    MetricSpec("heldout.*.perplexity", "{0} perplexity", False, compare=False, order=21, over=HELDOUT),
    MetricSpec("heldout.*.base_loss", "{0} base loss", False, compare=False, order=22, over=HELDOUT),
    MetricSpec("heldout.*.base_perplexity", "{0} base perplexity", False, compare=False, order=23, over=HELDOUT),
    # lighteval's metrics, named at run time: each one's direction is lighteval's as the run recorded it
    # (note_benchmark_directions), else the table's default for its name. A score is a rate when every run's is in [0, 1].
    MetricSpec(
        "benchmarks.*.*",
        "{0} {1}",
        None,
        is_rate=True,
        column="bench/*/*",
        order=30,
        by_name=True,
        over=BENCHMARKS,
        items=TASK_ITEMS,
    ),
    MetricSpec("benchmarks.*.*_stderr", "{0} {1}", None, compare=False, column="bench/*/*", order=31, over=BENCHMARKS),
):
    register_metric(spec)


def note_benchmark_directions(results: dict[str, Any]) -> None:
    """Tell the table what lighteval said of each benchmark metric's direction, as a run recorded it in
    results.json (benchmarks.tasks.<task>.higher_is_better; see lighteval_runner.benchmark_results)."""
    for task, info in ((results.get("benchmarks") or {}).get("tasks") or {}).items():
        for name, higher in ((info or {}).get("higher_is_better") or {}).items():
            note_direction(("benchmarks", task, name), higher)
