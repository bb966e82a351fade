"""rlvr rollout: sample n completions per prompt record, with the token ids and behaviour logprobs train needs."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer
from rlvrkit.commands._common import Input, OnError, Output, Rejects, Seed, guard

from rlvrkit.log import Log

log = Log("rollout")


@guard(log)
def rollout(
    model: Annotated[
        str, typer.Option("--model", "-m", metavar="DIR", help="Local model folder (save_pretrained; no downloads).")
    ],
    adapter: Annotated[
        Optional[str], typer.Option("--adapter", metavar="DIR", help="A peft LoRA adapter folder to apply on --model.")
    ] = None,
    n: Annotated[int, typer.Option("-n", min=1, help="Completions per prompt (one group).")] = 8,
    temperature: Annotated[
        float, typer.Option("--temperature", "-t", min=0.0, help="Sampling temperature; 0 is greedy.")
    ] = 1.0,
    top_p: Annotated[
        float,
        typer.Option(
            "--top-p",
            min=0.0,
            max=1.0,
            help="Nucleus sampling: keep the smallest set of tokens holding this much probability (1 turns it off).",
        ),
    ] = 1.0,
    top_k: Annotated[int, typer.Option("--top-k", min=0, help="Keep only the k most likely tokens (0: off).")] = 0,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="Most tokens per completion.")] = 1024,
    stop: Annotated[
        Optional[list[str]],
        typer.Option(
            "--stop",
            metavar="TEXT",
            help="Stop when the completion contains TEXT (repeatable); the text "
            "is cut before it, its tokens stay in completion_ids.",
        ),
    ] = None,
    seed: Seed = 0,
    batch_size: Annotated[
        Optional[int],
        typer.Option(
            "--batch-size",
            "-b",
            min=1,
            help="Completions generated together, and how often --watch looks "
            "for new weights [default: 64 with transformers, 1024 with vLLM].",
        ),
    ] = None,
    system: Annotated[
        Optional[str], typer.Option("--system", metavar="TEXT", help="System message for records without 'system'.")
    ] = None,
    chat: Annotated[
        Optional[bool],
        typer.Option(
            "--chat/--no-chat",
            help="Apply the tokenizer's chat template to prompt/messages [default: on when the tokenizer has one].",
        ),
    ] = None,
    dtype: Annotated[
        Literal["auto", "float32", "bfloat16", "float16"],
        typer.Option("--dtype", help="Weights' dtype; auto is bfloat16 on a GPU, float32 on the CPU."),
    ] = "auto",
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda or cuda:N (transformers engine).")] = "auto",
    engine: Annotated[
        Literal["auto", "transformers", "vllm"],
        typer.Option("--engine", help="auto: vLLM when it is installed and a GPU is present, else transformers."),
    ] = "auto",
    watch: Annotated[
        Optional[str],
        typer.Option(
            "--watch",
            metavar="DIR",
            help="Streaming loop: cycle over the prompts and, before each batch, "
            "load the newest checkpoint version train published in DIR.",
        ),
    ] = None,
    epochs: Annotated[
        Optional[int],
        typer.Option(
            "--epochs", min=0, help="Passes over the prompts; 0 is forever [default: 1, forever with --watch]."
        ),
    ] = None,
    shuffle: Annotated[bool, typer.Option("--shuffle", help="Shuffle the prompts on each pass (from --seed).")] = False,
    trust_remote_code: Annotated[
        bool, typer.Option("--trust-remote-code", help="Run Python code shipped with the model folder.")
    ] = False,
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
    from rlvrkit.rollout.run import start
    from rlvrkit.rollout.sampling import Sampling

    try:
        params = Sampling(
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            max_tokens=max_tokens,
            n=n,
            seed=seed,
            stop=tuple(stop or ()),
        )
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    start(
        model,
        params,
        engine=engine,
        adapter=adapter,
        batch_size=batch_size,
        chat=chat,
        system=system,
        dtype=dtype,
        device=device,
        trust_remote_code=trust_remote_code,
        watch=watch,
        epochs=epochs,
        shuffle=shuffle,
        input=input,
        output=output,
        on_error=on_error,
        rejects=rejects,
        log=log,
    )
