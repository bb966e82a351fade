"""Where `-o` and `--rejects` write, and how writing fails: through symlinks, onto devices, FIFOs and /dev/stdout, into
folders that cannot take a file, onto a full disk. Each case runs the real command (`rlvr score`, the cheapest).

Devices are stand-ins made under the test's folder (a device node, or a symlink to /dev/null or /proc/self/fd/1)
rather than /dev/null or /dev/stdout themselves: the tests run as root, and a regression would then replace the real
ones with regular files.
"""

import errno
import os
import re
import resource
import socket
import stat
import subprocess
import sys

import pytest
from conftest import jsonl, read_jsonl, rlvr

from rlvrkit.errors import BadInput, Failure
from rlvrkit.jsonl import Source, check_input, check_output, output_target, streams

RECORDS = jsonl({"id": "a", "reward": 1}, {"id": "a", "reward": 0})
SCORED = [{"id": "a", "reward": 1, "advantage": 1.0}, {"id": "a", "reward": 0, "advantage": -1.0}]


def score(*args: str, input: str = RECORDS, **kw):
    return rlvr("score", "--adv-eps", "0", *args, input=input, **kw)


def files_under(folder) -> list[str]:
    """Everything below FOLDER, as sorted relative paths: temporary files included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def device(tmp_path, name: str, how: str, minor: int):
    """A stand-in for /dev/null (minor 3) or /dev/full (minor 7): a device node of its own, or a symlink to the real
    one."""
    path = tmp_path / name
    if how == "link":
        path.symlink_to({3: "/dev/null", 7: "/dev/full"}[minor])
        return path
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("cannot make device nodes here")
    return path


def one_error_line(proc, text: str) -> None:
    assert proc.stderr == f"rlvr score: error: {text}\n", proc.stderr


# where writing goes: through symlinks, onto devices, FIFOs and /dev/stdout


def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path):
    target, link = tmp_path / "real.jsonl", tmp_path / "link.jsonl"
    target.write_text("old\n")
    link.symlink_to("real.jsonl")
    out = score("-o", str(link))
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and os.readlink(link) == "real.jsonl"
    assert read_jsonl(target.read_text()) == SCORED
    assert files_under(tmp_path) == ["link.jsonl", "real.jsonl"]


def test_output_through_a_dangling_symlink_creates_its_target(tmp_path):
    (tmp_path / "runs").mkdir()
    link = tmp_path / "latest.jsonl"
    link.symlink_to("runs/scored.jsonl")
    out = score("-o", str(link))
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and read_jsonl((tmp_path / "runs" / "scored.jsonl").read_text()) == SCORED
    assert files_under(tmp_path) == ["latest.jsonl", "runs", "runs/scored.jsonl"]


@pytest.mark.parametrize("how", ["node", "link"])
def test_output_onto_a_device_writes_it_in_place(tmp_path, how):
    null = device(tmp_path, "null", how, 3)
    for option in ("-o", "--rejects"):
        out = score("--on-error", "skip", option, str(null), input=RECORDS + "garbage\n")
        assert out.returncode == 0, out.stderr
        assert stat.S_ISCHR(os.stat(null).st_mode) and null.is_symlink() == (how == "link")
    assert files_under(tmp_path) == ["null"]


def test_output_onto_a_fifo_writes_through_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    try:
        out = score("-o", str(fifo), timeout=60)
        got, _ = reader.communicate(timeout=30)
    finally:
        reader.kill()
    assert out.returncode == 0, out.stderr
    assert read_jsonl(got.decode()) == SCORED
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and files_under(tmp_path) == ["pipe"]


def test_output_to_dev_stdout_writes_the_open_file_in_place(tmp_path):
    """`-o /dev/stdout` with stdout redirected to a file (`>> log`): the file is appended to, not replaced."""
    log, stdout = tmp_path / "log.jsonl", tmp_path / "stdout"
    log.write_text('{"earlier":true}\n')
    stdout.symlink_to("/proc/self/fd/1")
    inode = log.stat().st_ino
    with open(log, "ab") as f:
        proc = subprocess.run(
            [sys.executable, "-m", "rlvrkit.commands.cli", "score", "--adv-eps", "0", "-o", str(stdout)],
            input=RECORDS.encode(),
            stdout=f,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    assert log.stat().st_ino == inode and stdout.is_symlink()
    assert read_jsonl(log.read_text()) == [{"earlier": True}, *SCORED]
    assert files_under(tmp_path) == ["log.jsonl", "stdout"]


def test_rejects_through_a_symlink_and_onto_stderr(tmp_path):
    kept, link, stderr = tmp_path / "kept.jsonl", tmp_path / "rejects.jsonl", tmp_path / "stderr"
    link.symlink_to(kept)
    stderr.symlink_to("/proc/self/fd/2")
    text = RECORDS + "garbage\n"
    out = score("--on-error", "skip", "--rejects", str(link), input=text)
    assert out.returncode == 0 and kept.read_text() == "garbage\n" and link.is_symlink()
    out = score("--on-error", "skip", "--rejects", str(stderr), input=text)
    assert out.returncode == 0 and "garbage" in out.stderr.splitlines(), out.stderr
    assert read_jsonl(out.stdout) == SCORED
    assert files_under(tmp_path) == ["kept.jsonl", "rejects.jsonl", "stderr"]


def test_output_onto_a_socket_is_a_failure(tmp_path):
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        out = score("-o", str(tmp_path / "sock"))
    finally:
        sock.close()
    assert out.returncode == 1
    one_error_line(out, f"cannot write {tmp_path / 'sock'}: No such device or address")
    assert stat.S_ISSOCK(os.lstat(tmp_path / "sock").st_mode)


# paths that cannot be written: exit 1 with one line, before any work, nothing left behind


def test_output_naming_a_folder_fails_before_reading_and_leaves_nothing(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    # the input is not even JSON: the output is checked before the first line is read
    out = score("-o", str(folder), input="garbage\n")
    assert out.returncode == 1
    one_error_line(out, f"cannot write {folder}: Is a directory")
    assert files_under(tmp_path) == ["out"]


@pytest.mark.parametrize(
    "where,causes",
    [
        ("{tmp}/missing/out.jsonl", ["folder {tmp}/missing does not exist"]),
        ("{tmp}/file.txt/out.jsonl", ["Not a directory"]),
        ("/proc/rlvr-test.jsonl", ["No such file or directory"]),
        (
            "/sys/rlvr-test.jsonl",
            ["Permission denied", "Read-only file system"],
        ),  # some containers mount /sys read-only
    ],
)
def test_unwritable_output_is_a_failure_naming_path_and_cause(tmp_path, where, causes):
    (tmp_path / "file.txt").write_text("x\n")
    path = where.format(tmp=tmp_path)
    for option in ("-o", "--rejects"):
        out = score("--on-error", "skip", option, path)
        assert out.returncode == 1, out.stderr
        assert out.stderr in [f"rlvr score: error: cannot write {path}: {c.format(tmp=tmp_path)}\n" for c in causes]
    assert files_under(tmp_path) == ["file.txt"]


def test_a_missing_input_or_unwritable_rejects_leave_no_temporary_file(tmp_path):
    target = tmp_path / "out.jsonl"
    out = score("-i", str(tmp_path / "missing.jsonl"), "-o", str(target), "--rejects", str(tmp_path / "r.jsonl"))
    assert out.returncode == 2
    one_error_line(out, f"cannot read {tmp_path / 'missing.jsonl'}: No such file or directory")
    (tmp_path / "folder").mkdir()
    out = score("-o", str(target), "--on-error", "skip", "--rejects", str(tmp_path / "folder"))
    assert out.returncode == 1
    one_error_line(out, f"cannot write {tmp_path / 'folder'}: Is a directory")
    assert files_under(tmp_path) == ["folder"]


def test_check_output_and_check_input_name_the_cause_and_leave_nothing(tmp_path):
    (tmp_path / "in.jsonl").write_text("{}\n")
    os.mkfifo(tmp_path / "fifo")
    check_output(tmp_path / "new.jsonl")
    check_output(tmp_path / "in.jsonl")
    check_output(tmp_path / "fifo")  # only checked, not opened: opening would wait for a reader
    check_output("-")
    check_input(tmp_path / "in.jsonl")
    check_input(tmp_path / "fifo")
    with pytest.raises(Failure, match=f"^cannot write {tmp_path}: Is a directory$"):
        check_output(tmp_path)
    with pytest.raises(Failure, match="does not exist$"):
        check_output(tmp_path / "no" / "out.jsonl")
    with pytest.raises(BadInput, match=f"^cannot read {tmp_path}: Is a directory$"):
        check_input(tmp_path)
    with pytest.raises(BadInput, match="No such file or directory$"):
        check_input(tmp_path / "missing.jsonl")
    assert files_under(tmp_path) == ["fifo", "in.jsonl"]


def test_output_target_follows_links_and_writes_special_files_in_place(tmp_path):
    (tmp_path / "real").write_text("")
    (tmp_path / "link").symlink_to("real")
    (tmp_path / "stdout").symlink_to("/proc/self/fd/1")
    assert output_target(tmp_path / "link") == (str(tmp_path / "real"), True)
    assert output_target(tmp_path / "new") == (str(tmp_path / "new"), True)
    assert output_target("/dev/null") == ("/dev/null", False)
    assert output_target(tmp_path / "stdout") == (str(tmp_path / "stdout"), False)


# a full disk: one line, exit 1, nothing printed twice, no temporary file


@pytest.mark.parametrize("groups", [1, 20_000])  # failing at the last flush, and in the middle of the stream
def test_full_stdout_is_one_line_and_exit_1(groups):
    text = jsonl(*[{"id": str(g), "reward": r} for g in range(groups) for r in (1, 0)])
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "rlvrkit.commands.cli", "score"],
            input=text.encode(),
            stdout=full,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1"},
            timeout=120,
        )
    assert proc.returncode == 1
    assert proc.stderr.decode() == "rlvr score: error: cannot write stdout: No space left on device\n"


@pytest.mark.parametrize("how", ["node", "link"])
def test_output_onto_a_full_device_is_one_line_and_exit_1(tmp_path, how):
    full = device(tmp_path, "full", how, 7)
    out = score("-o", str(full))
    assert out.returncode == 1
    one_error_line(out, f"cannot write {full}: No space left on device")
    assert files_under(tmp_path) == ["full"]


def test_output_file_that_cannot_grow_is_a_failure_and_the_target_stays(tmp_path):
    """A file size limit (RLIMIT_FSIZE) makes writes fail the way a full disk does, on a real file."""
    target = tmp_path / "scored.jsonl"
    target.write_text("old\n")
    text = jsonl(*[{"id": str(g), "reward": r} for g in range(2000) for r in (1, 0)])
    limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # noqa: E731
    out = score("-o", str(target), input=text, preexec_fn=limit)
    assert out.returncode == 1
    one_error_line(out, f"cannot write {target}: File too large")
    assert target.read_text() == "old\n" and files_under(tmp_path) == ["scored.jsonl"]


class FullDisk:
    """Stands in for an output's open file: every write fails as on a full disk."""

    def __init__(self, f):
        self.f = f

    def write(self, data: bytes):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self):
        pass

    def close(self):
        self.f.close()


@pytest.mark.parametrize("which", ["output", "rejects"])
def test_full_disk_under_an_output_file_is_a_failure_and_leaves_nothing(tmp_path, which):
    src, target, rejects = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "rejects.jsonl"
    src.write_text('{"a":1}\nnope\n{"a":2}\n')
    failing = target if which == "output" else rejects
    with pytest.raises(Failure, match=f"^cannot write {re.escape(str(failing))}: No space left on device$"):
        with streams(Source(str(src), "skip", str(rejects)), str(target)) as (records, out):
            sink = out._out if which == "output" else records.rejects
            sink._f = FullDisk(sink._f)
            for rec in records:
                out.write(rec)
    assert files_under(tmp_path) == ["in.jsonl"]
