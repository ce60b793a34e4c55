"""The training stage: TRL's SFTTrainer on pre-tokenized, assistant-only labels."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import datasets
from transformers import TrainerCallback
from trl import SFTConfig, SFTTrainer

from sft_ablate.command import handling_signals
from sft_ablate.data.tokenization import IGNORE_INDEX
from sft_ablate.errors import ModelError
from sft_ablate.training.cores import idle_cores
from sft_ablate.training.lean_loss import LeanLossSFTTrainer
from sft_ablate.training.models import LoadedModel
from sft_ablate.training.schema import TrainConfig

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    train_loss: float
    steps: int
    train_seconds: float
    input_tokens: int  # non-padding tokens processed in this session (after a resume: since the resume)
    tokens_per_second: float
    resumed_from: str | None
    log_history: list[dict]


def torch_threads(requested: int | None) -> int:
    """train.threads, or (null) the cores idle now within what this process may use (training/cores.py), checked
    before each run of a multirun. On 2 cores shared with other jobs, 2 spinning OpenMP threads ran up to 7x slower
    than 1 (BENCHMARKS.md); on an idle machine every core helps."""
    if requested:
        return requested
    cores = idle_cores()
    log.info("torch threads: %d (%s; set train.threads to choose)", cores.idle, cores.why)
    return cores.idle


def sft_config(train: TrainConfig, seed: int, run_dir: Path, device: str) -> SFTConfig:
    on_gpu = device == "cuda"
    return SFTConfig(
        output_dir=str(run_dir / "checkpoints"),
        num_train_epochs=train.epochs,
        max_steps=train.max_steps,
        per_device_train_batch_size=train.batch_size,
        gradient_accumulation_steps=train.grad_accum,
        learning_rate=train.learning_rate,
        lr_scheduler_type=train.lr_scheduler,
        warmup_steps=train.warmup,
        weight_decay=train.weight_decay,
        max_length=train.max_length,
        packing=train.packing,
        packing_strategy="bfd",
        # Padded batches of similar lengths: on CPU, where bfd packing does not pay, this is what saves the padding.
        train_sampling_strategy="group_by_length" if train.group_by_length else "random",
        # TRL defaults to bf16 and gradient checkpointing; both only slow a CPU down.
        bf16=train.bf16 and on_gpu,
        activation_checkpointing=train.gradient_checkpointing,  # the new name of gradient_checkpointing
        use_cpu=not on_gpu,
        seed=seed,
        data_seed=seed,
        logging_steps=train.logging_steps,
        save_strategy="steps",
        save_steps=train.save_steps,
        save_total_limit=train.save_total_limit,
        eval_strategy="no",
        report_to="none",  # W&B gets the logs through our tracker, which never fails a run
        dataloader_num_workers=0,
        assistant_only_loss=False,  # labels are already assistant-only (see tokenization.py)
        include_num_input_tokens_seen="non_padding",  # for tokens/s that padding cannot inflate
    )


def build_trainer(
    loaded: LoadedModel,
    train_dataset: datasets.Dataset,
    train: TrainConfig,
    seed: int,
    run_dir: Path,
    callbacks: list[TrainerCallback],
) -> SFTTrainer:
    # lean_loss: the same loss from hidden states in token chunks, at a fraction of TRL's memory on CPU (lean_loss.py).
    trainer_class = LeanLossSFTTrainer if train.lean_loss else SFTTrainer
    trainer = trainer_class(
        model=loaded.model,
        args=sft_config(train, seed, run_dir, loaded.device),
        train_dataset=train_dataset,
        processing_class=loaded.tokenizer,
        callbacks=callbacks,
    )
    check_loss_mask(trainer, expected_trainable=count_label_tokens(train_dataset))
    return trainer


def count_label_tokens(dataset: datasets.Dataset) -> int:
    return sum(sum(1 for t in labels if t != IGNORE_INDEX) for labels in dataset["labels"])


def check_loss_mask(trainer: SFTTrainer, expected_trainable: int) -> None:
    """Fail loudly if TRL's dataset preparation or collator changed which tokens carry loss."""
    prepared = count_label_tokens(trainer.train_dataset)
    if prepared != expected_trainable:
        raise ModelError(
            f"the loss mask changed inside SFTTrainer: {expected_trainable} assistant tokens went in, "
            f"{prepared} carry labels after its dataset preparation"
        )
    batch = next(iter(trainer.get_train_dataloader()))
    labels = batch["labels"]
    if not (labels != IGNORE_INDEX).any() or (labels != IGNORE_INDEX).all():
        raise ModelError("the collated batch lost the assistant-only loss mask (labels are all masked or none are)")


def train(trainer: SFTTrainer, run_dir: Path) -> TrainResult:
    # Resume when an earlier attempt of this very run left checkpoints (killed, preempted, Ctrl-C).
    resume = last_complete_checkpoint(run_dir / "checkpoints")
    if resume:
        log.info("resuming from %s", resume)
    # Read now: by the end of training, save_total_limit may have rotated that checkpoint away.
    tokens_before = 0 if resume is None else _tokens_at(resume)
    stop = StopOnInterrupt()
    trainer.add_callback(stop)
    start = time.perf_counter()
    with stop.catching_stop_signals():
        output = trainer.train(resume_from_checkpoint=resume)
    seconds = time.perf_counter() - start
    if stop.requested:  # the step finished and a checkpoint was saved; the run is recorded as interrupted
        raise KeyboardInterrupt(f"interrupted at step {trainer.state.global_step}, checkpoint saved in {run_dir / 'checkpoints'}")
    tokens = trainer.state.num_input_tokens_seen - tokens_before
    return TrainResult(
        train_loss=float(output.training_loss),
        steps=int(output.global_step),
        train_seconds=seconds,
        input_tokens=int(tokens),
        tokens_per_second=tokens / max(seconds, 1e-9),
        resumed_from=resume,
        log_history=list(trainer.state.log_history),
    )


class StopOnInterrupt(TrainerCallback):
    """Ctrl-C (SIGINT) or `kill` (SIGTERM, also what SLURM sends before preempting) during training: finish the
    step, save a checkpoint, then stop, so that rerunning the same command resumes from this step instead of the
    last periodic checkpoint. A second signal stops at once."""

    def __init__(self) -> None:
        self.requested = False

    @contextmanager
    def catching_stop_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():  # signals only reach the main thread
            yield
            return

        def request(signum, frame):
            if self.requested:
                raise KeyboardInterrupt("second stop signal: stopped without saving")
            self.requested = True
            log.warning(
                "%s: saving a checkpoint after this step, then stopping (again to stop at once)", signal.Signals(signum).name
            )

        with handling_signals(request):
            yield

    def on_step_end(self, args, state, control, **kwargs):
        if self.requested:
            control.should_save = True
            control.should_training_stop = True


def last_complete_checkpoint(checkpoints: Path) -> str | None:
    """The newest checkpoint that was written to the end. The Trainer writes trainer_state.json last, so a
    checkpoint without a readable one was cut short (killed while saving) and is passed over."""
    found = [p for p in checkpoints.glob("checkpoint-*") if p.is_dir() and p.name.split("-", 1)[1].isdigit()]
    for path in sorted(found, key=lambda p: int(p.name.split("-", 1)[1]), reverse=True):
        try:
            json.loads((path / "trainer_state.json").read_text())
            return str(path)
        except (OSError, json.JSONDecodeError):
            log.warning("checkpoint %s is incomplete (killed while saving?); resuming from an earlier one", path)
    return None


def _tokens_at(checkpoint: str) -> int:
    from transformers import TrainerState

    return TrainerState.load_from_json(str(Path(checkpoint) / "trainer_state.json")).num_input_tokens_seen


def save_final(loaded: LoadedModel, run_dir: Path) -> Path:
    """The adapter (LoRA) or the full model, with the tokenizer and its training chat template."""
    final = run_dir / "final"
    loaded.model.save_pretrained(final)
    loaded.tokenizer.save_pretrained(final)
    return final
