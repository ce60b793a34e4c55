"""What a study can decide: per test of a factor's verdict, its delta with raw and adjusted p, whether it is a fair
test, the minimum detectable effect at its seeds and items, and the seeds or items needed to resolve the delta it
saw; per factor, the verdict lines.

The figures come from the variance model of the intervals (sft_ablate/report/inference.py: seeds x items, two-sided
alpha 0.05, power 0.8): the MDE is the |delta| this design detects 80% of the time; seeds needed (at these items)
and items needed (at these seeds) would resolve the observed delta, were it the true one. Where the other
dimension's variance alone is too large, more of this one cannot help, and the table says so. With 2 or 3 seeds the
variance components are rough: read the figures as orders of magnitude. They are per test, at alpha 0.05 before
the family's adjustment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sft_ablate.report.evidence import ITEMS, SEEDS, Comparison, FactorEvidence, level_label
from sft_ablate.report.inference import ALPHA, MAX_N, POWER, Needed, items_needed, mde, seeds_needed
from sft_ablate.report.runs import level_order
from sft_ablate.report.tables import Table, metric_places

NOT_IN_FAMILY_WHY = {  # why a compared metric without per-item scores is no test of the verdict
    "eval_perplexity": "a transform of the eval loss",
    "elo.rating": "rated from the same battles as the win rate vs base, whose prompts are its items",
}


@dataclass(frozen=True)
class Power:
    mde: float  # minimum detectable |delta| at this design (nan: no figure)
    seeds: Needed  # seeds per level that resolve the observed |delta|, at these items
    items: Needed  # items that resolve it, at these seeds


def power_of(c: Comparison) -> Power:
    d, comp = c.delta, c.delta.components
    unknown = Needed(math.nan, "")
    if comp is None or not math.isfinite(d.mean) or d.n_seeds < 2:
        return Power(math.nan, unknown, Needed(math.nan, "one seed: the seed variance is unknown"))
    effect = abs(d.mean)
    items = items_needed(comp, effect, d.n_seeds) if c.basis == ITEMS else Needed(math.nan, "no per-item scores in these runs")
    return Power(mde(comp, d.n_seeds, d.n_items), seeds_needed(comp, effect, d.n_items), items)


def power_table(frame: pd.DataFrame, evidence: FactorEvidence, name: str) -> Table:
    """One row per test of the factor's verdict (metric x level other than the baseline)."""
    places = {c.metric.column: metric_places(frame, c.metric.column) for c in evidence.family}
    rows = [_row(c, evidence, places[c.metric.column]) for c in evidence.family]
    data = pd.DataFrame(rows)
    if data.empty:
        return Table(name, f"No test of a verdict on {evidence.factor}.", data, data)
    factor = evidence.factor
    shown = pd.DataFrame(
        {
            "metric": [c.metric.label + (" (primary)" if c.primary else "") for c in evidence.family],
            factor: data[factor],
            "Δ [95% CI]": [_delta_ci(c, places[c.metric.column]) for c in evidence.family],
            "p": data["p"].map(_p_text),
            "p adjusted": data["p_adjusted"].map(_p_text),
            "test": ["in-distribution" if c.in_distribution else "fair" for c in evidence.family],
            "n": [_n_text(c) for c in evidence.family],
            "minimum detectable effect": [_fixed(v, places[c.metric.column]) for v, c in zip(data["mde"], evidence.family)],
            "seeds needed": [_needed_text(v, why) for v, why in zip(data["seeds_needed"], data["seeds_needed_why"])],
            "items needed": [_needed_text(v, why) for v, why in zip(data["items_needed"], data["items_needed_why"])],
            "meaning": data["meaning"],
        }
    )
    return Table(name, _caption(evidence), shown, data)


def _row(c: Comparison, evidence: FactorEvidence, places: int) -> dict[str, Any]:
    d, power = c.delta, power_of(c)
    comp = d.components
    return {
        "metric": c.metric.label,
        "column": c.metric.column,
        evidence.factor: level_label(c.level),
        "delta": d.mean,
        "ci_low": d.low,
        "ci_high": d.high,
        "p": d.p,
        "p_adjusted": c.p_adjusted,
        "significant": c.significant,
        "primary": c.primary,
        "in_distribution": c.in_distribution,
        "basis": c.basis,
        "paired": d.paired,
        "n_seeds": d.n_seeds,
        "n_items": d.n_items,
        "v_seed": comp.seed if comp else math.nan,
        "v_item": comp.item if comp else math.nan,
        "v_resid": comp.resid if comp else math.nan,
        "mde": power.mde,
        "seeds_needed": power.seeds.n,
        "seeds_needed_why": power.seeds.why,
        "items_needed": power.items.n,
        "items_needed_why": power.items.why,
        "meaning": meaning(c, power, evidence, places),
    }


def meaning(c: Comparison, power: Power, evidence: FactorEvidence, places: int) -> str:
    """What one test says, in words: significant (after adjustment) or not, and what would resolve it."""
    d = c.delta
    if not math.isfinite(d.mean):
        return "no data"
    if c.significant:
        better = (d.mean > 0) == c.metric.higher_is_better
        return f"significantly {'better' if better else 'worse'} (adjusted p {_p_text(c.p_adjusted)})"
    if d.significant:
        gate = evidence.primary.metric
        if gate is not None and not c.primary and not _primary_passed(evidence, c.level):
            return f"its CI excludes 0, but it is gated behind the primary ({gate.label}), which is not significant"
        return f"its CI excludes 0, but not after adjustment for the family's {len(evidence.family)} tests (adjusted p {_p_text(c.p_adjusted)})"
    if not math.isfinite(power.mde):
        return "not resolved; no power figure (one seed, or levels without two shared seeds)"
    at = f"{d.n_seeds} seeds" + (f" × {d.n_items} items" if c.basis == ITEMS else "")
    head = (
        f"not resolved: |Δ| {abs(d.mean):,.{places}f} is under the MDE {power.mde:,.{places}f} at {at}"
        if abs(d.mean) < power.mde
        else f"not resolved at {at}"
    )
    return f"{head}; {_resolves(power)}"


def _resolves(power: Power) -> str:
    """'12 seeds or 80 items would resolve it', and which dimension cannot (its `why` in the csv)."""
    parts, notes = [], []
    for needed, what, other in ((power.seeds, "seeds", "item"), (power.items, "items", "seed")):
        if math.isfinite(needed.n):
            parts.append(f"{int(needed.n)} {what}")
        elif needed.n == math.inf and "cannot" in needed.why:
            notes.append(f"more {what} cannot (the {other} variance alone is too large)")
        elif needed.n == math.inf:
            parts.append(f"more than {MAX_N:,} {what}")
    text = " or ".join(parts) + " would resolve it" if parts else ""
    return "; ".join([text, *notes] if text else notes) or "no figure"


def _primary_passed(evidence: FactorEvidence, level: Any) -> bool:
    return any(c.primary and c.level == level and c.significant for c in evidence.family)


def verdict_lines(evidence: FactorEvidence, places: dict[str, int]) -> list[str]:
    """The family line, then the verdict: "can conclude" rests on fair tests only; significant in-distribution
    tests are reported as "only in-distribution"; then what cannot be concluded. places: decimals per metric column."""
    factor, base = evidence.factor, level_label(evidence.baseline)
    fair, inside, unresolved = [], [], []
    for c in evidence.family:
        what = meaning(c, power_of(c), evidence, places[c.metric.column]) if c.significant else _unresolved(c, places)
        test = ("in-distribution" + (f": {c.in_distribution}" if c.significant else "")) if c.in_distribution else "fair test"
        text = f"{c.metric.label} ({level_label(c.level)} vs {base}: {what}; {test})"
        (unresolved if not c.significant else inside if c.in_distribution else fair).append(text)
    lines = [family_line(evidence)]
    if fair:
        also = f" Only in-distribution, no evidence that the data is better: {'; '.join(inside)}." if inside else ""
        lines.append(f"**Verdict on {factor}: can conclude** " + "; ".join(fair) + "." + also)
        if unresolved:
            lines.append(f"**Verdict on {factor}: cannot conclude** " + "; ".join(unresolved) + ".")
    elif inside:  # one line: nothing concluded, what only in-distribution tests show, then the rest
        lines.append(
            f"**Verdict on {factor}: cannot conclude (only in-distribution)** " + "; ".join(inside) + ". A level that trains "
            "on more of a source is expected to do better on that source's own held-out rows; that is no evidence the "
            "data is better, and no fair test agrees." + (f" Not resolved: {'; '.join(unresolved)}." if unresolved else "")
        )
    elif unresolved:
        lines.append(f"**Verdict on {factor}: cannot conclude** " + "; ".join(unresolved) + ".")
    return lines


def _unresolved(c: Comparison, places: dict[str, int]) -> str:
    """A test the verdict cannot conclude on, briefly (the power table says what would resolve it)."""
    d = c.delta
    if not math.isfinite(d.mean):
        return "no data"
    text = f"Δ {_delta_ci(c, places[c.metric.column])}"
    if d.significant:
        return f"{text}, not significant after the family's adjustment"
    return f"{text}, not resolved" + (" (seeds only)" if c.basis == SEEDS else "")


def family_line(evidence: FactorEvidence) -> str:
    """How the verdict's tests are adjusted, and which compared metrics are no tests."""
    family = evidence.family
    levels = len({c.level for c in family})
    metrics = list(dict.fromkeys(c.metric.label for c in family))
    head = (
        f"The verdict on {evidence.factor} rests on {len(family)} tests ({_count(levels, 'level')} × "
        f"{_count(len(metrics), 'metric')}), "
    )
    if evidence.primary.metric is None:
        how = f"Holm-adjusted together: the chance of any false claim among them stays ≤ {ALPHA} ({evidence.primary.why})."
    else:
        split = f", α split over the {evidence.split} levels ({ALPHA / evidence.split:.3g} each)" if evidence.split > 1 else ""
        how = (
            f"with a primary metric, {evidence.primary.why}: tested first at each level, the level's other tests "
            f"Holm-adjusted behind it (none can be concluded unless the primary is){split}; the chance of any false "
            f"claim stays ≤ {ALPHA}."
        )
    outside = {c.metric.column: c.metric for c in evidence.comparisons if not c.in_family}
    why = [f"{m.label} ({NOT_IN_FAMILY_WHY.get(m.column.replace('/', '.'), 'no per-item scores')})" for m in outside.values()]
    seeds = list(dict.fromkeys(c.metric.label for c in family if c.basis == SEEDS))
    return (
        head
        + how
        + (f" Shown, but no tests: {', '.join(why)}." if why else "")
        + (
            f" Over seeds only (runs without item_scores.jsonl, or levels scored on different items): {', '.join(seeds)}."
            if seeds
            else ""
        )
    )


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _caption(evidence: FactorEvidence) -> str:
    factor = evidence.factor
    return (
        f"What the study can decide, by {factor} (vs {factor}={level_label(evidence.baseline)}): each test of the verdict, "
        "its Δ with the 95% CI over seeds and items (paired on both), p and the p adjusted for the factor's family "
        "(what the verdict goes by), whether it is a fair test or in-distribution (a source's own held-out rows when "
        "the levels train on different shares of it, and the pooled eval loss), n (seeds × items), the minimum "
        f"detectable effect at that n (α = {ALPHA} per test, power {POWER}) and the seeds (at these items) or items "
        "(at these seeds) that would resolve the observed Δ at that power."
    )


def _delta_ci(c: Comparison, places: int) -> str:
    d = c.delta
    if not math.isfinite(d.mean):
        return ""
    text = f"{d.mean:+,.{places}f}"
    return text + (f" [{d.low:+,.{places}f}, {d.high:+,.{places}f}]" if math.isfinite(d.low) else "")


def _n_text(c: Comparison) -> str:
    d = c.delta
    text = f"{d.n_seeds} × {d.n_items}" if c.basis == ITEMS else f"{d.n_seeds} (seeds only)"
    return text + ("" if d.paired else ", unpaired")


def _p_text(p: float) -> str:
    if not math.isfinite(p):
        return ""
    return f"{p:.2g}" if p >= 0.001 else "<0.001"


def _fixed(value: float, places: int) -> str:
    return f"{value:,.{places}f}" if math.isfinite(value) else ""


def _needed_text(value: float, why: str) -> str:
    if math.isfinite(value):
        return f"{int(value)}"
    if value == math.inf:
        return "more cannot help" if "cannot" in why else f"> {MAX_N:,}"
    return ""


def trainable_tokens_line(frame: pd.DataFrame, factor: str) -> str | None:
    """Compute per level: a mix ablation at a row budget also changes how many tokens the model trains on."""
    column = "data/train_trainable_tokens"
    if column not in frame.columns or frame[column].isna().all():
        return None
    means = frame.groupby(factor)[column].mean()
    levels = [lv for lv in level_order(frame, factor) if lv in means.index]
    listed = ", ".join(f"{level_label(lv)}: {means[lv]:,.0f}" for lv in levels)
    spread = (means.max() - means.min()) / means.mean() if means.mean() else 0.0
    return f"Trainable tokens per {factor} level (mean over runs): {listed} (spread {spread:.0%} of the mean)."


def decision_items(frame: pd.DataFrame, evidence: FactorEvidence, name: str) -> list:
    """The report items under a factor's table: compute per level, the power table, the family and verdict lines."""
    tokens = [line] if (line := trainable_tokens_line(frame, evidence.factor)) else []
    if not evidence.family:
        return tokens
    places = {c.metric.column: metric_places(frame, c.metric.column) for c in evidence.family}
    return [*tokens, power_table(frame, evidence, name), *verdict_lines(evidence, places)]
