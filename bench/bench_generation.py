"""Batched local generation (what synthesis and the arena use: generation.generate_local, left-padded batches of
length-sorted prompts) vs one prompt at a time through the same function (batch_size=1). Goal: >= 4x.

The same held-out prompts of the bundled data, greedy, the same max_new_tokens, on `tiny` and, when it is in the
cache, SmolLM2-135M. Prompts/s; both sides run twice, alternating, and the best counts.
Prints a table and appends it to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.common import append_benchmarks, print_table, set_threads
from sft_ablate.data.prepare import prepare_data
from sft_ablate.generation.local import Sampling, generate_local
from sft_ablate.launch.hydra_setup import compose_config
from sft_ablate.run import data_stage_inputs
from sft_ablate.training.models import base_model_dir, load_model


def prompts_per_second(loaded, conversations, sampling: Sampling, batch_size: int) -> tuple[float, list[str]]:
    start = time.perf_counter()
    outputs = generate_local(loaded.model, loaded.tokenizer, conversations, sampling, batch_size, progress=False)
    return len(conversations) / (time.perf_counter() - start), outputs


def measure(model: str, n_prompts: int, batch_size: int, max_new_tokens: int) -> list[tuple]:
    config = compose_config([f"model={model}", "tracking=none", "lora=none"])
    cache_dir = Path(config.paths.cache_dir).expanduser()
    data = prepare_data(data_stage_inputs(config))
    pool_texts = [m["content"] for s in data.pool.values() for e in s.examples for m in e.messages]
    loaded = load_model(config.model, config.lora, base_model_dir(config.model, cache_dir, pool_texts), "cpu")
    conversations = [e.messages[:-1] for e in data.eval[:n_prompts]]
    sampling = Sampling(max_new_tokens=max_new_tokens)
    batched, single = [], []
    for _ in range(2):
        rate, batched_out = prompts_per_second(loaded, conversations, sampling, batch_size)
        batched.append(rate)
        rate, single_out = prompts_per_second(loaded, conversations, sampling, 1)
        single.append(rate)
    same = sum(a == b for a, b in zip(batched_out, single_out))
    ratio = max(batched) / max(single)
    label = f"{model} ({loaded.params / 1e6:.1f}M), {n_prompts} prompts, {max_new_tokens} new tokens"
    return [
        (
            f"{label}: batched (batch_size={batch_size})",
            f"{max(batched):.2f} prompts/s",
            f"runs: {', '.join(f'{x:.2f}' for x in batched)}",
            "",
            "",
        ),
        (
            f"{label}: one prompt at a time",
            f"{max(single):.2f} prompts/s",
            f"runs: {', '.join(f'{x:.2f}' for x in single)}",
            "",
            "",
        ),
        (
            f"{model}: ratio batched / one at a time",
            f"{ratio:.1f}x",
            f"{same}/{n_prompts} greedy answers identical",
            ">= 4x",
            "met" if ratio >= 4 else "MISSED",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8, help="as BackendConfig.batch_size's default")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--models", default="tiny,smollm2_135m")
    args = parser.parse_args()
    set_threads()
    rows = []
    for model in args.models.split(","):
        rows += measure(model, args.prompts, args.batch_size, args.max_new_tokens)
    columns = ["measure", "value", "detail", "goal", "status"]
    print_table("Generation", columns, rows)
    append_benchmarks("Generation", columns, rows)


if __name__ == "__main__":
    main()
