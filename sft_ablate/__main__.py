"""`python -m sft_ablate` (and the `sft-ablate` script): train and evaluate one run, or sweep many with -m."""

from sft_ablate.launch.app import main

if __name__ == "__main__":
    main()
