"""Seeds where they decide (sft_ablate/report/sequential.py): the looks' levels, the graphical Holm decisions, and
simulated studies that show the design holds its error under optional stopping while re-testing at a fixed level
after each look does not, and that it reaches a fixed design's power with fewer runs.

The simulated studies are per-seed x per-item scores as the report sees them (a per-token NLL per held-out row, say)
for a baseline and two levels, and go through the decision code the sweeper uses: `look_delta` at each look of the
comparisons still open, then `decide` (report/adaptive.py does the same from the runs on disk).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sft_ablate.report.inference import adjust, delta
from sft_ablate.report.sequential import Plan, decide, look_delta, naive_decide

ITEMS = 32  # held-out rows per source (data.eval_per_source)
STUDIES = 1000
# Per level: sd of a seed's shift, of the level x item term, of the seed x item residual (per-token NLL). Shares of
# the delta's variance at 3 seeds: "seeds" ~89% seeds; "mixed" 50% seeds, 33% items, 17% residual.
REGIMES = {"seeds": (0.06, 0.06, 0.06), "mixed": (0.03, 0.08, 0.10)}
INITIAL, CAP, FIXED = 3, 10, 8  # the adaptive plan (3 seeds, one more per look up to 10) and the fixed design's seeds


def scores(rng, effects, n_seeds, sd):
    """One study: a baseline's and each level's scores x[s, i]. The item difficulty and a run's shift are shared by
    the levels (paired, they cancel); each level has its own seed shifts, level x item terms and residuals."""
    sd_seed, sd_item, sd_resid = sd
    item, run = rng.normal(0, 0.5, ITEMS), rng.normal(0, 0.3, (n_seeds, 1))
    return [
        item
        + run
        + e
        + rng.normal(0, sd_item, ITEMS)
        + rng.normal(0, sd_seed, (n_seeds, 1))
        + rng.normal(0, sd_resid, (n_seeds, ITEMS))
        for e in (0.0, *effects)
    ]


def adaptive_study(x, plan):
    """The sweeper's loop on one simulated study: every level gets the first seeds; after each look, the open
    comparisons' levels and the baseline get the next. Returns each comparison's verdict, the runs made, and the
    report's own (unguarded) p at every look up to the cap, for the naive method."""
    names = [str(level) for level in range(1, len(x))]
    guarded = {name: [] for name in names}
    still, runs, before = list(names), 0, 0
    for count in plan.seeds:
        runs += (count - before) * (len(still) + 1)
        before = count
        for name in still:
            guarded[name].append(look_delta(x[0][:count], x[int(name)][:count])[1])
        decisions = decide(guarded, plan)
        still = [name for name in still if not decisions[name].decided]
        if not still:
            break
    raw = {name: [delta(x[0][:count], x[int(name)][:count]).p for count in plan.seeds] for name in names}
    return [decisions[name].decided for name in names], runs, raw


def fixed_study(x, n_seeds):
    """The fixed design: n_seeds seeds for every level, the report's verdict test, Holm over the comparisons."""
    p = [delta(x[0][:n_seeds], x[level][:n_seeds]).p for level in range(1, len(x))]
    return [q <= 0.05 for q in adjust(p).adjusted]


def test_the_looks_levels_sum_to_alpha_and_one_look_is_the_fixed_design():
    plan = Plan.of(INITIAL, CAP)
    assert plan.seeds == tuple(range(3, 11))
    levels = plan.nominal(0.025)
    assert sum(levels) == pytest.approx(0.025)
    assert levels[-1] == pytest.approx(0.0125) and list(levels[:-1]) == sorted(levels[:-1])  # more seeds, more alpha
    assert Plan.of(3, 3).nominal(0.05) == (0.05,)
    assert Plan.of(3, 8, step=2).seeds == (3, 5, 7, 8)  # the cap is always a look
    with pytest.raises(ValueError, match="at least 2 initial seeds"):
        Plan.of(1, 5)


def test_a_decided_comparison_passes_its_alpha_to_the_open_ones():
    plan = Plan.of(3, 4)  # two looks: (0.0125, 0.0125) at alpha 0.025 each, (0.025, 0.025) at 0.05
    out = decide({"a": [0.01], "b": [0.02]}, plan)
    assert out["a"].decided and out["a"].alpha == pytest.approx(0.025)
    assert out["b"].decided and out["b"].alpha == pytest.approx(0.05) and out["b"].look == 0  # tested again at look 1
    assert decide({"b": [0.02], "a": [0.01]}, plan) == {"b": out["b"], "a": out["a"]}  # order does not matter
    alone = decide({"a": [0.2, 0.02], "b": [0.3, 0.4]}, plan)
    assert not alone["a"].decided and not alone["b"].decided  # 0.02 > 0.0125: a fixed 0.025 would have concluded


def test_under_the_null_the_false_verdict_rate_stays_at_most_5_percent_and_naive_retesting_exceeds_it():
    """>= 1,000 null studies per regime: any verdict is false. The naive method (the report's verdict test after
    every added seed, Bonferroni over the comparisons, at a fixed level) is computed on the same studies."""
    plan = Plan.of(INITIAL, CAP)
    for name, sd in REGIMES.items():
        rng = np.random.default_rng(list(map(ord, name)))
        false = naive = 0
        runs = []
        for _ in range(STUDIES):
            verdicts, used, raw = adaptive_study(scores(rng, (0.0, 0.0), CAP, sd), plan)
            false += any(verdicts)
            naive += any(naive_decide(raw).values())
            runs.append(used)
        rate, naive_rate = false / STUDIES, naive / STUDIES
        print(f"null, {name}: false verdicts {rate:.1%} (naive re-testing {naive_rate:.1%}), mean runs {np.mean(runs):.1f}")
        assert rate <= 0.05, name
        assert naive_rate > 0.07, name  # the test can fail: re-testing at a fixed level inflates the error


def test_with_a_real_effect_it_reaches_the_fixed_designs_power_with_fewer_runs():
    """Both levels better by 0.18 (~1.7 MDE at 3 seeds), where seeds dominate: adaptive (3 to 10 seeds) against a
    fixed 8 seeds per level (24 runs), both at a family alpha of 0.05."""
    plan = Plan.of(INITIAL, CAP)
    rng = np.random.default_rng(25)
    adaptive_hits, fixed_hits, runs = np.zeros(2), np.zeros(2), []
    for _ in range(STUDIES):
        x = scores(rng, (0.18, 0.18), CAP, REGIMES["seeds"])
        verdicts, used, _ = adaptive_study(x, plan)
        adaptive_hits += verdicts
        fixed_hits += fixed_study(x, FIXED)
        runs.append(used)
    power, fixed_power = adaptive_hits.mean() / STUDIES, fixed_hits.mean() / STUDIES
    fixed_runs = 3 * FIXED
    print(
        f"effect 0.18: power adaptive {power:.1%} vs fixed {FIXED} seeds {fixed_power:.1%}; mean runs {np.mean(runs):.1f} "
        f"vs {fixed_runs} ({fixed_runs - np.mean(runs):.1f} fewer, {1 - np.mean(runs) / fixed_runs:.0%})"
    )
    assert power >= fixed_power
    assert np.mean(runs) < fixed_runs - 2


def test_look_delta_is_the_verdicts_delta_never_below_the_seed_only_t():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 20)), rng.normal(size=(3, 20)) + rng.normal(0, 1, (3, 1)) + 0.5
    found, p = look_delta(a, b)
    assert found == delta(a, b)
    assert p == max(found.p, delta(a.mean(1), b.mean(1)).p)
    w = rng.integers(5, 50, 20).astype(float)  # a loss's rows, weighted by their tokens: the runs' recorded losses
    found, p = look_delta(a, b, w)
    assert p == pytest.approx(max(found.p, delta(a @ w / w.sum(), b @ w / w.sum()).p))
    assert math.isfinite(p)


def test_the_looks_come_from_the_runs_on_disk_and_the_report_states_them(tmp_path):
    """report/adaptive.py on run dirs with known losses (tests/report_runs.py): 70_30 is better by ~0.2 in every
    seed (decided at the first look), 50_50 differs by noise (open); the log the sweeper writes makes the section."""
    from sft_ablate.launch.grid_sweeper import AdaptiveDesign, GridSweeper
    from sft_ablate.report.adaptive import as_record, evaluate
    from sft_ablate.report.build import build_report
    from tests.report_runs import write_run

    losses = {"30_70": [2.50, 2.60, 2.55], "50_50": [2.52, 2.58, 2.56], "70_30": [2.30, 2.41, 2.34]}
    runs = {
        mix: {
            s: write_run(tmp_path, f"{mix}_s{s}", mix=mix, seed=s, eval_loss=v, heldout={"seed_tasks": v})
            for s, v in enumerate(values)
        }
        for mix, values in losses.items()
    }
    plan = Plan.of(3, 4)
    state = evaluate(runs, "30_70", [0, 1, 2, 3], plan, None)
    by_level = {c.level: c for c in state.comparisons}
    assert state.metric.column == "heldout/seed_tasks/loss"
    assert by_level["70_30"].decided_look == 1 and by_level["70_30"].mean < 0 and by_level["70_30"].n_seeds == 3
    assert not by_level["50_50"].decided and by_level["50_50"].looks == 1
    assert by_level["70_30"].p <= by_level["70_30"].level_tested == pytest.approx(0.0125)

    design = AdaptiveDesign("mix", list(losses), "30_70", {}, [0, 1, 2, 3], plan)
    looks = [{"look": 1, "seeds": 3, "open": ["50_50"], "comparisons": as_record(state)}]
    GridSweeper(seeds="adaptive").write_log(tmp_path, design, state, runs, looks, "running")
    report = build_report(tmp_path).markdown.read_text()
    section = report[report.index("### Seeds where they decide") :]
    assert "decided at look 1 (3 seeds): significantly better" in section
    assert "open after 3 seeds (still running)" in section and "Stopped: running." in section
