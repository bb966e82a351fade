"""`rlvr mask`: Golden Goose's multiple-choice fill-in-the-middle items, made from text nobody can verify.

A source is a prompt record with a reference `solution` (the default, math mode: `prompt` is the problem) or a `text`
passage (``--mode passage``). Its text is cut into steps (`spans.split_steps`); a span of several steps that carries
reasoning is hidden behind [MASK] (`spans`), and the student picks it back out of `options` options: the span itself
and options−1 wrong ones (`distractors`), shuffled from --seed so the correct letter is uniform. The item is a
prompt record of task mcq, `rlvr verify` scores the letter:

    {"id": "<source id>/mask", "prompt": "<the paper's student prompt, options last>", "system": SYSTEM,
     "answer": "C", "task": "mcq", "meta": {"source": …, "span": …, "options": [9 texts], "distractors":
     {"A": {"how": "numeric", "what": "400 -> 401 (off by one)"}, …}, "mode": "math"}, …the source's other fields}

Spans are tried in random order until one gives enough distractors: perturbations of the span first, then at most
`max_borrowed` spans of other documents of the same subject. A source where no span gives options−1 good distractors
is skipped and counted by reason, never padded. The borrowed spans need the other documents, so the whole input is
read before the first item is written.

With --llm the model proposes the span and ten or more distractors first (rlvrkit.data.mask_llm); what it proposes
passes the same rules or the rule-based item is made instead (counted).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from rlvrkit.data.arithmetic import numbers
from rlvrkit.data.distractors import Distractor, borrowed, diversified, numeric, swaps
from rlvrkit.data.items import LETTERS, Doc, Item, check_source, context_of, doc_of, fill, item_record
from rlvrkit.data.spans import candidates, recoverable
from rlvrkit.jsonl import Source, check_streams, streams

MAX_SPANS = 12  # spans tried per source before it is skipped


@dataclass(frozen=True)
class MaskOptions:
    """`rlvr mask`'s options."""

    mode: str = "math"  # math: prompt + solution; passage: text
    span_steps: str = "1-3"  # MIN-MAX steps in the hidden span
    n_options: int = 9  # --options: options per item: the span and options-1 distractors
    max_borrowed: int = 3  # at most this many distractors are spans of other documents
    seed: int = 0
    llm: str | None = None  # a local model folder: the paper's pipeline first, the rules as the fallback
    llm_max_tokens: int = 1024
    extract: bool = False  # with --llm and --mode passage: first extract a clean passage from noisy text

    def __post_init__(self):
        self.steps_range  # noqa: B018 (refuses a bad --span-steps now)
        if self.mode not in ("math", "passage"):
            raise ValueError("--mode must be math or passage")
        if not 2 <= self.n_options <= len(LETTERS):
            raise ValueError(f"--options must be between 2 and {len(LETTERS)}")
        if self.max_borrowed < 0:
            raise ValueError("--max-borrowed must be >= 0")
        if self.extract and (self.llm is None or self.mode != "passage"):
            raise ValueError("--extract needs --llm MODEL and --mode passage")
        if self.llm_max_tokens < 1:
            raise ValueError("--llm-max-tokens must be >= 1")

    @property
    def steps_range(self) -> tuple[int, int]:
        """--span-steps "2-4" → (2, 4); "2" → (2, 2)."""
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", self.span_steps)
        lo, hi = (int(m.group(1)), int(m.group(2) or m.group(1))) if m else (0, 0)
        if not 1 <= lo <= hi:
            raise ValueError(f"--span-steps must be MIN-MAX with 1 <= MIN <= MAX, got {self.span_steps!r}")
        return lo, hi


def rule_item(doc: Doc, pool: list[Doc], opts: MaskOptions, rng: random.Random) -> Item | str:
    """The rule-based item of a source, or the reason there is none (its skip reason)."""
    lo, hi = opts.steps_range
    spans = candidates(doc.text, doc.steps, lo, hi)
    if not spans:  # a span is never the whole text: it needs at least one step more than MIN
        return "too few steps" if len(doc.steps) <= lo else "no span with reasoning"
    rng.shuffle(spans)
    reason = "recoverable"
    for span in spans[:MAX_SPANS]:
        truth, context = doc.text[span.start : span.end], context_of(doc, span.start, span.end)
        if recoverable(truth, context, [doc.text[a:b] for a, b in doc.steps[span.first : span.last + 1]]):
            continue
        reason = "too few distractors"
        chosen = choose(truth, context, span.last - span.first + 1, (pool, doc.id), opts, rng)
        if chosen is not None:
            return Item(span.start, span.end, chosen)
    return reason


def choose(truth: str, context: str, k: int, pool: tuple, opts: MaskOptions, rng) -> list[Distractor] | None:
    """options-1 distractors for `truth`: its perturbations first, then at most max_borrowed spans of other
    documents (`pool` is (documents of the subject, this document's id)); None when there are not enough."""
    need = opts.n_options - 1
    stated = {value for _, _, value in numbers(context)}
    picked = fill([], diversified(numeric(truth, stated) + swaps(truth), rng), truth, need)
    if len(picked) + opts.max_borrowed < need:
        return None
    docs, own = pool
    picked = fill(picked, borrowed(truth, k, docs, rng, own), truth, need)
    return picked if len(picked) == need else None


def pools(docs: list[Doc]) -> dict[str, list[Doc]]:
    """The documents of each subject (one pool when the records have no subject)."""
    out: dict[str, list[Doc]] = {}
    for doc in docs:
        out.setdefault(doc.subject, []).append(doc)
    return out


def items(docs: list[Doc], opts: MaskOptions, counts: Counter, proposals: Iterator | None = None) -> Iterator[dict]:
    """The item of each source that yields one, counting in `counts` what was made and why a source was skipped.
    `proposals`: the model's answer for each source, in order (--llm)."""
    by_subject = pools(docs)
    for doc in docs:
        rng = random.Random(f"{opts.seed}:{doc.id}")
        made = llm_item_or_reason(doc, next(proposals), opts, rng, counts) if proposals is not None else None
        made = made or rule_item(doc, by_subject[doc.subject], opts, rng)
        if isinstance(made, str):
            counts[f"skipped: {made}"] += 1
            continue
        counts["items"] += 1
        counts.update(f"distractor: {d.how}" for d in made.distractors)
        yield item_record(doc, made, opts.mode, rng)


def llm_item_or_reason(doc: Doc, answer: str, opts: MaskOptions, rng: random.Random, counts: Counter) -> Item | None:
    """The model's item when it passes the rules; else None, with the reason counted as a fallback."""
    from rlvrkit.data.mask_llm import llm_item

    made = llm_item(doc, answer, opts.n_options - 1, rng)
    if isinstance(made, str):
        counts[f"llm fallback: {made}"] += 1
        return None
    counts["llm items"] += 1
    return made


def _by(counts: Counter, prefix: str) -> dict[str, int]:
    return {k[len(prefix) :]: v for k, v in counts.most_common() if k.startswith(prefix)}


def _listed(found: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in found.items())


def describe(counts: Counter, sources: int) -> list[str]:
    """The summary lines for stderr: yield, skips by reason, distractor kinds, and the model's share (--llm)."""
    made = counts["items"]
    lines = [f"{made} items from {sources} sources ({100 * made / max(sources, 1):.1f}%)"]
    if skips := _by(counts, "skipped: "):
        lines.append(f"skipped {sum(skips.values())}: {_listed(skips)}")
    if kinds := _by(counts, "distractor: "):
        lines.append(f"distractors: {_listed(kinds)}")
    extracted = _by(counts, "extract fallback: ")
    if "extracted" in counts or extracted or "skipped: no passage" in counts:
        lines.append(
            f"--extract: {counts['extracted']} passages extracted, {counts['skipped: no passage']} sources without "
            f"one, {sum(extracted.values())} kept as they were" + (f" ({_listed(extracted)})" if extracted else "")
        )
    fallbacks = _by(counts, "llm fallback: ")
    if "llm items" in counts or fallbacks:
        lines.append(
            f"--llm: {counts['llm items']} items from the model, {sum(fallbacks.values())} fell back to the rules"
            + (f" ({_listed(fallbacks)})" if fallbacks else "")
        )
    return lines


def run_mask(source: Source, output: str, opts: MaskOptions, log) -> None:
    """`rlvr mask`: every source record of `source` read, then its item (if it yields one) written to `output`."""
    check_streams(source, output)
    model = None
    if opts.llm is not None:
        from rlvrkit.llm import LocalModel

        model = LocalModel(opts.llm, opts.llm_max_tokens, log)
    with streams(source, output, check=check_source(opts.mode), log=log) as (records, out):
        docs = [doc_of(rec, opts.mode) for rec in records]
        counts: Counter = Counter()
        proposals = None
        if model is not None:
            from rlvrkit.data.mask_llm import ask_model

            docs, proposals = ask_model(docs, model, opts.extract, counts)
        with log.progress("items") as progress:
            for rec in items(docs, opts, counts, proposals):
                out.write(rec)
                progress.advance()
        for line in describe(counts, len(docs) + counts["skipped: no passage"]):
            log.info(line)
