"""Command-line plumbing around Hydra: the `mix=50_50` fix, the sweeps/ group and our grid sweeper.

Hydra's override grammar reads `50_50` as the integer 5050 (Python-style digit grouping), so
`mix=50_50` fails with "Config group override must be a string". We quote number-like values of
config-group overrides before Hydra parses them: on the command line, in a sweep config's
`hydra.sweeper.params`, and in the per-job overrides a sweep expands (choice() and glob() write
their strings back unquoted).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.types import Override
from hydra.core.plugins import Plugins
from omegaconf import OmegaConf

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = PROJECT_ROOT / "conf"
SWEEPS_DIR = PROJECT_ROOT / "sweeps"
SAMPLE_DATA_DIR = Path(__file__).resolve().parent / "sample_data"

_OVERRIDE = re.compile(r"^(?P<prefix>~|\+\+|\+)?(?P<key>[\w/.\-]+)(?P<package>@[\w.:\-]*)?=(?P<value>.*)$", re.S)
# A bare 30_70 (not already inside quotes, not part of a longer word or a float).
_NUMBER_LIKE = re.compile(r"(?<![\w.'\"])(\d+(?:_\d+)+)(?![\w.'\"])")


def config_groups() -> set[str]:
    groups = {p.relative_to(CONF_DIR).as_posix() for p in CONF_DIR.rglob("*") if p.is_dir()}
    return groups | {"sweep"}


def quote_group_values(overrides: list[str], groups: set[str]) -> list[str]:
    """`mix=50_50` -> `mix='50_50'`, also inside sweeps: `mix=30_70,50_50`, `mix=choice(30_70,50_50)`."""
    quoted = []
    for override in overrides:
        match = _OVERRIDE.match(override)
        if match and match["key"] in groups:
            override = override[: match.start("value")] + _NUMBER_LIKE.sub(r"'\1'", match["value"])
        quoted.append(override)
    return quoted


class GridSweeper(BasicSweeper):
    """Hydra's basic sweeper, with config-group values quoted before each parse (see module docstring)."""

    def _parse_config(self) -> list[str]:
        return quote_group_values(super()._parse_config(), config_groups())

    @staticmethod
    def split_arguments(overrides: list[Override], max_batch_size: int | None) -> list[list[list[str]]]:
        groups = config_groups()
        batches = BasicSweeper.split_arguments(overrides, max_batch_size)
        return [[quote_group_values(job, groups) for job in batch] for batch in batches]


def register() -> None:
    """Everything Hydra must know before it composes: schema, resolvers, sweeps/ and our sweeper."""
    from sft_ablate.config import register_schema
    from sft_ablate.optuna_sweeper import OptunaSweeper, OptunaSweeperConf

    register_schema()
    OmegaConf.register_resolver("sample_data", sample_data_path, replace=True)
    OmegaConf.register_resolver("shared_data", shared_data_path, replace=True)
    store = ConfigStore.instance()
    for path in sorted(SWEEPS_DIR.glob("*.yaml")):
        store.store(group="sweep", name=path.stem, node=OmegaConf.load(path), package=_package_header(path), replace=True)
    Plugins.instance().register(GridSweeper)
    store.store(
        group="hydra/sweeper",
        name="grid",
        node={"_target_": "sft_ablate.cli.GridSweeper", "max_batch_size": None, "params": None},
        provider="sft_ablate",
        replace=True,
    )
    Plugins.instance().register(OptunaSweeper)
    store.store(group="hydra/sweeper", name="optuna", node=OptunaSweeperConf, provider="sft_ablate", replace=True)


def sample_data_path(name: str) -> str:
    """Data bundled with the package (sft_ablate/sample_data)."""
    return str(SAMPLE_DATA_DIR / name)


def shared_data_path(name: str) -> str:
    """Public data beside the checkout (../shared/data), or where SFT_ABLATE_SHARED_DATA points."""
    root = os.environ.get("SFT_ABLATE_SHARED_DATA", str(PROJECT_ROOT.parent / "shared" / "data"))
    return str(Path(root) / name)


def _package_header(path: Path) -> str:
    """Sweeps change the whole config, so they default to `_global_`, as `# @package` would say."""
    for line in path.read_text().splitlines()[:5]:
        if line.startswith("# @package"):
            return line.split("# @package", 1)[1].strip()
    return "_global_"


def compose_config(overrides: list[str]):
    """The validated config for these overrides, composed as the CLI would (for tools that do not train)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sft_ablate.config import to_config

    register()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF_DIR)):
        return to_config(compose(config_name="config", overrides=quote_group_values(overrides, config_groups())))
