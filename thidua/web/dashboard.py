"""The progress dashboards: the province's competitors, a unit's teams, a team's machines, one machine, each drawn
against its quota or daily target, drilled down by `?don_vi=CODE` and `?may=CODE` as of `?ngay=dd/mm/yyyy`, within
the user's scope (accounts/scopes.py); the data of each kind of chart as a workbook at an address of its own with the
same parameters."""

import io
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from thidua.monitoring.progress import Curve, curve_of, daily_window, forecast_of, machine_series
from thidua.monitoring.progress_export import machines_xlsx, progress_xlsx
from thidua.standings.selectors import campaign_standings
from thidua.units.models import Kind

from . import charts
from .lastuse import LastUse
from .views import XLSX, _as_of, _campaign_and_scope

NO_SUCH_UNIT = "Không có đơn vị này trong phạm vi của bạn."
NO_SUCH_MACHINE = "Không có máy này trong phạm vi của bạn."


@dataclass(frozen=True)
class Level:
    """Where the dashboard stands: the whole campaign (no unit), a unit, or a machine seen from a unit."""

    unit_id: int | None
    machine: str | None
    trail: tuple[tuple[str, str], ...]  # (name, address) of each level above, the top first
    name: str


def _query(as_of, unit_code: str | None = None, machine: str | None = None) -> str:
    pairs = [("don_vi", unit_code)] if unit_code else []
    if machine:
        pairs.append(("may", machine))
    pairs.append(("ngay", as_of.isoformat()))
    return "?" + urlencode(pairs)


def _level(request, campaign, scope, result) -> Level:
    """Return the level asked for, within the user's scope: 404 for a unit or a machine outside it."""
    units = result.inputs.units
    by_code = {code: pk for pk, (code, *_rest) in units.items()}
    unit_code = request.GET.get("don_vi", "").strip()
    machine = request.GET.get("may", "").strip() or None
    if unit_code:
        unit_id = by_code.get(unit_code)
        if unit_id is None or not scope.sees(unit_id):
            raise Http404(NO_SUCH_UNIT)
    else:
        unit_id = None if scope.whole_campaign else request.user.profile.unit_id
    if machine is not None:
        holders = [a for a in result.inputs.assignments if a.machine == machine and scope.sees(by_code[a.team])]
        if not holders:
            raise Http404(NO_SUCH_MACHINE)
        if not unit_code:  # seen from the team holding it on the day looked at (or last before it)
            held = [a for a in holders if a.start <= result.as_of] or holders
            unit_id = by_code[max(held, key=lambda a: a.start).team]
    base = reverse("dashboard", args=[campaign.code])
    trail: list[tuple[str, str]] = []
    if scope.whole_campaign:
        trail.append((_("Toàn tỉnh"), base + _query(result.as_of)))
    chain, cur = [], unit_id
    while cur is not None and scope.sees(cur):
        chain.insert(0, cur)
        cur = units[cur][3]
    trail += [(units[pk][1], base + _query(result.as_of, units[pk][0])) for pk in chain]
    if machine is not None:
        return Level(unit_id, machine, tuple(trail), _("Máy %(code)s") % {"code": machine})
    name = trail.pop()[0] if trail else ""
    return Level(unit_id, None, tuple(trail), name)


def _rows(result) -> dict:
    """Return every standings row by code: the competitors' and the teams'."""
    rows = {s.code: s for s in result.teams.rows}
    rows.update({s.code: s for g in result.groups if g.standings for s in g.standings.rows})
    return rows


# What is drawn of a standings row, kept per process by the row's days (the standings brought up to date after an
# act keep the days of the rows it did not touch, re-ranked or not: scoring.core) and the values it is drawn with:
# per chart set, from its last drawing only (`thidua.web.lastuse`).
_KEPT = LastUse(max_entries=10_000)


def _kept(table: tuple, rows: list, key_of, compute) -> list:
    """Return compute(row) for each row, kept under the identity of `row.days` (held with the value, so never
    another's) and key_of(row) (every other value it reads), from `table`'s last use."""
    before, now, out = _KEPT.before(table), {}, []
    for row in rows:
        key = key_of(row)
        seen = before.get((id(row.days), row.code))
        if seen is None or seen[0] is not row.days or seen[1] != key:
            seen = (row.days, key, compute(row))
        now[(id(row.days), row.code)] = seen
        out.append(seen[2])
    _KEPT.keep(table, now)
    return out


def _curves(result, codes) -> list[Curve]:
    rows, start, as_of = _rows(result), result.campaign.config.start, result.as_of
    drawn = [rows[c] for c in codes if c in rows and rows[c].quota > 0]
    # Which rows, not their order: a group's rows come in the order of their ranks, which most acts change.
    return _kept(("curve", result.campaign.pk, start, as_of, frozenset(r.code for r in drawn)), drawn,
                 lambda row: (row.name, row.quota, row.completed_on), lambda row: curve_of(row, start, as_of))


def _children(result, scope, unit_id) -> list[str]:
    """Return the codes of the units right below a unit that the user sees, in code order."""
    return sorted(code for pk, (code, _n, _k, parent, _g) in result.inputs.units.items()
                  if parent == unit_id and scope.sees(pk))


def _scored_groups(result) -> list:
    return [g for g in result.groups if g.standings is not None]


def _teams_in(result, scope, unit_id) -> dict[str, int]:
    """Return the teams (code → id) whose intake a level counts: the team itself, or every team below the unit
    and in the scope (the whole campaign at the top)."""
    units = result.inputs.units
    children: dict = {}
    for pk, (_c, _n, _k, parent, _g) in units.items():
        children.setdefault(parent, []).append(pk)
    stack = [unit_id] if unit_id is not None else list(children.get(None, []))
    found = {}
    while stack:
        pk = stack.pop()
        if units[pk][2] == Kind.TO and scope.sees(pk):
            found[units[pk][0]] = pk
        stack.extend(children.get(pk, []))
    return found


SMALL_SHOWN = 48  # small multiples drawn at most: a province's districts all; of a national scope, the lowest


def _small_multiples(result, curves: list[Curve], query) -> list[charts.Chart]:
    """Return one attainment chart per unit, all on the same y axis, each title leading down to that unit: every
    unit, or past SMALL_SHOWN those of the lowest attainment (the summary table above lists them all)."""
    top = charts.shared_max(curves)
    start, deadline, as_of = result.campaign.config.start, result.campaign.config.deadline, result.as_of
    base = reverse("dashboard", args=[result.campaign.code])
    if len(curves) > SMALL_SHOWN:
        lowest = sorted(curves, key=lambda c: (c.intake / c.quota, c.code))
        kept = {c.code for c in lowest[:SMALL_SHOWN]}
        curves = [c for c in curves if c.code in kept]
    out = []
    for i, c in enumerate(curves):
        headers, rows = charts.cumulative_table(c, start, deadline, as_of)
        out.append(charts.Chart(f"bieu-do-{i}", c.name, charts.attainment_option(c, start, deadline, top),
                                "percent", headers, rows, url=base + query(c.code)))
    return out


def _forecasts(result, curves: list[Curve]) -> dict:
    """Return the forecast of each unit drawn, by code."""
    rows, settings = _rows(result), result.campaign.config.monitoring
    period, as_of = result.inputs.period, result.as_of
    drawn = [rows[c.code] for c in curves]
    table = ("forecast", result.campaign.pk, period, as_of, settings.window_days, settings.watch_days,
             frozenset(r.code for r in drawn))
    found = _kept(table, drawn, lambda row: (row.name, row.quota, row.completed_on, row.rank),
                  lambda row: forecast_of(row, period, as_of, settings))
    return {row.code: f for row, f in zip(drawn, found, strict=True)}


def _summary(result, curves: list[Curve], query, forecasts: dict) -> tuple:
    base = reverse("dashboard", args=[result.campaign.code])
    return charts.summary_table(curves, result.campaign.config.start, result.campaign.config.deadline,
                                result.as_of, lambda code: base + query(code),
                                {code: f.projected_on for code, f in forecasts.items()})


def _unit_chart(result, curve: Curve, forecast) -> charts.Chart:
    """Return a unit's cumulative chart with the forecast from the date looked at, when it has one."""
    start, deadline = result.campaign.config.start, result.campaign.config.deadline
    headers, rows = charts.cumulative_table(curve, start, deadline, result.as_of)
    projection = None if forecast is None or not forecast.quota else charts.Projection(
        result.as_of, forecast.intake, forecast.quota, forecast.projected_on, *forecast.band)
    note = " ".join(t for t in (forecast.reason if projection else "",
                                charts.projection_note(projection) if projection else "") if t)
    return charts.Chart("bieu-do-luy-ke", _("Lũy kế thu nhận của %(name)s") % {"name": curve.name},
                        charts.cumulative_option(curve, start, deadline, projection), "count", headers, rows,
                        note=note)


@dataclass
class Section:
    title: str
    charts: list
    small: bool = False  # small multiples, with a key instead of a legend each
    summary: tuple | None = None  # (headers, rows) of the table above small multiples
    empty: str = ""  # said when there is no chart
    units: int = 0  # small multiples: the units of the level (more than the charts past SMALL_SHOWN)

    @property
    def summary_table(self) -> str:
        return charts.table_html(*self.summary, self.title) if self.summary else ""


def _sections(campaign, scope, result, level) -> list[Section]:
    """Return what the level shows: the competitors of each group (top), a unit's own curve and its units below,
    a team's own curve and its machines, or one machine with the communes it worked in."""
    def query(code):
        return _query(result.as_of, code)

    if level.machine is not None:
        first, last = daily_window(campaign.config.start, result.as_of)
        series = machine_series(campaign, result.inputs.assignments, result.inputs.period, first=first, last=last,
                                team_ids=_teams_in(result, scope, None), machine=level.machine, with_communes=True)
        # The commune's coverage page (/dot/<code>/do-phu/?xa=GSO code) of the coverage dashboards.
        coverage = reverse("campaign_detail", args=[campaign.code]) + "do-phu/"
        out = []
        for s in series:
            headers, rows = charts.machine_table(s, lambda code: coverage + "?" + urlencode({"xa": code}))
            out.append(charts.Chart("bieu-do-may", level.name, charts.machine_option(s), "count", headers, rows))
        return [Section(_("Hồ sơ theo ngày và chỉ tiêu ngày"), out)]
    if level.unit_id is None:
        sections = []
        for g in _scored_groups(result):
            curves = _curves(result, [s.code for s in g.standings.rows])
            sections.append(Section(g.name, _small_multiples(result, curves, query), small=True,
                                    summary=_summary(result, curves, query, _forecasts(result, curves)),
                                    units=len(curves)))
        return sections
    code, _name, kind, _p, _g = result.inputs.units[level.unit_id]
    own = _curves(result, [code])
    forecasts = _forecasts(result, own)
    sections = [Section(_("Tiến độ lũy kế"), [_unit_chart(result, c, forecasts[c.code]) for c in own],
                        empty=_("Đơn vị này không có chỉ tiêu riêng."))]
    if kind == Kind.TO:
        first, last = daily_window(campaign.config.start, result.as_of)
        series = machine_series(campaign, result.inputs.assignments, result.inputs.period, first=first, last=last,
                                team_ids={code: level.unit_id})
        base = reverse("dashboard", args=[campaign.code])
        machines = []
        for i, s in enumerate(series):
            headers, rows = charts.machine_table(s)
            machines.append(charts.Chart(f"bieu-do-may-{i}", _("Máy %(code)s") % {"code": s.machine},
                                         charts.machine_option(s), "count", headers, rows,
                                         url=base + _query(result.as_of, code, s.machine)))
        sections.append(Section(_("Các máy của tổ: hồ sơ theo ngày"), machines))
    else:
        curves = _curves(result, _children(result, scope, level.unit_id))
        sections.append(Section(_("Các đơn vị trực thuộc"), _small_multiples(result, curves, query), small=True,
                                summary=_summary(result, curves, query, _forecasts(result, curves)),
                                units=len(curves)))
    return sections


@login_required
def dashboard(request, code):
    """Show the progress charts of a level, each with its data as a table and as a workbook."""
    campaign, scope = _campaign_and_scope(request, code)
    as_of, error = _as_of(request, campaign)
    result = campaign_standings(campaign, as_of)
    level = _level(request, campaign, scope, result)
    unit_code = request.GET.get("don_vi", "").strip()
    query = _query(as_of, unit_code, level.machine)
    return render(request, "web/dashboard.html", {
        "campaign": campaign, "scope": scope, "as_of": as_of, "error": error, "level": level,
        "sections": _sections(campaign, scope, result, level), "query": query,
        "unit_code": unit_code, "deadline": campaign.config.deadline, "start": campaign.config.start,
        "window": daily_window(campaign.config.start, as_of),
    })


def _xlsx_response(write, name: str) -> FileResponse:
    buffer = io.BytesIO()
    write(buffer)
    return FileResponse(io.BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


@login_required
def dashboard_progress_xlsx(request, code):
    """Download the cumulative charts' data of a level (every day): the competitors, or a unit and those below."""
    campaign, scope = _campaign_and_scope(request, code)
    as_of, _error = _as_of(request, campaign)
    result = campaign_standings(campaign, as_of)
    level = _level(request, campaign, scope, result)
    if level.machine is not None:
        raise Http404("Máy không có biểu đồ lũy kế.")
    if level.unit_id is None:
        curves = [c for g in _scored_groups(result) for c in _curves(result, [s.code for s in g.standings.rows])]
        name = _("Toàn tỉnh")
    else:
        unit_code = result.inputs.units[level.unit_id][0]
        curves = _curves(result, [unit_code, *_children(result, scope, level.unit_id)])
        name = level.name
    return _xlsx_response(lambda out: progress_xlsx(out, campaign=campaign, scope_name=name, as_of=as_of,
                                                    curves=curves),
                          f"tien-do-{campaign.code}-{as_of:%Y-%m-%d}.xlsx")


@login_required
def dashboard_machines_xlsx(request, code):
    """Download every day of the machines of a level (from the start): its machine, or those of the teams below."""
    campaign, scope = _campaign_and_scope(request, code)
    as_of, _error = _as_of(request, campaign)
    result = campaign_standings(campaign, as_of)
    level = _level(request, campaign, scope, result)
    teams = _teams_in(result, scope, None if level.machine else level.unit_id)
    series = machine_series(campaign, result.inputs.assignments, result.inputs.period, first=campaign.config.start,
                            last=as_of, team_ids=teams, machine=level.machine, with_communes=True)
    name = level.name if level.unit_id is not None or level.machine else _("Toàn tỉnh")
    return _xlsx_response(lambda out: machines_xlsx(out, campaign=campaign, scope_name=name, as_of=as_of,
                                                    series=series),
                          f"may-theo-ngay-{campaign.code}-{as_of:%Y-%m-%d}.xlsx")
