"""rlvr score: advantages and dynamic-sampling filters for groups of verified rollouts."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer
from rlvrkit.commands._common import (
    GROUPS,
    RULE,
    Adv,
    AdvEps,
    Drop,
    Input,
    MinStd,
    OnError,
    Output,
    Rejects,
    SolvedAt,
    Std,
    guard,
    options,
    source,
)

from rlvrkit.log import Log
from rlvrkit.score import ScoreOptions, run_score

log = Log("score")
DEFAULTS = ScoreOptions()


@guard(log)
def score(
    ctx: typer.Context,
    *,
    batch_groups: Annotated[
        Optional[int],
        typer.Option(
            "--batch-groups", min=1, help="With --adv batch: kept groups per batch [default: the whole input]."
        ),
    ] = DEFAULTS.batch_groups,
    per_prompt: Annotated[
        bool,
        typer.Option(
            "--per-prompt",
            help="Write one summary line per prompt instead (prompt fields, n, mean, std, pass_rate, solve_all, "
            "solve_none, len_mean).",
        ),
    ] = DEFAULTS.per_prompt,
    only: Annotated[
        Optional[Literal["solve-all", "solve-none", "mixed"]],
        typer.Option(
            "--only",
            help="Keep only the groups of this kind: solve-all (every rollout solved: the prompts compose makes harder "
            "ones from), solve-none, or mixed; the others are dropped and counted. With --per-prompt, a selection of "
            "prompts.",
            rich_help_panel=GROUPS,
        ),
    ] = RULE.only,
    unsorted: Annotated[
        bool,
        typer.Option("--unsorted", help="Group records by id wherever they are (reads all input first)."),
    ] = DEFAULTS.unsorted,
    adv: Adv = RULE.adv,
    std: Std = RULE.std,
    adv_eps: AdvEps = RULE.adv_eps,
    drop: Drop = None,
    min_std: MinStd = RULE.min_std,
    solved_at: SolvedAt = RULE.solved_at,
    input: Input = "-",
    output: Output = "-",
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Add an advantage to every verified rollout, group by group.

    Rollouts of one prompt share an id and arrive together (rollout writes them so);
    each needs a numeric reward. Groups are scored as they stream past, so memory
    stays small unless --unsorted or --adv batch asks for the whole input.

    Examples:

    \b
      rlvr score < verified.jsonl > scored.jsonl
      rlvr score --adv none --drop solve-all,solve-none -i verified.jsonl
      rlvr score --per-prompt --drop solve-all < verified.jsonl > not-yet-solved.jsonl
      rlvr score --per-prompt --only solve-all < verified.jsonl | rlvr compose --first pool.jsonl
    """
    run_score(source(ctx), output, options(ScoreOptions, ctx, drop=drop or ()), log)
