"""The report's mixture-law section: for a study that varies only the mixture, each eval set's loss fitted as a law
of the weights (sft_ablate/report/mixture_law.py), the mixture it predicts is best for a target, a table of
predictions at every fraction in steps of 0.1, a plot, and, once `--confirm` ran the predicted mixture, the
prediction against what was observed (sft_ablate/report/confirm.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sft_ablate.errors import SftAblateError
from sft_ablate.report.evidence import EXTERNAL_LOSS, POOLED_LOSS, SOURCE_LOSS, RunItems, has_items
from sft_ablate.report.mixture_law import CONFIDENCE, FormChoice, LawData, LawFit, fit_law
from sft_ablate.report.render import Plot, Section
from sft_ablate.report.runs import REPLICATE, Metric
from sft_ablate.report.tables import Table

WEIGHT_PREFIX = "mix.weights."
LAW_PATHS = (POOLED_LOSS, SOURCE_LOSS, EXTERNAL_LOSS)
MIX_FACTORS = {"mix", "synthetic_fraction"}


class TargetError(SftAblateError):
    """A --mixture-target that names no fitted eval set, or weights that do not parse."""


@dataclass(frozen=True)
class Target:
    """What the optimum minimises: one eval set, or a weighted sum of them."""

    parts: dict[str, float]  # metric column -> coefficient

    @property
    def label(self) -> str:
        if len(self.parts) == 1:
            return next(iter(self.parts))
        return " + ".join(f"{c:g}·{m}" for m, c in self.parts.items())


def parse_target(text: str, metrics: list[Metric]) -> Target:
    """`heldout.both.loss`, or `eval_loss_by_source.human=0.5,heldout.both.loss=0.5` (a weighted sum)."""
    parts = {}
    for piece in [p.strip() for p in text.split(",") if p.strip()]:
        name, _, coef = piece.partition("=")
        metric = _law_metric(name.strip(), metrics)
        try:
            parts[metric.column] = float(coef) if coef else 1.0
        except ValueError as err:
            raise TargetError(f"--mixture-target {text!r}: {coef!r} is not a number") from err
    if not parts:
        raise TargetError("--mixture-target is empty")
    return Target(parts)


def _law_metric(name: str, metrics: list[Metric]) -> Metric:
    wanted = name.removeprefix("metrics.")
    found = next((m for m in law_metrics(metrics) if wanted in (m.column, m.column.replace("/", "."))), None)
    if found is None:
        names = ", ".join(m.column.replace("/", ".") for m in law_metrics(metrics))
        raise TargetError(f"--mixture-target: {name!r} is no loss a mixture law is fitted to (these runs have: {names})")
    return found


def law_metrics(metrics: list[Metric]) -> list[Metric]:
    """The losses a law is fitted to: pooled, per source, each external set (with per-item scores)."""
    return [m for m in metrics if m.spec is not None and m.spec.path in LAW_PATHS and has_items(m)]


def mixture_sources(complete: pd.DataFrame) -> list[str]:
    """The sources the study's mixtures weigh, synthetic ones first (a two-source law's axis is the first)."""
    names = sorted(c.removeprefix(WEIGHT_PREFIX) for c in complete.columns if c.startswith(WEIGHT_PREFIX))
    return sorted(names, key=lambda s: source_kind(complete, s) != "synthetic")


def source_kind(complete: pd.DataFrame, source: str) -> str:
    column = f"data.sources.{source}.kind"
    kinds = complete[column].dropna().unique() if column in complete else []
    return str(kinds[0]) if len(kinds) else "human"


def law_study(complete: pd.DataFrame, varied: list[str]) -> str:
    """Why no law is fitted ("" when one is): the study must vary the mixture and nothing else."""
    if not set(varied) & MIX_FACTORS:
        return "the study does not vary the mixture"
    others = [f for f in varied if f not in MIX_FACTORS]
    if others:
        return f"the study varies {', '.join(others)} besides the mixture, which a law of the weights alone would confound"
    return ""


def law_data(
    complete: pd.DataFrame, sources: list[str], target: Target, metrics: list[Metric], items: RunItems
) -> LawData | None:
    """The target's per-seed x per-item scores at each mixture the study ran; None when a run lacks item scores."""
    columns = [f"{WEIGHT_PREFIX}{s}" for s in sources]
    weights = complete[columns].fillna(0.0).astype(float).round(6)
    levels = sorted({tuple(row) for row in weights.to_numpy()})
    by_column = {m.column: m for m in metrics}
    scores, item_weights = [], []
    for column in target.parts:
        matrices = []
        for level in levels:
            runs = complete[(weights.to_numpy() == np.array(level)).all(axis=1)]
            found = items.matrix(runs, by_column[column], [REPLICATE])
            if found is None:
                return None
            matrices.append(found)
        shared = sorted(set().union(*(x.columns for x, _ in matrices)))
        scores.append([x.reindex(columns=shared).to_numpy(dtype=float) for x, _ in matrices])
        item_weights.append(pd.concat([w.reindex(columns=shared) for _, w in matrices]).mean(axis=0).to_numpy(dtype=float))
    return LawData(sources, np.array(levels, dtype=float), scores, item_weights, list(target.parts.values()))


def fit_targets(
    complete: pd.DataFrame, sources: list[str], targets: list[Target], metrics: list[Metric], items: RunItems, at: np.ndarray
) -> dict[str, LawFit | FormChoice | None]:
    fits: dict[str, LawFit | FormChoice | None] = {}
    for target in targets:
        data = law_data(complete, sources, target, metrics, items)
        fits[target.label] = None if data is None else fit_law(data, at=at)
    return fits


def fits_table(fits: dict[str, LawFit | FormChoice | None], labels: dict[str, str], axis: str, name: str) -> Table:
    """One row per eval set: the law chosen, how well it predicts a level it did not see, and its optimum."""
    shown, data = [], []
    level = int(CONFIDENCE * 100)
    for key, fit in fits.items():
        row = {"eval set": labels.get(key, key)}
        if not isinstance(fit, LawFit):
            row["law"] = "no per-item scores" if fit is None else fit.why
            shown.append(row)
            data.append({"eval_set": key, "law": row["law"]})
            continue
        check = f"{fit.choice.errors[fit.form.name]:.3f}" if fit.choice.checked else "unchecked"
        noise = float(np.sqrt(fit.noise.variance / np.median(fit.level_seeds))) if fit.noise.df else float("nan")
        opt = fit.optimum
        row.update(
            {
                "law": fit.form.name,
                "leave-one-level-out RMSE": check,
                "level SE": f"{noise:.3f}" if np.isfinite(noise) else "n/a",
                f"best {axis} [{level}%]": f"{opt.weights[0]:.2f} [{opt.weights_low[0]:.2f}, {opt.weights_high[0]:.2f}]",
                f"loss there [{level}% PI]": f"{opt.loss:.3f} [{opt.pi_low:.3f}, {opt.pi_high:.3f}]",
            }
        )
        shown.append(row)
        data.append(
            {
                "eval_set": key,
                "law": fit.form.name,
                "checked": fit.choice.checked,
                **{f"lolo_rmse_{k}": v for k, v in fit.choice.errors.items()},
                "level_se": noise,
                **{f"best_{s}": w for s, w in zip(fit.sources, opt.weights)},
                **{f"best_{s}_low": w for s, w in zip(fit.sources, opt.weights_low)},
                **{f"best_{s}_high": w for s, w in zip(fit.sources, opt.weights_high)},
                "best_loss": opt.loss,
                "best_loss_pi_low": opt.pi_low,
                "best_loss_pi_high": opt.pi_high,
                "basis": fit.basis,
            }
        )
    caption = (
        f"The mixture law of each eval set: the law chosen, its error predicting each level from the others (vs a "
        f"level mean's standard error), the best {axis} within the range run with its {level}% interval, and the "
        f"loss a study would observe there with its {level}% prediction interval."
    )
    return Table(name, caption, pd.DataFrame(shown).fillna(""), pd.DataFrame(data))


def grid_table(
    fits: dict[str, LawFit | FormChoice | None], labels: dict[str, str], observed: dict[str, dict[tuple, float]], name: str
) -> Table | None:
    """Predicted loss with its prediction interval at every weight vector in steps of 0.1, beside the level means
    observed where a level was run; CSV in long form."""
    fitted = {k: f for k, f in fits.items() if isinstance(f, LawFit)}
    if not fitted:
        return None
    first = next(iter(fitted.values()))
    step = np.isclose((first.grid.weights * 10) % 1, 0) | np.isclose((first.grid.weights * 10) % 1, 1)
    rows = np.flatnonzero(step.all(axis=1))
    shown, data = [], []
    level = int(CONFIDENCE * 100)
    for i in rows:
        w = first.grid.weights[i]
        key = tuple(np.round(w, 6))
        row = {" / ".join(first.sources): " / ".join(f"{v:.1f}" for v in w)}
        for k, fit in fitted.items():
            g = fit.grid
            note = "" if g.inside[i] else " (extrapolated)"
            seen = observed.get(k, {}).get(key)
            row[labels.get(k, k)] = f"{g.mean[i]:.3f} [{g.pi_low[i]:.3f}, {g.pi_high[i]:.3f}]{note}" + (
                f"; run: {seen:.3f}" if seen is not None else ""
            )
            data.append(
                {
                    **{s: v for s, v in zip(fit.sources, w)},
                    "eval_set": k,
                    "predicted": g.mean[i],
                    "ci_low": g.low[i],
                    "ci_high": g.high[i],
                    "pi_low": g.pi_low[i],
                    "pi_high": g.pi_high[i],
                    "extrapolated": not bool(g.inside[i]),
                    "observed": seen,
                }
            )
        shown.append(row)
    caption = (
        f"The law's predicted loss at every mixture in steps of 0.1, [{level}% prediction interval for the mean a study "
        "with as many seeds would observe], beside the mean observed where the study ran that mixture: a mixture run "
        "later can be checked against it."
    )
    return Table(name, caption, pd.DataFrame(shown), pd.DataFrame(data))


def observed_means(complete: pd.DataFrame, sources: list[str], targets: list[Target]) -> dict[str, dict[tuple, float]]:
    """Each target's mean over a level's runs (runs' recorded metrics), by the level's weights."""
    columns = [f"{WEIGHT_PREFIX}{s}" for s in sources]
    keyed = complete.assign(_key=[tuple(r) for r in complete[columns].fillna(0.0).astype(float).round(6).to_numpy()])
    out = {}
    for target in targets:
        value = sum(coef * keyed[column] for column, coef in target.parts.items())
        out[target.label] = {k: float(v) for k, v in value.groupby(keyed["_key"]).mean().items()}
    return out


def study_axis(sources: list[str], kinds: list[str]) -> str:
    if len(sources) == 2 and kinds[0] == "synthetic" and kinds[1] != "synthetic":
        return "synthetic fraction"
    return f"weight of {sources[0]}" if len(sources) == 2 else "mixture"


def plot_path(out_dir: Path, stem: str) -> Path:
    return out_dir / "plots" / f"{stem}_mixture_law.png"


@dataclass
class MixtureOutcome:
    """What --confirm needs of a study's law: where the study lives, its seeds, the mixture to run and the
    predictions there (per eval set: loss and its prediction interval)."""

    study_dir: Path
    sources: list[str]
    target: str
    weights: list[float]
    predicted: dict[str, tuple[float, float, float]]  # eval set -> (loss, PI low, PI high) at `weights`
    seeds: list[int]
    form: str
    example_run: str = ""  # a complete run of the study, whose command line a confirmation reuses


def mixture_section(
    complete: pd.DataFrame,
    varied: list[str],
    metrics: list[Metric],
    items: RunItems,
    target_text: str | None,
    default_target: Metric | None,
    study_dir: Path,
    out_dir: Path,
    stem: str,
) -> tuple[Section | None, MixtureOutcome | None]:
    """The mixture-law section of one study, and what --confirm would run; (None, None) when the study does not
    vary the mixture at all."""
    from sft_ablate.report import plots  # matplotlib, only when drawn

    why_not = law_study(complete, varied)
    if why_not:
        return (None, None) if "does not vary" in why_not else (Section("Mixture law", 3, [f"No mixture law: {why_not}."]), None)
    sources = mixture_sources(complete)
    if len(sources) < 2:  # older runs recorded the mix's name, not its weights
        return Section("Mixture law", 3, ["No mixture law: the runs did not record their mixture weights."]), None
    kinds = [source_kind(complete, s) for s in sources]
    axis = study_axis(sources, kinds)
    fitted = law_metrics(metrics)
    if not fitted:
        return Section("Mixture law", 3, ["No mixture law: the runs recorded no per-item losses."]), None
    target = parse_target(target_text, metrics) if target_text else _default_target(fitted, default_target)
    targets = [Target({m.column: 1.0}) for m in fitted]
    if target.label not in {t.label for t in targets}:
        targets.append(target)
    labels = {m.column: m.label for m in fitted}
    at = dense_grid(len(sources))
    fits = fit_targets(complete, sources, targets, metrics, items, at)
    section = Section("Mixture law", 3)
    main = fits.get(target.label)
    n_levels = complete[[f"{WEIGHT_PREFIX}{s}" for s in sources]].drop_duplicates().shape[0]
    if not isinstance(main, LawFit):
        why = "no per-item scores" if main is None else main.why
        section.items.append(f"No mixture law for {labels.get(target.label, target.label)}: {why}.")
        return section, None
    section.items.append(headline(main, labels.get(target.label, target.label), axis, n_levels))
    section.items.append(fits_table(fits, labels, axis, f"{stem}_mixture_law"))
    observed = observed_means(complete, sources, targets)
    grid = grid_table(fits, labels, observed, f"{stem}_mixture_law_grid")
    if grid is not None:
        section.items.append(grid)
    path = plots.mixture_plot(
        complete,
        sources,
        axis,
        {labels.get(k, k): (k, f) for k, f in fits.items()},
        targets,
        target.label,
        plot_path(out_dir, stem),
    )
    if path is not None:
        section.items.append(
            Plot(
                path,
                f"Each eval set's loss against the {axis}: dots are runs, squares the level means, the line the fitted "
                f"law with its {int(CONFIDENCE * 100)}% prediction band, the star the predicted optimum.",
            )
        )
    seeds = sorted(int(s) for s in complete[REPLICATE].dropna().unique()) if REPLICATE in complete else [0]
    i = int(np.argmin(np.abs(at - main.optimum.weights).sum(axis=1)))  # the optimum on the grid a run can name
    predicted = {
        key: (float(f.grid.mean[i]), float(f.grid.pi_low[i]), float(f.grid.pi_high[i]))
        for key, f in fits.items()
        if isinstance(f, LawFit)
    }
    weights = [round(float(w), 2) for w in at[i]]
    outcome = MixtureOutcome(study_dir, sources, target.label, weights, predicted, seeds, main.form.name)
    return section, outcome


def _default_target(fitted: list[Metric], primary: Metric | None) -> Target:
    """The study's primary metric when a law is fitted to it (by default the external held-out set), else pooled."""
    if primary is not None and primary in fitted:
        return Target({primary.column: 1.0})
    pooled = next((m for m in fitted if m.spec is not None and m.spec.path == POOLED_LOSS), fitted[0])
    return Target({pooled.column: 1.0})


def dense_grid(m: int) -> np.ndarray:
    from sft_ablate.report.mixture_law import simplex_grid

    return simplex_grid(m, 0.01 if m == 2 else 0.05)


def headline(fit: LawFit, label: str, axis: str, n_levels: int) -> str:
    level = int(CONFIDENCE * 100)
    opt = fit.optimum
    where = (
        f"{axis} {opt.weights[0]:.2f} [{level}%: {opt.weights_low[0]:.2f}, {opt.weights_high[0]:.2f}]"
        if len(fit.sources) == 2
        else ", ".join(
            f"{s} {w:.2f} [{lo:.2f}, {hi:.2f}]"
            for s, w, lo, hi in zip(fit.sources, opt.weights, opt.weights_low, opt.weights_high)
        )
    )
    check = (
        f"chosen by leave-one-level-out error ({fit.choice.errors[fit.form.name]:.3f})"
        if fit.choice.checked
        else f"unchecked: {fit.choice.why}"
    )
    edge = (
        " **That is the edge of the range run: the law keeps falling towards mixtures the study did not try, so the best "
        "one may lie beyond; run a mixture further out.**"
        if fit.at_edge
        else ""
    )
    law = f"Law: {fit.form.name}, {fit.form.formula}, fitted to {n_levels} mixtures; {check}."
    there = f"{opt.loss:.3f} [{level}% PI {opt.pi_low:.3f}, {opt.pi_high:.3f}; {fit.basis}]"
    if fit.effect_p is not None and not fit.recommends:
        return (
            f"**No mixture recommended for {label}**: the mixtures run do not differ on it beyond seed noise (one-way "
            f"ANOVA over the runs, p = {fit.effect_p:.2f}), so the law's lowest point, {where} (loss {there}), is where "
            f"the noise put it. More seeds, or mixtures further apart, can tell. {law}"
        )
    effect = (
        f"the mixtures run differ on it (one-way ANOVA over the runs, p = {fit.effect_p:.2g})"
        if fit.effect_p is not None
        else "unchecked whether the mixtures differ at all: no level ran two seeds, so seed noise is unknown"
    )
    return (
        f"**Predicted best mixture for {label}: {where}**, within the range the study ran; {effect}. The loss a study "
        f"with as many seeds would observe there: {there}.{edge} {law} To check it, run the predicted mixture with "
        f"the study's settings and seeds: `python -m sft_ablate.report DIR --confirm`."
    )
