"""pii: emails, phone numbers, card numbers (Luhn-checked), public IP addresses and API keys; redacted
(<EMAIL>, <PHONE>, ...) or the row dropped. Reasons name the kinds found, never the PII itself."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sft_ablate.data.filters import QUALITY_FILTERS, Edit, FilterContext, FilterOutcome
from sft_ablate.data.sources import Example
from sft_ablate.errors import ConfigError

PII_KINDS = ("email", "phone", "credit_card", "ip_address", "api_key")


@dataclass
class PiiConfig:
    action: str = "redact"  # "redact" (replace with <EMAIL>, <PHONE>, ...) or "drop" the row
    kinds: list[str] = field(default_factory=lambda: list(PII_KINDS))

    def __post_init__(self) -> None:
        if self.action not in ("redact", "drop"):
            raise ConfigError(f"quality.pii.action must be 'redact' or 'drop', got {self.action!r}")
        unknown = sorted(set(self.kinds) - set(PII_KINDS))
        if unknown:
            raise ConfigError(f"quality.pii.kinds: unknown kind {unknown[0]!r} (known: {', '.join(PII_KINDS)})")


@QUALITY_FILTERS.register("pii", PiiConfig)
def pii(rows: list[Example], settings: PiiConfig, context: FilterContext) -> FilterOutcome:
    outcome = FilterOutcome()
    for example in rows:
        kinds: list[str] = []
        messages = []
        for m in example.messages:
            spans = find_pii(m["content"], settings.kinds)
            kinds += [kind for kind, _, _ in spans]
            messages.append({**m, "content": redact(m["content"], spans)} if spans else m)
        if not kinds:
            continue
        listed = sorted(set(kinds))
        if settings.action == "drop":
            outcome.removed[id(example)] = f"contains PII: {', '.join(listed)}"
        else:
            redacted = replace(example, messages=messages)
            outcome.edited[id(example)] = Edit(redacted, f"PII redacted: {', '.join(listed)}", "redacted", tuple(listed))
    return outcome


# Patterns are hand-written: the maintained detectors (presidio, phonenumbers) are not in the pinned set, and
# the validation that keeps false positives down (Luhn, issuer prefixes, ipaddress) is a few lines each.
_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# +CC with any separators, or a 3-3-4 North American number written with dashes, dots or a (area) code.
# Space-only 3-3-4 runs are left alone: "512 128 1024" is a list of numbers far more often than a phone.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){2,4}"
    r"|\(\d{3}\) ?\d{3}[.-]\d{4}|\d{3}([.-])\d{3}\1\d{4})(?![\w-]|\.\d)"
)
# Cards are printed unbroken or in their issuers' groups (4-4-4-4[-3], Amex/Diners 4-6-5/4); any other
# grouping ("512 128 1024 2048") is a list of numbers.
_CARD = re.compile(r"(?<![\w.-])(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?|\d{4}([ -])\d{6}\2\d{4,5})(?![\w-]|\.\d)")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_VERSION_CONTEXT = re.compile(r"(?:version|release|build|v)\s*$", re.IGNORECASE)
_API_KEY = re.compile(
    r"(?<![\w-])(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|AIza[0-9A-Za-z_-]{35}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----)"
)
PLACEHOLDERS = {
    "email": "<EMAIL>",
    "phone": "<PHONE>",
    "credit_card": "<CREDIT_CARD>",
    "ip_address": "<IP_ADDRESS>",
    "api_key": "<API_KEY>",
}


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _is_card(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    # Issuers' leading digits (3: Amex/Diners/JCB, 4: Visa, 5 and 2: Mastercard, 6: Discover/UnionPay) rule out
    # ISBN-13s (978...), millisecond timestamps (1...) and most other long numbers before Luhn is asked.
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and len(set(digits)) > 1 and luhn_valid(digits)


def _is_phone(text: str) -> bool:
    return 10 <= len(re.sub(r"\D", "", text)) <= 15


def _is_public_ip(text: str, before: str) -> bool:
    if _VERSION_CONTEXT.search(before[-12:]):  # "version 1.2.3.4" is a version
        return False
    try:
        return ipaddress.ip_address(text).is_global  # private, loopback and documentation ranges identify no one
    except ValueError:
        return False


# Each kind's spans in a text. In order of precedence: where spans overlap (a card number that also looks like a
# phone), the kind listed first wins.
_DETECTORS: dict[str, Callable[[str], list[tuple[int, int]]]] = {
    "api_key": lambda text: [m.span() for m in _API_KEY.finditer(text)],
    "email": lambda text: [m.span() for m in _EMAIL.finditer(text)],
    "credit_card": lambda text: [m.span() for m in _CARD.finditer(text) if _is_card(m.group())],
    "phone": lambda text: [m.span() for m in _PHONE.finditer(text) if _is_phone(m.group())],
    "ip_address": lambda text: [
        m.span() for pattern in (_IPV4, _IPV6) for m in pattern.finditer(text) if _is_public_ip(m.group(), text[: m.start()])
    ],
}


def find_pii(text: str, kinds: list[str]) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every PII span in the text, by the kinds asked for."""
    found = [(kind, start, end) for kind, detect in _DETECTORS.items() if kind in kinds for start, end in detect(text)]
    spans: list[tuple[str, int, int]] = []
    for kind, start, end in found:
        if all(end <= s or start >= e for _, s, e in spans):
            spans.append((kind, start, end))
    return sorted(spans, key=lambda span: span[1])


def redact(text: str, spans: list[tuple[str, int, int]]) -> str:
    for kind, start, end in sorted(spans, key=lambda span: span[1], reverse=True):
        text = text[:start] + PLACEHOLDERS[kind] + text[end:]
    return text
