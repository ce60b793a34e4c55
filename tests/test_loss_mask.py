"""Loss masking: only assistant tokens (and their end-of-turn token) carry labels; a lost mask fails loudly."""

from __future__ import annotations

import datasets
import pytest
from transformers import AutoTokenizer

from sft_ablate.data.sources import Example
from sft_ablate.data.tokenization import IGNORE_INDEX, tokenize_examples
from sft_ablate.errors import ModelError
from sft_ablate.training.models import CHATML_TEMPLATE, set_chat_template
from sft_ablate.training.schema import ModelConfig, TinyModelConfig
from sft_ablate.training.tiny_model import tiny_model_dir

CONVERSATION = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name a prime number."},
    {"role": "assistant", "content": "Seven."},
    {"role": "user", "content": "Another?"},
    {"role": "assistant", "content": "Eleven."},
]
TINY = ModelConfig(name="tiny", kind="tiny", tiny=TinyModelConfig(vocab_size=400, init_seed=0))


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    cache = tmp_path_factory.mktemp("tok")
    texts = [m["content"] for m in CONVERSATION] * 20 + ["The quick brown fox jumps over the lazy dog."] * 20
    tok = AutoTokenizer.from_pretrained(tiny_model_dir(TINY.tiny, texts, cache))
    set_chat_template(tok, TINY)
    return tok


def tokenize(tokenizer, tmp_path, conversations, max_length=256):
    examples = [Example(c, "s", f"test:{i}") for i, c in enumerate(conversations)]
    return tokenize_examples(examples, tokenizer, max_length, tmp_path, "train", content_hash=str(conversations))


def test_only_assistant_tokens_and_end_of_turn_carry_labels(tokenizer, tmp_path):
    split = tokenize(tokenizer, tmp_path, [CONVERSATION])
    row = split.dataset[0]
    labelled = [tok for tok in row["labels"] if tok != IGNORE_INDEX]
    assert tokenizer.decode(labelled) == "Seven.<|im_end|>Eleven.<|im_end|>"
    # Every labelled position holds the input token itself (TRL shifts inside the model).
    assert all(lab in (IGNORE_INDEX, tok) for lab, tok in zip(row["labels"], row["input_ids"]))
    # Nothing of the system prompt, the user turns or the role headers is trained on.
    masked = tokenizer.decode([tok for tok, lab in zip(row["input_ids"], row["labels"]) if lab == IGNORE_INDEX])
    assert "You are terse." in masked and "Name a prime number." in masked and "assistant" in masked
    assert "Seven" not in masked
    assert split.trainable_tokens == len(labelled)


def test_template_renders_chatml(tokenizer):
    text = tokenizer.apply_chat_template(CONVERSATION[:3], tokenize=False)
    assert text == (
        "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nName a prime number.<|im_end|>\n"
        "<|im_start|>assistant\nSeven.<|im_end|>\n"
    )
    assert tokenizer.eos_token == "<|im_end|>"


def test_truncation_that_removes_every_assistant_token_drops_and_counts_the_row(tokenizer, tmp_path):
    long_prompt = [{"role": "user", "content": "fox " * 200}, {"role": "assistant", "content": "Seven."}]
    fits = len(tokenizer.apply_chat_template(CONVERSATION, tokenize=True, return_dict=True)["input_ids"])
    split = tokenize(tokenizer, tmp_path, [CONVERSATION, long_prompt], max_length=fits)
    assert (split.dropped_rows, split.truncated_rows, len(split.dataset)) == (1, 1, 1)


def test_a_template_without_generation_tags_fails_loudly(tokenizer, tmp_path):
    plain = CHATML_TEMPLATE.replace("{%- generation -%}", "").replace("{%- endgeneration -%}", "")
    tokenizer = tokenizer.__class__.from_pretrained(tokenizer.name_or_path)
    tokenizer.chat_template = plain
    with pytest.raises(ModelError, match=r"has no \{% generation %\} tags"):
        set_chat_template(tokenizer, ModelConfig(name="m", kind="pretrained", path="x", chat_template="native"))
    with pytest.raises(ModelError, match="marked no assistant tokens"):
        tokenize(tokenizer, tmp_path, [CONVERSATION])


def test_chatml_needs_its_special_tokens():
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    bare = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE()), eos_token="</s>")
    with pytest.raises(ModelError, match=r"needs the tokens \['<\|im_start\|>', '<\|im_end\|>'\]"):
        set_chat_template(bare, TINY)


def test_a_dropped_mask_inside_the_trainer_fails_loudly(tokenizer, tmp_path):
    """If SFTTrainer ever trained on every token (labels lost), check_loss_mask must stop the run."""
    from transformers import AutoModelForCausalLM
    from trl import SFTConfig, SFTTrainer

    from sft_ablate.training.trainer import check_loss_mask, count_label_tokens

    split = tokenize(tokenizer, tmp_path, [CONVERSATION] * 4)
    model = AutoModelForCausalLM.from_pretrained(tokenizer.name_or_path)
    args = SFTConfig(
        output_dir=str(tmp_path / "out"),
        use_cpu=True,
        bf16=False,
        report_to="none",
        per_device_train_batch_size=2,
        activation_checkpointing=False,
    )
    unmasked = datasets.Dataset.from_dict({"input_ids": split.dataset["input_ids"]})  # labels gone
    trainer = SFTTrainer(model=model, args=args, train_dataset=unmasked, processing_class=tokenizer)
    with pytest.raises(ModelError, match="the loss mask changed inside SFTTrainer"):
        check_loss_mask(trainer, expected_trainable=count_label_tokens(split.dataset))
    good = SFTTrainer(model=model, args=args, train_dataset=split.dataset, processing_class=tokenizer)
    check_loss_mask(good, expected_trainable=count_label_tokens(split.dataset))
