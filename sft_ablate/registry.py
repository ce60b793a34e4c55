"""One registry per pluggable family (judges, quality filters, generation backends): where each is extended.

An implementation declares itself where it lives, with its typed config dataclass beside it:

    @JUDGES.register("reference", ReferenceJudgeConfig)
    class ReferenceJudge: ...

A family whose configs are a Hydra group (``judge``) also stores the config as that group's option
``<name>_schema``, so a YAML option starts with ``defaults: [<name>_schema, _self_]`` and an unknown key or a
wrong type fails at composition, as for every built-in option. Modules outside the package (a user's own
judge or filter) are imported before composition when ``SFT_ABLATE_PLUGINS`` names them.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hydra.core.config_store import ConfigStore

from sft_ablate.errors import ConfigError

T = TypeVar("T")
PLUGINS_ENV = "SFT_ABLATE_PLUGINS"  # comma-separated module names, imported before the config is composed


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    make: T  # the class or function that implements it
    config: type | None  # its config dataclass, if it has one


class Registry(Generic[T]):
    """Named implementations of one family; ``group`` is the Hydra config group their configs are options of."""

    def __init__(self, family: str, group: str | None = None) -> None:
        self.family, self.group = family, group
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str, config: type | None = None) -> Callable[[T], T]:
        def add(make: T) -> T:
            old = self._entries.get(name)
            if old is not None and _qualname(old.make) != _qualname(make):  # a module reload re-registers itself
                raise ConfigError(f"{self.family} {name!r} is registered twice: {_qualname(old.make)}, {_qualname(make)}")
            self._entries[name] = Entry(name, make, config)
            if self.group and config is not None:
                ConfigStore.instance().store(group=self.group, name=f"{name}_schema", node=config, provider="sft_ablate")
            return make

        return add

    def get(self, name: str) -> Entry[T]:
        if name not in self._entries:
            raise ConfigError(f"unknown {self.family} {name!r} (registered: {', '.join(self.names())})")
        return self._entries[name]

    def names(self) -> list[str]:
        return list(self._entries)

    def name_of(self, config: Any) -> str:
        """The registered name whose config class is exactly ``type(config)``."""
        for entry in self._entries.values():
            if entry.config is type(config):
                return entry.name
        raise ConfigError(f"{type(config).__name__} is not the config of any registered {self.family}")


def _qualname(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def load_plugins() -> list[str]:
    """Import the modules that SFT_ABLATE_PLUGINS names, so their registrations exist before composition."""
    names = [n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",") if n.strip()]
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as err:
            raise ConfigError(f"{PLUGINS_ENV} names module {name!r}, which cannot be imported: {err}") from err
    return names
