"""The `rlvr verify` stream: records in; the same records, in the same order, with `reward` and `verdict` out.

Records enter a window in input order. Each term's verdict comes from the parent (format, length, and whatever is
settled without a worker), from the cache, from a task already running for the same input, or from a new pool task.
A finished record is serialized at once and waits as bytes until every record before it is out, so output order is
input order and one slow record (up to --timeout) does not stop the workers: the records behind it keep being
verified. Memory stays bounded: the reader stops for a while when too many records wait for verdicts (32 per worker)
or, behind a slow one, when too many finished lines pile up (WAITING_BYTES, WAITING_RECORDS). When the input pauses,
the `idle` hook finishes everything in flight and flushes, so `rollout | verify | train` streams promptly.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field, replace

from rlvrkit.jsonl import Source, check_streams, dumps, streams
from rlvrkit.verify.jobs import Job, Verdict, prepare, record_check, work
from rlvrkit.verify.options import CORRECTNESS, STATUSES, VerifyOptions
from rlvrkit.verify.pool import Done, Pool

CACHE_ENTRIES = 100_000  # oldest verdicts are forgotten first; duplicates arrive close together (groups)
WAITING_BYTES = 64 << 20  # finished lines held behind an unfinished record, at most (then the reader waits)
WAITING_RECORDS = 16_384
EXTRACTED_CHARS = 500  # the extracted answer is written whole up to this length, then cut


@dataclass
class _Entry:
    rec: dict | None  # until finished; then `line` holds it
    where: str
    verdicts: list = field(default_factory=list)  # one Verdict (or None while pending) per term
    missing: int = 0
    line: bytes | None = None


class Verifier:
    """Verdicts for a stream of records (see the module docstring). Use as a context manager: it owns the workers."""

    def __init__(self, opts: VerifyOptions):
        self.opts = opts
        self.max_unfinished = 32 * opts.jobs
        self.window: deque[_Entry] = deque()
        self.unfinished = 0  # entries in the window still waiting for a verdict
        self.waiting_bytes = 0  # size of the finished lines in the window
        self.cache: dict[tuple, Verdict] = {}
        self.waiting: dict[tuple, list[tuple[_Entry, int]]] = {}
        self.keys: dict[int, tuple[tuple, bool]] = {}
        self.tags = 0
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()
        self.cache_hits = 0
        self.bad_references = 0
        self.first_bad: str | None = None
        self.pool: Pool | None = None
        if opts.verifiers():
            if _may_use_math(opts):
                from rlvrkit.verify import maths

                maths.warm()
            self.pool = Pool(work(opts), opts.jobs, opts.timeout)

    def __enter__(self) -> Verifier:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.close()

    def feed(self, rec: dict, where: str) -> list[bytes]:
        """Take one record; return the lines of the records now finished, in input order."""
        entry = _Entry(rec, where, [None] * len(self.opts.terms))
        for i, name in enumerate(self.opts.names):
            outcome = prepare(name, rec, self.opts)
            if isinstance(outcome, Job):
                self._ask(entry, i, outcome)
            else:
                entry.verdicts[i] = outcome
        self.window.append(entry)
        if entry.missing:
            self.unfinished += 1
        else:
            self._finish(entry)
        if self.pool is not None:
            self._absorb(self.pool.poll())
            while self._full():
                self._absorb(self.pool.poll(wait=True))
        return self._ready()

    def _full(self) -> bool:
        if self.unfinished > self.max_unfinished:
            return True
        stuck = self.window and self.window[0].missing
        return bool(stuck) and (len(self.window) > WAITING_RECORDS or self.waiting_bytes > WAITING_BYTES)

    def drain(self) -> list[bytes]:
        """Finish every record in the window; return their lines in input order."""
        out = self._ready()
        while self.window:
            if self.pool is None or not self.pool.outstanding():
                raise RuntimeError("verify: a record waits for a verdict no worker is computing")
            self._absorb(self.pool.poll(wait=True))
            out += self._ready()
        return out

    def _ask(self, entry: _Entry, index: int, job: Job) -> None:
        key = job.key
        if key is not None:
            if key in self.cache:
                entry.verdicts[index] = replace(self.cache[key], ms=0.0)
                self.cache_hits += 1
                return
            if key in self.waiting:  # the same task is running: share its verdict
                self.waiting[key].append((entry, index))
                entry.missing += 1
                self.cache_hits += 1
                return
        tag = self.tags
        self.tags += 1
        name = key if key is not None else ("task", tag)
        self.keys[tag] = (name, key is not None)
        self.waiting[name] = [(entry, index)]
        entry.missing += 1
        self.pool.submit(tag, job.task)

    def _absorb(self, done: list[Done]) -> None:
        for d in done:
            name, cacheable = self.keys.pop(d.tag)
            verdict = self._verdict(d)
            if cacheable:
                if len(self.cache) >= CACHE_ENTRIES:
                    del self.cache[next(iter(self.cache))]
                self.cache[name] = verdict
            for n, (entry, index) in enumerate(self.waiting.pop(name)):
                entry.verdicts[index] = verdict if n == 0 else replace(verdict, ms=0.0)
                entry.missing -= 1
                if not entry.missing:
                    self.unfinished -= 1
                    self._finish(entry)

    def _verdict(self, d: Done) -> Verdict:
        ms = d.seconds * 1000
        if d.problem is None:
            r = d.result
            return Verdict(float(r["value"]), r["status"], r.get("extracted"), ms)
        if d.problem in ("timeout", "died"):
            return Verdict(0.0, "timeout", None, ms)
        self.errors[d.problem.removeprefix("error: ")] += 1
        return Verdict(0.0, "wrong", None, ms)

    def _ready(self) -> list[bytes]:
        out = []
        while self.window and not self.window[0].missing:
            line = self.window.popleft().line
            self.waiting_bytes -= len(line)
            out.append(line)
        return out

    def _finish(self, entry: _Entry) -> None:
        """Write `reward` and `verdict` into the record, and keep it as its output line."""
        names, verdicts = self.opts.names, entry.verdicts
        reward = float(sum(w * v.value for (_, w), v in zip(self.opts.terms, verdicts)))
        lead = next((i for i, n in enumerate(names) if n in CORRECTNESS), None)
        if lead is None and "format" in names:
            lead = names.index("format")
        status = verdicts[lead].status if lead is not None else "ok"
        extracted = verdicts[lead].extracted if lead is not None else None
        if isinstance(extracted, str) and len(extracted) > EXTRACTED_CHARS:
            extracted = extracted[: EXTRACTED_CHARS - 1] + "…"
        verdict = {"status": status, "extracted": extracted, "ms": round(sum(v.ms for v in verdicts), 2)}
        if len(names) > 1:
            verdict["terms"] = {n: v.value for n, v in zip(names, verdicts)}
        self.statuses[status] += 1
        if any(v.status == "bad_reference" for v in verdicts):
            self.bad_references += 1
            if self.first_bad is None:
                self.first_bad = f"{entry.where}: {str(entry.rec.get('answer'))[:80]!r}"
        rec = entry.rec
        rec["reward"] = reward
        rec["verdict"] = verdict
        entry.line, entry.rec = dumps(rec), None
        self.waiting_bytes += len(entry.line)

    def summary(self) -> list[tuple[str, str]]:
        """(level, message) lines for stderr: counts per status, cache hits, recycled workers, and any trouble."""
        total = sum(self.statuses.values())
        counts = ", ".join(f"{self.statuses[s]} {s}" for s in STATUSES if self.statuses[s])
        line = f"verified {total} record{'s' * (total != 1)}" + (f": {counts}" if counts else "")
        line += f"; cache hits {self.cache_hits}"
        if self.pool is not None:
            p = self.pool
            line += f"; workers recycled {p.recycled} ({p.overran} overran, {p.died} died)"
        lines = [("info", line)]
        if self.bad_references:
            lines.append(
                (
                    "warn",
                    f"{self.bad_references} record{'s' * (self.bad_references != 1)} with a reference answer that does "
                    "not parse or is longer than --max-chars (status bad_reference, reward 0), "
                    f"first at {self.first_bad}",
                )
            )
        if self.errors:
            n = sum(self.errors.values())
            names = ", ".join(f"{k} x{v}" for k, v in self.errors.most_common())
            lines.append(("warn", f"the verifier failed on {n} record{'s' * (n != 1)} ({names}); they count as wrong"))
        return lines


def _may_use_math(opts: VerifyOptions) -> bool:
    names = opts.names
    return "math" in names or ("task" in names and opts.task in (None, "math"))


def run_verify(source: Source, output: str, opts: VerifyOptions, log) -> None:
    """`rlvr verify`: records from `source`, verified records to `output`, the summary to `log`."""
    check_streams(source, output)  # before the workers start
    with Verifier(opts) as verifier:
        with streams(source, output, check=record_check(opts), log=log) as (records, out):
            with log.progress("records") as progress:

                def emit(finished: list[bytes]) -> None:
                    for line in finished:
                        out.write_line(line)
                    if finished:
                        progress.advance(len(finished))

                def idle() -> None:  # the input is about to wait: finish what is in flight and send it on
                    emit(verifier.drain())
                    out.flush()

                records.idle = idle
                for rec in records:
                    emit(verifier.feed(rec, records.where()))
                emit(verifier.drain())
    for level, message in verifier.summary():
        log.warn(message) if level == "warn" else log.info(message)
