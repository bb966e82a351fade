"""`rlvr init-model`: write a model folder to start from (today: the embedded tiny model, rlvrkit.tiny)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rlvrkit.errors import Failure
from rlvrkit.tiny import build_tiny


@dataclass(frozen=True)
class InitModelOptions:
    """`rlvr init-model`'s options: which model to write (today only the tiny one) and how."""

    tiny: bool = False
    seed: int = 0
    initializer_range: float = 0.02

    def __post_init__(self):
        if not self.tiny:
            raise ValueError("say which model to write; the one available is --tiny")


def run_init_model(folder: str, opts: InitModelOptions, log) -> None:
    """`rlvr init-model`: write the tiny model to `folder` (created if needed; checked before any work)."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise Failure(f"cannot create {folder}: {err.strerror or err}") from None
    path = build_tiny(folder, seed=opts.seed, initializer_range=opts.initializer_range)
    log.info(f"wrote the tiny model to {path}")
