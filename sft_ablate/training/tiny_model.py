"""The `tiny` model: a byte-level BPE tokenizer trained on the data pool and a ~1M-parameter Llama.

It exists so that every code path (training, evaluation, sweeps, the arena) runs end to end in seconds
on a laptop CPU. Its outputs are not meant to be good. The tokenizer is trained on every valid row of
every configured source, not on one mixture, so all runs of a study share one base model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from sft_ablate.cache import building, content_key
from sft_ablate.training.schema import TinyModelConfig

log = logging.getLogger(__name__)

SPECIAL_TOKENS = ["<|pad|>", "<|im_start|>", "<|im_end|>"]


def tiny_model_dir(cfg: TinyModelConfig, texts: list[str], cache_dir: Path) -> Path:
    """Build (once) and return a directory holding the tiny base model and its tokenizer."""
    key = content_key("tiny-v1", vars(cfg), texts)
    model_dir = cache_dir / "models" / f"tiny-{key}"
    if (model_dir / "config.json").exists():
        return model_dir
    log.info("building the tiny model (tokenizer on %d texts) into %s", len(texts), model_dir)
    tokenizer = train_tokenizer(texts, cfg.vocab_size)
    model = init_model(cfg, tokenizer)
    with building(model_dir) as scratch:
        tokenizer.save_pretrained(scratch)
        model.save_pretrained(scratch)
    return model_dir


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # every byte stays encodable
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, pad_token="<|pad|>", eos_token="<|im_end|>")


def init_model(cfg: TinyModelConfig, tokenizer: PreTrainedTokenizerFast) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_heads,
        max_position_embeddings=cfg.max_position_embeddings,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    # A private generator would be cleaner, but HF init draws from the global one; seed it just for this.
    with torch.random.fork_rng():
        torch.manual_seed(cfg.init_seed)
        return LlamaForCausalLM(config)
