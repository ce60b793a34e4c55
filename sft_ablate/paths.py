"""Where things are: the shipped configs and sample data, the public eval data directory, the cache.

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


def default_cache_dir() -> Path:
    """Converted models, tokenized data, embeddings and answers shared by all runs ($SFT_ABLATE_CACHE)."""
    return Path(os.environ.get("SFT_ABLATE_CACHE", Path.home() / ".cache" / "sft-ablate")).expanduser()


DATA_DIR_ENV = "SFT_ABLATE_DATA_DIR"


def data_dir() -> Path:
    """Public eval data (benchmarks, arena prompts, decontamination lists) by Hugging Face dataset id:
    $SFT_ABLATE_DATA_DIR, else eval_data/ in the cache. `python -m sft_ablate.data_fetch` fills it; a run online
    fills it on first use."""
    env = os.environ.get(DATA_DIR_ENV)
    return Path(env).expanduser() if env else default_cache_dir() / "eval_data"  # beside, not in, the data stage cache (data/)


def dataset_path(repo: str, config: str = "default", split: str = "train") -> str:
    """`${dataset:openai/gsm8k,main,test}`: the file of one split of a hub dataset in the data dir,
    <data_dir>/<org>/<name>/<config>/<split>.jsonl, whether or not it is there yet (its readers fetch or explain)."""
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise ValueError(f"dataset id must be ORG/NAME, got {repo!r}")
    return str(data_dir() / repo / config / f"{split}.jsonl")


@dataclass
class PathsConfig:
    # Shared by every run: converted models, trained tiny tokenizers, tokenized data.
    cache_dir: str = "${oc.env:SFT_ABLATE_CACHE,${oc.env:HOME}/.cache/sft-ablate}"
    min_free_gb: float = 1.0  # a run refuses to start with less free disk under its run dir or the cache
