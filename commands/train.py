"""rlvr train: policy updates from verified rollouts (GRPO, Dr. GRPO, DAPO, GSPO, LUSPO, SRL), resumable."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Literal, Optional

import typer
from rlvrkit.commands._common import Input, OnError, Output, Rejects, guard, parse_drop

from rlvrkit.log import Log

log = Log("train")

Loss = Literal["grpo", "dr-grpo", "dapo", "gspo", "luspo", "srl"]


@guard(log)
def train(
    ckpt: Annotated[
        str, typer.Option("--ckpt", metavar="DIR", help="Run directory: versions are published here and resumed from.")
    ],
    model: Annotated[
        Optional[str], typer.Option("--model", metavar="PATH", help="Local model folder to start from (new runs).")
    ] = None,
    loss: Annotated[
        Optional[Loss],
        typer.Option("--loss", help="Policy loss; srl is the SRL recipe (GRPO, std filter, lr 5e-7). [default: grpo]"),
    ] = None,
    lora: Annotated[
        Optional[bool],
        typer.Option("--lora/--full", help="Train a LoRA adapter (peft) or all weights. [default: full]"),
    ] = None,
    lora_r: Annotated[Optional[int], typer.Option("--lora-r", help="LoRA rank. [default: 16]")] = None,
    lora_alpha: Annotated[Optional[int], typer.Option("--lora-alpha", help="LoRA alpha. [default: 32]")] = None,
    lora_targets: Annotated[
        Optional[str],
        typer.Option("--lora-targets", metavar="NAMES", help="Comma-separated module names. [default: all-linear]"),
    ] = None,
    lr: Annotated[
        Optional[float], typer.Option("--lr", help="Learning rate. [default: 1e-6 full, 1e-5 LoRA, 5e-7 srl]")
    ] = None,
    lr_schedule: Annotated[
        Optional[Literal["constant", "linear", "cosine"]],
        typer.Option("--lr-schedule", help="Decay over --max-steps after warm-up. [default: constant]"),
    ] = None,
    warmup_steps: Annotated[
        Optional[int], typer.Option("--warmup-steps", help="Linear warm-up steps. [default: 0]")
    ] = None,
    max_steps: Annotated[
        Optional[int], typer.Option("--max-steps", help="Stop after this many optimizer steps (the run's total).")
    ] = None,
    weight_decay: Annotated[
        Optional[float], typer.Option("--weight-decay", help="AdamW weight decay. [default: 0]")
    ] = None,
    max_grad_norm: Annotated[
        Optional[float], typer.Option("--max-grad-norm", help="Gradient clipping norm. [default: 1.0]")
    ] = None,
    eps_low: Annotated[
        Optional[float], typer.Option("--eps-low", help="Clip range below 1. [default: per loss, from its paper]")
    ] = None,
    eps_high: Annotated[
        Optional[float], typer.Option("--eps-high", help="Clip range above 1. [default: per loss, from its paper]")
    ] = None,
    beta: Annotated[
        Optional[float], typer.Option("--beta", help="Weight of the k3 KL to the initial policy. [default: 0]")
    ] = None,
    adv: Annotated[
        Optional[Literal["group", "batch", "none", "rloo"]],
        typer.Option(
            "--adv", help="Advantage when records have none (as rlvr score). [default: none for dr-grpo, else group]"
        ),
    ] = None,
    std: Annotated[
        Optional[Literal["population", "sample"]], typer.Option("--std", help="Std estimator. [default: population]")
    ] = None,
    adv_eps: Annotated[Optional[float], typer.Option("--adv-eps", help="Added to the std. [default: 1e-6]")] = None,
    drop: Annotated[
        Optional[str],
        typer.Option(
            "--drop",
            metavar="REASONS",
            help="Dynamic sampling: solve-all,solve-none. [default: both for dapo, none else]",
        ),
    ] = None,
    min_std: Annotated[
        Optional[float], typer.Option("--min-std", metavar="EPS", help="Drop groups with reward std <= EPS. [srl: 0]")
    ] = None,
    solved_at: Annotated[
        Optional[float], typer.Option("--solved-at", help="Reward at or above which a rollout is solved. [default: 1]")
    ] = None,
    max_tokens: Annotated[
        Optional[int],
        typer.Option("--max-tokens", help="Dr. GRPO's constant divisor. [default: the records' sampling.max_tokens]"),
    ] = None,
    tis: Annotated[
        Optional[Literal["token", "sequence"]],
        typer.Option("--tis", help="Truncated importance sampling against the rollout's behaviour logprobs."),
    ] = None,
    tis_cap: Annotated[Optional[float], typer.Option("--tis-cap", help="Cap C on the IS ratio. [default: 2]")] = None,
    tis_mode: Annotated[
        Optional[Literal["truncate", "mask"]],
        typer.Option("--tis-mode", help="Clamp ratios at C, or drop what exceeds it. [default: truncate]"),
    ] = None,
    batch_groups: Annotated[
        Optional[int], typer.Option("--batch-groups", min=1, help="Groups per batch (one version). [default: 8]")
    ] = None,
    updates_per_batch: Annotated[
        Optional[int],
        typer.Option("--updates-per-batch", min=1, help="Optimizer steps per batch (PPO epochs). [default: 1]"),
    ] = None,
    micro_tokens: Annotated[
        Optional[int], typer.Option("--micro-tokens", min=1, help="Padded tokens per micro-batch. [default: 8192]")
    ] = None,
    grad_checkpointing: Annotated[
        Optional[bool], typer.Option("--grad-checkpointing", help="Recompute activations to save memory.")
    ] = None,
    dtype: Annotated[
        Optional[Literal["auto", "float32", "bfloat16", "float16"]],
        typer.Option("--dtype", help="Weights dtype. [default: auto: fp32 + bf16 autocast on GPU, fp32 on CPU]"),
    ] = None,
    device: Annotated[Optional[str], typer.Option("--device", help="cpu, cuda, cuda:1 ... [default: auto]")] = None,
    fsdp: Annotated[
        Optional[bool], typer.Option("--fsdp", help="Shard a full fine-tune with FSDP2 (under torchrun).")
    ] = None,
    nproc: Annotated[
        int, typer.Option("--nproc", min=1, help="Run under torchrun with N processes on this machine.")
    ] = 1,
    save_every: Annotated[
        Optional[int], typer.Option("--save-every", min=1, help="Publish a version every N batches. [default: 1]")
    ] = None,
    keep: Annotated[Optional[int], typer.Option("--keep", min=1, help="Versions to keep in DIR. [default: 3]")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for torch. [default: 0]")] = None,
    trust_remote_code: Annotated[
        Optional[bool], typer.Option("--trust-remote-code", help="Allow a model folder's own Python code.")
    ] = None,
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
    Running again with the same DIR resumes: weights, optimizer, RNG, step, config.

    Examples:

    \b
      rlvr train --ckpt run --model ./tiny --loss luspo < verified.jsonl
      rlvr rollout --watch run --model ./tiny < p.jsonl | rlvr verify | rlvr train --ckpt run --model ./tiny
      rlvr train --ckpt run --nproc 2 -i verified.jsonl
    """
    if nproc > 1 and "WORLD_SIZE" not in os.environ:
        from rlvrkit.train.dist import relaunch

        relaunch(nproc, _without_nproc(sys.argv[1:]))
    from rlvrkit.train.loop import run_train

    given = dict(
        model=model, loss=loss, lora=lora, lora_r=lora_r, lora_alpha=lora_alpha, lora_targets=lora_targets, lr=lr,
        lr_schedule=lr_schedule, warmup_steps=warmup_steps, max_steps=max_steps, weight_decay=weight_decay,
        max_grad_norm=max_grad_norm, eps_low=eps_low, eps_high=eps_high, beta=beta, adv=adv, std=std,
        adv_eps=adv_eps, drop=parse_drop(drop) if drop is not None else None, min_std=min_std, solved_at=solved_at,
        max_tokens=max_tokens, tis=tis, tis_cap=tis_cap, tis_mode=tis_mode, batch_groups=batch_groups,
        updates_per_batch=updates_per_batch, micro_tokens=micro_tokens, grad_checkpointing=grad_checkpointing,
        dtype=dtype, device=device, fsdp=fsdp, save_every=save_every, keep=keep, seed=seed,
        trust_remote_code=trust_remote_code,
    )  # fmt: skip
    run_train(ckpt, given, input=input, output=output, on_error=on_error, rejects=rejects, log=log)


def _without_nproc(args: list[str]) -> list[str]:
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a == "--nproc":
            skip = True
        elif not a.startswith("--nproc="):
            out.append(a)
    return out
