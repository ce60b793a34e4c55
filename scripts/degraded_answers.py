"""Write answers degraded by known amounts (full, half, tenth, shuffled) from a prompt file's reference answers.

    python scripts/degraded_answers.py ../shared/data/benchmarks/gsm8k_test.jsonl /tmp/degraded \\
        --prompt-field question --reference-field answer --max-prompts 250

Then import each as a model and rate them (docs/arena.md, "External answers"): a judge that works ranks them
full > half > tenth > shuffled, Kendall tau 1. Every study runs this ladder on its own prompts, with a null canary
beside it (docs/arena.md, "The judge's audit"; `python -m sft_ablate.arena STORE --audit` for an imported pool).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sft_ablate.arena.external import PromptFields, load_prompt_file
from sft_ablate.arena.validation import write_degraded_answers
from sft_ablate.command import run_command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prompts", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--prompt-field", default="turns")
    parser.add_argument("--reference-field", default="reference")
    parser.add_argument("--max-prompts", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0, help="the shuffle")
    args = parser.parse_args()

    def write() -> int:
        fields = PromptFields(prompt=args.prompt_field, reference=args.reference_field, answer=None)
        prompts = load_prompt_file(args.prompts, fields, args.max_prompts)
        for name, path in write_degraded_answers(prompts, args.out_dir, args.seed).items():
            print(f"{name}: {path}")
        return 0

    return run_command(write)


if __name__ == "__main__":
    sys.exit(main())
