"""Cheap text surgery shared by the verifiers: size caps, the think block, the final boxed (or ``####``) answer, numbers
in e-notation, the parts of a reference.

Everything here is linear in the length of the text and imports nothing heavy, so the parent process runs it on every
record to decide what (if anything) a worker has to do, and to build the cache key from exactly what the worker gets.
"""

from __future__ import annotations

import re
from decimal import Decimal

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)  # an escaped character (skipped) or a brace
_BOX = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_JOINER = re.compile(r"(?:\s|\$|,|;|&|\\quad|\band\b|\bor\b|\\text\s*\{\s*(?:and|or)\s*\})*")
_TOKEN = re.compile(r"[^\s$.,;]+")
_RESTATED = re.compile(r"final answer is:?\s*(?:\$|\\[(\[]|-?\.?\d)", re.IGNORECASE)
_CLOSING = re.compile(r"\s*(?:\$+|\\[)\]])?")  # what closes the math a box stood in
_MANTISSA = r"(?:\d+(?:\.\d*)?|\.\d+)"
_E_NOTATION = re.compile(rf"(?<![\w.\\]){_MANTISSA}[eE][-+]?\d{{1,3}}(?!\w|\.\d)")  # 2.5e-05, 1E+16, 3e8
_POWER = r"\^\s*(?:\{\s*([-+]?\d{1,3})\s*\}|([-+]?\d))"  # ^{-34}, ^8
_TIMES_TEN = re.compile(rf"({_MANTISSA})\s*(?:\\times|\\cdot|\*|×)\s*10\s*{_POWER}")  # 4.7 \times 10^{-34}
_SIGN = re.compile(r"\s*([-+]?)\s*")
_SEPARATOR = re.compile(r",(?!(?:\\!)?\d{3}(?!\d))|;")  # a comma that is not a thousands separator, or a semicolon
_NESTING = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
PLAIN_EXPONENT = 100  # e-notation is written out as a plain decimal up to this power of ten, in LaTeX beyond


def tail(text: str, limit: int) -> str:
    """The last `limit` characters: the final answer of a long completion is at its end."""
    return text if len(text) <= limit else text[-limit:]


def split_think(text: str) -> tuple[str, str] | None:
    """``<think>reasoning</think>answer`` → (reasoning, answer), or None when the format is not followed.

    Followed means: exactly one ``</think>``, at most one ``<think>`` before it with nothing but whitespace before that,
    and a non-empty answer after it with no further think tags. The opening tag may be missing because chat templates
    such as Qwen3's and DeepSeek-R1's put it in the prompt, so the completion starts inside the block.
    """
    close = text.find(THINK_CLOSE)
    if close < 0 or text.find(THINK_CLOSE, close + 1) >= 0:
        return None
    head, answer = text[:close], text[close + len(THINK_CLOSE) :]
    opened = head.find(THINK_OPEN)
    if opened >= 0:
        if head[:opened].strip() or head.find(THINK_OPEN, opened + 1) >= 0:
            return None
        head = head[opened + len(THINK_OPEN) :]
    answer = answer.strip()
    if not answer or THINK_OPEN in answer:
        return None
    return head, answer


def answer_region(text: str) -> str:
    """The part of a completion that holds its final answer: what follows the last ``</think>``; nothing when a
    ``<think>`` was opened and never closed (cut off while thinking); the whole text when there are no think tags."""
    close = text.rfind(THINK_CLOSE)
    if close >= 0:
        return text[close + len(THINK_CLOSE) :]
    return "" if THINK_OPEN in text else text


def _closing(text: str, opening: int, end: int) -> int:
    """Index of the brace that closes the one at `opening`, or -1 when it is not closed before `end`."""
    depth = 0
    for m in _BRACE.finditer(text, opening, end):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


def _box_at(text: str, start: int, end: int) -> tuple[str | None, int]:
    """The content of the box command at `start` (None when unclosed or missing) and where the box ends."""
    i = _BOX.match(text, start).end()
    while i < end and text[i].isspace():
        i += 1
    if i < end and text[i] == "{":
        close = _closing(text, i, end)
        return (None, end) if close < 0 else (text[i + 1 : close].strip(), close + 1)
    m = _TOKEN.match(text, i, end)  # the `\boxed 9` form: one token
    return (m.group(), m.end()) if m else (None, end)


def last_boxed(text: str) -> str | None:
    """The final boxed answer of `text`: None when there is no ``\\boxed``/``\\fbox``; "" when the last one is empty or
    never closed (a completion cut off mid-answer); otherwise its content.

    Boxes right before the last one join it, comma-separated, when nothing but separators stands between them
    (commas, "and", "or", spaces, dollar signs): how models write several answers, ``$\\boxed{2}$ and $\\boxed{3}$``.
    A repeated box is kept once.
    """
    starts = [m.start() for m in _BOX.finditer(text)]
    if not starts:
        return None
    parts: list[str] = []
    end = len(text)
    for k in range(len(starts) - 1, -1, -1):
        content, box_end = _box_at(text, starts[k], end)
        if content is None:
            return "" if not parts else ",".join(reversed(parts))
        if parts:
            if not content:
                break
            if not _JOINER.fullmatch(text, box_end, starts[k + 1]):
                break
        if not parts or content != parts[-1]:
            parts.append(content)
        end = starts[k]
    return ",".join(reversed(parts))


def last_boxes(text: str, k: int) -> list[str] | None:
    """The contents of the last `k` boxes of `text`, in order, whatever stands between them; None when there are fewer
    than `k`, or one is empty or never closed. For an answer given in parts, each boxed where it is worked out."""
    starts = [m.start() for m in _BOX.finditer(text)][-k:]
    if len(starts) < k:
        return None
    found, end = [], len(text)
    for start in reversed(starts):
        content, _ = _box_at(text, start, end)
        if not content:
            return None
        found.append(content)
        end = start
    return found[::-1]


def restated(text: str) -> str | None:
    """The text after the last box when it states the final answer again, ``\\boxed{255} … The final answer is
    $10,455$. I hope it is correct.`` (the Minerva format): the later statement is the final answer. None otherwise."""
    starts = [m.start() for m in _BOX.finditer(text)]
    if not starts:
        return None
    end = _box_at(text, starts[-1], len(text))[1]
    rest = text[_CLOSING.match(text, end).end() :]
    return rest if _RESTATED.search(rest) else None


def marked_answer(text: str) -> str | None:
    """The answer of a completion whose last line is ``#### answer``, the way GSM8K writes its solutions (a model
    trained on them ends the same way), or None. Only the last line counts: a Markdown heading elsewhere is not one."""
    last = text.rstrip().rpartition("\n")[2].strip()
    if not last.startswith("####") or last.startswith("#####"):
        return None
    return last[4:].strip()


def reference_parts(reference: str) -> int:
    """How many answers a reference lists at its top level: ``(3, 3), (1, 1)`` → 2, ``1,-2`` → 2, ``[0,1)`` → 1,
    ``20,\\!000`` → 1. Commas and semicolons outside brackets separate; a thousands separator does not."""
    depth, parts = 0, 1
    for i, c in enumerate(reference):
        depth += _NESTING.get(c, 0)
        if depth == 0 and c in ",;" and _SEPARATOR.match(reference, i):
            parts += 1
    return parts


def _plain(match: re.Match) -> str:
    value = Decimal(match.group())
    power = value.adjusted()
    if abs(power) <= PLAIN_EXPONENT:
        return format(value, "f")
    return format(value.scaleb(-power), "f") + f" \\times 10^{{{power}}}"


def plain_numbers(text: str) -> str:
    """Numbers in e-notation written out as plain decimals: ``2.5e-05`` → ``0.000025``, ``1e+16`` → ``1000…0``.

    LaTeX reads ``2.5e-05`` as 2.5·e − 5 (Euler's number), so both a reference and an answer are rewritten before they
    are parsed. Only a whole number token counts (``2e`` and ``x1e5`` stay); beyond 10^±PLAIN_EXPONENT the number is
    written ``1 \\times 10^{300}`` instead.
    """
    return _E_NOTATION.sub(_plain, text)


def scientific(text: str) -> tuple[Decimal, int] | None:
    """A reference that is one number in scientific notation — ``2.5e-05``, ``-6e+25``, ``4.7 \\times 10^{-34}`` — as
    (its value, the power of ten of its leading digit), or None. Such a reference states significant figures, so it is
    compared at its own scale rather than to a fixed number of decimal places."""
    m = _SIGN.match(text)
    sign, rest = m.group(1), text[m.end() :].strip()
    if _E_NOTATION.fullmatch(rest):
        value = Decimal(rest)
    elif t := _TIMES_TEN.fullmatch(rest):
        value = Decimal(t.group(1)).scaleb(int(t.group(2) or t.group(3)))
    else:
        return None
    value = -value if sign == "-" else value
    return value, value.adjusted() if value else 0
