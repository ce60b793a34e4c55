"""An arena that decides: the reference judge is not fooled by echo, empty or shuffled answers; the local LLM
judge always gives a verdict; CIs are over prompts and on differences; external answers enter by the CLI."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from sft_ablate.arena import __main__ as arena_cli
from sft_ablate.arena.battles import play
from sft_ablate.arena.external import PromptFields, load_prompt_file
from sft_ablate.arena.judges import Matchup
from sft_ablate.arena.judges.llm import LLMJudge, LlmJudgeConfig
from sft_ablate.arena.judges.reference import ReferenceJudge, ReferenceJudgeConfig, degenerate, echo_share
from sft_ablate.arena.prompts import load_prompts
from sft_ablate.arena.ratings import Battle, fit_bradley_terry
from sft_ablate.arena.validation import KNOWN_ORDER, shuffled, truncate, write_degraded_answers
from sft_ablate.errors import DataError
from sft_ablate.generation.backends import load_local_backend
from sft_ablate.generation.schema import BackendConfig
from sft_ablate.paths import SAMPLE_DATA_DIR
from tests.conftest import compose_config, shared_file

REFERENCE = ReferenceJudgeConfig(name="reference", kind="reference")


# ---- the reference judge sees the question --------------------------------------------------------------------


def test_echo_share_counts_the_answers_trigrams_found_in_the_question():
    question = "How many eggs does Janet sell at the market every day?"
    assert echo_share("How many eggs does Janet sell at the market every day?", question) == 1.0
    assert echo_share("Janet sells 9 eggs a day, so she makes 18 dollars.", question) == 0.0
    assert degenerate("", question, 0.5) == "empty" and degenerate("  ...  ", question, 0.5) == "empty"
    assert degenerate("how many eggs does Janet sell? 9", question, 0.5).startswith("echo")
    assert degenerate("She sells 9 eggs.", question, 0.5) is None


def test_an_echo_with_the_right_number_still_loses_to_a_real_wrong_answer(cache_dir):
    question = "Tom has 3 apples and buys 4 more. How many apples does Tom have? Answer 7 if unsure."
    echo = "Tom has 3 apples and buys 4 more. How many apples does Tom have? Answer 7"
    real = "He has 3 + 4 = 8 apples."  # wrong, but an answer
    judge = ReferenceJudge(REFERENCE, cache_dir)
    verdicts = judge.judge(
        [
            Matchup((question,), None, "7", (echo,), (real,)),
            Matchup((question,), None, "7", (real,), (echo,)),
            Matchup((question,), None, "7", ("",), (real,)),
            Matchup((question,), None, "7", ("",), (echo,)),  # two degenerate answers: a tie
            Matchup((question,), None, "7", ("3 + 4 = 7",), (real,)),  # both real: correctness decides
        ]
    )
    assert [v.verdict for v in verdicts] == ["B", "A", "B", "C", "A"]
    assert "echo" in verdicts[0].raw


@pytest.mark.slow  # loads all-MiniLM (sentence-transformers): 5-30 s on a busy machine
def test_planted_echo_empty_and_shuffled_answers_lose_to_real_answers(tmp_path, cache_dir):
    """On the 24 bundled prompts: 'real' is each reference answer cut to half its words (a weak answer); the
    planted ones are the question itself, the question with 'Sure!' added, nothing, and another prompt's full
    reference answer (a good answer to the wrong question)."""
    config = compose_config()
    prompts, _ = load_prompts(dataclasses.replace(config.arena, max_prompts=None), config.judge)
    real = [truncate(p.reference, 0.5) for p in prompts]
    planted = {
        "echo": [p.turns[-1] for p in prompts],
        "echo_sure": [f"Sure! {p.turns[-1]}" for p in prompts],
        "empty": ["" for _ in prompts],
        "shuffled": shuffled([p.reference for p in prompts], seed=0),
    }
    judge = ReferenceJudge(REFERENCE, cache_dir)
    real_wins = {}
    for name, answers in planted.items():
        matchups = [Matchup(p.turns, p.reference, p.answer, (r,), (a,)) for p, r, a in zip(prompts, real, answers)]
        swapped = [Matchup(p.turns, p.reference, p.answer, (a,), (r,)) for p, r, a in zip(prompts, real, answers)]
        ab, ba = judge.judge(matchups), judge.judge(swapped)
        wins = sum(x.verdict == "A" and y.verdict == "B" for x, y in zip(ab, ba))
        losses = sum(x.verdict == "B" and y.verdict == "A" for x, y in zip(ab, ba))
        real_wins[name] = (wins, losses)
    print(f"real answers vs planted ones, (wins, losses) of {len(prompts)}: {real_wins}")
    for name, (_, losses) in real_wins.items():
        assert losses == 0, (name, real_wins)
    assert real_wins["echo"][0] == real_wins["empty"][0] == len(prompts)  # never beaten, never tied
    assert real_wins["shuffled"][0] >= 0.9 * len(prompts)


@pytest.mark.slow  # all-MiniLM on 1,000 GSM8K answers
def test_the_arena_ranks_answers_degraded_by_known_amounts_in_that_order(tmp_path, capsys):
    """--validate: GSM8K solutions whole, cut to 50% and 10%, and shuffled across prompts: Kendall tau = 1."""
    gsm8k = shared_file("benchmarks/gsm8k_test.jsonl")
    fields = PromptFields(prompt="question", reference="answer", answer="answer")
    prompts = load_prompt_file(gsm8k, fields, max_prompts=60)
    files = write_degraded_answers(prompts, tmp_path / "answers")
    store = tmp_path / "arena.sqlite"
    for name, path in files.items():
        argv = ["import", name, str(path), "--prompts", str(gsm8k), "--store", str(store), "--max-prompts", "60"]
        argv += ["--prompt-field", "question", "--reference-field", "answer", "--answer-field", "answer"]
        assert arena_cli.main(argv) == 0
    capsys.readouterr()
    assert (
        arena_cli.main([str(store), "--add-battles", "--json", "--validate", ",".join(KNOWN_ORDER), "--bootstrap-rounds", "200"])
        == 0
    )
    board = json.loads(capsys.readouterr().out)
    assert board["kendall_tau"] == 1.0 and board["battles"] == 6 * 60 and board["unparseable"] == 0
    assert [r["model"] for r in board["leaderboard"]] == KNOWN_ORDER
    for row in board["leaderboard"][:-1]:  # every neighbour apart: the CI of the difference excludes 0
        assert row["diff_vs_next_ci_low"] > 0, row


# ---- the local LLM judge always answers -------------------------------------------------------------------------


@pytest.mark.slow  # builds the tiny model (a tokenizer and a 1M-parameter Llama): about 10 s
def test_a_local_llm_judge_scores_the_verdicts_and_always_gives_one(cache_dir):
    from sft_ablate.generation.local import reply_logprobs

    texts = [json.loads(line)["turns"][0] for line in (SAMPLE_DATA_DIR / "arena_prompts.jsonl").read_text().splitlines()]
    judge = LlmJudgeConfig(name="llm", kind="llm", backend=BackendConfig(kind="local", model="tiny", batch_size=6))
    llm = LLMJudge.__new__(LLMJudge)  # as LLMJudge builds it, with the tiny model's tokenizer trained on the prompts
    llm.backend, llm.sampling = load_local_backend(judge.backend, cache_dir, texts), None
    matchups = [Matchup((t,), None, None, ("An answer.",), (f"Another answer to: {t}",)) for t in texts[:5]]
    seen = []
    verdicts = llm.judge(matchups, on_result=lambda i, j: seen.append(i))
    assert sorted(seen) == list(range(5)) and all(v.verdict in ("A", "B", "C") for v in verdicts)
    assert all("log-likelihood of each reply (calibrated)" in v.raw for v in verdicts)
    # Replies scored on the prompt's cache, right-padded, equal one forward pass over prompt + reply.
    model, tokenizer = llm.backend.model, llm.backend.tokenizer
    conversation = [{"role": "user", "content": texts[0]}]
    replies = ["[[A]]", "a longer reply of several tokens"]
    scored = reply_logprobs(model, tokenizer, [conversation, [{"role": "user", "content": texts[1] * 3}]], replies)
    prompt = tokenizer.apply_chat_template(conversation, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
    for reply, score in zip(replies, scored[0]):
        ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([list(prompt) + ids])).logits[0].float()
        whole = torch.log_softmax(logits, dim=-1)[len(prompt) - 1 : -1].gather(1, torch.tensor(ids)[:, None]).sum()
        assert score == pytest.approx(float(whole), abs=1e-4)


class BiasedScores:
    """A judge model's scores: [[A]] 5 nats likelier whatever it is shown, plus what the answers say."""

    def __init__(self) -> None:
        self.stats = type("Stats", (), {"calls": 0})()

    def score_replies(self, conversations, replies, on_result=None):
        out = []
        for i, conversation in enumerate(conversations):
            text = conversation[0]["content"]
            a_good, b_good = "Assistant A: good" in text, "Assistant B: good" in text
            scores = [-1.0 + 5.0 + (1.0 if a_good else 0.0), -1.0 + (1.0 if b_good else 0.0), -3.0]
            out.append(scores)
            if on_result:
                on_result(i, scores)
        return out


def test_calibration_takes_the_judges_constant_position_bias_out_of_its_verdicts(monkeypatch):
    monkeypatch.setattr("sft_ablate.arena.judges.llm.LocalBackend", BiasedScores)
    llm = LLMJudge.__new__(LLMJudge)
    llm.backend, llm.sampling = BiasedScores(), None
    both = [Matchup(("q",), None, None, ("good",), ("bad",)), Matchup(("q",), None, None, ("bad",), ("good",))]
    assert [j.verdict for j in llm.judge(both)] == ["A", "B"]  # uncalibrated, both would be A


# ---- decisive statistics ----------------------------------------------------------------------------------------


def test_the_bootstrap_resamples_prompts_so_repeated_battles_on_one_prompt_do_not_narrow_the_ci():
    rng = np.random.default_rng(0)
    outcomes = rng.random(30) < 0.6  # 30 prompts, A beats base on 60%
    one = [Battle("a", "base", float(w), f"p{i}") for i, w in enumerate(outcomes)]
    repeated = [Battle(b.model_a, b.model_b, b.score, b.prompt) for b in one for _ in range(10)]  # 10 seeds, same verdict
    as_battles = [dataclasses.replace(b, prompt="") for b in repeated]
    width = {}
    for name, battles in (("one", one), ("repeated", repeated), ("as_battles", as_battles)):
        r = next(r for r in fit_bradley_terry(battles, "base", 500).ratings if r.model == "a")
        width[name] = r.ci_high - r.ci_low
    assert width["repeated"] == pytest.approx(width["one"], rel=0.25)  # copies of a prompt add no information
    assert width["as_battles"] < 0.5 * width["repeated"]  # resampling battles would claim they do


def test_difference_cis_separate_neighbours_whose_own_cis_overlap():
    """a and b only play base, on the same 60 prompts: a wins wherever b wins (the easy prompts) and on 20% more.
    Their ratings' CIs overlap (the prompts' difficulty moves both), the CI of a - b, drawn from the same
    resampled prompts, does not."""
    rng = np.random.default_rng(0)
    battles = []
    for i in range(60):
        easy, extra = rng.random() < 0.5, rng.random() < 0.2
        battles += [Battle("a", "base", float(easy or extra), f"p{i}"), Battle("b", "base", float(easy), f"p{i}")]
    fit = fit_bradley_terry(battles, "base", 500)
    a, b = (next(r for r in fit.ratings if r.model == m) for m in ("a", "b"))
    assert a.ci_low < b.ci_high  # their own CIs overlap...
    d = fit.difference("a", "b")
    assert d.separated and d.ci_low > 0  # ...but the CI of their difference does not hold 0
    assert a.diff_next == pytest.approx(fit.difference("a", a.next_model).diff)  # the next one below, in the table


# ---- prompts and external answers -------------------------------------------------------------------------------


def test_max_prompts_truncation_is_logged_and_null_uses_every_prompt(caplog):
    config = compose_config()
    with caplog.at_level(logging.WARNING):
        prompts, _ = load_prompts(dataclasses.replace(config.arena, max_prompts=5), config.judge)
    assert len(prompts) == 5 and "using the first 5 of 24 prompts" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        prompts, _ = load_prompts(dataclasses.replace(config.arena, max_prompts=None), config.judge)
    assert len(prompts) == 24 and "using the first" not in caplog.text
    assert config.arena.max_prompts is None and config.arena.seeds == [0, 1]  # the shipped default: all, 2 seeds


def _prompt_file(tmp_path: Path) -> Path:
    path = tmp_path / "prompts.jsonl"
    rows = [
        {"qid": f"q{i}", "question": f"What is {i} plus {i}?", "solution": f"{i} + {i} = {2 * i}. #### {2 * i}"} for i in range(5)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_import_matches_by_id_else_by_prompt_text_and_lists_unmatched_rows(tmp_path, capsys):
    prompts = _prompt_file(tmp_path)
    fields = tmp_path / "fields.yaml"
    fields.write_text("prompt: question\nid: qid\nreference: null\nanswer: solution\n")
    good = tmp_path / "good.jsonl"
    good.write_text(
        json.dumps({"id": "q0", "answer": "0"})
        + "\n"
        + "".join(json.dumps({"prompt": f"What is {i} plus {i}?", "answer": f"It is {2 * i}."}) + "\n" for i in range(1, 5))
    )
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "q9", "answer": "x"}) + "\n" + json.dumps({"prompt": "Who?", "answer": "y"}) + "\n")
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text("".join(json.dumps({"id": f"q{i}", "answer": f"It is {2 * i + 1}."}) + "\n" for i in range(5)))
    store = tmp_path / "pool.sqlite"
    common = ["--prompts", str(prompts), "--fields", str(fields), "--store", str(store)]
    assert arena_cli.main(["import", "good", str(good), *common]) == 0
    assert arena_cli.main(["import", "wrong", str(wrong), *common]) == 0
    assert arena_cli.main(["import", "bad", str(bad), *common]) != 0
    err = capsys.readouterr().err
    assert "2 row(s) match no prompt" in err and "bad.jsonl:1" in err and "bad.jsonl:2" in err
    assert arena_cli.main([str(store), "--add-battles", "--json", "--bootstrap-rounds", "50"]) == 0
    board = json.loads(capsys.readouterr().out)  # --json: nothing else on stdout
    assert board["anchor"] == "good" and board["battles"] == 5 and board["unparseable"] == 0
    rows = {r["model"]: r for r in board["leaderboard"]}
    assert set(rows) == {"good", "wrong"}  # 'bad' left nothing behind
    assert rows["good"]["rating"] > rows["wrong"]["rating"] and rows["wrong"]["win_rate_vs_base"] == 0.0
    assert rows["good"]["next_model"] == "wrong" and rows["good"]["diff_vs_next_ci_low"] is not None


def test_a_prompt_file_with_an_unknown_fields_key_or_a_missing_field_is_a_clear_error(tmp_path):
    prompts = _prompt_file(tmp_path)
    fields = tmp_path / "fields.yaml"
    fields.write_text("prompt: question\nquestion_id: qid\n")
    with pytest.raises(DataError, match="keys among"):
        PromptFields.from_yaml(fields)
    with pytest.raises(DataError, match=r"prompts.jsonl:1: field `turns`"):
        load_prompt_file(prompts, PromptFields())


def test_truncate_and_shuffle():
    assert truncate("one two  three four", 0.5) == "one two"
    assert truncate("one two three", 0.1) == "one" and truncate("one", 0.1) == "one"
    texts = [f"t{i}" for i in range(7)]
    moved = shuffled(texts, 3)
    assert sorted(moved) == texts and all(a != b for a, b in zip(moved, texts))


# ---- the report rates from the store and pools a level's seeds --------------------------------------------------


def test_the_report_pools_a_levels_seeds_and_rates_from_the_store(tmp_path, cache_dir):
    """2 mixes x 3 seeds and the base answer 12 verifiable prompts: 70_30 runs are right on 9, 30_70 runs on 6,
    the base on 3. The report's level table pools each mix's 3 runs; the stale per-run copy is ignored."""
    from sft_ablate.arena.judges import judge_hash
    from sft_ablate.arena.store import ArenaStore
    from sft_ablate.io import read_json, write_json_atomic
    from sft_ablate.report.build import build_report
    from tests.report_runs import write_run

    prompts = [{"id": f"p{i}", "turns": [f"What is {i} + {i}?"], "reference": None, "answer": str(2 * i)} for i in range(12)]
    right = {"base": 3, "30_70": 6, "70_30": 9}
    jhash = judge_hash(REFERENCE)
    store_file = tmp_path / "arena.sqlite"
    fixtures = []
    with ArenaStore(store_file) as store:
        store.add_judge(jhash, dataclasses.asdict(REFERENCE))
        store.add_prompts({p["id"]: p for p in prompts})
        store.add_model("base/tiny", "base", {})

        def answer(model: str, level: str) -> None:
            store.add_generations(
                (model, p["id"], 0, [f"It is {2 * i if i < right[level] else 2 * i + 1}."]) for i, p in enumerate(prompts)
            )

        answer("base/tiny", "base")
        for mix in ("30_70", "70_30"):
            for seed in range(3):
                name = f"{mix}_s{seed}"
                run_dir = write_run(tmp_path, name, mix=mix, seed=seed, eval_loss=2.0, elo={"rating": 5000.0})  # stale
                results = read_json(run_dir / "results.json")
                results["arena"] = {"store": str(store_file), "judge_hash": jhash, "model_id": name, "base_model": "base/tiny"}
                write_json_atomic(run_dir / "results.json", results)
                store.add_model(name, "run", {"run_dir": str(run_dir)})
                answer(name, mix)
                fixtures += [(name, "base/tiny", p["id"], 0) for p in prompts]
        fixtures += [("30_70_s0", "70_30_s0", p["id"], 0) for p in prompts]
        play(store, REFERENCE, cache_dir, fixtures)
    report = build_report(tmp_path)
    levels = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_arena_levels.csv").set_index("level")
    assert levels.loc["base/tiny", "battles"] == 72 and levels.loc["mix=70_30", "runs"] == 3
    assert levels.loc["mix=70_30", "battles"] == 36 + 12  # 3 runs x 12 vs base, and 12 vs the other level
    assert levels.loc["mix=70_30", "rating"] > levels.loc["mix=30_70", "rating"] > 1000
    assert levels.loc["mix=70_30", "diff_vs_base_ci_low"] > 0
    runs = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_arena_runs.csv")
    assert runs["rating"].max() < 2000  # from the store, not the stale 5000 in results.json
    markdown = report.markdown.read_text()
    assert "Arena, levels pooled" in markdown and "mix=70_30 vs base: apart" in markdown
