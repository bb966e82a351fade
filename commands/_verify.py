"""The verifier's options, declared once: rlvr verify takes them, and rlvr eval, which verifies what it samples."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

import typer

REWARD, MATH, WORKERS = "Reward", "Math answers", "Workers"

Task = Annotated[
    Optional[Literal["math", "mcq", "srl"]],
    typer.Option(
        "--task",
        help="Use this verifier for the task term on every record, whatever its task field.",
        rich_help_panel=REWARD,
    ),
]
Jobs = Annotated[
    Optional[int],
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        metavar="N",
        help="Worker processes [default: one per CPU core].",
        rich_help_panel=WORKERS,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=0.01,
        metavar="SECONDS",
        help="Most time one record may take; past it the worker is killed and replaced and the record gets "
        "status timeout, reward 0.",
        rich_help_panel=WORKERS,
    ),
]
MaxChars = Annotated[
    int,
    typer.Option(
        "--max-chars",
        min=100,
        metavar="N",
        help="Longest text a verifier reads: the last N characters of a completion (where its answer is), the "
        "first N of an SRL action; a longer reference is bad_reference.",
        rich_help_panel=WORKERS,
    ),
]
Precision = Annotated[
    int,
    typer.Option(
        "--precision",
        min=0,
        metavar="N",
        help="Decimal places floats are rounded to before comparing; a reference in scientific notation "
        "(2.5e-05, 4.7 \\times 10^{-34}) to that many places of its mantissa.",
        rich_help_panel=MATH,
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict/--loose",
        help="math-verify's strict mode, or its loose one (variables matched by position; a set equals a tuple).",
        rich_help_panel=MATH,
    ),
]
BoxedOnly = Annotated[
    bool,
    typer.Option(
        "--boxed-only",
        help="Only a \\boxed{} answer counts; without one, no_answer.",
        rich_help_panel=MATH,
    ),
]
