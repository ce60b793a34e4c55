"""Diversity: how varied a set of rows is (measures), and picking low/medium/high-diversity subsets (selection).

Measures, for any list of ChatML rows:
- lexical: distinct-1 and distinct-2 (distinct n-grams / all n-grams) over instructions and responses;
- semantic: mean pairwise cosine distance of sentence embeddings, and the entropy of the rows' spread over
  k-means clusters of a reference pool (the clusters are fitted on the pool, not on the rows, so two
  selections from one pool are scored against the same map);
- task coverage: how many distinct leading words the instructions start with ("write", "convert", "what"),
  and the entropy of that distribution; with a `task` field in the data, the tasks covered as well.

Selection picks `n` rows of one source's pool at a fixed budget, seeded:
- `random`: a uniform draw, the pool's natural diversity (what `diversity=all` does: no selection);
- `anchor_region`: rows drawn from the part of the pool nearest a seeded anchor row. `region` sets that
  part's size as a fraction of the pool: 0 takes the n nearest rows (low), 0.5 draws from the nearer half
  (medium). Sizing the region in rows, not in k-means clusters, keeps the levels apart on any pool: with
  "a few clusters", uneven clusters made low and medium pick the same rows on the self-instruct seeds;
- `k_center`: greedy k-center (farthest-point) selection, which maximizes coverage (high). It favours
  unusual rows, which tend to be longer: the recorded length distributions show by how much.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from sft_ablate.cache import cached_array
from sft_ablate.data.formats import Messages, assistant_text, conversation_text, user_text, words
from sft_ablate.data.mixture import draw_indices
from sft_ablate.data.schema import DiversityConfig

# Polite openings that say nothing about the task: "Please write..." covers the task "write".
_OPENERS = {"please", "can", "could", "would", "will", "you", "kindly", "i", "need", "want", "to", "help", "me", "now"}


def embedding_text(messages: Messages, what: str) -> str:
    """The text a row is embedded by: the whole conversation, or only its instruction side."""
    return user_text(messages) if what == "instruction" else conversation_text(messages)


# ---------------------------------------------------------------- measures


def measure(
    rows: list[Messages], embeddings: np.ndarray, clusters: np.ndarray | None = None, tasks: list[str] | None = None
) -> dict[str, Any]:
    """All diversity measures of a row set. `clusters`: k-means centres of the pool (`fit_clusters`) that score
    coverage; without it, the rows' own clusters (fine for one set alone, not for comparing sets)."""
    instructions = [user_text(m) for m in rows]
    responses = [assistant_text(m) for m in rows]
    leading = Counter(leading_word(text) for text in instructions)
    out: dict[str, Any] = {
        "rows": len(rows),
        "distinct_1_instruction": distinct_n(instructions, 1),
        "distinct_2_instruction": distinct_n(instructions, 2),
        "distinct_1_response": distinct_n(responses, 1),
        "distinct_2_response": distinct_n(responses, 2),
        "mean_cosine_distance": mean_cosine_distance(embeddings),
    }
    out.update(cluster_entropy(embeddings, clusters if clusters is not None else fit_clusters(embeddings)))
    out["leading_words"] = len(leading)
    out["leading_word_entropy"] = _entropy_bits(leading.values())
    out["top_leading_words"] = dict(leading.most_common(10))
    if tasks is not None:
        covered = Counter(tasks)
        out["tasks"] = len(covered)
        out["task_entropy"] = _entropy_bits(covered.values())
    return out


def distinct_n(texts: list[str], n: int) -> float:
    """Distinct n-grams over all n-grams in the texts (Li et al., 2016); 0 when there are none."""
    grams = [tuple(toks[i : i + n]) for toks in map(words, texts) for i in range(len(toks) - n + 1)]
    return round(len(set(grams)) / len(grams), 4) if grams else 0.0


def mean_pairwise_cosine_similarity(embeddings: np.ndarray) -> float:
    """Mean cosine similarity over distinct pairs of unit vectors, in O(n·d): |sum|^2 counts every pair twice plus n."""
    n = len(embeddings)
    if n < 2:
        return 1.0
    total = embeddings.sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))


def mean_cosine_distance(embeddings: np.ndarray) -> float:
    return round(1.0 - mean_pairwise_cosine_similarity(embeddings), 4)


def fit_clusters(reference: np.ndarray, num_clusters: int = 16, cache_dir: Path | None = None) -> np.ndarray:
    """The fixed map that cluster entropy is scored on: k-means centres of a reference pool, seed 0 (cached)."""
    k = max(1, min(num_clusters, len(reference)))

    def fit() -> np.ndarray:
        return kmeans(reference, k, seed=0).cluster_centers_.astype(np.float32)

    if cache_dir is None:
        return fit()
    key = hashlib.sha256(reference.tobytes() + str(reference.shape).encode()).hexdigest()[:16]
    return cached_array(cache_dir / "embeddings" / f"kmeans-{key}-{k}.npy", fit)


def cluster_entropy(embeddings: np.ndarray, centers: np.ndarray) -> dict[str, Any]:
    """Entropy (bits) of the rows over the clusters (nearest centre); normalized by log2 k as well, and clusters hit."""
    k = len(centers)
    if k < 2 or len(embeddings) == 0:
        return {"cluster_entropy": 0.0, "cluster_entropy_normalized": 0.0, "clusters_hit": min(1, len(embeddings)), "clusters": k}
    squared = (embeddings**2).sum(1)[:, None] - 2 * embeddings @ centers.T + (centers**2).sum(1)[None, :]
    counts = np.bincount(np.argmin(squared, axis=1), minlength=k)
    entropy = _entropy_bits(counts)
    return {
        "cluster_entropy": entropy,
        "cluster_entropy_normalized": round(entropy / math.log2(k), 4),
        "clusters_hit": int((counts > 0).sum()),
        "clusters": k,
    }


def leading_word(instruction: str) -> str:
    """The first word that names the task, after polite openings: "Could you please write..." -> "write"."""
    tokens = words(instruction)
    for token in tokens:
        if token not in _OPENERS:
            return token
    return tokens[0] if tokens else ""


def _entropy_bits(counts) -> float:
    counts = np.asarray([c for c in counts if c > 0], dtype=float)
    if counts.sum() == 0:
        return 0.0
    p = counts / counts.sum()
    return round(float(-(p * np.log2(p)).sum()) + 0.0, 4)


# ---------------------------------------------------------------- selection


def select(embeddings: np.ndarray, n: int, params: DiversityConfig, rng: np.random.Generator) -> list[int]:
    """Indices of `n` rows of a pool. A pool no larger than `n` is taken whole, then repeated as the mixture's
    upsampling does: there is nothing to select, and every level fills the same budget."""
    pool = len(embeddings)
    if params.method == "random" or n >= pool:
        return draw_indices(pool, n, rng)
    if params.method == "k_center":
        return k_center(embeddings, n, rng)
    return anchor_region(embeddings, n, params.region, rng)


def anchor_region(embeddings: np.ndarray, n: int, region: float, rng: np.random.Generator) -> list[int]:
    """`n` rows drawn uniformly from the region nearest a seeded anchor row; the region holds `region` of the
    pool, and at least `n` rows (region 0: exactly the n nearest rows, one narrow corner of the pool)."""
    anchor = int(rng.integers(len(embeddings)))
    nearest = np.argsort(-(embeddings @ embeddings[anchor]), kind="stable")
    size = max(n, round(region * len(embeddings)))
    return [int(nearest[i]) for i in rng.permutation(size)[:n]]


def k_center(embeddings: np.ndarray, n: int, rng: np.random.Generator) -> list[int]:
    """Greedy k-center: start at a seeded random row, then always add the row farthest from everything chosen."""
    chosen = [int(rng.integers(len(embeddings)))]
    distance = 1.0 - embeddings @ embeddings[chosen[0]]
    while len(chosen) < n:
        far = int(np.argmax(distance))
        chosen.append(far)
        distance = np.minimum(distance, 1.0 - embeddings @ embeddings[far])
    return chosen


def kmeans(embeddings: np.ndarray, k: int, seed: int):
    from sklearn.cluster import KMeans  # imported here: sklearn costs ~1 s to import and most commands never cluster

    return KMeans(n_clusters=k, n_init=2, random_state=seed).fit(embeddings)
