"""Hostile input, one test per class of failure (issue 19): no input makes a command hang, print a traceback or destroy
a file the user named. Each case asserts the exit status, ONE line on stderr, no traceback, and that every file the
user named is as it was. Commands that need a model are given a folder that does not exist: the refusal coming first
shows it comes before any model would load."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys

import pytest
from conftest import jsonl, read_jsonl, rlvr

from rlvrkit.stats import mean, standard_error, std

PROMPTS = [{"id": f"p{i}", "prompt": f"What is {i} + 1?", "answer": str(i + 1), "solution": f"{i} + 1 = {i + 1}."}
           for i in range(200)]  # fmt: skip
VERIFIED = [{"id": "a", "reward": 1.0}, {"id": "a", "reward": 0.0}]
NO_MODEL = "/nonexistent/model"


def refused(out, code: int = 2) -> str:
    """The one stderr line of a command that failed with `code`, without a traceback."""
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == code, out.stderr
    assert "Traceback" not in out.stderr and len(lines) == 1, out.stderr
    assert lines[0].startswith("rlvr") and ": error: " in lines[0], lines[0]
    return lines[0]


def digest(*paths) -> list[str]:
    return [hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths]


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


# -- an output that is an input, or another output -------------------------------------------------------------------

SAME_FILE = {
    "compose -i f -o f": ["compose", "-i", "{f}", "-o", "{f}"],
    "steps -i f -o link-to-f": ["steps", "-i", "{f}", "-o", "{link}"],
    "mask -i link -o f": ["mask", "-i", "{link}", "-o", "{f}"],
    "score -i f -o hard-link": ["score", "-i", "{f}", "-o", "{hard}"],
    "verify -i f -o /dev/stdout when stdout is f": ["verify", "-i", "{f}", "-o", "/dev/stdout", ">>", "{f}"],
    "select-one -o f < f": ["select-one", "-o", "{f}", "<", "{f}"],
    "score -i f >> f": ["score", "-i", "{f}", ">>", "{f}"],
    "rollout --rejects r -o r": ["rollout", "-m", NO_MODEL, "--on-error", "skip", "--rejects", "{r}", "-o", "{r}"],
    "train -o f --ckpt f": ["train", "--ckpt", "{new}", "-m", NO_MODEL, "-o", "{new}"],
    "train -i inside --ckpt's versions": ["train", "--ckpt", "{d}", "-m", NO_MODEL, "-i", "{d}/versions/v000001/x"],
    "compose --first f -o f": ["compose", "--first", "{f}", "-o", "{f}", "-i", "{g}"],
    "eval --per-sample = --from-samples": ["eval", "--from-samples", "{f}", "--per-sample", "{f}"],
    "eval --bench x=f -o f": ["eval", "-m", NO_MODEL, "--bench", "x={f}", "-o", "{f}"],
    "eval --compare a f -o f": ["eval", "--compare", "{g}", "{f}", "-o", "{link}"],
    "eval --per-sample - -o -": ["eval", "--from-samples", "{f}", "--per-sample", "-"],
    "plot f -o f": ["plot", "{f}", "-o", "{f}"],
    "demo -o inside --dir": ["demo", "--dir", "{d}", "-o", "{d}/result.jsonl"],
}


@pytest.mark.parametrize("case", SAME_FILE)
def test_no_output_may_be_an_input_or_another_output(tmp_path, case):
    """-i f -o f turned 200 lines into 2 with exit 0; now every command refuses, before any work (a model folder that
    does not exist is never reached), any output that is one of its inputs or another output: by device and inode
    (links, hard links, /dev/stdout), stdin and stdout by what they are open on, new files by name."""
    f, g, r = tmp_path / "f.jsonl", tmp_path / "g.jsonl", tmp_path / "r.jsonl"
    f.write_text(jsonl(*PROMPTS))
    g.write_text(jsonl(*PROMPTS[:3]))
    r.write_text("kept\n")
    (tmp_path / "link.jsonl").symlink_to(f)
    os.link(f, tmp_path / "hard.jsonl")
    (tmp_path / "d" / "versions" / "v000001").mkdir(parents=True)
    (tmp_path / "d" / "versions" / "v000001" / "x").write_text("{}\n")
    names = {"f": f, "g": g, "r": r, "link": tmp_path / "link.jsonl", "hard": tmp_path / "hard.jsonl"}
    names |= {"new": tmp_path / "new", "d": tmp_path / "d"}
    words = [w.format(**names) for w in SAME_FILE[case]]
    before = digest(f, g, r)
    command = " ".join(f"'{w}'" if w not in ("<", ">>") else w for w in words)
    out = subprocess.run(f"{sys.executable} -m rlvrkit.commands.cli {command}", shell=True, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})  # fmt: skip
    line = refused(out)
    assert "same file" in line or "inside" in line, line
    assert digest(f, g, r) == before and leftovers(tmp_path) == [] and not (tmp_path / "new").exists()
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["versions"]


def test_distinct_files_and_devices_are_not_a_clash(tmp_path):
    """The same check lets through what is not a clash: one file read twice, and /dev/null as input, output and
    rejects at once."""
    f = tmp_path / "f.jsonl"
    f.write_text(jsonl(*VERIFIED))
    out = rlvr("score", "-i", "/dev/null", "-o", "/dev/null", "--on-error", "skip", "--rejects", "/dev/null")
    assert out.returncode == 0 and out.stderr == "", out.stderr
    out = rlvr("eval", "--compare", str(f), str(f))  # not samples, but read twice is fine: the lines are refused
    assert "not an rlvr eval sample" in refused(out)


# -- the CLI library's usage errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, says",
    [
        (["score", "--adv-eps", "abc"], "rlvr score: error: Invalid value for '--adv-eps'"),
        (["score", "--bogus"], "rlvr score: error: No such option: --bogus"),
        (["scor"], "rlvr: error: No such command 'scor'. Did you mean 'score'?"),
        (["train"], "rlvr train: error: Missing option '--ckpt'"),
        (["eval", "--compare", "a"], "rlvr eval: error: Option '--compare' requires 2 arguments"),
        (["select-one", "--by", "nope"], "rlvr select-one: error: Invalid value for '--by'"),
        (["--bogus"], "rlvr: error: No such option: --bogus"),
    ],
)
def test_usage_errors_of_the_cli_library_are_one_line(args, says):
    """Usage / Try / blank / Error (four lines) became the one line the rest of the project prints."""
    assert refused(rlvr(*args, input="")).startswith(says)


# -- numbers no option means -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, says",
    [
        (["select-one", "--min-score", "nan"], "--min-score nan: not a finite number"),
        (["verify", "--timeout", "inf"], "--timeout inf: not a finite number"),
        (["score", "--solved-at", "nan"], "--solved-at nan: not a finite number"),
        (["score", "--adv-eps", "-1"], "--adv-eps"),
        (["select-one", "--by", "pass-rate", "--target", "-inf"], "--target -inf: not a finite number"),
        (["eval", "--from-samples", "x", "--seed", "1" + "0" * 30], "--seed: 100-bit integer out of range"),
        (["rollout", "-m", NO_MODEL, "--temperature", "inf"], "--temperature inf: not a finite number"),
        (["eval", "-m", NO_MODEL, "--top-p", "nan"], "Invalid value for '--top-p'"),
    ],
)
def test_nan_infinite_and_absurd_option_values_are_refused(args, says):
    out = rlvr(*args, input=jsonl(*VERIFIED))
    assert says in refused(out) and out.stdout == ""


# -- what the record contract bounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reward", ["1e308", "-1e308", "1" + "0" * 400, "1e6000"])
@pytest.mark.parametrize("command", ["score", "select-one"])
def test_a_reward_beyond_the_contract_is_bad_input_naming_the_line(command, reward):
    """score on ±1e308 overflowed the statistics, a 400-digit integer overflowed converting it: the record contract
    now bounds a reward to ±1e6 (rlvrkit.records.REWARD_LIMIT) where it is read. (1e6000 is not JSON's at all.)"""
    lines = '{"id":"a","reward":1,"epoch":0}\n{"id":"a","reward":%s,"epoch":0}\n' % reward
    line = refused(rlvr(command, input=lines))
    assert "stdin:2:" in line and ("reward" in line or "infinity" in line)


def test_statistics_of_finite_values_never_overflow():
    assert mean([1e308, 1e308]) == 1e308 and mean([1.7976931348623157e308] * 3) == 1.7976931348623157e308
    assert std([1e308, -1e308]) == 1e308 and std([1.0, 2.0]) == 0.5 and std([3e200, -3e200]) == 3e200
    assert math.isfinite(standard_error([1e308, -1e308, 1e308])) and std([1.7e308, -1.7e308], "sample") == math.inf


@pytest.mark.parametrize("command", ["score", "verify", "select-one", "compose", "steps"])
def test_a_field_nested_a_thousand_deep_is_bad_input_and_one_at_the_limit_passes(command):
    """orjson reads 1000 levels but writes 254, and the fallback writer recursed: the record contract bounds nesting to
    100 levels (rlvrkit.records.MAX_DEPTH), checked as a line is read, so whatever is read can be written back."""
    deep = json.dumps(PROMPTS[0] | {"reward": 1, "completion": "2", "x": [[]]})
    nested = deep.replace("[[]]", "[" * 1000 + "]" * 1000)
    line = refused(rlvr(command, input=nested + "\n"))
    assert "stdin:1: nested deeper than 100 levels" in line
    skip = rlvr(command, "--on-error", "skip", input=nested + "\n")
    assert skip.returncode == 0 and "skipped 1 bad line" in skip.stderr and "Traceback" not in skip.stderr


def test_a_record_at_the_nesting_limit_passes_through_unchanged():
    x: list = []
    for _ in range(98):  # the record, "x", then 98 lists: 100 levels
        x = [x]
    rec = {"id": "a", "reward": 1, "x": x}
    out = rlvr("score", input=jsonl(rec, rec))
    assert out.returncode == 0, out.stderr
    assert [r["x"] for r in read_jsonl(out.stdout)] == [x, x]


# -- eval ------------------------------------------------------------------------------------------------------------


def samples(path, prompts=("p1", "p2"), n=2, bench="b", lines=None, declared=None):
    """A --per-sample file: each prompt's n samples, the first right; `lines` replaces the lines before writing."""
    out = [{"bench": bench, "id": p, "sample": s, "answer": "1", "task": "math", "reward": float(s == 0),
            "verdict": {"status": "ok", "extracted": "1" if s == 0 else "0"}, "tokens": 3, "finish_reason": "stop",
            "policy": {}, "sampling": {"n": declared or n}, "verifier": {}}
           for p in prompts for s in range(n)]  # fmt: skip
    path.write_text(jsonl(*(lines(out) if lines else out)))
    return str(path)


def _set(i, **fields):
    return lambda lines: [*lines[:i], {**lines[i], **fields}, *lines[i + 1 :]]


@pytest.mark.parametrize(
    "change, says",
    [
        (_set(3, reward="1"), "s.jsonl:4: 'reward' must be a number, got str '1'"),
        (_set(3, reward=None), "s.jsonl:4: 'reward' is null"),
        (_set(3, tokens="many"), "s.jsonl:4: 'tokens' must be a whole number >= 0"),
        (_set(3, sample="zero"), "s.jsonl:4: 'sample' must be a whole number >= 0"),
        (_set(0, verdict="ok"), "s.jsonl:1: 'verdict' must be an object"),
        (lambda lines: [*lines, lines[1]], "s.jsonl:5: sample 1 of prompt 'p1' in bench 'b' again (first on line 2)"),
        (lambda lines: lines + lines, "s.jsonl:5: sample 0 of prompt 'p1' in bench 'b' again (first on line 1)"),
        (lambda lines: lines[:3], "s.jsonl: bench 'b', prompt 'p2': 1 of its 2 samples (missing 1): a truncated"),
        (lambda lines: [*lines, {**lines[0], "sample": 2}], "prompt 'p1': sample 2 of a run of 2: two runs in one"),
        (_set(0, sampling={"n": 4}), "bench 'b' mixes runs of sampling.n 2 and 4"),
    ],
)
def test_eval_refuses_a_samples_file_it_cannot_trust(tmp_path, change, says):
    """Bad fields traced back; duplicated lines, concatenated runs and truncated files were silently merged."""
    path = samples(tmp_path / "s.jsonl", lines=change)
    for args in (["--from-samples", path], ["--compare", path, path]):
        assert says in refused(rlvr("eval", *args)), args


def test_eval_k_above_n_is_a_usage_error_before_anything_else(tmp_path):
    """-k above -n silently dropped pass@k and maj@k; now refused before the model (missing here) is looked at; and
    from samples, -k beyond the samples a prompt has."""
    out = rlvr("eval", "-m", NO_MODEL, "-n", "2", "-k", "1,4", input=jsonl(*PROMPTS[:2]))
    assert "-k 4 is more than -n 2" in refused(out)
    out = rlvr("eval", "--from-samples", samples(tmp_path / "s.jsonl"), "-k", "3")
    assert "-k 3 needs 3 samples a prompt; " in refused(out)


def test_eval_checks_every_prompt_before_the_model_loads(tmp_path):
    """A prompt without an answer was found after sampling, the error naming a temporary file."""
    out = rlvr("eval", "-m", NO_MODEL, "-n", "1", input=jsonl(PROMPTS[0], {"id": "x", "prompt": "hi"}))
    assert refused(out).endswith("stdin:2: missing 'answer' (eval verifies every completion against it)")
    bench = tmp_path / "b.jsonl"
    bench.write_text(jsonl({"id": "x", "prompt": "hi", "answer": "1", "task": "poetry"}))
    out = rlvr("eval", "-m", NO_MODEL, "--bench", f"b={bench}")
    assert f"{bench}:1: unknown task 'poetry'" in refused(out)
    assert "stdin: no prompt records" in refused(rlvr("eval", "-m", NO_MODEL, input=""))


def test_eval_refuses_a_benchmark_name_given_twice(tmp_path):
    out = rlvr("eval", "-m", NO_MODEL, "--bench", f"x={tmp_path}/a", "--bench", f"x={tmp_path}/b")
    assert "--bench x is given twice" in refused(out)


def test_eval_compare_says_what_it_compared_and_refuses_nothing_in_common(tmp_path):
    a = samples(tmp_path / "a.jsonl", prompts=("p1", "p2", "p3"))
    b = samples(tmp_path / "b.jsonl", prompts=("p2", "p3", "p4"), n=4)
    c = samples(tmp_path / "c.jsonl", prompts=("q1", "q2"))
    out = rlvr("eval", "--compare", a, b)
    assert out.returncode == 0, out.stderr
    assert "b: compared 2 prompts; left out 1 only in A and 1 only in B; A has 2 samples a prompt and B 4" in out.stderr
    assert [r["metric"] for r in read_jsonl(out.stdout)] == ["avg@2 vs avg@4", "pass@1", "maj@1"]
    assert "nothing to compare: 'b' (no prompt in both)" in refused(rlvr("eval", "--compare", a, c))


def test_eval_never_names_a_file_by_a_benchmark_name(tiny_model, tmp_path):
    """--bench ../../x=FILE wrote the temporary rollouts outside the temporary folder, and left them there."""
    bench = tmp_path / "sums.jsonl"
    bench.write_text(jsonl(*PROMPTS[:1]))
    escape = "../" * 20 + str(tmp_path / "escaped")
    out = rlvr("eval", "-m", str(tiny_model), "-n", "1", "--max-tokens", "2", "-j", "1", "--bench", f"{escape}={bench}")
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sums.jsonl"]


# -- select-one and score --------------------------------------------------------------------------------------------

HISTORY = [{"id": k, "pass_rate": 0.5, "epoch": 0} for k in ("a", "b")]


def test_select_one_writes_nothing_from_part_of_a_history(tmp_path):
    """A bad line left a 0-byte file; now no file appears, and one already there is kept."""
    out_file = tmp_path / "one.jsonl"
    assert "stdin:3: not valid JSON" in refused(rlvr("select-one", "-o", str(out_file), input=jsonl(*HISTORY) + "x\n"))
    assert not out_file.exists()
    out_file.write_text("earlier\n")
    refused(rlvr("select-one", "-o", str(out_file), input=jsonl(*HISTORY) + "x\n"))
    assert out_file.read_text() == "earlier\n" and leftovers(tmp_path) == []


def test_select_one_says_wrote_only_once_it_has():
    out = rlvr("select-one", "-o", "/dev/full", input=jsonl(*HISTORY))
    assert "cannot write /dev/full" in refused(out, 1) and "wrote" not in out.stderr


def test_select_one_says_when_the_ranking_is_flat_and_keeps_ids_apart():
    out = rlvr("select-one", input=jsonl(*HISTORY))
    assert out.returncode == 0 and [r["id"] for r in read_jsonl(out.stdout)] == ["a"]
    assert "the ranking is flat: every one of the 2 prompts scores 0 (the history has 1 epoch)" in out.stderr
    history = [{"id": 1, "pass_rate": 0.5, "epoch": 0}, {"id": "1", "pass_rate": 0.0, "epoch": 0},
               {"id": 1, "pass_rate": 0.5, "epoch": 1}, {"id": "1", "pass_rate": 1.0, "epoch": 1}]  # fmt: skip
    out = rlvr("select-one", "--top", "0", input=jsonl(*history))
    assert [r["id"] for r in read_jsonl(out.stdout)] == ["1", 1] and "flat" not in out.stderr


def test_score_refuses_a_selection_that_keeps_nothing():
    out = rlvr("score", "--only", "solve-all", "--drop", "solve-all", input=jsonl(*VERIFIED))
    assert "--only solve-all keeps only the groups --drop solve-all drops" in refused(out) and out.stdout == ""


def test_every_option_that_names_a_file_is_marked_for_the_same_file_check():
    """The same-file check covers every file option of every command because each says it reads or writes: an option
    whose metavar names a file (FILE, A B, NAME=FILE, METRICS.jsonl...) without a READ/WRITTEN mark would escape it."""
    import typer
    from rlvrkit.commands._common import _file_options
    from rlvrkit.commands.cli import app

    unmarked = []
    for name, command in typer.main.get_command(app).commands.items():
        marked = _file_options(command.callback.__wrapped__)
        for param in command.params:
            if any(word in (param.metavar or "") for word in ("FILE", "A B", ".jsonl")) and param.name not in marked:
                unmarked.append(f"{name} {param.opts[0]}")
    assert unmarked == []
