"""The arena store: one SQLite file shared by every run under an outputs root, or a PostgreSQL database.

It holds the models in the pool, their answers (generations), the judge configs, the scheduled battles
and the judgments. SQLite because the concurrent runs of a multirun (or a SLURM array on one node) must
all add to one pool without losing or half-writing anything, and a database file gives that for free:
- WAL mode lets readers go on while one process writes; ``busy_timeout`` makes a second writer wait
  for the lock instead of failing;
- every write is one ``BEGIN IMMEDIATE`` transaction, so a process killed at any moment leaves each row
  either fully there or not there at all (tests/test_arena_store.py kills writers with SIGKILL).
WAL needs a local filesystem (not NFS). On a cluster, ``arena.store`` can name a PostgreSQL database instead
(``postgresql+psycopg://USER@HOST:PORT/DATABASE``, the password in PGPASSWORD or ~/.pgpass), with the same
guarantees and the same SQL (postgres.py; tests/test_arena_postgres.py).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sft_ablate.arena.postgres import PostgresConnection, is_database_url
from sft_ablate.errors import SftAblateError

STORE_FILE = "arena.sqlite"
BUSY_TIMEOUT_MS = 60_000  # a multirun's writers hold the lock for milliseconds; a minute is generous

# Written once for both engines: {real} is a float column's type; {battle_order} is PostgreSQL's insertion-order
# column (SQLite has its rowid).
SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY,          -- 'base/<model>' or the run dir relative to the store
    kind TEXT NOT NULL,           -- 'base', 'run' or 'external' (answers imported by the CLI)
    info TEXT NOT NULL,           -- JSON: run dir, factors, base model dir
    added_at {real} NOT NULL
);
CREATE TABLE IF NOT EXISTS prompts (
    key TEXT PRIMARY KEY,         -- content hash of the prompt (turns, reference, answer) and the sampling settings
    prompt TEXT NOT NULL          -- JSON: id, turns, reference, answer, sampling
);
CREATE TABLE IF NOT EXISTS generations (
    model TEXT NOT NULL,
    prompt_key TEXT NOT NULL,     -- content hash of the prompt turns and the sampling settings
    seed INTEGER NOT NULL,
    answers TEXT NOT NULL,        -- JSON list: the model's answer to each user turn
    length INTEGER NOT NULL,      -- words in the last answer (the one judged)
    PRIMARY KEY (model, prompt_key, seed)
);
CREATE TABLE IF NOT EXISTS judges (
    hash TEXT PRIMARY KEY,
    config TEXT NOT NULL          -- JSON of the judge config, so `python -m sft_ablate.arena` can judge more
);
CREATE TABLE IF NOT EXISTS battles (
    {battle_order}judge TEXT NOT NULL,
    prompt_key TEXT NOT NULL,
    seed INTEGER NOT NULL,
    model_a TEXT NOT NULL,
    model_b TEXT NOT NULL,
    key_ab TEXT NOT NULL,         -- the judgment with A's answer shown first
    key_ba TEXT NOT NULL,         -- ... and with the positions swapped
    PRIMARY KEY (judge, prompt_key, seed, model_a, model_b)
);
CREATE TABLE IF NOT EXISTS judgments (
    key TEXT PRIMARY KEY,         -- hash of (judge config, prompt, answer shown first, answer shown second)
    judge TEXT NOT NULL,
    verdict TEXT,                 -- 'A' (first shown wins), 'B', 'C' (tie), or NULL: unparseable
    raw TEXT NOT NULL,            -- the judge's own words (or the reference judge's reason)
    created_at {real} NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,        -- judge_calls: judgments asked of a judge, ever
    value BIGINT NOT NULL
);
"""
SQLITE = {"real": "REAL", "battle_order": "", "order_by": "b.rowid"}
POSTGRES = {"real": "DOUBLE PRECISION", "battle_order": "seq BIGSERIAL,\n    ", "order_by": "b.seq"}


@dataclass(frozen=True)
class StoredBattle:
    model_a: str
    model_b: str
    prompt_key: str
    seed: int
    verdict_ab: str | None  # None: not judged yet
    verdict_ba: str | None
    judged_ab: bool
    judged_ba: bool


Location = Path | str  # a SQLite file, or a PostgreSQL URL (postgresql+psycopg://USER@HOST:PORT/DATABASE)


def store_location(value: str | Path | None, default_dir: Path) -> Location:
    """Where ``arena.store`` (or a command's argument) points: a URL as given, else a file path
    (``STORE_FILE`` in ``default_dir`` when unset)."""
    if value is None or value == "":
        return default_dir / STORE_FILE
    return value if is_database_url(value) else Path(value).expanduser()


def store_exists(location: Location) -> bool:
    """A SQLite file that is there; a database is there when it takes a connection."""
    if not is_database_url(location):
        return Path(location).is_file()
    try:
        ArenaStore(location).close()
    except SftAblateError:
        return False
    return True


class ArenaStore:
    """A connection to the store; open one per process (``with ArenaStore(location) as store:``)."""

    def __init__(self, location: Location) -> None:
        self.location = location if is_database_url(location) else Path(location)
        self.db: sqlite3.Connection | PostgresConnection
        if isinstance(self.location, str):
            self.dialect = POSTGRES
            self.db = PostgresConnection(self.location, SCHEMA.format(**POSTGRES))
            return
        self.dialect = SQLITE
        self.location.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we open every transaction ourselves, with BEGIN IMMEDIATE (the write lock
        # first), so two writers never deadlock upgrading a read lock.
        self.db = sqlite3.connect(self.location, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")  # a commit is on disk before we go on
        with self.transaction():
            for statement in SCHEMA.format(**SQLITE).split(";"):
                if statement.strip():
                    self.db.execute(statement)

    def __str__(self) -> str:
        return str(self.location)

    def __enter__(self) -> ArenaStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection | PostgresConnection]:
        if isinstance(self.db, PostgresConnection):
            with self.db.transaction() as db:
                yield db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ---- models and generations -------------------------------------------------------------------------

    def add_model(self, model_id: str, kind: str, info: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO models (id, kind, info, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET info = excluded.info",
                (model_id, kind, json.dumps(info, sort_keys=True, default=str), time.time()),
            )

    def models(self) -> dict[str, dict[str, Any]]:
        rows = self.db.execute("SELECT id, kind, info, added_at FROM models ORDER BY added_at, id").fetchall()
        return {r[0]: {"kind": r[1], **json.loads(r[2]), "added_at": r[3]} for r in rows}

    def add_prompts(self, prompts: dict[str, dict[str, Any]]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO prompts (key, prompt) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(k, json.dumps(p, ensure_ascii=False, sort_keys=True)) for k, p in prompts.items()],
            )

    def prompts(self) -> dict[str, dict[str, Any]]:
        return {k: json.loads(p) for k, p in self.db.execute("SELECT key, prompt FROM prompts")}

    def add_generations(self, rows: Iterable[tuple[str, str, int, list[str]]]) -> None:
        """(model, prompt_key, seed, answers). A concurrent writer's answers, stored first, are kept."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO generations (model, prompt_key, seed, answers, length) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(m, k, s, json.dumps(a, ensure_ascii=False), len(a[-1].split())) for m, k, s, a in rows],
            )

    def generations(self, model: str | None = None) -> dict[tuple[str, str, int], list[str]]:
        query, args = "SELECT model, prompt_key, seed, answers FROM generations", ()
        if model is not None:
            query, args = query + " WHERE model = ?", (model,)
        return {(m, k, s): json.loads(a) for m, k, s, a in self.db.execute(query, args)}

    def mean_lengths(self, prompt_keys: Iterable[str] | None = None) -> dict[str, float]:
        rows = self.db.execute("SELECT model, prompt_key, length FROM generations").fetchall()
        keys = None if prompt_keys is None else set(prompt_keys)
        totals: dict[str, list[int]] = {}
        for model, key, length in rows:
            if keys is None or key in keys:
                totals.setdefault(model, []).append(length)
        return {m: sum(v) / len(v) for m, v in totals.items()}

    # ---- judges, battles, judgments -------------------------------------------------------------------------

    def add_judge(self, judge_hash: str, config: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO judges (hash, config) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (judge_hash, json.dumps(config, sort_keys=True)),
            )

    def judges(self) -> dict[str, dict[str, Any]]:
        return {h: json.loads(c) for h, c in self.db.execute("SELECT hash, config FROM judges")}

    def add_battles(self, rows: Iterable[tuple[str, str, int, str, str, str, str]]) -> None:
        """(judge, prompt_key, seed, model_a, model_b, key_ab, key_ba)."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO battles (judge, prompt_key, seed, model_a, model_b, key_ab, key_ba) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                list(rows),
            )

    def judged(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 500):  # SQLite caps the number of ? in one statement
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found |= {k for (k,) in self.db.execute(f"SELECT key FROM judgments WHERE key IN ({marks})", chunk)}
        return found

    def add_judgment(self, key: str, judge: str, verdict: str | None, raw: str) -> None:
        """One judgment and the call counter, in one transaction: committed as soon as the judge answers."""
        with self.transaction() as db:
            inserted = db.execute(
                "INSERT INTO judgments (key, judge, verdict, raw, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (key, judge, verdict, raw, time.time()),
            ).rowcount
            db.execute(
                "INSERT INTO counters (name, value) VALUES ('judge_calls', 1) ON CONFLICT(name) DO UPDATE SET value = counters.value + 1"
            )
            db.execute(
                "INSERT INTO counters (name, value) VALUES ('judgments_inserted', ?) "
                "ON CONFLICT(name) DO UPDATE SET value = counters.value + excluded.value",
                (inserted,),
            )

    def counter(self, name: str) -> int:
        row = self.db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return row[0] if row else 0

    def battles(self, judge: str) -> list[StoredBattle]:
        rows = self.db.execute(
            "SELECT b.model_a, b.model_b, b.prompt_key, b.seed, j1.verdict, j2.verdict, j1.key IS NOT NULL, j2.key IS NOT NULL "
            "FROM battles b LEFT JOIN judgments j1 ON j1.key = b.key_ab LEFT JOIN judgments j2 ON j2.key = b.key_ba "
            f"WHERE b.judge = ? ORDER BY {self.dialect['order_by']}",
            (judge,),
        ).fetchall()
        return [StoredBattle(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), bool(r[7])) for r in rows]
