"""What Hydra must know before it composes: our schema, resolvers and sweepers; and composing without an app."""

from __future__ import annotations

from hydra.core.config_store import ConfigStore
from hydra.core.plugins import Plugins
from omegaconf import OmegaConf

from sft_ablate.data.schema import complement, mix_name
from sft_ablate.paths import CONF_DIR, dataset_path, sample_data_path


def register() -> None:
    from sft_ablate.config import register_schema
    from sft_ablate.registry import load_plugins

    load_plugins()  # a user's judges, filters and metrics register themselves before the schema is built
    from sft_ablate.launch.grid_sweeper import GridSweeper, GridSweeperConf
    from sft_ablate.launch.optuna_sweeper import OptunaSweeper, OptunaSweeperConf

    register_schema()
    OmegaConf.register_resolver("sample_data", sample_data_path, replace=True)
    OmegaConf.register_resolver("dataset", dataset_path, replace=True)  # public eval data by hub id (paths.data_dir)
    OmegaConf.register_resolver("group_options", group_options, replace=True)
    OmegaConf.register_resolver("mix_name", mix_name, replace=True)  # conf/mix/custom.yaml
    OmegaConf.register_resolver("complement", complement, replace=True)
    store = ConfigStore.instance()
    Plugins.instance().register(GridSweeper)
    store.store(
        group="hydra/sweeper",
        name="grid",
        node=GridSweeperConf,  # typed: hydra.sweeper.seeds=adaptive, max_seeds, ... (grid_sweeper.py)
        provider="sft_ablate",
        replace=True,
    )
    Plugins.instance().register(OptunaSweeper)
    store.store(group="hydra/sweeper", name="optuna", node=OptunaSweeperConf, provider="sft_ablate", replace=True)


def group_options() -> str:
    """--help's config groups and their options, like Hydra's $APP_CONFIG_GROUPS but without the schema nodes
    (judge/llm_schema, quality/schema) that type an option: those are not choices."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.object_type import ObjectType

    loader = GlobalHydra.instance().config_loader()

    def groups(parent: str) -> list[str]:
        found = []
        for name in loader.list_groups(parent):
            group = f"{parent}/{name}" if parent else name
            if group != "hydra":
                found += [group] * bool(loader.get_group_options(group, ObjectType.CONFIG)) + groups(group)
        return found

    lines = []
    for group in sorted(groups("")):
        options = [o for o in sorted(loader.get_group_options(group)) if not o.endswith("schema")]
        if options:  # the synth app sees the main app's schema nodes too, and none of its options
            lines.append(f"{group}: {', '.join(options)}")
    return "\n".join(lines)


def compose_config(overrides: list[str]):
    """The validated config for these overrides, composed as the CLI would (for tools that do not train)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sft_ablate.config import to_config
    from sft_ablate.launch.overrides import config_groups, quote_group_values

    register()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR)):
        return to_config(compose(config_name="config", overrides=quote_group_values(overrides, config_groups())))
