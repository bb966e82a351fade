"""rlvr verify: a reward and a verdict for every rollout, from its completion and its reference answer."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer
from rlvrkit.commands._common import Input, OnError, Output, Rejects, guard

from rlvrkit.log import Log

log = Log("verify")


@guard(log)
def verify(
    input: Input = "-",
    output: Output = "-",
    reward: Annotated[
        str,
        typer.Option(
            "--reward",
            metavar="SPEC",
            help="Reward terms, comma-separated TERM[:WEIGHT] (weight 1 when left out), summed. Terms: task (the "
            "record's own verifier, by its task field or --task), math, mcq, srl (that verifier), format (1 for "
            "<think>...</think> then an answer, else 0), length (DAPO's soft overlong penalty, 0 to -1).",
        ),
    ] = "task",
    task: Annotated[
        Optional[Literal["math", "mcq", "srl"]],
        typer.Option("--task", help="Use this verifier for the task term on every record, whatever its task field."),
    ] = None,
    jobs: Annotated[
        Optional[int],
        typer.Option("--jobs", "-j", min=1, metavar="N", help="Worker processes (default: the number of CPU cores)."),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0.01,
            metavar="SECONDS",
            help="Most time one record may take; past it the worker is killed and replaced and the record gets "
            "status timeout, reward 0.",
        ),
    ] = 5.0,
    max_chars: Annotated[
        int,
        typer.Option(
            "--max-chars",
            min=100,
            metavar="N",
            help="Longest text a verifier reads: the last N characters of a completion (where its answer is), the "
            "first N of an SRL action; a longer reference is bad_reference.",
        ),
    ] = 20_000,
    precision: Annotated[
        int,
        typer.Option(
            "--precision", min=0, metavar="N", help="math: decimal places floats are rounded to before comparing."
        ),
    ] = 6,
    loose: Annotated[
        bool,
        typer.Option(
            "--loose", help="math: math-verify's non-strict mode (variables matched by position; a set equals a tuple)."
        ),
    ] = False,
    boxed_only: Annotated[
        bool,
        typer.Option("--boxed-only", help="math: only a \\boxed{} answer counts; without one, no_answer."),
    ] = False,
    max_len: Annotated[
        Optional[int],
        typer.Option(
            "--max-len",
            min=1,
            metavar="TOKENS",
            help="length: L_max, the hard limit in tokens (default: the record's sampling.max_tokens).",
        ),
    ] = None,
    len_cache: Annotated[
        Optional[int],
        typer.Option(
            "--len-cache",
            min=0,
            metavar="TOKENS",
            help="length: L_cache, the band below L_max where the penalty grows from 0 to -1 (default: L_max/5).",
        ),
    ] = None,
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Add a reward and a verdict to every rollout.

    Each record needs a completion and a reference answer. The verifier follows the
    record's task: math (math-verify; the final \\boxed{} answer first, else "final
    answer is", "answer:", the last formula or number; equivalent forms are equal:
    \\frac12 = 0.5, 90^\\circ = 90, intervals, sets, matrices), mcq (the option letter
    chosen: \\boxed{C}, (C), C), "Answer: C", or an option's text from meta.options;
    several options named is wrong), srl (similarity of the step after </think> to
    the expert step; -1 when the format is not followed). The answer is looked for
    after </think> when there is one; a <think> never closed holds no answer. The
    length term counts completion_ids; a record without them is bad input.

    Every record gets reward and verdict {status, extracted, ms, terms (with several
    terms)}; status is ok, wrong, no_answer, timeout, bad_reference or format, from
    the first correctness term. Workers run in parallel, each record under a hard
    time limit; output order is input order; identical (reference, answer) pairs are
    verified once per run. A summary of statuses goes to stderr.

    Examples:

    \b
      rlvr verify < rollouts.jsonl > verified.jsonl
      rlvr rollout --model ./policy -n 8 < prompts.jsonl | rlvr verify | rlvr score
      rlvr verify --reward task:1,format:0.1,length:1 --max-len 4096 -i rollouts.jsonl
      rlvr verify --task mcq -j 4 --timeout 2 < goose.jsonl
    """
    from rlvrkit.verify.run import run_verify
    from rlvrkit.verify.spec import Options, cores, parse_reward

    try:
        terms = parse_reward(reward)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--reward") from None
    if max_len is not None and len_cache is not None and len_cache > max_len:
        raise typer.BadParameter(f"{len_cache} is more than --max-len {max_len}", param_hint="--len-cache")
    opts = Options(
        terms=terms,
        task=task,
        jobs=jobs or cores(),
        timeout=timeout,
        max_chars=max_chars,
        precision=precision,
        strict=not loose,
        boxed_only=boxed_only,
        max_len=max_len,
        len_cache=len_cache,
    )
    run_verify(input, output, opts, on_error=on_error, rejects=rejects, log=log)
