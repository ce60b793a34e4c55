"""The lighteval 0.13 workarounds: each test fails when an upgrade makes a workaround unnecessary or wrong.

The facts are gathered once, in a fresh interpreter (so that sys.modules shows what each step imported)
with the network cut, as it is here and on CI: lighteval's registry reaches it at import.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from sft_ablate.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow  # one interpreter importing lighteval (10-20 s on 2 cores)

PROBE = textwrap.dedent(
    """
    import json, socket, sys

    def no_network(*args, **kwargs):
        raise OSError("network cut by the test")

    socket.getaddrinfo = no_network
    socket.socket.connect = no_network
    facts = {}

    import torch
    from sft_ablate.evaluation.lighteval_compat import find_builtin_task, keep_grad_mode, registry_of

    with keep_grad_mode():
        import lighteval.models.transformers.transformers_model  # noqa: F401  (switches autograd off at import)
    facts["grad_kept"] = torch.is_grad_enabled()
    import lighteval.models.transformers.transformers_model as again  # already imported: no side effect now
    torch.set_grad_enabled(True)
    import importlib
    importlib.reload(again)
    facts["grad_after_plain_import"] = torch.is_grad_enabled()
    torch.set_grad_enabled(True)

    from lighteval.tasks.registry import Registry

    before = set(sys.modules)
    found = find_builtin_task("mmlu:anatomy")
    facts["found"] = [found.module, found.config.hf_repo, found.config.hf_subset]
    facts["find_imported"] = sorted(m for m in set(sys.modules) - before if m.startswith("lighteval.tasks.tasks"))

    original = Registry.load_all_task_configs
    with registry_of(["lighteval.tasks.tasks.arc"]):
        registry = Registry(tasks="arc:easy|0")
    facts["registry_tasks"] = sorted(registry.task_to_configs)
    facts["patch_undone"] = Registry.load_all_task_configs is original
    facts["tiny_imported"] = "lighteval.tasks.tasks.tiny_benchmarks" in sys.modules

    try:
        Registry.load_all_task_configs()
        facts["plain_registry_error"] = None
    except Exception as err:
        facts["plain_registry_error"] = f"{type(err).__name__}: {err}"

    import inspect, xxhash
    from lighteval.logging.info_loggers import DetailsLogger
    facts["details_logger_hashes_str"] = "xxhash.xxh64(doc.query)" in inspect.getsource(DetailsLogger)
    try:
        xxhash.xxh64("a str, as DetailsLogger passes").hexdigest()
        facts["xxhash_takes_str"] = True
    except TypeError:
        facts["xxhash_takes_str"] = False
    print("FACTS " + json.dumps(facts))
    """
)


@pytest.fixture(scope="module")
def facts() -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(line for line in proc.stdout.splitlines() if line.startswith("FACTS "))
    return json.loads(line[len("FACTS ") :])


def test_plain_registry_still_fails_offline_so_the_patch_is_needed(facts):
    assert facts["plain_registry_error"] is not None, (
        "lighteval's Registry now loads all its task modules with the network cut: "
        "sft_ablate.evaluation.lighteval_compat.registry_of may no longer be needed"
    )


def test_registry_patch_loads_only_the_named_modules_and_is_undone(facts):
    assert facts["registry_tasks"] == ["arc:easy"]
    assert not facts["tiny_imported"], "the patched registry imported tiny_benchmarks (it reaches the network)"
    assert facts["patch_undone"]


def test_builtin_task_found_by_importing_one_module(facts):
    assert facts["found"] == ["lighteval.tasks.tasks.mmlu", "lighteval/mmlu", "anatomy"]
    assert facts["find_imported"] == ["lighteval.tasks.tasks", "lighteval.tasks.tasks.mmlu"]


def test_lighteval_still_switches_autograd_off_and_keep_grad_mode_restores_it(facts):
    assert facts["grad_kept"]
    assert not facts["grad_after_plain_import"], (
        "lighteval's transformers model module no longer disables autograd at import: keep_grad_mode may be unneeded"
    )


def test_xxhash_pin_keeps_details_logger_working(facts):
    assert facts["xxhash_takes_str"], "xxhash >= 4 is installed: lighteval 0.13's DetailsLogger fails; keep xxhash<4"
    assert facts["details_logger_hashes_str"], (
        "lighteval's DetailsLogger no longer hashes str with xxhash: the xxhash<4 pin in pyproject.toml may be unneeded"
    )
