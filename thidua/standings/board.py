"""The operations room's board: the live standings, the province's totals, the teams whose report of today is
missing, and the version of the data they were read from.

The board polls for news every few seconds all day long: `board_version` answers "has anything changed?" from the
campaign's own row and the end of the history, in one query. Every write of what the board reads (intake, reports,
units, machines, the campaign's settings and status) is an act sealed into the history's chain, which moves its head
(thidua/audit/chain.py); the day is part of the version too, so that "today" moves at midnight.
"""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Subquery

from thidua.accounts.scopes import Scope
from thidua.audit.models import ChainHead, ChangeSet
from thidua.campaigns.models import Campaign
from thidua.intake.models import DailyReport, ReportStatus

from .selectors import CampaignStandings, GroupStandings, campaign_standings


def campaigns_with_head():
    """Return the campaigns, each annotated with the end of the history (`head_seq`, `head_hash`): one query."""
    head = ChainHead.objects.filter(pk=1)
    return Campaign.objects.annotate(head_seq=Subquery(head.values("last_seq")),
                                     head_hash=Subquery(head.values("last_hash")))


def board_version(campaign: Campaign, today: dt.date) -> str:
    """Return the version of what the board shows: the day, the end of the history when the campaign was read
    (`campaigns_with_head`) and the campaign's settings."""
    seq = campaign.head_seq or 0
    digest = (campaign.head_hash or "0")[:16]
    return f"{today:%Y%m%d}-{seq}-{digest}-{campaign.updated_at:%Y%m%d%H%M%S%f}"


@dataclass(frozen=True)
class Totals:
    """The province's figures: every team's intake and quota (the teams of no competitor included)."""

    day: dt.date
    day_intake: int
    intake: int
    quota: int

    @property
    def attainment(self) -> Fraction | None:
        return Fraction(self.intake, self.quota) if self.quota else None

    @property
    def progress(self) -> str:
        """Return the attainment capped at 1 as a decimal text, for a progress bar (never shown as a number)."""
        share = min(self.attainment or Fraction(0), Fraction(1))
        return f"{float(share):.4f}"


@dataclass(frozen=True)
class MissingTeams:
    """The teams in the viewer's scope holding a machine today whose report of today is not sent."""

    count: int
    due: int
    by_district: tuple[tuple[str, tuple[str, ...]], ...]  # (district's name, its teams' names), by district code


@dataclass(frozen=True)
class Board:
    result: CampaignStandings
    today: dt.date
    totals: Totals
    missing: MissingTeams | None  # None when no report is due today (before the start, after the deadline, closed)
    updated_at: dt.datetime | None  # the moment of the campaign's latest act

    @property
    def groups(self) -> tuple[GroupStandings, ...]:
        """Return the groups that are ranked (those chosen by nomination have no standings)."""
        return tuple(g for g in self.result.groups if g.standings is not None)


def _short(team: str, district: str) -> str:
    """Return a team's name without its district's name at its end: the list already says the district."""
    for dash in (" – ", " - "):
        if district and team.endswith(dash + district):
            return team[:-len(dash + district)]
    return team


def board_of(campaign: Campaign, scope: Scope, today: dt.date) -> Board:
    """Return what the board shows on a day: a fixed number of queries whatever the size of the campaign (the
    standings, kept until the history moves; the day's reports; the latest act)."""
    result = campaign_standings(campaign, min(today, campaign.deadline))
    missing = None
    if campaign.accepts_data and campaign.start <= today <= campaign.deadline:
        missing = _missing_teams(campaign, result, scope, today)
    updated_at = (ChangeSet.objects.filter(campaign=campaign).exclude(seq=None).order_by("-seq")
                  .values_list("at", flat=True).first())
    return Board(result, today, _totals(result), missing, updated_at)


def _totals(result: CampaignStandings) -> Totals:
    day = result.as_of
    return Totals(day=day,
                  day_intake=result.inputs.day_intake(day),
                  intake=sum(s.intake for s in result.teams.rows),
                  quota=sum(s.quota for s in result.teams.rows))


def _missing_teams(campaign: Campaign, result: CampaignStandings, scope: Scope, today: dt.date) -> MissingTeams:
    """Return the teams of the scope due today (holding a machine) whose report is not sent: one query, the day's
    reports; the machines and units come with the standings' inputs."""
    units = result.inputs.units  # id -> (code, name, kind, parent, group)
    ids = {code: pk for pk, (code, *_rest) in units.items()}
    due = {ids[a.team] for a in result.inputs.assignments
           if a.start <= today <= a.end and a.team in ids and scope.sees(ids[a.team])}
    sent = set(DailyReport.objects.filter(campaign=campaign, day=today).exclude(status=ReportStatus.DRAFT)
               .values_list("team_id", flat=True))
    missing = due - sent
    by_parent: dict[int | None, list[int]] = {}
    for pk in missing:
        by_parent.setdefault(units[pk][3], []).append(pk)
    districts = []
    for parent, teams in by_parent.items():
        parent_code, parent_name = units[parent][:2] if parent in units else ("", "")
        names = tuple(_short(units[t][1], parent_name) for t in sorted(teams, key=lambda t: units[t][0]))
        districts.append((parent_code, parent_name, names))
    return MissingTeams(len(missing), len(due),
                        tuple((name, names) for _code, name, names in sorted(districts)))

