"""The mixture law end to end, on a task with a known best mixture (tests/mixture_task.py): a 9-level grid finds
the optimum, a 3-level study of the same runs predicts it and the 6 levels it did not run, and --confirm runs the
predicted mixture and reports the prediction against what was observed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sft_ablate.report.__main__ import main as report_main
from sft_ablate.report.build import build_report
from tests.conftest import run_cli
from tests.mixture_task import mixture_run_args, mixture_sources

pytestmark = pytest.mark.slow

DENSE = [round(0.1 * k, 1) for k in range(1, 10)]
SPARSE = [0.1, 0.5, 0.9]
TARGET = "heldout/both/loss"


def _subset(dense: Path, levels: list[float], to: Path) -> Path:
    """The runs of some levels, as a study of its own (their results, item scores and command lines)."""
    names = {f"{round(100 * x)}_{100 - round(100 * x)}" for x in levels}
    for run in dense.iterdir():
        if run.is_dir() and run.name.rsplit("_s", 1)[0] in names:
            (to / run.name).mkdir(parents=True)
            for part in ("results.json", "item_scores.jsonl"):
                shutil.copy(run / part, to / run.name / part)
            shutil.copytree(run / ".hydra", to / run.name / ".hydra")
    return to


def _grid(report) -> pd.DataFrame:
    table = next(report.out_dir.glob("tables/*_mixture_law_grid.csv"))
    frame = pd.read_csv(table)
    return frame[frame["eval_set"] == TARGET].set_index("synthetic")


def test_three_levels_predict_the_dense_grid_and_confirm(tmp_path, cache_dir):
    paths = mixture_sources(tmp_path / "data")
    dense = tmp_path / "dense"
    weights = ",".join(str(x) for x in DENSE)
    args = ["-m", "mix=custom", f"mix.weights.synthetic={weights}", "seed=0,1,2", *mixture_run_args(paths), "study=law"]
    proc = run_cli([*args, f"hydra.sweep.dir={dense}", "hydra.sweep.subdir=${mix.name}_s${seed}"], cwd=tmp_path, timeout=2400)
    assert proc.returncode == 0, proc.stderr[-3000:]

    full = build_report(dense, mixture_target="heldout.both.loss")
    observed = _grid(full)["observed"].dropna()
    best_dense = full.mixtures[0].weights[0]  # the 9-level study's own law
    sparse = build_report(_subset(dense, SPARSE, tmp_path / "sparse"), mixture_target="heldout.both.loss")
    grid = _grid(sparse)
    best_sparse = sparse.mixtures[0].weights[0]
    unseen = [x for x in DENSE if x not in SPARSE]
    inside = [grid.loc[x, "pi_low"] <= observed[x] <= grid.loc[x, "pi_high"] for x in unseen]
    for x, ok in zip(unseen, inside):
        print(
            f"{x:.1f}: predicted {grid.loc[x, 'predicted']:.3f} [{grid.loc[x, 'pi_low']:.3f}, {grid.loc[x, 'pi_high']:.3f}]",
            end="",
        )
        print(f", observed {observed[x]:.3f} {'inside' if ok else 'OUTSIDE'}")
    print(f"optimum: 3 levels {best_sparse:.2f}, 9-level law {best_dense:.2f}, 9-level best mean {observed.idxmin():.1f}")
    assert abs(best_sparse - best_dense) <= 0.1
    # The grid's level means are flat near the bottom (within a level's noise): the mixture the 3 levels pick must be
    # about as good as the grid's best level, not necessarily the same one.
    assert observed[round(best_sparse, 1)] - observed.min() <= 0.05
    assert sum(inside) >= 5

    # --confirm runs the 3-level study's optimum with its seeds, beside its runs, and the report compares.
    assert report_main([str(tmp_path / "sparse"), "--confirm", "--mixture-target", "heldout.both.loss"]) == 0
    confirmed = sorted(p.name for p in (tmp_path / "sparse").glob("confirm_*"))
    assert len(confirmed) == 3, confirmed
    table = pd.read_csv(next((tmp_path / "sparse" / "report" / "tables").glob("*_mixture_confirm.csv")))
    row = table.set_index("eval_set").loc[TARGET]
    print(
        f"confirmed {confirmed[0]}: predicted {row['predicted']:.3f} [{row['pi_low']:.3f}, {row['pi_high']:.3f}], "
        f"observed {row['observed']:.3f} (n={row['n']})"
    )
    assert row["n"] == 3 and bool(row["inside"])
    markdown = (tmp_path / "sparse" / "report" / "report.md").read_text()
    assert "Predicted best mixture for both loss" in markdown and "chosen by leave-one-level-out error" in markdown
