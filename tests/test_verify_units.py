"""The pieces of `rlvr verify` on their own: the killable pool, the text helpers, option letters, the reward terms."""

import json
import os
import signal
import time
from decimal import Decimal

import pytest

from rlvrkit.verify import jobs, mcq
from rlvrkit.verify.jobs import Job, Verdict, prepare
from rlvrkit.verify.options import VerifyOptions, parse_reward
from rlvrkit.verify.pool import Pool
from rlvrkit.verify.shaping import format_reward, length_penalty
from rlvrkit.verify.text import (
    answer_region,
    last_boxed,
    last_boxes,
    marked_answer,
    plain_numbers,
    reference_parts,
    restated,
    scientific,
    split_think,
    tail,
)


def work(task):
    """A test-only verifier: sleeps (interruptible by the worker's own timer), hangs where no signal reaches it,
    dies, raises, or answers with its process id."""
    kind = task["kind"]
    if kind == "sleep":
        time.sleep(60)
    elif kind == "hang":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # like C code that never returns to Python
        time.sleep(60)
    elif kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "raise":
        raise ValueError("boom")
    return {"n": task["n"], "pid": os.getpid()}


def run_all(pool, tasks):
    for task in tasks:
        pool.submit(task["n"], task)
    done = {}
    deadline = time.monotonic() + 60
    while pool.outstanding() and time.monotonic() < deadline:
        for d in pool.poll(wait=True):
            done[d.tag] = d
    return done


def test_pool_kills_and_replaces_overrunning_and_dead_workers():
    kinds = ["ok", "hang", "sleep", "die", "raise"] + ["ok"] * 8
    tasks = [{"kind": k, "n": n} for n, k in enumerate(kinds)]
    started = time.monotonic()
    with Pool(work, jobs=2, timeout=1.0) as pool:
        first = {pool._workers[0].pid, pool._workers[1].pid}
        done = run_all(pool, tasks)
        assert sorted(done) == list(range(len(tasks)))  # every task ends, whatever it did
        assert done[0].problem is None and done[0].result == {"n": 0, "pid": done[0].result["pid"]}
        assert done[1].problem == "timeout" and 1.0 <= done[1].seconds < 10  # killed by the parent
        assert done[2].problem == "timeout" and done[2].seconds < 1.0  # stopped by the worker's own timer (0.8 s)
        assert done[3].problem == "died" and done[4].problem == "error: ValueError"
        assert all(done[n].problem is None and done[n].result["n"] == n for n in range(5, len(tasks)))
        assert (pool.overran, pool.died) == (2, 1)
        now = {w.pid for w in pool._workers}
        assert len(now) == 2 and not now & first  # both original workers were replaced
        pids = list(now)
    assert time.monotonic() - started < 30
    for pid in pids + list(first):  # closed: no worker left, not even a zombie
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_pool_keeps_queued_tasks_of_a_killed_worker():
    # one worker, two tasks sent ahead: the second must run on the replacement, not be lost with the first
    with Pool(work, jobs=1, timeout=0.3, depth=2) as pool:
        done = run_all(pool, [{"kind": "hang", "n": 0}, {"kind": "ok", "n": 1}, {"kind": "ok", "n": 2}])
    assert done[0].problem == "timeout" and done[1].problem is None and done[2].problem is None


def test_last_boxed():
    assert last_boxed("no box here") is None
    assert last_boxed(r"first \boxed{1} then \boxed{\frac{1}{2}}.") == r"\frac{1}{2}"
    assert last_boxed(r"so $\boxed{2}$ and $\boxed{3}$") == "2,3"  # several answers together
    assert last_boxed(r"\boxed{1}, \boxed{2}\boxed{2} \text{ or } \boxed{3}") == "1,2,3"
    assert last_boxed(r"\boxed{\{1,2\}}") == r"\{1,2\}"  # escaped braces are not structure
    assert last_boxed(r"\boxed 9.") == "9" and last_boxed(r"\fbox{4}") == "4"
    assert last_boxed(r"cut off \boxed{\frac{1}{2") == "" and last_boxed(r"\boxed{}") == ""
    assert last_boxed(r"\boxed{" + "{" * 10_000 + "1" + "}" * 10_000 + "}") == "{" * 10_000 + "1" + "}" * 10_000


def test_think_format_and_answer_region():
    assert split_think("<think>a</think> b") == ("a", "b")
    assert split_think("a</think>b") == ("a", "b")  # opened by the chat template
    broken = ["no tags", "<think>a</think>", "<think>a</think>b</think>c", "x<think>a</think>b"]
    for bad in broken + ["<think>a</think>b<think>"]:
        assert split_think(bad) is None and format_reward(bad) == 0.0
    assert format_reward("<think>a</think>b") == 1.0
    assert answer_region("x</think>y</think>z") == "z" and answer_region("plain") == "plain"
    assert answer_region(r"<think>so \boxed{3} maybe") == ""  # cut off while thinking: no answer yet
    assert tail("abcdef", 3) == "def" and tail("ab", 3) == "ab"


def test_length_penalty_is_dapo():
    assert [length_penalty(n, 20480, 4096) for n in (0, 16384, 18432, 20480, 20481)] == [0.0, 0.0, -0.5, -1.0, -1.0]
    assert length_penalty(11, 10, 0) == -1.0 and length_penalty(10, 10, 0) == 0.0


def test_mcq_choices():
    texts = mcq.option_texts(["(A) 12", "B) 15", "42"])
    assert texts == {"A": "12", "B": "15", "C": "42"}
    assert mcq.option_texts({"a": "x", "B": 3}) == {"A": "x", "B": "3"}
    assert mcq.named_letters("Answer: [B]", texts) == ["B"]
    assert mcq.named_letters("The answer is B or C", texts) == ["B", "C"]
    assert mcq.named_letters("Answer: C is right", texts) == ["C"]
    assert mcq.named_letters("I think so.", texts) == []
    assert mcq.reference_letter(r"\boxed{(b)}", {}) == "B"
    assert mcq.check("A", "so the answer is 12", ["12", "15"])["status"] == "ok"


def test_reward_spec():
    assert parse_reward("task") == (("task", 1.0),)
    assert parse_reward(" math:1 , format:0.1,length ") == (("math", 1.0), ("format", 0.1), ("length", 1.0))
    for bad in ("", "math:", "math:inf", "math:x", "nope", "srl,srl", "math:1,,format"):
        with pytest.raises(ValueError):
            parse_reward(bad)


def test_engine_turns_worker_trouble_into_statuses():
    # a test-only verifier cannot reach the CLI, so swap the engine's pool for one that runs it
    from rlvrkit.verify.options import VerifyOptions
    from rlvrkit.verify.run import Verifier

    def trouble(task):
        kind = task["ans"].strip()
        if kind == "raise":
            raise RecursionError("too deep")
        if kind in ("hang", "die"):
            return work({"kind": kind, "n": 0})
        return {"status": "ok", "extracted": kind, "value": 1.0}

    with Verifier(VerifyOptions(terms=(("mcq", 1.0),), jobs=2, timeout=0.5)) as engine:
        engine.pool.close()
        engine.pool = Pool(trouble, jobs=2, timeout=0.5)
        lines = []
        for n, kind in enumerate(["raise", "hang", "die", "fine", "fine"]):
            lines += engine.feed({"id": n, "answer": "A", "completion": kind}, f"test:{n + 1}")
        lines += engine.drain()
        summary = engine.summary()
    got = [json.loads(line) for line in lines]
    assert [r["id"] for r in got] == [0, 1, 2, 3, 4]
    assert [r["verdict"]["status"] for r in got] == ["wrong", "timeout", "timeout", "ok", "ok"]
    assert got[4]["verdict"]["ms"] == 0.0  # the same task as record 3: verified once
    assert ("warn", "the verifier failed on 1 record (RecursionError x1); they count as wrong") in summary
    assert "workers recycled 2 (1 overran, 1 died)" in summary[0][1] and "cache hits 1" in summary[0][1]


def test_e_notation_is_written_out_and_scientific_references_are_recognised():
    assert plain_numbers("so 2.5e-05, 1e+16 and 3E8.") == "so 0.000025, 10000000000000000 and 300000000."
    assert plain_numbers(r"-6e+25 \boxed{4.7e-34}") == r"-60000000000000000000000000 \boxed{0." + "0" * 33 + "47}"
    assert plain_numbers("1.5e300 and -2E-150") == r"1.5 \times 10^{300} and -2 \times 10^{-150}"
    for kept in (r"2e", "x1e5", r"\boxed{e-1}", "7p+4e", "1.2.3e4", "1e5000"):
        assert plain_numbers(kept) == kept  # Euler's e, a name, no number, an exponent of four digits
    assert scientific("2.5e-05") == (Decimal("0.000025"), -5) and scientific("-6e+25") == (Decimal("-6e25"), 25)
    assert scientific(r"4.7 \times 10^{-34}") == (Decimal("4.7e-34"), -34) and scientific("3 \\cdot 10^8")[1] == 8
    assert scientific("12") is None and scientific("2e") is None and scientific(r"\frac{1}{2}") is None


def test_reference_parts_and_last_boxes():
    parts = {"(3, 3), (1, 1)": 2, "1,-2": 2, "[0,1)": 1, r"20,\!000": 1, "1,000": 1, r"\{1,2\}": 1, "a; b": 2}
    assert {r: reference_parts(r) for r in parts} == parts
    text = r"For (a), $\boxed{(3, 3)}$; then, after more work, (b) is $\boxed{(1, 1)}$."
    assert last_boxes(text, 2) == ["(3, 3)", "(1, 1)"] and last_boxes(text, 3) is None
    assert last_boxes(r"\boxed{1} and \boxed{}", 2) is None  # an empty box is no part


def test_gsm8k_and_minerva_final_answers():
    assert marked_answer("16 - 3 - 4 = 9, 9 * 2 = 18\n#### 18\n") == "18"
    assert marked_answer("#### Step 1\nso it is 18") is None and marked_answer("##### 18") is None
    minerva = r"Interest $\boxed{255}$. Final Answer: The final answer is $10,455$. I hope it is correct."
    assert restated(minerva) == ". Final Answer: The final answer is $10,455$. I hope it is correct."
    assert restated(r"The final answer is $\boxed{5}$.") is None and restated(r"\boxed{5}, the final answer.") is None


def test_prepare_puts_the_parts_alternative_in_the_task_and_the_key():
    opts = VerifyOptions()
    text = "For part (a) the answer is $\\boxed{(3, 3)}$.\n\nFor part (b), checking the boundary, $\\boxed{(1, 1)}$."
    job = prepare("task", {"answer": "(3, 3), (1, 1)", "completion": text}, opts)
    assert isinstance(job, Job) and job.task["ans"] == "(1, 1)" and job.task["alt"] == "(3, 3),(1, 1)"
    assert "(3, 3),(1, 1)" in job.key  # the cache key is made of what the worker reads
    wrong = prepare("task", {"answer": "(3, 3), (1, 1)", "completion": text.replace("(3, 3)}", "(3, 4)}")}, opts)
    assert wrong.task["ans"] == job.task["ans"] and wrong.key != job.key
    assert "alt" not in prepare("task", {"answer": "(1, 1)", "completion": text}, opts).task  # one part: last box
    run = jobs.work(opts)
    assert run(job.task)["status"] == "ok" and run(job.task)["extracted"] == "(3, 3),(1, 1)"
    assert run(wrong.task)["status"] == "wrong"


def test_prepare_reads_gsm8k_and_minerva_endings():
    opts = VerifyOptions()
    gsm8k = prepare("task", {"answer": "18", "completion": "9 * 2 = <<9*2=18>>18 dollars\n#### 18"}, opts)
    assert gsm8k == Verdict(1.0, "ok", "18")
    minerva = r"so $\boxed{255}$. Final Answer: The final answer is $10,455$. I hope it is correct."
    job = prepare("task", {"answer": "10455", "completion": minerva}, opts)
    assert job.task["boxed"] is False and "255" not in job.task["ans"]
    assert jobs.work(opts)(job.task)["status"] == "ok"
    only_boxes = prepare("task", {"answer": "18", "completion": "#### 18"}, VerifyOptions(boxed_only=True))
    assert only_boxes.status == "no_answer"
