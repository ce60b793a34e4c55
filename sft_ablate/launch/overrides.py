"""Override quoting: the `mix=50_50` fix, on the command line and inside sweeps (grid_sweeper.py, optuna_sweeper.py).

Hydra's override grammar reads `50_50` as the integer 5050 (Python-style digit grouping), so
`mix=50_50` fails with "Config group override must be a string". We quote number-like values of
config-group overrides before Hydra parses them: on the command line, in a sweep config's
`hydra.sweeper.params`, and in the per-job overrides a sweep expands (choice() and glob() write
their strings back unquoted).
"""

from __future__ import annotations

import re

from sft_ablate.paths import CONF_DIR

_OVERRIDE = re.compile(r"^(?P<prefix>~|\+\+|\+)?(?P<key>[\w/.\-]+)(?P<package>@[\w.:\-]*)?=(?P<value>.*)$", re.S)
# A bare 30_70 (not already inside quotes, not part of a longer word or a float).
_NUMBER_LIKE = re.compile(r"(?<![\w.'\"])(\d+(?:_\d+)+)(?![\w.'\"])")


def config_groups() -> set[str]:
    """The main app's config groups (a user's --config-dir adds options to these, not new groups we quote)."""
    return {p.relative_to(CONF_DIR).as_posix() for p in CONF_DIR.rglob("*") if p.is_dir()}


def quote_group_values(overrides: list[str], groups: set[str]) -> list[str]:
    """`mix=50_50` -> `mix='50_50'`, also inside sweeps: `mix=30_70,50_50`, `mix=choice(30_70,50_50)`."""
    quoted = []
    for override in overrides:
        match = _OVERRIDE.match(override)
        if match and match["key"] in groups:
            override = override[: match.start("value")] + _NUMBER_LIKE.sub(r"'\1'", match["value"])
        quoted.append(override)
    return quoted
