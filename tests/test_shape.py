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
COMMANDS_ = sorted(typer.main.get_command(app).commands)
# the fields of a command's options object it has no option for: set otherwise, or nested objects of other commands
UNSET = {"eval": {"rollout", "verify"}, "train": {"given"}}


def room(command: str) -> tuple[str, Path]:
    """The module path of `rlvr COMMAND`'s work (the rule in CONTRIBUTING.md) and where it lives."""
    name = command.replace("-", "_")
    package = LIBRARY / name
    return f"rlvrkit.{name}", package if package.is_dir() else LIBRARY / f"{name}.py"


def options_class(command: str):
    """`XOptions`, from rlvrkit/x.py or rlvrkit/x/options.py."""
    module, where = room(command)
    name = "".join(part.title() for part in command.split("-")) + "Options"
    module = f"{module}.options" if where.is_dir() else module
    return getattr(__import__(module, fromlist=[name]), name)


def fields_of(cls, unset=()) -> list[dataclasses.Field]:
    """The dataclass's fields but `unset`, a nested options object's (a field whose default is a dataclass) in its
    place."""
    out = []
    for f in dataclasses.fields(cls):
        if f.name in unset:
            continue
        out += fields_of(type(f.default)) if dataclasses.is_dataclass(f.default) else [f]
    return out


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


@pytest.mark.parametrize("command", COMMANDS_)
def test_each_command_lives_in_its_own_room(command):
    """The work of `rlvr X` is in rlvrkit/X.py or rlvrkit/X/, which defines run_X and the frozen XOptions (in
    X/options.py for a package)."""
    module, where = room(command)
    assert where.exists(), f"rlvr {command}: no {where.relative_to(ROOT)}"
    runner = f"run_{command.replace('-', '_')}"
    assert any(node.name == runner for _, node in _functions(where)), f"{where.relative_to(ROOT)} defines no {runner}"
    cls = options_class(command)
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, f"{cls.__name__} is not frozen"


def test_every_command_module_is_options_and_one_call():
    commands = typer.main.get_command(app).commands
    for name in commands:
        module = COMMANDS / f"{name.replace('-', '_')}.py"
        fn = next(n for _, n in _functions(module) if n.name == name.replace("-", "_"))
        statements = [s for s in _body(fn) if not isinstance(s, (ast.Import, ast.ImportFrom))]
        assert len(statements) == 1, f"{module.name}: the command body is one call into rlvrkit"
        assert isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Call), module.name


@pytest.mark.parametrize("name", COMMANDS_)
def test_each_option_is_a_field_of_the_options_object_with_the_same_default(name):
    command = typer.main.get_command(app).commands[name]
    cls = options_class(name)
    params = {p.name: p for p in command.params}
    fields = fields_of(cls, UNSET.get(name, ()))
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


def _classes(where: Path):
    for path in sorted(where.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                yield path, node


def test_class_names_are_unique():
    seen: dict[str, list[str]] = {}
    for path, node in _classes(LIBRARY):
        seen.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}


def test_one_id_check():
    """Every command checks a record's id the same way: rlvrkit.records.check_id, nowhere else."""
    checks = [f"{path.relative_to(ROOT)}" for path, node in _functions(LIBRARY) if node.name == "check_id"]
    assert checks == ["rlvrkit/records.py"]
    for path in LIBRARY.rglob("*.py"):
        if path.name != "records.py":
            assert "'id' must" not in path.read_text(), f"{path.relative_to(ROOT)} checks ids itself"


def test_no_function_takes_more_than_six_positional_parameters():
    wide = []
    for path, node in [*_functions(LIBRARY), *_functions(COMMANDS)]:
        names = [a.arg for a in node.args.posonlyargs + node.args.args if a.arg not in ("self", "cls")]
        if len(names) > 6:
            wide.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({len(names)})")
    assert wide == [], "keyword-only after six (def f(a, b, *, c=...))"


def test_nothing_imports_a_commands_room_only_for_a_constant():
    """Field names and other constants several commands use live in a module named for what they are
    (rlvrkit.records), not in a command's room."""
    rooms = {room(command)[0] for command in COMMANDS_}
    found = []
    for path in [*LIBRARY.rglob("*.py"), *COMMANDS.rglob("*.py")]:
        own = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.module or not node.module.startswith("rlvrkit."):
                continue
            target = next((r for r in rooms if node.module == r or node.module.startswith(r + ".")), None)
            if target is None or own.startswith(target) or (own.startswith("commands") and own.endswith(target[8:])):
                continue
            if all(alias.name.isupper() for alias in node.names):
                found.append(
                    f"{path.relative_to(ROOT)} imports {', '.join(a.name for a in node.names)} from {node.module}"
                )
    assert found == []
