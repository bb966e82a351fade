"""Shared helpers: run the real `rlvr` command in a subprocess, and read JSON Lines back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def rlvr(*args: str, input: str | bytes | None = None, timeout: float = 300, env: dict | None = None, **kw):
    """Run ``rlvr ARGS`` as a user would (a fresh process), returning the CompletedProcess with text output."""
    if isinstance(input, str):
        input = input.encode()
    proc = subprocess.run(
        [sys.executable, "-m", "rlvrkit.commands.cli", *args],
        input=input,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        **kw,
    )
    proc.stdout = proc.stdout.decode()
    proc.stderr = proc.stderr.decode()
    return proc


def ctrl_c_reaches_it() -> None:
    """Popen preexec_fn: let the child take SIGINT the way a command in a terminal does. A shell without job control
    starts background jobs (pytest run with `&`, say) with SIGINT ignored, and Python then keeps it ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


HEAVY = ("torch", "transformers", "sympy", "math_verify", "rich")


def heavy_imports(args: list[str], stdin: bytes) -> tuple[str, list[str]]:
    """Run ``rlvr ARGS`` inside a fresh interpreter; return its stdout and which of HEAVY it imported."""
    code = f"""
import io, sys
from rlvrkit.commands.cli import app
sys.stdin = io.TextIOWrapper(io.BytesIO({stdin!r}))
try:
    app({args!r}, prog_name="rlvr")
except SystemExit:
    pass
print("HEAVY", ",".join(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    heavy = proc.stderr.rsplit("HEAVY ", 1)[-1].strip()
    return proc.stdout, [m for m in heavy.split(",") if m]


def piped_to_head(args: list[str], input: str) -> subprocess.CompletedProcess:
    """``rlvr ARGS < input | head -1``, as a user would type it."""
    return subprocess.run(
        f"{sys.executable} -m rlvrkit.commands.cli {' '.join(args)} | head -1",
        shell=True,
        input=input.encode(),
        capture_output=True,
        executable="/bin/bash",
        timeout=120,
    )


def shell(pipeline: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a shell pipeline as a user types it (``rlvr mask < in | rlvr rollout …``), each ``rlvr`` being this
    checkout's; text output."""
    command = pipeline.replace("rlvr ", f"{sys.executable} -m rlvrkit.commands.cli ")
    return subprocess.run(command, shell=True, capture_output=True, text=True, executable="/bin/bash", timeout=timeout)


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def read_jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def data_dir() -> Path:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    return DATA


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """The embedded tiny Qwen2 model and its tokenizer, built once per test session (read-only for tests)."""
    from rlvrkit.tiny import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny") / "model")
