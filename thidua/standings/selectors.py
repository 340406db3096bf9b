"""The seam between the database and the scoring core: aggregate in SQL, map to frozen inputs, score.

A fixed number of queries whatever the size of the campaign: units, assignments, and one GROUP BY (team, day)
over the intake; raw intake rows never travel to Python. A result is kept until the history moves (see
`campaign_standings`): then one query only.
"""

import contextlib
import dataclasses
import datetime as dt
import gc
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef

from thidua.audit.models import ChainHead
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, ResultState
from thidua.intake.models import Assignment, DailyReport, ReportStatus, TeamDayTotal
from thidua.scoring import core
from thidua.scoring.awards import Budget, awards_from
from thidua.scoring.rules import Period
from thidua.units.models import Kind, Unit


@dataclass(frozen=True)
class GroupStandings:
    code: str
    name: str
    kind: str
    standings: core.Standings | None  # None for a nomination group
    collectives: int = 0
    individuals: int = 0


@dataclass(frozen=True)
class CampaignStandings:
    campaign: Campaign
    as_of: dt.date
    final: bool
    groups: tuple[GroupStandings, ...]
    teams: core.Standings
    budget: Budget
    inputs: "ScoringInputs"
    unverified: int  # team-days counted above that their district has not verified yet

    @property
    def state(self) -> str:
        """Return how final these standings are: provisional before the deadline whatever the campaign's status
        (a ranking "if the campaign ended that day"), else as the campaign's lifecycle says."""
        if self.as_of < self.campaign.deadline:
            return ResultState.PROVISIONAL
        return self.campaign.result_state


@dataclass(frozen=True)
class ScoringInputs:
    period: Period
    units: dict[int, tuple[str, str, str, int | None, int | None]]  # id -> code, name, kind, parent, group
    assignments: tuple[core.Assignment, ...]
    intake: tuple[core.TeamDay, ...]


def default_as_of(campaign: Campaign, today: dt.date | None = None) -> dt.date:
    """Return the live scoring date: today, capped at the deadline."""
    return min(today or clock.today(), campaign.deadline)


def scoring_inputs(campaign: Campaign, as_of: dt.date) -> ScoringInputs:
    """Read what the scoring needs: three queries."""
    config = campaign.config
    period = Period(config.start, config.deadline, frozenset(config.non_working_days))
    units = {pk: (code, name, kind, parent, group) for pk, code, name, kind, parent, group in
             Unit.objects.filter(campaign=campaign).values_list("id", "code", "name", "kind", "parent_id",
                                                                "group_id")}
    assignments = tuple(
        core.Assignment(units[team][0], machine, start, end, quota, daily)
        for team, machine, start, end, quota, daily in Assignment.objects.filter(machine__campaign=campaign)
        .values_list("team_id", "machine__code", "start", "end", "quota", "daily_target"))
    intake = tuple(core.TeamDay(units[team][0], day, n) for team, day, n in team_days(campaign))
    return ScoringInputs(period, units, assignments, intake)


def team_days(campaign: Campaign) -> list[tuple[int, dt.date, int]]:
    """Return (team id, day, applications) for each team and day of a campaign with intake: its team-day totals,
    which the database keeps with the intake (intake migration 0007): ~150,000 rows of a national campaign instead of
    a GROUP BY over its million records.

    Written in SQL so that the rows come back as they are (no per-row conversion by the ORM). The scoring core keeps
    the days of [start, as_of]; there is rarely anything to filter here: intake is entered day by day, so only a look
    back in time (`--as-of` in the past) has later days.
    """
    qn = connection.ops.quote_name
    table, team, day, applications, campaign_id = (qn(TeamDayTotal._meta.db_table), *(
        qn(TeamDayTotal._meta.get_field(f).column) for f in ("team", "day", "applications", "campaign")))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {team}, {day}, {applications} FROM {table} WHERE {campaign_id} = %s", [campaign.pk])
        return cursor.fetchall()


def team_codes_below(units: dict) -> dict[int, frozenset[str]]:
    """Return, for each unit, the codes of the `to` units of its subtree (itself if it is one)."""
    children = defaultdict(list)
    for pk, (_, _, _, parent, _) in units.items():
        children[parent].append(pk)
    found: dict[int, frozenset[str]] = {}
    for pk in units:
        stack, teams, seen = [pk], set(), set()
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.add(cur)
            if units[cur][2] == Kind.TO:
                teams.add(units[cur][0])
            stack.extend(children.get(cur, ()))
        found[pk] = frozenset(teams)
    return found


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while many small objects are built (none of them in a cycle).

    A national campaign builds ~400,000 frozen records (team-days, day totals): with the collector on, its full
    passes over every object alive double the time. Reference counting still frees everything; the collector's
    previous state is restored.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Standings computed lately, per process: (campaign, its settings' version, as_of, end of the history) -> result.
# Every write of what the standings read (units, machines and assignments, intake, the campaign's settings) is an act
# sealed into the history's chain in its own transaction, which moves the chain's head (thidua/audit/chain.py): a
# result computed after the head was read holds at least everything up to that head, and stays right until the head
# moves. The head's hash is in the key as well as its place: it covers the act's time, so a place reused after a
# rollback (tests) is another key. Kept as they are (no pickling, frozen values) and few: the live standings of a
# campaign and a few dates looked back at; a national campaign's result weighs some tens of MiB.
_KEPT: OrderedDict[tuple, CampaignStandings] = OrderedDict()
_KEPT_MAX = 4
_kept_lock = threading.Lock()


def campaign_standings(campaign: Campaign, as_of: dt.date | None = None) -> CampaignStandings:
    """Return the standings of every group of a campaign (live as of a date, final at the deadline).

    Computed again only after a new act of the history (one query, the chain's head, otherwise).
    """
    as_of = min(as_of or default_as_of(campaign), campaign.config.deadline)
    head = ChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    key = (campaign.pk, campaign.updated_at, as_of, head)
    with _kept_lock:
        kept = _KEPT.get(key)
        if kept is not None:
            _KEPT.move_to_end(key)
    if kept is not None:
        # The caller's own instance of the campaign, not the one of the request that computed the result.
        return dataclasses.replace(kept, campaign=campaign)
    with _gc_paused():
        result = _campaign_standings(campaign, as_of)
    with _kept_lock:
        _KEPT[key] = result
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return result


def forget_standings() -> None:
    """Forget the standings kept by this process (they are also forgotten by themselves after each act)."""
    with _kept_lock:
        _KEPT.clear()


def _campaign_standings(campaign: Campaign, as_of: dt.date | None) -> CampaignStandings:
    config = campaign.config
    as_of = min(as_of or default_as_of(campaign), config.deadline)
    inputs = scoring_inputs(campaign, as_of)
    teams_below = team_codes_below(inputs.units)
    group_ids = dict(campaign.groups.values_list("code", "id"))
    groups = []
    for g in config.groups:
        if g.kind != "scored":
            groups.append(GroupStandings(g.code, g.name, g.kind, None, g.collectives, g.individuals))
            continue
        group_id = group_ids[g.code]  # campaign_init keeps the groups of the settings and of the database alike
        competitors = [core.Competitor(code, name, teams_below[pk])
                       for pk, (code, name, _, _, group) in inputs.units.items() if group == group_id]
        table = core.score(competitors=competitors, assignments=inputs.assignments, intake=inputs.intake,
                           period=inputs.period, scale=config.scale, as_of=as_of, tiers=g.tiers)
        groups.append(GroupStandings(g.code, g.name, g.kind, table))
    team_competitors = [core.Competitor(code, name, frozenset({code}))
                        for code, name, kind, _, _ in inputs.units.values() if kind == Kind.TO]
    teams = core.score(competitors=team_competitors, assignments=inputs.assignments, intake=inputs.intake,
                       period=inputs.period, scale=config.scale, as_of=as_of, prizes=False)
    budget = awards_from({g.code: g.standings for g in groups if g.standings is not None}, config.statutory,
                         tuple((g.code, g.name, g.collectives, g.individuals) for g in groups if g.standings is None))
    return CampaignStandings(campaign, as_of, as_of == config.deadline, tuple(groups), teams, budget, inputs,
                             _unverified_team_days(campaign, inputs, as_of))


def _unverified_team_days(campaign: Campaign, inputs: ScoringInputs, as_of: dt.date) -> int:
    """Return how many team-days counted up to a date are not verified yet: the team-days the scoring read, less
    the verified reports of a team-day with intake (one query, probing the team-day totals' key (campaign, team, day)
    from the reports' side)."""
    with_intake = sum(1 for team_day in inputs.intake if team_day.day <= as_of)
    counted = TeamDayTotal.objects.filter(campaign_id=OuterRef("campaign_id"), team_id=OuterRef("team_id"),
                                          day=OuterRef("day"))
    verified = (DailyReport.objects.filter(campaign=campaign, day__lte=as_of, status=ReportStatus.VERIFIED)
                .filter(Exists(counted)).count())
    return with_intake - verified
