"""The ablation report: `python -m sft_ablate.report <sweep or outputs dir>`.

Reads only the run directories (results.json, item_scores.jsonl, generations.jsonl, an Optuna study's SQLite
file, the arena store) and writes <dir>/report/: report.md, a self-contained report.html, tables/*.csv and
plots/*.png.
"""

from sft_ablate.report.build import Report, ReportError, build_report

__all__ = ["Report", "ReportError", "build_report"]
