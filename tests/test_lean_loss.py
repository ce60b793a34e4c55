"""train.lean_loss: the chunked loss from hidden states equals the full-logits loss, value and gradient."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM, TrainerCallback, set_seed
from trl import SFTTrainer

from sft_ablate.data.sources import Example
from sft_ablate.data.tokenization import IGNORE_INDEX, tokenize_examples
from sft_ablate.training.lean_loss import LeanLossSFTTrainer, chunked_nll, supports_lean_loss
from sft_ablate.training.models import load_model
from sft_ablate.training.schema import LoraConfig, ModelConfig, TinyModelConfig, TrainConfig
from sft_ablate.training.tiny_model import tiny_model_dir
from sft_ablate.training.trainer import build_trainer, sft_config

TINY = ModelConfig(name="tiny", kind="tiny", tiny=TinyModelConfig(vocab_size=400, hidden_size=64, num_layers=2, init_seed=0))


def small_llama(**extra) -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, tie_word_embeddings=False, **extra,
    )  # fmt: skip
    return LlamaForCausalLM(config).float()


def padded_batch() -> dict[str, torch.Tensor]:
    """Two rows, the second right-padded; a prompt part without labels in each."""
    gen = torch.Generator().manual_seed(1)
    input_ids = torch.randint(0, 97, (2, 23), generator=gen)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 15:] = 0
    labels = input_ids.clone()
    labels[:, :6] = IGNORE_INDEX
    labels[attention_mask == 0] = IGNORE_INDEX
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def grads(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    out = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return out


@pytest.mark.parametrize("chunk_tokens", [1, 5, 1024])
def test_chunked_nll_equals_the_full_logits_loss_and_its_gradient(chunk_tokens):
    model, batch = small_llama(), padded_batch()
    reference = model(**batch).loss  # transformers: full logits, shifted, mean over labelled tokens
    reference.backward()
    expected = grads(model)

    hidden = model.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    nll, labelled, correct = chunked_nll(hidden, model.lm_head, batch["labels"], chunk_tokens=chunk_tokens)
    (nll / labelled).backward()
    got = grads(model)

    assert labelled.item() == (batch["labels"][:, 1:] != IGNORE_INDEX).sum().item() == 17 + 9
    torch.testing.assert_close(nll / labelled, reference.detach(), rtol=1e-6, atol=1e-6)
    assert got.keys() == expected.keys() and "lm_head.weight" in got
    for name in expected:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-5, atol=1e-7, msg=name)
    with torch.no_grad():
        logits = model(**batch).logits[:, :-1]
        targets = batch["labels"][:, 1:]
        mask = targets != IGNORE_INDEX
        assert correct.item() == (logits.argmax(-1)[mask] == targets[mask]).sum().item()


def test_a_batch_without_labels_is_a_zero_loss_that_backpropagates():
    model, batch = small_llama(), padded_batch()
    batch["labels"][:] = IGNORE_INDEX
    hidden = model.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    nll, labelled, _ = chunked_nll(hidden, model.lm_head, batch["labels"])
    (nll / labelled.clamp(min=1)).backward()
    assert nll.item() == 0.0 and labelled.item() == 0


def test_a_head_that_transforms_its_logits_trains_with_trls_loss():
    assert supports_lean_loss(small_llama())
    assert not supports_lean_loss(small_llama(final_logit_softcapping=30.0))


@pytest.fixture(scope="module")
def tiny_setup(tmp_path_factory):
    cache = tmp_path_factory.mktemp("lean")
    conversations = [
        [{"role": "user", "content": f"Count to {n}."}, {"role": "assistant", "content": " ".join(map(str, range(n)))}]
        for n in range(2, 14)
    ]
    texts = [m["content"] for c in conversations for m in c] * 5
    model_dir = str(tiny_model_dir(TINY.tiny, texts, cache))
    loaded = load_model(TINY, LoraConfig(name="r8", r=8, alpha=16), model_dir, "cpu")
    examples = [Example(c, "s", f"t:{i}") for i, c in enumerate(conversations)]
    split = tokenize_examples(examples, loaded.tokenizer, 128, cache, "train", content_hash="lean-test")
    return TINY, model_dir, split.dataset, cache


def trainer_loss_and_grads(trainer_class, tiny_setup, tmp_path: Path):
    model_cfg, model_dir, dataset, _ = tiny_setup
    set_seed(0)
    loaded = load_model(model_cfg, LoraConfig(name="r8", r=8, alpha=16), model_dir, "cpu")
    # LoRA's B starts at zero, which would leave A without a gradient: move it so every adapter weight is tested.
    with torch.no_grad():
        for name, p in loaded.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.02, generator=torch.Generator().manual_seed(len(name)))
    train = TrainConfig(batch_size=4, max_length=128)
    trainer = trainer_class(
        model=loaded.model, args=sft_config(train, 0, tmp_path, "cpu"), train_dataset=dataset,
        processing_class=loaded.tokenizer,
    )  # fmt: skip
    batch = next(iter(trainer.get_train_dataloader()))
    loaded.model.train()
    loss = trainer.compute_loss(loaded.model, dict(batch))
    loss.backward()
    return loss.detach(), grads(loaded.model), trainer._metrics["train"]["mean_token_accuracy"][-1]


def test_the_lean_trainer_gives_trls_loss_gradient_and_accuracy(tiny_setup, tmp_path):
    trl_loss, trl_grads, trl_accuracy = trainer_loss_and_grads(SFTTrainer, tiny_setup, tmp_path / "trl")
    lean_loss, lean_grads, lean_accuracy = trainer_loss_and_grads(LeanLossSFTTrainer, tiny_setup, tmp_path / "lean")
    assert lean_grads.keys() == trl_grads.keys() and any("lora_A" in n for n in lean_grads)
    torch.testing.assert_close(lean_loss, trl_loss, rtol=1e-5, atol=1e-6)
    for name in trl_grads:
        torch.testing.assert_close(lean_grads[name], trl_grads[name], rtol=1e-4, atol=1e-7, msg=name)
    assert lean_accuracy == pytest.approx(trl_accuracy)


class GradsAtFirstStep(TrainerCallback):
    """The accumulated gradients just before the first optimizer step (Adam's first step, ~lr * sign(g), would
    hide them)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model, self.grads = model, {}

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        if not self.grads:
            self.grads = {n: p.grad.clone() for n, p in self.model.named_parameters() if p.grad is not None}


def first_step_grads(tiny_setup, tmp_path: Path, batch_size: int, grad_accum: int) -> dict[str, torch.Tensor]:
    model_cfg, model_dir, dataset, _ = tiny_setup
    set_seed(0)
    loaded = load_model(model_cfg, LoraConfig(name="r8", r=8, alpha=16), model_dir, "cpu")
    with torch.no_grad():  # LoRA's B starts at zero, which would leave A without a gradient
        for name, p in loaded.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.02, generator=torch.Generator().manual_seed(len(name)))
    grads = GradsAtFirstStep(loaded.model)
    train = TrainConfig(batch_size=batch_size, grad_accum=grad_accum, max_steps=1, warmup=0)
    build_trainer(loaded, dataset, train, 0, tmp_path, [grads]).train()
    return grads.grads


def test_two_micro_batches_of_4_make_the_step_one_batch_of_8_makes(tiny_setup, tmp_path):
    """The CPU default (4 rows x 2 accumulation steps) takes the same optimizer step as one batch of 8: the
    length-grouped sampler serves the same 8 rows and the loss is normalised over all their tokens."""
    eight = first_step_grads(tiny_setup, tmp_path / "8x1", 8, 1)
    four_by_two = first_step_grads(tiny_setup, tmp_path / "4x2", 4, 2)
    two_by_two = first_step_grads(tiny_setup, tmp_path / "2x2", 2, 2)  # 4 rows: a different step
    assert eight.keys() == four_by_two.keys() and any("lora_A" in n for n in eight)
    for name in eight:
        torch.testing.assert_close(four_by_two[name], eight[name], rtol=1e-4, atol=1e-7, msg=name)
    assert any(not torch.allclose(two_by_two[n], eight[n], rtol=1e-3, atol=1e-6) for n in eight)


@pytest.mark.parametrize("chunk_tokens", [1, 5, 1024])
def test_labelled_nll_is_each_labelled_tokens_full_logits_nll(chunk_tokens):
    from sft_ablate.training.lean_loss import labelled_nll

    model, batch = small_llama(), padded_batch()
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
        targets = batch["labels"][:, 1:]
        full = torch.nn.functional.cross_entropy(
            logits.reshape(-1, 97), targets.reshape(-1), ignore_index=IGNORE_INDEX, reduction="none"
        ).view(targets.shape)
        hidden = model.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        got = labelled_nll(hidden, model.lm_head, batch["labels"], chunk_tokens=chunk_tokens)
    assert got.shape == targets.shape and (got[targets == IGNORE_INDEX] == 0).all()
    torch.testing.assert_close(got, full, rtol=1e-5, atol=1e-6)


def test_held_out_loss_is_the_same_through_the_lean_head_and_with_the_adapter_merged(tiny_setup, monkeypatch):
    """heldout_loss scores only the answer tokens through the head; after training the run folds the LoRA adapter
    into the weights for the inference stages (merged_adapter). Neither may change a loss beyond float rounding,
    and the base model (adapter off) must still be the base inside the merged context."""
    import sft_ablate.evaluation.heldout as heldout
    from sft_ablate.training.models import base_model, merged_adapter

    model_cfg, model_dir, dataset, _ = tiny_setup
    lora = LoraConfig(name="r8", r=8, alpha=16)
    loaded = load_model(model_cfg, lora, model_dir, "cpu")
    with torch.no_grad():  # a trained-looking adapter: B is zero at init, which would hide a wrong merge
        for name, p in loaded.model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.05, generator=torch.Generator().manual_seed(len(name)))
    pad = loaded.tokenizer.pad_token_id

    def loss(model):
        return heldout.heldout_loss(model, dataset, 4, pad)

    lean = loss(loaded.model)
    with monkeypatch.context() as patch:
        patch.setattr(heldout, "supports_lean_loss", lambda model: False)
        full = loss(loaded.model)
    assert lean.tokens == full.tokens > 0
    assert lean.row_nll == pytest.approx(full.row_nll, rel=1e-5)
    with base_model(loaded, True, trained=True) as (model, _):
        base = loss(model)
    assert abs(base.loss - lean.loss) > 1e-3  # the adapter matters
    with merged_adapter(loaded, lora):
        assert any(getattr(module, "merged", False) for module in loaded.model.modules())
        merged = loss(loaded.model)
        with base_model(loaded, True, trained=True) as (model, _):
            base_inside = loss(model)
    assert merged.loss == pytest.approx(lean.loss, rel=1e-5)
    assert base_inside.loss == pytest.approx(base.loss, rel=1e-5)
    assert not any(getattr(module, "merged", False) for module in loaded.model.modules())
    assert loss(loaded.model).loss == pytest.approx(lean.loss, rel=1e-5)  # unmerged on the way out: trained again
