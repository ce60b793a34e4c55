"""Benchmark task strings and local task YAMLs: what is accepted, what is refused, and with which message."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from sft_ablate.errors import ConfigError, DataError, EnvironmentProblem
from sft_ablate.evaluation.lighteval_runner import numeric_answer
from sft_ablate.evaluation.schema import EvalConfig
from sft_ablate.evaluation.tasks import extract_number, load_spec, resolve_benchmarks, resolve_task
from tests.conftest import shared_file
from tests.fake_hub import FakeHub


def write_task(tmp_path: Path, yaml: str, rows: list | str, data_name: str = "items.jsonl") -> Path:
    data = tmp_path / data_name
    data.write_text(rows if isinstance(rows, str) else "".join(json.dumps(r) + "\n" for r in rows))
    task = tmp_path / "my_task.yaml"
    task.write_text(yaml)
    return task


MC_YAML = "kind: multiple_choice\npath: items.jsonl\nprompt: 'Q: {question}\\nA:'\nchoices: options\ngold: answer\n"


def test_bundled_task_reads_the_sample_data():
    task = resolve_task("bundled_mc", None)
    assert (task.name, task.lighteval_string) == ("local_bundled_mc", "local_bundled_mc|0")
    assert len(task.local.rows) == task.local.total_rows == 60
    assert task.local.rows[0] == {
        "query": "Question: What is the capital of Norway?\nAnswer:",
        "choices": [" Bergen", " Oslo", " Copenhagen", " Stockholm"],
        "gold": 1,
    }


def test_arc_easy_first_rows_with_max_samples():
    shared_file("benchmarks/arc_easy.jsonl")
    task = resolve_task("arc_easy", 200)
    first = json.loads(shared_file("benchmarks/arc_easy.jsonl").read_text().splitlines()[0])
    assert len(task.local.rows) == 200 and task.local.total_rows == 2376
    assert task.local.rows[0]["query"] == first["query"] + "\nAnswer:"
    assert task.local.rows[0]["gold"] == first["gold"] and len(task.local.rows[0]["choices"]) == 4


def test_gsm8k_task_reads_answers_after_hashes_and_few_shot_rows():
    shared_file("benchmarks/gsm8k_test.jsonl")
    shared_file("instructions/gsm8k_train.jsonl")
    task = resolve_task("gsm8k|3", 10)
    assert task.num_fewshots == 3 and len(task.local.fewshot_rows) == 7473
    reference = task.local.rows[0]["choices"][0]
    assert reference.endswith("#### 18") and extract_number(reference, "####") == "18"


@pytest.mark.parametrize(
    "generation, expected",
    [
        ("She sells 9 eggs at $2 each, 9 * 2 = 18.\n#### 18", "18"),  # correct
        ("9 * 2 = 18\n#### $18.", "18"),  # correct, with a dollar sign and a full stop
        ("#### 18.0", "18"),
        ("The total is 1,000 + 200.\n#### 1,200", "1200"),
        ("#### -3", "-3"),
        ("#### 0.50", "0.5"),
        ("9 * 2 = 17\n#### 17", "17"),  # wrong: a number, but not the reference's
        ("#### eighteen", None),  # malformed: no number after the marker
        ("The answer is 18.", None),  # malformed: no marker at all
        ("", None),
    ],
)
def test_gsm8k_numeric_extraction(generation, expected):
    assert extract_number(generation, "####") == expected


def test_gsm8k_scoring_of_correct_wrong_and_malformed_generations():
    reference = "Janet sells 16 - 3 - 4 = 9 duck eggs a day.\nShe makes 9 * 2 = $18 every day.\n#### 18"
    gold = numeric_answer(reference, "####")
    assert gold == "18"
    assert numeric_answer("So she makes 9 * 2 = 18 dollars.\n#### 18", "####") == gold  # correct
    assert numeric_answer("#### 16", "####") != gold  # wrong
    assert numeric_answer("She makes 18 dollars.", "####") == ""  # malformed: scores 0, matches no reference
    assert numeric_answer("#### 18 dollars, or #### 20", "####") == gold  # the first marked answer counts


def test_last_number_without_a_marker():
    assert extract_number("3 apples and 4 pears make 7", None) == "7"
    assert extract_number("no digits", None) is None


def test_a_users_own_csv_task_with_choice_columns_and_a_letter_answer(tmp_path):
    csv = "question,A,B,C,answer\nWhat is 2+2?,3,4,5,B\nCapital of Peru?,Lima,Quito,Cusco,A\n"
    task_file = write_task(
        tmp_path,
        "kind: multiple_choice\npath: items.csv\nprompt: '{question}'\nchoices: [A, B, C]\ngold: answer\n",
        csv,
        "items.csv",
    )
    task = resolve_task(str(task_file), None)
    assert task.name == "local_my_task"
    assert [r["gold"] for r in task.local.rows] == [1, 0]
    assert task.local.rows[0]["choices"] == [" 3", " 4", " 5"]


def test_include_takes_defaults_and_the_file_overrides(tmp_path):
    (tmp_path / "_base.yaml").write_text("kind: multiple_choice\nchoice_prefix: ' '\nprompt: 'base {q}'\n")
    (tmp_path / "t.yaml").write_text("include: _base.yaml\npath: d.jsonl\nprompt: 'mine {q}'\n")
    spec = load_spec(tmp_path / "t.yaml")
    assert (spec.kind, spec.prompt, spec.path) == ("multiple_choice", "mine {q}", str(tmp_path / "d.jsonl"))


def test_unknown_task_string_names_the_alternatives():
    with pytest.raises(ConfigError) as err:
        resolve_task("arc_eazy", None)
    message = str(err.value)
    assert "unknown task 'arc_eazy'" in message and "Did you mean the local task 'arc_easy'?" in message
    assert "mmlu:anatomy|0" in message


def test_unreadable_few_shot_count():
    with pytest.raises(ConfigError, match="few-shot count must be a whole number"):
        resolve_task("bundled_mc|five", None)


def test_missing_data_file_names_the_task_file(tmp_path):
    task_file = tmp_path / "my_task.yaml"
    task_file.write_text("kind: multiple_choice\npath: nowhere.jsonl\n")
    with pytest.raises(DataError) as err:
        resolve_task(str(task_file), None)
    assert f"file not found: {tmp_path / 'nowhere.jsonl'}" in str(err.value) and str(task_file) in str(err.value)


@pytest.mark.parametrize(
    "line2, problem",
    [
        ('{"question": "Q2", "options": ["a", "b"], "answer": 1', ":2: malformed JSON"),
        ('{"question": "Q2", "options": ["a", "b"], "answer": 2}', ":2: field 'answer' is 2, but there are only 2 choices"),
        ('{"question": "Q2", "options": ["a"], "answer": 0}', ":2: needs at least 2 choices, got 1"),
        ('{"options": ["a", "b"], "answer": 0}', ":2: missing field 'question'"),
        ('{"question": "Q2", "options": "a or b", "answer": 0}', ":2: field 'options' must be a list of choices"),
        ('{"question": "Q2", "options": ["a", "b"], "answer": "first"}', ":2: field 'answer' must be a 0-based choice index"),
    ],
)
def test_malformed_row_names_file_and_line(tmp_path, line2, problem):
    good = '{"question": "Q1", "options": ["a", "b"], "answer": 0}'
    task_file = write_task(tmp_path, MC_YAML, f"{good}\n{line2}\n")
    with pytest.raises(DataError) as err:
        resolve_task(str(task_file), None)
    assert f"{tmp_path / 'items.jsonl'}{problem}" in str(err.value)
    assert "benchmark task 'my_task'" in str(err.value)


def test_generative_reference_without_a_number_is_malformed(tmp_path):
    yaml = "kind: generative\npath: items.jsonl\nprompt: '{question}'\ngold: answer\nanswer: numeric\nanswer_marker: '####'\n"
    rows = [{"question": "1+1?", "answer": "1+1=2\n#### 2"}, {"question": "2+2?", "answer": "four"}]
    with pytest.raises(DataError, match=r"items.jsonl:2: field 'answer' has no number after '####'"):
        resolve_task(str(write_task(tmp_path, yaml, rows)), None)


@pytest.mark.parametrize(
    "yaml, problem",
    [
        (MC_YAML + "colour: blue\n", "colour"),  # unknown key
        (MC_YAML.replace("multiple_choice", "ranking"), "kind must be one of multiple_choice, generative"),
        (MC_YAML + "include: missing.yaml\n", "include: 'missing.yaml' not found"),
        (MC_YAML.replace("Q: {question}", "Q: {}"), "not a valid format string"),
    ],
)
def test_bad_task_yaml_names_the_file(tmp_path, yaml, problem):
    task_file = write_task(tmp_path, yaml, [{"question": "Q", "options": ["a", "b"], "answer": 0}])
    with pytest.raises(ConfigError) as err:
        resolve_task(str(task_file), None)
    assert str(task_file) in str(err.value) and problem in str(err.value)


def test_few_shot_without_examples_is_refused():
    with pytest.raises(ConfigError, match="has no fewshot_path"):
        resolve_task("bundled_mc|5", None)


def test_a_task_listed_twice_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="lists 'bundled_mc|0' twice"):
        resolve_benchmarks(EvalConfig(benchmarks=["bundled_mc", "bundled_mc|0"]), tmp_path)


def test_rows_are_written_once_as_a_dataset_lighteval_loads(tmp_path):
    (task,) = resolve_benchmarks(EvalConfig(benchmarks=["bundled_mc"], max_samples=7), tmp_path)
    rows = [json.loads(line) for line in (task.data_dir / "test.jsonl").read_text().splitlines()]
    assert rows == task.local.rows and len(rows) == 7
    (again,) = resolve_benchmarks(EvalConfig(benchmarks=["bundled_mc"], max_samples=7), tmp_path)
    assert again.data_dir == task.data_dir


# ---- hub tasks: a local HTTP server plays the hub -------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hub_task_offline_fails_fast_and_names_the_local_alternative(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{closed_port()}")  # as HF_ENDPOINT would
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    start = time.perf_counter()
    with pytest.raises(EnvironmentProblem) as err:
        resolve_task("arc:easy|0", None)
    # huggingface_hub's own retries would take minutes; a bound this loose holds on a loaded machine too
    assert time.perf_counter() - start < 60
    message = str(err.value)
    assert "benchmark 'arc:easy|0' is a lighteval task" in message and "hub is not reachable" in message
    assert "eval.benchmarks=[arc_easy]" in message


def mmlu_like_repo(root: Path) -> Path:
    """A dataset repo shaped like lighteval/mmlu (config `anatomy`, splits test and dev), written here."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    (root / "anatomy").mkdir(parents=True)
    (root / "README.md").write_text(
        "---\nconfigs:\n- config_name: anatomy\n  data_files:\n  - split: test\n"
        "    path: anatomy/test-*.parquet\n  - split: dev\n    path: anatomy/dev-*.parquet\n---\n"
    )
    rows = [{"question": f"Which of these is bone number {i} in the list?", "subject": "anatomy",
             "choices": ["femur", "tibia", "ulna", "radius"], "answer": i % 4} for i in range(8)]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(rows), root / "anatomy" / "test-00000-of-00001.parquet")
    pq.write_table(pa.Table.from_pylist(rows[:3]), root / "anatomy" / "dev-00000-of-00001.parquet")
    return root


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    from huggingface_hub import constants

    with FakeHub({"lighteval/mmlu": mmlu_like_repo(tmp_path / "mmlu")}) as hub:
        monkeypatch.setattr(constants, "ENDPOINT", hub.endpoint)  # as HF_ENDPOINT would
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        yield hub


@pytest.mark.slow  # imports lighteval's task modules
def test_hub_task_resolves_to_lighteval_builtin_when_the_hub_answers(fake_hub):
    from sft_ablate.evaluation.tasks import check_hub_dataset

    task = resolve_task("mmlu:anatomy|0", None)
    assert (task.lighteval_string, task.builtin_module) == ("mmlu:anatomy|0", "lighteval.tasks.tasks.mmlu")
    assert task.identity["hf_repo"] == "lighteval/mmlu" and task.identity["hf_subset"] == "anatomy"
    legacy = resolve_task("mmlu|anatomy|0|0", None)  # lighteval < 0.10 spelling: suite|task|shots|truncate
    assert legacy.lighteval_string == "mmlu:anatomy|0"
    with pytest.raises(ConfigError, match="refuses it"):
        check_hub_dataset("x", "x", "someone/missing", None, None, endpoint=fake_hub.endpoint)
