"""Roff man pages rendered from a click command tree (the one typer builds), so the pages say what `--help` says.

Options come from each parameter's own help record, the very lines `--help` prints, in the same sections.

`man_pages(root, prog, version)` returns ``{"rlvr.1": …, "rlvr-score.1": …}``. Help text keeps its shape: blank lines
separate paragraphs, and a paragraph whose lines are all indented (the examples) is set verbatim.
"""

from __future__ import annotations

import textwrap


def man_pages(root, prog: str, version: str) -> dict[str, str]:
    pages = {f"{prog}.1": _page(root, prog, version, subcommands=_subcommands(root))}
    for name, cmd in _subcommands(root):
        pages[f"{prog}-{name}.1"] = _page(cmd, f"{prog} {name}", version, subcommands=[])
    return pages


def _subcommands(group) -> list:
    commands = getattr(group, "commands", {})
    return sorted((name, cmd) for name, cmd in commands.items() if not getattr(cmd, "hidden", False))


def _page(cmd, full_name: str, version: str, subcommands: list) -> str:
    title = full_name.replace(" ", "-")
    help_text = (cmd.help or "").replace("\b\n", "")
    summary, _, body = help_text.strip().partition("\n")
    out = [
        f'.TH {title.upper()} 1 "" "{_text(full_name.split()[0])} {version}" "User Commands"',
        ".SH NAME",
        f"{_text(title)} \\- {_text(_sentence(summary))}",
        ".SH SYNOPSIS",
        f".B {_text(full_name)}",
        "[\\fIOPTIONS\\fR]" + (" \\fICOMMAND\\fR [\\fIARGS\\fR]..." if subcommands else ""),
        ".SH DESCRIPTION",
        *_paragraphs(summary + "\n\n" + body),
    ]
    if subcommands:
        out.append(".SH COMMANDS")
        for name, sub in subcommands:
            out += [".TP", f"\\fB{_text(name)}\\fR", _text(_sentence((sub.help or "").strip().split("\n")[0]))]
    ctx = cmd.make_context(full_name, [], resilient_parsing=True)
    sections = option_sections(cmd, ctx)
    if sections:
        out.append(".SH OPTIONS")
        for title, records in sections:
            out += [f".SS {_text(title)}"] if len(sections) > 1 else []
            for names, text in records:
                out += [".TP", _option_head(names), *_paragraphs(text)[1:]]  # .TP starts the first paragraph
    if subcommands:
        out += [".SH SEE ALSO", ", ".join(f"\\fB{full_name}-{name}\\fR(1)" for name, _ in subcommands)]
    return "\n".join(out) + "\n"


def option_sections(cmd, ctx) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(title, [(option names, help)])]: the options grouped by their help section (typer's rich_help_panel), in
    the order the sections first appear; options without one under "Options". --help and the man pages use this."""
    out: dict[str, list] = {}
    for param in cmd.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None:
            title = "Arguments" if param.param_type_name == "argument" else getattr(param, "rich_help_panel", None)
            out.setdefault(title or "Options", []).append(record)
    return list(out.items())


def _sentence(text: str) -> str:
    return text.strip().rstrip(".")


def _option_head(names: str) -> str:
    """``-i, --input FILE`` → bold names, italic value placeholder."""
    *flags, last = names.split(", ")
    last_flag, _, metavar = last.partition(" ")
    head = ", ".join(f"\\fB{_text(f)}\\fR" for f in [*flags, last_flag])
    return f"{head} \\fI{_text(metavar)}\\fR" if metavar else head


def _paragraphs(text: str) -> list[str]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.startswith(" ") for line in lines):
            out += [".PP", ".RS 4", ".nf", *(_text(line) for line in textwrap.dedent("\n".join(lines)).split("\n"))]
            out += [".fi", ".RE"]
        else:
            out += [".PP", _text(" ".join(line.strip() for line in lines))]
    return out


def _text(s: str) -> str:
    """Escape a line of plain text for roff."""
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + s if s.startswith((".", "'")) else s
