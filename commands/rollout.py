"""rlvr rollout: sample n completions per prompt record, with the token ids and behaviour logprobs train needs."""

from __future__ import annotations

from typing import Annotated, Optional

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
from rlvrkit.commands._rollout import (
    ENGINE,
    PROMPTS,
    SAMPLING,
    Adapter,
    BatchSize,
    Chat,
    Dtype,
    EngineName,
    InFlight,
    MaxTokens,
    Samples,
    Server,
    Stop,
    Temperature,
    TopK,
    TopP,
)

from rlvrkit.log import Log
from rlvrkit.rollout.options import RolloutOptions

log = Log("rollout")
D = RolloutOptions(model="")
WATCH = "Streaming and passes"


@guard(log)
def rollout(
    ctx: typer.Context,
    *,
    model: Model,
    adapter: Adapter = D.adapter,
    trust_remote_code: in_panel(TrustRemoteCode, MODEL) = D.trust_remote_code,
    n: Samples = D.n,
    temperature: Temperature = D.temperature,
    top_p: TopP = D.top_p,
    top_k: TopK = D.top_k,
    max_tokens: MaxTokens = D.max_tokens,
    stop: Stop = None,
    seed: in_panel(Seed, SAMPLING) = D.seed,
    system: in_panel(System, PROMPTS) = D.system,
    chat: Chat = D.chat,
    engine: EngineName = D.engine,
    batch_size: BatchSize = D.batch_size,
    dtype: Dtype = D.dtype,
    device: in_panel(Device, ENGINE) = D.device,
    server: Server = None,
    in_flight: InFlight = D.in_flight,
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

    With --server URL (several: repeat it, or separate with commas) it samples
    through running `vllm serve` processes instead, started with --logprobs-mode
    processed_logprobs: prompts are rendered here and sent as token ids, a
    group's samples are one request, at most --in-flight requests wait on each
    server, and a server that goes down hands its requests to the others. With
    --watch, LoRA versions are loaded on every server at run time (the run
    directory must be on a filesystem they share).

    Examples:

    \b
      rlvr rollout -m ./tiny -n 4 --max-tokens 64 < prompts.jsonl > out.jsonl
      rlvr rollout -m ./policy -t 0.7 --stop '</answer>' -i math.jsonl
      rlvr rollout -m ./policy --watch run/ --shuffle < train.jsonl | ...
      rlvr rollout -m ./policy --server http://gpu1:8000,http://gpu2:8000 < train.jsonl
    """
    from rlvrkit.rollout.run import run_rollout

    run_rollout(source(ctx), output, options(RolloutOptions, ctx), log)
