"""The one patch we apply to lighteval 0.13, the lookup it needs, and a guard for a side effect.

lighteval's `Registry` imports *every* built-in task module before it looks up a single task
(`Registry.load_all_task_configs`), and some of those modules do work at import time:
- `tiny_benchmarks` downloads a pickle from GitHub (an HTTP request that hangs or fails offline);
- `mt_bench` and `mix_eval` ask the hub for a judge model and, with huggingface_hub >= 1.0, raise
  TypeError (`list_models(model_name=...)`).
So with lighteval 0.13 no task at all can be loaded here, hub-reachable or not. No option of lighteval
turns this off, and no version pin fixes it (0.13 is the first release that installs beside our Hydra).

The patch, for the duration of one `Pipeline(...)` call only: the registry loads the task modules we
name (found without importing the others, by `find_builtin_task`) and our custom-task module, and
nothing else. Everything after the registry (datasets, prompts, metrics, the model) is lighteval's own.
tests/test_lighteval_compat.py fails when an upgrade makes the patch unnecessary or wrong.

lighteval also switches autograd off process-wide, when its transformers model module is imported and
in `TransformersModel.from_model`; `keep_grad_mode` gives the caller its mode back, so that training
after a base-model benchmark still computes gradients.

The other two offline traps need no patch: xxhash is pinned below 4 (pyproject.toml), and the sample
cache is given a scratch directory through lighteval's own config (see lighteval_runner.py).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from unittest import mock

log = logging.getLogger(__name__)

# String literals in a task module's source: "mmlu:anatomy", "olympiad_bench:", f"lcb:codegeneration_{subset}".
_LITERAL = re.compile(r"""(f?)(["'])([^"'\n]*)\2""")


@dataclass
class BuiltinLookup:
    """Where a built-in task was found, and the modules that could not be imported along the way."""

    config: object | None  # a LightevalTaskConfig, or None when no module defines the name
    module: str | None
    broken: dict[str, str] = field(default_factory=dict)  # module -> "TypeError: ..."


def find_builtin_task(name: str) -> BuiltinLookup:
    """Find lighteval's built-in task `name` ("mmlu:anatomy") by importing only the modules that can define it.

    Candidates are the module named like the task ("mmlu.py" for "mmlu:anatomy"), then modules whose source
    holds a string that could build the name. This found all 635 tasks of lighteval 0.13 on the first import.
    """
    broken = {}
    for module_name in _candidate_modules(name):
        try:
            with keep_grad_mode():
                module = importlib.import_module(module_name)
        except Exception as err:  # a task module that does network or version-sensitive work at import
            broken[module_name] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            continue
        for config in getattr(module, "TASKS_TABLE", []):
            if config.name == name:
                return BuiltinLookup(config, module_name, broken)
    return BuiltinLookup(None, None, broken)


def might_define(name: str) -> bool:
    """Whether any built-in task module could define `name`; reads their source, imports nothing."""
    return bool(_candidate_modules(name))


def _candidate_modules(name: str) -> list[str]:
    """The same modules lighteval's Registry would import (tasks/*.py, tasks/*/main.py), most likely first."""
    package_dir = Path(importlib.util.find_spec("lighteval").origin).parent  # located, not imported
    tasks_dir = package_dir / "tasks" / "tasks"
    files = sorted([f for f in tasks_dir.glob("*.py") if f.name != "__init__.py"] + list(tasks_dir.glob("*/main.py")))
    prefix = name.split(":")[0]
    first = [f for f in files if (f.parent.name if f.name == "main.py" else f.stem) == prefix]
    rest = [f for f in files if f not in first and _may_define(f.read_text(encoding="utf-8"), name)]
    return [".".join(("lighteval", *f.relative_to(package_dir).with_suffix("").parts)) for f in first + rest]


def _may_define(source: str, name: str) -> bool:
    for is_f, _, value in _LITERAL.findall(source):
        if is_f and "{" in value:
            literal = value.split("{")[0]
            if len(literal) >= 3 and name.startswith(literal):
                return True
        elif value == name or (value.endswith(":") and name.startswith(value)):
            return True
    return False


@contextmanager
def registry_of(modules: list[str]) -> Iterator[None]:
    """While active, lighteval's Registry loads only these task modules (plus the custom-task module it is given)."""
    from lighteval.tasks.registry import Registry

    def load_selected(custom_tasks: str | Path | ModuleType | None = None, load_multilingual: bool = False) -> dict:
        configs = {}
        for module_name in modules:
            configs.update(Registry._extract_configs(importlib.import_module(module_name)))
        if custom_tasks is not None:
            configs.update(Registry._extract_configs(Registry.create_custom_tasks_module(custom_tasks)))
        return configs

    with mock.patch.object(Registry, "load_all_task_configs", staticmethod(load_selected)):
        yield


@contextmanager
def keep_grad_mode() -> Iterator[None]:
    """Restore torch's autograd mode on exit, whatever lighteval set it to meanwhile."""
    import torch

    enabled = torch.is_grad_enabled()
    try:
        yield
    finally:
        torch.set_grad_enabled(enabled)


@contextmanager
def quiet_lighteval() -> Iterator[None]:
    """lighteval's INFO chatter ("--- LOADING TASKS ---", cache notes, a batch-size note on every call) and its
    bars off while it runs: the run logs each benchmark's scores itself. Its errors still show."""
    from lighteval.models.transformers import transformers_model

    logger = logging.getLogger("lighteval")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        bar = transformers_model.tqdm
        silent = lambda *args, **kwargs: bar(*args, **{**kwargs, "disable": True})  # noqa: E731 (its calls pass disable)
        with mock.patch.object(transformers_model, "tqdm", silent):
            yield
    finally:
        logger.setLevel(level)
