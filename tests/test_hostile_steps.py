"""`rlvr steps` under hostile input (issue 19): no input hangs, grows memory without bound, traces or loses what came
before it. Each class of input is one test: the exit code, one line on stderr, no traceback, the records before a bad
line kept, and linear work (counted, or on inputs so large that a quadratic pass would blow the budget many times).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tracemalloc

import pytest
from conftest import jsonl, piped_to_head, read_jsonl, rlvr

from rlvrkit.records import Skipped
from rlvrkit.steps.options import StepsOptions
from rlvrkit.steps.run import srl_records
from rlvrkit.steps.split import split

MB = 1_000_000
PROGRESS = re.compile(r"rlvr steps: \d+ problems, [\d.]+/s$")
SENTENCE = "We compute the value of the next term carefully here. "


def sentences(n_chars: int) -> str:
    """One line of sentences in every shape the splitter reads: inline math, a lead-in, a display, a continuation."""
    parts, size, i = [], 0, 0
    while size < n_chars:
        part = f"The term $x_{{{i}}}$ is {i}. Adding it, we get \\[s_{{{i}}} = s_{{{i - 1}}} + {i},\\]so it grows. "
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)


def steps_cli(records: list[dict] | str, *args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, list]:
    text = records if isinstance(records, str) else jsonl(*records)
    out = rlvr("steps", *args, input=text, timeout=timeout)
    return out, read_jsonl(out.stdout)


def one_clean_line(out: subprocess.CompletedProcess, code: int = 0) -> str:
    """The one line on stderr (besides the progress lines a run longer than 10 s prints on a loaded machine)."""
    lines = [line for line in out.stderr.strip().splitlines() if not PROGRESS.match(line)]
    assert out.returncode == code and "Traceback" not in out.stderr and len(lines) == 1, out.stderr[-2000:]
    return lines[0]


def work(solution: str) -> tuple[int, int]:
    """(Python lines run, peak bytes allocated) to split `solution` and make its records: work counted, not timed."""
    lines = 0

    def tracer(frame, event, arg):
        nonlocal lines
        lines += event == "line"
        return tracer

    rec = {"id": "w", "prompt": "Add them.", "solution": solution}
    tracemalloc.start()
    sys.settrace(tracer)
    try:
        steps, how = split(solution, "auto", 40)
        for _ in srl_records(rec, steps, how, StepsOptions(), Skipped()):
            pass
    finally:
        sys.settrace(None)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return lines, peak


def test_a_long_solution_costs_linear_work_and_memory():
    small, large = work(sentences(20_000)), work(sentences(80_000))
    assert large[0] < 5 * small[0], (small, large)  # 4x the text: linear is 4x the lines run, quadratic 16x
    assert large[1] < 6 * small[1], (small, large)


def test_a_2mb_solution_gives_bounded_records_and_says_what_it_left_out():
    """Main's code needed over 150 s and 4 GB for 1 MB of this (its sentence search rescanned from the start, and
    every record of a solution was built before any was written); a quadratic pass over 2 MB would take many times
    this test's budget."""
    out, recs = steps_cli([{"id": "giant", "prompt": "Add them all.", "solution": sentences(2 * MB)}])
    line = one_clean_line(out)
    assert recs and all(len(r["prompt"]) + len(r["answer"]) <= 32000 for r in recs)
    assert f"→ {len(recs)} step records; left out " in line and "longer than --max-chars 32000" in line


def test_head_answers_at_once_even_when_the_whole_output_would_be_gigabytes():
    solution = "\n\n".join(f"Paragraph {i} adds the term $x_{{{i}}} = {i}$ to the sum." for i in range(40_000))
    assert len(solution) > 2 * MB  # with --max-chars 0 all of its records hold about 40 GB
    out = piped_to_head(["steps", "--max-chars", "0"], jsonl({"id": "g", "prompt": "Sum.", "solution": solution}))
    assert out.returncode == 0 and b"Traceback" not in out.stderr
    (first,) = read_jsonl(out.stdout.decode())
    assert first["meta"] == {"source": "g", "step": 2, "steps": 40_000, "split": "paragraph"}


@pytest.mark.parametrize(
    "solution, opener",
    [
        (SENTENCE * 3 + "$x = (" + "(" * 100_000 + "1" + ")" * 100_001 + "$. " + SENTENCE * 3, None),
        (SENTENCE * 3 + "\\begin{a}" * 20_000 + "x" + "\\end{a}" * 20_000 + " " + SENTENCE * 3, None),
        (SENTENCE * 3 + "{" * 200_000 + ". " + SENTENCE * 3, None),
        (SENTENCE * 3 + "$x = 1. " + SENTENCE * 50, None),  # a lone $ is money (rlvrkit.latex.dollar_math)
        (SENTENCE * 3 + "\\[ x = 1. " + SENTENCE * 50, "\\[ x = 1."),
        (SENTENCE * 3 + "\\begin{align} x &= 1. " + SENTENCE * 50, "\\begin{align}"),
        (SENTENCE * 3 + "[asy] draw((0,0)--(1,1)); " + SENTENCE * 50, "[asy]"),
        (SENTENCE * 3 + "\\begin{abc " * 50_000 + SENTENCE * 3, None),
    ],
    ids=[
        "parens",
        "environments",
        "braces",
        "lone-dollar",
        "unclosed-display",
        "unclosed-env",
        "unclosed-asy",
        "begin",
    ],
)
def test_deep_nesting_and_unclosed_math_never_split_a_formula(solution, opener):
    steps, _ = split(solution, "sentence", 40)
    assert steps and "".join(s.action for s in steps).replace(" ", "") == solution.replace(" ", "")
    if opener is not None:  # everything from the opener on is one step (half a formula is no step), with the
        assert steps[-1].action == (SENTENCE + solution[solution.index(opener) :]).strip()  # sentence before it
        assert len(steps) == 3


def test_giant_lines_and_runs_of_one_character_end_cleanly():
    rows = [
        {"id": "letters", "prompt": "P", "solution": "x" * (MB // 8)},
        {"id": "spaces", "prompt": "P", "solution": SENTENCE + " " * (MB // 8) + SENTENCE + SENTENCE},
        {"id": "periods", "prompt": "P", "solution": ". " * (MB // 16)},
        {"id": "dollars", "prompt": "P", "solution": "$" * (MB // 8)},
        {"id": "backslashes", "prompt": "P", "solution": "\\" * (MB // 8)},
        {"id": "letters-and-stops", "prompt": "P", "solution": "A. " * (MB // 24)},
        {"id": "short", "prompt": "P", "solution": "Yes. " * (MB // 40)},
    ]
    out, recs = steps_cli(rows, "--min-chars", "0")
    line = one_clean_line(out)
    assert line.startswith("rlvr steps: 7 solutions") and "left out" in line and "no records from" in line
    assert all(len(r["prompt"]) + len(r["answer"]) <= 32000 for r in recs)
    by_source = {r["meta"]["source"] for r in recs}
    assert "short" in by_source and "spaces" in by_source and "letters" not in by_source


def test_odd_unicode_is_cut_at_its_own_sentence_ends():
    solutions = {
        "cjk": "我们先算第一部分，得到结果是五。然后我们再算第二部分的值为六。最后相加得到十一。",
        "emoji": "🎉 The party starts at noon today. 🧮 We count the beads in a row.",
        "nbsp": "The first sentence is here.\u00a0The second one is right here.",
        "controls": "Sentence one\x00 is here now. Sentence two\x1b[31m is red now.",
        "combining": "Caf\u00e9 au lait costs 3. Cafe\u0301 noir costs 2 more than that.",
    }
    rows = [{"id": key, "prompt": "P", "solution": solution} for key, solution in solutions.items()]
    text = jsonl(*rows) + '{"id":"broken","prompt":"P","solution":"We go here now. \\ud800 Then we stop here now."}\n'
    out, recs = steps_cli(text, "--min-chars", "5")
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 0 and "Traceback" not in out.stderr and len(lines) == 2  # the repair, then the summary
    assert "replaced invalid Unicode with U+FFFD in 1 line" in lines[0] and "6 solutions" in lines[1]
    answers = {r["meta"]["source"]: r["answer"] for r in recs}
    assert answers["cjk"] == "最后相加得到十一。" and answers["emoji"] == "🧮 We count the beads in a row."
    assert answers["nbsp"] == "The second one is right here." and answers["broken"] == "\ufffd Then we stop here now."
    assert answers["combining"] == "Cafe\u0301 noir costs 2 more than that." and "controls" in answers


def test_numbered_steps_out_of_order_huge_or_many():
    rows = [
        {"id": "order", "prompt": "P", "solution": "3. Third.\n1. First step.\n2. Second step.\n4. Fourth step."},
        {"id": "twice", "prompt": "P", "solution": "1. One.\n1. One again.\n2. Two.\n2. Two again.\n3. Three."},
        {"id": "huge", "prompt": "P", "solution": "1" * 5000 + ". Big.\n" + "2" * 5000 + ". Bigger."},
        {"id": "wide", "prompt": "P", "solution": "１. First thing to do.\n２. Second thing to do."},
        {"id": "many", "prompt": "P", "solution": "".join(f"{i}. **Step {i}** We do {i}.\n" for i in range(1, 50_001))},
    ]
    out, recs = steps_cli(rows, "--split", "numbered", "--with-title")
    line = one_clean_line(out)
    assert "no records from 1 solution: 1 no numbered steps" in line and "longer than --max-chars 32000" in line
    answers = [(r["meta"]["source"], r["answer"]) for r in recs if r["meta"]["source"] != "many"]
    assert answers == [
        ("order", "First step."),
        ("order", "Second step.\n4. Fourth step."),
        ("twice", "Two.\n2. Two again."),
        ("twice", "Three."),
        ("wide", "Second thing to do."),
    ]
    many = [r for r in recs if r["meta"]["source"] == "many"]
    assert many and many[0]["meta"]["title"] == "Step 2" and many[-1]["meta"]["step"] == len(many) + 1


def test_a_bad_record_stops_the_run_and_keeps_every_record_before_it(tmp_path):
    good = {"id": "a", "prompt": "P", "solution": SENTENCE * 3}
    for bad, problem in [
        ({"id": "b", "prompt": "P", "solution": 5}, "'solution' must be a non-empty string"),
        ({"id": "b", "prompt": "P", "solution": "   "}, "'solution' must be a non-empty string"),
        ({"id": True, "prompt": "P", "solution": SENTENCE}, "'id' must be a non-empty string or an integer"),
    ]:
        target = tmp_path / "srl.jsonl"
        out, _ = steps_cli([good, bad], "-o", str(target))
        assert one_clean_line(out, 2).startswith(f"rlvr steps: error: stdin:2: {problem}")
        assert [r["meta"]["source"] for r in read_jsonl(target.read_text())] == ["a", "a"]
    out, recs = steps_cli(
        jsonl(good) + "{oops\n" + jsonl({**good, "id": "c"}), "--on-error", "skip", "--rejects", str(tmp_path / "r")
    )
    assert out.returncode == 0 and [r["meta"]["source"] for r in recs] == ["a", "a", "c", "c"]
    assert (tmp_path / "r").read_text() == "{oops\n"


def test_a_prompt_or_step_too_long_for_any_record_is_counted_not_written():
    rows = [
        {"id": "long-prompt", "prompt": "P" * MB, "solution": SENTENCE * 3},
        {"id": "long-step", "prompt": "P", "solution": SENTENCE + "X" * 40_000 + ". " + SENTENCE},
    ]
    out, recs = steps_cli(rows)
    assert "left out 4 records: 4 longer than --max-chars 32000" in one_clean_line(out) and recs == []
    out, recs = steps_cli(rows, "--max-chars", "0")
    assert one_clean_line(out).endswith("→ 4 step records") and len(recs) == 4
    assert json.loads(json.dumps(recs[0]))["prompt"].startswith("P" * MB)
