"""The report's chart: the intake of each district-level competitor summed day by day, drawn to print in black and
white (each line its own dash and marker), the same bytes for the same data."""

import datetime as dt
import io

import matplotlib
from matplotlib import dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from thidua.lib import vn

STYLES = [("-", "o"), ("--", "s"), ("-.", "^"), (":", "D"), ("-", "v"), ("--", "x"), ("-.", "*"), (":", "P"),
          ("-", "h"), ("--", "+")]
GREYS = ["#000000", "#555555", "#222222", "#777777", "#333333", "#666666", "#111111", "#444444", "#888888",
         "#000000"]


def cumulative_chart(days: list[dt.date], series: list[tuple[str, list[int]]], deadline: dt.date) -> bytes:
    """Return a PNG of the cumulative intake of each named series over `days`, with the deadline marked."""
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "thidua",
                         "axes.spines.top": False, "axes.spines.right": False}):
        # A figure of its own on the Agg canvas: no pyplot, no global state shared between requests.
        figure = Figure(figsize=(6.3, 4.6), dpi=150)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        every = max(1, len(days) // 12)
        for i, (name, values) in enumerate(series):
            line, marker = STYLES[i % len(STYLES)]
            axes.plot(days, values, linestyle=line, marker=marker, markevery=every, markersize=4, linewidth=1.2,
                      color=GREYS[i % len(GREYS)], label=name)
        axes.axvline(deadline, color="#000000", linewidth=0.8, linestyle=(0, (1, 3)))
        axes.annotate("Hạn cuối", xy=(deadline, 0), xytext=(-4, 4), textcoords="offset points", ha="right",
                      fontsize=8)
        axes.set_title("Hồ sơ thu nhận lũy kế theo đơn vị cấp huyện")
        axes.set_ylabel("Số hồ sơ (lũy kế)")
        axes.set_xlabel("Ngày")
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: vn.number(int(value))))
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))
        axes.grid(axis="y", color="#cccccc", linewidth=0.5)
        # Below the plot, where it hides no line.
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=7, frameon=False,
                    ncol=2 if len(series) > 3 else len(series) or 1)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
