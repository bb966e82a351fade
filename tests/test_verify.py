"""`rlvr verify` end to end: rewards on real answers, every status, MCQ and SRL, shaping terms, adversarial inputs,
order, streaming, bad input, and the process hygiene of the worker pool."""

import difflib
import json
import os
import select
import signal
import subprocess
import sys
import time
from decimal import Decimal
from functools import cache

import pytest
from conftest import DATA, ROOT, ctrl_c_reaches_it, heavy_imports, jsonl, piped_to_head, read_jsonl, rlvr


@cache
def answers() -> dict:
    """Reference answers of MATH-500, GSM8K test and MATH train by id."""
    out = {}
    for name in ("math500.jsonl", "gsm8k_test.jsonl", "math_train.jsonl"):
        with open(DATA / name) as f:
            for line in f:
                row = json.loads(line)
                out[row["id"]] = row["answer"]
    return out


def rollouts(cases):
    return [{"id": i, "answer": answers()[i], "completion": c, "sample": n} for n, (i, c) in enumerate(cases)]


def verified(*args, records, **kw):
    out = rlvr("verify", *args, input=jsonl(*records), **kw)
    assert out.returncode == 0, out.stderr
    got = read_jsonl(out.stdout)
    assert len(got) == len(records)
    return got, out.stderr


# (MATH-500 id, completion, expected status): equivalent forms accepted, wrong ones rejected.
MATH_CASES = [
    ("test/counting_and_probability/282.json", r"so the probability is $\boxed{0.5}$.", "ok"),  # \frac{1}{2}
    ("test/counting_and_probability/282.json", r"\boxed{\frac12}", "ok"),
    ("test/counting_and_probability/282.json", r"\boxed{\dfrac{1}{2}}", "ok"),
    ("test/counting_and_probability/282.json", "The final answer is $1/2$.", "ok"),
    ("test/counting_and_probability/282.json", r"\boxed{\frac{1}{3}}", "wrong"),
    ("test/counting_and_probability/282.json", r"\boxed{0.6}", "wrong"),
    ("test/precalculus/927.json", r"\boxed{90}", "ok"),  # 90^\circ
    ("test/precalculus/927.json", r"$\boxed{90^{\circ}}$", "ok"),
    ("test/precalculus/927.json", r"\boxed{80^\circ}", "wrong"),
    ("test/algebra/1349.json", r"\boxed{\text{Evelyn}}", "ok"),  # \text{Evelyn}
    ("test/algebra/1349.json", r"\boxed{Evelyn}", "ok"),
    ("test/algebra/1349.json", r"\boxed{\text{Bob}}", "wrong"),
    ("test/precalculus/263.json", r"\boxed{\begin{pmatrix}-2\\-14\\-7\end{pmatrix}}", "ok"),  # pmatrix -2,-14,-7
    ("test/precalculus/263.json", r"\boxed{\begin{bmatrix}-2\\-14\\-7\end{bmatrix}}", "ok"),
    ("test/precalculus/263.json", r"\boxed{\begin{pmatrix}-2\\-14\\7\end{pmatrix}}", "wrong"),
    ("test/precalculus/1300.json", r"\boxed{\begin{pmatrix} -\frac13 \\ \frac23 \\ \frac53 \end{pmatrix}}", "ok"),
    ("test/precalculus/695.json", r"\boxed{(-\infty,0]}", "ok"),  # (-\infty, 0]
    ("test/precalculus/695.json", r"\boxed{(-\infty, 0)}", "wrong"),
    ("test/algebra/2043.json", r"\boxed{(3,\infty)\cup(-\infty,2)}", "ok"),  # (-\infty, 2) \cup (3, \infty)
    ("test/algebra/2043.json", r"\boxed{(-\infty,2]\cup(3,\infty)}", "wrong"),
    ("test/intermediate_algebra/2015.json", r"\boxed{\{-2, 1+\sqrt5, 1-\sqrt5\}}", "ok"),  # \{1\pm\sqrt{5},-2\}
    ("test/intermediate_algebra/2015.json", r"\boxed{\{-2, 1+\sqrt5\}}", "wrong"),
    ("test/intermediate_algebra/1388.json", r"the roots are \boxed{1} and \boxed{-2}", "ok"),  # 1,-2
    ("test/intermediate_algebra/1388.json", r"\boxed{1}", "wrong"),
    ("test/precalculus/323.json", r"\boxed{y=3+2x}", "ok"),  # y = 2x + 3
    ("test/precalculus/323.json", r"\boxed{y=2x-3}", "wrong"),
    ("test/precalculus/990.json", r"\boxed{-5i+6}", "ok"),  # 6 - 5i
    ("gsm8k-test-0", r"She makes \boxed{18} dollars.", "ok"),  # 18
    ("gsm8k-test-0", r"\boxed{18.0}", "ok"),
    ("gsm8k-test-0", "16 - 3 - 4 = 9 eggs, 9 * 2 = 18.\nThe answer is 18.", "ok"),
    ("gsm8k-test-0", r"\boxed{19}", "wrong"),
    ("gsm8k-test-0", r"<think>maybe \boxed{18}</think> No: the answer is \boxed{20}.", "wrong"),  # after </think>
    ("gsm8k-test-0", r"<think>maybe \boxed{20}</think> So \boxed{18}.", "ok"),
    ("gsm8k-test-0", r"<think>maybe it is \boxed{18}, let me check", "no_answer"),  # cut off while thinking
]


def test_math_equivalent_forms_and_wrong_answers_on_real_references():
    got, _ = verified("--timeout", "5", records=rollouts([(i, c) for i, c, _ in MATH_CASES]))
    for (i, c, expected), rec in zip(MATH_CASES, got):
        assert rec["verdict"]["status"] == expected, (i, c, rec["verdict"])
        assert rec["reward"] == (1.0 if expected == "ok" else 0.0)
        assert rec["answer"] == answers()[i] and rec["completion"] == c  # everything passes through
    boxed = got[1]["verdict"]
    assert boxed["extracted"] == r"\frac12" and isinstance(boxed["ms"], float) and boxed["ms"] >= 0


def test_every_math_status_and_the_cache():
    cases = [
        ("gsm8k-test-0", r"\boxed{18}"),  # ok
        ("test/algebra/1349.json", r"\boxed{\text{Evelyn}}"),  # ok, verified by a worker
        ("test/algebra/1349.json", r"\boxed{\text{Evelyn}}"),  # the same pair: from the cache
        ("gsm8k-test-0", r"\boxed{17}"),  # wrong
        ("gsm8k-test-0", "I am not sure."),  # no_answer
        ("gsm8k-test-0", ""),  # no_answer
        ("gsm8k-test-0", r"so it is \boxed{1"),  # no_answer: cut off inside the box
        ("gsm8k-test-0", r"\boxed{9^{9^{9^{9}}}}"),  # timeout
        ("train/precalculus/1311.json", r"\boxed{\sin^2 t}"),  # a MATH reference math-verify cannot parse
    ]
    started = time.monotonic()
    got, err = verified("--timeout", "1", "-j", "2", records=rollouts(cases))
    statuses = [r["verdict"]["status"] for r in got]
    assert statuses == ["ok", "ok", "ok", "wrong", "no_answer", "no_answer", "no_answer", "timeout", "bad_reference"]
    assert [r["reward"] for r in got] == [1.0, 1.0, 1.0] + [0.0] * 6
    assert got[1]["verdict"]["ms"] > 0 and got[2]["verdict"]["ms"] == 0.0
    assert got[7]["verdict"]["ms"] < 2500 and time.monotonic() - started < 60
    assert "3 ok, 1 wrong, 3 no_answer, 1 timeout, 1 bad_reference" in err
    assert "cache hits 1" in err and "workers recycled 1 (1 overran, 0 died)" in err
    assert r"first at stdin:9: '\\sin^2 t'" in err and "bad_reference" in err


def test_precision_and_boxed_only():
    recs = rollouts([("test/counting_and_probability/282.json", r"\boxed{0.501}"), ("gsm8k-test-0", "It is 18.")])
    got, _ = verified(records=recs)
    assert [r["verdict"]["status"] for r in got] == ["wrong", "ok"]
    got, _ = verified("--precision", "2", "--boxed-only", records=recs)
    assert [r["verdict"]["status"] for r in got] == ["ok", "no_answer"]


def mcq(answer, completion, options=None):
    rec = {"id": "q", "task": "mcq", "answer": answer, "completion": completion}
    if options is not None:
        rec["meta"] = {"options": options}
    return rec


def test_mcq_letters():
    options = ["12", "15", "42", "7"]
    cases = [
        (r"The answer is $\boxed{C}$.", "ok"),
        ("Answer: (c)", "ok"),
        ("**Final answer:** C) 42", "ok"),
        ("After checking each option, the correct option is C because 6*7=42.", "ok"),
        ("c.", "ok"),
        ("The answer is 42.", "ok"),  # the option's text
        (r"\boxed{42}", "ok"),
        ("<think>(A) or (B)?</think>\n(C)", "ok"),
        ("Answer: B", "wrong"),
        ("Answer: A or C", "wrong"),  # several options named
        (r"\boxed{A, C}", "wrong"),
        ("the answer is a triangle", "no_answer"),  # a lowercase article is not an option
        ("I am not sure", "no_answer"),
    ]
    recs = [mcq("C", c, options) for c, _ in cases] + [mcq("(b)", "B"), mcq("15", "B", options), mcq("Paris", "B")]
    got, err = verified(records=recs)
    expected = [s for _, s in cases] + ["ok", "ok", "bad_reference"]
    assert [r["verdict"]["status"] for r in got] == expected, [(r["completion"], r["verdict"]) for r in got]
    assert got[9]["verdict"]["extracted"] == "A,C" and got[0]["verdict"]["extracted"] == "C"
    assert "1 bad_reference" in err


def test_srl_step_similarity_and_format():
    expert = "2. **Compute the discriminant** $b^2 - 4ac = 25 - 24 = 1$, so there are two real roots."
    action = "2. **Compute the discriminant** $b^2 - 4ac = 1$, so there are two roots."
    completions = [
        f"<think>Next I need the discriminant.</think>\n{action}",
        f"Next I need the discriminant.</think>{expert}",  # the template opened the think block
        action,  # no think block
        f"<think>a</think>{action}<think>b</think>{action}",  # two blocks
        "<think>only thinking</think>   ",  # no action
    ]
    recs = [{"id": "s", "task": "srl", "answer": expert, "completion": c} for c in completions]
    got, _ = verified(records=recs)
    assert got[0]["reward"] == pytest.approx(difflib.SequenceMatcher(None, action, expert).ratio())
    assert 0.5 < got[0]["reward"] < 1
    assert got[0]["verdict"]["status"] == "ok" and got[0]["verdict"]["extracted"] == action
    assert got[1]["reward"] == 1.0
    assert [(r["reward"], r["verdict"]["status"]) for r in got[2:]] == [(-1.0, "format")] * 3


def test_weighted_terms_format_and_length():
    base = {"id": "g", "answer": "18", "sampling": {"max_tokens": 10}}
    recs = [
        {**base, "completion": r"<think>16-7=9, 9*2</think>\boxed{18}", "completion_ids": [1] * 6},
        {**base, "completion": r"\boxed{18}", "completion_ids": [1] * 9},  # no think block
        {**base, "completion": "<think>hmm</think> \\boxed{19}", "completion_ids": [1] * 12},
    ]
    got, _ = verified("--reward", "task:1,format:0.5,length:2", "--len-cache", "4", records=recs)
    # length: free up to 10-4=6 tokens, then (6-n)/4, -1 beyond 10
    assert [r["verdict"]["terms"] for r in got] == [
        {"task": 1.0, "format": 1.0, "length": 0.0},
        {"task": 1.0, "format": 0.0, "length": -0.75},
        {"task": 0.0, "format": 1.0, "length": -1.0},
    ]
    assert [r["reward"] for r in got] == [1.5, -0.5, -1.5]
    assert [r["verdict"]["status"] for r in got] == ["ok", "ok", "wrong"]  # from the correctness term
    got, _ = verified("--reward", "format", records=[{"completion": "no think"}, {"completion": "<think></think>x"}])
    assert [(r["reward"], r["verdict"]["status"]) for r in got] == [(0.0, "format"), (1.0, "ok")]
    got, _ = verified("--reward", "length", "--max-len", "4", records=[{"completion_ids": [1, 2, 3, 4, 5]}])
    assert got[0]["reward"] == -1.0 and got[0]["verdict"]["status"] == "ok"


def test_task_field_and_forced_task():
    recs = [
        {"answer": "C", "task": "mcq", "completion": "Answer: C"},
        {"answer": "7", "completion": r"\boxed{7}"},  # no task: math
        {"answer": "C", "task": "math", "completion": r"\boxed{C}"},
    ]
    got, _ = verified(records=recs)
    assert [r["verdict"]["status"] for r in got] == ["ok", "ok", "ok"]
    got, _ = verified("--task", "mcq", records=recs)
    assert [r["verdict"]["status"] for r in got] == ["ok", "bad_reference", "ok"]
    out = rlvr("verify", input=jsonl(recs[0], {"answer": "1", "task": "code", "completion": "1"}))
    assert out.returncode == 2 and "stdin:2: unknown task 'code'" in out.stderr
    assert len(read_jsonl(out.stdout)) == 1


def test_record_without_completion_is_bad_input_naming_the_line(tmp_path):
    recs = [{"answer": "1", "completion": r"\boxed{1}"}, {"answer": "2", "completion": r"\boxed{2}"}, {"answer": "3"}]
    out = rlvr("verify", input=jsonl(*recs))
    assert out.returncode == 2
    assert "rlvr verify: error: stdin:3: missing 'completion'" in out.stderr
    assert [r["reward"] for r in read_jsonl(out.stdout)] == [1.0, 1.0]
    out = rlvr("verify", "--reward", "length", "--on-error", "skip", input=jsonl({"completion_ids": []}, {"x": 1}))
    assert out.returncode == 0 and "needs --max-len" in out.stderr and out.stdout == ""
    for spec, problem in (("math:x", "not a number"), ("speed", "unknown term"), ("math,math", "given twice")):
        out = rlvr("verify", "--reward", spec, input="")
        assert out.returncode == 2 and problem in out.stderr


def test_adversarial_inputs_finish_with_a_status_and_the_stream_goes_on():
    ok = {"answer": "18", "completion": r"\boxed{18}"}
    lines = [
        json.dumps({"answer": "2", "completion": r"\boxed{9^{9^{9^{9}}}}"}),
        json.dumps(ok),
        json.dumps({"answer": "1", "completion": "1 " * 500_000}),  # a megabyte of numbers
        json.dumps({"answer": "1", "completion": "x" * 1_000_000 + r"\boxed{1}"}),
        json.dumps({"answer": "1" * 1_000_000, "completion": r"\boxed{1}"}),  # a megabyte reference
        json.dumps({"answer": "1", "completion": r"\boxed{" + "{" * 10_000 + "1" + "}" * 10_000 + "}"}),
        json.dumps({"answer": "1", "completion": "{" * 10_000 + "1"}),
        json.dumps(ok),
    ]
    raw = "\n".join(lines).encode() + b"\n"
    raw += b'{"answer": "1", "completion": "\\\\boxed{1} \xff\xfe bytes"}\n'  # invalid UTF-8
    raw += b'{"answer": "\\ud800", "completion": "lone \\udc00 surrogates \\\\boxed{1}"}\n'
    raw += b'{"answer": "1", "completion": ""}\n' + json.dumps(ok).encode() + b"\n"
    started = time.monotonic()
    out = rlvr("verify", "--timeout", "1", input=raw, timeout=120)
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    got = read_jsonl(out.stdout)
    statuses = [r["verdict"]["status"] for r in got]
    assert len(got) == 12 and statuses[0] == "timeout"
    assert statuses[1] == statuses[7] == statuses[11] == "ok"
    assert statuses[3] == "ok"  # the answer at the end of a megabyte is found: the tail is kept
    assert statuses[4] == "bad_reference" and statuses[8] == "ok" and statuses[10] == "no_answer"
    assert all(s in ("ok", "wrong", "no_answer", "timeout", "bad_reference") for s in statuses)
    assert all(r["verdict"]["ms"] < 1000 + 1500 for r in got)  # --timeout plus a margin for a loaded machine
    assert elapsed < 60
    assert "\ufffd" in got[8]["completion"] and "replaced invalid Unicode with U+FFFD in 2 lines" in out.stderr


def test_output_order_is_input_order_behind_a_slow_record():
    recs = [{"id": "slow", "answer": "2", "completion": r"\boxed{9^{9^{9^{9}}}}"}]
    recs += [{"id": str(i), "answer": str(i), "completion": rf"so \boxed{{\frac{{{2 * i}}}{{2}}}}"} for i in range(40)]
    got, _ = verified("--timeout", "1", "-j", "2", records=recs)
    assert [r["id"] for r in got] == [r["id"] for r in recs]
    assert got[0]["verdict"]["status"] == "timeout" and all(r["verdict"]["status"] == "ok" for r in got[1:])


def test_streams_a_record_before_the_input_ends():
    proc = subprocess.Popen(
        [sys.executable, "-m", "rlvrkit.commands.cli", "verify"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        proc.stdin.write(jsonl({"answer": r"\frac{1}{2}", "completion": r"\boxed{0.5}"}).encode())
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no output while the input stays open"
        assert json.loads(proc.stdout.readline())["verdict"]["status"] == "ok"
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0


def _processes_with(marker: str) -> list[int]:
    pids = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    pids.append(int(pid))
        except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
            pass
    return pids


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
def test_ctrl_c_during_a_slow_record_leaves_no_file_and_no_worker(tmp_path):
    target = tmp_path / "verified.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rlvrkit.commands.cli", "verify", "-j", "2", "--timeout", "30", "-o", str(target)],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=ctrl_c_reaches_it,
    )
    proc.stdin.write(jsonl({"answer": "2", "completion": r"\boxed{9^{9^{9^{9}}}}"}).encode())
    proc.stdin.flush()
    deadline = time.time() + 30
    while len(_processes_with(str(target))) < 3 and time.time() < deadline:  # the command and its two workers
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    assert b"interrupted" in proc.stderr.read()
    assert list(tmp_path.iterdir()) == []
    deadline = time.time() + 10
    while _processes_with(str(target)) and time.time() < deadline:
        time.sleep(0.1)
    assert _processes_with(str(target)) == []


def test_closed_pipe_ends_quietly():
    recs = jsonl(*[{"answer": str(i % 50), "completion": f"\\boxed{{{i % 50}}}"} for i in range(5000)])
    proc = piped_to_head(["verify"], recs)
    assert proc.stdout.count(b"\n") == 1
    assert proc.stderr == b""


def test_verify_does_not_import_torch():
    stdout, heavy = heavy_imports(["verify"], b'{"answer": "1", "completion": "\\\\boxed{1}"}\n')
    assert json.loads(stdout)["verdict"]["status"] == "ok"
    assert "torch" not in heavy and "transformers" not in heavy


def statuses_are(cases: list[tuple]) -> list[dict]:
    """Verify (reference, completion, expected status) cases with `rlvr verify`; return the records it wrote."""
    got, _ = verified(records=[{"answer": a, "completion": c} for a, c, _ in cases])
    statuses = [r["verdict"]["status"] for r in got]
    assert statuses == [s for _, _, s in cases], [(c[0], c[1][-40:], r["verdict"]) for c, r in zip(cases, got)]
    return got


def test_numeric_references_json_numbers_and_e_notation(data_dir):
    cases = [
        (2.5e-05, r"\boxed{0.000025}", "ok"),  # a JSON number: not 2.5·e − 5
        (2.5e-05, "So it is 2.5e-5.", "ok"),  # e-notation in the answer too
        (2.5e-05, r"\boxed{2.5 \times 10^{-5}}", "ok"),
        (2.5e-05, r"\boxed{0.00025}", "wrong"),
        (1e16, r"\boxed{10^{16}}", "ok"),
        (1e16, r"\boxed{1e16}", "ok"),
        ("1e-07", r"\boxed{0}", "wrong"),  # compared at the reference's scale, not to six decimal places
        ("4.7e-34", r"\boxed{3.2 \times 10^{-34}}", "wrong"),
        ("-6e+25", r"\boxed{-6 \times 10^{25}}", "ok"),
        ("-6e+25", r"\boxed{6 \times 10^{25}}", "wrong"),
        (123456789012345678901234567890, r"\boxed{123456789012345678901234567890}", "ok"),  # wider than 64 bits
        ("2e", r"\boxed{2e}", "ok"),  # Euler's e stays Euler's e
    ]
    with open(data_dir / "physics.jsonl") as f:
        physics = [row["answer"] for row in map(json.loads, f) if "e-" in row["answer"] or "e+" in row["answer"]]
    assert len(physics) == 9
    cases += [(a, "The answer is $\\boxed{" + format(Decimal(a), "f") + "}$.", "ok") for a in physics]
    statuses_are(cases)


def test_degenerate_references_are_compared_as_text():
    cases = [
        ("12:00", r"\boxed{12:00}", "ok"),  # parses to 12/0, complex infinity: compared as text
        ("12:00", r"The meeting starts at $\boxed{12 : 00}$.", "ok"),
        ("12:00", r"\boxed{11:00}", "wrong"),
        ("12:00", r"\boxed{12}", "wrong"),
        (r"05\!:\!00", r"\boxed{05\!:\!00}", "ok"),  # MATH train/number_theory
        ("0:00", r"\boxed{1:00}", "wrong"),  # 0/0, NaN
        ("5", r"\boxed{5:00}", "wrong"),  # a degenerate answer is no match for a number
        # math-verify cannot parse it, but its text of it is whole: the same text is right, other text undecided
        (
            r"x = \frac{1}{2}, x = \frac{-1 \pm \sqrt{13}}{4}",
            r"\boxed{x = \frac{1}{2}, x = \frac{-1 \pm \sqrt{13}}{4}}",
            "ok",
        ),
        (r"x = \frac{1}{2}, x = \frac{-1 \pm \sqrt{13}}{4}", r"\boxed{x = \frac{1}{2}}", "bad_reference"),
        ("a + b + c", r"\boxed{a + b + c}", "bad_reference"),  # its text loses "b + c": nothing to compare
    ]
    statuses_are(cases)


def test_answers_boxed_in_several_parts():
    a = "For part (a) the answer is $\\boxed{(3, 3)}$.\n\nFor part (b), checking the boundary again, $\\boxed{(1, 1)}$."
    cases = [
        ("(3, 3), (1, 1)", a, "ok"),
        ("(3, 3), (1, 1)", a.replace("(1, 1)}", "(1, 2)}"), "wrong"),
        ("(3, 3), (1, 1)", r"Part (b) is $\boxed{(1, 1)}$; back in part (a), $\boxed{(3, 3)}$.", "ok"),
        ("2, 5", r"One factor gives $x = \boxed{2}$. The other factor gives $x = \boxed{5}$.", "ok"),
        ("2, 5", r"We try $\boxed{2}$ first. So the answer is $\boxed{3}$.", "wrong"),
        ("2, 5", r"So the answer is $\boxed{5}$.", "wrong"),
        ("5", r"We try $\boxed{3}$ first, which fails. So the answer is $\boxed{5}$.", "ok"),  # one part: the last box
        ("3", r"We try $\boxed{3}$ first, which fails. So the answer is $\boxed{4}$.", "wrong"),
    ]
    got = statuses_are(cases)
    assert got[0]["verdict"]["extracted"] == "(3, 3),(1, 1)"


def test_a_set_equals_the_same_set_written_as_inequalities():
    """x in [-2, 7] and -2 <= x <= 7 are one set, whichever is the reference (math-verify says so one way only); an
    open pair of numbers may be a point, and an inequality still to solve is not its solution set."""
    cases = [
        (r"x \in [-2,7]", r"\boxed{-2 \le x \le 7}", "ok"),
        (r"-2 \le x \le 7", r"\boxed{x \in [-2,7]}", "ok"),
        (r"[-2, 7]", r"The solution is $-2 \leq x \leq 7$.", "ok"),
        (r"(3, \infty)", r"\boxed{x > 3}", "ok"),
        (r"x \in [-2,7]", r"\boxed{-2 \le x \le 8}", "wrong"),
        (r"[-2, 7]", r"\boxed{-2 < x \le 7}", "wrong"),
        (r"(1, 2)", r"\boxed{1 < x < 2}", "wrong"),
        (r"[-3, 3]", r"\boxed{x^2 \le 9}", "wrong"),
    ]
    statuses_are(cases)


def test_agreement_with_labelled_pairs_is_at_least_plain_math_verify():
    """tests/data/verify_pairs.jsonl (math-verify's own test cases, its documented behaviour, MATH, GSM8K and physics
    pairs, the defects above) through rlvr's real path and through plain math-verify: rlvr agrees with the labels at
    least as often, and every pair it disagrees with names why rlvr's verdict is the one a reward wants."""
    sys.path.insert(0, str(ROOT / "bench"))
    import verify_agreement as bench

    pairs = bench.read_pairs(bench.PAIRS)
    plain = bench.plain_verdicts(pairs, jobs=2, timeout=10)
    ours = bench.rlvr_verdicts(pairs, jobs=2, timeout=10)
    n, plain_agree, rlvr_agree = bench.agreement(pairs, plain, ours)["overall"]
    assert n >= 1200 and rlvr_agree >= plain_agree
    assert rlvr_agree / n >= 0.994, f"rlvr agrees on {rlvr_agree}/{n} pairs"  # 1200/1207: the 7 others explained
    unexplained = [k for k in bench.disagreements(pairs, ours) if "rlvr_differs" not in pairs[k]]
    assert [(pairs[k]["gold"], pairs[k]["pred"][-80:], ours[k]) for k in unexplained] == []
