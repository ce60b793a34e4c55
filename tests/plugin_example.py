"""A user's own judge, quality filter and metric, in one module outside the package.

`SFT_ABLATE_PLUGINS=tests.plugin_example python -m sft_ablate --config-dir my_conf judge=longer ...` imports it
before the config is composed; my_conf holds the YAML that picks them (see test_extension_points.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sft_ablate.arena.judges.base import JUDGES, JudgeConfig, Judgment, Matchup, OnJudgment
from sft_ablate.data.filters import QUALITY_FILTERS, FilterContext, FilterOutcome
from sft_ablate.data.sources import Example
from sft_ablate.metrics import Answer, MetricSpec, register_metric

# ---- a judge: the longer last answer wins, within `tie_words` it is a tie


@dataclass
class LongerJudgeConfig(JudgeConfig):
    kind: str = "longer"
    tie_words: int = 2

    def identity(self) -> dict[str, Any]:
        return {"kind": self.kind, "tie_words": self.tie_words}


@JUDGES.register("longer", LongerJudgeConfig)
class LongerJudge:
    def __init__(self, config: LongerJudgeConfig, cache_dir: Path) -> None:
        self.config = config

    def judge(self, matchups: list[Matchup], on_result: OnJudgment | None = None) -> list[Judgment]:
        out = []
        for i, m in enumerate(matchups):
            gap = len(m.first[-1].split()) - len(m.second[-1].split())
            verdict = "C" if abs(gap) <= self.config.tie_words else ("A" if gap > 0 else "B")
            out.append(Judgment(verdict, f"{gap:+d} words"))
            if on_result is not None:
                on_result(i, out[-1])
        return out


# ---- a quality filter: drop rows whose answer shouts


@dataclass
class NoShoutingConfig:
    max_upper_fraction: float = 0.5  # of the answer's letters


def upper_fraction(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


@QUALITY_FILTERS.register("no_shouting", NoShoutingConfig)
def no_shouting(rows: list[Example], settings: NoShoutingConfig, context: FilterContext) -> FilterOutcome:
    shouting = {
        id(e): "answer in capitals" for e in rows if upper_fraction(e.messages[-1]["content"]) > settings.max_upper_fraction
    }
    return FilterOutcome(removed=shouting)


# ---- a metric: the trained model's mean answer length on the held-out prompts


def mean_words(answers: list[Answer]) -> float | None:
    return mean_words_of([a.output for a in answers])


def mean_words_of(texts: list[str]) -> float | None:
    return sum(len(t.split()) for t in texts) / len(texts) if texts else None


register_metric(MetricSpec("answers.mean_words", "mean answer words", higher_is_better=False), compute=mean_words)
