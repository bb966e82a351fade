"""`rlvr compose` under hostile input (issue 19): answers whose value explodes or nests without end, and problem texts
with enormous, deep or endless numbers. Each class is refused in bounded work and counted (exit 0, one summary line on
stderr, never a traceback); a line that is not a record is exit 2 in one line.

Bounded work is shown without timing anything: an answer such as ``10^{10^{10}}`` would need ten billion digits to
evaluate, so finishing at all is the proof (the guard below only turns a hang into a failure), and a text's
constants are found with a count of Python calls that grows linearly with the text (doubling it at most about
doubles the calls; the quadratic search it replaces multiplies them by 4 to 5)."""

from __future__ import annotations

import cProfile
import json
import pstats
import re
import signal
from contextlib import contextmanager

import pytest
from conftest import DATA, jsonl, read_jsonl, rlvr

from rlvrkit.compose.answers import read
from rlvrkit.compose.numbers import constants, to_replace

D = "9" * 5000
TOO_LARGE = "q1: answer is too large to read exactly"
# Each class, with every answer shape a rule reads (a number, x = …, an interval, a list, a ratio, degrees, a matrix).
ANSWERS = {
    "powers that explode": ["10^{10^{10}}", "10^{-10^{10}}", "9^{9^{9}}", "2^{2^{2^{2^{2}}}}", "10^{400}"],
    "powers in every shape": [
        "x = 10^{10^{10}}",
        "[10^{10^{10}}, \\infty)",
        "(10^{10^{10}}, 2)",
        "10^{10^{10}}:3",
        "10^{10^{10}}^\\circ",
        "\\begin{pmatrix} 10^{10^{10}} \\\\ 2 \\end{pmatrix}",
    ],
    "huge literals": [D, "0." + "0" * 5000 + "1", "1" + ",000" * 1700, "1e999999999", "1e-999999999", "5e4300"],
    "deep nesting": [
        "{" * 3000 + "1" + "}" * 3000,
        "(" * 3000 + "1" + ")" * 3000,
        "-" * 5000 + "5",
        "\\frac{" * 3000 + "1" + "}{2}" * 3000,
        "\\sqrt{" * 3000 + "2" + "}" * 3000,
        "\\boxed{" * 3000 + "1" + "}" * 3000,
        "{" * 40 + "1" + "}" * 40,  # short enough to parse, too deep to evaluate
    ],
    "factorials": ["1000!", "(1000!)!", "{170!}^{170}", "70!"],
    "huge fractions": ["\\frac{10^{4000}}{3}", "\\frac{1}{10^{10^{10}}}", "\\frac{" + D + "}{3}"],
    "roots": ["\\sqrt{10^{10^{10}}}", "2^{\\frac{1}{10^{10}}}"],
    "expansions": ["(1+\\sqrt{2})^{1000000}", "\\pi^{1000000000}", "(\\sqrt{2}+\\sqrt{3}+\\sqrt{5})^{12}"],
    "polynomials": [
        "{x+y+z+w}^{200}",
        "x^{10^{10}} + 1",
        "".join("{%s+%s}" % (chr(97 + i), chr(98 + i)) for i in range(0, 24, 2)),
    ],
    "long": ["1+" * 500000 + "1", "2" * 100000],
}


@contextmanager
def hang_guard(seconds: int = 60):
    """Fail instead of hanging (a guard against runaway work, not a measure of speed)."""

    def stop(*_):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def problems(n: int) -> list[dict]:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    with open(DATA / "math500.jsonl") as f:
        return [json.loads(next(f)) for _ in range(n)]


def one_error_free_summary(out) -> str:
    """The run's one stderr line: the summary, with no traceback."""
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 0 and "Traceback" not in out.stderr and len(lines) == 1, out.stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize("answer", [a for answers in ANSWERS.values() for a in answers], ids=lambda a: a[:24])
def test_an_answer_that_explodes_is_refused(answer):
    with hang_guard():
        got = read(answer, {"prompt": "What is the ratio?"})
    if answer.startswith(("(1+", "{x+", "{a+", "x^", "(\\sqrt", "\\pi")):
        assert isinstance(got, str) and got.startswith("q1: answer is "), got  # too large, or not one number
    else:
        assert got == TOO_LARGE, (answer[:40], got)


def test_the_command_counts_every_exploding_answer_and_composes_the_rest(tmp_path):
    hostile = [a for answers in ANSWERS.values() for a in answers]
    first = tmp_path / "first.jsonl"
    first.write_text(
        jsonl(*({"id": f"h{i}", "prompt": "What is the ratio?", "answer": a} for i, a in enumerate(hostile)))
    )
    with hang_guard(300):
        out = rlvr("compose", "--first", str(first), "--candidates", str(len(hostile)), input=jsonl(*problems(4)))
    summary = one_error_free_summary(out)
    composable = len({r["meta"]["parents"][-1] for r in read_jsonl(out.stdout)}) if out.stdout else 0
    m = re.search(r"(\d+) q1: answer is too large to read exactly", summary)
    assert m and int(m.group(1)) >= 0.7 * len(hostile) * composable, summary
    assert "0 failed the self-check" in summary


TEXTS = {
    "huge literals": [
        f"What is ${D}+1$? Add 7 apples.",
        "What is $0." + "0" * 5000 + "1$ plus 7?",
        f"What is $\\frac{{{D}}}{{3}}$ plus 7?",
        f"What is {D}/3 plus 7?",
        "What is $1" + "{,}000" * 1700 + "$ plus 7?",
        "Find 1e999999999 plus 7.",
    ],
    "deep nesting": [
        "Find $" + "{" * 3000 + "7" + "}" * 3000 + "$ and 8.",
        "Find $" + "-" * 5000 + "7$ and 8.",
        "$" + "\\frac{" * 3000 + "7" + "}{2}" * 3000 + "$ and 8.",
        "\\begin{array}" * 3000 + "7" + "\\end{array}" * 3000 + " and 8.",
        "$x^{" * 3000 + "7" + "}" * 3000 + "$ and 8.",
    ],
    "endless text": ["\\" * 100000 + "$" * 100000 + " 7 and 8.", "The cat sat on 7 mats. " + "word " * 30000],
}


@pytest.mark.parametrize("text", [t for texts in TEXTS.values() for t in texts], ids=lambda t: t[:24])
def test_a_hostile_problem_text_never_replaces_what_it_cannot_hold(text):
    with hang_guard():
        found = constants(text)
        chosen = to_replace(text)
    assert all(c.reason == "too many digits" for c in found if c.value is None)
    if not isinstance(chosen, str):
        assert chosen.value is not None and len(chosen.text) <= 100


def test_the_command_composes_around_hostile_problem_texts(tmp_path):
    texts = [t for ts in TEXTS.values() for t in ts]
    lasts = [{"id": f"t{i}", "prompt": t, "answer": "5"} for i, t in enumerate(texts)]
    lasts.append({"id": "long", "prompt": "Find 7. " + "x " * 60000, "answer": "7"})  # over the 100,000 limit
    first = tmp_path / "first.jsonl"
    first.write_text(jsonl(*problems(3)))
    with hang_guard(300):
        out = rlvr("compose", "--first", str(first), "--candidates", "3", input=jsonl(*lasts))
    summary = one_error_free_summary(out)
    written = read_jsonl(out.stdout)
    assert written and "q2: text over 100,000 characters" in summary
    for rec in written:  # what was composed replaced a number it can hold, and re-derives
        assert len(rec["meta"]["v2"]) <= 100


def _calls(text: str) -> int:
    profile = cProfile.Profile()
    profile.enable()
    to_replace(text)
    profile.disable()
    return pstats.Stats(profile).total_calls


def test_finding_the_constants_is_linear_in_the_text():
    """Many numbers, many answer-format sentences, a figure with many labels, many scripts: doubling the text at
    most about doubles the work (Python calls counted)."""

    def text(n: int) -> str:
        rounds = " ".join(f"Round {i} to the nearest ten, $x_{{{i}}}^{{{i}}}$." for i in range(n))
        figure = "[asy]" + "".join(f'label("${i}$",({i},{i + 1}));' for i in range(n, 2 * n)) + "[/asy]"
        return rounds + figure + " Find 7."

    small, large = _calls(text(600)), _calls(text(1200))
    assert large <= 2.5 * small, (small, large)  # the quadratic search it replaces: 4.7 times


@pytest.mark.parametrize(
    "line, says",
    [
        ('{"id": "h", "prompt": "What is 1+1?", "answer": [1, 2]}', "'answer' must be"),
        ('{"id": "h", "prompt": 12, "answer": "2"}', "'prompt' must be a non-empty string"),
        ('{"id": "h", "prompt": "What is 1+1?", "answer": ' + D + "}", "not valid JSON"),
        ("[" * 3000 + "]" * 3000, ""),
    ],
)
def test_a_line_that_is_not_a_record_is_exit_2_in_one_line(line, says):
    with hang_guard(120):
        out = rlvr("compose", input=jsonl(*problems(2)) + line + "\n")
    errors = [x for x in out.stderr.splitlines() if x.strip()]
    assert out.returncode == 2 and len(errors) == 1 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert "stdin:3:" in errors[0] and says in errors[0], errors[0]
