"""rlvr plot: training curves from rlvr train's metrics lines, as a picture or as sparklines."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rlvrkit.commands._common import READ, WRITTEN, guard, options

from rlvrkit.log import Log
from rlvrkit.plot import PlotOptions, run_plot

log = Log("plot")
D = PlotOptions()


@guard(log)
def plot(
    ctx: typer.Context,
    *,
    files: Annotated[
        list[str], typer.Argument(metavar="METRICS.jsonl...", help="rlvr train's output, one file a run."), READ
    ],
    output: Annotated[
        Optional[str],
        typer.Option("--output", "-o", metavar="FILE", help="The picture: .png, .svg or .pdf, by its suffix."),
        WRITTEN,
    ] = None,
    label: Annotated[
        Optional[list[str]],
        typer.Option("--label", metavar="NAME", help="A name for each run, in file order [default: the file names]."),
    ] = None,
    smooth: Annotated[
        int, typer.Option("--smooth", min=1, metavar="W", help="Draw the trailing mean of the last W points.")
    ] = D.smooth,
    ascii: Annotated[
        bool, typer.Option("--ascii", help="Sparklines of every curve on stdout instead of a picture.")
    ] = D.ascii,
):
    """Draw training curves: reward, length, entropy, mismatch, staleness, truncation.

    Each metrics file (rlvr train writes one line per optimizer step) is one run and one
    line in every panel, against the step; a panel is drawn for each of these metrics
    some run has, and for clip fraction and KL when some run's are not zero. The length
    panel is the one the LUSPO paper argues with: train the same task with --loss grpo,
    gspo and luspo and plot the three runs. Runs are named by --label, else by their
    file names (with their folders when two share a name).

    Examples:

    \b
      rlvr plot metrics.jsonl -o curves.png
      rlvr plot grpo.jsonl gspo.jsonl luspo.jsonl --smooth 5 -o lengths.svg
      rlvr plot run1.jsonl run2.jsonl --label base --label composed --ascii
    """
    run_plot(tuple(files), output, options(PlotOptions, ctx, label=tuple(label or ())), log)
