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

PLAIN_ROWS = 12
ARENA_PROMPTS = Path(__file__).resolve().parents[1] / "sft_ablate" / "sample_data" / "arena_prompts.jsonl"


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


def arena_tokens_per_second(seeds: int, batch_sizes: list[int], max_new_tokens: int) -> list[tuple]:
    """The arena's generation (every prompt x seed, sampled as conf/arena/default.yaml) on SmolLM2-135M: one
    generate_local call over all rows at each batch size, against a plain loop of model.generate, one row at a time.
    New tokens/s (up to and including the end of turn); the sides alternate and the best of two counts."""
    import json

    import torch

    config = compose_config(["tracking=none", "lora=none"])
    cache_dir = Path(config.paths.cache_dir).expanduser()
    loaded = load_model(config.model, config.lora, base_model_dir(config.model, cache_dir, []), "cpu")
    model, tok = loaded.model.eval(), loaded.tokenizer
    prompts = [json.loads(line)["turns"][0] for line in ARENA_PROMPTS.read_text().splitlines() if line.strip()]
    rows = [[{"role": "user", "content": p}] for _ in range(seeds) for p in prompts]
    sampling = Sampling(max_new_tokens=max_new_tokens, temperature=0.7, top_p=0.9)

    def new_tokens(texts: list[str]) -> int:  # the answer's tokens and its end-of-turn token, when it ended
        return sum(min(len(tok(t, add_special_tokens=False)["input_ids"]) + 1, max_new_tokens) for t in texts)

    def plain_loop() -> tuple[float, int]:
        start, tokens = time.perf_counter(), 0
        torch.manual_seed(0)
        for conv in rows[:PLAIN_ROWS]:  # a rate: a quarter of the rows gives it, at a quarter of the time
            ids = tok.apply_chat_template(conv, add_generation_prompt=True, return_tensors="pt", return_dict=True)
            with torch.no_grad():
                out = model.generate(**ids, max_new_tokens=max_new_tokens, do_sample=True, temperature=0.7, top_p=0.9,
                                     top_k=0, pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)  # fmt: skip
            tokens += out.shape[1] - ids["input_ids"].shape[1]
        return tokens / (time.perf_counter() - start), tokens

    def ours(batch_size: int) -> tuple[float, int]:
        start = time.perf_counter()
        texts = generate_local(model, tok, rows, sampling, batch_size, progress=False)
        return new_tokens(texts) / (time.perf_counter() - start), new_tokens(texts)

    runs: dict[str, list[float]] = {"plain": [], **{f"b{b}": [] for b in batch_sizes}}
    for repeat in range(2):
        order = list(runs)
        for side in order if repeat == 0 else order[::-1]:
            rate, _ = plain_loop() if side == "plain" else ours(int(side[1:]))
            runs[side].append(rate)
    plain = max(runs["plain"])
    label = f"arena generation, SmolLM2-135M, {len(prompts)} prompts x {seeds} seeds, {max_new_tokens} new tokens, T=0.7"
    out = [
        (
            f"{label}: plain model.generate loop, one row at a time",
            f"{plain:.1f} tokens/s",
            f"runs: {', '.join(f'{x:.1f}' for x in runs['plain'])}",
            "",
            "",
        )
    ]
    for b in batch_sizes:
        best = max(runs[f"b{b}"])
        out.append((f"{label}: generate_local, batch_size={b}", f"{best:.1f} tokens/s ({best / plain:.1f}x plain)",
                    f"runs: {', '.join(f'{x:.1f}' for x in runs[f'b{b}'])}", "", ""))  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8, help="as BackendConfig.batch_size's default")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--models", default="tiny,smollm2_135m")
    parser.add_argument("--arena", action="store_true", help="only the arena's generation: batch sizes vs a plain loop")
    args = parser.parse_args()
    set_threads()
    if args.arena:
        rows = arena_tokens_per_second(2, [8, 16, 48], 64)
        columns = ["measure", "value", "detail", "goal", "status"]
        print_table("Arena generation", columns, rows)
        append_benchmarks("Arena generation (bench_generation --arena)", columns, rows)
        return
    rows = []
    for model in args.models.split(","):
        rows += measure(model, args.prompts, args.batch_size, args.max_new_tokens)
    columns = ["measure", "value", "detail", "goal", "status"]
    print_table("Generation", columns, rows)
    append_benchmarks("Generation", columns, rows)


if __name__ == "__main__":
    main()
