"""The rubric judge's prompt and the robust parsing of its verdicts."""

from __future__ import annotations

import json

import pytest

from sft_ablate.synth.rubric import VerdictProblem, parse_verdict, rubric_messages


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"helpfulness": 4, "factuality": 5, "format": 3, "reason": "Correct but terse."}', (4, 5, 3, "Correct but terse.")),
        # JSON inside prose and a code fence, keys in another case, scores as strings
        ('Sure! ```json\n{"Helpfulness": "5", "Factuality": "4/5", "Format": 4, "Reason": "ok"}\n```', (5, 4, 4, "ok")),
        # `name: score` lines
        ("Helpfulness: 2\nFactuality: 3/5\nFormat: 1\nReason: off topic", (2, 3, 1, "off topic")),
        # a JSON object cut off by max_new_tokens still has its scores
        ('```json\n{\n  "helpfulness": 4,\n  "factuality": 5,\n  "format": 3,', (4, 5, 3, "")),
        # prose a small judge might write
        ("I gave it a helpfulness of 4, a factuality of 5, and a format of 3.", (4, 5, 3, "")),
    ],
)
def test_parses_verdicts_in_the_shapes_judges_write(text, expected):
    verdict = parse_verdict(text)
    assert (verdict.helpfulness, verdict.factuality, verdict.format, verdict.reason) == expected
    assert verdict.score == pytest.approx(sum(expected[:3]) / 3)


@pytest.mark.parametrize(
    "text, code",
    [
        (None, "judge_empty"),
        ("   ", "judge_empty"),
        ("The answer is fine, I like it.", "judge_malformed"),
        ('{"verdict": "good"}', "judge_malformed"),
        ('{"helpfulness": "<1-5>", "factuality": "<1-5>", "format": "<1-5>"}', "judge_malformed"),
        ('{"helpfulness": true, "factuality": 4, "format": 4}', "judge_malformed"),
        ('{"helpfulness": 4, "factuality": 5, "reason": "no format score"}', "judge_missing_score"),
        ("Helpfulness: 4", "judge_missing_score"),
        ('{"helpfulness": 9, "factuality": 5, "format": 3}', "judge_out_of_range"),
        ('{"helpfulness": 0, "factuality": 5, "format": 3}', "judge_out_of_range"),
        ("Helpfulness: 4\nFactuality: -1\nFormat: 4", "judge_out_of_range"),
        ('{"helpfulness": 4.5, "factuality": 5, "format": 6}', "judge_out_of_range"),
        # the prompt's worked example, copied (SmolLM2-135M did on 5 of 8 accepted rows)
        ('{"helpfulness": 5, "factuality": 5, "format": 5, "reason": "Correct and direct."}', "judge_copied_example"),
        ('{"helpfulness": 3, "factuality": 4, "format": 4, "reason": "correct and direct"}', "judge_copied_example"),
        ('{"helpfulness": 2, "factuality": 1, "format": 4, "reason": "Wrong: 7 x 8 = 56."}', "judge_copied_example"),
        ('{"helpfulness": 2, "factuality": 2, "format": 4, "reason": "Wrong: 3 x 3 = 9.5."}', "judge_copied_example"),
    ],
)
def test_unusable_verdicts_are_problems_with_a_code(text, code):
    with pytest.raises(VerdictProblem) as problem:
        parse_verdict(text)
    assert problem.value.code == code


def test_rubric_prompt_shows_the_question_and_the_answer_or_the_whole_conversation():
    single = rubric_messages([{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4"}])
    assert [m["role"] for m in single] == ["user", "assistant", "user", "assistant", "user"]
    assert single[-1]["content"].endswith("Question: What is 2+2?\nAnswer: 4")
    # the worked examples are verdicts the parser reads, one bad and one good
    examples = [json.loads(m["content"]) for m in single[1::2][:2]]  # parse_verdict rejects them: copied examples
    assert [sum(e[c] for c in ("helpfulness", "factuality", "format")) / 3 for e in examples] == [7 / 3, 5.0]
    multi = rubric_messages(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Paris."},
            {"role": "user", "content": "And of Spain?"},
            {"role": "assistant", "content": "Madrid."},
        ]
    )[-1]["content"]
    assert "User: Capital of France?\nAssistant: Paris.\nUser: And of Spain?" in multi
    assert multi.rstrip().count("Madrid.") == 1 and "Be brief." not in multi


def test_a_reason_of_its_own_with_numbers_is_not_taken_for_the_copied_example():
    verdict = parse_verdict('{"helpfulness": 2, "factuality": 1, "format": 4, "reason": "Wrong: the sum is 12, not 13."}')
    assert verdict.reason == "Wrong: the sum is 12, not 13."
