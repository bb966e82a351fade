"""What a training run is configured with, and how a resumed run combines saved and new settings.

Settings resolve in three layers: the defaults below, then the config saved in the run directory (on resume), then
the options given on this command line. Structural settings (the base model, LoRA or full, the LoRA shape) cannot
change on resume; learning rate, clip ranges and the like can, and the change is logged.

Several defaults depend on the loss, as in the papers: the clip range (DEFAULT_CLIP), the advantage (Dr. GRPO uses
R − mean, the others the group-normalised one) and the dynamic-sampling filter (DAPO drops solve-all and solve-none
groups; SRL keeps a group only if its reward std exceeds a small ε). `--loss srl` is the SRL recipe: GRPO's objective,
the std filter, KL 0, learning rate 5e-7.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rlvrkit.errors import Failure
from rlvrkit.losses import DEFAULT_CLIP, LOSSES

PRESETS = ("srl",)
STRUCTURAL = ("model", "lora", "lora_r", "lora_alpha", "lora_targets", "fsdp")


@dataclass(frozen=True)
class TrainConfig:
    model: str | None = None
    loss: str = "grpo"
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_targets: str = "all-linear"
    lr: float | None = None  # None: 1e-6 full, 1e-5 LoRA, 5e-7 SRL
    lr_schedule: str = "constant"  # constant | linear | cosine
    warmup_steps: int = 0
    max_steps: int | None = None
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    eps_low: float | None = None
    eps_high: float | None = None
    beta: float = 0.0
    adv: str | None = None  # None: "none" for dr-grpo, "group" otherwise
    std: str = "population"
    adv_eps: float = 1e-6
    drop: tuple[str, ...] | None = None  # None: solve-all, solve-none for dapo; nothing otherwise
    min_std: float | None = None  # SRL preset: 0 (with the filters' float tolerance)
    solved_at: float = 1.0
    max_tokens: int | None = None  # dr-grpo's constant; None: the records' sampling.max_tokens
    tis: str | None = None  # token | sequence
    tis_cap: float = 2.0
    tis_mode: str = "truncate"
    batch_groups: int = 8
    updates_per_batch: int = 1
    micro_tokens: int = 8192
    grad_checkpointing: bool = False
    dtype: str = "auto"
    device: str = "auto"
    fsdp: bool = False
    save_every: int = 1
    keep: int = 3
    seed: int = 0
    trust_remote_code: bool = False

    @property
    def objective(self) -> str:
        """The policy loss the run optimises (the SRL preset optimises GRPO's)."""
        return "grpo" if self.loss == "srl" else self.loss

    @property
    def clip(self) -> tuple[float, float]:
        low, high = DEFAULT_CLIP[self.objective]
        return (low if self.eps_low is None else self.eps_low, high if self.eps_high is None else self.eps_high)

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        if self.loss == "srl":
            return 5e-7
        return 1e-5 if self.lora else 1e-6

    @property
    def advantage(self) -> str:
        return self.adv or ("none" if self.objective == "dr-grpo" else "group")

    @property
    def drop_reasons(self) -> tuple[str, ...]:
        if self.drop is not None:
            return self.drop
        return ("solve-all", "solve-none") if self.loss == "dapo" else ()

    @property
    def min_group_std(self) -> float | None:
        if self.min_std is None and self.loss == "srl":
            return 0.0
        return self.min_std

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["drop"] = list(self.drop) if self.drop is not None else None
        return data


def resolve(given: dict, saved: dict | None = None) -> tuple[TrainConfig, list[str]]:
    """Defaults ← saved config ← given options. Returns the config and the settings that changed from the saved run."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = set(given) - known
    if unknown:
        raise ValueError(f"unknown train settings: {sorted(unknown)}")
    merged = {k: v for k, v in (saved or {}).items() if k in known}
    changed = []
    for key, value in given.items():
        if value is None:
            continue
        if saved is not None and key in merged and _norm(merged[key]) != _norm(value):
            if key in STRUCTURAL:
                raise Failure(
                    f"this run was started with {key}={merged[key]!r}; it cannot resume with {key}={value!r} "
                    "(start a new --ckpt directory instead)"
                )
            changed.append(f"{key}: {merged[key]!r} -> {value!r}")
        merged[key] = value
    if merged.get("drop") is not None:
        merged["drop"] = tuple(merged["drop"])
    cfg = TrainConfig(**merged)
    validate(cfg)
    return cfg, changed


def _norm(value):
    return list(value) if isinstance(value, tuple) else value


def validate(cfg: TrainConfig) -> None:
    if cfg.loss not in LOSSES + PRESETS:
        raise Failure(f"unknown loss {cfg.loss!r}; choose from {', '.join(LOSSES + PRESETS)}")
    if cfg.model is None:
        raise Failure("no model: give --model PATH (a local model folder) to start a run")
    if cfg.lora and cfg.fsdp:
        raise Failure("--fsdp shards full fine-tuning of models that do not fit on one GPU; LoRA runs use DDP")
    if cfg.lr_schedule not in ("constant", "linear", "cosine"):
        raise Failure(f"unknown lr schedule {cfg.lr_schedule!r}")
    if cfg.lr_schedule != "constant" and cfg.max_steps is None:
        raise Failure(f"a {cfg.lr_schedule} schedule decays over --max-steps: give it")
    if cfg.tis not in (None, "token", "sequence") or cfg.tis_mode not in ("truncate", "mask"):
        raise Failure("--tis takes token or sequence, --tis-mode truncate or mask")
    if cfg.beta < 0 or cfg.batch_groups < 1 or cfg.updates_per_batch < 1 or cfg.micro_tokens < 1:
        raise Failure("--beta must be >= 0 and --batch-groups, --updates-per-batch, --micro-tokens >= 1")
