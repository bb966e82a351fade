"""Salient-skill tagging for `rlvr select-one --by skills`: polymath learning's way to pick the one sample.

"One Sample to Rule Them All" (2601.03111) tags the mathematical skills each MATH training problem exercises with an
LLM and finds that the samples whose skills are salient to reasoning elsewhere (algebra and precalculus above all)
transfer best to physics, chemistry and biology. Here a local model names the skills of each prompt, from the MATH
subjects, as a JSON list inside <answer> tags; a prompt's score is the number of `salient` skills among them. An
answer that cannot be read (no tags, not a list, no known skill) scores 0 and is counted. The paper's own tagging
prompt is not in our references; `PROMPT` restates the task.
"""

from __future__ import annotations

import json
import re

SKILLS = (
    "prealgebra",
    "algebra",
    "intermediate algebra",
    "number theory",
    "counting and probability",
    "geometry",
    "precalculus",
)
PROMPT = """Which mathematical skills does solving this problem exercise? Choose any of: {skills}.

Problem:
{problem}

Answer with a JSON list of skill names inside <answer></answer> tags, for example <answer>["algebra"]</answer>."""
_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)


def salient_set(text: str) -> frozenset[str]:
    """--salient "algebra,precalculus" → the skills, refusing one not in SKILLS (ValueError)."""
    names = frozenset(s.strip().lower() for s in text.split(",") if s.strip())
    unknown = sorted(names - set(SKILLS))
    if unknown or not names:
        raise ValueError(f"--salient takes skills from: {', '.join(SKILLS)} (got {', '.join(unknown) or 'none'})")
    return names


def prompt_text(rec: dict) -> str:
    """The problem of a prompt record: its prompt, or the last user message."""
    if isinstance(rec.get("prompt"), str):
        return rec["prompt"]
    users = [m.get("content", "") for m in rec.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
    return users[-1] if users else ""


def question(rec: dict) -> str:
    return PROMPT.format(skills=", ".join(SKILLS), problem=prompt_text(rec).strip())


def tags(answer: str) -> list[str] | None:
    """The known skills the model named, or None when its answer cannot be read."""
    found = _ANSWER.findall(answer)
    if not found:
        return None
    try:
        names = json.loads(found[-1])
    except ValueError:
        return None
    if not isinstance(names, list):
        return None
    known = [n.strip().lower() for n in names if isinstance(n, str) and n.strip().lower() in SKILLS]
    return list(dict.fromkeys(known)) or None


def skill_score(skills: list[str] | None, salient: frozenset[str]) -> int:
    return len(set(skills or ()) & salient)
