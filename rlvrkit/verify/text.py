"""Cheap text surgery shared by the verifiers: size caps, the think block, the final boxed answer.

Everything here is linear in the length of the text and imports nothing heavy, so the parent process runs it on every
record to decide what (if anything) a worker has to do, and to build the cache key from exactly what the worker gets.
"""

from __future__ import annotations

import re

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)  # an escaped character (skipped) or a brace
_BOX = re.compile(r"\\(?:boxed|fbox)(?![A-Za-z])")
_JOINER = re.compile(r"(?:\s|\$|,|;|&|\\quad|\band\b|\bor\b|\\text\s*\{\s*(?:and|or)\s*\})*")
_TOKEN = re.compile(r"[^\s$.,;]+")


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
