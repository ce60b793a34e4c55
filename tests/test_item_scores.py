"""Per-item scores (item_scores.jsonl): every metric with items in the metric table adds up, from a run's items,
to what the run recorded; the ids are stable; the file is written stage by stage."""

from __future__ import annotations

import json
import math
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

import sft_ablate.arena.metric_specs  # noqa: F401  (registers elo.*)
from sft_ablate.arena.battles import outcomes, scores_by_prompt
from sft_ablate.arena.leaderboard import rounded
from sft_ablate.arena.ratings import fit_bradley_terry
from sft_ablate.arena.stage import prompt_items
from sft_ablate.arena.store import StoredBattle
from sft_ablate.data.tokenization import IGNORE_INDEX
from sft_ablate.errors import ConfigError
from sft_ablate.evaluation.heldout import heldout_loss
from sft_ablate.evaluation.lighteval_runner import benchmark_items
from sft_ablate.evaluation.metric_specs import note_benchmark_directions
from sft_ablate.metrics import ItemScores, MetricSpec, metric_specs, recorded, spec_for
from sft_ablate.record.items import (
    ITEMS_FILE,
    SET_EVAL,
    SET_HELDOUT,
    ItemScoresFile,
    aggregate,
    loss_rows,
    metric_items,
    read_item_scores,
    row_item,
)
from tests.conftest import run_cli


def items_of(path: str, frame) -> float:
    spec, keys = spec_for(path)
    found = metric_items(spec, keys, frame)
    assert found is not None, path
    return aggregate(found)


def tiny_model() -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=50, hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2)
    return LlamaForCausalLM(config)


def token_rows(n: int, offset: int = 0) -> datasets.Dataset:
    rows = []
    for i in range(n):  # rows of different lengths and answer sizes, so the token weighting matters
        ids = [(3 * i + j + offset) % 50 for j in range(5 + i)]
        rows.append({"input_ids": ids, "labels": [IGNORE_INDEX] * 3 + ids[3:]})
    return datasets.Dataset.from_list(rows)


def test_held_out_losses_add_up_exactly_from_their_rows(tmp_path):
    model = tiny_model()
    sources = ["human" if i % 3 else "synthetic" for i in range(7)]
    origins = [f"/data/{s}.jsonl:{i + 1}" for i, s in enumerate(sources)]
    pooled = heldout_loss(model, token_rows(7), batch_size=3, pad_token_id=0, groups=sources)
    external = heldout_loss(model, token_rows(4, offset=7), batch_size=2, pad_token_id=0)
    base = [x + 1.0 for x in pooled.row_nll]
    file = ItemScoresFile(tmp_path)
    file.add(loss_rows(SET_EVAL, sources, origins, pooled.row_nll, pooled.row_tokens, base))
    file.add(loss_rows(SET_HELDOUT, ["math"] * 4, [f"m.jsonl:{i}" for i in range(4)], external.row_nll, external.row_tokens))
    frame = read_item_scores(tmp_path)

    assert items_of("eval_loss", frame) == pooled.loss  # exactly: fsum(nll) / sum(tokens), as the run computed it
    for source, loss in pooled.by_group.items():
        assert items_of(f"eval_loss_by_source.{source}", frame) == loss.loss
    assert items_of("heldout.math.loss", frame) == external.loss
    eval_rows = frame[frame["set"] == SET_EVAL]
    assert list(eval_rows["item"]) == [o.removeprefix("/data/") for o in origins] and list(eval_rows["base_nll"]) == base
    assert frame[frame["set"] == SET_HELDOUT]["base_nll"].isna().all()  # no base scores given, none written
    spec, keys = spec_for("eval_loss_by_source.human")
    found = metric_items(spec, keys, frame)
    assert list(found.columns) == ["group", "item", "value", "weight"] and set(found["group"]) == {"human"}
    assert list(found["weight"]) == [float(t) for s, t in zip(sources, pooled.row_tokens) if s == "human"]


def test_a_rows_item_is_its_origin_less_the_folder():
    assert row_item("/home/me/sft-ablate/sft_ablate/sample_data/human.jsonl:32") == "human.jsonl:32"
    assert row_item("C:/data/x.csv:3") == "x.csv:3"
    assert row_item("hf:org/set[test]#17") == "hf:org/set[test]#17"


def test_loss_rows_refuse_lists_of_different_lengths():
    with pytest.raises(ValueError, match="different lengths"):
        loss_rows(SET_EVAL, ["a", "a"], ["x:1", "x:2"], [1.0, 2.0], [3, 4], base_nll=[1.0])


def benchmark_details() -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for i in range(9):
        logprobs = [round(float(x), 5) for x in rng.normal(-5, 2, size=4)]
        pick = int(np.argmax(logprobs))
        gold = i % 4
        scores = {"acc": int(pick == gold), "acc_norm": bool(i % 2), "f1_corpus": [0.5, 1.0]}
        rows.append({"task": "mc", "id": str(i), "query": "q", "choices": list("abcd"), "gold": gold,
                     "trained": {"logprobs": logprobs, "scores": scores},
                     "base": {"logprobs": logprobs, "scores": {"acc": 1, "acc_norm": 0}}})  # fmt: skip
    for i in range(5):  # a generative task: an output, no log-likelihoods
        rows.append({"task": "gsm", "id": str(i), "query": "q", "choices": ["4"], "gold": 0,
                     "trained": {"output": "4", "scores": {"numeric_match": float(i < 2)}}, "base": None})  # fmt: skip
    return rows


def test_benchmark_items_are_the_details_scores_and_their_mean_is_the_metric(tmp_path):
    details = benchmark_details()
    rows = benchmark_items(details, {"mc": ["acc", "acc_norm"], "gsm": ["numeric_match"]})
    ItemScoresFile(tmp_path).add(rows)
    frame = read_item_scores(tmp_path)
    for task, name in (("mc", "acc"), ("mc", "acc_norm"), ("gsm", "numeric_match")):
        scores = [d["trained"]["scores"][name] for d in details if d["task"] == task]
        assert items_of(f"benchmarks.{task}.{name}", frame) == float(np.mean(scores))  # lighteval's corpus score
    first = rows[0]
    assert first["item"] == "0" and first["group"] == "mc" and first["base_acc"] == 1.0 and first["base_acc_norm"] == 0.0
    assert first["pick"] == int(np.argmax(details[0]["trained"]["logprobs"]))
    assert first["gold_lp"] == details[0]["trained"]["logprobs"][details[0]["gold"]]
    assert "f1_corpus" not in first  # not a mean of items: no per-item scores
    assert "pick" not in rows[-1] and "base_numeric_match" not in rows[-1]
    assert all(len(json.dumps(r)) < 200 for r in rows)  # compact: no query, no choices, no output
    spec, keys = spec_for("benchmarks.mc.acc_stderr")
    assert metric_items(spec, keys, frame) is None  # a standard error has no items


def stored_battles() -> list[StoredBattle]:
    """The run 'me' against the base on 4 prompts x 3 seeds, an opponent's battles, an unparseable and a pending one."""
    verdicts = [("A", "B"), ("A", "A"), ("C", "C"), ("B", "A"), ("B", "B"), ("A", "B")]
    out = []
    for n in range(12):
        ab, ba = verdicts[n % len(verdicts)]
        a, b = ("me", "base/tiny") if n % 5 else ("base/tiny", "me")  # either order in the store
        out.append(StoredBattle(a, b, f"key{n % 4}", n // 4, ab, ba, True, True))
    out.append(StoredBattle("me", "other", "key0", 0, "A", "B", True, True))
    out.append(StoredBattle("other", "base/tiny", "key1", 0, "A", "B", True, True))
    out.append(StoredBattle("me", "base/tiny", "key2", 9, None, "B", True, True))
    out.append(StoredBattle("me", "base/tiny", "key3", 9, "A", None, True, False))
    return out


def test_the_win_rate_is_the_battle_weighted_mean_of_its_prompts(tmp_path):
    battles = outcomes(stored_battles()).battles
    rating = fit_bradley_terry(battles, "base/tiny", bootstrap_rounds=20).ratings
    recorded_rate = rounded(next(r for r in rating if r.model == "me").win_rate_vs_anchor)  # elo_metrics' figure
    prompts = {f"key{i}": {"id": f"q{i}"} for i in range(4)}
    rows = prompt_items(scores_by_prompt(battles, "me", "base/tiny"), prompts)
    ItemScoresFile(tmp_path).add(rows)
    frame = read_item_scores(tmp_path)
    assert round(items_of("elo.win_rate_vs_base", frame), 4) == recorded_rate
    assert sorted(frame["item"]) == ["q0", "q1", "q2", "q3"] and frame["battles"].sum() == 12
    assert {r["item"]: r["battles"] for r in rows} == {"q0": 3, "q1": 3, "q2": 3, "q3": 3}
    assert all(0.0 <= r["win"] <= 1.0 for r in rows)
    # Two stored prompts of one id (other sampling settings) stay apart.
    twice = prompt_items({"k1aaaaaaaa": [1.0], "k2bbbbbbbb": [0.0]}, {"k1aaaaaaaa": {"id": "q"}, "k2bbbbbbbb": {"id": "q"}})
    assert [r["item"] for r in twice] == ["q@k1aaaaaa", "q@k2bbbbbb"]


def test_the_metric_table_says_which_metrics_have_items():
    with_items = {s.path for s in metric_specs() if s.items is not None}
    assert {"eval_loss", "eval_loss_by_source.*", "heldout.*.loss", "benchmarks.*.*", "elo.win_rate_vs_base"} <= with_items
    for path in ("eval_perplexity", "base_eval_loss", "heldout.*.base_loss", "benchmarks.*.*_stderr", "elo.rating"):
        assert path not in with_items, path
    with pytest.raises(ConfigError, match="names a key the path lacks"):
        MetricSpec("x.*", "x {0}", higher_is_better=True, items=ItemScores("eval", "{1}"))


def test_no_file_no_items_and_a_new_attempt_starts_a_new_file(tmp_path):
    assert read_item_scores(tmp_path).empty
    spec, keys = spec_for("eval_loss")
    assert metric_items(spec, keys, read_item_scores(tmp_path)) is None
    (tmp_path / ITEMS_FILE).write_text('{"set": "eval", "group": "old", "item": "x:1", "nll": 1.0, "tokens": 1}\n')
    file = ItemScoresFile(tmp_path)  # a rerun in the same run dir: the earlier attempt's file goes
    assert not (tmp_path / ITEMS_FILE).exists()
    file.add(loss_rows(SET_EVAL, ["h"], ["h.jsonl:1"], [2.0], [4]))
    file.add([])
    file.add(loss_rows(SET_HELDOUT, ["s"], ["s.jsonl:1"], [3.0], [2]))  # rewritten whole, each stage's sets kept
    frame = read_item_scores(tmp_path)
    assert list(frame["set"]) == [SET_EVAL, SET_HELDOUT]
    assert items_of("eval_loss", frame) == 0.5 and items_of("heldout.s.loss", frame) == 1.5
    assert metric_items(*spec_for("heldout.other.loss"), frame) is None  # a set this run did not score


# ---- a real tiny run ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, cache_dir) -> Path:
    run_dir = tmp_path_factory.mktemp("items") / "run"
    proc = run_cli(["model=tiny", "tracking.mode=offline", "mix=50_50", f"hydra.run.dir={run_dir}"], cwd=run_dir.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return run_dir


@pytest.mark.slow
def test_a_runs_items_reproduce_its_recorded_metrics(tiny_run):
    results = json.loads((tiny_run / "results.json").read_text())
    note_benchmark_directions(results)
    frame = read_item_scores(tiny_run)
    checked = set()
    for spec, keys, value in recorded(results["metrics"]):
        if spec.items is None:
            continue
        found = metric_items(spec, keys, frame)
        assert found is not None, spec.path_for(keys)
        total = aggregate(found)
        if spec.path.startswith("elo."):  # results.json keeps the win rate to 4 digits
            assert round(total, 4) == value
        else:
            assert total == value, spec.path_for(keys)  # losses and accuracies: exactly
        assert not found.duplicated(["group", "item"]).any()
        checked.add(".".join(spec.path_for(keys)))
    sources = results["data"]["sources"]
    assert checked >= {"eval_loss", "heldout.seed_tasks.loss", "benchmarks.bundled_mc.acc", "elo.win_rate_vs_base"}
    assert checked >= {f"eval_loss_by_source.{s}" for s in sources}
    eval_rows = frame[frame["set"] == "eval"]
    assert len(eval_rows) == results["data"]["eval_tokens"]["rows"] and eval_rows["base_nll"].notna().all()
    assert eval_rows["item"].str.fullmatch(r"(human|synthetic)\.jsonl:\d+").all()  # the rows' origins, "file:line"
    assert eval_rows["tokens"].sum() == results["metrics"]["eval_tokens"]
    bench = frame[frame["set"] == "bench"]
    assert len(bench) == results["benchmarks"]["tasks"]["bundled_mc"]["items"] and bench["pick"].notna().all()
    arena = frame[frame["set"] == "arena"]
    assert arena["battles"].sum() == results["arena"]["battles"] and 0 < len(arena) <= results["arena"]["prompts"]
    assert all(math.isfinite(x) for x in frame["nll"].dropna())
    assert "item_scores" not in json.dumps(results)  # results.json as it was
