"""The parameters of the scale and of the awards: frozen values, every one a setting of the campaign.

The defaults are the scale of docs/scoring.md; the award tiers and the statutory amounts have no default
(they come from the campaign's plan and from the decree in force).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Scale:
    """The scoring scale (thang điểm)."""

    intake_points: Decimal = Decimal(70)  # × min(attainment, 1)
    bonus_step: Decimal = Decimal("0.05")  # one bonus step for each full 5% above 100%…
    bonus_points_per_step: Decimal = Decimal(1)
    bonus_max: Decimal = Decimal(10)  # …at most 10 points
    completion_points: Decimal = Decimal(10)  # completed by the deadline
    early_points_per_day: Decimal = Decimal("0.5")  # per day between completion and deadline…
    early_max: Decimal = Decimal(20)  # …at most 20 points
    require_completion: bool = True  # eligible for a prize only when completed by the deadline

    @property
    def maximum(self) -> Decimal:
        """Return the highest total the scale can give."""
        return self.intake_points + self.bonus_max + self.completion_points + self.early_max


@dataclass(frozen=True)
class Tier:
    """A prize tier of a scored group: what prize rank `rank` brings."""

    rank: int
    collective: str  # the collective's certificate, e.g. Bằng khen of the provincial chairman
    cash_vnd: int
    individuals: int  # individuals the collective may nominate for the Bằng khen
    bonus_points: int = 0  # socio-economic emulation points added to the district


@dataclass(frozen=True)
class Statutory:
    """The cash that goes with each Bằng khen by law: coefficient × base salary (Nghị định 91/2017/NĐ-CP)."""

    base_salary_vnd: int
    individual_coefficient: Decimal
    collective_coefficient: Decimal
    reference: str = ""

    @property
    def individual_vnd(self) -> int:
        return round_vnd(self.individual_coefficient * self.base_salary_vnd)

    @property
    def collective_vnd(self) -> int:
        return round_vnd(self.collective_coefficient * self.base_salary_vnd)


def round_vnd(amount: Decimal) -> int:
    """Round an amount of đồng to a whole đồng, half up."""
    return int(amount.to_integral_value(rounding="ROUND_HALF_UP"))


@dataclass(frozen=True)
class Period:
    """The campaign's period: start S and deadline D (both inclusive) and its non-working days."""

    start: dt.date
    deadline: dt.date
    non_working_days: frozenset[dt.date] = field(default_factory=frozenset)

    def working_days(self, first: dt.date, last: dt.date) -> int:
        """Return the number of days of [first, last] inside the period, less its non-working days."""
        first, last = max(first, self.start), min(last, self.deadline)
        if last < first:
            return 0
        off = sum(1 for d in self.non_working_days if first <= d <= last)
        return (last - first).days + 1 - off
