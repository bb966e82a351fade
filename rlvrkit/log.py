"""Messages and progress for people, on stderr only: stdout belongs to the records.

On a terminal, progress is a rich live bar (colour unless NO_COLOR is set); elsewhere (a log file, CI) it is a plain
line every `every` seconds, so logs stay readable. rich is imported only when a bar is actually drawn.
"""

from __future__ import annotations

import os
import sys
import time


def _tty() -> bool:
    return sys.stderr.isatty()


class Log:
    """Prefixed messages for one command: ``rlvr score: dropped 3 groups (solve-all)``."""

    def __init__(self, name: str):
        self.prefix = f"rlvr {name}" if name else "rlvr"

    def _say(self, level: str, message: str, colour: str) -> None:
        tag = f"{level}: " if level else ""
        if tag and _tty() and "NO_COLOR" not in os.environ:
            tag = f"\x1b[{colour}m{tag}\x1b[0m"
        print(f"{self.prefix}: {tag}{message}", file=sys.stderr, flush=True)

    def info(self, message: str) -> None:
        self._say("", message, "0")

    def warn(self, message: str) -> None:
        self._say("warning", message, "33")

    def error(self, message: str) -> None:
        self._say("error", message, "31")

    def progress(self, unit: str = "records", total: int | None = None, every: float = 10.0) -> Progress:
        return Progress(self, unit, total, every)


class Progress:
    """Count work as it happens: ``with log.progress("records") as p: p.advance()``."""

    def __init__(self, log: Log, unit: str, total: int | None, every: float):
        self.log, self.unit, self.total, self.every = log, unit, total, every
        self.done = 0
        self.start = time.monotonic()
        self._last = self.start
        self._bar = None

    def __enter__(self) -> Progress:
        if _tty():
            from rich.console import Console
            from rich.progress import Progress as Bar

            self._bar = Bar(*Bar.get_default_columns(), console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(f"{self.log.prefix}: {self.unit}", total=self.total)
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self._last < (0.1 if self._bar else self.every):
            return
        self._last = now
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
        else:
            self.log.info(self.line())

    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.start, 1e-9)

    def line(self) -> str:
        of = f"/{self.total}" if self.total is not None else ""
        return f"{self.done}{of} {self.unit}, {self.rate():.0f}/s"

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
