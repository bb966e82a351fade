"""The model being trained: built fresh or from a checkpoint version, LoRA (peft) or full, with its optimizer; and the
frozen reference the KL term compares it with.

Number formats: on a GPU, full fine-tuning keeps float32 master weights (the forward pass runs under bf16 autocast,
see rlvrkit.train.step); LoRA keeps the frozen base in bf16 and the adapter weights in float32. On the CPU everything
is float32. `--dtype` overrides the weights' dtype.
"""

from __future__ import annotations

import torch

from rlvrkit.checkpoint import Checkpoint
from rlvrkit.models import from_folder, load_tokenizer, resolve_device
from rlvrkit.train.dist import unwrap
from rlvrkit.train.options import TrainConfig


def weights_dtype(dtype: str, device: str, lora: bool) -> torch.dtype:
    if dtype != "auto":
        return getattr(torch, dtype)
    return torch.bfloat16 if device.startswith("cuda") and lora else torch.float32


def make_optimizer(model, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW over the parameters that train (the adapter's, with LoRA)."""
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)


def build_policy(cfg: TrainConfig, resume: Checkpoint | None, device: str):
    """(model, tokenizer) ready to train: from `resume` when given, else from cfg.model."""
    device = resolve_device(device)
    dtype = weights_dtype(cfg.dtype, device, cfg.lora)
    source = resume.path if resume is not None and resume.kind == "full" else cfg.model
    model = from_folder(source, dtype, trust_remote_code=cfg.trust_remote_code)
    if cfg.lora:
        model = _with_adapter(model, cfg, resume)
    if cfg.grad_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.config.use_cache = False
    model.to(device).train()
    tokenizer = load_tokenizer(cfg.model, trust_remote_code=cfg.trust_remote_code)
    return model, tokenizer


def _with_adapter(model, cfg: TrainConfig, resume: Checkpoint | None):
    """The base model with a trainable LoRA adapter: the resumed version's, or a new one of cfg's shape."""
    from peft import LoraConfig, PeftModel, get_peft_model

    if resume is not None:
        return PeftModel.from_pretrained(model, str(resume.path), is_trainable=True)
    targets = cfg.lora_targets if cfg.lora_targets == "all-linear" else cfg.lora_targets.split(",")
    lora = LoraConfig(
        r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules=targets, lora_dropout=0.0, task_type="CAUSAL_LM"
    )
    return get_peft_model(model, lora)


def build_reference(cfg: TrainConfig, device: str):
    """The frozen reference policy for the KL term: None for LoRA (the base with the adapter switched off serves)."""
    if cfg.beta == 0 or cfg.lora:
        return None
    device = resolve_device(device)
    ref = from_folder(cfg.model, weights_dtype(cfg.dtype, device, cfg.lora), trust_remote_code=cfg.trust_remote_code)
    ref.requires_grad_(False)
    return ref.to(device).eval()


def reference_logprobs(model, reference, batch: dict, logprobs_fn) -> torch.Tensor:
    with torch.no_grad():
        if reference is not None:
            return logprobs_fn(reference, batch)
        with unwrap(model).disable_adapter():
            return logprobs_fn(model, batch)
