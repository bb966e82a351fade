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

With --llm the model proposes the span and ten or more distractors first (rlvrkit.mask.llm); what it proposes
passes the same rules or the rule-based item is made instead (counted).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from rlvrkit.jsonl import Source, check_streams, streams
from rlvrkit.mask.arithmetic import numbers
from rlvrkit.mask.distractors import Distractor, borrowed, diversified, numeric, swaps
from rlvrkit.mask.items import Doc, Item, check_source, context_of, doc_of, fill, item_record
from rlvrkit.mask.options import MaskOptions
from rlvrkit.mask.spans import candidates, recoverable
from rlvrkit.records import Skipped

MAX_SPANS = 12  # spans tried per source before it is skipped


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
        chosen = distractors_for(truth, context, span.last - span.first + 1, (pool, doc.id), opts, rng)
        if chosen is not None:
            return Item(span.start, span.end, chosen)
    return reason


def distractors_for(truth: str, context: str, k: int, pool: tuple, opts: MaskOptions, rng) -> list[Distractor] | None:
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


@dataclass
class Yield:
    """What mask made of its sources, for its lines on stderr: items (and how their distractors were made), sources
    skipped by reason, and with --llm / --extract what the model's answers became."""

    items: int = 0
    skipped: Skipped = field(default_factory=Skipped)  # sources without an item, by reason
    distractors: Counter = field(default_factory=Counter)  # by how they were made
    llm_items: int = 0
    llm_fallbacks: Skipped = field(default_factory=Skipped)  # model proposals refused, by reason
    extracted: int = 0
    extract_fallbacks: Skipped = field(default_factory=Skipped)  # texts kept as they were, by reason


def items(docs: list[Doc], opts: MaskOptions, tally: Yield, proposals: Iterator | None = None) -> Iterator[dict]:
    """The item of each source that yields one, counting in `tally` what was made and why a source was skipped.
    `proposals`: the model's answer for each source, in order (--llm)."""
    by_subject = pools(docs)
    for doc in docs:
        rng = random.Random(f"{opts.seed}:{doc.id}")
        made = llm_item_or_reason(doc, next(proposals), opts, rng, tally) if proposals is not None else None
        made = made or rule_item(doc, by_subject[doc.subject], opts, rng)
        if isinstance(made, str):
            tally.skipped[made] += 1
            continue
        tally.items += 1
        tally.distractors.update(d.how for d in made.distractors)
        yield item_record(doc, made, opts.mode, rng)


def llm_item_or_reason(doc: Doc, answer: str, opts: MaskOptions, rng: random.Random, tally: Yield) -> Item | None:
    """The model's item when it passes the rules; else None, with the reason counted as a fallback."""
    from rlvrkit.mask.llm import llm_item

    made = llm_item(doc, answer, opts.n_options - 1, rng)
    if isinstance(made, str):
        tally.llm_fallbacks[made] += 1
        return None
    tally.llm_items += 1
    return made


def describe(tally: Yield, sources: int) -> list[str]:
    """The summary lines for stderr: yield, skips by reason, distractor kinds, and the model's share (--llm)."""
    lines = [f"{tally.items} items from {sources} sources ({100 * tally.items / max(sources, 1):.1f}%)"]
    if skipped := tally.skipped.describe("source"):
        lines.append(skipped)
    if tally.distractors:
        lines.append("distractors: " + ", ".join(f"{n} {how}" for how, n in tally.distractors.most_common()))
    if tally.extracted or tally.extract_fallbacks or tally.skipped["no passage"]:
        kept = tally.extract_fallbacks.describe("text", verb="could not extract from")
        lines.append(
            f"--extract: {tally.extracted} passages extracted, {tally.skipped['no passage']} sources without one"
            + (f"; {kept} (used as they were)" if kept else "")
        )
    if tally.llm_items or tally.llm_fallbacks:
        fell = tally.llm_fallbacks.describe("item", verb="fell back to the rules for")
        lines.append(f"--llm: {tally.llm_items} items from the model" + (f"; {fell}" if fell else ""))
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
        tally = Yield()
        proposals = None
        if model is not None:
            from rlvrkit.mask.llm import ask_model

            docs, proposals = ask_model(docs, model, opts.extract, tally)
        with log.progress("items") as progress:
            for rec in items(docs, opts, tally, proposals):
                out.write(rec)
                progress.advance()
        for line in describe(tally, len(docs) + tally.skipped["no passage"]):
            log.info(line)
