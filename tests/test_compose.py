"""`rlvr compose`: exact values, the rules that read q1's answer, the numbers of q2 that are never touched, the
self-check, the paper's sampling, and the command end to end on slices of the real data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter

import pytest
import sympy
from conftest import DATA, heavy_imports, jsonl, read_jsonl, rlvr

from rlvrkit.compose.answers import derive, read
from rlvrkit.compose.numbers import constants, to_replace, write_like
from rlvrkit.compose.options import ComposeOptions
from rlvrkit.compose.run import Counts, composed
from rlvrkit.compose.selfcheck import check
from rlvrkit.compose.spc import Problem
from rlvrkit.compose.values import equal, number

R = sympy.Rational


def data(name: str, n: int) -> list[dict]:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    with open(DATA / f"{name}.jsonl") as f:
        return [json.loads(next(f)) for _ in range(n)]


def compose(lasts: list[dict], pool: list[dict] | None = None, **opts) -> tuple[list[dict], Counts]:
    """The library's compose, in process: (records written, counts)."""
    counts = Counts()
    last_problems = [Problem(r) for r in lasts]
    pool_problems = [Problem(r) for r in pool] if pool is not None else last_problems
    out = list(composed(last_problems, pool_problems, ComposeOptions(**opts), None, counts))
    return out, counts


@pytest.mark.parametrize(
    "text, value",
    [
        ("\\frac{7}{20}", R(7, 20)),
        ("-\\dfrac34", R(-3, 4)),
        ("0.1", R(1, 10)),
        (".5", R(1, 2)),
        ("98,\\!770", 98770),
        ("1\\frac{12}{13}", R(25, 13)),  # a mixed number, as MATH writes them
        ("2^{10}", 1024),
        ("10\\sqrt 2", 10 * sympy.sqrt(2)),
        ("\\frac{5\\pi}{12}", 5 * sympy.pi / 12),
        ("\\frac{1+\\sqrt{5}}{2}", (1 + sympy.sqrt(5)) / 2),
        ("953/20", R(953, 20)),
    ],
)
def test_values_are_exact(text, value):
    assert number(text) == value


@pytest.mark.parametrize("text", ["2x", "\\infty", "", "1/0", "\\sin 30", "3 +"])
def test_what_is_not_one_number_is_refused(text):
    with pytest.raises(ValueError):
        number(text)


@pytest.mark.parametrize(
    "answer, rule, value",
    [
        ("72", "integer", 72),
        ("\\frac{7}{20}", "fraction", R(7, 20)),
        ("0.57", "decimal", R(57, 100)),
        ("4e-05", "decimal", R(1, 25000)),
        ("5+4\\sqrt{3}", "radical", 5 + 4 * sympy.sqrt(3)),
        ("\\frac{9\\pi}{2}", "pi", 9 * sympy.pi / 2),
        ("\\$16,\\!386.16", "decimal", R(1638616, 100)),
        ("83\\%", "integer", 83),
        ("4 \\text{ feet}", "integer", 4),
        ("\\text{(D)}", "letter", 4),
        ("\\text{Saturday}", "letter", 19),
        ("10001_2", "digits", 5),
        ("30^\\circ", "radians", sympy.pi / 6),
        ("3:4", "ratio", 3),
        ("x = 3", "solution", 3),
        ("[46, \\infty)", "bound", 46),
        ("(-\\infty,-8]\\cup [8,\\infty)", "bound", 8),
        ("(5, -10)", "largest", 5),
        ("\\begin{pmatrix} -19 \\\\ -6 \\\\ 4 \\end{pmatrix}", "largest", 4),
        ("7x + 10", "coefficient", 7),
        ("2x^3 + 6x^2 + 9x + 11", "coefficient", 2),
        ("y = -2x + 3", "coefficient", -2),
    ],
)
def test_each_rule_reads_its_answers_and_re_derives_them(answer, rule, value):
    reading = read(answer)
    assert (reading.rule, reading.value) == (rule, value)
    assert "\x00" not in reading.definition("$X$") and reading.definition("$X$").startswith("Let $X$ be ")
    assert derive(rule, answer).value == value
    assert derive("coefficient" if rule != "coefficient" else "letter", answer) is None


@pytest.mark.parametrize(
    "answer, why",
    [
        ("(2x+3)(2x -1)", "an expression"),  # factored: "the coefficient of x" would be ambiguous
        ("\\left( \\frac{3}{4}, \\infty \\right) \\cup (-\\infty, 0)", None),
        ("(-\\infty, \\infty)", "an interval without a finite endpoint"),
        ("\\text{two lines}", "words"),
        ("05\\!:\\!00", "unreadable"),  # a time, not a ratio
    ],
)
def test_answers_no_rule_reads_are_skipped_with_a_reason(answer, why):
    got = read(answer)
    if why is None:
        assert got.rule == "bound" and got.value == R(3, 4)
    else:
        assert got == f"q1: answer is {why}"


@pytest.mark.parametrize(
    "text, chosen, reason",
    [
        ("If $5x - 3 = 12$, what is the value of $5x + 3$?", "12", None),  # 5 and 3 are repeated
        ("Weng earns $12 an hour. She did 50 minutes of work.", "12", None),  # GSM8K's dollars are money
        ("A ratio of \\frac{3}{4} and 0.5 and 1.5.", "\\frac{3}{4}", None),  # fractions before decimals
        ("What is 2.5 and 1.25?", "1.25", None),  # the smaller first
        ("[asy]draw((0,0)--(5,0));[/asy] The side is 7.", "7", None),  # never in figure code
        ("\\begin{tikzpicture}\\draw (0,0) -- (4,0);\\end{tikzpicture} Find 9.", "9", None),
        ('[asy]label("$7$",(1,0));[/asy] The side is 7.', None, "repeated"),  # a label states a quantity
        ("Problem 3. Figure 2 shows it.", None, "label"),
        ("A room has area $20 \\mathrm{~m}^2$.", "20", None),  # the unit's exponent stays
        ("The area is $x^2$ square meters.", None, "exponent"),
        ("Find it. Express your answer as a common fraction in the form $a/b$ with $b > 1$.", None, "answer format"),
        ("Enter your answer in the form $(r, \\theta),$ where $r > 0$ and $0 \\le \\theta < 2 \\pi.$", None, None),
        ("Version 1.2.3 and 4e-05 and 0.4\\overline5.", None, "part of a larger number"),
        ("The 5th term of $a_1, a_2$.", None, "glued to a name"),
        ("At 3:30 pm.", None, "time or ratio"),
        ("Compute $\\sqrt2 + 1$ and 1.", None, "repeated"),
        ("She has 3 cats and 3 dogs and 10 fish.", "10", None),  # 3 twice: which is the same quantity?
    ],
)
def test_the_numbers_never_touched(text, chosen, reason):
    got = to_replace(text)
    if chosen is not None:
        assert got.text == chosen
    else:
        assert isinstance(got, str) and all(c.reason for c in constants(text))
        assert reason is None or reason in {c.reason for c in constants(text)}


@pytest.mark.parametrize(
    "value, literal, want",
    [
        (12, "12", "12"),
        (1000, "1,000", "1,000"),
        (1200, "1{,}200", "1{,}200"),
        (R(3, 4), "\\dfrac{6}{8}", "\\dfrac{6}{8}"),  # its own denominator: the text comes back exactly
        (R(3, 4), "\\frac34", "\\frac34"),
        (R(25, 2), "12.50", "12.50"),
        (R(1, 4), ".25", ".25"),
        (R(1, 3), "0.33", None),  # a decimal cannot hold it exactly
        (sympy.sqrt(2), "2", None),
    ],
)
def test_a_value_is_written_back_in_the_literal_s_notation(value, literal, want):
    assert write_like(value, literal) == want


def replaced_region(original: str, modified: str) -> tuple[str, str]:
    """The one stretch where two texts differ: (what the original has there, what the modified has)."""
    a = len(os.path.commonprefix([original, modified]))
    b = len(os.path.commonprefix([original[a:][::-1], modified[a:][::-1]]))
    return original[a : len(original) - b], modified[a : len(modified) - b]


@pytest.mark.parametrize("name, share", [("gsm8k_train", 0.9), ("math_train", 0.7), ("math500", 0.7)])
def test_real_problems_compose_exactly_and_q2_changes_in_one_number_only(name, share):
    rows = data(name, 120)
    out, counts = compose(rows, candidates=3)
    assert counts.tried == 360 and len(out) >= share * counts.tried and not counts.failed
    assert sum(counts.skipped.values()) + len(out) == counts.tried
    by_id = {r["id"]: r for r in rows}
    for rec in out:
        q1, q2 = (by_id[i] for i in rec["meta"]["parents"])
        m = rec["meta"]
        assert rec["answer"] == q2["answer"] and rec["task"] == "math" and rec["id"].startswith("spc-")
        assert rec["prompt"].startswith(q1["prompt"] + "\n\n" + m["definition"] + " ")
        tail = rec["prompt"].rsplit("\n\n", 1)[1] if "\n\n" not in q2["prompt"] else None
        y = m["variables"][1]
        if tail is not None:
            assert replaced_region(q2["prompt"], tail) in ((m["v2"], y), (m["v2"], f"${y}$"))
        v2 = number(m["v2"].replace("{,}", "").replace(",", ""))
        assert equal(number(m["v1"]) + number(m["difference"]), v2)
        assert set(m) >= {"parents", "depth", "rule", "v1", "v2", "difference", "variables", "definition"}


def test_the_self_check_catches_every_tampering():
    rows = data("math_train", 40)
    out, _ = compose(rows, candidates=2)
    problems = {r["id"]: Problem(r) for r in rows}
    rec = next(r for r in out if r["meta"]["difference"] != "0")
    parents = [problems[i] for i in rec["meta"]["parents"]]
    assert check(rec, parents) is None
    m = rec["meta"]
    start = len(parents[0].text) + 2 + len(m["definition"]) + 1
    link = rec["prompt"][start:].split("\n\n", 1)[0]
    wrong_link = re.sub(r" is (\$?)[^$]+?(\$?) (more|less) than", r" is \g<1>1000001\g<2> \3 than", link)
    tampered = {
        "link": {**rec, "prompt": rec["prompt"][:start] + rec["prompt"][start:].replace(link, wrong_link, 1)},
        "v1": {**rec, "meta": {**m, "v1": "1000001"}},
        "rule": {**rec, "meta": {**m, "rule": "largest" if m["rule"] != "largest" else "integer"}},
        "definition": {**rec, "meta": {**m, "definition": m["definition"].replace("answer", "result")}},
        "q2": {**rec, "prompt": rec["prompt"][:-1] + ("?" if rec["prompt"][-1] != "?" else ".")},
        "q1": {**rec, "prompt": "Note. " + rec["prompt"]},
        "v2": {**rec, "meta": {**m, "v2": m["v2"] + "0"}},
    }
    assert wrong_link != link
    for what, bad in tampered.items():
        assert check(bad, parents) is not None, what


def test_variable_names_never_collide_with_the_problems_symbols():
    q1 = {"id": "a", "prompt": "Let $Z$ be 4. What is $Z + 3$?", "answer": "7"}
    q2 = {"id": "b", "prompt": "If $5x - 3 = 12$ and $y = 2$, is W bigger? What is $x$?", "answer": "3"}
    (rec,), _ = compose([q2], [q1], candidates=1)
    assert rec["meta"]["variables"] == ["U", "V"]  # X, Y (x, y in q2), Z (q1) and W (a word of q2) are taken
    assert rec["prompt"].endswith("If $5x - 3 = 12$ and $y = V$, is W bigger? What is $x$?")


def test_depth_three_chains_three_problems_and_checks_every_junction():
    rows = data("math_train", 60)
    out, counts = compose(rows, depth=3, candidates=2)
    assert len(out) >= 0.5 * counts.tried and not counts.failed
    rec = out[0]
    m = rec["meta"]
    assert len(m["parents"]) == 3 and m["depth"] == 3 and m["inner"]["depth"] == 2 and "inner" not in m["inner"]
    texts = [next(r["prompt"] for r in rows if r["id"] == i) for i in m["parents"]]
    assert (
        rec["prompt"].startswith(texts[0])
        and rec["answer"] == rows[[r["id"] for r in rows].index(m["parents"][2])]["answer"]
    )
    assert len({*m["variables"], *m["inner"]["variables"]}) == 4  # four distinct names


def test_cross_domain_takes_q1_from_first():
    physics, maths = data("physics", 40), data("math_train", 30)
    out, counts = compose(maths, physics, candidates=4)
    assert len(out) >= 0.6 * counts.tried and not counts.failed
    assert all(r["meta"]["parents"][0].startswith(("scibench/", "theoremqa/")) for r in out)
    with_unit = [r for r in out if "expressed in units of" in r["meta"]["definition"]]
    assert with_unit, "a SciBench answer is a number in its unit: the definition says which"


def test_sampling_is_the_paper_s_seeded_and_capped():
    rows = data("gsm8k_train", 50)
    one, _ = compose(rows, candidates=5, seed=1)
    again, _ = compose(rows, candidates=5, seed=1)
    other, _ = compose(rows, candidates=5, seed=2)
    assert one == again and [r["id"] for r in one] != [r["id"] for r in other]
    firsts = Counter(tuple(r["meta"]["parents"]) for r in one)
    assert max(firsts.values()) == 1  # a fresh subset per q2: no pair twice
    assert all(r["meta"]["parents"][0] != r["meta"]["parents"][1] for r in one)
    same = {r["id"]: r for r in other}
    assert all(same[r["id"]] == r for r in one if r["id"] in same)  # same parents, same record and id
    capped, _ = compose(rows, candidates=5, pairs=7)
    assert len(capped) == 7


def test_the_command_writes_what_verify_accepts_as_correct(tmp_path):
    rows = data("math_train", 25) + data("gsm8k_train", 25)
    src = tmp_path / "in.jsonl"
    src.write_text(jsonl(*rows))
    out = rlvr("compose", "-i", str(src), "--candidates", "2", "--seed", "3")
    assert out.returncode == 0, out.stderr
    recs = read_jsonl(out.stdout)
    assert "100 pairs tried" in out.stderr and "0 failed the self-check" in out.stderr
    rollouts = [{**r, "completion": f"So the answer is $\\boxed{{{r['answer']}}}$.", "sample": 0} for r in recs[::4]]
    verified = read_jsonl(rlvr("verify", "-j", "1", input=jsonl(*rollouts)).stdout)
    assert len(verified) == len(rollouts) > 5
    assert all(v["reward"] == 1.0 for v in verified), [v["verdict"] for v in verified if v["reward"] != 1.0]


def test_solve_all_prompts_from_score_compose_through_the_pipe(tmp_path):
    rows = data("gsm8k_train", 12)
    pool = tmp_path / "pool.jsonl"
    pool.write_text(jsonl(*data("gsm8k_test", 30)))
    verified = [
        {**r, "completion": "x", "sample": s, "reward": float(i % 3 == 0 or s == 0)}
        for i, r in enumerate(rows)
        for s in range(4)
    ]
    pipe = f"{sys.executable} -m rlvrkit.commands.cli score --per-prompt --only solve-all | "
    pipe += f"{sys.executable} -m rlvrkit.commands.cli compose --first {pool} --candidates 2"
    out = subprocess.run(pipe, shell=True, input=jsonl(*verified).encode(), capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    recs = read_jsonl(out.stdout.decode())
    solved = {r["id"] for i, r in enumerate(rows) if i % 3 == 0}
    assert recs and {r["meta"]["parents"][-1] for r in recs} <= solved
    assert all("pass_rate" not in r and "solve_all" not in r for r in recs)  # q2's statistics are not the new prompt's


def test_compose_and_its_help_do_not_import_torch():
    rows = data("gsm8k_train", 3)
    stdout, heavy = heavy_imports(["compose", "--candidates", "1"], jsonl(*rows).encode())
    assert len(read_jsonl(stdout)) >= 1
    assert "torch" not in heavy and "transformers" not in heavy, heavy
    assert heavy_imports(["compose", "--help"], b"")[1] == []


@pytest.mark.parametrize(
    "args, lines, says",
    [
        (
            [],
            [{"id": "a", "prompt": "What is 2+3?", "answer": "5"}, {"id": "b", "prompt": "Add 1 and 4."}],
            "stdin:2: missing 'answer'",
        ),
        ([], [{"id": "a", "prompt": "What is 2+3?", "answer": "5"}], None),
        (["--first", "{tmp}/missing.jsonl"], [{"id": "a", "prompt": "1+1?", "answer": "2"}], "cannot read"),
        (["--depth", "1"], [], "Invalid value for '--depth'"),
        (["--first", "{tmp}/bad.jsonl"], [{"id": "a", "prompt": "1+1?", "answer": "2"}], "bad.jsonl:1: not valid JSON"),
    ],
)
def test_bad_input_is_exit_2_in_one_line(tmp_path, args, lines, says):
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    text = jsonl(*lines) + ("not json\n" if says is None else "")
    out = rlvr("compose", *[a.format(tmp=tmp_path) for a in args], input=text)
    errors = [line for line in out.stderr.splitlines() if "error:" in line.lower()]
    assert out.returncode == 2 and len(errors) == 1 and "Traceback" not in out.stderr, out.stderr
    assert (says or "stdin:2: not valid JSON") in errors[0]


def test_llm_phrasing_falls_back_to_the_rule_when_the_tiny_model_fails(tiny_model, tmp_path):
    rows = data("gsm8k_train", 4)
    out = rlvr("compose", "--llm", str(tiny_model), "--candidates", "1", "--pairs", "1", input=jsonl(*rows))
    assert out.returncode == 0, out.stderr
    (rec,) = read_jsonl(out.stdout)
    assert "phrased_by" not in rec["meta"] and rec["meta"]["definition"] == "Let X be the answer to the problem above."
    assert f"{tiny_model} phrased 0 of 1 definitions; the rule's definition kept for 1" in out.stderr


class _Engine:
    """An engine that answers every request with the same text."""

    def __init__(self, reply: str):
        self.reply, self.tokenizer = reply, _Tokenizer()

    def generate(self, requests, params):
        from rlvrkit.rollout.engine import Completion

        return [Completion([1], [0.0], self.reply, "stop") for _ in requests]


class _Tokenizer:
    chat_template = None

    def __call__(self, text, **kw):
        return {"input_ids": [1, 2, 3]}


@pytest.mark.parametrize(
    "reply, kept",
    [
        ("DEFINITION: Let $X$ be the number of vertical asymptotes in the answer above.\nVALUE: {v1}", True),
        ("DEFINITION: Let $X$ be the number of vertical asymptotes in the answer above.\nVALUE: 1000", False),
        ("DEFINITION: Let $X$ be the number of vertical asymptotes.\nVALUE: {v1}", False),  # drops "answer"
        ("DEFINITION: Let $X$ be {v1}, the answer above.\nVALUE: {v1}", False),  # gives the value away
        ("DEFINITION: Let the count be the answer above.\nVALUE: {v1}", False),  # names no X
        ("Sure! Here you go.", False),
    ],
)
def test_a_phrased_definition_stays_only_when_its_value_re_derives(reply, kept):
    from rlvrkit.compose.phrase import Phraser
    from rlvrkit.compose.run import finished
    from rlvrkit.compose.spc import plan

    rows = data("math_train", 3)
    chain = plan((Problem(rows[0]), Problem(rows[1])))
    v1 = str(chain.links[0].reading.value)
    phraser = Phraser("fake", None, engine=_Engine(reply.format(v1=v1).replace("$X$", chain.links[0].name(0))))
    counts = Counts()
    (rec,) = finished([chain], phraser, counts)
    assert ("phrased_by" in rec["meta"]) == kept and not counts.failed
    assert check(rec, list(chain.problems)) is None
    assert phraser.outcomes["phrased"] == kept
