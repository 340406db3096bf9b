"""Reads on intake that feed pages, each a fixed number of queries."""

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Sum

from thidua.audit.labels import people
from thidua.audit.models import Change
from thidua.scoring import core
from thidua.scoring.rules import Period
from thidua.units.models import Kind, Unit

from .models import Assignment, DailyReport, IntakeRecord, ReportStatus


def teams_without_report(campaign, day: dt.date, unit_ids: frozenset[int] | None = None) -> list[Unit]:
    """Return the teams holding a machine on a day that have not submitted that day (within `unit_ids` if given)."""
    holding = Assignment.objects.filter(machine__campaign=campaign, start__lte=day, end__gte=day).values("team_id")
    reported = DailyReport.objects.filter(campaign=campaign, day=day).exclude(status=ReportStatus.DRAFT) \
        .values("team_id")
    teams = Unit.objects.filter(id__in=holding).exclude(id__in=reported).select_related("parent")
    if unit_ids is not None:
        teams = teams.filter(id__in=unit_ids)
    return list(teams.order_by("code"))


# --- a day's reports, with each team's count against its daily target ----------------------------------------

# The filters of a day's list (?trang_thai=), each with the rows it keeps.
STATE_FILTERS = {
    "chua-gui": lambda row: row.status == ReportStatus.DRAFT,
    "cho-xac-nhan": lambda row: row.status == ReportStatus.SUBMITTED,
    "da-xac-nhan": lambda row: row.status == ReportStatus.VERIFIED,
    "tre-han": lambda row: row.late,
}


@dataclass
class TeamDayRow:
    """A team holding a machine on a day: its report, its machines, its count and what was expected of it."""

    team: Unit
    report: DailyReport | None
    machines: int
    applications: int
    exact_target: Fraction

    @property
    def status(self) -> str:
        return self.report.status if self.report else ReportStatus.DRAFT

    @property
    def reopened(self) -> bool:
        """Say whether PC06 reopened the day and the team has not sent it again yet."""
        return self.status == ReportStatus.DRAFT and self.report is not None and self.report.submitted_at is not None

    @property
    def late(self) -> bool:
        """Say whether the day was (first) sent late; a day not sent yet is not marked."""
        return bool(self.report and self.report.late and self.report.submitted_at is not None)

    @property
    def target(self) -> int:
        """Return the daily target rounded half up to whole applications (as shown and added up)."""
        return math.floor(self.exact_target + Fraction(1, 2))

    @property
    def difference(self) -> int:
        return self.applications - self.target


@dataclass
class DayTotals:
    teams: int
    machines: int
    applications: int
    target: int
    not_sent: int
    waiting: int
    verified: int
    late: int

    @property
    def difference(self) -> int:
        return self.applications - self.target


def day_rows(campaign, day: dt.date, unit_ids: frozenset[int] | None = None,
             parent_id: int | None = None) -> list[TeamDayRow]:
    """Return every team holding a machine on a day (within `unit_ids`, under the unit `parent_id` if given), in
    code order, with its report, machines, count of the day and daily target (`core.day_target`): four queries."""
    held = Assignment.objects.filter(machine__campaign=campaign, start__lte=day, end__gte=day)
    if unit_ids is not None:
        held = held.filter(team_id__in=unit_ids)
    if parent_id is not None:
        held = held.filter(team__parent_id=parent_id)
    by_team: dict[int, list[core.Assignment]] = defaultdict(list)
    for team_id, machine, start, end, quota, daily in held.values_list(
            "team_id", "machine__code", "start", "end", "quota", "daily_target"):
        by_team[team_id].append(core.Assignment(str(team_id), machine, start, end, quota, daily))
    if not by_team:
        return []
    config = campaign.config
    period = Period(config.start, config.deadline, frozenset(config.non_working_days))
    teams = Unit.objects.filter(id__in=by_team, kind=Kind.TO).select_related("parent").order_by("code")
    reports = {r.team_id: r for r in DailyReport.objects.filter(campaign=campaign, day=day, team_id__in=by_team)}
    counts = dict(IntakeRecord.objects.filter(campaign=campaign, day=day, team_id__in=by_team).values("team_id")
                  .annotate(n=Sum("applications")).values_list("team_id", "n"))
    return [TeamDayRow(t, reports.get(t.id), len(by_team[t.id]), counts.get(t.id) or 0,
                       core.day_target(by_team[t.id], day, period)) for t in teams]


def day_totals(rows: list[TeamDayRow]) -> DayTotals:
    """Add up a day's rows (targets as shown, so that the column adds up)."""
    return DayTotals(
        teams=len(rows), machines=sum(r.machines for r in rows), applications=sum(r.applications for r in rows),
        target=sum(r.target for r in rows), not_sent=sum(r.status == ReportStatus.DRAFT for r in rows),
        waiting=sum(r.status == ReportStatus.SUBMITTED for r in rows),
        verified=sum(r.status == ReportStatus.VERIFIED for r in rows), late=sum(r.late for r in rows))


def team_parents(campaign, unit_ids: frozenset[int] | None = None) -> list[Unit]:
    """Return the units teams hang under (the districts, and PC06's own team's unit), those in `unit_ids` if
    given, in code order: the units whose day a summary sends up the line. One query."""
    units = Unit.objects.filter(campaign=campaign).filter(
        id__in=Unit.objects.filter(campaign=campaign, kind=Kind.TO).values("parent_id"))
    if unit_ids is not None:
        units = units.filter(id__in=unit_ids)
    return list(units.order_by("code"))


# --- reopened days ----------------------------------------------------------------------------------------------

@dataclass
class Reopening:
    """The last time PC06 reopened a day, and the team's sending again after it (if it has)."""

    by: str
    by_name: str  # "Full Name (user name)"
    at: dt.datetime
    reason: str
    resent_by: str = ""
    resent_by_name: str = ""
    resent_at: dt.datetime | None = None


def reopenings(campaign, reports) -> dict[int, Reopening]:
    """Return, for each report that was ever reopened, its last reopening and the sending again after it, read
    from the history (its steps record the report's whole state before and after): two queries."""
    keys = {f"{r.team.code}|{r.day.isoformat()}": r.id for r in reports}
    if not keys:
        return {}
    found: dict[int, Reopening] = {}
    steps = Change.objects.filter(changeset__campaign=campaign, entity="bao_cao", key__in=keys) \
        .select_related("changeset").order_by("changeset__seq", "id")
    for change in steps:
        before, after = change.before or {}, change.after or {}
        moved = (before.get("status"), after.get("status"))
        act = change.changeset
        if moved == (ReportStatus.VERIFIED, ReportStatus.DRAFT):
            found[keys[change.key]] = Reopening(act.actor, "", act.at, act.reason)
        elif moved == (ReportStatus.DRAFT, ReportStatus.SUBMITTED) and keys[change.key] in found:
            reopened = found[keys[change.key]]
            reopened.resent_by, reopened.resent_at = act.actor, act.at
    names = people({r.by for r in found.values()} | {r.resent_by for r in found.values()})
    for r in found.values():
        r.by_name, r.resent_by_name = names.get(r.by, r.by), names.get(r.resent_by, r.resent_by)
    return found


@dataclass
class ReopenedDay:
    report: DailyReport
    reopening: Reopening | None  # None only for a day reopened before its steps were recorded


def reopened_days(campaign, unit_ids: frozenset[int] | None = None, limit: int = 20) -> tuple[list[ReopenedDay], int]:
    """Return the days PC06 reopened that are not sent again yet (within `unit_ids` if given), the latest first
    (at most `limit`), with who reopened them, when and why; and how many there are. Four queries.

    A reopened day is a draft that was sent before: only a reopening takes a sent day back to draft.
    """
    waiting = DailyReport.objects.filter(campaign=campaign, status=ReportStatus.DRAFT, submitted_at__isnull=False)
    if unit_ids is not None:
        waiting = waiting.filter(team_id__in=unit_ids)
    reports = list(waiting.select_related("team").order_by("-day", "team__code")[:limit])
    found = reopenings(campaign, reports)
    count = len(reports) if len(reports) < limit else waiting.count()
    return [ReopenedDay(r, found.get(r.id)) for r in reports], count
