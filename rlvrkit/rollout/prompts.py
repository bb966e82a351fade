"""Prompt records → the exact token ids the model sees.

A prompt record has an `id` (string), and `prompt` (user text) or `messages` (a chat list of {role, content};
it wins when both are present), optionally `system`. With the chat template on, the messages (or the prompt as one
user message, after the system message: the record's `system`, else --system) are rendered with
``add_generation_prompt=True`` and tokenized without adding special tokens again (the template writes its own).
Without it the prompt text is tokenized as it is, with the tokenizer's usual special tokens (a BOS, for models that
use one).
"""

from __future__ import annotations

from rlvrkit.errors import InvalidRecord


def messages_of(rec: dict, system: str | None = None) -> list[dict]:
    """The chat to render: the record's messages or its prompt, behind a system message unless the chat has one."""
    if rec.get("messages") is not None:
        chat = [{"role": m["role"], "content": m["content"]} for m in rec["messages"]]
    else:
        chat = [{"role": "user", "content": rec["prompt"]}]
    system = rec.get("system") if rec.get("system") is not None else system
    if system and chat[0]["role"] != "system":
        chat.insert(0, {"role": "system", "content": system})
    return chat


def prompt_ids(tokenizer, rec: dict, *, chat: bool, system: str | None = None) -> list[int]:
    """Token ids of one checked prompt record; raises `InvalidRecord` when it cannot be rendered."""
    if chat:
        try:
            text = tokenizer.apply_chat_template(messages_of(rec, system), add_generation_prompt=True, tokenize=False)
        except Exception as err:  # jinja raises its own errors (e.g. "roles must alternate") for chats it refuses
            raise InvalidRecord(f"the chat template refused this record: {err}") from None
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    else:
        if rec.get("messages") is not None:
            raise InvalidRecord("'messages' needs the chat template (drop --no-chat)")
        ids = tokenizer(rec["prompt"])["input_ids"]
    if not ids:
        raise InvalidRecord("the prompt has no tokens")
    return list(ids)
