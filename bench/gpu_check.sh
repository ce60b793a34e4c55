#!/usr/bin/env bash
# GPU check: the default run with train=gpu (bf16, bfd packing) on SmolLM2-135M (and Qwen2.5-0.5B when its
# weights load offline), tokens/s and MFU against the GPU's bf16 peak, plain TRL side by side; figures are
# appended to BENCHMARKS.md. Where no GPU is lent: `bench/gpu_check.sh --dry-run` runs it all on CPU (model=tiny).
#   bench/gpu_check.sh [--dry-run] [--budget 512] [--steps 30]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" -m bench.gpu_check "$@"
