"""Where things are: the shipped configs and sample data, the public data beside a checkout, the cache.

The configs (conf/ at the repository's top level, with sweeps/ as its `sweep` group through the conf/sweep link)
are packaged into the wheel as ``sft_ablate/conf`` (see pyproject.toml); in a source checkout they are read from
the top level, so an edit there takes effect without reinstalling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent  # the checkout, when running from one
_IN_CHECKOUT = (PROJECT_ROOT / "conf" / "config.yaml").is_file() and (PROJECT_ROOT / "pyproject.toml").is_file()
CONF_DIR = PROJECT_ROOT / "conf" if _IN_CHECKOUT else PACKAGE_DIR / "conf"
SWEEPS_DIR = CONF_DIR / "sweep"  # the named studies: sweeps/ in a checkout
SAMPLE_DATA_DIR = PACKAGE_DIR / "sample_data"
SYNTH_CONF_DIR = PACKAGE_DIR / "synth" / "conf"  # its own app, so not among the main app's groups
BENCHMARK_TASKS_DIR = PACKAGE_DIR / "evaluation" / "benchmarks"  # task YAMLs: eval.benchmarks=[arc_easy]
STUDY_FILE = "optuna_study.json"  # what an Optuna sweep writes into its sweep dir, for the report


def sample_data_path(name: str) -> str:
    """Data bundled with the package (sft_ablate/sample_data)."""
    return str(SAMPLE_DATA_DIR / name)


def shared_data_path(name: str) -> str:
    """Public data beside the checkout (../shared/data), or where SFT_ABLATE_SHARED_DATA points."""
    root = os.environ.get("SFT_ABLATE_SHARED_DATA", str(PROJECT_ROOT.parent / "shared" / "data"))
    return str(Path(root) / name)


def default_cache_dir() -> Path:
    """Converted models, tokenized data, embeddings and answers shared by all runs ($SFT_ABLATE_CACHE)."""
    return Path(os.environ.get("SFT_ABLATE_CACHE", Path.home() / ".cache" / "sft-ablate")).expanduser()


@dataclass
class PathsConfig:
    # Shared by every run: converted models, trained tiny tokenizers, tokenized data.
    cache_dir: str = "${oc.env:SFT_ABLATE_CACHE,${oc.env:HOME}/.cache/sft-ablate}"
    min_free_gb: float = 1.0  # a run refuses to start with less free disk under its run dir or the cache
