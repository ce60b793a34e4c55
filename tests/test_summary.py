"""The lines a run ends with, read from its results record."""

from __future__ import annotations

from sft_ablate.record.summary import summary_lines

RESULTS = {
    "status": "complete",
    "metrics": {
        "eval_loss": 1.7199,
        "base_eval_loss": 1.8634,
        "eval_loss_by_source": {"human": 1.8, "synthetic": 1.6},
        "base_eval_loss_by_source": {"human": 1.95, "synthetic": 1.7},
        "heldout": {"gsm8k": {"loss": 2.1, "base_loss": 2.3, "perplexity": 8.2, "tokens": 900}},
        "benchmarks": {"arc_easy": {"acc": 0.42, "acc_stderr": 0.02}},
        "base_benchmarks": {"arc_easy": {"acc": 0.40, "acc_stderr": 0.02}},
        "elo": {
            "diff_vs_base": 12.3,
            "diff_vs_base_ci_low": -40.2,
            "diff_vs_base_ci_high": 65.0,
            "win_rate_vs_base": 0.55,
            "win_rate_ci_low": 0.45,
            "win_rate_ci_high": 0.65,
        },
    },  # fmt: skip
    "arena": {"battles": 48, "judge": "reference", "problem": None},
    "timings": {"data": 3.14, "train": 12.0, "arena": 45.5, "total": 60.64},
    "tracking": {"status": "ok", "error": None, "dir": "/runs/a/wandb/offline-run-1"},
}


def test_the_summary_gives_each_figure_against_the_base_and_where_things_are(tmp_path):
    text = "\n".join(summary_lines(RESULTS, tmp_path / "run"))
    assert "run complete" in text
    assert "eval loss 1.7199 (base 1.8634, -0.1435)" in text
    assert "human 1.8000 (base 1.9500, -0.1500)" in text and "synthetic 1.6000 (base 1.7000, -0.1000)" in text
    assert "external: gsm8k 2.1000 (base 2.3000, -0.2000)" in text
    assert "arc_easy acc 0.420 (base 0.400, +0.020)" in text and "stderr" not in text
    assert "arena: +12 Elo vs base, 95% CI [-40, +65]; win rate 0.55 [0.45, 0.65] (48 battles, judge reference)" in text
    assert "time (s): data 3.1, train 12.0, arena 45.5; total 60.6" in text
    assert "wandb sync /runs/a/wandb/offline-run-1" in text
    assert f"results: {tmp_path / 'run' / 'results.json'}" in text
    assert f"report: python -m sft_ablate.report {tmp_path / 'run'}" in text


def test_a_sweep_run_points_at_the_sweep_report_and_missing_parts_are_left_out(tmp_path):
    (tmp_path / "multirun.yaml").write_text("{}")
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "report.html").write_text("<html/>")
    lean = {"status": "interrupted", "metrics": {"eval_loss": 2.0}, "timings": {"data": 1.0},
            "tracking": {"status": "off", "error": None}}  # fmt: skip
    lines = summary_lines(lean, tmp_path / "0_run")
    assert lines[0] == f"run interrupted: {tmp_path / '0_run'}"
    assert lines[1] == "eval loss 2.0000"
    assert not any(line.startswith(("benchmarks", "arena", "  by source", "  external")) for line in lines)
    assert lines[-1] == f"report: {tmp_path / 'report' / 'report.html'}" and "W&B: off" in lines[-2]


def test_an_arena_that_decided_nothing_says_why(tmp_path):
    results = {**RESULTS, "metrics": {"eval_loss": 1.0}, "arena": {"problem": "no decided battle: 4 unparseable"}}
    assert "arena: no decided battle: 4 unparseable" in summary_lines(results, tmp_path)
