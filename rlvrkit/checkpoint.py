"""Versioned checkpoints in a run directory, each published atomically; what `train` writes and `rollout --watch` reads.

    RUN/
      versions/v000003/      one complete version: the policy, as a full model or a LoRA adapter (safetensors),
        rlvr.json            {"version": 3, "kind": "full" | "adapter", "base_model": "/abs/path"}; written last
        trainer/             optimizer state and train state (step, RNG, config, data cursor): what resume reads
      latest -> versions/v000003
      .lock                  held (flock) by the one process training the run; it holds its pid

A version is written under a temporary name, synced to disk and renamed into place; `latest` is replaced after that.
A process killed at any moment therefore leaves either the old set of versions or the old set plus one complete new
one, never a half-written version under a real name. Readers take the newest complete version, so even a run killed
between the rename and the `latest` update loses nothing. Pruning is the same move backwards: a version is renamed out
of sight first and deleted after, so a reader (`rollout --watch`) never finds a version folder with its files half gone.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rlvrkit.errors import Failure

META = "rlvr.json"
_VERSION_DIR = re.compile(r"^v(\d{6,})$")


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    version: int
    kind: str  # "full" or "adapter"
    base_model: str | None


def _read(path: Path) -> Checkpoint | None:
    try:
        meta = json.loads((path / META).read_text())
        return Checkpoint(path, int(meta["version"]), meta["kind"], meta.get("base_model"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def versions(run: str | Path) -> list[Checkpoint]:
    """Every complete version in the run directory, oldest first."""
    root = Path(run) / "versions"
    if not root.is_dir():
        return []
    found = [_read(p) for p in root.iterdir() if _VERSION_DIR.match(p.name)]
    return sorted((c for c in found if c is not None), key=lambda c: c.version)


def latest(run: str | Path) -> Checkpoint | None:
    """The newest complete version, or None when the run has published nothing yet."""
    found = versions(run)
    return found[-1] if found else None


def check_writable(run: str | Path) -> None:
    """Make sure versions can be published in `run` (creating it), before anything is trained: `Failure` otherwise."""
    root = Path(run) / "versions"
    probe = root / f".probe-{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe.mkdir()
        probe.rmdir()
    except OSError as err:
        raise Failure(f"cannot write checkpoints in {run}: {err.strerror or err}") from None


def hold(run: str | Path):
    """Take the run's lock, an exclusive flock on RUN/.lock held until the returned file is closed or the process
    ends (however it ends): one trainer per run. `Failure` naming the run while another process holds it."""
    lock = open(Path(run) / ".lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        pid = lock.read().strip()
        lock.close()
        by = f"another process (pid {pid})" if pid.isdigit() else "another process"
        raise Failure(f"{run} is being trained by {by}: wait for it to end, or name another --ckpt") from None
    lock.truncate(0)
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def version_dir(run: str | Path, version: int) -> Path:
    return Path(run) / "versions" / f"v{version:06d}"


def publish(
    run: str | Path, version: int, kind: str, base_model: str | None, write: Callable[[Path], None]
) -> Checkpoint:
    """Write a new version with `write(folder)`, then make it visible atomically and point `latest` at it."""
    run = Path(run)
    final = version_dir(run, version)
    if final.exists():
        raise Failure(f"{final} already exists: another process is writing this run")
    tmp = final.with_name(f".tmp-{final.name}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write(tmp)
    meta = {"version": version, "kind": kind, "base_model": base_model}
    (tmp / META).write_text(json.dumps(meta, indent=1) + "\n")
    _sync_tree(tmp)
    os.rename(tmp, final)
    _sync_dir(final.parent)
    link = run / "latest"
    tmp_link = run / f".latest-{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(Path("versions") / final.name)
    os.replace(tmp_link, link)
    _sync_dir(run)
    return Checkpoint(final, version, kind, base_model)


def prune(run: str | Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` complete versions, and leftovers of interrupted writes; returns what went."""
    gone = []
    complete = versions(run)
    for c in complete[: max(len(complete) - keep, 0)]:
        hidden = c.path.with_name(f".gone-{c.path.name}-{os.getpid()}")
        os.rename(c.path, hidden)
        shutil.rmtree(hidden)
        gone.append(c.path)
    root = Path(run) / "versions"
    leftovers = [*root.glob(".tmp-v*"), *root.glob(".gone-v*")] if root.is_dir() else []
    for p in leftovers:
        if not _alive(p.name.rsplit("-", 1)[-1]):
            shutil.rmtree(p, ignore_errors=True)
            gone.append(p)
    return gone


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _sync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for d in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _sync_dir(d)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
