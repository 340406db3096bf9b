"""The scoring of docs/scoring.md: frozen inputs in, standings out; exact arithmetic, every point explained.

No framework here. Quantities are integers and `Fraction`s; nothing is rounded until it is shown.
"""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction

from .rules import Period, Scale, Tier


@dataclass(frozen=True)
class Assignment:
    """A machine held by a team from `start` to `end`, with a total quota or a daily target."""

    team: str
    machine: str
    start: dt.date
    end: dt.date
    quota: int | None = None
    daily_target: int | None = None


@dataclass(frozen=True)
class TeamDay:
    """The applications a team received on one day (all its machines and communes)."""

    team: str
    day: dt.date
    applications: int


@dataclass(frozen=True)
class Competitor:
    """A unit that competes; `teams` are the `to` units of its subtree (itself if it is a team)."""

    code: str
    name: str
    teams: frozenset[str]


@dataclass(frozen=True)
class QuotaPart:
    """What one assignment adds to a competitor's quota, and why."""

    assignment: Assignment
    days: int  # working days of the assignment inside the period (for a daily target)
    amount: int


@dataclass(frozen=True)
class DayTotal:
    day: dt.date
    applications: int
    cumulative: int


@dataclass(frozen=True)
class PointLine:
    """One rule's contribution: `rule` names it, `formula` shows the numbers, `points` is exact."""

    rule: str
    formula: str
    points: Fraction


@dataclass(frozen=True)
class Standing:
    code: str
    name: str
    quota: int
    intake: int
    attainment: Fraction | None
    completed_on: dt.date | None
    intake_points: Fraction
    time_points: Fraction
    total: Fraction
    rank: int | None = None
    tie: bool = False
    eligible: bool = False
    prize_rank: int | None = None
    needs_decision: bool = False
    tier: Tier | None = None
    quota_parts: tuple[QuotaPart, ...] = ()
    days: tuple[DayTotal, ...] = ()
    lines: tuple[PointLine, ...] = ()
    setup_error: str | None = None

    @property
    def ranked(self) -> bool:
        return self.rank is not None


@dataclass(frozen=True)
class Standings:
    as_of: dt.date
    rows: tuple[Standing, ...]
    scale: Scale = field(repr=False, default_factory=Scale)

    def by_code(self) -> dict[str, Standing]:
        return {s.code: s for s in self.rows}


def _fraction(value) -> Fraction:
    return Fraction(value) if not isinstance(value, Fraction) else value


RULE_LABELS = {
    "intake": "Điểm thu nhận",
    "bonus": "Điểm thưởng vượt chỉ tiêu",
    "completion": "Điểm hoàn thành đúng hạn",
    "early": "Điểm hoàn thành sớm",
    "time": "Điểm thời gian",
}


def _shown(value: Fraction, places: int = 2) -> str:
    """Return a fraction as Vietnamese decimal text (comma), rounded half up, trailing zeros dropped."""
    scaled = value * 10**places
    whole = math.floor(scaled + Fraction(1, 2))
    sign = "-" if whole < 0 else ""
    digits = str(abs(whole)).rjust(places + 1, "0")
    if not places:
        return sign + digits
    text = f"{digits[:-places]},{digits[-places:]}".rstrip("0").rstrip(",")
    return sign + text


def quota_parts(assignments: Iterable[Assignment], period: Period) -> tuple[QuotaPart, ...]:
    """Return each assignment's part of the quota: its total quota, or daily target × working days in [S, D]."""
    parts = []
    for a in sorted(assignments, key=lambda a: (a.team, a.machine, a.start)):
        days = period.working_days(a.start, a.end)
        amount = a.quota if a.quota is not None else (a.daily_target or 0) * days
        parts.append(QuotaPart(a, days, amount))
    return tuple(parts)


def intake_points(attainment: Fraction, scale: Scale) -> tuple[Fraction, list[PointLine]]:
    """Return the intake points of an attainment R: weight × min(R, 1), plus the bonus above 100%."""
    weight = _fraction(scale.intake_points)
    base = weight * min(attainment, Fraction(1))
    lines = [PointLine("intake", f"{_shown(weight)} × min({_shown(attainment, 4)}; 1)", base)]
    bonus = Fraction(0)
    if attainment > 1:
        step, per_step, cap = (_fraction(scale.bonus_step), _fraction(scale.bonus_points_per_step),
                               _fraction(scale.bonus_max))
        steps = math.floor((attainment - 1) / step)
        bonus = min(cap, steps * per_step)
        lines.append(PointLine("bonus", f"min({_shown(cap)}; ⌊({_shown(attainment, 4)} − 1) / {_shown(step, 4)}⌋ "
                                        f"× {_shown(per_step)}) = min({_shown(cap)}; {steps} × {_shown(per_step)})",
                               bonus))
    return base + bonus, lines


def time_points(completed_on: dt.date | None, deadline: dt.date, scale: Scale) -> tuple[Fraction, list[PointLine]]:
    """Return the time points: nothing without completion; else the completion points and the early days' points."""
    if completed_on is None:
        return Fraction(0), [PointLine("time", "chưa hoàn thành chỉ tiêu", Fraction(0))]
    done = _fraction(scale.completion_points)
    per_day, cap = _fraction(scale.early_points_per_day), _fraction(scale.early_max)
    early_days = (deadline - completed_on).days
    early = min(cap, per_day * early_days)
    return done + early, [
        PointLine("completion", f"hoàn thành ngày {completed_on:%d/%m/%Y}, không muộn hơn hạn {deadline:%d/%m/%Y}",
                  done),
        PointLine("early", f"min({_shown(cap)}; {_shown(per_day)} × {early_days} ngày trước hạn)", early),
    ]


def _measure(competitor: Competitor, parts: tuple[QuotaPart, ...], daily: dict[dt.date, int], period: Period,
             as_of: dt.date, scale: Scale) -> Standing:
    quota = sum(p.amount for p in parts)
    days, cumulative, completed_on = [], 0, None
    for day in sorted(d for d in daily if period.start <= d <= as_of):
        cumulative += daily[day]
        days.append(DayTotal(day, daily[day], cumulative))
        if completed_on is None and quota > 0 and cumulative >= quota:
            completed_on = day
    if quota == 0:
        return Standing(competitor.code, competitor.name, 0, cumulative, None, None, Fraction(0), Fraction(0),
                        Fraction(0), quota_parts=parts, days=tuple(days),
                        setup_error="chưa có chỉ tiêu (không có máy được phân công có chỉ tiêu)")
    attainment = Fraction(cumulative, quota)
    ip, lines = intake_points(attainment, scale)
    tp, more = time_points(completed_on, period.deadline, scale)
    return Standing(competitor.code, competitor.name, quota, cumulative, attainment, completed_on, ip, tp, ip + tp,
                    quota_parts=parts, days=tuple(days), lines=tuple(lines + more))


def _order_key(s: Standing):
    return (-s.total, -s.time_points, -s.attainment)


def _shared_ranks(rows: list[Standing]) -> list[tuple[int, bool]]:
    """Rank rows already in order: equal keys share the rank (1, 2, 2, 4); return (rank, tie) each."""
    ranks = []
    for i, row in enumerate(rows):
        if i and _order_key(row) == _order_key(rows[i - 1]):
            ranks.append((ranks[-1][0], True))
        else:
            ranks.append((i + 1, False))
    # The first of a tied run is a tie too.
    return [(r, tie or (i + 1 < len(ranks) and ranks[i + 1] == (r, True))) for i, (r, tie) in enumerate(ranks)]


def score(*, competitors: Iterable[Competitor], assignments: Iterable[Assignment], intake: Iterable[TeamDay],
          period: Period, scale: Scale, as_of: dt.date, tiers: tuple[Tier, ...] = ()) -> Standings:
    """Return the standings of one group as of a date (capped at the deadline), with prizes when tiers are given.

    The result does not depend on the order of the inputs.
    """
    as_of = min(as_of, period.deadline)
    competitors = sorted(competitors, key=lambda c: c.code)
    by_team: dict[str, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_team[a.team].append(a)
    team_daily: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for row in intake:
        team_daily[row.team][row.day] += row.applications
    measured = []
    for c in competitors:
        parts = quota_parts([a for t in c.teams for a in by_team.get(t, ())], period)
        daily: dict[dt.date, int] = defaultdict(int)
        for t in c.teams:
            for day, n in team_daily.get(t, {}).items():
                daily[day] += n
        measured.append(_measure(c, parts, daily, period, as_of, scale))
    return Standings(as_of, rank(measured, scale, tiers), scale)


def rank(measured: list[Standing], scale: Scale, tiers: tuple[Tier, ...] = ()) -> tuple[Standing, ...]:
    """Order, rank and award measured competitors: ties shared; prizes among the eligible only."""
    ranked = sorted((s for s in measured if s.quota > 0), key=lambda s: (_order_key(s), s.code))
    unranked = sorted((s for s in measured if s.quota == 0), key=lambda s: s.code)
    out = []
    for s, (r, tie) in zip(ranked, _shared_ranks(ranked), strict=True):
        eligible = s.completed_on is not None or not scale.require_completion
        out.append(replace(s, rank=r, tie=tie, eligible=eligible))
    eligible_rows = [s for s in out if s.eligible]
    prize = {s.code: pr for s, (pr, _) in zip(eligible_rows, _shared_ranks(eligible_rows), strict=True)}
    sharing = defaultdict(int)
    for pr in prize.values():
        sharing[pr] += 1
    tier_of = {t.rank: t for t in tiers}
    final = []
    for s in out:
        pr = prize.get(s.code)
        tier = tier_of.get(pr) if pr is not None else None
        final.append(replace(s, prize_rank=pr, tier=tier, needs_decision=tier is not None and sharing[pr] > 1))
    return tuple(final) + tuple(unranked)
