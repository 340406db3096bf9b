"""Vietnamese formats: 10.000.000 đ, 1.234, 12,5%, dd/mm/yyyy."""

import datetime as dt
import re
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


_DMY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def date_parts(text: str) -> tuple[int, int, int] | None:
    """Return (year, month, day) of a text written `dd/mm/yyyy` or `yyyy-mm-dd`, or None (not checked as a day)."""
    text = text.strip()
    if m := _DMY.fullmatch(text):
        day, month, year = m.groups()
    elif m := _YMD.fullmatch(text):
        year, month, day = m.groups()
    else:
        return None
    return int(year), int(month), int(day)


def parse_date(text: str) -> dt.date:
    """Return the date written `dd/mm/yyyy` (as typed and shown everywhere) or `yyyy-mm-dd` (in addresses).

    Raise ValueError when the text is neither, or names a day that does not exist (31/02/2021).
    """
    parts = date_parts(text)
    if parts is None:
        raise ValueError(text)
    return dt.date(*parts)


def date(value: dt.date | None) -> str:
    """Return dd/mm/yyyy."""
    return "" if value is None else f"{value:%d/%m/%Y}"


PRIZE_RANKS = {1: "Nhất", 2: "Nhì", 3: "Ba"}


def prize(rank: int | None) -> str:
    """Return a prize rank as the plan writes it: Hạng Nhất, Hạng Nhì, Hạng Ba (Hạng 4 beyond)."""
    return "" if rank is None else f"Hạng {PRIZE_RANKS.get(rank, rank)}"


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
