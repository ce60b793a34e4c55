"""The grid sweeper of `python -m sft_ablate -m mix=30_70,50_50 seed=0,1`: Hydra's basic sweeper, quoting
number-like config-group values (see overrides.py) in each job it expands."""

from __future__ import annotations

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.types import Override

from sft_ablate.launch.overrides import config_groups, quote_group_values


class GridSweeper(BasicSweeper):
    """Hydra's basic sweeper, with config-group values quoted before each parse (see module docstring)."""

    def _parse_config(self) -> list[str]:
        return quote_group_values(super()._parse_config(), config_groups())

    @staticmethod
    def split_arguments(overrides: list[Override], max_batch_size: int | None) -> list[list[list[str]]]:
        groups = config_groups()
        batches = BasicSweeper.split_arguments(overrides, max_batch_size)
        return [[quote_group_values(job, groups) for job in batch] for batch in batches]
