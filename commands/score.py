"""rlvr score: advantages and dynamic-sampling filters for groups of verified rollouts."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer
from rlvrkit.commands._common import Input, OnError, Output, Rejects, guard, parse_drop

from rlvrkit.log import Log

log = Log("score")


@guard(log)
def score(
    input: Input = "-",
    output: Output = "-",
    adv: Annotated[
        Literal["group", "batch", "none", "rloo"],
        typer.Option(
            "--adv",
            help="group: (R-mean)/(std+eps) within the group (GRPO); batch: divide by the std of the whole batch; "
            "none: R-mean (Dr. GRPO); rloo: R minus the mean of the other rewards of the group.",
        ),
    ] = "group",
    std: Annotated[
        Literal["population", "sample"],
        typer.Option(
            "--std", help="Standard deviation estimator: population (/G) or sample (/(G-1), as TRL and verl)."
        ),
    ] = "population",
    eps: Annotated[float, typer.Option("--eps", help="Added to the std before dividing.")] = 1e-6,
    drop: Annotated[
        Optional[str],
        typer.Option(
            "--drop",
            metavar="REASONS",
            help="Drop groups that carry no signal: solve-all, solve-none, or both comma-separated (DAPO's "
            "dynamic sampling). A rollout counts as solved when its reward >= --solved-at.",
        ),
    ] = None,
    min_std: Annotated[
        Optional[float],
        typer.Option("--min-std", metavar="EPS", help="Drop groups whose reward std is <= EPS (SRL's filter)."),
    ] = None,
    solved_at: Annotated[
        float, typer.Option("--solved-at", help="Reward at or above which a rollout is solved.")
    ] = 1.0,
    per_prompt: Annotated[
        bool,
        typer.Option(
            "--per-prompt",
            help="Write one summary line per prompt instead (prompt fields, n, mean, std, pass_rate, solve_all, "
            "solve_none, len_mean).",
        ),
    ] = False,
    batch_groups: Annotated[
        Optional[int],
        typer.Option("--batch-groups", min=1, help="With --adv batch: groups per batch (default: the whole input)."),
    ] = None,
    unsorted: Annotated[
        bool,
        typer.Option("--unsorted", help="Group records by id wherever they are (reads all input first)."),
    ] = False,
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
      rlvr score --per-prompt < verified.jsonl | jq -c 'select(.pass_rate < 1)'
    """
    from rlvrkit.score import ScoreOptions, run_score

    opts = ScoreOptions(
        adv=adv,
        std=std,
        eps=eps,
        drop=parse_drop(drop),
        min_std=min_std,
        solved_at=solved_at,
        per_prompt=per_prompt,
        batch_groups=batch_groups,
    )
    run_score(input, output, opts, unsorted=unsorted, on_error=on_error, rejects=rejects, log=log)
