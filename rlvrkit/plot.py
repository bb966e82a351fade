"""Training curves from `rlvr train`'s metrics lines: a figure (png, svg or pdf), or sparklines for a terminal.

Each metrics file is one run. Every panel is one metric against the optimizer step, one line per run. The panels are
the curves that move in a run: reward, response length (the curve the LUSPO paper argues with: GSPO's responses
shrink, LUSPO's do not), the policy's entropy, its mismatch with the policy that sampled the records, staleness and
truncation, each drawn when some run has it; clip fraction and KL only when some run's are not all zero (with one
update per batch and β = 0 they are zero by construction). `smooth` W > 1 draws the trailing mean of the last W
points. matplotlib is imported here only, and only when a figure is drawn.

Runs are named by --label, else by their file names (with as much of the folder as tells two apart); two runs with one
name are refused rather than drawn as one. The picture is written like every output of rlvr (rlvrkit.jsonl): a
regular file appears whole, through a symlink its target does, and a device is written in place.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from rlvrkit.errors import BadInput, Failure, InvalidRecord
from rlvrkit.jsonl import check_output, output_target, read_all

PANELS = {
    "reward_mean": "reward",
    "len_mean": "response length (tokens)",
    "entropy": "entropy (nats per token)",
    "mismatch_k3": "mismatch: KL(behaviour ‖ trained), k3",
    "staleness": "staleness (versions)",
    "truncated_frac": "truncated (share of completions)",
    "clip_frac": "clip fraction",
    "kl": "KL to the reference",
}
WHEN_NONZERO = ("clip_frac", "kl")  # drawn only when some run's are not all zero
FORMATS = (".png", ".svg", ".pdf")
BARS = "▁▂▃▄▅▆▇█"
LARGEST = 1e300  # beyond this no axis spans the values (the span of ±1e308 is not a float): they are left out
MAX_STEP = 2**53  # a step is an exact float up to here


@dataclass(frozen=True)
class PlotOptions:
    """`rlvr plot`'s options."""

    label: tuple[str, ...] = ()  # one per file, in order (default: the file names)
    smooth: int = 1  # trailing mean over this many points
    ascii: bool = False  # sparklines on stdout instead of a figure

    def __post_init__(self):
        if self.smooth < 1:
            raise ValueError("--smooth takes a window of 1 point or more")


def check_step(rec: dict) -> None:
    step = rec.get("step")
    if not isinstance(step, int) or isinstance(step, bool):
        raise InvalidRecord("not a metrics line of rlvr train: no integer 'step'")
    if not 0 <= step <= MAX_STEP:
        raise InvalidRecord(f"'step' must be from 0 to 2^53, not {str(step)[:20]}{'…' * (len(str(step)) > 20)}")


def read_run(path: str, log=None) -> dict[str, list[tuple[int, float]]]:
    """(step, value) series of every known metric of one metrics file; a line without a step is bad input. A value
    beyond ±LARGEST is left out, and said through `log`."""
    series: dict[str, list[tuple[int, float]]] = {}
    huge = 0
    for rec in read_all(path, check=check_step):
        for key in PANELS:
            value = rec.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                if abs(value) > LARGEST:
                    huge += 1
                    continue
                series.setdefault(key, []).append((rec["step"], float(value)))
    if huge and log is not None:
        log.warn(f"{path}: left out {huge} value{'s' * (huge != 1)} beyond ±{LARGEST:g}, which no axis can span")
    return series


def smoothed(values: list[float], window: int) -> list[float]:
    """The trailing mean of the last `window` values at each point (the first points average what there is). The sum
    runs over value/window, so it cannot overflow."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v / window
        if i >= window:
            total -= values[i - window] / window
        out.append(total * (window / min(i + 1, window)))
    return out


def sparkline(values: list[float], width: int = 40) -> str:
    """The values as block characters, at most `width` of them (each the mean of its share of the points)."""
    if len(values) > width:
        edges = [round(i * len(values) / width) for i in range(width + 1)]
        values = [sum(v / (b - a) for v in values[a:b]) for a, b in zip(edges, edges[1:])]
    low, high = min(values), max(values)
    span = high / 2 - low / 2  # halves: the span of ±1e300 is finite
    scale = (len(BARS) - 1) / span if span > 0 else 0.0
    return "".join(BARS[round((v / 2 - low / 2) * scale)] for v in values)


def panels(runs: dict[str, dict]) -> list[str]:
    """The metrics to draw: those some run has, clip fraction and KL only when some run's are not all zero."""
    keys = [k for k in PANELS if any(k in series for series in runs.values())]
    return [k for k in keys if k not in WHEN_NONZERO or any(v for s in runs.values() for _, v in s.get(k, ()))]


def labels(files: tuple[str, ...], given: tuple[str, ...]) -> tuple[str, ...]:
    """A name per run: the --label values, else each file's name without its suffix, with as many of its folders as
    it takes to tell two runs apart. Two runs with one name are refused."""
    if given:
        twice = sorted({name for name in given if given.count(name) > 1})
        if twice:
            raise BadInput(f"--label {twice[0]!r} names two runs: give each run its own label")
        return given
    resolved = [Path(f).resolve() for f in files]
    twice = sorted({f for f, r in zip(files, resolved) if resolved.count(r) > 1})
    if twice:
        raise BadInput(f"{twice[0]} is given twice: each file is one run")
    parts = [Path(f).with_suffix("").parts for f in files]
    for depth in range(1, max(len(p) for p in parts) + 1):
        names = ["/".join(p[-depth:]) for p in parts]
        if len(set(names)) == len(names):
            return tuple(names)
    return tuple(str(f) for f in files)


def run_plot(files: tuple[str, ...], output: str | None, opts: PlotOptions, log) -> None:
    """`rlvr plot`: the runs in `files` drawn to `output` (by its suffix), or as sparklines on stdout."""
    if not files:
        raise BadInput("give one or more metrics files (rlvr train's output)")
    if opts.label and len(opts.label) != len(files):
        raise BadInput(f"--label given {len(opts.label)} times for {len(files)} files: one per file, in order")
    if not opts.ascii and (output is None or Path(output).suffix.lower() not in FORMATS):
        raise BadInput(f"-o FILE ending in {', '.join(FORMATS)} (or --ascii for sparklines)")
    if not opts.ascii:
        check_output(output)
    names = labels(files, opts.label)
    runs = {name: read_run(path, log) for name, path in zip(names, files)}
    if not any(runs.values()):
        raise BadInput(f"no metrics to plot in {', '.join(files)} (known: {', '.join(PANELS)})")
    if opts.ascii:
        print(ascii_summary(runs, opts.smooth))
        return
    draw(runs, output, opts.smooth)
    log.info(f"wrote {output}: {len(runs)} run{'s' * (len(runs) != 1)}")


def ascii_summary(runs: dict[str, dict], smooth: int) -> str:
    """One line per run and metric: the sparkline, then first → last value and the range."""
    width = max(len(label) for label in runs)
    lines = []
    for key in panels(runs):
        lines.append(PANELS[key])
        for label, series in runs.items():
            if key in series:
                values = smoothed([v for _, v in series[key]], smooth)
                span = f"{values[0]:.4g} → {values[-1]:.4g}  [{min(values):.4g}, {max(values):.4g}]"
                lines.append(f"  {label:<{width}}  {sparkline(values)}  {span}")
    return "\n".join(lines)


def draw(runs: dict[str, dict], output: str, smooth: int) -> None:
    """One panel per metric of `panels`, one line per run, saved to `output` (its suffix picks the format)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = panels(runs)
    cols = min(len(keys), 3)
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, key in zip(axes.flat, keys):
        for label, series in runs.items():
            if key in series:
                steps = [s for s, _ in series[key]]
                ax.plot(steps, smoothed([v for _, v in series[key]], smooth), label=label, linewidth=1.4)
        ax.set_title(PANELS[key], fontsize=10)
        ax.set_xlabel("step", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(keys) :]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8)
    fig.tight_layout()
    try:
        save(fig, output)
    finally:
        plt.close(fig)


def save(fig, output: str) -> None:
    """Write the figure to `output` by the rule of every rlvr output (rlvrkit.jsonl.output_target): a regular file
    or a new one appears whole (written beside it, then renamed), through a symlink its target does, a device is
    written in place. A failure to write is a `Failure` naming `output`."""
    target, atomic = output_target(output)
    fmt = Path(output).suffix.lower()[1:]
    path = Path(target)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}") if atomic else path
    try:
        fig.savefig(tmp, format=fmt)
        if atomic:
            os.replace(tmp, path)
    except OSError as err:
        raise Failure(f"cannot write {output}: {err.strerror or err}") from None
    finally:
        if atomic:
            tmp.unlink(missing_ok=True)
