"""Work spread over several servers, each with a bounded number of requests in flight, surviving the loss of any of
them but the last.

`spread` runs every job exactly once: each live server gets `in_flight` worker threads (each with its own keep-alive
connection) that take the next job from one shared queue. A job whose server goes down (`ServerDown`) goes back to the
front of the queue for the others, and that server takes no more work for the rest of the run. Results are kept by
job index, so a job answered twice (a reply lost with its connection, then asked again elsewhere) is still recorded
once. The call fails with one line naming every server when none is left, or with the first other error any worker
meets (a refused request, a malformed reply).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from rlvrkit.errors import Failure
from rlvrkit.rollout.openai_api import Connection, ServerDown


class Server:
    """One server URL and whether it is still taking work (with the reason it stopped)."""

    def __init__(self, url: str):
        self.url = url
        self.down: str | None = None  # why it stopped taking work

    @property
    def alive(self) -> bool:
        return self.down is None


def none_left(servers: Sequence[Server]) -> Failure:
    gone = ", ".join(f"{s.url} ({s.down})" for s in servers)
    return Failure(f"no server left: {gone}")


class Spread:
    """The state one `spread` call shares between its worker threads, under one condition variable."""

    def __init__(self, jobs: Sequence[Any], log):
        self.jobs, self.log = jobs, log
        self.results: list[Any] = [None] * len(jobs)
        self.todo = deque(range(len(jobs)))
        self.missing = len(jobs)  # jobs without a result yet
        self.error: BaseException | None = None
        self.cond = threading.Condition()

    def take(self, server: Server) -> int | None:
        """The next job for `server`, waiting while other servers may still hand work back; None: stop."""
        with self.cond:
            while True:
                if self.error is not None or not server.alive or self.missing == 0:
                    return None
                if self.todo:
                    return self.todo.popleft()
                self.cond.wait()

    def done(self, i: int, result: Any) -> None:
        with self.cond:
            if self.results[i] is None:
                self.results[i] = result
                self.missing -= 1
            self.cond.notify_all()

    def lost(self, i: int, server: Server, err: ServerDown) -> None:
        """`server` failed on job i: the job goes back for the others and the server takes no more."""
        with self.cond:
            self.todo.appendleft(i)
            if server.alive:
                server.down = err.reason
                self.log.warn(f"{server.url} is gone ({err.reason}); its requests go to the other servers")
            self.cond.notify_all()

    def fail(self, err: BaseException) -> None:
        with self.cond:
            self.error = self.error or err
            self.cond.notify_all()


def spread(
    jobs: Sequence[Any],
    servers: Sequence[Server],
    send: Callable[[Connection, Any], Any],
    in_flight: int,
    log,
) -> list[Any]:
    """`send(connection, job)` for every job, on the live servers; the results in job order."""
    state = Spread(jobs, log)
    if not jobs:
        return []
    threads = [
        threading.Thread(target=_work, args=(state, server, send), daemon=True, name=f"rlvr {server.url}")
        for server in servers
        if server.alive
        for _ in range(min(in_flight, len(jobs)))
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.5)  # in steps, so Ctrl-C reaches the main thread
    except BaseException as err:  # Ctrl-C: the workers stop after their current request
        state.fail(err)
        raise
    if state.error is not None:
        raise state.error
    if state.missing:
        raise none_left(servers)
    return state.results


def _work(state: Spread, server: Server, send: Callable[[Connection, Any], Any]) -> None:
    connection = Connection(server.url)
    try:
        while (i := state.take(server)) is not None:
            try:
                result = send(connection, state.jobs[i])
            except ServerDown as err:
                state.lost(i, server, err)
                return
            except BaseException as err:  # a refused request, a malformed reply: the whole call fails with it
                state.fail(err)
                return
            state.done(i, result)
    finally:
        connection.close()


def on_each(servers: Sequence[Server], call: Callable[[Server], Any]) -> list[Any]:
    """`call(server)` on every live server at once (start-up checks, loading weights); the results in server order.
    The first error any call raises is raised here, after all have finished."""
    results: list[Any] = [None] * len(servers)
    errors: list[BaseException] = []

    def run(i: int, server: Server) -> None:
        try:
            results[i] = call(server)
        except BaseException as err:  # handed to the calling thread below
            errors.append(err)

    threads = [
        threading.Thread(target=run, args=(i, s), daemon=True, name=f"rlvr {s.url}")
        for i, s in enumerate(servers)
        if s.alive
    ]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.5)
    if errors:
        raise errors[0]
    return results
