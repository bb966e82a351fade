"""The model being trained: built fresh or from a checkpoint version, LoRA (peft) or full, and saved back.

Precision: on a GPU, full fine-tuning keeps float32 master weights and runs the forward pass under bf16 autocast;
LoRA keeps the frozen base in bf16 and the adapter weights in float32. On the CPU everything is float32. `--dtype`
overrides the weights' dtype.
"""

from __future__ import annotations

import torch

from rlvrkit.checkpoint import Checkpoint
from rlvrkit.models import from_folder, load_tokenizer, resolve_device
from rlvrkit.train.config import TrainConfig


def weights_dtype(cfg: TrainConfig, device: str) -> torch.dtype:
    if cfg.dtype != "auto":
        return getattr(torch, cfg.dtype)
    return torch.bfloat16 if device.startswith("cuda") and cfg.lora else torch.float32


def autocast(device: str):
    """bf16 autocast on a GPU; a no-op context on the CPU."""
    if device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def build_policy(cfg: TrainConfig, resume: Checkpoint | None, device: str):
    """(model, tokenizer) ready to train: from `resume` when given, else from cfg.model."""
    device = resolve_device(device)
    dtype = weights_dtype(cfg, device)
    source = resume.path if resume is not None and resume.kind == "full" else cfg.model
    model = from_folder(source, dtype, trust_remote_code=cfg.trust_remote_code)
    if cfg.lora:
        from peft import LoraConfig, PeftModel, get_peft_model

        if resume is not None:
            model = PeftModel.from_pretrained(model, str(resume.path), is_trainable=True)
        else:
            targets = cfg.lora_targets if cfg.lora_targets == "all-linear" else cfg.lora_targets.split(",")
            lora = LoraConfig(
                r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules=targets, lora_dropout=0.0, task_type="CAUSAL_LM"
            )
            model = get_peft_model(model, lora)
    if cfg.grad_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.config.use_cache = False
    model.to(device).train()
    tokenizer = load_tokenizer(cfg.model, trust_remote_code=cfg.trust_remote_code)
    return model, tokenizer


def build_reference(cfg: TrainConfig, device: str):
    """The frozen reference policy for the KL term: None for LoRA (the base with the adapter switched off serves)."""
    if cfg.beta == 0 or cfg.lora:
        return None
    device = resolve_device(device)
    ref = from_folder(cfg.model, weights_dtype(cfg, device), trust_remote_code=cfg.trust_remote_code)
    ref.requires_grad_(False)
    return ref.to(device).eval()


def reference_logprobs(model, reference, batch: dict, logprobs_fn) -> torch.Tensor:
    with torch.no_grad():
        if reference is not None:
            return logprobs_fn(reference, batch)
        with unwrap(model).disable_adapter():
            return logprobs_fn(model, batch)


def unwrap(model):
    """The model inside a DDP wrapper (FSDP2 shards in place, nothing to unwrap)."""
    return getattr(model, "module", model)


def make_optimizer(model, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate for optimizer step `step` (0-based): linear warm-up, then constant, linear or cosine decay."""
    base = cfg.learning_rate
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return base * (step + 1) / cfg.warmup_steps
    if cfg.lr_schedule == "constant" or not cfg.max_steps:
        return base
    span = max(cfg.max_steps - cfg.warmup_steps, 1)
    progress = min(max(step - cfg.warmup_steps, 0) / span, 1.0)
    if cfg.lr_schedule == "linear":
        return base * (1 - progress)
    import math

    return base * 0.5 * (1 + math.cos(math.pi * progress))
