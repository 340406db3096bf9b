"""What each unit and each person receives, and the campaign's total (documents.md): the prize cash of each
prize-winning collective and the statutory cash of each Bằng khen, all from the campaign's settings."""

from dataclasses import dataclass

from django.db.models import Q

from thidua.campaigns.models import Campaign
from thidua.lib import vn
from thidua.units.models import Membership

from .models import ACTIVE_NOMINATION, Nomination, NominationKind, NominationStatus, Snapshot
from .selectors import prizes


@dataclass(frozen=True)
class Line:
    kind: str  # NominationKind: collective or individual
    name: str  # the unit's name, or the officer's full name
    code: str  # the unit's or the officer's code
    rank: str  # the officer's rank and position ("" for a collective)
    unit: str  # the officer's unit's name (the collective's own name)
    title: str  # what the reward is for: "Hạng Nhất — Công an cấp huyện", "Cấp tỉnh"
    prize_vnd: int
    statutory_vnd: int
    nomination_id: int | None = None
    nominator: str = ""  # the code of the unit that proposed it (the prize winner itself for its collective award)

    @property
    def total_vnd(self) -> int:
        return self.prize_vnd + self.statutory_vnd


@dataclass(frozen=True)
class Money:
    collectives: tuple[Line, ...]
    individuals: tuple[Line, ...]
    tentative: bool  # some prize waits for the council's ruling: not counted

    @property
    def prizes_vnd(self) -> int:
        return sum(line.prize_vnd for line in (*self.collectives, *self.individuals))

    @property
    def statutory_vnd(self) -> int:
        return sum(line.statutory_vnd for line in (*self.collectives, *self.individuals))

    @property
    def total_vnd(self) -> int:
        return self.prizes_vnd + self.statutory_vnd


def officer_units(campaign: Campaign, officer_ids) -> dict[int, str]:
    """Return each officer's unit name at the end of the campaign (the last membership that began by then)."""
    found: dict[int, str] = {}
    for officer, name in (Membership.objects.filter(officer_id__in=officer_ids, start__lte=campaign.deadline)
                          .filter(Q(end__isnull=True) | Q(end__gte=campaign.start))
                          .order_by("officer_id", "start").values_list("officer_id", "unit__name")):
        found[officer] = name
    return found


def money(campaign: Campaign, *, snapshot: Snapshot | None = None, approved_only: bool = True) -> Money:
    """Return who receives what. With approved_only, only nominations the council approved count; otherwise every
    nomination still in the flow (proposed, accepted, approved) — the Tờ trình's proposals."""
    config = campaign.config
    statutory = config.statutory
    collective_vnd = statutory.collective_vnd if statutory else 0
    individual_vnd = statutory.individual_vnd if statutory else 0
    group_names = {g.code: g.name for g in config.groups}
    collectives, tentative = [], False
    for p in prizes(campaign, snapshot):
        if p.needs_decision:
            tentative = True
            continue
        collectives.append(Line(NominationKind.COLLECTIVE, p.name, p.unit, "", p.name,
                                f"{vn.prize(p.tier)} — {group_names.get(p.group, p.group)}", p.cash_vnd,
                                collective_vnd, nominator=p.unit))
    statuses = (NominationStatus.APPROVED,) if approved_only else ACTIVE_NOMINATION
    nominations = list(Nomination.objects.filter(campaign=campaign, status__in=statuses)
                       .select_related("officer", "unit", "nominating_unit").order_by("level", "id"))
    for n in nominations:
        if n.kind == NominationKind.COLLECTIVE:
            collectives.append(Line(NominationKind.COLLECTIVE, n.unit.name, n.unit.code, "", n.unit.name,
                                    group_names.get(n.group, n.group), 0, collective_vnd, n.id, n.nominating_unit.code))
    units = officer_units(campaign, [n.officer_id for n in nominations if n.officer_id])
    individuals = []
    for n in nominations:
        if n.kind == NominationKind.INDIVIDUAL:
            o = n.officer
            rank = ", ".join(x for x in (o.rank, o.position) if x)
            individuals.append(Line(NominationKind.INDIVIDUAL, o.full_name, o.code, rank, units.get(o.id, ""),
                                    group_names.get(n.group, n.group), 0, individual_vnd, n.id,
                                    n.nominating_unit.code))
    return Money(tuple(collectives), tuple(individuals), tentative)
