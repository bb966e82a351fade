"""Loading models and tokenizers from local folders, the safe way, for every command that needs one.

Only local paths (no hub downloads), safetensors weights only (no pickle), remote code off unless asked for, and
transformers' own progress bars and chatter kept off stderr so our messages stay readable.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from rlvrkit.errors import Failure

DTYPES = ("auto", "float32", "bfloat16", "float16")


def quiet_transformers() -> None:
    """transformers' progress bars and chatter off stderr, and the deprecation warnings its own internals (and peft's
    calls into it) raise on every run, which the user can do nothing about."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"(transformers|peft|torch)\.")


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


PICKLED = ("*.bin", "*.pt", "*.pth", "*.ckpt")
CONVERT = {
    "model": "python -c 'import sys; from transformers import AutoModelForCausalLM as M; "
    "M.from_pretrained(sys.argv[1]).save_pretrained(sys.argv[2])' {path} {path}-safetensors",
    "adapter": "python -c 'import sys, torch, safetensors.torch as st; "
    'st.save_file(torch.load(sys.argv[1] + "/adapter_model.bin", weights_only=True), '
    'sys.argv[1] + "/adapter_model.safetensors")\' {path}',
}


def check_folder(path: str | Path, what: str = "model") -> Path:
    """A local model (or adapter) folder with its config; `Failure` naming the path otherwise."""
    p = Path(path)
    if not (p / "config.json").is_file() and not (p / "adapter_config.json").is_file():
        raise Failure(f"{what} folder {path} not found or has no config.json (models load from local folders only)")
    return p


def check_weights(path: str | Path, what: str = "model") -> Path:
    """`check_folder`, and weights as safetensors: rlvr never unpickles a checkpoint, so a folder holding only
    pytorch_model.bin (or adapter_model.bin) is refused with the command that converts it once."""
    p = check_folder(path, what)
    if any(p.glob("*.safetensors")):
        return p
    pickled = sorted(f.name for pattern in PICKLED for f in p.glob(pattern))
    if pickled:
        how = CONVERT[what].format(path=str(path).rstrip("/"))
        raise Failure(
            f"{what} folder {path} holds {pickled[0]} but no .safetensors: rlvr loads safetensors only (a pickled "
            f"checkpoint can run code when loaded). Convert it once, from a source you trust: {how}"
        )
    raise Failure(f"{what} folder {path} has no weights (*.safetensors)")


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
