"""What every data command shares: the stream options, and one place that turns errors into exit codes."""

from __future__ import annotations

import functools
import os
import sys
from typing import Annotated, Literal, Optional

import typer

from rlvrkit.errors import BadInput, Failure
from rlvrkit.log import Log

Input = Annotated[
    str, typer.Option("--input", "-i", metavar="FILE", help="Read records from FILE instead of stdin ('-' is stdin).")
]
Output = Annotated[
    str,
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write records to FILE, which appears only when done ('-' is stdout)."
    ),
]
OnError = Annotated[
    Literal["fail", "skip"],
    typer.Option(
        "--on-error",
        help="A bad line: 'fail' stops with its line number (exit 2), 'skip' passes over it and counts it on stderr.",
    ),
]
Rejects = Annotated[
    Optional[str],
    typer.Option("--rejects", metavar="FILE", help="With --on-error skip, keep the skipped lines in FILE."),
]
Seed = Annotated[int, typer.Option("--seed", help="Seed for every random choice, so a run can be repeated exactly.")]


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same clean-up runs (output files discarded, workers stopped)."""


def on_sigterm(signum, frame):
    raise Terminated()


def guard(log: Log):
    """Run a command body and map what it raises to the exit codes of the record contract.

    0 success (a closed stdout, as in ``rlvr score | head``, is success too); 1 run-time failure; 2 bad usage or
    bad input; 130 Ctrl-C; 143 SIGTERM. Messages go to stderr, prefixed with the command's name.
    """

    def wrap(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except BadInput as err:
                log.error(str(err))
                raise typer.Exit(2) from None
            except Failure as err:
                log.error(str(err))
                raise typer.Exit(1) from None
            except BrokenPipeError:
                _silence_stdout()
                raise typer.Exit(0) from None
            except KeyboardInterrupt as err:
                terminated = isinstance(err, Terminated)
                log.error("terminated" if terminated else "interrupted")
                raise typer.Exit(143 if terminated else 130) from None

        return run

    return wrap


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot complain about the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def parse_drop(value: str | None) -> tuple[str, ...]:
    """--drop solve-all,solve-none → ("solve-all", "solve-none"), refusing unknown reasons as a usage error."""
    from rlvrkit.groups import DROP_REASONS

    reasons = tuple(r.strip() for r in (value or "").split(",") if r.strip())
    for r in reasons:
        if r not in DROP_REASONS:
            raise typer.BadParameter(
                f"unknown reason {r!r}; choose from {', '.join(DROP_REASONS)}", param_hint="--drop"
            )
    return reasons
