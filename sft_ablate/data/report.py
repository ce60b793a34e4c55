"""The data report: what the quality filters removed, what was selected, how long and how diverse it is.

Every run records it in results.json (under `data`) and logs it to W&B as tables and histograms;
`python -m sft_ablate.data_report` (sft_ablate/data_report.py) prints it for a dataset without training.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from sft_ablate.config import Config, SourceConfig
from sft_ablate.data.formats import approx_tokens, assistant_text, user_text
from sft_ablate.data.prepare import Pick, PreparedData, diversity_report, embed_rows, length_summary, pick_rows, pool_sample
from sft_ablate.data.quality import apply_filters
from sft_ablate.data.sources import Example, load_source
from sft_ablate.record.tracking import Tracker

log = logging.getLogger(__name__)

DIVERSITY_COLUMNS = (
    ("rows", "rows"), ("distinct_1_instruction", "d-1 instr"), ("distinct_2_instruction", "d-2 instr"),
    ("distinct_1_response", "d-1 resp"), ("distinct_2_response", "d-2 resp"),
    ("mean_cosine_distance", "cos dist"), ("cluster_entropy", "cluster H"), ("clusters_hit", "clusters"),
    ("leading_words", "lead words"), ("tasks", "tasks"),
)  # fmt: skip


# ---------------------------------------------------------------- the report as rows (console and W&B share them)


def source_rows(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Per source, open-instruct style: rows in, removed, rows out, tokens, trainable tokens."""
    columns = [
        "source",
        "kind",
        "rows in",
        "invalid",
        "examined",
        "removed by filters",
        "PII redacted",
        "kept",
        "eval",
        "train rows",
        "tokens",
        "trainable tokens",
    ]
    rows = [
        [
            name,
            s.get("kind"),
            s["rows_read"],
            s["rows_invalid"],
            s.get("rows_examined", s.get("rows_valid")),
            sum(s["removed"].values()),
            sum(s.get("pii_redacted", {}).values()),
            s["rows_kept"],
            s.get("eval_rows", 0),
            s["rows"],
            s.get("tokens"),
            s.get("trainable_tokens"),
        ]
        for name, s in data["sources"].items()
    ]
    return columns, rows


def filter_rows(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Rows removed by each quality filter, in the order they ran, per source."""
    sources = list(data["sources"])
    columns = ["filter", *sources, "total"]
    rows = []
    for name in data.get("quality", {}).get("filters", []):
        counts = [data["sources"][s]["removed"].get(name, 0) for s in sources]
        rows.append([name, *counts, sum(counts)])
    return columns, rows


def diversity_rows(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    div = data["diversity"]
    sets = {"train": div["train"], **{f"train: {k}": v for k, v in div["sources"].items()}, "pool": div["pool"]}
    columns = ["set", *(label for _, label in DIVERSITY_COLUMNS), "top leading words"]
    rows = [
        [
            name,
            # None, never "": W&B types a table column by its first value, so "" then a number fails the table.
            *(m.get(key) for key, _ in DIVERSITY_COLUMNS),
            ", ".join(f"{w} {c}" for w, c in list(m["top_leading_words"].items())[:5]),
        ]
        for name, m in sets.items()
    ]
    return columns, rows


def length_rows(data: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    columns = ["set", "side", "mean", "min", "p10", "p50", "p90", "max"]
    sets = {"train": data["length"], **{f"train: {k}": v["length"] for k, v in data["sources"].items()}}
    rows = [[name, side, *stats.values()] for name, lengths in sets.items() for side, stats in lengths.items()]
    return columns, rows


def log_data_report(tracker: Tracker, data: dict[str, Any], train: list[Example]) -> None:
    """The run's data report in W&B: four tables, length histograms, and the diversity figures in the summary."""
    if not tracker.active:
        return
    tracker.tables_and_histograms(
        {
            "data/sources": source_rows(data),
            "data/filters": filter_rows(data),
            "data/diversity": diversity_rows(data),
            "data/lengths": length_rows(data),
        },
        {
            f"data/{side}_tokens": [approx_tokens(text(e.messages)) for e in train]
            for side, text in (("instruction", user_text), ("response", assistant_text))
        },
    )
    train_measures = data["diversity"]["train"]
    tracker.summary({f"data/diversity/{key}": train_measures[key] for key, _ in DIVERSITY_COLUMNS if key in train_measures})


def print_report(data: dict[str, Any], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(160, Console().width))
    console.rule(f"data report: {title}")
    for caption, (columns, rows) in (
        ("rows per source (tokens: from a run's tokenizer, or ~ words and punctuation)", source_rows(data)),
        ("rows removed by each quality filter", filter_rows(data)),
        ("diversity", diversity_rows(data)),
        ("lengths (tokens)", length_rows(data)),
    ):
        table = Table(title=caption, title_justify="left")
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


# ---------------------------------------------------------------- the PNG


def plot(prepared: PreparedData, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA

    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    colors = {name: f"C{i}" for i, name in enumerate(prepared.train_pools)}
    for ax, (side, text) in zip(axes[:2], (("instruction", user_text), ("response", assistant_text))):
        lengths = {
            name: [approx_tokens(text(prepared.train_pools[name][i].messages)) for i in idx]
            for name, idx in prepared.drawn.items()
            if idx
        }
        bins = np.histogram_bin_edges([n for values in lengths.values() for n in values] or [0], bins=30)
        for name, values in lengths.items():
            ax.hist(values, bins=bins, alpha=0.55, color=colors[name], label=name)
        ax.set(title=f"{side} length of the selected rows", xlabel="tokens (words and punctuation)", ylabel="rows")
        ax.legend()
    picks = {n: p for n, p in prepared.picks.items() if len(p.vectors)}
    everything = np.concatenate([p.vectors for p in picks.values()])
    pca = PCA(n_components=2, random_state=0).fit(everything) if len(everything) > 2 else None

    def project(vectors: np.ndarray) -> np.ndarray:
        return pca.transform(vectors) if pca is not None and len(vectors) else np.zeros((len(vectors), 2))

    ax = axes[2]
    for name, pick in picks.items():
        points = project(pick.vectors)
        ax.scatter(points[:, 0], points[:, 1], s=8, color=colors[name], alpha=0.15)
        chosen = project(pick.drawn_vectors)
        ax.scatter(chosen[:, 0], chosen[:, 1], s=16, color=colors[name], label=f"{name}: selected")
    sampled = " (a sample of the pool)" if prepared.report["diversity"].get("pool_sampled") else ""
    ax.set(title=f"embeddings, PCA (faint: pool{sampled}, solid: selected)", xlabel="PC 1", ylabel="PC 2")
    ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------- without a run


def approx_token_counts(rows: list[Example]) -> dict[str, str]:
    """Token counts without the model's tokenizer (words and punctuation marks), marked ~ as estimates."""
    return {
        "tokens": f"~{sum(approx_tokens(m['content']) for e in rows for m in e.messages)}",
        "trainable_tokens": f"~{sum(approx_tokens(assistant_text(e.messages)) for e in rows)}",
    }


def report_file(path: Path, config: Config, select_rows: bool) -> PreparedData:
    """A file as one source: quality filters, measures, and (select_rows) the configured level's pick of data.budget rows."""
    name = path.stem
    loaded = load_source(name, SourceConfig(path=str(path)), "skip")
    quality = apply_filters({name: loaded.examples}, config.quality)
    rows = quality.kept[name]
    cache_dir = Path(config.paths.cache_dir).expanduser()
    if select_rows:
        pick = pick_rows(rows, min(config.data.budget, len(rows)), config.diversity, config.seed, name, cache_dir)
    else:  # the whole file is "drawn": measured on the pool sample, as a pool is
        sample, measured = pool_sample(len(rows), 0, config.diversity, name)
        vectors = embed_rows([rows[i] for i in sample], config.diversity, cache_dir)
        pick = Pick(sample, vectors, sample, vectors, len(sample), measured)
    chosen = [rows[i] for i in pick.drawn]
    report = {
        "sources": {
            name: {
                "kind": "file",
                "rows_read": loaded.rows_read,
                "rows_invalid": len(loaded.bad_rows),
                "rows_valid": len(loaded.examples),
                "removed": quality.removed[name],
                "pii_redacted": quality.redacted[name],
                "rows_kept": len(rows),
                "eval_rows": 0,
                "rows": len(chosen),
                **approx_token_counts(chosen),
                "length": length_summary(chosen),
            }
        },
        "length": length_summary(chosen),
        "quality": {"filters": list(config.quality.filters), "eval_prompts": quality.eval_prompts},
        "diversity": diversity_report({name: rows}, {name: pick}, config.diversity, cache_dir),
    }
    if not select_rows:
        report["diversity"]["level"] = "(whole file)"
    return PreparedData(
        train=chosen,
        eval=[],
        pool={},
        dropped=loaded.bad_rows + quality.dropped,
        report=report,
        train_pools={name: rows},
        picks={name: pick},
        drawn={name: pick.drawn},
    )
