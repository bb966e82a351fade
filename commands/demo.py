"""rlvr demo: the whole loop on the embedded tiny model, offline, with a held-out measurement before and after."""

from __future__ import annotations

from typing import Annotated

import typer
from rlvrkit.commands._common import WORK_FOLDER, Loss, Lr, Model, Output, Seed, guard, options, shown
from rlvrkit.commands._rollout import Samples

from rlvrkit.demo import DEFAULT_LR, LEARNING_RATE, DemoOptions, run_demo
from rlvrkit.log import Log

log = Log("demo")
D = DemoOptions()
LR_DEFAULT = "; ".join([f"{DEFAULT_LR:g}", *(f"{loss}: {lr:g}" for loss, lr in LEARNING_RATE.items())])


@guard(log)
def demo(
    ctx: typer.Context,
    *,
    workdir: Annotated[
        str,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="Work folder for the tasks, evaluations, checkpoints, metrics, logs and plot (a rerun replaces what "
            "an earlier demo made there and keeps anything else; any other folder with files in it is refused).",
        ),
        WORK_FOLDER,
    ] = D.workdir,
    loss: Loss = D.loss,
    steps: Annotated[int, typer.Option("--steps", min=1, help="Optimizer steps of training.")] = D.steps,
    lr: shown(Lr, LR_DEFAULT) = D.lr,
    n: Samples = D.n,
    held_out: Annotated[
        int, typer.Option("--held-out", metavar="N", help="How many of the 100 sums are held out of training.")
    ] = D.held_out,
    model: shown(Model, "the tiny model, built once into ~/.cache/rlvrkit") = D.model,
    seed: Seed = D.seed,
    output: Output = "-",
):
    """Run the whole loop on the tiny model and measure it on prompts it never trained on.

    The task is one-digit sums ("What is 3 + 4?"), split into training and held-out
    prompts. The demo runs the real commands and shows each one: rlvr eval on the
    held-out sums; the streaming loop rlvr rollout --watch | rlvr verify | rlvr train
    on the training sums; rlvr eval again on the trained policy; rlvr eval --compare
    for the rise and its 95% paired bootstrap interval; rlvr plot for the curves.
    Offline, on a CPU, in about two minutes (the first run also builds the tiny model
    into the user cache, about half a minute).

    Writes a summary line (held-out score before and after, the rise, its interval,
    the wall time, the plot's path) to stdout; everything else is in --dir.

    Examples:

    \b
      rlvr demo
      rlvr demo --loss luspo --steps 100 --dir luspo-demo
    """
    run_demo(output, options(DemoOptions, ctx), log)
