"""Where the plain scripts' 0.013 lower eval loss comes from: the two sides score held-out loss differently.

bench/plain_sft.py reports `trainer.evaluate()["eval_loss"]`: the Trainer's evaluation loop takes each batch's mean
token loss and averages those means over rows (each batch counts by its rows, not its tokens). sft-ablate reports
the token-weighted NLL over every assistant token (evaluation/heldout.py). This script scores the same model on the
same held-out rows (plain_sft.py's, tokenized by TRL) both ways, without training, so any difference is the metric.
Measured on SmolLM2-135M: 1.8813 (Trainer) vs 1.8916 (token-weighted), 0.010 of the 0.013. plain_sft.py now reports
the token-weighted loss as its `eval_loss` (the Trainer's as `eval_loss_trainer`), so bench_study compares like with
like:

    python -m bench.loss_gap                          # SmolLM2-135M, the base model
    python -m bench.loss_gap --model-dir DIR          # any model dir (e.g. a tiny model from the cache)
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile

import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

from bench.common import THREADS
from bench.plain_sft import CHATML, SAMPLE, read_rows
from sft_ablate.evaluation.heldout import heldout_loss


def held_out_rows(per_source: int) -> list[list[dict]]:
    """plain_sft.py's held-out rows: per source, the first `per_source` after a fixed shuffle."""
    rows = []
    for name in ("synthetic", "human"):
        source = read_rows(SAMPLE / f"{name}.jsonl")
        random.Random(f"holdout-{name}").shuffle(source)
        rows += source[:per_source]
    return rows


def both_losses(model_dir: str, per_source: int, batch_size: int) -> dict[str, float]:
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.chat_template, tokenizer.eos_token = CHATML, "<|im_end|>"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.config.pad_token_id = tokenizer.pad_token_id
    rows = Dataset.from_list([{"messages": m} for m in held_out_rows(per_source)])
    with tempfile.TemporaryDirectory() as out:
        args = SFTConfig(output_dir=out, per_device_eval_batch_size=batch_size, max_length=384, assistant_only_loss=True,
                         use_cpu=True, bf16=False, report_to="none", activation_checkpointing=False)  # fmt: skip
        trainer = SFTTrainer(model=model, args=args, train_dataset=rows, eval_dataset=rows, processing_class=tokenizer)
        trl_loss = trainer.evaluate()["eval_loss"]
        prepared = trainer.eval_dataset
    # The same tokenized rows, labels as TRL built them (assistant tokens only), token-weighted as sft-ablate scores.
    ours = heldout_loss(model, prepared, batch_size, tokenizer.pad_token_id).loss
    return {"trainer_evaluate_eval_loss": trl_loss, "token_weighted_nll": ours, "difference": ours - trl_loss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", help="default: the converted SmolLM2-135M in the cache")
    parser.add_argument("--eval-per-source", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    model_dir = args.model_dir
    if model_dir is None:
        from bench.bench_memory import smollm2_dir

        model_dir = smollm2_dir()
    print(json.dumps(both_losses(model_dir, args.eval_per_source, args.batch_size), indent=1))


if __name__ == "__main__":
    main()
