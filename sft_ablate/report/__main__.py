"""`python -m sft_ablate.report <sweep or outputs dir> [--wandb]`: write the ablation report."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sft_ablate.command import run_command
from sft_ablate.registry import load_plugins
from sft_ablate.report.build import Report, ReportError, build_report
from sft_ablate.report.render import Plot
from sft_ablate.report.tables import Table

log = logging.getLogger("sft_ablate.report")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sft_ablate.report", description=__doc__)
    parser.add_argument("root", type=Path, help="a sweep dir (outputs/sweeps/<study>/<model>) or a whole outputs dir")
    parser.add_argument("--out", type=Path, help="where to write (default: <root>/report)")
    parser.add_argument(
        "--metric",
        default="eval_loss",
        help="what ranks runs for the best/worst samples: eval_loss, bench/<task>/<metric>, elo/rating",
    )
    parser.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="FACTOR=LEVEL",
        help="the level deltas are taken against, e.g. mix=50_50 (default: the first level)",
    )
    parser.add_argument(
        "--primary",
        metavar="METRIC",
        help="the metric each verdict tests first, the rest gated behind it, e.g. heldout.seed_tasks.loss (default: the "
        "runs' study_primary, else the external held-out set; see docs/report.md)",
    )
    parser.add_argument(
        "--mixture-target",
        metavar="METRIC[=W,...]",
        help="what the mixture law's optimum minimises: a loss (heldout.NAME.loss, eval_loss_by_source.NAME, eval_loss) "
        "or a weighted sum, e.g. eval_loss_by_source.human=0.5,heldout.NAME.loss=0.5 (default: the primary metric)",
    )
    parser.add_argument(
        "--confirm",
        action="store_true",
        help="run the mixture the study's law predicts is best, with the study's settings and seeds, then report the "
        "prediction against what was observed",
    )
    parser.add_argument("--samples", type=int, default=4, help="held-out prompts in the side-by-side table")
    parser.add_argument("--storage", help="the Optuna storage URL, when the recorded one lacks its password")
    parser.add_argument("--wandb", action="store_true", help="also log the tables and plots to a W&B summary run")
    parser.add_argument(
        "--wandb-mode",
        default="offline",
        choices=["offline", "online"],
        help="offline (default) writes under <out>/wandb, to upload later with `wandb sync`",
    )
    parser.add_argument("--wandb-project", default="sft-ablate")
    parser.add_argument("--wandb-entity")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run_command(lambda: _report_command(args), writes_to=args.out or args.root / "report")


def _report_command(args: argparse.Namespace) -> int:
    load_plugins()  # a user's own metrics (SFT_ABLATE_PLUGINS) join the metric table, as they did in the runs
    baselines = dict(_key_value(b) for b in args.baseline)
    report = build_report(
        args.root, args.out, args.metric, baselines, args.samples, args.storage, args.primary, args.mixture_target
    )
    if args.confirm:
        code = confirm_mixture(report)
        if code:
            return code
        report = build_report(
            args.root, args.out, args.metric, baselines, args.samples, args.storage, args.primary, args.mixture_target
        )
    print(
        f"{report.complete} complete runs, {report.incomplete} not complete -> {report.markdown}, {report.html}, "
        f"{report.out_dir / 'tables'}, {report.out_dir / 'plots'}"
    )
    print_decisions(report)
    if args.wandb:
        log_to_wandb(report, args.root, args.wandb_mode, args.wandb_project, args.wandb_entity)
    return 0


def confirm_mixture(report: Report) -> int:
    """Run the one mixture-law study's predicted optimum (report/confirm.py)."""
    from sft_ablate.report.confirm import run_confirmation

    if len(report.mixtures) != 1:
        found = "no study with a mixture law" if not report.mixtures else f"{len(report.mixtures)} studies with one"
        raise ReportError(f"--confirm needs exactly one study with a mixture law under the root; found {found}")
    return run_confirmation(report.mixtures[0])


def print_decisions(report: Report) -> None:
    """What the study can decide, on the terminal too: each factor's power table (MDE, seeds and items needed) and
    verdict."""
    columns = ["Δ [95% CI]", "p adjusted", "test", "n", "minimum detectable effect", "seeds needed", "items needed"]
    for section in report.sections:
        for item in section.items:
            if isinstance(item, Table) and "_power_" in item.name and not item.shown.empty:
                shown = item.shown[["metric", *item.shown.columns[1:2], *columns]]
                print(f"\n{item.name}:\n{shown.to_string(index=False)}")
            elif isinstance(item, str) and item.startswith(("**Verdict", "**Predicted best mixture")):
                print(item.replace("**", ""))


def log_to_wandb(report: Report, root: Path, mode: str, project: str, entity: str | None) -> None:
    """One W&B run of job_type 'report' holding every table and plot. A W&B failure only warns."""
    from sft_ablate.record.tracking import Tracker

    try:
        import wandb

        run = wandb.init(
            project=project,
            entity=entity,
            job_type="report",
            name=f"report-{Path(root).resolve().name}",
            group=report.studies[0] if len(report.studies) == 1 else None,
            dir=str(report.out_dir),
            mode=mode,
            settings=wandb.Settings(silent=True),
            reinit="finish_previous",
        )
    except Exception as err:
        log.warning("W&B init failed (%s: %s); the report files are written all the same", type(err).__name__, err)
        return
    tracker = Tracker(run)
    for section in report.sections:
        for item in section.items:
            if isinstance(item, Table):
                tracker.table(f"tables/{item.name}", [str(c) for c in item.shown.columns], item.shown.astype(str).values.tolist())
            elif isinstance(item, Plot):
                tracker.log({f"plots/{item.path.stem}": wandb.Image(str(item.path), caption=item.caption)})
    tracker.summary({"report/complete_runs": report.complete, "report/incomplete_runs": report.incomplete})
    tracker.finish()
    if mode == "offline":
        print(
            f"W&B summary run written offline under {report.out_dir / 'wandb'}; upload with "
            f"`wandb sync {report.out_dir / 'wandb'}/offline-run-*`"
        )


def _key_value(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise ReportError(f"--baseline {text!r}: expected FACTOR=LEVEL, e.g. mix=50_50")
    key, value = text.split("=", 1)
    return key, value


if __name__ == "__main__":
    sys.exit(main())
