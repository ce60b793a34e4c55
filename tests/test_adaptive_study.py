"""A real adaptive study on the tiny model (hydra.sweeper.seeds=adaptive): one comparison is decided after the 3
first seeds, the other needs more and is decided at 5, the report says so, and a rerun resumes without redoing
complete runs.

The task is tests/test_planted_effect.py's (six made-up items with one-word codes). The factor is the file of the
source the runs train on (mix=100_0): the clean rows (the baseline), the same rows with every answer shuffled across
prompts (a large planted defect), and with half of them shuffled (a smaller one, which 3 and 4 seeds leave open:
measured p 0.10 at 3 seeds, 0.024 at 4, 0.0059 at 5 against levels of 0.0054, 0.0071 and 0.0125). The decision is on
the external held-out set, the study's primary.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from sft_ablate.report.build import build_report
from tests.conftest import run_cli
from tests.test_planted_effect import CODES, planted_run_args, planted_sources
from tests.test_slurm import launcher, run_watching_the_queue, slurm, submitted_jobs  # noqa: F401  (slurm: its fixture)
from tests.test_sweeps import SMALL

LEVELS = ["clean.jsonl", "shuffled.jsonl", "half.jsonl"]  # the first is the baseline


def adaptive_study(root: Path) -> list[str]:
    """The sources in root and the command, run from root (the levels are paths relative to it)."""
    paths = planted_sources(root)
    rows = [json.loads(line) for line in paths["clean"].read_text().splitlines()]
    rng = random.Random(0)
    half = rng.sample(range(len(rows)), len(rows) // 2)
    answers = [rows[i]["messages"][1]["content"] for i in half]
    rng.shuffle(answers)
    for i, answer in zip(half, answers):
        rows[i]["messages"][1]["content"] = answer
    (root / "half.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    # The source no level trains on still gives held-out rows; an exact copy of a level's rows would be deduplicated
    # away, so it gives each item the next item's code.
    rows = [json.loads(line) for line in paths["clean"].read_text().splitlines()]
    for row in rows:
        answer = row["messages"][1]
        answer["content"] = CODES[(CODES.index(answer["content"]) + 1) % len(CODES)]
    (root / "rotated.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    settings = [a for a in planted_run_args(paths) if not a.startswith("data.sources.")]
    return [
        "-m",
        "model=tiny",
        "mix=100_0",
        f"data.sources.synthetic.path={','.join(LEVELS)}",
        "data.sources.human.path=rotated.jsonl",
        "seed=0,1,2",
        *settings,
        "study=adaptive_planted",
        "hydra.sweeper.seeds=adaptive",
        "hydra.sweeper.max_seeds=5",
        "hydra.sweep.dir=study",
        "hydra.sweep.subdir=${data.sources.synthetic.path}_s${seed}",
    ]


@pytest.mark.slow
def test_one_comparison_is_decided_at_3_seeds_the_other_at_5_and_a_rerun_resumes(tmp_path, cache_dir):
    args = adaptive_study(tmp_path)
    sweep = tmp_path / "study"
    first = run_cli(args, cwd=tmp_path, timeout=1800)
    assert first.returncode == 0, first.stderr[-3000:]
    log = json.loads((sweep / "adaptive.json").read_text())
    print(json.dumps({k: log[k] for k in ("metric_why", "plan", "seeds", "stop")}))
    for look in log["looks"]:
        print(
            look["look"],
            [(c["level"], c["n_seeds"], round(c["mean"], 3), f"{c['p']:.2g}", c["decided_look"]) for c in look["comparisons"]],
        )
    assert log["baseline"] == "clean.jsonl" and log["metric_column"] == "heldout/planted_external/loss"
    at_first = {c["level"]: c for c in log["looks"][0]["comparisons"]}
    assert at_first["shuffled.jsonl"]["decided_look"] == 1 and at_first["shuffled.jsonl"]["mean"] > 0
    assert at_first["half.jsonl"]["decided_look"] is None
    at_last = {c["level"]: c for c in log["looks"][-1]["comparisons"]}
    assert (
        at_last["half.jsonl"]["decided_look"] == 3 and at_last["half.jsonl"]["n_seeds"] == 5 and at_last["half.jsonl"]["mean"] > 0
    )
    assert log["seeds"] == {"clean.jsonl": [0, 1, 2, 3, 4], "shuffled.jsonl": [0, 1, 2], "half.jsonl": [0, 1, 2, 3, 4]}
    assert log["stop"] == "every comparison decided"

    report = build_report(sweep).markdown.read_text()
    section = report[report.index("### Seeds where they decide") :]
    print(section[:2500])
    assert "decided at look 1 (3 seeds): significantly worse" in section
    assert "decided at look 3 (5 seeds): significantly worse" in section
    assert (
        "Stopped: every comparison decided." in section
        and "13 runs, where a fixed design at the cap would have made 15" in section
    )

    # A rerun resumes: every run is complete, so each skips itself, and the looks come out the same.
    stamps = {p: p.stat().st_mtime_ns for p in sweep.glob("*/results.json")}
    assert len(stamps) == 13
    second = run_cli(args, cwd=tmp_path, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    assert (second.stdout + second.stderr).count("skipped:") == 13
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert json.loads((sweep / "adaptive.json").read_text())["looks"] == log["looks"]

    # A sweep killed during its second look: that look's unfinished run is redone, nothing else.
    killed = sweep / "half.jsonl_s3" / "results.json"
    killed.write_text(json.dumps(json.loads(killed.read_text()) | {"status": "interrupted"}))
    third = run_cli(args, cwd=tmp_path, timeout=900)
    assert third.returncode == 0, third.stderr[-3000:]
    output = third.stdout + third.stderr
    assert output.count("skipped:") == 12 and output.count("run complete") == 1
    assert json.loads(killed.read_text())["status"] == "complete"


def test_an_adaptive_sweep_needs_one_factor_and_run_dirs_named_by_their_settings(tmp_path):
    """Refused before any run: two swept settings besides the seed; run dirs numbered by job (a look numbers only
    the jobs still open, so a rerun would not find its runs)."""
    base = ["-m", *SMALL, "hydra.sweeper.seeds=adaptive", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    two = run_cli(
        [*base, "mix=30_70,70_30", "lora=none,r8", "seed=0,1", "hydra.sweep.subdir=${mix.name}_${lora.name}_s${seed}"],
        cwd=tmp_path,
    )
    assert two.returncode != 0 and "one swept setting besides the seed; this sweep varies 2: mix, lora" in two.stderr
    numbered = run_cli([*base, "mix=30_70,70_30", "seed=0,1"], cwd=tmp_path)
    assert numbered.returncode != 0 and "not by job number" in numbered.stderr
    one_seed = run_cli([*base, "mix=30_70,70_30", "seed=0", "hydra.sweep.subdir=${mix.name}_s${seed}"], cwd=tmp_path)
    assert one_seed.returncode != 0 and "first seeds swept" in one_seed.stderr
    assert not list((tmp_path / "sweep").glob("*/results.json"))


@pytest.mark.slow
def test_adaptive_seeds_through_slurm(request, tmp_path, cache_dir):
    """The same sweeper hands each look's jobs to the SLURM launcher (tests/slurm_cluster.py): every run of every
    look goes through sbatch and completes, and the looks are logged."""
    cluster = request.getfixturevalue("slurm")  # test_slurm's cluster (skips where SLURM cannot run)
    sweep = tmp_path / "sweep"
    args = [
        "-m",
        *SMALL,
        "mix=30_70,70_30",
        "seed=0,1",
        "hydra.sweeper.seeds=adaptive",
        "hydra.sweeper.max_seeds=3",
        "hydra.sweep.subdir=${mix.name}_s${seed}",
        *launcher(),
        f"hydra.sweep.dir={sweep}",
    ]
    proc, queued = run_watching_the_queue(args, tmp_path, cluster)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = json.loads((sweep / "adaptive.json").read_text())
    records = [json.loads(p.read_text()) for p in sweep.glob("*/results.json")]
    assert all(r["status"] == "complete" for r in records)
    assert len(records) == sum(len(seeds) for seeds in log["seeds"].values()) == (4 if len(log["looks"]) == 1 else 6)
    jobs = submitted_jobs(sweep)
    print(
        f"\nlooks: {len(log['looks'])}, stop: {log['stop']}, seeds: {log['seeds']}, sbatch jobs: {jobs}, squeue saw: {sorted(queued)}"
    )
    assert len(jobs) == len(records) and set(jobs) <= queued  # every run of every look went through sbatch
