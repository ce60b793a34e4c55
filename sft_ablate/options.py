"""One option of a config group of the main app (``model=tiny``, ``judge=llm``), composed as the app composes it.

A backend's ``model: tiny`` and the arena's ``--judge llm`` name options of the main app's groups. Reading
their YAML files by hand would skip what composition does: the option's defaults list (``tiny`` overrides
``lora`` and ``train``; a judge option starts with ``<kind>_schema``), its schema's types and unknown-key
checks. So the main config is composed with ``<group>=<name>`` and the group's node is returned, typed.

conf/config.yaml belongs to the main app: its defaults name the root schema and the sweeper that every command
stores in Hydra's ConfigStore first (``sft_ablate.launch.hydra_setup.register``, a layer above this one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sft_ablate.errors import ConfigError
from sft_ablate.paths import CONF_DIR

T = TypeVar("T")
FILE_OPTION = "_option_file"  # the name a YAML file given in place of an option is composed under


def option_names(group: str) -> list[str]:
    """The options a user can pick in a group of the main app (its YAML files; no ``*_schema`` nodes)."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def compose_option(group: str, name_or_file: str | Path, schema: type[T]) -> T:
    """The group's node when the main config is composed with ``<group>=<name>``: typed, checked, its defaults
    applied. A YAML file in place of a name is composed as if it were one of the group's options."""
    name, path = str(name_or_file), Path(name_or_file).expanduser()
    if name not in option_names(group) and not path.is_file():
        raise ConfigError(
            f"{group} {name!r} is neither an option of conf/{group} ({', '.join(option_names(group))}) nor a YAML file"
        )
    try:
        with _composing(), _as_option(group, name, path) as option:
            from hydra import compose

            # Quoted: the grammar would read a number-like name (50_50) as a number.
            node = compose(config_name="config", overrides=[f"{group}='{option}'"])[group]
        value = OmegaConf.to_object(node)
    except (HydraException, OmegaConfBaseException) as err:  # an unknown key, a wrong type, a missing value
        problem = " ".join(str(err).splitlines()[:2]).replace(f"{group}/{FILE_OPTION}", str(path))
        raise ConfigError(f"{group} {name!r}: {problem}") from err
    if not isinstance(value, schema):
        raise ConfigError(f"{group} {name!r} is not a {schema.__name__} (got {type(value).__name__})")
    return value


@contextmanager
def _as_option(group: str, name: str, path: Path) -> Iterator[str]:
    """The option's name; a file is stored as an option of the group meanwhile (then dropped: not a choice)."""
    if name in option_names(group):
        yield name
        return
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(group=group, name=FILE_OPTION, node=OmegaConf.load(path), provider="sft_ablate", replace=True)
    try:
        yield FILE_OPTION
    finally:
        store.repo[group].pop(f"{FILE_OPTION}.yaml", None)


@contextmanager
def _composing() -> Iterator[None]:
    """Hydra initialized on the main app's config dir, beside any app already running in this process (the synth
    app composes a model option mid-job): its Hydra is set aside and put back."""
    from hydra import initialize_config_dir
    from hydra.core.config_store import ConfigStore
    from hydra.core.global_hydra import GlobalHydra

    if "schema.yaml" not in ConfigStore.instance().repo:
        raise RuntimeError("compose_option before the app registered its configs: call hydra_setup.register() first")
    running = GlobalHydra.instance().hydra if GlobalHydra.instance().is_initialized() else None
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR)):
            yield
    finally:
        GlobalHydra.instance().clear()
        if running is not None:
            GlobalHydra.instance().initialize(running)
