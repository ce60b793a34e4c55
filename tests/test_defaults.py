"""One source of defaults: every value a shipped default option sets is the schema's default too, or the schema
has none (MISSING). A user's own option (my_conf/data/x.yaml) then starts from what the shipped one says, not
from a second, silently different set of values (data.budget was 400 in the schema, 128 in the YAML)."""

from __future__ import annotations

from typing import Any

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from sft_ablate.paths import SYNTH_CONF_DIR
from tests.conftest import compose_cfg

# Set by an option because they describe that option, not a default a new option would inherit. Each says why.
OPTION_IDENTITY = {
    "model.gguf_package": "only a GGUF model has it; None: not a GGUF model",
    "model.gguf_file": "only a GGUF model has it; None: not a GGUF model",
    "model.gguf_requirement": "only a GGUF model has it; None: not a GGUF model",
    "judge.backend": "None is no default: the llm judge refuses it (LlmJudgeConfig.__post_init__)",
}


def disagreements(node: DictConfig, schema: DictConfig, prefix: str) -> list[str]:
    """`path: yaml=... schema=...` for each key the composed option sets that the schema defaults differently."""
    found = []
    for key in node.keys():
        path = f"{prefix}{key}"
        if key not in schema or OmegaConf.is_missing(schema, key):  # `in` is False for a MISSING value too
            continue
        value, default = node._get_node(key), schema._get_node(key)
        typed = isinstance(value, DictConfig) and isinstance(default, DictConfig) and not default._is_none()
        typed = typed and OmegaConf.get_type(value) is not dict
        if typed and not OmegaConf.is_interpolation(node, key):
            found += disagreements(value, default, path + ".")
            continue
        ours, theirs = _plain(node, key), _plain(schema, key)
        if ours != theirs and path not in OPTION_IDENTITY:
            found.append(f"{path}: yaml={ours!r} schema={theirs!r}")
    return found


def _plain(node: DictConfig, key: str) -> Any:
    return OmegaConf.to_container(node, resolve=False)[key]


def group_disagreements(cfg: DictConfig) -> list[str]:
    found = []
    for key in cfg.keys():
        node = cfg._get_node(key)
        if isinstance(node, DictConfig) and not OmegaConf.is_missing(cfg, key):
            found += disagreements(node, OmegaConf.structured(OmegaConf.get_type(node)), f"{key}.")
    return found


@pytest.mark.parametrize("overrides", [[], ["judge=llm"]], ids=["default", "judge=llm"])
def test_the_main_apps_default_options_agree_with_their_schemas(overrides):
    assert group_disagreements(compose_cfg(overrides)) == []


def test_the_synth_apps_default_options_agree_with_their_schemas():
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(SYNTH_CONF_DIR)):
        cfg = compose(config_name="config")
    assert group_disagreements(cfg) == []


def test_the_check_finds_a_disagreement():
    """The test above can fail: a value the YAML sets unlike the schema is reported with both values."""
    cfg = compose_cfg(["data.budget=400", "train.learning_rate=0.01"])
    found = group_disagreements(cfg)
    assert "data.budget: yaml=400 schema=128" in found
    assert any(f.startswith("train.learning_rate: yaml=0.01") for f in found)
