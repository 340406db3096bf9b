"""The ECharts options of the progress dashboards, built here as plain dicts (the page writes them as JSON for
static/thidua/charts.js), each with the table that is its text alternative.

Every chart reads in black and white: lines differ by their dash and width, bars carry a pattern (ECharts' decal),
so that no meaning rests on a colour. Numbers are formatted by charts.js (`data-format`): 1.234, 87,5%.
"""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from thidua.lib import vn
from thidua.monitoring.progress import Curve, MachineSeries, straight_line, weekly

from .lastuse import LastUse

INK, BLUE, RED, GREY = "#1d2733", "#0b5cad", "#8b1a1a", "#5b6775"
# Line styles that stay apart when printed in grey: intake solid and thick, the even pace dashed, the quota dotted,
# the forecast long-dashed, its band short-dotted and thin.
CUMULATIVE = {"type": "solid", "width": 3, "color": BLUE}
EVEN_PACE = {"type": "dashed", "width": 2, "color": INK}
QUOTA = {"type": "dotted", "width": 2, "color": INK}
FORECAST = {"type": [10, 4], "width": 2, "color": RED}
BAND = {"type": [2, 3], "width": 1.5, "color": RED}
# ECharts' accessibility module: its patterns on bars; its own description is left out, the table is the text.
ARIA = {"enabled": True, "label": {"enabled": False}, "decal": {"show": True}}


@dataclass(frozen=True)
class Cell:
    """A cell of a chart's table: its text, a link when it leads down a level, right-aligned when a number."""

    text: str
    url: str = ""
    num: bool = False
    wide: bool = False  # left out on a phone (the row stays readable without it), printed
    links: tuple[tuple[str, str], ...] = ()  # (text, address) of several links in one cell


@dataclass(frozen=True)
class Chart:
    """A chart as the page shows it: the element's id, its title (a link down a level), the ECharts options, the
    number format of its values, and its data as a table."""

    id: str
    title: str
    option: dict
    format: str
    headers: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]
    url: str = ""
    note: str = ""

    @property
    def table(self) -> str:
        return table_html(self.headers, self.rows, self.title)


@dataclass(frozen=True)
class Projection:
    """The forecast drawn on a cumulative chart: from (E, intake) at the current pace to the quota, and its band."""

    as_of: dt.date
    intake: int
    quota: int
    projected_on: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None


def projection_note(p: Projection) -> str:
    """Return the forecast's band as a sentence (the forecast's own reason says the projected date)."""
    if p.intake >= p.quota or not (p.earliest or p.latest):
        return ""
    return _("Khoảng dự báo: từ %(a)s đến %(b)s.") % {
        "a": vn.date(p.earliest) if p.earliest else "—",
        "b": vn.date(p.latest) if p.latest else _("hơn một năm sau hạn")}


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _number(value: Fraction | int) -> float | int:
    """Return an exact value as JSON can carry it: an integer as it is, a fraction as a float."""
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else float(value)


def _rounded(value: Fraction | int) -> int:
    """Return a value rounded half up to a whole application (a target, a point of the even pace)."""
    return int(vn.rounded(value, 0))


def _time_axes(start: dt.date, end: dt.date, y_name: str, y_max=None) -> dict:
    """Return a time x axis from `start` to `end` (dates as dd/mm) and a value y axis named `y_name`."""
    y_axis = {"type": "value", "name": y_name, "min": 0, "nameTextStyle": {"align": "left"}}
    if y_max is not None:
        y_axis["max"] = y_max
    return {
        "xAxis": {"type": "time", "min": _iso(start), "max": _iso(end), "name": _("Ngày"),
                  "nameLocation": "middle", "nameGap": 28,
                  "axisLabel": {"formatter": "{dd}/{MM}", "hideOverlap": True}},
        "yAxis": y_axis,
    }


def _line(name: str, data: list, style: dict, symbol: str = "none") -> dict:
    return {"type": "line", "name": name, "data": data, "symbol": symbol, "symbolSize": 7, "lineStyle": style,
            "itemStyle": {"color": style["color"]}, "emphasis": {"disabled": True}}


def _frame(legend: bool) -> dict:
    return {"aria": ARIA, "animation": False, "tooltip": {"trigger": "axis"},
            "grid": {"left": 8, "right": 20, "top": 36, "bottom": 76 if legend else 36, "containLabel": True},
            "legend": {"show": legend, "bottom": 0, "itemWidth": 34, "textStyle": {"color": INK}}}


def cumulative_option(curve: Curve, start: dt.date, deadline: dt.date,
                      projection: Projection | None = None) -> dict:
    """Return a unit's cumulative intake (applications) with its quota, the straight line from 0 at the start to
    the quota at the deadline and, when given, the forecast from the date looked at and its band."""
    end = deadline
    if projection is not None:
        end = max([deadline, *(d for d in (projection.projected_on, projection.latest) if d is not None)])
    option = _frame(legend=True) | _time_axes(start, end, _("Hồ sơ (lũy kế)"))
    option["series"] = [
        _line(_("Lũy kế thu nhận"), [[_iso(d.day), d.cumulative] for d in curve.days], CUMULATIVE),
        _line(_("Tiến độ đều đến hạn"), [[_iso(start), 0], [_iso(deadline), curve.quota]], EVEN_PACE, "triangle"),
        _line(_("Chỉ tiêu"), [[_iso(start), curve.quota], [_iso(end), curve.quota]], QUOTA),
    ]
    if projection is not None:
        option["series"] += _projection_series(projection)
    return option


def _projection_series(p: Projection) -> list[dict]:
    """Return the forecast's lines: to the quota at the projected date, and the band's earliest and latest."""
    origin = [_iso(p.as_of), p.intake]
    series = []
    if p.projected_on is not None and p.intake < p.quota:
        series.append(_line(_("Dự báo theo tốc độ hiện tại"), [origin, [_iso(p.projected_on), p.quota]], FORECAST,
                            "diamond"))
    if p.intake < p.quota:
        for name, day in ((_("Dự báo sớm nhất"), p.earliest), (_("Dự báo muộn nhất"), p.latest)):
            if day is not None:
                series.append(_line(name, [origin, [_iso(day), p.quota]], BAND, "emptyCircle"))
    return series


def attainment_option(curve: Curve, start: dt.date, deadline: dt.date, y_max: float) -> dict:
    """Return a unit's cumulative intake as a share of its quota (so that units compare on the same axis), with
    the straight line from 0 at the start to 100% at the deadline and the 100% line; no legend (the page's key)."""
    option = _frame(legend=False) | _time_axes(start, deadline, _("Tỷ lệ chỉ tiêu"), y_max)
    quota = curve.quota or 1
    option["series"] = [
        _line(_("Lũy kế thu nhận"), [[_iso(d.day), _number(Fraction(d.cumulative, quota))] for d in curve.days],
              CUMULATIVE),
        _line(_("Tiến độ đều đến hạn"), [[_iso(start), 0], [_iso(deadline), 1]], EVEN_PACE, "triangle"),
        _line(_("Chỉ tiêu"), [[_iso(start), 1], [_iso(deadline), 1]], QUOTA),
    ]
    return option


def shared_max(curves: list[Curve]) -> float:
    """Return the top of the y axis shared by small multiples: 100% or the best attainment, up to a quarter."""
    best = max((c.attainment for c in curves if c.attainment is not None), default=Fraction(1))
    quarters = -(-max(best, Fraction(1)) * 4 // 1)
    return quarters / 4


def machine_option(series: MachineSeries) -> dict:
    """Return a machine's applications day by day (bars, patterned) against its daily target (a dashed step)."""
    option = _frame(legend=True)
    option["xAxis"] = {"type": "category", "name": _("Ngày"), "nameLocation": "middle", "nameGap": 28,
                       "data": [f"{d.day:%d/%m}" for d in series.days], "axisLabel": {"hideOverlap": True}}
    option["yAxis"] = {"type": "value", "name": _("Hồ sơ trong ngày"), "min": 0, "nameTextStyle": {"align": "left"}}
    option["series"] = [
        {"type": "bar", "name": _("Hồ sơ trong ngày"), "data": [d.applications for d in series.days],
         "itemStyle": {"color": BLUE}, "emphasis": {"disabled": True}},
        _line(_("Chỉ tiêu ngày"), [_rounded(d.target) for d in series.days], EVEN_PACE) | {"step": "middle"},
    ]
    return option


# --- the tables beside the charts ------------------------------------------------------------------------------

def cumulative_table(curve: Curve, start: dt.date, deadline: dt.date, as_of: dt.date
                     ) -> tuple[tuple[Cell, ...], tuple[tuple[Cell, ...], ...]]:
    """Return the table of a cumulative chart: a row a week up to the date looked at, the intake against the even
    pace and the quota."""
    headers = (Cell(_("Ngày")), Cell(_("Lũy kế"), num=True), Cell(_("Tiến độ đều"), num=True),
               Cell(_("Chênh lệch"), num=True, wide=True), Cell(_("Tỷ lệ chỉ tiêu"), num=True))
    rows = []
    for d in weekly(curve.days, as_of):
        pace = _rounded(straight_line(curve.quota, d.day, start, deadline))
        share = vn.ratio(Fraction(d.cumulative, curve.quota)) if curve.quota else "—"
        rows.append((Cell(vn.date(d.day)), Cell(vn.number(d.cumulative), num=True), Cell(vn.number(pace), num=True),
                     Cell(vn.number(d.cumulative - pace), num=True, wide=True), Cell(share, num=True)))
    return headers, tuple(rows)


def machine_table(series: MachineSeries, commune_url=None) -> tuple[tuple[Cell, ...], tuple[tuple[Cell, ...], ...]]:
    """Return the table of a machine's chart: a row a day, its applications, target and the difference; with the
    communes it worked in (each a link to its coverage) when `commune_url` is given."""
    headers = (Cell(_("Ngày")), Cell(_("Hồ sơ trong ngày"), num=True), Cell(_("Chỉ tiêu ngày"), num=True),
               Cell(_("Chênh lệch"), num=True, wide=True))
    if commune_url is not None:
        headers += (Cell(_("Xã, phường, thị trấn")),)
    rows = []
    for d in series.days:
        target = _rounded(d.target)
        row = (Cell(vn.date(d.day)), Cell(vn.number(d.applications), num=True), Cell(vn.number(target), num=True),
               Cell(vn.number(d.applications - target), num=True, wide=True))
        if commune_url is not None:
            row += (Cell("—" if not d.communes else "", links=tuple(
                (f"{name} ({vn.number(n)})", commune_url(code)) for code, name, n in d.communes)),)
        rows.append(row)
    return headers, tuple(rows)


def summary_table(curves: list[Curve], start: dt.date, deadline: dt.date, as_of: dt.date, url,
                  projected: dict[str, dt.date | None]) -> tuple[tuple[Cell, ...], tuple[tuple[Cell, ...], ...]]:
    """Return the table above small multiples: each unit's quota, intake, attainment, where the even pace stands on
    the date looked at (the same share for every unit), the day it reached its quota or the day it is forecast to,
    each unit leading down a level."""
    headers = (Cell(_("Đơn vị")), Cell(_("Chỉ tiêu"), num=True, wide=True), Cell(_("Lũy kế"), num=True, wide=True),
               Cell(_("Tỷ lệ chỉ tiêu"), num=True), Cell(_("Tiến độ đều"), num=True, wide=True),
               Cell(_("Đạt chỉ tiêu ngày")))
    even = vn.ratio(straight_line(1, as_of, start, deadline))

    def reached(c: Curve) -> str:
        if c.completed_on:
            return vn.date(c.completed_on)
        on = projected.get(c.code)
        return _("dự báo %(on)s") % {"on": vn.date(on)} if on else "—"

    return headers, tuple(
        (Cell(c.name, url(c.code)), Cell(vn.number(c.quota), num=True, wide=True),
         Cell(vn.number(c.intake), num=True, wide=True), Cell(vn.ratio(c.attainment), num=True),
         Cell(even, num=True, wide=True), Cell(reached(c)))
        for c in curves)


ROW_HEADER = mark_safe(' scope="row"')  # nosec B308 # a constant


def _cell_html(cell: Cell, tag: str) -> str:
    classes = " ".join(c for c, on in (("num", cell.num), ("wide", cell.wide)) if on)
    attrs = ROW_HEADER if tag == "th" else format_html(' class="{}"', classes) if classes else ""
    text = format_html('<a href="{}">{}</a>', cell.url, cell.text) if cell.url else escape(cell.text)
    links = format_html_join(", ", '<a href="{}">{}</a>', ((url, label) for label, url in cell.links))
    return format_html("<{}{}>{}{}</{}>", tag, attrs, text, links, tag)


# The rows of the tables drawn lately, each table's from its last drawing only (`thidua.web.lastuse`): after an act a
# national dashboard's hundreds of rows are mostly those of before.
_ROWS = LastUse(max_entries=20_000)


def _row_html(row: tuple[Cell, ...]) -> str:
    """Return a table's row, its first cell heading it."""
    return "<tr>" + "".join(_cell_html(c, "th" if i == 0 else "td") for i, c in enumerate(row)) + "</tr>"


def _rows_html(table: tuple, rows: tuple[tuple[Cell, ...], ...]) -> str:
    """Return a table's rows, kept by their cells (frozen values) from the table's last drawing, as the standings'
    rows are (templatetags/rows.py)."""
    before, now = _ROWS.before(table), {}
    for row in rows:
        html = before.get(row)
        now[row] = html if html is not None else _row_html(row)
    _ROWS.keep(table, now)
    return "".join(now[row] for row in rows)


def table_html(headers: tuple[Cell, ...], rows: tuple[tuple[Cell, ...], ...], caption: str) -> str:
    """Return a chart's table as HTML, its first column heading each row: written here rather than by a template
    loop, a page of a dozen charts renders several times faster."""
    head = "".join(format_html('<th scope="col"{}>{}</th>', format_html(' class="{}"', " ".join(
        c for c, on in (("num", h.num), ("wide", h.wide)) if on)) if (h.num or h.wide) else "", h.text)
        for h in headers)
    body = _rows_html((caption, headers, len(rows)), rows)
    return format_html('<div class="table-wrap"><table class="chart-table"><caption class="visually-hidden">{}'
                       '</caption><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>',
                       caption, mark_safe(head), mark_safe(body))  # nosec B308 B703 # built by format_html above
