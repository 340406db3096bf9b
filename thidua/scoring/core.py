"""The scoring of docs/scoring.md: frozen inputs in, standings out; exact arithmetic, every point explained.

No framework here. Quantities are integers and `Fraction`s; nothing is rounded until it is shown.
"""

import datetime as dt
import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import NamedTuple

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


class TeamDay(NamedTuple):
    """The applications a team received on one day (all its machines and communes).

    A named tuple rather than a dataclass: a national campaign has ~150,000 of them, built 3× faster.
    """

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


class DayTotal(NamedTuple):
    """A competitor's applications on one day and its cumulative intake up to and including that day."""

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


def day_target(assignments: Iterable[Assignment], day: dt.date, period: Period) -> Fraction:
    """Return the applications expected on one day from the machines held that day: each machine's daily target,
    or its total quota spread evenly over the working days of its assignment — the share of the quota above that
    falls on the day. A non-working day, or one outside the period, expects nothing."""
    if period.working_days(day, day) == 0:
        return Fraction(0)
    total = Fraction(0)
    for a in assignments:
        if not a.start <= day <= a.end:
            continue
        if a.daily_target is not None:
            total += a.daily_target
        elif a.quota:
            total += Fraction(a.quota, period.working_days(a.start, a.end))
    return total


@dataclass(frozen=True)
class _Weights:
    """A scale's values as fractions and as the text of the explanations: the same for every competitor."""

    weight: Fraction
    step: Fraction
    per_step: Fraction
    bonus_cap: Fraction
    done: Fraction
    per_day: Fraction
    early_cap: Fraction
    weight_text: str
    step_text: str
    per_step_text: str
    bonus_cap_text: str
    per_day_text: str
    early_cap_text: str


def _weights_of(scale: Scale) -> _Weights:
    weight, step, per_step, bonus_cap = (_fraction(scale.intake_points), _fraction(scale.bonus_step),
                                         _fraction(scale.bonus_points_per_step), _fraction(scale.bonus_max))
    done, per_day, early_cap = (_fraction(scale.completion_points), _fraction(scale.early_points_per_day),
                                _fraction(scale.early_max))
    return _Weights(weight, step, per_step, bonus_cap, done, per_day, early_cap, _shown(weight), _shown(step, 4),
                    _shown(per_step), _shown(bonus_cap), _shown(per_day), _shown(early_cap))


_cached_weights = functools.lru_cache(maxsize=64)(_weights_of)


def _weights(scale: Scale) -> _Weights:
    """Return a scale's fractions and texts, computed once per scale (a scale is frozen)."""
    try:
        return _cached_weights(scale)
    except TypeError:  # a scale holding an unhashable value: no cache
        return _weights_of(scale)


def intake_points(attainment: Fraction, scale: Scale) -> tuple[Fraction, list[PointLine]]:
    """Return the intake points of an attainment R: weight × min(R, 1), plus the bonus above 100%."""
    w = _weights(scale)
    base = w.weight * min(attainment, Fraction(1))
    shown = _shown(attainment, 4)
    lines = [PointLine("intake", f"{w.weight_text} × min({shown}; 1)", base)]
    bonus = Fraction(0)
    if attainment > 1:
        steps = math.floor((attainment - 1) / w.step)
        bonus = min(w.bonus_cap, steps * w.per_step)
        lines.append(PointLine("bonus", f"min({w.bonus_cap_text}; ⌊({shown} − 1) / {w.step_text}⌋ "
                                        f"× {w.per_step_text}) = min({w.bonus_cap_text}; {steps} × {w.per_step_text})",
                               bonus))
    return base + bonus, lines


def time_points(completed_on: dt.date | None, deadline: dt.date, scale: Scale) -> tuple[Fraction, list[PointLine]]:
    """Return the time points: nothing without completion; else the completion points and the early days' points."""
    if completed_on is None:
        return Fraction(0), [PointLine("time", "chưa hoàn thành chỉ tiêu", Fraction(0))]
    w = _weights(scale)
    early_days = (deadline - completed_on).days
    early = min(w.early_cap, w.per_day * early_days)
    return w.done + early, [
        PointLine("completion", f"hoàn thành ngày {completed_on:%d/%m/%Y}, không muộn hơn hạn {deadline:%d/%m/%Y}",
                  w.done),
        PointLine("early", f"min({w.early_cap_text}; {w.per_day_text} × {early_days} ngày trước hạn)", early),
    ]


def _measure(competitor: Competitor, parts: tuple[QuotaPart, ...], daily: dict[dt.date, int], period: Period,
             as_of: dt.date, scale: Scale, before: tuple[DayTotal, ...] = ()) -> Standing:
    """Measure a competitor; `before`, its days as last measured, whose unchanged days are kept as they are (an act
    changes a day or two: the process then holds a few new objects, not a hundred — issue 12)."""
    quota = sum(p.amount for p in parts)
    days, cumulative, completed_on = [], 0, None
    start, append, kept = period.start, days.append, len(before)
    for i, day in enumerate(sorted(d for d in daily if start <= d <= as_of)):
        n = daily[day]
        cumulative += n
        old = before[i] if i < kept else None
        if old is not None and old[0] == day and old[1] == n and old[2] == cumulative:
            append(old)
        else:
            append(DayTotal(day, n, cumulative))
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
    """Return what orders the standings, the greatest first: total, then time points, then attainment."""
    return (s.total, s.time_points, s.attainment)


class _CodeBackwards:
    """A code that sorts the other way round, so that under a reverse sort equal keys keep the order of their codes."""

    __slots__ = ("code",)

    def __init__(self, code: str):
        self.code = code

    def __lt__(self, other: "_CodeBackwards") -> bool:
        return self.code > other.code


def _in_order(rows: Iterable[Standing]) -> list[Standing]:
    """Return rows by their order key, the greatest first, then by code (its wrapper compared only between equal
    keys): one reverse sort, no fraction negated — a national group is ranked again after every act, its rows mostly
    in the order of before, which the sort sees."""
    return sorted(rows, key=lambda s: (s.total, s.time_points, s.attainment, _CodeBackwards(s.code)), reverse=True)


def _shared_ranks(rows: list[Standing]) -> list[tuple[int, bool]]:
    """Rank rows already in order: equal keys share the rank (1, 2, 2, 4); return (rank, tie) each."""
    ranks = []
    keys = [_order_key(row) for row in rows]
    for i in range(len(rows)):
        if i and keys[i] == keys[i - 1]:
            ranks.append((ranks[-1][0], True))
        else:
            ranks.append((i + 1, False))
    # The first of a tied run is a tie too.
    return [(r, tie or (i + 1 < len(ranks) and ranks[i + 1] == (r, True))) for i, (r, tie) in enumerate(ranks)]


def score(*, competitors: Iterable[Competitor], assignments: Iterable[Assignment], intake: Iterable[TeamDay],
          period: Period, scale: Scale, as_of: dt.date, tiers: tuple[Tier, ...] = (), prizes: bool = True) -> Standings:
    """Return the standings of one group as of a date (capped at the deadline); `prizes=False` ranks for
    information only (no prize ranks, no tiers).

    The result does not depend on the order of the inputs.
    """
    team_daily: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for row in intake:
        team_daily[row.team][row.day] += row.applications
    return score_daily(competitors=competitors, by_team=by_team_of(assignments), team_daily=team_daily,
                       period=period, scale=scale, as_of=as_of, tiers=tiers, prizes=prizes)


def by_team_of(assignments: Iterable[Assignment]) -> dict[str, list[Assignment]]:
    """Return the assignments of each team."""
    by_team: dict[str, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_team[a.team].append(a)
    return by_team


def score_daily(*, competitors: Iterable[Competitor], by_team: dict[str, list[Assignment]],
                team_daily: dict[str, dict[dt.date, int]], period: Period, scale: Scale, as_of: dt.date,
                tiers: tuple[Tier, ...] = (), prizes: bool = True, previous: Standings | None = None,
                changed: frozenset[str] = frozenset()) -> Standings:
    """Return the standings of `score` from each team's applications by day (`team_daily`, only read).

    With `previous` (the standings of the same competitors, assignments and date) and `changed` (the teams whose days
    changed since), only the competitors with a changed team are measured again; the result is the one `score` gives
    (tests/test_scoring_properties.py).
    """
    as_of = min(as_of, period.deadline)
    kept = previous.by_code() if previous is not None and previous.as_of == as_of else {}
    # In the order of the standings before, when there are some: ranking them again is then a nearly sorted list's
    # sort (the order of the input does not change the result).
    place = {code: i for i, code in enumerate(kept)}
    measured = []
    for c in sorted(competitors, key=lambda c: (place.get(c.code, len(place)), c.code)):
        row = kept.get(c.code)
        if row is not None and not (c.teams & changed):
            measured.append(row)
            continue
        parts = quota_parts([a for t in c.teams for a in by_team.get(t, ())], period)
        if row is not None and parts == row.quota_parts:
            parts = row.quota_parts
        if len(c.teams) == 1:  # a single team's days as they are (only read below)
            daily = team_daily.get(next(iter(c.teams)), {})
        else:
            daily = defaultdict(int)
            for t in c.teams:
                for day, n in team_daily.get(t, {}).items():
                    daily[day] += n
        measured.append(_measure(c, parts, daily, period, as_of, scale, row.days if row is not None else ()))
    return Standings(as_of, rank(measured, scale, tiers, prizes), scale)


def rank(measured: list[Standing], scale: Scale, tiers: tuple[Tier, ...] = (), prizes: bool = True
         ) -> tuple[Standing, ...]:
    """Order, rank and award measured competitors: ties shared; prizes among the eligible only (if `prizes`)."""
    ranked = _in_order(s for s in measured if s.quota > 0)
    unranked = sorted((s for s in measured if s.quota == 0), key=lambda s: s.code)
    out = []
    for s, (r, tie) in zip(ranked, _shared_ranks(ranked), strict=True):
        eligible = s.completed_on is not None or not scale.require_completion
        out.append((s, r, tie, eligible))
    eligible_rows = [s for s, _, _, eligible in out if eligible] if prizes else []
    prize = {s.code: pr for s, (pr, _) in zip(eligible_rows, _shared_ranks(eligible_rows), strict=True)}
    sharing = defaultdict(int)
    for pr in prize.values():
        sharing[pr] += 1
    tier_of = {t.rank: t for t in tiers}
    final = []
    for s, r, tie, eligible in out:  # each row with its rank and its prize (a copy, unless it has them already)
        pr = prize.get(s.code)
        tier = tier_of.get(pr) if pr is not None else None
        needs = tier is not None and sharing[pr] > 1
        if (s.rank, s.tie, s.eligible, s.prize_rank, s.tier, s.needs_decision) == (r, tie, eligible, pr, tier, needs):
            final.append(s)  # standings scored again after an act keep most rows as they were
        else:
            final.append(replace(s, rank=r, tie=tie, eligible=eligible, prize_rank=pr, tier=tier,
                                 needs_decision=needs))
    return tuple(final) + tuple(unranked)
