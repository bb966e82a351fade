"""rlvr compose: harder verifiable prompts from the ones you have, by sequential composition (Composition-RL)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rlvrkit.commands._common import READ, Input, Llm, OnError, Output, Rejects, Seed, guard, helped, options, source

from rlvrkit.compose.options import ComposeOptions
from rlvrkit.log import Log

log = Log("compose")
D = ComposeOptions()
PAIRS = "Which problems"


@guard(log)
def compose(
    ctx: typer.Context,
    *,
    first: Annotated[
        Optional[str],
        typer.Option(
            "--first",
            metavar="FILE",
            help="Take the earlier problems (q1) from FILE, e.g. another domain [default: the input itself].",
            rich_help_panel=PAIRS,
        ),
        READ,
    ] = D.first,
    depth: Annotated[
        int,
        typer.Option(
            "--depth", min=2, help="Problems per composed prompt (K: q1 → ... → qK), at most 9.", rich_help_panel=PAIRS
        ),
    ] = D.depth,
    candidates: Annotated[
        int,
        typer.Option(
            "--candidates",
            min=1,
            metavar="N",
            help="Chains tried per input problem: its q1s are a fresh random subset of N problems (the paper's 20).",
            rich_help_panel=PAIRS,
        ),
    ] = D.candidates,
    pairs: Annotated[
        Optional[int],
        typer.Option(
            "--pairs",
            min=1,
            metavar="N",
            help="Write N composed prompts spread over the input: in passes, each input problem at most once per pass "
            "(N from N or more composable problems use N different ones). The first pass streams; later passes keep "
            "the input in memory [default: every composition of each problem, one problem after the other].",
            rich_help_panel=PAIRS,
        ),
    ] = D.pairs,
    seed: Seed = D.seed,
    llm: helped(
        Llm,
        "A local model folder that phrases each definition more naturally; its wording is kept only when the value it "
        "defines re-derives exactly, else the rule's definition stays (counted).",
    ) = D.llm,
    input: Input = "-",
    output: Output = "-",
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Compose solved prompts into harder ones whose answers stay exactly verifiable.

    Each input record (id, prompt, answer) is a last problem q2. q1 comes from
    --first (default: the input itself) and names a number of its answer X; one
    number of q2 becomes Y, linked to X by the exact difference (never from an
    irrational X: the difference would show Y). The prompt reads q1,
    "Let X be the answer to the problem above. Y is 6 more than X.", then q2 with
    that one number replaced; its answer is q2's. A rounded reference is defined
    with its rounding (a decimal to its places; a record with "approximate": true
    to its significant figures). Y never replaces a number q2's own text gives away
    (0, 1, a member of a listed sequence, an angle of an identity, a count the
    wording fixes, a repeated number), nor 2, a policy's first guess; the largest
    other integer is taken first.
    Every record passes an exact self-check before it is written; its level and
    subject say "composed" (q2's are kept in meta.last). stderr counts what could
    not be composed, the distinct q2s used and the share of replaced values that
    are 0, 1 or 2.

    Examples:

    \b
      rlvr compose -i math_train.jsonl > composed.jsonl
      rlvr compose --depth 3 --candidates 4 --pairs 1000 --seed 1 < math.jsonl
      rlvr compose --first physics.jsonl < math.jsonl > cross-domain.jsonl
      rlvr score --per-prompt --only solve-all < verified.jsonl | rlvr compose --first pool.jsonl
    """
    from rlvrkit.compose.run import run_compose  # exact arithmetic (sympy) only when composing

    run_compose(source(ctx), output, options(ComposeOptions, ctx), log)
