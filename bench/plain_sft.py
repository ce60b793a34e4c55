"""The hand-written baseline for bench_study: one run of the script a careful user writes without sft-ablate.

It does the same work as one sft-ablate run with `arena=none tracking=none`: load the two JSONL sources, hold out
the same number of rows per source, mix at the ratio with the seed, tokenize with the same ChatML template and
assistant-only labels (TRL's `assistant_only_loss`), train with TRL SFTTrainer (+ LoRA on a pretrained model) with
the same settings, and score the held-out rows. One process per run, as a shell loop over 9 configurations runs it:

    python -m bench.plain_sft --model-dir DIR --synthetic-fraction 0.5 --seed 0 --budget 64 --max-steps 8 --out OUT
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import time
from pathlib import Path

START = time.perf_counter()  # before the heavy imports: they are part of what every run of the script pays

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from peft import LoraConfig  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed  # noqa: E402
from trl import SFTConfig, SFTTrainer  # noqa: E402

from sft_ablate.evaluation.heldout import heldout_loss  # noqa: E402  (the metric both sides report)

SAMPLE = Path(__file__).resolve().parents[1] / "sft_ablate" / "sample_data"
CHATML = (Path(__file__).resolve().parents[1] / "sft_ablate" / "training" / "templates" / "chatml.jinja").read_text()


def read_rows(path: Path) -> list[list[dict]]:
    return [json.loads(line)["messages"] for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--lora", action="store_true", help="LoRA r8/alpha16 on all linear layers (pretrained models)")
    parser.add_argument("--synthetic-fraction", type=float, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=128)
    parser.add_argument("--eval-per-source", type=int, default=16)
    parser.add_argument("--max-steps", type=int, default=-1)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--gpu", action="store_true", help="CUDA, bf16 and bfd packing, as train=gpu (bench/gpu_check.sh)")
    parser.add_argument("--no-eval", action="store_true", help="train only (bench_memory: the peak of training)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    set_seed(args.seed)

    # Hold out eval rows with a fixed seed, then mix the rest at the ratio with the run's seed.
    sources = {"synthetic": read_rows(SAMPLE / "synthetic.jsonl"), "human": read_rows(SAMPLE / "human.jsonl")}
    train, held_out = [], []
    for name, rows in sources.items():
        rows = list(rows)
        random.Random(f"holdout-{name}").shuffle(rows)
        held_out += rows[: args.eval_per_source]
        pool = rows[args.eval_per_source :]
        share = round(args.budget * (args.synthetic_fraction if name == "synthetic" else 1 - args.synthetic_fraction))
        train += random.Random(f"{args.seed}-{name}").sample(pool, min(share, len(pool)))
    random.Random(args.seed).shuffle(train)

    tokenizer = AutoTokenizer.from_pretrained(args.model_dir)
    tokenizer.chat_template, tokenizer.eos_token = CHATML, "<|im_end|>"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(args.model_dir, dtype=torch.float32)
    model.config.pad_token_id = tokenizer.pad_token_id
    lora = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0, target_modules="all-linear") if args.lora else None
    config = SFTConfig(
        output_dir=str(Path(args.out) / "checkpoints"),
        num_train_epochs=1,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        max_length=args.max_length,
        assistant_only_loss=True,
        packing=args.gpu,
        packing_strategy="bfd",
        bf16=args.gpu,
        activation_checkpointing=False,
        use_cpu=not args.gpu,
        include_num_input_tokens_seen="non_padding",
        seed=args.seed,
        data_seed=args.seed,
        logging_steps=5,
        save_strategy="no",
        report_to="none",
        dataloader_num_workers=0,
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=Dataset.from_list([{"messages": m} for m in train]),
        eval_dataset=Dataset.from_list([{"messages": m} for m in held_out]),
        processing_class=tokenizer,
        peft_config=lora,
    )
    train_start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - train_start
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux: training's peak
    # Held-out loss before and after, as sft-ablate records both (its base loss is cached across runs).
    metrics = {"eval_loss": float("nan")} if args.no_eval else trainer.evaluate()
    # eval_loss as sft-ablate scores it (token-weighted NLL over every assistant token) on TRL's own tokenization:
    # the Trainer's eval_loss averages per-batch means over rows, 0.010 lower on the same model and rows
    # (bench/loss_gap.py), which was the plain scripts' "0.013 lower eval loss".
    nll = (
        float("nan") if args.no_eval else heldout_loss(model, trainer.eval_dataset, args.batch_size, tokenizer.pad_token_id).loss
    )
    result = {
        "eval_loss": nll,
        "eval_loss_trainer": metrics["eval_loss"],
        "eval_perplexity": math.exp(nll),
        "peak_rss_mb": peak_rss_mb,
        "seconds": time.perf_counter() - START,
        "tokens_per_second": trainer.state.num_input_tokens_seen / train_seconds,
        "params": sum(p.numel() for p in model.parameters()),
    }
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "result.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
