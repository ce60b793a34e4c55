"""Checks that run before any data or model is loaded: can we write the outputs, is there disk space, and do the
config's relative paths stay inside the project.

A run that dies at its first checkpoint because the disk is full or the outputs dir is read-only wastes the
minutes spent before it, and leaves a half-made run dir; these checks turn that into an error at second one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from sft_ablate.command import check_writable
from sft_ablate.config import Config
from sft_ablate.errors import ConfigError, EnvironmentProblem
from sft_ablate.io import nearest_existing
from sft_ablate.synth.schema import SynthAppConfig

# Config keys that hold file or directory paths (at any depth of the resolved config).
PATH_KEYS = ("path", "cache_dir", "seed_file", "output", "run_dir")
_DIR_OVERRIDE = re.compile(r"^\+*hydra\.(run|sweep)\.dir=(?P<value>.+)$")


def check_outputs_writable(argv: list[str], conf_dir: Path) -> None:
    check_writable(outputs_root(argv, conf_dir), "outputs dir", "hydra.run.dir=... (hydra.sweep.dir=... with -m)")


def check_before_run(config: Config | SynthAppConfig, run_config: dict[str, Any], run_dir: Path) -> None:
    check_config_paths(run_config, Path.cwd())
    cache_dir = Path(config.paths.cache_dir).expanduser()
    check_writable(cache_dir, "cache dir", "paths.cache_dir=... or SFT_ABLATE_CACHE")
    for what, directory in (("run dir", run_dir), ("cache dir", cache_dir)):
        check_free_space(directory, config.paths.min_free_gb, what)


def outputs_root(argv: list[str], conf_dir: Path) -> Path:
    """Where Hydra will create the run (or sweep) dir: the fixed part of hydra.run.dir / hydra.sweep.dir, from the
    command line or conf/config.yaml. Checked before Hydra starts, since Hydra itself fails on an unwritable dir
    with a bare PermissionError traceback."""
    sweep = "-m" in argv or "--multirun" in argv
    values = [m["value"] for a in argv if (m := _DIR_OVERRIDE.match(a)) and (m.group(1) == "sweep") == sweep]
    if values:
        value = values[-1].strip("'\"")
    else:
        hydra = OmegaConf.to_container(OmegaConf.load(conf_dir / "config.yaml").hydra, resolve=False)  # ${now:} is Hydra's
        value = str(hydra["sweep"]["dir"] if sweep else hydra["run"]["dir"])
    fixed = value.split("${", 1)[0]  # interpolations such as ${now:...} resolve later; the prefix does not change
    return Path(fixed or ".").expanduser().absolute()


def check_free_space(directory: Path, min_free_gb: float, what: str) -> None:
    free_gb = shutil.disk_usage(nearest_existing(directory)).free / 1e9
    if free_gb < min_free_gb:
        raise EnvironmentProblem(
            f"only {free_gb:.1f} GB free on the disk of the {what} {directory}, below paths.min_free_gb={min_free_gb:g}; "
            "free some space (checkpoints and caches need it) or lower paths.min_free_gb"
        )


def check_config_paths(run_config: dict[str, Any], root: Path) -> None:
    """Relative paths are read from where the command runs (the project). One that climbs out of it with `..`
    works only from one place on one machine, so a study config that holds it breaks for everyone else:
    refuse it and ask for an absolute path, which says plainly that the file lives outside the project."""
    for key, value in _path_values(run_config):
        path = Path(value).expanduser()
        if path.is_absolute():
            continue
        if not (root / path).resolve().is_relative_to(root.resolve()):
            raise ConfigError(
                f"{key}={value!r} escapes the project directory {root}: relative paths must stay inside it; "
                "give an absolute path for a file outside the project"
            )


def _path_values(node: Any, prefix: str = "") -> list[tuple[str, str]]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            name = f"{prefix}{key}"
            if key in PATH_KEYS and isinstance(value, str):
                found.append((name, value))
            else:
                found += _path_values(value, f"{name}.")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _path_values(value, f"{prefix[:-1]}[{i}].")
    return found
