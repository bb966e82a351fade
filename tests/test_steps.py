"""`rlvr steps`: expert solutions cut where a teacher would pause (never after a lead-in, never before the display its
sentence introduces, never inside math), ids that name the record, and the expert's own step scoring 1.0 through
`rlvr verify`."""

from __future__ import annotations

import json
import re
import sys

import pytest
from conftest import DATA, ROOT, heavy_imports, jsonl, read_jsonl, rlvr

from rlvrkit.records import Skipped
from rlvrkit.steps.options import StepsOptions
from rlvrkit.steps.run import SRL_SYSTEM, srl_records
from rlvrkit.steps.split import split

sys.path.insert(0, str(ROOT / "bench"))
import steps as audit  # noqa: E402  (bench/steps.py: the boundary measures)

NUMBERED = (
    "1. **Find the roots** We solve $x^2 - 5x + 6 = 0$.\n"
    "   It factors as $(x-2)(x-3)$.\n"
    "2. **Add them** The sum is\n\\[2 + 3 = 5.\\]\n"
    "3. **Answer** So the answer is $\\boxed{5}$."
)


def records(rec: dict, opts: StepsOptions = StepsOptions(), left_out: Skipped | None = None) -> list[dict]:
    steps, how = split(rec["solution"], opts.split, opts.min_chars)
    return list(srl_records(rec, steps, how, opts, Skipped() if left_out is None else left_out))


def data(name: str, n: int) -> list[dict]:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    with open(DATA / f"{name}.jsonl") as f:
        return [json.loads(next(f)) for _ in range(n)]


def test_numbered_steps_give_n_minus_1_records_with_titles():
    recs = records({"id": "p", "prompt": "Sum the roots.", "solution": NUMBERED}, StepsOptions(with_title=True))
    assert [r["meta"]["step"] for r in recs] == [2, 3]
    assert all(re.fullmatch(r"p/step-[0-9a-f]{16}", r["id"]) for r in recs)
    first, second = recs
    assert first["answer"] == "The sum is\n\\[2 + 3 = 5.\\]" and second["answer"] == "So the answer is $\\boxed{5}$."
    assert first["prompt"] == (
        "Sum the roots.\n\nThe solution so far:\n\n1. **Find the roots** We solve $x^2 - 5x + 6 = 0$.\n"
        "   It factors as $(x-2)(x-3)$.\n\nWrite only the next step. Its title: Add them"
    )
    assert first["task"] == "srl" and first["system"] == SRL_SYSTEM and "<think>" in SRL_SYSTEM
    assert first["meta"] == {"source": "p", "step": 2, "steps": 3, "split": "numbered", "title": "Add them"}
    again = records({"id": "p", "prompt": "Sum.", "solution": NUMBERED, "system": "Be brief."})
    assert again[0]["system"] == SRL_SYSTEM  # the record's own system prompt was for the whole problem
    plain = records({"id": "p", "prompt": "Sum.", "solution": NUMBERED}, StepsOptions(system=""))
    assert "Its title" not in plain[0]["prompt"] and "system" not in plain[0]


def test_auto_takes_numbered_steps_only_for_a_numbered_solution():
    inside = (
        "For a remainder of 5 when 47 is divided, the divisor must satisfy two conditions:\n"
        "1. it must divide $47 - 5 = 42$ exactly, and\n2. it must be greater than 5.\n\n"
        "The divisors of 42 greater than 5 are 6, 7, 14, 21 and 42. So there are $\\boxed{5}$ of them."
    )
    steps, how = split(inside, "auto", 20)
    assert how != "numbered" and not any(s.action.endswith(("and", ":")) for s in steps)
    steps, how = split(inside, "numbered", 20)  # asked for: the list's items are the steps, the text before one more
    assert how == "numbered" and len(steps) == 3


@pytest.mark.parametrize(
    "solution, steps",
    [
        ("We have $x = 3. Then y = 4$. So the sum is 7. Done, the answer is 7.", 3),  # no cut inside $…$
        ("First we compute the value here.\n\\[a = 1.\nB = 2.\\]\nThen we add them up to get 3.", 2),
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


# The shapes issue 16 found in MATH solutions: a lead-in cut from what it introduces.
LEAD_INS = [
    "Expanding the product term by term we get\n\\[x^2 + 5x + 6 = 0.\\]\nThe roots are $-2$ and $-3$; the sum is $-5$.",
    "We add the two equations of the system:\n\\begin{align*}\nx + y &= 5 \\\\\nx - y &= 1\n\\end{align*}so\n"
    "\\[2x = 6.\\]\nTherefore $x = 3$ and $y = 2$, and the product is $\\boxed{6}$.",
    "The first equation gives $a = 2$ when we substitute $b = 1$. Hence,\n$$a + b = 3.$$\nSo the answer is 3.",
    "There are three regions and we have four colours to color them:\n\n[asy]\ndraw((0,0)--(1,0));\n[/asy]\n\n"
    "Each region has four choices, so there are $4^3 = 64$ colourings.",
    "The two lines meet where their equations agree, which gives us\n$3x + 1 = 7$\n\nand\n$x = 2$.\n\n"
    "Then the point of intersection is $(2, 7)$, and its distance from the origin is $\\sqrt{53}$.",
]


@pytest.mark.parametrize("solution", LEAD_INS)
@pytest.mark.parametrize("how", ["paragraph", "sentence"])
def test_a_step_never_ends_on_a_lead_in_and_a_display_stays_with_its_sentence(solution, how):
    steps, _ = split(solution, how, 0)
    assert len(steps) >= 2, steps
    for step in steps:
        assert audit.ending(step.action, True) in ("closed", "math"), step.action
    for step in steps[1:]:
        assert audit.opening(step.action, True) == "sentence", step.action


def test_gsm8k_lines_without_a_full_stop_are_still_steps():
    solution = "She has 48/2 = <<48/2=24>>24 clips left\nShe sold 48+24 = <<48+24=72>>72 clips in all\nSo that is 72"
    steps, how = split(solution, "paragraph", 0)
    assert how == "paragraph" and [s.action for s in steps] == solution.split("\n")


def test_math_and_gsm8k_samples_have_few_lead_ins_and_no_bare_displays():
    """The measure of bench/steps.py on a fixed sample (the full figures are in docs/steps-sample.md)."""
    rows = data("math_train", 300) + data("gsm8k_train", 150)
    shares = audit.audit({r["id"]: r["solution"] for r in rows}, [x for r in rows for x in records(r)], baseline=False)
    assert shares["records"] > 700
    assert shares["end on a lead-in"] <= 0.02 and shares["start with a bare display"] <= 0.05, shares
    assert shares["start with figure code"] <= 0.01 and shares["start lowercase (continuation)"] <= 0.01, shares


def test_short_fragments_join_a_neighbour_and_auto_prefers_paragraphs():
    lines = "We start.\nThe area of the square is $4^2 = 16$ square units.\nThe triangle takes half: $8$.\n"
    lines += "So the rest is $16 - 8 = 8$.\nOk."
    steps, how = split(lines, "auto", 20)
    assert how == "paragraph" and [s.action for s in steps] == [
        "We start.\nThe area of the square is $4^2 = 16$ square units.",
        "The triangle takes half: $8$.",
        "So the rest is $16 - 8 = 8$.\nOk.",
    ]
    steps, how = split("One. Two sentences here are long enough. Three is also long enough to stand.", "auto", 10)
    assert how == "sentence" and [s.action for s in steps] == [
        "One. Two sentences here are long enough.",
        "Three is also long enough to stand.",
    ]


def test_ids_name_the_record_whatever_the_options():
    """Two runs with different options never give one id to two different records; the same record gets the same id
    in every run (and a fresh process)."""
    rows = data("math_train", 30) + data("gsm8k_train", 10)
    content: dict[str, tuple] = {}
    runs = [
        StepsOptions(),
        StepsOptions(split="sentence"),
        StepsOptions(split="paragraph", min_chars=0),
        StepsOptions(min_chars=150),
        StepsOptions(with_title=True, system=""),
    ]
    per_run = []
    for opts in runs:
        ids = [r["id"] for row in rows for r in records(row, opts)]
        for row in rows:
            for r in records(row, opts):
                assert content.setdefault(r["id"], (r.get("system"), r["prompt"], r["answer"])) == (
                    r.get("system"),
                    r["prompt"],
                    r["answer"],
                )
                assert r["id"].startswith(f"{row['id']}/step-")
        assert len(set(ids)) == len(ids)
        per_run.append(set(ids))
    assert len(per_run[0] & per_run[1]) > 10  # the records both splits make alike keep their ids
    out = rlvr("steps", input=jsonl(*rows[:5]))
    assert {r["id"] for r in read_jsonl(out.stdout)} == {r["id"] for row in rows[:5] for r in records(row)}


def test_max_chars_leaves_out_the_longest_records_and_says_so():
    solution = "\n\n".join(
        f"Paragraph {i} says that the value at step {i} is ${i} \\cdot 2 = {2 * i}$." for i in range(60)
    )
    row = {"id": "long", "prompt": "Double them all.", "solution": solution}
    left_out = Skipped()
    recs = records(row, StepsOptions(max_chars=1000), left_out)
    assert recs and all(len(r["prompt"]) + len(r["answer"]) <= 1000 for r in recs)
    assert len(recs) + left_out["longer than --max-chars 1000"] == 59
    out = rlvr("steps", "--max-chars", "1000", input=jsonl(row))
    assert out.returncode == 0 and len(read_jsonl(out.stdout)) == len(recs)
    assert f"left out {59 - len(recs)} records: {59 - len(recs)} longer than --max-chars 1000" in out.stderr
    assert len(records(row, StepsOptions(max_chars=0))) == 59


@pytest.mark.parametrize("name", ["math_train", "gsm8k_train", "math500"])
def test_real_solutions_become_srl_records(name):
    rows = data(name, 60)
    total = 0
    for row in rows:
        recs = records(row)
        steps, _ = split(row["solution"], "auto", 40)
        assert len(recs) == max(0, len(steps) - 1)
        for rec in recs:
            assert rec["answer"] and rec["answer"] in row["solution"] and rec["answer"] == rec["answer"].strip()
            so_far = rec["prompt"].split("The solution so far:\n\n", 1)[1].rsplit("\n\nWrite only", 1)[0]
            assert row["solution"].startswith(so_far) and rec["prompt"].startswith(row["prompt"])
            assert rec["meta"]["source"] == row["id"] and "solution" not in rec
            assert rec["meta"]["split"] in ("paragraph", "sentence", "numbered")
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
