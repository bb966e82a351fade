"""`rlvr mask --llm MODEL`: Golden Goose's own pipeline, a model choosing the span and writing the distractors, held
to the rules of the rule-based items.

The paper prompts a strong model (GPT-5) to pick a contiguous span of several key reasoning steps and to write at
least ten distractors, plausible, similar in style and length, wrong in context; and, for noisy web text, first to
extract a coherent educational passage of 100–600 words, or nothing. The prompts below restate those instructions
(the paper's exact wording is not reproduced in our references); the model answers with JSON inside <answer> tags:

    <answer>{"span": "<copied exactly from the text>", "distractors": ["…", "…", …]}</answer>

`llm_item` checks every answer by the same rules as `rlvr mask` without a model: the span must be in the text, not
the whole of it nor only the final answer's step, carry reasoning and not be recoverable from the rest; each
distractor must pass `distractors.admissible`; options−1 of them must remain. Otherwise the reason is returned and
the rule-based item is made instead (counted). `extract` applies to --extract's answers: NONE skips the source, a
passage of 100–600 words replaces its text, anything else falls back to the text as it is (counted).
"""

from __future__ import annotations

import json
import random
import re

from rlvrkit.mask.distractors import Distractor
from rlvrkit.mask.items import Doc, Item, context_of, fill
from rlvrkit.mask.spans import final_step, reasoning, recoverable, split_steps, squeeze

GENERATE = """You will turn {what} into a fill-in-the-middle multiple-choice question.

{source}

1. Identify a contiguous span of several important reasoning steps in the {part}. It must not be the whole {part}, \
not only the final answer, and not something the rest of the text gives away. Copy it exactly as written.
2. Write at least ten distractors for the span: each plausible, similar to the span in style and length, and \
incorrect in the context of the text.

Answer with JSON inside <answer></answer> tags, like this:
<answer>{{"span": "the exact text of the span", "distractors": ["first distractor", "second distractor"]}}</answer>"""

EXTRACT = """Below is text taken from the web. If it contains a coherent, educational passage of 100 to 600 words, \
copy that passage out, without navigation, advertisements or other noise. If it does not, answer NONE. Put your \
answer inside <answer></answer> tags.

Text:
{text}"""

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


def generation_prompt(doc: Doc) -> str:
    if doc.problem is not None:
        source = f"Problem:\n{doc.problem.strip()}\n\nSolution:\n{doc.text.strip()}"
        return GENERATE.format(what="a problem and its solution", source=source, part="solution")
    return GENERATE.format(what="a passage", source=f"Passage:\n{doc.text.strip()}", part="passage")


def answer_of(text: str) -> str | None:
    """The inside of the last <answer>…</answer>, or None."""
    found = _ANSWER.findall(text)
    return found[-1].strip() if found else None


def proposal(text: str) -> tuple[str, list[str]] | str:
    """(span, distractors) from the model's answer, or why it cannot be read."""
    inside = answer_of(text)
    if inside is None:
        return "no <answer> tags"
    try:
        data = json.loads(inside)
    except ValueError:
        return "not JSON"
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("span"), str)
        or not isinstance(data.get("distractors"), list)
    ):
        return "not {span, distractors}"
    return data["span"], [d for d in data["distractors"] if isinstance(d, str)]


def locate(span: str, text: str) -> tuple[int, int] | None:
    """Where the span is in the text: exactly, or with its whitespace written differently."""
    words = span.split()
    if not words:
        return None
    m = re.search(r"\s+".join(map(re.escape, words)), text)
    return (m.start(), m.end()) if m else None


def span_problem(doc: Doc, start: int, end: int) -> str | None:
    """Why a span the model chose breaks the span rules, or None."""
    span = doc.text[start:end]
    if squeeze(span) == squeeze(doc.text):
        return "span is the whole text"
    a, b = doc.steps[final_step(doc.text, doc.steps)]
    if a <= start and end <= b:
        return "span is the final answer alone"
    if reasoning(span) == 0:
        return "span carries no reasoning"
    if recoverable(span, context_of(doc, start, end), [span]):
        return "span recoverable from the text"
    return None


def llm_item(doc: Doc, answer: str, need: int, rng: random.Random) -> Item | str:
    """The item the model proposed (the span and `need` of its distractors), when it keeps every rule; else the reason
    it does not."""
    found = proposal(answer)
    if isinstance(found, str):
        return found
    span, offered = found
    where = locate(span, doc.text)
    if where is None:
        return "span not in the text"
    problem = span_problem(doc, *where)
    if problem:
        return problem
    rng.shuffle(offered)
    truth = doc.text[where[0] : where[1]]
    made = [Distractor(text, "llm", "written by the model", f"llm{i}") for i, text in enumerate(offered)]
    picked = fill([], made, truth, need)
    if len(picked) < need:
        return "too few valid distractors"
    return Item(where[0], where[1], picked)


def extract(doc: Doc, answer: str, tally) -> Doc | None:
    """The source with the passage the model extracted as its text; None for NONE; itself when the answer is not
    usable (counted)."""
    inside = answer_of(answer)
    if inside is not None and inside.strip().upper().rstrip(".") == "NONE":
        tally.skipped["no passage"] += 1
        return None
    if inside is None or not 100 <= len(inside.split()) <= 600:
        tally.extract_fallbacks["no <answer> tags" if inside is None else "not 100-600 words"] += 1
        return doc
    tally.extracted += 1
    return Doc(doc.rec, doc.id, doc.subject, None, inside, split_steps(inside))


def ask_model(docs: list[Doc], model, passages: bool, tally):
    """(the sources, after extracting their passages when `passages`; an iterator of the model's item proposal for
    each)."""
    keys = [doc.id for doc in docs]
    if passages:
        answers = model.ask([EXTRACT.format(text=doc.text) for doc in docs], keys)
        docs = [d for d in (extract(doc, a, tally) for doc, a in zip(docs, answers)) if d is not None]
        keys = [doc.id for doc in docs]
    return docs, iter(model.ask([generation_prompt(doc) for doc in docs], keys))
