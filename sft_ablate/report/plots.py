"""The report's plots (matplotlib, no display needed): metrics against each varied factor, and Optuna's."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator, NullFormatter  # noqa: E402

from sft_ablate.report.runs import DERIVED, Metric, is_level_number, level_order  # noqa: E402

# What a known factor's axis says; any other factor's axis is labelled with its name (train.epochs).
AXES = {
    "synthetic_fraction": "synthetic fraction of the training data",
    "diversity": "diversity level",
    "budget": "training budget (rows)",
    "lora_r": "LoRA rank",
    "learning_rate": "learning rate",
}
LOG_AXES = {"learning_rate": 10, "lora_r": 2}
TICK_CHARS = 20  # a longer level (a file path) is shown by its end
Estimator = Callable[[pd.DataFrame, Metric], Any]  # a level's runs -> its mean with .mean, .half_width, .n


def plot_axis(frame: pd.DataFrame, factor: str) -> str:
    """The column a factor is plotted against: the number behind it where there is one (a mix is its synthetic
    fraction, a LoRA its rank), else the factor itself."""
    number = {v: k for k, v in DERIVED.items()}.get(factor)
    if number and number in frame.columns and all(is_level_number(v) for v in frame[number].dropna()):
        return number
    return factor


def axis_label(axis: str) -> str:
    return AXES.get(axis, axis)


def factor_plot(frame: pd.DataFrame, axis: str, metrics: list[Metric], path: Path, title: str, estimate: Estimator) -> Path:
    """One panel per metric: every run as a dot, each level's mean with its 95% CI as an error bar (`estimate` of
    the level's runs: the tables' level means, so a plot never shows another interval than its table). A numeric factor is plotted on a
    number line; any other at evenly spaced levels, in their report order."""
    levels = level_order(frame, axis)
    numeric = all(is_level_number(v) for v in levels)
    positions = {level: (level if numeric else i) for i, level in enumerate(levels)}
    cols = min(3, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        runs = frame.dropna(subset=[axis, metric.column])
        ax.scatter(
            [positions[v] for v in runs[axis]], runs[metric.column], s=14, alpha=0.45, color="tab:gray", label="runs", zorder=2
        )
        estimates = [(positions[level], estimate(runs[runs[axis] == level], metric)) for level in levels]
        estimates = [(x, e) for x, e in estimates if e.n]
        ax.errorbar(
            [x for x, _ in estimates],
            [e.mean for _, e in estimates],
            yerr=_error_bars([e for _, e in estimates], metric.rate),
            # A line joins levels of a grid; an Optuna study's one-run levels are just points.
            fmt="o-" if any(e.n > 1 for _, e in estimates) else "o",
            color="tab:blue",
            capsize=4,
            label="mean ± 95% CI",
            zorder=3,
        )
        ax.set_title(f"{metric.label} ({'higher' if metric.higher_is_better else 'lower'} is better)", fontsize=10)
        ax.set_xlabel(axis_label(axis), fontsize=9)
        if axis in LOG_AXES and numeric:
            _log_axis(ax, levels, base=LOG_AXES[axis])
        if not numeric:
            texts = [_tick_text(v) for v in levels]
            slant = sum(map(len, texts)) > 24 or len(levels) > 4  # long labels (paths) would overlap: slant them
            ax.set_xticks(range(len(levels)), texts, rotation=25 if slant else 0, ha="right" if slant else "center", fontsize=8)
        if metric.rate:
            ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=11)
    return _save(fig, path)


def optuna_plots(study, out_dir: Path, stem: str) -> list[tuple[Path, str]]:
    """Optimization history, parameter importances and intermediate values (where pruning shows)."""
    import optuna
    from optuna.visualization import matplotlib as ov

    made = []
    plots = [
        ("history", ov.plot_optimization_history, "Optimization history: each trial's objective and the best so far."),
        ("importances", ov.plot_param_importances, "Parameter importances (fANOVA) for the objective."),
        (
            "intermediate",
            ov.plot_intermediate_values,
            "Held-out loss reported during training, per trial: pruned trials stop early.",
        ),
    ]
    for name, plot, caption in plots:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            try:
                ax = plot(study)
            except (ValueError, RuntimeError) as err:  # e.g. too few complete trials for importances
                caption = f"{caption} (not drawn: {err})"
                plt.close("all")
                made.append((None, caption))
                continue
        fig = ax.figure if hasattr(ax, "figure") else plt.gcf()
        fig.set_size_inches(7, 4)
        if name == "history":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # trials are numbered, never 2.5
        if name == "intermediate":
            _legend_by_state(ax, study)
        made.append((_save(fig, out_dir / f"{stem}_optuna_{name}.png"), caption))
    return made


def _legend_by_state(ax, study) -> None:
    """Optuna draws one line per trial with one legend entry each, which drowns the plot: colour the lines by the
    trial's state instead (finished or pruned), with a legend of those states."""
    from matplotlib.lines import Line2D

    colors = {"COMPLETE": "tab:blue", "PRUNED": "tab:orange", "RUNNING": "tab:gray"}
    states = {f"Trial{t.number}": t.state.name for t in study.get_trials(deepcopy=False)}
    seen = set()
    for line in ax.get_lines():  # Optuna labels each trial's line "Trial<number>"
        state = states.get(line.get_label(), "RUNNING")
        line.set_color(colors.get(state, "tab:gray"))
        line.set_alpha(0.8)
        seen.add(state)
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    seen = sorted(seen & set(colors), key=list(colors).index)
    handles = [Line2D([], [], color=colors[state], marker="o", label=state.lower()) for state in seen]
    ax.legend(handles=handles, title="trial", fontsize=8, loc="upper right")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _log_axis(ax, levels: list, base: int) -> None:
    """A log axis labelled at the levels that ran (a few of them, spaced apart), with no minor labels: the
    default labels every minor tick, and they overlap."""
    ax.set_xscale("log", base=base)
    ticks = _spaced_ticks(levels)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FixedFormatter([_tick_label(v) for v in ticks]))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(axis="x", labelsize=8)


def _spaced_ticks(levels: list, most: int = 6) -> list:
    """Levels to label on a log axis, at least 1/most of its span apart: an Optuna study's learning rates of
    8.4e-3 and 8.9e-3 would print over each other. The smallest and largest level are always labelled."""
    levels = sorted(float(v) for v in levels if v > 0)
    if len(levels) <= 2:
        return levels
    gap = math.log(levels[-1] / levels[0]) / most
    ticks = [levels[0]]
    for value in levels[1:]:
        if math.log(value / ticks[-1]) >= gap:
            ticks.append(value)
    if ticks[-1] != levels[-1]:  # the largest is labelled; it replaces a kept neighbour too close to it
        if len(ticks) > 1 and math.log(levels[-1] / ticks[-1]) < gap:
            ticks.pop()
        ticks.append(levels[-1])
    return ticks


def _tick_text(level) -> str:
    text = f"{level:g}" if isinstance(level, float) else str(level)
    return text if len(text) <= TICK_CHARS else "…" + text[-(TICK_CHARS - 1) :]


def _tick_label(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e4:
        return str(int(value))
    return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e")


def _error_bars(estimates: list, rate: bool) -> list[list[float]]:
    """[below, above] per level: the 95% CI half-width, cut at 0 and 1 for a rate."""
    below, above = [], []
    for e in estimates:
        half = 0.0 if math.isnan(e.half_width) else e.half_width
        low, high = e.mean - half, e.mean + half
        if rate:
            low, high = max(0.0, low), min(1.0, high)
        below.append(e.mean - low)
        above.append(high - e.mean)
    return [below, above]


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def mixture_plot(
    frame: pd.DataFrame, sources: list[str], axis: str, fits: dict, targets: list, target: str, path: Path
) -> Path | None:
    """One panel per eval set with a law: its loss against the first source's weight (two sources: dots are runs,
    squares level means, the line the law with its prediction band, the star the optimum), or a triangle of the
    law's values over the weights (three sources, runs as dots)."""
    from sft_ablate.report.mixture_law import LawFit

    drawn = {label: (key, fit) for label, (key, fit) in fits.items() if isinstance(fit, LawFit)}
    if not drawn:
        return None
    cols = min(3, len(drawn))
    rows = math.ceil(len(drawn) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.5 * rows), squeeze=False)
    weights = frame[[f"mix.weights.{s}" for s in sources]].fillna(0.0).astype(float).to_numpy()
    for ax, (label, (key, fit)) in zip(axes.flat, drawn.items()):
        parts = next(t for t in targets if t.label == key).parts
        values = sum(coef * frame[column] for column, coef in parts.items())
        opt = fit.optimum
        if len(sources) == 2:
            x, g = fit.grid.weights[:, 0], fit.grid
            ax.fill_between(x, g.pi_low, g.pi_high, color="tab:blue", alpha=0.15, label="90% prediction band")
            ax.plot(x, g.mean, color="tab:blue", label=f"law ({fit.form.name})")
            ax.scatter(weights[:, 0], values, s=14, alpha=0.5, color="tab:gray", label="runs", zorder=2)
            level_x = np.unique(weights[:, 0])
            means = [values[weights[:, 0] == v].mean() for v in level_x]
            ax.scatter(level_x, means, marker="s", s=28, color="black", label="level mean", zorder=3)
            ax.errorbar(
                [opt.weights[0]],
                [opt.loss],
                xerr=[[opt.weights[0] - opt.weights_low[0]], [opt.weights_high[0] - opt.weights[0]]],
                yerr=[[opt.loss - opt.pi_low], [opt.pi_high - opt.loss]],
                fmt="*",
                ms=13,
                color="tab:red",
                label="predicted optimum",
                zorder=4,
            )
            for start, end in ((-0.02, weights[:, 0].min()), (weights[:, 0].max(), 1.02)):
                if end > start + 0.03:
                    ax.axvspan(start, end, color="tab:gray", alpha=0.08, lw=0)  # not run: extrapolated
            ax.set_xlabel(axis)
            ax.set_xlim(-0.02, 1.02)
        else:  # the first three weights on a triangle
            corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3) / 2]])
            xy = fit.grid.weights[:, :3] @ corners
            shade = ax.tricontourf(xy[:, 0], xy[:, 1], fit.grid.mean, levels=14, cmap="viridis_r")
            fig.colorbar(shade, ax=ax, shrink=0.8, label="predicted loss")
            runs = weights[:, :3] @ corners
            ax.scatter(runs[:, 0], runs[:, 1], s=16, color="white", edgecolors="black", label="runs", clip_on=False)
            best = opt.weights[:3] @ corners
            ax.scatter([best[0]], [best[1]], marker="*", s=160, color="tab:red", label="predicted optimum")
            for (cx, cy), name in zip(corners, sources):
                ax.annotate(name, (cx, cy), ha="center", va="top" if cy == 0 else "bottom", fontsize=8)
            ax.set_aspect("equal")
            ax.axis("off")
        ax.set_title(f"{label} (target)" if key == target else label, fontsize=9, pad=4 if len(sources) == 2 else 16)
    for ax in list(axes.flat)[len(drawn) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    return _save(fig, path)
