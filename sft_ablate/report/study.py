"""The Optuna part of the report: trials, parameter importances and the best trial's config. A searched
parameter is an override's key, named as the report names factors (runs.factor_name): train.learning_rate reads
learning_rate, train.epochs stays train.epochs, and synthetic_fraction is the mix's number.

The sweeper leaves `optuna_study.json` in its sweep dir, naming the study and its storage (SQLite in
that dir by default, so the report still needs nothing but the outputs). A password-protected
storage (PostgreSQL) is written without its password; pass --storage to read it.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sft_ablate.paths import STUDY_FILE
from sft_ablate.report.runs import factor_name
from sft_ablate.report.tables import Table, _formatted, _number


@dataclass
class StudyInfo:
    dir: Path  # the sweep dir
    name: str
    storage: str
    objective: str
    direction: str
    n_trials: int


def find_studies(root: Path) -> list[StudyInfo]:
    found = []
    for path in sorted(root.rglob(STUDY_FILE)):
        info = json.loads(path.read_text())
        found.append(
            StudyInfo(path.parent, info["study_name"], info["storage"], info["objective"], info["direction"], info["n_trials"])
        )
    return found


def load_study(info: StudyInfo, storage: str | None):
    """The study, or the reason it cannot be read."""
    import optuna

    url = storage or info.storage
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        # The sweep dir was moved or copied: the database travels with it.
        url = f"sqlite:///{info.dir / 'optuna.db'}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return optuna.load_study(study_name=info.name, storage=url)
    except Exception as err:  # a missing server, a wrong password, a deleted study
        return f"{type(err).__name__}: {err}"


def state_counts(study) -> dict[str, int]:
    counts: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name.lower()] = counts.get(trial.state.name.lower(), 0) + 1
    return counts


def trials_table(study, info: StudyInfo, name: str) -> Table:
    rows = []
    trials = study.get_trials(deepcopy=False)
    retried_as = {t.system_attrs["failed_trial"]: t.number for t in trials if "failed_trial" in t.system_attrs}
    for t in trials:
        row: dict[str, Any] = {"trial": t.number, "state": t.state.name.lower(), info.objective: t.value}
        row.update({factor_name(k): v for k, v in t.params.items()})  # as the report names factors
        row["last step"] = max(t.intermediate_values) if t.intermediate_values else None
        row["seconds"] = round(t.duration.total_seconds()) if t.duration else None
        row["run dir"] = Path(t.user_attrs.get("run_dir", "")).name
        row["error"] = t.user_attrs.get("error", "")
        if t.state.name == "FAIL" and not row["error"] and t.number in retried_as:
            row["error"] = f"its worker stopped sending heartbeats (killed?); retried as trial {retried_as[t.number]}"
        retried = t.system_attrs.get("failed_trial")
        row["retry of"] = retried if retried is not None else ""
        rows.append(row)
    data = pd.DataFrame(rows).astype({"last step": "Int64", "seconds": "Int64"})
    shown = _formatted(data)
    shown["error"] = shown["error"].fillna("").map(lambda e: str(e).splitlines()[0][:120] if e else "")
    caption = (
        f"Every trial of study {info.name!r} ({info.direction} {info.objective}): failed trials keep their "
        "error; pruned ones stopped at 'last step'; 'retry of' names a trial whose worker died."
    )
    return Table(name, caption, shown, data)


def importances_table(study, name: str) -> Table | str:
    import optuna

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importances = optuna.importance.get_param_importances(study)
    except (ValueError, RuntimeError) as err:
        return f"Parameter importances need more complete trials ({err})."
    data = pd.DataFrame({"parameter": [factor_name(k) for k in importances], "importance": list(importances.values())})
    shown = data.assign(importance=data["importance"].map(lambda v: f"{v:.3f}"))
    return Table(name, "Parameter importances (fANOVA; they sum to 1).", shown, data)


def best_trial_table(study, info: StudyInfo, name: str) -> Table | str:
    try:
        best = study.best_trial
    except ValueError:
        return "No trial completed yet, so there is no best trial."
    rows = [("trial", best.number), (info.objective, best.value)]
    rows += [(f"param: {factor_name(k)}", v) for k, v in best.params.items()]
    run_dir = best.user_attrs.get("run_dir", "")
    rows += [("run dir", run_dir), ("full config", str(Path(run_dir) / "config.yaml") if run_dir else "")]
    rows += [("overrides", " ".join(best.user_attrs.get("overrides", [])))]
    data = pd.DataFrame(rows, columns=["key", "value"])
    shown = data.assign(value=data["value"].map(lambda v: _number(v) if isinstance(v, float) else str(v)))
    caption = (
        "The best trial. Rerun it alone with `python -m sft_ablate` and the overrides below; its resolved "
        "config is the run dir's config.yaml."
    )
    return Table(name, caption, shown, data)
