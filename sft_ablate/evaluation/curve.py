"""Held-out loss during training, and how it reaches an Optuna trial for pruning.

The Optuna sweeper (launch/optuna_sweeper.py) runs its trials in its own process, one at a time, through
Hydra's basic launcher, which calls the run in-process but hands it only config overrides, never objects.
So the sweeper lends the trial through here: it launches each run inside ``reporting_to(trial, maximize)``,
and the run takes ``active_trial_reporter()`` when it builds its held-out loss callback. The callback
reports every intermediate held-out loss; when the pruner says stop, it raises ``optuna.TrialPruned``,
which unwinds the run (recorded as pruned) and reaches the sweeper. Outside an Optuna sweep (or under a
launcher that runs jobs in other processes) there is no reporter, and nothing is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import datasets
from transformers import PreTrainedModel, TrainerCallback

from sft_ablate.evaluation.heldout import heldout_loss

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrialReporter:
    """Gives an Optuna trial the run's intermediate held-out losses; stops the run when its pruner says so."""

    trial: Any  # optuna.Trial
    maximize: bool  # the study's direction (loss is always lower-is-better)

    def report(self, step: int, loss: float) -> None:
        import optuna

        # The held-out loss is the one signal available mid-training. When the study maximizes a score
        # (a benchmark, Elo), lower loss must still look better to the pruner, hence the sign.
        self.trial.report(-loss if self.maximize else loss, step)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned at step {step} (held-out loss {loss:.4f})")


_active: TrialReporter | None = None  # the trial the sweeper is running in this process, inside reporting_to


@contextmanager
def reporting_to(trial: Any, maximize: bool) -> Iterator[TrialReporter]:
    """The sweeper's side: the run launched inside this block reports its held-out losses to ``trial``."""
    global _active
    _active = TrialReporter(trial, maximize)
    try:
        yield _active
    finally:
        _active = None


def active_trial_reporter() -> TrialReporter | None:
    """The run's side: the reporter of the trial it is, or None when no Optuna sweeper launched it."""
    return _active


class HeldOutLossCallback(TrainerCallback):
    """Held-out loss every ``every`` optimizer steps: logged, kept as a curve, and reported for pruning."""

    def __init__(
        self,
        model: PreTrainedModel,
        dataset: datasets.Dataset,
        batch_size: int,
        pad_token_id: int,
        every: int,
        log_fn,
        reporter: TrialReporter | None = None,
    ) -> None:
        self.model, self.dataset, self.batch_size, self.pad_token_id = model, dataset, batch_size, pad_token_id
        self.every = every
        self.log_fn = log_fn  # e.g. Tracker.log: metrics, step
        self.reporter = reporter  # an Optuna trial's, for pruning; None outside a sweep
        self.curve: list[tuple[int, float]] = []

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        if step % self.every or step == state.max_steps:  # the last step is scored by the eval stage anyway
            return
        loss = heldout_loss(self.model, self.dataset, self.batch_size, self.pad_token_id).loss
        self.curve.append((step, loss))
        log.info("step %d: held-out loss %.4f", step, loss)
        self.log_fn({"eval/heldout_loss": loss}, step=step)
        if self.reporter is not None:
            self.reporter.report(step, loss)
