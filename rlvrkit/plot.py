"""Training curves from `rlvr train`'s metrics lines: a figure (png, svg or pdf), or sparklines for a terminal.

Each metrics file is one run. Every panel is one metric against the optimizer step, one line per run: reward,
response length (the curve the LUSPO paper argues with: GSPO's responses shrink, LUSPO's do not), clip fraction, KL,
entropy and staleness, each drawn when some run has it. `smooth` W > 1 draws the trailing mean of the last W points.
matplotlib is imported here only, and only when a figure is drawn.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from rlvrkit.errors import BadInput, InvalidRecord
from rlvrkit.jsonl import check_output, read_all

PANELS = {
    "reward_mean": "reward",
    "len_mean": "response length (tokens)",
    "clip_frac": "clip fraction",
    "kl": "KL to the reference",
    "entropy": "entropy",
    "staleness": "staleness (versions)",
}
FORMATS = (".png", ".svg", ".pdf")
BARS = "▁▂▃▄▅▆▇█"


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


def read_run(path: str) -> dict[str, list[tuple[int, float]]]:
    """(step, value) series of every known metric of one metrics file; a line without a step is bad input."""
    series: dict[str, list[tuple[int, float]]] = {}
    for rec in read_all(path, check=check_step):
        for key in PANELS:
            value = rec.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                series.setdefault(key, []).append((rec["step"], float(value)))
    return series


def smoothed(values: list[float], window: int) -> list[float]:
    """The trailing mean of the last `window` values at each point (the first points average what there is)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def sparkline(values: list[float], width: int = 40) -> str:
    """The values as block characters, at most `width` of them (each the mean of its share of the points)."""
    if len(values) > width:
        edges = [round(i * len(values) / width) for i in range(width + 1)]
        values = [sum(values[a:b]) / (b - a) for a, b in zip(edges, edges[1:])]
    low, high = min(values), max(values)
    scale = (len(BARS) - 1) / (high - low) if high > low else 0.0
    return "".join(BARS[round((v - low) * scale)] for v in values)


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
    labels = opts.label or tuple(Path(f).stem for f in files)
    runs = {label: read_run(path) for label, path in zip(labels, files)}
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
    for key in [k for k in PANELS if any(k in series for series in runs.values())]:
        lines.append(PANELS[key])
        for label, series in runs.items():
            if key in series:
                values = smoothed([v for _, v in series[key]], smooth)
                span = f"{values[0]:.4g} → {values[-1]:.4g}  [{min(values):.4g}, {max(values):.4g}]"
                lines.append(f"  {label:<{width}}  {sparkline(values)}  {span}")
    return "\n".join(lines)


def draw(runs: dict[str, dict], output: str, smooth: int) -> None:
    """One panel per metric some run has, one line per run, saved to `output` (its suffix picks the format)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in PANELS if any(k in series for series in runs.values())]
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
    target = Path(output)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}{target.suffix}")
    try:
        fig.savefig(tmp)
        os.replace(tmp, target)  # the picture appears whole or not at all
    finally:
        tmp.unlink(missing_ok=True)
        plt.close(fig)
