"""rlvr steps: expert solutions cut into step-wise SRL training records."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rlvrkit.commands._common import Input, OnError, Output, Rejects, System, guard, helped, options, source

from rlvrkit.log import Log
from rlvrkit.steps.options import StepsOptions
from rlvrkit.steps.run import run_steps

log = Log("steps")
D = StepsOptions()


@guard(log)
def steps(
    ctx: typer.Context,
    *,
    split: Annotated[
        Literal["auto", "numbered", "paragraph", "sentence"],
        typer.Option(
            "--split",
            help="How to find the steps: numbered ('1. **Title** action'), paragraph (the cuts at line breaks), "
            "sentence (every cut between sentences); auto: numbered when the solution is a numbered list from its "
            "first line, paragraphs when they give three or more steps, else sentences.",
        ),
    ] = D.split,
    with_title: Annotated[
        bool, typer.Option("--with-title", help="Also show the next step's title (numbered steps that have one).")
    ] = D.with_title,
    min_chars: Annotated[
        int,
        typer.Option("--min-chars", min=0, metavar="N", help="A fragment shorter than N characters joins a neighbour."),
    ] = D.min_chars,
    max_chars: Annotated[
        int,
        typer.Option(
            "--max-chars",
            min=0,
            metavar="N",
            help="Leave out a record longer than N characters (prompt and answer), and with it the rest of its "
            "solution, whose records are longer still; counted on stderr. Record k repeats steps 1..k-1, so a "
            "solution's records grow with the square of its length. 0: no limit.",
        ),
    ] = D.max_chars,
    system: helped(
        System,
        "System message written into every record [default: SRL's: think inside <think></think>, then write only "
        "the next step]; '' writes none.",
    ) = D.system,
    input: Input = "-",
    output: Output = "-",
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Turn expert solutions into SRL step records: N steps give N-1 records.

    Each input record needs id, prompt and an expert solution. Record k shows the
    problem and the solution up to step k-1 and asks for the next step; its answer
    is step k's action, its task srl, so `rlvr verify` scores a completion by how
    closely what follows </think> matches the expert's step. Its id is the source's
    id, /step- and a hash of what the record holds: the same record has the same id
    in every run, and different options never give two records one id.

    Steps are cut between sentences, read from the prose and the math together: never
    inside math, an environment or figure code, never after a lead-in ("we get",
    "Hence,", "as follows:"), and a displayed equation or figure stays with the
    sentence that introduces it.

    Record k repeats steps 1..k-1, so a solution's records grow with the square of its
    length; they are written as they are made, and --max-chars leaves out the longest
    (a 1 MB "solution" gives a few hundred records, not gigabytes) and says how many.

    Examples:

    \b
      rlvr steps < math_train.jsonl > srl.jsonl
      rlvr steps --split numbered --with-title -i solutions.jsonl
      rlvr steps < solved.jsonl | rlvr rollout -m ./policy -n 8 | rlvr verify > srl-verified.jsonl
    """
    run_steps(source(ctx), output, options(StepsOptions, ctx), log)
