"""The `rlvr` command: a set of small tools that read and write JSON Lines records.

Each subcommand lives in its own module here; this file only assembles them. Modules that need torch import it
inside the command body, so `rlvr --help` and the data commands start fast.
"""

from __future__ import annotations

import signal
from typing import Annotated, Optional

import typer
from rlvrkit.commands import (
    compose,
    demo,
    eval,
    init_model,
    mask,
    plot,
    rollout,
    score,
    select_one,
    steps,
    train,
    verify,
)
from rlvrkit.commands._common import Rlvr, Sectioned, on_sigterm

from rlvrkit import __version__

HELP = """Reinforcement learning with verifiable rewards, as Unix pipelines.

Every command reads JSON Lines records on stdin and writes them on stdout, passing
through the fields it does not know. Messages and progress go to stderr.

Example:

\b
  rlvr rollout --model ./policy -n 8 < prompts.jsonl | rlvr verify | rlvr score
"""

app = typer.Typer(
    name="rlvr",
    cls=Rlvr,
    help=HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rlvr {__version__}")
        raise typer.Exit()


@app.callback()
def rlvr(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
):
    pass


# The prompt makers first (new training data from the data you have), then the loop in its order: sample, check,
# score, learn; then what measures it, and the helpers.
for name, module in [
    ("compose", compose),
    ("steps", steps),
    ("mask", mask),
    ("select-one", select_one),
    ("rollout", rollout),
    ("verify", verify),
    ("score", score),
    ("train", train),
    ("eval", eval),
    ("plot", plot),
    ("demo", demo),
    ("init-model", init_model),
]:
    app.command(name, cls=Sectioned)(getattr(module, name.replace("-", "_")))


def main() -> None:
    signal.signal(signal.SIGTERM, on_sigterm)
    app(prog_name="rlvr")


if __name__ == "__main__":
    main()
