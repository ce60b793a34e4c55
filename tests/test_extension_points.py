"""A judge, a quality filter and a metric added from outside the package (tests/plugin_example.py) with no edit
to sft_ablate: each is its module plus, for the judge and the filter, one YAML in the user's config dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sft_ablate.arena.judges.base import JUDGES, Matchup, make_judge
from sft_ablate.data.filters import QUALITY_FILTERS
from sft_ablate.data.quality import apply_filters
from sft_ablate.data.sources import Example
from sft_ablate.errors import ConfigError
from sft_ablate.metrics import Answer, compute_metrics, spec_for
from tests import plugin_example
from tests.conftest import run_cli

JUDGE_YAML = "defaults: [longer_schema, _self_]\nname: longer\ntie_words: 1\n"
# Capitals above 8% of an answer's letters: a few bundled rows (acronyms, code, titles) have that many.
QUALITY_YAML = """defaults: [schema, _self_]
filters: [exact_dedup, no_shouting]
no_shouting:
  max_upper_fraction: 0.08
"""


def user_config_dir(root: Path) -> Path:
    (root / "judge").mkdir(parents=True)
    (root / "quality").mkdir()
    (root / "judge" / "longer.yaml").write_text(JUDGE_YAML)
    (root / "quality" / "no_shouting.yaml").write_text(QUALITY_YAML)
    return root


def row(answer: str, source: str = "human") -> Example:
    return Example([{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": answer}], source, "t:1")


def test_the_plugins_register_where_the_package_looks():
    assert "longer" in JUDGES.names() and "no_shouting" in QUALITY_FILTERS.names()
    judge = make_judge(plugin_example.LongerJudgeConfig(name="longer"), Path("/nonexistent"))
    battles = [Matchup(("q",), None, None, ("one two three four",), ("one",)), Matchup(("q",), None, None, ("a",), ("b",))]
    assert [j.verdict for j in judge.judge(battles)] == ["A", "C"]
    assert spec_for("metrics.answers.mean_words")[0].higher_is_better is False
    answers = [Answer("human", "q", "r", "one two", ""), Answer("human", "q", "r", "one two three four", "")]
    assert compute_metrics(answers) == {"answers": {"mean_words": 3.0}}


def test_a_plugin_filter_runs_in_its_place_in_the_list():
    from sft_ablate.config import Config  # noqa: F401  (the quality schema is built from the registered filters)
    from sft_ablate.data.quality import quality_schema

    schema = quality_schema()
    settings = schema(filters=["no_shouting"], no_shouting=plugin_example.NoShoutingConfig(max_upper_fraction=0.5))
    result = apply_filters({"human": [row("hello there"), row("HELLO THERE")]}, settings)
    assert [e.messages[-1]["content"] for e in result.kept["human"]] == ["hello there"]
    assert result.removed["human"]["no_shouting"] == 1


def test_an_unknown_judge_or_filter_lists_the_registered_ones():
    with pytest.raises(ConfigError, match=r"unknown judge 'nope' \(registered: .*llm.*reference"):
        JUDGES.get("nope")
    with pytest.raises(ConfigError, match=r"unknown quality filter 'nope' \(registered: .*near_dedup"):
        QUALITY_FILTERS.get("nope")


@pytest.mark.slow
def test_a_tiny_run_with_a_users_judge_filter_and_metric(tmp_path, cache_dir):
    conf = user_config_dir(tmp_path / "my_conf")
    run_dir = tmp_path / "run"
    args = ["--config-dir", str(conf), "model=tiny", "tracking=none", "judge=longer", "quality=no_shouting",
            "data.budget=32", "data.eval_per_source=4", "train.max_steps=2", "eval.num_generations=4",
            "eval.max_new_tokens=8", "eval.benchmarks=[]", "arena.max_prompts=4", f"hydra.run.dir={run_dir}"]  # fmt: skip
    proc = run_cli(args, cwd=tmp_path, env={"SFT_ABLATE_PLUGINS": "tests.plugin_example"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert results["config"]["judge"] == {"name": "longer", "kind": "longer", "tie_words": 1}
    assert results["arena"]["judge"] == "longer" and results["metrics"]["elo"]["rating"] is not None
    removed = {source: stats["removed"] for source, stats in results["data"]["sources"].items()}
    assert all(set(r) == {"exact_dedup", "no_shouting"} for r in removed.values())
    assert sum(r["no_shouting"] for r in removed.values()) > 0
    outputs = [json.loads(line)["output"] for line in (run_dir / "generations.jsonl").read_text().splitlines()]
    assert results["metrics"]["answers"]["mean_words"] == pytest.approx(plugin_example.mean_words_of(outputs))

    # Without the plugin module the same command fails at composition, naming what is missing.
    proc = run_cli(args, cwd=tmp_path)
    assert proc.returncode != 0 and "longer_schema" in proc.stderr
