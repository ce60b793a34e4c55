# Importing the package registers its stage's metrics in the metric table (sft_ablate/metrics.py).
from sft_ablate.training import metric_specs  # noqa: F401
