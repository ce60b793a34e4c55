"""`python -m sft_ablate.report DIR --confirm`: run the mixture a study's law predicts is best, with the study's
settings and seeds, so the report can set the prediction against what was observed.

The prediction is written first (confirm.json in the study dir) and never refitted: what the report compares is
what was predicted before the runs. The runs reuse a run's own command line (.hydra/overrides.yaml, and the launcher
it ran on), with the mixture's weights and the study's seeds set, into confirm_<mix>_s<seed> beside the study's runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import yaml

from sft_ablate.errors import SftAblateError
from sft_ablate.io import write_json_atomic
from sft_ablate.paths import PACKAGE_DIR
from sft_ablate.report.mixture import WEIGHT_PREFIX, MixtureOutcome
from sft_ablate.report.mixture_law import CONFIDENCE
from sft_ablate.report.tables import Table

PLAN_FILE = "confirm.json"
SUBDIR = "confirm_${mix.name}_s${seed}"
DROPPED = ("mix", "mix.", "seed", "hydra.sweep.", "hydra.sweeper.params")  # set here, or the study's own grid


class ConfirmError(SftAblateError):
    """Nothing to confirm, or the study's command line cannot be read back."""


def write_plan(outcome: MixtureOutcome) -> Path:
    path = outcome.study_dir / PLAN_FILE
    write_json_atomic(path, {**asdict(outcome), "study_dir": str(outcome.study_dir)})
    return path


def read_plan(study_dir: Path) -> MixtureOutcome | None:
    path = Path(study_dir) / PLAN_FILE
    if not path.is_file():
        return None
    plan = json.loads(path.read_text())
    plan["study_dir"] = Path(plan["study_dir"])
    plan["predicted"] = {k: tuple(v) for k, v in plan["predicted"].items()}
    return MixtureOutcome(**plan)


def mix_name(weights: list[float]) -> str:
    """As the shipped mixes are named, synthetic first: [0.37, 0.63] -> 37_63."""
    return "_".join(str(round(100 * w)) for w in weights)


def confirm_command(outcome: MixtureOutcome, run_dir: Path) -> tuple[list[str], Path]:
    """The command that runs the predicted mixture for every seed of the study, and the directory it runs in."""
    hydra_dir = run_dir / ".hydra"
    try:
        task = yaml.safe_load((hydra_dir / "overrides.yaml").read_text()) or []
        hydra = yaml.safe_load((hydra_dir / "hydra.yaml").read_text())["hydra"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise ConfirmError(f"cannot read the study's command line from {hydra_dir}: {err}") from err
    launcher = [o for o in hydra.get("overrides", {}).get("hydra", []) if not o.startswith(DROPPED)]
    kept = [o for o in task if not o.lstrip("+~").startswith(DROPPED)]
    mix_option = hydra.get("runtime", {}).get("choices", {}).get("mix", "50_50")
    weights = [f"mix.weights.{s}={w!r}" for s, w in zip(outcome.sources, outcome.weights)]
    args = [
        "-m",
        *kept,
        *launcher,
        f"mix={mix_option}",  # its sources; the weights below replace its own
        f"mix.name='{mix_name(outcome.weights)}'",
        *weights,
        f"seed={','.join(str(s) for s in outcome.seeds)}",
        f"hydra.sweep.dir={outcome.study_dir}",
        f"hydra.sweep.subdir={SUBDIR}",
    ]
    return [sys.executable, "-m", "sft_ablate", *args], Path(hydra.get("runtime", {}).get("cwd") or ".")


def run_confirmation(outcome: MixtureOutcome) -> int:
    """Write the prediction, then run the predicted mixture for each of the study's seeds (the run's exit code)."""
    command, cwd = confirm_command(outcome, Path(outcome.example_run))
    write_plan(outcome)
    print(f"confirming {mix_name(outcome.weights)} ({', '.join(outcome.sources)}) with seeds {outcome.seeds}:")
    print("  " + " ".join(_quote(a) for a in command[1:]).replace(sys.executable, "python"))
    # The same sft_ablate as this report, not whichever the run's directory or an installed copy would import.
    path = os.pathsep.join(p for p in (str(PACKAGE_DIR.parent), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.call(command, cwd=cwd, env={**os.environ, "PYTHONPATH": path})


def confirmation_table(plan: MixtureOutcome, complete: pd.DataFrame, sources: list[str], name: str) -> Table:
    """Predicted (before the runs, from confirm.json) against observed at the confirmed mixture."""
    columns = [f"{WEIGHT_PREFIX}{s}" for s in sources]
    at = complete[columns].fillna(0.0).astype(float).round(2).to_numpy() == [round(w, 2) for w in plan.weights]
    runs = complete[at.all(axis=1)]
    level = int(CONFIDENCE * 100)
    shown, data = [], []
    for column, (loss, low, high) in plan.predicted.items():
        observed = float(runs[column].mean()) if column in runs and len(runs) else float("nan")
        inside = low <= observed <= high if len(runs) else None
        verdict = "no run yet" if inside is None else ("inside" if inside else "outside")
        shown.append(
            {
                "eval set": column,
                f"predicted [{level}% PI]": f"{loss:.3f} [{low:.3f}, {high:.3f}]",
                "observed": f"{observed:.3f} (n={len(runs)})" if len(runs) else "",
                "observation": verdict,
            }
        )
        data.append(
            {
                "eval_set": column,
                "predicted": loss,
                "pi_low": low,
                "pi_high": high,
                "observed": observed,
                "n": len(runs),
                "inside": inside,
            }
        )
    caption = (
        f"The mixture confirmed ({mix_name(plan.weights)}, the {plan.form} law's optimum for {plan.target}): the "
        "prediction made before its runs, against the mean of its runs."
    )
    return Table(name, caption, pd.DataFrame(shown), pd.DataFrame(data))


def _quote(arg: str) -> str:
    return f'"{arg}"' if any(c in arg for c in " '${}[]") else arg
