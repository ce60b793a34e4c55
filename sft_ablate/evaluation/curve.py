"""Held-out loss during training, and the channel that carries it to an Optuna trial for pruning.

Hydra gives a running job no way to talk back to its sweeper, so our Optuna sweeper runs each trial
in its own process (Hydra's basic launcher) and publishes the trial here, in a module-level handle,
for the duration of the run. The training loop's callback reports every intermediate held-out loss to it; when the pruner
says stop, the callback raises ``optuna.TrialPruned``, which unwinds the run (recorded as pruned)
and reaches the sweeper. Outside an Optuna study the handle is empty and reporting is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import datasets
from transformers import PreTrainedModel, TrainerCallback

from sft_ablate.evaluation.heldout import heldout_loss

log = logging.getLogger(__name__)

_trial: Any | None = None  # the optuna.Trial of the run in progress, if an Optuna sweeper started it
_sign = 1.0  # +1 when the study minimizes, -1 when it maximizes (loss is always lower-is-better)


@contextmanager
def reporting_to(trial: Any, maximize: bool) -> Iterator[None]:
    """Route intermediate held-out losses to ``trial`` while the block runs."""
    global _trial, _sign
    _trial, _sign = trial, (-1.0 if maximize else 1.0)
    try:
        yield
    finally:
        _trial, _sign = None, 1.0


def report(step: int, loss: float) -> None:
    """Give the current trial an intermediate value; raise optuna.TrialPruned if its pruner says so."""
    if _trial is None:
        return
    import optuna

    # The held-out loss is the one signal available mid-training. When the study maximizes a score
    # (a benchmark, Elo), lower loss must still look better to the pruner, hence the sign.
    _trial.report(_sign * loss, step)
    if _trial.should_prune():
        raise optuna.TrialPruned(f"pruned at step {step} (held-out loss {loss:.4f})")


class HeldOutLossCallback(TrainerCallback):
    """Held-out loss every ``every`` optimizer steps: logged, kept as a curve, and reported for pruning."""

    def __init__(
        self, model: PreTrainedModel, dataset: datasets.Dataset, batch_size: int, pad_token_id: int, every: int, log_fn
    ) -> None:
        self.model, self.dataset, self.batch_size, self.pad_token_id = model, dataset, batch_size, pad_token_id
        self.every = every
        self.log_fn = log_fn  # e.g. Tracker.log: metrics, step
        self.curve: list[tuple[int, float]] = []

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        if step % self.every or step == state.max_steps:  # the last step is scored by the eval stage anyway
            return
        loss = heldout_loss(self.model, self.dataset, self.batch_size, self.pad_token_id).loss
        self.curve.append((step, loss))
        log.info("step %d: held-out loss %.4f", step, loss)
        self.log_fn({"eval/heldout_loss": loss}, step=step)
        report(step, loss)
