"""`rlvr mask` under hostile input (issue 19): value explosions, deep nesting, huge tokens, odd spans, a bad line, and
inputs so large that a quadratic search could not finish. Each class either makes an item or is counted as skipped,
in bounded work; a bad input is refused in one line with exit 2 and nothing the user named is lost."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, jsonl, read_jsonl, rlvr

from rlvrkit.mask.items import doc_of
from rlvrkit.mask.options import MaskOptions
from rlvrkit.mask.run import Yield, items

BIG = "9" * 5000
TAIL = r" So $y = x + 1 = 6$. Therefore the answer is $\boxed{6}$."
HOSTILE = {  # class: a solution of that class (each ends with an ordinary step or two)
    "5000-digit number": f"We have $x = {BIG} + 1 = 1{'0' * 5000}$." + TAIL,
    "5000-digit decimal": f"We have $x = 0.{BIG} + 1$." + TAIL,
    "3000-deep parentheses": "We have $x = " + "(" * 3000 + "5" + ")" * 3000 + " = 5$." + TAIL,
    "3000-deep braces": "We have $x = " + "{" * 3000 + "5" + "}" * 3000 + " = 5$." + TAIL,
    "2000-deep fractions": "We have $x = " + r"\frac{1}{" * 2000 + "2" + "}" * 2000 + " = 5$." + TAIL,
    "3000-deep roots": "We have $x = " + r"\sqrt{" * 3000 + "25" + "}" * 3000 + " = 5$." + TAIL,
    "5000 minus signs": "We have $x = " + "-" * 5000 + "5 = 5$." + TAIL,
    "power towers": r"We have $x = 10^{10^{10}} = 2^{2^{2^{2^{2}}}} = 9^{9^9} = 5$ and $z = 2^{99999999}$." + TAIL,
    "factorials": "We have $x = 99999! - 5000! + 5 = 5$." + TAIL,
    "a megabyte token": "We have " + "a" * 1_000_000 + " and $x = 2 + 3 = 5$." + TAIL,
    "100000 dollar signs": "$" * 100_001 + " We have $x = 2 + 3 = 5$." + TAIL,
    "500000 line breaks": "\n" * 500_000 + "We have $x = 2 + 3 = 5$." + TAIL,
    "a long chain carried forward": "We have $x = 5$. "
    + " ".join(f"So $x_{i} = x + {i} = {5 + i}$." for i in range(800)),
    "only math": "$$x = 2 + 3 = 5$$",
    "one character": ".",
    "unbalanced math": "We have $x = 2 + 3 = 5. So \\[y = (x + 1 = 6$." + TAIL,
}


def make(solution: str, mode: str = "math") -> Yield:
    rec = {"id": "h", "prompt": "Find y.", "solution": solution, "text": solution}
    tally = Yield()
    out = list(items([doc_of(rec, mode)], MaskOptions(mode=mode), tally))
    assert len(out) == tally.items and tally.items + sum(tally.skipped.values()) == 1
    for item in out:  # an item from hostile text is still an item: nine options, the truth one of them
        assert len(item["meta"]["options"]) == 9 and item["meta"]["span"] in solution
    return tally


@pytest.mark.parametrize("name", list(HOSTILE))
def test_each_hostile_class_makes_an_item_or_a_counted_skip(name):
    make(HOSTILE[name])


def test_hostile_passages_too():
    for text in ("The sun heats the earth. " + "(" * 3000 + " The air is warm, so the water rises.", "a" * 200_000):
        make(text, mode="passage")


def test_the_command_on_every_hostile_class_at_once(tmp_path):
    src = tmp_path / "hostile.jsonl"
    src.write_text(jsonl(*({"id": name, "prompt": "Find y.", "solution": s} for name, s in HOSTILE.items())))
    out = rlvr("mask", "-i", str(src), timeout=600)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    made = read_jsonl(out.stdout)
    assert f"{len(made)} items from {len(HOSTILE)} sources" in out.stderr


def good_lines(n: int) -> list[dict]:
    return [
        {
            "id": f"g{i}",
            "prompt": "Find z.",
            "solution": f"Let $x = {i + 3}$. Then $y = x + 4 = {i + 7}$. "
            f"So $z = 2y = {2 * i + 14}$. Therefore the answer is $\\boxed{{{2 * i + 14}}}$.",
        }
        for i in range(n)
    ]


def test_a_bad_line_4_refuses_everything_before_writing(tmp_path):
    rows = good_lines(3) + [{"id": "bad", "prompt": "no solution"}] + good_lines(2)
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(jsonl(*rows))
    dst.write_text("the user's own file\n")
    for args in (["-i", str(src), "-o", str(dst)], ["-i", str(src)]):
        out = rlvr("mask", *args)
        assert out.returncode == 2 and out.stdout == "" and "Traceback" not in out.stderr
        assert out.stderr.splitlines() == [
            f"rlvr mask: error: {src}:4: 'solution' is missing: --mode math needs prompt and solution"
        ]  # one line, no summary before it
    assert dst.read_text() == "the user's own file\n"  # nothing the user named is lost
    out = rlvr("mask", "-i", str(src), "--on-error", "skip")  # asked to go on: the good lines' items, and a warning
    assert out.returncode == 0 and "skipped 1 bad line" in out.stderr and "from 5 sources" in out.stderr


def test_the_output_never_replaces_the_input(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(jsonl(*good_lines(3)))
    before = src.read_text()
    out = rlvr("mask", "-i", str(src), "-o", str(src))
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1 and src.read_text() == before


LINEAR = """
import sys, time
from rlvrkit.mask.spans import split_steps
blanks = "We have $" + "x " * 1_000_000 + "$ so the run ends here.\\n" + "It rises. " * 200_000
steps = split_steps(blanks)
print(len(blanks), len(steps))
"""


def test_the_step_search_is_linear_on_megabytes():
    """4 MB of text: a run of a million blanked math characters, and 200 000 sentences. A search that rescans from
    each mark (the old line-break search did, on a run of blanks) needs ~10^12 steps here; a linear one needs
    seconds. The child process is given 120 s."""
    done = subprocess.run([sys.executable, "-c", LINEAR], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    size, steps = map(int, done.stdout.split())
    assert size > 4_000_000 and steps > 200_000


def test_mask_on_a_large_passage(tmp_path):
    """One passage of half a megabyte of distinct sentences: mask reads it, tries at most MAX_SPANS spans and makes an
    item (or counts a skip) with work that grows with the text, not its square (main's quadratic search took 227 CPU
    seconds on a megabyte: bench/mask.py --reference)."""
    sentences = [f"The sample {i} is heated by the lamp {i}, so the gas {i} expands." for i in range(8_000)]
    src = tmp_path / "big.jsonl"
    src.write_text(json.dumps({"id": "big", "text": " ".join(sentences)}) + "\n")
    assert src.stat().st_size > 500_000
    out = rlvr("mask", "--mode", "passage", "-i", str(src), timeout=300)
    assert out.returncode == 0 and "Traceback" not in out.stderr and "from 1 sources" in out.stderr, out.stderr
