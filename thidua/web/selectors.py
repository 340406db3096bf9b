"""Reads that feed the pages, each with a fixed number of queries whatever the size of the campaign."""

from dataclasses import dataclass

from django.db.models import Count, Sum

from thidua.accounts.scopes import Scope
from thidua.campaigns.models import Campaign
from thidua.intake.models import Assignment, EligiblePopulation, IntakeRecord
from thidua.units.models import Membership, Unit


@dataclass
class UnitRow:
    unit: Unit
    depth: int
    areas: list[str]
    machines: int
    officers: int
    applications: int


def campaigns_visible(user) -> list[Campaign]:
    """Return the campaigns a user may open: theirs, or all for campaign-wide roles without a unit."""
    profile = getattr(user, "profile", None)
    qs = Campaign.objects.all()
    if profile is not None and profile.unit_id is not None:
        qs = qs.filter(pk=profile.unit.campaign_id)
    elif profile is None and not user.is_superuser:
        qs = qs.none()
    return list(qs.annotate(unit_count=Count("units", distinct=True)))


def campaign_overview(campaign: Campaign, scope: Scope) -> dict:
    """Return the part of the campaign's unit tree in the user's scope, with per-unit counts and totals."""
    units = Unit.objects.filter(campaign=campaign)
    if not scope.whole_campaign:
        units = units.filter(id__in=scope.unit_ids)
    units = list(units.select_related("group").prefetch_related("areas").order_by("code"))
    shown = {u.id for u in units}
    machines = dict(Assignment.objects.filter(team__campaign=campaign).values("team_id")
                    .annotate(n=Count("machine", distinct=True)).values_list("team_id", "n"))
    officers = dict(Membership.objects.filter(unit__campaign=campaign, end__isnull=True).values("unit_id")
                    .annotate(n=Count("id")).values_list("unit_id", "n"))
    intake = dict(IntakeRecord.objects.filter(campaign=campaign).values("team_id")
                  .annotate(n=Sum("applications")).values_list("team_id", "n"))
    children: dict = {}
    for u in units:
        # The top of what the user sees hangs at the root, whatever its parent.
        children.setdefault(u.parent_id if u.parent_id in shown else None, []).append(u)
    rows: list[UnitRow] = []

    def walk(parent_id, depth):
        for u in children.get(parent_id, []):
            rows.append(UnitRow(u, depth, [a.name for a in u.areas.all()], machines.get(u.id, 0),
                                officers.get(u.id, 0), intake.get(u.id, 0)))
            walk(u.id, depth + 1)

    walk(None, 0)
    return {
        "rows": rows,
        "total_intake": sum(r.applications for r in rows),
        "eligible": (EligiblePopulation.objects.filter(campaign=campaign).aggregate(n=Sum("people"))["n"] or 0)
        if scope.whole_campaign else None,
        "machine_count": Assignment.objects.filter(team_id__in=shown).values("machine").distinct().count(),
    }
