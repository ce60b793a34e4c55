"""The answer number of a text, read one way for benchmarks and for the arena, so that they never disagree.

A GSM8K answer ends with "#### 42"; a free answer ends with "So she pays $1,000.50." Numbers are exact
decimals: "3.0" is "3", and no float rounding decides whether an answer is right.
"""

from __future__ import annotations

import re
from decimal import Decimal

GSM8K_MARKER = "####"
# Bump when final_number reads some text differently: cached benchmark scores and arena verdicts depend on it.
PARSER_VERSION = 1

# A number as written in answers: -3, 1,000, 0.5 ("$" before it and a full stop after it are not part of it).
# Digits inside words and exponents ("H2O", "m^2") are not numbers.
_NUMBER = r"(?<![\w^.])-?\d[\d,]*(?:\.\d+)?"
_AFTER_MARKER = re.compile(r"\s*\$?\s*(" + _NUMBER + ")")


def final_number(text: str, marker: str | None = GSM8K_MARKER) -> Decimal | None:
    """The answer number in a text, exact ("$1,000.50." -> Decimal("1000.50")), or None.

    Where the text has the marker, the number right after its first occurrence ("#### $42" -> 42), and None
    when no number follows it. Otherwise, or with marker=None, the last number in the text.
    """
    if marker is not None and marker in text:
        match = _AFTER_MARKER.match(text.split(marker, 1)[1])
        found = match.group(1) if match else None
    else:
        numbers = re.findall(_NUMBER, text)
        found = numbers[-1] if numbers else None
    return None if found is None else Decimal(found.replace(",", ""))


def same_number(text: str, answer: str, marker: str | None = GSM8K_MARKER) -> bool:
    """Whether a text's answer number equals the answer's ("3.0" and "#### 3"); no number is never the same."""
    got, want = final_number(text, marker), final_number(answer, marker)
    return got is not None and got == want


def number_text(number: Decimal) -> str:
    """One spelling per value, for comparing answers as strings: 3.0 -> "3", 1000.50 -> "1000.5", -0 -> "0"."""
    return format(number.normalize(), "f") if number != 0 else "0"
