"""The data stage: sources -> normalized ChatML -> quality filters -> eval hold-out -> mixture at the requested
ratio, each source's share picked at the configured diversity level -> diversity measures of what was picked."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
import json
import logging
import math
import pickle
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from sft_ablate.cache import content_key, file_fingerprint
from sft_ablate.data import diversity
from sft_ablate.data.embeddings import embed_texts
from sft_ablate.data.formats import approx_tokens, assistant_text, user_text
from sft_ablate.data.mixture import MixturePlan, draw_indices, hold_out, plan_mixture, source_rng
from sft_ablate.data.quality import QualityConfigBase, QualityResult, apply_filters, filter_code, input_files
from sft_ablate.data.schema import DataConfig, DiversityConfig, MixConfig, SourceConfig
from sft_ablate.data.sources import BadRow, Example, LoadedSource, load_source
from sft_ablate.errors import DataError
from sft_ablate.io import write_bytes_atomic
from sft_ablate.paths import PACKAGE_DIR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataStageInputs:
    """What the data stage reads: its own configs, the external held-out sets, the run's seed and the cache."""

    data: DataConfig
    mix: MixConfig
    quality: QualityConfigBase
    diversity: DiversityConfig
    heldout_sets: dict[str, str]  # eval.heldout_sets: name -> file of rows that are evaluated on, never trained on
    seed: int
    cache_dir: Path


@dataclass
class PreparedData:
    train: list[Example]
    eval: list[Example]
    pool: dict[str, LoadedSource]  # every row of every source that passed validation and the quality filters
    dropped: list[BadRow]
    report: dict[str, Any] = field(default_factory=dict)  # goes to results.json under "data" (JSON values)
    train_pools: dict[str, list[Example]] = field(default_factory=dict)  # per source, after the hold-out
    picks: dict[str, Pick] = field(default_factory=dict)  # per source: the embedded pool sample and the drawn rows
    drawn: dict[str, list[int]] = field(default_factory=dict)  # indices into train_pools that make the train set
    heldout: dict[str, list[Example]] = field(default_factory=dict)  # external eval sets (eval.heldout_sets), by name


def prepare_data(inputs: DataStageInputs) -> PreparedData:
    """The data stage, cached by content: every run of a sweep over seeds, LoRA ranks or learning rates reads the
    same mixture, so only the first one loads, filters, embeds and selects."""
    key = data_cache_key(inputs)
    cached = inputs.cache_dir / "data" / f"{key}.pkl" if key else None
    if cached is not None and cached.exists():
        try:
            prepared = pickle.loads(cached.read_bytes())
            log.info(
                "data: unchanged sources and settings, read from the cache (%s); %d train rows", cached.name, len(prepared.train)
            )
            return prepared
        except Exception as err:  # an entry from an incompatible version: rebuild it
            log.warning("data cache entry %s unreadable (%s); preparing the data again", cached, err)
    prepared = _prepare_data(inputs)
    if cached is not None:
        write_bytes_atomic(cached, pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))
    return prepared


def data_cache_key(inputs: DataStageInputs) -> str | None:
    """Everything the data stage reads: its settings, the bytes of every input file and its own code. None (no
    caching) when an input is not a local file we can fingerprint: a hub dataset, a length-filter tokenizer."""
    filter_files = input_files(inputs.quality)
    if any(s.hf_dataset for s in inputs.data.sources.values()) or filter_files is None:
        return None
    files = [Path(s.path).expanduser() for s in inputs.data.sources.values()]
    files += filter_files
    files += [Path(p).expanduser() for p in inputs.heldout_sets.values()]
    if not all(f.is_file() for f in files[: len(inputs.data.sources)]):
        return None  # a missing source: let the stage itself say so
    # The code that decides what the stage returns: a change to any of it is a new key.
    code = [(name, file_fingerprint(path)) for name, path in code_files(__name__).items()]
    code += [(name, file_fingerprint(path)) for name, path in filter_code(inputs.quality).items()]
    fingerprints = [(str(f), file_fingerprint(f) if f.is_file() else None) for f in files]
    settings = [dataclasses.asdict(c) for c in (inputs.data, inputs.quality, inputs.diversity, inputs.mix)]
    settings.append(inputs.heldout_sets)
    return content_key("data-v1", code, fingerprints, settings, inputs.seed)


def code_files(module: str) -> dict[str, Path]:
    """``module`` and every sft_ablate module it imports, directly or through others, with their source files.

    Read from the import statements (those inside functions too), so that a module added to the data stage's
    code, or moved into it, is in its cache key without anyone listing it.
    """
    found: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        path = module_file(name)
        if name in found or path is None:
            continue
        found[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
                # `from sft_ablate.data import diversity` imports a module; `from sft_ablate.io import x`, a name
                todo += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return dict(sorted(found.items()))


def module_file(name: str) -> Path | None:
    """The source file of an sft_ablate module; None for other packages and for names that are not modules."""
    if name.partition(".")[0] != "sft_ablate":
        return None
    path = PACKAGE_DIR.joinpath(*name.split(".")[1:])
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _prepare_data(inputs: DataStageInputs) -> PreparedData:
    data = inputs.data
    loaded = {name: load_source(name, source, data.on_bad_row) for name, source in data.sources.items()}
    heldout = load_heldout_sets(inputs.heldout_sets)
    # Filter before the hold-out, so a duplicate can never sit on both sides of it.
    need = rows_needed(data, inputs.diversity)
    quality, examined = filter_enough(loaded, inputs.quality, need, data.split_seed, heldout)
    pool = filtered_pool(loaded, quality)
    train_pools, eval_rows = hold_out_eval(pool, data)
    draw = draw_train(train_pools, inputs)
    prepared = PreparedData(
        train=interleave(train_pools, draw.drawn, inputs.seed),
        eval=eval_rows,
        pool=pool,
        dropped=[bad for source in loaded.values() for bad in source.bad_rows] + quality.dropped,
        train_pools=train_pools,
        picks=draw.picks,
        drawn=draw.drawn,
        heldout=heldout,
    )
    prepared.report = stage_report(prepared, loaded, quality, examined, draw, inputs)
    log.info(
        "data: %d train rows (%s), %d held-out rows, diversity=%s (mean cosine distance %.3f)",
        len(prepared.train),
        ", ".join(f"{n}={c}" for n, c in draw.plan.counts.items()),
        len(eval_rows),
        inputs.diversity.name,
        prepared.report["diversity"]["train"]["mean_cosine_distance"],
    )
    return prepared


def load_heldout_sets(heldout_sets: dict[str, str]) -> dict[str, list[Example]]:
    """External held-out sets: read like a source (any format), never trained on, and kept out of training by
    decontamination. A bad row in one fails the run: an eval set with silent holes would not compare."""
    return {name: load_source(name, SourceConfig(path=path), "fail").examples for name, path in heldout_sets.items()}


def filtered_pool(loaded: dict[str, LoadedSource], quality: QualityResult) -> dict[str, LoadedSource]:
    """Each source with the rows the quality filters kept; a source left empty is an error."""
    pool = {name: replace(s, examples=quality.kept[name]) for name, s in loaded.items()}
    for name, source in pool.items():
        if not source.examples:
            raise DataError(
                f"data source {name!r} has no rows left after the quality filters "
                f"(removed: {quality.removed[name]}); see quality.filters"
            )
    return pool


def hold_out_eval(pool: dict[str, LoadedSource], data: DataConfig) -> tuple[dict[str, list[Example]], list[Example]]:
    """Each source's rows left for training, and the held-out eval rows. Held out first, with a fixed seed, so the
    eval rows are the same for every mix and run seed."""
    train_pools: dict[str, list[Example]] = {}
    eval_rows: list[Example] = []
    for name, source in pool.items():
        train_idx, eval_idx = hold_out(len(source.examples), data.eval_per_source, data.split_seed, name)
        train_pools[name] = [source.examples[i] for i in train_idx]
        eval_rows += [source.examples[i] for i in eval_idx]
    return train_pools, eval_rows


def interleave(train_pools: dict[str, list[Example]], drawn: dict[str, list[int]], seed: int) -> list[Example]:
    """The drawn rows in a seeded order, so no stage sees the sources as contiguous blocks."""
    train = [train_pools[name][i] for name in drawn for i in drawn[name]]
    order = source_rng(seed, "interleave").permutation(len(train))
    return [train[i] for i in order]


def stage_report(
    prepared: PreparedData,
    loaded: dict[str, LoadedSource],
    quality: QualityResult,
    examined: dict[str, int],
    draw: Draw,
    inputs: DataStageInputs,
) -> dict[str, Any]:
    """results.json's `data`: what each step did to each source; the train and eval sets' sizes, hashes, lengths
    and diversity."""
    plan = draw.plan
    diversity_measures = diversity_report(prepared.train_pools, prepared.picks, inputs.diversity, inputs.cache_dir)
    return {
        "sources": {
            name: source_report(source, quality, examined[name], prepared, plan, inputs.mix.weights.get(name, 0.0))
            for name, source in loaded.items()
        },
        "budget_requested": plan.requested_budget,
        "budget": plan.budget,
        "budget_unit": inputs.data.budget_unit,
        "heldout_sets": {name: {"path": inputs.heldout_sets[name], "rows": len(rows)} for name, rows in prepared.heldout.items()},
        "train_rows": len(prepared.train),
        "eval_rows": len(prepared.eval),
        "notes": plan.notes,
        "train_hash": examples_hash(prepared.train),
        "eval_hash": examples_hash(prepared.eval),
        "length": length_summary(prepared.train),
        "quality": quality.summary(),
        "diversity": diversity_measures | {"seconds": round(draw.seconds, 2)},
    }


def source_report(
    source: LoadedSource, quality: QualityResult, examined: int, prepared: PreparedData, plan: MixturePlan, weight: float
) -> dict[str, Any]:
    """results.json's data.sources.<name>."""
    name = source.name
    drawn = prepared.drawn.get(name, [])
    return {
        **filtered_source_report(source, quality, examined),
        "eval_rows": len(prepared.pool[name].examples) - len(prepared.train_pools[name]),
        "rows_available": len(prepared.train_pools[name]),
        "rows": len(drawn),
        "rows_upsampled": plan.upsampled.get(name, 0),
        "weight": weight,
        "length": length_summary([prepared.train_pools[name][i] for i in drawn]),
    }


def filtered_source_report(source: LoadedSource, quality: QualityResult, examined: int) -> dict[str, Any]:
    """What reading and the quality filters did to one source: the first entries of data.sources.<name>."""
    return {
        "kind": source.kind,
        "rows_read": source.rows_read,
        "rows_invalid": len(source.bad_rows),
        "rows_valid": len(source.examples),
        "rows_examined": examined,
        **quality.source_counts(source.name),
        "rows_kept": len(quality.kept[source.name]),
    }


def rows_needed(data: DataConfig, diversity: DiversityConfig) -> int | None:
    """Kept rows per source that a run can use: the hold-out, then the larger of the diversity measures' pool
    sample and what the budget could draw (the pool sample grows to 4 x a source's share; a token budget may
    draw twice the rows of its estimate). The whole budget, not a source's share, so every mix level of a
    study examines the same rows. None: the whole source (diversity.pool_sample=null)."""
    if diversity.pool_sample is None:
        return None
    per_budget = 4 if data.budget_unit == "rows" else 8
    return data.eval_per_source + max(diversity.pool_sample, per_budget * data.budget)


def filter_enough(
    loaded: dict[str, LoadedSource],
    quality: QualityConfigBase,
    need: int | None,
    split_seed: int,
    heldout: dict[str, list[Example]],
) -> tuple[QualityResult, dict[str, int]]:
    """The quality filters over as much of each source as the run needs (`need` rows kept; None: all of it), so a
    large source costs what the budget needs rather than its size: a source with more valid rows than twice `need`
    is filtered on a seeded random subset of its rows (kept in file order; the same for every mix level and run
    seed), doubled until enough rows pass. Returns the filters' result and the rows examined per source."""
    size = {name: len(source.examples) for name, source in loaded.items()}
    examined = {name: n if need is None else min(n, 2 * need) for name, n in size.items()}
    while True:
        subsets = {name: examined_subset(loaded[name].examples, examined[name], split_seed, name) for name in loaded}
        result = apply_filters(subsets, quality, heldout)
        short = [name for name in loaded if len(result.kept[name]) < (need or 0) and examined[name] < size[name]]
        if not short:
            break
        for name in short:
            examined[name] = min(size[name], 2 * examined[name])
    for name, n in examined.items():
        if n < size[name]:
            log.info(
                "data: source %r is larger than the run needs: the quality filters examined %d of its %d rows",
                name,
                n,
                size[name],
            )
    return result, examined


def examined_subset(rows: list[Example], n: int, split_seed: int, source: str) -> list[Example]:
    """n of the rows, drawn by a seeded permutation and kept in file order (all of them when n covers them)."""
    if n >= len(rows):
        return rows
    chosen = np.sort(source_rng(split_seed, f"examine/{source}").permutation(len(rows))[:n])
    return [rows[i] for i in chosen]


@dataclass
class Pick:
    """One source's rows for a run: the embedded pool sample, and the rows drawn into the train set."""

    sample: list[int]  # indices into the source's train pool that were embedded (all of them when it is small)
    vectors: np.ndarray  # embeddings of the sample rows, in that order
    drawn: list[int]  # indices into the train pool that make this source's share of the train set
    drawn_vectors: np.ndarray  # embeddings of the drawn rows, in that order
    embedded: int  # rows embedded for this pick: the sample, plus drawn rows outside it
    measured: list[int] = field(default_factory=list)  # positions in `sample` of the rows the pool is measured on


@dataclass
class Draw:
    """How the budget was filled: the plan, each source's pick, the rows drawn, and the seconds it took (mostly
    embedding)."""

    plan: MixturePlan
    picks: dict[str, Pick]
    drawn: dict[str, list[int]]  # per source: indices into its train pool
    seconds: float


def draw_train(train_pools: dict[str, list[Example]], inputs: DataStageInputs) -> Draw:
    """Each source's share of the budget, in rows or in tokens (data.budget_unit), picked at the diversity level."""
    start = time.perf_counter()
    plan, picks, drawn = _DRAW_BY_UNIT[inputs.data.budget_unit](train_pools, inputs)
    return Draw(plan, picks, drawn, time.perf_counter() - start)


def draw_by_rows(
    train_pools: dict[str, list[Example]], inputs: DataStageInputs
) -> tuple[MixturePlan, dict[str, Pick], dict[str, list[int]]]:
    weights = inputs.mix.weights
    available = {name: len(train_pools[name]) for name in weights}
    plan = plan_mixture(inputs.data.budget, weights, available, inputs.data.on_short_source)
    # The budget split comes first; the diversity level then picks which rows fill each source's share.
    picks = {
        name: pick_rows(rows, plan.counts.get(name, 0), inputs.diversity, inputs.seed, name, inputs.cache_dir)
        for name, rows in train_pools.items()
    }
    return plan, picks, {name: picks[name].drawn for name in plan.counts}


def draw_by_tokens(
    train_pools: dict[str, list[Example]], inputs: DataStageInputs
) -> tuple[MixturePlan, dict[str, Pick], dict[str, list[int]]]:
    # A token budget draws an open-ended number of rows in the level's order: it embeds the whole pool.
    vectors = {name: embed_rows(rows, inputs.diversity, inputs.cache_dir) for name, rows in train_pools.items()}
    plan, drawn = plan_token_mixture(inputs.data.budget, inputs.mix.weights, train_pools, vectors, inputs.diversity, inputs.seed)
    picks = {}
    for name, rows in train_pools.items():
        sample, at_measured = pool_sample(len(rows), 0, inputs.diversity, name)
        measured = [sample[at] for at in at_measured]  # the whole pool is embedded: row indices are its positions
        taken = drawn.get(name, [])
        picks[name] = Pick(list(range(len(rows))), vectors[name], taken, vectors[name][taken], len(rows), measured)
    return plan, picks, drawn


_DRAW_BY_UNIT = {"rows": draw_by_rows, "tokens": draw_by_tokens}


def pool_sample(pool_size: int, share: int, config: DiversityConfig, source: str) -> tuple[list[int], list[int]]:
    """The rows of a pool that get embedded (sorted), and the positions in that list of the rows the pool's
    measures are taken on.

    Both come from one seeded permutation that depends on neither the run's seed nor its mix, so every run of a
    study embeds the same rows (cached once), and the measured rows, its first `measure_sample`, are the same at
    every level. A selection needs room: low/medium/high embed at least 4x the share; a uniform draw (all)
    selects nothing and embeds just the measured rows."""
    order = source_rng(0, f"pool-sample/{source}").permutation(pool_size)
    if config.pool_sample is None:
        size = measured = pool_size
    else:
        measured = min(config.measure_sample, config.pool_sample)
        size = measured if config.method == "random" else max(config.pool_sample, 4 * share)
    sample = sorted(int(i) for i in order[:size])
    position = {row: at for at, row in enumerate(sample)}
    return sample, sorted(position[int(i)] for i in order[:measured])


def pick_rows(rows: list[Example], n: int, config: DiversityConfig, seed: int, source: str, cache_dir: Path) -> Pick:
    """Embed only what the selection and the measures need: the pool sample, from which every level draws (a
    uniform draw larger than the sample draws from the whole pool, and its rows are embedded too)."""
    sample, at_measured = pool_sample(len(rows), n, config, source)
    # The measured rows apart from the rest, so their embeddings are one cache entry whichever level asks.
    is_measured = set(at_measured)
    order = at_measured + [at for at in range(len(sample)) if at not in is_measured]
    embedded = embed_rows([rows[sample[at]] for at in order], config, cache_dir, split=len(at_measured))
    vectors = np.empty_like(embedded)
    vectors[order] = embedded
    rng = source_rng(seed, source)
    if n == 0:
        return Pick(sample, vectors, [], vectors[:0], len(sample), at_measured)
    if config.method == "random":
        if n <= len(sample):  # a uniform draw from a uniform sample is a uniform draw from the pool: nothing more to embed
            at = draw_indices(len(sample), n, rng)
            return Pick(sample, vectors, [sample[i] for i in at], vectors[at], len(sample), at_measured)
        drawn = draw_indices(len(rows), n, rng)  # more rows than the sample holds: drawn from the pool, embedded
        drawn_vectors = embed_rows([rows[i] for i in drawn], config, cache_dir)
        return Pick(sample, vectors, drawn, drawn_vectors, len(sample) + n, at_measured)
    chosen = diversity.select(vectors, n, config, rng)
    return Pick(sample, vectors, [sample[i] for i in chosen], vectors[chosen], len(sample), at_measured)


def plan_token_mixture(
    budget: int,
    weights: dict[str, float],
    pools: dict[str, list[Example]],
    vectors: dict[str, np.ndarray],
    config: DiversityConfig,
    seed: int,
) -> tuple[MixturePlan, dict[str, list[int]]]:
    """Each source's weight as a share of a trainable-token budget: `budget` rows of the mean response length of
    all sources' rows together (so the budget is the same for every mix), in tokens as the length filter counts
    them. Each source's rows come in its diversity level's order until its share of tokens is reached."""
    lengths = {name: [approx_tokens(assistant_text(e.messages)) for e in rows] for name, rows in pools.items()}
    every = [n for name in weights for n in lengths[name]]
    token_budget = budget * sum(every) / max(len(every), 1)
    counts, drawn, upsampled = {}, {}, {}
    for name, weight in weights.items():
        target = weight * token_budget
        if target <= 0:
            counts[name], drawn[name] = 0, []
            continue
        mean = sum(lengths[name]) / len(lengths[name])
        # Ask for more rows than the share needs (twice the estimate), then keep the prefix that reaches it;
        # a pool smaller than that is repeated, as rows mode upsamples.
        order = diversity.select(vectors[name], math.ceil(2 * target / mean) + 1, config, source_rng(seed, name))
        taken, total = [], 0
        for i in order:
            if total >= target or (taken and abs(total + lengths[name][i] - target) > abs(total - target)):
                break
            taken.append(i)
            total += lengths[name][i]
        counts[name], drawn[name] = len(taken), taken
        upsampled[name] = max(0, len(taken) - len(set(taken)))
    rows = sum(counts.values())
    plan = MixturePlan(requested_budget=budget, budget=rows, counts=counts, available={n: len(p) for n, p in pools.items()})
    plan.upsampled = {name: n for name, n in upsampled.items() if n}
    plan.notes.append(
        f"budget_unit=tokens: {budget} rows x mean response length = {token_budget:.0f} tokens (length-filter count), "
        + ", ".join(f"{name}={counts[name]} rows" for name in weights)
    )
    if plan.upsampled:
        plan.notes.append(f"sources too small for their token share, upsampled by repeating rows: {plan.upsampled}")
    log.info("mixture: %s", plan.notes[0])
    return plan, drawn


def embed_rows(rows: list[Example], config: DiversityConfig, cache_dir: Path, split: int | None = None) -> np.ndarray:
    """Embeddings of the rows, cached by content; `split`: the first `split` rows and the rest are two cache entries."""
    texts = [diversity.embedding_text(e.messages, config.embed) for e in rows]
    parts = [texts] if split is None else [part for part in (texts[:split], texts[split:]) if part]
    return np.concatenate([embed_texts(part, config.embedding_model, cache_dir) for part in parts])


def diversity_report(
    pools: dict[str, list[Example]], picks: dict[str, Pick], config: DiversityConfig, cache_dir: Path | None = None
) -> dict[str, Any]:
    """Measures of the train set, of each source's share and of the pool (its measured rows: the same at every
    level), on one cluster map of those rows."""
    pool_rows = [pools[name][picks[name].sample[at]] for name in pools for at in picks[name].measured]
    pool_vectors = np.concatenate([picks[name].vectors[picks[name].measured] for name in pools])
    clusters = diversity.fit_clusters(pool_vectors, config.measure_clusters, cache_dir)

    def measured(rows: list[Example], vecs: np.ndarray) -> dict[str, Any]:
        tasks = [e.meta["task"] for e in rows] if rows and all(isinstance(e.meta.get("task"), str) for e in rows) else None
        return diversity.measure([e.messages for e in rows], vecs, clusters, tasks)

    drawn = {name: pick for name, pick in picks.items() if pick.drawn}
    per_source = {name: measured([pools[name][i] for i in p.drawn], p.drawn_vectors) for name, p in drawn.items()}
    train_rows = [pools[name][i] for name, p in drawn.items() for i in p.drawn]
    train_vectors = np.concatenate([p.drawn_vectors for p in drawn.values()])
    pool_total = sum(len(rows) for rows in pools.values())
    return {
        "level": config.name,
        "method": config.method,
        "region": config.region,
        "embedding_model": config.embedding_model,
        "embed": config.embed,
        "train": measured(train_rows, train_vectors),
        "sources": per_source,
        "pool": measured(pool_rows, pool_vectors),
        # The pool's measures are on its embedded sample when a source is larger than diversity.pool_sample.
        "pool_rows_total": pool_total,
        "pool_sampled": len(pool_rows) < pool_total,
        "embedded_rows": sum(p.embedded for p in picks.values()),
    }


def length_summary(examples: list[Example]) -> dict[str, dict[str, float]]:
    """Percentiles of instruction and response lengths, in tokens as the length filter counts them."""
    out = {}
    for side, text in (("instruction", user_text), ("response", assistant_text)):
        lengths = np.array([approx_tokens(text(e.messages)) for e in examples] or [0])
        out[side] = {
            "mean": round(float(lengths.mean()), 1),
            "min": int(lengths.min()),
            **{f"p{q}": int(np.percentile(lengths, q)) for q in (10, 50, 90)},
            "max": int(lengths.max()),
        }
    return out


def examples_hash(examples: list[Example]) -> str:
    """Content hash of a row list, order included: equal hashes mean identical training input."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps(example.messages, ensure_ascii=False, sort_keys=True).encode())
        digest.update(b"\n")
    return digest.hexdigest()
