"""Reads of the coverage pages: each commune's eligible residents against the intake of every machine in it, how
often each machine worked on the days it was held, and one commune's days. A fixed number of queries each, whatever
the size of the province (docs: monitoring.md, "for a commune").
"""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from django.db.models import Count, Sum

from thidua.intake.models import Assignment, EligiblePopulation, IntakeRecord
from thidua.territory.models import AdminUnit
from thidua.territory.selectors import commune_coordinates
from thidua.units.selectors import unit_areas


@dataclass(frozen=True)
class CommuneCoverage:
    """A commune's eligible residents (None: no row for it), the intake of every machine in it up to a date, and
    where it lies (None: the dataset does not place it)."""

    id: int
    code: str
    name: str
    district: str
    eligible: int | None
    intake: int
    place: tuple[float, float] | None

    @cached_property
    def coverage(self) -> Fraction | None:
        """Return the share of the eligible residents whose application was taken (None without residents)."""
        return Fraction(self.intake, self.eligible) if self.eligible else None


def communes_in_scope(campaign, unit_ids: frozenset[int] | set[int] | None) -> frozenset[int]:
    """Return the ids of the communes a scope covers: the whole province for a campaign-wide scope, else the union
    of its units' areas (a unit without an area of its own serves its parent's). Three queries at most."""
    if unit_ids is None:
        return frozenset(AdminUnit.objects.communes_of(campaign.structure, campaign.province_code)
                         .values_list("id", flat=True))
    areas = unit_areas(campaign)
    return frozenset().union(*(areas.get(u, frozenset()) for u in unit_ids))


def commune_coverage(campaign, commune_ids, as_of: dt.date) -> list[CommuneCoverage]:
    """Return the coverage of the communes given, as of a date, worst first (those without residents last, then by
    code): three queries, the intake added up per commune by the database."""
    communes = list(AdminUnit.objects.filter(id__in=commune_ids).values_list("id", "code", "name", "parent__name"))
    eligible = dict(EligiblePopulation.objects.filter(campaign=campaign, commune_id__in=commune_ids)
                    .values_list("commune_id", "people"))
    intake = dict(IntakeRecord.objects.filter(campaign=campaign, commune_id__in=commune_ids, day__lte=as_of)
                  .values("commune_id").annotate(n=Sum("applications")).values_list("commune_id", "n"))
    places = commune_coordinates(campaign.structure, [code for _, code, _, _ in communes])
    rows = [CommuneCoverage(pk, code, name, district or "", eligible.get(pk), intake.get(pk) or 0, places.get(code))
            for pk, code, name, district in communes]
    return sorted(rows, key=lambda r: (r.coverage is None, r.coverage or 0, r.code))


@dataclass(frozen=True)
class CommuneDay:
    """What one machine of one team took in a commune on a day."""

    day: dt.date
    machine: str
    team_code: str
    team_name: str
    applications: int


def commune_days(campaign, commune_id: int, as_of: dt.date) -> list[CommuneDay]:
    """Return the machines and teams that worked in a commune, day by day up to a date, the latest day first: one
    query."""
    rows = (IntakeRecord.objects.filter(campaign=campaign, commune_id=commune_id, day__lte=as_of)
            .values("day", "machine__code", "team__code", "team__name").annotate(n=Sum("applications"))
            .order_by("-day", "machine__code", "team__code"))
    return [CommuneDay(r["day"], r["machine__code"], r["team__code"], r["team__name"], r["n"]) for r in rows]


@dataclass(frozen=True)
class MachineUse:
    """A machine held by a team: the days it was held within the campaign up to a date, and the days of those on
    which it took applications."""

    machine: str
    team_code: str
    team_name: str
    held: int
    worked: int

    @property
    def share(self) -> Fraction | None:
        """Return the share of the days held that were worked (None when it was held no day yet)."""
        return Fraction(self.worked, self.held) if self.held else None


def _days_held(spans) -> int:
    """Count the days of possibly overlapping inclusive spans once each."""
    days: set[dt.date] = set()
    for first, last in spans:
        days.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return len(days)


def machine_use(campaign, unit_ids: frozenset[int] | set[int] | None, as_of: dt.date) -> list[MachineUse]:
    """Return, per machine and the team holding it (teams within `unit_ids` if given), its days held within
    [S, min(as_of, D)] and its days worked (with intake) of those, the least used first: two queries."""
    start, end = campaign.start, min(as_of, campaign.deadline)
    held = Assignment.objects.filter(machine__campaign=campaign, start__lte=end, end__gte=start)
    worked = IntakeRecord.objects.filter(campaign=campaign, day__gte=start, day__lte=end, applications__gt=0)
    if unit_ids is not None:
        held, worked = held.filter(team_id__in=unit_ids), worked.filter(team_id__in=unit_ids)
    spans: dict[tuple, list] = {}
    for machine_id, code, team_id, team_code, team_name, first, last in held.values_list(
            "machine_id", "machine__code", "team_id", "team__code", "team__name", "start", "end"):
        spans.setdefault((machine_id, team_id, code, team_code, team_name), []).append(
            (max(first, start), min(last, end)))
    days = dict(((m, t), n) for m, t, n in worked.values("machine_id", "team_id")
                .annotate(n=Count("day", distinct=True)).values_list("machine_id", "team_id", "n"))
    rows = [MachineUse(code, team_code, team_name, _days_held(s), days.get((m, t), 0))
            for (m, t, code, team_code, team_name), s in spans.items()]
    return sorted(rows, key=lambda r: (r.share is None, r.share or 0, r.machine, r.team_code))
