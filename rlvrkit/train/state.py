"""What a checkpoint version holds besides the policy, so that `train` resumes exactly where it stopped.

    trainer/optimizer.safetensors   AdamW moments, one tensor per parameter name (flattened state dict)
    trainer/optimizer.json          the optimizer's non-tensor settings (lr, betas, ...) by the same names
    trainer/rng.safetensors         torch's CPU (and CUDA) random states
    trainer/state.json              step, version, config, data cursor

Everything is safetensors or JSON: nothing in a run directory is ever unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_optimizer_state_dict,
)

from rlvrkit.errors import Failure
from rlvrkit.train.dist import unwrap

TRAINER = "trainer"


def gather(model, optimizer, *, fsdp: bool) -> tuple[dict | None, dict]:
    """Full (unsharded) model and optimizer state dicts on the CPU. Every rank must call this under FSDP."""
    options = StateDictOptions(full_state_dict=True, cpu_offload=True, flatten_optimizer_state_dict=True)
    model_state = get_model_state_dict(model, options=options) if fsdp else None
    return model_state, get_optimizer_state_dict(model, optimizer, options=options)


def write_version(folder: Path, model, tokenizer, model_state: dict | None, optim_state: dict, state: dict) -> None:
    """Write the policy (adapter or full model), tokenizer and trainer state into `folder` (rank 0 only)."""
    inner = unwrap(model)
    if model_state is not None:
        embedding = inner.get_input_embeddings().weight
        tied = [n for n, p in inner.named_parameters(remove_duplicate=False) if p is embedding]
        model_state = {k: v for k, v in model_state.items() if k not in tied[1:]}  # tied output embeddings: once
        inner.save_pretrained(folder, state_dict=model_state, safe_serialization=True)
    else:
        inner.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    trainer = folder / TRAINER
    trainer.mkdir()
    tensors = {k: v.detach().cpu().contiguous() for k, v in optim_state.items() if isinstance(v, torch.Tensor)}
    settings = {k: v for k, v in optim_state.items() if not isinstance(v, torch.Tensor)}
    save_file(tensors, str(trainer / "optimizer.safetensors"))
    (trainer / "optimizer.json").write_text(json.dumps(settings))
    rng = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng.update({f"cuda{i}": s for i, s in enumerate(torch.cuda.get_rng_state_all())})
    save_file(rng, str(trainer / "rng.safetensors"))
    (trainer / "state.json").write_text(json.dumps(state, indent=1) + "\n")


def read_state(folder: Path) -> dict:
    """The train state a version saved (step, version, config, cursor); `Failure` when it cannot be read."""
    path = Path(folder) / TRAINER / "state.json"
    try:
        state = json.loads(path.read_text())
        if not all(key in state for key in ("step", "version", "config", "cursor")):
            raise ValueError("a field is missing")
    except (OSError, ValueError) as err:
        raise Failure(f"cannot resume from {path}: {err}") from None
    return state


def restore(folder: Path, model, optimizer) -> None:
    """Load the optimizer state and random states saved in `folder` into this run."""
    trainer = Path(folder) / TRAINER
    flat: dict = dict(load_file(str(trainer / "optimizer.safetensors")))
    for key, value in json.loads((trainer / "optimizer.json").read_text()).items():
        flat[key] = tuple(value) if key.endswith(".betas") else value
    set_optimizer_state_dict(
        model, optimizer, optim_state_dict=flat, options=StateDictOptions(flatten_optimizer_state_dict=True)
    )
    rng = load_file(str(trainer / "rng.safetensors"))
    torch.set_rng_state(rng["cpu"])
    if torch.cuda.is_available():
        states = [rng[k] for k in sorted(rng) if k.startswith("cuda")]
        if len(states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(states)
