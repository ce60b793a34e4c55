"""The ablation report: arithmetic (CIs, paired deltas), sections present or absent, files written."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sft_ablate.report import ReportError, build_report
from sft_ablate.report import stats as seed_only
from sft_ablate.report.inference import delta, estimate
from sft_ablate.report.stats import mean_ci
from tests.conftest import PROJECT_ROOT
from tests.report_runs import mix_ratio_runs, read_matrix, write_run


def test_mean_ci_is_the_student_t_interval():
    x = [2.5, 2.6, 2.55]
    est = mean_ci(x)
    low, high = stats.t.interval(0.95, 2, loc=np.mean(x), scale=stats.sem(x))
    assert (est.n, est.mean, est.low, est.high) == (3, pytest.approx(2.55), pytest.approx(low), pytest.approx(high))
    assert math.isnan(mean_ci([1.0]).low) and mean_ci([]).n == 0
    assert mean_ci([2.0, 2.0]).low == 2.0  # identical values: a point, not nan


def test_delta_is_paired_when_seeds_match_else_welch():
    base = pd.Series([2.50, 2.60, 2.55], index=[0, 1, 2])
    level = pd.Series([2.30, 2.41, 2.34], index=[0, 1, 2])
    paired = seed_only.delta(level, base)
    expected = stats.ttest_rel(level, base).confidence_interval(0.95)
    assert paired.paired and paired.n == 3
    assert (paired.low, paired.high) == (pytest.approx(expected.low), pytest.approx(expected.high))
    assert paired.significant and paired.mean == pytest.approx(-0.2)
    unpaired = seed_only.delta(pd.Series([2.30, 2.41, 2.34], index=[5, 6, 7]), base)
    welch = stats.ttest_ind([2.30, 2.41, 2.34], base, equal_var=False).confidence_interval(0.95)
    assert not unpaired.paired and unpaired.low == pytest.approx(welch.low)
    noise = seed_only.delta(pd.Series([2.52, 2.58, 2.56], index=[0, 1, 2]), base)
    assert not noise.significant  # the CI straddles 0


def test_mix_ratio_report_has_three_rows_of_mean_and_ci_over_seeds_and_items(tmp_path):
    losses = mix_ratio_runs(tmp_path)
    write_run(tmp_path, "70_30_s3", mix="70_30", seed=3, eval_loss=99.0, status="failed")  # must not be averaged
    report = build_report(tmp_path)
    table = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_by_mix.csv")
    assert list(table["mix"]) == ["30_70", "50_50", "70_30"] and list(table["n"]) == [3, 3, 3]
    runs = {mix: [f"{mix}_s{seed}" for seed in range(3)] for mix in losses}
    for row, mix in zip(table.to_dict("records"), table["mix"]):
        x, tokens = read_matrix(tmp_path, runs[mix], "eval")
        est = estimate(x, tokens)  # the crossed model: 3 runs x 32 held-out rows, token-weighted
        assert row["eval_loss_mean"] == pytest.approx(np.mean(losses[mix])) == pytest.approx(est.mean)
        assert (row["eval_loss_ci_low"], row["eval_loss_ci_high"]) == (pytest.approx(est.low), pytest.approx(est.high))
        assert (row["eval_loss_n_items"], row["eval_loss_basis"]) == (32, "seeds × items")
        # the items are a sample too: wider than the interval over seeds alone
        assert est.high - est.low > mean_ci(losses[mix]).high - mean_ci(losses[mix]).low
    by_mix = table.set_index("mix")
    base, _ = read_matrix(tmp_path, runs["30_70"], "eval")
    x, tokens = read_matrix(tmp_path, runs["70_30"], "eval")
    d = delta(base, x, tokens)  # paired on seed and on item
    row = by_mix.loc["70_30"]
    assert (row["eval_loss_delta"], row["eval_loss_delta_ci_low"], row["eval_loss_delta_p"]) == pytest.approx(
        (d.mean, d.low, d.p)
    )
    assert row["eval_loss_delta"] == pytest.approx(-0.2, abs=0.01) and row["eval_loss_delta_paired"]
    assert row["eval_loss_delta_significant"] and row["eval_loss_delta_n"] == 3 and row["eval_loss_delta_n_items"] == 32
    assert not by_mix.loc["50_50", "eval_loss_delta_significant"]
    markdown = report.markdown.read_text()
    base_mean = estimate(base, tokens)
    assert f"| 30_70 | 3   | 2.550 ± {(base_mean.high - base_mean.low) / 2:.3f} | baseline" in markdown
    assert "↑*" in markdown  # 70_30's significant improvement in loss
    incomplete = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_incomplete.csv")
    assert list(incomplete["run"]) == ["70_30_s3"] and list(incomplete["status"]) == ["failed"]


def test_runs_without_item_scores_fall_back_to_the_t_over_seeds(tmp_path):
    """Older runs: no item_scores.jsonl. Their means and deltas are today's Student t and paired t, marked."""
    losses = mix_ratio_runs(tmp_path, items=False)
    report = build_report(tmp_path)
    table = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_by_mix.csv").set_index("mix")
    for mix, values in losses.items():
        est = mean_ci(values)
        assert (table.loc[mix, "eval_loss_ci_low"], table.loc[mix, "eval_loss_ci_high"]) == pytest.approx((est.low, est.high))
        assert table.loc[mix, "eval_loss_basis"] == "seeds only"
    paired = stats.ttest_rel(losses["70_30"], losses["30_70"])
    assert table.loc["70_30", "eval_loss_delta_p"] == pytest.approx(paired.pvalue)
    assert table.loc["70_30", "eval_loss_delta_ci_low"] == pytest.approx(paired.confidence_interval().low)
    markdown = report.markdown.read_text()
    assert "| 30_70 | 3   | 2.550 ± 0.124 | baseline" in markdown and "(seeds only) ↑*" in markdown
    assert "Over seeds only (runs without item_scores.jsonl, or levels scored on different items): eval loss." in markdown


def test_without_benchmarks_or_elo_there_are_no_such_columns(tmp_path):
    mix_ratio_runs(tmp_path)
    report = build_report(tmp_path)
    markdown = report.markdown.read_text()
    assert "Elo" not in markdown and "Leaderboard" not in markdown and "win rate" not in markdown
    assert not (report.out_dir / "tables" / "mix_ratio_tiny_leaderboard.csv").exists()


def test_benchmarks_elo_and_diversity_become_columns_leaderboard_and_data(tmp_path):
    for i, mix in enumerate(["30_70", "70_30"]):
        for seed in (0, 1):
            write_run(
                tmp_path,
                f"{mix}_s{seed}",
                mix=mix,
                seed=seed,
                eval_loss=2.5 - 0.1 * i,
                benchmarks={"arc_easy": {"acc": 0.4 + 0.05 * i + 0.01 * seed, "acc_stderr": 0.03}},
                elo={
                    "rating": 1010 + 20 * i + seed,
                    "ci_low": 990 + 20 * i,
                    "ci_high": 1030 + 20 * i,
                    "win_rate_vs_base": 0.55 + 0.1 * i,
                    "win_rate_ci_low": 0.45,
                    "win_rate_ci_high": 0.7,
                    "mean_answer_length": 120.0 + i,
                },
                diversity={
                    "train": {
                        "distinct_2_instruction": 0.5 + 0.1 * i,
                        "mean_cosine_distance": 0.7,
                        "top_leading_words": {"what": 3},
                    },
                    "pool": {"mean_cosine_distance": 0.9},
                },
            )
    report = build_report(tmp_path, baselines={"mix": "70_30"})
    table = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_by_mix.csv").set_index("mix")
    assert table.loc["30_70", "bench/arc_easy/acc_delta"] == pytest.approx(-0.05)
    assert table.loc["30_70", "elo/rating_mean"] == pytest.approx(1010.5)
    assert "bench/arc_easy/acc_stderr_mean" not in table.columns  # stderr is not a metric of its own
    board = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_leaderboard.csv")
    assert list(board["run"])[0] == "70_30_s1" and "elo/mean_answer_length" in board
    runs = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_runs.csv")
    assert {
        "data/rows/synthetic",
        "data/train_tokens",
        "data/diversity/distinct_2_instruction",
        "data/diversity/mean_cosine_distance",
    } <= set(runs.columns)
    assert not [c for c in runs.columns if "leading_words" in c or "pool" in c]  # headline figures only
    markdown = report.markdown.read_text()
    assert "Δ vs mix=70_30" in markdown and "arc_easy acc" in markdown and "win rate vs base" in markdown


def test_files_written_and_html_is_self_contained(tmp_path):
    mix_ratio_runs(tmp_path)
    report = build_report(tmp_path)
    plots = sorted(p.name for p in (report.out_dir / "plots").glob("*.png"))
    assert "mix_ratio_tiny_vs_synthetic_fraction.png" in plots
    page = report.html.read_text()
    assert page.count("<img ") == len(plots) and page.count('src="data:image/png;base64,') == len(plots)
    assert "http://" not in page and "https://" not in page and "<link" not in page
    assert "<strong>Verdict on mix:" in page and "**" not in page  # the Markdown of the verdict lines, rendered
    assert "](plots/mix_ratio_tiny_vs_synthetic_fraction.png)" in report.markdown.read_text()


def test_samples_put_base_best_and_worst_side_by_side(tmp_path):
    mix_ratio_runs(tmp_path)
    report = build_report(tmp_path)
    samples = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_samples.csv")
    assert list(samples.columns) == ["prompt", "reference", "base model", "best: 70_30_s0", "worst: 30_70_s1"]
    assert samples.iloc[0]["best: 70_30_s0"] == "70_30 answer"
    assert "base says<br>blue" in report.markdown.read_text()  # one table row, even for multi-line text


def test_unknown_baseline_and_empty_dir_are_clear_errors(tmp_path):
    with pytest.raises(ReportError, match="no run under"):
        build_report(tmp_path)
    mix_ratio_runs(tmp_path)
    with pytest.raises(
        ReportError, match=r"--baseline mix=40_60: no such level in these runs \(levels of mix: 30_70, 50_50, 70_30\)"
    ):
        build_report(tmp_path, baselines={"mix": "40_60"})
    # a factor these runs do not vary, or do not have: an error too, never silently ignored
    with pytest.raises(ReportError, match=r"--baseline lora=r4: no such level in these runs \(levels of lora: none\)"):
        build_report(tmp_path, baselines={"lora": "r4"})
    with pytest.raises(ReportError, match=r"--baseline rank=4: no factor 'rank' in these runs \(factors: mix, "):
        build_report(tmp_path, baselines={"rank": "4"})
    assert not (tmp_path / "report").exists()  # nothing half-written


def test_win_rate_cis_stay_within_0_and_1_and_tracking_failures_are_listed(tmp_path):
    for mix in ("30_70", "70_30"):
        for seed, rate in enumerate((0.05, 0.95, 0.1) if mix == "30_70" else (0.9, 1.0, 0.95)):
            run = write_run(
                tmp_path,
                f"{mix}_s{seed}",
                mix=mix,
                seed=seed,
                eval_loss=2.5,
                elo={"rating": 1000.0 + seed, "win_rate_vs_base": rate},
            )
    results = json.loads((run / "results.json").read_text())
    results["tracking"] = {"status": "failed", "error": "W&B table: TypeError: Data row contained incompatible types\nmore"}
    (run / "results.json").write_text(json.dumps(results))
    report = build_report(tmp_path)
    table = pd.read_csv(report.out_dir / "tables" / "mix_ratio_tiny_by_mix.csv").set_index("mix")
    assert table["elo/win_rate_vs_base_ci_low"].min() == 0.0 and table["elo/win_rate_vs_base_ci_high"].max() == 1.0
    markdown = report.markdown.read_text()
    assert "0.3667 [0.0000, 1.0000]" in markdown  # mean [clipped CI], not 0.3667 ± 1.2
    failures = pd.read_csv(report.out_dir / "tables" / "tracking_failures.csv")
    assert list(failures["run"]) == ["70_30_s2"] and list(failures["tracking"]) == ["failed"]
    assert "W&B tracking failed in 1 runs" in markdown


@pytest.mark.slow  # a fresh interpreter importing pandas, scipy and matplotlib
def test_cli_exits_2_with_a_message(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sft_ablate.report", str(tmp_path)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2 and "error: no run under" in proc.stderr


@pytest.mark.slow  # starts a W&B (offline) service
def test_wandb_summary_run_holds_the_tables_and_plots(tmp_path):
    mix_ratio_runs(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "sft_ablate.report", str(tmp_path), "--wandb"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "wandb sync" in proc.stdout
    [run] = (tmp_path / "report" / "wandb").glob("offline-run-*")
    media = run / "files" / "media"
    assert list(media.glob("table/tables/mix_ratio_tiny_by_mix_*.table.json"))
    assert list(media.glob("images/plots/mix_ratio_tiny_vs_synthetic_fraction_*.png"))


@pytest.mark.parametrize(
    "levels",
    [
        [2e-4, 5e-4, 1e-3],  # a grid
        [4.1e-4, 6.2e-4, 2.0e-3, 8.4e-3, 8.9e-3, 9.3e-3],  # an Optuna study's learning rates, three of them close
        list(np.geomspace(1e-5, 1e-2, 40)),
    ],
)
def test_log_axis_labels_never_overlap(levels):
    import matplotlib.pyplot as plt

    from sft_ablate.report.plots import _log_axis

    fig, ax = plt.subplots(figsize=(4.2, 3.3))  # one panel of a factor plot
    ax.scatter(levels, np.ones(len(levels)))
    _log_axis(ax, levels, base=10)
    fig.canvas.draw()
    boxes = sorted((t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()), key=lambda b: b.x0)
    plt.close(fig)
    assert min(levels) in ax.get_xticks() and max(levels) in ax.get_xticks()
    assert 2 <= len(boxes) <= 6
    for left, right in zip(boxes, boxes[1:]):
        assert left.x1 < right.x0, [t.get_text() for t in ax.get_xticklabels()]
