"""`rlvr compose`: harder verifiable prompts from the ones you have (Composition-RL, arXiv 2602.12036).

Each input record is a last problem qK; the earlier problems come from --first (default: the input itself, read
whole first). As in the paper, every qK is tried with q1s drawn from a fresh random subset of --candidates problems
(its own draw, seeded by --seed and qK's id, so a record's compositions do not depend on what else is in the input);
with --depth K > 2 each candidate is a chain q1..qK whose middle problems are drawn at random too. A chain is
composed by rules (rlvrkit.compose.spc), phrased by a model with --llm (rlvrkit.compose.phrase), and written only after
the exact self-check (rlvrkit.compose.selfcheck) passes; what cannot be composed is counted by reason, and a failed
self-check is counted and dropped.

Without --pairs every qK gets all its compositions, one qK after the other, as the input streams. --pairs N spreads
the N over the input: the output comes in passes, and each pass gives every qK at most one composition (its next
candidate that composes), so N prompts from N or more composable qKs use N distinct qKs. The first pass streams (it
stops reading once N are written); later passes, needed only when the input has fewer than N composable qKs, go
over the qKs kept from the first (in memory).
"""

from __future__ import annotations

import itertools
import os
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from rlvrkit.compose.options import ComposeOptions
from rlvrkit.compose.selfcheck import check
from rlvrkit.compose.spc import Chain, Problem, plan, record
from rlvrkit.errors import BadInput
from rlvrkit.jsonl import Source, check_input, check_streams, read_all, streams, windows
from rlvrkit.records import Skipped, check_answer, check_id, check_text, plural

WINDOW = 64  # chains composed together (one batch for the model with --llm)
SMALL = (0, 1, 2)  # replaced values the summary reports the share of


def check_problem(rec: dict) -> None:
    """A record compose can use: an id, the problem in `prompt` and a reference `answer`."""
    check_id(rec)
    check_text(rec, "prompt", "the problem text compose builds on")
    check_answer(rec, "the reference answer a composed prompt is built on")


@dataclass
class Counts:
    """What happened to the candidates, for the summary on stderr; tried and composed by the rule that read q1's
    answer (or, for a q1 no rule reads, the reason)."""

    unit: str = "pairs"  # what a candidate is: a pair, or a chain at depth > 2
    tried_by: Counter = field(default_factory=Counter)
    composed: Counter = field(default_factory=Counter)
    skipped: Skipped = field(default_factory=Skipped)  # candidates that cannot be composed, by reason
    failed: Skipped = field(default_factory=Skipped)  # self-check failures (dropped), by reason
    lasts: set = field(default_factory=set)  # the ids of the last problems composed
    replaced: Counter = field(default_factory=Counter)  # the values replaced in the written prompts

    @property
    def tried(self) -> int:
        return sum(self.tried_by.values())

    def small_share(self) -> str:
        """``3.5% (7 of 200)``: the share of replaced values that are 0, 1 or 2 (q2 alone often gives them away)."""
        n, small = sum(self.replaced.values()), sum(self.replaced[v] for v in SMALL)
        return f"{100 * small / n:.1f}% ({small} of {n})" if n else "none replaced"

    def summary(self) -> str:
        """``40 pairs tried, 36 composed (30 distinct last problems); by q1's rule, composed/tried: integer 30/32, …;
        4 skipped: …; 0 failed the self-check; replaced values 0, 1 or 2: 2.8% (1 of 36)``"""
        made = sum(self.composed.values())
        lasts = f"{len(self.lasts)} distinct {plural('last problem', len(self.lasts))}"
        line = f"{self.tried} {self.unit} tried, {made} composed ({lasts})"
        rules = [(rule, n) for rule, n in self.tried_by.most_common() if not rule.startswith("q1:")]
        if rules:
            line += "; by q1's rule, composed/tried: " + ", ".join(f"{r} {self.composed[r]}/{n}" for r, n in rules)
        if skipped := self.skipped.describe(self.unit[:-1]):
            line += f"; {skipped}"
        failed = sum(self.failed.values())
        line += f"; {failed} failed the self-check"
        line += f" and were dropped (first: {next(iter(self.failed))})" if failed else ""
        return line + f"; replaced values 0, 1 or 2: {self.small_share()}"


def draws(last: Problem, pool: list[Problem], opts: ComposeOptions) -> Iterator[tuple[Problem, ...]]:
    """The candidate chains (q1, …, last): q1 from a fresh random subset of `candidates` problems of the pool (never
    `last` itself), each middle problem drawn at random, all distinct within a chain."""
    rng = random.Random(f"{opts.seed}:{last.id}")
    others = [i for i in rng.sample(range(len(pool)), min(len(pool), opts.candidates + 1)) if pool[i].id != last.id]
    if len(others) < opts.depth - 1:
        return
    for first in others[: opts.candidates]:
        chain = [first]
        while len(chain) < opts.depth - 1:  # the middle problems: any others, all distinct
            i = rng.randrange(len(pool))
            if i not in chain and pool[i].id != last.id:
                chain.append(i)
        yield (*(pool[i] for i in chain), last)


def candidates(last: Problem, pool: list[Problem], opts: ComposeOptions, counts: Counts) -> Iterator[Chain]:
    """The chains of `last`'s candidates that can be composed, in draw order; the others counted by reason."""
    for problems in draws(last, pool, opts):
        reading = problems[0].reading
        counts.tried_by[reading if isinstance(reading, str) else reading.rule] += 1
        chain = plan(problems)
        if isinstance(chain, str):
            counts.skipped[chain] += 1
        else:
            yield chain


def planned(lasts: Iterable[Problem], pool: list[Problem], opts: ComposeOptions, counts: Counts) -> Iterator[Chain]:
    """The chains to compose: without --pairs every last problem's, one after the other; with it, in passes over
    the input, each last problem's next one per pass (the first pass as the input streams)."""
    if opts.pairs is None:
        for last in lasts:
            yield from candidates(last, pool, opts, counts)
        return
    waiting = (candidates(last, pool, opts, counts) for last in lasts)
    while True:
        kept = []
        for chains in waiting:
            chain = next(chains, None)
            if chain is not None:
                kept.append(chains)
                yield chain
        if not kept:
            return
        waiting = kept


def finished(chains: list[Chain], phraser, counts: Counts) -> Iterator[dict]:
    """The composed records of a window of chains that pass the self-check (definitions phrased when a model is
    given); failures are counted, never yielded."""
    asks = [
        (c.problems[j].text, c.problems[j].answer, link.reading, link.name(0))
        for c in chains
        for j, link in enumerate(c.links)
    ]
    phrased = iter(phraser.phrase(asks) if phraser else [None] * len(asks))
    for chain in chains:
        mine = [next(phrased) for _ in chain.links]
        definitions = [p or link.definition() for p, link in zip(mine, chain.links)]
        rec = record(chain, definitions, [phraser.model if p else None for p in mine])
        failure = check(rec, list(chain.problems))
        if failure:
            counts.failed[failure] += 1
            continue
        counts.composed[chain.links[0].reading.rule] += 1
        counts.lasts.add(chain.problems[-1].id)
        counts.replaced.update(link.constant.value for link in chain.links)
        yield rec


def composed(lasts: Iterable[Problem], pool: list[Problem], opts: ComposeOptions, phraser, counts: Counts):
    """The composed records that pass the self-check, window by window (the model's batch with --llm), --pairs at
    most."""
    size = min(WINDOW, opts.pairs or WINDOW)
    chains = windows(planned(lasts, pool, opts, counts), size)
    yield from itertools.islice((rec for window in chains for rec in finished(window, phraser, counts)), opts.pairs)


def read_first(path: str, source: Source, log) -> list[Problem]:
    """The earlier problems, from --first (bad lines follow the input's --on-error; the rejects file is the input's
    alone)."""
    records = read_all(path, check=check_problem, on_error=source.on_error, log=log, what="--first: ")
    pool = [Problem(rec) for rec in records]
    if not pool:
        raise BadInput(f"{path}: no problems to compose with")
    return pool


def _not_written(first: str, outputs: list[str | None]) -> None:
    """BadInput when --first is the file an output would replace (through links too): refused before any work."""
    for path in outputs:
        if path not in (None, "-") and first != "-" and os.path.exists(path) and os.path.samefile(first, path):
            raise BadInput(f"--first {first} and the output {path} are the same file: writing would replace it")


def run_compose(source: Source, output: str, opts: ComposeOptions, log) -> None:
    """`rlvr compose`: composed prompt records from the records of `source` (the last problems) to `output`."""
    check_streams(source, output)
    if opts.first is not None:
        check_input(opts.first)
        _not_written(opts.first, [output, source.rejects])
    pool = read_first(opts.first, source, log) if opts.first is not None else None
    phraser = None
    if opts.llm is not None:
        from rlvrkit.compose.phrase import Phraser

        phraser = Phraser(opts.llm, log)
    counts = Counts("pairs" if opts.depth == 2 else "chains")
    with streams(source, output, check=check_problem, log=log) as (records, out), log.progress("prompts") as progress:
        lasts = (Problem(rec) for rec in records)
        if pool is None:
            pool = list(lasts)
            lasts = iter(pool)
        for rec in composed(lasts, pool, opts, phraser, counts):
            out.write(rec)
            progress.advance()
    log.info(counts.summary())
    if phraser is not None:
        log.info(phraser.summary())
