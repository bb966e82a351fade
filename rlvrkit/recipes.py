"""What each policy loss defaults to, as its paper ran it: the settings `rlvr train` fills in from `--loss`.

    loss      clip (ε_low, ε_high)   advantage       groups dropped              learning rate
    grpo      0.2, 0.2               group (R−m)/s   none                        1e-6 full, 1e-5 LoRA
    dr-grpo   0.2, 0.2               none  (R−m)     none                        1e-6 full, 1e-5 LoRA
    dapo      0.2, 0.28              group           solve-all, solve-none       1e-6 full, 1e-5 LoRA
    gspo      3e-4, 4e-4             group           none                        1e-6 full, 1e-5 LoRA
    luspo     2e-3, 2.5e-3           group           none                        1e-6 full, 1e-5 LoRA
    cispo     none, ratio ≤ 5        group           none                        1e-6 full, 1e-5 LoRA
    sapo      none (soft gate)       group           none                        1e-6 full, 1e-5 LoRA
    srl       as grpo                group           reward std ≤ 0 (constant)   5e-7

CISPO (MiniMax-M1, 2506.13585) caps the importance weight itself at ε_high; 5 is the ε_max ScaleRL (2510.13786)
recommends and TRL documents. SAPO (2511.20347) has no clip range: its gate's temperatures are τ₊ = 1.0 for positive
advantages and τ₋ = 1.05 otherwise (TRL's sapo_temperature_pos and _neg). Importance sampling against the behaviour
policy is capped at 3 (TRL's vllm_importance_sampling_clip_max).

`srl` is a preset, not a loss: SRL's recipe optimises GRPO's objective with its own filter and learning rate. This
module imports nothing, so the command line can show these defaults without loading torch.
"""

from __future__ import annotations

LOSSES = ("grpo", "dr-grpo", "dapo", "gspo", "luspo", "cispo", "sapo")
SEQUENCE_LEVEL = ("gspo", "luspo")
PRESETS = {"srl": "grpo"}  # preset -> the loss it optimises
CHOICES = (*LOSSES, *PRESETS)

# (ε_low, ε_high) from the papers: DAPO's clip-higher; GSPO's and LUSPO's sequence-ratio ranges.
DEFAULT_CLIP = {
    "grpo": (0.2, 0.2),
    "dr-grpo": (0.2, 0.2),
    "dapo": (0.2, 0.28),
    "gspo": (3e-4, 4e-4),
    "luspo": (2e-3, 2.5e-3),
    "cispo": (None, 5.0),  # no lower bound; ε_high is the cap on the ratio, not on its distance from 1
    "sapo": (None, None),  # a soft gate instead of a clip
}
SAPO_TAU = (1.0, 1.05)  # (τ₊, τ₋): the gate's temperature for positive and for other advantages
IS_CAP = 3.0  # the cap C on importance ratios against the behaviour policy
LEARNING_RATE = {"full": 1e-6, "lora": 1e-5, "srl": 5e-7}


def objective(loss: str) -> str:
    """The policy loss a --loss choice optimises (a preset optimises its base loss)."""
    return PRESETS.get(loss, loss)


def clip(loss: str) -> tuple[float | None, float | None]:
    return DEFAULT_CLIP[objective(loss)]


def learning_rate(loss: str, lora: bool) -> float:
    return LEARNING_RATE.get(loss) or LEARNING_RATE["lora" if lora else "full"]


def advantage(loss: str) -> str:
    """Dr. GRPO removes the std division (R − mean); every other loss normalises within the group."""
    return "none" if objective(loss) == "dr-grpo" else "group"


def drop(loss: str) -> tuple[str, ...]:
    """DAPO's dynamic sampling keeps only groups with 0 < #solved < G."""
    return ("solve-all", "solve-none") if loss == "dapo" else ()


def min_std(loss: str) -> float | None:
    """SRL keeps a group only when its rewards vary (std > 0, with the filters' float tolerance)."""
    return 0.0 if loss == "srl" else None
