"""Number formats in training: the weights' dtype, and autocast for the forward pass.

On a GPU, full fine-tuning keeps float32 master weights and runs the forward pass under bf16 autocast; LoRA keeps the
frozen base in bf16 and the adapter weights in float32. On the CPU everything is float32. `--dtype` overrides the
weights' dtype.
"""

from __future__ import annotations

import torch


def weights_dtype(dtype: str, device: str, lora: bool) -> torch.dtype:
    if dtype != "auto":
        return getattr(torch, dtype)
    return torch.bfloat16 if device.startswith("cuda") and lora else torch.float32


def autocast(device: str):
    """bf16 autocast on a GPU; a no-op context on the CPU."""
    if device.startswith("cuda"):
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)
