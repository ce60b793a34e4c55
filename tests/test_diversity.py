"""Diversity: the measures on known inputs, the selection methods, low < medium < high on real data, and the
embedding cache (a second run over an unchanged pool embeds nothing)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sft_ablate.data import embeddings, prepare
from sft_ablate.data.diversity import (
    cluster_entropy,
    distinct_n,
    leading_word,
    mean_cosine_distance,
    measure,
    select,
)
from sft_ablate.data.formats import to_messages
from sft_ablate.data.mixture import source_rng
from sft_ablate.data.prepare import code_files, data_cache_key, embed_rows, prepare_data
from sft_ablate.data.schema import DiversityConfig, SourceConfig
from sft_ablate.data.sources import load_source
from sft_ablate.errors import ConfigError
from sft_ablate.paths import SAMPLE_DATA_DIR
from sft_ablate.run import data_stage_inputs
from tests.conftest import compose_config, shared_file

LEVELS = ("low", "medium", "high")


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


@pytest.fixture
def sent_to_encoder(monkeypatch) -> list[str]:
    """Every text the embedding model is asked to encode during the test (a cache hit asks for none)."""
    sent: list[str] = []
    real_encoder = embeddings._encoder

    def counting_encoder(model: str):
        encoder = real_encoder(model)

        def encode(texts, **kwargs):
            sent.extend(texts)
            return encoder.encode(texts, **kwargs)

        return SimpleNamespace(encode=encode)

    monkeypatch.setattr(embeddings, "_encoder", counting_encoder)
    return sent


# ---------------------------------------------------------------- measures on known inputs


def test_distinct_n():
    assert distinct_n(["a b a b"], 1) == 0.5  # 2 distinct of 4
    assert distinct_n(["a b a b"], 2) == round(2 / 3, 4)  # (a b), (b a), (a b)
    assert distinct_n(["a b", "a b"], 2) == 0.5
    assert distinct_n([""], 2) == 0.0


def test_mean_cosine_distance():
    same = unit(np.ones((5, 4)))
    assert mean_cosine_distance(same) == pytest.approx(0.0, abs=1e-6)
    assert mean_cosine_distance(np.eye(4)) == pytest.approx(1.0)
    opposite = np.array([[1.0, 0.0], [-1.0, 0.0]])
    assert mean_cosine_distance(opposite) == pytest.approx(2.0)


def test_mean_cosine_distance_matches_the_pairwise_definition():
    vectors = unit(np.random.default_rng(0).normal(size=(30, 8)))
    sims = vectors @ vectors.T
    pairwise = 1 - sims[np.triu_indices(30, k=1)].mean()
    assert mean_cosine_distance(vectors) == pytest.approx(pairwise, abs=1e-4)


def test_cluster_entropy_counts_rows_per_cluster():
    centers = np.eye(4)
    even = np.repeat(np.eye(4), 3, axis=0)
    assert cluster_entropy(even, centers)["cluster_entropy"] == pytest.approx(2.0)  # 4 equal clusters: 2 bits
    one = np.repeat(np.eye(4)[:1], 12, axis=0)
    assert cluster_entropy(one, centers) == {
        "cluster_entropy": 0.0,
        "cluster_entropy_normalized": 0.0,
        "clusters_hit": 1,
        "clusters": 4,
    }


def test_leading_words_skip_polite_openings():
    assert leading_word("Could you please write a haiku?") == "write"
    assert leading_word("Convert 5 km to miles.") == "convert"
    assert leading_word("What is 2 + 2?") == "what"


def test_measure_reports_every_figure():
    rows = [
        to_messages({"prompt": p, "completion": c})
        for p, c in [("Write a poem", "Roses are red"), ("Convert 5 km", "3.1 miles"), ("Write a song", "La la la")]
    ]
    m = measure(rows, unit(np.eye(3)), tasks=["poem", "units", "poem"])
    assert m["rows"] == 3 and m["mean_cosine_distance"] == pytest.approx(1.0)
    assert m["leading_words"] == 2 and m["top_leading_words"] == {"write": 2, "convert": 1}
    assert m["tasks"] == 2
    for key in (
        "distinct_1_instruction",
        "distinct_2_instruction",
        "distinct_1_response",
        "distinct_2_response",
        "cluster_entropy",
        "leading_word_entropy",
    ):
        assert key in m


# ---------------------------------------------------------------- selection


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    """Eight tight groups of 25 points: a pool with obvious structure."""
    rng = np.random.default_rng(0)
    centers = unit(rng.normal(size=(8, 16)))
    return unit(np.repeat(centers, 25, axis=0) + 0.15 * rng.normal(size=(200, 16)))


@pytest.mark.parametrize("level", ["all", *LEVELS])
def test_selection_fills_the_budget_with_distinct_seeded_rows(blobs, level):
    config = compose_config([f"diversity={level}"]).diversity
    picked = select(blobs, 40, config, source_rng(0, "s"))
    assert len(picked) == len(set(picked)) == 40 and all(0 <= i < 200 for i in picked)
    assert picked == select(blobs, 40, config, source_rng(0, "s"))  # seeded
    assert picked != select(blobs, 40, config, source_rng(1, "s"))


@pytest.mark.parametrize("level", ["all", *LEVELS])
def test_a_pool_smaller_than_the_share_is_taken_whole_and_repeated(blobs, level):
    config = compose_config([f"diversity={level}"]).diversity
    picked = select(blobs[:30], 45, config, source_rng(0, "s"))
    assert len(picked) == 45 and set(picked) == set(range(30))


def test_levels_order_on_structured_data(blobs):
    for seed in range(3):
        scores = [
            mean_cosine_distance(
                blobs[select(blobs, 30, compose_config([f"diversity={level}"]).diversity, source_rng(seed, "s"))]
            )
            for level in LEVELS
        ]
        assert scores[0] < scores[1] < scores[2], scores


def test_bad_diversity_settings_are_config_errors():
    with pytest.raises(ConfigError, match="diversity.method must be one of"):
        compose_config(["diversity.method=clusters"])
    with pytest.raises(ConfigError, match="diversity.region must be in"):
        compose_config(["diversity=medium", "diversity.region=1.5"])


# ---------------------------------------------------------------- real embeddings (all-MiniLM-L6-v2, offline)


def level_scores(pools: dict, vectors: dict, budgets: dict, seed: int) -> dict[str, float]:
    """Mean cosine distance of the train set each level selects, as prepare_data selects it (per source)."""
    scores = {}
    for level in LEVELS:
        config = compose_config([f"diversity={level}"]).diversity
        chosen = [vectors[name][select(vectors[name], budgets[name], config, source_rng(seed, name))] for name in pools]
        scores[level] = mean_cosine_distance(np.concatenate(chosen))
    return scores


@pytest.mark.slow
def test_levels_rise_strictly_on_the_bundled_data(cache_dir):
    data = prepare_data(data_stage_inputs(compose_config(["model=tiny"])))  # the default budget: 64 rows from each ~290-row pool
    budgets = {name: len(idx) for name, idx in data.drawn.items()}
    for seed in range(3):
        scores = level_scores(data.train_pools, {n: p.vectors for n, p in data.picks.items()}, budgets, seed)
        assert scores["low"] < scores["medium"] < scores["high"], (seed, scores)


@pytest.mark.slow
def test_levels_rise_strictly_on_the_self_instruct_seed_tasks(cache_dir):
    path = shared_file("instructions/self_instruct_seed_tasks.jsonl")
    rows = load_source("seed", SourceConfig(path=str(path)), "fail").examples
    assert len(rows) == 175
    vectors = embed_rows(rows, DiversityConfig(name="x"), cache_dir)
    for seed in range(3):
        scores = level_scores({"seed": rows}, {"seed": vectors}, {"seed": 64}, seed)
        assert scores["low"] < scores["medium"] < scores["high"], (seed, scores)


@pytest.mark.slow
def test_a_run_records_diversity_and_the_level_changes_the_rows(cache_dir):
    runs = {
        level: prepare_data(data_stage_inputs(compose_config(["model=tiny", f"diversity={level}"])))
        for level in ("all", "low", "high")
    }
    hashes = {level: d.report["train_hash"] for level, d in runs.items()}
    assert len(set(hashes.values())) == 3
    assert len({d.report["eval_hash"] for d in runs.values()}) == 1  # every level is scored on the same held-out rows
    assert len({json.dumps(d.report["diversity"]["pool"]) for d in runs.values()}) == 1  # and measured on the same pool
    for level, data in runs.items():
        div = data.report["diversity"]
        assert div["level"] == level and div["sources"].keys() == {"human", "synthetic"}
        assert data.report["budget"] == len(data.train) == 128  # the same budget at every level
        # The pool is measured on the same 256 rows of each ~290-row pool at every level (measure_sample).
        held_out = 2 * compose_config(["model=tiny"]).data.eval_per_source
        kept = sum(source["rows_kept"] for source in data.report["sources"].values())  # 613 read, less the filters' cuts
        assert kept >= 600  # decontamination drops a human row or so against the public sets in the data dir
        assert div["train"]["rows"] == 128 and div["pool"]["rows"] == 512 and div["pool_rows_total"] == kept - held_out
        assert div["train"]["tasks"] <= 14  # the bundled data's `task` field gives task coverage
    # At 128 of ~550 rows both levels touch all 14 tasks; low spreads over them less evenly, and less far apart.
    low, high = (runs[level].report["diversity"]["train"] for level in ("low", "high"))
    assert low["task_entropy"] < high["task_entropy"] and low["mean_cosine_distance"] < high["mean_cosine_distance"]


@pytest.mark.slow
def test_an_unchanged_pool_is_never_embedded_twice(cache_dir, tmp_path, sent_to_encoder):
    rows = (SAMPLE_DATA_DIR / "human.jsonl").read_text().splitlines()
    own = tmp_path / "own.jsonl"
    own.write_text("".join(line + "\n" for line in rows[:120]))
    overrides = ["model=tiny", f"data.sources.human.path={own}", f"paths.cache_dir={tmp_path / 'cache'}"]
    first = prepare_data(data_stage_inputs(compose_config(overrides)))
    embedded = len(sent_to_encoder)
    # The sample of each train pool, once: the whole of the small own source, 256 rows of the bundled one.
    assert embedded == sum(min(len(rows), 256) for rows in first.train_pools.values())
    assert list((tmp_path / "cache" / "embeddings").glob("*.npy"))

    again = prepare_data(data_stage_inputs(compose_config([*overrides, "diversity=high", "mix=30_70", "seed=1"])))
    # Another level, mix and seed: the measured rows come from the cache; only a selection's extra rows are new.
    extra = sum(max(0, len(rows) - 256) for rows in first.train_pools.values())
    assert len(sent_to_encoder) == embedded + extra
    assert again.report["train_hash"] != first.report["train_hash"]

    own.write_text(
        own.read_text()
        + json.dumps(
            {
                "messages": [
                    {"role": "user", "content": "A brand new question?"},
                    {"role": "assistant", "content": "A new answer."},
                ]
            }
        )
        + "\n"
    )
    prepare_data(data_stage_inputs(compose_config(overrides)))
    changed = len(sent_to_encoder) - embedded - extra
    assert 0 < changed <= len(first.train_pools["human"]) + 1  # only the changed source is embedded again


def test_the_data_cache_key_covers_all_the_code_the_data_stage_imports(monkeypatch, tmp_path):
    modules = code_files("sft_ablate.data.prepare")
    stage = ["prepare", "sources", "formats", "quality", "mixture", "diversity", "embeddings"]
    assert {*(f"sft_ablate.data.{m}" for m in stage), "sft_ablate.io", "sft_ablate.cache"} <= modules.keys()
    assert not {"sft_ablate.run", "sft_ablate.training.trainer", "numpy"} & modules.keys()  # only our modules, only its own

    config = compose_config(["model=tiny", f"paths.cache_dir={tmp_path}"])
    key = data_cache_key(data_stage_inputs(config))
    real_fingerprint = prepare.file_fingerprint
    edited = modules["sft_ablate.io"]  # a module outside the data package that the stage reads with
    monkeypatch.setattr(prepare, "file_fingerprint", lambda path: "edited" if path == edited else real_fingerprint(path))
    assert data_cache_key(data_stage_inputs(config)) != key


def test_the_embedding_model_loads_from_its_offline_package():
    location = embeddings.model_location(embeddings.MINILM)
    assert (Path(location) / "config.json").exists()
    assert embeddings.model_location("my-org/my-model") == "my-org/my-model"  # anything else: as given (hub or dir)


def test_a_pool_larger_than_its_sample_embeds_only_the_sample_and_the_drawn_rows(cache_dir, tmp_path, sent_to_encoder):
    """The data stage is bounded by the budget: with diversity.pool_sample below the pool, only that many rows per
    source (plus, for a uniform draw, the drawn rows outside it) reach the encoder, and results.json says so."""
    overrides = ["model=tiny", "data.budget=16", "diversity.pool_sample=40", f"paths.cache_dir={tmp_path / 'cache'}"]
    data = prepare_data(data_stage_inputs(compose_config(overrides)))
    div = data.report["diversity"]
    sources = data.report["sources"].values()
    # The filters examined 2 x (the eval rows + 4 x the budget) rows of each ~290-row source, not all of it.
    examined = 2 * (compose_config(overrides).data.eval_per_source + 4 * 16)
    assert [s["rows_examined"] for s in sources] == [examined, examined] and examined < 290
    assert div["pool_sampled"] and div["pool"]["rows"] == 80
    assert div["pool_rows_total"] == sum(s["rows_available"] for s in sources) < 581
    assert len(sent_to_encoder) == div["embedded_rows"] <= 80 + 16
    for pick in data.picks.values():
        assert len(pick.sample) == len(pick.vectors) == 40 and len(pick.drawn) == len(pick.drawn_vectors) == 8
        assert pick.sample == sorted(set(pick.sample))
    # A selection picks from the sample; the sample itself does not move with the run's seed or level.
    high = prepare_data(data_stage_inputs(compose_config([*overrides, "diversity=high", "seed=1"])))
    for name, pick in high.picks.items():
        assert pick.sample == data.picks[name].sample and set(pick.drawn) <= set(pick.sample)


def _large_source(path: Path, rows: int, duplicates: int = 1) -> Path:
    """`rows` distinct prompt/completion rows made from the bundled ones (each written `duplicates` times)."""
    bundled = [json.loads(line)["messages"] for line in (SAMPLE_DATA_DIR / "human.jsonl").read_text().splitlines()]
    with path.open("w") as f:
        for i in range(rows):
            messages = bundled[i % len(bundled)]
            row = {"prompt": f"Case {i}: {messages[0]['content']}", "completion": f"For case {i}: {messages[-1]['content']}"}
            f.write((json.dumps(row) + "\n") * duplicates)
    return path


@pytest.mark.slow
def test_a_large_source_is_filtered_only_as_far_as_the_budget_needs(cache_dir, tmp_path):
    """The quality filters examine a seeded subset of a source much larger than the run needs; every mix level
    and seed examines the same rows, so the held-out rows do not move."""
    source = _large_source(tmp_path / "large.jsonl", 3000)
    base = ["model=tiny", f"data.sources.human.path={source}", "data.budget=16", "diversity.pool_sample=64"]
    runs = [
        prepare_data(data_stage_inputs(compose_config([*base, f"mix={mix}", f"seed={seed}"])))
        for mix, seed in [("30_70", 0), ("70_30", 1)]
    ]
    need = compose_config(base).data.eval_per_source + 64
    for data in runs:
        human = data.report["sources"]["human"]
        assert human["rows_valid"] == 3000 and human["rows_examined"] == 2 * need
        assert human["rows_kept"] == 2 * need - sum(human["removed"].values())
        assert all(row.origin.startswith(str(source)) for row in data.pool["human"].examples)
    assert runs[0].report["eval_hash"] == runs[1].report["eval_hash"]
    assert runs[0].report["train_hash"] != runs[1].report["train_hash"]


@pytest.mark.slow
def test_when_too_few_examined_rows_pass_the_filters_more_are_examined(cache_dir, tmp_path):
    source = _large_source(tmp_path / "copies.jsonl", 90, duplicates=40)  # 90 distinct rows, 40 copies of each
    overrides = ["model=tiny", f"data.sources.human.path={source}", "data.budget=16", "diversity.pool_sample=64"]
    config = compose_config([*overrides, "data.eval_per_source=16"])  # 16 + 64 rows needed: fewer than the 90 distinct
    need = config.data.eval_per_source + 64
    human = prepare_data(data_stage_inputs(config)).report["sources"]["human"]
    assert human["rows_examined"] > 2 * need and human["rows_kept"] >= need  # doubled until enough rows passed
    assert human["removed"]["exact_dedup"] > 0
