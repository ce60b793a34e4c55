"""Every input format, good rows and bad rows; every file type, with the file and line in each error."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sft_ablate.data.formats import RowProblem, to_messages
from sft_ablate.data.schema import SourceConfig
from sft_ablate.data.sources import load_source
from sft_ablate.errors import DataError

CHAT = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]


class TestGoodRows:
    def test_messages(self):
        assert to_messages({"messages": CHAT}) == CHAT

    def test_messages_with_system_and_two_turns(self):
        rows = [
            {"role": "system", "content": "Be brief."},
            *CHAT,
            {"role": "user", "content": "Bye"},
            {"role": "assistant", "content": "Bye!"},
        ]
        assert to_messages({"messages": rows}) == rows

    def test_alpaca_with_and_without_input(self):
        assert to_messages({"instruction": "Add", "input": "2 and 3", "output": "5"}) == [
            {"role": "user", "content": "Add\n\n2 and 3"},
            {"role": "assistant", "content": "5"},
        ]
        assert to_messages({"instruction": "Say hi", "input": "", "output": "hi"})[0]["content"] == "Say hi"

    def test_sharegpt(self):
        row = {"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}
        assert to_messages(row) == CHAT

    def test_sharegpt_system_field(self):
        row = {"system": "Be brief.", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}
        assert to_messages(row)[0] == {"role": "system", "content": "Be brief."}

    def test_prompt_completion_strings(self):
        assert to_messages({"prompt": "Hi", "completion": "Hello!"}) == CHAT

    def test_prompt_completion_conversational(self):
        row = {"prompt": [CHAT[0]], "completion": [CHAT[1]]}
        assert to_messages(row) == CHAT

    def test_self_instruct_task_takes_its_first_instance(self):
        row = {
            "id": "seed_task_1",
            "name": "x",
            "instruction": "Add the numbers.",
            "is_classification": False,
            "instances": [{"input": "2 and 3", "output": "5"}, {"input": "1 and 1", "output": "2"}],
        }
        assert to_messages(row) == [
            {"role": "user", "content": "Add the numbers.\n\n2 and 3"},
            {"role": "assistant", "content": "5"},
        ]
        empty_input = {**row, "instances": [{"input": "", "output": "Done."}]}
        assert to_messages(empty_input, "self_instruct")[0]["content"] == "Add the numbers."
        with pytest.raises(RowProblem, match="non-empty list"):
            to_messages({**row, "instances": []})

    def test_explicit_format_overrides_detection(self):
        assert to_messages({"prompt": "Hi", "completion": "Hello!", "extra": 1}, "prompt_completion") == CHAT


class TestBadRows:
    @pytest.mark.parametrize(
        "row,problem",
        [
            ({"messages": [{"role": "user", "content": "Hi"}, {"role": "bot", "content": "x"}]}, "unknown role 'bot'"),
            (
                {"messages": [{"role": "assistant", "content": "x"}]},
                "roles must alternate user/assistant, got 'assistant' after 'start'",
            ),
            ({"messages": [*CHAT, {"role": "assistant", "content": "again"}]}, "got 'assistant' after 'assistant'"),
            (
                {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "  "}]},
                "message 2 (assistant): empty content",
            ),
            ({"messages": [{"role": "user", "content": "Hi"}]}, "the last message must be from the assistant"),
            ({"messages": [CHAT[0], {"role": "system", "content": "late"}, CHAT[1]]}, "system message is only allowed first"),
            ({"messages": []}, "no messages"),
            ({"messages": "Hi"}, "`messages` must be a list"),
            ({"messages": [{"role": "user", "content": 3}, CHAT[1]]}, "content must be a string"),
            ({"conversations": [{"from": "robot", "value": "x"}]}, "unknown speaker 'robot'"),
            ({"instruction": "Say hi", "input": ""}, "alpaca row has no `output`"),
            ({"prompt": "Hi", "completion": ["x"]}, "must both be strings or both be lists"),
            ({"text": "just text"}, "unknown row format"),
            (["not", "an", "object"], "a row must be a JSON object"),
        ],
    )
    def test_problem_is_named(self, row, problem):
        with pytest.raises(RowProblem, match=problem.replace("(", r"\(").replace(")", r"\)")):
            to_messages(row)


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def source(path, **kwargs) -> SourceConfig:
    return SourceConfig(path=str(path), **kwargs)


class TestFiles:
    def test_jsonl_rows_keep_their_line(self, tmp_path):
        path = write_jsonl(tmp_path / "d.jsonl", [{"messages": CHAT}] * 3)
        loaded = load_source("s", source(path), on_bad_row="fail")
        assert [e.origin for e in loaded.examples] == [f"{path}:{i}" for i in (1, 2, 3)]

    def test_bad_row_fails_with_file_and_line(self, tmp_path):
        path = write_jsonl(tmp_path / "d.jsonl", [{"messages": CHAT}, {"messages": CHAT[:1]}])
        with pytest.raises(DataError, match=rf"{path}:2: the last message must be from the assistant"):
            load_source("s", source(path), on_bad_row="fail")

    def test_skip_policy_counts_bad_rows(self, tmp_path):
        path = tmp_path / "d.jsonl"
        path.write_text(json.dumps({"messages": CHAT}) + "\n{not json\n" + json.dumps({"instruction": "x"}) + "\n")
        loaded = load_source("s", source(path), on_bad_row="skip")
        assert len(loaded.examples) == 1 and loaded.rows_read == 3
        assert [(b.origin, b.problem.split(":")[0]) for b in loaded.bad_rows] == [
            (f"{path}:2", "malformed JSON"),
            (f"{path}:3", "alpaca row has no `output`"),
        ]

    def test_malformed_json_line(self, tmp_path):
        path = tmp_path / "d.jsonl"
        path.write_text(json.dumps({"messages": CHAT}) + "\n" + '{"messages": [\n')
        with pytest.raises(DataError, match=rf"{path}:2: malformed JSON"):
            load_source("s", source(path), on_bad_row="fail")

    def test_non_utf8_line(self, tmp_path):
        path = tmp_path / "d.jsonl"
        path.write_bytes(json.dumps({"messages": CHAT}).encode() + b"\n" + b'{"prompt": "caf\xe9", "completion": "x"}\n')
        with pytest.raises(DataError, match=rf"{path}:2: not valid UTF-8 \(byte 0xe9 at column 16\)"):
            load_source("s", source(path), on_bad_row="fail")

    def test_json_array_with_line_numbers(self, tmp_path):
        path = tmp_path / "d.json"
        path.write_text("[\n" + json.dumps({"messages": CHAT}) + ",\n" + json.dumps({"prompt": "Hi", "completion": ""}) + "\n]\n")
        with pytest.raises(DataError, match=rf"{path}:3: message 2 \(assistant\): empty content"):
            load_source("s", source(path), on_bad_row="fail")

    def test_json_must_be_an_array(self, tmp_path):
        path = tmp_path / "d.json"
        path.write_text(json.dumps({"messages": CHAT}))
        with pytest.raises(DataError, match="must hold an array of rows"):
            load_source("s", source(path), on_bad_row="fail")

    def test_parquet_alpaca(self, tmp_path):
        path = tmp_path / "d.parquet"
        pd.DataFrame([{"instruction": "Say hi", "input": "", "output": "hi"}] * 2).to_parquet(path)
        loaded = load_source("s", source(path), on_bad_row="fail")
        assert loaded.examples[1].messages[1]["content"] == "hi"
        assert loaded.examples[1].origin == f"{path}:row 1"

    def test_parquet_nested_messages(self, tmp_path):
        path = tmp_path / "d.parquet"
        pd.DataFrame([{"messages": CHAT}]).to_parquet(path)
        assert load_source("s", source(path), on_bad_row="fail").examples[0].messages == CHAT

    def test_csv_with_json_messages_column_and_line_numbers(self, tmp_path):
        path = tmp_path / "d.csv"
        pd.DataFrame(
            [
                {"prompt": "Hi", "completion": "Hello!"},
                {"prompt": "multi\nline", "completion": "ok"},
                {"prompt": "x", "completion": ""},
            ]
        ).to_csv(path, index=False)
        with pytest.raises(DataError, match=rf"{path}:5: message 2 \(assistant\): empty content"):
            load_source("s", source(path), on_bad_row="fail")  # the quoted newline makes row 3 start on line 5
        path2 = tmp_path / "m.csv"
        pd.DataFrame([{"messages": json.dumps(CHAT)}]).to_csv(path2, index=False)
        assert load_source("s", source(path2), on_bad_row="fail").examples[0].messages == CHAT

    def test_missing_file(self, tmp_path):
        with pytest.raises(DataError, match=r"data source 's': file not found: .*nope.jsonl \(data.sources.s.path\)"):
            load_source("s", source(tmp_path / "nope.jsonl"), on_bad_row="fail")

    def test_unsupported_suffix(self, tmp_path):
        path = tmp_path / "d.txt"
        path.write_text("hi")
        with pytest.raises(DataError, match="unsupported file type '.txt'"):
            load_source("s", source(path), on_bad_row="fail")

    def test_source_with_only_bad_rows(self, tmp_path):
        path = write_jsonl(tmp_path / "d.jsonl", [{"messages": CHAT[:1]}])
        with pytest.raises(DataError, match=r"has no usable rows \(1 bad rows\)"):
            load_source("s", source(path), on_bad_row="skip")

    def test_max_rows(self, tmp_path):
        path = write_jsonl(tmp_path / "d.jsonl", [{"messages": CHAT}] * 5)
        assert len(load_source("s", source(path, max_rows=2), on_bad_row="fail").examples) == 2

    def test_hub_dataset_id_offline_fails_clearly(self, monkeypatch):
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
        config = SourceConfig(hf_dataset="sft-ablate/definitely-not-cached")
        with pytest.raises(DataError, match="could not load Hugging Face dataset 'sft-ablate/definitely-not-cached'"):
            load_source("s", config, on_bad_row="fail")

    def test_hub_loader_reads_a_local_dataset_folder(self, tmp_path):
        # `datasets.load_dataset` takes hub ids and local folders through the same code path.
        folder = tmp_path / "ds"
        folder.mkdir()
        write_jsonl(folder / "train.jsonl", [{"messages": CHAT}] * 2)
        loaded = load_source("s", SourceConfig(hf_dataset=str(folder)), on_bad_row="fail")
        assert len(loaded.examples) == 2 and loaded.examples[0].origin.endswith("[train]#0")
