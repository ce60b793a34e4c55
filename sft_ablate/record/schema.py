"""Where a run's record goes besides results.json: W&B."""

from __future__ import annotations

from dataclasses import dataclass, field

from sft_ablate.errors import ConfigError


@dataclass
class TrackingConfig:
    backend: str = "wandb"  # "wandb" or "none"
    mode: str = "offline"  # offline | online | disabled
    project: str = "sft-ablate"
    entity: str | None = None
    group: str | None = None  # default: the study name
    tags: list[str] = field(default_factory=list)
    init_timeout: float = 60.0  # seconds wandb.init may take (online) before we go on without it

    def __post_init__(self) -> None:
        if self.backend not in ("wandb", "none"):
            raise ConfigError(f"tracking.backend must be 'wandb' or 'none', got {self.backend!r}")
        if self.mode not in ("offline", "online", "disabled"):
            raise ConfigError(f"tracking.mode must be offline, online or disabled, got {self.mode!r}")
