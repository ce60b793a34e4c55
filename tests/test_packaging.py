"""The package as a user gets it: a wheel installed outside the checkout, and a user's own config directory."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sft_ablate.paths import PROJECT_ROOT

USER_MIX = 'name: "20_80"\nweights:\n  synthetic: 0.2\n  human: 0.8\n'
USER_STUDY = """# @package _global_
study: my_study
hydra:
  sweep:
    dir: outputs/sweeps/${study}/${model.name}
    subdir: ${mix.name}_s${seed}
  sweeper:
    params:
      mix: 20_80,50_50
"""
SMALL = ["model=tiny", "tracking=none", "data.budget=32", "data.eval_per_source=4", "train.max_steps=2",
         "eval.num_generations=1", "eval.max_new_tokens=4", "arena=none", "eval.benchmarks=[]"]  # fmt: skip


def statuses(root: Path) -> dict[str, str]:
    return {p.parent.name: json.loads(p.read_text())["status"] for p in root.rglob("results.json")}


def user_config_dir(root: Path) -> Path:
    (root / "mix").mkdir(parents=True)
    (root / "sweep").mkdir()
    (root / "mix" / "20_80.yaml").write_text(USER_MIX)
    (root / "sweep" / "my_study.yaml").write_text(USER_STUDY)
    return root


@pytest.mark.slow
def test_a_user_config_dir_adds_a_mix_and_a_study(tmp_path, cache_dir):
    conf = user_config_dir(tmp_path / "my_conf")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "SFT_ABLATE_CACHE": str(cache_dir)}
    cmd = [sys.executable, "-m", "sft_ablate", "--config-dir", str(conf), "-m", "+sweep=my_study", *SMALL]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    sweep = tmp_path / "outputs" / "sweeps" / "my_study" / "tiny"
    assert statuses(sweep) == {"20_80_s0": "complete", "50_50_s0": "complete"}
    mix = json.loads((sweep / "20_80_s0" / "results.json").read_text())["config"]["mix"]
    assert mix["weights"] == {"synthetic": 0.2, "human": 0.8}


def test_every_third_party_import_is_a_declared_dependency():
    """The wheel test below borrows this environment's packages (installing torch & co. again took minutes), so
    what it cannot see is checked here: every package our code imports is one the wheel declares."""
    declared = {canonicalize_name(Requirement(r).name) for r in metadata.requires("sft-ablate")}
    imported = set()
    for path in (PROJECT_ROOT / "sft_ablate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"__future__", "sft_ablate"}
    distributions = metadata.packages_distributions()
    undeclared = {
        name: distributions.get(name)
        for name in third_party
        if not any(canonicalize_name(d) in declared for d in distributions.get(name, []))
    }
    assert not undeclared, f"imported but not in pyproject.toml's dependencies: {undeclared}"


@pytest.mark.slow
def test_the_wheel_lists_every_package_of_the_tree():
    """pyproject.toml names the packages one by one: a new subpackage (arena/judges) missing there is missing from
    the wheel, which only the slow wheel test would otherwise find."""
    import tomllib

    listed = set(tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(PROJECT_ROOT).parts) for p in (PROJECT_ROOT / "sft_ablate").rglob("__init__.py")}
    assert found - listed == set()


def test_the_wheel_runs_outside_the_checkout(tmp_path, cache_dir):
    """pip wheel, a new virtualenv with the wheel alone in it, then the console script from an empty dir. The
    dependencies come from this environment (PYTHONPATH to its site-packages, whose .pth files, among them our
    editable install, are not read from there); `make setup` resolves the declared ones from pyproject.toml."""
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(PROJECT_ROOT), "-w", str(dist)],
                   check=True, cwd=tmp_path, timeout=600)  # fmt: skip
    env_dir = tmp_path / "V"
    venv.create(env_dir, with_pip=True)
    wheel = next(dist.glob("sft_ablate-*.whl"))
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps"]
    subprocess.run([*pip, str(wheel)], check=True, timeout=600)
    site_packages = next(p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "torch").is_dir())
    env = {**os.environ, "PYTHONPATH": str(site_packages), "SFT_ABLATE_CACHE": str(cache_dir)}
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import sft_ablate; print(sft_ablate.__file__)"],
                           env=env, capture_output=True, text=True, check=True, cwd=tmp_path)  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(env_dir)  # the wheel's copy, not the checkout

    work = tmp_path / "elsewhere"  # no conf/, no checkout: the configs must come from the wheel
    work.mkdir()
    script = str(env_dir / "bin" / "sft-ablate")
    one = subprocess.run([script, *SMALL, "mix=50_50", "hydra.run.dir=out"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=900)  # fmt: skip
    assert one.returncode == 0, one.stderr[-3000:]
    assert json.loads((work / "out" / "results.json").read_text())["status"] == "complete"
    assert f"{PROJECT_ROOT}{os.sep}" not in (work / "out" / "results.json").read_text().split('"environment"')[0]

    study = subprocess.run([script, "-m", "+sweep=mix_ratio", *SMALL, "seed=0"], cwd=work, env=env,
                           capture_output=True, text=True, timeout=1800)  # fmt: skip
    assert study.returncode == 0, study.stderr[-3000:]
    assert statuses(work / "outputs" / "sweeps" / "mix_ratio" / "tiny") == {
        f"{mix}_s0": "complete" for mix in ("30_70", "50_50", "70_30")
    }

    conf = user_config_dir(work / "my_conf")  # a user's configs beside the installed ones
    mine = subprocess.run([script, "--config-dir", str(conf), *SMALL, "mix=20_80", "hydra.run.dir=mine"], cwd=work,
                          env=env, capture_output=True, text=True, timeout=900)  # fmt: skip
    assert mine.returncode == 0, mine.stderr[-3000:]
