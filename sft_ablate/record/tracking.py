"""Weights & Biases as a sink. results.json is the record; a W&B failure costs a warning and is recorded there
(`tracking.status`, `tracking.error`), so a run whose W&B record is partial says so."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from sft_ablate.record.schema import TrackingConfig

log = logging.getLogger(__name__)


class Tracker:
    """Wraps a wandb run. Every call is guarded: after the first failure, tracking stops and training goes on."""

    def __init__(
        self, run: Any | None, status: str = "off", error: str | None = None, where: dict[str, str] | None = None
    ) -> None:
        self.run = run
        self.where = where or {}  # the W&B run's url (online) or dir (offline: what `wandb sync` takes)
        # off: not configured; ok: every call went through; failed: a call failed, later calls were skipped;
        # init_failed: W&B never started.
        self.status = "ok" if run is not None else status
        self.error = error

    def state(self) -> dict[str, Any]:
        """What results.json records under `tracking`."""
        return {"status": self.status, "error": self.error, **self.where}

    @property
    def active(self) -> bool:
        return self.run is not None

    def _guard(self, what: str, fn, *args, **kwargs) -> None:
        if self.run is None:
            return
        try:
            fn(*args, **kwargs)
        except Exception as err:  # wandb raises many types (network, service, usage)
            self.status, self.error = "failed", f"W&B {what}: {type(err).__name__}: {err}"
            log.warning(
                "W&B %s failed (%s: %s); tracking is off for the rest of this run (recorded in results.json as "
                "tracking.status=failed)",
                what,
                type(err).__name__,
                _first_line(err),
            )
            self.run = None

    def log(self, metrics: dict[str, Any], step: int | None = None) -> None:
        self._guard("log", lambda: self.run.log(metrics, step=step))

    def summary(self, metrics: dict[str, Any]) -> None:
        self._guard("summary", lambda: self.run.summary.update(metrics))

    def table(self, key: str, columns: list[str], rows: list[list[Any]]) -> None:
        def log_table() -> None:
            import wandb

            self.run.log({key: wandb.Table(columns=columns, data=rows)})

        self._guard("table", log_table)

    def tables_and_histograms(
        self, tables: dict[str, tuple[list[str], list[list[Any]]]], histograms: dict[str, list[float]]
    ) -> None:
        """Several tables and histograms as one W&B step, so the trainer's own steps are not pushed back."""

        def log_all() -> None:
            import wandb

            payload: dict[str, Any] = {key: wandb.Table(columns=columns, data=rows) for key, (columns, rows) in tables.items()}
            payload.update({key: wandb.Histogram(values) for key, values in histograms.items() if values})
            self.run.log(payload)

        self._guard("tables", log_all)

    def finish(self, exit_code: int = 0) -> None:
        self._guard("finish", lambda: self.run.finish(exit_code=exit_code))
        self.run = None


def _first_line(err: BaseException) -> str:
    text = str(err)
    return text.splitlines()[0] if text else ""


def start_tracking(
    tracking: TrackingConfig,
    study: str,
    run_dir: Path,
    run_config: dict[str, Any],
    factors: dict[str, Any],
    overrides: list[str] | None = None,
) -> Tracker:
    """A W&B run in the study's group, tagged with its known factors and whatever its own command line set
    (overrides: Hydra's job overrides, read from Hydra when not given). Whether a setting is a factor of the
    study only shows across runs, so the report decides that (report/runs.py: study_factors); a run's tags say
    what it was asked to vary."""
    if tracking.backend == "none" or tracking.mode == "disabled":
        return Tracker(None)
    overrides = job_overrides() if overrides is None else overrides
    # wandb prints its own warnings to the console (e.g. "URL not available in offline run" each time TRL writes a
    # model card); silent mode sends them to the run's debug log instead. WANDB_SILENT=false brings them back.
    os.environ.setdefault("WANDB_SILENT", "true")
    try:
        import wandb

        run = wandb.init(
            project=tracking.project,
            entity=tracking.entity,
            group=tracking.group or study,
            job_type="train",
            name=run_dir.name,
            dir=str(run_dir),
            mode=tracking.mode,
            tags=_tags(tracking, factors, overrides),
            # Factors sit at the top level so a dashboard can group by `mix` directly; any other setting is under
            # config (config.train.epochs), and `overrides` lists what the run's command line set.
            config={**factors, "overrides": list(overrides), "config": run_config},
            settings=wandb.Settings(init_timeout=tracking.init_timeout, silent=True),
            reinit="finish_previous",  # a multirun starts several runs in one process
        )
    except Exception as err:  # offline or misconfigured W&B must not stop the run
        log.warning(
            "W&B init failed (%s: %s); continuing without W&B (recorded in results.json as tracking.status=init_failed)",
            type(err).__name__,
            _first_line(err),
        )
        return Tracker(None, status="init_failed", error=f"W&B init: {type(err).__name__}: {err}")
    if tracking.mode == "offline":
        log.info("W&B offline run in %s; upload later with `wandb sync %s`", run.dir, Path(run.dir).parent)
        return Tracker(run, where={"dir": str(Path(run.dir).parent)})
    return Tracker(run, where={"url": run.url} if getattr(run, "url", None) else None)


TAGGED_FACTORS = ("mix", "model", "lora", "seed", "diversity")
# Overrides that say where a run logs and caches, never what it is (identity.INCIDENTAL), and the study (its group).
UNTAGGED = ("tracking", "paths", "force", "study", "study_primary", "hydra")
MAX_TAG = 64  # W&B refuses a longer tag, and with it the whole run


def job_overrides() -> list[str]:
    """What this run's own command line set, a sweep's choices for this job included (`train.epochs=2`), as
    Hydra recorded it; nothing outside a Hydra app."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    return list(HydraConfig.get().overrides.task)


def _tags(tracking: TrackingConfig, factors: dict[str, Any], overrides: list[str]) -> list[str]:
    """The known factors, then each `key=value` the command line set, then the user's own tags; once each."""
    tags = [f"{k}={factors[k]}" for k in TAGGED_FACTORS if k in factors]
    tags += [tag for override in overrides if (tag := override_tag(override))]
    return list(dict.fromkeys([*tags, *tracking.tags]))


def override_tag(override: str) -> str | None:
    """`train.epochs=2` -> `train.epochs=2`; `mix='30_70'` -> `mix=30_70` (the quotes only guard Hydra's parser);
    `+data.sources.extra.path=/a/long/path` -> `data.sources.extra.path=…/path`, cut to W&B's 64 characters from
    the left (a path differs at its end). None for a deletion (~key) and for incidental keys (tracking.*, paths.*)."""
    if override.startswith("~") or "=" not in override:
        return None
    key, value = override.lstrip("+").split("=", 1)
    if key.split(".")[0].split("@")[0] in UNTAGGED:
        return None
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    tag = f"{key}={value}"
    if len(tag) <= MAX_TAG:
        return tag
    room = MAX_TAG - len(key) - 2  # key, "=", "…"
    return f"{key}=…{value[-room:]}" if room > 0 else "…" + tag[-(MAX_TAG - 1) :]


class TrackerCallback(TrainerCallback):
    """Forwards the trainer's log lines (loss, learning rate, grad norm) to W&B under train/."""

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs:
            numeric = {f"train/{k}": v for k, v in logs.items() if isinstance(v, (int, float))}
            self.tracker.log(numeric, step=state.global_step)
