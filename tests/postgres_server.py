"""A throwaway PostgreSQL server for tests: initdb + pg_ctl on 127.0.0.1, a password set, torn down after.

Needs PostgreSQL's server binaries (Debian: `apt-get install postgresql`, which .ci/run does) and the
psycopg driver (`pip install 'sft-ablate[postgres]'`). PostgreSQL refuses to run as root, so as root the
server runs as the `postgres` user (or `nobody`).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import missing_here

USER, PASSWORD, DATABASE = "sft", "s3cret-pw", "studies"


@dataclass(frozen=True)
class PostgresServer:
    port: int
    data_dir: Path

    def url(self, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{DATABASE}"


def find_binary(name: str) -> str | None:
    """On PATH, or where Debian puts the server binaries (/usr/lib/postgresql/<version>/bin)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def missing_requirements() -> str | None:
    """Why a server cannot be started here, or None."""
    if find_binary("initdb") is None or find_binary("pg_ctl") is None:
        return "PostgreSQL's initdb/pg_ctl are not installed (Debian: apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed (pip install 'sft-ablate[postgres]')"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_user() -> str | None:
    """The user to run the server as: ourselves unless we are root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


def _as_user(user: str | None, command: list[str]) -> list[str]:
    return command if user is None else ["runuser", "-u", user, "--", *command]


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a server in a fresh temp dir; stop it (fast shutdown) and remove the dir on exit.

    Not under pytest's tmp dir: pytest makes that dir 0700 again whenever a pytest session starts (another
    engineer's, on a shared machine), which locks the server's user out of its own files mid-test.
    """
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="sft-ablate-postgres-"))
    data_dir, password_file, log_file = root / "data", root / "password", root / "postgres.log"
    password_file.write_text(PASSWORD + "\n")
    if user is not None:  # the server's user must own its files
        uid, gid = pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid
        for path in (root, password_file):
            os.chown(path, uid, gid)
    subprocess.run(
        _as_user(
            user,
            [
                find_binary("initdb"),
                "-D",
                str(data_dir),
                "-U",
                USER,
                "--auth=scram-sha-256",
                f"--pwfile={password_file}",
                "-E",
                "UTF8",
            ],
        ),
        check=True,
        capture_output=True,
        text=True,
    )
    port = free_port()
    options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c max_connections=50"
    pg_ctl = find_binary("pg_ctl")
    start = subprocess.run(
        _as_user(user, [pg_ctl, "-D", str(data_dir), "-o", options, "-l", str(log_file), "-w", "-t", "60", "start"]),
        capture_output=True,
        text=True,
    )
    if start.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {start.stderr.strip()}\n{log_file.read_text()[-2000:]}")
    server = PostgresServer(port, data_dir)
    try:
        _create_database(server)
        yield server
    finally:
        subprocess.run(_as_user(user, [pg_ctl, "-D", str(data_dir), "-m", "fast", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _create_database(server: PostgresServer) -> None:
    import psycopg

    deadline = time.time() + 30
    while True:
        try:
            with psycopg.connect(
                host="127.0.0.1", port=server.port, user=USER, password=PASSWORD, dbname="postgres", autocommit=True
            ) as conn:
                conn.execute(f"CREATE DATABASE {DATABASE}")
                return
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    """A server for a test module: skipped where PostgreSQL cannot run here, a failure under CI=true."""
    reason = missing_requirements()
    if reason:
        missing_here(f"{reason} (.ci/run installs it)")
    with postgres_server() as server:
        yield server
