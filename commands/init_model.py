"""rlvr init-model: write a model folder to start from (today: the embedded tiny model)."""

from __future__ import annotations

from typing import Annotated

import typer
from rlvrkit.commands._common import guard

from rlvrkit.log import Log

log = Log("init-model")


@guard(log)
def init_model(
    folder: Annotated[str, typer.Argument(metavar="DIR", help="Folder to create (or fill) with the model.")],
    tiny: Annotated[
        bool, typer.Option("--tiny", help="The embedded tiny Qwen2-architecture model (random weights, ~100k params).")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the weights and the tokenizer.")] = 0,
    initializer_range: Annotated[
        float, typer.Option("--initializer-range", help="Std of the random initial weights.")
    ] = 0.2,
):
    """Create a small local model to run the whole loop on, offline.

    The tiny model is a 2-layer Qwen2-architecture causal LM with a byte-level BPE
    tokenizer trained on the spot and a ChatML chat template. It knows nothing; RL
    teaches it. Saved with save_pretrained (safetensors), so every command loads it
    like any other local model folder.

    Examples:

    \b
      rlvr init-model --tiny ./tiny
      rlvr rollout --model ./tiny -n 4 < prompts.jsonl
    """
    if not tiny:
        raise typer.BadParameter("say which model to write; the one available is --tiny", param_hint="--tiny")
    from rlvrkit.tiny import build_tiny

    path = build_tiny(folder, seed=seed, initializer_range=initializer_range)
    log.info(f"wrote the tiny model to {path}")
