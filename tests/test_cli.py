"""The `rlvr` command as a whole: help, version, start-up cost, docs in sync, what gets installed."""

import shutil
import subprocess
import sys
import zipfile

from conftest import ROOT, heavy_imports, rlvr

from rlvrkit import __version__

COMMANDS_BUILT = [
    "compose",
    "steps",
    "mask",
    "select-one",
    "rollout",
    "verify",
    "score",
    "train",
    "eval",
    "plot",
    "demo",
    "init-model",
]


def test_help_lists_the_commands():
    out = rlvr("--help")
    assert out.returncode == 0
    for name in COMMANDS_BUILT:
        assert f"  {name} " in out.stdout


def test_every_command_has_help_with_examples():
    for name in COMMANDS_BUILT:
        out = rlvr(name, "--help")
        assert out.returncode == 0 and "Examples:" in out.stdout and f"rlvr {name}" in out.stdout


def test_version():
    assert rlvr("--version").stdout.strip() == f"rlvr {__version__}"


def test_data_commands_do_not_import_torch():
    stdout, heavy = heavy_imports(["score"], b'{"id": "a", "reward": 1}\n')
    assert stdout.strip() == '{"id":"a","reward":1,"advantage":0.0}'
    assert heavy == []


def test_help_imports_nothing_heavy():
    for args in (["--help"], ["train", "--help"], ["rollout", "--help"], ["verify", "--help"]):
        assert heavy_imports(args, b"")[1] == [], args


def test_man_pages_and_completions_are_in_sync():
    from rlvrkit.commands._docs import stale

    assert stale(ROOT) == [], "run `make docs` to regenerate man/ and completions/"


def test_man_pages_render_every_option():
    page = (ROOT / "man" / "rlvr-score.1").read_text()
    for flag in ("\\-\\-adv", "\\-\\-drop", "\\-\\-min\\-std", "\\-\\-per\\-prompt", "\\-\\-on\\-error"):
        assert f"\\fB{flag}\\fR" in page


def test_wheel_installs_commands_inside_rlvrkit(tmp_path):
    # built from a copy, so the build leaves nothing in the checkout and concurrent test runs do not collide
    source = tmp_path / "source"
    junk = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", "runs", ".demo")
    shutil.copytree(ROOT, source, ignore=junk)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), source],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("rlvrkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "rlvrkit/commands/cli.py" in names and "rlvrkit/commands/score.py" in names
    assert not any(n.startswith("commands/") for n in names)
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "rlvrkit").rglob("*.py")}
    assert sources <= set(names), "a package under rlvrkit/ is missing from pyproject's package list"
