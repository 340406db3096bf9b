"""Reads of the end of a campaign: snapshots, ties waiting for the council, the awards as ruled."""

import datetime as dt
from dataclasses import dataclass

from thidua.campaigns.models import Campaign
from thidua.intake.models import DailyReport, IntakeRecord, ReportStatus
from thidua.standings.selectors import campaign_standings

from .models import Snapshot, TieRuling


def latest_snapshot(campaign: Campaign) -> Snapshot | None:
    """Return the campaign's newest frozen standings, or None before it is scored."""
    return Snapshot.objects.filter(campaign=campaign).order_by("-version").first()


def unverified_at_deadline(campaign: Campaign) -> int:
    """Return how many counted team-days to the deadline their district has not verified."""
    return campaign_standings(campaign, campaign.deadline).unverified


def unverified_team_days(campaign: Campaign, limit: int = 200) -> list[tuple[str, str, dt.date, str]]:
    """Return (team code, team name, day, report status) of the counted team-days to the deadline not verified, oldest
    first, at most `limit` (two queries)."""
    verified = set(DailyReport.objects.filter(campaign=campaign, status=ReportStatus.VERIFIED,
                                              day__lte=campaign.deadline).values_list("team_id", "day"))
    statuses = dict(((team, day), status) for team, day, status in DailyReport.objects.filter(
        campaign=campaign, day__lte=campaign.deadline).values_list("team_id", "day", "status"))
    found = []
    for team, code, name, day in (IntakeRecord.objects.filter(campaign=campaign, day__lte=campaign.deadline)
                                  .values_list("team_id", "team__code", "team__name", "day").distinct()
                                  .order_by("day", "team__code")):
        if (team, day) not in verified:
            found.append((code, name, day, statuses.get((team, day), ReportStatus.DRAFT)))
            if len(found) >= limit:
                break
    return found


def _ties(payload: dict) -> list[tuple[str, int, list[str]]]:
    """Return (group, prize rank, unit codes) of each prize rank shared by competitors marked needs_decision."""
    found: dict[tuple[str, int], list[str]] = {}
    for group in payload["groups"]:
        for row in group["standings"]:
            if row["needs_decision"]:
                found.setdefault((group["code"], row["prize_rank"]), []).append(row["unit"])
    return [(g, p, units) for (g, p), units in found.items()]


def open_ties(campaign: Campaign, *, include_ruled: bool = False) -> list[tuple[str, int, list[str]]]:
    """Return the ties of the latest snapshot the council has not ruled on (all of them with include_ruled)."""
    snapshot = latest_snapshot(campaign)
    if snapshot is None:
        return []
    ties = _ties(snapshot.payload())
    if include_ruled:
        return ties
    ruled = set(TieRuling.objects.filter(snapshot=snapshot).values_list("group", "prize_rank"))
    return [t for t in ties if (t[0], t[1]) not in ruled]


@dataclass(frozen=True)
class Prize:
    """A prize-winning competitor as ruled: its tier and what goes with it."""

    group: str
    unit: str
    name: str
    tier: int
    collective: str
    cash_vnd: int
    individuals: int
    bonus_points: int
    needs_decision: bool  # still waiting for the council's ruling
    ruled: bool  # its tier follows a ruling of the council


def prizes(campaign: Campaign, snapshot: Snapshot | None = None) -> list[Prize]:
    """Return the prize winners of a snapshot (the latest by default), with the council's rulings applied.

    A ruling orders the competitors that shared prize rank p: the first takes tier p, the next p + 1, … while the
    group has such a tier.
    """
    snapshot = snapshot or latest_snapshot(campaign)
    if snapshot is None:
        return []
    payload = snapshot.payload()
    tiers = {g.code: {t.rank: t for t in g.tiers} for g in campaign.config.groups}
    rulings = {(r.group, r.prize_rank): r.order for r in TieRuling.objects.filter(snapshot=snapshot)}
    found = []
    for group in payload["groups"]:
        rows = {row["unit"]: row for row in group["standings"]}
        for row in group["standings"]:
            award = row["award"]
            if award is None:
                continue
            order = rulings.get((group["code"], row["prize_rank"])) if row["needs_decision"] else None
            if order is not None:
                tier = tiers[group["code"]].get(row["prize_rank"] + order.index(row["unit"]))
                if tier is None:
                    continue
                found.append(Prize(group["code"], row["unit"], rows[row["unit"]]["name"], tier.rank, tier.collective,
                                   tier.cash_vnd, tier.individuals, tier.bonus_points, False, True))
            else:
                tier = tiers[group["code"]][award["tier"]]
                found.append(Prize(group["code"], row["unit"], row["name"], tier.rank, tier.collective,
                                   tier.cash_vnd, tier.individuals, tier.bonus_points, row["needs_decision"], False))
    return sorted(found, key=lambda p: (p.group, p.tier, p.unit))
