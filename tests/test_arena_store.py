"""The arena store under real concurrent processes: SIGKILL at any moment, and two writers at once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sft_ablate.arena.store import ArenaStore
from sft_ablate.paths import PROJECT_ROOT

# A writer process: judgments whose text is a function of their key (so a torn row would show), and
# generations, each committed in its own transaction, as fast as it can.
WRITER = """
import sys
from sft_ablate.arena.store import ArenaStore
path, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with ArenaStore(path) as store:
    for i in range(count):
        key = f"{prefix}-{i}"
        store.add_judgment(key, "judge", "ABC"[i % 3], (key + "|") * (1 + i % 200))
        if i % 10 == 0:
            store.add_generations([(prefix, key, 0, ["turn one " * (i % 50), "turn two " + key])])
    print("done", flush=True)
"""


def start_writer(path: Path, prefix: str, count: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), prefix, str(count)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check_complete(path: Path) -> int:
    """integrity_check passes; every committed judgment is whole; the call counter moved with the rows."""
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = db.execute("SELECT key, judge, verdict, raw, created_at FROM judgments").fetchall()
    for key, judge, verdict, raw, created_at in rows:
        i = int(key.rsplit("-", 1)[1])
        assert (judge, verdict, raw) == ("judge", "ABC"[i % 3], (key + "|") * (1 + i % 200)), key
        assert created_at > 0
    calls = db.execute("SELECT value FROM counters WHERE name = 'judge_calls'").fetchone()
    assert (calls[0] if calls else 0) == len(rows)  # the row and its counter commit together, or not at all
    for (answers,) in db.execute("SELECT answers FROM generations"):
        assert answers.endswith('"]')
    db.close()
    return len(rows)


def test_a_writer_killed_at_any_moment_leaves_a_sound_store(tmp_path):
    path = tmp_path / "arena.sqlite"
    ArenaStore(path).close()
    rng = random.Random(0)
    committed = []
    for round_ in range(6):
        writer = start_writer(path, f"w{round_}", 100_000)
        time.sleep(0.3 + rng.random() * 0.7)  # after start-up, somewhere in the middle of writing
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        assert writer.returncode == -signal.SIGKILL
        committed.append(check_complete(path))
    print("committed after each kill:", committed)
    assert committed == sorted(committed) and committed[-1] > committed[0] > 0  # it wrote, and kept what it wrote
    with ArenaStore(path) as store:  # and the store takes new writes after all that
        store.add_judgment("after-1", "judge", "B", "after-1|" * 2)
        assert "after-1" in store.judged(["after-1"])


def test_two_writers_at_once_lose_nothing(tmp_path):
    path = tmp_path / "arena.sqlite"
    ArenaStore(path).close()
    writers = [start_writer(path, "a", 300), start_writer(path, "b", 300), start_writer(path, "a", 300)]
    for w in writers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0 and "done" in out, err[-2000:]
    db = sqlite3.connect(path)
    keys = {k for (k,) in db.execute("SELECT key FROM judgments")}
    assert keys == {f"{p}-{i}" for p in "ab" for i in range(300)}  # the two 'a' writers overlap: kept once
    # judge_calls counts every call (900); the rows are the distinct judgments (600)
    assert db.execute("SELECT value FROM counters WHERE name = 'judge_calls'").fetchone() == (900,)
    assert db.execute("SELECT value FROM counters WHERE name = 'judgments_inserted'").fetchone() == (600,)
    assert db.execute("SELECT count(*) FROM generations").fetchone() == (60,)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
