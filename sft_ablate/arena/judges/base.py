"""What every arena judge shares: the battle it is shown, the verdict it gives, its config's base class and the
registry where each judge declares itself.

A judge is two classes in one module of this package: its config, a ``JudgeConfig`` subclass (the fields of its
``conf/judge/<name>.yaml``, its checks in ``__post_init__``, ``identity()`` and ``can_decide()``), and the judge
made from it, registered with ``@JUDGES.register(name, ItsConfig)``. What a judge is (its identity, which keys
the judgment cache) and which prompts it can decide are the config's: the arena needs both before a judge,
maybe a model to load, is made, and it makes one only when there is something to judge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Protocol

from omegaconf import MISSING, OmegaConf

from sft_ablate.cache import content_key
from sft_ablate.errors import ConfigError
from sft_ablate.registry import Registry

VERDICTS = ("A", "B", "C")  # first shown wins, second shown wins, tie


@dataclass(frozen=True)
class Matchup:
    """One judgment to make: the user turns, what the last turn should get, and the two answers in order."""

    turns: tuple[str, ...]
    reference: str | None  # a reference answer to the last turn
    answer: str | None  # a verifiable final answer (a number) to the last turn
    first: tuple[str, ...]  # the answers of the model shown first, one per turn
    second: tuple[str, ...]


@dataclass(frozen=True)
class Judgment:
    verdict: str | None  # one of VERDICTS, or None: no usable verdict
    raw: str  # the judge's own words, or the reference judge's reason


OnJudgment = Callable[[int, Judgment], None]


class Judge(Protocol):
    """Who wins each battle, seen in one order (the answer shown first is A, the other B).

    ``on_result(i, judgment)`` fires as each verdict is ready, so the arena stores it at once."""

    def judge(self, matchups: list[Matchup], on_result: OnJudgment | None = None) -> list[Judgment]: ...


JUDGES: Registry[Callable[[Any, Path], Judge]] = Registry("judge", group="judge")


@dataclass
class JudgeConfig:
    """Who decides a battle: the fields every judge has. Each judge's config subclasses it (judges/*.py)."""

    name: str = MISSING  # label in results and the leaderboard
    kind: str = MISSING  # the registered judge; a subclass defaults it to its own name

    def __post_init__(self) -> None:
        schema = judge_schema(self.kind)
        if type(self) is not schema:
            raise ConfigError(
                f"judge {self.name!r}: kind {self.kind!r} is configured by {schema.__name__}, "
                f"not {type(self).__name__} (a judge option starts with `defaults: [{self.kind}_schema, _self_]`)"
            )

    def identity(self) -> dict[str, Any]:
        """What a verdict depends on (not timeouts or concurrency): its hash keys the judgment cache."""
        raise NotImplementedError(f"{type(self).__name__}.identity")

    def can_decide(self, reference: str | None, answer: str | None) -> bool:
        """Whether this judge can decide a prompt with this reference answer and verifiable answer (None: absent)."""
        return True


def judge_schema(kind: str) -> type[JudgeConfig]:
    """The config class of a registered judge; an unknown kind is an error that lists the registered ones."""
    schema = JUDGES.get(kind).config
    if schema is None:
        raise ConfigError(f"judge {kind!r} is registered without a config class")
    return schema


def judge_hash(judge: JudgeConfig) -> str:
    return content_key("arena-judge", judge.identity())


def make_judge(judge: JudgeConfig, cache_dir: Path) -> Judge:
    return JUDGES.get(judge.kind).make(judge, cache_dir)


def judge_from_store(config: dict[str, Any]) -> JudgeConfig:
    """A judge config as the arena store records it (``asdict``), rebuilt as its kind's config."""
    schema = judge_schema(config["kind"])
    # Stores written before each judge had its own config record every judge field for every kind.
    known = {f.name for f in fields(schema)}
    node = OmegaConf.merge(OmegaConf.structured(schema), {k: v for k, v in config.items() if k in known})
    return OmegaConf.to_object(node)
