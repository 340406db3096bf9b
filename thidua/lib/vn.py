"""Vietnamese formats: 10.000.000 đ, 1.234, 12,5%, dd/mm/yyyy."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def number(value: int | Decimal | None, places: int = 0) -> str:
    """Return a number with `.` between thousands and `,` before decimals (rounded half-up)."""
    if value is None:
        return ""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = ".".join(groups) or "0"
    return f"{sign}{text},{frac}" if places else f"{sign}{text}"


def money(value: int | None) -> str:
    """Return an amount of đồng: 10.000.000 đ."""
    return "" if value is None else f"{number(value)} đ"


def percent(value: Decimal | None, places: int = 1) -> str:
    """Return a ratio as a percentage: 0.125 → 12,5%."""
    return "" if value is None else f"{number(Decimal(value) * 100, places)}%"


def date(value: dt.date | None) -> str:
    """Return dd/mm/yyyy."""
    return "" if value is None else f"{value:%d/%m/%Y}"


def rounded(value: Fraction | int | None, places: int) -> Decimal | None:
    """Return an exact value rounded half up to `places` decimals (only ever to show it)."""
    if value is None:
        return None
    value = Fraction(value)
    exact = Decimal(value.numerator) / Decimal(value.denominator) if value.denominator != 1 else Decimal(
        value.numerator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def points(value: Fraction | None) -> str:
    """Return points with two decimals: 72,50."""
    return "" if value is None else number(rounded(value, 2), 2)


def ratio(value: Fraction | None) -> str:
    """Return an attainment as a percentage with two decimals, rounded once like the JSON's four: 110,34%."""
    return "" if value is None else percent(rounded(value, 4), 2)
