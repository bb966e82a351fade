"""Worker processes that run one function on many tasks, each task under a hard wall-clock limit.

Why not multiprocessing.Pool or concurrent.futures: neither can stop a task that overruns. Verifying an answer can run
for minutes (a power tower like 9^{9^{9^9}}, a catastrophic regular expression, C-level sympy work a signal cannot
interrupt), so here every worker is a plain forked process the parent can SIGKILL and replace:

- Two limits. Inside the worker a SIGALRM timer (`soft`, a little under the limit) raises `SoftTimeout`, a
  BaseException that library code catching Exception does not swallow; the worker reports the timeout and is
  replaced anyway, since its state may be half-updated. In the parent, a task still running `timeout` seconds after
  it started gets its worker killed and replaced. Either way the task ends as a `Done` with problem "timeout".
- Fork, not spawn: the parent imports and warms the heavy libraries once, so a replacement worker is ready at once.
  The child closes what it inherited that is not its own (the other workers' pipes, stdin, stdout), so the
  pipeline's ends and the other workers' pipes close when they should, and it dies with the parent. It leaves with
  os._exit, so no inherited buffer is flushed twice.
- Each worker runs tasks in its main thread (SIGALRM only works there) and holds at most `depth` tasks, so the next
  one is waiting when the current one ends. Tasks and results travel as JSON (orjson), never pickles.
- A worker that dies (a segfault, the out-of-memory killer) ends its current task with problem "died"; its queued
  tasks go to the others. An exception in the function ends the task with problem "error: <name>"; nothing a task
  does can crash or hang the parent.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as ready

import orjson


class SoftTimeout(BaseException):
    """Raised inside a worker by its own timer. BaseException, so `except Exception` in library code lets it pass."""


@dataclass
class Done:
    """A finished task: `result` is what the function returned (None unless `problem` is None)."""

    tag: object
    result: dict | None
    problem: str | None  # None, "timeout", "died" or "error: <exception name>"
    seconds: float


@dataclass
class _Worker:
    pid: int
    conn: Connection
    tasks: deque = field(default_factory=deque)  # (tag, payload bytes), the first one running
    started: float = 0.0  # when the running task started, by the parent's clock


class Pool:
    """`jobs` forked workers running `work(task: dict) -> dict` (both JSON-able), `timeout` seconds per task at most.

    submit() queues a task; poll() hands back the tasks that finished, waiting for at least one when `wait` is true.
    Results come back in completion order; the caller matches them by tag.
    """

    def __init__(
        self,
        work: Callable[[dict], dict],
        jobs: int,
        timeout: float,
        soft: float | None = None,
        depth: int = 2,
    ):
        if jobs < 1 or timeout <= 0:
            raise ValueError("a pool needs jobs >= 1 and timeout > 0")
        self.work = work
        self.timeout = timeout
        self.soft = timeout * 0.8 if soft is None else soft
        self.depth = depth
        self.queue: deque = deque()
        self.overran = self.died = 0  # workers replaced because a task ran too long / because they died
        self._finished: list[Done] = []  # tasks that ended outside poll() (a worker found dead by a send)
        self._workers: list[_Worker] = []
        self._by_conn: dict[Connection, _Worker] = {}
        for _ in range(jobs):
            self._start()

    @property
    def recycled(self) -> int:
        return self.overran + self.died

    def outstanding(self) -> int:
        """Tasks submitted and not yet handed back by poll()."""
        return len(self.queue) + sum(len(w.tasks) for w in self._workers)

    def submit(self, tag, task: dict) -> None:
        self.queue.append((tag, orjson.dumps(task)))
        self._dispatch()

    def poll(self, wait: bool = False) -> list[Done]:
        """The tasks finished since the last call. With `wait`, block until there is at least one (unless nothing is
        outstanding); a task past its limit counts as finished, so this never waits much longer than `timeout`."""
        done: list[Done] = []
        while True:
            self._dispatch()
            done += self._finished
            self._finished = []
            busy = [w for w in self._workers if w.tasks]
            if not busy:
                return done
            now = time.monotonic()
            pause = 0.0
            if wait and not done:
                pause = max(0.0, min(w.started for w in busy) + self.timeout - now)
            for conn in ready([w.conn for w in busy], pause):
                self._receive(self._by_conn[conn], done)
            now = time.monotonic()
            for w in busy:
                if w in self._workers and w.tasks and now - w.started >= self.timeout and not w.conn.poll():
                    tag, _ = w.tasks.popleft()
                    done.append(Done(tag, None, "timeout", now - w.started))
                    self.overran += 1
                    self._replace(w)
            if done or not wait:
                return done

    def close(self) -> None:
        """Stop every worker (they hold nothing worth keeping) and forget the queue."""
        for w in list(self._workers):
            self._stop(w)
        self._workers.clear()
        self._by_conn.clear()
        self.queue.clear()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the parent's side

    def _dispatch(self) -> None:
        while self.queue:
            w = min(self._workers, key=lambda w: len(w.tasks))
            if len(w.tasks) >= self.depth:
                return
            tag, payload = self.queue.popleft()
            try:
                w.conn.send_bytes(payload)
            except OSError:  # it died since we last looked
                self.queue.appendleft((tag, payload))
                if w.tasks:
                    tag, _ = w.tasks.popleft()
                    self._finished.append(Done(tag, None, "died", time.monotonic() - w.started))
                self._lost(w)
                continue
            if not w.tasks:
                w.started = time.monotonic()
            w.tasks.append((tag, payload))

    def _receive(self, w: _Worker, done: list[Done]) -> None:
        """Read what worker `w` has sent; replace it if it timed out or died."""
        while w.tasks:
            try:
                if not w.conn.poll():
                    return
                kind, value, seconds = orjson.loads(w.conn.recv_bytes())
            except (EOFError, OSError, orjson.JSONDecodeError, ValueError):
                tag, _ = w.tasks.popleft()
                done.append(Done(tag, None, "died", time.monotonic() - w.started))
                self._lost(w)
                return
            tag, _ = w.tasks.popleft()
            w.started = time.monotonic()
            if kind == "ok":
                done.append(Done(tag, value, None, seconds))
            elif kind == "timeout":
                done.append(Done(tag, None, "timeout", seconds))
                self.overran += 1
                self._replace(w)
                return
            else:
                done.append(Done(tag, None, f"error: {value}", seconds))

    def _lost(self, w: _Worker) -> None:
        self.died += 1
        self._replace(w)

    def _replace(self, w: _Worker) -> None:
        """Kill `w`, put its tasks that had not finished back at the front of the queue, start a fresh worker."""
        self.queue.extendleft(reversed(w.tasks))
        w.tasks.clear()
        self._stop(w)
        self._workers.remove(w)
        self._start()

    def _stop(self, w: _Worker) -> None:
        self._by_conn.pop(w.conn, None)
        try:
            os.kill(w.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        w.conn.close()
        try:
            os.waitpid(w.pid, 0)
        except ChildProcessError:
            pass

    def _start(self) -> None:
        mine, theirs = socket.socketpair()
        inherited = [w.conn for w in self._workers]
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            code = 0
            try:
                mine.close()
                for conn in inherited:
                    conn.close()
                _become_worker(parent)
                _serve(Connection(theirs.detach()), self.work, self.soft)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        w = _Worker(pid, Connection(mine.detach()))
        self._workers.append(w)
        self._by_conn[w.conn] = w


# -- the worker's side


def _alarm(signum, frame):
    raise SoftTimeout()


def _become_worker(parent: int) -> None:
    """Detach a fresh child from what belongs to the parent: signals, the pipeline's stdin and stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it then stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGALRM, _alarm)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    try:  # Linux: die with the parent even while busy in C code
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(0)


def _serve(conn: Connection, work: Callable[[dict], dict], soft: float) -> None:
    while True:
        try:
            task = orjson.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        start = time.perf_counter()
        try:
            try:
                signal.setitimer(signal.ITIMER_REAL, soft)
                reply = ["ok", work(task)]
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except Exception as err:  # its name only: str() of an exception holding a parsed object may never end
            reply = ["error", type(err).__name__]
        except BaseException:  # SoftTimeout, or a library's own BaseException timeout (math-verify's TimeoutException)
            reply = ["timeout", None]
        reply.append(time.perf_counter() - start)
        try:
            data = orjson.dumps(reply)
        except TypeError:
            data = orjson.dumps(["error", "result is not JSON", reply[-1]])
        try:
            conn.send_bytes(data)
        except OSError:
            return
