"""What a training run is configured with, and how a resumed run combines saved and new settings.

Settings resolve in three layers: the defaults below, then the config saved in the run directory (on resume), then
the options given on this command line. Structural settings (the base model, LoRA or full, the LoRA shape) cannot
change on resume; learning rate, clip ranges and the like can, and the change is logged.

Several defaults depend on the loss, as in the papers (rlvrkit.recipes): the clip range, the advantage, the
dynamic-sampling filter and the learning rate. A setting left at None takes the loss's default, so a resumed run
that changes --loss gets the new loss's defaults.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

from rlvrkit import recipes
from rlvrkit.errors import BadInput, Failure
from rlvrkit.groups import GroupRule

STRUCTURAL = ("model", "lora", "lora_r", "lora_alpha", "lora_targets", "fsdp")
SCHEDULES = ("constant", "linear", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a run, saved in each version and resumed from. None: the loss's default (rlvrkit.recipes)."""

    model: str | None = None
    loss: str = "grpo"
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_targets: str = "all-linear"
    lr: float | None = None
    lr_schedule: str = "constant"  # constant | linear | cosine
    warmup_steps: int = 0
    max_steps: int | None = None
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    eps_low: float | None = None
    eps_high: float | None = None
    beta: float = 0.0
    adv: str | None = None
    std: str = "population"
    adv_eps: float = 1e-6
    drop: tuple[str, ...] | None = None
    min_std: float | None = None
    solved_at: float = 1.0
    max_tokens: int | None = None  # dr-grpo's constant; None: the records' sampling.max_tokens
    sapo_tau_pos: float | None = None
    sapo_tau_neg: float | None = None
    tis: str | None = None  # token | sequence | off; None: sequence when a batch is stale (see `correction`)
    tis_cap: float = recipes.IS_CAP
    tis_mode: str = "truncate"
    off_policy_mask: float | None = None  # δ of DeepSeek-V3.2's off-policy sequence mask
    mask_truncated: bool = False
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

    def __post_init__(self):
        if self.model is not None:  # a run remembers its base model by absolute path
            object.__setattr__(self, "model", str(Path(self.model).resolve()))
        if self.drop is not None:
            object.__setattr__(self, "drop", tuple(self.drop))

    @property
    def objective(self) -> str:
        """The policy loss the run optimises (the SRL preset optimises GRPO's)."""
        return recipes.objective(self.loss)

    @property
    def clip(self) -> tuple[float, float]:
        low, high = recipes.clip(self.loss)
        return (low if self.eps_low is None else self.eps_low, high if self.eps_high is None else self.eps_high)

    @property
    def taus(self) -> tuple[float, float]:
        """SAPO's gate temperatures (τ₊, τ₋)."""
        pos, neg = recipes.SAPO_TAU
        return (
            pos if self.sapo_tau_pos is None else self.sapo_tau_pos,
            neg if self.sapo_tau_neg is None else self.sapo_tau_neg,
        )

    def correction(self, stale: bool) -> str | None:
        """The importance-sampling level for a batch: --tis as given; unset, sequence-level when the batch is stale
        (records sampled by an older version, with behaviour logprobs), none otherwise; `off`, none."""
        if self.tis is None:
            return "sequence" if stale else None
        return None if self.tis == "off" else self.tis

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else recipes.learning_rate(self.loss, self.lora)

    @property
    def rule(self) -> GroupRule:
        """Which groups the run learns from and their advantages, with the loss's defaults filled in."""
        return GroupRule(
            adv=self.adv or recipes.advantage(self.loss),
            std=self.std,
            adv_eps=self.adv_eps,
            drop=self.drop if self.drop is not None else recipes.drop(self.loss),
            min_std=self.min_std if self.min_std is not None else recipes.min_std(self.loss),
            solved_at=self.solved_at,
        )

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["drop"] = list(self.drop) if self.drop is not None else None
        return data


@dataclass(frozen=True)
class TrainOptions:
    """`rlvr train`'s options: the run directory, the settings the command line holds, and which of them it set."""

    ckpt: str
    config: TrainConfig = TrainConfig()
    given: frozenset[str] = frozenset()  # set on the command line; on resume the others come from the saved run
    nproc: int = 1


def resolve(opts: TrainOptions, saved: dict | None = None) -> tuple[TrainConfig, list[str]]:
    """The run's settings: the command line's on a new run; on resume the saved ones, overridden by those the command
    line set. Returns them and the settings that changed from the saved run (a structural change is refused)."""
    if saved is None:
        validate(opts.config)
        check_relevant(opts.config, opts.given)
        return opts.config, []
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    merged = {k: v for k, v in saved.items() if k in known}
    changed = []
    for key in sorted(opts.given & known):
        value = getattr(opts.config, key)
        if key in merged and _norm(merged[key]) != _norm(value):
            if key in STRUCTURAL:
                raise BadInput(
                    f"this run was started with {key}={merged[key]!r}; it cannot resume with {key}={value!r} "
                    "(start a new --ckpt directory instead)"
                )
            changed.append(f"{key}: {merged[key]!r} -> {value!r}")
        merged[key] = value
    try:
        cfg = TrainConfig(**merged)
    except TypeError as err:
        raise Failure(f"the saved config of this run is unreadable: {err}") from None
    validate(cfg)
    check_relevant(cfg, opts.given)
    return cfg, changed


def check_relevant(cfg: TrainConfig, given: frozenset[str]) -> None:
    """Refuse a loss setting given on the command line that the run's loss does not read."""
    unread = {
        "cispo": ("eps_low", "sapo_tau_pos", "sapo_tau_neg"),
        "sapo": ("eps_low", "eps_high"),
    }.get(cfg.objective, ("sapo_tau_pos", "sapo_tau_neg"))
    for key in unread:
        if key in given:
            flag = "--" + key.replace("_", "-")
            why = _WHY["sapo_tau" if key.startswith("sapo_tau") else cfg.objective]
            raise BadInput(f"{flag} does nothing with --loss {cfg.loss}: {why}")


_WHY = {
    "cispo": "cispo caps the ratio from above only (--eps-high, 5 by default)",
    "sapo": "sapo has no clip range; its soft gate's temperatures are --sapo-tau-pos and --sapo-tau-neg",
    "sapo_tau": "the temperatures are sapo's (--loss sapo)",
}


def _norm(value):
    return list(value) if isinstance(value, tuple) else value


def validate(cfg: TrainConfig) -> None:
    """Refuse settings that cannot run together (a usage error, before any model is loaded)."""
    problems = [
        (cfg.loss not in recipes.CHOICES, f"unknown loss {cfg.loss!r}; choose from {', '.join(recipes.CHOICES)}"),
        (cfg.model is None, "no model: give --model DIR (a local model folder) to start a run"),
        (cfg.lora and cfg.fsdp, "--fsdp shards full fine-tuning of models that do not fit on one GPU; LoRA uses DDP"),
        (cfg.lr_schedule not in SCHEDULES, f"unknown --lr-schedule {cfg.lr_schedule!r}"),
        (cfg.lr_schedule != "constant" and cfg.max_steps is None, f"a {cfg.lr_schedule} schedule decays over "
         "--max-steps: give it"),
        (cfg.tis not in (None, "token", "sequence", "off"), "--tis takes token, sequence or off"),
        (cfg.tis_mode not in ("truncate", "mask"), "--tis-mode takes truncate or mask"),
        *_numbers(cfg),
        (min(cfg.batch_groups, cfg.updates_per_batch, cfg.micro_tokens, cfg.save_every, cfg.keep) < 1,
         "--batch-groups, --updates-per-batch, --micro-tokens, --save-every and --keep must be >= 1"),
    ]  # fmt: skip
    for bad, message in problems:
        if bad:
            raise BadInput(message)


def _finite(value) -> bool:
    return isinstance(value, int) or math.isfinite(value)


def _numbers(cfg: TrainConfig) -> list[tuple[bool, str]]:
    """(bad, message) for every number setting: finite, and in its range (NaN compares false, so test for good)."""
    ranges = {
        "lr": (cfg.lr, " above 0", lambda v: v > 0),
        "eps_low": (cfg.eps_low, " at least 0", lambda v: v >= 0),
        "eps_high": (cfg.eps_high, " at least 0", lambda v: v >= 0),
        "beta": (cfg.beta, " at least 0", lambda v: v >= 0),
        "weight_decay": (cfg.weight_decay, " at least 0", lambda v: v >= 0),
        "max_grad_norm": (cfg.max_grad_norm, " above 0", lambda v: v > 0),
        "tis_cap": (cfg.tis_cap, " above 0", lambda v: v > 0),
        "sapo_tau_pos": (cfg.sapo_tau_pos, " above 0", lambda v: v > 0),
        "sapo_tau_neg": (cfg.sapo_tau_neg, " above 0", lambda v: v > 0),
        "off_policy_mask": (cfg.off_policy_mask, "", lambda v: True),
        "adv_eps": (cfg.adv_eps, " at least 0", lambda v: v >= 0),
        "min_std": (cfg.min_std, " at least 0", lambda v: v >= 0),
        "solved_at": (cfg.solved_at, "", lambda v: True),
        "seed": (cfg.seed, " from 0 to 2^63 - 1", lambda v: 0 <= v < 2**63),
    }
    return [
        (value is not None and not (_finite(value) and good(value)),
         f"--{key.replace('_', '-')} must be a finite number{what}, not {str(value)[:40]}")
        for key, (value, what, good) in ranges.items()
    ]  # fmt: skip
