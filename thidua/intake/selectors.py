"""Reads on intake that feed pages, each a fixed number of queries."""

import datetime as dt

from thidua.units.models import Unit

from .models import Assignment, DailyReport, ReportStatus


def teams_without_report(campaign, day: dt.date, unit_ids: frozenset[int] | None = None) -> list[Unit]:
    """Return the teams holding a machine on a day that have not submitted that day (within `unit_ids` if given)."""
    holding = Assignment.objects.filter(machine__campaign=campaign, start__lte=day, end__gte=day).values("team_id")
    reported = DailyReport.objects.filter(campaign=campaign, day=day).exclude(status=ReportStatus.DRAFT) \
        .values("team_id")
    teams = Unit.objects.filter(id__in=holding).exclude(id__in=reported).select_related("parent")
    if unit_ids is not None:
        teams = teams.filter(id__in=unit_ids)
    return list(teams.order_by("code"))
