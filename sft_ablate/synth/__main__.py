"""`python -m sft_ablate.synth`: synthetic ChatML data (self-instruct + rejection sampling by a judge)."""

from sft_ablate.launch.app import synth_main

if __name__ == "__main__":
    synth_main()
