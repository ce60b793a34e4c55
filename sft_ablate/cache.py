"""A content-addressed cache shared by all runs: converted models, tiny tokenizers, tokenized data, embeddings,
base-model scores.

Entries are written under a temporary name and renamed into place (directories by ``building``, files by
sft_ablate.io's atomic writers), so a run that is killed mid-write never leaves a half-built entry that a later
run would trust.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from sft_ablate.io import read_json, write_bytes_atomic, write_json_atomic

T = TypeVar("T")


def content_key(*parts: Any) -> str:
    """A short stable hash of JSON-able parts."""
    payload = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def file_fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cached(path: Path, compute: Callable[[], T], load: Callable[[Path], T], save: Callable[[Path, T], None]) -> T:
    """The value stored at ``path`` if a run made it before, else ``compute()``, stored there first. ``save``
    must write atomically (sft_ablate.io), so that a killed writer never leaves an entry a reader would trust."""
    if path.exists():
        return load(path)
    value = compute()
    save(path, value)
    return value


def cached_json(path: Path, compute: Callable[[], T]) -> T:
    return cached(path, compute, read_json, write_json_atomic)


def cached_array(path: Path, compute: Callable[[], np.ndarray]) -> np.ndarray:
    return cached(path, compute, np.load, _save_array)


def _save_array(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    write_bytes_atomic(path, buffer.getvalue())


@contextmanager
def building(final_dir: Path) -> Iterator[Path]:
    """Yield a scratch dir; on success it becomes ``final_dir`` atomically. Another writer winning the race is fine."""
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}.", dir=final_dir.parent))
    try:
        yield scratch
        try:
            os.rename(scratch, final_dir)
        except OSError:
            if not final_dir.exists():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
