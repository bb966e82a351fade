"""What the commands share: the options several of them take (declared once, with one help text), the step from
parsed options to a command's frozen options object, help grouped into sections, and the one place where errors
become exit codes.

The shape of a command module (commands/score.py is the model):

    @guard(log)
    def score(ctx: typer.Context, ..., adv: Adv = RULE.adv, ..., input: Input = "-", ...):
        \"\"\"Help text, with examples.\"\"\"
        run_score(source(ctx), output, options(ScoreOptions, ctx), log)

Every option is a parameter named like a field of the command's options dataclass (which lives in rlvrkit and owns
the defaults, taken from it here); `options` builds the object from the parsed command line, and the dataclass's
own checks (ValueError) become usage errors.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from typing import Annotated, Literal, Optional, get_args

import typer
from typer.core import TyperCommand

from rlvrkit import recipes
from rlvrkit.errors import BadInput, Failure
from rlvrkit.groups import DROP_REASONS, GroupRule
from rlvrkit.jsonl import Source, silence_stdout
from rlvrkit.log import Log
from rlvrkit.manpage import option_sections

IO = "Input and output"
GROUPS = "Groups and advantages"
MODEL = "Model"
LOSS, OPTIM = "Loss", "Optimiser"

# -- the stream options, on every record command --------------------------------------------------------------------

Input = Annotated[
    str,
    typer.Option(
        "--input",
        "-i",
        metavar="FILE",
        help="Read records from FILE instead of stdin ('-' is stdin).",
        rich_help_panel=IO,
    ),
]
Output = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write records to FILE instead of stdout ('-'); a regular file appears only when complete.",
        rich_help_panel=IO,
    ),
]
OnError = Annotated[
    Literal["fail", "skip"],
    typer.Option(
        "--on-error",
        help="A bad line: 'fail' stops with its line number (exit 2), 'skip' passes over it and counts it on stderr.",
        rich_help_panel=IO,
    ),
]
Rejects = Annotated[
    Optional[str],
    typer.Option(
        "--rejects", metavar="FILE", help="With --on-error skip, keep the skipped lines in FILE.", rich_help_panel=IO
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Seed for every random choice, so a run can be repeated exactly.")]
System = Annotated[
    Optional[str], typer.Option("--system", metavar="TEXT", help="System message for records without 'system'.")
]

# -- the group rule: which groups carry signal, and their advantages (score and train) ------------------------------


def _drop(value: str | None) -> tuple[str, ...] | None:
    """--drop solve-all,solve-none → ("solve-all", "solve-none"), refusing unknown reasons as a usage error."""
    if value is None:
        return None
    reasons = tuple(r.strip() for r in value.split(",") if r.strip())
    for r in reasons:
        if r not in DROP_REASONS:
            raise typer.BadParameter(f"unknown reason {r!r}; choose from {', '.join(DROP_REASONS)}")
    return reasons


Adv = Annotated[
    Literal["group", "batch", "none", "rloo"],
    typer.Option(
        "--adv",
        help="Advantage of each rollout, when the records have none: group: (R-mean)/(std+eps) within the group "
        "(GRPO); batch: divide by the std of the whole batch instead; none: R-mean (Dr. GRPO); rloo: R minus the mean "
        "of the other rewards of the group.",
        rich_help_panel=GROUPS,
    ),
]
Std = Annotated[
    Literal["population", "sample"],
    typer.Option(
        "--std",
        help="Standard deviation estimator: population (/G) or sample (/(G-1), as TRL and verl).",
        rich_help_panel=GROUPS,
    ),
]
AdvEps = Annotated[
    float, typer.Option("--adv-eps", metavar="EPS", help="Added to the std before dividing.", rich_help_panel=GROUPS)
]
Drop = Annotated[
    Optional[str],
    typer.Option(
        "--drop",
        metavar="REASONS",
        callback=_drop,
        help="Drop groups that carry no signal: solve-all, solve-none, or both comma-separated (DAPO's dynamic "
        "sampling). A rollout counts as solved when its reward >= --solved-at.",
        rich_help_panel=GROUPS,
    ),
]
MinStd = Annotated[
    Optional[float],
    typer.Option(
        "--min-std",
        metavar="EPS",
        help="Drop groups whose reward std is <= EPS (SRL's filter).",
        rich_help_panel=GROUPS,
    ),
]
SolvedAt = Annotated[
    float,
    typer.Option("--solved-at", help="Reward at or above which a rollout is solved.", rich_help_panel=GROUPS),
]
RULE = GroupRule()

# -- model options (rollout, train; --llm: the data commands' model-driven modes) --------------------------------------

Model = Annotated[
    str,
    typer.Option(
        "--model", "-m", metavar="DIR", help="Local model folder (save_pretrained, safetensors).", rich_help_panel=MODEL
    ),
]
Device = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or cuda:N; auto takes a GPU when there is one.")]
Llm = Annotated[
    Optional[str],
    typer.Option(
        "--llm",
        metavar="DIR",
        help="Local model folder for the command's model-driven mode, run greedily through the rollout engine "
        "(torch loads only with this option).",
        rich_help_panel=MODEL,
    ),
]
LlmMaxTokens = Annotated[
    int,
    typer.Option(
        "--llm-max-tokens", min=1, metavar="N", help="Most tokens of one --llm answer.", rich_help_panel=MODEL
    ),
]
TrustRemoteCode = Annotated[
    bool, typer.Option("--trust-remote-code", help="Run Python code shipped with the model folder (off: safer).")
]


# -- training options (train, demo) ----------------------------------------------------------------------------------

Loss = Annotated[
    Literal[recipes.CHOICES],
    typer.Option(
        "--loss",
        help="Policy loss; srl is the SRL recipe (GRPO's objective, the std filter, its learning rate).",
        rich_help_panel=LOSS,
    ),
]
Lr = Annotated[Optional[float], typer.Option("--lr", help="Learning rate.", rich_help_panel=OPTIM)]


def _changed(option, optional: bool = False, **info_changes):
    kind, info = get_args(option)
    info = copy.copy(info)
    for name, value in info_changes.items():
        setattr(info, name, value)
    return Annotated[Optional[kind] if optional else kind, info]


def shown(option, label: str):
    """The same option, optional, with `label` shown as its default: for defaults that depend on other options
    (train's per-loss settings)."""
    return _changed(option, optional=True, show_default=label)


def in_panel(option, panel: str):
    """The same option, shown in the help section `panel`."""
    return _changed(option, rich_help_panel=panel)


def helped(option, help: str):
    """The same option with the help text of a command where it means something more particular."""
    return _changed(option, help=help)


# -- from the parsed command line to the options object -------------------------------------------------------------


def options(cls, ctx: typer.Context, **values):
    """The frozen options object `cls` built from the parsed command line, each field from the option of the same
    name, or from `values`, or (a field this command has no option for) the dataclass's default. What the object's
    own checks refuse (ValueError) is a usage error (exit 2)."""
    fields = {}
    for f in dataclasses.fields(cls):
        if f.name in values:
            fields[f.name] = values[f.name]
        elif f.name in ctx.params:
            fields[f.name] = ctx.params[f.name]
    try:
        return cls(**fields)
    except ValueError as err:
        raise BadInput(str(err)) from None


def given(ctx: typer.Context) -> frozenset[str]:
    """The options the user set (on the command line or through the environment), as opposed to defaults."""
    sources = {name: ctx.get_parameter_source(name) for name in ctx.params}
    return frozenset(name for name, s in sources.items() if s is not None and s.name not in ("DEFAULT", "DEFAULT_MAP"))


def source(ctx: typer.Context) -> Source:
    """Where the records come from: -i, --on-error and --rejects."""
    p = ctx.params
    return Source(p["input"], p["on_error"], p["rejects"])


# -- help in sections -----------------------------------------------------------------------------------------------


class Sectioned(TyperCommand):
    """A command whose --help lists its options in sections (each option's rich_help_panel), in the order the
    sections first appear in its signature; options without one are under "Options" (--help among them)."""

    def format_options(self, ctx, formatter) -> None:
        for title, records in option_sections(self, ctx):
            with formatter.section(title):
                formatter.write_dl(records)


# -- errors and signals ---------------------------------------------------------------------------------------------


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same clean-up runs (output files discarded, workers stopped)."""


def on_sigterm(signum, frame):
    raise Terminated()


def guard(log: Log):
    """Run a command body and map what it raises to the exit codes of the record contract.

    0 success (a closed stdout, as in ``rlvr score | head``, is success too); 1 the environment failed (`Failure`); 2
    bad usage or bad input (`BadInput`); 130 Ctrl-C; 143 SIGTERM. Messages go to stderr, one line, prefixed with the
    command's name. Anything else is a bug and keeps its traceback.
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
                silence_stdout()
                raise typer.Exit(0) from None
            except KeyboardInterrupt as err:
                terminated = isinstance(err, Terminated)
                log.error("terminated" if terminated else "interrupted")
                raise typer.Exit(143 if terminated else 130) from None

        return run

    return wrap
