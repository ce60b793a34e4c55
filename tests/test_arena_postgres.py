"""The arena pool on a real PostgreSQL server (tests/postgres_server.py): writer processes filling one pool at
once, one SIGKILLed mid-write and started again, then the pool rates exactly as a SQLite store fed the same
judgments; the command line reads it by URL; a URL holding a password is refused before anything is written."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sft_ablate.arena.battles import judgment_key
from sft_ablate.arena.leaderboard import leaderboard
from sft_ablate.arena.store import ArenaStore
from sft_ablate.errors import ConfigError
from tests.conftest import PROJECT_ROOT, run_cli
from tests.postgres_server import PASSWORD, USER

WORKERS, PROMPTS, SEEDS = 4, 16, (0, 1)
BASE, JUDGE = "base/tiny", "judge-hash-0"
KILLED = WORKERS - 1  # the worker with the most battles (it meets the base and every other run)


def pool_url(server, database: str = "studies") -> str:
    """No password in the URL: it comes from PGPASSWORD, as a user's would."""
    return f"postgresql+psycopg://{USER}@127.0.0.1:{server.port}/{database}"


def new_database(server, name: str) -> str:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=server.port, user=USER, password=PASSWORD, dbname="studies", autocommit=True
    ) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return pool_url(server, name)


# ---- the pool's contents, a function of names only: what a worker writes and what the SQLite copy is fed ------


def prompts() -> dict[str, dict]:
    return {
        f"p{k:02d}": {"id": f"q{k}", "turns": [f"question {k}?"], "reference": f"answer {k}", "answer": None}
        for k in range(PROMPTS)
    }


def model(worker: int) -> str:
    return f"run-{worker}"


def answer(name: str, key: str, seed: int) -> list[str]:
    return [f"{name} says " + "word " * (len(name) + int(key[1:]) + seed)]


def opponents(worker: int) -> list[str]:
    return [BASE, *(model(j) for j in range(worker))]


def uniform(*parts: object) -> float:
    return int(hashlib.sha256(repr(parts).encode()).hexdigest()[:8], 16) / 16**8


def verdict(first: str, second: str, key: str, seed: int) -> str | None:
    """A judge with a taste: later runs are better; one judgment in 40 is unparseable (None)."""
    u = uniform(first, second, key, seed)
    if u < 0.025:
        return None
    quality = {BASE: 0.0, **{model(j): 0.4 * (j + 1) for j in range(WORKERS)}}
    p_first = 1 / (1 + 10 ** (quality[second] - quality[first]))
    return "A" if u < 0.025 + 0.8 * p_first else ("C" if u < 0.025 + 0.9 * p_first + 0.05 else "B")


def raw(key: str, big: bool) -> str:
    """The judge's words: a function of the key (a torn row would show), long for the killed worker so that its
    transactions take a while and the kill lands inside one."""
    return (key + "|") * (400 if big else 3)


def judgments_of(worker: int) -> list[tuple[str, str, str, str, int]]:
    """(judgment key, first, second, prompt key, seed): both orders of every battle of this worker, as play()
    schedules them."""
    ps, me, out = prompts(), model(worker), []
    for other in opponents(worker):
        for key in ps:
            for seed in SEEDS:
                a, b = answer(me, key, seed), answer(other, key, seed)
                out.append((judgment_key(JUDGE, ps[key], a, b), me, other, key, seed))
                out.append((judgment_key(JUDGE, ps[key], b, a), other, me, key, seed))
    return out


def battle_row(a: str, b: str, key: str, seed: int) -> tuple[str, str, int, str, str, str, str]:
    prompt, answer_a, answer_b = prompts()[key], answer(a, key, seed), answer(b, key, seed)
    key_ab, key_ba = judgment_key(JUDGE, prompt, answer_a, answer_b), judgment_key(JUDGE, prompt, answer_b, answer_a)
    return (JUDGE, key, seed, a, b, key_ab, key_ba)


def write_pool(store: ArenaStore, worker: int) -> None:
    """What one run's arena stage writes, through the store's public methods, one transaction per call:
    the judge, the prompts, the base and the run with their answers, the battles, then one judgment at a time
    (those already judged are skipped, as play() skips them)."""
    me, ps = model(worker), prompts()
    store.add_judge(JUDGE, {"name": "test", "kind": "test"})
    store.add_prompts(ps)
    store.add_model(BASE, "base", {"model": "tiny"})
    store.add_model(me, "run", {"run_dir": f"/runs/{me}", "factors": {"worker": worker}})
    for name in (BASE, me):
        store.add_generations([(name, key, seed, answer(name, key, seed)) for key in ps for seed in SEEDS])
    todo = judgments_of(worker)
    store.add_battles(battle_row(me, other, key, seed) for _, _, other, key, seed in todo[::2])
    done = store.judged(k for k, *_ in todo)
    for k, first, second, key, seed in todo:
        if k not in done:
            store.add_judgment(k, JUDGE, verdict(first, second, key, seed), raw(k, big=worker == KILLED))


WRITER = """
import sys
from sft_ablate.arena.store import ArenaStore
from tests.test_arena_postgres import write_pool
with ArenaStore(sys.argv[1]) as store:
    write_pool(store, int(sys.argv[2]))
print("done", flush=True)
"""


def start_writer(url: str, worker: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PGPASSWORD": PASSWORD}
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(worker)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def check_rows_whole(store: ArenaStore) -> int:
    """Every judgment row is the one its writer meant, and the call counter moved with the rows: each row and its
    counter commit together or not at all. Every model's answers arrived in one transaction: all or none."""
    rows = store.db.execute("SELECT key, judge, verdict, raw FROM judgments").fetchall()
    meant = {k: (first, second, key, seed, w) for w in range(WORKERS) for k, first, second, key, seed in judgments_of(w)}
    for k, judge, got, text in rows:
        first, second, key, seed, worker = meant[k]
        assert (judge, got, text) == (JUDGE, verdict(first, second, key, seed), raw(k, big=worker == KILLED)), k
    assert store.counter("judge_calls") == store.counter("judgments_inserted") == len(rows)
    per_model = dict(store.db.execute("SELECT model, count(*) FROM generations GROUP BY model").fetchall())
    assert all(n == PROMPTS * len(SEEDS) for n in per_model.values()), per_model
    return len(rows)


def test_arena_pool_on_postgres_survives_a_killed_writer_and_rates_as_sqlite(postgres, tmp_path, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    url = pool_url(postgres)
    killed_keys = [k for k, *_ in judgments_of(KILLED)]
    started = time.perf_counter()
    writers = {w: start_writer(url, w) for w in range(WORKERS)}

    # SIGKILL the busiest writer once it has stored some of its judgments, long before its last.
    with ArenaStore(url) as store:
        while True:
            assert writers[KILLED].poll() is None, writers[KILLED].communicate()[1][-2000:]
            if len(store.judged(killed_keys)) >= 20:
                break
            time.sleep(0.005)
        writers[KILLED].send_signal(signal.SIGKILL)
        writers[KILLED].wait()
        for w, proc in writers.items():
            if w != KILLED:
                out, err = proc.communicate(timeout=300)
                assert proc.returncode == 0 and "done" in out, err[-2000:]
        kept = len(store.judged(killed_keys))
        assert 20 <= kept < len(killed_keys), "the kill landed mid-write"
        whole_after_kill = check_rows_whole(store)

    again = start_writer(url, KILLED)  # the same work again, as a rerun of the killed run does
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0 and "done" in out, err[-2000:]
    elapsed = time.perf_counter() - started

    with ArenaStore(url) as pg:
        total = check_rows_whole(pg)  # judged once each: the rerun skipped what the killed writer had stored
        expected = {k for w in range(WORKERS) for k, *_ in judgments_of(w)}
        assert total == len(expected) and pg.judged(expected) == expected
        stored = pg.battles(JUDGE)
        assert len(stored) == len(expected) // 2 and all(b.judged_ab and b.judged_ba for b in stored)
        board = leaderboard(pg, JUDGE, BASE, bootstrap_rounds=200)
        pg_models = pg.models()

        # A SQLite store fed the same judgments, from the plan above (not from the server), with the battles in
        # the order the server committed them: a pool's order is part of it (online Elo reads it).
        order = [(b.model_a, b.model_b, b.prompt_key, b.seed) for b in stored]
        with ArenaStore(tmp_path / "arena.sqlite") as lite:
            lite.add_battles(battle_row(*fixture) for fixture in order)  # first, in that order
            for w in range(WORKERS):
                write_pool(lite, w)  # its battles are there already: only its answers and judgments land
            reference = leaderboard(lite, JUDGE, BASE, bootstrap_rounds=200)
            assert [b.__dict__ for b in lite.battles(JUDGE)] == [b.__dict__ for b in stored]

    assert set(pg_models) == {BASE, *(model(w) for w in range(WORKERS))}
    assert board.rows() == reference.rows()
    assert board.outcomes.unparseable == reference.outcomes.unparseable > 0
    assert board.mean_length == reference.mean_length
    ranking = [r["model"] for r in board.rows()]
    assert ranking[0] == model(WORKERS - 1) and ranking[-1] == BASE  # the judge's taste came through
    print(f"pool of {total} judgments by {WORKERS} writers (one killed at {kept}, rerun): {elapsed:.1f} s; "
          f"{whole_after_kill} whole rows after the kill")  # fmt: skip

    # The command line rates the same pool by its URL (no judge call), stdout one JSON document.
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PGPASSWORD": PASSWORD}
    cli = subprocess.run(
        [sys.executable, "-m", "sft_ablate.arena", url, "--json", "--bootstrap-rounds", "200", "--anchor", BASE],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert cli.returncode == 0, cli.stderr[-2000:]
    printed = json.loads(cli.stdout)
    assert printed["leaderboard"] == board.rows() and printed["judge_calls"] == 0


def test_arena_pool_on_postgres_reads_back_as_sqlite_in_the_order_it_was_written(postgres, tmp_path, monkeypatch):
    """The same writes, one after another, into a new database and a SQLite file: the same battles in the same
    order (online Elo reads them in order), the same leaderboard."""
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    with ArenaStore(new_database(postgres, "sequential")) as pg, ArenaStore(tmp_path / "arena.sqlite") as lite:
        for w in (2, 0, 3, 1):  # not the order of any sort
            write_pool(pg, w)
            write_pool(lite, w)
        assert [b.__dict__ for b in pg.battles(JUDGE)] == [b.__dict__ for b in lite.battles(JUDGE)]
        assert (pg.prompts(), pg.generations(), pg.judges()) == (lite.prompts(), lite.generations(), lite.judges())
        assert list(pg.models()) == list(lite.models())
        assert [pg.counter(c) for c in ("judge_calls", "judgments_inserted")] == [
            lite.counter(c) for c in ("judge_calls", "judgments_inserted")
        ]
        assert leaderboard(pg, JUDGE, BASE, 200).rows() == leaderboard(lite, JUDGE, BASE, 200).rows()


def test_arena_store_on_postgres_refuses_a_url_with_a_password_before_anything_is_written(postgres, tmp_path):
    with_password = f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{postgres.port}/studies"
    with pytest.raises(ConfigError, match="PGPASSWORD"):
        ArenaStore(with_password)
    proc = run_cli(["model=tiny", f"arena.store={with_password}", f"hydra.run.dir={tmp_path / 'run'}"], cwd=tmp_path)
    assert proc.returncode == 2 and "PGPASSWORD" in proc.stderr, proc.stderr[-2000:]
    assert not (tmp_path / "run").exists()  # Hydra never wrote its config (which would hold the password)
    assert PASSWORD not in proc.stdout + proc.stderr


def test_arena_store_on_postgres_without_a_password_says_how_to_give_one(postgres, monkeypatch, tmp_path):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(Exception, match="cannot connect"):
        ArenaStore(pool_url(postgres))
    pgpass = tmp_path / "pgpass"  # libpq's password file works as PGPASSWORD does
    pgpass.write_text(f"127.0.0.1:{postgres.port}:studies:{USER}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    with ArenaStore(pool_url(postgres)) as store:
        assert isinstance(store.models(), dict)


@pytest.mark.slow
def test_a_sweep_whose_arena_pool_is_on_postgres_rates_and_reports_from_it(postgres, tmp_path, cache_dir, monkeypatch):
    """Two tiny runs put their answers and battles into one pool by URL; the leaderboard command and the report
    read it from the server; the password is nowhere in the sweep dir."""
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    url, sweep = new_database(postgres, "sweep_pool"), tmp_path / "sweep"
    args = ["-m", "model=tiny", "tracking=none", "data.budget=16", "data.eval_per_source=4", "train.max_steps=2",
            "eval.num_generations=1", "eval.max_new_tokens=4", "eval.base_model=false", "eval.benchmarks=[]",
            "arena.max_prompts=4", "arena.seeds=[0]", "arena.sampling.max_new_tokens=8", "arena.bootstrap_rounds=50",
            f"arena.store={url}", "seed=0,1", f"hydra.sweep.dir={sweep}"]  # fmt: skip
    proc = run_cli(args, cwd=tmp_path, env={"PGPASSWORD": PASSWORD})
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(p.read_text()) for p in sorted(sweep.glob("*/results.json"))]
    assert [r["status"] for r in records] == ["complete", "complete"]
    assert {r["arena"]["store"] for r in records} == {url}
    assert all(Path(r["arena"]["model_id"]).parent == sweep.resolve() for r in records)  # full run dirs: a database
    assert records[1]["arena"]["opponents"] == [records[0]["arena"]["model_id"]]  # the second run met the first
    assert not (sweep / "arena.sqlite").exists()
    for path in sweep.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path

    with ArenaStore(url) as store:
        assert {m for m, info in store.models().items() if info["kind"] == "run"} == {r["arena"]["model_id"] for r in records}
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PGPASSWORD": PASSWORD}
    report = subprocess.run([sys.executable, "-m", "sft_ablate.report", str(sweep)], env=env, capture_output=True,
                            text=True, timeout=600)  # fmt: skip
    assert report.returncode == 0, report.stderr[-3000:]
    text = (sweep / "report" / "report.md").read_text()
    assert "Arena" in text and "is gone" not in text  # rated from the pool on the server
