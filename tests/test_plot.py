"""`rlvr plot`: curves from metrics lines to a real picture, sparklines, and the usual errors."""

from __future__ import annotations

import json

import pytest
from conftest import heavy_imports, jsonl, rlvr


def metrics(path, lengths, reward_from=0.0):
    rows = [{"step": i + 1, "reward_mean": reward_from + i / 10, "len_mean": n, "clip_frac": 0.01 * i, "kl": 0.0}
            for i, n in enumerate(lengths)]  # fmt: skip
    path.write_text(jsonl(*rows))
    return path


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_writes_a_picture_of_every_run(tmp_path, suffix):
    a = metrics(tmp_path / "gspo.jsonl", [40, 30, 20, 12, 8])
    b = metrics(tmp_path / "luspo.jsonl", [40, 44, 47, 50, 52])
    out = rlvr("plot", str(a), str(b), "--smooth", "2", "-o", str(tmp_path / f"curves{suffix}"))
    assert out.returncode == 0 and out.stdout == "", out.stderr
    data = (tmp_path / f"curves{suffix}").read_bytes()
    if suffix == ".png":
        import matplotlib.image

        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        height, width, _ = matplotlib.image.imread(tmp_path / "curves.png").shape
        assert width > 600 and height > 200
    else:
        assert b"<svg" in data and b"response length" in data and b"luspo" in data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_ascii_sparklines(tmp_path):
    a = metrics(tmp_path / "a.jsonl", [40, 30, 20, 12, 8])
    out = rlvr("plot", str(a), "--label", "gspo", "--ascii")
    lines = out.stdout.splitlines()
    assert out.returncode == 0 and "response length (tokens)" in lines
    length = lines[lines.index("response length (tokens)") + 1]
    assert length.split()[:2] == ["gspo", "█▆▄▂▁"] and "40 → 8" in length


def test_plot_does_not_import_torch(tmp_path):
    a = metrics(tmp_path / "a.jsonl", [1, 2])
    assert "torch" not in heavy_imports(["plot", str(a), "--ascii"], b"")[1]


@pytest.mark.parametrize(
    "args, says",
    [
        (["{bad}", "--ascii"], "{bad}:2: not a metrics line of rlvr train"),
        (["{good}", "-o", "{tmp}/x.txt"], "-o FILE ending in .png, .svg, .pdf"),
        (["{good}", "{good}", "--label", "one", "--ascii"], "--label given 1 times for 2 files"),
        (["{empty}", "--ascii"], "no metrics to plot"),
    ],
)
def test_bad_input_exits_2(tmp_path, args, says):
    good = metrics(tmp_path / "good.jsonl", [1, 2])
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text().splitlines()[0] + "\n" + json.dumps({"loss": 1}) + "\n")
    (tmp_path / "empty.jsonl").write_text(json.dumps({"step": 1, "lr": 1e-6}) + "\n")
    paths = {"bad": bad, "good": good, "empty": tmp_path / "empty.jsonl", "tmp": tmp_path}
    out = rlvr("plot", *[a.format(**paths) for a in args])
    assert out.returncode == 2 and says.format(**paths) in out.stderr and "Traceback" not in out.stderr


def test_the_default_panels_are_the_ones_that_move(tmp_path):
    rows = [{"step": i, "reward_mean": 0.1 * i, "len_mean": 10, "entropy": 1 - 0.1 * i, "mismatch_k3": 0.001 * i,
             "staleness": i % 3, "truncated_frac": 0.0, "clip_frac": 0.0, "kl": 0.0, "grad_norm": 1.0}
            for i in range(1, 6)]  # fmt: skip
    m = tmp_path / "m.jsonl"
    m.write_text(jsonl(*rows))
    out = rlvr("plot", str(m), "-o", str(tmp_path / "c.svg"))
    assert out.returncode == 0, out.stderr
    svg = (tmp_path / "c.svg").read_text()
    for title in ("reward", "response length", "entropy", "mismatch", "staleness", "truncated"):
        assert title in svg
    assert "clip fraction" not in svg and "KL to the reference" not in svg  # zero by construction here
    rows[2]["clip_frac"] = 0.05  # a second update per batch: the clip bites, and its panel appears
    m.write_text(jsonl(*rows))
    assert "clip fraction" in rlvr("plot", str(m), "--ascii").stdout
