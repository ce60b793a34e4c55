"""The arena: prompts, judges (an LLM judge over real HTTP on 127.0.0.1), battles, caching, the leaderboard CLI."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from sft_ablate.arena import __main__ as arena_cli
from sft_ablate.arena.battles import outcomes, pick_opponents, play
from sft_ablate.arena.judges import Matchup, judge_hash
from sft_ablate.arena.judges.llm import LlmJudgeConfig, parse_pairwise
from sft_ablate.arena.judges.reference import ReferenceJudge, ReferenceJudgeConfig
from sft_ablate.arena.leaderboard import leaderboard
from sft_ablate.arena.prompts import load_prompts
from sft_ablate.arena.store import ArenaStore
from sft_ablate.errors import DataError
from sft_ablate.evaluation.answers import final_number
from sft_ablate.generation.schema import BackendConfig
from tests.chat_server import ChatServer
from tests.conftest import compose_config, shared_file

PROMPTS = [{"id": f"p{i}", "turns": [f"Question {i}?"], "reference": f"Reference {i}.", "answer": None} for i in range(6)]


def llm_judge(server: ChatServer) -> LlmJudgeConfig:
    return LlmJudgeConfig(
        name="llm", kind="llm", backend=BackendConfig(kind="openai", model="judge", base_url=server.base_url, max_retries=0)
    )


def pool(tmp_path: Path, answers: dict[str, str]) -> tuple[Path, list[tuple[str, str, str, int]]]:
    """A store with PROMPTS and each model's answers ('<model text> to <question>'); fixtures: every model vs base."""
    path = tmp_path / "arena.sqlite"
    with ArenaStore(path) as store:
        store.add_prompts({p["id"]: p for p in PROMPTS})
        for model, text in answers.items():
            store.add_model(model, "base" if model == "base" else "run", {})
            store.add_generations((model, p["id"], 0, [f"{text} to {p['turns'][0]}"]) for p in PROMPTS)
    fixtures = [(m, "base", p["id"], 0) for m in answers if m != "base" for p in PROMPTS]
    return path, fixtures


def test_a_judge_that_always_says_first_gives_no_agreement_and_only_ties(tmp_path, cache_dir):
    path, fixtures = pool(tmp_path, {"base": "meh", "x": "good", "y": "great"})
    with ChatServer(responder=lambda body: "[[A]]") as server:
        judge = llm_judge(server)
        with ArenaStore(path) as store:
            calls = play(store, judge, cache_dir, fixtures)
            result = outcomes(store.battles(judge_hash(judge)))
        assert calls == {"judgments": 24, "judge_calls": 24, "cached_judgments": 0}
        assert server.requests == 24  # 12 battles, each asked in both orders
        assert len(result.battles) == 12 and result.swap_agreement == 0.0
        assert {b.score for b in result.battles} == {0.5}  # position bias cancels out into ties
        # Both orders really reached the judge, the answers swapped between them.
        shown = [re.findall(r"Assistant A: (\w+)", b["messages"][0]["content"])[0] for b in server.answered]
        assert (shown.count("good"), shown.count("great"), shown.count("meh")) == (6, 6, 12)


def test_a_judge_with_a_real_preference_agrees_with_itself_across_orders(tmp_path, cache_dir):
    path, fixtures = pool(tmp_path, {"base": "meh", "x": "good"})

    def prefers_good(body):  # which position holds the 'good' answer
        text = body["messages"][0]["content"]
        return "[[A]]" if "Assistant A: good" in text else "[[B]]"

    with ChatServer(responder=prefers_good) as server, ArenaStore(path) as store:
        play(store, llm_judge(server), cache_dir, fixtures)
        board = leaderboard(store, judge_hash(llm_judge(server)), "base", bootstrap_rounds=100)
    assert board.outcomes.swap_agreement == 1.0
    assert [b.score for b in board.outcomes.battles] == [1.0] * 6
    x = board.rating("x")
    assert x.win_rate_vs_anchor == 1.0 and x.rating > 1100 and x.ci_low > 1000


def test_unparseable_verdicts_are_dropped_and_counted_never_guessed(tmp_path, cache_dir):
    path, fixtures = pool(tmp_path, {"base": "meh", "x": "good"})
    replies = iter(["I prefer A.", "[[A]] or maybe [[B]]"] * 6)
    with ChatServer(responder=lambda body: next(replies)) as server, ArenaStore(path) as store:
        play(store, llm_judge(server), cache_dir, fixtures)
        result = outcomes(store.battles(judge_hash(llm_judge(server))))
    assert result.battles == [] and result.unparseable == 12 and result.swap_agreement is None


def test_parse_pairwise():
    assert parse_pairwise("Verdict: [[B]]") == "B"
    assert parse_pairwise("[[ c ]]") == "C"
    assert parse_pairwise("[[A]] ... so [[A]]") == "A"
    assert parse_pairwise("[[A]] then [[B]]") is None
    assert parse_pairwise("A is better") is None
    assert parse_pairwise("") is None


def test_judged_battles_are_never_judged_again_and_the_leaderboard_makes_no_call(tmp_path, cache_dir, capsys):
    path, fixtures = pool(tmp_path, {"base": "meh", "x": "good", "y": "great"})
    with ChatServer(
        responder=lambda body: "[[A]]" if "Assistant A: great" in body["messages"][0]["content"] else "[[C]]"
    ) as server:
        with ArenaStore(path) as store:
            store.add_judge(judge_hash(llm_judge(server)), dataclasses.asdict(llm_judge(server)))
            play(store, llm_judge(server), cache_dir, fixtures)
            assert server.requests == 24
            again = play(store, llm_judge(server), cache_dir, fixtures)
        assert again == {"judgments": 24, "judge_calls": 0, "cached_judgments": 24} and server.requests == 24

        assert arena_cli.main([str(tmp_path), "--bootstrap-rounds", "50"]) == 0
        out = capsys.readouterr().out
        assert server.requests == 24 and "judge calls made: 0" in out
        assert "base" in out and (tmp_path / "arena_leaderboard.png").stat().st_size > 1000

        # --add-battles: x and y never met; those 6 battles (12 judgments) are added, and only those.
        assert arena_cli.main([str(tmp_path), "--add-battles", "--bootstrap-rounds", "50"]) == 0
        assert server.requests == 36 and "judge calls made: 12" in capsys.readouterr().out
        assert arena_cli.main([str(tmp_path), "--add-battles", "--bootstrap-rounds", "50"]) == 0
        assert server.requests == 36 and "judge calls made: 0" in capsys.readouterr().out


def test_the_leaderboard_of_a_missing_store_is_a_clear_error(tmp_path, capsys):
    assert arena_cli.main([str(tmp_path)]) == 2
    assert f"{tmp_path / 'arena.sqlite'} does not exist" in capsys.readouterr().err


def test_reference_judge_correctness_decides_where_there_is_an_answer(cache_dir):
    judge = ReferenceJudge(ReferenceJudgeConfig(name="reference"), cache_dir)
    m = lambda first, second, answer="42", reference=None: Matchup(("q",), reference, answer, (first,), (second,))  # noqa: E731
    verdicts = judge.judge(
        [
            m("The area is 42 m^2.", "It is 40."),
            m("40", "#### 42"),
            m("42", "42.0"),
            m("no idea", "maybe 7"),
            m("1,234 apples", "1234", answer="1234"),
        ]
    )
    assert [v.verdict for v in verdicts] == ["A", "B", "C", "C", "C"]
    assert final_number("Step 1: 3 + 4 = 7. So $61.50 in all.") == Decimal("61.5")
    assert final_number("nothing") is None


@pytest.mark.slow  # loads all-MiniLM (sentence-transformers): 5-30 s on a busy machine
def test_reference_judge_prefers_the_answer_closer_to_the_reference(cache_dir):
    judge = ReferenceJudge(ReferenceJudgeConfig(name="reference", margin=0.02), cache_dir)
    ref = "Seasons happen because Earth's axis is tilted, so each hemisphere gets more direct sunlight part of the year."
    close = "Earth's tilted axis makes each hemisphere receive more direct sunlight for part of the year: that is the seasons."
    far = "My favourite pasta recipe uses garlic, olive oil and chili flakes."
    verdicts = judge.judge(
        [
            Matchup(("Why seasons?",), ref, None, (close,), (far,)),
            Matchup(("Why seasons?",), ref, None, (far,), (close,)),
            Matchup(("Why seasons?",), ref, None, (close,), (close,)),
        ]
    )
    assert [v.verdict for v in verdicts] == ["A", "B", "C"]
    assert "similarity" in verdicts[0].raw


def test_bundled_prompts_and_their_fields():
    config = compose_config([])
    prompts, skipped = load_prompts(dataclasses.replace(config.arena, max_prompts=None), config.judge)
    assert len(prompts) == 24 and skipped == 0
    assert sum(p.answer is not None for p in prompts) == 6 and all(p.reference for p in prompts)
    # The bundled references and answers are for the first turn: the reference judge can decide no second turn.
    with pytest.raises(DataError, match="no prompt the reference judge can decide"):
        load_prompts(dataclasses.replace(config.arena, turns=2), config.judge)
    assert (
        len(load_prompts(dataclasses.replace(config.arena, turns=2), compose_config(["judge=llm"]).judge)[0]) == 24
    )  # every prompt by default


def test_mt_bench_prompts_first_turn_and_second_turn_option():
    shared_file("arena/mt_bench_question.jsonl")
    config = compose_config(["arena=mt_bench"])
    prompts, skipped = load_prompts(config.arena, config.judge)
    # The reference judge decides only those with a reference answer: the 38 the question file carries
    assert (len(prompts), skipped) == (38, 42)
    llm = compose_config(["arena=mt_bench", "arena.turns=2", "judge=llm"])
    prompts, skipped = load_prompts(llm.arena, llm.judge)
    assert (len(prompts), skipped) == (80, 0) and all(len(p.turns) == 2 for p in prompts)
    assert sum(p.reference is not None for p in prompts) == 32  # second-turn references


def test_a_bad_prompt_file_names_the_line(tmp_path):
    bad = tmp_path / "prompts.jsonl"
    bad.write_text(json.dumps({"turns": ["ok"], "reference": "r"}) + "\n" + json.dumps({"turns": "not a list"}) + "\n")
    config = compose_config([f"arena.prompts={bad}"])
    with pytest.raises(DataError, match=f"{bad}:2: `turns` must be a non-empty list"):
        load_prompts(config.arena, config.judge)


def test_a_new_run_battles_the_base_and_a_seeded_sample_of_earlier_runs(tmp_path):
    with ArenaStore(tmp_path / "arena.sqlite") as store:
        for model in ["base", "r1", "r2", "r3", "r4", "r5", "half"]:
            store.add_model(model, "base" if model == "base" else "run", {})
            keys = ["k1"] if model == "half" else ["k1", "k2"]  # 'half' answered other prompts: not comparable
            store.add_generations((model, k, 0, ["a"]) for k in keys)
        wanted = [("k1", 0), ("k2", 0)]
        picked = pick_opponents(store, "r5", wanted, 2, seed=0)
        assert len(picked) == 2 and set(picked) <= {"r1", "r2", "r3", "r4"}
        assert pick_opponents(store, "r5", wanted, 2, seed=0) == picked  # seeded
        assert pick_opponents(store, "r5", wanted, 10, seed=0) == ["r1", "r2", "r3", "r4"]


def test_arena_config_is_checked():
    from sft_ablate.errors import ConfigError

    with pytest.raises(ConfigError, match="arena.turns must be 1 or 2"):
        compose_config(["arena.turns=3"])
    with pytest.raises(ConfigError, match="judge.kind=llm needs judge.backend"):
        compose_config(["judge=llm", "judge.backend=null"])


@pytest.mark.slow  # a tiny run end to end
def test_base_answers_can_come_from_an_openai_compatible_endpoint(tmp_path, cache_dir):
    """arena.base_backend: the base model served elsewhere (vLLM, an API) answers; the run's model is ours."""
    from tests.conftest import run_cli

    with ChatServer(responder=lambda body: "The served base model says hello.") as server:
        backend = f"{{kind: openai, model: served-base, base_url: '{server.base_url}', max_retries: 0}}"
        proc = run_cli(
            [
                "model=tiny",
                "tracking=none",
                "data.budget=16",
                "data.eval_per_source=4",
                "train.max_steps=2",
                "eval.num_generations=1",
                "eval.base_model=false",
                "arena.max_prompts=4",
                "arena.seeds=[0]",
                f"arena.base_backend={backend}",
                f"hydra.run.dir={tmp_path / 'run'}",
            ],
            cwd=tmp_path,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert server.requests == 4  # one answer per arena prompt
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["arena"]["base_model"] == "base/served-base" and results["metrics"]["elo"]["rating"] is not None
    with ArenaStore(tmp_path / "arena.sqlite") as store:
        answers = list(store.generations("base/served-base").values())
    assert len(answers) == 4 and all(a == ["The served base model says hello."] for a in answers)
