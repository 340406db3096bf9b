"""Awards from the standings: per prize tier the certificate, the prize, the nominations, the bonus points,
the statutory cash of each Bằng khen, and the campaign's total reward budget."""

from dataclasses import dataclass

from .core import Standings
from .rules import Statutory


@dataclass(frozen=True)
class Award:
    group: str
    unit: str
    name: str
    tier: int
    collective: str
    cash_vnd: int
    individuals: int
    bonus_points: int
    statutory_collective_vnd: int
    statutory_individuals_vnd: int
    needs_decision: bool

    @property
    def total_vnd(self) -> int:
        return self.cash_vnd + self.statutory_collective_vnd + self.statutory_individuals_vnd


@dataclass(frozen=True)
class Nomination:
    """A group decided by nomination (no score): how many collectives and individuals it may propose."""

    group: str
    name: str
    collectives: int
    individuals: int
    statutory_vnd: int


@dataclass(frozen=True)
class Budget:
    awards: tuple[Award, ...]
    nominations: tuple[Nomination, ...]
    statutory: Statutory | None

    @property
    def prizes_vnd(self) -> int:
        return sum(a.cash_vnd for a in self.awards)

    @property
    def statutory_vnd(self) -> int:
        return (sum(a.statutory_collective_vnd + a.statutory_individuals_vnd for a in self.awards)
                + sum(n.statutory_vnd for n in self.nominations))

    @property
    def total_vnd(self) -> int:
        return self.prizes_vnd + self.statutory_vnd

    @property
    def tentative(self) -> bool:
        """Say whether ties wait for the council: the budget then counts every tentative award."""
        return any(a.needs_decision for a in self.awards)


def awards_from(standings: dict[str, Standings], statutory: Statutory | None,
                nominations: tuple[tuple[str, str, int, int], ...] = ()) -> Budget:
    """Return the awards of scored groups' standings and the budget with the nominations of the other groups.

    `standings` maps a group code to its standings; `nominations` lists (group code, name, collectives,
    individuals) of the nomination groups.
    """
    collective = statutory.collective_vnd if statutory else 0
    individual = statutory.individual_vnd if statutory else 0
    awards = []
    for group, table in standings.items():
        for s in table.rows:
            if s.tier is None:
                continue
            t = s.tier
            awards.append(Award(group, s.code, s.name, t.rank, t.collective, t.cash_vnd, t.individuals, t.bonus_points,
                                collective, t.individuals * individual, s.needs_decision))
    noms = tuple(Nomination(code, name, c, i, c * collective + i * individual) for code, name, c, i in nominations)
    return Budget(tuple(awards), noms, statutory)
