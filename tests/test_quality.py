"""Quality filters: planted duplicates, near-duplicates, PII, eval-prompt copies and degenerate rows are each removed
and counted by the right filter; PII look-alikes (versions, dates, prices) are not flagged; the bundled data is clean."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException

from sft_ablate.data.filters import QUALITY_FILTERS, Edit, FilterContext, FilterOutcome
from sft_ablate.data.filters.pii import PII_KINDS, find_pii, luhn_valid
from sft_ablate.data.prepare import prepare_data
from sft_ablate.data.quality import apply_filters, quality_schema
from sft_ablate.data.schema import SourceConfig
from sft_ablate.data.sources import Example, load_source
from sft_ablate.errors import ConfigError, DataError
from sft_ablate.paths import SAMPLE_DATA_DIR
from sft_ablate.run import data_stage_inputs
from tests.conftest import compose_config

ALL_KINDS = list(PII_KINDS)


def chat(user: str, assistant: str) -> dict:
    return {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]}


def bundled_rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (SAMPLE_DATA_DIR / f"{name}.jsonl").read_text().splitlines()]


def long_row(rows: list[dict], min_words: int = 25) -> dict:
    return next(r for r in rows if len(" ".join(m["content"] for m in r["messages"]).split()) >= min_words)


def change_one_word(row: dict) -> dict:
    """The same row with one word of the last answer replaced."""
    messages = [dict(m) for m in row["messages"]]
    words = messages[-1]["content"].split(" ")
    i = len(words) // 2
    words[i] = "zebra" if words[i] != "zebra" else "giraffe"
    messages[-1]["content"] = " ".join(words)
    return {"messages": messages}


def eval_query(i: int) -> str:
    return json.loads((SAMPLE_DATA_DIR / "eval_mc.jsonl").read_text().splitlines()[i])["query"]


def arena_turn() -> str:
    return json.loads((SAMPLE_DATA_DIR / "arena_prompts.jsonl").read_text().splitlines()[1])["turns"][0]


# What each planted row must be removed by. The clean rows come first, so every plant is the later copy.
def planted_rows() -> tuple[list[dict], dict[str, int]]:
    clean = bundled_rows("human")[:80]
    base = long_row(clean[40:])
    plants = [
        (clean[3], "exact_dedup"),
        ({"messages": [{**m, "content": "  " + m["content"].upper() + " "} for m in clean[5]["messages"]]}, "exact_dedup"),
        (change_one_word(base), "near_dedup"),
        (change_one_word(long_row(clean[60:])), "near_dedup"),
        (chat("Say hi.", "."), "length"),  # 2 words and 2 marks: under min_tokens=5 below
        (chat("Write a long story about rivers.", " ".join(["water flows on"] * 300)), "degenerate"),
        (chat("Tell me a fact about owls.", "Tell me a fact about owls."), "degenerate"),
        (chat("Who should I contact?", "Write to jane.doe@example.org for details."), "pii"),
        (chat("What is the support line?", "Call (415) 555-0134 or +44 20 7946 0958."), "pii"),
        (chat("Store this card.", "Card number 4111 1111 1111 1111, expiry 09/27."), "pii"),
        (chat("Which server is it?", "The API runs on 93.184.216.34 behind a proxy."), "pii"),
        (chat("Configure the client.", "Set OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z and run it."), "pii"),
        (chat("Quick quiz", f"{eval_query(0)} Answer in one word."), "decontaminate"),  # a short eval query, whole
        (chat(f"Please help: {arena_turn()}", "Here it is."), "decontaminate"),  # a 13-gram of an arena prompt
    ]
    expected: dict[str, int] = {}
    for _, reason in plants:
        expected[reason] = expected.get(reason, 0) + 1
    return clean + [row for row, _ in plants], expected


@pytest.fixture
def planted_file(tmp_path) -> tuple[Path, dict[str, int], int]:
    rows, expected = planted_rows()
    path = tmp_path / "planted.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, expected, len(rows)


def quality_config(overrides: list[str] = ()):
    return compose_config(["quality.length.min_tokens=5", *overrides]).quality


@pytest.mark.parametrize("action", ["drop", "redact"])
def test_each_plant_is_removed_and_counted_by_the_right_filter(planted_file, action):
    path, expected, n_rows = planted_file
    examples = load_source("planted", SourceConfig(path=str(path)), "fail").examples
    result = apply_filters({"planted": examples}, quality_config([f"quality.pii.action={action}"]))
    removed = result.removed["planted"]
    if action == "redact":  # PII rows stay, with the PII replaced, and are counted per kind
        assert result.edited["planted"]["pii"] == {"email": 1, "phone": 1, "credit_card": 1, "ip_address": 1, "api_key": 1}
        expected = {**expected, "pii": 0}
        kept_text = json.dumps([e.messages for e in result.kept["planted"]])
        assert "jane.doe@example.org" not in kept_text and "<EMAIL>" in kept_text and "<CREDIT_CARD>" in kept_text
        assert "sk-proj-" not in kept_text and "<API_KEY>" in kept_text
    assert removed == {f: expected.get(f, 0) for f in removed}
    assert len(result.kept["planted"]) == n_rows - sum(expected.values())
    # Every removal is traced to its line, with the filter that removed it and a reason.
    drops = [d for d in result.dropped if d.action == "dropped"]
    assert sorted(d.filter for d in drops) == sorted(f for f, n in expected.items() for _ in range(n))
    first_plant_line = 81
    assert all(int(d.origin.rsplit(":", 1)[1]) >= first_plant_line for d in drops)  # no clean row was removed
    assert all(d.problem for d in drops)
    # The reasons name the kinds of PII, never the PII itself: dropped_rows.jsonl must not become a copy of it.
    assert not any("@" in d.problem or "4111" in d.problem for d in result.dropped)


def test_duplicate_reasons_point_at_the_kept_copy(planted_file):
    path, _, _ = planted_file
    examples = load_source("planted", SourceConfig(path=str(path)), "fail").examples
    result = apply_filters({"planted": examples}, quality_config())
    reasons = {}
    for d in result.dropped:
        reasons.setdefault(d.filter, []).append(d.problem)
    assert reasons["exact_dedup"] == [f"exact duplicate of {path}:4", f"exact duplicate of {path}:6"]
    assert all(r.startswith("near-duplicate of ") and "Jaccard" in r for r in reasons["near_dedup"])
    assert reasons["decontaminate"][0] == (
        f"shares 6 words with eval prompt {SAMPLE_DATA_DIR / 'eval_mc.jsonl'}:1: 'what is the capital of norway'"
    )
    assert reasons["decontaminate"][1].startswith("shares 13 words with eval prompt ")
    assert "arena_prompts.jsonl:2: 'write a product description" in reasons["decontaminate"][1]


def test_dedup_keeps_the_first_source_across_sources(tmp_path):
    rows = bundled_rows("human")[:10]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("".join(json.dumps(r) + "\n" for r in rows))
    b.write_text(json.dumps(rows[2]) + "\n" + json.dumps(chat("Something new entirely.", "A fresh answer here.")) + "\n")
    sources = {name: load_source(name, SourceConfig(path=str(p)), "fail").examples for name, p in (("a", a), ("b", b))}
    result = apply_filters(sources, quality_config())
    assert (result.removed["a"]["exact_dedup"], result.removed["b"]["exact_dedup"]) == (0, 1)


def test_filters_run_in_the_configured_order(planted_file):
    """A row that is both a duplicate and PII-bearing is counted by whichever filter comes first."""
    path, _, _ = planted_file
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    pii_row = next(r for r in rows if "jane.doe" in json.dumps(r))
    path.write_text(path.read_text() + json.dumps(pii_row) + "\n")
    examples = load_source("planted", SourceConfig(path=str(path)), "fail").examples
    dedup_first = apply_filters({"planted": examples}, quality_config(["quality.pii.action=drop"]))
    pii_first = apply_filters(
        {"planted": examples}, quality_config(["quality.pii.action=drop", "quality.filters=[pii,exact_dedup]"])
    )
    assert dedup_first.removed["planted"]["pii"] + 1 == pii_first.removed["planted"]["pii"]
    assert dedup_first.removed["planted"]["exact_dedup"] - 1 == pii_first.removed["planted"]["exact_dedup"]


def test_prepare_data_records_removals_and_traces_every_drop(planted_file, cache_dir):
    path, expected, n_rows = planted_file
    config = compose_config(
        [
            "model=tiny",
            f"data.sources.human.path={path}",
            "quality.length.min_tokens=5",
            "quality.pii.action=drop",
            "data.budget=40",
        ]
    )
    data = prepare_data(data_stage_inputs(config))
    human = data.report["sources"]["human"]
    assert human["removed"] == {f: expected.get(f, 0) for f in config.quality.filters}
    assert human["rows_kept"] == n_rows - sum(expected.values()) == len(data.pool["human"].examples)
    assert human["rows_kept"] == human["eval_rows"] + human["rows_available"]
    assert len([d for d in data.dropped if d.source == "human"]) == sum(expected.values())
    assert data.report["quality"]["eval_prompts"][f"{SAMPLE_DATA_DIR / 'eval_mc.jsonl'}:query"] == 60


# ---------------------------------------------------------------- PII: what is and is not PII


@pytest.mark.parametrize(
    "text",
    [
        "Upgrade to v2.3.1, then to 3.11.4 and 10.0.19041.1; build 1.2.3.4 and version 4.3.2.1 are older.",
        "The meeting moved from 2024-03-15 to 15/03/2024 (03.15.2024), 10:30:00 sharp, on 2024-03-15T10:30:00Z.",
        "It costs $1,299.99 (was €1.049,00), a 12.5% discount; 3.5 GHz, 1,234,567 people, 6.02e23 atoms.",
        "ISBN 0-306-40615-2 and ISBN-13 978-0-306-40615-7; order #58213, reservation #HT-7782, SKU 400-1234-55.",
        "Sort these numbers: 512 128 1024 2048 4096 8192 16384 and 1700000000000 (a timestamp in ms).",
        "Local addresses 192.168.1.1, 10.0.0.2, 127.0.0.1 and the example range 203.0.113.7 identify no one.",
        "A task-manager-component-with-a-long-name and the sk-learn style of naming are not keys.",
        "Card-like but invalid: 4111 1111 1111 1112 fails the Luhn check; 1234567890123 is no card.",
        "The function @property decorator and user@localhost are not email addresses.",
        "Times 12:30 and 09:15:00, ratios 16:9 and 4:3:2, and a MAC-like a1:b2 are not IPv6.",
        "Measurements: 2.54 cm per inch, 1.609344 km per mile, 0.45359237 kg per lb.",
    ],
)
def test_look_alikes_are_not_pii(text):
    assert find_pii(text, ALL_KINDS) == []


@pytest.mark.parametrize(
    "text,kind",
    [
        ("mail me at a.b-c+tag@mail.example.co.uk", "email"),
        ("call (415) 555-0134", "phone"),
        ("call 415-555-0134", "phone"),
        ("call 415.555.0134", "phone"),
        ("call +44 20 7946 0958", "phone"),
        ("call +1-202-555-0147", "phone"),
        ("visa 4111-1111-1111-1111", "credit_card"),
        ("mastercard 5555555555554444", "credit_card"),
        ("amex 3782 822463 10005", "credit_card"),
        ("server 8.8.8.8", "ip_address"),
        ("server 2001:4860:4860::8888", "ip_address"),
        ("key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123", "api_key"),
        ("token hf_abcdefghijklmnopqrstuvwxyzABCDEFGH", "api_key"),
        ("aws AKIAIOSFODNN7EXAMPLE", "api_key"),
        ("gh ghp_abcdefghijklmnopqrstuvwxyz0123456789", "api_key"),
        ("-----BEGIN RSA PRIVATE KEY-----", "api_key"),
    ],
)
def test_pii_is_found(text, kind):
    assert [k for k, _, _ in find_pii(text, ALL_KINDS)] == [kind]


def test_luhn():
    assert luhn_valid("4111111111111111") and luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")


def test_only_the_configured_kinds_are_looked_for():
    text = "jane@example.org, 8.8.8.8"
    assert [k for k, _, _ in find_pii(text, ["ip_address"])] == ["ip_address"]


def test_bundled_data_has_no_pii_flags_and_passes_every_filter():
    """The bundled files carry versions, dates, prices, ISBNs and order numbers on purpose, and no PII at all:
    every flag would be a false positive. They also hold no duplicates, and one eval-prompt copy: a human answer
    that is ARC-Easy's question 9 with its gold choice ("Plants use sunlight to make" ... "food."), found when
    the ARC data is there (the tests' data dir)."""
    sources = {
        name: load_source(name, SourceConfig(path=str(SAMPLE_DATA_DIR / f"{name}.jsonl")), "fail").examples
        for name in ("human", "synthetic")
    }
    result = apply_filters(sources, compose_config([]).quality)
    assert result.edited == {"human": {}, "synthetic": {}}
    arc = "allenai/ai2_arc/ARC-Easy/test:question" in result.eval_prompts
    removed = {(s, f): n for s, counts in result.removed.items() for f, n in counts.items() if n}
    assert removed == ({("human", "decontaminate"): 1} if arc else {}), result.removed
    assert [d.origin.rsplit("/", 1)[1] for d in result.dropped] == (["human.jsonl:140"] if arc else [])


# ---------------------------------------------------------------- config and eval-prompt files


def test_unknown_filter_is_a_config_error_that_lists_the_registered_ones():
    registered = ", ".join(QUALITY_FILTERS.names())
    assert {"exact_dedup", "near_dedup", "pii", "special_tokens", "decontaminate"} <= set(QUALITY_FILTERS.names())
    with pytest.raises(ConfigError, match=rf"quality.filters: unknown quality filter 'dedup' \(registered: {registered}\)"):
        compose_config(["quality.filters=[exact_dedup,dedup]"])


def test_a_filter_setting_is_typed_at_composition():
    assert compose_config(["quality.near_dedup.threshold=0.8"]).quality.near_dedup.threshold == 0.8
    with pytest.raises(ConfigCompositionException, match="Could not override 'quality.near_dedup.bogus'"):
        compose_config(["quality.near_dedup.bogus=1"])
    with pytest.raises(ConfigCompositionException, match="Could not override 'quality.bogus'"):
        compose_config(["quality.bogus=1"])
    with pytest.raises(ConfigError, match=r"quality.near_dedup.threshold must be in \(0, 1\]"):
        compose_config(["quality.near_dedup.threshold=1.5"])


# A filter from outside the package, as a plugin module (SFT_ABLATE_PLUGINS) would declare one: a config dataclass
# and a function, registered under a name. It rewrites rows with the banned word and drops rows that only say it.
@dataclass
class BannedWordConfig:
    word: str = "zebra"
    replacement: str = "horse"


def banned_word(rows: list[Example], settings: BannedWordConfig, context: FilterContext) -> FilterOutcome:
    outcome = FilterOutcome()
    for example in rows:
        text = example.messages[-1]["content"]
        if text.strip(" .").lower() == settings.word:
            outcome.removed[id(example)] = f"only says {settings.word!r}"
        elif settings.word in text:
            messages = [
                *example.messages[:-1],
                {"role": "assistant", "content": text.replace(settings.word, settings.replacement)},
            ]
            outcome.edited[id(example)] = Edit(replace(example, messages=messages), "banned word", "rewritten", ("rewritten",))
    return outcome


@pytest.fixture
def banned_word_filter(monkeypatch):
    """The test's filter, registered for this test only (the registry and the schema are as before afterwards)."""
    monkeypatch.setattr(QUALITY_FILTERS, "_entries", dict(QUALITY_FILTERS._entries))
    QUALITY_FILTERS.register("banned_word", BannedWordConfig)(banned_word)
    yield
    monkeypatch.undo()
    compose_config([])  # re-stores the schema of the built-in filters


def test_a_filter_registered_outside_the_package_runs_when_listed_and_gets_a_settings_key(tmp_path, banned_word_filter):
    rows = [
        chat("Name an animal.", "A zebra."),
        chat("Say it.", "Zebra."),
        chat("Hi", "Hello there."),
    ]
    path = tmp_path / "animals.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    examples = load_source("animals", SourceConfig(path=str(path)), "fail").examples

    config = compose_config(["quality.filters=[exact_dedup,banned_word]", "quality.banned_word.replacement=lion"])
    assert type(config.quality) is quality_schema() and config.quality.banned_word == BannedWordConfig(replacement="lion")
    result = apply_filters({"animals": examples}, config.quality)
    assert [e.messages[-1]["content"] for e in result.kept["animals"]] == ["A lion.", "Hello there."]
    assert result.removed["animals"] == {"exact_dedup": 0, "banned_word": 1}
    assert result.edited["animals"] == {"banned_word": {"rewritten": 1}}
    assert [(d.filter, d.action, d.origin) for d in result.dropped] == [
        ("banned_word", "rewritten", f"{path}:1"),
        ("banned_word", "dropped", f"{path}:2"),
    ]
    # Not listed: not run, though registered.
    assert apply_filters({"animals": examples}, compose_config(["quality.filters=[exact_dedup]"]).quality).dropped == []


def test_quality_none_runs_no_filter(planted_file):
    path, _, n_rows = planted_file
    examples = load_source("planted", SourceConfig(path=str(path)), "fail").examples
    result = apply_filters({"planted": examples}, compose_config(["quality=none"]).quality)
    assert len(result.kept["planted"]) == n_rows and result.removed["planted"] == {}
    assert result.source_counts("planted") == {"removed": {}, "pii_redacted": {}, "special_tokens_stripped": 0}


def test_missing_eval_prompt_file_is_an_error_unless_optional(planted_file, tmp_path):
    path, _, _ = planted_file
    examples = load_source("planted", SourceConfig(path=str(path)), "fail").examples
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(DataError, match=f"eval prompt file not found: {missing}"):
        apply_filters(
            {"planted": examples}, quality_config([f"quality.decontaminate.eval_prompts=[{{path: {missing}, field: q}}]"])
        )
    optional = quality_config([f"quality.decontaminate.eval_prompts=[{{path: {missing}, field: q, optional: true}}]"])
    assert apply_filters({"planted": examples}, optional).eval_prompts == {}


def test_eval_prompt_file_without_the_field_names_file_and_line(planted_file, tmp_path):
    path, _, _ = planted_file
    prompts = tmp_path / "bench.jsonl"
    prompts.write_text(json.dumps({"question": "What is two plus two, exactly?"}) + "\n")
    examples = load_source("planted", SourceConfig(path=str(path)), "fail").examples
    with pytest.raises(DataError, match=f"{prompts}:1: no field 'query'"):
        apply_filters(
            {"planted": examples}, quality_config([f"quality.decontaminate.eval_prompts=[{{path: {prompts}, field: query}}]"])
        )


# ---------------------------------------------------------------- through the commands a user types


@pytest.mark.slow
def test_a_run_writes_every_drop_to_its_dropped_rows_file(planted_file, tmp_path, cache_dir):
    from tests.conftest import run_cli

    path, expected, _ = planted_file
    run_dir = tmp_path / "run"
    proc = run_cli(
        [
            "model=tiny",
            "tracking=none",
            f"data.sources.human.path={path}",
            "quality.length.min_tokens=5",
            "quality.pii.action=drop",
            "data.budget=16",
            "train.max_steps=1",
            "eval.base_model=false",
            "eval.num_generations=1",
            f"hydra.run.dir={run_dir}",
        ],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    dropped = [json.loads(line) for line in (run_dir / "dropped_rows.jsonl").read_text().splitlines()]
    assert sorted(d["filter"] for d in dropped) == sorted(f for f, n in expected.items() for _ in range(n))
    assert all(d["origin"].startswith(f"{path}:") and d["problem"] and d["source"] == "human" for d in dropped)
    results = json.loads((run_dir / "results.json").read_text())
    assert results["data"]["sources"]["human"]["removed"] == {
        f: expected.get(f, 0) for f in results["data"]["quality"]["filters"]
    }


@pytest.mark.slow
def test_data_report_command_on_a_file(planted_file, tmp_path, cache_dir):
    import subprocess
    import sys

    from sft_ablate.paths import PROJECT_ROOT

    path, expected, n_rows = planted_file
    out = tmp_path / "report"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sft_ablate.data_report",
            str(path),
            "diversity=high",
            "data.budget=20",
            "quality.length.min_tokens=5",
            "--out",
            str(out),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rows removed by each quality filter" in proc.stdout and "near_dedup" in proc.stdout
    assert (out / "data_report.png").stat().st_size > 10_000
    report = json.loads((out / "data_report.json").read_text())
    source = report["sources"]["planted"]
    assert source["rows_read"] == n_rows and source["rows"] == 20
    assert source["removed"]["near_dedup"] == expected["near_dedup"] and source["pii_redacted"]["email"] == 1
    assert report["diversity"]["level"] == "high" and report["diversity"]["train"]["rows"] == 20
    assert len([d for d in report["dropped"] if d["action"] == "dropped"]) == sum(v for k, v in expected.items() if k != "pii")


def test_data_report_command_names_a_missing_file(tmp_path):
    from sft_ablate.data_report import main

    assert main([str(tmp_path / "missing.jsonl"), "--out", str(tmp_path)]) == 2


# ---------------------------------------------------------------- special-token strings


def special_token_file(tmp_path) -> Path:
    rows = [
        {"prompt": "Name a primary colour.", "completion": " Red.<|endoftext|>"},
        {"prompt": "Say hi.", "completion": "<|im_start|>assistant\nHi!<|im_end|>"},
        {"prompt": "Nothing special here.", "completion": "Right, plain text."},
        {"prompt": "Only a token.", "completion": "</s>"},
    ]
    path = tmp_path / "old_style.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("action", ["strip", "drop"])
def test_special_token_strings_are_stripped_or_dropped_and_counted(tmp_path, action):
    examples = load_source("old", SourceConfig(path=str(special_token_file(tmp_path))), "fail").examples
    result = apply_filters({"old": examples}, quality_config([f"quality.special_tokens.action={action}"]))
    kept = json.dumps([e.messages for e in result.kept["old"]])
    for token in ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "</s>"):
        assert token not in kept
    traced = {d.origin.rsplit(":", 1)[1]: d for d in result.dropped if d.filter == "special_tokens"}
    assert set(traced) == {"1", "2", "4"}  # every hit is listed in dropped_rows.jsonl, the clean row is not
    if action == "strip":
        assert (
            result.edited["old"]["special_tokens"] == {"stripped": 2} and result.removed["old"]["special_tokens"] == 1
        )  # "</s>" alone
        assert [e.messages[-1]["content"] for e in result.kept["old"]][:2] == ["Red.", "assistant\nHi!"]
        assert traced["1"].action == "stripped" and "<|endoftext|>" in traced["1"].problem
    else:
        assert result.removed["old"]["special_tokens"] == 3 and len(result.kept["old"]) == 1


def test_the_data_cache_key_covers_the_listed_filters_code(monkeypatch, tmp_path, banned_word_filter):
    """The filters package imports its modules by name and a plugin's module lies elsewhere: both are in the key."""
    from sft_ablate.data import prepare
    from sft_ablate.data.filters import pii

    config = compose_config(["model=tiny", f"paths.cache_dir={tmp_path}", "quality.filters=[pii,banned_word]"])
    inputs = data_stage_inputs(config)
    key = prepare.data_cache_key(inputs)
    real_fingerprint = prepare.file_fingerprint
    for edited in (Path(pii.__file__), Path(__file__)):  # a built-in filter's module; this test module's filter
        monkeypatch.setattr(prepare, "file_fingerprint", lambda path, e=edited: "edited" if path == e else real_fingerprint(path))
        assert prepare.data_cache_key(inputs) != key
