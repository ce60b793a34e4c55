"""exact_dedup: the same conversation again (case and whitespace ignored). near_dedup: MinHash-LSH (datasketch)
proposes candidates, the exact Jaccard similarity of word-shingle sets decides, so the estimate's noise never
drops a row. Both keep the first copy, in source order."""

from __future__ import annotations

from dataclasses import dataclass

from sft_ablate.data.filters import QUALITY_FILTERS, FilterContext, FilterOutcome
from sft_ablate.data.formats import Messages, conversation_text, words
from sft_ablate.data.sources import Example
from sft_ablate.errors import ConfigError


@QUALITY_FILTERS.register("exact_dedup")
def exact_dedup(rows: list[Example], settings: None, context: FilterContext) -> FilterOutcome:
    first: dict[str, str] = {}
    removed: dict[int, str] = {}
    for example in rows:
        key = _normalized(example.messages)
        if key in first:
            removed[id(example)] = f"exact duplicate of {first[key]}"
        else:
            first[key] = example.origin
    return FilterOutcome(removed=removed)


def _normalized(messages: Messages) -> str:
    return "\n".join(f"{m['role']}: {' '.join(m['content'].lower().split())}" for m in messages)


@dataclass
class NearDedupConfig:
    threshold: float = 0.7  # Jaccard similarity of word-shingle sets at which the later row is dropped
    shingle: int = 2  # words per shingle: rows are short, so one changed word must still leave most shingles equal
    num_perm: int = 128  # MinHash permutations (LSH finds candidates; the exact Jaccard decides)

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ConfigError(f"quality.near_dedup.threshold must be in (0, 1], got {self.threshold}")


@QUALITY_FILTERS.register("near_dedup", NearDedupConfig)
def near_dedup(rows: list[Example], settings: NearDedupConfig, context: FilterContext) -> FilterOutcome:
    from datasketch import MinHash, MinHashLSH  # imported here: its import costs ~1 s

    # Weights favour recall: LSH only proposes candidates; the exact Jaccard below decides.
    lsh = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm, weights=(0.2, 0.8))
    kept: dict[str, tuple[set[str], str]] = {}
    removed: dict[int, str] = {}
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
            removed[id(example)] = f"near-duplicate of {best_origin} (Jaccard {best:.2f} of word {settings.shingle}-grams)"
        else:
            lsh.insert(str(i), signature)
            kept[str(i)] = (grams, example.origin)
    return FilterOutcome(removed=removed)


def shingles(text: str, n: int) -> set[str]:
    tokens = words(text)
    return {" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1))}
