"""The profile of a training set: what the quality filters removed, what was selected, how long and how diverse
it is, as tables, histogram values and a figure.

A run records the numbers in results.json (under `data`) and its caller logs the tables to W&B (sft_ablate/run.py);
`python -m sft_ablate.data_report` (sft_ablate/data_report.py) prints them and writes the figure, for a run's
config or for one file (`profile_file`), without training. Nothing here logs or prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sft_ablate.data.formats import approx_tokens, assistant_text, user_text
from sft_ablate.data.prepare import (
    Pick,
    PreparedData,
    diversity_report,
    embed_rows,
    filter_enough,
    filtered_source_report,
    length_summary,
    pick_rows,
    pool_sample,
)
from sft_ablate.data.quality import QualityConfigBase
from sft_ablate.data.schema import DiversityConfig, SourceConfig
from sft_ablate.data.sources import Example, load_source

Table = tuple[list[str], list[list[Any]]]  # column names, rows

# The diversity table's columns: a measure's key in data.diversity, and its header.
DIVERSITY_TABLE_COLUMNS = (
    ("rows", "rows"), ("distinct_1_instruction", "d-1 instr"), ("distinct_2_instruction", "d-2 instr"),
    ("distinct_1_response", "d-1 resp"), ("distinct_2_response", "d-2 resp"),
    ("mean_cosine_distance", "cos dist"), ("cluster_entropy", "cluster H"), ("clusters_hit", "clusters"),
    ("leading_words", "lead words"), ("tasks", "tasks"),
)  # fmt: skip


# ---------------------------------------------------------------- the profile as tables (console and W&B share them)


def profile_tables(data: dict[str, Any]) -> dict[str, Table]:
    """The four tables of a data profile (results.json's `data`), by name."""
    return {
        "sources": source_rows(data),
        "filters": filter_rows(data),
        "diversity": diversity_rows(data),
        "lengths": length_rows(data),
    }


def source_rows(data: dict[str, Any]) -> Table:
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


def filter_rows(data: dict[str, Any]) -> Table:
    """Rows removed by each quality filter, in the order they ran, per source."""
    sources = list(data["sources"])
    columns = ["filter", *sources, "total"]
    rows = []
    for name in data.get("quality", {}).get("filters", []):
        counts = [data["sources"][s]["removed"].get(name, 0) for s in sources]
        rows.append([name, *counts, sum(counts)])
    return columns, rows


def diversity_rows(data: dict[str, Any]) -> Table:
    div = data["diversity"]
    sets = {"train": div["train"], **{f"train: {k}": v for k, v in div["sources"].items()}, "pool": div["pool"]}
    columns = ["set", *(label for _, label in DIVERSITY_TABLE_COLUMNS), "top leading words"]
    rows = [
        [
            name,
            # None, never "": W&B types a table column by its first value, so "" then a number fails the table.
            *(m.get(key) for key, _ in DIVERSITY_TABLE_COLUMNS),
            ", ".join(f"{w} {c}" for w, c in list(m["top_leading_words"].items())[:5]),
        ]
        for name, m in sets.items()
    ]
    return columns, rows


def length_rows(data: dict[str, Any]) -> Table:
    columns = ["set", "side", "mean", "min", "p10", "p50", "p90", "max"]
    sets = {"train": data["length"], **{f"train: {k}": v["length"] for k, v in data["sources"].items()}}
    rows = [[name, side, *stats.values()] for name, lengths in sets.items() for side, stats in lengths.items()]
    return columns, rows


def length_histograms(train: list[Example]) -> dict[str, list[int]]:
    """Instruction and response lengths of the training rows, in tokens as the length filter counts them."""
    return {
        f"{side}_tokens": [approx_tokens(text(e.messages)) for e in train]
        for side, text in (("instruction", user_text), ("response", assistant_text))
    }


def train_diversity(data: dict[str, Any]) -> dict[str, Any]:
    """The train set's figures of the diversity table, by measure."""
    measures = data["diversity"]["train"]
    return {key: measures[key] for key, _ in DIVERSITY_TABLE_COLUMNS if key in measures}


# ---------------------------------------------------------------- the figure


def plot(prepared: PreparedData, path: Path, title: str) -> None:
    """Length histograms of the selected rows, and a PCA projection of the embeddings with the selected rows solid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    _plot_embeddings(axes[2], prepared, colors)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_embeddings(ax: Any, prepared: PreparedData, colors: dict[str, str]) -> None:
    from sklearn.decomposition import PCA

    picks = {n: p for n, p in prepared.picks.items() if len(p.vectors)}
    everything = np.concatenate([p.vectors for p in picks.values()])
    pca = PCA(n_components=2, random_state=0).fit(everything) if len(everything) > 2 else None

    def project(vectors: np.ndarray) -> np.ndarray:
        return pca.transform(vectors) if pca is not None and len(vectors) else np.zeros((len(vectors), 2))

    for name, pick in picks.items():
        points = project(pick.vectors)
        ax.scatter(points[:, 0], points[:, 1], s=8, color=colors[name], alpha=0.15)
        chosen = project(pick.drawn_vectors)
        ax.scatter(chosen[:, 0], chosen[:, 1], s=16, color=colors[name], label=f"{name}: selected")
    sampled = " (a sample of the pool)" if prepared.report["diversity"].get("pool_sampled") else ""
    ax.set(title=f"embeddings, PCA (faint: pool{sampled}, solid: selected)", xlabel="PC 1", ylabel="PC 2")
    ax.legend()


# ---------------------------------------------------------------- one file, without a run


def approx_token_counts(rows: list[Example]) -> dict[str, str]:
    """Token counts without the model's tokenizer (words and punctuation marks), marked ~ as estimates."""
    return {
        "tokens": f"~{sum(approx_tokens(m['content']) for e in rows for m in e.messages)}",
        "trainable_tokens": f"~{sum(approx_tokens(assistant_text(e.messages)) for e in rows)}",
    }


def profile_file(
    path: Path, quality: QualityConfigBase, diversity: DiversityConfig, budget: int | None, seed: int, cache_dir: Path
) -> PreparedData:
    """A file as one source, through the data stage's own steps: the quality filters over all of it, then the
    diversity level's pick of `budget` rows (None: no pick; the whole file is measured, on its pool sample)."""
    name = path.stem
    loaded = load_source(name, SourceConfig(path=str(path)), "skip")
    quality_result, examined = filter_enough({name: loaded}, quality, need=None, split_seed=0, heldout={})
    rows = quality_result.kept[name]
    if budget is not None:
        pick = pick_rows(rows, min(budget, len(rows)), diversity, seed, name, cache_dir)
    else:  # the whole file is "drawn": measured on the pool sample, as a pool is
        sample, measured = pool_sample(len(rows), 0, diversity, name)
        vectors = embed_rows([rows[i] for i in sample], diversity, cache_dir)
        pick = Pick(sample, vectors, sample, vectors, len(sample), measured)
    chosen = [rows[i] for i in pick.drawn]
    source = {
        **filtered_source_report(loaded, quality_result, examined[name]),
        "kind": "file",
        "eval_rows": 0,
        "rows": len(chosen),
        **approx_token_counts(chosen),
        "length": length_summary(chosen),
    }
    report = {
        "sources": {name: source},
        "length": length_summary(chosen),
        "quality": quality_result.summary(),
        "diversity": diversity_report({name: rows}, {name: pick}, diversity, cache_dir),
    }
    if budget is None:
        report["diversity"]["level"] = "(whole file)"
    return PreparedData(
        train=chosen,
        eval=[],
        pool={},
        dropped=loaded.bad_rows + quality_result.dropped,
        report=report,
        train_pools={name: rows},
        picks={name: pick},
        drawn={name: pick.drawn},
    )
