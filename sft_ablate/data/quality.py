"""Quality filters: an ordered, configurable list, applied to the rows of every source before the eval hold-out.

Each filter removes rows (or, for PII with action=redact, rewrites them) and says why, so every removal
is counted per source and filter and lands in the run's dropped_rows.jsonl with its reason:

- exact_dedup: the same conversation again (case and whitespace ignored);
- near_dedup: MinHash-LSH (datasketch) finds candidates, the exact Jaccard similarity of word-bigram
  shingles decides, so the estimate's noise never drops a row;
- length: too few or too many tokens in the whole row;
- degenerate: a response with no words, one that repeats its instruction, or one that loops;
- pii: emails, phone numbers, card numbers (Luhn-checked), public IP addresses and API keys;
- decontaminate: n-gram overlap (13 words by default) with the eval prompts of the benchmarks and arena, and
  with the external held-out sets (eval.heldout_sets);
- special_tokens: literal special-token strings (<|endoftext|>, <|im_end|>, </s>, ...) in any turn, which would
  be tokenized into the answer; stripped out (a row left with an empty turn is dropped) or the row dropped.

Dedup runs over all sources together (the first occurrence, in source order, is kept): a row that sits in
two sources could otherwise be trained on from one and evaluated on from the other.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sft_ablate.config import (
    DecontaminateConfig,
    DegenerateConfig,
    LengthConfig,
    NearDedupConfig,
    PiiConfig,
    QualityConfig,
    SpecialTokensConfig,
)
from sft_ablate.data.formats import Messages, approx_tokens, conversation_text, words
from sft_ablate.data.sources import BadRow, Example
from sft_ablate.errors import DataError
from sft_ablate.io import read_jsonl_objects

log = logging.getLogger(__name__)


@dataclass
class QualityResult:
    kept: dict[str, list[Example]]  # per source, in the original order
    removed: dict[str, dict[str, int]]  # source -> filter -> rows removed (every configured filter listed)
    redacted: dict[str, dict[str, int]]  # source -> PII kind -> rows redacted
    special_tokens_stripped: dict[str, int] = field(default_factory=dict)  # source -> rows whose strings were stripped
    dropped: list[BadRow] = field(default_factory=list)  # removed and redacted rows, with reasons
    eval_prompts: dict[str, int] = field(default_factory=dict)  # decontamination: "path:field" -> prompts read


def apply_filters(
    sources: dict[str, list[Example]], config: QualityConfig, heldout: dict[str, list[Example]] | None = None
) -> QualityResult:
    """Run the configured filters in order over every source; return what is kept and what each filter did.
    `heldout`: external eval sets (name -> rows) that decontamination keeps out of training like the eval prompts."""
    result = QualityResult(
        kept={name: list(rows) for name, rows in sources.items()},
        removed={name: {f: 0 for f in config.filters} for name in sources},
        redacted={name: {} for name in sources},
        special_tokens_stripped={name: 0 for name in sources},
    )
    for name in config.filters:
        rows = [e for kept in result.kept.values() for e in kept]  # source order: dedup keeps the first source's copy
        if name == "pii":
            _apply_pii(result, dict(pii_verdicts(rows, config.pii)), config.pii.action)
            continue
        if name == "special_tokens":
            _apply_special_tokens(result, config.special_tokens)
            continue
        verdicts = _removals(name, rows, config, result, heldout or {})
        for example in rows:
            reason = verdicts.get(id(example))
            if reason is not None:
                result.removed[example.source][name] += 1
                result.dropped.append(BadRow(example.source, example.origin, reason, filter=name))
        result.kept = {s: [e for e in kept if id(e) not in verdicts] for s, kept in result.kept.items()}
    for source, counts in result.removed.items():
        if any(counts.values()):
            log.info("quality filters, source %r: removed %s", source, ", ".join(f"{f}={n}" for f, n in counts.items() if n))
    return result


# A verdict is (id(example), reason): `id` because identical rows are distinct rows (that is what dedup finds).
Verdicts = Iterator[tuple[int, str]]


def _removals(
    name: str, rows: list[Example], config: QualityConfig, result: QualityResult, heldout: dict[str, list[Example]]
) -> dict[int, str]:
    if name == "exact_dedup":
        return dict(exact_duplicates(rows))
    if name == "near_dedup":
        return dict(near_duplicates(rows, config.near_dedup))
    if name == "length":
        return dict(length_outliers(rows, config.length))
    if name == "degenerate":
        return dict(degenerate_responses(rows, config.degenerate))
    prompts, result.eval_prompts = read_eval_prompts(config.decontaminate)
    for set_name, examples in heldout.items():  # every turn: a held-out answer must not be trained on either
        prompts += [EvalPrompt(m["content"], e.origin) for e in examples for m in e.messages]
        result.eval_prompts[f"eval.heldout_sets.{set_name}"] = len(examples)
    return dict(contaminated(rows, prompts, config.decontaminate))


def _normalized(messages: Messages) -> str:
    return "\n".join(f"{m['role']}: {' '.join(m['content'].lower().split())}" for m in messages)


# ---------------------------------------------------------------- dedup


def exact_duplicates(rows: list[Example]) -> Verdicts:
    first: dict[str, str] = {}
    for example in rows:
        key = _normalized(example.messages)
        if key in first:
            yield id(example), f"exact duplicate of {first[key]}"
        else:
            first[key] = example.origin


def shingles(text: str, n: int) -> set[str]:
    tokens = words(text)
    return {" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1))}


def near_duplicates(rows: list[Example], settings: NearDedupConfig) -> Verdicts:
    from datasketch import MinHash, MinHashLSH  # imported here: its import costs ~1 s

    # Weights favour recall: LSH only proposes candidates; the exact Jaccard below decides.
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm, weights=(0.2, 0.8))
    kept: dict[str, tuple[set[str], str]] = {}
    all_grams = [shingles(conversation_text(e.messages), settings.shingle) for e in rows]
    signatures = MinHash.bulk([[g.encode() for g in grams] for grams in all_grams], num_perm=settings.num_perm, seed=1)
    for i, (example, grams, signature) in enumerate(zip(rows, all_grams, signatures)):
        best, best_origin = 0.0, ""
        for key in lsh.query(signature):
            other, origin = kept[key]
            similarity = len(grams & other) / len(grams | other)
            if similarity > best:
                best, best_origin = similarity, origin
        if best >= settings.threshold:
            yield id(example), f"near-duplicate of {best_origin} (Jaccard {best:.2f} of word {settings.shingle}-grams)"
        else:
            lsh.insert(str(i), signature)
            kept[str(i)] = (grams, example.origin)


# ---------------------------------------------------------------- length and degenerate responses


def length_outliers(rows: list[Example], settings: LengthConfig) -> Verdicts:
    count = _token_counter(settings.tokenizer)
    for example in rows:
        n = sum(count(m["content"]) for m in example.messages)
        if n < settings.min_tokens:
            yield id(example), f"{n} tokens, fewer than length.min_tokens={settings.min_tokens}"
        elif n > settings.max_tokens:
            yield id(example), f"{n} tokens, more than length.max_tokens={settings.max_tokens}"


def _token_counter(tokenizer: str | None):
    if tokenizer is None:
        return approx_tokens
    from transformers import AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(tokenizer)
    except Exception as err:  # the hub client raises many types; all mean "cannot get it"
        raise DataError(
            f"quality.length.tokenizer={tokenizer!r} cannot be loaded ({type(err).__name__}); "
            "use a local tokenizer dir, or null to count words and punctuation"
        ) from err
    return lambda text: len(tok(text, add_special_tokens=False)["input_ids"])


def degenerate_responses(rows: list[Example], settings: DegenerateConfig) -> Verdicts:
    for example in rows:
        reason = degenerate_reason(example.messages, settings)
        if reason:
            yield id(example), reason


def degenerate_reason(messages: Messages, settings: DegenerateConfig) -> str | None:
    """Why an assistant turn is useless to train on, or None. Each turn is checked against its own prompt."""
    prompt = ""
    for i, message in enumerate(messages, start=1):
        if message["role"] != "assistant":
            prompt = message["content"]
            continue
        tokens = words(message["content"])
        if not tokens:
            return f"message {i}: empty response (no words)"
        if tokens == words(prompt):
            return f"message {i}: the response repeats the instruction"
        n = settings.repeat_ngram
        grams = [tuple(tokens[j : j + n]) for j in range(len(tokens) - n + 1)]
        if len(tokens) >= settings.min_words_for_repetition and grams:
            repeated = 1 - len(set(grams)) / len(grams)
            if repeated > settings.max_repeated_fraction:
                return f"message {i}: repetitive response ({repeated:.0%} of its word {n}-grams are repeats)"
    return None


# ---------------------------------------------------------------- PII

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


def find_pii(text: str, kinds: list[str]) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every PII span in the text, by the kinds asked for."""
    found: list[tuple[str, int, int]] = []
    if "api_key" in kinds:
        found += [("api_key", m.start(), m.end()) for m in _API_KEY.finditer(text)]
    if "email" in kinds:
        found += [("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]
    if "credit_card" in kinds:
        found += [("credit_card", m.start(), m.end()) for m in _CARD.finditer(text) if _is_card(m.group())]
    if "phone" in kinds:
        found += [("phone", m.start(), m.end()) for m in _PHONE.finditer(text) if _is_phone(m.group())]
    if "ip_address" in kinds:
        for pattern in (_IPV4, _IPV6):
            found += [
                ("ip_address", m.start(), m.end()) for m in pattern.finditer(text) if _is_public_ip(m.group(), text[: m.start()])
            ]
    # Overlaps (a card number that also looks like a phone): the first kind listed above wins.
    spans: list[tuple[str, int, int]] = []
    for kind, start, end in found:
        if all(end <= s or start >= e for _, s, e in spans):
            spans.append((kind, start, end))
    return sorted(spans, key=lambda span: span[1])


def redact(text: str, spans: list[tuple[str, int, int]]) -> str:
    for kind, start, end in sorted(spans, key=lambda span: span[1], reverse=True):
        text = text[:start] + PLACEHOLDERS[kind] + text[end:]
    return text


def pii_verdicts(rows: list[Example], settings: PiiConfig) -> Iterator[tuple[int, tuple[Example, list[str]]]]:
    """For each row with PII: (id, (redacted copy, kinds found))."""
    for example in rows:
        kinds: list[str] = []
        messages = []
        for m in example.messages:
            spans = find_pii(m["content"], settings.kinds)
            kinds += [kind for kind, _, _ in spans]
            messages.append({**m, "content": redact(m["content"], spans)} if spans else m)
        if kinds:
            yield id(example), (replace(example, messages=messages), sorted(set(kinds)))


def _apply_pii(result: QualityResult, verdicts: dict[int, tuple[Example, list[str]]], action: str) -> None:
    for source, kept in result.kept.items():
        out = []
        for example in kept:
            if id(example) not in verdicts:
                out.append(example)
                continue
            redacted, kinds = verdicts[id(example)]
            # The reason names the kinds only: the dropped-rows file must not become a copy of the PII.
            if action == "drop":
                result.removed[source]["pii"] += 1
                result.dropped.append(BadRow(source, example.origin, f"contains PII: {', '.join(kinds)}", filter="pii"))
                continue
            for kind in kinds:
                result.redacted[source][kind] = result.redacted[source].get(kind, 0) + 1
            result.dropped.append(
                BadRow(source, example.origin, f"PII redacted: {', '.join(kinds)}", filter="pii", action="redacted")
            )
            out.append(redacted)
        result.kept[source] = out


# ---------------------------------------------------------------- special-token strings


def strip_special_tokens(text: str, tokens: list[str]) -> tuple[str, list[str]]:
    """The text without any of `tokens` (longest first, so <|im_end|> is not cut by a shorter one), and those found."""
    found = [t for t in sorted(tokens, key=len, reverse=True) if t in text]
    for token in found:
        text = text.replace(token, "")
    return (text.strip() if found else text), sorted(found)


def _apply_special_tokens(result: QualityResult, settings: SpecialTokensConfig) -> None:
    for source, kept in result.kept.items():
        out = []
        for example in kept:
            found: set[str] = set()
            messages = []
            for m in example.messages:
                content, hits = strip_special_tokens(m["content"], settings.tokens)
                found.update(hits)
                messages.append({**m, "content": content} if hits else m)
            if not found:
                out.append(example)
                continue
            listed = ", ".join(sorted(found))
            if settings.action == "drop" or any(not m["content"] for m in messages):
                why = "contains" if settings.action == "drop" else "a turn is empty once stripped of"
                result.removed[source]["special_tokens"] += 1
                result.dropped.append(
                    BadRow(source, example.origin, f"{why} special-token strings: {listed}", filter="special_tokens")
                )
                continue
            result.special_tokens_stripped[source] += 1
            result.dropped.append(
                BadRow(
                    source,
                    example.origin,
                    f"special-token strings stripped: {listed}",
                    filter="special_tokens",
                    action="stripped",
                )
            )
            out.append(replace(example, messages=messages))
        result.kept[source] = out
        if result.special_tokens_stripped[source]:
            log.warning(
                "source %r: stripped special-token strings from %d rows (quality.special_tokens; see dropped_rows.jsonl)",
                source,
                result.special_tokens_stripped[source],
            )


# ---------------------------------------------------------------- decontamination


@dataclass
class EvalPrompt:
    text: str
    origin: str  # "path:line"


def read_eval_prompts(settings: DecontaminateConfig) -> tuple[list[EvalPrompt], dict[str, int]]:
    """The eval prompts to keep out of training, from every configured file (a list field gives one prompt per item).

    The benchmark and arena features add their prompt files to `quality.decontaminate.eval_prompts`; this is the
    one place that reads them.
    """
    prompts: list[EvalPrompt] = []
    counts: dict[str, int] = {}
    for source in settings.eval_prompts:
        path = Path(source.path).expanduser()
        if not path.exists():
            if source.optional:
                log.info("decontamination: %s is absent; skipped (optional)", path)
                continue
            raise DataError(
                f"decontamination: eval prompt file not found: {path} "
                "(quality.decontaminate.eval_prompts; mark it `optional: true` to skip it when absent)"
            )
        before = len(prompts)
        for origin, row in _read_prompt_rows(path):
            if source.field not in row:
                raise DataError(
                    f"{origin}: no field {source.field!r} (quality.decontaminate.eval_prompts names it "
                    f"for {path.name}; the row has: {', '.join(sorted(row))})"
                )
            value = row[source.field]
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str) and text.strip():
                    prompts.append(EvalPrompt(text, origin))
        counts[f"{path}:{source.field}"] = len(prompts) - before
    return prompts, counts


def _read_prompt_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    if path.suffix.lower() != ".jsonl":
        raise DataError(f"decontamination: {path}: eval prompt files must be .jsonl")
    yield from read_jsonl_objects(path, "an eval prompt file")


def contaminated(rows: list[Example], prompts: list[EvalPrompt], settings: DecontaminateConfig) -> Verdicts:
    """Rows that share a `ngram`-word sequence with an eval prompt, anywhere in any turn.

    A prompt shorter than `ngram` words is matched whole (as GPT-3's decontamination did), if it has at least
    `min_words`: a 6-word question like "What is the capital of Norway?" must not appear verbatim either, while
    a 3-word one ("Make it shorter") says nothing about contamination.
    """
    # Indexed by each gram's first `min_words` words: one dict lookup per row position, and a full comparison
    # only where a prefix matches.
    k = settings.min_words
    index: dict[tuple[str, ...], dict[tuple[str, ...], str]] = {}
    for prompt in prompts:
        tokens = words(prompt.text)
        n = min(settings.ngram, len(tokens))
        if n < k:
            continue
        for i in range(len(tokens) - n + 1):
            gram = tuple(tokens[i : i + n])
            index.setdefault(gram[:k], {}).setdefault(gram, prompt.origin)
    for example in rows:
        hit = _first_overlap(words(conversation_text(example.messages)), index, k)
        if hit is not None:
            gram, origin = hit
            shown = " ".join(gram) if len(gram) <= 13 else " ".join(gram[:13]) + " ..."
            yield id(example), f"shares {len(gram)} words with eval prompt {origin}: {shown!r}"


def _first_overlap(tokens: list[str], index: dict, k: int) -> tuple[tuple[str, ...], str] | None:
    for i in range(len(tokens) - k + 1):
        for gram, origin in index.get(tuple(tokens[i : i + k]), {}).items():
            if tuple(tokens[i : i + len(gram)]) == gram:
                return gram, origin
    return None
