"""Multiple-choice answers: the option letter a completion chose, compared with the reference letter.

Where the choice is looked for (in the answer region: after ``</think>`` when there is one), the first place that
names an option wins:

1. the final ``\\boxed{}``: ``\\boxed{C}``, ``\\boxed{(C)}``, ``\\boxed{\\text{C}}``, or an option's text;
2. after the last cue word — "answer", "choice", "option" (as in "Answer: C", "the answer is (c)",
   "**Final answer:** C) 42", "the correct option is B") — that is followed by letters or an option's text;
3. the last line, when it is only a choice: "C", "(C) 42", "c.", or an option's text.

Letters are written "(C)", "[C]", "C)", "C.", "C:" or bare "C", in either case; a bare lowercase letter counts only
before punctuation or the end of the line, so "the answer is a triangle" names no option. Naming several different
options ("A or C", ``\\boxed{A, C}``) is wrong. Option texts come from the record's ``meta.options``: a list (A, B, …
in order) or an object keyed by letter; an item's own "(A) " prefix is ignored. Everything here is regular-expression
work without nested repetition, linear in the (capped) text.
"""

from __future__ import annotations

import re

from rlvrkit.verify.text import last_boxed

_TOKEN = re.compile(
    r"[ \t]*(?:\*\*|__)?[ \t]*(?:"
    r"\([ \t]*(?P<paren>[A-Za-z])[ \t]*\)"  # (C)
    r"|\[[ \t]*(?P<bracket>[A-Za-z])[ \t]*\]"  # [C]
    r"|(?P<marked>[A-Za-z])[).:](?![A-Za-z0-9])"  # C)  C.  C:
    r"|(?P<upper>[A-Z])(?![A-Za-z0-9'])"  # C
    r"|(?P<lower>[a-z])(?=[ \t]*(?:[.,;:!?*)\]}]|$))"  # c, only before punctuation or the end
    r")(?:\*\*|__)?",
    re.MULTILINE,
)
_SEPARATOR = re.compile(r"[ \t]*(?:,|/|&|;|\band\b|\bor\b)[ \t]*", re.IGNORECASE)
_CUE = re.compile(
    r"\b(?:answer|choice|option)s?\b(?:\*\*)?(?:[ \t]+(?:is|was|would be|should be|will be))?[ \t]*"
    r"(?:[:=][ \t]*)?(?:\*\*)?[ \t]*(?:(?:option|choice)[ \t]+)?",
    re.IGNORECASE,
)
_MARKUP = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox)[ \t]*\{([^{}\n]*)\}")
_DELIMITERS = re.compile(r"\\[()\[\]]|\$")
_PREFIX = re.compile(r"^\s*\(?([A-Za-z])[).:]\s*")
_REST = re.compile(r"[\s.,;:!?*)\]}]*")


def _clean(text: str) -> str:
    return _DELIMITERS.sub("", _MARKUP.sub(r"\1", text))


def _norm(text: str) -> str:
    return " ".join(_clean(text).lower().split()).strip(" .;:!")


def option_texts(options) -> dict[str, str]:
    """meta.options → {letter: normalised text}; {} when the record has none (or they are not a list/object)."""
    if isinstance(options, dict):
        items = [(str(k).strip().upper(), v) for k, v in options.items()]
    elif isinstance(options, list):
        items = [(chr(ord("A") + i), v) for i, v in enumerate(options[:26])]
    else:
        return {}
    texts = {}
    for letter, value in items:
        if len(letter) == 1 and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value)
            m = _PREFIX.match(text)
            if m and m.group(1).upper() == letter:
                text = text[m.end() :]
            if _norm(text):
                texts[letter] = _norm(text)
    return texts


def letters_at(text: str, pos: int = 0) -> tuple[list[str], bool, int]:
    """The option letters written at `pos` ("C", "(C)", "A or C", …) → (letters, last one marked, end position)."""
    letters: list[str] = []
    marked, end = False, pos
    m = _TOKEN.match(text, pos)
    while m:
        letters.append(next(g for g in m.group("paren", "bracket", "marked", "upper", "lower") if g).upper())
        marked, end = m.group("upper") is None and m.group("lower") is None, m.end()
        sep = _SEPARATOR.match(text, end)
        m = _TOKEN.match(text, sep.end()) if sep else None
    return letters, marked, end


def _by_text(span: str, texts: dict[str, str]) -> list[str]:
    """The option whose text the whole span is (punctuation aside), as a one-letter list, or []."""
    span = _norm(span)
    return [letter for letter, text in texts.items() if text == span][:1] if span else []


def _whole(span: str, texts: dict[str, str]) -> list[str]:
    """Letters when the span is nothing but a choice ("C", "(C) 42", "A, C"), or the option whose text it is."""
    letters, marked, end = letters_at(span)
    if letters and (marked or _REST.fullmatch(span, end)):
        return letters
    return _by_text(span, texts)


def named_letters(text: str, texts: dict[str, str]) -> list[str]:
    """The option letters `text` names as its answer (see the module docstring); [] when it names none."""
    boxed = last_boxed(text)
    if boxed:
        return _whole(_clean(boxed), texts)
    text = _clean(text)
    for cue in reversed(list(_CUE.finditer(text))):
        letters, _, _ = letters_at(text, cue.end())
        if letters:
            return letters
        line_end = text.find("\n", cue.end())
        if found := _by_text(text[cue.end() : None if line_end < 0 else line_end], texts):
            return found
    lines = [line for line in text.splitlines() if line.strip()]
    return _whole(lines[-1], texts) if lines else []


def reference_letter(reference: str, texts: dict[str, str]) -> str | None:
    """The reference option ("C", "(c)", ``\\boxed{C}``, or an option's text) as one capital letter, or None."""
    boxed = last_boxed(reference)
    letters = _whole(_clean(boxed if boxed else reference), texts)
    return letters[0] if len(letters) == 1 else None


def check(reference: str, answer: str, options=None) -> dict:
    """Compare the option an answer chose with the reference option → {status, extracted, value}."""
    texts = option_texts(options)
    gold = reference_letter(reference, texts)
    if gold is None:
        return {"status": "bad_reference", "extracted": None, "value": 0.0}
    letters = list(dict.fromkeys(named_letters(answer, texts)))
    if not letters:
        return {"status": "no_answer", "extracted": None, "value": 0.0}
    if letters == [gold]:
        return {"status": "ok", "extracted": gold, "value": 1.0}
    return {"status": "wrong", "extracted": ",".join(letters), "value": 0.0}
