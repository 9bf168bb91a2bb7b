"""The series' figure style: one look for every post's matplotlib figures.

The blog shows a figure as a plain ``<img>`` in a 736 px content column, on the chalkboard
skin's light or dark page. So a figure is at most a column wide and its smallest text is
9 pt: at its natural size 9 pt is 12 px, and scaled to the column (a tight bounding box adds
at most 0.1 in each side) it is at least 9 * 736 / 566 = 11.7 px. Text stays text in the SVG
(the engine writes ``svg.fonttype = "none"``) with a DejaVu Sans first font stack, the font
matplotlib lays out with. The background is transparent, text and axes are a mid grey that
keeps a contrast of at least 3:1 on white and on near-black, and lines cycle through the
Okabe-Ito colour-blind-safe palette (without its black and yellow, lost on one page or the
other).

A post calls :func:`use` once, then makes each figure with :func:`figure`::

    from scratchbook import style
    style.use()
    fig = style.figure(height=3.2)                      # a column wide
    axes = fig.subplots(1, 3, sharey=True)              # compared panels share axes

The style is the process's matplotlib rcParams; every post is built in a process of its own,
so it reaches no other post. This module belongs to the blog, not to the engine (which
renders any figure, styled or not) nor to the lab (which knows nothing of pages).
"""

from __future__ import annotations

COLUMN_PX = 736                       # the blog's content column, CSS px
COLUMN_IN = COLUMN_PX / 96            # a column-wide figure, inches (96 CSS px per inch)
MIN_TEXT_PX = 11                      # the smallest text a reader sees, at column width
SMALL_PT = 9                          # the smallest text in a figure: ticks, legends, notes

INK = "#8a8a8a"                       # text and axes: 3.4:1 on white, 6.1:1 on black
FAINT = "#8a8a8a80"                   # grid and reference lines

# Okabe & Ito (2008), "Color Universal Design", without black and yellow.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"                     # bluish green: tells apart from VERMILLION for all
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"                    # reddish purple
SKY = "#56B4E9"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY)

ON_IMAGE = "on-image"                 # gid of text drawn on an image (a heat map's cells):
                                      # its colour is chosen against the cell, not the page

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": SMALL_PT,
    "ytick.labelsize": SMALL_PT,
    "legend.fontsize": SMALL_PT,
    "legend.title_fontsize": SMALL_PT,
    "figure.titlesize": 11,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": INK,
    "axes.titlecolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "grid.color": FAINT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": None,          # set in use(): cycler is imported lazily
    "figure.facecolor": "none",
    "axes.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "lines.markersize": 4,
    "image.cmap": "viridis",
    "figure.figsize": (COLUMN_IN, 3.2),
    "figure.constrained_layout.use": True,
}


def use() -> None:
    """Make every figure drawn from now on in this process look like the series."""
    import matplotlib
    from cycler import cycler

    matplotlib.rcParams.update({**RC, "axes.prop_cycle": cycler(color=PALETTE)})


def figure(height: float, width: float = COLUMN_IN):
    """A new figure in the series' style: a column wide (or ``width`` inches, no wider than a
    column) and ``height`` inches high, with constrained layout."""
    from matplotlib.figure import Figure

    if width > COLUMN_IN + 1e-9:
        raise ValueError(f"style.figure(): width {width:.2f} in is wider than the blog's column "
                         f"({COLUMN_IN:.2f} in); its text would shrink below {MIN_TEXT_PX} px")
    use()
    return Figure(figsize=(width, height), layout="constrained")


def plain_log_labels(axis) -> None:
    """Label a log-scaled ``axis`` (``ax.xaxis``/``ax.yaxis``) 0.2, 1, 10 rather than with
    matplotlib's 10^x: mathtext superscripts are drawn at 70% of the size, below the minimum.
    Minor ticks are labelled at 2 and 5 times a power of ten."""
    import math

    from matplotlib.ticker import FuncFormatter

    def minor(value, _):
        lead = round(value / 10 ** math.floor(math.log10(value))) if value > 0 else 0
        return f"{value:g}" if lead in (2, 5) else ""

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))
