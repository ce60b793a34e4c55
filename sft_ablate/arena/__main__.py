"""`python -m sft_ablate.arena`: the Elo arena's command (sft_ablate/launch/arena_cli.py)."""

import sys

from sft_ablate.launch.arena_cli import main

if __name__ == "__main__":
    sys.exit(main())
