"""Loading models and tokenizers from local folders, the safe way, for every command that needs one.

Only local paths (no hub downloads), safetensors weights only (no pickle), remote code off unless asked for, and
transformers' own progress bars and chatter kept off stderr so our messages stay readable.
"""

from __future__ import annotations

from pathlib import Path

from rlvrkit.errors import Failure

DTYPES = ("auto", "float32", "bfloat16", "float16")


def quiet_transformers() -> None:
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def resolve_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def resolve_dtype(dtype: str, device: str):
    """'auto' is bfloat16 on a GPU and float32 on the CPU."""
    import torch

    if dtype not in DTYPES:
        raise Failure(f"unknown dtype {dtype!r}; choose from {', '.join(DTYPES)}")
    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    return getattr(torch, dtype)


def check_folder(path: str | Path, what: str = "model") -> Path:
    p = Path(path)
    if not (p / "config.json").is_file() and not (p / "adapter_config.json").is_file():
        raise Failure(f"{what} folder {path} not found or has no config.json (models load from local folders only)")
    return p


def load_tokenizer(path: str | Path, *, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    quiet_transformers()
    tok = AutoTokenizer.from_pretrained(
        str(check_folder(path)), local_files_only=True, trust_remote_code=trust_remote_code
    )
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    return tok


def from_folder(path: str | Path, dtype, *, trust_remote_code: bool = False):
    """A causal LM from a local folder, weights in torch dtype `dtype`, on the CPU, as transformers returns it."""
    from transformers import AutoModelForCausalLM

    quiet_transformers()
    return AutoModelForCausalLM.from_pretrained(
        str(check_folder(path)),
        dtype=dtype,
        local_files_only=True,
        use_safetensors=True,
        trust_remote_code=trust_remote_code,
    )


def load_model(path: str | Path, *, dtype: str = "auto", device: str = "auto", trust_remote_code: bool = False):
    """A causal LM from a local folder, on `device`, in eval mode."""
    device = resolve_device(device)
    model = from_folder(path, resolve_dtype(dtype, device), trust_remote_code=trust_remote_code)
    return model.to(device).eval()
