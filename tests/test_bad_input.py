"""Bad input, one case per row of the "Bad input" table in docs/fault-tolerance.md: the exact message, exit code 2 (Hydra's own
errors: 1), and no partial outputs. The commands run in this process (`app.main()` as `python -m sft_ablate` calls
it), so torch is imported once for all cases; most cases fail before any model is loaded.

A message template may hold {file} (the bad data file), {run} (the run or sweep dir), {cwd}, {outdir} and
{outparent} (the unwritable outputs dir and the dir that refused), {model} (a model dir), {judge} (the judge URL)
and {free} (any number). test_docs_table_lists_every_case keeps that table and these cases equal.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sft_ablate.paths import PROJECT_ROOT

GOOD = {"messages": [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"}]}
SMALL = ["model=tiny", "tracking=none", "data.on_bad_row=fail"]
SKIP_HINT = " (data source 'human'; set data.on_bad_row=skip to skip such rows)"


@dataclass
class Case:
    args: list[str]  # placeholders as in the message templates
    message: str
    data: bytes | None = None  # written to {file}: a good row, then this as line 2
    entry: str = "run"  # run: python -m sft_ablate; synth: python -m sft_ablate.synth
    model: str | None = None  # "plain_template" or "custom_code": a model dir built for the case
    code: int = 2
    marks: list = field(default_factory=list)


def _line(row) -> bytes:
    return json.dumps(row).encode() + b"\n"


SLOW = [pytest.mark.slow]  # these load data (and torch): about 1 s each once torch is imported
CASES = {
    "malformed JSON line": Case(
        [*SMALL, "data.sources.human.path={file}"],
        "{file}:2: malformed JSON: Expecting value at column 15" + SKIP_HINT,
        data=b'{"messages": [\n',
        marks=SLOW,
    ),
    "wrong roles": Case(
        [*SMALL, "data.sources.human.path={file}"],
        "{file}:2: message 2: roles must alternate user/assistant, got 'user' after 'user'" + SKIP_HINT,
        data=_line({"messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "?"}]}),
        marks=SLOW,
    ),
    "empty assistant turn": Case(
        [*SMALL, "data.sources.human.path={file}"],
        "{file}:2: message 2 (assistant): empty content" + SKIP_HINT,
        data=_line({"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": " "}]}),
        marks=SLOW,
    ),
    "non-UTF-8 data": Case(
        [*SMALL, "data.sources.human.path={file}"],
        "{file}:2: not valid UTF-8 (byte 0xe9 at column 47)" + SKIP_HINT,
        data=_line({"messages": [{"role": "user", "content": "caf"}]}).replace(b"caf", b"caf\xe9"),
        marks=SLOW,
    ),
    "a huge single row (over 16 MiB)": Case(
        [*SMALL, "data.sources.human.path={file}"],
        "{file}:2: row is longer than 16 MiB, the limit for one row (is this file JSONL, one row per line?)" + SKIP_HINT,
        data=b'{"messages": [{"role": "user", "content": "' + b"x" * (17 * 2**20) + b'"}]}\n',
        marks=SLOW,
    ),
    "missing data file": Case(
        [*SMALL, "data.sources.human.path={file}"],
        "data source 'human': file not found: {file} (data.sources.human.path)",
        marks=SLOW,
    ),
    "ratios that do not sum to 1": Case(
        ["mix.weights.synthetic=0.6"], "mix '50_50': weights must sum to 1, got 1.1 (synthetic=0.6, human=0.5)"
    ),
    "unknown group option": Case(["mix=40_60"], "In 'config': Could not find 'mix/40_60'", code=1),
    "unknown config key": Case(["train.lr=0.1"], "Could not override 'train.lr'", code=1),
    "unknown benchmark task": Case(
        ["model=tiny", "tracking=none", "eval.benchmarks=[arc_eazy]"], "eval.benchmarks: unknown task 'arc_eazy'", marks=SLOW
    ),
    "chat template without generation tags": Case(
        [*SMALL, "model.kind=pretrained", "model.path={model}", "model.chat_template=native"],
        "model=tiny: the model's chat template has no {% generation %} tags, so assistant tokens cannot be told apart "
        "for the loss, and TRL has no patched version of it. Use model.chat_template=chatml or give the tokenizer a "
        "template with {% generation %} tags.",
        model="plain_template",
        marks=SLOW,
    ),
    "model with its own code, trust_remote_code unset": Case(
        [*SMALL, "model.kind=pretrained", "model.path={model}"],
        "model '{model}' ships its own Python code (auto_map in its config.json), which runs only with "
        "model.trust_remote_code=true; set that only if you trust the code",
        model="custom_code",
        marks=SLOW,
    ),
    "a config path that escapes the project": Case(
        ["data.sources.human.path=../outside/human.jsonl"],
        "data.sources.human.path='../outside/human.jsonl' escapes the project directory {cwd}: relative paths must "
        "stay inside it; give an absolute path for a file outside the project",
    ),
    "unwritable outputs dir": Case(
        [],
        "error: the outputs dir {outdir} cannot be written ({outparent}: Permission denied); make it writable or "
        "choose another with hydra.run.dir=... (hydra.sweep.dir=... with -m)",
    ),
    "disk space below paths.min_free_gb": Case(
        ["paths.min_free_gb=1e9"],
        "only {free} GB free on the disk of the run dir {run}, below paths.min_free_gb=1e+09; free some space "
        "(checkpoints and caches need it) or lower paths.min_free_gb",
    ),
    "bad Optuna storage URL": Case(
        ["-m", "+sweep=optuna_mix", "model=tiny", "hydra.sweeper.storage=notadb://host/db"],
        "hydra.sweeper.storage 'notadb://host/db' cannot be opened (NoSuchModuleError: Can't load plugin: "
        "sqlalchemy.dialects:notadb); give a SQLAlchemy URL such as sqlite:////abs/path/optuna.db or "
        "postgresql+psycopg://user@host/db, or leave it null for SQLite in the sweep dir",
    ),
    "judge endpoint down": Case(
        ["synth.judge={{model: judge, kind: openai, base_url: '{judge}', timeout: 5, max_retries: 0}}"],
        "{judge}/chat/completions (model 'judge') failed after 0 retries: ConnectError",
        entry="synth",
        marks=SLOW,
    ),
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_model(kind: str, directory: Path) -> Path:
    """A small local model folder: one whose chat template has no generation tags, or one that ships its own code."""
    from sft_ablate.training.schema import TinyModelConfig
    from sft_ablate.training.tiny_model import init_model, train_tokenizer

    tokenizer = train_tokenizer([m["content"] for m in GOOD["messages"]] * 4, 300)
    tokenizer.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    model = init_model(TinyModelConfig(hidden_size=16, intermediate_size=32, num_layers=1, num_heads=2), tokenizer)
    tokenizer.save_pretrained(directory)
    model.save_pretrained(directory)
    if kind == "custom_code":
        config = json.loads((directory / "config.json").read_text())
        config.update(
            model_type="sft_ablate_custom",
            auto_map={"AutoConfig": "custom.CustomConfig", "AutoModelForCausalLM": "custom.CustomModel"},
        )
        (directory / "config.json").write_text(json.dumps(config))
        marker = directory / "CODE_RAN"
        (directory / "custom.py").write_text(
            f"from pathlib import Path\nPath({str(marker)!r}).touch()\n"
            "from transformers import LlamaConfig, LlamaForCausalLM\n"
            "class CustomConfig(LlamaConfig):\n    model_type = 'sft_ablate_custom'\n"
            "class CustomModel(LlamaForCausalLM):\n    config_class = CustomConfig\n"
        )
    return directory


def run_in_process(entry: str, args: list[str], monkeypatch, capfd) -> tuple[int, str]:
    """`python -m sft_ablate ARGS` (or `python -m sft_ablate.synth`) in this process: its exit code and everything it printed."""
    if entry == "run":
        from sft_ablate.launch.app import main
    else:
        from sft_ablate.launch.app import synth_main as main
    monkeypatch.setattr(sys, "argv", [entry, *args])
    sigterm = signal.getsignal(signal.SIGTERM)  # main() makes SIGTERM an interrupt; give pytest its own back
    try:
        with pytest.raises(SystemExit) as exited:
            main()
    finally:
        signal.signal(signal.SIGTERM, sigterm)
    out, err = capfd.readouterr()
    return exited.value.code, out + err


def unwritable_dir(tmp_path: Path) -> Path:
    """A directory nobody may create files in. Root ignores file modes, so as root: sysfs, which refuses new files."""
    if os.geteuid() == 0:
        return Path("/sys/kernel")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    return locked


@pytest.mark.parametrize("name", [pytest.param(n, marks=c.marks) for n, c in CASES.items()])
def test_bad_input_gives_its_exact_message_and_leaves_nothing(name, tmp_path, cache_dir, monkeypatch, capfd):
    case = CASES[name]
    run_dir = tmp_path / "run"
    values = {
        "file": tmp_path / "human.jsonl",
        "run": run_dir,
        "cwd": Path.cwd(),
        "model": tmp_path / "model",
        "judge": f"http://127.0.0.1:{closed_port()}/v1",
    }
    if case.data is not None:
        values["file"].write_bytes(_line(GOOD) + case.data)
    if case.model:
        build_model(case.model, values["model"])
    out_dir = run_dir
    if name == "unwritable outputs dir":
        values["outparent"] = unwritable_dir(tmp_path)
        out_dir = values["outdir"] = values["outparent"] / "sft-ablate-run"
    args = [a.format(**values) for a in case.args]
    if case.entry == "synth":  # the generator answers; the judge's port is closed
        from tests.chat_server import ChatServer

        server = ChatServer().__enter__()
        generator = f"kind: openai, base_url: '{server.base_url}', concurrency: 1, timeout: 5, max_retries: 0"
        args += [
            f"synth.generators=[{{model: teacher, {generator}}}]",
            "synth.target_rows=2",
            "synth.max_rounds=1",
            "synth.prompts_per_round=1",
            "synth.tasks_per_prompt=2",
        ]
    sweep = "-m" in args
    args.append(f"hydra.{'sweep' if sweep else 'run'}.dir={out_dir}")
    try:
        code, log = run_in_process(case.entry, args, monkeypatch, capfd)
    finally:
        if case.entry == "synth":
            server.stop()

    pattern = re.escape(case.message).replace(re.escape("{free}"), "[0-9.]+")
    for key, value in values.items():
        pattern = pattern.replace(re.escape(f"{{{key}}}"), re.escape(str(value)))
    assert code == case.code, log[-3000:]
    assert re.search(pattern, log), f"expected: {case.message}\n--- got:\n{log[-3000:]}"
    # An exception that escaped would have failed run_in_process; Hydra prints one it caught with this hint.
    # (A bare "Traceback" can still appear: transformers logs one while it probes a custom-code model.)
    assert "HYDRA_FULL_ERROR" not in log
    if case.entry == "synth":  # a failed synth job keeps results.json (status failed) to resume from, never a dataset
        assert json.loads((out_dir / "results.json").read_text())["status"] == "failed"
        assert not (out_dir / "synthetic.jsonl").exists()
    else:
        assert not out_dir.exists()
    if case.model == "custom_code":
        assert not (values["model"] / "CODE_RAN").exists()  # the model's code was never imported


def test_docs_table_lists_every_case():
    page = (PROJECT_ROOT / "docs" / "fault-tolerance.md").read_text()
    section = page.split("## Bad input", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
    table = {cells[0].strip("| "): cells[1].strip(" |`") for cells in rows}
    errors = {name: case.message for name, case in CASES.items()}
    counted = {k: v for k, v in table.items() if k not in errors}
    assert set(counted) == {"unparseable judge output"}  # the one row that is not an error (see test_synth.py)
    assert {k: v for k, v in table.items() if k in errors} == errors


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], "outputs/runs"),
        (["-m", "mix=30_70,50_50"], "outputs/multirun"),
        (["hydra.run.dir=elsewhere/run_${now:%H}"], "elsewhere/run_"),
        (["-m", "hydra.sweep.dir=/tmp/x"], "/tmp/x"),
    ],
)
def test_preflight_finds_the_outputs_dir_without_resolving_hydras_interpolations(argv, expected):
    """The default run and sweep dirs hold ${now:...}, which only Hydra can resolve: the check must not try."""
    from sft_ablate.launch.preflight import outputs_root
    from sft_ablate.paths import CONF_DIR

    assert str(outputs_root(argv, CONF_DIR)).endswith(expected)
