"""Regenerate man/ and completions/ from the CLI itself: ``python -m rlvrkit.commands._docs [--check] [ROOT]``.

`make docs` runs it; the test suite runs the --check form, which fails when a checked-in file differs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SHELLS = {"bash": "rlvr.bash", "zsh": "_rlvr", "fish": "rlvr.fish"}


def man_pages() -> dict[str, str]:
    import typer
    from rlvrkit.commands.cli import app

    from rlvrkit import __version__
    from rlvrkit.manpage import man_pages as render

    return {f"man/{name}": text for name, text in render(typer.main.get_command(app), "rlvr", __version__).items()}


def completions() -> dict[str, str]:
    """The scripts `_RLVR_COMPLETE=source_<shell> rlvr` prints, taken from a fresh interpreter."""
    out = {}
    for shell, name in SHELLS.items():
        env = {**os.environ, "_RLVR_COMPLETE": f"source_{shell}"}
        code = "from rlvrkit.commands.cli import main; main()"
        script = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        out[f"completions/{name}"] = script.stdout.rstrip("\n") + "\n"
    return out


def generated() -> dict[str, str]:
    return {**man_pages(), **completions()}


def stale(root: Path) -> list[str]:
    """Generated files that are missing or differ under `root`, plus stray files in man/ and completions/."""
    want = generated()
    bad = [name for name, text in want.items() if not (root / name).is_file() or (root / name).read_text() != text]
    for folder in ("man", "completions"):
        bad += [f"{folder}/{p.name}" for p in (root / folder).glob("*") if f"{folder}/{p.name}" not in want]
    return sorted(bad)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    root = Path(next((a for a in argv if not a.startswith("-")), "."))
    if check:
        bad = stale(root)
        for name in bad:
            print(f"out of date: {name} (run: make docs)", file=sys.stderr)
        return 1 if bad else 0
    for folder in ("man", "completions"):
        for p in (root / folder).glob("*"):
            p.unlink()
    for name, text in generated().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
