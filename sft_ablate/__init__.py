"""sft-ablate: find out which SFT data works."""

__version__ = "0.1.0"
