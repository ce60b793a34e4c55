"""`python -m sft_ablate.data_report [FILE] [overrides]`: the data report of a file or a run's config, without training.

    python -m sft_ablate.data_report my_data.jsonl                      # one file: filters + measures
    python -m sft_ablate.data_report my_data.jsonl diversity=high data.budget=64   # ...and a selection from it
    python -m sft_ablate.data_report mix=30_70 diversity=low            # a run's config: exactly the run's data stage

It prints rich tables and writes a PNG (length histograms and a 2-D projection of the embeddings) and the
report as JSON, in --out (default: the current directory). The profile itself is built in sft_ablate/data/profile.py.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from sft_ablate.command import quiet_libraries, run_command
from sft_ablate.data.prepare import prepare_data
from sft_ablate.data.profile import approx_token_counts, plot, profile_file, profile_tables
from sft_ablate.errors import SftAblateError
from sft_ablate.io import write_json_atomic
from sft_ablate.launch.hydra_setup import compose_config
from sft_ablate.run import data_stage_inputs

# Each table's caption on the console, in the order printed.
CAPTIONS = {
    "sources": "rows per source (tokens: from a run's tokenizer, or ~ words and punctuation)",
    "filters": "rows removed by each quality filter",
    "diversity": "diversity",
    "lengths": "lengths (tokens)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sft_ablate.data_report", description=__doc__.split("\n\n")[0])
    parser.add_argument("items", nargs="*", help="a data file (.jsonl/.json/.parquet/.csv), then config overrides (key=value)")
    parser.add_argument("--out", type=Path, default=Path("."), help="where data_report.png and data_report.json go")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    files = [item for item in args.items if "=" not in item]
    overrides = [item for item in args.items if "=" in item]
    return run_command(lambda: _data_report_command(args, files, overrides), writes_to=args.out)


def _data_report_command(args: argparse.Namespace, files: list[str], overrides: list[str]) -> int:
    if len(files) > 1:
        raise SftAblateError(f"name at most one data file, got {len(files)}: {', '.join(files)}")
    config = compose_config(overrides)
    quiet_libraries()
    inputs = data_stage_inputs(config)
    if files:
        path = Path(files[0])
        if not path.exists():
            raise SftAblateError(f"data file not found: {path}")
        picked = any(o.split("=", 1)[0].lstrip("+").startswith(("diversity", "data.budget")) for o in overrides)
        budget = config.data.budget if picked else None
        prepared = profile_file(path, inputs.quality, inputs.diversity, budget, inputs.seed, inputs.cache_dir)
        title = str(path)
    else:
        prepared, title = prepare_data(inputs), f"mix={config.mix.name} diversity={config.diversity.name} seed={config.seed}"
        for name, idx in prepared.drawn.items():  # a run fills these in with its tokenizer's counts
            prepared.report["sources"][name].update(approx_token_counts([prepared.train_pools[name][i] for i in idx]))
    print_report(prepared.report, title)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(prepared, args.out / "data_report.png", title)
    write_json_atomic(args.out / "data_report.json", {**prepared.report, "dropped": [vars(b) for b in prepared.dropped]})
    print(f"wrote {args.out / 'data_report.png'} and {args.out / 'data_report.json'}")
    return 0


def print_report(data: dict[str, Any], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(160, Console().width))
    console.rule(f"data report: {title}")
    for name, (columns, rows) in profile_tables(data).items():
        table = Table(title=CAPTIONS[name], title_justify="left")
        for i, column in enumerate(columns):
            table.add_column(column, justify="left" if i == 0 else "right")
        for row in rows:
            table.add_row(*("" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
        console.print(table)
    div = data["diversity"]
    console.print(
        f"diversity level {div['level']} (method {div['method']}), embeddings: {div['embedding_model']} "
        f"over each row's {div['embed']}"
    )


if __name__ == "__main__":
    sys.exit(main())
