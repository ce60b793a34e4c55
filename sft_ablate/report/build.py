"""Assemble the ablation report from run directories: per study, tables, plots, samples, data, Optuna."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sft_ablate.errors import SftAblateError
from sft_ablate.report import confirm, plots
from sft_ablate.report.adaptive import adaptive_sections
from sft_ablate.report.arena import arena_section
from sft_ablate.report.evidence import Primary, RunItems, choose_primary, compare_factor, level_mean
from sft_ablate.report.mixture import MixtureOutcome, mixture_section
from sft_ablate.report.power import decision_items
from sft_ablate.report.render import Plot, Section, to_html, to_markdown, write_csvs
from sft_ablate.report.runs import (
    READING_ORDER,
    Metric,
    Run,
    factor_names,
    find_runs,
    level_order,
    metric_by_name,
    metrics_in,
    runs_frame,
    setting_keys,
    study_factors,
)
from sft_ablate.report.study import (
    StudyInfo,
    best_trial_table,
    find_studies,
    importances_table,
    load_study,
    state_counts,
    trials_table,
)
from sft_ablate.report.tables import (
    _label,
    factor_table,
    incomplete_table,
    runs_table,
    samples_table,
    tracking_failures_table,
)

MAX_LEVELS = 12  # a factor with more levels (an Optuna study's continuous fraction) is plotted, not tabulated


class ReportError(SftAblateError):
    """Nothing to report on, or an option the runs cannot satisfy."""


@dataclass
class Report:
    out_dir: Path
    markdown: Path
    html: Path
    sections: list[Section]
    studies: list[str]
    complete: int
    incomplete: int
    mixtures: list[MixtureOutcome]  # each mixture law's predicted optimum, for --confirm


def build_report(
    root: Path,
    out_dir: Path | None = None,
    metric: str = "eval_loss",
    baselines: dict[str, str] | None = None,
    samples: int = 4,
    storage: str | None = None,
    primary: str | None = None,
    mixture_target: str | None = None,
) -> Report:
    """primary: the metric each factor's verdict tests first (--primary), over the runs' study_primary; else the
    external held-out set (docs/report.md). mixture_target: what the mixture law's optimum minimises
    (--mixture-target; default: the primary)."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise ReportError(f"{root} is not a directory (give a sweep dir or an outputs dir)")
    runs = find_runs(root)
    if not runs:
        raise ReportError(f"no run under {root}: no results.json found")
    out_dir = Path(out_dir or root / "report").resolve()
    frame = runs_frame(runs)
    for column in ("study", "model"):
        if column not in frame.columns:
            frame[column] = ""
        frame[column] = frame[column].fillna("")
    studies = find_studies(root)
    keys = setting_keys(runs)  # what a study may vary: each one that does is a factor (study_factors)
    factors = factor_names(frame, keys)
    by_name = {run.name: run for run in runs}

    n_complete = int((frame["status"] == "complete").sum())
    check_baselines(frame, factors, baselines or {})  # before anything is written: a typo is not silently ignored
    if primary is not None:
        _metric_named(frame, primary)  # a metric these runs have
    context = StudyContext(by_name, studies, out_dir, RunItems({run.name: run.dir for run in runs}), primary, mixture_target)
    sections = [overview(root, frame, n_complete)]
    for (study, model), group in frame.groupby(["study", "model"], sort=False):
        sections += study_sections(str(study), str(model), group, keys, context, metric, baselines or {}, samples, storage)

    title = f"Ablation report: {root.name}"
    write_csvs(sections, out_dir / "tables")
    markdown = out_dir / "report.md"
    markdown.write_text(to_markdown(title, sections, out_dir))
    page = out_dir / "report.html"
    page.write_text(to_html(title, sections))
    studies_seen = [str(s) for s in frame["study"].unique()]
    return Report(out_dir, markdown, page, sections, studies_seen, n_complete, len(frame) - n_complete, context.mixtures)


def overview(root: Path, frame: pd.DataFrame, n_complete: int) -> Section:
    groups = frame.groupby(["study", "model"], sort=False).size()
    listing = "; ".join(f"{s or '(no study)'} on {m}: {n} runs" for (s, m), n in groups.items())
    section = Section(
        "Overview",
        items=[
            f"Built from the run directories under `{root}` on {time.strftime('%Y-%m-%d %H:%M')}: "
            f"{len(frame)} runs, {n_complete} complete, {len(frame) - n_complete} not complete. {listing}.",
            "Each level of a factor is summarised as mean ± 95% CI over its complete runs and the eval items they "
            "share (seeds × items: the items are a sample too), with n. Deltas are against the baseline level (the "
            "first level unless --baseline says otherwise), paired by seed and by item, and marked * only when "
            "significant after the adjustment for the factor's family of tests; a verdict concludes on fair tests "
            "only (docs/report.md). Runs that did not complete are listed at the end of each study and never "
            "averaged in.",
        ],
    )
    failures = tracking_failures_table(frame, "tracking_failures")
    if failures is not None:
        section.items.append(failures)
    return section


@dataclass
class StudyContext:
    """What every study's sections share: the runs by name, the Optuna studies, where plots go, the runs' items,
    and the primary metric the command named (None: each study's study_primary, else its default)."""

    by_name: dict[str, Run]
    studies: list[StudyInfo]
    out_dir: Path
    items: RunItems
    primary: str | None
    mixture_target: str | None = None
    mixtures: list[MixtureOutcome] = field(default_factory=list)  # filled as the studies are built


def study_sections(
    study: str,
    model: str,
    group: pd.DataFrame,
    keys: list[str],
    context: StudyContext,
    metric_name: str,
    baselines: dict[str, str],
    n_samples: int,
    storage: str | None,
) -> list[Section]:
    """Everything about one study on one model: tables, plots, Elo, Optuna, samples, data, incomplete runs."""
    stem = _slug(f"{study}_{model}")
    by_name = context.by_name
    complete = group[group["status"] == "complete"].reset_index(drop=True)
    incomplete = group[group["status"] != "complete"].reset_index(drop=True)
    found = study_factors(complete, keys)  # over the complete runs: the ones the tables average
    varied = [factor.name for factor in found]
    metrics = metrics_in(complete)
    seeds = ", ".join(str(s) for s in sorted(complete["seed"].unique())) if "seed" in complete else "?"
    out = [
        Section(
            f"Study {study or '(none)'} on {model or '(unknown model)'}",
            items=[
                f"{len(complete)} complete runs, {len(incomplete)} not complete. Varied: "
                f"{', '.join(f.describe() for f in found) or 'nothing but the seed'}; seeds: {seeds}."
            ],
        )
    ]
    optuna_studies = [
        info
        for info in context.studies
        if info.name == study and any(by_name[run].dir.is_relative_to(info.dir) for run in group["run"])
    ]
    primary = study_primary(complete, metrics, context.primary)
    out.append(factor_tables(complete, varied, metrics, baselines, bool(optuna_studies), stem, context.items, primary))
    out += adaptive_sections([by_name[run].dir for run in group["run"]])  # seeds where they decide (adaptive.json)
    figures = plots_section(complete, varied, metrics, f"{study} on {model}", context, stem)
    if figures.items:
        out.append(figures)
    law = mixture_law_section(complete, varied, metrics, primary, context, stem)
    if law is not None:
        out.append(law)
    arena = arena_section(complete, by_name, varied, stem)  # rated from the arena store, levels pooled
    if arena is not None:
        out.append(arena)
    out += [optuna_section(info, storage, context.out_dir, f"{stem}_{_slug(info.name)}") for info in optuna_studies]
    samples = samples_section(complete, by_name, metrics, metric_name, n_samples, stem)
    if samples is not None:
        out.append(samples)
    if len(complete):
        out.append(Section("Runs and their data", level=3, items=[runs_table(complete, varied, metrics, f"{stem}_runs")]))
    if len(incomplete):
        out.append(
            Section(
                "Incomplete runs (not averaged in)",
                level=3,
                items=[incomplete_table(incomplete, varied or study_names(group, keys), f"{stem}_incomplete")],
            )
        )
    return out


def mixture_law_section(
    complete: pd.DataFrame, varied: list[str], metrics: list[Metric], primary: Primary, context: StudyContext, stem: str
) -> Section | None:
    """The study's mixture law (report/mixture.py), with an earlier --confirm's prediction against its runs."""
    if not len(complete):
        return None
    study_dir = Path(os.path.commonpath([context.by_name[run].dir.parent for run in complete["run"]]))
    section, outcome = mixture_section(
        complete, varied, metrics, context.items, context.mixture_target, primary.metric, study_dir, context.out_dir, stem
    )
    if outcome is not None:
        outcome.example_run = str(context.by_name[complete["run"].iloc[0]].dir)
        context.mixtures.append(outcome)
        plan = confirm.read_plan(study_dir)
        if plan is not None and section is not None:
            section.items.append(confirm.confirmation_table(plan, complete, outcome.sources, f"{stem}_mixture_confirm"))
    return section


def study_primary(complete: pd.DataFrame, metrics: list[Metric], named: str | None) -> Primary:
    """The primary metric of a study's verdicts: --primary, else the runs' study_primary, else the default."""
    if named is not None:
        return choose_primary(metrics, named, "--primary")
    recorded = sorted({str(v) for v in complete.get("study_primary", pd.Series(dtype=str)).dropna() if str(v)})
    chosen = choose_primary(metrics, recorded[0] if recorded else None, "study_primary")
    if len(recorded) > 1:
        chosen.why += f"; the runs name {len(recorded)} different ones ({', '.join(recorded)}), the first taken"
    return chosen


def factor_tables(
    complete: pd.DataFrame,
    varied: list[str],
    metrics: list[Metric],
    baselines: dict[str, str],
    is_optuna: bool,
    stem: str,
    items: RunItems,
    primary: Primary,
) -> Section:
    section = Section("Results by factor", level=3)
    if is_optuna:  # trials move several parameters at once: per-factor means would confound them
        section.items.append(
            "An Optuna study: its trials vary several parameters at once, so per-factor means "
            "would confound them. See the Optuna section, the plots and the run table."
        )
        return section
    for factor in varied:
        levels = level_order(complete, factor)
        if len(levels) > MAX_LEVELS or complete[factor].value_counts().max() < 2:
            section.items.append(f"{factor}: {len(levels)} levels with about one run each; see the plots and the run table.")
            continue
        baseline = _baseline(levels, baselines.get(factor), factor)
        evidence = compare_factor(complete, factor, metrics, baseline, varied, items, primary)
        section.items.append(factor_table(complete, evidence, metrics, f"{stem}_by_{_slug(factor)}"))
        section.items += decision_items(complete, evidence, f"{stem}_power_{_slug(factor)}")
    if not varied and len(complete):  # one configuration, several seeds: its mean ± CI
        overall = complete.assign(all="all")
        evidence = compare_factor(overall, "all", metrics, "all", [], items, primary)
        section.items.append(factor_table(overall, evidence, metrics, f"{stem}_overall"))
    return section


def plots_section(
    complete: pd.DataFrame, varied: list[str], metrics: list[Metric], title: str, context: StudyContext, stem: str
) -> Section:
    """A plot per factor, against its number where it has one (a mix's synthetic fraction, a LoRA's rank)."""
    section = Section("Plots", level=3)
    for factor in varied:
        axis = plots.plot_axis(complete, factor)
        if metrics and complete[axis].nunique(dropna=True) > 1:
            path = plots.factor_plot(
                complete,
                axis,
                metrics,
                context.out_dir / "plots" / f"{stem}_vs_{_slug(axis)}.png",
                f"{title}: metrics vs {axis}",
                lambda runs, metric: level_mean(runs, metric, context.items),
            )
            section.items.append(
                Plot(
                    path,
                    f"Each metric against {plots.axis_label(axis)}: dots are runs, bars are the mean ± 95% CI of each "
                    "level (over seeds and items, as in the tables).",
                )
            )
    return section


def study_names(group: pd.DataFrame, keys: list[str]) -> list[str]:
    """The columns of the incomplete-runs table where no complete run varies anything: what all the study's runs
    vary, else its known factors."""
    return [factor.name for factor in study_factors(group, keys)] or [n for n in READING_ORDER if n in group.columns]


def samples_section(
    complete: pd.DataFrame, by_name: dict[str, Run], metrics: list[Metric], metric_name: str, n_samples: int, stem: str
) -> Section | None:
    if not metrics or not len(complete):
        return None
    metric = _metric_named(complete, metric_name)
    ranked = complete.dropna(subset=[metric.column]).sort_values(metric.column, ascending=not metric.higher_is_better)
    if not len(ranked):
        return None
    best, worst = by_name[ranked.iloc[0]["run"]], by_name[ranked.iloc[-1]["run"]]
    table = samples_table(best, worst, metric, n_samples, f"{stem}_samples")
    return None if table is None else Section("Sample generations", level=3, items=[table])


def optuna_section(info: StudyInfo, storage: str | None, out_dir: Path, stem: str) -> Section:
    section = Section(f"Optuna study {info.name}", level=3)
    study = load_study(info, storage)
    if isinstance(study, str):
        section.items.append(f"The study could not be read from its storage ({study}); pass --storage URL.")
        return section
    counts = state_counts(study)
    section.items.append(
        f"{info.direction.capitalize()} `{info.objective}`, {info.n_trials} trials wanted: "
        + ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        + "."
    )
    for item in (
        best_trial_table(study, info, f"{stem}_best_trial"),
        importances_table(study, f"{stem}_importances"),
        trials_table(study, info, f"{stem}_trials"),
    ):
        section.items.append(item)
    for path, caption in plots.optuna_plots(study, out_dir / "plots", stem):
        section.items.append(Plot(path, caption) if path else caption)
    return section


def check_baselines(frame: pd.DataFrame, factors: list[str], baselines: dict[str, str]) -> None:
    """Each --baseline FACTOR=LEVEL must name a factor of these runs and one of its levels."""
    for factor, wanted in baselines.items():
        if factor not in factors or factor not in frame.columns:
            raise ReportError(f"--baseline {factor}={wanted}: no factor {factor!r} in these runs (factors: {', '.join(factors)})")
        levels = level_order(frame, factor)
        if not any(_label(level) == wanted or str(level) == wanted for level in levels):
            raise ReportError(
                f"--baseline {factor}={wanted}: no such level in these runs (levels of {factor}: "
                f"{', '.join(_label(v) for v in levels)})"
            )


def _baseline(levels: list, wanted: str | None, factor: str):
    if wanted is None:
        return levels[0]
    for level in levels:
        if _label(level) == wanted or str(level) == wanted:
            return level
    raise ReportError(f"--baseline {factor}={wanted}: no such level (levels: {', '.join(_label(v) for v in levels)})")


def _metric_named(frame: pd.DataFrame, name: str) -> Metric:
    try:
        return metric_by_name(frame, name)
    except KeyError as err:
        raise ReportError(str(err.args[0])) from err


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "runs"
