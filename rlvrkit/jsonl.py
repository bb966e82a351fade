"""JSON Lines in and out: records streamed one line at a time, with errors that name the line.

`Records` reads a source (a path, or ``-`` for stdin) and yields one dict per line. A line that is not a JSON object, or
that a command's `check` refuses, ends the input right there: the records before it are processed as if the input had
ended, then the run stops with ``source:line: problem`` (`BadInput`, exit 2), so nothing before the bad line is lost.
Under ``on_error="skip"`` the line is counted, kept in the rejects file if one was asked for, and passed over.

`RecordWriter` writes records to stdout or to a file (see `open_output`): a regular file, or a new one, appears
atomically (`AtomicFile`), through a symlink its target is the file replaced, and a device, FIFO or open descriptor
(``/dev/null``, ``/dev/stdout``) is written in place. A failure to write (a full disk, an unwritable folder) is a
`Failure` naming the file and the cause (exit 1); a closed pipe stays `BrokenPipeError`, which commands treat as a quiet
end. No temporary file outlives a run, however it ends. `check_input` and `check_output` let a command refuse unusable
paths before slow set-up.

Two details make pipelines behave: the reader calls `idle()` just before it would wait for more input, so a command
can flush what it has finished instead of sitting on it while upstream is slow; and lines that orjson refuses only
because of broken Unicode (lone surrogate escapes, invalid UTF-8 bytes) are read with the
standard library instead, with broken characters replaced by U+FFFD and the repair counted. Numbers pass through
exactly: orjson turns an integer wider than 64 bits into the nearest float, so the rare line holding a run of 19 or more
digits that is not a fraction is read with the standard library instead, and `dumps` writes wide integers back as they
came.
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import re
import select
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson

from rlvrkit.errors import BadInput, Failure, InvalidRecord
from rlvrkit.records import MAX_DEPTH, TOO_DEEP, check_depth

STREAM = "-"
CHUNK = 1 << 16
_SURROGATE = re.compile("[\ud800-\udfff]")
# Digits become "0", a decimal point stays ".", any other byte becomes " ". An integer of 19 or more digits (the
# shortest that may not fit the 64 bits orjson reads exactly) then shows as " " followed by 19 "0"s, while a long
# fraction (-0.000012345678901234568, common among logprobs) follows "." and does not. Measured choices: bytearray's
# translate runs about twice as fast as bytes' (copy included); rfind skips through this needle far faster than find.
_DIGIT_CLASSES = bytes(48 if 48 <= b <= 57 else 46 if b == 46 else 32 for b in range(256))
_WIDE_INTEGER = b" " + b"0" * 19
Check = Callable[[dict], None]


def source_name(path: str) -> str:
    return "stdin" if path == STREAM else str(path)


def parse_line(raw: bytes, *, scan: bool = True) -> tuple[dict, bool]:
    """One line → (record, repaired). Raises `InvalidRecord` when the line is not a JSON object.

    ``scan=False`` skips the look for integers wider than 64 bits, for a caller that has ruled them out already (a
    `Records` scans whole chunks)."""
    repaired = False
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        rec, repaired = _parse_stdlib(raw, f"not valid JSON at column {err.colno}: {err.msg}")
    else:
        if scan and _may_hold_wide_integer(raw):
            rec, repaired = _parse_stdlib(raw, "cannot be read exactly (a number too long, or nesting too deep)")
        elif _may_nest_deep(raw):
            check_depth(rec)
    if not isinstance(rec, dict):
        raise InvalidRecord(f"expected a JSON object, got {_json_kind(rec)}")
    return rec, repaired


def _may_nest_deep(raw: bytes) -> bool:
    """True when the line has more opening brackets than a record may nest levels: only then is its depth measured."""
    return raw.count(b"[") + raw.count(b"{") > MAX_DEPTH


def _may_hold_wide_integer(raw: bytes) -> bool:
    """True when the line has a run of 19+ digits not after a decimal point: an integer orjson may have rounded to a
    float. Also true for such a run inside a string, which costs a slower parse and nothing else."""
    return bytearray(raw).translate(_DIGIT_CLASSES).rfind(_WIDE_INTEGER) >= 0


def dumps(rec: dict) -> bytes:
    """A record as one line of UTF-8 JSON, newline included."""
    try:
        return orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # an integer beyond 64 bits (the standard library writes it exactly)
        return (json.dumps(rec, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode()


def _parse_stdlib(raw: bytes, problem: str):
    """Read a line with the standard library: integers of any width stay exact, and broken Unicode is repaired (with
    U+FFFD). Raises `InvalidRecord(problem)` when the line is not JSON even so."""
    try:
        text, repaired = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        text, repaired = raw.decode("utf-8", "replace"), True
    try:
        rec = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except ValueError:
        raise InvalidRecord(problem) from None
    except RecursionError:
        raise InvalidRecord(TOO_DEEP) from None
    check_depth(rec)  # before anything recursive walks it
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
            self._file = _stdin() if source == STREAM else _open_input(str(source))
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
        self._scan = True  # whether parse_line must look for wide integers in the current line (see _lines)

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
                rec, repaired = parse_line(raw, scan=self._scan)
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
        """The input's lines, read 64 KiB at a time. Before each line it sets `_scan`, which tells `parse_line` whether
        the line may hold an integer too wide for orjson: a chunk is scanned once for all its lines (cheaper than line
        by line), and a line begun in an earlier chunk is left to be scanned on its own."""
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
            rest = lines.pop()
            if head:
                head.append(lines.pop(0))
                self._scan = True
                yield b"".join(head)
            self._scan = _may_hold_wide_integer(chunk)
            yield from lines
            head = [rest] if rest else []
        if head:
            self._scan = True
            yield b"".join(head)


def _cannot(what: str, cause: OSError | int) -> str:
    """``cannot read x.jsonl: No such file or directory``: WHAT is ``read PATH`` or ``write PATH``, CAUSE an OSError or
    an errno value."""
    reason = os.strerror(cause) if isinstance(cause, int) else cause.strerror or str(cause)
    return f"cannot {what}: {reason}"


def _stdin() -> BinaryIO:
    """Standard input, as bytes; `BadInput` when the command was started with it closed (``<&-``)."""
    if sys.stdin is None:
        raise BadInput(_cannot("read stdin", errno.EBADF))
    return sys.stdin.buffer


def _open_input(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as err:
        raise BadInput(_cannot(f"read {path}", err)) from None


def read_all(path: str, *, check: Check | None = None, on_error: str = "fail", log=None, what: str = "") -> list[dict]:
    """Every record of a side file (--first, --from-samples, a metrics file) read whole; a bad line is `BadInput`
    naming it (or, with on_error="skip", counted and reported through `log`, prefixed by `what`)."""
    records = Records(path, check=check, on_error=on_error)
    try:
        found = list(records)
    finally:
        records.close()
    if records.failure is not None:
        raise records.failure
    if log is not None and records.summary():
        log.warn(f"{what}{records.summary()}")
    return found


def windows(items: Iterable, size: int) -> Iterator[list]:
    """The items `size` at a time, as lists (the last one shorter): a stream read a window at a time."""
    window = []
    for item in items:
        window.append(item)
        if len(window) == size:
            yield window
            window = []
    if window:
        yield window


def check_input(path: str | Path) -> None:
    """Raise `BadInput` (exit 2) when ``-i PATH`` cannot be read: missing, a folder, or unreadable; ``-`` when stdin
    is closed.

    Nothing is opened, so a FIFO keeps its data for the real read."""
    if str(path) == STREAM:
        _stdin()
        return
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        raise BadInput(_cannot(f"read {path}", err)) from None
    if stat.S_ISDIR(mode) or not os.access(path, os.R_OK):
        raise BadInput(_cannot(f"read {path}", errno.EISDIR if stat.S_ISDIR(mode) else errno.EACCES))


def check_output(path: str | Path) -> None:
    """Raise `Failure` (exit 1) naming PATH and the cause when ``-o PATH`` cannot be written: a folder, a missing parent
    folder, a path under a file, no permission. ``-`` passes. For commands to call before slow set-up (loading a
    model); `streams` opens the output itself later.

    Where the output will be written atomically, the real thing is tried: its temporary file is created beside the
    target and removed at once. A device or FIFO is only checked for permission, since opening a FIFO waits for a
    reader."""
    if str(path) == STREAM:
        return
    target, atomic = output_target(path)
    if atomic:
        AtomicFile(target, name=str(path)).discard()
    elif not os.access(target, os.W_OK):
        raise Failure(_cannot(f"write {path}", errno.EACCES))


@dataclass(frozen=True)
class Source:
    """Where a command's records come from, and what happens to a bad line: the stream options every command shares
    (-i, --on-error, --rejects)."""

    path: str = STREAM
    on_error: str = "fail"  # fail | skip
    rejects: str | None = None  # with skip: the file that keeps the skipped lines


def check_streams(source: Source, output: str = STREAM) -> None:
    """`check_distinct`, `check_input` on ``-i`` and `check_output` on ``-o`` and ``--rejects``: a command's paths,
    checked up front, before anything slow (a model load, worker processes)."""
    check_distinct(stream_files(source, output))
    check_input(source.path)
    check_output(output)
    if source.rejects:
        check_output(source.rejects)


@dataclass(frozen=True)
class Named:
    """A file a command is told to read or write, as the user named it. `label` is how a message names it (``-o
    out.jsonl``, ``stdin``); `path` is the path, ``-`` being stdin when read and stdout when written. For a folder the
    command writes in (train's --ckpt), `owns` lists the entries inside it that are the command's to replace."""

    label: str
    path: str
    writes: bool
    owns: tuple[str, ...] = ()


def stream_files(source: Source, output: str = STREAM) -> list[Named]:
    """The files of a command's streams: -i (or stdin), --rejects, -o (or stdout)."""
    named = [Named(f"-i {source.path}" if source.path != STREAM else "stdin", source.path, False)]
    if source.rejects:
        named.append(Named(f"--rejects {source.rejects}", source.rejects, True))
    return [*named, Named(f"-o {output}" if output != STREAM else "stdout", output, True)]


def check_distinct(named: Iterable[Named]) -> None:
    """Refuse (`BadInput`) an output that is the same file as an input or as another output, before any work: the
    output would replace the input while it is read (``-i f -o f``), or one output the other (``--rejects f -o f``).

    Files are the same by device and inode, so through symlinks, hard links and /dev/stdout; stdin and stdout are the
    files they are open on (``rlvr score -o f < f``, ``rlvr score -i f >> f``). A terminal or /dev/null (a character
    device) is never a clash. A path that does not exist yet is its absolute path with links resolved, so two new
    outputs of one name clash too. Anything named inside the entries an output folder `owns` clashes with it."""
    named = list(named)
    seen: list[tuple[Named, set]] = []
    for item in named:
        keys = _identities(item)
        for other, known in seen:
            if (item.writes or other.writes) and keys & known:
                raise BadInput(_clash(other, item))
        seen.append((item, keys))
    for folder in (n for n in named if n.owns):
        base = Path(os.path.realpath(folder.path))
        for item in named:
            if item is not folder and item.path != STREAM and _inside(Path(os.path.realpath(item.path)), base, folder):
                raise BadInput(f"{item.label} is inside {folder.label}, where the command writes its own files")


def _inside(path: Path, base: Path, folder: Named) -> bool:
    return path == base or any(path.is_relative_to(base / entry) for entry in folder.owns)


def _identities(item: Named) -> set:
    """What makes a named file the same as another: {(device, inode)} of an existing file (nothing for a character
    device), {("new", absolute path)} of an output not yet there, and ("stdout",) for every output to stdout."""
    if item.path == STREAM:
        keys: set = {("stdout",)} if item.writes else set()
        try:
            st = os.fstat(1 if item.writes else 0)
        except OSError:  # closed: nothing to clash with
            return keys
    else:
        try:
            st = os.stat(item.path)
        except FileNotFoundError:
            return {("new", os.path.realpath(item.path))} if item.writes else set()
        except OSError:  # not reachable: check_input and check_output say why
            return set()
        keys = set()
    if not stat.S_ISCHR(st.st_mode):
        keys.add((st.st_dev, st.st_ino))
    return keys


def _clash(first: Named, second: Named) -> str:
    if first.writes and second.writes:
        return f"{second.label} and {first.label} are the same file: one output would replace the other"
    out, inp = (first, second) if first.writes else (second, first)
    return f"{out.label} is the same file as {inp.label}: writing it would destroy the input; write to another file"


def output_target(path: str | Path) -> tuple[str, bool]:
    """Where writing PATH lands, and whether atomically.

    ``(file, True)`` for a regular file or a new path, with every symlink on the way followed (a dangling link names
    the file to create), so the target is replaced and the link stays a link. ``(PATH, False)`` for anything else that
    can be written: a device, a FIFO, or a file reached through /proc (``/dev/stdout``, ``/dev/fd/3``: a descriptor
    some process holds open). Raises `Failure` for a folder, a socket, or a path that cannot exist."""
    name = str(path)
    try:
        mode = os.stat(name).st_mode
    except FileNotFoundError:
        return os.path.realpath(name), True
    except OSError as err:  # a path under a regular file, a symlink loop, a folder that cannot be searched
        raise Failure(_cannot(f"write {name}", err)) from None
    if stat.S_ISDIR(mode) or stat.S_ISSOCK(mode):  # a socket cannot be opened: say so before any work is done
        raise Failure(_cannot(f"write {name}", errno.EISDIR if stat.S_ISDIR(mode) else errno.ENXIO))
    if stat.S_ISREG(mode) and not _through_proc(name):
        return os.path.realpath(name), True
    return name, False


def _through_proc(path: str) -> bool:
    """True when a symlink on the way to PATH lives in /proc, as /dev/stdout's and /dev/fd/N's do."""
    link = os.path.abspath(path)
    for _ in range(40):  # the most symlinks the kernel follows
        if not os.path.islink(link):
            return False
        folder = os.path.realpath(os.path.dirname(link))
        if folder.startswith("/proc/"):
            return True
        link = os.path.join(folder, os.readlink(link))
    return False


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail again on a stdout that is gone (a closed
    pipe, a full disk) and print a second error."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (replaced, or under a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


class _Output:
    """Bytes to one destination, where any failure to write becomes one `Failure` naming it (``cannot write out.jsonl:
    No space left on device``); a closed pipe stays `BrokenPipeError`. After a failure (or `discard`) the destination is
    `broken`: writes are dropped and errors no longer reported, so nothing is written or reported twice."""

    keeps_partial = True  # what was written stays when the run fails (stdout, a device); an AtomicFile removes it

    def __init__(self, name: str, f: BinaryIO):
        self.name = name
        self.broken = False
        self._f = f

    def write(self, data: bytes) -> None:
        self._attempt(self._f.write, data)

    def flush(self) -> None:
        self._attempt(self._f.flush)

    def close(self, keep: bool = True) -> None:
        """`commit` when the output is to be kept, else `discard`."""
        self.commit() if keep else self.discard()

    def commit(self) -> None:
        self._close()

    def discard(self) -> None:
        self._close()

    def _close(self) -> None:
        """Close the file: a failure to flush it now is a failure to write, unless one was reported already. (A close
        whose flush fails still closes the descriptor.)"""
        if not self.broken:
            self._attempt(self._f.close)
            return
        try:
            self._f.close()
        except OSError:
            pass

    def _attempt(self, op: Callable, *args) -> None:
        if self.broken:
            return
        try:
            op(*args)
        except BrokenPipeError:
            self.broken = True
            raise
        except OSError as err:
            self.broken = True
            self._on_failure()
            raise Failure(_cannot(f"write {self.name}", err)) from None

    def _on_failure(self) -> None:
        """What a destination does once writing it has failed (stdout: step aside, see `silence_stdout`)."""


class _Stdout(_Output):
    """Standard output: flushed, never closed; what was written stays."""

    def __init__(self):
        if sys.stdout is None:  # started with stdout closed (>&-)
            raise Failure(_cannot("write stdout", errno.EBADF))
        super().__init__("stdout", sys.stdout.buffer)

    def commit(self) -> None:
        self.flush()

    def discard(self) -> None:
        self.flush()

    def _on_failure(self) -> None:
        silence_stdout()


class InPlaceFile(_Output):
    """A device, FIFO or open descriptor, written as it is: opened for appending (nothing truncated or created), with no
    temporary name and no rename; what was written stays even when the run fails."""

    def __init__(self, path: str | Path, *, name: str | None = None):
        name = str(path) if name is None else name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)  # a FIFO waits here for its reader, as with `> fifo`
        except OSError as err:
            raise Failure(_cannot(f"write {name}", err)) from None
        super().__init__(name, os.fdopen(fd, "wb"))


class AtomicFile(_Output):
    """A file written under a temporary name beside its target and renamed into place by `commit()`.

    Until then the target keeps its old contents (or does not exist); `discard()` removes the temporary file, as does a
    failed `commit()`. Through a symlink, the file it points to is the target (the link stays a link). Errors name
    `name`, the path as the user gave it (PATH by default)."""

    keeps_partial = False

    def __init__(self, path: str | Path, *, name: str | None = None):
        name = str(path) if name is None else name
        self.path = Path(os.path.realpath(path))
        self.tmp, f = _create_beside(self.path, name)
        super().__init__(name, f)

    def commit(self) -> None:
        try:
            self._close()
            if not self.broken:
                self._attempt(os.replace, self.tmp, self.path)
        finally:
            self.tmp.unlink(missing_ok=True)  # already gone after the rename

    def discard(self) -> None:
        self.broken = True
        self._close()
        self.tmp.unlink(missing_ok=True)


def _create_beside(target: Path, name: str) -> tuple[Path, BinaryIO]:
    """A new empty file in TARGET's folder under a hidden name of this process (``.out.jsonl.tmp-PID``), open for
    writing. Failures are `Failure`s naming NAME and the cause."""
    for n in itertools.count():
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}" + (f".{n}" if n else ""))
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:  # left by an earlier process of the same id, or this one's other output
            continue
        except OSError as err:
            if isinstance(err, FileNotFoundError) and not target.parent.is_dir():
                raise Failure(f"cannot write {name}: folder {target.parent} does not exist") from None
            raise Failure(_cannot(f"write {name}", err)) from None
    try:
        return tmp, os.fdopen(fd, "wb", buffering=1 << 20)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise


def open_output(path: str | Path) -> _Output:
    """The destination of ``-o PATH``: stdout for ``-``, else `output_file`."""
    return _Stdout() if str(path) == STREAM else output_file(path)


def output_file(path: str | Path) -> AtomicFile | InPlaceFile:
    """An `AtomicFile` or an `InPlaceFile`, as `output_target` decides (``-`` is a file of that name here)."""
    target, atomic = output_target(path)
    return AtomicFile(target, name=str(path)) if atomic else InPlaceFile(target, name=str(path))


class RecordWriter:
    """Records out, one JSON line each, to stdout (``-``) or to a file (see `open_output`).

    Lines are gathered into blocks of about 64 KiB before they are written; `flush()` sends what is pending.
    """

    BLOCK = 1 << 16

    def __init__(self, target: str | Path = STREAM):
        self._out = open_output(target)
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
        """Finish the output. When it is kept (keep, or a destination that keeps what it got: stdout, a device) what is
        pending is sent and the file completed (an AtomicFile renamed into place); otherwise the file is removed."""
        if keep or self._out.keeps_partial:
            try:
                self._send()
            except BaseException:  # a failed write, Ctrl-C: an unfinished file never takes the target's place
                self._out.discard()
                raise
            self._out.commit()
        else:
            self._out.discard()


def write_all(path: str | Path, records: Iterable[dict]) -> None:
    """Write a side file (eval's results, demo's task files) whole; a file appears only when complete."""
    writer = RecordWriter(path)
    try:
        for rec in records:
            writer.write(rec)
    except BaseException:
        writer.close(keep=False)
        raise
    writer.close()


@contextmanager
def streams(
    source: Source | str = STREAM, output: str = STREAM, *, check: Check | None = None, log=None, whole: bool = False
):
    """Open a command's input (a `Source`, or a path read with the defaults) and output as ``(records, writer)``.

    The paths are checked first (`check_distinct`: no output may be an input or another output). The input is opened
    next (a bad ``-i`` is `BadInput` before any output exists), then the rejects file and the output (`Failure` when
    one cannot be written, with nothing left behind). A bad line ends the input (see `Records`); when the body is done
    with the records before it, `BadInput` is raised here. On success or on bad input the outputs keep everything
    written (stdout already has it; a file is renamed into place) — unless `whole`, for a command whose output depends
    on all of its input (a selection): then an output file appears only when the whole input was good. On any other
    error, Ctrl-C included, an output file is removed and the target left as it was. Whatever was skipped or repaired
    is reported through `log`.
    """
    source = source if isinstance(source, Source) else Source(str(source))
    check_distinct(stream_files(source, output))
    with ExitStack() as stack:  # closed in reverse: the output first, and the rejects kept only if it was
        records = Records(source.path, check=check, on_error=source.on_error)
        stack.callback(records.close)
        if source.rejects:
            records.rejects = output_file(source.rejects)
            stack.push(_finishing(records.rejects.close))
        writer = RecordWriter(output)
        stack.push(_finishing(writer.close, keep_at_bad_input=not whole))
        records.idle = writer.flush
        stack.callback(_report, records, log)
        yield records, writer
        if records.failure is not None:
            raise records.failure


def _finishing(close: Callable[[bool], None], keep_at_bad_input: bool = True):
    """An ExitStack callback that closes an output with keep=True when the run succeeded or stopped at bad input (the
    records before a bad line are good, unless not `keep_at_bad_input`) and keep=False after anything else (a failure,
    Ctrl-C)."""

    def on_exit(exc_type, exc, tb) -> bool:
        close(exc is None or (keep_at_bad_input and isinstance(exc, BadInput)))
        return False

    return on_exit


def _report(records: Records, log) -> None:
    if log is not None and records.summary():
        log.warn(records.summary())
