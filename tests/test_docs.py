"""The docs run as written: every shell block of README.md and docs/*.md, each in a scratch dir.

A block runs as one bash script (`set -eo pipefail`) in a fresh dir that links the checkout's top-level files and
holds the reader's own files the docs name (my_human.jsonl, my_extra.jsonl, my_evals/legal.yaml: work_dir). The commands are
not edited: a `python` first on PATH adds small settings (SMALL) to each `python -m sft_ablate` and `.data_report`
command, for the keys the command does not set itself, so a block that trains the default model on the default
budget trains the tiny one for two steps. Markers, on the lines right above a block's fence:

    <!-- docs-test: skip REASON -->      needs a GPU, a cluster or the network: skipped, with that reason
    <!-- docs-test: slow -->             long: only in `make test` (every block that trains is slow anyway)
    <!-- docs-test: setup COMMAND -->    run COMMAND first (the runs a report block reads)
    <!-- docs-test: fails -->            each command followed by a `# message` line fails with that message

Pages other helpers own carry no markers; theirs are in EXTERNAL_MARKS. `python -m pytest tests/test_docs.py -s -k
counts` prints how many blocks run and how many are skipped, and why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sft_ablate.paths import PROJECT_ROOT, SAMPLE_DATA_DIR

PAGES = ["README.md", *sorted(p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "docs").glob("*.md"))]
SHELL = {"bash", "sh", "shell", "console"}
EXTERNAL_PAGES = {"docs/arena.md", "docs/statistics.md"}  # owned elsewhere: untagged blocks allowed, read by content
COMMAND = re.compile(r"^(\$ )?(python3?|make|pip|sbatch|bash|export|printf|mkdir|cat|grep|for|sft-ablate)\b")
MARK = re.compile(r"^<!-- docs-test: (skip|slow|setup|fails)\b\s*(.*?)\s*-->$")

# Blocks of pages owned elsewhere (docs/arena.md), keyed by page and the start of the block's first line.
EXTERNAL_MARKS: dict[tuple[str, str], dict[str, str]] = {
    ("docs/arena.md", "python -m sft_ablate -m mix=30_70,70_30"): {
        "skip": "placeholders (<sweep>) and an OpenAI-compatible judge server on 127.0.0.1:8000"
    },
    ("docs/arena.md", "python -m sft_ablate.data_fetch gsm8k"): {"slow": ""},
}

# Added to `python -m sft_ablate` / `.data_report` commands, key by key, where the command does not set the key.
SMALL = [
    "model=tiny", "tracking=none", "data.budget=16", "data.eval_per_source=4", "train.max_steps=2", "eval.num_generations=1",
    "eval.max_samples=8", "arena.max_prompts=2", "arena.seeds=[0]",
]  # fmt: skip
# The offline default (SmolLM2 writes and judges), stopped at 2 rows (8 took ~11 min on 2 busy cores): synth=tiny's
# noise is rejected, no rows.
SMALL_SYNTH = ["synth.target_rows=2"]
APPS = {"sft_ablate": SMALL, "sft_ablate.data_report": SMALL, "sft_ablate.synth": SMALL_SYNTH}
FAST_FLAGS = ("--help", "--cfg")  # commands that compose and print, in seconds

LEGAL_YAML = 'kind: multiple_choice\npath: legal.jsonl\nprompt: "Question: {query}\\nAnswer:"\n'


@dataclass
class Block:
    page: str
    line: int  # of the opening fence
    code: str
    marks: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def commands(self) -> list[str]:
        return [line for line in self.code.splitlines() if line.strip() and not line.lstrip().startswith("#")]

    @property
    def slow(self) -> bool:
        """Marked so, or more than quick checks: a block whose commands only print (--help, --cfg), or a `fails`
        block without setup (checks that fail in seconds), is fast; anything that trains or reports is slow."""
        if "slow" in self.marks or "setup" in self.marks:
            return True
        if "fails" in self.marks:
            return False
        return not all(any(flag in c for flag in FAST_FLAGS) for c in self.commands)


def fences(page: str) -> list[tuple[int, str, str, list[str]]]:
    """(line, language, code, the comment lines right above) of every fenced block of a page."""
    lines = (PROJECT_ROOT / page).read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        opening = re.match(r"^```(\S*)\s*$", lines[i])
        if opening:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            above, k = [], i - 1
            while k >= 0 and lines[k].startswith("<!--"):
                above.insert(0, lines[k])
                k -= 1
            found.append((i + 1, opening.group(1), "\n".join(lines[i + 1 : end]), above))
            i = end
        i += 1
    return found


def shell_blocks() -> list[Block]:
    blocks = []
    for page in PAGES:
        for line, language, code, above in fences(page):
            untagged_commands = not language and any(COMMAND.match(c.strip()) for c in code.splitlines())
            if language not in SHELL and not untagged_commands:
                continue
            marks = {}
            for comment in above:
                m = MARK.match(comment)
                if m:
                    marks[m.group(1)] = m.group(2)
            for (where, start), external in EXTERNAL_MARKS.items():
                if where == page and code.startswith(start):
                    marks.update(external)
            blocks.append(Block(page, line, code, marks))
    return blocks


BLOCKS = shell_blocks()


def params() -> list:
    out = []
    for block in BLOCKS:
        marks = []
        if "skip" in block.marks:
            marks.append(pytest.mark.skip(reason=block.marks["skip"]))
        elif block.slow:
            marks.append(pytest.mark.slow)
        out.append(pytest.param(block, id=block.id, marks=marks))
    return out


# ---------------------------------------------------------------- what the blocks are


def test_every_block_says_what_it_is():
    """A fence without a language would be neither run nor skipped: shell blocks say bash, output says text."""
    pages = [p for p in PAGES if p not in EXTERNAL_PAGES]  # theirs: an untagged block of commands is still run
    untagged = [f"{page}:{line}" for page in pages for line, language, _, _ in fences(page) if not language]
    assert untagged == []


def test_every_marker_is_known_and_every_skip_has_a_reason():
    for page in PAGES:
        for line, language, _, above in fences(page):
            for comment in above:
                if comment.startswith("<!-- docs-test"):
                    assert MARK.match(comment), f"{page}:{line}: unknown marker {comment!r}"
            if any(c.startswith("<!-- docs-test") for c in above):
                assert language in SHELL, f"{page}:{line}: a marker on a {language or 'plain'} block"
    assert all(b.marks["skip"] for b in BLOCKS if "skip" in b.marks)


def test_external_marks_still_match_their_blocks():
    matched = {(b.page, start) for b in BLOCKS for (page, start) in EXTERNAL_MARKS if b.page == page and b.code.startswith(start)}
    assert matched == set(EXTERNAL_MARKS)


def test_counts():
    """The tally the closing note reports: blocks run (fast and slow), and skipped by reason."""
    skipped = Counter(b.marks["skip"] for b in BLOCKS if "skip" in b.marks)
    ran = [b for b in BLOCKS if "skip" not in b.marks]
    print(f"\n{len(BLOCKS)} shell blocks: {len(ran)} run ({sum(not b.slow for b in ran)} fast, "
          f"{sum(b.slow for b in ran)} slow), {sum(skipped.values())} skipped")  # fmt: skip
    for reason, n in skipped.most_common():
        print(f"  skipped {n}: {reason}")
    assert len(ran) > sum(skipped.values())
    # A block is skipped only for what CI cannot give it, said in its reason.
    allowed = ("network", "cluster", "GPU", "benchmark", "installs", "placeholders", "../shared", ".venv")
    assert [r for r in skipped if not any(word in r for word in allowed)] == []


# ---------------------------------------------------------------- running them


def shim_dir(root: Path) -> Path:
    """`python` on PATH: the test's interpreter, with SMALL added to our app commands (keys the command leaves unset)."""
    shim = root / "bin"
    shim.mkdir(exist_ok=True)
    script = f"""#!{sys.executable}
import os, sys
args = sys.argv[1:]
small = {APPS!r}
if len(args) >= 2 and args[0] == "-m" and args[1] in small and not {{"--help", "-h", "--cfg", "--info"}} & set(args):
    given = [a.lstrip("+~").split("=", 1)[0] for a in args[2:] if "=" in a]
    def taken(key):
        return any(g == key or g.startswith((key + ".", key + "/")) for g in given)
    extra = [o for o in small[args[1]] if not taken(o.split("=", 1)[0])]
    # Hydra reads overrides anywhere; data_report's argparse wants its positionals before --out.
    args = args + extra if args[1] != "sft_ablate.data_report" else [*args[:2], *extra, *args[2:]]
os.execv(sys.executable, [sys.executable, *args])
"""
    for name in ("python", "python3"):
        (shim / name).write_text(script)
        (shim / name).chmod((shim / name).stat().st_mode | stat.S_IEXEC)
    return shim


def work_dir(root: Path) -> Path:
    """The checkout's top level, linked, without outputs/; and the reader's own files the docs name."""
    work = root / "work"
    work.mkdir()
    for entry in PROJECT_ROOT.iterdir():
        if entry.name not in ("outputs", "sft_ablate") and not entry.name.startswith((".", "my_")):
            (work / entry.name).symlink_to(entry)
    # The package comes from PYTHONPATH; the files the docs name inside it are copies, since a relative path must
    # stay inside the directory a run starts in (a link would lead out of it).
    shutil.copytree(SAMPLE_DATA_DIR, work / "sft_ablate" / "sample_data")
    for mine, sample in {
        "my_human.jsonl": "human.jsonl",
        "my_synth.jsonl": "synthetic.jsonl",
        "my_data.jsonl": "human.jsonl",
    }.items():
        shutil.copy(SAMPLE_DATA_DIR / sample, work / mine)
    extra = [{"messages": [{"role": "user", "content": f"What is {a} times {b}?"},
                           {"role": "assistant", "content": f"{a} times {b} is {a * b}."}]}
             for a in range(3, 13) for b in range(a + 5, a + 13)]  # fmt: skip
    (work / "my_extra.jsonl").write_text("".join(json.dumps(row) + "\n" for row in extra))
    (work / "my_evals").mkdir()
    (work / "my_evals" / "legal.yaml").write_text(LEGAL_YAML)
    rows = (SAMPLE_DATA_DIR / "eval_mc.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[:12]
    (work / "my_evals" / "legal.jsonl").write_text("".join(rows))
    return work


def bash(script: str, cwd: Path, env: dict[str, str], timeout: int = 3600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def expected_failures(block: Block) -> list[tuple[str, str | None]]:
    """(command, the message it must print, or None: must succeed) for a `fails` block."""
    lines = [line for line in block.code.splitlines() if line.strip()]
    out = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        after = lines[i + 1].strip() if i + 1 < len(lines) else ""
        message = after[1:].strip().split("...")[0].strip() if after.startswith("#") else None
        out.append((line, message))
    return out


# Blocks that read the public sets from the data dir: skipped where the tests' copy is absent, failed under CI=true.
PUBLIC_DATA = {
    "arc_easy": "benchmarks/arc_easy.jsonl",
    "gsm8k": "benchmarks/gsm8k_test.jsonl",
    "mt_bench": "arena/mt_bench_question.jsonl",
}


@pytest.mark.parametrize("block", params())
def test_block_runs_as_written(block: Block, tmp_path, cache_dir):
    from tests.conftest import shared_file

    for name, relative in PUBLIC_DATA.items():
        if name in block.code + block.marks.get("setup", ""):
            shared_file(relative)
    work = work_dir(tmp_path)
    env = {**os.environ, "PATH": f"{shim_dir(tmp_path)}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(PROJECT_ROOT),
           "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}  # fmt: skip
    if "setup" in block.marks:
        setup = bash(block.marks["setup"], work, env)
        assert setup.returncode == 0, f"setup of {block.id} failed:\n{(setup.stdout + setup.stderr)[-4000:]}"
    if "fails" in block.marks:
        for command, message in expected_failures(block):
            proc = bash(command, work, env)
            output = proc.stdout + proc.stderr
            if message is None:
                assert proc.returncode == 0, f"{block.id}: {command}\n{output[-4000:]}"
            else:
                assert proc.returncode != 0 and message in output, f"{block.id}: {command}\nwanted {message!r}\n{output[-4000:]}"
        return
    proc = bash("set -eo pipefail\n" + block.code, work, env)
    assert proc.returncode == 0, (
        f"{block.id} failed ({proc.returncode}):\n{block.code}\n---\n{(proc.stdout + proc.stderr)[-6000:]}"
    )


def test_the_optuna_table_gives_the_sweepers_defaults_and_optuna_mixs_values():
    """docs/studies-and-optuna.md once gave optuna_mix's values as the sweeper's defaults."""
    from omegaconf import OmegaConf

    from sft_ablate.launch.optuna_sweeper import OptunaSweeperConf

    text = (PROJECT_ROOT / "docs" / "studies-and-optuna.md").read_text(encoding="utf-8")
    lines = [line.strip().strip("|") for line in text.splitlines() if line.startswith("| `")]
    rows = {cells[0]: cells[1:3] for cells in ([c.strip() for c in line.split(" | ")] for line in lines)}
    ours, study = OptunaSweeperConf(), OmegaConf.load(PROJECT_ROOT / "sweeps" / "optuna_mix.yaml").hydra.sweeper
    assert rows["`n_trials`"] == [str(ours.n_trials), str(study.n_trials)]
    sampler = "`{}`, {}, {}"
    assert rows["`sampler.name`, `sampler.seed`, `sampler.n_startup_trials`"] == [
        sampler.format(ours.sampler.name, ours.sampler.seed, ours.sampler.n_startup_trials),
        sampler.format(study.sampler.name, study.sampler.seed, study.sampler.n_startup_trials),
    ]
    assert rows["`pruner.name`, `pruner.n_startup_trials`, `pruner.n_warmup_steps`"] == [
        sampler.format(ours.pruner.name, ours.pruner.n_startup_trials, ours.pruner.n_warmup_steps),
        sampler.format(study.pruner.name, study.pruner.n_startup_trials, study.pruner.n_warmup_steps),
    ]
    assert rows["`objective`, `direction`"][0] == f"`{ours.objective}`, `{ours.direction}`"
    assert (study.objective, study.direction) == (ours.objective, ours.direction)  # the table says "the same"
    assert (
        rows["`heartbeat_interval`, `grace_period`, `max_retry`"][0]
        == f"{ours.heartbeat_interval}, {ours.grace_period}, {ours.max_retry}"
    )


def test_the_hub_dataset_override_in_configs_md_composes_as_written():
    """`data.sources.human.hf_dataset=ORG/NAME` once failed with "Key 'hf_dataset' is not in struct"."""
    from tests.conftest import compose_config

    text = (PROJECT_ROOT / "docs" / "configs.md").read_text(encoding="utf-8")
    written = re.search(r"\*\*A hub dataset:\*\* `([^`]+)`", text.replace("\n  ", " ")).group(1).split()
    source = compose_config(written).data.sources["human"]
    assert (source.path, source.hf_dataset, source.split) == (None, "ORG/NAME", "train")
