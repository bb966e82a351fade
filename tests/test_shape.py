"""The shape every command keeps (CONTRIBUTING.md): thin command modules, options declared once, short functions,
no import circles. New commands are held to it by these tests."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
import typer
from conftest import ROOT
from rlvrkit.commands.cli import app

LIBRARY, COMMANDS = ROOT / "rlvrkit", ROOT / "commands"
OPTIONS = {  # command -> its options dataclass (and the fields it has no option for: set otherwise, or nested)
    "compose": "rlvrkit.data.options:ComposeOptions",
    "steps": "rlvrkit.data.options:StepsOptions",
    "rollout": "rlvrkit.rollout.options:RolloutOptions",
    "verify": "rlvrkit.verify.spec:Options",
    "score": "rlvrkit.score:ScoreOptions",
    "train": "rlvrkit.train.config:TrainConfig",
    "eval": "rlvrkit.eval.options:EvalOptions -rollout -verify",
    "plot": "rlvrkit.plot:PlotOptions",
    "demo": "rlvrkit.demo:DemoOptions",
    "init-model": "rlvrkit.tiny:InitOptions",
    "mask": "rlvrkit.data.mask:MaskOptions",
    "select-one": "rlvrkit.select_one:SelectOneOptions",
}


def _load(spec: str):
    """The options class a spec names, and the fields the command has no option for."""
    module, name, *unset = spec.replace(":", " ").split()
    return getattr(__import__(module, fromlist=[name]), name), {u.lstrip("-") for u in unset}


def _functions(where: Path):
    for path in [where] if where.is_file() else sorted(where.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path, node


def _body(node) -> list[ast.stmt]:
    """A function's statements after its docstring."""
    body = node.body
    has_doc = body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    return body[1:] if has_doc else body


def test_every_command_module_is_options_and_one_call():
    commands = typer.main.get_command(app).commands
    assert sorted(commands) == sorted(OPTIONS)
    for name in commands:
        module = COMMANDS / f"{name.replace('-', '_')}.py"
        fn = next(n for _, n in _functions(module) if n.name == name.replace("-", "_"))
        statements = [s for s in _body(fn) if not isinstance(s, (ast.Import, ast.ImportFrom))]
        assert len(statements) == 1, f"{module.name}: the command body is one call into rlvrkit"
        assert isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Call), module.name


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_each_option_is_a_field_of_the_options_object_with_the_same_default(name):
    command = typer.main.get_command(app).commands[name]
    cls, unset = _load(OPTIONS[name])
    params = {p.name: p for p in command.params}
    fields = [f for f in dataclasses.fields(cls) if f.name not in unset]
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    for field in fields:
        assert field.name in params, f"{name}: {cls.__name__}.{field.name} has no option"
    for field, default in defaults.items():
        got = params[field].default
        if got is not None and not isinstance(default, tuple) and field != "tiny":
            assert got == default, f"{name} --{field}: the option's default {got!r} is not the code's {default!r}"


def test_no_function_is_longer_than_a_screen():
    long = []
    for path, node in [*_functions(LIBRARY), *_functions(COMMANDS)]:
        body = _body(node)
        if body and body[-1].end_lineno - body[0].lineno + 1 > 50:
            long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert long == []


def _imports(path: Path) -> set[str]:
    """The rlvrkit modules a file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rlvrkit"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("rlvrkit"))
    return found


def test_no_import_circle():
    modules = {}
    for path in LIBRARY.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    graph = {name: {m for m in deps if not name.startswith(m + ".")} for name, deps in graph.items()}  # packages

    def cycle_from(start, node, seen):
        for nxt in graph[node]:
            if nxt == start:
                return [node, nxt]
            if nxt not in seen:
                seen.add(nxt)
                if path := cycle_from(start, nxt, seen):
                    return [node, *path]
        return None

    for name in sorted(graph):
        assert cycle_from(name, name, {name}) is None, f"import circle: {' -> '.join(cycle_from(name, name, {name}))}"


def test_long_commands_show_their_options_in_sections():
    from conftest import rlvr

    for name, sections in {
        "train": [
            "Model:",
            "Loss:",
            "Groups and advantages:",
            "Optimiser:",
            "Batching:",
            "Checkpoints:",
            "Distributed:",
        ],
        "rollout": ["Model:", "Sampling:", "Prompts:", "Engine:", "Input and output:"],
    }.items():
        text = rlvr(name, "--help").stdout
        lines = text.splitlines()
        assert all(s in lines for s in sections), (name, [line for line in lines if line.endswith(":")])
        assert [lines.index(s) for s in sections] == sorted(lines.index(s) for s in sections)
