"""The judge registry: a judge is a config class and an implementation registered together; the arena, the
store and Hydra find it by its kind."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException

from sft_ablate.arena.external import load_judge
from sft_ablate.arena.judges import (
    JUDGES,
    JudgeConfig,
    Judgment,
    Matchup,
    OnJudgment,
    judge_from_store,
    judge_hash,
    make_judge,
)
from sft_ablate.arena.judges.llm import LlmJudgeConfig
from sft_ablate.arena.judges.reference import ReferenceJudge, ReferenceJudgeConfig
from sft_ablate.arena.prompts import load_prompts
from sft_ablate.errors import ConfigError
from tests.conftest import compose_config

# Each test that registers the test judge stores its Hydra option again (the ConfigStore outlives the registry).
pytestmark = pytest.mark.filterwarnings("ignore:ConfigStore config 'judge/always_first_schema.yaml' is already registered")


@dataclass
class AlwaysFirstConfig(JudgeConfig):
    kind: str = "always_first"
    only_numbers: bool = False  # decides only prompts with a verifiable answer

    def identity(self) -> dict[str, object]:
        return {"kind": self.kind, "only_numbers": self.only_numbers}

    def can_decide(self, reference: str | None, answer: str | None) -> bool:
        return answer is not None or not self.only_numbers


class AlwaysFirst:
    def __init__(self, judge: AlwaysFirstConfig, cache_dir: Path) -> None:
        self.config = judge

    def judge(self, matchups: list[Matchup], on_result: OnJudgment | None = None) -> list[Judgment]:
        return [Judgment("A", "first") for _ in matchups]


@pytest.fixture
def always_first(monkeypatch):
    """The test judge, registered for one test; the registry is as it was afterwards."""
    monkeypatch.setattr(JUDGES, "_entries", dict(JUDGES._entries))
    JUDGES.register("always_first", AlwaysFirstConfig)(AlwaysFirst)


def test_a_judge_registered_outside_the_package_is_made_rebuilt_and_decides_its_prompts(always_first, tmp_path):
    config = AlwaysFirstConfig(name="first", only_numbers=True)
    judge = make_judge(config, tmp_path)
    assert isinstance(judge, AlwaysFirst) and judge.judge([Matchup(("q",), None, None, ("a",), ("b",))])[0].verdict == "A"
    assert judge_from_store(dataclasses.asdict(config)) == config  # as the arena store rebuilds it
    assert judge_hash(config) != judge_hash(dataclasses.replace(config, only_numbers=False))
    arena = compose_config([]).arena
    decidable, skipped = load_prompts(dataclasses.replace(arena, max_prompts=None), config)
    assert len(decidable) == 6 and skipped == 18  # the bundled prompts with a verifiable number


def test_a_registered_judge_is_a_hydra_option_typed_by_its_config(always_first):
    config = compose_config(["judge=always_first_schema", "judge.name=first", "judge.only_numbers=true"])
    assert config.judge == AlwaysFirstConfig(name="first", only_numbers=True)
    with pytest.raises(ConfigCompositionException, match="judge.margin"):
        compose_config(["judge=always_first_schema", "judge.name=first", "judge.margin=0.1"])


def test_an_unknown_judge_kind_is_an_error_that_lists_the_registered_ones():
    with pytest.raises(ConfigError, match=r"unknown judge 'nope' \(registered: llm, reference\b"):
        JudgeConfig(name="x", kind="nope")
    with pytest.raises(ConfigError, match=r"unknown judge 'nope' \(registered: llm, reference\b"):
        judge_from_store({"name": "x", "kind": "nope"})
    with pytest.raises(ConfigError, match=r"registered: llm, reference"):
        compose_config(["judge.kind=nope"])
    with pytest.raises(ConfigError, match="kind 'llm' is configured by LlmJudgeConfig, not ReferenceJudgeConfig"):
        ReferenceJudgeConfig(name="x", kind="llm")


def test_a_judge_option_rejects_keys_of_other_judges_and_wrong_types_at_composition():
    with pytest.raises(ConfigCompositionException, match="judge.nonexistent"):
        compose_config(["judge=reference", "judge.nonexistent=1"])
    with pytest.raises(ConfigCompositionException, match="judge.backend"):
        compose_config(["judge=reference", "judge.backend.model=x"])  # an llm judge's key
    with pytest.raises(ConfigCompositionException, match="judge.margin"):
        compose_config(["judge.margin=wide"])
    with pytest.raises(ConfigError, match="judge.margin must be in"):
        compose_config(["judge.margin=2"])
    with pytest.raises(ConfigError, match="judge.kind=llm needs judge.backend"):
        compose_config(["judge=llm", "judge.backend=null"])


def test_judge_configs_as_stores_and_the_import_command_read_them_keep_their_hash():
    """A store written before judges had their own configs records every judge field for every kind."""
    for option in ("reference", "llm"):
        composed = compose_config([f"judge={option}"]).judge
        legacy = {
            "embedding_model": "sentence-transformers/all-MiniLM-L6-v2",
            "margin": 0.02,
            "echo_threshold": 0.5,
            "backend": None,
            "sampling": {"max_new_tokens": 32, "temperature": 0.0, "top_p": 1.0, "top_k": 0, "seed": 0},
            **dataclasses.asdict(composed),
        }
        assert judge_from_store(legacy) == composed == load_judge(option)
        assert judge_hash(judge_from_store(legacy)) == judge_hash(composed)
    assert isinstance(composed, LlmJudgeConfig) and isinstance(make_judge(ReferenceJudgeConfig(name="r"), Path()), ReferenceJudge)
