"""rlvr rollout: sample n completions per prompt record, with the token ids and behaviour logprobs train needs."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer
from rlvrkit.commands._common import (
    MODEL,
    Device,
    Input,
    Model,
    OnError,
    Output,
    Rejects,
    Seed,
    System,
    TrustRemoteCode,
    guard,
    in_panel,
    options,
    source,
)

from rlvrkit.log import Log
from rlvrkit.rollout.options import BATCH_SIZE, RolloutOptions

log = Log("rollout")
D = RolloutOptions(model="")
SAMPLING, PROMPTS, ENGINE, WATCH = "Sampling", "Prompts", "Engine", "Streaming and passes"
BATCH_DEFAULT = ", ".join(f"{size} with {name}" for name, size in BATCH_SIZE.items())


@guard(log)
def rollout(  # long only by its option declarations, one per option with its help; the body is one call
    ctx: typer.Context,
    model: Model,
    adapter: Annotated[
        Optional[str],
        typer.Option(
            "--adapter", metavar="DIR", help="A peft LoRA adapter folder to apply on --model.", rich_help_panel=MODEL
        ),
    ] = D.adapter,
    trust_remote_code: in_panel(TrustRemoteCode, MODEL) = D.trust_remote_code,
    n: Annotated[
        int, typer.Option("-n", min=1, help="Completions per prompt (one group).", rich_help_panel=SAMPLING)
    ] = D.n,
    temperature: Annotated[
        float,
        typer.Option(
            "--temperature", "-t", min=0.0, help="Sampling temperature; 0 is greedy.", rich_help_panel=SAMPLING
        ),
    ] = D.temperature,
    top_p: Annotated[
        float,
        typer.Option(
            "--top-p",
            min=0.0,
            max=1.0,
            help="Nucleus sampling: keep the smallest set of tokens holding this much probability (1 turns it off).",
            rich_help_panel=SAMPLING,
        ),
    ] = D.top_p,
    top_k: Annotated[
        int,
        typer.Option("--top-k", min=0, help="Keep only the k most likely tokens (0: off).", rich_help_panel=SAMPLING),
    ] = D.top_k,
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", min=1, help="Most tokens per completion.", rich_help_panel=SAMPLING)
    ] = D.max_tokens,
    stop: Annotated[
        Optional[list[str]],
        typer.Option(
            "--stop",
            metavar="TEXT",
            help="Stop when the completion contains TEXT (repeatable); the text is cut before it, its tokens stay in "
            "completion_ids.",
            rich_help_panel=SAMPLING,
        ),
    ] = None,
    seed: in_panel(Seed, SAMPLING) = D.seed,
    system: in_panel(System, PROMPTS) = D.system,
    chat: Annotated[
        Optional[bool],
        typer.Option(
            "--chat/--no-chat",
            help="Apply the tokenizer's chat template to prompt/messages [default: on when the tokenizer has one].",
            rich_help_panel=PROMPTS,
        ),
    ] = D.chat,
    engine: Annotated[
        Literal["auto", "transformers", "vllm"],
        typer.Option(
            "--engine",
            help="auto: vLLM when it is installed and a GPU is present, else transformers.",
            rich_help_panel=ENGINE,
        ),
    ] = D.engine,
    batch_size: Annotated[
        Optional[int],
        typer.Option(
            "--batch-size",
            "-b",
            min=1,
            help=f"Completions generated together, and how often --watch looks for new weights [default: "
            f"{BATCH_DEFAULT}].",
            rich_help_panel=ENGINE,
        ),
    ] = D.batch_size,
    dtype: Annotated[
        Literal["auto", "float32", "bfloat16", "float16"],
        typer.Option(
            "--dtype", help="Weights' dtype; auto is bfloat16 on a GPU, float32 on the CPU.", rich_help_panel=ENGINE
        ),
    ] = D.dtype,
    device: in_panel(Device, ENGINE) = D.device,
    watch: Annotated[
        Optional[str],
        typer.Option(
            "--watch",
            metavar="DIR",
            help="Streaming loop: cycle over the prompts and, before each batch, load the newest checkpoint version "
            "train published in DIR.",
            rich_help_panel=WATCH,
        ),
    ] = D.watch,
    epochs: Annotated[
        Optional[int],
        typer.Option(
            "--epochs",
            min=0,
            help="Passes over the prompts; 0 is forever [default: 1, forever with --watch].",
            rich_help_panel=WATCH,
        ),
    ] = D.epochs,
    shuffle: Annotated[
        bool, typer.Option("--shuffle", help="Shuffle the prompts on each pass (from --seed).", rich_help_panel=WATCH)
    ] = D.shuffle,
    input: Input = "-",
    output: Output = "-",
    on_error: OnError = "fail",
    rejects: Rejects = None,
):
    """Sample n completions per prompt, with their token logprobs.

    Each prompt record (id, and prompt or messages) becomes n lines, written
    together as soon as the group is done: the prompt's fields plus completion,
    sample, prompt_ids, completion_ids (EOS included), logprobs (behaviour
    policy: log-softmax of logits/temperature over the full vocabulary, at each
    sampled token), finish_reason (stop or length), policy and sampling. The
    same --seed gives the same completions, whatever the batch.

    With --watch DIR it runs until its stdout closes, picking up each new
    checkpoint train publishes in DIR (LoRA adapter or full weights) and
    stamping policy.version on every record.

    Examples:

    \b
      rlvr rollout -m ./tiny -n 4 --max-tokens 64 < prompts.jsonl > out.jsonl
      rlvr rollout -m ./policy -t 0.7 --stop '</answer>' -i math.jsonl
      rlvr rollout -m ./policy --watch run/ --shuffle < train.jsonl | ...
    """
    from rlvrkit.rollout.run import run_rollout

    run_rollout(source(ctx), output, options(RolloutOptions, ctx), log)
