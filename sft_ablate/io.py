"""Reading and writing files: the one atomic writer, the one JSONL reader, the nearest existing parent.

Writers put a temp file beside the target, fsync it and rename it over the old one, so a reader (the report,
a rerun deciding whether to skip, a cache lookup) sees the previous complete file or the new one, never half.
The JSONL reader names every problem by ``file:line``, decodes UTF-8 strictly and bounds the size of a row.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sft_ablate.errors import DataError

# One row over this is a file that is not JSONL (a whole JSON array or a dump on one line) or a runaway row;
# reading it whole could take all the memory, so it is read no further and reported as a bad row.
MAX_ROW_BYTES = 16 * 2**20


class RowProblem(ValueError):
    """What is wrong with one row; the caller turns it into a DataError with file and line (or skips the row)."""


def write_bytes_atomic(path: Path, payload: bytes) -> None:
    """Write beside the target, fsync, rename over it: readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would make outputs unreadable to others
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, payload: Any) -> None:
    write_text_atomic(path, json.dumps(payload, indent=2, ensure_ascii=False, default=_jsonable) + "\n")


def write_jsonl_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    write_text_atomic(path, "".join(json.dumps(row, ensure_ascii=False, default=_jsonable) + "\n" for row in rows))


def read_json(path: Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def jsonl_rows(path: Path) -> Iterator[tuple[str, Any]]:
    """(``file:line``, row) for each non-blank line; a line that cannot be read comes back as a RowProblem,
    so that a data loader can skip it (``on_bad_row: skip``) or fail with its origin."""
    with Path(path).open("rb") as f:
        for line_no, raw in enumerate(iter(lambda: f.readline(MAX_ROW_BYTES + 1), b""), start=1):
            origin = f"{path}:{line_no}"
            if len(raw) > MAX_ROW_BYTES:
                while raw and not raw.endswith(b"\n"):  # skip the rest of the line in bounded reads
                    raw = f.readline(MAX_ROW_BYTES)
                yield (
                    origin,
                    RowProblem(
                        f"row is longer than {MAX_ROW_BYTES // 2**20} MiB, the limit for one row "
                        "(is this file JSONL, one row per line?)"
                    ),
                )
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                yield origin, RowProblem(f"not valid UTF-8 (byte {raw[err.start]:#04x} at column {err.start + 1})")
                continue
            if not text.strip():
                continue
            try:
                yield origin, json.loads(text.rstrip("\r\n"))  # so that an error at the end names its column
            except json.JSONDecodeError as err:
                yield origin, RowProblem(f"malformed JSON: {err.msg} at column {err.colno}")


def read_jsonl_objects(path: Path, what: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``file:line``, object) for each row of a JSONL file that must be clean: the first problem is a DataError
    naming the file, the line and ``what`` the file is (an arena prompt file, seed tasks, ...)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what}: {path} does not exist")
    for origin, row in jsonl_rows(path):
        if isinstance(row, RowProblem):
            raise DataError(f"{origin}: {row} ({what})")
        if not isinstance(row, dict):
            raise DataError(f"{origin}: expected a JSON object, got {type(row).__name__} ({what})")
        yield origin, row


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy and torch scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


def nearest_existing(path: Path) -> Path:
    """path, or its nearest parent that exists: where a directory not made yet will live (its disk, its rights)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
