"""Sampling, prompt and engine options, declared once: rlvr rollout takes them, and rlvr eval, which samples too."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer
from rlvrkit.commands._common import MODEL

from rlvrkit.rollout.options import BATCH_SIZE

SAMPLING, PROMPTS, ENGINE, SERVERS = "Sampling", "Prompts", "Engine", "Servers"
BATCH_DEFAULT = ", ".join(f"{size} with {name}" for name, size in BATCH_SIZE.items())

Adapter = Annotated[
    Optional[str],
    typer.Option(
        "--adapter", metavar="DIR", help="A peft LoRA adapter folder to apply on --model.", rich_help_panel=MODEL
    ),
]
Samples = Annotated[
    int, typer.Option("-n", min=1, help="Completions per prompt (one group).", rich_help_panel=SAMPLING)
]
Temperature = Annotated[
    float,
    typer.Option("--temperature", "-t", min=0.0, help="Sampling temperature; 0 is greedy.", rich_help_panel=SAMPLING),
]
TopP = Annotated[
    float,
    typer.Option(
        "--top-p",
        min=0.0,
        max=1.0,
        help="Nucleus sampling: keep the smallest set of tokens holding this much probability (1 turns it off).",
        rich_help_panel=SAMPLING,
    ),
]
TopK = Annotated[
    int,
    typer.Option("--top-k", min=0, help="Keep only the k most likely tokens (0: off).", rich_help_panel=SAMPLING),
]
MaxTokens = Annotated[
    int, typer.Option("--max-tokens", min=1, help="Most tokens per completion.", rich_help_panel=SAMPLING)
]
Stop = Annotated[
    Optional[list[str]],
    typer.Option(
        "--stop",
        metavar="TEXT",
        help="Stop when the completion contains TEXT (repeatable); the text is cut before it, its tokens stay in "
        "completion_ids.",
        rich_help_panel=SAMPLING,
    ),
]
Chat = Annotated[
    Optional[bool],
    typer.Option(
        "--chat/--no-chat",
        help="Apply the tokenizer's chat template to prompt/messages [default: on when the tokenizer has one].",
        rich_help_panel=PROMPTS,
    ),
]
EngineName = Annotated[
    Literal["auto", "transformers", "vllm"],
    typer.Option(
        "--engine",
        help="auto: vLLM when it is installed and a GPU is present, else transformers.",
        rich_help_panel=ENGINE,
    ),
]
BatchSize = Annotated[
    Optional[int],
    typer.Option(
        "--batch-size",
        "-b",
        min=1,
        help=f"Completions generated together, and how often --watch looks for new weights [default: {BATCH_DEFAULT}].",
        rich_help_panel=ENGINE,
    ),
]
Dtype = Annotated[
    Literal["auto", "float32", "bfloat16", "float16"],
    typer.Option(
        "--dtype", help="Weights' dtype; auto is bfloat16 on a GPU, float32 on the CPU.", rich_help_panel=ENGINE
    ),
]
Server = Annotated[
    Optional[list[str]],
    typer.Option(
        "--server",
        metavar="URL",
        help="Sample through a running `vllm serve` (its OpenAI-compatible completions API) instead of loading the "
        "model here; repeatable, or comma-separated. --model is then only read for its tokenizer.",
        rich_help_panel=SERVERS,
    ),
]
InFlight = Annotated[
    int,
    typer.Option(
        "--in-flight",
        min=1,
        help="Requests in flight at once on each --server (one request holds a group's samples).",
        rich_help_panel=SERVERS,
    ),
]
