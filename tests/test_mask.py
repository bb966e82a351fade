"""`rlvr mask`: spans, distractors and items, on hand-made text and on real MATH solutions and OpenStax prose."""

from __future__ import annotations

import importlib.util
import itertools
import json
import random
from collections import Counter
from fractions import Fraction

import pytest
from conftest import DATA, ROOT, heavy_imports, jsonl, read_jsonl, rlvr, shell

from rlvrkit.mask.arithmetic import evaluate, formatted, links, literal
from rlvrkit.mask.distractors import admissible, equivalent
from rlvrkit.mask.family import Family, draw
from rlvrkit.mask.items import HEADERS, Doc, doc_of, shown
from rlvrkit.mask.llm import llm_item
from rlvrkit.mask.numeric import apply, members, targets
from rlvrkit.mask.options import LETTERS, MaskOptions
from rlvrkit.mask.run import Yield, items
from rlvrkit.mask.sites import figures, order_sites, symbol_sites
from rlvrkit.mask.spans import candidates, recoverable, split_steps, squeeze
from rlvrkit.mask.swaps import swap_sites

LAMPS = (
    r"There are $\binom{6}{3}=20$ ways to arrange the lamps, giving $20\cdot20=400$ total outcomes. "
    r"The probability is $\dfrac{140}{400}=\dfrac{7}{20}$."
)
CHI2_8_DOF_P001 = 26.12  # the chi-square value a uniform letter exceeds with probability 0.001 (8 degrees of freedom)


def sources(name: str, n: int) -> list[dict]:
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    with open(DATA / name) as f:
        return [json.loads(line) for line in itertools.islice(f, n)]


def made(rows: list[dict], mode: str = "math", **kw) -> tuple[list[dict], Yield]:
    tally = Yield()
    docs = [doc_of(r, mode) for r in rows]
    return list(items(docs, MaskOptions(mode=mode, **kw), tally)), tally


MATH_SAMPLE, PASSAGE_SAMPLE = 100, 100  # sources of the module's runs: a few seconds each


@pytest.fixture(scope="module")
def math_run():
    """Items from MATH_SAMPLE MATH training solutions, and the counts of the run."""
    return made(sources("math_train.jsonl", MATH_SAMPLE))


@pytest.fixture(scope="module")
def passage_run():
    """Items from PASSAGE_SAMPLE OpenStax passages (every fourth: all four subjects), and the rows they came from."""
    rows = sources("passages.jsonl", 4 * PASSAGE_SAMPLE)[::4]
    return *made(rows, mode="passage"), rows


def shortcuts():
    """bench/shortcuts.py, the content-blind audit."""
    spec = importlib.util.spec_from_file_location("shortcuts", ROOT / "bench" / "shortcuts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the pieces ------------------------------------------------------------------------------------------------------


def test_exact_arithmetic_and_literals():
    assert evaluate(r"2(4)+3(3)") == 17 and evaluate(r"(7)(2) - (3)(-1)") == 17
    assert evaluate(r"\dfrac{140}{400}") == Fraction(7, 20) and evaluate(r"\frac12+2^{3}") == Fraction(17, 2)
    assert evaluate(r"\sqrt{16}") == 4 and evaluate(r"\sqrt{2}") is None and evaluate("x+1") is None
    assert literal(r"\boxed{17}.").value == 17 and literal("1,000").style == "int,"
    assert literal(r"-1.50").style == "dec:2" and literal("x") is None
    assert (
        formatted(Fraction(3, 2), "dec:2") == "1.50" and formatted(Fraction(7, 20), r"frac:\dfrac") == r"\dfrac{7}{20}"
    )
    assert [(LAMPS[slice(*k.source)], k.result.value) for k in links(LAMPS)] == [
        (r"20\cdot20", 400),
        (r"\dfrac{140}{400}", Fraction(7, 20)),
    ]


def values_of(span: str, number: str) -> tuple[list[str], list[str]]:
    """The member values of the numeric site at the first `number` of the span, and each member's text."""
    target = min((t for t in targets(span, figures(span)) if span[t.start : t.end] == number), key=lambda t: t.start)
    values, edits = members(span, target)
    return [str(v) for v in values], [apply(span, e) for e in edits]


def test_a_miscomputed_value_is_carried_forward():
    values, texts = values_of(LAMPS, "400")
    # the block of a round number: its kind only (hundreds), the truth one of them, not their centre
    assert values[0] == "400" and sorted(values, key=int) == [str(100 * k) for k in range(1, 10)]
    # 400 -> 200 changes the total and the probability computed from it, in the same style
    assert r"$20\cdot20=200$ total outcomes. The probability is $\dfrac{140}{200}=\dfrac{7}{10}$." in texts[2]
    assert texts[0] == LAMPS and len({squeeze(t) for t in texts}) == 9
    # a fraction's block keeps its denominator and lowest terms: an unreduced truth would stand out
    assert values_of(LAMPS, r"\dfrac{7}{20}")[0] == ["7/20", "1/20", "3/20", "9/20"]
    # a small number's block is 0 … 9 whatever the truth: the truth is at a random rank, not the median
    assert sorted(values_of(LAMPS, "6")[0], key=int) == [str(k) for k in range(10)]


def test_symbol_sites_change_the_meaning_never_only_the_form():
    span = r"We get $2\cdot2=4$, and since $x+3>0$ the function increases."
    sites = {s.kind: s for s in symbol_sites(span, [(0, len(span))])}
    assert set(sites) == {"operator", "relation"}  # 2+2 = 4 is still true: \cdot is no site here
    assert [apply(span, e) for e in sites["relation"].members][1].endswith("since $x+3<0$ the function increases.")
    assert [apply(span, e) for e in sites["operator"].members][1].startswith(r"We get $2\cdot2=4$, and since $x-3>0$")
    order = order_sites(r"So $2^{5} = 32$ and $10-3=7$.", [(0, 30)])
    assert [s.names for s in order] == [("2^{5}", "5^{2}"), ("10-3", "3-10")]
    assert "5^{2} = 25" in apply(r"So $2^{5} = 32$ and $10-3=7$.", order[0].members[1])  # carried forward
    assert equivalent("$a+b=c$", "$b+a=c$") and equivalent("so $x=0.5$", r"so $x=\frac{1}{2}$")
    assert not equivalent("$x<3$", "$x>3$") and not equivalent("it increases", "it decreases")
    assert not admissible("$b + a = c$", "$a+b=c$", []) and not admissible("$x<4$", "$x<3$", ["$x < 4$"])


def test_swap_sites_hold_every_order_of_the_same_nouns():
    text = "Light travels from the sun to the earth through the air."
    sites = swap_sites(text, split_steps(text))
    assert [names for _, _, names in sites] == [
        ("sun … earth … air", "sun … air … earth", "earth … sun … air", "earth … air … sun")
        + ("air … sun … earth", "air … earth … sun")
    ]
    texts = [apply(text, e) for e in sites[0][1]]
    assert texts[0] == text and texts[2] == "Light travels from the earth to the sun through the air."
    assert sorted(texts[0].replace(".", " ").split()) == sorted(
        texts[5].replace(".", " ").split()
    )  # the same words: no count tells the truth apart
    assert swap_sites("The proton and the electron attract.", [(0, 36)]) == []  # a list: its order says nothing
    assert swap_sites("A cell has a nucleus, and the cells of the plant divide.", [(0, 56)]) == []  # one number
    assert swap_sites("The sample of the sample is the same.", [(0, 37)]) == []  # a noun met twice is none


def _swapped(text: str) -> list[str]:
    """Every noun phrase some swap site of `text` exchanges."""
    return sorted({name for _, _, names in swap_sites(text, [(0, len(text))]) for name in names[0].split(" … ")})


def test_a_swap_never_takes_a_verb_a_modal_or_an_adverb_into_a_noun_phrase():
    assert _swapped("The practice lasted well into the night at the court of the lord.") == [
        "court",
        "lord",
        "night",
        "practice",
    ]  # "practice lasted well" is no noun phrase: "practice" is, and "lasted well" ends it
    assert _swapped("The dark matter cannot escape the galaxy toward the halo.") == ["dark matter", "galaxy", "halo"]
    assert _swapped("The planetary system suggests the star of the disk.") == ["disk", "planetary system", "star"]
    assert _swapped("The current inside the wire heats the coil of the motor.") == ["coil", "current", "motor"]
    assert _swapped("The ion charged the plate of the cell.") == ["cell", "plate"]  # "ion charged": noun and verb


def test_a_swap_never_exchanges_phrases_that_say_nearly_the_same():
    # one holds the other, or they share their head noun: both are left out, whichever is written first
    assert _swapped("The plasmid is put in the plasmid vector through the pore of the membrane.") == [
        "membrane",
        "pore",
    ]
    assert _swapped("The kelvin scale is read from the celsius scale of the gauge on the wall.") == ["gauge", "wall"]
    assert _swapped("The celsius scale is read from the kelvin scale of the gauge on the wall.") == ["gauge", "wall"]


def test_a_swap_exchanges_things_with_things_and_processes_with_processes():
    text = "The growth of the star in the region of the gas is the development of the disk."
    sites = [names[0].split(" … ") for _, _, names in swap_sites(text, [(0, len(text))])]
    assert sorted(map(sorted, sites)) == [["development", "growth", "region"], ["disk", "gas", "star"]]
    assert _swapped("The growth of the star is in the gas.") == ["gas", "growth", "star"]  # one of a kind: no split
    assert _swapped("The section of the chapter names the star of the disk.") == ["disk", "star"]  # the text's own


def test_the_options_are_a_uniform_draw_from_a_symmetric_family():
    """Given the family, every member is drawn as often: the truth is one member like the others."""
    sites = tuple(symbol_sites(r"So $a+b>c$ and $d-e<f$.", [(0, 24)]))
    family = Family(sites)
    assert family.size == 3 * 2 * 3 * 2
    rng, counts = random.Random(0), Counter()
    for _ in range(3000):
        counts.update(draw(family, 9, rng)[1:])
    assert len(counts) == family.size - 1 and max(counts.values()) / min(counts.values()) < 1.4


def test_spans_keep_the_rules():
    text = "Let $x=3$. Then $y = x+4 = 7$. So $z = 2y = 14$. Therefore the answer is $\\boxed{14}$."
    steps = split_steps(text)
    assert [text[a:b] for a, b in steps][:2] == ["Let $x=3$.", "Then $y = x+4 = 7$."] and len(steps) == 4
    spans = candidates(text, steps, 1, 4)
    assert spans and all(s.last - s.first + 1 < 4 for s in spans)  # never the whole solution
    assert all(not (s.first == s.last == 3) for s in spans)  # never the final answer line alone
    assert {(s.first, s.last) for s in spans} >= {(0, 1), (1, 2), (2, 3)}
    # a span whose derived value the next line restates holds nothing to work out
    assert recoverable("Then $y = x+4 = 7$.", "Let $x=3$. With $y = 7$ we get $z = 14$.", [])
    assert not recoverable("Then $y = x+4 = 7$.", "Let $x=3$. So $z = 2y$.", [])
    assert recoverable("So $z = 2y = 14$.", "Let $x = 3$. So $z = 2y = 14$. Done.", ["So $z = 2y = 14$."])


# -- items from real solutions ---------------------------------------------------------------------------------------


def assert_item(item: dict) -> None:
    """9 options, exactly one of them the hidden span (the answer's), none the same as another in any form."""
    meta, options = item["meta"], item["meta"]["options"]
    assert item["task"] == "mcq" and len(options) == 9 and item["answer"] in LETTERS[:9]
    truth = shown(meta["span"])
    assert [o == truth for o in options].count(True) == 1 and options[LETTERS.index(item["answer"])] == truth
    assert len({squeeze(o) for o in options}) == 9
    assert not any(equivalent(a, b) for a, b in itertools.combinations(options, 2))
    assert set(meta["distractors"]) == set(LETTERS[:9]) - {item["answer"]}
    lines = item["prompt"].splitlines()
    assert lines[-9:] == [f"({LETTERS[i]}) {o}" for i, o in enumerate(options)] and lines[-10] == "Options:"
    assert item["prompt"].count("[MASK]") == 3 and item["id"].startswith(
        f"{meta['source']}/mask-"
    )  # 2 in the instruction


def test_items_from_math_solutions(math_run):
    out, counts = math_run
    for item in out:
        assert_item(item)
        assert item["prompt"].startswith(HEADERS["math"]) and "\nQuestion:\n" in item["prompt"]
        assert item["subject"] and "solution" not in item  # the source's other fields pass, the solution does not
    assert counts.items == len(out) and len(out) + sum(counts.skipped.values()) == MATH_SAMPLE
    assert 0.5 < len(out) / MATH_SAMPLE < 1  # measured: 62.5% of the first 2000 MATH solutions yield an item
    hows = {how for item in out for d in item["meta"]["distractors"].values() for how in d["how"].split("+")}
    assert {"numeric", "operator", "swap"} <= hows and "borrowed" not in hows


def test_the_correct_letter_is_uniform(math_run, passage_run):
    letters = Counter(item["answer"] for item in math_run[0] + passage_run[0])
    n = sum(letters.values())
    chi2 = sum((letters[c] - n / 9) ** 2 / (n / 9) for c in LETTERS[:9])
    assert n > 100 and chi2 < CHI2_8_DOF_P001, (n, letters)


def test_items_from_textbook_passages(passage_run):
    out, counts, rows = passage_run
    for item in out:
        assert_item(item)
        assert item["prompt"].startswith(HEADERS["passage"]) and "\nPassage:\n" in item["prompt"]
        assert item["meta"]["span"] in next(r["text"] for r in rows if r["id"] == item["meta"]["source"])
    assert len(out) / len(rows) > 0.5, counts  # measured: 67% on all 400 passages


# What the audit allows on the module's samples: chance is 1/9 = 11.1%. Main's old generator (one-token edits of the
# truth) gave 95.7% (MATH) and 91.7% (passages) to the similarity rule over words, 100% over characters, on these
# very samples (its output audited by hand); bench figures for these items on 2000 MATH solutions and 400 passages:
# every rule <= 17.6% (docs/mask-sample.md). The bound leaves room for the noise of ~60 items.
AUDIT_BOUND = 0.27


@pytest.mark.parametrize("kind", ["math", "passage"])
def test_no_content_blind_rule_finds_the_truth(kind, math_run, passage_run):
    out = math_run[0] if kind == "math" else passage_run[0]
    found = shortcuts().audit(out)
    assert len(out) > 50 and abs(found["chance"] - 1 / 9) < 1e-9
    assert max(v for k, v in found.items() if k != "chance") <= AUDIT_BOUND, found


def test_an_id_names_one_item():
    rows = sources("math_train.jsonl", 20)
    runs = [made(rows, seed=seed)[0] for seed in (0, 1, 0)]
    assert runs[0] == runs[2]  # the same items twice: the same ids
    named: dict[str, dict] = {}
    for item in runs[0] + runs[1]:
        assert named.setdefault(item["id"], item) == item  # no id names two different items
    assert len(named) == len(runs[0]) + len(runs[1])  # two seeds make different items, with different ids


def test_items_verify_by_letter_or_option_text(math_run):
    item = math_run[0][0]
    wrong = next(c for c in LETTERS[:9] if c != item["answer"])
    truth = item["meta"]["options"][LETTERS.index(item["answer"])]
    rollouts = [
        {**item, "completion": f"So the answer is \\boxed{{{item['answer']}}}."},
        {**item, "completion": f"The answer is ({wrong})."},
        {**item, "completion": f"Answer: {truth}"},
    ]
    out = rlvr("verify", "-j", "1", input=jsonl(*rollouts))
    assert out.returncode == 0, out.stderr
    assert [r["reward"] for r in read_jsonl(out.stdout)] == [1.0, 0.0, 1.0]


# -- the model's proposals are held to the same rules ----------------------------------------------------------------


WRONG = [(1, 3), (2, 5), (7, 10), (7, 40), (20, 7), (3, 20), (9, 20), (1, 2), (7, 19)]


def proposal(span: str, distractors: list[str]) -> str:
    return "Sure. <answer>" + json.dumps({"span": span, "distractors": distractors}) + "</answer>"


def test_a_model_proposal_passes_the_rules_or_says_why_not():
    doc = Doc({"id": "t"}, "t", "", "Find z.", LAMPS + " So the answer is $\\boxed{7/20}$.", [])
    doc.steps = split_steps(doc.text)
    span = r"The probability is $\dfrac{140}{400}=\dfrac{7}{20}$."
    good = [f"The probability is $\\dfrac{{140}}{{400}}=\\dfrac{{{p}}}{{{q}}}$." for p, q in WRONG]
    item = llm_item(doc, proposal(span, good), 8, random.Random(0))
    assert not isinstance(item, str) and doc.text[item.start : item.end] == span
    assert len(item.distractors) == 8 and {d.how for d in item.distractors} == {"llm"}
    rng = random.Random(0)
    assert llm_item(doc, "no tags here", 8, rng) == "no <answer> tags"
    assert llm_item(doc, "<answer>{not json</answer>", 8, rng) == "not JSON"
    assert llm_item(doc, proposal("a span that is not there", good), 8, rng) == "span not in the text"
    assert llm_item(doc, proposal(doc.text, good), 8, rng) == "span is the whole text"
    assert llm_item(doc, proposal("So the answer is", good), 8, rng) == "span is the final answer alone"
    same = [span, span.replace("=\\dfrac{7}{20}", "=0.35")] + good[:6]  # the truth, and the truth rewritten
    assert llm_item(doc, proposal(span, same), 8, rng) == "too few valid distractors"


# -- the command -----------------------------------------------------------------------------------------------------


def test_the_command_is_reproducible_and_reports_its_yield():
    text = jsonl(*sources("math500.jsonl", 12))
    a, b = rlvr("mask", input=text), rlvr("mask", input=text)
    c = rlvr("mask", "--seed", "1", input=text)
    assert a.returncode == 0 and a.stdout == b.stdout and a.stdout != c.stdout
    n = len(read_jsonl(a.stdout))
    assert f"{n} items from 12 sources" in a.stderr and "skipped" in a.stderr and "distractors:" in a.stderr


@pytest.mark.parametrize(
    "args,text,says",
    [
        (
            [],
            '{"id": "a", "prompt": "p", "solution": "s"}\n{"id": "b", "prompt": "p"}\n',
            "stdin:2: 'solution' is missing",
        ),
        ([], '{"id": "a", "text": "prose"}\n', "stdin:1: 'prompt' is missing: --mode math needs prompt and solution"),
        (["--mode", "passage"], '{"id": "a", "text": 7}\n', "stdin:1: 'text' is not a string"),
        ([], '{"id": "a", "prompt": "p", "solution": "s"}\nnot json\n', "stdin:2: not valid JSON"),
        (["--span-steps", "3-1"], "", "--span-steps must be MIN-MAX"),
        (["--extract"], "", "--extract needs --llm MODEL and --mode passage"),
    ],
)
def test_bad_input_and_usage_exit_2_in_one_line(args, text, says):
    out = rlvr("mask", *args, input=text)
    assert out.returncode == 2 and says in out.stderr and out.stderr.count("error") == 1, out.stderr


def test_mask_does_not_import_torch():
    row = json.dumps(sources("math500.jsonl", 1)[0]).encode() + b"\n"
    assert heavy_imports(["mask"], row)[1] == []


# -- with the tiny model ---------------------------------------------------------------------------------------------


def short_solutions(n: int) -> list[dict]:
    """n MATH-500 problems with short solutions of a few steps (short prompts keep the tiny model's work small)."""
    rows = sources("math500.jsonl", 500)
    return [r for r in rows if 150 < len(r["solution"]) < 400 and len(r["prompt"]) < 250][:n]


def test_llm_proposals_fall_back_to_the_rules(tiny_model, tmp_path, capsys):
    from rlvrkit.jsonl import Source
    from rlvrkit.log import Log
    from rlvrkit.mask.run import run_mask

    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = short_solutions(6)
    src.write_text(jsonl(*rows))
    run_mask(Source(str(src)), str(dst), MaskOptions(llm=str(tiny_model), llm_max_tokens=8), Log("mask"))
    out, err = read_jsonl(dst.read_text()), capsys.readouterr().err
    rule_based, _ = made(rows)
    assert out == rule_based  # every proposal failed validation: the rule-based items, exactly
    assert "--llm: 0 items from the model; fell back to the rules for 6 items: 6 no <answer> tags" in err
    passages = tmp_path / "passages.jsonl"
    passages.write_text(jsonl(*sources("passages.jsonl", 3)))
    opts = MaskOptions(mode="passage", llm=str(tiny_model), llm_max_tokens=8, extract=True)
    run_mask(Source(str(passages)), str(dst), opts, Log("mask"))
    said = "--extract: 0 passages extracted, 0 sources without one; could not extract from 3 texts: 3 no <answer> tags"
    assert said in capsys.readouterr().err


def test_the_difficulty_filter_is_a_pipe(tiny_model, tmp_path):
    src, rolled = tmp_path / "math.jsonl", tmp_path / "verified.jsonl"
    src.write_text(jsonl(*short_solutions(12)))
    proc = shell(
        f"rlvr mask < {src} | rlvr rollout -m {tiny_model} -n 4 --max-tokens 8 | rlvr verify -j 1 "
        f"| tee {rolled} | rlvr score --per-prompt --drop solve-all"
    )
    assert proc.returncode == 0, proc.stderr
    verified, kept = read_jsonl(rolled.read_text()), read_jsonl(proc.stdout)
    items_made = {r["id"] for r in verified}
    assert len(verified) == 4 * len(items_made) and len(items_made) >= 5
    assert all(r["task"] == "mcq" and r["answer"] in LETTERS[:9] and len(r["meta"]["options"]) == 9 for r in kept)
    solved_by_all = {i for i in items_made if all(r["reward"] == 1 for r in verified if r["id"] == i)}
    assert {r["id"] for r in kept} == items_made - solved_by_all and all(not r["solve_all"] for r in kept)
    # the tiny model cannot read the items: it does no better than chance (1/9), here it names no option at all
    assert sum(r["reward"] for r in verified) / len(verified) <= 1 / 9
