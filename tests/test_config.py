"""Config composition and validation: every shipped option composes; bad configs fail before any loading."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException, MissingConfigException

from sft_ablate.data.schema import synthetic_fraction
from sft_ablate.errors import ConfigError, EnvironmentProblem
from sft_ablate.launch.overrides import config_groups, quote_group_values
from sft_ablate.paths import CONF_DIR
from sft_ablate.training.models import check_environment
from tests.conftest import compose_config

GROUPS = ["mix", "model", "lora", "train", "eval", "tracking", "data", "quality", "diversity", "arena", "judge"]


@pytest.mark.parametrize(
    "group,option",
    [(g, p.stem) for g in GROUPS for p in sorted((CONF_DIR / g).glob("*.yaml"))],
)
def test_every_shipped_option_composes_and_validates(group, option):
    config = compose_config([f"{group}={option}"])
    assert config.data.sources


def test_default_is_smollm2_with_lora_r8_and_offline_wandb():
    config = compose_config()
    assert (config.model.name, config.lora.name, config.mix.name) == ("smollm2_135m", "r8", "50_50")
    assert config.tracking.mode == "offline"


@pytest.mark.parametrize("mix,fraction", [("0_100", 0.0), ("30_70", 0.3), ("50_50", 0.5), ("70_30", 0.7), ("100_0", 1.0)])
def test_mix_names_mean_synthetic_then_human(mix, fraction):
    config = compose_config([f"mix={mix}"])
    assert config.mix.name == mix
    assert synthetic_fraction(config.mix, config.data.sources) == pytest.approx(fraction)


def test_model_tiny_brings_full_finetuning_unless_lora_is_given():
    assert compose_config(["model=tiny"]).lora.name == "none"
    assert compose_config(["model=tiny", "lora=r8"]).lora.name == "r8"


def test_unknown_key_is_rejected():
    with pytest.raises(ConfigCompositionException, match="Could not override 'train.lr'"):
        compose_config(["train.lr=0.1"])


def test_unknown_key_cannot_be_appended_either():
    with pytest.raises(ConfigError, match="unknown config key train.lr"):
        compose_config(["+train.lr=0.1"])


def test_unknown_source_key_is_rejected():
    with pytest.raises(ConfigError, match="unknown config key data.sources.human.paht"):
        compose_config(["+data.sources.human.paht=x.jsonl"])


def test_unknown_group_option_is_rejected():
    with pytest.raises(MissingConfigException, match="Could not find 'mix/40_60'"):
        compose_config(["mix=40_60"])


def test_ratios_must_sum_to_one():
    with pytest.raises(ConfigError, match=r"weights must sum to 1, got 1\.1"):
        compose_config(["mix.weights.synthetic=0.6"])


def test_negative_ratio_is_rejected():
    with pytest.raises(ConfigError, match="weights must be >= 0"):
        compose_config(["mix.weights.synthetic=-0.5", "mix.weights.human=1.5"])


def test_mix_naming_an_undefined_source_is_rejected():
    with pytest.raises(ConfigError, match=r"names sources \['web'\] that data.sources does not define"):
        compose_config(["+mix.weights.web=0.2", "mix.weights.human=0.3"])


def test_n_way_mixture_over_named_sources():
    config = compose_config(
        [
            "+data.sources.extra={path: /tmp/extra.jsonl, kind: human}",
            "mix.name=three_way",
            "mix.weights.synthetic=0.25",
            "mix.weights.human=0.5",
            "+mix.weights.extra=0.25",
        ]
    )
    assert config.mix.weights == {"synthetic": 0.25, "human": 0.5, "extra": 0.25}


def test_source_needs_path_or_hub_id():
    with pytest.raises(ConfigError, match="exactly one of `path` or `hf_dataset`"):
        compose_config(["data.sources.human.path=null"])


def test_wrong_type_is_rejected():
    with pytest.raises(ConfigCompositionException, match="budget"):
        compose_config(["data.budget=lots"])


def test_qlora_without_gpu_or_bitsandbytes_fails_clearly():
    config = compose_config(["lora=qlora"])
    with pytest.raises(EnvironmentProblem, match="needs a CUDA GPU .*On a CPU use lora=r8 or lora=r16"):
        check_environment(config.train, config.lora)


class TestOverrideQuoting:
    groups = config_groups()

    @pytest.mark.parametrize(
        "given,expected",
        [
            ("mix=50_50", "mix='50_50'"),
            ("mix=30_70,50_50", "mix='30_70','50_50'"),
            ("mix=choice(30_70,50_50)", "mix=choice('30_70','50_50')"),
            ("mix='50_50'", "mix='50_50'"),
            ("+mix=50_50", "+mix='50_50'"),
            ("seed=1_000", "seed=1_000"),  # not a config group: Hydra's number reading is right there
            ("data.budget=100", "data.budget=100"),
            ("hydra.run.dir=out/50_50", "hydra.run.dir=out/50_50"),
        ],
    )
    def test_quoting(self, given, expected):
        assert quote_group_values([given], self.groups) == [expected]

    def test_groups_come_from_conf_and_sweeps(self):
        assert {"mix", "model", "lora", "train", "eval", "tracking", "data", "sweep"} <= self.groups


def test_cpu_batches_are_length_grouped_and_gpu_batches_packed():
    from sft_ablate.training.trainer import sft_config

    cpu = compose_config([]).train
    assert cpu.group_by_length and not cpu.packing
    gpu = compose_config(["train=gpu"]).train
    assert gpu.packing and not gpu.group_by_length
    assert sft_config(compose_config([]).train, 0, Path("/tmp/x"), "cpu").train_sampling_strategy == "group_by_length"
    with pytest.raises(ConfigError, match="exclude each other"):
        compose_config(["train.packing=true"])


def test_threads_default_to_the_cores_idle_now(monkeypatch):
    from sft_ablate.training import cores, trainer

    monkeypatch.setattr(cores.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(cores, "cpu_quota", lambda: None)
    for busy, expected in ((0.1, 2), (0.6, 1), (1.2, 1), (7.0, 1), (float("nan"), 2)):
        monkeypatch.setattr(cores, "busy_cores", lambda busy=busy: busy)
        assert trainer.torch_threads(None) == expected, busy
    assert trainer.torch_threads(3) == 3  # asked for: as asked
    monkeypatch.setattr(cores, "busy_cores", lambda: 0.0)
    monkeypatch.setattr(cores, "cpu_quota", lambda: 1.0)  # a container or SLURM job allowed one core of two
    assert trainer.torch_threads(None) == 1


def test_cpu_quota_reads_cgroup_v2_and_v1(tmp_path):
    from sft_ablate.training.cores import cpu_quota

    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cpu_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cpu_quota(tmp_path) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cpu_quota(v1) == 2.0


def test_a_busy_core_is_seen_now():
    """A process spinning on one core shows in the sample at once (the load average takes a minute)."""
    import subprocess
    import sys

    from sft_ablate.training.cores import busy_cores

    spinner = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 3: pass"])
    try:
        time.sleep(0.3)
        assert busy_cores(0.5) >= 0.8
    finally:
        spinner.wait()


def test_the_docs_group_table_lists_every_shipped_option():
    """docs/configs.md's table of groups and options, kept equal to conf/ (it went stale once)."""
    import re

    from sft_ablate.paths import PROJECT_ROOT

    page = (PROJECT_ROOT / "docs" / "configs.md").read_text()
    section = page.split("## The config groups", 1)[1].split("\n## ", 1)[0]
    documented = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) >= 2:
            group = cells[0].strip("`")
            documented[group] = set(re.findall(r"`([^`]+)`", cells[1].split(" (the files")[0]))
    for group in [*GROUPS, "sweep"]:
        shipped = {p.stem for p in (CONF_DIR / group).glob("*.yaml")}
        assert documented.get(group) == shipped, f"docs/configs.md lists {documented.get(group)} for {group}, conf/ has {shipped}"
