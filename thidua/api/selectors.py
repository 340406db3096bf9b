"""Reads of the API, each within the caller's scope and a fixed number of queries."""

import datetime as dt

from django.db.models import F, QuerySet, Sum

from thidua.accounts.scopes import Scope
from thidua.intake.models import Assignment, IntakeRecord
from thidua.territory.models import AdminUnit
from thidua.units.models import Unit
from thidua.units.selectors import subtree_ids, unit_areas


def _in_scope(queryset: QuerySet, scope: Scope, field: str) -> QuerySet:
    return queryset if scope.whole_campaign else queryset.filter(**{f"{field}__in": scope.unit_ids})


def unit_row(unit: Unit, scope: Scope) -> dict:
    """Return a unit as the API shows it (the keys of the `don_vi` sheet); its parent only if in scope."""
    return {
        "ma_don_vi": unit.code, "ten_don_vi": unit.name, "loai": unit.kind,
        "ma_don_vi_cap_tren": unit.parent.code if unit.parent_id and scope.sees(unit.parent_id) else None,
        "dia_ban": sorted(a.code for a in unit.areas.all()),
        "nhom_thi_dua": unit.group.code if unit.group_id else None,
    }


def units_in_scope(campaign, scope: Scope) -> QuerySet:
    """Return the units of a campaign the scope sees, with what `unit_row` reads (three queries)."""
    units = Unit.objects.filter(campaign=campaign).select_related("parent", "group").prefetch_related("areas")
    return _in_scope(units, scope, "id").order_by("code")


def unit_detail(campaign, unit: Unit, scope: Scope) -> dict:
    """Return a unit (in scope) with the communes it serves and the intake of the teams below it."""
    below = subtree_ids(campaign, unit.id)
    intake = IntakeRecord.objects.filter(campaign=campaign, team_id__in=below).aggregate(n=Sum("applications"))["n"]
    served = unit_areas(campaign).get(unit.id, frozenset())
    communes = list(AdminUnit.objects.filter(id__in=served).order_by("code").values_list("code", flat=True))
    return {**unit_row(unit, scope), "communes": communes, "intake": intake or 0}


def machines_in_scope(campaign, scope: Scope) -> list[dict]:
    """Return the machines assigned to teams in scope, each with those assignments (one query)."""
    assignments = _in_scope(Assignment.objects.filter(machine__campaign=campaign), scope, "team_id")
    machines: dict[str, list[dict]] = {}
    for code, team, start, end, quota, daily in assignments.order_by("machine__code", "start").values_list(
            "machine__code", "team__code", "start", "end", "quota", "daily_target"):
        machines.setdefault(code, []).append({"ma_to": team, "tu_ngay": start, "den_ngay": end, "chi_tieu": quota,
                                              "chi_tieu_ngay": daily})
    return [{"ma_may": code, "assignments": rows} for code, rows in machines.items()]


def intake_in_scope(campaign, scope: Scope, *, since: dt.date | None = None, until: dt.date | None = None,
                    team: str | None = None, machine: str | None = None) -> QuerySet:
    """Return the intake rows of the teams in scope, filtered, in key order, with the keys of `thu_nhan`."""
    rows = _in_scope(IntakeRecord.objects.filter(campaign=campaign), scope, "team_id")
    if since is not None:
        rows = rows.filter(day__gte=since)
    if until is not None:
        rows = rows.filter(day__lte=until)
    if team:
        rows = rows.filter(team__code=team)
    if machine:
        rows = rows.filter(machine__code=machine)
    return rows.order_by("day", "machine__code", "commune__code").values(
        ngay=F("day"), ma_may=F("machine__code"), ma_xa=F("commune__code"), so_ho_so=F("applications"),
        ma_to=F("team__code"))
