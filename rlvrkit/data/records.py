"""What the prompt-making commands ask of their input records: an id and the text fields they read."""

from __future__ import annotations

from rlvrkit.errors import InvalidRecord


def check_id(rec: dict) -> None:
    """A usable id: a non-empty string or an integer (new ids are made from it)."""
    value = rec.get("id")
    if type(value) is int or (isinstance(value, str) and value):
        return
    raise InvalidRecord("missing 'id'" if value is None else "'id' must be a non-empty string or an integer")


def check_text(rec: dict, field: str, why: str) -> None:
    """`rec[field]` is a non-empty string; otherwise `InvalidRecord` saying which field and `why` it is needed."""
    value = rec.get(field)
    if isinstance(value, str) and value.strip():
        return
    if value is None:
        raise InvalidRecord(f"missing '{field}' ({why})")
    raise InvalidRecord(f"'{field}' must be a non-empty string")


def check_answer(rec: dict) -> None:
    """A reference answer: a non-empty string or a number."""
    value = rec.get("answer")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return
    check_text(rec, "answer", "the reference answer a composed prompt is built on")
