"""The local LLM judge (SmolLM2-135M, likelihood verdicts): judgments/s, ours against the plain way.

Ours reads each judge prompt once and scores the three verdict replies on its key/value cache
(`generation.local.reply_logprobs`); the plain way, as one writes it with transformers, runs one forward
pass over prompt + reply per reply. Same model, prompts and replies; the bench checks that both give the
same log-likelihoods, then prints the ratio.

    python -m bench.bench_judge              # 24 judgments (bundled arena prompts, two made-up answers)
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from bench.common import append_benchmarks, print_table, set_threads
from sft_ablate.arena.judges import Matchup
from sft_ablate.arena.judges.llm import VERDICT_REPLIES, pairwise_messages
from sft_ablate.generation.backends import local_model_config
from sft_ablate.generation.local import reply_logprobs
from sft_ablate.paths import SAMPLE_DATA_DIR, default_cache_dir
from sft_ablate.training.models import base_model_dir, load_weights


def plain_logprobs(model, tokenizer, conversations, replies) -> list[list[float]]:
    """One forward pass over prompt + reply for every (conversation, reply)."""
    out = []
    for conv in conversations:
        prompt = tokenizer.apply_chat_template(conv, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
        scores = []
        for reply in replies:
            ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logits = model(input_ids=torch.tensor([list(prompt) + ids])).logits[0].float()
            scores.append(float(torch.log_softmax(logits, -1)[len(prompt) - 1 : -1].gather(1, torch.tensor(ids)[:, None]).sum()))
        out.append(scores)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--judgments", type=int, default=24)
    args = parser.parse_args()
    threads = set_threads()
    prompts = [json.loads(line) for line in (SAMPLE_DATA_DIR / "arena_prompts.jsonl").read_text().splitlines()]
    matchups = [
        Matchup(
            (p["turns"][0],),
            None,
            None,
            ("Here is a short, careful answer to the question, with one example.",),
            (p.get("reference") or "I am not sure.",),
        )
        for p in prompts[: args.judgments]
    ]
    conversations = [pairwise_messages(m) for m in matchups]
    config = local_model_config("smollm2_135m")  # the judge's model, converted once into the user's cache
    model, tokenizer = load_weights(config, base_model_dir(config, default_cache_dir(), []), "smollm2_135m")
    model.eval()
    timed = {}
    for name, score in (("plain", plain_logprobs), ("ours", reply_logprobs)):
        start = time.perf_counter()
        timed[name] = (score(model, tokenizer, conversations, list(VERDICT_REPLIES)), time.perf_counter() - start)
    (plain, plain_s), (ours, ours_s) = timed["plain"], timed["ours"]
    worst = max(abs(a - b) for row_a, row_b in zip(plain, ours) for a, b in zip(row_a, row_b))
    tokens = sum(
        len(tokenizer.apply_chat_template(c, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"])
        for c in conversations
    )
    columns = ["measure", "value", "detail"]
    rows = [
        ("plain: one pass per reply", f"{len(conversations) / plain_s:.2f} judgments/s", f"{plain_s:.1f} s"),
        ("ours: one pass per prompt", f"{len(conversations) / ours_s:.2f} judgments/s", f"{ours_s:.1f} s"),
        ("ratio (ours / plain)", f"{plain_s / ours_s:.2f}x", f"largest log-likelihood difference {worst:.1e}"),
    ]
    title = f"Local LLM judge, SmolLM2-135M, {len(conversations)} judgments, {tokens / len(conversations):.0f} prompt tokens each, {threads} thread(s)"
    print_table(title, columns, rows)
    append_benchmarks(title, columns, rows)


if __name__ == "__main__":
    main()
