"""Public eval data by hub dataset id: the data dir, fetching it (`python -m sft_ablate.data_fetch`), what a run
says when it is missing, and that no config or code reads a directory beside the checkout."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sft_ablate.data.fetch import DatasetRef, MissingDataset, ensure_dataset_file, ref_for
from sft_ablate.data.quality import apply_filters
from sft_ablate.data.schema import SourceConfig
from sft_ablate.data.sources import load_source
from sft_ablate.errors import DataError
from sft_ablate.evaluation.tasks import resolve_task
from sft_ablate.paths import DATA_DIR_ENV, PROJECT_ROOT, SAMPLE_DATA_DIR, dataset_path
from tests.conftest import compose_config, run_cli
from tests.fake_hub import FakeHub

FETCH = "python -m sft_ablate.data_fetch"


def test_no_config_or_code_names_a_directory_beside_the_checkout():
    found = subprocess.run(
        ["grep", "-rnI", r"shared_data\|\.\./shared", "sft_ablate", "conf", "sweeps"],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert found.returncode == 1 and found.stdout == "", found.stdout  # grep: 1 = no match


def test_a_dataset_is_a_path_in_the_data_dir_by_its_id(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    path = Path(dataset_path("openai/gsm8k", "main", "test"))
    assert path == tmp_path / "openai" / "gsm8k" / "main" / "test.jsonl"
    assert ref_for(path) == DatasetRef("openai/gsm8k", "main", "test")
    assert ref_for(tmp_path / "mine.jsonl") is None and ref_for(Path("/elsewhere/a/b/c/d.jsonl")) is None
    with pytest.raises(ValueError, match="ORG/NAME"):
        dataset_path("gsm8k")


@pytest.fixture
def empty_offline_data_dir(tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return tmp_path / "data"


def test_a_missing_benchmark_says_which_dataset_where_and_the_command(empty_offline_data_dir):
    with pytest.raises(MissingDataset) as err:
        resolve_task("gsm8k", None)
    message = str(err.value)
    assert "\n" not in message
    assert "openai/gsm8k (main, test)" in message
    assert str(empty_offline_data_dir) in message and DATA_DIR_ENV in message
    assert message.endswith(f"{FETCH} gsm8k")


def test_a_missing_arena_set_says_the_same(empty_offline_data_dir):
    from sft_ablate.arena.prompts import load_prompts

    config = compose_config(["arena=mt_bench"])
    with pytest.raises(MissingDataset, match=f"arena.prompts: dataset lighteval/mt-bench .*{FETCH} mt_bench$"):
        load_prompts(config.arena, config.judge)


def test_a_user_file_is_not_fetched(tmp_path):
    assert ensure_dataset_file(tmp_path / "mine.jsonl", "x") == tmp_path / "mine.jsonl"  # its reader names it


def test_decontamination_without_the_public_sets_says_so_once_and_records_them(empty_offline_data_dir, caplog):
    sources = {"human": load_source("human", SourceConfig(path=str(SAMPLE_DATA_DIR / "human.jsonl")), "fail").examples}
    with caplog.at_level(logging.INFO):
        result = apply_filters(sources, compose_config([]).quality)
    assert result.eval_prompts_missing == [
        "allenai/ai2_arc/ARC-Easy/test:question",
        "openai/gsm8k/main/test:question",
        "lighteval/mt-bench/default/train:turns",
    ]
    assert set(result.eval_prompts) == {
        f"{SAMPLE_DATA_DIR / 'eval_mc.jsonl'}:query",
        f"{SAMPLE_DATA_DIR / 'arena_prompts.jsonl'}:turns",
    }
    lines = [r.getMessage() for r in caplog.records if "decontamination" in r.getMessage()]
    assert len(lines) == 1 and "absent; skipped" not in lines[0]
    assert lines[0].endswith(f"{FETCH} arc_easy gsm8k mt_bench") and str(empty_offline_data_dir) in lines[0]


def test_a_required_prompt_file_in_the_data_dir_is_an_error(empty_offline_data_dir):
    path = dataset_path("openai/gsm8k", "main", "test")
    config = compose_config([f"quality.decontaminate.eval_prompts=[{{path: '{path}', field: question}}]"])
    with pytest.raises(DataError, match=f"openai/gsm8k .*{FETCH} gsm8k"):
        apply_filters({"human": []}, config.quality)


def test_the_public_sets_are_read_from_the_tests_data_dir():
    """conftest points the data dir at ../shared/data (laid out by dataset id): every shipped set is found there."""
    from tests.conftest import shared_file

    shared_file("benchmarks/arc_easy.jsonl")
    shared_file("benchmarks/gsm8k_test.jsonl")
    shared_file("arena/mt_bench_question.jsonl")
    sources = {"human": load_source("human", SourceConfig(path=str(SAMPLE_DATA_DIR / "human.jsonl")), "fail").examples}
    result = apply_filters(sources, compose_config([]).quality)
    assert result.eval_prompts_missing == []
    assert result.eval_prompts["allenai/ai2_arc/ARC-Easy/test:question"] == 2376
    assert result.eval_prompts["openai/gsm8k/main/test:question"] == 1319
    assert result.eval_prompts["lighteval/mt-bench/default/train:turns"] == 160


# ---------------------------------------------------------------- fetching, through `datasets`, from a hub on 127.0.0.1


def hub_repos(root: Path) -> dict[str, Path]:
    """Small repos shaped like the three public sets on the hub (parquet, configs in README.md)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    def repo(name: str, config: str | None, splits: dict[str, list[dict]]) -> Path:
        folder = root / name.replace("/", "__")
        sub = config or "data"
        (folder / sub).mkdir(parents=True)
        files = "".join(f"  - split: {split}\n    path: {sub}/{split}-*.parquet\n" for split in splits)
        (folder / "README.md").write_text(f"---\nconfigs:\n- config_name: {config or 'default'}\n  data_files:\n{files}---\n")
        for split, rows in splits.items():
            pq.write_table(pa.Table.from_pylist(rows), folder / sub / f"{split}-00000-of-00001.parquet")
        return folder

    gsm = [{"question": f"What is {a} + {a}?", "answer": f"{a} + {a} = {2 * a}\n#### {2 * a}"} for a in range(5)]
    arc = [
        {"id": f"q{i}", "question": f"Which number is {i}?", "choices": {"text": ["zero", "one", "two"], "label": ["A", "B", "C"]},
         "answerKey": "ABC"[i]}
        for i in range(3)
    ]  # fmt: skip
    mt = [{"question_id": 81, "category": "writing", "turns": ["Write a poem.", "Shorter."], "reference": []}]
    return {
        "openai/gsm8k": repo("openai/gsm8k", "main", {"test": gsm, "train": gsm[:2]}),
        "allenai/ai2_arc": repo("allenai/ai2_arc", "ARC-Easy", {"test": arc}),
        "lighteval/mt-bench": repo("lighteval/mt-bench", None, {"train": mt}),
    }


def hub_env(hub: FakeHub, tmp_path: Path) -> dict[str, str]:
    return {"HF_ENDPOINT": hub.endpoint, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "0",
            DATA_DIR_ENV: str(tmp_path / "data")}  # fmt: skip


def python(code: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **env}
    return subprocess.run([sys.executable, *code], cwd=cwd, env=full, capture_output=True, text=True, timeout=300)


def test_data_fetch_fills_the_data_dir_that_an_offline_run_then_reads(tmp_path, monkeypatch):
    with FakeHub(hub_repos(tmp_path / "repos")) as hub:
        proc = python(["-m", "sft_ablate.data_fetch", "gsm8k", "arc_easy", "mt_bench"], hub_env(hub, tmp_path), tmp_path)
        again = python(["-m", "sft_ablate.data_fetch", "gsm8k"], hub_env(hub, tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = tmp_path / "data"
    rows = {
        p.relative_to(data).as_posix(): [json.loads(line) for line in p.read_text().splitlines()] for p in data.rglob("*.jsonl")
    }
    assert {name: len(r) for name, r in rows.items()} == {
        "openai/gsm8k/main/test.jsonl": 5,
        "openai/gsm8k/main/train.jsonl": 2,
        "allenai/ai2_arc/ARC-Easy/test.jsonl": 3,
        "lighteval/mt-bench/default/train.jsonl": 1,
    }
    assert rows["allenai/ai2_arc/ARC-Easy/test.jsonl"][1]["choices"] == {"text": ["zero", "one", "two"], "label": ["A", "B", "C"]}
    assert again.returncode == 0 and "already in" in again.stdout
    # Offline now: the shipped tasks read these files as they are.
    from huggingface_hub import constants

    monkeypatch.setenv(DATA_DIR_ENV, str(data))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    arc = resolve_task("arc_easy", None).local
    assert [r["gold"] for r in arc.rows] == [0, 1, 2]
    assert arc.rows[1] == {"query": "Question: Which number is 1?\nAnswer:", "choices": [" zero", " one", " two"], "gold": 1}
    gsm = resolve_task("gsm8k|2", None).local
    assert len(gsm.rows) == 5 and len(gsm.fewshot_rows) == 2


def test_a_run_online_fetches_what_is_missing(tmp_path):
    """No data_fetch first: the task's data is loaded through `datasets` and written to the data dir on first use."""
    code = "from sft_ablate.evaluation.tasks import resolve_task; print(len(resolve_task('gsm8k', None).local.rows))"
    with FakeHub(hub_repos(tmp_path / "repos")) as hub:
        proc = python(["-c", code], hub_env(hub, tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "5"
    assert (tmp_path / "data" / "openai" / "gsm8k" / "main" / "test.jsonl").is_file()
    assert any("gsm8k" in r for r in hub.requests)


def test_data_fetch_refuses_an_unknown_name_before_fetching_anything(tmp_path):
    proc = python(["-m", "sft_ablate.data_fetch", "gsm8k", "gsm9k"], {DATA_DIR_ENV: str(tmp_path / "data")}, tmp_path)
    assert proc.returncode == 2
    assert "unknown dataset 'gsm9k'" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "data" / "openai").exists()


@pytest.mark.slow
def test_a_run_without_the_data_dir_says_in_one_line_how_to_get_it(tmp_path, cache_dir):
    """A fresh clone: no data dir, no hub. No "absent; skipped" lines; one line with the command; results.json lists them."""
    run_dir = tmp_path / "run"
    env = {DATA_DIR_ENV: str(tmp_path / "no-data"), "HF_HUB_OFFLINE": "1"}
    quick = [
        "model=tiny",
        "tracking=none",
        "data.budget=32",
        "train.max_steps=2",
        "eval.num_generations=2",
        "arena.enabled=false",
    ]
    proc = run_cli([*quick, f"hydra.run.dir={run_dir}"], cwd=tmp_path, env=env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "absent; skipped" not in output
    assert [line for line in output.splitlines() if "not checked against" in line][0].endswith(f"{FETCH} arc_easy gsm8k mt_bench")
    assert sum("not checked against" in line for line in output.splitlines()) == 1
    quality = json.loads((run_dir / "results.json").read_text())["data"]["quality"]
    assert len(quality["eval_prompts_missing"]) == 3 and len(quality["eval_prompts"]) == 3  # 2 bundled + seed_tasks


def test_a_run_is_decontaminated_against_its_own_benchmark_files(tmp_path):
    """A task YAML the user evaluates on adds its prompt field to decontamination: a training row holding one of its
    questions is dropped, and results.json lists the file as checked."""
    from sft_ablate.run import data_stage_inputs

    question = "Write an email to volunteers confirming the park cleanup on Saturday, April 13 at 9 a.m."  # human-0002
    rows = [
        {"question": question, "options": ["yes", "no"], "answer": 0},
        {"question": "Is a cat a bird?", "options": ["yes", "no"], "answer": 1},
    ]
    (tmp_path / "mine.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "mine.yaml").write_text(
        'kind: multiple_choice\npath: mine.jsonl\nprompt: "{question}"\nchoices: options\ngold: answer\n'
    )
    config = compose_config([f"eval.benchmarks=[bundled_mc,{tmp_path}/mine.yaml]"])
    sources = {"human": load_source("human", SourceConfig(path=str(SAMPLE_DATA_DIR / "human.jsonl")), "fail").examples}
    result = apply_filters(sources, data_stage_inputs(config).quality)  # what the data stage filters with
    assert result.eval_prompts[f"{tmp_path / 'mine.jsonl'}:question"] == 2
    dropped = [d for d in result.dropped if "mine.jsonl:1" in d.problem]
    assert [d.origin.rsplit("/", 1)[1] for d in dropped] == ["human.jsonl:2"]
    assert str(tmp_path) not in str(config.quality.decontaminate.eval_prompts)  # the config itself is untouched
    plain = apply_filters(sources, compose_config([]).quality)
    assert not [d for d in plain.dropped if "human.jsonl:2" in d.origin]  # without the benchmark, the row stays
