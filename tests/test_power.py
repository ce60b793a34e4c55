"""What a study can decide (sft_ablate/report/power.py, evidence.py): the power table's figures from the variance
model over seeds and items, one family per factor (Holm, a gated primary), fair tests vs in-distribution ones, and
the verdict lines built on them; the arena's level verdict over seeds and prompts."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sft_ablate.arena.ratings import Battle
from sft_ablate.paths import PROJECT_ROOT
from sft_ablate.report import ReportError, build_report
from sft_ablate.report.arena import _levels_verdict
from sft_ablate.report.evidence import ITEMS, Comparison, adjust_family
from sft_ablate.report.inference import adjust, delta, holm, items_needed, mde, seeds_needed
from sft_ablate.report.runs import Metric
from tests.report_runs import read_matrix, write_run

LOSSES = {"30_70": [2.50, 2.60, 2.55], "50_50": [2.52, 2.58, 2.56], "70_30": [2.30, 2.41, 2.34]}


def study(root, external=None, settings=None, **extra) -> None:
    """3 mixes x 3 seeds (LOSSES: 70_30 better by ~0.2 on the held-out rows, 50_50 by noise only) with an external
    set whose losses are `external` (per mix, per seed; default: no external set)."""
    for mix, values in LOSSES.items():
        for seed, loss in enumerate(values):
            heldout = {"seed_tasks": external[mix][seed]} if external else None
            write_run(root, f"{mix}_s{seed}", mix=mix, seed=seed, eval_loss=loss, heldout=heldout, settings=settings, **extra)


def runs_of(mix: str) -> list[str]:
    return [f"{mix}_s{seed}" for seed in range(3)]


FLAT = {mix: [2.90, 2.95, 2.93] for mix in LOSSES}  # the external set: no level better than another
BETTER = {"30_70": [2.90, 2.95, 2.93], "50_50": [2.91, 2.94, 2.92], "70_30": [2.80, 2.86, 2.82]}


def power_rows(report, factor="mix") -> pd.DataFrame:
    return pd.read_csv(report.out_dir / "tables" / f"mix_ratio_tiny_power_{factor}.csv", keep_default_na=False)


def verdicts(report) -> list[str]:
    return [line for line in report.markdown.read_text().splitlines() if line.startswith("**Verdict")]


# ---- the power table ----------------------------------------------------------------------------------------------


def test_mde_seeds_and_items_needed_come_from_the_intervals_variance_model(tmp_path):
    study(tmp_path, BETTER)
    rows = power_rows(build_report(tmp_path)).set_index(["column", "mix"])
    for column, set_name, group in (
        ("heldout/seed_tasks/loss", "heldout", "seed_tasks"),
        ("eval_loss_by_source/human", "eval", "human"),
    ):
        for mix in ("50_50", "70_30"):
            a, tokens = read_matrix(tmp_path, runs_of("30_70"), set_name, group)
            b, _ = read_matrix(tmp_path, runs_of(mix), set_name, group)
            d = delta(a, b, tokens)
            row = rows.loc[(column, mix)]
            assert (row["delta"], row["ci_low"], row["ci_high"], row["p"]) == pytest.approx((d.mean, d.low, d.high, d.p))
            assert (row["n_seeds"], row["n_items"], row["basis"]) == (3, len(tokens), ITEMS)
            assert row["mde"] == pytest.approx(mde(d.components, 3, len(tokens)))
            seeds, items = seeds_needed(d.components, abs(d.mean), len(tokens)), items_needed(d.components, abs(d.mean), 3)
            for got, want, why in (
                (row["seeds_needed"], seeds, row["seeds_needed_why"]),
                (row["items_needed"], items, row["items_needed_why"]),
            ):
                assert float(got) == want.n and why == want.why


def test_where_the_item_variance_alone_is_too_large_more_seeds_cannot_help_and_the_table_says_so(tmp_path):
    """A tiny delta on 26 external items whose level x item spread is large: no number of seeds resolves it."""
    study(tmp_path, FLAT)
    row = power_rows(build_report(tmp_path)).set_index(["column", "mix"]).loc[("heldout/seed_tasks/loss", "50_50")]
    assert math.isinf(float(row["seeds_needed"])) and "more seeds cannot; add items" in row["seeds_needed_why"]
    assert "more seeds cannot (the item variance alone is too large)" in row["meaning"]
    markdown = build_report(tmp_path).markdown.read_text()
    assert "more cannot help" in markdown  # the shown table's cell


def test_report_prints_mde_seeds_and_items_needed_for_a_3_seed_study(tmp_path):
    study(tmp_path, BETTER)
    proc = subprocess.run(
        [sys.executable, "-m", "sft_ablate.report", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for words in ("minimum detectable effect", "seeds needed", "items needed", "p adjusted", "Verdict on mix: can conclude"):
        assert words in proc.stdout
    row = power_rows_at(tmp_path).set_index(["column", "mix"]).loc[("heldout/seed_tasks/loss", "70_30")]
    assert f"{row['mde']:.3f}" in proc.stdout  # a loss of ~2.9 prints with 3 decimals, as in the level tables


def power_rows_at(root) -> pd.DataFrame:
    return pd.read_csv(root / "report" / "tables" / "mix_ratio_tiny_power_mix.csv", keep_default_na=False)


# ---- the family: Holm, a gated primary ------------------------------------------------------------------------------


def family_of(pvalues: dict[tuple[str, str], float]) -> list[Comparison]:
    """Comparisons with these p-values, by (level, metric column), in that order."""
    some = delta(np.zeros(3), np.array([1.0, 1.1, 0.9]))
    return [
        Comparison(Metric(column, column, higher_is_better=False), level, dataclasses.replace(some, p=p), ITEMS, True)
        for (level, column), p in pvalues.items()
    ]


def test_without_a_primary_the_family_is_holm_over_levels_and_metrics():
    p = {("b", "m1"): 0.001, ("b", "m2"): 0.04, ("c", "m1"): 0.02, ("c", "m2"): 0.3}
    family = family_of(p)
    assert adjust_family(family, None) == 1
    assert [c.p_adjusted for c in family] == pytest.approx(holm(list(p.values())))
    assert [c.significant for c in family] == [True, False, False, False]  # 0.04 and 0.02 alone would have passed


def test_a_primary_gates_each_levels_other_tests_and_alpha_is_split_over_the_levels():
    one_level = {("b", "m1"): 0.03, ("b", "m2"): 0.001, ("b", "m3"): 0.02}
    family = family_of(one_level)
    primary = family[0].metric
    assert adjust_family(family, primary) == 1  # one compared level: inference.adjust as it is, primary at full alpha
    assert [c.p_adjusted for c in family] == pytest.approx(adjust(list(one_level.values()), primary=0).adjusted)
    assert [c.significant for c in family] == [True, True, True] and family[0].primary
    gated = family_of({("b", "m1"): 0.2, ("b", "m2"): 0.0001})
    adjust_family(gated, gated[0].metric)
    assert not any(c.significant for c in gated)  # the primary failed: nothing behind it can be concluded
    two = {("b", "m1"): 0.02, ("b", "m2"): 0.001, ("c", "m1"): 0.001, ("c", "m2"): 0.04}
    family = family_of(two)
    assert adjust_family(family, family[0].metric) == 2
    for level, tests in (("b", family[:2]), ("c", family[2:])):
        expected = adjust([c.delta.p for c in tests], primary=0).adjusted
        assert [c.p_adjusted for c in tests] == pytest.approx([min(1, 2 * p) for p in expected]), level
    assert [c.significant for c in family] == [True, True, True, False]


def test_the_external_set_is_the_default_primary_study_primary_names_another_and_primary_overrides(tmp_path):
    study(tmp_path, BETTER)
    markdown = build_report(tmp_path).markdown.read_text()
    assert "with a primary metric, seed_tasks loss (the external held-out set: a fair test)" in markdown
    assert "| seed_tasks loss (primary) |" in markdown
    for run in tmp_path.glob("*_s*"):  # the sweep named one: the runs recorded it (never part of their identity)
        results = json.loads((run / "results.json").read_text())
        results["config"]["study_primary"] = "eval_loss_by_source.synthetic"
        (run / "results.json").write_text(json.dumps(results))
    rows = power_rows(build_report(tmp_path))
    assert set(rows.loc[rows["primary"].astype(str) == "True", "column"]) == {"eval_loss_by_source/synthetic"}
    assert "eval loss: synthetic (named by study_primary)" in build_report(tmp_path).markdown.read_text()
    rows = power_rows(build_report(tmp_path, primary="metrics.heldout.seed_tasks.loss"))
    assert set(rows.loc[rows["primary"].astype(str) == "True", "column"]) == {"heldout/seed_tasks/loss"}
    markdown = build_report(tmp_path, primary="eval_perplexity").markdown.read_text()  # no items: no test, no primary
    assert "perplexity (named by --primary) has no per-item scores" in markdown and "Holm-adjusted together" in markdown
    with pytest.raises(ReportError, match="no metric 'heldout.nope.loss' in these runs"):
        build_report(tmp_path, primary="heldout.nope.loss")


def test_without_an_external_set_there_is_no_primary(tmp_path):
    study(tmp_path)
    assert "Holm-adjusted together: the chance of any false claim among them stays ≤ 0.05 (no primary (no external" in (
        build_report(tmp_path).markdown.read_text()
    )


# ---- fair tests and the verdict ------------------------------------------------------------------------------------


def test_a_mix_s_own_source_rows_are_in_distribution_and_the_external_set_is_a_fair_test(tmp_path):
    study(tmp_path, BETTER)
    report = build_report(tmp_path)
    rows = power_rows(report).set_index(["column", "mix"])
    assert rows.loc[("eval_loss_by_source/synthetic", "70_30"), "in_distribution"] == "70_30 trains on more synthetic"
    assert rows.loc[("eval_loss_by_source/human", "70_30"), "in_distribution"] == "30_70 trains on more human"
    assert rows.loc[("eval_loss", "70_30"), "in_distribution"].startswith("pools the sources' own rows, and 70_30 trains")
    assert rows.loc[("heldout/seed_tasks/loss", "70_30"), "in_distribution"] == ""
    can, *rest = [v for v in verdicts(report) if "can conclude" in v]
    assert can.startswith("**Verdict on mix: can conclude** seed_tasks loss (70_30 vs 30_70: significantly better")
    assert "Only in-distribution, no evidence that the data is better: eval loss (70_30" in can
    assert (
        "eval loss: synthetic (70_30 vs 30_70: significantly better (adjusted p <0.001); in-distribution: 70_30 trains on more synthetic)"
        in can
    )


def test_a_finding_on_in_distribution_rows_alone_concludes_nothing(tmp_path):
    study(tmp_path)  # no external set: no primary, and no fair test
    [line] = verdicts(build_report(tmp_path))  # one line: nothing concluded (scripts/aa_studies.py reads it)
    assert line.startswith("**Verdict on mix: cannot conclude (only in-distribution)** eval loss (70_30 vs 30_70")
    assert " Not resolved: eval loss (50_50 vs 30_70: Δ " in line


def test_nothing_behind_a_primary_that_fails_is_concluded(tmp_path):
    study(tmp_path, FLAT)  # the external set does not move; the mix's own source rows do
    report = build_report(tmp_path)
    assert not [line for line in verdicts(report) if "can conclude**" in line or "only in-distribution" in line]
    rows = power_rows(report).set_index(["column", "mix"])
    assert rows.loc[("eval_loss", "70_30"), "meaning"].startswith("its CI excludes 0, but it is gated behind the primary")
    assert "eval loss (70_30 vs 30_70: Δ -0.200 [" in verdicts(report)[0]


def test_when_the_mix_is_the_same_a_source_s_rows_are_a_fair_test(tmp_path):
    for i, epochs in enumerate((1.0, 2.0)):
        for seed, loss in enumerate((2.50, 2.60, 2.55)):
            write_run(
                tmp_path, f"e{i}_s{seed}", mix="50_50", seed=seed, eval_loss=loss - 0.2 * i, settings={"train.epochs": epochs}
            )
    rows = power_rows(build_report(tmp_path), "train.epochs")
    assert set(rows["in_distribution"]) == {""}
    assert any(
        line.startswith("**Verdict on train.epochs: can conclude** eval loss (2 vs 1")
        for line in verdicts(build_report(tmp_path))
    )


def test_an_effect_the_items_do_not_support_is_no_claim_though_the_seeds_agree(tmp_path):
    """The issue's A/A failure: the levels differ by ~0.011 in every seed, so a t over seeds is sure of it, but
    the difference moves from item to item far more than that. Over seeds and items: no claim."""
    base, level = [2.50, 2.60, 2.55], [2.512, 2.610, 2.561]
    assert stats.ttest_rel(level, base).pvalue < 0.01
    external = {"30_70": base, "70_30": level}
    for mix in external:
        for seed in range(3):
            write_run(
                tmp_path,
                f"{mix}_s{seed}",
                mix=mix,
                seed=seed,
                eval_loss=external[mix][seed],
                heldout={"seed_tasks": external[mix][seed]},
            )
    table = pd.read_csv(build_report(tmp_path).out_dir / "tables" / "mix_ratio_tiny_by_mix.csv").set_index("mix")
    assert table.loc["70_30", "heldout/seed_tasks/loss_delta"] == pytest.approx(0.011, abs=1e-9)
    assert not table.loc["70_30", "heldout/seed_tasks/loss_delta_significant"]
    assert table.loc["70_30", "heldout/seed_tasks/loss_delta_p"] > 0.3


# ---- the arena's level verdict ---------------------------------------------------------------------------------------


def test_the_arena_verdict_counts_seeds_and_prompts_and_is_holm_adjusted():
    """Two levels x 3 seeds x 12 prompts against the base: `good` wins 11 prompts in every seed, `same` half;
    which prompts moves with the seed."""
    battles, levels, seeds, wins = [], {}, {}, {"good": 11, "same": 6}
    for level, won in wins.items():
        for seed in range(3):
            model = f"{level}_s{seed}"
            levels[model], seeds[model] = f"mix={level}", str(seed)
            for k in range(12):
                score = 1.0 if (k + seed) % 12 < won else 0.0
                battles += [Battle(model, "base", score, f"p{k:02d}"), Battle("base", model, 1.0 - score, f"p{k:02d}")]
    text = _levels_verdict(battles, levels, seeds, "base")
    matrix = {
        level: np.array([[1.0 if (k + s) % 12 < won else 0.0 for k in range(12)] for s in range(3)])
        for level, won in wins.items()
    }
    good, same = (delta(np.full((3, 12), 0.5), matrix[level]) for level in ("good", "same"))
    pair = delta(matrix["good"], matrix["same"])
    adjusted = holm([good.p, same.p, pair.p])
    assert adjusted[0] <= 0.05 < adjusted[1] and "Holm over these 3 comparisons" in text
    high = min(1.0, 0.5 + good.high)  # a win rate's interval is cut at 1
    assert f"mix=good vs base: apart (win rate {0.5 + good.mean:.2f} [{0.5 + good.low:.2f}, {high:.2f}])" in text
    assert f"mix=same vs base: cannot separate (win rate 0.50 [{0.5 + same.low:.2f}, {0.5 + same.high:.2f}])" in text
    assert ("cannot separate these levels: mix=good and mix=same" in text) == (adjusted[2] > 0.05)
    one_run = {m: lv for m, lv in levels.items() if m != "good_s1" and m != "good_s2"}  # a level of one run: no test
    assert "mix=good vs base: cannot separate (win rate 0.92)" in _levels_verdict(battles, one_run, seeds, "base")
