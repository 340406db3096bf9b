"""Reads that feed the pages, each with a fixed number of queries whatever the size of the campaign."""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count, Q, Sum

from thidua.accounts.models import Role
from thidua.accounts.scopes import Scope, campaigns_visible
from thidua.campaigns.models import Campaign, Status
from thidua.intake.models import Assignment, DailyReport, EligiblePopulation, IntakeRecord, ReportStatus, TeamDayTotal
from thidua.intake.selectors import ReopenedDay, reopened_days
from thidua.monitoring.forecasts import BeforeStart, campaign_forecast
from thidua.scoring.forecast import Forecast
from thidua.territory.models import AdminUnit
from thidua.units.models import Kind, Membership, Unit
from thidua.units.selectors import subtree_ids, unit_areas


@dataclass
class UnitRow:
    unit: Unit
    depth: int
    areas: list[str]
    machines: int
    officers: int
    applications: int


def campaigns_listed(user) -> list[Campaign]:
    """Return the campaigns a user may open (accounts/scopes.py), each with its number of units."""
    return list(campaigns_visible(user).annotate(unit_count=Count("units", distinct=True)))


def campaign_overview(campaign: Campaign, scope: Scope) -> dict:
    """Return the part of the campaign's unit tree in the user's scope, with per-unit counts and totals."""
    units = Unit.objects.filter(campaign=campaign)
    if not scope.whole_campaign:
        units = units.filter(id__in=scope.unit_ids)
    units = list(units.select_related("group").prefetch_related("areas").order_by("code"))
    shown = {u.id for u in units}
    machines = dict(Assignment.objects.filter(team__campaign=campaign).values("team_id")
                    .annotate(n=Count("machine", distinct=True)).values_list("team_id", "n"))
    officers = dict(Membership.objects.filter(unit__campaign=campaign, end__isnull=True).values("unit_id")
                    .annotate(n=Count("id")).values_list("unit_id", "n"))
    intake = dict(IntakeRecord.objects.filter(campaign=campaign).values("team_id")
                  .annotate(n=Sum("applications")).values_list("team_id", "n"))
    children: dict = {}
    for u in units:
        # The top of what the user sees hangs at the root, whatever its parent.
        children.setdefault(u.parent_id if u.parent_id in shown else None, []).append(u)
    rows: list[UnitRow] = []

    def walk(parent_id, depth):
        for u in children.get(parent_id, []):
            rows.append(UnitRow(u, depth, [a.name for a in u.areas.all()], machines.get(u.id, 0),
                                officers.get(u.id, 0), intake.get(u.id, 0)))
            walk(u.id, depth + 1)

    walk(None, 0)
    return {
        "rows": rows,
        "total_intake": sum(r.applications for r in rows),
        "eligible": (EligiblePopulation.objects.filter(campaign=campaign).aggregate(n=Sum("people"))["n"] or 0)
        if scope.whole_campaign else None,
        "machine_count": Assignment.objects.filter(team_id__in=shown).values("machine").distinct().count(),
    }


RECENT_DAYS = 7
SHOWN = 20


@dataclass
class Today:
    """What a role has to do on a day in a campaign, within its scope."""

    day: dt.date
    days_left: int
    teams_due: int  # teams in scope holding a machine that day
    not_sent: list[Unit]  # of them, those whose report of the day is not sent
    not_sent_by_district: list[tuple[str, int]]
    to_verify: list[DailyReport]  # sent, waiting for their district (oldest first, the first SHOWN)
    to_verify_count: int
    unsent_days: list[tuple[Unit, dt.date]]  # a team's recent days before today held but not sent (the team's view)
    late_count: int
    intake_day: int
    intake_total: int
    eligible: int | None
    reopened: list[ReopenedDay]  # days PC06 reopened, not sent again yet (the latest first, the first SHOWN)
    reopened_count: int

    @property
    def coverage(self) -> Fraction | None:
        """Return the share of the eligible residents whose application was taken."""
        return Fraction(self.intake_total, self.eligible) if self.eligible else None


def today_of(campaign: Campaign, scope: Scope, day: dt.date) -> Today:
    """Return the day's duties and figures of a scope: a fixed number of queries whatever the campaign's size."""
    def mine(qs, field="team_id"):
        return qs if scope.whole_campaign else qs.filter(**{f"{field}__in": scope.unit_ids})

    since = max(campaign.start, day - dt.timedelta(days=RECENT_DAYS - 1))
    held: dict[int, set[dt.date]] = {}
    assignments = mine(Assignment.objects.filter(team__campaign=campaign, start__lte=day, end__gte=since))
    spans = {(team_id, max(start, since), min(end, day))  # a team's machines mostly share their span: once each
             for team_id, start, end in assignments.values_list("team_id", "start", "end").distinct()}
    for team_id, first, last in spans:
        held.setdefault(team_id, set()).update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    sent = set(mine(DailyReport.objects.filter(campaign=campaign, day__gte=since, day__lte=day))
               .exclude(status=ReportStatus.DRAFT).values_list("team_id", "day"))
    due_today = {t for t, days in held.items() if day in days}
    missing_today = {t for t in due_today if (t, day) not in sent}
    waiting = mine(DailyReport.objects.filter(campaign=campaign, status=ReportStatus.SUBMITTED))
    reopened, reopened_count = reopened_days(campaign, scope.unit_ids, SHOWN)
    reopened_keys = {(r.report.team_id, r.report.day) for r in reopened}  # listed apart, with PC06's reason
    unsent = [(t, d) for t, days in held.items() for d in days
              if d != day and (t, d) not in sent and (t, d) not in reopened_keys]
    if unsent:  # the latest first, then by code: the codes of those teams only (a national scope holds 1,400)
        codes = dict(Unit.objects.filter(id__in={t for t, _ in unsent}).values_list("id", "code"))
        unsent = sorted(unsent, key=lambda p: (p[1], codes[p[0]]), reverse=True)[:SHOWN]
    # The units shown: those not sent today and those of the days listed, with what is shown of them.
    units = Unit.objects.only("code", "name", "parent_id", "campaign_id", "kind").in_bulk(
        missing_today | {t for t, _ in unsent})
    parents = Unit.objects.only("name").in_bulk({u.parent_id for u in units.values() if u.parent_id})
    by_district: dict[str, int] = {}
    for t in missing_today:
        parent = parents.get(units[t].parent_id)
        name = parent.name if parent else units[t].name
        by_district[name] = by_district.get(name, 0) + 1
    # From the team-day totals the database keeps (a national campaign: 150,000 rows instead of a million records).
    figures = mine(TeamDayTotal.objects.filter(campaign=campaign)).aggregate(
        total=Sum("applications"), today=Sum("applications", filter=Q(day=day)))
    return Today(
        day=day, days_left=max(0, (campaign.deadline - day).days), teams_due=len(due_today),
        not_sent=sorted((units[t] for t in missing_today), key=lambda u: u.code),
        not_sent_by_district=sorted(by_district.items()),
        to_verify=list(waiting.select_related("team").order_by("day", "team__code")[:SHOWN]),
        to_verify_count=waiting.count(),
        unsent_days=[(units[t], d) for t, d in unsent],
        late_count=mine(DailyReport.objects.filter(campaign=campaign, late=True)).count(),
        intake_day=figures["today"] or 0, intake_total=figures["total"] or 0,
        eligible=(EligiblePopulation.objects.filter(campaign=campaign).aggregate(n=Sum("people"))["n"] or 0)
        if scope.whole_campaign else None,
        reopened=reopened, reopened_count=reopened_count,
    )


@dataclass
class CommuneRow:
    commune: object
    eligible: int | None
    applications: int

    @property
    def coverage(self) -> Fraction | None:
        return Fraction(self.applications, self.eligible) if self.eligible else None


@dataclass
class UnitPage:
    standing: object | None  # the unit's own row of the standings (a competitor or a team), if it has one
    teams: list[tuple[Unit, object | None]]  # the teams below it with their standings rows
    officers: list[Membership]
    communes: list[CommuneRow]


def unit_page(campaign: Campaign, unit: Unit, result) -> UnitPage:
    """Return a unit's progress from the campaign's standings, its teams, officers and communes' coverage."""
    below = subtree_ids(campaign, unit.id)
    rows = {s.code: s for g in result.groups if g.standings for s in g.standings.rows}
    team_rows = {s.code: s for s in result.teams.rows}
    teams = list(Unit.objects.filter(id__in=below, kind=Kind.TO).order_by("code"))
    areas = unit_areas(campaign)
    communes = set(areas.get(unit.id, ())).union(*(areas.get(t.id, ()) for t in teams))
    eligible = dict(EligiblePopulation.objects.filter(campaign=campaign, commune_id__in=communes)
                    .values_list("commune_id", "people"))
    taken = dict(IntakeRecord.objects.filter(campaign=campaign, team_id__in=below).values("commune_id")
                 .annotate(n=Sum("applications")).values_list("commune_id", "n"))
    return UnitPage(
        standing=rows.get(unit.code) or team_rows.get(unit.code),
        teams=[(t, team_rows.get(t.code)) for t in teams if t.id != unit.id],
        officers=list(Membership.objects.filter(unit_id__in=below, end__isnull=True)
                      .select_related("officer", "unit").order_by("unit__code", "officer__full_name")),
        communes=[CommuneRow(c, eligible.get(c.id), taken.get(c.id, 0))
                  for c in AdminUnit.objects.filter(id__in=communes | set(taken)).order_by("code")],
    )


# issue 11: forecast alerts
PLANNER_ROLES = {Role.ADMIN, Role.PC06}  # who plans and applies the support machines


def in_scope(campaign: Campaign, scope: Scope, communes: bool = True) -> tuple[set[str] | None, set[int] | None]:
    """Return the codes of the units and the ids of the communes in a scope (None: all; no communes asked: an
    empty set): one query, four with the communes."""
    if scope.whole_campaign:
        return None, None
    codes = set(Unit.objects.filter(campaign=campaign, id__in=scope.unit_ids).values_list("code", flat=True))
    if not communes:
        return codes, set()
    areas = unit_areas(campaign)
    communes = set().union(*(areas.get(pk, ()) for pk in scope.unit_ids))
    return codes, communes


@dataclass(frozen=True)
class Alerts:
    """What a role should see first on its home page: the competitors or teams at risk or watched in its scope."""

    as_of: dt.date
    at_risk: list[Forecast]
    watch: list[Forecast]
    teams: bool  # the rows are teams (a district's or a team's own), not competitors
    planner: bool

    def __bool__(self) -> bool:
        return bool(self.at_risk or self.watch)


def forecast_alerts(campaign: Campaign, scope: Scope | None) -> Alerts | None:
    """Return a role's alerts for a running campaign: PC06, the council, admins and viewers the districts at risk
    (PC06 and admins with the planner); a district its teams and itself; a team itself."""
    if scope is None or campaign.status != Status.RUNNING:
        return None
    try:
        result = campaign_forecast(campaign)
    except BeforeStart:
        return None
    if scope.whole_campaign:
        rows = [f for _, f in result.competitors()]
        teams = False
    else:
        units, _ = in_scope(campaign, scope, communes=False)
        rows = [f for _, f in result.competitors() if f.code in units] + [f for f in result.teams if f.code in units]
        teams = True
    return Alerts(result.as_of, [f for f in rows if f.at_risk], [f for f in rows if f.watch], teams,
                  scope.role in PLANNER_ROLES)
