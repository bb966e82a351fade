"""rlvr select-one: the training example worth most, from a training history (one-sample RL)."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer
from rlvrkit.commands._common import (
    Input,
    Llm,
    LlmMaxTokens,
    OnError,
    Output,
    Rejects,
    SolvedAt,
    guard,
    in_panel,
    options,
    source,
)

from rlvrkit.log import Log
from rlvrkit.select_one.options import SelectOneOptions
from rlvrkit.select_one.run import run_select_one

log = Log("select-one")
D = SelectOneOptions()
SCORE, HISTORY, MODEL = "Score", "History", "Model"


@guard(log)
def select_one(
    ctx: typer.Context,
    *,
    by: Annotated[
        Literal["variance", "lim", "pass-rate", "skills"],
        typer.Option(
            "--by",
            help="variance: 1-shot RLVR's pi1, the variance of a prompt's accuracy over the epochs, highest first; "
            "lim: LIMR's learning impact s = 1 - sum_k (r^k - avg^k)^2 / sum_k (1 - avg^k)^2, highest first; "
            "pass-rate: mean accuracy closest to --target; skills: most --salient skills as tagged by --llm.",
            rich_help_panel=SCORE,
        ),
    ] = D.by,
    top: Annotated[
        int,
        typer.Option(
            "--top", min=0, metavar="K", help="Write the K best prompts; 0 writes every one.", rich_help_panel=SCORE
        ),
    ] = D.top,
    repeat: Annotated[
        int,
        typer.Option(
            "--repeat",
            min=1,
            metavar="R",
            help="Write each chosen prompt R times, ids <id>#0..#R-1, to fill a batch (the papers use 128).",
            rich_help_panel=SCORE,
        ),
    ] = D.repeat,
    min_score: Annotated[
        float,
        typer.Option(
            "--min-score",
            metavar="THETA",
            help="With --by lim: only prompts scoring at least THETA (0.6 as in the LIMR paper's run; LIMR's "
            "lim_selection.py defaults to 0.2).",
            rich_help_panel=SCORE,
        ),
    ] = D.min_score,
    target: Annotated[
        Optional[float],
        typer.Option(
            "--target", metavar="P", help="With --by pass-rate: the accuracy to be closest to.", rich_help_panel=SCORE
        ),
    ] = D.target,
    missing: Annotated[
        Literal["backfill", "drop"],
        typer.Option(
            "--missing",
            help="A prompt missing an epoch: backfill takes the next epoch's value as LIMR does (and drops the prompt "
            "when that is missing too); drop leaves the prompt out. Both are counted on stderr.",
            rich_help_panel=HISTORY,
        ),
    ] = D.missing,
    over: Annotated[
        Literal["auto", "epoch", "step", "version"],
        typer.Option(
            "--over",
            help="What one pass of the history is: the records' epoch, step, or policy.version; auto takes the first "
            "of these the first record has.",
            rich_help_panel=HISTORY,
        ),
    ] = D.over,
    solved_at: in_panel(SolvedAt, HISTORY) = D.solved_at,
    llm: Llm = D.llm,
    llm_max_tokens: LlmMaxTokens = D.llm_max_tokens,
    salient: Annotated[
        str,
        typer.Option(
            "--salient",
            metavar="SKILLS",
            help="With --by skills: the skills that count, comma-separated, from the MATH subjects (algebra and "
            "precalculus transferred best in polymath learning).",
            rich_help_panel=MODEL,
        ),
    ] = D.salient,
    input: Input = "-",
    output: Output = "-",
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Pick the training example worth most from a training history (one-sample RL).

    The history is what the tools write: rlvr score --per-prompt lines (each with
    the epoch rollout drew its group in), or verified rollout records. Each prompt
    gets an accuracy per epoch; a missing epoch is back-filled or the prompt dropped
    (--missing), every case counted on stderr. The chosen prompt records are written
    best first with meta.select_one (by, score, rank, the accuracies); --repeat
    duplicates them into a batch. --by skills reads plain prompt records too.

    Examples:

    \b
      rlvr rollout -m ./policy -n 8 --epochs 10 --shuffle < pool.jsonl | rlvr verify \\
        | rlvr score --per-prompt | rlvr select-one --by variance --repeat 128 > one.jsonl
      rlvr select-one --by lim --top 0 < history.jsonl > limr-subset.jsonl
      rlvr select-one --by pass-rate --target 0.5 --top 4 -i history.jsonl
      rlvr select-one --by skills --llm ./tagger < math_train.jsonl
    """
    run_select_one(source(ctx), output, options(SelectOneOptions, ctx), log)
