"""`--help` of the Hydra apps: what the command does, where to start, the other commands, the groups that exist."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from tests.conftest import PROJECT_ROOT


def help_of(module: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr[-2000:]
    return proc.stdout


def test_main_help_describes_the_command_its_first_steps_and_only_its_own_groups():
    text = help_of("sft_ablate")
    assert text.startswith("python -m sft_ablate [-m]") and "Find out which SFT data works" in text
    head = "\n".join(text.splitlines()[:20])  # what `--help | head -20` shows
    assert "Start with:" in head and "python -m sft_ablate model=tiny mix=50_50" in head
    # the report line points where the study line's runs land (the sweep's own dir, not Hydra's multirun default)
    sweep = yaml.safe_load((PROJECT_ROOT / "conf" / "sweep" / "mix_ratio.yaml").read_text())
    sweep_dir = sweep["hydra"]["sweep"]["dir"].replace("${study}", sweep["study"]).replace("${model.name}", "tiny")
    assert f"python -m sft_ablate.report {sweep_dir} " in head
    for command in ("sft_ablate.synth", "sft_ablate.data_report", "sft_ablate.arena", "sft_ablate.report"):
        assert f"python -m {command} " in head
    groups = {line.split(":")[0] for line in text.splitlines() if line and ": " in line and line[0].isalpha()}
    assert {"mix", "model", "lora", "sweep", "tracking"} <= groups and not {"benchmarks", "synth"} & groups
    assert "Powered by Hydra" not in text and "seed_file" not in text  # no generic page, no config dump


def test_synth_help_lists_only_the_synth_group():
    text = help_of("sft_ablate.synth")
    assert text.startswith("python -m sft_ablate.synth") and "python -m sft_ablate.synth synth=tiny" in text
    assert "synth: default, openai, tiny" in text and "\nlora:" not in text and "\nmix:" not in text
