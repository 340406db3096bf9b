"""Pages of coverage and machine use: each commune's eligible residents against the intake in it (a table and a map
drawn from the communes' coordinates, no tiles), each machine's days worked of its days held, and the teams that
have not sent today's report. Scoped like the unit pages; every chart has its table beside it and its workbook."""

import datetime as dt
import io
import math
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from thidua.campaigns import clock
from thidua.intake.selectors import teams_without_report
from thidua.lib import vn
from thidua.monitoring.coverage import (
    CommuneCoverage,
    MachineUse,
    commune_coverage,
    commune_days,
    communes_in_scope,
    machine_use,
)
from thidua.monitoring.coverage_export import coverage_xlsx as coverage_xlsx_write
from thidua.monitoring.coverage_export import machine_use_xlsx as machine_use_xlsx_write
from thidua.units.models import Unit
from thidua.units.selectors import subtree_ids

from .views import XLSX, _as_of, _campaign_and_scope

# The longest unit code (units.Unit.code) or GSO code a parameter may name; anything longer names nothing.
CODE_MAX = 40
# Coverage bands of the map: (upper bound, excluded; None: none), label, symbol. The symbol tells the band apart
# where colour does not (printed in black and white, colour-blind readers); the colour scale says the same.
STAR = ("path://M50 0 L61 35 L98 35 L68 57 L79 91 L50 70 L21 91 L32 57 L2 35 L39 35 Z")
BANDS = ((Fraction(1, 4), gettext_lazy("Dưới 25%"), "triangle", "▲"),
         (Fraction(1, 2), gettext_lazy("25% đến dưới 50%"), "diamond", "◆"),
         (Fraction(3, 4), gettext_lazy("50% đến dưới 75%"), "rect", "■"),
         (Fraction(1), gettext_lazy("75% đến dưới 100%"), "circle", "●"),
         (None, gettext_lazy("Từ 100% trở lên"), STAR, "★"))
NO_RESIDENTS = (gettext_lazy("Chưa có số người trong độ tuổi"), "emptyCircle", "○")
# Dark (little covered) to light (covered): the order of lightness survives printing in grey.
PALETTE = ["#2d1160", "#721f81", "#b73779", "#f1605d", "#feb078"]
# The legend's symbols show the bands' shapes in one neutral ink; the points take their colour from the scale.
LEGEND_INK = "#5b6775"
# The map's plotting area as shares of its box (app.css gives `.coverage-map` the width:height 3:4 that makes this
# area square, so that a degree of latitude and one of longitude, corrected by the cosine, are drawn alike).
MAP_GRID = {"left": "3%", "right": "3%", "top": "16%", "bottom": "13.5%"}
BAR_WINDOW = 15  # machines shown at once on the bar chart; a slider moves along the rest
SORTS = {
    "do_phu": None,  # the selector's order: the worst covered first
    "xa": lambda r: (vn.text_key(r.name), r.code),
    "huyen": lambda r: (vn.text_key(r.district), vn.text_key(r.name), r.code),
    "dan_so": lambda r: (-(r.eligible or 0), r.code),
}


@dataclass
class Scoped:
    """What a coverage page shows: the campaign, the date, the unit it is narrowed to (None: the user's whole
    scope), the units in scope to choose from and the unit ids whose data is counted (None: every unit)."""

    campaign: object
    scope: object
    as_of: dt.date
    error: str | None
    unit: Unit | None
    units: list[Unit]
    unit_ids: frozenset[int] | set[int] | None

    @property
    def scope_name(self) -> str:
        """Return the name of what the page covers: the unit chosen, the user's own unit, or the province."""
        if self.unit is not None:
            return self.unit.name
        if self.scope.whole_campaign:
            return _("Toàn tỉnh")
        ids = {u.id for u in self.units}
        return ", ".join(u.name for u in self.units if u.parent_id not in ids)

    def query(self, **more) -> str:
        """Return the date and unit chosen (and `more`) as a query string, for links that keep them."""
        pairs = {"ngay": self.as_of.isoformat(), "don_vi": self.unit.code if self.unit else "", **more}
        return urlencode({k: v for k, v in pairs.items() if v})


def _code(request, name: str) -> str:
    """Return a code asked for in the query string; one longer than any code names nothing (not found)."""
    raw = request.GET.get(name, "").strip()
    if len(raw) > CODE_MAX:
        raise Http404("Không có mã này.")
    return raw


def _scoped(request, code) -> Scoped:
    """Read the campaign, the date (?ngay=) and the unit (?don_vi=, one in the user's scope) of a coverage page."""
    campaign, scope = _campaign_and_scope(request, code)
    as_of, error = _as_of(request, campaign)
    units = Unit.objects.filter(campaign=campaign)
    if not scope.whole_campaign:
        units = units.filter(id__in=scope.unit_ids)
    units = list(units.order_by("code"))
    wanted = _code(request, "don_vi")
    unit, unit_ids = None, scope.unit_ids
    if wanted:
        unit = next((u for u in units if u.code == wanted), None)
        if unit is None:
            raise Http404("Không có đơn vị này trong phạm vi của bạn.")
        unit_ids = subtree_ids(campaign, unit.id)
    return Scoped(campaign, scope, as_of, error, unit, units, unit_ids)


def _moment(as_of: dt.date) -> dt.datetime:
    """Return the moment a workbook is stamped with: the end of the day it covers, so that the same data gives the
    same bytes."""
    return dt.datetime.combine(as_of, dt.time(23, 59))


# --- the map --------------------------------------------------------------------------------------------------

def _band(row: CommuneCoverage) -> int:
    """Return the index of the commune's coverage band (that of NO_RESIDENTS, len(BANDS), without residents)."""
    coverage = row.coverage
    if coverage is None:
        return len(BANDS)
    return next(i for i, (upper, *_shown) in enumerate(BANDS) if upper is None or coverage < upper)


def _glyph(row: CommuneCoverage) -> str:
    """Return the character that stands in the table for the commune's symbol on the map."""
    return (*(b[3] for b in BANDS), NO_RESIDENTS[2])[_band(row)]


def _point(row: CommuneCoverage, largest: int) -> dict:
    """Return a commune's point: at its longitude and latitude, sized by its eligible residents, named with what
    the tooltip says of it (the colour reads its coverage, capped at 100%)."""
    lat, lon = row.place
    size = 7 + 17 * math.sqrt((row.eligible or 0) / largest) if largest else 10
    coverage = row.coverage
    said = (_("%(name)s (%(district)s): độ phủ %(coverage)s — %(intake)s / %(eligible)s người") % {
        "name": row.name, "district": row.district, "coverage": vn.ratio(coverage), "intake": vn.number(row.intake),
        "eligible": vn.number(row.eligible)}) if coverage is not None else (
        _("%(name)s (%(district)s): chưa có số người trong độ tuổi; %(intake)s hồ sơ") % {
            "name": row.name, "district": row.district, "intake": vn.number(row.intake)})
    shown = float(min(coverage, 1)) if coverage is not None else None
    return {"name": said, "value": [lon, lat, shown, row.eligible or 0], "symbolSize": round(size, 1)}


def _extent(places: list[tuple[float, float]]) -> dict:
    """Return the axes' bounds that fit the points into a square plotting area at one scale: a degree of longitude
    drawn cos(latitude) as long as one of latitude, the shorter side widened about the centre."""
    lats, lons = [p[0] for p in places], [p[1] for p in places]
    middle_lat, middle_lon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    shrink = math.cos(math.radians(middle_lat))
    span = max(max(lats) - min(lats), (max(lons) - min(lons)) * shrink, 0.02) * 1.12
    return {"x": (middle_lon - span / shrink / 2, middle_lon + span / shrink / 2),
            "y": (middle_lat - span / 2, middle_lat + span / 2)}


def map_option(rows: list[CommuneCoverage]) -> dict | None:
    """Return the ECharts option of the coverage map (None when no commune can be placed): a scatter on a
    longitude/latitude grid at one scale, a series per coverage band (its own symbol), coloured by coverage."""
    placed = [r for r in rows if r.place is not None]
    if not placed:
        return None
    largest = max((r.eligible or 0 for r in placed), default=0)
    points: list[list[dict]] = [[] for _ in range(len(BANDS) + 1)]
    for r in placed:
        points[_band(r)].append(_point(r, largest))
    series = [{"name": str(label), "type": "scatter", "symbol": symbol, "data": points[i],
               "itemStyle": {"color": LEGEND_INK, "borderColor": "#1d2733", "borderWidth": 1, "opacity": 0.92}}
              for i, (_upper, label, symbol, _glyph) in enumerate(BANDS)]
    series.append({"name": str(NO_RESIDENTS[0]), "type": "scatter", "symbol": NO_RESIDENTS[1],
                   "data": points[len(BANDS)], "itemStyle": {"color": LEGEND_INK}})
    bounds = _extent([r.place for r in placed])
    hidden = {"show": False}
    return {
        "animation": False,
        "grid": MAP_GRID,
        "xAxis": {"type": "value", "min": bounds["x"][0], "max": bounds["x"][1], **{k: hidden for k in (
            "axisLine", "axisTick", "axisLabel", "splitLine")}},
        "yAxis": {"type": "value", "min": bounds["y"][0], "max": bounds["y"][1], **{k: hidden for k in (
            "axisLine", "axisTick", "axisLabel", "splitLine")}},
        "legend": {"top": 0, "left": "center", "itemWidth": 14, "itemHeight": 14, "textStyle": {"fontSize": 11}},
        "tooltip": {"trigger": "item", "formatter": "{b}", "confine": True},
        "visualMap": {"type": "continuous", "min": 0, "max": 1, "dimension": 2,
                      "seriesIndex": list(range(len(BANDS))), "inRange": {"color": PALETTE},
                      "orient": "horizontal", "left": "center", "bottom": 0, "itemHeight": 140, "itemWidth": 12,
                      "text": ["100%", "0%"], "calculable": False},
        "series": series,
    }


# --- the bars of machine use ----------------------------------------------------------------------------------

def bars_option(rows: list[MachineUse]) -> dict | None:
    """Return the ECharts option of machine use (None without a machine): per machine, its days held and, over
    them, its days worked; light and dark bars, so that they read in grey too."""
    if not rows:
        return None
    machines = [r.machine for r in rows]
    labels = [f"{r.machine} · {r.team_code}" if machines.count(r.machine) > 1 else r.machine for r in rows]
    option = {
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}, "confine": True},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 36, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "inverse": True, "data": labels},
        "series": [
            {"name": _("Ngày được giao"), "type": "bar", "data": [r.held for r in rows], "barGap": "-100%",
             "barMaxWidth": 28,
             "itemStyle": {"color": "#dde3ea", "borderColor": "#4a5663", "borderWidth": 1}},
            {"name": _("Ngày có thu nhận"), "type": "bar", "data": [r.worked for r in rows], "barWidth": "55%",
             "barMaxWidth": 20,
             "itemStyle": {"color": "#1f4e79"}}],
    }
    if len(rows) > BAR_WINDOW:
        option["dataZoom"] = [{"type": "slider", "yAxisIndex": 0, "startValue": 0, "endValue": BAR_WINDOW - 1,
                               "right": 4, "width": 18, "zoomLock": True, "brushSelect": False},
                              {"type": "inside", "yAxisIndex": 0, "zoomLock": True}]
    return option


# --- pages ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Listed:
    """A line of the coverage table, its figures written out once here (a province's communes are many lines for
    the template to format): the commune, the query of its own page, the glyph of its band."""

    row: CommuneCoverage
    link: str
    glyph: str
    eligible: str
    intake: str
    coverage: str


def _listed(row: CommuneCoverage, page: "Scoped") -> Listed:
    return Listed(row, page.query(xa=row.code), _glyph(row), vn.number(row.eligible) or "—", vn.number(row.intake),
                  vn.ratio(row.coverage) or "—")


def _sorted(rows: list[CommuneCoverage], key: str) -> list[CommuneCoverage]:
    order = SORTS.get(key)
    return sorted(rows, key=order) if order else rows


@login_required
def coverage(request, code):
    """Show the coverage of every commune in scope as of a date, worst first, as a table and a map; or, with
    ?xa=GSO_CODE, one commune's figures and the machines and teams that worked in it day by day."""
    page = _scoped(request, code)
    communes = communes_in_scope(page.campaign, page.unit_ids)
    rows = commune_coverage(page.campaign, communes, page.as_of)
    wanted = _code(request, "xa")
    context = {"campaign": page.campaign, "page": page, "as_of": page.as_of, "error": page.error}
    if wanted:
        row = next((r for r in rows if r.code == wanted), None)
        if row is None:
            raise Http404("Không có xã này trong phạm vi của bạn.")
        return render(request, "web/coverage_commune.html",
                      {**context, "row": row, "days": commune_days(page.campaign, row.id, page.as_of)})
    key = request.GET.get("sap_xep", "")
    key = key if key in SORTS else "do_phu"
    eligible, intake = sum(r.eligible or 0 for r in rows if r.eligible), sum(r.intake for r in rows if r.eligible)
    return render(request, "web/coverage.html", {
        **context, "sort": key, "sorts": {k: page.query(sap_xep=k) for k in SORTS},
        "rows": [_listed(r, page) for r in _sorted(rows, key)],
        "map": map_option(rows), "unplaced": sum(r.place is None for r in rows), "eligible": eligible,
        "intake": sum(r.intake for r in rows), "coverage": Fraction(intake, eligible) if eligible else None,
        "bands": [(label, glyph) for _u, label, _s, glyph in (*BANDS, (None, *NO_RESIDENTS))]})


@login_required
def coverage_xlsx(request, code):
    """Download the communes' coverage in scope as of a date (the map's data) as a workbook."""
    page = _scoped(request, code)
    rows = commune_coverage(page.campaign, communes_in_scope(page.campaign, page.unit_ids), page.as_of)
    buffer = io.BytesIO()
    coverage_xlsx_write(buffer, campaign=page.campaign, scope_name=page.scope_name, as_of=page.as_of, rows=rows,
                        moment=_moment(page.as_of))
    name = f"do-phu-{page.campaign.code}-{page.as_of:%Y-%m-%d}.xlsx"
    return FileResponse(io.BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


@login_required
def machine_use_page(request, code):
    """Show, per machine of the teams in scope, the days it was held and the days of those it worked, up to a
    date: a table and a bar chart, the least used first."""
    page = _scoped(request, code)
    rows = machine_use(page.campaign, page.unit_ids, page.as_of)
    return render(request, "web/machine_use.html", {
        "campaign": page.campaign, "page": page, "as_of": page.as_of, "error": page.error, "rows": rows,
        "bars": bars_option(rows), "held": sum(r.held for r in rows), "worked": sum(r.worked for r in rows)})


@login_required
def machine_use_xlsx(request, code):
    """Download the machines' days held and worked (the bar chart's data) as a workbook."""
    page = _scoped(request, code)
    rows = machine_use(page.campaign, page.unit_ids, page.as_of)
    buffer = io.BytesIO()
    machine_use_xlsx_write(buffer, campaign=page.campaign, scope_name=page.scope_name, as_of=page.as_of, rows=rows,
                           moment=_moment(page.as_of))
    name = f"su-dung-may-{page.campaign.code}-{page.as_of:%Y-%m-%d}.xlsx"
    return FileResponse(io.BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


@login_required
def not_reported(request, code):
    """List the teams in scope holding a machine on a day (today by default) that have not sent that day's
    report, each with a link to its day."""
    campaign, scope = _campaign_and_scope(request, code)
    day, error = _as_of(request, campaign)
    running = campaign.start <= day
    teams = teams_without_report(campaign, day, scope.unit_ids) if running else []
    return render(request, "web/not_reported.html", {
        "campaign": campaign, "day": day, "error": error, "teams": teams, "running": running,
        "today": day == clock.today(), "checked_at": timezone.localtime(clock.now())})
