"""rlvr init-model: write a model folder to start from (today: the embedded tiny model)."""

from __future__ import annotations

from typing import Annotated

import typer
from rlvrkit.commands._common import guard, options

from rlvrkit.init_model import InitModelOptions, run_init_model
from rlvrkit.log import Log

log = Log("init-model")
D = InitModelOptions(tiny=True)


@guard(log)
def init_model(
    ctx: typer.Context,
    *,
    folder: Annotated[str, typer.Argument(metavar="DIR", help="Folder to create (or fill) with the model.")],
    tiny: Annotated[
        bool, typer.Option("--tiny", help="The embedded tiny Qwen2-architecture model (~100k parameters).")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the weights and the tokenizer.")] = D.seed,
    initializer_range: Annotated[
        float, typer.Option("--initializer-range", help="Std of the random initial weights.")
    ] = D.initializer_range,
):
    """Create a small local model to run the whole loop on, offline.

    The tiny model is a 2-layer Qwen2-architecture causal LM with a byte-level BPE
    tokenizer trained on the spot and a ChatML chat template, pretrained for about
    half a minute on one-digit sums: it knows them, but asked in a chat it mostly
    answers carelessly, so RL has something real to teach (rlvr demo measures it).
    Saved with save_pretrained (safetensors), so every command loads it like any
    other local model folder.

    Examples:

    \b
      rlvr init-model --tiny ./tiny
      rlvr rollout --model ./tiny -n 4 < prompts.jsonl
    """
    run_init_model(folder, options(InitModelOptions, ctx), log)
