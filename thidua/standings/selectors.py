"""The seam between the database and the scoring core: aggregate in SQL, map to frozen inputs, score.

A fixed number of queries whatever the size of the campaign: units, assignments, and one GROUP BY (team, day)
over the intake; raw intake rows never travel to Python. A result is kept until the history moves (see
`campaign_standings`): then one query only.
"""

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import logging
import threading
import time
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, Subquery

from thidua.audit.models import ChainHead
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, ResultState
from thidua.intake.models import Assignment, DailyReport, ReportStatus, TeamDayTotal, TotalsEpoch
from thidua.scoring import core
from thidua.scoring.awards import Budget, awards_from
from thidua.scoring.rules import Period
from thidua.units.models import Kind, Unit

logger = logging.getLogger(__name__)


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
    seq: int = 0  # the place in the history's chain these standings hold at least (every act up to it)
    computed_at: dt.datetime | None = None  # when this process brought them up to that place
    stale: bool = False  # served while this process brings them up to a newer act (see campaign_standings)
    # The count of `unverified`, computed when first asked (only the standings page shows it), shared by the copies
    # `dataclasses.replace` makes of these standings for each request.
    unverified_box: list = dataclasses.field(default_factory=list, repr=False, compare=False)

    @property
    def unverified(self) -> int:
        """Return how many team-days counted here their district has not verified yet (one query, once)."""
        if not self.unverified_box:
            self.unverified_box.append(_unverified_team_days(self.campaign, self.inputs, self.as_of))
        return self.unverified_box[0]

    @property
    def state(self) -> str:
        """Return how final these standings are: provisional before the deadline whatever the campaign's status
        (a ranking "if the campaign ended that day"), else as the campaign's lifecycle says."""
        if self.as_of < self.campaign.deadline:
            return ResultState.PROVISIONAL
        return self.campaign.result_state


@dataclass(frozen=True)
class ScoringInputs:
    """What the scoring reads of a campaign. Never changed once built: a newer act makes new inputs, which share
    with these the days of every team it did not touch."""

    period: Period
    units: dict[int, tuple[str, str, str, int | None, int | None]]  # id -> code, name, kind, parent, group
    assignments: tuple[core.Assignment, ...]
    team_daily: dict[str, dict[dt.date, int]]  # team code -> day -> applications (the team-day totals)
    last_days: dict[str, dt.date]  # team code -> the last of its days

    def with_days(self, changed: dict[str, dict[dt.date, int]]) -> "ScoringInputs":
        """Return these inputs with the days of some teams changed (day -> applications); these stay as they are."""
        daily, last = dict(self.team_daily), dict(self.last_days)
        for code, days in changed.items():
            daily[code] = {**daily.get(code, {}), **days}
            last[code] = max(daily[code])
        changed_inputs = dataclasses.replace(self, team_daily=daily, last_days=last)
        # The same assignments: their grouping by team is carried over (a cached property, not a field).
        if "by_team" in self.__dict__:
            changed_inputs.__dict__["by_team"] = self.__dict__["by_team"]
        return changed_inputs

    @functools.cached_property
    def intake(self) -> tuple[core.TeamDay, ...]:
        """Return every team-day, for whoever iterates over them (built once, when first asked)."""
        return tuple(core.TeamDay(team, day, n) for team, days in self.team_daily.items() for day, n in days.items())

    @functools.cached_property
    def by_team(self) -> dict[str, list[core.Assignment]]:
        return core.by_team_of(self.assignments)

    def day_intake(self, day: dt.date) -> int:
        """Return the applications of every team on one day."""
        return sum(days.get(day, 0) for days in self.team_daily.values())


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
    team_daily: dict[str, dict[dt.date, int]] = {}
    for team, day, n in team_days(campaign):
        team_daily.setdefault(units[team][0], {})[_date(day)] = n
    return ScoringInputs(period, units, assignments, team_daily, {code: max(days) for code, days in team_daily.items()})


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


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


# What this process keeps of each campaign (per version of its settings): its scoring inputs as of a place in the
# history's chain, and the standings computed from them, per date. Every write of what the standings read is an act
# sealed into the chain in its own transaction, which moves the chain's head (thidua/audit/chain.py). When the head
# has moved, the inputs are brought up to it by reading only what the acts since changed: the team-day totals each
# act last changed (`TeamDayTotal.changed_in`), in one statement with the campaign's epoch — which the database bumps
# on any change the totals do not tell (a unit, machine or assignment written, a record moved or deleted) and which
# then makes everything read again. Only the competitors of the teams changed are measured again
# (`core.score_daily`). One update at a time per campaign: a reader arriving meanwhile waits for it at most
# WAIT_FOR_UPDATE_S, then gets the standings kept, marked stale — unless there are none yet.
_LIVE: OrderedDict[tuple, "_Live"] = OrderedDict()
_LIVE_MAX = 4
_live_lock = threading.Lock()
_RESULTS_MAX = 4  # dates kept per campaign: the live one and a few looked back at
WAIT_FOR_UPDATE_S = 0.5  # how long a reader waits for another request's update before being served stale standings
_full_reads = [0]  # standings read from nothing by this process (thidua/web/serving.py: post_request)


def full_reads() -> int:
    """Return how many times this process read a campaign's standings from nothing."""
    return _full_reads[0]


@dataclass
class _Live:
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    head: tuple[int, str] | None = None
    epoch: int = -1
    inputs: ScoringInputs | None = None
    teams_below: dict[int, frozenset[str]] | None = None
    computed_at: dt.datetime | None = None
    results: OrderedDict = dataclasses.field(default_factory=OrderedDict)  # as_of -> CampaignStandings


def history_place(campaign: Campaign) -> tuple[tuple[int, str], int]:
    """Return the chain's head (place, hash) and the campaign's epoch (TotalsEpoch): one query, one snapshot."""
    epoch = TotalsEpoch.objects.filter(campaign=campaign.pk).values("epoch")[:1]
    row = (ChainHead.objects.filter(pk=1).annotate(epoch=Subquery(epoch))
           .values_list("last_seq", "last_hash", "epoch").first())
    return ((row[0], row[1]), row[2] or 0) if row else ((0, ""), 0)


def campaign_standings(campaign: Campaign, as_of: dt.date | None = None) -> CampaignStandings:
    """Return the standings of every group of a campaign (live as of a date, final at the deadline).

    Kept until a new act of the history (one query, the chain's head, otherwise); then brought up to it from what
    the acts since changed.
    """
    as_of = min(as_of or default_as_of(campaign), campaign.config.deadline)
    key = (campaign.pk, campaign.updated_at)
    head, epoch = history_place(campaign)
    with _live_lock:
        live = _LIVE.get(key)
        if live is None:
            live = _LIVE[key] = _Live()
        _LIVE.move_to_end(key)
        while len(_LIVE) > _LIVE_MAX:
            _LIVE.popitem(last=False)
        # Read together, as they are stored: never a head ahead of its result.
        kept, kept_head = live.results.get(as_of), live.head
    if kept is not None and kept_head == head:
        # The caller's own instance of the campaign, not the one of the request that computed the result.
        return dataclasses.replace(kept, campaign=campaign)
    # Another request bringing them up to date is waited for a moment (it is usually that quick, and the reader
    # then sees the act it may have just made), not longer: past it, the standings kept are served, marked stale.
    if not live.lock.acquire(blocking=False):
        if not live.lock.acquire(timeout=WAIT_FOR_UPDATE_S if kept is not None else -1):
            return dataclasses.replace(kept, campaign=campaign, stale=True)
        head, epoch = history_place(campaign)  # the update waited for may have gone past the head read above
    started, below = time.perf_counter(), live.teams_below  # read anew only with everything else
    try:
        with _gc_paused():
            result = _brought_up_to_date(live, campaign, as_of, head, epoch)
    finally:
        live.lock.release()
    took = time.perf_counter() - started
    full = live.teams_below is not below
    if full or took > WAIT_FOR_UPDATE_S:
        # What makes readers wait or be served stale standings, for whoever reads the logs of a busy evening: a
        # full read (at start, or after a unit, machine or assignment changed), and any update readers gave up on.
        logger.log(logging.WARNING if took > WAIT_FOR_UPDATE_S else logging.INFO,
                   "Bảng xếp hạng đợt %s: %s đến mục %s của nhật ký trong %.2f s", campaign.code,
                   "đọc lại toàn bộ" if full else "cập nhật", head[0], took)
    return dataclasses.replace(result, campaign=campaign)


def forget_standings() -> None:
    """Forget the standings kept by this process (they are also brought up to date by themselves after each act)."""
    with _live_lock:
        _LIVE.clear()


# The changes since a place in the chain, in one statement (one snapshot on both databases): the campaign's epoch,
# the hash of the act at that place (it must still be the one known: the chain is never rewritten, but a database
# restored or a test's rollback reuses places), and every team-day total an act after it changed last — found by the
# totals' index on their act (a join made SQLite read the campaign's 150,000 totals: 14 ms against 0.04; its
# statistics see one import's act holding most totals, so it is told which index).
_CHANGES = (
    "SELECT 0, epoch, CAST(NULL AS VARCHAR(64)), CAST(NULL AS DATE), CAST(NULL AS BIGINT) FROM intake_totalsepoch "
    "WHERE campaign_id = %s "
    "UNION ALL SELECT 1, seq, hash, CAST(NULL AS DATE), CAST(NULL AS BIGINT) FROM audit_changeset WHERE seq = %s "
    "UNION ALL SELECT 2, t.team_id, CAST(NULL AS VARCHAR(64)), t.day, t.applications FROM intake_teamdaytotal t"
    "{indexed} WHERE t.changed_in_id IN (SELECT id FROM audit_changeset WHERE campaign_id = %s AND seq > %s) "
    "AND t.campaign_id = %s")


def _changes_since(campaign: Campaign, place: tuple[int, str]) -> tuple[int, bool, list[tuple[int, dt.date, int]]]:
    """Return the campaign's epoch, whether the act at `place` is still there, and the totals changed after it."""
    epoch, found, totals = 0, place[0] == 0, []
    indexed = " INDEXED BY team_day_total_changed_in" if connection.vendor == "sqlite" else ""
    with connection.cursor() as cursor:
        cursor.execute(_CHANGES.format(indexed=indexed), [campaign.pk, place[0], campaign.pk, place[0], campaign.pk])
        for kind, number, text, day, n in cursor.fetchall():
            if kind == 0:
                epoch = number
            elif kind == 1:
                found = text == place[1]
            else:
                totals.append((number, _date(day), n))
    return epoch, found, totals


def _brought_up_to_date(live: _Live, campaign: Campaign, as_of: dt.date, head: tuple[int, str],
                        epoch: int) -> CampaignStandings:
    """Bring `live` up to the chain's `head` (under its lock) and return the standings of `as_of` from it; `epoch`
    is the campaign's, read with the head."""
    changed: frozenset[str] | None = None  # None: everything read again
    if live.head is not None and head[0] < live.head[0]:
        # Another request brought them past the head this one read: read it again (it is lower still only when
        # the history was cut back: a database restored, a test's rollback — then everything is read again).
        head, epoch = history_place(campaign)
    moved = live.head != head
    if live.inputs is not None and not moved:
        changed = frozenset()
    elif live.inputs is not None and head[0] > live.head[0]:
        epoch, found, totals = _changes_since(campaign, live.head)
        if found and epoch == live.epoch:
            days: dict[str, dict[dt.date, int]] = defaultdict(dict)
            for team, day, n in totals:
                days[live.inputs.units[team][0]][day] = n
            live.inputs = live.inputs.with_days(days)  # new inputs: the standings already given keep theirs
            changed = frozenset(days)
    if changed is None:
        live.epoch = epoch  # read before the inputs: a change between the two is read again next time
        with _live_lock:
            _full_reads[0] += 1
        live.inputs = scoring_inputs(campaign, as_of)
        live.teams_below = team_codes_below(live.inputs.units)
        live.results.clear()
    elif moved:
        # Only the live date is brought forward from its standings; the others are computed again when asked (an act
        # that changed no total may still have changed their count of unverified days).
        with _live_lock:
            previous = live.results.get(as_of)
            live.results.clear()
            if previous is not None:
                live.results[as_of] = previous
    computed_at = clock.now()
    previous = live.results.get(as_of)
    if previous is not None and not changed:
        # No total changed; a report verified is an act that changes none: the count of unverified days is asked anew.
        result = dataclasses.replace(previous, unverified_box=[])
    else:
        result = _campaign_standings(campaign, as_of, live.inputs, live.teams_below, previous, changed or frozenset())
    result = dataclasses.replace(result, seq=head[0], computed_at=computed_at, stale=False, unverified_box=[])
    with _live_lock:
        # The result and the head it stands for, together: a reader never finds the new head with the old result.
        live.results[as_of] = result
        live.results.move_to_end(as_of)
        while len(live.results) > _RESULTS_MAX:
            live.results.popitem(last=False)
        live.head, live.computed_at = head, computed_at
    return result


def _campaign_standings(campaign: Campaign, as_of: dt.date, inputs: ScoringInputs,
                        teams_below: dict[int, frozenset[str]], previous: CampaignStandings | None = None,
                        changed: frozenset[str] = frozenset()) -> CampaignStandings:
    """Score every group and the teams from `inputs`; with `previous` (the same inputs but for the days of the teams
    `changed`), measure again only the competitors of those teams."""
    config = campaign.config
    group_ids = dict(campaign.groups.values_list("code", "id"))
    before = {g.code: g.standings for g in previous.groups} if previous is not None else {}
    options = {"by_team": inputs.by_team, "team_daily": inputs.team_daily, "period": inputs.period,
               "scale": config.scale, "as_of": as_of, "changed": changed}
    groups = []
    for g in config.groups:
        if g.kind != "scored":
            groups.append(GroupStandings(g.code, g.name, g.kind, None, g.collectives, g.individuals))
            continue
        group_id = group_ids[g.code]  # campaign_init keeps the groups of the settings and of the database alike
        competitors = [core.Competitor(code, name, teams_below[pk])
                       for pk, (code, name, _, _, group) in inputs.units.items() if group == group_id]
        table = core.score_daily(competitors=competitors, tiers=g.tiers, previous=before.get(g.code), **options)
        groups.append(GroupStandings(g.code, g.name, g.kind, table))
    team_competitors = [core.Competitor(code, name, frozenset({code}))
                        for code, name, kind, _, _ in inputs.units.values() if kind == Kind.TO]
    teams = core.score_daily(competitors=team_competitors, prizes=False,
                             previous=previous.teams if previous is not None else None, **options)
    budget = awards_from({g.code: g.standings for g in groups if g.standings is not None}, config.statutory,
                         tuple((g.code, g.name, g.collectives, g.individuals) for g in groups if g.standings is None))
    return CampaignStandings(campaign, as_of, as_of == config.deadline, tuple(groups), teams, budget, inputs)


def _unverified_team_days(campaign: Campaign, inputs: ScoringInputs, as_of: dt.date) -> int:
    """Return how many team-days counted up to a date are not verified yet: the team-days the scoring read, less
    the verified reports of a team-day with intake (one query, probing the team-day totals' key (campaign, team, day)
    from the reports' side)."""
    with_intake = sum(len(days) if inputs.last_days[code] <= as_of else sum(1 for day in days if day <= as_of)
                      for code, days in inputs.team_daily.items())
    counted = TeamDayTotal.objects.filter(campaign_id=OuterRef("campaign_id"), team_id=OuterRef("team_id"),
                                          day=OuterRef("day"))
    verified = (DailyReport.objects.filter(campaign=campaign, day__lte=as_of, status=ReportStatus.VERIFIED)
                .filter(Exists(counted)).count())
    return with_intake - verified
