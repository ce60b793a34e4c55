"""The arena store's PostgreSQL connection: what a SLURM array on many nodes shares, where a SQLite file on NFS
could be corrupted.

It offers the slice of ``sqlite3.Connection`` that store.py uses (``execute``, ``executemany``, ``?``
placeholders), so the store's SQL is written once. The guarantees are SQLite's:
- every write is one transaction that first takes a transaction-scoped advisory lock, so writers take turns as
  under SQLite's ``BEGIN IMMEDIATE``: no deadlock between two writers' ``ON CONFLICT`` inserts, and the battles'
  ``seq`` follows commit order, as SQLite's rowid does (online Elo and the bootstrap read battles in that order);
- a writer killed mid-transaction loses its connection, and the server rolls the transaction back: each row is
  whole or absent;
- reads run in autocommit, so a reader holds no snapshot or lock between calls.

The password comes from ``PGPASSWORD`` or ``~/.pgpass`` (libpq reads both); a URL that holds one is refused,
since the URL is recorded in config.yaml and results.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from sft_ablate.errors import ConfigError, EnvironmentProblem

SCHEMES = ("postgresql+psycopg", "postgresql", "postgres")
WRITE_LOCK = 0x5F7A_B1A7_E000_0001  # pg_advisory_xact_lock key: one writer at a time in this database
CONNECT_TIMEOUT_S = 30


def is_database_url(location: object) -> bool:
    return isinstance(location, str) and location.split("://", 1)[0] in SCHEMES and "://" in location


def check_url(url: str) -> None:
    """A URL without a password (it goes to PGPASSWORD or ~/.pgpass), with a host and a database."""
    parts = urlsplit(url)
    if parts.password is not None:
        raise ConfigError(
            f"arena.store: {_masked(url)} holds a password; it would be written into config.yaml and results.json. "
            "Drop it from the URL and export PGPASSWORD (or add a ~/.pgpass line)"
        )
    if not parts.path.strip("/"):
        raise ConfigError(f"arena.store: {url} names no database (postgresql+psycopg://USER@HOST:PORT/DATABASE)")


def _masked(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


class PostgresConnection:
    """One psycopg connection, shaped like the ``sqlite3.Connection`` the store uses."""

    def __init__(self, url: str, schema: str) -> None:
        check_url(url)
        try:
            import psycopg
        except ImportError as err:
            raise EnvironmentProblem(
                "arena.store is a PostgreSQL URL but the psycopg driver is missing: pip install 'sft-ablate[postgres]'"
            ) from err
        conninfo = "postgresql://" + url.split("://", 1)[1]  # libpq's form; the SQLAlchemy-style driver tag goes
        try:
            self.conn = psycopg.connect(
                conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, application_name="sft-ablate-arena"
            )
        except psycopg.OperationalError as err:
            raise EnvironmentProblem(f"arena store {url}: cannot connect ({str(err).strip()})") from err
        with self.transaction():  # under the write lock: concurrent CREATE TABLE IF NOT EXISTS can race otherwise
            for statement in schema.split(";"):
                if statement.strip():
                    self.conn.execute(statement)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        return self.conn.execute(_placeholders(sql), tuple(args))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        cursor = self.conn.cursor()
        rows = [tuple(r) for r in rows]
        if rows:  # psycopg refuses an empty executemany
            cursor.executemany(_placeholders(sql), rows)
        return cursor

    @contextmanager
    def transaction(self) -> Iterator[PostgresConnection]:
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield self

    def close(self) -> None:
        self.conn.close()


def _placeholders(sql: str) -> str:
    """sqlite3's ``?`` as psycopg's ``%s`` (the store's SQL holds no other ``?`` or ``%``)."""
    return sql.replace("?", "%s")
