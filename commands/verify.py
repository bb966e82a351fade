"""rlvr verify: a reward and a verdict for every rollout, from its completion and its reference answer."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rlvrkit.commands._common import Input, OnError, Output, Rejects, guard, options, source
from rlvrkit.commands._verify import REWARD, BoxedOnly, Jobs, MaxChars, Precision, Strict, Task, Timeout

from rlvrkit.log import Log
from rlvrkit.verify.options import VerifyOptions

log = Log("verify")
DEFAULTS = VerifyOptions()
LENGTH = "Length penalty"


@guard(log)
def verify(
    ctx: typer.Context,
    *,
    terms: Annotated[
        str,
        typer.Option(
            "--reward",
            metavar="SPEC",
            help="Reward terms, comma-separated TERM[:WEIGHT] (weight 1 when left out), summed. Terms: task (the "
            "record's own verifier, by its task field or --task), math, mcq, srl (that verifier), format (1 for "
            "<think>...</think> then an answer, else 0), length (DAPO's soft overlong penalty, 0 to -1).",
            rich_help_panel=REWARD,
        ),
    ] = "task",
    task: Task = DEFAULTS.task,
    jobs: Jobs = None,
    timeout: Timeout = DEFAULTS.timeout,
    max_chars: MaxChars = DEFAULTS.max_chars,
    precision: Precision = DEFAULTS.precision,
    strict: Strict = DEFAULTS.strict,
    boxed_only: BoxedOnly = DEFAULTS.boxed_only,
    max_len: Annotated[
        Optional[int],
        typer.Option(
            "--max-len",
            min=1,
            metavar="TOKENS",
            help="L_max, the hard limit in tokens [default: the record's sampling.max_tokens].",
            rich_help_panel=LENGTH,
        ),
    ] = DEFAULTS.max_len,
    len_cache: Annotated[
        Optional[int],
        typer.Option(
            "--len-cache",
            min=0,
            metavar="TOKENS",
            help="L_cache, the band below L_max where the penalty grows from 0 to -1 [default: L_max/5].",
            rich_help_panel=LENGTH,
        ),
    ] = DEFAULTS.len_cache,
    input: Input = "-",
    output: Output = "-",
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Add a reward and a verdict to every rollout.

    Each record needs a completion and a reference answer. The verifier follows the
    record's task: math (math-verify; the final \\boxed{} answer first — several boxes
    together when the reference has several parts —, else a last "#### answer" line,
    "final answer is", "answer:", the last formula or number; equivalent forms are
    equal: \\frac12 = 0.5, 90^\\circ = 90, 2.5e-05 = 0.000025, intervals, sets,
    matrices; a reference that does not parse is bad_reference), mcq (the option letter
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

    run_verify(source(ctx), output, options(VerifyOptions, ctx), log)
