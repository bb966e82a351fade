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

An option that names files says so in its type, with `READ` or `WRITTEN` (or a `Files` of its own) after its
typer.Option: `guard` then refuses, before the command runs, an output that is the same file as an input or as
another output, whichever options name them (rlvrkit.jsonl.check_distinct). `guard` also refuses a number no option
means: NaN or an infinity, or an integer wider than 64 bits.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import typing
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Literal, Optional, get_args

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup

from rlvrkit import recipes
from rlvrkit.errors import BadInput, Failure
from rlvrkit.groups import DROP_REASONS, GroupRule
from rlvrkit.jsonl import Named, Source, check_distinct, silence_stdout
from rlvrkit.log import Log
from rlvrkit.manpage import option_sections

IO = "Input and output"
GROUPS = "Groups and advantages"
MODEL = "Model"
LOSS, OPTIM = "Loss", "Optimiser"

# -- the files a command names --------------------------------------------------------------------------------------


def _paths(value) -> list[str]:
    """The paths in an option's value: one path, several (a repeated option), or none."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


@dataclass(frozen=True)
class Files:
    """The mark of an option that names files, put in its type after the typer.Option: whether the command reads or
    writes them, how to find the paths in the option's value, and, for a folder the command writes in, the entries
    inside it that are the command's own (see rlvrkit.jsonl.Named)."""

    writes: bool
    paths: Callable[[object], Iterable[str]] = _paths
    owns: tuple[str, ...] = ()


READ, WRITTEN = Files(writes=False), Files(writes=True)
RUN_DIRECTORY = Files(writes=True, owns=("versions", "latest"))  # train's --ckpt: what rlvrkit.checkpoint writes
WORK_FOLDER = Files(writes=True, owns=(".",))  # demo's --dir: everything in it is the demo's

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
    READ,
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
    WRITTEN,
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
    WRITTEN,
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
    float,
    typer.Option("--adv-eps", min=0.0, metavar="EPS", help="Added to the std before dividing.", rich_help_panel=GROUPS),
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
    kind, info, *marks = get_args(option)
    info = copy.copy(info)
    for name, value in info_changes.items():
        setattr(info, name, value)
    return Annotated[(Optional[kind] if optional else kind, info, *marks)]


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


class Rlvr(TyperGroup):
    """The `rlvr` command group, whose usage errors, its own and its commands', are one line (`UsageLine`)."""

    def make_context(self, *args, **kwargs):
        with usage_in_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with usage_in_one_line(ctx):
            return super().invoke(ctx)


# -- errors and signals ---------------------------------------------------------------------------------------------


class UsageLine(ClickException):
    """A usage error the CLI library found (an unknown command or option, a bad or missing value), shown as the one
    line every other error is: ``rlvr score: error: No such option: --bogus``, exit 2 (the library would print four:
    the usage, a hint, a blank line, the error)."""

    exit_code = 2

    def __init__(self, err: UsageError, command: str | None):
        super().__init__(" ".join(err.format_message().split()))
        if err.ctx is not None:  # the root is "rlvr" whatever name called it
            command = err.ctx.info_name if err.ctx.parent is not None else None
        self.log = Log(command or "")

    def show(self, file=None) -> None:
        self.log.error(self.message)


@contextmanager
def usage_in_one_line(ctx=None):
    """Turn the CLI library's usage errors raised inside into `UsageLine`s, naming the command the error's own
    context names, else the subcommand `ctx` (the group's) was invoking. The help that no arguments asks for stays."""
    try:
        yield
    except NoArgsIsHelpError:
        raise
    except UsageError as err:
        raise UsageLine(err, ctx.invoked_subcommand if ctx is not None else None) from None


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so the same clean-up runs (output files discarded, workers stopped)."""


def on_sigterm(signum, frame):
    raise Terminated()


def guard(log: Log):
    """Run a command body and map what it raises to the exit codes of the record contract.

    Before the body: `check_values` (no NaN, infinity or 64-bit-overflowing integer in any option) and the files the
    options name (`named_files`) checked together by rlvrkit.jsonl.check_distinct. Then 0 success (a closed stdout,
    as in ``rlvr score | head``, is success too); 1 the environment failed (`Failure`); 2 bad usage or bad input
    (`BadInput`); 130 Ctrl-C; 143 SIGTERM. Messages go to stderr, one line, prefixed with the command's name. Anything
    else is a bug and keeps its traceback.
    """

    def wrap(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                ctx = kwargs["ctx"]
                check_values(ctx)
                check_distinct(named_files(fn, ctx))
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


# -- what every command's options must hold ---------------------------------------------------------------------------

INT64 = 2**63  # the widest integer an option may be: what torch, numpy and the C libraries below can take


def check_values(ctx: typer.Context) -> None:
    """`BadInput` naming the option for a number no option means: NaN or an infinity (``--min-score nan``,
    ``--timeout inf``), or an integer beyond 64 bits (``--seed 1e400`` written out); in every option of every command,
    repeated ones included."""
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if type(v) is float and not math.isfinite(v):
                raise BadInput(f"{_flag(param, short=False)} {v}: not a finite number")
            if type(v) is int and not -INT64 <= v < INT64:
                raise BadInput(
                    f"{_flag(param, short=False)}: {v.bit_length()}-bit integer out of range (at most 2^63 - 1)"
                )


def named_files(fn, ctx: typer.Context) -> list[Named]:
    """Every file the command's options name (the ones whose type carries a `Files` mark), in the order of its
    parameters, as `Named` for rlvrkit.jsonl.check_distinct."""
    params = {p.name: p for p in ctx.command.params}
    named = []
    for name, files in _file_options(fn).items():
        for path in files.paths(ctx.params.get(name)):
            std = "stdout" if files.writes else "stdin"
            if path == "-":  # the stream options' own default reads best as the stream; another option as itself
                label = std if name in ("input", "output") else f"{_flag(params[name])} - ({std})"
            else:
                label = path if params[name].param_type_name == "argument" else f"{_flag(params[name])} {path}"
            named.append(Named(label, path, files.writes, files.owns))
    return named


@functools.cache
def _file_options(fn) -> dict[str, Files]:
    """{parameter: its Files mark} for the parameters of command `fn` that have one."""
    hints = typing.get_type_hints(fn, include_extras=True)
    return {
        name: next(m for m in hint.__metadata__ if isinstance(m, Files))
        for name, hint in hints.items()
        if any(isinstance(m, Files) for m in getattr(hint, "__metadata__", ()))
    }


def _flag(param, short: bool = True) -> str:
    """How a message names a parameter: an option by its short form (-o) or its long one (--output); an argument by
    its metavar."""
    if param.param_type_name == "argument":
        return param.metavar or param.name.upper()
    return min(param.opts, key=len) if short else max(param.opts, key=len)
