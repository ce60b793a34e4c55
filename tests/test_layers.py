"""The import-layer contract in pyproject.toml holds on the tree, and a planted upward import breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sft_ablate.paths import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_a_planted_upward_import_breaks_the_layer_contract(tmp_path):
    shutil.copytree(PROJECT_ROOT / "sft_ablate", tmp_path / "sft_ablate", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path)
    kept = lint_imports(tmp_path)
    assert kept.returncode == 0, kept.stdout[-2000:]

    mixture = tmp_path / "sft_ablate" / "data" / "mixture.py"
    mixture.write_text(mixture.read_text() + "\nfrom sft_ablate.launch import preflight  # noqa: E402 (planted)\n")
    broken = lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "sft_ablate.data is not allowed to import sft_ablate.launch" in broken.stdout
