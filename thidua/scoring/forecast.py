"""The forecast of docs/monitoring.md: who will be late at today's pace, what pace each needs, who may overtake whom.

No framework here, as in `core`: dates are calendar days, quantities integers and `Fraction`s, nothing rounded until
it is shown. Inputs are the day-by-day intake of a competitor (a team, a commune) and its quota.
"""

import datetime as dt
import math
from collections.abc import Mapping
from fractions import Fraction

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
