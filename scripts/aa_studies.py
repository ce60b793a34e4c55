"""A/A studies: does the report conclude nothing where there is nothing to conclude?

Each study splits one source's rows into two random halves A and B. Level `a` trains on the other sources plus
half A, level `b` on the same plus half B, a few seeds each; every source keeps its held-out rows, so both levels
are scored on the same items. By default each seed draws its own halves (`half_a_${seed}.jsonl`): over seeds the
halves are exchangeable, no metric has a true difference, and a report that says "can conclude" is a false claim.
With --fixed-halves one split serves every seed: then the two halves are two fixed data sets, whose difference
(one half's answers a few percent longer) is real, if small, and no interval over seeds and items calls it noise.
Run many studies (each with other halves) to measure the rate:

    python -m scripts.aa_studies --studies 20 --out outputs/aa model=tiny
    python -m scripts.aa_studies --mixture --studies 20 --out outputs/aa_mixture model=tiny   # the mixture law's A/A

With --mixture a study runs the two halves alone at three fractions of half A (1, 0.5, 0): the mixture law is fitted,
and its lowest point must not be called the best mixture ("No mixture recommended").

Extra arguments are overrides for every run (small settings make a study take a few minutes on a CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scipy import stats

from sft_ablate.paths import PROJECT_ROOT, sample_data_path

VERDICT = re.compile(r"Verdict on (?P<factor>[^:]+): (?P<word>can conclude|cannot conclude)(?P<rest>.*)")
MIXTURE = re.compile(r"(Predicted best mixture|No mixture recommended) for ")


@dataclass(frozen=True)
class StudyResult:
    split_seed: int
    verdicts: list[str]  # the report's verdict lines
    mixture: list[str] = field(default_factory=list)  # its mixture-law headlines

    @property
    def claims(self) -> bool:
        verdict = any(found["word"] == "can conclude" for found in map(VERDICT.search, self.verdicts) if found)
        return verdict or any("Predicted best mixture" in line for line in self.mixture)


def split_halves(source: Path, out_dir: Path, split_seed: int, name: str = "") -> tuple[Path, Path]:
    """The source's rows shuffled with `split_seed` and cut in two files of (nearly) equal size."""
    rows = source.read_text().splitlines(keepends=True)
    random.Random(split_seed).shuffle(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    halves = out_dir / f"half_a{name}.jsonl", out_dir / f"half_b{name}.jsonl"
    halves[0].write_text("".join(rows[: len(rows) // 2]))
    halves[1].write_text("".join(rows[len(rows) // 2 :]))
    return halves


def per_seed_halves(source: Path, out_dir: Path, split_seed: int, seeds: int) -> tuple[Path, Path]:
    """Halves drawn anew for each seed; the paths interpolate the run's seed (half_a_${seed}.jsonl)."""
    for seed in range(seeds):
        split_halves(source, out_dir, split_seed * 1000 + seed, name=f"_{seed}")
    return out_dir / "half_a_${seed}.jsonl", out_dir / "half_b_${seed}.jsonl"


# The A/A levels: `a` and `b` hold the other source at half and one human half each. For the mixture law,
# three mixtures of the two halves alone (a study of the halves' fraction, where no fraction is better).
LEVELS = {"a": {"ha": 0.5, "hb": 0.0}, "b": {"ha": 0.0, "hb": 0.5}}
MIXTURE_LEVELS = {"a": {"ha": 1.0, "hb": 0.0}, "ab": {"ha": 0.5, "hb": 0.5}, "b": {"ha": 0.0, "hb": 1.0}}


def write_config_dir(conf: Path, halves: tuple[Path, Path], other: str | None = "synthetic", levels: dict = LEVELS) -> Path:
    """A user config dir: data=aa names the other source (if any) and both halves; each mix level picks its shares."""
    for group in ("data", "mix"):
        (conf / group).mkdir(parents=True, exist_ok=True)
    sources = {other: {"path": "${sample_data:" + other + ".jsonl}", "kind": other}} if other else {}
    sources |= {"ha": {"path": str(halves[0]), "kind": "human"}, "hb": {"path": str(halves[1]), "kind": "human"}}
    (conf / "data" / "aa.yaml").write_text(json.dumps({"sources": sources, "budget": 128, "eval_per_source": 16}))
    for level, shares in levels.items():
        weights = {**({other: 1.0 - sum(shares.values())} if other else {}), **shares}
        (conf / "mix" / f"{level}.yaml").write_text(json.dumps({"name": level, "weights": weights}))
    return conf


def run_study(
    out_dir: Path,
    split_seed: int,
    seeds: int,
    overrides: list[str],
    fixed_halves: bool = False,
    timeout: int = 3600,
    mixture: bool = False,
) -> StudyResult:
    """One A/A study, start to report; raises with the command's stderr if a run or the report fails. `mixture`:
    the halves alone at three fractions (MIXTURE_LEVELS), for the mixture law."""
    source = Path(sample_data_path("human.jsonl"))
    if fixed_halves:
        halves = split_halves(source, out_dir / "data", split_seed)
    else:
        halves = per_seed_halves(source, out_dir / "data", split_seed, seeds)
    levels = MIXTURE_LEVELS if mixture else LEVELS
    conf = write_config_dir(out_dir / "conf", halves, other=None if mixture else "synthetic", levels=levels)
    sweep = out_dir / "runs"
    seed_list = ",".join(str(s) for s in range(seeds))
    cmd = [sys.executable, "-m", "sft_ablate", "-m", "--config-dir", str(conf), "data=aa", f"mix={','.join(levels)}",
           f"seed={seed_list}", f"study=aa_{split_seed}", f"hydra.sweep.dir={sweep}", *overrides]  # fmt: skip
    _checked(cmd, out_dir, timeout)
    report = _checked([sys.executable, "-m", "sft_ablate.report", str(sweep)], out_dir, timeout)
    verdicts = [line for line in report.splitlines() if VERDICT.search(line)]
    page = (sweep / "report" / "report.md").read_text(encoding="utf-8")  # the mixture law's headline is on the page
    return StudyResult(split_seed, verdicts, [line for line in page.splitlines() if MIXTURE.search(line)])


def _checked(cmd: list[str], cwd: Path, timeout: int) -> str:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])} ... failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def claim_rate(results: list[StudyResult]) -> tuple[int, int, float, float]:
    """Studies with a claim, studies, and the Clopper-Pearson 95% interval of the rate."""
    k, n = sum(r.claims for r in results), len(results)
    low = stats.beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0
    high = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return k, n, float(low), float(high)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.aa_studies", description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-split-seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("outputs/aa"))
    parser.add_argument("--fixed-halves", action="store_true", help="one split for every seed (see above)")
    parser.add_argument("--mixture", action="store_true", help="the halves alone at 3 fractions: the mixture law's A/A")
    args, overrides = parser.parse_known_args(argv)
    results = []
    for split_seed in range(args.first_split_seed, args.first_split_seed + args.studies):
        out = args.out.resolve() / f"split_{split_seed}"
        result = run_study(out, split_seed, args.seeds, overrides, fixed_halves=args.fixed_halves, mixture=args.mixture)
        results.append(result)
        lines = [*result.verdicts, *result.mixture]
        print(f"split {split_seed}: {'CLAIM' if result.claims else 'nothing'}", *lines, sep="\n  ", flush=True)
    k, n, low, high = claim_rate(results)
    print(f"A/A studies that concluded something: {k} of {n} ({k / n:.0%}; 95% CI {low:.0%}-{high:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
