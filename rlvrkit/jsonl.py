"""JSON Lines in and out: records streamed one line at a time, with errors that name the line.

`Records` reads a source (a path, or ``-`` for stdin) and yields one dict per line. A line that is not a JSON object, or
that a command's `check` refuses, ends the input right there: the records before it are processed as if the input had
ended, then the run stops with ``source:line: problem`` (`BadInput`, exit 2), so nothing before the bad line is lost.
Under ``on_error="skip"`` the line is counted, kept in the rejects file if one was asked for, and passed over.

`RecordWriter` writes records to stdout or to a file that appears atomically (see `AtomicFile`).

Two details make pipelines behave: the reader calls `idle()` just before it would wait for more input, so a command
can flush what it has finished instead of sitting on it while upstream is slow; and lines that orjson refuses only
because of broken Unicode (lone surrogate escapes, invalid UTF-8 bytes) are read with the
standard library instead, with broken characters replaced by U+FFFD and the repair counted. Numbers are read as
orjson reads them: an integer wider than 64 bits becomes the nearest float.
"""

from __future__ import annotations

import json
import os
import re
import select
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from rlvrkit.errors import BadInput, InvalidRecord

STREAM = "-"
CHUNK = 1 << 16
_SURROGATE = re.compile("[\ud800-\udfff]")
Check = Callable[[dict], None]


def source_name(path: str) -> str:
    return "stdin" if path == STREAM else str(path)


def parse_line(raw: bytes) -> tuple[dict, bool]:
    """One line → (record, repaired). Raises `InvalidRecord` when the line is not a JSON object."""
    repaired = False
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        rec, repaired = _parse_lenient(raw, err)
    if not isinstance(rec, dict):
        raise InvalidRecord(f"expected a JSON object, got {_json_kind(rec)}")
    return rec, repaired


def dumps(rec: dict) -> bytes:
    """A record as one line of UTF-8 JSON, newline included."""
    try:
        return orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # an integer beyond 64 bits (the standard library writes it exactly)
        return (json.dumps(rec, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode()


def _parse_lenient(raw: bytes, err: orjson.JSONDecodeError):
    """Read a line orjson refused, if the only trouble is broken Unicode."""
    try:
        text, repaired = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        text, repaired = raw.decode("utf-8", "replace"), True
    try:
        rec = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise InvalidRecord(f"not valid JSON at column {err.colno}: {err.msg}") from None
    fixed = _replace_surrogates(rec)
    return fixed, repaired or fixed != rec


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return value


def _replace_surrogates(obj):
    if isinstance(obj, str):
        return _SURROGATE.sub("\ufffd", obj)
    if isinstance(obj, list):
        return [_replace_surrogates(v) for v in obj]
    if isinstance(obj, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in obj.items()}
    return obj


def _json_kind(value) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _ready(f) -> bool:
    """True when reading `f` now would not wait (a regular file, an in-memory buffer, or a pipe with data)."""
    try:
        fd = f.fileno()
    except (AttributeError, OSError, ValueError):
        return True
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return True
    return bool(select.select([fd], [], [], 0)[0])


class Records:
    """The records of one JSON Lines source, in order.

    `check(record)` may raise `InvalidRecord` to refuse a record. `name` and `line` say where the last record came from,
    and `reject(problem)` lets later stages refuse the current record with the same fail-or-skip rule. After a refusal
    in fail mode the iteration ends and `failure` holds the `BadInput` to raise once the records before it are done
    (`streams` raises it).
    """

    def __init__(
        self,
        source: str | BinaryIO = STREAM,
        *,
        check: Check | None = None,
        on_error: str = "fail",
        rejects: BinaryIO | None = None,
        idle: Callable[[], None] | None = None,
        name: str | None = None,
    ):
        if on_error not in ("fail", "skip"):
            raise ValueError(f"on_error must be 'fail' or 'skip', not {on_error!r}")
        if isinstance(source, (str, Path)):
            self.name = name or source_name(str(source))
            self._file = sys.stdin.buffer if source == STREAM else _open_input(str(source))
            self._owned = source != STREAM
        else:
            self._owned = False
            self.name = name or getattr(source, "name", "input")
            self._file = source
        self.check = check
        self.on_error = on_error
        self.rejects = rejects
        self.idle = idle
        self.line = 0
        self.skipped = 0
        self.repaired = 0
        self.first_problem: str | None = None
        self.failure: BadInput | None = None
        self._raw = b""

    def where(self) -> str:
        return f"{self.name}:{self.line}"

    def __iter__(self) -> Iterator[dict]:
        check = self.check
        for raw in self._lines():
            if self.failure is not None:
                return
            self.line += 1
            if raw[-1:] == b"\r":
                raw = raw[:-1]
            if not raw or raw.isspace():
                continue
            self._raw = raw
            try:
                rec, repaired = parse_line(raw)
                if check is not None:
                    check(rec)
            except InvalidRecord as err:
                self.reject(str(err))
                if self.failure is not None:
                    return
                continue
            if repaired:
                self.repaired += 1
            yield rec

    def reject(self, problem: str) -> None:
        """Refuse the current record: end the input here (fail mode), or count it, keep it among the rejects, go on."""
        message = f"{self.where()}: {problem}"
        if self.on_error == "fail":
            self.failure = self.failure or BadInput(message)
            return
        self.skipped += 1
        self.first_problem = self.first_problem or message
        if self.rejects is not None:
            self.rejects.write(self._raw + b"\n")

    def summary(self) -> str | None:
        """What was skipped or repaired, for stderr; None when every line was clean."""
        parts = []
        if self.skipped:
            parts.append(f"skipped {self.skipped} bad line{'s' * (self.skipped != 1)} (first: {self.first_problem})")
        if self.repaired:
            parts.append(f"replaced invalid Unicode with U+FFFD in {self.repaired} line{'s' * (self.repaired != 1)}")
        return "; ".join(parts) or None

    def close(self) -> None:
        if self._owned:
            self._file.close()

    def _lines(self) -> Iterator[bytes]:
        f = self._file
        read = getattr(f, "read1", f.read)
        head: list[bytes] = []  # pieces of a line that has not ended yet
        while True:
            if self.idle is not None and not _ready(f):
                self.idle()
            chunk = read(CHUNK)
            if not chunk:
                break
            if self.line == 0 and not head and chunk.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark
                chunk = chunk[3:]
            if b"\n" not in chunk:
                head.append(chunk)
                continue
            lines = chunk.split(b"\n")
            if head:
                lines[0] = b"".join(head) + lines[0]
                head = []
            if lines[-1]:
                head.append(lines[-1])
            yield from lines[:-1]
        if head:
            yield b"".join(head)


def _open_input(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as err:
        raise BadInput(f"cannot read {path}: {err.strerror}") from None


class AtomicFile:
    """A file written under a temporary name beside its target and renamed into place by `commit()`.

    Until then the target keeps its old contents (or does not exist); `discard()` removes the temporary file.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        try:
            self._f = open(self.tmp, "wb", buffering=1 << 20)
        except OSError as err:
            raise BadInput(f"cannot write {path}: {err.strerror}") from None

    def write(self, data: bytes) -> None:
        self._f.write(data)

    def flush(self) -> None:
        self._f.flush()

    def commit(self) -> None:
        self._f.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self._f.close()
        self.tmp.unlink(missing_ok=True)


class RecordWriter:
    """Records out, one JSON line each, to stdout (``-``) or to an `AtomicFile`.

    Lines are gathered into blocks of about 64 KiB before they are written; `flush()` sends what is pending.
    """

    BLOCK = 1 << 16

    def __init__(self, target: str | Path = STREAM):
        self._file = None if str(target) == STREAM else AtomicFile(target)
        self._out = sys.stdout.buffer if self._file is None else self._file
        self._pending: list[bytes] = []
        self._size = 0
        self.count = 0

    def write(self, rec: dict) -> None:
        self.write_line(dumps(rec))

    def write_line(self, line: bytes) -> None:
        """A record already serialized by `dumps` (newline included): for commands that hold finished records as
        bytes while they wait for earlier ones."""
        self._pending.append(line)
        self._size += len(line)
        self.count += 1
        if self._size >= self.BLOCK:
            self._send()

    def _send(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            self._size = 0
            self._out.write(data)

    def flush(self) -> None:
        self._send()
        self._out.flush()

    def close(self, keep: bool = True) -> None:
        """Finish the output: flush stdout, or rename the file into place (keep) or remove it."""
        if self._file is None:
            self.flush()
        elif keep:
            self._send()
            self._file.commit()
        else:
            self._file.discard()


@dataclass(frozen=True)
class Source:
    """Where a command's records come from, and what happens to a bad line: the stream options every command shares
    (-i, --on-error, --rejects)."""

    path: str = STREAM
    on_error: str = "fail"  # fail | skip
    rejects: str | None = None  # with skip: the file that keeps the skipped lines


@contextmanager
def streams(
    input: str | Source = STREAM,
    output: str = STREAM,
    *,
    check: Check | None = None,
    on_error: str = "fail",
    rejects: str | None = None,
    log=None,
):
    """Open a command's input and output as a pair ``(records, writer)``; `input` is a path or a `Source`.

    A bad line ends the input (see `Records`); when the body is done with the records before it, `BadInput` is raised
    here. On success or on bad input the output keeps everything written (stdout already has it; a file is renamed
    into place); on any other error, Ctrl-C included, an output file is removed and the target left as it was.
    Whatever was skipped or repaired is reported through `log`.
    """
    if isinstance(input, Source):
        input, on_error, rejects = input.path, input.on_error, input.rejects
    writer = RecordWriter(output)
    reject_file = AtomicFile(rejects) if rejects else None
    records = Records(input, check=check, on_error=on_error, rejects=reject_file, idle=writer.flush)
    keep = False
    try:
        yield records, writer
        keep = True
        if records.failure is not None:
            raise records.failure
    except BadInput:
        keep = True
        raise
    finally:
        records.close()
        if log is not None and records.summary():
            log.warn(records.summary())
        writer.close(keep)
        if reject_file is not None:
            reject_file.commit() if keep else reject_file.discard()
