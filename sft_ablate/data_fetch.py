"""`python -m sft_ablate.data_fetch NAME...`: fill the data dir with public eval data, for machines without network.

    python -m sft_ablate.data_fetch gsm8k arc_easy mt_bench           # the sets the shipped configs read
    python -m sft_ablate.data_fetch allenai/ai2_arc:ARC-Challenge:test # any hub dataset split, as ORG/NAME[:CONFIG[:SPLIT]]
    SFT_ABLATE_DATA_DIR=/shared/sft-data python -m sft_ablate.data_fetch gsm8k   # a data dir other machines read

Each split is loaded through `datasets` and written as <data_dir>/<org>/<name>/<config>/<split>.jsonl (data/fetch.py);
copy that dir to the offline machine and point SFT_ABLATE_DATA_DIR at it.
"""

from __future__ import annotations

import argparse
import logging
import sys

from sft_ablate.command import run_command
from sft_ablate.data.fetch import PUBLIC_DATASETS, DatasetRef, fetch
from sft_ablate.errors import ConfigError
from sft_ablate.paths import DATA_DIR_ENV, data_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sft_ablate.data_fetch", description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", help=f"{', '.join(PUBLIC_DATASETS)}, or ORG/NAME[:CONFIG[:SPLIT]]")
    parser.add_argument("--force", action="store_true", help="fetch again what the data dir already holds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run_command(lambda: _fetch_command(args.names, args.force), writes_to=data_dir())


def refs_for(name: str) -> tuple[DatasetRef, ...]:
    """A catalog name (every split the shipped configs read) or ORG/NAME[:CONFIG[:SPLIT]] (default, train)."""
    if name in PUBLIC_DATASETS:
        return PUBLIC_DATASETS[name]
    repo, _, rest = name.partition(":")
    config, _, split = rest.partition(":")
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise ConfigError(f"unknown dataset {name!r}: name one of {', '.join(PUBLIC_DATASETS)}, or ORG/NAME[:CONFIG[:SPLIT]]")
    return (DatasetRef(repo, config or "default", split or "train"),)


def _fetch_command(names: list[str], force: bool) -> int:
    refs = [ref for name in names for ref in refs_for(name)]  # every name checked before any download
    for ref in refs:
        path = ref.path()
        if path.exists() and not force:
            print(f"{ref}: already in {path}")
            continue
        fetch(ref, path)
        print(f"{ref}: {sum(1 for _ in path.open(encoding='utf-8'))} rows in {path}")
    print(f"data dir: {data_dir()} (runs read it where ${DATA_DIR_ENV} points; default: eval_data/ in the cache)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
