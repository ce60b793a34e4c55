"""The answer number: one parser, so a benchmark and the arena call the same answers right."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sft_ablate.arena.judges import Matchup
from sft_ablate.arena.judges.reference import ReferenceJudge, ReferenceJudgeConfig
from sft_ablate.evaluation.answers import final_number, number_text, same_number
from sft_ablate.evaluation.lighteval_runner import numeric_answer


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The total is $1,000.50.", Decimal("1000.50")),
        ("#### $42", Decimal("42")),
        ("The answer is 7.", Decimal("7")),
        ("It is -12 degrees.", Decimal("-12")),
        ("The area is 42 m^2 of H2O.", Decimal("42")),  # exponents and digits in words are not numbers
        ("#### 18 dollars, or #### 20", Decimal("18")),  # the first marked answer counts
        ("3 apples, then #### eighteen", None),  # a marker with no number after it
        ("no digits", None),
    ],
)
def test_final_number(text, expected):
    assert final_number(text) == expected


def test_exact_decimals():
    assert same_number("3.0", "3") and same_number("0.1 + 0.2 = 0.3", "0.30")
    assert not same_number("0.30000000000000004", "0.3")  # a float tolerance would call this right
    assert not same_number("no idea", "no answer either")
    assert [number_text(Decimal(x)) for x in ("3.0", "1000.50", "-0", "1E+3")] == ["3", "1000.5", "0", "1000"]


@pytest.mark.parametrize(
    "output, answer, marker, right",
    [
        ("The total is $1,000.50.", "1000.5", None, True),
        ("#### $42", "#### 42", "####", True),
        ("The answer is 7.", "7", None, True),
        ("0.1 + 0.2 = 0.3", "0.3", None, True),
        ("0.30000000000000004", "0.3", None, False),
        ("3.0", "3", None, True),
        ("#### 3.0", "#### 3", "####", True),
        ("It is -12 degrees.", "-12", None, True),
        ("It is 12 degrees.", "-12", None, False),
        ("The area is 42 m^2.", "42", None, True),
        ("1,000 + 200 = 1,200\n#### 1,200", "#### 1200", "####", True),
        ("#### 18 dollars, or #### 20", "#### 20", "####", False),
        ("no idea", "7", None, False),
    ],
)
def test_benchmark_and_arena_agree(output, answer, marker, right, cache_dir):
    gold = numeric_answer(answer, marker)  # the benchmark: lighteval compares these strings
    benchmark_right = bool(gold) and numeric_answer(output, marker) == gold
    judge = ReferenceJudge(ReferenceJudgeConfig(name="reference"), cache_dir)  # no reference text: correctness alone
    [judgment] = judge.judge([Matchup(("q",), None, answer, (output,), ("I do not know.",))])
    arena_right = judgment.verdict == "A"  # both wrong is a tie
    assert benchmark_right == arena_right == right, judgment.raw
