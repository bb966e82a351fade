"""`rlvr mask`: Golden Goose's multiple-choice fill-in-the-middle items, made from text nobody can verify.

A source is a prompt record with a reference `solution` (the default, math mode: `prompt` is the problem) or a `text`
passage (``--mode passage``). Its text is cut into steps (`spans.split_steps`); a span of several steps that carries
reasoning is hidden behind [MASK] (`spans`), and the student picks it back out of `options` options drawn from a
family of versions of the span in which the truth is one member like any other (rlvrkit.mask.family: sites from
rlvrkit.mask.sites, numeric, words and swaps), shuffled from --seed so the correct letter is uniform. The item is a
prompt record of task mcq, `rlvr verify` scores the letter:

    {"id": "<source id>/mask-<hash>", "prompt": "<the paper's student prompt, options last>", "system": SYSTEM,
     "answer": "C", "task": "mcq", "meta": {"source": …, "span": …, "options": [9 texts], "distractors":
     {"A": {"how": "numeric+swap", "what": "400 -> 300; sun … earth -> earth … sun"}, …}, "mode": "math"}, …}

Spans are tried in random order until one's family reaches the options; a source where none does is skipped and
counted by reason, never padded. The priors of the members (rlvrkit.mask.priors) are counted over the input, so the
whole input is read before the first item is written, and a bad line refuses it all before anything is.

With --llm the model proposes the span and ten or more distractors first (rlvrkit.mask.llm); what it proposes
passes the same rules or the rule-based item is made instead (counted).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from rlvrkit.jsonl import Source, check_streams, streams
from rlvrkit.latex import unbox
from rlvrkit.mask.distractors import Distractor
from rlvrkit.mask.family import Family, Ground, candidate_sites, draw, plan
from rlvrkit.mask.items import HEADERS, Doc, Item, check_source, context_of, doc_of, fill, item_record
from rlvrkit.mask.numeric import apply, targets
from rlvrkit.mask.options import MaskOptions
from rlvrkit.mask.priors import Priors
from rlvrkit.mask.sites import Shown, Site, blanked, figures, order_sites, symbol_sites, word_sites
from rlvrkit.mask.spans import StepSpan, candidates, recoverable, split_steps
from rlvrkit.mask.swaps import swap_sites
from rlvrkit.records import Skipped

MAX_SPANS = 60  # spans tried per source before it is skipped
MAX_TARGETS = 40  # numbers of one span a numeric site may change (the first ones): each is carried through the span
MAX_SPAN_CHARS = 3000  # longer spans are no step a student fills in (and would cost work out of all proportion)
PRIOR_SOURCES, PRIOR_SPANS = 2000, 3  # the sample the priors are counted on: a bounded cost however long the input
PLANS = 8  # plans of one span's family (random site orders and thinnings) before its span is given up: whether
# a plan succeeds depends on the sites' member sets, never on which member is the truth, so retrying keeps them alike
DRAWS = 3  # draws of the options from one family before its span is given up (a draw with two equivalent options)


def rule_item(doc: Doc, opts: MaskOptions, rng: random.Random, priors: Priors) -> Item | str:
    """The rule-based item of a source, or the reason there is none (its skip reason)."""
    lo, hi = opts.steps_range
    spans = candidates(doc.text, doc.steps, lo, hi)
    if not spans:  # a span is never the whole text: it needs at least one step more than MIN
        return "too few steps" if len(doc.steps) <= lo else "no span with reasoning"
    spans = [s for s in spans if s.end - s.start <= MAX_SPAN_CHARS]
    if not spans:
        return "steps too long"
    rng.shuffle(spans)
    shown = shown_of(doc, opts.mode)
    reason = "recoverable"
    for span in spans[:MAX_SPANS]:
        truth, context = doc.text[span.start : span.end], context_of(doc, span.start, span.end)
        if recoverable(truth, context, [doc.text[a:b] for a, b in doc.steps[span.first : span.last + 1]]):
            continue
        reason = "too few options"
        made = options_for(doc, span, shown.around(unbox(doc.text), *_unboxed(doc.text, span)), opts, (rng, priors))
        if made is not None:
            return made
    return reason


def shown_of(doc: Doc, mode: str) -> Shown:
    """The n-grams a student sees of a source (the header, the problem, the text), before any span is masked."""
    return Shown(Shown.counts(f"{HEADERS[mode]}\n{unbox(doc.problem or '')}\n{unbox(doc.text)}"))


def _unboxed(text: str, span: StepSpan) -> tuple[int, int]:
    """Where the span is once the text is unboxed (as the student sees it)."""
    start = len(unbox(text[: span.start]))
    return start, start + len(unbox(text[span.start : span.end]))


def ground_of(doc: Doc, span: StepSpan, shown: Shown, mode: str, priors: Priors) -> Ground:
    """What the family of a span is planned from (see rlvrkit.mask.family)."""
    text = unbox(doc.text[span.start : span.end])  # as the options show it: the student compares what it sees
    steps = split_steps(text)
    found = word_sites(text, steps, mode if mode == "math" else "prose")
    numbers = targets(text, figures(text))[:MAX_TARGETS] if mode == "math" else []
    sites = symbol_sites(text, steps) + order_sites(text, steps) + found if mode == "math" else found
    sites += swaps(text, steps)
    return Ground(text, steps, sites, numbers, shown, priors)


def swaps(text: str, steps: list[tuple[int, int]]) -> list:
    """The swap sites of a span's prose (rlvrkit.mask.swaps)."""
    return [Site("swap", members, names, step) for step, members, names in swap_sites(blanked(text), steps)]


def priors_of(docs: list[Doc], opts: MaskOptions) -> Priors:
    """The priors of the input (rlvrkit.mask.priors), counted at the sites a family could use: the matched sites of a
    few spans of up to PRIOR_SOURCES sources spread evenly over the input (the same sources and spans whatever the
    order of the others, so an item depends only on its source, the seed and this sample)."""
    priors, lo_hi = Priors(), opts.steps_range
    n = min(len(docs), PRIOR_SOURCES)
    for doc in (docs[i * len(docs) // n] for i in range(n)):
        rng = random.Random(f"{opts.seed}:priors:{doc.id}")
        spans = candidates(doc.text, doc.steps, *lo_hi)
        shown = shown_of(doc, opts.mode) if spans else None
        for span in rng.sample(spans, min(PRIOR_SPANS, len(spans))):
            seen = shown.around(unbox(doc.text), *_unboxed(doc.text, span))
            ground = ground_of(doc, span, seen, opts.mode, priors)
            for site in candidate_sites(ground):
                priors.add(site.keys[0], site.keys)
    return priors


def options_for(doc: Doc, span: StepSpan, shown: Shown, opts: MaskOptions, chance: tuple) -> Item | None:
    """The span's item: options drawn from its family (the truth and options−1 other members), all different in
    every form; None when the span's sites make no family, or its draws keep two options that say the same.
    `chance`: (the source's random generator, the input's priors)."""
    rng, priors = chance
    ground = ground_of(doc, span, shown, opts.mode, priors)
    family = next(filter(None, (plan(ground, opts.n_options, rng) for _ in range(PLANS))), None)
    if family is None:
        return None
    for _ in range(DRAWS):
        chosen = draw(family, opts.n_options, rng)
        found = [_distractor(family, ground.span, c) for c in chosen[1:]]
        picked = fill([], found, ground.span, opts.n_options - 1)
        if len(picked) == opts.n_options - 1:
            return Item(span.start, span.end, picked)
    return None


def _distractor(family: Family, span: str, choice: tuple[int, ...]) -> Distractor:
    how, what = family.describe(choice)
    return Distractor(apply(span, family.edits(choice)), how, what)


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
    priors = priors_of(docs, opts)
    for doc in docs:
        rng = random.Random(f"{opts.seed}:{doc.id}")
        made = llm_item_or_reason(doc, next(proposals), opts, rng, tally) if proposals is not None else None
        made = made or rule_item(doc, opts, rng, priors)
        if isinstance(made, str):
            tally.skipped[made] += 1
            continue
        tally.items += 1
        tally.distractors.update(d.how for d in made.distractors)
        yield item_record(doc, made, opts.mode, rng, opts.seed)


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
    """`rlvr mask`: every source record of `source` read, then its item (if it yields one) written to `output`. A bad
    line refuses the whole input before anything is written (unless --on-error skip): one line, exit 2, the output
    left as it was."""
    check_streams(source, output)
    model = None
    if opts.llm is not None:
        from rlvrkit.llm import LocalModel

        model = LocalModel(opts.llm, opts.llm_max_tokens, log)
    with streams(source, output, check=check_source(opts.mode), log=log, whole=True) as (records, out):
        docs = [doc_of(rec, opts.mode) for rec in records]
        if records.failure is not None:  # the whole input is read before the first item: streams refuses it all
            return
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
