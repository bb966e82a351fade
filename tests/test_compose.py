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
    rec = {"prompt": "What is the ratio of the two?"}  # a ratio is read only where one is asked for
    reading = read(answer, rec)
    assert (reading.rule, reading.value) == (rule, value)
    assert "\x00" not in reading.definition("$X$") and reading.definition("$X$").startswith("Let $X$ be ")
    assert derive(rule, answer, rec).value == value
    assert derive("coefficient" if rule != "coefficient" else "letter", answer, rec) is None


@pytest.mark.parametrize(
    "answer, why",
    [
        ("(2x+3)(2x -1)", "an expression"),  # factored: "the coefficient of x" would be ambiguous
        ("\\left( \\frac{3}{4}, \\infty \\right) \\cup (-\\infty, 0)", None),
        ("(-\\infty, \\infty)", "an interval without a finite endpoint"),
        ("\\text{two lines}", "words"),
        ("05\\!:\\!00", "unreadable"),  # a time, not a ratio
        ("9:24", "unreadable"),  # Anna, Stephanie and James meet at 9:24: a time of day (MATH train)
        ("10^{10^{10}}", "too large to read exactly"),
    ],
)
def test_answers_no_rule_reads_are_skipped_with_a_reason(answer, why):
    got = read(answer, {"prompt": "They start running around a track at 8:00. When do they meet?"})
    if why is None:
        assert got.rule == "bound" and got.value == R(3, 4)
    else:
        assert got == f"q1: answer is {why}"


@pytest.mark.parametrize(
    "text, chosen, reason",
    [
        ("If $5x - 3 = 12$, what is the value of $5x + 3$?", "12", None),  # 5 and 3 are repeated
        ("Weng earns $12 an hour. She did 50 minutes of work.", "50", None),  # GSM8K's dollars are money
        ("A ratio of \\frac{3}{4} and 0.5 and 1.5.", "\\frac{3}{4}", None),  # fractions before decimals
        ("What is 2.5 and 1.25?", "2.5", None),  # the larger first: a constant guess of Y finds it less often
        ("Sam carries a 2 gallon bucket 1 mile and 3 miles more.", "3", None),  # 2 and 1 never
        ("What's the largest eight-digit base 2 integer?", None, "2 (guessed first)"),  # a policy's first guess
        (  # a_12 is given by the definition (MATH train); 1234 too
            "Let $a_n$ be the number obtained by writing the integers 1 to $n$ from left to right. Therefore, "
            "$a_4 = 1234$ and \\[a_{12} = 123456789101112.\\]For $1 \\le k \\le 100$, how many are divisible by 9?",
            "100",
            None,
        ),
        ("If $$1+12+123+1234+12345$$ is congruent to $n$ modulo 9", "9", None),  # the sum's terms are its pattern
        ("What is the sum of the odd numbers $Y$, 3, 5, 7? Add 9 and 4.", "9", None),
        ("Find $\\sin 20^\\circ \\sin 40^\\circ \\sin 80^\\circ$.", None, "angle of a trigonometric identity"),
        ("Compute $1-2+3-4+5- \\dots +99-100$.", None, "member of a listed sequence"),
        ("A standard deck of 52 cards. In a week of 7 days he plays 5 games.", "5", None),
        ("In 1992, a scoop cost 1200 lire.", "1200", None),  # a year rarely changes the answer
        ("Let $z_n=F(z_{n-1})$ and $x^{2n+3}$. Find 9.", "9", None),  # inside ^{…} and _{…}
        ("If $x^2 + x + 1 = 0$, find $x^3$.", None, "0 or 1"),
        ("[asy]draw((0,0)--(5,0));[/asy] The side is 5 and 8.", "8", None),  # a figure drawn to scale shows 5
        ("Two of the 2 cats and 6 dogs.", "6", None),  # ``two`` in words: 2 is held twice
        ("Add " + "9" * 150 + " and 4.", "4", None),  # a literal too long is never computed
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


@pytest.mark.parametrize("name, share", [("gsm8k_train", 0.9), ("math_train", 0.6), ("math500", 0.6)])
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
    assert rec["prompt"].endswith("If $5x - 3 = V$ and $y = 2$, is W bigger? What is $x$?")


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


def test_pairs_spread_over_the_input_one_composition_per_last_problem_per_pass():
    rows = data("math500", 60)
    out, counts = compose(rows, pairs=40)
    lasts = Counter(r["meta"]["parents"][-1] for r in out)
    assert len(out) == 40 and len(lasts) == 40  # 40 pairs from 60 prompts: 40 distinct last problems
    assert len(counts.lasts) == 40
    # more pairs than composable last problems: pass after pass, each at most once per pass
    many, counts = compose(rows, pairs=150)
    per_last = Counter(r["meta"]["parents"][-1] for r in many)
    assert len(many) == 150 and max(per_last.values()) - min(per_last.values()) <= 1
    passes = [r["meta"]["parents"][-1] for r in many]
    first_pass = passes[: len(per_last)]
    assert len(set(first_pass)) == len(per_last)  # every last problem once before any twice
    unlimited, _ = compose(rows[:5], candidates=3)  # without --pairs: each last problem's compositions together
    order = [r["meta"]["parents"][-1] for r in unlimited]
    assert order == sorted(order, key=order.index)


def test_pairs_200_on_math500_spread_and_need_q1():
    """The issue's must-show: --pairs 200 on MATH-500 uses >= 150 distinct last problems, <= 10% of the replaced
    values are 0, 1 or 2, nothing fails the self-check, and no content-blind guess of Y from q2 alone does well."""
    from rlvrkit.compose.audit import audit

    out, counts = compose(data("math500", 500), pairs=200)
    assert len(out) == 200 and len({r["meta"]["parents"][-1] for r in out}) >= 150 and not counts.failed
    small = sum(r["meta"]["v2"] in ("0", "1", "2") for r in out)
    assert small <= 20 and counts.small_share().endswith(f"({small} of 200)")
    found = audit(out)
    assert found["records"] == 200 and found["sequence"] == found["wording"] == found["elsewhere"] == 0
    assert found["constant"] <= 0.12 and found["any"] <= 0.2, found


def test_an_id_names_one_item():
    import dataclasses

    from rlvrkit.compose.numbers import constants
    from rlvrkit.compose.spc import plan, record

    rows = data("math500", 40)
    one, _ = compose(rows, candidates=4, seed=1)
    two, _ = compose(rows, candidates=4, seed=2)
    by_id = {r["id"]: r for r in one}
    shared = [r for r in two if r["id"] in by_id]
    assert shared and all(by_id[r["id"]] == r for r in shared)  # the same id: the same item, whatever the seed
    assert len({r["id"] for r in one}) == len(one)
    chain = next(c for c in (plan((Problem(rows[0]), Problem(r))) for r in rows[1:]) if not isinstance(c, str))
    link = chain.links[0]
    others = [c for c in constants(chain.problems[1].text) if c.value is not None and c.start != link.constant.start]
    assert others, "the last problem needs another number to replace"
    moved = dataclasses.replace(chain, links=(dataclasses.replace(link, constant=others[0]),))
    rule = record(chain, [link.definition()], [None])
    other_constant = record(moved, [link.definition()], [None])
    other_definition = record(chain, ["Let $X$ be the final answer above."], ["a model"])
    ids = {rule["id"], other_constant["id"], other_definition["id"]}
    assert len(ids) == 3 and rule["id"] == record(chain, [link.definition()], [None])["id"]


def test_composed_records_say_they_are_composed_and_keep_q2_s_description_in_meta():
    rows = data("math500", 20)
    out, _ = compose(rows, candidates=2)
    by_id = {r["id"]: r for r in rows}
    for rec in out:
        last = by_id[rec["meta"]["parents"][-1]]
        assert rec["level"] == rec["subject"] == "composed"
        assert rec["meta"]["last"] == {"level": last["level"], "subject": last["subject"]}


@pytest.mark.parametrize(
    "answer, rec, clause",
    [
        ("38", {"approximate": True}, ", rounded to 2 significant figures."),  # SciBench: 37.8 N/C has reference 38
        ("5275", {"approximate": True}, ", rounded to 4 significant figures."),
        ("320000000.0", {"approximate": True}, ", rounded to 2 significant figures."),  # TheoremQA writes floats
        ("-1.49", {"approximate": True, "unit": "$10^{-26} \\mathrm{~J}$"}, ", rounded to 3 significant figures."),
        ("4e-05", {}, ", rounded to 1 significant figure."),
        ("0.78", {}, ", rounded to 2 decimal places."),  # MATH asks for the places
        ("38", {}, "above."),  # exact unless the record says otherwise
    ],
)
def test_a_rounded_reference_is_defined_with_its_rounding(answer, rec, clause):
    reading = read(answer, rec)
    assert reading.definition("X").endswith(clause)
    assert derive(reading.rule, answer, rec).definition("X") == reading.definition("X")


def test_an_approximate_answer_is_read_only_by_rules_that_state_the_rounding():
    assert read("30^\\circ", {"approximate": True}) == "q1: answer is unreadable"  # radians of a rounded angle
    assert read("(1.5, 2.5)", {"approximate": True}).startswith("q1:")
    assert read("x = 4.5", {"approximate": True}).definition("X").endswith(", rounded to 2 significant figures.")


def test_cross_domain_definitions_from_rounded_references_state_the_rounding():
    physics = [r for r in data("physics", 326) if r["id"].startswith("scibench/")]
    out, counts = compose(data("math500", 60), physics, candidates=5)
    assert len(out) > 150 and not counts.failed
    assert all("rounded to" in r["meta"]["definition"] for r in out)


def test_exponents_are_written_in_braces():
    definition = read("2x^{10} + 3x").definition("X")
    assert definition == "Let X be the coefficient of $x^{10}$ in the answer to the problem above."


def test_a_phrased_definition_keeps_the_rounding_and_the_unit():
    from rlvrkit.compose.phrase import judge

    reading = read("-1.49", {"approximate": True, "unit": "$10^{-26} \\mathrm{~J}$"})
    unit, rounding = "expressed in units of $10^{-26} \\mathrm{~J}$", "rounded to 3 significant figures"
    value = "\nVALUE: -1.49"
    kept = f"DEFINITION: Let $X$ be the answer to the problem above, {unit}, {rounding}." + value
    assert judge(kept, reading, "$X$")[1] == "phrased"
    assert "drops 'rounded to" in judge(f"DEFINITION: Let $X$ be the answer above, {unit}." + value, reading, "$X$")[1]
    assert "drops 'expressed" in judge(f"DEFINITION: Let $X$ be the answer, {rounding}." + value, reading, "$X$")[1]
    assert judge("DEFINITION: Let $X$ be the answer.\nVALUE: 10^{10^{10}}", reading, "$X$")[1] == (
        "a value that cannot be read"
    )


def test_an_irrational_q1_is_never_linked_the_difference_would_give_y_away():
    """``$S$ is $7000 - \\frac{16 \\pi}{3}$ more than $V$``: the rational part of the difference is v2, so a policy
    reads Y off the link without solving q1. Such a q1 is counted and skipped; every link written is rational."""
    q2 = {"id": "b", "prompt": "Find the sum of all multiples of 7 between 100 and 200.", "answer": "2107"}
    for answer in ("-\\sqrt{3}", "\\frac{16 \\pi}{3}", "30^\\circ", "5+4\\sqrt{3}"):
        out, counts = compose([q2], [{"id": "a", "prompt": "Compute it.", "answer": answer}], candidates=1)
        assert out == [] and counts.skipped == {"q1: answer is irrational (the link would give Y away)": 1}
    out, _ = compose(data("math500", 200), candidates=5)
    assert out and all(number(r["meta"]["v1"]).is_Rational for r in out)
    assert not any("\\sqrt" in r["meta"]["difference"] or "\\pi" in r["meta"]["difference"] for r in out)
