"""Whatever a study varies is a factor: the report reads the factors from the runs' identities (issue 24)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from sft_ablate.identity import NO_DEFAULT, flat_settings, setting_default
from sft_ablate.paths import PROJECT_ROOT
from sft_ablate.report import build_report
from sft_ablate.report.runs import factor_name, find_runs, level_order, runs_frame, setting_keys, study_factors
from tests.conftest import run_cli
from tests.report_runs import write_run
from tests.test_packaging import SMALL


def factors_of(root) -> dict[str, tuple[str, ...]]:
    runs = find_runs(root)
    frame = runs_frame(runs)
    complete = frame[frame["status"] == "complete"]
    return {f.name: f.keys for f in study_factors(complete, setting_keys(runs))}


def grid(root, settings: dict[str, list], seeds=(0, 1), mix="50_50", loss=lambda i, seed: 2.5 - 0.1 * i + 0.01 * seed):
    """A one-setting grid x seeds: level i of each setting runs with the i-th value of every list."""
    levels = len(next(iter(settings.values())))
    for i in range(levels):
        for seed in seeds:
            chosen = {key: values[i] for key, values in settings.items()}
            write_run(root, f"l{i}_s{seed}", mix=mix, seed=seed, eval_loss=loss(i, seed), settings=chosen)


def test_epochs_times_two_seeds_is_a_factor_with_two_levels_not_one_row_of_all(tmp_path):
    grid(tmp_path, {"train.epochs": [1.0, 2.0]})
    assert factors_of(tmp_path) == {"train.epochs": ("train.epochs",)}
    report = build_report(tmp_path)
    table = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_by_train.epochs.csv")
    assert list(table["train.epochs"]) == [1, 2] and list(table["n"]) == [2, 2]
    assert table.loc[1, "eval_loss_delta"] == pytest.approx(-0.1) and table.loc[1, "eval_loss_delta_paired"]
    markdown = report.markdown.read_text()
    assert "Varied: train.epochs; seeds: 0, 1." in markdown and "By train.epochs: mean ± 95% CI" in markdown
    assert "**Verdict on train.epochs:" in markdown and re.search(r"\| train\.epochs +\| n +\| eval loss", markdown)
    assert not (report.out_dir / "tables" / "mix_ratio_tiny_overall.csv").exists()  # no row `all` averaging both
    assert (report.out_dir / "plots" / "mix_ratio_tiny_vs_train.epochs.png").exists()
    runs_csv = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_runs.csv")
    assert "train.epochs" in runs_csv.columns


def test_a_mix_s_weights_move_with_its_name_as_one_factor_mix(tmp_path):
    for mix in ("30_70", "70_30"):
        for seed in (0, 1):
            write_run(tmp_path, f"{mix}_s{seed}", mix=mix, seed=seed, eval_loss=2.5)
    assert factors_of(tmp_path) == {"mix": ("mix.name", "mix.weights.synthetic", "mix.weights.human")}
    markdown = build_report(tmp_path).markdown.read_text()
    assert "Varied: mix; seeds: 0, 1." in markdown


def test_a_source_path_grid_is_a_factor_named_by_its_path(tmp_path):
    grid(tmp_path, {"data.sources.human.path": ["/data/human_v1.jsonl", "/data/human_v2.jsonl"]})
    assert list(factors_of(tmp_path)) == ["data.sources.human.path"]
    report = build_report(tmp_path, baselines={"data.sources.human.path": "/data/human_v2.jsonl"})
    table = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_by_data.sources.human.path.csv")
    assert list(table["data.sources.human.path"]) == ["/data/human_v1.jsonl", "/data/human_v2.jsonl"]
    assert list(table["n"]) == [2, 2] and table.loc[0, "eval_loss_delta"] == pytest.approx(0.1)
    # each level is scored on its own version's human rows: no items to pair on there, and an in-distribution test
    row = table.loc[0]
    assert row["eval_loss_delta_basis"] == row["eval_loss_by_source/human_delta_basis"] == "seeds only"
    assert row["eval_loss_by_source/synthetic_delta_basis"] == "seeds × items"
    assert (
        row["eval_loss_by_source/human_delta_in_distribution"]
        == "each level is scored on its own human rows (data.sources.human differs)"
    )
    assert pd.isna(row["eval_loss_by_source/synthetic_delta_in_distribution"])  # the same rows, the same mix: fair


def test_crossed_factors_pair_on_the_seed_and_each_other(tmp_path):
    for mix in ("30_70", "70_30"):
        for i, epochs in enumerate((1.0, 2.0)):
            for seed in (0, 1):
                loss = 2.5 - (0.2 if mix == "70_30" else 0) - 0.1 * i + 0.01 * seed
                write_run(tmp_path, f"{mix}_e{i}_s{seed}", mix=mix, seed=seed, eval_loss=loss, settings={"train.epochs": epochs})
    assert list(factors_of(tmp_path)) == ["mix", "train.epochs"]  # known factors first, then by path
    report = build_report(tmp_path)
    by_mix = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_by_mix.csv").set_index("mix")
    assert list(by_mix["n"]) == [4, 4] and by_mix.loc["70_30", "eval_loss_delta_n"] == 4  # 4 pairs: seed x epochs
    assert by_mix.loc["70_30", "eval_loss_delta"] == pytest.approx(-0.2) and by_mix.loc["70_30", "eval_loss_delta_paired"]
    markdown = report.markdown.read_text()
    assert "Varied: mix, train.epochs; seeds: 0, 1." in markdown and "paired by seed and train.epochs" in markdown


def test_settings_in_lockstep_are_one_factor(tmp_path):
    grid(tmp_path, {"train.epochs": [1.0, 2.0], "train.max_steps": [10, 20]})
    assert factors_of(tmp_path) == {"train.epochs": ("train.epochs", "train.max_steps")}
    markdown = build_report(tmp_path).markdown.read_text()
    assert "Varied: train.epochs (with train.max_steps); seeds" in markdown


def test_a_config_group_field_its_option_s_name_does_not_set_is_a_factor_of_its_own(tmp_path):
    grid(tmp_path, {"lora.dropout": [0.0, 0.1]})  # lora=none in every run: the name does not vary, its field does
    assert factors_of(tmp_path) == {"lora.dropout": ("lora.dropout",)}


def test_a_lora_rank_set_under_one_option_name_is_a_factor_by_its_path(tmp_path):
    grid(tmp_path, {"lora.name": ["r8", "r8"], "lora.enabled": [True, True], "lora.r": [4, 16]})
    assert factors_of(tmp_path) == {"lora.r": ("lora.r",)}


def test_an_optuna_study_s_mixes_that_share_a_name_are_told_apart_by_their_fraction(tmp_path):
    """The sweeper names a mix by its rounded percentage: 0.30 and 0.31 are both 30_70."""
    for i, fraction in enumerate((0.3, 0.31, 0.7)):
        name = "30_70" if fraction < 0.5 else "70_30"
        weights = {"mix.name": name, "mix.weights.synthetic": fraction, "mix.weights.human": round(1 - fraction, 6)}
        write_run(tmp_path, f"trial_{i}", mix="30_70", seed=0, eval_loss=2.5, settings=weights)
    assert factors_of(tmp_path) == {
        "synthetic_fraction": ("mix.name", "mix.weights.synthetic", "mix.weights.human")
    }  # fmt: skip


def test_levels_sort_numbers_numerically_and_a_schema_default_fills_an_unrecorded_setting(tmp_path):
    for i, length in enumerate((1024, 128, None)):  # the third run predates the field: it ran at the default
        settings = {"train.max_length": length}
        write_run(tmp_path, f"l{i}", mix="50_50", seed=0, eval_loss=2.5, settings=settings)
        if length is None:
            results = json.loads((tmp_path / f"l{i}" / "results.json").read_text())
            del results["config"]["train"]["max_length"]
            (tmp_path / f"l{i}" / "results.json").write_text(json.dumps(results))
    frame = runs_frame(find_runs(tmp_path))
    assert level_order(frame, "train.max_length") == [128, 384, 1024]  # not "1024" < "128"; 384 is the default
    assert setting_default("train.max_length") == 384 and setting_default("data.sources.any.kind") == "human"
    assert setting_default("mix.weights.human") is NO_DEFAULT and setting_default("no.such.key") is NO_DEFAULT
    assert flat_settings({"a": {"b": 1, "c": [1, 2]}, "d": {}}) == {"a.b": 1, "a.c": [1, 2], "d": {}}


def test_older_runs_without_a_config_fall_back_to_their_recorded_factors(tmp_path):
    for mix in ("30_70", "70_30"):
        for seed in (0, 1):
            write_run(tmp_path, f"{mix}_s{seed}", mix=mix, seed=seed, eval_loss=2.5, recorded_config=False)
    assert list(factors_of(tmp_path)) == ["mix"]
    table = pd.read_csv(build_report(tmp_path).out_dir / "tables" / "mix_ratio_tiny_by_mix.csv")
    assert list(table["mix"]) == ["30_70", "70_30"] and list(table["n"]) == [2, 2]


def test_factor_names_keep_the_short_names_and_the_optuna_tables_use_them():
    assert [factor_name(k) for k in ("train.learning_rate", "mix.name", "mix", "+train.epochs", "synthetic_fraction")] == [
        "learning_rate",
        "mix",
        "mix",
        "train.epochs",
        "synthetic_fraction",
    ]
    import optuna

    from sft_ablate.report.study import StudyInfo, best_trial_table, trials_table

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    space = {"train.learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-2, log=True)}
    space["train.epochs"] = optuna.distributions.IntDistribution(1, 3)
    for value, (lr, epochs) in enumerate([(1e-3, 1), (3e-3, 2)]):
        params = {"train.learning_rate": lr, "train.epochs": epochs}
        study.add_trial(optuna.trial.create_trial(params=params, distributions=space, value=float(value)))
    info = StudyInfo(dir=None, name="s", storage="", objective="metrics.eval_loss", direction="minimize", n_trials=2)
    assert {"learning_rate", "train.epochs"} <= set(trials_table(study, info, "t").data.columns)
    assert "param: learning_rate" in set(best_trial_table(study, info, "b").data["key"])


@pytest.mark.slow  # four tiny runs through the CLI, then the report's CLI
def test_a_real_epochs_grid_is_reported_by_train_epochs(tmp_path, cache_dir):
    sweep = tmp_path / "sweep"
    proc = run_cli(["-m", *SMALL, "train.epochs=1,2", "seed=0,1", f"hydra.sweep.dir={sweep}"], cwd=tmp_path, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = subprocess.run(
        [sys.executable, "-m", "sft_ablate.report", str(sweep)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr[-3000:]
    markdown = (sweep / "report" / "report.md").read_text()
    print("\n".join(line for line in markdown.splitlines() if "Varied:" in line or line.startswith("| train.epochs")))
    assert "Varied: train.epochs; seeds: 0, 1." in markdown and "Verdict on train.epochs" in report.stdout
    table = pd.read_csv(sweep / "report" / "tables" / "default_tiny_by_train.epochs.csv")
    assert list(table["train.epochs"]) == [1, 2] and list(table["n"]) == [2, 2]


def test_a_setting_drawn_per_seed_is_part_of_the_replicate_not_a_factor(tmp_path):
    """An A/A study draws its data halves per seed (path: half_a_${seed}.jsonl): each seed holds one path."""
    for mix in ("30_70", "70_30"):
        for seed in (0, 1, 2):
            settings = {"data.sources.human.path": f"/data/half_{seed}.jsonl"}
            write_run(tmp_path, f"{mix}_s{seed}", mix=mix, seed=seed, eval_loss=2.5, settings=settings)
    assert set(factors_of(tmp_path)) == {"mix"}
    grid(tmp_path / "one_seed", {"data.sources.human.path": ["/a.jsonl", "/b.jsonl"]}, seeds=(0,))
    assert set(factors_of(tmp_path / "one_seed")) == {"data.sources.human.path"}  # one seed: a path is a factor
