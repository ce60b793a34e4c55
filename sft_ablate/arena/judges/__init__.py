"""Arena judges: who wins one battle. ``base.py`` has what they share and the registry; every other module of
this package is one judge (``reference.py``, ``llm.py``), imported here so that it registers itself: a new
judge is a module dropped beside them (or, outside the package, one named in ``SFT_ABLATE_PLUGINS``) and a
``conf/judge/<name>.yaml`` that starts with ``defaults: [<name>_schema, _self_]``.
"""

from __future__ import annotations

import importlib
import pkgutil

from sft_ablate.arena.judges.base import (
    JUDGES,
    VERDICTS,
    Judge,
    JudgeConfig,
    Judgment,
    Matchup,
    OnJudgment,
    judge_from_store,
    judge_hash,
    judge_schema,
    make_judge,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "JUDGES",
    "VERDICTS",
    "Judge",
    "JudgeConfig",
    "Judgment",
    "Matchup",
    "OnJudgment",
    "judge_from_store",
    "judge_hash",
    "judge_schema",
    "make_judge",
]
