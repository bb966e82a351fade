"""rlvr train: policy updates from verified rollouts (GRPO, Dr. GRPO, DAPO, GSPO, LUSPO, CISPO, SAPO, SRL); resumes."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer
from rlvrkit.commands._common import (
    LOSS,
    MODEL,
    OPTIM,
    RUN_DIRECTORY,
    Adv,
    AdvEps,
    Device,
    Drop,
    Input,
    Loss,
    Lr,
    MinStd,
    Model,
    OnError,
    Output,
    Rejects,
    Seed,
    SolvedAt,
    Std,
    TrustRemoteCode,
    given,
    guard,
    in_panel,
    options,
    shown,
    source,
)

from rlvrkit import recipes
from rlvrkit.log import Log
from rlvrkit.train.options import TrainConfig, TrainOptions

log = Log("train")
D = TrainConfig()
BATCH, CKPT, DIST = "Batching", "Checkpoints", "Distributed"


def _show(value) -> str:
    if value is None or value == ():
        return "none"
    return ",".join(value) if isinstance(value, tuple) else f"{value:g}" if isinstance(value, float) else str(value)


def per_loss(default) -> str:
    """A default that follows --loss, written from the same table the code reads (rlvrkit.recipes)."""
    by_value: dict[str, list[str]] = {}
    for loss in recipes.CHOICES:
        by_value.setdefault(_show(default(loss)), []).append(loss)
    common = max(by_value, key=lambda v: len(by_value[v]))
    return "; ".join([f"{', '.join(ls)}: {v}" for v, ls in by_value.items() if v != common] + [f"others: {common}"])


LR_DEFAULT = f"{recipes.LEARNING_RATE['full']:g} full, {recipes.LEARNING_RATE['lora']:g} LoRA, " + ", ".join(
    f"{recipes.LEARNING_RATE[p]:g} {p}" for p in recipes.PRESETS
)


@guard(log)
def train(
    ctx: typer.Context,
    *,
    model: shown(Model, "the run's own, when resuming") = D.model,
    lora: Annotated[
        bool,
        typer.Option("--lora/--full", help="Train a LoRA adapter (peft) or all weights.", rich_help_panel=MODEL),
    ] = D.lora,
    lora_r: Annotated[int, typer.Option("--lora-r", min=1, help="LoRA rank.", rich_help_panel=MODEL)] = D.lora_r,
    lora_alpha: Annotated[int, typer.Option("--lora-alpha", help="LoRA alpha.", rich_help_panel=MODEL)] = D.lora_alpha,
    lora_targets: Annotated[
        str,
        typer.Option(
            "--lora-targets",
            metavar="NAMES",
            help="Comma-separated module names, or all-linear.",
            rich_help_panel=MODEL,
        ),
    ] = D.lora_targets,
    dtype: Annotated[
        Literal["auto", "float32", "bfloat16", "float16"],
        typer.Option(
            "--dtype",
            help="Weights' dtype; auto: float32 with bf16 autocast on a GPU (LoRA: a bf16 base), float32 on the CPU.",
            rich_help_panel=MODEL,
        ),
    ] = D.dtype,
    device: in_panel(Device, MODEL) = D.device,
    trust_remote_code: in_panel(TrustRemoteCode, MODEL) = D.trust_remote_code,
    loss: Loss = D.loss,
    eps_low: Annotated[
        Optional[float],
        typer.Option(
            "--eps-low",
            help="Clip range below 1.",
            show_default=per_loss(lambda loss: recipes.clip(loss)[0]),
            rich_help_panel=LOSS,
        ),
    ] = D.eps_low,
    eps_high: Annotated[
        Optional[float],
        typer.Option(
            "--eps-high",
            help="Clip range above 1 (cispo: the cap on the importance weight itself).",
            show_default=per_loss(lambda loss: recipes.clip(loss)[1]),
            rich_help_panel=LOSS,
        ),
    ] = D.eps_high,
    sapo_tau_pos: Annotated[
        Optional[float],
        typer.Option(
            "--sapo-tau-pos",
            metavar="T",
            help="SAPO's gate temperature for positive advantages.",
            show_default=f"{recipes.SAPO_TAU[0]:g}",
            rich_help_panel=LOSS,
        ),
    ] = D.sapo_tau_pos,
    sapo_tau_neg: Annotated[
        Optional[float],
        typer.Option(
            "--sapo-tau-neg",
            metavar="T",
            help="SAPO's gate temperature for the other advantages.",
            show_default=f"{recipes.SAPO_TAU[1]:g}",
            rich_help_panel=LOSS,
        ),
    ] = D.sapo_tau_neg,
    beta: Annotated[
        float, typer.Option("--beta", min=0.0, help="Weight of the k3 KL to the initial policy.", rich_help_panel=LOSS)
    ] = D.beta,
    max_tokens: Annotated[
        Optional[int],
        typer.Option(
            "--max-tokens",
            min=1,
            help="Dr. GRPO's constant divisor [default: the records' sampling.max_tokens].",
            rich_help_panel=LOSS,
        ),
    ] = D.max_tokens,
    tis: Annotated[
        Optional[Literal["token", "sequence", "off"]],
        typer.Option(
            "--tis",
            help="Truncated importance sampling against the rollout's behaviour logprobs, per token or per sequence; "
            "off for none.",
            show_default="sequence when a batch is stale: sampled by an older version, with logprobs",
            rich_help_panel=LOSS,
        ),
    ] = D.tis,
    tis_cap: Annotated[
        float, typer.Option("--tis-cap", help="Cap C on the importance ratio (TRL's default).", rich_help_panel=LOSS)
    ] = D.tis_cap,
    tis_mode: Annotated[
        Literal["truncate", "mask"],
        typer.Option("--tis-mode", help="Clamp ratios at C, or drop what exceeds it.", rich_help_panel=LOSS),
    ] = D.tis_mode,
    off_policy_mask: Annotated[
        Optional[float],
        typer.Option(
            "--off-policy-mask",
            metavar="DELTA",
            help="Drop a completion with a negative advantage from the loss when its mean log-ratio of behaviour to "
            "current policy exceeds DELTA (DeepSeek-V3.2; TRL's off_policy_mask_threshold).",
            show_default="off",
            rich_help_panel=LOSS,
        ),
    ] = D.off_policy_mask,
    mask_truncated: Annotated[
        bool,
        typer.Option(
            "--mask-truncated",
            help="Completions cut at max tokens (finish_reason length) contribute no loss (DAPO's overlong filter).",
            rich_help_panel=LOSS,
        ),
    ] = D.mask_truncated,
    adv: shown(Adv, per_loss(recipes.advantage)) = D.adv,
    std: Std = D.std,
    adv_eps: AdvEps = D.adv_eps,
    drop: shown(Drop, per_loss(recipes.drop)) = D.drop,
    min_std: shown(MinStd, per_loss(recipes.min_std)) = D.min_std,
    solved_at: SolvedAt = D.solved_at,
    lr: shown(Lr, LR_DEFAULT) = D.lr,
    lr_schedule: Annotated[
        Literal["constant", "linear", "cosine"],
        typer.Option("--lr-schedule", help="Decay over --max-steps after the warm-up.", rich_help_panel=OPTIM),
    ] = D.lr_schedule,
    warmup_steps: Annotated[
        int, typer.Option("--warmup-steps", min=0, help="Linear warm-up steps.", rich_help_panel=OPTIM)
    ] = D.warmup_steps,
    max_steps: Annotated[
        Optional[int],
        typer.Option(
            "--max-steps", min=1, help="Stop after this many optimizer steps (the run's total).", rich_help_panel=OPTIM
        ),
    ] = D.max_steps,
    weight_decay: Annotated[
        float, typer.Option("--weight-decay", min=0.0, help="AdamW weight decay.", rich_help_panel=OPTIM)
    ] = D.weight_decay,
    max_grad_norm: Annotated[
        float, typer.Option("--max-grad-norm", help="Gradient clipping norm.", rich_help_panel=OPTIM)
    ] = D.max_grad_norm,
    seed: in_panel(Seed, OPTIM) = D.seed,
    batch_groups: Annotated[
        int, typer.Option("--batch-groups", min=1, help="Kept groups per batch (one version).", rich_help_panel=BATCH)
    ] = D.batch_groups,
    updates_per_batch: Annotated[
        int,
        typer.Option(
            "--updates-per-batch", min=1, help="Optimizer steps per batch (PPO epochs).", rich_help_panel=BATCH
        ),
    ] = D.updates_per_batch,
    micro_tokens: Annotated[
        int, typer.Option("--micro-tokens", min=1, help="Padded tokens per micro-batch.", rich_help_panel=BATCH)
    ] = D.micro_tokens,
    grad_checkpointing: Annotated[
        bool,
        typer.Option("--grad-checkpointing", help="Recompute activations to save memory.", rich_help_panel=BATCH),
    ] = D.grad_checkpointing,
    ckpt: Annotated[
        str,
        typer.Option(
            "--ckpt",
            metavar="DIR",
            help="Run directory: versions are published here and resumed from.",
            rich_help_panel=CKPT,
        ),
        RUN_DIRECTORY,
    ] = ...,  # required
    save_every: Annotated[
        int, typer.Option("--save-every", min=1, help="Publish a version every N batches.", rich_help_panel=CKPT)
    ] = D.save_every,
    keep: Annotated[int, typer.Option("--keep", min=1, help="Versions to keep in DIR.", rich_help_panel=CKPT)] = D.keep,
    nproc: Annotated[
        int,
        typer.Option(
            "--nproc", min=1, help="Run under torchrun with N processes on this machine.", rich_help_panel=DIST
        ),
    ] = 1,
    fsdp: Annotated[
        bool,
        typer.Option(
            "--fsdp", help="Shard a full fine-tune with FSDP2 (with --nproc or torchrun).", rich_help_panel=DIST
        ),
    ] = D.fsdp,
    input: Input = "-",
    output: Output = "-",
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Update the policy from verified rollouts; metrics on stdout.

    Reads rollout records with rewards (rlvr verify's output, optionally rlvr score's
    advantages), groups them by id, drops groups without signal, and trains on every
    --batch-groups kept groups. Each batch becomes a new version in DIR (safetensors,
    written atomically, `latest` updated last); rlvr rollout --watch DIR serves it.
    Running again with the same DIR resumes: weights, optimizer, RNG, step, config;
    the options given again override the saved ones (not the model or LoRA shape).
    Reading the same input file again (-i FILE or < FILE) skips what was trained on.

    Records sampled by an older version than the one being trained are corrected by
    sequence-level importance sampling (capped at --tis-cap) unless --tis says otherwise.
    Each metrics line has the policy's entropy, its mismatch with the sampling policy,
    staleness, truncation, flat groups and where the time went; rlvr plot draws them.

    Examples:

    \b
      rlvr train --ckpt run --model ./tiny --loss luspo < verified.jsonl
      rlvr train --ckpt run --model ./tiny --loss cispo --off-policy-mask 0.5 -i verified.jsonl
      rlvr rollout --watch run --model ./tiny < p.jsonl | rlvr verify | rlvr train --ckpt run --model ./tiny
      rlvr train --ckpt run --nproc 2 -i verified.jsonl
    """
    from rlvrkit.train.loop import run_train

    run_train(source(ctx), output, TrainOptions(ckpt, options(TrainConfig, ctx), given(ctx), nproc), log)
