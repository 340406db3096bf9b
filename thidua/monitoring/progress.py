"""What the progress dashboards draw: each unit's cumulative intake day by day against its quota and against the
straight line from nothing at the start to the quota at the deadline, and each machine's daily intake against its
daily target.

Everything comes from the standings already computed (`campaign_standings`: a unit's days and quota, the
assignments) and from two GROUP BY queries on the intake (per machine and day; per machine, day and commune): a
fixed number of queries whatever the size of the campaign.
"""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Sum

from thidua.intake.models import IntakeRecord
from thidua.scoring import core
from thidua.scoring import forecast as model
from thidua.scoring.rules import Period

DAY = dt.timedelta(days=1)
# The daily charts show the last four weeks up to the date looked at: a bar a day stays readable on a phone.
DAILY_WINDOW_DAYS = 28


@dataclass(frozen=True)
class ProgressDay:
    day: dt.date
    applications: int
    cumulative: int


@dataclass(frozen=True)
class Curve:
    """A unit's (a competitor's or a team's) intake on every calendar day from `start` to the date looked at.

    The days are kept as a plain tuple of numbers, their `ProgressDay`s made when asked: a national dashboard keeps
    2,100 curves of a hundred days and more, and a plain tuple of numbers is one object that the garbage collector
    soon stops scanning, where a hundred day objects are a hundred it scans at every full pass (issue 12)."""

    code: str
    name: str
    quota: int
    start: dt.date
    applications: tuple[int, ...]  # day by day from `start`
    completed_on: dt.date | None

    @classmethod
    def of_days(cls, code: str, name: str, quota: int, days, completed_on: dt.date | None) -> "Curve":
        """Return the curve of consecutive `days` (`ProgressDay`s, the first at the start)."""
        start = days[0].day if days else dt.date.min
        return cls(code, name, quota, start, tuple(d.applications for d in days), completed_on)

    @property
    def days(self) -> tuple[ProgressDay, ...]:
        days, cumulative, day = [], 0, self.start
        for n in self.applications:
            cumulative += n
            days.append(ProgressDay(day, n, cumulative))
            day += DAY
        return tuple(days)

    @property
    def intake(self) -> int:
        return sum(self.applications)

    @property
    def attainment(self) -> Fraction | None:
        return Fraction(self.intake, self.quota) if self.quota else None


def straight_line(quota: int, day: dt.date, start: dt.date, deadline: dt.date) -> Fraction:
    """Return where an even pace puts a unit on a day: 0 at the start, the quota at the deadline, a straight line
    between (its value is exact; it is rounded only when shown)."""
    if deadline <= start:
        return Fraction(quota)
    elapsed = min(max((day - start).days, 0), (deadline - start).days)
    return Fraction(quota * elapsed, (deadline - start).days)


def curve_of(row: core.Standing, start: dt.date, as_of: dt.date) -> Curve:
    """Return a standings row as a curve over every calendar day `start … as_of` (days without intake add 0)."""
    daily = {d.day: d.applications for d in row.days}
    applications, day = [], start
    while day <= as_of:
        applications.append(daily.get(day, 0))
        day += DAY
    return Curve(row.code, row.name, row.quota, start, tuple(applications), row.completed_on)


def forecast_of(row: core.Standing, period: Period, as_of: dt.date, settings) -> model.Forecast:
    """Return one unit's forecast (docs/monitoring.md) from its standings row, as `campaign_forecast` gives it
    (without what it would need to overtake): a chart needs a few units' forecasts, not the whole campaign's with
    its communes and projected standings."""
    return model.forecast(code=row.code, name=row.name, quota=row.quota,
                          daily={d.day: d.applications for d in row.days}, start=period.start,
                          deadline=period.deadline, as_of=as_of, window_days=settings.window_days,
                          watch_days=settings.watch_days, completed_on=row.completed_on, rank=row.rank)


def weekly(days: tuple, as_of: dt.date) -> list:
    """Return the days of a series one week apart, ending on the date looked at (the first day kept too): the
    rows of a chart's table, short enough to read and to print; the workbook has every day."""
    kept = [d for d in days if (as_of - d.day).days % 7 == 0]
    if days and (not kept or kept[0] is not days[0]):
        kept.insert(0, days[0])
    return kept


@dataclass(frozen=True)
class MachineDay:
    day: dt.date
    applications: int
    target: Fraction  # scoring.core.day_target of the machine's assignments (to the teams shown) that day
    communes: tuple[tuple[str, str, int], ...] = ()  # (GSO code, name, applications) when asked for

    @property
    def difference(self) -> Fraction:
        return self.applications - self.target


@dataclass(frozen=True)
class MachineSeries:
    machine: str
    days: tuple[MachineDay, ...]

    @property
    def applications(self) -> int:
        return sum(d.applications for d in self.days)


def daily_window(start: dt.date, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the daily charts: the last `DAILY_WINDOW_DAYS` days up to the date
    looked at, not before the start."""
    return max(start, as_of - (DAILY_WINDOW_DAYS - 1) * DAY), as_of


def machine_series(campaign, assignments: tuple[core.Assignment, ...], period: Period, *, first: dt.date,
                   last: dt.date, team_ids: dict[str, int], machine: str | None = None,
                   with_communes: bool = False) -> list[MachineSeries]:
    """Return the daily intake and target of machines over `first … last`, counting only the teams of `team_ids`
    (code → id): every machine that those teams held or recorded intake with in that time, or only `machine`.

    One query for the intake per machine and day, and one more for the communes when asked for.
    """
    held = [a for a in assignments if a.team in team_ids and a.start <= last and a.end >= first
            and (machine is None or a.machine == machine)]
    records = IntakeRecord.objects.filter(campaign=campaign, team_id__in=team_ids.values(), day__gte=first,
                                          day__lte=last)
    if machine is not None:
        records = records.filter(machine__code=machine)
    intake: dict[tuple[str, dt.date], int] = {}
    for code, day, n in records.values("machine__code", "day").annotate(n=Sum("applications")).values_list(
            "machine__code", "day", "n"):
        intake[code, day] = n
    communes: dict[tuple[str, dt.date], list[tuple[str, str, int]]] = {}
    if with_communes:
        rows = (records.values("machine__code", "day", "commune__code", "commune__name")
                .annotate(n=Sum("applications")).order_by("day", "commune__code")
                .values_list("machine__code", "day", "commune__code", "commune__name", "n"))
        for code, day, commune, name, n in rows:
            communes.setdefault((code, day), []).append((commune, name, n))
    codes = sorted({a.machine for a in held} | {code for code, _ in intake})
    days = [first + i * DAY for i in range((last - first).days + 1)]
    series = []
    for code in codes:
        own = [a for a in held if a.machine == code]
        series.append(MachineSeries(code, tuple(
            MachineDay(day, intake.get((code, day), 0), core.day_target(own, day, period),
                       tuple(communes.get((code, day), ()))) for day in days)))
    return series
