"""A content-addressed cache shared by all runs: converted models, tiny tokenizers, tokenized data.

Entries are directories written under a temporary name and renamed into place, so a run that is killed
mid-write never leaves a half-built entry that a later run would trust.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


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
