"""A judge that proves itself: the ladder and the null canary (arena/audit.py), and length-controlled ratings
(arena/length_control.py) against a planted length-biased judge."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sft_ablate.arena import __main__ as arena_cli
from sft_ablate.arena.audit import LADDER_PAIRS, MIN_LADDER_PROMPTS, add_canary, judge_audit, ladder_prompts, run_audit
from sft_ablate.arena.battles import missing_fixtures, play
from sft_ablate.arena.judges import JUDGES, JudgeConfig, Judgment, Matchup, OnJudgment, judge_hash
from sft_ablate.arena.judges.reference import ReferenceJudgeConfig
from sft_ablate.arena.leaderboard import elo_metrics, leaderboard
from sft_ablate.arena.length_control import fit_length_controlled, length_gaps
from sft_ablate.arena.prompts import ArenaPrompt, load_prompts
from sft_ablate.arena.ratings import Battle, fit_bradley_terry
from sft_ablate.arena.store import ArenaStore
from sft_ablate.arena.validation import CANARY, CANARY_ANSWER, LADDER
from sft_ablate.cache import content_key
from sft_ablate.errors import DataError
from tests.conftest import compose_config, shared_file
from tests.plugin_example import LongerJudgeConfig

REFERENCE = ReferenceJudgeConfig(name="reference", kind="reference")

# ---- a planted length-biased judge, registered as any judge is --------------------------------------------------


@dataclass
class LengthBiasedJudgeConfig(JudgeConfig):
    """Prefers the longer answer with probability ``bias``; otherwise the one whose number is right, at random when
    both or neither are. The draw is seeded by the pair (not the order), so both orders agree, as a consistent judge's."""

    kind: str = "length_biased"
    bias: float = 0.8

    def identity(self) -> dict[str, Any]:
        return {"kind": self.kind, "bias": self.bias}


@JUDGES.register("length_biased", LengthBiasedJudgeConfig)
class LengthBiasedJudge:
    def __init__(self, config: LengthBiasedJudgeConfig, cache_dir: Path) -> None:
        self.config = config

    def judge(self, matchups: list[Matchup], on_result: OnJudgment | None = None) -> list[Judgment]:
        out = []
        for i, m in enumerate(matchups):
            first, second = m.first[-1], m.second[-1]
            pair = "\x00".join([m.turns[-1], *sorted((first, second))])
            draw = np.random.default_rng(int(hashlib.sha256(pair.encode()).hexdigest()[:12], 16)).random(2)
            long_a, long_b = len(first.split()), len(second.split())
            right_a, right_b = (m.answer in text.split() for text in (first, second))
            if draw[0] < self.config.bias and long_a != long_b:
                verdict = "A" if long_a > long_b else "B"
            elif right_a != right_b:
                verdict = "A" if right_a else "B"
            else:  # the same coin for both orders: the answer that sorts first wins it
                verdict = "A" if (draw[1] < 0.5) == (first <= second) else "B"
            out.append(Judgment(verdict, f"words {long_a} vs {long_b}, right {right_a} vs {right_b}"))
            if on_result is not None:
                on_result(i, out[-1])
        return out


PLANTED = {  # model -> (answers the right number, words of filler: a range)
    "base": (True, (15, 30)),
    "right_short": (True, (5, 15)),
    "right_long": (True, (30, 60)),
    "wrong_short": (False, (5, 15)),
    "verbose_wrong": (False, (60, 120)),
}


def planted_pool(tmp_path: Path, judge: JudgeConfig, cache_dir: Path, prompts: int = 60, seeds: int = 2) -> Path:
    """Every model meets every other on `prompts` arithmetic questions, `seeds` answers each."""
    rng = np.random.default_rng(0)
    records = {
        f"q{i}": {"id": f"q{i}", "turns": [f"What is {i} plus {i + 3}?"], "reference": None, "answer": str(2 * i + 3)}
        for i in range(prompts)
    }
    store_file = tmp_path / "planted.sqlite"
    filler = [
        "so",
        "let",
        "me",
        "explain",
        "every",
        "step",
        "of",
        "this",
        "in",
        "great",
        "and",
        "careful",
        "detail",
        "once",
        "more",
    ]
    with ArenaStore(store_file) as store:
        store.add_judge(judge_hash(judge), dataclasses.asdict(judge))
        store.add_prompts(records)
        for model, (right, (low, high)) in PLANTED.items():
            store.add_model(model, "base" if model == "base" else "external", {})
            rows = []
            for key, p in records.items():
                number = p["answer"] if right else str(int(p["answer"]) + 1)
                for seed in range(seeds):
                    words = int(rng.integers(low, high))
                    rows.append((model, key, seed, [" ".join([*(filler * 12)[:words], "answer:", number])]))
            store.add_generations(rows)
        play(store, judge, cache_dir, missing_fixtures(store, judge_hash(judge)))
    return store_file


def test_a_length_biased_judge_puts_a_verbose_wrong_model_first_and_length_control_does_not(tmp_path, cache_dir):
    """Raw ratings follow the judge's taste for length; the length-controlled ones rank every model that answers
    right above the verbose one that answers wrong, and the length effect is large and positive."""
    judge = LengthBiasedJudgeConfig(name="length_biased")
    store_file = planted_pool(tmp_path, judge, cache_dir)
    with ArenaStore(store_file) as store:
        board = leaderboard(store, judge_hash(judge), "base", 300)
    raw = [r.model for r in board.ratings]
    lc = sorted(board.lc.models, key=lambda m: -board.lc.rating(m)[0])
    print("raw:", raw, "length-controlled:", lc, f"length effect {board.lc.beta:+.0f} {board.lc.beta_ci}")
    assert raw[0] == "verbose_wrong"
    assert lc[0] != "verbose_wrong"
    assert lc.index("verbose_wrong") > max(lc.index(m) for m, (right, _) in PLANTED.items() if right)
    assert board.lc.beta_ci[0] > 100
    row = next(r for r in board.rows() if r["model"] == "verbose_wrong")
    print({k: v for k, v in row.items() if "diff_vs_base" in k})
    assert row["diff_vs_base_ci_low"] > 0 and row["lc_diff_vs_base"] < 0  # raw: apart above base; controlled: below


def test_length_control_changes_nothing_when_the_judge_ignores_length():
    """Battles drawn from known strengths, lengths unrelated to the outcome: both fits agree with the truth, and
    the length effect's CI holds 0."""
    rng = np.random.default_rng(3)
    truth = {"base": 1000.0, "a": 1100.0, "b": 950.0, "c": 1200.0}
    names = list(truth)
    battles = []
    for p in range(300):
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                p_a = 1 / (1 + 10 ** ((truth[b] - truth[a]) / 400))
                battles.append(
                    Battle(a, b, float(rng.random() < p_a), f"p{p}", int(rng.integers(5, 80)), int(rng.integers(5, 80)))
                )
    raw = fit_bradley_terry(battles, "base", 200)
    lc = fit_length_controlled(battles, "base", 200)
    assert lc.beta_ci[0] < 0 < lc.beta_ci[1]
    for m in names:
        assert abs(lc.rating(m)[0] - truth[m]) < 40 and abs(lc.rating(m)[0] - raw.point[raw.models.index(m)]) < 10


def test_length_gaps_are_scaled_not_centred_and_need_every_length():
    battles = [Battle("a", "b", 1.0, "p", 30, 10), Battle("b", "a", 0.0, "p", 10, 30), Battle("a", "b", 0.5, "q", 5, 5)]
    gaps = length_gaps(battles)
    assert gaps[0] == pytest.approx(-gaps[1]) and gaps[2] == 0 and np.sqrt(np.mean(gaps**2)) == pytest.approx(1.0)
    assert fit_length_controlled([Battle("a", "b", 1.0, "p")], "a") is None  # no lengths: no fit


# ---- the ladder and the canary ------------------------------------------------------------------------------------


def bundled_prompts(max_prompts: int | None = None) -> list[ArenaPrompt]:
    config = compose_config()
    return load_prompts(dataclasses.replace(config.arena, max_prompts=max_prompts, seeds=[0]), config.judge)[0]


def test_a_judge_that_prefers_longer_answers_fails_its_check_and_the_pool_gets_no_verdict(tmp_path, cache_dir):
    """tests/plugin_example.py's `longer` judge (the longer answer wins): on the ladder a tenth of a reference is the
    shortest, so the canary (about 40 words) outranks it: unfit. Run metrics then carry no win rate vs base."""
    judge = LongerJudgeConfig(name="longer")
    prompts = bundled_prompts()
    with ArenaStore(tmp_path / "arena.sqlite") as store:
        store.add_judge(judge_hash(judge), dataclasses.asdict(judge))
        calls, source = run_audit(store, judge, cache_dir, prompts, 100)
        assert calls["judge_calls"] == len(prompts) * len(LADDER_PAIRS) * 2 and "study" in source
        assert run_audit(store, judge, cache_dir, prompts, 100)[0]["judge_calls"] == 0  # judged once per judge and store
        store.add_model("base/x", "base", {})
        store.add_model("run", "run", {})
        store.add_generations(("base/x", p.key, 0, ["A short answer."]) for p in prompts)
        store.add_generations(("run", p.key, 0, ["A somewhat longer answer than the base gives."]) for p in prompts)
        add_canary(store, prompts, [0])
        fixtures = missing_fixtures(store, judge_hash(judge))
        assert {m for f in fixtures for m in f[:2]} == {"base/x", "run", CANARY}  # the rungs never join the pool
        play(store, judge, cache_dir, fixtures)
        board = leaderboard(store, judge_hash(judge), "base/x", 100)
    audit = board.audit
    assert audit is not None and not audit.passed and audit.own_prompts
    assert "ladder/tenth" in audit.canary_outranks and audit.failure.startswith("the judge failed its check: τ = ")
    assert {r.model for r in board.ratings} == {"base/x", "run", CANARY}  # the canary in the pool, the rungs out
    metrics = elo_metrics(board, "run")
    assert metrics["rating"] > 1000 and "win_rate_vs_base" not in metrics and metrics["lc_rating"] is not None


def test_the_ladder_uses_the_studys_references_else_the_bundled_prompts():
    own = bundled_prompts()
    chosen, source = ladder_prompts(own, 10)
    assert chosen == own[:10] and "study" in source
    without = [ArenaPrompt(p.id, p.turns, None, "42", p.key) for p in own]  # a verifiable number, no reference
    chosen, source = ladder_prompts(without[: MIN_LADDER_PROMPTS + 4] + own[: MIN_LADDER_PROMPTS - 1], 100)
    assert "bundled" in source and len(chosen) == 24 and all(p.reference for p in chosen)
    assert {p.key for p in chosen}.isdisjoint({p.key for p in own})  # its own keys: never the pool's battles


def test_the_audit_names_are_reserved(tmp_path):
    gsm = tmp_path / "p.jsonl"
    gsm.write_text(json.dumps({"id": "1", "turns": ["What is 1 + 1?"], "answer": "2"}) + "\n")
    answers = tmp_path / "a.jsonl"
    answers.write_text(json.dumps({"id": "1", "answer": "2"}) + "\n")
    for name in (CANARY, "ladder/full"):
        assert arena_cli.main(["import", name, str(answers), "--prompts", str(gsm), "--store", str(tmp_path / "s.sqlite")]) != 0
    with pytest.raises(DataError, match="reserved"):
        from sft_ablate.arena.external import import_answers, load_prompt_file

        import_answers(tmp_path / "s.sqlite", CANARY, answers, load_prompt_file(gsm, _fields()), REFERENCE)


def _fields():
    from sft_ablate.arena.external import PromptFields

    return PromptFields(reference=None)


def test_no_audit_in_the_store_is_none():
    assert judge_audit([]) is None


@pytest.mark.slow  # all-MiniLM on the bundled prompts
def test_the_reference_judge_passes_with_tau_1_and_the_canary_last(tmp_path, cache_dir):
    prompts = bundled_prompts()
    with ArenaStore(tmp_path / "arena.sqlite") as store:
        run_audit(store, REFERENCE, cache_dir, prompts, 100)
        audit = judge_audit(store.battles(judge_hash(REFERENCE)))
    print(audit.describe())
    assert audit.tau == 1.0 and audit.canary_rank == 5 and audit.passed and audit.swap_agreement >= 0.9
    assert audit.ranking == [*LADDER, CANARY]


@pytest.mark.slow  # all-MiniLM on 400 GSM8K answers
def test_the_cli_audits_an_imported_pool_and_enters_the_canary(tmp_path, capsys):
    gsm8k = shared_file("benchmarks/gsm8k_test.jsonl")
    rows = [json.loads(line) for line in gsm8k.read_text().splitlines()[:100]]
    store = tmp_path / "arena.sqlite"
    for name, text in (("solution", lambda r: r["answer"]), ("constant", lambda r: "The answer is 7.")):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"id": str(i + 1), "answer": text(r)}) + "\n" for i, r in enumerate(rows)))
        argv = ["import", name, str(path), "--prompts", str(gsm8k), "--store", str(store), "--max-prompts", "100"]
        assert (
            arena_cli.main([*argv, "--prompt-field", "question", "--reference-field", "answer", "--answer-field", "answer"]) == 0
        )
    capsys.readouterr()
    assert arena_cli.main([str(store), "--audit", "--add-battles", "--json", "--bootstrap-rounds", "100"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert board["audit"]["passed"] and board["audit"]["kendall_tau"] == 1.0 and board["audit"]["canary_rank"] == 5
    assert board["audit"]["prompts"] == 100 and board["audit"]["own_prompts"]
    rows = {r["model"]: r for r in board["leaderboard"]}
    assert set(rows) == {"solution", "constant", CANARY} and rows[CANARY]["battles"] == 200
    assert all(r["lc_rating"] is not None for r in rows.values())


def test_canary_answers_every_prompt_and_seed_with_one_text(tmp_path):
    prompts = [ArenaPrompt(f"p{i}", ("q", "follow-up"), "r", None, content_key("k", i)) for i in range(3)]
    with ArenaStore(tmp_path / "s.sqlite") as store:
        add_canary(store, prompts, [0, 1])
        answers = store.generations(CANARY)
    assert len(answers) == 6 and all(a == [CANARY_ANSWER, CANARY_ANSWER] for a in answers.values())


# ---- the report: the audit first, no verdict from an unfit judge, raw and length-controlled side by side ---------


def test_the_report_states_the_audit_and_gives_an_unfit_judge_no_verdict(tmp_path, cache_dir):
    """Two mixes x 2 seeds and the base answer 30 questions with a number and no reference: 30_70's runs answer
    right and briefly, 70_30's wrong and at length. The planted length-biased judge fails its ladder (the bundled
    prompts: the study's have no reference), so the report shows its tables with no verdict, says where raw and
    length-controlled ratings part, and where the canary sits."""
    from sft_ablate.io import read_json, write_json_atomic
    from sft_ablate.report.build import build_report
    from tests.report_runs import write_run

    judge = LengthBiasedJudgeConfig(name="length_biased")
    jhash = judge_hash(judge)
    rng = np.random.default_rng(1)
    records = {
        f"q{i}": {"id": f"q{i}", "turns": [f"What is {i} plus {i + 3}?"], "reference": None, "answer": str(2 * i + 3)}
        for i in range(30)
    }
    prompts = [ArenaPrompt(k, tuple(p["turns"]), None, p["answer"], k) for k, p in records.items()]
    words = ["so", "let", "me", "explain", "every", "step", "in", "great", "detail"] * 20
    store_file = tmp_path / "arena.sqlite"
    fixtures = []
    with ArenaStore(store_file) as store:
        store.add_judge(jhash, dataclasses.asdict(judge))
        store.add_prompts(records)
        run_audit(store, judge, cache_dir, prompts, 100)
        add_canary(store, prompts, [0])

        def answer(model: str, right: bool, low: int, high: int) -> None:
            store.add_generations(
                (model, k, 0, [" ".join([*words[: int(rng.integers(low, high))], p["answer"] if right else "0"])])
                for k, p in records.items()
            )

        store.add_model("base/tiny", "base", {})
        answer("base/tiny", True, 10, 30)
        for mix, right, low, high in (("30_70", True, 5, 20), ("70_30", False, 60, 150)):
            for seed in range(2):
                name = f"{mix}_s{seed}"
                run_dir = write_run(tmp_path, name, mix=mix, seed=seed, eval_loss=2.0, elo={"rating": 1000.0})
                results = read_json(run_dir / "results.json")
                results["arena"] = {"store": str(store_file), "judge_hash": jhash, "model_id": name, "base_model": "base/tiny"}
                write_json_atomic(run_dir / "results.json", results)
                store.add_model(name, "run", {"run_dir": str(run_dir)})
                answer(name, right, low, high)
                fixtures += [(name, other, k, 0) for other in ("base/tiny", CANARY) for k in records]
        fixtures += [("base/tiny", CANARY, k, 0) for k in records]
        play(store, judge, cache_dir, fixtures)
    markdown = build_report(tmp_path).markdown.read_text()
    assert "Judge audit: on a ladder of 24 prompts of the bundled set" in markdown
    assert "The judge failed its check: τ = " in markdown and "No arena verdict: the judge failed its check" in markdown
    assert "| the judge failed its check: τ = " in markdown  # each run's row: no verdict
    assert "Arena verdicts" not in markdown
    assert "Raw and length-controlled ratings disagree on: `70_30_s" in markdown
    assert "The canary (one constant, content-free answer; never a level) ranks" in markdown


@pytest.mark.slow  # a tiny run judged by the bundled SmolLM2-135M judge: ~160 judgments on CPU, several minutes
def test_a_study_with_the_bundled_llm_judge_reports_its_audit_and_withholds_verdicts_if_it_fails(tmp_path, cache_dir):
    from sft_ablate.report.build import build_report
    from tests.conftest import run_cli

    sweep = tmp_path / "study"
    args = ["-m", "mix=30_70", "model=tiny", "judge=llm", "tracking=none", "data.budget=16", "data.eval_per_source=4",
            "train.max_steps=2", "eval.num_generations=1", "eval.base_model=false", "eval.benchmarks=[]",
            "arena.max_prompts=8", "arena.seeds=[0]", f"hydra.sweep.dir={sweep}"]  # fmt: skip
    proc = run_cli(args, cwd=tmp_path, timeout=3000)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(next(sweep.glob("*/results.json")).read_text())
    audit = results["arena"]["audit"]
    print(audit)
    assert audit["prompts"] == 8 and audit["battles"] == 8 * len(LADDER_PAIRS) and -1 <= audit["kendall_tau"] <= 1
    assert audit["passed"] == (audit["kendall_tau"] >= 0.8 and audit["canary_rank"] == 5)
    assert ("win_rate_vs_base" in results["metrics"]["elo"]) == audit["passed"]
    assert results["arena"]["canary"]["battles"] == 8
    markdown = build_report(sweep).markdown.read_text()
    assert f"Kendall τ = {audit['kendall_tau']:.2f}" in markdown
    assert ("the judge failed its check" in markdown) == (not audit["passed"])
