"""Resuming picks the newest checkpoint that was written to the end."""

from __future__ import annotations

import json

from sft_ablate.training.trainer import last_complete_checkpoint


def test_a_checkpoint_cut_short_by_a_kill_is_passed_over(tmp_path):
    for step in (2, 10):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    (tmp_path / "checkpoint-12").mkdir()  # killed after the weights, before trainer_state.json
    (tmp_path / "checkpoint-12" / "model.safetensors").write_bytes(b"partial")
    (tmp_path / "checkpoint-14").mkdir()
    (tmp_path / "checkpoint-14" / "trainer_state.json").write_text('{"global_st')  # killed mid-write
    assert last_complete_checkpoint(tmp_path) == str(tmp_path / "checkpoint-10")  # 10, not 2: numeric order
    assert last_complete_checkpoint(tmp_path / "absent") is None
