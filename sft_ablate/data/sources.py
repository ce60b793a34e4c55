"""Load data sources (JSONL, JSON, Parquet, CSV, Hugging Face dataset ids) into validated ChatML examples.

Every row keeps where it came from (``file:line``), so that an error, a dropped row or a duplicate can be
traced back to the line a user can open.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sft_ablate.data.formats import Messages, RowProblem, to_messages
from sft_ablate.data.schema import SourceConfig
from sft_ablate.errors import DataError
from sft_ablate.io import jsonl_rows

log = logging.getLogger(__name__)

FILE_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv")
# Fields that hold the conversation itself; other scalar fields are kept as metadata.
CONTENT_FIELDS = {"messages", "conversations", "instruction", "input", "output", "prompt", "completion", "system"}


@dataclass
class Example:
    messages: Messages
    source: str
    origin: str  # "path:line" or "hf:<id>[split]#index"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return messages_hash(self.messages)


@dataclass
class BadRow:
    """A row that did not make it into the data as read (one line of dropped_rows.jsonl)."""

    source: str
    origin: str
    problem: str
    filter: str = "invalid"  # "invalid" (failed validation) or the quality filter that removed it
    action: str = "dropped"  # "dropped", "redacted" (PII replaced; the row stays) or "stripped" (special tokens)


@dataclass
class LoadedSource:
    name: str
    kind: str  # "human" | "synthetic"
    examples: list[Example]
    rows_read: int
    bad_rows: list[BadRow]


def messages_hash(messages: Messages) -> str:
    return hashlib.sha256(json.dumps(messages, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def load_source(name: str, source: SourceConfig, on_bad_row: str) -> LoadedSource:
    """Read, normalize and validate every row of one source."""
    examples: list[Example] = []
    bad_rows: list[BadRow] = []
    rows_read = 0
    for origin, row in _read_rows(name, source):
        rows_read += 1
        try:
            if isinstance(row, RowProblem):
                raise row
            messages = to_messages(row, source.format)
        except RowProblem as problem:
            if on_bad_row == "fail":
                raise DataError(
                    f"{origin}: {problem} (data source {name!r}; set data.on_bad_row=skip to skip such rows)"
                ) from None
            bad_rows.append(BadRow(name, origin, str(problem)))
            continue
        meta = {k: v for k, v in row.items() if k not in CONTENT_FIELDS and isinstance(v, (str, int, float, bool))}
        examples.append(Example(messages, name, origin, meta))
        if source.max_rows is not None and len(examples) >= source.max_rows:
            break
    if bad_rows:
        log.warning("source %r: skipped %d bad rows; first: %s: %s", name, len(bad_rows), bad_rows[0].origin, bad_rows[0].problem)
    if not examples:
        where = source.path or source.hf_dataset
        raise DataError(f"data source {name!r} ({where}) has no usable rows ({len(bad_rows)} bad rows)")
    return LoadedSource(name, source.kind, examples, rows_read, bad_rows)


def _read_rows(name: str, source: SourceConfig) -> Iterator[tuple[str, Any]]:
    """Yield (origin, row) pairs. A row that cannot even be parsed comes back as a RowProblem."""
    if source.hf_dataset is not None:
        yield from _read_hf(source)
        return
    path = Path(source.path).expanduser()
    if not path.exists():
        raise DataError(f"data source {name!r}: file not found: {path} (data.sources.{name}.path)")
    if path.is_dir():
        raise DataError(f"data source {name!r}: {path} is a directory; name a .jsonl, .json, .parquet or .csv file")
    suffix = path.suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise DataError(f"data source {name!r}: {path}: unsupported file type {suffix!r} (use one of {', '.join(FILE_SUFFIXES)})")
    yield from read_file_rows(path)


def read_file_rows(path: Path) -> Iterator[tuple[str, Any]]:
    """(origin, row) pairs of a local file with one of FILE_SUFFIXES; an unparseable row comes back as a RowProblem."""
    readers = {".jsonl": jsonl_rows, ".json": _read_json, ".parquet": _read_parquet, ".csv": _read_csv}
    yield from readers[path.suffix.lower()](path)


def _read_json(path: Path) -> Iterator[tuple[str, Any]]:
    text = _read_utf8(path)
    # Walk the top-level array with raw_decode so that each row keeps its line number.
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    if not text[start:].startswith("["):
        raise DataError(f"{path}:1: a .json data file must hold an array of rows (use .jsonl for one row per line)")
    pos = start + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            raise DataError(f"{path}:{text.count(chr(10), 0, pos) + 1}: malformed JSON: the array is not closed")
        if text[pos] == "]":
            return
        line_no = text.count("\n", 0, pos) + 1
        try:
            row, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise DataError(f"{path}:{err.lineno}: malformed JSON: {err.msg} at column {err.colno}") from err
        yield f"{path}:{line_no}", row


def _read_parquet(path: Path) -> Iterator[tuple[str, Any]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for a bad file
        raise DataError(f"{path}: not a readable Parquet file: {err}") from err
    for i, row in enumerate(table.to_pylist()):
        yield f"{path}:row {i}", _decode_json_fields(row)


def _read_csv(path: Path) -> Iterator[tuple[str, Any]]:
    text = _read_utf8(path)
    reader = csv.DictReader(text.splitlines(keepends=True))
    start_line = 2
    for row in reader:
        yield f"{path}:{start_line}", _decode_json_fields(row)
        start_line = reader.line_num + 1


def _decode_json_fields(row: dict[str, Any]) -> dict[str, Any] | RowProblem:
    """Columnar formats store nested fields (messages, conversations) as JSON text."""
    for key in ("messages", "conversations", "prompt", "completion"):
        value = row.get(key)
        if isinstance(value, str) and value.lstrip().startswith("["):
            try:
                row[key] = json.loads(value)
            except json.JSONDecodeError as err:
                return RowProblem(f"column {key!r} holds malformed JSON: {err.msg}")
        elif hasattr(value, "tolist"):  # numpy arrays from parquet
            row[key] = value.tolist()
    return row


def _read_utf8(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line_no = data.count(b"\n", 0, err.start) + 1
        raise DataError(f"{path}:{line_no}: not valid UTF-8 (byte {data[err.start]:#04x})") from err


def _read_hf(source: SourceConfig) -> Iterator[tuple[str, Any]]:
    import datasets

    try:
        dataset = datasets.load_dataset(source.hf_dataset, source.hf_subset, split=source.split)
    except Exception as err:  # the hub client raises many types; all mean "cannot get it"
        raise DataError(
            f"could not load Hugging Face dataset {source.hf_dataset!r} (split {source.split!r}): "
            f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}. "
            "Offline? Download it once with the hub reachable, or point `path:` at a local file."
        ) from err
    for i, row in enumerate(dataset):
        yield f"hf:{source.hf_dataset}[{source.split}]#{i}", row
