"""rlvr mask: Golden Goose's multiple-choice fill-in-the-middle items, from reference solutions or passages."""

from __future__ import annotations

from typing import Annotated, Literal

import typer
from rlvrkit.commands._common import (
    Input,
    Llm,
    LlmMaxTokens,
    OnError,
    Output,
    Rejects,
    Seed,
    guard,
    in_panel,
    options,
    source,
)

from rlvrkit.log import Log
from rlvrkit.mask.options import MaskOptions
from rlvrkit.mask.run import run_mask

log = Log("mask")
D = MaskOptions()
ITEMS, MODEL = "Items", "Model"


@guard(log)
def mask(
    ctx: typer.Context,
    *,
    mode: Annotated[
        Literal["math", "passage"],
        typer.Option(
            "--mode",
            help="math: records with the problem in 'prompt' and a reference 'solution'; passage: records with a "
            "'text' (e.g. textbook prose).",
            rich_help_panel=ITEMS,
        ),
    ] = D.mode,
    span_steps: Annotated[
        str,
        typer.Option(
            "--span-steps",
            metavar="MIN-MAX",
            help="How many contiguous steps (sentences, or lines that start a new step) the hidden span covers.",
            rich_help_panel=ITEMS,
        ),
    ] = D.span_steps,
    n_options: Annotated[
        int,
        typer.Option(
            "--options",
            metavar="N",
            min=2,
            max=26,
            help="Options per item: the hidden span and options-1 distractors (9 as in the paper).",
            rich_help_panel=ITEMS,
        ),
    ] = D.n_options,
    seed: in_panel(Seed, ITEMS) = D.seed,
    llm: Llm = D.llm,
    llm_max_tokens: LlmMaxTokens = D.llm_max_tokens,
    extract: Annotated[
        bool,
        typer.Option(
            "--extract",
            help="With --llm and --mode passage: first have the model extract a coherent 100-600-word educational "
            "passage from each text (noisy web text), or skip it when there is none.",
            rich_help_panel=MODEL,
        ),
    ] = D.extract,
    input: Input = "-",
    output: Output = "-",
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Turn solutions or passages into multiple-choice fill-in-the-middle items (Golden Goose).

    Each source's text is cut into steps; a span of --span-steps steps that
    carries reasoning (equations, derived values, connectives), is neither the
    whole text nor the final answer alone, and cannot be read off the text around
    it, is replaced by [MASK]. The item (task mcq) asks for it among --options
    options drawn from a family of versions of the span in which the truth is one
    member like any other: numbers the span states moved within their block (a
    derived value carried forward), operators, relations and words exchanged
    (never into an equivalent statement), operands and nouns put in another
    order. No rule that reads only the options finds the truth more often than
    chance (bench/shortcuts.py audits it). The options are shuffled from --seed
    so the correct letter is uniform; the id names the item (source, span,
    options, seed). The prompt is the paper's student prompt, options last;
    answer is the letter; meta holds source, span, options and how each option
    was made. Sources that cannot give enough options are skipped and counted by
    reason on stderr, never padded. The whole input is read first: a bad line
    refuses it all before anything is written (unless --on-error skip).

    With --llm the model proposes the span and ten or more distractors (JSON in
    <answer> tags, the paper's pipeline); a proposal that breaks any rule falls back
    to the rule-based item (counted).

    Difficulty filter, as a pipe: roll the items out, verify the letters, and keep
    the items not solved every time (score --per-prompt lines are prompt records
    again, ready for rollout or train).

    Examples:

    \b
      rlvr mask -i math_train.jsonl > goose.jsonl
      rlvr mask --mode passage --span-steps 1-2 -i passages.jsonl > goose-prose.jsonl
      rlvr mask -i train.jsonl | rlvr rollout -m ./policy -n 16 | rlvr verify \\
        | rlvr score --per-prompt --drop solve-all > goose-hard.jsonl
      rlvr mask --llm ./teacher --mode passage --extract -i web.jsonl > goose-web.jsonl
    """
    run_mask(source(ctx), output, options(MaskOptions, ctx), log)
