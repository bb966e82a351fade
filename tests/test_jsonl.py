"""The JSON Lines core: line numbers, fail and skip, repairs, atomic files."""

import io

import pytest

from rlvrkit.errors import BadInput, InvalidRecord
from rlvrkit.jsonl import AtomicFile, Records, dumps, parse_line


def read(data: bytes, **kw):
    src = Records(io.BytesIO(data), name="in.jsonl", **kw)
    return src, list(src)


def test_line_numbers_count_blank_lines_and_crlf():
    src, recs = read(b'{"a":1}\r\n\n{"a":2}\n')
    assert recs == [{"a": 1}, {"a": 2}]
    assert src.where() == "in.jsonl:3"


def test_last_line_without_newline_and_bom():
    _, recs = read(b'\xef\xbb\xbf{"a":1}\n{"a":2}')
    assert recs == [{"a": 1}, {"a": 2}]


def test_bad_line_ends_the_input_and_names_the_line():
    src, recs = read(b'{"a":1}\n{"a":2}\n{"a":\n{"a":4}\n')
    assert recs == [{"a": 1}, {"a": 2}]
    assert isinstance(src.failure, BadInput)
    assert str(src.failure).startswith("in.jsonl:3: not valid JSON")


def test_non_object_lines_are_refused():
    for line, kind in [(b"[1]", "an array"), (b'"x"', "a string"), (b"null", "null"), (b"3", "a number")]:
        with pytest.raises(InvalidRecord, match=f"expected a JSON object, got {kind}"):
            parse_line(line)


def test_nan_and_infinity_are_not_json():
    for line in (b'{"r": NaN}', b'{"r": Infinity}', b'{"r": 1e999}'):
        with pytest.raises(InvalidRecord, match="not valid JSON"):
            parse_line(line)


def test_skip_counts_and_keeps_rejects(tmp_path):
    rejects = io.BytesIO()
    src, recs = read(b'{"a":1}\nnope\n{"a":3}\n', on_error="skip", rejects=rejects)
    assert recs == [{"a": 1}, {"a": 3}]
    assert src.skipped == 1
    assert rejects.getvalue() == b"nope\n"
    assert "skipped 1 bad line (first: in.jsonl:2: not valid JSON" in src.summary()


def test_check_refusals_carry_the_line():
    def check(rec):
        if "reward" not in rec:
            raise InvalidRecord("missing 'reward'")

    src, recs = read(b'{"reward":1}\n{"x":2}\n', check=check)
    assert recs == [{"reward": 1}]
    assert str(src.failure) == "in.jsonl:2: missing 'reward'"


def test_broken_unicode_is_repaired_and_counted():
    src, recs = read(b'{"c":"a\\ud800b"}\n{"c":"\xff\xfe"}\n{"c":"\\ud83d\\ude00"}\n')
    assert recs == [{"c": "a\ufffdb"}, {"c": "\ufffd\ufffd"}, {"c": "\U0001f600"}]
    assert src.repaired == 2
    assert all(dumps(r) for r in recs)


def test_unknown_fields_round_trip():
    line = b'{"id":"x","meta":{"parents":["a","b"],"w":0.25},"u":"\xc3\xa9","n":null}'
    assert dumps(parse_line(line)[0]) == line + b"\n"


def test_idle_is_called_only_when_input_would_wait(tmp_path):
    import os

    calls = []
    r, w = os.pipe()
    os.write(w, b'{"a":1}\n')
    os.close(w)
    with open(r, "rb") as f:
        list(Records(f, idle=lambda: calls.append(1)))
    # the pipe holds data and then EOF: reading never waits, so no flush is forced
    assert calls == []
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"a":1}\n' * 10)
    list(Records(str(path), idle=lambda: calls.append(1)))
    assert calls == []


def test_atomic_file(tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    f = AtomicFile(target)
    f.write(b"new\n")
    assert target.read_text() == "old\n"
    f.discard()
    assert target.read_text() == "old\n" and list(tmp_path.iterdir()) == [target]
    f = AtomicFile(target)
    f.write(b"new\n")
    f.commit()
    assert target.read_text() == "new\n" and list(tmp_path.iterdir()) == [target]


def test_missing_input_is_bad_input():
    with pytest.raises(BadInput, match="cannot read /nonexistent.jsonl"):
        Records("/nonexistent.jsonl")


WIDE = (
    b'{"id":"w","big":18446744073709551616,"neg":-18446744073709551617,"i64":-9223372036854775809,'
    b'"n":[1,-0.5,123456789012345678901234567890],"s":"12345678901234567890"}'
)


def test_integers_wider_than_64_bits_are_read_and_written_exactly():
    rec, repaired = parse_line(WIDE)
    assert rec["big"] == 2**64 and rec["neg"] == -(2**64) - 1 and rec["i64"] == -(2**63) - 1
    assert rec["n"][2] == 123456789012345678901234567890 and not repaired
    assert dumps(rec) == WIDE + b"\n"


def test_only_long_integer_runs_take_the_slow_path():
    from rlvrkit.jsonl import _may_hold_wide_integer

    logprobs = (
        b'{"logprobs":[-0.000012345678901234568,-0.0012345678901234567,-1.2345678901234566e-7],"ids":[151644,8948]}'
    )
    assert not _may_hold_wide_integer(logprobs)
    assert not _may_hold_wide_integer(b'{"max":999999999999999999,"min":-999999999999999999}')  # 18 digits fit
    assert _may_hold_wide_integer(b'{"x":-9223372036854775809}')
    assert _may_hold_wide_integer(b'{"sha":"x1234567890123456789"}')  # a string: slower, and still read right


@pytest.mark.parametrize("chunk", [5, 7, 64, 1 << 16])
def test_wide_integers_are_exact_wherever_the_input_is_cut(monkeypatch, chunk):
    import json

    import rlvrkit.jsonl

    monkeypatch.setattr(rlvrkit.jsonl, "CHUNK", chunk)
    lines = [
        b'{"a":1.5}',
        WIDE,
        b'{"b":[0.000012345678901234568]}',
        b'{"c":' + b"9" * 25 + b"}",
        b'{"d":-' + b"1" * 19 + b"}",
    ]
    data = b"\n".join(lines) + b"\n"
    src, recs = read(data)
    assert recs == [json.loads(line) for line in lines]
    assert b"".join(dumps(r) for r in recs) == data
