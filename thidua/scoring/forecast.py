"""The forecast of docs/monitoring.md: who will be late at today's pace, what pace each needs, who may overtake whom.

No framework here, as in `core`: dates are calendar days, quantities integers and `Fraction`s, nothing rounded until
it is shown. Inputs are the day-by-day intake of a competitor (a team, a commune) and its quota.
"""

import bisect
import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction

from . import core
from .rules import Period, Scale, Tier

DAY = dt.timedelta(days=1)
HORIZON_DAYS = 366  # a projection further than this past the deadline is none


def window(start: dt.date, as_of: dt.date, window_days: int) -> tuple[dt.date, int]:
    """Return the first day and the length `w = min(window_days, E − S + 1)` of the pace's window ending on `as_of`."""
    w = min(window_days, (as_of - start).days + 1)
    return as_of - (w - 1) * DAY, w


def pace(daily: Mapping[dt.date, int], start: dt.date, as_of: dt.date, window_days: int) -> Fraction:
    """Return the pace `P`: the intake of the window's days divided by its length (applications a day)."""
    first, w = window(start, as_of, window_days)
    return Fraction(sum(n for day, n in daily.items() if first <= day <= as_of), w)


def projected(remaining: int, rate: Fraction, as_of: dt.date, deadline: dt.date) -> dt.date | None:
    """Return `E + ⌈W / rate⌉`, or none when the rate is nil or the date lies past `D + 366` days."""
    if remaining <= 0:
        return as_of
    if rate <= 0:
        return None
    days = math.ceil(Fraction(remaining) / rate)
    if days > (deadline - as_of).days + HORIZON_DAYS:
        return None
    return as_of + days * DAY


UNREACHABLE = "unreachable"  # the required pace when work is left on the deadline itself


@dataclass(frozen=True)
class Forecast:
    """One competitor's (team's, commune's) forecast as of `as_of`: every value of monitoring.md, exact.

    For a competitor without a quota (not ranked) every forecast value is none and there is no flag.
    """

    code: str
    name: str
    quota: int
    intake: int
    completed_on: dt.date | None
    remaining: int | None
    pace: Fraction | None
    required_pace: Fraction | str | None  # None when nothing is left; UNREACHABLE on the deadline
    projected_on: dt.date | None
    band: tuple[dt.date | None, dt.date | None]
    at_risk: bool
    watch: bool
    reason: str
    rank: int | None = None
    to_overtake: int | None = None

    @property
    def flagged(self) -> bool:
        return self.at_risk or self.watch


def blocks(start: dt.date, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Return the 7-day blocks ending on E, E − 7, E − 14, E − 21 that lie wholly inside [S, E], as (first, last)."""
    ends = (as_of - back * DAY for back in (0, 7, 14, 21))
    return [(last - 6 * DAY, last) for last in ends if last - 6 * DAY >= start]


def forecast(*, code: str, name: str, quota: int, daily: Mapping[dt.date, int], start: dt.date, deadline: dt.date,
             as_of: dt.date, window_days: int, watch_days: int, completed_on: dt.date | None = None,
             rank: int | None = None, noun: str = "hồ sơ") -> Forecast:
    """Return the forecast of one competitor (or team, or commune) from its intake day by day.

    `daily` may hold days outside [S, E]: they are not counted. `completed_on` is the day its cumulative intake
    first reached the quota (computed here when not given). `noun` names what is counted in the reason.
    """
    # Applications up to each day of [S, E], so that every window's sum is one subtraction.
    per_day = [0] * ((as_of - start).days + 1)
    for day, n in daily.items():
        if start <= day <= as_of:
            per_day[(day - start).days] += n
    upto = list(itertools.accumulate(per_day, initial=0))

    def between(first: dt.date, last: dt.date) -> int:
        return upto[(last - start).days + 1] - upto[(first - start).days]

    intake = upto[-1]
    if completed_on is None and quota > 0 and intake >= quota:
        completed_on = start + bisect.bisect_left(upto, quota, 1) * DAY - DAY
    return forecast_from_totals(
        code=code, name=name, quota=quota, intake=intake, window_intake=between(window(start, as_of, window_days)[0],
                                                                                as_of),
        block_intakes=[between(first, last) for first, last in blocks(start, as_of)], completed_on=completed_on,
        start=start, deadline=deadline, as_of=as_of, window_days=window_days, watch_days=watch_days, rank=rank,
        noun=noun)


def forecast_from_totals(*, code: str, name: str, quota: int, intake: int, window_intake: int,
                         block_intakes: list[int], completed_on: dt.date | None, start: dt.date, deadline: dt.date,
                         as_of: dt.date, window_days: int, watch_days: int, rank: int | None = None,
                         noun: str = "hồ sơ") -> Forecast:
    """Return the forecast from the totals it needs: the intake up to E, that of the pace's window, those of the
    `blocks` inside [S, E] (in their order), and the completion day (when the intake reached the quota). What a
    database can sum for many units at once without sending each day."""
    if quota <= 0:
        return Forecast(code, name, 0, intake, None, None, None, None, None, (None, None), False, False,
                        "Chưa có chỉ tiêu: không dự báo.", rank)
    remaining = max(0, quota - intake)
    w = window(start, as_of, window_days)[1]
    rate = Fraction(window_intake, w)
    if remaining == 0:
        return Forecast(code, name, quota, intake, completed_on, 0, rate, None, completed_on,
                        (completed_on, completed_on), False, False,
                        f"Đã hoàn thành ngày {completed_on:%d/%m/%Y}.", rank)
    left = (deadline - as_of).days
    required = Fraction(remaining, left) if left > 0 else UNREACHABLE
    on = projected(remaining, rate, as_of, deadline)
    paces = [Fraction(n, 7) for n in block_intakes]
    band = ((projected(remaining, max(paces), as_of, deadline), projected(remaining, min(paces), as_of, deadline))
            if paces else (None, None))
    at_risk = on is None or on > deadline
    watch = not at_risk and (deadline - watch_days * DAY) <= on <= deadline
    reason = _reason(remaining=remaining, rate=rate, required=required, on=on, deadline=deadline,
                     window_length=w, at_risk=at_risk, watch=watch, noun=noun)
    return Forecast(code, name, quota, intake, completed_on, remaining, rate, required, on, band, at_risk, watch,
                    reason, rank)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _rate(value: Fraction) -> str:
    """Return a pace as shown: two decimals half up, Vietnamese comma, trailing zeros kept off."""
    text = fixed(value, 2)
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return _number(int(whole)) + (f",{frac}" if frac else "")


def _reason(*, remaining: int, rate: Fraction, required, on: dt.date | None, deadline: dt.date, window_length: int,
            at_risk: bool, watch: bool, noun: str) -> str:
    """Say in one Vietnamese sentence, with the numbers, why a competitor is flagged (or how it stands)."""
    left = f"Còn {_number(remaining)} {noun}"
    need = (f"; cần {_rate(required)} {noun}/ngày để kịp hạn {deadline:%d/%m/%Y}" if required != UNREACHABLE
            else f"; đã đến hạn {deadline:%d/%m/%Y}")
    if rate == 0:
        return f"{left} mà {window_length} ngày qua không thu nhận được {noun} nào{need}."
    speed = f"với tốc độ {window_length} ngày qua ({_rate(rate)} {noun}/ngày)"
    if on is None:
        return f"{left}: {speed} không hoàn thành trong vòng một năm sau hạn{need}."
    if at_risk:
        late = (on - deadline).days
        return f"{left}: {speed} dự kiến xong ngày {on:%d/%m/%Y}, trễ {late} ngày so với hạn{need}."
    early = (deadline - on).days
    if watch:
        return (f"{left}: {speed} dự kiến xong ngày {on:%d/%m/%Y}, chỉ {early} ngày trước hạn "
                f"{deadline:%d/%m/%Y}{need}.")
    return f"{left}: {speed} dự kiến xong ngày {on:%d/%m/%Y}, trước hạn {early} ngày."


def fixed(value: Fraction, places: int) -> str:
    """Return an exact non-negative value rounded half up to `places` decimals, with a point: "123.45"."""
    scaled = math.floor(Fraction(value) * 10**places + Fraction(1, 2))
    digits = str(scaled).rjust(places + 1, "0")
    return f"{digits[:-places]}.{digits[-places:]}" if places else digits


def forecast_standings(standings: core.Standings, period: Period, *, window_days: int, watch_days: int,
                       memo: dict | None = None) -> tuple[Forecast, ...]:
    """Return the forecast of every row of a group's (or the teams') standings as of their date, in their order,
    each with its rank and what it would need to overtake the rank just above it.

    `memo`, when given, keeps what was computed for each row, to reuse while the row is the same: a row whose days are
    the very tuple seen before (the standings brought up to date after an act keep the rows it did not touch), a
    "to overtake" whose row and rank above have the same keys. The caller keeps one memo per standings' date and
    settings; it holds one entry per row and kind.
    """
    as_of = standings.as_of
    above = _rows_above(standings)
    memo = {} if memo is None else memo
    found = []
    for row in standings.rows:
        seen = memo.get(("forecast", row.code))
        if seen is not None and seen[0] is row.days and seen[1] == (row.quota, row.completed_on):
            f = seen[2]
        else:
            daily = {d.day: d.applications for d in row.days}
            f = forecast(code=row.code, name=row.name, quota=row.quota, daily=daily, start=period.start,
                         deadline=period.deadline, as_of=as_of, window_days=window_days, watch_days=watch_days,
                         completed_on=row.completed_on)
            memo[("forecast", row.code)] = (row.days, (row.quota, row.completed_on), f)
        overtake = None
        if row.rank is not None and row.rank in above:
            up = above[row.rank]
            key = (row.intake, row.quota, row.completed_on, up.total, up.time_points, up.attainment)
            seen = memo.get(("overtake", row.code))
            if seen is not None and seen[0] == key:
                overtake = seen[1]
            else:
                overtake = _overtake(row, up, as_of, period, standings.scale)
                memo[("overtake", row.code)] = (key, overtake)
        if (f.rank, f.to_overtake) != (row.rank, overtake):
            f = replace(f, rank=row.rank, to_overtake=overtake)
            memo[("forecast", row.code)] = (row.days, (row.quota, row.completed_on), f)  # the next one keeps it
        found.append(f)
    return tuple(found)


def _key_with(row: core.Standing, extra: int, as_of: dt.date, period: Period, scale: Scale):
    """Return the ranking key (total, time points, attainment) of a row had it received `extra` more applications
    on `as_of` (its completion day becoming `as_of` if they make it reach its quota).

    The points of `core.intake_points` and `core.time_points`, without their explanations' text (this is asked
    a dozen times per competitor); tests/test_forecast_core.py checks the result against the scoring core.
    """
    w = core._weights(scale)
    intake = row.intake + extra
    attainment = Fraction(intake, row.quota)
    points = w.weight * min(attainment, 1)
    if attainment > 1:
        points += min(w.bonus_cap, math.floor((attainment - 1) / w.step) * w.per_step)
    completed_on = row.completed_on if row.completed_on is not None else (as_of if intake >= row.quota else None)
    time = Fraction(0)
    if completed_on is not None:
        time = w.done + min(w.early_cap, w.per_day * (period.deadline - completed_on).days)
    return (points + time, time, attainment)


def _saturation(scale: Scale) -> Fraction:
    """Return the attainment past which more intake adds no point (the bonus is capped)."""
    step, per_step, cap = Fraction(scale.bonus_step), Fraction(scale.bonus_points_per_step), Fraction(scale.bonus_max)
    steps = math.ceil(cap / per_step) if per_step > 0 else 0
    return 1 + steps * step


def _rows_above(standings: core.Standings) -> dict[int, core.Standing]:
    """Return, for each rank but the first, a row of the rank just above it (all rows of a rank share its key)."""
    first_of: dict[int, core.Standing] = {}
    for row in standings.rows:
        if row.rank is not None:
            first_of.setdefault(row.rank, row)
    ranks = sorted(first_of)
    return {rank: first_of[above] for above, rank in itertools.pairwise(ranks)}


def to_overtake(standings: core.Standings, code: str, period: Period,
                above: dict[int, core.Standing] | None = None) -> int | None:
    """Return the fewest applications a ranked row would need on the standings' date to rank strictly above the rank
    just above it (everyone else as they are); none for rank 1, an unranked row, or when no number can do it.
    `above` is `_rows_above(standings)`, computed once for a whole table.

    The key only grows with more applications (points never fall, attainment rises), so the smallest number is
    found by bisection between 1 and a number past which nothing but the attainment can still change.
    """
    row = next((r for r in standings.rows if r.code == code), None)
    above = (_rows_above(standings) if above is None else above).get(row.rank) if row and row.rank else None
    return None if above is None else _overtake(row, above, standings.as_of, period, standings.scale)


def _overtake(row: core.Standing, above: core.Standing, as_of: dt.date, period: Period, scale: Scale) -> int | None:
    target = (above.total, above.time_points, above.attainment)

    def beats(extra: int) -> bool:
        return _key_with(row, extra, as_of, period, scale) > target

    # The answer is the one x ≥ 1 that beats the target while x − 1 does not (or x = 1): a guess that passes this
    # check is the answer, found with two keys instead of a bisection's dozen or more.
    for guess in _guesses(row, above, as_of, period, scale):
        if guess >= 1 and beats(guess) and (guess == 1 or not beats(guess - 1)):
            return guess
    ceiling = max(_saturation(scale), above.attainment)
    high = max(1, math.floor(ceiling * row.quota) - row.intake + 1)
    if not beats(high):
        return None
    low = 1
    while low < high:
        mid = (low + high) // 2
        if beats(mid):
            high = mid
        else:
            low = mid + 1
    return low


def _guesses(row: core.Standing, above: core.Standing, as_of: dt.date, period: Period, scale: Scale) -> list[int]:
    """Return the numbers at which the key of `row` can first pass that of `above`: where its intake points alone
    pass the total above (below the quota), where it reaches its quota (time points), where one more bonus step
    passes it, and where its attainment passes that above (the totals being equal)."""
    w = core._weights(scale)
    quota, intake = row.quota, row.intake
    found = []
    if row.completed_on is None:
        if w.weight > 0:  # weight × I / quota > total above
            found.append(math.floor(above.total * quota / w.weight) + 1 - intake)
        found.append(quota - intake)
        completed_on = as_of
    else:
        completed_on = row.completed_on
    time = w.done + min(w.early_cap, w.per_day * (period.deadline - completed_on).days)
    if w.per_step > 0 and w.step > 0:  # the fewest bonus steps k with weight + k × per_step + time > total above
        k = max(0, math.floor((above.total - w.weight - time) / w.per_step) + 1)
        if k * w.per_step <= w.bonus_cap:
            found.append(math.ceil(quota * (1 + k * w.step)) - intake)
    found.append(math.floor(above.attainment * quota) + 1 - intake)
    return sorted(set(found))


def projected_final(standings: core.Standings, forecasts: Iterable[Forecast], period: Period,
                    tiers: tuple[Tier, ...] = (), prizes: bool = True, memo: dict | None = None) -> core.Standings:
    """Return the standings as of the deadline if each competitor kept its pace from the forecast's date on:
    `I(D) = I(E) + ⌊P × (D − E)⌋`, completed on its projected completion (none if after the deadline).
    `memo` as for `forecast_standings`: a row measured once while its intake, quota, pace and projection stay."""
    by_code = {f.code: f for f in forecasts}
    as_of, deadline, scale = standings.as_of, period.deadline, standings.scale
    memo = {} if memo is None else memo
    measured = []
    for row in standings.rows:
        f = by_code[row.code]
        if row.quota <= 0:
            measured.append(replace(row, rank=None, tie=False, eligible=False, prize_rank=None, tier=None,
                                    needs_decision=False))
            continue
        key = (row.intake, row.quota, f.pace, f.projected_on, row.name)
        seen = memo.get(("final", row.code))
        if seen is not None and seen[0] == key:
            measured.append(seen[1])
            continue
        intake = row.intake + math.floor(f.pace * (deadline - as_of).days)
        completed_on = f.projected_on if f.projected_on is not None and f.projected_on <= deadline else None
        attainment = Fraction(intake, row.quota)
        ip, lines = core.intake_points(attainment, scale)
        tp, more = core.time_points(completed_on, deadline, scale)
        final = core.Standing(row.code, row.name, row.quota, intake, attainment, completed_on, ip, tp, ip + tp,
                              quota_parts=row.quota_parts, lines=tuple(lines + more))
        memo[("final", row.code)] = (key, final)
        measured.append(final)
    # In the order of the projected standings of before (the rank's sort then mostly confirms it): the same result
    # in any order, sooner.
    before = memo.get(("order",))
    if before:
        measured.sort(key=lambda s: before.get(s.code, len(before)))
    ranked = core.rank(measured, scale, tiers, prizes)
    memo[("order",)] = {s.code: i for i, s in enumerate(ranked)}
    return core.Standings(deadline, ranked, scale)
