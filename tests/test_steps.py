"""`rlvr steps`: expert solutions cut into SRL records, never inside math, and the expert's own step scoring 1.0
through `rlvr verify`."""

from __future__ import annotations

import json

import pytest
from conftest import DATA, heavy_imports, jsonl, read_jsonl, rlvr

from rlvrkit.steps.options import StepsOptions
from rlvrkit.steps.run import SRL_SYSTEM, srl_records
from rlvrkit.steps.split import split

NUMBERED = (
    "1. **Find the roots** We solve $x^2 - 5x + 6 = 0$.\n"
    "   It factors as $(x-2)(x-3)$.\n"
    "2. **Add them** The sum is\n\\[2 + 3 = 5.\\]\n"
    "3. **Answer** So the answer is $\\boxed{5}$."
)


def data(name: str, n: int) -> list[dict]:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    with open(DATA / f"{name}.jsonl") as f:
        return [json.loads(next(f)) for _ in range(n)]


def test_numbered_steps_give_n_minus_1_records_with_titles():
    recs, how = srl_records(
        {"id": "p", "prompt": "Sum the roots.", "solution": NUMBERED}, StepsOptions(with_title=True)
    )
    assert how == "numbered" and [r["id"] for r in recs] == ["p/step-2", "p/step-3"]
    first, second = recs
    assert first["answer"] == "The sum is\n\\[2 + 3 = 5.\\]" and second["answer"] == "So the answer is $\\boxed{5}$."
    assert first["prompt"] == (
        "Sum the roots.\n\nThe solution so far:\n\n1. **Find the roots** We solve $x^2 - 5x + 6 = 0$.\n"
        "   It factors as $(x-2)(x-3)$.\n\nWrite only the next step. Its title: Add them"
    )
    assert first["task"] == "srl" and first["system"] == SRL_SYSTEM and "<think>" in SRL_SYSTEM
    assert first["meta"] == {"source": "p", "step": 2, "steps": 3, "split": "numbered", "title": "Add them"}
    again, _ = srl_records({"id": "p", "prompt": "Sum.", "solution": NUMBERED, "system": "Be brief."}, StepsOptions())
    assert again[0]["system"] == SRL_SYSTEM  # the record's own system prompt was for the whole problem
    plain, _ = srl_records({"id": "p", "prompt": "Sum.", "solution": NUMBERED}, StepsOptions(system=""))
    assert "Its title" not in plain[0]["prompt"] and "system" not in plain[0]


@pytest.mark.parametrize(
    "solution, steps",
    [
        ("We have $x = 3. Then y = 4$. So the sum is 7. Done, the answer is 7.", 3),  # no cut inside $…$
        ("First we compute the value here.\n\\[a = 1.\nB = 2.\\]\nThen we add them up to get 3.", 3),
        ("Consider the system \\begin{align*}\nx &= 1. \\\\\nY &= 2.\n\\end{align*}We then add it all up.", 2),
        ('[asy]\ndraw((0,0)--(1,1));\nlabel("A. B");\n[/asy]\nThe figure shows a square. Its area is 1.', 3),
    ],
)
def test_cuts_never_fall_inside_math_an_environment_or_figure_code(solution, steps):
    got, _ = split(solution, "sentence", 10)
    assert len(got) == steps
    for step in got:
        for opening, closing in (("$", "$"), ("\\[", "\\]"), ("\\begin", "\\end"), ("[asy]", "[/asy]")):
            assert step.action.count(opening) == step.action.count(closing) or opening == closing
        assert step.action.count("$") % 2 == 0


def test_short_fragments_join_a_neighbour_and_auto_prefers_paragraphs():
    lines = "We start.\nThe area of the square is $4^2 = 16$ square units.\nThe triangle takes half: $8$.\n"
    lines += "So: $16 - 8 = 8$.\nOk."
    steps, how = split(lines, "auto", 20)
    assert how == "paragraph" and [s.action for s in steps] == [
        "We start.\nThe area of the square is $4^2 = 16$ square units.",
        "The triangle takes half: $8$.",
        "So: $16 - 8 = 8$.\nOk.",
    ]
    steps, how = split("One. Two sentences here are long enough. Three is also long enough to stand.", "auto", 10)
    assert how == "sentence" and [s.action for s in steps] == [
        "One. Two sentences here are long enough.",
        "Three is also long enough to stand.",
    ]


@pytest.mark.parametrize("name", ["math_train", "gsm8k_train", "math500"])
def test_real_solutions_become_srl_records(name):
    rows = data(name, 60)
    total = 0
    for row in rows:
        recs, how = srl_records(row, StepsOptions())
        steps, _ = split(row["solution"], "auto", 40)
        assert len(recs) == max(0, len(steps) - 1) and how in ("paragraph", "sentence", "numbered")
        for rec in recs:
            assert rec["answer"] and rec["answer"] in row["solution"] and rec["answer"] == rec["answer"].strip()
            so_far = rec["prompt"].split("The solution so far:\n\n", 1)[1].rsplit("\n\nWrite only", 1)[0]
            assert row["solution"].startswith(so_far) and rec["prompt"].startswith(row["prompt"])
            assert rec["meta"]["source"] == row["id"] and "solution" not in rec
        total += len(recs)
    assert total >= 60


def test_verify_scores_the_expert_step_one(tmp_path):
    rows = data("math_train", 6) + data("gsm8k_train", 6)
    out = rlvr("steps", input=jsonl(*rows))
    assert out.returncode == 0, out.stderr
    recs = read_jsonl(out.stdout)
    assert "12 solutions" in out.stderr and f"{len(recs)} step records" in out.stderr
    rollouts = [
        {**r, "completion": f"<think>Next I {i}.</think>\n{r['answer']}", "sample": 0} for i, r in enumerate(recs)
    ]
    rollouts.append({**recs[0], "completion": "no thinking at all", "sample": 1})
    verified = read_jsonl(rlvr("verify", "-j", "1", input=jsonl(*rollouts)).stdout)
    assert [v["reward"] for v in verified] == [1.0] * len(recs) + [-1.0]


def test_steps_imports_nothing_heavy_and_refuses_bad_input():
    stdout, heavy = heavy_imports(["steps"], jsonl({"id": "a", "prompt": "P", "solution": NUMBERED}).encode())
    assert len(read_jsonl(stdout)) == 2 and heavy == []
    out = rlvr("steps", input=jsonl({"id": "a", "prompt": "P", "solution": NUMBERED}, {"id": "b", "prompt": "Q"}))
    assert out.returncode == 2 and len(read_jsonl(out.stdout)) == 2
    assert "stdin:2: missing 'solution'" in out.stderr and "Traceback" not in out.stderr
    out = rlvr("steps", "--split", "lines", input="")
    assert out.returncode == 2 and "--split" in out.stderr
