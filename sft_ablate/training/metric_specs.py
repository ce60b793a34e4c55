"""The training stage's metric in the metric table (sft_ablate/metrics.py). Light on purpose: no torch."""

from __future__ import annotations

from sft_ablate.metrics import MetricSpec, register_metric

# The last logged training loss: recorded (and an Optuna objective), not compared, since a mix changes what it is a loss on.
register_metric(MetricSpec("train_loss", "train loss", higher_is_better=False, compare=False, order=3))
